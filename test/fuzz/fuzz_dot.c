/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dot.c - dot-stuffing (lib/dot.c). Byte 0 chooses the flags
 * (MF_ACCEPT_LF, MF_LONG_LINES), the path and a small line limit; byte 1
 * the split points; the rest is the input. Checks:
 *  - decode: every path and streaming with two splits equal the scalar
 *    one-shot (output, end, defects and the first defect's offset); the
 *    output never exceeds the input; the end is a "." line preceded by a
 *    line end (strict: CRLF "." CRLF exactly); without defects, strict
 *    output has only CRLF line ends;
 *  - encode: streaming with two splits equals one-shot, the output has
 *    only CRLF line ends and no line "." but the last, and decoding it
 *    ends exactly at its end, without defects, with the input's lines.
 */
#include "fuzz.h"

#include "dot.h"

struct dres {
	int rc;
	size_t len, used;
	uint64_t def, doff;
};

static struct dres
dec(int path, unsigned flags, size_t max, const char *in, size_t n, size_t a,
    size_t b, char *out)
{
	size_t cuts[3] = {a, b, n}, pos = 0, k;
	mf_dot_dec st;
	struct dres r;

	memset(&st, 0, sizeof(st));
	memset(&r, 0, sizeof(r));
	st.flags = flags;
	st.max_line = max;
	r.rc = MF_MORE;
	for (k = 0; k < 3 && r.rc == MF_MORE; k++) {
		size_t got, used;

		r.rc = mf__dot_dec_update_path(
		    path, &st, out + r.len, mf_dot_decoded_len(cuts[k] - pos),
		    in + pos, cuts[k] - pos, &got, &used, NULL);
		CHECK(r.rc == MF_OK || r.rc == MF_MORE);
		CHECK(used <= cuts[k] - pos);
		CHECK(r.rc == MF_OK || used == cuts[k] - pos);
		r.len += got;
		pos += used;
	}
	r.used = pos;
	r.def = st.defects;
	r.doff = st.defect_off;
	CHECK(st.done == (r.rc == MF_OK));
	return r;
}

static void
same(const struct dres *x, const struct dres *y, const char *o1, const char *o2)
{
	CHECK(x->rc == y->rc && x->len == y->len && x->used == y->used);
	CHECK(x->def == y->def && (x->def == 0 || x->doff == y->doff));
	CHECK(memcmp(o1, o2, x->len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	size_t n, a, b, max, elen, l1, l2, i, got;
	unsigned flags;
	int path;
	char *o1, *o2, *e1, *e2;
	struct dres r1, r2;
	mf_dot_enc st;

	if (size < 2)
		return 0;
	flags = (data[0] & 1 ? MF_ACCEPT_LF : 0) |
	        (data[0] & 2 ? MF_LONG_LINES : 0);
	path = (data[0] >> 2) % 3;
	if (!mf__path_ok(path))
		path = MF__PATH_SCALAR;
	max = (data[0] >> 4) * 3; /* 0: the default */
	in = (const char *)data + 2;
	n = size - 2;
	a = n ? (size_t)data[1] * 7919 % (n + 1) : 0;
	b = a + (n - a) / 2;
	o1 = malloc(n + 3);
	o2 = malloc(n + 3);
	CHECK(o1 != NULL && o2 != NULL);

	r1 = dec(MF__PATH_SCALAR, flags, max, in, n, n, n, o1);
	r2 = dec(path, flags, max, in, n, a, b, o2);
	same(&r1, &r2, o1, o2);
	CHECK(r1.len <= r1.used);
	if (r1.rc == MF_OK) {
		const char *t = in + r1.used;

		/* The terminating line, after a line end (or at the start). */
		if (flags & MF_ACCEPT_LF) {
			CHECK(t[-1] == '\n');
			i = t[-2] == '\r' ? 3 : 2;
			CHECK(r1.used >= i && t[-(long)i] == '.');
			CHECK(r1.used == i || t[-(long)i - 1] == '\n');
		} else {
			CHECK(r1.used >= 3 && memcmp(t - 3, ".\r\n", 3) == 0);
			CHECK(r1.used == 3 ||
			      (r1.used >= 5 && t[-4] == '\n' && t[-5] == '\r'));
		}
	}
	if (r1.def == 0 && !(flags & MF_ACCEPT_LF)) {
		for (i = 0; i < r1.len; i++) {
			if (o1[i] == '\n')
				CHECK(i > 0 && o1[i - 1] == '\r');
			if (o1[i] == '\r')
				CHECK(i + 1 < r1.len ? o1[i + 1] == '\n'
				                     : r1.rc == MF_MORE);
		}
	}

	/* Encode: one-shot and streaming. */
	elen = mf_dot_encoded_len(n);
	e1 = malloc(elen);
	e2 = malloc(elen);
	CHECK(e1 != NULL && e2 != NULL);
	CHECK(mf_dot_encode(e1, elen, in, n, &l1) == MF_OK);
	memset(&st, 0, sizeof(st));
	l2 = 0;
	CHECK(mf__dot_enc_update_path(path, &st, e2, elen, in, a, &got) ==
	      MF_OK);
	l2 += got;
	CHECK(mf__dot_enc_update_path(path, &st, e2 + l2, elen - l2, in + a,
	                              b - a, &got) == MF_OK);
	l2 += got;
	CHECK(mf_dot_enc_update(&st, e2 + l2, elen - l2, in + b, n - b, &got) ==
	      MF_OK);
	l2 += got;
	CHECK(mf_dot_enc_final(&st, e2 + l2, elen - l2, &got) == MF_OK);
	l2 += got;
	CHECK(l1 == l2 && memcmp(e1, e2, l1) == 0);
	for (i = 0; i < l1; i++) {
		if (e1[i] == '\n')
			CHECK(i > 0 && e1[i - 1] == '\r');
		if (e1[i] == '\r')
			CHECK(i + 1 < l1 && e1[i + 1] == '\n');
	}
	/* Decoding the encoding: the end is its end, no defects. */
	free(o1);
	o1 = malloc(l1 + 1);
	CHECK(o1 != NULL);
	r1 = dec(path, 0, 0, e1, l1, a < l1 ? a : l1, b < l1 ? b : l1, o1);
	CHECK(r1.rc == MF_OK && r1.used == l1);
	CHECK((r1.def & ~MF_DEFECT_BIT(MF_D_LONG_LINE)) == 0);
	/* Its lines are the input's, every line end as CRLF. */
	{
		size_t o = 0;

		for (i = 0; i < n; i++) {
			if (in[i] == '\r' || in[i] == '\n') {
				if (in[i] == '\r' && i + 1 < n &&
				    in[i + 1] == '\n')
					i++;
				CHECK(o + 2 <= r1.len &&
				      memcmp(o1 + o, "\r\n", 2) == 0);
				o += 2;
			} else {
				CHECK(o < r1.len && o1[o] == in[i]);
				o++;
			}
		}
		if (o > 0 && o1[o - 1] != '\n')
			o += 2;
		CHECK(o == r1.len);
	}
	free(o1);
	free(o2);
	free(e1);
	free(e2);
	return 0;
}
