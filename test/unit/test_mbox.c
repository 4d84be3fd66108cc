/* SPDX-License-Identifier: MIT */
/*
 * test_mbox.c - the mbox iterator and From_ unquoting: MimeKit's marker
 * and message offsets (LF and CRLF), GMime's message offsets, agreement
 * with the push engine's MF_MBOX mode on every mbox of the corpus,
 * Content-Length (trusted, and ignored when it lies), separators, edge
 * cases, guard pages, and mboxo/mboxrd unescaping with its OOM loop.
 */
#include "tutil.h"

#include "mime.h"

/* A span equals a C string. */
#define seq(a, b) mf_str_eq((a), mf_str_from(b))

/* MimeKit: markers at mboxMarkerOffset, messages [beginOffset, endOffset). */
static void
mimekit(const char *mbox, const char *json, int crlf)
{
	size_t n, k, pos = 0, i = 0, off;
	char *raw = tu_read(mbox, &n), *in = raw;
	tj *want = tj_load(json);
	mf_str msg, from;

	if (crlf)
		in = tu_eol(raw, n, 1, &k);
	else
		k = n;
	while (mf_mbox_next(in, k, &pos, 0, &msg, &from, &off) == 1) {
		const tj *e = tj_at(want, i);

		assert_non_null(e);
		if ((long)(from.ptr - in) != tj_int(tj_get(e, "mboxMarkerOffset")) ||
		    (long)off != tj_int(tj_get(e, "beginOffset")) ||
		    (long)(off + msg.len) != tj_int(tj_get(e, "endOffset")))
			fail_msg("%s%s message %zu: %ld %zu %zu", mbox,
				 crlf ? " (CRLF)" : "", i, (long)(from.ptr - in),
				 off, off + msg.len);
		assert_ptr_equal(msg.ptr, in + off);
		assert_true(from.len >= 5 && memcmp(from.ptr, "From ", 5) == 0);
		i++;
	}
	assert_int_equal(i, want->len);
	assert_int_equal(pos, k);
	tj_free(want);
	if (crlf)
		free(in);
	free(raw);
}

static void
test_mimekit(void **state)
{
	(void)state;
	mimekit("corpus/mimekit/UnitTests/TestData/mbox/content-length.mbox.txt",
		"corpus/mimekit/UnitTests/TestData/mbox/"
		"content-length.unix-offsets.json", 0);
	mimekit("corpus/mimekit/UnitTests/TestData/mbox/content-length.mbox.txt",
		"corpus/mimekit/UnitTests/TestData/mbox/"
		"content-length.dos-offsets.json", 1);
	mimekit("corpus/mimekit/UnitTests/TestData/mbox/issue1189.mbox.txt",
		"corpus/mimekit/UnitTests/TestData/mbox/"
		"issue1189.unix-offsets.json", 0);
	mimekit("corpus/mimekit/UnitTests/TestData/mbox/issue1189.mbox.txt",
		"corpus/mimekit/UnitTests/TestData/mbox/"
		"issue1189.dos-offsets.json", 1);
}

/* GMime: "message offsets: start, end" with end the next From_ line. */
static void
test_gmime(void **state)
{
	size_t n, pos = 0, i = 0;
	char *in = tu_read("corpus/gmime/tests/data/mbox/input/substring.mbox",
			   &n);
	static const size_t want[][2] = {{0, 526}, {526, 1029}, {1029, 1535}};
	mf_str msg, from;

	(void)state;
	while (mf_mbox_next(in, n, &pos, 0, &msg, &from, NULL) == 1) {
		assert_true(i < 3);
		assert_int_equal(from.ptr - in, want[i][0]);
		assert_int_equal(pos, want[i][1]);
		assert_true(seq(from, "From - "));
		i++;
	}
	assert_int_equal(i, 3);
	free(in);
}

/*
 * Root r of an MF_MBOX parse and the one-shot parse of the iterator's
 * message msg read the same header fields and the same parts.
 */
static void
same_message(const mf_part *r, mf_str msg, const char *label, size_t i)
{
	mf_msg *m2;
	const mf_part *a = r, *b;
	size_t k;

	assert_int_equal(mf_msg_parse(msg.ptr, msg.len, NULL, &m2, NULL),
			 MF_OK);
	b = mf_msg_root(m2);
	while (a != NULL && b != NULL) {
		mf_str ta = mf_part_type(a), tb = mf_part_type(b);

		if (mf_part_field_count(a) != mf_part_field_count(b) ||
		    ta.len != tb.len || memcmp(ta.ptr, tb.ptr, ta.len) != 0)
			fail_msg("%s: message %zu: %zu fields (%.*s), alone "
				 "%zu (%.*s)", label, i, mf_part_field_count(a),
				 (int)ta.len, ta.ptr, mf_part_field_count(b),
				 (int)tb.len, tb.ptr);
		for (k = 0; k < mf_part_field_count(a); k++) {
			const mf_field *fa = mf_part_field(a, k);
			const mf_field *fb = mf_part_field(b, k);

			if (fa->value.len != fb->value.len ||
			    memcmp(fa->value.ptr, fb->value.ptr,
				   fa->value.len) != 0)
				fail_msg("%s: message %zu field %zu", label, i,
					 k);
		}
		a = mf_part_next(r, a);
		b = mf_part_next(mf_msg_root(m2), b);
	}
	if (a != NULL || b != NULL)
		fail_msg("%s: message %zu: part counts differ", label, i);
	mf_msg_free(m2);
}

/*
 * The iterator and the engine's MF_MBOX mode split every mbox alike, and
 * read each message as mf_msg_parse reads it alone.
 */
static void
agree_f(const char *p, size_t n, const char *label, unsigned clen)
{
	mf_opts o;
	mf_msg *m;
	size_t pos = 0, i = 0, off;
	mf_str msg, from;

	memset(&o, 0, sizeof(o));
	o.flags = MF_MBOX | clen;
	assert_int_equal(mf_msg_parse(p, n, &o, &m, NULL), MF_OK);
	while (mf_mbox_next(p, n, &pos, clen, &msg, &from, &off) == 1) {
		const mf_part *r = mf_msg_at(m, i);
		uint64_t h, e;
		mf_str f2;

		if (r == NULL)
			fail_msg("%s: message %zu missing", label, i);
		same_message(r, msg, label, i);
		mf_part_offsets(r, &h, NULL, &e);
		/* A byte order mark before a message without From_ line is
		 * the message's for the iterator, skipped by the parser. */
		if ((mf_part_defects(r) & MF_DEFECT_BIT(MF_D_BOM)) &&
		    from.len == 0)
			h -= 3;
		/* A quoted ">From " line after the From_ line begins the
		 * iterator's message; the parser takes it as a From_ line. */
		if (from.len != 0 && msg.len >= 6 &&
		    memcmp(msg.ptr, ">From ", 6) == 0) {
			const char *lf = memchr(msg.ptr, '\n', msg.len);

			if (lf != NULL && h == off + (size_t)(lf + 1 - msg.ptr))
				h = off;
		}
		if (mf_part_mbox_from(r, &f2)) {
			if (f2.ptr != from.ptr || f2.len != from.len)
				fail_msg("%s: From_ line %zu", label, i);
		} else if (from.len != 0) {
			fail_msg("%s: message %zu has no From_ line", label, i);
		}
		/*
		 * The line end before a From_ line is the separator's,
		 * except right after a header field, which owns its line
		 * end (header blocks account for their bytes field by
		 * field): then the engine's message ends after it.
		 */
		if (e != off + msg.len && e > off + msg.len &&
		    mf_part_field_count(r) > 0) {
			size_t x = off + msg.len, k = (size_t)e - x;

			if ((k == 1 && p[x] == '\n') ||
			    (k == 2 && p[x] == '\r' && p[x + 1] == '\n'))
				e = x;
		}
		if (h != off || e != off + msg.len)
			fail_msg("%s: message %zu at %llu-%llu, iterator %zu-%zu",
				 label, i, (unsigned long long)h,
				 (unsigned long long)e, off, off + msg.len);
		i++;
	}
	assert_int_equal(i, mf_msg_count(m));
	mf_msg_free(m);
}

/* Both ways, without and with MF_MBOX_CLEN (the same rule for both). */
static void
agree(const char *p, size_t n, const char *label)
{
	agree_f(p, n, label, 0);
	agree_f(p, n, label, MF_MBOX_CLEN);
}

static void
test_agree(void **state)
{
	static const char *dirs[] = {
	    "corpus/cpython", "corpus/gmime", "corpus/mikel-mail",
	    "corpus/mimekit", "corpus/nodemailer-mailparser",
	    "corpus/spamassassin", "corpus/torture",
	};
	size_t d, files = 0;

	(void)state;
	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		size_t count, i;
		char **list = tu_list(dirs[d], &count);

		for (i = 0; i < count; i++) {
			size_t n, k;
			char *p = tu_read(list[i], &n), *q;

			agree(p, n, list[i]);
			q = tu_eol(p, n, 1, &k);
			agree(q, k, list[i]);
			free(q);
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	assert_true(files > 390);
	/*
	 * What comes before the first From_ line: a line end alone is the
	 * separator (no empty message), anything more a message. A body
	 * that begins without empty line, in the line the header machine
	 * looked past, then an empty line and a From_ line: the empty
	 * line's line end is the separator, not the one before it.
	 */
	{
		static const char *pre[] = {
		    "From x\nSubject: a\nabout it\n\r\nFrom y\n\nz\n",
		    "From x\nTo: b,\nc@d\nSubject: a\nabout it\n\nFrom y\n\nz\n",
		    "From x\r\nSubject: a\r\nabout\r\n\r\nFrom y\r\n\r\nz\r\n",
		    "\nFrom a\nS: x\n\nb\n",     "\r\nFrom a\r\nS: x\r\n\r\nb\r\n",
		    "\n\nFrom a\nS: x\n\nb\n",  "x\nFrom a\nS: x\n\nb\n",
		    " \nFrom a\nS: x\n\nb\n",    "\xef\xbb\xbf\nFrom a\nS: x\n\nb\n",
		    ("\xef\xbb\xbf" "From a\n\nb\n"), "\n",
		};
		size_t i;

		for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
			agree(pre[i], strlen(pre[i]), pre[i]);
	}
}

static void
test_cases(void **state)
{
	static const struct {
		const char *in;
		size_t count;
		const char *msgs[4];
		const char *froms[4];
	} t[] = {
	    {"", 0, {NULL}, {NULL}},
	    {"no From line at all\n", 1, {"no From line at all\n"}, {""}},
	    {"From a\n", 1, {""}, {"From a"}},
	    {"From a", 1, {""}, {"From a"}},
	    {"From a\r\nX: 1\r\n\r\nbody\r\n\r\nFrom b\r\nY: 2\r\n", 2,
	     {"X: 1\r\n\r\nbody\r\n", "Y: 2\r\n"}, {"From a", "From b"}},
	    /* 5: consecutive From_ lines: an empty message */
	    {"From a\nFrom b\nbody\n", 2, {"", "body\n"}, {"From a", "From b"}},
	    {"From a\nx\n>From b\nFrom c\n", 2, {"x\n>From b", ""},
	     {"From a", "From c"}},
	    {"garbage\nFrom a\nx", 2, {"garbage", "x"}, {"", "From a"}},
	    {"From a\nFromage\nFrom:x\n", 1, {"Fromage\nFrom:x\n"}, {"From a"}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t pos = 0, k = 0, n = strlen(t[i].in);
		mf_str msg, from;

		while (mf_mbox_next(t[i].in, n, &pos, 0, &msg, &from, NULL) == 1) {
			if (k >= t[i].count || !seq(msg, t[i].msgs[k]) ||
			    !seq(from, t[i].froms[k]))
				fail_msg("case %zu message %zu: \"%.*s\" from "
					 "\"%.*s\"",
					 i, k, (int)msg.len, msg.ptr,
					 (int)from.len, from.ptr);
			k++;
		}
		assert_int_equal(k, t[i].count);
		assert_int_equal(pos, n);
	}
	/* NULL arguments; pos past the end. */
	{
		size_t pos = 0;

		assert_int_equal(mf_mbox_next(NULL, 1, &pos, 0, NULL, NULL,
					      NULL), 0);
		assert_int_equal(mf_mbox_next("x", 1, NULL, 0, NULL, NULL,
					      NULL), 0);
		pos = 5;
		assert_int_equal(mf_mbox_next("x", 1, &pos, 0, NULL, NULL,
					      NULL), 0);
		pos = 0;
		assert_int_equal(mf_mbox_next("x", 1, &pos, 0, NULL, NULL,
					      NULL), 1);
	}
}

static int
no_event(void *ctx, const mf_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static void
test_clen(void **state)
{
	static const char box[] =
	    "From a\nContent-Length: 21\n\nline\nFrom inside\nend\n\n"
	    "From b\nContent-Length: 999\n\nFrom here too\n\n"
	    "From c\nContent-Length: 3\n\nabc";
	/*
	 * A header block cut by a From_ line (that line starts the next
	 * message for the parser) has no trusted Content-Length, though the
	 * length would end at the end: three messages both ways (found by
	 * fuzz_mime).
	 */
	static const char cut[] =
	    "From a\nContent-Length: 17\nFrom b\nX: 1\n\nabc\nFrom c\n"
	    "From d\nContent-Length: 3\n\nabc";
	size_t pos = 0, k = 0, n = strlen(box);
	mf_str msg, from;
	static const char *want[] = {
	    "Content-Length: 21\n\nline\nFrom inside\nend\n",
	    "Content-Length: 999\n",
	    "",
	    "Content-Length: 3\n\nabc",
	};

	(void)state;
	while (mf_mbox_next(box, n, &pos, MF_MBOX_CLEN, &msg, &from, NULL) == 1) {
		assert_true(k < 4);
		if (!seq(msg, want[k]))
			fail_msg("message %zu: \"%.*s\"", k, (int)msg.len,
				 msg.ptr);
		k++;
	}
	/* The 999 lies (past the end): ignored, so the From_ lines count:
	 * "From here too" starts an empty message. */
	assert_int_equal(k, 4);
	/* Without the flag, "From inside" starts a message. */
	pos = 0;
	k = 0;
	while (mf_mbox_next(box, n, &pos, 0, &msg, &from, NULL) == 1)
		k++;
	assert_int_equal(k, 5);
	/*
	 * mf_msg_parse honours the flag in the engine: the same messages,
	 * in both line-end forms (the CRLF form's lengths are wrong, so
	 * From_ lines separate there); without MF_MBOX, in a split parse
	 * or in the push parser (which cannot look that far ahead) it is
	 * refused, never ignored.
	 */
	{
		mf_opts o;
		mf_msg *m;
		mf_parser *ps;
		size_t v, e;
		uint64_t h, end;

		memset(&o, 0, sizeof(o));
		o.flags = MF_MBOX | MF_MBOX_CLEN;
		assert_int_equal(mf_msg_parse(box, n, &o, &m, NULL), MF_OK);
		assert_int_equal(mf_msg_count(m), 4);
		mf_part_offsets(mf_msg_at(m, 0), &h, NULL, &end);
		assert_int_equal(h, 7);
		assert_int_equal(end, 7 + strlen(want[0]));
		mf_msg_free(m);
		for (v = 0; v < 2; v++) {
			char *q = tu_eol(box, n, v, &e);

			agree(q, e, v ? "clen (CRLF)" : "clen");
			free(q);
		}
		assert_int_equal(mf_msg_parse(cut, strlen(cut), &o, &m, NULL),
				 MF_OK);
		assert_int_equal(mf_msg_count(m), 4);
		mf_msg_free(m);
		pos = 0;
		k = 0;
		while (mf_mbox_next(cut, strlen(cut), &pos, MF_MBOX_CLEN, &msg,
				    &from, NULL) == 1)
			k++;
		assert_int_equal(k, 4);
		agree(cut, strlen(cut), "clen cut");
		o.flags = MF_MBOX_CLEN;
		assert_int_equal(mf_msg_parse(box, n, &o, &m, NULL),
				 MF_E_INVAL);
		o.flags = MF_MBOX | MF_MBOX_CLEN;
		assert_int_equal(mf__msg_parse_split(box, n, &pos, 0, &o, &m,
						     NULL),
				 MF_E_INVAL);
		ps = mf_parser_new(&o, no_event, NULL);
		assert_non_null(ps);
		assert_int_equal(mf_parser_feed(ps, box, n), MF_E_INVAL);
		mf_parser_free(ps);
	}
}

static void
test_guard(void **state)
{
	size_t n, k;
	char *p = tu_read("corpus/torture/16-mbox.mbox", &n);

	(void)state;
	for (k = 0; k <= n; k++) {
		tu_guard g;
		const char *q = tu_guard_new(&g, p, k);
		size_t pos = 0, total = 0;
		mf_str msg, from;
		mf_buf *b = mf_buf_new(NULL);

		while (mf_mbox_next(q, k, &pos, MF_MBOX_CLEN, &msg, &from,
				    NULL) == 1) {
			assert_int_equal(mf_mbox_unescape(b, msg.ptr, msg.len,
							  MF_MBOX_RD), MF_OK);
			total++;
		}
		assert_int_equal(pos, k);
		assert_true(total <= 4);
		mf_buf_free(b);
		tu_guard_free(&g);
	}
	free(p);
}

static void
test_unescape(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *want;
	} t[] = {
	    {"", 0, ""},
	    {">From x\n", 0, "From x\n"},
	    {">>From x\n", 0, ">>From x\n"},
	    {">>From x\n", MF_MBOX_RD, ">From x\n"},
	    {">>>From x\r\n>From y", MF_MBOX_RD, ">>From x\r\nFrom y"},
	    /* 5 */
	    {"a\n>From b\n> From c\n>Fromage\n", 0,
	     "a\nFrom b\n> From c\n>Fromage\n"},
	    {"text >From here\n>From", 0, "text >From here\n>From"},
	    {">", MF_MBOX_RD, ">"},
	};
	size_t i;
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char label[32];

		mf_buf_clear(b);
		assert_int_equal(mf_mbox_unescape(b, t[i].in, strlen(t[i].in),
						  t[i].flags), MF_OK);
		snprintf(label, sizeof(label), "case %zu", i);
		tu_assert_str(mf_buf_data(b), t[i].want, label);
	}
	assert_int_equal(mf_mbox_unescape(NULL, "x", 1, 0), MF_E_INVAL);
	assert_int_equal(mf_mbox_unescape(b, NULL, 1, 0), MF_E_INVAL);
	mf_buf_free(b);
}

static int
oom_unescape(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	/* Something in the buffer first: it must survive a failure. */
	rc = mf_buf_append(b, "keep", 4);
	if (rc == MF_OK)
		rc = mf_mbox_unescape(b, ">From a\nb\n>From c\nd", 19, 0);
	if (rc == MF_E_NOMEM && mf_buf_len(b) != 0)
		assert_int_equal(mf_buf_len(b), 4);
	if (rc == MF_OK)
		assert_string_equal(mf_buf_data(b), "keepFrom a\nb\nFrom c\nd");
	mf_buf_free(b);
	return rc;
}

/* mf_mbox_from_parse: sender and date of From_ lines as writers make
 * them (the corpus's variety), and the errors with their offsets. */
static void
test_from_parse(void **state)
{
	static const struct {
		const char *in;
		int rc;
		size_t off;         /* error offset */
		const char *sender; /* also set on a date error */
		const char *iso;    /* the date as mf_date_format MF_DATE_ISO */
		int tz_unknown;
	} t[] = {
	    {"From alice@example.org Mon Nov 30 09:00:00 2026", MF_OK, 0,
	     "alice@example.org", "2026-11-30T09:00:00-00:00", 1},
	    {"From - Fri Mar  7 02:51:22 1997", MF_OK, 0, "-",
	     "1997-03-07T02:51:22-00:00", 1},
	    {"From jm@dogma.slashnull.org  Wed May 16 00:40:34 2001", MF_OK, 0,
	     "jm@dogma.slashnull.org", "2001-05-16T00:40:34-00:00", 1},
	    {"From tstfromline@localhost  Sat Jan 19 15:26:33 EST 2002", MF_OK,
	     0, "tstfromline@localhost", "2002-01-19T15:26:33-05:00", 0},
	    {"From a@b Mon Jan 1 10:00:00 2001 +0200", MF_OK, 0, "a@b",
	     "2001-01-01T10:00:00+02:00", 0},
	    {"From stefanie.schwabe@wanadoo.fr Wed, 2 May 2001 10:10:26 +0200",
	     MF_OK, 0, "stefanie.schwabe@wanadoo.fr",
	     "2001-05-02T10:10:26+02:00", 0},
	    {"From MAILER-DAEMON Sun Aug  7 11:40:37 2022 extra info", MF_OK,
	     0, "MAILER-DAEMON", "2022-08-07T11:40:37-00:00", 1},
	    {"From \"a b\"@c\tThu Oct  3 16:04:09 1991", MF_OK, 0, "\"a b\"@c",
	     "1991-10-03T16:04:09-00:00", 1},
	    {">From nsb Thu Oct  3 16:04:09 1991", MF_OK, 0, "nsb",
	     "1991-10-03T16:04:09-00:00", 1},
	    /* Errors: where the line stops being a From_ line. */
	    {"From: a@b", MF_E_SYNTAX, 0, "", NULL, 0},
	    {"", MF_E_SYNTAX, 0, "", NULL, 0},
	    {">>Frm x", MF_E_SYNTAX, 2, "", NULL, 0},
	    {"From ", MF_E_SYNTAX, 5, "", NULL, 0},
	    {"From   ", MF_E_SYNTAX, 7, "", NULL, 0},
	    {"From mike@nowhere.com", MF_E_SYNTAX, 21, "mike@nowhere.com",
	     NULL, 0},
	    {"From mike@nowhere.com  ", MF_E_SYNTAX, 23, "mike@nowhere.com",
	     NULL, 0},
	    {"From Russia with love", MF_E_SYNTAX, 12, "Russia", NULL, 0},
	    {"From a@b Mon Foo 30 09:00:00 2026", MF_E_SYNTAX, 13, "a@b", NULL,
	     0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tu_guard g;
		const char *in = tu_guard_new(&g, t[i].in, strlen(t[i].in));
		mf_str sender;
		mf_date d;
		mf_error e = {0, 0, NULL};
		int rc = mf_mbox_from_parse(in, strlen(t[i].in), &sender, &d,
		                            &e);

		if (rc != t[i].rc || (rc < 0 && (e.code != rc ||
		                                  e.offset != t[i].off)))
			fail_msg("case %zu (%s): rc %d offset %zu (%s)", i,
			         t[i].in, rc, e.offset,
			         e.reason != NULL ? e.reason : "");
		tu_assert_mem(sender.ptr, sender.len, t[i].sender,
		              strlen(t[i].sender), t[i].in);
		if (rc == MF_OK) {
			char iso[64];

			assert_int_equal(mf_date_format(iso, sizeof(iso), &d,
			                                MF_DATE_ISO, NULL),
			                 MF_OK);
			tu_assert_str(iso, t[i].iso, t[i].in);
			assert_int_equal(d.tz_unknown, t[i].tz_unknown);
		}
		tu_guard_free(&g);
	}
	{
		mf_str s;
		mf_date d;

		assert_int_equal(mf_mbox_from_parse("From a b", 8, NULL, &d,
		                                    NULL),
		                 MF_E_INVAL);
		assert_int_equal(mf_mbox_from_parse("From a b", 8, &s, NULL,
		                                    NULL),
		                 MF_E_INVAL);
		assert_int_equal(mf_mbox_from_parse(NULL, 1, &s, &d, NULL),
		                 MF_E_INVAL);
	}
	/* Every From_ line of the sample mbox. */
	{
		size_t n, pos = 0, k = 0;
		char *p = tu_read("../examples/data/sample.mbox", &n);
		mf_str msg, from, s;
		mf_date d;

		while (mf_mbox_next(p, n, &pos, 0, &msg, &from, NULL) == 1) {
			assert_int_equal(
			    mf_mbox_from_parse(from.ptr, from.len, &s, &d, NULL),
			    MF_OK);
			k++;
		}
		assert_true(k >= 2);
		free(p);
	}
}

static void
test_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(oom_unescape, NULL) >= 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mimekit),
	    cmocka_unit_test(test_gmime),
	    cmocka_unit_test(test_agree),
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_clen),
	    cmocka_unit_test(test_guard),
	    cmocka_unit_test(test_unescape),
	    cmocka_unit_test(test_from_parse),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
