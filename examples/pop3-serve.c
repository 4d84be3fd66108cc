/* SPDX-License-Identifier: MIT */
/*
 * pop3-serve - a POP3 server (RFC 1939) over one Maildir, for one user,
 * built on mailfmt's POP3 codecs: a single-threaded poll loop on
 * 127.0.0.1. The library parses each command, says whether the session
 * state allows it and tracks the state through the replies written here;
 * this file does the sockets and the mailbox.
 *
 *	pop3-serve [-p PORT] -d MAILDIR -u USER:PASSWORD
 *
 * Prints "listening on 127.0.0.1:PORT" once ready (PORT 0: a free one),
 * stops on SIGTERM or SIGINT. Logins: USER/PASS or APOP (the greeting
 * has a timestamp). The messages are the files of MAILDIR/new and
 * MAILDIR/cur, sorted by name; DELE'd ones are unlinked at QUIT. One
 * session at a time holds the mailbox (others get -ERR [IN-USE]).
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

struct msg {
	char *path;
	char uid[71];   /* RFC 1939 7: 1 to 70 characters */
	uint64_t size;  /* as the client receives it */
	int deleted;
};

struct conn {
	int fd;
	mf_pop3_server sv;
	char in[4096];  /* commands are 255 octets at most */
	size_t inlen;
	char *out;      /* replies and message data not yet written */
	size_t outlen, outcap;
	char ts[80];    /* the APOP timestamp of the greeting */
	char user[256];
	int locked;     /* this session holds the mailbox */
	time_t last;
};

static const char *maildir, *user, *pass;
static struct msg *msgs;
static size_t nmsgs;
static int mailbox_busy;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		perror("pop3-serve");
		exit(1);
	}
	return p;
}

/* Room for n more bytes of output. */
static char *
out_room(struct conn *c, size_t n)
{
	if (c->outcap - c->outlen < n) {
		c->outcap = c->outlen + n + 4096;
		c->out = xrealloc(c->out, c->outcap);
	}
	return c->out + c->outlen;
}

static void
out_add(struct conn *c, const void *p, size_t n)
{
	memcpy(out_room(c, n), p, n);
	c->outlen += n;
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
	out_add(c, line, len);
}

static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0;

	*n = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		p = xrealloc(p, cap += 65536);
		*n += fread(p + *n, 1, cap - *n, f);
		if (*n < cap)
			break;
	}
	fclose(f);
	return p;
}

/* Maildir names begin with the delivery time: sort by name. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct msg *)a)->uid,
		      ((const struct msg *)b)->uid);
}

/* The mailbox as the session sees it: numbered 1..n, fixed until QUIT. */
static void
load_mailbox(void)
{
	static const char *const sub[] = {"new", "cur"};
	size_t i, n;

	for (i = 0; i < 2; i++) {
		char dir[4096];
		struct dirent *e;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s", maildir, sub[i]);
		d = opendir(dir);
		while (d != NULL && (e = readdir(d)) != NULL) {
			struct msg *m;

			if (e->d_name[0] == '.' ||
			    (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
				continue;
			msgs = xrealloc(msgs, (nmsgs + 1) * sizeof(*msgs));
			m = &msgs[nmsgs++];
			memset(m, 0, sizeof(*m));
			n = strlen(dir) + strlen(e->d_name) + 2;
			m->path = xrealloc(NULL, n);
			snprintf(m->path, n, "%s/%s", dir, e->d_name);
			/* The unique-id: the Maildir name without its flags. */
			snprintf(m->uid, sizeof(m->uid), "%.*s",
				 (int)strcspn(e->d_name, ":"), e->d_name);
		}
		if (d != NULL)
			closedir(d);
	}
	qsort(msgs, nmsgs, sizeof(*msgs), by_name);
	for (i = 0; i < nmsgs; i++) {
		char *p = read_file(msgs[i].path, &n);

		msgs[i].size = mf_pop3_msg_size(p, n);
		free(p);
	}
}

static void
unload_mailbox(void)
{
	while (nmsgs > 0)
		free(msgs[--nmsgs].path);
	free(msgs);
	msgs = NULL;
}

/* The message cmd->msg names, or NULL (after answering -ERR). */
static struct msg *
find(struct conn *c, const mf_pop3_cmd *cmd)
{
	if (cmd->msg > nmsgs || msgs[cmd->msg - 1].deleted) {
		reply(c, MF_POP3_ERR, "", "no such message");
		return NULL;
	}
	return &msgs[cmd->msg - 1];
}

/* The scan listing (LIST) or unique-id listing (UIDL) of message i. */
static int
listing(char *line, size_t cap, int verb, size_t i)
{
	if (verb == MF_POP3_LIST)
		return snprintf(line, cap, "%zu %llu", i + 1,
				(unsigned long long)msgs[i].size);
	return snprintf(line, cap, "%zu %s", i + 1, msgs[i].uid);
}

static void
drop_stat(size_t *n, uint64_t *octets)
{
	size_t i;

	*n = 0;
	*octets = 0;
	for (i = 0; i < nmsgs; i++) {
		if (!msgs[i].deleted) {
			(*n)++;
			*octets += msgs[i].size;
		}
	}
}

static void
login(struct conn *c, int ok)
{
	size_t n;
	uint64_t octets;

	if (!ok) {
		reply(c, MF_POP3_ERR, "AUTH", "invalid user name or password");
	} else if (mailbox_busy) {
		reply(c, MF_POP3_ERR, "IN-USE", "maildrop in use");
	} else {
		mailbox_busy = c->locked = 1;
		load_mailbox();
		drop_stat(&n, &octets);
		reply(c, MF_POP3_OK, "",
		      "maildrop has %zu messages (%llu octets)", n,
		      (unsigned long long)octets);
	}
}

/* Sends bytes of the file of m (all, or up to TOP's lines) stuffed. */
static void
send_msg(struct conn *c, const struct msg *m, int top, uint64_t lines)
{
	size_t n, len;
	char *p = read_file(m->path, &n);

	if (p == NULL) {
		reply(c, MF_POP3_ERR, "SYS/TEMP", "cannot read message");
		return;
	}
	if (top && mf_pop3_top_len(p, n, lines, &n) < 0)
		n = 0;
	if (top)
		reply(c, MF_POP3_OK, "", "top of message follows");
	else
		reply(c, MF_POP3_OK, "", "%llu octets",
		      (unsigned long long)m->size);
	/* Dot-stuffed, line ends as CRLF, ended by ".": what
	 * mf_pop3_msg_size counted. */
	if (mf_dot_encode(out_room(c, mf_dot_encoded_len(n)),
			  mf_dot_encoded_len(n), p, n, &len) == MF_OK)
		c->outlen += len;
	free(p);
}

/* RFC 1939 6: the UPDATE state removes what was marked. */
static void
update(struct conn *c)
{
	size_t i, left = 0, failed = 0;

	for (i = 0; i < nmsgs; i++) {
		if (!msgs[i].deleted)
			left++;
		else if (unlink(msgs[i].path) != 0)
			failed++;
	}
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
	char line[128];
	struct msg *m;
	size_t i, n;
	uint64_t octets;

	switch (cmd->verb) {
	case MF_POP3_CAPA:
		reply(c, MF_POP3_OK, "", "capability list follows");
		out_add(c, capa, sizeof(capa) - 1);
		break;
	case MF_POP3_USER:
		snprintf(c->user, sizeof(c->user), "%.*s", (int)cmd->arg.len,
			 cmd->arg.ptr);
		reply(c, MF_POP3_OK, "", "send PASS");
		break;
	case MF_POP3_PASS:
		login(c, strcmp(c->user, user) == 0 &&
			     cmd->arg.len == strlen(pass) &&
			     memcmp(cmd->arg.ptr, pass, cmd->arg.len) == 0);
		break;
	case MF_POP3_APOP:
		login(c, cmd->arg.len == strlen(user) &&
			     memcmp(cmd->arg.ptr, user, cmd->arg.len) == 0 &&
			     mf_pop3_apop_verify(c->ts, strlen(c->ts), pass,
						 strlen(pass), cmd->arg2.ptr,
						 cmd->arg2.len));
		break;
	case MF_POP3_STAT:
		drop_stat(&n, &octets);
		reply(c, MF_POP3_OK, "", "%zu %llu", n,
		      (unsigned long long)octets);
		break;
	case MF_POP3_LIST:
	case MF_POP3_UIDL:
		if (cmd->msg != 0) {
			if (find(c, cmd) == NULL)
				break;
			listing(line, sizeof(line), cmd->verb, cmd->msg - 1);
			reply(c, MF_POP3_OK, "", "%s", line);
			break;
		}
		reply(c, MF_POP3_OK, "", "listing follows");
		for (i = 0; i < nmsgs; i++) {
			if (msgs[i].deleted)
				continue;
			n = (size_t)listing(line, sizeof(line), cmd->verb, i);
			out_add(c, line, n);
			out_add(c, "\r\n", 2);
		}
		out_add(c, ".\r\n", 3);
		break;
	case MF_POP3_RETR:
	case MF_POP3_TOP:
		if ((m = find(c, cmd)) != NULL)
			send_msg(c, m, cmd->verb == MF_POP3_TOP, cmd->lines);
		break;
	case MF_POP3_DELE:
		if ((m = find(c, cmd)) != NULL) {
			m->deleted = 1;
			reply(c, MF_POP3_OK, "", "message %llu deleted",
			      (unsigned long long)cmd->msg);
		}
		break;
	case MF_POP3_RSET:
		for (i = 0; i < nmsgs; i++)
			msgs[i].deleted = 0;
		reply(c, MF_POP3_OK, "", "maildrop has %zu messages", nmsgs);
		break;
	case MF_POP3_NOOP:
		reply(c, MF_POP3_OK, "", "");
		break;
	case MF_POP3_QUIT:
		if (c->sv.state == MF_POP3_UPDATE)
			update(c);
		else
			reply(c, MF_POP3_OK, "", "bye");
		break;
	default:
		reply(c, MF_POP3_ERR, "", "command not implemented");
	}
}

/* Answers the complete lines in c->in, one at a time: the next is read
 * only once the reply to the last one is written (flow control). */
static void
serve(struct conn *c)
{
	while (c->outlen == 0 && c->sv.state != MF_POP3_CLOSED) {
		mf_pop3_cmd cmd;
		mf_error err;
		size_t used;
		int rc = mf_pop3_server_read(&c->sv, c->in, c->inlen, &cmd,
					     &used, &err);

		if (rc >= 0 && rc != MF_MORE)
			command(c, &cmd);
		else if (rc < 0)
			reply(c, MF_POP3_ERR, "", "%s", err.reason);
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
		if (rc == MF_MORE)
			break;
	}
}

static void
greet(struct conn *c, int fd)
{
	static unsigned long counter;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->last = time(NULL);
	if (mf_pop3_server_init(&c->sv, NULL) != MF_OK)
		abort();
	/* RFC 1939 7: a timestamp different for every greeting. */
	snprintf(c->ts, sizeof(c->ts), "<%ld.%lu.%ld@127.0.0.1>",
		 (long)getpid(), ++counter, (long)c->last);
	reply(c, MF_POP3_OK, "", "POP3 server ready %s", c->ts);
}

static void
drop(struct conn *c)
{
	close(c->fd);
	free(c->out);
	if (c->locked) {
		/* RFC 1939 6: without QUIT nothing is removed. */
		unload_mailbox();
		mailbox_busy = 0;
	}
	c->fd = -1;
}

/* Reads and writes what is ready; 0 when the connection is over. */
static int
io(struct conn *c, short revents)
{
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
	if ((revents & POLLOUT) && c->outlen > 0) {
		k = write(c->fd, c->out, c->outlen);
		if (k < 0)
			return errno == EINTR || errno == EAGAIN;
		memmove(c->out, c->out + k, c->outlen - (size_t)k);
		c->outlen -= (size_t)k;
		c->last = time(NULL);
	}
	serve(c);
	return c->outlen > 0 || c->sv.state != MF_POP3_CLOSED;
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: pop3-serve [-p PORT] -d MAILDIR -u USER:PASSWORD\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
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
			return usage();
	}
	if (maildir == NULL || user == NULL || optind != argc || port < 0 ||
	    port > 65535)
		return usage();
	*colon = '\0';
	pass = colon + 1;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
				  sizeof(one)) != 0 ||
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
		time_t now = time(NULL);

		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (i = 0; i < MAXCONN; i++) {
			struct conn *c = &conns[i];

			if (c->fd >= 0 && now - c->last > IDLE_SECONDS)
				drop(c); /* RFC 1939 3: no UPDATE */
			/* Output first: no new command before it is sent. */
			pfd[i + 1].fd = c->fd;
			pfd[i + 1].events = c->outlen > 0 ? POLLOUT : POLLIN;
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
			else if (fd >= 0 &&
				 fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
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
