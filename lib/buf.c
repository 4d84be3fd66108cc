/* SPDX-License-Identifier: MIT */
/*
 * buf.c - mf_buf, the growable output buffer. Storage always keeps one byte
 * for a terminating NUL so that text results can be used as C strings; the
 * NUL is never counted in the length. A failed growth leaves the contents
 * unchanged.
 */
#include "core.h"

void
mf__buf_init(mf_buf *b, const mf_alloc *a)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->fixed = false;
	mf__alloc_copy(&b->a, a);
}

void
mf__buf_fini(mf_buf *b)
{
	mf__release(&b->a, b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Ensures room for n more bytes plus the NUL. */
int
mf__buf_grow(mf_buf *b, size_t n)
{
	size_t need, ncap;
	char *p;

	if (!mf__add(b->len, n, &need) || !mf__add(need, 1, &need))
		return MF_E_LIMIT;
	if (b->data != NULL && need <= b->cap)
		return MF_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	p = mf__resize(&b->a, b->data, b->cap, ncap);
	if (p == NULL)
		return MF_E_NOMEM;
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->cap = ncap;
	return MF_OK;
}

mf_buf *
mf_buf_new(const mf_alloc *a)
{
	mf_buf *b = mf__alloc(a, sizeof(*b));

	if (b == NULL)
		return NULL;
	mf__buf_init(b, a);
	return b;
}

void
mf_buf_free(mf_buf *b)
{
	mf_alloc a;

	if (b == NULL)
		return;
	a = b->a;
	mf__buf_fini(b);
	mf__release(&a, b);
}

const char *
mf_buf_data(const mf_buf *b)
{
	if (b == NULL || b->data == NULL)
		return "";
	return b->data;
}

size_t
mf_buf_len(const mf_buf *b)
{
	return b == NULL ? 0 : b->len;
}

void
mf_buf_clear(mf_buf *b)
{
	if (b == NULL)
		return;
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
mf_buf_append(mf_buf *b, const void *p, size_t n)
{
	if (b == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	return mf__buf_put(b, p, n);
}

int
mf_buf_reserve(mf_buf *b, size_t n)
{
	if (b == NULL)
		return MF_E_INVAL;
	return mf__buf_grow(b, n);
}

int
mf_buf_take(mf_buf *b, char **out, size_t *outlen)
{
	int rc;

	if (b == NULL || out == NULL)
		return MF_E_INVAL;
	rc = mf__buf_grow(b, 0);
	if (rc < 0)
		return rc;
	*out = b->data;
	if (outlen != NULL)
		*outlen = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return MF_OK;
}
