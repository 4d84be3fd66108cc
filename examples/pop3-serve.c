/* SPDX-License-Identifier: MIT */
/*
 * pop3-serve - a POP3 server (RFC 1939) over one Maildir, for one user:
 * a single-threaded poll loop on 127.0.0.1. mailfmt reads each command,
 * says whether the state allows it and answers the maildrop commands from
 * the message table kept here (mf_pop3_serve); this file does the
 * sockets, the login and the files.
 *
 *	pop3-serve [-p PORT] -d MAILDIR -u USER:PASSWORD
 *
 * Prints "listening on 127.0.0.1:PORT" once ready (PORT 0: a free one),
 * stops on SIGTERM or SIGINT. Logins: USER/PASS or APOP. The messages are
 * the files of MAILDIR/new and MAILDIR/cur, sorted by name; DELE'd ones
 * are unlinked at QUIT. One session at a time holds the mailbox.
 */
#define _DEFAULT_SOURCE /* dirent d_type */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mailfmt.h"

#define MAXCONN 16
#define IDLE_SECONDS 600 /* RFC 1939 3: at least 10 minutes */

struct conn {
	int fd;
	mf_pop3_server sv;
	char in[4096]; /* commands are 255 octets at most */
	size_t inlen;
	mf_buf *out; /* replies and message data; out[sent..] is unsent */
	size_t sent;
	char ts[80]; /* the APOP timestamp of the greeting */
	char user[256];
	int locked; /* this session holds the mailbox */
	time_t last;
};

static const char *maildir, *user, *pass;
static mf_pop3_msg *msgs; /* the mailbox, while a session holds it */
static char **paths;      /* the file of each message */
static size_t nmsgs;
static int mailbox_busy;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = sig;
}

/* Out of memory: this demo just stops. */
static void *
check(void *p, int rc)
{
	if (p == NULL || rc < 0) {
		fprintf(stderr, "pop3-serve: out of memory\n");
		exit(1);
	}
	return p;
}

/* Answers the line just read (or greets): the library checks the reply
 * and takes the state it leads to. */
static void
reply(struct conn *c, int status, const char *code, const char *fmt, ...)
{
	char text[MF_POP3_REPLY_MAX], line[MF_POP3_REPLY_MAX];
	mf_pop3_reply r = {.status = status};
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text) - 16, fmt, ap);
	va_end(ap);
	r.code = (mf_str){code, strlen(code)};
	r.text = (mf_str){text, strlen(text)};
	if (mf_pop3_server_reply(&c->sv, &r, line, sizeof(line), &len) < 0)
		abort(); /* a reply this program must never build */
	check(c, mf_buf_append(c->out, line, len));
}

static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0;

	for (*n = 0; f != NULL && *n == cap;
	     *n += fread(p + *n, 1, cap - *n, f))
		p = check(realloc(p, cap += 65536), MF_OK);
	if (f != NULL)
		fclose(f);
	return p;
}

/* The unique-id: the name without its Maildir flags (RFC 1939 7: 70
 * characters at most). Names begin with the delivery time: sort by it. */
static mf_str
uid_of(const char *path)
{
	const char *name = strrchr(path, '/') + 1;
	size_t n = strcspn(name, ":");

	return (mf_str){name, n < 70 ? n : 70};
}

static int
by_uid(const void *a, const void *b)
{
	mf_str x = uid_of(*(char *const *)a), y = uid_of(*(char *const *)b);
	int d = memcmp(x.ptr, y.ptr, x.len < y.len ? x.len : y.len);

	return d != 0 ? d : (x.len > y.len) - (x.len < y.len);
}

/* The mailbox as the session sees it: numbered 1..n, fixed until QUIT. */
static void
load_mailbox(void)
{
	size_t i, n;

	for (i = 0; i < 2; i++) {
		char dir[4096];
		struct dirent *e;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s", maildir, i ? "cur" : "new");
		d = opendir(dir);
		while (d != NULL && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' ||
			    (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
				continue;
			n = strlen(dir) + strlen(e->d_name) + 2;
			paths = check(realloc(paths, (nmsgs + 1) * sizeof(*paths)),
				      MF_OK);
			paths[nmsgs] = check(malloc(n), MF_OK);
			snprintf(paths[nmsgs++], n, "%s/%s", dir, e->d_name);
		}
		if (d != NULL)
			closedir(d);
	}
	qsort(paths, nmsgs, sizeof(*paths), by_uid);
	msgs = check(calloc(nmsgs + 1, sizeof(*msgs)), MF_OK);
	for (i = 0; i < nmsgs; i++) {
		char *p = read_file(paths[i], &n);

		msgs[i].uid = uid_of(paths[i]);
		msgs[i].size = mf_pop3_msg_size(p, n);
		free(p);
	}
}

static void
login(struct conn *c, int ok)
{
	uint64_t octets;
	size_t n;

	if (!ok) {
		reply(c, MF_POP3_ERR, "AUTH", "invalid user name or password");
	} else if (mailbox_busy) {
		reply(c, MF_POP3_ERR, "IN-USE", "maildrop in use");
	} else {
		mailbox_busy = c->locked = 1;
		load_mailbox();
		n = mf_pop3_drop_stat(msgs, nmsgs, &octets);
		reply(c, MF_POP3_OK, "",
		      "maildrop has %zu messages (%llu octets)", n,
		      (unsigned long long)octets);
	}
}

/* RFC 1939 6: the UPDATE state removes what was marked. */
static void
update(struct conn *c)
{
	size_t i, failed = 0, left = mf_pop3_drop_stat(msgs, nmsgs, NULL);

	for (i = 0; i < nmsgs; i++)
		failed += msgs[i].deleted && unlink(paths[i]) != 0;
	if (failed > 0)
		reply(c, MF_POP3_ERR, "SYS/PERM",
		      "%zu deleted messages not removed", failed);
	else
		reply(c, MF_POP3_OK, "", "bye (%zu messages left)", left);
}

static void
command(struct conn *c, const mf_pop3_cmd *cmd)
{
	static const char capa[] = "TOP\r\nUSER\r\nUIDL\r\nRESP-CODES\r\n"
				   "PIPELINING\r\n"
				   "IMPLEMENTATION mailfmt-pop3-serve\r\n.\r\n";
	const mf_str *a = &cmd->arg;
	char *p = NULL;
	size_t i, n = 0;
	int rc;

	if (cmd->verb == MF_POP3_CAPA) {
		reply(c, MF_POP3_OK, "", "capability list follows");
		check(c, mf_buf_append(c->out, capa, sizeof(capa) - 1));
	} else if (cmd->verb == MF_POP3_USER) {
		snprintf(c->user, sizeof(c->user), "%.*s", (int)a->len, a->ptr);
		reply(c, MF_POP3_OK, "", "send PASS");
	} else if (cmd->verb == MF_POP3_PASS) {
		login(c, strcmp(c->user, user) == 0 && a->len == strlen(pass) &&
			     memcmp(a->ptr, pass, a->len) == 0);
	} else if (cmd->verb == MF_POP3_APOP) {
		login(c, a->len == strlen(user) &&
			     memcmp(a->ptr, user, a->len) == 0 &&
			     mf_pop3_apop_verify(c->ts, strlen(c->ts), pass,
						 strlen(pass), cmd->arg2.ptr,
						 cmd->arg2.len));
	} else if (c->sv.state == MF_POP3_UPDATE) {
		update(c); /* QUIT after a login */
	} else if ((cmd->verb == MF_POP3_RETR || cmd->verb == MF_POP3_TOP) &&
		   cmd->msg <= nmsgs && !msgs[cmd->msg - 1].deleted &&
		   (p = read_file(paths[cmd->msg - 1], &n)) == NULL) {
		reply(c, MF_POP3_ERR, "SYS/TEMP", "cannot read message");
	} else {
		/* The rest from the message table; RETR and TOP then get
		 * the message. */
		rc = mf_pop3_serve(&c->sv, cmd, msgs, nmsgs, c->out, &i);
		if (rc < 0)
			reply(c, MF_POP3_ERR, "SYS/TEMP", "%s", mf_strerror(rc));
		else if (i != SIZE_MAX)
			check(c, mf_pop3_serve_msg(c->out, p, n, cmd));
	}
	free(p);
}

/* Reads and writes what is ready, then answers the complete lines one at
 * a time: the next is read only once the last reply is written (flow
 * control). 0 when the connection is over. */
static int
io(struct conn *c, short revents)
{
	size_t len = mf_buf_len(c->out), used;
	ssize_t k;

	if ((revents & (POLLERR | POLLNVAL)) ||
	    (revents & (POLLHUP | POLLIN)) == POLLHUP)
		return 0;
	if ((revents & POLLIN) && c->inlen < sizeof(c->in)) {
		k = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			return 0;
		c->inlen += k > 0 ? (size_t)k : 0;
		c->last = time(NULL);
	}
	if ((revents & POLLOUT) && len > 0) {
		k = write(c->fd, mf_buf_data(c->out) + c->sent, len - c->sent);
		if (k < 0)
			return errno == EINTR || errno == EAGAIN;
		c->sent += (size_t)k;
		if (c->sent == len) {
			mf_buf_clear(c->out);
			c->sent = 0;
		}
		c->last = time(NULL);
	}
	while (mf_buf_len(c->out) == 0 && c->sv.state != MF_POP3_CLOSED) {
		mf_pop3_cmd cmd;
		mf_error err;
		int rc = mf_pop3_server_read(&c->sv, c->in, c->inlen, &cmd,
					     &used, &err);

		if (rc == MF_OK)
			command(c, &cmd);
		else if (rc < 0)
			reply(c, MF_POP3_ERR, "", "%s", err.reason);
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		if (rc == MF_MORE)
			break;
	}
	return mf_buf_len(c->out) > 0 || c->sv.state != MF_POP3_CLOSED;
}

static void
greet(struct conn *c, int fd)
{
	static unsigned long counter;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->last = time(NULL);
	c->out = check(mf_buf_new(NULL), mf_pop3_server_init(&c->sv, NULL));
	/* RFC 1939 7: a timestamp different for every greeting. */
	snprintf(c->ts, sizeof(c->ts), "<%ld.%lu.%ld@127.0.0.1>",
		 (long)getpid(), ++counter, (long)c->last);
	reply(c, MF_POP3_OK, "", "POP3 server ready %s", c->ts);
}

static void
drop(struct conn *c)
{
	close(c->fd);
	mf_buf_free(c->out);
	c->fd = -1;
	if (c->locked) {
		/* RFC 1939 6: without QUIT nothing is removed. */
		while (nmsgs > 0)
			free(paths[--nmsgs]);
		free(paths);
		free(msgs);
		paths = NULL;
		msgs = NULL;
		mailbox_busy = 0;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t salen = sizeof(sa);
	struct conn conns[MAXCONN];
	struct pollfd pfd[MAXCONN + 1];
	int lfd, opt, i, one = 1;
	long port = 0;
	char *colon = NULL;

	while ((opt = getopt(argc, argv, "p:d:u:")) != -1) {
		if (opt == 'p')
			port = strtol(optarg, NULL, 10);
		else if (opt == 'd')
			maildir = optarg;
		else if (opt == 'u' && (colon = strchr(optarg, ':')) != NULL)
			user = optarg;
		else
			break;
	}
	if (opt != -1 || maildir == NULL || user == NULL || optind != argc ||
	    port < 0 || port > 65535) {
		fprintf(stderr, "usage: pop3-serve [-p PORT] -d MAILDIR "
				"-u USER:PASSWORD\n");
		return 2;
	}
	*colon = '\0';
	pass = colon + 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0) {
		perror("pop3-serve");
		return 1;
	}
	printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (i = 0; i < MAXCONN; i++)
		conns[i].fd = -1;
	while (!stop) {
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (i = 0; i < MAXCONN; i++) {
			struct conn *c = &conns[i];

			if (c->fd >= 0 && time(NULL) - c->last > IDLE_SECONDS)
				drop(c); /* RFC 1939 3: no UPDATE */
			/* Output first: no new command before it is sent. */
			pfd[i + 1].fd = c->fd;
			pfd[i + 1].events =
			    c->fd >= 0 && mf_buf_len(c->out) ? POLLOUT : POLLIN;
		}
		if (poll(pfd, MAXCONN + 1, 1000) < 0)
			continue; /* EINTR: a signal */
		for (i = 0; i < MAXCONN; i++) {
			if (conns[i].fd >= 0 && pfd[i + 1].revents != 0 &&
			    !io(&conns[i], pfd[i + 1].revents))
				drop(&conns[i]);
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);

			for (i = 0; i < MAXCONN && conns[i].fd >= 0; i++)
				;
			if (fd >= 0 && i == MAXCONN)
				close(fd); /* full */
			else if (fd >= 0 && fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
				greet(&conns[i], fd);
		}
	}
	for (i = 0; i < MAXCONN; i++) {
		if (conns[i].fd >= 0)
			drop(&conns[i]);
	}
	close(lfd);
	return 0;
}
