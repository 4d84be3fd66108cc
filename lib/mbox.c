/* SPDX-License-Identifier: MIT */
/*
 * mbox.c - splitting an mbox buffer into messages without copying, and
 * undoing ">From " quoting (mboxo and mboxrd; RFC 4155 describes the
 * family).
 *
 * Policy (the reading of mutt, Python's mailbox and MimeKit):
 *  - Every line that begins with "From " starts a message; nothing else
 *    about the line is checked (the rest of it varies among writers).
 *  - The line end before a From_ line separates the messages: the
 *    message before ends without it, so that the usual empty line before
 *    a From_ line is the separator and not content.
 *  - Bytes before the first From_ line form a message without From_ line;
 *    a UTF-8 byte order mark right before it is skipped.
 *  - With MF_MBOX_CLEN a Content-Length field is trusted when the message
 *    it measures ends at the end of the buffer or right before a From_
 *    line (optionally after one line end); otherwise it is ignored.
 *  - A From_ line is "From " sender date (RFC 4155 appendix A: the
 *    envelope sender, then a ctime(3) date): the sender is the first word
 *    (a quoted string may hold spaces; "-" and "MAILER-DAEMON" are kept
 *    as they are), the date is the rest, read by the lenient date parser
 *    (ctime order, a zone before or after the year, the RFC 5322 form some
 *    writers use, words after it). Leading ">" (a quoted From_ line, as
 *    mf_part_mbox_from may give) are skipped.
 */
#include "header.h"
#include "mime.h"

static bool
from_at(const char *p, size_t n, size_t i)
{
	return i <= n && n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

/* The next line start >= from that begins "From ", or n. */
static size_t
next_from(int path, const char *p, size_t n, size_t from)
{
	size_t j;

	if (from_at(p, n, from) && (from == 0 || p[from - 1] == '\n'))
		return from;
	j = from > 0 ? from - 1 : 0;
	for (;;) {
		j = mf__scan_nl2(path, p, n, j, 'F', 'r');
		if (j >= n)
			return n;
		if (j + 1 >= from && from_at(p, n, j + 1))
			return j + 1;
		j++;
	}
}

bool
mf__clen_value(mf_str v, uint64_t *cl)
{
	size_t i = 0;

	*cl = 0;
	while (i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9' &&
	       *cl < ((uint64_t)1 << 60))
		*cl = *cl * 10 + (uint64_t)(v.ptr[i++] - '0');
	if (i == 0)
		return false;
	while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
		i++;
	return i == v.len;
}

bool
mf__blank_before(const char *p, size_t start, size_t body)
{
	if (body <= start || p[body - 1] != '\n')
		return false;
	if (body - 1 == start || p[body - 2] == '\n')
		return true;
	return p[body - 2] == '\r' &&
	       (body - 2 == start || p[body - 3] == '\n');
}

bool
mf__clen_end(const char *p, size_t n, uint64_t body, uint64_t cl, size_t *me,
	     size_t *next)
{
	uint64_t end;

	if (body > n || cl > n - body)
		return false;
	end = body + cl;
	*me = (size_t)end;
	if (end == n || from_at(p, n, (size_t)end)) {
		*next = (size_t)end;
		return true;
	}
	if (p[end] == '\n' && from_at(p, n, (size_t)end + 1)) {
		*next = (size_t)end + 1;
		return true;
	}
	if (p[end] == '\r' && end + 1 < n && p[end + 1] == '\n' &&
	    from_at(p, n, (size_t)end + 2)) {
		*next = (size_t)end + 2;
		return true;
	}
	return false;
}

/*
 * Where the message that starts at ms ends, given a Content-Length: its
 * header block must end with an empty line, with no From_ line in it
 * (the parser's MF_MBOX mode ends the message at one; a ">From " line is
 * a quoted one and no separator).
 */
static bool
clen_end(const char *p, size_t n, size_t ms, size_t *me, size_t *next)
{
	mf__hdr h;
	size_t s = ms, used;
	uint64_t cl = 0, body = 0;
	bool have = false, done = false;

	mf__hdr_init(&h, NULL, ms);
	while (!done) {
		mf__hdr_ev ev;
		int rc = mf__hdr_feed(&h, p + s, n - s, true, &used, &ev);

		if (rc != MF_OK)
			break;
		s += used;
		if (ev.type == MF__HDR_END) {
			body = ev.body_off;
			done = mf__blank_before(p, ms, (size_t)body);
			break;
		} else if (ev.type == MF__HDR_MBOX_FROM &&
			   ev.f.value.len >= 5 &&
			   memcmp(ev.f.value.ptr, "From ", 5) == 0) {
			break;
		} else if (ev.type == MF__HDR_FIELD && !have &&
			   mf__ieq(ev.f.name.ptr, ev.f.name.len,
				   "content-length", 14)) {
			/* The first valid one. */
			have = mf__clen_value(ev.f.value, &cl);
		}
	}
	mf__hdr_fini(&h);
	return done && have && mf__clen_end(p, n, body, cl, me, next);
}

int
mf_mbox_next(const char *p, size_t n, size_t *pos, unsigned flags,
	     mf_str *msg, mf_str *from_line, size_t *msg_off)
{
	size_t s, ms, me, next, fe;
	int path = mf__scan_best();

	if ((flags & ~MF_MBOX_CLEN) != 0)
		return MF_E_INVAL;
	if (pos == NULL || (p == NULL && n != 0) || *pos >= n)
		return 0;
	s = *pos;
	/* A UTF-8 byte order mark before the first From_ line is skipped
	 * (the parser's MF_MBOX mode records MF_D_BOM). */
	if (s == 0 && n >= 8 && memcmp(p, "\xef\xbb\xbf" "From ", 8) == 0)
		s = 3;
	/* A line end alone before the first From_ line separates it from
	 * nothing: no empty message (as the parser's MF_MBOX mode). */
	if (s == 0 && n >= 6 && memcmp(p, "\nFrom ", 6) == 0)
		s = 1;
	if (s == 0 && n >= 7 && memcmp(p, "\r\nFrom ", 7) == 0)
		s = 2;
	fe = ms = s;
	if (from_at(p, n, s)) {
		const char *lf = memchr(p + s, '\n', n - s);

		ms = lf != NULL ? (size_t)(lf - p) + 1 : n;
		fe = lf != NULL ? (size_t)(lf - p) : n;
		if (fe > s && p[fe - 1] == '\r')
			fe--;
	}
	if (!(flags & MF_MBOX_CLEN) || !clen_end(p, n, ms, &me, &next)) {
		next = next_from(path, p, n, ms);
		me = next;
		if (next < n && me > ms && p[me - 1] == '\n') {
			me--;
			if (me > ms && p[me - 1] == '\r')
				me--;
		}
	}
	if (from_line != NULL) {
		from_line->ptr = p + s;
		from_line->len = fe - s;
	}
	if (msg != NULL) {
		msg->ptr = p + ms;
		msg->len = me - ms;
	}
	if (msg_off != NULL)
		*msg_off = ms;
	*pos = next;
	return 1;
}

/* Appends n '>' and the first k bytes of "From " (held bytes) to fn. */
static int
unq_held(size_t n, unsigned k, mf__unq_fn *fn, void *ctx)
{
	static const char gts[] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";
	int rc = MF_OK;

	while (n > 0 && rc == MF_OK) {
		size_t c = n < sizeof(gts) - 1 ? n : sizeof(gts) - 1;

		rc = fn(ctx, gts, c);
		n -= c;
	}
	if (rc == MF_OK && k > 0)
		rc = fn(ctx, "From ", k);
	return rc;
}

int
mf__unq_feed(mf__unq *u, const char *p, size_t n, bool final, mf__unq_fn *fn,
	     void *ctx)
{
	size_t i = 0, run = 0;
	int rc = MF_OK;

	while (i < n && rc == MF_OK) {
		const char *lf;

		if (u->gt == 0) {
			if (!u->mid && p[i] == '>') {
				/* Held until "From " follows, or not. */
				if (run < i)
					rc = fn(ctx, p + run, i - run);
				u->gt = 1;
				run = ++i;
				continue;
			}
			lf = memchr(p + i, '\n', n - i);
			u->mid = lf == NULL;
			i = lf != NULL ? (size_t)(lf - p) + 1 : n;
			continue;
		}
		if (u->from == 0 && p[i] == '>') {
			u->gt++;
			run = ++i;
			continue;
		}
		if (p[i] == "From "[u->from]) {
			run = ++i;
			if (++u->from < 5)
				continue;
			/* A quoted From_ line: it loses one '>' (mboxo: only
			 * when it had one). */
			if (u->rd || u->gt == 1) {
				u->gt--;
				u->dropped++;
			}
			rc = unq_held(u->gt, 5, fn, ctx);
		} else {
			/* Not one: the held bytes as they were. */
			rc = unq_held(u->gt, u->from, fn, ctx);
		}
		u->gt = 0;
		u->from = 0;
		u->mid = true;
	}
	if (rc == MF_OK && run < n && u->gt == 0)
		rc = fn(ctx, p + run, n - run);
	if (rc == MF_OK && final && u->gt > 0) {
		rc = unq_held(u->gt, u->from, fn, ctx);
		u->gt = 0;
		u->from = 0;
	}
	return rc;
}

static int
unq_put(void *ctx, const char *p, size_t n)
{
	return mf__buf_put(ctx, p, n);
}

int
mf_mbox_unescape(mf_buf *out, const char *p, size_t n, unsigned flags)
{
	mf__unq u;
	size_t start;
	int rc;

	if (out == NULL || (p == NULL && n != 0) || (flags & ~MF_MBOX_RD) != 0)
		return MF_E_INVAL;
	memset(&u, 0, sizeof(u));
	u.rd = (flags & MF_MBOX_RD) != 0;
	start = out->len;
	rc = mf__unq_feed(&u, p != NULL ? p : "", n, true, unq_put, out);
	if (rc < 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return rc;
}

int
mf_mbox_from_parse(const char *p, size_t n, mf_str *sender, mf_date *date,
		   mf_error *err)
{
	size_t i = 0, s, e;
	bool q = false;
	int rc;

	if (sender == NULL || date == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	sender->ptr = p != NULL ? p : "";
	sender->len = 0;
	while (i < n && p[i] == '>')
		i++;
	if (!from_at(p, n, i))
		return mf__err(err, MF_E_SYNTAX, i, "not a From_ line");
	i += 5;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	/* The sender: up to white space outside a quoted string. */
	for (s = e = i; e < n; e++) {
		if (p[e] == '"')
			q = !q;
		else if (p[e] == '\\' && q && e + 1 < n)
			e++;
		else if (!q && (p[e] == ' ' || p[e] == '\t'))
			break;
	}
	if (e == s)
		return mf__err(err, MF_E_SYNTAX, s,
			       "From_ line without sender");
	sender->ptr = p + s;
	sender->len = e - s;
	while (e < n && (p[e] == ' ' || p[e] == '\t'))
		e++;
	if (e == n)
		return mf__err(err, MF_E_SYNTAX, e, "From_ line without date");
	rc = mf_date_parse(p + e, n - e, NULL, date, NULL, err);
	if (rc < 0 && err != NULL)
		err->offset += e;
	return rc;
}
