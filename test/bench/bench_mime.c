/* SPDX-License-Identifier: MIT */
/*
 * bench_mime.c - the MIME engine on gen_corpus.py's sets (CORPUS=DIR:
 * small/, attach/, nested/ as message files and as .mbox), or without a
 * corpus on synthetic messages of the same shapes. For each set: the
 * structure-only parse (MF_NO_BODY) and the parse with every leaf
 * transfer-decoded (MF_DECODE), as MB/s next to memcpy, messages/s, the
 * library's peak memory (a counting allocator) and the totals, checked
 * against EXPECTED.txt. Then a 1 GiB message generated on the fly and
 * streamed through the push parser in 64 KiB chunks: throughput, peak
 * library memory (target under 1 MB) and the growth of the process's RSS.
 * The one-shot tree (mf_msg_parse) and the writer are timed on the small
 * set too.
 *
 * GMime 3.2 (parse + decode every leaf) on the same sets: small 1.5% of
 * memcpy (10,600 messages/s), attach 8.5%, nested 0.7%. Targets: small
 * >= 5x, attach >= 4x (>= 35% of memcpy), nested >= 10x; structure-only
 * on attach >= 60% of memcpy.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ---------------------------------------------------------------------- */
/* Counting allocator: the library's own memory                            */
/* ---------------------------------------------------------------------- */

typedef struct counter {
	size_t cur, peak;
} counter;

static void *
c_alloc(void *ctx, size_t n)
{
	counter *c = ctx;
	size_t *p = malloc(n + 16);

	if (p == NULL)
		return NULL;
	p[0] = n;
	c->cur += n;
	if (c->cur > c->peak)
		c->peak = c->cur;
	return (char *)p + 16;
}

static void
c_release(void *ctx, void *q)
{
	counter *c = ctx;
	size_t *p;

	if (q == NULL)
		return;
	p = (size_t *)(void *)((char *)q - 16);
	c->cur -= p[0];
	free(p);
}

static void *
c_resize(void *ctx, void *q, size_t n)
{
	counter *c = ctx;
	size_t *p, old;

	if (q == NULL)
		return c_alloc(ctx, n);
	p = (size_t *)(void *)((char *)q - 16);
	old = p[0];
	p = realloc(p, n + 16);
	if (p == NULL)
		return NULL;
	p[0] = n;
	c->cur = c->cur - old + n;
	if (c->cur > c->peak)
		c->peak = c->cur;
	return (char *)p + 16;
}

/* Resident set size now (VmRSS) in KiB, 0 if unknown. */
static long
rss_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key), NULL, 10);
	}
	fclose(f);
	return v;
}

/* ---------------------------------------------------------------------- */
/* Sets                                                                    */
/* ---------------------------------------------------------------------- */

typedef struct set {
	const char *name;
	char **p;
	size_t *n;
	size_t count, cap, bytes;
	int mbox;
	/* EXPECTED.txt */
	int have_want;
	unsigned long long w_msgs, w_bytes, w_ent, w_leaves, w_dec;
} set;

static void
add(set *s, char *p, size_t n)
{
	if (s->count == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->p = realloc(s->p, s->cap * sizeof(*s->p));
		s->n = realloc(s->n, s->cap * sizeof(*s->n));
		if (s->p == NULL || s->n == NULL)
			exit(1);
	}
	s->p[s->count] = p;
	s->n[s->count] = n;
	s->count++;
	s->bytes += n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
load_dir(set *s, const char *dir, const char *name)
{
	char path[4096], **names = NULL;
	size_t nn = 0, cap = 0, i;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".eml") == NULL)
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 1024;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				exit(1);
		}
		names[nn++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof(*names), cmp_str);
	for (i = 0; i < nn; i++) {
		size_t n;
		char *p;

		snprintf(path, sizeof(path), "%s/%s/%s", dir, name, names[i]);
		p = bench_read(path, &n);
		if (p != NULL)
			add(s, p, n);
		free(names[i]);
	}
	free(names);
}

static void
expected(set *s, const char *dir, const char *name)
{
	char path[4096], line[512];
	FILE *f;
	size_t k = strlen(name);

	snprintf(path, sizeof(path), "%s/EXPECTED.txt", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, k) != 0 || line[k] != ' ')
			continue;
		if (sscanf(line + k,
			   " msgs=%llu bytes=%llu entities=%llu leaves=%llu "
			   "decoded=%llu",
			   &s->w_msgs, &s->w_bytes, &s->w_ent, &s->w_leaves,
			   &s->w_dec) == 5)
			s->have_want = 1;
	}
	fclose(f);
}

static void
free_set(set *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free(s->p[i]);
	free(s->p);
	free(s->n);
	memset(s, 0, sizeof(*s));
}

/* Synthetic messages shaped like gen_corpus.py's sets (no corpus). */
static char *
synth_msg(int kind, size_t i, size_t *len)
{
	size_t cap = kind == 1 ? (size_t)3 << 20 : 1 << 16, k = 0, j, lines;
	char *p = malloc(cap);
	uint64_t x = i * 2654435761u + 1;

	if (p == NULL)
		exit(1);
	k += (size_t)snprintf(p + k, cap - k,
			      "From: A <a@example.com>\nTo: b@example.org\n"
			      "Subject: message %zu\nDate: Mon, 1 Jan 2024 "
			      "00:00:00 +0000\nMIME-Version: 1.0\n"
			      "Content-Type: multipart/mixed; boundary=\"=_b%zu\"\n"
			      "\npreamble\n--=_b%zu\nContent-Type: text/plain; "
			      "charset=utf-8\nContent-Transfer-Encoding: "
			      "quoted-printable\n\n",
			      i, i, i);
	lines = kind == 1 ? 20 : 10 + i % 60;
	for (j = 0; j < lines; j++)
		k += (size_t)snprintf(p + k, cap - k,
				      "the quick brown fox caf=C3=A9 jumps over "
				      "the lazy dog %zu=\n line %zu\n",
				      j, j);
	if (kind == 2) {
		for (j = 0; j < 1 + i % 10; j++)
			k += (size_t)snprintf(p + k, cap - k,
					      "--=_b%zu\nContent-Type: message/"
					      "rfc822\n\nSubject: fwd %zu\n"
					      "Content-Type: text/plain\n\n"
					      "forwarded text\n",
					      i, j);
	} else if (kind == 1 || i % 3 == 0) {
		size_t att = kind == 1 ? (size_t)1 << 20 : 4000 + i % 20000;

		k += (size_t)snprintf(p + k, cap - k,
				      "--=_b%zu\nContent-Type: application/pdf;"
				      " name=\"f.pdf\"\nContent-Transfer-Encoding:"
				      " base64\n\n",
				      i);
		for (j = 0; j < att / 57; j++) {
			size_t c;

			for (c = 0; c < 76; c++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				p[k++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
					 "mnopqrstuvwxyz0123456789+/"[x & 63];
			}
			p[k++] = '\n';
		}
	}
	k += (size_t)snprintf(p + k, cap - k, "--=_b%zu--\n", i);
	*len = k;
	return p;
}

static void
synth_set(set *s, int kind)
{
	size_t i, count = kind == 0 ? 10000 : kind == 1 ? 100 : 1000;

	for (i = 0; i < count; i++) {
		size_t n;
		char *p = synth_msg(kind, i, &n);

		add(s, p, n);
	}
}

/* ---------------------------------------------------------------------- */
/* Runs                                                                    */
/* ---------------------------------------------------------------------- */

typedef struct totals {
	unsigned long long msgs, bytes, ent, leaves, dec;
} totals;

typedef struct job {
	set *s;
	unsigned flags;
	counter c;
	totals t;
	int rc;
} job;

static int
on_event(void *ctx, const mf_event *ev)
{
	totals *t = ctx;

	switch (ev->type) {
	case MF_EV_PART_BEGIN:
		t->ent++;
		if (ev->depth == 0)
			t->msgs++;
		break;
	case MF_EV_HEADERS_END:
		if (mf_part_kind(ev->part) == MF_PART_LEAF)
			t->leaves++;
		break;
	case MF_EV_BODY:
		t->dec += ev->data.len;
		break;
	case MF_EV_PART_END:
		if (ev->depth == 0) {
			uint64_t h, e;

			mf_part_offsets(ev->part, &h, NULL, &e);
			t->bytes += e - h;
		}
		break;
	default:
		break;
	}
	return 0;
}

static void
run_push(void *arg)
{
	job *j = arg;
	mf_opts o;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.alloc.alloc = c_alloc;
	o.alloc.resize = c_resize;
	o.alloc.release = c_release;
	o.alloc.ctx = &j->c;
	o.flags = j->flags | (j->s->mbox ? MF_MBOX : 0);
	memset(&j->t, 0, sizeof(j->t));
	for (i = 0; i < j->s->count; i++) {
		mf_parser *ps = mf_parser_new(&o, on_event, &j->t);
		int rc;

		if (ps == NULL) {
			j->rc = MF_E_NOMEM;
			return;
		}
		if (j->s->mbox) {
			/* A file streamed in 1 MiB reads. */
			size_t at = 0, n = j->s->n[i];

			rc = MF_OK;
			while (at < n && rc == MF_OK) {
				size_t k = n - at < (1u << 20) ? n - at : 1u << 20;

				rc = mf_parser_feed(ps, j->s->p[i] + at, k);
				at += k;
			}
		} else {
			rc = mf_parser_feed(ps, j->s->p[i], j->s->n[i]);
		}
		if (rc == MF_OK)
			rc = mf_parser_finish(ps);
		if (rc != MF_OK)
			j->rc = rc;
		mf_parser_free(ps);
	}
}

static void
report_set(const bench_ctx *b, set *s, const char *label)
{
	job j;
	double sec, min = b->quick ? 0.3 : 1.0;
	char name[128];
	int ok;

	memset(&j, 0, sizeof(j));
	j.s = s;
	j.flags = MF_NO_BODY;
	sec = bench_best(run_push, &j, min);
	snprintf(name, sizeof(name), "mime %s structure only", label);
	bench_report(b, name, s->bytes, sec);
	j.flags = MF_DECODE;
	j.c.peak = 0;
	sec = bench_best(run_push, &j, min);
	snprintf(name, sizeof(name), "mime %s parse + decode", label);
	bench_report(b, name, s->bytes, sec);
	snprintf(name, sizeof(name), "mime %s parse + decode", label);
	bench_rate(name, (double)j.t.msgs, sec, "messages");
	ok = j.rc == MF_OK;
	if (s->have_want)
		ok = ok && j.t.msgs == s->w_msgs && j.t.bytes == s->w_bytes &&
		     j.t.ent == s->w_ent && j.t.leaves == s->w_leaves &&
		     j.t.dec == s->w_dec;
	printf("%-40s msgs=%llu bytes=%llu entities=%llu leaves=%llu "
	       "decoded=%llu %s\n",
	       label, j.t.msgs, j.t.bytes, j.t.ent, j.t.leaves, j.t.dec,
	       !s->have_want ? (ok ? "(no EXPECTED.txt)" : "FAILED")
	       : ok ? "= EXPECTED.txt" : "MISMATCH with EXPECTED.txt");
	printf("%-40s %9zu bytes peak (library, one parser at a time)\n",
	       label, j.c.peak);
	fflush(stdout);
}

/* The one-shot tree and the writer, on a set of message files. */
typedef struct tjob {
	set *s;
	size_t parts;
	int write;
	mf_buf *out;
} tjob;

static void
run_tree(void *arg)
{
	tjob *t = arg;
	size_t i;

	t->parts = 0;
	for (i = 0; i < t->s->count; i++) {
		mf_msg *m;

		if (mf_msg_parse(t->s->p[i], t->s->n[i], NULL, &m, NULL) !=
		    MF_OK)
			exit(1);
		t->parts += mf_msg_part_count(m);
		if (t->write) {
			mf_buf_clear(t->out);
			if (mf_msg_write(m, 0, t->out) != MF_OK ||
			    mf_buf_len(t->out) != t->s->n[i] ||
			    memcmp(mf_buf_data(t->out), t->s->p[i],
				   t->s->n[i]) != 0) {
				printf("writer: message %zu differs\n", i);
				exit(1);
			}
		}
		mf_msg_free(m);
	}
}

/* ---------------------------------------------------------------------- */
/* 1 GiB streamed through the push parser                                  */
/* ---------------------------------------------------------------------- */

static void
stream_1g(const bench_ctx *b)
{
	size_t total = (size_t)(b->quick ? 256 : 1024) << 20, fed = 0, k = 0;
	char *chunk = malloc(65536);
	const char *head = "From: a@example.com\nSubject: big\n"
			   "Content-Type: multipart/mixed; boundary=\"=_big\"\n\n"
			   "--=_big\nContent-Type: text/plain\n\nsee attached\n"
			   "--=_big\nContent-Type: application/octet-stream\n"
			   "Content-Transfer-Encoding: base64\n\n";
	const char *tail = "--=_big--\n";
	mf_opts o;
	mf_parser *ps;
	totals t;
	counter c;
	long rss0, rss1;
	double t0, sec;
	uint64_t x = 7;
	int rc;
	char name[128];

	if (chunk == NULL)
		return;
	/* 851 lines of 76 base64 characters: 64,447 bytes per chunk. */
	while (k + 77 <= 65536) {
		size_t i;

		for (i = 0; i < 76; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			chunk[k + i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
				       "stuvwxyz0123456789+/"[x & 63];
		}
		chunk[k + 76] = '\n';
		k += 77;
	}
	memset(&c, 0, sizeof(c));
	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	o.alloc.alloc = c_alloc;
	o.alloc.resize = c_resize;
	o.alloc.release = c_release;
	o.alloc.ctx = &c;
	o.flags = MF_DECODE;
	rss0 = rss_kib("VmRSS:");
	t0 = bench_now();
	ps = mf_parser_new(&o, on_event, &t);
	rc = ps != NULL ? mf_parser_feed(ps, head, strlen(head)) : MF_E_NOMEM;
	while (rc == MF_OK && fed < total) {
		rc = mf_parser_feed(ps, chunk, k);
		fed += k;
	}
	if (rc == MF_OK)
		rc = mf_parser_feed(ps, tail, strlen(tail));
	if (rc == MF_OK)
		rc = mf_parser_finish(ps);
	sec = bench_now() - t0;
	rss1 = rss_kib("VmRSS:");
	mf_parser_free(ps);
	snprintf(name, sizeof(name), "mime stream %zu MiB parse + decode",
		 total >> 20);
	bench_report(b, name, fed, sec);
	printf("%-40s %9zu bytes peak (library); RSS %+ld KiB; decoded "
	       "%llu of %zu %s\n",
	       "mime stream memory", c.peak, rss1 - rss0, t.dec,
	       fed / 77 * 57 + 12,
	       rc == MF_OK && t.dec == fed / 77 * 57 + 12 && c.peak < (1u << 20)
		   ? "ok (under 1 MB)"
		   : "FAILED");
	fflush(stdout);
	free(chunk);
}

void
bench_mime(const bench_ctx *b)
{
	static const char *names[] = {"small", "attach", "nested"};
	size_t i;

	stream_1g(b);
	for (i = 0; i < 3; i++) {
		set s;
		char label[64];

		memset(&s, 0, sizeof(s));
		if (b->corpus != NULL) {
			load_dir(&s, b->corpus, names[i]);
			expected(&s, b->corpus, names[i]);
		} else {
			synth_set(&s, (int)i);
		}
		if (s.count == 0) {
			printf("mime %s: no messages\n", names[i]);
			continue;
		}
		snprintf(label, sizeof(label), "%s/", names[i]);
		report_set(b, &s, label);
		if (i == 0) {
			tjob t;
			double sec;

			t.s = &s;
			t.write = 0;
			t.out = mf_buf_new(NULL);
			sec = bench_best(run_tree, &t,
					 b->quick ? 0.3 : 1.0);
			bench_report(b, "mime small/ tree (mf_msg_parse)",
				     s.bytes, sec);
			t.write = 1;
			sec = bench_best(run_tree, &t,
					 b->quick ? 0.3 : 1.0);
			bench_report(b, "mime small/ tree + write (checked)",
				     s.bytes, sec);
			mf_buf_free(t.out);
		}
		if (b->corpus != NULL) {
			set m;
			char path[4096];
			size_t n;
			char *p;

			/* The same messages as one mbox. */
			memset(&m, 0, sizeof(m));
			m.mbox = 1;
			m.have_want = s.have_want;
			m.w_msgs = s.w_msgs;
			m.w_bytes = s.w_bytes;
			m.w_ent = s.w_ent;
			m.w_leaves = s.w_leaves;
			m.w_dec = s.w_dec;
			snprintf(path, sizeof(path), "%s/%s.mbox", b->corpus,
				 names[i]);
			p = bench_read(path, &n);
			if (p != NULL) {
				add(&m, p, n);
				snprintf(label, sizeof(label), "%s.mbox",
					 names[i]);
				report_set(b, &m, label);
			}
			free_set(&m);
		}
		free_set(&s);
	}
	printf("%-40s %9ld KiB (VmHWM; the corpus is in memory)\n",
	       "mime process peak RSS", rss_kib("VmHWM:"));
}
