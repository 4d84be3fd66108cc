/* SPDX-License-Identifier: MIT */
/*
 * fuzz_qp.c - quoted-printable. Byte 0 chooses flags and path, byte 1 the
 * split points; the rest is the input. Checks:
 *  - decode: every path equals the scalar one; streaming with two splits
 *    equals one-shot; strict fails exactly when lenient records a defect;
 *    strict success implies that re-encoding (binary) and decoding gives
 *    the same bytes;
 *  - encode of the input: streaming equals one-shot, lines within 76
 *    characters, and decoding gives the input (binary mode) or the input
 *    with its line breaks in the chosen form (text mode).
 */
#include "fcodec.h"

#include "qp.h"

/* Lines within 76 characters, no bytes outside the encoder's set. */
static void
check_lines(const unsigned char *p, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			col = 0;
			continue;
		}
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		CHECK(p[i] == ' ' || p[i] == '\t' ||
		      (p[i] >= 33 && p[i] <= 126));
		col++;
		CHECK(col <= 76);
	}
}

/* Text mode: CRLF and bare LF become eol. */
static size_t
normalise(const char *in, size_t n, unsigned char *out, int lf)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
			continue;
		if (in[i] == '\n' && !lf)
			out[o++] = '\r';
		out[o++] = (unsigned char)in[i];
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned modes[8] = {0,
	                                  MF_LF,
	                                  MF_QP_BINARY,
	                                  MF_QP_BINARY | MF_LF,
	                                  MF_QP_SAFE,
	                                  MF_QP_SAFE | MF_LF,
	                                  MF_QP_SAFE | MF_QP_BINARY,
	                                  MF_QP_SAFE | MF_QP_BINARY | MF_LF};
	const char *in;
	size_t n, cap, a, b, elen, l1, l2, nn;
	unsigned flags;
	int path;
	unsigned char *o1, *o2, *o3;
	char *e1, *e2;
	struct res r1, strict;

	if (!fz_input(data, size, MF_STRICT, &in, &n, &a, &b, &path, &flags))
		return 0;
	cap = mf_qp_decoded_len(n) + 4 * (MF_QP_MAX_WSP + 2);
	elen = mf_qp_encoded_len(n, 0) + 4 * mf_qp_encoded_len(0, 0);
	if (cap < elen)
		cap = elen;
	o1 = malloc(cap);
	o2 = malloc(cap);
	o3 = malloc(cap);
	CHECK(o1 && o2 && o3);

	strict = fz_dec_checks(&mf__qp_codec, path, MF_STRICT, in, n, flags,
	                       a, b, o1, o2, o3, cap, &r1);
	CHECK(r1.len <= n);
	if (strict.rc == MF_OK) {
		elen = mf_qp_encoded_len(strict.len, MF_QP_BINARY);
		e1 = malloc(elen);
		CHECK(e1 != NULL);
		CHECK(mf_qp_encode(e1, elen, o2, strict.len, MF_QP_BINARY,
		                   &l1) == MF_OK);
		r1 = fz_dec(&mf__qp_codec, path, o1, cap, e1, l1, MF_STRICT);
		CHECK(r1.rc == MF_OK && r1.len == strict.len &&
		      memcmp(o1, o2, r1.len) == 0);
		free(e1);
	}

	/* Encode the input. */
	flags = modes[(data[0] >> 3) & 7];
	elen = mf_qp_encoded_len(n, flags);
	e1 = malloc(elen);
	e2 = malloc(elen + 4 * mf_qp_encoded_len(0, flags));
	CHECK(e1 && e2);
	CHECK(mf__qp_encode_path(path, e1, elen, in, n, flags, &l1) == MF_OK);
	check_lines((const unsigned char *)e1, l1);
	{
		mf_qp_enc st;
		size_t cuts[3] = {a, b, n}, pos = 0, k, got;

		CHECK(mf_qp_enc_init(&st, flags) == MF_OK);
		l2 = 0;
		for (k = 0; k < 3; k++) {
			CHECK(mf__qp_enc_update_path(
			          path, &st, e2 + l2,
			          mf_qp_encoded_len(cuts[k] - pos, flags),
			          in + pos, cuts[k] - pos, &got) == MF_OK);
			l2 += got;
			pos = cuts[k];
		}
		CHECK(mf_qp_enc_final(&st, e2 + l2, mf_qp_encoded_len(0, flags),
		                      &got) == MF_OK);
		l2 += got;
		CHECK(l1 == l2 && memcmp(e1, e2, l1) == 0);
	}
	r1 = fz_dec(&mf__qp_codec, path, o1, cap, e1, l1, MF_STRICT);
	CHECK(r1.rc == MF_OK && r1.def == 0);
	if (flags & MF_QP_BINARY) {
		CHECK(r1.len == n && memcmp(o1, in, n) == 0);
	} else {
		unsigned char *norm = malloc(2 * n + 1);
		CHECK(norm != NULL);
		nn = normalise(in, n, norm, (flags & MF_LF) != 0);
		CHECK(r1.len == nn && memcmp(o1, norm, nn) == 0);
		free(norm);
	}
	free(e1);
	free(e2);
	free(o1);
	free(o2);
	free(o3);
	return 0;
}
