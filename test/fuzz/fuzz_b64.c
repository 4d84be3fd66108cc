/* SPDX-License-Identifier: MIT */
/*
 * fuzz_b64.c - base64. Byte 0 chooses flags and path, byte 1 the split
 * points and line length; the rest is the input. Checks:
 *  - decode: every path equals the scalar one (output, code, offset,
 *    defects); streaming with two splits equals one-shot; strict fails
 *    exactly when lenient records a defect; strict success implies that
 *    re-encoding and decoding gives the same bytes;
 *  - encode of the input as raw bytes: exact length, streaming equals
 *    one-shot, strict decode gives the input back.
 */
#include "fcodec.h"

#include "b64.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	size_t n, cap, a, b, line, elen, l1, l2;
	unsigned flags;
	int path;
	unsigned char *o1, *o2, *o3;
	char *e1, *e2;
	struct res r1, strict;

	if (!fz_input(data, size, MF_STRICT, &in, &n, &a, &b, &path,
	              &flags))
		return 0;
	cap = mf_b64_decoded_len(n) + 3 * 4 + 8;
	o1 = malloc(cap);
	o2 = malloc(cap);
	o3 = malloc(cap);
	CHECK(o1 && o2 && o3);

	/* Paths and splits agree; strict fails exactly on a defect. */
	strict = fz_dec_checks(&mf__b64_codec, path, MF_STRICT, in, n,
	                       flags, a, b, o1, o2, o3, cap, &r1);
	if (strict.rc == MF_OK) {
		/* Re-encode and decode: the same bytes. */
		elen = mf_b64_encoded_len(strict.len, MF_B64_LINE, 0);
		e1 = malloc(elen + 1);
		CHECK(e1 != NULL);
		CHECK(mf_b64_encode(e1, elen, o2, strict.len, MF_B64_LINE, 0,
		                    &l1) == MF_OK);
		CHECK(l1 == elen);
		r1 = fz_dec(&mf__b64_codec, path, o1, cap, e1, l1,
		            MF_STRICT);
		CHECK(r1.rc == MF_OK && r1.len == strict.len &&
		      memcmp(o1, o2, r1.len) == 0);
		free(e1);
	}

	/* Encode the input as raw bytes. */
	line = (size_t)data[1] % 90;
	flags = data[0] & 0x80 ? MF_LF : 0;
	elen = mf_b64_encoded_len(n, line, flags);
	e1 = malloc(elen + 1);
	e2 = malloc(elen + 64);
	CHECK(e1 && e2);
	CHECK(mf__b64_encode_path(path, e1, elen, in, n, line, flags, &l1) ==
	      MF_OK);
	CHECK(l1 == elen);
	{
		mf_b64_enc st;
		size_t cuts[3] = {a, b, n}, pos = 0, k, got;

		CHECK(mf_b64_enc_init(&st, line, flags) == MF_OK);
		l2 = 0;
		for (k = 0; k < 3; k++) {
			CHECK(mf__b64_enc_update_path(
			          path, &st, e2 + l2,
			          mf_b64_encoded_len(cuts[k] - pos + 2, line,
			                             flags),
			          in + pos, cuts[k] - pos, &got) == MF_OK);
			l2 += got;
			pos = cuts[k];
		}
		CHECK(mf_b64_enc_final(&st, e2 + l2,
		                       mf_b64_encoded_len(2, line, flags),
		                       &got) == MF_OK);
		l2 += got;
		CHECK(l1 == l2 && memcmp(e1, e2, l1) == 0);
	}
	free(o1);
	o1 = malloc(n + 8);
	CHECK(o1 != NULL);
	r1 = fz_dec(&mf__b64_codec, path, o1, n + 8, e1, l1, MF_STRICT);
	CHECK(r1.rc == MF_OK && r1.def == 0 && r1.len == n &&
	      memcmp(o1, in, n) == 0);
	free(e1);
	free(e2);
	free(o1);
	free(o2);
	free(o3);
	return 0;
}
