/* SPDX-License-Identifier: MIT */
/*
 * test_flags.c - the one flag vocabulary (mailfmt(3), FLAGS): every public
 * flag is one bit of its own, and every function that takes flags, as an
 * argument or in mf_opts.flags, refuses each bit it does not use with
 * MF_E_INVAL and accepts each bit it does.
 */
#include "tutil.h"

#define FLAG(x)                                                                \
	{                                                                      \
#x, x                                                          \
	}

static const struct {
	const char *name;
	unsigned v;
} flags[] = {
    FLAG(MF_STRICT),         FLAG(MF_UTF8_OUT),       FLAG(MF_LF),
    FLAG(MF_SAFE_TEXT),      FLAG(MF_8BITMIME),       FLAG(MF_BINARYMIME),
    FLAG(MF_DOT_STUFF),      FLAG(MF_ACCEPT_LF),      FLAG(MF_LEX_COMMENTS),
    FLAG(MF_LEX_MIME),       FLAG(MF_LEX_DOTS),       FLAG(MF_QP_BINARY),
    FLAG(MF_QP_SAFE),        FLAG(MF_EW_Q),           FLAG(MF_EW_B),
    FLAG(MF_EW_PHRASE),      FLAG(MF_DECODE),         FLAG(MF_MBOX),
    FLAG(MF_NO_BODY),        FLAG(MF_MBOX_CLEN),      FLAG(MF_MBOX_RD),
    FLAG(MF_CONTENT_TEXT),   FLAG(MF_CONTENT_FLOWED), FLAG(MF_FLOWED_DELSP),
    FLAG(MF_RFC2231_CONT),   FLAG(MF_DATE_ISO),       FLAG(MF_SMTP_COLON_SPACE),
    FLAG(MF_SMTP_BARE_PATH), FLAG(MF_LONG_LINES),
};

static void
test_one_bit_each(void **state)
{
	unsigned all = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		unsigned v = flags[i].v;

		if (v == 0 || (v & (v - 1)) != 0 || (all & v) != 0)
			fail_msg("%s (0x%x) is not a bit of its own",
			         flags[i].name, v);
		all |= v;
	}
}

/* ---------------------------------------------------------------------- */
/* One call per function, taking the flags under test                     */
/* ---------------------------------------------------------------------- */

static const char msg[] = "From: a@b\r\n"
                          "Content-Type: text/plain; format=flowed\r\n"
                          "Subject: =?utf-8?q?x?=\r\n"
                          "\r\n"
                          "body\r\n";
static char out[4096];
static size_t outlen;
static mf_buf *ob;
static mf_msg *tree;

#define OPTS(f) (&(mf_opts){.flags = (f)})

static int
c_b64_encode(unsigned f)
{
	return mf_b64_encode(out, sizeof(out), "abc", 3, 76, f, &outlen);
}

static int
c_b64_encoded_len(unsigned f)
{
	return mf_b64_encoded_len(3, 76, f) == SIZE_MAX ? MF_E_INVAL : MF_OK;
}

static int
c_b64_enc_init(unsigned f)
{
	mf_b64_enc st;
	int a = mf_b64_enc_init(&st, 76, f);
	int b = mf_b64_enc_update(&st, out, sizeof(out), "ab", 2, &outlen);
	int c = mf_b64_enc_final(&st, out, sizeof(out), &outlen);

	/* A refused state stays refused. */
	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	assert_int_equal(a == MF_E_INVAL, c == MF_E_INVAL);
	return a;
}

static int
c_b64_decode(unsigned f)
{
	return mf_b64_decode(out, sizeof(out), "YWJj", 4, f, &outlen, NULL,
	                     NULL);
}

static int
c_b64_dec(unsigned f)
{
	mf_b64_dec st = {.flags = f};
	mf_error e;
	int a = mf_b64_dec_update(&st, out, sizeof(out), "YW", 2, &outlen, &e);
	int b = mf_b64_dec_final(&st, out, sizeof(out), &outlen, NULL);

	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	if (a == MF_E_INVAL)
		assert_int_equal(e.code, MF_E_INVAL);
	return a;
}

static int
c_qp_encode(unsigned f)
{
	return mf_qp_encode(out, sizeof(out), "a\r\n", 3, f, &outlen);
}

static int
c_qp_encoded_len(unsigned f)
{
	return mf_qp_encoded_len(3, f) == SIZE_MAX ? MF_E_INVAL : MF_OK;
}

static int
c_qp_enc_init(unsigned f)
{
	mf_qp_enc st;
	int a = mf_qp_enc_init(&st, f);
	int b = mf_qp_enc_update(&st, out, sizeof(out), "ab", 2, &outlen);
	int c = mf_qp_enc_final(&st, out, sizeof(out), &outlen);

	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	assert_int_equal(a == MF_E_INVAL, c == MF_E_INVAL);
	return a;
}

static int
c_qp_decode(unsigned f)
{
	return mf_qp_decode(out, sizeof(out), "a=3D", 4, f, &outlen, NULL,
	                    NULL);
}

static int
c_qp_dec(unsigned f)
{
	mf_qp_dec st = {.flags = f};
	int a = mf_qp_dec_update(&st, out, sizeof(out), "a=", 2, &outlen, NULL);
	int b = mf_qp_dec_final(&st, out, sizeof(out), &outlen, NULL);

	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	return a;
}

static const char uu[] = "begin 644 x\n#86)C\n`\nend\n";

static int
c_uu_decode(unsigned f)
{
	return mf_uu_decode(out, sizeof(out), uu, sizeof(uu) - 1, f, &outlen,
	                    NULL, NULL, NULL);
}

static int
c_uu_dec(unsigned f)
{
	mf_uu_dec st;
	int a;

	memset(&st, 0, sizeof(st));
	st.flags = f;
	a = mf_uu_dec_update(&st, out, sizeof(out), uu, 5, &outlen, NULL);
	return a;
}

static int
c_ew_encode(unsigned f)
{
	return mf_ew_encode(ob, "caf\xc3\xa9", 5, NULL, f, 0, 76);
}

static int
c_ew_decode(unsigned f)
{
	return mf_ew_decode(ob, "=?utf-8?q?x?=", 13, OPTS(f), NULL, NULL);
}

static int
c_hdr_decode(unsigned f)
{
	return mf_hdr_decode(ob, "a\r\n =?utf-8?q?x?=", 17, OPTS(f), NULL,
	                     NULL);
}

static int
c_rfc2231_decode(unsigned f)
{
	return mf_rfc2231_decode(ob, "utf-8''a%41", 11, f, NULL, NULL, NULL,
	                         NULL, NULL);
}

static int
c_rfc2231_decode_opts(unsigned f)
{
	return mf_rfc2231_decode(ob, "utf-8''a%41", 11, 0, OPTS(f), NULL, NULL,
	                         NULL, NULL);
}

static int
c_rfc2231_encode(unsigned f)
{
	return mf_rfc2231_encode(ob, "filename", 8, "a b", 3, NULL, f, 0, 0);
}

static int
c_charset_to(unsigned f)
{
	return mf_charset_to_utf8(ob, "latin1", 6, "a", 1, OPTS(f), NULL, NULL);
}

static int
c_charset_from(unsigned f)
{
	return mf_charset_from_utf8(ob, "latin1", 6, "a", 1, OPTS(f), NULL,
	                            NULL);
}

static int
c_lex_init(unsigned f)
{
	mf_lexer lx;
	mf_tok t;
	int a = mf_lex_init(&lx, "a b", 3, f);
	int b = mf_lex_next(&lx, &t, NULL);

	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	return a;
}

static int
c_quote(unsigned f)
{
	return mf_quote(ob, "a b", 3, f);
}

static int
c_headers_parse(unsigned f)
{
	mf_headers *h = NULL;
	size_t body;
	int rc =
	    mf_headers_parse(msg, sizeof(msg) - 1, OPTS(f), &h, &body, NULL);

	mf_headers_free(h);
	return rc;
}

static int
c_headers_scan(unsigned f)
{
	mf_field fl[8];
	size_t n = 8, body;

	return mf_headers_scan(msg, sizeof(msg) - 1, OPTS(f), fl, &n, &body,
	                       NULL, NULL);
}

static int
c_hdr_fold(unsigned f)
{
	return mf_hdr_fold(ob, "Subject", 7, "x", 1, f, 0, NULL);
}

static int
c_addr_parse(unsigned f)
{
	mf_addr a[4];
	char s[64];
	size_t n = 4, sn = sizeof(s);

	return mf_addr_parse("a@b", 3, OPTS(f), a, &n, s, &sn, NULL, NULL);
}

static int
c_addr_spec_parse(unsigned f)
{
	mf_addr a;
	char s[64];
	size_t sn = sizeof(s);

	return mf_addr_spec_parse("a@b", 3, OPTS(f), &a, s, &sn, NULL);
}

static int
c_addrs_parse(unsigned f)
{
	mf_addrs *l = NULL;
	int rc = mf_addrs_parse("a@b", 3, OPTS(f), &l, NULL);

	mf_addrs_free(l);
	return rc;
}

static int
c_addr_format(unsigned f)
{
	mf_addr a;

	memset(&a, 0, sizeof(a));
	a.kind = MF_ADDR_MAILBOX;
	a.local = (mf_str){"a", 1};
	a.domain = (mf_str){"b", 1};
	return mf_addr_format(ob, &a, 1, f, 0, 78);
}

static const char date[] = "Mon, 17 Jan 1994 11:14:55 -0500";

static int
c_date_parse(unsigned f)
{
	mf_date d;

	return mf_date_parse(date, sizeof(date) - 1, OPTS(f), &d, NULL, NULL);
}

static int
c_date_format(unsigned f)
{
	mf_date d;

	assert_int_equal(
	    mf_date_parse(date, sizeof(date) - 1, NULL, &d, NULL, NULL), MF_OK);
	return mf_date_format(out, sizeof(out), &d, f, NULL);
}

static int
c_msgid_parse(unsigned f)
{
	mf_str ids[2];
	size_t n = 2;

	return mf_msgid_parse("<a@b>", 5, OPTS(f), ids, &n, NULL, NULL);
}

static const char rcvd[] = "from a by b; Mon, 17 Jan 1994 11:14:55 -0500";

static int
c_received_parse(unsigned f)
{
	mf_received r;

	return mf_received_parse(rcvd, sizeof(rcvd) - 1, OPTS(f), &r, NULL,
	                         NULL);
}

static int
c_received_format(unsigned f)
{
	mf_received r;

	assert_int_equal(
	    mf_received_parse(rcvd, sizeof(rcvd) - 1, NULL, &r, NULL, NULL),
	    MF_OK);
	return mf_received_format(ob, &r, f, NULL);
}

static int
c_ctype_parse(unsigned f)
{
	mf_ctype *ct = NULL;
	int rc = mf_ctype_parse("text/plain", 10, OPTS(f), &ct, NULL);

	mf_ctype_free(ct);
	return rc;
}

static int
c_disp_parse(unsigned f)
{
	mf_disp *d = NULL;
	int rc = mf_disp_parse("inline", 6, OPTS(f), &d, NULL);

	mf_disp_free(d);
	return rc;
}

static int
nop_event(void *ctx, const mf_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static int
c_parser(unsigned f)
{
	mf_parser *ps = mf_parser_new(OPTS(f), nop_event, NULL);
	int a, b;
	mf_error e;

	assert_non_null(ps);
	a = mf_parser_feed(ps, msg, sizeof(msg) - 1);
	b = mf_parser_finish(ps);
	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	if (a == MF_E_INVAL) {
		assert_int_equal(mf_parser_error(ps, &e), MF_E_INVAL);
		assert_int_equal(e.code, MF_E_INVAL);
	}
	mf_parser_free(ps);
	return a;
}

static int
c_msg_parse(unsigned f)
{
	mf_msg *m = NULL;
	/* MF_MBOX_CLEN is honoured with MF_MBOX (alone it is refused). */
	int rc = mf_msg_parse(msg, sizeof(msg) - 1,
	                      OPTS(f == MF_MBOX_CLEN ? f | MF_MBOX : f), &m,
	                      NULL);

	mf_msg_free(m);
	return rc;
}

static int
c_mbox_next(unsigned f)
{
	size_t pos = 0;
	mf_str m, from;
	int rc = mf_mbox_next("From a\nx\n", 9, &pos, f, &m, &from, NULL);

	return rc == 1 ? MF_OK : rc;
}

static int
c_mbox_unescape(unsigned f)
{
	return mf_mbox_unescape(ob, ">From a\n", 8, f);
}

static int
c_part_decode(unsigned f)
{
	return mf_part_decode(mf_msg_root(tree), ob, f, NULL, NULL, NULL);
}

static int
c_part_decode_opts(unsigned f)
{
	return mf_part_decode(mf_msg_root(tree), ob, 0, OPTS(f), NULL, NULL);
}

static int
dec_run(unsigned f, const mf_opts *o)
{
	mf_content_dec *d = mf_content_dec_new(mf_msg_root(tree), f, o);
	int a, b;

	assert_non_null(d);
	a = mf_content_dec_update(d, ob, "x", 1);
	b = mf_content_dec_final(d, ob);
	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	assert_int_equal(a == MF_E_INVAL,
	                 mf_content_dec_error(d, NULL) == MF_E_INVAL);
	mf_content_dec_free(d);
	return a;
}

static int
c_content_dec(unsigned f)
{
	return dec_run(f, NULL);
}

static int
c_content_dec_opts(unsigned f)
{
	return dec_run(0, OPTS(f));
}

static int
c_flowed_decode(unsigned f)
{
	return mf_flowed_decode(ob, "a \r\nb\r\n", 7, f);
}

static int
c_dot_decode(unsigned f)
{
	size_t used;

	return mf_dot_decode(out, sizeof(out), "a\r\n.\r\n", 6, f, &outlen,
	                     &used, NULL, NULL);
}

static int
c_dot_dec(unsigned f)
{
	mf_dot_dec st;
	int a, b;

	memset(&st, 0, sizeof(st));
	st.flags = f;
	a = mf_dot_dec_update(&st, out, sizeof(out), "a", 1, &outlen, NULL,
	                      NULL);
	b = mf_dot_dec_update(&st, out, sizeof(out), "\r\n.\r\n", 5,
	                      &outlen, NULL, NULL);
	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	return a == MF_MORE ? MF_OK : a;
}

static int
c_smtp_cmd_parse(unsigned f)
{
	mf_smtp_cmd c;
	size_t used;

	return mf_smtp_cmd_parse("NOOP\r\n", 6, OPTS(f), &c, &used, NULL);
}

static int
c_smtp_path_parse(unsigned f)
{
	mf_smtp_path p;

	return mf_smtp_path_parse("<a@b>", 5, f, &p, NULL);
}

static int
c_smtp_path_format(unsigned f)
{
	return mf_smtp_path_format(ob, "a@b", 3, f);
}

static int
c_smtp_sasl_parse(unsigned f)
{
	mf_str line;
	size_t used;

	return mf_smtp_sasl_parse("=\r\n", 3, OPTS(f), &line, &used, NULL);
}

static int
c_smtp_reply_parse(unsigned f)
{
	mf_smtp_reply r;
	mf_str l[2];
	size_t n = 2, used;

	return mf_smtp_reply_parse("250 OK\r\n", 8, OPTS(f), &r, l, &n, &used,
	                           NULL);
}

static int
c_smtp_trace_format(unsigned f)
{
	mf_smtp_trace t;

	memset(&t, 0, sizeof(t));
	t.by = (mf_str){"b", 1};
	assert_int_equal(mf_date_parse(date, sizeof(date) - 1, NULL, &t.date,
	                               NULL, NULL),
	                 MF_OK);
	return mf_smtp_trace_format(ob, NULL, &t, f, NULL);
}

static int
c_smtp_server(unsigned f)
{
	mf_smtp_server s;
	mf_smtp_cmd c;
	mf_smtp_status st;
	size_t used;

	memset(&s, 0, sizeof(s));
	s.flags = f;
	return mf_smtp_server_parse(&s, "NOOP\r\n", 6, &c, &used, &st, NULL);
}

static int
c_smtp_client(unsigned f)
{
	mf_smtp_client c;
	mf_str r = {"a@b", 3};
	int rc;

	memset(&c, 0, sizeof(c));
	c.helo = (mf_str){"h", 1};
	c.rcpts = &r;
	c.nrcpts = 1;
	c.size = 10;
	c.flags = f;
	rc = mf_smtp_client_next(&c, ob);
	return rc > 0 ? MF_OK : rc;
}

static int
c_pop3_cmd_parse(unsigned f)
{
	mf_pop3_cmd cmd;
	size_t used;

	return mf_pop3_cmd_parse("QUIT\r\n", 6, OPTS(f), &cmd, &used, NULL);
}

static int
c_pop3_reply_parse(unsigned f)
{
	mf_pop3_reply r;
	size_t used;

	return mf_pop3_reply_parse("+OK\r\n", 5, OPTS(f), &r, &used, NULL);
}

static int
c_pop3_server(unsigned f)
{
	mf_pop3_server sv;
	mf_pop3_cmd cmd;
	size_t used, n;
	int a = mf_pop3_server_init(&sv, OPTS(f));
	mf_pop3_reply ok = {.status = MF_POP3_OK};
	int b = mf_pop3_server_reply(&sv, &ok, out, sizeof(out), &n);
	int c = mf_pop3_server_read(&sv, "QUIT\r\n", 6, &cmd, &used, NULL);

	/* A refused state stays refused. */
	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	assert_int_equal(a == MF_E_INVAL, c == MF_E_INVAL);
	return a;
}

static int
c_pop3_client(unsigned f)
{
	mf_pop3_client cl;
	mf_pop3_event ev;
	size_t used;
	int a = mf_pop3_client_init(&cl, OPTS(f));
	int b = mf_pop3_client_read(&cl, "+OK\r\n", 5, &ev, &used, NULL);

	assert_int_equal(a == MF_E_INVAL, b == MF_E_INVAL);
	return a;
}

static const struct {
	const char *name;
	int (*call)(unsigned f);
	unsigned takes;
} fns[] = {
    {"mf_b64_encode", c_b64_encode, MF_LF},
    {"mf_b64_encoded_len", c_b64_encoded_len, MF_LF},
    {"mf_b64_enc_init", c_b64_enc_init, MF_LF},
    {"mf_b64_decode", c_b64_decode, MF_STRICT},
    {"mf_b64_dec_update", c_b64_dec, MF_STRICT},
    {"mf_qp_encode", c_qp_encode, MF_QP_BINARY | MF_LF | MF_QP_SAFE},
    {"mf_qp_encoded_len", c_qp_encoded_len, MF_QP_BINARY | MF_LF | MF_QP_SAFE},
    {"mf_qp_enc_init", c_qp_enc_init, MF_QP_BINARY | MF_LF | MF_QP_SAFE},
    {"mf_qp_decode", c_qp_decode, MF_STRICT},
    {"mf_qp_dec_update", c_qp_dec, MF_STRICT},
    {"mf_uu_decode", c_uu_decode, MF_STRICT},
    {"mf_uu_dec_update", c_uu_dec, MF_STRICT},
    {"mf_ew_encode", c_ew_encode, MF_EW_Q | MF_EW_B | MF_EW_PHRASE | MF_LF},
    {"mf_ew_decode (opts)", c_ew_decode, MF_STRICT | MF_SAFE_TEXT},
    {"mf_hdr_decode (opts)", c_hdr_decode, MF_STRICT | MF_SAFE_TEXT},
    {"mf_rfc2231_decode", c_rfc2231_decode, MF_RFC2231_CONT},
    {"mf_rfc2231_decode (opts)", c_rfc2231_decode_opts, MF_STRICT},
    {"mf_rfc2231_encode", c_rfc2231_encode, MF_LF},
    {"mf_charset_to_utf8 (opts)", c_charset_to, MF_STRICT},
    {"mf_charset_from_utf8 (opts)", c_charset_from, MF_STRICT},
    {"mf_lex_init", c_lex_init,
     MF_LEX_COMMENTS | MF_LEX_MIME | MF_LEX_DOTS | MF_STRICT},
    {"mf_quote", c_quote, MF_LEX_DOTS},
    {"mf_headers_parse (opts)", c_headers_parse, MF_STRICT},
    {"mf_headers_scan (opts)", c_headers_scan, MF_STRICT},
    {"mf_hdr_fold", c_hdr_fold, MF_LF | MF_UTF8_OUT},
    {"mf_addr_parse (opts)", c_addr_parse, MF_STRICT},
    {"mf_addr_spec_parse (opts)", c_addr_spec_parse, MF_STRICT},
    {"mf_addrs_parse (opts)", c_addrs_parse, MF_STRICT},
    {"mf_addr_format", c_addr_format, MF_LF | MF_UTF8_OUT},
    {"mf_date_parse (opts)", c_date_parse, MF_STRICT},
    {"mf_date_format", c_date_format, MF_DATE_ISO},
    {"mf_msgid_parse (opts)", c_msgid_parse, MF_STRICT},
    {"mf_received_parse (opts)", c_received_parse, MF_STRICT},
    {"mf_received_format", c_received_format, MF_LF | MF_UTF8_OUT},
    {"mf_ctype_parse (opts)", c_ctype_parse, MF_STRICT},
    {"mf_disp_parse (opts)", c_disp_parse, MF_STRICT},
    {"mf_parser_new (opts)", c_parser,
     MF_STRICT | MF_MBOX | MF_DECODE | MF_NO_BODY},
    {"mf_msg_parse (opts)", c_msg_parse,
     MF_STRICT | MF_MBOX | MF_MBOX_CLEN | MF_UTF8_OUT | MF_8BITMIME |
	 MF_BINARYMIME},
    {"mf_mbox_next", c_mbox_next, MF_MBOX_CLEN},
    {"mf_mbox_unescape", c_mbox_unescape, MF_MBOX_RD},
    {"mf_part_decode", c_part_decode,
     MF_CONTENT_TEXT | MF_CONTENT_FLOWED | MF_LF | MF_SAFE_TEXT | MF_MBOX},
    {"mf_part_decode (opts)", c_part_decode_opts, MF_STRICT},
    {"mf_content_dec_new", c_content_dec,
     MF_CONTENT_TEXT | MF_CONTENT_FLOWED | MF_LF | MF_SAFE_TEXT | MF_MBOX},
    {"mf_content_dec_new (opts)", c_content_dec_opts, MF_STRICT},
    {"mf_flowed_decode", c_flowed_decode, MF_FLOWED_DELSP},
    {"mf_dot_decode", c_dot_decode, MF_ACCEPT_LF | MF_LONG_LINES},
    {"mf_dot_dec_update (state)", c_dot_dec, MF_ACCEPT_LF | MF_LONG_LINES},
    {"mf_smtp_cmd_parse (opts)", c_smtp_cmd_parse,
     MF_SMTP_COLON_SPACE | MF_SMTP_BARE_PATH | MF_ACCEPT_LF | MF_LONG_LINES},
    {"mf_smtp_path_parse", c_smtp_path_parse, MF_SMTP_BARE_PATH},
    {"mf_smtp_path_format", c_smtp_path_format, MF_UTF8_OUT},
    {"mf_smtp_sasl_parse (opts)", c_smtp_sasl_parse,
     MF_ACCEPT_LF | MF_LONG_LINES},
    {"mf_smtp_reply_parse (opts)", c_smtp_reply_parse,
     MF_STRICT | MF_ACCEPT_LF | MF_LONG_LINES},
    {"mf_smtp_trace_format", c_smtp_trace_format, MF_LF | MF_UTF8_OUT},
    {"mf_smtp_server_parse (state)", c_smtp_server,
     MF_SMTP_COLON_SPACE | MF_SMTP_BARE_PATH | MF_ACCEPT_LF | MF_LONG_LINES},
    {"mf_smtp_client_next (state)", c_smtp_client,
     MF_8BITMIME | MF_BINARYMIME | MF_UTF8_OUT},
    {"mf_pop3_cmd_parse (opts)", c_pop3_cmd_parse, MF_ACCEPT_LF},
    {"mf_pop3_reply_parse (opts)", c_pop3_reply_parse, MF_ACCEPT_LF},
    {"mf_pop3_server_init (opts)", c_pop3_server, MF_ACCEPT_LF},
    {"mf_pop3_client_init (opts)", c_pop3_client,
     MF_ACCEPT_LF | MF_LONG_LINES},
};

/* Every bit, one at a time: refused exactly when the function does not
 * take it. */
static void
test_unknown_bits_refused(void **state)
{
	size_t i;
	unsigned bit;

	(void)state;
	ob = mf_buf_new(NULL);
	assert_non_null(ob);
	assert_int_equal(mf_msg_parse(msg, sizeof(msg) - 1, NULL, &tree, NULL),
	                 MF_OK);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		assert_int_not_equal(fns[i].call(0), MF_E_INVAL);
		for (bit = 1; bit != 0; bit <<= 1) {
			int rc;

			mf_buf_clear(ob);
			rc = fns[i].call(bit);
			if ((fns[i].takes & bit) != 0 && rc == MF_E_INVAL)
				fail_msg("%s refused flag 0x%x", fns[i].name,
				         bit);
			if ((fns[i].takes & bit) == 0 && rc != MF_E_INVAL)
				fail_msg("%s took unknown flag 0x%x (rc %d)",
				         fns[i].name, bit, rc);
		}
	}
	mf_msg_free(tree);
	mf_buf_free(ob);
}

/* The trap of issue 11: a line-feed flag of another module used to write
 * CRLF silently; now there is one MF_LF, and foreign bits are refused. */
static void
test_one_lf(void **state)
{
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, "x", 1, MF_LF, 0, NULL),
	                 MF_OK);
	assert_string_equal(mf_buf_data(b), "Subject: x\n");
	mf_buf_clear(b);
	assert_int_equal(
	    mf_hdr_fold(b, "Subject", 7, "x", 1, MF_QP_BINARY, 0, NULL),
	    MF_E_INVAL);
	assert_int_equal(mf_buf_len(b), 0);
	mf_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_bit_each),
	    cmocka_unit_test(test_unknown_bits_refused),
	    cmocka_unit_test(test_one_lf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
