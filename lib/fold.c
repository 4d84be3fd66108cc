/* SPDX-License-Identifier: MIT */
/*
 * fold.c - writing a header field folded for output (RFC 5322 2.1.1,
 * 2.2.3; RFC 2047 for non-ASCII text in 7-bit output; RFC 6532 for UTF-8
 * output).
 *
 * Folding only ever inserts a line break before white space that is
 * already in the value, so unfolding the output gives the value back byte
 * for byte. Break points have levels, and each line breaks at the highest
 * level that fits the width (the "highest-level syntactic point"):
 *	4  after a top-level "," (address lists), ";" (parameters,
 *	   Received), between message-ids, before a Received clause keyword
 *	3  after a "," inside a group
 *	2  other white space outside quoted strings, comments, literals
 *	1  white space inside quoted strings, comments and domain literals
 *	   (never after a backslash): only used to stay within 998 octets
 * A break point is the first white space of a run that has more text
 * after it, so no line is white space only. A line may exceed the width when no break fits (a long
 * word); none exceeds 998 octets: an unstructured word that long is
 * RFC 2047-encoded in pieces when output is 7-bit, otherwise (and for
 * structured fields) the call fails with MF_E_LIMIT.
 *
 * Structured fields are read with the tokenizer (quoted strings, comments,
 * domain literals), never by hand.
 */
#include "header.h"

#include "lex.h"

#define MAX_LINE 998

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* End of the white-space run starting at i. */
static size_t
run_end(const char *v, size_t n, size_t i)
{
	while (i < n && is_ws(v[i]))
		i++;
	return i;
}

/* Break points inside a quoted string, comment or literal v[s..e). */
static void
levels_inner(const char *v, size_t n, size_t s, size_t e, unsigned char *lv)
{
	size_t q;

	for (q = s + 1; q + 1 < e; q++) {
		if (v[q] == '\\') {
			q++;
			continue;
		}
		if (is_ws(v[q])) {
			size_t j = run_end(v, e, q);

			if (j < n)
				lv[q] = 1;
			q = j - 1;
		}
	}
}

/* Context walk: fills lv[0..n) with the break level of each byte. */
static void
levels_structured(const char *v, size_t n, int cls, unsigned char *lv)
{
	mf__lex lx;
	bool boost = false, group = false;
	size_t angle = 0, ws = SIZE_MAX;

	mf__lex_init(&lx, v, n, NULL, 0);
	while (lx.p < lx.end) {
		const char *s = lx.p;
		size_t i = (size_t)(s - v), prev_ws = ws;
		mf_str t;
		char c = *s;

		if (is_ws(c)) {
			size_t j = run_end(v, n, i);

			if (i > 0 && j < n) {
				lv[i] = boost ? (unsigned char)(group ? 3 : 4)
					      : 2;
				if (angle > 0)
					lv[i] = 2;
				ws = i;
			}
			lx.p = v + j;
			continue;
		}
		ws = SIZE_MAX;
		boost = false;
		if (c == '"' || c == '(' || c == '[') {
			if (c == '"')
				mf__lex_qstring(&lx, &t);
			else if (c == '(')
				mf__lex_comment(&lx, &t);
			else
				mf__lex_dliteral(&lx, &t);
			levels_inner(v, n, i, (size_t)(lx.p - v), lv);
			continue;
		}
		if (mf__lex_atom(&lx, &t)) {
			if (cls == MF__F_RECEIVED && prev_ws != SIZE_MAX) {
				static const char *const kw[] = {
				    "from", "by", "via", "with", "id", "for"};
				size_t k;

				for (k = 0; k < 6; k++) {
					if (mf__ieq(t.ptr, t.len, kw[k],
						    strlen(kw[k])))
						lv[prev_ws] = 4;
				}
			}
			continue;
		}
		lx.p++;
		switch (cls) {
		case MF__F_ADDRESS:
			if (c == '<')
				angle++;
			else if (c == '>' && angle > 0)
				angle--;
			else if (c == ':' && angle == 0)
				group = true;
			else if (c == ';' && angle == 0)
				group = false, boost = true;
			else if (c == ',' && angle == 0)
				boost = true;
			break;
		case MF__F_MSGID:
			if (c == '>')
				boost = true;
			else if (c == '<' && prev_ws != SIZE_MAX)
				lv[prev_ws] = 4;
			break;
		case MF__F_PARAMS:
		case MF__F_RECEIVED:
			if (c == ';')
				boost = true;
			break;
		default:
			break;
		}
	}
}

static void
levels_unstructured(const char *v, size_t n, unsigned char *lv)
{
	size_t i = 1;

	while (i < n) {
		if (is_ws(v[i])) {
			size_t j = run_end(v, n, i);

			if (j < n)
				lv[i] = 2;
			i = j;
		} else {
			i++;
		}
	}
}

/*
 * Chooses where the line starting at value index s (output column col)
 * ends: the last break of the highest level within the width, else the
 * first break of level >= 2 after it, else the last break of any level
 * within 998 octets. Returns n when the rest fits, SIZE_MAX when nothing
 * keeps the line within 998 octets.
 */
static size_t
choose_break(const unsigned char *lv, size_t n, size_t s, size_t col,
	     size_t width)
{
	size_t best[5] = {0, 0, 0, 0, 0}, lim, hard, i, b;
	int l;

	if (col + (n - s) <= width)
		return n;
	lim = width > col ? s + (width - col) : s;
	hard = MAX_LINE > col ? s + (MAX_LINE - col) : s;
	for (i = s + 1; i <= lim && i < n; i++) {
		if (lv[i] != 0)
			best[lv[i]] = i;
	}
	for (l = 4; l >= 2; l--) {
		if (best[l] != 0)
			return best[l];
	}
	for (i = lim + 1; i < n; i++) {
		if (lv[i] >= 2)
			break;
	}
	if (i >= n && col + (n - s) <= MAX_LINE)
		return n;
	if (i < n && i <= hard)
		return i;
	/* Past 998: any break, innermost levels included. */
	b = 0;
	for (i = s + 1; i <= hard && i < n; i++) {
		if (lv[i] != 0)
			b = i;
	}
	return b != 0 ? b : SIZE_MAX;
}

/* Writes v[0..n) folded; the first line has col bytes already. */
static int
fold_text(mf_buf *out, const char *v, size_t n, const unsigned char *lv,
	  size_t col, size_t width, const char *eol, size_t *bad)
{
	size_t s = 0;
	int rc;

	while (s < n) {
		size_t b = choose_break(lv, n, s, col, width);

		if (b == SIZE_MAX) {
			*bad = s;
			return MF_E_LIMIT;
		}
		rc = mf__buf_put(out, v + s, b - s);
		if (rc == MF_OK && b < n)
			rc = mf__buf_puts(out, eol);
		if (rc < 0)
			return rc;
		s = b;
		col = 0;
	}
	return mf__buf_puts(out, eol);
}

static bool
is_ascii(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return false;
	}
	return true;
}

int
mf_hdr_fold(mf_buf *out, const char *name, size_t namelen, const char *value,
	    size_t n, unsigned flags, size_t width, mf_error *err)
{
	const char *eol = (flags & MF_HDR_LF) ? "\n" : "\r\n";
	size_t i, start, bad = 0;
	unsigned char *lv;
	int cls, rc;

	if (out == NULL || (name == NULL && namelen != 0) ||
	    (value == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (namelen == 0 || namelen + 2 > MAX_LINE)
		return mf__err(err, MF_E_INVAL, 0, "invalid field name");
	for (i = 0; i < namelen; i++) {
		if (!mf__is((unsigned char)name[i], MF__C_FTEXT))
			return mf__err(err, MF_E_INVAL, 0,
				       "invalid field name");
	}
	for (i = 0; i < n; i++) {
		char c = value[i];

		if (c == '\r' || c == '\n' || c == '\0')
			return mf__err(err, MF_E_INVAL, i,
				       "CR, LF or NUL in a header value");
	}
	if (!mf__utf8_valid(value, n)) {
		for (i = 0; i < n && mf__utf8_valid(value + i, 1); i++)
			;
		return mf__err(err, MF_E_INVAL, i, "value is not UTF-8");
	}
	if (width == 0)
		width = 78;
	if (width > MAX_LINE)
		width = MAX_LINE;
	cls = mf__field_class(name, namelen);
	if (!(flags & MF_UTF8_OUT) && !is_ascii(value, n))
		return mf__err(err, MF_E_CHARSET, 0,
			       "non-ASCII text needs MF_UTF8_OUT");

	start = out->len;
	lv = n > 0 ? mf__alloc(&out->a, n) : NULL;
	if (n > 0 && lv == NULL)
		return mf__err(err, MF_E_NOMEM, 0, "out of memory");
	if (n > 0)
		memset(lv, 0, n);
	if (cls == MF__F_UNSTRUCTURED)
		levels_unstructured(value, n, lv);
	else
		levels_structured(value, n, cls, lv);
	rc = mf__buf_put(out, name, namelen);
	if (rc == MF_OK)
		rc = mf__buf_put(out, n > 0 ? ": " : ":", n > 0 ? 2 : 1);
	if (rc == MF_OK)
		rc = fold_text(out, value, n, lv, namelen + 2, width, eol,
			       &bad);
	mf__release(&out->a, lv);
	if (rc < 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		if (rc == MF_E_LIMIT)
			return mf__err(err, rc, bad,
				       "word too long for a 998-octet line");
		return mf__err(err, rc, 0, mf_strerror(rc));
	}
	return MF_OK;
}
