/* SPDX-License-Identifier: MIT */
/*
 * test_content.c - content decoding and body selection: uudecode (vectors
 * from Python's binascii.b2a_uu, malformed lines with their defects and
 * offsets, strict errors, every split point, random round trips through a
 * small encoder here), format=flowed (the rules of RFC 3676 4, case by
 * case), transfer decoding equal to the codecs, charset conversion and its
 * fallbacks (a table, and GMime's charset samples wrapped as parts),
 * streaming equal to one-shot (every split point, and through the push
 * parser), the RFC 8621 4.1.4 selection (a case per rule, and a
 * transcription of the RFC's recursive function compared with the library
 * on random structures and the corpus), every leaf of the corpus with
 * every flag combination, OOM loops and guard pages.
 */
#include "tdefect.h"

#include "charset.h"
#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

static mf_msg *
parse(const char *p, size_t n)
{
	mf_msg *m = NULL;
	mf_error e;

	if (mf_msg_parse(p, n, NULL, &m, &e) != MF_OK)
		fail_msg("parse failed: %s at %zu", e.reason, e.offset);
	return m;
}

/* The first leaf of the message, depth first. */
static const mf_part *
first_leaf(const mf_msg *m)
{
	const mf_part *r = mf_msg_root(m), *p = NULL;

	while ((p = mf_part_next(r, p)) != NULL)
		if (mf_part_kind(p) == MF_PART_LEAF)
			return p;
	return NULL;
}

/* Decodes p one-shot into a new buffer (asserting MF_OK). */
static mf_buf *
decode(const mf_part *p, unsigned flags, const mf_opts *o, uint64_t *defects)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_error e;
	int rc;

	assert_non_null(b);
	rc = mf_part_decode(p, b, flags, o, defects, &e);
	if (rc != MF_OK)
		fail_msg("mf_part_decode: %d (%s) at %zu", rc, e.reason,
		         e.offset);
	return b;
}

/* Streams body[0..n) through a decoder cut at the given points. */
static mf_buf *
stream(const mf_part *p, unsigned flags, const char *body, size_t n,
       const size_t *cuts, size_t k, uint64_t *defects)
{
	mf_content_dec *d = mf_content_dec_new(p, flags, NULL);
	mf_buf *b = mf_buf_new(NULL);
	size_t i, at = 0;

	assert_non_null(d);
	assert_non_null(b);
	for (i = 0; i <= k; i++) {
		size_t to = i < k ? cuts[i] : n;

		assert_int_equal(
		    mf_content_dec_update(d, b, body + at, to - at), MF_OK);
		at = to;
	}
	assert_int_equal(mf_content_dec_final(d, b), MF_OK);
	if (defects != NULL)
		*defects = mf_content_dec_defects(d);
	assert_int_equal(mf_content_dec_error(d, NULL), MF_OK);
	mf_content_dec_free(d);
	return b;
}

/*
 * Streaming equals one-shot for p: every two-way split (or a sample of
 * them for long bodies), byte at a time for short ones.
 */
static void
check_splits(const mf_part *p, unsigned flags, const char *label)
{
	mf_str body = mf_part_body(p);
	uint64_t d1 = 0, d2;
	mf_buf *want = decode(p, flags, NULL, &d1), *got;
	size_t step = body.len > 600 ? body.len / 97 + 1 : 1, k;

	for (k = 0; k <= body.len; k += step) {
		got = stream(p, flags, body.ptr, body.len, &k, 1, &d2);
		tu_assert_mem(mf_buf_data(got), mf_buf_len(got),
		              mf_buf_data(want), mf_buf_len(want), label);
		if (d1 != d2)
			fail_msg("%s: split %zu: defects %llx, one-shot %llx",
			         label, k, (unsigned long long)d2,
			         (unsigned long long)d1);
		mf_buf_free(got);
	}
	if (body.len <= 4096) {
		size_t *cuts = malloc((body.len + 1) * sizeof(*cuts));

		assert_non_null(cuts);
		for (k = 0; k < body.len; k++)
			cuts[k] = k;
		got = stream(p, flags, body.ptr, body.len, cuts, body.len, &d2);
		tu_assert_mem(mf_buf_data(got), mf_buf_len(got),
		              mf_buf_data(want), mf_buf_len(want), label);
		assert_true(d1 == d2);
		mf_buf_free(got);
		free(cuts);
	}
	mf_buf_free(want);
}

/* A one-part message: header lines (LF ends, the last one optional), an
 * empty line and the body, parsed; p is its leaf. */
struct onepart {
	char *msg;
	mf_msg *m;
	const mf_part *p;
};

static const mf_part *
op_open(struct onepart *op, const char *headers, const char *body,
        size_t bodylen)
{
	size_t h = strlen(headers);
	char *m = malloc(h + 2 + bodylen + 1);

	assert_non_null(m);
	memcpy(m, headers, h);
	if (h == 0 || headers[h - 1] != '\n')
		m[h++] = '\n';
	m[h++] = '\n';
	if (bodylen > 0)
		memcpy(m + h, body, bodylen);
	m[h + bodylen] = '\0';
	op->msg = m;
	op->m = parse(m, h + bodylen);
	op->p = first_leaf(op->m);
	return op->p;
}

static void
op_close(struct onepart *op)
{
	mf_msg_free(op->m);
	free(op->msg);
}

/* p decodes with flags to want[0..wn), one-shot and split anywhere. */
static void
expect_text(const mf_part *p, unsigned flags, const char *want, size_t wn,
            uint64_t *defects, const char *label)
{
	mf_buf *b = decode(p, flags, NULL, defects);

	tu_assert_mem(mf_buf_data(b), mf_buf_len(b), want, wn, label);
	mf_buf_free(b);
	check_splits(p, flags, label);
}

/*
 * MF_SAFE_TEXT: text for a terminal. Controls but TAB, LF and the CR of a
 * CRLF become U+FFFD, C1 controls and DEL too, bare CRs as well; it
 * implies MF_CONTENT_TEXT, composes with MF_LF and format=flowed, and
 * streams like the rest (a CR at a cut waits for the next byte).
 */
static void
test_safe_text(void **state)
{
#define R "\xef\xbf\xbd"
#define B(s) s, sizeof(s) - 1
	static const struct {
		const char *hdr, *body;
		size_t bl;
		unsigned flags;
		const char *want;
	} t[] = {
	    {"Content-Type: text/plain; charset=utf-8",
	     B("a\x1b[2Jb\tc\r\nd\re\nf\x7fg\xc2\x9b" "31mh\xc2\xa0\x0c"),
	     MF_SAFE_TEXT,
	     "a" R "[2Jb\tc\r\nd" R "e\nf" R "g" R "31mh\xc2\xa0" R},
	    {"Content-Type: text/plain; charset=utf-8", B("x\r\ny\r\rz\r"),
	     MF_SAFE_TEXT | MF_LF, "x\ny" R R "z" R},
	    /* Labelled latin-1, read as windows-1252 (0x9B is "\u203a"); its
	     * holes are C1 controls. */
	    {"Content-Type: text/plain; charset=iso-8859-1", B("a\x9b" "b\x81" "c\xe9"),
	     MF_SAFE_TEXT, "a\xe2\x80\xba" "b" R "c\xc3\xa9"},
	    {"Content-Type: text/plain; charset=utf-8\n"
	     "Content-Transfer-Encoding: quoted-printable",
	     B("=1B]0;title=07x=\r\ny"), MF_SAFE_TEXT, "" R "]0;title" R "xy"},
	    {"Content-Type: text/plain; format=flowed; charset=utf-8",
	     B("one \x1b\r\ntwo \r\nthree\r\n"),
	     MF_SAFE_TEXT | MF_CONTENT_FLOWED | MF_LF, "one " R "\ntwo three\n"},
	    {"Content-Type: text/plain; charset=utf-16le", B("a\0\x1b\0\r\0\n\0"),
	     MF_SAFE_TEXT, "a" R "\r\n"},
	    /* NUL was U+FFFD before (MF_D_NUL). */
	    {"Content-Type: text/plain; charset=utf-8", B("a\0b"), MF_SAFE_TEXT,
	     "a" R "b"},
	    /* Not text: bytes as they are. */
	    {"Content-Type: application/octet-stream", B("a\x1b\r"), MF_SAFE_TEXT,
	     "a\x1b\r"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct onepart op;
		const mf_part *p = op_open(&op, t[i].hdr, t[i].body, t[i].bl);
		char label[32];

		snprintf(label, sizeof(label), "safe text case %zu", i);
		expect_text(p, t[i].flags, t[i].want, strlen(t[i].want), NULL,
		            label);
		op_close(&op);
	}
	/* A line longer than a conversion segment (64 KiB) that ends, or
	 * has a bare CR, right at the segment's end: the CR waits for the
	 * next segment (UTF-8 text and UTF-16, which is cut by size). */
	for (i = 0; i < 4; i++) {
		size_t seg = 65536, n = seg + 3, k;
		char *body = malloc(2 * n), *want = malloc(2 * n + 8);
		struct onepart op;
		const mf_part *p;
		int wide = i >= 2, bare = i % 2;
		size_t wn = 0, bn = 0;

		assert_non_null(body);
		assert_non_null(want);
		for (k = 0; k < (wide ? seg / 2 : seg) - 1; k++) {
			body[bn++] = 'a';
			if (wide)
				body[bn++] = '\0';
			want[wn++] = 'a';
		}
		body[bn++] = '\r';
		if (wide)
			body[bn++] = '\0';
		body[bn++] = bare ? 'b' : '\n';
		if (wide)
			body[bn++] = '\0';
		if (bare) {
			memcpy(want + wn, R "b", 4);
			wn += 4;
		} else {
			memcpy(want + wn, "\r\n", 2);
			wn += 2;
		}
		p = op_open(&op,
		            wide ? "Content-Type: text/plain; charset=utf-16le"
		                 : "Content-Type: text/plain; charset=utf-8",
		            body, bn);
		expect_text(p, MF_SAFE_TEXT, want, wn, NULL, "safe long line");
		op_close(&op);
		free(body);
		free(want);
	}
#undef B
#undef R
}

/* ---------------------------------------------------------------------- */
/* uudecode                                                                */
/* ---------------------------------------------------------------------- */

/* A small uuencoder (backquote for zero), for round trips. */
static size_t
uu_encode(char *out, const unsigned char *in, size_t n, const char *name)
{
	size_t o = (size_t)sprintf(out, "begin 644 %s\n", name), i, j;

	for (i = 0; i < n; i += 45) {
		size_t k = n - i < 45 ? n - i : 45;

		out[o++] = (char)(0x20 + k);
		for (j = 0; j < k; j += 3) {
			unsigned v = (unsigned)in[i + j] << 16;
			int q;

			if (j + 1 < k)
				v |= (unsigned)in[i + j + 1] << 8;
			if (j + 2 < k)
				v |= in[i + j + 2];
			for (q = 3; q >= 0; q--) {
				unsigned c = (v >> (6 * q)) & 63;

				out[o++] = (char)(c == 0 ? '`' : c + 0x20);
			}
		}
		out[o++] = '\n';
	}
	o += (size_t)sprintf(out + o, "`\nend\n");
	return o;
}

static void
test_uu_vectors(void **state)
{
	/* binascii.b2a_uu output (space and backquote forms). */
	static const struct {
		const char *in;
		const char *want;
		size_t wantlen;
	} t[] = {
	    {"begin 644 cat.txt\n#0V%T\n`\nend\n", "Cat", 3},
	    {"begin 644 h\n-2&5L;&\\L('=O<FQD(0  \n \nend\n", "Hello, world!",
	     13},
	    {"begin 644 h\n-2&5L;&\\L('=O<FQD(0``\n`\nend\n", "Hello, world!",
	     13},
	    {"begin 644 z\n#    \n`\nend\n", "\0\0\0", 3},
	    {"begin 644 z\n#````\n`\nend\n", "\0\0\0", 3},
	    {"begin 644 ab\n\"86( \n`\nend\n", "ab", 2},
	    {"begin 600 f\n$__[]_   \n`\nend\n", "\xff\xfe\xfd\xfc", 4},
	    {"begin 644 e\n`\nend\n", "", 0},
	    /* CRLF line ends, text before and after the block. */
	    {"Here it is:\r\n\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\n"
	     "-- \r\nsig\r\n",
	     "Cat", 3},
	    /* Everything after "end" is ignored, another block too. */
	    {"begin 644 a\n#0V%T\n`\nend\nbegin 644 b\n#0V%T\n`\nend\n", "Cat",
	     3},
	};
	unsigned char full[45];
	char enc[200], out[100];
	size_t i, outlen;
	uint64_t defects;
	mf_str name;

	(void)state;
	for (i = 0; i < N(t); i++) {
		char label[32];

		defects = 0;
		snprintf(label, sizeof(label), "uu case %zu", i);
		assert_int_equal(mf_uu_decode(out, sizeof(out), t[i].in,
		                              strlen(t[i].in), 0, &outlen,
		                              &name, &defects, NULL),
		                 MF_OK);
		tu_assert_mem(out, outlen, t[i].want, t[i].wantlen, label);
		if (defects != 0)
			fail_msg("%s: defects %llx", label,
			         (unsigned long long)defects);
	}
	/* A full 45-byte line (binascii), its name and mode. */
	for (i = 0; i < 45; i++)
		full[i] = (unsigned char)i;
	snprintf(enc, sizeof(enc),
	         "begin 755 my file.bin\r\nM``$\"`P0%%!@<(\""
	         "0H+#`T.#Q`1$A,4%%187&!D:&QP='A\\@(2(C)\"4F)R@I*BLL\r\n`\r\n"
	         "end\r\n");
	defects = 0;
	assert_int_equal(mf_uu_decode(out, sizeof(out), enc, strlen(enc), 0,
	                              &outlen, &name, &defects, NULL),
	                 MF_OK);
	tu_assert_mem(out, outlen, full, 45, "45 bytes");
	tu_assert_mem(name.ptr, name.len, "my file.bin", 11, "name");
	assert_true(defects == 0);
	{
		mf_uu_dec st;
		size_t o2 = 0;

		memset(&st, 0, sizeof(st));
		assert_int_equal(mf_uu_dec_update(&st, out, sizeof(out), enc,
		                                  strlen(enc), &outlen, NULL),
		                 MF_OK);
		assert_int_equal(mf_uu_dec_final(&st, out + outlen,
		                                 sizeof(out) - outlen, &o2,
		                                 NULL),
		                 MF_OK);
		assert_int_equal(mf_uu_dec_update(&st, out, sizeof(out), "x", 1,
		                                  &outlen, NULL),
		                 MF_E_STATE);
		assert_int_equal(
		    mf_uu_dec_final(&st, out, sizeof(out), &outlen, NULL),
		    MF_E_STATE);
		assert_int_equal(st.mode, 0755);
		assert_string_equal(st.name, "my file.bin");
		assert_int_equal(st.name_len, 11);
		assert_true(st.begun && st.ended);
	}
	/* A begin line without a name. */
	assert_int_equal(mf_uu_decode(out, sizeof(out), "begin 644\n#0V%T\nend",
	                              19, 0, &outlen, &name, NULL, NULL),
	                 MF_OK);
	tu_assert_mem(out, outlen, "Cat", 3, "no name");
	assert_int_equal(name.len, 0);
	/* The corpus's only x-uuencode part (mikel/mail) has no data. */
	{
		size_t n;
		char *p = tu_read("corpus/mikel-mail/spec/fixtures/emails/"
		                  "error_emails/"
		                  "content_transfer_encoding_x_uuencode.eml",
		                  &n);
		mf_msg *m = parse(p, n);
		const mf_part *q = mf_part_child(mf_msg_root(m), 1);
		uint64_t d = 0;
		mf_buf *b;

		assert_int_equal(mf_part_cte(q), MF_CTE_UUENCODE);
		b = decode(q, 0, NULL, &d);
		assert_int_equal(mf_buf_len(b), 0);
		assert_true(d == MF_DEFECT_BIT(MF_D_UU_INVALID));
		mf_buf_free(b);
		mf_msg_free(m);
		free(p);
	}
	/* The output bound holds for the largest lines. */
	assert_true(mf_uu_decoded_len(0) >= 2);
	assert_true(mf_uu_decoded_len(62) >= 45);
	assert_true(mf_uu_decoded_len(SIZE_MAX) > SIZE_MAX / 2);
}

static void
test_uu_malformed(void **state)
{
	/* Lenient results, the defect's offset, and the strict error. */
	static const struct {
		const char *in;
		const char *want;
		size_t wantlen;
		long off; /* MF_D_UU_INVALID offset, -1: none */
		int strict_rc;
	} t[] = {
	    /* 0: no begin line. */
	    {"#0V%T\nend\n", "", 0, 10, MF_E_TRUNC},
	    /* 1: no end line. */
	    {"begin 644 a\n#0V%T\n", "Cat", 3, 18, MF_E_TRUNC},
	    /* 2: no end line, last line without line end. */
	    {"begin 644 a\n#0V%T", "Cat", 3, 17, MF_E_TRUNC},
	    /* 3: a short line (trailing characters stripped). */
	    {"begin 644 a\n#0V%\n`\nend\n", "Ca", 2, 16, MF_E_SYNTAX},
	    /* 4: a long line: the declared bytes, the rest ignored. */
	    {"begin 644 a\n\"0V%T00\n`\nend\n", "Ca", 2, 19, MF_E_SYNTAX},
	    /* 5: one extra character (a checksum) is no defect. */
	    {"begin 644 a\n#0V%TX\n`\nend\n", "Cat", 3, -1, MF_OK},
	    /* 6: a character outside the alphabet. */
	    {"begin 644 a\n#0v%T\n`\nend\n", "Aat", 3, 14, MF_E_SYNTAX},
	    /* 7: a bad length character skips the line. */
	    {"begin 644 a\n~junk\n#0V%T\nend\n", "Cat", 3, 12, MF_E_SYNTAX},
	    /* 8: "ends" is not the end line. */
	    {"begin 644 a\n#0V%T\nends\nend\n", "Cat", 3, 21, MF_E_SYNTAX},
	    /* 9: empty lines inside the data are no defect. */
	    {"begin 644 a\n\n#0V%T\n\n`\nend  \n", "Cat", 3, -1, MF_OK},
	    /* 10: not a begin line ("begin" without mode), then one. */
	    {"begin here\nbeginx 644 a\nbegin 644 a\n#0V%T\nend", "Cat", 3, -1,
	     MF_OK},
	    /* 11: empty input. */
	    {"", "", 0, 0, MF_E_TRUNC},
	    /* 12: end right after begin. */
	    {"begin 644 a\nend\n", "", 0, -1, MF_OK},
	    /* 13: "end" at the end of the data without line end. */
	    {"begin 644 a\n#0V%T\nen", "Cat", 3, 20, MF_E_SYNTAX},
	};
	char out[64];
	size_t i, outlen;

	(void)state;
	for (i = 0; i < N(t); i++) {
		uint64_t defects = 0;
		mf_error e;
		mf_uu_dec st;
		char label[32];
		int rc;

		snprintf(label, sizeof(label), "uu malformed %zu", i);
		rc = mf_uu_decode(out, sizeof(out), t[i].in, strlen(t[i].in), 0,
		                  &outlen, NULL, &defects, NULL);
		if (rc != MF_OK)
			fail_msg("%s: rc %d", label, rc);
		tu_assert_mem(out, outlen, t[i].want, t[i].wantlen, label);
		memset(&st, 0, sizeof(st));
		assert_int_equal(mf_uu_dec_update(&st, out, sizeof(out),
		                                  t[i].in, strlen(t[i].in),
		                                  &outlen, NULL),
		                 MF_OK);
		assert_int_equal(
		    mf_uu_dec_final(&st, out, sizeof(out), &outlen, NULL),
		    MF_OK);
		if (t[i].off < 0) {
			if (defects != 0)
				fail_msg("%s: unexpected defect at %llu", label,
				         (unsigned long long)st.defect_off);
		} else {
			if (defects != MF_DEFECT_BIT(MF_D_UU_INVALID) ||
			    st.defect_off != (uint64_t)t[i].off)
				fail_msg("%s: defects %llx at %llu, want %ld",
				         label, (unsigned long long)defects,
				         (unsigned long long)st.defect_off,
				         t[i].off);
		}
		memset(&e, 0, sizeof(e));
		rc = mf_uu_decode(out, sizeof(out), t[i].in, strlen(t[i].in),
		                  MF_STRICT, &outlen, NULL, NULL, &e);
		if (rc != t[i].strict_rc)
			fail_msg("%s: strict rc %d, want %d", label, rc,
			         t[i].strict_rc);
		if (rc != MF_OK && e.offset != (size_t)t[i].off)
			fail_msg("%s: strict offset %zu, want %ld", label,
			         e.offset, t[i].off);
	}
	/* Errors stick; bad arguments. */
	{
		mf_uu_dec st;

		memset(&st, 0, sizeof(st));
		st.flags = MF_STRICT;
		assert_int_equal(mf_uu_dec_update(&st, out, sizeof(out),
		                                  "begin 644 a\n~\n", 14,
		                                  &outlen, NULL),
		                 MF_E_SYNTAX);
		assert_int_equal(mf_uu_dec_update(&st, out, sizeof(out),
		                                  "#0V%T\n", 6, &outlen, NULL),
		                 MF_E_SYNTAX);
		assert_int_equal(
		    mf_uu_dec_final(&st, out, sizeof(out), &outlen, NULL),
		    MF_E_SYNTAX);
		assert_int_equal(mf_uu_decode(out, 1, "", 0, 0x80, &outlen,
		                              NULL, NULL, NULL),
		                 MF_E_INVAL);
		assert_int_equal(
		    mf_uu_decode(NULL, 1, "", 0, 0, &outlen, NULL, NULL, NULL),
		    MF_E_INVAL);
		assert_int_equal(
		    mf_uu_dec_update(NULL, out, 1, "", 0, &outlen, NULL),
		    MF_E_INVAL);
	}
}

static void
test_uu_stream(void **state)
{
	unsigned char data[300];
	char enc[1024], want[300], got[300];
	tu_rng r;
	size_t n, k, i;

	(void)state;
	tu_rng_seed(&r, 7);
	tu_rng_fill(&r, data, sizeof(data));
	n = uu_encode(enc, data, sizeof(data), "x.bin");
	/* Every split point; and a small output buffer consumes nothing. */
	for (k = 0; k <= n; k++) {
		mf_uu_dec st;
		size_t a = 0, b = 0, c = 0;

		memset(&st, 0, sizeof(st));
		assert_int_equal(
		    mf_uu_dec_update(&st, got, sizeof(got), enc, k, &a, NULL),
		    MF_OK);
		assert_int_equal(mf_uu_dec_update(&st, got + a, sizeof(got) - a,
		                                  enc + k, n - k, &b, NULL),
		                 MF_OK);
		assert_int_equal(mf_uu_dec_final(&st, got + a + b,
		                                 sizeof(got) - a - b, &c, NULL),
		                 MF_OK);
		tu_assert_mem(got, a + b + c, data, sizeof(data), "uu split");
		assert_true(st.defects == 0);
	}
	{
		mf_uu_dec st, copy;
		size_t a = 0, b = 0;

		memset(&st, 0, sizeof(st));
		copy = st;
		assert_int_equal(
		    mf_uu_dec_update(&st, got, 10, enc, n, &a, NULL),
		    MF_E_NOSPC);
		assert_int_equal(a, 0);
		assert_memory_equal(&st, &copy, sizeof(st));
		assert_int_equal(
		    mf_uu_dec_update(&st, got, sizeof(got), enc, n, &a, NULL),
		    MF_OK);
		assert_int_equal(mf_uu_dec_final(&st, got + a, 0, &b, NULL),
		                 MF_OK);
		tu_assert_mem(got, a + b, data, sizeof(data), "after NOSPC");
	}
	/* Random round trips; guard pages on the input. */
	for (i = 0; i < 200; i++) {
		size_t len = tu_rng_below(&r, sizeof(data)), outlen;
		tu_guard g;
		const char *in;

		tu_rng_fill(&r, data, len);
		n = uu_encode(enc, data, len, "r");
		in = tu_guard_new(&g, enc, n);
		assert_int_equal(mf_uu_decode(want, sizeof(want), in, n, 0,
		                              &outlen, NULL, NULL, NULL),
		                 MF_OK);
		tu_assert_mem(want, outlen, data, len, "uu round trip");
		/* Every prefix against the guard page: no over-read. */
		if (i < 5) {
			for (k = 0; k <= n; k++) {
				const char *q = g.ptr + (n - k);
				uint64_t d = 0;

				assert_int_equal(
				    mf_uu_decode(want, sizeof(want), q, k, 0,
				                 &outlen, NULL, &d, NULL),
				    MF_OK);
			}
		}
		tu_guard_free(&g);
	}
}

/* ---------------------------------------------------------------------- */
/* format=flowed                                                           */
/* ---------------------------------------------------------------------- */

static void
test_flowed(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *want;
	} t[] = {
	    /* 0: soft breaks join a paragraph; a fixed line ends it. */
	    {"This is a \r\nflowed para \r\ngraph.\r\nFixed.\r\n", 0,
	     "This is a flowed para graph.\r\nFixed.\r\n"},
	    /* 1: DelSp=yes removes the space of each soft break. */
	    {"This is a \r\nflowed para \r\ngraph.\r\n", MF_FLOWED_DELSP,
	     "This is aflowed paragraph.\r\n"},
	    /* 2: space-stuffing is removed (From, space, ">" lines). */
	    {" From here\n  indented\n >not quoted\n", 0,
	     "From here\n indented\n>not quoted\n"},
	    /* 3: quoted paragraphs keep their depth. */
	    {"> a \n> b\n>> c \n>> d\n", 0, "> a b\n>> c d\n"},
	    /* 4: a change of quote depth ends a flowed line. */
	    {"> a \n>> b\nc\n", 0, "> a \n>> b\nc\n"},
	    /* 5: quote marks without stuffing space. */
	    {">a \n>b\n", 0, "> a b\n"},
	    /* 6: the signature separator is never flowed. */
	    {"text \n-- \nsig\n", 0, "text -- \nsig\n"},
	    {"text\n-- \nMe \nand me\n", 0, "text\n-- \nMe and me\n"},
	    /* 8: a quoted signature separator. */
	    {"> -- \n> x\n", 0, "> -- \n> x\n"},
	    /* 9: a flowed last line (no next line) is fixed. */
	    {"last \n", 0, "last \n"},
	    {"last \n", MF_FLOWED_DELSP, "last\n"},
	    /* 11: no line end at the end of the text. */
	    {"a \nb", 0, "a b"},
	    {">", 0, ">"},
	    /* 13: an empty line after a flowed one ends the paragraph. */
	    {"a \n\nb\n", 0, "a \nb\n"},
	    /* 14: several trailing spaces: one removed with DelSp. */
	    {"a  \nb\n", MF_FLOWED_DELSP, "a b\n"},
	    {"a  \nb\n", 0, "a  b\n"},
	    /* 16: a lone CR is text. */
	    {"a\rb \nc\n", 0, "a\rb c\n"},
	    /* 17: mixed line ends: the paragraph takes its last one. */
	    {"a \r\nb\n", 0, "a b\n"},
	    /* 18: "--" and "-- x" are not separators. */
	    {"-- x \ny\n-- \n", 0, "-- x y\n-- \n"},
	    /* 19: UTF-8 text passes through. */
	    {"Gr\xc3\xbc\xc3\x9f \ne\n", 0, "Gr\xc3\xbc\xc3\x9f e\n"},
	    /* 20: empty text, a space only. */
	    {"", 0, ""},
	    {" \n", 0, "\n"},
	    /* 22: a space-stuffed flowed line. */
	    {"  x \ny\n", 0, " x y\n"},
	    /* 23: depth 0 after quoted flowed. */
	    {">> q \nnew\n", 0, ">> q \nnew\n"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		mf_buf *b = mf_buf_new(NULL);
		char label[32];
		tu_guard g;
		const char *in;
		size_t n = strlen(t[i].in);

		snprintf(label, sizeof(label), "flowed case %zu", i);
		in = tu_guard_new(&g, t[i].in, n);
		assert_int_equal(mf_flowed_decode(b, in, n, t[i].flags), MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, label);
		tu_guard_free(&g);
		/* Through a part: every split point gives the same. */
		{
			char hdr[128];
			struct onepart op;

			snprintf(hdr, sizeof(hdr),
			         "Content-Type: text/plain; charset=utf-8; "
			         "format=Flowed%s\n",
			         t[i].flags ? "; delsp=YES" : "");
			expect_text(op_open(&op, hdr, t[i].in, n),
			            MF_CONTENT_FLOWED, t[i].want,
			            strlen(t[i].want), NULL, label);
			op_close(&op);
		}
		mf_buf_free(b);
	}
	assert_int_equal(mf_flowed_decode(NULL, "", 0, 0), MF_E_INVAL);
	{
		mf_buf *b = mf_buf_new(NULL);

		assert_int_equal(mf_flowed_decode(b, NULL, 1, 0), MF_E_INVAL);
		assert_int_equal(mf_flowed_decode(b, "", 0, 0x10), MF_E_INVAL);
		mf_buf_free(b);
	}
}

/* Flowed through parts: only text/plain with format=flowed is unwrapped,
 * with LF line ends on request. */
static void
test_flowed_parts(void **state)
{
	static const char plain[] = "a \r\nb\r\n>c\r\n";
	static const struct {
		const char *hdr;
		const char *body;
		unsigned flags;
		const char *want;
	} t[] = {
	    {"Content-Type: text/plain; format=flowed\n", plain,
	     MF_CONTENT_FLOWED, "a b\r\n> c\r\n"},
	    {"Content-Type: text/plain; format=flowed\n", plain,
	     MF_CONTENT_FLOWED | MF_LF, "a b\n> c\n"},
	    {"Content-Type: text/plain; format=fixed\n", plain,
	     MF_CONTENT_FLOWED, plain},
	    {"Content-Type: text/plain\n", plain, MF_CONTENT_FLOWED, plain},
	    {"Content-Type: text/html; format=flowed\n", plain,
	     MF_CONTENT_FLOWED, plain},
	    {"Content-Type: text/plain; format=flowed\n", plain,
	     MF_CONTENT_TEXT, plain},
	    {"Content-Type: text/plain; format=flowed\n", plain, MF_LF,
	     "a \nb\n>c\n"},
	    {"Content-Type: application/x-foo; format=flowed\n", plain,
	     MF_CONTENT_FLOWED | MF_LF, plain},
	    /* Quoted-printable drops trailing spaces: encoders write =20. */
	    {"Content-Type: text/plain; format=flowed; delsp=yes\n"
	     "Content-Transfer-Encoding: quoted-printable\n",
	     "a=20\r\nb\r\n>c\r\n", MF_CONTENT_FLOWED, "ab\r\n> c\r\n"},
	    {"Content-Type: text/plain; format=flowed\n"
	     "Content-Transfer-Encoding: quoted-printable\n",
	     plain, MF_CONTENT_FLOWED, "a\r\nb\r\n> c\r\n"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct onepart op;
		char label[32];

		snprintf(label, sizeof(label), "flowed part %zu", i);
		expect_text(
		    op_open(&op, t[i].hdr, t[i].body, strlen(t[i].body)),
		    t[i].flags, t[i].want, strlen(t[i].want), NULL, label);
		op_close(&op);
	}
}

/* ---------------------------------------------------------------------- */
/* Charset conversion and its fallbacks                                    */
/* ---------------------------------------------------------------------- */

static void
test_charsets(void **state)
{
	static const struct {
		const char *hdr;
		const char *body;
		size_t bodylen;
		unsigned flags;
		const char *want;
		size_t wantlen;
		int d1;    /* expected defect (0: none) */
		long off1; /* its offset: in the decoded text, or for transfer
		              defects in the raw body */
		int d2;
		long off2;
	} t[] = {
	    /* 0: no Content-Type: us-ascii. */
	    {"X: y", S("hello\r\n"), MF_CONTENT_TEXT, S("hello\r\n"), 0, 0, 0,
	     0},
	    /* 1: 8-bit in us-ascii: UTF-8 when valid. */
	    {"X: y",
	     S("Gr\xc3\xbc\xc3\x9f"
	       "e\n"),
	     MF_CONTENT_TEXT,
	     S("Gr\xc3\xbc\xc3\x9f"
	       "e\n"),
	     MF_D_CHARSET_INVALID, 2, 0, 0},
	    /* 2: else windows-1252. */
	    {"X: y",
	     S("Gr\xfc\xdf"
	       "e \x80\n"),
	     MF_CONTENT_TEXT,
	     S("Gr\xc3\xbc\xc3\x9f"
	       "e \xe2\x82\xac\n"),
	     MF_D_CHARSET_INVALID, 2, 0, 0},
	    /* 3: decided line by line. */
	    {"Content-Type: text/plain", S("caf\xc3\xa9\ncaf\xe9\n"),
	     MF_CONTENT_TEXT, S("caf\xc3\xa9\ncaf\xc3\xa9\n"),
	     MF_D_CHARSET_INVALID, 3, 0, 0},
	    {"Content-Type: text/plain; charset=US-ASCII",
	     S("caf\xe9\ncaf\xc3\xa9\n"), MF_CONTENT_TEXT,
	     S("caf\xc3\xa9\ncaf\xc3\xa9\n"), MF_D_CHARSET_INVALID, 3, 0, 0},
	    /* 5: latin-1 labels read as windows-1252. */
	    {"Content-Type: text/plain; charset=iso-8859-1", S("\xe9\x80\n"),
	     MF_CONTENT_TEXT, S("\xc3\xa9\xe2\x82\xac\n"), 0, 0, 0, 0},
	    /* 6: a known charset is trusted: U+FFFD. */
	    {"Content-Type: text/plain; charset=\"utf-8\"",
	     S("a\xff"
	       "b\n"),
	     MF_CONTENT_TEXT,
	     S("a\xef\xbf\xbd"
	       "b\n"),
	     MF_D_CHARSET_INVALID, 1, 0, 0},
	    /* 7: an unknown charset: the us-ascii way, with a defect. */
	    {"Content-Type: text/plain; charset=x-no-such-charset",
	     S("caf\xc3\xa9\n"), MF_CONTENT_TEXT, S("caf\xc3\xa9\n"),
	     MF_D_CHARSET_UNKNOWN, 0, MF_D_CHARSET_INVALID, 3},
	    {"Content-Type: text/plain; charset=\"bad charset\"", S("ok\n"),
	     MF_CONTENT_TEXT, S("ok\n"), MF_D_CHARSET_UNKNOWN, 0, 0, 0},
	    /* 9: built-in tables. */
	    {"Content-Type: text/plain; charset=koi8-r",
	     S("\xf0\xd2\xc9\xd7\xc5\xd4\n"), MF_CONTENT_TEXT,
	     S("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n"), 0, 0, 0,
	     0},
	    /* 10: UTF-16 and UTF-32: byte order marks. */
	    {"Content-Type: text/plain; charset=utf-16",
	     S("\xff\xfeh\0i\0\n\0"), MF_CONTENT_TEXT, S("hi\n"), 0, 0, 0, 0},
	    {"Content-Type: text/plain; charset=utf-16", S("\xfe\xff\0h\0i"),
	     MF_CONTENT_TEXT, S("hi"), 0, 0, 0, 0},
	    {"Content-Type: text/plain; charset=utf-16", S("\0h\0i"),
	     MF_CONTENT_TEXT, S("hi"), 0, 0, 0, 0},
	    {"Content-Type: text/plain; charset=utf-16le", S("h\0i\0"),
	     MF_CONTENT_TEXT, S("hi"), 0, 0, 0, 0},
	    {"Content-Type: text/plain; charset=utf-32",
	     S("\0\0\xfe\xff\0\0\0A"), MF_CONTENT_TEXT, S("A"), 0, 0, 0, 0},
	    {"Content-Type: text/plain; charset=utf-32",
	     S("\xff\xfe\0\0"
	       "A\0\0\0"),
	     MF_CONTENT_TEXT, S("A"), 0, 0, 0, 0},
	    {"Content-Type: text/plain; charset=utf-16", S(""),
	     MF_CONTENT_TEXT | MF_LF, S(""), 0, 0, 0, 0},
	    /* 17: an odd byte at the end of UTF-16. */
	    {"Content-Type: text/plain; charset=utf-16be", S("\0h\0"),
	     MF_CONTENT_TEXT, S("h\xef\xbf\xbd"), MF_D_CHARSET_INVALID, 2, 0,
	     0},
	    /* 18: NUL bytes become U+FFFD. */
	    {"Content-Type: text/plain; charset=utf-8", S("a\0b"),
	     MF_CONTENT_TEXT,
	     S("a\xef\xbf\xbd"
	       "b"),
	     MF_D_NUL, 1, 0, 0},
	    /* 19: base64 windows-1252. */
	    {"Content-Type: text/plain; charset=windows-1252\n"
	     "Content-Transfer-Encoding: base64",
	     S("Y2Fm6SCA\n"), MF_CONTENT_TEXT, S("caf\xc3\xa9 \xe2\x82\xac"), 0,
	     0, 0, 0},
	    /* 20: quoted-printable UTF-8 HTML. */
	    {"Content-Type: text/html; charset=utf-8\n"
	     "Content-Transfer-Encoding: quoted-printable",
	     S("<p>caf=C3=A9</p>=\n\n"), MF_CONTENT_TEXT,
	     S("<p>caf\xc3\xa9</p>\n"), 0, 0, 0, 0},
	    /* 21: not text: bytes as they are. */
	    {"Content-Type: application/octet-stream", S("\xff\0\r\n"),
	     MF_CONTENT_TEXT | MF_LF, S("\xff\0\r\n"), 0, 0, 0, 0},
	    /* 22: LF line ends; a lone CR stays. */
	    {"Content-Type: text/plain", S("a\r\nb\rc\r\n\r"), MF_LF,
	     S("a\nb\rc\n\r"), 0, 0, 0, 0},
	    /* 23: without MF_CONTENT_TEXT, text keeps its charset. */
	    {"Content-Type: text/plain; charset=koi8-r", S("\xf0\n"), 0,
	     S("\xf0\n"), 0, 0, 0, 0},
	    /* 24: an empty charset parameter is us-ascii. */
	    {"Content-Type: text/plain; charset=\"\"", S("caf\xe9"),
	     MF_CONTENT_TEXT, S("caf\xc3\xa9"), MF_D_CHARSET_INVALID, 3, 0, 0},
	    /* 25: transfer defects: absolute input offsets. */
	    {"Content-Transfer-Encoding: base64", S("aGk*\n"), MF_CONTENT_TEXT,
	     S("hi"), MF_D_B64_JUNK, 3, 0, 0},
	    /* (the byte that proves the escape invalid) */
	    {"Content-Transfer-Encoding: quoted-printable", S("a=ZZb"), 0,
	     S("a=ZZb"), MF_D_QP_INVALID, 2, 0, 0},
	    {"Content-Transfer-Encoding: x-uuencode", S("begin 644 a\n#0V%T\n"),
	     MF_CONTENT_TEXT, S("Cat"), MF_D_UU_INVALID, 18, 0, 0},
	    /* 28: uuencoded text/plain, then converted. */
	    {"Content-Type: text/plain; charset=koi8-r\n"
	     "Content-Transfer-Encoding: x-uue",
	     S("begin 644 a\n!\\```\n`\nend\n"), MF_CONTENT_TEXT, S("\xd0\x9f"),
	     0, 0, 0, 0},
	    /* 29: an unknown transfer encoding is identity. */
	    {"Content-Transfer-Encoding: x-gzip64", S("abc"), MF_CONTENT_TEXT,
	     S("abc"), 0, 0, 0, 0},
	    /* 30: UTF-16 without a mark, little-endian as Windows writes it
	     * (the data decides), and big-endian CJK. */
	    {"Content-Type: text/plain; charset=utf-16",
	     S("h\0i\0\r\0\n\0"), MF_CONTENT_TEXT | MF_LF, S("hi\n"),
	     0, 0, 0, 0},
	    {"Content-Type: text/plain; charset=utf-16", S("\x65\xe5\x67\x2c"),
	     MF_CONTENT_TEXT, S("\xe6\x97\xa5\xe6\x9c\xac"), 0, 0, 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		struct onepart op;
		const mf_part *p =
		    op_open(&op, t[i].hdr, t[i].body, t[i].bodylen);
		struct log l;
		mf_opts o;
		uint64_t defects = 0;
		mf_buf *b;
		char label[32];
		int code[2];
		long off[2];
		size_t nd = 0;

		snprintf(label, sizeof(label), "charset case %zu", i);
		if (t[i].d1) {
			code[nd] = t[i].d1;
			off[nd++] = t[i].off1;
		}
		if (t[i].d2) {
			code[nd] = t[i].d2;
			off[nd++] = t[i].off2;
		}
		/* The table's offsets are in the body: transfer defects
		 * and, in a body that is not transfer-encoded, charset
		 * defects are reported as input offsets. */
		{
			uint64_t bo;
			int cte = mf_part_cte(p);
			size_t k;

			mf_part_offsets(p, NULL, &bo, NULL);
			for (k = 0; k < nd; k++)
				if (code[k] == MF_D_B64_JUNK ||
				    code[k] == MF_D_QP_INVALID ||
				    code[k] == MF_D_UU_INVALID ||
				    (cte != MF_CTE_BASE64 && cte != MF_CTE_QP &&
				     cte != MF_CTE_UUENCODE))
					off[k] += (long)bo;
		}
		log_opts(&o, &l);
		b = decode(p, t[i].flags, &o, &defects);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), t[i].want,
		              t[i].wantlen, label);
		log_check(&l, defects, nd, code, off, i);
		check_splits(p, t[i].flags, label);
		/* Strict: the first defect is the error, out unchanged. */
		if (t[i].d1) {
			mf_error e;
			int rc;

			o.flags = MF_STRICT;
			o.on_defect = NULL;
			mf_buf_clear(b);
			assert_int_equal(mf_buf_append(b, "x", 1), MF_OK);
			rc = mf_part_decode(p, b, t[i].flags, &o, NULL, &e);
			assert_int_equal(rc, MF_E_DEFECT);
			assert_int_equal(e.offset, (size_t)off[0]);
			tu_assert_mem(mf_buf_data(b), mf_buf_len(b), "x", 1,
			              label);
		}
		mf_buf_free(b);
		op_close(&op);
	}
	assert_string_equal(mf_defect_name(MF_D_CHARSET_UNKNOWN),
	                    "charset-unknown");
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Lines longer than a segment in stateful charsets: cut where the shift
 * state is initial (HTML-like ISO-2022-JP, mixed UTF-7), or inside one
 * long shifted run with the escape (or "+") carried to the next segment;
 * one-shot and streamed in random chunks give the text that was encoded.
 */
static void
test_stateful_long_lines(void **state)
{
	static const struct {
		const char *cs;
		int kind; /* 0: mixed ASCII and other text, 1: no ASCII */
	} t[] = {
	    {"iso-2022-jp", 0}, {"iso-2022-jp", 1},
	    {"utf-7", 0},       {"utf-7", 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		mf_buf *u = mf_buf_new(NULL), *e = mf_buf_new(NULL), *s1;
		char hdr[128], label[64];
		struct onepart op;
		const mf_part *p;
		size_t bad = MF__CS_NOBAD, cuts[7], k;
		mf__cs cs;
		tu_rng r;

		if (!mf_charset_known(t[i].cs, strlen(t[i].cs), NULL))
			continue; /* no iconv here */
		assert_non_null(u);
		assert_non_null(e);
		tu_rng_seed(&r, i);
		/* One line of UTF-8 text that encodes to well over 64 KiB. */
		while (mf_buf_len(u) < 300000) {
			const char *w = t[i].kind == 0 && tu_rng_below(&r, 3) == 0
			                    ? "<p class=x>"
			                    : "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";

			assert_int_equal(mf_buf_append(u, w, strlen(w)), MF_OK);
		}
		mf__cs_resolve(&cs, t[i].cs, strlen(t[i].cs));
		assert_int_equal(mf__cs_encode(e, &cs, mf_buf_data(u),
		                               mf_buf_len(u), &bad),
		                 MF_OK);
		assert_true(bad == MF__CS_NOBAD);
		assert_true(mf_buf_len(e) > 3 * 65536);
		snprintf(hdr, sizeof(hdr), "Content-Type: text/plain; charset=%s",
		         t[i].cs);
		snprintf(label, sizeof(label), "%s kind %d", t[i].cs, t[i].kind);
		p = op_open(&op, hdr, mf_buf_data(e), mf_buf_len(e));
		expect_text(p, MF_CONTENT_TEXT, mf_buf_data(u), mf_buf_len(u),
		            NULL, label);
		for (k = 0; k < N(cuts); k++)
			cuts[k] = tu_rng_below(&r, mf_buf_len(e) + 1);
		qsort(cuts, N(cuts), sizeof(cuts[0]), cmp_size);
		s1 = stream(p, MF_CONTENT_TEXT, mf_buf_data(e), mf_buf_len(e),
		            cuts, N(cuts), NULL);
		tu_assert_mem(mf_buf_data(s1), mf_buf_len(s1), mf_buf_data(u),
		              mf_buf_len(u), label);
		mf_buf_free(s1);
		op_close(&op);
		mf_buf_free(u);
		mf_buf_free(e);
	}
	/* Hostile bytes: escapes, shifts and runs cut anywhere; streamed
	 * in random chunks equals one-shot. */
	for (i = 0; i < N(t); i++) {
		static const char alpha[] = "\x1b\x1b$()BJ@DC\x0e\x0f+-+/aZ09 ";
		size_t n = 3 * 65536 + 777, k, cuts[9];
		char *b = malloc(n), hdr[128];
		struct onepart op;
		const mf_part *p;
		mf_buf *one, *st;
		tu_rng r;

		assert_non_null(b);
		tu_rng_seed(&r, 100 + i);
		for (k = 0; k < n; k++)
			b[k] = t[i].kind == 0
			           ? alpha[tu_rng_below(&r, sizeof(alpha) - 1)]
			           : (char)(0x21 + tu_rng_below(&r, 0x5e));
		snprintf(hdr, sizeof(hdr), "Content-Type: text/plain; charset=%s",
		         t[i].cs);
		p = op_open(&op, hdr, b, n);
		one = decode(p, MF_CONTENT_TEXT, NULL, NULL);
		for (k = 0; k < N(cuts); k++)
			cuts[k] = tu_rng_below(&r, n + 1);
		qsort(cuts, N(cuts), sizeof(cuts[0]), cmp_size);
		st = stream(p, MF_CONTENT_TEXT, b, n, cuts, N(cuts), NULL);
		tu_assert_mem(mf_buf_data(st), mf_buf_len(st), mf_buf_data(one),
		              mf_buf_len(one), t[i].cs);
		mf_buf_free(st);
		mf_buf_free(one);
		op_close(&op);
		free(b);
	}
}

/* Long lines are cut where no character is split, whatever the chunks. */
static void
test_long_lines(void **state)
{
	static const char *hdrs[] = {
	    "Content-Type: text/plain; charset=utf-8",
	    "Content-Type: text/plain",
	    "Content-Type: text/plain; charset=utf-16le",
	    "Content-Type: text/plain; charset=utf-16be",
	};
	size_t len = 3 * 65536 + 1001, i, h;
	char *body = malloc(len * 2 + 4), *want = malloc(len * 2 + 4);

	(void)state;
	assert_non_null(body);
	assert_non_null(want);
	for (h = 0; h < N(hdrs); h++) {
		size_t n = 0, w = 0;
		struct onepart op;
		const mf_part *p;
		tu_rng r;

		tu_rng_seed(&r, h);
		/* One very long line of ASCII, 2- and 3-byte characters
		 * (and a surrogate pair in UTF-16), few spaces. */
		for (i = 0; n < len; i++) {
			size_t k = tu_rng_below(&r, 20);

			if (h >= 2) {
				unsigned u = k == 0   ? 0xD83D
				             : k < 5  ? 0x20AC
				             : k < 10 ? 0xE9
				                      : 'a' + (unsigned)k;
				unsigned char *q = (unsigned char *)body + n;

				if (h == 2) {
					q[0] = (unsigned char)(u & 0xFF);
					q[1] = (unsigned char)(u >> 8);
				} else {
					q[0] = (unsigned char)(u >> 8);
					q[1] = (unsigned char)(u & 0xFF);
				}
				n += 2;
				if (u == 0xD83D) {
					q[h == 2 ? 2 : 3] = 0x00;
					q[h == 2 ? 3 : 2] = 0xDE;
					n += 2;
					memcpy(want + w, "\xf0\x9f\x98\x80", 4);
					w += 4;
				} else if (u == 0x20AC) {
					memcpy(want + w, "\xe2\x82\xac", 3);
					w += 3;
				} else if (u == 0xE9) {
					memcpy(want + w, "\xc3\xa9", 2);
					w += 2;
				} else {
					want[w++] = (char)u;
				}
				continue;
			}
			if (k == 0) {
				memcpy(body + n, "\xe2\x82\xac", 3);
				n += 3;
			} else if (k < 8) {
				memcpy(body + n, "\xc3\xa9", 2);
				n += 2;
			} else {
				body[n++] = (char)('a' + k);
			}
		}
		if (h < 2) {
			memcpy(want, body, n);
			w = n;
		}
		p = op_open(&op, hdrs[h], body, n);
		expect_text(p, MF_CONTENT_TEXT, want, w, NULL, hdrs[h]);
		if (h == 0) {
			/* A byte at a time: linear (no rescanning), same. */
			size_t *cuts = malloc(n * sizeof(*cuts));
			mf_buf *s1;

			assert_non_null(cuts);
			for (i = 0; i < n; i++)
				cuts[i] = i;
			s1 = stream(p, MF_CONTENT_TEXT, body, n, cuts, n, NULL);
			tu_assert_mem(mf_buf_data(s1), mf_buf_len(s1), want, w,
			              "byte at a time");
			mf_buf_free(s1);
			free(cuts);
		}
		op_close(&op);
	}
	free(body);
	free(want);
}

/* GMime's charset samples, each wrapped as a part, against its UTF-8. */
static void
test_gmime_samples(void **state)
{
	static const struct {
		const char *file;
		const char *charset;
		const char *utf8;
	} t[] = {
	    {"cyrillic.cp1251.txt", "windows-1251", "cyrillic.utf-8.txt"},
	    {"cyrillic.iso-8859-5.txt", "iso-8859-5", "cyrillic.utf-8.txt"},
	    {"cyrillic.koi8-r.txt", "koi8-r", "cyrillic.utf-8.txt"},
	    {"cyrillic.utf-8.txt", "utf-8", "cyrillic.utf-8.txt"},
	    /* Big5 lacks some characters of the UTF-8 text (GMime converts
	     * the other way): checked by converting back. */
	    {"chinese.big5.txt", "big5", NULL},
	    {"japanese.shift-jis.txt", "shift_jis", "japanese.utf-8.txt"},
	    {"japanese.iso-2022-jp.txt", "iso-2022-jp", "japanese.utf-8.txt"},
	    {"chinese.utf-8.txt", "utf-8", "chinese.utf-8.txt"},
	};
	static const char *ctes[] = {"8bit", "base64", "quoted-printable"};
	size_t i, c, checked = 0;

	(void)state;
	for (i = 0; i < N(t); i++) {
		char path[128], hdr[256];
		size_t n, wn;
		char *in, *want;

		if (!mf_charset_known(t[i].charset, strlen(t[i].charset), NULL))
			continue; /* built without iconv */
		snprintf(path, sizeof(path),
		         "corpus/gmime/tests/data/filters/%s", t[i].file);
		in = tu_read(path, &n);
		if (t[i].utf8 != NULL) {
			snprintf(path, sizeof(path),
			         "corpus/gmime/tests/data/filters/%s",
			         t[i].utf8);
			want = tu_read(path, &wn);
		} else {
			want = NULL;
			wn = 0;
		}
		for (c = 0; c < 3; c++) {
			size_t cap = n * 4 + 100, blen = 0;
			char *body = malloc(cap);
			struct onepart op;
			const mf_part *p;
			uint64_t d = 0;

			assert_non_null(body);
			if (c == 0) {
				memcpy(body, in, n);
				blen = n;
			} else if (c == 1) {
				assert_int_equal(mf_b64_encode(body, cap, in, n,
				                               76, MF_LF,
				                               &blen),
				                 MF_OK);
			} else {
				assert_int_equal(mf_qp_encode(body, cap, in, n,
				                              MF_LF, &blen),
				                 MF_OK);
			}
			snprintf(hdr, sizeof(hdr),
			         "Content-Type: text/plain; charset=%s\n"
			         "Content-Transfer-Encoding: %s",
			         t[i].charset, ctes[c]);
			p = op_open(&op, hdr, body, blen);
			if (want != NULL) {
				expect_text(p, MF_CONTENT_TEXT, want, wn, &d,
				            t[i].file);
			} else {
				mf_buf *b =
				    decode(p, MF_CONTENT_TEXT, NULL, &d);
				mf_buf *back = mf_buf_new(NULL);

				assert_int_equal(
				    mf_charset_from_utf8(
				        back, t[i].charset,
				        strlen(t[i].charset), mf_buf_data(b),
				        mf_buf_len(b), NULL, NULL, NULL),
				    MF_OK);
				tu_assert_mem(mf_buf_data(back),
				              mf_buf_len(back), in, n,
				              t[i].file);
				mf_buf_free(back);
				mf_buf_free(b);
			}
			assert_true(d == 0);
			op_close(&op);
			free(body);
			checked++;
		}
		free(in);
		free(want);
	}
	assert_true(checked >= 12); /* the built-in ones at least */
}

/* ---------------------------------------------------------------------- */
/* Body selection (RFC 8621 4.1.4)                                         */
/* ---------------------------------------------------------------------- */

/* The three lists, as the RFC's recursive function makes them. */
struct lists {
	const mf_part **v[3];
	size_t n[3], cap;
};

static void
lpush(struct lists *l, int which, const mf_part *p)
{
	size_t w = (size_t)which - 1;

	if (l->n[w] == l->cap)
		fail_msg("reference list full");
	l->v[w][l->n[w]++] = p;
}

static int
ptype(const mf_part *p, const char *type, const char *sub)
{
	return mf_str_eq(mf_part_type(p), mf_str_from(type)) &&
	       (sub == NULL || mf_str_eq(mf_part_subtype(p), mf_str_from(sub)));
}

static int
pmedia(const mf_part *p)
{
	return ptype(p, "image", NULL) || ptype(p, "audio", NULL) ||
	       ptype(p, "video", NULL);
}

/*
 * parseStructure of RFC 8621 4.1.4, transcribed: parts are the children
 * of parent (or root alone when parent is NULL); text_on / html_on say
 * whether textBody / htmlBody are not null in this call.
 */
static void
ref_parse(struct lists *l, const mf_part *parent, const mf_part *root,
          const char *mtype, int in_alt, int text_on, int html_on)
{
	size_t np = parent != NULL ? mf_part_child_count(parent) : 1, i;
	size_t tlen = l->n[0], hlen = l->n[1];

	for (i = 0; i < np; i++) {
		const mf_part *p =
		    parent != NULL ? mf_part_child(parent, i) : root;
		mf_str disp = mf_part_disposition(p);
		int text = ptype(p, "text", "plain");
		int html = ptype(p, "text", "html");
		int inl =
		    !(disp.len == 10 &&
		      memcmp(disp.ptr, "attachment", 10) == 0) &&
		    (text || html || pmedia(p)) &&
		    (i == 0 || (strcmp(mtype, "related") != 0 &&
		                (pmedia(p) || mf_part_filename(p).len == 0)));

		if (ptype(p, "multipart", NULL)) {
			char sub[64];
			mf_str s = mf_part_subtype(p);

			snprintf(sub, sizeof(sub), "%.*s", (int)s.len, s.ptr);
			ref_parse(l, p, NULL, sub,
			          in_alt || strcmp(sub, "alternative") == 0,
			          text_on, html_on);
		} else if (inl) {
			if (strcmp(mtype, "alternative") == 0) {
				if (text)
					lpush(l, MF_BODY_TEXT, p);
				else if (html)
					lpush(l, MF_BODY_HTML, p);
				else
					lpush(l, MF_BODY_ATTACHMENTS, p);
				continue;
			} else if (in_alt) {
				if (text)
					html_on = 0;
				if (html)
					text_on = 0;
			}
			if (text_on)
				lpush(l, MF_BODY_TEXT, p);
			if (html_on)
				lpush(l, MF_BODY_HTML, p);
			if ((!text_on || !html_on) && pmedia(p))
				lpush(l, MF_BODY_ATTACHMENTS, p);
		} else {
			lpush(l, MF_BODY_ATTACHMENTS, p);
		}
	}
	if (strcmp(mtype, "alternative") == 0 && text_on && html_on) {
		if (tlen == l->n[0] && hlen != l->n[1]) {
			size_t k, e = l->n[1];

			for (k = hlen; k < e; k++)
				lpush(l, MF_BODY_TEXT, l->v[1][k]);
		}
		if (hlen == l->n[1] && tlen != l->n[0]) {
			size_t k, e = l->n[0];

			for (k = tlen; k < e; k++)
				lpush(l, MF_BODY_HTML, l->v[0][k]);
		}
	}
}

static void
lists_init(struct lists *l, size_t cap)
{
	int w;

	memset(l, 0, sizeof(*l));
	l->cap = cap;
	for (w = 0; w < 3; w++) {
		l->v[w] = malloc(cap * sizeof(*l->v[w]) + 1);
		assert_non_null(l->v[w]);
	}
}

static void
lists_free(struct lists *l)
{
	int w;

	for (w = 0; w < 3; w++)
		free(l->v[w]);
}

/*
 * The library's lists equal the reference's; every part is in one of
 * them or was left out by the algorithm. Returns the number of parts.
 */
static size_t
check_bodies(const mf_part *root, const char *label)
{
	struct lists ref;
	size_t parts = 0, w, i;
	const mf_part *p = NULL;

	while ((p = mf_part_next(root, p)) != NULL)
		parts++;
	lists_init(&ref, 3 * parts + 1);
	ref_parse(&ref, NULL, root, "mixed", 0, 1, 1);
	for (w = 0; w < 3; w++) {
		const mf_part **got = malloc((ref.n[w] + 1) * sizeof(*got));
		size_t n = 0;

		assert_non_null(got);
		assert_int_equal(
		    mf_msg_bodies(root, (int)w + 1, got, ref.n[w] + 1, &n),
		    MF_OK);
		if (n != ref.n[w])
			fail_msg("%s: list %zu has %zu parts, the RFC's %zu",
			         label, w + 1, n, ref.n[w]);
		for (i = 0; i < n; i++)
			if (got[i] != ref.v[w][i])
				fail_msg("%s: list %zu differs at %zu", label,
				         w + 1, i);
		/* Too small: MF_E_NOSPC with the first cap parts, never a
		 * count beyond the array. */
		if (n > 0) {
			size_t n2 = 99;

			got[n - 1] = NULL;
			assert_int_equal(
			    mf_msg_bodies(root, (int)w + 1, got, n - 1, &n2),
			    MF_E_NOSPC);
			assert_int_equal(n2, n - 1);
			assert_null(got[n - 1]);
			for (i = 0; i < n2; i++)
				assert_ptr_equal(got[i], ref.v[w][i]);
		}
		/* The documented bound: the number of parts. */
		assert_true(n <= parts);
		free(got);
	}
	/* mf_part_is_attachment(MF_ATTACH_JMAP) is membership of the
	 * attachments list, for every part of the message. */
	p = NULL;
	while ((p = mf_part_next(root, p)) != NULL) {
		const mf_part *q;
		int in = 0, inside_msg = 0;

		for (q = p; q != root; q = mf_part_parent(q))
			if (mf_part_kind(mf_part_parent(q)) == MF_PART_MESSAGE)
				inside_msg = 1;
		if (inside_msg)
			continue;
		for (i = 0; i < ref.n[2]; i++)
			in |= ref.v[2][i] == p;
		if (mf_part_is_attachment(p, MF_ATTACH_JMAP) != in)
			fail_msg("%s: mf_part_is_attachment %d, list %d", label,
			         mf_part_is_attachment(p, MF_ATTACH_JMAP), in);
	}
	/* Coverage: each non-multipart part outside embedded messages is
	 * in a list, unless it is text/plain or text/html inside an
	 * alternative (dropped with both lists). */
	p = NULL;
	while ((p = mf_part_next(root, p)) != NULL) {
		const mf_part *q = mf_part_parent(p);
		int inside_msg = 0, in_alt = 0, found = 0;

		for (; q != NULL && q != mf_part_parent(root);
		     q = mf_part_parent(q)) {
			if (mf_part_kind(q) == MF_PART_MESSAGE)
				inside_msg = 1;
			if (ptype(q, "multipart", "alternative"))
				in_alt = 1;
		}
		if (inside_msg || ptype(p, "multipart", NULL))
			continue;
		for (w = 0; w < 3; w++)
			for (i = 0; i < ref.n[w]; i++)
				found |= ref.v[w][i] == p;
		if (!found && !(in_alt && (ptype(p, "text", "plain") ||
		                           ptype(p, "text", "html"))))
			fail_msg("%s: a part is in no list", label);
	}
	lists_free(&ref);
	return parts;
}

/* The X-Id values of list which, space separated. */
static void
ids(const mf_part *root, int which, char *out, size_t cap)
{
	const mf_part *v[32];
	size_t n = 0, i, o = 0;

	assert_int_equal(mf_msg_bodies(root, which, v, 32, &n), MF_OK);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const mf_field *f = mf_part_header(v[i], "X-Id", 4, NULL);

		assert_non_null(f);
		o += (size_t)snprintf(out + o, cap - o, "%s%.*s",
		                      i > 0 ? " " : "", (int)f->value.len,
		                      f->value.ptr);
	}
}

/* A part: Content-Type, extra header lines, its X-Id. */
#define P(ct, extra, id)                                                       \
	"--b\nContent-Type: " ct "\n" extra "X-Id: " id "\n\nbody\n"
#define Q(ct, extra, id)                                                       \
	"--c\nContent-Type: " ct "\n" extra "X-Id: " id "\n\nbody\n"

/*
 * The attachment decisions of the push parser's parts, at HEADERS_END;
 * for a multipart that ends as a leaf (no delimiter line), at PART_END.
 */
struct att_log {
	int v[2][512];
	int multi[512]; /* a multipart at HEADERS_END */
	size_t slot[64]; /* the part open at each depth */
	size_t n;
};

static int
att_event(void *ctx, const mf_event *ev)
{
	struct att_log *l = ctx;
	size_t k = l->n;

	if (ev->type == MF_EV_PART_END && ev->depth < 64) {
		k = l->slot[ev->depth];
		if (k >= l->n || !l->multi[k] ||
		    mf_part_kind(ev->part) != MF_PART_LEAF)
			return 0;
	} else if (ev->type != MF_EV_HEADERS_END || l->n >= 512) {
		return 0;
	} else {
		l->multi[k] = mf_part_kind(ev->part) == MF_PART_MULTIPART;
		if (ev->depth < 64)
			l->slot[ev->depth] = k;
		l->n++;
	}
	l->v[0][k] = mf_part_is_attachment(ev->part, MF_ATTACH_JMAP);
	l->v[1][k] = mf_part_is_attachment(ev->part, MF_ATTACH_NAMED);
	return 0;
}

/*
 * The push parser decides as the tree does, for every part, by both
 * rules; and the NAMED rule is what it says.
 */
static void
check_events(const char *p, size_t n, const mf_opts *o, const mf_msg *m,
             const char *label)
{
	struct att_log *l = calloc(1, sizeof(*l));
	mf_parser *ps;
	size_t k, i = 0;

	assert_non_null(l);
	ps = mf_parser_new(o, att_event, l);
	assert_non_null(ps);
	assert_int_equal(mf_parser_feed(ps, p, n), MF_OK);
	assert_int_equal(mf_parser_finish(ps), MF_OK);
	mf_parser_free(ps);
	for (k = 0; k < mf_msg_count(m); k++) {
		const mf_part *q = NULL;

		while ((q = mf_part_next(mf_msg_at(m, k), q)) != NULL &&
		       i < 512) {
			mf_str d = mf_part_disposition(q);
			int named = !ptype(q, "multipart", NULL) &&
			            (mf_str_eq(d, MF_STR("attachment")) ||
			             mf_part_filename(q).len > 0);

			if (l->v[0][i] != mf_part_is_attachment(q, MF_ATTACH_JMAP) ||
			    l->v[1][i] != mf_part_is_attachment(q, MF_ATTACH_NAMED) ||
			    l->v[1][i] != named)
				fail_msg("%s: part %zu: events %d %d, tree %d %d",
				         label, i, l->v[0][i], l->v[1][i],
				         mf_part_is_attachment(q, MF_ATTACH_JMAP),
				         mf_part_is_attachment(q, MF_ATTACH_NAMED));
			i++;
		}
	}
	assert_int_equal(i, l->n);
	free(l);
}

static void
test_bodies_rules(void **state)
{
	static const struct {
		const char *what;
		const char *msg;
		const char *text, *html, *att;
	} t[] = {
	    {"a single text part", "Content-Type: text/plain\nX-Id: a\n\nhi\n",
	     "a", "a", ""},
	    {"a single attachment",
	     "Content-Type: text/plain\nContent-Disposition: attachment\n"
	     "X-Id: a\n\nhi\n",
	     "", "", "a"},
	    {"no Content-Type is text/plain", "X-Id: a\n\nhi\n", "a", "a", ""},
	    {"alternative: one of each",
	     "Content-Type: multipart/alternative; boundary=b\n\n" P(
	         "text/plain", "", "t") P("text/html", "", "h") "--b--\n",
	     "t", "h", ""},
	    {"alternative with text only: html falls back",
	     "Content-Type: multipart/alternative; boundary=b\n\n" P(
	         "text/plain", "", "t") "--b--\n",
	     "t", "t", ""},
	    {"alternative with html only: text falls back",
	     "Content-Type: multipart/alternative; boundary=b\n\n" P(
	         "text/html", "", "h") "--b--\n",
	     "h", "h", ""},
	    {"inline image between text parts is in both bodies",
	     "Content-Type: multipart/mixed; boundary=b\n\n" P("text/plain", "",
	                                                       "t1")
	         P("image/png", "", "i") P("text/plain", "", "t2") "--b--\n",
	     "t1 i t2", "t1 i t2", ""},
	    {"image with disposition attachment",
	     "Content-Type: multipart/mixed; boundary=b\n\n" P("text/plain", "",
	                                                       "t")
	         P("image/png", "Content-Disposition: attachment\n",
	           "i") "--b--\n",
	     "t", "t", "i"},
	    {"non-inline types are attachments",
	     "Content-Type: multipart/mixed; boundary=b\n\n" P(
	         "text/plain", "", "t") P("application/pdf", "", "p")
	         P("text/calendar", "", "c") "--b--\n",
	     "t", "t", "p c"},
	    {"named text after the first part is an attachment",
	     "Content-Type: multipart/mixed; boundary=b\n\n" P(
	         "text/plain", "", "t") P("text/plain; name=notes.txt", "", "n")
	         P("image/gif; name=a.gif", "", "g") "--b--\n",
	     "t g", "t g", "n"},
	    {"named first part is inline",
	     "Content-Type: multipart/mixed; boundary=b\n\n" P(
	         "text/plain", "Content-Disposition: inline; filename=a.txt\n",
	         "t") "--b--\n",
	     "t", "t", ""},
	    {"related: the first part is the body, the rest attachments",
	     "Content-Type: multipart/related; boundary=b\n\n" P(
	         "text/html", "", "h") P("image/png", "", "i") "--b--\n",
	     "h", "h", "i"},
	    {"alternative with a related html branch",
	     "Content-Type: multipart/alternative; boundary=b\n\n" P(
	         "text/plain", "",
	         "t") "--b\nContent-Type: "
	              "multipart/related; boundary=c\n\n" Q("text/html", "",
	                                                    "h")
	                  Q("image/png", "", "i") "--c--\n--b--\n",
	     "t", "h", "i"},
	    {"related whose first part is an alternative",
	     "Content-Type: multipart/related; boundary=b\n\n"
	     "--b\nContent-Type: multipart/alternative; boundary=c\n\n" Q(
	         "text/plain", "", "t")
	         Q("text/html", "", "h") "--c--\n" P("image/png", "",
	                                             "i") "--b--\n",
	     "t", "h", "i"},
	    {"a text branch with an image: the image is offered too",
	     "Content-Type: multipart/alternative; boundary=b\n\n"
	     "--b\nContent-Type: multipart/mixed; boundary=c\n\n" Q(
	         "text/plain", "", "t")
	         Q("image/jpeg", "", "j") "--c--\n" P("text/html", "",
	                                              "h") "--b--\n",
	     "t j", "h", "j"},
	    {"an html-only branch: text takes all its parts",
	     "Content-Type: multipart/alternative; boundary=b\n\n"
	     "--b\nContent-Type: multipart/mixed; boundary=c\n\n" Q(
	         "text/html", "", "h") Q("image/png", "", "i") "--c--\n"
	                                                       "--b--\n",
	     "h i", "h i", "i"},
	    {"image directly in an alternative",
	     "Content-Type: multipart/alternative; boundary=b\n\n" P(
	         "text/plain", "", "t") P("image/png", "", "i") "--b--\n",
	     "t", "t", "i"},
	    {"image after an alternative",
	     "Content-Type: multipart/mixed; boundary=b\n\n"
	     "--b\nContent-Type: multipart/alternative; boundary=c\n\n" Q(
	         "text/plain", "", "t")
	         Q("text/html", "", "h") "--c--\n" P("image/png", "", "i")
	             P("audio/ogg", "", "o") "--b--\n",
	     "t i o", "h i o", ""},
	    {"nested alternatives",
	     "Content-Type: multipart/alternative; boundary=b\n\n"
	     "--b\nContent-Type: multipart/alternative; boundary=c\n\n" Q(
	         "text/html", "", "h") "--c--\n--b--\n",
	     "h", "h", ""},
	    {"both text and html dropped: a part is left out",
	     "Content-Type: multipart/alternative; boundary=b\n\n"
	     "--b\nContent-Type: multipart/mixed; boundary=c\n\n" Q(
	         "text/plain", "", "t") Q("text/html", "", "h")
	         Q("video/mp4", "", "v") "--c--\n--b--\n",
	     "t", "t", "v"},
	    {"message/rfc822 is an attachment, not descended",
	     "Content-Type: multipart/mixed; boundary=b\n\n" P(
	         "text/plain", "", "t") P("message/rfc822", "", "m") "--b--\n",
	     "t", "t", "m"},
	    {"other alternative parts are attachments",
	     "Content-Type: multipart/alternative; boundary=b\n\n" P(
	         "text/plain", "", "t") P("text/html", "", "h")
	         P("text/calendar", "", "c") "--b--\n",
	     "t", "h", "c"},
	    {"an empty multipart",
	     "Content-Type: multipart/mixed; boundary=b\n\n--b--\n", "", "",
	     ""},
	    {"a multipart without delimiter lines is a text part",
	     "Content-Type: multipart/alternative; boundary=b\n\n" P(
	         "multipart/mixed; boundary=x", "", "m")
	         P("text/html", "", "h") "--b--\n",
	     "m", "h", ""},
	    {"... and an attachment by its disposition",
	     "Content-Type: multipart/mixed; boundary=b\n\n" P(
	         "text/plain", "", "t")
	         P("multipart/mixed; boundary=x",
	           "Content-Disposition: attachment\n", "m")
	             P("image/png", "", "i") "--b--\n",
	     "t i", "t i", "m"},
	    {"... a text part after html in a branch: both bodies dropped",
	     "Content-Type: multipart/alternative; boundary=b\n\n"
	     "--b\nContent-Type: multipart/mixed; boundary=c\n\n" Q(
	         "text/html", "", "h") Q("multipart/mixed; boundary=x", "",
	                                 "m") Q("image/png", "", "i")
	         "--c--\n--b--\n",
	     "h", "h", "i"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		mf_msg *m = parse(t[i].msg, strlen(t[i].msg));
		const mf_part *r = mf_msg_root(m);
		char got[256];

		ids(r, MF_BODY_TEXT, got, sizeof(got));
		if (strcmp(got, t[i].text) != 0)
			fail_msg("%s: textBody \"%s\", want \"%s\"", t[i].what,
			         got, t[i].text);
		ids(r, MF_BODY_HTML, got, sizeof(got));
		if (strcmp(got, t[i].html) != 0)
			fail_msg("%s: htmlBody \"%s\", want \"%s\"", t[i].what,
			         got, t[i].html);
		ids(r, MF_BODY_ATTACHMENTS, got, sizeof(got));
		if (strcmp(got, t[i].att) != 0)
			fail_msg("%s: attachments \"%s\", want \"%s\"",
			         t[i].what, got, t[i].att);
		check_bodies(r, t[i].what);
		check_events(t[i].msg, strlen(t[i].msg), NULL, m, t[i].what);
		mf_msg_free(m);
	}
	/* Arguments. */
	{
		mf_msg *m = parse(t[0].msg, strlen(t[0].msg));
		const mf_part *v[1];
		size_t n = 9;

		assert_int_equal(mf_msg_bodies(NULL, MF_BODY_TEXT, v, 1, &n),
		                 MF_E_INVAL);
		assert_int_equal(n, 0);
		assert_int_equal(mf_msg_bodies(mf_msg_root(m), 0, v, 1, &n),
		                 MF_E_INVAL);
		assert_int_equal(
		    mf_msg_bodies(mf_msg_root(m), MF_BODY_TEXT, NULL, 1, &n),
		    MF_E_INVAL);
		assert_int_equal(
		    mf_msg_bodies(mf_msg_root(m), MF_BODY_TEXT, NULL, 0, &n),
		    MF_E_NOSPC);
		assert_int_equal(n, 0);
		assert_int_equal(mf_part_is_attachment(NULL, MF_ATTACH_JMAP),
		                 MF_E_INVAL);
		assert_int_equal(mf_part_is_attachment(mf_msg_root(m), 0),
		                 MF_E_INVAL);
		assert_int_equal(mf_part_is_attachment(mf_msg_root(m), 3),
		                 MF_E_INVAL);
		assert_int_equal(
		    mf_part_is_attachment(mf_msg_root(m), MF_ATTACH_NAMED), 0);
		mf_msg_free(m);
	}
}

/* Random structures: the library against the RFC's function. */
struct gen {
	tu_rng r;
	char *p;
	size_t n, cap;
	unsigned nb;
};

static void
gput(struct gen *g, const char *s)
{
	size_t k = strlen(s);

	if (g->n + k + 1 > g->cap) {
		g->cap = (g->n + k + 1) * 2;
		g->p = realloc(g->p, g->cap);
		assert_non_null(g->p);
	}
	memcpy(g->p + g->n, s, k + 1);
	g->n += k;
}

static void
gen_part(struct gen *g, int depth)
{
	static const char *leaves[] = {
	    "text/plain",    "text/html",      "image/png",
	    "audio/ogg",     "video/mp4",      "application/pdf",
	    "text/calendar", "message/rfc822", NULL,
	};
	static const char *multis[] = {"mixed",       "alternative", "related",
	                               "alternative", "signed",      "x-other"};
	static const char *disps[] = {"", "", "inline", "attachment"};
	char line[160];
	size_t k = tu_rng_below(&g->r, 10);

	if (depth < 4 && k < 4) {
		unsigned b = g->nb++;
		size_t nc = tu_rng_below(&g->r, 5), i;

		snprintf(line, sizeof(line),
		         "Content-Type: multipart/%s; boundary=\"q%u\"\n\n",
		         multis[tu_rng_below(&g->r, 6)], b);
		gput(g, line);
		for (i = 0; i < nc; i++) {
			snprintf(line, sizeof(line), "--q%u\n", b);
			gput(g, line);
			gen_part(g, depth + 1);
		}
		snprintf(line, sizeof(line), "--q%u--\n", b);
		gput(g, line);
		return;
	}
	k = tu_rng_below(&g->r, N(leaves));
	if (leaves[k] != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s%s\n", leaves[k],
		         tu_rng_below(&g->r, 3) == 0 ? "; name=f.x" : "");
		gput(g, line);
	}
	k = tu_rng_below(&g->r, 4);
	if (disps[k][0] != '\0') {
		snprintf(line, sizeof(line), "Content-Disposition: %s%s\n",
		         disps[k],
		         tu_rng_below(&g->r, 3) == 0 ? "; filename=g.y" : "");
		gput(g, line);
	}
	gput(g, "\nbody\n");
}

static void
test_bodies_random(void **state)
{
	struct gen g;
	size_t i, rounds = tu_slow_ok() ? 3000 : 300;

	(void)state;
	memset(&g, 0, sizeof(g));
	tu_rng_seed(&g.r, 8621);
	for (i = 0; i < rounds; i++) {
		mf_msg *m;
		char label[32];

		g.n = 0;
		g.nb = 0;
		gput(&g, "From: a@b\n");
		gen_part(&g, 0);
		m = parse(g.p, g.n);
		snprintf(label, sizeof(label), "random structure %zu", i);
		check_bodies(mf_msg_root(m), label);
		check_events(g.p, g.n, NULL, m, label);
		mf_msg_free(m);
	}
	free(g.p);
}

/* Deep nesting: no recursion, and the alternative copies stay linear. */
static void
test_bodies_deep(void **state)
{
	struct gen g;
	mf_opts o;
	mf_msg *m;
	size_t depth = 3000, i;
	char line[64];

	(void)state;
	memset(&g, 0, sizeof(g));
	for (i = 0; i < depth; i++) {
		snprintf(line, sizeof(line),
		         "Content-Type: multipart/%s; boundary=\"d%zu\"\n\n"
		         "--d%zu\n",
		         i % 3 == 0 ? "alternative" : "mixed", i, i);
		gput(&g, line);
	}
	gput(&g, "Content-Type: text/html\n\nx\n");
	memset(&o, 0, sizeof(o));
	o.limits.max_depth = depth + 10;
	assert_int_equal(mf_msg_parse(g.p, g.n, &o, &m, NULL), MF_OK);
	check_bodies(mf_msg_root(m), "deep");
	mf_msg_free(m);
	free(g.p);
}

/* ---------------------------------------------------------------------- */
/* The corpus                                                              */
/* ---------------------------------------------------------------------- */

static const char *sets[] = {
    "corpus/cpython",
    "corpus/gmime",
    "corpus/mikel-mail",
    "corpus/mimekit",
    "corpus/nodemailer-mailparser",
    "corpus/spamassassin",
};

static const unsigned flag_sets[] = {
    0,
    MF_CONTENT_TEXT,
    MF_CONTENT_TEXT | MF_CONTENT_FLOWED,
    MF_CONTENT_TEXT | MF_LF,
    MF_CONTENT_TEXT | MF_CONTENT_FLOWED | MF_LF,
    MF_SAFE_TEXT,
    MF_SAFE_TEXT | MF_CONTENT_FLOWED | MF_LF,
};

/* Whether text made with MF_SAFE_TEXT holds a control it must not. */
static int
has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f || (c == '\r' && (i + 1 == n || s[i + 1] != '\n')) ||
		    (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
			return 1;
	}
	return 0;
}

/* Transfer decoding with the codec itself, for comparison. */
static mf_buf *
codec_decode(const mf_part *p)
{
	mf_str body = mf_part_body(p);
	mf_buf *b = mf_buf_new(NULL);
	size_t cap = body.len + 8, outlen = 0;
	char *tmp = malloc(cap);
	int rc = MF_OK;

	assert_non_null(b);
	assert_non_null(tmp);
	switch (mf_part_cte(p)) {
	case MF_CTE_BASE64:
		rc = mf_b64_decode(tmp, cap, body.ptr, body.len, 0, &outlen,
		                   NULL, NULL);
		break;
	case MF_CTE_QP: {
		/* A body's last line end went to the delimiter: a final "="
		 * (and white space) is a soft line break, not a literal. */
		size_t k = body.len, len = body.len;

		while (k > 0 && (body.ptr[k - 1] == ' ' ||
		                 body.ptr[k - 1] == '\t'))
			k--;
		if (k > 0 && body.ptr[k - 1] == '=')
			len = k - 1;
		rc = mf_qp_decode(tmp, cap, body.ptr, len, 0, &outlen, NULL,
		                  NULL);
		break;
	}
	case MF_CTE_UUENCODE:
		rc = mf_uu_decode(tmp, cap, body.ptr, body.len, 0, &outlen,
		                  NULL, NULL, NULL);
		break;
	default:
		if (body.len > 0)
			memcpy(tmp, body.ptr, body.len);
		outlen = body.len;
		break;
	}
	assert_int_equal(rc, MF_OK);
	assert_int_equal(mf_buf_append(b, tmp, outlen), MF_OK);
	free(tmp);
	return b;
}

static void
corpus_message(const mf_part *root, tu_rng *r, const char *label,
               size_t *leaves)
{
	const mf_part *p = NULL;

	check_bodies(root, label);
	while ((p = mf_part_next(root, p)) != NULL) {
		size_t f;
		mf_buf *want;
		int text = ptype(p, "text", NULL);

		if (mf_part_kind(p) == MF_PART_MESSAGE)
			check_bodies(mf_part_message(p), label);
		if (mf_part_kind(p) == MF_PART_MULTIPART)
			continue;
		(*leaves)++;
		want = codec_decode(p);
		for (f = 0; f < N(flag_sets); f++) {
			mf_buf *b = decode(p, flag_sets[f], NULL, NULL);

			if (f == 0 || !text)
				tu_assert_mem(mf_buf_data(b), mf_buf_len(b),
				              mf_buf_data(want),
				              mf_buf_len(want), label);
			else if (!mf_charset_known("utf-8", 5, NULL) ||
			         memchr(mf_buf_data(b), 0, mf_buf_len(b)) !=
			             NULL)
				fail_msg("%s: NUL in text", label);
			else if ((flag_sets[f] & MF_SAFE_TEXT) &&
			         has_control(mf_buf_data(b), mf_buf_len(b)))
				fail_msg("%s: a control in safe text", label);
			mf_buf_free(b);
		}
		mf_buf_free(want);
		/* Streaming with random cuts equals one-shot. */
		{
			mf_str body = mf_part_body(p);
			size_t cuts[3], k;
			uint64_t d1 = 0, d2 = 0;
			static const unsigned fls[] = {
			    MF_CONTENT_FLOWED | MF_LF, MF_SAFE_TEXT,
			    MF_SAFE_TEXT | MF_CONTENT_FLOWED | MF_LF};
			unsigned fl = fls[tu_rng_below(r, 3)];
			mf_buf *one = decode(p, fl, NULL, &d1), *st;

			for (k = 0; k < 3; k++)
				cuts[k] = body.len > 0
				              ? tu_rng_below(r, body.len + 1)
				              : 0;
			if (cuts[0] > cuts[1]) {
				size_t t = cuts[0];
				cuts[0] = cuts[1];
				cuts[1] = t;
			}
			if (cuts[1] > cuts[2]) {
				size_t t = cuts[1];
				cuts[1] = cuts[2];
				cuts[2] = t;
			}
			if (cuts[0] > cuts[1]) {
				size_t t = cuts[0];
				cuts[0] = cuts[1];
				cuts[1] = t;
			}
			st = stream(p, fl, body.ptr, body.len, cuts, 3, &d2);
			tu_assert_mem(mf_buf_data(st), mf_buf_len(st),
			              mf_buf_data(one), mf_buf_len(one), label);
			assert_true(d1 == d2);
			if (text)
				assert_true(mf_buf_len(one) == 0 ||
				            memchr(mf_buf_data(one), 0,
				                   mf_buf_len(one)) == NULL);
			mf_buf_free(one);
			mf_buf_free(st);
		}
	}
}

/* The parser's decoded BODY events of the leaves, concatenated. */
static int
dec_event(void *ctx, const mf_event *ev)
{
	if (ev->type == MF_EV_BODY &&
	    mf_buf_append(ctx, ev->data.ptr, ev->data.len) != MF_OK)
		return 1;
	return 0;
}

/*
 * A QP body whose last line ends in "=" (and white space): the line end
 * went to the delimiter or the end of the message, so the "=" is a soft
 * line break (RFC 2045 6.7 rule 5), dropped without a defect, alike by
 * mf_part_decode and by the push parser's MF_DECODE.
 */
/*
 * Undoing an mbox writer's ">From " quoting (MF_MBOX: mboxo; with
 * MF_MBOX_RD: mboxrd) before the transfer decoding, in both line-end
 * forms, streamed at every split point like one-shot; defect offsets
 * stay offsets in the raw body.
 */
static void
test_mbox_unquote(void **state)
{
	static const char body[] =
	    ">From a\n>>From b\n>From\n>Fro\n>>>From c\nFrom d\n"
	    " >From e\n>x>From f\n>From ";
	static const struct {
		unsigned flags;
		const char *want;
	} t[] = {
	    {0, body},
	    {MF_MBOX, "From a\n>>From b\n>From\n>Fro\n>>>From c\nFrom d\n"
		      " >From e\n>x>From f\nFrom "},
	    {MF_MBOX | MF_MBOX_RD,
	     "From a\n>From b\n>From\n>Fro\n>>From c\nFrom d\n"
	     " >From e\n>x>From f\nFrom "},
	};
	struct onepart op;
	size_t i, v, n;
	uint64_t d;

	(void)state;
	for (i = 0; i < N(t); i++) {
		for (v = 0; v < 2; v++) {
			char *b = tu_eol(body, strlen(body), v, &n);
			char *w = tu_eol(t[i].want, strlen(t[i].want), v, &n);
			const mf_part *p = op_open(&op, "Subject: x", b,
						   strlen(b));
			mf_buf *got = decode(p, t[i].flags, NULL, NULL);

			tu_assert_str(mf_buf_data(got), w, "unquote");
			check_splits(p, t[i].flags, "unquote splits");
			mf_buf_free(got);
			op_close(&op);
			free(b);
			free(w);
		}
	}
	/* Before quoted-printable decoding: the raw lines were quoted. */
	op_open(&op, "Content-Transfer-Encoding: quoted-printable",
		">From x=\n y=3D\n", 16);
	{
		mf_buf *got = decode(op.p, MF_MBOX, NULL, NULL);

		tu_assert_str(mf_buf_data(got), "From x y=\n", "qp");
		check_splits(op.p, MF_MBOX, "qp splits");
		mf_buf_free(got);
	}
	op_close(&op);
	/* base64: the first junk is the "!" at raw offset 7 of the body
	 * (6 of the unquoted one, the ">" dropped before it), not the ">"
	 * at 0; "From" is base64 for 3 bytes. */
	op_open(&op, "Content-Transfer-Encoding: base64", ">From \n!\n", 9);
	{
		uint64_t body_off;
		struct log l;
		mf_opts o;
		mf_buf *got;

		mf_part_offsets(op.p, NULL, &body_off, NULL);
		log_opts(&o, &l);
		d = 0;
		got = decode(op.p, MF_MBOX, &o, &d);
		tu_assert_mem(mf_buf_data(got), mf_buf_len(got), "\x16\xba&",
			      3, "b64");
		assert_true(d & MF_DEFECT_BIT(MF_D_B64_JUNK));
		assert_int_equal(l.n, 1);
		assert_int_equal(l.off[0], body_off + 7);
		mf_buf_free(got);
		/* MF_MBOX_RD alone is refused. */
		got = mf_buf_new(NULL);
		assert_int_equal(mf_part_decode(op.p, got, MF_MBOX_RD, NULL,
						NULL, NULL),
				 MF_E_INVAL);
		mf_buf_free(got);
	}
	op_close(&op);
}

static void
test_qp_final_soft_break(void **state)
{
	static const struct {
		const char *body, *want;
	} t[] = {
	    {"abc=", "abc"},      {"abc= \t", "abc"}, {"abc=\n", "abc"},
	    {"abc==", "abc="},    {"a=3D=", "a="},    {"x=\ny=", "xy"},
	    {"abc=4", "abc=4"},   {"abc", "abc"},     {"abc\n", "abc\n"},
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < N(t); i++) {
		for (k = 0; k < 2; k++) {
			char in[256];
			int n = snprintf(
			    in, sizeof(in), "%s%s%s",
			    k == 0 ? "Content-Transfer-Encoding: "
			             "quoted-printable\n\n"
			           : "Content-Type: multipart/mixed; "
			             "boundary=b\n\n--b\nContent-Transfer-"
			             "Encoding: quoted-printable\n\n",
			    t[i].body, k == 0 ? "" : "\n--b--\n");
			mf_msg *m = parse(in, (size_t)n);
			const mf_part *p = mf_msg_root(m);
			mf_buf *b, *ev = mf_buf_new(NULL);
			mf_opts o;
			mf_parser *ps;

			if (k == 1)
				p = mf_part_child(p, 0);
			uint64_t d = 0;

			b = decode(p, 0, NULL, &d);
			if (i < 3 && (d & MF_DEFECT_BIT(MF_D_QP_INVALID)))
				fail_msg("case %zu/%zu: a defect", i, k);
			if (strlen(t[i].want) != mf_buf_len(b) ||
			    memcmp(mf_buf_data(b), t[i].want, mf_buf_len(b)) != 0)
				fail_msg("case %zu/%zu: got \"%.*s\"", i, k,
				         (int)mf_buf_len(b), mf_buf_data(b));
			/* The push parser decoding gives the same bytes. */
			memset(&o, 0, sizeof(o));
			o.flags = MF_DECODE;
			assert_non_null(ev);
			ps = mf_parser_new(&o, dec_event, ev);
			assert_non_null(ps);
			assert_int_equal(mf_parser_feed(ps, in, (size_t)n), MF_OK);
			assert_int_equal(mf_parser_finish(ps), MF_OK);
			tu_assert_mem(mf_buf_data(ev), mf_buf_len(ev),
			              mf_buf_data(b), mf_buf_len(b), t[i].body);
			mf_parser_free(ps);
			mf_buf_free(ev);
			mf_buf_free(b);
			mf_msg_free(m);
		}
	}
}

static void
test_corpus(void **state)
{
	size_t s, files = 0, leaves = 0;
	tu_rng r;

	(void)state;
	tu_rng_seed(&r, 4);
	for (s = 0; s < N(sets); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, k;
			char *p;
			mf_msg *m;

			if (!tu_slow_ok() && i % 8 != 0)
				continue;
			p = tu_read(list[i], &n);
			m = parse(p, n);
			for (k = 0; k < mf_msg_count(m); k++)
				corpus_message(mf_msg_at(m, k), &r, list[i],
				               &leaves);
			check_events(p, n, NULL, m, list[i]);
			mf_msg_free(m);
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	assert_true(files > (tu_slow_ok() ? 300u : 30u));
	assert_true(leaves > files);
}

/* The push parser's users: a decoder per leaf, fed raw BODY events. */
struct pctx {
	mf_content_dec *d;
	mf_buf *out;
	size_t leaves;
};

static int
on_event(void *ctx, const mf_event *ev)
{
	struct pctx *c = ctx;

	switch (ev->type) {
	case MF_EV_HEADERS_END:
		if (mf_part_kind(ev->part) == MF_PART_LEAF) {
			c->d =
			    mf_content_dec_new(ev->part, MF_CONTENT_TEXT, NULL);
			if (c->d == NULL)
				return 1;
		}
		break;
	case MF_EV_BODY:
		if (c->d != NULL &&
		    mf_content_dec_update(c->d, c->out, ev->data.ptr,
		                          ev->data.len) != MF_OK)
			return 1;
		break;
	case MF_EV_PART_END:
		if (c->d != NULL) {
			int rc = mf_content_dec_final(c->d, c->out);

			mf_content_dec_free(c->d);
			c->d = NULL;
			c->leaves++;
			if (rc != MF_OK)
				return 1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static void
test_push_parser(void **state)
{
	/* One literal per name: clang warns about concatenated ones here. */
	/* clang-format off */
	static const char *files[] = {
	    "../examples/data/sample.eml",
	    "corpus/mimekit/UnitTests/TestData/messages/japanese.txt",
	    "corpus/mimekit/UnitTests/TestData/messages/multipart-related-mhtml.txt",
	    "corpus/nodemailer-mailparser/test/fixtures/nested.eml",
	};
	/* clang-format on */
	size_t f;

	(void)state;
	for (f = 0; f < N(files); f++) {
		size_t n, chunk;
		char *p;
		mf_msg *m;
		mf_buf *want = mf_buf_new(NULL);
		const mf_part *q = NULL;

		p = tu_read(files[f], &n);
		m = parse(p, n);
		while ((q = mf_part_next(mf_msg_root(m), q)) != NULL) {
			if (mf_part_kind(q) == MF_PART_LEAF) {
				mf_buf *b =
				    decode(q, MF_CONTENT_TEXT, NULL, NULL);

				assert_int_equal(mf_buf_append(want,
				                               mf_buf_data(b),
				                               mf_buf_len(b)),
				                 MF_OK);
				mf_buf_free(b);
			}
		}
		for (chunk = 1; chunk <= 4096; chunk *= 8) {
			struct pctx c = {NULL, mf_buf_new(NULL), 0};
			mf_parser *ps = mf_parser_new(NULL, on_event, &c);
			size_t at;

			assert_non_null(ps);
			for (at = 0; at < n; at += chunk)
				assert_int_equal(mf_parser_feed(ps, p + at,
				                                n - at < chunk
				                                    ? n - at
				                                    : chunk),
				                 MF_OK);
			assert_int_equal(mf_parser_finish(ps), MF_OK);
			tu_assert_mem(mf_buf_data(c.out), mf_buf_len(c.out),
			              mf_buf_data(want), mf_buf_len(want),
			              files[f]);
			assert_true(c.leaves > 0);
			mf_parser_free(ps);
			mf_buf_free(c.out);
		}
		mf_buf_free(want);
		mf_msg_free(m);
		free(p);
	}
}

/* ---------------------------------------------------------------------- */
/* Errors, OOM, guard pages                                                */
/* ---------------------------------------------------------------------- */

static const char oom_msg[] =
    "Content-Type: multipart/mixed; boundary=b\n\n"
    "--b\nContent-Type: text/plain; charset=koi8-r; format=flowed\n"
    "Content-Transfer-Encoding: base64\n\n8NLJ18XUIAoNCj4gYQ0K\n"
    "--b\nContent-Type: text/plain; charset=x-unknown\n\n"
    "caf\xe9\0 a\r\nb\n"
    "--b\nContent-Type: text/plain; charset=utf-16\n"
    "Content-Transfer-Encoding: quoted-printable\n\n=FF=FEa=00\n"
    "--b\nContent-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: x-uuencode\n\n"
    "begin 644 a\n#0V%T\n`\nend\n--b--\n";

/* Decodes every leaf of m one-shot with every flag set, or streaming. */
struct oom {
	const mf_msg *m;
	int stream;
};

static int
oom_leaf(const mf_part *p, const mf_opts *o, mf_buf *b, int stream)
{
	mf_str body = mf_part_body(p);
	mf_content_dec *d;
	size_t f, len;
	int rc = MF_OK;

	for (f = 0; !stream && f < N(flag_sets) && rc == MF_OK; f++) {
		len = mf_buf_len(b);
		rc = mf_part_decode(p, b, flag_sets[f], o, NULL, NULL);
		if (rc != MF_OK)
			assert_int_equal(mf_buf_len(b), len);
	}
	if (!stream)
		return rc;
	d = mf_content_dec_new(p, MF_CONTENT_FLOWED | MF_LF | MF_SAFE_TEXT, o);
	if (d == NULL)
		return MF_E_NOMEM;
	rc = mf_content_dec_update(d, b, body.ptr, body.len / 2);
	if (rc == MF_OK)
		rc = mf_content_dec_update(d, b, body.ptr + body.len / 2,
		                           body.len - body.len / 2);
	if (rc == MF_OK)
		rc = mf_content_dec_final(d, b);
	if (rc != MF_OK) {
		/* Sticky. */
		assert_int_equal(mf_content_dec_update(d, b, "x", 1), rc);
		assert_int_equal(mf_content_dec_error(d, NULL), rc);
	}
	mf_content_dec_free(d);
	return rc;
}

static int
oom_run(const mf_alloc *a, void *ctx)
{
	const struct oom *c = ctx;
	const mf_part *p = NULL;
	mf_opts o;
	mf_buf *b = mf_buf_new(a);
	int rc = MF_OK;

	if (b == NULL)
		return MF_E_NOMEM;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	while (rc == MF_OK && (p = mf_part_next(mf_msg_root(c->m), p)) != NULL)
		if (mf_part_kind(p) == MF_PART_LEAF)
			rc = oom_leaf(p, &o, b, c->stream);
	/* And the flowed codec alone. */
	if (rc == MF_OK && c->stream)
		rc = mf_flowed_decode(b, "a \r\nb\r\n", 7, 0);
	mf_buf_free(b);
	return rc;
}

static void
test_oom(void **state)
{
	mf_msg *m = parse(oom_msg, sizeof(oom_msg) - 1);
	struct oom c1 = {m, 0}, c2 = {m, 1};

	(void)state;
	assert_true(tu_oom_loop(oom_run, &c1) > 0);
	assert_true(tu_oom_loop(oom_run, &c2) > 0);
	mf_msg_free(m);
}

static void
test_errors(void **state)
{
	mf_msg *m = parse(oom_msg, sizeof(oom_msg) - 1);
	const mf_part *root = mf_msg_root(m), *leaf = first_leaf(m);
	mf_buf *b = mf_buf_new(NULL);
	mf_content_dec *d;
	mf_error e;

	(void)state;
	/* A multipart, an event's part, bad flags, NULLs. */
	assert_int_equal(mf_part_decode(root, b, 0, NULL, NULL, &e),
	                 MF_E_INVAL);
	assert_int_equal(mf_part_decode(leaf, b, 0x100, NULL, NULL, NULL),
	                 MF_E_INVAL);
	assert_int_equal(mf_part_decode(NULL, b, 0, NULL, NULL, NULL),
	                 MF_E_INVAL);
	assert_int_equal(mf_part_decode(leaf, NULL, 0, NULL, NULL, NULL),
	                 MF_E_INVAL);
	assert_null(mf_content_dec_new(NULL, 0, NULL));
	mf_content_dec_free(NULL);
	assert_int_equal(mf_content_dec_update(NULL, b, "", 0), MF_E_INVAL);
	assert_int_equal(mf_content_dec_final(NULL, b), MF_E_INVAL);
	assert_int_equal(mf_content_dec_error(NULL, &e), MF_E_INVAL);
	assert_int_equal(mf_content_dec_defects(NULL), 0);
	/* Use after final: MF_E_STATE, sticky. */
	d = mf_content_dec_new(leaf, 0, NULL);
	assert_non_null(d);
	assert_int_equal(mf_content_dec_update(d, NULL, "", 0), MF_E_INVAL);
	assert_int_equal(mf_content_dec_final(d, b), MF_OK);
	assert_int_equal(mf_content_dec_update(d, b, "x", 1), MF_E_STATE);
	assert_int_equal(mf_content_dec_final(d, b), MF_E_STATE);
	assert_int_equal(mf_content_dec_error(d, &e), MF_E_STATE);
	assert_int_equal(e.code, MF_E_STATE);
	mf_content_dec_free(d);
	/* The message inside message/rfc822 decodes as its bytes. */
	{
		static const char msg[] =
		    "Content-Type: message/rfc822\n\nSubject: x\n\nbody\n";
		mf_msg *m2 = parse(msg, sizeof(msg) - 1);

		mf_buf_clear(b);
		assert_int_equal(mf_part_decode(mf_msg_root(m2), b,
		                                MF_CONTENT_TEXT, NULL, NULL,
		                                NULL),
		                 MF_OK);
		assert_string_equal(mf_buf_data(b), "Subject: x\n\nbody\n");
		mf_msg_free(m2);
	}
	mf_buf_free(b);
	mf_msg_free(m);
}

/* Every prefix of a message, ending against a guard page. */
static void
test_guard(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k <= sizeof(oom_msg) - 1; k++) {
		tu_guard g;
		const char *in = tu_guard_new(&g, oom_msg, k);
		mf_msg *m = parse(in, k);
		const mf_part *p = NULL;
		size_t f;

		while ((p = mf_part_next(mf_msg_root(m), p)) != NULL) {
			if (mf_part_kind(p) == MF_PART_MULTIPART)
				continue;
			for (f = 0; f < N(flag_sets); f++)
				mf_buf_free(
				    decode(p, flag_sets[f], NULL, NULL));
		}
		check_bodies(mf_msg_root(m), "guard");
		mf_msg_free(m);
		tu_guard_free(&g);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uu_vectors),
	    cmocka_unit_test(test_mbox_unquote),
	    cmocka_unit_test(test_uu_malformed),
	    cmocka_unit_test(test_uu_stream),
	    cmocka_unit_test(test_flowed),
	    cmocka_unit_test(test_safe_text),
	    cmocka_unit_test(test_flowed_parts),
	    cmocka_unit_test(test_charsets),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_stateful_long_lines),
	    cmocka_unit_test(test_gmime_samples),
	    cmocka_unit_test(test_bodies_rules),
	    cmocka_unit_test(test_bodies_random),
	    cmocka_unit_test(test_bodies_deep),
	    cmocka_unit_test(test_qp_final_soft_break),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_push_parser),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
