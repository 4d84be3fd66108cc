/* SPDX-License-Identifier: MIT */
/*
 * tutil.h - shared test helpers: cmocka includes, the failing allocator for
 * OOM loops, guard-page buffers, reading project test files, a small JSON
 * reader for the corpus vectors, seeded random bytes, and byte-string
 * comparison that prints escaped differences with the case index.
 */
#ifndef TUTIL_H
#define TUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailfmt.h"

#ifndef MF_TEST_DIR
#define MF_TEST_DIR "test"
#endif

/* ---------------------------------------------------------------------- */
/* Failing allocator: fails the allocation numbered fail_at (0-based) and,  */
/* with sticky set, every one after it; counts live blocks and bytes.       */
/* ---------------------------------------------------------------------- */

typedef struct tu_alloc {
	mf_alloc a;   /* pass &ta.a to the library */
	long fail_at; /* -1: never fail */
	int sticky;   /* fail every allocation from fail_at on */
	long calls;   /* allocations attempted (alloc + resize) */
	long live;    /* blocks currently allocated */
	size_t bytes; /* bytes currently allocated */
	size_t peak;  /* peak bytes */
} tu_alloc;

void tu_alloc_init(tu_alloc *ta, long fail_at);

/*
 * The OOM loop (SQLite, curl torture): runs fn with an allocator that fails
 * allocation N for N = 0, 1, ... until fn succeeds. Asserts that every
 * failing run returns MF_E_NOMEM and leaves no block allocated (fn must free
 * what it got), and that the final run leaks nothing either. Returns the
 * number of allocations the successful run made.
 */
typedef int tu_oom_fn(const mf_alloc *a, void *ctx);
long tu_oom_loop(tu_oom_fn *fn, void *ctx);

/* ---------------------------------------------------------------------- */
/* Guard pages: a copy of p[0..n) that ends right before a PROT_NONE page,  */
/* so reading one byte past the end faults (picohttpparser).               */
/* ---------------------------------------------------------------------- */

typedef struct tu_guard {
	char *ptr; /* the copy */
	void *base_;
	size_t size_;
} tu_guard;

const char *tu_guard_new(tu_guard *g, const void *p, size_t n);
void tu_guard_free(tu_guard *g);

/* ---------------------------------------------------------------------- */
/* Files (paths relative to the project's test/ directory)                 */
/* ---------------------------------------------------------------------- */

/* Whole file, NUL-terminated (not counted); fails the test if missing. */
char *tu_read(const char *rel, size_t *n);
/* Full path of rel under test/, in a static-free caller buffer. */
void tu_path(char *out, size_t cap, const char *rel);
/*
 * Lists regular files under directory rel (recursively), sorted, as paths
 * relative to test/. Returns a NULL-terminated array; free with
 * tu_list_free.
 */
char **tu_list(const char *rel, size_t *count);
void tu_list_free(char **list);

/* ---------------------------------------------------------------------- */
/* Line-ending conversion for corpus runs                                   */
/* ---------------------------------------------------------------------- */

/* All line ends as CRLF (crlf != 0) or LF; returns malloc'd copy. */
char *tu_eol(const char *p, size_t n, int crlf, size_t *outlen);

/* ---------------------------------------------------------------------- */
/* JSON reader (for test/corpus/vectors)                                    */
/* ---------------------------------------------------------------------- */

enum tj_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

typedef struct tj tj;
struct tj {
	enum tj_type type;
	double num;   /* TJ_NUM, TJ_BOOL (0/1) */
	char *str;    /* TJ_STR: UTF-8, NUL-terminated (may contain NUL) */
	size_t len;   /* TJ_STR: bytes; TJ_ARR/TJ_OBJ: items */
	char **keys;  /* TJ_OBJ */
	tj **items;   /* TJ_ARR, TJ_OBJ values */
};

/* Parses a whole file under test/; fails the test on a syntax error. */
tj *tj_load(const char *rel);
tj *tj_parse(const char *p, size_t n);
void tj_free(tj *v);
/* Object member or NULL. */
tj *tj_get(const tj *obj, const char *key);
/* Walks "a.b.c" through objects. */
tj *tj_path(const tj *v, const char *path);
tj *tj_at(const tj *arr, size_t i);
int tj_is_null(const tj *v);
/*
 * The bytes of a string value, or of a {"bytes_hex": ...} object (the
 * corpus's form for byte strings that are not UTF-8). NULL for null.
 */
const char *tj_bytes(const tj *v, size_t *len);
long tj_int(const tj *v);

/* ---------------------------------------------------------------------- */
/* Assertions                                                              */
/* ---------------------------------------------------------------------- */

/*
 * Compares two byte strings; on mismatch prints both escaped, the first
 * differing offset and the case label, then fails the test.
 */
#define tu_assert_mem(got, gotlen, want, wantlen, label)                       \
	tu_assert_mem_(got, gotlen, want, wantlen, label, __FILE__, __LINE__)
#define tu_assert_str(got, want, label)                                        \
	tu_assert_mem_(got, strlen(got), want, strlen(want), label, __FILE__,  \
		       __LINE__)
void tu_assert_mem_(const void *got, size_t gotlen, const void *want,
		    size_t wantlen, const char *label, const char *file,
		    int line);
/* Prints p[0..n) with C escapes to stderr (at most max bytes). */
void tu_print_escaped(const void *p, size_t n, size_t max);

/* ---------------------------------------------------------------------- */
/* Seeded random bytes (xorshift64*), for round-trip properties            */
/* ---------------------------------------------------------------------- */

typedef struct tu_rng {
	uint64_t s;
} tu_rng;

void tu_rng_seed(tu_rng *r, uint64_t seed);
uint64_t tu_rng_next(tu_rng *r);
/* Uniform in [0, n); n > 0. */
size_t tu_rng_below(tu_rng *r, size_t n);
void tu_rng_fill(tu_rng *r, void *p, size_t n);

/* ---------------------------------------------------------------------- */
/* Golden event logs: a growing text buffer                                */
/* ---------------------------------------------------------------------- */

typedef struct logbuf {
	char *p; /* NUL-terminated (NULL until the first byte) */
	size_t n, cap;
} logbuf;

void lb_add(logbuf *l, const void *p, size_t n);
void lb_printf(logbuf *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether long-running tests should use their reduced size (valgrind). */
int tu_slow_ok(void);

#endif /* TUTIL_H */
