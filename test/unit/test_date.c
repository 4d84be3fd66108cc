/* SPDX-License-Identifier: MIT */
/*
 * test_date.c - RFC 5322 dates: GMime's and Dovecot's tables (message
 * dates and the dates of mbox From_ lines), the lenient forms with their
 * defects and offsets, errors with offsets, strict mode, formatting, the
 * epoch conversions at their edges, parse -> format -> parse round trips
 * and guard pages. Date functions never allocate, so there is no OOM loop.
 */
#include "tutil.h"

static int
parse(const char *s, mf_date *d, uint64_t *def, mf_error *e)
{
	*def = 0;
	return mf_date_parse(s, strlen(s), NULL, d, def, e);
}

/* GMime: time and zone, and GMime's format equals ours. */
static void
test_gmime(void **state)
{
	tj *v = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *t = tj_path(v, "tables.dates.entries");
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < t->len; i++) {
		tj *c = tj_at(t, i);
		const char *in = tj_get(c, "in")->str;
		long want = tj_int(tj_get(c, "date"));
		long tz = tj_int(tj_get(c, "tzone"));
		int minutes = (int)(tz < 0 ? -1 : 1) *
			      (int)((tz < 0 ? -tz : tz) / 100 * 60 +
				    (tz < 0 ? -tz : tz) % 100);
		mf_date d;
		uint64_t def;
		int64_t tt;
		char out[40];
		int rc = parse(in, &d, &def, NULL);

		if (strcmp(in, "nonsense") == 0 ||
		    strcmp(in, "17-6-2008 17:10:08") == 0) {
			/*
			 * GMime returns the epoch for nonsense; a numeric
			 * month is ambiguous (day-month or month-day), so
			 * mailfmt rejects it where GMime guesses.
			 */
			assert_int_equal(rc, MF_E_SYNTAX);
			continue;
		}
		if (rc != MF_OK)
			fail_msg("gmime date %zu (%s): %d", i, in, rc);
		assert_int_equal(mf_date_to_time(&d, &tt), MF_OK);
		assert_int_equal(tt, want);
		assert_int_equal(d.tz_offset, minutes);
		assert_int_equal(mf_date_format(out, sizeof(out), &d, 0, NULL),
				 MF_OK);
		tu_assert_str(out, tj_get(c, "out")->str, in);
	}
	tj_free(v);
}

static void
test_dovecot(void **state)
{
	tj *v = tj_load("corpus/vectors/dovecot/lib-mail-message-date.json");
	tj *t = tj_path(v, "tables.tests.entries");
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < t->len; i++) {
		tj *c = tj_at(t, i);
		const char *in = tj_get(c, "input")->str;
		mf_date d;
		uint64_t def;
		int64_t tt;
		int rc = parse(in, &d, &def, NULL);

		if (!tj_get(c, "ret")->num) {
			assert_true(rc < 0);
			continue;
		}
		if (rc != MF_OK)
			fail_msg("dovecot date %zu (%s): %d", i, in, rc);
		assert_int_equal(mf_date_to_time(&d, &tt), MF_OK);
		assert_int_equal(tt, (int64_t)tj_get(c, "time")->num);
		assert_int_equal(d.tz_offset, tj_int(tj_get(c, "tz_offset")));
	}
	tj_free(v);
}

/*
 * Dovecot's mbox From_ lines: "sender date". The date part must give
 * Dovecot's time and offset where Dovecot accepts the line; where it
 * rejects it, mailfmt rejects the date or flags it (Dovecot also insists
 * on a day name and a two-digit hour, which RFC 5322 4.3 leniency and
 * asctime without a day name do not).
 */
static void
test_mbox_from(void **state)
{
	tj *v = tj_load("corpus/vectors/dovecot/lib-mail-mbox-from.json");
	tj *in = tj_path(v, "tables.input.entries");
	tj *out = tj_path(v, "tables.output.entries");
	size_t i;

	(void)state;
	assert_non_null(in);
	assert_int_equal(in->len, out->len);
	for (i = 0; i < in->len; i++) {
		const char *s = tj_at(in, i)->str, *date;
		tj *o = tj_at(out, i);
		mf_lexer lx;
		mf_tok tok;
		mf_date d;
		uint64_t def = 0;
		int64_t tt;
		int rc;

		/* The sender is the first token (maybe quoted, + "@..."). */
		if (s[0] == ' ') {
			date = s + 1;
		} else {
			assert_int_equal(mf_lex_init(&lx, s, strlen(s), 0),
			                 MF_OK);
			do {
				assert_int_equal(mf_lex_next(&lx, &tok, NULL),
						 MF_OK);
			} while (tok.offset + tok.text.len < strlen(s) &&
			         s[tok.offset + tok.text.len] != ' ');
			date = s + tok.offset + tok.text.len;
		}
		rc = mf_date_parse(date, strlen(date), NULL, &d, &def, NULL);
		if (tj_int(tj_get(o, "ret")) == 0) {
			if (rc != MF_OK)
				fail_msg("mbox from %zu: %d", i, rc);
			assert_int_equal(mf_date_to_time(&d, &tt), MF_OK);
			assert_int_equal(tt, tj_int(tj_get(o, "time")));
			assert_int_equal(d.tz_offset,
					 tj_int(tj_get(o, "tz_offset")));
		} else if (rc == MF_OK) {
			assert_true(def & MF_DEFECT_BIT(MF_D_OBSOLETE));
		}
	}
	tj_free(v);
}

/* Lenient forms: the date and the defects, with their first offset. */
static void
test_lenient(void **state)
{
	static const struct {
		const char *in;
		int y, mo, d, h, mi, s, tz, unknown;
		int defect;
		long off;
	} t[] = {
	    {"Fri, 21 Nov 1997 09:55:06 -0600", 1997, 11, 21, 9, 55, 6, -360,
	     0, -1, 0},
	    {"21 Nov 1997 09:55 +0000", 1997, 11, 21, 9, 55, 0, 0, 0, -1, 0},
	    {"Fri, 21 Nov 1997 09:55:06 +0000 (UTC)", 1997, 11, 21, 9, 55, 6,
	     0, 0, -1, 0},
	    {"fri, 21 nov 1997 09:55:06 +0000", 1997, 11, 21, 9, 55, 6, 0, 0,
	     -1, 0},
	    {"Thu,\r\n 13\r\n  Feb\r\n 1969\r\n 23:32\r\n -0330 (Newfoundland "
	     "Time)",
	     1969, 2, 13, 23, 32, 0, -210, 0, -1, 0},
	    {"Fri 21 Nov 1997 09:55:06 +0000", 1997, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_OBSOLETE, 4},
	    {"Sat, 21 Nov 1997 09:55:06 +0000", 1997, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_DATE_BAD_DOW, 0},
	    {"21 Nov 97 09:55:06 GMT", 1997, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_OBSOLETE, 7},
	    {"21 Nov 49 09:55:06 +0000", 2049, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_OBSOLETE, 7},
	    {"21 Nov 103 09:55:06 +0000", 2003, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_OBSOLETE, 7},
	    {"21 Nov 1997 9:55:06 +0000", 1997, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_OBSOLETE, 12},
	    {"21 Nov 1997 09.55.06 +0000", 1997, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_OBSOLETE, 14},
	    {"21-Nov-1997 09:55:06 +0000", 1997, 11, 21, 9, 55, 6, 0, 0,
	     MF_D_OBSOLETE, 2},
	    {"Friday, 21 November 1997 09:55:06 +0000", 1997, 11, 21, 9, 55,
	     6, 0, 0, MF_D_OBSOLETE, 0},
	    {"Sat Mar 24 21:23:03 EDT 2007", 2007, 3, 24, 21, 23, 3, -240, 0,
	     MF_D_OBSOLETE, 4},
	    {"21 Nov 1997 09:55:06 -0000", 1997, 11, 21, 9, 55, 6, 0, 1, -1,
	     0},
	    {"21 Nov 1997 09:55:06 Z", 1997, 11, 21, 9, 55, 6, 0, 1,
	     MF_D_OBSOLETE, 21},
	    {"21 Nov 1997 09:55:06 CEST", 1997, 11, 21, 9, 55, 6, 0, 1,
	     MF_D_OBSOLETE, 21},
	    {"21 Nov 1997 09:55:06 pst", 1997, 11, 21, 9, 55, 6, -480, 0,
	     MF_D_OBSOLETE, 21},
	    {"21 Nov 1997 09:55:06", 1997, 11, 21, 9, 55, 6, 0, 1,
	     MF_D_OBSOLETE, 20},
	    {"21 Nov 1997 09:55:06 +0100 garbage", 1997, 11, 21, 9, 55, 6, 60,
	     0, MF_D_TRAILING_GARBAGE, 27},
	    {"May 8, 2005 1:17 PM", 2005, 5, 8, 13, 17, 0, 0, 1,
	     MF_D_OBSOLETE, 0},
	    {"Dec 31 2005 12:05 am -0800", 2005, 12, 31, 0, 5, 0, -480, 0,
	     MF_D_OBSOLETE, 0},
	    /* AM / PM in the RFC order too (found comparing with Python) */
	    {"18 Feb 01 12:29:13 AM", 2001, 2, 18, 0, 29, 13, 0, 1,
	     MF_D_OBSOLETE, 7},
	    {"Sun, 08 May 2005 01:17 pm +0100", 2005, 5, 8, 13, 17, 0, 60, 0,
	     MF_D_OBSOLETE, 23},
	    {"30 Jun 2015 23:59:60 +0000", 2015, 6, 30, 23, 59, 60, 0, 0, -1,
	     0},
	    {"29 Feb 2000 00:00:00 +9959", 2000, 2, 29, 0, 0, 0, 99 * 60 + 59,
	     0, -1, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_date d;
		uint64_t def;
		mf_opts o;
		mf_error e;
		int rc = parse(t[i].in, &d, &def, NULL);

		if (rc != MF_OK)
			fail_msg("lenient %zu: rc %d", i, rc);
		if (d.year != t[i].y || d.month != t[i].mo || d.day != t[i].d ||
		    d.hour != t[i].h || d.min != t[i].mi || d.sec != t[i].s ||
		    d.tz_offset != t[i].tz || d.tz_unknown != t[i].unknown)
			fail_msg("lenient %zu: %d-%d-%d %d:%d:%d %d %d", i,
				 d.year, d.month, d.day, d.hour, d.min, d.sec,
				 d.tz_offset, d.tz_unknown);
		memset(&o, 0, sizeof(o));
		o.flags = MF_STRICT;
		rc = mf_date_parse(t[i].in, strlen(t[i].in), &o, &d, NULL, &e);
		if (t[i].defect < 0) {
			assert_int_equal(def, 0);
			assert_int_equal(rc, MF_OK);
		} else {
			if (!(def & MF_DEFECT_BIT(t[i].defect)))
				fail_msg("lenient %zu: defects %llx", i,
					 (unsigned long long)def);
			/* Strict: the first defect, at its offset. */
			assert_int_equal(rc, MF_E_DEFECT);
			if ((long)e.offset != t[i].off)
				fail_msg("lenient %zu: strict offset %zu", i,
					 e.offset);
		}
	}
}

static void
test_errors(void **state)
{
	static const struct {
		const char *in;
		size_t off;
	} t[] = {
	    {"", 0},
	    {"nonsense", 0},
	    {"Tue, 19 Jan 2038", 16},
	    {"32 Jan 2020 00:00:00 +0000", 0},
	    {"29 Feb 2019 00:00:00 +0000", 0},
	    {"31 Apr 2020 00:00:00 +0000", 0},
	    {"1 Jan 2020 24:00:00 +0000", 11},
	    {"1 Jan 2020 23:60:00 +0000", 14},
	    {"1 Jan 2020 23:59:61 +0000", 17},
	    {"1 Jan 2020 23:59:59 +0060", 23},
	    {"1 Jan 2020 23:59:59 +00", 20},
	    {"1 Jan 2020 23:59:59 + 0000", 20},
	    {"1 Jan 1899 23:59:59 +0000", 6},
	    {"1 Jan 10000 23:59:59 +0000", 6},
	    {"1 Foo 2020 00:00:00 +0000", 2},
	    {"17-6-2008 17:10:08", 3},
	    {"Mon, Jan 2020", 9},
	    {"1 Jan 2020 23:5 +0000", -1},
	    {"1 Jan 2020 23:59:5 +0000", 17},
	    {"123 Jan 2020 00:00 +0000", 0},
	    {"1 Jan 2020 123:00 +0000", 11},
	    {"Mon,", 4},
	    {"May 8, 2005 13:17 PM", 12},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_date d;
		uint64_t def;
		mf_error e;
		int rc = parse(t[i].in, &d, &def, &e);

		if (t[i].off == (size_t)-1) {
			/* A single-digit minute is lenient, not an error. */
			assert_int_equal(rc, MF_OK);
			continue;
		}
		if (rc != MF_E_SYNTAX || e.offset != t[i].off)
			fail_msg("error %zu (%s): rc %d off %zu", i, t[i].in,
				 rc, e.offset);
	}
	assert_int_equal(mf_date_parse(NULL, 1, NULL, NULL, NULL, NULL),
			 MF_E_INVAL);
}

static void
test_format(void **state)
{
	mf_date d;
	char out[40];
	size_t len;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.year = 1994;
	d.month = 1;
	d.day = 7;
	d.hour = 1;
	d.min = 2;
	d.sec = 3;
	d.tz_offset = -330;
	d.wday = 5; /* wrong on purpose: recomputed */
	assert_int_equal(mf_date_format(out, sizeof(out), &d, 0, &len), MF_OK);
	tu_assert_str(out, "Fri, 07 Jan 1994 01:02:03 -0530", "format");
	assert_int_equal(len, 31);
	assert_int_equal(mf_date_format(out, sizeof(out), &d, MF_DATE_ISO,
					&len),
			 MF_OK);
	tu_assert_str(out, "1994-01-07T01:02:03-05:30", "iso");
	d.tz_offset = 0;
	d.tz_unknown = 1;
	assert_int_equal(mf_date_format(out, sizeof(out), &d, 0, NULL), MF_OK);
	tu_assert_str(out, "Fri, 07 Jan 1994 01:02:03 -0000", "unknown");
	assert_int_equal(mf_date_format(out, sizeof(out), &d, MF_DATE_ISO,
					NULL),
			 MF_OK);
	tu_assert_str(out, "1994-01-07T01:02:03-00:00", "iso unknown");
	assert_int_equal(mf_date_format(out, 31, &d, 0, &len), MF_E_NOSPC);
	assert_int_equal(len, 31);
	assert_int_equal(mf_date_format(out, 32, &d, 0, &len), MF_OK);
	d.day = 32;
	assert_int_equal(mf_date_format(out, sizeof(out), &d, 0, NULL),
			 MF_E_INVAL);
	d.day = 1;
	assert_int_equal(mf_date_format(out, sizeof(out), &d, 0x80, NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_date_format(out, sizeof(out), NULL, 0, NULL),
			 MF_E_INVAL);
}

static void
test_epoch(void **state)
{
	static const struct {
		int64_t t;
		int tz;
		const char *want;
	} t[] = {
	    {0, 0, "Thu, 01 Jan 1970 00:00:00 +0000"},
	    {-1, 120, "Thu, 01 Jan 1970 01:59:59 +0200"},
	    {-2208988800LL, 0, "Mon, 01 Jan 1900 00:00:00 +0000"},
	    {253402300799LL, 0, "Fri, 31 Dec 9999 23:59:59 +0000"},
	    {951782400LL, 0, "Tue, 29 Feb 2000 00:00:00 +0000"},
	    {4294967295LL, 0, "Sun, 07 Feb 2106 06:28:15 +0000"},
	    {1700000000LL, -300, "Tue, 14 Nov 2023 17:13:20 -0500"},
	};
	size_t i;
	mf_date d;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char out[40];
		int64_t back;

		assert_int_equal(mf_date_from_time(t[i].t, t[i].tz, &d), MF_OK);
		assert_int_equal(mf_date_format(out, sizeof(out), &d, 0, NULL),
				 MF_OK);
		tu_assert_str(out, t[i].want, "epoch");
		assert_int_equal(mf_date_to_time(&d, &back), MF_OK);
		assert_int_equal(back, t[i].t);
	}
	assert_int_equal(mf_date_from_time(-2208988801LL - 86400, 0, &d),
			 MF_E_INVAL);
	assert_int_equal(mf_date_from_time(-2208988801LL, 0, &d), MF_E_INVAL);
	assert_int_equal(mf_date_from_time(0, 6000, &d), MF_E_INVAL);
	assert_int_equal(mf_date_from_time(0, 0, NULL), MF_E_INVAL);
	assert_int_equal(mf_date_to_time(NULL, NULL), MF_E_INVAL);
	/* yday and wday */
	assert_int_equal(mf_date_from_time(951782400LL, 0, &d), MF_OK);
	assert_int_equal(d.yday, 59);
	assert_int_equal(d.wday, 2);
}

/* parse -> format -> parse gives the same date; random instants. */
static void
test_round_trip(void **state)
{
	tu_rng r;
	size_t i, rounds = tu_slow_ok() ? 200000 : 5000;

	(void)state;
	tu_rng_seed(&r, 7);
	for (i = 0; i < rounds; i++) {
		int64_t t = (int64_t)tu_rng_below(&r, 253402300799ULL +
							  2208988800ULL) -
			    2208988800LL;
		int tz = (int)tu_rng_below(&r, 2 * 1439 + 1) - 1439;
		mf_date a, b;
		char out[40];
		uint64_t def = 0;
		int64_t back;
		size_t len;

		if (mf_date_from_time(t, tz, &a) != MF_OK)
			continue;
		assert_int_equal(mf_date_format(out, sizeof(out), &a,
						i & 1 ? 0 : 0, &len),
				 MF_OK);
		assert_int_equal(mf_date_parse(out, len, NULL, &b, &def, NULL),
				 MF_OK);
		assert_int_equal(def, 0);
		assert_memory_equal(&a, &b, sizeof(a));
		assert_int_equal(mf_date_to_time(&b, &back), MF_OK);
		assert_int_equal(back, t);
	}
}

static void
test_guard(void **state)
{
	static const char *in[] = {
	    "Fri, 21 Nov 1997 09:55:06 -0600 (CST)",
	    "Sat Mar 24 21:23:03 EDT 2007",
	    "21-Nov-97 9.55 GMT (comment",
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		size_t n = strlen(in[i]);
		tu_guard g;
		const char *p = tu_guard_new(&g, in[i], n);

		for (k = 0; k <= n; k++) {
			mf_date d;
			int rc = mf_date_parse(p + n - k, k, NULL, &d, NULL,
					       NULL);
			assert_true(rc == MF_OK || rc == MF_E_SYNTAX);
			rc = mf_date_parse(p, k, NULL, &d, NULL, NULL);
			assert_true(rc == MF_OK || rc == MF_E_SYNTAX);
		}
		tu_guard_free(&g);
	}
}

/* Every Date field of the corpus: parsed, or rejected for a reason. */
static void
test_corpus_dates(void **state)
{
	size_t count, i, ok = 0, bad = 0;
	char **list = tu_list("corpus", &count);

	(void)state;
	for (i = 0; i < count; i++) {
		size_t n, body, it;
		char *p;
		mf_headers *h;
		const mf_field *f;

		if (strstr(list[i], ".eml") == NULL)
			continue;
		p = tu_read(list[i], &n);
		assert_int_equal(mf_headers_parse(p, n, NULL, &h, &body, NULL),
				 MF_OK);
		it = 0;
		while ((f = mf_headers_get(h, "Date", 4, &it)) != NULL) {
			mf_date d;
			char out[40];
			size_t len;
			mf_date d2;

			if (mf_date_parse(f->value.ptr, f->value.len, NULL, &d,
					  NULL, NULL) != MF_OK) {
				bad++;
				continue;
			}
			ok++;
			/* Formatting what was parsed parses back equal. */
			assert_int_equal(mf_date_format(out, sizeof(out), &d,
							0, &len),
					 MF_OK);
			assert_int_equal(mf_date_parse(out, len, NULL, &d2,
						       NULL, NULL),
					 MF_OK);
			assert_memory_equal(&d, &d2, sizeof(d));
		}
		mf_headers_free(h);
		free(p);
	}
	tu_list_free(list);
	printf("corpus dates: %zu parsed, %zu rejected\n", ok, bad);
	assert_true(ok > 150);
	assert_true(bad <= 4); /* empty, "Thu,", "29 paX 2007", hour 59 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gmime),
	    cmocka_unit_test(test_dovecot),
	    cmocka_unit_test(test_mbox_from),
	    cmocka_unit_test(test_lenient),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_epoch),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_guard),
	    cmocka_unit_test(test_corpus_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
