/* SPDX-License-Identifier: MIT */
/*
 * fuzz_charset.c - charset conversion on arbitrary input. The first byte
 * picks the charset (low 5 bits) and strict mode (bit 5). Checks: the
 * output is valid UTF-8; strict mode fails only with the defect, leaving
 * the buffer as it was; for valid UTF-8 input, converting to the charset
 * without loss and back gives the input.
 */
#include "fuzz.h"

#include "core.h"


static const char *const charsets[32] = {
    "utf-8",	    "us-ascii",	    "iso-8859-1",   "iso-8859-2",
    "iso-8859-5",   "iso-8859-7",   "iso-8859-8",   "iso-8859-11",
    "iso-8859-16",  "windows-1250", "windows-1251", "windows-1252",
    "windows-1255", "windows-1258", "koi8-r",	    "koi8-u",
    "utf-16",	    "utf-16le",	    "utf-16be",	    "utf-32",
    "utf-32le",	    "utf-32be",	    "shift_jis",    "iso-2022-jp",
    "euc-kr",	    "gb2312",	    "big5",	    "utf-7",
    "x-unknown",    " \"Latin1\" ", "cp1252",	    "",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1, *cs;
	size_t n;
	uint64_t def = 0, d2 = 0;
	mf_opts o;
	mf_error e;
	mf_buf *b, *x;
	int rc;

	if (size < 1)
		return 0;
	n = size - 1;
	cs = charsets[data[0] & 31];
	memset(&o, 0, sizeof(o));
	if (data[0] & 32)
		o.flags = MF_STRICT;
	b = mf_buf_new(NULL);
	x = mf_buf_new(NULL);
	CHECK(b != NULL && x != NULL);
	CHECK(mf_buf_append(b, "pre", 3) == MF_OK);
	rc = mf_charset_to_utf8(b, cs, strlen(cs), p, n, &o, &def, &e);
	CHECK(rc == MF_OK || rc == MF_E_CHARSET || rc == MF_E_DEFECT);
	if (rc < 0)
		CHECK(mf_buf_len(b) == 3 && e.code == rc);
	if (rc == MF_E_DEFECT)
		CHECK(def == MF_DEFECT_BIT(MF_D_CHARSET_INVALID) && e.offset < n);
	if (rc == MF_OK && (o.flags & MF_STRICT))
		CHECK(def == 0);
	CHECK(mf__utf8_valid(mf_buf_data(b), mf_buf_len(b)));

	/* Round trip through the charset for valid UTF-8. */
	if (mf__utf8_valid(p, n)) {
		mf_buf_clear(b);
		rc = mf_charset_from_utf8(b, cs, strlen(cs), p, n, NULL, &d2,
					  NULL);
		if (rc == MF_OK && d2 == 0) {
			def = 0;
			CHECK(mf_charset_to_utf8(x, cs, strlen(cs),
						 mf_buf_data(b), mf_buf_len(b),
						 NULL, &def, NULL) == MF_OK);
			CHECK(mf_buf_len(x) == n &&
			      memcmp(mf_buf_data(x), p, n) == 0);
		}
	}
	mf_buf_free(b);
	mf_buf_free(x);
	return 0;
}
