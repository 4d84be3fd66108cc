/* SPDX-License-Identifier: MIT */
/*
 * main.c - make bench [CORPUS=DIR] [BENCH_ONLY=smtp,...]: every module's
 * benchmark (or those named) in one run,
 * each figure next to single-thread memcpy measured in the same run (this
 * machine's memcpy drifts between runs, so the percentage is what counts).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *
bench_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long sz = 0;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	p = malloc((size_t)sz + 1);
	if (p == NULL || fread(p, 1, (size_t)sz, f) != (size_t)sz) {
		free(p);
		fclose(f);
		return NULL;
	}
	fclose(f);
	p[sz] = '\0';
	*n = (size_t)sz;
	return p;
}

void
bench_fill(void *p, size_t n, uint64_t seed)
{
	unsigned char *s = p;
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		s[i] = (unsigned char)((x * 0x2545F4914F6CDD1Dull) >> 56);
	}
}

static volatile unsigned char sink;

void
bench_sink(const void *p, size_t n)
{
	if (n)
		sink ^= ((const unsigned char *)p)[n - 1];
}

double
bench_best(void (*fn)(void *), void *arg, double min_sec)
{
	double best = 1e30, start = bench_now();
	int runs = 0;

	while (runs < 3 || bench_now() - start < min_sec) {
		double t0 = bench_now(), t;
		fn(arg);
		t = bench_now() - t0;
		if (t < best)
			best = t;
		runs++;
	}
	return best;
}


void
bench_report(const bench_ctx *b, const char *name, size_t bytes, double sec)
{
	double mbs = (double)bytes / sec / 1e6;

	printf("%-40s %9.1f MB/s  %6.1f%% of memcpy\n", name, mbs,
	       100.0 * mbs / b->memcpy_mbs);
	fflush(stdout);
}

void
bench_rate(const char *name, double count, double sec, const char *unit)
{
	printf("%-40s %12.0f %s/s\n", name, count / sec, unit);
	fflush(stdout);
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

/* BENCH_ONLY=smtp,addr: only those modules (all when unset). */
static int
run(const char *only, const char *name)
{
	size_t n = strlen(name);
	const char *p = only;

	if (only == NULL || *only == '\0')
		return 1;
	while (p != NULL) {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p != NULL)
			p++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *only = getenv("BENCH_ONLY");
	bench_ctx b;
	struct mc m;
	double t;

	memset(&b, 0, sizeof(b));
	b.corpus = argc > 1 && argv[1][0] ? argv[1] : NULL;
	b.quick = getenv("BENCH_QUICK") != NULL;
	/* 64 MiB, well past the caches, like the codec corpus files. */
	m.n = (size_t)64 << 20;
	m.dst = malloc(m.n);
	m.src = malloc(m.n);
	if (m.dst == NULL || m.src == NULL)
		return 1;
	bench_fill((char *)(uintptr_t)m.src, m.n, 1);
	memset(m.dst, 0, m.n);
	t = bench_best(run_memcpy, &m, 1.0);
	b.memcpy_mbs = (double)m.n / t / 1e6;
	printf("mailfmt %s bench; corpus: %s; cpu features: 0x%x\n",
	       mf_version_string(), b.corpus ? b.corpus : "(synthetic)",
	       mf_cpu_features());
	printf("%-40s %9.1f MB/s  100.0%% of memcpy\n", "memcpy (64 MiB)",
	       b.memcpy_mbs);
	free(m.dst);
	free((char *)(uintptr_t)m.src);

	if (run(only, "codec"))
		bench_codec(&b);
	if (run(only, "ew"))
		bench_ew(&b);

	/* header layer */
	if (run(only, "header"))
		bench_header(&b);
	if (run(only, "addr"))
		bench_addr(&b);

	/* mime */
	if (run(only, "mime"))
		bench_mime(&b);

	/* mime: content */
	if (run(only, "content"))
		bench_content(&b);

	/* smtp */
	if (run(only, "smtp"))
		bench_smtp(&b);

	/* builder and writer */
	if (run(only, "build"))
		bench_build(&b);
	return 0;
}
