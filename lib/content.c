/* SPDX-License-Identifier: MIT */
/*
 * content.c - what a part's body says: its content decoded (transfer
 * encoding undone, text converted to UTF-8, format=flowed unwrapped) and,
 * for a whole message, the body parts a mail reader shows and the ones it
 * offers as attachments (RFC 8621 4.1.4).
 *
 * Decoding is one streaming pipeline (mf_content_dec); mf_part_decode is
 * that pipeline fed the whole body once, so the two cannot drift. Stages:
 *
 *  1. Transfer decoding (RFC 2045 6): base64, quoted-printable and
 *     uuencode through their streaming decoders, driven by their mf__codec
 *     calls (codec.h; lenient: junk skipped, invalid escapes kept, bad
 *     lines decoded as far as they go, MF_D_B64_JUNK / MF_D_QP_INVALID /
 *     MF_D_UU_INVALID); 7bit, 8bit, binary and unknown encodings as they
 *     are (the parser records MF_D_UNKNOWN_CTE). Defect offsets of this
 *     stage are absolute input offsets (the part's body offset plus the
 *     offset in the raw body).
 *  2. Charset conversion of text/... (MF_CONTENT_TEXT), RFC 2045 5.2, RFC
 *     2046 4.1.2, RFC 7103 7.6. Policy:
 *      - No charset parameter means us-ascii. Text labelled us-ascii but
 *        holding 8-bit bytes is not US-ASCII: each line is taken as UTF-8
 *        when it is valid UTF-8, else as windows-1252, and
 *        MF_D_CHARSET_INVALID is recorded (lib/charset.c, mf__cs_guess).
 *        Deciding per line keeps a windows-1252 quote in UTF-8 text from
 *        turning the whole body into mojibake.
 *      - A charset no converter knows (built-in tables, the caller's hook,
 *        iconv) is treated the same way, with MF_D_CHARSET_UNKNOWN.
 *      - A known charset is trusted: its invalid sequences become U+FFFD
 *        (MF_D_CHARSET_INVALID).
 *      - NUL bytes become U+FFFD (MF_D_NUL): text must stay a C string
 *        (RFC 7103 7.6 on NULs hiding content).
 *     The text is converted in segments that depend only on its content
 *     (lines, grouped up to SEG_MIN bytes and cut at SEG_MAX at a point
 *     that splits no character of an ASCII-compatible charset), so a
 *     streamed body converts exactly like a whole one. A line longer
 *     than SEG_MAX in a stateful charset (ISO-2022-*, UTF-7) is cut where
 *     its shift state is the initial one, or the escapes that set the
 *     state are carried to the next segment (stateful_cut).
 *     UTF-16 and UTF-32 are cut at code-unit boundaries, never inside a
 *     surrogate pair; the byte order of "utf-16" / "utf-32" comes from
 *     the start of the body: a byte order mark (dropped), else the data
 *     (big-endian, RFC 2781 4.3, unless it shows little-endian text).
 *     Defect offsets of this stage are absolute input offsets when the
 *     body is not transfer-encoded (7bit, 8bit, binary, unknown: the
 *     bytes converted are the input's), else they count transfer-decoded
 *     bytes from the start of the body (no input byte is the bad one).
 *  3. format=flowed (MF_CONTENT_FLOWED; text/plain with format=flowed),
 *     RFC 3676 4: see the flowed section below.
 *  4. Line ends (MF_LF): CRLF becomes LF; a lone CR stays.
 * Every defect is reported once per body, at its first offset.
 */
#include "mime.h"

#include "b64.h"
#include "charset.h"
#include "qp.h"
#include "uu.h"

/* ---------------------------------------------------------------------- */
/* format=flowed (RFC 3676 4)                                              */
/* ---------------------------------------------------------------------- */

/*
 * RFC 3676 4.1-4.5, line by line:
 *  - The quote depth of a line is the number of ">" it starts with (4.5).
 *  - One space after them (or at the start of an unquoted line) is
 *    space-stuffing (4.4) and is removed.
 *  - A line whose remaining text ends in a space is flowed (4.2), unless
 *    it is the signature separator "-- " (4.3): it is joined with the next
 *    line. With DelSp=yes (4.2, RFC 3676 has it for languages without
 *    spaces) that one space is removed when joining.
 *  - A flowed line followed by a line of another quote depth, or by the
 *    end of the text, is taken as fixed (4.5, "improperly flowed").
 *  - Each joined paragraph is written once with its quote prefix: ">"
 *    times the depth and a space (nothing for depth 0), then the text,
 *    then the line end of its last line.
 */
enum { F_START = 0, F_QUOTE, F_TEXT };

struct flowed {
	unsigned st;
	bool delsp, lf; /* DelSp=yes; write line ends as LF */
	bool in_para;   /* the previous line was flowed */
	bool cr;        /* a CR was held back (maybe CRLF) */
	bool sig;       /* the text so far is a prefix of "-- " */
	bool qsp;       /* the space after the quote marks is due */
	unsigned held;  /* line end of the flowed line: 1 LF, 2 CRLF */
	size_t depth;   /* quote depth of the current line */
	size_t para_depth;
	size_t spaces; /* trailing spaces held back */
	size_t tlen;   /* bytes of text on the line (after stuffing) */
};

static void
fl_init(struct flowed *f, bool delsp, bool lf)
{
	memset(f, 0, sizeof(*f));
	f->delsp = delsp;
	f->lf = lf;
}

static int
put_eol(mf_buf *out, bool lf, unsigned kind)
{
	if (kind == 2 && !lf)
		return mf__buf_put(out, "\r\n", 2);
	return mf__buf_putc(out, '\n');
}

static int
put_spaces(mf_buf *out, size_t k)
{
	static const char sp[16] = "                ";
	int rc = MF_OK;

	while (k > 0 && rc == MF_OK) {
		size_t c = k < sizeof(sp) ? k : sizeof(sp);

		rc = mf__buf_put(out, sp, c);
		k -= c;
	}
	return rc;
}

/* The quote depth of the line is known: join it or start a new one. */
static int
fl_decide(struct flowed *f, mf_buf *out)
{
	size_t i;
	int rc;

	f->st = F_TEXT;
	f->spaces = 0;
	f->tlen = 0;
	f->sig = true;
	if (f->in_para && f->depth == f->para_depth)
		return MF_OK;
	if (f->in_para) {
		f->in_para = false;
		rc = put_eol(out, f->lf, f->held);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < f->depth; i++) {
		rc = mf__buf_putc(out, '>');
		if (rc < 0)
			return rc;
	}
	/* The space after ">" comes with the first text: an empty quoted
	 * line is ">" alone. */
	f->qsp = f->depth > 0;
	return MF_OK;
}

/* Text begins on the line: the space after the quote marks first. */
static int
fl_qsp(struct flowed *f, mf_buf *out)
{
	if (!f->qsp)
		return MF_OK;
	f->qsp = false;
	return mf__buf_putc(out, ' ');
}

/* The end of a line of text; eol 0 at the end of the data. */
static int
fl_eol(struct flowed *f, mf_buf *out, unsigned eol)
{
	bool is_sig = f->sig && f->tlen + f->spaces == 3;
	int rc = MF_OK;

	f->st = F_START;
	if (f->spaces > 0)
		rc = fl_qsp(f, out);
	f->qsp = false;
	if (rc < 0)
		return rc;
	if (f->spaces > 0 && !is_sig && eol != 0) {
		rc = put_spaces(out, f->spaces - (f->delsp ? 1 : 0));
		f->in_para = true;
		f->para_depth = f->depth;
		f->held = eol;
		return rc;
	}
	f->in_para = false;
	rc = put_spaces(out, f->spaces);
	if (rc == MF_OK && eol != 0)
		rc = put_eol(out, f->lf, eol);
	return rc;
}

/* The byte at position tlen + spaces + k of the text: still "-- "? */
static void
fl_sig(struct flowed *f, unsigned char c, size_t k)
{
	size_t pos = f->tlen + f->spaces + k;

	f->sig = f->sig && pos < 3 && c == (unsigned char)"-- "[pos];
}

/*
 * Text bytes of a line (after quote marks and stuffing) from p[0..n), up
 * to a CR or LF; *used gets the bytes taken. Trailing spaces are held
 * back: they decide whether the line is flowed.
 */
static int
fl_text(struct flowed *f, mf_buf *out, const char *p, size_t n, size_t *used)
{
	const char *lf = memchr(p, '\n', n), *cr;
	size_t j = lf != NULL ? (size_t)(lf - p) : n, t, k;
	int rc = MF_OK;

	cr = memchr(p, '\r', j);
	if (cr != NULL)
		j = (size_t)(cr - p);
	*used = j;
	for (k = 0; f->sig && k < j; k++)
		fl_sig(f, (unsigned char)p[k], k);
	for (t = j; t > 0 && p[t - 1] == ' ';)
		t--;
	if (t == 0) {
		f->spaces += j;
		return MF_OK;
	}
	rc = fl_qsp(f, out);
	if (rc == MF_OK)
		rc = put_spaces(out, f->spaces);
	if (rc == MF_OK)
		rc = mf__buf_put(out, p, t);
	f->tlen += f->spaces + t;
	f->spaces = j - t;
	return rc;
}

/* A held CR that turned out not to start CRLF: it is text. */
static int
fl_cr_text(struct flowed *f, mf_buf *out)
{
	int rc;

	fl_sig(f, '\r', 0);
	rc = fl_qsp(f, out);
	if (rc == MF_OK)
		rc = put_spaces(out, f->spaces);
	if (rc == MF_OK)
		rc = mf__buf_putc(out, '\r');
	f->tlen += f->spaces + 1;
	f->spaces = 0;
	return rc;
}

/* Feeds p[0..n) to the unwrapper, appending to out; final ends the text. */
static int
fl_feed(struct flowed *f, mf_buf *out, const char *p, size_t n, bool final)
{
	size_t i = 0, used = 0;
	int rc;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (f->cr) {
			/* A held CR: CRLF ends the line, else it is text. */
			f->cr = false;
			if (c == '\n') {
				rc = fl_eol(f, out, 2);
				i++;
				if (rc < 0)
					return rc;
				continue;
			}
			rc = fl_cr_text(f, out);
			if (rc < 0)
				return rc;
		}
		switch (f->st) {
		case F_START:
			f->depth = 0;
			f->st = F_QUOTE;
			/* fall through */
		case F_QUOTE:
			if (c == '>') {
				f->depth++;
				i++;
				continue;
			}
			rc = fl_decide(f, out);
			if (rc < 0)
				return rc;
			if (c == ' ')
				i++; /* space-stuffing */
			continue;
		default:
			break;
		}
		if (c == '\n') {
			rc = fl_eol(f, out, 1);
			i++;
		} else if (c == '\r') {
			f->cr = true;
			i++;
			rc = MF_OK;
		} else {
			rc = fl_text(f, out, p + i, n - i, &used);
			i += used;
		}
		if (rc < 0)
			return rc;
	}
	if (!final)
		return MF_OK;
	if (f->cr) {
		f->cr = false;
		rc = fl_cr_text(f, out);
		if (rc < 0)
			return rc;
	}
	if (f->st == F_QUOTE) {
		rc = fl_decide(f, out);
		if (rc < 0)
			return rc;
	}
	if (f->st == F_TEXT)
		return fl_eol(f, out, 0);
	if (f->in_para) {
		f->in_para = false;
		return put_eol(out, f->lf, f->held);
	}
	return MF_OK;
}

int
mf_flowed_decode(mf_buf *out, const char *in, size_t n, unsigned flags)
{
	struct flowed f;
	size_t start;
	int rc;

	if (out == NULL || (in == NULL && n > 0) ||
	    (flags & ~MF_FLOWED_DELSP) != 0)
		return MF_E_INVAL;
	start = out->len;
	fl_init(&f, (flags & MF_FLOWED_DELSP) != 0, false);
	rc = fl_feed(&f, out, in, n, true);
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}
/* ---------------------------------------------------------------------- */
/* The decoder                                                             */
/* ---------------------------------------------------------------------- */

/* Segments of text for charset conversion (see the top of the file). */
#define SEG_MIN 4096
#define SEG_MAX 65536

/* Stateful charsets, whose segments must not start in a shifted state. */
enum { ST_NONE = 0, ST_ISO2022, ST_UTF7 };

enum {
	CS_OFF = 0, /* no conversion */
	CS_GUESS,   /* us-ascii or unknown: UTF-8 or windows-1252 per line */
	CS_ASCII,   /* an ASCII-compatible charset */
	CS_WIDE     /* UTF-16, UTF-32, UCS-2, UCS-4: code units */
};

struct mf_content_dec {
	mf_opts o;
	bool text; /* convert, and maybe unwrap and LF */
	bool flowed, lf;
	int csmode;
	mf__cs cs;
	unsigned unit;          /* CS_WIDE: 2 or 4 */
	bool sniff;             /* "utf-16" / "utf-32": the BOM decides */
	bool cs_tried;          /* the charset has converted a segment */
	int stateful;           /* ST_ISO2022, ST_UTF7: shift states */
	unsigned char carry[16]; /* escapes that set the shift state ... */
	size_t ncarry;           /* ... at the start of this segment */
	unsigned char carry_next[16]; /* ... and of the next one */
	size_t ncarry_next;
	size_t seg_scan;        /* bytes of the open segment known to have no
	                           line end from SEG_MIN - 1 on */
	uint64_t body_off;      /* absolute offset of the body */
	uint64_t raw_off;       /* raw bytes consumed */
	uint64_t dec_off;       /* transfer-decoded bytes before pend */
	bool unquote;        /* MF_MBOX: ">From " quoting undone first */
	mf__unq unq;
	mf_buf *unq_dst;     /* where its segments are transfer-decoded */
	mf__xfer xf;         /* the transfer decoder (codec.h) */
	uint64_t codec_seen; /* codec defects already reported */
	mf_buf pend;         /* decoded text waiting for a segment end */
	mf_buf conv;         /* converted text for the flowed / LF stage */
	struct flowed fl;
	bool safe;  /* MF_SAFE_TEXT */
	bool scr;   /* safe stage: a CR held back */
	mf_buf sbuf; /* safe stage output */
	bool cr; /* LF stage: a CR held back */
	bool finished;
	uint64_t defects;
	int rc; /* sticky error */
	uint64_t err_off;
	const char *err_reason;
};

static bool
is_str(mf_str s, const char *t)
{
	return mf__ieq(s.ptr, s.len, t, strlen(t));
}

static int
fail(mf_content_dec *d, int rc, uint64_t off, const char *reason)
{
	if (d->rc == MF_OK) {
		d->rc = rc;
		d->err_off = off;
		d->err_reason = reason != NULL ? reason : mf_strerror(rc);
	}
	return d->rc;
}

/* Records a defect once per body; strict mode makes it the error. */
static int
defect(mf_content_dec *d, int code, uint64_t off)
{
	int rc;

	if (d->defects & MF_DEFECT_BIT(code))
		return MF_OK;
	rc = mf__defect(&d->o, &d->defects, code, off);
	if (rc < 0)
		return fail(d, rc, off, mf_defect_str(code));
	return MF_OK;
}

/* The flags of mf_part_decode and mf_content_dec_new. */
#define DEC_FLAGS                                                              \
	(MF_CONTENT_TEXT | MF_CONTENT_FLOWED | MF_LF | MF_SAFE_TEXT | MF_MBOX |  \
	 MF_MBOX_RD)

/* Flags the content decoder refuses: unknown bits, MF_MBOX_RD alone. */
static bool
bad_flags(unsigned flags)
{
	return (flags & ~DEC_FLAGS) != 0 ||
	       (flags & (MF_MBOX | MF_MBOX_RD)) == MF_MBOX_RD;
}

/* Sets up d for the body of p (its description is copied). */
static void
dec_init(mf_content_dec *d, const mf_part *p, unsigned flags, const mf_opts *o)
{
	const mf_param *pm;

	memset(d, 0, sizeof(*d));
	if (o != NULL)
		d->o = *o;
	mf__buf_init(&d->pend, &d->o.alloc);
	mf__buf_init(&d->conv, &d->o.alloc);
	mf__buf_init(&d->sbuf, &d->o.alloc);
	if (bad_flags(flags) || (d->o.flags & ~MF_STRICT) != 0) {
		/* Refused: every call on d returns the error. */
		(void)fail(d, MF_E_INVAL, 0, "unknown flag");
		return;
	}
	(void)mf__xfer_init(&d->xf, mf_part_cte(p));
	/* The body came from an mbox: undo its writer's ">From " quoting
	 * (mboxo, or mboxrd with MF_MBOX_RD) before anything else. */
	d->unquote = (flags & MF_MBOX) != 0;
	d->unq.rd = (flags & MF_MBOX_RD) != 0;
	mf_part_offsets(p, NULL, &d->body_off, NULL);
	if (flags & (MF_CONTENT_FLOWED | MF_LF | MF_SAFE_TEXT))
		flags |= MF_CONTENT_TEXT;
	d->text = (flags & MF_CONTENT_TEXT) && is_str(mf_part_type(p), "text");
	if (!d->text)
		return;
	d->lf = (flags & MF_LF) != 0;
	d->safe = (flags & MF_SAFE_TEXT) != 0;
	if ((flags & MF_CONTENT_FLOWED) &&
	    is_str(mf_part_subtype(p), "plain")) {
		pm = mf_part_param(p, "format", 6);
		if (pm != NULL && is_str(pm->value, "flowed")) {
			bool delsp;

			pm = mf_part_param(p, "delsp", 5);
			delsp = pm != NULL && is_str(pm->value, "yes");
			d->flowed = true;
			fl_init(&d->fl, delsp, d->lf);
		}
	}
	{
		mf_str cs = mf_part_charset(p);

		mf__cs_resolve(&d->cs, cs.ptr, cs.len);
	}
	d->csmode = CS_ASCII;
	switch (d->cs.id) {
	case MF__CS_ASCII:
		d->csmode = CS_GUESS;
		break;
	case MF__CS_UTF16:
	case MF__CS_UTF32:
		d->sniff = true;
		/* fall through */
	case MF__CS_UTF16LE:
	case MF__CS_UTF16BE:
	case MF__CS_UTF32LE:
	case MF__CS_UTF32BE:
		d->csmode = CS_WIDE;
		d->unit = d->cs.id == MF__CS_UTF32 ||
		                  d->cs.id == MF__CS_UTF32LE ||
		                  d->cs.id == MF__CS_UTF32BE
		              ? 4
		              : 2;
		break;
	default:
		/* Charsets for iconv that are not ASCII-compatible. */
		if (d->cs.id == MF__CS_EXT &&
		    (strncmp(d->cs.label, "ucs-2", 5) == 0 ||
		     strncmp(d->cs.label, "ucs2", 4) == 0 ||
		     strcmp(d->cs.label, "iso-10646-ucs-2") == 0)) {
			d->csmode = CS_WIDE;
			d->unit = 2;
		} else if (d->cs.id == MF__CS_EXT &&
		           (strncmp(d->cs.label, "ucs-4", 5) == 0 ||
		            strncmp(d->cs.label, "ucs4", 4) == 0 ||
		            strcmp(d->cs.label, "iso-10646-ucs-4") == 0)) {
			d->csmode = CS_WIDE;
			d->unit = 4;
		} else if (d->cs.id == MF__CS_EXT &&
		           (strncmp(d->cs.label, "iso-2022", 8) == 0 ||
		            strncmp(d->cs.label, "iso2022", 7) == 0 ||
		            strncmp(d->cs.label, "csiso2022", 9) == 0)) {
			d->stateful = ST_ISO2022;
		} else if (d->cs.id == MF__CS_EXT &&
		           (strcmp(d->cs.label, "utf-7") == 0 ||
		            strcmp(d->cs.label, "utf7") == 0 ||
		            strcmp(d->cs.label, "unicode-1-1-utf-7") == 0)) {
			d->stateful = ST_UTF7;
		}
		break;
	}
}

static void
dec_fini(mf_content_dec *d)
{
	mf__buf_fini(&d->pend);
	mf__buf_fini(&d->conv);
	mf__buf_fini(&d->sbuf);
}

/* ---- stage 4: line ends, and the output of the text stages ---- */

/*
 * MF_SAFE_TEXT: p[0..n) (whole UTF-8 characters) into d->sbuf with every
 * C0 control but TAB, LF and the CR of a CRLF, DEL and every C1 control
 * as U+FFFD (a bare CR too: it moves the cursor back over the line). A CR
 * at the end waits for the next bytes.
 */
static int
safe_stage(mf_content_dec *d, const char *p, size_t n, bool final)
{
	static const char repl[] = "\xEF\xBF\xBD";
	const unsigned char *s = (const unsigned char *)p;
	size_t i, run = 0;
	int rc = MF_OK;

	mf__buf_cut(&d->sbuf, 0);
	if (d->scr && (n > 0 || final)) {
		d->scr = false;
		rc = n > 0 && s[0] == '\n' ? mf__buf_putc(&d->sbuf, '\r')
					    : mf__buf_put(&d->sbuf, repl, 3);
	}
	for (i = 0; i < n && rc == MF_OK;) {
		size_t k = 0;

		if (s[i] == '\r')
			k = i + 1 == n ? 1 : s[i + 1] == '\n' ? 0 : 1;
		else if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') ||
			 s[i] == 0x7F)
			k = 1;
		else if (s[i] == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 &&
			 s[i + 1] <= 0x9F)
			k = 2;
		if (k == 0) {
			i++;
			continue;
		}
		rc = mf__buf_put(&d->sbuf, p + run, i - run);
		if (rc == MF_OK && s[i] == '\r' && i + 1 == n && !final)
			d->scr = true; /* decided by the next byte */
		else if (rc == MF_OK)
			rc = mf__buf_put(&d->sbuf, repl, 3);
		i += k;
		run = i;
	}
	if (rc == MF_OK && n > run)
		rc = mf__buf_put(&d->sbuf, p + run, n - run);
	return rc;
}

/* Appends converted text p[0..n) through the safe, flowed and LF stages. */
static int
emit_text(mf_content_dec *d, mf_buf *out, const char *p, size_t n, bool final)
{
	size_t i = 0;
	int rc;

	if (d->safe) {
		rc = safe_stage(d, p, n, final);
		if (rc < 0)
			return rc;
		p = d->sbuf.data;
		n = d->sbuf.len;
	}
	if (d->flowed)
		return fl_feed(&d->fl, out, p, n, final);
	if (!d->lf)
		return n > 0 ? mf__buf_put(out, p, n) : MF_OK;
	while (i < n) {
		const char *cr;
		size_t k;

		if (d->cr) {
			d->cr = false;
			if (p[i] != '\n') {
				rc = mf__buf_putc(out, '\r');
				if (rc < 0)
					return rc;
			}
		}
		cr = memchr(p + i, '\r', n - i);
		k = cr != NULL ? (size_t)(cr - p) : n;
		rc = mf__buf_put(out, p + i, k - i);
		if (rc < 0)
			return rc;
		i = k;
		if (i < n) {
			d->cr = true;
			i++;
		}
	}
	if (final && d->cr) {
		d->cr = false;
		return mf__buf_putc(out, '\r');
	}
	return MF_OK;
}

/* ---- stage 2: charset conversion ---- */

/* Converts the segment p[0..n) (at decoded offset off) into dst. */
static int
convert(mf_content_dec *d, mf_buf *dst, const char *p, size_t n, uint64_t off)
{
	size_t start = dst->len, bad = MF__CS_NOBAD, i;
	bool nul;
	int rc;

	if (n == 0)
		return MF_OK;
	if (d->csmode != CS_GUESS) {
		const char *in = p;
		size_t len = n;
		mf_buf tmp;

		mf__buf_init(&tmp, &d->o.alloc);
		rc = MF_OK;
		if (d->ncarry > 0) {
			/* The shift state a cut inside a shifted run left
			 * behind (stateful_cut). */
			rc = mf__buf_put(&tmp, d->carry, d->ncarry);
			if (rc == MF_OK)
				rc = mf__buf_put(&tmp, p, n);
			in = tmp.data;
			len = tmp.len;
		}
		if (rc == MF_OK)
			rc = mf__cs_decode(dst, &d->cs, in, len, &d->o, &bad);
		mf__buf_fini(&tmp);
		if (bad != MF__CS_NOBAD)
			bad = bad > d->ncarry ? bad - d->ncarry : 0;
		if (rc == MF_E_CHARSET && !d->cs_tried) {
			/* Nobody knows the charset: guess, line by line. */
			d->csmode = CS_GUESS;
			rc = defect(d, MF_D_CHARSET_UNKNOWN, off);
			if (rc < 0)
				return rc;
		} else if (rc < 0) {
			return fail(d, rc, off, NULL);
		}
		d->cs_tried = true;
	}
	if (d->csmode == CS_GUESS) {
		if (mf__utf8_valid(p, n)) {
			/* Every line is valid UTF-8: one call does them all. */
			rc = mf__cs_guess(dst, p, n, &bad);
		} else {
			for (i = 0; i < n;) {
				const char *nl = memchr(p + i, '\n', n - i);
				size_t k =
				    nl != NULL ? (size_t)(nl - p) + 1 : n;
				size_t b = MF__CS_NOBAD;

				rc = mf__cs_guess(dst, p + i, k - i, &b);
				if (rc < 0)
					break;
				if (b != MF__CS_NOBAD && bad == MF__CS_NOBAD)
					bad = i + b;
				i = k;
			}
		}
		if (rc < 0)
			return fail(d, rc, off, NULL);
	}
	if (bad != MF__CS_NOBAD) {
		rc = defect(d, MF_D_CHARSET_INVALID, off + bad);
		if (rc < 0)
			return rc;
	}
	rc = mf__utf8_fix_nul(dst, start, &nul);
	if (rc < 0)
		return fail(d, rc, off, NULL);
	if (nul) {
		const char *z = memchr(p, 0, n);

		rc = defect(d, MF_D_NUL,
		            off + (z != NULL && d->csmode != CS_WIDE
		                       ? (size_t)(z - p)
		                       : 0));
	}
	return rc;
}

/*
 * Where to cut a line longer than lim in a stateful charset. A segment is
 * converted on its own, starting in the initial shift state, and lines
 * end in it (RFC 1468, RFC 1557, RFC 1922, RFC 2152 runs); a long line is
 * cut at the last point before lim where the text is in that state again
 * (ISO-2022: ASCII designated to G0 and shifted in; UTF-7: outside a
 * base64 run). With no such point (lim bytes of one shifted run), it is
 * cut between characters and the escape sequences or "+" that set the
 * state go in d->carry_next, to be put before the next segment.
 */
/* The ISO-2022 shift state, and the escapes that set it. */
struct iso {
	bool ascii, shifted;     /* G0 is ASCII (or Roman); SO in effect */
	unsigned char g0[4], g1[4];
	size_t ng0, ng1;
};

/*
 * Applies the escape sequence at p[0..n) (ESC, intermediates 0x20-0x2F, a
 * final byte) to st; returns its length, or 0 when n ends inside it.
 */
static size_t
iso_escape(struct iso *st, const unsigned char *p, size_t n)
{
	size_t j = 1;

	while (j < n && j < 4 && p[j] >= 0x20 && p[j] <= 0x2F)
		j++;
	if (j >= n)
		return 0;
	j++;
	if (j >= 3 && p[1] == '(' && (p[2] == 'B' || p[2] == 'J')) {
		st->ascii = true;
	} else if (j >= 3 && j <= 4 &&
	           (p[1] == '(' || (p[1] == '$' && (j == 3 || p[2] == '(')))) {
		st->ascii = false; /* another set in G0 */
		memcpy(st->g0, p, j);
		st->ng0 = j;
	} else if (j >= 3 && j <= 4) {
		memcpy(st->g1, p, j); /* G1-G3 ("ESC $ ) C") */
		st->ng1 = j;
	}
	return j;
}

/* Applies the byte or escape at p[0..n); its length (0: incomplete). */
static size_t
iso_step(struct iso *st, const unsigned char *p, size_t n)
{
	if (p[0] == 0x1B)
		return iso_escape(st, p, n);
	if (p[0] == 0x0E)
		st->shifted = true;
	else if (p[0] == 0x0F)
		st->shifted = false;
	return 1;
}

static size_t
stateful_cut(mf_content_dec *d, const unsigned char *p, size_t lim)
{
	size_t i = 0, cut = 0, run = 0, k;

	d->ncarry_next = 0;
	if (d->stateful == ST_UTF7) {
		/* In a base64 run if the last cut carried one over. */
		bool b64 = d->ncarry > 0;

		for (i = 0; i < lim; i++) {
			unsigned char c = p[i];

			if (b64 && ((c >= 'A' && c <= 'Z') ||
			            (c >= 'a' && c <= 'z') ||
			            (c >= '0' && c <= '9') || c == '+' || c == '/'))
				continue;
			if (b64) {
				b64 = false; /* "-" is absorbed, else taken */
				if (c == '-') {
					cut = i + 1;
					continue;
				}
			}
			if (c == '+') {
				if (i + 1 >= lim)
					break; /* "+-" or a run: cut before */
				if (p[i + 1] != '-') {
					b64 = true;
					run = i + 1;
					continue;
				}
				i++; /* "+-" is "+": never cut between */
			}
			cut = i + 1;
		}
		if (cut > 0 || !b64)
			return cut > 0 ? cut : lim;
		/* 8 base64 characters are 48 bits: 3 UTF-16 units. */
		k = run + (lim - run) / 8 * 8;
		if (k == run)
			return lim;
		d->carry_next[0] = '+';
		d->ncarry_next = 1;
		return k;
	} else {
		struct iso st;

		memset(&st, 0, sizeof(st));
		st.ascii = true;
		/* The state the segment starts in: what the last cut
		 * carried over. */
		for (k = 0; k < d->ncarry;) {
			size_t l = iso_step(&st, d->carry + k, d->ncarry - k);

			if (l == 0)
				break; /* cannot happen: carries are whole */
			k += l;
		}
		while (i < lim) {
			size_t l = iso_step(&st, p + i, lim - i);

			if (l == 0)
				break; /* cut before an escape that lim cuts */
			if (p[i] == 0x1B || p[i] == 0x0E || p[i] == 0x0F)
				run = i + l;
			i += l;
			if (st.ascii && !st.shifted)
				cut = i;
		}
		if (cut > 0)
			return cut;
		/* One shifted run: cut between two-byte characters. */
		k = run + (lim - run) / 2 * 2;
		if (k == run)
			return lim;
		memcpy(d->carry_next, st.g1, st.ng1);
		d->ncarry_next = st.ng1;
		if (!st.ascii) {
			memcpy(d->carry_next + d->ncarry_next, st.g0, st.ng0);
			d->ncarry_next += st.ng0;
		}
		if (st.shifted)
			d->carry_next[d->ncarry_next++] = 0x0E;
		return k;
	}
}

/*
 * The length of the next segment of pend[0..n), or 0 when more input is
 * needed to know it (final: everything left is a segment).
 */
static size_t
seg_len(mf_content_dec *d, const unsigned char *p, size_t n, bool final)
{
	size_t k, i;

	if (d->csmode == CS_WIDE) {
		if (n < SEG_MAX)
			return final ? n : 0;
		k = SEG_MAX;
		if (d->unit == 2) {
			/* Never split a surrogate pair: is the last unit a
			 * high surrogate (in either byte order)? */
			bool le = d->cs.id == MF__CS_UTF16LE;
			unsigned char hi = le ? p[k - 1] : p[k - 2];

			if (hi >= 0xD8 && hi <= 0xDB)
				k -= 2;
		}
		return k;
	}
	if (n >= SEG_MIN) {
		const unsigned char *nl;
		size_t lim = n < SEG_MAX ? n : SEG_MAX;
		size_t from =
		    d->seg_scan > SEG_MIN - 1 ? d->seg_scan : SEG_MIN - 1;

		/* The first line end from SEG_MIN - 1 on (where an earlier
		 * call stopped looking: chunks may be tiny). */
		nl = from < lim ? memchr(p + from, '\n', lim - from) : NULL;
		if (nl != NULL)
			return (size_t)(nl - p) + 1;
		d->seg_scan = lim;
		if (n > SEG_MAX && d->stateful != ST_NONE)
			return stateful_cut(d, p, SEG_MAX);
		if (n > SEG_MAX) {
			/* A very long line: cut after an ASCII byte below
			 * "0" (never part of a multibyte character in the
			 * ASCII-compatible charsets), else between UTF-8
			 * characters (p[SEG_MAX] is known: n > SEG_MAX). */
			for (i = SEG_MAX; i > SEG_MAX / 2; i--)
				if (p[i - 1] < 0x30)
					return i;
			k = SEG_MAX;
			for (i = 0; i < 3 && (p[k] & 0xC0) == 0x80; i++)
				k--;
			return k;
		}
	}
	return final ? n : 0;
}

/*
 * The byte order of "utf-16" / "utf-32" text, from its first
 * MF__WIDE_SAMPLE bytes (a byte order mark, else the data; see
 * mf__wide_order), so that a streamed body decides as a whole one does.
 */
static int
sniff(mf_content_dec *d, size_t *skip, bool final)
{
	const unsigned char *p = (const unsigned char *)d->pend.data;
	size_t n = d->pend.len;
	const char *cs;
	int le;

	*skip = 0;
	if (n < MF__WIDE_SAMPLE && !final)
		return 0;
	le = mf__wide_order(p, n, d->unit, skip);
	if (d->unit == 2)
		cs = le ? "utf-16le" : "utf-16be";
	else
		cs = le ? "utf-32le" : "utf-32be";
	mf__cs_resolve(&d->cs, cs, strlen(cs));
	d->sniff = false;
	return 1;
}

/* Converts the complete segments of pend (all of it when final). */
static int
drain(mf_content_dec *d, mf_buf *out, bool final)
{
	const unsigned char *p;
	size_t pos = 0, n, skip = 0;
	mf_buf *dst = d->flowed || d->lf || d->safe ? &d->conv : out;
	int rc = MF_OK;

	if (d->sniff && !sniff(d, &skip, final))
		return MF_OK;
	pos = skip;
	p = (const unsigned char *)d->pend.data;
	n = d->pend.len;
	while (n > pos) {
		size_t k = seg_len(d, p + pos, n - pos, final);

		if (k == 0)
			break;
		mf__buf_cut(&d->conv, 0);
		/* Offsets: in the input when the body is not transfer-encoded
		 * (the decoded bytes are the input's, but for the ">" that
		 * unquoting dropped), else in the decoded content. */
		rc = convert(d, dst, (const char *)p + pos, k,
			     (d->xf.codec == NULL
				  ? d->body_off + d->unq.dropped
				  : 0) +
				 d->dec_off + pos);
		memcpy(d->carry, d->carry_next, d->ncarry_next);
		d->ncarry = d->ncarry_next;
		d->ncarry_next = 0;
		if (rc == MF_OK && dst == &d->conv)
			rc =
			    emit_text(d, out, d->conv.data, d->conv.len, false);
		if (rc < 0)
			return fail(d, rc, d->body_off + d->raw_off, NULL);
		pos += k;
		d->seg_scan = 0;
	}
	if (final)
		rc = emit_text(d, out, NULL, 0, true);
	if (rc < 0)
		return fail(d, rc, d->body_off + d->raw_off, NULL);
	if (pos > 0) {
		memmove(d->pend.data, d->pend.data + pos, n - pos);
		mf__buf_cut(&d->pend, n - pos);
		d->dec_off += pos;
	}
	return MF_OK;
}

/* ---- stage 1: transfer decoding ---- */

/* Reports the defects a codec state collected (each once). */
static int
codec_defects(mf_content_dec *d, uint64_t mask, uint64_t off)
{
	uint64_t fresh = mask & ~d->codec_seen;
	int code;

	d->codec_seen |= mask;
	for (code = 0; fresh != 0 && code < 64; code++) {
		if (fresh & MF_DEFECT_BIT(code)) {
			int rc = defect(d, code, d->body_off + off);

			if (rc < 0)
				return rc;
			fresh &= ~MF_DEFECT_BIT(code);
		}
	}
	return MF_OK;
}

/*
 * Transfer-decodes in[0..n) (or ends the codec when final) onto the end
 * of dst.
 */
static int
transfer(mf_content_dec *d, mf_buf *dst, const char *in, size_t n, bool final)
{
	size_t need, outlen = 0;
	uint64_t mask, off;
	mf_error e;
	int rc;

	if (d->xf.codec == NULL && (final || n == 0))
		return MF_OK;
	need = mf__xfer_len(&d->xf, n);
	if (need == SIZE_MAX || dst->cap - dst->len <= need) {
		rc = need == SIZE_MAX ? MF_E_NOMEM : mf__buf_grow(dst, need);
		if (rc < 0)
			return fail(d, rc, d->body_off + d->raw_off, NULL);
	}
	memset(&e, 0, sizeof(e));
	if (!final)
		rc = mf__xfer_update(&d->xf, dst->data + dst->len, need, in, n,
		                     &outlen, &e);
	else
		rc = mf__xfer_final(&d->xf, dst->data + dst->len, need, &outlen,
		                    &e);
	if (rc == MF_OK) {
		/* Offsets in the raw body: the ">" unquoting dropped
		 * before them count. */
		mask = mf__xfer_defects(&d->xf, &off);
		rc = codec_defects(d, mask, off + d->unq.dropped);
	}
	if (rc < 0)
		return fail(d, rc, d->body_off + e.offset, e.reason);
	dst->len += outlen;
	dst->data[dst->len] = '\0';
	return MF_OK;
}

/* ---- the pipeline ---- */

/* A segment of the unquoted body, for the transfer decoder. */
static int
unq_seg(void *ctx, const char *p, size_t n)
{
	mf_content_dec *d = ctx;

	return transfer(d, d->unq_dst, p, n, false);
}

/* Decodes in[0..n), or ends the body when final. */
static int
dec_run(mf_content_dec *d, mf_buf *out, const char *in, size_t n, bool final)
{
	size_t start = out->len;
	int rc;

	if (d->rc != MF_OK)
		return d->rc;
	if (d->finished)
		return fail(d, MF_E_STATE, d->body_off + d->raw_off,
		            "decoder already finished");
	if (n == 0 && !final)
		return MF_OK;
	d->finished = final;
	if (d->unquote) {
		d->unq_dst = d->text ? &d->pend : out;
		rc = mf__unq_feed(&d->unq, in != NULL ? in : "", n, final,
		                  unq_seg, d);
		if (rc == MF_OK && final)
			rc = transfer(d, d->unq_dst, NULL, 0, true);
	} else {
		rc = transfer(d, d->text ? &d->pend : out, in, n, final);
	}
	d->raw_off += n;
	if (rc == MF_OK && d->text)
		rc = drain(d, out, final);
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}

mf_content_dec *
mf_content_dec_new(const mf_part *p, unsigned flags, const mf_opts *o)
{
	mf_content_dec *d;

	if (p == NULL)
		return NULL;
	d = mf__alloc(o != NULL ? &o->alloc : NULL, sizeof(*d));
	if (d == NULL)
		return NULL;
	dec_init(d, p, flags, o);
	return d;
}

int
mf_content_dec_update(mf_content_dec *d, mf_buf *out, const char *in, size_t n)
{
	if (d == NULL || out == NULL || (in == NULL && n > 0))
		return MF_E_INVAL;
	return dec_run(d, out, in, n, false);
}

int
mf_content_dec_final(mf_content_dec *d, mf_buf *out)
{
	if (d == NULL || out == NULL)
		return MF_E_INVAL;
	return dec_run(d, out, NULL, 0, true);
}

int
mf_content_dec_error(const mf_content_dec *d, mf_error *err)
{
	if (d == NULL)
		return mf__err(err, MF_E_INVAL, 0, "NULL decoder");
	if (d->rc == MF_OK)
		return mf__err(err, MF_OK, 0, "no error");
	return mf__err(err, d->rc, (size_t)d->err_off, d->err_reason);
}

uint64_t
mf_content_dec_defects(const mf_content_dec *d)
{
	return d != NULL ? d->defects : 0;
}

void
mf_content_dec_free(mf_content_dec *d)
{
	mf_alloc a;

	if (d == NULL)
		return;
	a = d->o.alloc;
	dec_fini(d);
	mf__release(&a, d);
}

int
mf_part_decode(const mf_part *p, mf_buf *out, unsigned flags, const mf_opts *o,
               uint64_t *defects, mf_error *err)
{
	mf_content_dec d;
	mf_str body;
	size_t start;
	int rc;

	if (p == NULL || out == NULL || p->tree == NULL ||
	    p->kind == MF_PART_MULTIPART)
		return mf__err(err, MF_E_INVAL, 0, "not a leaf of a tree");
	if (bad_flags(flags))
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	body = mf_part_body(p);
	start = out->len;
	dec_init(&d, p, flags, o);
	rc = dec_run(&d, out, body.ptr, body.len, false);
	if (rc == MF_OK)
		rc = dec_run(&d, out, NULL, 0, true);
	if (defects != NULL)
		*defects |= d.defects;
	if (rc < 0) {
		mf__buf_cut(out, start);
		mf__err(err, rc, (size_t)d.err_off, d.err_reason);
	}
	dec_fini(&d);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Body selection: RFC 8621 (JMAP Mail) 4.1.4                              */
/* ---------------------------------------------------------------------- */

/*
 * RFC 8621 4.1.4 gives the textBody, htmlBody and attachments of a message
 * as a recursive function, parseStructure(parts, multipartType,
 * inAlternative, htmlBody, textBody, attachments), first called with the
 * root alone, "mixed" and false. For each part, at index i:
 *
 *  - A multipart (type multipart/...) is descended: its children get its
 *    subtype as multipartType, and inAlternative || subtype ==
 *    "alternative".
 *  - Otherwise the part is "inline" when its disposition is not
 *    "attachment", its type is text/plain, text/html or an inline media
 *    type (image/..., audio/..., video/...), and either i == 0 or (the
 *    multipart is not multipart/related and the part is inline media or
 *    has no name). Everything else goes to attachments: message/rfc822
 *    (never descended), other text types, named text after the first
 *    part, the parts after the first of a multipart/related.
 *  - An inline part directly inside multipart/alternative goes to
 *    textBody if text/plain, to htmlBody if text/html, else to
 *    attachments.
 *  - Elsewhere an inline part goes to textBody and htmlBody, both when
 *    both lists are still there; but inside an alternative, a text/plain
 *    part drops htmlBody and a text/html part drops textBody for the rest
 *    of that call (the lists are the call's own variables: the caller
 *    keeps its lists). An inline media part goes to attachments as well
 *    when either list was dropped (so an image of a plain-text branch is
 *    still offered).
 *  - At the end of a multipart/alternative call that had both lists: if
 *    it added to htmlBody but not to textBody, the html parts it added
 *    are appended to textBody, and the other way round (one view only:
 *    the other falls back to it).
 *
 * The walk below does the same without recursion or allocation. Per open
 * call (level lv; 0 is the call around the root) it needs whether each
 * list was dropped, and at the end of an alternative call whether each
 * list grew since the call began. A list dropped by a call is dropped in
 * every call inside it, so one number per list, the level that dropped
 * it, says which calls have it. A push grows the list for every open call
 * at once, so the calls that saw one since they began are the levels
 * below a mark (a push at lv sets it to lv + 1; closing level lv lowers
 * it to lv). When an alternative call copies one list into the other,
 * the parts to copy are the other list's pushes inside that multipart;
 * no copy happened inside it (a copy would have grown the list it lacks)
 * and copies only happen at disjoint multiparts, so they are found again
 * by walking its subtree once more, keeping only that list: linear time
 * overall.
 */

#define NONE SIZE_MAX

struct sel {
	int which; /* the list stored */
	int copy;  /* sub-walk: the list whose pushes are stored */
	const mf_part **out;
	size_t cap, n;
};

static void
push(struct sel *s, int list, const mf_part *p)
{
	if (list != (s->copy != 0 ? s->copy : s->which))
		return;
	if (s->n < s->cap)
		s->out[s->n] = p;
	s->n++;
}

static bool
is_type(const mf_part *p, const char *type)
{
	mf_str t = mf_part_type(p);

	return t.len == strlen(type) && memcmp(t.ptr, type, t.len) == 0;
}

static bool
is_sub(const mf_part *p, const char *sub)
{
	mf_str t = mf_part_subtype(p);

	return t.len == strlen(sub) && memcmp(t.ptr, sub, t.len) == 0;
}

static bool
is_media(const mf_part *p)
{
	return is_type(p, "image") || is_type(p, "audio") ||
	       is_type(p, "video");
}

static void walk(struct sel *s, const mf_part *top);

/* The end of the call for multipart m at level lv. */
struct walk {
	size_t lv;           /* level of the current call */
	size_t tdrop, hdrop; /* level that dropped textBody / htmlBody */
	size_t tmark, hmark; /* calls below the mark saw a push */
	size_t alts;         /* open alternative calls */
};

static void
leave(struct sel *s, struct walk *w, const mf_part *m)
{
	size_t lv = w->lv;

	if (is_sub(m, "alternative")) {
		if (s->copy == 0 && w->tdrop == NONE && w->hdrop == NONE) {
			bool tgrew = w->tmark > lv, hgrew = w->hmark > lv;

			if (!tgrew && hgrew) {
				/* textBody falls back to the html parts. */
				if (s->which == MF_BODY_TEXT) {
					s->copy = MF_BODY_HTML;
					walk(s, m);
					s->copy = 0;
				}
				w->tmark = lv + 1;
			} else if (tgrew && !hgrew) {
				if (s->which == MF_BODY_HTML) {
					s->copy = MF_BODY_TEXT;
					walk(s, m);
					s->copy = 0;
				}
				w->hmark = lv + 1;
			}
		}
		w->alts--;
	}
	if (w->tdrop == lv)
		w->tdrop = NONE;
	if (w->hdrop == lv)
		w->hdrop = NONE;
	if (w->tmark > lv)
		w->tmark = lv;
	if (w->hmark > lv)
		w->hmark = lv;
	w->lv--;
}

/*
 * Whether p, a part that is not a multipart, is inline: shown in the
 * bodies rather than offered as an attachment (first: it is the first
 * part of parent, NULL for the root of the walk).
 */
static bool
is_inline(const mf_part *p, const mf_part *parent, bool first)
{
	bool tx = is_type(p, "text") &&
		  (is_sub(p, "plain") || is_sub(p, "html"));
	bool media = is_media(p);
	mf_str disp = mf_part_disposition(p);

	return !(disp.len == 10 && memcmp(disp.ptr, "attachment", 10) == 0) &&
	       (tx || media) &&
	       (parent == NULL || first ||
		(!is_sub(parent, "related") &&
		 (media || mf_part_filename(p).len == 0)));
}

/* A part that is not a multipart, in the call at level w->lv. */
static void
leaf(struct sel *s, struct walk *w, const mf_part *p, const mf_part *parent)
{
	bool text = is_type(p, "text") && is_sub(p, "plain");
	bool html = is_type(p, "text") && is_sub(p, "html");
	bool media = is_media(p);
	bool alt = parent != NULL && is_sub(parent, "alternative");
	bool first = parent != NULL && mf_part_child(parent, 0) == p;
	bool inl = is_inline(p, parent, first);

	if (!inl) {
		push(s, MF_BODY_ATTACHMENTS, p);
		return;
	}
	if (alt) {
		if (text) {
			push(s, MF_BODY_TEXT, p);
			w->tmark = w->lv + 1;
		} else if (html) {
			push(s, MF_BODY_HTML, p);
			w->hmark = w->lv + 1;
		} else {
			push(s, MF_BODY_ATTACHMENTS, p);
		}
		return;
	}
	if (w->alts > 0) {
		if (text && w->hdrop == NONE)
			w->hdrop = w->lv;
		if (html && w->tdrop == NONE)
			w->tdrop = w->lv;
	}
	if (w->tdrop == NONE) {
		push(s, MF_BODY_TEXT, p);
		w->tmark = w->lv + 1;
	}
	if (w->hdrop == NONE) {
		push(s, MF_BODY_HTML, p);
		w->hmark = w->lv + 1;
	}
	if ((w->tdrop != NONE || w->hdrop != NONE) && media)
		push(s, MF_BODY_ATTACHMENTS, p);
}

/* parseStructure([top], "mixed", false, ...) without recursion. */
static void
walk(struct sel *s, const mf_part *top)
{
	struct walk w = {0, NONE, NONE, 0, 0, 0};
	const mf_part *cur = top;

	for (;;) {
		const mf_part *parent = cur == top ? NULL : cur->parent;

		if (is_type(cur, "multipart")) {
			w.lv++;
			if (is_sub(cur, "alternative"))
				w.alts++;
			if (cur->first != NULL) {
				cur = cur->first;
				continue;
			}
			leave(s, &w, cur);
		} else {
			leaf(s, &w, cur, parent);
		}
		/* Next: a sibling, or the end of the calls being left. */
		for (;;) {
			if (cur == top)
				return;
			if (cur->next != NULL) {
				cur = cur->next;
				break;
			}
			cur = cur->parent;
			leave(s, &w, cur);
		}
	}
}

/*
 * The attachments list in input order (mf_part_is_attachment). A part is
 * added to it in leaf() only, and only from what came before it in the
 * input: its own description and place (inline or not, the multipart it
 * is in), and whether a text/plain or text/html part before it in an
 * enclosing multipart inside an alternative dropped a list. So the push
 * engine decides it for each part when its header block ends, keeping
 * what leaf() needs in the parts it has open (MF__SEL_* bits in sel):
 * whether a multipart's first child was seen, whether it is inside an
 * alternative, and the lists dropped in it (inherited from the multipart
 * around it, as a level's drop applies to every call inside it).
 */
void
mf__sel_begin(mf_part *p, mf_part *parent)
{
	if (parent == NULL || parent->kind != MF_PART_MULTIPART)
		return;
	if (!(parent->sel & MF__SEL_STARTED))
		p->sel |= MF__SEL_FIRST;
	parent->sel |= MF__SEL_STARTED;
}

void
mf__sel_decide(mf_part *p, mf_part *parent)
{
	bool text = is_type(p, "text") && is_sub(p, "plain");
	bool html = is_type(p, "text") && is_sub(p, "html");

	if (parent != NULL && parent->kind != MF_PART_MULTIPART)
		parent = NULL; /* the message of a message/rfc822 part */
	if (is_type(p, "multipart")) {
		if (parent != NULL)
			p->sel |= parent->sel & (MF__SEL_IN_ALT |
						 MF__SEL_NO_TEXT |
						 MF__SEL_NO_HTML);
		if (is_sub(p, "alternative"))
			p->sel |= MF__SEL_IN_ALT;
		return;
	}
	if (!is_inline(p, parent, (p->sel & MF__SEL_FIRST) != 0)) {
		p->sel |= MF__SEL_JMAP;
		return;
	}
	if (parent == NULL)
		return;
	if (is_sub(parent, "alternative")) {
		if (!text && !html)
			p->sel |= MF__SEL_JMAP;
		return;
	}
	if (parent->sel & MF__SEL_IN_ALT) {
		if (text)
			parent->sel |= MF__SEL_NO_HTML;
		if (html)
			parent->sel |= MF__SEL_NO_TEXT;
	}
	if (is_media(p) && (parent->sel & (MF__SEL_NO_TEXT | MF__SEL_NO_HTML)))
		p->sel |= MF__SEL_JMAP;
}

int
mf_part_is_attachment(const mf_part *p, int rule)
{
	mf_str disp;

	if (p == NULL)
		return MF_E_INVAL;
	switch (rule) {
	case MF_ATTACH_JMAP:
		return (p->sel & MF__SEL_JMAP) != 0;
	case MF_ATTACH_NAMED:
		if (is_type(p, "multipart"))
			return 0;
		disp = mf_part_disposition(p);
		return (disp.len == 10 &&
			memcmp(disp.ptr, "attachment", 10) == 0) ||
		       mf_part_filename(p).len > 0;
	default:
		return MF_E_INVAL;
	}
}

int
mf_msg_bodies(const mf_part *root, int which, const mf_part **out, size_t cap,
              size_t *n)
{
	struct sel s;

	if (n != NULL)
		*n = 0;
	if (root == NULL || root->tree == NULL || n == NULL ||
	    (out == NULL && cap > 0) ||
	    (which != MF_BODY_TEXT && which != MF_BODY_HTML &&
	     which != MF_BODY_ATTACHMENTS))
		return MF_E_INVAL;
	memset(&s, 0, sizeof(s));
	s.which = which;
	s.out = out;
	s.cap = cap;
	walk(&s, root);
	*n = s.n < cap ? s.n : cap;
	return s.n > cap ? MF_E_NOSPC : MF_OK;
}
