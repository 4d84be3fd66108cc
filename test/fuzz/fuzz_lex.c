/* SPDX-License-Identifier: MIT */
/*
 * fuzz_lex.c - the RFC 5322 tokenizer on arbitrary input. The first byte
 * picks the flags. Checks: tokens lie inside the input in increasing order
 * and every token consumes something; strict mode fails only where lenient
 * mode saw a defect or a control byte; unquote and quote round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailfmt.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n, last = 0, count = 0;
	unsigned flags = 0;
	mf_lexer lx;
	mf_tok t;
	mf_buf *b, *u;

	if (size < 1)
		return 0;
	n = size - 1;
	if (data[0] & 1)
		flags |= MF_LEX_COMMENTS;
	if (data[0] & 2)
		flags |= MF_LEX_MIME;
	if (data[0] & 4)
		flags |= MF_LEX_DOTS;
	if (data[0] & 8)
		flags |= MF_STRICT;
	b = mf_buf_new(NULL);
	u = mf_buf_new(NULL);
	CHECK(b != NULL && u != NULL);
	CHECK(mf_lex_init(&lx, p, n, flags) == MF_OK);
	for (;;) {
		mf_error e;
		int rc = mf_lex_next(&lx, &t, &e);

		if (rc < 0) {
			CHECK(flags & MF_STRICT);
			CHECK(e.offset < n);
			break;
		}
		CHECK(t.offset >= last && t.offset <= n);
		CHECK(t.text.ptr == p + t.offset);
		if (t.type == MF_TOK_END)
			break;
		CHECK(t.text.len > 0 && t.offset + t.text.len <= n);
		last = t.offset + t.text.len;
		CHECK(++count <= n);
		if (t.type == MF_TOK_QSTRING || t.type == MF_TOK_COMMENT) {
			mf_buf_clear(b);
			CHECK(mf_unquote(b, t.text.ptr, t.text.len) == MF_OK);
			CHECK(mf_buf_len(b) <= t.text.len);
		}
	}
	/* quote -> unquote is the identity for text without CR, LF, NUL. */
	if (memchr(p, '\r', n) == NULL && memchr(p, '\n', n) == NULL &&
	    memchr(p, '\0', n) == NULL) {
		mf_buf_clear(b);
		mf_buf_clear(u);
		CHECK(mf_quote(b, p, n, flags & MF_LEX_DOTS) == MF_OK);
		CHECK(mf_unquote(u, mf_buf_data(b), mf_buf_len(b)) == MF_OK);
		CHECK(mf_buf_len(u) == n && memcmp(mf_buf_data(u), p, n) == 0);
	}
	mf_buf_free(b);
	mf_buf_free(u);
	return 0;
}
