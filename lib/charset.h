/* SPDX-License-Identifier: MIT */
/*
 * charset.h - charset conversion internals shared by the codecs that decode
 * labelled text (ew.c for RFC 2047, rfc2231.c). They resolve a label once
 * (mf__cs_resolve) and convert with mf__cs_decode, which reports nothing
 * itself: it returns the offset of the first invalid byte so that the
 * caller can report the defect at its own offset in the header.
 */
#ifndef MF_CHARSET_H
#define MF_CHARSET_H

#include "core.h"

/* A resolved charset label. */
typedef struct mf__cs {
	int id;            /* MF__CS_* (built-in), MF__CS_EXT or MF__CS_NONE */
	const char *iconv; /* iconv name for MF__CS_EXT (may be label) */
	char label[64];    /* the normalised label, NUL-terminated */
	size_t lablen;
} mf__cs;

enum {
	MF__CS_NONE = -1, /* empty, too long or not a charset name */
	MF__CS_EXT = 0,   /* no built-in converter: hook, then iconv */
	MF__CS_ASCII,
	MF__CS_UTF8,
	MF__CS_UTF16,
	MF__CS_UTF16LE,
	MF__CS_UTF16BE,
	MF__CS_UTF32,
	MF__CS_UTF32LE,
	MF__CS_UTF32BE,
	MF__CS_SB /* first single-byte table; more follow */
};

/* Sentinel for "no invalid byte" in the bad offsets below. */
#define MF__CS_NOBAD ((size_t)-1)

/*
 * Normalises and resolves label cs[0..n) (whitespace and quotes trimmed,
 * case folded, x- prefix dropped where that names a known charset).
 * Allocates nothing. Sets c->id to MF__CS_NONE for a label that cannot be
 * a charset name.
 */
void mf__cs_resolve(mf__cs *c, const char *cs, size_t n);

/*
 * Converts in[0..n) from resolved charset c to UTF-8, appending to out
 * (order: built-in, o->charset_fn, iconv). *bad gets the offset of the
 * first invalid or unmappable byte, or MF__CS_NOBAD. Returns MF_OK,
 * MF_E_CHARSET (unknown; out unchanged) or MF_E_NOMEM (out unchanged).
 */
int mf__cs_decode(mf_buf *out, const mf__cs *c, const char *in, size_t n,
		  const mf_opts *o, size_t *bad);

/*
 * Byte order of "utf-16" (unit 2) or "utf-32" (unit 4) text p[0..n):
 * *bom gets the length of a byte order mark at p (0 if none); returns 1
 * for little-endian, 0 for big-endian. Without a mark, RFC 2781 4.3 says
 * big-endian, but Windows software labels little-endian text "utf-16"
 * without one: the zero bytes of the first MF__WIDE_SAMPLE bytes decide
 * (Latin text in UTF-16LE has them in the high, second byte of each
 * unit), big-endian when they do not.
 */
#define MF__WIDE_SAMPLE 512u
int mf__wide_order(const unsigned char *p, size_t n, unsigned unit,
		   size_t *bom);

/*
 * Text of unknown or missing charset (RFC 7103 7.6): UTF-8 when it is
 * valid UTF-8, else windows-1252. *bad as above (set when 8-bit bytes are
 * present but not UTF-8).
 */
int mf__cs_guess(mf_buf *out, const char *in, size_t n, size_t *bad);

/* Canonical MIME name of c (built-in or documented alias), or NULL. */
const char *mf__cs_mime(const mf__cs *c);

/* Whether c converts from UTF-8 without loss (utf-8, utf-16, utf-32). */
bool mf__cs_is_unicode(const mf__cs *c);

/*
 * Converts UTF-8 in[0..n) to charset c, appending to out; unmappable
 * characters become '?' (U+FFFD for Unicode charsets) and set *bad.
 * MF_E_CHARSET when c cannot be encoded to.
 */
int mf__cs_encode(mf_buf *out, const mf__cs *c, const char *in, size_t n,
		  size_t *bad);

/*
 * Converts out[from..) in place from charset c to UTF-8 (c NULL: no
 * charset: UTF-8 when valid, else windows-1252). *bad: offset in the
 * region of the first invalid byte, or MF__CS_NOBAD; *unknown: c was not
 * known to any converter and the bytes were taken as mf__cs_guess takes
 * them. MF_OK or MF_E_NOMEM (region then unspecified).
 */
int mf__cs_convert_tail(mf_buf *out, size_t from, const mf__cs *c,
			const mf_opts *o, size_t *bad, bool *unknown);

/* Replaces each NUL byte in out[from..) by U+FFFD; *found if any. */
int mf__utf8_fix_nul(mf_buf *out, size_t from, bool *found);

/* For the tests: the alias table, which must stay sorted (strcmp). */
size_t mf__cs_alias_count(void);
const char *mf__cs_alias_name(size_t i);

#endif /* MF_CHARSET_H */
