/* SPDX-License-Identifier: MIT */
/*
 * mailfmt.h - the one public header of mailfmt, an embeddable C library for
 * Internet mail formats: RFC 5322 headers and addresses, MIME (RFC
 * 2045-2049), base64, quoted-printable, RFC 2047 encoded words, RFC 2231
 * parameters and charset conversion to UTF-8.
 *
 * Conventions (mailfmt(3) is the full manual):
 *  - Inputs are (const char *p, size_t n); nothing relies on NUL termination.
 *  - Status-returning functions give MF_OK (0), a negative MF_E_* code, or
 *    the positive MF_MORE for restartable codecs; mf_strerror() names them.
 *    Parsers also fill an optional mf_error with the byte offset of the
 *    first offending byte.
 *  - Results are views (mf_str) into the caller's buffer, bytes written to
 *    the caller's storage, or memory owned by an mf object with a _free.
 *  - There is no global state and no init call; every object can take its
 *    own allocator (mf_alloc). All-zero option structs mean safe defaults.
 */
#ifndef MAILFMT_H
#define MAILFMT_H

/*
 * Version. Change together with MAJOR/MINOR/PATCH in the Makefile (SONAME)
 * and add a node to lib/libmailfmt.map when a release adds symbols.
 */
#define MF_VERSION_MAJOR 0
#define MF_VERSION_MINOR 2
#define MF_VERSION_PATCH 0
#define MF_VERSION_STRING "0.2.0"
#define MF_VERSION_NUM                                                         \
	((MF_VERSION_MAJOR << 16) | (MF_VERSION_MINOR << 8) | MF_VERSION_PATCH)
#define MF_VERSION_AT_LEAST(x, y, z)                                           \
	(MF_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))

#if defined(__GNUC__) && __GNUC__ >= 4
#define MF_API __attribute__((visibility("default")))
#define MF_NODISCARD __attribute__((warn_unused_result))
#else
#define MF_API
#define MF_NODISCARD
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================== */
/* Status codes                                                            */
/* ====================================================================== */

/*
 * Negative values are errors, positive values normal special events (test
 * rc < 0). Values are stable: never renumbered or reused, only appended.
 */
enum mf_status {
	MF_OK = 0,
	MF_MORE = 1,        /* not an error: input incomplete, call again */
	MF_E_NOMEM = -1,    /* an allocation failed */
	MF_E_INVAL = -2,    /* invalid argument (NULL, bad flag, misuse) */
	MF_E_SYNTAX = -3,   /* input does not follow the grammar */
	MF_E_TRUNC = -4,    /* input ended in the middle of a construct */
	MF_E_LIMIT = -5,    /* a limit in mf_limits was exceeded */
	MF_E_NOSPC = -6,    /* caller's output buffer is too small */
	MF_E_CALLBACK = -7, /* a callback returned non-zero */
	MF_E_STATE = -8,    /* call not allowed in this state */
	MF_E_CHARSET = -9,  /* unknown or unsupported charset */
	MF_E_DEFECT = -10,  /* strict mode: a defect was found */
	MF_E_UTF8_OUT = -11 /* output needs raw UTF-8: only MF_UTF8_OUT
			       (RFC 6532, SMTPUTF8) can carry it */
};

/* Static, never NULL, for every code (unknown codes give a generic text). */
MF_API const char *mf_strerror(int code);

/*
 * Error details. code is the status, offset the byte offset of the first
 * offending byte in the input, reason a short static text.
 */
typedef struct mf_error {
	int code;
	size_t offset;
	const char *reason;
} mf_error;

/* ====================================================================== */
/* Defects: anomalies a lenient parser recovers from                       */
/* ====================================================================== */

/*
 * Each defect has a stable number below 64 so that a part or field can keep
 * a uint64_t mask of them (MF_DEFECT_BIT). Ranges: 0-11 header blocks,
 * 12-23 structured fields, 24-31 codecs and characters, 32-63 MIME
 * structure and content.
 */
enum mf_defect {
	/* header blocks (RFC 5322 2.2, 3.6, 4.5; RFC 7103) */
	MF_D_NO_BLANK_LINE = 0,   /* body began without an empty line */
	MF_D_WS_BEFORE_COLON = 1, /* "Subject : x" (obs-optional) */
	MF_D_MBOX_FROM = 2,       /* leading mbox "From " line */
	MF_D_CONT_FIRST = 3,      /* continuation line with no field before it */
	MF_D_8BIT_HEADER = 4,     /* header byte >= 0x80 that is not UTF-8 */
	MF_D_NUL = 5,             /* NUL byte in a header (or decoded text) */
	MF_D_BARE_CR = 6,         /* CR not followed by LF */
	MF_D_LONG_LINE = 7,       /* line over 998 octets (RFC 5322 2.1.1) */
	MF_D_HEADER_LIMIT = 8,    /* header count or size limit reached */
	MF_D_BAD_FIELD_NAME = 9,  /* empty name or a byte outside ftext */
	MF_D_EOF_IN_HEADER = 10,  /* input ended inside the header block */
	MF_D_UNTERMINATED = 11,   /* unterminated quote, comment or literal */

	/* structured fields (RFC 5322 3.3-3.6, 4; RFC 2045; RFC 2183) */
	MF_D_ADDR_EMPTY_ITEM = 12,   /* "To: , a@b" */
	MF_D_ADDR_NO_ANGLE_END = 13, /* "<a@b" with no ">" */
	MF_D_ADDR_SPECIALS = 14,     /* unquoted specials in a display name */
	MF_D_ADDR_NO_DOMAIN = 15,    /* local part without "@domain" */
	MF_D_TRAILING_GARBAGE = 16,  /* bytes after a complete value */
	MF_D_OBSOLETE = 17,          /* obsolete syntax (RFC 5322 4) */
	MF_D_EW_IN_QUOTES = 18,      /* encoded word inside a quoted string */
	MF_D_DATE_BAD_DOW = 19,      /* day-of-week disagrees with the date */
	MF_D_PARAM_DUPLICATE = 20,   /* parameter given twice */
	MF_D_PARAM_SYNTAX = 21,      /* malformed parameter (quote, "=") */
	MF_D_CT_SYNTAX = 22,         /* "text plain", missing subtype, ... */
	MF_D_FIELD_LIMIT = 23,       /* per-field count limit reached */

	/* codecs */
	MF_D_EW_MALFORMED = 24,      /* encoded word left literal */
	MF_D_EW_CHARSET = 25,        /* encoded word with unknown charset */
	MF_D_EW_LENIENT = 26,        /* encoded word not delimited by space */
	MF_D_CHARSET_INVALID = 27,   /* invalid sequence replaced by U+FFFD */
	MF_D_B64_JUNK = 28,          /* non-alphabet byte or bad padding */
	MF_D_QP_INVALID = 29,        /* "=" not followed by hex or line end */
	MF_D_UU_INVALID = 30,        /* malformed uuencode line */
	MF_D_BAD_CHAR = 31,          /* byte not allowed where it stands */

	/* MIME structure (RFC 2045, 2046) */
	MF_D_NO_BOUNDARY = 32,       /* multipart without boundary parameter */
	MF_D_NO_START_DELIM = 33,    /* multipart body without a delimiter
					(with text: a text/plain leaf) */
	MF_D_NO_CLOSE_DELIM = 34,    /* multipart ended without "--b--" */
	MF_D_BOUNDARY_MISMATCH = 35, /* delimiter differs from the parameter */
	MF_D_DEPTH_LIMIT = 36,       /* nesting limit: rest is an opaque leaf */
	MF_D_PART_LIMIT = 37,        /* part limit: rest is an opaque leaf */
	MF_D_UNKNOWN_CTE = 38,       /* unknown transfer encoding: identity */
	MF_D_CTE_NONSTANDARD = 39,   /* "7-bit", "Base64 ": normalised */
	MF_D_TRUNCATED = 40,         /* part cut by the end of the input */
	MF_D_MULTIPART_CTE = 41,     /* multipart with an encoding (2045 6.4) */

	/* content decoding */
	MF_D_CHARSET_UNKNOWN = 42,   /* text in a charset no converter knows */

	/* structured fields (continued) */
	MF_D_ADDR_NO_COMMA = 43,     /* "a@b c@d": addresses without "," */

	/* real-world recovery (RFC 7103) */
	MF_D_STRAY_LINE = 44,        /* line without colon between fields,
					kept as a continuation (7103 7.2) */
	MF_D_BOM = 45,               /* UTF-8 byte order mark before the
					header, skipped */
	MF_D_PARAM_NO_SEMICOLON = 46, /* parameters without ";" between */
	MF_D_CLOSE_TRAILING = 47,    /* text after "--b--" on its line */

	/* SMTP and POP3 (52-59; 44-51 are taken by recovery) */
	MF_D_BARE_LF = 52,           /* LF not preceded by CR (line protocols) */
	MF_D_SMTP_REPLY = 53         /* reply lines with different codes, or a
					bad enhanced status code */
};

#define MF_DEFECT_BIT(d) ((uint64_t)1 << ((unsigned)(d) & 63u))

/* Short static name ("no-blank-line") and one-line description; never NULL. */
MF_API const char *mf_defect_name(int defect);
MF_API const char *mf_defect_str(int defect);

/* Defect callback: off is the byte offset in the input it concerns. */
typedef void mf_defect_fn(void *ctx, int defect, uint64_t off);

/* ====================================================================== */
/* Spans and output buffers                                                */
/* ====================================================================== */

/* A view: not NUL-terminated, may contain NUL bytes. */
typedef struct mf_str {
	const char *ptr;
	size_t len;
} mf_str;

/*
 * Span helpers (mf_str(3)). MF_STR("lit") is the mf_str of a string
 * literal (C only), MF_LIT("lit") the two arguments "lit", 3 of the
 * (p, n) calls, both counted by the compiler. Print a span with
 * printf("Subject: " MF_STR_FMT "\n", MF_STR_ARG(s)): a NUL byte in s
 * ends what is printed, and s is evaluated more than once.
 */
#define MF_STR(lit) ((mf_str){"" lit, sizeof(lit) - 1})
#define MF_LIT(lit) "" lit, (sizeof(lit) - 1)
#define MF_STR_FMT "%.*s"
#define MF_STR_ARG(s)                                                          \
	((s).len < (size_t)0x7fffffff ? (int)(s).len : 0x7fffffff), (s).ptr

/* The span of the C string s (NULL: the empty span). */
MF_API mf_str mf_str_from(const char *s);
/* 1 if a and b hold the same bytes, else 0. */
MF_API int mf_str_eq(mf_str a, mf_str b);
/* 1 if a and b are equal ignoring ASCII case (bytes >= 0x80 exact). */
MF_API int mf_str_ieq(mf_str a, mf_str b);

/*
 * Allocator hooks (per object, never global). All NULL means libc. If any
 * is set, alloc and release must be; resize may be NULL (the library then
 * allocates, copies and releases). Members are not called malloc/free
 * because those are often macros.
 */
typedef struct mf_alloc {
	void *(*alloc)(void *ctx, size_t n);
	void *(*resize)(void *ctx, void *p, size_t n);
	void (*release)(void *ctx, void *p);
	void *ctx;
} mf_alloc;

/*
 * Growable output buffer. The data is always followed by a NUL byte (not
 * counted in the length) so text results can be used as C strings.
 */
typedef struct mf_buf mf_buf;

/* New empty buffer using allocator a (NULL: libc). NULL on no memory. */
MF_API mf_buf *mf_buf_new(const mf_alloc *a);
/* Frees the buffer and its data; accepts NULL. */
MF_API void mf_buf_free(mf_buf *b);
/* The bytes (NUL-terminated; "" when empty), valid until the next change. */
MF_API const char *mf_buf_data(const mf_buf *b);
MF_API size_t mf_buf_len(const mf_buf *b);
/* Empties the buffer, keeping its storage. */
MF_API void mf_buf_clear(mf_buf *b);
/* Appends n bytes; MF_E_NOMEM (buffer unchanged) or MF_E_LIMIT on overflow. */
MF_NODISCARD MF_API int mf_buf_append(mf_buf *b, const void *p, size_t n);
/* Makes room for n more bytes without changing the contents. */
MF_NODISCARD MF_API int mf_buf_reserve(mf_buf *b, size_t n);
/*
 * Hands the storage to the caller: *out gets the NUL-terminated bytes (to be
 * released with the buffer's allocator), *outlen their length; the buffer is
 * left empty. Data of an empty buffer is still allocated (one NUL byte).
 */
MF_NODISCARD MF_API int mf_buf_take(mf_buf *b, char **out, size_t *outlen);

/*
 * Appends the names (mf_defect_name) of the defects in mask, lowest first,
 * separated by sep (NULL: " "), to out; "defect-N" for a number without a
 * name, nothing for 0. MF_OK, or MF_E_NOMEM (out unchanged).
 */
MF_NODISCARD MF_API int mf_defects_names(mf_buf *out, uint64_t mask,
					 const char *sep);

/* ====================================================================== */
/* Limits and options                                                      */
/* ====================================================================== */

/*
 * Limits against hostile input. 0 means the default; values above the
 * compile-time hard cap are lowered to it (see mailfmt(3) for both).
 */
typedef struct mf_limits {
	size_t max_depth;         /* MIME nesting (default 100) */
	size_t max_parts;         /* MIME parts per message (10000) */
	size_t max_field_len;     /* bytes in one header field (64 KiB) */
	size_t max_header_bytes;  /* bytes in one header block (1 MiB) */
	size_t max_headers;       /* fields in one header block (1000) */
	size_t max_params;        /* parameters per field (128) */
	size_t max_addrs;         /* addresses per field (1000) */
	size_t max_encoded_words; /* encoded words per field (256) */
	size_t max_line_len;      /* SMTP line (1000); POP3: 255 for
				     commands, 512 for replies */
	size_t reserved[7];       /* zero */
} mf_limits;

/* Fills out with the effective limits for in (NULL: all defaults). */
MF_API void mf_limits_resolve(const mf_limits *in, mf_limits *out);

/*
 * Flags: one vocabulary for the whole library (mailfmt(3), FLAGS). Each
 * bit has one name and one meaning wherever it is accepted, whether as a
 * function's flags argument or in mf_opts.flags, and every function
 * rejects a bit it does not use with MF_E_INVAL (the man page of each
 * function lists the flags it takes).
 */
/* General: parsing, decoding, writing. */
#define MF_STRICT 0x1u       /* defects and lenient forms are errors */
#define MF_UTF8_OUT 0x2u     /* output headers may carry raw UTF-8
				(RFC 6532; SMTPUTF8) */
#define MF_LF 0x4u           /* output line ends are LF, not CRLF (text
				decoding: CRLF becomes LF) */
#define MF_SAFE_TEXT 0x8u    /* decoded display text: C0 and C1 controls
				but TAB, and DEL, become U+FFFD */
#define MF_8BITMIME 0x10u    /* the transport takes 8bit (RFC 6152) */
#define MF_BINARYMIME 0x20u  /* the transport takes binary (RFC 3030) */
#define MF_DOT_STUFF 0x40u   /* output is dot-stuffed for SMTP DATA */
#define MF_ACCEPT_LF 0x80u   /* line protocols: a bare LF ends a line
				(lenient; see mailfmt(3) on smuggling) */
/* Tokenizer (mf_lex_init). */
#define MF_LEX_COMMENTS 0x100u /* return comments as tokens */
#define MF_LEX_MIME 0x200u     /* RFC 2045 tokens and tspecials */
#define MF_LEX_DOTS 0x400u     /* atoms include dots (dot-atoms, domains) */
/* Codecs. */
#define MF_QP_BINARY 0x800u  /* QP encode: CR and LF are data (=0D, =0A) */
#define MF_QP_SAFE 0x1000u   /* QP encode: also "." and "From " at line
				start (safe through SMTP and mbox) */
#define MF_EW_Q 0x2000u      /* encoded words: always Q */
#define MF_EW_B 0x4000u      /* encoded words: always B */
#define MF_EW_PHRASE 0x8000u /* encoded words in a phrase: Q limited
				(RFC 2047 5(3)) */
/* MIME parsing, mbox, content. */
#define MF_DECODE 0x10000u   /* push parser: BODY events carry transfer-
				decoded bytes (base64, quoted-printable,
				uuencode) */
#define MF_MBOX 0x20000u     /* input is (or came from) an mbox */
#define MF_NO_BODY 0x40000u  /* push parser: no BODY, PREAMBLE or
				EPILOGUE events (structure only) */
#define MF_MBOX_CLEN 0x80000u /* mbox: trust a Content-Length that ends
				 at a From_ line or at the end */
#define MF_MBOX_RD 0x100000u  /* mbox: mboxrd (">>From " loses one ">") */
#define MF_CONTENT_TEXT 0x200000u   /* text/...: convert to UTF-8 */
#define MF_CONTENT_FLOWED 0x400000u /* text/plain; format=flowed: unwrap
				       (RFC 3676); implies MF_CONTENT_TEXT */
#define MF_FLOWED_DELSP 0x800000u   /* format=flowed with DelSp=yes */
/* Header fields. */
#define MF_RFC2231_CONT 0x1000000u /* RFC 2231 decode: a continuation
				      without charset'lang' */
#define MF_DATE_ISO 0x2000000u     /* dates as YYYY-MM-DDTHH:MM:SS+HH:MM */
/* SMTP leniency (strict by default, RFC 5321). */
#define MF_SMTP_COLON_SPACE 0x4000000u /* "MAIL FROM: <a@b>" */
#define MF_SMTP_BARE_PATH 0x8000000u   /* a path without "<" ">" */
#define MF_LONG_LINES 0x10000000u      /* lines over the limit tolerated */

/*
 * Charset hook (for embedded targets without iconv): converts in[0..n) from
 * charset cs to UTF-8, appending to out. Consulted for charsets that have no
 * built-in table, before iconv. Returns MF_OK, MF_E_CHARSET when it does not
 * know cs, or MF_E_NOMEM.
 */
typedef int mf_charset_fn(void *ctx, const char *cs, size_t cslen,
			  const char *in, size_t n, mf_buf *out);

/* Options for parsers and writers; all zero means sane defaults. */
typedef struct mf_opts {
	mf_alloc alloc;
	mf_limits limits;
	unsigned flags;            /* MF_STRICT, ... */
	mf_defect_fn *on_defect;   /* optional: every defect, with its offset */
	void *defect_ctx;
	mf_charset_fn *charset_fn; /* optional: extra charsets */
	void *charset_ctx;
	void *reserved[8];         /* zero */
} mf_opts;

/* ====================================================================== */
/* CPU features (runtime detection for SIMD paths)                         */
/* ====================================================================== */

#define MF_CPU_SSSE3 0x1u
#define MF_CPU_SSE42 0x2u
#define MF_CPU_AVX2 0x4u
#define MF_CPU_AVX512BW 0x8u /* AVX-512 F+BW+VL, with OS support */
#define MF_CPU_AVX512VBMI 0x10u

/* The SIMD features this CPU and OS offer that mailfmt can use. */
MF_API unsigned mf_cpu_features(void);

/* ====================================================================== */
/* Codecs: base64 (RFC 2045 6.8, RFC 4648)                                 */
/* ====================================================================== */

/*
 * Base64 (mf_b64_encode(3), mf_b64_decode(3)). One-shot functions plus
 * zero-initialisable streaming states fed in chunks of any size. Output
 * goes to (out, cap); a call whose output does not fit returns MF_E_NOSPC
 * and, for the streaming calls, consumes nothing (the state is unchanged).
 */
#define MF_B64_LINE 76     /* the MIME line length */

/*
 * Exact output size of mf_b64_encode for n bytes: line_len 0 is one line
 * without a line end; otherwise line_len is rounded down to a multiple of
 * 4 (minimum 4) and every line, the last too, ends with the line end.
 * SIZE_MAX on overflow.
 */
MF_API size_t mf_b64_encoded_len(size_t n, size_t line_len, unsigned flags);
/* Encodes in[0..n) into out; *outlen gets the length (no NUL is added). */
MF_NODISCARD MF_API int mf_b64_encode(char *out, size_t cap, const void *in,
				      size_t n, size_t line_len,
				      unsigned flags, size_t *outlen);
/* The same, appended to out (sized by the library). */
MF_NODISCARD MF_API int mf_b64_encode_buf(mf_buf *out, const void *in,
					  size_t n, size_t line_len,
					  unsigned flags);
/*
 * Upper bound of the bytes decoded from n input bytes, by mf_b64_decode
 * or by one mf_b64_dec_update (whatever the state) or mf_b64_dec_final.
 */
MF_API size_t mf_b64_decoded_len(size_t n);
/*
 * Decodes in[0..n), skipping whitespace, and other junk unless
 * MF_STRICT. *defects (may be NULL) gets MF_DEFECT_BIT(MF_D_B64_JUNK)
 * when junk or bad padding was skipped; err (may be NULL) the error offset.
 */
MF_NODISCARD MF_API int mf_b64_decode(void *out, size_t cap, const char *in,
				      size_t n, unsigned flags,
				      size_t *outlen, uint64_t *defects,
				      mf_error *err);

/*
 * Streaming encoder: set up with mf_b64_enc_init (all zero is also valid:
 * one line, no line end). mf_b64_enc_update with n bytes writes at most
 * mf_b64_encoded_len(n + 2, line_len, flags) bytes, mf_b64_enc_final at
 * most mf_b64_encoded_len(2, line_len, flags).
 */
typedef struct mf_b64_enc {
	size_t line_len_; /* 0, or a multiple of 4 */
	size_t col_;      /* characters on the current line */
	unsigned flags_;
	unsigned nbuf_;   /* bytes waiting for a complete group (0-2) */
	unsigned char buf_[4];
	uint64_t reserved[4]; /* zero */
} mf_b64_enc;

/* MF_E_INVAL for flags other than MF_LF (the state is then unusable). */
MF_NODISCARD MF_API int mf_b64_enc_init(mf_b64_enc *st, size_t line_len,
					unsigned flags);
MF_NODISCARD MF_API int mf_b64_enc_update(mf_b64_enc *st, char *out,
					  size_t cap, const void *in, size_t n,
					  size_t *outlen);
/* Writes the last group with its padding and line end; resets the state. */
MF_NODISCARD MF_API int mf_b64_enc_final(mf_b64_enc *st, char *out,
					 size_t cap, size_t *outlen);

/*
 * Streaming decoder: zero-initialised is ready; set flags before the first
 * update. Each update writes at most mf_b64_decoded_len(n) bytes, final at
 * most mf_b64_decoded_len(0). Error offsets count from the start of the
 * stream; after an error every call returns it again.
 */
typedef struct mf_b64_dec {
	unsigned flags;      /* MF_STRICT */
	uint64_t defects;    /* MF_DEFECT_BIT(MF_D_B64_JUNK) once junk seen */
	uint64_t defect_off; /* offset of the first defect */
	uint64_t off_;       /* input bytes consumed so far */
	uint64_t last_off_;  /* offset of the last alphabet byte */
	uint32_t acc_;       /* 6-bit groups of the open quantum */
	unsigned n_;         /* groups in the open quantum (0-3) */
	unsigned pad_;       /* 0, 1 after "xx=", 2 after full padding */
	int err_;            /* sticky error code, 0 if none */
	uint64_t err_off_;
	const char *err_reason_;
	uint64_t reserved[4]; /* zero */
} mf_b64_dec;

MF_NODISCARD MF_API int mf_b64_dec_update(mf_b64_dec *st, void *out,
					  size_t cap, const char *in, size_t n,
					  size_t *outlen, mf_error *err);
/* Ends the stream: decodes an unpadded last quantum (strict: MF_E_TRUNC). */
MF_NODISCARD MF_API int mf_b64_dec_final(mf_b64_dec *st, void *out,
					 size_t cap, size_t *outlen,
					 mf_error *err);

/* ====================================================================== */
/* Codecs: quoted-printable (RFC 2045 6.7)                                 */
/* ====================================================================== */

/*
 * Quoted-printable (mf_qp_encode(3), mf_qp_decode(3)), same shape as
 * base64. Encoded lines never exceed 76 characters.
 */
#define MF_QP_LINE 76
/* Whitespace before a line end that the decoder drops, at most. */
#define MF_QP_MAX_WSP 256

/*
 * Upper bound of the output of mf_qp_encode for n bytes, and of one
 * mf_qp_enc_update with n bytes or mf_qp_enc_final (n = 0). SIZE_MAX on
 * overflow.
 */
MF_API size_t mf_qp_encoded_len(size_t n, unsigned flags);
/* Encodes in[0..n) into out (MF_QP_BINARY, MF_LF, MF_QP_SAFE). */
MF_NODISCARD MF_API int mf_qp_encode(char *out, size_t cap, const void *in,
				     size_t n, unsigned flags,
				     size_t *outlen);
/* The same, appended to out (sized by the library). */
MF_NODISCARD MF_API int mf_qp_encode_buf(mf_buf *out, const void *in,
					 size_t n, unsigned flags);
/* Upper bound of mf_qp_decode's output, and of one update or final. */
MF_API size_t mf_qp_decoded_len(size_t n);
/*
 * Decodes in[0..n): soft breaks removed, hard line ends kept as they are,
 * whitespace before them dropped, invalid escapes kept literally
 * (MF_D_QP_INVALID in *defects) unless MF_STRICT.
 */
MF_NODISCARD MF_API int mf_qp_decode(void *out, size_t cap, const char *in,
				     size_t n, unsigned flags, size_t *outlen,
				     uint64_t *defects, mf_error *err);

/* Streaming encoder, set up by mf_qp_enc_init (all zero: text, CRLF). */
typedef struct mf_qp_enc {
	unsigned flags_;
	unsigned col_;          /* characters on the current output line */
	unsigned npend_;        /* input bytes held for lookahead (0-4) */
	unsigned char pend_[8];
	uint64_t reserved[4]; /* zero */
} mf_qp_enc;

/* MF_E_INVAL for flags other than MF_QP_BINARY, MF_LF and MF_QP_SAFE. */
MF_NODISCARD MF_API int mf_qp_enc_init(mf_qp_enc *st, unsigned flags);
MF_NODISCARD MF_API int mf_qp_enc_update(mf_qp_enc *st, char *out,
					 size_t cap, const void *in, size_t n,
					 size_t *outlen);
/* Writes the held bytes (trailing whitespace encoded); resets the state. */
MF_NODISCARD MF_API int mf_qp_enc_final(mf_qp_enc *st, char *out, size_t cap,
					size_t *outlen);

/*
 * Streaming decoder: zero-initialised is ready; set flags before the first
 * update. Error offsets count from the start of the stream; errors stick.
 */
typedef struct mf_qp_dec {
	unsigned flags;      /* MF_STRICT */
	uint64_t defects;    /* MF_DEFECT_BIT(MF_D_QP_INVALID) */
	uint64_t defect_off; /* offset of the first defect */
	uint64_t off_;       /* input bytes consumed so far */
	unsigned state_;
	unsigned char hex_;  /* first digit after "=" */
	unsigned wstart_;    /* held whitespace: ring of bits, 1 = HTAB */
	unsigned wn_;
	uint64_t wbits_[MF_QP_MAX_WSP / 64];
	int err_;            /* sticky error code, 0 if none */
	uint64_t err_off_;
	const char *err_reason_;
	uint64_t reserved[4]; /* zero */
} mf_qp_dec;

MF_NODISCARD MF_API int mf_qp_dec_update(mf_qp_dec *st, void *out, size_t cap,
					 const char *in, size_t n,
					 size_t *outlen, mf_error *err);
/* Ends the stream (strict: an escape cut by the end is MF_E_TRUNC). */
MF_NODISCARD MF_API int mf_qp_dec_final(mf_qp_dec *st, void *out, size_t cap,
					size_t *outlen, mf_error *err);

/* ====================================================================== */
/* Codecs: RFC 2047 encoded words                                          */
/* ====================================================================== */

/*
 * Decodes unstructured header text (RFC 2047 6.2; folded or not) to UTF-8,
 * appending to out. Lenient: malformed words stay literal
 * (MF_D_EW_MALFORMED), unknown charsets pass through (MF_D_EW_CHARSET),
 * words touching text set MF_D_EW_LENIENT, more than max_encoded_words
 * words leave the rest literal (MF_D_FIELD_LIMIT). MF_OK, MF_E_NOMEM, or
 * with MF_STRICT MF_E_DEFECT at the defect's offset (out unchanged).
 */
MF_NODISCARD MF_API int mf_ew_decode(mf_buf *out, const char *in, size_t n,
				     const mf_opts *o, uint64_t *defects,
				     mf_error *err);


/*
 * Appends UTF-8 text in[0..n) as a header value: words that need it
 * (non-ASCII, controls, "=?") become encoded words in charset (NULL:
 * utf-8), each <= 75 chars; lines are folded at width (0: never) given
 * that the value starts at column col. MF_E_CHARSET, MF_E_INVAL, MF_E_NOMEM.
 */
MF_NODISCARD MF_API int mf_ew_encode(mf_buf *out, const char *in, size_t n,
				     const char *charset, unsigned flags,
				     size_t col, size_t width);

/* ====================================================================== */
/* Codecs: RFC 2231 parameter values                                       */
/* ====================================================================== */


/*
 * Decodes one RFC 2231 extended value "charset'lang'%XX..." to UTF-8,
 * appending to out; *charset and *lang (may be NULL) get views into in.
 * With MF_RFC2231_CONT, in has no prefix and *charset (if set) names its
 * charset. Bad "%": literal + MF_D_PARAM_SYNTAX (strict: MF_E_DEFECT).
 */
MF_NODISCARD MF_API int mf_rfc2231_decode(mf_buf *out, const char *in,
					  size_t n, unsigned flags,
					  const mf_opts *o, mf_str *charset,
					  mf_str *lang, uint64_t *defects,
					  mf_error *err);
/*
 * Appends name=value, name="value", or for long or non-ASCII values
 * name*=cs''%XX / name*0*=cs''...; name*1*=... (RFC 2231 3, 4) folded
 * at width (0: never) from column col. charset NULL: utf-8.
 */
MF_NODISCARD MF_API int mf_rfc2231_encode(mf_buf *out, const char *name,
					  size_t namelen, const char *value,
					  size_t n, const char *charset,
					  unsigned flags, size_t col,
					  size_t width);

/* ====================================================================== */
/* Codecs: charsets to UTF-8                                               */
/* ====================================================================== */

/*
 * Converts in[0..n) from charset cs (IANA name or alias, case-insensitive,
 * quotes and whitespace trimmed) to UTF-8, appending to out. Order: built-in
 * converters, then o->charset_fn, then iconv (when built with it). Invalid
 * or unmappable input becomes U+FFFD and sets MF_D_CHARSET_INVALID (first
 * offset; strict: MF_E_DEFECT, out unchanged). Unknown charset: MF_E_CHARSET,
 * out unchanged. o, defects and err may be NULL.
 */
MF_NODISCARD MF_API int mf_charset_to_utf8(mf_buf *out, const char *cs,
					   size_t cslen, const char *in,
					   size_t n, const mf_opts *o,
					   uint64_t *defects, mf_error *err);
/*
 * The reverse, for encoders: UTF-8 in[0..n) to charset cs, appending to out;
 * unmappable characters become '?' (U+FFFD in UTF-16/32) and set
 * MF_D_CHARSET_INVALID. Built-in charsets, else iconv.
 */
MF_NODISCARD MF_API int mf_charset_from_utf8(mf_buf *out, const char *cs,
					     size_t cslen, const char *in,
					     size_t n, const mf_opts *o,
					     uint64_t *defects, mf_error *err);
/* 1 if cs can be converted to UTF-8 (built-in, the hook or iconv), else 0. */
MF_API int mf_charset_known(const char *cs, size_t cslen, const mf_opts *o);
/* Canonical lower-case MIME name for a label ("latin1": "iso-8859-1"), or
 * NULL when cs is neither built in nor a documented alias. Static storage. */
MF_API const char *mf_charset_name(const char *cs, size_t cslen);

/* ====================================================================== */
/* RFC 5322 tokenizer                                                      */
/* ====================================================================== */

/*
 * The tokenizer every structured parser in mailfmt uses, for callers that
 * parse header fields of their own (RFC 5322 3.2, RFC 2045 5.1).
 */
enum mf_tok_type {
	MF_TOK_END = 0,      /* no more tokens */
	MF_TOK_ATOM = 1,     /* atext run (or RFC 2045 token with MF_LEX_MIME) */
	MF_TOK_QSTRING = 2,  /* quoted string, quotes included */
	MF_TOK_COMMENT = 3,  /* comment, parentheses included (MF_LEX_COMMENTS) */
	MF_TOK_DLITERAL = 4, /* domain literal, brackets included */
	MF_TOK_SPECIAL = 5   /* any other single byte: specials, controls */
};

typedef struct mf_tok {
	int type;      /* enum mf_tok_type */
	mf_str text;   /* view into the input */
	size_t offset; /* byte offset of text in the input */
} mf_tok;


/* Caller-allocated tokenizer state; set it up with mf_lex_init. */
typedef struct mf_lexer {
	const char *p_, *base_, *end_;
	unsigned flags_;
	uint64_t defects; /* MF_D_UNTERMINATED, ... seen so far */
	void *reserved_[4];
} mf_lexer;

/* Starts tokenizing p[0..n); flags: MF_LEX_*, MF_STRICT (other bits:
 * MF_E_INVAL, and mf_lex_next refuses the lexer). */
MF_NODISCARD MF_API int mf_lex_init(mf_lexer *lx, const char *p, size_t n,
				    unsigned flags);
/*
 * Next token, skipping white space (and comments unless MF_LEX_COMMENTS).
 * Lenient: an unterminated construct extends to the end (MF_D_UNTERMINATED
 * in lx->defects). MF_STRICT: MF_E_TRUNC or MF_E_SYNTAX with the offset.
 */
MF_NODISCARD MF_API int mf_lex_next(mf_lexer *lx, mf_tok *tok, mf_error *err);
/*
 * Appends the text of a quoted string or comment token (delimiters, if
 * present, dropped; quoted-pairs resolved; folding line breaks removed).
 */
MF_NODISCARD MF_API int mf_unquote(mf_buf *out, const char *p, size_t n);
/*
 * Appends p[0..n) as a phrase (or, with MF_LEX_DOTS, a dot-atom) when it is
 * one, else as a quoted string. MF_E_INVAL for CR, LF or NUL in the text.
 */
MF_NODISCARD MF_API int mf_quote(mf_buf *out, const char *p, size_t n,
				 unsigned flags);

/* ====================================================================== */
/* Header blocks: parse, unfold, fold                                      */
/* ====================================================================== */

/*
 * One header field as the parser found it (RFC 5322 2.2). Spans point into
 * the caller's input. The field occupies input bytes [offset, offset +
 * raw_len), final line end included, so fields and the body offset account
 * for every byte of a header block. Library-filled; reserved is zeroed.
 */
typedef struct mf_field {
	mf_str name;      /* before the colon, trailing white space excluded */
	mf_str value;     /* raw (folded), from the first non-blank byte after
			     the colon up to the final line end, excluded */
	uint64_t offset;  /* absolute offset of the field's first byte */
	size_t raw_len;   /* bytes of the field, final line end included */
	uint64_t defects; /* MF_DEFECT_BIT mask of the field's anomalies */
	unsigned eol;     /* final line end: 0 (end of input), 1 (LF), 2 (CRLF) */
	unsigned reserved[3];
} mf_field;

/* A parsed header block (opaque; an index of views into the input). */
typedef struct mf_headers mf_headers;

/*
 * Parses the header block at p[0..n): *out gets the fields (views into p,
 * which must outlive *out), *body_off the offset where the body begins
 * (after the empty line). Lenient unless o has MF_STRICT; see
 * mf_headers_parse(3) for the defects and limits.
 */
MF_NODISCARD MF_API int mf_headers_parse(const char *p, size_t n,
					 const mf_opts *o, mf_headers **out,
					 size_t *body_off, mf_error *err);
/* Frees the index (not the input); accepts NULL. */
MF_API void mf_headers_free(mf_headers *h);
/* Number of fields, and field i in input order (NULL when out of range). */
MF_API size_t mf_headers_count(const mf_headers *h);
MF_API const mf_field *mf_headers_at(const mf_headers *h, size_t i);
/*
 * Next field named name (ASCII case-insensitive) at or after index *iter
 * (start with 0), or NULL; *iter is advanced past it, so a loop visits
 * every duplicate in order.
 */
MF_API const mf_field *mf_headers_get(const mf_headers *h, const char *name,
				      size_t namelen, size_t *iter);
/* MF_DEFECT_BIT mask of every defect found in the block and its fields. */
MF_API uint64_t mf_headers_defects(const mf_headers *h);
/*
 * The leading mbox "From " line (without its line end) if the block had
 * one: returns 1 and sets *line, else returns 0.
 */
MF_API int mf_headers_mbox_from(const mf_headers *h, mf_str *line);
/*
 * The same parse without allocation: fields[0..*nfields) in, count out
 * (MF_E_NOSPC when the array is full, err->offset at the field that did
 * not fit). The mbox From_ line, if any, is the bytes before the first
 * field; *defects (may be NULL) gets the block's defect mask.
 */
MF_NODISCARD MF_API int mf_headers_scan(const char *p, size_t n,
					const mf_opts *o, mf_field *fields,
					size_t *nfields, size_t *body_off,
					uint64_t *defects, mf_error *err);

/*
 * Appends p[0..n) unfolded (RFC 5322 2.2.3): every line break (CRLF, or
 * a bare LF) removed, the white space after it kept; one followed by text
 * (a stray line kept in a field, MF_D_STRAY_LINE) becomes a space.
 */
MF_NODISCARD MF_API int mf_hdr_unfold(mf_buf *out, const char *p, size_t n);
/*
 * Appends the unstructured value p[0..n) unfolded and RFC 2047-decoded to
 * UTF-8 (see mf_ew_decode). Defects go to *defects (may be NULL) and o's
 * callback, with offsets in p; MF_STRICT makes them errors.
 */
MF_NODISCARD MF_API int mf_hdr_decode(mf_buf *out, const char *p, size_t n,
				      const mf_opts *o, uint64_t *defects,
				      mf_error *err);


/*
 * Appends "Name: value" folded at width (0: 78) plus a line end. value is
 * unfolded UTF-8; non-ASCII text is RFC 2047-encoded unless flags has
 * MF_UTF8_OUT, which writes it as it is (a word over 998 octets is then
 * MF_E_LIMIT). Refuses CR, LF and NUL (header injection) with MF_E_INVAL;
 * out is unchanged on error.
 */
MF_NODISCARD MF_API int mf_hdr_fold(mf_buf *out, const char *name,
				    size_t namelen, const char *value,
				    size_t n, unsigned flags, size_t width,
				    mf_error *err);

/* ====================================================================== */
/* Addresses (RFC 5322 3.4)                                                */
/* ====================================================================== */

/*
 * An address list is a flat array of items: mailboxes, and the start and
 * end of each group with its members between them (RFC 5322 3.4). Strings
 * are views into the input when it needed no decoding, else they live in
 * the caller's scratch buffer (mf_addr_parse) or in the list object
 * (mf_addrs_parse). Lenient parsing recovers what real mail gets wrong and
 * records each anomaly as a defect (mf_addr_parse(3) lists them).
 */
enum mf_addr_kind {
	MF_ADDR_MAILBOX = 1,  /* name, local, domain, route */
	MF_ADDR_GROUP = 2,    /* group start: name is the group's name */
	MF_ADDR_GROUP_END = 3 /* end of the group opened last */
};

typedef struct mf_addr {
	int kind;          /* enum mf_addr_kind */
	mf_str name;       /* display name (or comment), UTF-8; len 0: none */
	mf_str local;      /* local part, unquoted */
	mf_str domain;     /* domain without CFWS, or [literal]; len 0: none */
	mf_str route;      /* obsolete route "@a,@b"; len 0: none */
	mf_str raw;        /* the item as written (view into the input) */
	size_t offset;     /* byte offset of raw in the input */
	uint64_t defects;  /* MF_DEFECT_BIT of this item's defects */
	void *reserved[4]; /* zero */
} mf_addr;

/*
 * Parses an address-list field value with no allocation: *count is the
 * capacity of out in and the number of items out; *scratch_len likewise
 * for scratch (decoded strings). MF_E_NOSPC when either is too small (the
 * items stored so far are complete); n + 1 items and 4 n + 1 scratch bytes
 * always suffice with the built-in charsets. defects (may be NULL) gets
 * the mask of all defects.
 */
MF_NODISCARD MF_API int mf_addr_parse(const char *p, size_t n,
				      const mf_opts *o, mf_addr *out,
				      size_t *count, char *scratch,
				      size_t *scratch_len, uint64_t *defects,
				      mf_error *err);
/*
 * Parses one bare addr-spec (local@domain, CFWS around it allowed; no
 * display name or angle brackets), as in SMTP paths or form input, into
 * *out; stricter than list parsing about folding and control characters.
 * MF_E_SYNTAX when there is neither local part nor domain.
 */
MF_NODISCARD MF_API int mf_addr_spec_parse(const char *p, size_t n,
					   const mf_opts *o, mf_addr *out,
					   char *scratch, size_t *scratch_len,
					   mf_error *err);

/* An address list owned by one object (arena-allocated). */
typedef struct mf_addrs mf_addrs;

/* Parses like mf_addr_parse into a new object; views may point into p. */
MF_NODISCARD MF_API int mf_addrs_parse(const char *p, size_t n,
				       const mf_opts *o, mf_addrs **out,
				       mf_error *err);
MF_API size_t mf_addrs_count(const mf_addrs *l);
/* Item i, owned by l; NULL when out of range. Items are contiguous. */
MF_API const mf_addr *mf_addrs_at(const mf_addrs *l, size_t i);
/* The first mailbox (a group's member if a group comes first), or NULL
 * when there is none: the author of a From field. */
MF_API const mf_addr *mf_addrs_first_mailbox(const mf_addrs *l);
/* Mask of every defect found while parsing. */
MF_API uint64_t mf_addrs_defects(const mf_addrs *l);
/* Frees the list and everything it owns; accepts NULL. */
MF_API void mf_addrs_free(mf_addrs *l);


/*
 * Appends items a[0..n) as an address list: names quoted only where needed
 * and RFC 2047-encoded when not ASCII (raw with MF_UTF8_OUT) or holding
 * controls, canonical addr-specs, folded between addresses so lines stay
 * within width columns (0: no folding) when the output starts at col.
 */
MF_NODISCARD MF_API int mf_addr_format(mf_buf *out, const mf_addr *a,
				       size_t n, unsigned flags, size_t col,
				       size_t width);
/* Appends the canonical addr-spec of mailbox a: local part quoted only if
 * needed, then "@domain" when there is a domain. */
MF_NODISCARD MF_API int mf_addr_spec_format(mf_buf *out, const mf_addr *a);

/* ====================================================================== */
/* Dates (RFC 5322 3.3)                                                    */
/* ====================================================================== */

/*
 * A date-time as written, with its original zone offset (caller-allocated;
 * reserved is zero). sec may be 60 (leap second).
 */
typedef struct mf_date {
	int year;      /* 1900-9999 */
	int month;     /* 1-12 */
	int day;       /* 1-31 */
	int hour;      /* 0-23 */
	int min;       /* 0-59 */
	int sec;       /* 0-60 */
	int wday;      /* 0 (Sunday) - 6, computed from the date */
	int yday;      /* 0-365, computed from the date */
	int tz_offset; /* minutes east of UTC (-0500 gives -300) */
	int tz_unknown; /* 1 for "-0000", missing or unknown zones: UTC time,
			   local offset unknown (RFC 5322 3.3, 4.3) */
	int reserved[6];
} mf_date;

/*
 * Parses an RFC 5322 date-time p[0..n) into *d (leniently: obsolete zones,
 * two-digit years, missing seconds or comma, asctime order...; each
 * deviation is a defect in *defects, may be NULL). MF_E_SYNTAX with the
 * offset for what is not a date or has a field out of range.
 */
MF_NODISCARD MF_API int mf_date_parse(const char *p, size_t n,
				      const mf_opts *o, mf_date *d,
				      uint64_t *defects, mf_error *err);


/*
 * Writes d as "Mon, 17 Jan 1994 11:14:55 -0500" (or with MF_DATE_ISO as
 * ISO 8601) plus a NUL into out[0..cap); *outlen (may be NULL) gets the
 * length. MF_E_NOSPC if cap is too small, MF_E_INVAL for fields out of range.
 */
MF_NODISCARD MF_API int mf_date_format(char *out, size_t cap, const mf_date *d,
				       unsigned flags, size_t *outlen);
/* Seconds since 1970-01-01 UTC of d (a leap second counts as :59). */
MF_NODISCARD MF_API int mf_date_to_time(const mf_date *d, int64_t *t);
/* d for the instant t seen at tz_offset minutes east of UTC. */
MF_NODISCARD MF_API int mf_date_from_time(int64_t t, int tz_offset,
					  mf_date *d);

/* ====================================================================== */
/* Message-IDs, References, Received                                       */
/* ====================================================================== */

/*
 * Parses a msg-id list (Message-ID, In-Reply-To, References; RFC 5322
 * 3.6.4) leniently: ids[0..*nids) in, count out, each the id between its
 * angle brackets (a view into p, CFWS trimmed). Phrases and stray bytes
 * between ids are skipped, bare ids accepted (defects in *defects, may be
 * NULL). MF_E_NOSPC when more ids than the array holds.
 */
MF_NODISCARD MF_API int mf_msgid_parse(const char *p, size_t n,
				       const mf_opts *o, mf_str *ids,
				       size_t *nids, uint64_t *defects,
				       mf_error *err);
/* Appends the id p[0..n) in canonical form: obsolete CFWS removed. */
MF_NODISCARD MF_API int mf_msgid_canon(mf_buf *out, const char *p, size_t n);

/* Randomness source: fills buf[0..n); returns 0, or non-zero on failure. */
typedef int mf_random_fn(void *ctx, void *buf, size_t n);

/*
 * Appends a new unique "<random@domain>" (128 random bits). rnd NULL means
 * the operating system's source (getentropy, else /dev/urandom).
 * MF_E_INVAL for a domain that is not a dot-atom or literal.
 */
MF_NODISCARD MF_API int mf_msgid_generate(mf_buf *out, const char *domain,
					  size_t domainlen, mf_random_fn *rnd,
					  void *ctx);

/*
 * A Received trace field (RFC 5321 4.4, RFC 5322 3.6.7): each clause value
 * as a view (empty when absent; comments such as TCP-info included), and
 * the date after the ";". Caller-allocated; reserved is zero.
 */
typedef struct mf_received {
	mf_str from, by, via, with, id, for_addr;
	mf_date date;
	int has_date;
	void *reserved[4];
} mf_received;

/* Parses a Received value leniently (defects in *defects, may be NULL). */
MF_NODISCARD MF_API int mf_received_parse(const char *p, size_t n,
					  const mf_opts *o, mf_received *r,
					  uint64_t *defects, mf_error *err);
/*
 * Appends a "Received:" field folded for output from r's non-empty
 * clauses and date (flags: MF_LF). by and the date are required.
 */
MF_NODISCARD MF_API int mf_received_format(mf_buf *out, const mf_received *r,
					   unsigned flags, mf_error *err);

/* ====================================================================== */
/* Content-Type, Content-Disposition, Content-Transfer-Encoding            */
/* ====================================================================== */

/*
 * A MIME parameter ("; name=value", RFC 2045 5.1, RFC 2231). Filled by the
 * library and handed out by pointer (it may grow at the end).
 */
typedef struct mf_param {
	mf_str name;       /* lower case, without RFC 2231 "*" suffixes */
	mf_str value;      /* unquoted, decoded to UTF-8 */
	mf_str raw;        /* the value as written (first segment) */
	mf_str charset;    /* RFC 2231 charset; len 0: none */
	mf_str lang;       /* RFC 2231 language; len 0: none */
	size_t offset;     /* byte offset of the name in the input */
	uint64_t defects;  /* MF_DEFECT_BIT of this parameter's defects */
	void *reserved[4];
} mf_param;

/* The parameters of a Content-Type or Content-Disposition, in order. */
typedef struct mf_params mf_params;

MF_API size_t mf_params_count(const mf_params *ps);
/* Parameter i, owned by ps; NULL when out of range. */
MF_API const mf_param *mf_params_at(const mf_params *ps, size_t i);
/* The parameter called name[0..n) (ASCII case-insensitive), or NULL. */
MF_API const mf_param *mf_params_get(const mf_params *ps, const char *name,
				     size_t n);

/* A parsed Content-Type field value (RFC 2045 5, RFC 2046). */
typedef struct mf_ctype mf_ctype;

/*
 * Parses a Content-Type value into a new object; views may point into p.
 * Lenient: malformed values are recovered with MF_D_CT_SYNTAX; when no
 * type/subtype can be recovered both are empty, and RFC 2045 5.2 says to
 * treat the part as text/plain; charset=us-ascii.
 */
MF_NODISCARD MF_API int mf_ctype_parse(const char *p, size_t n,
				       const mf_opts *o, mf_ctype **out,
				       mf_error *err);
/* Type and subtype in lower case; len 0 when the value was unusable. */
MF_API mf_str mf_ctype_type(const mf_ctype *ct);
MF_API mf_str mf_ctype_subtype(const mf_ctype *ct);
MF_API const mf_params *mf_ctype_params(const mf_ctype *ct);
MF_API uint64_t mf_ctype_defects(const mf_ctype *ct);
/* Frees the object; accepts NULL. */
MF_API void mf_ctype_free(mf_ctype *ct);

/* A parsed Content-Disposition field value (RFC 2183). */
typedef struct mf_disp mf_disp;

/* Parses a Content-Disposition value; as mf_ctype_parse. */
MF_NODISCARD MF_API int mf_disp_parse(const char *p, size_t n,
				      const mf_opts *o, mf_disp **out,
				      mf_error *err);
/* "inline", "attachment" or another type, lower case; len 0 if none. */
MF_API mf_str mf_disp_type(const mf_disp *d);
MF_API const mf_params *mf_disp_params(const mf_disp *d);
MF_API uint64_t mf_disp_defects(const mf_disp *d);
MF_API void mf_disp_free(mf_disp *d);

/* Content-Transfer-Encoding values (RFC 2045 6.1). */
enum mf_cte {
	MF_CTE_UNKNOWN = 0, /* not recognised: treat as identity */
	MF_CTE_7BIT = 1,
	MF_CTE_8BIT = 2,
	MF_CTE_BINARY = 3,
	MF_CTE_QP = 4,      /* quoted-printable */
	MF_CTE_BASE64 = 5,
	MF_CTE_UUENCODE = 6 /* x-uuencode and its spellings */
};

/*
 * Reads a Content-Transfer-Encoding value into *cte, normalising spellings
 * such as "7-bit", "Base64 " or "quoted printable" (MF_D_CTE_NONSTANDARD
 * in *defects, which may be NULL); an empty value is MF_CTE_7BIT, unknown
 * values MF_CTE_UNKNOWN (MF_D_UNKNOWN_CTE). MF_OK or MF_E_INVAL.
 */
MF_NODISCARD MF_API int mf_cte_parse(const char *p, size_t n, int *cte,
				     uint64_t *defects);
/* The standard name of cte ("quoted-printable", ...), "" for unknown. */
MF_API const char *mf_cte_name(int cte);

/* ====================================================================== */
/* MIME messages: push parser, part tree, content, writer, mbox            */
/* ====================================================================== */

/*
 * A message is a tree of parts (RFC 2045, RFC 2046): each part has a
 * header block and a body, which is either a leaf (content), a multipart
 * (children between boundary delimiters, with a preamble and an epilogue)
 * or an embedded message (message/rfc822, message/global). One engine
 * parses it: the push parser (mf_parser_new(3)) delivers events as input
 * arrives in chunks of any size, in memory bounded by the limits; the
 * one-shot parser (mf_msg_parse(3)) feeds a whole buffer to that engine
 * and builds a tree of parts from the events. The same mf_part accessors
 * (mf_part_type(3)) work on the transient part of an event and on the
 * parts of a tree. Lenient by default: broken structure is recovered the
 * way mail readers do and each anomaly recorded as a defect (MF_D_*).
 */

/*
 * Option flags of the parsers (mf_opts.flags): MF_STRICT; MF_MBOX (input
 * is an mbox: a message per From_ line); for the push parser also
 * MF_DECODE and MF_NO_BODY; for mf_msg_parse MF_MBOX_CLEN (with MF_MBOX:
 * the rule of mf_mbox_next, which needs the whole input at once).
 */

/* What a part's body is. */
enum mf_part_kind {
	MF_PART_LEAF = 1,      /* content (also multiparts the parser cannot
				  split: no boundary, limits) */
	MF_PART_MULTIPART = 2, /* children between delimiters */
	MF_PART_MESSAGE = 3    /* one embedded message (message/rfc822) */
};

/* A part (opaque): transient in events, or owned by an mf_msg tree. */
typedef struct mf_part mf_part;

/* Push parser events (STYLE: one callback, views valid during it). */
enum mf_event_type {
	MF_EV_PART_BEGIN = 1,  /* a part begins at off (its header block, or
				  its mbox From_ line); part has no headers
				  yet */
	MF_EV_HEADER = 2,      /* one whole field: name, data = raw value,
				  field and raw = the field as written */
	MF_EV_HEADERS_END = 3, /* end of the header block: part is complete;
				  data = the empty line (may be empty) */
	MF_EV_BODY = 4,        /* leaf body bytes, raw or decoded (MF_DECODE;
				  raw = the input bytes they came from, data
				  empty when they decode to nothing) */
	MF_EV_PART_END = 5,    /* the part ends at off */
	MF_EV_DEFECT = 6,      /* defect (enum mf_defect) at off, in part */
	MF_EV_PREAMBLE = 7,    /* multipart bytes before the first delimiter */
	MF_EV_DELIM = 8,       /* a delimiter line: the line end before it,
				  "--boundary", padding and its line end */
	MF_EV_EPILOGUE = 9,    /* bytes after the close delimiter */
	MF_EV_CLOSE = 10,      /* the close delimiter: the line end before
				  it, "--boundary--" and padding */
	MF_EV_MBOX_FROM = 11   /* the mbox From_ line with its line end (and
				  the separating line end before it) */
};

/* An event; library-filled, so it may grow at the end. */
typedef struct mf_event {
	int type;              /* enum mf_event_type */
	size_t depth;          /* depth of part (0: the message) */
	uint64_t off;          /* absolute input offset of data (or event) */
	mf_str name;           /* HEADER: the field name */
	mf_str data;           /* the bytes, per type (see above) */
	int defect;            /* DEFECT: the defect */
	const mf_part *part;   /* the part concerned (multipart for PREAMBLE,
				  DELIM, CLOSE, EPILOGUE) */
	const mf_field *field; /* HEADER: the field */
	mf_str raw;            /* HEADER: the field's bytes as written (up to
				  max_field_len); BODY: the raw input bytes */
} mf_event;

/* Event callback: non-zero aborts the parse with MF_E_CALLBACK. */
typedef int mf_event_fn(void *ctx, const mf_event *ev);

/* A push parser (opaque). */
typedef struct mf_parser mf_parser;

/* New parser calling fn(ctx, ev) for each event; NULL on no memory. */
MF_API mf_parser *mf_parser_new(const mf_opts *o, mf_event_fn *fn, void *ctx);
/*
 * Parses the next p[0..n) of the input (any split). Errors are sticky:
 * MF_E_DEFECT or MF_E_LIMIT (strict), MF_E_CALLBACK, MF_E_NOMEM, and
 * MF_E_STATE after mf_parser_finish.
 */
MF_NODISCARD MF_API int mf_parser_feed(mf_parser *ps, const char *p,
				       size_t n);
/* End of input: delivers what was held back and closes every part. */
MF_NODISCARD MF_API int mf_parser_finish(mf_parser *ps);
/* Bytes consumed so far, or the offset of the error after one. */
MF_API uint64_t mf_parser_offset(const mf_parser *ps);
/* The sticky status; err (may be NULL) gets code, offset and reason. */
MF_API int mf_parser_error(const mf_parser *ps, mf_error *err);
/* Frees the parser; accepts NULL. */
MF_API void mf_parser_free(mf_parser *ps);

/* A parsed message: the part tree, owned by one object (arena). */
typedef struct mf_msg mf_msg;

/*
 * Parses p[0..n) (the push engine fed once) into a tree. Views point into
 * p, which must outlive *out. With MF_MBOX every message of the mbox is a
 * root (mf_msg_count). Errors as mf_parser_feed, with the offset in err.
 */
MF_NODISCARD MF_API int mf_msg_parse(const char *p, size_t n,
				     const mf_opts *o, mf_msg **out,
				     mf_error *err);
/* Frees the tree and everything it owns (not the input); accepts NULL. */
MF_API void mf_msg_free(mf_msg *m);
/* The message (first root), or NULL. */
MF_API const mf_part *mf_msg_root(const mf_msg *m);
/* Number of roots (messages: 1, or one per mbox message with MF_MBOX). */
MF_API size_t mf_msg_count(const mf_msg *m);
/* Root i, or NULL when out of range. */
MF_API const mf_part *mf_msg_at(const mf_msg *m, size_t i);
/* Number of parts in the tree, and the union of their defects. */
MF_API size_t mf_msg_part_count(const mf_msg *m);
MF_API uint64_t mf_msg_defects(const mf_msg *m);

/*
 * Part accessors (mf_part_type(3)). Strings are views into the input or
 * into the part's owner (the tree, or the parser during a callback), never
 * NUL-terminated; RFC 2045/2046 defaults are applied.
 */
/* enum mf_part_kind. */
MF_API int mf_part_kind(const mf_part *p);
/* Media type and subtype, lower case: the defaults text/plain (or
 * message/rfc822 in multipart/digest) when absent or unusable. */
MF_API mf_str mf_part_type(const mf_part *p);
MF_API mf_str mf_part_subtype(const mf_part *p);
/* Content-Type parameters, RFC 2231 joined and decoded to UTF-8, names
 * lower case, in order; by name (case-insensitive) or index; NULL if none. */
MF_API const mf_param *mf_part_param(const mf_part *p, const char *name,
				     size_t n);
MF_API size_t mf_part_param_count(const mf_part *p);
MF_API const mf_param *mf_part_param_at(const mf_part *p, size_t i);
/* The charset parameter; "us-ascii" for text types without one; else
 * empty. */
MF_API mf_str mf_part_charset(const mf_part *p);
/* Content-Disposition type, lower case ("inline", "attachment"; empty if
 * none), and its parameters like mf_part_param. */
MF_API mf_str mf_part_disposition(const mf_part *p);
MF_API const mf_param *mf_part_disp_param(const mf_part *p, const char *name,
					  size_t n);
/* Content-Disposition filename, else Content-Type name; RFC 2231 and RFC
 * 2047 decoded to UTF-8; empty if neither. Not sanitised. */
MF_API mf_str mf_part_filename(const mf_part *p);
/* Content-Transfer-Encoding (enum mf_cte; MF_CTE_7BIT when absent). */
MF_API int mf_part_cte(const mf_part *p);
/* The boundary a multipart is split on (empty for other parts). */
MF_API mf_str mf_part_boundary(const mf_part *p);
/* Header fields in order, and the next one called name at or after
 * *iter (iter may be NULL: the first one). */
MF_API size_t mf_part_field_count(const mf_part *p);
MF_API const mf_field *mf_part_field(const mf_part *p, size_t i);
MF_API const mf_field *mf_part_header(const mf_part *p, const char *name,
				      size_t n, size_t *iter);
/* The raw value of the first field called name (as mf_field.value), or
 * the empty span when there is none: the input of mf_hdr_decode,
 * mf_date_parse, mf_addrs_parse... */
MF_API mf_str mf_part_header_value(const mf_part *p, const char *name,
				   size_t n);
/* The leading mbox From_ line without line end: 1 and *line, or 0. */
MF_API int mf_part_mbox_from(const mf_part *p, mf_str *line);
/* MF_DEFECT_BIT mask of the part's defects (its header block included). */
MF_API uint64_t mf_part_defects(const mf_part *p);
/* Nesting depth (0: the message). */
MF_API size_t mf_part_depth(const mf_part *p);
/*
 * Absolute input offsets (each may be NULL): the first header byte (after
 * an mbox From_ line), the first body byte, and the end of the body (the
 * line end before a delimiter belongs to the delimiter), like MimeKit's.
 */
MF_API void mf_part_offsets(const mf_part *p, uint64_t *header,
			    uint64_t *body, uint64_t *end);
/* Tree parts only (empty or NULL for an event's part): the raw body, the
 * preamble and epilogue of a multipart, and navigation. */
MF_API mf_str mf_part_body(const mf_part *p);
MF_API mf_str mf_part_preamble(const mf_part *p);
MF_API mf_str mf_part_epilogue(const mf_part *p);
MF_API const mf_part *mf_part_parent(const mf_part *p);
MF_API size_t mf_part_child_count(const mf_part *p);
MF_API const mf_part *mf_part_child(const mf_part *p, size_t i);
/* The message embedded in a message/rfc822 part, or NULL. */
MF_API const mf_part *mf_part_message(const mf_part *p);
/*
 * Depth-first walk of the subtree at root (no recursion): the part after
 * cur (cur NULL: root itself), or NULL at the end. Embedded messages are
 * visited as the only child of their message/rfc822 part.
 */
MF_API const mf_part *mf_part_next(const mf_part *root, const mf_part *cur);

/*
 * Writer (mf_msg_write(3)): writes a tree from its structure (header
 * fields, empty lines, delimiters, preambles, epilogues, bodies, From_
 * lines); an unmodified tree gives back its input byte for byte.
 */
typedef int mf_sink_fn(void *ctx, const char *p, size_t n); /* non-zero:
							       stop */
/*
 * Appends m (every root) to out: what was parsed and not changed as it
 * was read, byte for byte; what was built or changed generated, with CRLF
 * line ends (MF_LF: LF), every line <= 998 octets, 7-bit clean unless
 * m's flags allow 8bit, binary or raw UTF-8 headers. MF_DOT_STUFF: the
 * whole output dot-stuffed and ended with "." CRLF, ready for SMTP DATA.
 * Streamed bodies (mf_part_new_fn) are read and encoded here, in memory
 * independent of their size. On failure out is unchanged: MF_E_CALLBACK
 * (a read callback failed), MF_E_SYNTAX (a streamed body written as it
 * is held a line its encoding or a delimiter forbids), MF_E_NOMEM,
 * MF_E_INVAL (unknown flags).
 */
MF_NODISCARD MF_API int mf_msg_write(const mf_msg *m, unsigned flags,
				     mf_buf *out);
/* Same through a sink; its non-zero return gives MF_E_CALLBACK (what was
 * passed to the sink before a failure is not a message). */
MF_NODISCARD MF_API int mf_msg_write_fn(const mf_msg *m, unsigned flags,
					mf_sink_fn *fn, void *ctx);
/* One part of a tree, from its From_ line or header to its end. */
MF_NODISCARD MF_API int mf_part_write_fn(const mf_part *p, unsigned flags,
					 mf_sink_fn *fn, void *ctx);

/*
 * Building and editing (mf_msg_new(3), mf_part_header_set(3),
 * mf_part_new(3), mf_msg_attach(3), mf_msg_reply(3)). A built message
 * and a parsed one are the same mf_msg: parts are created in a message,
 * inserted, moved, replaced and removed in either, and one writer
 * writes both. Parts are handed out as const pointers for reading; the
 * functions that change them take the message that owns them (a part of
 * another message is MF_E_INVAL). A parsed message's input must outlive
 * it, as must data given with MF_BORROW.
 */
#define MF_BORROW 0x20000000u    /* body data is the caller's: not copied,
				    unchanged until the message is freed */
#define MF_RAW 0x40000000u       /* header value written as given (ASCII,
				    or UTF-8 with MF_UTF8_OUT), folded at
				    its white space only */
#define MF_NO_NAME_EW 0x80000000u /* no RFC 2047 encoded name= parameter
				     beside the RFC 2231 filename */

/*
 * A new message: a root part with a Date field (now, in the local zone)
 * and a Message-ID (random; its domain is the From address's once From
 * is set, else "localhost"). o (may be NULL) gives the allocator and
 * flags: MF_UTF8_OUT (headers in raw UTF-8, RFC 6532), MF_8BITMIME,
 * MF_BINARYMIME (transfer encodings the transport allows). NULL on no
 * memory or unknown flags. mf_msg_parse takes the same flags for edits.
 */
MF_API mf_msg *mf_msg_new(const mf_opts *o);
/*
 * Makes m's generated boundaries, Message-IDs and Content-IDs a function
 * of seed (reproducible output); by default they come from the operating
 * system's random source. Regenerates an automatic Message-ID.
 */
MF_API void mf_msg_seed(mf_msg *m, uint64_t seed);

/*
 * Sets field name on part p of m (NULL: the message), replacing every
 * field of that name (the first one in its place, else added at the
 * end). value[0..n) is UTF-8, unfolded: address fields (From, Sender,
 * Reply-To, To, Cc, Bcc and their Resent- forms) are parsed as address
 * lists and written canonically (MF_E_SYNTAX at the offset of what is
 * wrong), Date as a date-time, Message-ID, In-Reply-To and References as
 * msg-ids (validated), Content-Type, Content-Disposition and
 * Content-Transfer-Encoding change the part's description (validated);
 * any other field is unstructured text, RFC 2047-encoded where needed.
 * Every field is folded at 78 columns. flags: MF_RAW (no parsing or
 * encoding). CR, LF or NUL in name or value: MF_E_INVAL with its offset
 * (header injection); a value that cannot be written within 998 octets
 * per line: MF_E_LIMIT. m is unchanged on failure.
 */
MF_NODISCARD MF_API int mf_part_header_set(mf_msg *m, const mf_part *p,
					   const char *name, size_t namelen,
					   const char *value, size_t n,
					   unsigned flags, mf_error *err);
/* The same, adding a field after the others of that name. */
MF_NODISCARD MF_API int mf_part_header_add(mf_msg *m, const mf_part *p,
					   const char *name, size_t namelen,
					   const char *value, size_t n,
					   unsigned flags, mf_error *err);
/* Removes every field called name from p (NULL: the message): how many,
 * or MF_E_INVAL. */
MF_API int mf_part_header_remove(mf_msg *m, const mf_part *p,
				 const char *name, size_t namelen);
/* mf_part_header_set on the message with C strings. */
MF_NODISCARD MF_API int mf_msg_set(mf_msg *m, const char *name,
				   const char *value, mf_error *err);
/* Sets an address field from items a[0..n) (as mf_addr_format). */
MF_NODISCARD MF_API int mf_msg_set_addrs(mf_msg *m, const char *name,
					 const mf_addr *a, size_t n,
					 mf_error *err);
/* Sets Date to the instant t (seconds since 1970 UTC) seen at tz_offset
 * minutes east of UTC. */
MF_NODISCARD MF_API int mf_msg_set_date(mf_msg *m, int64_t t, int tz_offset);

/* Reads up to cap bytes of a streamed body into buf: 0 and *got (0 at
 * the end), or non-zero to fail the write (MF_E_CALLBACK). */
typedef int mf_read_fn(void *ctx, void *buf, size_t cap, size_t *got);

/*
 * New detached parts of m (insert them with mf_part_insert). A leaf of
 * media type type ("image/png; name=x", NULL: text/plain; charset=utf-8)
 * with data[0..n) (copied, or borrowed with MF_BORROW); its transfer
 * encoding is chosen from the content (mf_cte_choose) and m's flags. A
 * streamed leaf reads its body from fn at write time (base64, or
 * quoted-printable for text/..., unless mf_part_set_cte says otherwise).
 * A multipart of subtype ("mixed", ...) with a generated boundary. A
 * message/rfc822 part holding the tree part inner (of any message, that
 * must outlive m), written as inner is.
 */
MF_NODISCARD MF_API int mf_part_new(mf_msg *m, const char *type,
				    const void *data, size_t n, unsigned flags,
				    const mf_part **out);
MF_NODISCARD MF_API int mf_part_new_fn(mf_msg *m, const char *type,
				       mf_read_fn *fn, void *ctx,
				       const mf_part **out);
MF_NODISCARD MF_API int mf_part_new_multipart(mf_msg *m, const char *subtype,
					      const mf_part **out);
MF_NODISCARD MF_API int mf_part_new_message(mf_msg *m, const mf_part *inner,
					    const mf_part **out);
/*
 * Inserts the detached part child into the multipart parent at index i
 * (SIZE_MAX: last); MF_E_INVAL when parent is not a multipart of m or
 * child is attached or would contain parent.
 */
MF_NODISCARD MF_API int mf_part_insert(mf_msg *m, const mf_part *parent,
				       size_t i, const mf_part *child);
/* Detaches p from its parent; it stays in m and may be inserted again
 * (a move). The message (a root) cannot be detached: MF_E_INVAL. */
MF_NODISCARD MF_API int mf_part_detach(mf_msg *m, const mf_part *p);
/*
 * Puts the detached part nw where old is (old is detached). When old is
 * a root, its fields other than Content-* stay on the message: they are
 * moved in front of nw's.
 */
MF_NODISCARD MF_API int mf_part_replace(mf_msg *m, const mf_part *old,
					const mf_part *nw);
/*
 * Forces the transfer encoding of a new or streamed leaf p (MF_CTE_7BIT,
 * _8BIT, _BINARY, _QP, _BASE64). MF_E_INVAL for an encoding its content
 * cannot have (8-bit data as 7bit, long lines as 8bit...; a streamed
 * body is checked as it is written).
 */
MF_NODISCARD MF_API int mf_part_set_cte(mf_msg *m, const mf_part *p,
					int cte);
/*
 * The transfer encoding for data[0..n) (RFC 2045 6, RFC 2046 4.1.1):
 * MF_CTE_7BIT for ASCII with lines <= 998 octets, no NUL and no bare CR
 * or LF (text: CRLF or LF line ends); else MF_CTE_8BIT / MF_CTE_BINARY
 * when flags allow (MF_8BITMIME, MF_BINARYMIME); else quoted-printable
 * for text that is mostly ASCII, base64 for the rest.
 */
MF_API int mf_cte_choose(const void *data, size_t n, int text,
			 unsigned flags);
/*
 * The media type of a file name's extension (case-insensitive; "a.PDF"
 * gives "application/pdf"), from the built-in table, or
 * "application/octet-stream". Never NULL.
 */
MF_API const char *mf_mime_type(const char *filename, size_t n);
/* A lookup consulted before the built-in table by m's attach functions:
 * a type, or NULL to fall back. */
typedef const char *mf_type_fn(void *ctx, const char *filename, size_t n);
MF_API void mf_msg_set_type_fn(mf_msg *m, mf_type_fn *fn, void *ctx);

/*
 * The usual message in a few calls. Text and HTML bodies (UTF-8,
 * together a multipart/alternative), inline parts referenced from the
 * HTML by Content-ID (a multipart/related around them), attachments (a
 * multipart/mixed around everything): the message's structure is made
 * as they are added, and adding an attachment to a parsed message wraps
 * a single-part body in multipart/mixed. filename: UTF-8 (RFC 2231, and
 * an RFC 2047 name= unless MF_NO_NAME_EW); type NULL: by the name's
 * extension. flags: MF_BORROW, MF_NO_NAME_EW. *out (may be NULL) gets
 * the new part.
 */
MF_NODISCARD MF_API int mf_msg_set_text(mf_msg *m, const char *utf8,
					size_t n, unsigned flags);
MF_NODISCARD MF_API int mf_msg_set_html(mf_msg *m, const char *utf8,
					size_t n, unsigned flags);
MF_NODISCARD MF_API int mf_msg_attach(mf_msg *m, const char *filename,
				      const char *type, const void *data,
				      size_t n, unsigned flags,
				      const mf_part **out);
/* An attachment streamed from fn at write time. */
MF_NODISCARD MF_API int mf_msg_attach_fn(mf_msg *m, const char *filename,
					 const char *type, mf_read_fn *fn,
					 void *ctx, unsigned flags,
					 const mf_part **out);
/* An inline part with Content-ID <cid> (cid NULL: generated; read it
 * with mf_part_header_value). */
MF_NODISCARD MF_API int mf_msg_add_inline(mf_msg *m, const char *filename,
					  const char *type, const void *data,
					  size_t n, const char *cid,
					  unsigned flags, const mf_part **out);
/* Attaches the message at tree part inner (which must outlive m) as
 * message/rfc822. */
MF_NODISCARD MF_API int mf_msg_attach_msg(mf_msg *m, const mf_part *inner,
					  const mf_part **out);

/*
 * Replaces every attachment (mf_part_is_attachment, MF_ATTACH_NAMED) of
 * m whose decoded size is over max bytes by a short text/plain note
 * naming it, its type and size; *count (may be NULL) gets how many.
 * Untouched parts and fields keep their bytes.
 */
MF_NODISCARD MF_API int mf_msg_strip_attachments(mf_msg *m, uint64_t max,
						 size_t *count);

/* Who a reply goes to (mf_msg_reply). */
enum mf_reply_mode {
	MF_REPLY_SENDER = 0, /* Reply-To, else From (RFC 5322 3.6.3) */
	MF_REPLY_ALL = 1     /* and the others of To and Cc, in Cc */
};
/*
 * A new message replying to the message at orig (a parsed root): To
 * (and Cc) per mode, without the addresses of the list self (may be
 * NULL) nor duplicates; Subject "Re: " once; In-Reply-To the original's
 * Message-ID and References its References (else In-Reply-To) plus that
 * id (RFC 5322 3.6.4). No body: set it with mf_msg_set_text. o as in
 * mf_msg_new.
 */
MF_NODISCARD MF_API int mf_msg_reply(const mf_part *orig, int mode,
				     const char *self, const mf_opts *o,
				     mf_msg **out, mf_error *err);
/* A new message forwarding orig (which must outlive it) as a
 * message/rfc822 attachment, with Subject "Fwd: " once. */
MF_NODISCARD MF_API int mf_msg_forward(const mf_part *orig, const mf_opts *o,
				       mf_msg **out, mf_error *err);

/*
 * mbox (mf_mbox_next(3)): splits an mbox buffer into messages without
 * copying. A message starts after a From_ line (a line beginning "From ")
 * and ends before the line end that precedes the next From_ line.
 */

/*
 * The message at or after *pos: *msg gets it, *from_line its From_ line
 * without line end (empty if there is none), *msg_off its offset; *pos
 * moves to the next From_ line. Returns 1, 0 when no message is left, or
 * MF_E_INVAL for flags other than MF_MBOX_CLEN (loop while it returns 1).
 */
MF_API int mf_mbox_next(const char *p, size_t n, size_t *pos,
			unsigned flags, mf_str *msg, mf_str *from_line,
			size_t *msg_off);
/*
 * Reads a From_ line p[0..n) (line end excluded; mf_mbox_next's from_line
 * or mf_part_mbox_from's line): *sender gets the envelope sender (a view),
 * *date the date after it, read leniently (ctime order; tz_unknown when
 * the line has no zone). MF_E_SYNTAX with the offset when the line does
 * not start "From ", has no sender, or no date that can be read.
 */
MF_NODISCARD MF_API int mf_mbox_from_parse(const char *p, size_t n,
					   mf_str *sender, mf_date *date,
					   mf_error *err);
/* Appends p[0..n) with ">From " lines unescaped (mboxo; MF_MBOX_RD). */
MF_NODISCARD MF_API int mf_mbox_unescape(mf_buf *out, const char *p,
					 size_t n, unsigned flags);

/* ---- content: leaf decoding and body selection (mf_part_content(3)) ---- */

/*
 * Content decoding (mf_part_content(3)): the body of a part with its
 * transfer encoding undone (base64, quoted-printable, uuencode; others as
 * they are) and, on request, text/... converted to UTF-8 from its charset.
 * Charset fallback: no charset means us-ascii (RFC 2045 5.2), and text
 * labelled us-ascii, or in a charset nobody can convert
 * (MF_D_CHARSET_UNKNOWN), is taken line by line as UTF-8 where valid,
 * else as windows-1252 (MF_D_CHARSET_INVALID when a line has 8-bit bytes).
 * Invalid sequences become U+FFFD (MF_D_CHARSET_INVALID), NUL bytes too
 * (MF_D_NUL).
 */
/*
 * Flags: MF_CONTENT_TEXT (text/...: convert to UTF-8), MF_CONTENT_FLOWED
 * (format=flowed unwrapped, RFC 3676, DelSp honoured), MF_LF (CRLF line
 * ends as LF) and MF_SAFE_TEXT (controls but TAB and line ends as U+FFFD,
 * for a terminal); all imply MF_CONTENT_TEXT. MF_MBOX (the body came from
 * an mbox: ">From " quoting undone first; with MF_MBOX_RD as mboxrd).
 */

/*
 * Appends the decoded body of tree part p (a leaf, or the message of a
 * message/rfc822 part) to out. Defects go to *defects (may be NULL) and
 * o's callback; MF_STRICT makes them MF_E_DEFECT (out unchanged). MF_E_INVAL
 * for a multipart or a part that is not in a tree.
 */
MF_NODISCARD MF_API int mf_part_decode(const mf_part *p, mf_buf *out,
				       unsigned flags, const mf_opts *o,
				       uint64_t *defects, mf_error *err);

/* A streaming content decoder (opaque), for bodies that arrive in chunks. */
typedef struct mf_content_dec mf_content_dec;

/*
 * New decoder for the body of p: a tree part, or the part of an
 * MF_EV_HEADERS_END event (what it needs is copied). Feed it the raw body
 * bytes (BODY events of a parser without MF_DECODE). NULL on no memory.
 */
MF_API mf_content_dec *mf_content_dec_new(const mf_part *p, unsigned flags,
					  const mf_opts *o);
/* Decodes in[0..n), appending what is complete to out. Errors stick; on
 * one, out is as before the call. */
MF_NODISCARD MF_API int mf_content_dec_update(mf_content_dec *d, mf_buf *out,
					      const char *in, size_t n);
/* End of the body: appends what was held back. */
MF_NODISCARD MF_API int mf_content_dec_final(mf_content_dec *d, mf_buf *out);
/* The sticky status; err (may be NULL) gets code, offset and reason. */
MF_API int mf_content_dec_error(const mf_content_dec *d, mf_error *err);
/* MF_DEFECT_BIT mask of the defects found so far. */
MF_API uint64_t mf_content_dec_defects(const mf_content_dec *d);
/* Frees the decoder; accepts NULL. */
MF_API void mf_content_dec_free(mf_content_dec *d);

/*
 * uuencode (x-uuencode, mf_uu_decode(3)): lines before "begin <mode>
 * <name>" are skipped, data lines decoded up to "end". Lenient about a
 * missing "end", short or long lines and bytes outside the alphabet
 * (MF_D_UU_INVALID) unless MF_STRICT; what follows "end" is ignored.
 */
#define MF_UU_NAME_MAX 256

/* Upper bound of the bytes one mf_uu_dec_update of n bytes, one
 * mf_uu_dec_final (n = 0) or mf_uu_decode writes. */
MF_API size_t mf_uu_decoded_len(size_t n);
/*
 * Decodes the first uuencoded file in in[0..n) into out; *outlen gets its
 * length, *name (may be NULL) a view of the name on its begin line.
 */
MF_NODISCARD MF_API int mf_uu_decode(void *out, size_t cap, const char *in,
				     size_t n, unsigned flags, size_t *outlen,
				     mf_str *name, uint64_t *defects,
				     mf_error *err);

/*
 * Streaming decoder: zero-initialised is ready; set flags before the first
 * update. A call whose output does not fit in cap gives MF_E_NOSPC and
 * consumes nothing. Error offsets count from the start of the stream.
 */
typedef struct mf_uu_dec {
	unsigned flags;      /* MF_STRICT */
	uint64_t defects;    /* MF_DEFECT_BIT(MF_D_UU_INVALID) */
	uint64_t defect_off; /* offset of the first defect */
	int begun;           /* the begin line was read */
	int ended;           /* the end line was read */
	unsigned mode;       /* the begin line's mode (octal digits) */
	uint64_t name_off;   /* offset and length of the begin line's name */
	size_t name_len;
	char name[MF_UU_NAME_MAX]; /* its first bytes, NUL-terminated */
	uint64_t off_;       /* input bytes consumed so far */
	unsigned state_;
	unsigned match_;     /* bytes of "begin " or "end" matched */
	unsigned len_;       /* bytes the current data line declares */
	unsigned done_;      /* bytes of the line written */
	unsigned nch_;       /* characters of the line after its length */
	unsigned nacc_;      /* characters in acc_ (0-3) */
	uint32_t acc_;
	int err_;            /* sticky error code, 0 if none */
	uint64_t err_off_;
	const char *err_reason_;
	uint64_t reserved[4]; /* zero */
} mf_uu_dec;

MF_NODISCARD MF_API int mf_uu_dec_update(mf_uu_dec *st, void *out, size_t cap,
					 const char *in, size_t n,
					 size_t *outlen, mf_error *err);
/* Ends the stream: the last line without line end; a missing begin or end
 * line is a defect (strict: MF_E_TRUNC). */
MF_NODISCARD MF_API int mf_uu_dec_final(mf_uu_dec *st, void *out, size_t cap,
					size_t *outlen, mf_error *err);

/*
 * Appends text in[0..n) (UTF-8 or any ASCII-compatible charset) with its
 * format=flowed lines unwrapped (RFC 3676 4): space-stuffing removed,
 * soft breaks joined within a quote depth, "-- " kept fixed.
 */
MF_NODISCARD MF_API int mf_flowed_decode(mf_buf *out, const char *in,
					 size_t n, unsigned flags);

/*
 * Body selection (mf_msg_bodies(3)): the textBody, htmlBody and
 * attachments lists of RFC 8621 (JMAP Mail) 4.1.4 for the message whose
 * root part is root, in the order that algorithm gives.
 */
enum mf_body_list {
	MF_BODY_TEXT = 1,       /* the text/plain view (textBody) */
	MF_BODY_HTML = 2,       /* the text/html view (htmlBody) */
	MF_BODY_ATTACHMENTS = 3 /* everything else (attachments) */
};

/*
 * Stores the parts of list which in out[0..cap) and their number in *n
 * (never more than cap); MF_E_NOSPC when the list is longer (out holds
 * its first cap parts). A list holds a part at most once, so cap =
 * mf_msg_part_count() always suffices. No allocation; linear time.
 */
MF_NODISCARD MF_API int mf_msg_bodies(const mf_part *root, int which,
				      const mf_part **out, size_t cap,
				      size_t *n);

/* Attachment rules of mf_part_is_attachment. */
enum mf_attach_rule {
	MF_ATTACH_JMAP = 1, /* in the attachments list of mf_msg_bodies */
	MF_ATTACH_NAMED = 2 /* disposition "attachment" or a file name */
};

/*
 * 1 if p is an attachment by rule, else 0 (multiparts never are);
 * MF_E_INVAL for NULL or an unknown rule. Works on tree parts and on the
 * part of a push parser event from MF_EV_HEADERS_END on (mf_msg_bodies(3)).
 */
MF_API int mf_part_is_attachment(const mf_part *p, int rule);

/*
 * Writes to out[0..cap) a file name safe to create in a directory, made
 * from name[0..n) (UTF-8, as mf_part_filename gives it): its last path
 * component, controls and characters Windows refuses as "_", no leading
 * or trailing dots or blanks, Windows device names prefixed with "_", cut
 * to cap - 1 bytes on a character boundary keeping the extension; NUL-
 * terminated, *outlen (may be NULL) its length, 0 when nothing usable is
 * left. MF_E_INVAL for cap 0 or NULL pointers.
 */
MF_NODISCARD MF_API int mf_filename_safe(char *out, size_t cap,
					 const char *name, size_t n,
					 size_t *outlen);


/* ====================================================================== */
/* SMTP and POP3: dot-stuffing (RFC 5321 4.5.2, RFC 1939 3)                */
/* ====================================================================== */

/*
 * The byte stuffing of SMTP DATA and POP3 multi-line responses
 * (mf_dot_encode(3)): a line that begins with "." gets another one, and
 * the data ends with a line holding a single ".". Line ends on the wire
 * are CRLF.
 */

/*
 * Upper bound of the output of mf_dot_encode for n bytes (2 n + 5); also
 * bounds one mf_dot_enc_update of n bytes and mf_dot_enc_final (n = 0).
 * SIZE_MAX on overflow.
 */
MF_API size_t mf_dot_encoded_len(size_t n);
/*
 * Encodes in[0..n) as the data of one DATA command or multi-line
 * response: a leading "." doubled, every line end (CRLF, LF, bare CR)
 * written as CRLF, a missing final line end added, then ".\r\n".
 */
MF_NODISCARD MF_API int mf_dot_encode(char *out, size_t cap, const void *in,
				      size_t n, size_t *outlen);

/* Streaming encoder: zero-initialised is ready (and so is a used one
 * after mf_dot_enc_final). */
typedef struct mf_dot_enc {
	unsigned state_;      /* 0: at the start of a line */
	uint64_t reserved[4]; /* zero */
} mf_dot_enc;

/* A call whose output does not fit in cap gives MF_E_NOSPC and consumes
 * nothing. */
MF_NODISCARD MF_API int mf_dot_enc_update(mf_dot_enc *st, char *out,
					  size_t cap, const void *in, size_t n,
					  size_t *outlen);
/* Ends the data (a line end if needed, then ".\r\n"); resets the state. */
MF_NODISCARD MF_API int mf_dot_enc_final(mf_dot_enc *st, char *out,
					 size_t cap, size_t *outlen);

/*
 * Upper bound of the output of one mf_dot_dec_update or mf_dot_decode of
 * n bytes (n + 1: a CR held back by the previous call). SIZE_MAX on
 * overflow.
 */
MF_API size_t mf_dot_decoded_len(size_t n);
/*
 * Streaming decoder (mf_dot_dec_update(3)). Zero-initialised is ready;
 * set flags and max_line before the first update. Data ends only at
 * CRLF "." CRLF (a "." line with a bare LF on either side is data: SMTP
 * smuggling) unless MF_ACCEPT_LF makes LF a line end too. Bare CR, bare
 * LF and lines over max_line are recorded, not refused, so that a server
 * still finds the end of the data and can refuse the message whole.
 */
typedef struct mf_dot_dec {
	unsigned flags;       /* MF_ACCEPT_LF, MF_LONG_LINES */
	size_t max_line;      /* longest line, line end and stuffing dot
				 included; 0: 1000 (RFC 5321 4.5.3.1.6) */
	uint64_t defects;     /* MF_DEFECT_BIT of MF_D_BARE_CR, MF_D_BARE_LF,
				 MF_D_LONG_LINE */
	uint64_t defect_off;  /* stream offset of the first defect */
	int done;             /* the terminating line was read */
	uint64_t off_;        /* input bytes consumed so far */
	uint64_t line_off_;   /* offset of the current line's first byte */
	unsigned state_;
	int err_;             /* sticky error code, 0 if none */
	uint64_t err_off_;
	const char *err_reason_;
	uint64_t reserved[4]; /* zero */
} mf_dot_dec;

/*
 * Decodes the chunk in[0..n) into out (at most mf_dot_decoded_len(n)
 * bytes; *outlen gets the count; out may be in - 1 or earlier in the same
 * buffer, to decode in place). MF_MORE when all of it was data (the end
 * is still to come), MF_OK when the terminating line was read: *consumed
 * (may be NULL) then counts the bytes up to and including it, and the
 * rest of in is what the peer sent next (pipelining).
 */
MF_NODISCARD MF_API int mf_dot_dec_update(mf_dot_dec *st, void *out,
					  size_t cap, const char *in, size_t n,
					  size_t *outlen, size_t *consumed,
					  mf_error *err);
/*
 * One-shot (and restartable: call again with more input) decode of
 * in[0..n) with flags MF_ACCEPT_LF, MF_LONG_LINES: MF_OK and *consumed
 * as mf_dot_dec_update, or MF_MORE when in holds no terminating line.
 * *defects (may be NULL) gets the mask of the defects found.
 */
MF_NODISCARD MF_API int mf_dot_decode(void *out, size_t cap, const char *in,
				      size_t n, unsigned flags,
				      size_t *outlen, size_t *consumed,
				      uint64_t *defects, mf_error *err);

/* ====================================================================== */
/* SMTP (RFC 5321): commands, replies, sessions                            */
/* ====================================================================== */

/*
 * The library reads and writes the protocol; the caller moves the bytes
 * (mf_smtp_cmd_parse(3), mf_smtp_reply_parse(3), mf_smtp_server_parse(3),
 * mf_smtp_client_next(3)). Line codecs are restartable: given the bytes
 * received so far they return MF_MORE until a whole command or reply is
 * there, and say how many bytes it took. Strict by default: CRLF line
 * ends, RFC 5321 syntax; leniency only by MF_SMTP_COLON_SPACE,
 * MF_SMTP_BARE_PATH, MF_ACCEPT_LF and MF_LONG_LINES.
 */

/* Commands (RFC 5321 4.1.1, RFC 3030, RFC 3207, RFC 4954, RFC 821). */
enum mf_smtp_verb {
	MF_SMTP_UNKNOWN = 0, /* a well-formed verb the library does not know */
	MF_SMTP_HELO = 1,
	MF_SMTP_EHLO = 2,
	MF_SMTP_MAIL = 3,
	MF_SMTP_RCPT = 4,
	MF_SMTP_DATA = 5,
	MF_SMTP_BDAT = 6,
	MF_SMTP_RSET = 7,
	MF_SMTP_VRFY = 8,
	MF_SMTP_EXPN = 9,
	MF_SMTP_HELP = 10,
	MF_SMTP_NOOP = 11,
	MF_SMTP_QUIT = 12,
	MF_SMTP_STARTTLS = 13,
	MF_SMTP_AUTH = 14,
	MF_SMTP_TURN = 15, /* RFC 821 verbs: parsed, answered 502 unless */
	MF_SMTP_SEND = 16, /* the caller says otherwise */
	MF_SMTP_SOML = 17,
	MF_SMTP_SAML = 18
};

/* SMTP service extensions, as offered in an EHLO reply (mf_smtp_caps). */
#define MF_SMTP_EXT_PIPELINING 0x1u   /* RFC 2920 */
#define MF_SMTP_EXT_SIZE 0x2u         /* RFC 1870 */
#define MF_SMTP_EXT_8BITMIME 0x4u     /* RFC 6152 */
#define MF_SMTP_EXT_SMTPUTF8 0x8u     /* RFC 6531 */
#define MF_SMTP_EXT_DSN 0x10u         /* RFC 3461 */
#define MF_SMTP_EXT_CHUNKING 0x20u    /* RFC 3030 */
#define MF_SMTP_EXT_BINARYMIME 0x40u  /* RFC 3030 */
#define MF_SMTP_EXT_STARTTLS 0x80u    /* RFC 3207 */
#define MF_SMTP_EXT_ENHANCEDSTATUSCODES 0x100u /* RFC 2034 */
#define MF_SMTP_EXT_AUTH 0x200u       /* RFC 4954 */
#define MF_SMTP_EXT_REQUIRETLS 0x400u /* RFC 8689 */

/* BODY= (RFC 6152, RFC 3030) and RET= (RFC 3461) values. */
enum mf_smtp_body {
	MF_SMTP_BODY_NONE = 0,
	MF_SMTP_BODY_7BIT = 1,
	MF_SMTP_BODY_8BITMIME = 2,
	MF_SMTP_BODY_BINARYMIME = 3
};
enum mf_smtp_ret { MF_SMTP_RET_NONE = 0, MF_SMTP_RET_FULL = 1,
		   MF_SMTP_RET_HDRS = 2 };
/* NOTIFY= (RFC 3461) bits. */
#define MF_SMTP_NOTIFY_NEVER 0x1u
#define MF_SMTP_NOTIFY_SUCCESS 0x2u
#define MF_SMTP_NOTIFY_FAILURE 0x4u
#define MF_SMTP_NOTIFY_DELAY 0x8u

/*
 * A reply to send: code, enhanced status code (RFC 3463, "5.5.4") or
 * NULL, and a NUL-terminated text. The library's are static.
 */
typedef struct mf_smtp_status {
	int code;
	const char *enh;
	const char *text;
} mf_smtp_status;

/* mf_smtp_path.flags */
#define MF_SMTP_PATH_UTF8 0x1u       /* non-ASCII (needs SMTPUTF8) */
#define MF_SMTP_PATH_QUOTED 0x2u     /* the local part is a quoted string */
#define MF_SMTP_PATH_LITERAL 0x4u    /* the domain is an address literal */
#define MF_SMTP_PATH_POSTMASTER 0x8u /* "<Postmaster>" without a domain */

/*
 * A path (RFC 5321 4.1.2) as views into the input. The null path "<>"
 * has an empty mailbox.
 */
typedef struct mf_smtp_path {
	mf_str mailbox; /* local "@" domain as written, without "<" ">" and
			   route */
	mf_str local;   /* as written: a quoted string keeps its quotes
			   (mf_unquote gives the text) */
	mf_str domain;  /* domain, or address literal with its brackets;
			   empty for <Postmaster> and lenient bare names */
	mf_str route;   /* obsolete source route "@a,@b" (RFC 5321 4.1.1.3:
			   accepted and ignored); empty if none */
	unsigned flags; /* MF_SMTP_PATH_* */
	unsigned reserved[3]; /* zero */
} mf_smtp_path;

/*
 * A parsed command line. Views point into the input. Known parameters
 * of MAIL and RCPT are validated and decoded into fields; needs says
 * which extensions they belong to (a server refuses those it does not
 * offer), and all of them, unknown ones too, can be walked with
 * mf_smtp_param_next. After an error, reply is the answer a server
 * should send.
 */
typedef struct mf_smtp_cmd {
	int verb;          /* enum mf_smtp_verb */
	mf_str name;       /* the verb as sent */
	mf_str arg;        /* all after the verb and one space, trailing
			      spaces removed */
	mf_smtp_path path; /* MAIL, RCPT, SEND, SOML, SAML */
	mf_str params;     /* MAIL, RCPT: the ESMTP parameters */
	mf_str initial;    /* AUTH: the initial response ("=": empty);
			      a SASL response line in mf_smtp_server_parse */
	uint64_t size;     /* MAIL SIZE=, BDAT chunk size */
	int last;          /* BDAT ... LAST */
	int body;          /* MAIL BODY= (enum mf_smtp_body) */
	int ret;           /* MAIL RET= (enum mf_smtp_ret) */
	int smtputf8;      /* MAIL SMTPUTF8 */
	int requiretls;    /* MAIL REQUIRETLS */
	unsigned notify;   /* RCPT NOTIFY= (MF_SMTP_NOTIFY_*) */
	mf_str envid;      /* MAIL ENVID= xtext as sent (mf_smtp_xtext_decode) */
	mf_str orcpt;      /* RCPT ORCPT= "addr-type;xtext" as sent */
	mf_str auth;       /* MAIL AUTH= xtext as sent, or "<>" */
	unsigned needs;    /* MF_SMTP_EXT_* the parameters require */
	size_t nunknown;   /* parameters with a keyword not known here */
	uint64_t defects;  /* lenient forms accepted (MF_D_OBSOLETE,
			      MF_D_BARE_LF, MF_D_LONG_LINE,
			      MF_D_ADDR_NO_DOMAIN) */
	mf_smtp_status reply; /* error: the reply to send (500, 501, ...) */
	void *reserved[4];    /* zero */
} mf_smtp_cmd;

/*
 * Parses the command line at the start of p[0..n): MF_OK with *cmd and
 * *consumed (the line with its CRLF); MF_MORE when no line end has come
 * yet; else an error with cmd->reply, err's offset, and *consumed the
 * bytes to discard (the whole line, or all of p for a line over the limit
 * that has not ended yet). o: flags MF_SMTP_COLON_SPACE, MF_SMTP_BARE_PATH,
 * MF_ACCEPT_LF, MF_LONG_LINES; limits.max_line_len (0: 512, RFC 5321
 * 4.5.3.1.4, for command lines only: 0 keeps meaning 1000 elsewhere).
 */
MF_NODISCARD MF_API int mf_smtp_cmd_parse(const char *p, size_t n,
					  const mf_opts *o, mf_smtp_cmd *cmd,
					  size_t *consumed, mf_error *err);
/*
 * The next ESMTP parameter of a MAIL or RCPT command at or after *pos
 * (start with 0): 1 with *keyword and *value (empty without "="), or 0.
 */
MF_API int mf_smtp_param_next(const mf_smtp_cmd *cmd, size_t *pos,
			      mf_str *keyword, mf_str *value);
/*
 * Parses a path p[0..n) on its own, "<local@domain>" ("<>" and routes
 * too); with MF_SMTP_BARE_PATH also a mailbox without brackets. MF_OK,
 * MF_E_SYNTAX or MF_E_LIMIT (local part 64, domain 255, path 256 octets).
 */
MF_NODISCARD MF_API int mf_smtp_path_parse(const char *p, size_t n,
					   unsigned flags, mf_smtp_path *path,
					   mf_error *err);
/*
 * Appends mailbox[0..n) (an addr-spec, read leniently by
 * mf_addr_spec_parse) as a path "<local@domain>", the local part quoted
 * only where needed; n 0 gives "<>". MF_E_SYNTAX when it is no RFC 5321
 * mailbox (with MF_UTF8_OUT: RFC 6531 one), MF_E_UTF8_OUT when it is a
 * non-ASCII one and MF_UTF8_OUT is not set.
 */
MF_NODISCARD MF_API int mf_smtp_path_format(mf_buf *out, const char *mailbox,
					    size_t n, unsigned flags);
/*
 * Appends a command line: the verb ("MAIL FROM:", "RCPT TO:" for those),
 * a space and arg unless n is 0 (MAIL/RCPT: no space), then CRLF.
 * MF_E_INVAL for CR, LF or NUL in arg, or an unknown verb.
 */
MF_NODISCARD MF_API int mf_smtp_cmd_format(mf_buf *out, int verb,
					   const char *arg, size_t n);
/* xtext (RFC 3461 4): appends p[0..n) decoded (MF_E_SYNTAX when it is no
 * xtext), or encoded ("+" and "=" and bytes outside 33-126 as "+XX"). */
MF_NODISCARD MF_API int mf_smtp_xtext_decode(mf_buf *out, const char *p,
					     size_t n);
MF_NODISCARD MF_API int mf_smtp_xtext_encode(mf_buf *out, const char *p,
					     size_t n);

/*
 * SASL (RFC 4954): a client's response line during AUTH, trailing spaces
 * removed ("*" cancels): MF_OK with *line and *consumed, MF_MORE, or an
 * error (control characters, non-ASCII, over limits.max_line_len, 0:
 * 12288, RFC 4954 4).
 */
MF_NODISCARD MF_API int mf_smtp_sasl_parse(const char *p, size_t n,
					   const mf_opts *o, mf_str *line,
					   size_t *consumed, mf_error *err);
/*
 * Decodes a SASL response or initial response (base64; "=" is empty)
 * into out[0..cap) (mf_b64_decoded_len(n) bytes suffice; LOGIN's user
 * name and password are one each). MF_E_SYNTAX when it is no base64.
 */
MF_NODISCARD MF_API int mf_smtp_sasl_decode(const char *p, size_t n,
					    char *out, size_t cap,
					    size_t *outlen);
/*
 * AUTH PLAIN (RFC 4616): decodes the response into buf[0..cap) and splits
 * it into authorization id (may be empty), user and password, views
 * into buf. Appends the encoding of the three (base64 of a NUL b NUL c).
 */
MF_NODISCARD MF_API int mf_smtp_auth_plain_decode(const char *p, size_t n,
						  char *buf, size_t cap,
						  mf_str *authzid,
						  mf_str *user,
						  mf_str *pass);
MF_NODISCARD MF_API int mf_smtp_auth_plain_encode(mf_buf *out,
						  const char *authzid,
						  size_t zn, const char *user,
						  size_t un, const char *pass,
						  size_t pn);

/* A parsed reply (mf_smtp_reply_parse(3)); its text lines are separate. */
typedef struct mf_smtp_reply {
	int code;             /* 200-599 */
	int enh_class;        /* enhanced status code class.subject.detail, */
	int enh_subject;      /* 0.0.0 when there is none (RFC 3463) */
	int enh_detail;
	uint64_t defects;     /* lenient: MF_D_SMTP_REPLY, MF_D_BAD_CHAR */
	void *reserved[4];    /* zero */
} mf_smtp_reply;

/*
 * Parses the reply at the start of p[0..n), single- or multi-line
 * ("250-..." then "250 ..."): MF_OK with *reply, lines[0..*nlines) (the
 * text of each line, the enhanced code taken off; *nlines is the capacity
 * in) and *consumed; MF_MORE while incomplete. MF_E_NOSPC for more lines
 * than lines has. o: MF_STRICT (codes that differ between lines, a bad
 * enhanced code or control characters are errors, not MF_D_SMTP_REPLY /
 * MF_D_BAD_CHAR defects), MF_ACCEPT_LF, MF_LONG_LINES;
 * limits.max_line_len (0: 512, RFC 5321 4.5.3.1.5).
 */
MF_NODISCARD MF_API int mf_smtp_reply_parse(const char *p, size_t n,
					    const mf_opts *o,
					    mf_smtp_reply *reply,
					    mf_str *lines, size_t *nlines,
					    size_t *consumed, mf_error *err);
/*
 * Appends a reply: code, the enhanced code enh (may be NULL; its class
 * must be the code's first digit) and text[0..n), whose LF-separated
 * lines are sent as lines of a multi-line reply and wrapped at spaces to
 * keep reply lines within 80 octets where words allow (512 always).
 * MF_E_INVAL for a code outside 200-599, a bad enh, CR, NUL or control
 * characters in text.
 */
MF_NODISCARD MF_API int mf_smtp_reply_format(mf_buf *out, int code,
					     const char *enh, const char *text,
					     size_t n);

/* Capabilities from an EHLO reply (mf_smtp_ehlo_parse(3)). */
typedef struct mf_smtp_caps {
	unsigned ext;      /* MF_SMTP_EXT_* */
	uint64_t size;     /* SIZE limit (0: none given) */
	mf_str auth;       /* AUTH mechanisms, space-separated */
	mf_str domain;     /* the server's name (first line) */
	size_t nunknown;   /* other keywords, left in the lines */
	void *reserved[4]; /* zero */
} mf_smtp_caps;

/* Reads the capabilities from the lines of a 250 EHLO reply (the first
 * line is the greeting); also "AUTH=" of old servers. */
MF_NODISCARD MF_API int mf_smtp_ehlo_parse(const mf_str *lines,
					   size_t nlines, mf_smtp_caps *caps);
/* Whether mechanism mech[0..n) is in caps->auth (case-insensitive). */
MF_API int mf_smtp_caps_auth(const mf_smtp_caps *caps, const char *mech,
			     size_t n);
/* Appends the 250 reply to EHLO: domain and greeting text, then a line
 * per extension of caps (SIZE with its limit, AUTH with mechanisms). */
MF_NODISCARD MF_API int mf_smtp_ehlo_format(mf_buf *out, const char *domain,
					    size_t dn, const char *text,
					    const mf_smtp_caps *caps);
/*
 * RFC 2920 3.1: 1 when verb must end a pipelined group (EHLO, HELO,
 * DATA, VRFY, EXPN, TURN, QUIT, NOOP; STARTTLS and AUTH too): a client
 * waits for the replies, a server flushes them.
 */
MF_API int mf_smtp_ends_group(int verb);

/*
 * Server session (mf_smtp_server_parse(3)): a plain state the caller
 * owns; it checks each command against the state (RFC 5321 4.1.4:
 * "order is important"), offered extensions and limits, and gives the
 * reply. Zero it, set the configuration, then feed it.
 */
enum mf_smtp_state {
	MF_SMTP_ST_CONNECT = 0, /* no HELO or EHLO yet */
	MF_SMTP_ST_READY = 1,   /* greeted, no mail transaction */
	MF_SMTP_ST_MAIL = 2,    /* MAIL accepted */
	MF_SMTP_ST_RCPT = 3,    /* a recipient accepted */
	MF_SMTP_ST_DATA = 4,    /* 354 sent: read the message (mf_dot_dec) */
	MF_SMTP_ST_BDAT = 5,    /* read chunk_left bytes of a BDAT chunk */
	MF_SMTP_ST_AUTH = 6,    /* 334 sent: the next line is a SASL
				   response */
	MF_SMTP_ST_CLOSED = 7   /* 221 or 421 sent: close */
};

typedef struct mf_smtp_server mf_smtp_server;
/*
 * Called for each command the session would accept (and for unknown
 * ones, VRFY, EXPN, AUTH, TURN, SEND, SOML, SAML with their default
 * replies): may put another reply in *reply, such as 550 for an unknown
 * recipient, 334 or 235 during AUTH. Its strings must stay valid until
 * the reply is formatted.
 */
typedef void mf_smtp_policy_fn(void *ctx, const mf_smtp_server *s,
			       const mf_smtp_cmd *cmd, mf_smtp_status *reply);

struct mf_smtp_server {
	/* Configuration (set before the first call). */
	mf_str name;          /* this host's name, for 220, 221 and EHLO */
	mf_smtp_caps offer;   /* extensions offered after EHLO; size: the
				 largest message (0: no limit); auth: the
				 mechanisms */
	unsigned flags;       /* MF_SMTP_COLON_SPACE, MF_SMTP_BARE_PATH,
				 MF_ACCEPT_LF, MF_LONG_LINES */
	size_t max_line;      /* command line limit (0: 512) */
	size_t max_rcpts;     /* recipients per message (0: 100, RFC 5321
				 4.5.3.1.8); more get 452 */
	size_t max_errors;    /* refused commands before 421 (0: 20) */
	const char *const *params; /* extra MAIL/RCPT parameter keywords
				      the caller implements (NULL-ended);
				      others get 555 */
	mf_smtp_policy_fn *policy; /* optional */
	void *policy_ctx;
	/* State (read-only). */
	int state;            /* enum mf_smtp_state */
	int esmtp;            /* the client said EHLO */
	int tls;              /* STARTTLS was accepted */
	int authenticated;    /* AUTH succeeded (235) */
	int body;             /* of the transaction: BODY=, SMTPUTF8, SIZE= */
	int smtputf8;
	uint64_t size;
	size_t nrcpts;        /* recipients accepted */
	size_t nmails;        /* messages accepted in the session */
	size_t errors;        /* commands refused */
	uint64_t data_size;   /* BDAT: octets of the message so far */
	uint64_t chunk_left;  /* BDAT: octets of the chunk still to read
				 (also of a refused one: they are dropped);
				 the caller counts it down as it reads */
	int last_;            /* private */
	int verb_;
	int skip_;
	int fail_;
	int prev_;
	void *reserved[8];    /* zero */
};

/*
 * Reads the command (or, in MF_SMTP_ST_AUTH, the SASL response) at the
 * start of p[0..n) and answers it: MF_OK with *consumed and *reply (to
 * send with mf_smtp_server_reply: accepted, refused, or code 0 for a
 * BDAT whose reply follows its chunk), *cmd the command; MF_MORE when
 * the line is incomplete (*consumed may still be non-zero: the discarded
 * start of an over-long line). MF_E_STATE in MF_SMTP_ST_DATA, _BDAT,
 * _CLOSED.
 */
MF_NODISCARD MF_API int mf_smtp_server_parse(mf_smtp_server *s, const char *p,
					     size_t n, mf_smtp_cmd *cmd,
					     size_t *consumed,
					     mf_smtp_status *reply,
					     mf_error *err);
/* The check of one parsed command: MF_OK (accepted, state advanced) or
 * MF_E_STATE (refused: out of order, not offered, over a limit, or by the
 * policy); *reply either way. */
MF_NODISCARD MF_API int mf_smtp_server_cmd(mf_smtp_server *s,
					   const mf_smtp_cmd *cmd,
					   mf_smtp_status *reply);
/*
 * End of the message after DATA (size: its octets, defects: the dot
 * decoder's), or of one BDAT chunk (both ignored): the reply, 250,
 * or 550 for bare CR or LF or long lines, 552 over the size limit. The
 * transaction ends with the message (the caller may still answer 4xx or
 * 5xx if it cannot keep it).
 */
MF_NODISCARD MF_API int mf_smtp_server_data(mf_smtp_server *s, uint64_t size,
					    uint64_t defects,
					    mf_smtp_status *reply);
/*
 * Appends reply to the last command: with the enhanced code when
 * ENHANCEDSTATUSCODES is offered, the name first for 220 and 221, the
 * capabilities for 250 to EHLO.
 */
MF_NODISCARD MF_API int mf_smtp_server_reply(mf_buf *out,
					     const mf_smtp_server *s,
					     const mf_smtp_status *reply);

/* Trace fields of a delivered message (RFC 5321 4.4). */
typedef struct mf_smtp_trace {
	mf_str reverse_path; /* the MAIL FROM mailbox (empty: "<>") */
	mf_str helo;         /* the client's HELO or EHLO argument */
	mf_str client_name;  /* the client's verified name (may be empty) */
	mf_str client_addr;  /* its address, "192.0.2.1" or "IPv6:..." */
	mf_str by;           /* this host's name */
	mf_str id;           /* the message's id here (may be empty) */
	mf_str for_rcpt;     /* the recipient, when there is one (may be
				empty) */
	mf_date date;        /* the time of receipt */
	void *reserved[4];   /* zero */
} mf_smtp_trace;

/*
 * Appends "Return-Path: <...>" and "Received: from helo (name [addr]) by
 * by with (E)SMTP[S][A] (UTF8SMTP... with SMTPUTF8) id ... for <...>;
 * date" through the header layer (mf_received_format); s (may be NULL:
 * "ESMTP") gives the protocol. Flags: MF_LF, MF_UTF8_OUT.
 */
MF_NODISCARD MF_API int mf_smtp_trace_format(mf_buf *out,
					     const mf_smtp_server *s,
					     const mf_smtp_trace *t,
					     unsigned flags, mf_error *err);

/*
 * Client session (mf_smtp_client_next(3)): sends one message, deciding
 * what to send and what reply to wait for, pipelining when offered.
 */
enum mf_smtp_do {
	MF_SMTP_DO_READ = 1, /* read a reply; give it to mf_smtp_client_reply */
	MF_SMTP_DO_SEND = 2, /* send what was appended to out */
	MF_SMTP_DO_DATA = 3, /* send the message dot-stuffed (mf_dot_encode,
				mf_dot_enc_update), after out if any */
	MF_SMTP_DO_DONE = 4, /* close the connection; see ok and code */
	MF_SMTP_DO_BDAT = 5  /* send out (a BDAT line), then the message as
				it is: for BINARYMIME, and whenever the
				server offers CHUNKING and size is set */
};

typedef struct mf_smtp_client {
	/* Configuration (set before the first call; kept alive by the
	 * caller). */
	mf_str helo;          /* this host's name for EHLO */
	mf_str from;          /* reverse-path mailbox (empty: "<>") */
	const mf_str *rcpts;  /* forward-path mailboxes */
	size_t nrcpts;
	int *rcpt_codes;      /* optional: each RCPT's reply code */
	uint64_t size;        /* the message's size in octets, for SIZE=
				 and BDAT (0: unknown) */
	unsigned flags;       /* the message: MF_8BITMIME (BODY=8BITMIME),
				 MF_BINARYMIME (BODY=BINARYMIME, sent with
				 BDAT), MF_UTF8_OUT (SMTPUTF8) */
	/* Results (read-only). */
	int state;
	mf_smtp_caps caps;    /* from the EHLO reply */
	size_t accepted;      /* recipients accepted */
	int ok;               /* the server took the message */
	int code;             /* the reply that decided: the final one, or
				 the refusal that ended the transaction */
	const char *why;      /* a static text when the client gave up by
				 itself (an extension missing), else NULL */
	size_t sent_;         /* private */
	size_t got_;
	int pipe_;
	int fail_;
	int quit_;
	void *reserved[8];    /* zero */
} mf_smtp_client;

/*
 * What to do next (enum mf_smtp_do): appends commands to out when there
 * is something to send. MF_E_SYNTAX when from or a recipient is no
 * mailbox; MF_E_STATE when a reply is awaited.
 */
MF_NODISCARD MF_API int mf_smtp_client_next(mf_smtp_client *c, mf_buf *out);
/* The reply that was awaited (lines: its text, for EHLO). */
MF_NODISCARD MF_API int mf_smtp_client_reply(mf_smtp_client *c,
					     const mf_smtp_reply *r,
					     const mf_str *lines,
					     size_t nlines);

/* A mail exchanger (MX record, RFC 5321 5.1). Caller-allocated. */
typedef struct mf_mx {
	mf_str host;
	unsigned pref;        /* preference: lower first */
	unsigned reserved[3]; /* zero */
} mf_mx;

/*
 * Orders mx[0..*n) to try (RFC 5321 5.1): by preference, in random order
 * among equal ones (rnd, ctx; NULL: the system's source); with self
 * (may be NULL) among them, it and those not better are dropped. No
 * records: the implicit MX, domain itself (cap must be >= 1); a null MX
 * "." (RFC 7505): *n 0. MF_E_STATE when self is the best (a loop),
 * MF_E_CALLBACK when rnd fails.
 */
MF_NODISCARD MF_API int mf_smtp_mx_order(mf_mx *mx, size_t *n, size_t cap,
					 const char *domain, size_t dn,
					 const char *self, size_t sn,
					 mf_random_fn *rnd, void *ctx);

/* ====================================================================== */
/* POP3 (RFC 1939; RFC 2449 CAPA and response codes; RFC 5034 AUTH;        */
/* RFC 2595 STLS)                                                          */
/* ====================================================================== */

/*
 * POP3 codecs (mf_pop3_cmd_parse(3), mf_pop3_reply_parse(3)) and session
 * machines (mf_pop3_server_init(3), mf_pop3_client_init(3)). The library
 * does no I/O: the caller feeds the bytes it read and sends the bytes the
 * calls write. Line ends are CRLF; MF_ACCEPT_LF also takes a bare LF.
 * Line limits, CRLF included: mf_limits.max_line_len when set, else 255
 * octets for commands and 512 for replies (RFC 2449 4), 12288 for the
 * lines of an AUTH exchange.
 */
#define MF_POP3_CMD_MAX 255    /* a command line, CRLF included */
#define MF_POP3_REPLY_MAX 512  /* a reply line, CRLF included */
#define MF_POP3_DIGEST_LEN 32  /* hex digits of an APOP digest */

/* Commands. */
enum mf_pop3_verb {
	MF_POP3_UNKNOWN = 0,  /* another keyword of 3 or 4 characters */
	MF_POP3_USER = 1,
	MF_POP3_PASS = 2,
	MF_POP3_APOP = 3,
	MF_POP3_AUTH = 4,     /* RFC 5034 */
	MF_POP3_STLS = 5,     /* RFC 2595 */
	MF_POP3_CAPA = 6,     /* RFC 2449 */
	MF_POP3_QUIT = 7,
	MF_POP3_STAT = 8,
	MF_POP3_LIST = 9,
	MF_POP3_RETR = 10,
	MF_POP3_DELE = 11,
	MF_POP3_NOOP = 12,
	MF_POP3_RSET = 13,
	MF_POP3_TOP = 14,
	MF_POP3_UIDL = 15,
	MF_POP3_SASL = 16,    /* a client line inside an AUTH exchange */
	MF_POP3_GREETING = 17 /* client events: the server's greeting */
};

/*
 * A command line (RFC 1939 3, 7; RFC 2449 3). Parsed: views into the
 * input. Formatted: what to write.
 */
typedef struct mf_pop3_cmd {
	int verb;        /* enum mf_pop3_verb */
	mf_str keyword;  /* the keyword as written (to format: UNKNOWN only) */
	mf_str arg;      /* USER, APOP: the name; PASS: the password (spaces
			    kept); AUTH: the mechanism (empty: the legacy
			    list request); SASL: the line (base64 or "*");
			    UNKNOWN: all the arguments */
	mf_str arg2;     /* APOP: the digest; AUTH: the initial response
			    ("=" is an empty one), empty if none */
	uint64_t msg;    /* LIST, RETR, DELE, TOP, UIDL: the message number
			    (from 1; LIST, UIDL: 0 = all messages) */
	uint64_t lines;  /* TOP: body lines */
	uint64_t reserved[4]; /* zero */
} mf_pop3_cmd;

/*
 * Parses the command line at the start of p[0..n) (flags: MF_ACCEPT_LF).
 * *consumed gets the bytes of the line with its line end. MF_MORE: no
 * line end yet. MF_E_SYNTAX: the line is consumed; answer -ERR.
 * MF_E_LIMIT: the line is too long; *consumed reaches its end when p holds
 * it, else all of p (the rest is not a command: mf_pop3_server_read
 * skips it).
 */
MF_NODISCARD MF_API int mf_pop3_cmd_parse(const char *p, size_t n,
					  const mf_opts *o, mf_pop3_cmd *cmd,
					  size_t *consumed, mf_error *err);
/*
 * Writes the command line of cmd (CRLF included) to out; *outlen gets its
 * length. MF_E_INVAL for an argument a command cannot carry (CR, LF,
 * NUL, a space in a name, a bad number, digest or mechanism), MF_E_LIMIT
 * over MF_POP3_CMD_MAX, MF_E_NOSPC when cap is too small.
 */
MF_NODISCARD MF_API int mf_pop3_cmd_format(char *out, size_t cap,
					   const mf_pop3_cmd *cmd,
					   size_t *outlen);

/* Reply status indicators. */
enum mf_pop3_status {
	MF_POP3_OK = 1,  /* "+OK" */
	MF_POP3_ERR = 2, /* "-ERR" */
	MF_POP3_CONT = 3 /* "+ " a SASL challenge (RFC 5034 4) */
};

/* The first (or only) line of a reply. Parsed: views into the input. */
typedef struct mf_pop3_reply {
	int status;         /* enum mf_pop3_status */
	mf_str code;        /* RFC 2449 8 response code without brackets
			       ("IN-USE", "SYS/TEMP"), empty if none */
	mf_str text;        /* the text after the status and code; CONT:
			       the base64 challenge */
	mf_str timestamp;   /* +OK with "<...>" (a greeting): the APOP
			       timestamp, brackets included; else empty */
	uint64_t reserved[4]; /* zero */
} mf_pop3_reply;

/*
 * Parses the reply line at the start of p[0..n) (flags: MF_ACCEPT_LF);
 * *consumed as mf_pop3_cmd_parse. Only this line: what follows a +OK to
 * a multi-line command is the data (mf_pop3_client_read reads it).
 */
MF_NODISCARD MF_API int mf_pop3_reply_parse(const char *p, size_t n,
					    const mf_opts *o,
					    mf_pop3_reply *r,
					    size_t *consumed, mf_error *err);
/*
 * Writes the reply line of r ("+OK [CODE] text", "-ERR ...", "+ base64")
 * with CRLF to out. timestamp is not written (put it in the text).
 * MF_E_INVAL for CR, LF or NUL in the text or a malformed code,
 * MF_E_LIMIT over MF_POP3_REPLY_MAX, MF_E_NOSPC.
 */
MF_NODISCARD MF_API int mf_pop3_reply_format(char *out, size_t cap,
					     const mf_pop3_reply *r,
					     size_t *outlen);

/* A drop listing (STAT), scan listing (LIST) or unique-id listing (UIDL). */
typedef struct mf_pop3_listing {
	uint64_t msg;    /* the message number; STAT: the number of messages */
	uint64_t size;   /* STAT, LIST: octets */
	mf_str uid;      /* UIDL: the unique-id (1 to 70 of 0x21-0x7E) */
	mf_str rest;     /* STAT, LIST: what follows the size, if anything */
	uint64_t reserved[2]; /* zero */
} mf_pop3_listing;

/*
 * Parses the listing p[0..n) of command verb (MF_POP3_STAT, _LIST,
 * _UIDL): a reply's text or one line of a multi-line listing, without
 * line end. MF_E_SYNTAX with the offset, MF_E_INVAL for another verb.
 */
MF_NODISCARD MF_API int mf_pop3_listing_parse(const char *p, size_t n,
					      int verb, mf_pop3_listing *l,
					      mf_error *err);

/* Capabilities (RFC 2449 6, RFC 2595 4, RFC 3206, RFC 6856): bits. */
#define MF_POP3_CAP_TOP 0x1u
#define MF_POP3_CAP_USER 0x2u
#define MF_POP3_CAP_SASL 0x4u
#define MF_POP3_CAP_RESP_CODES 0x8u
#define MF_POP3_CAP_LOGIN_DELAY 0x10u
#define MF_POP3_CAP_PIPELINING 0x20u
#define MF_POP3_CAP_EXPIRE 0x40u
#define MF_POP3_CAP_UIDL 0x80u
#define MF_POP3_CAP_IMPLEMENTATION 0x100u
#define MF_POP3_CAP_STLS 0x200u
#define MF_POP3_CAP_AUTH_RESP_CODE 0x400u
#define MF_POP3_CAP_UTF8 0x800u
#define MF_POP3_CAP_LANG 0x1000u

/* One line of a CAPA response. */
typedef struct mf_pop3_capa {
	unsigned cap;    /* its MF_POP3_CAP_* bit; 0 for an unknown tag */
	mf_str tag;      /* the tag as written */
	mf_str params;   /* the space-separated parameters, if any */
	uint64_t value;  /* LOGIN-DELAY: seconds; EXPIRE: days (UINT64_MAX:
			    NEVER) */
	int user;        /* LOGIN-DELAY, EXPIRE: followed by "USER" */
	uint64_t reserved[2]; /* zero */
} mf_pop3_capa;

/* Parses one CAPA line p[0..n) without line end; MF_E_SYNTAX. */
MF_NODISCARD MF_API int mf_pop3_capa_parse(const char *p, size_t n,
					   mf_pop3_capa *c, mf_error *err);

/*
 * APOP (RFC 1939 7): writes the MF_POP3_DIGEST_LEN lower-case hex digits
 * (no NUL) of MD5 (RFC 1321) over the greeting's timestamp (brackets
 * included) and the shared secret. MF_E_NOSPC, MF_E_INVAL for an empty
 * timestamp.
 */
MF_NODISCARD MF_API int mf_pop3_apop_digest(char *out, size_t cap,
					    const char *ts, size_t tslen,
					    const char *secret, size_t slen);
/* 1 if digest (hex, any case) is the APOP digest of ts and secret, else
 * 0; in time independent of where they differ. */
MF_API int mf_pop3_apop_verify(const char *ts, size_t tslen,
			       const char *secret, size_t slen,
			       const char *digest, size_t dlen);

/* Session states (RFC 1939 3). */
enum mf_pop3_state {
	MF_POP3_CONNECTED = 0,     /* before the greeting */
	MF_POP3_AUTHORIZATION = 1, /* greeted: USER/PASS, APOP, AUTH, STLS */
	MF_POP3_TRANSACTION = 2,   /* logged in: the maildrop commands */
	MF_POP3_UPDATE = 3,        /* server: QUIT read in TRANSACTION; remove
				      the messages marked deleted, reply */
	MF_POP3_CLOSED = 4         /* QUIT answered, or a -ERR greeting:
				      close the connection */
};

/*
 * Server session (mf_pop3_server_init(3)): caller-owned; reads command
 * lines, says which the state allows, and moves through the states by the
 * replies the server sends.
 */
typedef struct mf_pop3_server {
	int state;          /* enum mf_pop3_state (read only) */
	int tls;            /* STLS was answered +OK: start TLS now */
	unsigned flags_;
	size_t max_line_;   /* mf_limits.max_line_len, 0 for the defaults */
	int verb_;          /* the line that awaits its reply */
	int due_;           /* a reply is due */
	int bad_;           /* the reply due must be -ERR */
	int user_;          /* USER was accepted: PASS may follow */
	int sasl_;          /* inside an AUTH exchange */
	int skip_;          /* skipping the rest of an over-long line */
	int err_;           /* init refused the options */
	uint64_t off_;      /* bytes consumed so far */
	uint64_t reserved[4]; /* zero */
} mf_pop3_server;

/* Ready for a connection (flags: MF_ACCEPT_LF; max_line_len). */
MF_NODISCARD MF_API int mf_pop3_server_init(mf_pop3_server *s,
					    const mf_opts *o);
/*
 * The next client line in p[0..n): MF_OK with cmd (views into p);
 * MF_MORE; MF_E_SYNTAX or MF_E_LIMIT (a bad or over-long line) and
 * MF_E_STATE (not allowed in this state) to be answered -ERR, with err's
 * reason. *consumed counts the bytes used, also with MF_MORE. Every line
 * read needs its reply (mf_pop3_server_reply) before the next one.
 */
MF_NODISCARD MF_API int mf_pop3_server_read(mf_pop3_server *s,
					    const char *p, size_t n,
					    mf_pop3_cmd *cmd, size_t *consumed,
					    mf_error *err);
/*
 * Writes the reply r to the line read last (first: the greeting) as
 * mf_pop3_reply_format does, and takes the state it leads to. MF_E_INVAL
 * for a reply the line cannot have (+OK to a refused line, a challenge
 * to anything but AUTH). The data of a multi-line +OK is the caller's.
 */
MF_NODISCARD MF_API int mf_pop3_server_reply(mf_pop3_server *s,
					     const mf_pop3_reply *r,
					     char *out, size_t cap,
					     size_t *outlen);
/*
 * The octets a client receives for the message p[0..n) sent with
 * mf_dot_encode (line ends as CRLF, a last one added): the size that
 * STAT and LIST report (RFC 1939 11).
 */
MF_API uint64_t mf_pop3_msg_size(const char *p, size_t n);
/*
 * *len gets the bytes of p[0..n) that TOP sends for lines body lines:
 * the header block with its empty line, then up to lines lines (ended by
 * LF) of the body (RFC 1939 7). MF_OK or MF_E_NOMEM.
 */
MF_NODISCARD MF_API int mf_pop3_top_len(const char *p, size_t n,
					uint64_t lines, size_t *len);

/* A message of the maildrop, as a server keeps it (mf_pop3_serve(3)). */
typedef struct mf_pop3_msg {
	uint64_t size;        /* octets the client receives (mf_pop3_msg_size) */
	mf_str uid;           /* UIDL: the unique-id, 1 to 70 of 0x21-0x7E */
	int deleted;          /* marked by DELE, unmarked by RSET */
	uint64_t reserved[2]; /* zero */
} mf_pop3_msg;

/*
 * Answers cmd, just read by mf_pop3_server_read (MF_OK), from the
 * caller's table msgs[0..n) (message k is msgs[k - 1]): appends the whole
 * reply to out and takes its state: STAT; LIST, UIDL (with the listing);
 * DELE and RSET (setting and clearing deleted); NOOP; QUIT before login;
 * -ERR to AUTH, STLS and unknown commands. RETR, TOP: the +OK line, and
 * *msg gets the index of the message, whose text the caller appends with
 * mf_dot_encode (TOP: cut by mf_pop3_top_len); else *msg is SIZE_MAX.
 * MF_MORE, nothing written, for the caller's own: USER, PASS, APOP, CAPA
 * and QUIT in UPDATE. MF_E_NOMEM or MF_E_INVAL (a bad uid) change nothing.
 */
MF_NODISCARD MF_API int mf_pop3_serve(mf_pop3_server *s,
				      const mf_pop3_cmd *cmd,
				      mf_pop3_msg *msgs, size_t n,
				      mf_buf *out, size_t *msg);
/*
 * Appends the data of the +OK mf_pop3_serve gave to RETR or TOP (cmd):
 * the message p[0..n) (TOP: its header and cmd->lines body lines)
 * dot-stuffed with CRLF line ends and the final ".". MF_E_NOMEM changes
 * nothing; MF_E_INVAL for another command.
 */
MF_NODISCARD MF_API int mf_pop3_serve_msg(mf_buf *out, const char *p,
					  size_t n, const mf_pop3_cmd *cmd);
/* The messages of msgs[0..n) not marked deleted; *octets (may be NULL)
 * gets their size: what STAT and a login's +OK report. */
MF_API size_t mf_pop3_drop_stat(const mf_pop3_msg *msgs, size_t n,
				uint64_t *octets);

/* Commands a client may send before their replies come (PIPELINING). */
#define MF_POP3_PIPELINE 32

/*
 * Client session (mf_pop3_client_init(3)): caller-owned; formats the
 * commands it may send now, and reads the replies, knowing which command
 * each one answers and whether data follows.
 */
typedef struct mf_pop3_client {
	int state;            /* enum mf_pop3_state, as the replies tell */
	int tls;              /* STLS was answered +OK: start TLS now */
	unsigned caps;        /* MF_POP3_CAP_* of the last CAPA reply */
	unsigned flags_;
	size_t max_line_;
	int user_;            /* USER was accepted */
	int sasl_;            /* inside an AUTH exchange */
	int mode_;            /* reading a reply line, lines, data, the end */
	unsigned head_;       /* pend_ index of the oldest command */
	unsigned npend_;      /* commands awaiting their reply */
	unsigned char pend_[MF_POP3_PIPELINE]; /* their verbs */
	int err_;             /* sticky error */
	uint64_t err_off_;
	const char *err_reason_;
	uint64_t off_;        /* bytes consumed so far */
	mf_dot_dec dot_;      /* the multi-line data */
	char buf_[4096];      /* unstuffed data */
	uint64_t reserved[4]; /* zero */
} mf_pop3_client;

/* What mf_pop3_client_read found. */
enum mf_pop3_ev_type {
	MF_POP3_EV_REPLY = 1, /* a reply line (the greeting first) */
	MF_POP3_EV_LINE = 2,  /* a line of a LIST, UIDL, CAPA or AUTH
				 listing: unstuffed, without line end */
	MF_POP3_EV_DATA = 3,  /* message bytes of RETR or TOP: unstuffed,
				 line ends as sent */
	MF_POP3_EV_END = 4    /* the end of the lines or data */
};

/* An event; library-filled, so it may grow at the end. */
typedef struct mf_pop3_event {
	int type;             /* enum mf_pop3_ev_type */
	int verb;             /* the command answered (MF_POP3_GREETING) */
	mf_pop3_reply reply;  /* REPLY */
	int multi;            /* REPLY: lines or data follow, then END */
	mf_str data;          /* LINE, DATA: valid until the next call */
	uint64_t defects;     /* END: MF_D_BARE_CR, MF_D_BARE_LF and
				 MF_D_LONG_LINE bits of the data */
	uint64_t off;         /* stream offset of the event's first byte */
} mf_pop3_event;

/* Ready for a connection (flags: MF_ACCEPT_LF, MF_LONG_LINES;
 * max_line_len). */
MF_NODISCARD MF_API int mf_pop3_client_init(mf_pop3_client *c,
					    const mf_opts *o);
/*
 * Writes cmd as mf_pop3_cmd_format does, when it may be sent now: after
 * the greeting, in the state the commands awaiting replies lead to, and
 * with another awaiting only if CAPA offered PIPELINING. MF_E_STATE
 * otherwise (nothing written), MF_E_LIMIT with MF_POP3_PIPELINE waiting.
 */
MF_NODISCARD MF_API int mf_pop3_client_command(mf_pop3_client *c,
					       const mf_pop3_cmd *cmd,
					       char *out, size_t cap,
					       size_t *outlen);
/*
 * Reads p[0..n) from the server up to one event: MF_OK with *ev, or
 * MF_MORE. *consumed counts the bytes used (also with MF_MORE). Errors
 * are sticky: MF_E_SYNTAX, MF_E_LIMIT (a bad or long line), MF_E_STATE
 * (a reply to no command, data after the STLS reply).
 */
MF_NODISCARD MF_API int mf_pop3_client_read(mf_pop3_client *c,
					    const char *p, size_t n,
					    mf_pop3_event *ev, size_t *consumed,
					    mf_error *err);

/* ====================================================================== */
/* Version                                                                 */
/* ====================================================================== */

/* MF_VERSION_NUM of the library actually linked. */
MF_API unsigned mf_version(void);
/* "MAJOR.MINOR.PATCH" of the library actually linked. */
MF_API const char *mf_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* MAILFMT_H */
