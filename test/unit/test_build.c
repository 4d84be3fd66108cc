/* SPDX-License-Identifier: MIT */
/*
 * test_build.c - the builder's convenience layer (build.c) and the codec
 * mf_buf variants: mf_b64_encode_buf and mf_qp_encode_buf against the
 * array encoders (appending, flags, failure leaves the buffer unchanged,
 * OOM), mf_mime_type and its table, and the message builders.
 */
#include "tutil.h"

#include "build.h"

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
	    "caf\xc3\xa9 = cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e\t",
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
