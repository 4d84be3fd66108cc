/* SPDX-License-Identifier: MIT */
/*
 * fuzz_header.c - the header block machine on arbitrary input. Byte 0
 * picks strict mode and small limits, bytes 1-2 a split point. Checks:
 * one-shot (mf_headers_scan) equals the machine fed in two chunks (each a
 * separate heap copy, freed after use); fields are contiguous, inside the
 * input and followed by at most a blank line before the body; every
 * foldable field folds within 998 octets per line, never with a line of
 * white space only, and unfolds back to its unfolded value; 7-bit
 * folding of unstructured UTF-8 text decodes back to the text; decoding
 * reports defects at offsets inside the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t cur_len;

static void
on_defect(void *ctx, int d, uint64_t off)
{
	(void)ctx;
	(void)d;
	CHECK(off <= cur_len);
}

static int
unstructured(const mf_field *f)
{
	static const char *const s[] = {"subject", "comments", "x-a", "a"};
	size_t i, k;

	for (i = 0; i < 4; i++) {
		if (f->name.len != strlen(s[i]))
			continue;
		for (k = 0; k < f->name.len; k++) {
			char c = f->name.ptr[k];
			if (c >= 'A' && c <= 'Z')
				c = (char)(c + 32);
			if (c != s[i][k])
				break;
		}
		if (k == f->name.len)
			return 1;
	}
	return 0;
}

#define MAXF 64

typedef struct rec {
	mf_field f[MAXF];
	char *name[MAXF], *value[MAXF];
	size_t n;
	uint64_t body;
	int rc;
} rec;

static void
rec_free(rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->name[i]);
		free(r->value[i]);
	}
}

static char *
dup(mf_str s)
{
	char *p = malloc(s.len + 1);

	CHECK(p != NULL);
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return p;
}

/* The machine over p[0..n) cut at cut (what the first chunk did not
 * consume, the look-ahead, starts the second). */
static void
run(const char *p, size_t n, size_t cut, const mf_opts *o, rec *r)
{
	mf__hdr h;
	size_t k;
	int done = 0;

	memset(r, 0, sizeof(*r));
	mf__hdr_init(&h, o, 0);
	for (k = 0; k < 2 && !done; k++) {
		size_t from = (size_t)h.pos, stop = k == 0 ? cut : n;
		size_t left = stop - from, used;
		char *chunk = malloc(left + 1);
		const char *c = chunk;

		CHECK(chunk != NULL && from <= stop);
		memcpy(chunk, p + from, left);
		for (;;) {
			mf__hdr_ev ev;
			int rc = mf__hdr_feed(&h, c, left, k == 1, &used, &ev);

			if (rc == MF_MORE) {
				/* Look-ahead: at most two lines held. */
				CHECK(k == 0 && used <= left);
				CHECK(left - used <= 2 * 65536 + 2);
				break;
			}
			if (rc < 0) {
				r->rc = rc;
				done = 1;
				break;
			}
			CHECK(used <= left);
			c += used;
			left -= used;
			if (ev.type == MF__HDR_END) {
				r->body = ev.body_off;
				CHECK(ev.body_off ==
				      from + (size_t)(c - chunk));
				done = 1;
				break;
			}
			if (ev.type == MF__HDR_FIELD && r->n < MAXF) {
				r->f[r->n] = ev.f;
				r->name[r->n] = dup(ev.f.name);
				r->value[r->n] = dup(ev.f.value);
				r->n++;
			}
		}
		free(chunk);
	}
	CHECK(done);
	mf__hdr_fini(&h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	size_t n, cut, nf = MAXF, body = 0, i, pos;
	mf_field f[MAXF];
	mf_opts o;
	rec a, b;
	uint64_t def = 0;
	int rc;
	mf_buf *u, *out;

	if (size < 3)
		return 0;
	p = (const char *)data + 3;
	n = size - 3;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.flags |= MF_STRICT;
	if (data[0] & 2)
		o.limits.max_field_len = 1 + data[0] / 4;
	if (data[0] & 4)
		o.limits.max_headers = 1 + data[0] / 16;
	if (data[0] & 8)
		o.limits.max_header_bytes = 1 + data[0] / 8;
	cut = n ? ((size_t)data[1] << 8 | data[2]) % (n + 1) : 0;

	rc = mf_headers_scan(p, n, &o, f, &nf, &body, &def, NULL);
	run(p, n, n, &o, &a);
	run(p, n, cut, &o, &b);
	CHECK(a.rc == b.rc && a.n == b.n);
	CHECK(rc == MF_E_NOSPC || rc == a.rc);
	if (rc == MF_OK) {
		CHECK(a.body == b.body && a.body == body);
		CHECK(body <= n);
	}
	for (i = 0; i < a.n; i++) {
		CHECK(a.f[i].offset == b.f[i].offset);
		CHECK(a.f[i].raw_len == b.f[i].raw_len);
		CHECK(a.f[i].defects == b.f[i].defects);
		CHECK(a.f[i].eol == b.f[i].eol);
		CHECK(a.f[i].name.len == b.f[i].name.len);
		CHECK(a.f[i].value.len == b.f[i].value.len);
		CHECK(memcmp(a.name[i], b.name[i], a.f[i].name.len) == 0);
		CHECK(memcmp(a.value[i], b.value[i], a.f[i].value.len) == 0);
	}
	rec_free(&a);
	rec_free(&b);
	if (rc != MF_OK)
		return 0;

	/* Contiguous fields (unless some were dropped by max_headers). */
	pos = nf ? (size_t)f[0].offset : body;
	for (i = 0; i < nf; i++) {
		CHECK(f[i].offset + f[i].raw_len <= n);
		CHECK(f[i].value.ptr >= p + f[i].offset);
		CHECK(f[i].value.ptr + f[i].value.len <=
		      p + f[i].offset + f[i].raw_len);
		if (!(def & MF_DEFECT_BIT(MF_D_HEADER_LIMIT)))
			CHECK(f[i].offset == pos);
		pos = (size_t)(f[i].offset + f[i].raw_len);
	}
	if (!(def & MF_DEFECT_BIT(MF_D_HEADER_LIMIT)))
		CHECK(body >= pos && body - pos <= 2);

	/* Re-folding. */
	u = mf_buf_new(NULL);
	out = mf_buf_new(NULL);
	CHECK(u != NULL && out != NULL);
	for (i = 0; i < nf; i++) {
		const char *s, *e, *v;
		size_t vn, width = 10 + data[0] % 80;

		mf_buf_clear(u);
		mf_buf_clear(out);
		CHECK(mf_hdr_unfold(u, f[i].value.ptr, f[i].value.len) ==
		      MF_OK);
		rc = mf_hdr_fold(out, f[i].name.ptr, f[i].name.len,
				 mf_buf_data(u), mf_buf_len(u),
				 MF_UTF8_OUT | MF_LF, width, NULL);
		if (rc != MF_OK) {
			CHECK(rc == MF_E_INVAL || rc == MF_E_LIMIT);
			continue;
		}
		s = mf_buf_data(out);
		e = s + mf_buf_len(out);
		CHECK(e > s && e[-1] == '\n');
		while (s < e) {
			const char *nl = memchr(s, '\n', (size_t)(e - s));
			size_t k, len;
			int blank = 1;

			CHECK(nl != NULL);
			len = (size_t)(nl - s);
			CHECK(len <= 998);
			for (k = 0; k < len; k++) {
				if (s[k] != ' ' && s[k] != '\t')
					blank = 0;
			}
			CHECK(!blank);
			s = nl + 1;
		}
		/* Unfolding the value part gives the value back. */
		v = mf_buf_data(out) + f[i].name.len + 1;
		vn = mf_buf_len(out) - f[i].name.len - 2;
		if (mf_buf_len(u) > 0) {
			CHECK(*v == ' ');
			v++;
			vn--;
		}
		{
			mf_buf *w = mf_buf_new(NULL);

			CHECK(w != NULL);
			CHECK(mf_hdr_unfold(w, v, vn) == MF_OK);
			CHECK(mf_buf_len(w) == mf_buf_len(u));
			CHECK(memcmp(mf_buf_data(w), mf_buf_data(u),
				     mf_buf_len(u)) == 0);
			mf_buf_free(w);
		}
	}
	/* Decoding, and 7-bit folding of unstructured text. */
	for (i = 0; i < nf; i++) {
		mf_opts d;
		mf_buf *w = mf_buf_new(NULL), *x = mf_buf_new(NULL);
		size_t k, ascii = 1;

		CHECK(w != NULL && x != NULL);
		memset(&d, 0, sizeof(d));
		d.on_defect = on_defect;
		cur_len = f[i].value.len;
		CHECK(mf_hdr_decode(w, f[i].value.ptr, f[i].value.len, &d, NULL,
				    NULL) == MF_OK);
		mf_buf_clear(u);
		CHECK(mf_hdr_unfold(u, f[i].value.ptr, f[i].value.len) == MF_OK);
		for (k = 0; k < mf_buf_len(u); k++)
			if ((unsigned char)mf_buf_data(u)[k] >= 0x80)
				ascii = 0;
		mf_buf_clear(out);
		if (!ascii && unstructured(&f[i]) &&
		    mf_hdr_fold(out, f[i].name.ptr, f[i].name.len,
				mf_buf_data(u), mf_buf_len(u), MF_LF,
				10 + data[0] % 80, NULL) == MF_OK) {
			mf_field g[2];
			size_t ng = 2, gb;

			for (k = 0; k < mf_buf_len(out); k++)
				CHECK((unsigned char)mf_buf_data(out)[k] < 0x80);
			CHECK(mf_headers_scan(mf_buf_data(out), mf_buf_len(out),
					      NULL, g, &ng, &gb, NULL,
					      NULL) == MF_OK);
			CHECK(ng == 1);
			uint64_t xd = 0;

			CHECK(mf_hdr_decode(x, g[0].value.ptr, g[0].value.len,
					    NULL, &xd, NULL) == MF_OK);
			/* Leading blanks are not part of a parsed value. */
			k = 0;
			while (k < mf_buf_len(u) && (mf_buf_data(u)[k] == ' ' ||
						     mf_buf_data(u)[k] == '\t'))
				k++;
			/*
			 * Unless the value took more encoded words than the
			 * decoder decodes (max_encoded_words, 256: at a
			 * narrow width each word holds 3 bytes, so 800
			 * bytes of controls pass it; the rest stays
			 * literal, MF_D_FIELD_LIMIT).
			 */
			if (!(xd & MF_DEFECT_BIT(MF_D_FIELD_LIMIT))) {
				CHECK(mf_buf_len(x) == mf_buf_len(u) - k);
				CHECK(memcmp(mf_buf_data(x),
					     mf_buf_data(u) + k,
					     mf_buf_len(x)) == 0);
			}
		}
		mf_buf_free(w);
		mf_buf_free(x);
	}
	mf_buf_free(u);
	mf_buf_free(out);
	return 0;
}
