/* SPDX-License-Identifier: MIT */
/*
 * contype.h - Content-Type, Content-Disposition and their parameter lists
 * (internal interface of ctype.c; not "ctype.h", which would shadow the C
 * library's header on the -Ilib include path), for the MIME parser, which keeps the results of
 * every part in its own arena: no allocation outside the arena on the
 * common path (decoding RFC 2231 or RFC 2047 values may use a temporary
 * buffer through the arena's allocator).
 */
#ifndef MF_CONTYPE_H
#define MF_CONTYPE_H

#include "core.h"

struct mf_params {
	mf_param *v; /* in the arena */
	size_t n;
};

struct mf_ctype {
	mf_str type, subtype; /* lower case; len 0 when unusable */
	mf_params params;
	uint64_t defects;
	mf__arena ar_; /* the public object's own arena (unused inside) */
};

struct mf_disp {
	mf_str type; /* lower case; len 0 when missing */
	mf_params params;
	uint64_t defects;
	mf__arena ar_;
};

/*
 * Parse p[0..n) into *out (caller storage, e.g. inside a part), with the
 * parameter array and decoded strings allocated from ar; other strings are
 * views into p. Offsets are p - start + off0. MF_OK, MF_E_NOMEM, or with
 * MF_STRICT MF_E_DEFECT / MF_E_LIMIT (err->offset). On error *out holds
 * nothing that needs freeing beyond ar.
 */
int mf__ctype_parse(mf__arena *ar, const char *p, size_t n, const mf_opts *o,
		    uint64_t off0, mf_ctype *out, mf_error *err);
int mf__disp_parse(mf__arena *ar, const char *p, size_t n, const mf_opts *o,
		   uint64_t off0, mf_disp *out, mf_error *err);

#endif /* MF_CONTYPE_H */
