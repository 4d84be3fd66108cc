/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pop3_cmd.c - POP3 command lines (mf_pop3_cmd_parse,
 * mf_pop3_cmd_format) and the server machine reading them as a client's
 * stream. Byte 0 chooses MF_ACCEPT_LF and a line limit, byte 1 the split
 * point and the seed of the replies; the rest is the input. Checks:
 *  - parse: *consumed within the input; MF_MORE consumes nothing and
 *    there is no LF within the limit; a parsed or refused line ends at
 *    an LF; views lie inside the line; every prefix that stops before the
 *    LF gives MF_MORE; a parsed command formats to a line that parses
 *    back to the same command;
 *  - server: the stream read whole and read in two chunks gives the same
 *    lines with the same results (up to an STLS, refused or not as bytes
 *    follow it in the same read); every read command is allowed by the
 *    state; the states only move as RFC 1939 says (see check_server).
 */
#include "fuzz.h"

#include "mailfmt.h"

static int
inside(mf_str s, const char *p, size_t n)
{
	return s.len == 0 || (s.ptr >= p && s.ptr + s.len <= p + n);
}

static int
same(mf_str a, mf_str b)
{
	return a.len == b.len &&
	       (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void
check_cmd(const char *p, size_t n, const mf_opts *o)
{
	mf_pop3_cmd c, back;
	size_t used, k, used2, flen;
	char out[MF_POP3_CMD_MAX + 16];
	int rc = mf_pop3_cmd_parse(p, n, o, &c, &used, NULL);
	const char *lf = memchr(p, '\n', n);

	CHECK(used <= n);
	if (rc == MF_MORE) {
		CHECK(used == 0);
		CHECK(lf == NULL);
		return;
	}
	if (rc == MF_E_LIMIT)
		return;
	CHECK(rc == MF_OK || rc == MF_E_SYNTAX);
	CHECK(lf != NULL && used == (size_t)(lf - p) + 1);
	/* Statelessness: a prefix without the LF is incomplete. */
	for (k = 0; k + 1 < used; k += 1 + k / 4)
		CHECK(mf_pop3_cmd_parse(p, k, o, &back, &used2, NULL) ==
		      MF_MORE);
	if (rc != MF_OK)
		return;
	CHECK(inside(c.keyword, p, used) && inside(c.arg, p, used) &&
	      inside(c.arg2, p, used));
	CHECK(c.verb >= MF_POP3_UNKNOWN && c.verb <= MF_POP3_UIDL);
	rc = mf_pop3_cmd_format(out, sizeof(out), &c, &flen);
	CHECK(rc == MF_OK || rc == MF_E_LIMIT);
	if (rc != MF_OK)
		return;
	CHECK(mf_pop3_cmd_parse(out, flen, NULL, &back, &used2, NULL) ==
	      MF_OK);
	CHECK(used2 == flen && back.verb == c.verb && back.msg == c.msg &&
	      back.lines == c.lines);
	CHECK(same(back.arg, c.arg) && same(back.arg2, c.arg2));
}

/* The invariants of the server's state after each step. */
static void
check_server(const mf_pop3_server *s)
{
	CHECK(s->state >= MF_POP3_CONNECTED && s->state <= MF_POP3_CLOSED);
	CHECK(!s->sasl_ || s->state == MF_POP3_AUTHORIZATION);
	CHECK(!s->user_ || (s->state == MF_POP3_AUTHORIZATION && !s->sasl_));
	CHECK(s->state != MF_POP3_UPDATE || s->due_);
}

/* Feeds in[0..cuts[ncuts - 1]) to a server in chunks ending at cuts, logging each
 * line's result into log; replies chosen by seed. */
static size_t
serve(const char *in, const size_t *cuts, size_t ncuts, const mf_opts *o,
      unsigned seed, int *log, size_t logcap)
{
	mf_pop3_server sv;
	mf_pop3_reply r;
	char out[600];
	size_t pos = 0, avail, k, nlog = 0, len, c;

	CHECK(mf_pop3_server_init(&sv, o) == MF_OK);
	memset(&r, 0, sizeof(r));
	r.status = MF_POP3_OK;
	CHECK(mf_pop3_server_reply(&sv, &r, out, sizeof(out), &len) == MF_OK);
	for (c = 0; c < ncuts; c++) {
		avail = cuts[c];
		for (;;) {
			mf_pop3_cmd cmd;
			int tls = sv.tls, state = sv.state, user = sv.user_;
			int rc = mf_pop3_server_read(&sv, in + pos, avail - pos,
						     &cmd, &k, NULL);

			CHECK(k <= avail - pos);
			pos += k;
			if (rc == MF_MORE)
				break;
			CHECK(rc == MF_OK || rc == MF_E_SYNTAX ||
			      rc == MF_E_LIMIT || rc == MF_E_STATE);
			if (nlog + 2 > logcap)
				return nlog; /* inputs this long: compare a prefix */
			log[nlog++] = rc;
			log[nlog++] = rc == MF_OK ? cmd.verb : -1;
			/* Whether bytes follow STLS in the same read (then
			 * refused) depends on the chunks: stop there. */
			if (cmd.verb == MF_POP3_STLS &&
			    (rc == MF_OK || rc == MF_E_STATE)) {
				log[nlog - 2] = 1;
				log[nlog - 1] = MF_POP3_STLS;
				return nlog;
			}
			if (rc == MF_OK) {
				/* What the state allows (RFC 1939). */
				if (cmd.verb == MF_POP3_STAT ||
				    cmd.verb == MF_POP3_RETR ||
				    cmd.verb == MF_POP3_DELE)
					CHECK(state == MF_POP3_TRANSACTION);
				if (cmd.verb == MF_POP3_PASS)
					CHECK(user);
				if (cmd.verb == MF_POP3_STLS)
					CHECK(!tls && !user);
				if (cmd.verb == MF_POP3_QUIT)
					CHECK(sv.state ==
					      (state == MF_POP3_TRANSACTION
						   ? MF_POP3_UPDATE
						   : state));
			}
			check_server(&sv);
			seed = seed * 1103515245u + 12345u;
			r.status = rc == MF_OK ? 1 + (int)(seed >> 16) % 3
					       : MF_POP3_ERR;
			if (mf_pop3_server_reply(&sv, &r, out, sizeof(out),
						 &len) != MF_OK) {
				r.status = MF_POP3_ERR;
				CHECK(mf_pop3_server_reply(&sv, &r, out,
							   sizeof(out),
							   &len) == MF_OK);
			}
			if (sv.state == MF_POP3_TRANSACTION &&
			    state != MF_POP3_TRANSACTION)
				CHECK(r.status == MF_POP3_OK &&
				      (cmd.verb == MF_POP3_PASS ||
				       cmd.verb == MF_POP3_APOP ||
				       cmd.verb == MF_POP3_AUTH ||
				       cmd.verb == MF_POP3_SASL));
			CHECK(sv.tls >= tls);
			check_server(&sv);
			if (sv.state == MF_POP3_CLOSED) {
				CHECK(mf_pop3_server_read(&sv, "", 0, &cmd, &k,
							  NULL) == MF_E_INVAL);
				return nlog;
			}
		}
	}
	return nlog;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int log1[4096], log2[4096];
	const char *in;
	size_t n, a, i, n1, n2, cuts[2];
	mf_opts o;

	if (size < 2)
		return 0;
	memset(&o, 0, sizeof(o));
	o.flags = data[0] & 1 ? MF_ACCEPT_LF : 0;
	o.limits.max_line_len = (data[0] >> 1) & 1 ? 8 + (data[0] >> 2) : 0;
	in = (const char *)data + 2;
	n = size - 2;

	/* Every line of the input, as a single parse. */
	for (i = 0; i < n;) {
		const char *lf = memchr(in + i, '\n', n - i);

		check_cmd(in + i, n - i, &o);
		i = lf != NULL ? (size_t)(lf - in) + 1 : n;
	}

	/* The server, with the stream whole and in two chunks. */
	a = n > 0 ? data[1] * n / 256 : 0;
	cuts[0] = n;
	n1 = serve(in, cuts, 1, &o, data[1], log1, 4096);
	cuts[0] = a;
	cuts[1] = n;
	n2 = serve(in, cuts, 2, &o, data[1], log2, 4096);
	CHECK(n1 == n2 && memcmp(log1, log2, n1 * sizeof(int)) == 0);
	return 0;
}
