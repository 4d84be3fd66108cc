/* SPDX-License-Identifier: MIT */
/*
 * msgid.c - message identifiers (RFC 5322 3.6.4 with the obsolete forms of
 * 4.5.4), their generation, and Received trace fields (RFC 5321 4.4, RFC
 * 5322 3.6.7).
 *
 *	msg-id  = [CFWS] "<" id-left "@" id-right ">" [CFWS]
 *	id-left = dot-atom-text / obs-id-left (local-part)
 *	id-right = dot-atom-text / no-fold-literal / obs-id-right (domain)
 *	Stamp   = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
 *
 * Policy for msg-id lists (In-Reply-To and References carry phrases and
 * junk in real mail; RFC 7103):
 *  - An id is what lies between "<" and the matching ">" (quoted strings,
 *    comments and literals honoured), CFWS trimmed. CFWS or quoted strings
 *    inside are obsolete (MF_D_OBSOLETE; mf_msgid_canon removes the CFWS);
 *    no "@" is MF_D_ADDR_NO_DOMAIN; "<>" is skipped (MF_D_BAD_CHAR); a
 *    missing ">" runs to the end (MF_D_UNTERMINATED).
 *  - Outside brackets, "local@domain" is a bare id (MF_D_OBSOLETE); other
 *    words are an obsolete phrase, skipped (MF_D_OBSOLETE); other bytes
 *    such as "," are skipped (MF_D_BAD_CHAR).
 * Policy for Received: clauses are found by their keyword (FROM, BY, VIA,
 * WITH, ID, FOR, any case) at top level; a clause's value runs to the next
 * keyword or the last top-level ";" and keeps its comments; the date
 * follows that ";". A missing date is MF_D_OBSOLETE, an unreadable one
 * MF_D_TRAILING_GARBAGE (has_date stays 0); words before the first clause
 * are MF_D_OBSOLETE; a repeated clause keeps its first value.
 */
#define _DEFAULT_SOURCE /* getentropy in glibc's <unistd.h> */
#include <stdio.h>
#include <unistd.h>

#include "header.h"
#include "lex.h"

/* ---------------------------------------------------------------------- */
/* msg-id lists                                                            */
/* ---------------------------------------------------------------------- */

/*
 * Scans from just after "<" to the matching ">". *id gets the trimmed
 * content; *obs whether it has CFWS or quoted strings inside; *at whether
 * it has an "@" outside quotes. Returns whether ">" was found.
 */
static bool
angle_id(mf__lex *lx, mf_str *id, bool *obs, bool *at)
{
	const char *first = NULL, *last = NULL;
	bool ws = false;

	*obs = false;
	*at = false;
	for (;;) {
		mf_str t;
		const char *s;

		if (mf__lex_cfws(lx) && first != NULL)
			ws = true;
		s = lx->p;
		if (s >= lx->end || *s == '>')
			break;
		if (ws)
			*obs = true;
		ws = false;
		if (*s == '"') {
			mf__lex_qstring(lx, &t);
			*obs = true;
		} else if (*s == '[') {
			mf__lex_dliteral(lx, &t);
		} else if (!mf__lex_atom(lx, &t)) {
			if (*s == '@')
				*at = true;
			lx->p++;
		}
		if (first == NULL)
			first = s;
		last = lx->p;
	}
	id->ptr = first != NULL ? first : lx->p;
	id->len = first != NULL ? (size_t)(last - first) : 0;
	if (lx->p < lx->end) {
		lx->p++; /* ">" */
		return true;
	}
	return false;
}

/* local "@" domain outside brackets; on success *id spans it. */
static bool
bare_id(mf__lex *lx, mf_str *id)
{
	const char *s = lx->p;
	mf_str t;
	mf__lex probe = *lx;

	/* A throwaway cursor: obsolete-form defects of a failed try vanish. */
	probe.o = NULL;
	if (!(mf__lex_qstring(&probe, &t) || mf__lex_dot_atom(&probe, &t, true)))
		return false;
	mf__lex_cfws(&probe);
	if (!mf__lex_eat(&probe, '@'))
		return false;
	mf__lex_cfws(&probe);
	if (!(mf__lex_dliteral(&probe, &t) ||
	      mf__lex_dot_atom(&probe, &t, true)))
		return false;
	id->ptr = s;
	id->len = (size_t)(probe.p - s);
	lx->p = probe.p;
	return true;
}

int
mf_msgid_parse(const char *p, size_t n, const mf_opts *o, mf_str *ids,
	       size_t *nids, uint64_t *defects, mf_error *err)
{
	mf__lex lx;
	size_t cap, count = 0;
	int rc = MF_OK;

	if (nids == NULL || (ids == NULL && *nids != 0) ||
	    (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	cap = *nids;
	mf__lex_init(&lx, p, n, o, 0);
	while (lx.rc == MF_OK) {
		const char *s;
		mf_str id;
		bool obs, at;

		mf__lex_cfws(&lx);
		s = lx.p;
		if (s >= lx.end)
			break;
		if (*s == '<') {
			lx.p++;
			if (!angle_id(&lx, &id, &obs, &at))
				mf__lex_defect(&lx, MF_D_UNTERMINATED, s);
			if (id.len == 0) {
				mf__lex_defect(&lx, MF_D_BAD_CHAR, s);
				continue;
			}
			if (obs)
				mf__lex_defect(&lx, MF_D_OBSOLETE, id.ptr);
			if (!at)
				mf__lex_defect(&lx, MF_D_ADDR_NO_DOMAIN, id.ptr);
		} else if (bare_id(&lx, &id)) {
			mf__lex_defect(&lx, MF_D_OBSOLETE, s);
		} else {
			mf_str t;

			if (mf__lex_qstring(&lx, &t) || mf__lex_atom(&lx, &t)) {
				mf__lex_defect(&lx, MF_D_OBSOLETE, s);
			} else {
				mf__lex_defect(&lx, MF_D_BAD_CHAR, s);
				lx.p++;
			}
			continue;
		}
		if (lx.rc != MF_OK)
			break;
		if (count == cap) {
			rc = mf__err(err, MF_E_NOSPC, (size_t)(id.ptr - p),
				     "id array full");
			break;
		}
		ids[count++] = id;
	}
	*nids = count;
	if (defects != NULL)
		*defects |= lx.defects;
	if (rc == MF_OK && lx.rc < 0)
		rc = mf__err(err, lx.rc, (size_t)(lx.err_at - p),
			     "malformed message-id list");
	return rc;
}

int
mf_msgid_canon(mf_buf *out, const char *p, size_t n)
{
	if (out == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	return mf__lex_canon(out, p, n);
}

/* ---------------------------------------------------------------------- */
/* Generation                                                              */
/* ---------------------------------------------------------------------- */

/*
 * The operating system's randomness: getentropy(3) where the C library
 * has it (glibc 2.25+, musl, the BSDs, macOS), else /dev/urandom read
 * through stdio.
 */
int
mf__os_random(void *ctx, void *buf, size_t n)
{
	(void)ctx;
#if (defined(__GLIBC__) &&                                                     \
     (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))) ||         \
    defined(__OpenBSD__) || defined(__FreeBSD__) || defined(__APPLE__)
	if (n <= 256 && getentropy(buf, n) == 0)
		return 0;
#endif
	{
		FILE *f = fopen("/dev/urandom", "rb");
		size_t got;

		if (f == NULL)
			return -1;
		got = fread(buf, 1, n, f);
		fclose(f);
		return got == n ? 0 : -1;
	}
}

static bool
valid_domain(const char *d, size_t n)
{
	size_t i;

	if (mf__is_dot_atom(d, n))
		return true;
	if (n < 2 || d[0] != '[' || d[n - 1] != ']')
		return false;
	for (i = 1; i + 1 < n; i++) {
		if (!mf__is((unsigned char)d[i], MF__C_DTEXT))
			return false;
	}
	return true;
}

int
mf_msgid_generate(mf_buf *out, const char *domain, size_t domainlen,
		  mf_random_fn *rnd, void *ctx)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[16];
	char id[28];
	size_t i, k = 0, start;
	unsigned acc = 0;
	int bits = 0, rc;

	if (out == NULL || domain == NULL || !valid_domain(domain, domainlen))
		return MF_E_INVAL;
	if (rnd == NULL)
		rnd = mf__os_random;
	if (rnd(ctx, r, sizeof(r)) != 0)
		return MF_E_CALLBACK;
	/* 128 bits as 26 base32 letters: a valid, case-safe dot-atom. */
	for (i = 0; i < sizeof(r); i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5) {
			id[k++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		id[k++] = b32[(acc << (5 - bits)) & 31];
	start = out->len;
	rc = mf__buf_putc(out, '<');
	if (rc == MF_OK)
		rc = mf__buf_put(out, id, k);
	if (rc == MF_OK)
		rc = mf__buf_putc(out, '@');
	if (rc == MF_OK)
		rc = mf__buf_put(out, domain, domainlen);
	if (rc == MF_OK)
		rc = mf__buf_putc(out, '>');
	if (rc < 0 && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Received                                                                */
/* ---------------------------------------------------------------------- */

static mf_str *
clause(mf_received *r, const mf_str *word)
{
	if (mf__ieq(word->ptr, word->len, "from", 4))
		return &r->from;
	if (mf__ieq(word->ptr, word->len, "by", 2))
		return &r->by;
	if (mf__ieq(word->ptr, word->len, "via", 3))
		return &r->via;
	if (mf__ieq(word->ptr, word->len, "with", 4))
		return &r->with;
	if (mf__ieq(word->ptr, word->len, "id", 2))
		return &r->id;
	if (mf__ieq(word->ptr, word->len, "for", 3))
		return &r->for_addr;
	return NULL;
}

/* Byte offset of the last top-level ";" in p[0..n), or n. */
static size_t
last_semicolon(const char *p, size_t n)
{
	mf__lex lx;
	size_t semi = n;

	mf__lex_init(&lx, p, n, NULL, 0);
	while (!mf__lex_eof(&lx)) {
		mf_str t;

		mf__lex_cfws(&lx);
		if (mf__lex_eof(&lx))
			break;
		if (*lx.p == ';') {
			semi = (size_t)(lx.p - p);
			lx.p++;
		} else if (!(mf__lex_qstring(&lx, &t) ||
			     mf__lex_dliteral(&lx, &t) ||
			     mf__lex_atom(&lx, &t))) {
			lx.p++;
		}
	}
	return semi;
}

int
mf_received_parse(const char *p, size_t n, const mf_opts *o, mf_received *r,
		  uint64_t *defects, mf_error *err)
{
	mf__lex lx;
	mf_received res;
	mf_str *cur = NULL;
	const char *vend = NULL, *why = "malformed Received field";
	size_t semi, angle = 0;
	int rc;

	if (r == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	memset(&res, 0, sizeof(res));
	semi = last_semicolon(p, n);
	mf__lex_init(&lx, p, semi, o, 0);
	while (lx.rc == MF_OK) {
		const char *s;
		mf_str t, *c = NULL;

		/* White space only: comments are part of clause values. */
		while (lx.p < lx.end && (*lx.p == ' ' || *lx.p == '\t' ||
					 *lx.p == '\r' || *lx.p == '\n'))
			lx.p++;
		s = lx.p;
		if (s >= lx.end)
			break;
		if (*s == '(') {
			mf__lex_comment(&lx, &t);
		} else if (*s == '"') {
			mf__lex_qstring(&lx, &t);
		} else if (*s == '[') {
			mf__lex_dliteral(&lx, &t);
		} else if (mf__lex_atom(&lx, &t)) {
			if (angle == 0)
				c = clause(&res, &t);
		} else {
			if (*s == '<')
				angle++;
			else if (*s == '>' && angle > 0)
				angle--;
			lx.p++;
		}
		if (c != NULL) {
			if (cur != NULL && vend != NULL)
				cur->len = (size_t)(vend - cur->ptr);
			if (c->ptr != NULL) {
				/* Repeated clause: the first one stands. */
				mf__lex_defect(&lx, MF_D_OBSOLETE, s);
				cur = NULL;
			} else {
				cur = c;
				cur->ptr = lx.p;
			}
			vend = NULL;
			continue;
		}
		if (cur == NULL) {
			if (*s != '(')
				mf__lex_defect(&lx, MF_D_OBSOLETE, s);
			continue;
		}
		if (vend == NULL) {
			cur->ptr = s;
		}
		vend = lx.p;
	}
	if (cur != NULL) {
		if (vend != NULL)
			cur->len = (size_t)(vend - cur->ptr);
		else
			cur->len = 0;
	}
	if (lx.rc == MF_OK) {
		if (semi == n) {
			mf__lex_defect(&lx, MF_D_OBSOLETE, p + n);
		} else {
			uint64_t dd = 0;
			mf_error de = {MF_OK, 0, NULL};

			/* A date it cannot read is garbage after the
			 * clauses (strict: the error, where the date went
			 * wrong). */
			rc = mf__date_parse(p + semi + 1, n - semi - 1, o,
					    semi + 1, &res.date, &dd, &de);
			lx.defects |= dd;
			if (rc < 0 && rc != MF_E_DEFECT) {
				mf__lex_defect(&lx, MF_D_TRAILING_GARBAGE,
					       p + semi + 1 + de.offset);
				if (lx.rc < 0)
					rc = MF_E_DEFECT;
			}
			if (rc == MF_E_DEFECT) {
				lx.rc = rc;
				lx.err_at = p + semi + 1 + de.offset;
				why = de.reason;
			} else if (rc < 0) {
				memset(&res.date, 0, sizeof(res.date));
			} else {
				res.has_date = 1;
			}
		}
	}
	if (defects != NULL)
		*defects |= lx.defects;
	if (lx.rc < 0)
		return mf__err(err, lx.rc, (size_t)(lx.err_at - p), why);
	*r = res;
	return MF_OK;
}

static int
put_clause(mf_buf *b, const char *kw, const mf_str *v)
{
	int rc;

	if (v->len == 0)
		return MF_OK;
	if (v->ptr == NULL)
		return MF_E_INVAL;
	rc = b->len > 0 ? mf__buf_putc(b, ' ') : MF_OK;
	if (rc == MF_OK)
		rc = mf__buf_puts(b, kw);
	if (rc == MF_OK)
		rc = mf__buf_putc(b, ' ');
	if (rc == MF_OK)
		rc = mf__buf_put(b, v->ptr, v->len);
	return rc;
}

int
mf_received_format(mf_buf *out, const mf_received *r, unsigned flags,
		   mf_error *err)
{
	mf_buf b;
	char date[40];
	size_t dlen;
	int rc;

	if (out == NULL || r == NULL)
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if ((flags & ~(MF_LF | MF_UTF8_OUT)) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (r->by.len == 0 || !r->has_date)
		return mf__err(err, MF_E_INVAL, 0, "by clause and date required");
	if (mf_date_format(date, sizeof(date), &r->date, 0, &dlen) != MF_OK)
		return mf__err(err, MF_E_INVAL, 0, "invalid date");
	mf__buf_init(&b, &out->a);
	rc = put_clause(&b, "from", &r->from);
	if (rc == MF_OK)
		rc = put_clause(&b, "by", &r->by);
	if (rc == MF_OK)
		rc = put_clause(&b, "via", &r->via);
	if (rc == MF_OK)
		rc = put_clause(&b, "with", &r->with);
	if (rc == MF_OK)
		rc = put_clause(&b, "id", &r->id);
	if (rc == MF_OK)
		rc = put_clause(&b, "for", &r->for_addr);
	if (rc == MF_OK)
		rc = mf__buf_put(&b, "; ", 2);
	if (rc == MF_OK)
		rc = mf__buf_put(&b, date, dlen);
	if (rc == MF_OK)
		rc = mf_hdr_fold(out, "Received", 8, b.data, b.len,
				 flags, 0, err);
	else
		mf__err(err, rc, 0, mf_strerror(rc));
	mf__buf_fini(&b);
	return rc;
}
