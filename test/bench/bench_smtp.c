/* SPDX-License-Identifier: MIT */
/*
 * bench_smtp.c - SMTP and dot-stuffing (make bench): command lines parsed
 * per second (and through the server session, order checks included),
 * replies parsed per second, and dot-stuffing encode and decode of 64 MiB
 * of mail text (CRLF lines of 20-78 characters, one in fifty starting
 * with "."), in MB/s next to memcpy measured in the same run, on the best
 * code path and on the scalar one. The decoder's output is checked
 * against the input before timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "dot.h"

/* A session's worth of commands: what a server reads most. */
static const char *const cmds[] = {
    "EHLO client.example.org\r\n",
    "MAIL FROM:<sender.name@example.org> SIZE=12345 BODY=8BITMIME\r\n",
    "RCPT TO:<first.recipient@example.net>\r\n",
    "RCPT TO:<second@example.net> NOTIFY=SUCCESS,FAILURE\r\n",
    "RCPT TO:<third@mail.example.com>\r\n",
    "DATA\r\n",
    "RSET\r\n",
    "NOOP\r\n",
    "QUIT\r\n",
};

static const char *const replies[] = {
    "250 2.1.0 Sender OK\r\n",
    "250 2.1.5 Recipient OK\r\n",
    "354 End data with <CR><LF>.<CR><LF>\r\n",
    "250-mx.example.net Hello\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"
    "250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n"
    "250 CHUNKING\r\n",
    "550 5.1.1 <nobody@example.net>: Recipient address rejected\r\n",
};

struct job {
	const char *in;
	size_t n;
	char *out;
	size_t cap, len, count;
	int path;
};

static char *
repeat(const char *const *v, size_t nv, size_t total, size_t *n, size_t *k)
{
	char *p = malloc(total + 256);
	size_t i = 0;

	*k = 0;
	*n = 0;
	if (p == NULL)
		return NULL;
	while (*n < total) {
		size_t l = strlen(v[i % nv]);

		memcpy(p + *n, v[i % nv], l);
		*n += l;
		i++;
		(*k)++;
	}
	return p;
}

static void
run_cmds(void *arg)
{
	struct job *j = arg;
	size_t pos = 0, used;
	mf_smtp_cmd c;

	j->count = 0;
	while (pos < j->n && mf_smtp_cmd_parse(j->in + pos, j->n - pos, NULL,
	                                       &c, &used, NULL) == MF_OK) {
		pos += used;
		j->count++;
	}
	bench_sink(&c, sizeof(c.verb));
}

/* The same commands through a server session (order checks, replies
 * decided), the session reset where it would close. */
static void
run_server(void *arg)
{
	struct job *j = arg;
	size_t pos = 0, used;
	mf_smtp_server s;
	mf_smtp_cmd c;
	mf_smtp_status st;

	memset(&s, 0, sizeof(s));
	s.offer.ext = MF_SMTP_EXT_SIZE | MF_SMTP_EXT_8BITMIME |
	              MF_SMTP_EXT_DSN | MF_SMTP_EXT_PIPELINING;
	s.max_errors = (size_t)-1;
	j->count = 0;
	while (pos < j->n) {
		if (s.state == MF_SMTP_ST_DATA || s.state == MF_SMTP_ST_CLOSED)
			s.state = MF_SMTP_ST_READY;
		if (mf_smtp_server_parse(&s, j->in + pos, j->n - pos, &c, &used,
		                         &st, NULL) != MF_OK)
			break;
		pos += used;
		j->count++;
	}
	bench_sink(&st, sizeof(st.code));
}

static void
run_replies(void *arg)
{
	struct job *j = arg;
	size_t pos = 0, used, nl;
	mf_smtp_reply r;
	mf_str lines[16];

	j->count = 0;
	for (;;) {
		nl = 16;
		if (pos >= j->n ||
		    mf_smtp_reply_parse(j->in + pos, j->n - pos, NULL, &r,
		                        lines, &nl, &used, NULL) != MF_OK)
			break;
		pos += used;
		j->count++;
	}
	bench_sink(&r, sizeof(r.code));
}

static void
run_dot_enc(void *arg)
{
	struct job *j = arg;
	mf_dot_enc st;
	size_t a = 0, b = 0;

	memset(&st, 0, sizeof(st));
	if (mf__dot_enc_update_path(j->path, &st, j->out, j->cap, j->in, j->n,
	                            &a) != MF_OK ||
	    mf_dot_enc_final(&st, j->out + a, j->cap - a, &b) != MF_OK)
		abort();
	j->len = a + b;
	bench_sink(j->out, j->len);
}

static void
run_dot_dec(void *arg)
{
	struct job *j = arg;
	mf_dot_dec st;
	size_t used;

	memset(&st, 0, sizeof(st));
	if (mf__dot_dec_update_path(j->path, &st, j->out, j->cap, j->in, j->n,
	                            &j->len, &used, NULL) != MF_OK)
		abort();
	bench_sink(j->out, j->len);
}

static void
run_copy(void *arg)
{
	struct job *j = arg;

	memcpy(j->out, j->in, j->n);
	bench_sink(j->out, j->n);
}

/* Mail text: CRLF lines of 20-78 characters, a few starting with ".". */
static void
make_text(char *p, size_t n)
{
	uint64_t x = 12345;
	size_t i = 0;

	while (i + 80 < n) {
		size_t len, k;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		len = 20 + (size_t)(x >> 33) % 59;
		for (k = 0; k < len; k++) {
			x = x * 6364136223846793005ull + 1;
			p[i + k] =
			    (x >> 60) == 0 ? ' ' : (char)('a' + (x >> 40) % 26);
		}
		if ((x >> 20) % 50 == 0)
			p[i] = '.';
		i += len;
		p[i++] = '\r';
		p[i++] = '\n';
	}
	/* The last line too ends with CRLF. */
	while (i + 2 < n)
		p[i++] = 'x';
	memcpy(p + n - 2, "\r\n", 2);
}

void
bench_smtp(const bench_ctx *b)
{
	struct job j;
	size_t n, k, total = b->quick ? (size_t)1 << 20 : (size_t)8 << 20;
	char *in, *enc;
	double t;

	memset(&j, 0, sizeof(j));
	in = repeat(cmds, sizeof(cmds) / sizeof(cmds[0]), total, &n, &k);
	if (in == NULL)
		return;
	j.in = in;
	j.n = n;
	run_cmds(&j);
	if (j.count != k) {
		printf("smtp commands: parsed %zu of %zu\n", j.count, k);
		exit(1);
	}
	t = bench_best(run_cmds, &j, 1.0);
	bench_rate("smtp commands parsed", (double)k, t, "commands");
	bench_report(b, "smtp commands parsed", n, t);
	t = bench_best(run_server, &j, 1.0);
	bench_rate("smtp server session (parse + check)", (double)j.count, t,
	           "commands");
	free(in);

	in = repeat(replies, sizeof(replies) / sizeof(replies[0]), total, &n,
	            &k);
	if (in == NULL)
		return;
	j.in = in;
	j.n = n;
	run_replies(&j);
	if (j.count != k) {
		printf("smtp replies: parsed %zu of %zu\n", j.count, k);
		exit(1);
	}
	t = bench_best(run_replies, &j, 1.0);
	bench_rate("smtp replies parsed", (double)k, t, "replies");
	bench_report(b, "smtp replies parsed", n, t);
	free(in);

	/* Dot-stuffing: 64 MiB of text (8 with BENCH_QUICK). */
	n = b->quick ? (size_t)8 << 20 : (size_t)64 << 20;
	in = malloc(n);
	j.cap = mf_dot_encoded_len(n);
	enc = malloc(j.cap);
	j.out = malloc(j.cap);
	if (in == NULL || enc == NULL || j.out == NULL)
		return;
	make_text(in, n);
	{
		static const int paths[2] = {MF__PATH_BEST, MF__PATH_SCALAR};
		bench_ctx local = *b;

		/* memcpy of the same text right before, so that a machine
		 * whose speed drifts during the run compares like with like. */
		j.in = in;
		j.n = n;
		t = bench_best(run_copy, &j, 1.0);
		local.memcpy_mbs = (double)n / t / 1e6;
		b = &local;
		bench_report(b, "memcpy (the same text, just before)", n, t);
		static const char *const names[2] = {"best", "scalar"};
		char name[64];
		size_t p, elen;

		for (p = 0; p < 2; p++) {
			j.path = paths[p];
			j.in = in;
			j.n = n;
			run_dot_enc(&j);
			elen = j.len;
			memcpy(enc, j.out, elen);
			snprintf(name, sizeof(name), "dot-stuff encode (%s)",
			         names[p]);
			t = bench_best(run_dot_enc, &j, 1.0);
			bench_report(b, name, n, t);
			j.in = enc;
			j.n = elen;
			run_dot_dec(&j);
			if (j.len != n || memcmp(j.out, in, n) != 0) {
				printf("dot-stuffing: round trip differs\n");
				exit(1);
			}
			snprintf(name, sizeof(name), "dot-stuff decode (%s)",
			         names[p]);
			t = bench_best(run_dot_dec, &j, 1.0);
			bench_report(b, name, elen, t);
		}
	}
	free(in);
	free(enc);
	free(j.out);
}
