/* SPDX-License-Identifier: MIT */
/*
 * test_errors.c - the error audit of issue 11: for every public function
 * that can fail on its input, each way it fails, with the status code and
 * the byte offset it reports (err->offset: the first byte that is wrong),
 * in one table. A row calls one function (a wrapper fixes the options);
 * its input is a string. Module tests hold the finer cases; this table is
 * the place to look up what a function says when it refuses something.
 */
#include "tutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NO_OFF SIZE_MAX /* the function has no mf_error */

static char out[65536];
static size_t outlen;
static mf_buf *ob;

#define STRICT (&(mf_opts){.flags = MF_STRICT})

/* ---- codecs ---- */

static int
b64_strict(const char *in, size_t n, mf_error *e)
{
	return mf_b64_decode(out, sizeof(out), in, n, MF_STRICT, &outlen, NULL,
	                     e);
}

static int
b64_small(const char *in, size_t n, mf_error *e)
{
	return mf_b64_decode(out, 2, in, n, 0, &outlen, NULL, e);
}

/* The stream fed in two halves; the first failure. */
static int
b64_stream(const char *in, size_t n, mf_error *e)
{
	mf_b64_dec st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.flags = MF_STRICT;
	rc = mf_b64_dec_update(&st, out, sizeof(out), in, n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_b64_dec_update(&st, out, sizeof(out), in + n / 2,
		                       n - n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_b64_dec_final(&st, out, sizeof(out), &outlen, e);
	return rc;
}

/* A stream whose second half does not fit: the offset is where it
 * stopped, the bytes consumed so far. */
static int
b64_stream_small(const char *in, size_t n, mf_error *e)
{
	mf_b64_dec st;
	int rc;

	memset(&st, 0, sizeof(st));
	rc = mf_b64_dec_update(&st, out, sizeof(out), in, n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_b64_dec_update(&st, out, 1, in + n / 2, n - n / 2,
		                       &outlen, e);
	return rc;
}

static int
b64_encode_small(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_b64_encode(out, 3, in, n, 76, 0, &outlen);
}

static int
qp_strict(const char *in, size_t n, mf_error *e)
{
	return mf_qp_decode(out, sizeof(out), in, n, MF_STRICT, &outlen, NULL,
	                    e);
}

static int
qp_stream(const char *in, size_t n, mf_error *e)
{
	mf_qp_dec st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.flags = MF_STRICT;
	rc = mf_qp_dec_update(&st, out, sizeof(out), in, n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_qp_dec_update(&st, out, sizeof(out), in + n / 2,
		                      n - n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_qp_dec_final(&st, out, sizeof(out), &outlen, e);
	return rc;
}

static int
qp_stream_small(const char *in, size_t n, mf_error *e)
{
	mf_qp_dec st;
	int rc;

	memset(&st, 0, sizeof(st));
	rc = mf_qp_dec_update(&st, out, sizeof(out), in, n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_qp_dec_update(&st, out, 1, in + n / 2, n - n / 2,
		                      &outlen, e);
	return rc;
}

static int
uu_strict(const char *in, size_t n, mf_error *e)
{
	return mf_uu_decode(out, sizeof(out), in, n, MF_STRICT, &outlen, NULL,
	                    NULL, e);
}

static int
ew_strict(const char *in, size_t n, mf_error *e)
{
	return mf_ew_decode(ob, in, n, STRICT, NULL, e);
}

static int
hdr_decode_strict(const char *in, size_t n, mf_error *e)
{
	return mf_hdr_decode(ob, in, n, STRICT, NULL, e);
}

/* A C string of in[0..n) (the charset arguments are C strings). */
static const char *
cstr(const char *in, size_t n)
{
	static char s[256];

	assert_true(n < sizeof(s));
	memcpy(s, in, n);
	s[n] = '\0';
	return s;
}

static int
ew_encode_cs(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_ew_encode(ob, "caf\xc3\xa9", 5, cstr(in, n), 0, 0, 76);
}

static int
ew_encode(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_ew_encode(ob, in, n, NULL, 0, 0, 76);
}

static int
rfc2231_strict(const char *in, size_t n, mf_error *e)
{
	return mf_rfc2231_decode(ob, in, n, 0, STRICT, NULL, NULL, NULL, e);
}

static int
rfc2231_encode_cs(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_rfc2231_encode(ob, "filename", 8, "caf\xc3\xa9", 5,
	                         cstr(in, n), 0, 0, 0);
}

static int
charset_unknown(const char *in, size_t n, mf_error *e)
{
	return mf_charset_to_utf8(ob, in, n, "abc", 3, NULL, NULL, e);
}

static int
charset_strict(const char *in, size_t n, mf_error *e)
{
	return mf_charset_to_utf8(ob, "utf-8", 5, in, n, STRICT, NULL, e);
}

static int
charset_from_unknown(const char *in, size_t n, mf_error *e)
{
	return mf_charset_from_utf8(ob, in, n, "abc", 3, NULL, NULL, e);
}

static int
charset_from_strict(const char *in, size_t n, mf_error *e)
{
	return mf_charset_from_utf8(ob, "iso-8859-1", 10, in, n, STRICT, NULL,
	                            e);
}

/* ---- tokenizer ---- */

static int
lex_strict(const char *in, size_t n, mf_error *e)
{
	mf_lexer lx;
	mf_tok t;
	int rc = mf_lex_init(&lx, in, n, MF_STRICT | MF_LEX_COMMENTS);

	while (rc == MF_OK) {
		rc = mf_lex_next(&lx, &t, e);
		if (rc == MF_OK && t.type == MF_TOK_END)
			break;
	}
	return rc;
}

static int
quote(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_quote(ob, in, n, 0);
}

/* ---- header blocks ---- */

static int
headers_strict(const char *in, size_t n, mf_error *e)
{
	mf_headers *h = NULL;
	size_t body;
	int rc = mf_headers_parse(in, n, STRICT, &h, &body, e);

	mf_headers_free(h);
	return rc;
}

static int
headers_limit(const char *in, size_t n, mf_error *e)
{
	mf_opts o = {.flags = MF_STRICT};
	mf_headers *h = NULL;
	size_t body;
	int rc;

	o.limits.max_headers = 2;
	o.limits.max_field_len = 32;
	rc = mf_headers_parse(in, n, &o, &h, &body, e);
	mf_headers_free(h);
	return rc;
}

static int
headers_scan_small(const char *in, size_t n, mf_error *e)
{
	mf_field f[1];
	size_t nf = 1, body;

	return mf_headers_scan(in, n, NULL, f, &nf, &body, NULL, e);
}

static int
fold_subject(const char *in, size_t n, mf_error *e)
{
	return mf_hdr_fold(ob, "Subject", 7, in, n, 0, 0, e);
}

static int
fold_to(const char *in, size_t n, mf_error *e)
{
	return mf_hdr_fold(ob, "To", 2, in, n, 0, 0, e);
}

static int
fold_msgid(const char *in, size_t n, mf_error *e)
{
	return mf_hdr_fold(ob, "Message-ID", 10, in, n, 0, 0, e);
}

static int
fold_name(const char *in, size_t n, mf_error *e)
{
	return mf_hdr_fold(ob, in, n, "x", 1, 0, 0, e);
}

/* With MF_UTF8_OUT, a word of in repeated to over 998 octets. */
static int
fold_utf8_long(const char *in, size_t n, mf_error *e)
{
	static char v[1100];
	size_t k = 0;

	while (k + n <= sizeof(v) && k < 1000) {
		memcpy(v + k, in, n);
		k += n;
	}
	return mf_hdr_fold(ob, "Subject", 7, v, k, MF_UTF8_OUT, 0, e);
}

/* ---- addresses ---- */

static int
addr_strict(const char *in, size_t n, mf_error *e)
{
	static mf_addr v[64];
	static char scratch[4096];
	size_t count = 64, sl = sizeof(scratch);

	return mf_addr_parse(in, n, STRICT, v, &count, scratch, &sl, NULL, e);
}

static int
addr_small(const char *in, size_t n, mf_error *e)
{
	mf_addr v[1];
	char scratch[256];
	size_t count = 1, sl = sizeof(scratch);

	return mf_addr_parse(in, n, NULL, v, &count, scratch, &sl, NULL, e);
}

static int
addr_limit(const char *in, size_t n, mf_error *e)
{
	mf_opts o = {.flags = MF_STRICT};
	mf_addrs *l = NULL;
	int rc;

	o.limits.max_addrs = 2;
	rc = mf_addrs_parse(in, n, &o, &l, e);
	mf_addrs_free(l);
	return rc;
}

static int
addr_spec(const char *in, size_t n, mf_error *e)
{
	mf_addr a;
	char scratch[256];
	size_t sl = sizeof(scratch);

	return mf_addr_spec_parse(in, n, NULL, &a, scratch, &sl, e);
}

static int
addr_spec_strict(const char *in, size_t n, mf_error *e)
{
	mf_addr a;
	char scratch[256];
	size_t sl = sizeof(scratch);

	return mf_addr_spec_parse(in, n, STRICT, &a, scratch, &sl, e);
}

/* Parses leniently, then formats for 7-bit output. */
static int
addr_format(const char *in, size_t n, mf_error *e)
{
	mf_addrs *l = NULL;
	int rc = mf_addrs_parse(in, n, NULL, &l, NULL);

	(void)e;
	if (rc == MF_OK)
		rc = mf_addr_format(ob, mf_addrs_at(l, 0), mf_addrs_count(l), 0,
		                    0, 78);
	mf_addrs_free(l);
	return rc;
}

static int
addr_spec_format(const char *in, size_t n, mf_error *e)
{
	mf_addrs *l = NULL;
	int rc = mf_addrs_parse(in, n, NULL, &l, NULL);

	(void)e;
	if (rc == MF_OK)
		rc = mf_addr_spec_format(ob, mf_addrs_first_mailbox(l));
	mf_addrs_free(l);
	return rc;
}

/* ---- dates, message-ids, Received ---- */

static int
date_lenient(const char *in, size_t n, mf_error *e)
{
	mf_date d;

	return mf_date_parse(in, n, NULL, &d, NULL, e);
}

static int
date_strict(const char *in, size_t n, mf_error *e)
{
	mf_date d;

	return mf_date_parse(in, n, STRICT, &d, NULL, e);
}

static int
msgid_strict(const char *in, size_t n, mf_error *e)
{
	mf_str ids[8];
	size_t k = 8;

	return mf_msgid_parse(in, n, STRICT, ids, &k, NULL, e);
}

static int
msgid_small(const char *in, size_t n, mf_error *e)
{
	mf_str ids[1];
	size_t k = 1;

	return mf_msgid_parse(in, n, NULL, ids, &k, NULL, e);
}

static int
msgid_generate(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_msgid_generate(ob, in, n, NULL, NULL);
}

static int
received_strict(const char *in, size_t n, mf_error *e)
{
	mf_received r;

	return mf_received_parse(in, n, STRICT, &r, NULL, e);
}

static int
received_lenient(const char *in, size_t n, mf_error *e)
{
	mf_received r;

	return mf_received_parse(in, n, NULL, &r, NULL, e);
}

static int
mbox_from(const char *in, size_t n, mf_error *e)
{
	mf_str s;
	mf_date d;

	return mf_mbox_from_parse(in, n, &s, &d, e);
}

/* ---- content type, disposition ---- */

static int
ctype_strict(const char *in, size_t n, mf_error *e)
{
	mf_ctype *ct = NULL;
	int rc = mf_ctype_parse(in, n, STRICT, &ct, e);

	mf_ctype_free(ct);
	return rc;
}

static int
ctype_limit(const char *in, size_t n, mf_error *e)
{
	mf_opts o = {.flags = MF_STRICT};
	mf_ctype *ct = NULL;
	int rc;

	o.limits.max_params = 1;
	rc = mf_ctype_parse(in, n, &o, &ct, e);
	mf_ctype_free(ct);
	return rc;
}

static int
disp_strict(const char *in, size_t n, mf_error *e)
{
	mf_disp *d = NULL;
	int rc = mf_disp_parse(in, n, STRICT, &d, e);

	mf_disp_free(d);
	return rc;
}

/* ---- messages ---- */

static int
msg_strict(const char *in, size_t n, mf_error *e)
{
	mf_msg *m = NULL;
	int rc = mf_msg_parse(in, n, STRICT, &m, e);

	mf_msg_free(m);
	return rc;
}

/* MF_MBOX_CLEN without MF_MBOX: refused, not ignored. */
static int
msg_clen(const char *in, size_t n, mf_error *e)
{
	mf_msg *m = NULL;
	int rc = mf_msg_parse(in, n, &(mf_opts){.flags = MF_MBOX_CLEN}, &m, e);

	mf_msg_free(m);
	return rc;
}

static int
msg_limits(const char *in, size_t n, mf_error *e)
{
	mf_opts o = {.flags = MF_STRICT};
	mf_msg *m = NULL;
	int rc;

	o.limits.max_depth = 2;
	o.limits.max_parts = 3;
	rc = mf_msg_parse(in, n, &o, &m, e);
	mf_msg_free(m);
	return rc;
}

static int
abort_at_body(void *ctx, const mf_event *ev)
{
	(void)ctx;
	return ev->type == MF_EV_BODY;
}

/* The push parser fed a byte at a time: the same offsets. */
static int
parser_bytes(const char *in, size_t n, mf_error *e, mf_event_fn *fn,
             const mf_opts *o)
{
	mf_parser *ps = mf_parser_new(o, fn, NULL);
	size_t i;
	int rc = MF_OK;

	assert_non_null(ps);
	for (i = 0; i < n && rc == MF_OK; i++)
		rc = mf_parser_feed(ps, in + i, 1);
	if (rc == MF_OK)
		rc = mf_parser_finish(ps);
	assert_int_equal(mf_parser_error(ps, e), rc);
	/* Sticky, and the offset is the parser's. */
	assert_int_equal(mf_parser_feed(ps, "x", 1), rc);
	assert_true(mf_parser_offset(ps) == e->offset);
	mf_parser_free(ps);
	return rc;
}

static int
nothing(void *ctx, const mf_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static int
parser_strict(const char *in, size_t n, mf_error *e)
{
	return parser_bytes(in, n, e, nothing, STRICT);
}

static int
parser_callback(const char *in, size_t n, mf_error *e)
{
	return parser_bytes(in, n, e, abort_at_body, NULL);
}

static int
part_decode_strict(const char *in, size_t n, mf_error *e)
{
	mf_msg *m = NULL;
	int rc = mf_msg_parse(in, n, NULL, &m, NULL);

	if (rc == MF_OK)
		rc = mf_part_decode(mf_msg_root(m), ob, MF_CONTENT_TEXT, STRICT,
		                    NULL, e);
	mf_msg_free(m);
	return rc;
}

/* MF_MBOX_RD without MF_MBOX: refused. */
static int
part_decode_rd(const char *in, size_t n, mf_error *e)
{
	mf_msg *m = NULL;
	int rc = mf_msg_parse(in, n, NULL, &m, NULL);

	if (rc == MF_OK)
		rc = mf_part_decode(mf_msg_root(m), ob, MF_MBOX_RD, NULL, NULL,
		                    e);
	mf_msg_free(m);
	return rc;
}

/* ---- more codecs, formatters, writers ---- */

static int
qp_encode_small(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_qp_encode(out, 3, in, n, 0, &outlen);
}

static int
b64_enc_small(const char *in, size_t n, mf_error *e)
{
	mf_b64_enc st;
	int rc = mf_b64_enc_init(&st, 76, 0);

	(void)e;
	if (rc == MF_OK)
		rc = mf_b64_enc_update(&st, out, 3, in, n, &outlen);
	return rc;
}

static int
qp_enc_small(const char *in, size_t n, mf_error *e)
{
	mf_qp_enc st;
	int rc = mf_qp_enc_init(&st, 0);

	(void)e;
	if (rc == MF_OK)
		rc = mf_qp_enc_update(&st, out, 1, in, n, &outlen);
	return rc;
}

static int
uu_stream(const char *in, size_t n, mf_error *e)
{
	mf_uu_dec st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.flags = MF_STRICT;
	rc = mf_uu_dec_update(&st, out, sizeof(out), in, n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_uu_dec_update(&st, out, sizeof(out), in + n / 2,
		                      n - n / 2, &outlen, e);
	if (rc == MF_OK)
		rc = mf_uu_dec_final(&st, out, sizeof(out), &outlen, e);
	return rc;
}

/* The streaming content decoder, strict, fed byte by byte; then a call
 * after the end. */
static int
content_stream(const char *in, size_t n, mf_error *e)
{
	mf_msg *m = NULL;
	mf_content_dec *d;
	mf_str body;
	size_t i;
	int rc = mf_msg_parse(in, n, NULL, &m, NULL);

	if (rc != MF_OK)
		return rc;
	d = mf_content_dec_new(mf_msg_root(m), MF_CONTENT_TEXT, STRICT);
	assert_non_null(d);
	body = mf_part_body(mf_msg_root(m));
	for (i = 0; i < body.len && rc == MF_OK; i++)
		rc = mf_content_dec_update(d, ob, body.ptr + i, 1);
	if (rc == MF_OK)
		rc = mf_content_dec_final(d, ob);
	if (rc == MF_OK && mf_content_dec_update(d, ob, "x", 1) != MF_E_STATE)
		rc = MF_E_INVAL;
	else if (rc == MF_OK)
		rc = MF_E_STATE;
	assert_int_equal(mf_content_dec_error(d, e), rc);
	mf_content_dec_free(d);
	mf_msg_free(m);
	return rc;
}

/* A date parsed leniently, then a field set out of range by the input's
 * first byte: "m" month 13, "s" second 61, "z" zone +10000, "n" room for
 * 10 bytes only. */
static int
date_format(const char *in, size_t n, mf_error *e)
{
	mf_date d;
	char buf[64];
	int rc = mf_date_parse(MF_LIT("Wed, 1 Jan 2020 10:00:00 +0000"), NULL,
	                       &d, NULL, NULL);

	(void)e;
	assert_int_equal(rc, MF_OK);
	if (n > 0 && in[0] == 'm')
		d.month = 13;
	if (n > 0 && in[0] == 's')
		d.sec = 61;
	if (n > 0 && in[0] == 'z')
		d.tz_offset = 100 * 60;
	return mf_date_format(buf, n > 0 && in[0] == 'n' ? 10 : sizeof(buf), &d,
	                      0, NULL);
}

static int
date_to_time(const char *in, size_t n, mf_error *e)
{
	mf_date d;
	int64_t t;

	(void)in;
	(void)n;
	(void)e;
	memset(&d, 0, sizeof(d));
	d.year = 2020;
	d.month = 2;
	d.day = 30;
	return mf_date_to_time(&d, &t);
}

static int
received_format(const char *in, size_t n, mf_error *e)
{
	mf_received r;
	int rc = mf_received_parse(
	    MF_LIT("from a by b; Wed, 1 Jan 2020 10:00:00 +0000"), NULL, &r,
	    NULL, NULL);

	assert_int_equal(rc, MF_OK);
	r.from.ptr = in;
	r.from.len = n;
	return mf_received_format(ob, &r, 0, e);
}

static int
stop(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	(void)p;
	return n > 0;
}

static int
write_fn(const char *in, size_t n, mf_error *e)
{
	mf_msg *m = NULL;
	int rc = mf_msg_parse(in, n, NULL, &m, NULL);

	(void)e;
	if (rc == MF_OK)
		rc = mf_msg_write_fn(m, 0, stop, NULL);
	if (rc == MF_E_CALLBACK)
		assert_int_equal(mf_part_write_fn(mf_msg_root(m), 0, stop, NULL),
		                 MF_E_CALLBACK);
	mf_msg_free(m);
	return rc;
}

static int
buf_overflow(const char *in, size_t n, mf_error *e)
{
	mf_buf *b = mf_buf_new(NULL);
	int rc;

	(void)e;
	assert_non_null(b);
	rc = mf_buf_append(b, in, n);
	if (rc == MF_OK)
		rc = mf_buf_append(b, in, SIZE_MAX - 1);
	mf_buf_free(b);
	return rc;
}

/* ---- SMTP and dot-stuffing ---- */

static int
smtp_cmd(const char *in, size_t n, mf_error *e)
{
	mf_smtp_cmd cmd;
	size_t used;

	return mf_smtp_cmd_parse(in, n, NULL, &cmd, &used, e);
}

/* A line limit of 16 octets. */
static int
smtp_cmd_limit(const char *in, size_t n, mf_error *e)
{
	mf_opts o;
	mf_smtp_cmd cmd;
	size_t used;

	memset(&o, 0, sizeof(o));
	o.limits.max_line_len = 16;
	return mf_smtp_cmd_parse(in, n, &o, &cmd, &used, e);
}

static int
smtp_path(const char *in, size_t n, mf_error *e)
{
	mf_smtp_path path;

	return mf_smtp_path_parse(in, n, 0, &path, e);
}

static int
smtp_path_format(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_smtp_path_format(ob, in, n, 0);
}

static int
smtp_xtext(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_smtp_xtext_decode(ob, in, n);
}

static int
smtp_sasl(const char *in, size_t n, mf_error *e)
{
	mf_str line;
	size_t used;

	return mf_smtp_sasl_parse(in, n, NULL, &line, &used, e);
}

static int
smtp_plain(const char *in, size_t n, mf_error *e)
{
	mf_str z, u, p;

	(void)e;
	return mf_smtp_auth_plain_decode(in, n, out, sizeof(out), &z, &u, &p);
}

/* Strict, and room for two lines. */
static int
smtp_reply_strict(const char *in, size_t n, mf_error *e)
{
	mf_smtp_reply r;
	mf_str lines[2];
	size_t nl = 2, used;

	return mf_smtp_reply_parse(in, n, STRICT, &r, lines, &nl, &used, e);
}

static int
smtp_reply_format(const char *in, size_t n, mf_error *e)
{
	(void)e;
	return mf_smtp_reply_format(ob, 250, NULL, in, n);
}

static int
dot_small(const char *in, size_t n, mf_error *e)
{
	size_t len, used;

	return mf_dot_decode(out, 2, in, n, 0, &len, &used, NULL, e);
}

/* ---------------------------------------------------------------------- */

static const struct row {
	const char *fn;
	int (*call)(const char *in, size_t n, mf_error *e);
	const char *in;
	int rc;
	size_t off;
} rows[] = {
    /* base64: the first byte that is not base64, where the input ends
     * inside a quantum, the padding that is wrong. */
    {"mf_b64_decode strict", b64_strict, "YW*j", MF_E_SYNTAX, 2},
    {"mf_b64_decode strict", b64_strict, "YWJjZA", MF_E_TRUNC, 6},
    {"mf_b64_decode strict", b64_strict, "YWJjZ", MF_E_TRUNC, 5},
    {"mf_b64_decode strict", b64_strict, "YR==", MF_E_SYNTAX, 1},
    {"mf_b64_decode strict", b64_strict, "YQ=x", MF_E_SYNTAX, 3},
    {"mf_b64_decode", b64_small, "YWJjZA==", MF_E_NOSPC, 0},
    {"mf_b64_dec_update strict", b64_stream, "YWJj*ZA==", MF_E_SYNTAX, 4},
    {"mf_b64_dec_final strict", b64_stream, "YWJjZA", MF_E_TRUNC, 6},
    {"mf_b64_dec_update", b64_stream_small, "YWJjZGVm", MF_E_NOSPC, 4},
    {"mf_b64_encode", b64_encode_small, "abcd", MF_E_NOSPC, NO_OFF},
    {"mf_b64_enc_update", b64_enc_small, "abcdef", MF_E_NOSPC, NO_OFF},
    {"mf_qp_encode", qp_encode_small, "abcd", MF_E_NOSPC, NO_OFF},
    {"mf_qp_enc_update", qp_enc_small, "abcdefgh", MF_E_NOSPC, NO_OFF},
    /* quoted-printable: the byte that proves an escape invalid. */
    {"mf_qp_decode strict", qp_strict, "a=ZZb", MF_E_SYNTAX, 2},
    {"mf_qp_decode strict", qp_strict, "a=4", MF_E_TRUNC, 3},
    {"mf_qp_dec_update strict", qp_stream, "abc=4x", MF_E_SYNTAX, 5},
    {"mf_qp_dec_final strict", qp_stream, "abcd=", MF_E_TRUNC, 5},
    {"mf_qp_dec_update", qp_stream_small, "abcdefgh", MF_E_NOSPC, 4},
    /* uuencode */
    {"mf_uu_decode strict", uu_strict, "begin 644 a\n#86)C\n", MF_E_TRUNC, 18},
    {"mf_uu_decode strict", uu_strict, "no begin line\n", MF_E_TRUNC, 14},
    {"mf_uu_decode strict", uu_strict, "begin 644 a\n#8a)C\n`\nend\n",
     MF_E_SYNTAX, 14},
    {"mf_uu_dec_final strict", uu_stream, "begin 644 a\n#86)C\n", MF_E_TRUNC,
     18},
    {"mf_uu_dec_update strict", uu_stream, "begin 644 a\n#86)C\n#8a)C\n",
     MF_E_SYNTAX, 20},
    /* RFC 2047: the encoded word (or the byte) that is malformed. */
    {"mf_ew_decode strict", ew_strict, "a =?utf-8?x?abc?= b", MF_E_DEFECT, 2},
    {"mf_ew_decode strict", ew_strict, "a =?x-nope?q?abc?=", MF_E_DEFECT, 2},
    {"mf_ew_decode strict", ew_strict, "a=?utf-8?q?abc?=", MF_E_DEFECT, 1},
    {"mf_ew_decode strict", ew_strict, "ok =?utf-8?q?=FF?=", MF_E_DEFECT, 3},
    {"mf_hdr_decode strict", hdr_decode_strict,
     "a\r\n =?utf-8?x?y?=", MF_E_DEFECT, 4},
    {"mf_ew_encode", ew_encode_cs, "x-unknown", MF_E_CHARSET, NO_OFF},
    /* (invalid UTF-8 is written as U+FFFD) */
    {"mf_ew_encode", ew_encode, "caf\xe9", MF_OK, NO_OFF},
    /* RFC 2231 */
    {"mf_rfc2231_decode strict", rfc2231_strict, "utf-8''a%4", MF_E_DEFECT, 8},
    {"mf_rfc2231_decode strict", rfc2231_strict, "utf-8''a%ZZb", MF_E_DEFECT,
     8},
    {"mf_rfc2231_decode strict", rfc2231_strict, "x-nope''a%41", MF_E_DEFECT,
     0},
    {"mf_rfc2231_encode", rfc2231_encode_cs, "x-unknown", MF_E_CHARSET, NO_OFF},
    /* charsets: the charset name is what is wrong (offset 0); strict:
     * the first invalid byte. */
    {"mf_charset_to_utf8", charset_unknown, "x-nope", MF_E_CHARSET, 0},
    {"mf_charset_to_utf8 strict", charset_strict,
     "ab\xff"
     "c",
     MF_E_DEFECT, 2},
    {"mf_charset_to_utf8 strict", charset_strict, "ab\xe2\x82", MF_E_DEFECT, 2},
    {"mf_charset_from_utf8", charset_from_unknown, "x-nope", MF_E_CHARSET, 0},
    {"mf_charset_from_utf8 strict", charset_from_strict, "a\xe2\x82\xac",
     MF_E_DEFECT, 1},
    /* tokenizer: where the unterminated construct starts; a byte that is
     * not allowed. */
    {"mf_lex_next strict", lex_strict, "a \"bc", MF_E_TRUNC, 2},
    {"mf_lex_next strict", lex_strict, "a (b (c)", MF_E_TRUNC, 2},
    {"mf_lex_next strict", lex_strict, "a [b", MF_E_TRUNC, 2},
    {"mf_quote", quote, "a\r\nb", MF_E_INVAL, NO_OFF},
    /* header blocks: the defect's offset; the field that does not fit
     * (limits, arrays). */
    {"mf_headers_parse strict", headers_strict, "A: 1\r\n B\r\nC : 2\r\n\r\n",
     MF_E_DEFECT, 11},
    {"mf_headers_parse strict", headers_strict, " x\r\nA: 1\r\n\r\n",
     MF_E_DEFECT, 0},
    {"mf_headers_parse strict", headers_strict, "A: 1\r\nB\x01: 2\r\n\r\n",
     MF_E_DEFECT, 6},
    {"mf_headers_parse strict", headers_strict, "A: 1\rx\r\n\r\n", MF_E_DEFECT,
     4},
    {"mf_headers_parse strict", headers_strict, "A: 1\r\nB: 2", MF_E_DEFECT,
     10},
    {"mf_headers_parse strict", headers_limit, "A: 1\r\nB: 2\r\nC: 3\r\n\r\n",
     MF_E_LIMIT, 12},
    {"mf_headers_parse strict", headers_limit,
     "A: 1\r\nB: 0123456789012345678901234567890123\r\n\r\n", MF_E_LIMIT, 38},
    {"mf_headers_parse strict", headers_strict,
     "A: 1\r\nstray\r\nB: 2\r\n\r\n", MF_E_DEFECT, 6},
    {"mf_headers_parse strict", headers_strict, "\xef\xbb\xbf" "A: 1\r\n\r\n",
     MF_E_DEFECT, 0},
    {"mf_headers_scan", headers_scan_small, "A: 1\r\nB: 2\r\n\r\n", MF_E_NOSPC,
     6},
    /* folding: the byte that cannot be written; non-ASCII where 7-bit
     * output cannot carry it (MF_E_UTF8_OUT). */
    {"mf_hdr_fold", fold_subject, "a\r\nb", MF_E_INVAL, 1},
    {"mf_hdr_fold", fold_subject, "ab\xff", MF_E_INVAL, 2},
    {"mf_hdr_fold", fold_name, "Sub ject", MF_E_INVAL, 3},
    {"mf_hdr_fold", fold_name, "", MF_E_INVAL, 0},
    {"mf_hdr_fold", fold_to, "J\xc3\xbcrgen <j@b>", MF_OK, 0},
    {"mf_hdr_fold", fold_to, "Jo <j\xc3\xbc@b>", MF_E_UTF8_OUT, 5},
    {"mf_hdr_fold", fold_to, "Jo <j@b\xc3\xbc.de>", MF_E_UTF8_OUT, 7},
    {"mf_hdr_fold", fold_msgid, "<a@b> <\xc3\xa4@b>", MF_E_UTF8_OUT, 7},
    {"mf_hdr_fold", fold_utf8_long, "\xc3\xa9", MF_E_LIMIT, 0},
    /* addresses: the defect's offset; the item that did not fit. */
    {"mf_addr_parse strict", addr_strict, "a@b, , c@d", MF_E_DEFECT, 5},
    {"mf_addr_parse strict", addr_strict, "Jo <a@b", MF_E_DEFECT, 7},
    {"mf_addr_parse strict", addr_strict, "a@b c@d", MF_E_DEFECT, 4},
    {"mf_addr_parse strict", addr_strict, "Doe, John <a@b>", MF_E_DEFECT, 3},
    {"mf_addr_parse strict", addr_strict, "x, a@b", MF_E_DEFECT, 1},
    {"mf_addr_parse strict", addr_strict, "g: a@b; c@d", MF_E_DEFECT, 8},
    {"mf_addr_parse", addr_small, "a@b, c@d", MF_E_NOSPC, 5},
    {"mf_addrs_parse strict", addr_limit, "a@b, c@d, e@f", MF_E_LIMIT, 10},
    {"mf_addr_spec_parse", addr_spec, "", MF_E_SYNTAX, 0},
    {"mf_addr_spec_parse strict", addr_spec_strict, "a@b c", MF_E_DEFECT, 4},
    {"mf_addr_spec_parse strict", addr_spec_strict, "Jo <a@b>", MF_E_DEFECT, 3},
    {"mf_addr_format", addr_format, "J\xc3\xbc <j@b>", MF_OK, NO_OFF},
    {"mf_addr_format", addr_format, "j\xc3\xbc@b", MF_E_UTF8_OUT, NO_OFF},
    {"mf_addr_format", addr_format, "j@b\xc3\xbc", MF_E_UTF8_OUT, NO_OFF},
    {"mf_addr_spec_format", addr_spec_format, "a@b", MF_OK, NO_OFF},
    /* dates: the field that is wrong. */
    {"mf_date_parse", date_lenient, "Mon, 1 Foo 2020 10:00:00 +0000",
     MF_E_SYNTAX, 7},
    {"mf_date_parse", date_lenient, "Mon, 1 13 2020 10:00:00 +0000",
     MF_E_SYNTAX, 7},
    {"mf_date_parse", date_lenient, "Xyz, 1 Jan 2020 10:00:00 +0000",
     MF_E_SYNTAX, 0},
    {"mf_date_parse", date_lenient, "Mon, 32 Jan 2020 10:00:00 +0000",
     MF_E_SYNTAX, 5},
    {"mf_date_parse", date_lenient, "Sat, 29 Feb 2020 10:00:00 +0000", MF_OK,
     0},
    {"mf_date_parse", date_lenient, "Fri, 29 Feb 2019 10:00:00 +0000",
     MF_E_SYNTAX, 5},
    {"mf_date_parse", date_lenient, "Mon, 1 Jan 1899 10:00:00 +0000",
     MF_E_SYNTAX, 11},
    {"mf_date_parse", date_lenient, "Mon, 1 Jan 12020 10:00:00 +0000",
     MF_E_SYNTAX, 11},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020 24:00:00 +0000",
     MF_E_SYNTAX, 16},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020 10:60:00 +0000",
     MF_E_SYNTAX, 19},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020 10:00:61 +0000",
     MF_E_SYNTAX, 22},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020 10:00:00 +0060",
     MF_E_SYNTAX, 28},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020 10:00:00 +9959", MF_OK, 0},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020 10:00:00 +012",
     MF_E_SYNTAX, 25},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020", MF_E_SYNTAX, 15},
    {"mf_date_parse", date_lenient, "Wed, 1 Jan 2020 10", MF_E_SYNTAX, 18},
    {"mf_date_parse", date_lenient, "", MF_E_SYNTAX, 0},
    {"mf_date_parse strict", date_strict, "Tue, 1 Jan 2020 10:00:00 +0000",
     MF_E_DEFECT, 0},
    {"mf_date_parse strict", date_strict, "Wed, 1 Jan 2020 10:00:00 +0000 x",
     MF_E_DEFECT, 31},
    {"mf_date_parse strict", date_strict, "Wed, 1 Jan 2020 10:00:00 EST",
     MF_E_DEFECT, 25},
    /* message-ids */
    {"mf_msgid_parse strict", msgid_strict, "<a@b> junk <c@d>", MF_E_DEFECT, 6},
    {"mf_msgid_parse strict", msgid_strict, "<a@b", MF_E_DEFECT, 0},
    {"mf_msgid_parse", msgid_small, "<a@b> <c@d>", MF_E_NOSPC, 7},
    {"mf_msgid_generate", msgid_generate, "a..b", MF_E_INVAL, NO_OFF},
    {"mf_msgid_generate", msgid_generate, "", MF_E_INVAL, NO_OFF},
    /* Received: the date's errors at their offset in the field. */
    {"mf_received_parse strict", received_strict,
     "from a by b; Wed, 1 Foo 2020 10:00:00 +0000", MF_E_DEFECT, 20},
    {"mf_received_parse strict", received_strict,
     "from a by b; Wed, 1 Jan 2020 10:00:00 +0000 x", MF_E_DEFECT, 44},
    {"mf_received_parse strict", received_strict,
     "from a (x by b; Wed, 1 Jan 2020 10:00:00 +0000", MF_E_DEFECT, 7},
    {"mf_received_parse", received_lenient,
     "from a by b; Wed, 1 Jan 2020 10:00:00 +0000", MF_OK, 0},
    /* mbox From_ lines */
    {"mf_mbox_from_parse", mbox_from, "From: a@b", MF_E_SYNTAX, 0},
    {"mf_mbox_from_parse", mbox_from, "From a@b", MF_E_SYNTAX, 8},
    {"mf_mbox_from_parse", mbox_from, "From a@b Mon Foo 1 10:00:00 2020",
     MF_E_SYNTAX, 13},
    /* content type and disposition */
    {"mf_ctype_parse strict", ctype_strict, "text plain", MF_E_DEFECT, 5},
    {"mf_ctype_parse strict", ctype_strict, "text/plain; a=1; a=2", MF_E_DEFECT,
     17},
    {"mf_ctype_parse strict", ctype_strict, "text/plain; a=\"1", MF_E_DEFECT,
     14},
    {"mf_ctype_parse strict", ctype_limit, "text/plain; a=1; b=2", MF_E_LIMIT,
     17},
    {"mf_disp_parse strict", disp_strict, "attachment; filename", MF_E_DEFECT,
     20},
    {"mf_ctype_parse strict", ctype_strict, "multipart/mixed boundary=x",
     MF_E_DEFECT, 16},
    {"mf_disp_parse strict", disp_strict, "attachment filename=x", MF_E_DEFECT,
     11},
    /* messages: the defect's offset, the part past a limit. */
    {"mf_msg_parse strict", msg_strict,
     "Content-Type: multipart/mixed\r\n\r\nx\r\n", MF_E_DEFECT, 14},
    {"mf_msg_parse strict", msg_strict,
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n",
     MF_E_DEFECT, 55},
    {"mf_msg_parse strict", msg_limits,
     "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
     "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
     "Content-Type: multipart/mixed; boundary=c\n\n--c--\n--b--\n--a--\n",
     MF_E_LIMIT, 108},
    {"mf_msg_parse strict", msg_limits,
     "Content-Type: multipart/mixed; boundary=a\n\n--a\n\n1\n--a\n\n2\n"
     "--a\n\n3\n--a--\n",
     MF_E_LIMIT, 61},
    {"mf_msg_parse strict", msg_strict,
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n"
     "--b-- t\r\n",
     MF_E_DEFECT, 60},
    {"mf_msg_parse strict", msg_strict,
     "Content-Type: multipart/mixed; boundary=b\r\n\r\nx\r\n", MF_E_DEFECT,
     48},
    {"mf_msg_parse", msg_clen, "Subject: x\r\n\r\n", MF_E_INVAL, 0},
    {"mf_parser_feed strict", parser_strict,
     "Content-Type: multipart/mixed\r\n\r\nx\r\n", MF_E_DEFECT, 14},
    {"mf_parser_finish strict", parser_strict,
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n",
     MF_E_DEFECT, 55},
    {"mf_parser_feed", parser_callback, "Subject: x\r\n\r\nbody", MF_E_CALLBACK,
     14},
    {"mf_part_decode strict", part_decode_strict,
     "Content-Transfer-Encoding: base64\n\nYW*j\n", MF_E_DEFECT, 37},
    {"mf_part_decode strict", part_decode_strict,
     "Content-Type: text/plain; charset=utf-8\n\nab\xff\n", MF_E_DEFECT, 43},
    {"mf_content_dec_update strict", content_stream,
     "Content-Type: text/plain; charset=utf-8\n\nab\xff\n", MF_E_DEFECT, 43},
    {"mf_content_dec_update strict", content_stream,
     "Content-Transfer-Encoding: base64\n\nYW*j\n", MF_E_DEFECT, 37},
    {"mf_content_dec_update", content_stream, "\nok\n", MF_E_STATE, 4},
    {"mf_part_decode", part_decode_rd, "\nok\n", MF_E_INVAL, 0},
    {"mf_date_format", date_format, "m", MF_E_INVAL, NO_OFF},
    {"mf_date_format", date_format, "s", MF_E_INVAL, NO_OFF},
    {"mf_date_format", date_format, "z", MF_E_INVAL, NO_OFF},
    {"mf_date_format", date_format, "n", MF_E_NOSPC, NO_OFF},
    {"mf_date_format", date_format, "", MF_OK, NO_OFF},
    {"mf_date_to_time", date_to_time, "", MF_E_INVAL, NO_OFF},
    {"mf_received_format", received_format, "h\xc3\xa4", MF_E_UTF8_OUT, 6},
    {"mf_received_format", received_format, "h\r\nX: y", MF_E_INVAL, 6},
    {"mf_msg_write_fn", write_fn, "Subject: x\n\nbody\n", MF_E_CALLBACK,
     NO_OFF},
    {"mf_buf_append", buf_overflow, "abc", MF_E_LIMIT, NO_OFF},
    /* (in a transfer-encoded body, the offset in the decoded text) */
    {"mf_part_decode strict", part_decode_strict,
     "Content-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: quoted-printable\n\nab=FF\n",
     MF_E_DEFECT, 2},
    /* SMTP: err->offset is in the command line or reply; the reply a
     * server sends for a command is in the module tests. */
    {"mf_smtp_cmd_parse", smtp_cmd, "MAIL FROM: <a@b.example>\r\n",
     MF_E_SYNTAX, 10},
    {"mf_smtp_cmd_parse", smtp_cmd, "RCPT TO:<a@@b.example>\r\n",
     MF_E_SYNTAX, 11},
    {"mf_smtp_cmd_parse", smtp_cmd, "MAIL FROM:<a@b.example> SIZE=x\r\n",
     MF_E_SYNTAX, 29},
    {"mf_smtp_cmd_parse", smtp_cmd, "HELO a_b\r\n", MF_E_SYNTAX, 6},
    {"mf_smtp_cmd_parse", smtp_cmd, "DATA x\r\n", MF_E_SYNTAX, 5},
    {"mf_smtp_cmd_parse", smtp_cmd, "NOOP\n", MF_E_SYNTAX, 4},
    {"mf_smtp_cmd_parse", smtp_cmd, "NOOP\r\x01\r\n", MF_E_SYNTAX, 4},
    {"mf_smtp_cmd_parse", smtp_cmd_limit, "NOOP 0123456789abcdef\r\n",
     MF_E_LIMIT, 16},
    {"mf_smtp_path_parse", smtp_path, "<a@b.example", MF_E_SYNTAX, 12},
    {"mf_smtp_path_parse", smtp_path, "<a@b..example>", MF_E_SYNTAX, 5},
    {"mf_smtp_path_parse", smtp_path, "<@x,a@b.example>", MF_E_SYNTAX, 4},
    {"mf_smtp_path_parse", smtp_path,
     "<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "@b.example>",
     MF_E_LIMIT, 65},
    {"mf_smtp_path_format", smtp_path_format, "a@b_c", MF_E_SYNTAX, NO_OFF},
    {"mf_smtp_path_format", smtp_path_format, "\xc3\xa9@b.example",
     MF_E_UTF8_OUT, NO_OFF},
    {"mf_smtp_xtext_decode", smtp_xtext, "a+zz", MF_E_SYNTAX, NO_OFF},
    {"mf_smtp_sasl_parse", smtp_sasl, "ab\xc3\xa9\r\n", MF_E_SYNTAX, 2},
    {"mf_smtp_auth_plain_decode", smtp_plain, "YQ==", MF_E_SYNTAX, NO_OFF},
    {"mf_smtp_reply_parse strict", smtp_reply_strict, "250-a\r\n251 b\r\n",
     MF_E_SYNTAX, 7},
    {"mf_smtp_reply_parse strict", smtp_reply_strict, "600 x\r\n",
     MF_E_SYNTAX, 0},
    {"mf_smtp_reply_parse strict", smtp_reply_strict, "250 5.0.0 x\r\n",
     MF_E_SYNTAX, 4},
    {"mf_smtp_reply_parse strict", smtp_reply_strict, "250 a\x01\r\n",
     MF_E_SYNTAX, 5},
    {"mf_smtp_reply_parse", smtp_reply_strict, "250-a\r\n250-b\r\n250 c\r\n",
     MF_E_NOSPC, 14},
    {"mf_smtp_reply_format", smtp_reply_format, "a\rb", MF_E_INVAL, NO_OFF},
    {"mf_dot_decode", dot_small, "abc\r\n.\r\n", MF_E_NOSPC, 0},
};

static void
test_table(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	ob = mf_buf_new(NULL);
	assert_non_null(ob);
	for (i = 0; i < N(rows); i++) {
		const struct row *r = &rows[i];
		mf_error e = {12345, 54321, NULL};
		tu_guard g;
		const char *in = tu_guard_new(&g, r->in, strlen(r->in));
		int rc;

		mf_buf_clear(ob);
		rc = r->call(in, strlen(r->in), &e);
		if (rc != r->rc || (rc < 0 && r->off != NO_OFF &&
		                    (e.code != rc || e.offset != r->off ||
		                     e.reason == NULL))) {
			fprintf(stderr,
			        "row %zu %s \"%s\": rc %d (%s) offset %zu "
			        "(%s), want %d offset %zu\n",
			        i, r->fn, r->in, rc, mf_strerror(rc), e.offset,
			        e.reason != NULL ? e.reason : "-", r->rc,
			        r->off);
			bad++;
		}
		tu_guard_free(&g);
	}
	mf_buf_free(ob);
	if (bad > 0)
		fail_msg("%d rows differ", bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
