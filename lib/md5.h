/* SPDX-License-Identifier: MIT */
/*
 * md5.h - MD5 (RFC 1321), internal: the digest APOP needs (RFC 1939 7).
 * MD5 is broken as a collision-resistant hash; it is here only because
 * protocols still name it. Hidden (mf__ prefix).
 */
#ifndef MF_MD5_H
#define MF_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MF__MD5_LEN 16

typedef struct mf__md5_ctx {
	uint32_t h[4];           /* state A, B, C, D */
	uint64_t len;            /* bytes hashed so far */
	unsigned char buf[64];   /* the open block */
} mf__md5_ctx;

void mf__md5_init(mf__md5_ctx *c);
void mf__md5_update(mf__md5_ctx *c, const void *p, size_t n);
/* Writes the 16-byte digest and wipes the context. */
void mf__md5_final(mf__md5_ctx *c, unsigned char out[MF__MD5_LEN]);
/* One call: the digest of p[0..n). */
void mf__md5(const void *p, size_t n, unsigned char out[MF__MD5_LEN]);

#endif /* MF_MD5_H */
