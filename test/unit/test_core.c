/* SPDX-License-Identifier: MIT */
/* test_core.c - status codes, defects, buffers, arena, limits, UTF-8. */
#include "tutil.h"

#include "core.h"

static void
test_strerror(void **state)
{
	int codes[] = {MF_OK,	      MF_MORE,	    MF_E_NOMEM,	   MF_E_INVAL,
		       MF_E_SYNTAX,   MF_E_TRUNC,   MF_E_LIMIT,	   MF_E_NOSPC,
		       MF_E_CALLBACK, MF_E_STATE,   MF_E_CHARSET,  MF_E_DEFECT,
		       MF_E_UTF8_OUT};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = mf_strerror(codes[i]);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown status code");
		for (k = 0; k < i; k++)
			assert_string_not_equal(s, mf_strerror(codes[k]));
	}
	/* Values are part of the ABI. */
	assert_int_equal(MF_E_NOMEM, -1);
	assert_int_equal(MF_E_STATE, -8);
	assert_int_equal(MF_E_CHARSET, -9);
	assert_int_equal(MF_E_DEFECT, -10);
	assert_int_equal(MF_E_UTF8_OUT, -11);
	assert_string_equal(mf_strerror(-1000), "unknown status code");
	assert_string_equal(mf_strerror(42), "unknown status code");
}

static void
test_defect_names(void **state)
{
	int d;

	(void)state;
	/* Every defect, up to the last one, has its own name. */
	for (d = 0; d <= MF_D_CLOSE_TRAILING; d++) {
		int e;

		assert_string_not_equal(mf_defect_name(d), "unknown");
		assert_string_not_equal(mf_defect_str(d), "unknown defect");
		for (e = 0; e < d; e++)
			assert_string_not_equal(mf_defect_name(d),
						mf_defect_name(e));
	}
	assert_string_equal(mf_defect_name(MF_D_CLOSE_TRAILING + 1), "unknown");
	/* Issue 10's recovery defects: 44-47 (of its reserved 44-51). */
	assert_int_equal(MF_D_STRAY_LINE, 44);
	assert_int_equal(MF_D_BOM, 45);
	assert_int_equal(MF_D_PARAM_NO_SEMICOLON, 46);
	assert_int_equal(MF_D_CLOSE_TRAILING, 47);
	assert_string_equal(mf_defect_name(MF_D_STRAY_LINE), "stray-line");
	assert_string_equal(mf_defect_name(MF_D_NO_BLANK_LINE),
			    "no-blank-line");
	assert_string_equal(mf_defect_name(-1), "unknown");
	assert_string_equal(mf_defect_name(1000), "unknown");
	assert_true(MF_DEFECT_BIT(MF_D_MULTIPART_CTE) == ((uint64_t)1 << 41));
}

/* mf_defects_names: names lowest first, the separator between them. */
static int
defects_names_oom(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	rc = mf_buf_append(b, "x:", 2);
	if (rc == MF_OK)
		rc = mf_defects_names(b, MF_DEFECT_BIT(MF_D_NUL) |
		                             MF_DEFECT_BIT(MF_D_BARE_CR) |
		                             MF_DEFECT_BIT(63),
		                      ", ");
	if (rc == MF_OK)
		assert_string_equal(mf_buf_data(b), "x:nul, bare-cr, defect-63");
	else if (rc == MF_E_NOMEM)
		/* Unchanged on failure. */
		assert_true(mf_buf_len(b) == 0 ||
		            strcmp(mf_buf_data(b), "x:") == 0);
	mf_buf_free(b);
	return rc;
}

static void
test_defects_names(void **state)
{
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_defects_names(b, 0, NULL), MF_OK);
	assert_int_equal(mf_buf_len(b), 0);
	assert_int_equal(mf_defects_names(b,
	                                  MF_DEFECT_BIT(MF_D_TRUNCATED) |
	                                      MF_DEFECT_BIT(MF_D_NO_BLANK_LINE),
	                                  NULL),
	                 MF_OK);
	assert_string_equal(mf_buf_data(b), "no-blank-line truncated");
	mf_buf_clear(b);
	assert_int_equal(mf_defects_names(b, MF_DEFECT_BIT(62), ""), MF_OK);
	assert_string_equal(mf_buf_data(b), "defect-62");
	mf_buf_clear(b);
	/* Every bit: 64 names, one separator fewer. */
	assert_int_equal(mf_defects_names(b, UINT64_MAX, "|"), MF_OK);
	{
		const char *s = mf_buf_data(b);
		size_t seps = 0;

		for (; *s != '\0'; s++)
			seps += *s == '|';
		assert_int_equal(seps, 63);
		assert_true(strncmp(mf_buf_data(b), "no-blank-line|", 14) == 0);
	}
	assert_int_equal(mf_defects_names(NULL, 1, NULL), MF_E_INVAL);
	mf_buf_free(b);
	assert_true(tu_oom_loop(defects_names_oom, NULL) >= 1);
}

/* The precision MF_STR_ARG passes to printf. */
static int
precision(int w, const char *p)
{
	(void)p;
	return w;
}

/* mf_str: literals counted by the compiler, compare, print. */
static void
test_str(void **state)
{
	mf_str s = MF_STR("Subject"), e = mf_str_from(NULL);
	const char nul[] = {'a', '\0', 'b'};
	mf_str n1 = {nul, 3}, n2 = {"a\0c", 3};
	char out[64];

	(void)state;
	assert_int_equal(s.len, 7);
	assert_memory_equal(s.ptr, "Subject", 7);
	assert_int_equal(e.len, 0);
	assert_non_null(e.ptr);
	assert_int_equal(mf_str_from("").len, 0);
	assert_int_equal(mf_str_from("abc").len, 3);
	assert_true(mf_str_eq(s, mf_str_from("Subject")));
	assert_false(mf_str_eq(s, MF_STR("subject")));
	assert_false(mf_str_eq(s, MF_STR("Subjec")));
	assert_true(mf_str_eq(e, MF_STR("")));
	assert_true(mf_str_eq(e, (mf_str){NULL, 0}));
	assert_true(mf_str_ieq(s, MF_STR("sUBJECT")));
	assert_false(mf_str_ieq(s, MF_STR("Subjects")));
	/* Non-ASCII bytes compare exactly: no locale folding. */
	assert_false(mf_str_ieq(MF_STR("\xc3\x84"), MF_STR("\xc3\xa4")));
	assert_true(mf_str_ieq(MF_STR("\xc3\x84"), MF_STR("\xc3\x84")));
	/* NUL bytes are bytes. */
	assert_false(mf_str_eq(n1, n2));
	assert_true(mf_str_eq(n1, (mf_str){"a\0b", 3}));
	/* MF_LIT gives the (p, n) pair. */
	{
		mf_str t = {MF_LIT("From")};

		assert_int_equal(t.len, 4);
		assert_true(mf_str_eq(t, MF_STR("From")));
	}
	snprintf(out, sizeof(out), "[" MF_STR_FMT "]", MF_STR_ARG(s));
	assert_string_equal(out, "[Subject]");
	snprintf(out, sizeof(out), "[" MF_STR_FMT "]", MF_STR_ARG(n1));
	assert_string_equal(out, "[a]");
	/* A span longer than INT_MAX prints INT_MAX bytes, not a negative
	 * precision. */
	{
		mf_str big = {"x", (size_t)1 << 40};

		assert_int_equal(precision(MF_STR_ARG(big)), 0x7fffffff);
		assert_int_equal(precision(MF_STR_ARG(s)), 7);
	}
}

static void
test_version(void **state)
{
	char want[32];

	(void)state;
	assert_int_equal(mf_version(), MF_VERSION_NUM);
	snprintf(want, sizeof(want), "%d.%d.%d", MF_VERSION_MAJOR,
		 MF_VERSION_MINOR, MF_VERSION_PATCH);
	assert_string_equal(mf_version_string(), want);
	assert_string_equal(MF_VERSION_STRING, want);
	assert_true(MF_VERSION_AT_LEAST(0, 1, 0));
	assert_false(MF_VERSION_AT_LEAST(MF_VERSION_MAJOR + 1, 0, 0));
}

static void
test_limits(void **state)
{
	mf_limits in, out;

	(void)state;
	mf_limits_resolve(NULL, &out);
	assert_int_equal(out.max_depth, 100);
	assert_int_equal(out.max_parts, 10000);
	assert_int_equal(out.max_field_len, 64 * 1024);
	assert_int_equal(out.max_header_bytes, 1024 * 1024);
	assert_int_equal(out.max_headers, 1000);
	assert_int_equal(out.max_params, 128);
	assert_int_equal(out.max_addrs, 1000);
	assert_int_equal(out.max_encoded_words, 256);
	assert_int_equal(out.max_line_len, 1000);
	memset(&in, 0, sizeof(in));
	in.max_depth = 5;
	in.max_parts = SIZE_MAX; /* lowered to the hard cap */
	mf_limits_resolve(&in, &out);
	assert_int_equal(out.max_depth, 5);
	assert_int_equal(out.max_parts, 10000000);
	assert_int_equal(out.max_headers, 1000);
}

static void
test_buf(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	char *taken;
	size_t n, i;

	(void)state;
	assert_non_null(b);
	assert_string_equal(mf_buf_data(b), "");
	assert_int_equal(mf_buf_len(b), 0);
	assert_int_equal(mf_buf_append(b, "abc", 3), MF_OK);
	assert_int_equal(mf_buf_append(b, "\0d", 2), MF_OK);
	assert_int_equal(mf_buf_len(b), 5);
	assert_memory_equal(mf_buf_data(b), "abc\0d", 6);
	for (i = 0; i < 10000; i++)
		assert_int_equal(mf_buf_append(b, "x", 1), MF_OK);
	assert_int_equal(mf_buf_len(b), 10005);
	assert_int_equal(mf_buf_data(b)[10005], '\0');
	mf_buf_clear(b);
	assert_int_equal(mf_buf_len(b), 0);
	assert_string_equal(mf_buf_data(b), "");
	assert_int_equal(mf_buf_append(b, NULL, 1), MF_E_INVAL);
	assert_int_equal(mf_buf_append(b, NULL, 0), MF_OK);
	assert_int_equal(mf_buf_append(NULL, "x", 1), MF_E_INVAL);
	assert_int_equal(mf_buf_reserve(b, 100000), MF_OK);
	assert_int_equal(mf_buf_reserve(b, SIZE_MAX), MF_E_LIMIT);
	assert_int_equal(mf_buf_append(b, "hi", 2), MF_OK);
	assert_int_equal(mf_buf_take(b, &taken, &n), MF_OK);
	assert_int_equal(n, 2);
	assert_string_equal(taken, "hi");
	free(taken);
	assert_int_equal(mf_buf_len(b), 0);
	mf_buf_free(b);
	mf_buf_free(NULL);
	assert_string_equal(mf_buf_data(NULL), "");
	assert_int_equal(mf_buf_len(NULL), 0);
}

static int
buf_oom(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	size_t i;
	int rc = MF_OK;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	for (i = 0; i < 300 && rc == MF_OK; i++)
		rc = mf_buf_append(b, "0123456789", 10);
	if (rc == MF_OK && mf_buf_len(b) != 3000)
		rc = MF_E_INVAL;
	/* A failed append leaves the contents as they were. */
	if (rc == MF_E_NOMEM && mf_buf_len(b) != (i - 1) * 10)
		rc = MF_E_INVAL;
	mf_buf_free(b);
	return rc;
}

static void
test_buf_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(buf_oom, NULL) > 1);
}

/* An allocator without a resize hook: the library copies. */
static void *
plain_alloc(void *ctx, size_t n)
{
	(*(int *)ctx)++;
	return malloc(n);
}

static void
plain_release(void *ctx, void *p)
{
	(*(int *)ctx)--;
	free(p);
}

static void
test_buf_no_resize(void **state)
{
	int live = 0;
	mf_alloc a = {plain_alloc, NULL, plain_release, &live};
	mf_buf *b = mf_buf_new(&a);
	size_t i;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < 1000; i++)
		assert_int_equal(mf_buf_append(b, "0123456789", 10), MF_OK);
	assert_int_equal(mf_buf_len(b), 10000);
	assert_memory_equal(mf_buf_data(b) + 9990, "0123456789", 10);
	assert_int_equal(live, 2);
	mf_buf_free(b);
	assert_int_equal(live, 0);
}

static int
arena_oom(const mf_alloc *a, void *ctx)
{
	mf__arena ar;
	size_t i;
	char *p;

	(void)ctx;
	mf__arena_init(&ar, a);
	for (i = 0; i < 200; i++) {
		p = mf__arena_alloc(&ar, 1 + i * 37);
		if (p == NULL) {
			mf__arena_free(&ar);
			return MF_E_NOMEM;
		}
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 'x', 1 + i * 37);
	}
	p = mf__arena_dup(&ar, "hello", 5);
	if (p == NULL) {
		mf__arena_free(&ar);
		return MF_E_NOMEM;
	}
	assert_string_equal(p, "hello");
	assert_true(mf__arena_size(&ar) >= 200 * 100);
	/* A huge request fails cleanly. */
	assert_null(mf__arena_alloc(&ar, SIZE_MAX - 4));
	assert_null(mf__arena_calloc(&ar, SIZE_MAX / 2, 4));
	mf__arena_free(&ar);
	return MF_OK;
}

static void
test_arena(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(arena_oom, NULL) > 3);
}

static void
test_cclass(void **state)
{
	const char *atext = "!#$%&'*+-/=?^_`{|}~";
	const char *specials = "()<>[]:;@\\,.\"";
	const char *tspecials = "()<>@,;:\\\"/[]?=";
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');
		int vchar = c >= 33 && c <= 126;
		int at = alnum || (c && strchr(atext, c) != NULL);
		int sp = c && strchr(specials, c) != NULL;
		int ts = c && strchr(tspecials, c) != NULL;

		assert_int_equal(mf__is((unsigned char)c, MF__C_ATEXT), at);
		assert_int_equal(mf__is((unsigned char)c, MF__C_SPECIAL), sp);
		assert_int_equal(mf__is((unsigned char)c, MF__C_TOKEN),
				 vchar && !ts);
		assert_int_equal(mf__is((unsigned char)c, MF__C_FTEXT),
				 vchar && c != ':');
		assert_int_equal(mf__is((unsigned char)c, MF__C_WSP),
				 c == ' ' || c == '\t');
		assert_int_equal(mf__is((unsigned char)c, MF__C_CTL),
				 c < 32 || c == 127);
		assert_int_equal(mf__hexval((unsigned char)c) >= 0,
				 (c >= '0' && c <= '9') ||
				     (c >= 'a' && c <= 'f') ||
				     (c >= 'A' && c <= 'F'));
	}
	assert_true(mf__ieq("Content-Type", 12, "content-TYPE", 12));
	assert_false(mf__ieq("abc", 3, "abd", 3));
	assert_false(mf__ieq("abc", 3, "ab", 2));
	/* The eight-byte path against the byte one, every byte value. */
	{
		unsigned x, y;

		for (x = 0; x < 256; x++) {
			for (y = 0; y < 256; y++) {
				char u[9] = "AbCdEfG", v[9] = "aBcDeFg";
				bool want = mf__lower((unsigned char)x) ==
				            mf__lower((unsigned char)y);

				u[7] = (char)x;
				v[7] = (char)y;
				u[3] = (char)x;
				v[3] = (char)y;
				assert_int_equal(mf__ieq(u, 8, v, 8), want);
			}
		}
	}
}

static void
test_utf8(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		size_t want;
	} t[] = {
	    {"a", 1, 1},
	    {"\xc3\xa9", 2, 2},
	    {"\xc3", 1, 0},		 /* truncated */
	    {"\xc0\xaf", 2, 0},		 /* overlong */
	    {"\xe0\x80\xaf", 3, 0},	 /* overlong */
	    {"\xed\xa0\x80", 3, 0},	 /* surrogate */
	    {"\xe2\x82\xac", 3, 3},	 /* euro */
	    {"\xf0\x9f\x98\x80", 4, 4}, /* emoji */
	    {"\xf4\x90\x80\x80", 4, 0}, /* > U+10FFFF */
	    {"\xf8\x88\x80\x80", 4, 0},
	    {"\x80", 1, 0},
	};
	mf_buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t got = mf__utf8_seq((const unsigned char *)t[i].in,
					  t[i].n);
		if (got != t[i].want)
			fail_msg("case %zu: got %zu want %zu", i, got,
				 t[i].want);
	}
	assert_true(mf__utf8_valid("caf\xc3\xa9 \xe2\x82\xac", 9));
	assert_false(mf__utf8_valid("caf\xe9", 4));
	mf__buf_init(&b, NULL);
	assert_int_equal(mf__utf8_put(&b, 'A'), MF_OK);
	assert_int_equal(mf__utf8_put(&b, 0xE9), MF_OK);
	assert_int_equal(mf__utf8_put(&b, 0x20AC), MF_OK);
	assert_int_equal(mf__utf8_put(&b, 0x1F600), MF_OK);
	assert_int_equal(mf__utf8_put(&b, 0xD800), MF_OK);
	assert_int_equal(mf__utf8_put(&b, 0x110000), MF_OK);
	tu_assert_mem(b.data, b.len,
		      "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd"
		      "\xef\xbf\xbd",
		      16, "utf8_put");
	mf__buf_fini(&b);
}

static int defect_calls;
static uint64_t defect_off;

static void
on_defect(void *ctx, int d, uint64_t off)
{
	(void)ctx;
	defect_calls++;
	defect_off = off;
	assert_int_equal(d, MF_D_NUL);
}

static void
test_defect_report(void **state)
{
	mf_opts o;
	uint64_t mask = 0;
	mf_error e;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.on_defect = on_defect;
	assert_int_equal(mf__defect(&o, &mask, MF_D_NUL, 7), MF_OK);
	assert_int_equal(defect_calls, 1);
	assert_int_equal(defect_off, 7);
	assert_true(mask == MF_DEFECT_BIT(MF_D_NUL));
	o.flags = MF_STRICT;
	assert_int_equal(mf__defect(&o, NULL, MF_D_NUL, 9), MF_E_DEFECT);
	assert_int_equal(mf__defect(NULL, &mask, MF_D_NUL, 9), MF_OK);
	assert_int_equal(mf__err(&e, MF_E_SYNTAX, 12, "bad"), MF_E_SYNTAX);
	assert_int_equal(e.code, MF_E_SYNTAX);
	assert_int_equal(e.offset, 12);
	assert_string_equal(e.reason, "bad");
	assert_int_equal(mf__err(NULL, MF_E_TRUNC, 1, NULL), MF_E_TRUNC);
	mf__err(&e, MF_E_TRUNC, 1, NULL);
	assert_string_equal(e.reason, mf_strerror(MF_E_TRUNC));
}

static void
test_cpu(void **state)
{
	unsigned f = mf_cpu_features();

	(void)state;
	/* AVX2 implies SSSE3; AVX-512 VBMI implies BW. */
	if (f & MF_CPU_AVX2)
		assert_true(f & MF_CPU_SSSE3);
	if (f & MF_CPU_AVX512VBMI)
		assert_true(f & MF_CPU_AVX512BW);
	assert_int_equal(f, mf_cpu_features());
}

static void
test_guard(void **state)
{
	tu_guard g;
	const char *p;

	(void)state;
	p = tu_guard_new(&g, "abc", 3);
	assert_memory_equal(p, "abc", 3);
	tu_guard_free(&g);
	p = tu_guard_new(&g, "", 0);
	assert_non_null(p);
	tu_guard_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_defect_names),
	    cmocka_unit_test(test_defects_names),
	    cmocka_unit_test(test_str),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_buf),
	    cmocka_unit_test(test_buf_oom),
	    cmocka_unit_test(test_buf_no_resize),
	    cmocka_unit_test(test_arena),
	    cmocka_unit_test(test_cclass),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_defect_report),
	    cmocka_unit_test(test_cpu),
	    cmocka_unit_test(test_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
