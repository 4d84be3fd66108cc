/* SPDX-License-Identifier: MIT */
/*
 * test_write.c - the byte-exact writer: every message of the corpus, as
 * stored and with its line ends converted to CRLF and to LF, parsed as a
 * message and as an mbox, written back identical from the structure (the
 * tree's views point into the input: nothing is a wholesale copy); the
 * sink and part writers, errors, an OOM loop, and hand-made inputs with
 * mixed line ends, padding, preambles and epilogues.
 */
#include "tutil.h"

#include "mime.h"

static const char *sets[] = {
    "corpus/cpython",    "corpus/gmime",
    "corpus/mikel-mail", "corpus/mimekit",
    "corpus/nodemailer-mailparser", "corpus/spamassassin",
    "corpus/torture",
};

/* Whether s lies inside p[0..n) (empty strings anywhere). */
static int
inside(mf_str s, const char *p, size_t n)
{
	return s.len == 0 || (s.ptr >= p && s.ptr + s.len <= p + n);
}

/* Every raw view of the tree points into the input. */
static void
assert_views(const mf_msg *m, const char *p, size_t n, const char *label)
{
	size_t r;

	for (r = 0; r < mf_msg_count(m); r++) {
		const mf_part *root = mf_msg_at(m, r), *t = NULL;

		while ((t = mf_part_next(root, t)) != NULL) {
			size_t i;
			int ok = inside(t->from_line, p, n) &&
				 inside(t->hdr_end, p, n) &&
				 inside(t->body, p, n) &&
				 inside(t->preamble, p, n) &&
				 inside(t->epilogue, p, n) &&
				 inside(t->close, p, n) &&
				 inside(t->delim, p, n);

			for (i = 0; i < t->nfields; i++)
				ok = ok && inside(t->fields[i].raw, p, n);
			if (!ok)
				fail_msg("%s: a view is not in the input", label);
		}
	}
}

/*
 * Parse, write, compare. small: tiny limits (fields cut at 16 bytes, two
 * fields per block, 64 header bytes, depth 2, 3 parts): the tree still
 * has every byte, from the input.
 */
static void
round_trip_l(const char *p, size_t n, unsigned flags, int small,
	     const char *label)
{
	mf_opts o;
	mf_msg *m = NULL;
	mf_buf *b = mf_buf_new(NULL);
	mf_error err;
	int rc;

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	if (small) {
		o.limits.max_field_len = 16;
		o.limits.max_headers = 2;
		o.limits.max_header_bytes = 64;
		o.limits.max_depth = 2;
		o.limits.max_parts = 3;
	}
	assert_non_null(b);
	rc = mf_msg_parse(p, n, &o, &m, &err);
	if (rc != MF_OK)
		fail_msg("%s: parse %d at %zu (%s)", label, rc, err.offset,
			 err.reason);
	assert_int_equal(mf_msg_write(m, 0, b), MF_OK);
	tu_assert_mem(mf_buf_data(b), mf_buf_len(b), p, n, label);
	assert_views(m, p, n, label);
	mf_buf_free(b);
	mf_msg_free(m);
}

static void
round_trip(const char *p, size_t n, unsigned flags, const char *label)
{
	round_trip_l(p, n, flags, 0, label);
	round_trip_l(p, n, flags, 1, label);
}

static void
test_corpus(void **state)
{
	size_t s, files = 0;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, k, v, len = strlen(list[i]);
			char *p, label[512];

			if (len > 4 && strcmp(list[i] + len - 4, ".log") == 0)
				continue; /* the torture inputs' golden logs */
			p = tu_read(list[i], &n);

			for (v = 0; v < 3; v++) {
				char *q = p;

				k = n;
				if (v > 0)
					q = tu_eol(p, n, v == 1, &k);
				snprintf(label, sizeof(label), "%s (%s)",
					 list[i],
					 v == 0 ? "as stored"
					 : v == 1 ? "CRLF" : "LF");
				round_trip(q, k, 0, label);
				round_trip(q, k, MF_MBOX, label);
				if (v > 0)
					free(q);
			}
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	/* The corpus is all there (395 files when this was written). */
	assert_true(files >= 390);
}

/* Hand-made structure: every kind of byte the tree must account for. */
static void
test_cases(void **state)
{
	static const char *cases[] = {
	    "",
	    "\n",
	    "\r\n",
	    "no header at all",
	    "Subject: x",
	    "Subject: x\r\n",
	    "Subject: x\n\n",
	    "From sender Mon Jan 1\nSubject: x\n\nbody\n",
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "pre\r\n--b \t\r\nA: 1\n\nbody\r\n--b\n\n\n--b--  \nepi\r\n",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b--",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\r",
	    "Content-Type: multipart/mixed; boundary=b\n\nno delimiter\n",
	    "Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\n"
	    "Content-Type: multipart/mixed; boundary=\"xy\"\n\n--xy\n"
	    "Content-Type: message/rfc822\n\nSubject: in\n\nbody\n--x--\n",
	    "Content-Type: message/rfc822\r\n\r\nFrom: a\r\n\r\nb\rc\0d\n",
	    "Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	    "Subject: 1\n\n1\n--d\nSubject: 2\n--d--\n",
	    "Content-Type: text/plain\r\nBad line\r\n\r\nbody",
	    "A: 1\r\n continued\n\tagain\r\nB: 2\n\n",
	    /* Recovery (issue 10): a byte order mark, a quoted From_ line,
	     * stray lines, one cut by a delimiter. */
	    "\xef\xbb\xbf" "From: a\n\nbody",
	    "\xef\xbb\xbf" "From x\n>From y\nA: 1\r\n\r\nb\nFrom z\n",
	    "\xef\xbb\xbf",
	    "Subject: a\r\nb\r\nTo: c\r\n\r\n",
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\nA: 1\n"
	    "stray\n--b\nA: 1\nstray\nB: 2\n\nx\n--b--\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char label[32];
		size_t n = strlen(cases[i]);

		if (i == 14)
			n += 4; /* the NUL and what follows it */
		snprintf(label, sizeof(label), "case %zu", i);
		round_trip(cases[i], n, 0, label);
		round_trip(cases[i], n, MF_MBOX, label);
	}
}

struct sink {
	mf_buf *b;
	size_t calls, fail_at;
};

static int
sink(void *ctx, const char *p, size_t n)
{
	struct sink *s = ctx;

	if (++s->calls == s->fail_at)
		return 1;
	return mf_buf_append(s->b, p, n) != MF_OK;
}

static void
test_sink_and_parts(void **state)
{
	const char *in = "Content-Type: multipart/mixed; boundary=b\n\n"
			 "--b\nX: 1\n\none\n--b\nContent-Type: message/rfc822"
			 "\n\nY: 2\n\ntwo\n--b--\n";
	mf_msg *m;
	struct sink s;
	const mf_part *c;
	size_t i;

	(void)state;
	assert_int_equal(mf_msg_parse(in, strlen(in), NULL, &m, NULL), MF_OK);
	s.b = mf_buf_new(NULL);
	s.calls = 0;
	s.fail_at = 0;
	assert_int_equal(mf_msg_write_fn(m, 0, sink, &s), MF_OK);
	tu_assert_str(mf_buf_data(s.b), in, "sink");
	/* Each part from its header to its end. */
	c = mf_part_child(mf_msg_root(m), 1);
	mf_buf_clear(s.b);
	assert_int_equal(mf_part_write_fn(c, 0, sink, &s), MF_OK);
	tu_assert_str(mf_buf_data(s.b),
		      "Content-Type: message/rfc822\n\nY: 2\n\ntwo", "part 1");
	mf_buf_clear(s.b);
	assert_int_equal(mf_part_write_fn(mf_part_message(c), 0, sink, &s),
			 MF_OK);
	tu_assert_str(mf_buf_data(s.b), "Y: 2\n\ntwo", "embedded");
	/* A sink that stops: MF_E_CALLBACK at every point. */
	for (i = 1; i < 12; i++) {
		s.calls = 0;
		s.fail_at = i;
		mf_buf_clear(s.b);
		assert_int_equal(mf_msg_write_fn(m, 0, sink, &s), MF_E_CALLBACK);
	}
	assert_int_equal(mf_msg_write_fn(NULL, 0, sink, &s), MF_E_INVAL);
	assert_int_equal(mf_msg_write_fn(m, 0, NULL, &s), MF_E_INVAL);
	assert_int_equal(mf_part_write_fn(NULL, 0, sink, &s), MF_E_INVAL);
	assert_int_equal(mf_msg_write(m, 0, NULL), MF_E_INVAL);
	assert_int_equal(mf_msg_write(NULL, 0, s.b), MF_E_INVAL);
	mf_buf_free(s.b);
	mf_msg_free(m);
}

/* mf_msg_write into a buffer whose growth fails: unchanged, MF_E_NOMEM. */
static int
oom_write(const mf_alloc *a, void *ctx)
{
	const char *in = ctx;
	mf_msg *m = NULL;
	mf_buf *b;
	mf_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	rc = mf_msg_parse(in, strlen(in), &o, &m, NULL);
	if (rc < 0)
		return rc;
	b = mf_buf_new(a);
	if (b == NULL) {
		mf_msg_free(m);
		return MF_E_NOMEM;
	}
	rc = mf_msg_write(m, 0, b);
	if (rc == MF_OK && (mf_buf_len(b) != strlen(in) ||
			    memcmp(mf_buf_data(b), in, strlen(in)) != 0))
		rc = MF_E_STATE;
	if (rc == MF_E_NOMEM)
		assert_int_equal(mf_buf_len(b), 0);
	mf_buf_free(b);
	mf_msg_free(m);
	return rc;
}

static void
test_oom(void **state)
{
	static char in[] =
	    "From x\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Disposition: attachment; filename*=utf-8''a%C3%A9\n\n"
	    "one\n--b--\n";

	(void)state;
	assert_true(tu_oom_loop(oom_write, in) > 3);
}

/*
 * The flags on a parsed, unchanged tree: MF_LF changes nothing (only
 * generated lines follow it: a parsed byte is never rewritten);
 * MF_DOT_STUFF gives the dot-stuffed input, which the dot decoder turns
 * back into the input with CRLF line ends; other flags are refused.
 */
static void
test_flags(void **state)
{
	static const char *cases[] = {
	    "Subject: x\n\n.dot\nline\n",
	    "Subject: x\r\n\r\n..two\r\n.\r\nend",
	    ("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n.a\r\n"
	     "--b--\n.epi"),
	    "",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *in = cases[i];
		size_t n = strlen(in), len = 0, used = 0, k;
		mf_msg *m;
		mf_buf *b = mf_buf_new(NULL);
		char *crlf, *out;

		assert_int_equal(mf_msg_parse(in, n, NULL, &m, NULL), MF_OK);
		assert_int_equal(mf_msg_write(m, MF_LF, b), MF_OK);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), in, n, "MF_LF");
		mf_buf_clear(b);
		assert_int_equal(mf_msg_write(m, MF_DOT_STUFF, b), MF_OK);
		assert_true(mf_buf_len(b) >= 3);
		assert_memory_equal(mf_buf_data(b) + mf_buf_len(b) - 3, ".\r\n",
				    3);
		out = malloc(mf_buf_len(b) + 1);
		assert_non_null(out);
		assert_int_equal(mf_dot_decode(out, mf_buf_len(b) + 1,
					       mf_buf_data(b), mf_buf_len(b), 0,
					       &len, &used, NULL, NULL),
				 MF_OK);
		assert_int_equal(used, mf_buf_len(b));
		/* The input with CRLF line ends and a final one. */
		crlf = tu_eol(in, n, 1, &k);
		if (k > 0 && crlf[k - 1] != '\n') {
			tu_assert_mem(out, len - 2, crlf, k, "undotted");
			assert_memory_equal(out + len - 2, "\r\n", 2);
		} else {
			tu_assert_mem(out, len, crlf, k, "undotted");
		}
		free(crlf);
		free(out);
		mf_buf_clear(b);
		assert_int_equal(mf_msg_write(m, MF_STRICT, b), MF_E_INVAL);
		assert_int_equal(mf_msg_write(m, MF_UTF8_OUT, b), MF_E_INVAL);
		assert_int_equal(mf_buf_len(b), 0);
		mf_buf_free(b);
		mf_msg_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_sink_and_parts),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
