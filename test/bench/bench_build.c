/* SPDX-License-Identifier: MIT */
/*
 * bench_build.c - the builder and writer (issue 8, 7): a message with a
 * 1 MiB and one with a 20 MiB attachment built and written to memory
 * (MB/s of output, next to memcpy of as many bytes in the same run), and
 * 10,000 small text messages with a non-ASCII subject and two addresses
 * (messages/s). The same work done by GMime 3 is bench-gmime-build
 * (test/bench/gmime/), the 1 GiB streamed attachment bench-stream
 * (test/bench/stream/); make bench runs them after this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct job {
	const char *data; /* the attachment */
	size_t n;
	mf_buf *out;
	int rc;
	size_t count; /* small messages */
};

static int
one(mf_buf *out, const char *subject, const char *data, size_t n)
{
	static const char text[] = "Hello,\n\nthe figures are attached.\n";
	mf_msg *m = mf_msg_new(NULL);
	mf_error e;
	int rc = m != NULL ? MF_OK : MF_E_NOMEM;

	if (rc == MF_OK)
		mf_msg_seed(m, 42);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "From", "Zoë Müller <zoe@example.org>", &e);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "To", "Bob <bob@example.net>, "
					 "carol@example.com", &e);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "Subject", subject, &e);
	if (rc == MF_OK)
		rc = mf_msg_set_text(m, text, sizeof(text) - 1, 0);
	if (rc == MF_OK && data != NULL)
		rc = mf_msg_attach(m, "data.bin", "application/octet-stream",
				   data, n, MF_BORROW, NULL);
	if (rc == MF_OK)
		rc = mf_msg_write(m, 0, out);
	mf_msg_free(m);
	return rc;
}

static void
run_attach(void *arg)
{
	struct job *j = arg;

	int rc;

	mf_buf_clear(j->out);
	if ((rc = one(j->out, "Zahlen für März", j->data, j->n)) != MF_OK)
		j->rc = rc;
	bench_sink(mf_buf_data(j->out), mf_buf_len(j->out));
}

static void
run_small(void *arg)
{
	struct job *j = arg;
	size_t i;
	int rc;

	for (i = 0; i < j->count; i++) {
		mf_buf_clear(j->out);
		rc = one(j->out, "Grüße aus Zürich — Übersicht", NULL, 0);
		if (rc != MF_OK)
			j->rc = rc;
		bench_sink(mf_buf_data(j->out), mf_buf_len(j->out));
	}
}

struct mc {
	char *dst;
	const char *src;
	size_t n;
};

static void
run_memcpy(void *arg)
{
	struct mc *m = arg;

	memcpy(m->dst, m->src, m->n);
	bench_sink(m->dst, m->n);
}

void
bench_build(const bench_ctx *b)
{
	static const size_t mib[] = {1, 20};
	struct job j;
	size_t i;
	double t, tm;

	memset(&j, 0, sizeof(j));
	j.out = mf_buf_new(NULL);
	if (j.out == NULL)
		return;
	for (i = 0; i < sizeof(mib) / sizeof(mib[0]); i++) {
		char *data = malloc(mib[i] << 20), *copy;
		struct mc m;
		char name[64];

		if (data == NULL)
			break;
		bench_fill(data, mib[i] << 20, 8 + i);
		j.data = data;
		j.n = mib[i] << 20;
		t = bench_best(run_attach, &j, b->quick ? 0.2 : 1.0);
		/* memcpy of as many bytes as the message has, same run. */
		m.n = mf_buf_len(j.out);
		copy = malloc(m.n);
		m.src = mf_buf_data(j.out);
		m.dst = copy;
		tm = copy != NULL ? bench_best(run_memcpy, &m, 0.5) : 0;
		snprintf(name, sizeof(name), "build+write, %zu MiB attachment",
			 mib[i]);
		printf("%-40s %9.1f MB/s  %6.1f%% of memcpy (%.1f MB/s, same "
		       "%zu bytes)\n",
		       name, (double)m.n / t / 1e6, tm > 0 ? 100.0 * tm / t : 0,
		       tm > 0 ? (double)m.n / tm / 1e6 : 0, m.n);
		fflush(stdout);
		free(copy);
		free(data);
	}
	j.count = 10000;
	t = bench_best(run_small, &j, b->quick ? 0.2 : 1.0);
	bench_rate("build+write, 10000 small messages", (double)j.count, t,
		   "msg");
	if (j.rc != MF_OK)
		printf("bench_build: the builder failed: %s\n",
		       mf_strerror(j.rc));
	mf_buf_free(j.out);
}
