/* SPDX-License-Identifier: MIT */
/*
 * rfc2231.h - joining RFC 2231 parameter continuations, for the parameter
 * list parser of the header layer (Content-Type, Content-Disposition).
 *
 * How to use it. While parsing "; name=value" pairs:
 *  1. Split each parameter name with mf__rfc2231_name: "title*1*" gives
 *     base "title", section 1, MF__R2231_NUM | MF__R2231_EXT. A name
 *     whose suffix is malformed ("a*x", "a*01", "a**") is not an RFC 2231
 *     name: keep it as a plain parameter called exactly that.
 *  2. Collect the segments of each base name (case-insensitive) into an
 *     array of struct mf__r2231_seg, in header order: the value exactly as
 *     written (a token, or a quoted string WITH its quotes), its byte
 *     offset in the header (for defects), the section and the flags.
 *  3. Call mf__rfc2231_join once per base name. It sorts the array in
 *     place, reports duplicates and gaps, percent-decodes the extended
 *     segments, unquotes the quoted ones, joins the bytes, and converts
 *     them once from the charset named by section 0 to UTF-8, so that a
 *     multi-byte character split across segments survives. The result is
 *     appended to out.
 *
 * Which of "name", "name*" and "name*0..." wins when a header gives more
 * than one of them (Dovecot: the plain one) is the caller's decision: pass
 * only the segments of the form you chose. If you pass a mix, an
 * unnumbered segment counts as section 0 (and then as a duplicate).
 *
 * Policy (documented in mf_rfc2231_decode(3)):
 *  - Duplicate sections: the first in header order is used; the others
 *    set MF_D_PARAM_DUPLICATE at their offset.
 *  - Gaps or no section 0: the segments present are joined in order;
 *    MF_D_PARAM_SYNTAX at the first segment after each gap.
 *  - More than o->limits.max_params segments: the first max_params (in
 *    header order) are used, MF_D_FIELD_LIMIT at the first one dropped.
 *  - Section 0, when extended, carries charset'language'; later segments
 *    carry none (a quote there is data). A missing prefix is
 *    MF_D_PARAM_SYNTAX and the value is taken as text without charset.
 *  - "%" without two hex digits stays literal (MF_D_PARAM_SYNTAX).
 *  - An extended segment written as a quoted string is unquoted, then
 *    percent-decoded (MF_D_PARAM_SYNTAX).
 *  - Unknown charset: MF_D_EW_CHARSET, the bytes taken as UTF-8 when
 *    valid, else windows-1252 (RFC 7103 7.6); the same without a charset
 *    (empty, or no extended section 0), then with MF_D_8BIT_HEADER when
 *    the bytes are not UTF-8.
 *  - Bytes invalid in the charset: U+FFFD, MF_D_CHARSET_INVALID.
 *  - NUL (decoded or in a quoted string): U+FFFD, MF_D_NUL.
 *  - With MF__R2231_EW, a value with no extended segment has its RFC 2047
 *    encoded words decoded (what mail readers do with
 *    filename="=?utf-8?B?...?="); MF_D_EW_IN_QUOTES when it was quoted.
 *  - MF_STRICT in o->flags: the first defect is an error (MF_E_DEFECT,
 *    err->offset), out unchanged.
 */
#ifndef MF_RFC2231_H
#define MF_RFC2231_H

#include "core.h"

#define MF__R2231_EXT 0x1u /* name ends in "*": value is percent-encoded */
#define MF__R2231_NUM 0x2u /* name has a section number "*N" */

#define MF__R2231_EW 0x100u /* join: decode RFC 2047 words in plain values */

struct mf__r2231_seg {
	const char *val; /* as written: token, or quoted string with quotes */
	size_t len;
	size_t off;      /* offset of val in the header */
	uint32_t section;
	unsigned flags;  /* MF__R2231_EXT, MF__R2231_NUM */
};

/* Largest section number accepted (more digits: not an RFC 2231 name). */
#define MF__R2231_MAX_SECTION 999999u

/*
 * Splits parameter name p[0..n): *baselen the length of the attribute,
 * *section and *flags as above. Returns false when the "*" suffix is
 * malformed (the caller then treats p[0..n) as an ordinary name).
 *   name := attribute [ "*" ( "0" / %x31-39 *DIGIT ) ] [ "*" ]
 */
bool mf__rfc2231_name(const char *p, size_t n, size_t *baselen,
		      uint32_t *section, unsigned *flags);

/*
 * Joins the segments of one parameter (reordering segs in place) and
 * appends the value to out as UTF-8. flags: MF__R2231_EW. charset and lang
 * (may be NULL) get views of section 0's prefix, or empty views. defects,
 * err may be NULL. MF_OK, MF_E_NOMEM, MF_E_DEFECT (strict), MF_E_INVAL.
 */
int mf__rfc2231_join(mf_buf *out, struct mf__r2231_seg *segs, size_t nsegs,
		     unsigned flags, const mf_opts *o, mf_str *charset,
		     mf_str *lang, uint64_t *defects, mf_error *err);

#endif /* MF_RFC2231_H */
