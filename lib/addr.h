/* SPDX-License-Identifier: MIT */
/*
 * addr.h - address lists (internal interface), for the layers that keep
 * parse results in their own arena (the message tree).
 */
#ifndef MF_ADDR_H
#define MF_ADDR_H

#include "core.h"

/*
 * Parses the address list p[0..n) into an array allocated from ar (*out,
 * *count items; NULL and 0 for an empty list); decoded strings are copied
 * into ar, the rest are views into p. Offsets (in items, defects and err)
 * are p - start + off0. defects may be NULL. Nothing is left allocated
 * outside ar, whatever the result.
 */
int mf__addr_parse_ar(mf__arena *ar, const char *p, size_t n,
		      const mf_opts *o, uint64_t off0, mf_addr **out,
		      size_t *count, uint64_t *defects, mf_error *err);

/*
 * The fast path's question for an item starting at s: is it a plain
 * addr-spec (dot-atom "@" dot-atom)? Sets *at to the "@" and *dend to the
 * end of the domain. path: MF__PATH_SCALAR or MF__PATH_AVX2 (codec.h);
 * both give the same answer (the tests check it).
 */
bool mf__addr_spans(int path, const char *s, const char *end,
		    const char **at, const char **dend);

#endif /* MF_ADDR_H */
