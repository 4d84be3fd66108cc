/* SPDX-License-Identifier: MIT */
/*
 * bench_addr.c - the header layer's structured fields: address lists
 * (simple lists, one 50,000-address To:, and the From/To/Cc values of the
 * corpus's small/ messages) and Content-Type values (public object API,
 * and the arena entry point the MIME parser uses).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"

#include "contype.h"

/* ---------------------------------------------------------------------- */
/* Field values                                                            */
/* ---------------------------------------------------------------------- */

struct vals {
	char *buf; /* values, each followed by NUL */
	size_t len, cap;
	size_t *off;
	size_t n, ncap;
};

static int
vals_add(struct vals *v, const char *p, size_t n)
{
	if (v->len + n + 1 > v->cap) {
		size_t c = v->cap ? v->cap * 2 : 1 << 20;
		char *nb;

		while (c < v->len + n + 1)
			c *= 2;
		nb = realloc(v->buf, c);
		if (nb == NULL)
			return -1;
		v->buf = nb;
		v->cap = c;
	}
	if (v->n == v->ncap) {
		size_t c = v->ncap ? v->ncap * 2 : 1024;
		size_t *no = realloc(v->off, c * sizeof(size_t));

		if (no == NULL)
			return -1;
		v->off = no;
		v->ncap = c;
	}
	v->off[v->n++] = v->len;
	memcpy(v->buf + v->len, p, n);
	v->len += n;
	v->buf[v->len++] = '\0';
	return 0;
}

/*
 * Appends the values (continuation lines kept) of the fields named in
 * names found anywhere in p (top-level and part headers alike).
 */
static void
collect(const char *p, size_t n, const char *const *names, size_t nnames,
	struct vals *out)
{
	size_t i = 0;

	while (i < n) {
		size_t ls = i, k;

		while (i < n && p[i] != '\n')
			i++;
		if (i < n)
			i++;
		for (k = 0; k < nnames; k++) {
			size_t nl = strlen(names[k]), ve;

			if (i - ls <= nl || p[ls + nl] != ':' ||
			    strncasecmp(p + ls, names[k], nl) != 0)
				continue;
			while (i < n && (p[i] == ' ' || p[i] == '\t')) {
				while (i < n && p[i] != '\n')
					i++;
				if (i < n)
					i++;
			}
			ve = i;
			while (ve > ls + nl + 1 &&
			       (p[ve - 1] == '\n' || p[ve - 1] == '\r'))
				ve--;
			vals_add(out, p + ls + nl + 1, ve - ls - nl - 1);
			break;
		}
		/* Stop at the end of the top-level header block for
		 * addresses; Content-Type is wanted in every part. */
		if (nnames == 3 && i - ls <= 2 && (p[ls] == '\n' || p[ls] == '\r'))
			break;
	}
}

static void
load_corpus(const char *dir, struct vals *addrs, struct vals *cts)
{
	static const char *const an[] = {"from", "to", "cc"};
	static const char *const cn[] = {"content-type"};
	char path[4096];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/small", dir);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/small/%s", dir, e->d_name);
		p = bench_read(path, &n);
		if (p == NULL)
			continue;
		collect(p, n, an, 3, addrs);
		collect(p, n, cn, 1, cts);
		free(p);
	}
	closedir(d);
}

/* ---------------------------------------------------------------------- */
/* Address runs                                                            */
/* ---------------------------------------------------------------------- */

struct arun {
	const struct vals *v;
	const char *p; /* or one list */
	size_t n;
	mf_addr *items;
	size_t cap;
	char *scratch;
	size_t scap;
	mf_opts o;
	size_t count; /* mailboxes of the last run */
};

static void
run_list(void *arg)
{
	struct arun *r = arg;
	size_t cnt = r->cap, used = r->scap;

	if (mf_addr_parse(r->p, r->n, &r->o, r->items, &cnt, r->scratch, &used,
			  NULL, NULL) != MF_OK)
		abort();
	r->count = cnt;
	bench_sink(&r->items[cnt - 1], sizeof(mf_addr));
}

static void
run_object(void *arg)
{
	struct arun *r = arg;
	mf_addrs *l;

	if (mf_addrs_parse(r->p, r->n, &r->o, &l, NULL) != MF_OK)
		abort();
	r->count = mf_addrs_count(l);
	mf_addrs_free(l);
}

static void
run_fields(void *arg)
{
	struct arun *r = arg;
	size_t i, k, total = 0;

	for (i = 0; i < r->v->n; i++) {
		const char *p = r->v->buf + r->v->off[i];
		size_t n = strlen(p), cnt = r->cap, used = r->scap;

		if (mf_addr_parse(p, n, &r->o, r->items, &cnt, r->scratch,
				  &used, NULL, NULL) != MF_OK)
			abort();
		for (k = 0; k < cnt; k++)
			total += r->items[k].kind == MF_ADDR_MAILBOX;
	}
	r->count = total;
	bench_sink(r->items, sizeof(mf_addr));
}

/* ---------------------------------------------------------------------- */
/* Content-Type runs                                                       */
/* ---------------------------------------------------------------------- */

struct crun {
	const struct vals *v;
	size_t found; /* charset or boundary parameters seen */
};

static void
run_ct_object(void *arg)
{
	struct crun *r = arg;
	size_t i, found = 0;

	for (i = 0; i < r->v->n; i++) {
		const char *p = r->v->buf + r->v->off[i];
		mf_ctype *ct;

		if (mf_ctype_parse(p, strlen(p), NULL, &ct, NULL) != MF_OK)
			abort();
		found += mf_params_get(mf_ctype_params(ct), "charset", 7) != NULL;
		mf_ctype_free(ct);
	}
	r->found = found;
}

static void
run_ct_arena(void *arg)
{
	struct crun *r = arg;
	mf__arena ar;
	size_t i, found = 0;

	/* One arena per 100 values, as a message keeps one for its parts. */
	mf__arena_init(&ar, NULL);
	for (i = 0; i < r->v->n; i++) {
		const char *p = r->v->buf + r->v->off[i];
		mf_ctype ct;

		if (i % 100 == 99) {
			mf__arena_free(&ar);
			mf__arena_init(&ar, NULL);
		}
		if (mf__ctype_parse(&ar, p, strlen(p), NULL, 0, &ct, NULL) !=
		    MF_OK)
			abort();
		found += mf_params_get(&ct.params, "charset", 7) != NULL;
	}
	mf__arena_free(&ar);
	r->found = found;
}

/* 100,000 distinct parameters and 100,000 duplicates, max_params at its
 * hard cap: the duplicate check must not scan the earlier ones. */
struct prun {
	const char *p;
	size_t n, kept;
};

static void
run_ct_many(void *arg)
{
	struct prun *r = arg;
	mf_opts o;
	mf_ctype *ct;

	memset(&o, 0, sizeof(o));
	o.limits.max_params = SIZE_MAX;
	if (mf_ctype_parse(r->p, r->n, &o, &ct, NULL) != MF_OK)
		abort();
	r->kept = mf_params_count(mf_ctype_params(ct));
	mf_ctype_free(ct);
}

static void
bench_ct_many(const bench_ctx *b)
{
	size_t cap = 200000 * 24, len = 0, i;
	char *p = malloc(cap);
	struct prun r;
	double t;

	if (p == NULL)
		abort();
	len += (size_t)snprintf(p, cap, "text/plain");
	for (i = 0; i < 200000; i++)
		len += (size_t)snprintf(p + len, cap - len, "; p%zu=%zu",
					i % 2 ? i / 4 : i / 2, i);
	r.p = p;
	r.n = len;
	t = bench_best(run_ct_many, &r, b->quick ? 0.2 : 1.0);
	printf("%-40s %9.2f ms (%zu kept)\n",
	       "ctype: 200,000 parameters, half dups", t * 1e3, r.kept);
	free(p);
}

/* ---------------------------------------------------------------------- */

void
bench_addr(const bench_ctx *b)
{
	struct arun r;
	struct vals addrs, cts;
	char *list;
	size_t i, len = 0, cap;
	double t, min = b->quick ? 0.2 : 1.0;

	memset(&r, 0, sizeof(r));
	memset(&addrs, 0, sizeof(addrs));
	memset(&cts, 0, sizeof(cts));
	/* Simple lists: 1000 "userN@example.com" per field. */
	cap = 50000 * 40;
	list = malloc(cap);
	r.cap = 60000;
	r.items = malloc(r.cap * sizeof(mf_addr));
	r.scap = 3 * cap + 1;
	r.scratch = malloc(r.scap);
	if (list == NULL || r.items == NULL || r.scratch == NULL)
		abort();
	r.o.limits.max_addrs = 100000;
	for (i = 0; i < 1000; i++)
		len += (size_t)snprintf(list + len, cap - len, "%suser%zu@example.com",
					i ? ", " : "", i);
	r.p = list;
	r.n = len;
	t = bench_best(run_list, &r, min);
	bench_rate("addr: simple list (caller storage)", (double)r.count, t,
		   "addresses");
	t = bench_best(run_object, &r, min);
	bench_rate("addr: simple list (list object)", (double)r.count, t,
		   "addresses");
	/* 50,000 name-addrs in one folded To: (GMime ~110 ms, Python 104 s). */
	len = 0;
	for (i = 0; i < 50000; i++)
		len += (size_t)snprintf(list + len, cap - len,
					"%sUser %zu <user%zu@example.com>",
					i ? ",\r\n " : "", i, i);
	r.n = len;
	t = bench_best(run_object, &r, min);
	printf("%-40s %9.2f ms (%zu addresses)\n", "addr: 50,000 in one To:",
	       t * 1e3, r.count);
	bench_rate("addr: 50,000 in one To:", (double)r.count, t, "addresses");
	bench_ct_many(b);

	if (b->corpus == NULL) {
		printf("addr, ctype: corpus runs skipped (no CORPUS=DIR)\n");
	} else {
		struct crun c;
		size_t bytes;

		load_corpus(b->corpus, &addrs, &cts);
		r.v = &addrs;
		t = bench_best(run_fields, &r, min);
		bytes = addrs.len - addrs.n;
		printf("%-40s %zu fields, %zu mailboxes\n",
		       "addr: small/ From/To/Cc", addrs.n, r.count);
		bench_rate("addr: small/ From/To/Cc", (double)r.count, t,
			   "addresses");
		bench_report(b, "addr: small/ From/To/Cc", bytes, t);
		c.v = &cts;
		t = bench_best(run_ct_object, &c, min);
		printf("%-40s %zu values, %zu with charset\n",
		       "ctype: small/ Content-Type", cts.n, c.found);
		bench_rate("ctype: small/ (mf_ctype_parse)", (double)cts.n, t,
			   "parses");
		t = bench_best(run_ct_arena, &c, min);
		bench_rate("ctype: small/ (arena, MIME layer)", (double)cts.n, t,
			   "parses");
	}
	free(addrs.buf);
	free(addrs.off);
	free(cts.buf);
	free(cts.off);
	free(list);
	free(r.items);
	free(r.scratch);
}
