/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_cmd.c - the SMTP command parser and the SASL line reader.
 * Byte 0 chooses the leniency flags and a line limit; the rest is what a
 * client sent. Checks: consumed stays within the input and ends at a
 * line end for a complete line; every shorter prefix of a parsed line is
 * MF_MORE and every longer input gives the same command; views lie in the
 * input; a refused line has a 5xx reply with an enhanced code; a MAIL or
 * RCPT path written back by mf_smtp_path_format reads back as a path
 * with the same domain; the parameters walk to the end; the parser's
 * fast paths give exactly what its general code gives (status, consumed,
 * error offset and reason, every field).
 */
#include "fuzz.h"

#include "mailfmt.h"
#include "smtp.h"

static void
inside(mf_str s, const char *p, size_t n)
{
	if (s.len > 0)
		CHECK(s.ptr >= p && s.ptr + s.len <= p + n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned fl[4] = {0,
	                               MF_SMTP_COLON_SPACE | MF_SMTP_BARE_PATH,
	                               MF_ACCEPT_LF, MF_LONG_LINES};
	mf_opts o;
	mf_smtp_cmd c, c2;
	const char *p;
	size_t n, used, u2, k;
	int rc;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	o.flags = fl[data[0] & 3] | ((data[0] & 4) ? MF_ACCEPT_LF : 0);
	o.limits.max_line_len = (data[0] >> 3) * 8; /* 0: 512 */
	p = (const char *)data + 1;
	n = size - 1;
	rc = mf_smtp_cmd_parse(p, n, &o, &c, &used, NULL);
	CHECK(rc == MF_OK || rc == MF_MORE || rc == MF_E_SYNTAX ||
	      rc == MF_E_LIMIT);
	{
		mf_error e1, e2;

		memset(&e1, 0, sizeof(e1));
		memset(&e2, 0, sizeof(e2));
		CHECK(mf__smtp_cmd_parse_way(true, p, n, &o, &c, &used, &e1) ==
		      rc);
		CHECK(mf__smtp_cmd_parse_way(false, p, n, &o, &c2, &u2, &e2) ==
		      rc);
		CHECK(u2 == used && e1.code == e2.code &&
		      e1.offset == e2.offset && e1.reason == e2.reason);
		CHECK(memcmp(&c, &c2, sizeof(c)) == 0);
	}
	CHECK(used <= n);
	if (rc == MF_MORE)
		CHECK(used == 0 && memchr(p, '\n', n) == NULL);
	if (rc < 0) {
		CHECK(c.reply.code >= 500 && c.reply.code < 600);
		CHECK(c.reply.enh != NULL && c.reply.text != NULL);
		CHECK(used > 0 || n == 0);
	}
	if (rc == MF_OK) {
		mf_str kw, v;
		size_t pos = 0, np = 0;

		CHECK(used > 0 && p[used - 1] == '\n');
		CHECK(c.verb >= MF_SMTP_UNKNOWN && c.verb <= MF_SMTP_SAML);
		inside(c.name, p, used);
		inside(c.arg, p, used);
		inside(c.path.mailbox, p, used);
		inside(c.path.local, p, used);
		inside(c.path.domain, p, used);
		inside(c.params, p, used);
		inside(c.initial, p, used);
		while (mf_smtp_param_next(&c, &pos, &kw, &v) == 1) {
			inside(kw, p, used);
			CHECK(kw.len > 0 && ++np <= used);
		}
		CHECK(pos == c.params.len);
		/* Every shorter prefix waits, a longer input is the same. */
		for (k = 0; k < used; k += 1 + k / 8) {
			CHECK(mf_smtp_cmd_parse(p, k, &o, &c2, &u2, NULL) ==
			      MF_MORE);
		}
		CHECK(mf_smtp_cmd_parse(p, n, &o, &c2, &u2, NULL) == MF_OK &&
		      u2 == used && c2.verb == c.verb &&
		      c2.arg.len == c.arg.len);
		/* A path writes back as a path of the same domain. */
		if ((c.verb == MF_SMTP_MAIL || c.verb == MF_SMTP_RCPT) &&
		    c.path.domain.len > 0) {
			mf_buf *b = mf_buf_new(NULL);
			mf_smtp_path pp;

			CHECK(b != NULL);
			CHECK(mf_smtp_path_format(b, c.path.mailbox.ptr,
			                          c.path.mailbox.len,
			                          MF_UTF8_OUT) == MF_OK);
			CHECK(mf_smtp_path_parse(mf_buf_data(b), mf_buf_len(b),
			                         0, &pp, NULL) == MF_OK);
			CHECK(pp.domain.len == c.path.domain.len &&
			      memcmp(pp.domain.ptr, c.path.domain.ptr,
			             pp.domain.len) == 0);
			mf_buf_free(b);
		}
	}
	/* The same bytes as a SASL line. */
	{
		mf_str line;
		mf_opts so;

		memset(&so, 0, sizeof(so));
		so.flags = o.flags & (MF_ACCEPT_LF | MF_LONG_LINES);
		rc = mf_smtp_sasl_parse(p, n, &so, &line, &used, NULL);
		CHECK(used <= n);
		if (rc == MF_OK) {
			char buf[4096];
			size_t len;

			inside(line, p, used);
			if (line.len <= 4000 &&
			    mf_smtp_sasl_decode(line.ptr, line.len, buf,
			                        sizeof(buf), &len) == MF_OK)
				CHECK(len <= line.len);
		}
	}
	return 0;
}
