/* SPDX-License-Identifier: MIT */
/*
 * test_build.c - the builder's convenience layer (build.c) and the codec
 * mf_buf variants: mf_b64_encode_buf and mf_qp_encode_buf against the
 * array encoders (appending, flags, failure leaves the buffer unchanged,
 * OOM), mf_mime_type and its table, and the message builders.
 */
#include "tutil.h"

#include "build.h"
#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Codec mf_buf variants                                                   */
/* ---------------------------------------------------------------------- */

static void
test_b64_buf(void **state)
{
	static const unsigned lens[] = { 0, 1, 2, 3, 4, 56, 57, 58, 1000,
					 100003 };
	static const size_t lines[] = { 0, 4, 7, 76 };
	static const unsigned flags[] = { 0, MF_LF };
	tu_rng r;
	size_t i, j, k;
	unsigned char *in = malloc(100003);

	(void)state;
	assert_non_null(in);
	tu_rng_seed(&r, 8);
	tu_rng_fill(&r, in, 100003);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (j = 0; j < sizeof(lines) / sizeof(lines[0]); j++)
			for (k = 0; k < 2; k++) {
				size_t cap = mf_b64_encoded_len(lens[i], lines[j],
								flags[k]);
				char *want = malloc(cap + 1);
				size_t wn;
				mf_buf *b = mf_buf_new(NULL);

				assert_non_null(want);
				assert_non_null(b);
				assert_int_equal(mf_b64_encode(want, cap, in,
							       lens[i], lines[j],
							       flags[k], &wn),
						 MF_OK);
				/* Appended after what is there. */
				assert_int_equal(mf_buf_append(b, "pre:", 4),
						 MF_OK);
				assert_int_equal(mf_b64_encode_buf(b, in, lens[i],
								   lines[j],
								   flags[k]),
						 MF_OK);
				assert_int_equal(mf_buf_len(b), 4 + wn);
				assert_memory_equal(mf_buf_data(b), "pre:", 4);
				tu_assert_mem(mf_buf_data(b) + 4,
					      mf_buf_len(b) - 4, want, wn,
					      "b64 buf");
				/* NUL-terminated. */
				assert_int_equal(mf_buf_data(b)[mf_buf_len(b)],
						 0);
				mf_buf_free(b);
				free(want);
			}
	free(in);
}

static void
test_b64_buf_known(void **state)
{
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_b64_encode_buf(b, "hello world", 11, 8, 0), MF_OK);
	assert_string_equal(mf_buf_data(b), "aGVsbG8g\r\nd29ybGQ=\r\n");
	mf_buf_clear(b);
	assert_int_equal(mf_b64_encode_buf(b, "hello world", 11, 8, MF_LF),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "aGVsbG8g\nd29ybGQ=\n");
	mf_buf_clear(b);
	assert_int_equal(mf_b64_encode_buf(b, "ab", 2, 0, 0), MF_OK);
	assert_string_equal(mf_buf_data(b), "YWI=");
	/* Errors: out unchanged. */
	assert_int_equal(mf_b64_encode_buf(b, "x", 1, 76, MF_STRICT),
			 MF_E_INVAL);
	assert_int_equal(mf_b64_encode_buf(b, "x", 1, 76, 0x80000000u),
			 MF_E_INVAL);
	assert_int_equal(mf_b64_encode_buf(b, NULL, 1, 76, 0), MF_E_INVAL);
	assert_int_equal(mf_b64_encode_buf(NULL, "x", 1, 76, 0), MF_E_INVAL);
	assert_string_equal(mf_buf_data(b), "YWI=");
	/* Empty input: nothing appended. */
	assert_int_equal(mf_b64_encode_buf(b, NULL, 0, 76, 0), MF_OK);
	assert_string_equal(mf_buf_data(b), "YWI=");
	/* A size whose encoding overflows size_t. */
	assert_int_equal(mf_b64_encode_buf(b, "x", SIZE_MAX, 76, 0),
			 MF_E_LIMIT);
	assert_string_equal(mf_buf_data(b), "YWI=");
	mf_buf_free(b);
}

static void
test_qp_buf(void **state)
{
	static const char *texts[] = {
	    "",
	    "plain ascii",
	    "line one\r\nline two\nline three \n",
	    "caf\xc3\xa9 = cr\xc3\xa8me br\xc3\xbbl\303\251e\t",
	    "From the start\n.dot\nFrom again\r\n",
	    "a\rb\0c",
	};
	static const unsigned flags[] = { 0, MF_LF, MF_QP_BINARY, MF_QP_SAFE,
					  MF_LF | MF_QP_SAFE };
	size_t i, k;
	char *big;
	tu_rng r;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
			size_t n = i == 5 ? 5 : strlen(texts[i]);
			size_t cap = mf_qp_encoded_len(n, flags[k]), wn;
			char *want = malloc(cap + 1);
			mf_buf *b = mf_buf_new(NULL);

			assert_non_null(want);
			assert_non_null(b);
			assert_int_equal(mf_qp_encode(want, cap, texts[i], n,
						      flags[k], &wn),
					 MF_OK);
			assert_int_equal(mf_buf_append(b, "x", 1), MF_OK);
			assert_int_equal(mf_qp_encode_buf(b, texts[i], n,
							  flags[k]),
					 MF_OK);
			assert_int_equal(mf_buf_len(b), 1 + wn);
			tu_assert_mem(mf_buf_data(b) + 1, mf_buf_len(b) - 1,
				      want, wn, texts[i]);
			mf_buf_free(b);
			free(want);
		}
	/* Larger than the chunk the encoder works in, with a soft break,
	 * an escape and a white space run across every chunk border: the
	 * same bytes as the one-shot encoder. */
	big = malloc(200000);
	assert_non_null(big);
	tu_rng_seed(&r, 3);
	for (i = 0; i < 200000; i++) {
		static const char alpha[] = "ab =\xe9\t\n\r.F";

		big[i] = alpha[tu_rng_below(&r, sizeof(alpha) - 1)];
	}
	for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		size_t cap = mf_qp_encoded_len(200000, flags[k]), wn;
		char *want = malloc(cap);
		mf_buf *b = mf_buf_new(NULL);

		assert_non_null(want);
		assert_non_null(b);
		assert_int_equal(mf_qp_encode(want, cap, big, 200000, flags[k],
					      &wn),
				 MF_OK);
		assert_int_equal(mf_qp_encode_buf(b, big, 200000, flags[k]),
				 MF_OK);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), want, wn,
			      "qp big");
		mf_buf_free(b);
		free(want);
	}
	free(big);
}

static void
test_qp_buf_errors(void **state)
{
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_qp_encode_buf(b, "caf\xc3\xa9\n", 6, MF_LF),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "caf=C3=A9\n");
	assert_int_equal(mf_qp_encode_buf(b, "x", 1, MF_STRICT), MF_E_INVAL);
	assert_int_equal(mf_qp_encode_buf(b, "x", 1, 0x80000000u),
			 MF_E_INVAL);
	assert_int_equal(mf_qp_encode_buf(b, NULL, 1, 0), MF_E_INVAL);
	assert_int_equal(mf_qp_encode_buf(NULL, "x", 1, 0), MF_E_INVAL);
	assert_int_equal(mf_qp_encode_buf(b, NULL, 0, 0), MF_OK);
	assert_string_equal(mf_buf_data(b), "caf=C3=A9\n");
	mf_buf_free(b);
}

struct codec_oom {
	int qp;
	size_t n;
};

static int
oom_codec_buf(const mf_alloc *a, void *ctx)
{
	const struct codec_oom *c = ctx;
	mf_buf *b = mf_buf_new(a);
	char *in;
	size_t i;
	int rc;

	if (b == NULL)
		return MF_E_NOMEM;
	in = malloc(c->n + 1);
	assert_non_null(in);
	for (i = 0; i < c->n; i++)
		in[i] = (char)("ab\xe9=\n"[i % 5]);
	rc = mf_buf_append(b, "keep", 4);
	if (rc == MF_OK)
		rc = c->qp ? mf_qp_encode_buf(b, in, c->n, 0)
			   : mf_b64_encode_buf(b, in, c->n, 76, 0);
	if (rc < 0 && mf_buf_len(b) != 0) {
		/* Failure: what was there is still there, alone. */
		assert_int_equal(mf_buf_len(b), 4);
		assert_string_equal(mf_buf_data(b), "keep");
	}
	free(in);
	mf_buf_free(b);
	return rc;
}

static void
test_codec_buf_oom(void **state)
{
	struct codec_oom c[] = { { 0, 10 }, { 0, 5000 }, { 1, 10 },
				 { 1, 50000 } };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		assert_true(tu_oom_loop(oom_codec_buf, &c[i]) >= 2);
}

/* ---------------------------------------------------------------------- */
/* Media types                                                             */
/* ---------------------------------------------------------------------- */

static void
test_mime_type_table(void **state)
{
	size_t n, i;
	const struct mf__mtype *t = mf__mime_table(&n);

	(void)state;
	assert_true(n >= 60);
	for (i = 0; i < n; i++) {
		char name[32], upper[32];
		size_t j;

		/* Strictly increasing (the binary search needs it), lower
		 * case, and every entry found, in any case. */
		if (i > 0 && strcmp(t[i - 1].ext, t[i].ext) >= 0)
			fail_msg("table not sorted at %s", t[i].ext);
		snprintf(name, sizeof(name), "file.%s", t[i].ext);
		assert_string_equal(mf_mime_type(name, strlen(name)), t[i].type);
		for (j = 0; t[i].ext[j] != '\0'; j++)
			assert_false(t[i].ext[j] >= 'A' && t[i].ext[j] <= 'Z');
		for (j = 0; name[j] != '\0'; j++) {
			upper[j] = (char)(name[j] >= 'a' && name[j] <= 'z'
						  ? name[j] - 32
						  : name[j]);
		}
		upper[j] = '\0';
		assert_string_equal(mf_mime_type(upper, j), t[i].type);
		/* The type looks like one. */
		assert_non_null(strchr(t[i].type, '/'));
	}
}

static void
test_mime_type(void **state)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
	    { "report.pdf", "application/pdf" },
	    { "a.PDF", "application/pdf" },
	    { "Photo.JpEg", "image/jpeg" },
	    { "x.jpg", "image/jpeg" },
	    { "logo.png", "image/png" },
	    { "archive.tar.gz", "application/gzip" },
	    { "notes.txt", "text/plain" },
	    { "page.htm", "text/html" },
	    { "forwarded.eml", "message/rfc822" },
	    { "invite.ics", "text/calendar" },
	    { "budget.xlsx",
	      "application/vnd.openxmlformats-officedocument.spreadsheetml."
	      "sheet" },
	    { "dir/sub/file.csv", "text/csv" },
	    { "C:\\Users\\me\\file.docx",
	      "application/vnd.openxmlformats-officedocument."
	      "wordprocessingml.document" },
	    { "caf\xc3\xa9.svg", "image/svg+xml" },
	    /* No extension, or none known. */
	    { "README", "application/octet-stream" },
	    { ".pdf", "application/octet-stream" },
	    { "dir/.png", "application/octet-stream" },
	    { "file.", "application/octet-stream" },
	    { "file.unknownext", "application/octet-stream" },
	    { "file.pdfx", "application/octet-stream" },
	    { "file.pd", "application/octet-stream" },
	    { "a.pdf/b", "application/octet-stream" },
	    { "a.tar\\b", "application/octet-stream" },
	    { "", "application/octet-stream" },
	    { "file.\xc3\xa9", "application/octet-stream" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(mf_mime_type(cases[i].name,
						 strlen(cases[i].name)),
				    cases[i].type);
	/* The length is the name's, not the string's. */
	assert_string_equal(mf_mime_type("a.pdf.png", 5), "application/pdf");
	assert_string_equal(mf_mime_type("a.pdf\0.png", 10), "image/png");
	assert_string_equal(mf_mime_type("a.pdf\0", 6),
			    "application/octet-stream");
	assert_string_equal(mf_mime_type("a.pd\0f", 6),
			    "application/octet-stream");
	assert_string_equal(mf_mime_type(NULL, 0), "application/octet-stream");
	assert_string_equal(mf_mime_type(NULL, 5), "application/octet-stream");
}

/* Whether needle[0..k) occurs in hay[0..n). */
static const void *
find_mem(const void *hay, size_t n, const void *needle, size_t k)
{
	const char *h = hay;
	size_t i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (memcmp(h + i, needle, k) == 0)
			return h + i;
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Builder helpers                                                         */
/* ---------------------------------------------------------------------- */

/* A new message with fixed Date, seed, From, To and Subject. */
static mf_msg *
new_msg(const mf_opts *o, uint64_t seed)
{
	mf_msg *m = mf_msg_new(o);
	mf_error err;

	if (m == NULL)
		return NULL;
	mf_msg_seed(m, seed);
	if (mf_msg_set_date(m, 1700000000, 60) != MF_OK ||
	    mf_msg_set(m, "From", "Ann <ann@example.org>", &err) != MF_OK ||
	    mf_msg_set(m, "To", "bob@example.net", &err) != MF_OK ||
	    mf_msg_set(m, "Subject", "test", &err) != MF_OK) {
		mf_msg_free(m);
		return NULL;
	}
	return m;
}

/* The structure of p: "mixed(text/plain,image/png)", "msg" for a
 * message part. */
static void
shape_r(const mf_part *p, logbuf *l, int rel_type)
{
	mf_str t = mf_part_type(p), s = mf_part_subtype(p);
	size_t i;

	if (mf_part_kind(p) == MF_PART_MULTIPART) {
		/* A related names its root's type (RFC 2387 3.1). */
		if (rel_type && s.len == 7 &&
		    memcmp(s.ptr, "related", 7) == 0) {
			const mf_param *ty = mf_part_param(p, "type", 4);
			const mf_part *c = mf_part_child(p, 0);
			char want[128];

			assert_non_null(ty);
			assert_non_null(c);
			snprintf(want, sizeof(want), "%.*s/%.*s",
				 (int)mf_part_type(c).len, mf_part_type(c).ptr,
				 (int)mf_part_subtype(c).len,
				 mf_part_subtype(c).ptr);
			tu_assert_mem(ty->value.ptr, ty->value.len, want,
				      strlen(want), "related type");
		}
		lb_printf(l, "%.*s(", (int)s.len, s.ptr);
		for (i = 0; i < mf_part_child_count(p); i++) {
			if (i > 0)
				lb_add(l, ",", 1);
			shape_r(mf_part_child(p, i), l, rel_type);
		}
		lb_add(l, ")", 1);
	} else if (mf_part_kind(p) == MF_PART_MESSAGE) {
		lb_add(l, "msg", 3);
	} else {
		lb_printf(l, "%.*s/%.*s", (int)t.len, t.ptr, (int)s.len,
			  s.ptr);
	}
}

/* The structure of root is want; with rel_type, every related made by
 * the builder has its type= parameter. */
static void
assert_shape_x(const mf_part *root, const char *want, const char *label,
	       int rel_type)
{
	logbuf l = { NULL, 0, 0 };

	shape_r(root, &l, rel_type);
	lb_add(&l, "", 0);
	if (l.p == NULL || strcmp(l.p, want) != 0)
		fail_msg("%s: structure %s, want %s", label,
			 l.p != NULL ? l.p : "(none)", want);
	free(l.p);
}

static void
assert_shape(const mf_part *root, const char *want, const char *label)
{
	assert_shape_x(root, want, label, 1);
}

/*
 * Checks what the writer made: every line within 998 octets and ended
 * by CRLF (MF_LF: LF, or CRLF in parsed bytes copied as they are), 7-bit
 * clean, no NUL.
 */
static void
assert_wire(const char *p, size_t n, unsigned flags, const char *label)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80 || c == 0)
			fail_msg("%s: byte 0x%02x at %zu", label, c, i);
		if (c == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n') {
				tu_print_escaped(p + (i > 300 ? i - 300 : 0),
						 n - i < 100 ? n : 400, 400);
				fail_msg("%s: CR at %zu", label, i);
			}
			continue;
		}
		if (c == '\n') {
			if (!(flags & MF_LF) && (i == 0 || p[i - 1] != '\r'))
				fail_msg("%s: bare LF at %zu", label, i);
			col = 0;
			continue;
		}
		if (++col > 998)
			fail_msg("%s: line over 998 octets at %zu", label, i);
	}
}

/* Writes m with flags and parses the result: *out (free both). */
static mf_msg *
write_parse(const mf_msg *m, unsigned flags, mf_buf **out, const char *label)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_msg *r = NULL;
	mf_error err;
	int rc;

	assert_non_null(b);
	rc = mf_msg_write(m, flags, b);
	if (rc != MF_OK)
		fail_msg("%s: write %d", label, rc);
	assert_wire(mf_buf_data(b), mf_buf_len(b), flags, label);
	rc = mf_msg_parse(mf_buf_data(b), mf_buf_len(b), NULL, &r, &err);
	if (rc != MF_OK)
		fail_msg("%s: parse %d at %zu", label, rc, err.offset);
	*out = b;
	return r;
}

/* The decoded body of p (transfer encoding undone, nothing else). */
static void
assert_decoded(const mf_part *p, const void *want, size_t n,
	       const char *label)
{
	mf_buf *b = mf_buf_new(NULL);

	assert_non_null(b);
	assert_non_null(p);
	assert_int_equal(mf_part_decode(p, b, 0, NULL, NULL, NULL), MF_OK);
	tu_assert_mem(mf_buf_data(b), mf_buf_len(b), want, n, label);
	mf_buf_free(b);
}

/* text with CRLF as LF. */
static char *
lf_text(const char *s, size_t *n)
{
	char *q = malloc(strlen(s) + 1);
	size_t i, k = 0;

	assert_non_null(q);
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] == '\r' && s[i + 1] == '\n'))
			q[k++] = s[i];
	q[k] = '\0';
	*n = k;
	return q;
}

static void
check_text(const mf_part *p, const char *want, unsigned wflags,
	   const char *label)
{
	size_t n;
	char *w = (wflags & MF_LF) ? lf_text(want, &n) : NULL;

	if (w != NULL) {
		/* Text decoded for a local file: line ends as LF, whatever
		 * the transfer encoding kept. */
		mf_buf *b = mf_buf_new(NULL);

		assert_non_null(b);
		assert_int_equal(mf_part_decode(p, b, MF_LF, NULL, NULL, NULL),
				 MF_OK);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), w, n, label);
		mf_buf_free(b);
	} else {
		assert_decoded(p, want, strlen(want), label);
	}
	free(w);
}

/* The i-th leaf (or message part) of the tree, depth first. */
static const mf_part *
leaf_at(const mf_part *root, size_t i)
{
	const mf_part *p = NULL;

	while ((p = mf_part_next(root, p)) != NULL) {
		if (mf_part_kind(p) == MF_PART_MULTIPART)
			continue;
		if (mf_part_kind(p) == MF_PART_MESSAGE) {
			if (i-- == 0)
				return p;
			/* Skip the embedded message. */
			{
				const mf_part *in = mf_part_message(p), *q = in;

				while (q != NULL) {
					const mf_part *nx = mf_part_next(in, q);

					if (nx == NULL)
						break;
					q = nx;
				}
				p = q != NULL ? q : p;
			}
			continue;
		}
		if (i-- == 0)
			return p;
	}
	return NULL;
}

static void
assert_field(const mf_part *p, const char *name, const char *want,
	     const char *label)
{
	mf_str v = mf_part_header_value(p, name, strlen(name));
	mf_buf *b = mf_buf_new(NULL);

	assert_non_null(b);
	if (mf_part_header(p, name, strlen(name), NULL) == NULL)
		fail_msg("%s: no %s field", label, name);
	assert_int_equal(mf_hdr_decode(b, v.ptr, v.len, NULL, NULL, NULL),
			 MF_OK);
	tu_assert_mem(mf_buf_data(b), mf_buf_len(b), want, strlen(want),
		      label);
	mf_buf_free(b);
}

static void
assert_str(mf_str s, const char *want, const char *label)
{
	tu_assert_mem(s.ptr, s.len, want, strlen(want), label);
}

static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR-fake-image-data";
static const char pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\nbinary\0stuff\n";

/* ---------------------------------------------------------------------- */
/* Structure                                                               */
/* ---------------------------------------------------------------------- */

enum { OP_TEXT, OP_HTML, OP_INLINE, OP_ATTACH, NOPS };

static const char text_body[] = "Hello,\r\nsee the pictures.\r\n";
static const char html_body[] = "<p>Hello, <img src=\"cid:logo\"></p>\r\n";

static void
do_op(mf_msg *m, int op)
{
	const mf_part *p = NULL;

	switch (op) {
	case OP_TEXT:
		assert_int_equal(mf_msg_set_text(m, text_body,
						 strlen(text_body), 0),
				 MF_OK);
		break;
	case OP_HTML:
		assert_int_equal(mf_msg_set_html(m, html_body,
						 strlen(html_body), 0),
				 MF_OK);
		break;
	case OP_INLINE:
		assert_int_equal(mf_msg_add_inline(m, "logo.png", NULL, png,
						   sizeof(png) - 1, "logo", 0,
						   &p),
				 MF_OK);
		assert_non_null(p);
		break;
	default:
		assert_int_equal(mf_msg_attach(m, "report.pdf", NULL, pdf,
					       sizeof(pdf) - 1, 0, &p),
				 MF_OK);
		assert_non_null(p);
		break;
	}
}

/* The canonical structure for the operations in mask. */
static void
want_shape(unsigned mask, char *out, size_t cap)
{
	char body[128] = "", rel[192];

	if ((mask & 1u << OP_TEXT) && (mask & 1u << OP_HTML))
		snprintf(body, sizeof(body), "alternative(text/plain,text/html)");
	else if (mask & 1u << OP_TEXT)
		snprintf(body, sizeof(body), "text/plain");
	else if (mask & 1u << OP_HTML)
		snprintf(body, sizeof(body), "text/html");
	if (mask & 1u << OP_INLINE)
		snprintf(rel, sizeof(rel), "related(%s%simage/png)", body,
			 body[0] ? "," : "");
	else
		snprintf(rel, sizeof(rel), "%s", body);
	if (mask & 1u << OP_ATTACH)
		snprintf(out, cap, "mixed(%s%sapplication/pdf)", rel,
			 rel[0] ? "," : "");
	else
		snprintf(out, cap, "%s", rel);
}

/* Checks every body of a message made by ops in mask. */
static void
check_bodies(const mf_part *root, unsigned mask, unsigned wflags,
	     const char *label)
{
	size_t i = 0;
	const mf_part *p;

	if (mask & 1u << OP_TEXT) {
		p = leaf_at(root, i++);
		check_text(p, text_body, wflags, label);
		assert_str(mf_part_charset(p), "us-ascii", label);
	}
	if (mask & 1u << OP_HTML) {
		p = leaf_at(root, i++);
		check_text(p, html_body, wflags, label);
	}
	if (mask & 1u << OP_INLINE) {
		p = leaf_at(root, i++);
		assert_decoded(p, png, sizeof(png) - 1, label);
		assert_str(mf_part_filename(p), "logo.png", label);
		assert_str(mf_part_disposition(p), "inline", label);
		assert_str(mf_part_header_value(p, "Content-ID", 10), "<logo>",
			   label);
	}
	if (mask & 1u << OP_ATTACH) {
		p = leaf_at(root, i++);
		assert_decoded(p, pdf, sizeof(pdf) - 1, label);
		assert_str(mf_part_filename(p), "report.pdf", label);
		assert_str(mf_part_disposition(p), "attachment", label);
		assert_int_equal(mf_part_is_attachment(p, MF_ATTACH_NAMED), 1);
	}
	assert_null(leaf_at(root, i));
}

static void
test_structure(void **state)
{
	unsigned mask;
	int runs = 0;

	(void)state;
	for (mask = 1; mask < 1u << NOPS; mask++) {
		int order[NOPS], k = 0, i, perm;
		int fact = 1;

		for (i = 0; i < NOPS; i++)
			if (mask & 1u << i)
				order[k++] = i;
		for (i = 2; i <= k; i++)
			fact *= i;
		/* Every order of the operations. */
		for (perm = 0; perm < fact; perm++) {
			int o[NOPS], used[NOPS] = { 0 }, r = perm, j;
			char want[256], label[128];
			mf_msg *m = new_msg(NULL, 42), *back;
			mf_buf *b;
			unsigned fl;

			assert_non_null(m);
			for (i = 0; i < k; i++) {
				int f = 1, sel, c;

				for (j = 2; j <= k - 1 - i; j++)
					f *= j;
				sel = r / f;
				r %= f;
				for (c = 0; c < k; c++) {
					if (used[c])
						continue;
					if (sel-- == 0)
						break;
				}
				used[c] = 1;
				o[i] = order[c];
			}
			for (i = 0; i < k; i++)
				do_op(m, o[i]);
			want_shape(mask, want, sizeof(want));
			snprintf(label, sizeof(label), "ops 0x%x order %d",
				 mask, perm);
			assert_shape(mf_msg_root(m), want, label);
			for (fl = 0; fl <= MF_LF; fl += MF_LF) {
				back = write_parse(m, fl, &b, label);
				assert_shape(mf_msg_root(back), want, label);
				check_bodies(mf_msg_root(back), mask, fl, label);
				assert_field(mf_msg_root(back), "Subject", "test",
					     label);
				assert_non_null(mf_part_header(
				    mf_msg_root(back), "MIME-Version", 12,
				    NULL));
				mf_msg_free(back);
				mf_buf_free(b);
			}
			mf_msg_free(m);
			runs++;
		}
	}
	assert_int_equal(runs, 64);
}

static void
test_set_again(void **state)
{
	mf_msg *m = new_msg(NULL, 1), *back;
	mf_buf *b;
	const char *t2 = "Caf\xc3\xa9 cr\xc3\xa8me\r\n";

	(void)state;
	assert_non_null(m);
	assert_int_equal(mf_msg_set_text(m, "one\r\n", 5, 0), MF_OK);
	assert_int_equal(mf_msg_set_text(m, t2, strlen(t2), 0), MF_OK);
	assert_shape(mf_msg_root(m), "text/plain", "text twice");
	assert_int_equal(mf_msg_set_html(m, "<b>x</b>", 8, 0), MF_OK);
	assert_int_equal(mf_msg_set_html(m, "<i>y</i>", 8, 0), MF_OK);
	assert_int_equal(mf_msg_set_text(m, "three", 5, MF_BORROW), MF_OK);
	assert_shape(mf_msg_root(m), "alternative(text/plain,text/html)",
		     "again");
	back = write_parse(m, 0, &b, "again");
	assert_decoded(leaf_at(mf_msg_root(back), 0), "three", 5, "text");
	assert_str(mf_part_charset(leaf_at(mf_msg_root(back), 0)), "us-ascii",
		   "ascii charset");
	assert_decoded(leaf_at(mf_msg_root(back), 1), "<i>y</i>", 8, "html");
	mf_msg_free(back);
	mf_buf_free(b);
	/* UTF-8 text says so. */
	assert_int_equal(mf_msg_set_text(m, t2, strlen(t2), 0), MF_OK);
	back = write_parse(m, 0, &b, "utf-8");
	assert_str(mf_part_charset(leaf_at(mf_msg_root(back), 0)), "utf-8",
		   "utf-8 charset");
	assert_decoded(leaf_at(mf_msg_root(back), 0), t2, strlen(t2), "t2");
	mf_msg_free(back);
	mf_buf_free(b);
	mf_msg_free(m);
}

/* Attachments and inline parts on parsed messages. */
static void
test_parsed(void **state)
{
	static const char single[] =
	    "Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=s;\r\n"
	    "\th=from:to:subject; bh=abc=; b=def=\r\n"
	    "From: Ann <ann@example.org>\r\n"
	    "To: bob@example.net\r\n"
	    "Subject: =?utf-8?q?caf=C3=A9?=\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "caf=C3=A9 body\r\n"
	    "last line\r\n";
	static const char mixed[] =
	    "From: ann@example.org\n"
	    "Subject: two\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
	    "\n"
	    "preamble\n"
	    "--b1\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "body\n"
	    "--b1\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Disposition: attachment; filename=old.bin\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "AAEC\n"
	    "--b1--\n"
	    "epilogue\n";
	static const char empty[] = "From: a@b.c\r\nSubject: e\r\n\r\n";
	mf_msg *m, *back;
	mf_buf *b;
	const mf_part *p;
	const char *body;

	(void)state;
	/* A single-part body gets wrapped; its fields and bytes stay. */
	assert_int_equal(mf_msg_parse(single, strlen(single), NULL, &m, NULL),
			 MF_OK);
	mf_msg_seed(m, 7);
	assert_int_equal(mf_msg_attach(m, "a.pdf", NULL, pdf, sizeof(pdf) - 1,
				       0, &p),
			 MF_OK);
	back = write_parse(m, 0, &b, "single");
	assert_shape(mf_msg_root(back), "mixed(text/plain,application/pdf)",
		     "single");
	/* The header fields before Content-* are the input's bytes, in
	 * order, at the start of the output. */
	body = strstr(single, "Content-Type:");
	assert_memory_equal(mf_buf_data(b), single, (size_t)(body - single));
	/* The old body part: its own Content-* fields and body bytes. */
	assert_non_null(strstr(mf_buf_data(b),
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: quoted-printable\r\n"
			       "\r\n"
			       "caf=C3=A9 body\r\n"
			       "last line\r\n"));
	assert_decoded(leaf_at(mf_msg_root(back), 0),
		       "caf\xc3\xa9 body\r\nlast line\r\n", 23, "old body");
	assert_decoded(leaf_at(mf_msg_root(back), 1), pdf, sizeof(pdf) - 1,
		       "pdf");
	assert_field(mf_msg_root(back), "Subject", "caf\xc3\xa9", "subject");
	mf_msg_free(back);
	mf_buf_free(b);
	/* Then an HTML body: alternative around the old text. */
	assert_int_equal(mf_msg_set_html(m, "<p>x</p>", 8, 0), MF_OK);
	back = write_parse(m, 0, &b, "single+html");
	assert_shape(mf_msg_root(back),
		     "mixed(alternative(text/plain,text/html),application/pdf)",
		     "single+html");
	mf_msg_free(back);
	mf_buf_free(b);
	mf_msg_free(m);

	/* A multipart/mixed gets one more child; the others keep their
	 * bytes, the preamble and epilogue too. */
	assert_int_equal(mf_msg_parse(mixed, strlen(mixed), NULL, &m, NULL),
			 MF_OK);
	assert_int_equal(mf_msg_attach(m, "new.txt", NULL, "x", 1, 0, NULL),
			 MF_OK);
	back = write_parse(m, MF_LF, &b, "mixed");
	assert_shape(mf_msg_root(back),
		     "mixed(text/plain,application/octet-stream,text/plain)",
		     "mixed");
	assert_true(strncmp(mf_buf_data(b), mixed, strlen(mixed) - 16) == 0);
	assert_non_null(strstr(mf_buf_data(b), "epilogue\n"));
	assert_str(mf_part_filename(leaf_at(mf_msg_root(back), 2)), "new.txt",
		   "new.txt");
	assert_decoded(leaf_at(mf_msg_root(back), 1), "\0\1\2", 3, "old.bin");
	mf_msg_free(back);
	mf_buf_free(b);
	/* An inline part: related around the old text body. */
	assert_int_equal(mf_msg_add_inline(m, "i.png", NULL, png,
					   sizeof(png) - 1, NULL, 0, &p),
			 MF_OK);
	back = write_parse(m, MF_LF, &b, "mixed+inline");
	assert_shape(mf_msg_root(back),
		     "mixed(related(text/plain,image/png),"
		     "application/octet-stream,text/plain)",
		     "mixed+inline");
	mf_msg_free(back);
	mf_buf_free(b);
	mf_msg_free(m);

	/* Apple Mail's alternative(text, related(html, image)): the
	 * bodies are replaced where they are. */
	{
		static const char apple[] =
		    "From: a@example.org\r\n"
		    "Content-Type: multipart/alternative; boundary=A\r\n"
		    "\r\n"
		    "--A\r\n"
		    "Content-Type: text/plain\r\n\r\n"
		    "old text\r\n"
		    "--A\r\n"
		    "Content-Type: multipart/related; boundary=R\r\n\r\n"
		    "--R\r\n"
		    "Content-Type: text/html\r\n\r\n"
		    "<p>old</p>\r\n"
		    "--R\r\n"
		    "Content-Type: image/png\r\n"
		    "Content-ID: <i1>\r\n\r\n"
		    "png\r\n"
		    "--R--\r\n"
		    "--A--\r\n";

		assert_int_equal(mf_msg_parse(apple, strlen(apple), NULL, &m,
					      NULL),
				 MF_OK);
		assert_int_equal(mf_msg_set_html(m, "<p>new</p>", 10, 0),
				 MF_OK);
		assert_int_equal(mf_msg_set_text(m, "new text", 8, 0), MF_OK);
		assert_int_equal(mf_msg_attach(m, "a.pdf", NULL, pdf,
					       sizeof(pdf) - 1, 0, NULL),
				 MF_OK);
		back = write_parse(m, 0, &b, "apple");
		assert_shape_x(mf_msg_root(back),
			       "mixed(alternative(text/plain,related(text/html,"
			       "image/png)),application/pdf)",
			       "apple", 0);
		assert_decoded(leaf_at(mf_msg_root(back), 0), "new text", 8,
			       "apple text");
		assert_decoded(leaf_at(mf_msg_root(back), 1), "<p>new</p>", 10,
			       "apple html");
		/* The image part, untouched, as it was. */
		assert_non_null(strstr(mf_buf_data(b),
				       "\r\nContent-Type: image/png\r\n"
				       "Content-ID: <i1>\r\n\r\npng\r\n--R--\r\n"));
		mf_msg_free(back);
		mf_buf_free(b);
		mf_msg_free(m);
	}

	/* An empty body is replaced, not wrapped. */
	assert_int_equal(mf_msg_parse(empty, strlen(empty), NULL, &m, NULL),
			 MF_OK);
	assert_int_equal(mf_msg_attach(m, "a.pdf", NULL, pdf, sizeof(pdf) - 1,
				       0, NULL),
			 MF_OK);
	back = write_parse(m, 0, &b, "empty");
	assert_shape(mf_msg_root(back), "mixed(application/pdf)", "empty");
	assert_true(strncmp(mf_buf_data(b), "From: a@b.c\r\nSubject: e\r\n",
			    25) == 0);
	mf_msg_free(back);
	mf_buf_free(b);
	mf_msg_free(m);
}

/* ---------------------------------------------------------------------- */
/* File names                                                              */
/* ---------------------------------------------------------------------- */

static const char *const names[] = {
    "plain.pdf",
    "with space.pdf",
    "caf\xc3\xa9.pdf",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87"
    "\xe6\x9b\xb8.docx",
    "quote\"in\"name.txt",
    "semi;colon.txt",
    "back\\slash.txt",
    "=?utf-8?q?x?=",
    "=?utf-8?b?eA==?=.pdf",
    "a=?iso-8859-1?q?=E9?=b",
    "  leading and trailing  ",
    "tab\there",
    "percent%41.txt",
    "quote'single'.gif",
    "100% done.bin",
    "a=b&c.zip",
    "x!#$&+-.^_`|~y.txt",
    "star*and'apos.txt",
    "\xf0\x9f\x98\x80 emoji \xf0\x9f\x8e\x89.png",
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8"
    "\xd1\x80.odt",
    "(parens) <angle> [brackets] {braces} @at ,comma :colon /slash?.x",
};

static void
check_name(const char *name, unsigned flags, unsigned wflags)
{
	mf_msg *m = new_msg(NULL, 3), *back;
	mf_buf *b;
	const mf_part *p;
	char label[600];

	snprintf(label, sizeof(label), "name \"%s\" flags %x/%x", name, flags,
		 wflags);
	assert_non_null(m);
	assert_int_equal(mf_msg_attach(m, name, "application/x-test", "data",
				       4, flags, &p),
			 MF_OK);
	/* Readable before writing too. */
	assert_str(mf_part_filename(p), name, label);
	back = write_parse(m, wflags, &b, label);
	p = leaf_at(mf_msg_root(back), 0);
	assert_str(mf_part_filename(p), name, label);
	assert_str(mf_part_disposition(p), "attachment", label);
	assert_str(mf_part_type(p), "application", label);
	assert_str(mf_part_subtype(p), "x-test", label);
	assert_decoded(p, "data", 4, label);
	/* The Content-Type name= (RFC 2047 for Outlook) says the same,
	 * unless turned off. */
	if (mf_part_param(p, "name", 4) != NULL)
		assert_str(mf_part_param(p, "name", 4)->value, name, label);
	else if (!(flags & MF_NO_NAME_EW))
		fail_msg("%s: no name=", label);
	if (!(flags & MF_NO_NAME_EW))
		assert_non_null(mf_part_param(p, "name", 4));
	/* Only names of RFC 2231 attribute characters and spaces go
	 * unencoded: a "'" or "%" in a plain value is read by Python as
	 * the start of an extended one. */
	{
		size_t k;
		int plain = strlen(name) <= 60;

		for (k = 0; name[k] != '\0'; k++)
			if (!((name[k] >= 'a' && name[k] <= 'z') ||
			      (name[k] >= 'A' && name[k] <= 'Z') ||
			      (name[k] >= '0' && name[k] <= '9') ||
			      strchr(" !#$&+-.^_`|~", name[k]) != NULL))
				plain = 0;
		if (!plain)
			assert_non_null(strstr(mf_buf_data(b), "filename*"));
		else
			assert_null(strstr(mf_buf_data(b), "filename*"));
	}
	/* Every line of the Content-Disposition field (the filename
	 * sections) within 78 columns. */
	{
		const char *s = strstr(mf_buf_data(b), "Content-Disposition:");
		const char *e;
		size_t nl = wflags & MF_LF ? 1 : 2;

		assert_non_null(s);
		do {
			e = strchr(s, '\n');
			assert_non_null(e);
			if ((size_t)(e - s) + 1 - nl > 78)
				fail_msg("%s: long line %.*s", label,
					 (int)(e - s), s);
			s = e + 1;
		} while (*s == ' ' || *s == '\t');
	}
	mf_msg_free(back);
	mf_buf_free(b);
	mf_msg_free(m);
}

static void
test_filenames(void **state)
{
	size_t i;
	char longname[400];

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		check_name(names[i], 0, 0);
		check_name(names[i], 0, MF_LF);
		check_name(names[i], MF_NO_NAME_EW, 0);
	}
	/* Over 200 characters: ASCII, then non-ASCII. */
	for (i = 0; i < 230; i++)
		longname[i] = (char)('a' + i % 26);
	memcpy(longname + 230, ".pdf", 5);
	check_name(longname, 0, 0);
	for (i = 0; i < 100; i++)
		memcpy(longname + 3 * i, "\xe2\x82\xac", 3); /* euro signs */
	memcpy(longname + 300, " x.pdf", 7);
	check_name(longname, 0, 0);
	check_name(longname, 0, MF_LF);
	/* Types by extension, and the caller's lookup first. */
}

static const char *
my_types(void *ctx, const char *filename, size_t n)
{
	(*(int *)ctx)++;
	if (n >= 4 && memcmp(filename + n - 4, ".xyz", 4) == 0)
		return "application/x-xyz";
	return NULL;
}

static void
test_types(void **state)
{
	mf_msg *m = new_msg(NULL, 4), *back;
	mf_buf *b;
	const mf_part *p;
	int calls = 0;

	(void)state;
	assert_non_null(m);
	assert_int_equal(mf_msg_attach(m, "a.PDF", NULL, "x", 1, 0, &p), MF_OK);
	assert_str(mf_part_type(p), "application", "pdf");
	assert_str(mf_part_subtype(p), "pdf", "pdf");
	mf_msg_set_type_fn(m, my_types, &calls);
	assert_int_equal(mf_msg_attach(m, "b.xyz", NULL, "x", 1, 0, &p), MF_OK);
	assert_str(mf_part_subtype(p), "x-xyz", "xyz");
	assert_int_equal(mf_msg_attach(m, "c.png", NULL, "x", 1, 0, &p), MF_OK);
	assert_str(mf_part_subtype(p), "png", "png falls back");
	/* The caller's type wins over both. */
	assert_int_equal(mf_msg_attach(m, "d.xyz", "text/csv; charset=utf-8",
				       "a,b\r\n", 5, 0, &p),
			 MF_OK);
	assert_str(mf_part_subtype(p), "csv", "given");
	assert_str(mf_part_charset(p), "utf-8", "given charset");
	assert_int_equal(calls, 2);
	/* No name: octet-stream, no filename. */
	assert_int_equal(mf_msg_attach(m, NULL, NULL, "x", 1, 0, &p), MF_OK);
	assert_str(mf_part_subtype(p), "octet-stream", "no name");
	mf_msg_set_type_fn(m, NULL, NULL);
	assert_int_equal(mf_msg_attach(m, "e.xyz", NULL, "x", 1, 0, &p), MF_OK);
	assert_str(mf_part_subtype(p), "octet-stream", "hook removed");
	back = write_parse(m, 0, &b, "types");
	assert_shape(mf_msg_root(back),
		     "mixed(application/pdf,application/x-xyz,image/png,"
		     "text/csv,application/octet-stream,"
		     "application/octet-stream)",
		     "types");
	assert_decoded(leaf_at(mf_msg_root(back), 3), "a,b\r\n", 5, "csv");
	mf_msg_free(back);
	mf_buf_free(b);
	mf_msg_free(m);
}

/* ---------------------------------------------------------------------- */
/* Inline parts, streamed attachments, attached messages                   */
/* ---------------------------------------------------------------------- */

static void
test_inline(void **state)
{
	mf_msg *m = new_msg(NULL, 5), *m2, *back;
	mf_buf *b, *b2;
	const mf_part *p1, *p2;
	mf_str c1, c2;

	(void)state;
	assert_non_null(m);
	assert_int_equal(mf_msg_set_html(m, "<img src=cid:x>", 15, 0), MF_OK);
	assert_int_equal(mf_msg_add_inline(m, "a.png", NULL, png,
					   sizeof(png) - 1, NULL, 0, &p1),
			 MF_OK);
	assert_int_equal(mf_msg_add_inline(m, NULL, "image/gif", "GIF89a", 6,
					   NULL, 0, &p2),
			 MF_OK);
	/* Generated Content-IDs: msg-ids, different. */
	c1 = mf_part_header_value(p1, "Content-ID", 10);
	c2 = mf_part_header_value(p2, "Content-ID", 10);
	assert_true(c1.len > 4 && c1.ptr[0] == '<' && c1.ptr[c1.len - 1] == '>');
	assert_non_null(memchr(c1.ptr, '@', c1.len));
	assert_false(c1.len == c2.len && memcmp(c1.ptr, c2.ptr, c1.len) == 0);
	back = write_parse(m, 0, &b, "inline");
	assert_shape(mf_msg_root(back), "related(text/html,image/png,image/gif)",
		     "inline");
	assert_str(mf_part_disposition(leaf_at(mf_msg_root(back), 2)),
		   "inline", "no name");
	assert_int_equal(mf_part_filename(leaf_at(mf_msg_root(back), 2)).len,
			 0);
	assert_decoded(leaf_at(mf_msg_root(back), 2), "GIF89a", 6, "gif");
	/* The same seed gives the same message, byte for byte. */
	m2 = new_msg(NULL, 5);
	assert_non_null(m2);
	assert_int_equal(mf_msg_set_html(m2, "<img src=cid:x>", 15, 0), MF_OK);
	assert_int_equal(mf_msg_add_inline(m2, "a.png", NULL, png,
					   sizeof(png) - 1, NULL, 0, &p1),
			 MF_OK);
	assert_int_equal(mf_msg_add_inline(m2, NULL, "image/gif", "GIF89a", 6,
					   NULL, 0, &p2),
			 MF_OK);
	b2 = mf_buf_new(NULL);
	assert_non_null(b2);
	assert_int_equal(mf_msg_write(m2, 0, b2), MF_OK);
	tu_assert_mem(mf_buf_data(b2), mf_buf_len(b2), mf_buf_data(b),
		      mf_buf_len(b), "seeded");
	mf_buf_free(b2);
	mf_msg_free(m2);
	mf_msg_free(back);
	mf_buf_free(b);
	mf_msg_free(m);
}

struct reader {
	const unsigned char *p;
	size_t n, off, step;
	int fail_at; /* fail the call numbered so (-1: never) */
	int calls;
};

static int
read_mem(void *ctx, void *buf, size_t cap, size_t *got)
{
	struct reader *r = ctx;
	size_t k = r->n - r->off;

	if (r->fail_at >= 0 && r->calls == r->fail_at)
		return -1;
	r->calls++;
	if (k > cap)
		k = cap;
	if (r->step > 0 && k > r->step)
		k = r->step;
	memcpy(buf, r->p + r->off, k);
	r->off += k;
	*got = k;
	return 0;
}

static void
test_attach_fn(void **state)
{
	size_t n = 300000;
	unsigned char *data = malloc(n);
	struct reader r;
	mf_msg *m = new_msg(NULL, 6), *back;
	mf_buf *b;
	const mf_part *p;
	tu_rng rng;
	unsigned fl;

	(void)state;
	assert_non_null(data);
	assert_non_null(m);
	tu_rng_seed(&rng, 6);
	tu_rng_fill(&rng, data, n);
	assert_int_equal(mf_msg_set_text(m, "see attached", 12, 0), MF_OK);
	memset(&r, 0, sizeof(r));
	r.p = data;
	r.n = n;
	r.fail_at = -1;
	r.step = 777;
	assert_int_equal(mf_msg_attach_fn(m, "big \xc3\xa9.bin", NULL,
					  read_mem, &r, 0, &p),
			 MF_OK);
	for (fl = 0; fl <= MF_LF; fl += MF_LF) {
		r.off = 0;
		back = write_parse(m, fl, &b, "attach_fn");
		assert_shape(mf_msg_root(back),
			     "mixed(text/plain,application/octet-stream)",
			     "attach_fn");
		assert_decoded(leaf_at(mf_msg_root(back), 1), data, n, "stream");
		assert_str(mf_part_filename(leaf_at(mf_msg_root(back), 1)),
			   "big \xc3\xa9.bin", "stream name");
		mf_msg_free(back);
		mf_buf_free(b);
	}
	/* Text streamed is written so that its bytes come back too. */
	{
		static const char txt[] = "line 1\nline 2\r\nbare\rcr\n";

		r.p = (const unsigned char *)txt;
		r.n = sizeof(txt) - 1;
		r.off = 0;
		r.step = 5;
		m = (mf_msg_free(m), new_msg(NULL, 6));
		assert_non_null(m);
		assert_int_equal(mf_msg_attach_fn(m, "t.txt", NULL, read_mem,
						  &r, 0, &p),
				 MF_OK);
		back = write_parse(m, 0, &b, "text stream");
		assert_decoded(leaf_at(mf_msg_root(back), 0), txt,
			       sizeof(txt) - 1, "text stream");
		mf_msg_free(back);
		mf_buf_free(b);
	}
	/* A callback that fails midway: the write fails, out unchanged. */
	r.p = data;
	r.n = n;
	r.off = 0;
	r.step = 1000;
	r.calls = 0;
	r.fail_at = 20;
	b = mf_buf_new(NULL);
	assert_non_null(b);
	assert_int_equal(mf_buf_append(b, "x", 1), MF_OK);
	assert_int_equal(mf_msg_write(m, 0, b), MF_E_CALLBACK);
	assert_int_equal(mf_buf_len(b), 1);
	mf_buf_free(b);
	mf_msg_free(m);
	free(data);
}

static void
test_attach_msg(void **state)
{
	static const char inner[] =
	    "From: x@example.org\r\nSubject: inner\r\n"
	    "Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"
	    "caf\xe9\r\n";
	mf_msg *im, *m = new_msg(NULL, 8), *back;
	mf_buf *b;
	const mf_part *p;

	(void)state;
	assert_non_null(m);
	assert_int_equal(mf_msg_parse(inner, strlen(inner), NULL, &im, NULL),
			 MF_OK);
	assert_int_equal(mf_msg_set_text(m, "fwd", 3, 0), MF_OK);
	assert_int_equal(mf_msg_attach_msg(m, mf_msg_root(im), &p), MF_OK);
	assert_int_equal(mf_part_kind(p), MF_PART_MESSAGE);
	/* 8-bit content in the message: 8bit is all it can be written as
	 * (never re-encoded), so the transport must allow it. */
	{
		mf_buf *o = mf_buf_new(NULL);

		assert_non_null(o);
		assert_int_equal(mf_msg_write(m, 0, o), MF_OK);
		back = NULL;
		assert_int_equal(mf_msg_parse(mf_buf_data(o), mf_buf_len(o),
					      NULL, &back, NULL),
				 MF_OK);
		assert_shape(mf_msg_root(back), "mixed(text/plain,msg)",
			     "attach_msg");
		assert_non_null(strstr(mf_buf_data(o), inner));
		p = leaf_at(mf_msg_root(back), 1);
		assert_str(mf_part_subtype(p), "rfc822", "rfc822");
		assert_field(mf_part_message(p), "Subject", "inner", "inner");
		mf_msg_free(back);
		mf_buf_free(o);
	}
	(void)b;
	mf_msg_free(m);
	mf_msg_free(im);
}

/* ---------------------------------------------------------------------- */
/* Stripping attachments                                                   */
/* ---------------------------------------------------------------------- */

static void
test_strip(void **state)
{
	unsigned char *big = malloc(100000);
	mf_msg *m = new_msg(NULL, 9), *pm, *back;
	mf_buf *b, *b2;
	size_t count = 99;
	tu_rng r;
	const char *keep;

	(void)state;
	assert_non_null(big);
	assert_non_null(m);
	tu_rng_seed(&r, 9);
	tu_rng_fill(&r, big, 100000);
	assert_int_equal(mf_msg_set_text(m, "body", 4, 0), MF_OK);
	assert_int_equal(mf_msg_attach(m, "small.bin", NULL, big, 10, 0, NULL),
			 MF_OK);
	assert_int_equal(mf_msg_attach(m, "gro\xc3\x9f.pdf", NULL, big, 100000,
				       0, NULL),
			 MF_OK);
	assert_int_equal(mf_msg_attach(m, NULL, "image/png", big, 6000, 0,
				       NULL),
			 MF_OK);
	/* On the built message, then on it parsed. */
	b = mf_buf_new(NULL);
	assert_non_null(b);
	assert_int_equal(mf_msg_write(m, 0, b), MF_OK);
	assert_int_equal(mf_msg_parse(mf_buf_data(b), mf_buf_len(b), NULL, &pm,
				      NULL),
			 MF_OK);
	assert_int_equal(mf_msg_strip_attachments(m, 5000, &count), MF_OK);
	assert_int_equal(count, 2);
	back = write_parse(m, 0, &b2, "strip built");
	assert_shape(mf_msg_root(back),
		     "mixed(text/plain,application/octet-stream,text/plain,"
		     "text/plain)",
		     "strip built");
	{
		static const char n1[] =
		    "The attachment \"gro\xc3\x9f.pdf\" (application/pdf, "
		    "100000 bytes) was removed.\r\n";
		static const char n2[] = "The attachment (image/png, 6000 "
					 "bytes) was removed.\r\n";

		assert_decoded(leaf_at(mf_msg_root(back), 2), n1, strlen(n1),
			       "note 1");
		assert_decoded(leaf_at(mf_msg_root(back), 3), n2, strlen(n2),
			       "note 2");
		assert_decoded(leaf_at(mf_msg_root(back), 1), big, 10, "kept");
		assert_int_equal(mf_part_is_attachment(
				     leaf_at(mf_msg_root(back), 2),
				     MF_ATTACH_NAMED),
				 0);
	}
	mf_msg_free(back);
	mf_buf_free(b2);

	/* Parsed: what is not stripped keeps its bytes. */
	assert_int_equal(mf_msg_strip_attachments(pm, 5000, &count), MF_OK);
	assert_int_equal(count, 2);
	back = write_parse(pm, 0, &b2, "strip parsed");
	keep = strstr(mf_buf_data(b), "Content-Type: application/octet-stream");
	assert_non_null(keep);
	/* The header of the kept attachment and its body, as they were. */
	{
		const char *end = strstr(keep, "\r\n--");

		assert_non_null(end);
		assert_non_null(find_mem(mf_buf_data(b2), mf_buf_len(b2), keep,
				       (size_t)(end - keep)));
	}
	/* The first bytes (header and body text) are the same. */
	{
		const char *t = strstr(mf_buf_data(b), "body");

		assert_non_null(t);
		assert_memory_equal(mf_buf_data(b2), mf_buf_data(b),
				    (size_t)(t - mf_buf_data(b)) + 4);
	}
	assert_true(mf_buf_len(b2) < 3000);
	/* Again: nothing over the limit any more. */
	assert_int_equal(mf_msg_strip_attachments(pm, 5000, &count), MF_OK);
	assert_int_equal(count, 0);
	assert_int_equal(mf_msg_strip_attachments(pm, 0, NULL), MF_OK);
	mf_msg_free(back);
	mf_buf_free(b2);
	mf_msg_free(pm);
	mf_buf_free(b);
	mf_msg_free(m);

	/* A message that is an attachment itself: its body is the note,
	 * its other fields stay. */
	{
		static const char lone[] =
		    "From: a@example.org\r\nSubject: scan\r\n"
		    "Content-Type: application/pdf\r\n"
		    "Content-Disposition: attachment; filename=scan.pdf\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n";
		static const char note[] = "The attachment \"scan.pdf\" "
					   "(application/pdf, 4 bytes) was "
					   "removed.\r\n";

		assert_int_equal(mf_msg_parse(lone, strlen(lone), NULL, &pm,
					      NULL),
				 MF_OK);
		assert_int_equal(mf_msg_strip_attachments(pm, 3, &count),
				 MF_OK);
		assert_int_equal(count, 1);
		back = write_parse(pm, 0, &b, "lone");
		assert_shape(mf_msg_root(back), "text/plain", "lone");
		assert_decoded(mf_msg_root(back), note, strlen(note), "lone");
		assert_true(strncmp(mf_buf_data(b),
				    "From: a@example.org\r\nSubject: scan\r\n",
				    36) == 0);
		mf_msg_free(back);
		mf_buf_free(b);
		mf_msg_free(pm);
	}

	/* An attached message counts its size; a streamed attachment,
	 * whose size is known when it is written, stays. */
	{
		static const char inner[] = "Subject: in\r\n\r\nbody\r\n";
		static const char note[] = "The attachment (message/rfc822, "
					   "21 bytes) was removed.\r\n";
		struct reader rd;
		mf_msg *im;

		memset(&rd, 0, sizeof(rd));
		rd.p = big;
		rd.n = 100000;
		rd.fail_at = -1;
		m = new_msg(NULL, 11);
		assert_non_null(m);
		assert_int_equal(mf_msg_parse(inner, strlen(inner), NULL, &im,
					      NULL),
				 MF_OK);
		assert_int_equal(mf_msg_set_text(m, "t", 1, 0), MF_OK);
		assert_int_equal(mf_msg_attach_msg(m, mf_msg_root(im), NULL),
				 MF_OK);
		assert_int_equal(mf_msg_attach_fn(m, "s.bin", NULL, read_mem,
						  &rd, 0, NULL),
				 MF_OK);
		assert_int_equal(mf_msg_strip_attachments(m, 20, &count),
				 MF_OK);
		assert_int_equal(count, 1);
		back = write_parse(m, 0, &b, "strip msg");
		assert_shape(mf_msg_root(back),
			     "mixed(text/plain,text/plain,"
			     "application/octet-stream)",
			     "strip msg");
		assert_decoded(leaf_at(mf_msg_root(back), 1), note,
			       strlen(note), "msg note");
		assert_decoded(leaf_at(mf_msg_root(back), 2), big, 100000,
			       "streamed kept");
		mf_msg_free(back);
		mf_buf_free(b);
		mf_msg_free(m);
		mf_msg_free(im);
	}
	free(big);
}

/* Corpus messages stripped at 0 bytes: every named part goes, the
 * result parses, and the rest keeps its bytes. */
static void
test_strip_corpus(void **state)
{
	static const char *const sets[] = { "corpus/mikel-mail",
					    "corpus/nodemailer-mailparser",
					    "corpus/mimekit" };
	size_t s, files = 0, stripped = 0;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, k = 0;
			char *p = tu_read(list[i], &n);
			mf_msg *m = NULL, *back = NULL;
			mf_buf *b = mf_buf_new(NULL);
			const mf_part *q = NULL;

			assert_non_null(b);
			if (mf_msg_parse(p, n, NULL, &m, NULL) != MF_OK) {
				mf_buf_free(b);
				free(p);
				continue;
			}
			assert_int_equal(mf_msg_strip_attachments(m, 0, &k),
					 MF_OK);
			stripped += k;
			assert_int_equal(mf_msg_write(m, 0, b), MF_OK);
			assert_int_equal(mf_msg_parse(mf_buf_data(b),
						      mf_buf_len(b), NULL,
						      &back, NULL),
					 MF_OK);
			while ((q = mf_part_next(mf_msg_root(back), q)) != NULL)
				if (mf_part_kind(q) != MF_PART_MULTIPART &&
				    mf_part_is_attachment(q, MF_ATTACH_NAMED) &&
				    k > 0 && mf_part_body(q).len > 0 &&
				    mf_part_kind(q) == MF_PART_LEAF &&
				    mf_part_kind(mf_part_parent(q)) !=
					MF_PART_MESSAGE)
					fail_msg("%s: attachment left",
						 list[i]);
			mf_msg_free(back);
			mf_msg_free(m);
			mf_buf_free(b);
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	if (files <= 100 || stripped < 40)
		fail_msg("%zu files, %zu parts stripped", files, stripped);
}

/* ---------------------------------------------------------------------- */
/* Errors                                                                  */
/* ---------------------------------------------------------------------- */

static void
test_errors(void **state)
{
	mf_msg *m = new_msg(NULL, 10), *back;
	mf_buf *b, *before;
	mf_error err;
	const mf_part *p = NULL;

	(void)state;
	assert_non_null(m);
	before = mf_buf_new(NULL);
	assert_non_null(before);
	assert_int_equal(mf_msg_set_text(m, "t", 1, 0), MF_OK);
	assert_int_equal(mf_msg_write(m, 0, before), MF_OK);
	/* Addresses: a syntax error and where. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(mf_msg_set(m, "To", "ok@example.org, <bad@@x>", &err),
			 MF_E_SYNTAX);
	assert_int_equal(err.code, MF_E_SYNTAX);
	assert_true(err.offset >= 16 && err.offset <= 24);
	/* Header injection. */
	assert_int_equal(mf_msg_set(m, "Subject", "a\r\nBcc: x@y", &err),
			 MF_E_INVAL);
	assert_int_equal(err.offset, 1);
	/* CR, LF in a file name or type; NUL can only come in a value. */
	assert_int_equal(mf_msg_attach(m, "a\r\nb.pdf", NULL, "x", 1, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach(m, "a\nb.pdf", NULL, "x", 1, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach(m, "a.pdf", "text/plain\r\nX: y", "x",
				       1, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach(m, "a.pdf", "text/plain;\nx=y", "x", 1,
				       0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_add_inline(m, "a\r.png", NULL, "x", 1, NULL, 0,
					   &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach_fn(m, "a\n", NULL, read_mem, NULL, 0,
					  &p),
			 MF_E_INVAL);
	assert_int_equal(mf_part_header_set(m, NULL, "X-A", 3, "a\0b", 3, 0,
					    &err),
			 MF_E_INVAL);
	/* Not UTF-8. */
	assert_int_equal(mf_msg_attach(m, "caf\xe9.pdf", NULL, "x", 1, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_set_text(m, "caf\xe9", 4, 0), MF_E_INVAL);
	assert_int_equal(mf_msg_set_html(m, "\xc3", 1, 0), MF_E_INVAL);
	/* Bad types, bad Content-IDs. */
	assert_int_equal(mf_msg_attach(m, "a", "nonsense", "x", 1, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach(m, "a", "multipart/mixed", "x", 1, 0,
				       &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_add_inline(m, "a.png", NULL, "x", 1, "a b", 0,
					   &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_add_inline(m, "a.png", NULL, "x", 1, "<a>", 0,
					   &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_add_inline(m, "a.png", NULL, "x", 1, "", 0,
					   &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_add_inline(m, "a.png", NULL, "x", 1,
					   "\xc3\xa9", 0, &p),
			 MF_E_INVAL);
	/* Unknown flags. */
	assert_int_equal(mf_msg_set_text(m, "t", 1, MF_NO_NAME_EW), MF_E_INVAL);
	assert_int_equal(mf_msg_set_html(m, "t", 1, MF_LF), MF_E_INVAL);
	assert_int_equal(mf_msg_attach(m, "a", NULL, "x", 1, MF_RAW, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach(m, "a", NULL, "x", 1, 0x1u, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach_fn(m, "a", NULL, read_mem, NULL,
					  MF_BORROW, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_add_inline(m, "a", NULL, "x", 1, NULL,
					   MF_STRICT, &p),
			 MF_E_INVAL);
	/* NULL arguments. */
	assert_int_equal(mf_msg_set_text(NULL, "t", 1, 0), MF_E_INVAL);
	assert_int_equal(mf_msg_set_text(m, NULL, 1, 0), MF_E_INVAL);
	assert_int_equal(mf_msg_attach(NULL, "a", NULL, "x", 1, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach(m, "a", NULL, NULL, 1, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach_fn(m, "a", NULL, NULL, NULL, 0, &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_attach_msg(m, NULL, &p), MF_E_INVAL);
	assert_int_equal(mf_msg_attach_msg(NULL, mf_msg_root(m), &p),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_strip_attachments(NULL, 0, NULL), MF_E_INVAL);
	mf_msg_set_type_fn(NULL, my_types, NULL); /* no crash */
	/* Nothing changed. */
	back = write_parse(m, 0, &b, "after errors");
	tu_assert_mem(mf_buf_data(b), mf_buf_len(b), mf_buf_data(before),
		      mf_buf_len(before), "unchanged");
	/* Empty data is fine. */
	assert_int_equal(mf_msg_attach(m, "empty.bin", NULL, NULL, 0, 0, &p),
			 MF_OK);
	assert_int_equal(mf_msg_set_html(m, NULL, 0, 0), MF_OK);
	mf_msg_free(back);
	mf_buf_free(b);
	back = write_parse(m, 0, &b, "empty data");
	assert_shape(mf_msg_root(back),
		     "mixed(alternative(text/plain,text/html),"
		     "application/octet-stream)",
		     "empty data");
	assert_decoded(leaf_at(mf_msg_root(back), 2), "", 0, "empty");
	mf_msg_free(back);
	mf_buf_free(b);
	mf_buf_free(before);
	mf_msg_free(m);
}

/* ---------------------------------------------------------------------- */
/* Seeded random round trip                                                */
/* ---------------------------------------------------------------------- */

static const char *const words[] = {
    /* Latin, with and without accents */
    "hello", "world", "caf\xc3\xa9", "na\xc3\xafve", "Gr\xc3\xbc\303\237e",
    "sm\xc3\xb6rg\xc3\xa5sbord", "\xc5\x81\303\263d\xc5\xba",
    /* Greek, Cyrillic */
    "\xce\x9a\xce\xb1\xce\xbb\xce\xb7\xce\xbc\xce\xad\xcf\x81\xce\xb1",
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
    /* CJK, Korean */
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe4\xb8\xad\xe6\x96\x87",
    "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4",
    /* Arabic, Hebrew, Devanagari, Thai */
    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
    "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87",
    "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5",
    /* emoji */
    "\xf0\x9f\x98\x80", "\xf0\x9f\x8e\x89\xf0\x9f\x91\x8d",
    /* ASCII that needs care */
    "a\"b", "x;y", "=?utf-8?q?x?=", "(c)", "<t>", "back\\slash", "50%",
    "it's", "a=b", "?=", "--", "From", ".", "@", ",",
};

static void
rnd_words(tu_rng *r, logbuf *l, size_t nmin, size_t nmax)
{
	size_t n = nmin + tu_rng_below(r, nmax - nmin + 1), i;

	for (i = 0; i < n; i++) {
		const char *w = words[tu_rng_below(r, sizeof(words) /
							   sizeof(words[0]))];

		if (i > 0)
			lb_add(l, " ", 1);
		lb_add(l, w, strlen(w));
	}
	lb_add(l, "", 0);
	if (l->p == NULL) {
		lb_add(l, "x", 1);
		lb_add(l, "", 0);
	}
}

/* Text lines of words, ended by CRLF. */
static void
rnd_text(tu_rng *r, logbuf *l, size_t lines)
{
	size_t i;

	for (i = 0; i < lines; i++) {
		logbuf w = { NULL, 0, 0 };

		rnd_words(r, &w, 0, i % 7 == 3 ? 60 : 12);
		lb_add(l, w.p, w.n);
		lb_add(l, "\r\n", 2);
		free(w.p);
	}
	lb_add(l, "", 0);
}

static void
rnd_name(tu_rng *r, logbuf *l)
{
	static const char *const ext[] = { ".pdf", ".png", ".bin", ".txt",
					   "", ".tar.gz", ".JPG" };
	static const char *const sep[] = { " ", "_", "-", ";", "\"", "'",
					   "=?", "  ", "\t" };

	if (tu_rng_below(r, 8) == 0) {
		/* Over 200 characters. */
		while (l->n < 210) {
			rnd_words(r, l, 1, 1);
			lb_add(l, sep[tu_rng_below(r, 3)], 1);
		}
	} else {
		size_t n = 1 + tu_rng_below(r, 3), i;

		for (i = 0; i < n; i++) {
			const char *s = sep[tu_rng_below(r, sizeof(sep) /
							 sizeof(sep[0]))];
			const char *w = words[tu_rng_below(
			    r, sizeof(words) / sizeof(words[0]))];

			if (i > 0)
				lb_add(l, s, strlen(s));
			lb_add(l, w, strlen(w));
		}
	}
	{
		const char *e = ext[tu_rng_below(r, sizeof(ext) / sizeof(ext[0]))];

		lb_add(l, e, strlen(e));
	}
	lb_add(l, "", 0);
}

struct att {
	char *name; /* NULL: none */
	unsigned char *data;
	size_t n;
	int kind; /* 0 attach, 1 streamed, 2 inline */
	struct reader rd;
	char cid[32];
};

#define MAX_ATT 6

struct tree {
	char *subject, *note, *from_name, *to_name;
	char *text, *html; /* NULL: none */
	struct att att[MAX_ATT];
	size_t natt;
	mf_msg *inner; /* attached message, or NULL */
	int inl[MAX_ATT], files[MAX_ATT + 1]; /* in the order added: att
						 indices, -1 the message */
	size_t ninl, nfiles;
	char *inner_bytes;
	size_t inner_n;
};

static char *
take(logbuf *l)
{
	char *p = l->p;

	l->p = NULL;
	l->n = l->cap = 0;
	return p;
}

/* Sizes: mostly small, some empty, big for the iterations in big. */
static size_t
rnd_size(tu_rng *r, int big)
{
	static const size_t bigs[] = { 1u << 20, 2621440, 4u << 20 };

	if (big >= 0)
		return bigs[big];
	switch (tu_rng_below(r, 6)) {
	case 0:
		return 0;
	case 1:
		return 1 + tu_rng_below(r, 3);
	case 2:
		return 50000 + tu_rng_below(r, 100000);
	default:
		return tu_rng_below(r, 5000);
	}
}

static void
rnd_data(tu_rng *r, unsigned char *p, size_t n)
{
	size_t i;

	switch (tu_rng_below(r, 3)) {
	case 0:
		tu_rng_fill(r, p, n);
		break;
	case 1:
		/* ASCII text with CRLF, LF and CR line ends. */
		for (i = 0; i < n; i++) {
			size_t c = tu_rng_below(r, 40);

			p[i] = c == 0 ? '\n' : c == 1 ? '\r' : (unsigned char)
			       ('a' + c % 26);
		}
		break;
	default:
		/* One line of ASCII (7bit). */
		for (i = 0; i < n; i++)
			p[i] = (unsigned char)('A' + i % 26);
		if (n > 900)
			for (i = 900; i < n; i += 900)
				p[i] = ' ';
		break;
	}
}

static void
tree_make(tu_rng *r, struct tree *t, int big)
{
	logbuf l = { NULL, 0, 0 };
	size_t i;

	memset(t, 0, sizeof(*t));
	rnd_words(r, &l, 1, 14);
	t->subject = take(&l);
	rnd_words(r, &l, 1, 6);
	t->note = take(&l);
	rnd_words(r, &l, 1, 3);
	t->from_name = take(&l);
	rnd_words(r, &l, 1, 3);
	t->to_name = take(&l);
	if (tu_rng_below(r, 3) != 0) {
		rnd_text(r, &l, tu_rng_below(r, 30));
		t->text = take(&l);
	}
	if (tu_rng_below(r, 2) != 0) {
		lb_add(&l, "<html><body>\r\n", 14);
		rnd_text(r, &l, tu_rng_below(r, 10));
		lb_add(&l, "</body></html>", 14);
		lb_add(&l, "", 0);
		t->html = take(&l);
	}
	t->natt = tu_rng_below(r, MAX_ATT + 1);
	if (big >= 0 && t->natt == 0)
		t->natt = 1;
	for (i = 0; i < t->natt; i++) {
		struct att *a = &t->att[i];

		if (tu_rng_below(r, 6) != 0) {
			rnd_name(r, &l);
			a->name = take(&l);
		}
		a->n = rnd_size(r, i == 0 ? big : -1);
		a->data = malloc(a->n + 1);
		assert_non_null(a->data);
		rnd_data(r, a->data, a->n);
		a->kind = (int)tu_rng_below(r, 3);
		if (a->kind == 2 && tu_rng_below(r, 2))
			snprintf(a->cid, sizeof(a->cid), "img%zu.%u@x", i,
				 (unsigned)tu_rng_below(r, 100000));
	}
	if (tu_rng_below(r, 5) == 0) {
		lb_printf(&l, "From: x@example.org\r\nSubject: inner %u\r\n\r\n"
			      "inner body\r\n",
			  (unsigned)tu_rng_below(r, 1000));
		t->inner_n = l.n;
		t->inner_bytes = take(&l);
		assert_int_equal(mf_msg_parse(t->inner_bytes, t->inner_n, NULL,
					      &t->inner, NULL),
				 MF_OK);
	}
	free(l.p);
}

static void
tree_free(struct tree *t)
{
	size_t i;

	free(t->subject);
	free(t->note);
	free(t->from_name);
	free(t->to_name);
	free(t->text);
	free(t->html);
	for (i = 0; i < t->natt; i++) {
		free(t->att[i].name);
		free(t->att[i].data);
	}
	mf_msg_free(t->inner);
	free(t->inner_bytes);
}

/* Builds t in the order the generator picks. */
static mf_msg *
tree_build(tu_rng *r, struct tree *t, uint64_t seed)
{
	mf_msg *m = mf_msg_new(NULL);
	mf_addr a[2];
	mf_error err;
	size_t i, nops = t->natt + 3, order[MAX_ATT + 3];

	assert_non_null(m);
	mf_msg_seed(m, seed);
	memset(a, 0, sizeof(a));
	a[0].kind = a[1].kind = MF_ADDR_MAILBOX;
	a[0].name.ptr = t->from_name;
	a[0].name.len = strlen(t->from_name);
	a[0].local.ptr = "from.user";
	a[0].local.len = 9;
	a[0].domain.ptr = "example.org";
	a[0].domain.len = 11;
	assert_int_equal(mf_msg_set_addrs(m, "From", a, 1, &err), MF_OK);
	a[0].name.ptr = t->to_name;
	a[0].name.len = strlen(t->to_name);
	a[0].local.ptr = "to";
	a[0].local.len = 2;
	a[1].local.ptr = "cc\"q";
	a[1].local.len = 4;
	a[1].domain.ptr = "example.net";
	a[1].domain.len = 11;
	assert_int_equal(mf_msg_set_addrs(m, "To", a, 2, &err), MF_OK);
	assert_int_equal(mf_msg_set(m, "Subject", t->subject, &err), MF_OK);
	assert_int_equal(mf_msg_set(m, "X-Note", t->note, &err), MF_OK);
	/* Operations in a random order: 0..natt-1 the files, then text,
	 * html and the attached message. */
	for (i = 0; i < nops; i++)
		order[i] = i;
	for (i = nops; i > 1; i--) {
		size_t j = tu_rng_below(r, i), x = order[i - 1];

		order[i - 1] = order[j];
		order[j] = x;
	}
	for (i = 0; i < nops; i++) {
		size_t k = order[i];

		if (k < t->natt) {
			struct att *at = &t->att[k];
			const mf_part *p = NULL;

			if (at->kind == 0) {
				int rc = mf_msg_attach(m, at->name, NULL,
						       at->data, at->n,
						       MF_BORROW, &p);

				if (rc != MF_OK)
					fail_msg("attach \"%s\": %d",
						 at->name ? at->name : "(null)",
						 rc);
			} else if (at->kind == 1) {
				at->rd.p = at->data;
				at->rd.n = at->n;
				at->rd.fail_at = -1;
				at->rd.step = 1 + tu_rng_below(r, 70000);
				assert_int_equal(
				    mf_msg_attach_fn(m, at->name, NULL,
						     read_mem, &at->rd, 0, &p),
				    MF_OK);
			} else {
				assert_int_equal(
				    mf_msg_add_inline(m, at->name, NULL, at->data,
						      at->n,
						      at->cid[0] ? at->cid : NULL,
						      0, &p),
				    MF_OK);
			}
			assert_non_null(p);
			if (at->kind == 2)
				t->inl[t->ninl++] = (int)k;
			else
				t->files[t->nfiles++] = (int)k;
		} else if (k == t->natt) {
			if (t->text != NULL)
				assert_int_equal(mf_msg_set_text(m, t->text,
								 strlen(t->text),
								 0),
						 MF_OK);
		} else if (k == t->natt + 1) {
			if (t->html != NULL)
				assert_int_equal(mf_msg_set_html(m, t->html,
								 strlen(t->html),
								 MF_BORROW),
						 MF_OK);
		} else if (t->inner != NULL) {
			assert_int_equal(mf_msg_attach_msg(
					     m, mf_msg_root(t->inner), NULL),
					 MF_OK);
			t->files[t->nfiles++] = -1;
		}
	}
	return m;
}

static int
buf_sink(void *ctx, const char *p, size_t n)
{
	return mf_buf_append(ctx, p, n) != MF_OK;
}

static const char *
att_type(const struct att *a)
{
	return a->name != NULL ? mf_mime_type(a->name, strlen(a->name))
			       : "application/octet-stream";
}

/* The structure t must have. */
static void
tree_shape(const struct tree *t, logbuf *l)
{
	size_t i;
	int any = t->text != NULL || t->html != NULL;

	if (t->nfiles > 0)
		lb_add(l, "mixed(", 6);
	if (t->ninl > 0)
		lb_add(l, "related(", 8);
	if (t->text != NULL && t->html != NULL)
		lb_add(l, "alternative(text/plain,text/html)", 33);
	else if (t->text != NULL)
		lb_add(l, "text/plain", 10);
	else if (t->html != NULL)
		lb_add(l, "text/html", 9);
	for (i = 0; i < t->ninl; i++) {
		const char *ty = att_type(&t->att[t->inl[i]]);

		if (any)
			lb_add(l, ",", 1);
		lb_add(l, ty, strlen(ty));
		any = 1;
	}
	if (t->ninl > 0)
		lb_add(l, ")", 1);
	for (i = 0; i < t->nfiles; i++) {
		const char *ty = t->files[i] < 0 ? "msg"
						 : att_type(&t->att[t->files[i]]);

		if (any)
			lb_add(l, ",", 1);
		lb_add(l, ty, strlen(ty));
		any = 1;
	}
	if (t->nfiles > 0)
		lb_add(l, ")", 1);
	if (!any) /* nothing added: the new message's empty text */
		lb_add(l, "text/plain", 10);
	lb_add(l, "", 0);
}

/* All ASCII with "=?" in it. */
static int
ascii_ew(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return strstr(s, "=?") != NULL;
}

/* What a parse of t's output must give back. */
static void
tree_check(const struct tree *t, const mf_part *root, unsigned wflags,
	   const char *label)
{
	logbuf l = { NULL, 0, 0 };
	mf_addrs *as = NULL;
	const mf_addr *a;
	size_t i, k = 0;

	tree_shape(t, &l);
	assert_shape(root, l.p, label);
	free(l.p);
	/* KNOWN: an all-ASCII unstructured value is written as it is, so
	 * an encoded-word look-alike in it is decoded by readers (the
	 * header layer keeps encoded words given to it); reported, checked
	 * for the values that do not hit it. */
	if (!ascii_ew(t->subject))
		assert_field(root, "Subject", t->subject, label);
	if (!ascii_ew(t->note))
		assert_field(root, "X-Note", t->note, label);
	assert_int_equal(mf_addrs_parse(mf_part_header_value(root, "From", 4).ptr,
					mf_part_header_value(root, "From", 4).len,
					NULL, &as, NULL),
			 MF_OK);
	assert_int_equal(mf_addrs_count(as), 1);
	a = mf_addrs_at(as, 0);
	assert_str(a->name, t->from_name, label);
	assert_str(a->local, "from.user", label);
	assert_str(a->domain, "example.org", label);
	mf_addrs_free(as);
	assert_int_equal(mf_addrs_parse(mf_part_header_value(root, "To", 2).ptr,
					mf_part_header_value(root, "To", 2).len,
					NULL, &as, NULL),
			 MF_OK);
	assert_int_equal(mf_addrs_count(as), 2);
	assert_str(mf_addrs_at(as, 0)->name, t->to_name, label);
	assert_str(mf_addrs_at(as, 1)->local, "cc\"q", label);
	assert_int_equal(mf_addrs_defects(as), 0);
	mf_addrs_free(as);
	if (t->text != NULL)
		check_text(leaf_at(root, k++), t->text, wflags, label);
	if (t->html != NULL)
		check_text(leaf_at(root, k++), t->html, wflags, label);
	for (i = 0; i < t->ninl + t->nfiles; i++) {
		int ai = i < t->ninl ? t->inl[i] : t->files[i - t->ninl];
		const mf_part *p = leaf_at(root, k++);
		const struct att *at;

		assert_non_null(p);
		if (ai < 0) {
			/* The attached message, byte for byte. */
			mf_buf *b = mf_buf_new(NULL);

			assert_non_null(b);
			assert_int_equal(mf_part_write_fn(mf_part_message(p), 0,
							  buf_sink, b),
					 MF_OK);
			tu_assert_mem(mf_buf_data(b), mf_buf_len(b),
				      t->inner_bytes, t->inner_n, label);
			mf_buf_free(b);
			continue;
		}
		at = &t->att[ai];
		assert_decoded(p, at->data, at->n, label);
		assert_str(mf_part_filename(p), at->name != NULL ? at->name : "",
			   label);
		assert_str(mf_part_disposition(p),
			   at->kind == 2 ? "inline" : "attachment", label);
		if (at->kind == 2 && at->cid[0] != '\0') {
			char want[40];

			snprintf(want, sizeof(want), "<%s>", at->cid);
			assert_str(mf_part_header_value(p, "Content-ID", 10), want,
				   label);
		}
	}
	if (k > 0) /* else the empty text of a new message */
		assert_null(leaf_at(root, k));
}

static void
test_random_roundtrip(void **state)
{
	tu_rng r;
	int iter, n = tu_slow_ok() ? 120 : 30;
	size_t total = 0, empty = 0;

	(void)state;
	tu_rng_seed(&r, 20261207);
	for (iter = 0; iter < n; iter++) {
		struct tree t;
		mf_msg *m, *back;
		mf_buf *b;
		unsigned fl;
		char label[64];
		/* Three iterations carry a large attachment. */
		int big = iter == 5 ? 0 : iter == 17 ? 1 : iter == 29 ? 2 : -1;
		size_t i;

		tree_make(&r, &t, big);
		m = tree_build(&r, &t, (uint64_t)iter);
		for (fl = 0; fl <= MF_LF; fl += MF_LF) {
			snprintf(label, sizeof(label), "random %d %s", iter,
				 fl ? "LF" : "CRLF");
			for (i = 0; i < t.natt; i++)
				t.att[i].rd.off = 0;
			back = write_parse(m, fl, &b, label);
			tree_check(&t, mf_msg_root(back), fl, label);
			mf_msg_free(back);
			mf_buf_free(b);
		}
		for (i = 0; i < t.natt; i++) {
			total += t.att[i].n;
			empty += t.att[i].n == 0;
		}
		mf_msg_free(m);
		tree_free(&t);
	}
	/* The big ones, and empty ones, were there. */
	assert_true(total > (7u << 20));
	assert_true(empty > 5);
}

/* ---------------------------------------------------------------------- */
/* OOM                                                                     */
/* ---------------------------------------------------------------------- */

enum { OOM_TEXT, OOM_HTML, OOM_ATTACH, OOM_ATTACH_FN, OOM_INLINE,
       OOM_ATTACH_MSG, OOM_STRIP, OOM_ALL, OOM_PARSED, NOOM };

static const char oom_parsed_in[] =
    "From: a@example.org\r\nSubject: s\r\n"
    "Content-Type: text/plain\r\n\r\nbody\r\n";

/*
 * One operation under the failing allocator; when it fails, the message
 * must still be written and parsed (no half-made structure), and be the
 * same as before the call.
 */
static int
oom_op(const mf_alloc *al, void *ctx)
{
	int op = *(int *)ctx, rc = MF_OK;
	mf_opts o;
	mf_msg *m = NULL, *inner = NULL;
	mf_buf *before, *after;
	struct reader rd;
	const mf_part *p = NULL;

	memset(&o, 0, sizeof(o));
	o.alloc = *al;
	before = mf_buf_new(NULL);
	after = mf_buf_new(NULL);
	assert_non_null(before);
	assert_non_null(after);
	memset(&rd, 0, sizeof(rd));
	rd.p = (const unsigned char *)pdf;
	rd.n = sizeof(pdf) - 1;
	rd.fail_at = -1;
	if (op == OOM_PARSED) {
		rc = mf_msg_parse(oom_parsed_in, strlen(oom_parsed_in), &o, &m,
				  NULL);
	} else {
		m = mf_msg_new(&o);
		rc = m == NULL ? MF_E_NOMEM : MF_OK;
		if (rc == MF_OK) {
			mf_msg_seed(m, 1);
			rc = mf_msg_set_date(m, 0, 0);
		}
	}
	/* The setup of each case (its own failures are failures too). */
	if (rc == MF_OK && (op == OOM_ATTACH_MSG))
		rc = mf_msg_parse(oom_parsed_in, strlen(oom_parsed_in), &o,
				  &inner, NULL);
	if (rc == MF_OK && op != OOM_PARSED && op != OOM_TEXT)
		rc = mf_msg_set_text(m, "text", 4, 0);
	if (rc == MF_OK && op == OOM_STRIP)
		rc = mf_msg_attach(m, "a.pdf", NULL, pdf, sizeof(pdf) - 1, 0,
				   NULL);
	if (rc == MF_OK)
		rc = mf_msg_write(m, 0, before);
	if (rc < 0)
		goto out;
	/* The operation. */
	switch (op) {
	case OOM_TEXT:
		rc = mf_msg_set_text(m, "caf\xc3\xa9", 5, 0);
		break;
	case OOM_HTML:
		rc = mf_msg_set_html(m, "<p>x</p>", 8, 0);
		break;
	case OOM_ATTACH:
	case OOM_PARSED:
		rc = mf_msg_attach(m, "caf\xc3\xa9 \"x\".pdf", NULL, pdf,
				   sizeof(pdf) - 1, 0, &p);
		break;
	case OOM_ATTACH_FN:
		rc = mf_msg_attach_fn(m, "a.bin", NULL, read_mem, &rd, 0, &p);
		break;
	case OOM_INLINE:
		rc = mf_msg_add_inline(m, "a.png", NULL, png, sizeof(png) - 1,
				       NULL, 0, &p);
		break;
	case OOM_ATTACH_MSG:
		rc = mf_msg_attach_msg(m, mf_msg_root(inner), &p);
		break;
	case OOM_STRIP:
		rc = mf_msg_strip_attachments(m, 3, NULL);
		break;
	default:
		rc = mf_msg_set_html(m, "<p>x</p>", 8, 0);
		if (rc == MF_OK)
			rc = mf_msg_add_inline(m, "a.png", NULL, png,
					       sizeof(png) - 1, "c", 0, &p);
		if (rc == MF_OK)
			rc = mf_msg_attach(m, "b.pdf", NULL, pdf,
					   sizeof(pdf) - 1, 0, &p);
		break;
	}
	if (rc == MF_E_NOMEM && op != OOM_ALL) {
		/* m as before the call. */
		assert_int_equal(mf_msg_write(m, 0, after), MF_OK);
		tu_assert_mem(mf_buf_data(after), mf_buf_len(after),
			      mf_buf_data(before), mf_buf_len(before),
			      "unchanged after NOMEM");
	} else if (rc == MF_E_NOMEM) {
		mf_msg *back = NULL;

		/* Several calls: the message is still whole. */
		assert_int_equal(mf_msg_write(m, 0, after), MF_OK);
		assert_int_equal(mf_msg_parse(mf_buf_data(after),
					      mf_buf_len(after), NULL, &back,
					      NULL),
				 MF_OK);
		mf_msg_free(back);
	} else if (rc == MF_OK) {
		rc = mf_msg_write(m, 0, after);
	}
out:
	mf_msg_free(m);
	mf_msg_free(inner);
	mf_buf_free(before);
	mf_buf_free(after);
	return rc;
}

static void
test_oom(void **state)
{
	int op;

	(void)state;
	for (op = 0; op < NOOM; op++)
		assert_true(tu_oom_loop(oom_op, &op) > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64_buf),
	    cmocka_unit_test(test_b64_buf_known),
	    cmocka_unit_test(test_qp_buf),
	    cmocka_unit_test(test_qp_buf_errors),
	    cmocka_unit_test(test_codec_buf_oom),
	    cmocka_unit_test(test_mime_type_table),
	    cmocka_unit_test(test_mime_type),
	    cmocka_unit_test(test_structure),
	    cmocka_unit_test(test_set_again),
	    cmocka_unit_test(test_parsed),
	    cmocka_unit_test(test_filenames),
	    cmocka_unit_test(test_types),
	    cmocka_unit_test(test_inline),
	    cmocka_unit_test(test_attach_fn),
	    cmocka_unit_test(test_attach_msg),
	    cmocka_unit_test(test_strip),
	    cmocka_unit_test(test_strip_corpus),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_random_roundtrip),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
