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
 * after it, so no line is white space only. A line may exceed the width
 * when no break fits (a long word); none exceeds 998 octets: in 7-bit
 * output an unstructured word that long is RFC 2047-encoded in pieces;
 * with MF_UTF8_OUT (the value written as it is) and in structured fields
 * the call fails with MF_E_LIMIT.
 *
 * ASCII structured values are written as they are (encoded words already
 * in them stay), and so is everything with MF_UTF8_OUT (MF_RAW's path).
 * Non-ASCII needs MF_UTF8_OUT (RFC 6532) or, for 7-bit output, RFC 2047:
 * unstructured text through mf_ew_encode, which also encodes the words
 * holding "=?" (an ASCII look-alike "=?utf-8?q?x?=" written as it is
 * was decoded by every reader, issue 8 interop); in address fields
 * each display name becomes an encoded phrase (MF_EW_PHRASE), done here
 * on tokens rather than by re-formatting the list with mf_addr_format,
 * so comments, spacing and every other byte of the caller's text stay as
 * given; an addr-spec cannot be encoded (MF_E_UTF8_OUT). Other structured
 * fields with non-ASCII need MF_UTF8_OUT (MF_E_UTF8_OUT).
 *
 * Structured fields are read with the tokenizer (quoted strings, comments,
 * domain literals), never by hand.
 */
#include "header.h"
#include "mime.h"

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

/* An encoded word as mf_ew_encode writes it ("=?...?="). */
static bool
is_ew(const char *p, size_t n)
{
	return n >= 8 && p[0] == '=' && p[1] == '?' && p[n - 2] == '?' &&
	       p[n - 1] == '=';
}

/*
 * Appends the phrase text (words unquoted, joined by single spaces) as a
 * 7-bit phrase: mf_ew_encode turns the words that need it into encoded
 * words (MF_EW_PHRASE); any other word that is not an atom is quoted.
 */
static int
put_phrase(mf_buf *out, const char *text, size_t n)
{
	mf_buf ew;
	size_t i = 0;
	int rc;

	mf__buf_init(&ew, &out->a);
	rc = mf_ew_encode(&ew, text, n, NULL, MF_EW_PHRASE, 0, 0);
	while (rc == MF_OK && i < ew.len) {
		size_t j = i;

		while (j < ew.len && ew.data[j] != ' ')
			j++;
		if (j > i) {
			const char *w = ew.data + i;
			size_t k, wl = j - i;
			bool atom = true;

			for (k = 0; k < wl; k++) {
				if (!mf__is((unsigned char)w[k], MF__C_ATEXT))
					atom = false;
			}
			if (atom || is_ew(w, wl))
				rc = mf__buf_put(out, w, wl);
			else
				rc = mf__quote(out, w, wl, false);
		}
		if (rc == MF_OK && j < ew.len)
			rc = mf__buf_putc(out, ' ');
		i = j + 1;
	}
	mf__buf_fini(&ew);
	return rc;
}

/* Copies v[s..e), which must be ASCII (an addr-spec cannot be encoded). */
static int
put_ascii(mf_buf *out, const char *v, size_t s, size_t e, size_t *bad)
{
	size_t i;

	for (i = s; i < e; i++) {
		if ((unsigned char)v[i] >= 0x80) {
			*bad = i;
			return MF_E_UTF8_OUT;
		}
	}
	return mf__buf_put(out, v + s, e - s);
}

/*
 * An address list with non-ASCII text for 7-bit output: each display name
 * or group name (a run of words before "<" or ":") is rewritten as an RFC
 * 2047 phrase; every other byte is copied as is, and non-ASCII anywhere
 * else (addr-specs, comments, literals) is MF_E_UTF8_OUT at its offset.
 * This works on tokens, so the caller's text (comments, spacing, routes)
 * survives unchanged.
 */
static int
encode_addresses(mf_buf *out, const char *v, size_t n, size_t *bad)
{
	mf__lex lx;
	mf_buf text;
	size_t angle = 0, run = SIZE_MAX, run_end = 0, copied = 0, run8 = 0;
	bool run_8bit = false;
	int rc = MF_OK;

	mf__buf_init(&text, &out->a);
	mf__lex_init(&lx, v, n, NULL, 0);
	for (;;) {
		const char *s;
		size_t i;
		mf_str t;
		bool word = false;

		while (lx.p < lx.end && (*lx.p == ' ' || *lx.p == '\t'))
			lx.p++;
		s = lx.p;
		i = (size_t)(s - v);
		if (s < lx.end && angle == 0 &&
		    (*s == '"' || (unsigned char)*s >= 0x80 ||
		     mf__is((unsigned char)*s, MF__C_ATEXT) || *s == '.')) {
			word = true;
			if (*s == '"')
				mf__lex_qstring(&lx, &t);
			else if (*s == '.')
				lx.p++;
			else
				mf__lex_atom(&lx, &t);
		}
		if (word) {
			if (run == SIZE_MAX)
				run = i;
			run_end = (size_t)(lx.p - v);
			if (!run_8bit) {
				size_t k;

				for (k = i; k < run_end && !run_8bit; k++) {
					if ((unsigned char)v[k] >= 0x80) {
						run_8bit = true;
						run8 = k;
					}
				}
			}
			continue;
		}
		/* The run ends here: a display name if "<" or ":" follows. */
		if (run != SIZE_MAX && run_8bit) {
			mf__lex w;

			if (s >= lx.end || (*s != '<' && *s != ':')) {
				*bad = run8;
				rc = MF_E_UTF8_OUT;
				break;
			}
			rc = put_ascii(out, v, copied, run, bad);
			text.len = 0;
			mf__lex_init(&w, v + run, run_end - run, NULL, 0);
			while (rc == MF_OK && w.p < w.end) {
				mf_str u;

				mf__lex_cfws(&w);
				if (w.p >= w.end)
					break;
				if (text.len > 0)
					rc = mf__buf_putc(&text, ' ');
				if (rc != MF_OK)
					break;
				if (*w.p == '"') {
					mf__lex_qstring(&w, &u);
					rc = mf__unquote(&text, u.ptr, u.len);
				} else if (mf__lex_atom(&w, &u)) {
					rc = mf__buf_put(&text, u.ptr, u.len);
				} else {
					rc = mf__buf_putc(&text, *w.p);
					w.p++;
				}
			}
			if (rc == MF_OK)
				rc = put_phrase(out, text.data, text.len);
			/* Keep the white space between the name and "<". */
			copied = run_end;
			if (rc != MF_OK)
				break;
		}
		run = SIZE_MAX;
		run_8bit = false;
		if (s >= lx.end)
			break;
		if (*s == '(') {
			mf__lex_comment(&lx, &t);
		} else if (*s == '[') {
			mf__lex_dliteral(&lx, &t);
		} else if (*s == '"') {
			mf__lex_qstring(&lx, &t);
		} else {
			if (*s == '<')
				angle++;
			else if (*s == '>' && angle > 0)
				angle--;
			lx.p++;
		}
	}
	if (rc == MF_OK)
		rc = put_ascii(out, v, copied, n, bad);
	mf__buf_fini(&text);
	return rc;
}

/* Whether p[0..n) holds "=?", which a reader could take for the start of
 * an encoded word (RFC 2047 6.1). */
static bool
has_ew_start(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] == '=' && p[i + 1] == '?')
			return true;
	}
	return false;
}

/*
 * Unstructured text for 7-bit output (RFC 2047 5(1)): mf_ew_encode with
 * the value's first column and the width, so that the first encoded word
 * fits on the line after "Name: " (with column 0 it was 75 characters
 * after it: an 84-column first line), then unfolded: folding is redone by
 * fold_text at the same white space (greedy, like mf_ew_encode), and its
 * lines hold the words mf_ew_encode sized for them.
 */
static int
ew_unfolded(mf_buf *tmp, const char *value, size_t n, size_t col,
	    size_t width)
{
	size_t i, o = 0;
	int rc = mf_ew_encode(tmp, value, n, NULL, 0, col, width);

	if (rc < 0)
		return rc;
	for (i = 0; i < tmp->len; i++) {
		if (tmp->data[i] == '\r' && i + 1 < tmp->len &&
		    tmp->data[i + 1] == '\n') {
			i++;
			continue;
		}
		tmp->data[o++] = tmp->data[i];
	}
	mf__buf_cut(tmp, o);
	return MF_OK;
}

/* Levels, then the lines: "Name: " value, folded. */
static int
fold_value(mf_buf *out, const char *name, size_t namelen, const char *value,
	   size_t n, int cls, size_t width, const char *eol, size_t *bad)
{
	unsigned char *lv = NULL;
	int rc;

	if (n > 0) {
		lv = mf__alloc(&out->a, n);
		if (lv == NULL)
			return MF_E_NOMEM;
		memset(lv, 0, n);
		if (cls == MF__F_UNSTRUCTURED)
			levels_unstructured(value, n, lv);
		else
			levels_structured(value, n, cls, lv);
	}
	rc = mf__buf_put(out, name, namelen);
	if (rc == MF_OK)
		rc = mf__buf_put(out, n > 0 ? ": " : ":", n > 0 ? 2 : 1);
	if (rc == MF_OK)
		rc = fold_text(out, value, n, lv, namelen + 2, width, eol, bad);
	mf__release(&out->a, lv);
	return rc;
}

int
mf_hdr_fold(mf_buf *out, const char *name, size_t namelen, const char *value,
	    size_t n, unsigned flags, size_t width, mf_error *err)
{
	return mf__hdr_fold_cls(out, name, namelen, value, n, flags, width, -1,
				err);
}

int
mf__hdr_fold_cls(mf_buf *out, const char *name, size_t namelen,
		 const char *value, size_t n, unsigned flags, size_t width,
		 int cls, mf_error *err)
{
	const char *eol = (flags & MF_LF) ? "\n" : "\r\n";
	size_t i, start, bad = 0;
	mf_buf tmp;
	int rc = MF_OK;

	if (out == NULL || (name == NULL && namelen != 0) ||
	    (value == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if ((flags & ~(MF_LF | MF_UTF8_OUT)) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	/* Name errors: the offset is in the name. */
	if (namelen == 0)
		return mf__err(err, MF_E_INVAL, 0, "empty field name");
	if (namelen + 2 > MAX_LINE)
		return mf__err(err, MF_E_INVAL, MAX_LINE - 2,
			       "field name too long");
	for (i = 0; i < namelen; i++) {
		if (!mf__is((unsigned char)name[i], MF__C_FTEXT))
			return mf__err(err, MF_E_INVAL, i,
				       "invalid field name");
	}
	for (i = 0; i < n; i++) {
		char c = value[i];

		if (c == '\r' || c == '\n' || c == '\0')
			return mf__err(err, MF_E_INVAL, i,
				       "CR, LF or NUL in a header value");
	}
	for (i = 0; i < n;) {
		size_t k = mf__utf8_seq((const unsigned char *)value + i, n - i);

		if (k == 0)
			return mf__err(err, MF_E_INVAL, i,
				       "value is not UTF-8");
		i += k;
	}
	if (width == 0)
		width = 78;
	if (width > MAX_LINE)
		width = MAX_LINE;
	if (cls < 0)
		cls = mf__field_class(name, namelen);
	start = out->len;
	mf__buf_init(&tmp, &out->a);
	if (!(flags & MF_UTF8_OUT) && cls == MF__F_UNSTRUCTURED &&
	    (!is_ascii(value, n) || has_ew_start(value, n))) {
		/* 7-bit output: RFC 2047; see ew_unfolded. */
		rc = ew_unfolded(&tmp, value, n, namelen + 2, width);
		if (rc < 0) {
			mf__buf_fini(&tmp);
			return mf__err(err, rc, 0, mf_strerror(rc));
		}
		value = tmp.data != NULL ? tmp.data : "";
		n = tmp.len;
	} else if (!(flags & MF_UTF8_OUT) && !is_ascii(value, n)) {
		/* 7-bit output: RFC 2047 where the syntax allows it. */
		if (cls == MF__F_ADDRESS) {
			rc = encode_addresses(&tmp, value, n, &bad);
			if (rc == MF_E_UTF8_OUT) {
				mf__buf_fini(&tmp);
				return mf__err(err, rc, bad,
					       "non-ASCII address needs "
					       "MF_UTF8_OUT");
			}
		} else {
			mf__buf_fini(&tmp);
			for (bad = 0; (unsigned char)value[bad] < 0x80; bad++)
				;
			return mf__err(err, MF_E_UTF8_OUT, bad,
				       "non-ASCII text in a structured field "
				       "needs MF_UTF8_OUT");
		}
		if (rc < 0) {
			mf__buf_fini(&tmp);
			return mf__err(err, rc, 0, mf_strerror(rc));
		}
		value = tmp.data != NULL ? tmp.data : "";
		n = tmp.len;
	}
	rc = fold_value(out, name, namelen, value, n, cls, width, eol, &bad);
	if (rc == MF_E_LIMIT && cls == MF__F_UNSTRUCTURED && tmp.data == NULL &&
	    !(flags & MF_UTF8_OUT)) {
		/*
		 * A word over 998 octets in 7-bit output: encoded words can be
		 * split. Not with MF_UTF8_OUT, which writes the value as it
		 * is (unfolding gives it back): that is MF_E_LIMIT, as in a
		 * structured field, rather than a value the caller did not
		 * write (the words around the long one, its UTF-8, encoded).
		 */
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		rc = ew_unfolded(&tmp, value, n, namelen + 2, width);
		if (rc == MF_OK)
			rc = fold_value(out, name, namelen, tmp.data, tmp.len,
					cls, width, eol, &bad);
	}
	mf__buf_fini(&tmp);
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
