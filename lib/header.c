/* SPDX-License-Identifier: MIT */
/*
 * header.c - RFC 5322 header blocks: the incremental header machine
 * (section 2.2, 3.6; obsolete syntax of 4.5; RFC 7103 for what real mail
 * does), the one-shot drivers mf_headers_parse and mf_headers_scan, the
 * index with case-insensitive lookup, and unfolding (2.2.3).
 *
 * Policy for ambiguous input (see header.h for the full classification):
 *  - Line ends are LF or CRLF; a CR not followed by LF is content
 *    (MF_D_BARE_CR), never a line end, so a writer can reproduce it.
 *  - White space before the colon is obsolete syntax and accepted
 *    (MF_D_WS_BEFORE_COLON); a line with no colon, or with a control byte
 *    or inner white space in what would be the name, starts the body
 *    (MF_D_NO_BLANK_LINE), as most MUAs read it.
 *  - A leading "From " line is the mbox separator (MF_D_MBOX_FROM).
 *  - A continuation line with no field before it becomes a field with an
 *    empty name (MF_D_CONT_FIRST) so that no byte is lost.
 *  - Values keep their raw bytes: 8-bit (MF_D_8BIT_HEADER when not UTF-8),
 *    NUL (MF_D_NUL) and lines over 998 octets (MF_D_LONG_LINE) are
 *    recorded, not changed.
 *  - Duplicates are kept in order; lookup returns them one by one.
 * Each defect kind is reported at most once per field, at its first
 * offset, so hostile input cannot flood the callback.
 */
#include "header.h"

#include "lex.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum { ST_LINE, ST_VALUE, ST_FROM, ST_DONE };

void
mf__hdr_init(mf__hdr *h, const mf_opts *o, uint64_t off0)
{
	mf_limits l;

	memset(h, 0, sizeof(*h));
	h->o = o;
	mf__limits(o, &l);
	h->max_field = l.max_field_len;
	h->max_bytes = l.max_header_bytes;
	h->max_headers = l.max_headers;
	h->start = off0;
	h->pos = off0;
	h->state = ST_LINE;
	h->first_line = true;
	h->colon = SIZE_MAX;
	mf__buf_init(&h->buf, o != NULL ? &o->alloc : NULL);
}

void
mf__hdr_fini(mf__hdr *h)
{
	mf__buf_fini(&h->buf);
}

static int
hfail(mf__hdr *h, int code, uint64_t off, const char *reason)
{
	h->rc = code;
	h->state = ST_DONE;
	mf__err(&h->err, code, (size_t)off, reason);
	return code;
}

/* Records defect d at off in the block's mask and in *m (may be NULL). */
static int
defect(mf__hdr *h, uint64_t *m, int d, uint64_t off)
{
	h->defects |= MF_DEFECT_BIT(d);
	if (mf__defect(h->o, m, d, off) < 0)
		return hfail(h, MF_E_DEFECT, off, mf_defect_str(d));
	return MF_OK;
}

/* A limit: MF_E_LIMIT in strict mode, else MF_D_HEADER_LIMIT. */
static int
limit(mf__hdr *h, uint64_t *m, uint64_t off, const char *reason)
{
	if (h->o != NULL && (h->o->flags & MF_STRICT))
		return hfail(h, MF_E_LIMIT, off, reason);
	return defect(h, m, MF_D_HEADER_LIMIT, off);
}

/* Appends to buf what still fits under max_field. */
static int
keep(mf__hdr *h, const char *p, size_t n)
{
	size_t room = h->buf.len < h->max_field ? h->max_field - h->buf.len : 0;

	if (n > room)
		n = room;
	if (n == 0)
		return MF_OK;
	return mf__buf_put(&h->buf, p, n);
}

/* Moves the current field's bytes of the chunk, up to q, into buf. */
static int
flush(mf__hdr *h, const char *q)
{
	int rc;

	if (!h->in_field)
		return MF_OK;
	if (h->buffered) {
		rc = keep(h, h->seg, (size_t)(q - h->seg));
	} else {
		rc = keep(h, h->view, (size_t)(q - h->view));
		h->buffered = true;
	}
	h->seg = q;
	if (rc < 0)
		return hfail(h, rc, h->f_off, "out of memory");
	return MF_OK;
}

/*
 * Length of the prefix of p[0..n) free of NUL, CR and bytes >= 0x80,
 * eight bytes at a time (the common case is all of it).
 */
static size_t
plain_run(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t highs = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, cr;

		memcpy(&w, p + i, 8);
		cr = w ^ (ones * '\r');
		if ((((w - ones) & ~w) | ((cr - ones) & ~cr) | w) & highs)
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0 || c == '\r' || c >= 0x80)
			break;
	}
	return i;
}

/*
 * The line end: the first LF in [s, end), or NULL. *odd is set when a
 * byte before it may be an anomaly (NUL, a byte >= 0x80, a CR that is not
 * the one right before the LF); check_field then looks closely. SSE2
 * (x86-64's baseline) does 16 bytes at a time.
 */
static const char *
scan_line(const char *s, const char *end, bool *odd)
{
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	const __m128i zero = _mm_setzero_si128();

	while (end - s >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
		unsigned ml = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
		unsigned ms = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, zero), _mm_cmpeq_epi8(v, cr)),
		    v));

		if (ml != 0) {
			unsigned at = (unsigned)__builtin_ctz(ml);
			unsigned before = ms & ((1u << at) - 1);

			/* The CR of a CRLF is no anomaly. */
			if (at > 0 && s[at - 1] == '\r')
				before &= ~(1u << (at - 1));
			if (before != 0)
				*odd = true;
			return s + at;
		}
		if (ms != 0)
			*odd = true;
		s += 16;
	}
#endif
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			return s;
		if (c == 0 || c >= 0x80 ||
		    (c == '\r' && (s + 1 >= end || s[1] != '\n')))
			*odd = true;
	}
	return NULL;
}

/* Field defect d at off, once per field (seen keeps the kinds reported). */
static int
fdefect(mf__hdr *h, mf_field *f, uint64_t *seen, int d, uint64_t off)
{
	if (*seen & MF_DEFECT_BIT(d))
		return MF_OK;
	*seen |= MF_DEFECT_BIT(d);
	return defect(h, &f->defects, d, off);
}

/*
 * The anomalies inside a field's kept bytes fb[0..kept): name, NUL, bare
 * CR, 8-bit that is not UTF-8, lines over 998 octets (RFC 5322 2.1.1).
 * One pass over the bytes, eight at a time; line lengths are only looked
 * at when the field is long enough to hold a long line.
 */
static int
check_field(mf__hdr *h, mf_field *f, const char *fb, size_t kept, bool trunc)
{
	uint64_t seen = 0;
	size_t i;
	int rc = MF_OK;

	if (h->colon != SIZE_MAX && !h->name_ok) {
		if (h->name_len == 0)
			rc = fdefect(h, f, &seen, MF_D_BAD_FIELD_NAME, h->f_off);
		for (i = 0; i < h->name_len && rc == MF_OK; i++) {
			if (!mf__is((unsigned char)fb[i], MF__C_FTEXT))
				rc = fdefect(h, f, &seen, MF_D_BAD_FIELD_NAME,
					     h->f_off + i);
		}
		if (rc == MF_OK && h->ws_colon)
			rc = fdefect(h, f, &seen, MF_D_WS_BEFORE_COLON,
				     h->f_off + h->name_len);
	}
	/* The value's bytes (the name's are checked above). */
	i = !h->odd ? kept : h->colon != SIZE_MAX ? h->colon + 1 : 0;
	while (rc == MF_OK && i < kept) {
		unsigned char c;
		size_t k;

		i += plain_run(fb + i, kept - i);
		if (i >= kept)
			break;
		c = (unsigned char)fb[i];
		if (c == 0) {
			rc = fdefect(h, f, &seen, MF_D_NUL, h->f_off + i);
			i++;
		} else if (c == '\r') {
			if (i + 1 < kept && fb[i + 1] == '\n') {
				i += 2;
				continue;
			}
			/* A CR cut off from its LF by truncation is not bare. */
			if (!(trunc && i + 1 == kept))
				rc = fdefect(h, f, &seen, MF_D_BARE_CR,
					     h->f_off + i);
			i++;
		} else {
			k = mf__utf8_seq((const unsigned char *)fb + i,
					 kept - i);
			if (k == 0) {
				if (!(trunc && kept - i < 4))
					rc = fdefect(h, f, &seen,
						     MF_D_8BIT_HEADER,
						     h->f_off + i);
				k = 1;
			}
			i += k;
		}
	}
	if (kept > 998) {
		size_t ls = 0;

		while (ls < kept && rc == MF_OK) {
			const char *lf = memchr(fb + ls, '\n', kept - ls);
			size_t le = lf != NULL ? (size_t)(lf - fb) : kept;
			size_t next = lf != NULL ? le + 1 : kept;

			if (lf != NULL && le > ls && fb[le - 1] == '\r')
				le--;
			if (le - ls > 998)
				rc = fdefect(h, f, &seen, MF_D_LONG_LINE,
					     h->f_off + ls + 998);
			ls = next;
		}
	}
	return rc;
}

/*
 * Fills *ev with the field (or From_ line) that ends at s. Returns 1 when
 * it is to be delivered, 0 when dropped (max_headers), or an error.
 */
static int
complete(mf__hdr *h, const char *p, const char *s, int type, mf__hdr_ev *ev)
{
	uint64_t total = h->pos + (uint64_t)(s - p) - h->f_off;
	const char *fb;
	size_t kept, vs, ve;
	bool trunc;
	mf_field *f = &ev->f;
	int rc;

	if (h->buffered) {
		rc = flush(h, s);
		if (rc < 0)
			return rc;
		fb = h->buf.data;
		kept = h->buf.len;
	} else {
		fb = h->view;
		kept = (size_t)(s - h->view);
		if (kept > h->max_field)
			kept = h->max_field;
	}
	trunc = total > kept;
	h->in_field = false;
	h->buffered = false;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->raw.ptr = fb;
	ev->raw.len = kept;
	f->offset = h->f_off;
	f->raw_len = (size_t)total;
	f->eol = h->eol;
	f->name.ptr = fb;
	f->name.len = h->name_len;
	ve = kept;
	if (!trunc)
		ve -= h->eol;
	if (type == MF__HDR_MBOX_FROM) {
		vs = 0;
		f->name.len = 0;
		rc = defect(h, &f->defects, MF_D_MBOX_FROM, h->f_off);
	} else {
		vs = h->colon != SIZE_MAX ? h->colon + 1 : 0;
		while (vs < ve && (fb[vs] == ' ' || fb[vs] == '\t' ||
				   fb[vs] == '\r' || fb[vs] == '\n'))
			vs++;
		rc = MF_OK;
		if (h->colon == SIZE_MAX)
			rc = defect(h, &f->defects, MF_D_CONT_FIRST, h->f_off);
		if (rc == MF_OK)
			rc = check_field(h, f, fb, kept, trunc);
		if (rc == MF_OK && h->stray)
			rc = defect(h, &f->defects, MF_D_STRAY_LINE,
				    h->stray_off);
	}
	if (vs > ve)
		vs = ve;
	f->value.ptr = fb + vs;
	f->value.len = ve - vs;
	if (rc == MF_OK && trunc)
		rc = limit(h, &f->defects, h->f_off + h->max_field,
			   "header field too long");
	if (rc == MF_OK && h->eol == 0)
		rc = defect(h, &f->defects, MF_D_EOF_IN_HEADER,
			    h->f_off + total);
	if (rc < 0)
		return rc;
	if (type == MF__HDR_FIELD) {
		if (h->nfields >= h->max_headers) {
			if (!h->limit_seen) {
				h->limit_seen = true;
				rc = limit(h, NULL, h->f_off,
					   "too many header fields");
				if (rc < 0)
					return rc;
			}
			return 0;
		}
		h->nfields++;
	}
	return 1;
}

/* Starts accumulating a field (or line) at s. */
static void
start_field(mf__hdr *h, const char *p, const char *s)
{
	h->in_field = true;
	h->buffered = false;
	h->view = s;
	h->f_off = h->pos + (uint64_t)(s - p);
	h->name_len = 0;
	h->colon = SIZE_MAX;
	h->ws_colon = false;
	h->name_ok = false;
	h->odd = false;
	h->stray = false;
	h->eol = 0;
	h->buf.len = 0;
}

static void
end_block(mf__hdr *h, mf__hdr_ev *ev, uint64_t body_off)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = MF__HDR_END;
	ev->body_off = body_off;
	h->state = ST_DONE;
}

/* Looking at a line: */
enum {
	LN_NEED = -1, /* the chunk ends before it is known */
	LN_NOT = 0,   /* not a field */
	LN_FIELD = 1, /* a field (struct mf__hname says where) */
	LN_STRAY = 2  /* a stray line: a well-formed field follows it */
};

/*
 * Whether the line s[0..n) starts a field: a name of bytes that are not
 * controls, SP, HTAB or ":" (at most max_field of them), optional white
 * space (obs-optional, RFC 5322 4.5.3), ":". The ftext run is the fast
 * path (name_ok: a valid name with the colon right after it).
 */
MF__INLINE int
scan_name(const char *s, size_t n, size_t max_field, bool eof,
	  struct mf__hname *nm)
{
	size_t lim = n < max_field ? n : max_field, i = 0;
	bool ws = false;

	while (i < lim && mf__is((unsigned char)s[i], MF__C_FTEXT))
		i++;
	nm->name_ok = i < lim && s[i] == ':' && i > 0;
	nm->ws_colon = false;
	nm->name_len = i;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':') {
			if (!ws)
				nm->name_len = i;
			nm->ws_colon = ws;
			nm->colon = i;
			return LN_FIELD;
		}
		if (i >= max_field)
			return LN_NOT;
		if (c == ' ' || c == '\t') {
			if (!ws)
				nm->name_len = i;
			ws = true;
		} else if (ws || mf__is(c, MF__C_CTL)) {
			return LN_NOT;
		}
	}
	return eof ? LN_NOT : LN_NEED;
}

/*
 * RFC 7103 7.2: the line s[0..n) at absolute offset off, which is no
 * field, follows a field. It is a stray line of that field (a value
 * wrapped without indentation, a broken mailer's line) when it ends
 * within max_field bytes and the next line, starting before
 * max_header_bytes, is a well-formed field: an ftext name of fewer than
 * max_field bytes and ":". Otherwise the body begins on it (LN_NOT), and
 * always on a line starting "--" (a MIME delimiter after a header that
 * lacks its empty line: the part's header follows it) or "From " (an mbox
 * separator, for mf_mbox_next as for the parser's MF_MBOX mode).
 */
static int
stray_line(const mf__hdr *h, const char *s, size_t n, uint64_t off, bool eof)
{
	size_t lim = n < h->max_field ? n : h->max_field, i, k;
	const char *lf = memchr(s, '\n', lim);

	if (n >= 2 && s[0] == '-' && s[1] == '-')
		return LN_NOT;
	if (lf == NULL)
		return n < h->max_field && !eof ? LN_NEED : LN_NOT;
	i = (size_t)(lf - s) + 1;
	if (i > 5 && memcmp(s, "From ", 5) == 0)
		return LN_NOT;
	if (off + i - h->start >= h->max_bytes)
		return LN_NOT;
	lim = n - i < h->max_field ? n - i : h->max_field;
	for (k = 0; k < lim && mf__is((unsigned char)s[i + k], MF__C_FTEXT);
	     k++)
		;
	if (k < lim)
		return s[i + k] == ':' && k > 0 ? LN_STRAY : LN_NOT;
	return k < h->max_field && !eof ? LN_NEED : LN_NOT;
}

/*
 * The line s[0..n) at absolute offset off, after a field's last line:
 * a field (LN_FIELD, its name in *nm), a stray line of that field
 * (LN_STRAY), the start of the body (LN_NOT) or not known yet (LN_NEED).
 */
MF__INLINE int
next_line(const mf__hdr *h, const char *s, size_t n, uint64_t off, bool eof,
	  struct mf__hname *nm)
{
	int k = scan_name(s, n, h->max_field, eof, nm);

	return k == LN_NOT ? stray_line(h, s, n, off, eof) : k;
}

/*
 * Whether s[0..n) starts "From " (1) or ">From " (2), a From_ line or one
 * quoted by an mbox writer; 0 when not, -1 when the chunk ends before it
 * is known (never at eof).
 */
static int
from_prefix(const char *s, size_t n, bool eof)
{
	static const char from[] = ">From ";
	size_t f = n > 0 && s[0] == '>' ? 0 : 1, k = n < 6 - f ? n : 6 - f;

	if (memcmp(s, from + f, k) != 0)
		return 0;
	if (k < 6 - f)
		return eof ? 0 : -1;
	return f == 1 ? 1 : 2;
}

int
mf__hdr_bom(const char *p, size_t n, bool eof, size_t max_field)
{
	static const char bom[3] = {'\xef', '\xbb', '\xbf'};
	struct mf__hname nm;
	size_t k = n < 3 ? n : 3;
	int r;

	if ((n > 0 && p[0] != bom[0]) || memcmp(p, bom, k) != 0)
		return 0;
	if (n < 3)
		return eof ? 0 : -1;
	r = from_prefix(p + 3, n - 3, eof);
	if (r != 0)
		return r > 0 ? 3 : -1;
	r = scan_name(p + 3, n - 3, max_field, eof, &nm);
	return r == LN_NEED ? -1 : r == LN_FIELD ? 3 : 0;
}

/* Starts the field at s, whose name scan_name found: its value next. */
static const char *
begin_named(mf__hdr *h, const char *p, const char *s,
	    const struct mf__hname *nm)
{
	start_field(h, p, s);
	h->after_from = false;
	h->name_len = nm->name_len;
	h->colon = nm->colon;
	h->ws_colon = nm->ws_colon;
	h->name_ok = nm->name_ok;
	h->first_line = false;
	h->state = ST_VALUE;
	return s + nm->colon + 1;
}

int
mf__hdr_feed(mf__hdr *h, const char *p, size_t n, bool eof, size_t *used,
	     mf__hdr_ev *ev)
{
	const char *s, *end, *stop;
	struct mf__hname nm;
	int rc, k;

#define POS(q) (h->pos + (uint64_t)((q) - p))
#define RETURN_AT(q)                                                           \
	do {                                                                   \
		*used = (size_t)((q) - p);                                     \
		h->pos += *used;                                               \
		return MF_OK;                                                  \
	} while (0)
/* Consumed up to q; the bytes from q on are fed again with more. */
#define MORE_AT(q)                                                             \
	do {                                                                   \
		stop = (q);                                                    \
		goto more;                                                     \
	} while (0)

	*used = 0;
	if (h->rc < 0)
		return h->rc;
	if (h->state == ST_DONE)
		return MF_E_STATE;
	if (p == NULL) {
		if (n != 0)
			return hfail(h, MF_E_INVAL, h->pos, "NULL input");
		p = "";
	}
	s = p;
	end = p + n;
	h->seg = p;
	for (;;) {
		switch (h->state) {
		case ST_LINE:
			if (h->in_field) {
				/* The field is complete unless the line that
				 * starts at s continues it. */
				bool more = s < end &&
					    POS(s) - h->start < h->max_bytes;

				if (s == end && !eof)
					MORE_AT(s);
				if (more && (*s == ' ' || *s == '\t')) {
					h->state = ST_VALUE;
					break;
				}
				if (more && *s != '\r' && *s != '\n') {
					k = next_line(h, s, (size_t)(end - s),
						      POS(s), eof, &nm);
					if (k == LN_NEED)
						MORE_AT(s);
					if (k == LN_STRAY) {
						/* An unindented continuation
						 * (RFC 7103 7.2, option 3). */
						h->stray = true;
						h->stray_off = POS(s);
						h->state = ST_VALUE;
						break;
					}
					/* A field (its name is known now) or
					 * the body begins at s. */
					h->next_ok = k == LN_FIELD;
					h->next = nm;
					h->end_next = k == LN_NOT;
				}
				rc = complete(h, p, s, MF__HDR_FIELD, ev);
				if (rc < 0)
					return rc;
				if (rc > 0)
					RETURN_AT(s);
				break;
			}
			if (h->end_next) {
				h->end_next = false;
				goto body;
			}
			if (h->next_ok) {
				h->next_ok = false;
				if ((size_t)(end - s) > h->next.colon) {
					s = begin_named(h, p, s, &h->next);
					break;
				}
			}
			if (s == end) {
				if (!eof)
					MORE_AT(s);
				end_block(h, ev, POS(s));
				RETURN_AT(s);
			}
			if (*s == '\n') {
				end_block(h, ev, POS(s + 1));
				RETURN_AT(s + 1);
			}
			if (*s == '\r') {
				if (s + 1 < end && s[1] == '\n') {
					end_block(h, ev, POS(s + 2));
					RETURN_AT(s + 2);
				}
				if (s + 1 == end && !eof)
					MORE_AT(s);
				goto body; /* a bare CR */
			}
			if (POS(s) - h->start >= h->max_bytes) {
				rc = limit(h, NULL, POS(s), "header block too long");
				if (rc < 0)
					return rc;
				end_block(h, ev, POS(s));
				RETURN_AT(s);
			}
			if (h->first_line && POS(s) == 0) {
				k = mf__hdr_bom(s, (size_t)(end - s), eof,
						h->max_field);
				if (k < 0)
					MORE_AT(s);
				if (k > 0) {
					rc = defect(h, NULL, MF_D_BOM, POS(s));
					if (rc < 0)
						return rc;
					h->bom = true;
					s += k;
					break;
				}
			}
			if (*s == ' ' || *s == '\t') {
				start_field(h, p, s);
				h->first_line = false;
				h->after_from = false;
				h->state = ST_VALUE;
				break;
			}
			k = scan_name(s, (size_t)(end - s), h->max_field, eof,
				      &nm);
			if (k == LN_NEED)
				MORE_AT(s);
			if (k == LN_FIELD) {
				s = begin_named(h, p, s, &nm);
				break;
			}
			/*
			 * No field: "From " first, or ">From " first or right
			 * after it, is a From_ line, or one quoted by an mbox
			 * writer (a short max_field_len may have said "no
			 * field" before the space was seen).
			 */
			k = h->first_line || h->after_from
				? from_prefix(s, (size_t)(end - s), eof)
				: 0;
			if (k < 0)
				MORE_AT(s);
			if (k == 2 || (k == 1 && h->first_line)) {
				h->after_from = k == 1;
				start_field(h, p, s);
				h->first_line = false;
				h->state = ST_FROM;
				break;
			}
			goto body;

		case ST_VALUE:
		case ST_FROM: {
			const char *lf = scan_line(s, end, &h->odd);
			bool cr;

			if (lf == NULL) {
				if (!eof)
					MORE_AT(end);
				s = end;
				h->eol = 0;
			} else {
				cr = lf > p ? lf[-1] == '\r' : h->last_cr;
				h->eol = cr ? 2 : 1;
				s = lf + 1;
			}
			if (h->state == ST_FROM) {
				h->state = ST_LINE;
				rc = complete(h, p, s, MF__HDR_MBOX_FROM, ev);
				if (rc < 0)
					return rc;
				RETURN_AT(s);
			}
			h->state = ST_LINE;
			break;
		}

		case ST_DONE:
		default:
			return MF_E_STATE;
		}
	}

body:
	/* The body begins on the line at s. */
	h->first_line = false;
	rc = defect(h, NULL, MF_D_NO_BLANK_LINE, POS(s));
	if (rc < 0)
		return rc;
	end_block(h, ev, POS(s));
	RETURN_AT(s);

more:
	rc = flush(h, stop);
	if (rc < 0)
		return rc;
	if (stop > p)
		h->last_cr = stop[-1] == '\r';
	*used = (size_t)(stop - p);
	h->pos += *used;
	return MF_MORE;
#undef POS
#undef RETURN_AT
#undef MORE_AT
}

/* ---------------------------------------------------------------------- */
/* One-shot drivers                                                        */
/* ---------------------------------------------------------------------- */

struct mf_headers {
	mf_alloc a;
	mf_field *f;
	size_t n, cap;
	uint64_t defects;
	bool has_from;
	mf_str from;
};

void
mf_headers_free(mf_headers *h)
{
	if (h == NULL)
		return;
	mf__release(&h->a, h->f);
	mf__release(&h->a, h);
}

static int
push_field(mf_headers *h, const mf_field *f)
{
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 32, bytes;
		mf_field *nf;

		if (!mf__mul(ncap, sizeof(*nf), &bytes))
			return MF_E_NOMEM;
		nf = mf__resize(&h->a, h->f, h->cap * sizeof(*nf), bytes);
		if (nf == NULL)
			return MF_E_NOMEM;
		h->f = nf;
		h->cap = ncap;
	}
	h->f[h->n++] = *f;
	return MF_OK;
}

/*
 * Runs a machine over the whole block p[0..n) (one-shot): each field and
 * From_ line goes to fn, whose negative status (err filled) stops the
 * run. *body_off (may be NULL) gets the body's offset, *defects the
 * block's defects, however the run ended. Inlined, so that each caller
 * gets a copy with its fn inlined (the per-field call showed in the
 * header benchmark).
 */
MF__INLINE int
run_block(const char *p, size_t n, const mf_opts *o, size_t *body_off,
	  uint64_t *defects, int (*fn)(void *ctx, const mf__hdr_ev *ev,
				       mf_error *err),
	  void *ctx, mf_error *err)
{
	mf__hdr m;
	int rc;

	mf__hdr_init(&m, o, 0);
	for (;;) {
		mf__hdr_ev ev;
		size_t used;

		rc = mf__hdr_feed(&m, p, n, true, &used, &ev);
		if (rc < 0) {
			if (err != NULL)
				*err = m.err;
			break;
		}
		p += used;
		n -= used;
		if (ev.type == MF__HDR_END) {
			if (body_off != NULL)
				*body_off = (size_t)ev.body_off;
			break;
		}
		rc = fn(ctx, &ev, err);
		if (rc < 0)
			break;
	}
	*defects = m.defects;
	mf__hdr_fini(&m);
	return rc < 0 ? rc : MF_OK;
}

static int
parse_event(void *ctx, const mf__hdr_ev *ev, mf_error *err)
{
	mf_headers *h = ctx;

	if (ev->type == MF__HDR_MBOX_FROM) {
		h->has_from = true;
		h->from = ev->f.value;
		return MF_OK;
	}
	if (push_field(h, &ev->f) < 0)
		return mf__err(err, MF_E_NOMEM, (size_t)ev->f.offset,
			       "out of memory");
	return MF_OK;
}

int
mf_headers_parse(const char *p, size_t n, const mf_opts *o, mf_headers **out,
		 size_t *body_off, mf_error *err)
{
	mf_headers *h;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	h = mf__alloc(o != NULL ? &o->alloc : NULL, sizeof(*h));
	if (h == NULL)
		return mf__err(err, MF_E_NOMEM, 0, "out of memory");
	memset(h, 0, sizeof(*h));
	mf__alloc_copy(&h->a, o != NULL ? &o->alloc : NULL);
	rc = run_block(p, n, o, body_off, &h->defects, parse_event, h, err);
	if (rc < 0) {
		mf_headers_free(h);
		return rc;
	}
	*out = h;
	return MF_OK;
}

/* The caller's field array for mf_headers_scan. */
struct scan {
	mf_field *v;
	size_t n, cap;
};

static int
scan_event(void *ctx, const mf__hdr_ev *ev, mf_error *err)
{
	struct scan *sc = ctx;

	if (ev->type != MF__HDR_FIELD)
		return MF_OK;
	if (sc->n == sc->cap)
		return mf__err(err, MF_E_NOSPC, (size_t)ev->f.offset,
			       "field array full");
	sc->v[sc->n++] = ev->f;
	return MF_OK;
}

int
mf_headers_scan(const char *p, size_t n, const mf_opts *o, mf_field *fields,
		size_t *nfields, size_t *body_off, uint64_t *defects,
		mf_error *err)
{
	struct scan sc;
	uint64_t d;
	int rc;

	if (nfields == NULL || (fields == NULL && *nfields != 0) ||
	    (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	sc.v = fields;
	sc.n = 0;
	sc.cap = *nfields;
	rc = run_block(p, n, o, body_off, &d, scan_event, &sc, err);
	if (defects != NULL)
		*defects = d;
	*nfields = sc.n;
	return rc;
}

size_t
mf_headers_count(const mf_headers *h)
{
	return h != NULL ? h->n : 0;
}

const mf_field *
mf_headers_at(const mf_headers *h, size_t i)
{
	if (h == NULL || i >= h->n)
		return NULL;
	return &h->f[i];
}

const mf_field *
mf_headers_get(const mf_headers *h, const char *name, size_t namelen,
	       size_t *iter)
{
	size_t i;
	unsigned char c0;

	if (h == NULL || (name == NULL && namelen != 0) || namelen == 0)
		return NULL;
	c0 = mf__lower((unsigned char)name[0]);
	for (i = iter != NULL ? *iter : 0; i < h->n; i++) {
		const mf_field *f = &h->f[i];

		if (f->name.len == namelen &&
		    mf__lower((unsigned char)f->name.ptr[0]) == c0 &&
		    mf__ieq(f->name.ptr, namelen, name, namelen)) {
			if (iter != NULL)
				*iter = i + 1;
			return f;
		}
	}
	if (iter != NULL)
		*iter = h->n;
	return NULL;
}

uint64_t
mf_headers_defects(const mf_headers *h)
{
	return h != NULL ? h->defects : 0;
}

int
mf_headers_mbox_from(const mf_headers *h, mf_str *line)
{
	if (h == NULL || !h->has_from)
		return 0;
	if (line != NULL)
		*line = h->from;
	return 1;
}

/* ---------------------------------------------------------------------- */
/* Unfolding (RFC 5322 2.2.3)                                              */
/* ---------------------------------------------------------------------- */

/*
 * "Unfolding is accomplished by simply removing any CRLF that is
 * immediately followed by WSP." Leniently every CRLF and bare LF goes,
 * wherever it stands; one followed by text (not white space or another
 * line break: a stray line the parser kept, MF_D_STRAY_LINE) becomes one
 * space, as RFC 7103 7.2 (option 3) says, so that words do not run
 * together. A CR not followed by LF is content and stays.
 */

/* The length of the line break at p[i] (1 or 2), or 0 if there is none. */
static size_t
line_break(const char *p, size_t n, size_t i)
{
	if (p[i] == '\n')
		return 1;
	return p[i] == '\r' && i + 1 < n && p[i + 1] == '\n' ? 2 : 0;
}

/*
 * Whether a line break before p[i] is replaced by a space: when text
 * follows it (not white space, another line break or the end).
 */
static bool
joins(const char *p, size_t n, size_t i)
{
	return i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' &&
	       p[i] != '\n';
}

int
mf_hdr_unfold(mf_buf *out, const char *p, size_t n)
{
	const char *end, *run = p;
	int rc;

	if (out == NULL || (p == NULL && n != 0))
		return MF_E_INVAL;
	if (n == 0)
		return MF_OK;
	end = p + n;
	while (run < end) {
		const char *lf = memchr(run, '\n', (size_t)(end - run));
		const char *stop;

		if (lf == NULL)
			return mf__buf_put(out, run, (size_t)(end - run));
		stop = lf;
		if (stop > run && stop[-1] == '\r')
			stop--;
		rc = mf__buf_put(out, run, (size_t)(stop - run));
		if (rc == MF_OK && joins(p, n, (size_t)(lf + 1 - p)))
			rc = mf__buf_put(out, " ", 1);
		if (rc < 0)
			return rc;
		run = lf + 1;
	}
	return MF_OK;
}

/*
 * Offset in the raw value p[0..n) of byte k of its unfolded form (the
 * inverse of mf_hdr_unfold), for defects and errors: a space put for a
 * line break maps to the line break.
 */
static size_t
raw_offset(const char *p, size_t n, uint64_t k)
{
	size_t i = 0, b;
	uint64_t c = 0;

	while (i < n) {
		b = line_break(p, n, i);
		if (b > 0 && !joins(p, n, i + b)) {
			i += b;
			continue;
		}
		if (c == k)
			return i;
		c++;
		i += b > 0 ? b : 1;
	}
	return n;
}

struct decode_map {
	const mf_opts *o;
	const char *raw;
	size_t n;
};

static void
decode_defect(void *ctx, int d, uint64_t off)
{
	struct decode_map *m = ctx;

	m->o->on_defect(m->o->defect_ctx, d, raw_offset(m->raw, m->n, off));
}

/*
 * Unfold, then RFC 2047 (mf_ew_decode) - which keeps line breaks that are
 * not between encoded words, so unfolding must come first. Offsets in
 * defects and errors are mapped back to the raw value.
 */
int
mf_hdr_decode(mf_buf *out, const char *p, size_t n, const mf_opts *o,
	      uint64_t *defects, mf_error *err)
{
	mf_buf tmp;
	mf_opts wo;
	struct decode_map m;
	int rc;

	if (out == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT | MF_SAFE_TEXT, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = ""; /* mf_ew_decode computes offsets from it */
	if (n == 0 || (memchr(p, '\n', n) == NULL))
		return mf_ew_decode(out, p, n, o, defects, err);
	mf__buf_init(&tmp, &out->a);
	rc = mf_hdr_unfold(&tmp, p, n);
	if (rc < 0) {
		mf__buf_fini(&tmp);
		return mf__err(err, rc, 0, "out of memory");
	}
	if (o != NULL && o->on_defect != NULL) {
		wo = *o;
		m.o = o;
		m.raw = p;
		m.n = n;
		wo.on_defect = decode_defect;
		wo.defect_ctx = &m;
		o = &wo;
	}
	rc = mf_ew_decode(out, tmp.data != NULL ? tmp.data : "", tmp.len, o,
			  defects, err);
	if (rc < 0 && err != NULL && rc != MF_E_NOMEM)
		err->offset = raw_offset(p, n, err->offset);
	mf__buf_fini(&tmp);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Field classes                                                           */
/* ---------------------------------------------------------------------- */

int
mf__field_class(const char *name, size_t n)
{
	static const struct {
		const char *name;
		int cls;
	} t[] = {
	    {"from", MF__F_ADDRESS},
	    {"to", MF__F_ADDRESS},
	    {"cc", MF__F_ADDRESS},
	    {"bcc", MF__F_ADDRESS},
	    {"reply-to", MF__F_ADDRESS},
	    {"sender", MF__F_ADDRESS},
	    {"resent-from", MF__F_ADDRESS},
	    {"resent-to", MF__F_ADDRESS},
	    {"resent-cc", MF__F_ADDRESS},
	    {"resent-bcc", MF__F_ADDRESS},
	    {"resent-sender", MF__F_ADDRESS},
	    {"resent-reply-to", MF__F_ADDRESS},
	    {"return-path", MF__F_ADDRESS},
	    {"mail-followup-to", MF__F_ADDRESS},
	    {"mail-reply-to", MF__F_ADDRESS},
	    {"disposition-notification-to", MF__F_ADDRESS},
	    {"message-id", MF__F_MSGID},
	    {"in-reply-to", MF__F_MSGID},
	    {"references", MF__F_MSGID},
	    {"resent-message-id", MF__F_MSGID},
	    {"content-id", MF__F_MSGID},
	    {"content-type", MF__F_PARAMS},
	    {"content-disposition", MF__F_PARAMS},
	    {"dkim-signature", MF__F_PARAMS},
	    {"authentication-results", MF__F_PARAMS},
	    {"arc-seal", MF__F_PARAMS},
	    {"arc-message-signature", MF__F_PARAMS},
	    {"arc-authentication-results", MF__F_PARAMS},
	    {"received", MF__F_RECEIVED},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (mf__ieq(name, n, t[i].name, strlen(t[i].name)))
			return t[i].cls;
	}
	return MF__F_UNSTRUCTURED;
}
