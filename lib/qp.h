/* SPDX-License-Identifier: MIT */
/*
 * qp.h - internals of the quoted-printable codec (lib/qp.c): the scanning
 * functions of each path and the streaming calls with a chosen path, for
 * tests and the benchmark. Paths are those of lib/b64.h (MF__PATH_*).
 */
#ifndef MF_QP_H
#define MF_QP_H

#include "b64.h"

/* Length of the prefix of p[0..n) without "=", CR or LF (decoder runs). */
size_t mf__qp_dscan_scalar(const unsigned char *p, size_t n);
size_t mf__qp_dscan_ssse3(const unsigned char *p, size_t n);
size_t mf__qp_dscan_avx2(const unsigned char *p, size_t n);

/* Length of the prefix of p[0..n) of bytes 0x20-0x7E other than "=". */
size_t mf__qp_escan_scalar(const unsigned char *p, size_t n);
size_t mf__qp_escan_ssse3(const unsigned char *p, size_t n);
size_t mf__qp_escan_avx2(const unsigned char *p, size_t n);

int mf__qp_enc_update_path(int path, mf_qp_enc *st, char *out, size_t cap,
                           const void *in, size_t n, size_t *outlen);
int mf__qp_dec_update_path(int path, mf_qp_dec *st, void *out, size_t cap,
                           const char *in, size_t n, size_t *outlen,
                           mf_error *err);
int mf__qp_encode_path(int path, char *out, size_t cap, const void *in,
                       size_t n, unsigned flags, size_t *outlen);
int mf__qp_decode_path(int path, void *out, size_t cap, const char *in,
                       size_t n, unsigned flags, size_t *outlen,
                       uint64_t *defects, mf_error *err);

#endif /* MF_QP_H */
