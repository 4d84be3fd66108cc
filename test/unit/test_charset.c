/* SPDX-License-Identifier: MIT */
/*
 * test_charset.c - charset labels and conversion to and from UTF-8: every
 * byte of every built-in table against glibc iconv as an independent
 * oracle, the UTF-8/16/32 decoders on malformed input, the us-ascii and
 * latin1 policies, the caller's hook, iconv for the rest, the GMime
 * charset samples, strict mode, OOM loops and guard pages.
 */
#include "tutil.h"

#include "charset.h"

#if MF_HAVE_ICONV
#include <iconv.h>
#endif

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const sb_names[] = {
    "iso-8859-1",   "iso-8859-2",	 "iso-8859-3",	 "iso-8859-4",
    "iso-8859-5",   "iso-8859-6",	 "iso-8859-7",	 "iso-8859-8",
    "iso-8859-9",   "iso-8859-10",  "iso-8859-11",  "iso-8859-13",
    "iso-8859-14",  "iso-8859-15",  "iso-8859-16",  "windows-1250",
    "windows-1251", "windows-1252", "windows-1253", "windows-1254",
    "windows-1255", "windows-1256", "windows-1257", "windows-1258",
    "koi8-r",	    "koi8-u",
};

/* Converts with the public API; fails the test on an unexpected rc. */
static char *
conv(const char *cs, const void *in, size_t n, int want_rc, uint64_t *def,
     size_t *outlen)
{
	mf_buf *b = mf_buf_new(NULL);
	char *s;
	int rc;

	assert_non_null(b);
	rc = mf_charset_to_utf8(b, cs, strlen(cs), in, n, NULL, def, NULL);
	if (rc != want_rc)
		fail_msg("%s: rc %d, want %d", cs, rc, want_rc);
	assert_int_equal(mf_buf_take(b, &s, outlen), MF_OK);
	mf_buf_free(b);
	return s;
}

/* ---------------------------------------------------------------------- */
/* Labels                                                                  */
/* ---------------------------------------------------------------------- */

static void
test_alias_sorted(void **state)
{
	size_t i;

	(void)state;
	for (i = 1; i < mf__cs_alias_count(); i++) {
		if (strcmp(mf__cs_alias_name(i - 1), mf__cs_alias_name(i)) >=
		    0)
			fail_msg("alias table not sorted at %zu: %s, %s", i,
				 mf__cs_alias_name(i - 1),
				 mf__cs_alias_name(i));
	}
	assert_null(mf__cs_alias_name(mf__cs_alias_count()));
}

static void
test_labels(void **state)
{
	static const struct {
		const char *label, *name;
	} t[] = {
	    {"utf-8", "utf-8"},
	    {"UTF-8", "utf-8"},
	    {"utf8", "utf-8"},
	    {" \"UTF-8\" ", "utf-8"},
	    {"'utf-8'", "utf-8"},
	    {"\t utf-8\r\n", "utf-8"},
	    {"x-unicode20utf8", "utf-8"},
	    {"us-ascii", "us-ascii"},
	    {"US-ASCII", "us-ascii"},
	    {"ascii", "us-ascii"},
	    {"ANSI_X3.4-1968", "us-ascii"},
	    {"iso646-us", "us-ascii"},
	    {"latin1", "iso-8859-1"},
	    {"Latin-1", NULL}, /* not an IANA spelling */
	    {"l1", "iso-8859-1"},
	    {"ISO-8859-1", "iso-8859-1"},
	    {"ISO_8859-1", "iso-8859-1"},
	    {"ISO_8859-1:1987", "iso-8859-1"},
	    {"ISO8859-1", "iso-8859-1"},
	    {"iso88591", "iso-8859-1"},
	    {"iso 8859-1", "iso-8859-1"},
	    {"x-iso-8859-1", "iso-8859-1"},
	    {"cp819", "iso-8859-1"},
	    {"iso-8859-15", "iso-8859-15"},
	    {"latin9", "iso-8859-15"},
	    {"iso-8859-16", "iso-8859-16"},
	    {"iso-8859-8-i", "iso-8859-8"},
	    {"ISO-8859-6-E", "iso-8859-6"},
	    {"iso-8859-1-i", NULL},
	    {"iso-8859-12", NULL},
	    {"iso-8859-17", NULL},
	    {"iso-8859-0", NULL},
	    {"iso-8859-", NULL},
	    {"iso-8859-1:", NULL},
	    {"cp1252", "windows-1252"},
	    {"CP-1252", "windows-1252"},
	    {"x-cp1252", "windows-1252"},
	    {"windows-1252", "windows-1252"},
	    {"Windows1250", "windows-1250"},
	    {"win-1251", "windows-1251"},
	    {"windows-1258", "windows-1258"},
	    {"windows-1259", NULL},
	    {"windows-12520", NULL},
	    {"koi8-r", "koi8-r"},
	    {"KOI8R", "koi8-r"},
	    {"koi8-u", "koi8-u"},
	    {"utf-16", "utf-16"},
	    {"UTF-16LE", "utf-16le"},
	    {"utf-32be", "utf-32be"},
	    {"ks_c_5601-1987", "euc-kr"},
	    {"gb2312", "gb2312"},
	    {"GBK", "gbk"},
	    {"x-gbk", "gbk"},
	    {"x-sjis", "shift_jis"},
	    {"Shift_JIS", "shift_jis"},
	    {"big5", "big5"},
	    {"iso-2022-jp", "iso-2022-jp"},
	    {"tis-620", "iso-8859-11"},
	    {"utf-9", NULL},
	    {"", NULL},
	    {"  ", NULL},
	    {"\"\"", NULL},
	    {"utf-8//TRANSLIT", NULL},
	    {"../../etc", NULL},
	    {"utf-8\n", "utf-8"},
	    {"0123456789012345678901234567890123456789012345678901234567890123",
	     NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		const char *got = mf_charset_name(t[i].label,
						  strlen(t[i].label));

		if ((got == NULL) != (t[i].name == NULL) ||
		    (got != NULL && strcmp(got, t[i].name) != 0))
			fail_msg("case %zu (%s): got %s, want %s", i,
				 t[i].label, got ? got : "NULL",
				 t[i].name ? t[i].name : "NULL");
	}
	assert_null(mf_charset_name(NULL, 0));
	/* Lengths are honoured: no NUL needed, none read past. */
	assert_string_equal(mf_charset_name("utf-8XYZ", 5), "utf-8");
	/* Every built-in single-byte name is its own canonical name. */
	for (i = 0; i < N(sb_names); i++)
		assert_string_equal(mf_charset_name(sb_names[i],
						    strlen(sb_names[i])),
				    sb_names[i]);
}

static void
test_known(void **state)
{
	(void)state;
	assert_int_equal(mf_charset_known("UTF-8", 5, NULL), 1);
	assert_int_equal(mf_charset_known("koi8-u", 6, NULL), 1);
	assert_int_equal(mf_charset_known("utf-9", 5, NULL), 0);
	assert_int_equal(mf_charset_known("", 0, NULL), 0);
	assert_int_equal(mf_charset_known(NULL, 0, NULL), 0);
	assert_int_equal(mf_charset_known("a/b", 3, NULL), 0);
#if MF_HAVE_ICONV
	assert_int_equal(mf_charset_known("shift_jis", 9, NULL), 1);
	assert_int_equal(mf_charset_known("ks_c_5601-1987", 14, NULL), 1);
	assert_int_equal(mf_charset_known("x-euc-jp", 8, NULL), 1);
	assert_int_equal(mf_charset_known("IBM437", 6, NULL), 1);
#else
	assert_int_equal(mf_charset_known("shift_jis", 9, NULL), 0);
#endif
}

/* ---------------------------------------------------------------------- */
/* Single-byte tables against iconv                                        */
/* ---------------------------------------------------------------------- */

#if MF_HAVE_ICONV
/* One byte through glibc iconv; returns the UTF-8 length or 0 if invalid. */
static size_t
oracle(const char *cs, unsigned char byte, char out[8])
{
	iconv_t cd = iconv_open("UTF-8", cs);
	char in[1], *ip = in, *op = out;
	size_t il = 1, ol = 8, r;

	assert_true(cd != (iconv_t)-1);
	in[0] = (char)byte;
	r = iconv(cd, &ip, &il, &op, &ol);
	if (r != (size_t)-1)
		r = iconv(cd, NULL, NULL, &op, &ol);
	iconv_close(cd);
	if (r == (size_t)-1)
		return 0;
	return (size_t)(op - out);
}
#endif

static void
test_tables_vs_iconv(void **state)
{
#if MF_HAVE_ICONV
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < N(sb_names); i++) {
		/* glibc names; iso-8859-1 is read as windows-1252 (policy). */
		const char *ic = strcmp(sb_names[i], "iso-8859-1") == 0
					 ? "WINDOWS-1252"
					 : sb_names[i];
		for (b = 0; b < 256; b++) {
			unsigned char byte = (unsigned char)b;
			char want[8];
			size_t wl = oracle(ic, byte, want), gl;
			uint64_t def = 0;
			char *got = conv(sb_names[i], &byte, 1, MF_OK, &def,
					 &gl);

			if (wl == 0 && strcmp(ic, "WINDOWS-1252") == 0 &&
			    strcmp(sb_names[i], "iso-8859-1") == 0) {
				/* undefined in 1252: the latin1 C1 control */
				want[0] = (char)0xC2;
				want[1] = (char)byte;
				wl = 2;
			}
			if (wl == 0) {
				/* undefined: U+FFFD and the defect */
				memcpy(want, "\xef\xbf\xbd", 3);
				wl = 3;
				if (def != MF_DEFECT_BIT(MF_D_CHARSET_INVALID))
					fail_msg("%s byte 0x%02x: no defect",
						 sb_names[i], b);
			} else if (def != 0) {
				fail_msg("%s byte 0x%02x: defect", sb_names[i],
					 b);
			}
			if (gl != wl || memcmp(got, want, wl) != 0) {
				fprintf(stderr, "%s byte 0x%02x\n", sb_names[i],
					b);
				tu_assert_mem(got, gl, want, wl, sb_names[i]);
			}
			free(got);
		}
	}
	/* And the strict tables themselves, iso-8859-1 included. */
	{
		char want[8];

		for (b = 0x80; b < 0xA0; b++) {
			assert_int_equal(oracle("ISO-8859-1", (unsigned char)b,
						want),
					 2);
			assert_int_equal((unsigned char)want[1], b);
		}
	}
#else
	(void)state;
	skip();
#endif
}

/* Every character of every table encodes back to its byte. */
static void
test_tables_reverse(void **state)
{
	size_t i;
	int b;

	(void)state;
	for (i = 0; i < N(sb_names); i++) {
		for (b = 0x80; b < 256; b++) {
			unsigned char byte = (unsigned char)b;
			mf_buf *e = mf_buf_new(NULL);
			uint64_t def = 0;
			size_t ul;
			char *u;

			u = conv(sb_names[i], &byte, 1, MF_OK, &def, &ul);
			assert_non_null(e);
			assert_int_equal(
			    mf_charset_from_utf8(e, sb_names[i],
						 strlen(sb_names[i]), u, ul,
						 NULL, &def, NULL),
			    MF_OK);
			if (def == 0) {
				/* latin1 0x80-0x9F decode as windows-1252
				 * characters that latin1 cannot encode. */
				if (mf_buf_len(e) != 1 ||
				    (unsigned char)mf_buf_data(e)[0] != byte)
					fail_msg("%s: 0x%02x does not round "
						 "trip",
						 sb_names[i], b);
			} else {
				assert_string_equal(mf_buf_data(e), "?");
				assert_true(
				    strcmp(sb_names[i], "iso-8859-1") == 0 ||
				    strcmp(u, "\xef\xbf\xbd") == 0);
			}
			mf_buf_free(e);
			free(u);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Unicode decoders                                                        */
/* ---------------------------------------------------------------------- */

struct dcase {
	const char *cs;
	const char *in;
	size_t n;
	const char *want;
	long bad; /* offset of the defect, -1 none */
};

static void
run_dcases(const struct dcase *t, size_t nt)
{
	size_t i;

	for (i = 0; i < nt; i++) {
		mf_buf *b = mf_buf_new(NULL);
		uint64_t def = 0;
		uint64_t off = (uint64_t)-1;
		mf_opts o;
		char label[64];
		int rc;

		memset(&o, 0, sizeof(o));
		assert_non_null(b);
		rc = mf_charset_to_utf8(b, t[i].cs, strlen(t[i].cs), t[i].in,
					t[i].n, &o, &def, NULL);
		if (rc != MF_OK)
			fail_msg("case %zu: rc %d", i, rc);
		snprintf(label, sizeof(label), "case %zu (%s)", i, t[i].cs);
		tu_assert_str(mf_buf_data(b), t[i].want, label);
		assert_int_equal(mf_buf_len(b), strlen(t[i].want));
		if (t[i].bad < 0) {
			if (def != 0)
				fail_msg("case %zu: unexpected defect", i);
		} else {
			mf_error e;

			if (def != MF_DEFECT_BIT(MF_D_CHARSET_INVALID))
				fail_msg("case %zu: missing defect", i);
			/* Strict mode: an error at the same offset. */
			mf_buf_clear(b);
			o.flags = MF_STRICT;
			memset(&e, 0, sizeof(e));
			rc = mf_charset_to_utf8(b, t[i].cs, strlen(t[i].cs),
						t[i].in, t[i].n, &o, NULL, &e);
			if (rc != MF_E_DEFECT || e.code != MF_E_DEFECT ||
			    e.offset != (size_t)t[i].bad)
				fail_msg("case %zu: strict rc %d offset %zu, "
					 "want offset %ld",
					 i, rc, e.offset, t[i].bad);
			assert_int_equal(mf_buf_len(b), 0);
		}
		(void)off;
		mf_buf_free(b);
	}
}

#define S(s) s, sizeof(s) - 1

static void
test_utf8(void **state)
{
	static const struct dcase t[] = {
	    {"utf-8", S(""), "", -1},
	    {"utf-8", S("plain ascii text, long enough for 8-byte steps"),
	     "plain ascii text, long enough for 8-byte steps", -1},
	    {"utf-8", S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", -1},
	    {"utf-8", S("a\x80z"), "a\xef\xbf\xbdz", 1},
	    {"utf-8", S("abcdefgh\xff"), "abcdefgh\xef\xbf\xbd", 8},
	    {"utf-8", S("\xc3"), "\xef\xbf\xbd", 0},
	    {"utf-8", S("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd", 0},
	    {"utf-8", S("\xed\xa0\x80!"),
	     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!", 0},
	    {"utf-8", S("\xf4\x90\x80\x80"),
	     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 0},
	    {"utf-8", S("ok\xe2\x82"), "ok\xef\xbf\xbd\xef\xbf\xbd", 2},
	};
	(void)state;
	run_dcases(t, N(t));
	{
		/* NUL is data (the last case, checked by length). */
		uint64_t def = 0;
		size_t n;
		char *s = conv("utf-8", "nul\0byte", 8, MF_OK, &def, &n);
		assert_int_equal(n, 8);
		assert_memory_equal(s, "nul\0byte", 8);
		assert_true(def == 0);
		free(s);
	}
}

static void
test_utf16_32(void **state)
{
	static const struct dcase t[] = {
	    /* BOM decides; none means big-endian (RFC 2781 4.3). */
	    {"utf-16", S("\xfe\xff\x00h\x00i"), "hi", -1},
	    {"utf-16", S("\xff\xfeh\x00i\x00"), "hi", -1},
	    {"utf-16", S("\x00h\x00i"), "hi", -1},
	    {"utf-16le", S("h\x00\xe9\x00"), "h\xc3\xa9", -1},
	    {"utf-16be", S("\x20\xac"), "\xe2\x82\xac", -1},
	    /* -le/-be keep a leading U+FEFF as a character */
	    {"utf-16le", S("\xff\xfeh\x00"), "\xef\xbb\xbfh", -1},
	    /* surrogate pair: U+1F600 */
	    {"utf-16be", S("\xd8\x3d\xde\x00"), "\xf0\x9f\x98\x80", -1},
	    {"utf-16le", S("\x3d\xd8\x00\xde"), "\xf0\x9f\x98\x80", -1},
	    /* lone high, lone low, high at the end, odd byte */
	    {"utf-16be", S("\xd8\x3d\x00x"), "\xef\xbf\xbdx", 0},
	    {"utf-16be", S("\x00x\xde\x00"), "x\xef\xbf\xbd", 2},
	    {"utf-16be", S("\x00x\xd8\x3d"), "x\xef\xbf\xbd", 2},
	    {"utf-16be", S("\x00x\x00"), "x\xef\xbf\xbd", 2},
	    {"utf-16", S("\xfe\xff"), "", -1},
	    /* No mark: the data decides (Windows' unmarked UTF-16LE), else
	     * big-endian (RFC 2781 4.3). */
	    {"utf-16", S("h\x00i\x00"), "hi", -1},
	    {"utf-16", S("h\x00\xac\x20"), "h\xe2\x82\xac", -1},
	    {"utf-16", S("\x65\xe5\x67\x2c"), "\xe6\x97\xa5\xe6\x9c\xac", -1},
	    {"utf-32", S("h\x00\x00\x00i\x00\x00\x00"), "hi", -1},
	    {"utf-32", S("\x00\x00\x00h"), "h", -1},
	    {"utf-32", S("\x00\x00\xfe\xff\x00\x00\x00h"), "h", -1},
	    {"utf-32", S("\xff\xfe\x00\x00h\x00\x00\x00"), "h", -1},
	    {"utf-32", S("\x00\x01\xf6\x00"), "\xf0\x9f\x98\x80", -1},
	    {"utf-32le", S("\x00\xf6\x01\x00"), "\xf0\x9f\x98\x80", -1},
	    {"utf-32be", S("\x00\x11\x00\x00"), "\xef\xbf\xbd", 0},
	    {"utf-32be", S("\x00\x00\x00h\x00\x00\xd8\x00"),
	     "h\xef\xbf\xbd", 4},
	    {"utf-32be", S("\x00\x00\x00h\x00\x00"), "h\xef\xbf\xbd", 4},
	};
	(void)state;
	run_dcases(t, N(t));
}

/* us-ascii with 8-bit bytes: UTF-8 when valid, else windows-1252. */
static void
test_ascii_policy(void **state)
{
	static const struct dcase t[] = {
	    {"us-ascii", S("plain"), "plain", -1},
	    {"us-ascii", S("caf\xc3\xa9"), "caf\xc3\xa9", 3},
	    {"us-ascii", S("caf\xe9"), "caf\xc3\xa9", 3},
	    {"us-ascii", S("\x93quoted\x94 \x80"),
	     "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac", 0},
	    /* one invalid sequence makes the whole text windows-1252 */
	    {"ascii", S("\xc3\xa9 \xe9"), "\xc3\x83\xc2\xa9 \xc3\xa9", 0},
	    /* windows-1252 holes stay C1 controls */
	    {"us-ascii", S("\x81"), "\xc2\x81", 0},
	    /* the latin1 label: windows-1252 with C1 fill, no defect */
	    {"iso-8859-1", S("\x80\x81\xe9"), "\xe2\x82\xac\xc2\x81\xc3\xa9",
	     -1},
	    /* windows-1252 proper reports its holes */
	    {"windows-1252", S("\x80\x81"), "\xe2\x82\xac\xef\xbf\xbd", 1},
	};
	(void)state;
	run_dcases(t, N(t));
}

/* Non-ASCII at every position around the 8-byte fast path. */
static void
test_fast_path_positions(void **state)
{
	char in[40], want[64];
	size_t pos, i;

	(void)state;
	for (pos = 0; pos < 24; pos++) {
		size_t wl = 0, gl;
		uint64_t def = 0;
		char *got;

		for (i = 0; i < 24; i++) {
			in[i] = (char)(i == pos ? 0xE9 : 'a' + (int)i);
			if (i == pos) {
				want[wl++] = (char)0xC3;
				want[wl++] = (char)0xA9;
			} else {
				want[wl++] = in[i];
			}
		}
		got = conv("latin1", in, 24, MF_OK, &def, &gl);
		tu_assert_mem(got, gl, want, wl, "latin1");
		free(got);
		got = conv("utf-8", in, 24, MF_OK, &def, &gl);
		assert_int_equal(gl, 26);
		assert_memory_equal(got + pos, "\xef\xbf\xbd", 3);
		free(got);
	}
}

/* ---------------------------------------------------------------------- */
/* Errors, appending, strictness                                           */
/* ---------------------------------------------------------------------- */

static void
test_unknown_and_args(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_error e;
	uint64_t def = 0;

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_buf_append(b, "keep", 4), MF_OK);
	memset(&e, 0, sizeof(e));
	assert_int_equal(mf_charset_to_utf8(b, "utf-9", 5, "abc", 3, NULL,
					    &def, &e),
			 MF_E_CHARSET);
	assert_int_equal(e.code, MF_E_CHARSET);
	assert_int_equal(e.offset, 0);
	assert_non_null(e.reason);
	assert_string_equal(mf_buf_data(b), "keep");
	assert_true(def == 0);
	assert_int_equal(mf_charset_to_utf8(b, "", 0, "abc", 3, NULL, NULL,
					    NULL),
			 MF_E_CHARSET);
	assert_int_equal(mf_charset_from_utf8(b, "utf-9", 5, "abc", 3, NULL,
					      NULL, NULL),
			 MF_E_CHARSET);
	assert_string_equal(mf_buf_data(b), "keep");
	assert_int_equal(mf_charset_to_utf8(NULL, "utf-8", 5, "a", 1, NULL,
					    NULL, &e),
			 MF_E_INVAL);
	assert_int_equal(e.code, MF_E_INVAL);
	assert_int_equal(mf_charset_to_utf8(b, "utf-8", 5, NULL, 1, NULL,
					    NULL, NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_charset_to_utf8(b, NULL, 3, "a", 1, NULL, NULL,
					    NULL),
			 MF_E_INVAL);
	/* Appends; empty input is fine. */
	assert_int_equal(mf_charset_to_utf8(b, "latin1", 6, "\xe9", 1, NULL,
					    NULL, NULL),
			 MF_OK);
	assert_int_equal(mf_charset_to_utf8(b, "latin1", 6, NULL, 0, NULL,
					    NULL, NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "keep\xc3\xa9");
	mf_buf_free(b);
}

static int defect_calls;
static uint64_t defect_off;

static void
on_defect(void *ctx, int d, uint64_t off)
{
	(void)ctx;
	assert_int_equal(d, MF_D_CHARSET_INVALID);
	defect_calls++;
	defect_off = off;
}

static void
test_defect_callback(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.on_defect = on_defect;
	defect_calls = 0;
	/* Reported once per call, at the first offending byte. */
	assert_int_equal(mf_charset_to_utf8(b, "utf-8", 5, "ab\xff\xfe", 4,
					    &o, NULL, NULL),
			 MF_OK);
	assert_int_equal(defect_calls, 1);
	assert_int_equal(defect_off, 2);
	mf_buf_free(b);
}

/* ---------------------------------------------------------------------- */
/* Encoding from UTF-8                                                     */
/* ---------------------------------------------------------------------- */

static void
test_from_utf8(void **state)
{
	static const struct {
		const char *cs, *in;
		size_t n;
		const char *want;
		size_t wl;
		long bad;
	} t[] = {
	    {"us-ascii", S("abc"), S("abc"), -1},
	    {"us-ascii", S("caf\xc3\xa9!"), S("caf?!"), 3},
	    {"latin1", S("caf\xc3\xa9"), S("caf\xe9"), -1},
	    {"latin1", S("\xe2\x82\xac"), S("?"), 0},
	    {"windows-1252", S("\xe2\x82\xac"), S("\x80"), -1},
	    {"koi8-r", S("\xd0\x96"), S("\xf6"), -1},
	    {"iso-8859-5", S("\xd0\x96"), S("\xb6"), -1},
	    {"utf-8", S("a\xffz"), S("a\xef\xbf\xbdz"), 1},
	    {"utf-16", S("h\xc3\xa9"), S("\xfe\xff\x00h\x00\xe9"), -1},
	    {"utf-16", S(""), S("\xfe\xff"), -1},
	    {"utf-16le", S("\xf0\x9f\x98\x80"), S("\x3d\xd8\x00\xde"), -1},
	    {"utf-16be", S("\xf0\x9f\x98\x80"), S("\xd8\x3d\xde\x00"), -1},
	    {"utf-32", S("h"), S("\x00\x00\xfe\xff\x00\x00\x00h"), -1},
	    {"utf-32le", S("h"), S("h\x00\x00\x00"), -1},
	    {"utf-32be", S("\xff"), S("\x00\x00\xff\xfd"), 0},
	    {"latin1", S("\xc3"), S("?"), 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(t); i++) {
		mf_buf *b = mf_buf_new(NULL);
		uint64_t def = 0;
		mf_error e;
		mf_opts o;
		char label[32];

		assert_int_equal(mf_charset_from_utf8(b, t[i].cs,
						      strlen(t[i].cs), t[i].in,
						      t[i].n, NULL, &def, NULL),
				 MF_OK);
		snprintf(label, sizeof(label), "case %zu", i);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), t[i].want,
			      t[i].wl, label);
		assert_int_equal(def != 0, t[i].bad >= 0);
		if (t[i].bad >= 0) {
			memset(&o, 0, sizeof(o));
			o.flags = MF_STRICT;
			mf_buf_clear(b);
			assert_int_equal(
			    mf_charset_from_utf8(b, t[i].cs, strlen(t[i].cs),
						 t[i].in, t[i].n, &o, NULL, &e),
			    MF_E_DEFECT);
			assert_int_equal(e.offset, t[i].bad);
			assert_int_equal(mf_buf_len(b), 0);
		}
		mf_buf_free(b);
	}
}

#if MF_HAVE_ICONV
static void
test_iconv_charsets(void **state)
{
	uint64_t def = 0;
	size_t n;
	char *s;
	mf_buf *b;

	(void)state;
	/* ks_c_5601-1987 is decoded as CP949 (a superset of EUC-KR). */
	s = conv("ks_c_5601-1987", "\xc7\xd1\xb1\xdb", 4, MF_OK, &def, &n);
	assert_string_equal(s, "\xed\x95\x9c\xea\xb8\x80"); /* 한글 */
	free(s);
	/* gb2312 as GB18030: the GBK-only 0x81 lead byte decodes too. */
	s = conv("gb2312", "\xc4\xe3\x81\x40", 4, MF_OK, &def, &n);
	assert_string_equal(s, "\xe4\xbd\xa0\xe4\xb8\x82");
	free(s);
	assert_true(def == 0);
	/* Invalid bytes become U+FFFD with the defect at their offset. */
	{
		mf_error e;
		mf_opts o;

		memset(&o, 0, sizeof(o));
		o.flags = MF_STRICT;
		s = conv("shift_jis", "a\x82\xa0\xff", 4, MF_OK, &def, &n);
		assert_true(def == MF_DEFECT_BIT(MF_D_CHARSET_INVALID));
		free(s);
		b = mf_buf_new(NULL);
		assert_int_equal(mf_charset_to_utf8(b, "shift_jis", 9,
						    "ab\xff", 3, &o, NULL, &e),
				 MF_E_DEFECT);
		assert_int_equal(e.offset, 2);
		assert_int_equal(mf_buf_len(b), 0);
		mf_buf_free(b);
	}
	/* Truncated multibyte at the end. */
	def = 0;
	s = conv("euc-jp", "a\xa4", 2, MF_OK, &def, &n);
	assert_string_equal(s, "a\xef\xbf\xbd");
	assert_true(def != 0);
	free(s);
	/* glibc reads "utf-)8" as UTF-8 and passes its 5-byte forms
	 * through: iconv output is checked like the hook's. */
	{
		mf_buf *g = mf_buf_new(NULL);
		int rc = mf_charset_to_utf8(g, "utf-)8", 6,
					    "a\xfb\xa0\xa0\xa0\xa0", 6, NULL,
					    NULL, NULL);

		assert_true(rc == MF_OK || rc == MF_E_CHARSET);
		assert_true(mf__utf8_valid(mf_buf_data(g), mf_buf_len(g)));
		mf_buf_free(g);
	}
	/* A label only iconv knows, and an x- one it knows without x-. */
	s = conv("IBM437", "\x82", 1, MF_OK, &def, &n);
	assert_string_equal(s, "\xc3\xa9");
	free(s);
	s = conv("x-euc-jp", "\xa4\xa2", 2, MF_OK, &def, &n);
	assert_string_equal(s, "\xe3\x81\x82");
	free(s);
	/* Encoding through iconv, stateful iso-2022-jp included. */
	b = mf_buf_new(NULL);
	def = 0;
	assert_int_equal(mf_charset_from_utf8(b, "iso-2022-jp", 11,
					      "a\xe3\x81\x82\xf0\x9f\x98\x80",
					      8, NULL, &def, NULL),
			 MF_OK);
	/* ESC $ B, the kana, '?' for the emoji inside the JIS state, and
	 * back to ASCII at the end. */
	tu_assert_mem(mf_buf_data(b), mf_buf_len(b),
		      "a\x1b$B$\"\x1b(B?", 10, "iso-2022-jp");
	assert_true(def != 0);
	/* What we write reads back the same; else it is unmappable: ESC in
	 * ISO 2022, C1 controls in EUC-KR (read as CP949 lead bytes). */
	{
		static const struct {
			const char *cs, *in, *want;
			long bad;
		} t[] = {
		    {"iso-2022-jp", "a\x1b(Bb", "a?(Bb", 1},
		    {"euc-kr", "x\xc2\x82y", "x?y", 1},
		    {"shift_jis", "a\\b~", "a\\b~", -1},
		    {"euc-kr", "\xed\x95\x9c", "\xc7\xd1", -1},
		};
		size_t i;

		for (i = 0; i < N(t); i++) {
			mf_opts o;
			mf_error e;

			mf_buf_clear(b);
			def = 0;
			assert_int_equal(mf_charset_from_utf8(
					     b, t[i].cs, strlen(t[i].cs), t[i].in,
					     strlen(t[i].in), NULL, &def, NULL),
					 MF_OK);
			tu_assert_str(mf_buf_data(b), t[i].want, t[i].cs);
			assert_int_equal(def != 0, t[i].bad >= 0);
			if (t[i].bad < 0)
				continue;
			memset(&o, 0, sizeof(o));
			o.flags = MF_STRICT;
			mf_buf_clear(b);
			assert_int_equal(mf_charset_from_utf8(
					     b, t[i].cs, strlen(t[i].cs), t[i].in,
					     strlen(t[i].in), &o, NULL, &e),
					 MF_E_DEFECT);
			assert_int_equal(e.offset, t[i].bad);
		}
	}
	mf_buf_free(b);
}
#endif

/* ---------------------------------------------------------------------- */
/* GMime charset samples                                                   */
/* ---------------------------------------------------------------------- */

static void
sample(const char *file, const char *cs, const char *utf8file)
{
	char path[256];
	size_t n, wn, gl;
	char *in, *want, *got;
	uint64_t def = 0;

	snprintf(path, sizeof(path), "corpus/gmime/tests/data/filters/%s",
		 file);
	in = tu_read(path, &n);
	snprintf(path, sizeof(path), "corpus/gmime/tests/data/filters/%s",
		 utf8file);
	want = tu_read(path, &wn);
	got = conv(cs, in, n, MF_OK, &def, &gl);
	tu_assert_mem(got, gl, want, wn, file);
	assert_true(def == 0);
	free(got);
	free(want);
	free(in);
}

static void
test_gmime_samples(void **state)
{
	(void)state;
	sample("cyrillic.cp1251.txt", "windows-1251", "cyrillic.utf-8.txt");
	sample("cyrillic.cp1251.txt", "cp1251", "cyrillic.utf-8.txt");
	sample("cyrillic.iso-8859-5.txt", "iso-8859-5", "cyrillic.utf-8.txt");
	sample("cyrillic.koi8-r.txt", "koi8-r", "cyrillic.utf-8.txt");
	sample("cyrillic.utf-8.txt", "utf-8", "cyrillic.utf-8.txt");
	sample("japanese.utf-8.txt", "utf-8", "japanese.utf-8.txt");
	sample("chinese.utf-8.txt", "utf-8", "chinese.utf-8.txt");
#if MF_HAVE_ICONV
	sample("japanese.iso-2022-jp.txt", "iso-2022-jp",
	       "japanese.utf-8.txt");
	sample("japanese.shift-jis.txt", "shift_jis", "japanese.utf-8.txt");
	sample("japanese.shift-jis.txt", "x-sjis", "japanese.utf-8.txt");
	{
		/*
		 * GMime made chinese.big5.txt by encoding chinese.utf-8.txt
		 * to Big5 and dropping the characters Big5 lacks (Japanese
		 * kanji such as U+7D9A). So decoding it must give the UTF-8
		 * file minus exactly the characters that glibc's BIG5 cannot
		 * encode, or encodes in the ETEN extension rows from 0xF9D6
		 * (U+7881), which the encoder GMime used did not have.
		 */
		size_t n, un, gl, i = 0, wl = 0;
		char *in = tu_read(
		    "corpus/gmime/tests/data/filters/chinese.big5.txt", &n);
		char *u = tu_read(
		    "corpus/gmime/tests/data/filters/chinese.utf-8.txt", &un);
		char *want = malloc(un + 1);
		uint64_t def = 0;
		char *got;
		iconv_t cd = iconv_open("BIG5", "UTF-8");
		size_t dropped = 0;

		assert_true(cd != (iconv_t)-1);
		assert_non_null(want);
		while (i < un) {
			size_t k = 1;
			char tmp[8], *ip = u + i, *op = tmp;
			size_t il, ol = sizeof(tmp);

			while (i + k < un && ((unsigned char)u[i + k] & 0xC0) ==
						 0x80)
				k++;
			il = k;
			if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 &&
			    !((unsigned char)tmp[0] == 0xF9 &&
			      (unsigned char)tmp[1] >= 0xD6)) {
				memcpy(want + wl, u + i, k);
				wl += k;
			} else {
				dropped++;
			}
			i += k;
		}
		iconv_close(cd);
		assert_true(dropped > 0);
		got = conv("big5", in, n, MF_OK, &def, &gl);
		tu_assert_mem(got, gl, want, wl, "chinese.big5.txt");
		assert_true(def == 0);
		free(got);
		free(want);
		free(u);
		free(in);
	}
#endif
	{
		/* No UTF-8 twin: check the windows-1252 characters. */
		size_t n, gl;
		char *in = tu_read(
		    "corpus/gmime/tests/data/filters/french-fable.cp1252.txt",
		    &n);
		uint64_t def = 0;
		char *got = conv("windows-1252", in, n, MF_OK, &def, &gl);

		assert_true(def == 0);
		assert_non_null(strstr(got, "Ma\xc3\xaetre Corbeau"));
		assert_non_null(strstr(got, "l\xe2\x80\x99odeur")); /* 0x92 */
		assert_non_null(strstr(got, "\xc2\xab H\xc3\xa9 !"));
		free(got);
#if MF_HAVE_ICONV
		{
			iconv_t cd = iconv_open("UTF-8", "CP1252");
			char *want = malloc(n * 3), *ip = in, *op = want;
			size_t il = n, ol = n * 3;

			assert_true(iconv(cd, &ip, &il, &op, &ol) == 0);
			iconv_close(cd);
			got = conv("cp1252", in, n, MF_OK, &def, &gl);
			tu_assert_mem(got, gl, want, (size_t)(op - want),
				      "french-fable");
			free(got);
			free(want);
		}
#endif
		free(in);
	}
}

/* ---------------------------------------------------------------------- */
/* The caller's hook                                                       */
/* ---------------------------------------------------------------------- */

static int hook_calls;

/* Knows "x-rot13" (ASCII, rotated) and "x-broken" (emits invalid UTF-8). */
static int
hook(void *ctx, const char *cs, size_t cslen, const char *in, size_t n,
     mf_buf *out)
{
	size_t i;

	(void)ctx;
	hook_calls++;
	if (mf_charset_name(cs, cslen) != NULL)
		fail_msg("hook asked for a built-in charset");
	if (cslen == 7 && memcmp(cs, "x-rot13", 7) == 0) {
		for (i = 0; i < n; i++) {
			char c = in[i];
			if (c >= 'a' && c <= 'z')
				c = (char)('a' + (c - 'a' + 13) % 26);
			if (mf_buf_append(out, &c, 1) != MF_OK)
				return MF_E_NOMEM;
		}
		return MF_OK;
	}
	if (cslen == 8 && memcmp(cs, "x-broken", 8) == 0) {
		if (mf_buf_append(out, "ok\xff", 3) != MF_OK)
			return MF_E_NOMEM;
		return MF_OK;
	}
	/* Append junk first: the library must drop it on MF_E_CHARSET. */
	if (mf_buf_append(out, "junk", 4) != MF_OK)
		return MF_E_NOMEM;
	return MF_E_CHARSET;
}

static void
test_hook(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	uint64_t def = 0;
	mf_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.charset_fn = hook;
	hook_calls = 0;
	/* Built-in first: the hook is not asked for utf-8. */
	assert_int_equal(mf_charset_to_utf8(b, "utf-8", 5, "x", 1, &o, &def,
					    NULL),
			 MF_OK);
	assert_int_equal(hook_calls, 0);
	/* The label reaches the hook normalised. */
	assert_int_equal(mf_charset_to_utf8(b, " \"X-ROT13\"", 10, "uryyb",
					    5, &o, &def, NULL),
			 MF_OK);
	assert_int_equal(hook_calls, 1);
	assert_string_equal(mf_buf_data(b), "xhello");
	assert_int_equal(mf_charset_known("x-rot13", 7, &o), 1);
	assert_int_equal(mf_charset_known("x-rot13", 7, NULL), 0);
	/* Invalid UTF-8 from the hook is repaired and reported. */
	mf_buf_clear(b);
	assert_int_equal(mf_charset_to_utf8(b, "x-broken", 8, "", 0, &o, &def,
					    NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "ok\xef\xbf\xbd");
	assert_true(def == MF_DEFECT_BIT(MF_D_CHARSET_INVALID));
	/* Unknown to the hook: its junk is dropped, then iconv or error. */
	mf_buf_clear(b);
	assert_int_equal(mf_charset_to_utf8(b, "x-nothing", 9, "a", 1, &o,
					    NULL, NULL),
			 MF_E_CHARSET);
	assert_int_equal(mf_buf_len(b), 0);
#if MF_HAVE_ICONV
	assert_int_equal(mf_charset_to_utf8(b, "ibm437", 6, "\x82", 1, &o,
					    NULL, NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "\xc3\xa9");
#endif
	mf_buf_free(b);
}

/* ---------------------------------------------------------------------- */
/* OOM loops, guard pages, random input                                    */
/* ---------------------------------------------------------------------- */

struct oom_case {
	const char *cs;
	const char *in;
	size_t n;
	int encode;
	const mf_opts *o;
};

static int
oom_fn(const mf_alloc *a, void *ctx)
{
	const struct oom_case *c = ctx;
	mf_buf *b = mf_buf_new(a);
	mf_opts o;
	int rc;

	if (b == NULL)
		return MF_E_NOMEM;
	memset(&o, 0, sizeof(o));
	if (c->o != NULL)
		o = *c->o;
	o.alloc = *a;
	/* Something already in the buffer must survive a failure. */
	rc = mf_buf_append(b, "pre", 3);
	if (rc != MF_OK) {
		mf_buf_free(b);
		return rc;
	}
	rc = c->encode ? mf_charset_from_utf8(b, c->cs, strlen(c->cs),
						      c->in, c->n, &o, NULL,
						      NULL)
			       : mf_charset_to_utf8(b, c->cs, strlen(c->cs),
						    c->in, c->n, &o, NULL,
						    NULL);
	if (rc == MF_E_NOMEM && mf_buf_len(b) != 3)
		rc = MF_E_INVAL; /* not left unchanged */
	mf_buf_free(b);
	return rc;
}

static void
test_oom(void **state)
{
	static char big[3000];
	mf_opts ho;
	size_t i;
	struct oom_case t[] = {
	    {"utf-8", big, sizeof(big), 0, NULL},
	    {"utf-8", "a\xff\xfe\xfd", 4, 0, NULL},
	    {"us-ascii", big, sizeof(big), 0, NULL},
	    {"latin1", big, sizeof(big), 0, NULL},
	    {"koi8-r", big, sizeof(big), 0, NULL},
	    {"utf-16", big, sizeof(big), 0, NULL},
	    {"utf-32le", big, sizeof(big), 0, NULL},
	    {"x-broken", "", 0, 0, &ho},
	    {"x-rot13", "abc", 3, 0, &ho},
	    {"latin1", big, sizeof(big), 1, NULL},
	    {"utf-16", big, sizeof(big), 1, NULL},
	    {"utf-32", big, sizeof(big), 1, NULL},
#if MF_HAVE_ICONV
	    {"shift_jis", big, sizeof(big), 0, NULL},
	    {"iso-2022-jp", big, sizeof(big), 1, NULL},
#endif
	};

	(void)state;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 7 == 0 ? 0xE9 : 'a' + (int)(i % 26));
	memset(&ho, 0, sizeof(ho));
	ho.charset_fn = hook;
	for (i = 0; i < N(t); i++)
		assert_true(tu_oom_loop(oom_fn, &t[i]) >= 1);
}

static void
test_guard_pages(void **state)
{
	static const char *const names[] = {
	    "utf-8",  "us-ascii", "latin1",	 "koi8-u",   "utf-16",
	    "utf-16le", "utf-32", "utf-32be", "windows-1258",
	};
	static const struct {
		const char *p;
		size_t n;
	} ins[] = {
	    {S("")},
	    {S("\xc3")},
	    {S("abcdefg\xe2\x82")},
	    {S("\xf0\x9f\x98")},
	    {S("\xd8")},
	    {S("\xd8\x3d\xde")},
	    {S("\x00\x00\xfe")},
	    {S("abcdefgh")},
	    {S("abcdefghijklmno\xff")},
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < N(names); i++) {
		for (k = 0; k < N(ins); k++) {
			tu_guard g;
			const char *p = tu_guard_new(&g, ins[k].p, ins[k].n);
			mf_buf *b = mf_buf_new(NULL);

			assert_int_equal(mf_charset_to_utf8(b, names[i],
							    strlen(names[i]),
							    p, ins[k].n, NULL,
							    NULL, NULL),
					 MF_OK);
			assert_int_equal(mf_charset_from_utf8(
					     b, names[i], strlen(names[i]), p,
					     ins[k].n, NULL, NULL, NULL),
					 MF_OK);
			mf_buf_free(b);
			tu_guard_free(&g);
		}
		{
			/* The label itself at the end of a page. */
			tu_guard g;
			const char *p = tu_guard_new(&g, names[i],
						     strlen(names[i]));
			assert_non_null(mf_charset_name(p, strlen(names[i])));
			tu_guard_free(&g);
		}
	}
}

/* Random bytes through every built-in decoder: always valid UTF-8. */
static void
test_random(void **state)
{
	static const char *const names[] = {
	    "utf-8", "us-ascii", "utf-16", "utf-16le", "utf-32", "utf-32be",
	};
	unsigned char in[257];
	tu_rng r;
	int round;
	size_t i;

	(void)state;
	tu_rng_seed(&r, 2047);
	for (round = 0; round < (tu_slow_ok() ? 400 : 40); round++) {
		size_t n = tu_rng_below(&r, sizeof(in));

		tu_rng_fill(&r, in, n);
		for (i = 0; i < N(names) + N(sb_names); i++) {
			const char *cs = i < N(names) ? names[i]
						      : sb_names[i - N(names)];
			size_t gl;
			uint64_t def = 0;
			char *got = conv(cs, in, n, MF_OK, &def, &gl);

			if (!mf__utf8_valid(got, gl))
				fail_msg("%s: invalid UTF-8 output", cs);
			free(got);
		}
	}
}

/* Random text in each repertoire: to_utf8 then from_utf8 is identity. */
static void
test_round_trip(void **state)
{
	tu_rng r;
	size_t i;
	int round;

	(void)state;
	tu_rng_seed(&r, 1252);
	for (i = 0; i < N(sb_names); i++) {
		unsigned char defined[256];
		size_t nd = 0;
		int c;

		/* The bytes this charset defines (latin1: not 0x80-0x9F,
		 * which decode as windows-1252). */
		for (c = 0; c < 256; c++) {
			unsigned char byte = (unsigned char)c;
			uint64_t def = 0;
			size_t ul;
			char *u = conv(sb_names[i], &byte, 1, MF_OK, &def, &ul);

			if (def == 0 && !(i == 0 && c >= 0x80 && c < 0xA0))
				defined[nd++] = byte;
			free(u);
		}
		for (round = 0; round < 20; round++) {
			unsigned char raw[64];
			size_t n = tu_rng_below(&r, sizeof(raw)), k, ul, el;
			uint64_t def = 0;
			char *u, *e;
			mf_buf *b;

			for (k = 0; k < n; k++)
				raw[k] = defined[tu_rng_below(&r, nd)];
			u = conv(sb_names[i], raw, n, MF_OK, &def, &ul);
			assert_true(def == 0);
			b = mf_buf_new(NULL);
			assert_int_equal(mf_charset_from_utf8(
					     b, sb_names[i],
					     strlen(sb_names[i]), u, ul, NULL,
					     &def, NULL),
					 MF_OK);
			assert_true(def == 0);
			assert_int_equal(mf_buf_take(b, &e, &el), MF_OK);
			mf_buf_free(b);
			tu_assert_mem(e, el, raw, n, sb_names[i]);
			free(e);
			free(u);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alias_sorted),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_known),
	    cmocka_unit_test(test_tables_vs_iconv),
	    cmocka_unit_test(test_tables_reverse),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_utf16_32),
	    cmocka_unit_test(test_ascii_policy),
	    cmocka_unit_test(test_fast_path_positions),
	    cmocka_unit_test(test_unknown_and_args),
	    cmocka_unit_test(test_defect_callback),
	    cmocka_unit_test(test_from_utf8),
#if MF_HAVE_ICONV
	    cmocka_unit_test(test_iconv_charsets),
#endif
	    cmocka_unit_test(test_gmime_samples),
	    cmocka_unit_test(test_hook),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_guard_pages),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
