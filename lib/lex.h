/* SPDX-License-Identifier: MIT */
/*
 * lex.h - the one RFC 5322 tokenizer (internal interface).
 *
 * Every structured parser (addresses, message-ids, dates, Received, MIME
 * parameters, SMTP paths) walks its input with an mf__lex cursor and these
 * functions; nobody else skips comments or interprets quoting. The lexer
 * depends only on core.
 *
 * Conventions: the cursor never moves past end; each scanner either consumes
 * a construct and returns true, or consumes nothing and returns false.
 * Spans are views into the input. Unterminated quoted strings, comments and
 * domain literals run to the end of the input and record
 * MF_D_UNTERMINATED (in strict mode lx->rc becomes MF_E_DEFECT and
 * lx->err_at points at the opening character). Bytes >= 0x80 are accepted
 * wherever text is (RFC 6532 UTF-8, and the raw 8-bit text real mail has).
 */
#ifndef MF_LEX_H
#define MF_LEX_H

#include "core.h"

typedef struct mf__lex {
	const char *p;    /* cursor */
	const char *end;  /* end of input */
	const char *base; /* start of input: offsets are p - base + off0 */
	uint64_t off0;    /* offset of base in the caller's larger input */
	const mf_opts *o; /* for defect callbacks and MF_STRICT; may be NULL */
	uint64_t defects; /* MF_DEFECT_BIT of every defect seen */
	int rc;           /* sticky: first error (MF_E_DEFECT) or MF_OK */
	const char *err_at;
	mf_str comment; /* content of the last comment mf__lex_cfws skipped */
} mf__lex;

void mf__lex_init(mf__lex *lx, const char *p, size_t n, const mf_opts *o,
		  uint64_t off0);

/* Records defect d at position at; sets lx->rc in strict mode. */
void mf__lex_defect(mf__lex *lx, int d, const char *at);

MF__INLINE uint64_t
mf__lex_off(const mf__lex *lx, const char *at)
{
	return lx->off0 + (uint64_t)(at - lx->base);
}

MF__INLINE bool
mf__lex_eof(const mf__lex *lx)
{
	return lx->p >= lx->end;
}

/* Consumes c if it is next. */
MF__INLINE bool
mf__lex_eat(mf__lex *lx, char c)
{
	if (lx->p < lx->end && *lx->p == c) {
		lx->p++;
		return true;
	}
	return false;
}

bool mf__lex_cfws_slow(mf__lex *lx);

/*
 * Skips CFWS (RFC 5322 3.2.2): white space, folding line breaks (CRLF, and
 * bare CR or LF leniently) and nested comments with quoted-pairs. The
 * content of the last comment skipped is left in lx->comment (len 0 if none
 * was). Returns whether anything was skipped.
 */
MF__INLINE bool
mf__lex_cfws(mf__lex *lx)
{
	const char *s = lx->p;

	lx->comment.len = 0;
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
		lx->p++;
	if (lx->p < lx->end &&
	    (*lx->p == '(' || *lx->p == '\r' || *lx->p == '\n'))
		return mf__lex_cfws_slow(lx) || lx->p != s;
	return lx->p != s;
}

/* Length of the run at p of bytes in class cls or >= 0x80. */
MF__INLINE size_t
mf__lex_span(const char *p, const char *end, unsigned cls)
{
	const char *s = p;

	while (p < end && mf__is((unsigned char)*p, cls | MF__C_HIGH))
		p++;
	return (size_t)(p - s);
}

/* atext run (RFC 5322 3.2.3, + UTF-8). No CFWS is skipped. */
bool mf__lex_atom(mf__lex *lx, mf_str *out);
/* RFC 2045 token run. */
bool mf__lex_token(mf__lex *lx, mf_str *out);
/*
 * dot-atom-text: atoms joined by single dots. With obs set, the obsolete
 * forms are accepted: CFWS around dots, and (leniently) empty labels such
 * as "a..b" or a trailing dot, each recorded as MF_D_OBSOLETE. The span
 * covers the whole text including any CFWS inside.
 */
bool mf__lex_dot_atom(mf__lex *lx, mf_str *out, bool obs);
/* Quoted string at '"'; out gets the raw span including the quotes. */
bool mf__lex_qstring(mf__lex *lx, mf_str *out);
/* Comment at '('; out gets the content without the outer parentheses. */
bool mf__lex_comment(mf__lex *lx, mf_str *out);
/* Domain literal at '['; out gets the raw span including the brackets. */
bool mf__lex_dliteral(mf__lex *lx, mf_str *out);
/* word = atom / quoted-string; *quoted tells which (may be NULL). */
bool mf__lex_word(mf__lex *lx, mf_str *out, bool *quoted);

/*
 * Appends the text of a quoted string or comment: outer quotes or
 * parentheses (if present at both ends) removed, quoted-pairs resolved and
 * folding line breaks removed (RFC 5322 3.2.4: CRLF in FWS is not part of
 * the content).
 */
int mf__unquote(mf_buf *out, const char *p, size_t n);
/* Whether p[0..n) needs no unquoting work beyond dropping the quotes. */
bool mf__unquote_trivial(const char *p, size_t n);

/*
 * Appends p[0..n) with all CFWS outside quoted strings and domain literals
 * removed (the canonical form of an obs-local-part or obs-domain).
 */
int mf__lex_canon(mf_buf *out, const char *p, size_t n);

/* Whether p[0..n) is a dot-atom-text (so needs no quoting as a local part). */
bool mf__is_dot_atom(const char *p, size_t n);
/*
 * Appends p[0..n) so that it reads back as the same text: as is when it is
 * a sequence of atoms separated by single spaces (phrase) or, with
 * dot_atom, a dot-atom; else as a quoted string with '"' and '\' escaped.
 */
int mf__quote(mf_buf *out, const char *p, size_t n, bool dot_atom);

#endif /* MF_LEX_H */
