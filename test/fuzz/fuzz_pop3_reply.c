/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pop3_reply.c - POP3 reply lines (mf_pop3_reply_parse and _format,
 * mf_pop3_listing_parse, mf_pop3_capa_parse) and the client machine
 * reading the input as a server's stream. Byte 0 chooses MF_ACCEPT_LF,
 * MF_LONG_LINES and a line limit, byte 1 the split points and the seed
 * of the commands the client sends; the rest is the input. Checks:
 *  - parse: as fuzz_pop3_cmd (consumed, MF_MORE, views, prefixes); a
 *    parsed reply formats to a line that parses back the same; listings
 *    and capabilities give views inside their line;
 *  - client: whole, in three chunks and a byte at a time, the events are
 *    the same (DATA compared concatenated); lines hold no LF; the state
 *    moves only on replies, TLS is never undone, errors stick. (STLS is
 *    left out of the commands: whether bytes follow its +OK in the same
 *    read depends on the chunks, and test_pop3 covers it.)
 */
#include <stdio.h>

#include "fuzz.h"

#include "mailfmt.h"

static int
inside(mf_str s, const char *p, size_t n)
{
	return s.len == 0 || (s.ptr >= p && s.ptr + s.len <= p + n);
}

static void
check_reply(const char *p, size_t n, const mf_opts *o)
{
	mf_pop3_reply r, back;
	mf_pop3_listing l;
	mf_pop3_capa cp;
	size_t used, used2, flen, k;
	char out[13000];
	int rc = mf_pop3_reply_parse(p, n, o, &r, &used, NULL);
	const char *lf = memchr(p, '\n', n);
	static const int verbs[] = {MF_POP3_STAT, MF_POP3_LIST, MF_POP3_UIDL};

	CHECK(used <= n);
	if (rc == MF_MORE) {
		CHECK(used == 0 && lf == NULL);
		return;
	}
	if (rc == MF_E_LIMIT)
		return;
	CHECK(rc == MF_OK || rc == MF_E_SYNTAX);
	CHECK(lf != NULL && used == (size_t)(lf - p) + 1);
	for (k = 0; k + 1 < used; k += 1 + k / 4)
		CHECK(mf_pop3_reply_parse(p, k, o, &back, &used2, NULL) ==
		      MF_MORE);
	/* The line's text as a listing and a capability. */
	for (k = 0; k < 3; k++) {
		if (mf_pop3_listing_parse(p, used - 1, verbs[k], &l, NULL) ==
		    MF_OK)
			CHECK(inside(l.uid, p, used) && inside(l.rest, p, used));
	}
	if (mf_pop3_capa_parse(p, used - 1, &cp, NULL) == MF_OK)
		CHECK(inside(cp.tag, p, used) && inside(cp.params, p, used) &&
		      cp.tag.len > 0);
	if (rc != MF_OK)
		return;
	CHECK(inside(r.code, p, used) && inside(r.text, p, used) &&
	      inside(r.timestamp, p, used));
	CHECK(r.timestamp.len == 0 ||
	      (r.status == MF_POP3_OK && r.timestamp.ptr[0] == '<' &&
	       r.timestamp.ptr[r.timestamp.len - 1] == '>'));
	rc = mf_pop3_reply_format(out, sizeof(out), &r, &flen);
	CHECK(rc == MF_OK || rc == MF_E_LIMIT);
	if (rc != MF_OK)
		return;
	CHECK(mf_pop3_reply_parse(out, flen, NULL, &back, &used2, NULL) ==
	      MF_OK);
	CHECK(used2 == flen && back.status == r.status &&
	      back.code.len == r.code.len && back.text.len == r.text.len);
	CHECK(r.text.len == 0 ||
	      memcmp(back.text.ptr, r.text.ptr, r.text.len) == 0);
	CHECK(r.code.len == 0 ||
	      memcmp(back.code.ptr, r.code.ptr, r.code.len) == 0);
}

/* The log of one client run: events, DATA joined per reply. */
struct log {
	char buf[1 << 16];
	size_t n;
};

static void
put(struct log *g, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (n > sizeof(g->buf) - g->n)
		n = sizeof(g->buf) - g->n;
	memcpy(g->buf + g->n, p, n);
	g->n += n;
}

static const char *const script[] = {
    "CAPA", "USER a", "PASS b", "APOP a c4c9334bac560ecc979e58001b3e22fb",
    "AUTH PLAIN", "AUTH", "STAT", "LIST", "LIST 1", "UIDL",
    "UIDL 2", "RETR 1", "TOP 1 0", "DELE 1", "NOOP", "RSET", "QUIT"};

/* Sends commands while the client takes them (the choice depends only
 * on the seed and the client's state, never on the chunking). */
static void
send_some(mf_pop3_client *c, unsigned *seed)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		mf_pop3_cmd cmd;
		char line[64], out[300];
		size_t used, len;
		int rc;

		*seed = *seed * 1103515245u + 12345u;
		if (c->sasl_) {
			memset(&cmd, 0, sizeof(cmd));
			cmd.verb = MF_POP3_SASL;
			cmd.arg = (mf_str){"dGVzdA==", (*seed >> 16) & 1 ? 8 : 0};
		} else {
			snprintf(line, sizeof(line), "%s\r\n",
				 script[(*seed >> 16) %
					(sizeof(script) / sizeof(script[0]))]);
			CHECK(mf_pop3_cmd_parse(line, strlen(line), NULL, &cmd,
						&used, NULL) == MF_OK);
		}
		rc = mf_pop3_client_command(c, &cmd, out, sizeof(out), &len);
		CHECK(rc == MF_OK || rc == MF_E_STATE || rc == MF_E_LIMIT);
		if (rc == MF_OK && ((*seed >> 20) & 3) != 0)
			return;
	}
}

static void
run(const char *in, const size_t *cuts, size_t ncuts, const mf_opts *o,
    unsigned seed, struct log *g)
{
	static mf_pop3_client c;
	size_t pos = 0, k, ci;
	char tag[96];
	int rc = MF_MORE, err = 0, multi = 0, idle = 0;

	g->n = 0;
	CHECK(mf_pop3_client_init(&c, o) == MF_OK);
	for (ci = 0; ci < ncuts; ci++) {
		for (;;) {
			mf_pop3_event ev;
			int state = c.state, tls = c.tls;

			/* Once after each complete reply: the commands sent
			 * never depend on the chunks. */
			if (idle && c.npend_ == 0 && c.mode_ == 0)
				send_some(&c, &seed);
			idle = 0;
			rc = mf_pop3_client_read(&c, in + pos, cuts[ci] - pos,
						 &ev, &k, NULL);
			CHECK(k <= cuts[ci] - pos);
			pos += k;
			if (rc == MF_MORE)
				break;
			if (rc < 0) {
				CHECK(rc == MF_E_SYNTAX || rc == MF_E_LIMIT ||
				      rc == MF_E_STATE);
				/* Sticky. */
				CHECK(mf_pop3_client_read(&c, in + pos,
							  cuts[ci] - pos, &ev,
							  &k, NULL) == rc &&
				      k == 0);
				snprintf(tag, sizeof(tag), "E%d@%zu;", rc, pos);
				put(g, tag, strlen(tag));
				err = 1;
				break;
			}
			CHECK(c.state >= MF_POP3_CONNECTED &&
			      c.state <= MF_POP3_CLOSED &&
			      c.state != MF_POP3_UPDATE && c.tls >= tls);
			CHECK(!c.sasl_ || c.state == MF_POP3_AUTHORIZATION);
			if (ev.type != MF_POP3_EV_REPLY)
				CHECK(multi && c.state == state);
			if (ev.type == MF_POP3_EV_DATA) {
				CHECK(ev.data.len > 0);
				put(g, ev.data.ptr, ev.data.len);
				continue;
			}
			if (ev.type == MF_POP3_EV_LINE)
				CHECK(memchr(ev.data.ptr, '\n', ev.data.len) ==
				      NULL);
			multi = ev.type == MF_POP3_EV_REPLY ? ev.multi
			      : ev.type == MF_POP3_EV_END   ? 0
							    : multi;
			idle = !multi;
			snprintf(tag, sizeof(tag), "|%d %d %d %d s%d c%x@%llu;",
				 ev.type, ev.verb, ev.reply.status, ev.multi,
				 c.state, c.caps,
				 (unsigned long long)ev.off);
			put(g, tag, strlen(tag));
			put(g, ev.reply.text.ptr, ev.reply.text.len);
			if (ev.type == MF_POP3_EV_LINE)
				put(g, ev.data.ptr, ev.data.len);
		}
		if (err)
			break;
	}
}

static void
same_log(const struct log *a, const struct log *b)
{
	if (a->n == b->n && memcmp(a->buf, b->buf, a->n) == 0)
		return;
	fprintf(stderr, "whole:   %.*s\nchunked: %.*s\n", (int)a->n, a->buf,
		(int)b->n, b->buf);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct log g1, g2, g3;
	const char *in;
	size_t n, i, cuts[3], *every;
	mf_opts o;

	if (size < 2)
		return 0;
	memset(&o, 0, sizeof(o));
	o.flags = (data[0] & 1 ? MF_ACCEPT_LF : 0) |
		  (data[0] & 2 ? MF_LONG_LINES : 0);
	o.limits.max_line_len = (data[0] >> 2) & 1 ? 8 + (data[0] >> 3) : 0;
	in = (const char *)data + 2;
	n = size - 2;

	for (i = 0; i < n;) {
		const char *lf = memchr(in + i, '\n', n - i);
		mf_opts ro = o;

		ro.flags &= MF_ACCEPT_LF; /* the parser's only flag */
		check_reply(in + i, n - i, &ro);
		i = lf != NULL ? (size_t)(lf - in) + 1 : n;
	}

	cuts[0] = n;
	run(in, cuts, 1, &o, data[1], &g1);
	cuts[0] = (data[1] & 15) * n / 16;
	cuts[1] = cuts[0] + (data[1] >> 4) * (n - cuts[0]) / 16;
	cuts[2] = n;
	run(in, cuts, 3, &o, data[1], &g2);
	same_log(&g1, &g2);
	if (n <= 2048) {
		every = malloc((n + 1) * sizeof(*every));
		CHECK(every != NULL);
		for (i = 0; i <= n; i++)
			every[i] = i;
		run(in, every, n + 1, &o, data[1], &g3);
		same_log(&g1, &g3);
		free(every);
	}
	return 0;
}
