/* SPDX-License-Identifier: MIT */
/*
 * cmd_mime.c - mailfmt rewrite [FILE] and mailfmt stat [--structure-only]
 * [--mbox] FILE...
 *
 * rewrite parses the message (mf_msg_parse) and writes it back through
 * the writer (mf_msg_write_fn): the output equals the input byte for byte.
 *
 * stat streams each file through the push parser in 64 KiB reads (a file
 * is never held whole), transfer-decodes every leaf unless
 * --structure-only, and prints the totals over all files:
 *   msgs=N bytes=N entities=N leaves=N decoded=N
 * msgs counts messages (one per file, or per From_ line with --mbox);
 * bytes their size without From_ lines and separators; entities every
 * header block; leaves the parts that are neither multipart nor message;
 * decoded the transfer-decoded leaf bytes (0 with --structure-only). An
 * extra key, raw=N, gives the leaf body bytes as they are in the input.
 *
 * With -j N (N threads; 0: one per online CPU) the work is shared out in
 * units: a file, or with --mbox a run of messages of about 1 MiB (--unit
 * BYTES) that starts at a From_ line. Each thread streams its units
 * through parsers of its own (the library keeps no global state), and
 * the totals are the sums, so the output equals -j 1's. A unit of an mbox
 * is followed by the next From_ line, fed to its parser and then ignored,
 * so that its last message ends exactly where the whole-file parse ends
 * it. The error reported is that of the first failing unit, in file
 * order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

int cmd_rewrite(int argc, char **argv);
int cmd_stat(int argc, char **argv);

static int
to_stdout(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	return cli_write(p, n);
}

int
cmd_rewrite(int argc, char **argv)
{
	const char *path = NULL;
	char *in;
	size_t n;
	mf_msg *m;
	mf_error e;
	int rc, i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("rewrite [FILE]");
		if (path != NULL)
			return cli_usage("rewrite [FILE]");
		path = argv[i];
	}
	rc = cli_read(path, &in, &n);
	if (rc != CLI_OK)
		return rc;
	rc = mf_msg_parse(in, n, NULL, &m, &e);
	if (rc != MF_OK) {
		free(in);
		return cli_fail(&e, rc);
	}
	rc = mf_msg_write_fn(m, 0, to_stdout, NULL);
	mf_msg_free(m);
	free(in);
	if (rc != MF_OK || fflush(stdout) != 0) {
		fprintf(stderr, "mailfmt: write error\n");
		return CLI_BAD_INPUT;
	}
	return CLI_OK;
}

struct totals {
	uint64_t msgs, bytes, entities, leaves, decoded, raw;
};

/* A unit of work: bytes [start, end) of a file, or all of it. */
struct unit {
	const char *path;
	uint64_t start, end; /* end UINT64_MAX: to the end of the file */
	int whole;           /* not a range: stdin, or a file of messages */
	struct totals t;
	int rc;              /* CLI_OK, or the exit status after a message */
	mf_error err;        /* the parser's error (offset in the file) */
	char msg[256];       /* or a message of its own */
};

struct job {
	const mf_opts *o;
	int decode;
	struct unit *u;
	size_t n, next;
	pthread_mutex_t lock;
};

/* The parse of one unit: totals, and the trailing From_ line's message
 * ignored. */
struct run {
	struct totals *t;
	int decode;
	int tail; /* feeding the next unit's From_ line */
	int skip; /* its message began: ignore the rest */
};

static int
on_event(void *ctx, const mf_event *ev)
{
	struct run *r = ctx;
	struct totals *t = r->t;
	uint64_t h, b, e;

	if (r->tail && ev->type == MF_EV_PART_BEGIN && ev->depth == 0)
		r->skip = 1;
	if (r->skip)
		return 0;
	switch (ev->type) {
	case MF_EV_PART_BEGIN:
		t->entities++;
		if (ev->depth == 0)
			t->msgs++;
		break;
	case MF_EV_HEADERS_END:
		if (mf_part_kind(ev->part) == MF_PART_LEAF)
			t->leaves++;
		break;
	case MF_EV_BODY:
		if (r->decode)
			t->decoded += ev->data.len;
		t->raw += ev->raw.len;
		break;
	case MF_EV_PART_END:
		if (ev->depth == 0) {
			mf_part_offsets(ev->part, &h, &b, &e);
			t->bytes += e - h;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Streams unit u through a new parser, reading 64 KiB at a time. */
static void
stat_unit(const struct job *j, struct unit *u, char *buf, size_t cap)
{
	FILE *f = stdin;
	struct run r = {&u->t, j->decode, 0, 0};
	mf_parser *ps;
	uint64_t left = u->end - u->start;
	int rc = MF_OK;

	u->rc = CLI_OK;
	if (strcmp(u->path, "-") != 0) {
		f = fopen(u->path, "rb");
		if (f == NULL) {
			snprintf(u->msg, sizeof(u->msg), "mailfmt: %s: %s\n",
			         u->path, strerror(errno));
			u->rc = CLI_BAD_INPUT;
			return;
		}
	}
	if (!u->whole && fseeko(f, (off_t)u->start, SEEK_SET) != 0)
		rc = MF_E_INVAL;
	ps = mf_parser_new(j->o, on_event, &r);
	if (ps == NULL)
		rc = MF_E_NOMEM;
	while (rc == MF_OK && (u->whole || left > 0)) {
		size_t want = u->whole || left > cap ? cap : (size_t)left;
		size_t k = fread(buf, 1, want, f);

		if (k > 0)
			rc = mf_parser_feed(ps, buf, k);
		left -= u->whole ? 0 : k;
		if (k < want)
			break;
	}
	/* The next unit's From_ line ends this unit's last message. */
	if (rc == MF_OK && !u->whole && u->end != UINT64_MAX && !ferror(f)) {
		int c = 0;

		r.tail = 1;
		while (rc == MF_OK && (c = getc(f)) != EOF) {
			char ch = (char)c;

			rc = mf_parser_feed(ps, &ch, 1);
			if (c == '\n')
				break;
		}
	}
	if (ferror(f)) {
		snprintf(u->msg, sizeof(u->msg), "mailfmt: %s: read error\n",
		         u->path);
		u->rc = CLI_BAD_INPUT;
	} else if (rc == MF_OK) {
		rc = mf_parser_finish(ps);
	}
	if (f != stdin)
		fclose(f);
	if (u->rc == CLI_OK && rc != MF_OK) {
		if (ps == NULL || mf_parser_error(ps, &u->err) == MF_OK) {
			u->err.code = rc;
			u->err.offset = 0;
			u->err.reason = mf_strerror(rc);
		}
		if (!u->whole)
			u->err.offset += (size_t)u->start;
		u->rc = CLI_BAD_INPUT;
	}
	mf_parser_free(ps);
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	char *buf = malloc(65536);

	for (;;) {
		struct unit *u = NULL;

		pthread_mutex_lock(&j->lock);
		if (j->next < j->n)
			u = &j->u[j->next++];
		pthread_mutex_unlock(&j->lock);
		if (u == NULL)
			break;
		if (buf == NULL) {
			snprintf(u->msg, sizeof(u->msg),
			         "mailfmt: out of memory\n");
			u->rc = CLI_BAD_INPUT;
			continue;
		}
		stat_unit(j, u, buf, 65536);
	}
	free(buf);
	return NULL;
}

/* The size of an mbox unit (--unit), 1 MiB by default. */
#define UNIT_BYTES ((uint64_t)1 << 20)

/*
 * The offset of the first line at or after from that begins "From "
 * (from itself is a line start), or the file size: where the next unit of
 * an mbox starts.
 */
static uint64_t
next_from_line(FILE *f, uint64_t from)
{
	char buf[65536 + 6];
	size_t keep = 0;
	uint64_t base = from;

	if (fseeko(f, (off_t)from, SEEK_SET) != 0)
		return UINT64_MAX;
	/* buf[0..keep) are the last bytes of the previous read. */
	for (;;) {
		size_t k = fread(buf + keep, 1, 65536, f), i = 0;

		while (i + 6 <= keep + k) {
			const char *nl =
			    memchr(buf + i, '\n', keep + k - 5 - i);

			if (nl == NULL)
				break;
			i = (size_t)(nl - buf);
			if (memcmp(buf + i + 1, "From ", 5) == 0)
				return base + i + 1;
			i++;
		}
		if (k < 65536)
			return UINT64_MAX; /* the end of the file */
		base += keep + k - 5;
		memmove(buf, buf + keep + k - 5, 5);
		keep = 5;
	}
}

/* Adds the units of path to *v: the file, or its runs of messages. */
static int
add_units(struct unit **v, size_t *n, size_t *cap, const char *path,
          int mbox, int split, uint64_t unit)
{
	FILE *f = NULL;
	uint64_t start = 0, end;

	if (split && mbox && strcmp(path, "-") != 0)
		f = fopen(path, "rb");
	do {
		struct unit *u;

		end = UINT64_MAX;
		if (f != NULL && start < UINT64_MAX - unit)
			end = next_from_line(f, start + unit - 1);
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			struct unit *nv = realloc(*v, nc * sizeof(**v));

			if (nv == NULL) {
				if (f != NULL)
					fclose(f);
				return -1;
			}
			*v = nv;
			*cap = nc;
		}
		u = &(*v)[(*n)++];
		memset(u, 0, sizeof(*u));
		u->path = path;
		u->start = start;
		u->end = end;
		u->whole = f == NULL;
		start = end;
	} while (f != NULL && end != UINT64_MAX);
	if (f != NULL)
		fclose(f);
	return 0;
}

int
cmd_stat(int argc, char **argv)
{
	static const char usage[] =
	    "stat [--structure-only] [--mbox] [-j N [--unit BYTES]] FILE...";
	struct totals t;
	struct job j;
	struct unit *v = NULL;
	size_t nv = 0, cap = 0, k;
	pthread_t th[256];
	mf_opts o;
	long jobs = 1, unit = (long)UNIT_BYTES;
	int i, rc = CLI_OK, nfiles = 0, started = 0;

	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	memset(&j, 0, sizeof(j));
	j.decode = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--structure-only") == 0)
			j.decode = 0;
		else if (strcmp(argv[i], "--mbox") == 0)
			o.flags |= MF_MBOX;
		else if (strcmp(argv[i], "-j") == 0 && i + 1 < argc) {
			jobs = cli_num(argv[++i]);
			if (jobs < 0 || jobs > 256)
				return cli_usage(usage);
			if (jobs == 0)
				jobs = sysconf(_SC_NPROCESSORS_ONLN);
			if (jobs < 1 || jobs > 256)
				jobs = 1;
		} else if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc) {
			unit = cli_num(argv[++i]);
			if (unit < 1)
				return cli_usage(usage);
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage(usage);
		else
			nfiles++;
	}
	if (j.decode)
		o.flags |= MF_DECODE;
	/* -j 1 streams each file whole: the reference the units match. */
	for (i = 1; i < argc && rc == CLI_OK; i++) {
		if (strcmp(argv[i], "-j") == 0 ||
		    strcmp(argv[i], "--unit") == 0)
			i++;
		else if (!(argv[i][0] == '-' && argv[i][1] != '\0') &&
		         add_units(&v, &nv, &cap, argv[i], o.flags & MF_MBOX,
		                   jobs > 1, (uint64_t)unit) < 0)
			rc = CLI_BAD_INPUT;
	}
	if (nfiles == 0 && rc == CLI_OK &&
	    add_units(&v, &nv, &cap, "-", 0, 0, 0) < 0)
		rc = CLI_BAD_INPUT;
	if (rc != CLI_OK) {
		free(v);
		return cli_fail(NULL, MF_E_NOMEM);
	}
	j.o = &o;
	j.u = v;
	j.n = nv;
	pthread_mutex_init(&j.lock, NULL);
	for (k = 1; k < (size_t)jobs && k < nv; k++) {
		if (pthread_create(&th[started], NULL, worker, &j) != 0)
			break;
		started++;
	}
	worker(&j);
	for (k = 0; k < (size_t)started; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&j.lock);
	/* The first failure in file order, as -j 1 reports it. */
	for (k = 0; k < nv && rc == CLI_OK; k++) {
		const struct unit *u = &v[k];

		if (u->rc != CLI_OK && u->msg[0] != '\0') {
			fputs(u->msg, stderr);
			rc = u->rc;
		} else if (u->rc != CLI_OK) {
			rc = cli_fail(&u->err, u->err.code);
		}
		t.msgs += u->t.msgs;
		t.bytes += u->t.bytes;
		t.entities += u->t.entities;
		t.leaves += u->t.leaves;
		t.decoded += u->t.decoded;
		t.raw += u->t.raw;
	}
	free(v);
	if (rc != CLI_OK)
		return rc;
	printf("msgs=%llu bytes=%llu entities=%llu leaves=%llu decoded=%llu "
	       "raw=%llu\n",
	       (unsigned long long)t.msgs, (unsigned long long)t.bytes,
	       (unsigned long long)t.entities, (unsigned long long)t.leaves,
	       (unsigned long long)t.decoded, (unsigned long long)t.raw);
	return CLI_OK;
}
