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

/*
 * SMTP mailboxes (RFC 5321 4.1.2, 4.1.3, 4.5.3.1.1-2; RFC 6531 3.3), for
 * the SMTP layer: the stricter grammar of the envelope, checked with the
 * lexer's primitives. Offsets (*bad) are into p.
 */
typedef struct mf__smtp_mbox {
	mf_str local;   /* as written (quotes kept) */
	mf_str domain;  /* empty when there is none */
	unsigned flags; /* MF_SMTP_PATH_UTF8, _QUOTED, _LITERAL */
} mf__smtp_mbox;

/*
 * Whether p[0..n) is a Mailbox: Dot-string or Quoted-string "@" Domain or
 * address-literal, UTF-8 allowed (and flagged); no_domain accepts a local
 * part alone. MF_OK, or MF_E_SYNTAX / MF_E_LIMIT (local part over 64,
 * domain over 255 octets) with *bad and *why.
 */
int mf__smtp_mailbox(const char *p, size_t n, bool no_domain,
		     mf__smtp_mbox *mb, size_t *bad, const char **why);
/* Whether p[0..n) is a Domain or an address-literal; *flags gets
 * MF_SMTP_PATH_UTF8 or _LITERAL. */
int mf__smtp_domain(const char *p, size_t n, unsigned *flags, size_t *bad,
		    const char **why);

#endif /* MF_ADDR_H */
