/* SPDX-License-Identifier: MIT */
/*
 * rfc2231.c - RFC 2231 parameter values: decoding an extended value
 * (charset'language'%XX...), joining continuations (name*0, name*1*, ...)
 * for the header layer, and encoding long or non-ASCII values.
 *
 *   extended-initial-value := [charset] "'" [language] "'"
 *                             extended-other-values
 *   extended-other-values  := *(ext-octet / attribute-char)
 *   ext-octet              := "%" 2(DIGIT / "A" / "B" / "C" / "D" / "E" / "F")
 *                                                        (RFC 2231 7)
 *
 * The policy for ambiguous and duplicate input is in rfc2231.h; in short:
 * lenient by default, every anomaly recorded at its offset, strict mode
 * turning the first into an error. Lower-case hex is accepted.
 */
#include <stdlib.h>

#include "charset.h"
#include "lex.h"
#include "rfc2231.h"

struct ctx {
	mf_buf *out;
	const mf_opts *o;
	uint64_t *defects;
	mf_error *err;
};

static int
defect(struct ctx *c, int code, size_t off)
{
	return mf__defect_err(c->o, c->defects, code, off, c->err);
}

/*
 * Percent-decodes out[from..) in place. base is the input offset of the
 * region's first byte when exact, else the offset to report at.
 */
static int
pct_decode(struct ctx *c, size_t from, size_t base, bool exact)
{
	char *p = c->out->data + from;
	size_t n = c->out->len - from, i, o = 0;
	int rc;

	for (i = 0; i < n; i++) {
		int hi = -1, lo = -1;

		if (p[i] != '%') {
			p[o++] = p[i];
			continue;
		}
		if (i + 2 < n) {
			hi = mf__hexval((unsigned char)p[i + 1]);
			lo = mf__hexval((unsigned char)p[i + 2]);
		}
		if (hi < 0 || lo < 0) {
			rc = defect(c, MF_D_PARAM_SYNTAX, exact ? base + i : base);
			if (rc < 0)
				return rc;
			p[o++] = '%';
			continue;
		}
		p[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	mf__buf_cut(c->out, from + o);
	return MF_OK;
}

/*
 * Converts out[from..) from charset cs (NULL: none given) to UTF-8 and
 * replaces NULs; defects at off.
 */
static int
finish(struct ctx *c, size_t from, const mf__cs *cs, size_t off)
{
	size_t bad;
	bool unknown, nul;
	int rc = mf__cs_convert_tail(c->out, from, cs, c->o, &bad, &unknown);

	if (rc < 0)
		return mf__err(c->err, rc, off, NULL);
	if (unknown) {
		rc = defect(c, MF_D_EW_CHARSET, off);
		if (rc < 0)
			return rc;
	}
	if (bad != MF__CS_NOBAD) {
		rc = defect(c, cs == NULL ? MF_D_8BIT_HEADER
					  : MF_D_CHARSET_INVALID,
			    off);
		if (rc < 0)
			return rc;
	}
	rc = mf__utf8_fix_nul(c->out, from, &nul);
	if (rc < 0)
		return mf__err(c->err, rc, off, NULL);
	return nul ? defect(c, MF_D_NUL, off) : MF_OK;
}

/*
 * Splits "charset'lang'rest" at in[0..n). Returns the offset of rest, or
 * n + 1 when the two quotes are not there.
 */
static size_t
split_prefix(const char *in, size_t n, mf_str *cs, mf_str *lang)
{
	const char *q1 = memchr(in, '\'', n), *q2;

	if (q1 == NULL)
		return n + 1;
	q2 = memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - in));
	if (q2 == NULL)
		return n + 1;
	cs->ptr = in;
	cs->len = (size_t)(q1 - in);
	lang->ptr = q1 + 1;
	lang->len = (size_t)(q2 - q1 - 1);
	return (size_t)(q2 + 1 - in);
}

/* Resolves the charset view; NULL when it is empty. */
static const mf__cs *
resolve(mf__cs *res, const mf_str *cs)
{
	if (cs->len == 0)
		return NULL;
	mf__cs_resolve(res, cs->ptr, cs->len);
	return res;
}

int
mf_rfc2231_decode(mf_buf *out, const char *in, size_t n, unsigned flags,
		  const mf_opts *o, mf_str *charset, mf_str *lang,
		  uint64_t *defects, mf_error *err)
{
	struct ctx c;
	mf_str cs = {NULL, 0}, lg = {NULL, 0};
	mf__cs res;
	const mf__cs *csp = NULL;
	size_t start, body = 0;
	int rc;

	if (out == NULL || (in == NULL && n != 0) ||
	    (flags & ~MF_RFC2231_CONT) != 0)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (in == NULL)
		in = ""; /* n is 0: no NULL arithmetic */
	c.out = out;
	c.o = o;
	c.defects = defects;
	c.err = err;
	start = out->len;
	if (flags & MF_RFC2231_CONT) {
		/* A continuation: the charset comes from the caller. */
		if (charset != NULL && charset->ptr != NULL)
			cs = *charset;
	} else {
		body = split_prefix(in, n, &cs, &lg);
		if (body > n) {
			rc = defect(&c, MF_D_PARAM_SYNTAX, 0);
			if (rc < 0)
				return rc;
			body = 0;
			cs.ptr = lg.ptr = in;
			cs.len = lg.len = 0;
		}
		if (charset != NULL)
			*charset = cs;
		if (lang != NULL)
			*lang = lg;
	}
	csp = resolve(&res, &cs);
	rc = mf__buf_put(out, in + body, n - body);
	if (rc < 0) {
		mf__buf_cut(out, start);
		return mf__err(err, rc, 0, NULL);
	}
	rc = pct_decode(&c, start, body, true);
	if (rc == MF_OK)
		rc = finish(&c, start, csp, 0);
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Continuations                                                           */
/* ---------------------------------------------------------------------- */

bool
mf__rfc2231_name(const char *p, size_t n, size_t *baselen, uint32_t *section,
		 unsigned *flags)
{
	const char *star = memchr(p, '*', n);
	size_t i;
	uint32_t s = 0;

	*baselen = n;
	*section = 0;
	*flags = 0;
	if (star == NULL)
		return true;
	*baselen = (size_t)(star - p);
	if (*baselen == 0)
		return false;
	i = *baselen + 1;
	if (i == n) {
		*flags = MF__R2231_EXT; /* name* */
		return true;
	}
	if (p[i] < '0' || p[i] > '9' || (p[i] == '0' && i + 1 < n &&
					 p[i + 1] >= '0' && p[i + 1] <= '9'))
		return false; /* not a number, or a leading zero */
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		s = s * 10 + (uint32_t)(p[i] - '0');
		if (s > MF__R2231_MAX_SECTION)
			return false;
		i++;
	}
	*section = s;
	*flags = MF__R2231_NUM;
	if (i == n)
		return true;
	if (p[i] == '*' && i + 1 == n) {
		*flags |= MF__R2231_EXT;
		return true;
	}
	return false;
}

static int
seg_cmp(const void *a, const void *b)
{
	const struct mf__r2231_seg *x = a, *y = b;

	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return 0;
}

static int
off_cmp(const void *a, const void *b)
{
	const struct mf__r2231_seg *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static bool
quoted(const struct mf__r2231_seg *s)
{
	return s->len > 0 && s->val[0] == '"';
}

/* Appends a segment's bytes: unquoted, percent-decoded if extended. */
static int
put_seg(struct ctx *c, const struct mf__r2231_seg *s, size_t skip)
{
	size_t from = c->out->len;
	int rc;

	if (quoted(s)) {
		rc = mf__unquote(c->out, s->val, s->len);
		if (rc < 0)
			return mf__err(c->err, rc, s->off, NULL);
		if (!(s->flags & MF__R2231_EXT))
			return MF_OK;
		/* Extended values are tokens; MUAs unquote them anyway. */
		rc = defect(c, MF_D_PARAM_SYNTAX, s->off);
		if (rc < 0)
			return rc;
		if (skip > 0) {
			size_t len = c->out->len - from;
			if (skip > len)
				skip = len;
			memmove(c->out->data + from, c->out->data + from + skip,
				len - skip);
			mf__buf_cut(c->out, from + len - skip);
		}
		return pct_decode(c, from, s->off, false);
	}
	rc = mf__buf_put(c->out, s->val + skip, s->len - skip);
	if (rc < 0)
		return mf__err(c->err, rc, s->off, NULL);
	if (!(s->flags & MF__R2231_EXT))
		return MF_OK;
	return pct_decode(c, from, s->off + skip, true);
}

/* Decodes RFC 2047 words in out[from..) (a plain, maybe quoted, value). */
static int
decode_ew(struct ctx *c, size_t from, bool was_quoted, size_t off)
{
	mf_buf *out = c->out;
	size_t len = out->len - from, i;
	char *tmp;
	uint64_t ignored = 0;
	bool changed;
	mf_opts lo;
	int rc;

	for (i = 0; i + 1 < len; i++)
		if (out->data[from + i] == '=' && out->data[from + i + 1] == '?')
			break;
	if (i + 1 >= len)
		return MF_OK;
	tmp = mf__alloc(&out->a, len);
	if (tmp == NULL)
		return mf__err(c->err, MF_E_NOMEM, off, NULL);
	memcpy(tmp, out->data + from, len);
	mf__buf_cut(out, from);
	/* Leniencies inside the value are not the parameter's defects;
	 * the caller's charset hook and limits still apply. */
	memset(&lo, 0, sizeof(lo));
	if (c->o != NULL) {
		lo = *c->o;
		lo.flags = 0; /* lenient */
		lo.on_defect = NULL;
	}
	rc = mf_ew_decode(out, tmp, len, &lo, &ignored, NULL);
	changed = rc == MF_OK &&
		  (out->len - from != len || memcmp(out->data + from, tmp, len));
	mf__release(&out->a, tmp);
	if (rc < 0)
		return mf__err(c->err, rc, off, NULL);
	if (changed && was_quoted)
		return defect(c, MF_D_EW_IN_QUOTES, off);
	return MF_OK;
}

int
mf__rfc2231_join(mf_buf *out, struct mf__r2231_seg *segs, size_t nsegs,
		 unsigned flags, const mf_opts *o, mf_str *charset,
		 mf_str *lang, uint64_t *defects, mf_error *err)
{
	struct ctx c;
	mf_limits lim;
	mf_str cs = {NULL, 0}, lg = {NULL, 0};
	mf__cs res;
	const mf__cs *csp = NULL;
	size_t start, i, used = 0, skip = 0;
	bool any_ext = false, any_quoted = false;
	uint32_t expect = 0, prev = 0;
	int rc = MF_OK;

	if (charset != NULL)
		*charset = cs;
	if (lang != NULL)
		*lang = lg;
	if (out == NULL || (segs == NULL && nsegs != 0))
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	c.out = out;
	c.o = o;
	c.defects = defects;
	c.err = err;
	start = out->len;
	mf__limits(o, &lim);
	if (nsegs > lim.max_params) {
		/* Only the first max_params, in header order. */
		qsort(segs, nsegs, sizeof(*segs), off_cmp);
		rc = defect(&c, MF_D_FIELD_LIMIT, segs[lim.max_params].off);
		if (rc < 0)
			return rc;
		nsegs = lim.max_params;
	}
	if (nsegs > 1)
		qsort(segs, nsegs, sizeof(*segs), seg_cmp);
	for (i = 0; i < nsegs; i++) {
		const struct mf__r2231_seg *s = &segs[i];

		if (used > 0 && s->section == prev) {
			rc = defect(&c, MF_D_PARAM_DUPLICATE, s->off);
			if (rc < 0)
				break;
			continue;
		}
		if (s->section != expect) {
			rc = defect(&c, MF_D_PARAM_SYNTAX, s->off);
			if (rc < 0)
				break;
		}
		skip = 0;
		if (used == 0 && (s->flags & MF__R2231_EXT)) {
			/* The first segment names the charset. */
			const char *v = s->val;
			size_t vl = s->len, body;

			if (quoted(s) && vl >= 2) {
				v++;
				vl -= 2;
			}
			body = split_prefix(v, vl, &cs, &lg);
			if (body > vl) {
				rc = defect(&c, MF_D_PARAM_SYNTAX, s->off);
				if (rc < 0)
					break;
				cs.ptr = lg.ptr = NULL;
				cs.len = lg.len = 0;
			} else {
				skip = body;
				csp = resolve(&res, &cs);
			}
		}
		any_ext |= (s->flags & MF__R2231_EXT) != 0;
		any_quoted |= quoted(s);
		/* For a quoted first segment the prefix is counted inside
		 * the quotes; put_seg skips it after unquoting. */
		rc = put_seg(&c, s, skip);
		if (rc < 0)
			break;
		prev = s->section;
		expect = s->section + 1;
		used++;
	}
	if (rc == MF_OK)
		rc = finish(&c, start, any_ext ? csp : NULL,
			    nsegs > 0 ? segs[0].off : 0);
	if (rc == MF_OK && !any_ext && (flags & MF__R2231_EW))
		rc = decode_ew(&c, start, any_quoted,
			       nsegs > 0 ? segs[0].off : 0);
	if (rc < 0) {
		mf__buf_cut(out, start);
		return rc;
	}
	if (charset != NULL)
		*charset = cs;
	if (lang != NULL)
		*lang = lg;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Encoding                                                                */
/* ---------------------------------------------------------------------- */

/* RFC 2231 7: attribute-char. */
static bool
attr_char(unsigned char c)
{
	return mf__is(c, MF__C_TOKEN) && c != '*' && c != '\'' && c != '%';
}

struct penc {
	mf_buf *out;
	const char *name;
	size_t namelen;
	size_t col, width;
	const char *nl;
	size_t nllen;
};

static int
pput(struct penc *e, const void *p, size_t n)
{
	e->col += n;
	return mf__buf_put(e->out, p, n);
}

/* Writes "name*K" + ("*" if ext) + "=", after "; " + fold unless first. */
static int
seg_head(struct penc *e, size_t k, bool ext, bool single)
{
	char num[24];
	int rc = MF_OK;

	if (k > 0) {
		rc = mf__buf_put(e->out, ";", 1);
		if (rc == MF_OK)
			rc = mf__buf_put(e->out, e->nl, e->nllen);
		e->col = 0;
		if (rc == MF_OK)
			rc = pput(e, " ", 1);
	}
	if (rc == MF_OK)
		rc = pput(e, e->name, e->namelen);
	if (rc == MF_OK && !single) {
		size_t d = sizeof(num);

		do {
			num[--d] = (char)('0' + k % 10);
			k /= 10;
		} while (k > 0);
		num[--d] = '*';
		rc = pput(e, num + d, sizeof(num) - d);
	}
	if (rc == MF_OK && ext)
		rc = pput(e, "*", 1);
	if (rc == MF_OK)
		rc = pput(e, "=", 1);
	return rc;
}

static size_t
digits(size_t k)
{
	size_t d = 1;

	while (k >= 10) {
		k /= 10;
		d++;
	}
	return d;
}

/* Room on the current line for a segment's text, given its head. */
static size_t
room(const struct penc *e, size_t k, size_t head)
{
	size_t used = (k > 0 ? 1 : e->col) + head + 1; /* + ";" */

	if (e->width == 0)
		return SIZE_MAX;
	return e->width > used ? e->width - used : 0;
}

static bool
is_token(const unsigned char *v, size_t n)
{
	size_t k;

	if (n == 0)
		return false;
	for (k = 0; k < n; k++)
		if (!mf__is(v[k], MF__C_TOKEN))
			return false;
	return true;
}

static size_t
q_cost(unsigned char c)
{
	return (c == '"' || c == '\\') ? 2 : 1;
}

/* v[0..n) as the inside of a quoted string (RFC 5322 3.2.4). */
static int
put_quoted(struct penc *e, const unsigned char *v, size_t n)
{
	size_t k;
	int rc = pput(e, "\"", 1);

	for (k = 0; k < n && rc == MF_OK; k++) {
		if (q_cost(v[k]) == 2)
			rc = pput(e, "\\", 1);
		if (rc == MF_OK)
			rc = pput(e, v + k, 1);
	}
	return rc < 0 ? rc : pput(e, "\"", 1);
}

/* ASCII value: name=token, name="quoted", or quoted continuations. */
static int
enc_plain(struct penc *e, const unsigned char *v, size_t n)
{
	size_t k, cost = 2, seg = 0, i = 0;
	int rc;

	for (k = 0; k < n; k++)
		cost += q_cost(v[k]);
	if (is_token(v, n) &&
	    (e->width == 0 || e->col + e->namelen + 1 + n <= e->width)) {
		rc = seg_head(e, 0, false, true);
		return rc < 0 ? rc : pput(e, v, n);
	}
	if (n == 0 || e->width == 0 ||
	    e->col + e->namelen + 1 + cost <= e->width) {
		rc = seg_head(e, 0, false, true);
		return rc < 0 ? rc : put_quoted(e, v, n);
	}
	/* RFC 2231 3: name*0="..."; name*1="..." */
	while (i < n) {
		size_t head = e->namelen + 2 + digits(seg) + 2;
		size_t avail = room(e, seg, head), used = 0, j = i;

		for (k = i; k < n; k++)
			used += q_cost(v[k]);
		if (used <= avail + 1) {
			j = n; /* the rest fits: no ";" after the last */
		} else {
			used = 0;
			while (j < n) {
				if (used + q_cost(v[j]) > avail && j > i)
					break;
				used += q_cost(v[j]);
				j++;
			}
		}
		rc = seg_head(e, seg, false, false);
		if (rc == MF_OK)
			rc = put_quoted(e, v + i, j - i);
		if (rc < 0)
			return rc;
		i = j;
		seg++;
	}
	return MF_OK;
}

/* Percent-encoded bytes b[0..n) (RFC 2231 7: ext-octet). */
static int
put_pct(struct penc *e, const unsigned char *b, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k;
	int rc = MF_OK;

	for (k = 0; k < n && rc == MF_OK; k++) {
		if (attr_char(b[k])) {
			rc = pput(e, b + k, 1);
		} else {
			char t[3] = {'%', hex[b[k] >> 4], hex[b[k] & 15]};
			rc = pput(e, t, 3);
		}
	}
	return rc;
}

static size_t
pct_cost(const unsigned char *b, size_t n)
{
	size_t k, c = 0;

	for (k = 0; k < n; k++)
		c += attr_char(b[k]) ? 1 : 3;
	return c;
}

/*
 * Non-ASCII value, converted to charset cs: name*=cs''... on one line, or
 * name*0*=cs''...; name*1*=... with each segment holding whole
 * characters (bnd[] are the character boundaries in b).
 */
static int
enc_ext(struct penc *e, const char *cs, const unsigned char *b,
	const size_t *bnd, size_t nch)
{
	size_t cslen = strlen(cs), total = pct_cost(b, bnd[nch]);
	size_t seg = 0, ci = 0;
	int rc;

	if (e->width == 0 ||
	    e->col + e->namelen + 2 + cslen + 2 + total <= e->width) {
		rc = seg_head(e, 0, true, true);
		if (rc == MF_OK)
			rc = pput(e, cs, cslen);
		if (rc == MF_OK)
			rc = pput(e, "''", 2);
		return rc < 0 ? rc : put_pct(e, b, bnd[nch]);
	}
	while (ci < nch) {
		size_t head = e->namelen + 3 + digits(seg) + 1 +
			      (seg == 0 ? cslen + 2 : 0);
		size_t avail = room(e, seg, head), used = 0, j = ci;

		if (pct_cost(b + bnd[ci], bnd[nch] - bnd[ci]) <= avail + 1) {
			j = nch; /* the rest fits: no ";" after the last */
		} else {
			while (j < nch) {
				size_t c = pct_cost(b + bnd[j],
						    bnd[j + 1] - bnd[j]);

				if (used + c > avail && j > ci)
					break;
				used += c;
				j++;
			}
		}
		rc = seg_head(e, seg, true, false);
		if (rc == MF_OK && seg == 0) {
			rc = pput(e, cs, cslen);
			if (rc == MF_OK)
				rc = pput(e, "''", 2);
		}
		if (rc == MF_OK)
			rc = put_pct(e, b + bnd[ci], bnd[j] - bnd[ci]);
		if (rc < 0)
			return rc;
		ci = j;
		seg++;
	}
	return MF_OK;
}

int
mf_rfc2231_encode(mf_buf *out, const char *name, size_t namelen,
		  const char *value, size_t n, const char *charset,
		  unsigned flags, size_t col, size_t width)
{
	const unsigned char *v = (const unsigned char *)value;
	struct penc e;
	mf__cs cs, utf8;
	const char *csname;
	mf_buf conv, fixed;
	size_t start, k, nch = 0, *bnd = NULL, bad;
	bool ext = false;
	int rc;

	if (out == NULL || name == NULL || namelen == 0 ||
	    (value == NULL && n != 0) || (flags & ~MF_LF) != 0)
		return MF_E_INVAL;
	if (value == NULL)
		value = ""; /* n is 0: no NULL arithmetic */
	v = (const unsigned char *)value;
	for (k = 0; k < namelen; k++)
		if (!attr_char((unsigned char)name[k]))
			return MF_E_INVAL;
	mf__cs_resolve(&utf8, "utf-8", 5);
	mf__cs_resolve(&cs, charset != NULL ? charset : "utf-8",
		       charset != NULL ? strlen(charset) : 5);
	if (cs.id == MF__CS_NONE)
		return MF_E_CHARSET;
	e.out = out;
	e.name = name;
	e.namelen = namelen;
	e.col = col;
	e.width = width;
	e.nl = (flags & MF_LF) ? "\n" : "\r\n";
	e.nllen = (flags & MF_LF) ? 1 : 2;
	start = out->len;
	mf__buf_init(&conv, &out->a);
	mf__buf_init(&fixed, &out->a);
	if (!mf__utf8_valid(value, n)) {
		/* Invalid UTF-8 is encoded as U+FFFD. */
		rc = mf__cs_decode(&fixed, &utf8, value, n, NULL, &bad);
		if (rc < 0)
			goto done;
		v = (const unsigned char *)fixed.data;
		n = fixed.len;
	}
	for (k = 0; k < n; k++)
		if (v[k] >= 0x80 || v[k] < 0x20 || v[k] == 0x7F)
			ext = true;
	if (!ext) {
		rc = enc_plain(&e, v, n);
		goto done;
	}
	/* Character boundaries in the converted bytes. */
	for (k = 0; k < n; k += mf__utf8_seq(v + k, n - k))
		nch++;
	bnd = mf__alloc(&out->a, (nch + 1) * sizeof(*bnd));
	rc = MF_E_NOMEM;
	if (bnd == NULL)
		goto done;
	/* UTF-16/32 are not ASCII-compatible: use UTF-8 for those. */
	if (cs.id >= MF__CS_UTF16 && cs.id <= MF__CS_UTF32BE)
		cs = utf8;
	csname = mf__cs_mime(&cs);
	if (csname == NULL)
		csname = cs.label;
	rc = MF_OK;
	nch = 0;
	bnd[0] = 0;
	for (k = 0; k < n && rc == MF_OK;) {
		size_t l = mf__utf8_seq(v + k, n - k);

		if (cs.id == MF__CS_UTF8) {
			rc = mf__buf_put(&conv, v + k, l);
		} else {
			rc = mf__cs_encode(&conv, &cs, (const char *)v + k, l,
					   &bad);
			if (rc == MF_OK && bad != MF__CS_NOBAD) {
				/* Not representable: the value in UTF-8. */
				cs = utf8;
				csname = "utf-8";
				mf_buf_clear(&conv);
				nch = 0;
				k = 0;
				continue;
			}
		}
		bnd[++nch] = conv.len;
		k += l;
	}
	if (rc == MF_OK)
		rc = enc_ext(&e, csname, (const unsigned char *)conv.data, bnd,
			     nch);
done:
	mf__release(&out->a, bnd);
	mf__buf_fini(&conv);
	mf__buf_fini(&fixed);
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}
