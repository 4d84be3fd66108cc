/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smtp_session.c - the SMTP session machines. Byte 0 chooses the
 * server's offer and limits, byte 1 the client's message flags; then
 * each byte is either one of the commands below (so that sequences reach
 * deep states) or the start of raw bytes sent as they are. The server
 * side is fed like a real server (DATA through the dot decoder, BDAT
 * chunks counted down); the client side then runs against replies drawn
 * from the rest. Checks, after every step: the state is one of the
 * enum and agrees with the counts (no recipient in MAIL, at least one in
 * RCPT, never more than max_rcpts, DATA only from RCPT, nothing after
 * CLOSED, TLS only when offered); every reply is a valid code, written
 * by mf_smtp_server_reply and read back; the client never errs on a
 * reply it waited for and ends within a bounded number of steps.
 */
#include <stdbool.h>
#include <stdio.h>

#include "fuzz.h"

#include "mailfmt.h"

static const char *const cmds[] = {"EHLO c.example\r\n",
                                   "HELO c.example\r\n",
                                   "MAIL FROM:<a@b.example>\r\n",
                                   "MAIL FROM:<>\r\n",
                                   "MAIL FROM:<a@b> SIZE=50 BODY=8BITMIME\r\n",
                                   "MAIL FROM:<a@b> BODY=BINARYMIME\r\n",
                                   "MAIL FROM:<\xc3\xa9@b> SMTPUTF8\r\n",
                                   "RCPT TO:<c@d.example>\r\n",
                                   "RCPT TO:<\xc3\xa9@d>\r\n",
                                   "RCPT TO:<Postmaster>\r\n",
                                   "RCPT TO:<nobody@d>\r\n",
                                   "DATA\r\n",
                                   "BDAT 3\r\nabc",
                                   "BDAT 2 LAST\r\nde",
                                   "BDAT 0 LAST\r\n",
                                   "RSET\r\n",
                                   "NOOP\r\n",
                                   "QUIT\r\n",
                                   "STARTTLS\r\n",
                                   "AUTH PLAIN\r\n",
                                   "AHVzZXJuYW1lAHBhc3N3b3Jk\r\n",
                                   "*\r\n",
                                   "AUTH PLAIN AHVzZXJuYW1lAHBhc3N3b3Jk\r\n",
                                   "VRFY x\r\n",
                                   "XFOO\r\n",
                                   "hello\r\n.\r\n",
                                   "x\n.\r\n",
                                   ".\r\n",
                                   "..\r\n"};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

struct fsrv {
	mf_smtp_server s;
	mf_dot_dec dot;
	char in[8192];
	size_t n;
	mf_buf *out;
	size_t replies;
	uint64_t msg;
};

static void
policy(void *ctx, const mf_smtp_server *s, const mf_smtp_cmd *c,
       mf_smtp_status *reply)
{
	static const mf_smtp_status ask = {334, NULL, ""};
	static const mf_smtp_status ok = {235, "2.7.0", "OK"};
	static const mf_smtp_status no = {550, "5.1.1", "No"};

	(void)ctx;
	(void)s;
	if (c->verb == MF_SMTP_RCPT && c->path.local.len == 6 &&
	    memcmp(c->path.local.ptr, "nobody", 6) == 0)
		*reply = no;
	else if (c->verb == MF_SMTP_AUTH)
		*reply = c->initial.len == 0 ? ask : ok;
}

static void
reply(struct fsrv *v, const mf_smtp_status *st)
{
	size_t mark = mf_buf_len(v->out), nl = 64, used;
	mf_smtp_reply r;
	mf_str l[64];

	CHECK(st->code >= 200 && st->code <= 559);
	CHECK(v->s.state != MF_SMTP_ST_CLOSED || st->code == 221 ||
	      st->code == 421);
	CHECK(mf_smtp_server_reply(v->out, &v->s, st) == MF_OK);
	CHECK(mf_smtp_reply_parse(mf_buf_data(v->out) + mark,
	                          mf_buf_len(v->out) - mark, NULL, &r, l, &nl,
	                          &used, NULL) == MF_OK);
	CHECK(r.code == st->code && used == mf_buf_len(v->out) - mark);
	mf_buf_clear(v->out);
	v->replies++;
}

static void
invariants(const struct fsrv *v)
{
	const mf_smtp_server *s = &v->s;
	size_t max = s->max_rcpts ? s->max_rcpts : 100;

	CHECK(s->state >= MF_SMTP_ST_CONNECT && s->state <= MF_SMTP_ST_CLOSED);
	CHECK(s->nrcpts <= max);
	if (s->state == MF_SMTP_ST_MAIL)
		CHECK(s->nrcpts == 0);
	if (s->state == MF_SMTP_ST_RCPT || s->state == MF_SMTP_ST_DATA)
		CHECK(s->nrcpts >= 1);
	if (s->state == MF_SMTP_ST_CONNECT || s->state == MF_SMTP_ST_READY)
		CHECK(s->nrcpts == 0 && s->body == 0 && s->smtputf8 == 0);
	if (s->tls)
		CHECK(s->offer.ext & MF_SMTP_EXT_STARTTLS);
	if (s->authenticated)
		CHECK(s->offer.auth.len > 0);
}

/* Feeds the pending input to the server. */
static void
run(struct fsrv *v)
{
	for (;;) {
		mf_smtp_status st;
		mf_smtp_cmd c;
		size_t used = 0, got;
		int before = v->s.state, rc;

		invariants(v);
		if (v->s.state == MF_SMTP_ST_CLOSED) {
			v->n = 0;
			return;
		}
		if (v->s.state == MF_SMTP_ST_DATA) {
			char o[8193];

			rc = mf_dot_dec_update(&v->dot, o, sizeof(o), v->in,
			                       v->n, &got, &used, NULL);
			CHECK(rc == MF_OK || rc == MF_MORE);
			v->msg += got;
			memmove(v->in, v->in + used, v->n - used);
			v->n -= used;
			if (rc == MF_MORE)
				return;
			CHECK(mf_smtp_server_data(&v->s, v->msg, v->dot.defects,
			                          &st) == MF_OK);
			CHECK(v->s.state == MF_SMTP_ST_READY);
			reply(v, &st);
			continue;
		}
		if (v->s.state == MF_SMTP_ST_BDAT) {
			uint64_t k =
			    v->s.chunk_left < v->n ? v->s.chunk_left : v->n;

			memmove(v->in, v->in + k, v->n - (size_t)k);
			v->n -= (size_t)k;
			v->s.chunk_left -= k;
			if (v->s.chunk_left > 0)
				return;
			CHECK(mf_smtp_server_data(&v->s, 0, 0, &st) == MF_OK);
			CHECK(v->s.state != MF_SMTP_ST_BDAT);
			reply(v, &st);
			continue;
		}
		rc = mf_smtp_server_parse(&v->s, v->in, v->n, &c, &used, &st,
		                          NULL);
		CHECK(rc == MF_OK || rc == MF_MORE);
		CHECK(used <= v->n);
		memmove(v->in, v->in + used, v->n - used);
		v->n -= used;
		if (rc == MF_MORE)
			return;
		if (v->s.state == MF_SMTP_ST_DATA) {
			CHECK(before == MF_SMTP_ST_RCPT && st.code == 354);
			memset(&v->dot, 0, sizeof(v->dot));
			v->msg = 0;
		}
		if (v->s.state == MF_SMTP_ST_BDAT)
			CHECK(st.code == 0 && c.verb == MF_SMTP_BDAT);
		else
			reply(v, &st);
	}
}

static void
client(const uint8_t *d, size_t n, unsigned flags)
{
	static const char *const rep[] = {
	    "220 s\r\n",
	    "250 ok\r\n",
	    "354 go\r\n",
	    "221 bye\r\n",
	    "550 no\r\n",
	    "452 later\r\n",
	    "421 closing\r\n",
	    "502 no\r\n",
	    ("250-s\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-8BITMIME\r\n"
	     "250-SMTPUTF8\r\n250-BINARYMIME\r\n250 SIZE 1000\r\n"),
	    "250-s\r\n250 SIZE 10\r\n"};
	mf_str rcpts[3] = {{"a@b", 3}, {"\xc3\xa9@b", 4}, {"c@d", 3}};
	int codes[3];
	mf_smtp_client c;
	mf_buf *out = mf_buf_new(NULL);
	size_t i = 0, steps = 0;

	CHECK(out != NULL);
	memset(&c, 0, sizeof(c));
	c.helo = (mf_str){"me", 2};
	c.from = (mf_str){"x@y", 3};
	c.rcpts = rcpts;
	c.nrcpts = n > 0 ? 1 + d[0] % 3 : 1;
	c.rcpt_codes = codes;
	c.flags = flags;
	c.size = 20;
	for (;;) {
		int what = mf_smtp_client_next(&c, out);

		CHECK(what > 0 && ++steps < 64);
		mf_buf_clear(out);
		if (what == MF_SMTP_DO_DONE)
			break;
		if (what == MF_SMTP_DO_READ) {
			const char *r = rep[i < n ? d[i] % 10 : 3];
			mf_smtp_reply rr;
			mf_str l[16];
			size_t nl = 16, used;

			i++;
			CHECK(mf_smtp_reply_parse(r, strlen(r), NULL, &rr, l,
			                          &nl, &used, NULL) == MF_OK);
			CHECK(mf_smtp_client_reply(&c, &rr, l, nl) == MF_OK);
		}
	}
	CHECK(!c.ok || (c.accepted > 0 && c.code >= 200 && c.code < 300));
	mf_buf_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[4] = {0, MF_8BITMIME, MF_BINARYMIME,
	                                  MF_UTF8_OUT};
	struct fsrv v;
	mf_smtp_status g = {220, NULL, "ready"};
	size_t i;

	if (size < 2)
		return 0;
	memset(&v, 0, sizeof(v));
	v.out = mf_buf_new(NULL);
	CHECK(v.out != NULL);
	v.s.name = (mf_str){"mx.example", 10};
	v.s.offer.ext = (unsigned)data[0] * 0x101u & 0x7FFu;
	v.s.offer.size = data[0] & 0x80 ? 60 : 0;
	v.s.offer.auth = (mf_str){"PLAIN", 5};
	v.s.max_rcpts = data[0] & 3;
	v.s.max_errors = (data[0] >> 2) & 7;
	v.s.flags = data[1] & 1 ? MF_SMTP_COLON_SPACE | MF_SMTP_BARE_PATH : 0;
	v.s.policy = policy;
	reply(&v, &g);
	for (i = 2; i < size;) {
		uint8_t b = data[i++];
		const char *add;
		size_t k;

		if (b < 0xC0) {
			add = cmds[b % NCMDS];
			k = strlen(add);
		} else {
			/* Raw bytes, as many as the low bits say. */
			k = (size_t)(b & 0x3F) + 1;
			if (k > size - i)
				k = size - i;
			add = (const char *)data + i;
			i += k;
		}
		if (v.n + k > sizeof(v.in))
			break;
		memcpy(v.in + v.n, add, k);
		v.n += k;
		run(&v);
	}
	mf_buf_free(v.out);
	client(data + 2, size - 2, flags[data[1] >> 1 & 3]);
	return 0;
}
