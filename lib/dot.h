/* SPDX-License-Identifier: MIT */
/*
 * dot.h - internals of the dot-stuffing codec (lib/dot.c): the line-end
 * scanner of each code path and the streaming calls with a chosen path,
 * for the tests (every path against the scalar one) and the benchmark.
 * Paths are those of lib/codec.h (MF__PATH_*).
 */
#ifndef MF_DOT_H
#define MF_DOT_H

#include "codec.h"

/* Index of the first CR or LF in p[0..n), or n; indexed by path. */
typedef size_t mf__dot_scan_fn(const unsigned char *p, size_t n);
extern mf__dot_scan_fn *const mf__dot_scan[3];

/*
 * The length k of the prefix of p[0..n) (p[0] inside a line) that goes
 * through both directions as it is: CR only in CRLF, no "." after LF, and
 * (max > 0) no line over max octets; lines start at *ls, in positions
 * shifted by cur (p[i] is at cur + i), and *ls moves past each LF. Never
 * ends between CR and LF. With out (room for n bytes) the prefix is also
 * copied there (bytes after it may be written too). Indexed by path; all
 * give the same answer.
 */
typedef size_t mf__dot_clean_fn(unsigned char *out, const unsigned char *p,
                                size_t n, size_t max, size_t cur, size_t *ls);
extern mf__dot_clean_fn *const mf__dot_clean[3];

int mf__dot_enc_update_path(int path, mf_dot_enc *st, char *out, size_t cap,
                            const void *in, size_t n, size_t *outlen);
int mf__dot_dec_update_path(int path, mf_dot_dec *st, void *out, size_t cap,
                            const char *in, size_t n, size_t *outlen,
                            size_t *consumed, mf_error *err);

#endif /* MF_DOT_H */
