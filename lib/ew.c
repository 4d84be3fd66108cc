/* SPDX-License-Identifier: MIT */
/*
 * ew.c - RFC 2047 encoded words: decoding unstructured header text to
 * UTF-8 (RFC 2047 6, with the RFC 2231 5 language suffix) and encoding
 * UTF-8 text as a header value (RFC 2047 2, 4, 5).
 *
 *   encoded-word = "=?" charset ["*" language] "?" encoding "?"
 *                  encoded-text "?="                     (RFC 2047 2)
 *
 * Decoding policy (what MUAs accept; each leniency is recorded):
 *  - Line folds (CRLF or LF followed by SP/HTAB) are removed (RFC 5322
 *    2.2.3); other CR and LF bytes are kept.
 *  - Whitespace between two adjacent encoded words is dropped (RFC 2047
 *    6.2), even across a fold. The decoded bytes of adjacent words in the
 *    same charset are joined before conversion, so that a multi-byte
 *    character split across words survives.
 *  - Encoded words that touch other text ("R=?...?=fisklag", "?==?"),
 *    that contain spaces or "?" in their text, or that are longer than 75
 *    characters are decoded (Python's email, Thunderbird and GMime do) and
 *    set MF_D_EW_LENIENT. The text ends at the first "?=".
 *  - A malformed word ("=?cs?" with a bad encoding, no "?=" on the line) is
 *    left as is (MF_D_EW_MALFORMED). "=?" not followed by a charset and
 *    "?" is plain text, not a defect.
 *  - Q: "_" is SP, "=XX" a byte in either case of hex; an "=" without two
 *    hex digits stays literal (MF_D_QP_INVALID). B: base64, lenient (junk
 *    and missing or bad padding skipped and recorded, MF_D_B64_JUNK).
 *  - Unknown charsets: the decoded bytes are passed through as UTF-8 when
 *    valid, else read as windows-1252 (RFC 7103 7.6), with MF_D_EW_CHARSET.
 *  - Text outside encoded words with bytes >= 0x80 is kept when it is
 *    UTF-8 (RFC 6532) and else read as windows-1252 (MF_D_8BIT_HEADER).
 *  - A NUL byte, literal or decoded, becomes U+FFFD (MF_D_NUL): header
 *    text is used as C strings, and a NUL can hide the rest of a name.
 *  - After o->limits.max_encoded_words words the rest is left literal
 *    (MF_D_FIELD_LIMIT).
 *
 * Encoding: words (runs between SP/HTAB) that need it - non-ASCII, CTLs,
 * or an "=?" that a decoder would take for an encoded word - become
 * encoded words; adjacent ones share encoded words, with the spaces
 * between them encoded. Each encoded word is at most 75 characters and
 * holds whole characters; Q or B is chosen per run by length unless
 * forced; lines are folded before whitespace so that they stay within the
 * width where the text allows.
 */
#include "charset.h"
#include "codec.h"

/* ---------------------------------------------------------------------- */
/* Decoding                                                                */
/* ---------------------------------------------------------------------- */

#define NPOS ((size_t)-1)

struct dec {
	mf_buf *out;
	const char *in;
	size_t n;
	const mf_opts *o;
	uint64_t *defects;
	mf_error *err;
	/* the pending group of adjacent words in one charset */
	bool grp;
	size_t grp_out; /* where its raw bytes start in out */
	size_t grp_off; /* input offset of its first word */
	mf__cs grp_cs;
	/* the charset of the last word, by its label */
	const char *lab;
	size_t lablen;
	mf__cs lab_cs;
	mf__ewscan sc; /* where encoded words end */
};

struct word {
	size_t start, end; /* [start, end) in the input */
	const char *cs;    /* charset, without the *language suffix */
	size_t cslen;
	char enc;          /* 'B' or 'Q' */
	size_t text;       /* offset of the encoded text */
	size_t tlen;
};

static int
defect(struct dec *d, int code, size_t off)
{
	return mf__defect_err(d->o, d->defects, code, off, d->err);
}

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
mf__ewscan_init(mf__ewscan *sc, const char *in, size_t n)
{
	sc->in = in;
	sc->n = n;
	sc->qe_from = sc->nl_from = 0;
	sc->qe = sc->nl = NPOS;
}

/* First "?=" at or after from, or n. Amortised: searches move forward. */
static size_t
find_qe(mf__ewscan *d, size_t from)
{
	const char *s = d->in;
	size_t k = from, found = d->n;

	if (d->qe != NPOS && from >= d->qe_from && from <= d->qe)
		return d->qe;
	while (k + 1 < d->n) {
		const char *q = memchr(s + k, '?', d->n - 1 - k);

		if (q == NULL)
			break;
		k = (size_t)(q - s);
		if (s[k + 1] == '=') {
			found = k;
			break;
		}
		k++;
	}
	d->qe_from = from;
	d->qe = found;
	return found;
}

/* First CR or LF at or after from, or n (amortised like find_qe). */
static size_t
find_nl(mf__ewscan *d, size_t from)
{
	size_t k;

	const char *cr, *lf;

	if (d->nl != NPOS && from >= d->nl_from && from <= d->nl)
		return d->nl;
	k = d->n;
	if (from < d->n) {
		cr = memchr(d->in + from, '\r', d->n - from);
		lf = memchr(d->in + from, '\n',
			    (size_t)((cr != NULL ? cr : d->in + d->n) -
				     (d->in + from)));
		if (lf != NULL)
			k = (size_t)(lf - d->in);
		else if (cr != NULL)
			k = (size_t)(cr - d->in);
	}
	d->nl_from = from;
	d->nl = k;
	return k;
}

/*
 * Whether any of the 8 bytes in v equals c (c broadcast in cc), or, with
 * high, is >= 0x80 (Hacker's Delight zero-byte test, exact form).
 */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

MF__INLINE uint64_t
zero_bytes(uint64_t v)
{
	return ~(((v & ~HIGHS) + ~HIGHS) | v | ~HIGHS);
}

/*
 * Length of the prefix of p[0..n) free of the bytes a, b, c and, with
 * high, of bytes >= 0x80 (8 bytes at a time).
 */
static size_t
span_not(const unsigned char *p, size_t n, unsigned char a, unsigned char b,
	 unsigned char c, bool high)
{
	uint64_t ma = ONES * a, mb = ONES * b, mc = ONES * c;
	uint64_t mh = high ? HIGHS : 0;
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if ((zero_bytes(v ^ ma) | zero_bytes(v ^ mb) |
		     zero_bytes(v ^ mc) | (v & mh)) != 0)
			break;
		i += 8;
	}
	while (i < n && p[i] != a && p[i] != b && p[i] != c &&
	       !(high && p[i] >= 0x80))
		i++;
	return i;
}

/* Bytes allowed in a charset label inside an encoded word: printable
 * ASCII but "?" (2 for "*", which starts the RFC 2231 language). */
#define CSC(c) ((c) > 32 && (c) < 127 && (c) != '?' ? ((c) == '*' ? 2 : 1) : 0)
#define C4(b) CSC(b), CSC((b) + 1), CSC((b) + 2), CSC((b) + 3)
#define C16(b) C4(b), C4((b) + 4), C4((b) + 8), C4((b) + 12)
#define C64(b) C16(b), C16((b) + 16), C16((b) + 32), C16((b) + 48)
static const unsigned char cs_char[256] = {C64(0), C64(64)};
#undef CSC
#undef C4
#undef C16
#undef C64

/*
 * Parses an encoded word at p (in[p] == '=', in[p + 1] == '?'). Returns 1
 * and fills w, 0 when this is no encoded word at all, -1 when it starts
 * like one ("=?charset?") but is malformed.
 */
static int
parse_word(mf__ewscan *d, size_t p, struct word *w)
{
	const unsigned char *s = (const unsigned char *)d->in;
	size_t i = p + 2, cs0 = p + 2, e, star = 0;
	size_t lim = d->n - cs0 > 76 ? cs0 + 76 : d->n;
	unsigned cc;

	while (i < lim && (cc = cs_char[s[i]]) != 0) {
		/* RFC 2231 5: charset "*" language; the language is unused. */
		if (cc == 2 && star == 0)
			star = i;
		i++;
	}
	if (i >= d->n || s[i] != '?' || i == cs0 || i - cs0 > 75)
		return 0;
	w->cs = d->in + cs0;
	w->cslen = (star ? star : i) - cs0;
	if (w->cslen == 0)
		return -1;
	if (i + 2 >= d->n || d->in[i + 2] != '?')
		return -1;
	switch (d->in[i + 1]) {
	case 'B':
	case 'b':
		w->enc = 'B';
		break;
	case 'Q':
	case 'q':
		w->enc = 'Q';
		break;
	default:
		return -1;
	}
	w->text = i + 3;
	e = find_qe(d, w->text);
	if (e >= d->n || find_nl(d, w->text) < e)
		return -1;
	w->tlen = e - w->text;
	w->start = p;
	w->end = e + 2;
	return 1;
}

size_t
mf__ew_at(mf__ewscan *sc, size_t p)
{
	struct word w;

	if (p + 1 >= sc->n || sc->in[p] != '=' || sc->in[p + 1] != '?' ||
	    parse_word(sc, p, &w) != 1)
		return 0;
	return w.end - p;
}

/* Replaces NUL bytes in out[from..) by U+FFFD (MF_D_NUL at off). */
static int
fix_nul(struct dec *d, size_t from, size_t off)
{
	bool found;
	int rc = mf__utf8_fix_nul(d->out, from, &found);

	if (rc < 0)
		return mf__err(d->err, rc, off, NULL);
	return found ? defect(d, MF_D_NUL, off) : MF_OK;
}

/*
 * Converts out[from..) in place from charset c to UTF-8. Defects are
 * reported at input offset off (bad_defect for invalid bytes), a NUL at
 * nul_off.
 */
static int
convert_tail(struct dec *d, size_t from, const mf__cs *c, size_t off,
	     size_t nul_off, int bad_defect)
{
	size_t bad;
	bool unknown;
	int rc = mf__cs_convert_tail(d->out, from, c, d->o, &bad, &unknown);

	if (rc < 0)
		return mf__err(d->err, rc, off, NULL);
	if (unknown) {
		rc = defect(d, MF_D_EW_CHARSET, off);
		if (rc < 0)
			return rc;
	}
	if (bad != MF__CS_NOBAD) {
		rc = defect(d, bad_defect, off);
		if (rc < 0)
			return rc;
	}
	return fix_nul(d, from, nul_off);
}

static int
flush(struct dec *d)
{
	if (!d->grp)
		return MF_OK;
	d->grp = false;
	return convert_tail(d, d->grp_out, &d->grp_cs, d->grp_off, d->grp_off,
			    MF_D_CHARSET_INVALID);
}

/*
 * Literal text in[a..b): folds removed, 8-bit text kept when UTF-8 and
 * else read as windows-1252, NUL replaced.
 */
static int
emit_lit(struct dec *d, size_t a, size_t b)
{
	const unsigned char *s = (const unsigned char *)d->in;
	mf_buf *out = d->out;
	size_t from = out->len, k = a, run = a, nul = NPOS;
	bool high = false;
	int rc;

	/* The common case: nothing to unfold, convert or replace. */
	k = a + span_not(s + a, b - a, '\r', '\n', '\0', true);
	if (k == b) {
		rc = mf__buf_put(out, s + a, b - a);
		return rc < 0 ? mf__err(d->err, rc, a, NULL) : MF_OK;
	}
	for (; k < b; k++) {
		unsigned char c = s[k];
		size_t skip = 0;

		if (c >= 0x80) {
			high = true;
		} else if (c == '\0') {
			if (nul == NPOS)
				nul = k;
		} else if (c == '\r' && k + 2 < b && s[k + 1] == '\n' &&
			   (s[k + 2] == ' ' || s[k + 2] == '\t')) {
			skip = 2;
		} else if (c == '\n' && k + 1 < b &&
			   (s[k + 1] == ' ' || s[k + 1] == '\t')) {
			skip = 1;
		}
		if (skip) {
			rc = mf__buf_put(out, s + run, k - run);
			if (rc < 0)
				return mf__err(d->err, rc, k, NULL);
			k += skip - 1;
			run = k + 1;
		}
	}
	rc = mf__buf_put(out, s + run, b - run);
	if (rc < 0)
		return mf__err(d->err, rc, b, NULL);
	if (high) {
		/* The first byte that is not UTF-8, in the input. */
		for (k = a; k < b;) {
			size_t l = mf__utf8_seq(s + k, b - k);

			if (l == 0)
				break;
			k += l;
		}
		if (k < b) /* no charset: windows-1252 (RFC 7103 7.6) */
			return convert_tail(d, from, NULL, k,
					    nul != NPOS ? nul : a,
					    MF_D_8BIT_HEADER);
	}
	if (nul != NPOS)
		return fix_nul(d, from, nul);
	return MF_OK;
}

/* RFC 2047 4.2: "_" is SP, "=XX" one byte; appends the bytes to out. */
static int
q_decode(struct dec *d, const struct word *w)
{
	const unsigned char *t = (const unsigned char *)d->in + w->text;
	mf_buf *out = d->out;
	size_t k, len = w->tlen;
	bool lenient = false;
	char *o;
	int rc = mf__buf_grow(out, len);

	if (rc < 0)
		return mf__err(d->err, rc, w->start, NULL);
	o = out->data + out->len;
	for (k = 0; k < len; k++) {
		unsigned char c = t[k];
		int hi, lo;

		if (c == '_') {
			*o++ = ' ';
			continue;
		}
		if (c != '=') {
			if (MF__UNLIKELY(c == ' ' || c == '\t' || c == '?') &&
			    !lenient) {
				/* RFC 2047 2: no spaces or "?" in the text */
				lenient = true;
				out->len = (size_t)(o - out->data);
				if (w->end - w->start <= 75) {
					rc = defect(d, MF_D_EW_LENIENT,
						    w->text + k);
					if (rc < 0)
						return rc;
				}
			}
			*o++ = (char)c;
			continue;
		}
		hi = lo = -1;
		if (k + 2 < len) {
			hi = mf__hexval(t[k + 1]);
			lo = mf__hexval(t[k + 2]);
		}
		if (hi < 0 || lo < 0) {
			out->len = (size_t)(o - out->data);
			rc = defect(d, MF_D_QP_INVALID, w->text + k);
			if (rc < 0)
				return rc;
			*o++ = '=';
			continue;
		}
		*o++ = (char)(hi << 4 | lo);
		k += 2;
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	return MF_OK;
}

/*
 * RFC 2047 4.1: B is base64 (RFC 2045 6.8), decoded leniently by the base64
 * module: whitespace skipped; junk, missing or bad padding skipped and
 * recorded (MF_D_B64_JUNK).
 */
static int
b_decode(struct dec *d, const struct word *w)
{
	const char *t = d->in + w->text;
	mf_buf *out = d->out;
	size_t outlen = 0;
	uint64_t def = 0;
	int rc = mf__buf_grow(out, mf_b64_decoded_len(w->tlen));

	if (rc < 0)
		return mf__err(d->err, rc, w->start, NULL);
	rc = mf_b64_decode(out->data + out->len, out->cap - out->len - 1, t,
			   w->tlen, 0, &outlen, &def, NULL);
	if (rc < 0)
		return mf__err(d->err, rc, w->start, NULL);
	out->len += outlen;
	out->data[out->len] = '\0';
	if (def != 0)
		return defect(d, MF_D_B64_JUNK, w->text);
	return MF_OK;
}

static bool
same_cs(const mf__cs *a, const mf__cs *b)
{
	if (a->id == MF__CS_NONE || a->id != b->id)
		return false;
	return a->id != MF__CS_EXT || strcmp(a->label, b->label) == 0;
}

/*
 * Words in utf-16 or utf-32 may each start with a byte order mark; in a
 * group joined for conversion only the first one is one.
 */
static void
drop_bom(mf_buf *out, size_t at, int id)
{
	const unsigned char *p = (const unsigned char *)out->data + at;
	size_t n = out->len - at, k = 0;

	if (id == MF__CS_UTF16 && n >= 2 &&
	    ((p[0] == 0xFE && p[1] == 0xFF) || (p[0] == 0xFF && p[1] == 0xFE)))
		k = 2;
	else if (id == MF__CS_UTF32 && n >= 4 &&
		 ((p[0] == 0 && p[1] == 0 && p[2] == 0xFE && p[3] == 0xFF) ||
		  (p[0] == 0xFF && p[1] == 0xFE && p[2] == 0 && p[3] == 0)))
		k = 4;
	if (k == 0)
		return;
	memmove(out->data + at, out->data + at + k, n - k);
	mf__buf_cut(out, out->len - k);
}

/* Decodes one well-formed word into the pending group. */
static int
word_decode(struct dec *d, const struct word *w)
{
	size_t k, wstart;
	int rc;

	if (d->lab == NULL || d->lablen != w->cslen ||
	    (memcmp(d->lab, w->cs, w->cslen) != 0 &&
	     !mf__ieq(d->lab, d->lablen, w->cs, w->cslen))) {
		mf__cs_resolve(&d->lab_cs, w->cs, w->cslen);
		d->lab = w->cs;
		d->lablen = w->cslen;
	}
	if (d->grp && !same_cs(&d->grp_cs, &d->lab_cs)) {
		rc = flush(d);
		if (rc < 0)
			return rc;
	}
	if (!d->grp) {
		d->grp = true;
		d->grp_out = d->out->len;
		d->grp_off = w->start;
		d->grp_cs = d->lab_cs;
	}
	/* Leniencies inside the word (RFC 2047 2, 6.3). */
	if (w->end - w->start > 75) {
		rc = defect(d, MF_D_EW_LENIENT, w->start);
		if (rc < 0)
			return rc;
	} else if (w->enc == 'B') { /* Q text is checked as it is decoded */
		k = span_not((const unsigned char *)d->in + w->text, w->tlen,
			     ' ', '\t', '?', false);
		if (k < w->tlen) {
			rc = defect(d, MF_D_EW_LENIENT, w->text + k);
			if (rc < 0)
				return rc;
		}
	}
	wstart = d->out->len;
	rc = w->enc == 'Q' ? q_decode(d, w) : b_decode(d, w);
	if (rc == MF_OK && wstart > d->grp_out)
		drop_bom(d->out, wstart, d->grp_cs.id);
	return rc;
}

/* Finds "=?" at or after i, or NPOS. */
static size_t
find_start(const char *s, size_t n, size_t i)
{
	while (i + 1 < n) {
		const char *q = memchr(s + i, '=', n - 1 - i);

		if (q == NULL)
			return NPOS;
		i = (size_t)(q - s);
		if (s[i + 1] == '?')
			return i;
		i++;
	}
	return NPOS;
}

static int
decode(struct dec *d)
{
	const char *s = d->in;
	size_t i = 0, lit = 0, count = 0, max = 0;
	bool prev_ew = false;
	int rc;

	for (;;) {
		size_t p = find_start(s, d->n, i), k;
		struct word w;
		bool ws_only = true;
		int r;

		if (p == NPOS)
			break;
		r = parse_word(&d->sc, p, &w);
		if (r <= 0) {
			if (r < 0) {
				rc = defect(d, MF_D_EW_MALFORMED, p);
				if (rc < 0)
					return rc;
			}
			i = p + 1;
			continue;
		}
		/*
		 * The limit is resolved when a caller set one, else only at
		 * the 32nd word (the default, 256, is larger; test_limit
		 * checks it): most fields have a few words.
		 */
		if (max == 0 && (count >= 32 ||
				 (d->o != NULL &&
				  d->o->limits.max_encoded_words != 0))) {
			mf_limits lim;

			mf__limits(d->o, &lim);
			max = lim.max_encoded_words;
		}
		if (max != 0 && count == max) {
			rc = defect(d, MF_D_FIELD_LIMIT, p);
			if (rc < 0)
				return rc;
			break;
		}
		for (k = lit; k < p && ws_only; k++)
			ws_only = is_ws((unsigned char)s[k]);
		if (prev_ew && ws_only) {
			/* RFC 2047 6.2: whitespace between words is dropped. */
			if (p == lit) {
				rc = defect(d, MF_D_EW_LENIENT, p);
				if (rc < 0)
					return rc;
			}
		} else {
			rc = flush(d);
			if (rc < 0)
				return rc;
			if (prev_ew && !is_ws((unsigned char)s[lit])) {
				rc = defect(d, MF_D_EW_LENIENT, lit);
				if (rc < 0)
					return rc;
			}
			rc = emit_lit(d, lit, p);
			if (rc < 0)
				return rc;
			if (p > lit && !is_ws((unsigned char)s[p - 1])) {
				rc = defect(d, MF_D_EW_LENIENT, p);
				if (rc < 0)
					return rc;
			}
		}
		rc = word_decode(d, &w);
		if (rc < 0)
			return rc;
		count++;
		prev_ew = true;
		i = lit = w.end;
	}
	rc = flush(d);
	if (rc < 0)
		return rc;
	if (prev_ew && lit < d->n && !is_ws((unsigned char)s[lit])) {
		rc = defect(d, MF_D_EW_LENIENT, lit);
		if (rc < 0)
			return rc;
	}
	return emit_lit(d, lit, d->n);
}

int
mf_ew_decode(mf_buf *out, const char *in, size_t n, const mf_opts *o,
	     uint64_t *defects, mf_error *err)
{
	struct dec d;
	size_t start;
	int rc;

	if (out == NULL || (in == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT | MF_SAFE_TEXT, err) < 0)
		return MF_E_INVAL;
	if (in == NULL)
		in = ""; /* n is 0: no NULL arithmetic */
	start = out->len;
	/* The charset structs are set before use; the rest starts zero. */
	d.grp = false;
	d.grp_out = d.grp_off = 0;
	d.lab = NULL;
	d.lablen = 0;
	d.out = out;
	d.in = in;
	d.n = n;
	d.o = o;
	d.defects = defects;
	d.err = err;
	mf__ewscan_init(&d.sc, in, n);
	rc = decode(&d);
	if (rc == MF_OK && o != NULL && (o->flags & MF_SAFE_TEXT))
		rc = mf__safe_text(out, start);
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Encoding                                                                */
/* ---------------------------------------------------------------------- */

#define EW_MAX 75        /* RFC 2047 2: longest encoded word */
#define EW_MAX_CSLEN 40  /* longest charset name we write */

struct enc {
	mf_buf *out;
	unsigned flags;
	size_t col, width;
	bool line_has;  /* a word is on the current line */
	const char *nl; /* line end for folds */
	size_t nllen;
	mf__cs cs;      /* the requested charset */
	mf__cs utf8;
	const char *csname; /* its name as written in the words */
	size_t csnamelen;
};

/* RFC 2047 4.2 (3) and, in a phrase, 5 (3): bytes Q may leave as is. */
static bool
q_plain(unsigned char c, bool phrase)
{
	if (phrase)
		return mf__is(c, MF__C_ALPHA | MF__C_DIGIT) || c == '!' ||
		       c == '*' || c == '+' || c == '-' || c == '/';
	return c > ' ' && c < 127 && c != '=' && c != '?' && c != '_';
}

static size_t
q_cost(unsigned char c, bool phrase)
{
	return (c == ' ' || q_plain(c, phrase)) ? 1 : 3;
}

static size_t
b_cost(size_t bytes)
{
	return (bytes + 2) / 3 * 4;
}

static int
put(struct enc *e, const void *p, size_t n)
{
	int rc = mf__buf_put(e->out, p, n);

	e->col += n;
	return rc;
}

static int
fold(struct enc *e)
{
	e->col = 0;
	e->line_has = false;
	return mf__buf_put(e->out, e->nl, e->nllen);
}

/* Writes one encoded word of bytes b[0..n) in charset name cs. */
static int
put_word(struct enc *e, const char *cs, size_t cslen, char enc,
	 const unsigned char *b, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	bool phrase = (e->flags & MF_EW_PHRASE) != 0;
	char w[EW_MAX * 3 + 64], *o = w;
	size_t k;

	*o++ = '=';
	*o++ = '?';
	memcpy(o, cs, cslen);
	o += cslen;
	*o++ = '?';
	*o++ = enc;
	*o++ = '?';
	if (enc == 'Q') {
		for (k = 0; k < n; k++) {
			if (b[k] == ' ') {
				*o++ = '_';
			} else if (q_plain(b[k], phrase)) {
				*o++ = (char)b[k];
			} else {
				*o++ = '=';
				*o++ = hex[b[k] >> 4];
				*o++ = hex[b[k] & 15];
			}
		}
	} else {
		size_t bl = 0;
		int rc = mf_b64_encode(o, sizeof(w) - (size_t)(o - w) - 2, b, n,
				       0, 0, &bl);

		if (rc < 0)
			return rc;
		o += bl;
	}
	*o++ = '?';
	*o++ = '=';
	e->line_has = true;
	return put(e, w, (size_t)(o - w));
}

/* Cost of b[0..n) as encoded text. */
static size_t
text_cost(char enc, const unsigned char *b, size_t n, bool phrase)
{
	size_t k, c = 0;

	if (enc == 'B')
		return b_cost(n);
	for (k = 0; k < n; k++)
		c += q_cost(b[k], phrase);
	return c;
}

/*
 * Starts the next encoded word: writes the separator, folding before it
 * when the word would not fit, and returns the text budget. need is the
 * cost of the smallest possible text (one character), rest the cost of
 * all the text left: when the rest fits on a fresh line but not on this
 * one, the fold comes first rather than splitting a short word.
 */
static int
begin_word(struct enc *e, const char *sep, size_t seplen, size_t overhead,
	   size_t need, size_t rest, size_t *budget)
{
	size_t room = EW_MAX, fresh;
	int rc;

	if (e->width != 0) {
		room = e->width > e->col + seplen ? e->width - e->col - seplen
						   : 0;
		fresh = e->width > seplen ? e->width - seplen : 0;
		if (fresh > EW_MAX)
			fresh = EW_MAX;
		if (e->line_has && seplen > 0 &&
		    (room < overhead + need ||
		     (room < overhead + rest && fresh >= overhead + rest))) {
			rc = fold(e);
			if (rc < 0)
				return rc;
			room = fresh;
		}
		if (room > EW_MAX)
			room = EW_MAX;
		if (room < overhead + need)
			room = EW_MAX; /* cannot fit: overlong line */
	}
	*budget = room - overhead;
	return put(e, sep, seplen);
}

/* The end of the longest prefix of r[k..len) that fits budget in enc
 * (at least one character). */
static size_t
fill(const unsigned char *r, size_t k, size_t len, char enc, size_t budget,
     bool phrase)
{
	size_t j = k, cost = 0;

	while (j < len) {
		size_t cl = mf__utf8_seq(r + j, len - j), c2;

		if (enc == 'Q')
			c2 = cost + text_cost('Q', r + j, cl, phrase);
		else
			c2 = b_cost(j + cl - k);
		if (c2 > budget && j > k)
			break;
		cost = c2;
		j += cl;
	}
	return j;
}

/*
 * A run of UTF-8 text (valid) encoded as UTF-8 words, split at character
 * boundaries. A B word that another word of the run follows holds a
 * multiple of 3 bytes, so that it has no "=" padding: GMime 3 joins the
 * base64 text of adjacent B words of one charset before decoding, and
 * padding inside the joined text ends it ("=?utf-8?B?0J/RgA==?=
 * =?utf-8?B?0LjQstC10YI=?=" read "Пр"). Such a boundary is found within
 * a few characters; where the word has none (4- and 2-byte characters
 * alternating), that word is written in Q, which GMime decodes on its own.
 * With MF_EW_B (B forced) the padding is kept. end: the run's last word
 * may have padding (nothing encoded follows the run).
 */
static int
run_utf8(struct enc *e, const unsigned char *r, size_t len, char enc,
	 const char *sep, size_t seplen, bool end)
{
	bool phrase = (e->flags & MF_EW_PHRASE) != 0;
	size_t overhead = 7 + 5, k = 0;
	int rc;

	while (k < len) {
		size_t j, budget, m, t;
		size_t first = mf__utf8_seq(r + k, len - k);
		size_t need = text_cost(enc, r + k, first, phrase);
		bool whole = !(e->flags & MF_EW_B) && enc == 'B';
		char we = enc;

		if (whole) {
			/* The smallest word without padding: B up to the
			 * first boundary at a multiple of 3, or the first
			 * character in Q (always found below). */
			for (t = k + first; t < len && (t - k) % 3 != 0;)
				t += mf__utf8_seq(r + t, len - t);
			need = text_cost('Q', r + k, first, phrase);
			if ((t < len || end || (t - k) % 3 == 0) &&
			    b_cost(t - k) < need)
				need = b_cost(t - k);
		}
		rc = begin_word(e, sep, seplen, overhead, need,
				text_cost(enc, r + k, len - k, phrase),
				&budget);
		if (rc < 0)
			return rc;
		j = fill(r, k, len, enc, budget, phrase);
		if (whole && (j < len || !end) && (j - k) % 3 != 0) {
			/* The last boundary before j at a multiple of 3. */
			for (m = 0, t = k; t < j;) {
				if (t > k && (t - k) % 3 == 0)
					m = t;
				t += mf__utf8_seq(r + t, len - t);
			}
			if (m != 0) {
				j = m;
			} else {
				we = 'Q';
				j = fill(r, k, len, 'Q', budget, phrase);
			}
		}
		rc = put_word(e, "utf-8", 5, we, r + k, j - k);
		if (rc < 0)
			return rc;
		k = j;
		sep = " ";
		seplen = 1;
	}
	return MF_OK;
}

/*
 * A run in another charset: the largest prefix of whole characters whose
 * conversion fits is found by binary search over the character count.
 */
static int
run_conv(struct enc *e, const unsigned char *r, size_t len, char enc,
	 const char *sep, size_t seplen)
{
	bool phrase = (e->flags & MF_EW_PHRASE) != 0;
	size_t overhead = 7 + e->csnamelen, nch = 0, k, ci = 0, bad;
	size_t *offs;
	char we;
	mf_buf conv;
	int rc = MF_OK;

	for (k = 0; k < len; k += mf__utf8_seq(r + k, len - k))
		nch++;
	offs = mf__alloc(&e->out->a, (nch + 1) * sizeof(*offs));
	if (offs == NULL)
		return MF_E_NOMEM;
	nch = 0;
	for (k = 0; k < len; k += mf__utf8_seq(r + k, len - k))
		offs[nch++] = k;
	offs[nch] = len;
	mf__buf_init(&conv, &e->out->a);
	while (ci < nch && rc == MF_OK) {
		size_t lo = 1, hi = nch - ci, budget, need;

		mf_buf_clear(&conv);
		rc = mf__cs_encode(&conv, &e->cs, (const char *)r + offs[ci],
				   offs[ci + 1] - offs[ci], &bad);
		if (rc < 0)
			break;
		need = text_cost(enc, (unsigned char *)conv.data, conv.len,
				 phrase);
		mf_buf_clear(&conv);
		rc = mf__cs_encode(&conv, &e->cs, (const char *)r + offs[ci],
				   len - offs[ci], &bad);
		if (rc < 0)
			break;
		rc = begin_word(e, sep, seplen, overhead, need,
				text_cost(enc, (unsigned char *)conv.data,
					  conv.len, phrase),
				&budget);
		if (rc < 0)
			break;
		if (hi > budget)
			hi = budget;
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;

			mf_buf_clear(&conv);
			rc = mf__cs_encode(&conv, &e->cs,
					   (const char *)r + offs[ci],
					   offs[ci + mid] - offs[ci], &bad);
			if (rc < 0)
				break;
			if (text_cost(enc, (unsigned char *)conv.data,
				      conv.len, phrase) <= budget)
				lo = mid;
			else
				hi = mid - 1;
		}
		if (rc < 0)
			break;
		mf_buf_clear(&conv);
		rc = mf__cs_encode(&conv, &e->cs, (const char *)r + offs[ci],
				   offs[ci + lo] - offs[ci], &bad);
		if (rc < 0)
			break;
		we = enc;
		if (enc == 'B' && !(e->flags & MF_EW_B) && ci + lo < nch &&
		    conv.len % 3 != 0) {
			/* No padding before another word (see run_utf8):
			 * fewer characters, else this word in Q. */
			size_t m = lo;

			while (rc == MF_OK && m > 1 && conv.len % 3 != 0) {
				m--;
				mf_buf_clear(&conv);
				rc = mf__cs_encode(&conv, &e->cs,
						   (const char *)r + offs[ci],
						   offs[ci + m] - offs[ci],
						   &bad);
			}
			while (rc == MF_OK && conv.len % 3 != 0) {
				const unsigned char *cb =
				    (const unsigned char *)conv.data;

				we = 'Q';
				if (m == 1 ||
				    text_cost('Q', cb, conv.len, phrase) <=
					budget)
					break;
				m--;
				mf_buf_clear(&conv);
				rc = mf__cs_encode(&conv, &e->cs,
						   (const char *)r + offs[ci],
						   offs[ci + m] - offs[ci],
						   &bad);
			}
			if (rc < 0)
				break;
			lo = m;
		}
		rc = put_word(e, e->csname, e->csnamelen, we,
			      (unsigned char *)conv.data, conv.len);
		ci += lo;
		sep = " ";
		seplen = 1;
	}
	mf__buf_fini(&conv);
	mf__release(&e->out->a, offs);
	return rc;
}

/* Q or B: the forced one, else the shorter (Q on a tie: readable). */
static char
choose(const struct enc *e, const unsigned char *b, size_t n)
{
	if (e->flags & MF_EW_Q)
		return 'Q';
	if (e->flags & MF_EW_B)
		return 'B';
	return text_cost('Q', b, n, (e->flags & MF_EW_PHRASE) != 0) <=
		       b_cost(n)
		   ? 'Q'
		   : 'B';
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Q or B for the piece r[0..n) of a phrase: not B with padding when
 * more encoded words follow (see run_utf8), unless B is forced. */
static char
choose_piece(const struct enc *e, const unsigned char *r, size_t n, bool last)
{
	char enc = choose(e, r, n);

	if (enc == 'B' && !last && n % 3 != 0 && !(e->flags & MF_EW_B))
		enc = 'Q';
	return enc;
}

/*
 * A run of a phrase (MF_EW_PHRASE) in UTF-8: one encoded word when it
 * fits in 75 characters, else split only after the white space that
 * follows one of its words, that white space encoded at the end of the
 * word before the split (a reader drops the white space between encoded
 * words, RFC 2047 6.2, so the text's own space must be inside one; the
 * words before the split hold a multiple of 3 bytes in B, else Q). A
 * word of the text too long for one encoded word alone is split inside
 * it (by run_utf8). A piece is never split to fill a line: with a width,
 * the line is folded before it.
 */
static int
phrase_utf8(struct enc *e, const unsigned char *r, size_t len, const char *sep,
	    size_t seplen)
{
	bool phrase = true;
	size_t overhead = 7 + 5, k = 0;
	int rc;

	while (k < len) {
		size_t j = k, best = 0, budget;
		char benc = 'Q';

		for (;;) {
			char enc;

			while (j < len && !is_wsp(r[j]))
				j++;
			while (j < len && is_wsp(r[j]))
				j++;
			enc = choose_piece(e, r + k, j - k, j == len);
			if (overhead + text_cost(enc, r + k, j - k, phrase) <=
			    EW_MAX) {
				best = j;
				benc = enc;
			} else if (overhead + b_cost(j - k) > EW_MAX &&
				   overhead + text_cost('Q', r + k, j - k,
							phrase) > EW_MAX) {
				break; /* longer pieces cannot fit either */
			}
			if (j == len)
				break;
		}
		if (best == 0) {
			/* One word too long for an encoded word of its own. */
			rc = run_utf8(e, r + k, j - k,
				      choose(e, r + k, j - k), sep, seplen,
				      j == len);
			if (rc < 0)
				return rc;
			k = j;
			sep = " ";
			seplen = 1;
			continue;
		}
		rc = begin_word(e, sep, seplen, overhead,
				text_cost(benc, r + k, best - k, phrase),
				text_cost(benc, r + k, len - k, phrase),
				&budget);
		if (rc == MF_OK)
			rc = put_word(e, "utf-8", 5, benc, r + k, best - k);
		if (rc < 0)
			return rc;
		k = best;
		sep = " ";
		seplen = 1;
	}
	return MF_OK;
}

/* One run of words that need encoding, with the whitespace before it. */
static int
put_run(struct enc *e, const unsigned char *r, size_t len, const char *sep,
	size_t seplen)
{
	mf_buf conv;
	size_t bad = MF__CS_NOBAD;
	char enc;
	int rc;

	if (e->cs.id == MF__CS_UTF8 && (e->flags & MF_EW_PHRASE))
		return phrase_utf8(e, r, len, sep, seplen);
	if (e->cs.id == MF__CS_UTF8)
		return run_utf8(e, r, len, choose(e, r, len), sep, seplen,
				true);
	/* Another charset: when it cannot hold the run, UTF-8 does. */
	mf__buf_init(&conv, &e->out->a);
	rc = mf__cs_encode(&conv, &e->cs, (const char *)r, len, &bad);
	enc = rc == MF_OK ? choose(e, (unsigned char *)conv.data, conv.len)
			  : 'Q';
	mf__buf_fini(&conv);
	if (rc < 0)
		return rc;
	if (bad != MF__CS_NOBAD)
		return run_utf8(e, r, len, choose(e, r, len), sep, seplen,
				true);
	return run_conv(e, r, len, enc, sep, seplen);
}

/* Whether a word must be encoded. */
static bool
needs_encoding(const unsigned char *w, size_t n)
{
	size_t k;

	if (n > 997) /* cannot be folded within RFC 5322 2.1.1 otherwise */
		return true;
	for (k = 0; k < n; k++) {
		if (w[k] >= 0x80 || w[k] < 0x20 || w[k] == 0x7F)
			return true;
		if (w[k] == '=' && k + 1 < n && w[k + 1] == '?')
			return true;
	}
	return false;
}

static int
encode(struct enc *e, const unsigned char *s, size_t n)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		size_t ws = i, w, we;

		while (i < n && is_wsp(s[i]))
			i++;
		if (i == n) /* trailing whitespace */
			return put(e, s + ws, n - ws);
		w = i;
		while (i < n && !is_wsp(s[i]))
			i++;
		we = i;
		if (!needs_encoding(s + w, we - w)) {
			if (e->width != 0 && e->line_has && w > ws &&
			    e->col + (we - ws) > e->width) {
				rc = fold(e);
				if (rc < 0)
					return rc;
			}
			rc = put(e, s + ws, we - ws);
			if (rc < 0)
				return rc;
			e->line_has = true;
			continue;
		}
		/* Extend over following words that need encoding too. */
		for (;;) {
			size_t j = i, k;

			while (j < n && is_wsp(s[j]))
				j++;
			if (j == n)
				break;
			k = j;
			while (k < n && !is_wsp(s[k]))
				k++;
			if (!needs_encoding(s + j, k - j))
				break;
			we = i = k;
		}
		rc = put_run(e, s + w, we - w, (const char *)s + ws, w - ws);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

int
mf_ew_encode(mf_buf *out, const char *in, size_t n, const char *charset,
	     unsigned flags, size_t col, size_t width)
{
	struct enc e;
	size_t start;
	char *fixed = NULL;
	int rc;

	if (out == NULL || (in == NULL && n != 0) ||
	    (flags & ~(MF_EW_Q | MF_EW_B | MF_EW_PHRASE | MF_LF)) != 0 ||
	    (flags & (MF_EW_Q | MF_EW_B)) == (MF_EW_Q | MF_EW_B))
		return MF_E_INVAL;
	if (in == NULL)
		in = ""; /* n is 0: no NULL arithmetic */
	memset(&e, 0, sizeof(e));
	e.out = out;
	e.flags = flags;
	e.col = col;
	e.width = width;
	e.nl = (flags & MF_LF) ? "\n" : "\r\n";
	e.nllen = (flags & MF_LF) ? 1 : 2;
	mf__cs_resolve(&e.utf8, "utf-8", 5);
	if (charset == NULL)
		charset = "utf-8";
	mf__cs_resolve(&e.cs, charset, strlen(charset));
	if (e.cs.id == MF__CS_NONE)
		return MF_E_CHARSET;
	/*
	 * utf-16 and utf-32 words are big-endian without a byte order mark,
	 * so that adjacent words join cleanly, and say so: labelled
	 * "utf-16be" (RFC 2781 3.2), as decoders disagree on an unmarked
	 * "utf-16" (big-endian by RFC 2781 4.3 and iconv, the native order
	 * for Python, a guess from the data for mf_ew_decode, which read
	 * "FF FD ... D8 00 DF 0C" as little-endian: fuzz_ew).
	 */
	if (e.cs.id == MF__CS_UTF16)
		mf__cs_resolve(&e.cs, "utf-16be", 8);
	else if (e.cs.id == MF__CS_UTF32)
		mf__cs_resolve(&e.cs, "utf-32be", 8);
	/* Words carry the canonical name ("latin1" is iso-8859-1). */
	e.csname = mf__cs_mime(&e.cs);
	if (e.csname == NULL)
		e.csname = e.cs.label;
	e.csnamelen = strlen(e.csname);
	if (e.csnamelen > EW_MAX_CSLEN)
		return MF_E_INVAL;
	start = out->len;
	if (!mf__utf8_valid(in, n)) {
		/* Invalid UTF-8 is encoded as U+FFFD. */
		size_t bad;
		mf_buf tmp;

		mf__buf_init(&tmp, &out->a);
		rc = mf__cs_decode(&tmp, &e.utf8, in, n, NULL, &bad);
		if (rc < 0) {
			mf__buf_fini(&tmp);
			return rc;
		}
		fixed = tmp.data;
		n = tmp.len;
		in = fixed;
	}
	rc = encode(&e, (const unsigned char *)in, n);
	mf__release(&out->a, fixed);
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}
