/* SPDX-License-Identifier: MIT */
/*
 * test_lex.c - the RFC 5322 tokenizer: comments, quoted strings, dot-atoms,
 * domain literals (Dovecot's rfc822-parser tables), CFWS, unquoting and
 * quoting, the public token stream, strict-mode errors with offsets.
 */
#include "tutil.h"

#include "lex.h"

static tj *dovecot;

static int
setup(void **state)
{
	(void)state;
	dovecot = tj_load("corpus/vectors/dovecot/lib-mail-rfc822-parser.json");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tj_free(dovecot);
	return 0;
}

static tj *
table(const char *name)
{
	char path[128];
	tj *t;

	snprintf(path, sizeof(path), "tables.%s.entries", name);
	t = tj_path(dovecot, path);
	assert_non_null(t);
	assert_true(t->len > 0);
	return t;
}

/* Dovecot comment_tests: content collected, -1 for unterminated. */
static void
test_dovecot_comments(void **state)
{
	tj *t = table("comment_tests");
	size_t i;

	(void)state;
	for (i = 0; i < t->len; i++) {
		size_t n, wn;
		const char *in = tj_bytes(tj_get(tj_at(t, i), "input"), &n);
		const char *want = tj_bytes(tj_get(tj_at(t, i), "output"), &wn);
		long ret = tj_int(tj_get(tj_at(t, i), "ret"));
		mf__lex lx;
		mf_str c;
		mf_buf b;
		char label[32];

		snprintf(label, sizeof(label), "comment %zu", i);
		mf__lex_init(&lx, in, n, NULL, 0);
		assert_true(mf__lex_comment(&lx, &c));
		assert_true(lx.p == lx.end);
		if (ret < 0) {
			assert_true(lx.defects &
				    MF_DEFECT_BIT(MF_D_UNTERMINATED));
			continue;
		}
		assert_int_equal(lx.defects, 0);
		mf__buf_init(&b, NULL);
		assert_int_equal(mf__unquote(&b, c.ptr, c.len), MF_OK);
		tu_assert_mem(b.data ? b.data : "", b.len, want, wn, label);
		mf__buf_fini(&b);
	}
}

/* Dovecot quoted_string_tests: 1 = more data follows, 0 = end. */
static void
test_dovecot_qstrings(void **state)
{
	tj *t = table("quoted_string_tests");
	size_t i;

	(void)state;
	for (i = 0; i < t->len; i++) {
		size_t n, wn;
		const char *in = tj_bytes(tj_get(tj_at(t, i), "input"), &n);
		const char *want = tj_bytes(tj_get(tj_at(t, i), "output"), &wn);
		long ret = tj_int(tj_get(tj_at(t, i), "ret"));
		mf__lex lx;
		mf_str q;
		mf_buf b;
		char label[32];

		snprintf(label, sizeof(label), "qstring %zu", i);
		mf__lex_init(&lx, in, n, NULL, 0);
		assert_true(mf__lex_qstring(&lx, &q));
		if (ret < 0) {
			assert_true(lx.defects &
				    MF_DEFECT_BIT(MF_D_UNTERMINATED));
			continue;
		}
		assert_int_equal(lx.defects, 0);
		assert_int_equal(ret == 1, lx.p < lx.end);
		mf__buf_init(&b, NULL);
		assert_int_equal(mf__unquote(&b, q.ptr, q.len), MF_OK);
		tu_assert_mem(b.data ? b.data : "", b.len, want, wn, label);
		mf__buf_fini(&b);
	}
}

/*
 * Dovecot dot_atom_tests, with CFWS between atoms: the obsolete-aware scan
 * accepts everything, flagging what Dovecot rejects as MF_D_OBSOLETE, and
 * the canonical text is the expected output for the valid ones.
 */
static void
test_dovecot_dot_atoms(void **state)
{
	tj *t = table("dot_atom_tests");
	size_t i;

	(void)state;
	for (i = 0; i < t->len; i++) {
		size_t n, wn;
		const char *in = tj_bytes(tj_get(tj_at(t, i), "input"), &n);
		const char *want = tj_bytes(tj_get(tj_at(t, i), "output"), &wn);
		long ret = tj_int(tj_get(tj_at(t, i), "ret"));
		mf__lex lx;
		mf_str d;
		mf_buf b;
		char label[32];
		int has_cfws = strchr(in, ' ') || strchr(in, '\t') ||
			       strchr(in, '(');
		bool got;

		snprintf(label, sizeof(label), "dot-atom %zu", i);
		mf__lex_init(&lx, in, n, NULL, 0);
		got = mf__lex_dot_atom(&lx, &d, true);
		mf__lex_cfws(&lx);
		if (ret < 0) {
			/* Leading, doubled or trailing dots. */
			assert_true(got);
			assert_true(lx.defects & MF_DEFECT_BIT(MF_D_OBSOLETE));
			continue;
		}
		assert_true(got);
		assert_true(lx.p == lx.end);
		assert_int_equal(!!(lx.defects & MF_DEFECT_BIT(MF_D_OBSOLETE)),
				 has_cfws);
		mf__buf_init(&b, NULL);
		assert_int_equal(mf__lex_canon(&b, d.ptr, d.len), MF_OK);
		tu_assert_mem(b.data, b.len, want, wn, label);
		mf__buf_fini(&b);
		/* The strict scan takes the same text when there is no CFWS. */
		mf__lex_init(&lx, in, n, NULL, 0);
		assert_true(mf__lex_dot_atom(&lx, &d, false));
		if (!has_cfws)
			tu_assert_mem(d.ptr, d.len, want, wn, label);
	}
}

/* Dovecot domain_tests (the IDNA ones are out of the tokenizer's scope). */
static void
test_dovecot_domains(void **state)
{
	tj *t = table("domain_tests");
	size_t i;

	(void)state;
	for (i = 0; i < t->len; i++) {
		size_t n, wn;
		const char *in = tj_bytes(tj_get(tj_at(t, i), "input"), &n);
		const char *want = tj_bytes(tj_get(tj_at(t, i), "output"), &wn);
		long ret = tj_int(tj_get(tj_at(t, i), "ret"));
		mf__lex lx;
		mf_str d;
		mf_buf b;
		char label[32];
		int bad;

		if (strstr(in, "xn--") != NULL)
			continue; /* IDNA decoding is not tokenizing */
		snprintf(label, sizeof(label), "domain %zu", i);
		mf__lex_init(&lx, in, n, NULL, 0);
		assert_true(mf__lex_eat(&lx, '@'));
		mf__buf_init(&b, NULL);
		if (lx.p < lx.end && *lx.p == '[') {
			assert_true(mf__lex_dliteral(&lx, &d));
			assert_int_equal(mf__unquote(&b, d.ptr, d.len), MF_OK);
		} else {
			assert_true(mf__lex_dot_atom(&lx, &d, false));
			assert_int_equal(mf__buf_put(&b, d.ptr, d.len), MF_OK);
		}
		bad = lx.defects != 0 || lx.p != lx.end;
		assert_int_equal(bad, ret < 0);
		if (!bad)
			tu_assert_mem(b.data, b.len, want, wn, label);
		mf__buf_fini(&b);
	}
}

static void
test_cfws(void **state)
{
	static const struct {
		const char *in;
		size_t rest; /* offset where CFWS ends */
		const char *comment;
	} t[] = {
	    {"", 0, NULL},
	    {"x", 0, NULL},
	    {"  \t x", 4, NULL},
	    {" (a) (b(c)) x", 12, "b(c)"},
	    {"\r\n x", 3, NULL},
	    {"\n\t(hi)\r\n x", 9, "hi"},
	    {"(\\))x", 4, "\\)"},
	    {"(a\\", 3, "a\\"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf__lex lx;
		size_t n = strlen(t[i].in);

		mf__lex_init(&lx, t[i].in, n, NULL, 0);
		assert_int_equal(mf__lex_cfws(&lx), t[i].rest > 0);
		if ((size_t)(lx.p - t[i].in) != t[i].rest)
			fail_msg("case %zu: stopped at %zu, want %zu", i,
				 (size_t)(lx.p - t[i].in), t[i].rest);
		if (t[i].comment == NULL) {
			assert_int_equal(lx.comment.len, 0);
		} else {
			tu_assert_mem(lx.comment.ptr, lx.comment.len,
				      t[i].comment, strlen(t[i].comment),
				      "comment");
		}
	}
}

/* Deep nesting costs a counter, not stack. */
static void
test_deep_comment(void **state)
{
	size_t n = 1000000, i;
	char *p = malloc(2 * n + 1);
	mf__lex lx;
	mf_str c;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < n; i++) {
		p[i] = '(';
		p[2 * n - 1 - i] = ')';
	}
	mf__lex_init(&lx, p, 2 * n, NULL, 0);
	assert_true(mf__lex_comment(&lx, &c));
	assert_true(lx.p == lx.end);
	assert_int_equal(c.len, 2 * n - 2);
	assert_int_equal(lx.defects, 0);
	/* Unbalanced: one ")" missing. */
	mf__lex_init(&lx, p, 2 * n - 1, NULL, 0);
	assert_true(mf__lex_comment(&lx, &c));
	assert_true(lx.defects & MF_DEFECT_BIT(MF_D_UNTERMINATED));
	free(p);
}

static void
test_atoms_utf8(void **state)
{
	const char *in = "J\xc3\xbcrgen.M\xc3\xbcller@ex";
	mf__lex lx;
	mf_str a;

	(void)state;
	mf__lex_init(&lx, in, strlen(in), NULL, 0);
	assert_true(mf__lex_dot_atom(&lx, &a, false));
	tu_assert_mem(a.ptr, a.len, "J\xc3\xbcrgen.M\xc3\xbcller", 15, "utf8");
	assert_true(mf__lex_eat(&lx, '@'));
	assert_true(mf__lex_atom(&lx, &a));
	assert_false(mf__lex_atom(&lx, &a));
	/* RFC 2045 tokens include '.', exclude '/', '=', '?'. */
	mf__lex_init(&lx, "us-ascii.x/y", 12, NULL, 0);
	assert_true(mf__lex_token(&lx, &a));
	tu_assert_mem(a.ptr, a.len, "us-ascii.x", 10, "token");
	assert_false(mf__lex_token(&lx, &a));
}

static void
test_dliteral_bad_char(void **state)
{
	mf__lex lx;
	mf_str d;

	(void)state;
	mf__lex_init(&lx, "[a[b]", 5, NULL, 7);
	assert_true(mf__lex_dliteral(&lx, &d));
	assert_int_equal(d.len, 5);
	assert_true(lx.defects & MF_DEFECT_BIT(MF_D_BAD_CHAR));
	mf__lex_init(&lx, "[IPv6:2001:db8::1]", 18, NULL, 0);
	assert_true(mf__lex_dliteral(&lx, &d));
	assert_int_equal(d.len, 18);
	assert_int_equal(lx.defects, 0);
}

static uint64_t seen_off;
static int seen_defect;

static void
rec_defect(void *ctx, int d, uint64_t off)
{
	(void)ctx;
	seen_defect = d;
	seen_off = off;
}

/* Defects carry the absolute offset; strict mode makes them sticky errors. */
static void
test_defect_offsets(void **state)
{
	mf_opts o;
	mf__lex lx;
	mf_str q;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.on_defect = rec_defect;
	mf__lex_init(&lx, "ab \"cd", 6, &o, 100);
	lx.p += 3;
	assert_true(mf__lex_qstring(&lx, &q));
	assert_int_equal(seen_defect, MF_D_UNTERMINATED);
	assert_int_equal(seen_off, 103);
	assert_int_equal(lx.rc, MF_OK);
	o.flags = MF_STRICT;
	mf__lex_init(&lx, "ab \"cd", 6, &o, 100);
	lx.p += 3;
	assert_true(mf__lex_qstring(&lx, &q));
	assert_int_equal(lx.rc, MF_E_DEFECT);
	assert_int_equal(lx.err_at - lx.base, 3);
}

static void
test_unquote(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"\"\"", ""},
	    {"\"a b\"", "a b"},
	    {"\"a\\\"b\"", "a\"b"},
	    {"\"a\\\\b\"", "a\\b"},
	    {"\"a\r\n b\"", "a b"},
	    {"\"unterminated", "unterminated"},
	    {"\"ends in backslash\\", "ends in backslash\\"},
	    {"\"x\" trailing", "x"},
	    {"no quotes \\( here", "no quotes ( here"},
	    {"\"caf\xc3\xa9\"", "caf\xc3\xa9"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_buf *b = mf_buf_new(NULL);
		char label[32];

		snprintf(label, sizeof(label), "unquote %zu", i);
		assert_int_equal(mf_unquote(b, t[i].in, strlen(t[i].in)),
				 MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, label);
		mf_buf_free(b);
	}
	{
		mf_buf *b = mf_buf_new(NULL);
		assert_int_equal(mf_unquote(b, "(a \\) b)", 8), MF_OK);
		assert_string_equal(mf_buf_data(b), "a ) b");
		assert_int_equal(mf_unquote(NULL, "x", 1), MF_E_INVAL);
		assert_int_equal(mf_unquote(b, NULL, 1), MF_E_INVAL);
		mf_buf_free(b);
	}
	assert_true(mf__unquote_trivial("abc", 3));
	assert_false(mf__unquote_trivial("a\\c", 3));
}

static void
test_quote(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		const char *want;
	} t[] = {
	    {"John Doe", 0, "John Doe"},
	    {"Doe, John", 0, "\"Doe, John\""},
	    {"John Q. Public", 0, "\"John Q. Public\""},
	    {"", 0, "\"\""},
	    {" lead", 0, "\" lead\""},
	    {"two  spaces", 0, "\"two  spaces\""},
	    {"say \"hi\"", 0, "\"say \\\"hi\\\"\""},
	    {"back\\slash", 0, "\"back\\\\slash\""},
	    {"J\xc3\xbcrgen", 0, "J\xc3\xbcrgen"},
	    {"john.doe", MF_LEX_DOTS, "john.doe"},
	    {"john..doe", MF_LEX_DOTS, "\"john..doe\""},
	    {"john doe", MF_LEX_DOTS, "\"john doe\""},
	    {".x", MF_LEX_DOTS, "\".x\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_buf *b = mf_buf_new(NULL);
		mf_buf *u = mf_buf_new(NULL);
		char label[32];

		snprintf(label, sizeof(label), "quote %zu", i);
		assert_int_equal(
		    mf_quote(b, t[i].in, strlen(t[i].in), t[i].flags), MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, label);
		/* Round trip: unquoting gives the text back. */
		assert_int_equal(mf_unquote(u, mf_buf_data(b), mf_buf_len(b)),
				 MF_OK);
		tu_assert_str(mf_buf_data(u), t[i].in, label);
		mf_buf_free(b);
		mf_buf_free(u);
	}
	{
		mf_buf *b = mf_buf_new(NULL);
		assert_int_equal(mf_quote(b, "a\r\nBcc: x", 9, 0), MF_E_INVAL);
		assert_int_equal(mf_quote(b, "a\0b", 3, 0), MF_E_INVAL);
		assert_int_equal(mf_buf_len(b), 0);
		mf_buf_free(b);
	}
}

/* Quote then unquote is the identity over random printable text. */
static void
test_quote_roundtrip(void **state)
{
	tu_rng r;
	size_t iter;

	(void)state;
	tu_rng_seed(&r, 42);
	for (iter = 0; iter < 5000; iter++) {
		char in[40];
		size_t n = tu_rng_below(&r, sizeof(in)), i;
		mf_buf *b = mf_buf_new(NULL), *u = mf_buf_new(NULL);

		for (i = 0; i < n; i++) {
			/* printable ASCII, tab, and some 8-bit bytes */
			size_t k = tu_rng_below(&r, 100);
			in[i] = k < 95 ? (char)(32 + k)
				       : (k < 97 ? '\t' : (char)(0xC3 + k));
		}
		assert_int_equal(mf_quote(b, in, n, (unsigned)(iter & 1) *
							MF_LEX_DOTS),
				 MF_OK);
		assert_int_equal(mf_unquote(u, mf_buf_data(b), mf_buf_len(b)),
				 MF_OK);
		tu_assert_mem(mf_buf_data(u), mf_buf_len(u), in, n, "rt");
		mf_buf_free(b);
		mf_buf_free(u);
	}
}

struct want_tok {
	int type;
	const char *text;
	size_t off;
};

static void
check_tokens(const char *in, unsigned flags, const struct want_tok *w,
	     size_t nw)
{
	mf_lexer lx;
	mf_tok t;
	size_t i;

	assert_int_equal(mf_lex_init(&lx, in, strlen(in), flags), MF_OK);
	for (i = 0; i <= nw; i++) {
		assert_int_equal(mf_lex_next(&lx, &t, NULL), MF_OK);
		if (i == nw) {
			assert_int_equal(t.type, MF_TOK_END);
			assert_int_equal(t.offset, strlen(in));
			break;
		}
		if (t.type != w[i].type || t.offset != w[i].off)
			fail_msg("token %zu of '%s': type %d off %zu, want "
				 "type %d off %zu",
				 i, in, t.type, t.offset, w[i].type, w[i].off);
		tu_assert_mem(t.text.ptr, t.text.len, w[i].text,
			      strlen(w[i].text), in);
	}
	/* END is sticky. */
	assert_int_equal(mf_lex_next(&lx, &t, NULL), MF_OK);
	assert_int_equal(t.type, MF_TOK_END);
}

static void
test_public_tokens(void **state)
{
	static const struct want_tok a[] = {
	    {MF_TOK_QSTRING, "\"Joe Q. Public\"", 0},
	    {MF_TOK_SPECIAL, "<", 16},
	    {MF_TOK_ATOM, "john", 17},
	    {MF_TOK_SPECIAL, ".", 21},
	    {MF_TOK_ATOM, "q", 22},
	    {MF_TOK_SPECIAL, "@", 23},
	    {MF_TOK_DLITERAL, "[1.2.3.4]", 24},
	    {MF_TOK_SPECIAL, ">", 33},
	};
	static const struct want_tok b[] = {
	    {MF_TOK_ATOM, "text", 0},
	    {MF_TOK_SPECIAL, "/", 4},
	    {MF_TOK_ATOM, "plain", 5},
	    {MF_TOK_SPECIAL, ";", 10},
	    {MF_TOK_COMMENT, "(a (nested) comment)", 12},
	    {MF_TOK_ATOM, "charset", 33},
	    {MF_TOK_SPECIAL, "=", 40},
	    {MF_TOK_ATOM, "us-ascii.x", 41},
	};
	static const struct want_tok c[] = {
	    {MF_TOK_ATOM, "a.b..c", 1},
	    {MF_TOK_SPECIAL, "@", 7},
	    {MF_TOK_ATOM, "example.com", 8},
	};

	(void)state;
	check_tokens("\"Joe Q. Public\" <john.q@[1.2.3.4]> (c)", 0, a, 8);
	check_tokens("text/plain; (a (nested) comment) charset=us-ascii.x",
		     MF_LEX_MIME | MF_LEX_COMMENTS, b, 8);
	check_tokens(" a.b..c@example.com\r\n", MF_LEX_DOTS, c, 3);
}

static void
test_public_strict(void **state)
{
	static const struct {
		const char *in;
		int rc;
		size_t off;
	} t[] = {
	    {"abc \"unterminated", MF_E_TRUNC, 4},
	    {"abc (open", MF_E_TRUNC, 4},
	    {"x [1.2", MF_E_TRUNC, 2},
	    {"a \x01", MF_E_SYNTAX, 2},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_lexer lx;
		mf_tok tok;
		mf_error e;
		int rc;

		assert_int_equal(
		    mf_lex_init(&lx, t[i].in, strlen(t[i].in), MF_STRICT),
		    MF_OK);
		assert_int_equal(mf_lex_next(&lx, &tok, &e), MF_OK);
		rc = mf_lex_next(&lx, &tok, &e);
		if (rc != t[i].rc || e.offset != t[i].off)
			fail_msg("case %zu: rc %d off %zu", i, rc, e.offset);
		assert_non_null(e.reason);
		/* Sticky: the same error again, nothing consumed. */
		assert_int_equal(mf_lex_next(&lx, &tok, &e), t[i].rc);
		/* Lenient: the construct runs to the end, with a defect. */
		assert_int_equal(mf_lex_init(&lx, t[i].in, strlen(t[i].in), 0),
		                 MF_OK);
		assert_int_equal(mf_lex_next(&lx, &tok, NULL), MF_OK);
		assert_int_equal(mf_lex_next(&lx, &tok, NULL), MF_OK);
		if (t[i].rc == MF_E_TRUNC)
			assert_true(lx.defects &
				    MF_DEFECT_BIT(MF_D_UNTERMINATED));
		else
			assert_int_equal(tok.type, MF_TOK_SPECIAL);
	}
	{
		mf_lexer lx;
		mf_tok tok;
		mf_error e;

		assert_int_equal(mf_lex_next(NULL, &tok, &e), MF_E_INVAL);
		assert_int_equal(mf_lex_init(&lx, NULL, 5, 0), MF_OK);
		assert_int_equal(mf_lex_next(&lx, &tok, &e), MF_OK);
		assert_int_equal(tok.type, MF_TOK_END);
	}
}

/* Every input ends against a guard page: no scanner reads past the end. */
static void
test_guard_pages(void **state)
{
	static const char *const in[] = {
	    "\"abc", "\"abc\\", "(abc", "(a\\", "[a", "[a\\", "a.", "a.b.",
	    "a . (x", " \r", "\\", "(", "\"", "[",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		tu_guard g;
		const char *p = tu_guard_new(&g, in[i], strlen(in[i]));
		mf_lexer lx;
		mf_tok tok;
		mf__lex l;
		mf_str s;
		mf_buf *b = mf_buf_new(NULL);
		int k;

		for (k = 0; k < 2; k++) {
			assert_int_equal(
			    mf_lex_init(&lx, p, strlen(in[i]),
			                k ? MF_LEX_COMMENTS | MF_LEX_DOTS : 0),
			    MF_OK);
			do {
				assert_int_equal(mf_lex_next(&lx, &tok, NULL),
						 MF_OK);
			} while (tok.type != MF_TOK_END);
		}
		mf__lex_init(&l, p, strlen(in[i]), NULL, 0);
		mf__lex_dot_atom(&l, &s, true);
		mf__lex_cfws(&l);
		assert_int_equal(mf_unquote(b, p, strlen(in[i])), MF_OK);
		assert_int_equal(mf__lex_canon(b, p, strlen(in[i])), MF_OK);
		mf_buf_free(b);
		tu_guard_free(&g);
	}
}

static int
unquote_oom(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	rc = mf_unquote(b, "\"a long \\\"quoted\\\" string, long enough to "
			   "need more than one growth of the buffer .......\"",
			86);
	if (rc == MF_OK)
		rc = mf_quote(b, "needs \"quotes\"", 14, 0);
	if (rc == MF_OK)
		rc = mf__lex_canon(b, "a . b (c) . d", 13);
	mf_buf_free(b);
	return rc;
}

static void
test_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(unquote_oom, NULL) >= 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dovecot_comments),
	    cmocka_unit_test(test_dovecot_qstrings),
	    cmocka_unit_test(test_dovecot_dot_atoms),
	    cmocka_unit_test(test_dovecot_domains),
	    cmocka_unit_test(test_cfws),
	    cmocka_unit_test(test_deep_comment),
	    cmocka_unit_test(test_atoms_utf8),
	    cmocka_unit_test(test_dliteral_bad_char),
	    cmocka_unit_test(test_defect_offsets),
	    cmocka_unit_test(test_unquote),
	    cmocka_unit_test(test_quote),
	    cmocka_unit_test(test_quote_roundtrip),
	    cmocka_unit_test(test_public_tokens),
	    cmocka_unit_test(test_public_strict),
	    cmocka_unit_test(test_guard_pages),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
