/* SPDX-License-Identifier: MIT */
/*
 * smtp-sink - an SMTP server that keeps every message it accepts in a
 * Maildir: the session machine of mailfmt decides every reply, the dot
 * decoder finds the end of each message, this file only moves bytes.
 *
 *   smtp-sink [-p PORT] -d MAILDIR [-n HOSTNAME] [--max-size BYTES]
 *
 * It listens on 127.0.0.1 only, prints "listening on 127.0.0.1:PORT" when
 * ready (PORT 0: the system picks one), serves every client from one poll
 * loop, and stops on SIGTERM or SIGINT. A message goes to MAILDIR/tmp/ as
 * it arrives, Return-Path and Received first, then to MAILDIR/new/ once
 * it is complete and accepted; a refused or cut message leaves nothing.
 * Exit status: 0 when stopped, 1 when it cannot start, 2 on usage errors.
 */
#define _DEFAULT_SOURCE /* gethostname */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mailfmt.h"

#define MAX_CONN 64
#define BUFSZ (64 * 1024) /* a poll, a read and a write per 64 KiB */

struct conn {
	int fd;
	mf_smtp_server s;
	mf_dot_dec dot; /* reading a message after DATA */
	char buf[1 + BUFSZ];
	char *in; /* buf + 1: received, not yet used (buf[0] free for the
	             dot decoder, which decodes in place from in - 1) */
	size_t n;
	mf_buf *out; /* replies not yet sent */
	size_t sent;
	int file;       /* the message in tmp/, or -1 */
	char name[128]; /* its file name */
	uint64_t size;  /* its octets so far */
	char helo[512], from[260], rcpt[260];
};

static const char *maildir;
static char host[256] = "localhost";
static volatile sig_atomic_t stop;
static unsigned seq;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
copy(char *dst, size_t cap, mf_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	memcpy(dst, s.ptr, n);
	dst[n] = '\0';
}

static mf_str
str(const char *s)
{
	mf_str v = {s, strlen(s)};

	return v;
}

/* Starts a message file in tmp/ with its trace fields (RFC 5321 4.4). */
static int
open_message(struct conn *c)
{
	char path[PATH_MAX];
	mf_smtp_trace t;
	mf_buf *b = mf_buf_new(NULL);
	int ok;

	snprintf(c->name, sizeof(c->name), "%lld.P%dQ%u.%s",
	         (long long)time(NULL), (int)getpid(), ++seq, host);
	snprintf(path, sizeof(path), "%s/tmp/%s", maildir, c->name);
	c->file = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	c->size = 0;
	memset(&t, 0, sizeof(t));
	t.reverse_path = str(c->from);
	t.helo = str(c->helo);
	t.client_addr = str("127.0.0.1");
	t.by = str(host);
	t.id = str(c->name);
	if (c->s.nrcpts == 1)
		t.for_rcpt = str(c->rcpt);
	ok = b != NULL && c->file >= 0 &&
	     mf_date_from_time(time(NULL), 0, &t.date) == MF_OK &&
	     mf_smtp_trace_format(b, &c->s, &t, c->s.smtputf8 ? MF_UTF8_OUT : 0,
	                          NULL) == MF_OK &&
	     write(c->file, mf_buf_data(b), mf_buf_len(b)) ==
	         (ssize_t)mf_buf_len(b);
	mf_buf_free(b);
	return ok ? 0 : -1;
}

/* Ends the message: into new/ when kept, else away; -1 if it could
 * not be kept. */
static int
close_message(struct conn *c, int keep)
{
	char from[PATH_MAX], to[PATH_MAX];
	int ok = 0;

	if (c->file < 0)
		return keep ? -1 : 0;
	snprintf(from, sizeof(from), "%s/tmp/%s", maildir, c->name);
	snprintf(to, sizeof(to), "%s/new/%s", maildir, c->name);
	if (keep && fsync(c->file) == 0 && close(c->file) == 0 &&
	    rename(from, to) == 0)
		ok = 1;
	else if (keep)
		close(c->file);
	if (!ok) {
		if (!keep)
			close(c->file);
		unlink(from);
	}
	c->file = -1;
	return keep && !ok ? -1 : 0;
}

/* Message bytes: written while within --max-size (the session refuses
 * a larger message at its end). */
static void
store(struct conn *c, const char *p, size_t n)
{
	c->size += n;
	if (c->file >= 0 &&
	    (c->s.offer.size == 0 || c->size <= c->s.offer.size) &&
	    write(c->file, p, n) != (ssize_t)n)
		close_message(c, 0);
}

/*
 * Sends a reply; at the end of a message (eom) the file goes to new/ when
 * the session accepted it, and a transaction that ended otherwise leaves
 * nothing behind.
 */
static void
reply(struct conn *c, mf_smtp_status st, int eom)
{
	int done = c->s.state != MF_SMTP_ST_RCPT &&
	           c->s.state != MF_SMTP_ST_DATA &&
	           c->s.state != MF_SMTP_ST_BDAT;

	if (eom && st.code == 250 && done && close_message(c, 1) < 0)
		st = (mf_smtp_status){451, "4.3.0", "Cannot store the message"};
	else if (st.code >= 400 || done)
		close_message(c, 0);
	if (mf_smtp_server_reply(c->out, &c->s, &st) != MF_OK)
		c->s.state = MF_SMTP_ST_CLOSED;
}

/* Uses what the client sent: commands, then message data. */
static void
process(struct conn *c)
{
	size_t pos = 0, used, len;
	mf_smtp_status st;
	mf_smtp_cmd cmd;

	while (pos < c->n && c->s.state != MF_SMTP_ST_CLOSED) {
		const char *p = c->in + pos;
		size_t n = c->n - pos;

		if (c->s.state == MF_SMTP_ST_DATA) {
			/* Decoded where it lies (from one byte before), and
			 * written from there: no copy. */
			char *dec = c->in + pos - 1;
			int rc = mf_dot_dec_update(&c->dot, dec, n + 1, p, n,
			                           &len, &used, NULL);

			store(c, dec, len);
			pos += used;
			if (rc == MF_OK &&
			    mf_smtp_server_data(&c->s, c->size, c->dot.defects,
			                        &st) == MF_OK)
				reply(c, st, 1);
			continue;
		}
		if (c->s.state == MF_SMTP_ST_BDAT) {
			used =
			    n < c->s.chunk_left ? n : (size_t)c->s.chunk_left;
			store(c, p, used);
			pos += used;
			c->s.chunk_left -= used;
			if (c->s.chunk_left == 0 &&
			    mf_smtp_server_data(&c->s, 0, 0, &st) == MF_OK)
				reply(c, st, 1);
			continue;
		}
		if (mf_smtp_server_parse(&c->s, p, n, &cmd, &used, &st, NULL) !=
		    MF_OK) {
			pos += used;
			break; /* a line not complete yet */
		}
		pos += used;
		/* Keep what the trace fields need (the views go with c->in). */
		if (st.code == 250 &&
		    (cmd.verb == MF_SMTP_EHLO || cmd.verb == MF_SMTP_HELO))
			copy(c->helo, sizeof(c->helo), cmd.arg);
		if (st.code == 250 && cmd.verb == MF_SMTP_MAIL)
			copy(c->from, sizeof(c->from), cmd.path.mailbox);
		if (st.code == 250 && cmd.verb == MF_SMTP_RCPT &&
		    c->s.nrcpts == 1)
			copy(c->rcpt, sizeof(c->rcpt), cmd.path.mailbox);
		/* A message begins: its file in tmp/ (if that fails, the
		 * end of the message gets 451). */
		if (c->s.state == MF_SMTP_ST_DATA)
			memset(&c->dot, 0, sizeof(c->dot));
		if ((c->s.state == MF_SMTP_ST_DATA ||
		     (c->s.state == MF_SMTP_ST_BDAT && c->s.nrcpts > 0)) &&
		    c->file < 0 && open_message(c) < 0)
			close_message(c, 0);
		if (st.code != 0)
			reply(c, st, 0);
	}
	memmove(c->in, c->in + pos, c->n - pos);
	c->n -= pos;
}

static void
drop(struct conn **cs, size_t i)
{
	close_message(cs[i], 0);
	close(cs[i]->fd);
	mf_buf_free(cs[i]->out);
	free(cs[i]);
	cs[i] = NULL;
}

/* Sends pending replies; -1 when the connection is gone. */
static int
flush(struct conn *c)
{
	size_t len = mf_buf_len(c->out);

	while (c->sent < len) {
		ssize_t k = send(c->fd, mf_buf_data(c->out) + c->sent,
		                 len - c->sent, MSG_NOSIGNAL);

		if (k < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->sent += (size_t)k;
	}
	mf_buf_clear(c->out);
	c->sent = 0;
	return c->s.state == MF_SMTP_ST_CLOSED ? -1 : 0;
}

static void
accept_one(int lfd, struct conn **cs, uint64_t max_size)
{
	mf_smtp_status hi = {220, NULL, "ESMTP mailfmt smtp-sink"};
	int fd = accept(lfd, NULL, NULL);
	struct conn *c;
	size_t i;

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CONN && cs[i] != NULL; i++)
		;
	c = i < MAX_CONN ? calloc(1, sizeof(*c)) : NULL;
	if (c == NULL || (c->out = mf_buf_new(NULL)) == NULL) {
		free(c);
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->in = c->buf + 1;
	c->file = -1;
	c->s.name = str(host);
	c->s.offer.ext = MF_SMTP_EXT_PIPELINING | MF_SMTP_EXT_SIZE |
	                 MF_SMTP_EXT_8BITMIME | MF_SMTP_EXT_SMTPUTF8 |
	                 MF_SMTP_EXT_ENHANCEDSTATUSCODES |
	                 MF_SMTP_EXT_CHUNKING | MF_SMTP_EXT_BINARYMIME;
	c->s.offer.size = max_size;
	cs[i] = c;
	if (mf_smtp_server_reply(c->out, &c->s, &hi) != MF_OK || flush(c) < 0)
		drop(cs, i);
}

static int
usage(void)
{
	fprintf(stderr, "usage: smtp-sink [-p PORT] -d MAILDIR [-n HOSTNAME] "
	                "[--max-size BYTES]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct conn *cs[MAX_CONN] = {NULL};
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	uint64_t max_size = 0;
	long port = 2525;
	int lfd, i, one = 1;
	char dir[PATH_MAX];

	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "-p") == 0)
			port = strtol(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "-d") == 0)
			maildir = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-n") == 0)
			snprintf(host, sizeof(host), "%s", argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--max-size") == 0)
			max_size = strtoull(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (maildir == NULL || port < 0 || port > 65535)
		return usage();
	/* The Maildir: tmp/ new/ cur/. */
	mkdir(maildir, 0700);
	for (i = 0; i < 3; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", maildir,
		         (const char *[]){"tmp", "new", "cur"}[i]);
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			perror(dir);
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("smtp-sink");
		return 1;
	}
	printf("listening on 127.0.0.1:%u\n", ntohs(sa.sin_port));
	fflush(stdout);
	while (!stop) {
		struct pollfd pf[MAX_CONN + 1];
		size_t k;

		pf[0] = (struct pollfd){lfd, POLLIN, 0};
		for (k = 0; k < MAX_CONN; k++) {
			struct conn *c = cs[k];

			pf[k + 1] = (struct pollfd){-1, 0, 0};
			if (c == NULL)
				continue;
			pf[k + 1].fd = c->fd;
			/* No more input while replies wait (back pressure). */
			pf[k + 1].events =
			    mf_buf_len(c->out) > 0 ? POLLOUT : POLLIN;
		}
		if (poll(pf, MAX_CONN + 1, -1) < 0)
			continue;
		if (pf[0].revents & POLLIN)
			accept_one(lfd, cs, max_size);
		for (k = 0; k < MAX_CONN; k++) {
			struct conn *c = cs[k];
			ssize_t r;

			if (c == NULL || pf[k + 1].revents == 0)
				continue;
			if (pf[k + 1].revents & POLLOUT) {
				if (flush(c) < 0)
					drop(cs, k);
				continue;
			}
			r = read(c->fd, c->in + c->n, BUFSZ - c->n);
			if (r <= 0) {
				if (r == 0 ||
				    (errno != EAGAIN && errno != EINTR))
					drop(cs, k); /* gone, maybe mid-DATA */
				continue;
			}
			c->n += (size_t)r;
			process(c);
			if (flush(c) < 0)
				drop(cs, k);
		}
	}
	for (i = 0; i < MAX_CONN; i++) {
		if (cs[i] != NULL)
			drop(cs, (size_t)i);
	}
	close(lfd);
	return 0;
}
