/* SPDX-License-Identifier: MIT */
/*
 * header.h - the header block machine (internal interface), the one engine
 * that reads RFC 5322 header blocks for mf_headers_parse, mf_headers_scan
 * and the MIME push parser.
 *
 * The machine is fed the input in chunks of any size (one chunk for the
 * whole input is the one-shot case) and hands back one event per call:
 *
 *	mf__hdr h;
 *	mf__hdr_init(&h, opts, off0);     off0: absolute offset of the block
 *	for each chunk p[0..n), eof set on the last call (n may be 0 then):
 *		while ((rc = mf__hdr_feed(&h, p, n, eof, &used, &ev)) == MF_OK) {
 *			p += used; n -= used;
 *			handle ev (MF__HDR_FIELD, MF__HDR_MBOX_FROM, MF__HDR_END);
 *			after MF__HDR_END the body begins at p (see below)
 *		}
 *		rc == MF_MORE: the chunk was consumed up to used (all of it
 *		unless the machine needs look-ahead, see below); feed the
 *		rest again with more input after it.
 *		rc < 0: error (h.err has code, absolute offset and reason).
 *	mf__hdr_fini(&h);
 *
 * Line classification (per physical line, line ends "\n" or "\r\n"; a CR
 * not followed by LF is content, MF_D_BARE_CR):
 *  - a UTF-8 byte order mark at absolute offset 0 followed by a field or a
 *    From_ line is skipped (MF_D_BOM; mf__hdr_bom);
 *  - first line starting with "From " that is not a field: the mbox From_
 *    line (MF__HDR_MBOX_FROM, MF_D_MBOX_FROM); a line starting ">From "
 *    that is not a field, first or right after that line: a From_ line
 *    quoted by an mbox writer (a forwarded message), also
 *    MF__HDR_MBOX_FROM, as MimeKit reads it;
 *  - starting with SP or HTAB: continuation of the field before it (or,
 *    with no field before it, a field with an empty name, MF_D_CONT_FIRST);
 *  - empty ("\n" or "\r\n"): end of the block, the body follows it;
 *  - name [WSP] ":" ...: a new field; the name is any bytes but controls,
 *    SP and ":" (non-ftext ones flagged MF_D_BAD_FIELD_NAME), white space
 *    before the colon is MF_D_WS_BEFORE_COLON;
 *  - anything else right after a field, when the line after it is a
 *    well-formed field (ftext name and ":"): a stray line, kept as an
 *    unindented continuation of that field (MF_D_STRAY_LINE; RFC 7103 7.2,
 *    option 3 and the heuristic after it); the stray line is at most
 *    max_field_len bytes with its line end, does not start with "--" (a
 *    MIME delimiter after a header without its empty line) or "From " (an
 *    mbox separator), and both lines start before max_header_bytes;
 *  - anything else: the body begins on this line (MF_D_NO_BLANK_LINE).
 *
 * Look-ahead: to classify a line the machine may need the start of the
 * line after it (at most max_field_len bytes of each). When a chunk ends
 * before it can decide, it returns MF_MORE with *used short of n: the
 * bytes from p + *used on were not consumed and must be fed again, with
 * more input after them (at most 2 max_field_len + 2 bytes are ever held
 * so). At eof it always decides. Nothing consumed is ever handed back.
 *
 * A field is complete when the first bytes of the next line are seen (or
 * at eof), so MF__HDR_FIELD arrives whole, once. Its views (ev->f.name,
 * ev->f.value, ev->raw) point into the current chunk when the field lay
 * within it (zero-copy) or into the machine's buffer, and are valid until
 * the next call. Fields longer than max_field_len are truncated to their
 * first max_field_len bytes (MF_D_HEADER_LIMIT; the machine never buffers
 * more), but offset and raw_len always describe the whole field in the
 * input, and ev->f.eol its final line end (0 none, 1 LF, 2 CRLF): a
 * byte-exact writer copies input [offset, offset + raw_len).
 *
 * End of the block (MF__HDR_END): ev->body_off is the absolute offset of
 * the body. After a blank line the machine has consumed it (used reaches
 * the body); when the body begins on a non-header line, that line is not
 * consumed (used stops at body_off). At eof without a blank line the body
 * is empty (MF_D_EOF_IN_HEADER if the last line had no line end).
 *
 * Limits (mf_limits, 0 = default): max_headers - fields after it are
 * parsed but not delivered (MF_D_HEADER_LIMIT once); max_header_bytes - a
 * non-blank line (continuation lines included) starting at or after it
 * ends the block there and the rest is body (MF_D_HEADER_LIMIT);
 * max_field_len as above. With MF_STRICT each limit is MF_E_LIMIT and each
 * defect MF_E_DEFECT, with the offset. Defects go to the field's mask
 * (ev->f.defects), the block's mask (h.defects) and the option's
 * callback, each kind at most once per field.
 */
#ifndef MF_HEADER_H
#define MF_HEADER_H

#include "core.h"

enum mf__hdr_evtype {
	MF__HDR_FIELD = 1,     /* ev->f is a complete field */
	MF__HDR_MBOX_FROM = 2, /* ev->f.value is the From_ line, name empty */
	MF__HDR_END = 3        /* end of the block; body at ev->body_off */
};

typedef struct mf__hdr_ev {
	int type;            /* enum mf__hdr_evtype */
	mf_field f;          /* FIELD, MBOX_FROM */
	mf_str raw;          /* FIELD, MBOX_FROM: the (kept) bytes of the field */
	uint64_t body_off;   /* END */
} mf__hdr_ev;

/* What the start of a line said: a field's name and colon. */
struct mf__hname {
	size_t name_len;   /* bytes of the name */
	size_t colon;      /* index of the colon */
	bool ws_colon;     /* white space before the colon */
	bool name_ok;      /* all ftext, colon right after */
};

typedef struct mf__hdr {
	const mf_opts *o;
	size_t max_field, max_bytes, max_headers;
	uint64_t start;    /* absolute offset of the block */
	uint64_t pos;      /* absolute offset of the next byte to be fed */
	int state;
	bool first_line;   /* no line classified yet */
	bool after_from;   /* right after an unquoted From_ line */
	bool bom;          /* a byte order mark was skipped */
	/* What the look-ahead of the last call decided about the next line. */
	bool next_ok;      /* it is a field named next */
	struct mf__hname next;
	bool end_next;     /* the body begins on it */
	/* The field (or line) being accumulated. */
	bool in_field;
	bool buffered;     /* its bytes are in buf, not a view of the chunk */
	bool last_cr;      /* the byte before the chunk start was CR */
	uint64_t f_off;    /* absolute offset of its first byte */
	size_t name_len;   /* bytes of the name */
	size_t colon;      /* index of the colon, SIZE_MAX if none */
	unsigned eol;      /* line end of its last complete line */
	bool ws_colon;     /* white space before the colon */
	bool odd;          /* its value may hold an anomaly (see scan_line) */
	bool stray;        /* it took in a stray line (MF_D_STRAY_LINE) */
	uint64_t stray_off;
	bool name_ok;      /* its name is known to be ftext, colon right after */
	const char *view;  /* its first byte when not buffered */
	const char *seg;   /* first byte of the chunk not yet in buf */
	mf_buf buf;
	size_t nfields;    /* fields delivered */
	bool limit_seen;   /* MF_D_HEADER_LIMIT for max_headers recorded */
	uint64_t defects;  /* every defect of the block */
	mf_error err;      /* the error, when mf__hdr_feed failed */
	int rc;            /* sticky error */
} mf__hdr;

/* off0 is the absolute offset of the block's first byte. */
void mf__hdr_init(mf__hdr *h, const mf_opts *o, uint64_t off0);
void mf__hdr_fini(mf__hdr *h);
/*
 * Consumes bytes of p[0..n) until an event: returns MF_OK with *ev filled
 * and *used bytes consumed, MF_MORE when the chunk (up to *used: see
 * "Look-ahead") was consumed without completing one (never with eof set),
 * or a negative error (sticky; details in h->err). After MF__HDR_END it
 * returns MF_E_STATE.
 */
int mf__hdr_feed(mf__hdr *h, const char *p, size_t n, bool eof, size_t *used,
		 mf__hdr_ev *ev);

/*
 * Whether p[0..n) starts with a UTF-8 byte order mark to skip before a
 * header block: 3 when a field or a From_ (or ">From ") line follows it,
 * 0 when not, -1 when more bytes are needed to tell (never at eof).
 */
int mf__hdr_bom(const char *p, size_t n, bool eof, size_t max_field);

/* Field classes for folding and for structured parsers. */
enum mf__fclass {
	MF__F_UNSTRUCTURED = 0,
	MF__F_ADDRESS,  /* From, To, Cc, Bcc, Reply-To, Sender, Resent-* ... */
	MF__F_MSGID,    /* Message-ID, In-Reply-To, References, Content-ID */
	MF__F_PARAMS,   /* Content-Type, Content-Disposition, DKIM ... */
	MF__F_RECEIVED  /* Received */
};

int mf__field_class(const char *name, size_t n);

/*
 * mf_date_parse with defect offsets shifted by off0 (for dates inside a
 * larger value, such as Received); err offsets stay relative to p.
 */
int mf__date_parse(const char *p, size_t n, const mf_opts *o, uint64_t off0,
		   mf_date *d, uint64_t *defects, mf_error *err);

/*
 * The operating system's randomness (mf_random_fn; lib/msgid.c), for the
 * callers of a random source given as NULL.
 */
int mf__os_random(void *ctx, void *buf, size_t n);

#endif /* MF_HEADER_H */
