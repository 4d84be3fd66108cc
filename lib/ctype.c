/* SPDX-License-Identifier: MIT */
/*
 * ctype.c - Content-Type (RFC 2045 5, RFC 2046), Content-Disposition (RFC
 * 2183), their parameter lists (RFC 2045 5.1) and Content-Transfer-Encoding
 * (RFC 2045 6), parsed with the lexer's RFC 2045 tokens.
 *
 *   content := "Content-Type" ":" type "/" subtype *(";" parameter)
 *   disposition := disposition-type *(";" disposition-parm)
 *   parameter := attribute "=" value; value := token / quoted-string
 *
 * Policy for malformed input (what mail readers do; each a defect, the
 * first an error with MF_STRICT):
 *  - Type and subtype are lower-cased. "text plain" (no "/") is text/plain;
 *    a missing subtype is "plain" for text and "mixed" for multipart;
 *    bytes after the subtype ("text/plain/format") are skipped; each is
 *    MF_D_CT_SYNTAX. With no usable type the type and subtype are empty
 *    (RFC 2045 5.2: the part is then text/plain; charset=us-ascii, which
 *    the MIME layer applies). Content-Disposition types likewise.
 *  - A parameter without "=" or without a name is skipped; an unquoted
 *    value with spaces or tspecials ("name=foo bar.pdf",
 *    "boundary=----=_Part_1") runs to the next ";"; junk after a quoted
 *    value is skipped; each is MF_D_PARAM_SYNTAX. An unterminated quoted
 *    value runs to the end (MF_D_UNTERMINATED).
 *  - Parameters separated by white space or folding alone, without ";"
 *    ("multipart/mixed boundary=x", "charset=x format=flowed"): where
 *    attribute "=" follows a type, a value or white space, it starts the
 *    next parameter (MF_D_PARAM_NO_SEMICOLON), so that the multipart is
 *    not lost; other junk is skipped as before.
 *  - A parameter given twice: the first is kept (MF_D_PARAM_DUPLICATE at
 *    the second).
 *  - More than max_params parameters: the rest is ignored
 *    (MF_D_FIELD_LIMIT; MF_E_LIMIT when strict).
 *  - RFC 2231 (mf__rfc2231_join): the segments of a name are joined in
 *    section order and decoded to UTF-8; "name*0..." wins over "name*",
 *    and an RFC 2231 value over an ordinary one of the same name (Outlook
 *    sends both; the extended one has the charset); the loser is
 *    MF_D_PARAM_DUPLICATE. Section and charset defects are the joiner's.
 *  - "name" and "filename" values have RFC 2047 encoded words decoded, as
 *    Outlook writes them; ordinary values that are not UTF-8 are read as
 *    windows-1252 (MF_D_8BIT_HEADER).
 * Parameter names are lower-cased; values are unquoted (views into the
 * input when no unquoting or decoding work is needed).
 */
#include <assert.h>
#include <stdlib.h>

#include "charset.h"
#include "contype.h"
#include "lex.h"
#include "rfc2231.h"

/* ---------------------------------------------------------------------- */
/* Parser state                                                            */
/* ---------------------------------------------------------------------- */

#define NLOCAL 16

/*
 * A parameter as written: an ordinary one, or one RFC 2231 segment
 * ("title*1*=...") whose name is the lower-case base name.
 */
struct ent {
	mf_param pm;
	struct mf__r2231_seg seg; /* is_seg */
	size_t idx;               /* position in the header */
	bool is_seg;
};

/* A node of the name tree (see find): entry index + 1, 0 for none. */
struct tnode {
	uint32_t lt, rt;
	uint32_t lvl; /* AA level */
};

struct cp {
	mf__lex lx;
	const mf_opts *o;
	mf__arena *ar;
	uint64_t defects;
	int rc;
	size_t err_off;
	const char *reason;
	size_t max_params;
	bool stop;
	struct ent local[NLOCAL]; /* the first parameters, before the arena */
	struct ent *v;
	size_t n, cap;
	size_t nseg;      /* RFC 2231 segments among them */
	struct tnode *tn; /* past NLOCAL: the name tree, tn[i] for v[i] */
	uint32_t root;    /* its root (entry index + 1) */
};

static void
fail_off(struct cp *cp, int code, size_t off, const char *reason)
{
	if (cp->rc < 0)
		return;
	cp->rc = code;
	cp->err_off = off;
	cp->reason = reason;
}

static void
fail(struct cp *cp, int code, const char *at, const char *reason)
{
	fail_off(cp, code, (size_t)mf__lex_off(&cp->lx, at), reason);
}

/* Records defect d at at, in pm (may be NULL) and the field's mask. */
static void
cdef(struct cp *cp, mf_param *pm, int d, const char *at)
{
	if (pm != NULL)
		pm->defects |= MF_DEFECT_BIT(d);
	if (mf__defect(cp->o, &cp->defects, d, mf__lex_off(&cp->lx, at)) < 0)
		fail(cp, MF_E_DEFECT, at, mf_defect_str(d));
}

/* Takes over the lexer's defects (unterminated quotes, comments). */
static void
sync_lex(struct cp *cp, mf_param *pm)
{
	mf__lex *lx = &cp->lx;

	if (pm != NULL)
		pm->defects |= lx->defects;
	cp->defects |= lx->defects;
	lx->defects = 0;
	if (lx->rc < 0 && cp->rc == MF_OK)
		fail(cp, lx->rc, lx->err_at, "unterminated quoted string or "
					     "comment");
}

static bool
bad(const struct cp *cp)
{
	return cp->rc < 0 || cp->lx.rc < 0;
}

static void
cp_init(struct cp *cp, mf__arena *ar, const char *p, size_t n,
	const mf_opts *o, uint64_t off0)
{
	mf_limits lim;

	memset(cp, 0, sizeof(*cp));
	mf__lex_init(&cp->lx, p, n, o, off0);
	cp->o = o;
	cp->ar = ar;
	mf__limits(o, &lim);
	cp->max_params = lim.max_params;
	cp->v = cp->local;
	cp->cap = NLOCAL;
}

/* A lower-case copy of s in the arena, or s itself when already lower. */
static int
lower(struct cp *cp, mf_str s, mf_str *out, const char *at)
{
	size_t i;
	char *c;

	*out = s;
	for (i = 0; i < s.len; i++) {
		if (s.ptr[i] >= 'A' && s.ptr[i] <= 'Z')
			break;
	}
	if (i == s.len)
		return MF_OK;
	c = mf__arena_dup(cp->ar, s.ptr, s.len);
	if (c == NULL) {
		fail(cp, MF_E_NOMEM, at, NULL);
		return MF_E_NOMEM;
	}
	for (; i < s.len; i++)
		c[i] = (char)mf__lower((unsigned char)c[i]);
	out->ptr = c;
	return MF_OK;
}

/* Skips to the next ";" (not consumed) or the end, honouring quotes. */
static void
skip_to_semi(struct cp *cp)
{
	mf__lex *lx = &cp->lx;

	while (lx->p < lx->end && *lx->p != ';') {
		mf_str t;

		if (*lx->p == '"')
			mf__lex_qstring(lx, &t);
		else if (*lx->p == '(')
			mf__lex_comment(lx, &t);
		else
			lx->p++;
	}
}

/*
 * Whether a parameter starts at the cursor without the ";" before it
 * (attribute [CFWS] "="): "multipart/mixed boundary=x", a folded
 * "text/plain;\r\n charset=utf-8 format=flowed". The cursor stays.
 */
static bool
param_follows(const struct cp *cp)
{
	mf__lex lx = cp->lx;
	mf_str t;

	mf__lex_cfws(&lx);
	if (!mf__lex_token(&lx, &t))
		return false;
	mf__lex_cfws(&lx);
	return lx.p < lx.end && *lx.p == '=';
}

/* ---------------------------------------------------------------------- */
/* Type and subtype                                                        */
/* ---------------------------------------------------------------------- */

/*
 * type "/" subtype, or (sub NULL) a disposition-type alone, up to the
 * first ";" or the end. On return the cursor is at ";" or the end.
 */
static void
parse_type(struct cp *cp, mf_str *type, mf_str *sub)
{
	mf__lex *lx = &cp->lx;
	mf_str t = {NULL, 0}, s = {NULL, 0};
	const char *at;

	mf__lex_cfws(lx);
	at = lx->p;
	if (!mf__lex_token(lx, &t)) {
		cdef(cp, NULL, MF_D_CT_SYNTAX, at);
		goto junk;
	}
	mf__lex_cfws(lx);
	if (sub != NULL) {
		if (mf__lex_eat(lx, '/')) {
			mf__lex_cfws(lx);
			at = lx->p;
			if (!mf__lex_token(lx, &s))
				cdef(cp, NULL, MF_D_CT_SYNTAX, at);
		} else {
			/* "text plain", or no subtype at all. */
			at = lx->p;
			cdef(cp, NULL, MF_D_CT_SYNTAX, at);
			mf__lex_token(lx, &s);
		}
		if (s.len == 0) {
			if (mf__ieq(t.ptr, t.len, "text", 4)) {
				s.ptr = "plain";
				s.len = 5;
			} else if (mf__ieq(t.ptr, t.len, "multipart", 9)) {
				s.ptr = "mixed";
				s.len = 5;
			} else {
				t.len = 0; /* unusable */
			}
		}
		mf__lex_cfws(lx);
	}
	if (t.len > 0 && lower(cp, t, type, t.ptr) < 0)
		return;
	if (s.len > 0 && lower(cp, s, sub, s.ptr) < 0)
		return;
junk:
	if (lx->p < lx->end && *lx->p != ';' &&
	    (t.len == 0 || !param_follows(cp))) {
		/* "text/plain/format", NUL bytes, "=?utf-8?q?x?=" */
		if (!(cp->defects & MF_DEFECT_BIT(MF_D_CT_SYNTAX)))
			cdef(cp, NULL, MF_D_CT_SYNTAX, lx->p);
		skip_to_semi(cp);
	}
	if (t.len == 0) {
		memset(type, 0, sizeof(*type));
		if (sub != NULL)
			memset(sub, 0, sizeof(*sub));
	}
}

/* ---------------------------------------------------------------------- */
/* Parameters                                                              */
/* ---------------------------------------------------------------------- */

/*
 * The ordinary parameters kept so far, by name: the first NLOCAL are
 * scanned, beyond them they go into an AA tree (Andersson, "Balanced
 * search trees made simple", 1993) threaded through the entries, so that
 * the duplicate check costs O(log n) comparisons however many parameters
 * max_params allows (a scan of all the earlier ones made hostile input
 * quadratic). Entry indices fit in 32 bits: max_params is at most
 * 1,000,000 (core.c).
 */
#define TN(cp, i) (&(cp)->tn[(i) - 1])
#define NAME(cp, i) ((cp)->v[(i) - 1].pm.name)

static int
name_cmp(mf_str a, mf_str b)
{
	if (a.len != b.len)
		return a.len < b.len ? -1 : 1;
	return memcmp(a.ptr, b.ptr, a.len);
}

/* An ordinary parameter called name (lower case), or NULL. */
static struct ent *
find(struct cp *cp, mf_str name)
{
	uint32_t t = cp->root;
	size_t i;

	if (cp->tn == NULL) {
		for (i = 0; i < cp->n; i++) {
			if (!cp->v[i].is_seg && cp->v[i].pm.name.len == name.len &&
			    memcmp(cp->v[i].pm.name.ptr, name.ptr, name.len) == 0)
				return &cp->v[i];
		}
		return NULL;
	}
	while (t != 0) {
		int c = name_cmp(name, NAME(cp, t));

		if (c == 0)
			return &cp->v[t - 1];
		t = c < 0 ? TN(cp, t)->lt : TN(cp, t)->rt;
	}
	return NULL;
}

/* AA tree rotations: a left child on t's level moves up (skew), two
 * right children on t's level lift the middle one (split). */
static uint32_t
skew(struct cp *cp, uint32_t t)
{
	struct tnode *e = TN(cp, t);
	uint32_t l = e->lt;

	if (l == 0 || TN(cp, l)->lvl != e->lvl)
		return t;
	e->lt = TN(cp, l)->rt;
	TN(cp, l)->rt = t;
	return l;
}

static uint32_t
split(struct cp *cp, uint32_t t)
{
	struct tnode *e = TN(cp, t);
	uint32_t r = e->rt;

	if (r == 0 || TN(cp, r)->rt == 0 ||
	    TN(cp, TN(cp, r)->rt)->lvl != e->lvl)
		return t;
	e->rt = TN(cp, r)->lt;
	TN(cp, r)->lt = t;
	TN(cp, r)->lvl++;
	return r;
}

/*
 * Adds entry i (ordinary, its name not in the tree) to the name tree:
 * down to a leaf, then skew and split on the way back up. The height is
 * at most 2 log2(n + 1), under 64 for any n there can be.
 */
static void
index_name(struct cp *cp, size_t i)
{
	uint32_t path[64], t = cp->root, node = (uint32_t)(i + 1);
	bool right[64];
	size_t d = 0;

	TN(cp, node)->lt = TN(cp, node)->rt = 0;
	TN(cp, node)->lvl = 1;
	while (t != 0) {
		assert(d < 64);
		path[d] = t;
		right[d] = name_cmp(NAME(cp, node), NAME(cp, t)) > 0;
		t = right[d] ? TN(cp, t)->rt : TN(cp, t)->lt;
		d++;
	}
	t = node;
	while (d > 0) {
		uint32_t up = path[--d];

		if (right[d])
			TN(cp, up)->rt = t;
		else
			TN(cp, up)->lt = t;
		t = split(cp, skew(cp, up));
	}
	cp->root = t;
}

/* Room for cap tree nodes (the first call puts every ordinary parameter
 * so far into the tree). */
static int
tree_grow(struct cp *cp, size_t cap)
{
	struct tnode *tn = mf__arena_calloc(cp->ar, cap, sizeof(*tn));
	size_t i;

	if (tn == NULL) {
		fail(cp, MF_E_NOMEM, cp->lx.p, NULL);
		return MF_E_NOMEM;
	}
	if (cp->tn != NULL) {
		memcpy(tn, cp->tn, cp->n * sizeof(*tn));
		cp->tn = tn;
		return MF_OK;
	}
	cp->tn = tn;
	for (i = 0; i < cp->n; i++) {
		if (!cp->v[i].is_seg)
			index_name(cp, i);
	}
	return MF_OK;
}

/* Appends e (cap checked by the caller). */
static int
add(struct cp *cp, const struct ent *e)
{
	if (cp->n == cp->cap) {
		struct ent *nv = mf__arena_calloc(cp->ar, cp->cap * 2,
						  sizeof(struct ent));

		if (nv == NULL) {
			fail(cp, MF_E_NOMEM, cp->lx.p, NULL);
			return MF_E_NOMEM;
		}
		memcpy(nv, cp->v, cp->n * sizeof(struct ent));
		cp->v = nv;
		cp->cap *= 2;
		if (tree_grow(cp, cp->cap) < 0)
			return MF_E_NOMEM;
	}
	cp->v[cp->n] = *e;
	cp->v[cp->n].idx = cp->n;
	cp->n++;
	return MF_OK;
}

/* The text of a quoted value: a view when unquoting changes nothing. */
static int
unquote_value(struct cp *cp, mf_str raw, mf_str *out)
{
	mf_buf b;
	char *mem;
	int rc;

	if (raw.len >= 2 && raw.ptr[raw.len - 1] == '"' &&
	    mf__unquote_trivial(raw.ptr + 1, raw.len - 2)) {
		out->ptr = raw.ptr + 1;
		out->len = raw.len - 2;
		return MF_OK;
	}
	/* Unquoting never grows the text: a fixed buffer in the arena. */
	mem = mf__arena_alloc(cp->ar, raw.len + 1);
	if (mem == NULL) {
		fail(cp, MF_E_NOMEM, raw.ptr, NULL);
		return MF_E_NOMEM;
	}
	memset(&b, 0, sizeof(b));
	b.data = mem;
	b.cap = raw.len + 1;
	mem[0] = '\0';
	rc = mf__unquote(&b, raw.ptr, raw.len);
	if (rc < 0) {
		/* Cannot happen: the output fits. */
		fail(cp, rc, raw.ptr, NULL);
		return rc;
	}
	out->ptr = mem;
	out->len = b.len;
	return MF_OK;
}

/*
 * *(";" attribute "=" value); the cursor is at ";" or the end.
 */
static void
parse_params(struct cp *cp)
{
	mf__lex *lx = &cp->lx;

	while (lx->p < lx->end && !bad(cp) && !cp->stop) {
		mf_param pm;
		struct ent e;
		mf_str name;
		const char *at, *vat;
		size_t baselen;

		if (*lx->p != ';' && !param_follows(cp)) {
			skip_to_semi(cp);
			continue;
		}
		if (*lx->p == ';') {
			lx->p++;
		} else {
			/* Parameters separated by white space alone. */
			mf__lex_cfws(lx);
			cdef(cp, NULL, MF_D_PARAM_NO_SEMICOLON, lx->p);
		}
		mf__lex_cfws(lx);
		sync_lex(cp, NULL);
		if (lx->p >= lx->end)
			break; /* "text/plain;" */
		memset(&pm, 0, sizeof(pm));
		at = lx->p;
		pm.offset = (size_t)mf__lex_off(lx, at);
		if (!mf__lex_token(lx, &name)) {
			/* ";;", "; =x", "; (c) /" */
			cdef(cp, NULL, MF_D_PARAM_SYNTAX, at);
			skip_to_semi(cp);
			continue;
		}
		mf__lex_cfws(lx);
		if (!mf__lex_eat(lx, '=')) {
			/* "; charset", "; name foo" */
			cdef(cp, NULL, MF_D_PARAM_SYNTAX, lx->p);
			skip_to_semi(cp);
			sync_lex(cp, NULL);
			continue;
		}
		mf__lex_cfws(lx);
		vat = lx->p;
		if (vat < lx->end && *vat == '"') {
			mf__lex_qstring(lx, &pm.raw);
			sync_lex(cp, &pm);
			if (unquote_value(cp, pm.raw, &pm.value) < 0)
				return;
			mf__lex_cfws(lx);
			if (lx->p < lx->end && *lx->p != ';' &&
			    !param_follows(cp)) {
				cdef(cp, &pm, MF_D_PARAM_SYNTAX, lx->p);
				skip_to_semi(cp);
			}
		} else {
			mf_str t = {vat, 0};

			mf__lex_token(lx, &t);
			mf__lex_cfws(lx);
			if (lx->p < lx->end && *lx->p != ';' && t.len > 0 &&
			    param_follows(cp)) {
				/* The next parameter, without ";". */
			} else if (lx->p < lx->end && *lx->p != ';') {
				/*
				 * Unquoted spaces or tspecials: the value
				 * runs to the ";" as mail readers take it.
				 */
				const char *ve;

				cdef(cp, &pm, MF_D_PARAM_SYNTAX, vat + t.len);
				skip_to_semi(cp);
				ve = lx->p;
				while (ve > vat &&
				       (ve[-1] == ' ' || ve[-1] == '\t' ||
					ve[-1] == '\r' || ve[-1] == '\n'))
					ve--;
				t.len = (size_t)(ve - vat);
			} else if (t.len == 0) {
				cdef(cp, &pm, MF_D_PARAM_SYNTAX, vat); /* "a=" */
			}
			pm.raw = t;
			pm.value = t;
		}
		sync_lex(cp, &pm);
		if (bad(cp))
			return;
		memset(&e, 0, sizeof(e));
		if (mf__rfc2231_name(name.ptr, name.len, &baselen,
				     &e.seg.section, &e.seg.flags) &&
		    e.seg.flags != 0) {
			/* RFC 2231: "name*", "name*0", "name*1*", ... */
			e.is_seg = true;
			e.seg.val = pm.raw.ptr;
			e.seg.len = pm.raw.len;
			e.seg.off = (size_t)mf__lex_off(lx, pm.raw.ptr);
			name.len = baselen;
		}
		if (lower(cp, name, &pm.name, at) < 0)
			return;
		if (!e.is_seg && find(cp, pm.name) != NULL) {
			cdef(cp, NULL, MF_D_PARAM_DUPLICATE, at);
			continue;
		}
		if (cp->n >= cp->max_params) {
			if (mf__defect(cp->o, &cp->defects, MF_D_FIELD_LIMIT,
				       pm.offset) < 0)
				fail(cp, MF_E_LIMIT, at, "too many parameters");
			cp->stop = true;
			return;
		}
		e.pm = pm;
		if (add(cp, &e) < 0)
			return;
		cp->nseg += e.is_seg;
		if (!e.is_seg && cp->tn != NULL)
			index_name(cp, cp->n - 1);
	}
	sync_lex(cp, NULL);
}

/*
 * Joins value segments (RFC 2231 3, 4 via mf__rfc2231_join, which sorts
 * them, decodes and converts to UTF-8, reporting its own defects) into
 * pm's value, charset and language, in the arena.
 */
static int
join(struct cp *cp, struct mf__r2231_seg *segs, size_t n, unsigned flags,
     mf_param *pm)
{
	uint64_t d = 0;
	mf_buf tmp;
	mf_error e;
	int rc;

	mf__buf_init(&tmp, &cp->ar->a);
	rc = mf__rfc2231_join(&tmp, segs, n, flags, cp->o, &pm->charset,
			      &pm->lang, &d, &e);
	pm->defects |= d;
	cp->defects |= d;
	if (rc == MF_OK && tmp.len > 0) {
		char *v = mf__arena_dup(cp->ar, tmp.data, tmp.len);

		if (v == NULL)
			rc = MF_E_NOMEM;
		pm->value.ptr = v;
		pm->value.len = tmp.len;
	} else if (rc == MF_OK) {
		pm->value.ptr = "";
		pm->value.len = 0;
	}
	mf__buf_fini(&tmp);
	if (rc == MF_E_NOMEM)
		fail_off(cp, rc, pm->offset, NULL);
	else if (rc < 0)
		fail_off(cp, rc, e.offset, e.reason);
	return rc;
}

/*
 * An ordinary value, already unquoted: RFC 2047 words decoded when ew
 * (name, filename; mf_ew_decode also reads other 8-bit text as
 * windows-1252 and NUL as U+FFFD), else 8-bit text that is not UTF-8
 * read as windows-1252 (RFC 7103 7.6). Defects at the value's offset.
 */
static int
decode_plain(struct cp *cp, mf_param *pm, bool ew)
{
	const char *at = pm->raw.ptr;
	uint64_t d = 0;
	mf_opts o2;
	mf_buf tmp;
	size_t bad;
	int rc, k;

	memset(&o2, 0, sizeof(o2));
	if (cp->o != NULL)
		o2 = *cp->o;
	o2.on_defect = NULL; /* reported below, at the value's offset */
	o2.flags = 0; /* lenient; other layers' flags do not apply */
	mf__buf_init(&tmp, &cp->ar->a);
	if (ew) {
		rc = mf_ew_decode(&tmp, pm->value.ptr, pm->value.len, &o2, &d,
				  NULL);
		for (k = 0; pm->raw.len > 0 && pm->raw.ptr[0] == '"' &&
			    (size_t)k + 1 < pm->value.len;
		     k++) {
			if (pm->value.ptr[k] == '=' && pm->value.ptr[k + 1] == '?') {
				d |= MF_DEFECT_BIT(MF_D_EW_IN_QUOTES);
				break;
			}
		}
	} else {
		rc = mf__cs_guess(&tmp, pm->value.ptr, pm->value.len, &bad);
		if (bad != MF__CS_NOBAD)
			d |= MF_DEFECT_BIT(MF_D_8BIT_HEADER);
	}
	if (rc == MF_OK) {
		char *v = mf__arena_dup(cp->ar, tmp.len ? tmp.data : "",
					tmp.len);

		if (v == NULL)
			rc = MF_E_NOMEM;
		pm->value.ptr = v;
		pm->value.len = tmp.len;
	}
	mf__buf_fini(&tmp);
	if (rc < 0) {
		fail(cp, rc, at, NULL);
		return rc;
	}
	for (k = 0; k < 64; k++) {
		if (d & MF_DEFECT_BIT(k))
			cdef(cp, pm, k, at);
	}
	return cp->rc;
}

static bool
is_name(mf_str n)
{
	return (n.len == 4 && memcmp(n.ptr, "name", 4) == 0) ||
	       (n.len == 8 && memcmp(n.ptr, "filename", 8) == 0);
}

/* Decodes an ordinary value when it needs it (decode_plain). */
static int
plain_value(struct cp *cp, mf_param *pm)
{
	if (is_name(pm->name) &&
	    (memchr(pm->value.ptr, '?', pm->value.len) != NULL ||
	     memchr(pm->value.ptr, '\0', pm->value.len) != NULL ||
	     !mf__utf8_valid(pm->value.ptr, pm->value.len)))
		return decode_plain(cp, pm, true);
	if (!mf__utf8_valid(pm->value.ptr, pm->value.len))
		return decode_plain(cp, pm, false);
	return MF_OK;
}

/* Order of the parameters by name, ordinary before segments, then as
 * written. */
static int
ent_cmp(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a;
	const struct ent *y = *(const struct ent *const *)b;
	size_t n = x->pm.name.len < y->pm.name.len ? x->pm.name.len
						   : y->pm.name.len;
	int c = memcmp(x->pm.name.ptr, y->pm.name.ptr, n);

	if (c != 0)
		return c;
	if (x->pm.name.len != y->pm.name.len)
		return x->pm.name.len < y->pm.name.len ? -1 : 1;
	if (x->is_seg != y->is_seg)
		return x->is_seg ? 1 : -1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx ? 1 : 0);
}

/*
 * Resolves what was written into the final parameters, in the order of
 * first appearance, in the arena:
 *  - The segments of one name are joined. When both "name*" and
 *    "name*0..." forms are given, the numbered ones are used and the
 *    others are MF_D_PARAM_DUPLICATE.
 *  - An RFC 2231 value wins over an ordinary parameter of the same name
 *    (Outlook sends filename="x" with filename*=...: the extended one
 *    carries the charset); the other is MF_D_PARAM_DUPLICATE.
 *  - Ordinary values that are not UTF-8 are read as windows-1252, and
 *    those of "name" and "filename" have their RFC 2047 encoded words
 *    decoded, as Outlook writes them (mf__rfc2231_join's rules).
 */
static int
finish_params(struct cp *cp, mf_params *out)
{
	struct ent **order = NULL;
	struct mf__r2231_seg *segs = NULL;
	bool *emit = NULL;
	size_t i, k, n = cp->n, cnt = 0;

	out->v = NULL;
	out->n = 0;
	if (n == 0)
		return MF_OK;
	if (cp->nseg == 0) {
		/* The common case: ordinary parameters only, no sorting. */
		out->v = mf__arena_alloc(cp->ar, n * sizeof(mf_param));
		if (out->v == NULL) {
			fail(cp, MF_E_NOMEM, cp->lx.p, NULL);
			return MF_E_NOMEM;
		}
		for (i = 0; i < n; i++) {
			if (plain_value(cp, &cp->v[i].pm) < 0)
				return cp->rc;
			out->v[i] = cp->v[i].pm;
		}
		out->n = n;
		return MF_OK;
	}
	order = mf__arena_alloc(cp->ar, n * sizeof(*order));
	segs = mf__arena_alloc(cp->ar, n * sizeof(*segs));
	emit = mf__arena_calloc(cp->ar, n, sizeof(*emit));
	out->v = mf__arena_alloc(cp->ar, n * sizeof(mf_param));
	if (order == NULL || segs == NULL || emit == NULL || out->v == NULL) {
		fail(cp, MF_E_NOMEM, cp->lx.p, NULL);
		return MF_E_NOMEM;
	}
	for (i = 0; i < n; i++)
		order[i] = &cp->v[i];
	qsort(order, n, sizeof(*order), ent_cmp);
	for (i = 0; i < n; i = k) {
		struct ent *ord = NULL, *first;
		size_t ns = 0, s0 = i;
		bool numbered = false;

		for (k = i; k < n && order[k]->pm.name.len ==
					 order[i]->pm.name.len &&
			    memcmp(order[k]->pm.name.ptr, order[i]->pm.name.ptr,
				   order[i]->pm.name.len) == 0;
		     k++) {
			if (!order[k]->is_seg)
				ord = order[k];
			else if (order[k]->seg.flags & MF__R2231_NUM)
				numbered = true;
		}
		if (ord != NULL)
			s0++; /* segments follow the ordinary one */
		if (s0 == k) {
			/* Ordinary only. */
			emit[ord->idx] = true;
			if (plain_value(cp, &ord->pm) < 0)
				return cp->rc;
			continue;
		}
		/* RFC 2231 segments; the first written gives raw/offset. */
		first = order[s0];
		for (; s0 < k; s0++) {
			struct ent *e = order[s0];

			if (numbered && !(e->seg.flags & MF__R2231_NUM)) {
				cdef(cp, &e->pm, MF_D_PARAM_DUPLICATE, e->pm.raw.ptr);
				continue;
			}
			if (e->idx < first->idx)
				first = e;
			segs[ns++] = e->seg;
		}
		if (ord != NULL) {
			/* The ordinary value loses; its place is kept. */
			struct ent *late = ord->idx > first->idx ? ord : first;

			cdef(cp, &first->pm, MF_D_PARAM_DUPLICATE, late->pm.raw.ptr);
			if (ord->idx < first->idx) {
				ord->pm.raw = first->pm.raw;
				ord->pm.offset = first->pm.offset;
				ord->pm.defects |= first->pm.defects;
				first = ord;
			}
		}
		emit[first->idx] = true;
		if (bad(cp) || join(cp, segs, ns, 0, &first->pm) < 0)
			return cp->rc;
	}
	for (i = 0; i < n; i++) {
		if (emit[i])
			out->v[cnt++] = cp->v[i].pm;
	}
	out->n = cnt;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Entry points                                                            */
/* ---------------------------------------------------------------------- */

/*
 * Content-Type (sub != NULL) or Content-Disposition (sub == NULL): the
 * type, subtype and parameters into the caller's storage (zeroed by the
 * caller; zeroed again on error), the defects into *defects either way.
 */
static int
parse_field(mf__arena *ar, const char *p, size_t n, const mf_opts *o,
	    uint64_t off0, mf_str *type, mf_str *sub, mf_params *params,
	    uint64_t *defects, mf_error *err)
{
	struct cp cp;

	if (p == NULL)
		p = "";
	cp_init(&cp, ar, p, n, o, off0);
	parse_type(&cp, type, sub);
	sync_lex(&cp, NULL);
	if (!bad(&cp))
		parse_params(&cp);
	if (!bad(&cp))
		finish_params(&cp, params);
	*defects = cp.defects;
	if (cp.rc < 0) {
		memset(type, 0, sizeof(*type));
		if (sub != NULL)
			memset(sub, 0, sizeof(*sub));
		memset(params, 0, sizeof(*params));
		return mf__err(err, cp.rc, cp.err_off, cp.reason);
	}
	return MF_OK;
}

int
mf__ctype_parse(mf__arena *ar, const char *p, size_t n, const mf_opts *o,
		uint64_t off0, mf_ctype *out, mf_error *err)
{
	memset(out, 0, sizeof(*out));
	return parse_field(ar, p, n, o, off0, &out->type, &out->subtype,
			   &out->params, &out->defects, err);
}

int
mf__disp_parse(mf__arena *ar, const char *p, size_t n, const mf_opts *o,
	       uint64_t off0, mf_disp *out, mf_error *err)
{
	memset(out, 0, sizeof(*out));
	return parse_field(ar, p, n, o, off0, &out->type, NULL, &out->params,
			   &out->defects, err);
}

/*
 * The public objects: an mf_ctype (disp false) or mf_disp allocated at the
 * start of its own arena, which holds everything it points to and which
 * it keeps in ar_ (the object's free drops the arena, object included).
 */
static int
obj_parse(const char *p, size_t n, const mf_opts *o, bool disp, void **out,
	  mf_error *err)
{
	mf__arena ar;
	void *obj;
	int rc;

	if (out == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	*out = NULL;
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	mf__arena_init(&ar, o != NULL ? &o->alloc : NULL);
	obj = mf__arena_alloc(&ar, disp ? sizeof(mf_disp) : sizeof(mf_ctype));
	if (obj == NULL) {
		mf__arena_free(&ar);
		return mf__err(err, MF_E_NOMEM, 0, NULL);
	}
	rc = disp ? mf__disp_parse(&ar, p, n, o, 0, obj, err)
		  : mf__ctype_parse(&ar, p, n, o, 0, obj, err);
	if (rc < 0) {
		mf__arena_free(&ar);
		return rc;
	}
	if (disp)
		((mf_disp *)obj)->ar_ = ar;
	else
		((mf_ctype *)obj)->ar_ = ar;
	*out = obj;
	return MF_OK;
}

/* Frees an object that lives in its own arena ar (a copy of its ar_). */
static void
obj_free(mf__arena ar)
{
	mf__arena_free(&ar);
}

static const mf_str empty = {"", 0};

int
mf_ctype_parse(const char *p, size_t n, const mf_opts *o, mf_ctype **out,
	       mf_error *err)
{
	void *obj = NULL;
	int rc = obj_parse(p, n, o, false, out != NULL ? &obj : NULL, err);

	if (out != NULL)
		*out = obj;
	return rc;
}

mf_str
mf_ctype_type(const mf_ctype *ct)
{
	return ct != NULL && ct->type.len > 0 ? ct->type : empty;
}

mf_str
mf_ctype_subtype(const mf_ctype *ct)
{
	return ct != NULL && ct->subtype.len > 0 ? ct->subtype : empty;
}

const mf_params *
mf_ctype_params(const mf_ctype *ct)
{
	return ct != NULL ? &ct->params : NULL;
}

uint64_t
mf_ctype_defects(const mf_ctype *ct)
{
	return ct != NULL ? ct->defects : 0;
}

void
mf_ctype_free(mf_ctype *ct)
{
	if (ct != NULL)
		obj_free(ct->ar_);
}

int
mf_disp_parse(const char *p, size_t n, const mf_opts *o, mf_disp **out,
	      mf_error *err)
{
	void *obj = NULL;
	int rc = obj_parse(p, n, o, true, out != NULL ? &obj : NULL, err);

	if (out != NULL)
		*out = obj;
	return rc;
}

mf_str
mf_disp_type(const mf_disp *d)
{
	return d != NULL && d->type.len > 0 ? d->type : empty;
}

const mf_params *
mf_disp_params(const mf_disp *d)
{
	return d != NULL ? &d->params : NULL;
}

uint64_t
mf_disp_defects(const mf_disp *d)
{
	return d != NULL ? d->defects : 0;
}

void
mf_disp_free(mf_disp *d)
{
	if (d != NULL)
		obj_free(d->ar_);
}

size_t
mf_params_count(const mf_params *ps)
{
	return ps != NULL ? ps->n : 0;
}

const mf_param *
mf_params_at(const mf_params *ps, size_t i)
{
	if (ps == NULL || i >= ps->n)
		return NULL;
	return &ps->v[i];
}

const mf_param *
mf_params_get(const mf_params *ps, const char *name, size_t n)
{
	size_t i;

	if (ps == NULL || (name == NULL && n != 0))
		return NULL;
	for (i = 0; i < ps->n; i++) {
		if (mf__ieq(ps->v[i].name.ptr, ps->v[i].name.len, name, n))
			return &ps->v[i];
	}
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Content-Transfer-Encoding                                               */
/* ---------------------------------------------------------------------- */

/*
 * mechanism := "7bit" / "8bit" / "binary" / "quoted-printable" / "base64"
 * / ietf-token / x-token (RFC 2045 6.1), case-insensitive. Spellings seen
 * in real mail are compared with separators (space, "-", "_") removed:
 * "7-bit", "8bits", "quoted printable", "Base 64", and the uuencode names
 * ("x-uuencode" is the usual one; "uuencode", "x-uue", "uue").
 */
static const struct {
	const char *squeezed; /* lower case, no separators */
	const char *standard; /* the exact standard spelling, or NULL */
	int cte;
} ctes[] = {
    {"7bit", "7bit", MF_CTE_7BIT},
    {"8bit", "8bit", MF_CTE_8BIT},
    {"binary", "binary", MF_CTE_BINARY},
    {"quotedprintable", "quoted-printable", MF_CTE_QP},
    {"base64", "base64", MF_CTE_BASE64},
    {"xuuencode", "x-uuencode", MF_CTE_UUENCODE},
    {"7bits", NULL, MF_CTE_7BIT},
    {"8bits", NULL, MF_CTE_8BIT},
    {"uuencode", NULL, MF_CTE_UUENCODE},
    {"xuue", NULL, MF_CTE_UUENCODE},
    {"uue", NULL, MF_CTE_UUENCODE},
};

int
mf_cte_parse(const char *p, size_t n, int *cte, uint64_t *defects)
{
	char sq[24];
	size_t k = 0, i;
	mf__lex lx;
	const char *s, *e;
	bool suffix = false;
	uint64_t d = 0;

	if (cte == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	mf__lex_init(&lx, p, n, NULL, 0);
	mf__lex_cfws(&lx);
	s = lx.p;
	/* The value up to ";" or a comment, trailing white space dropped. */
	while (lx.p < lx.end && *lx.p != ';' && *lx.p != '(')
		lx.p++;
	e = lx.p;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	if (lx.p < lx.end && *lx.p == ';')
		suffix = true; /* "quoted-printable;" */
	else if (lx.p < lx.end) {
		mf__lex_cfws(&lx);
		if (lx.p < lx.end)
			suffix = true;
	}
	for (i = 0; s + i < e; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '\r' ||
		    c == '\n')
			continue;
		if (k + 1 >= sizeof(sq)) {
			k = sizeof(sq); /* too long for any known name */
			break;
		}
		sq[k++] = (char)mf__lower(c);
	}
	*cte = MF_CTE_UNKNOWN;
	if (s == e && !suffix) {
		*cte = MF_CTE_7BIT; /* empty: the default (RFC 2045 6.1) */
		d |= MF_DEFECT_BIT(MF_D_CTE_NONSTANDARD);
	} else {
		for (i = 0; k < sizeof(sq) && i < sizeof(ctes) / sizeof(ctes[0]);
		     i++) {
			if (strlen(ctes[i].squeezed) == k &&
			    memcmp(ctes[i].squeezed, sq, k) == 0) {
				*cte = ctes[i].cte;
				if (suffix || ctes[i].standard == NULL ||
				    !mf__ieq(s, (size_t)(e - s),
					     ctes[i].standard,
					     strlen(ctes[i].standard)))
					d |= MF_DEFECT_BIT(MF_D_CTE_NONSTANDARD);
				break;
			}
		}
		if (*cte == MF_CTE_UNKNOWN)
			d |= MF_DEFECT_BIT(MF_D_UNKNOWN_CTE);
	}
	if (defects != NULL)
		*defects |= d;
	return MF_OK;
}

const char *
mf_cte_name(int cte)
{
	switch ((enum mf_cte)cte) {
	case MF_CTE_7BIT:
		return "7bit";
	case MF_CTE_8BIT:
		return "8bit";
	case MF_CTE_BINARY:
		return "binary";
	case MF_CTE_QP:
		return "quoted-printable";
	case MF_CTE_BASE64:
		return "base64";
	case MF_CTE_UUENCODE:
		return "x-uuencode";
	case MF_CTE_UNKNOWN:
		break;
	}
	return "";
}
