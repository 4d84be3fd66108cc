/* SPDX-License-Identifier: MIT */
/*
 * tdefect.h - test scaffolding shared by the header and codec tests
 * (test_addr.c, test_ctype.c, test_ew.c, test_rfc2231.c, test_content.c):
 * the defect log filled through mf_opts.on_defect, and
 * the check of a log against a table row (codes and offsets in the order
 * reported, and the defect mask).
 */
#ifndef TDEFECT_H
#define TDEFECT_H

#include "tutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define S(s) s, sizeof(s) - 1

/* Every defect reported through the callback, in order. */
struct log {
	int code[64];
	uint64_t off[64];
	size_t n;
};

static inline void
log_defect(void *ctx, int code, uint64_t off)
{
	struct log *l = ctx;

	if (l->n < N(l->code)) {
		l->code[l->n] = code;
		l->off[l->n] = off;
	}
	l->n++;
}

/* Zeroed options whose defects go to the zeroed log l. */
static inline void
log_opts(mf_opts *o, struct log *l)
{
	memset(o, 0, sizeof(*o));
	memset(l, 0, sizeof(*l));
	o->on_defect = log_defect;
	o->defect_ctx = l;
}

/*
 * The log holds exactly the nd defects code[k] at off[k], in that order,
 * and def (the mask the call gave) exactly their bits; case i on failure.
 */
static inline void
log_check(const struct log *l, uint64_t def, size_t nd, const int *code,
          const long *off, size_t i)
{
	uint64_t want_def = 0;
	size_t k;

	for (k = 0; k < nd; k++) {
		if (k >= l->n || l->code[k] != code[k] ||
		    l->off[k] != (uint64_t)off[k])
			fail_msg("case %zu: defect %zu: got %s at %llu, "
			         "want %s at %ld",
			         i, k,
			         k < l->n ? mf_defect_name(l->code[k]) : "none",
			         k < l->n ? (unsigned long long)l->off[k]
			                  : 0ull,
			         mf_defect_name(code[k]), off[k]);
		want_def |= MF_DEFECT_BIT(code[k]);
	}
	if (l->n != nd)
		fail_msg("case %zu: %zu defects, want %zu (first extra %s at "
		         "%llu)",
		         i, l->n, nd,
		         l->n > nd ? mf_defect_name(l->code[nd]) : "-",
		         l->n > nd ? (unsigned long long)l->off[nd] : 0ull);
	if (def != want_def)
		fail_msg("case %zu: defect mask %llx, want %llx", i,
		         (unsigned long long)def, (unsigned long long)want_def);
}

#endif /* TDEFECT_H */
