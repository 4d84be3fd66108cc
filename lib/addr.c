/* SPDX-License-Identifier: MIT */
/*
 * addr.c - address lists (RFC 5322 3.4 and the obsolete forms of 4.4, RFC
 * 6532 UTF-8, RFC 2047 display names) and bare addr-specs, parsed in one
 * pass over the input with the lexer's primitives, and their formatting.
 *
 * Output is a flat array of mf_addr items: mailboxes, and group start/end
 * markers around group members (the Dovecot message_address model). Strings
 * are views into the input unless unquoting, CFWS removal or decoding
 * changed them; those are "cooked" into the caller's scratch buffer or the
 * object's arena.
 *
 * Policy for malformed input (RFC 7103 leniency); each case is a defect,
 * and MF_STRICT turns the first one into MF_E_DEFECT at its offset:
 *  - Empty list items ("To: , a@b", "a@b,,c@d", a trailing comma):
 *    skipped, MF_D_ADDR_EMPTY_ITEM at the comma.
 *  - "<a@b" without ">": the address ends at ",", ";" (in a group) or the
 *    end, MF_D_ADDR_NO_ANGLE_END.
 *  - A local part without "@domain" ("user", "<user>", "aaaa@"): a mailbox
 *    with an empty domain, MF_D_ADDR_NO_DOMAIN. A phrase that cannot be a
 *    local part ("Display Name", "\"Quoted\"") is a mailbox with only a
 *    name, also MF_D_ADDR_NO_DOMAIN.
 *  - Unquoted specials in a display name ("Doe, John <j@x>"): when a
 *    phrase-only item is followed by a comma and then a name-addr, the two
 *    are one mailbox named "Doe, John" (one item of lookahead, no
 *    re-parsing); other specials in a phrase are kept as text. A display
 *    name before an addr-spec without angle brackets ("John j@x") is read
 *    as "John <j@x>", and "Mikel@Lindsaar <m@x>" as a display name with
 *    an "@" (one token of lookahead). Each is MF_D_ADDR_SPECIALS.
 *  - Another address right after a complete mailbox, or an address or
 *    group right after a group's ";", without a comma ("a@b c@d",
 *    "A <a@b> B <b@c>", "g1: a@b; g2: c@d;", "g: a@b; c@d"): the next
 *    item, MF_D_ADDR_NO_COMMA.
 *  - An encoded word whose text holds no specials but ":" "," ";" "." is
 *    one token: "=?utf-8?Q?Re:_a?= <c@d>" is a name, not a group named
 *    "=?utf-8?Q?Re", outside a group as inside one; such a special is
 *    MF_D_ADDR_SPECIALS (RFC 2047 5 (3)). Other specials ("@", "<",
 *    brackets) are address structure, as before.
 *  - Bytes after a complete address ("<a@b>junk"): skipped up to the
 *    next comma or semicolon (comments and quoted strings honoured),
 *    MF_D_TRAILING_GARBAGE; a semicolon outside a group separates
 *    addresses as a comma would ("a@b; c@d", as Outlook users type).
 *  - Obsolete syntax (routes, "John Q. Public", CFWS around dots, quoted
 *    words in dotted local parts, empty labels): accepted, MF_D_OBSOLETE.
 *  - A group without ";" is closed at the end (MF_D_UNTERMINATED); a ":"
 *    inside a group is text (groups do not nest).
 *  - A missing local part ("@domain") or group name (":a@b;"):
 *    MF_D_BAD_CHAR at the "@" or ":".
 *  - Display names are decoded with mf_ew_decode (RFC 2047 6.2): encoded
 *    words, also inside quoted strings (MF_D_EW_IN_QUOTES), and 8-bit text
 *    that is not UTF-8 read as windows-1252 (MF_D_8BIT_HEADER); leading
 *    and trailing white space is dropped. Local parts and domains keep
 *    their bytes.
 * The comment after an address becomes its name when it has no phrase
 * ("a@b (John)"). More than max_addrs mailboxes: the rest is ignored with
 * MF_D_FIELD_LIMIT (MF_E_LIMIT when strict).
 */
#include "addr.h"
#include "codec.h"
#include "lex.h"

#define NONE ((size_t)-1)

/* ---------------------------------------------------------------------- */
/* Parser state                                                            */
/* ---------------------------------------------------------------------- */

struct ps {
	mf__lex lx;
	const mf_opts *o;
	bool strict;
	size_t max_addrs, nmbox;
	mf_addr *v; /* items */
	size_t n, cap;
	mf_buf *cook;         /* decoded strings are built here */
	mf_buf *tmp;          /* arena mode: decoding output */
	mf__arena *ar;        /* NULL: cook is the caller's fixed scratch */
	uint64_t defects;     /* everything */
	int rc;
	size_t err_off;
	const char *reason;
	size_t group; /* index of the open group item, or NONE */
	mf__ewscan ews; /* where encoded words end (codec.h) */
	bool stop;    /* address limit reached */
	/* A phrase-only item held back because a name-addr may continue it. */
	bool has_pend;
	mf_addr pend;
	size_t pend_cook;
	const char *pend_comma, *pend_end;
	const char *last_comma; /* comma right before the current position */
	int path;               /* MF__PATH_SCALAR or _AVX2, for mf__addr_spans */
};

static uint64_t
off(const struct ps *ps, const char *at)
{
	return mf__lex_off(&ps->lx, at);
}

static void
fail(struct ps *ps, int code, const char *at, const char *reason)
{
	if (ps->rc < 0)
		return;
	ps->rc = code;
	ps->err_off = (size_t)off(ps, at);
	ps->reason = reason;
}

/* Records defect d at at, in it (may be NULL) and the list's mask. */
static void
adef(struct ps *ps, mf_addr *it, int d, const char *at)
{
	if (it != NULL)
		it->defects |= MF_DEFECT_BIT(d);
	if (mf__defect(ps->o, &ps->defects, d, off(ps, at)) < 0)
		fail(ps, MF_E_DEFECT, at, mf_defect_str(d));
}

/* Moves the lexer's defects into it; takes over its strict error. */
static void
sync_lex(struct ps *ps, mf_addr *it)
{
	mf__lex *lx = &ps->lx;

	if (lx->defects == 0 && lx->rc == MF_OK)
		return;
	if (it != NULL)
		it->defects |= lx->defects;
	ps->defects |= lx->defects;
	lx->defects = 0;
	if (lx->rc < 0 && ps->rc == MF_OK)
		fail(ps, lx->rc, lx->err_at, "malformed address (strict mode)");
}

static bool
bad(const struct ps *ps)
{
	return ps->rc < 0 || ps->lx.rc < 0;
}

/* ---------------------------------------------------------------------- */
/* Cooked strings                                                          */
/* ---------------------------------------------------------------------- */

static int
cook_rc(struct ps *ps, int rc, const char *at)
{
	if (rc == MF_E_NOMEM && ps->ar == NULL)
		rc = MF_E_NOSPC;
	if (rc < 0)
		fail(ps, rc, at,
		     rc == MF_E_NOSPC ? "scratch buffer too small" : NULL);
	return rc;
}

static int
put(struct ps *ps, const void *p, size_t n, const char *at)
{
	if (n == 0)
		return MF_OK;
	return cook_rc(ps, mf__buf_put(ps->cook, p, n), at);
}

/* Makes cook[start..] a string: in place (scratch) or copied to the arena. */
static int
cook_end(struct ps *ps, size_t start, mf_str *out, const char *at)
{
	size_t len = ps->cook->len - start;

	out->ptr = NULL;
	out->len = 0;
	if (len == 0)
		return MF_OK;
	if (ps->ar == NULL) {
		out->ptr = ps->cook->data + start;
	} else {
		out->ptr = mf__arena_dup(ps->ar, ps->cook->data + start, len);
		ps->cook->len = start;
		if (out->ptr == NULL)
			return cook_rc(ps, MF_E_NOMEM, at);
	}
	out->len = len;
	return MF_OK;
}

/* Whether p[0..n) contains "=?" (a possible encoded word). */
static bool
has_ew(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] == '=' && p[i + 1] == '?')
			return true;
	}
	return false;
}

/*
 * Decodes cook[start..] in place when it holds encoded words, bytes that
 * are not UTF-8 or NUL (RFC 2047 6.2, via mf_ew_decode: encoded words
 * decoded, other 8-bit text read as windows-1252 per RFC 7103 7.6, NUL
 * made U+FFFD). Its defects are recorded at at, the start of the name.
 */
static int
decode_tail(struct ps *ps, mf_addr *it, size_t start, const char *at)
{
	mf_buf *b = ps->cook;
	size_t len = b->len - start, end = b->len;
	uint64_t d = 0;
	mf_opts o2;
	int rc, k;

	if (len == 0 || (!has_ew(b->data + start, len) &&
			 mf__utf8_valid(b->data + start, len) &&
			 memchr(b->data + start, '\0', len) == NULL))
		return MF_OK;
	memset(&o2, 0, sizeof(o2));
	if (ps->o != NULL)
		o2 = *ps->o;
	o2.on_defect = NULL; /* reported below, with input offsets */
	o2.flags = 0; /* lenient; other layers' flags do not apply */
	if (ps->ar == NULL) {
		/* The scratch never moves: decode after it, then move down. */
		rc = mf_ew_decode(b, b->data + start, len, &o2, &d, NULL);
		if (rc < 0)
			return cook_rc(ps, rc, at);
		memmove(b->data + start, b->data + end, b->len - end);
		b->len = start + (b->len - end);
		b->data[b->len] = '\0';
	} else {
		mf_buf_clear(ps->tmp);
		rc = mf_ew_decode(ps->tmp, b->data + start, len, &o2, &d, NULL);
		if (rc < 0)
			return cook_rc(ps, rc, at);
		b->len = start;
		if (put(ps, ps->tmp->data, ps->tmp->len, at) < 0)
			return ps->rc;
	}
	for (k = 0; k < 64; k++) {
		if (d & MF_DEFECT_BIT(k))
			adef(ps, it, k, at);
	}
	return MF_OK;
}

/*
 * Appends the text of a quoted string or comment (mf__unquote); encoded
 * words inside quotes are decoded with the rest of the name
 * (MF_D_EW_IN_QUOTES), as mail readers do.
 */
static int
put_unquoted(struct ps *ps, mf_addr *it, const char *p, size_t n,
	     const char *at, bool quoted)
{
	int rc;

	if (quoted && has_ew(p, n))
		adef(ps, it, MF_D_EW_IN_QUOTES, at);
	rc = mf__unquote(ps->cook, p, n);
	if (rc < 0)
		return cook_rc(ps, rc, at);
	return MF_OK;
}

/* Trims spaces and tabs at both ends of cook[start..]. */
static void
cook_trim(struct ps *ps, size_t start)
{
	mf_buf *b = ps->cook;
	size_t i = start;

	while (i < b->len && (b->data[i] == ' ' || b->data[i] == '\t'))
		i++;
	if (i > start) {
		memmove(b->data + start, b->data + i, b->len - i);
		b->len -= i - start;
	}
	while (b->len > start &&
	       (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t'))
		b->len--;
	if (b->data != NULL)
		b->data[b->len] = '\0';
}

/*
 * display-name = phrase; phrase = 1*word / obs-phrase;
 * obs-phrase = word *(word / "." / CFWS) (RFC 5322 3.2.5, 4.1).
 * Cooks p[0..e) into the name: words joined by one space where the input
 * had CFWS (comments dropped), quoted strings unquoted, other bytes (dots,
 * stray specials) kept as text.
 */
static int
cook_phrase(struct ps *ps, mf_addr *it, const char *p, const char *e,
	    mf_str *out)
{
	mf__lex sub;
	size_t start = ps->cook->len;
	bool space = false, first = true;

	mf__lex_init(&sub, p, (size_t)(e - p), NULL, 0);
	for (;;) {
		bool sk = mf__lex_cfws(&sub);
		const char *q = sub.p;
		unsigned char c;
		int rc;

		if (q >= sub.end)
			break;
		if (sk && !first)
			space = true;
		if (space && put(ps, " ", 1, q) < 0)
			return ps->rc;
		c = (unsigned char)*q;
		if (c >= 0x80 || mf__is(c, MF__C_ATEXT)) {
			size_t k = mf__lex_span(q, sub.end, MF__C_ATEXT);

			sub.p += k;
			rc = put(ps, q, k, q);
		} else if (c == '"') {
			mf_str t;

			mf__lex_qstring(&sub, &t);
			rc = put_unquoted(ps, it, t.ptr, t.len, q, true);
		} else {
			sub.p++;
			rc = put(ps, q, 1, q);
		}
		if (rc < 0)
			return rc;
		space = false;
		first = false;
	}
	if (decode_tail(ps, it, start, p) < 0)
		return ps->rc;
	cook_trim(ps, start); /* "\" a \"" and decoded spaces at the ends */
	return cook_end(ps, start, out, p);
}

/* A comment's content as a display name (unquoted, trimmed). */
static int
comment_name(struct ps *ps, mf_addr *it, mf_str cm, mf_str *out)
{
	size_t start = ps->cook->len;
	const char *p = cm.ptr, *e = cm.ptr + cm.len;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (p == e) {
		out->ptr = NULL;
		out->len = 0;
		return MF_OK;
	}
	if (mf__unquote_trivial(p, (size_t)(e - p)) &&
	    !has_ew(p, (size_t)(e - p)) && mf__utf8_valid(p, (size_t)(e - p)) &&
	    memchr(p, '\0', (size_t)(e - p)) == NULL) {
		out->ptr = p;
		out->len = (size_t)(e - p);
		return MF_OK;
	}
	if (put_unquoted(ps, it, p, (size_t)(e - p), p, false) < 0 ||
	    decode_tail(ps, it, start, p) < 0)
		return ps->rc;
	cook_trim(ps, start);
	return cook_end(ps, start, out, p);
}

/* ---------------------------------------------------------------------- */
/* Phrases and local parts                                                 */
/* ---------------------------------------------------------------------- */

enum {
	PH_QS = 1 << 0,      /* a quoted string */
	PH_DOT = 1 << 1,     /* a dot */
	PH_SPECIAL = 1 << 2, /* another special kept as text */
	PH_CPLX = 1 << 3,    /* a gap other than one space, or an encoded word */
	PH_WORDGAP = 1 << 4  /* two words not joined by a dot */
};

enum { EL_NONE, EL_WORD, EL_DOT, EL_SPECIAL };

struct phr {
	const char *s, *e;   /* first element .. end of the last one */
	const char *run;     /* start of the trailing word/dot run */
	const char *dot;     /* first dot */
	const char *special; /* first special kept as text */
	const char *wgap;    /* first word following a word without a dot */
	const char *dotbad;  /* first dot of an empty label in the run */
	size_t nel, run_nel;
	unsigned fl;
	bool run_cfws;   /* CFWS inside the run */
	bool run_qs;     /* a quoted string in the run */
	bool cfws_after; /* CFWS between the last element and the delimiter */
	int last;        /* EL_* of the last element */
	mf_str comment;  /* last comment after the last element */
};

/*
 * Whether the rest p[0..n) of an encoded word holds only atext and the
 * specials that senders put in Q text (":" "," ";" "."): then the word is
 * one token. Anything else ("@", "<", brackets, quotes, white space) is
 * address structure, and the word is read as before.
 */
static bool
ew_token(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!mf__is(c, MF__C_ATEXT) && c != ':' && c != ',' &&
		    c != ';' && c != '.')
			return false;
	}
	return true;
}

/*
 * Scans words (atoms, quoted strings), dots and, unless local is set,
 * other specials up to a delimiter: "<", "@", ",", ";", ":" (when
 * colon_ends) or, with local, any special but ".". The cursor is left on
 * the delimiter (or at the end).
 */
static void
scan_phrase(struct ps *ps, struct phr *ph, bool local, bool colon_ends)
{
	mf__lex *lx = &ps->lx;
	bool reset = true;

	memset(ph, 0, sizeof(*ph));
	for (;;) {
		const char *ws = lx->p, *q;
		bool sk = mf__lex_cfws(lx);
		unsigned char c;
		int kind;

		if (lx->p >= lx->end)
			break;
		q = lx->p;
		c = (unsigned char)*q;
		if (c >= 0x80 || mf__is(c, MF__C_ATEXT)) {
			size_t k = mf__lex_span(q, lx->end, MF__C_ATEXT), w;

			kind = EL_WORD;
			if (k >= 2 && q[0] == '=' && q[1] == '?') {
				ph->fl |= PH_CPLX;
				/*
				 * An encoded word is one token (RFC 2047 5):
				 * a special in its text ("=?utf-8?Q?Re:_a?=")
				 * is text, not the group colon or a comma,
				 * as inside a group (MF_D_ADDR_SPECIALS:
				 * 5 (3) allows none in a phrase).
				 */
				w = local ? 0
					  : mf__ew_at(&ps->ews,
						      (size_t)(q - ps->ews.in));
				if (w > k && ew_token(q + k, w - k)) {
					ph->fl |= PH_SPECIAL;
					if (ph->special == NULL)
						ph->special = q + k;
					k = w + mf__lex_span(q + w, lx->end,
							     MF__C_ATEXT);
				}
			}
			lx->p += k;
		} else if (c == '"') {
			mf_str t;

			mf__lex_qstring(lx, &t);
			kind = EL_WORD;
			ph->fl |= PH_QS;
		} else if (c == '.') {
			lx->p++;
			kind = EL_DOT;
			if (ph->dot == NULL)
				ph->dot = q;
		} else if (local || c == '<' || c == '@' || c == ',' ||
			   c == ';' || (c == ':' && colon_ends)) {
			break;
		} else {
			lx->p++;
			kind = EL_SPECIAL;
			ph->fl |= PH_SPECIAL;
			if (ph->special == NULL)
				ph->special = q;
		}
		if (ph->nel == 0) {
			ph->s = q;
		} else if (sk && (lx->p - q != 0) &&
			   !(q - ws == 1 && *ws == ' ')) {
			ph->fl |= PH_CPLX;
		}
		if (kind == EL_SPECIAL) {
			reset = true;
		} else if (reset ||
			   (kind == EL_WORD && ph->last == EL_WORD)) {
			if (!reset) {
				ph->fl |= PH_WORDGAP;
				if (ph->wgap == NULL)
					ph->wgap = q;
			}
			ph->run = q;
			ph->run_nel = 0;
			ph->run_cfws = false;
			ph->run_qs = false;
			ph->dotbad = NULL;
			reset = false;
		} else if (sk) {
			ph->run_cfws = true;
		}
		if (kind == EL_DOT && ph->dotbad == NULL &&
		    (ph->run_nel == 0 || ph->last == EL_DOT))
			ph->dotbad = q;
		if (kind == EL_WORD && c == '"')
			ph->run_qs = true;
		if (kind != EL_SPECIAL)
			ph->run_nel++;
		ph->last = kind;
		ph->nel++;
		ph->e = lx->p;
	}
	if (ph->nel > 0 && ph->last == EL_SPECIAL)
		ph->run = ph->e; /* nothing after the special */
	if (ph->nel > 0 && ph->last == EL_DOT && ph->dotbad == NULL &&
	    ph->run < ph->e)
		ph->dotbad = ph->e - 1; /* trailing dot */
	ph->cfws_after = ph->nel > 0 && lx->p > ph->e;
	ph->comment = lx->comment;
}

/* Whether the phrase is atoms separated by single spaces (a plain view). */
static bool
plain_phrase(const struct phr *ph)
{
	return (ph->fl & (PH_QS | PH_DOT | PH_SPECIAL | PH_CPLX)) == 0 &&
	       mf__utf8_valid(ph->s, (size_t)(ph->e - ph->s)) &&
	       !has_ew(ph->s, (size_t)(ph->e - ph->s));
}

/* The display name of a phrase: a view when plain, else cooked. */
static int
set_name(struct ps *ps, mf_addr *a, const struct phr *ph, const char *s,
	 const char *e)
{
	if (s == ph->s && e == ph->e && plain_phrase(ph)) {
		a->name.ptr = s;
		a->name.len = (size_t)(e - s);
		return MF_OK;
	}
	return cook_phrase(ps, a, s, e, &a->name);
}

/*
 * local-part = dot-atom / quoted-string / obs-local-part;
 * obs-local-part = word *("." word) (RFC 5322 3.4.1, 4.4).
 * The local part is the run [s, ph->e): a view when it is a dot-atom or a
 * quoted string needing no unquoting, else cooked (CFWS dropped, quoted
 * strings unquoted).
 */
static int
set_local(struct ps *ps, mf_addr *a, const struct phr *ph, const char *s)
{
	const char *e = ph->e;
	size_t start;
	mf__lex sub;

	if (ph->dotbad != NULL)
		adef(ps, a, MF_D_OBSOLETE, ph->dotbad);
	if (!ph->run_cfws && !ph->run_qs) {
		a->local.ptr = s;
		a->local.len = (size_t)(e - s);
		return MF_OK;
	}
	if (ph->run_nel == 1 && !ph->run_cfws && *s == '"' && e - s >= 2 &&
	    e[-1] == '"' && mf__unquote_trivial(s + 1, (size_t)(e - s - 2))) {
		a->local.ptr = s + 1;
		a->local.len = (size_t)(e - s - 2);
		return MF_OK;
	}
	if (ph->run_nel > 1)
		adef(ps, a, MF_D_OBSOLETE, s);
	start = ps->cook->len;
	mf__lex_init(&sub, s, (size_t)(e - s), NULL, 0);
	for (;;) {
		mf_str t;
		int rc;

		mf__lex_cfws(&sub);
		if (sub.p >= sub.end)
			break;
		if (*sub.p == '"') {
			mf__lex_qstring(&sub, &t);
			rc = mf__unquote(ps->cook, t.ptr, t.len);
		} else {
			t.ptr = sub.p;
			t.len = mf__lex_span(sub.p, sub.end, MF__C_ATEXT);
			if (t.len == 0)
				t.len = 1; /* the dot */
			sub.p += t.len;
			rc = mf__buf_put(ps->cook, t.ptr, t.len);
		}
		if (rc < 0)
			return cook_rc(ps, rc, t.ptr);
	}
	if (ps->cook->len == start) {
		/* An empty quoted string: a view of nothing, not "absent". */
		a->local.ptr = s;
		a->local.len = 0;
		return MF_OK;
	}
	return cook_end(ps, start, &a->local, s);
}

/* ---------------------------------------------------------------------- */
/* Domains and routes                                                      */
/* ---------------------------------------------------------------------- */

/*
 * Appends domain literal d without line breaks (RFC 5322 3.2.2: folding is
 * not content; a quoted-pair of CR or LF goes with it) and, when it was
 * unterminated, closed so that it reads back the same (a final lone "\\"
 * is escaped first). Quoted-pairs are kept as written.
 */
static int
put_literal(mf_buf *out, mf_str d, bool unterminated)
{
	size_t i = 0;
	bool lone = false;
	int rc = MF_OK;

	while (i < d.len && rc == MF_OK) {
		char c = d.ptr[i];

		if (c == '\\' && i + 1 < d.len) {
			if (d.ptr[i + 1] != '\r' && d.ptr[i + 1] != '\n')
				rc = mf__buf_put(out, d.ptr + i, 2);
			i += 2;
		} else if (c == '\\') {
			lone = true; /* the last byte: escapes nothing */
			rc = mf__buf_putc(out, c);
			i++;
		} else {
			if (c != '\r' && c != '\n')
				rc = mf__buf_putc(out, c);
			i++;
		}
	}
	if (rc < 0 || !unterminated)
		return rc;
	if (lone)
		rc = mf__buf_putc(out, '\\');
	if (rc == MF_OK)
		rc = mf__buf_putc(out, ']');
	return rc;
}

/* Whether p[0..n) is atext, dots and UTF-8 only (no CFWS to remove). */
static bool
clean_domain(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c != '.' && c < 0x80 && !mf__is(c, MF__C_ATEXT))
			return false;
	}
	return true;
}

/*
 * domain = dot-atom / domain-literal / obs-domain (RFC 5322 3.4.1, 4.4),
 * after the "@" at at. *near gets whether CFWS followed the "@". Leaves
 * the domain empty (the caller records MF_D_ADDR_NO_DOMAIN) when there is
 * none.
 */
static int
parse_domain(struct ps *ps, mf_str *out, bool *near)
{
	mf__lex *lx = &ps->lx;
	const char *s;
	uint64_t saved;
	mf_str d;
	bool obs;

	out->ptr = NULL;
	out->len = 0;
	*near = mf__lex_cfws(lx);
	if (lx->p >= lx->end)
		return MF_OK;
	s = lx->p;
	if (*s == '[') {
		size_t start = ps->cook->len;
		int rc;

		saved = lx->defects;
		lx->defects = 0;
		mf__lex_dliteral(lx, &d);
		obs = (lx->defects & MF_DEFECT_BIT(MF_D_UNTERMINATED)) != 0;
		lx->defects |= saved;
		if (!obs && memchr(d.ptr, '\r', d.len) == NULL &&
		    memchr(d.ptr, '\n', d.len) == NULL) {
			*out = d;
			return MF_OK;
		}
		rc = put_literal(ps->cook, d, obs);
		if (rc < 0)
			return cook_rc(ps, rc, s);
		return cook_end(ps, start, out, s);
	}
	saved = lx->defects;
	lx->defects = 0;
	if (!mf__lex_dot_atom(lx, &d, true)) {
		lx->defects |= saved;
		return MF_OK;
	}
	obs = (lx->defects & MF_DEFECT_BIT(MF_D_OBSOLETE)) != 0;
	lx->defects |= saved;
	if (obs && !clean_domain(d.ptr, d.len)) {
		size_t start = ps->cook->len;
		int rc = mf__lex_canon(ps->cook, d.ptr, d.len);

		if (rc < 0)
			return cook_rc(ps, rc, s);
		return cook_end(ps, start, out, s);
	}
	*out = d;
	return MF_OK;
}

/*
 * obs-route = obs-domain-list ":"; obs-domain-list = *(CFWS / ",") "@"
 * domain *("," [CFWS] ["@" domain]) (RFC 5322 4.4). Cooked as "@a,@b"
 * with CFWS removed. A missing comma between domains ("@a@b") is accepted
 * as Dovecot does: the route is obsolete syntax anyway (MF_D_OBSOLETE).
 * Without the final ":" the route ends where the domains do ("<@route>").
 */
static int
parse_route(struct ps *ps, mf_addr *a)
{
	mf__lex *lx = &ps->lx;
	size_t start = ps->cook->len;
	int rc = MF_OK;

	adef(ps, a, MF_D_OBSOLETE, lx->p);
	for (;;) {
		const char *at;
		mf_str d;

		mf__lex_cfws(lx);
		if (lx->p >= lx->end)
			break;
		if (*lx->p == ',') {
			lx->p++;
			continue;
		}
		if (*lx->p != '@')
			break;
		at = lx->p++;
		mf__lex_cfws(lx);
		d.ptr = lx->p;
		d.len = 0;
		if (ps->cook->len > start)
			rc = mf__buf_putc(ps->cook, ',');
		if (rc == MF_OK)
			rc = mf__buf_putc(ps->cook, '@');
		if (rc == MF_OK && lx->p < lx->end && *lx->p == '[') {
			uint64_t saved = lx->defects;
			bool unterm;

			lx->defects = 0;
			mf__lex_dliteral(lx, &d);
			unterm = (lx->defects &
				  MF_DEFECT_BIT(MF_D_UNTERMINATED)) != 0;
			lx->defects |= saved;
			rc = put_literal(ps->cook, d, unterm);
		} else if (rc == MF_OK) {
			mf__lex_dot_atom(lx, &d, true);
			rc = mf__lex_canon(ps->cook, d.ptr, d.len);
		}
		if (rc < 0)
			return cook_rc(ps, rc, at);
	}
	if (lx->p < lx->end && *lx->p == ':')
		lx->p++;
	return cook_end(ps, start, &a->route, a->raw.ptr);
}

/* ---------------------------------------------------------------------- */
/* Items                                                                   */
/* ---------------------------------------------------------------------- */

static void
push(struct ps *ps, const mf_addr *a)
{
	if (ps->rc < 0)
		return;
	if (a->kind == MF_ADDR_MAILBOX) {
		if (ps->nmbox >= ps->max_addrs) {
			/* Lenient: keep what we have (Dovecot's overflow flag). */
			if (mf__defect(ps->o, &ps->defects, MF_D_FIELD_LIMIT,
				       a->offset) < 0)
				fail(ps, MF_E_LIMIT, a->raw.ptr,
				     "too many addresses");
			ps->stop = true;
			return;
		}
		ps->nmbox++;
	}
	if (ps->n == ps->cap) {
		size_t ncap;
		mf_addr *nv;

		if (ps->ar == NULL) {
			fail(ps, MF_E_NOSPC, a->raw.ptr, "address array full");
			return;
		}
		/* Doubling in the arena: what is left behind is at most the
		 * final array's size. */
		ncap = ps->cap * 2;
		nv = mf__arena_calloc(ps->ar, ncap, sizeof(mf_addr));
		if (nv == NULL) {
			fail(ps, MF_E_NOMEM, a->raw.ptr, NULL);
			return;
		}
		if (ps->n > 0)
			memcpy(nv, ps->v, ps->n * sizeof(mf_addr));
		ps->v = nv;
		ps->cap = ncap;
	}
	ps->v[ps->n++] = *a;
}

/* Ends the raw span of a at e (trailing white space dropped). */
static void
finish(struct ps *ps, mf_addr *a, const char *e)
{
	while (e > a->raw.ptr && (e[-1] == ' ' || e[-1] == '\t' ||
				  e[-1] == '\r' || e[-1] == '\n'))
		e--;
	a->raw.len = (size_t)(e - a->raw.ptr);
	a->offset = (size_t)off(ps, a->raw.ptr);
}

/* The held-back phrase-only item turned out to stand alone. */
static void
flush_pend(struct ps *ps)
{
	if (!ps->has_pend)
		return;
	ps->has_pend = false;
	adef(ps, &ps->pend, MF_D_ADDR_NO_DOMAIN, ps->pend_end);
	push(ps, &ps->pend);
}

static void
close_group(struct ps *ps, const char *at, size_t len, bool unterminated)
{
	mf_addr a;

	memset(&a, 0, sizeof(a));
	a.kind = MF_ADDR_GROUP_END;
	a.raw.ptr = at;
	a.raw.len = len;
	a.offset = (size_t)off(ps, at);
	if (unterminated)
		adef(ps, &a, MF_D_UNTERMINATED, at);
	ps->has_pend = false;
	ps->group = NONE;
	push(ps, &a);
}

/*
 * Moves the cursor of lx to the next byte in stops outside quoted strings
 * and comments; returns that byte, or 0 at the end.
 */
static char
scan_to(mf__lex *lx, const char *stops)
{
	while (lx->p < lx->end) {
		char c = *lx->p;
		mf_str t;

		if (c != '\0' && strchr(stops, c) != NULL)
			return c;
		if (c == '"')
			mf__lex_qstring(lx, &t);
		else if (c == '(')
			mf__lex_comment(lx, &t);
		else
			lx->p++;
	}
	return 0;
}

/*
 * Skips malformed bytes up to ",", ";" in a group, or (in an angle-addr)
 * past ">", honouring quoted strings and comments.
 */
static void
skip_garbage(struct ps *ps, bool angle)
{
	if (scan_to(&ps->lx, angle ? ",>" : ",;") == '>')
		ps->lx.p++;
}

/*
 * angle-addr = [CFWS] "<" addr-spec ">" [CFWS] / obs-angle-addr;
 * obs-angle-addr = [CFWS] "<" obs-route addr-spec ">" [CFWS]
 * (RFC 5322 3.4, 4.4). The cursor is on "<".
 */
static int
parse_angle(struct ps *ps, mf_addr *a)
{
	mf__lex *lx = &ps->lx;
	struct phr ph;
	int rc = MF_OK;

	lx->p++;
	mf__lex_cfws(lx);
	if (lx->p < lx->end && (*lx->p == '@' || *lx->p == ',')) {
		rc = parse_route(ps, a);
		if (rc < 0)
			return rc;
	}
	scan_phrase(ps, &ph, true, false);
	if (ph.wgap != NULL) {
		/* "<John Smith@x>": only the last word can be the local part. */
		adef(ps, a, MF_D_BAD_CHAR, ph.wgap);
	}
	if (ph.nel > 0 && ph.run < ph.e) {
		rc = set_local(ps, a, &ph, ph.run);
		if (rc < 0)
			return rc;
	}
	if (lx->p < lx->end && *lx->p == '@') {
		const char *at = lx->p++;
		bool near;

		if (ph.nel == 0)
			adef(ps, a, MF_D_BAD_CHAR, at); /* no local part */
		rc = parse_domain(ps, &a->domain, &near);
		if (rc < 0)
			return rc;
		if (a->domain.len == 0)
			adef(ps, a, MF_D_ADDR_NO_DOMAIN, lx->p);
	} else {
		adef(ps, a, MF_D_ADDR_NO_DOMAIN, lx->p);
	}
	mf__lex_cfws(lx);
	if (lx->p < lx->end && *lx->p == '>') {
		lx->p++;
		return MF_OK;
	}
	if (lx->p >= lx->end || *lx->p == ',' ||
	    (*lx->p == ';' && ps->group != NONE)) {
		adef(ps, a, MF_D_ADDR_NO_ANGLE_END, lx->p);
		return MF_OK;
	}
	adef(ps, a, MF_D_TRAILING_GARBAGE, lx->p);
	skip_garbage(ps, true);
	return MF_OK;
}

/* Phrase defects: obs-phrase dots, specials kept as text. */
static void
phrase_defects(struct ps *ps, mf_addr *a, const struct phr *ph,
	       const char *e)
{
	if (ph->dot != NULL && ph->dot < e)
		adef(ps, a, MF_D_OBSOLETE, ph->dot);
	if (ph->special != NULL && ph->special < e)
		adef(ps, a, MF_D_ADDR_SPECIALS, ph->special);
}

/* The comment after an address is its name when it has no phrase. */
static int
trailing_comment(struct ps *ps, mf_addr *a)
{
	mf__lex *lx = &ps->lx;

	mf__lex_cfws(lx);
	if (a->name.len == 0 && lx->comment.len > 0)
		return comment_name(ps, a, lx->comment, &a->name);
	return MF_OK;
}

/*
 * atext (RFC 5322 3.2.3) or a byte >= 0x80 (RFC 6532), as the lexer reads
 * atoms, as one table for the fast path below.
 */
#define AT_(c)                                                                 \
	(((c) >= 0x80 || ((c) >= 'a' && (c) <= 'z') ||                        \
	  ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') ||          \
	  (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' ||              \
	  (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' ||             \
	  (c) == '-' || (c) == '/' || (c) == '=' || (c) == '?' ||              \
	  (c) == '^' || (c) == '_' || (c) == '`' || (c) == '{' ||              \
	  (c) == '|' || (c) == '}' || (c) == '~')                              \
	     ? 1                                                               \
	     : 0)
#define AT4_(b) AT_(b), AT_((b) + 1), AT_((b) + 2), AT_((b) + 3)
#define AT16_(b) AT4_(b), AT4_((b) + 4), AT4_((b) + 8), AT4_((b) + 12)
#define AT64_(b) AT16_(b), AT16_((b) + 16), AT16_((b) + 32), AT16_((b) + 48)

/* Classes for the fast path: 1 for atext, 2 for ".". */
#define DA_(c) (AT_(c) | ((c) == '.' ? 2 : 0))
#define DA4_(b) DA_(b), DA_((b) + 1), DA_((b) + 2), DA_((b) + 3)
#define DA16_(b) DA4_(b), DA4_((b) + 4), DA4_((b) + 8), DA4_((b) + 12)
#define DA64_(b) DA16_(b), DA16_((b) + 16), DA16_((b) + 32), DA16_((b) + 48)

static const unsigned char dacls[256] = {DA64_(0), DA64_(64), DA64_(128),
					 DA64_(192)};

#define LOW8 0x0101010101010101ull

/*
 * End of the dot-atom-text at p (p itself when there is none): atext runs
 * joined by single dots, without a leading or trailing dot ("a..b" and
 * "a." end after "a"). Eight bytes at a time while a block holds only
 * atext and well-placed dots (their classes packed into one word, no
 * branch per byte), then byte by byte.
 */
/* The last "." in [p, q), or p when there is none. */
static const char *
last_dot_before(const char *p, const char *q)
{
	while (q > p && q[-1] != '.')
		q--;
	return q > p ? q - 1 : p;
}

/*
 * End of the dot-atom-text at p (p itself when there is none): atext runs
 * joined by single dots, without a leading or trailing dot ("a..b" and
 * "a." end after "a"). Eight bytes at a time: their classes packed into a
 * word give, without a branch per byte, the first byte that is neither
 * atext nor a dot and the first dot that follows a dot (or the start).
 */
static const char *
dot_atom_end(const char *p, const char *end)
{
	const char *q = p;
	uint64_t last_dot = 1; /* a label must start here */

	while (end - q >= 8) {
		const unsigned char *u = (const unsigned char *)q;
		uint64_t w = (uint64_t)dacls[u[0]] |
			     (uint64_t)dacls[u[1]] << 8 |
			     (uint64_t)dacls[u[2]] << 16 |
			     (uint64_t)dacls[u[3]] << 24 |
			     (uint64_t)dacls[u[4]] << 32 |
			     (uint64_t)dacls[u[5]] << 40 |
			     (uint64_t)dacls[u[6]] << 48 |
			     (uint64_t)dacls[u[7]] << 56;
		uint64_t dot = (w >> 1) & LOW8;
		uint64_t stop = ~(w | w >> 1) & LOW8;
		uint64_t bad = dot & (dot << 8 | last_dot);
		unsigned f;

		if ((stop | bad) == 0) {
			last_dot = dot >> 56;
			q += 8;
			continue;
		}
		f = mf__ctz64(stop | bad) / 8;
		q += f;
		if (bad & (uint64_t)1 << (8 * f))
			return last_dot_before(p, q); /* "..": before the first */
		if (f > 0)
			last_dot = (dot >> (8 * (f - 1))) & 1;
		return last_dot ? last_dot_before(p, q) : q;
	}
	for (; q < end; q++) {
		unsigned char c = dacls[(unsigned char)*q];

		if (c == 0)
			break;
		if (c == 2 && last_dot)
			return last_dot_before(p, q);
		last_dot = c == 2;
	}
	return last_dot ? last_dot_before(p, q) : q;
}

/*
 * The spans of a plain addr-spec at s, the fast path's question: a
 * dot-atom, "@", a dot-atom. Scalar: dot_atom_end twice.
 */
static bool
spans_scalar(const char *s, const char *end, const char **at,
	     const char **dend)
{
	*at = dot_atom_end(s, end);
	if (*at == s || *at >= end || **at != '@')
		return false;
	*dend = dot_atom_end(*at + 1, end);
	return *dend != *at + 1;
}

#ifdef MF__X86
/*
 * AVX2: one 32-byte window classified at once. Membership in atext or "."
 * comes from two nibble lookups (bit h of LO[l] says whether byte h*16+l
 * belongs, HI[h] selects bit h; bytes >= 0x80 all belong, by their sign);
 * the dots come from a compare. Bit masks then give what dot_atom_end
 * finds: the first non-member must be the "@" and the second ends the
 * domain, with no dot leading, trailing or doubled in either. It says
 * yes only then; anything else (a longer address, odd dots, not an
 * address) is left to the scalar path, so both give the same answer.
 * s[0..32) must be readable.
 */
#define LOBITS_(l)                                                             \
	((DA_(l) ? 1 : 0) | (DA_(16 + (l)) ? 2 : 0) |                          \
	 (DA_(32 + (l)) ? 4 : 0) | (DA_(48 + (l)) ? 8 : 0) |                   \
	 (DA_(64 + (l)) ? 16 : 0) | (DA_(80 + (l)) ? 32 : 0) |                 \
	 (DA_(96 + (l)) ? 64 : 0) | (DA_(112 + (l)) ? 128 : 0))

/* Dots of a label run (l, r) of mask d are well placed. */
static bool
dots_ok(uint64_t d, unsigned l, unsigned r)
{
	d &= ((uint64_t)1 << r) - ((uint64_t)1 << l);
	return (d & ((uint64_t)1 << l)) == 0 &&
	       (d & ((uint64_t)1 << (r - 1))) == 0 && (d & (d >> 1)) == 0;
}

__attribute__((target("avx2"))) static bool
spans_avx2(const char *s, const char **at, const char **dend)
{
	static const unsigned char lo8[16] = {
	    LOBITS_(0),  LOBITS_(1),  LOBITS_(2),  LOBITS_(3),
	    LOBITS_(4),  LOBITS_(5),  LOBITS_(6),  LOBITS_(7),
	    LOBITS_(8),  LOBITS_(9),  LOBITS_(10), LOBITS_(11),
	    LOBITS_(12), LOBITS_(13), LOBITS_(14), LOBITS_(15)};
	static const unsigned char hi8[16] = {1, 2, 4, 8, 16, 32, 64, 128,
					      0, 0, 0, 0, 0, 0,  0,  0};
	__m256i v, lo, hi, mem, lot, hit;
	uint64_t member, dots, stop, stop2;
	unsigned f1, f2;

	lot = _mm256_broadcastsi128_si256(
	    _mm_loadu_si128((const __m128i *)(const void *)lo8));
	hit = _mm256_broadcastsi128_si256(
	    _mm_loadu_si128((const __m128i *)(const void *)hi8));
	v = _mm256_loadu_si256((const __m256i *)(const void *)s);
	lo = _mm256_and_si256(v, _mm256_set1_epi8(0x0f));
	hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f));
	mem = _mm256_and_si256(_mm256_shuffle_epi8(lot, lo),
			       _mm256_shuffle_epi8(hit, hi));
	mem = _mm256_cmpeq_epi8(mem, _mm256_setzero_si256());
	member = ~(uint64_t)(uint32_t)_mm256_movemask_epi8(mem) |
		 (uint64_t)(uint32_t)_mm256_movemask_epi8(v);
	member &= 0xFFFFFFFFu;
	dots = (uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
	stop = ~member & 0xFFFFFFFFu;
	if (stop == 0)
		return false;
	f1 = mf__ctz64(stop);
	if (f1 == 0 || s[f1] != '@' || !dots_ok(dots, 0, f1))
		return false;
	stop2 = stop & ~(((uint64_t)2 << f1) - 1);
	if (stop2 == 0)
		return false;
	f2 = mf__ctz64(stop2);
	if (f2 == f1 + 1 || !dots_ok(dots, f1 + 1, f2))
		return false;
	*at = s + f1;
	*dend = s + f2;
	return true;
}
#endif

bool
mf__addr_spans(int path, const char *s, const char *end, const char **at,
	       const char **dend)
{
#ifdef MF__X86
	/* A leaf that answers only the plain case; the rest goes on below. */
	if (path == MF__PATH_AVX2 && end - s >= 32 &&
	    spans_avx2(s, at, dend))
		return true;
#endif
	(void)path;
	return spans_scalar(s, end, at, dend);
}

/*
 * The common case in one pass: a plain dot-atom "@" dot-atom, followed by
 * optional spaces and a ",", a ";" closing the group, or the end. Anything
 * else (names, brackets, comments, folding, obsolete forms) is left to
 * parse_item, which reads these simple cases the same way.
 */
static bool
fast_item(struct ps *ps)
{
	mf__lex *lx = &ps->lx;
	const char *s = lx->p, *end = lx->end, *at, *dend, *q;
	mf_addr a, *it;
	bool room, first = true;

	/* A run of plain items in one loop, back to parse_list at the first
	 * item (or separator) that is anything else. */
	for (;;) {
		if (!mf__addr_spans(ps->path, s, end, &at, &dend))
			return !first;
		q = dend;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q != ',' && !(*q == ';' && ps->group != NONE))
			return !first;
		if (first)
			flush_pend(ps);
		ps->last_comma = NULL;
		/* Written in place when there is room (the common case). */
		room = ps->n < ps->cap && ps->nmbox < ps->max_addrs;
		it = room ? &ps->v[ps->n] : &a;
		memset(it, 0, sizeof(*it));
		it->kind = MF_ADDR_MAILBOX;
		it->local.ptr = s;
		it->local.len = (size_t)(at - s);
		it->domain.ptr = at + 1;
		it->domain.len = (size_t)(dend - at - 1);
		it->raw.ptr = s;
		it->raw.len = (size_t)(dend - s);
		it->offset = (size_t)off(ps, s);
		lx->p = q;
		if (room) {
			ps->n++;
			ps->nmbox++;
		} else {
			push(ps, &a); /* grows, or records the limit */
			if (bad(ps) || ps->stop)
				return true;
		}
		if (q >= end || *q != ',')
			return true;
		ps->last_comma = q;
		lx->p = ++q;
		while (q < end && *q == ' ')
			q++;
		s = q;
		lx->p = q;
		first = false;
	}
}

enum { IT_DONE, IT_GROUP };

/*
 * address = mailbox / group; mailbox = name-addr / addr-spec;
 * group = display-name ":" [group-list] ";" [CFWS] (RFC 5322 3.4).
 * One scan collects the leading words; the byte after them decides.
 */
static int
parse_item(struct ps *ps)
{
	mf__lex *lx = &ps->lx;
	size_t cook0 = ps->cook->len;
	struct phr ph;
	mf_addr a;
	const char *d;
	bool eof;
	char c;

	memset(&a, 0, sizeof(a));
	a.kind = MF_ADDR_MAILBOX;
	scan_phrase(ps, &ph, false, ps->group == NONE);
	d = lx->p;
	eof = d >= lx->end;
	c = eof ? '\0' : *d;
	a.raw.ptr = ph.nel > 0 ? ph.s : d;

	if (!eof && c == '<') {
		const char *ns = ph.s;
		bool merge = ps->has_pend && ph.nel > 0;

		if (merge) {
			/* "Doe, John <j@x>": one mailbox named "Doe, John". */
			ns = ps->pend.raw.ptr;
			a.raw.ptr = ns;
			a.defects |= ps->pend.defects;
			if (ps->ar == NULL)
				ps->cook->len = ps->pend_cook;
			ps->has_pend = false;
			adef(ps, &a, MF_D_ADDR_SPECIALS, ps->pend_comma);
		} else {
			flush_pend(ps);
		}
		if (ph.nel > 0) {
			phrase_defects(ps, &a, &ph, ph.e);
			if ((merge ? cook_phrase(ps, &a, ns, ph.e, &a.name)
				   : set_name(ps, &a, &ph, ph.s, ph.e)) < 0)
				return ps->rc;
		}
		if (parse_angle(ps, &a) < 0 || trailing_comment(ps, &a) < 0)
			return ps->rc;
	} else if (!eof && c == '@') {
		const char *ls = ph.nel > 0 ? ph.run : d, *dend;
		bool near;

		flush_pend(ps);
		lx->p++;
		if (parse_domain(ps, &a.domain, &near) < 0)
			return ps->rc;
		dend = lx->p;
		mf__lex_cfws(lx);
		if (lx->p < lx->end && *lx->p == '<') {
			/*
			 * "Mikel@Lindsaar <m@x>": what looked like an
			 * addr-spec is an unquoted display name.
			 */
			adef(ps, &a, MF_D_ADDR_SPECIALS, d);
			phrase_defects(ps, &a, &ph, ph.e);
			a.domain.ptr = NULL;
			a.domain.len = 0;
			if (cook_phrase(ps, &a, a.raw.ptr, dend, &a.name) < 0 ||
			    parse_angle(ps, &a) < 0 ||
			    trailing_comment(ps, &a) < 0)
				return ps->rc;
			finish(ps, &a, lx->p);
			sync_lex(ps, &a);
			push(ps, &a);
			return IT_DONE;
		}
		lx->p = dend;
		if (ls > a.raw.ptr) {
			/* "John j@x": a display name without angle brackets. */
			adef(ps, &a, MF_D_ADDR_SPECIALS, ls);
			phrase_defects(ps, &a, &ph, ls);
			if (cook_phrase(ps, &a, ph.s, ls, &a.name) < 0)
				return ps->rc;
		}
		if (ls < d && ph.nel > 0 && ls < ph.e) {
			if (set_local(ps, &a, &ph, ls) < 0)
				return ps->rc;
		} else {
			adef(ps, &a, MF_D_BAD_CHAR, d); /* no local part */
		}
		if (a.domain.len == 0)
			adef(ps, &a, MF_D_ADDR_NO_DOMAIN, dend);
		if (trailing_comment(ps, &a) < 0)
			return ps->rc;
	} else if (!eof && c == ':' && ps->group == NONE) {
		flush_pend(ps);
		a.kind = MF_ADDR_GROUP;
		if (ph.nel > 0) {
			phrase_defects(ps, &a, &ph, ph.e);
			if (set_name(ps, &a, &ph, ph.s, ph.e) < 0)
				return ps->rc;
		} else {
			adef(ps, &a, MF_D_BAD_CHAR, d); /* no group name */
		}
		lx->p++;
		finish(ps, &a, lx->p);
		sync_lex(ps, &a);
		push(ps, &a);
		ps->group = ps->n - 1;
		return IT_GROUP;
	} else {
		/* A phrase alone: a local part without domain, or a name. */
		flush_pend(ps);
		if (ph.nel == 0)
			return IT_DONE; /* a stray byte: after_item skips it */
		if (!(ph.fl & (PH_QS | PH_SPECIAL | PH_WORDGAP))) {
			if (set_local(ps, &a, &ph, ph.s) < 0)
				return ps->rc;
			if (ph.comment.len > 0 &&
			    comment_name(ps, &a, ph.comment, &a.name) < 0)
				return ps->rc;
		} else {
			phrase_defects(ps, &a, &ph, ph.e);
			if (set_name(ps, &a, &ph, ph.s, ph.e) < 0)
				return ps->rc;
		}
		finish(ps, &a, lx->p);
		sync_lex(ps, &a);
		if (!ps->strict && !eof && c == ',') {
			ps->has_pend = true;
			ps->pend = a;
			ps->pend_cook = cook0;
			ps->pend_comma = d;
			ps->pend_end = ph.e;
			return IT_DONE;
		}
		adef(ps, &a, MF_D_ADDR_NO_DOMAIN, ph.e);
		push(ps, &a);
		return IT_DONE;
	}
	finish(ps, &a, lx->p);
	sync_lex(ps, &a);
	push(ps, &a);
	return IT_DONE;
}

/*
 * Whether the bytes at the cursor, up to the next "," or ";", hold an
 * "@" or "<" (or, with group, a ":") outside quoted strings and comments:
 * the start of another address (or group). The scan stops at the first
 * one, and the item parse then consumes what it scanned, so a list
 * without commas stays linear.
 */
static bool
address_follows(struct ps *ps, bool group)
{
	mf__lex lx = ps->lx;
	char c = scan_to(&lx, group ? ",;@<:" : ",;@<");

	return c == '@' || c == '<' || c == ':';
}

/*
 * After an item: "," ends it; ";" ends the group. Another address right
 * after a complete mailbox ("a@b c@d", "A <a@b> B <b@c>"), or an address
 * or group right after a group's ";" ("g1: a@b; g2: c@d;", "g: a@b;
 * c@d"), is a missing comma: it starts the next item (MF_D_ADDR_NO_COMMA),
 * as a reader of the field would take it. Anything else is junk.
 */
static void
after_item(struct ps *ps)
{
	mf__lex *lx = &ps->lx;
	mf_addr *last = ps->has_pend ? &ps->pend
				     : (ps->n > 0 ? &ps->v[ps->n - 1] : NULL);

	mf__lex_cfws(lx);
	if (lx->p < lx->end && *lx->p != ',' &&
	    !(*lx->p == ';' && ps->group != NONE) && last != NULL &&
	    !ps->has_pend &&
	    ((last->kind == MF_ADDR_MAILBOX && last->domain.len > 0 &&
	      address_follows(ps, false)) ||
	     (last->kind == MF_ADDR_GROUP_END && address_follows(ps, true)))) {
		adef(ps, last, MF_D_ADDR_NO_COMMA, lx->p);
		sync_lex(ps, last);
		return;
	}
	if (lx->p < lx->end && *lx->p != ',' &&
	    !(*lx->p == ';' && ps->group != NONE)) {
		adef(ps, last, MF_D_TRAILING_GARBAGE, lx->p);
		skip_garbage(ps, false);
		if (lx->p < lx->end && *lx->p == ';' && ps->group == NONE) {
			/* "a@b; c@d" (Outlook's separator), "a@b;, c@d". */
			lx->p++;
			mf__lex_cfws(lx);
		}
	}
	if (lx->p < lx->end && *lx->p == ',') {
		ps->last_comma = lx->p;
		lx->p++;
	}
	sync_lex(ps, last);
}

/*
 * address-list = (address *("," address)) / obs-addr-list;
 * obs-addr-list = *([CFWS] ",") address *("," [address / CFWS])
 * (RFC 5322 3.4, 4.4).
 */
static void
parse_list(struct ps *ps)
{
	mf__lex *lx = &ps->lx;

	while (!bad(ps) && !ps->stop) {
		const char *q, *before;

		mf__lex_cfws(lx);
		sync_lex(ps, NULL);
		if (lx->p >= lx->end) {
			if (ps->last_comma != NULL)
				adef(ps, NULL, MF_D_ADDR_EMPTY_ITEM,
				     ps->last_comma);
			break;
		}
		q = lx->p;
		if (*q == ',') {
			adef(ps, NULL, MF_D_ADDR_EMPTY_ITEM, q);
			ps->last_comma = q;
			lx->p++;
			continue;
		}
		if (*q == ';') {
			lx->p++;
			if (ps->group == NONE) {
				adef(ps, NULL, MF_D_TRAILING_GARBAGE, q);
				continue;
			}
			if (ps->last_comma != NULL)
				adef(ps, NULL, MF_D_ADDR_EMPTY_ITEM,
				     ps->last_comma);
			ps->last_comma = NULL;
			flush_pend(ps);
			close_group(ps, q, 1, false);
			after_item(ps);
			continue;
		}
		ps->last_comma = NULL;
		before = lx->p;
		if (fast_item(ps))
			continue;
		if (parse_item(ps) == IT_DONE && !bad(ps))
			after_item(ps);
		if (lx->p == before)
			lx->p++; /* cannot happen; guarantees progress */
	}
	if (!bad(ps))
		flush_pend(ps);
	if (!bad(ps) && ps->group != NONE)
		close_group(ps, lx->p, 0, !ps->stop);
}

/* ---------------------------------------------------------------------- */
/* Entry points                                                            */
/* ---------------------------------------------------------------------- */

static void
ps_init(struct ps *ps, const char *p, size_t n, const mf_opts *o,
	uint64_t off0)
{
	mf_limits lim;

	memset(ps, 0, sizeof(*ps));
	mf__lex_init(&ps->lx, p, n, o, off0);
	mf__ewscan_init(&ps->ews, p, n);
	ps->o = o;
	ps->strict = o != NULL && (o->flags & MF_STRICT) != 0;
	mf__limits(o, &lim);
	ps->max_addrs = lim.max_addrs;
	ps->group = NONE;
	ps->path = mf__best_path() >= MF__PATH_AVX2 ? MF__PATH_AVX2
						    : MF__PATH_SCALAR;
}

static void *
no_alloc(void *ctx, size_t n)
{
	(void)ctx;
	(void)n;
	return NULL;
}

static void
no_release(void *ctx, void *p)
{
	(void)ctx;
	(void)p;
}

/* An mf_buf over the caller's fixed storage: growing it fails. */
static void
fixed_buf(mf_buf *b, char *p, size_t cap)
{
	b->data = cap > 0 ? p : NULL;
	b->len = 0;
	b->cap = cap > 0 ? cap : 0;
	b->a.alloc = no_alloc;
	b->a.resize = NULL;
	b->a.release = no_release;
	b->a.ctx = NULL;
	b->fixed = true;
	if (cap > 0)
		p[0] = '\0';
}

static int
ps_result(struct ps *ps, mf_error *err)
{
	if (ps->rc < 0)
		return mf__err(err, ps->rc, ps->err_off, ps->reason);
	return MF_OK;
}

int
mf_addr_parse(const char *p, size_t n, const mf_opts *o, mf_addr *out,
	      size_t *count, char *scratch, size_t *scratch_len,
	      uint64_t *defects, mf_error *err)
{
	struct ps ps;
	mf_buf cook;

	if ((p == NULL && n != 0) || count == NULL ||
	    (out == NULL && *count != 0) || scratch_len == NULL ||
	    (scratch == NULL && *scratch_len != 0)) {
		if (count != NULL)
			*count = 0;
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	}
	if (mf__opts_check(o, MF_STRICT, err) < 0) {
		*count = 0;
		*scratch_len = 0;
		return MF_E_INVAL;
	}
	if (p == NULL)
		p = "";
	ps_init(&ps, p, n, o, 0);
	ps.v = out;
	ps.cap = *count;
	fixed_buf(&cook, scratch, *scratch_len);
	ps.cook = &cook;
	parse_list(&ps);
	*count = ps.n;
	*scratch_len = cook.len;
	if (defects != NULL)
		*defects = ps.defects;
	return ps_result(&ps, err);
}

int
mf__addr_parse_ar(mf__arena *ar, const char *p, size_t n, const mf_opts *o,
		  uint64_t off0, mf_addr **out, size_t *count,
		  uint64_t *defects, mf_error *err)
{
	struct ps ps;
	mf_buf cook, tmp;
	int rc;

	*out = NULL;
	*count = 0;
	if (p == NULL)
		p = "";
	ps_init(&ps, p, n, o, off0);
	mf__buf_init(&cook, &ar->a);
	mf__buf_init(&tmp, &ar->a);
	ps.cook = &cook;
	ps.tmp = &tmp;
	ps.ar = ar;
	/* A first guess at the item count: an address takes 16+ bytes. */
	ps.cap = n / 32 + 4;
	ps.v = mf__arena_calloc(ar, ps.cap, sizeof(mf_addr));
	if (ps.v == NULL)
		fail(&ps, MF_E_NOMEM, p, NULL);
	else
		parse_list(&ps);
	if (ps.rc == MF_OK && ps.n > 0) {
		*out = ps.v;
		*count = ps.n;
	}
	mf__buf_fini(&cook);
	mf__buf_fini(&tmp);
	if (defects != NULL)
		*defects = ps.defects;
	rc = ps_result(&ps, err);
	return rc;
}

struct mf_addrs {
	mf__arena ar;
	mf_addr *v;
	size_t n;
	uint64_t defects;
};

int
mf_addrs_parse(const char *p, size_t n, const mf_opts *o, mf_addrs **out,
	       mf_error *err)
{
	mf__arena ar;
	mf_addrs *l;
	int rc;

	if (out == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	*out = NULL;
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	mf__arena_init(&ar, o != NULL ? &o->alloc : NULL);
	l = mf__arena_alloc(&ar, sizeof(*l));
	if (l == NULL) {
		mf__arena_free(&ar);
		return mf__err(err, MF_E_NOMEM, 0, NULL);
	}
	memset(l, 0, sizeof(*l));
	rc = mf__addr_parse_ar(&ar, p, n, o, 0, &l->v, &l->n, &l->defects,
			       err);
	if (rc < 0) {
		mf__arena_free(&ar);
		return rc;
	}
	l->ar = ar;
	*out = l;
	return MF_OK;
}

size_t
mf_addrs_count(const mf_addrs *l)
{
	return l != NULL ? l->n : 0;
}

const mf_addr *
mf_addrs_at(const mf_addrs *l, size_t i)
{
	if (l == NULL || i >= l->n)
		return NULL;
	return &l->v[i];
}

const mf_addr *
mf_addrs_first_mailbox(const mf_addrs *l)
{
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (l->v[i].kind == MF_ADDR_MAILBOX)
			return &l->v[i];
	return NULL;
}

uint64_t
mf_addrs_defects(const mf_addrs *l)
{
	return l != NULL ? l->defects : 0;
}

void
mf_addrs_free(mf_addrs *l)
{
	mf__arena ar;

	if (l == NULL)
		return;
	ar = l->ar; /* l lives in its own arena */
	mf__arena_free(&ar);
}

/* ---------------------------------------------------------------------- */
/* Bare addr-spec                                                          */
/* ---------------------------------------------------------------------- */

/*
 * Checks the text of a quoted string, comment or domain literal (without
 * delimiters) byte by byte, as an addr-spec on its own must be exact:
 * NUL, a CR or LF that is not part of CRLF WSP (RFC 5322 3.2.2 FWS), and a
 * quoted-pair of a non-ASCII byte (not a quoted-pair in RFC 5322) are
 * MF_D_BAD_CHAR; other control characters and quoted-pairs of them are
 * obs-qtext, obs-ctext or obs-qp (MF_D_OBSOLETE), except in domain
 * literals, where RFC 5322 4.4 obs-dtext is left alone.
 */
static void
check_text(struct ps *ps, mf_addr *a, const char *p, const char *e, bool lit)
{
	while (p < e) {
		unsigned char c = (unsigned char)*p;

		if (c == '\\' && p + 1 < e) {
			unsigned char n = (unsigned char)p[1];

			if (n >= 0x80)
				adef(ps, a, MF_D_BAD_CHAR, p);
			else if (!lit && n != ' ' && n != '\t' &&
				 mf__is(n, MF__C_CTL))
				adef(ps, a, MF_D_OBSOLETE, p);
			p += 2;
			continue;
		}
		if (c == '\r' && p + 2 < e && p[1] == '\n' &&
		    (p[2] == ' ' || p[2] == '\t')) {
			p += 3;
			continue;
		}
		if (c == '\0' || c == '\r' || c == '\n')
			adef(ps, a, MF_D_BAD_CHAR, p);
		else if (!lit && c != '\t' && mf__is(c, MF__C_CTL))
			adef(ps, a, MF_D_OBSOLETE, p);
		p++;
	}
}

/*
 * Validates the folding and the text of quoted strings, comments and
 * literals of an addr-spec: FWS = ([*WSP CRLF] 1*WSP) / obs-FWS, so CRLF
 * must be followed by WSP (else MF_D_BAD_CHAR), and more than one CRLF in
 * one run of white space is obs-FWS (MF_D_OBSOLETE). Control characters
 * outside quoted text are MF_D_BAD_CHAR.
 */
static void
check_spec(struct ps *ps, mf_addr *a, const char *p, size_t n)
{
	mf__lex v;

	mf__lex_init(&v, p, n, NULL, 0); /* defects already reported */
	while (v.p < v.end) {
		const char *q = v.p;
		unsigned char c = (unsigned char)*q;
		mf_str t;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			size_t crlf = 0;

			while (v.p < v.end) {
				c = (unsigned char)*v.p;
				if (c == ' ' || c == '\t') {
					v.p++;
				} else if (c == '\r' && v.p + 2 < v.end &&
					   v.p[1] == '\n' &&
					   (v.p[2] == ' ' || v.p[2] == '\t')) {
					if (++crlf == 2)
						adef(ps, a, MF_D_OBSOLETE, v.p);
					v.p += 3;
				} else if (c == '\r' || c == '\n') {
					adef(ps, a, MF_D_BAD_CHAR, v.p);
					v.p++;
				} else {
					break;
				}
			}
		} else if (c == '(') {
			mf__lex_comment(&v, &t);
			check_text(ps, a, t.ptr, t.ptr + t.len, false);
		} else if (c == '"' || c == '[') {
			char close = c == '"' ? '"' : ']';
			const char *e;

			if (c == '"')
				mf__lex_qstring(&v, &t);
			else
				mf__lex_dliteral(&v, &t);
			e = t.ptr + t.len;
			if (t.len >= 2 && e[-1] == close)
				e--;
			check_text(ps, a, t.ptr + 1, e, c == '[');
		} else {
			if (mf__is(c, MF__C_CTL))
				adef(ps, a, MF_D_BAD_CHAR, q);
			v.p++;
		}
	}
}

/*
 * RFC 5321 4.1.2 / RFC 1035: a hostname label neither begins nor ends with
 * "-" (isemail counts this an error; RFC 5322 alone would allow it).
 */
static void
check_labels(struct ps *ps, mf_addr *a, mf_str d)
{
	size_t i, start = 0;

	if (d.len == 0 || d.ptr[0] == '[')
		return;
	for (i = 0; i <= d.len; i++) {
		if (i == d.len || d.ptr[i] == '.') {
			if (i > start && (d.ptr[start] == '-' || d.ptr[i - 1] == '-')) {
				/* Offsets refer to the input only for views. */
				const char *at = d.ptr[start] == '-'
						     ? d.ptr + start
						     : d.ptr + i - 1;
				if (at < ps->lx.base || at >= ps->lx.end)
					at = a->raw.ptr;
				adef(ps, a, MF_D_BAD_CHAR, at);
			}
			start = i + 1;
		}
	}
}

int
mf_addr_spec_parse(const char *p, size_t n, const mf_opts *o, mf_addr *out,
		   char *scratch, size_t *scratch_len, mf_error *err)
{
	mf__lex *lx;
	struct ps ps;
	struct phr ph;
	mf_buf cook;
	mf_addr a;
	bool near = false;

	if ((p == NULL && n != 0) || out == NULL || scratch_len == NULL ||
	    (scratch == NULL && *scratch_len != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	ps_init(&ps, p, n, o, 0);
	fixed_buf(&cook, scratch, *scratch_len);
	ps.cook = &cook;
	lx = &ps.lx;
	memset(&a, 0, sizeof(a));
	a.kind = MF_ADDR_MAILBOX;

	mf__lex_cfws(lx);
	scan_phrase(&ps, &ph, true, false);
	a.raw.ptr = ph.nel > 0 ? ph.s : lx->p;
	if (ph.nel == 0 && (lx->p >= lx->end || *lx->p != '@')) {
		*scratch_len = 0;
		return mf__err(err, MF_E_SYNTAX, (size_t)(lx->p - p),
			       "no address");
	}
	if (ph.wgap != NULL)
		adef(&ps, &a, MF_D_BAD_CHAR, ph.wgap);
	if (ph.nel > 0 && ph.run < ph.e)
		set_local(&ps, &a, &ph, ph.run);
	if (lx->p < lx->end && *lx->p == '@') {
		const char *at = lx->p++;

		if (ph.cfws_after)
			adef(&ps, &a, MF_D_OBSOLETE, ph.e); /* CFWS near "@" */
		if (ph.nel == 0)
			adef(&ps, &a, MF_D_BAD_CHAR, at);
		parse_domain(&ps, &a.domain, &near);
		if (near)
			adef(&ps, &a, MF_D_OBSOLETE, at + 1);
		if (a.domain.len == 0) {
			if (ph.nel == 0 && ps.rc == MF_OK) {
				*scratch_len = 0;
				return mf__err(err, MF_E_SYNTAX,
					       (size_t)(at - p), "no address");
			}
			adef(&ps, &a, MF_D_ADDR_NO_DOMAIN, lx->p);
		}
	} else {
		adef(&ps, &a, MF_D_ADDR_NO_DOMAIN, lx->p);
	}
	finish(&ps, &a, lx->p);
	mf__lex_cfws(lx);
	if (lx->p < lx->end)
		adef(&ps, &a, MF_D_TRAILING_GARBAGE, lx->p);
	sync_lex(&ps, &a);
	check_labels(&ps, &a, a.domain);
	check_spec(&ps, &a, p, n);
	*scratch_len = cook.len;
	*out = a;
	return ps_result(&ps, err);
}

/* ---------------------------------------------------------------------- */
/* Formatting                                                              */
/* ---------------------------------------------------------------------- */

/* Whether a word of a name must be an encoded word (RFC 2047 5(3)). */
static bool
needs_ew(const char *w, size_t n, unsigned flags)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c < 0x20 || c == 0x7f ||
		    (c >= 0x80 && !(flags & MF_UTF8_OUT)))
			return true;
		if (c == '=' && i + 1 < n && w[i + 1] == '?')
			return true;
	}
	return false;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A display name (RFC 5322 3.2.5): quoted only where needed. Names that
 * are not ASCII (unless MF_UTF8_OUT), hold control characters or "=?"
 * become RFC 2047 encoded words (RFC 2047 5(3)); words that need none are
 * kept as atoms or quoted strings between them, so that "Doe, J\xc3\xb6rg"
 * is "\"Doe,\" =?utf-8?q?J=C3=B6rg?=" (never an encoded word inside a
 * quoted string, RFC 2047 5(3)). In such names white space runs become
 * single spaces: Python reads any run in an encoded phrase as one space
 * and GMime ends a name at an encoded tab, so no form carries them. An
 * encoded run is one encoded word when it fits, split only after its own
 * spaces otherwise (mf_ew_encode, MF_EW_PHRASE); mf_addr_format folds
 * before the mailbox rather than inside the name.
 */
static int
put_phrase(mf_buf *out, mf_str s, unsigned flags, size_t col, size_t width)
{
	unsigned ew = MF_EW_PHRASE | ((flags & MF_LF) ? MF_LF : 0);
	size_t i = 0, rs = 0, re = 0;
	bool any = false, run_ew = false, have = false, sep = false;
	int rc = MF_OK;

	if (s.len == 0)
		return mf__buf_put(out, "\"\"", 2);
	for (i = 0; i < s.len && !any;) {
		size_t w;

		while (i < s.len && is_ws(s.ptr[i]))
			i++;
		w = i;
		while (i < s.len && !is_ws(s.ptr[i]))
			i++;
		any = needs_ew(s.ptr + w, i - w, flags);
	}
	if (!any)
		return mf__quote(out, s.ptr, s.len, false);
	/* Runs of words of one kind, written one after the other. */
	i = 0;
	while (rc == MF_OK) {
		size_t w, we;
		bool e;

		while (i < s.len && is_ws(s.ptr[i]))
			i++;
		w = i;
		while (i < s.len && !is_ws(s.ptr[i]))
			i++;
		we = i;
		e = w < we && needs_ew(s.ptr + w, we - w, flags);
		if (have && (w == we || e != run_ew)) {
			/* Flush the run [rs, re), words joined by one space. */
			mf_buf run;
			size_t k;

			mf__buf_init(&run, &out->a);
			for (k = rs; k < re && rc == MF_OK;) {
				size_t a = k;

				while (k < re && !is_ws(s.ptr[k]))
					k++;
				if (run.len > 0)
					rc = mf__buf_putc(&run, ' ');
				if (rc == MF_OK)
					rc = mf__buf_put(&run, s.ptr + a, k - a);
				while (k < re && is_ws(s.ptr[k]))
					k++;
			}
			if (rc == MF_OK && sep)
				rc = mf__buf_putc(out, ' ');
			if (rc == MF_OK && run.len > 0)
				rc = run_ew ? mf_ew_encode(out, run.data, run.len,
							   NULL, ew, col, width)
					    : mf__quote(out, run.data, run.len,
							false);
			mf__buf_fini(&run);
			sep = true;
			have = false;
		}
		if (w == we)
			break;
		if (!have) {
			rs = w;
			run_ew = e;
			have = true;
		}
		re = we;
	}
	return rc;
}

int
mf_addr_spec_format(mf_buf *out, const mf_addr *a)
{
	int rc;

	if (out == NULL || a == NULL)
		return MF_E_INVAL;
	if (a->local.len == 0 && a->domain.len == 0)
		return MF_OK; /* no address ("<>", a name alone): empty */
	if (a->local.len == 0)
		rc = mf__buf_put(out, "\"\"", 2);
	else
		rc = mf__quote(out, a->local.ptr, a->local.len, true);
	if (rc == MF_OK && a->domain.len > 0) {
		rc = mf__buf_putc(out, '@');
		if (rc == MF_OK)
			rc = mf__buf_put(out, a->domain.ptr, a->domain.len);
	}
	return rc;
}

static bool
is_ascii(mf_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if ((unsigned char)s.ptr[i] >= 0x80)
			return false;
	return true;
}

/*
 * The space at out[sp] between a mailbox's name (written from start) and
 * its "<": becomes a fold (FWS before the angle-addr, RFC 5322 3.4) when
 * the name is folded (a long name in several encoded words) and its last
 * line and the address (with a ",") pass the width. A mailbox on one line
 * stays whole (mf_addr_format folds before it).
 */
static int
fold_angle(mf_buf *out, size_t start, size_t sp, unsigned flags,
	   size_t width)
{
	const char *nl = (flags & MF_LF) ? "\n" : "\r\n";
	size_t nll = strlen(nl), i;
	int rc;

	for (i = sp; i > start && out->data[i - 1] != '\n'; i--)
		;
	if (i == start || (sp - i) + (out->len - sp) + 1 <= width)
		return MF_OK;
	rc = mf__buf_put(out, nl, nll); /* make room */
	if (rc < 0)
		return rc;
	memmove(out->data + sp + nll, out->data + sp, out->len - nll - sp);
	memcpy(out->data + sp, nl, nll);
	return MF_OK;
}

/*
 * One mailbox: "name <spec>", a bare spec, "<spec>" when there is no
 * domain (so that "user" reads back as a local part) or a route, and
 * "name <>" for a name without address.
 */
static int
put_mailbox(mf_buf *out, const mf_addr *a, unsigned flags, size_t col,
	    size_t width)
{
	bool addr = a->local.len > 0 || a->domain.len > 0 || a->route.len > 0;
	bool angle = a->name.len > 0 || a->route.len > 0 || a->domain.len == 0;
	size_t start = out->len, sp = SIZE_MAX;
	int rc = MF_OK;

	/* RFC 2047 cannot encode an addr-spec (5): only RFC 6532 output can
	 * carry a non-ASCII one. */
	if (!(flags & MF_UTF8_OUT) &&
	    (!is_ascii(a->local) || !is_ascii(a->domain) ||
	     !is_ascii(a->route)))
		return MF_E_UTF8_OUT;
	if (a->name.len > 0) {
		rc = put_phrase(out, a->name, flags, col, width);
		sp = out->len;
		if (rc == MF_OK)
			rc = mf__buf_putc(out, ' ');
	}
	if (rc == MF_OK && angle)
		rc = mf__buf_putc(out, '<');
	if (rc == MF_OK && a->route.len > 0) {
		rc = mf__buf_put(out, a->route.ptr, a->route.len);
		if (rc == MF_OK)
			rc = mf__buf_putc(out, ':');
	}
	if (rc == MF_OK && addr)
		rc = mf_addr_spec_format(out, a);
	if (rc == MF_OK && angle)
		rc = mf__buf_putc(out, '>');
	if (rc == MF_OK && sp != SIZE_MAX && width > 0)
		rc = fold_angle(out, start, sp, flags, width);
	return rc;
}

/* Column after out[0..len) given column col at out[from]. */
static size_t
column(const mf_buf *out, size_t from, size_t col)
{
	size_t i = out->len;

	while (i > from) {
		if (out->data[i - 1] == '\n')
			return out->len - i;
		i--;
	}
	return col + (out->len - from);
}

int
mf_addr_format(mf_buf *out, const mf_addr *a, size_t n, unsigned flags,
	       size_t col, size_t width)
{
	const char *nl = (flags & MF_LF) ? "\n" : "\r\n";
	size_t nll = strlen(nl), i, len0;
	bool in_group = false, first = true;
	int rc = MF_OK;

	if (out == NULL || (a == NULL && n != 0) ||
	    (flags & ~(MF_LF | MF_UTF8_OUT)) != 0)
		return MF_E_INVAL;
	len0 = out->len;
	for (i = 0; i < n && rc == MF_OK; i++) {
		size_t mark = out->len, start;
		bool sep;

		if (a[i].kind == MF_ADDR_GROUP_END) {
			if (in_group) {
				rc = mf__buf_putc(out, ';');
				col++;
				in_group = false;
				first = false;
			}
			continue;
		}
		/* ", " before every item but the first of the list or group. */
		sep = !first;
		if (sep)
			rc = mf__buf_put(out, ", ", 2);
		else if (in_group)
			rc = mf__buf_putc(out, ' ');
		start = out->len;
		if (rc == MF_OK && a[i].kind == MF_ADDR_GROUP) {
			if (in_group)
				rc = mf__buf_putc(out, ';');
			if (rc == MF_OK)
				rc = put_phrase(out, a[i].name, flags,
						col + (out->len - mark), width);
			if (rc == MF_OK)
				rc = mf__buf_putc(out, ':');
			in_group = true;
			first = true;
		} else if (rc == MF_OK) {
			rc = put_mailbox(out, &a[i], flags,
					 col + (out->len - mark), width);
			first = false;
		}
		if (rc < 0)
			break;
		/* Fold before the item when it would pass the width. */
		if (width > 0 && mark > 0 && col + (out->len - mark) > width &&
		    (sep || in_group)) {
			size_t at = sep ? mark + 1 : mark; /* after "," */

			rc = mf__buf_put(out, nl, nll); /* make room */
			if (rc < 0)
				break;
			memmove(out->data + at + nll, out->data + at,
				out->len - nll - at);
			memcpy(out->data + at, nl, nll);
			if (out->data[at + nll] != ' ') {
				/* A group's first member: keep a space. */
				rc = mf__buf_putc(out, ' ');
				if (rc < 0)
					break;
				memmove(out->data + at + nll + 1,
					out->data + at + nll,
					out->len - 1 - at - nll);
				out->data[at + nll] = ' ';
			}
			col = 0;
			start = at + nll;
		}
		col = column(out, start, col + (start - mark));
	}
	if (rc == MF_OK && in_group)
		rc = mf__buf_putc(out, ';');
	if (rc < 0)
		mf__buf_cut(out, len0);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* SMTP mailboxes (RFC 5321 4.1.2, 4.1.3; RFC 6531 3.3)                    */
/* ---------------------------------------------------------------------- */

/*
 * The envelope's grammar is stricter than RFC 5322's: no CFWS, no
 * obsolete forms, a domain of LDH labels (RFC 1035; U-labels with RFC
 * 6531) or an address literal whose IPv4 or IPv6 address is checked.
 *
 *   Mailbox       = Local-part "@" ( Domain / address-literal )
 *   Local-part    = Dot-string / Quoted-string
 *   Quoted-string = DQUOTE *QcontentSMTP DQUOTE
 *   QcontentSMTP  = qtextSMTP / quoted-pairSMTP
 *   qtextSMTP     = %d32-33 / %d35-91 / %d93-126  (RFC 6531: UTF-8 too)
 *   quoted-pairSMTP = %d92 %d32-126
 *   Domain        = sub-domain *("." sub-domain)
 *   sub-domain    = Let-dig [Ldh-str]               (RFC 6531: U-label)
 *   address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
 *                     General-address-literal ) "]"
 */

static int
smtp_bad(size_t *bad, const char **why, int code, size_t off, const char *r)
{
	*bad = off;
	*why = r;
	return code;
}

static bool
let_dig(unsigned char c)
{
	return mf__is(c, MF__C_ALPHA | MF__C_DIGIT);
}

/* IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT, 0-255. */
static bool
ipv4_ok(const char *p, size_t n)
{
	size_t i = 0, k;

	for (k = 0; k < 4; k++) {
		size_t d = 0;
		unsigned v = 0;

		if (k > 0) {
			if (i >= n || p[i] != '.')
				return false;
			i++;
		}
		while (i < n && d < 4 && mf__is((unsigned char)p[i],
						 MF__C_DIGIT)) {
			v = v * 10 + (unsigned)(p[i] - '0');
			i++;
			d++;
		}
		if (d == 0 || d > 3 || v > 255)
			return false;
	}
	return i == n;
}

/*
 * IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp: 8 groups
 * (6 and an IPv4 address), or "::" once with at most 6 groups (4 and an
 * IPv4 address) around it (RFC 5321 4.1.3).
 */
static bool
ipv6_ok(const char *p, size_t n)
{
	size_t i = 0, groups = 0;
	bool comp = false, v4 = false;

	if (n >= 2 && p[0] == ':' && p[1] == ':') {
		comp = true;
		i = 2;
	} else if (n > 0 && p[0] == ':') {
		return false;
	}
	while (i < n) {
		size_t s = i, d = 0;

		while (i < n && d < 5 && mf__is((unsigned char)p[i],
						 MF__C_HEX)) {
			i++;
			d++;
		}
		if (i < n && p[i] == '.') {
			/* The IPv4 tail. */
			if (!ipv4_ok(p + s, n - s))
				return false;
			v4 = true;
			i = n;
			break;
		}
		if (d == 0 || d > 4)
			return false;
		groups++;
		if (i == n)
			break;
		if (p[i] != ':')
			return false;
		i++;
		if (i < n && p[i] == ':') {
			if (comp)
				return false;
			comp = true;
			i++;
		} else if (i == n) {
			return false; /* a single trailing ":" */
		}
	}
	if (comp)
		return groups <= (v4 ? 4u : 6u);
	return groups == (v4 ? 6u : 8u);
}

/* Ldh-str ending in Let-dig, starting with one: the address tag. */
static bool
ldh_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || !let_dig((unsigned char)p[0]) ||
	    !let_dig((unsigned char)p[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] != '-' && !let_dig((unsigned char)p[i]))
			return false;
	}
	return true;
}

static int
smtp_literal(const char *p, size_t n, size_t *bad, const char **why)
{
	const char *c;
	size_t i, tn;

	if (n < 2 || p[n - 1] != ']')
		return smtp_bad(bad, why, MF_E_SYNTAX, n,
				"unterminated address literal");
	p++;
	n -= 2;
	if (ipv4_ok(p, n))
		return MF_OK;
	c = memchr(p, ':', n);
	if (c == NULL)
		return smtp_bad(bad, why, MF_E_SYNTAX, 1,
				"bad address literal");
	tn = (size_t)(c - p);
	if (!ldh_ok(p, tn))
		return smtp_bad(bad, why, MF_E_SYNTAX, 1,
				"bad address literal tag");
	if (mf__ieq(p, tn, "IPv6", 4)) {
		if (!ipv6_ok(c + 1, n - tn - 1))
			return smtp_bad(bad, why, MF_E_SYNTAX, tn + 2,
					"bad IPv6 address");
		return MF_OK;
	}
	/* General-address-literal: dcontent = %d33-90 / %d94-126. */
	if (tn + 1 == n)
		return smtp_bad(bad, why, MF_E_SYNTAX, tn + 2,
				"empty address literal");
	for (i = tn + 1; i < n; i++) {
		unsigned char b = (unsigned char)p[i];

		if (b < 33 || b > 126 || (b >= 91 && b <= 93))
			return smtp_bad(bad, why, MF_E_SYNTAX, i + 1,
					"bad character in address literal");
	}
	return MF_OK;
}

/* The bytes of a domain: 1 letter, digit or "-", 3 ".", 4 >= 0x80. */
#define DC(c)                                                                  \
	((c) >= 0x80                                                           \
	     ? 4                                                               \
	     : (((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') ||   \
		((c) >= 'a' && (c) <= 'z') || (c) == '-')                     \
		   ? 1                                                         \
		   : (c) == '.' ? 3 : 0)
static const unsigned char dom_class[256] = {MF__X256(DC)};
#undef DC

int
mf__smtp_domain(const char *p, size_t n, unsigned *flags, size_t *bad,
		const char **why)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i, start = 0;
	bool utf8 = false;

	if (n == 0)
		return smtp_bad(bad, why, MF_E_SYNTAX, 0, "empty domain");
	if (p[0] == '[') {
		*flags |= MF_SMTP_PATH_LITERAL;
		return smtp_literal(p, n, bad, why);
	}
	/* RFC 5321 4.5.3.1.2: 255 octets. */
	if (n > 255)
		return smtp_bad(bad, why, MF_E_LIMIT, 255, "domain too long");
	for (i = 0; i <= n; i++) {
		unsigned t;

		while (i < n && dom_class[s[i]] == 1)
			i++;
		t = i < n ? dom_class[s[i]] : 3;
		if (t == 3) {
			if (i == start)
				return smtp_bad(bad, why, MF_E_SYNTAX, i,
						"empty domain label");
			if (s[start] == '-' || s[i - 1] == '-')
				return smtp_bad(bad, why, MF_E_SYNTAX,
						s[start] == '-' ? start : i - 1,
						"domain label begins or ends "
						"with \"-\"");
			if (i - start > 63)
				return smtp_bad(bad, why, MF_E_LIMIT,
						start + 63,
						"domain label too long");
			start = i + 1;
		} else if (t == 4) {
			utf8 = true;
		} else {
			return smtp_bad(bad, why, MF_E_SYNTAX, i,
					"bad character in domain");
		}
	}
	if (utf8) {
		if (!mf__utf8_valid(p, n))
			return smtp_bad(bad, why, MF_E_SYNTAX, 0,
					"domain is not UTF-8");
		*flags |= MF_SMTP_PATH_UTF8;
	}
	return MF_OK;
}

/* The text of a quoted local part (quotes excluded): qtextSMTP or
 * quoted-pairSMTP, and UTF-8. */
static int
smtp_qtext(const char *p, size_t n, size_t base, unsigned *flags,
	   size_t *bad, const char **why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\\') {
			if (i + 1 >= n || (unsigned char)p[i + 1] < 32 ||
			    (unsigned char)p[i + 1] > 126)
				return smtp_bad(bad, why, MF_E_SYNTAX,
						base + i, "bad quoted pair");
			i++;
		} else if (c >= 0x80) {
			*flags |= MF_SMTP_PATH_UTF8;
		} else if (c < 32 || c == 127 || c == '"') {
			return smtp_bad(bad, why, MF_E_SYNTAX, base + i,
					"bad character in quoted string");
		}
	}
	return MF_OK;
}

int
mf__smtp_mailbox(const char *p, size_t n, bool no_domain, mf__smtp_mbox *mb,
		 size_t *bad, const char **why)
{
	mf__lex lx;
	mf_str t;
	size_t at;
	int rc;

	memset(mb, 0, sizeof(*mb));
	mf__lex_init(&lx, p, n, NULL, 0);
	if (n > 0 && p[0] == '"') {
		mf__lex_qstring(&lx, &t);
		if (lx.defects != 0 || t.len < 2)
			return smtp_bad(bad, why, MF_E_SYNTAX, 0,
					"unterminated quoted string");
		rc = smtp_qtext(t.ptr + 1, t.len - 2, 1, &mb->flags, bad,
				why);
		if (rc < 0)
			return rc;
		mb->flags |= MF_SMTP_PATH_QUOTED;
	} else if (!mf__lex_dot_atom(&lx, &t, false)) {
		return smtp_bad(bad, why, MF_E_SYNTAX, 0,
				n == 0 || p[0] == '@' ? "empty local part"
						      : "bad local part");
	} else {
		/* Any byte >= 0x80, eight at a time. */
		const uint64_t highs = 0x8080808080808080ull;
		uint64_t acc = 0, w;
		size_t i = 0;

		for (; i + 8 <= t.len; i += 8) {
			memcpy(&w, t.ptr + i, 8);
			acc |= w;
		}
		for (; i < t.len; i++)
			acc |= (unsigned char)t.ptr[i];
		if (acc & highs)
			mb->flags |= MF_SMTP_PATH_UTF8;
	}
	/* RFC 5321 4.5.3.1.1: 64 octets. */
	if (t.len > 64)
		return smtp_bad(bad, why, MF_E_LIMIT, 64, "local part too long");
	if ((mb->flags & MF_SMTP_PATH_UTF8) && !mf__utf8_valid(t.ptr, t.len))
		return smtp_bad(bad, why, MF_E_SYNTAX, 0,
				"local part is not UTF-8");
	mb->local = t;
	at = (size_t)(lx.p - p);
	if (at == n) {
		if (no_domain)
			return MF_OK;
		return smtp_bad(bad, why, MF_E_SYNTAX, at, "no domain");
	}
	if (p[at] != '@')
		return smtp_bad(bad, why, MF_E_SYNTAX, at,
				"bad character in local part");
	rc = mf__smtp_domain(p + at + 1, n - at - 1, &mb->flags, bad, why);
	if (rc < 0) {
		*bad += at + 1;
		return rc;
	}
	mb->domain.ptr = p + at + 1;
	mb->domain.len = n - at - 1;
	return MF_OK;
}
