/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pop3_session.c - the two session machines talking to each other
 * through their own wire bytes, driven by random sequences: the input is
 * read as operations (send a command of a table, possibly refused by the
 * client's state; answer +OK, -ERR or a challenge, possibly refused by the
 * server's; send a client line of raw input bytes the server must take
 * or refuse; message data of raw input bytes after a multi-line +OK).
 * Checks, after every step: both sides are in the same state (RFC 1939
 * state, USER accepted, inside AUTH, TLS), which is one that can be
 * reached (see check); the client reads each reply as the server wrote
 * it, listing lines as sent, message data as decode(encode(data)) of
 * lib/dot.c and of the size mf_pop3_msg_size gives, whatever chunks the
 * bytes come in; neither side reports an error for what the other
 * wrote.
 */
#include <stdio.h>

#include "fuzz.h"

#include "mailfmt.h"

static const char *const cmds[] = {
    "USER a\r\n", "PASS b\r\n", "APOP a c4c9334bac560ecc979e58001b3e22fb\r\n",
    "AUTH PLAIN\r\n", "AUTH PLAIN AGEAYg==\r\n", "AUTH\r\n", "STLS\r\n",
    "CAPA\r\n", "QUIT\r\n", "STAT\r\n", "LIST\r\n", "LIST 2\r\n",
    "RETR 1\r\n", "DELE 1\r\n", "NOOP\r\n", "RSET\r\n", "TOP 1 3\r\n",
    "UIDL\r\n", "UIDL 1\r\n", "XTND x\r\n"};

struct wire {
	char buf[1 << 17];
	size_t n;
};

static void
put(struct wire *w, const void *p, size_t n)
{
	CHECK(n <= sizeof(w->buf) - w->n);
	if (n > 0)
		memcpy(w->buf + w->n, p, n);
	w->n += n;
}

static void
check(const mf_pop3_client *c, const mf_pop3_server *s)
{
	CHECK(c->state == s->state && c->tls == s->tls &&
	      c->user_ == s->user_ && c->sasl_ == s->sasl_);
	CHECK(s->state >= MF_POP3_AUTHORIZATION &&
	      s->state <= MF_POP3_CLOSED && s->state != MF_POP3_UPDATE);
	CHECK(!s->sasl_ || (s->state == MF_POP3_AUTHORIZATION && !s->user_));
	CHECK(!s->user_ || s->state == MF_POP3_AUTHORIZATION);
}

/* The client reads the server's bytes w in chunks of step; each event
 * goes to the expected log e (REPLY line, LINE lines, DATA). */
static void
client_reads(mf_pop3_client *c, const struct wire *w, size_t step,
	     struct wire *got)
{
	size_t pos = 0, end = 0, k;

	while (pos < w->n || end < w->n) {
		mf_pop3_event ev;
		int rc;

		end = end + step < w->n ? end + step : w->n;
		for (;;) {
			rc = mf_pop3_client_read(c, w->buf + pos, end - pos,
						 &ev, &k, NULL);
			CHECK(rc == MF_OK || rc == MF_MORE);
			pos += k;
			if (rc == MF_MORE)
				break;
			if (ev.type == MF_POP3_EV_REPLY) {
				char line[MF_POP3_REPLY_MAX + 16];
				size_t len;

				CHECK(mf_pop3_reply_format(line, sizeof(line),
							   &ev.reply,
							   &len) == MF_OK);
				put(got, line, len);
			} else if (ev.type == MF_POP3_EV_LINE) {
				put(got, ev.data.ptr, ev.data.len);
				put(got, "\r\n", 2);
			} else if (ev.type == MF_POP3_EV_DATA) {
				put(got, ev.data.ptr, ev.data.len);
			} else {
				/* Encoded data has CRLF line ends only;
				 * lines over 1000 octets are recorded. */
				CHECK(ev.type == MF_POP3_EV_END &&
				      (ev.defects &
				       ~MF_DEFECT_BIT(MF_D_LONG_LINE)) == 0);
			}
		}
		if (end == w->n && pos == w->n)
			break;
	}
	/* An END after the last data comes with no more input. */
	CHECK(mf_pop3_client_read(c, "", 0, &(mf_pop3_event){0}, &k, NULL) ==
	      MF_MORE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire cw, sw, want, got;
	static char enc[8192], dec[8192];
	mf_pop3_client c;
	mf_pop3_server s;
	mf_pop3_reply r;
	size_t i = 0, k, len;
	int rc;

	CHECK(mf_pop3_client_init(&c, NULL) == MF_OK);
	CHECK(mf_pop3_server_init(&s, NULL) == MF_OK);
	/* The greeting, with a timestamp. */
	memset(&r, 0, sizeof(r));
	r.status = MF_POP3_OK;
	r.text = (mf_str){"ready <1.2@fuzz>", 16};
	sw.n = 0;
	CHECK(mf_pop3_server_reply(&s, &r, sw.buf, sizeof(sw.buf), &sw.n) ==
	      MF_OK);
	got.n = 0;
	client_reads(&c, &sw, sw.n, &got);
	CHECK(got.n == sw.n && memcmp(got.buf, sw.buf, sw.n) == 0);
	check(&c, &s);

	while (i + 3 <= size && s.state != MF_POP3_CLOSED) {
		unsigned op = data[i], arg = data[i + 1], how = data[i + 2];
		mf_pop3_cmd cmd;
		int multi = 0;

		i += 3;
		cw.n = 0;
		if (op % 4 == 3 && i < size) {
			/* Raw client bytes up to an LF: the server refuses
			 * them or takes them as a command it may be given. */
			const uint8_t *lf = memchr(data + i, '\n', size - i);

			k = lf != NULL ? (size_t)(lf - data) + 1 - i : size - i;
			rc = mf_pop3_server_read(&s, (const char *)data + i, k,
						 &cmd, &len, NULL);
			i += k;
			if (rc == MF_MORE) {
				/* The rest of that line never comes: start
				 * a new session. */
				return 0;
			}
			/* Answer -ERR, not seen by the client. */
			r.status = MF_POP3_ERR;
			r.text = (mf_str){"", 0};
			CHECK(mf_pop3_server_reply(&s, &r, sw.buf,
						   sizeof(sw.buf), &sw.n) ==
			      MF_OK);
			/* A -ERR changes the server's state only where the
			 * client's would change too, except a refused line
			 * inside AUTH, which ends it: the client did not
			 * see it, so this session stops here. */
			if (c.sasl_ != s.sasl_ || c.user_ != s.user_ ||
			    c.state != s.state)
				return 0;
			check(&c, &s);
			continue;
		}
		/* A command of the table (or a SASL response). */
		if (c.sasl_) {
			memset(&cmd, 0, sizeof(cmd));
			cmd.verb = MF_POP3_SASL;
			cmd.arg = arg & 1 ? (mf_str){"*", 1}
					  : (mf_str){"dGVzdA==", arg % 9};
		} else {
			const char *line = cmds[arg % (sizeof(cmds) /
						       sizeof(cmds[0]))];

			CHECK(mf_pop3_cmd_parse(line, strlen(line), NULL, &cmd,
						&len, NULL) == MF_OK);
		}
		rc = mf_pop3_client_command(&c, &cmd, cw.buf, sizeof(cw.buf),
					    &cw.n);
		if (rc != MF_OK) {
			CHECK(rc == MF_E_STATE || rc == MF_E_INVAL);
			continue;
		}
		/* The server reads what the client wrote. */
		rc = mf_pop3_server_read(&s, cw.buf, cw.n, &cmd, &len, NULL);
		CHECK(rc == MF_OK && len == cw.n);
		/* Its reply: +OK, -ERR or a challenge, as allowed. */
		r.status = 1 + (int)(how % 3);
		r.code = how & 8 ? (mf_str){"SYS/TEMP", 8} : (mf_str){"", 0};
		r.text = (mf_str){"text <x@y> [z]", (how >> 4) % 15};
		if (r.status == MF_POP3_CONT)
			r.code.len = 0;
		sw.n = 0;
		if (mf_pop3_server_reply(&s, &r, sw.buf, sizeof(sw.buf),
					 &sw.n) != MF_OK) {
			r.status = MF_POP3_ERR;
			CHECK(mf_pop3_server_reply(&s, &r, sw.buf,
						   sizeof(sw.buf),
						   &sw.n) == MF_OK);
		}
		want.n = 0;
		put(&want, sw.buf, sw.n);
		multi = r.status == MF_POP3_OK &&
			(cmd.verb == MF_POP3_RETR || cmd.verb == MF_POP3_TOP ||
			 cmd.verb == MF_POP3_CAPA ||
			 (cmd.verb == MF_POP3_AUTH && cmd.arg.len == 0) ||
			 ((cmd.verb == MF_POP3_LIST ||
			   cmd.verb == MF_POP3_UIDL) && cmd.msg == 0));
		if (multi) {
			/* Data from the input: message bytes as they are,
			 * listing lines without CR or NUL, at most 128
			 * octets (RFC 2449 4 allows 512). */
			size_t n = size - i < arg * 8u ? size - i : arg * 8u;
			int msg = cmd.verb == MF_POP3_RETR ||
				  cmd.verb == MF_POP3_TOP;
			char body[2048];

			for (k = 0; k < n; k++) {
				char ch = (char)data[i + k];

				if (!msg && (ch == '\r' || ch == '\0'))
					ch = 'x';
				/* Listing lines stay under 512 octets. */
				if (!msg && k % 128 == 127)
					ch = '\n';
				body[k] = ch;
			}
			i += n;
			CHECK(mf_dot_encode(enc, sizeof(enc), body, n, &len) ==
			      MF_OK);
			put(&sw, enc, len);
			CHECK(mf_dot_decode(dec, sizeof(dec), enc, len, 0, &k,
					    NULL, NULL, NULL) == MF_OK);
			/* The listing lines end in CRLF after decoding; the
			 * message is as decoded. */
			put(&want, dec, k);
			if (msg)
				CHECK(mf_pop3_msg_size(body, n) == k);
		}
		got.n = 0;
		client_reads(&c, &sw, 1 + how % 97, &got);
		CHECK(got.n == want.n && memcmp(got.buf, want.buf, got.n) == 0);
		check(&c, &s);
	}
	return 0;
}
