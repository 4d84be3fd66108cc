/* SPDX-License-Identifier: MIT */
/*
 * lex.c - the RFC 5322 tokenizer: CFWS with nested comments and
 * quoted-pairs (3.2.1, 3.2.2), atoms and dot-atoms (3.2.3), quoted strings
 * (3.2.4), domain literals (3.4.1), the obsolete forms of section 4 and
 * RFC 6532 UTF-8 in atoms and quoted strings; plus the RFC 2045 token for
 * MIME parameters.
 *
 * Policy for ambiguous input (RFC 7103 leniency):
 *  - Unterminated quoted strings, comments and domain literals extend to the
 *    end of the input (MF_D_UNTERMINATED), as most MUAs read them.
 *  - Any CR or LF counts as folding white space: values handed to the
 *    structured parsers come from header fields, where a line break is only
 *    ever followed by white space; standalone strings may end in one.
 *  - Bytes >= 0x80 are text everywhere (UTF-8 per RFC 6532, or the raw
 *    8-bit names real mail carries); charset questions are left to the
 *    callers that decode.
 *  - obs-qp ("\" before a control character or NUL) is accepted as a
 *    quoted-pair; a "\" as the very last byte stands for itself.
 * Nothing recurses: comment nesting is a counter, so depth costs nothing.
 */
#include "lex.h"

void
mf__lex_init(mf__lex *lx, const char *p, size_t n, const mf_opts *o,
	     uint64_t off0)
{
	lx->p = p;
	lx->end = p + n;
	lx->base = p;
	lx->off0 = off0;
	lx->o = o;
	lx->defects = 0;
	lx->rc = MF_OK;
	lx->err_at = NULL;
	lx->comment.ptr = NULL;
	lx->comment.len = 0;
}

void
mf__lex_defect(mf__lex *lx, int d, const char *at)
{
	if (mf__defect(lx->o, &lx->defects, d, mf__lex_off(lx, at)) < 0 &&
	    lx->rc == MF_OK) {
		lx->rc = MF_E_DEFECT;
		lx->err_at = at;
	}
}

/* ---------------------------------------------------------------------- */
/* Comments and CFWS                                                       */
/* ---------------------------------------------------------------------- */

/*
 * comment = "(" *([FWS] ccontent) [FWS] ")"; ccontent = ctext /
 * quoted-pair / comment (RFC 5322 3.2.2). Nesting is counted, not recursed.
 */
bool
mf__lex_comment(mf__lex *lx, mf_str *out)
{
	const char *s = lx->p, *q;
	size_t depth = 1;

	if (s >= lx->end || *s != '(')
		return false;
	for (q = s + 1; q < lx->end; q++) {
		if (*q == '\\') {
			if (q + 1 < lx->end)
				q++;
		} else if (*q == '(') {
			depth++;
		} else if (*q == ')') {
			if (--depth == 0)
				break;
		}
	}
	out->ptr = s + 1;
	if (q >= lx->end) {
		out->len = (size_t)(lx->end - s - 1);
		lx->p = lx->end;
		mf__lex_defect(lx, MF_D_UNTERMINATED, s);
		return true;
	}
	out->len = (size_t)(q - s - 1);
	lx->p = q + 1;
	return true;
}

bool
mf__lex_cfws_slow(mf__lex *lx)
{
	const char *s = lx->p;

	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			lx->p++;
		} else if (c == '(') {
			mf_str cm;
			mf__lex_comment(lx, &cm);
			lx->comment = cm;
		} else {
			break;
		}
	}
	return lx->p != s;
}

/* ---------------------------------------------------------------------- */
/* Atoms, tokens, dot-atoms                                                */
/* ---------------------------------------------------------------------- */

static bool
run(mf__lex *lx, mf_str *out, unsigned cls)
{
	size_t n = mf__lex_span(lx->p, lx->end, cls);

	if (n == 0)
		return false;
	out->ptr = lx->p;
	out->len = n;
	lx->p += n;
	return true;
}

/* atom = [CFWS] 1*atext [CFWS] (RFC 5322 3.2.3); the caller skips CFWS. */
bool
mf__lex_atom(mf__lex *lx, mf_str *out)
{
	return run(lx, out, MF__C_ATEXT);
}

/* token = 1*<any CHAR except SPACE, CTLs, or tspecials> (RFC 2045 5.1) */
bool
mf__lex_token(mf__lex *lx, mf_str *out)
{
	return run(lx, out, MF__C_TOKEN);
}

/*
 * dot-atom-text = 1*atext *("." 1*atext) (RFC 5322 3.2.3). With obs:
 * obs-local-part / obs-domain allow CFWS around the dots (4.4), and empty
 * labels ("a..b", "a.") are accepted leniently; both are MF_D_OBSOLETE.
 */
bool
mf__lex_dot_atom(mf__lex *lx, mf_str *out, bool obs)
{
	const char *s = lx->p, *last;
	size_t n = mf__lex_span(lx->p, lx->end, MF__C_ATEXT);

	if (n == 0) {
		if (!(obs && lx->p < lx->end && *lx->p == '.'))
			return false;
		mf__lex_defect(lx, MF_D_OBSOLETE, s); /* leading dot */
	}
	lx->p += n;
	last = lx->p;
	for (;;) {
		const char *save = lx->p;

		if (obs && mf__lex_cfws(lx)) {
			if (lx->p >= lx->end || *lx->p != '.') {
				lx->p = save;
				break;
			}
			mf__lex_defect(lx, MF_D_OBSOLETE, save);
		}
		if (!mf__lex_eat(lx, '.')) {
			lx->p = save;
			break;
		}
		if (obs && mf__lex_cfws(lx))
			mf__lex_defect(lx, MF_D_OBSOLETE, save);
		n = mf__lex_span(lx->p, lx->end, MF__C_ATEXT);
		if (n == 0) {
			if (!obs) {
				lx->p = save;
				break;
			}
			/* "a..b", "a." or ".a": keep the dot. */
			mf__lex_defect(lx, MF_D_OBSOLETE, save);
			last = save + 1;
			continue;
		}
		lx->p += n;
		last = lx->p;
	}
	out->ptr = s;
	out->len = (size_t)(last - s);
	lx->p = last;
	return out->len > 0;
}

/* ---------------------------------------------------------------------- */
/* Quoted strings and domain literals                                      */
/* ---------------------------------------------------------------------- */

/*
 * Scans from lx->p (at open) to the matching close, honouring quoted-pairs.
 * out gets the raw span including both delimiters.
 */
static bool
delimited(mf__lex *lx, char open, char close, mf_str *out)
{
	const char *s = lx->p, *q;

	if (s >= lx->end || *s != open)
		return false;
	for (q = s + 1; q < lx->end; q++) {
		if (*q == '\\') {
			if (q + 1 < lx->end)
				q++;
		} else if (*q == close) {
			break;
		} else if (open == '[' && *q == '[') {
			/* dtext excludes "[" (RFC 5322 3.4.1) */
			mf__lex_defect(lx, MF_D_BAD_CHAR, q);
		}
	}
	out->ptr = s;
	if (q >= lx->end) {
		out->len = (size_t)(lx->end - s);
		lx->p = lx->end;
		mf__lex_defect(lx, MF_D_UNTERMINATED, s);
		return true;
	}
	out->len = (size_t)(q + 1 - s);
	lx->p = q + 1;
	return true;
}

/* quoted-string = [CFWS] DQUOTE *([FWS] qcontent) [FWS] DQUOTE [CFWS] */
bool
mf__lex_qstring(mf__lex *lx, mf_str *out)
{
	return delimited(lx, '"', '"', out);
}

/* domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS] */
bool
mf__lex_dliteral(mf__lex *lx, mf_str *out)
{
	return delimited(lx, '[', ']', out);
}

bool
mf__lex_word(mf__lex *lx, mf_str *out, bool *quoted)
{
	bool q = lx->p < lx->end && *lx->p == '"';

	if (quoted != NULL)
		*quoted = q;
	if (q)
		return mf__lex_qstring(lx, out);
	return mf__lex_atom(lx, out);
}

/* ---------------------------------------------------------------------- */
/* Unquoting and quoting                                                   */
/* ---------------------------------------------------------------------- */

bool
mf__unquote_trivial(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\' || p[i] == '\r' || p[i] == '\n')
			return false;
	}
	return true;
}

int
mf__unquote(mf_buf *out, const char *p, size_t n)
{
	const char *end = p + n, *run_start;
	bool quoted = false;
	int rc;

	if (p < end && *p == '"') {
		quoted = true;
		p++;
	}
	run_start = p;
	while (p < end) {
		char c = *p;

		if (c != '\\' && c != '\r' && c != '\n' && !(quoted && c == '"')) {
			p++;
			continue;
		}
		rc = mf__buf_put(out, run_start, (size_t)(p - run_start));
		if (rc < 0)
			return rc;
		if (c == '"') {
			/* The closing quote: anything after it is not ours. */
			return MF_OK;
		}
		if (c == '\\') {
			if (p + 1 < end && p[1] != '\r' && p[1] != '\n') {
				/* quoted-pair: the character alone (3.2.1) */
				rc = mf__buf_putc(out, p[1]);
				if (rc < 0)
					return rc;
				p += 2;
			} else {
				/*
				 * Last byte, or before a line break (which
				 * is folding, not content): the backslash
				 * stands for itself.
				 */
				rc = mf__buf_putc(out, '\\');
				if (rc < 0)
					return rc;
				p++;
			}
		} else {
			/* CR/LF of folding white space: not content (3.2.4) */
			p++;
		}
		run_start = p;
	}
	return mf__buf_put(out, run_start, (size_t)(p - run_start));
}

int
mf__lex_canon(mf_buf *out, const char *p, size_t n)
{
	mf__lex lx;
	int rc = MF_OK;

	mf__lex_init(&lx, p, n, NULL, 0);
	while (rc == MF_OK) {
		mf_str t;

		mf__lex_cfws(&lx);
		if (mf__lex_eof(&lx))
			break;
		if (mf__lex_qstring(&lx, &t) || mf__lex_dliteral(&lx, &t) ||
		    mf__lex_atom(&lx, &t)) {
			rc = mf__buf_put(out, t.ptr, t.len);
		} else {
			rc = mf__buf_putc(out, *lx.p);
			lx.p++;
		}
	}
	return rc;
}

bool
mf__is_dot_atom(const char *p, size_t n)
{
	size_t i, label = 0;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (c >= 0x80 || mf__is(c, MF__C_ATEXT)) {
			label++;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* Atoms separated by single spaces: a phrase that needs no quotes. */
static bool
is_plain_phrase(const char *p, size_t n)
{
	size_t i, word = 0;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ' ') {
			if (word == 0)
				return false;
			word = 0;
		} else if (c >= 0x80 || mf__is(c, MF__C_ATEXT)) {
			word++;
		} else {
			return false;
		}
	}
	return word > 0;
}

int
mf__quote(mf_buf *out, const char *p, size_t n, bool dot_atom)
{
	size_t i;
	int rc;

	/* Line breaks and NUL cannot be represented (header injection). */
	for (i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			return MF_E_INVAL;
	}
	if (dot_atom ? mf__is_dot_atom(p, n) : is_plain_phrase(p, n))
		return mf__buf_put(out, p, n);
	rc = mf__buf_putc(out, '"');
	for (i = 0; i < n && rc == MF_OK; i++) {
		if (p[i] == '"' || p[i] == '\\')
			rc = mf__buf_putc(out, '\\');
		if (rc == MF_OK)
			rc = mf__buf_putc(out, p[i]);
	}
	if (rc == MF_OK)
		rc = mf__buf_putc(out, '"');
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Public tokenizer                                                        */
/* ---------------------------------------------------------------------- */

#define LEX_FLAGS (MF_LEX_COMMENTS | MF_LEX_MIME | MF_LEX_DOTS | MF_STRICT)

int
mf_lex_init(mf_lexer *lx, const char *p, size_t n, unsigned flags)
{
	if (lx == NULL)
		return MF_E_INVAL;
	memset(lx, 0, sizeof(*lx));
	if (p == NULL) {
		/* An empty input, with no pointer arithmetic on NULL. */
		p = "";
		n = 0;
	}
	lx->p_ = p;
	lx->base_ = p;
	lx->end_ = p + n;
	/* Unknown bits are kept so that mf_lex_next refuses them too. */
	lx->flags_ = flags;
	return (flags & ~LEX_FLAGS) != 0 ? MF_E_INVAL : MF_OK;
}

int
mf_lex_next(mf_lexer *pub, mf_tok *tok, mf_error *err)
{
	mf__lex lx;
	mf_opts o;
	const char *s;
	unsigned cls;
	bool strict;
	mf_str sp;

	if (pub == NULL || tok == NULL)
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if ((pub->flags_ & ~LEX_FLAGS) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	memset(&o, 0, sizeof(o));
	strict = (pub->flags_ & MF_STRICT) != 0;
	o.flags = pub->flags_ & MF_STRICT;
	mf__lex_init(&lx, pub->base_, (size_t)(pub->end_ - pub->base_), &o, 0);
	lx.p = pub->p_;
	cls = (pub->flags_ & MF_LEX_MIME) ? MF__C_TOKEN : MF__C_ATEXT;
	memset(tok, 0, sizeof(*tok));

	for (;;) {
		/* White space and line breaks are always skipped. */
		while (lx.p < lx.end && (*lx.p == ' ' || *lx.p == '\t' ||
					 *lx.p == '\r' || *lx.p == '\n'))
			lx.p++;
		if (lx.p >= lx.end || *lx.p != '(' ||
		    (pub->flags_ & MF_LEX_COMMENTS))
			break;
		mf__lex_comment(&lx, &sp);
		if (lx.rc < 0)
			break;
	}
	s = lx.p;
	tok->offset = (size_t)(s - lx.base);
	if (lx.rc == MF_OK) {
		if (s >= lx.end) {
			tok->type = MF_TOK_END;
			tok->text.ptr = s;
		} else if (*s == '(') {
			tok->type = MF_TOK_COMMENT;
			mf__lex_comment(&lx, &sp);
			tok->text.ptr = s;
			tok->text.len = (size_t)(lx.p - s);
		} else if (*s == '"') {
			tok->type = MF_TOK_QSTRING;
			mf__lex_qstring(&lx, &tok->text);
		} else if (*s == '[' && !(pub->flags_ & MF_LEX_MIME)) {
			tok->type = MF_TOK_DLITERAL;
			mf__lex_dliteral(&lx, &tok->text);
		} else {
			size_t n = mf__lex_span(s, lx.end, cls);

			if ((pub->flags_ & MF_LEX_DOTS) && cls == MF__C_ATEXT) {
				while (s + n < lx.end &&
				       (s[n] == '.' || (unsigned char)s[n] >= 0x80 ||
					mf__is((unsigned char)s[n], cls)))
					n++;
			}
			if (n > 0) {
				tok->type = MF_TOK_ATOM;
			} else {
				tok->type = MF_TOK_SPECIAL;
				n = 1;
				if (strict && mf__is((unsigned char)*s, MF__C_CTL)) {
					pub->defects |= lx.defects;
					return mf__err(err, MF_E_SYNTAX,
						       (size_t)(s - lx.base),
						       "control character");
				}
			}
			tok->text.ptr = s;
			tok->text.len = n;
			lx.p = s + n;
		}
	}
	pub->defects |= lx.defects;
	if (lx.rc < 0) {
		/* Strict: an unterminated construct. Nothing is consumed. */
		return mf__err(err, MF_E_TRUNC,
			       (size_t)(lx.err_at - lx.base),
			       "unterminated quoted string, comment or literal");
	}
	pub->p_ = lx.p;
	return MF_OK;
}

int
mf_unquote(mf_buf *out, const char *p, size_t n)
{
	if (out == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	if (n >= 1 && p[0] == '(') {
		/* A comment token: drop the outer parentheses. */
		size_t k = (n >= 2 && p[n - 1] == ')') ? n - 2 : n - 1;
		return mf__unquote(out, p + 1, k);
	}
	return mf__unquote(out, p, n);
}

int
mf_quote(mf_buf *out, const char *p, size_t n, unsigned flags)
{
	if (out == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	if ((flags & ~MF_LEX_DOTS) != 0)
		return MF_E_INVAL;
	return mf__quote(out, p, n, (flags & MF_LEX_DOTS) != 0);
}
