/* SPDX-License-Identifier: MIT */
/*
 * smtp-send - sends one message over SMTP: the client session of mailfmt
 * says what to send and what to wait for (pipelining, CHUNKING and the
 * rest), this file only moves bytes.
 *
 *   smtp-send -s HOST:PORT -f FROM -t TO [-t TO]... [FILE]
 *
 * The message is FILE, or stdin. It is sent as it is: after DATA
 * dot-stuffed with its line ends made CRLF, by BDAT (when the server
 * offers CHUNKING) only when all of them already are. Exit status: 0 when
 * the server took the message for every recipient, 1 otherwise (the
 * server's refusals on stderr), 2 on usage errors.
 */
#define _DEFAULT_SOURCE /* getaddrinfo */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailfmt.h"

#define MAX_RCPT 1000

static int
usage(void)
{
	fprintf(stderr, "usage: smtp-send -s HOST:PORT -f FROM -t TO "
	                "[-t TO]... [FILE]\n");
	return 2;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The message, dot-stuffed, in pieces of 64 KiB. */
static int
send_dotted(int fd, const char *p, size_t n)
{
	static char buf[2 * 65536 + 5];
	mf_dot_enc st;
	size_t len;

	memset(&st, 0, sizeof(st));
	while (n > 0) {
		size_t k = n < 65536 ? n : 65536;

		if (mf_dot_enc_update(&st, buf, sizeof(buf), p, k, &len) !=
		        MF_OK ||
		    send_all(fd, buf, len) < 0)
			return -1;
		p += k;
		n -= k;
	}
	if (mf_dot_enc_final(&st, buf, sizeof(buf), &len) != MF_OK)
		return -1;
	return send_all(fd, buf, len);
}

/* Whether every line end of p[0..n) is CRLF (no bare CR or LF). */
static int
all_crlf(const char *p, size_t n)
{
	const char *q, *e = p + n;

	for (q = p; (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++)
		if (q == p || q[-1] != '\r')
			return 0;
	for (q = p; (q = memchr(q, '\r', (size_t)(e - q))) != NULL; q++)
		if (q + 1 == e || q[1] != '\n')
			return 0;
	return 1;
}

/* Reads one reply into *r and lines (the caller's buffer in, used up to
 * *n); prints it to stderr when it refuses something. */
static int
read_reply(int fd, char *in, size_t *n, size_t cap, mf_smtp_reply *r,
           mf_str *lines, size_t *nl)
{
	for (;;) {
		size_t used, room = 64, i;
		int rc = mf_smtp_reply_parse(in, *n, NULL, r, lines, &room,
		                             &used, NULL);
		ssize_t k;

		if (rc == MF_OK) {
			*nl = room;
			for (i = 0; i < room && r->code >= 400; i++) {
				fprintf(stderr, "%d%c", r->code,
				        i + 1 < room ? '-' : ' ');
				if (r->enh_class != 0)
					fprintf(stderr, "%d.%d.%d ",
					        r->enh_class, r->enh_subject,
					        r->enh_detail);
				fprintf(stderr, MF_STR_FMT "\n",
				        MF_STR_ARG(lines[i]));
			}
			return (int)used;
		}
		if (rc != MF_MORE || *n == cap)
			return -1;
		k = recv(fd, in + *n, cap - *n, 0);
		if (k <= 0)
			return -1;
		*n += (size_t)k;
	}
}

int
main(int argc, char **argv)
{
	static mf_str rcpts[MAX_RCPT];
	static int codes[MAX_RCPT];
	static char in[65536];
	const char *server = NULL, *file = NULL, *msg;
	char host[256], *port;
	struct addrinfo hints, *ai;
	mf_smtp_client c;
	mf_buf *out = mf_buf_new(NULL);
	size_t n = 0, len = 0, i;
	struct stat sb;
	int fd, what, crlf;

	memset(&c, 0, sizeof(c));
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = argv[i + 1];

		if (v != NULL && strcmp(a, "-s") == 0) {
			server = v;
		} else if (v != NULL && strcmp(a, "-f") == 0) {
			c.from = (mf_str){v, strlen(v)};
		} else if (v != NULL && strcmp(a, "-t") == 0 &&
		           c.nrcpts < MAX_RCPT) {
			rcpts[c.nrcpts++] = (mf_str){v, strlen(v)};
		} else if (a[0] != '-' && file == NULL) {
			file = a;
			continue;
		} else {
			return usage();
		}
		i++;
	}
	if (server == NULL || c.from.ptr == NULL || c.nrcpts == 0 ||
	    out == NULL || strlen(server) >= sizeof(host))
		return usage();
	/* The message: a file is mapped, stdin read whole. */
	fd = file != NULL ? open(file, O_RDONLY) : 0;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		perror(file != NULL ? file : "stdin");
		return 1;
	}
	if (file != NULL && S_ISREG(sb.st_mode) && sb.st_size > 0) {
		len = (size_t)sb.st_size;
		msg = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (msg == MAP_FAILED) {
			perror(file);
			return 1;
		}
	} else {
		mf_buf *b = mf_buf_new(NULL);
		ssize_t k;

		while (b != NULL && (k = read(fd, in, sizeof(in))) > 0)
			if (mf_buf_append(b, in, (size_t)k) != MF_OK)
				return 1;
		if (b == NULL)
			return 1;
		len = mf_buf_len(b);
		msg = mf_buf_data(b); /* kept to the end */
	}
	/* The size (for SIZE= and BDAT) only when the line ends are CRLF
	 * already: after DATA the dot-stuffing makes them so. */
	crlf = all_crlf(msg, len);
	c.size = crlf ? len : 0;
	c.helo = (mf_str){"localhost", 9};
	c.rcpts = rcpts;
	c.rcpt_codes = codes;
	/* The connection. */
	snprintf(host, sizeof(host), "%s", server);
	port = strrchr(host, ':');
	if (port == NULL)
		return usage();
	*port++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 ||
	    (fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		fprintf(stderr, "smtp-send: cannot connect to %s\n", server);
		return 1;
	}
	freeaddrinfo(ai);
	n = 0;
	while ((what = mf_smtp_client_next(&c, out)) != MF_SMTP_DO_DONE) {
		int rc = 0;

		if (what < 0) {
			fprintf(stderr, "smtp-send: %s\n", mf_strerror(what));
			return 1;
		}
		if (mf_buf_len(out) > 0)
			rc = send_all(fd, mf_buf_data(out), mf_buf_len(out));
		mf_buf_clear(out);
		if (rc == 0 && what == MF_SMTP_DO_DATA)
			rc = send_dotted(fd, msg, len);
		else if (rc == 0 && what == MF_SMTP_DO_BDAT)
			rc = send_all(fd, msg, len);
		else if (rc == 0 && what == MF_SMTP_DO_READ) {
			mf_smtp_reply r;
			mf_str lines[64];
			size_t nl;
			int used =
			    read_reply(fd, in, &n, sizeof(in), &r, lines, &nl);

			rc = used < 0 || mf_smtp_client_reply(&c, &r, lines,
			                                      nl) != MF_OK
			         ? -1
			         : 0;
			if (used > 0) {
				memmove(in, in + used, n - (size_t)used);
				n -= (size_t)used;
			}
		}
		if (rc < 0) {
			fprintf(stderr, "smtp-send: connection lost\n");
			return 1;
		}
	}
	close(fd);
	if (c.why != NULL)
		fprintf(stderr, "smtp-send: %s\n", c.why);
	return c.ok && c.accepted == c.nrcpts ? 0 : 1;
}
