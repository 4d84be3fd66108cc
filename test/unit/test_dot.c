/* SPDX-License-Identifier: MIT */
/*
 * test_dot.c - dot-stuffing (lib/dot.c): Dovecot's istream-dot vectors in
 * strict and lenient mode, GMime's SMTP filter pair, tables of encodings
 * and of decodings with their defects and offsets (smuggling forms, bare
 * CR and LF, line limits), pipelined input after the end, every code path
 * against the scalar one, streaming equal to one-shot at every split
 * point (pairs of points on short input, bytes one at a time, random
 * chunks), encode-decode round trips over seeded random bytes, guard
 * pages, NOSPC leaving the state alone, and misuse.
 */
#include "tutil.h"

#include "dot.h"

static const int paths[] = {MF__PATH_SCALAR, MF__PATH_SSSE3, MF__PATH_AVX2};
#define NPATHS 3

/* ---------------------------------------------------------------------- */
/* Drivers                                                                 */
/* ---------------------------------------------------------------------- */

struct dres {
	int rc;
	size_t consumed;
	uint64_t defects, defect_off;
	size_t len;
	char *out;
};

static void
dres_eq(const struct dres *a, const struct dres *b, const char *label)
{
	if (a->rc != b->rc || a->consumed != b->consumed ||
	    a->defects != b->defects ||
	    (a->defects != 0 && a->defect_off != b->defect_off))
		fail_msg("%s: rc %d/%d consumed %zu/%zu defects %llx/%llx "
		         "at %llu/%llu",
		         label, a->rc, b->rc, a->consumed, b->consumed,
		         (unsigned long long)a->defects,
		         (unsigned long long)b->defects,
		         (unsigned long long)a->defect_off,
		         (unsigned long long)b->defect_off);
	tu_assert_mem(a->out, a->len, b->out, b->len, label);
}

/*
 * Decodes in[0..n) on path in chunks: chunk i ends at cuts[i] (ascending,
 * ncuts of them), then the rest. Stops at the end of the data. In place:
 * each chunk decoded into its own buffer, from one byte before it (what
 * mf_dot_dec_update(3) allows), then copied out.
 */
static struct dres
dec_cuts_mode(int path, unsigned flags, size_t max_line, const char *in,
              size_t n, const size_t *cuts, size_t ncuts, bool inplace)
{
	struct dres r;
	mf_dot_dec st;
	size_t pos = 0, c = 0;

	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	st.flags = flags;
	st.max_line = max_line;
	r.out = malloc(n + 2);
	assert_non_null(r.out);
	r.rc = MF_MORE;
	while (r.rc == MF_MORE) {
		size_t end = c < ncuts ? cuts[c++] : n, got, used;
		const char *buf;
		tu_guard g;

		if (end < pos)
			end = pos;
		/* Each chunk ends against a guard page. */
		if (inplace) {
			char *tmp = malloc(end - pos + 1);

			assert_non_null(tmp);
			tmp[0] = '#';
			memcpy(tmp + 1, in + pos, end - pos);
			buf = tu_guard_new(&g, tmp, end - pos + 1);
			free(tmp);
			r.rc = mf__dot_dec_update_path(
			    path, &st, g.ptr, mf_dot_decoded_len(end - pos),
			    buf + 1, end - pos, &got, &used, NULL);
			if (r.rc >= 0)
				memcpy(r.out + r.len, buf, got);
		} else {
			buf = tu_guard_new(&g, in + pos, end - pos);
			r.rc = mf__dot_dec_update_path(
			    path, &st, r.out + r.len,
			    mf_dot_decoded_len(end - pos), buf, end - pos, &got,
			    &used, NULL);
		}
		tu_guard_free(&g);
		if (r.rc < 0)
			break;
		r.len += got;
		pos += used;
		if (r.rc == MF_MORE && end == n)
			break;
	}
	r.consumed = pos;
	r.defects = st.defects;
	r.defect_off = st.defect_off;
	return r;
}

static struct dres
dec_cuts(int path, unsigned flags, size_t max_line, const char *in, size_t n,
         const size_t *cuts, size_t ncuts)
{
	return dec_cuts_mode(path, flags, max_line, in, n, cuts, ncuts, false);
}

static struct dres
dec1(int path, unsigned flags, const char *in, size_t n)
{
	return dec_cuts(path, flags, 0, in, n, NULL, 0);
}

/* Streaming equals one-shot: every pair of split points (short input),
 * else every single point, and one byte at a time. */
static void
dec_splits(unsigned flags, size_t max_line, const char *in, size_t n,
           const char *label)
{
	struct dres one =
	    dec_cuts(MF__PATH_SCALAR, flags, max_line, in, n, NULL, 0);
	size_t a, b, p;
	char lab[256];

	for (p = 0; p < NPATHS; p++) {
		struct dres r =
		    dec_cuts(paths[p], flags, max_line, in, n, NULL, 0);
		snprintf(lab, sizeof(lab), "%s path %d", label, paths[p]);
		dres_eq(&r, &one, lab);
		free(r.out);
	}
	for (a = 0; a <= n; a++) {
		size_t lim = n <= 40 ? n : a;

		for (b = a; b <= lim; b++) {
			size_t cuts[2] = {a, b};
			struct dres r = dec_cuts(paths[(a + b) % NPATHS], flags,
			                         max_line, in, n, cuts, 2);
			snprintf(lab, sizeof(lab), "%s split %zu,%zu", label, a,
			         b);
			dres_eq(&r, &one, lab);
			free(r.out);
			r = dec_cuts_mode(paths[(a + b + 1) % NPATHS], flags,
			                  max_line, in, n, cuts, 2, true);
			dres_eq(&r, &one, lab);
			free(r.out);
		}
	}
	{
		size_t *cuts = malloc((n + 1) * sizeof(*cuts));
		struct dres r;

		assert_non_null(cuts);
		for (a = 0; a <= n; a++)
			cuts[a] = a;
		r = dec_cuts(MF__PATH_BEST, flags, max_line, in, n, cuts,
		             n + 1);
		snprintf(lab, sizeof(lab), "%s bytewise", label);
		dres_eq(&r, &one, lab);
		free(r.out);
		free(cuts);
	}
	free(one.out);
}

/* Encodes in[0..n) on path in chunks split at cuts, plus final. */
static char *
enc_cuts(int path, const char *in, size_t n, const size_t *cuts, size_t ncuts,
         size_t *len)
{
	mf_dot_enc st;
	char *out = malloc(mf_dot_encoded_len(n));
	size_t pos = 0, c, o = 0, got;

	assert_non_null(out);
	memset(&st, 0, sizeof(st));
	for (c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		tu_guard g;
		const char *buf;

		if (end < pos)
			end = pos;
		buf = tu_guard_new(&g, in + pos, end - pos);
		assert_int_equal(
		    mf__dot_enc_update_path(path, &st, out + o,
		                            mf_dot_encoded_len(end - pos) - 5,
		                            buf, end - pos, &got),
		    MF_OK);
		tu_guard_free(&g);
		o += got;
		pos = end;
	}
	assert_int_equal(mf_dot_enc_final(&st, out + o, 5, &got), MF_OK);
	*len = o + got;
	return out;
}

static char *
enc1(const char *in, size_t n, size_t *len)
{
	char *out = malloc(mf_dot_encoded_len(n));

	assert_non_null(out);
	assert_int_equal(mf_dot_encode(out, mf_dot_encoded_len(n), in, n, len),
	                 MF_OK);
	return out;
}

static void
enc_splits(const char *in, size_t n, const char *label)
{
	size_t want_len, a, b, p;
	char *want = enc1(in, n, &want_len);
	char lab[256];

	for (p = 0; p < NPATHS; p++) {
		size_t len;
		char *got = enc_cuts(paths[p], in, n, NULL, 0, &len);

		snprintf(lab, sizeof(lab), "%s path %d", label, paths[p]);
		tu_assert_mem(got, len, want, want_len, lab);
		free(got);
	}
	for (a = 0; a <= n; a++) {
		size_t lim = n <= 40 ? n : a;

		for (b = a; b <= lim; b++) {
			size_t cuts[2] = {a, b}, len;
			char *got = enc_cuts(paths[(a + b) % NPATHS], in, n,
			                     cuts, 2, &len);

			snprintf(lab, sizeof(lab), "%s split %zu,%zu", label, a,
			         b);
			tu_assert_mem(got, len, want, want_len, lab);
			free(got);
		}
	}
	free(want);
}

/* ---------------------------------------------------------------------- */
/* Dovecot's istream-dot vectors                                           */
/* ---------------------------------------------------------------------- */

static void
test_dovecot_vectors(void **state)
{
	tj *doc = tj_load("corpus/vectors/dovecot/lib-mail-istream-dot.json");
	tj *tab = tj_path(doc, "tables.tests.entries");
	size_t i, ran = 0;

	(void)state;
	assert_non_null(tab);
	for (i = 0; i < tab->len; i++) {
		tj *e = tj_at(tab, i);
		const char *kind = tj_get(e, "expected_outcome")->str;
		size_t n, on = 0, pn = 0, m;
		const char *in = tj_bytes(tj_get(e, "input"), &n);
		const char *want = tj_bytes(tj_get(e, "output"), &on);
		const char *rest = tj_bytes(tj_get(e, "parent_input"), &pn);
		char label[64];

		if (strcmp(kind, "END_OF_TESTS") == 0)
			continue;
		ran++;
		for (m = 0; m < 2; m++) {
			unsigned fl = m ? MF_ACCEPT_LF : 0;
			struct dres r = dec1(MF__PATH_BEST, fl, in, n);
			int ends = strcmp(kind, "STRICT_EOT") == 0 ||
			           (m == 1 && strcmp(kind, "LOOSE_EOT") == 0);

			snprintf(label, sizeof(label), "case %zu %s", i,
			         m ? "lenient" : "strict");
			if (!ends) {
				if (r.rc != MF_MORE)
					fail_msg("%s: ended (rc %d)", label,
					         r.rc);
			} else {
				if (r.rc != MF_OK)
					fail_msg("%s: rc %d", label, r.rc);
				tu_assert_mem(r.out, r.len, want, on, label);
				tu_assert_mem(in + r.consumed, n - r.consumed,
				              rest, pn, label);
			}
			free(r.out);
			dec_splits(fl, 0, in, n, label);
		}
	}
	assert_int_equal(ran, 38);
	tj_free(doc);
}

/* ---------------------------------------------------------------------- */
/* GMime's SMTP filter: lines beginning with "." get another one           */
/* ---------------------------------------------------------------------- */

static void
test_gmime_filter(void **state)
{
	size_t in_n, want_n, crlf_n, want_crlf_n, len, dlen, used;
	char *in =
	    tu_read("corpus/gmime/tests/data/filters/smtp-input.txt", &in_n);
	char *want =
	    tu_read("corpus/gmime/tests/data/filters/smtp-output.txt", &want_n);
	char *want_crlf = tu_eol(want, want_n, 1, &want_crlf_n);
	char *in_crlf = tu_eol(in, in_n, 1, &crlf_n);
	char *got, *back;
	uint64_t defects;

	(void)state;
	/* LF input: stuffed and converted, plus the terminating line. */
	got = enc1(in, in_n, &len);
	assert_true(len == want_crlf_n + 3);
	tu_assert_mem(got, want_crlf_n, want_crlf, want_crlf_n, "gmime LF");
	tu_assert_mem(got + want_crlf_n, 3, ".\r\n", 3, "gmime end");
	free(got);
	got = enc1(in_crlf, crlf_n, &len);
	tu_assert_mem(got, len - 3, want_crlf, want_crlf_n, "gmime CRLF");
	/* And back. */
	back = malloc(len + 1);
	assert_non_null(back);
	assert_int_equal(mf_dot_decode(back, len + 1, got, len, 0, &dlen, &used,
	                               &defects, NULL),
	                 MF_OK);
	assert_int_equal(used, len);
	assert_int_equal(defects, 0);
	tu_assert_mem(back, dlen, in_crlf, crlf_n, "gmime back");
	enc_splits(in, in_n, "gmime enc");
	dec_splits(0, 0, got, len, "gmime dec");
	free(back);
	free(got);
	free(in);
	free(want);
	free(in_crlf);
	free(want_crlf);
}

/* ---------------------------------------------------------------------- */
/* Encoder table                                                           */
/* ---------------------------------------------------------------------- */

static void
test_encode_table(void **state)
{
	static const struct {
		const char *in, *want;
	} v[] = {
	    {"", ".\r\n"},
	    {"a", "a\r\n.\r\n"},
	    {"a\r\n", "a\r\n.\r\n"},
	    {"a\n", "a\r\n.\r\n"},
	    {"a\r", "a\r\n.\r\n"},
	    {".", "..\r\n.\r\n"},
	    {".\r\n", "..\r\n.\r\n"},
	    {"..\r\n", "...\r\n.\r\n"},
	    {".a\n.b\r\n.c\r.d", "..a\r\n..b\r\n..c\r\n..d\r\n.\r\n"},
	    {"a.\r\n b.\r\n", "a.\r\n b.\r\n.\r\n"},
	    {"\r\n.\r\n", "\r\n..\r\n.\r\n"},
	    {"\n.\n", "\r\n..\r\n.\r\n"},
	    {"\r\r\n", "\r\n\r\n.\r\n"},
	    {"\n\r", "\r\n\r\n.\r\n"},
	    {"\r\n\r\n", "\r\n\r\n.\r\n"},
	    {"x\r\n\r\n.", "x\r\n\r\n..\r\n.\r\n"},
	    {"Subject: a\r\n\r\n.\r\n..\r\n", "Subject: a\r\n\r\n..\r\n"
	                                      "...\r\n.\r\n"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len;
		char *got = enc1(v[i].in, strlen(v[i].in), &len);
		char label[32];

		snprintf(label, sizeof(label), "case %zu", i);
		tu_assert_mem(got, len, v[i].want, strlen(v[i].want), label);
		free(got);
		enc_splits(v[i].in, strlen(v[i].in), label);
	}
}

/* ---------------------------------------------------------------------- */
/* Decoder table: outputs, defects and their offsets, the end              */
/* ---------------------------------------------------------------------- */

#define CR MF_DEFECT_BIT(MF_D_BARE_CR)
#define LF MF_DEFECT_BIT(MF_D_BARE_LF)
#define LONG MF_DEFECT_BIT(MF_D_LONG_LINE)

static void
test_decode_table(void **state)
{
	static const struct {
		unsigned flags;
		const char *in;
		int rc;
		const char *want; /* output */
		size_t consumed;
		uint64_t defects;
		size_t defect_off;
	} v[] = {
	    /* The end, and what follows it stays unread. */
	    {0, ".\r\n", MF_OK, "", 3, 0, 0},
	    {0, "a\r\n.\r\nQUIT\r\n", MF_OK, "a\r\n", 6, 0, 0},
	    {0, "..\r\n...\r\n.x\r\n.\r\n", MF_OK, ".\r\n..\r\nx\r\n", 16, 0,
	     0},
	    {0, "a\r\n.\r", MF_MORE, "a\r\n", 5, 0, 0},
	    {0, "a\r\n.", MF_MORE, "a\r\n", 4, 0, 0},
	    {0, "a. b\r\n", MF_MORE, "a. b\r\n", 6, 0, 0},
	    /* SMTP smuggling: a "." line with a bare LF is data. */
	    {0, "a\n.\r\nMAIL FROM:<x@y>\r\n.\r\n", MF_OK,
	     "a\n.\r\nMAIL FROM:<x@y>\r\n", 25, LF, 1},
	    {0, "a\r\n.\nMAIL FROM:<x@y>\r\n.\r\n", MF_OK,
	     "a\r\n\nMAIL FROM:<x@y>\r\n", 25, LF, 4},
	    {0, "a\n.\nRCPT TO:<x@y>\r\n.\r\n", MF_OK,
	     "a\n.\nRCPT TO:<x@y>\r\n", 22, LF, 1},
	    {0, "a\r.\r\nb\r\n.\r\n", MF_OK, "a\r.\r\nb\r\n", 11, CR, 1},
	    {0, "a\r\n.\rb\r\n.\r\n", MF_OK, "a\r\n\rb\r\n", 11, CR, 4},
	    /* Lenient: LF is a line end. */
	    {MF_ACCEPT_LF, "a\n.\r\nMAIL\r\n", MF_OK, "a\n", 5, 0, 0},
	    {MF_ACCEPT_LF, "a\r\n.\nMAIL\r\n", MF_OK, "a\r\n", 5, 0, 0},
	    {MF_ACCEPT_LF, "a\n..b\n.\n", MF_OK, "a\n.b\n", 8, 0, 0},
	    {MF_ACCEPT_LF, "a\r.\n", MF_MORE, "a\r.\n", 4, CR, 1},
	    /* Defects: the smallest offset. */
	    {0, "a\rb\nc\r\n.\r\n", MF_OK, "a\rb\nc\r\n", 10, CR | LF, 1},
	    {0, "ab\nc\rd\r\n.\r\n", MF_OK, "ab\nc\rd\r\n", 11, CR | LF, 2},
	    {0, "\r\r\r\n.\r\n", MF_OK, "\r\r\r\n", 7, CR, 0},
	    {0, "\n", MF_MORE, "\n", 1, LF, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);
		struct dres r = dec1(MF__PATH_BEST, v[i].flags, v[i].in, n);
		char label[32];

		snprintf(label, sizeof(label), "case %zu", i);
		if (r.rc != v[i].rc || r.consumed != v[i].consumed ||
		    r.defects != v[i].defects ||
		    (r.defects && r.defect_off != v[i].defect_off))
			fail_msg("%s: rc %d consumed %zu defects %llx at %llu",
			         label, r.rc, r.consumed,
			         (unsigned long long)r.defects,
			         (unsigned long long)r.defect_off);
		tu_assert_mem(r.out, r.len, v[i].want, strlen(v[i].want),
		              label);
		free(r.out);
		dec_splits(v[i].flags, 0, v[i].in, n, label);
	}
}

/* ---------------------------------------------------------------------- */
/* Line length: 1000 octets with CRLF (RFC 5321 4.5.3.1.6)                 */
/* ---------------------------------------------------------------------- */

static void
test_line_limit(void **state)
{
	size_t n = 3000, len;
	char *in = malloc(n);
	struct dres r;

	(void)state;
	assert_non_null(in);
	/* Line 1: 1000 octets with its CRLF (a stuffing dot counts). */
	memset(in, 'a', n);
	in[0] = '.';
	in[998] = '\r';
	in[999] = '\n';
	/* Line 2: 1001 octets. */
	in[1999] = '\r';
	in[2000] = '\n';
	memcpy(in + 2001, ".\r\n", 3);
	len = 2004;
	r = dec1(MF__PATH_BEST, 0, in, len);
	assert_int_equal(r.rc, MF_OK);
	assert_int_equal(r.len, 2000);
	assert_int_equal(r.defects, LONG);
	assert_int_equal(r.defect_off, 1000 + 1000);
	free(r.out);
	r = dec1(MF__PATH_BEST, MF_LONG_LINES, in, len);
	assert_int_equal(r.rc, MF_OK);
	assert_int_equal(r.defects, 0);
	free(r.out);
	dec_splits(0, 0, in, len, "limit");
	/* max_line 999: the first line is too long already. */
	r = dec_cuts(MF__PATH_BEST, 0, 999, in, len, NULL, 0);
	assert_int_equal(r.defects, LONG);
	assert_int_equal(r.defect_off, 999);
	free(r.out);
	dec_splits(0, 999, in, len, "limit 999");
	/* A line that has not ended is reported as soon as it is too long. */
	memset(in, 'a', 1001);
	r = dec1(MF__PATH_BEST, 0, in, 1001);
	assert_int_equal(r.rc, MF_MORE);
	assert_int_equal(r.defects, LONG);
	assert_int_equal(r.defect_off, 1000);
	free(r.out);
	r = dec1(MF__PATH_BEST, 0, in, 1000);
	assert_int_equal(r.defects, 0);
	free(r.out);
	free(in);
}

/* ---------------------------------------------------------------------- */
/* Round trips over seeded random bytes rich in ".", CR and LF              */
/* ---------------------------------------------------------------------- */

/* The input with every line end as CRLF, and a final one if missing. */
static char *
normalise(const char *in, size_t n, size_t *len)
{
	char *out = malloc(2 * n + 3);
	size_t i, o = 0;

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
				i++;
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			out[o++] = in[i];
		}
	}
	if (o > 0 && out[o - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	*len = o;
	return out;
}

static void
test_round_trip(void **state)
{
	static const char alpha[] = ".\r\n.ab";
	tu_rng rng;
	size_t iter, iters = tu_slow_ok() ? 3000 : 300;

	(void)state;
	tu_rng_seed(&rng, 9);
	for (iter = 0; iter < iters; iter++) {
		size_t n = tu_rng_below(&rng, 300), i, elen, wlen, p;
		char *in = malloc(n + 1), *enc, *want;
		char label[48];

		assert_non_null(in);
		for (i = 0; i < n; i++)
			in[i] =
			    iter % 3 == 0
			        ? (char)tu_rng_below(&rng, 256)
			        : alpha[tu_rng_below(&rng, sizeof(alpha) - 1)];
		enc = enc1(in, n, &elen);
		want = normalise(in, n, &wlen);
		snprintf(label, sizeof(label), "iter %zu", iter);
		for (p = 0; p < NPATHS; p++) {
			/* Pipelined bytes after the end are left alone. */
			char *wire = malloc(elen + 6);
			struct dres r;

			assert_non_null(wire);
			memcpy(wire, enc, elen);
			memcpy(wire + elen, "QUIT\r\n", 6);
			r = dec1(paths[p], 0, wire, elen + 6);
			assert_int_equal(r.rc, MF_OK);
			assert_int_equal(r.consumed, elen);
			assert_int_equal(r.defects, 0);
			tu_assert_mem(r.out, r.len, want, wlen, label);
			free(r.out);
			free(wire);
		}
		if (iter < 40) {
			enc_splits(in, n, label);
			dec_splits(0, 0, enc, elen, label);
			dec_splits(MF_ACCEPT_LF, 0, in, n, label);
			dec_splits(0, 0, in, n, label);
		}
		free(in);
		free(enc);
		free(want);
	}
}

/* Random chunking of long random input, against one-shot. */
static void
test_random_chunks(void **state)
{
	static const char alpha[] = "..\r\n\r\nabcdefghij \n\r";
	tu_rng rng;
	size_t iter;

	(void)state;
	tu_rng_seed(&rng, 77);
	for (iter = 0; iter < 60; iter++) {
		size_t n = 1000 + tu_rng_below(&rng, 20000), i, nc = 0;
		char *in = malloc(n);
		size_t cuts[64];
		struct dres one, r;
		char label[32];
		unsigned fl = (unsigned)(iter % 4) == 0   ? MF_ACCEPT_LF
		              : (unsigned)(iter % 4) == 1 ? MF_LONG_LINES
		                                          : 0;

		assert_non_null(in);
		for (i = 0; i < n; i++)
			in[i] = alpha[tu_rng_below(&rng, sizeof(alpha) - 1)];
		if (iter % 2)
			memset(in + n / 3, 'x', n / 3);
		for (i = 0; i < 64; i++) {
			nc += 1 + tu_rng_below(&rng, n / 32);
			cuts[i] = nc < n ? nc : n;
		}
		snprintf(label, sizeof(label), "iter %zu", iter);
		one = dec_cuts(MF__PATH_SCALAR, fl, 0, in, n, NULL, 0);
		for (i = 0; i < NPATHS; i++) {
			r = dec_cuts(paths[i], fl, 0, in, n, cuts, 64);
			dres_eq(&r, &one, label);
			free(r.out);
			/* In place: the same. */
			r = dec_cuts_mode(paths[i], fl, 0, in, n, cuts, 64,
			                  true);
			dres_eq(&r, &one, label);
			free(r.out);
		}
		free(one.out);
		{
			size_t l1, l2;
			char *e1 = enc1(in, n, &l1);
			char *e2 = enc_cuts(paths[iter % NPATHS], in, n, cuts,
			                    64, &l2);

			tu_assert_mem(e2, l2, e1, l1, label);
			free(e1);
			free(e2);
		}
		free(in);
	}
}

/* The scanners of every path agree. */
static void
test_scanners(void **state)
{
	tu_rng rng;
	unsigned char buf[300];
	size_t iter;

	(void)state;
	tu_rng_seed(&rng, 5);
	for (iter = 0; iter < 20000; iter++) {
		size_t n = tu_rng_below(&rng, sizeof(buf)), i, p;
		size_t want;

		memset(buf, 'a' + (int)(iter % 26), n);
		for (i = tu_rng_below(&rng, 4); i > 0 && n > 0; i--)
			buf[tu_rng_below(&rng, n)] =
			    "\r\n\x8d\x0a\x8a\x0d"[tu_rng_below(&rng, 6)];
		want = mf__dot_scan[MF__PATH_SCALAR](buf, n);
		for (i = 0; i < want; i++)
			assert_true(buf[i] != '\r' && buf[i] != '\n');
		assert_true(want == n || buf[want] == '\r' ||
		            buf[want] == '\n');
		for (p = 1; p < NPATHS; p++) {
			if (!mf__path_ok(paths[p]))
				continue;
			assert_int_equal(mf__dot_scan[paths[p]](buf, n), want);
		}
	}
}

/* The clean-run scanners of every path agree, limits and all. */
static void
test_clean_runs(void **state)
{
	static const char alpha[] = "..\r\n\r\nabcdefgh";
	tu_rng rng;
	unsigned char buf[400];
	size_t iter;

	(void)state;
	tu_rng_seed(&rng, 21);
	for (iter = 0; iter < 30000; iter++) {
		size_t n = tu_rng_below(&rng, sizeof(buf)), i, p;
		size_t max = iter % 3 == 0 ? 0 : 1 + tu_rng_below(&rng, 120);
		size_t cur = tu_rng_below(&rng, 60), ls0, ls, want, wls;

		ls0 = tu_rng_below(&rng, cur + 1);
		if (max != 0 && cur + 1 - ls0 > max)
			ls0 = cur;
		for (i = 0; i < n; i++)
			buf[i] = iter % 2 ? (unsigned char)'a' +
			                        (unsigned char)(i % 7)
			                  : (unsigned char)alpha[tu_rng_below(
			                        &rng, sizeof(alpha) - 1)];
		for (i = tu_rng_below(&rng, 6); i > 0 && n > 0; i--)
			buf[tu_rng_below(&rng, n)] =
			    "\r\n."[tu_rng_below(&rng, 3)];
		wls = ls0;
		want = mf__dot_clean[MF__PATH_SCALAR](NULL, buf, n, max, cur,
		                                      &wls);
		assert_true(want <= n);
		assert_true(want == 0 || buf[want - 1] != '\r');
		for (p = 0; p < NPATHS; p++) {
			unsigned char out[sizeof(buf)];
			size_t got;

			if (!mf__path_ok(paths[p]))
				continue;
			ls = ls0;
			got = mf__dot_clean[paths[p]](NULL, buf, n, max, cur,
			                              &ls);
			if (got != want || ls != wls)
				fail_msg("iter %zu path %d: %zu/%zu ls %zu/%zu",
				         iter, paths[p], got, want, ls, wls);
			/* Copying as it scans: the same run, in out. */
			ls = ls0;
			memset(out, 0xAA, sizeof(out));
			got =
			    mf__dot_clean[paths[p]](out, buf, n, max, cur, &ls);
			assert_int_equal(got, want);
			tu_assert_mem(out, got, buf, want, "copied run");
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Buffers, states and misuse                                              */
/* ---------------------------------------------------------------------- */

static void
test_nospc(void **state)
{
	char out[16];
	size_t len = 99, used = 99;
	mf_dot_dec d;
	mf_dot_enc e;
	mf_error err;

	(void)state;
	assert_int_equal(mf_dot_decoded_len(5), 6);
	assert_int_equal(mf_dot_decoded_len(SIZE_MAX), SIZE_MAX);
	assert_int_equal(mf_dot_encoded_len(5), 15);
	assert_int_equal(mf_dot_encoded_len(SIZE_MAX / 2), SIZE_MAX);
	/* The held CR of ".\r": one byte more than the input. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(
	    mf_dot_dec_update(&d, out, 1, "a\r\n.\r", 5, &len, &used, NULL),
	    MF_E_NOSPC);
	assert_int_equal(d.off_, 0);
	assert_int_equal(
	    mf_dot_dec_update(&d, out, 3, "a\r\n.\r", 5, &len, &used, NULL),
	    MF_MORE);
	assert_int_equal(len, 3);
	assert_int_equal(
	    mf_dot_dec_update(&d, out, 1, "x", 1, &len, &used, &err),
	    MF_E_NOSPC);
	assert_int_equal(err.code, MF_E_NOSPC);
	assert_int_equal(
	    mf_dot_dec_update(&d, out, 2, "x", 1, &len, &used, NULL), MF_MORE);
	tu_assert_mem(out, len, "\rx", 2, "held CR");
	assert_int_equal(d.defects, CR);
	assert_int_equal(d.defect_off, 4);
	/* Encoder: nothing consumed when the output does not fit. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(mf_dot_enc_update(&e, out, 3, ".a\n", 3, &len),
	                 MF_E_NOSPC);
	assert_int_equal(e.state_, 0);
	assert_int_equal(mf_dot_enc_update(&e, out, 4, ".a", 2, &len), MF_OK);
	assert_int_equal(mf_dot_enc_final(&e, out, 4, &len), MF_E_NOSPC);
	assert_int_equal(mf_dot_enc_final(&e, out, 5, &len), MF_OK);
	tu_assert_mem(out, len, "\r\n.\r\n", 5, "final");
	assert_int_equal(e.state_, 0);
	assert_int_equal(mf_dot_encode(out, 4, "ab", 2, &len), MF_E_NOSPC);
	assert_int_equal(len, 0);
}

static void
test_misuse(void **state)
{
	char out[16];
	size_t len, used;
	mf_dot_dec d;
	mf_error err;
	uint64_t defects = 7;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.flags = MF_STRICT;
	assert_int_equal(
	    mf_dot_dec_update(&d, out, sizeof(out), "a", 1, &len, &used, &err),
	    MF_E_INVAL);
	assert_int_equal(err.code, MF_E_INVAL);
	d.flags = 0;
	/* Sticky. */
	assert_int_equal(
	    mf_dot_dec_update(&d, out, sizeof(out), "a", 1, &len, &used, NULL),
	    MF_E_INVAL);
	memset(&d, 0, sizeof(d));
	assert_int_equal(mf_dot_dec_update(&d, out, sizeof(out), ".\r\nx", 4,
	                                   &len, &used, NULL),
	                 MF_OK);
	assert_int_equal(used, 3);
	assert_int_equal(d.done, 1);
	assert_int_equal(
	    mf_dot_dec_update(&d, out, sizeof(out), "x", 1, &len, &used, &err),
	    MF_E_STATE);
	assert_int_equal(err.offset, 3);
	assert_int_equal(mf_dot_dec_update(NULL, out, sizeof(out), "x", 1, &len,
	                                   &used, NULL),
	                 MF_E_INVAL);
	memset(&d, 0, sizeof(d));
	assert_int_equal(
	    mf_dot_dec_update(&d, out, sizeof(out), "x", 1, NULL, &used, NULL),
	    MF_E_INVAL);
	assert_int_equal(mf_dot_decode(out, sizeof(out), "x", 1, MF_LF, &len,
	                               &used, &defects, NULL),
	                 MF_E_INVAL);
	assert_int_equal(defects, 0);
	assert_int_equal(
	    mf_dot_decode(NULL, 0, NULL, 0, 0, &len, NULL, NULL, NULL),
	    MF_MORE);
	assert_int_equal(mf_dot_enc_update(NULL, out, 1, "a", 1, &len),
	                 MF_E_INVAL);
	assert_int_equal(mf_dot_encode(out, sizeof(out), "a", 1, NULL),
	                 MF_E_INVAL);
	assert_int_equal(mf_dot_encode(out, sizeof(out), NULL, 0, &len), MF_OK);
	tu_assert_mem(out, len, ".\r\n", 3, "empty");
	assert_string_equal(mf_defect_name(MF_D_BARE_LF), "bare-lf");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dovecot_vectors),
	    cmocka_unit_test(test_gmime_filter),
	    cmocka_unit_test(test_encode_table),
	    cmocka_unit_test(test_decode_table),
	    cmocka_unit_test(test_line_limit),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_random_chunks),
	    cmocka_unit_test(test_scanners),
	    cmocka_unit_test(test_clean_runs),
	    cmocka_unit_test(test_nospc),
	    cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
