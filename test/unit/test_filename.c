/* SPDX-License-Identifier: MIT */
/*
 * test_filename.c - mf_filename_safe: a table of hostile and ordinary
 * names (path traversal, hidden files, controls, bidi tricks, Windows
 * device names and forbidden characters, invalid UTF-8), cuts at every
 * size keeping the extension, the properties of every result on seeded
 * random names, guard pages, and the argument errors.
 */
#include "tutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* What every result must be, whatever the input. */
static void
check_safe(const char *s, size_t len, size_t cap, const char *label)
{
	size_t i;

	if (len > cap - 1 || s[len] != '\0')
		fail_msg("%s: %zu bytes for cap %zu", label, len, cap);
	if (len > 0 && (s[0] == '.' || s[0] == ' ' || s[len - 1] == '.' ||
	                s[len - 1] == ' '))
		fail_msg("%s: dot or blank at an end: \"%s\"", label, s);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7F || strchr("<>:\"/\\|?*", c) != NULL)
			fail_msg("%s: byte 0x%02x at %zu", label, c, i);
	}
	/* Valid UTF-8 without C1 controls: mf_str_from and a round trip
	 * through the charset converter give the same bytes. */
	{
		mf_buf *b = mf_buf_new(NULL);
		uint64_t d = 0;

		assert_non_null(b);
		assert_int_equal(
		    mf_charset_to_utf8(b, "utf-8", 5, s, len, NULL, &d, NULL),
		    MF_OK);
		if (d != 0)
			fail_msg("%s: not valid UTF-8", label);
		for (i = 0; i + 1 < len; i++)
			if ((unsigned char)s[i] == 0xC2 &&
			    (unsigned char)s[i + 1] < 0xA0)
				fail_msg("%s: a C1 control", label);
		mf_buf_free(b);
	}
}

static void
test_table(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"report.pdf", "report.pdf"},
	    {"R\xc3\xa9sum\xc3\xa9 2026.pdf", "R\xc3\xa9sum\xc3\xa9 2026.pdf"},
	    /* Paths: the last component only. */
	    {"../../etc/passwd", "passwd"},
	    {"C:\\Users\\x\\Desktop\\a.doc", "a.doc"},
	    {"/abs/path/", ""},
	    {"dir\\", ""},
	    {"..\\..\\boot.ini", "boot.ini"},
	    /* Leading and trailing dots and blanks. */
	    {".htaccess", "htaccess"},
	    {"..", ""},
	    {".", ""},
	    {" . .x", "x"},
	    {"\t name.txt", "name.txt"},
	    {"a.txt.", "a.txt"},
	    {"a.txt . . ", "a.txt"},
	    {"...", ""},
	    {"", ""},
	    /* Controls and characters Windows refuses. */
	    {"a\r\nb.txt", "a__b.txt"},
	    {"a\x1b[31mred", "a_[31mred"},
	    {"a\x7f"
	     "b",
	     "a_b"},
	    {"q?<>:\"|*.txt", "q_______.txt"},
	    /* C1 controls, bidi controls, BOM; invalid UTF-8. */
	    {"a\xc2\x85"
	     "b",
	     "a_b"},
	    {"invoice\xe2\x80\xae"
	     "fdp.exe",
	     "invoice_fdp.exe"},
	    {"\xe2\x81\xa6x\xe2\x81\xa9", "_x_"},
	    {"\xe2\x80\x8fy", "_y"},
	    {"\xd8\x9cz", "_z"},
	    {"\xef\xbb\xbf"
	     "bom.txt",
	     "_bom.txt"},
	    {"lat\xe9n.txt", "lat_n.txt"},
	    {"\xc0\xaf.txt", "__.txt"},
	    {"\xed\xa0\x80.txt", "___.txt"},
	    {"ok\xf0\x9f\x98\x80.png", "ok\xf0\x9f\x98\x80.png"},
	    /* Windows device names, any case, any extension. */
	    {"CON", "_CON"},
	    {"con.txt", "_con.txt"},
	    {"Aux.tar.gz", "_Aux.tar.gz"},
	    {"nul", "_nul"},
	    {"PRN .txt", "_PRN .txt"},
	    {"com1", "_com1"},
	    {"LPT9.log", "_LPT9.log"},
	    {"COM0", "_COM0"},
	    {"com\xc2\xb9.txt", "_com\xc2\xb9.txt"},
	    {"console.txt", "console.txt"},
	    {"com10", "com10"},
	    {"lpt", "lpt"},
	    {"conx", "conx"},
	    {"x/con", "_con"},
	    {".con", "_con"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		size_t n = strlen(t[i].in), len = 99;
		char out[256];
		tu_guard g;
		const char *in;

		in = tu_guard_new(&g, t[i].in, n);
		assert_int_equal(
		    mf_filename_safe(out, sizeof(out), in, n, &len), MF_OK);
		tu_assert_mem(out, len, t[i].want, strlen(t[i].want), t[i].in);
		check_safe(out, len, sizeof(out), t[i].in);
		tu_guard_free(&g);
	}
	/* A NUL byte is a control like the others. */
	{
		char out[16];
		size_t len;

		assert_int_equal(
		    mf_filename_safe(out, sizeof(out), "nul\0x.txt", 9, &len),
		    MF_OK);
		assert_string_equal(out, "nul_x.txt");
		assert_int_equal(len, 9);
	}
}

/* Cut at every size: whole characters, the extension kept when short. */
static void
test_cut(void **state)
{
	static const struct {
		const char *in;
		size_t cap;
		const char *want;
	} t[] = {
	    {"abcdefghij.pdf", 10, "abcde.pdf"},
	    {"abcdefghij.pdf", 15, "abcdefghij.pdf"},
	    {"abcdefghij.pdf", 14, "abcdefghi.pdf"},
	    {"abcdefghij.pdf", 5, "abcd"},
	    {"abcdefghij.pdf", 6, "a.pdf"},
	    {"abcdefghij.pdf", 1, ""},
	    {"abcdefghij.pdf", 2, "a"},
	    /* A cut never splits a character. */
	    {"\xc3\xa9\xc3\xa9\xc3\xa9.txt", 8, "\xc3\xa9.txt"},
	    {"\xc3\xa9\xc3\xa9\xc3\xa9.txt", 7, "\xc3\xa9.txt"},
	    {"\xc3\xa9\xc3\xa9\xc3\xa9.txt", 6, "\xc3\xa9\xc3\xa9"},
	    {"\xe2\x82\xac\xe2\x82\xac.txt", 8, "\xe2\x82\xac.txt"},
	    /* No room for a character before the extension: plain cut. */
	    {"\xe2\x82\xac\xe2\x82\xac.txt", 7,
	     "\xe2\x82\xac\xe2\x82"
	     "\xac"},
	    {"\xe2\x82\xac\xe2\x82\xac.txt", 5, "\xe2\x82\xac"},
	    /* A long extension is not kept. */
	    {"abc.verylongextension12345", 8, "abc.ver"},
	    /* The cut leaves no dot or blank at the end. */
	    {"ab. cdefgh", 5, "ab"},
	    /* A device name is still prefixed after a cut. */
	    {"con.abcdefgh", 6, "_con"},
	    {"com1", 5, "_com"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		char out[64];
		size_t len = 99;

		memset(out, 'Z', sizeof(out));
		assert_int_equal(mf_filename_safe(out, t[i].cap, t[i].in,
		                                  strlen(t[i].in), &len),
		                 MF_OK);
		if (len != strlen(t[i].want) ||
		    memcmp(out, t[i].want, len + 1) != 0)
			fail_msg("case %zu (%s, %zu): \"%s\"", i, t[i].in,
			         t[i].cap, out);
		assert_int_equal(out[t[i].cap], 'Z');
		check_safe(out, len, t[i].cap, t[i].in);
	}
	/* Every size of a few names: safe, and the whole name once it
	 * fits. */
	for (i = 0; i < N(t); i++) {
		size_t cap, full = 0;
		char whole[64];

		assert_int_equal(mf_filename_safe(whole, sizeof(whole), t[i].in,
		                                  strlen(t[i].in), &full),
		                 MF_OK);
		for (cap = 1; cap < 40; cap++) {
			char out[64];
			size_t len;

			assert_int_equal(mf_filename_safe(out, cap, t[i].in,
			                                  strlen(t[i].in),
			                                  &len),
			                 MF_OK);
			check_safe(out, len, cap, t[i].in);
			if (cap > full)
				tu_assert_mem(out, len, whole, full, t[i].in);
		}
	}
}

/* Seeded random names, from bytes that matter here. */
static void
test_random(void **state)
{
	static const char alphabet[] = "./\\ .\t:?*<>|\"\x01\x7f"
	                               "aAcCoOnNuUlLpPtTx1239_-";
	static const char *pieces[] = {
	    "\xc2\x85",     "\xc2\xb9", "\xe2\x80\xae",
	    "\xef\xbb\xbf", "\xc3\xa9", "\xf0\x9f\x98\x80",
	    "\xff",         "\xc3",     "con",
	    "COM1",         "..",
	};
	tu_rng r;
	size_t i, rounds = tu_slow_ok() ? 20000 : 2000;

	(void)state;
	tu_rng_seed(&r, 2183);
	for (i = 0; i < rounds; i++) {
		char in[64], out[40];
		size_t n = 0, len, cap = 1 + tu_rng_below(&r, sizeof(out) - 1);
		char label[32];

		while (n < 48) {
			if (tu_rng_below(&r, 4) == 0) {
				const char *p =
				    pieces[tu_rng_below(&r, N(pieces))];

				memcpy(in + n, p, strlen(p));
				n += strlen(p);
			} else {
				in[n++] = alphabet[tu_rng_below(
				    &r, sizeof(alphabet) - 1)];
			}
			if (tu_rng_below(&r, 8) == 0)
				break;
		}
		snprintf(label, sizeof(label), "random %zu", i);
		assert_int_equal(mf_filename_safe(out, cap, in, n, &len),
		                 MF_OK);
		check_safe(out, len, cap, label);
		/* Never a device name. */
		if (len >= 3) {
			char low[4];
			size_t k;

			for (k = 0; k < 3; k++)
				low[k] = (char)(out[k] | 0x20);
			low[3] = '\0';
			k = 3;
			while (k < len && out[k] == ' ')
				k++;
			if ((strcmp(low, "con") == 0 ||
			     strcmp(low, "nul") == 0 ||
			     strcmp(low, "aux") == 0 ||
			     strcmp(low, "prn") == 0) &&
			    (k == len || out[k] == '.'))
				fail_msg("%s: device name \"%s\"", label, out);
		}
	}
}

static void
test_args(void **state)
{
	char out[8];
	size_t len = 5;

	(void)state;
	assert_int_equal(mf_filename_safe(NULL, 8, "a", 1, &len), MF_E_INVAL);
	assert_int_equal(len, 0);
	assert_int_equal(mf_filename_safe(out, 0, "a", 1, &len), MF_E_INVAL);
	assert_int_equal(mf_filename_safe(out, 8, NULL, 1, &len), MF_E_INVAL);
	assert_int_equal(mf_filename_safe(out, 8, NULL, 0, &len), MF_OK);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	assert_int_equal(mf_filename_safe(out, 8, "a.b", 3, NULL), MF_OK);
	assert_string_equal(out, "a.b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
