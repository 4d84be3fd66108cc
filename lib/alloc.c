/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - allocation through per-object hooks (zlib's zalloc/opaque model,
 * never a process-wide allocator) and the bump arena that owns parse
 * results. Every failure is reported to the caller as NULL; nothing here
 * aborts.
 */
#include <stdlib.h>

#include "core.h"

static void *
libc_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void *
libc_resize(void *ctx, void *p, size_t n)
{
	(void)ctx;
	return realloc(p, n);
}

static void
libc_release(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

void
mf__alloc_copy(mf_alloc *out, const mf_alloc *a)
{
	if (a == NULL || a->alloc == NULL || a->release == NULL) {
		out->alloc = libc_alloc;
		out->resize = libc_resize;
		out->release = libc_release;
		out->ctx = NULL;
		return;
	}
	*out = *a;
}

void *
mf__alloc(const mf_alloc *a, size_t n)
{
	if (n == 0)
		return NULL;
	if (a == NULL || a->alloc == NULL || a->release == NULL)
		return malloc(n);
	return a->alloc(a->ctx, n);
}

void *
mf__resize(const mf_alloc *a, void *p, size_t old, size_t n)
{
	void *q;

	if (n == 0)
		return NULL;
	if (a == NULL || a->alloc == NULL || a->release == NULL)
		return realloc(p, n);
	if (a->resize != NULL)
		return a->resize(a->ctx, p, n);
	/* No resize hook: allocate, copy, release (old must be exact). */
	q = a->alloc(a->ctx, n);
	if (q == NULL)
		return NULL;
	if (p != NULL) {
		memcpy(q, p, old < n ? old : n);
		a->release(a->ctx, p);
	}
	return q;
}

void
mf__release(const mf_alloc *a, void *p)
{
	if (p == NULL)
		return;
	if (a == NULL || a->alloc == NULL || a->release == NULL)
		free(p);
	else
		a->release(a->ctx, p);
}

/* ---------------------------------------------------------------------- */
/* Arena                                                                   */
/* ---------------------------------------------------------------------- */

struct mf__arena_blk {
	struct mf__arena_blk *prev;
	size_t size; /* bytes allocated for this block, header included */
	/* followed by data aligned to 16 */
};

#define ARENA_ALIGN 16u
#define ARENA_HDR                                                              \
	((sizeof(struct mf__arena_blk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))
#define ARENA_FIRST 1024u
#define ARENA_MAXBLK (1024u * 1024u)

void
mf__arena_init(mf__arena *ar, const mf_alloc *a)
{
	mf__alloc_copy(&ar->a, a);
	ar->head = NULL;
	ar->cur = NULL;
	ar->left = 0;
	ar->next = ARENA_FIRST;
}

void *
mf__arena_alloc(mf__arena *ar, size_t n)
{
	struct mf__arena_blk *blk;
	size_t need, bsz;
	char *p;

	if (n == 0)
		n = 1;
	if (!mf__add(n, ARENA_ALIGN - 1, &need))
		return NULL;
	need &= ~(size_t)(ARENA_ALIGN - 1);
	if (need <= ar->left) {
		p = ar->cur;
		ar->cur += need;
		ar->left -= need;
		return p;
	}
	/* New block: geometric growth, or exactly the request if larger. */
	bsz = ar->next;
	if (need > bsz - ARENA_HDR) {
		if (!mf__add(need, ARENA_HDR, &bsz))
			return NULL;
	}
	blk = mf__alloc(&ar->a, bsz);
	if (blk == NULL)
		return NULL;
	blk->prev = ar->head;
	blk->size = bsz;
	ar->head = blk;
	if (ar->next < ARENA_MAXBLK)
		ar->next *= 2;
	p = (char *)blk + ARENA_HDR;
	ar->cur = p + need;
	ar->left = bsz - ARENA_HDR - need;
	return p;
}

void *
mf__arena_calloc(mf__arena *ar, size_t n, size_t sz)
{
	size_t tot;
	void *p;

	if (!mf__mul(n, sz, &tot))
		return NULL;
	p = mf__arena_alloc(ar, tot);
	if (p != NULL)
		memset(p, 0, tot);
	return p;
}

char *
mf__arena_dup(mf__arena *ar, const void *p, size_t n)
{
	size_t tot;
	char *q;

	if (!mf__add(n, 1, &tot))
		return NULL;
	q = mf__arena_alloc(ar, tot);
	if (q == NULL)
		return NULL;
	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

size_t
mf__arena_size(const mf__arena *ar)
{
	const struct mf__arena_blk *b;
	size_t tot = 0;

	for (b = ar->head; b != NULL; b = b->prev)
		tot += b->size;
	return tot;
}

void
mf__arena_free(mf__arena *ar)
{
	struct mf__arena_blk *b = ar->head;

	while (b != NULL) {
		struct mf__arena_blk *prev = b->prev;
		mf__release(&ar->a, b);
		b = prev;
	}
	ar->head = NULL;
	ar->cur = NULL;
	ar->left = 0;
	ar->next = ARENA_FIRST;
}
