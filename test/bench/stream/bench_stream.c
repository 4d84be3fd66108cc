/* SPDX-License-Identifier: MIT */
/*
 * bench_stream.c - make bench: bench-stream [MIB] builds a message whose
 * attachment of MIB MiB (default 1024) is read from a callback at write
 * time (mf_msg_attach_fn) and writes it through a sink that only counts
 * and checksums, then prints MB/s of output and this process's peak
 * resident memory, and the peak before the write (the program, libc, the
 * message): it must not grow with MIB (the target is under 2 MB for 1
 * GiB). The peak is Linux's VmHWM (/proc/self/status) where there is one:
 * getrusage's ru_maxrss, printed beside it, keeps across execve the peak
 * of the process that forked us (make's: several MB). Exit 1 if the write
 * fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <mailfmt.h>

struct src {
	uint64_t left; /* bytes still to give */
	uint64_t x;    /* generator state */
};

/* Pseudo-random bytes, 8 at a time (cheap: the figure is the writer's). */
static int
reader(void *ctx, void *buf, size_t cap, size_t *got)
{
	struct src *s = ctx;
	unsigned char *p = buf;
	size_t n = cap < s->left ? cap : (size_t)s->left, i;

	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			s->x = s->x * 6364136223846793005ull +
			       1442695040888963407ull;
		p[i] = (unsigned char)(s->x >> (8 * (i % 8)));
	}
	s->left -= n;
	*got = n;
	return 0;
}

struct count {
	uint64_t bytes;
	uint32_t sum;
};

static int
sink(void *ctx, const char *p, size_t n)
{
	struct count *c = ctx;

	c->bytes += n;
	if (n > 0)
		c->sum = c->sum * 31u + (unsigned char)p[n - 1];
	return 0;
}

/* Peak resident KiB: VmHWM, else ru_maxrss (*maxrss gets that). */
static long
peak_kib(long *maxrss)
{
	struct rusage ru;
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f != NULL)
		fclose(f);
	getrusage(RUSAGE_SELF, &ru);
	*maxrss = ru.ru_maxrss;
	return kib >= 0 ? kib : ru.ru_maxrss;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
	struct src s = {mib << 20, 7};
	struct count c = {0, 0};
	long before, peak, maxrss;
	mf_msg *m = mf_msg_new(NULL);
	mf_error e;
	double t0, t;
	char name[64];
	int rc = m != NULL ? MF_OK : MF_E_NOMEM;

	if (rc == MF_OK)
		rc = mf_msg_set(m, "Subject", "Ein großer Anhang", &e);
	if (rc == MF_OK)
		rc = mf_msg_set_text(m, "see the attachment\n", 19, 0);
	if (rc == MF_OK)
		rc = mf_msg_attach_fn(m, "big.bin", NULL, reader, &s, 0, NULL);
	before = peak_kib(&maxrss);
	t0 = now();
	if (rc == MF_OK)
		rc = mf_msg_write_fn(m, 0, sink, &c);
	t = now() - t0;
	mf_msg_free(m);
	peak = peak_kib(&maxrss);
	if (rc != MF_OK) {
		fprintf(stderr, "bench-stream: %s\n", mf_strerror(rc));
		return 1;
	}
	snprintf(name, sizeof(name), "streamed %llu MiB attachment, sink",
		 (unsigned long long)mib);
	printf("%-40s %9.1f MB/s  %llu bytes\n", name,
	       (double)c.bytes / t / 1e6, (unsigned long long)c.bytes);
	printf("%-40s %9ld KiB  (%ld KiB before the write; ru_maxrss "
	       "%ld KiB)\n",
	       "  its peak memory (VmHWM)", peak, before, maxrss);
	return 0;
}
