/* SPDX-License-Identifier: MIT */
/*
 * test_rfc2231.c - RFC 2231 values: mf_rfc2231_decode with every defect
 * and offset (and strict mode), the continuation joiner of rfc2231.h on
 * Dovecot's rfc2231-parser table and GMime's rfc2184 table, and
 * mf_rfc2231_encode checked by parsing its output back (values, line
 * lengths, whole characters per segment) over seeded random values at
 * every start column; OOM loops and guard pages.
 */
#include "tdefect.h"

#include "core.h"
#include "rfc2231.h"


/* ---------------------------------------------------------------------- */
/* Names                                                                   */
/* ---------------------------------------------------------------------- */

static void
test_names(void **state)
{
	static const struct {
		const char *name;
		int ok;
		size_t base;
		uint32_t section;
		unsigned flags;
	} t[] = {
	    {"title", 1, 5, 0, 0},
	    {"title*", 1, 5, 0, MF__R2231_EXT},
	    {"title*0", 1, 5, 0, MF__R2231_NUM},
	    {"title*0*", 1, 5, 0, MF__R2231_NUM | MF__R2231_EXT},
	    {"title*12*", 1, 5, 12, MF__R2231_NUM | MF__R2231_EXT},
	    {"title*999999", 1, 5, 999999, MF__R2231_NUM},
	    {"title*1000000", 0, 0, 0, 0},
	    {"title*01", 0, 0, 0, 0},
	    {"title*x", 0, 0, 0, 0},
	    {"title**", 0, 0, 0, 0},
	    {"title*1x", 0, 0, 0, 0},
	    {"title*1**", 0, 0, 0, 0},
	    {"*", 0, 0, 0, 0},
	    {"*0", 0, 0, 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		size_t base;
		uint32_t sec;
		unsigned fl;
		bool ok = mf__rfc2231_name(t[i].name, strlen(t[i].name), &base,
					   &sec, &fl);

		if (ok != (bool)t[i].ok ||
		    (ok && (base != t[i].base || sec != t[i].section ||
			    fl != t[i].flags)))
			fail_msg("case %zu (%s): ok %d base %zu sec %u fl %x", i,
				 t[i].name, ok, base, sec, fl);
	}
}

/* ---------------------------------------------------------------------- */
/* mf_rfc2231_decode                                                       */
/* ---------------------------------------------------------------------- */

static void
test_decode(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		unsigned flags;
		const char *cs_in; /* MF_RFC2231_CONT: the charset given */
		const char *want;
		size_t wl;
		const char *cs, *lang; /* views expected (no CONT) */
		size_t nd;
		int code[3];
		long off[3];
	} t[] = {
	    /* 0: RFC 2231 4 example */
	    {S("us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"), 0, NULL,
	     S("This is ***fun***"), "us-ascii", "en-us", 0, {0}, {0}},
	    {S("utf-8''%c3%a9t%C3%A9"), 0, NULL, S("\xc3\xa9t\xc3\xa9"),
	     "utf-8", "", 0, {0}, {0}},
	    {S("iso-8859-1'en'%A3%20rates"), 0, NULL, S("\xc2\xa3 rates"),
	     "iso-8859-1", "en", 0, {0}, {0}},
	    {S("''plain"), 0, NULL, S("plain"), "", "", 0, {0}, {0}},
	    {S("''%C3%A9"), 0, NULL, S("\xc3\xa9"), "", "", 0, {0}, {0}},
	    /* 5: bad %: literal */
	    {S("utf-8''a%zz%4"), 0, NULL, S("a%zz%4"), "utf-8", "", 2,
	     {MF_D_PARAM_SYNTAX, MF_D_PARAM_SYNTAX}, {8, 11}},
	    {S("utf-8''%"), 0, NULL, S("%"), "utf-8", "", 1,
	     {MF_D_PARAM_SYNTAX}, {7}},
	    /* 7: no prefix: the whole value, no charset */
	    {S("abc%20d"), 0, NULL, S("abc d"), "", "", 1,
	     {MF_D_PARAM_SYNTAX}, {0}},
	    {S("utf-8'abc"), 0, NULL, S("utf-8'abc"), "", "", 1,
	     {MF_D_PARAM_SYNTAX}, {0}},
	    /* 9: unknown charset: UTF-8 if valid, else windows-1252 */
	    {S("x-foo''caf%E9"), 0, NULL, S("caf\xc3\xa9"), "x-foo", "", 1,
	     {MF_D_EW_CHARSET}, {0}},
	    /* 10: invalid in the charset */
	    {S("utf-8''a%FFb"), 0, NULL, S("a\xef\xbf\xbd" "b"), "utf-8", "",
	     1, {MF_D_CHARSET_INVALID}, {0}},
	    {S("us-ascii''foo%E5"), 0, NULL, S("foo\xc3\xa5"), "us-ascii", "",
	     1, {MF_D_CHARSET_INVALID}, {0}},
	    /* 12: NUL */
	    {S("utf-8''a%00b"), 0, NULL, S("a\xef\xbf\xbd" "b"), "utf-8", "", 1,
	     {MF_D_NUL}, {0}},
	    /* 13: no charset and not UTF-8 */
	    {S("''%E9t%E9"), 0, NULL, S("\xc3\xa9t\xc3\xa9"), "", "", 1,
	     {MF_D_8BIT_HEADER}, {0}},
	    /* 14: continuations */
	    {S("%E9t%E9"), MF_RFC2231_CONT, "latin1", S("\xc3\xa9t\xc3\xa9"),
	     NULL, NULL, 0, {0}, {0}},
	    {S("%C3%A9"), MF_RFC2231_CONT, NULL, S("\xc3\xa9"), NULL, NULL, 0,
	     {0}, {0}},
	    {S("a'b'%41"), MF_RFC2231_CONT, "utf-8", S("a'b'A"), NULL, NULL,
	     0, {0}, {0}},
	    {S(""), 0, NULL, S(""), "", "", 1, {MF_D_PARAM_SYNTAX}, {0}},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		mf_buf *b = mf_buf_new(NULL);
		mf_str cs = {NULL, 0}, lang = {NULL, 0};
		struct log l;
		mf_opts o;
		mf_error e;
		uint64_t def = 0;
		char label[32];
		int rc;

		log_opts(&o, &l);
		if (t[i].cs_in != NULL) {
			cs.ptr = t[i].cs_in;
			cs.len = strlen(t[i].cs_in);
		}
		snprintf(label, sizeof(label), "case %zu", i);
		rc = mf_rfc2231_decode(b, t[i].in, t[i].n, t[i].flags, &o, &cs,
				       &lang, &def, NULL);
		assert_int_equal(rc, MF_OK);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), t[i].want,
			      t[i].wl, label);
		if (t[i].cs != NULL) {
			tu_assert_mem(cs.ptr, cs.len, t[i].cs, strlen(t[i].cs),
				      label);
			tu_assert_mem(lang.ptr, lang.len, t[i].lang,
				      strlen(t[i].lang), label);
		}
		log_check(&l, def, t[i].nd, t[i].code, t[i].off, i);
		if (t[i].nd > 0) {
			o.flags = MF_STRICT;
			o.on_defect = NULL;
			mf_buf_clear(b);
			assert_int_equal(mf_buf_append(b, "x", 1), MF_OK);
			memset(&e, 0, sizeof(e));
			rc = mf_rfc2231_decode(b, t[i].in, t[i].n, t[i].flags,
					       &o, &cs, NULL, NULL, &e);
			if (rc != MF_E_DEFECT ||
			    e.offset != (size_t)t[i].off[0])
				fail_msg("case %zu: strict rc %d at %zu", i, rc,
					 e.offset);
			assert_string_equal(mf_buf_data(b), "x");
		}
		mf_buf_free(b);
	}
	assert_int_equal(mf_rfc2231_decode(NULL, "a", 1, 0, NULL, NULL, NULL,
					   NULL, NULL),
			 MF_E_INVAL);
	{
		mf_buf *b = mf_buf_new(NULL);
		assert_int_equal(mf_rfc2231_decode(b, NULL, 1, 0, NULL, NULL,
						   NULL, NULL, NULL),
				 MF_E_INVAL);
		assert_int_equal(mf_rfc2231_decode(b, "a", 1, 0x80, NULL, NULL,
						   NULL, NULL, NULL),
				 MF_E_INVAL);
		mf_buf_free(b);
	}
}

/* ---------------------------------------------------------------------- */
/* A small parameter-list splitter over the library's tokenizer, standing  */
/* in for the header layer: "; name=value; ..." to joined parameters.     */
/* ---------------------------------------------------------------------- */

#define MAXP 32

struct param {
	char base[64];
	size_t baselen;
	struct mf__r2231_seg num[MAXP]; /* name*N, name*N* */
	size_t nnum;
	struct mf__r2231_seg ext;       /* name* */
	struct mf__r2231_seg plain;     /* name */
	bool has_ext, has_plain;
	struct mf__r2231_seg rest[MAXP]; /* bad names, kept whole */
};

struct plist {
	struct param p[MAXP];
	size_t n;
};

static struct param *
get_param(struct plist *pl, const char *base, size_t bl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (mf__ieq(pl->p[i].base, pl->p[i].baselen, base, bl))
			return &pl->p[i];
	assert_true(pl->n < MAXP && bl < 64);
	memset(&pl->p[pl->n], 0, sizeof(pl->p[0]));
	memcpy(pl->p[pl->n].base, base, bl);
	pl->p[pl->n].baselen = bl;
	return &pl->p[pl->n++];
}

static void
split_params(const char *in, size_t n, struct plist *pl)
{
	mf_lexer lx;
	mf_tok t;

	memset(pl, 0, sizeof(*pl));
	assert_int_equal(mf_lex_init(&lx, in, n, MF_LEX_MIME), MF_OK);
	for (;;) {
		mf_tok name, val;
		size_t base;
		uint32_t sec;
		unsigned fl;
		struct param *p;
		struct mf__r2231_seg s;

		assert_int_equal(mf_lex_next(&lx, &t, NULL), MF_OK);
		if (t.type == MF_TOK_END)
			break;
		if (t.type == MF_TOK_SPECIAL && t.text.ptr[0] == ';')
			continue;
		if (t.type != MF_TOK_ATOM)
			continue; /* "attachment" etc. come as atoms too */
		name = t;
		assert_int_equal(mf_lex_next(&lx, &t, NULL), MF_OK);
		if (!(t.type == MF_TOK_SPECIAL && t.text.ptr[0] == '='))
			continue;
		assert_int_equal(mf_lex_next(&lx, &val, NULL), MF_OK);
		s.val = val.text.ptr;
		s.len = val.text.len;
		s.off = val.offset;
		if (!mf__rfc2231_name(name.text.ptr, name.text.len, &base, &sec,
				      &fl)) {
			/* Not an RFC 2231 name: a parameter of its own. */
			p = get_param(pl, name.text.ptr, name.text.len);
			s.section = 0;
			s.flags = 0;
			p->plain = s;
			p->has_plain = true;
			continue;
		}
		s.section = sec;
		s.flags = fl;
		p = get_param(pl, name.text.ptr, base);
		if (fl & MF__R2231_NUM) {
			assert_true(p->nnum < MAXP);
			p->num[p->nnum++] = s;
		} else if (fl & MF__R2231_EXT) {
			if (!p->has_ext)
				p->ext = s;
			p->has_ext = true;
		} else {
			if (!p->has_plain)
				p->plain = s;
			p->has_plain = true;
		}
	}
}

/*
 * Joins one parameter the way we recommend to the header layer: name*
 * first, then the numbered sections, then the plain name= (which senders
 * such as Outlook write as the fallback for old readers).
 */
static int
join_param(struct param *p, mf_buf *out, const mf_opts *o, uint64_t *def,
	   mf_error *err)
{
	if (p->has_ext)
		return mf__rfc2231_join(out, &p->ext, 1, MF__R2231_EW, o, NULL,
					NULL, def, err);
	if (p->nnum > 0)
		return mf__rfc2231_join(out, p->num, p->nnum, MF__R2231_EW, o,
					NULL, NULL, def, err);
	return mf__rfc2231_join(out, &p->plain, 1, MF__R2231_EW, o, NULL,
				NULL, def, err);
}

/* Dovecot's rfc2231_parse table, with our values where we differ. */
static void
test_dovecot(void **state)
{
	static const struct {
		const char *test;
		const char *want[16]; /* key, value, ..., NULL */
		uint64_t def;
	} ours[] = {
	    {"test_rfc2231_parser_rfc_tests_1",
	     {"title", "This is ***fun***"}, 0},
	    {"test_rfc2231_parser_rfc_tests_2",
	     {"title", "This is even more ***fun*** isn't it!"}, 0},
	    {"test_rfc2231_spaces", {"title", "   "}, 0},
	    {"test_rfc2231_parser",
	     {"key4", "foo", "key", "f\xef\xbf\xbdoobazba%", "key2", "ab%",
	      "key3", "xyzplop%"},
	     MF_DEFECT_BIT(MF_D_NUL)},
	    /* Dovecot prefers name= to name*; we prefer the RFC 2231 form. */
	    {"test_rfc2231_parser_redundant_keys", {"key3", "foo"}, 0},
	    {"test_rfc2231_parser_redundant_single_and_multisegment_keys",
	     {"key2", "foobaz"}, 0},
	    /* key1*=foobar has no charset'lang' prefix: a syntax defect */
	    {"test_rfc2231_parser_redundant_extended_and_multisegment_keys",
	     {"key1", "foobar"}, MF_DEFECT_BIT(MF_D_PARAM_SYNTAX)},
	    {"test_rfc2231_parser_redundant_multisegment_keys",
	     {"key1", "foobaz3"}, MF_DEFECT_BIT(MF_D_PARAM_SYNTAX)},
	    /* A gap: we join what is there (Dovecot keeps the pieces). */
	    {"test_rfc2231_parser_invalid_sequence", {"key1", "foobaz"},
	     MF_DEFECT_BIT(MF_D_PARAM_SYNTAX)},
	    /* Bytes the charset does not allow: Dovecot keeps them
	     * percent-encoded, we decode (RFC 7103 7.6 for us-ascii: UTF-8
	     * if valid, else windows-1252; U+FFFD in UTF-8; NUL is U+FFFD). */
	    {"test_rfc2231_parser_encodings",
	     {"key1", "foo\xc3\xa5\xc3\xa4", "key2", "foo\xc3\xa5\xc3\xa4",
	      "key3", "foo\xef\xbf\xbd", "key4", "foo\xc3\xbf\xc3\xbf",
	      "key5", "foo\xc3\xa5\xc3\xa4", "key6", "foo\xc3\xa5\xc3\xa4",
	      "key7", "foo\xe2\x82\xac"},
	     MF_DEFECT_BIT(MF_D_CHARSET_INVALID) | MF_DEFECT_BIT(MF_D_NUL)},
	    {"test_rfc2231_parser_utf8_encoding",
	     {"key1", "foo\xef\xbf\xbd\xef\xbf\xbd", "key2", "foo\xef\xbf\xbd",
	      "key3", "foo\xef\xbf\xbd\xef\xbf\xbd", "key4",
	      "foo\xc3\xa5\xc3\xa4", "key5", "foo\xef\xbf\xbd"},
	     MF_DEFECT_BIT(MF_D_CHARSET_INVALID) | MF_DEFECT_BIT(MF_D_NUL)},
	    /* The charset of section 0 applies to the joined bytes; a
	     * prefix in a later section is data. */
	    {"test_rfc2231_parser_multi_encodings",
	     {"key1", "foo\xc3\xa5\xc3\xa4-utf-8''foo\xc3\xa5\xc3\xa4", "key2",
	      "foo\xc3\xa5\xc3\xa4-iso-8859-1''foo\xef\xbf\xbd\xef\xbf\xbd"},
	     MF_DEFECT_BIT(MF_D_CHARSET_INVALID)},
	};
	tj *root = tj_load("corpus/vectors/dovecot/lib-mail-rfc2231-parser.json");
	tj *ent = tj_get(tj_get(tj_path(root, "tables"), "rfc2231_parse_tests"),
			 "entries");
	size_t i, k, matched = 0;

	(void)state;
	for (i = 0; i < ent->len; i++) {
		const char *name = tj_get(tj_at(ent, i), "test")->str;
		size_t inl;
		const char *in = tj_bytes(tj_get(tj_at(ent, i), "input"), &inl);
		struct plist pl;
		uint64_t def = 0;
		size_t t;

		for (t = 0; t < N(ours); t++)
			if (strcmp(ours[t].test, name) == 0)
				break;
		if (t == N(ours))
			fail_msg("no expectation for %s", name);
		matched++;
		split_params(in, inl, &pl);
		for (k = 0; k < pl.n; k++) {
			mf_buf *b = mf_buf_new(NULL);
			char label[128];

			assert_non_null(ours[t].want[2 * k]);
			tu_assert_mem(pl.p[k].base, pl.p[k].baselen,
				      ours[t].want[2 * k],
				      strlen(ours[t].want[2 * k]), name);
			assert_int_equal(join_param(&pl.p[k], b, NULL, &def,
						    NULL),
					 MF_OK);
			snprintf(label, sizeof(label), "%s %s", name,
				 ours[t].want[2 * k]);
			tu_assert_str(mf_buf_data(b), ours[t].want[2 * k + 1],
				      label);
			mf_buf_free(b);
		}
		assert_null(ours[t].want[2 * k]);
		if (def != ours[t].def)
			fail_msg("%s: defects %llx", name,
				 (unsigned long long)def);
	}
	assert_int_equal(matched, N(ours));
	tj_free(root);
}

/* The joiner directly: duplicates, gaps, limits, offsets, strictness. */
static void
test_join(void **state)
{
	/* key1*0*=us-ascii''foo; key1*1*=baz1; key1*0*=foobar;
	 * key1*1*=baz2 (Dovecot's redundant_multisegment_keys). */
	static const char hdr[] = "; key1*0*=us-ascii''foo; key1*1*=baz1; "
				  "key1*0*=foobar; key1*1*=baz2";
	struct plist pl;
	struct log l;
	mf_opts o;
	mf_error e;
	mf_str cs, lang;
	mf_buf *b = mf_buf_new(NULL);
	struct mf__r2231_seg segs[3];

	(void)state;
	split_params(hdr, sizeof(hdr) - 1, &pl);
	assert_int_equal(pl.n, 1);
	assert_int_equal(pl.p[0].nnum, 4);
	log_opts(&o, &l);
	assert_int_equal(mf__rfc2231_join(b, pl.p[0].num, 4, 0, &o, &cs,
					  &lang, NULL, NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "foobaz1");
	tu_assert_mem(cs.ptr, cs.len, "us-ascii", 8, "charset view");
	assert_int_equal(lang.len, 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.code[0], MF_D_PARAM_DUPLICATE);
	assert_int_equal(l.off[0], strstr(hdr, "foobar") - hdr);
	assert_int_equal(l.code[1], MF_D_PARAM_DUPLICATE);
	assert_int_equal(l.off[1], strstr(hdr, "baz2") - hdr);
	/* Strict: the first duplicate is the error. */
	o.flags = MF_STRICT;
	o.on_defect = NULL;
	mf_buf_clear(b);
	split_params(hdr, sizeof(hdr) - 1, &pl);
	assert_int_equal(mf__rfc2231_join(b, pl.p[0].num, 4, 0, &o, NULL, NULL,
					  NULL, &e),
			 MF_E_DEFECT);
	assert_int_equal(e.offset, strstr(hdr, "foobar") - hdr);
	assert_int_equal(mf_buf_len(b), 0);

	/* Out of order, a character split across sections, a quoted
	 * plain section in the middle. */
	memset(&o, 0, sizeof(o));
	segs[0] = (struct mf__r2231_seg){S("%A9!"), 30, 2,
					 MF__R2231_NUM | MF__R2231_EXT};
	segs[1] = (struct mf__r2231_seg){S("utf-8'fr'caf%C3"), 10, 0,
					 MF__R2231_NUM | MF__R2231_EXT};
	segs[2] = (struct mf__r2231_seg){S("\"\\\"q\\\" \""), 20, 1,
					 MF__R2231_NUM};
	mf_buf_clear(b);
	assert_int_equal(mf__rfc2231_join(b, segs, 3, 0, &o, &cs, &lang, NULL,
					  NULL),
			 MF_OK);
	/* The split é stays split by the plain section: U+FFFD. */
	assert_string_equal(mf_buf_data(b), "caf\xef\xbf\xbd\"q\" \xef\xbf\xbd!");
	tu_assert_mem(lang.ptr, lang.len, "fr", 2, "lang");
	segs[0] = (struct mf__r2231_seg){S("%A9"), 30, 1,
					 MF__R2231_NUM | MF__R2231_EXT};
	segs[1] = (struct mf__r2231_seg){S("utf-8''caf%C3"), 10, 0,
					 MF__R2231_NUM | MF__R2231_EXT};
	mf_buf_clear(b);
	assert_int_equal(mf__rfc2231_join(b, segs, 2, 0, &o, NULL, NULL, NULL,
					  NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "caf\xc3\xa9");

	/* No section 0, and a gap. */
	memset(&l, 0, sizeof(l));
	o.on_defect = log_defect;
	o.defect_ctx = &l;
	segs[0] = (struct mf__r2231_seg){S("b"), 5, 1, MF__R2231_NUM};
	segs[1] = (struct mf__r2231_seg){S("d"), 9, 3, MF__R2231_NUM};
	mf_buf_clear(b);
	assert_int_equal(mf__rfc2231_join(b, segs, 2, 0, &o, NULL, NULL, NULL,
					  NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "bd");
	assert_int_equal(l.n, 2);
	assert_int_equal(l.code[0], MF_D_PARAM_SYNTAX);
	assert_int_equal(l.off[0], 5);
	assert_int_equal(l.off[1], 9);

	/* The count limit keeps the first max_params in header order. */
	{
		struct mf__r2231_seg many[10];
		size_t k;

		memset(&l, 0, sizeof(l));
		o.limits.max_params = 4;
		for (k = 0; k < 10; k++)
			many[k] = (struct mf__r2231_seg){
			    &"abcdefghij"[9 - k], 1, 100 - k * 10,
			    (uint32_t)(9 - k), MF__R2231_NUM};
		mf_buf_clear(b);
		assert_int_equal(mf__rfc2231_join(b, many, 10, 0, &o, NULL,
						  NULL, NULL, NULL),
				 MF_OK);
		/* Offsets 10..40 (sections 0..3) come first in the header. */
		assert_string_equal(mf_buf_data(b), "abcd");
		assert_int_equal(l.code[0], MF_D_FIELD_LIMIT);
		assert_int_equal(l.off[0], 50);
		o.limits.max_params = 0;
	}

	/* Extended section 0 without the charset'lang' prefix. */
	memset(&l, 0, sizeof(l));
	segs[0] = (struct mf__r2231_seg){S("abc%41"), 7, 0, MF__R2231_EXT};
	mf_buf_clear(b);
	assert_int_equal(mf__rfc2231_join(b, segs, 1, 0, &o, &cs, &lang, NULL,
					  NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "abcA");
	assert_int_equal(cs.len, 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.code[0], MF_D_PARAM_SYNTAX);
	assert_int_equal(l.off[0], 7);

	/* An extended value written as a quoted string. */
	memset(&l, 0, sizeof(l));
	segs[0] = (struct mf__r2231_seg){S("\"utf-8''a%20b\""), 3, 0,
					 MF__R2231_EXT};
	mf_buf_clear(b);
	assert_int_equal(mf__rfc2231_join(b, segs, 1, 0, &o, &cs, NULL, NULL,
					  NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "a b");
	tu_assert_mem(cs.ptr, cs.len, "utf-8", 5, "quoted ext charset");
	assert_int_equal(l.code[0], MF_D_PARAM_SYNTAX);

	/* Empty input, bad arguments. */
	mf_buf_clear(b);
	assert_int_equal(mf__rfc2231_join(b, NULL, 0, 0, NULL, NULL, NULL,
					  NULL, NULL),
			 MF_OK);
	assert_int_equal(mf__rfc2231_join(NULL, segs, 1, 0, NULL, NULL, NULL,
					  NULL, NULL),
			 MF_E_INVAL);
	mf_buf_free(b);
}

/* GMime's rfc2184 table: the encoded forms decode to the input. */
static void
test_gmime_rfc2184(void **state)
{
	tj *root = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *ent = tj_get(tj_get(tj_path(root, "tables"), "rfc2184"),
			 "entries");
	size_t i;

	(void)state;
	assert_int_equal(ent->len, 3);
	for (i = 0; i < ent->len; i++) {
		size_t xl, el;
		const char *x = tj_bytes(tj_get(tj_at(ent, i), "input"), &xl);
		const char *e = tj_bytes(tj_get(tj_at(ent, i), "encoded"), &el);
		const char *colon = memchr(e, ':', el);
		struct plist pl;
		mf_buf *b = mf_buf_new(NULL);
		uint64_t def = 0;
		size_t k;

		assert_non_null(colon);
		split_params(colon + 1, el - (size_t)(colon + 1 - e), &pl);
		for (k = 0; k < pl.n; k++)
			if (mf__ieq(pl.p[k].base, pl.p[k].baselen, "filename",
				    8))
				break;
		assert_true(k < pl.n);
		assert_int_equal(join_param(&pl.p[k], b, NULL, &def, NULL),
				 MF_OK);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), x, xl, "rfc2184");
		/* The third is RFC 2047 inside quotes, as MUAs decode it. */
		assert_true(def == (i == 2 ? MF_DEFECT_BIT(MF_D_EW_IN_QUOTES)
					   : 0));
		mf_buf_free(b);
	}
	tj_free(root);
}

/* ---------------------------------------------------------------------- */
/* Encoding                                                                */
/* ---------------------------------------------------------------------- */

static void
test_encode_cases(void **state)
{
	static const struct {
		const char *name, *v;
		size_t n;
		const char *cs;
		size_t col, width;
		const char *want;
	} t[] = {
	    {"charset", S("utf-8"), NULL, 20, 76, "charset=utf-8"},
	    {"filename", S("a b.txt"), NULL, 20, 76, "filename=\"a b.txt\""},
	    {"filename", S("say \"hi\"\\"), NULL, 0, 76,
	     "filename=\"say \\\"hi\\\"\\\\\""},
	    {"filename", S(""), NULL, 0, 76, "filename=\"\""},
	    {"filename", S("caf\xc3\xa9.txt"), NULL, 0, 76,
	     "filename*=utf-8''caf%C3%A9.txt"},
	    {"filename", S("caf\xc3\xa9.txt"), "latin1", 0, 76,
	     "filename*=iso-8859-1''caf%E9.txt"},
	    /* not in latin1: UTF-8 */
	    {"filename", S("\xe6\x9d\xb1.txt"), "latin1", 0, 76,
	     "filename*=utf-8''%E6%9D%B1.txt"},
	    /* attribute-chars stay, the rest is %XX (RFC 2231 7) */
	    {"f", S("\xc3\xa9 *'%();"), NULL, 0, 0,
	     "f*=utf-8''%C3%A9%20%2A%27%25%28%29%3B"},
	    /* long ASCII: quoted continuations */
	    {"name", S("aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"), NULL, 0, 30,
	     "name*0=\"aaaaaaaaaabbbbbbbbbb\";\r\n"
	     " name*1=\"ccccccccccdddddddddd\""},
	    /* long non-ASCII: extended continuations, whole characters */
	    {"name",
	     S("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
	     NULL, 0, 40,
	     "name*0*=utf-8''%C3%A9%C3%A9%C3%A9;\r\n"
	     " name*1*=%C3%A9%C3%A9%C3%A9%C3%A9"},
	    /* width 0: never split */
	    {"name", S("aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"), NULL, 70, 0,
	     "name=aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"},
	    /* controls force the extended form (no CR LF in a header) */
	    {"x", S("a\r\nb"), NULL, 0, 76, "x*=utf-8''a%0D%0Ab"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		mf_buf *b = mf_buf_new(NULL);
		char label[32];

		snprintf(label, sizeof(label), "case %zu", i);
		assert_int_equal(mf_rfc2231_encode(b, t[i].name,
						   strlen(t[i].name), t[i].v,
						   t[i].n, t[i].cs, 0,
						   t[i].col, t[i].width),
				 MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, label);
		mf_buf_free(b);
	}
	{
		mf_buf *b = mf_buf_new(NULL);

		assert_int_equal(mf_rfc2231_encode(b, "a b", 3, "x", 1, NULL, 0,
						   0, 76),
				 MF_E_INVAL);
		assert_int_equal(mf_rfc2231_encode(b, "a*", 2, "x", 1, NULL, 0,
						   0, 76),
				 MF_E_INVAL);
		assert_int_equal(mf_rfc2231_encode(b, "", 0, "x", 1, NULL, 0, 0,
						   76),
				 MF_E_INVAL);
		assert_int_equal(mf_rfc2231_encode(b, "a", 1, NULL, 1, NULL, 0,
						   0, 76),
				 MF_E_INVAL);
		assert_int_equal(mf_rfc2231_encode(b, "a", 1, "x", 1, NULL,
						   0x100, 0, 76),
				 MF_E_INVAL);
		assert_int_equal(mf_rfc2231_encode(b, "a", 1, "\xc3\xa9", 2,
						   "utf-9", 0, 0, 76),
				 MF_E_CHARSET);
		assert_int_equal(mf_buf_len(b), 0);
		/* LF folding */
		assert_int_equal(mf_rfc2231_encode(b, "n", 1,
						   "aaaaaaaaaabbbbbbbbbb", 20,
						   NULL, MF_LF, 0, 16),
				 MF_OK);
		assert_non_null(strstr(mf_buf_data(b), ";\n n*1="));
		assert_null(strchr(mf_buf_data(b), '\r'));
		mf_buf_free(b);
	}
}

/*
 * Encodes v, parses the result back ("; " + output, unfolded) with the
 * splitter and the joiner, and checks the value, the line lengths and
 * that each extended UTF-8 segment holds whole characters.
 */
static void
enc_round_trip(const char *v, size_t n, const char *cs, size_t col,
	       size_t width, const char *what)
{
	mf_buf *b = mf_buf_new(NULL), *u = mf_buf_new(NULL),
	       *j = mf_buf_new(NULL);
	const char *p;
	size_t i, line = col, lines = 0;
	struct plist pl;
	uint64_t def = 0;
	char label[128];

	snprintf(label, sizeof(label), "%s cs=%s col=%zu width=%zu", what,
		 cs ? cs : "-", col, width);
	assert_int_equal(mf_buf_append(b, "; ", 2), MF_OK);
	assert_int_equal(mf_rfc2231_encode(b, "filename", 8, v, n, cs, 0, col,
					   width),
			 MF_OK);
	p = mf_buf_data(b) + 2;
	for (i = 0; i < mf_buf_len(b) - 2; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x80)
			fail_msg("%s: 8-bit output", label);
		if (c == '\r') {
			assert_true(p[i + 1] == '\n' && p[i + 2] == ' ');
			/* a line may overflow only holding one piece */
			if (width && line > width &&
			    memchr(p + i - (line - (lines ? 0 : col)), ';',
				   line - (lines ? 0 : col) - 1) != NULL)
				fail_msg("%s: line of %zu", label, line);
			line = 0;
			lines++;
			i++;
			continue;
		}
		line++;
	}
	if (width && line > width && lines > 0)
		fail_msg("%s: last line of %zu", label, line);
	/* Unfold, split, join. */
	for (i = 0; i < mf_buf_len(b); i++) {
		char c = mf_buf_data(b)[i];
		if (c == '\r' || c == '\n')
			continue;
		assert_int_equal(mf_buf_append(u, &c, 1), MF_OK);
	}
	split_params(mf_buf_data(u), mf_buf_len(u), &pl);
	assert_int_equal(pl.n, 1);
	assert_int_equal(join_param(&pl.p[0], j, NULL, &def, NULL), MF_OK);
	if (def != 0)
		fail_msg("%s: defects %llx", label, (unsigned long long)def);
	{
		/* What the encoder was given, with invalid UTF-8 as U+FFFD. */
		mf_buf *want = mf_buf_new(NULL);

		assert_int_equal(mf_charset_to_utf8(want, "utf-8", 5, v, n,
						    NULL, NULL, NULL),
				 MF_OK);
		tu_assert_mem(mf_buf_data(j), mf_buf_len(j), mf_buf_data(want),
			      mf_buf_len(want), label);
		mf_buf_free(want);
	}
	/* Each UTF-8 extended segment decodes alone to whole characters. */
	for (i = 0; i < pl.p[0].nnum; i++) {
		struct mf__r2231_seg *s = &pl.p[0].num[i];
		mf_buf *one = mf_buf_new(NULL);
		uint64_t d1 = 0;
		mf_str c8 = {"utf-8", 5};

		if ((s->flags & MF__R2231_EXT) && s->section > 0 &&
		    strstr(mf_buf_data(u), "*0*=utf-8''") != NULL) {
			assert_int_equal(mf_rfc2231_decode(one, s->val, s->len,
							   MF_RFC2231_CONT,
							   NULL, &c8, NULL,
							   &d1, NULL),
					 MF_OK);
			if (d1 != 0)
				fail_msg("%s: section %u splits a character",
					 label, s->section);
		}
		mf_buf_free(one);
	}
	mf_buf_free(b);
	mf_buf_free(u);
	mf_buf_free(j);
}

static void
test_encode_round_trip(void **state)
{
	static const char *const pieces[] = {
	    "a", "report", ".pdf", " ", "\"", "\\", "'", "%", "*", ";", "(",
	    "\xc3\xa9", "\xe6\x9d\xb1\xe4\xba\xac", "\xf0\x9f\x98\x80", "\t",
	    "\xd0\x96\xd0\x96\xd0\x96", "=?utf-8?q?x?=", "\xff",
	};
	static const char *const css[] = {NULL, "iso-8859-1", "koi8-r",
					  "windows-1252"};
	static const size_t widths[] = {76, 40, 0};
	char v[512];
	tu_rng r;
	int round, rounds = tu_slow_ok() ? 80 : 8;
	size_t c, w, col;

	(void)state;
	tu_rng_seed(&r, 2231);
	for (round = 0; round < rounds; round++) {
		size_t n = 0, k, count = 1 + tu_rng_below(&r, 30);

		for (k = 0; k < count; k++) {
			const char *p = pieces[tu_rng_below(&r, N(pieces))];
			memcpy(v + n, p, strlen(p));
			n += strlen(p);
		}
		for (c = 0; c < N(css); c++)
			for (w = 0; w < N(widths); w++)
				for (col = 0; col <= 40; col++)
					enc_round_trip(v, n, css[c], col,
						       widths[w], "random");
	}
}

/* GMime's inputs, in their charsets, every start column. */
static void
test_encode_gmime(void **state)
{
	tj *root = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *ent = tj_get(tj_get(tj_path(root, "tables"), "rfc2184"),
			 "entries");
	size_t i, col;

	(void)state;
	for (i = 0; i < ent->len; i++) {
		size_t xl;
		const char *x = tj_bytes(tj_get(tj_at(ent, i), "input"), &xl);
		const char *cs = tj_get(tj_at(ent, i), "charset")->str;

		for (col = 0; col <= 60; col++) {
			enc_round_trip(x, xl, cs, col, 76, "gmime");
			enc_round_trip(x, xl, NULL, col, 76, "gmime");
		}
	}
	tj_free(root);
}

/* ---------------------------------------------------------------------- */
/* OOM and guard pages                                                     */
/* ---------------------------------------------------------------------- */

struct oom_case {
	int kind; /* 0 decode, 1 join, 2 encode */
	const char *in;
	size_t n;
	const char *cs;
};

/* Empties b back to its first n bytes (the "pre" marker). */
static void
cut_to(mf_buf *b, size_t n)
{
	char keep[8];

	memcpy(keep, mf_buf_data(b), n);
	mf_buf_clear(b);
	assert_int_equal(mf_buf_append(b, keep, n), MF_OK);
}

static int
oom_fn(const mf_alloc *a, void *ctx)
{
	const struct oom_case *c = ctx;
	mf_buf *b = mf_buf_new(a);
	struct plist pl;
	mf_opts o;
	size_t k;
	int rc;

	if (b == NULL)
		return MF_E_NOMEM;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	rc = mf_buf_append(b, "pre", 3);
	if (rc != MF_OK) {
		mf_buf_free(b);
		return rc;
	}
	switch (c->kind) {
	case 0:
		rc = mf_rfc2231_decode(b, c->in, c->n, 0, &o, NULL, NULL, NULL,
				       NULL);
		break;
	case 1:
		split_params(c->in, c->n, &pl);
		for (k = 0; k < pl.n && rc == MF_OK; k++) {
			size_t before = mf_buf_len(b);

			rc = join_param(&pl.p[k], b, &o, NULL, NULL);
			if (rc == MF_E_NOMEM && mf_buf_len(b) != before)
				rc = MF_E_INVAL;
			else if (rc == MF_E_NOMEM)
				cut_to(b, 3);
		}
		break;
	default:
		rc = mf_rfc2231_encode(b, "filename", 8, c->in, c->n, c->cs, 0,
				       10, 40);
		break;
	}
	if (rc == MF_E_NOMEM && mf_buf_len(b) != 3)
		rc = MF_E_INVAL;
	mf_buf_free(b);
	return rc;
}

static void
test_oom(void **state)
{
	static const struct oom_case t[] = {
	    {0, S("utf-8''caf%C3%A9"), NULL},
	    {0, S("iso-8859-1''caf%E9%00"), NULL},
	    {0, S("x-foo''%E9"), NULL},
	    {0, S("''%E9"), NULL},
	    {1, S("; a*0*=utf-8''%C3; a*1*=%A9; b=\"q\\\"x\"; "
		  "c=\"=?utf-8?q?=C3=A9?=\"; d*=koi8-r''%F6"),
	     NULL},
	    {2, S("caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e.txt"),
	     NULL},
	    {2, S("caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e.txt"),
	     "latin1"},
	    {2, S("a long plain ascii file name that needs continuations.txt"),
	     NULL},
	    {2, S("bad\xff utf-8 \xe6\x9d\xb1"), "latin1"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++)
		assert_true(tu_oom_loop(oom_fn, (void *)(uintptr_t)&t[i]) >= 1);
}

static void
test_guard_pages(void **state)
{
	static const char *const ins[] = {
	    "", "'", "''", "utf-8'", "utf-8''", "utf-8''%", "utf-8''%4",
	    "utf-8''%41", "utf-8''%C3", "x''%E9", "\"", "\"a\\",
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(ins); i++) {
		size_t n = strlen(ins[i]);
		tu_guard g;
		const char *p = tu_guard_new(&g, ins[i], n);
		mf_buf *b = mf_buf_new(NULL);
		struct mf__r2231_seg s = {p, n, 0, 0, MF__R2231_EXT};
		size_t base;
		uint32_t sec;
		unsigned fl;

		assert_int_equal(mf_rfc2231_decode(b, p, n, 0, NULL, NULL, NULL,
						   NULL, NULL),
				 MF_OK);
		assert_int_equal(mf_rfc2231_decode(b, p, n, MF_RFC2231_CONT,
						   NULL, NULL, NULL, NULL,
						   NULL),
				 MF_OK);
		assert_int_equal(mf__rfc2231_join(b, &s, 1, MF__R2231_EW, NULL,
						  NULL, NULL, NULL, NULL),
				 MF_OK);
		s.flags = 0;
		assert_int_equal(mf__rfc2231_join(b, &s, 1, MF__R2231_EW, NULL,
						  NULL, NULL, NULL, NULL),
				 MF_OK);
		assert_true(mf__utf8_valid(mf_buf_data(b), mf_buf_len(b)));
		(void)mf__rfc2231_name(p, n, &base, &sec, &fl);
		assert_int_equal(mf_rfc2231_encode(b, "n", 1, p, n, NULL, 0, 0,
						   20),
				 MF_OK);
		mf_buf_free(b);
		tu_guard_free(&g);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_dovecot),
	    cmocka_unit_test(test_join),
	    cmocka_unit_test(test_gmime_rfc2184),
	    cmocka_unit_test(test_encode_cases),
	    cmocka_unit_test(test_encode_round_trip),
	    cmocka_unit_test(test_encode_gmime),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_guard_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
