/* SPDX-License-Identifier: MIT */
/*
 * fcodec.h - helpers of the codec fuzz targets: decode results through a
 * codec's mf__codec calls (one-shot, and streaming with cut points) and
 * their comparison (fuzz_b64, fuzz_qp); the expected decoding of text that
 * the header codecs encoded (fuzz_ew, fuzz_rfc2231).
 */
#ifndef FCODEC_H
#define FCODEC_H

#include "fuzz.h"

#include "charset.h"
#include "codec.h"

struct res {
	int rc;
	size_t off, len;
	uint64_t def;
};

/*
 * The input layout of the transfer-encoding targets: byte 0 bit 0 strict
 * decoding (*flags gets strict_flag), bits 1-2 the path; byte 1 the cut
 * points a <= b <= n; the rest is the input in[0..n). Returns 0 for
 * input too short.
 */
static inline int
fz_input(const uint8_t *data, size_t size, unsigned strict_flag,
         const char **in, size_t *n, size_t *a, size_t *b, int *path,
         unsigned *flags)
{
	if (size < 2)
		return 0;
	*flags = data[0] & 1 ? strict_flag : 0;
	*path = (data[0] >> 1) % 3;
	if (!mf__path_ok(*path))
		*path = MF__PATH_SCALAR;
	*in = (const char *)data + 2;
	*n = size - 2;
	*a = *n ? (size_t)data[1] * 7919 % (*n + 1) : 0;
	*b = *a + (*n - *a) / 2;
	return 1;
}

/* One-shot decode of in[0..n) on path into out[0..cap). */
static inline struct res
fz_dec(const mf__codec *c, int path, unsigned char *out, size_t cap,
       const char *in, size_t n, unsigned flags)
{
	void *st = calloc(1, c->dec_size);
	struct res r;
	mf_error e;

	CHECK(st != NULL);
	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	r.rc = mf__codec_decode(c, path, st, out, cap, in, n, flags, &r.len,
	                        &r.def, &e);
	r.off = r.rc < 0 ? e.offset : 0;
	free(st);
	return r;
}

/* Streaming decode, chunks ending at a, b and n (a <= b <= n). */
static inline struct res
fz_dec_split(const mf__codec *c, int path, unsigned char *out, const char *in,
             size_t n, unsigned flags, size_t a, size_t b)
{
	size_t cuts[3] = {a, b, n}, pos = 0, k, got;
	void *st = calloc(1, c->dec_size);
	mf_error e;
	struct res r;

	CHECK(st != NULL);
	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	memcpy(st, &flags, sizeof(flags)); /* the first member */
	for (k = 0; k < 3; k++) {
		got = 0;
		r.rc = c->dec_update(path, st, out + r.len,
		                     c->decoded_len(cuts[k] - pos), in + pos,
		                     cuts[k] - pos, &got, &e);
		r.len += got;
		pos = cuts[k];
		if (r.rc < 0)
			break;
	}
	if (r.rc >= 0) {
		got = 0;
		r.rc =
		    c->dec_final(st, out + r.len, c->decoded_len(0), &got, &e);
		r.len += got;
	}
	r.off = r.rc < 0 ? e.offset : 0;
	memcpy(&r.def, (const char *)st + c->dec_defects, sizeof(r.def));
	free(st);
	return r;
}

static inline int
fz_same(const struct res *a, const unsigned char *ao, const struct res *b,
        const unsigned char *bo)
{
	return a->rc == b->rc && a->off == b->off && a->def == b->def &&
	       a->len == b->len && memcmp(ao, bo, a->len) == 0;
}

/*
 * The decoder checks both codecs share, on in[0..n) with flags (path,
 * cut points a <= b <= n): path equals the scalar path, streaming equals
 * one-shot; strict (strict_flag) fails exactly when lenient records a
 * defect, giving the same bytes when it does not. *ref gets the scalar
 * decode with flags (output in o1), the result is the strict decode
 * (output in o2); o1, o2 and o3 hold cap bytes each.
 */
static inline struct res
fz_dec_checks(const mf__codec *c, int path, unsigned strict_flag,
              const char *in, size_t n, unsigned flags, size_t a, size_t b,
              unsigned char *o1, unsigned char *o2, unsigned char *o3,
              size_t cap, struct res *ref)
{
	struct res r2, r3, strict, lenient;

	*ref = fz_dec(c, MF__PATH_SCALAR, o1, cap, in, n, flags);
	r2 = fz_dec(c, path, o2, cap, in, n, flags);
	CHECK(fz_same(ref, o1, &r2, o2));
	r3 = fz_dec_split(c, path, o3, in, n, flags, a, b);
	CHECK(fz_same(ref, o1, &r3, o3));
	CHECK(ref->len <= c->decoded_len(n));

	strict = fz_dec(c, path, o2, cap, in, n, strict_flag);
	lenient = fz_dec(c, path, o3, cap, in, n, 0);
	CHECK(lenient.rc == MF_OK);
	CHECK((strict.rc < 0) == (lenient.def != 0));
	if (strict.rc == MF_OK)
		CHECK(lenient.len == strict.len &&
		      memcmp(o2, o3, strict.len) == 0);
	return strict;
}

/*
 * got is text p[0..n) as decoded back by a header codec: p read as UTF-8
 * (invalid bytes as U+FFFD) with NUL as U+FFFD; def the defects of that
 * decode, where a NUL is the only one. scratch is an empty buffer.
 */
static inline void
fz_check_text(const mf_buf *got, mf_buf *scratch, const char *p, size_t n,
              uint64_t def)
{
	bool found;

	CHECK(mf_charset_to_utf8(scratch, "utf-8", 5, p, n, NULL, NULL, NULL) ==
	      MF_OK);
	CHECK(mf__utf8_fix_nul(scratch, 0, &found) == MF_OK);
	CHECK(def == (found ? MF_DEFECT_BIT(MF_D_NUL) : 0));
	CHECK(mf_buf_len(got) == mf_buf_len(scratch) &&
	      memcmp(mf_buf_data(got), mf_buf_data(scratch),
	             mf_buf_len(scratch)) == 0);
}

#endif /* FCODEC_H */
