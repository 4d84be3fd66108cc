/* SPDX-License-Identifier: MIT */
/*
 * core.h - internals shared by every layer: allocation through the caller's
 * hooks, the arena, output buffers, error and defect reporting, limits,
 * overflow-checked sizes and the ASCII character classes of the mail RFCs.
 * Everything here is hidden (mf__ prefix, -fvisibility=hidden).
 */
#ifndef MF_CORE_H
#define MF_CORE_H

#include <stdbool.h>
#include <string.h>

#include "mailfmt.h"

#if defined(__GNUC__)
#define MF__LIKELY(x) __builtin_expect(!!(x), 1)
#define MF__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MF__INLINE static inline __attribute__((always_inline))
#else
#define MF__LIKELY(x) (x)
#define MF__UNLIKELY(x) (x)
#define MF__INLINE static inline
#endif

/* ---------------------------------------------------------------------- */
/* Allocation                                                              */
/* ---------------------------------------------------------------------- */

/* a may be NULL (libc). All return NULL on failure or when n is 0. */
void *mf__alloc(const mf_alloc *a, size_t n);
void *mf__resize(const mf_alloc *a, void *p, size_t old, size_t n);
void mf__release(const mf_alloc *a, void *p);
/* Copies a (or a libc default when a is NULL or all NULL) into out. */
void mf__alloc_copy(mf_alloc *out, const mf_alloc *a);

/* Overflow-checked size arithmetic: false on overflow. */
MF__INLINE bool
mf__add(size_t a, size_t b, size_t *r)
{
	if (a > SIZE_MAX - b)
		return false;
	*r = a + b;
	return true;
}

MF__INLINE bool
mf__mul(size_t a, size_t b, size_t *r)
{
	if (b != 0 && a > SIZE_MAX / b)
		return false;
	*r = a * b;
	return true;
}

/*
 * Arena: bump allocation in blocks, everything freed at once. Allocations
 * are aligned to 16 bytes. Used for parse results (Dovecot pools).
 */
struct mf__arena_blk;
typedef struct mf__arena {
	mf_alloc a;
	struct mf__arena_blk *head;
	char *cur;
	size_t left;
	size_t next; /* size of the next block */
} mf__arena;

void mf__arena_init(mf__arena *ar, const mf_alloc *a);
void *mf__arena_alloc(mf__arena *ar, size_t n);
/* Zeroed allocation of n elements of size sz (overflow-checked). */
void *mf__arena_calloc(mf__arena *ar, size_t n, size_t sz);
/* Copy of p[0..n) followed by a NUL byte. */
char *mf__arena_dup(mf__arena *ar, const void *p, size_t n);
/* Bytes allocated from the allocator so far (for memory accounting). */
size_t mf__arena_size(const mf__arena *ar);
void mf__arena_free(mf__arena *ar);

/* ---------------------------------------------------------------------- */
/* Output buffer                                                           */
/* ---------------------------------------------------------------------- */

struct mf_buf {
	char *data; /* NULL until the first append; else NUL-terminated */
	size_t len;
	size_t cap; /* bytes allocated, including room for the NUL */
	mf_alloc a;
	bool fixed; /* the caller's fixed storage: no memory but cap bytes
		       (in-place work must use its room: charset.c) */
};

/* Initialises a buffer embedded in another object (no allocation). */
void mf__buf_init(mf_buf *b, const mf_alloc *a);
/* Frees the storage of an embedded buffer. */
void mf__buf_fini(mf_buf *b);
int mf__buf_grow(mf_buf *b, size_t n);

MF__INLINE int
mf__buf_put(mf_buf *b, const void *p, size_t n)
{
	if (MF__UNLIKELY(b->cap - b->len <= n)) {
		int rc = mf__buf_grow(b, n);
		if (rc < 0)
			return rc;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return MF_OK;
}

MF__INLINE int
mf__buf_putc(mf_buf *b, char c)
{
	return mf__buf_put(b, &c, 1);
}

MF__INLINE int
mf__buf_puts(mf_buf *b, const char *s)
{
	return mf__buf_put(b, s, strlen(s));
}

/* Truncates b back to len (<= b->len), keeping the NUL terminator. */
MF__INLINE void
mf__buf_cut(mf_buf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Errors, defects, limits                                                 */
/* ---------------------------------------------------------------------- */

/* Fills err (may be NULL) and returns code. */
int mf__err(mf_error *err, int code, size_t off, const char *reason);

/*
 * Records a defect: sets its bit in *mask (may be NULL), calls the option's
 * callback (o may be NULL). Returns MF_E_DEFECT when o has MF_STRICT, else
 * MF_OK; strict callers propagate it.
 */
int mf__defect(const mf_opts *o, uint64_t *mask, int defect, uint64_t off);

/*
 * mf__defect, and when that fails (strict) err (may be NULL) filled with
 * the failure at off, the defect's name as reason.
 */
MF__INLINE int
mf__defect_err(const mf_opts *o, uint64_t *mask, int defect, size_t off,
	       mf_error *err)
{
	int rc = mf__defect(o, mask, defect, off);

	if (rc < 0)
		return mf__err(err, rc, off, mf_defect_str(defect));
	return MF_OK;
}

/*
 * MF_OK when o (may be NULL) has no flags outside allowed, else MF_E_INVAL
 * with err (may be NULL) filled: every function refuses flags it does
 * not use (mailfmt(3), FLAGS).
 */
int mf__opts_check(const mf_opts *o, unsigned allowed, mf_error *err);

/* Effective limits of o (NULL: defaults). */
void mf__limits(const mf_opts *o, mf_limits *out);

/* ---------------------------------------------------------------------- */
/* Character classes (ASCII; bytes >= 0x80 are only in MF__C_HIGH)         */
/* ---------------------------------------------------------------------- */

enum {
	MF__C_ALPHA = 1 << 0,
	MF__C_DIGIT = 1 << 1,
	MF__C_HEX = 1 << 2,
	MF__C_WSP = 1 << 3,     /* SP, HTAB */
	MF__C_CTL = 1 << 4,     /* 0-31, 127 */
	MF__C_ATEXT = 1 << 5,   /* RFC 5322 3.2.3 */
	MF__C_SPECIAL = 1 << 6, /* RFC 5322 specials */
	MF__C_TOKEN = 1 << 7,   /* RFC 2045 token: no CTL, SP, tspecials */
	MF__C_FTEXT = 1 << 8,   /* RFC 5322 3.6.8: 33-126 except ":" */
	MF__C_QTEXT = 1 << 9,   /* RFC 5322 3.2.4 (+ obs: no CR LF) */
	MF__C_CTEXT = 1 << 10,  /* RFC 5322 3.2.2 */
	MF__C_DTEXT = 1 << 11,  /* RFC 5322 3.4.1 */
	MF__C_B64 = 1 << 12,    /* base64 alphabet, not "=" */
	MF__C_HIGH = 1 << 13    /* >= 0x80 (UTF-8 or 8-bit text) */
};

extern const uint16_t mf__cclass[256];

MF__INLINE bool
mf__is(unsigned char c, unsigned cls)
{
	return (mf__cclass[c] & cls) != 0;
}

/* Lower-case ASCII only (no branch: hot in case-insensitive compares). */
MF__INLINE unsigned char
mf__lower(unsigned char c)
{
	return (unsigned char)(c + (((unsigned)(c - 'A') < 26u) << 5));
}

/*
 * memset(p, 0, n) in 64-byte pieces, for the result structs a parse call
 * clears each time: compilers then store vector registers instead of
 * using rep stos, whose start-up cost is most of the work at this size.
 */
MF__INLINE void
mf__zero(void *p, size_t n)
{
	char *q = (char *)p;
	size_t i;

	for (i = 0; i + 64 <= n; i += 64)
		memset(q + i, 0, 64);
	memset(q + i, 0, n - i);
}

/* Eight bytes with their ASCII capitals made small, exactly (SWAR). */
MF__INLINE uint64_t
mf__lower8(uint64_t w)
{
	const uint64_t highs = 0x8080808080808080ull;
	uint64_t h = w & ~highs;                   /* the low seven bits */
	uint64_t ge_a = h + 0x3F3F3F3F3F3F3F3Full; /* >= 'A': bit 7 set */
	uint64_t gt_z = h + 0x2525252525252525ull; /* > 'Z': bit 7 set */
	uint64_t up = (ge_a ^ gt_z) & ~w & highs;  /* and ASCII */

	return w | (up >> 2);
}

/* ASCII case-insensitive equality of a[0..n) and b[0..n). */
bool mf__ieq_n(const char *a, const char *b, size_t n);

/* ASCII case-insensitive equality of two spans (the lengths compared
 * inline: most calls differ there). */
MF__INLINE bool
mf__ieq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && mf__ieq_n(a, b, an);
}

/* Index of the lowest set bit of x (x != 0). */
MF__INLINE unsigned
mf__ctz64(uint64_t x)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctzll(x);
#else
	unsigned n = 0;

	while ((x & 1) == 0) {
		x >>= 1;
		n++;
	}
	return n;
#endif
}

/* Value of a hex digit, or -1. */
MF__INLINE int
mf__hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = mf__lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ---------------------------------------------------------------------- */
/* UTF-8                                                                   */
/* ---------------------------------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence starting at p (1-4), or 0 if the bytes
 * at p do not start a complete, valid sequence (overlong, surrogate, over
 * U+10FFFF or truncated by n).
 */
size_t mf__utf8_seq(const unsigned char *p, size_t n);
/* Whether p[0..n) is entirely valid UTF-8. */
bool mf__utf8_valid(const char *p, size_t n);
/* Appends code point cp (U+FFFD if invalid) to b. */
int mf__utf8_put(mf_buf *b, uint32_t cp);
/*
 * MF_SAFE_TEXT: replaces every C0 control but TAB, DEL and every C1
 * control (U+0080-U+009F) in b->data[from..) by U+FFFD. MF_OK or
 * MF_E_NOMEM (b unchanged).
 */
int mf__safe_text(mf_buf *b, size_t from);

#endif /* MF_CORE_H */
