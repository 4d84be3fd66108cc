/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_reply.c - the SMTP reply parser, EHLO capabilities and the
 * reply writer. Byte 0 chooses the flags, a line limit and the room for
 * lines; the rest is what a server sent. Checks: consumed stays within
 * the input and ends a line; what strict mode takes lenient mode takes
 * alike; every shorter prefix is MF_MORE; lines and capabilities lie in
 * the input; the reply written back with mf_smtp_reply_format (lines
 * that can be written) reads back with the same code, lines and
 * enhanced code.
 */
#include <stdbool.h>
#include <stdio.h>

#include "fuzz.h"

#include "mailfmt.h"

#define MAXL 32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mf_opts o;
	mf_smtp_reply r, r2;
	mf_str l[MAXL], l2[MAXL];
	size_t n, nl, nl2, used, u2, i, k, cap;
	const char *p;
	int rc;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	o.flags = (data[0] & 1 ? MF_ACCEPT_LF : 0) |
	          (data[0] & 2 ? MF_LONG_LINES : 0);
	o.limits.max_line_len = (data[0] >> 2 & 7) * 16;
	cap = (data[0] >> 5) == 7 ? MAXL : (size_t)(data[0] >> 5) + 1;
	p = (const char *)data + 1;
	n = size - 1;
	nl = cap;
	rc = mf_smtp_reply_parse(p, n, &o, &r, l, &nl, &used, NULL);
	CHECK(rc == MF_OK || rc == MF_MORE || rc == MF_E_SYNTAX ||
	      rc == MF_E_LIMIT || rc == MF_E_NOSPC);
	CHECK(used <= n);
	if (rc == MF_E_NOSPC)
		CHECK(nl == cap + 1);
	/* Strict mode: a subset, with the same result. */
	o.flags |= MF_STRICT;
	nl2 = cap;
	if (mf_smtp_reply_parse(p, n, &o, &r2, l2, &nl2, &u2, NULL) == MF_OK)
		CHECK(rc == MF_OK && u2 == used && nl2 == nl &&
		      r2.code == r.code &&
		      (r2.defects & MF_DEFECT_BIT(MF_D_SMTP_REPLY)) == 0);
	o.flags &= ~MF_STRICT;
	if (rc != MF_OK)
		return 0;
	CHECK(used > 0 && p[used - 1] == '\n' && nl >= 1 && nl <= cap);
	CHECK(r.code >= 200 && r.code <= 559);
	CHECK(r.enh_class == 0 || r.enh_class == r.code / 100);
	for (i = 0; i < nl; i++)
		CHECK(l[i].ptr >= p && l[i].ptr + l[i].len <= p + used);
	for (k = 0; k < used; k += 1 + k / 8) {
		nl2 = cap;
		CHECK(mf_smtp_reply_parse(p, k, &o, &r2, l2, &nl2, &u2, NULL) ==
		      MF_MORE);
	}
	{
		mf_smtp_caps c;

		CHECK(mf_smtp_ehlo_parse(l, nl, &c) == MF_OK);
		CHECK(c.auth.len == 0 ||
		      (c.auth.ptr >= p && c.auth.ptr + c.auth.len <= p + used));
		CHECK(c.nunknown < nl);
	}
	/* Written back (when the lines can be: no control characters, no
	 * line that would wrap), read back the same. */
	{
		mf_buf *b = mf_buf_new(NULL), *t = mf_buf_new(NULL);
		char enh[16];
		bool ok = true;

		CHECK(b != NULL && t != NULL);
		for (i = 0; i < nl && ok; i++) {
			for (k = 0; k < l[i].len && ok; k++) {
				unsigned char ch = (unsigned char)l[i].ptr[k];

				ok = ch >= 0x20 && ch != 0x7F;
			}
			ok = ok && l[i].len <= 60 &&
			     (l[i].len == 0 || (l[i].ptr[0] != ' ' &&
			                        l[i].ptr[l[i].len - 1] != ' '));
			if (ok && i > 0)
				ok = mf_buf_append(t, "\n", 1) == MF_OK;
			if (ok)
				ok = mf_buf_append(t, l[i].ptr, l[i].len) ==
				     MF_OK;
		}
		if (nl == 1 && l[0].len == 0)
			ok = false; /* "\n" alone is no line */
		snprintf(enh, sizeof(enh), "%d.%d.%d", r.enh_class,
		         r.enh_subject, r.enh_detail);
		if (ok && mf_smtp_reply_format(
		              b, r.code, r.enh_class ? enh : NULL,
		              mf_buf_data(t), mf_buf_len(t)) == MF_OK) {
			nl2 = MAXL;
			CHECK(mf_smtp_reply_parse(mf_buf_data(b), mf_buf_len(b),
			                          NULL, &r2, l2, &nl2, &u2,
			                          NULL) == MF_OK);
			CHECK(u2 == mf_buf_len(b) && r2.code == r.code &&
			      nl2 == nl && r2.enh_class == r.enh_class &&
			      r2.enh_subject == r.enh_subject &&
			      r2.enh_detail == r.enh_detail);
			for (i = 0; i < nl; i++)
				CHECK(l2[i].len == l[i].len &&
				      memcmp(l2[i].ptr, l[i].ptr, l[i].len) ==
				          0);
		}
		mf_buf_free(b);
		mf_buf_free(t);
	}
	return 0;
}
