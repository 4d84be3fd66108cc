/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the benchmark harness (make bench): wall-clock timing of the
 * best of several runs, single-thread memcpy measured in the same run, and
 * the corpus of gen_corpus.py when CORPUS=DIR is given. Each module adds a
 * bench_<module>.c with one entry function listed in main.c.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "mailfmt.h"

typedef struct bench_ctx {
	const char *corpus; /* directory made by gen_corpus.py, or NULL */
	double memcpy_mbs;  /* memcpy MB/s measured at start */
	int quick;          /* fewer repetitions */
} bench_ctx;

/* Seconds from a monotonic clock. */
double bench_now(void);
/* Reads a whole file; NULL if missing. */
char *bench_read(const char *path, size_t *n);
/* Deterministic pseudo-random bytes. */
void bench_fill(void *p, size_t n, uint64_t seed);
/*
 * Runs fn(arg) until at least min_sec has passed (at least 3 times) and
 * returns the best time of one run in seconds.
 */
double bench_best(void (*fn)(void *), void *arg, double min_sec);
/* Prints "name  X MB/s  (Y% of memcpy)". */
void bench_report(const bench_ctx *b, const char *name, size_t bytes,
		  double sec);
/* Prints "name  X unit/s". */
void bench_rate(const char *name, double count, double sec, const char *unit);
/* Keeps a value alive so the compiler cannot drop the work. */
void bench_sink(const void *p, size_t n);

void bench_codec(const bench_ctx *b);
void bench_ew(const bench_ctx *b);

/* header layer */
void bench_header(const bench_ctx *b);
void bench_addr(const bench_ctx *b);

/* mime */
void bench_mime(const bench_ctx *b);

/* mime: content */
void bench_content(const bench_ctx *b);

/* smtp: commands, replies, dot-stuffing */
void bench_smtp(const bench_ctx *b);

/* builder and writer */
void bench_build(const bench_ctx *b);

#endif
