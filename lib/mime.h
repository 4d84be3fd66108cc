/* SPDX-License-Identifier: MIT */
/*
 * mime.h - internals of the MIME layer: the part object shared by the push
 * engine (mime.c) and the tree (tree.c), the tree itself for the writer
 * (write.c), the SIMD line scanner shared with the mbox iterator (mbox.c),
 * and the engine entry points the tree builder and the tests use.
 *
 * A part describes one header block and its body. The push engine keeps
 * one per open nesting level (its "transient" part: strings are views
 * into the current input chunk or copies in the level's arena, valid while
 * the part is open); the tree keeps one per part in the message's arena,
 * with views into the caller's input. Accessors (mf_part_*) read both.
 */
#ifndef MF_MIME_H
#define MF_MIME_H

#include "core.h"
#include "contype.h"

/*
 * A header field with the bytes it was written as. A generated one
 * (edit.c) has f.offset and f.raw_len 0 (it is in no input): the writer
 * gives its CRLF line ends as MF_LF asks, and copies the others as they
 * are.
 */
struct mf__hfield {
	mf_field f;
	mf_str raw; /* the field's bytes, final line end included */
};

/* A streamed leaf body (mf_part_new_fn). */
struct mf__stream {
	mf_read_fn *fn;
	void *ctx;
};

struct mf_part {
	int kind;          /* enum mf_part_kind */
	unsigned gen;      /* MF__GEN_*: what the writer generates (tree
			      only, edit.c; 0 in a parsed, unchanged tree) */
	size_t depth;
	uint64_t off_begin;  /* first byte: the From_ line when there is one */
	uint64_t off_header; /* first byte of the header block */
	uint64_t off_body;   /* first byte of the body */
	uint64_t off_end;    /* end of the body */
	bool has_from;
	mf_str from_line;  /* the From_ line as the event gave it (after the
			      line end before it, if any); in a tree, with
			      a ">From " line after it, if any */
	bool bom;          /* a UTF-8 byte order mark before it was skipped
			      (MF_D_BOM): off_begin + 3 is where it ends */
	struct mf__hfield *fields;
	size_t nfields;
	mf_str type, subtype; /* effective, lower case */
	bool ct_default;      /* no usable Content-Type: defaults applied */
	mf_params params;     /* Content-Type parameters, RFC 2231 resolved */
	mf_str disp;          /* disposition type, lower case */
	mf_params dparams;    /* Content-Disposition parameters */
	mf_str filename, charset, boundary;
	int cte;
	uint64_t defects;
	const mf_part *parent;
	unsigned sel;         /* MF__SEL_* (content.c) */

	/* Tree only (tree is NULL for an engine part). */
	const struct mf_msg *tree;
	mf_part *first, *last, *next; /* children of a multipart */
	mf_part **children;           /* the same, indexed (after the parse) */
	size_t nchildren;
	mf_part *message;      /* embedded message of a message part */
	mf_str delim;          /* the delimiter line before this child */
	mf_str hdr_end;        /* bytes from the last field to the body */
	mf_str body;           /* leaf body */
	mf_str preamble, close, epilogue;
	mf_part *all_next;     /* every part, in creation order */
	const struct mf__stream *rfn; /* streamed leaf body (edit.c) */
};

/* What the writer generates for a part (mf_part.gen). */
enum {
	MF__GEN_HDR_END = 1,  /* hdr_end is generated ("\r\n") */
	MF__GEN_BODY = 2,     /* leaf body generated in memory (encoded) */
	MF__GEN_CANON = 4,    /* ... with CRLF line ends only */
	MF__GEN_STREAM = 8,   /* leaf body read from rfn at write time */
	MF__GEN_DELIM = 16,   /* the delimiter line before this child */
	MF__GEN_DELIMS = 32,  /* multipart: every delimiter and the close
				 delimiter (a new boundary) */
	MF__GEN_FORCED = 64,  /* the transfer encoding was forced */
	MF__GEN_MOVED = 128,  /* put in its place by an edit */
	MF__GEN_CLOSE = 256   /* multipart: the close delimiter (its last
				 child was removed) */
};

struct mf_msg {
	mf__arena ar;
	const char *in;   /* the input (views point into it) */
	size_t n;
	mf_part **roots;
	size_t nroots;
	size_t nparts;
	uint64_t defects;
	mf_part *all;     /* first part in creation order */
	mf_type_fn *type_fn; void *type_ctx; /* mf_msg_set_type_fn (build.c) */

	/* Building and editing (edit.c). */
	unsigned flags;   /* MF_UTF8_OUT, MF_8BITMIME, MF_BINARYMIME */
	uint64_t rs;      /* boundary and id generator state (splitmix64) */
	bool rs_init;     /* rs is seeded (mf_msg_seed, or the OS once) */
	bool auto_id;     /* Message-ID is the automatic one */
	mf_part *all_last; /* last part in creation order */
	/* The domain of the first mailbox of the From field whose bytes are
	 * at fd_raw (made by edit.c: auto_msgid parses it no more), and the
	 * one of the From value field_new is making (fd_next, if fd_next_on). */
	const char *fd_raw;
	mf_str fd;
	mf_str fd_next;
	bool fd_next_on;
};

/* mf_hdr_fold for a field whose class (mf__field_class) the caller
 * knows already: cls, or -1 to find it (fold.c). */
int mf__hdr_fold_cls(mf_buf *out, const char *name, size_t namelen,
                     const char *value, size_t n, unsigned flags, size_t width,
                     int cls, mf_error *err);

/* The flags mf_msg_parse and mf_msg_new store in mf_msg.flags. */
#define MF__MSG_FLAGS (MF_UTF8_OUT | MF_8BITMIME | MF_BINARYMIME)

/*
 * The attachment decision of RFC 8621 4.1.4 (mf_part_is_attachment), made
 * in input order by the push engine (content.c explains why it can be):
 * mf__sel_begin when part p opens inside parent (may be NULL), and
 * mf__sel_decide when its description is complete. The parsed tree copies
 * the engine's decisions; a tree made another way must make them too, in
 * the same order (depth first, a part before its children).
 */
enum {
	MF__SEL_FIRST = 1,    /* the first part of its multipart */
	MF__SEL_STARTED = 2,  /* multipart: its first part has begun */
	MF__SEL_IN_ALT = 4,   /* multipart: inside an alternative */
	MF__SEL_NO_TEXT = 8,  /* multipart: textBody dropped in it */
	MF__SEL_NO_HTML = 16, /* multipart: htmlBody dropped in it */
	MF__SEL_JMAP = 32     /* an attachment by the JMAP rule */
};
void mf__sel_begin(mf_part *p, mf_part *parent);
void mf__sel_decide(mf_part *p, mf_part *parent);

/*
 * Calls fn on each string of pt's description (type, subtype, disposition,
 * filename, charset, boundary, then every parameter's name, value, raw,
 * charset and lang), stopping at the first negative return, which it
 * returns: the copies the engine (views leaving a window) and the tree
 * (views of the engine's part) make of them.
 */
int mf__part_strings(mf_part *pt, int (*fn)(void *ctx, mf_str *s), void *ctx);

/*
 * The first i >= from with p[i] == '\n' && p[i+1] == c1 && p[i+2] == c2
 * (the start of a line beginning with c1 c2), or n when there is none.
 * path: MF__SCAN_* (every path gives the same result).
 */
enum { MF__SCAN_SCALAR = 0, MF__SCAN_SSE2 = 1, MF__SCAN_AVX2 = 2 };
int mf__scan_best(void);
size_t mf__scan_nl2(int path, const char *p, size_t n, size_t from,
		    unsigned char c1, unsigned char c2);
/* The same with a second pair: "\n" c1 c2 or "\n" d1 d2. */
size_t mf__scan_nl4(int path, const char *p, size_t n, size_t from,
		    unsigned char c1, unsigned char c2, unsigned char d1,
		    unsigned char d2);
/* The first i >= from with p[i] == '\n' and p[i + 1] in set[0..3]. */
size_t mf__scan_nl1(int path, const char *p, size_t n, size_t from,
		    const unsigned char *set);
/* Tests: makes a parser use scanner path (before the first feed). */
void mf__parser_set_path(mf_parser *ps, int path);

/*
 * Feeds the last bytes of the input and finishes in one call (what
 * mf_msg_parse does: nothing is ever held back, so every view of every
 * event points into p).
 */
int mf__parser_feed_last(mf_parser *ps, const char *p, size_t n);

/*
 * Feeds p[0..n) cut at cuts[0..k) (increasing offsets), each chunk copied
 * to memory of its exact size (from the parser's allocator) that is freed
 * right after its feed call, so that a view kept too long or a read past
 * a chunk shows under ASan and valgrind; then finishes. The status of the
 * first call that fails (MF_E_INVAL for a bad cut), else MF_OK.
 */
int mf__parser_feed_split(mf_parser *ps, const char *p, size_t n,
			  const size_t *cuts, size_t k);

/*
 * Builds a tree from a parse of p[0..n) cut into the chunks of cuts[0..k)
 * (increasing offsets), each copied to separate memory that is freed
 * after use: the tests' and fuzzers' proof that a split parse gives the
 * same tree as a one-shot one. Every byte of that tree is a copy.
 */
int mf__msg_parse_split(const char *p, size_t n, const size_t *cuts,
			size_t k, const mf_opts *o, mf_msg **out,
			mf_error *err);

/*
 * MF_MBOX_CLEN (mbox.c), one rule for mf_mbox_next and the engine (a
 * header block that ends with an empty line, no From_ line in it): a
 * Content-Length value v (digits, then white space) in *cl; and whether
 * the message whose body starts at body in p[0..n) ends cl bytes later at
 * the end of the buffer or right before a From_ line, optionally after a
 * line end: *me gets the end, *next where the next message's From_ line
 * (or the end) is.
 */
bool mf__clen_value(mf_str v, uint64_t *cl);
/* Whether the body at p[body] follows an empty line that ends the header
 * block starting at start (the block was not cut short). */
bool mf__blank_before(const char *p, size_t start, size_t body);
bool mf__clen_end(const char *p, size_t n, uint64_t body, uint64_t cl,
		  size_t *me, size_t *next);

/*
 * Undoing ">From " quoting in a stream (mbox.c), one rule for
 * mf_mbox_unescape and content decoding with MF_MBOX: at a line start,
 * ">From " loses its ">" (mboxo), or with rd one ">" of any run before
 * "From " (mboxrd). Zero-initialised, rd set, at the start of the text;
 * fn gets the unquoted bytes in segments (views into the input where it
 * can), and its negative return stops the feed and is returned. dropped
 * counts the ">" removed so far.
 */
typedef struct mf__unq {
	bool rd;
	bool mid;          /* not at a line start */
	size_t gt;         /* ">" held at a line start */
	unsigned from;     /* bytes of "From " held after them */
	uint64_t dropped;
} mf__unq;
typedef int mf__unq_fn(void *ctx, const char *p, size_t n);
int mf__unq_feed(mf__unq *u, const char *p, size_t n, bool final,
		 mf__unq_fn *fn, void *ctx);

/*
 * Tells a parser that mf__parser_feed_last will give it the whole input
 * at once, so that it can honour MF_MBOX_CLEN (mf_msg_parse; the push
 * parser refuses the flag, as it cannot look that far ahead).
 */
void mf__parser_set_clen(mf_parser *ps);

#endif /* MF_MIME_H */
