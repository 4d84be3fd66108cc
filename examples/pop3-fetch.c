/* SPDX-License-Identifier: MIT */
/*
 * pop3-fetch - fetches every message of a POP3 mailbox (RFC 1939) into a
 * Maildir, built on mailfmt's POP3 client machine: it formats each
 * command, knows which reply answers it and undoes the dot-stuffing of
 * the messages; this file does the socket and the files.
 *
 *	pop3-fetch -s HOST:PORT -u USER:PASSWORD -d MAILDIR [--apop] [--delete]
 *
 * Logs in with USER/PASS, or APOP with the greeting's timestamp; stores
 * each message in MAILDIR/new/ byte for byte as the server sent it
 * (unstuffed, CRLF kept) through MAILDIR/tmp/ and fsync, prints
 * "<size> <file>" for it, and with --delete only then sends DELE. Exits
 * 0, or 1 with the server's reply (or the error) on stderr.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mailfmt.h"

#define TIMEOUT_MS 60000

static int sock = -1;
static const char *maildir;
static char tmp_path[4096], new_path[4096];
static FILE *msg_file; /* the message being received */
static uint64_t msg_size;
static uint64_t count, next = 1; /* messages on the server, the next one */

static int
fail(const char *what, const char *detail)
{
	fprintf(stderr, "pop3-fetch: %s%s\n", what, detail);
	if (msg_file != NULL) {
		fclose(msg_file);
		unlink(tmp_path); /* nothing half-stored is left */
	}
	return 1;
}

/* Sends cmd if the client machine allows it now (else -1). */
static int
send_cmd(mf_pop3_client *c, const mf_pop3_cmd *cmd)
{
	char out[MF_POP3_CMD_MAX];
	size_t len, off = 0;

	if (mf_pop3_client_command(c, cmd, out, sizeof(out), &len) < 0)
		return -1;
	while (off < len) {
		ssize_t k = write(sock, out + off, len - off);

		if (k < 0 && errno != EINTR)
			return -1;
		off += k > 0 ? (size_t)k : 0;
	}
	return 0;
}

/* Maildir delivery: a unique name, written in tmp/, moved to new/. */
static int
msg_open(void)
{
	static unsigned n;
	struct timeval tv;
	char name[128];

	gettimeofday(&tv, NULL);
	snprintf(name, sizeof(name), "%ld.M%ldP%ldQ%u.pop3-fetch",
		 (long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), ++n);
	snprintf(tmp_path, sizeof(tmp_path), "%s/tmp/%s", maildir, name);
	snprintf(new_path, sizeof(new_path), "%s/new/%s", maildir, name);
	msg_file = fopen(tmp_path, "wbx");
	msg_size = 0;
	return msg_file != NULL ? 0 : -1;
}

static int
msg_store(void)
{
	int ok = fflush(msg_file) == 0 && fsync(fileno(msg_file)) == 0;

	ok = fclose(msg_file) == 0 && ok;
	msg_file = NULL;
	if (!ok || rename(tmp_path, new_path) != 0) {
		unlink(tmp_path);
		return -1;
	}
	printf("%llu %s\n", (unsigned long long)msg_size, new_path);
	fflush(stdout);
	return 0;
}

/* RETR of the next message, or QUIT after the last. */
static void
next_msg(mf_pop3_cmd *cmd)
{
	cmd->verb = next <= count ? MF_POP3_RETR : MF_POP3_QUIT;
	cmd->msg = next <= count ? next++ : 0;
}

static int
connect_to(const char *hostport)
{
	struct addrinfo hints, *ai, *a;
	const char *colon = strrchr(hostport, ':');
	char host[256];
	int fd = -1;

	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport),
		 hostport);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	for (a = ai; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

int
main(int argc, char **argv)
{
	const char *server = NULL, *user = NULL, *pass = NULL;
	int apop = 0, delete = 0, failed = 0, i, rc;
	mf_pop3_client c;
	mf_pop3_event ev;
	mf_pop3_cmd cmd;
	mf_pop3_listing stat;
	mf_str name;
	char in[16384], digest[MF_POP3_DIGEST_LEN], line[MF_POP3_REPLY_MAX];
	size_t inlen = 0, used, len;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--apop") == 0)
			apop = 1;
		else if (strcmp(argv[i], "--delete") == 0)
			delete = 1;
		else if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
			server = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-u") == 0)
			user = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-d") == 0)
			maildir = argv[++i];
		else
			break;
	}
	if (i < argc || server == NULL || maildir == NULL || user == NULL ||
	    (pass = strchr(user, ':')) == NULL) {
		fprintf(stderr, "usage: pop3-fetch -s HOST:PORT "
				"-u USER:PASSWORD -d MAILDIR [--apop] "
				"[--delete]\n");
		return 2;
	}
	name = (mf_str){user, (size_t)(pass++ - user)};
	sock = connect_to(server);
	if (sock < 0)
		return fail("cannot connect to ", server);
	if (mf_pop3_client_init(&c, NULL) != MF_OK)
		return 1;

	for (;;) {
		/* The next event in what was read, or read more. */
		rc = mf_pop3_client_read(&c, in, inlen, &ev, &used, NULL);
		if (rc == MF_MORE) {
			struct pollfd p = {.fd = sock, .events = POLLIN};
			ssize_t k;

			memmove(in, in + used, inlen - used);
			inlen -= used;
			if (poll(&p, 1, TIMEOUT_MS) <= 0)
				return fail("timeout", "");
			k = read(sock, in + inlen, sizeof(in) - inlen);
			if (k <= 0)
				return fail("connection closed", "");
			inlen += (size_t)k;
			continue;
		}
		if (rc < 0)
			return fail("bad reply from the server", "");
		/* What to send next, if anything (one command at a time). */
		memset(&cmd, 0, sizeof(cmd));
		if (ev.type == MF_POP3_EV_DATA) {
			if (fwrite(ev.data.ptr, 1, ev.data.len, msg_file) !=
			    ev.data.len)
				return fail("cannot write ", tmp_path);
			msg_size += ev.data.len;
		} else if (ev.type == MF_POP3_EV_END) {
			/* Stored for good: only now may it go. */
			if (msg_store() < 0)
				return fail("cannot store ", new_path);
			cmd.verb = MF_POP3_DELE;
			cmd.msg = next - 1;
			if (!delete)
				next_msg(&cmd);
		} else if (ev.reply.status != MF_POP3_OK) {
			/* Show the reply, and leave with QUIT: it removes
			 * only what was stored and marked. */
			if (mf_pop3_reply_format(line, sizeof(line), &ev.reply,
						 &len) == MF_OK)
				fprintf(stderr, "pop3-fetch: %.*s\n",
					(int)len - 2, line);
			if (failed++ || c.state == MF_POP3_CLOSED)
				return 1;
			cmd.verb = MF_POP3_QUIT;
		} else if (ev.verb == MF_POP3_GREETING && !apop) {
			cmd.verb = MF_POP3_USER;
			cmd.arg = name;
		} else if (ev.verb == MF_POP3_GREETING) {
			/* RFC 1939 7: MD5 of the timestamp and the secret. */
			if (mf_pop3_apop_digest(digest, sizeof(digest),
						ev.reply.timestamp.ptr,
						ev.reply.timestamp.len, pass,
						strlen(pass)) < 0)
				return fail("the server offers no APOP", "");
			cmd.verb = MF_POP3_APOP;
			cmd.arg = name;
			cmd.arg2 = (mf_str){digest, sizeof(digest)};
		} else if (ev.verb == MF_POP3_USER) {
			cmd.verb = MF_POP3_PASS;
			cmd.arg = (mf_str){pass, strlen(pass)};
		} else if (ev.verb == MF_POP3_PASS || ev.verb == MF_POP3_APOP) {
			cmd.verb = MF_POP3_STAT;
		} else if (ev.verb == MF_POP3_STAT) {
			if (mf_pop3_listing_parse(ev.reply.text.ptr,
						  ev.reply.text.len,
						  MF_POP3_STAT, &stat,
						  NULL) != MF_OK)
				return fail("bad STAT reply", "");
			count = stat.msg;
			next_msg(&cmd);
		} else if (ev.verb == MF_POP3_DELE) {
			next_msg(&cmd);
		} else if (ev.verb == MF_POP3_RETR) {
			if (msg_open() < 0)
				return fail("cannot write in ", maildir);
		} else if (ev.verb == MF_POP3_QUIT) {
			return failed;
		}
		if (cmd.verb != MF_POP3_UNKNOWN && send_cmd(&c, &cmd) < 0)
			return fail("cannot send a command", "");
		memmove(in, in + used, inlen - used); /* ev is used up */
		inlen -= used;
	}
}
