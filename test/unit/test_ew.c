/* SPDX-License-Identifier: MIT */
/*
 * test_ew.c - RFC 2047 encoded words: the RFC's section 8 examples, the
 * GMime and Dovecot tables, every defect with its offset (and strict mode
 * turning it into an error there), the lenient forms, limits, OOM loops,
 * guard pages, hostile input, and encode/decode round trips over seeded
 * random text with the properties of the encoding checked: words of at
 * most 75 characters holding whole characters, lines within the width,
 * only the words that need it encoded.
 */
#include "tdefect.h"

#include "core.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* Decodes with o; fails the test on an error. Caller frees. */
static char *
dec_o(const char *in, size_t n, const mf_opts *o, uint64_t *def,
      size_t *outlen)
{
	mf_buf *b = mf_buf_new(NULL);
	char *s;
	int rc;

	assert_non_null(b);
	rc = mf_ew_decode(b, in, n, o, def, NULL);
	if (rc != MF_OK)
		fail_msg("decode rc %d", rc);
	assert_int_equal(mf_buf_take(b, &s, outlen), MF_OK);
	mf_buf_free(b);
	return s;
}

/* Decodes with the defaults. */
static char *
dec(const char *in, size_t n, uint64_t *def, size_t *outlen)
{
	return dec_o(in, n, NULL, def, outlen);
}

static char *
enc(const char *in, size_t n, const char *cs, unsigned flags, size_t col,
    size_t width, size_t *outlen)
{
	mf_buf *b = mf_buf_new(NULL);
	char *s;
	int rc;

	assert_non_null(b);
	rc = mf_ew_encode(b, in, n, cs, flags, col, width);
	if (rc != MF_OK)
		fail_msg("encode rc %d", rc);
	assert_int_equal(mf_buf_take(b, &s, outlen), MF_OK);
	mf_buf_free(b);
	return s;
}

/* ---------------------------------------------------------------------- */
/* Decoding: tables with defects and offsets                               */
/* ---------------------------------------------------------------------- */

struct dcase {
	const char *in;
	size_t n;
	const char *want;
	size_t wl;
	size_t nd; /* the defects in the order reported, with offsets */
	int code[4];
	long off[4];
};

#define NONE 0, {0}, {0}

static void
run_cases(const struct dcase *t, size_t nt)
{
	size_t i;

	for (i = 0; i < nt; i++) {
		mf_buf *b = mf_buf_new(NULL);
		struct log l;
		uint64_t def = 0;
		mf_opts o;
		mf_error e;
		char label[32];
		int rc;

		log_opts(&o, &l);
		snprintf(label, sizeof(label), "case %zu", i);
		assert_int_equal(mf_buf_append(b, "<", 1), MF_OK);
		rc = mf_ew_decode(b, t[i].in, t[i].n, &o, &def, NULL);
		if (rc != MF_OK)
			fail_msg("case %zu: rc %d", i, rc);
		tu_assert_mem(mf_buf_data(b) + 1, mf_buf_len(b) - 1, t[i].want,
			      t[i].wl, label);
		log_check(&l, def, t[i].nd, t[i].code, t[i].off, i);
		if (t[i].nd > 0) {
			/* Strict: the first defect is an error there, and
			 * the buffer is left as it was. */
			o.flags = MF_STRICT;
			o.on_defect = NULL;
			memset(&e, 0, sizeof(e));
			mf_buf_clear(b);
			assert_int_equal(mf_buf_append(b, "<", 1), MF_OK);
			rc = mf_ew_decode(b, t[i].in, t[i].n, &o, NULL, &e);
			if (rc != MF_E_DEFECT || e.code != MF_E_DEFECT ||
			    e.offset != (size_t)t[i].off[0] || e.reason == NULL)
				fail_msg("case %zu: strict rc %d offset %zu", i,
					 rc, e.offset);
			assert_int_equal(mf_buf_len(b), 1);
		}
		mf_buf_free(b);
	}
}

/* RFC 2047 section 8, the examples in their header fields. */
static void
test_rfc2047_examples(void **state)
{
	static const struct dcase t[] = {
	    {S("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>"),
	     S("Keith Moore <moore@cs.utk.edu>"), NONE},
	    {S("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>"),
	     S("Keld J\xc3\xb8rn Simonsen <keld@dkuug.dk>"), NONE},
	    {S("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>"),
	     S("Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>"), NONE},
	    {S("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
	       " =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="),
	     S("If you can read this you understand the example."), NONE},
	    {S("=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>"),
	     S("Olle J\xc3\xa4rnefors <ojarnef@admin.kth.se>"), NONE},
	    {S("=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>"),
	     S("Patrik F\xc3\xa4ltstr\xc3\xb6m <paf@nada.kth.se>"), NONE},
	    {S("Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n"
	       "      (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)"),
	     S("Nathaniel Borenstein <nsb@thumper.bellcore.com>      ("
	       "\xd7\x9d\xd7\x95\xd7\x9c\xd7\xa9 \xd7\x9f\xd7\x91 "
	       "\xd7\x99\xd7\x9c\xd7\x98\xd7\xa4\xd7\xa0)"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {56, 93}},
	    /* The comment examples: in *text "(" and ")" are text, so each
	     * word touches text and is decoded leniently. */
	    {S("(=?ISO-8859-1?Q?a?=)"), S("(a)"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {1, 19}},
	    {S("(=?ISO-8859-1?Q?a?= b)"), S("(a b)"),
	     1, {MF_D_EW_LENIENT}, {1}},
	    {S("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), S("(ab)"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {1, 38}},
	    {S("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), S("(ab)"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {1, 39}},
	    {S("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), S("(ab)"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {1, 43}},
	    {S("(=?ISO-8859-1?Q?a_b?=)"), S("(a b)"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {1, 21}},
	    {S("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), S("(a b)"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {1, 39}},
	};
	(void)state;
	run_cases(t, N(t));
}

static void
test_decode_cases(void **state)
{
	static const struct dcase t[] = {
	    /* 0: plain text, folds */
	    {S(""), S(""), NONE},
	    {S("plain text"), S("plain text"), NONE},
	    {S("a\r\n b\n\tc"), S("a b\tc"), NONE},
	    {S("a\rb\nc\r\n"), S("a\rb\nc\r\n"), NONE},
	    {S("what =? is =?this"), S("what =? is =?this"), NONE},
	    /* 5: whitespace: kept around words, dropped between them */
	    {S("a =?utf-8?q?b?= c"), S("a b c"), NONE},
	    {S(" \t=?utf-8?q?x?=  "), S(" \tx  "), NONE},
	    {S("=?utf-8?q?a?= \t\r\n =?utf-8?q?b?="), S("ab"), NONE},
	    {S("=?utf-8?q?a?= x =?utf-8?q?b?="), S("a x b"), NONE},
	    /* 9: charsets, language suffix (RFC 2231 5), case */
	    {S("=?utf-8*en?Q?hello?="), S("hello"), NONE},
	    {S("=?UTF-8*EN-US?B?w6k=?="), S("\xc3\xa9"), NONE},
	    {S("=?iso-8859-1?q?=E9?= =?iso-8859-2?q?=E9?="),
	     S("\xc3\xa9\xc3\xa9"), NONE},
	    {S("=?koi8-r?B?98XSzsnUxQ==?="),
	     S("\xd0\x92\xd0\xb5\xd1\x80\xd0\xbd\xd0\xb8\xd1\x82\xd0\xb5"),
	     NONE},
	    /* 13: a character split across words is rejoined (Q and B) */
	    {S("=?utf-8?q?=C3?= =?UTF-8?Q?=A9?="), S("\xc3\xa9"), NONE},
	    {S("=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?="), S("\xe2\x82\xac"), NONE},
	    /* ... but not across charsets */
	    {S("=?utf-8?q?=C3?= =?iso-8859-1?q?=A9?="),
	     S("\xef\xbf\xbd\xc2\xa9"), 1, {MF_D_CHARSET_INVALID}, {0}},
	    /* 16: unknown charsets pass through */
	    {S("a =?utf-9?q?P=C3=A4?= b"), S("a P\xc3\xa4 b"),
	     1, {MF_D_EW_CHARSET}, {2}},
	    {S("=?x-unknown?q?caf=E9?="), S("caf\xc3\xa9"),
	     1, {MF_D_EW_CHARSET}, {0}},
	    /* 18: malformed words stay literal */
	    {S("=?utf-8?x?abc?="), S("=?utf-8?x?abc?="),
	     1, {MF_D_EW_MALFORMED}, {0}},
	    {S("x =?utf-8?q?abc"), S("x =?utf-8?q?abc"),
	     1, {MF_D_EW_MALFORMED}, {2}},
	    {S("a =?utf-8?q?ab\r\n c?= d"), S("a =?utf-8?q?ab c?= d"),
	     1, {MF_D_EW_MALFORMED}, {2}},
	    {S("=?*en?q?x?="), S("=?*en?q?x?="), 1, {MF_D_EW_MALFORMED}, {0}},
	    {S("=?utf-8?q"), S("=?utf-8?q"), 1, {MF_D_EW_MALFORMED}, {0}},
	    {S("=?" "?q?x?="), S("=?" "?q?x?="), NONE},
	    /* 24: the next word after a malformed one still decodes */
	    {S("=?u?z?a?= =?utf-8?q?b?="), S("=?u?z?a?= b"),
	     1, {MF_D_EW_MALFORMED}, {0}},
	    /* 25: Q escapes */
	    {S("=?utf-8?q?a=ZZb?="), S("a=ZZb"), 1, {MF_D_QP_INVALID}, {11}},
	    {S("=?utf-8?q?a=?="), S("a="), 1, {MF_D_QP_INVALID}, {11}},
	    {S("=?utf-8?q?=e2=82=ac?="), S("\xe2\x82\xac"), NONE},
	    /* 28: B junk and missing padding */
	    {S("=?utf-8?b?SGV*sbG8=?="), S("Hello"), 1, {MF_D_B64_JUNK}, {10}},
	    /* missing padding: decoded, recorded */
	    {S("=?utf-8?b?SGVsbG8?="), S("Hello"), 1, {MF_D_B64_JUNK}, {10}},
	    /* 30: lenient forms */
	    {S("=?utf-8?q?a?==?utf-8?q?b?="), S("ab"), 1, {MF_D_EW_LENIENT}, {13}},
	    {S("xx=?utf-8?q?a?=yy"), S("xxayy"),
	     2, {MF_D_EW_LENIENT, MF_D_EW_LENIENT}, {2, 15}},
	    {S("=?utf-8?q?a b?="), S("a b"), 1, {MF_D_EW_LENIENT}, {11}},
	    {S("=?utf-8?q?what?_now?="), S("what? now"), 1, {MF_D_EW_LENIENT}, {14}},
	    {S("=?utf-8?q?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	       "aaaaaaaaaaaaaa?="),
	     S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	       "aaaa"),
	     1, {MF_D_EW_LENIENT}, {0}},
	    /* 35: invalid bytes in the charset */
	    {S("a =?utf-8?b?////?= b"),
	     S("a \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd b"),
	     1, {MF_D_CHARSET_INVALID}, {2}},
	    /* 36: 8-bit text outside words: UTF-8 kept, else windows-1252 */
	    {S("caf\xc3\xa9 =?utf-8?q?x?="), S("caf\xc3\xa9 x"), NONE},
	    {S("caf\xe9 \x93q\x94"),
	     S("caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d"),
	     1, {MF_D_8BIT_HEADER}, {3}},
	    {S("=?utf-8?q?x?= caf\r\n \xe9"), S("x caf \xc3\xa9"),
	     1, {MF_D_8BIT_HEADER}, {20}},
	    /* 39: NUL, decoded or literal, becomes U+FFFD */
	    {S("=?utf-8?q?a=00b?="), S("a\xef\xbf\xbd" "b"), 1, {MF_D_NUL}, {0}},
	    {S("ab\0c"), S("ab\xef\xbf\xbd" "c"), 1, {MF_D_NUL}, {2}},
	    {S("=?iso-8859-1?q?=E9=00?="), S("\xc3\xa9\xef\xbf\xbd"),
	     1, {MF_D_NUL}, {0}},
	    /* 42: us-ascii words holding UTF-8 (RFC 7103 7.6) */
	    {S("=?us-ascii?q?caf=C3=A9?="), S("caf\xc3\xa9"),
	     1, {MF_D_CHARSET_INVALID}, {0}},
	    /* 43: utf-16 words that each carry a byte order mark */
	    {S("=?utf-16?b?/v8AaA==?= =?utf-16?b?/v8AaQ==?="), S("hi"), NONE},
	    {S("=?utf-32?b?AAD+/wAAAGg=?= =?utf-32?b?AAD+/wAAAGk=?="), S("hi"),
	     NONE},
	    /* 45: empty text */
	    {S("a =?utf-8?q?" "?= b"), S("a  b"), NONE},
	};
	(void)state;
	run_cases(t, N(t));
}

static void
test_limit(void **state)
{
	static const char in[] = "=?utf-8?q?a?= =?utf-8?q?b?= =?utf-8?q?c?=";
	mf_buf *b = mf_buf_new(NULL);
	struct log l;
	mf_opts o;
	mf_error e;

	(void)state;
	log_opts(&o, &l);
	o.limits.max_encoded_words = 2;
	assert_int_equal(mf_ew_decode(b, in, sizeof(in) - 1, &o, NULL, NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "ab =?utf-8?q?c?=");
	assert_int_equal(l.n, 1);
	assert_int_equal(l.code[0], MF_D_FIELD_LIMIT);
	assert_int_equal(l.off[0], 28);
	o.flags = MF_STRICT;
	o.on_defect = NULL;
	mf_buf_clear(b);
	assert_int_equal(mf_ew_decode(b, in, sizeof(in) - 1, &o, NULL, &e),
			 MF_E_DEFECT);
	assert_int_equal(e.offset, 28);
	/* The default limit is 256 words. */
	{
		mf_buf *big = mf_buf_new(NULL);
		uint64_t def = 0;
		size_t k, ol;
		char *out;

		for (k = 0; k < 300; k++)
			assert_int_equal(mf_buf_append(big, "=?utf-8?q?x?= ",
						       14),
					 MF_OK);
		out = dec(mf_buf_data(big), mf_buf_len(big), &def, &ol);
		assert_true(def == MF_DEFECT_BIT(MF_D_FIELD_LIMIT));
		assert_int_equal(strspn(out, "x"), 256);
		assert_memory_equal(out + 256, " =?utf-8?q?x?= ", 15);
		free(out);
		mf_buf_free(big);
	}
	mf_buf_free(b);
}

static void
test_args(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_error e;

	(void)state;
	assert_int_equal(mf_ew_decode(NULL, "a", 1, NULL, NULL, &e),
			 MF_E_INVAL);
	assert_int_equal(e.code, MF_E_INVAL);
	assert_int_equal(mf_ew_decode(b, NULL, 1, NULL, NULL, NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_ew_decode(b, NULL, 0, NULL, NULL, NULL), MF_OK);
	/* Appends. */
	assert_int_equal(mf_buf_append(b, "x:", 2), MF_OK);
	assert_int_equal(mf_ew_decode(b, S("=?utf-8?q?y?="), NULL, NULL,
				      NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "x:y");
	assert_int_equal(mf_ew_encode(NULL, "a", 1, NULL, 0, 0, 76),
			 MF_E_INVAL);
	assert_int_equal(mf_ew_encode(b, NULL, 1, NULL, 0, 0, 76),
			 MF_E_INVAL);
	assert_int_equal(mf_ew_encode(b, "a", 1, NULL, MF_EW_Q | MF_EW_B, 0,
				      76),
			 MF_E_INVAL);
	assert_int_equal(mf_ew_encode(b, "a", 1, NULL, 0x100, 0, 76),
			 MF_E_INVAL);
	assert_int_equal(mf_ew_encode(b, "\xc3\xa9", 2, "utf-9", 0, 0, 76),
			 MF_E_CHARSET);
	assert_int_equal(mf_ew_encode(b, "\xc3\xa9", 2, "a/b", 0, 0, 76),
			 MF_E_CHARSET);
	assert_int_equal(
	    mf_ew_encode(b, "\xc3\xa9", 2,
			 "x-a-very-long-charset-name-that-is-too-long-to-use",
			 0, 0, 76),
	    MF_E_INVAL);
	assert_string_equal(mf_buf_data(b), "x:y");
	mf_buf_free(b);
}

/* ---------------------------------------------------------------------- */
/* Third-party tables                                                      */
/* ---------------------------------------------------------------------- */

/* GMime: decoded exactly; GMime's own re-encoding is not asserted. */
static void
gmime_table(const char *name, uint64_t allowed)
{
	tj *root = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *t = tj_path(root, "tables");
	tj *ent = tj_get(tj_get(t, name), "entries");
	size_t i;

	assert_non_null(ent);
	assert_true(ent->len > 0);
	for (i = 0; i < ent->len; i++) {
		size_t inl, wl, gl;
		const char *in = tj_bytes(tj_get(tj_at(ent, i), "input"), &inl);
		const char *want =
		    tj_bytes(tj_get(tj_at(ent, i), "decoded"), &wl);
		uint64_t def = 0;
		char label[64], *got;

		snprintf(label, sizeof(label), "%s %zu", name, i);
		got = dec(in, inl, &def, &gl);
		tu_assert_mem(got, gl, want, wl, label);
		if ((def & ~allowed) != 0)
			fail_msg("%s: unexpected defects %llx", label,
				 (unsigned long long)def);
		if (allowed != 0 && def == 0)
			fail_msg("%s: the lenient form was not recorded",
				 label);
		free(got);
	}
	tj_free(root);
}

/* Length of the longest run without whitespace. */
static size_t
longest_word(const char *p, size_t n)
{
	size_t k, cur = 0, max = 0;

	for (k = 0; k < n; k++) {
		cur = (p[k] == ' ' || p[k] == '\t') ? 0 : cur + 1;
		if (cur > max)
			max = cur;
	}
	return max;
}

static void
test_gmime_rfc2047_text(void **state)
{
	tj *root = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *ent = tj_get(tj_get(tj_path(root, "tables"), "rfc2047_text"),
			 "entries");
	size_t i;

	(void)state;
	for (i = 0; i < ent->len; i++) {
		size_t inl, wl, gl;
		const char *in = tj_bytes(tj_get(tj_at(ent, i), "input"), &inl);
		const char *want =
		    tj_bytes(tj_get(tj_at(ent, i), "decoded"), &wl);
		uint64_t def = 0;
		char label[64], *got;

		snprintf(label, sizeof(label), "rfc2047_text %zu", i);
		got = dec(in, inl, &def, &gl);
		tu_assert_mem(got, gl, want, wl, label);
		/* The only non-conforming inputs hold words longer than
		 * 75 characters (entries 7 and 11). */
		if (longest_word(in, inl) > 75)
			assert_true(def == MF_DEFECT_BIT(MF_D_EW_LENIENT));
		else if (def != 0)
			fail_msg("%s: defects %llx", label,
				 (unsigned long long)def);
		free(got);
	}
	tj_free(root);
}

static void
test_gmime_broken(void **state)
{
	(void)state;
	gmime_table("broken_rfc2047_text", MF_DEFECT_BIT(MF_D_EW_LENIENT));
}

/*
 * Dovecot's message_header_decode_utf8 table. Where we differ, by design,
 * the expected value is ours and the comment says why.
 */
static void
test_dovecot_header_decode(void **state)
{
	static const struct {
		size_t idx;
		const char *want;
		size_t wl;
	} ours[] = {
	    /* Dovecot drops the whitespace before the first word and keeps
	     * the fold; we keep text outside words and unfold. */
	    {0, S(" \t\xc3\xa4\xc3\xa4  b  \t ")},
	    /* Each invalid byte is one U+FFFD (Unicode's best practice);
	     * Dovecot writes one for the run. */
	    {7, S("a \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd b")},
	};
	tj *root =
	    tj_load("corpus/vectors/dovecot/lib-mail-header-decode-qp-date-"
		    "misc.json");
	tj *ent = tj_get(
	    tj_get(tj_path(root, "tables"), "message_header_decode_utf8"),
	    "entries");
	size_t i, k;

	(void)state;
	assert_int_equal(ent->len, 10);
	for (i = 0; i < ent->len; i++) {
		size_t inl, wl, gl;
		const char *in = tj_bytes(tj_get(tj_at(ent, i), "input"), &inl);
		const char *want =
		    tj_bytes(tj_get(tj_at(ent, i), "decoded"), &wl);
		uint64_t def = 0;
		char label[64], *got;

		for (k = 0; k < N(ours); k++) {
			if (ours[k].idx == i) {
				want = ours[k].want;
				wl = ours[k].wl;
			}
		}
		snprintf(label, sizeof(label), "dovecot %zu", i);
		got = dec(in, inl, &def, &gl);
		tu_assert_mem(got, gl, want, wl, label);
		free(got);
	}
	tj_free(root);
}

/* Whether p[0..n) has an "=" without two hex digits after it. */
static int
has_bad_escape(const char *p, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (p[k] == '=' &&
		    (k + 2 >= n || mf__hexval((unsigned char)p[k + 1]) < 0 ||
		     mf__hexval((unsigned char)p[k + 2]) < 0))
			return 1;
	}
	return 0;
}

/* Dovecot's Q decoding table, each input as the text of a Q word. */
static void
test_dovecot_q(void **state)
{
	tj *root = tj_load(
	    "corpus/vectors/dovecot/lib-mail-quoted-printable.json");
	tj *ent = tj_get(tj_get(tj_path(root, "tables"), "q_decode"),
			 "entries");
	size_t i;

	(void)state;
	assert_true(ent->len >= 13);
	for (i = 0; i < ent->len; i++) {
		tj *d = tj_get(tj_at(ent, i), "decoded");
		size_t inl, wl, gl;
		const char *in = tj_bytes(tj_get(tj_at(ent, i), "input"), &inl);
		const char *want = tj_bytes(d, &wl);
		/* Byte strings that are not UTF-8 are compared through
		 * latin1, the rest as UTF-8. */
		const char *cs = d->type == TJ_OBJ ? "iso-8859-1" : "utf-8";
		mf_buf *w = mf_buf_new(NULL);
		uint64_t def = 0;
		char label[64], *got;

		if (d->type == TJ_OBJ)
			want = tj_bytes(tj_get(d, "latin1"), &wl);
		assert_int_equal(mf_buf_append(w, "=?", 2), MF_OK);
		assert_int_equal(mf_buf_append(w, cs, strlen(cs)), MF_OK);
		assert_int_equal(mf_buf_append(w, "?q?", 3), MF_OK);
		assert_int_equal(mf_buf_append(w, in, inl), MF_OK);
		assert_int_equal(mf_buf_append(w, "?=", 2), MF_OK);
		snprintf(label, sizeof(label), "q_decode %zu", i);
		got = dec(mf_buf_data(w), mf_buf_len(w), &def, &gl);
		tu_assert_mem(got, gl, want, wl, label);
		/* Invalid escapes are kept and reported. */
		if (has_bad_escape(in, inl))
			assert_true(def & MF_DEFECT_BIT(MF_D_QP_INVALID));
		else
			assert_false(def & MF_DEFECT_BIT(MF_D_QP_INVALID));
		free(got);
		mf_buf_free(w);
	}
	tj_free(root);
}

/* ---------------------------------------------------------------------- */
/* Encoding: exact outputs                                                 */
/* ---------------------------------------------------------------------- */

static void
test_encode_cases(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *cs;
		unsigned flags;
		size_t col, width;
		const char *want;
	} t[] = {
	    {S(""), NULL, 0, 0, 76, ""},
	    {S("hello world"), NULL, 0, 9, 76, "hello world"},
	    {S("Gr\xc3\xbc\xc3\x9f" "e aus Z\xc3\xbcrich"), NULL, 0, 9, 76,
	     "=?utf-8?B?R3LDvMOfZQ==?= aus =?utf-8?Q?Z=C3=BCrich?="},
	    /* adjacent words share a word, the space encoded */
	    {S("caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e"), NULL,
	     MF_EW_Q, 0, 76,
	     "=?utf-8?Q?caf=C3=A9_cr=C3=A8me_br=C3=BBl=C3=A9e?="},
	    {S("caf\xc3\xa9 cr\xc3\xa8me"), "latin1", 0, 0, 76,
	     "=?iso-8859-1?Q?caf=E9_cr=E8me?="},
	    {S("caf\xc3\xa9"), NULL, MF_EW_B, 0, 76, "=?utf-8?B?Y2Fmw6k=?="},
	    /* a word that looks like an encoded word is encoded */
	    {S("a =?x?q?y?= b"), NULL, 0, 0, 76, "a =?utf-8?B?PT94P3E/eT89?= b"},
	    /* controls are encoded, so no line break can be injected */
	    {S("a\r\nBcc: x"), NULL, MF_EW_Q, 0, 76,
	     "=?utf-8?Q?a=0D=0ABcc:?= x"},
	    /* whitespace kept: leading, trailing, tabs, runs */
	    {S(" \tx  \xc3\xa9 "), NULL, MF_EW_Q, 0, 76,
	     " \tx  =?utf-8?Q?=C3=A9?= "},
	    /* phrase: Q keeps only the RFC 2047 5(3) characters */
	    {S("J\xc3\xb6rg (M\xc3\xbcller)"), NULL, MF_EW_Q | MF_EW_PHRASE,
	     0, 76, "=?utf-8?Q?J=C3=B6rg_=28M=C3=BCller=29?="},
	    {S("J\xc3\xb6rg (M\xc3\xbcller)"), NULL, MF_EW_Q, 0, 76,
	     "=?utf-8?Q?J=C3=B6rg_(M=C3=BCller)?="},
	    /* not representable in latin1: UTF-8 for that run */
	    {S("caf\xc3\xa9 \xe6\x9d\xb1"), "iso-8859-1", MF_EW_Q, 0, 76,
	     "=?utf-8?Q?caf=C3=A9_=E6=9D=B1?="},
	    /* folding: long plain text, and a run split into words */
	    {S("aaaa bbbb cccc dddd"), NULL, 0, 0, 10,
	     "aaaa bbbb\r\n cccc dddd"},
	    {S("aaaa bbbb cccc dddd"), NULL, MF_LF, 0, 10,
	     "aaaa bbbb\n cccc dddd"},
	    {S("\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0"
	       "\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96"
	       "\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0"
	       "\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96"
	       "\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0\x96\xd0"
	       "\x96\xd0\x96\xd0\x96"),
	     NULL, 0, 9, 76,
	     /* the first word holds a multiple of 3 bytes: no padding but
	      * in the last word of the run (GMime joins B words) */
	     "=?utf-8?B?0JbQltCW0JbQltCW0JbQltCW0JbQltCW0JbQltCW0JbQltCW?="
	     "\r\n =?utf-8?B?0JbQltCW0JbQltCW0JbQltCW0JbQltCW0JbQltCW0JbQltCW"
	     "0JbQltCW0JY=?="},
	    /* "Привет" cut where the bytes are a multiple of 3 (GMime read
	     * "=?utf-8?B?0J/RgA==?= =?utf-8?B?0LjQstC10YI=?=" as "Пр") */
	    {S("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"), NULL,
	     MF_LF, 52, 76,
	     "=?utf-8?B?0J/RgNC4?=\n =?utf-8?B?0LLQtdGC?="},
	    /* no such cut in the room (4- and 2-byte characters alternating
	     * after one 4-byte one): that word is Q */
	    {S("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xd0\xb4\xf0\x9f\x98\x80"
	       "\xd0\xb4"), NULL, MF_LF, 50, 76,
	     "=?utf-8?Q?=F0=9F=98=80?=\n =?utf-8?B?8J+YgNC08J+YgNC0?="},
	    /* B forced: padding accepted */
	    {S("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"), NULL,
	     MF_LF | MF_EW_B, 52, 76,
	     "=?utf-8?B?0J/RgNC40LI=?=\n =?utf-8?B?0LXRgg==?="},
	    /* phrase: one word when it fits, whatever the column */
	    {S("\xce\x95\xce\xbb\xce\xad\xce\xbd\xce\xb7"), NULL,
	     MF_EW_PHRASE, 70, 76, "=?utf-8?B?zpXOu86tzr3Otw==?="},
	    /* phrase too long for one word: split after the text's own
	     * spaces, encoded at the end of the word before (readers drop
	     * the space between words); a B word before a split holds a
	     * multiple of 3 bytes, else it is Q */
	    {S("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82"
	       "\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
	       "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98"
	       "\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80"
	       "\xd0\xbe\xd0\xb2"), NULL,
	     MF_EW_PHRASE | MF_LF, 4, 76,
	     "=?utf-8?Q?=D0=98=D0=B2=D0=B0=D0=BD_=D0=9F=D0=B5=D1=82=D1=80=D0=BE"
	     "=D0=B2_?=\n =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCyINCY0LLQsNC9INCf"
	     "0LXRgtGA0L7Qsg==?="},
	    /* the same two names: one word (45 octets in B) */
	    {S("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82"
	       "\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
	       "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2"), NULL,
	     MF_EW_PHRASE | MF_LF, 4, 76,
	     "=?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCyINCY0LLQsNC9INCf0LXRgtGA0L7Qsg==?="},
	    /* no folding at all with width 0 */
	    {S("aaaa bbbb cccc dddd"), NULL, 0, 70, 0, "aaaa bbbb cccc dddd"},
	    /* invalid UTF-8 is encoded as U+FFFD */
	    {S("a\xff"), NULL, MF_EW_Q, 0, 76, "=?utf-8?Q?a=EF=BF=BD?="},
	    /* utf-16 words: big-endian without byte order mark, and say so
	     * (RFC 2781 3.2: an unmarked "utf-16" is read either way) */
	    {S("\xc3\xa9"), "utf-16", MF_EW_B, 0, 76, "=?utf-16be?B?AOk=?="},
	    {S("\xef\xbf\xbd\xf0\x90\x8c\x8c"), "utf-16", MF_EW_Q, 0, 76,
	     "=?utf-16be?Q?=FF=FD=D8=00=DF=0C?="},
	    {S("\xc3\xa9"), "utf-32", MF_EW_B, 0, 76,
	     "=?utf-32be?B?AAAA6Q==?="},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		size_t gl;
		char label[32];
		char *got = enc(t[i].in, t[i].n, t[i].cs, t[i].flags, t[i].col,
				t[i].width, &gl);

		snprintf(label, sizeof(label), "encode case %zu", i);
		tu_assert_str(got, t[i].want, label);
		free(got);
	}
}

/* ---------------------------------------------------------------------- */
/* Encoding: properties                                                    */
/* ---------------------------------------------------------------------- */

static int
wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* The test's own statement of which words need encoding. */
static int
word_needs(const char *w, size_t n)
{
	size_t k;

	if (n > 997)
		return 1;
	for (k = 0; k < n; k++) {
		unsigned char c = (unsigned char)w[k];
		if (c >= 0x80 || c < 0x20 || c == 0x7F)
			return 1;
		if (c == '=' && k + 1 < n && w[k + 1] == '?')
			return 1;
	}
	return 0;
}

/* Appends the words of p[0..n) that need no encoding, NUL-separated. */
static void
plain_words(mf_buf *b, const char *p, size_t n, int skip_ew)
{
	size_t i = 0;

	while (i < n) {
		size_t w;

		while (i < n && (wsp(p[i]) || (skip_ew && (p[i] == '\r' ||
							   p[i] == '\n'))))
			i++;
		w = i;
		while (i < n && !wsp(p[i]) &&
		       !(skip_ew && (p[i] == '\r' || p[i] == '\n')))
			i++;
		if (i == w)
			break;
		if (skip_ew ? !(i - w >= 2 && p[w] == '=' && p[w + 1] == '?')
			    : !word_needs(p + w, i - w)) {
			assert_int_equal(mf_buf_append(b, p + w, i - w), MF_OK);
			assert_int_equal(mf_buf_append(b, "", 1), MF_OK);
		}
	}
}

/*
 * Checks the encoding e of x: it decodes back to x without defects; it is
 * ASCII; line ends are folds; each line fits the width unless it holds a
 * single token; each encoded word is at most 75 characters, in Q holds
 * only allowed characters, and decodes alone to whole characters; the
 * words that need no encoding are there as they were.
 */
static void
check_encoding(const char *x, size_t xn, const char *e, size_t en,
	       unsigned flags, size_t col, size_t width, const char *label)
{
	size_t i, line = 0, ll = col, tokens = 0;
	uint64_t def = 0;
	size_t dl;
	mf_opts o;
	char *d;
	mf_buf *pw = mf_buf_new(NULL), *pe = mf_buf_new(NULL);

	memset(&o, 0, sizeof(o));
	o.limits.max_encoded_words = SIZE_MAX; /* the hard cap */
	d = dec_o(e, en, &o, &def, &dl);
	if (def != 0) {
		fprintf(stderr, "%s: defects %llx in\n", label,
			(unsigned long long)def);
		tu_print_escaped(e, en, 400);
		fail();
	}
	tu_assert_mem(d, dl, x, xn, label);
	free(d);
	for (i = 0; i <= en; i++) {
		char c = i < en ? e[i] : '\n';

		if (i < en && (unsigned char)c >= 0x80)
			fail_msg("%s: 8-bit byte at %zu", label, i);
		if (c == '\r') {
			if ((flags & MF_LF) || i + 2 >= en ||
			    e[i + 1] != '\n' || !wsp(e[i + 2]))
				fail_msg("%s: CR at %zu is no fold", label, i);
			continue;
		}
		if (c == '\n') {
			size_t end = i, k = i;

			if (i < en && (i + 1 >= en || !wsp(e[i + 1])))
				fail_msg("%s: LF at %zu is no fold", label, i);
			if (i < en && !(flags & MF_LF) && e[i - 1] != '\r')
				fail_msg("%s: bare LF at %zu", label, i);
			/* the last line's trailing whitespace aside */
			if (i == en)
				while (k > 0 && wsp(e[k - 1]) && ll > 0) {
					k--;
					ll--;
				}
			(void)end;
			if (width && ll > width && tokens > 1)
				fail_msg("%s: line %zu is %zu > %zu with %zu "
					 "tokens",
					 label, line, ll, width, tokens);
			line++;
			ll = 0;
			tokens = 0;
			continue;
		}
		ll++;
		if (!wsp(c) && (i == 0 || wsp(e[i - 1]) || e[i - 1] == '\n'))
			tokens++;
	}
	/* Encoded words. */
	for (i = 0; i + 1 < en; i++) {
		size_t k, q1, q2, q3;
		uint64_t wd = 0;
		char *one;

		if (!(e[i] == '=' && e[i + 1] == '?' &&
		      (i == 0 || wsp(e[i - 1]))))
			continue;
		for (k = i; k < en && !wsp(e[k]) && e[k] != '\r' &&
			    e[k] != '\n';
		     k++)
			;
		if (k - i > 75)
			fail_msg("%s: encoded word of %zu chars", label, k - i);
		q1 = i + 2;
		while (e[q1] != '?')
			q1++;
		q2 = q1 + 2;
		q3 = k - 2;
		assert_true(e[q2] == '?' && e[q3] == '?' && e[k - 1] == '=');
		if (e[q1 + 1] == 'Q' && (flags & MF_EW_PHRASE)) {
			size_t t;
			for (t = q2 + 1; t < q3; t++) {
				char c = e[t];
				if (!(mf__is((unsigned char)c,
					     MF__C_ALPHA | MF__C_DIGIT) ||
				      strchr("!*+-/=_", c) != NULL))
					fail_msg("%s: '%c' in a phrase word",
						 label, c);
			}
		}
		/* B padding only in the last word of a run of encoded
		 * words (GMime joins the base64 of adjacent B words) */
		if (e[q1 + 1] == 'B' && !(flags & MF_EW_B) && e[q3 - 1] == '=') {
			size_t t = k;

			while (t < en && (wsp(e[t]) || e[t] == '\r' ||
					  e[t] == '\n'))
				t++;
			if (t + 1 < en && e[t] == '=' && e[t + 1] == '?' &&
			    t > k)
				fail_msg("%s: padded B word at %zu before "
					 "another encoded word",
					 label, i);
		}
		one = dec(e + i, k - i, &wd, &dl);
		if (wd != 0 || !mf__utf8_valid(one, dl))
			fail_msg("%s: word at %zu alone does not decode to "
				 "whole characters",
				 label, i);
		free(one);
		i = k;
	}
	/* Only the words that need it are encoded. */
	plain_words(pw, x, xn, 0);
	plain_words(pe, e, en, 1);
	tu_assert_mem(mf_buf_data(pe), mf_buf_len(pe), mf_buf_data(pw),
		      mf_buf_len(pw), label);
	mf_buf_free(pw);
	mf_buf_free(pe);
}

static void
round_trip(const char *x, size_t xn, const char *cs, unsigned flags,
	   size_t col, size_t width, const char *what)
{
	char label[128];
	size_t el;
	char *e = enc(x, xn, cs, flags, col, width, &el);

	snprintf(label, sizeof(label), "%s cs=%s flags=%x col=%zu width=%zu",
		 what, cs ? cs : "-", flags, col, width);
	check_encoding(x, xn, e, el, flags, col, width, label);
	free(e);
}

static const char *const pieces[] = {
    "a", "hello", "Re:", "x=y", "what?", "_under_", "(paren)", "\"q\"",
    "=?", "?=", "=?utf-8?q?x?=", "\xc3\xa9", "Gr\xc3\xbc\xc3\x9f" "e",
    "\xe6\x9d\xb1\xe4\xba\xac", "\xf0\x9f\x98\x80", "\r\n", "\x01", "=",
    "?", "_", "\xc2\xa0",
    "supercalifragilisticexpialidocious-and-then-some-more-text-here",
    "\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0"
    "\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6"
    "\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0"
    "\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6\xd0\xb6",
};
static const char *const seps[] = {" ", " ", " ", "  ", "\t", " \t ", ""};

/* Random text from the pieces above (seeded, so failures repeat). */
static size_t
random_text(tu_rng *r, char *buf, size_t cap)
{
	size_t n = 0, k, count = tu_rng_below(r, 16);

	if (tu_rng_below(r, 4) == 0)
		buf[n++] = ' ';
	for (k = 0; k < count; k++) {
		const char *p = pieces[tu_rng_below(r, N(pieces))];
		const char *s = seps[tu_rng_below(r, N(seps))];

		if (n + strlen(p) + strlen(s) + 2 >= cap)
			break;
		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
		if (k + 1 < count) {
			memcpy(buf + n, s, strlen(s));
			n += strlen(s);
		}
	}
	if (tu_rng_below(r, 4) == 0)
		buf[n++] = '\t';
	return n;
}

static void
test_round_trip_random(void **state)
{
	static const unsigned fl[] = {0, MF_EW_Q, MF_EW_B, MF_EW_PHRASE,
				      MF_LF};
	static const size_t widths[] = {76, 0, 40};
	char buf[1024];
	tu_rng r;
	int round, rounds = tu_slow_ok() ? 60 : 6;
	size_t f, w, col;

	(void)state;
	tu_rng_seed(&r, 2047);
	for (round = 0; round < rounds; round++) {
		size_t n = random_text(&r, buf, sizeof(buf));

		for (f = 0; f < N(fl); f++)
			for (w = 0; w < N(widths); w++)
				for (col = 0; col <= 80; col++)
					round_trip(buf, n, NULL, fl[f], col,
						   widths[w], "random");
	}
}

/* Random UTF-8 characters of every length, every start column. */
static void
test_round_trip_chars(void **state)
{
	char buf[512];
	tu_rng r;
	int round, rounds = tu_slow_ok() ? 100 : 10;
	size_t col;

	(void)state;
	tu_rng_seed(&r, 3629);
	for (round = 0; round < rounds; round++) {
		size_t n = 0;

		while (n < 200) {
			uint32_t cp;
			mf_buf *b = mf_buf_new(NULL);

			switch (tu_rng_below(&r, 5)) {
			case 0:
				cp = 0x20 + (uint32_t)tu_rng_below(&r, 0x5F);
				break;
			case 1:
				cp = 0x80 + (uint32_t)tu_rng_below(&r, 0x780);
				break;
			case 2:
				cp = 0x800 + (uint32_t)tu_rng_below(&r, 0xD000);
				break;
			case 3:
				cp = 0x10000 +
				     (uint32_t)tu_rng_below(&r, 0x100000);
				break;
			default:
				cp = ' ';
				break;
			}
			assert_int_equal(mf__utf8_put(b, cp), MF_OK);
			memcpy(buf + n, mf_buf_data(b), mf_buf_len(b));
			n += mf_buf_len(b);
			mf_buf_free(b);
		}
		for (col = 0; col <= 80; col++) {
			round_trip(buf, n, NULL, 0, col, 76, "chars");
			round_trip(buf, n, NULL, MF_EW_Q, col, 76, "chars");
			round_trip(buf, n, NULL, MF_EW_B, col, 76, "chars");
		}
	}
}

/* The GMime texts (decoded) encode back, in UTF-8 and their charsets. */
static void
test_round_trip_gmime(void **state)
{
	static const char *const tables[] = {"rfc2047_text",
					     "broken_rfc2047_text"};
	static const char *const cs[] = {NULL, "iso-8859-1", "iso-8859-2",
					 "iso-8859-5", "windows-1250",
					 "koi8-r"};
	tj *root = tj_load("corpus/vectors/gmime/test-mime.json");
	size_t t, i, c, col;

	(void)state;
	for (t = 0; t < N(tables); t++) {
		tj *ent = tj_get(tj_get(tj_path(root, "tables"), tables[t]),
				 "entries");
		for (i = 0; i < ent->len; i++) {
			size_t xl;
			const char *x =
			    tj_bytes(tj_get(tj_at(ent, i), "decoded"), &xl);

			for (c = 0; c < N(cs); c++)
				for (col = 0; col <= 80; col += 7)
					round_trip(x, xl, cs[c], 0, col, 76,
						   tables[t]);
		}
	}
	tj_free(root);
}

#if MF_HAVE_ICONV
static void
test_encode_iconv(void **state)
{
	static const char jp[] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3"
				 "\x81\xae\xe4\xbb\xb6\xe5\x90\x8d test "
				 "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88";
	size_t col;
	size_t el;
	char *e;

	(void)state;
	for (col = 0; col <= 80; col += 5) {
		round_trip(jp, sizeof(jp) - 1, "iso-2022-jp", 0, col, 76,
			   "jp");
		round_trip(jp, sizeof(jp) - 1, "shift_jis", 0, col, 76, "jp");
		round_trip(jp, sizeof(jp) - 1, "euc-jp", MF_EW_Q, col, 40,
			   "jp");
	}
	e = enc(jp, sizeof(jp) - 1, "iso-2022-jp", MF_EW_B, 0, 76, &el);
	assert_non_null(strstr(e, "=?iso-2022-jp?B?"));
	free(e);
}
#endif

/* ---------------------------------------------------------------------- */
/* OOM, guard pages, hostile input                                         */
/* ---------------------------------------------------------------------- */

struct oom_case {
	const char *in;
	size_t n;
	int encode;
	const char *cs;
	unsigned flags;
};

static int
oom_fn(const mf_alloc *a, void *ctx)
{
	const struct oom_case *c = ctx;
	mf_buf *b = mf_buf_new(a);
	int rc;

	if (b == NULL)
		return MF_E_NOMEM;
	rc = mf_buf_append(b, "pre", 3);
	if (rc != MF_OK) {
		mf_buf_free(b);
		return rc;
	}
	rc = c->encode ? mf_ew_encode(b, c->in, c->n, c->cs, c->flags, 10, 76)
		       : mf_ew_decode(b, c->in, c->n, NULL, NULL, NULL);
	if (rc == MF_E_NOMEM && mf_buf_len(b) != 3)
		rc = MF_E_INVAL;
	mf_buf_free(b);
	return rc;
}

static void
test_oom(void **state)
{
	static char big[4000];
	size_t i, k;
	struct oom_case t[] = {
	    {S("plain"), 0, NULL, 0},
	    {S("a =?utf-8?q?=C3=A9?= =?utf-8?b?w6k=?= b"), 0, NULL, 0},
	    {S("=?iso-8859-1?q?=E9?= =?koi8-r?b?98XS?="), 0, NULL, 0},
	    {S("=?utf-8?b?////?="), 0, NULL, 0},
	    {S("=?utf-9?q?x=E9?="), 0, NULL, 0},
	    {S("a\0b =?utf-8?q?=00?="), 0, NULL, 0},
	    {S("caf\xe9 \r\n x"), 0, NULL, 0},
	    {big, 0, 0, NULL, 0},
	    {S("Gr\xc3\xbc\xc3\x9f" "e aus Z\xc3\xbcrich"), 1, NULL, 0},
	    {S("caf\xc3\xa9 cr\xc3\xa8me"), 1, "latin1", 0},
	    {S("caf\xc3\xa9 \xe6\x9d\xb1"), 1, "latin1", 0},
	    {S("a\xff b \xc3\xa9"), 1, NULL, MF_EW_B},
	    /* a phrase split after its spaces, B and Q pieces */
	    {S("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82"
	       "\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
	       "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98"
	       "\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80"
	       "\xd0\xbe\xd0\xb2"), 1, NULL, MF_EW_PHRASE},
#if MF_HAVE_ICONV
	    {S("=?shift_jis?b?gqA=?="), 0, NULL, 0},
	    {S("\xe6\x97\xa5\xe6\x9c\xac"), 1, "iso-2022-jp", 0},
#endif
	};

	(void)state;
	/* A long group in a single-byte charset takes the heap scratch. */
	k = 0;
	for (i = 0; k + 20 < sizeof(big); i++) {
		memcpy(big + k, "=?latin1?q?=E9=E8?= ", 20);
		k += 20;
	}
	t[7].n = k;
	for (i = 0; i < N(t); i++)
		assert_true(tu_oom_loop(oom_fn, &t[i]) >= 1);
}

static void
test_guard_pages(void **state)
{
	static const char *const ins[] = {
	    "",	     "=",	 "=?",		"=?u",	      "=?utf-8",
	    "=?utf-8?", "=?utf-8?q", "=?utf-8?q?", "=?utf-8?q?a", "=?utf-8?q?a?",
	    "=?utf-8?q?a=", "=?utf-8?q?=C", "=?utf-8?b?w6", "a\r", "a\r\n",
	    "a\n",	 "=?utf-8?q?a?=", "=?utf-8?q?a?= ", "x\xc3", "x\xe9",
	    "=?utf-8*",
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(ins); i++) {
		tu_guard g;
		size_t n = strlen(ins[i]);
		const char *p = tu_guard_new(&g, ins[i], n);
		mf_buf *b = mf_buf_new(NULL);

		assert_int_equal(mf_ew_decode(b, p, n, NULL, NULL, NULL),
				 MF_OK);
		assert_true(mf__utf8_valid(mf_buf_data(b), mf_buf_len(b)));
		mf_buf_clear(b);
		assert_int_equal(mf_ew_encode(b, p, n, NULL, 0, 0, 76), MF_OK);
		mf_buf_free(b);
		tu_guard_free(&g);
	}
}

/* Inputs built to make a naive scanner quadratic finish quickly. */
static void
test_hostile(void **state)
{
	static const char *const units[] = {"=?a?q?", "=?", "=?a?q?x?=",
					    "=?utf-8?b?", "?", "=?a?q?\r\n",
					    "=?utf-8?q?a?==?utf-8?q?b?="};
	size_t i, k, n = (size_t)256 * 1024;
	char *in = malloc(n);

	(void)state;
	assert_non_null(in);
	for (i = 0; i < N(units); i++) {
		size_t ul = strlen(units[i]), ol;
		uint64_t def = 0;
		char *out;

		for (k = 0; k + ul <= n; k += ul)
			memcpy(in + k, units[i], ul);
		out = dec(in, k, &def, &ol);
		assert_true(mf__utf8_valid(out, ol));
		free(out);
	}
	/* One word with a huge text, and a huge encode. */
	memcpy(in, "=?utf-8?q?", 10);
	memset(in + 10, 'a', n - 12);
	memcpy(in + n - 2, "?=", 2);
	{
		uint64_t def = 0;
		size_t ol;
		char *out = dec(in, n, &def, &ol);

		assert_int_equal(ol, n - 12);
		assert_true(def == MF_DEFECT_BIT(MF_D_EW_LENIENT));
		free(out);
		for (k = 0; k + 2 <= n; k += 2)
			memcpy(in + k, "\xc3\xa9", 2);
		round_trip(in, k, NULL, 0, 0, 76, "huge");
	}
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc2047_examples),
	    cmocka_unit_test(test_decode_cases),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_gmime_rfc2047_text),
	    cmocka_unit_test(test_gmime_broken),
	    cmocka_unit_test(test_dovecot_header_decode),
	    cmocka_unit_test(test_dovecot_q),
	    cmocka_unit_test(test_encode_cases),
	    cmocka_unit_test(test_round_trip_random),
	    cmocka_unit_test(test_round_trip_chars),
	    cmocka_unit_test(test_round_trip_gmime),
#if MF_HAVE_ICONV
	    cmocka_unit_test(test_encode_iconv),
#endif
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_guard_pages),
	    cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
