/* SPDX-License-Identifier: MIT */
/*
 * filename.c - a file name that is safe to create in a directory, made
 * from the name an attachment suggests (mf_part_filename: RFC 2183 2.3
 * filename, or the Content-Type name; RFC 2231 / 2047 decoded UTF-8).
 *
 * RFC 2183 2.3 says the receiving agent "should not respect any directory
 * path information" and must beware of names that have a meaning on the
 * local system. Policy, the same on every platform so that a name saved
 * on one is safe on the others:
 *  - Only the last path component is kept: everything up to the last "/"
 *    or "\" goes (Windows mailers send "C:\dir\file.doc").
 *  - Leading dots and blanks go ("." and "..", hidden files, names that
 *    start with a space); so do trailing dots and blanks, which Windows
 *    drops itself (so "a.txt." and "a.txt" would be one file there).
 *  - A character that is not allowed or not visible becomes one "_":
 *    C0 controls, DEL, C1 controls, the characters Windows refuses in
 *    names (< > : " | ? *), the Unicode bidirectional controls (U+200E,
 *    U+200F, U+061C, U+202A-U+202E, U+2066-U+2069: "invoice<RLO>fdp.exe"
 *    shows as "invoiceexe.pdf") and U+FEFF; so does each byte that is not
 *    part of valid UTF-8.
 *  - The Windows device names (CON, PRN, AUX, NUL, COM0-COM9, LPT0-LPT9,
 *    COM and LPT with a superscript 1-3; any case, with any extension)
 *    get a "_" in front.
 *  - The name is cut to the caller's size on a character boundary,
 *    keeping the extension (the part from the last ".", up to 16 bytes)
 *    when a character of the rest fits before it.
 * What is left may be empty: the caller then makes a name of its own.
 */
#include "core.h"

/* Bytes the character at s[0..n) takes in the clean name (*k: in the
 * input); 0 means it is written as "_". */
static size_t
clean_char(const unsigned char *s, size_t n, size_t *k)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		*k = 1;
		if (s[0] < 0x20 || s[0] == 0x7F ||
		    strchr("<>:\"/\\|?*", s[0]) != NULL)
			return 0;
		return 1;
	}
	len = mf__utf8_seq(s, n);
	if (len == 0) {
		*k = 1;
		return 0;
	}
	*k = len;
	if (len == 2)
		cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
	else if (len == 3)
		cp = ((uint32_t)(s[0] & 0x0F) << 12) |
		     ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
	else
		return len; /* U+10000 and above: no control among them */
	if (cp <= 0x9F || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xFEFF)
		return 0;
	return len;
}

/*
 * Appends the clean form of s[0..n) to out[*o..lim), whole characters
 * only; returns false when it had to stop early.
 */
static bool
put_clean(char *out, size_t *o, size_t lim, const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k, w = clean_char(s + i, n - i, &k);

		if (*o + (w == 0 ? 1 : w) > lim)
			return false;
		if (w == 0)
			out[(*o)++] = '_';
		else
			memcpy(out + *o, s + i, w);
		*o += w;
		i += k;
	}
	return true;
}

static size_t
clean_len(const unsigned char *s, size_t n)
{
	size_t i = 0, len = 0;

	while (i < n) {
		size_t k, w = clean_char(s + i, n - i, &k);

		len += w == 0 ? 1 : w;
		i += k;
	}
	return len;
}

static bool
blank_or_dot(char c)
{
	return c == '.' || c == ' ';
}

/* Whether out[0..len) is a Windows device name, with or without an
 * extension (the comparison ignores blanks before the first dot). */
static bool
reserved(const char *out, size_t len)
{
	static const char *const dev[] = {"con", "prn", "aux", "nul"};
	const char *dot = memchr(out, '.', len);
	size_t b = dot != NULL ? (size_t)(dot - out) : len, i;

	while (b > 0 && out[b - 1] == ' ')
		b--;
	for (i = 0; i < 4; i++)
		if (mf__ieq(out, b, dev[i], 3))
			return true;
	if (b < 4 || !(mf__ieq(out, 3, "com", 3) || mf__ieq(out, 3, "lpt", 3)))
		return false;
	if (b == 4)
		return out[3] >= '0' && out[3] <= '9';
	/* COM and LPT with superscript 1, 2, 3 (U+00B9, U+00B2, U+00B3). */
	return b == 5 && (unsigned char)out[3] == 0xC2 &&
	       ((unsigned char)out[4] == 0xB9 ||
	        (unsigned char)out[4] == 0xB2 || (unsigned char)out[4] == 0xB3);
}

/* Drops whole characters from the end of out[0..*o) until it is <= lim. */
static void
cut_to(const char *out, size_t *o, size_t lim)
{
	while (*o > lim) {
		(*o)--;
		while (*o > 0 && ((unsigned char)out[*o] & 0xC0) == 0x80)
			(*o)--;
	}
}

int
mf_filename_safe(char *out, size_t cap, const char *name, size_t n,
                 size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t i, start = 0, o = 0, lim;

	if (outlen != NULL)
		*outlen = 0;
	if (out == NULL || cap == 0 || (name == NULL && n != 0))
		return MF_E_INVAL;
	if (name == NULL)
		s = (const unsigned char *)""; /* n is 0 */
	lim = cap - 1;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '\\')
			start = i + 1;
	while (start < n && (blank_or_dot((char)s[start]) || s[start] == '\t'))
		start++;
	while (n > start && blank_or_dot((char)s[n - 1]))
		n--;
	if (!put_clean(out, &o, lim, s + start, n - start)) {
		/* Too long: the head cut, the extension kept if short. */
		size_t d = n, e = 0;

		while (d > start && s[d - 1] != '.')
			d--;
		if (d > start + 1) {
			d--;
			e = clean_len(s + d, n - d);
		}
		o = 0;
		if (e >= 2 && e <= 16 && e < lim)
			(void)put_clean(out, &o, lim - e, s + start, d - start);
		if (o > 0) {
			(void)put_clean(out, &o, lim, s + d, n - d);
		} else {
			/* Not one character fits before it: a plain cut. */
			(void)put_clean(out, &o, lim, s + start, n - start);
		}
	}
	/* A cut can leave blanks or dots at either end. */
	while (o > 0 && blank_or_dot(out[o - 1]))
		o--;
	for (i = 0; i < o && blank_or_dot(out[i]); i++)
		;
	memmove(out, out + i, o - i);
	o -= i;
	if (o > 0 && reserved(out, o)) {
		cut_to(out, &o, lim - 1);
		if (lim > 0) {
			memmove(out + 1, out, o);
			out[0] = '_';
			o++;
		}
		while (o > 1 && blank_or_dot(out[o - 1]))
			o--;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return MF_OK;
}
