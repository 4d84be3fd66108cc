/* SPDX-License-Identifier: MIT */
/*
 * test_qp.c - quoted-printable: the RFC 2045 example, Dovecot's decoder
 * vectors (with our documented line-end policy), every defect and error
 * with its offset, encoder rules (76 columns, trailing whitespace, soft
 * breaks, MF_QP_SAFE, binary and LF modes), the third-party encoder pairs,
 * round trips over seeded random input, streaming == one-shot for every
 * split (pairs on short input), every path against the scalar one, guard
 * pages and short buffers. Nothing in the codec allocates, so there is no
 * OOM loop here.
 */
#include "tcodec.h"

#include "qp.h"

static struct res
enc1(int path, const void *in, size_t n, unsigned flags)
{
	struct res r;
	size_t cap = mf_qp_encoded_len(n, flags);

	memset(&r, 0, sizeof(r));
	r.out = malloc(cap + 1);
	assert_non_null(r.out);
	r.rc =
	    mf__qp_encode_path(path, (char *)r.out, cap, in, n, flags, &r.len);
	return r;
}

/*
 * The encoder's output rules: lines of at most 76 characters, line ends
 * all in the chosen form, no SP/HTAB before a line end or at the end,
 * only printable ASCII, SP, HTAB and "=XX" with upper-case hex.
 */
static void
check_encoded(const unsigned char *p, size_t n, unsigned flags,
              const char *label)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned c = p[i];
		if (c == '\r' || c == '\n') {
			if (flags & MF_LF) {
				if (c != '\n')
					fail_msg("%s: CR at %zu in LF mode",
					         label, i);
			} else if (c == '\n' || i + 1 >= n ||
			           p[i + 1] != '\n') {
				fail_msg("%s: bare line end at %zu", label, i);
			} else {
				i++;
			}
			if (i > 0 && col > 0 &&
			    (p[i - 1 - !(flags & MF_LF)] == ' ' ||
			     p[i - 1 - !(flags & MF_LF)] == '\t'))
				fail_msg(
				    "%s: whitespace before line end at %zu",
				    label, i);
			col = 0;
			continue;
		}
		if (c == '=') {
			if (i + 1 < n &&
			    (p[i + 1] == '\r' || p[i + 1] == '\n')) {
				col++;
				if (col > 76)
					fail_msg("%s: line over 76 at %zu",
					         label, i);
				continue;
			}
			if (i + 2 >= n ||
			    !strchr("0123456789ABCDEF", p[i + 1]) ||
			    !strchr("0123456789ABCDEF", p[i + 2]) ||
			    p[i + 1] == 0 || p[i + 2] == 0)
				fail_msg("%s: bad escape at %zu", label, i);
			i += 2;
			col += 3;
		} else if (c == ' ' || c == '\t' || (c >= 33 && c <= 126)) {
			col++;
		} else {
			fail_msg("%s: raw byte 0x%02x at %zu", label, c, i);
		}
		if (col > 76)
			fail_msg("%s: line over 76 at %zu", label, i);
	}
	if (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		fail_msg("%s: whitespace at the end", label);
}

/* ---------------------------------------------------------------------- */

static void
test_rfc2045_example(void **state)
{
	const char *enc =
	    "Now's the time =\r\nfor all folk to come=\r\n to the "
	    "aid of their country.";
	const char *raw = "Now's the time for all folk to come to the aid of "
	                  "their country.";
	struct res r;
	int p;

	(void)state;
	for (p = 0; p < NPATHS; p++) {
		r = tc_decode(&mf__qp_codec, paths[p], enc, strlen(enc),
		              MF_STRICT);
		assert_int_equal(r.rc, MF_OK);
		tu_assert_mem(r.out, r.len, raw, strlen(raw), "rfc2045");
		res_free(&r);
		/* Our encoder needs no soft break for this short line. */
		r = enc1(paths[p], raw, strlen(raw), 0);
		assert_int_equal(r.rc, MF_OK);
		tu_assert_mem(r.out, r.len, raw, strlen(raw), "rfc2045 enc");
		res_free(&r);
	}
}

/* in with its "=XX" escapes decoded (for inputs with no other "="). */
static size_t
unescape(const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '=' && i + 2 < n) {
			char hex[3] = {in[i + 1], in[i + 2], 0};
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

static int
has_bare_lf(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return 1;
	return 0;
}

/*
 * Dovecot's qp_decoder vectors. Differences, both deliberate:
 *  - Dovecot writes every hard line break as CRLF; we keep the input's
 *    line end. So the output is compared exactly when the input has no
 *    bare LF, and always after turning the input's bare LFs into CRLF.
 *  - Dovecot caps a line at 76 characters when it holds whitespace,
 *    dropping the excess and reporting an error (4 cases with long runs
 *    of SP/HTAB before a non-space). RFC 2045 asks decoders to drop only
 *    whitespace that ends a line, and lines over 76 characters are only
 *    an encoder rule, so we keep that whitespace and report nothing; for
 *    those the expected output is the input with the line end changed.
 * The error offsets of every other case are Dovecot's, in strict mode;
 * lenient mode returns MF_OK with MF_D_QP_INVALID at the same offset.
 */
static void
test_dovecot_vectors(void **state)
{
	tj *doc = tj_load("corpus/vectors/dovecot/lib-mail-qp-decoder.json");
	tj *tab = tj_path(doc, "tables.tests.entries");
	size_t i, count = 0, long_ws = 0;

	(void)state;
	assert_non_null(tab);
	for (i = 0; i < tab->len; i++) {
		tj *ent = tj_at(tab, i);
		size_t n, wn, crn;
		const char *in = tj_bytes(tj_get(ent, "input"), &n);
		const char *want = tj_bytes(tj_get(ent, "output"), &wn);
		long ret = tj_int(tj_get(ent, "ret"));
		size_t epos = (size_t)tj_int(tj_get(ent, "error_pos"));
		char *crlf = tu_eol(in, n, 1, &crn);
		char label[64];
		int p, longws = ret < 0 && epos >= 77;

		snprintf(label, sizeof(label), "dovecot case %zu", i);
		for (p = 0; p < NPATHS; p++) {
			struct res l =
			    tc_decode(&mf__qp_codec, paths[p], in, n, 0);
			struct res s = tc_decode(&mf__qp_codec, paths[p], in, n,
			                         MF_STRICT);
			struct res c =
			    tc_decode(&mf__qp_codec, paths[p], crlf, crn, 0);

			assert_int_equal(l.rc, MF_OK);
			if (longws) {
				/* Whitespace kept: the input, CRLF ended. */
				char *w2 = malloc(crn + 1);
				size_t w2n = unescape(crlf, crn, w2);
				assert_int_equal(s.rc, MF_OK);
				assert_true(l.defects == 0);
				tu_assert_mem(c.out, c.len, w2, w2n, label);
				free(w2);
			} else if (ret < 0) {
				assert_true(l.defects ==
				            MF_DEFECT_BIT(MF_D_QP_INVALID));
				assert_true(s.rc == MF_E_SYNTAX ||
				            s.rc == MF_E_TRUNC);
				if (s.off != epos)
					fail_msg("%s: offset %zu want %zu",
					         label, s.off, epos);
				/* TRUNC exactly when the data ended. */
				assert_int_equal(s.rc == MF_E_TRUNC, epos == n);
				tu_assert_mem(c.out, c.len, want, wn, label);
			} else {
				assert_true(l.defects == 0);
				assert_int_equal(s.rc, MF_OK);
				tu_assert_mem(c.out, c.len, want, wn, label);
			}
			if (!has_bare_lf(in, n) && !longws)
				tu_assert_mem(l.out, l.len, want, wn, label);
			res_free(&l);
			res_free(&s);
			res_free(&c);
		}
		long_ws += longws;
		count++;
		free(crlf);
	}
	assert_int_equal(count, 51);
	assert_int_equal(long_ws, 4);
	tj_free(doc);
}

/*
 * Dovecot's quoted-printable table is RFC 2047 "Q" decoding (where "_" is
 * a space and trailing spaces stay). Its cases without "_" and without
 * trailing whitespace decode the same way as a body: we use those.
 */
static void
test_dovecot_q_subset(void **state)
{
	tj *doc =
	    tj_load("corpus/vectors/dovecot/lib-mail-quoted-printable.json");
	tj *tab = tj_path(doc, "tables.q_decode.entries");
	size_t i, used = 0;

	(void)state;
	assert_non_null(tab);
	for (i = 0; i < tab->len; i++) {
		tj *ent = tj_at(tab, i);
		size_t n, wn;
		const char *in = tj_bytes(tj_get(ent, "input"), &n);
		const char *want = tj_bytes(tj_get(ent, "decoded"), &wn);
		struct res r;

		if (memchr(in, '_', n) || (n > 0 && in[n - 1] == ' '))
			continue;
		r = tc_decode(&mf__qp_codec, MF__PATH_BEST, in, n, 0);
		assert_int_equal(r.rc, MF_OK);
		tu_assert_mem(r.out, r.len, want, wn, "q subset");
		res_free(&r);
		used++;
	}
	assert_int_equal(used, 11);
	tj_free(doc);
}

/* Our decoder table: lenient output, defect, strict code and offset. */
static void
test_decode_table(void **state)
{
	static const struct {
		const char *in;
		const char *want;
		int defect;
		int src;
		size_t soff;
	} v[] = {
	    {"", "", 0, MF_OK, 0},
	    {"abc", "abc", 0, MF_OK, 0},
	    {"a=3Db=3db", "a=b=b", 0, MF_OK, 0},
	    {"a  \r\nb \t\nc  ", "a\r\nb\nc", 0, MF_OK, 0},
	    {"a \rb", "a \rb", 0, MF_OK, 0}, /* bare CR: not a line end */
	    {"a \r", "a \r", 0, MF_OK, 0},
	    {"a \r \n", "a \r\n", 0, MF_OK, 0},
	    {"a=\r\nb=\nc=  \r\nd= \t\ne", "abcde", 0, MF_OK, 0},
	    {"=20\r\n", " \r\n", 0, MF_OK, 0}, /* encoded space stays */
	    {"a =\r\n", "a ", 0, MF_OK, 0},
	    {"\xff\x80=FF", "\xff\x80\xff", 0, MF_OK, 0},
	    /* invalid escapes, kept literally */
	    {"a=g", "a=g", 1, MF_E_SYNTAX, 2},
	    {"a=4g", "a=4g", 1, MF_E_SYNTAX, 3},
	    {"a= b", "a= b", 1, MF_E_SYNTAX, 3},
	    {"a= 41", "a= 41", 1, MF_E_SYNTAX, 3},
	    {"a==41", "a=A", 1, MF_E_SYNTAX, 2},
	    {"a=\rb", "a=\rb", 1, MF_E_SYNTAX, 3},
	    {"a=\r=41", "a=\rA", 1, MF_E_SYNTAX, 3},
	    {"a=\xc3\xa9", "a=\xc3\xa9", 1, MF_E_SYNTAX, 2},
	    {"=4=41", "=4A", 1, MF_E_SYNTAX, 2},
	    /* the data ends inside an escape */
	    {"a=", "a=", 1, MF_E_TRUNC, 2},
	    {"a=4", "a=4", 1, MF_E_TRUNC, 3},
	    {"a= ", "a= ", 1, MF_E_TRUNC, 3},
	    {"a=\r", "a=\r", 1, MF_E_TRUNC, 3},
	    {"a= \t\r", "a= \t\r", 1, MF_E_TRUNC, 5},
	};
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);
		for (p = 0; p < NPATHS; p++) {
			struct res l =
			    tc_decode(&mf__qp_codec, paths[p], v[i].in, n, 0);
			struct res s = tc_decode(&mf__qp_codec, paths[p],
			                         v[i].in, n, MF_STRICT);
			char label[64];

			snprintf(label, sizeof(label), "case %zu path %d", i,
			         p);
			assert_int_equal(l.rc, MF_OK);
			tu_assert_mem(l.out, l.len, v[i].want,
			              strlen(v[i].want), label);
			if (l.defects !=
			    (v[i].defect ? MF_DEFECT_BIT(MF_D_QP_INVALID) : 0))
				fail_msg("%s: defects %llx", label,
				         (unsigned long long)l.defects);
			if (s.rc != v[i].src || s.off != v[i].soff)
				fail_msg("%s: strict %d at %zu, want %d at %zu",
				         label, s.rc, s.off, v[i].src,
				         v[i].soff);
			res_free(&l);
			res_free(&s);
		}
	}
}

/*
 * Whitespace runs longer than MF_QP_MAX_WSP: only the last MF_QP_MAX_WSP
 * before a line end are dropped; the same in one shot and streaming.
 */
static void
test_long_whitespace(void **state)
{
	size_t runs[] = {255, 256, 257, 600};
	size_t k;

	(void)state;
	for (k = 0; k < 4; k++) {
		size_t w = runs[k], n = w + 3, keep, i;
		char *in = malloc(n + 8), *want = malloc(n + 8);
		struct res r, s, eq, eqs;
		size_t cuts[2] = {w / 2, w + 1};

		in[0] = 'a';
		for (i = 0; i < w; i++)
			in[1 + i] = i % 3 ? ' ' : '\t';
		in[w + 1] = '\r';
		in[w + 2] = '\n';
		keep = w > MF_QP_MAX_WSP ? w - MF_QP_MAX_WSP : 0;
		memcpy(want, in, 1 + keep);
		memcpy(want + 1 + keep, "\r\n", 2);
		r = tc_decode(&mf__qp_codec, MF__PATH_BEST, in, n, 0);
		tu_assert_mem(r.out, r.len, want, keep + 3, "long ws");
		s = tc_dec_stream(&mf__qp_codec, MF__PATH_SCALAR, in, n, 0,
		                  cuts, 2);
		res_eq(&s, &r, "long ws split");
		/* After "=": more than MF_QP_MAX_WSP is not a soft break. */
		in[0] = '=';
		eq = tc_decode(&mf__qp_codec, MF__PATH_BEST, in, n,
		               MF_STRICT);
		eqs = tc_dec_stream(&mf__qp_codec, MF__PATH_SCALAR, in, n,
		                    MF_STRICT, cuts, 2);
		res_eq(&eqs, &eq, "long ws after =");
		if (w <= MF_QP_MAX_WSP) {
			assert_int_equal(eq.rc, MF_OK);
			assert_int_equal(eq.len, 0);
		} else {
			assert_int_equal(eq.rc, MF_E_SYNTAX);
			assert_int_equal(eq.off, 1 + MF_QP_MAX_WSP);
		}
		res_free(&eq);
		res_free(&eqs);
		res_free(&r);
		res_free(&s);
		free(in);
		free(want);
	}
}

/* Encoder table: exact output for the rules that matter. */
static void
test_encode_table(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *want;
	} v[] = {
	    {"", 0, ""},
	    {"abc", 0, "abc"},
	    {"a=b", 0, "a=3Db"},
	    {"caf\xc3\xa9\r\n", 0, "caf=C3=A9\r\n"},
	    {"a \r\nb\t\r\n", 0, "a=20\r\nb=09\r\n"},
	    {"a  b ", 0, "a  b=20"},
	    {"a \nb", 0, "a=20\r\nb"}, /* bare LF: hard break */
	    {"a\rb\r", 0, "a=0Db=0D"}, /* bare CR: data */
	    {"a\r\nb", MF_LF, "a\nb"},
	    {"a\r\nb \n", MF_QP_BINARY, "a=0D=0Ab =0A"},
	    {"x \r\n", MF_QP_BINARY, "x =0D=0A"},
	    {"tab\t", MF_QP_BINARY, "tab=09"},
	    {"\x7f\x01", 0, "=7F=01"},
	    {".\r\n.a\r\nFrom x\r\nFrom\r\nFro", MF_QP_SAFE,
	     "=2E\r\n=2Ea\r\n=46rom x\r\nFrom\r\nFro"},
	    {"a.\r\nxFrom ", MF_QP_SAFE, "a.\r\nxFrom=20"},
	    {"F", MF_QP_SAFE, "F"},
	    {".\r\n", 0, ".\r\n"},
	};
	size_t i;
	int p;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (p = 0; p < NPATHS; p++) {
			struct res r = enc1(paths[p], v[i].in, strlen(v[i].in),
			                    v[i].flags);
			char label[64];

			snprintf(label, sizeof(label), "case %zu path %d", i,
			         p);
			assert_int_equal(r.rc, MF_OK);
			tu_assert_mem(r.out, r.len, v[i].want,
			              strlen(v[i].want), label);
			res_free(&r);
		}
	}
}

/* Soft breaks: lines of 75 characters plus "=", escapes never split. */
static void
test_encode_soft_breaks(void **state)
{
	char in[400], want[500];
	struct res r;
	size_t i;

	(void)state;
	memset(in, 'a', 200);
	r = enc1(MF__PATH_BEST, in, 200, 0);
	/* 75 + "=\r\n" + 75 + "=\r\n" + 50 */
	memset(want, 'a', 75);
	memcpy(want + 75, "=\r\n", 3);
	memset(want + 78, 'a', 75);
	memcpy(want + 153, "=\r\n", 3);
	memset(want + 156, 'a', 50);
	tu_assert_mem(r.out, r.len, want, 206, "soft breaks");
	res_free(&r);
	/* 74 letters then an escape: does not fit, goes to the next line. */
	memset(in, 'a', 74);
	in[74] = '=';
	r = enc1(MF__PATH_BEST, in, 75, MF_LF);
	memset(want, 'a', 74);
	memcpy(want + 74, "=\n=3D", 5);
	tu_assert_mem(r.out, r.len, want, 79, "escape kept whole");
	res_free(&r);
	/* A "." moved to a new line by a soft break is encoded (SAFE). */
	memset(in, 'b', 75);
	in[75] = '.';
	r = enc1(MF__PATH_BEST, in, 76, MF_QP_SAFE);
	memset(want, 'b', 75);
	memcpy(want + 75, "=\r\n=2E", 6);
	tu_assert_mem(r.out, r.len, want, 81, "safe after soft break");
	res_free(&r);
	/* Trailing space at the column limit. */
	for (i = 70; i < 80; i++) {
		memset(in, 'c', i);
		in[i] = ' ';
		memcpy(in + i + 1, "\r\n", 2);
		r = enc1(MF__PATH_BEST, in, i + 3, 0);
		check_encoded(r.out, r.len, 0, "trailing space");
		res_free(&r);
	}
}

/* The third-party pairs: decode gives the other file exactly. */
static void
test_corpus_wikipedia(void **state)
{
	static const char *const dirs[] = {
	    "corpus/mimekit/UnitTests/TestData/encoders/",
	    "corpus/gmime/tests/data/encodings/",
	};
	size_t d;

	(void)state;
	for (d = 0; d < 2; d++) {
		char path[256];
		size_t qn, tn;
		char *q, *t;
		int p;

		snprintf(path, sizeof(path), "%swikipedia.qp", dirs[d]);
		q = tu_read(path, &qn);
		snprintf(path, sizeof(path), "%swikipedia.txt", dirs[d]);
		t = tu_read(path, &tn);
		for (p = 0; p < NPATHS; p++) {
			struct res r = tc_decode(&mf__qp_codec, paths[p], q, qn,
			                         MF_STRICT);
			struct res e, back;

			assert_int_equal(r.rc, MF_OK);
			tu_assert_mem(r.out, r.len, t, tn, dirs[d]);
			/*
			 * Their encoders break lines at other places than ours
			 * (both legitimate), so encoding is checked by the
			 * rules and by decoding back, not byte equality.
			 */
			e = enc1(paths[p], t, tn, MF_LF);
			assert_int_equal(e.rc, MF_OK);
			check_encoded(e.out, e.len, MF_LF, dirs[d]);
			back = tc_decode(&mf__qp_codec, paths[p], (char *)e.out,
			                 e.len, MF_STRICT);
			assert_int_equal(back.rc, MF_OK);
			tu_assert_mem(back.out, back.len, t, tn, "round trip");
			res_free(&r);
			res_free(&e);
			res_free(&back);
		}
		free(q);
		free(t);
	}
}

/*
 * Random input shaped like text (line ends, spaces before them, "=",
 * ".", "From ", 8-bit bytes), or arbitrary bytes.
 */
static void
fill_text(tu_rng *r, unsigned char *p, size_t n, int crlf)
{
	static const char *const words[] = {
	    "From ", ".",  "=",   " ", "\t",   "word", "caf\xc3\xa9",
	    "x",     "  ", "=3D", "F", "\x7f", "\0"};
	size_t i = 0;

	while (i < n) {
		size_t k = tu_rng_below(r, 16), len;
		const char *w;

		if (k >= 13) {
			w = crlf ? "\r\n" : "\n";
			len = strlen(w);
		} else {
			w = words[k];
			len = k == 12 ? 1 : strlen(w);
		}
		if (len > n - i)
			len = n - i;
		memcpy(p + i, w, len);
		i += len;
	}
	/* Keep line ends whole: no lone CR at the end in CRLF text. */
	if (crlf && n > 0 && p[n - 1] == '\r')
		p[n - 1] = 'z';
}

static void
test_roundtrip_random(void **state)
{
	static const unsigned modes[] = {0,
	                                 MF_LF,
	                                 MF_QP_SAFE,
	                                 MF_QP_SAFE | MF_LF,
	                                 MF_QP_BINARY,
	                                 MF_QP_BINARY | MF_LF};
	tu_rng r;
	size_t iter, iters = tu_slow_ok() ? 600 : 100;

	(void)state;
	tu_rng_seed(&r, 2045);
	for (iter = 0; iter < iters; iter++) {
		unsigned fl = modes[iter % 6];
		size_t n = tu_rng_below(&r, iter % 10 == 0 ? 4000 : 300);
		unsigned char *raw = malloc(n + 1);
		struct res ref;
		int p;

		if ((fl & MF_QP_BINARY) && iter % 4 == 0)
			tu_rng_fill(&r, raw, n);
		else
			fill_text(&r, raw, n, !(fl & MF_LF));
		ref = enc1(MF__PATH_SCALAR, raw, n, fl);
		assert_int_equal(ref.rc, MF_OK);
		check_encoded(ref.out, ref.len, fl, "random");
		for (p = 0; p < NPATHS; p++) {
			struct res e = enc1(paths[p], raw, n, fl);
			struct res d =
			    tc_decode(&mf__qp_codec, paths[p], (char *)e.out,
			              e.len, MF_STRICT);
			char label[64];

			snprintf(label, sizeof(label), "iter %zu path %d", iter,
			         p);
			res_eq(&e, &ref, label);
			assert_int_equal(d.rc, MF_OK);
			assert_true(d.defects == 0);
			tu_assert_mem(d.out, d.len, raw, n, label);
			res_free(&e);
			res_free(&d);
		}
		res_free(&ref);
		free(raw);
	}
}

/* Text mode writes the chosen line end whatever the input had. */
static void
test_line_end_normalised(void **state)
{
	const char *in = "a\nb\r\nc \n";
	struct res e = enc1(MF__PATH_BEST, in, strlen(in), 0);
	struct res d;

	(void)state;
	tu_assert_mem(e.out, e.len, "a\r\nb\r\nc=20\r\n", 12, "to CRLF");
	d = tc_decode(&mf__qp_codec, MF__PATH_BEST, (char *)e.out, e.len, 0);
	tu_assert_mem(d.out, d.len, "a\r\nb\r\nc \r\n", 10, "back");
	res_free(&e);
	res_free(&d);
	e = enc1(MF__PATH_BEST, in, strlen(in), MF_LF);
	tu_assert_mem(e.out, e.len, "a\nb\nc=20\n", 9, "to LF");
	res_free(&e);
}

/* Streaming encoder == one-shot for every split, pairs on short input. */
static void
test_enc_splits(void **state)
{
	static const unsigned modes[] = {0, MF_QP_SAFE | MF_LF,
	                                 MF_QP_BINARY};
	tu_rng r;
	unsigned char raw[300];
	size_t iter;

	(void)state;
	tu_rng_seed(&r, 5);
	for (iter = 0; iter < 30; iter++) {
		unsigned fl = modes[iter % 3];
		size_t n = iter < 24 ? 10 + iter : 200 + iter;
		struct res ref;
		size_t a, b;

		fill_text(&r, raw, n, 1);
		ref = enc1(MF__PATH_SCALAR, raw, n, fl);
		for (a = 0; a <= n; a++) {
			for (b = n < 40 ? a : n; b <= n; b++) {
				size_t cuts[3] = {a, b, n}, pos = 0, k, l;
				size_t room =
				    (size_t)4 * mf_qp_encoded_len(n, fl);
				char *got = malloc(room);
				size_t glen = 0;
				mf_qp_enc st;
				int p = (int)((a + b) % NPATHS);

				assert_int_equal(mf_qp_enc_init(&st, fl),
				                 MF_OK);
				for (k = 0; k < 3; k++) {
					assert_int_equal(
					    mf__qp_enc_update_path(
					        paths[p], &st, got + glen,
					        mf_qp_encoded_len(cuts[k] - pos,
					                          fl),
					        raw + pos, cuts[k] - pos, &l),
					    MF_OK);
					glen += l;
					pos = cuts[k];
				}
				assert_int_equal(
				    mf_qp_enc_final(&st, got + glen,
				                    mf_qp_encoded_len(0, fl),
				                    &l),
				    MF_OK);
				glen += l;
				tu_assert_mem(got, glen, ref.out, ref.len,
				              "enc split");
				free(got);
			}
		}
		res_free(&ref);
	}
}

/* Adversarial decoder input: escapes, "=", whitespace, CR, LF, junk. */
static void
fill_qp(tu_rng *r, char *p, size_t n)
{
	static const char *const bits[] = {
	    "=",    "=4", "=41", "=4a", "=\r\n", "=\n", "= \r\n", " ", "\t",
	    "\r\n", "\n", "\r",  "abc", "=G",    "=\r", "  \t ",  "x"};
	size_t i = 0;

	while (i < n) {
		size_t k = tu_rng_below(r, 18), len;
		if (k == 17) {
			p[i++] = (char)tu_rng_below(r, 256);
			continue;
		}
		len = strlen(bits[k]);
		if (len > n - i)
			len = n - i;
		memcpy(p + i, bits[k], len);
		i += len;
	}
}

static void
test_dec_splits(void **state)
{
	tu_rng r;
	char in[300];
	size_t iter;

	(void)state;
	tu_rng_seed(&r, 21);
	for (iter = 0; iter < 50; iter++) {
		size_t n = iter < 36 ? 4 + iter : 150 + iter;

		fill_qp(&r, in, n);
		tc_dec_splits(&mf__qp_codec, in, n, iter % 2 ? MF_STRICT : 0,
		              iter);
	}
}

/* Every path equals the scalar one; the scanners directly too. */
static void
test_paths_agree(void **state)
{
	tu_rng r;
	char in[320];
	size_t n, round;

	(void)state;
	tu_rng_seed(&r, 8);
	for (round = 0; round < 4; round++) {
		for (n = 0; n <= 300; n++) {
			struct res ref, got;
			int p;

			if (round % 2)
				tu_rng_fill(&r, in, n);
			else
				fill_qp(&r, in, n);
			ref = tc_decode(&mf__qp_codec, MF__PATH_SCALAR, in, n,
			                round / 2 ? MF_STRICT : 0);
			for (p = 1; p < NPATHS; p++) {
				got = tc_decode(&mf__qp_codec, paths[p], in, n,
				                round / 2 ? MF_STRICT : 0);
				res_eq(&got, &ref, "dec paths");
				res_free(&got);
			}
			res_free(&ref);
			ref = enc1(MF__PATH_SCALAR, in, n, (unsigned)round);
			for (p = 1; p < NPATHS; p++) {
				got = enc1(paths[p], in, n, (unsigned)round);
				res_eq(&got, &ref, "enc paths");
				res_free(&got);
			}
			res_free(&ref);
			for (p = 1; p < NPATHS; p++) {
				const unsigned char *s =
				    (const unsigned char *)in;
				size_t lim = tu_rng_below(&r, n + 1);
				if (!mf__path_ok(paths[p]))
					continue;
				assert_int_equal(mf__qp_dscan[0](s, n),
				                 mf__qp_dscan[p](s, n));
				assert_int_equal(mf__qp_escan[0](s, n, n),
				                 mf__qp_escan[p](s, n, n));
				assert_int_equal(mf__qp_escan[0](s, lim, n),
				                 mf__qp_escan[p](s, lim, n));
			}
		}
	}
	/* Each byte value at each position of a plain run. */
	for (n = 0; n < 256; n++) {
		size_t pos;
		for (pos = 0; pos < 70; pos += 5) {
			unsigned char buf[80];
			size_t want_d, want_e;
			int p;

			memset(buf, 'q', sizeof(buf));
			buf[pos] = (unsigned char)n;
			want_d =
			    (n == '=' || n == '\r' || n == '\n') ? pos : 80;
			want_e = (n < 0x20 || n > 0x7e || n == '=') ? pos : 80;
			for (p = 0; p < NPATHS; p++) {
				if (!mf__path_ok(paths[p]))
					continue;
				assert_int_equal(mf__qp_dscan[p](buf, 80),
				                 want_d);
				assert_int_equal(mf__qp_escan[p](buf, 80, 80),
				                 want_e);
			}
		}
	}
}

/*
 * Exhaustive short patterns of the bytes that matter to the decoder, at
 * offsets around the block edges (SSSE3 blocks of 16 bytes, AVX2 of 32:
 * 0, 10..16 and 26..32 of 64 bytes): every path gives the scalar path's
 * result, lenient and strict.
 */
static void
test_block_patterns(void **state)
{
	static const char al[] = " \t\r\n=4Ax";
	static const size_t offs[] = {0,  1,  10, 11, 12, 13, 14, 15,
	                              16, 26, 27, 28, 29, 30, 31, 32};
	size_t maxlen = tu_slow_ok() ? 5 : 3, oi, len;

	(void)state;
	for (oi = 0; oi < sizeof(offs) / sizeof(offs[0]); oi++) {
		for (len = 1; len <= maxlen; len++) {
			size_t total = (size_t)1 << (3 * len), k;
			for (k = 0; k < total; k++) {
				char in[64];
				size_t x = k, j;
				unsigned fl = (k & 1) ? MF_STRICT : 0;
				struct res ref;
				int p;

				memset(in, 'x', sizeof(in));
				for (j = 0; j < len; j++, x >>= 3)
					in[offs[oi] + j] = al[x & 7];
				ref = tc_decode(&mf__qp_codec, MF__PATH_SCALAR,
				                in, sizeof(in), fl);
				for (p = 1; p < NPATHS; p++) {
					struct res got =
					    tc_decode(&mf__qp_codec, paths[p],
					              in, sizeof(in), fl);
					res_eq(&got, &ref, "block pattern");
					res_free(&got);
				}
				res_free(&ref);
			}
		}
	}
}

/*
 * The encoder's byte classes: every path's mask function equals the
 * scalar one, on random bytes, on text and on every byte value at every
 * position of a block.
 */
static void
test_enc_masks(void **state)
{
	unsigned char in[64];
	tu_rng r;
	size_t iter;
	int p, text;

	(void)state;
	tu_rng_seed(&r, 64);
	for (iter = 0; iter < 2000 + 256 * 64; iter++) {
		if (iter < 1000) {
			tu_rng_fill(&r, in, sizeof(in));
		} else if (iter < 2000) {
			fill_text(&r, in, sizeof(in), iter % 2);
		} else {
			memset(in, 'q', sizeof(in));
			in[(iter - 2000) / 256] = (unsigned char)(iter % 256);
		}
		for (text = 0; text <= 1; text++) {
			struct mf__qp_emask ref, got;

			mf__qp_emask[MF__PATH_SCALAR](in, text, &ref);
			for (p = 1; p < NPATHS; p++) {
				if (!mf__path_ok(paths[p]))
					continue;
				memset(&got, 0x5A, sizeof(got));
				mf__qp_emask[p](in, text, &got);
				if (memcmp(&got, &ref, sizeof(ref)) != 0)
					fail_msg("iter %zu text %d path %d",
					         iter, text, p);
			}
		}
	}
	/* The scalar classes themselves, byte by byte. */
	for (iter = 0; iter < 256; iter++) {
		struct mf__qp_emask m;
		unsigned c = (unsigned)iter;
		int esc_text =
		    c > 0x7E || c == '=' ||
		    (c < 0x20 && c != '\t' && c != '\r' && c != '\n');
		int esc_bin = esc_text || c == '\r' || c == '\n';

		memset(in, 'q', sizeof(in));
		in[63] = (unsigned char)c;
		for (text = 0; text <= 1; text++) {
			mf__qp_emask[MF__PATH_SCALAR](in, text, &m);
			assert_true((m.esc >> 63) ==
			            (uint64_t)(text ? esc_text : esc_bin));
			assert_true((m.esc & ~((uint64_t)1 << 63)) == 0);
			assert_true(m.lf ==
			            (c == '\n' ? (uint64_t)1 << 63 : 0));
			assert_true(m.cr ==
			            (c == '\r' ? (uint64_t)1 << 63 : 0));
			assert_true(
			    m.ws ==
			    (c == ' ' || c == '\t' ? (uint64_t)1 << 63 : 0));
		}
	}
}

/*
 * The encoder's block steps: each path equals the scalar twin (output,
 * input and output used, column) from every starting column, in every
 * mode, on text, QP-like input and random bytes, with the output room
 * just enough or more.
 */
static void
test_enc_blocks_twin(void **state)
{
	unsigned char in[400];
	char o1[1400], o2[1400];
	tu_rng r;
	size_t iter, blocks = 0;

	(void)state;
	tu_rng_seed(&r, 66);
	for (iter = 0; iter < 3000; iter++) {
		size_t n = MF__QP_BLOCK_IN + tu_rng_below(&r, 300);
		/* Every mode: bits 0-2 of iter. */
		unsigned fl = (iter & 1 ? MF_LF : 0) |
		              (iter & 2 ? MF_QP_BINARY : 0) |
		              (iter & 4 ? MF_QP_SAFE : 0);
		unsigned col0 = (unsigned)(iter % 76);
		size_t cap = iter % 3
		                 ? sizeof(o1)
		                 : MF__QP_BLOCK_ROOM + tu_rng_below(&r, 200);
		size_t i1 = 0, ob1 = 0, i2, ob2;
		unsigned c1 = col0, c2;
		int p;

		/* The kind of input: bits 3-4 of iter. */
		if (iter / 8 % 4 == 0)
			tu_rng_fill(&r, in, n);
		else if (iter / 8 % 4 == 1)
			fill_qp(&r, (char *)in, n);
		else
			fill_text(&r, in, n, iter / 8 % 4 == 2);
		memset(o1, 0, sizeof(o1));
		mf__qp_enc_blocks[MF__PATH_SCALAR](fl, o1, cap, &ob1, in, &i1,
		                                   n, &c1);
		assert_true(ob1 <= cap && i1 <= n && c1 <= 75);
		blocks += i1 / 64;
		for (p = 1; p < NPATHS; p++) {
			char label[64];

			if (!mf__path_ok(paths[p]))
				continue;
			memset(o2, 0, sizeof(o2));
			i2 = 0;
			ob2 = 0;
			c2 = col0;
			mf__qp_enc_blocks[p](fl, o2, cap, &ob2, in, &i2, n,
			                     &c2);
			snprintf(label, sizeof(label), "iter %zu path %d", iter,
			         p);
			if (i1 != i2 || c1 != c2)
				fail_msg("%s: used %zu/%zu col %u/%u", label,
				         i2, i1, c2, c1);
			tu_assert_mem(o2, ob2, o1, ob1, label);
		}
	}
	/* The runs above did take blocks. */
	assert_true(blocks > 3000);
}

/*
 * Exhaustive short patterns of the bytes that matter to the encoder
 * (SP, HTAB, CR, LF, "=", ".", "F", an 8-bit byte) at the edges of the
 * 64-byte blocks and of the line, after prefixes that put the column
 * anywhere: every path gives the scalar path's output, in every mode.
 */
static void
test_enc_block_patterns(void **state)
{
	static const char al[] = " \t\r\n=.F\xc3";
	static const size_t offs[] = {60, 61, 62, 63, 64, 65, 72, 73, 74, 75};
	static const unsigned modes[] = {0, MF_LF, MF_QP_BINARY, MF_QP_SAFE,
	                                 MF_QP_SAFE | MF_LF};
	size_t maxlen = tu_slow_ok() ? 3 : 2, oi, len, m;

	(void)state;
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (oi = 0; oi < sizeof(offs) / sizeof(offs[0]); oi++) {
			for (len = 1; len <= maxlen; len++) {
				size_t total = (size_t)1 << (3 * len), k;
				for (k = 0; k < total; k++) {
					char in[200];
					size_t x = k, j;
					struct res ref;
					int p;

					memset(in, 'x', sizeof(in));
					/* An escape early moves the columns. */
					in[k % 7] = '=';
					for (j = 0; j < len; j++, x >>= 3)
						in[offs[oi] + j] = al[x & 7];
					memcpy(in + 130, in + offs[oi] - 2,
					       len + 4);
					ref = enc1(MF__PATH_SCALAR, in,
					           sizeof(in), modes[m]);
					for (p = 1; p < NPATHS; p++) {
						struct res got =
						    enc1(paths[p], in,
						         sizeof(in), modes[m]);
						res_eq(&got, &ref,
						       "enc pattern");
						res_free(&got);
					}
					res_free(&ref);
				}
			}
		}
	}
}

static void
test_guard_pages(void **state)
{
	tu_rng r;
	char in[200];
	size_t n;

	(void)state;
	tu_rng_seed(&r, 12);
	for (n = 0; n < 200; n++) {
		int p;
		fill_qp(&r, in, n);
		for (p = 0; p < NPATHS; p++) {
			tu_guard g;
			const char *gi = tu_guard_new(&g, in, n);
			struct res d =
			    tc_decode(&mf__qp_codec, paths[p], gi, n, 0);
			struct res e = enc1(paths[p], gi, n, MF_QP_SAFE);

			assert_int_equal(d.rc, MF_OK);
			assert_int_equal(e.rc, MF_OK);
			res_free(&d);
			res_free(&e);
			tu_guard_free(&g);
		}
	}
}

static void
test_state_and_args(void **state)
{
	mf_qp_dec st;
	mf_qp_enc es, copy;
	char out[64];
	size_t len;
	mf_error e;

	(void)state;
	/* Offsets count over the whole stream; errors stick. */
	memset(&st, 0, sizeof(st));
	st.flags = MF_STRICT;
	assert_int_equal(
	    mf_qp_dec_update(&st, out, sizeof(out), "abc=", 4, &len, &e),
	    MF_OK);
	assert_int_equal(len, 3);
	assert_int_equal(
	    mf_qp_dec_update(&st, out, sizeof(out), "4", 1, &len, &e), MF_OK);
	assert_int_equal(
	    mf_qp_dec_update(&st, out, sizeof(out), "xy", 2, &len, &e),
	    MF_E_SYNTAX);
	assert_int_equal(e.offset, 5);
	assert_int_equal(mf_qp_dec_final(&st, out, sizeof(out), &len, &e),
	                 MF_E_SYNTAX);
	assert_int_equal(e.offset, 5);
	/* Lenient: defect bit and first offset. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(
	    mf_qp_dec_update(&st, out, sizeof(out), "ab=\rc=z", 7, &len, &e),
	    MF_OK);
	assert_true(st.defects == MF_DEFECT_BIT(MF_D_QP_INVALID));
	assert_int_equal(st.defect_off, 4);
	assert_int_equal(mf_qp_dec_final(&st, out, sizeof(out), &len, &e),
	                 MF_OK);
	assert_int_equal(
	    mf_qp_dec_update(&st, out, sizeof(out), "a", 1, &len, &e),
	    MF_E_STATE);
	/* Short buffers consume nothing. */
	memset(&st, 0, sizeof(st));
	{
		mf_qp_dec c2;
		assert_int_equal(
		    mf_qp_dec_update(&st, out, 2, "ab", 2, &len, &e), MF_OK);
		c2 = st;
		assert_int_equal(
		    mf_qp_dec_update(&st, out, 2, "=41=42=43", 9, &len, &e),
		    MF_E_NOSPC);
		assert_memory_equal(&st, &c2, sizeof(st));
		assert_int_equal(
		    mf_qp_dec_update(&st, out, 3, "=41=42=43", 9, &len, &e),
		    MF_OK);
		tu_assert_mem(out, len, "ABC", 3, "exact");
	}
	assert_int_equal(mf_qp_enc_init(&es, 0), MF_OK);
	copy = es;
	assert_int_equal(mf_qp_enc_update(&es, out, 4, "a=b", 3, &len),
	                 MF_E_NOSPC);
	assert_memory_equal(&es, &copy, sizeof(es));
	assert_int_equal(mf_qp_enc_update(&es, out, 5, "a=b ", 4, &len), MF_OK);
	tu_assert_mem(out, len, "a=3Db", 5, "exact enc");
	assert_int_equal(mf_qp_enc_final(&es, out, 2, &len), MF_E_NOSPC);
	assert_int_equal(mf_qp_enc_final(&es, out, 3, &len), MF_OK);
	tu_assert_mem(out, len, "=20", 3, "final");
	/* Arguments. */
	assert_int_equal(mf_qp_encode(out, sizeof(out), "a", 1, 0x100, &len),
	                 MF_E_INVAL);
	assert_int_equal(mf_qp_encode(out, sizeof(out), "a", 1, 0, NULL),
	                 MF_E_INVAL);
	assert_int_equal(
	    mf_qp_decode(out, sizeof(out), NULL, 1, 0, &len, NULL, &e),
	    MF_E_INVAL);
	assert_int_equal(mf_qp_decode(NULL, 0, NULL, 0, 0, &len, NULL, NULL),
	                 MF_OK);
	assert_int_equal(mf_qp_encode(NULL, 0, NULL, 0, 0, &len), MF_OK);
	assert_int_equal(mf_qp_decoded_len(SIZE_MAX), SIZE_MAX);
	assert_int_equal(mf_qp_encoded_len(SIZE_MAX / 2, 0), SIZE_MAX);
	assert_true(mf_qp_encoded_len(10, 0) >= 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc2045_example),
	    cmocka_unit_test(test_dovecot_vectors),
	    cmocka_unit_test(test_dovecot_q_subset),
	    cmocka_unit_test(test_decode_table),
	    cmocka_unit_test(test_long_whitespace),
	    cmocka_unit_test(test_encode_table),
	    cmocka_unit_test(test_encode_soft_breaks),
	    cmocka_unit_test(test_corpus_wikipedia),
	    cmocka_unit_test(test_roundtrip_random),
	    cmocka_unit_test(test_line_end_normalised),
	    cmocka_unit_test(test_enc_splits),
	    cmocka_unit_test(test_dec_splits),
	    cmocka_unit_test(test_paths_agree),
	    cmocka_unit_test(test_block_patterns),
	    cmocka_unit_test(test_enc_masks),
	    cmocka_unit_test(test_enc_blocks_twin),
	    cmocka_unit_test(test_enc_block_patterns),
	    cmocka_unit_test(test_guard_pages),
	    cmocka_unit_test(test_state_and_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
