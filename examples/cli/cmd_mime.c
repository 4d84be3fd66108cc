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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	rc = mf_msg_write_fn(m, to_stdout, NULL);
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
	int decode;
};

static int
on_event(void *ctx, const mf_event *ev)
{
	struct totals *t = ctx;
	uint64_t h, b, e;

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
		if (t->decode)
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

/* Streams one file through a new parser. */
static int
stat_file(const char *path, const mf_opts *o, struct totals *t, char *buf,
	  size_t cap)
{
	FILE *f = stdin;
	mf_parser *ps;
	uint64_t base = 0;
	mf_error e;
	int rc = MF_OK;

	if (strcmp(path, "-") != 0) {
		f = fopen(path, "rb");
		if (f == NULL) {
			fprintf(stderr, "mailfmt: %s: %s\n", path,
				strerror(errno));
			return CLI_BAD_INPUT;
		}
	}
	ps = mf_parser_new(o, on_event, t);
	if (ps == NULL) {
		if (f != stdin)
			fclose(f);
		return cli_fail(NULL, MF_E_NOMEM);
	}
	for (;;) {
		size_t k = fread(buf, 1, cap, f);

		if (k > 0)
			rc = mf_parser_feed(ps, buf, k);
		base += k;
		if (rc != MF_OK || k < cap)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "mailfmt: %s: read error\n", path);
		rc = MF_E_INVAL;
	}
	if (rc == MF_OK)
		rc = mf_parser_finish(ps);
	if (f != stdin)
		fclose(f);
	if (rc != MF_OK) {
		(void)mf_parser_error(ps, &e);
		mf_parser_free(ps);
		return cli_fail(&e, rc);
	}
	mf_parser_free(ps);
	(void)base;
	return CLI_OK;
}

int
cmd_stat(int argc, char **argv)
{
	static const char usage[] = "stat [--structure-only] [--mbox] FILE...";
	struct totals t;
	mf_opts o;
	char *buf;
	int i, rc = CLI_OK, nfiles = 0;

	memset(&t, 0, sizeof(t));
	memset(&o, 0, sizeof(o));
	t.decode = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--structure-only") == 0)
			t.decode = 0;
		else if (strcmp(argv[i], "--mbox") == 0)
			o.flags |= MF_MBOX;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage(usage);
		else
			nfiles++;
	}
	if (t.decode)
		o.flags |= MF_DECODE;
	buf = malloc(65536);
	if (buf == NULL)
		return cli_fail(NULL, MF_E_NOMEM);
	for (i = 1; i < argc && rc == CLI_OK; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			continue;
		rc = stat_file(argv[i], &o, &t, buf, 65536);
	}
	if (nfiles == 0)
		rc = stat_file("-", &o, &t, buf, 65536);
	free(buf);
	if (rc != CLI_OK)
		return rc;
	printf("msgs=%llu bytes=%llu entities=%llu leaves=%llu decoded=%llu "
	       "raw=%llu\n",
	       (unsigned long long)t.msgs, (unsigned long long)t.bytes,
	       (unsigned long long)t.entities, (unsigned long long)t.leaves,
	       (unsigned long long)t.decoded, (unsigned long long)t.raw);
	return CLI_OK;
}
