/* SPDX-License-Identifier: MIT */
/*
 * tcodec.h - test scaffolding shared by the transfer-encoding codec tests
 * (test_b64.c, test_qp.c): the code paths, decode results and their
 * comparison, one-shot and streaming decodes through a codec's mf__codec
 * calls, and the split-point run (streaming == one-shot for every split).
 */
#ifndef TCODEC_H
#define TCODEC_H

#include "tutil.h"

#include "codec.h"

static const int paths[] = {MF__PATH_SCALAR, MF__PATH_SSSE3, MF__PATH_AVX2};
#define NPATHS 3

/* Result of a call, for comparisons. */
struct res {
	int rc;
	size_t off; /* err->offset when rc < 0 */
	uint64_t defects;
	size_t len;
	unsigned char *out;
};

static inline void
res_free(struct res *r)
{
	free(r->out);
	r->out = NULL;
}

static inline void
res_eq(const struct res *a, const struct res *b, const char *label)
{
	if (a->rc != b->rc || a->off != b->off || a->defects != b->defects)
		fail_msg("%s: rc %d/%d off %zu/%zu defects %llx/%llx", label,
		         a->rc, b->rc, a->off, b->off,
		         (unsigned long long)a->defects,
		         (unsigned long long)b->defects);
	tu_assert_mem(a->out, a->len, b->out, b->len, label);
}

/* One-shot decode of in[0..n) on path, into c->decoded_len(n) bytes. */
static inline struct res
tc_decode(const mf__codec *c, int path, const char *in, size_t n,
          unsigned flags)
{
	struct res r;
	size_t cap = c->decoded_len(n);
	void *st = calloc(1, c->dec_size);
	mf_error e = {0, 0, NULL};

	memset(&r, 0, sizeof(r));
	r.out = malloc(cap + 1);
	assert_non_null(r.out);
	assert_non_null(st);
	r.rc = mf__codec_decode(c, path, st, r.out, cap, in, n, flags, &r.len,
	                        &r.defects, &e);
	r.off = r.rc < 0 ? e.offset : 0;
	if (r.rc < 0)
		assert_int_equal(e.code, r.rc);
	free(st);
	return r;
}

/*
 * Streaming decode with chunks ending at the cut points cuts[0..ncut)
 * (ascending), each update given exactly c->decoded_len(chunk) bytes, and
 * final c->decoded_len(0).
 */
static inline struct res
tc_dec_stream(const mf__codec *c, int path, const char *in, size_t n,
              unsigned flags, const size_t *cuts, size_t ncut)
{
	struct res r;
	void *st = calloc(1, c->dec_size);
	mf_error e = {0, 0, NULL};
	size_t pos = 0, k, room = c->decoded_len(0) + 8;

	memset(&r, 0, sizeof(r));
	assert_non_null(st);
	memcpy(st, &flags, sizeof(flags)); /* the first member */
	for (k = 0; k <= ncut; k++)
		room += c->decoded_len((k < ncut ? cuts[k] : n) -
		                       (k > 0 ? cuts[k - 1] : 0));
	r.out = malloc(room);
	assert_non_null(r.out);
	for (k = 0; k <= ncut; k++) {
		size_t end = k < ncut ? cuts[k] : n, got = 0;
		r.rc = c->dec_update(path, st, r.out + r.len,
		                     c->decoded_len(end - pos), in + pos,
		                     end - pos, &got, &e);
		r.len += got;
		pos = end;
		if (r.rc < 0)
			break;
	}
	if (r.rc >= 0) {
		size_t got = 0;
		r.rc = c->dec_final(st, r.out + r.len, c->decoded_len(0), &got,
		                    &e);
		r.len += got;
	}
	r.off = r.rc < 0 ? e.offset : 0;
	memcpy(&r.defects, (const char *)st + c->dec_defects,
	       sizeof(r.defects));
	free(st);
	return r;
}

/*
 * Streaming == one-shot (scalar path) for in[0..n): every pair of cut
 * points when n < 40, every single cut point otherwise; the path rotates
 * with the cuts.
 */
static inline void
tc_dec_splits(const mf__codec *c, const char *in, size_t n, unsigned flags,
              size_t iter)
{
	struct res ref = tc_decode(c, MF__PATH_SCALAR, in, n, flags);
	size_t a, b;

	for (a = 0; a <= n; a++) {
		for (b = n < 40 ? a : n; b <= n; b++) {
			size_t cuts[2] = {a, b};
			int p = (int)((a + b) % NPATHS);
			struct res got =
			    tc_dec_stream(c, paths[p], in, n, flags, cuts, 2);
			char label[64];

			snprintf(label, sizeof(label), "iter %zu split %zu,%zu",
			         iter, a, b);
			res_eq(&got, &ref, label);
			res_free(&got);
		}
	}
	res_free(&ref);
}

#endif /* TCODEC_H */
