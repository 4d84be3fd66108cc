/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ew.c - RFC 2047 decoding and encoding on arbitrary input. The first
 * byte picks: bit 0 strict mode, bit 1 a small max_encoded_words, bits 2-3
 * the encoding (auto, Q, B, phrase), bits 4-6 the charset to encode in,
 * bit 7 LF folding; the second byte the start column. Checks: decoding
 * never fails in lenient mode, fails in strict mode only with a defect,
 * and gives valid UTF-8; encoding gives ASCII with words of at most 75
 * characters and decodes back to the input (invalid UTF-8 and NUL as
 * U+FFFD) without defects.
 */
#include "fcodec.h"

#include "charset.h"


static const char *const charsets[8] = {
    NULL,	  "utf-8", "iso-8859-1", "koi8-r",
    "windows-1252", "utf-16", "iso-8859-15", "us-ascii",
};

/* Every "=?...?=" token of e is at most 75 characters. */
static void
check_words(const char *e, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = i;

		while (k < n && e[k] != ' ' && e[k] != '\t' && e[k] != '\r' &&
		       e[k] != '\n')
			k++;
		if (k - i >= 2 && e[i] == '=' && e[i + 1] == '?')
			CHECK(k - i <= 75);
		i = k + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned encs[4] = {0, MF_EW_Q, MF_EW_B, MF_EW_PHRASE};
	const char *p = (const char *)data + 2;
	size_t n, k;
	unsigned flags;
	uint64_t def = 0;
	mf_opts o;
	mf_error e;
	mf_buf *b, *w, *d;
	int rc;

	if (size < 2)
		return 0;
	n = size - 2;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.flags = MF_STRICT;
	if (data[0] & 2)
		o.limits.max_encoded_words = 3;
	b = mf_buf_new(NULL);
	w = mf_buf_new(NULL);
	d = mf_buf_new(NULL);
	CHECK(b != NULL && w != NULL && d != NULL);

	/* Decoding. */
	rc = mf_ew_decode(b, p, n, &o, &def, &e);
	if (o.flags & MF_STRICT) {
		CHECK(rc == MF_OK || rc == MF_E_DEFECT);
		if (rc == MF_E_DEFECT) {
			CHECK(e.offset <= n && def != 0);
			CHECK(mf_buf_len(b) == 0);
		} else {
			CHECK(def == 0);
		}
	} else {
		CHECK(rc == MF_OK);
	}
	CHECK(mf__utf8_valid(mf_buf_data(b), mf_buf_len(b)));

	/* Encoding, then decoding gives the input back. */
	flags = encs[(data[0] >> 2) & 3];
	if (data[0] & 0x80)
		flags |= MF_LF;
	rc = mf_ew_encode(w, p, n, charsets[(data[0] >> 4) & 7], flags,
			  data[1] % 100, 76);
	CHECK(rc == MF_OK);
	for (k = 0; k < mf_buf_len(w); k++)
		CHECK((unsigned char)mf_buf_data(w)[k] < 0x80);
	check_words(mf_buf_data(w), mf_buf_len(w));
	memset(&o, 0, sizeof(o));
	o.limits.max_encoded_words = SIZE_MAX;
	def = 0;
	mf_buf_clear(b);
	CHECK(mf_ew_decode(b, mf_buf_data(w), mf_buf_len(w), &o, &def, NULL) ==
	      MF_OK);
	/* The expected text: invalid UTF-8 and NUL as U+FFFD; a NUL is
	 * the only defect. */
	fz_check_text(b, d, p, n, def);
	mf_buf_free(b);
	mf_buf_free(w);
	mf_buf_free(d);
	return 0;
}
