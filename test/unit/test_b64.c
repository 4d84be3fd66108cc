/* SPDX-License-Identifier: MIT */
/*
 * test_b64.c - base64: RFC 4648 vectors, the line and padding rules, every
 * defect and error with its offset, the third-party encoder pairs, round
 * trips over seeded random input, streaming == one-shot for every split,
 * every code path against the scalar one, guard pages and short buffers.
 * Nothing in the codec allocates, so there is no OOM loop here.
 */
#include "tcodec.h"

#include "b64.h"

/* ---------------------------------------------------------------------- */

/* RFC 4648 section 10. */
static void
test_rfc4648(void **state)
{
	static const struct {
		const char *raw, *enc;
	} v[] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (p = 0; p < NPATHS; p++) {
			char out[64], label[64];
			size_t len = 99;
			uint64_t def = 1;
			mf_error e;

			snprintf(label, sizeof(label), "case %zu path %d", i,
			         p);
			assert_int_equal(
			    mf__b64_encode_path(paths[p], out, sizeof(out),
			                        v[i].raw, strlen(v[i].raw), 0,
			                        0, &len),
			    MF_OK);
			tu_assert_mem(out, len, v[i].enc, strlen(v[i].enc),
			              label);
			assert_int_equal(
			    mf_b64_encoded_len(strlen(v[i].raw), 0, 0),
			    strlen(v[i].enc));
			assert_int_equal(
			    mf__b64_decode_path(paths[p], out, sizeof(out),
			                        v[i].enc, strlen(v[i].enc),
			                        MF_STRICT, &len, &def, &e),
			    MF_OK);
			tu_assert_mem(out, len, v[i].raw, strlen(v[i].raw),
			              label);
			assert_true(def == 0);
		}
	}
}

static void
test_encoded_len(void **state)
{
	static const struct {
		size_t n, line;
		unsigned flags;
		size_t want;
	} v[] = {
	    {0, 0, 0, 0},
	    {0, 76, 0, 0},
	    {1, 0, 0, 4},
	    {1, 76, 0, 6},
	    {1, 76, MF_LF, 5},
	    {57, 76, 0, 78},           /* exactly one full line */
	    {58, 76, 0, 4 * 20 + 4},   /* 80 chars: two lines */
	    {114, 76, MF_LF, 154}, /* two full lines */
	    {3, 1, 0, 6},              /* line_len 1 -> 4 */
	    {3, 3, MF_LF, 5},
	    {6, 7, 0, 12},          /* 7 -> 4: two lines */
	    {6, 77, 0, 10},         /* 77 -> 76 */
	    {10, 8, 0, 16 + 2 * 2}, /* 16 chars, lines of 8 */
	    {(size_t)-1, 0, 0, SIZE_MAX},
	    {(size_t)-1 / 4 * 3, 76, 0, SIZE_MAX},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t got = mf_b64_encoded_len(v[i].n, v[i].line, v[i].flags);
		if (got != v[i].want)
			fail_msg("case %zu: got %zu want %zu", i, got,
			         v[i].want);
	}
	/* Decoded bound: floor(3 (n + 3) / 4), and never overflows. */
	assert_int_equal(mf_b64_decoded_len(0), 2);
	assert_int_equal(mf_b64_decoded_len(1), 3);
	assert_int_equal(mf_b64_decoded_len(4), 5);
	assert_int_equal(mf_b64_decoded_len(8), 8);
	assert_true(mf_b64_decoded_len(SIZE_MAX) < SIZE_MAX);
}

/* Line structure: lines of exactly line_len characters but the last. */
static void
check_lines(const char *p, size_t n, size_t line, unsigned flags,
            const char *label)
{
	size_t i = 0, eol = (flags & MF_LF) ? 1 : 2;

	if (line == 0) {
		assert_null(memchr(p, '\n', n));
		assert_null(memchr(p, '\r', n));
		return;
	}
	line = line / 4 * 4;
	if (line < 4)
		line = 4;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len;
		if (nl == NULL)
			fail_msg("%s: last line without line end", label);
		len = (size_t)(nl - (p + i)) + 1 - eol;
		if (eol == 2 && p[i + len] != '\r')
			fail_msg("%s: line end is not CRLF", label);
		if (len > line || len == 0 || (len < line && nl + 1 != p + n))
			fail_msg("%s: line of %zu chars (line_len %zu)", label,
			         len, line);
		i = (size_t)(nl - p) + 1;
	}
}

static void
test_encode_lines(void **state)
{
	static const size_t lines[] = {0, 1, 4, 5, 7, 8, 13, 64, 76, 77, 100};
	unsigned char raw[700];
	tu_rng r;
	size_t n, li;
	unsigned fl;

	(void)state;
	tu_rng_seed(&r, 2045);
	tu_rng_fill(&r, raw, sizeof(raw));
	for (li = 0; li < sizeof(lines) / sizeof(lines[0]); li++) {
		for (fl = 0; fl <= MF_LF; fl += MF_LF) {
			for (n = 0; n < sizeof(raw); n += 1 + n / 8) {
				size_t cap =
				    mf_b64_encoded_len(n, lines[li], fl);
				char *enc = malloc(cap + 1);
				unsigned char *dec = malloc(n + 8);
				size_t len = 0, dlen = 0;
				uint64_t def = 1;
				char label[80];

				snprintf(label, sizeof(label),
				         "n %zu line %zu flags %u", n,
				         lines[li], fl);
				assert_int_equal(mf_b64_encode(enc, cap, raw, n,
				                               lines[li], fl,
				                               &len),
				                 MF_OK);
				assert_int_equal(len, cap);
				check_lines(enc, len, lines[li], fl, label);
				assert_int_equal(
				    mf_b64_decode(dec, n + 8, enc, len,
				                  MF_STRICT, &dlen, &def,
				                  NULL),
				    MF_OK);
				tu_assert_mem(dec, dlen, raw, n, label);
				assert_true(def == 0);
				/* One byte less does not fit. */
				if (cap > 0)
					assert_int_equal(
					    mf_b64_encode(enc, cap - 1, raw, n,
					                  lines[li], fl, &len),
					    MF_E_NOSPC);
				free(enc);
				free(dec);
			}
		}
	}
}

/*
 * Decoding table: lenient output and defect, then the strict code and
 * offset of the same input.
 */
static void
test_decode_table(void **state)
{
	static const struct {
		const char *in;
		size_t n; /* 0: strlen */
		const char *want;
		int defect;  /* lenient: MF_D_B64_JUNK recorded */
		int src;     /* strict rc */
		size_t soff; /* strict offset */
	} v[] = {
	    {"", 0, "", 0, MF_OK, 0},
	    {"Zm9v\r\nYmFy\r\n", 0, "foobar", 0, MF_OK, 0},
	    {"Zm9v\nYmFy", 0, "foobar", 0, MF_OK, 0},
	    {" Z m 9 v\tYm\r\nFy ", 0, "foobar", 0, MF_OK, 0},
	    {"Zg==\r\n", 0, "f", 0, MF_OK, 0},
	    {"Zg= =", 0, "f", 0, MF_OK, 0},
	    {"Zg=\r\n=", 0, "f", 0, MF_OK, 0},
	    /* junk */
	    {"Zm9v!YmFy", 0, "foobar", 1, MF_E_SYNTAX, 4},
	    {"Zm!9vYmFy", 0, "foobar", 1, MF_E_SYNTAX, 2},
	    {"Zm9vYmFy\x80", 0, "foobar", 1, MF_E_SYNTAX, 8},
	    {"Zm9v\0YmFy", 9, "foobar", 1, MF_E_SYNTAX, 4},
	    {"-_Zm9v", 0, "foo", 1, MF_E_SYNTAX, 0},
	    {"Zm9v\fYmFy", 0, "foobar", 1, MF_E_SYNTAX, 4},
	    /* padding */
	    {"=Zm9v", 0, "foo", 1, MF_E_SYNTAX, 0},
	    {"Zg===", 0, "f", 1, MF_E_SYNTAX, 4},
	    {"Zm8==", 0, "fo", 1, MF_E_SYNTAX, 4},
	    {"Zg=Zm9v", 0, "ffoo", 1, MF_E_SYNTAX, 3},
	    {"Zg==Zm8=", 0, "ffo", 1, MF_E_SYNTAX, 4},
	    {"Zm8=\r\nZm9v\r\n", 0, "fofoo", 1, MF_E_SYNTAX, 6},
	    {"Z=m9v", 0, "\x9b\xdb", 1, MF_E_SYNTAX, 1},
	    {"Zh==", 0, "f", 1, MF_E_SYNTAX, 1},
	    {"Zm9=", 0, "fo", 1, MF_E_SYNTAX, 2},
	    {"Zm9v\nZh\n==", 0, "foof", 1, MF_E_SYNTAX, 6},
	    /* text after the padding ends the data (a list footer) */
	    {"Zg==\n\n___\nList Zm9v\n", 0, "f", 1, MF_E_SYNTAX, 6},
	    {"Zm8=\r\n-- \r\nsig", 0, "fo", 1, MF_E_SYNTAX, 6},
	    {"Zg=.Zm9v", 0, "f", 1, MF_E_SYNTAX, 3},
	    {"Zm9v.Zm9v", 0, "foofoo", 1, MF_E_SYNTAX, 4},
	    /* truncated */
	    {"Zg=", 0, "f", 1, MF_E_TRUNC, 3},
	    {"Zg", 0, "f", 1, MF_E_TRUNC, 2},
	    {"Zm8", 0, "fo", 1, MF_E_TRUNC, 3},
	    {"Zm9vZ", 0, "foo", 1, MF_E_TRUNC, 5},
	    {"Zm9vZ\r\n", 0, "foo", 1, MF_E_TRUNC, 7},
	    /* unpadded end with non-zero bits: truncation reported first */
	    {"Zh", 0, "f", 1, MF_E_TRUNC, 2},
	};
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = v[i].n ? v[i].n : strlen(v[i].in);
		for (p = 0; p < NPATHS; p++) {
			struct res a =
			    tc_decode(&mf__b64_codec, paths[p], v[i].in, n, 0);
			struct res b = tc_decode(&mf__b64_codec, paths[p],
			                         v[i].in, n, MF_STRICT);
			char label[64];

			snprintf(label, sizeof(label), "case %zu path %d", i,
			         p);
			if (a.rc != MF_OK)
				fail_msg("%s: lenient rc %d", label, a.rc);
			tu_assert_mem(a.out, a.len, v[i].want,
			              strlen(v[i].want), label);
			if ((a.defects != 0) != v[i].defect ||
			    (a.defects & ~MF_DEFECT_BIT(MF_D_B64_JUNK)))
				fail_msg("%s: defects %llx", label,
				         (unsigned long long)a.defects);
			if (b.rc != v[i].src || b.off != v[i].soff)
				fail_msg(
				    "%s: strict rc %d off %zu, want %d %zu",
				    label, b.rc, b.off, v[i].src, v[i].soff);
			res_free(&a);
			res_free(&b);
		}
	}
}

/* The defect offset and the stream state fields. */
static void
test_defect_offset(void **state)
{
	mf_b64_dec st;
	unsigned char out[32];
	size_t len;
	mf_error e;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(
	    mf_b64_dec_update(&st, out, sizeof(out), "Zm9v", 4, &len, &e),
	    MF_OK);
	assert_int_equal(
	    mf_b64_dec_update(&st, out, sizeof(out), "Zm*9v!", 6, &len, &e),
	    MF_OK);
	assert_true(st.defects == MF_DEFECT_BIT(MF_D_B64_JUNK));
	assert_int_equal(st.defect_off, 6);
	assert_int_equal(mf_b64_dec_final(&st, out, sizeof(out), &len, &e),
	                 MF_OK);
	assert_int_equal(len, 0);
	/* Finished: more input is a state error. */
	assert_int_equal(
	    mf_b64_dec_update(&st, out, sizeof(out), "Zm9v", 4, &len, &e),
	    MF_E_STATE);
	assert_int_equal(mf_b64_dec_final(&st, out, sizeof(out), &len, &e),
	                 MF_E_STATE);

	/* Strict errors stick, with the offset in the whole stream. */
	memset(&st, 0, sizeof(st));
	st.flags = MF_STRICT;
	assert_int_equal(
	    mf_b64_dec_update(&st, out, sizeof(out), "Zm9vYm", 6, &len, &e),
	    MF_OK);
	assert_int_equal(len, 3);
	assert_int_equal(
	    mf_b64_dec_update(&st, out, sizeof(out), "Fy#", 3, &len, &e),
	    MF_E_SYNTAX);
	assert_int_equal(e.offset, 8);
	assert_int_equal(len, 3); /* "bar" before the bad byte */
	assert_non_null(e.reason);
	memset(&e, 0, sizeof(e));
	assert_int_equal(
	    mf_b64_dec_update(&st, out, sizeof(out), "Zm9v", 4, &len, &e),
	    MF_E_SYNTAX);
	assert_int_equal(e.offset, 8);
	assert_int_equal(mf_b64_dec_final(&st, out, sizeof(out), &len, &e),
	                 MF_E_SYNTAX);
	assert_int_equal(e.offset, 8);
}

static void
test_bad_args(void **state)
{
	char out[16];
	size_t len;
	mf_b64_enc es;
	mf_b64_dec ds;
	mf_error e;

	(void)state;
	assert_int_equal(mf_b64_encode(out, sizeof(out), "a", 1, 0, 0x80, &len),
	                 MF_E_INVAL);
	assert_int_equal(mf_b64_encode(out, sizeof(out), NULL, 1, 0, 0, &len),
	                 MF_E_INVAL);
	assert_int_equal(mf_b64_encode(out, sizeof(out), "a", 1, 0, 0, NULL),
	                 MF_E_INVAL);
	assert_int_equal(mf_b64_encode(NULL, 0, NULL, 0, 76, 0, &len), MF_OK);
	assert_int_equal(len, 0);
	assert_int_equal(
	    mf_b64_decode(out, sizeof(out), "Zg==", 4, 0x100, &len, NULL, &e),
	    MF_E_INVAL);
	assert_int_equal(e.code, MF_E_INVAL);
	assert_int_equal(
	    mf_b64_decode(out, sizeof(out), NULL, 4, 0, &len, NULL, NULL),
	    MF_E_INVAL);
	assert_int_equal(mf_b64_decode(NULL, 0, NULL, 0, 0, &len, NULL, NULL),
	                 MF_OK);
	assert_int_equal(len, 0);
	assert_int_equal(mf_b64_enc_init(&es, 76, 0), MF_OK);
	assert_int_equal(mf_b64_enc_update(&es, out, sizeof(out), "a", 1, NULL),
	                 MF_E_INVAL);
	assert_int_equal(mf_b64_enc_final(NULL, out, sizeof(out), &len),
	                 MF_E_INVAL);
	memset(&ds, 0, sizeof(ds));
	assert_int_equal(mf_b64_dec_update(&ds, NULL, 4, "Zg==", 4, &len, NULL),
	                 MF_E_INVAL);
	assert_int_equal(mf_b64_dec_final(&ds, out, sizeof(out), NULL, NULL),
	                 MF_E_INVAL);
}

/* Short buffers: MF_E_NOSPC and nothing consumed; exact fits work. */
static void
test_nospc(void **state)
{
	const char *in = "Zm9vYmFy\r\nZm9vYmFy\r\nZg=";
	size_t n = strlen(in), want_len = 13, cap;
	unsigned char out[64];
	size_t len;
	mf_error e;
	int p;

	(void)state;
	for (p = 0; p < NPATHS; p++) {
		for (cap = 0; cap < want_len; cap++)
			assert_int_equal(mf__b64_decode_path(paths[p], out, cap,
			                                     in, n, 0, &len,
			                                     NULL, &e),
			                 MF_E_NOSPC);
		assert_int_equal(mf__b64_decode_path(paths[p], out, want_len,
		                                     in, n, 0, &len, NULL, &e),
		                 MF_OK);
		tu_assert_mem(out, len, "foobarfoobarf", 13, "exact cap");
	}
	/* Streaming: a failed update leaves the state as it was. */
	for (p = 0; p < NPATHS; p++) {
		for (cap = 0; cap <= 12; cap++) {
			mf_b64_dec st, copy;
			size_t l2 = 0;

			memset(&st, 0, sizeof(st));
			assert_int_equal(mf__b64_dec_update_path(paths[p], &st,
			                                         out, 3, "Zm9",
			                                         3, &len, &e),
			                 MF_OK);
			copy = st;
			assert_int_equal(mf__b64_dec_update_path(
			                     paths[p], &st, out, cap,
			                     "vYmFy\r\nZm9vYmFy", 15, &len, &e),
			                 cap < 12 ? MF_E_NOSPC : MF_OK);
			if (cap < 12) {
				assert_memory_equal(&st, &copy, sizeof(st));
				continue;
			}
			assert_int_equal(len, 12);
			assert_int_equal(
			    mf_b64_dec_final(&st, out + len, 0, &l2, &e),
			    MF_OK);
		}
	}
	/* Encoder update and final. */
	{
		mf_b64_enc st, copy;
		char o[32];

		assert_int_equal(mf_b64_enc_init(&st, 8, 0), MF_OK);
		copy = st;
		assert_int_equal(
		    mf_b64_enc_update(&st, o, 9, "foobar", 6, &len),
		    MF_E_NOSPC);
		assert_memory_equal(&st, &copy, sizeof(st));
		assert_int_equal(
		    mf_b64_enc_update(&st, o, 10, "foobar!", 7, &len), MF_OK);
		tu_assert_mem(o, len, "Zm9vYmFy\r\n", 10, "enc update");
		copy = st;
		assert_int_equal(mf_b64_enc_final(&st, o, 5, &len), MF_E_NOSPC);
		assert_memory_equal(&st, &copy, sizeof(st));
		assert_int_equal(mf_b64_enc_final(&st, o, 6, &len), MF_OK);
		tu_assert_mem(o, len, "IQ==\r\n", 6, "enc final");
	}
}

/* The third-party encoder pairs: decode gives exactly the other file. */
static void
test_corpus_photo(void **state)
{
	size_t bn, jn, len = 0, cap, crn;
	char *b = tu_read(
	    "corpus/mimekit/UnitTests/TestData/encoders/photo.b64", &bn);
	char *j = tu_read(
	    "corpus/mimekit/UnitTests/TestData/encoders/photo.jpg", &jn);
	char *crlf = tu_eol(b, bn, 1, &crn);
	char *buf;
	uint64_t def = 1;
	int p;

	(void)state;
	cap = mf_b64_decoded_len(crn) + bn;
	buf = malloc(cap);
	assert_non_null(buf);
	for (p = 0; p < NPATHS; p++) {
		assert_int_equal(mf__b64_decode_path(paths[p], buf, cap, b, bn,
		                                     MF_STRICT, &len, &def,
		                                     NULL),
		                 MF_OK);
		tu_assert_mem(buf, len, j, jn, "photo.b64 decode");
		assert_true(def == 0);
		assert_int_equal(mf__b64_decode_path(paths[p], buf, cap, crlf,
		                                     crn, MF_STRICT, &len,
		                                     &def, NULL),
		                 MF_OK);
		tu_assert_mem(buf, len, j, jn, "photo.b64 (CRLF) decode");
		/* The file is MIME base64 with LF line ends: byte-exact. */
		assert_int_equal(mf__b64_encode_path(paths[p], buf, cap, j, jn,
		                                     MF_B64_LINE, MF_LF,
		                                     &len),
		                 MF_OK);
		tu_assert_mem(buf, len, b, bn, "photo.jpg encode (LF)");
		assert_int_equal(mf__b64_encode_path(paths[p], buf, cap, j, jn,
		                                     MF_B64_LINE, 0, &len),
		                 MF_OK);
		tu_assert_mem(buf, len, crlf, crn, "photo.jpg encode (CRLF)");
	}
	free(buf);
	free(crlf);
	free(b);
	free(j);
}

/* Encode, decode: the identity, for every path, line length and end. */
static void
test_roundtrip_random(void **state)
{
	static const size_t lines[] = {0, 4, 5, 8, 12, 13, 60, 72, 76, 77, 999};
	tu_rng r;
	size_t iter, iters = tu_slow_ok() ? 400 : 60;

	(void)state;
	tu_rng_seed(&r, 4648);
	for (iter = 0; iter < iters; iter++) {
		size_t n = tu_rng_below(&r, iter % 10 == 0 ? 5000 : 300);
		size_t line = lines[iter % (sizeof(lines) / sizeof(lines[0]))];
		unsigned fl = (unsigned)(iter / 11) & MF_LF;
		unsigned char *raw = malloc(n + 1);
		size_t cap = mf_b64_encoded_len(n, line, fl), len, dlen;
		char *enc = malloc(cap + 1), *ref = malloc(cap + 1);
		unsigned char *dec = malloc(n + 8);
		size_t reflen = 0;
		int p;

		tu_rng_fill(&r, raw, n);
		for (p = 0; p < NPATHS; p++) {
			char label[80];
			uint64_t def = 1;

			snprintf(label, sizeof(label), "iter %zu path %d", iter,
			         p);
			assert_int_equal(mf__b64_encode_path(paths[p], enc, cap,
			                                     raw, n, line, fl,
			                                     &len),
			                 MF_OK);
			assert_int_equal(len, cap);
			if (p == 0) {
				memcpy(ref, enc, len);
				reflen = len;
				check_lines(enc, len, line, fl, label);
			}
			tu_assert_mem(enc, len, ref, reflen, label);
			assert_int_equal(mf__b64_decode_path(
			                     paths[p], dec, n + 8, enc, len,
			                     MF_STRICT, &dlen, &def, NULL),
			                 MF_OK);
			tu_assert_mem(dec, dlen, raw, n, label);
			assert_true(def == 0);
		}
		free(raw);
		free(enc);
		free(ref);
		free(dec);
	}
}

/* Streaming encoder == one-shot for every split (pairs on short input). */
static void
test_enc_splits(void **state)
{
	static const size_t lines[] = {0, 4, 8, 76};
	unsigned char raw[200];
	tu_rng r;
	size_t li, n;

	(void)state;
	tu_rng_seed(&r, 7);
	tu_rng_fill(&r, raw, sizeof(raw));
	for (li = 0; li < 4; li++) {
		for (n = 0; n <= 130; n += (n < 24 ? 1 : 53)) {
			size_t cap = mf_b64_encoded_len(n, lines[li], 0), len;
			char *ref = malloc(cap + 1), *got = malloc(cap + 16);
			size_t a, b;

			assert_int_equal(
			    mf_b64_encode(ref, cap, raw, n, lines[li], 0, &len),
			    MF_OK);
			for (a = 0; a <= n; a++) {
				for (b = n < 24 ? a : n; b <= n; b++) {
					size_t cuts[3] = {a, b, n}, pos = 0, k;
					size_t glen = 0, l;
					mf_b64_enc st;
					int p = (int)((a + b) % NPATHS);

					assert_int_equal(
					    mf_b64_enc_init(&st, lines[li], 0),
					    MF_OK);
					for (k = 0; k < 3; k++) {
						assert_int_equal(
						    mf__b64_enc_update_path(
						        paths[p], &st,
						        got + glen,
						        mf_b64_encoded_len(
						            cuts[k] - pos + 2,
						            lines[li], 0),
						        raw + pos,
						        cuts[k] - pos, &l),
						    MF_OK);
						glen += l;
						pos = cuts[k];
					}
					assert_int_equal(
					    mf_b64_enc_final(
					        &st, got + glen,
					        mf_b64_encoded_len(2, lines[li],
					                           0),
					        &l),
					    MF_OK);
					glen += l;
					tu_assert_mem(got, glen, ref, len,
					              "enc split");
				}
			}
			free(ref);
			free(got);
		}
	}
}

/* Adversarial decoder input: alphabet mixed with junk, "=" and spaces. */
static size_t
adversarial(tu_rng *r, char *p, size_t n)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, mode = tu_rng_below(r, 4);

	for (i = 0; i < n; i++) {
		size_t k = tu_rng_below(r, 100);
		if (mode == 0 || k < 80 - 20 * mode)
			p[i] = alpha[tu_rng_below(r, 64)];
		else if (k < 88)
			p[i] = "\r\n \t"[tu_rng_below(r, 4)];
		else if (k < 94)
			p[i] = '=';
		else
			p[i] = (char)tu_rng_below(r, 256);
	}
	return n;
}

/* Streaming decoder == one-shot for every split (pairs on short input). */
static void
test_dec_splits(void **state)
{
	tu_rng r;
	char in[160];
	size_t iter;

	(void)state;
	tu_rng_seed(&r, 99);
	for (iter = 0; iter < 40; iter++) {
		size_t n = iter < 30 ? 5 + iter : 100 + iter;

		adversarial(&r, in, n);
		tc_dec_splits(&mf__b64_codec, in, n,
		              iter % 2 ? MF_STRICT : 0, iter);
	}
	/* Byte at a time over a real body. */
	{
		size_t bn, k;
		char *b = tu_read("corpus/mimekit/UnitTests/TestData/encoders/"
		                  "photo.b64",
		                  &bn);
		size_t *cuts = malloc(bn * sizeof(size_t));
		struct res ref, got;

		for (k = 0; k < bn; k++)
			cuts[k] = k + 1 < bn ? k + 1 : bn;
		ref = tc_decode(&mf__b64_codec, MF__PATH_BEST, b, bn, 0);
		got = tc_dec_stream(&mf__b64_codec, MF__PATH_BEST, b, bn, 0,
		                    cuts, tu_slow_ok() ? bn - 1 : 3000);
		res_eq(&got, &ref, "photo byte at a time");
		res_free(&ref);
		res_free(&got);
		free(cuts);
		free(b);
	}
}

/* Every path gives the scalar path's results, lengths 0..300. */
static void
test_paths_agree(void **state)
{
	tu_rng r;
	char in[320];
	unsigned char raw[320];
	size_t n, round;

	(void)state;
	tu_rng_seed(&r, 3);
	for (round = 0; round < 4; round++) {
		for (n = 0; n <= 300; n++) {
			unsigned fl = round % 2 ? MF_STRICT : 0;
			struct res ref;
			int p;

			adversarial(&r, in, n);
			ref = tc_decode(&mf__b64_codec, MF__PATH_SCALAR, in, n,
			                fl);
			for (p = 1; p < NPATHS; p++) {
				struct res got = tc_decode(&mf__b64_codec,
				                           paths[p], in, n, fl);
				char label[64];

				snprintf(label, sizeof(label), "n %zu path %d",
				         n, p);
				res_eq(&got, &ref, label);
				res_free(&got);
			}
			res_free(&ref);

			/* Block decoders directly, with a cap cut short. */
			for (p = 0; p < NPATHS; p++) {
				unsigned char o1[320], o2[320];
				size_t c1, c2, w1, w2;
				size_t cap = tu_rng_below(&r, n + 1);

				if (!mf__path_ok(paths[p]))
					continue;
				w1 = mf__b64_dec_scalar(o1, cap, in, n, &c1);
				if (p == 1)
					w2 = mf__b64_dec_ssse3(o2, cap, in, n,
					                       &c2);
				else if (p == 2)
					w2 = mf__b64_dec_avx2(o2, cap, in, n,
					                      &c2);
				else
					w2 = mf__b64_dec_scalar(o2, cap, in, n,
					                        &c2);
				assert_int_equal(w1, w2);
				assert_int_equal(c1, c2);
				assert_true(w1 <= cap && w1 % 3 == 0 && c1 <= n);
				assert_memory_equal(o1, o2, w1);
			}

			/* Block encoders, with no readable slack. */
			tu_rng_fill(&r, raw, n);
			for (p = 1; p < NPATHS; p++) {
				char e1[440], e2[440];
				size_t m = n / 3 * 3;

				if (!mf__path_ok(paths[p]))
					continue;
				mf__b64_enc_scalar(e1, raw, m, m);
				if (p == 1)
					mf__b64_enc_ssse3(e2, raw, m, m);
				else
					mf__b64_enc_avx2(e2, raw, m, m);
				assert_memory_equal(e1, e2, m / 3 * 4);
			}
		}
	}
	/* Every byte value in every position of a 32-byte block. */
	for (n = 0; n < 256; n++) {
		size_t pos;
		for (pos = 0; pos < 40; pos += 3) {
			struct res ref, got;
			int p;

			memset(in, 'Q', 64);
			in[pos] = (char)n;
			ref = tc_decode(&mf__b64_codec, MF__PATH_SCALAR, in, 64,
			                0);
			for (p = 1; p < NPATHS; p++) {
				got = tc_decode(&mf__b64_codec, paths[p], in,
				                64, 0);
				res_eq(&got, &ref, "byte sweep");
				res_free(&got);
			}
			res_free(&ref);
		}
	}
}

/* Inputs that end right before a PROT_NONE page, every path. */
static void
test_guard_pages(void **state)
{
	tu_rng r;
	unsigned char raw[200];
	char enc[400], junk[200];
	size_t n;

	(void)state;
	tu_rng_seed(&r, 11);
	tu_rng_fill(&r, raw, sizeof(raw));
	for (n = 0; n < 200; n++) {
		int p;
		for (p = 0; p < NPATHS; p++) {
			tu_guard g1, g2, g3;
			const char *gi = tu_guard_new(&g1, raw, n);
			size_t len, dlen;
			unsigned char dec[400];
			const char *ge;

			assert_int_equal(mf__b64_encode_path(paths[p], enc,
			                                     sizeof(enc), gi, n,
			                                     76, 0, &len),
			                 MF_OK);
			ge = tu_guard_new(&g2, enc, len);
			assert_int_equal(mf__b64_decode_path(paths[p], dec,
			                                     sizeof(dec), ge,
			                                     len, MF_STRICT,
			                                     &dlen, NULL, NULL),
			                 MF_OK);
			tu_assert_mem(dec, dlen, raw, n, "guard");
			adversarial(&r, junk, n);
			ge = tu_guard_new(&g3, junk, n);
			(void)mf__b64_decode_path(paths[p], dec, sizeof(dec),
			                          ge, n, 0, &dlen, NULL, NULL);
			tu_guard_free(&g1);
			tu_guard_free(&g2);
			tu_guard_free(&g3);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4648),
	    cmocka_unit_test(test_encoded_len),
	    cmocka_unit_test(test_encode_lines),
	    cmocka_unit_test(test_decode_table),
	    cmocka_unit_test(test_defect_offset),
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_nospc),
	    cmocka_unit_test(test_corpus_photo),
	    cmocka_unit_test(test_roundtrip_random),
	    cmocka_unit_test(test_enc_splits),
	    cmocka_unit_test(test_dec_splits),
	    cmocka_unit_test(test_paths_agree),
	    cmocka_unit_test(test_guard_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
