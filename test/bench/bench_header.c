/* SPDX-License-Identifier: MIT */
/*
 * bench_header.c - the header layer: header-block parsing (messages/s and
 * MB/s of header bytes) over the headers of gen_corpus.py's small/ set
 * (CORPUS=DIR) or, without it, synthetic header blocks of the same shape;
 * the same with the Subject decoded and the Date parsed; and dates/s.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"

typedef struct msgset {
	char **p;
	size_t *n;
	size_t count, cap;
	size_t hdr_bytes; /* sum of header block sizes */
} msgset;

static void
add_msg(msgset *m, char *p, size_t n)
{
	if (m->count == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 1024;
		m->p = realloc(m->p, m->cap * sizeof(*m->p));
		m->n = realloc(m->n, m->cap * sizeof(*m->n));
		if (m->p == NULL || m->n == NULL)
			exit(1);
	}
	m->p[m->count] = p;
	m->n[m->count] = n;
	m->count++;
}

static void
load_corpus(msgset *m, const char *dir)
{
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

		if (strstr(e->d_name, ".eml") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/small/%s", dir, e->d_name);
		p = bench_read(path, &n);
		if (p != NULL)
			add_msg(m, p, n);
	}
	closedir(d);
}

/* Synthetic header blocks shaped like gen_corpus.py's (deterministic). */
static void
synth(msgset *m, size_t count)
{
	static const char *subj[] = {
	    "Subject: Re: [dev-list] quarterly report draft for review\n",
	    "Subject: =?utf-8?B?UmU6IHLDqXN1bcOpIGR1IHByb2pldA==?=\n",
	    "Subject: =?iso-8859-1?Q?Caf=E9_meeting_notes?=\n =?iso-8859-1?Q?_for_tomorrow?=\n",
	};
	size_t i;
	uint64_t x = 1;

	for (i = 0; i < count; i++) {
		char *p = malloc(4096);
		int k = 0, r, j;

		if (p == NULL)
			exit(1);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		r = (int)(x >> 60);
		for (j = 0; j < 1 + r % 4; j++)
			k += snprintf(p + k, 4096 - (size_t)k,
				      "Received: from mx%d.example.com (mx%d.example.org "
				      "[192.0.2.%d])\n\tby mx.example.net (Postfix) with "
				      "ESMTPS id %08X\n\tfor <user@example.org>; Fri, 14 May "
				      "2021 06:40:%02d +0000\n",
				      j, r, j * 7, (unsigned)(x >> 16), j);
		k += snprintf(p + k, 4096 - (size_t)k,
			      "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
			      "d=example.com; s=sel1;\n\th=from:to:subject:date;\n"
			      "\tbh=mIFTFJOuHcIgL/8jCJBxss0PQqHOCtxS4XEn9RuqM+o=;\n"
			      "\tb=zc+RBXFxcCV8exHM4ni/RohMT1KsGVtY+hfvRadDVnJvE/MtN7U8\n"
			      "References: <55878be695c189a0@example.org>\n"
			      " <b9cc68229248d4bd@example.org>\n"
			      "From: \"Lee, Ann\" <ann.lee%d@example.com>\n"
			      "To: Bob Ray <bob@example.org>, =?utf-8?Q?Jos=C3=A9?= "
			      "<jose@example.net>,\n\tcarol@example.com\n"
			      "%sDate: Sun, 27 Sep 2020 12:47:%02d +0100\n"
			      "Message-ID: <%016llx.%d@example.com>\n"
			      "MIME-Version: 1.0\n"
			      "Content-Type: text/plain; charset=utf-8\n"
			      "Content-Transfer-Encoding: quoted-printable\n\n"
			      "body\n",
			      r, subj[i % 3], (int)(i % 60),
			      (unsigned long long)x, r);
		add_msg(m, p, (size_t)k);
	}
}

typedef struct hctx {
	msgset *m;
	int decode; /* 1: Subject and Date; 2: also From, To, Cc */
	mf_buf *buf;
	size_t fields;
	size_t subj_bytes, mailboxes; /* checked against EXPECTED.txt */
	mf_addr items[1024];
	char scratch[65536];
	char **dates;
	size_t *dlen;
	size_t ndates;
} hctx;

#define NF 256

static const mf_field *
find(const mf_field *f, size_t nf, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < nf; i++) {
		if (f[i].name.len == len &&
		    strncasecmp(f[i].name.ptr, name, len) == 0)
			return &f[i];
	}
	return NULL;
}

static void
run_headers(void *arg)
{
	hctx *c = arg;
	mf_field f[NF];
	size_t i;

	c->fields = 0;
	c->subj_bytes = 0;
	c->mailboxes = 0;
	for (i = 0; i < c->m->count; i++) {
		size_t nf = NF, body;
		const mf_field *s;

		if (mf_headers_scan(c->m->p[i], c->m->n[i], NULL, f, &nf, &body,
				    NULL, NULL) != MF_OK)
			continue;
		c->fields += nf;
		if (!c->decode)
			continue;
		s = find(f, nf, "Subject");
		if (s != NULL) {
			mf_buf_clear(c->buf);
			if (mf_hdr_decode(c->buf, s->value.ptr, s->value.len,
					  NULL, NULL, NULL) == MF_OK) {
				bench_sink(mf_buf_data(c->buf),
					   mf_buf_len(c->buf));
				c->subj_bytes += mf_buf_len(c->buf);
			}
		}
		if (c->decode > 1) {
			static const char *const names[] = {"From", "To", "Cc"};
			size_t k, j;

			for (k = 0; k < 3; k++) {
				size_t cnt = 1024, sl = sizeof(c->scratch);

				s = find(f, nf, names[k]);
				if (s == NULL ||
				    mf_addr_parse(s->value.ptr, s->value.len,
						  NULL, c->items, &cnt,
						  c->scratch, &sl, NULL,
						  NULL) != MF_OK)
					continue;
				for (j = 0; j < cnt; j++)
					c->mailboxes += c->items[j].kind ==
							MF_ADDR_MAILBOX;
			}
		}
		s = find(f, nf, "Date");
		if (s != NULL) {
			mf_date d;

			if (mf_date_parse(s->value.ptr, s->value.len, NULL, &d,
					  NULL, NULL) == MF_OK)
				bench_sink(&d, sizeof(d));
		}
	}
}

static void
run_dates(void *arg)
{
	hctx *c = arg;
	size_t i;

	for (i = 0; i < c->ndates; i++) {
		mf_date d;

		if (mf_date_parse(c->dates[i], c->dlen[i], NULL, &d, NULL,
				  NULL) == MF_OK)
			bench_sink(&d, sizeof(d));
	}
}

void
bench_header(const bench_ctx *b)
{
	msgset m;
	hctx *cp = calloc(1, sizeof(hctx));
	double t;
	size_t i;
	mf_field f[NF];

	memset(&m, 0, sizeof(m));
	if (cp == NULL)
		return;
	if (b->corpus != NULL)
		load_corpus(&m, b->corpus);
	if (m.count == 0)
		synth(&m, b->quick ? 2000 : 10000);
	cp->m = &m;
	cp->buf = mf_buf_new(NULL);
	cp->dates = malloc(m.count * sizeof(*cp->dates));
	cp->dlen = malloc(m.count * sizeof(*cp->dlen));
	if (cp->buf == NULL || cp->dates == NULL || cp->dlen == NULL)
		return;
	for (i = 0; i < m.count; i++) {
		size_t nf = NF, body = 0;
		const mf_field *d;

		if (mf_headers_scan(m.p[i], m.n[i], NULL, f, &nf, &body, NULL,
				    NULL) != MF_OK)
			continue;
		m.hdr_bytes += body;
		d = find(f, nf, "Date");
		if (d != NULL) {
			cp->dates[cp->ndates] = (char *)(uintptr_t)d->value.ptr;
			cp->dlen[cp->ndates++] = d->value.len;
		}
	}
	printf("header layer: %zu messages, %.1f MB of headers\n", m.count,
	       (double)m.hdr_bytes / 1e6);
	t = bench_best(run_headers, cp, b->quick ? 0.3 : 2.0);
	bench_rate("header block parse", (double)m.count, t, "msgs");
	bench_report(b, "header block parse", m.hdr_bytes, t);
	cp->decode = 1;
	t = bench_best(run_headers, cp, b->quick ? 0.3 : 2.0);
	bench_rate("headers + Subject decode + Date", (double)m.count, t,
		   "msgs");
	bench_report(b, "headers + Subject decode + Date", m.hdr_bytes, t);
	cp->decode = 2;
	t = bench_best(run_headers, cp, b->quick ? 0.3 : 2.0);
	bench_rate("headers + Subject + Date + From/To/Cc", (double)m.count, t,
		   "msgs");
	bench_report(b, "headers + Subject + Date + From/To/Cc", m.hdr_bytes,
		     t);
	printf("  (decoded subject bytes %zu, mailboxes %zu)\n", cp->subj_bytes,
	       cp->mailboxes);
	t = bench_best(run_dates, cp, b->quick ? 0.3 : 1.0);
	bench_rate("mf_date_parse", (double)cp->ndates, t, "dates");
	mf_buf_free(cp->buf);
	free(cp->dates);
	free(cp->dlen);
	for (i = 0; i < m.count; i++)
		free(m.p[i]);
	free(m.p);
	free(m.n);
	free(cp);
}
