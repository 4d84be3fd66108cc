/* SPDX-License-Identifier: MIT */
/*
 * test_edit.c - building and editing trees (edit.c) and writing them
 * (write.c): new messages, header fields set, added and removed with
 * every error and its offset, parts made, inserted, moved, replaced and
 * removed, transfer encodings chosen and forced, boundaries that collide
 * with content, streamed bodies (20 MiB, a failing callback, bodies
 * their forced encoding forbids), MF_LF and MF_DOT_STUFF output parsed
 * back, edits of corpus messages whose untouched bytes stay identical
 * (the DKIM property), and OOM injection on every allocating path.
 */
#include "tutil.h"

#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static mf_buf *
wr(const mf_msg *m, unsigned flags)
{
	mf_buf *b = mf_buf_new(NULL);

	assert_non_null(b);
	assert_int_equal(mf_msg_write(m, flags, b), MF_OK);
	return b;
}

static mf_msg *
reparse(const mf_buf *b)
{
	mf_msg *m = NULL;
	mf_error err;

	assert_int_equal(
	    mf_msg_parse(mf_buf_data(b), mf_buf_len(b), NULL, &m, &err), MF_OK);
	return m;
}

/* The decoded body of p (transfer encoding undone; MF_LF: text lines). */
static mf_buf *
dec(const mf_part *p, unsigned flags)
{
	mf_buf *b = mf_buf_new(NULL);

	assert_non_null(b);
	assert_int_equal(mf_part_decode(p, b, flags, NULL, NULL, NULL), MF_OK);
	return b;
}

static void
assert_dec(const mf_part *p, unsigned flags, const void *want, size_t n,
           const char *label)
{
	mf_buf *b = dec(p, flags);

	tu_assert_mem(mf_buf_data(b), mf_buf_len(b), want, n, label);
	mf_buf_free(b);
}

static mf_str
hv(const mf_part *p, const char *name)
{
	return mf_part_header_value(p, name, strlen(name));
}

static int
seq(mf_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* The unstructured value of field name of p decoded to UTF-8. */
static void
assert_text(const mf_part *p, const char *name, const char *want)
{
	mf_str v = hv(p, name);
	mf_buf *b = mf_buf_new(NULL);

	assert_int_equal(mf_hdr_decode(b, v.ptr, v.len, NULL, NULL, NULL),
	                 MF_OK);
	tu_assert_str(mf_buf_data(b), want, name);
	mf_buf_free(b);
}

static const void *
find(const void *h, size_t hn, const void *n, size_t nn)
{
	const char *p = h, *e = p + hn;

	if (nn == 0)
		return h;
	for (; (size_t)(e - p) >= nn; p++) {
		p = memchr(p, *(const char *)n, (size_t)(e - p));
		if (p == NULL || (size_t)(e - p) < nn)
			return NULL;
		if (memcmp(p, n, nn) == 0)
			return p;
	}
	return NULL;
}

static mf_msg *
new_msg(unsigned flags, uint64_t seed)
{
	mf_opts o;
	mf_msg *m;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	m = mf_msg_new(&o);
	assert_non_null(m);
	mf_msg_seed(m, seed);
	assert_int_equal(mf_msg_set_date(m, 0, -300), MF_OK);
	return m;
}

/* ---------------------------------------------------------------------- */
/* New messages                                                            */
/* ---------------------------------------------------------------------- */

static void
test_new(void **state)
{
	mf_msg *m, *m2;
	const mf_part *r;
	mf_str id;
	mf_date d;
	mf_opts o;
	mf_buf *a, *b;
	mf_error err;

	(void)state;
	m = mf_msg_new(NULL);
	assert_non_null(m);
	r = mf_msg_root(m);
	assert_int_equal(mf_msg_count(m), 1);
	assert_int_equal(mf_part_field_count(r), 2);
	assert_true(seq(mf_part_field(r, 0)->name, "Date"));
	assert_int_equal(mf_date_parse(hv(r, "Date").ptr, hv(r, "Date").len,
	                               NULL, &d, NULL, NULL),
	                 MF_OK);
	id = hv(r, "Message-ID");
	assert_true(id.len > 12);
	assert_memory_equal(id.ptr + id.len - 11, "@localhost>", 11);
	/* The body is empty: the header and its empty line. */
	a = wr(m, 0);
	assert_true(mf_buf_len(a) > 4);
	assert_memory_equal(mf_buf_data(a) + mf_buf_len(a) - 4, "\r\n\r\n", 4);
	mf_buf_free(a);
	/* The Message-ID takes the From domain, until one is set. */
	assert_int_equal(mf_msg_set(m, "From", "A <a@example.org>", &err),
	                 MF_OK);
	id = hv(r, "Message-ID");
	assert_memory_equal(id.ptr + id.len - 13, "@example.org>", 13);
	assert_int_equal(mf_msg_set(m, "Message-ID", "<x@y>", &err), MF_OK);
	assert_int_equal(mf_msg_set(m, "From", "b@example.net", &err), MF_OK);
	assert_true(seq(hv(r, "Message-ID"), "<x@y>"));
	mf_msg_free(m);

	/* Flags: only the three output ones. */
	memset(&o, 0, sizeof(o));
	o.flags = MF_STRICT;
	assert_null(mf_msg_new(&o));
	o.flags = MF_LF;
	assert_null(mf_msg_new(&o));

	/* Seeded: the same output, another seed another id. */
	m = new_msg(0, 5);
	m2 = new_msg(0, 5);
	a = wr(m, 0);
	b = wr(m2, 0);
	tu_assert_mem(mf_buf_data(a), mf_buf_len(a), mf_buf_data(b),
	              mf_buf_len(b), "seeded");
	assert_non_null(
	    find(mf_buf_data(a), mf_buf_len(a),
	         "Date: Wed, 31 Dec 1969 19:00:00 -0500\r\n",
	         strlen("Date: Wed, 31 Dec 1969 19:00:00 -0500\r\n")));
	mf_msg_seed(m2, 6);
	assert_false(mf_str_eq(hv(mf_msg_root(m), "Message-ID"),
	                       hv(mf_msg_root(m2), "Message-ID")));
	mf_buf_free(a);
	mf_buf_free(b);
	mf_msg_free(m);
	mf_msg_free(m2);
	mf_msg_seed(NULL, 1);
}

/* ---------------------------------------------------------------------- */
/* Header fields                                                           */
/* ---------------------------------------------------------------------- */

static void
test_fields(void **state)
{
	mf_msg *m, *p;
	mf_buf *b;
	const mf_part *r;
	mf_error err;
	mf_opts o;
	mf_addrs *l;
	size_t it = 0;
	const mf_field *f;

	(void)state;
	m = new_msg(0, 1);
	r = mf_msg_root(m);
	assert_int_equal(
	    mf_msg_set(m, "From", "\"Doe, Jöhn\" <john@example.com>", &err),
	    MF_OK);
	assert_int_equal(
	    mf_msg_set(m, "To", "a@b.example, Zoë <zoe@c.example>", &err),
	    MF_OK);
	assert_int_equal(
	    mf_msg_set(m, "Subject",
	               "Grüße aus Köln, 日本語 =?utf-8?q?x?=", &err),
	    MF_OK);
	assert_int_equal(mf_msg_set(m, "In-Reply-To", "<a@b>", &err), MF_OK);
	assert_int_equal(mf_msg_set(m, "References", "<z@y> <a@b>", &err),
	                 MF_OK);
	/* Written 7-bit, read back to the same text. */
	b = wr(m, 0);
	for (it = 0; it < mf_buf_len(b); it++)
		assert_true((unsigned char)mf_buf_data(b)[it] < 0x80);
	p = reparse(b);
	assert_text(mf_msg_root(p), "Subject",
	            "Grüße aus Köln, 日本語 =?utf-8?q?x?=");
	assert_int_equal(mf_addrs_parse(hv(mf_msg_root(p), "From").ptr,
	                                hv(mf_msg_root(p), "From").len, NULL,
	                                &l, NULL),
	                 MF_OK);
	tu_assert_mem(mf_addrs_at(l, 0)->name.ptr, mf_addrs_at(l, 0)->name.len,
	              "Doe, Jöhn", strlen("Doe, Jöhn"), "display name");
	tu_assert_mem(mf_addrs_at(l, 0)->local.ptr,
	              mf_addrs_at(l, 0)->local.len, "john", 4, "local");
	mf_addrs_free(l);
	assert_true(seq(hv(mf_msg_root(p), "References"), "<z@y> <a@b>"));
	mf_msg_free(p);
	mf_buf_free(b);

	/* Added after the others of the name; set replaces them all. */
	assert_int_equal(mf_part_header_add(m, NULL, "X-A", 3, "1", 1, 0, &err),
	                 MF_OK);
	assert_int_equal(mf_part_header_add(m, r, "X-A", 3, "2", 1, 0, &err),
	                 MF_OK);
	assert_int_equal(mf_part_header_add(m, r, "X-B", 3, "3", 1, 0, &err),
	                 MF_OK);
	assert_int_equal(mf_part_header_add(m, r, "x-a", 3, "4", 1, 0, &err),
	                 MF_OK);
	{
		static const char *want[] = {"1", "2", "4"};
		size_t i = 0;

		it = 0;
		while ((f = mf_part_header(r, "X-A", 3, &it)) != NULL) {
			assert_true(i < 3);
			assert_true(seq(f->value, want[i]));
			i++;
		}
		assert_int_equal(i, 3);
		/* X-B after the last X-A's place, before "4"? No: "4" went
		 * after the last X-A, which came before X-B. */
		f = mf_part_field(r, mf_part_field_count(r) - 1);
		assert_true(seq(f->name, "X-B"));
	}
	assert_int_equal(mf_part_header_set(m, r, "X-A", 3, "5", 1, 0, &err),
	                 MF_OK);
	it = 0;
	assert_true(seq(mf_part_header(r, "X-A", 3, &it)->value, "5"));
	assert_null(mf_part_header(r, "X-A", 3, &it));
	assert_int_equal(mf_part_header_remove(m, r, "x-b", 3), 1);
	assert_int_equal(mf_part_header_remove(m, r, "X-B", 3), 0);
	assert_int_equal(mf_part_header_remove(NULL, r, "X-B", 3), MF_E_INVAL);
	assert_int_equal(mf_part_header_remove(m, r, NULL, 3), MF_E_INVAL);
	mf_msg_free(m);

	/* MF_UTF8_OUT: raw UTF-8 (RFC 6532). */
	m = new_msg(MF_UTF8_OUT, 1);
	assert_int_equal(mf_msg_set(m, "Subject", "Grüße", &err), MF_OK);
	assert_int_equal(mf_msg_set(m, "To", "Zoë <zoë@exämple.org>", &err),
	                 MF_OK);
	b = wr(m, 0);
	assert_non_null(find(mf_buf_data(b), mf_buf_len(b),
	                     "Subject: Grüße\r\n",
	                     strlen("Subject: Grüße\r\n")));
	assert_non_null(find(mf_buf_data(b), mf_buf_len(b),
	                     "To: Zoë <zoë@exämple.org>\r\n",
	                     strlen("To: Zoë <zoë@exämple.org>\r\n")));
	mf_buf_free(b);
	mf_msg_free(m);

	/* A long value: folded at 78, unfolded back identical. */
	m = new_msg(0, 1);
	{
		char v[600];
		size_t i;
		mf_buf *u = mf_buf_new(NULL);
		const char *q, *e;

		for (i = 0; i < sizeof(v) - 1; i++)
			v[i] = i % 7 == 6 ? ' ' : (char)('a' + i % 26);
		v[sizeof(v) - 1] = '\0';
		assert_int_equal(mf_msg_set(m, "X-Long", v, &err), MF_OK);
		b = wr(m, 0);
		for (q = mf_buf_data(b), e = q + mf_buf_len(b); q < e;) {
			const char *nl = memchr(q, '\n', (size_t)(e - q));

			assert_non_null(nl);
			assert_true(nl - q <= 79);
			q = nl + 1;
		}
		f = mf_part_header(mf_msg_root(m), "X-Long", 6, NULL);
		assert_int_equal(mf_hdr_unfold(u, f->value.ptr, f->value.len),
		                 MF_OK);
		tu_assert_str(mf_buf_data(u), v, "unfolded");
		mf_buf_free(u);
		mf_buf_free(b);
	}
	mf_msg_free(m);
	memset(&o, 0, sizeof(o));
	(void)o;
}

/* Every refusal: its code and offset, and m unchanged. */
static void
test_field_errors(void **state)
{
	static const struct {
		const char *name;
		size_t nl;
		const char *v;
		size_t n;
		unsigned flags;
		int rc;
		size_t off;
	} cases[] = {
	    {"Subject", 7, "a\rb", 3, 0, MF_E_INVAL, 1},
	    {"Subject", 7, "ab\nBcc: x", 9, 0, MF_E_INVAL, 2},
	    {"Subject", 7, "abc\0d", 5, 0, MF_E_INVAL, 3},
	    {"To", 2, "x@y\r\nBcc: z@w", 13, 0, MF_E_INVAL, 3},
	    {"Sub\nject", 8, "a", 1, 0, MF_E_INVAL, 3},
	    {"Sub ject", 8, "a", 1, 0, MF_E_INVAL, 3},
	    {"Sub:ject", 8, "a", 1, 0, MF_E_INVAL, 3},
	    {"", 0, "a", 1, 0, MF_E_INVAL, 0},
	    {"--x", 3, "a", 1, 0, MF_E_INVAL, 0},
	    {"Subject", 7, "a", 1, 0x1, MF_E_INVAL, 0},
	    {"To", 2, "", 0, 0, MF_E_SYNTAX, 0},
	    {"To", 2, "John <", 6, 0, MF_E_SYNTAX, SIZE_MAX},
	    {"From", 4, "a@b, @@@", 8, 0, MF_E_SYNTAX, SIZE_MAX},
	    {"Date", 4, "yesterday", 9, 0, MF_E_SYNTAX, SIZE_MAX},
	    {"Message-ID", 10, "<a@b> <c@d>", 11, 0, MF_E_SYNTAX, SIZE_MAX},
	    {"Message-ID", 10, "", 0, 0, MF_E_SYNTAX, SIZE_MAX},
	    {"Content-Type", 12, "text", 4, 0, MF_E_SYNTAX, SIZE_MAX},
	    {"Content-Type", 12, "text/plain; charset", 19, 0, MF_E_SYNTAX,
	     SIZE_MAX},
	    {"Content-Transfer-Encoding", 25, "rot13", 5, 0, MF_E_SYNTAX, 0},
	    {"Subject", 7, "caf\xc3\xa9", 5, MF_RAW, MF_E_UTF8_OUT, 3},
	    {"Subject", 7, "\xff", 1, 0, MF_E_INVAL, 0},
	};
	mf_msg *m;
	mf_buf *before, *after;
	mf_error err;
	size_t i;
	char big[1200];

	(void)state;
	m = new_msg(0, 3);
	assert_int_equal(mf_msg_set(m, "Subject", "s", &err), MF_OK);
	before = wr(m, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char label[64];
		int rc;

		snprintf(label, sizeof(label), "case %zu", i);
		memset(&err, 0, sizeof(err));
		rc = mf_part_header_set(m, NULL, cases[i].name, cases[i].nl,
		                        cases[i].v, cases[i].n, cases[i].flags,
		                        &err);
		if (rc != cases[i].rc)
			fail_msg("%s: rc %d, want %d", label, rc, cases[i].rc);
		assert_int_equal(err.code, cases[i].rc);
		if (cases[i].off != SIZE_MAX && err.offset != cases[i].off)
			fail_msg("%s: offset %zu, want %zu", label, err.offset,
			         cases[i].off);
		rc = mf_part_header_add(m, NULL, cases[i].name, cases[i].nl,
		                        cases[i].v, cases[i].n, cases[i].flags,
		                        &err);
		assert_int_equal(rc, cases[i].rc);
	}
	/* A word that no folding brings under 998 octets. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mf_part_header_set(m, NULL, "X-Big", 5, big,
	                                    sizeof(big) - 1, MF_RAW, &err),
	                 MF_E_LIMIT);
	/* Bad arguments. */
	assert_int_equal(mf_msg_set(m, NULL, "x", &err), MF_E_INVAL);
	assert_int_equal(mf_msg_set(m, "X", NULL, &err), MF_E_INVAL);
	assert_int_equal(mf_msg_set(NULL, "X", "x", &err), MF_E_INVAL);
	assert_int_equal(mf_msg_set_date(m, 0, 24 * 60), MF_E_INVAL);
	assert_int_equal(mf_msg_set_date(NULL, 0, 0), MF_E_INVAL);
	assert_int_equal(mf_msg_set_addrs(m, "Subject", NULL, 0, &err),
	                 MF_E_INVAL);
	assert_int_equal(mf_msg_set_addrs(m, "To", NULL, 1, &err), MF_E_INVAL);
	{
		mf_msg *o = new_msg(0, 3);

		/* A part of another message. */
		assert_int_equal(mf_part_header_set(m, mf_msg_root(o), "X", 1,
		                                    "1", 1, 0, &err),
		                 MF_E_INVAL);
		mf_msg_free(o);
	}
	after = wr(m, 0);
	tu_assert_mem(mf_buf_data(after), mf_buf_len(after),
	              mf_buf_data(before), mf_buf_len(before), "unchanged");
	mf_buf_free(before);
	mf_buf_free(after);
	mf_msg_free(m);
}

static void
test_addrs_date(void **state)
{
	mf_msg *m, *p;
	mf_addr a[4];
	mf_buf *b;
	mf_addrs *l;
	mf_error err;

	(void)state;
	m = new_msg(0, 2);
	memset(a, 0, sizeof(a));
	a[0].kind = MF_ADDR_MAILBOX;
	a[0].name = mf_str_from("Jöhn \"JJ\" Doe");
	a[0].local = mf_str_from("john.doe");
	a[0].domain = mf_str_from("example.com");
	a[1].kind = MF_ADDR_GROUP;
	a[1].name = mf_str_from("Team");
	a[2].kind = MF_ADDR_MAILBOX;
	a[2].local = mf_str_from("x y");
	a[2].domain = mf_str_from("example.org");
	a[3].kind = MF_ADDR_GROUP_END;
	assert_int_equal(mf_msg_set_addrs(m, "To", a, 4, &err), MF_OK);
	assert_int_equal(mf_msg_set_date(m, 0, 60), MF_OK);
	assert_true(
	    seq(hv(mf_msg_root(m), "Date"), "Thu, 01 Jan 1970 01:00:00 +0100"));
	b = wr(m, 0);
	p = reparse(b);
	assert_int_equal(mf_addrs_parse(hv(mf_msg_root(p), "To").ptr,
	                                hv(mf_msg_root(p), "To").len, NULL, &l,
	                                NULL),
	                 MF_OK);
	assert_int_equal(mf_addrs_count(l), 4);
	tu_assert_mem(mf_addrs_at(l, 0)->name.ptr, mf_addrs_at(l, 0)->name.len,
	              "Jöhn \"JJ\" Doe", strlen("Jöhn \"JJ\" Doe"), "name");
	tu_assert_mem(mf_addrs_at(l, 2)->local.ptr,
	              mf_addrs_at(l, 2)->local.len, "x y", 3, "quoted local");
	assert_int_equal(mf_addrs_at(l, 1)->kind, MF_ADDR_GROUP);
	mf_addrs_free(l);
	mf_msg_free(p);
	mf_buf_free(b);
	mf_msg_free(m);
}

/* ---------------------------------------------------------------------- */
/* Building a tree                                                         */
/* ---------------------------------------------------------------------- */

static const char text[] = "Hello,\n.a line with a dot\nFrom here\n\nbye\n";
static const char html[] = "<p>Hell\xc3\xb6</p>\n";

/* mixed(alternative(text, html), attachment), seeded. */
static mf_msg *
build(unsigned mflags, unsigned char *bin, size_t nbin)
{
	mf_msg *m = new_msg(mflags, 9);
	const mf_part *mix, *alt, *t, *h, *a;
	mf_error err;
	size_t i;

	for (i = 0; i < nbin; i++)
		bin[i] = (unsigned char)(i * 7 + (i >> 8));
	assert_int_equal(mf_msg_set(m, "From", "a@example.com", &err), MF_OK);
	assert_int_equal(mf_msg_set(m, "Subject", "structure", &err), MF_OK);
	assert_int_equal(mf_part_new_multipart(m, "mixed", &mix), MF_OK);
	assert_int_equal(mf_part_new_multipart(m, "alternative", &alt), MF_OK);
	assert_int_equal(mf_part_new(m, NULL, text, sizeof(text) - 1, 0, &t),
	                 MF_OK);
	assert_int_equal(mf_part_new(m, "text/html; charset=utf-8", html,
	                             sizeof(html) - 1, MF_BORROW, &h),
	                 MF_OK);
	assert_int_equal(
	    mf_part_new(m, "application/octet-stream", bin, nbin, 0, &a),
	    MF_OK);
	assert_int_equal(mf_part_header_set(
	                     m, a, "Content-Disposition", 19,
	                     "attachment; filename=\"a b;c.bin\"", 32, 0, &err),
	                 MF_OK);
	assert_int_equal(mf_part_insert(m, alt, SIZE_MAX, t), MF_OK);
	assert_int_equal(mf_part_insert(m, alt, SIZE_MAX, h), MF_OK);
	assert_int_equal(mf_part_insert(m, mix, 0, alt), MF_OK);
	assert_int_equal(mf_part_insert(m, mix, SIZE_MAX, a), MF_OK);
	assert_int_equal(mf_part_replace(m, mf_msg_root(m), mix), MF_OK);
	return m;
}

static void
check_structure(const mf_msg *p, const unsigned char *bin, size_t nbin,
                int built, const char *label)
{
	const mf_part *r = mf_msg_root(p), *alt, *a;
	static const char text_crlf[] =
	    "Hello,\r\n.a line with a dot\r\nFrom here\r\n\r\nbye\r\n";

	assert_int_equal(mf_msg_defects(p), 0);
	assert_true(seq(mf_part_subtype(r), "mixed"));
	assert_true(seq(hv(r, "MIME-Version"), "1.0"));
	assert_true(seq(hv(r, "Subject"), "structure"));
	assert_int_equal(mf_part_child_count(r), 2);
	alt = mf_part_child(r, 0);
	assert_true(seq(mf_part_subtype(alt), "alternative"));
	assert_int_equal(mf_part_child_count(alt), 2);
	/* The text keeps its last line end (held as given, written with
	 * CRLF). */
	assert_dec(mf_part_child(alt, 0), MF_LF, text, sizeof(text) - 1, label);
	if (!built)
		assert_dec(mf_part_child(alt, 0), 0, text_crlf,
		           sizeof(text_crlf) - 1, label);
	assert_dec(mf_part_child(alt, 1), MF_LF, html, sizeof(html) - 1, label);
	a = mf_part_child(r, 1);
	assert_dec(a, 0, bin, nbin, label);
	assert_true(seq(mf_part_filename(a), "a b;c.bin"));
	assert_int_equal(mf_part_is_attachment(a, MF_ATTACH_NAMED), 1);
	assert_int_equal(
	    mf_part_is_attachment(mf_part_child(alt, 0), MF_ATTACH_JMAP), 0);
}

static void
test_build(void **state)
{
	unsigned char bin[3000];
	mf_msg *m, *p;
	mf_buf *b;
	const mf_part *list[8];
	size_t n, i;

	(void)state;
	m = build(0, bin, sizeof(bin));
	/* The built tree answers like a parsed one. */
	check_structure(m, bin, sizeof(bin), 1, "built");
	assert_int_equal(
	    mf_msg_bodies(mf_msg_root(m), MF_BODY_TEXT, list, 8, &n), MF_OK);
	assert_int_equal(n, 1);
	assert_true(seq(mf_part_subtype(list[0]), "plain"));
	assert_int_equal(
	    mf_msg_bodies(mf_msg_root(m), MF_BODY_ATTACHMENTS, list, 8, &n),
	    MF_OK);
	assert_int_equal(n, 1);
	assert_int_equal(mf_part_cte(list[0]), MF_CTE_BASE64);
	assert_int_equal(
	    mf_part_cte(mf_part_child(mf_part_child(mf_msg_root(m), 0), 1)),
	    MF_CTE_QP);

	/* CRLF. */
	b = wr(m, 0);
	for (i = 0; i < mf_buf_len(b); i++) {
		if (mf_buf_data(b)[i] == '\n')
			assert_true(i > 0 && mf_buf_data(b)[i - 1] == '\r');
		assert_true((unsigned char)mf_buf_data(b)[i] < 0x80);
	}
	p = reparse(b);
	check_structure(p, bin, sizeof(bin), 0, "CRLF");
	mf_msg_free(p);
	mf_buf_free(b);

	/* LF: no CR at all. */
	b = wr(m, MF_LF);
	assert_null(memchr(mf_buf_data(b), '\r', mf_buf_len(b)));
	p = reparse(b);
	{
		const mf_part *t =
		    mf_part_child(mf_part_child(mf_msg_root(p), 0), 0);

		assert_dec(t, 0, text, sizeof(text) - 1, "LF text");
		assert_dec(mf_part_child(mf_msg_root(p), 1), 0, bin,
		           sizeof(bin), "LF binary");
	}
	mf_msg_free(p);
	mf_buf_free(b);

	/* Dot-stuffed: the dot doubled, ended by ".", undone by the
	 * decoder into the CRLF form. */
	b = wr(m, MF_DOT_STUFF);
	assert_non_null(find(mf_buf_data(b), mf_buf_len(b),
	                     "\r\n..a line with a dot\r\n",
	                     strlen("\r\n..a line with a dot\r\n")));
	assert_memory_equal(mf_buf_data(b) + mf_buf_len(b) - 5, "\r\n.\r\n", 5);
	{
		size_t cap = mf_buf_len(b), len = 0, used = 0;
		char *out = malloc(cap);
		mf_buf *c = wr(m, 0);

		assert_non_null(out);
		assert_int_equal(mf_dot_decode(out, cap, mf_buf_data(b),
		                               mf_buf_len(b), 0, &len, &used,
		                               NULL, NULL),
		                 MF_OK);
		tu_assert_mem(out, len, mf_buf_data(c), mf_buf_len(c),
		              "undotted");
		free(out);
		mf_buf_free(c);
	}
	mf_buf_free(b);
	/* LF and dot-stuffing: the SMTP form wins (CRLF). */
	b = wr(m, MF_DOT_STUFF | MF_LF);
	assert_memory_equal(mf_buf_data(b) + mf_buf_len(b) - 5, "\r\n.\r\n", 5);
	mf_buf_free(b);
	assert_int_equal(mf_msg_write(m, 0x1, NULL), MF_E_INVAL);
	{
		mf_buf *x = mf_buf_new(NULL);

		assert_int_equal(mf_msg_write(m, MF_STRICT, x), MF_E_INVAL);
		mf_buf_free(x);
	}
	mf_msg_free(m);

	/* 8BITMIME: the html part goes 8bit; BINARYMIME: the attachment
	 * binary. */
	m = build(MF_8BITMIME | MF_BINARYMIME, bin, sizeof(bin));
	assert_int_equal(
	    mf_part_cte(mf_part_child(mf_part_child(mf_msg_root(m), 0), 1)),
	    MF_CTE_8BIT);
	assert_int_equal(mf_part_cte(mf_part_child(mf_msg_root(m), 1)),
	                 MF_CTE_BINARY);
	b = wr(m, 0);
	p = reparse(b);
	check_structure(p, bin, sizeof(bin), 0, "8bit");
	mf_msg_free(p);
	mf_buf_free(b);
	mf_msg_free(m);
}

static void
test_cte_choose(void **state)
{
	static const struct {
		const char *d;
		size_t n;
		int text;
		unsigned flags;
		int cte;
	} cases[] = {
	    {"", 0, 1, 0, MF_CTE_7BIT},
	    {"abc\r\ndef\r\n", 10, 1, 0, MF_CTE_7BIT},
	    {"abc\ndef\n", 8, 1, 0, MF_CTE_7BIT},
	    {"abc\ndef\n", 8, 0, 0, MF_CTE_BASE64},
	    {"abc\rdef", 7, 1, 0, MF_CTE_QP},
	    {"abc\0def", 7, 1, 0, MF_CTE_QP},
	    {"caf\xc3\xa9 au lait, tr\xc3\xa8s bien\n", 26, 1, 0, MF_CTE_QP},
	    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, 1, 0, MF_CTE_BASE64},
	    {"caf\xc3\xa9\n", 6, 1, MF_8BITMIME, MF_CTE_8BIT},
	    {"caf\xc3\xa9\0", 6, 1, MF_8BITMIME, MF_CTE_BASE64},
	    {"caf\xc3\xa9\0", 6, 1, MF_8BITMIME | MF_BINARYMIME, MF_CTE_BINARY},
	    {"\x01\x02\xff", 3, 0, 0, MF_CTE_BASE64},
	    {"\x01\x02\xff", 3, 0, MF_BINARYMIME, MF_CTE_BINARY},
	};
	char *longl;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = mf_cte_choose(cases[i].d, cases[i].n, cases[i].text,
		                        cases[i].flags);

		if (got != cases[i].cte)
			fail_msg("case %zu: %d, want %d", i, got, cases[i].cte);
	}
	/* A line over 998 octets: not 7bit nor 8bit. */
	longl = malloc(1200);
	assert_non_null(longl);
	memset(longl, 'a', 1200);
	assert_int_equal(mf_cte_choose(longl, 998, 1, 0), MF_CTE_7BIT);
	assert_int_equal(mf_cte_choose(longl, 999, 1, 0), MF_CTE_QP);
	assert_int_equal(mf_cte_choose(longl, 1200, 1, MF_8BITMIME), MF_CTE_QP);
	free(longl);
	assert_int_equal(mf_cte_choose(NULL, 1, 1, 0), MF_E_INVAL);
	assert_int_equal(mf_cte_choose("a", 1, 1, MF_LF), MF_E_INVAL);
}

/* The rule of mf_cte_choose(3) byte by byte, to check the library's
 * early-stopping, word-at-a-time scan against. */
static int
cte_ref(const unsigned char *p, size_t n, int istext, unsigned flags)
{
	size_t i, col = 0, maxl = 0, esc = 0, blf = 0, hi = 0, nul = 0, bcr = 0;
	bool lines;

	if (n == 0)
		return MF_CTE_7BIT;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			blf += i == 0 || p[i - 1] != '\r';
			col = 0;
		} else if (p[i] == '\r') {
			bcr += i + 1 >= n || p[i + 1] != '\n';
		} else {
			hi += p[i] >= 0x80;
			nul += p[i] == 0;
			if (++col > maxl)
				maxl = col;
		}
	}
	esc = hi + nul + bcr;
	lines = maxl <= 998 && bcr == 0 && nul == 0 && (istext || blf == 0);
	if (lines && hi == 0)
		return MF_CTE_7BIT;
	if ((flags & MF_8BITMIME) && lines)
		return MF_CTE_8BIT;
	if (flags & MF_BINARYMIME)
		return MF_CTE_BINARY;
	if (istext && esc * 6 <= n)
		return MF_CTE_QP;
	return MF_CTE_BASE64;
}

/* Random data of several mixes, lengths across the 8-octet steps, the
 * escape count on both sides of a sixth: the same choice as the rule. */
static void
test_cte_choose_scan(void **state)
{
	static const unsigned flags[] = {
	    0, MF_8BITMIME, MF_8BITMIME | MF_BINARYMIME, MF_BINARYMIME};
	unsigned char buf[2100];
	uint64_t r = 0x9e3779b97f4a7c15u;
	size_t it, i, k;

	(void)state;
	for (it = 0; it < 6000; it++) {
		size_t n = it % 7 == 0 ? 1000 + it % 1100 : it % 70;
		unsigned mix = (unsigned)(it / 7) % 5;

		for (i = 0; i < n; i++) {
			unsigned v;

			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			v = (unsigned)(r >> 24) & 0xff;
			if (mix == 0) /* plain text, CRLF and LF */
				buf[i] = v < 8    ? '\n'
				         : v < 12 ? '\r'
				                  : 'a' + v % 26;
			else if (mix == 1) /* a few 8-bit octets */
				buf[i] = v < 40 ? 0xc3 : v < 50 ? '\n' : 'x';
			else if (mix == 2) /* rare escapes, NUL and CR */
				buf[i] = v == 0   ? 0
				         : v == 1 ? '\r'
				         : v == 2 ? 0xff
				         : v < 10 ? '\n'
				                  : ' ' + v % 90;
			else if (mix == 3) /* binary */
				buf[i] = (unsigned char)v;
			else /* long lines */
				buf[i] = v == 0 ? '\n' : '-';
		}
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
			int t;

			for (t = 0; t < 2; t++) {
				int want = cte_ref(buf, n, t, flags[k]);
				int got = mf_cte_choose(buf, n, t, flags[k]);

				if (got != want)
					fail_msg(
					    "it %zu n %zu text %d flags %u: "
					    "%d, want %d",
					    it, n, t, flags[k], got, want);
			}
		}
	}
	/* Exactly a sixth escaped: quoted-printable; one more: base64. */
	memset(buf, 'a', 600);
	memset(buf + 500, 0xe9, 100);
	assert_int_equal(mf_cte_choose(buf, 600, 1, 0), MF_CTE_QP);
	buf[499] = 0xe9;
	assert_int_equal(mf_cte_choose(buf, 600, 1, 0), MF_CTE_BASE64);
	/* Non-text: the last octet decides. */
	memset(buf, 'a', 600);
	buf[599] = 0x80;
	assert_int_equal(mf_cte_choose(buf, 600, 0, 0), MF_CTE_BASE64);
	assert_int_equal(mf_cte_choose(buf, 599, 0, 0), MF_CTE_7BIT);
}

/* A multipart given a new boundary (collision) keeps every other
 * parameter: ASCII, RFC 2231 encoded, raw UTF-8, a tab in a quoted
 * value. */
static void
test_rebound_params(void **state)
{
	static const char in[] =
	    "Subject: p\r\nContent-Type: multipart/mixed; boundary=b; "
	    "charset=utf-8; title*=utf-8'de'Gr%C3%BC%C3%9Fe%20aus%20K%C3%B6ln;"
	    " name=\"Zo\xc3\xab M\xc3\xbcller.txt\"; "
	    "note=\"a\tb \\\"q\\\"\"\r\n\r\n--b\r\n\r\none\r\n--b--\r\n";
	static const char hostile[] = "--b\r\n";
	static const struct {
		const char *name, *value;
	} want[] = {
	    {"charset", "utf-8"},
	    {"title", "Gr\xc3\xbc\xc3\x9f"
	              "e aus K\xc3\xb6ln"},
	    {"name", "Zo\xc3\xab M\xc3\xbcller.txt"},
	    {"note", "a\tb \"q\""},
	};
	mf_msg *m, *p;
	const mf_part *l, *r;
	mf_buf *out;
	size_t i;

	(void)state;
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, NULL, &m, NULL),
	                 MF_OK);
	r = mf_msg_root(m);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const mf_param *pm =
		    mf_part_param(r, want[i].name, strlen(want[i].name));

		assert_non_null(pm);
		tu_assert_mem(pm->value.ptr, pm->value.len, want[i].value,
		              strlen(want[i].value), want[i].name);
	}
	assert_int_equal(mf_part_new(m, NULL, hostile, 5, 0, &l), MF_OK);
	assert_int_equal(mf_part_insert(m, r, SIZE_MAX, l), MF_OK);
	assert_false(seq(mf_part_boundary(r), "b"));
	out = wr(m, 0);
	p = reparse(out);
	r = mf_msg_root(p);
	assert_int_equal(mf_part_child_count(r), 2);
	assert_false(seq(mf_part_boundary(r), "b"));
	assert_int_equal(mf_part_param_count(r),
	                 sizeof(want) / sizeof(want[0]) + 1);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const mf_param *pm =
		    mf_part_param(r, want[i].name, strlen(want[i].name));

		if (pm == NULL)
			fail_msg("parameter %s lost", want[i].name);
		tu_assert_mem(pm->value.ptr, pm->value.len, want[i].value,
		              strlen(want[i].value), want[i].name);
	}
	/* The written header is 7-bit. */
	for (i = 0; i < mf_buf_len(out); i++)
		assert_true((unsigned char)mf_buf_data(out)[i] < 0x80);
	mf_msg_free(p);
	mf_buf_free(out);
	mf_msg_free(m);
}

/* Checks part i of root r: kind, type/subtype. */
static void
assert_kind(const mf_part *r, size_t i, int kind, const char *type,
            const char *sub)
{
	const mf_part *c = mf_part_child(r, i);

	assert_non_null(c);
	assert_int_equal(mf_part_kind(c), kind);
	assert_true(seq(mf_part_type(c), type));
	assert_true(seq(mf_part_subtype(c), sub));
}

/* A part without Content-Type moved into or out of a multipart/digest
 * (RFC 2046 5.1.5: there the default is message/rfc822) keeps its type:
 * it is written out, and the message reads back the same. */
static void
test_digest_move(void **state)
{
	static const char in[] =
	    "Subject: d\r\nContent-Type: multipart/mixed; boundary=o\r\n"
	    "\r\n--o\r\n\r\nplain text\r\n"
	    "--o\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n"
	    "--d\r\n\r\nSubject: inner\r\n\r\nhi\r\n--d--\r\n"
	    "--o--\r\n";
	mf_msg *m, *p;
	const mf_part *r, *dg, *txt, *msg;
	mf_buf *out;

	(void)state;
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, NULL, &m, NULL),
	                 MF_OK);
	r = mf_msg_root(m);
	txt = mf_part_child(r, 0);
	dg = mf_part_child(r, 1);
	msg = mf_part_child(dg, 0);
	assert_true(seq(mf_part_type(txt), "text"));
	assert_int_equal(mf_part_kind(msg), MF_PART_MESSAGE);
	/* The text part into the digest, the message out of it. */
	assert_int_equal(mf_part_detach(m, txt), MF_OK);
	assert_true(seq(mf_part_type(txt), "text"));
	assert_int_equal(mf_part_insert(m, dg, 0, txt), MF_OK);
	assert_int_equal(mf_part_detach(m, msg), MF_OK);
	assert_true(seq(mf_part_type(msg), "message"));
	assert_int_equal(mf_part_kind(msg), MF_PART_MESSAGE);
	assert_int_equal(mf_part_insert(m, r, 0, msg), MF_OK);
	assert_kind(r, 0, MF_PART_MESSAGE, "message", "rfc822");
	assert_kind(dg, 0, MF_PART_LEAF, "text", "plain");
	out = wr(m, 0);
	assert_non_null(find(mf_buf_data(out), mf_buf_len(out),
	                     "Content-Type: text/plain\r\n\r\nplain text",
	                     strlen("Content-Type: text/plain\r\n\r\nplain "
	                            "text")));
	assert_non_null(find(mf_buf_data(out), mf_buf_len(out),
	                     "Content-Type: message/rfc822\r\n\r\nSubject:",
	                     strlen("Content-Type: message/rfc822\r\n\r\n"
	                            "Subject:")));
	p = reparse(out);
	assert_kind(mf_msg_root(p), 0, MF_PART_MESSAGE, "message", "rfc822");
	assert_kind(mf_part_child(mf_msg_root(p), 1), 0, MF_PART_LEAF, "text",
	            "plain");
	assert_dec(mf_part_child(mf_part_child(mf_msg_root(p), 1), 0), 0,
	           "plain text", 10, "text");
	mf_msg_free(p);
	mf_buf_free(out);
	/* Replaced: the same. */
	assert_int_equal(mf_part_detach(m, mf_part_child(dg, 0)), MF_OK);
	assert_int_equal(mf_part_replace(m, mf_part_child(r, 0), txt), MF_OK);
	assert_kind(r, 0, MF_PART_LEAF, "text", "plain");
	assert_int_equal(mf_part_replace(m, mf_part_child(r, 0), msg), MF_OK);
	assert_int_equal(mf_part_insert(m, dg, 0, txt), MF_OK);
	out = wr(m, 0);
	p = reparse(out);
	assert_kind(mf_msg_root(p), 0, MF_PART_MESSAGE, "message", "rfc822");
	assert_kind(mf_part_child(mf_msg_root(p), 1), 0, MF_PART_LEAF, "text",
	            "plain");
	mf_msg_free(p);
	mf_buf_free(out);
	mf_msg_free(m);
	/* The subtype changed to digest and back: the children keep their
	 * types too. */
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, NULL, &m, NULL),
	                 MF_OK);
	r = mf_msg_root(m);
	assert_int_equal(mf_part_header_set(m, r, "Content-Type", 12,
	                                    "multipart/digest; boundary=o", 28,
	                                    0, NULL),
	                 MF_OK);
	dg = mf_part_child(r, 1);
	assert_int_equal(mf_part_header_set(m, dg, "Content-Type", 12,
	                                    "multipart/mixed; boundary=d", 27,
	                                    0, NULL),
	                 MF_OK);
	assert_kind(r, 0, MF_PART_LEAF, "text", "plain");
	assert_kind(dg, 0, MF_PART_MESSAGE, "message", "rfc822");
	out = wr(m, 0);
	p = reparse(out);
	assert_true(seq(mf_part_subtype(mf_msg_root(p)), "digest"));
	assert_kind(mf_msg_root(p), 0, MF_PART_LEAF, "text", "plain");
	assert_kind(mf_part_child(mf_msg_root(p), 1), 0, MF_PART_MESSAGE,
	            "message", "rfc822");
	mf_msg_free(p);
	mf_buf_free(out);
	mf_msg_free(m);
}

static void
test_set_cte(void **state)
{
	static const char t8[] =
	    "na\xc3\xafve caf\xc3\xa9, and a line of mostly ASCII\n";
	mf_msg *m, *p;
	const mf_part *a, *mix;
	mf_buf *b;
	int ctes[] = {MF_CTE_BASE64, MF_CTE_8BIT, MF_CTE_BINARY, MF_CTE_QP};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		m = new_msg(0, 4);
		assert_int_equal(
		    mf_part_new(m, NULL, t8, sizeof(t8) - 1, 0, &a), MF_OK);
		assert_int_equal(mf_part_cte(a), MF_CTE_QP);
		assert_int_equal(mf_part_set_cte(m, a, MF_CTE_7BIT),
		                 MF_E_INVAL);
		assert_int_equal(mf_part_cte(a), MF_CTE_QP);
		assert_int_equal(mf_part_set_cte(m, a, ctes[i]), MF_OK);
		assert_int_equal(mf_part_cte(a), ctes[i]);
		assert_dec(a, MF_LF, t8, sizeof(t8) - 1, "built");
		assert_int_equal(mf_part_new_multipart(m, "mixed", &mix),
		                 MF_OK);
		assert_int_equal(mf_part_insert(m, mix, 0, a), MF_OK);
		assert_int_equal(mf_part_replace(m, mf_msg_root(m), mix),
		                 MF_OK);
		b = wr(m, 0);
		p = reparse(b);
		assert_int_equal(mf_part_cte(mf_part_child(mf_msg_root(p), 0)),
		                 ctes[i]);
		assert_dec(mf_part_child(mf_msg_root(p), 0), MF_LF, t8,
		           sizeof(t8) - 1, "parsed");
		/* Through the header too. */
		assert_int_equal(mf_part_header_set(m, a,
		                                    "Content-Transfer-Encoding",
		                                    25, "base64", 6, 0, NULL),
		                 MF_OK);
		assert_int_equal(mf_part_cte(a), MF_CTE_BASE64);
		assert_dec(a, MF_LF, t8, sizeof(t8) - 1, "header");
		/* Refused: parsed parts, multiparts, unknown encodings. */
		assert_int_equal(mf_part_set_cte(m, mix, MF_CTE_BASE64),
		                 MF_E_INVAL);
		assert_int_equal(
		    mf_part_set_cte(p, mf_part_child(mf_msg_root(p), 0),
		                    MF_CTE_BASE64),
		    MF_E_INVAL);
		assert_int_equal(mf_part_set_cte(m, a, MF_CTE_UUENCODE),
		                 MF_E_INVAL);
		assert_int_equal(mf_part_set_cte(m, a, 99), MF_E_INVAL);
		assert_int_equal(mf_part_set_cte(p, a, MF_CTE_QP), MF_E_INVAL);
		mf_msg_free(p);
		mf_buf_free(b);
		mf_msg_free(m);
	}
	/* 8bit refused for a long line, NUL; binary takes anything. */
	m = new_msg(0, 4);
	{
		char *d = malloc(1500);

		assert_non_null(d);
		memset(d, 'x', 1500);
		assert_int_equal(
		    mf_part_new(m, "application/x", d, 1500, 0, &a), MF_OK);
		assert_int_equal(mf_part_set_cte(m, a, MF_CTE_8BIT),
		                 MF_E_INVAL);
		assert_int_equal(mf_part_set_cte(m, a, MF_CTE_BINARY), MF_OK);
		assert_dec(a, 0, d, 1500, "binary");
		free(d);
	}
	mf_msg_free(m);
}

/* ---------------------------------------------------------------------- */
/* Part creation and moves: errors                                         */
/* ---------------------------------------------------------------------- */

static void
test_part_errors(void **state)
{
	mf_msg *m, *o;
	const mf_part *a, *b, *x, *y, *l;
	mf_buf *before, *after;

	(void)state;
	m = new_msg(0, 8);
	o = new_msg(0, 8);
	assert_int_equal(mf_part_new(m, "multipart/mixed", "", 0, 0, &l),
	                 MF_E_INVAL);
	assert_int_equal(mf_part_new(m, "message/rfc822", "", 0, 0, &l),
	                 MF_E_INVAL);
	assert_int_equal(mf_part_new(m, "garbage", "", 0, 0, &l), MF_E_INVAL);
	assert_int_equal(mf_part_new(m, "text/plain\r\nBcc: x", "", 0, 0, &l),
	                 MF_E_INVAL);
	assert_int_equal(mf_part_new(m, NULL, "x", 1, 0x1, &l), MF_E_INVAL);
	assert_int_equal(mf_part_new(m, NULL, NULL, 1, 0, &l), MF_E_INVAL);
	assert_int_equal(mf_part_new(m, NULL, "x", 1, 0, NULL), MF_E_INVAL);
	assert_int_equal(mf_part_new(NULL, NULL, "x", 1, 0, &l), MF_E_INVAL);
	assert_int_equal(mf_part_new_fn(m, NULL, NULL, NULL, &l), MF_E_INVAL);
	assert_int_equal(mf_part_new_multipart(m, "", &l), MF_E_INVAL);
	assert_int_equal(mf_part_new_multipart(m, "a b", &l), MF_E_INVAL);
	assert_int_equal(mf_part_new_multipart(m, NULL, &l), MF_E_INVAL);
	assert_int_equal(mf_part_new_message(m, NULL, &l), MF_E_INVAL);
	assert_int_equal(mf_part_new(m, NULL, "leaf", 4, 0, &l), MF_OK);
	assert_int_equal(mf_part_new_multipart(m, "mixed", &a), MF_OK);
	assert_int_equal(mf_part_new_multipart(m, "mixed", &b), MF_OK);
	assert_int_equal(mf_part_new(o, NULL, "other", 5, 0, &y), MF_OK);
	assert_int_equal(mf_part_new_multipart(o, "mixed", &x), MF_OK);
	before = wr(m, 0);
	/* Not a multipart; of another message; attached; a cycle. */
	assert_int_equal(mf_part_insert(m, l, 0, a), MF_E_INVAL);
	assert_int_equal(mf_part_insert(m, a, 0, y), MF_E_INVAL);
	assert_int_equal(mf_part_insert(m, x, 0, l), MF_E_INVAL);
	assert_int_equal(mf_part_insert(m, a, 0, mf_msg_root(m)), MF_E_INVAL);
	assert_int_equal(mf_part_insert(m, a, 0, a), MF_E_INVAL);
	assert_int_equal(mf_part_insert(m, a, 0, b), MF_OK);
	assert_int_equal(mf_part_insert(m, b, 0, a), MF_E_INVAL);
	assert_int_equal(mf_part_insert(m, a, 0, b), MF_E_INVAL);
	assert_int_equal(mf_part_insert(NULL, a, 0, l), MF_E_INVAL);
	/* Detach: not the root, not twice. */
	assert_int_equal(mf_part_detach(m, mf_msg_root(m)), MF_E_INVAL);
	assert_int_equal(mf_part_detach(m, a), MF_E_INVAL);
	assert_int_equal(mf_part_detach(o, b), MF_E_INVAL);
	assert_int_equal(mf_part_detach(m, b), MF_OK);
	assert_int_equal(mf_part_detach(m, b), MF_E_INVAL);
	/* Replace: nw detached and of m, old attached, not itself. */
	assert_int_equal(mf_part_replace(m, l, a), MF_E_INVAL);
	assert_int_equal(mf_part_replace(m, mf_msg_root(m), y), MF_E_INVAL);
	assert_int_equal(mf_part_replace(m, mf_msg_root(m), mf_msg_root(m)),
	                 MF_E_INVAL);
	assert_int_equal(mf_part_insert(m, a, 0, b), MF_OK);
	assert_int_equal(mf_part_replace(m, mf_msg_root(m), b), MF_E_INVAL);
	assert_int_equal(mf_part_replace(NULL, mf_msg_root(m), l), MF_E_INVAL);
	/* A multipart cannot become a leaf while it has parts. */
	assert_int_equal(mf_part_header_set(m, a, "Content-Type", 12,
	                                    "text/plain", 10, 0, NULL),
	                 MF_E_INVAL);
	after = wr(m, 0);
	tu_assert_mem(mf_buf_data(after), mf_buf_len(after),
	              mf_buf_data(before), mf_buf_len(before), "unchanged");
	mf_buf_free(before);
	mf_buf_free(after);
	mf_msg_free(m);
	mf_msg_free(o);
}

/* ---------------------------------------------------------------------- */
/* Boundaries                                                              */
/* ---------------------------------------------------------------------- */

struct src {
	const char *p;
	size_t n, pos, chunk;
	int fail_after; /* calls before failing; < 0: never */
};

static int
rd(void *ctx, void *buf, size_t cap, size_t *got)
{
	struct src *s = ctx;
	size_t k = s->n - s->pos;

	if (s->fail_after == 0)
		return -1;
	if (s->fail_after > 0)
		s->fail_after--;
	if (k > cap)
		k = cap;
	if (s->chunk > 0 && k > s->chunk)
		k = s->chunk;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	*got = k;
	return 0;
}

static void
test_boundaries(void **state)
{
	mf_msg *m, *p;
	const mf_part *mp, *l, *s;
	mf_str b0;
	char body[200], b0s[80];
	mf_buf *out;
	struct src src;
	int cte;

	(void)state;
	/* The first boundary of seed 11. */
	m = new_msg(0, 11);
	assert_int_equal(mf_part_new_multipart(m, "mixed", &mp), MF_OK);
	b0 = mf_part_boundary(mp);
	assert_true(b0.len > 2 && b0.len <= 70);
	assert_memory_equal(b0.ptr, "=_", 2);
	memcpy(b0s, b0.ptr, b0.len);
	b0s[b0.len] = '\0';
	mf_msg_free(m);

	/* A body holding it at a line start: a new one is picked. */
	m = new_msg(0, 11);
	assert_int_equal(mf_part_new_multipart(m, "mixed", &mp), MF_OK);
	assert_true(seq(mf_part_boundary(mp), b0s));
	snprintf(body, sizeof(body), "x\r\n--%s\r\ny\r\n--%s--\r\n", b0s, b0s);
	assert_int_equal(mf_part_new(m, NULL, body, strlen(body), 0, &l),
	                 MF_OK);
	assert_int_equal(mf_part_cte(l), MF_CTE_7BIT);
	assert_int_equal(mf_part_insert(m, mp, 0, l), MF_OK);
	assert_false(seq(mf_part_boundary(mp), b0s));
	assert_memory_equal(mf_part_boundary(mp).ptr, "=_", 2);
	assert_int_equal(mf_part_replace(m, mf_msg_root(m), mp), MF_OK);
	out = wr(m, 0);
	p = reparse(out);
	assert_int_equal(mf_part_child_count(mf_msg_root(p)), 1);
	assert_dec(mf_part_child(mf_msg_root(p), 0), 0, body, strlen(body),
	           "collision");
	mf_msg_free(p);
	mf_buf_free(out);

	/* A streamed body written as it is holding it: MF_E_SYNTAX, out
	 * unchanged. */
	snprintf(body, sizeof(body), "x\r\n--%s\r\ny\r\n",
	         mf_part_boundary(mp).ptr);
	body[strlen(body) - 0] = '\0';
	{
		/* mf_part_boundary is not NUL-terminated: cut it. */
		mf_str b = mf_part_boundary(mp);

		snprintf(body, sizeof(body), "x\r\n--%.*s\r\ny\r\n", (int)b.len,
		         b.ptr);
	}
	memset(&src, 0, sizeof(src));
	src.p = body;
	src.n = strlen(body);
	src.chunk = 5; /* the delimiter line across reads */
	src.fail_after = -1;
	assert_int_equal(mf_part_new_fn(m, NULL, rd, &src, &s), MF_OK);
	assert_int_equal(mf_part_cte(s), MF_CTE_QP);
	assert_int_equal(mf_part_set_cte(m, s, MF_CTE_7BIT), MF_OK);
	assert_int_equal(mf_part_insert(m, mp, SIZE_MAX, s), MF_OK);
	out = mf_buf_new(NULL);
	assert_int_equal(mf_buf_append(out, "keep", 4), MF_OK);
	assert_int_equal(mf_msg_write(m, 0, out), MF_E_SYNTAX);
	tu_assert_str(mf_buf_data(out), "keep", "unchanged");
	/* As quoted-printable it is fine. */
	for (cte = MF_CTE_QP; cte <= MF_CTE_BASE64; cte++) {
		src.pos = 0;
		assert_int_equal(mf_part_set_cte(m, s, cte), MF_OK);
		mf_buf_clear(out);
		assert_int_equal(mf_msg_write(m, 0, out), MF_OK);
		p = reparse(out);
		assert_int_equal(mf_part_child_count(mf_msg_root(p)), 2);
		assert_dec(mf_part_child(mf_msg_root(p), 1), 0, body,
		           strlen(body), "streamed");
		mf_msg_free(p);
	}
	mf_buf_free(out);
	mf_msg_free(m);

	/* A parsed multipart: its boundary is replaced only on collision,
	 * and its children keep their bytes. */
	{
		static const char in[] =
		    "Subject: p\r\nContent-Type: multipart/mixed; "
		    "boundary=\"b\""
		    "\r\n\r\npre\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--"
		    "\r\nepi\r\n";
		static const char hostile[] = "line\r\n--b\r\n";
		const mf_part *r;

		assert_int_equal(
		    mf_msg_parse(in, sizeof(in) - 1, NULL, &m, NULL), MF_OK);
		r = mf_msg_root(m);
		assert_int_equal(mf_part_new(m, NULL, "safe\r\n", 6, 0, &l),
		                 MF_OK);
		assert_int_equal(mf_part_insert(m, r, 1, l), MF_OK);
		assert_true(seq(mf_part_boundary(r), "b"));
		out = wr(m, 0);
		tu_assert_str(mf_buf_data(out),
		              "Subject: p\r\nContent-Type: multipart/mixed; "
		              "boundary=\"b\"\r\n\r\npre\r\n--b\r\n\r\none\r\n"
		              "--b\r\nContent-Type: text/plain; charset=utf-8"
		              "\r\n\r\nsafe\r\n\r\n--b\r\n\r\ntwo\r\n--b--\r\n"
		              "epi\r\n",
		              "inserted");
		mf_buf_free(out);
		assert_int_equal(mf_part_new(m, NULL, hostile, 11, 0, &l),
		                 MF_OK);
		assert_int_equal(mf_part_insert(m, r, SIZE_MAX, l), MF_OK);
		assert_false(seq(mf_part_boundary(r), "b"));
		out = wr(m, 0);
		assert_non_null(find(mf_buf_data(out), mf_buf_len(out),
		                     "Subject: p\r\n",
		                     strlen("Subject: p\r\n")));
		p = reparse(out);
		assert_int_equal(mf_part_child_count(mf_msg_root(p)), 4);
		assert_dec(mf_part_child(mf_msg_root(p), 0), 0, "one", 3, "0");
		assert_dec(mf_part_child(mf_msg_root(p), 1), 0, "safe\r\n", 6,
		           "1");
		assert_dec(mf_part_child(mf_msg_root(p), 2), 0, "two", 3, "2");
		assert_dec(mf_part_child(mf_msg_root(p), 3), 0, hostile, 11,
		           "3");
		tu_assert_mem(mf_part_epilogue(mf_msg_root(p)).ptr,
		              mf_part_epilogue(mf_msg_root(p)).len,
		              "\r\nepi\r\n", 7, "epilogue");
		mf_msg_free(p);
		mf_buf_free(out);
		/* A multipart inside may not take a boundary starting with
		 * the outer one. */
		assert_int_equal(mf_part_new_multipart(m, "related", &l),
		                 MF_OK);
		assert_int_equal(mf_part_insert(m, r, 0, l), MF_OK);
		{
			char v[120];
			mf_str ob = mf_part_boundary(r);

			snprintf(v, sizeof(v),
			         "multipart/related; "
			         "boundary=\"%.*sX\"",
			         (int)ob.len, ob.ptr);
			assert_int_equal(
			    mf_part_header_set(m, l, "Content-Type", 12, v,
			                       strlen(v), 0, NULL),
			    MF_E_INVAL);
			assert_int_equal(
			    mf_part_header_set(m, l, "Content-Type", 12,
			                       "multipart/related; boundary=in",
			                       30, 0, NULL),
			    MF_OK);
			assert_true(seq(mf_part_boundary(l), "in"));
			out = wr(m, 0);
			p = reparse(out);
			assert_true(seq(
			    mf_part_boundary(mf_part_child(mf_msg_root(p), 0)),
			    "in"));
			assert_int_equal(mf_part_child_count(mf_msg_root(p)),
			                 5);
			mf_msg_free(p);
			mf_buf_free(out);
		}
		mf_msg_free(m);
	}
}

/* ---------------------------------------------------------------------- */
/* Streamed bodies                                                         */
/* ---------------------------------------------------------------------- */

struct gen {
	tu_rng r;
	uint64_t left;
	int fail_at; /* the call that fails; 0: none */
	int calls;
};

static int
gen_read(void *ctx, void *buf, size_t cap, size_t *got)
{
	struct gen *g = ctx;
	size_t k = cap;

	if (++g->calls == g->fail_at)
		return 1;
	if (k > g->left)
		k = (size_t)g->left;
	tu_rng_fill(&g->r, buf, k);
	g->left -= k;
	*got = k;
	return 0;
}

struct count {
	size_t n;
};

static int
count_sink(void *ctx, const char *p, size_t n)
{
	struct count *c = ctx;

	(void)p;
	c->n += n;
	return 0;
}

static void
test_stream(void **state)
{
	const size_t big = 20u << 20;
	mf_msg *m, *p;
	const mf_part *s, *mp;
	struct gen g;
	mf_buf *out, *d;
	unsigned char *want;
	struct count c;
	tu_alloc ta;
	mf_opts o;

	(void)state;
	tu_alloc_init(&ta, -1);
	memset(&o, 0, sizeof(o));
	o.alloc = ta.a;
	m = mf_msg_new(&o);
	assert_non_null(m);
	mf_msg_seed(m, 3);
	assert_int_equal(mf_part_new_multipart(m, "mixed", &mp), MF_OK);
	assert_int_equal(
	    mf_part_new_fn(m, "application/octet-stream", gen_read, &g, &s),
	    MF_OK);
	assert_int_equal(mf_part_cte(s), MF_CTE_BASE64);
	assert_int_equal(mf_part_insert(m, mp, 0, s), MF_OK);
	assert_int_equal(mf_part_replace(m, mf_msg_root(m), mp), MF_OK);
	/* Through a sink: the library allocates nothing while writing. */
	memset(&g, 0, sizeof(g));
	tu_rng_seed(&g.r, 77);
	g.left = big;
	c.n = 0;
	{
		size_t before = ta.bytes;
		long calls = ta.calls;

		assert_int_equal(mf_msg_write_fn(m, 0, count_sink, &c), MF_OK);
		assert_int_equal(ta.calls, calls);
		assert_int_equal(ta.bytes, before);
	}
	assert_true(c.n > big / 3 * 4);
	/* Into a buffer, parsed back, decoded. */
	memset(&g, 0, sizeof(g));
	tu_rng_seed(&g.r, 77);
	g.left = big;
	out = wr(m, 0);
	assert_int_equal(mf_buf_len(out), c.n);
	p = reparse(out);
	d = dec(mf_part_child(mf_msg_root(p), 0), 0);
	want = malloc(big);
	assert_non_null(want);
	tu_rng_seed(&g.r, 77);
	{
		/* The same bytes in the reads' chunk sizes. */
		size_t off = 0;

		while (off < big) {
			size_t k = big - off < 6144 ? big - off : 6144;

			tu_rng_fill(&g.r, want + off, k);
			off += k;
		}
	}
	assert_int_equal(mf_buf_len(d), big);
	assert_memory_equal(mf_buf_data(d), want, big);
	free(want);
	mf_buf_free(d);
	mf_msg_free(p);

	/* A read that fails midway: MF_E_CALLBACK, the buffer unchanged. */
	memset(&g, 0, sizeof(g));
	tu_rng_seed(&g.r, 77);
	g.left = big;
	g.fail_at = 3;
	mf_buf_clear(out);
	assert_int_equal(mf_buf_append(out, "abc", 3), MF_OK);
	assert_int_equal(mf_msg_write(m, 0, out), MF_E_CALLBACK);
	tu_assert_str(mf_buf_data(out), "abc", "unchanged");
	g.calls = 0;
	g.fail_at = 1;
	assert_int_equal(mf_msg_write_fn(m, MF_DOT_STUFF, count_sink, &c),
	                 MF_E_CALLBACK);
	mf_buf_free(out);
	mf_msg_free(m);
}

/* Streamed bodies written as they are: what each encoding forbids. */
static void
test_stream_identity(void **state)
{
	static const struct {
		const char *d;
		size_t n;
		int cte;
		int text;
		int rc;
	} cases[] = {
	    {"a\r\nb\r\n", 6, MF_CTE_7BIT, 1, MF_OK},
	    {"a\nb\n", 4, MF_CTE_7BIT, 1, MF_OK},
	    {"a\nb\n", 4, MF_CTE_7BIT, 0, MF_E_SYNTAX},
	    {"a\rb", 3, MF_CTE_7BIT, 1, MF_E_SYNTAX},
	    {"a\r", 2, MF_CTE_8BIT, 1, MF_E_SYNTAX},
	    {"caf\xc3\xa9", 5, MF_CTE_7BIT, 1, MF_E_SYNTAX},
	    {"caf\xc3\xa9", 5, MF_CTE_8BIT, 1, MF_OK},
	    {"a\0b", 3, MF_CTE_8BIT, 1, MF_E_SYNTAX},
	    {"a\0b\r\xff", 5, MF_CTE_BINARY, 0, MF_OK},
	};
	size_t i;
	char *longl;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) + 1; i++) {
		mf_msg *m = new_msg(0, 5), *p;
		const mf_part *s;
		struct src src;
		mf_buf *out = mf_buf_new(NULL);
		int rc, want = MF_E_SYNTAX;

		memset(&src, 0, sizeof(src));
		src.fail_after = -1;
		src.chunk = 1;
		if (i < sizeof(cases) / sizeof(cases[0])) {
			src.p = cases[i].d;
			src.n = cases[i].n;
			want = cases[i].rc;
		} else {
			longl = malloc(1000);
			assert_non_null(longl);
			memset(longl, 'a', 1000);
			src.p = longl;
			src.n = 999;
			src.chunk = 0;
		}
		assert_int_equal(
		    mf_part_new_fn(m,
		                   i < sizeof(cases) / sizeof(cases[0]) &&
		                           !cases[i].text
		                       ? "application/x"
		                       : "text/plain",
		                   rd, &src, &s),
		    MF_OK);
		assert_int_equal(mf_part_replace(m, mf_msg_root(m), s), MF_OK);
		assert_int_equal(
		    mf_part_set_cte(m, s,
		                    i < sizeof(cases) / sizeof(cases[0])
		                        ? cases[i].cte
		                        : MF_CTE_8BIT),
		    MF_OK);
		rc = mf_msg_write(m, MF_LF, out);
		if (rc != want)
			fail_msg("case %zu: %d, want %d", i, rc, want);
		if (rc == MF_OK) {
			p = reparse(out);
			if (cases[i].cte == MF_CTE_BINARY) {
				assert_dec(mf_msg_root(p), 0, cases[i].d,
				           cases[i].n, "binary");
			} else {
				mf_buf *d = dec(mf_msg_root(p), 0);

				/* LF output: line ends are LF. */
				assert_null(memchr(mf_buf_data(d), '\r',
				                   mf_buf_len(d)));
				mf_buf_free(d);
			}
			mf_msg_free(p);
		} else {
			assert_int_equal(mf_buf_len(out), 0);
		}
		if (i == sizeof(cases) / sizeof(cases[0])) {
			/* 998 octets are fine. */
			src.pos = 0;
			src.n = 998;
			assert_int_equal(mf_msg_write(m, 0, out), MF_OK);
			free(longl);
		}
		mf_buf_free(out);
		mf_msg_free(m);
	}
}

/* ---------------------------------------------------------------------- */
/* Edits of parsed messages                                                */
/* ---------------------------------------------------------------------- */

static const char *sets[] = {
    "corpus/cpython",
    "corpus/gmime",
    "corpus/mikel-mail",
    "corpus/mimekit",
    "corpus/nodemailer-mailparser",
    "corpus/spamassassin",
};

/* Whether s lies inside p[0..n). */
static int
inside(mf_str s, const char *p, size_t n)
{
	return s.len > 0 && s.ptr >= p && s.ptr + s.len <= p + n;
}

/* One corpus message: a field added (the output is the input with the
 * field inserted), a part appended to a multipart (every old body still
 * there byte for byte), a leaf wrapped in multipart/mixed. */
static size_t
edit_one(const char *p, size_t n, const char *label)
{
	mf_msg *m = NULL, *q;
	const mf_part *r, *l, *mix;
	mf_buf *out;
	size_t pos, k = 0;
	static const char add[] = "X-Edited: yes\r\n";

	if (mf_msg_parse(p, n, NULL, &m, NULL) < 0)
		return 0;
	r = mf_msg_root(m);
	if (r == NULL || !inside(r->hdr_end, p, n) || mf_msg_count(m) != 1) {
		mf_msg_free(m);
		return 0;
	}
	/* 1. A field at the end of the header: nothing else moves. */
	pos = (size_t)(r->hdr_end.ptr - p);
	assert_int_equal(
	    mf_part_header_add(m, NULL, "X-Edited", 8, "yes", 3, 0, NULL),
	    MF_OK);
	out = wr(m, 0);
	if (mf_buf_len(out) != n + sizeof(add) - 1 ||
	    memcmp(mf_buf_data(out), p, pos) != 0 ||
	    memcmp(mf_buf_data(out) + pos, add, sizeof(add) - 1) != 0 ||
	    memcmp(mf_buf_data(out) + pos + sizeof(add) - 1, p + pos,
	           n - pos) != 0)
		fail_msg("%s: the added field moved other bytes", label);
	mf_buf_free(out);
	/* Removed again: the input back. */
	assert_int_equal(mf_part_header_remove(m, NULL, "X-Edited", 8), 1);
	out = wr(m, 0);
	tu_assert_mem(mf_buf_data(out), mf_buf_len(out), p, n, label);
	mf_buf_free(out);

	if (mf_msg_defects(m) == 0 && mf_part_kind(r) == MF_PART_MULTIPART) {
		/* 2. A part appended: every body as it was. */
		size_t nc = mf_part_child_count(r), i;

		assert_int_equal(mf_part_new(m, NULL, "added\r\n", 7, 0, &l),
		                 MF_OK);
		assert_int_equal(mf_part_insert(m, r, SIZE_MAX, l), MF_OK);
		out = wr(m, 0);
		for (l = NULL; (l = mf_part_next(r, l)) != NULL;) {
			mf_str b = mf_part_body(l);

			if (mf_part_kind(l) == MF_PART_LEAF && b.len > 0 &&
			    find(mf_buf_data(out), mf_buf_len(out), b.ptr,
			         b.len) == NULL)
				fail_msg("%s: a body lost its bytes", label);
		}
		q = reparse(out);
		if (mf_part_child_count(mf_msg_root(q)) != nc + 1)
			fail_msg("%s: %zu parts, want %zu", label,
			         mf_part_child_count(mf_msg_root(q)), nc + 1);
		for (i = 0; i < nc; i++) {
			const mf_part *qc = mf_part_child(mf_msg_root(q), i);
			mf_buf *a;

			if (mf_part_kind(qc) != MF_PART_LEAF ||
			    mf_part_kind(mf_part_child(r, i)) != MF_PART_LEAF)
				continue;
			a = dec(mf_part_child(r, i), 0);
			assert_dec(qc, 0, mf_buf_data(a), mf_buf_len(a), label);
			mf_buf_free(a);
		}
		assert_dec(mf_part_child(mf_msg_root(q), nc), 0, "added\r\n", 7,
		           label);
		mf_msg_free(q);
		mf_buf_free(out);
		k++;
	} else if (mf_msg_defects(m) == 0 && mf_part_kind(r) == MF_PART_LEAF) {
		/* 3. Wrapped: the old root's fields but Content-* stay on
		 * the message, its content becomes the first part. */
		mf_buf *a = dec(r, 0);
		mf_str subj = hv(r, "Subject");
		size_t nf = mf_part_field_count(r);

		assert_int_equal(mf_part_new_multipart(m, "mixed", &mix),
		                 MF_OK);
		assert_int_equal(mf_part_replace(m, r, mix), MF_OK);
		assert_int_equal(mf_part_insert(m, mix, 0, r), MF_OK);
		assert_int_equal(mf_part_new(m, "application/octet-stream",
		                             "\x00\x01", 2, 0, &l),
		                 MF_OK);
		assert_int_equal(mf_part_insert(m, mix, SIZE_MAX, l), MF_OK);
		assert_true(mf_part_field_count(mix) + mf_part_field_count(r) >=
		            nf + 1);
		out = wr(m, 0);
		q = reparse(out);
		if (mf_part_child_count(mf_msg_root(q)) != 2)
			fail_msg("%s: wrapped: %zu parts", label,
			         mf_part_child_count(mf_msg_root(q)));
		assert_true(mf_str_eq(hv(mf_msg_root(q), "Subject"), subj));
		assert_dec(mf_part_child(mf_msg_root(q), 0), 0, mf_buf_data(a),
		           mf_buf_len(a), label);
		assert_dec(mf_part_child(mf_msg_root(q), 1), 0, "\x00\x01", 2,
		           label);
		mf_msg_free(q);
		mf_buf_free(out);
		mf_buf_free(a);
		k++;
	}
	mf_msg_free(m);
	return k;
}

static void
test_corpus_edits(void **state)
{
	size_t s, files = 0, edited = 0;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, len = strlen(list[i]);
			char *p;

			if (len > 4 && strcmp(list[i] + len - 4, ".log") == 0)
				continue;
			p = tu_read(list[i], &n);
			edited += edit_one(p, n, list[i]);
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	assert_true(files >= 300);
	assert_true(edited >= 100);
}

/* Moves inside a parsed message: the other bytes stay. */
static void
test_moves(void **state)
{
	static const char in[] =
	    "Subject: m\nContent-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\none\n--b\n\ntwo\n--b\nContent-Type: message/rfc822\n\n"
	    "Subject: inner\n\nthree\n--b--\n";
	mf_msg *m, *q, *n;
	const mf_part *r, *c0, *c2, *l, *mp;
	mf_buf *out;

	(void)state;
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, NULL, &m, NULL),
	                 MF_OK);
	r = mf_msg_root(m);
	c0 = mf_part_child(r, 0);
	c2 = mf_part_child(r, 2);
	/* The first part moved last. */
	assert_int_equal(mf_part_detach(m, c0), MF_OK);
	assert_int_equal(mf_part_child_count(r), 2);
	assert_ptr_equal(mf_part_child(r, 0)->parent, r);
	assert_int_equal(mf_part_insert(m, r, SIZE_MAX, c0), MF_OK);
	assert_ptr_equal(mf_part_child(r, 2), c0);
	out = wr(m, 0);
	q = reparse(out);
	assert_int_equal(mf_part_child_count(mf_msg_root(q)), 3);
	assert_dec(mf_part_child(mf_msg_root(q), 0), 0, "two", 3, "0");
	assert_true(seq(
	    hv(mf_part_message(mf_part_child(mf_msg_root(q), 1)), "Subject"),
	    "inner"));
	assert_dec(mf_part_child(mf_msg_root(q), 2), 0, "one", 3, "2");
	mf_msg_free(q);
	mf_buf_free(out);
	/* The embedded message replaced by a new leaf. */
	assert_int_equal(mf_part_new(m, NULL, "new\n", 4, 0, &l), MF_OK);
	assert_int_equal(mf_part_replace(m, c2, l), MF_OK);
	assert_null(mf_part_parent(c2));
	out = wr(m, 0);
	q = reparse(out);
	assert_int_equal(mf_part_child_count(mf_msg_root(q)), 3);
	assert_dec(mf_part_child(mf_msg_root(q), 1), MF_LF, "new\n", 4, "1");
	mf_msg_free(q);
	mf_buf_free(out);
	/* The removed message attached to a new message as rfc822. */
	n = new_msg(0, 1);
	assert_int_equal(mf_part_new_multipart(n, "mixed", &mp), MF_OK);
	assert_int_equal(mf_part_replace(n, mf_msg_root(n), mp), MF_OK);
	assert_int_equal(mf_part_new_message(n, mf_msg_root(m), &l), MF_OK);
	assert_int_equal(mf_part_kind(l), MF_PART_MESSAGE);
	assert_non_null(mf_part_message(l));
	assert_int_equal(mf_part_insert(n, mp, 0, l), MF_OK);
	assert_int_equal(mf_part_depth(mf_part_message(l)), 2);
	out = wr(n, 0);
	q = reparse(out);
	{
		const mf_part *e =
		    mf_part_message(mf_part_child(mf_msg_root(q), 0));
		mf_buf *w = wr(m, 0);

		assert_non_null(e);
		assert_true(seq(hv(e, "Subject"), "m"));
		assert_int_equal(mf_part_child_count(e), 3);
		/* The embedded message written as it is. */
		assert_non_null(find(mf_buf_data(out), mf_buf_len(out),
		                     mf_buf_data(w), mf_buf_len(w)));
		mf_buf_free(w);
	}
	mf_msg_free(q);
	mf_buf_free(out);
	mf_msg_free(n);
	mf_msg_free(m);
}

/* A header edit on a part inside a parsed message: only that field. */
static void
test_part_fields(void **state)
{
	static const char in[] =
	    "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\nX-Keep: 1\r\n\r\none\r\n"
	    "--b--\r\n";
	static const char want[] =
	    "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/html\r\nX-Keep: 1\r\n"
	    "Content-Disposition: attachment; filename=x.html\r\n\r\none\r\n"
	    "--b--\r\n";
	mf_msg *m;
	const mf_part *c;
	mf_buf *out;

	(void)state;
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, NULL, &m, NULL),
	                 MF_OK);
	c = mf_part_child(mf_msg_root(m), 0);
	assert_int_equal(mf_part_is_attachment(c, MF_ATTACH_NAMED), 0);
	assert_int_equal(mf_part_header_set(m, c, "Content-Type", 12,
	                                    "text/html", 9, 0, NULL),
	                 MF_OK);
	assert_int_equal(mf_part_header_set(m, c, "Content-Disposition", 19,
	                                    "attachment; filename=x.html", 27,
	                                    0, NULL),
	                 MF_OK);
	assert_true(seq(mf_part_subtype(c), "html"));
	assert_true(seq(mf_part_filename(c), "x.html"));
	assert_int_equal(mf_part_is_attachment(c, MF_ATTACH_NAMED), 1);
	out = wr(m, 0);
	tu_assert_str(mf_buf_data(out), want, "edited part");
	mf_buf_free(out);
	/* LF output: generated lines LF, parsed ones as they were. */
	out = wr(m, MF_LF);
	assert_non_null(find(mf_buf_data(out), mf_buf_len(out),
	                     "Content-Type: text/html\nX-Keep: 1\r\n",
	                     strlen("Content-Type: text/html\nX-Keep: 1\r\n")));
	mf_buf_free(out);
	mf_msg_free(m);
}

/* Parsed header blocks cut by the end of the input, then edited; a
 * streamed quoted-printable body holding a parsed boundary. */
static void
test_cut_header(void **state)
{
	static const char in[] = "Subject: x";
	mf_msg *m, *p;
	const mf_part *l, *s;
	mf_buf *out;
	struct src src;

	(void)state;
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, NULL, &m, NULL),
	                 MF_OK);
	out = wr(m, 0);
	tu_assert_str(mf_buf_data(out), in, "as it was");
	mf_buf_free(out);
	assert_int_equal(
	    mf_part_header_add(m, NULL, "X-New", 5, "y", 1, 0, NULL), MF_OK);
	out = wr(m, 0);
	tu_assert_str(mf_buf_data(out), "Subject: x\r\nX-New: y\r\n", "added");
	mf_buf_free(out);
	/* Made a multipart: the empty line comes before its parts. */
	assert_int_equal(mf_part_header_set(m, NULL, "Content-Type", 12,
	                                    "multipart/mixed; boundary=b", 27,
	                                    0, NULL),
	                 MF_OK);
	assert_int_equal(mf_part_kind(mf_msg_root(m)), MF_PART_MULTIPART);
	assert_int_equal(mf_part_new(m, NULL, "one\r\n", 5, 0, &l), MF_OK);
	assert_int_equal(mf_part_insert(m, mf_msg_root(m), 0, l), MF_OK);
	out = wr(m, 0);
	p = reparse(out);
	assert_int_equal(mf_part_child_count(mf_msg_root(p)), 1);
	assert_dec(mf_part_child(mf_msg_root(p), 0), 0, "one\r\n", 5, "one");
	assert_true(seq(hv(mf_msg_root(p), "Subject"), "x"));
	mf_msg_free(p);
	mf_buf_free(out);
	/* Quoted-printable keeps "--b": a streamed body that is not base64
	 * gets the multipart a boundary of ours; forced back under a given
	 * one, the write refuses it. */
	memset(&src, 0, sizeof(src));
	src.p = "a\r\n--b--\r\n";
	src.n = 10;
	src.fail_after = -1;
	assert_int_equal(mf_part_new_fn(m, NULL, rd, &src, &s), MF_OK);
	assert_int_equal(mf_part_insert(m, mf_msg_root(m), 1, s), MF_OK);
	assert_false(seq(mf_part_boundary(mf_msg_root(m)), "b"));
	out = mf_buf_new(NULL);
	assert_int_equal(mf_msg_write(m, 0, out), MF_OK);
	p = reparse(out);
	assert_int_equal(mf_part_child_count(mf_msg_root(p)), 2);
	assert_dec(mf_part_child(mf_msg_root(p), 1), 0, src.p, src.n, "qp");
	mf_msg_free(p);
	mf_msg_free(m);
	/* Made quoted-printable once inside a parsed multipart: refused. */
	{
		static const char mp[] =
		    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		    "--b\r\n\r\nx\r\n--b--\r\n";

		assert_int_equal(
		    mf_msg_parse(mp, sizeof(mp) - 1, NULL, &m, NULL), MF_OK);
	}
	src.pos = 0;
	assert_int_equal(mf_part_new_fn(m, "text/plain", rd, &src, &s), MF_OK);
	assert_int_equal(mf_part_set_cte(m, s, MF_CTE_BASE64), MF_OK);
	assert_int_equal(mf_part_insert(m, mf_msg_root(m), 1, s), MF_OK);
	assert_true(seq(mf_part_boundary(mf_msg_root(m)), "b"));
	assert_int_equal(mf_part_set_cte(m, s, MF_CTE_QP), MF_OK);
	mf_buf_clear(out);
	assert_int_equal(mf_msg_write(m, 0, out), MF_E_SYNTAX);
	assert_int_equal(mf_buf_len(out), 0);
	src.pos = 0;
	assert_int_equal(mf_part_set_cte(m, s, MF_CTE_BASE64), MF_OK);
	assert_int_equal(mf_msg_write(m, 0, out), MF_OK);
	p = reparse(out);
	assert_int_equal(mf_part_child_count(mf_msg_root(p)), 2);
	assert_dec(mf_part_child(mf_msg_root(p), 1), 0, src.p, src.n, "b64");
	mf_msg_free(p);
	mf_buf_free(out);
	mf_msg_free(m);
}

/* mf_msg_parse keeps the output flags for the edits. */
static void
test_parse_flags(void **state)
{
	static const char in[] = "Subject: a\r\n\r\nbody\r\n";
	static const char t8[] = "caf\xc3\xa9\n";
	mf_opts o;
	mf_msg *m;
	const mf_part *p;
	mf_buf *b;
	mf_error err;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.flags = MF_8BITMIME | MF_UTF8_OUT;
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, &o, &m, NULL), MF_OK);
	assert_int_equal(mf_part_new(m, NULL, t8, sizeof(t8) - 1, 0, &p),
	                 MF_OK);
	assert_int_equal(mf_part_cte(p), MF_CTE_8BIT);
	assert_int_equal(mf_msg_set(m, "Subject",
	                            "Gr\xc3\xbc\xc3\x9f"
	                            "e",
	                            &err),
	                 MF_OK);
	b = wr(m, 0);
	tu_assert_str(mf_buf_data(b),
	              "Subject: Gr\xc3\xbc\xc3\x9f"
	              "e\r\n\r\nbody\r\n",
	              "raw UTF-8");
	mf_buf_free(b);
	mf_msg_free(m);
	o.flags = MF_BINARYMIME | MF_MBOX;
	assert_int_equal(mf_msg_parse(in, sizeof(in) - 1, &o, &m, NULL), MF_OK);
	assert_int_equal(mf_part_new(m, NULL, t8, sizeof(t8) - 1, 0, &p),
	                 MF_OK);
	assert_int_equal(mf_part_cte(p), MF_CTE_BINARY);
	/* A message with 8-bit header text attached: message/rfc822 8bit. */
	{
		static const char raw[] = "Subject: caf\xc3\xa9\r\n\r\nx\r\n";
		mf_msg *e, *n = new_msg(0, 1);

		assert_int_equal(
		    mf_msg_parse(raw, sizeof(raw) - 1, NULL, &e, NULL), MF_OK);
		assert_int_equal(mf_part_new_message(n, mf_msg_root(e), &p),
		                 MF_OK);
		assert_int_equal(mf_part_cte(p), MF_CTE_8BIT);
		assert_int_equal(mf_part_new_message(n, mf_msg_root(m), &p),
		                 MF_OK);
		assert_int_equal(mf_part_cte(p), MF_CTE_7BIT);
		mf_msg_free(n);
		mf_msg_free(e);
	}
	mf_msg_free(m);
}

/* ---------------------------------------------------------------------- */
/* OOM                                                                     */
/* ---------------------------------------------------------------------- */

static int
zero_read(void *ctx, void *buf, size_t cap, size_t *got)
{
	size_t *left = ctx, k = cap < *left ? cap : *left;

	memset(buf, 'z', k);
	*left -= k;
	*got = k;
	return 0;
}

static int
oom_build(const mf_alloc *a, void *ctx)
{
	mf_opts o;
	mf_msg *m, *in = NULL;
	const mf_part *mix, *t, *s, *e, *b;
	mf_buf *out;
	size_t left = 10000;
	int rc;
	static const char parsed[] =
	    "Subject: in\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\none\r\n--b--\r\n";

	(void)ctx;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	m = mf_msg_new(&o);
	if (m == NULL)
		return MF_E_NOMEM;
	mf_msg_seed(m, 1);
	rc = mf_msg_parse(parsed, sizeof(parsed) - 1, &o, &in, NULL);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "From", "Jöhn <j@example.com>", NULL);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "To", "a@b.c, d@e.f", NULL);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "Subject", "Grüße", NULL);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "References", "<a@b> <c@d>", NULL);
	if (rc == MF_OK)
		rc = mf_msg_set_date(m, 0, 0);
	if (rc == MF_OK)
		rc = mf_part_new_multipart(m, "mixed", &mix);
	if (rc == MF_OK)
		rc = mf_part_new(m, NULL, "caf\xc3\xa9\n", 6, 0, &t);
	if (rc == MF_OK)
		rc = mf_part_new_fn(m, "image/png", zero_read, &left, &s);
	if (rc == MF_OK)
		rc = mf_part_set_cte(m, t, MF_CTE_BASE64);
	if (rc == MF_OK)
		rc = mf_part_header_set(m, s, "Content-Disposition", 19,
		                        "attachment; filename=\"a.png\"", 28, 0,
		                        NULL);
	if (rc == MF_OK)
		rc = mf_part_new_message(m, mf_msg_root(in), &e);
	if (rc == MF_OK)
		rc = mf_part_insert(m, mix, 0, t);
	if (rc == MF_OK)
		rc = mf_part_insert(m, mix, 1, s);
	if (rc == MF_OK)
		rc = mf_part_insert(m, mix, 2, e);
	if (rc == MF_OK)
		rc = mf_part_replace(m, mf_msg_root(m), mix);
	/* An edit of the parsed message: a colliding part. */
	if (rc == MF_OK)
		rc = mf_part_new(in, NULL, "--b\r\n", 5, 0, &b);
	if (rc == MF_OK)
		rc = mf_part_insert(in, mf_msg_root(in), 0, b);
	if (rc == MF_OK && mf_part_header_remove(m, NULL, "To", 2) != 1)
		rc = MF_E_STATE;
	if (rc == MF_OK) {
		out = mf_buf_new(a);
		if (out == NULL) {
			rc = MF_E_NOMEM;
		} else {
			rc = mf_msg_write(m, MF_DOT_STUFF, out);
			if (rc == MF_E_NOMEM && mf_buf_len(out) != 0)
				rc = MF_E_STATE;
			if (rc == MF_OK)
				rc = mf_msg_write(in, 0, out);
			mf_buf_free(out);
		}
	}
	mf_msg_free(m);
	mf_msg_free(in);
	return rc;
}

/* Moves into and out of a digest, a new boundary with an RFC 2231
 * parameter. */
static int
oom_digest(const mf_alloc *a, void *ctx)
{
	static const char dig[] =
	    "Content-Type: multipart/mixed; boundary=o; "
	    "title*=utf-8''%C3%A9t%C3%A9\r\n\r\n--o\r\n\r\ntext\r\n"
	    "--o\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n"
	    "--d\r\n\r\nSubject: x\r\n\r\nhi\r\n--d--\r\n--o--\r\n";
	mf_opts o;
	mf_msg *m = NULL;
	const mf_part *r, *t, *dg, *x, *b;
	mf_buf *out;
	int rc;

	(void)ctx;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	rc = mf_msg_parse(dig, sizeof(dig) - 1, &o, &m, NULL);
	if (rc < 0)
		return rc;
	r = mf_msg_root(m);
	t = mf_part_child(r, 0);
	dg = mf_part_child(r, 1);
	x = mf_part_child(dg, 0);
	rc = mf_part_detach(m, t);
	if (rc == MF_OK)
		rc = mf_part_insert(m, dg, 0, t);
	if (rc == MF_OK)
		rc = mf_part_detach(m, x);
	if (rc == MF_OK)
		rc = mf_part_insert(m, r, 0, x);
	if (rc == MF_OK)
		rc = mf_part_header_set(m, dg, "Content-Type", 12,
		                        "multipart/mixed; boundary=d", 27, 0,
		                        NULL);
	if (rc == MF_OK)
		rc = mf_part_new(m, NULL, "--o\r\n", 5, 0, &b);
	if (rc == MF_OK)
		rc = mf_part_insert(m, r, 0, b);
	if (rc == MF_OK) {
		out = mf_buf_new(a);
		rc = out != NULL ? mf_msg_write(m, 0, out) : MF_E_NOMEM;
		if (rc == MF_OK &&
		    (mf_part_param(mf_msg_root(m), "title", 5) == NULL ||
		     seq(mf_part_boundary(mf_msg_root(m)), "o")))
			rc = MF_E_STATE;
		mf_buf_free(out);
	}
	mf_msg_free(m);
	return rc;
}

static void
test_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(oom_build, NULL) > 20);
	assert_true(tu_oom_loop(oom_digest, NULL) > 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_field_errors),
	    cmocka_unit_test(test_addrs_date),
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_cte_choose),
	    cmocka_unit_test(test_cte_choose_scan),
	    cmocka_unit_test(test_rebound_params),
	    cmocka_unit_test(test_digest_move),
	    cmocka_unit_test(test_set_cte),
	    cmocka_unit_test(test_part_errors),
	    cmocka_unit_test(test_boundaries),
	    cmocka_unit_test(test_stream),
	    cmocka_unit_test(test_stream_identity),
	    cmocka_unit_test(test_corpus_edits),
	    cmocka_unit_test(test_moves),
	    cmocka_unit_test(test_part_fields),
	    cmocka_unit_test(test_parse_flags),
	    cmocka_unit_test(test_cut_header),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
