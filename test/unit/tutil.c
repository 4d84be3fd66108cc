/* SPDX-License-Identifier: MIT */
/* tutil.c - shared test helpers; see tutil.h. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, strdup */
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tutil.h"

/* ---------------------------------------------------------------------- */
/* Failing allocator                                                       */
/* ---------------------------------------------------------------------- */

/* Each block carries its size in a 16-byte prefix, for byte accounting. */
#define HDR 16

static int
should_fail(tu_alloc *ta)
{
	long n = ta->calls++;

	if (ta->fail_at < 0)
		return 0;
	return ta->sticky ? n >= ta->fail_at : n == ta->fail_at;
}

static void *
ta_alloc(void *ctx, size_t n)
{
	tu_alloc *ta = ctx;
	unsigned char *p;

	if (should_fail(ta))
		return NULL;
	p = malloc(n + HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	ta->live++;
	ta->bytes += n;
	if (ta->bytes > ta->peak)
		ta->peak = ta->bytes;
	return p + HDR;
}

static void *
ta_resize(void *ctx, void *q, size_t n)
{
	tu_alloc *ta = ctx;
	unsigned char *p;
	size_t old = 0;

	if (q == NULL)
		return ta_alloc(ctx, n);
	if (should_fail(ta))
		return NULL;
	p = (unsigned char *)q - HDR;
	memcpy(&old, p, sizeof(old));
	p = realloc(p, n + HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	ta->bytes = ta->bytes - old + n;
	if (ta->bytes > ta->peak)
		ta->peak = ta->bytes;
	return p + HDR;
}

static void
ta_release(void *ctx, void *q)
{
	tu_alloc *ta = ctx;
	unsigned char *p;
	size_t old = 0;

	if (q == NULL)
		return;
	p = (unsigned char *)q - HDR;
	memcpy(&old, p, sizeof(old));
	ta->live--;
	ta->bytes -= old;
	free(p);
}

void
tu_alloc_init(tu_alloc *ta, long fail_at)
{
	memset(ta, 0, sizeof(*ta));
	ta->a.alloc = ta_alloc;
	ta->a.resize = ta_resize;
	ta->a.release = ta_release;
	ta->a.ctx = ta;
	ta->fail_at = fail_at;
	ta->sticky = 1;
}

long
tu_oom_loop(tu_oom_fn *fn, void *ctx)
{
	long n;

	for (n = 0; n < 1000000; n++) {
		tu_alloc ta;
		int rc;

		tu_alloc_init(&ta, n);
		rc = fn(&ta.a, ctx);
		if (ta.live != 0)
			fail_msg("OOM loop: %ld blocks leaked when failing "
				 "allocation %ld (rc %d)",
				 ta.live, n, rc);
		if (rc == MF_E_NOMEM)
			continue;
		if (ta.calls <= n) {
			/* Fewer allocations than n: the run succeeded. */
			return ta.calls;
		}
		fail_msg("OOM loop: allocation %ld failed but the call "
			 "returned %d (%s), not MF_E_NOMEM",
			 n, rc, mf_strerror(rc));
	}
	fail_msg("OOM loop did not terminate");
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Guard pages                                                             */
/* ---------------------------------------------------------------------- */

const char *
tu_guard_new(tu_guard *g, const void *p, size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (n + pg - 1) / pg * pg;
	char *base;

	if (data == 0)
		data = pg;
	base = mmap(NULL, data + pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		fail_msg("mmap failed");
	if (mprotect(base + data, pg, PROT_NONE) != 0)
		fail_msg("mprotect failed");
	g->base_ = base;
	g->size_ = data + pg;
	g->ptr = base + data - n;
	if (n)
		memcpy(g->ptr, p, n);
	return g->ptr;
}

void
tu_guard_free(tu_guard *g)
{
	if (g->base_ != NULL)
		munmap(g->base_, g->size_);
	g->base_ = NULL;
	g->ptr = NULL;
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */
/* ---------------------------------------------------------------------- */

void
tu_path(char *out, size_t cap, const char *rel)
{
	snprintf(out, cap, "%s/%s", MF_TEST_DIR, rel);
}

char *
tu_read(const char *rel, size_t *n)
{
	char path[4096];
	FILE *f;
	char *p;
	long sz = 0;

	tu_path(path, sizeof(path), rel);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s", path);
	p = malloc((size_t)sz + 1);
	assert_non_null(p);
	if (fread(p, 1, (size_t)sz, f) != (size_t)sz)
		fail_msg("cannot read %s", path);
	fclose(f);
	p[sz] = '\0';
	if (n != NULL)
		*n = (size_t)sz;
	return p;
}

struct strv {
	char **v;
	size_t n, cap;
};

static void
strv_push(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	s->v[s->n] = strdup(str);
	assert_non_null(s->v[s->n]);
	s->n++;
	s->v[s->n] = NULL;
}

static void
list_rec(struct strv *s, const char *rel)
{
	char path[4096], sub[4096];
	struct dirent *e;
	DIR *d;

	tu_path(path, sizeof(path), rel);
	d = opendir(path);
	if (d == NULL)
		fail_msg("cannot open directory %s", path);
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char full[8192];

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		if (stat(full, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			list_rec(s, sub);
		else if (S_ISREG(st.st_mode))
			strv_push(s, sub);
	}
	closedir(d);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
tu_list(const char *rel, size_t *count)
{
	struct strv s = {0};

	list_rec(&s, rel);
	if (s.v == NULL) {
		s.v = calloc(1, sizeof(*s.v));
		assert_non_null(s.v);
	}
	qsort(s.v, s.n, sizeof(*s.v), cmp_str);
	if (count != NULL)
		*count = s.n;
	return s.v;
}

void
tu_list_free(char **list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

char *
tu_eol(const char *p, size_t n, int crlf, size_t *outlen)
{
	char *o = malloc(2 * n + 1);
	size_t i, k = 0;

	assert_non_null(o);
	for (i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue; /* the LF writes the line end */
		if (p[i] == '\n') {
			if (crlf)
				o[k++] = '\r';
			o[k++] = '\n';
			continue;
		}
		o[k++] = p[i];
	}
	o[k] = '\0';
	*outlen = k;
	return o;
}

/* ---------------------------------------------------------------------- */
/* JSON reader                                                             */
/* ---------------------------------------------------------------------- */

struct jp {
	const char *p, *end;
	int err;
};

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static tj *jp_value(struct jp *j, int depth);

static tj *
tj_new(enum tj_type t)
{
	tj *v = calloc(1, sizeof(*v));

	assert_non_null(v);
	v->type = t;
	return v;
}

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static char *
jp_string(struct jp *j, size_t *len)
{
	const char *s;
	char *o;
	size_t k = 0;

	j->p++; /* opening quote */
	s = j->p;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\')
			j->p++;
		j->p++;
	}
	if (j->p >= j->end) {
		j->err = 1;
		return NULL;
	}
	o = malloc((size_t)(j->p - s) + 1);
	assert_non_null(o);
	while (s < j->p) {
		unsigned cp, lo;

		if (*s != '\\') {
			o[k++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': o[k++] = '\n'; s++; break;
		case 't': o[k++] = '\t'; s++; break;
		case 'r': o[k++] = '\r'; s++; break;
		case 'b': o[k++] = '\b'; s++; break;
		case 'f': o[k++] = '\f'; s++; break;
		case 'u':
			if (j->p - s < 5 || hex4(s + 1, &cp) != 0) {
				j->err = 1;
				free(o);
				return NULL;
			}
			s += 5;
			if (cp >= 0xD800 && cp <= 0xDBFF && j->p - s >= 6 &&
			    s[0] == '\\' && s[1] == 'u' &&
			    hex4(s + 2, &lo) == 0 && lo >= 0xDC00 &&
			    lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				s += 6;
			}
			k += put_utf8(o + k, cp);
			break;
		default: o[k++] = *s++; break;
		}
	}
	o[k] = '\0';
	j->p++; /* closing quote */
	*len = k;
	return o;
}

static tj *
jp_value(struct jp *j, int depth)
{
	tj *v;

	jp_ws(j);
	if (j->p >= j->end || depth > 100) {
		j->err = 1;
		return NULL;
	}
	switch (*j->p) {
	case '{':
	case '[': {
		char close = *j->p == '{' ? '}' : ']';
		size_t cap = 0;

		v = tj_new(close == '}' ? TJ_OBJ : TJ_ARR);
		j->p++;
		jp_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return v;
		}
		for (;;) {
			char *key = NULL;
			size_t klen;
			tj *item;

			if (v->type == TJ_OBJ) {
				jp_ws(j);
				if (j->p >= j->end || *j->p != '"') {
					j->err = 1;
					return v;
				}
				key = jp_string(j, &klen);
				jp_ws(j);
				if (key == NULL || j->p >= j->end ||
				    *j->p != ':') {
					free(key);
					j->err = 1;
					return v;
				}
				j->p++;
			}
			item = jp_value(j, depth + 1);
			if (v->len == cap) {
				cap = cap ? cap * 2 : 8;
				v->items = realloc(v->items,
						   cap * sizeof(*v->items));
				v->keys = realloc(v->keys,
						  cap * sizeof(*v->keys));
				assert_non_null(v->items);
				assert_non_null(v->keys);
			}
			v->items[v->len] = item;
			v->keys[v->len] = key;
			v->len++;
			if (j->err)
				return v;
			jp_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				return v;
			}
			j->err = 1;
			return v;
		}
	}
	case '"':
		v = tj_new(TJ_STR);
		v->str = jp_string(j, &v->len);
		return v;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = {"true", "false", "null"};
		int i;

		for (i = 0; i < 3; i++) {
			size_t wl = strlen(words[i]);
			if ((size_t)(j->end - j->p) >= wl &&
			    memcmp(j->p, words[i], wl) == 0) {
				j->p += wl;
				v = tj_new(i == 2 ? TJ_NULL : TJ_BOOL);
				v->num = i == 0;
				return v;
			}
		}
		j->err = 1;
		return NULL;
	}
	default: {
		char tmp[64];
		size_t k = 0;

		while (j->p < j->end && k < sizeof(tmp) - 1 &&
		       strchr("+-0123456789.eE", *j->p) != NULL)
			tmp[k++] = *j->p++;
		if (k == 0) {
			j->err = 1;
			return NULL;
		}
		tmp[k] = '\0';
		v = tj_new(TJ_NUM);
		v->num = strtod(tmp, NULL);
		return v;
	}
	}
}

tj *
tj_parse(const char *p, size_t n)
{
	struct jp j = {p, p + n, 0};
	tj *v = jp_value(&j, 0);

	if (j.err) {
		tj_free(v);
		return NULL;
	}
	return v;
}

tj *
tj_load(const char *rel)
{
	size_t n;
	char *p = tu_read(rel, &n);
	tj *v = tj_parse(p, n);

	free(p);
	if (v == NULL)
		fail_msg("JSON syntax error in %s", rel);
	return v;
}

void
tj_free(tj *v)
{
	size_t i;

	if (v == NULL)
		return;
	if (v->type == TJ_ARR || v->type == TJ_OBJ) {
		for (i = 0; i < v->len; i++) {
			tj_free(v->items[i]);
			free(v->keys[i]);
		}
		free(v->items);
		free(v->keys);
	}
	free(v->str);
	free(v);
}

tj *
tj_get(const tj *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != TJ_OBJ)
		return NULL;
	for (i = 0; i < obj->len; i++) {
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	}
	return NULL;
}

tj *
tj_path(const tj *v, const char *path)
{
	char part[256];
	const char *dot;

	while (v != NULL && *path) {
		size_t n;

		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		v = tj_get(v, part);
		path += n + (dot != NULL);
	}
	return (tj *)(uintptr_t)v;
}

tj *
tj_at(const tj *arr, size_t i)
{
	if (arr == NULL || arr->type != TJ_ARR || i >= arr->len)
		return NULL;
	return arr->items[i];
}

int
tj_is_null(const tj *v)
{
	return v == NULL || v->type == TJ_NULL;
}

const char *
tj_bytes(const tj *v, size_t *len)
{
	const tj *h;

	if (v == NULL || v->type == TJ_NULL)
		return NULL;
	if (v->type == TJ_STR) {
		*len = v->len;
		return v->str;
	}
	h = tj_get(v, "bytes_hex");
	if (h != NULL && h->type == TJ_STR) {
		/* Decode in place once; remember by turning h into bytes. */
		tj *m = (tj *)(uintptr_t)h;
		size_t i, k = 0;

		if (m->num == 0) {
			for (i = 0; i + 1 < m->len; i += 2) {
				char b[3] = {m->str[i], m->str[i + 1], 0};
				m->str[k++] = (char)strtoul(b, NULL, 16);
			}
			m->str[k] = '\0';
			m->len = k;
			m->num = 1; /* decoded */
		}
		*len = m->len;
		return m->str;
	}
	fail_msg("JSON value is neither a string nor a bytes_hex object");
	return NULL;
}

long
tj_int(const tj *v)
{
	if (v == NULL || (v->type != TJ_NUM && v->type != TJ_BOOL))
		fail_msg("JSON value is not a number");
	return (long)v->num;
}

/* ---------------------------------------------------------------------- */
/* Assertions                                                              */
/* ---------------------------------------------------------------------- */

void
tu_print_escaped(const void *p, size_t n, size_t max)
{
	const unsigned char *s = p;
	size_t i;

	fputc('"', stderr);
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = s[i];
		if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\r')
			fputs("\\r", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c < 32 || c >= 127)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('"', stderr);
	if (n > max)
		fprintf(stderr, "... (%zu bytes)", n);
}

void
tu_assert_mem_(const void *got, size_t gotlen, const void *want,
	       size_t wantlen, const char *label, const char *file, int line)
{
	const unsigned char *g = got, *w = want;
	size_t i = 0;

	if (gotlen == wantlen && (gotlen == 0 || memcmp(got, want, gotlen) == 0))
		return;
	while (i < gotlen && i < wantlen && g[i] == w[i])
		i++;
	fprintf(stderr, "%s:%d: mismatch [%s] at byte %zu\n  got:  ", file,
		line, label ? label : "", i);
	tu_print_escaped(got, gotlen, 600);
	fprintf(stderr, "\n  want: ");
	tu_print_escaped(want, wantlen, 600);
	fprintf(stderr, "\n");
	_fail(file, line);
}

/* ---------------------------------------------------------------------- */
/* Random                                                                  */
/* ---------------------------------------------------------------------- */

void
tu_rng_seed(tu_rng *r, uint64_t seed)
{
	r->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	if (r->s == 0)
		r->s = 1;
}

uint64_t
tu_rng_next(tu_rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

size_t
tu_rng_below(tu_rng *r, size_t n)
{
	return (size_t)(tu_rng_next(r) % n);
}

void
tu_rng_fill(tu_rng *r, void *p, size_t n)
{
	unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((i & 7) == 0) {
			uint64_t v = tu_rng_next(r);
			size_t k;
			for (k = 0; k < 8 && i + k < n; k++)
				s[i + k] = (unsigned char)(v >> (8 * k));
		}
	}
}

int
tu_slow_ok(void)
{
	const char *e = getenv("MF_TEST_SLOW");

	return e == NULL || strcmp(e, "0") != 0;
}

void
lb_add(logbuf *l, const void *p, size_t n)
{
	if (l->n + n + 1 > l->cap) {
		l->cap = (l->n + n + 1) * 2;
		l->p = realloc(l->p, l->cap);
		assert_non_null(l->p);
	}
	if (n)
		memcpy(l->p + l->n, p, n);
	l->n += n;
	l->p[l->n] = '\0';
}

void
lb_printf(logbuf *l, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(k >= 0 && (size_t)k < sizeof(tmp));
	lb_add(l, tmp, (size_t)k);
}
