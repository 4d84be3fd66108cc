/* SPDX-License-Identifier: MIT */
/*
 * b64.h - internals of the base64 codec (lib/b64.c): the per-path block
 * functions, so that tests and the benchmark can run every path (portable
 * scalar, SSSE3, AVX2; codec.h) and compare them. Hidden (mf__ prefix).
 */
#ifndef MF_B64_H
#define MF_B64_H

#include "codec.h"

/* The codec's streaming calls for the one-shot calls and the tests. */
extern const mf__codec mf__b64_codec;

/*
 * Block encoders: in[0..n), n a multiple of 3, to 4n/3 characters at out,
 * no line ends. The bytes in[n..avail) may be read (never written) to
 * allow wider loads; avail >= n.
 */
void mf__b64_enc_scalar(char *out, const unsigned char *in, size_t n,
                        size_t avail);
void mf__b64_enc_ssse3(char *out, const unsigned char *in, size_t n,
                       size_t avail);
void mf__b64_enc_avx2(char *out, const unsigned char *in, size_t n,
                      size_t avail);

/*
 * Block decoders: decode the longest prefix of in[0..n) made of whole
 * 4-character groups of alphabet characters (no padding, whitespace or
 * junk) that fits in cap output bytes, also skipping CR and LF bytes found
 * between groups (MIME line ends; a no-op for the decoder state there).
 * *consumed gets the characters used; returns the bytes written (3 per
 * group). Bytes past out[return value) but within cap may be changed.
 */
size_t mf__b64_dec_scalar(unsigned char *out, size_t cap, const char *in,
                          size_t n, size_t *consumed);
size_t mf__b64_dec_ssse3(unsigned char *out, size_t cap, const char *in,
                         size_t n, size_t *consumed);
size_t mf__b64_dec_avx2(unsigned char *out, size_t cap, const char *in,
                        size_t n, size_t *consumed);

/*
 * The public streaming calls with a chosen path (MF__PATH_*); st is an
 * mf_b64_enc, an mf_b64_dec.
 */
int mf__b64_enc_update_path(int path, void *st, char *out, size_t cap,
                            const void *in, size_t n, size_t *outlen);
int mf__b64_dec_update_path(int path, void *st, void *out, size_t cap,
                            const char *in, size_t n, size_t *outlen,
                            mf_error *err);
/* One-shot with a chosen path. */
int mf__b64_encode_path(int path, char *out, size_t cap, const void *in,
                        size_t n, size_t line_len, unsigned flags,
                        size_t *outlen);
int mf__b64_decode_path(int path, void *out, size_t cap, const char *in,
                        size_t n, unsigned flags, size_t *outlen,
                        uint64_t *defects, mf_error *err);

#endif /* MF_B64_H */
