/* SPDX-License-Identifier: MIT */
/*
 * date.c - RFC 5322 date-time (3.3) with the obsolete forms of 4.3, the
 * formatter, and conversion to and from seconds since the epoch without
 * the process time zone (no localtime, mktime or TZ: the proleptic
 * Gregorian calendar is computed directly).
 *
 *	date-time = [ day-of-week "," ] date time [CFWS]
 *	date      = day month year
 *	time      = hour ":" minute [ ":" second ] FWS zone
 *	zone      = ("+" / "-") 4DIGIT / obs-zone
 *
 * Policy (RFC 7103: be as lenient as real mail needs where the meaning is
 * unambiguous; every deviation is MF_D_OBSOLETE unless noted):
 *  - The US order "May 8, 2005 1:17 PM"; a 12-hour time with AM or PM
 *    in any order ("18 Feb 01 12:29:13 AM" is 00:29:13).
 *  - Names of days, months and zones are case-insensitive (RFC 5234 2.3:
 *    ABNF strings are), so lowercase is no defect. Full names ("Monday",
 *    "January") are accepted.
 *  - Missing comma after the day name; "-" between day, month and year
 *    ("17-Jan-2008"); asctime order ("Sat Mar 24 21:23:03 EDT 2007", also
 *    the mbox From_ line form "Fri Jan  2 10:14 1970 +0000").
 *  - Two-digit years: 00-49 are 2000-2049, 50-99 are 1950-1999; three
 *    digits add 1900 (4.3).
 *  - A single-digit hour or minute; "." as the time separator.
 *  - Alphabetic zones: UT, GMT, UTC and the US zones with their offsets;
 *    military letters and unknown names are "-0000" (4.3); a missing zone
 *    is taken as UTC with the offset unknown (tz_unknown).
 *  - A wrong day of week is MF_D_DATE_BAD_DOW (the date wins); anything
 *    after a complete date other than comments is MF_D_TRAILING_GARBAGE.
 *  - Rejected: numeric months ("17-6-2008": day-month or month-day?), a
 *    missing time, fields out of range (day past the month's end, hour 24,
 *    minute 60, second 61, zone minutes 60, years before 1900 or after
 *    9999); the error's offset is the field's.
 */
#include "header.h"
#include "lex.h"

static const char *const mon_names[12] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
static const char *const mon_full[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat"};
static const char *const day_full[7] = {"Sunday",   "Monday", "Tuesday",
					"Wednesday", "Thursday", "Friday",
					"Saturday"};

/* ---------------------------------------------------------------------- */
/* Calendar                                                                */
/* ---------------------------------------------------------------------- */

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : md[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday. */
	int64_t w = (days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static void
fill_computed(mf_date *d)
{
	int64_t days = days_from_civil(d->year, d->month, d->day);

	d->wday = weekday(days);
	d->yday = (int)(days - days_from_civil(d->year, 1, 1));
}

static bool
valid(const mf_date *d)
{
	return d->year >= 1900 && d->year <= 9999 && d->month >= 1 &&
	       d->month <= 12 && d->day >= 1 &&
	       d->day <= mdays(d->year, d->month) && d->hour >= 0 &&
	       d->hour <= 23 && d->min >= 0 && d->min <= 59 && d->sec >= 0 &&
	       d->sec <= 60 && d->tz_offset > -100 * 60 &&
	       d->tz_offset < 100 * 60;
}

int
mf_date_to_time(const mf_date *d, int64_t *t)
{
	int64_t days;

	if (d == NULL || t == NULL || !valid(d))
		return MF_E_INVAL;
	days = days_from_civil(d->year, d->month, d->day);
	*t = days * 86400 + d->hour * 3600 + d->min * 60 +
	     (d->sec > 59 ? 59 : d->sec) - (int64_t)d->tz_offset * 60;
	return MF_OK;
}

int
mf_date_from_time(int64_t t, int tz_offset, mf_date *d)
{
	int64_t local, days, secs, y;
	int m, dd;

	/* Years 1900-9999 only: keeps every product far from overflow. */
	if (d == NULL || tz_offset <= -100 * 60 || tz_offset >= 100 * 60 ||
	    t < -2208988800LL - 86400 || t > 253402300799LL + 86400)
		return MF_E_INVAL;
	local = t + (int64_t)tz_offset * 60;
	days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	secs = local - days * 86400;
	civil_from_days(days, &y, &m, &dd);
	if (y < 1900 || y > 9999)
		return MF_E_INVAL;
	memset(d, 0, sizeof(*d));
	d->year = (int)y;
	d->month = m;
	d->day = dd;
	d->hour = (int)(secs / 3600);
	d->min = (int)(secs / 60 % 60);
	d->sec = (int)(secs % 60);
	d->tz_offset = tz_offset;
	fill_computed(d);
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Formatting                                                              */
/* ---------------------------------------------------------------------- */

static char *
put2(char *q, int v)
{
	*q++ = (char)('0' + v / 10 % 10);
	*q++ = (char)('0' + v % 10);
	return q;
}

static char *
put_str(char *q, const char *s)
{
	while (*s)
		*q++ = *s++;
	return q;
}

int
mf_date_format(char *out, size_t cap, const mf_date *d, unsigned flags,
	       size_t *outlen)
{
	char tmp[40], *q = tmp;
	mf_date c;
	int off;
	size_t len;

	if (d == NULL || (out == NULL && cap != 0) || (flags & ~MF_DATE_ISO))
		return MF_E_INVAL;
	if (!valid(d))
		return MF_E_INVAL;
	c = *d;
	fill_computed(&c);
	off = c.tz_offset < 0 ? -c.tz_offset : c.tz_offset;
	if (flags & MF_DATE_ISO) {
		/* 1994-01-17T11:14:55-05:00; RFC 3339 writes -00:00 for an
		 * unknown local offset, like RFC 5322's -0000. */
		q = put2(q, c.year / 100);
		q = put2(q, c.year % 100);
		*q++ = '-';
		q = put2(q, c.month);
		*q++ = '-';
		q = put2(q, c.day);
		*q++ = 'T';
		q = put2(q, c.hour);
		*q++ = ':';
		q = put2(q, c.min);
		*q++ = ':';
		q = put2(q, c.sec);
		*q++ = (c.tz_offset < 0 || c.tz_unknown) ? '-' : '+';
		q = put2(q, off / 60);
		*q++ = ':';
		q = put2(q, off % 60);
	} else {
		q = put_str(q, day_names[c.wday]);
		*q++ = ',';
		*q++ = ' ';
		q = put2(q, c.day);
		*q++ = ' ';
		q = put_str(q, mon_names[c.month - 1]);
		*q++ = ' ';
		q = put2(q, c.year / 100);
		q = put2(q, c.year % 100);
		*q++ = ' ';
		q = put2(q, c.hour);
		*q++ = ':';
		q = put2(q, c.min);
		*q++ = ':';
		q = put2(q, c.sec);
		*q++ = ' ';
		*q++ = (c.tz_offset < 0 || c.tz_unknown) ? '-' : '+';
		q = put2(q, off / 60);
		q = put2(q, off % 60);
	}
	len = (size_t)(q - tmp);
	if (outlen != NULL)
		*outlen = len;
	if (cap < len + 1)
		return MF_E_NOSPC;
	memcpy(out, tmp, len);
	out[len] = '\0';
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Parsing                                                                 */
/* ---------------------------------------------------------------------- */

enum { T_END, T_NUM, T_WORD, T_CHAR };

typedef struct tok {
	int type;
	const char *p;
	size_t len;
	long num; /* T_NUM, saturated */
} tok;

typedef struct dp {
	mf__lex lx;
	tok t; /* current token */
	int rc;
	const char *bad;
	const char *why;
	const char *day_at, *time_at, *min_at, *sec_at, *year_at;
} dp;

/* Reads the next token after CFWS (comments are skipped by the lexer). */
static void
next(dp *x)
{
	mf__lex *lx = &x->lx;
	const char *s;

	mf__lex_cfws(lx);
	s = lx->p;
	x->t.p = s;
	x->t.len = 0;
	x->t.num = 0;
	if (s >= lx->end) {
		x->t.type = T_END;
		return;
	}
	if (*s >= '0' && *s <= '9') {
		while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
			if (x->t.num < 100000)
				x->t.num = x->t.num * 10 + (*lx->p - '0');
			lx->p++;
		}
		x->t.type = T_NUM;
	} else if (mf__is((unsigned char)*s, MF__C_ALPHA)) {
		while (lx->p < lx->end &&
		       mf__is((unsigned char)*lx->p, MF__C_ALPHA))
			lx->p++;
		x->t.type = T_WORD;
	} else {
		lx->p++;
		x->t.type = T_CHAR;
	}
	x->t.len = (size_t)(lx->p - s);
}

static int
fail(dp *x, const char *at, const char *why)
{
	if (x->rc == MF_OK) {
		x->rc = MF_E_SYNTAX;
		x->bad = at;
		x->why = why;
	}
	return x->rc;
}

static int
obs(dp *x, int d, const char *at)
{
	mf__lex_defect(&x->lx, d, at);
	if (x->lx.rc < 0 && x->rc == MF_OK) {
		x->rc = MF_E_DEFECT;
		x->bad = x->lx.err_at;
		x->why = mf_defect_str(d);
	}
	return x->rc;
}

static bool
is_char(const dp *x, char c)
{
	return x->t.type == T_CHAR && x->t.p[0] == c;
}

/* Index of the word among short or full names, or -1; *full if full. */
static int
lookup(const tok *t, const char *const *names, const char *const *full,
       int count, bool *isfull)
{
	int i;

	*isfull = false;
	if (t->type != T_WORD)
		return -1;
	for (i = 0; i < count; i++) {
		if (mf__ieq(t->p, t->len, names[i], 3))
			return i;
	}
	for (i = 0; i < count; i++) {
		if (mf__ieq(t->p, t->len, full[i], strlen(full[i]))) {
			*isfull = true;
			return i;
		}
	}
	return -1;
}

static int
month(dp *x, mf_date *d)
{
	bool full;
	int m = lookup(&x->t, mon_names, mon_full, 12, &full);

	if (m < 0) {
		if (x->t.type == T_NUM)
			return fail(x, x->t.p, "numeric month");
		return fail(x, x->t.p, "month expected");
	}
	if (full)
		obs(x, MF_D_OBSOLETE, x->t.p);
	d->month = m + 1;
	next(x);
	return x->rc;
}

static int
day(dp *x, mf_date *d)
{
	if (x->t.type != T_NUM || x->t.len > 2)
		return fail(x, x->t.p, "day expected");
	x->day_at = x->t.p;
	d->day = (int)x->t.num;
	next(x);
	return x->rc;
}

/* year = 4*DIGIT / obs-year (2 or 3 digits, RFC 5322 4.3) */
static int
year(dp *x, mf_date *d)
{
	if (x->t.type != T_NUM || x->t.len < 2)
		return fail(x, x->t.p, "year expected");
	if (x->t.len > 4)
		return fail(x, x->t.p, "year out of range");
	x->year_at = x->t.p;
	if (x->t.len == 2) {
		d->year = (int)(x->t.num < 50 ? 2000 + x->t.num
					      : 1900 + x->t.num);
		obs(x, MF_D_OBSOLETE, x->t.p);
	} else if (x->t.len == 3) {
		d->year = (int)(1900 + x->t.num);
		obs(x, MF_D_OBSOLETE, x->t.p);
	} else {
		d->year = (int)x->t.num;
	}
	next(x);
	return x->rc;
}

/* "AM" / "PM" after a 12-hour time (US dates, and in any order). */
static void
ampm(dp *x, mf_date *d)
{
	bool pm;

	if (x->t.type != T_WORD || x->t.len != 2 ||
	    mf__lower((unsigned char)x->t.p[1]) != 'm')
		return;
	if (mf__lower((unsigned char)x->t.p[0]) == 'p')
		pm = true;
	else if (mf__lower((unsigned char)x->t.p[0]) == 'a')
		pm = false;
	else
		return;
	if (d->hour < 1 || d->hour > 12) {
		fail(x, x->time_at, "hour out of range");
		return;
	}
	d->hour = d->hour % 12 + (pm ? 12 : 0);
	obs(x, MF_D_OBSOLETE, x->t.p);
	next(x);
}

/*
 * time-of-day = hour ":" minute [ ":" second ], then leniently "AM" or
 * "PM" (a 12-hour time, whatever the order of the date around it).
 */
static int
time_of_day(dp *x, mf_date *d)
{
	char sep;

	if (x->t.type != T_NUM || x->t.len > 2)
		return fail(x, x->t.p, "time expected");
	x->time_at = x->t.p;
	if (x->t.len == 1)
		obs(x, MF_D_OBSOLETE, x->t.p);
	d->hour = (int)x->t.num;
	next(x);
	if (!is_char(x, ':') && !is_char(x, '.'))
		return fail(x, x->t.p, "time expected");
	sep = x->t.p[0];
	if (sep == '.')
		obs(x, MF_D_OBSOLETE, x->t.p);
	next(x);
	if (x->t.type != T_NUM || x->t.len > 2)
		return fail(x, x->t.p, "minute expected");
	if (x->t.len == 1)
		obs(x, MF_D_OBSOLETE, x->t.p);
	x->min_at = x->t.p;
	d->min = (int)x->t.num;
	next(x);
	d->sec = 0;
	if (is_char(x, sep)) {
		next(x);
		if (x->t.type != T_NUM || x->t.len != 2)
			return fail(x, x->t.p, "second expected");
		x->sec_at = x->t.p;
		d->sec = (int)x->t.num;
		next(x);
	}
	ampm(x, d);
	return x->rc;
}

/* Whether the current token is a zone; if so consumes it into d. */
static bool
zone(dp *x, mf_date *d)
{
	static const struct {
		const char *name;
		int off;
	} named[] = {{"UT", 0},	    {"GMT", 0},	    {"UTC", 0},
		     {"EST", -300}, {"EDT", -240}, {"CST", -360},
		     {"CDT", -300}, {"MST", -420}, {"MDT", -360},
		     {"PST", -480}, {"PDT", -420}};
	size_t i;

	if (is_char(x, '+') || is_char(x, '-')) {
		const char *s = x->t.p;
		int sign = *s == '-' ? -1 : 1;

		next(x);
		if (x->t.type != T_NUM || x->t.len != 4 || x->t.p != s + 1) {
			fail(x, s, "zone expected");
			return true;
		}
		/* RFC 5322 3.3: -9959 to +9959, minutes below 60. */
		if (x->t.num % 100 > 59) {
			fail(x, x->t.p + 2, "zone minutes out of range");
			return true;
		}
		d->tz_offset = sign * (int)(x->t.num / 100 * 60 + x->t.num % 100);
		d->tz_unknown = sign < 0 && x->t.num == 0;
		next(x);
		return true;
	}
	if (x->t.type != T_WORD || x->t.len > 5)
		return false;
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (mf__ieq(x->t.p, x->t.len, named[i].name,
			    strlen(named[i].name))) {
			d->tz_offset = named[i].off;
			d->tz_unknown = 0;
			obs(x, MF_D_OBSOLETE, x->t.p);
			next(x);
			return true;
		}
	}
	/* Military letters and unknown names: "-0000" (RFC 5322 4.3). */
	if (x->t.len >= 3 || (x->t.len == 1 && mf__lower(*x->t.p) != 'j')) {
		d->tz_offset = 0;
		d->tz_unknown = 1;
		obs(x, MF_D_OBSOLETE, x->t.p);
		next(x);
		return true;
	}
	return false;
}

int
mf_date_parse(const char *p, size_t n, const mf_opts *o, mf_date *d,
	      uint64_t *defects, mf_error *err)
{
	return mf__date_parse(p, n, o, 0, d, defects, err);
}

int
mf__date_parse(const char *p, size_t n, const mf_opts *o, uint64_t off0,
	       mf_date *d, uint64_t *defects, mf_error *err)
{
	dp x;
	mf_date r;
	const char *dow_at = NULL;
	int dow = -1;
	bool full, have_zone = false;

	if (d == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (p == NULL)
		p = "";
	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	mf__lex_init(&x.lx, p, n, o, off0);
	next(&x);
	/* [ day-of-week "," ] */
	if (x.t.type == T_WORD &&
	    lookup(&x.t, day_names, day_full, 7, &full) >= 0) {
		dow = lookup(&x.t, day_names, day_full, 7, &full);
		dow_at = x.t.p;
		if (full)
			obs(&x, MF_D_OBSOLETE, x.t.p);
		next(&x);
		if (is_char(&x, ','))
			next(&x);
		else
			obs(&x, MF_D_OBSOLETE, x.t.p);
	}
	if (x.t.type == T_WORD) {
		/*
		 * asctime: month day time [zone] year [zone], or the US
		 * order: month day [","] year time [AM / PM] [zone].
		 */
		obs(&x, MF_D_OBSOLETE, x.t.p);
		if (month(&x, &r) == MF_OK && day(&x, &r) == MF_OK) {
			if (is_char(&x, ','))
				next(&x);
			if (x.t.type == T_NUM && x.t.p + x.t.len < x.lx.end &&
			    (x.t.p[x.t.len] == ':' || x.t.p[x.t.len] == '.')) {
				if (time_of_day(&x, &r) == MF_OK)
					have_zone = zone(&x, &r);
				if (x.rc == MF_OK && year(&x, &r) == MF_OK &&
				    x.t.type != T_END)
					have_zone = zone(&x, &r) || have_zone;
			} else if (year(&x, &r) == MF_OK &&
				   time_of_day(&x, &r) == MF_OK) {
				have_zone = zone(&x, &r);
			}
		}
	} else {
		/* day month year, "-" separated leniently */
		if (day(&x, &r) == MF_OK) {
			bool dash = is_char(&x, '-');

			if (dash) {
				obs(&x, MF_D_OBSOLETE, x.t.p);
				next(&x);
			}
			if (month(&x, &r) == MF_OK && dash) {
				if (is_char(&x, '-'))
					next(&x);
				else
					fail(&x, x.t.p, "'-' expected");
			}
		}
		if (x.rc == MF_OK && year(&x, &r) == MF_OK &&
		    time_of_day(&x, &r) == MF_OK)
			have_zone = zone(&x, &r);
	}
	if (x.rc == MF_OK && !have_zone) {
		/* No zone: UTC, offset unknown (Dovecot reads it as +0000). */
		r.tz_offset = 0;
		r.tz_unknown = 1;
		obs(&x, MF_D_OBSOLETE, x.t.p);
	}
	if (x.rc == MF_OK && x.t.type != T_END)
		obs(&x, MF_D_TRAILING_GARBAGE, x.t.p);
	if (x.rc == MF_OK) {
		if (r.year < 1900 || r.year > 9999)
			fail(&x, x.year_at, "year out of range");
		else if (r.day < 1 || r.day > mdays(r.year, r.month))
			fail(&x, x.day_at, "day out of range");
		else if (r.hour > 23)
			fail(&x, x.time_at, "hour out of range");
		else if (r.min > 59)
			fail(&x, x.min_at, "minute out of range");
		else if (r.sec > 60)
			fail(&x, x.sec_at, "second out of range");
	}
	if (x.rc == MF_OK) {
		fill_computed(&r);
		if (dow >= 0 && dow != r.wday)
			obs(&x, MF_D_DATE_BAD_DOW, dow_at);
	}
	if (x.rc == MF_OK && x.lx.rc < 0) {
		/* Strict: an unterminated comment. */
		x.rc = x.lx.rc;
		x.bad = x.lx.err_at;
		x.why = mf_defect_str(MF_D_UNTERMINATED);
	}
	if (defects != NULL)
		*defects |= x.lx.defects;
	if (x.rc < 0)
		return mf__err(err, x.rc, (size_t)(x.bad - p), x.why);
	*d = r;
	return MF_OK;
}
