/* SPDX-License-Identifier: MIT */
/*
 * qp.h - internals of the quoted-printable codec (lib/qp.c): the scanning
 * functions of each path and the streaming calls with a chosen path, for
 * tests and the benchmark. Paths are those of lib/codec.h (MF__PATH_*).
 */
#ifndef MF_QP_H
#define MF_QP_H

#include "codec.h"

/* The codec's streaming calls for the one-shot calls and the tests. */
extern const mf__codec mf__qp_codec;

/*
 * The scanners of each path (indexed by MF__PATH_SCALAR, _SSSE3, _AVX2).
 * dscan: length of the prefix of p[0..n) without "=", CR or LF (decoder
 * runs). escan: length of the prefix of p[0..lim) of bytes 0x20-0x7E
 * other than "=", reading no further than p[avail) (avail >= lim).
 */
typedef size_t mf__qp_dscan_fn(const unsigned char *p, size_t n);
typedef size_t mf__qp_escan_fn(const unsigned char *p, size_t lim,
                               size_t avail);
extern mf__qp_dscan_fn *const mf__qp_dscan[3];
extern mf__qp_escan_fn *const mf__qp_escan[3];

/*
 * The encoder's byte classes for a block of 64 bytes s[0..64), bit p for
 * byte p: esc the bytes always escaped (8-bit, "=", controls but HTAB,
 * and but CR and LF when text), lf, cr, ws (SP and HTAB). One function
 * per path, indexed as the scanners.
 */
struct mf__qp_emask {
	uint64_t esc, lf, cr, ws;
};
typedef void mf__qp_emask_fn(const unsigned char *s, int text,
                             struct mf__qp_emask *m);
extern mf__qp_emask_fn *const mf__qp_emask[3];

/*
 * The encoder's block steps (with the masks of each path): encode whole
 * 64-byte blocks of s from s[*ip] to d[*op] in mode flags while 66 input
 * bytes and MF__QP_BLOCK_ROOM of output room are left, continuing the
 * line at column *colp (<= 75); stop before a "." or "F" that would start
 * a line in MF_QP_SAFE mode. The scalar one is the tests' twin.
 */
#define MF__QP_BLOCK_IN 66u
#define MF__QP_BLOCK_ROOM (3u * 64 + 9 + 64 + 4)
typedef void mf__qp_enc_blocks_fn(unsigned flags, char *d, size_t cap,
                                  size_t *op, const unsigned char *s,
                                  size_t *ip, size_t n, unsigned *colp);
extern mf__qp_enc_blocks_fn *const mf__qp_enc_blocks[3];

/* The streaming calls with a chosen path; st an mf_qp_enc, an mf_qp_dec. */
/*
 * Ends a QP body whose last line end was taken away (by a MIME delimiter,
 * RFC 2046 5.1.1, or the end of the message): when st holds "=" and only
 * white space after it, that is a soft line break (RFC 2045 6.7 rule 5),
 * so it is dropped, as if the line end had come. Then mf_qp_dec_final.
 */
int mf__qp_dec_final_body(mf_qp_dec *st, void *out, size_t cap,
			  size_t *outlen, mf_error *err);

int mf__qp_enc_update_path(int path, void *st, char *out, size_t cap,
                           const void *in, size_t n, size_t *outlen);
int mf__qp_dec_update_path(int path, void *st, void *out, size_t cap,
                           const char *in, size_t n, size_t *outlen,
                           mf_error *err);
int mf__qp_encode_path(int path, char *out, size_t cap, const void *in,
                       size_t n, unsigned flags, size_t *outlen);
int mf__qp_decode_path(int path, void *out, size_t cap, const char *in,
                       size_t n, unsigned flags, size_t *outlen,
                       uint64_t *defects, mf_error *err);

#endif /* MF_QP_H */
