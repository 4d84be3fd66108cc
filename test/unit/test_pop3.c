/* SPDX-License-Identifier: MIT */
/*
 * test_pop3.c - POP3: command and reply lines (tables with codes and
 * offsets, format -> parse round trips, limits, guard pages), listings and
 * capabilities, APOP (RFC 1939 7), the server machine (RFC 1939 10 and
 * the lecture transcript replayed, every state refusal, over-long lines,
 * STLS injection, AUTH exchanges, a byte at a time equal to at once) and
 * the client machine.
 */
#include <ctype.h>

#include "tutil.h"

#include "header.h"

#define S(x) x, sizeof(x) - 1
/* A span of a literal: in initializers (SI) and expressions (STR). */
#define SI(s) {s, sizeof(s) - 1}
#define STR(s) ((mf_str)SI(s))
#define CMD(...) (&(mf_pop3_cmd){__VA_ARGS__})

static const mf_opts lf_opts = {.flags = MF_ACCEPT_LF};

/* ---------------------------------------------------------------------- */
/* Commands                                                                */
/* ---------------------------------------------------------------------- */

static const struct cmd_case {
	const char *in;
	int lf;           /* MF_ACCEPT_LF */
	int rc;
	size_t off;       /* error offset */
	size_t used;      /* *consumed */
	int verb;
	const char *arg, *arg2;
	uint64_t msg, lines;
} cmd_cases[] = {
    /* RFC 1939 examples. */
    {"USER mrose\r\n", 0, MF_OK, 0, 12, MF_POP3_USER, "mrose", "", 0, 0},
    {"PASS secret\r\n", 0, MF_OK, 0, 13, MF_POP3_PASS, "secret", "", 0, 0},
    {"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", 0, MF_OK, 0, 45,
     MF_POP3_APOP, "mrose", "c4c9334bac560ecc979e58001b3e22fb", 0, 0},
    {"STAT\r\n", 0, MF_OK, 0, 6, MF_POP3_STAT, "", "", 0, 0},
    {"LIST\r\n", 0, MF_OK, 0, 6, MF_POP3_LIST, "", "", 0, 0},
    {"LIST 2\r\n", 0, MF_OK, 0, 8, MF_POP3_LIST, "", "", 2, 0},
    {"RETR 1\r\n", 0, MF_OK, 0, 8, MF_POP3_RETR, "", "", 1, 0},
    {"DELE 1\r\n", 0, MF_OK, 0, 8, MF_POP3_DELE, "", "", 1, 0},
    {"NOOP\r\n", 0, MF_OK, 0, 6, MF_POP3_NOOP, "", "", 0, 0},
    {"RSET\r\n", 0, MF_OK, 0, 6, MF_POP3_RSET, "", "", 0, 0},
    {"QUIT\r\n", 0, MF_OK, 0, 6, MF_POP3_QUIT, "", "", 0, 0},
    {"TOP 1 10\r\n", 0, MF_OK, 0, 10, MF_POP3_TOP, "", "", 1, 10},
    {"TOP 100 0\r\n", 0, MF_OK, 0, 11, MF_POP3_TOP, "", "", 100, 0},
    {"UIDL\r\n", 0, MF_OK, 0, 6, MF_POP3_UIDL, "", "", 0, 0},
    {"UIDL 3\r\n", 0, MF_OK, 0, 8, MF_POP3_UIDL, "", "", 3, 0},
    {"CAPA\r\n", 0, MF_OK, 0, 6, MF_POP3_CAPA, "", "", 0, 0},
    {"STLS\r\n", 0, MF_OK, 0, 6, MF_POP3_STLS, "", "", 0, 0},
    /* RFC 5034 AUTH. */
    {"AUTH PLAIN\r\n", 0, MF_OK, 0, 12, MF_POP3_AUTH, "PLAIN", "", 0, 0},
    {"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n", 0, MF_OK, 0, 33, MF_POP3_AUTH,
     "PLAIN", "dGVzdAB0ZXN0AHRlc3Q=", 0, 0},
    {"AUTH X-OAUTH_2 =\r\n", 0, MF_OK, 0, 18, MF_POP3_AUTH, "X-OAUTH_2", "=",
     0, 0},
    {"AUTH\r\n", 0, MF_OK, 0, 6, MF_POP3_AUTH, "", "", 0, 0},
    {"AUTH PL@IN\r\n", 0, MF_E_SYNTAX, 7, 12, MF_POP3_AUTH, "", "", 0, 0},
    {"AUTH ABCDEFGHIJKLMNOPQRSTU\r\n", 0, MF_E_SYNTAX, 25, 28, MF_POP3_AUTH,
     "", "", 0, 0},
    {"AUTH PLAIN a!b\r\n", 0, MF_E_SYNTAX, 12, 16, MF_POP3_AUTH, "PLAIN", "",
     0, 0},
    {"AUTH PLAIN a b\r\n", 0, MF_E_SYNTAX, 12, 16, MF_POP3_AUTH, "", "", 0,
     0},
    /* Case, passwords with spaces, 8-bit names, unknown commands. */
    {"user joe\r\n", 0, MF_OK, 0, 10, MF_POP3_USER, "joe", "", 0, 0},
    {"Retr 12\r\n", 0, MF_OK, 0, 9, MF_POP3_RETR, "", "", 12, 0},
    {"PASS  two  spaces \r\n", 0, MF_OK, 0, 20, MF_POP3_PASS, " two  spaces ",
     "", 0, 0},
    {"USER j\xc3\xb6rg\r\n", 0, MF_OK, 0, 12, MF_POP3_USER, "j\xc3\xb6rg", "",
     0, 0},
    {"XTND XMIT now\r\n", 0, MF_OK, 0, 15, MF_POP3_UNKNOWN, "XMIT now", "", 0,
     0},
    {"LAST\r\n", 0, MF_OK, 0, 6, MF_POP3_UNKNOWN, "", "", 0, 0},
    {"UTF8\r\n", 0, MF_OK, 0, 6, MF_POP3_UNKNOWN, "", "", 0, 0},
    /* Numbers. */
    {"RETR 0\r\n", 0, MF_E_SYNTAX, 5, 8, MF_POP3_RETR, "", "", 0, 0},
    {"RETR 007\r\n", 0, MF_OK, 0, 10, MF_POP3_RETR, "", "", 7, 0},
    {"RETR -1\r\n", 0, MF_E_SYNTAX, 5, 9, MF_POP3_RETR, "", "", 0, 0},
    {"RETR +1\r\n", 0, MF_E_SYNTAX, 5, 9, MF_POP3_RETR, "", "", 0, 0},
    {"RETR 1x\r\n", 0, MF_E_SYNTAX, 6, 9, MF_POP3_RETR, "", "", 0, 0},
    {"RETR 18446744073709551615\r\n", 0, MF_OK, 0, 27, MF_POP3_RETR, "", "",
     UINT64_MAX, 0},
    {"RETR 18446744073709551616\r\n", 0, MF_E_SYNTAX, 24, 27, MF_POP3_RETR,
     "", "", 0, 0},
    {"TOP 1 99999999\r\n", 0, MF_OK, 0, 16, MF_POP3_TOP, "", "", 1, 99999999},
    {"TOP 1\r\n", 0, MF_E_SYNTAX, 5, 7, MF_POP3_TOP, "", "", 0, 0},
    {"TOP 1 x\r\n", 0, MF_E_SYNTAX, 6, 9, MF_POP3_TOP, "", "", 1, 0},
    {"TOP 0 1\r\n", 0, MF_E_SYNTAX, 4, 9, MF_POP3_TOP, "", "", 0, 0},
    {"RETR\r\n", 0, MF_E_SYNTAX, 4, 6, MF_POP3_RETR, "", "", 0, 0},
    {"LIST 1 2\r\n", 0, MF_E_SYNTAX, 6, 10, MF_POP3_LIST, "", "", 0, 0},
    /* One SP between arguments, no trailing space, no controls. */
    {"RETR  1\r\n", 0, MF_E_SYNTAX, 5, 9, MF_POP3_RETR, "", "", 0, 0},
    {"RETR 1 \r\n", 0, MF_E_SYNTAX, 7, 9, MF_POP3_RETR, "", "", 0, 0},
    {"STAT \r\n", 0, MF_E_SYNTAX, 5, 7, MF_POP3_STAT, "", "", 0, 0},
    {"STAT x\r\n", 0, MF_E_SYNTAX, 4, 8, MF_POP3_STAT, "", "", 0, 0},
    {"USER\r\n", 0, MF_E_SYNTAX, 4, 6, MF_POP3_USER, "", "", 0, 0},
    {"USER a b\r\n", 0, MF_E_SYNTAX, 6, 10, MF_POP3_USER, "", "", 0, 0},
    {"USER a\tb\r\n", 0, MF_E_SYNTAX, 6, 10, MF_POP3_USER, "", "", 0, 0},
    {"USER a\rb\r\n", 0, MF_E_SYNTAX, 6, 10, MF_POP3_USER, "", "", 0, 0},
    {"PASS\r\n", 0, MF_E_SYNTAX, 4, 6, MF_POP3_PASS, "", "", 0, 0},
    {"PASS \r\n", 0, MF_E_SYNTAX, 5, 7, MF_POP3_PASS, "", "", 0, 0},
    {"PASS a\0b\r\n", 0, MF_E_SYNTAX, 6, 10, MF_POP3_PASS, "", "", 0, 0},
    {"APOP mrose\r\n", 0, MF_E_SYNTAX, 10, 12, MF_POP3_APOP, "", "", 0, 0},
    {"APOP mrose c4c9334bac560ecc979e58001b3e22f\r\n", 0, MF_E_SYNTAX, 42,
     44, MF_POP3_APOP, "mrose", "c4c9334bac560ecc979e58001b3e22f", 0, 0},
    {"APOP mrose c4c9334bac560ecc979e58001b3e22fg\r\n", 0, MF_E_SYNTAX, 42,
     45, MF_POP3_APOP, "mrose", "c4c9334bac560ecc979e58001b3e22fg", 0, 0},
    {"APOP mrose C4C9334BAC560ECC979E58001B3E22FB\r\n", 0, MF_OK, 0, 45,
     MF_POP3_APOP, "mrose", "C4C9334BAC560ECC979E58001B3E22FB", 0, 0},
    /* Keywords. */
    {"RE\r\n", 0, MF_E_SYNTAX, 0, 4, MF_POP3_UNKNOWN, "", "", 0, 0},
    {"RETRIEVE 1\r\n", 0, MF_E_SYNTAX, 0, 12, MF_POP3_UNKNOWN, "", "", 0, 0},
    {"\r\n", 0, MF_E_SYNTAX, 0, 2, MF_POP3_UNKNOWN, "", "", 0, 0},
    {" QUIT\r\n", 0, MF_E_SYNTAX, 0, 7, MF_POP3_UNKNOWN, "", "", 0, 0},
    {"QU\x01T\r\n", 0, MF_E_SYNTAX, 2, 6, MF_POP3_UNKNOWN, "", "", 0, 0},
    /* Line ends: strict CRLF, bare LF by flag, bare CR never. */
    {"QUIT", 0, MF_MORE, 0, 0, 0, "", "", 0, 0},
    {"QUIT\r", 0, MF_MORE, 0, 0, 0, "", "", 0, 0},
    {"QUIT\n", 0, MF_E_SYNTAX, 4, 5, 0, "", "", 0, 0},
    {"QUIT\n", 1, MF_OK, 0, 5, MF_POP3_QUIT, "", "", 0, 0},
    {"QUIT\r\n", 1, MF_OK, 0, 6, MF_POP3_QUIT, "", "", 0, 0},
    {"QUIT\rNOOP\r\n", 0, MF_E_SYNTAX, 4, 11, MF_POP3_UNKNOWN, "", "", 0, 0},
    {"USER a\nPASS b\r\n", 0, MF_E_SYNTAX, 6, 7, 0, "", "", 0, 0},
    /* What follows the line is not consumed (pipelining). */
    {"USER a\r\nPASS b\r\n", 0, MF_OK, 0, 8, MF_POP3_USER, "a", "", 0, 0},
};

static void
test_cmd_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];
		size_t n = strlen(c->in), used = 99;
		mf_pop3_cmd cmd;
		mf_error e = {0, 0, NULL};
		tu_guard g;
		const char *in;
		int rc;

		/* The NUL case: the table's strings hold it. */
		if (strncmp(c->in, "PASS a", 6) == 0 && n == 6)
			n = 10;
		in = tu_guard_new(&g, c->in, n);
		rc = mf_pop3_cmd_parse(in, n, c->lf ? &lf_opts : NULL, &cmd,
				       &used, &e);
		if (rc != c->rc || used != c->used ||
		    (rc < 0 && e.offset != c->off))
			fail_msg("case %zu %s: rc %d used %zu off %zu (%s)", i,
				 c->in, rc, used, e.offset,
				 e.reason ? e.reason : "");
		if (rc == MF_OK || rc == MF_E_SYNTAX) {
			if (cmd.verb != c->verb)
				fail_msg("case %zu: verb %d", i, cmd.verb);
		}
		if (rc == MF_OK) {
			tu_assert_mem(cmd.arg.ptr, cmd.arg.len, c->arg,
				      strlen(c->arg), c->in);
			tu_assert_mem(cmd.arg2.ptr, cmd.arg2.len, c->arg2,
				      strlen(c->arg2), c->in);
			if (cmd.msg != c->msg || cmd.lines != c->lines)
				fail_msg("case %zu: msg %llu lines %llu", i,
					 (unsigned long long)cmd.msg,
					 (unsigned long long)cmd.lines);
			if (c->verb != MF_POP3_UNKNOWN)
				assert_true(cmd.keyword.len >= 3);
		}
		tu_guard_free(&g);
	}
}

/* Line limits: 255 octets with CRLF by default (RFC 2449 4), else the
 * caller's max_line_len. */
static void
test_cmd_limits(void **state)
{
	char line[1100];
	mf_pop3_cmd cmd;
	mf_error e;
	mf_opts o;
	size_t used;

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "USER ", 5);
	/* 253 bytes + CRLF = 255: fits. */
	memcpy(line + 253, "\r\n", 2);
	assert_int_equal(mf_pop3_cmd_parse(line, 255, NULL, &cmd, &used, &e),
			 MF_OK);
	assert_int_equal(cmd.arg.len, 248);
	/* 254 + CRLF: too long, known as soon as 255 bytes hold no LF. */
	memset(line + 253, 'a', 2);
	memcpy(line + 254, "\r\n", 2);
	assert_int_equal(mf_pop3_cmd_parse(line, 256, NULL, &cmd, &used, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 255);
	assert_int_equal(used, 256);
	assert_int_equal(mf_pop3_cmd_parse(line, 255, NULL, &cmd, &used, &e),
			 MF_E_LIMIT);
	assert_int_equal(used, 255);
	assert_int_equal(mf_pop3_cmd_parse(line, 254, NULL, &cmd, &used, &e),
			 MF_MORE);
	assert_int_equal(used, 0);
	/* A raised limit. */
	memset(&o, 0, sizeof(o));
	o.limits.max_line_len = 1000;
	memset(line + 5, 'a', sizeof(line) - 5);
	memcpy(line + 998, "\r\n", 2);
	assert_int_equal(mf_pop3_cmd_parse(line, 1000, &o, &cmd, &used, &e),
			 MF_OK);
	memset(line + 998, 'a', 2);
	memcpy(line + 999, "\r\n", 2);
	assert_int_equal(mf_pop3_cmd_parse(line, 1001, &o, &cmd, &used, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 1000);
	/* Bad flags, NULL input. */
	o.flags = MF_STRICT;
	assert_int_equal(mf_pop3_cmd_parse("QUIT\r\n", 6, &o, &cmd, &used, &e),
			 MF_E_INVAL);
	assert_int_equal(mf_pop3_cmd_parse(NULL, 6, NULL, &cmd, &used, &e),
			 MF_E_INVAL);
	assert_int_equal(mf_pop3_cmd_parse(NULL, 0, NULL, &cmd, &used, &e),
			 MF_MORE);
	assert_int_equal(mf_pop3_cmd_parse("QUIT\r\n", 6, NULL, NULL, NULL,
					   NULL),
			 MF_OK);
}

static void
fmt_ok(const mf_pop3_cmd *c, const char *want)
{
	char out[300];
	size_t n = 0;
	int rc = mf_pop3_cmd_format(out, sizeof(out), c, &n);

	if (rc != MF_OK)
		fail_msg("format %s: %d", want, rc);
	tu_assert_mem(out, n, want, strlen(want), want);
}

static void
test_cmd_format(void **state)
{
	char out[300], big[300];
	size_t n, i;
	mf_pop3_cmd c;

	(void)state;
	fmt_ok(CMD(.verb = MF_POP3_USER, .arg = STR("mrose")), "USER mrose\r\n");
	fmt_ok(CMD(.verb = MF_POP3_PASS, .arg = STR("a b ")), "PASS a b \r\n");
	fmt_ok(CMD(.verb = MF_POP3_APOP, .arg = STR("mrose"),
		   .arg2 = STR("c4c9334bac560ecc979e58001b3e22fb")),
	       "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
	fmt_ok(CMD(.verb = MF_POP3_STAT), "STAT\r\n");
	fmt_ok(CMD(.verb = MF_POP3_LIST), "LIST\r\n");
	fmt_ok(CMD(.verb = MF_POP3_LIST, .msg = 2), "LIST 2\r\n");
	fmt_ok(CMD(.verb = MF_POP3_RETR, .msg = 18446744073709551615u),
	       "RETR 18446744073709551615\r\n");
	fmt_ok(CMD(.verb = MF_POP3_TOP, .msg = 1, .lines = 0), "TOP 1 0\r\n");
	fmt_ok(CMD(.verb = MF_POP3_UIDL), "UIDL\r\n");
	fmt_ok(CMD(.verb = MF_POP3_AUTH, .arg = STR("PLAIN"),
		   .arg2 = STR("=")),
	       "AUTH PLAIN =\r\n");
	fmt_ok(CMD(.verb = MF_POP3_AUTH), "AUTH\r\n");
	fmt_ok(CMD(.verb = MF_POP3_SASL, .arg = STR("dGVzdA==")),
	       "dGVzdA==\r\n");
	fmt_ok(CMD(.verb = MF_POP3_SASL, .arg = STR("*")), "*\r\n");
	fmt_ok(CMD(.verb = MF_POP3_SASL), "\r\n");
	fmt_ok(CMD(.verb = MF_POP3_UNKNOWN, .keyword = STR("XTND"),
		   .arg = STR("XMIT now")),
	       "XTND XMIT now\r\n");
	fmt_ok(CMD(.verb = MF_POP3_QUIT), "QUIT\r\n");

	/* What a command cannot carry. */
	static const mf_pop3_cmd bad[] = {
	    {.verb = MF_POP3_USER},
	    {.verb = MF_POP3_USER, .arg = SI("a b")},
	    {.verb = MF_POP3_USER, .arg = SI("a\r\nDELE 1")},
	    {.verb = MF_POP3_PASS},
	    {.verb = MF_POP3_PASS, .arg = SI("a\r\nDELE 1")},
	    {.verb = MF_POP3_APOP, .arg = SI("a"), .arg2 = SI("x")},
	    {.verb = MF_POP3_RETR},
	    {.verb = MF_POP3_STAT, .arg = SI("x")},
	    {.verb = MF_POP3_AUTH, .arg2 = SI("=")},
	    {.verb = MF_POP3_AUTH, .arg = SI("PL AIN")},
	    {.verb = MF_POP3_SASL, .arg = SI("a b")},
	    {.verb = MF_POP3_UNKNOWN, .keyword = SI("X")},
	    {.verb = MF_POP3_UNKNOWN, .keyword = SI("user"),
	     .arg = SI("a")},
	    {.verb = MF_POP3_GREETING},
	    {.verb = -1},
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mf_pop3_cmd_format(out, sizeof(out), &bad[i], &n) !=
		    MF_E_INVAL)
			fail_msg("bad command %zu formatted", i);
		assert_int_equal(n, 0);
	}
	/* Limits and room. */
	memset(big, 'x', sizeof(big));
	memset(&c, 0, sizeof(c));
	c.verb = MF_POP3_USER;
	c.arg = (mf_str){big, 248};
	assert_int_equal(mf_pop3_cmd_format(out, sizeof(out), &c, &n), MF_OK);
	assert_int_equal(n, 255);
	assert_int_equal(mf_pop3_cmd_format(out, 254, &c, &n), MF_E_NOSPC);
	c.arg.len = 249;
	assert_int_equal(mf_pop3_cmd_format(out, sizeof(out), &c, &n),
			 MF_E_LIMIT);
	c.verb = MF_POP3_SASL;
	c.arg = (mf_str){big, 290};
	assert_int_equal(mf_pop3_cmd_format(out, sizeof(out), &c, &n), MF_OK);
	assert_int_equal(n, 292);
	assert_int_equal(mf_pop3_cmd_format(NULL, 0, &c, &n), MF_E_NOSPC);
	assert_int_equal(mf_pop3_cmd_format(out, sizeof(out), NULL, &n),
			 MF_E_INVAL);
	assert_int_equal(mf_pop3_cmd_format(out, sizeof(out), &c, NULL),
			 MF_E_INVAL);
}

/* Every parsed command of the table formats to a line that parses back to
 * the same command (the canonical keyword aside). */
static void
test_cmd_roundtrip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		mf_pop3_cmd a, b;
		char out[300];
		size_t n, used;

		if (mf_pop3_cmd_parse(cmd_cases[i].in, strlen(cmd_cases[i].in), &lf_opts,
				      &a, &used, NULL) != MF_OK)
			continue;
		if (mf_pop3_cmd_format(out, sizeof(out), &a, &n) != MF_OK)
			fail_msg("case %zu does not format", i);
		assert_int_equal(mf_pop3_cmd_parse(out, n, NULL, &b, &used,
						   NULL),
				 MF_OK);
		assert_int_equal(used, n);
		assert_int_equal(a.verb, b.verb);
		assert_int_equal(a.msg, b.msg);
		assert_int_equal(a.lines, b.lines);
		tu_assert_mem(a.arg.ptr, a.arg.len, b.arg.ptr, b.arg.len,
			      cmd_cases[i].in);
		tu_assert_mem(a.arg2.ptr, a.arg2.len, b.arg2.ptr, b.arg2.len,
			      cmd_cases[i].in);
	}
}

/* ---------------------------------------------------------------------- */
/* Replies                                                                 */
/* ---------------------------------------------------------------------- */

static const struct reply_case {
	const char *in;
	int rc;
	size_t off, used;
	int status;
	const char *code, *text, *ts;
} replies[] = {
    {"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n", MF_OK, 0,
     57, MF_POP3_OK, "", "POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
     "<1896.697170952@dbc.mtview.ca.us>"},
    {"+OK\r\n", MF_OK, 0, 5, MF_POP3_OK, "", "", ""},
    {"+OK 2 320\r\n", MF_OK, 0, 11, MF_POP3_OK, "", "2 320", ""},
    {"-ERR no such message, only 2 messages in maildrop\r\n", MF_OK, 0, 51,
     MF_POP3_ERR, "", "no such message, only 2 messages in maildrop", ""},
    {"-ERR\r\n", MF_OK, 0, 6, MF_POP3_ERR, "", "", ""},
    /* RFC 2449 8 response codes. */
    {"-ERR [IN-USE] Do you have another POP session running?\r\n", MF_OK, 0,
     56, MF_POP3_ERR, "IN-USE", "Do you have another POP session running?",
     ""},
    {"-ERR [SYS/TEMP] Internal error\r\n", MF_OK, 0, 32, MF_POP3_ERR,
     "SYS/TEMP", "Internal error", ""},
    {"-ERR [AUTH]\r\n", MF_OK, 0, 13, MF_POP3_ERR, "AUTH", "", ""},
    {"+OK [XCLIENT] Dovecot ready.\r\n", MF_OK, 0, 30, MF_POP3_OK, "XCLIENT",
     "Dovecot ready.", ""},
    {"-ERR [SYS//TEMP] x\r\n", MF_OK, 0, 20, MF_POP3_ERR, "",
     "[SYS//TEMP] x", ""},
    {"-ERR [] x\r\n", MF_OK, 0, 11, MF_POP3_ERR, "", "[] x", ""},
    {"-ERR [IN USE] x\r\n", MF_OK, 0, 17, MF_POP3_ERR, "", "[IN USE] x", ""},
    {"-ERR [IN-USE x\r\n", MF_OK, 0, 16, MF_POP3_ERR, "", "[IN-USE x", ""},
    /* Timestamps. */
    {"+OK ready <>\r\n", MF_OK, 0, 14, MF_POP3_OK, "", "ready <>", ""},
    {"+OK ready <a b@c>\r\n", MF_OK, 0, 19, MF_POP3_OK, "", "ready <a b@c>",
     ""},
    {"+OK <x@y> and <z@w>\r\n", MF_OK, 0, 21, MF_POP3_OK, "",
     "<x@y> and <z@w>", "<x@y>"},
    {"-ERR <x@y>\r\n", MF_OK, 0, 12, MF_POP3_ERR, "", "<x@y>", ""},
    {"+OK Dovecot ready. <3d95.1.65747ff0.R0L1Fq1ZhtMC0w==@h>\r\n", MF_OK, 0,
     57, MF_POP3_OK, "", "Dovecot ready. <3d95.1.65747ff0.R0L1Fq1ZhtMC0w==@h>",
     "<3d95.1.65747ff0.R0L1Fq1ZhtMC0w==@h>"},
    /* RFC 5034 continuations. */
    {"+ VXNlcm5hbWU6\r\n", MF_OK, 0, 16, MF_POP3_CONT, "", "VXNlcm5hbWU6", ""},
    {"+ \r\n", MF_OK, 0, 4, MF_POP3_CONT, "", "", ""},
    {"+\r\n", MF_OK, 0, 3, MF_POP3_CONT, "", "", ""},
    /* Malformed. */
    {"+ok\r\n", MF_E_SYNTAX, 0, 5, 0, "", "", ""},
    {"+OKAY\r\n", MF_E_SYNTAX, 3, 7, 0, "", "", ""},
    {"-ERRor\r\n", MF_E_SYNTAX, 4, 8, 0, "", "", ""},
    {"OK\r\n", MF_E_SYNTAX, 0, 4, 0, "", "", ""},
    {"\r\n", MF_E_SYNTAX, 0, 2, 0, "", "", ""},
    {"+OK a\0b\r\n", MF_E_SYNTAX, 5, 9, 0, "", "", ""},
    {"+OK a\rb\r\n", MF_E_SYNTAX, 5, 9, 0, "", "", ""},
    {"+OK a\n", MF_E_SYNTAX, 5, 6, 0, "", "", ""},
    {"+OK a", MF_MORE, 0, 0, 0, "", "", ""},
    {"+OK a\r\nb\r\n", MF_OK, 0, 7, MF_POP3_OK, "", "a", ""},
};

static void
test_reply_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		const struct reply_case *c = &replies[i];
		size_t n = strlen(c->in), used = 99;
		mf_pop3_reply r;
		mf_error e = {0, 0, NULL};
		tu_guard g;
		const char *in;
		int rc;

		if (strncmp(c->in, "+OK a", 5) == 0 && n == 5 &&
		    c->rc == MF_E_SYNTAX)
			n = 9; /* the NUL case */
		in = tu_guard_new(&g, c->in, n);
		rc = mf_pop3_reply_parse(in, n, NULL, &r, &used, &e);
		if (rc != c->rc || used != c->used ||
		    (rc < 0 && e.offset != c->off))
			fail_msg("case %zu %s: rc %d used %zu off %zu", i,
				 c->in, rc, used, e.offset);
		if (rc == MF_OK) {
			assert_int_equal(r.status, c->status);
			tu_assert_mem(r.code.ptr, r.code.len, c->code,
				      strlen(c->code), c->in);
			tu_assert_mem(r.text.ptr, r.text.len, c->text,
				      strlen(c->text), c->in);
			tu_assert_mem(r.timestamp.ptr, r.timestamp.len, c->ts,
				      strlen(c->ts), c->in);
		}
		tu_guard_free(&g);
	}
}

static void
test_reply_limits(void **state)
{
	char line[13000];
	mf_pop3_reply r;
	mf_error e;
	size_t used;

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "-ERR ", 5);
	memcpy(line + 510, "\r\n", 2);
	assert_int_equal(mf_pop3_reply_parse(line, 512, NULL, &r, &used, &e),
			 MF_OK);
	line[510] = 'a';
	memcpy(line + 511, "\r\n", 2);
	assert_int_equal(mf_pop3_reply_parse(line, 513, NULL, &r, &used, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 512);
	/* A SASL challenge may be longer (12288 octets). */
	memset(line, 'a', sizeof(line));
	memcpy(line, "+ ", 2);
	memcpy(line + 12286, "\r\n", 2);
	assert_int_equal(
	    mf_pop3_reply_parse(line, 12288, NULL, &r, &used, &e), MF_OK);
	assert_int_equal(r.status, MF_POP3_CONT);
	assert_int_equal(r.text.len, 12284);
	memset(line + 12286, 'a', 2);
	assert_int_equal(
	    mf_pop3_reply_parse(line, 12288, NULL, &r, &used, &e),
	    MF_E_LIMIT);
}

static void
test_reply_format(void **state)
{
	char out[600], big[600];
	size_t n, i;
	mf_pop3_reply r;
	static const struct {
		mf_pop3_reply r;
		const char *want;
	} ok[] = {
	    {{.status = MF_POP3_OK, .text = SI("POP3 server ready <1@x>")},
	     "+OK POP3 server ready <1@x>\r\n"},
	    {{.status = MF_POP3_OK}, "+OK\r\n"},
	    {{.status = MF_POP3_ERR, .code = SI("IN-USE"),
	      .text = SI("locked")},
	     "-ERR [IN-USE] locked\r\n"},
	    {{.status = MF_POP3_ERR, .code = SI("SYS/PERM")},
	     "-ERR [SYS/PERM]\r\n"},
	    {{.status = MF_POP3_CONT, .text = SI("VXNlcm5hbWU6")},
	     "+ VXNlcm5hbWU6\r\n"},
	    {{.status = MF_POP3_CONT}, "+ \r\n"},
	};
	static const mf_pop3_reply bad[] = {
	    {.status = 0},
	    {.status = 4},
	    {.status = MF_POP3_OK, .text = SI("a\r\n+OK b")},
	    {.status = MF_POP3_OK, .text = SI("a\0b")},
	    {.status = MF_POP3_ERR, .code = SI("A/")},
	    {.status = MF_POP3_ERR, .code = SI("A B")},
	    {.status = MF_POP3_ERR, .code = SI("A]")},
	    {.status = MF_POP3_CONT, .code = SI("A")},
	    /* Text that would read back as a code. */
	    {.status = MF_POP3_OK, .text = SI("[IN-USE] x")},
	};

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(
		    mf_pop3_reply_format(out, sizeof(out), &ok[i].r, &n),
		    MF_OK);
		tu_assert_mem(out, n, ok[i].want, strlen(ok[i].want),
			      ok[i].want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mf_pop3_reply_format(out, sizeof(out), &bad[i], &n) !=
		    MF_E_INVAL)
			fail_msg("bad reply %zu formatted", i);
	}
	memset(big, 'x', sizeof(big));
	memset(&r, 0, sizeof(r));
	r.status = MF_POP3_OK;
	r.text = (mf_str){big, 506};
	assert_int_equal(mf_pop3_reply_format(out, sizeof(out), &r, &n),
			 MF_OK);
	assert_int_equal(n, 512);
	assert_int_equal(mf_pop3_reply_format(out, 511, &r, &n), MF_E_NOSPC);
	r.text.len = 507;
	assert_int_equal(mf_pop3_reply_format(out, sizeof(out), &r, &n),
			 MF_E_LIMIT);
}

/* ---------------------------------------------------------------------- */
/* Listings and capabilities                                               */
/* ---------------------------------------------------------------------- */

static void
test_listing(void **state)
{
	static const struct {
		int verb;
		const char *in;
		int rc;
		size_t off;
		uint64_t msg, size;
		const char *uid, *rest;
	} t[] = {
	    {MF_POP3_STAT, "2 320", MF_OK, 0, 2, 320, "", ""},
	    {MF_POP3_STAT, "0 0", MF_OK, 0, 0, 0, "", ""},
	    {MF_POP3_STAT, "2 320 more", MF_OK, 0, 2, 320, "", "more"},
	    {MF_POP3_LIST, "1 120", MF_OK, 0, 1, 120, "", ""},
	    {MF_POP3_LIST, "2 200 x y", MF_OK, 0, 2, 200, "", "x y"},
	    {MF_POP3_UIDL, "1 whqtswO00WBw418f9t5JxYwZ", MF_OK, 0, 1, 0,
	     "whqtswO00WBw418f9t5JxYwZ", ""},
	    {MF_POP3_UIDL, "2 QhdPYR:00WBw1Ph7x7", MF_OK, 0, 2, 0,
	     "QhdPYR:00WBw1Ph7x7", ""},
	    {MF_POP3_UIDL,
	     "3 0123456789012345678901234567890123456789012345678901234567890"
	     "123456789",
	     MF_OK, 0, 3, 0,
	     "0123456789012345678901234567890123456789012345678901234567890123"
	     "456789",
	     ""},
	    {MF_POP3_UIDL,
	     "3 0123456789012345678901234567890123456789012345678901234567890"
	     "1234567890",
	     MF_E_SYNTAX, 72, 0, 0, "", ""},
	    {MF_POP3_UIDL, "1 a b", MF_E_SYNTAX, 3, 0, 0, "", ""},
	    {MF_POP3_UIDL, "1 ", MF_E_SYNTAX, 2, 0, 0, "", ""},
	    {MF_POP3_UIDL, "1", MF_E_SYNTAX, 1, 0, 0, "", ""},
	    {MF_POP3_LIST, "0 120", MF_E_SYNTAX, 0, 0, 0, "", ""},
	    {MF_POP3_LIST, "x 120", MF_E_SYNTAX, 0, 0, 0, "", ""},
	    {MF_POP3_LIST, "1 12x", MF_E_SYNTAX, 4, 0, 0, "", ""},
	    {MF_POP3_LIST, "1  120", MF_E_SYNTAX, 2, 0, 0, "", ""},
	    {MF_POP3_LIST, "", MF_E_SYNTAX, 0, 0, 0, "", ""},
	    {MF_POP3_STAT, "2", MF_E_SYNTAX, 1, 0, 0, "", ""},
	    {MF_POP3_RETR, "1 2", MF_E_INVAL, 0, 0, 0, "", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_pop3_listing l;
		mf_error e = {0, 0, NULL};
		int rc = mf_pop3_listing_parse(t[i].in, strlen(t[i].in),
					       t[i].verb, &l, &e);

		if (rc != t[i].rc || (rc < 0 && e.offset != t[i].off))
			fail_msg("case %zu %s: rc %d off %zu", i, t[i].in, rc,
				 e.offset);
		if (rc != MF_OK)
			continue;
		assert_int_equal(l.msg, t[i].msg);
		assert_int_equal(l.size, t[i].size);
		tu_assert_mem(l.uid.ptr, l.uid.len, t[i].uid,
			      strlen(t[i].uid), t[i].in);
		tu_assert_mem(l.rest.ptr, l.rest.len, t[i].rest,
			      strlen(t[i].rest), t[i].in);
	}
}

static void
test_capa(void **state)
{
	/* RFC 2449 5's example, RFC 2449 6.7's EXPIRE forms, Dovecot's
	 * list (from dovecot-pop3.sh in the interop recipes) and more. */
	static const struct {
		const char *in;
		int rc;
		unsigned cap;
		const char *params;
		uint64_t value;
		int user;
	} t[] = {
	    {"TOP", MF_OK, MF_POP3_CAP_TOP, "", 0, 0},
	    {"USER", MF_OK, MF_POP3_CAP_USER, "", 0, 0},
	    {"SASL CRAM-MD5 KERBEROS_V4", MF_OK, MF_POP3_CAP_SASL,
	     "CRAM-MD5 KERBEROS_V4", 0, 0},
	    {"RESP-CODES", MF_OK, MF_POP3_CAP_RESP_CODES, "", 0, 0},
	    {"LOGIN-DELAY 900", MF_OK, MF_POP3_CAP_LOGIN_DELAY, "900", 900, 0},
	    {"PIPELINING", MF_OK, MF_POP3_CAP_PIPELINING, "", 0, 0},
	    {"EXPIRE 60", MF_OK, MF_POP3_CAP_EXPIRE, "60", 60, 0},
	    {"UIDL", MF_OK, MF_POP3_CAP_UIDL, "", 0, 0},
	    {"IMPLEMENTATION Shlemazle-Plotz-v302", MF_OK,
	     MF_POP3_CAP_IMPLEMENTATION, "Shlemazle-Plotz-v302", 0, 0},
	    {"EXPIRE 5 USER", MF_OK, MF_POP3_CAP_EXPIRE, "5 USER", 5, 1},
	    {"EXPIRE NEVER", MF_OK, MF_POP3_CAP_EXPIRE, "NEVER", UINT64_MAX, 0},
	    {"EXPIRE 0", MF_OK, MF_POP3_CAP_EXPIRE, "0", 0, 0},
	    {"LOGIN-DELAY 900 USER", MF_OK, MF_POP3_CAP_LOGIN_DELAY,
	     "900 USER", 900, 1},
	    {"STLS", MF_OK, MF_POP3_CAP_STLS, "", 0, 0},
	    {"AUTH-RESP-CODE", MF_OK, MF_POP3_CAP_AUTH_RESP_CODE, "", 0, 0},
	    {"UTF8 USER", MF_OK, MF_POP3_CAP_UTF8, "USER", 0, 0},
	    {"LANG", MF_OK, MF_POP3_CAP_LANG, "", 0, 0},
	    {"sasl plain", MF_OK, MF_POP3_CAP_SASL, "plain", 0, 0},
	    {"X-FOO bar", MF_OK, 0, "bar", 0, 0},
	    {"EXPIRE", MF_E_SYNTAX, 0, "", 0, 0},
	    {"EXPIRE soon", MF_E_SYNTAX, 0, "", 0, 0},
	    {"EXPIRE 5 ME", MF_E_SYNTAX, 0, "", 0, 0},
	    {"TOP ", MF_E_SYNTAX, 0, "", 0, 0},
	    {"TOP  x", MF_E_SYNTAX, 0, "", 0, 0},
	    {"", MF_E_SYNTAX, 0, "", 0, 0},
	    {".", MF_E_SYNTAX, 0, "", 0, 0},
	    {"A\tB", MF_E_SYNTAX, 0, "", 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_pop3_capa c;
		int rc = mf_pop3_capa_parse(t[i].in, strlen(t[i].in), &c, NULL);

		if (rc != t[i].rc)
			fail_msg("case %zu %s: rc %d", i, t[i].in, rc);
		if (rc != MF_OK)
			continue;
		assert_int_equal(c.cap, t[i].cap);
		tu_assert_mem(c.params.ptr, c.params.len, t[i].params,
			      strlen(t[i].params), t[i].in);
		assert_true(c.value == t[i].value);
		assert_int_equal(c.user, t[i].user);
	}
}

/* ---------------------------------------------------------------------- */
/* APOP                                                                    */
/* ---------------------------------------------------------------------- */

static void
test_apop(void **state)
{
	static const char ts[] = "<1896.697170952@dbc.mtview.ca.us>";
	char d[40];

	(void)state;
	/* RFC 1939 7. */
	memset(d, 0, sizeof(d));
	assert_int_equal(
	    mf_pop3_apop_digest(d, MF_POP3_DIGEST_LEN, S(ts), S("tanstaaf")),
	    MF_OK);
	assert_string_equal(d, "c4c9334bac560ecc979e58001b3e22fb");
	assert_int_equal(mf_pop3_apop_verify(S(ts), S("tanstaaf"), d, 32), 1);
	assert_int_equal(mf_pop3_apop_verify(S(ts), S("tanstaaf"),
					     S("C4C9334BAC560ECC979E58001B3E22FB")),
			 1);
	assert_int_equal(mf_pop3_apop_verify(S(ts), S("tanstaag"), d, 32), 0);
	assert_int_equal(mf_pop3_apop_verify(S("<1896.697170952@dbc.mtview>"),
					     S("tanstaaf"), d, 32),
			 0);
	assert_int_equal(mf_pop3_apop_verify(S(ts), S("tanstaaf"), d, 31), 0);
	assert_int_equal(mf_pop3_apop_verify(S(ts), S("tanstaaf"),
					     S("c4c9334bac560ecc979e58001b3e22fg")),
			 0);
	assert_int_equal(mf_pop3_apop_verify(S(ts), S("tanstaaf"),
					     S("c4c9334bac560ecc979e58001b3e22f\xfb")),
			 0);
	assert_int_equal(mf_pop3_apop_verify(NULL, 0, S("x"), d, 32), 0);
	assert_int_equal(mf_pop3_apop_digest(d, 31, S(ts), S("x")),
			 MF_E_NOSPC);
	assert_int_equal(mf_pop3_apop_digest(d, 32, ts, 0, S("x")),
			 MF_E_INVAL);
	/* An empty secret is hashed too (the timestamp alone). */
	assert_int_equal(mf_pop3_apop_digest(d, 32, S(ts), NULL, 0), MF_OK);
	assert_int_equal(mf_pop3_apop_verify(S(ts), NULL, 0, d, 32), 1);
	assert_int_equal(mf_pop3_apop_verify(S(ts), S("tanstaaf"), d, 32), 0);
}

/* ---------------------------------------------------------------------- */
/* Transcripts (C:/S: lines)                                               */
/* ---------------------------------------------------------------------- */

typedef struct tline {
	char who;    /* 'C' or 'S' */
	char *text;  /* without line end, NUL-terminated */
} tline;

typedef struct transcript {
	char *buf;
	tline line[200];
	size_t n;
} transcript;

/*
 * Reads a transcript under test/: lines "C: x" and "S: x" (the text after
 * one space; with rfc_indent after every space, as the RFC prints them
 * indented). Other lines, and "<...>" remarks outside data, are left out.
 */
static void
transcript_load(transcript *t, const char *rel, int rfc_indent)
{
	size_t n, i = 0;
	char *p;

	memset(t, 0, sizeof(*t));
	t->buf = tu_read(rel, &n);
	p = t->buf;
	while (p < t->buf + n) {
		char *e = strchr(p, '\n'), *s = p;

		assert_non_null(e);
		*e = '\0';
		if (e > p && e[-1] == '\r')
			e[-1] = '\0';
		while (rfc_indent && *s == ' ')
			s++;
		if ((s[0] == 'C' || s[0] == 'S') && s[1] == ':' &&
		    (s[2] == ' ' || s[2] == '\0')) {
			char *x = s[2] != '\0' ? s + 3 : s + 2;

			while (rfc_indent && *x == ' ')
				x++;
			assert_true(i < sizeof(t->line) / sizeof(t->line[0]));
			t->line[i].who = s[0];
			t->line[i].text = x;
			i++;
		}
		p = e + 1;
	}
	t->n = i;
}

/* The server side's bytes of t: every S: line with CRLF, remarks out. */
static char *
transcript_bytes(const transcript *t, char who, size_t *len)
{
	size_t i, n = 0;
	char *b;

	for (i = 0; i < t->n; i++)
		n += strlen(t->line[i].text) + 2;
	b = malloc(n + 1);
	assert_non_null(b);
	n = 0;
	for (i = 0; i < t->n; i++) {
		size_t k = strlen(t->line[i].text);

		if (t->line[i].who != who)
			continue;
		/* Remarks: "<open connection>", "<wait for connection>";
		 * "<the POP3 server sends message 1>" after a reply is data. */
		if (k > 0 && t->line[i].text[0] == '<' &&
		    t->line[i].text[k - 1] == '>' &&
		    (who == 'C' || i == 0 || t->line[i - 1].who != 'S'))
			continue;
		memcpy(b + n, t->line[i].text, k);
		memcpy(b + n + k, "\r\n", 2);
		n += k + 2;
	}
	b[n] = '\0';
	*len = n;
	return b;
}

static int
is_multi(const mf_pop3_cmd *c)
{
	return c->verb == MF_POP3_RETR || c->verb == MF_POP3_TOP ||
	       c->verb == MF_POP3_CAPA ||
	       ((c->verb == MF_POP3_LIST || c->verb == MF_POP3_UIDL) &&
		c->msg == 0);
}

/*
 * The server machine through a transcript: each client line is read, and
 * each reply the transcript's server sent is formatted by
 * mf_pop3_server_reply to the same bytes. Returns the final state.
 */
static int
server_replay(const transcript *t, const int *want_verbs, size_t nwant)
{
	mf_pop3_server sv;
	mf_pop3_cmd cmd;
	mf_pop3_reply r;
	char out[600];
	size_t i, used, n, k = 0;
	int multi = 0;

	assert_int_equal(mf_pop3_server_init(&sv, NULL), MF_OK);
	for (i = 0; i < t->n; i++) {
		const char *x = t->line[i].text;
		char line[600];

		if (x[0] == '<' && x[strlen(x) - 1] == '>' && !multi)
			continue;
		snprintf(line, sizeof(line), "%s\r\n", x);
		if (t->line[i].who == 'C') {
			assert_int_equal(mf_pop3_server_read(&sv, line,
							     strlen(line),
							     &cmd, &used, NULL),
					 MF_OK);
			assert_int_equal(used, strlen(line));
			assert_true(k < nwant);
			assert_int_equal(cmd.verb, want_verbs[k++]);
			multi = -is_multi(&cmd); /* after its +OK */
			continue;
		}
		if (multi > 0) {
			/* Data: the caller's; "." ends it. */
			if (strcmp(x, ".") == 0)
				multi = 0;
			continue;
		}
		assert_int_equal(mf_pop3_reply_parse(line, strlen(line), NULL,
						     &r, &used, NULL),
				 MF_OK);
		assert_int_equal(mf_pop3_server_reply(&sv, &r, out,
						      sizeof(out), &n),
				 MF_OK);
		tu_assert_mem(out, n, line, strlen(line), x);
		multi = multi < 0 && r.status == MF_POP3_OK;
	}
	assert_int_equal(k, nwant);
	return sv.state;
}

static void
test_server_rfc1939(void **state)
{
	static const int verbs[] = {MF_POP3_APOP, MF_POP3_STAT, MF_POP3_LIST,
				    MF_POP3_RETR, MF_POP3_DELE, MF_POP3_RETR,
				    MF_POP3_DELE, MF_POP3_QUIT};
	transcript t;

	(void)state;
	transcript_load(
	    &t, "corpus/smtp/rfc-examples/rfc1939-section10-example-pop3-session.txt",
	    1);
	assert_int_equal(server_replay(&t, verbs, 8), MF_POP3_CLOSED);
	free(t.buf);
}

static void
test_server_lecture(void **state)
{
	static const int verbs[] = {MF_POP3_USER, MF_POP3_PASS, MF_POP3_STAT,
				    MF_POP3_LIST, MF_POP3_RETR};
	transcript t;

	(void)state;
	transcript_load(
	    &t, "corpus/smtp/lecture-transcripts/pop3-2000-user-pass-retr.txt",
	    0);
	/* The notes end after RETR, logged in. */
	assert_int_equal(server_replay(&t, verbs, 5), MF_POP3_TRANSACTION);
	free(t.buf);
}

/* ---------------------------------------------------------------------- */
/* Server machine                                                          */
/* ---------------------------------------------------------------------- */

static const mf_pop3_reply OK = {.status = MF_POP3_OK};
static const mf_pop3_reply ERR = {.status = MF_POP3_ERR};
static const mf_pop3_reply CONT = {.status = MF_POP3_CONT};

/* Reads one line; returns the status and checks what was consumed. */
static int
sread(mf_pop3_server *sv, const char *line, mf_pop3_cmd *cmd, mf_error *e)
{
	size_t used = 0;
	int rc = mf_pop3_server_read(sv, line, strlen(line), cmd, &used, e);

	if (rc != MF_MORE && rc != MF_E_INVAL && used != strlen(line))
		fail_msg("%s: consumed %zu", line, used);
	return rc;
}

static void
sreply(mf_pop3_server *sv, const mf_pop3_reply *r)
{
	char out[100];
	size_t n;

	assert_int_equal(mf_pop3_server_reply(sv, r, out, sizeof(out), &n),
			 MF_OK);
}

/* A server greeted, and logged in when login is set. */
static void
server_at(mf_pop3_server *sv, int login)
{
	mf_pop3_cmd c;

	assert_int_equal(mf_pop3_server_init(sv, NULL), MF_OK);
	sreply(sv, &OK);
	assert_int_equal(sv->state, MF_POP3_AUTHORIZATION);
	if (!login)
		return;
	assert_int_equal(sread(sv, "USER a\r\n", &c, NULL), MF_OK);
	sreply(sv, &OK);
	assert_int_equal(sread(sv, "PASS b\r\n", &c, NULL), MF_OK);
	sreply(sv, &OK);
	assert_int_equal(sv->state, MF_POP3_TRANSACTION);
}

/* Which commands each state takes (RFC 1939 4-7, RFC 2449, RFC 2595). */
static void
test_server_states(void **state)
{
	static const char *const all[] = {
	    "USER a\r\n", "PASS b\r\n", "APOP a c4c9334bac560ecc979e58001b3e22fb\r\n",
	    "AUTH PLAIN\r\n", "STLS\r\n", "CAPA\r\n", "QUIT\r\n", "STAT\r\n",
	    "LIST\r\n", "RETR 1\r\n", "DELE 1\r\n", "NOOP\r\n", "RSET\r\n",
	    "TOP 1 1\r\n", "UIDL\r\n", "XTND x\r\n", "AUTH\r\n"};
	/* 1: allowed in AUTHORIZATION, after USER, in TRANSACTION. */
	static const char ok_auth[] = "10111110000000011";
	static const char ok_user[] = "01000110000000010";
	static const char ok_trans[] = "00000111111111110";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		mf_pop3_server sv;
		mf_pop3_cmd c;
		mf_error e;
		int rc;

		server_at(&sv, 0);
		rc = sread(&sv, all[i], &c, &e);
		if ((rc == MF_OK) != (ok_auth[i] == '1'))
			fail_msg("AUTHORIZATION %s: %d", all[i], rc);
		if (rc == MF_E_STATE)
			assert_int_equal(e.offset, 0);
		server_at(&sv, 0);
		assert_int_equal(sread(&sv, "USER a\r\n", &c, NULL), MF_OK);
		sreply(&sv, &OK);
		rc = sread(&sv, all[i], &c, &e);
		if ((rc == MF_OK) != (ok_user[i] == '1'))
			fail_msg("after USER %s: %d", all[i], rc);
		server_at(&sv, 1);
		rc = sread(&sv, all[i], &c, &e);
		if ((rc == MF_OK) != (ok_trans[i] == '1'))
			fail_msg("TRANSACTION %s: %d", all[i], rc);
		if (rc != MF_OK) {
			assert_int_equal(rc, MF_E_STATE);
			/* A refused command gets -ERR, nothing else. */
			assert_int_equal(mf_pop3_server_reply(
					     &sv, &OK, (char[64]){0}, 64,
					     &(size_t){0}),
					 MF_E_INVAL);
			sreply(&sv, &ERR);
			assert_int_equal(sv.state, MF_POP3_TRANSACTION);
		}
	}
}

static void
test_server_flow(void **state)
{
	mf_pop3_server sv;
	mf_pop3_cmd c;
	mf_error e;
	char out[64];
	size_t n, used;

	(void)state;
	/* Misuse: reading before the greeting, twice without a reply. */
	assert_int_equal(mf_pop3_server_init(&sv, NULL), MF_OK);
	assert_int_equal(sread(&sv, "USER a\r\n", &c, &e), MF_E_INVAL);
	sreply(&sv, &OK);
	assert_int_equal(sread(&sv, "USER a\r\n", &c, &e), MF_OK);
	assert_int_equal(mf_pop3_server_read(&sv, "PASS b\r\n", 8, &c, &used,
					     &e),
			 MF_E_INVAL);
	assert_int_equal(used, 0);
	/* A failed USER, then PASS is refused; a good USER/PASS logs in. */
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "PASS b\r\n", &c, &e), MF_E_STATE);
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "USER a\r\n", &c, &e), MF_OK);
	sreply(&sv, &OK);
	assert_int_equal(sread(&sv, "PASS wrong\r\n", &c, &e), MF_OK);
	sreply(&sv, &ERR);
	/* After a failed PASS, USER again (RFC 1939 7). */
	assert_int_equal(sv.state, MF_POP3_AUTHORIZATION);
	assert_int_equal(sread(&sv, "PASS b\r\n", &c, &e), MF_E_STATE);
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "APOP a c4c9334bac560ecc979e58001b3e22fb\r\n",
			       &c, &e),
			 MF_OK);
	sreply(&sv, &OK);
	assert_int_equal(sv.state, MF_POP3_TRANSACTION);
	/* QUIT in TRANSACTION: UPDATE until answered, then CLOSED. */
	assert_int_equal(sread(&sv, "QUIT\r\n", &c, &e), MF_OK);
	assert_int_equal(sv.state, MF_POP3_UPDATE);
	sreply(&sv, &OK);
	assert_int_equal(sv.state, MF_POP3_CLOSED);
	assert_int_equal(sread(&sv, "NOOP\r\n", &c, &e), MF_E_INVAL);
	assert_int_equal(mf_pop3_server_reply(&sv, &OK, out, sizeof(out), &n),
			 MF_E_INVAL);
	/* QUIT in AUTHORIZATION: no UPDATE. */
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "QUIT\r\n", &c, &e), MF_OK);
	assert_int_equal(sv.state, MF_POP3_AUTHORIZATION);
	sreply(&sv, &OK);
	assert_int_equal(sv.state, MF_POP3_CLOSED);
	/* A -ERR greeting closes. */
	assert_int_equal(mf_pop3_server_init(&sv, NULL), MF_OK);
	assert_int_equal(mf_pop3_server_reply(&sv, &CONT, out, sizeof(out), &n),
			 MF_E_INVAL);
	sreply(&sv, &ERR);
	assert_int_equal(sv.state, MF_POP3_CLOSED);
	/* No reply is due without a line. */
	server_at(&sv, 1);
	assert_int_equal(mf_pop3_server_reply(&sv, &OK, out, sizeof(out), &n),
			 MF_E_INVAL);
	/* A reply that does not fit changes nothing. */
	assert_int_equal(sread(&sv, "QUIT\r\n", &c, &e), MF_OK);
	assert_int_equal(mf_pop3_server_reply(&sv, &OK, out, 3, &n),
			 MF_E_NOSPC);
	assert_int_equal(sv.state, MF_POP3_UPDATE);
	sreply(&sv, &OK);
	/* Refused options. */
	assert_int_equal(mf_pop3_server_init(&sv, &(mf_opts){.flags = MF_LF}),
			 MF_E_INVAL);
	assert_int_equal(mf_pop3_server_reply(&sv, &OK, out, sizeof(out), &n),
			 MF_E_INVAL);
	assert_int_equal(mf_pop3_server_init(NULL, NULL), MF_E_INVAL);
}

/* Syntax errors are answered -ERR and change nothing. */
static void
test_server_errors(void **state)
{
	mf_pop3_server sv;
	mf_pop3_cmd c;
	mf_error e;

	(void)state;
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "USER\r\n", &c, &e), MF_E_SYNTAX);
	assert_int_equal(mf_pop3_server_reply(&sv, &OK, (char[64]){0}, 64,
					      &(size_t){0}),
			 MF_E_INVAL);
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "HELLO x\r\n", &c, &e), MF_E_SYNTAX);
	sreply(&sv, &ERR);
	/* Unknown keywords are the caller's (extensions): answer them. */
	assert_int_equal(sread(&sv, "XYZZ 1 2\r\n", &c, &e), MF_OK);
	assert_int_equal(c.verb, MF_POP3_UNKNOWN);
	sreply(&sv, &ERR);
	/* Offsets count from the start of the session. */
	assert_int_equal(sread(&sv, "RETR 1\r\n", &c, &e), MF_E_STATE);
	assert_int_equal(e.offset, 6 + 9 + 10);
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "USER a\n", &c, &e), MF_E_SYNTAX);
	assert_int_equal(e.offset, 6 + 9 + 10 + 8 + 6);
	sreply(&sv, &ERR);
	assert_int_equal(sv.state, MF_POP3_AUTHORIZATION);
	/* MF_ACCEPT_LF. */
	assert_int_equal(mf_pop3_server_init(&sv, &lf_opts), MF_OK);
	sreply(&sv, &OK);
	assert_int_equal(sread(&sv, "USER a\n", &c, &e), MF_OK);
}

/*
 * Feeds in[0..n) to a greeted server step bytes at a time, as reads from a
 * socket would come, keeping what was not consumed; answers each line +OK
 * when it was read and -ERR when it was refused, and logs "rc verb
 * offset" per line.
 */
static void
server_feed(const char *in, size_t n, size_t step, unsigned flags,
	    logbuf *lb)
{
	char *buf = malloc(n + 1);
	mf_pop3_server sv;
	size_t have = 0, off = 0;
	mf_opts o;

	assert_non_null(buf);
	memset(&o, 0, sizeof(o));
	o.flags = flags;
	assert_int_equal(mf_pop3_server_init(&sv, &o), MF_OK);
	sreply(&sv, &OK);
	for (;;) {
		size_t k = n - off < step ? n - off : step;

		memcpy(buf + have, in + off, k);
		have += k;
		off += k;
		for (;;) {
			mf_pop3_cmd c;
			mf_error e = {0, 0, NULL};
			size_t used = 0;
			int rc = mf_pop3_server_read(&sv, buf, have, &c, &used,
						     &e);

			memmove(buf, buf + used, have - used);
			have -= used;
			if (rc == MF_MORE)
				break;
			lb_printf(lb, "%d %d %zu %s\n", rc,
				  rc == MF_OK ? c.verb : -1,
				  rc < 0 ? e.offset : 0, rc < 0 ? e.reason : "");
			sreply(&sv, rc == MF_OK ? &OK : &ERR);
			if (sv.state == MF_POP3_CLOSED)
				goto done;
		}
		if (k == 0)
			break;
	}
done:
	lb_printf(lb, "state %d, %zu left\n", sv.state, have + n - off);
	free(buf);
}

/* An over-long line is refused once, and its rest is never read as a
 * command, however the bytes arrive. */
static void
test_server_long_line(void **state)
{
	char big[300];
	logbuf want = {0}, got;
	size_t step;

	(void)state;
	/* "USER x...x" then, past byte 255, "QUIT": one line of 263. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "USER ", 5);
	memcpy(big + 255, "QUIT\r\nNOOP\r\nQUIT\r\n", 18);
	server_feed(big, 273, 273, 0, &want);
	assert_string_equal(want.p,
			    "-5 -1 255 line too long\n"
			    "-8 -1 261 not logged in\n"
			    "0 7 0 \n"
			    "state 4, 0 left\n");
	for (step = 1; step < 273; step++) {
		memset(&got, 0, sizeof(got));
		server_feed(big, 273, step, 0, &got);
		if (strcmp(got.p, want.p) != 0)
			fail_msg("step %zu:\n%s", step, got.p);
		free(got.p);
	}
	free(want.p);
}

/* A client sending a byte at a time, or any chunking, gets the replies
 * of one that sends everything at once (pipelining). */
static void
test_server_chunks(void **state)
{
	static const char in[] =
	    "CAPA\r\nUSER joe\r\nPASS  pass word\r\nSTAT\r\nLIST\r\n"
	    "LIST 1\r\nUIDL\r\nTOP 1 5\r\nRETR 1\r\nDELE 1\r\nRSET\r\n"
	    "NOOP\r\nbad\r\nRETR 99999999999999999999\r\nSTLS\r\n"
	    "USER x\nQUIT\r\n";
	logbuf want = {0}, got;
	size_t step;

	(void)state;
	server_feed(in, sizeof(in) - 1, sizeof(in), 0, &want);
	assert_non_null(strstr(want.p, "0 6 0"));
	assert_non_null(strstr(want.p, "state 4, 0 left"));
	for (step = 1; step < sizeof(in); step++) {
		memset(&got, 0, sizeof(got));
		server_feed(in, sizeof(in) - 1, step, 0, &got);
		if (strcmp(got.p, want.p) != 0)
			fail_msg("step %zu:\n%s\nwant\n%s", step, got.p,
				 want.p);
		free(got.p);
	}
	free(want.p);
}

/* STLS (RFC 2595 4): once, before login, and never with commands
 * pipelined after it (they would be taken as sent over TLS). */
static void
test_server_stls(void **state)
{
	mf_pop3_server sv;
	mf_pop3_cmd c;
	mf_error e;
	size_t used;

	(void)state;
	server_at(&sv, 0);
	assert_int_equal(mf_pop3_server_read(&sv, S("STLS\r\nUSER a\r\n"), &c,
					     &used, &e),
			 MF_E_STATE);
	assert_int_equal(used, 6);
	assert_string_equal(e.reason, "command pipelined after STLS");
	sreply(&sv, &ERR);
	assert_int_equal(sv.tls, 0);
	assert_int_equal(mf_pop3_server_read(&sv, S("USER a\r\n"), &c, &used,
					     &e),
			 MF_OK);
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "STLS\r\n", &c, &e), MF_OK);
	sreply(&sv, &OK);
	assert_int_equal(sv.tls, 1);
	assert_int_equal(sv.state, MF_POP3_AUTHORIZATION);
	assert_int_equal(sread(&sv, "STLS\r\n", &c, &e), MF_E_STATE);
	sreply(&sv, &ERR);
	/* A refused STLS leaves TLS off. */
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "STLS\r\n", &c, &e), MF_OK);
	sreply(&sv, &ERR);
	assert_int_equal(sv.tls, 0);
}

/* AUTH (RFC 5034 4): challenges, responses, "*", the legacy list. */
static void
test_server_auth(void **state)
{
	mf_pop3_server sv;
	mf_pop3_cmd c;
	mf_error e;
	char big[13000];
	size_t used;

	(void)state;
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "AUTH LOGIN\r\n", &c, &e), MF_OK);
	sreply(&sv, &(mf_pop3_reply){.status = MF_POP3_CONT,
				     .text = STR("VXNlcm5hbWU6")});
	/* Inside the exchange every line is a response. */
	assert_int_equal(sread(&sv, "dGVzdA==\r\n", &c, &e), MF_OK);
	assert_int_equal(c.verb, MF_POP3_SASL);
	tu_assert_str(c.arg.ptr, "dGVzdA==\r\n", "SASL line");
	assert_int_equal(c.arg.len, 8);
	sreply(&sv, &CONT);
	/* "QUIT" is base64: a response. A line that is not base64 is
	 * refused, and that ends the exchange (RFC 5034 4). */
	assert_int_equal(sread(&sv, "QUIT\r\n", &c, &e), MF_OK);
	assert_int_equal(c.verb, MF_POP3_SASL);
	sreply(&sv, &CONT);
	assert_int_equal(sread(&sv, "QUIT now\r\n", &c, &e), MF_E_SYNTAX);
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "QUIT\r\n", &c, &e), MF_OK);
	sreply(&sv, &OK);
	/* "*" cancels: -ERR only. */
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "AUTH PLAIN\r\n", &c, &e), MF_OK);
	sreply(&sv, &CONT);
	assert_int_equal(sread(&sv, "*\r\n", &c, &e), MF_OK);
	assert_int_equal(mf_pop3_server_reply(&sv, &OK, big, 100, &used),
			 MF_E_INVAL);
	sreply(&sv, &ERR);
	assert_int_equal(sread(&sv, "STAT\r\n", &c, &e), MF_E_STATE);
	sreply(&sv, &ERR);
	/* An empty response, then success. */
	assert_int_equal(sread(&sv, "AUTH PLAIN\r\n", &c, &e), MF_OK);
	sreply(&sv, &CONT);
	assert_int_equal(sread(&sv, "\r\n", &c, &e), MF_OK);
	assert_int_equal(c.arg.len, 0);
	sreply(&sv, &OK);
	assert_int_equal(sv.state, MF_POP3_TRANSACTION);
	/* An initial response; responses up to 12288 octets. */
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "AUTH PLAIN AGEAYg==\r\n", &c, &e), MF_OK);
	tu_assert_str(c.arg2.ptr, "AGEAYg==\r\n", "IR");
	assert_int_equal(c.arg2.len, 8);
	sreply(&sv, &CONT);
	memset(big, 'A', sizeof(big));
	memcpy(big + 12286, "\r\n", 2);
	assert_int_equal(mf_pop3_server_read(&sv, big, 12288, &c, &used, &e),
			 MF_OK);
	sreply(&sv, &CONT);
	memset(big + 12286, 'A', 2);
	assert_int_equal(mf_pop3_server_read(&sv, big, 12290, &c, &used, &e),
			 MF_E_LIMIT);
	sreply(&sv, &ERR);
	assert_int_equal(sv.state, MF_POP3_AUTHORIZATION);
	/* The legacy list: +OK is no login; no challenge allowed. */
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "AUTH\r\n", &c, &e), MF_OK);
	sreply(&sv, &OK);
	assert_int_equal(sv.state, MF_POP3_AUTHORIZATION);
	assert_int_equal(sread(&sv, "AUTH\r\n", &c, &e), MF_OK);
	assert_int_equal(mf_pop3_server_reply(&sv, &CONT, big, 100, &used),
			 MF_E_INVAL);
	/* Challenges only to AUTH. */
	server_at(&sv, 0);
	assert_int_equal(sread(&sv, "USER a\r\n", &c, &e), MF_OK);
	assert_int_equal(mf_pop3_server_reply(&sv, &CONT, big, 100, &used),
			 MF_E_INVAL);
}

/* ---------------------------------------------------------------------- */
/* Client machine                                                          */
/* ---------------------------------------------------------------------- */

/* The client side of a run: what it sends, then what it logs. */
typedef struct crun {
	mf_pop3_client cl;
	const char *const *cmds; /* command lines to send, in order */
	size_t ncmds, next;
	logbuf log;              /* events */
	logbuf sent;             /* the bytes the client wrote */
	logbuf data;             /* DATA of the current response */
} crun;

/* Sends the next command of the run, if any. */
static void
crun_send(crun *r)
{
	mf_pop3_cmd c;
	char out[300], line[300];
	size_t n, used;

	if (r->next == r->ncmds)
		return;
	snprintf(line, sizeof(line), "%s\r\n", r->cmds[r->next]);
	assert_int_equal(mf_pop3_cmd_parse(line, strlen(line), NULL, &c,
					   &used, NULL),
			 MF_OK);
	r->next++;
	assert_int_equal(mf_pop3_client_command(&r->cl, &c, out, sizeof(out),
						&n),
			 MF_OK);
	lb_add(&r->sent, out, n);
}

static void
crun_event(crun *r, const mf_pop3_event *ev)
{
	switch (ev->type) {
	case MF_POP3_EV_REPLY:
		lb_printf(&r->log, "@%llu REPLY %d %d [%.*s] %.*s ts=%.*s%s\n",
			  (unsigned long long)ev->off, ev->verb,
			  ev->reply.status, (int)ev->reply.code.len,
			  ev->reply.code.ptr, (int)ev->reply.text.len,
			  ev->reply.text.ptr, (int)ev->reply.timestamp.len,
			  ev->reply.timestamp.ptr, ev->multi ? " multi" : "");
		if (!ev->multi)
			crun_send(r);
		break;
	case MF_POP3_EV_LINE:
		lb_printf(&r->log, "@%llu LINE %d ", (unsigned long long)ev->off,
			  ev->verb);
		lb_add(&r->log, ev->data.ptr, ev->data.len);
		lb_add(&r->log, "\n", 1);
		break;
	case MF_POP3_EV_DATA:
		assert_true(ev->data.len > 0);
		lb_add(&r->data, ev->data.ptr, ev->data.len);
		break;
	case MF_POP3_EV_END:
		if (r->data.n > 0) {
			lb_printf(&r->log, "DATA %zu bytes\n", r->data.n);
			lb_add(&r->log, r->data.p, r->data.n);
			r->data.n = 0;
		}
		lb_printf(&r->log, "@%llu END %d defects %llx\n",
			  (unsigned long long)ev->off, ev->verb,
			  (unsigned long long)ev->defects);
		crun_send(r);
		break;
	default:
		fail_msg("event type %d", ev->type);
	}
}

/*
 * Feeds the server's bytes in[0..n) to a client step bytes at a time (as
 * socket reads), keeping what is not consumed; the client sends cmds one
 * at a time, each after the previous reply is complete. Returns the last
 * status (MF_MORE at the end of the input, or the error).
 */
static int
client_run(crun *r, const char *in, size_t n, size_t step, unsigned flags,
	   const char *const *cmds, size_t ncmds)
{
	char *buf = malloc(n + 1);
	size_t have = 0, off = 0;
	mf_opts o;
	int rc = MF_MORE;

	assert_non_null(buf);
	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	o.flags = flags;
	assert_int_equal(mf_pop3_client_init(&r->cl, &o), MF_OK);
	r->cmds = cmds;
	r->ncmds = ncmds;
	for (;;) {
		size_t k = n - off < step ? n - off : step;

		memcpy(buf + have, in + off, k);
		have += k;
		off += k;
		for (;;) {
			mf_pop3_event ev;
			mf_error e = {0, 0, NULL};
			size_t used = 0;

			rc = mf_pop3_client_read(&r->cl, buf, have, &ev, &used,
						 &e);
			if (rc == MF_OK)
				crun_event(r, &ev); /* views into buf */
			memmove(buf, buf + used, have - used);
			have -= used;
			if (rc == MF_MORE)
				break;
			if (rc < 0) {
				lb_printf(&r->log, "error %d at %zu: %s\n", rc,
					  e.offset, e.reason);
				goto done;
			}
		}
		if (k == 0)
			break;
	}
done:
	lb_printf(&r->log, "state %d caps %x, %zu left\n", r->cl.state,
		  r->cl.caps, have + n - off);
	free(buf);
	free(r->data.p);
	return rc;
}

static void
crun_free(crun *r)
{
	free(r->log.p);
	free(r->sent.p);
}

/*
 * A transcript through the client: one run with everything at once,
 * then every chunk size gives the same log and the same bytes sent. The
 * client's commands are the transcript's (upper-cased keywords).
 */
static void
client_transcript(const char *rel, int rfc_indent, const char *want_log)
{
	transcript t;
	const char *cmds[50];
	char *srv, *cli;
	size_t ns, nc, nq = 0, i, step;
	crun a, b;
	int rc;

	transcript_load(&t, rel, rfc_indent);
	srv = transcript_bytes(&t, 'S', &ns);
	cli = transcript_bytes(&t, 'C', &nc);
	for (i = 0; i < t.n; i++) {
		if (t.line[i].who == 'C' && t.line[i].text[0] != '<')
			cmds[nq++] = t.line[i].text;
	}
	rc = client_run(&a, srv, ns, ns + 1, 0, cmds, nq);
	assert_int_equal(rc, MF_MORE);
	if (strcmp(a.log.p, want_log) != 0)
		fail_msg("%s:\n%s", rel, a.log.p);
	/* What the client sent is the transcript's client side. */
	for (i = 0; i < nc; i++) {
		if (i == 0 || cli[i - 1] == '\n') {
			size_t k;

			for (k = 0; k < 4 && cli[i + k] != ' ' &&
				    cli[i + k] != '\r';
			     k++)
				cli[i + k] = (char)toupper((unsigned char)
							   cli[i + k]);
		}
	}
	tu_assert_mem(a.sent.p, a.sent.n, cli, nc, rel);
	for (step = 1; step <= ns; step++) {
		client_run(&b, srv, ns, step, 0, cmds, nq);
		if (strcmp(a.log.p, b.log.p) != 0)
			fail_msg("%s step %zu:\n%s", rel, step, b.log.p);
		crun_free(&b);
	}
	crun_free(&a);
	free(srv);
	free(cli);
	free(t.buf);
}

static void
test_client_rfc1939(void **state)
{
	(void)state;
	client_transcript(
	    "corpus/smtp/rfc-examples/rfc1939-section10-example-pop3-session.txt",
	    1,
	    "@0 REPLY 17 1 [] POP3 server ready <1896.697170952@dbc.mtview.ca.us> ts=<1896.697170952@dbc.mtview.ca.us>\n"
	    "@57 REPLY 3 1 [] mrose's maildrop has 2 messages (320 octets) ts=\n"
	    "@107 REPLY 8 1 [] 2 320 ts=\n"
	    "@118 REPLY 9 1 [] 2 messages (320 octets) ts= multi\n"
	    "@147 LINE 9 1 120\n"
	    "@154 LINE 9 2 200\n"
	    "@164 END 9 defects 0\n"
	    "@164 REPLY 10 1 [] 120 octets ts= multi\n"
	    "DATA 35 bytes\n"
	    "<the POP3 server sends message 1>\r\n"
	    "@218 END 10 defects 0\n"
	    "@218 REPLY 11 1 [] message 1 deleted ts=\n"
	    "@241 REPLY 10 1 [] 200 octets ts= multi\n"
	    "DATA 35 bytes\n"
	    "<the POP3 server sends message 2>\r\n"
	    "@295 END 10 defects 0\n"
	    "@295 REPLY 11 1 [] message 2 deleted ts=\n"
	    "@318 REPLY 7 1 [] dewey POP3 server signing off (maildrop empty) ts=\n"
	    "state 4 caps 0, 0 left\n");
}

static void
test_client_lecture(void **state)
{
	(void)state;
	client_transcript(
	    "corpus/smtp/lecture-transcripts/pop3-2000-user-pass-retr.txt", 0,
	    "@0 REPLY 17 1 [] POP3 monte.cs.rpi.edu v7.59 server ready ts=\n"
	    "@46 REPLY 1 1 [] User name accepted, password please ts=\n"
	    "@87 REPLY 2 1 [] Mailbox open, 1 messages ts=\n"
	    "@117 REPLY 8 1 [] 1 412 ts=\n"
	    "@128 REPLY 9 1 [] Mailbox scan listing follows ts= multi\n"
	    "@162 LINE 9 1 412\n"
	    "@172 END 9 defects 0\n"
	    "@172 REPLY 10 1 [] 412 octets ts= multi\n"
	    "DATA 357 bytes\n"
	    "Return-Path: <hollingd>\r\n"
	    "Received: (from hollingd@localhost)\r\n"
	    "    by monte.cs.rpi.edu (8.9.3/8.9.3) id\r\n"
	    "    NAA06943\r\n"
	    "    for joe; Mon, 20 Mar 2000 13:49:54 -0500\r\n"
	    "Date: Mon, 20 Mar 2000 13:49:54 -0500\r\n"
	    "From: Dave Hollinger <hollingd@monte.cs.rpi.edu>\r\n"
	    "Message-Id:\r\n"
	    "    <200003201849.NAA06943@monte.cs.rpi.edu>\r\n"
	    "To: joe@monte.cs.rpi.edu\r\n"
	    "Status: O\r\n"
	    "\r\n"
	    "blah\r\n"
	    "@548 END 10 defects 0\n"
	    "state 2 caps 0, 0 left\n");
}

/* A run with everything at once, and every chunk size agreeing. */
static void
client_check(const char *srv, size_t ns, unsigned flags,
	     const char *const *cmds, size_t nq, const char *want)
{
	crun a, b;
	size_t step;

	client_run(&a, srv, ns, ns + 1, flags, cmds, nq);
	if (strcmp(a.log.p, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", a.log.p, want);
	for (step = 1; step <= ns; step++) {
		client_run(&b, srv, ns, step, flags, cmds, nq);
		if (strcmp(a.log.p, b.log.p) != 0)
			fail_msg("step %zu:\n%s", step, b.log.p);
		crun_free(&b);
	}
	crun_free(&a);
}

/* Multi-line data: stuffing undone, line ends kept, the end only at
 * CRLF "." CRLF (a "." line after a bare LF is data), TOP, CAPA. */
static void
test_client_data(void **state)
{
	static const char srv[] =
	    "+OK ready\r\n"
	    "+OK capability list follows\r\n"
	    "TOP\r\nUSER\r\nPIPELINING\r\nSASL PLAIN LOGIN\r\nX-NEW a b\r\n"
	    "..odd\r\nEXPIRE bad\r\n.\r\n"
	    "+OK\r\n+OK\r\n"
	    "+OK 2 messages\r\n"
	    "+OK message follows\r\n"
	    "..leading dot\r\n...two\r\n.x\r\nbare\nLF\n.\nstill data\r\n"
	    "bare CR\rhere\r\n\r\n.\r\n"
	    "+OK top\r\nSubject: x\r\n\r\n.\r\n"
	    "+OK bye\r\n";
	static const char *const cmds[] = {"CAPA", "USER a", "PASS b", "STAT",
					   "RETR 1", "TOP 2 0", "QUIT"};

	(void)state;
	client_check(srv, sizeof(srv) - 1, 0, cmds, 7,
		     "@0 REPLY 17 1 [] ready ts=\n"
		     "@11 REPLY 6 1 [] capability list follows ts= multi\n"
		     "@40 LINE 6 TOP\n"
		     "@45 LINE 6 USER\n"
		     "@51 LINE 6 PIPELINING\n"
		     "@63 LINE 6 SASL PLAIN LOGIN\n"
		     "@81 LINE 6 X-NEW a b\n"
		     "@92 LINE 6 .odd\n"
		     "@99 LINE 6 EXPIRE bad\n"
		     "@114 END 6 defects 0\n"
		     "@114 REPLY 1 1 []  ts=\n"
		     "@119 REPLY 2 1 []  ts=\n"
		     "@124 REPLY 8 1 [] 2 messages ts=\n"
		     "@140 REPLY 10 1 [] message follows ts= multi\n"
		     "DATA 62 bytes\n"
		     ".leading dot\r\n..two\r\nx\r\nbare\nLF\n.\nstill data\r\n"
		     "bare CR\rhere\r\n\r\n"
		     "@229 END 10 defects 10000000000040\n"
		     "@229 REPLY 14 1 [] top ts= multi\n"
		     "DATA 14 bytes\n"
		     "Subject: x\r\n\r\n"
		     "@255 END 14 defects 0\n"
		     "@255 REPLY 7 1 [] bye ts=\n"
		     "state 4 caps 27, 0 left\n");
}
/* Sends cmd (a command line) through the client; returns the status. */
static int
csend(mf_pop3_client *c, const char *line)
{
	mf_pop3_cmd cmd;
	char out[300];
	size_t n = 99, used;
	int rc;

	if (mf_pop3_cmd_parse(line, strlen(line), &lf_opts, &cmd, &used,
			      NULL) != MF_OK) {
		/* A response inside an AUTH exchange. */
		memset(&cmd, 0, sizeof(cmd));
		cmd.verb = MF_POP3_SASL;
		cmd.arg = (mf_str){line, strlen(line) - 2};
	}
	rc = mf_pop3_client_command(c, &cmd, out, sizeof(out), &n);
	if (rc == MF_OK)
		tu_assert_mem(out, n, line, strlen(line), line);
	else
		assert_int_equal(n, 0);
	return rc;
}

/* Reads one event from in; returns the status, *ev the event. */
static int
cread(mf_pop3_client *c, const char *in, mf_pop3_event *ev, mf_error *e)
{
	size_t used;

	return mf_pop3_client_read(c, in, strlen(in), ev, &used, e);
}

/* Reads every event in in (which must end with one); returns how many. */
static int
cfeed(mf_pop3_client *c, const char *in)
{
	size_t n = strlen(in), off = 0, used;
	mf_pop3_event ev;
	int k = 0;

	while (off < n) {
		assert_int_equal(mf_pop3_client_read(c, in + off, n - off, &ev,
						     &used, NULL),
				 MF_OK);
		off += used;
		k++;
	}
	return k;
}

static void
test_client_flow(void **state)
{
	mf_pop3_client c;
	mf_pop3_event ev;
	mf_error e;
	size_t used;

	(void)state;
	assert_int_equal(mf_pop3_client_init(&c, NULL), MF_OK);
	assert_int_equal(csend(&c, "USER a\r\n"), MF_E_STATE); /* greet */
	assert_int_equal(cread(&c, "+OK hi <1.2@h>\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_GREETING);
	assert_int_equal(c.state, MF_POP3_AUTHORIZATION);
	assert_int_equal(csend(&c, "STAT\r\n"), MF_E_STATE);
	assert_int_equal(csend(&c, "PASS b\r\n"), MF_E_STATE);
	assert_int_equal(csend(&c, "USER a\r\n"), MF_OK);
	/* No PIPELINING: one command at a time. */
	assert_int_equal(csend(&c, "PASS b\r\n"), MF_E_STATE);
	assert_int_equal(cread(&c, "-ERR [AUTH] no\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_USER);
	tu_assert_mem(ev.reply.code.ptr, ev.reply.code.len, "AUTH", 4, "code");
	assert_int_equal(csend(&c, "PASS b\r\n"), MF_E_STATE);
	assert_int_equal(csend(&c, "USER a\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(csend(&c, "APOP a c4c9334bac560ecc979e58001b3e22fb\r\n"),
			 MF_E_STATE);
	assert_int_equal(csend(&c, "PASS b\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK logged in\r\n", &ev, &e), MF_OK);
	assert_int_equal(c.state, MF_POP3_TRANSACTION);
	assert_int_equal(csend(&c, "USER a\r\n"), MF_E_STATE);
	assert_int_equal(csend(&c, "STLS\r\n"), MF_E_STATE);
	/* LIST n is single-line, LIST is not. */
	assert_int_equal(csend(&c, "LIST 1\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK 1 120\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.multi, 0);
	assert_int_equal(csend(&c, "UIDL\r\n"), MF_OK);
	assert_int_equal(cread(&c, "-ERR no UIDL\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.multi, 0);
	assert_int_equal(csend(&c, "XTND XMIT\r\n"), MF_OK);
	assert_int_equal(cread(&c, "-ERR what\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_UNKNOWN);
	assert_int_equal(csend(&c, "QUIT\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK bye\r\n", &ev, &e), MF_OK);
	assert_int_equal(c.state, MF_POP3_CLOSED);
	assert_int_equal(csend(&c, "NOOP\r\n"), MF_E_STATE);
	/* Nothing more is expected: an empty read waits, bytes fail. */
	assert_int_equal(mf_pop3_client_read(&c, "", 0, &ev, &used, &e),
			 MF_MORE);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_E_STATE);
	assert_int_equal(cread(&c, "", &ev, &e), MF_E_STATE); /* sticky */
	assert_int_equal(csend(&c, "NOOP\r\n"), MF_E_STATE);

	/* A -ERR greeting closes. */
	assert_int_equal(mf_pop3_client_init(&c, NULL), MF_OK);
	assert_int_equal(cread(&c, "-ERR [SYS/TEMP] busy\r\n", &ev, &e), MF_OK);
	assert_int_equal(c.state, MF_POP3_CLOSED);
	/* Bad options stick. */
	assert_int_equal(mf_pop3_client_init(&c, &(mf_opts){.flags = MF_LF}),
			 MF_E_INVAL);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_E_INVAL);
	assert_int_equal(csend(&c, "QUIT\r\n"), MF_E_INVAL);
	assert_int_equal(mf_pop3_client_init(NULL, NULL), MF_E_INVAL);
	assert_int_equal(mf_pop3_client_read(NULL, "", 0, &ev, &used, &e),
			 MF_E_INVAL);
}

/* Replies the client cannot take: each error sticks. */
static void
test_client_errors(void **state)
{
	static const struct {
		const char *greeting, *cmd, *in;
		unsigned flags;
		int rc;
		size_t off;
	} t[] = {
	    {"+OK\r\n", NULL, "+OK\r\n", 0, MF_E_STATE, 5},
	    {"+OK\r\n", "CAPA\r\n", "+ abc\r\n", 0, MF_E_SYNTAX, 5},
	    {"+ abc\r\n", NULL, "", 0, MF_E_SYNTAX, 0},
	    {"+OK\r\n", "CAPA\r\n", "OK\r\n", 0, MF_E_SYNTAX, 5},
	    {"+OK\r\n", "CAPA\r\n", "+OK\n", 0, MF_E_SYNTAX, 8},
	    {"+OK\r\n", "CAPA\r\n", "+OK\r\nTOP\n", 0, MF_E_SYNTAX, 13},
	    {"+OK\r\n", "CAPA\r\n", "+OK\r\nTOP\n.\n", MF_ACCEPT_LF, MF_OK, 0},
	    /* STARTTLS response injection (RFC 2595 4). */
	    {"+OK\r\n", "STLS\r\n", "+OK go\r\n-ERR forged\r\n", 0, MF_E_STATE,
	     13},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_pop3_client c;
		mf_pop3_event ev;
		mf_error e = {0, 0, NULL};
		size_t used, off = 0, n;
		int rc;
		char in[100];

		assert_int_equal(mf_pop3_client_init(
				     &c, &(mf_opts){.flags = t[i].flags}),
				 MF_OK);
		snprintf(in, sizeof(in), "%s%s", t[i].greeting, t[i].in);
		n = strlen(in);
		if (t[i].cmd != NULL) {
			assert_int_equal(mf_pop3_client_read(&c, in, n, &ev,
							     &used, &e),
					 MF_OK);
			off = used;
			assert_int_equal(csend(&c, t[i].cmd), MF_OK);
		}
		do {
			rc = mf_pop3_client_read(&c, in + off, n - off, &ev,
						 &used, &e);
			off += used;
		} while (rc == MF_OK && off < n);
		if (t[i].rc == MF_OK) {
			assert_int_equal(rc, MF_OK);
			continue;
		}
		if (rc != t[i].rc || e.offset != t[i].off)
			fail_msg("case %zu: rc %d off %zu %s", i, rc, e.offset,
				 e.reason);
		/* Sticky. */
		assert_int_equal(mf_pop3_client_read(&c, "+OK\r\n", 5, &ev,
						     &used, &e),
				 t[i].rc);
		assert_int_equal(used, 0);
	}
}

static void
test_client_pipelining(void **state)
{
	mf_pop3_client c;
	mf_pop3_event ev;
	mf_error e;
	char line[32];
	size_t i;

	(void)state;
	assert_int_equal(mf_pop3_client_init(&c, NULL), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(csend(&c, "CAPA\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(cread(&c, "PIPELINING\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.type, MF_POP3_EV_LINE);
	assert_int_equal(cread(&c, ".\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.type, MF_POP3_EV_END);
	assert_int_equal(c.caps, MF_POP3_CAP_PIPELINING);
	/* USER, PASS, STAT as one batch (RFC 2449 6.6). */
	assert_int_equal(csend(&c, "USER a\r\n"), MF_OK);
	assert_int_equal(csend(&c, "PASS b\r\n"), MF_OK);
	assert_int_equal(csend(&c, "STAT\r\n"), MF_OK);
	assert_int_equal(csend(&c, "RETR 1\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(cread(&c, "-ERR bad password\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_PASS);
	assert_int_equal(c.state, MF_POP3_AUTHORIZATION);
	/* The server refuses what followed; the client reads it as such. */
	assert_int_equal(cread(&c, "-ERR not logged in\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_STAT);
	assert_int_equal(cread(&c, "-ERR not logged in\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_RETR);
	assert_int_equal(ev.multi, 0);
	assert_int_equal(c.npend_, 0);
	/* STLS, AUTH and QUIT end a batch. */
	assert_int_equal(csend(&c, "STLS\r\n"), MF_OK);
	assert_int_equal(csend(&c, "CAPA\r\n"), MF_E_STATE);
	assert_int_equal(cread(&c, "+OK begin TLS\r\n", &ev, &e), MF_OK);
	assert_int_equal(c.tls, 1);
	assert_int_equal(c.caps, 0); /* RFC 2595 4: forgotten */
	assert_int_equal(csend(&c, "STLS\r\n"), MF_E_STATE);
	assert_int_equal(csend(&c, "USER a\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	/* Without PIPELINING now, PASS alone; then a full queue. */
	assert_int_equal(csend(&c, "PASS b\r\n"), MF_OK);
	assert_int_equal(csend(&c, "STAT\r\n"), MF_E_STATE);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(csend(&c, "CAPA\r\n"), MF_OK);
	assert_int_equal(cfeed(&c, "+OK\r\nPIPELINING\r\n.\r\n"), 3);
	assert_int_equal(c.caps, MF_POP3_CAP_PIPELINING);
	for (i = 0; i < MF_POP3_PIPELINE; i++) {
		snprintf(line, sizeof(line), "DELE %zu\r\n", i + 1);
		assert_int_equal(csend(&c, line), MF_OK);
	}
	assert_int_equal(csend(&c, "NOOP\r\n"), MF_E_LIMIT);
	for (i = 0; i < MF_POP3_PIPELINE; i++)
		assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(csend(&c, "QUIT\r\n"), MF_OK);
	assert_int_equal(csend(&c, "NOOP\r\n"), MF_E_STATE);
}

/* AUTH (RFC 5034): challenges and responses; the legacy list. */
static void
test_client_auth(void **state)
{
	mf_pop3_client c;
	mf_pop3_event ev;
	mf_error e;

	(void)state;
	assert_int_equal(mf_pop3_client_init(&c, NULL), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(csend(&c, "AUTH\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_AUTH);
	assert_int_equal(ev.multi, 1);
	assert_int_equal(cread(&c, "PLAIN\r\n", &ev, &e), MF_OK);
	tu_assert_mem(ev.data.ptr, ev.data.len, "PLAIN", 5, "mech");
	assert_int_equal(cread(&c, ".\r\n", &ev, &e), MF_OK);
	assert_int_equal(c.state, MF_POP3_AUTHORIZATION);
	assert_int_equal(csend(&c, "dGVzdA==\r\n"), MF_E_STATE);
	assert_int_equal(csend(&c, "AUTH LOGIN\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+ VXNlcm5hbWU6\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.reply.status, MF_POP3_CONT);
	assert_int_equal(csend(&c, "STAT\r\n"), MF_E_STATE);
	assert_int_equal(csend(&c, "dGVzdA==\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+ UGFzc3dvcmQ6\r\n", &ev, &e), MF_OK);
	assert_int_equal(ev.verb, MF_POP3_SASL);
	assert_int_equal(csend(&c, "*\r\n"), MF_OK);
	assert_int_equal(cread(&c, "-ERR cancelled\r\n", &ev, &e), MF_OK);
	assert_int_equal(c.state, MF_POP3_AUTHORIZATION);
	assert_int_equal(csend(&c, "AUTH PLAIN AGEAYg==\r\n"), MF_OK);
	assert_int_equal(cread(&c, "+OK\r\n", &ev, &e), MF_OK);
	assert_int_equal(c.state, MF_POP3_TRANSACTION);
}

/* Lines and limits: a listing line over 512, message data lines of any
 * length (MF_D_LONG_LINE over 1000 unless MF_LONG_LINES), big data. */
static void
test_client_limits(void **state)
{
	static const char *const cmds[] = {"USER a", "PASS b", "UIDL"};
	static const char *const rcmds[] = {"USER a", "PASS b", "RETR 1"};
	char *srv = malloc(300000);
	size_t n;
	crun a;

	(void)state;
	assert_non_null(srv);
	n = (size_t)sprintf(srv, "+OK\r\n+OK\r\n+OK\r\n+OK\r\n1 ");
	memset(srv + n, 'u', 509);
	n += 509;
	n += (size_t)sprintf(srv + n, "\r\n.\r\n");
	assert_int_equal(client_run(&a, srv, n, n, 0, cmds, 3), MF_E_LIMIT);
	assert_non_null(strstr(a.log.p, "error -5 at 532: line too long"));
	crun_free(&a);
	/* 512 with CRLF: fits. */
	memcpy(srv + 530, "\r\n.\r\n", 5);
	assert_int_equal(client_run(&a, srv, 535, n, 0, cmds, 3), MF_MORE);
	assert_non_null(strstr(a.log.p, "END 15 defects 0"));
	crun_free(&a);
	/* A message of 250000 bytes in lines of 5000. */
	n = (size_t)sprintf(srv, "+OK\r\n+OK\r\n+OK\r\n+OK\r\n");
	while (n < 250000) {
		memset(srv + n, 'x', 4998);
		srv[n] = '.';
		memcpy(srv + n + 4998, "\r\n", 2);
		n += 5000;
	}
	n += (size_t)sprintf(srv + n, ".\r\n");
	assert_int_equal(client_run(&a, srv, n, 4096, 0, rcmds, 3),
			 MF_MORE);
	assert_non_null(strstr(a.log.p, "DATA 249950 bytes\n"));
	assert_non_null(strstr(a.log.p, "END 10 defects 80\n"));
	crun_free(&a);
	assert_int_equal(
	    client_run(&a, srv, n, 777, MF_LONG_LINES, rcmds, 3), MF_MORE);
	assert_non_null(strstr(a.log.p, "END 10 defects 0\n"));
	crun_free(&a);
	free(srv);
}

/* The size LIST reports and what TOP sends (RFC 1939 7, 11). */
static void
test_server_msg(void **state)
{
	static const struct {
		const char *msg;
		uint64_t size;
	} sizes[] = {
	    {"", 0},
	    {"a\r\n", 3},
	    {"a\n", 3},
	    {"a", 3},
	    {".\r\n..\r\n", 7},
	    {"a\rb\n\n", 8},
	    {"a\r\n\r", 5},
	};
	static const char m[] = "From: a\r\nSubject: b\r\n\r\nl1\r\nl2\nl3\r\n";
	size_t i, len;
	char big[5000];

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t got = mf_pop3_msg_size(sizes[i].msg,
						strlen(sizes[i].msg));

		if (got != sizes[i].size)
			fail_msg("size %zu: %llu", i, (unsigned long long)got);
	}
	/* The size is what the encoder sends, unstuffed, whatever the
	 * length. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = "ab.\r\n"[i % 5 == 4 ? 4 : i % 7 == 0 ? 2 : i % 2];
	{
		size_t cap = mf_dot_encoded_len(sizeof(big)), el, dl;
		char *enc = malloc(cap), *dec = malloc(cap);

		assert_non_null(enc);
		assert_non_null(dec);
		assert_int_equal(mf_dot_encode(enc, cap, big, sizeof(big), &el),
				 MF_OK);
		assert_int_equal(mf_dot_decode(dec, cap, enc, el, 0, &dl, NULL,
					       NULL, NULL),
				 MF_OK);
		assert_int_equal(mf_pop3_msg_size(big, sizeof(big)), dl);
		free(enc);
		free(dec);
	}
	assert_int_equal(mf_pop3_msg_size(NULL, 5), 0);
	/* TOP. */
	assert_int_equal(mf_pop3_top_len(S(m), 0, &len), MF_OK);
	assert_int_equal(len, 23);
	assert_int_equal(mf_pop3_top_len(S(m), 1, &len), MF_OK);
	assert_int_equal(len, 27);
	assert_int_equal(mf_pop3_top_len(S(m), 2, &len), MF_OK);
	assert_int_equal(len, 30);
	assert_int_equal(mf_pop3_top_len(S(m), 99999999, &len), MF_OK);
	assert_int_equal(len, sizeof(m) - 1);
	assert_int_equal(mf_pop3_top_len(S("Subject: x\nbody"), 0, &len),
			 MF_OK);
	assert_int_equal(len, 11);
	assert_int_equal(mf_pop3_top_len(S("Subject: x"), 5, &len), MF_OK);
	assert_int_equal(len, 10);
	assert_int_equal(mf_pop3_top_len(S("\r\nbody\r\n"), 0, &len), MF_OK);
	assert_int_equal(len, 2);
	assert_int_equal(mf_pop3_top_len(NULL, 0, 3, &len), MF_OK);
	assert_int_equal(len, 0);
	assert_int_equal(mf_pop3_top_len(NULL, 1, 3, &len), MF_E_INVAL);
}


/* ---------------------------------------------------------------------- */
/* mf_pop3_serve: maildrop replies from the caller's table                 */
/* ---------------------------------------------------------------------- */

/* A maildrop of three messages (RFC 1939 11's example sizes). */
static void
drop_init(mf_pop3_msg *m)
{
	memset(m, 0, 3 * sizeof(*m));
	m[0].size = 120;
	m[0].uid = STR("whqtswO00WBw418f9t5JxYwZ");
	m[1].size = 200;
	m[1].uid = STR("QhdPYR:00WBw1Ph7x7");
	m[2].size = 5;
	m[2].uid = STR("u3");
}

struct serve_case {
	const char *line; /* read in TRANSACTION (AUTHORIZATION: login 0) */
	int login;
	int rc;           /* of mf_pop3_serve */
	const char *want; /* what it appends */
	size_t msg;       /* *msg */
	unsigned deleted; /* the deleted marks after it, bit k: message k+1 */
};

/* Reads c->line in a fresh session on table m and answers it; *out gets
 * what mf_pop3_serve appended. rc of mf_pop3_serve. */
static int
serve_one(mf_pop3_server *sv, const char *line, mf_pop3_msg *m, mf_buf *out,
	  size_t *msg)
{
	mf_pop3_cmd c;
	int rc = sread(sv, line, &c, NULL);

	if (rc != MF_OK)
		fail_msg("%s: read %d", line, rc);
	return mf_pop3_serve(sv, &c, m, 3, out, msg);
}

static void
test_serve(void **state)
{
	static const struct serve_case cases[] = {
	    {"STAT\r\n", 1, MF_OK, "+OK 3 325\r\n", SIZE_MAX, 0},
	    {"LIST\r\n", 1, MF_OK,
	     "+OK listing follows\r\n1 120\r\n2 200\r\n3 5\r\n.\r\n", SIZE_MAX,
	     0},
	    {"LIST 2\r\n", 1, MF_OK, "+OK 2 200\r\n", SIZE_MAX, 0},
	    {"LIST 4\r\n", 1, MF_OK, "-ERR no such message\r\n", SIZE_MAX, 0},
	    {"UIDL\r\n", 1, MF_OK,
	     "+OK listing follows\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n"
	     "2 QhdPYR:00WBw1Ph7x7\r\n3 u3\r\n.\r\n",
	     SIZE_MAX, 0},
	    {"UIDL 3\r\n", 1, MF_OK, "+OK 3 u3\r\n", SIZE_MAX, 0},
	    {"RETR 2\r\n", 1, MF_OK, "+OK 200 octets\r\n", 1, 0},
	    {"RETR 9\r\n", 1, MF_OK, "-ERR no such message\r\n", SIZE_MAX, 0},
	    {"TOP 3 0\r\n", 1, MF_OK, "+OK top of message follows\r\n", 2, 0},
	    {"DELE 1\r\n", 1, MF_OK, "+OK message 1 deleted\r\n", SIZE_MAX, 1},
	    {"RSET\r\n", 1, MF_OK, "+OK maildrop has 3 messages\r\n", SIZE_MAX,
	     0},
	    {"NOOP\r\n", 1, MF_OK, "+OK\r\n", SIZE_MAX, 0},
	    {"LAST\r\n", 1, MF_OK, "-ERR command not implemented\r\n", SIZE_MAX,
	     0},
	    {"QUIT\r\n", 0, MF_OK, "+OK bye\r\n", SIZE_MAX, 0},
	    {"AUTH PLAIN\r\n", 0, MF_OK, "-ERR command not implemented\r\n",
	     SIZE_MAX, 0},
	    {"STLS\r\n", 0, MF_OK, "-ERR command not implemented\r\n", SIZE_MAX,
	     0},
	    /* The caller's own. */
	    {"USER a\r\n", 0, MF_MORE, "", SIZE_MAX, 0},
	    {"APOP a c4c9334bac560ecc979e58001b3e22fb\r\n", 0, MF_MORE, "",
	     SIZE_MAX, 0},
	    {"CAPA\r\n", 1, MF_MORE, "", SIZE_MAX, 0},
	    {"QUIT\r\n", 1, MF_MORE, "", SIZE_MAX, 0},
	};
	mf_buf *out = mf_buf_new(NULL);
	mf_pop3_msg m[3];
	mf_pop3_server sv;
	mf_pop3_cmd c;
	uint64_t octets;
	size_t i, k, msg;
	char label[64];

	(void)state;
	assert_non_null(out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct serve_case *t = &cases[i];
		unsigned marks = 0;

		snprintf(label, sizeof(label), "case %zu %s", i, t->line);
		drop_init(m);
		mf_buf_clear(out);
		server_at(&sv, t->login);
		assert_int_equal(serve_one(&sv, t->line, m, out, &msg), t->rc);
		tu_assert_mem(mf_buf_data(out), mf_buf_len(out), t->want,
			      strlen(t->want), label);
		assert_int_equal(msg, t->msg);
		for (k = 0; k < 3; k++)
			marks |= (unsigned)m[k].deleted << k;
		assert_int_equal(marks, t->deleted);
		/* Answered: the next line may be read; not answered: the
		 * caller's reply is still due. */
		if (t->rc == MF_OK)
			assert_int_equal(sread(&sv, "NOOP\r\n", &c, NULL),
					 sv.state == MF_POP3_CLOSED ? MF_E_INVAL
					 : t->login		    ? MF_OK
								    : MF_E_STATE);
		else
			sreply(&sv, &OK);
	}
	/* PASS (after USER) is the caller's too. */
	drop_init(m);
	server_at(&sv, 0);
	assert_int_equal(serve_one(&sv, "USER a\r\n", m, out, &msg), MF_MORE);
	sreply(&sv, &OK);
	assert_int_equal(serve_one(&sv, "PASS a\r\n", m, out, &msg), MF_MORE);
	sreply(&sv, &OK);
	/* A session: deleted messages are gone from STAT, LIST, UIDL,
	 * RETR and DELE until RSET. */
	drop_init(m);
	server_at(&sv, 1);
	mf_buf_clear(out);
	assert_int_equal(serve_one(&sv, "DELE 2\r\n", m, out, &msg), MF_OK);
	assert_int_equal(serve_one(&sv, "DELE 2\r\n", m, out, &msg), MF_OK);
	assert_int_equal(serve_one(&sv, "STAT\r\n", m, out, &msg), MF_OK);
	assert_int_equal(serve_one(&sv, "LIST\r\n", m, out, &msg), MF_OK);
	assert_int_equal(serve_one(&sv, "UIDL 2\r\n", m, out, &msg), MF_OK);
	assert_int_equal(serve_one(&sv, "RETR 2\r\n", m, out, &msg), MF_OK);
	assert_int_equal(msg, SIZE_MAX);
	assert_int_equal(mf_pop3_drop_stat(m, 3, &octets), 2);
	assert_int_equal(octets, 125);
	assert_int_equal(serve_one(&sv, "RSET\r\n", m, out, &msg), MF_OK);
	assert_int_equal(mf_pop3_drop_stat(m, 3, NULL), 3);
	assert_string_equal(mf_buf_data(out),
			    "+OK message 2 deleted\r\n"
			    "-ERR no such message\r\n"
			    "+OK 2 125\r\n"
			    "+OK listing follows\r\n1 120\r\n3 5\r\n.\r\n"
			    "-ERR no such message\r\n"
			    "-ERR no such message\r\n"
			    "+OK maildrop has 3 messages\r\n");
	/* Misuse and bad tables change nothing. */
	assert_int_equal(mf_pop3_serve(&sv, &c, m, 3, out, &msg), MF_E_INVAL);
	assert_int_equal(sread(&sv, "UIDL\r\n", &c, NULL), MF_OK);
	assert_int_equal(mf_pop3_serve(NULL, &c, m, 3, out, &msg), MF_E_INVAL);
	assert_int_equal(mf_pop3_serve(&sv, &c, NULL, 3, out, &msg),
			 MF_E_INVAL);
	assert_int_equal(mf_pop3_serve(&sv, &c, m, 3, NULL, &msg), MF_E_INVAL);
	assert_int_equal(mf_pop3_serve(&sv, &c, m, 3, out, NULL), MF_E_INVAL);
	k = mf_buf_len(out);
	m[2].uid = STR("bad uid");
	assert_int_equal(mf_pop3_serve(&sv, &c, m, 3, out, &msg), MF_E_INVAL);
	m[2].uid = (mf_str){NULL, 0};
	assert_int_equal(mf_pop3_serve(&sv, &c, m, 3, out, &msg), MF_E_INVAL);
	/* A deleted message's bad uid is never sent: no matter. */
	m[2].deleted = 1;
	assert_int_equal(mf_pop3_serve(&sv, &c, m, 3, out, &msg), MF_OK);
	assert_string_equal(mf_buf_data(out) + k,
			    "+OK listing follows\r\n"
			    "1 whqtswO00WBw418f9t5JxYwZ\r\n"
			    "2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
	/* A refused line needs -ERR from the caller, not this. */
	assert_int_equal(sread(&sv, "RETR x\r\n", &c, NULL), MF_E_SYNTAX);
	assert_int_equal(mf_pop3_serve(&sv, &c, m, 3, out, &msg), MF_E_INVAL);
	sreply(&sv, &ERR);
	assert_int_equal(mf_pop3_drop_stat(NULL, 3, &octets), 0);
	assert_int_equal(octets, 0);
	mf_buf_free(out);
}

/* RETR and TOP data: dot-stuffed, CRLF, ended; TOP cut after the header
 * and its lines; the size is mf_pop3_msg_size's. */
static void
test_serve_msg(void **state)
{
	static const char msg[] =
	    "Subject: x\n\n.first\r\nsecond\nthird\r\n.\r\nlast";
	static const struct {
		const char *cmd, *want;
	} cases[] = {
	    {"RETR 1\r\n", "Subject: x\r\n\r\n..first\r\nsecond\r\nthird\r\n"
			   "..\r\nlast\r\n.\r\n"},
	    {"TOP 1 0\r\n", "Subject: x\r\n\r\n.\r\n"},
	    {"TOP 1 2\r\n", "Subject: x\r\n\r\n..first\r\nsecond\r\n.\r\n"},
	    {"TOP 1 99\r\n", "Subject: x\r\n\r\n..first\r\nsecond\r\nthird\r\n"
			     "..\r\nlast\r\n.\r\n"},
	};
	mf_buf *out = mf_buf_new(NULL);
	mf_pop3_cmd c;
	size_t i, used;

	(void)state;
	assert_non_null(out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mf_pop3_cmd_parse(cases[i].cmd,
						   strlen(cases[i].cmd), NULL,
						   &c, &used, NULL),
				 MF_OK);
		mf_buf_clear(out);
		assert_int_equal(mf_buf_append(out, "+OK\r\n", 5), MF_OK);
		assert_int_equal(
		    mf_pop3_serve_msg(out, msg, sizeof(msg) - 1, &c), MF_OK);
		assert_string_equal(mf_buf_data(out) + 5, cases[i].want);
	}
	/* RETR sends what mf_pop3_msg_size counts: the client drops the
	 * two stuffing dots and the final ".\r\n". */
	assert_int_equal(mf_pop3_msg_size(msg, sizeof(msg) - 1),
			 strlen(cases[0].want) - 2 - 3);
	mf_buf_clear(out);
	assert_int_equal(mf_pop3_serve_msg(out, NULL, 0, &c), MF_OK);
	assert_string_equal(mf_buf_data(out), ".\r\n");
	c.verb = MF_POP3_LIST;
	assert_int_equal(mf_pop3_serve_msg(out, msg, 3, &c), MF_E_INVAL);
	c.verb = MF_POP3_RETR;
	assert_int_equal(mf_pop3_serve_msg(NULL, msg, 3, &c), MF_E_INVAL);
	assert_int_equal(mf_pop3_serve_msg(out, NULL, 3, &c), MF_E_INVAL);
	assert_int_equal(mf_pop3_serve_msg(out, msg, 3, NULL), MF_E_INVAL);
	assert_string_equal(mf_buf_data(out), ".\r\n");
	mf_buf_free(out);
}

/* OOM: every failure returns MF_E_NOMEM and changes nothing (no state
 * taken, no mark set, out as it was); the final run is the normal one. */
static int
serve_oom(const mf_alloc *a, void *ctx)
{
	static const char *const lines[] = {
	    "UIDL\r\n", "LIST\r\n", "DELE 1\r\n", "STAT\r\n", "RETR 2\r\n",
	    "TOP 3 1\r\n", "RSET\r\n", "LIST 3\r\n", "NOOP\r\n"};
	static const char want[] =
	    "+OK listing follows\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n"
	    "2 QhdPYR:00WBw1Ph7x7\r\n3 u3\r\n.\r\n"
	    "+OK listing follows\r\n1 120\r\n2 200\r\n3 5\r\n.\r\n"
	    "+OK message 1 deleted\r\n+OK 2 205\r\n"
	    "+OK 200 octets\r\nSubject: m\r\n\r\nbody\r\n.\r\n"
	    "+OK top of message follows\r\nSubject: m\r\n\r\nbody\r\n.\r\n"
	    "+OK maildrop has 3 messages\r\n+OK 3 5\r\n+OK\r\n";
	mf_buf *out = mf_buf_new(a);
	mf_pop3_msg m[3];
	mf_pop3_server sv;
	mf_pop3_cmd c;
	size_t i, msg, before;
	int rc = MF_OK;

	(void)ctx;
	if (out == NULL)
		return MF_E_NOMEM;
	drop_init(m);
	server_at(&sv, 1);
	for (i = 0; rc == MF_OK && i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(sread(&sv, lines[i], &c, NULL), MF_OK);
		before = mf_buf_len(out);
		rc = mf_pop3_serve(&sv, &c, m, 3, out, &msg);
		if (rc == MF_OK && msg != SIZE_MAX)
			rc = mf_pop3_serve_msg(out, "Subject: m\n\nbody\n", 17,
					       &c);
		if (rc < 0) {
			assert_int_equal(rc, MF_E_NOMEM);
			/* mf_pop3_serve's failure: still due, no mark. */
			if (mf_buf_len(out) == before)
				assert_int_equal(m[0].deleted,
						 i > 2 && i <= 6);
		}
	}
	if (rc == MF_OK)
		assert_string_equal(mf_buf_data(out), want);
	mf_buf_free(out);
	return rc;
}

static void
test_serve_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(serve_oom, NULL) > 0);
}

/*
 * OOM: nothing in POP3 allocates (the machines are caller-owned structs,
 * lines are views). The one callee that could, the header machine under
 * mf_pop3_top_len, reads a whole message in one chunk: the OOM loop
 * shows it makes no allocation, so mf_pop3_top_len cannot fail so.
 */
static int
top_oom(const mf_alloc *a, void *ctx)
{
	const char *m = ctx;
	mf_opts o;
	mf__hdr h;
	mf__hdr_ev ev;
	size_t off = 0, used, n = strlen(m);
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	mf__hdr_init(&h, &o, 0);
	do {
		rc = mf__hdr_feed(&h, m + off, n - off, true, &used, &ev);
		off += used;
	} while (rc == MF_OK && ev.type != MF__HDR_END);
	mf__hdr_fini(&h);
	return rc;
}

static void
test_oom(void **state)
{
	static const char *const msgs[] = {
	    "Subject: x\r\n continued\r\nFrom: a\r\n\r\nbody\r\n",
	    "From x Mon\nSubject: y\n\nb\n", "no header line\n", "",
	    "Subject: no end"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		assert_int_equal(tu_oom_loop(top_oom, (void *)(uintptr_t)msgs[i]),
				 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmd_table),
	    cmocka_unit_test(test_cmd_limits),
	    cmocka_unit_test(test_cmd_format),
	    cmocka_unit_test(test_cmd_roundtrip),
	    cmocka_unit_test(test_reply_table),
	    cmocka_unit_test(test_reply_limits),
	    cmocka_unit_test(test_reply_format),
	    cmocka_unit_test(test_listing),
	    cmocka_unit_test(test_capa),
	    cmocka_unit_test(test_apop),
	    cmocka_unit_test(test_server_rfc1939),
	    cmocka_unit_test(test_server_lecture),
	    cmocka_unit_test(test_server_states),
	    cmocka_unit_test(test_serve),
	    cmocka_unit_test(test_serve_msg),
	    cmocka_unit_test(test_serve_oom),
	    cmocka_unit_test(test_server_flow),
	    cmocka_unit_test(test_server_errors),
	    cmocka_unit_test(test_server_long_line),
	    cmocka_unit_test(test_server_chunks),
	    cmocka_unit_test(test_server_stls),
	    cmocka_unit_test(test_server_auth),
	    cmocka_unit_test(test_client_rfc1939),
	    cmocka_unit_test(test_client_lecture),
	    cmocka_unit_test(test_client_data),
	    cmocka_unit_test(test_client_flow),
	    cmocka_unit_test(test_client_errors),
	    cmocka_unit_test(test_client_pipelining),
	    cmocka_unit_test(test_client_auth),
	    cmocka_unit_test(test_client_limits),
	    cmocka_unit_test(test_server_msg),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
