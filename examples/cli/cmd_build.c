/* SPDX-License-Identifier: MIT */
/*
 * cmd_build.c - mailfmt build [--from A] [--to A]... [--cc A]...
 * [--subject S] [--text FILE] [--html FILE] [--attach FILE[:type/subtype]]...
 * [--header 'Name: value']...
 *
 * Prints a complete message (RFC 5322 + MIME, CRLF line ends) built with
 * the library's builder (mf_msg_new(3), mf_msg_attach(3)): Date and
 * Message-ID generated unless a --header gives them, non-ASCII header
 * text RFC 2047-encoded, the bodies' transfer encoding chosen from their
 * content, multipart/alternative for text and HTML, multipart/mixed
 * around attachments. Repeated --to and --cc make one address list.
 * An attachment's name is the file's base name, its type the one after
 * the last ":" (when FILE with that suffix is not a file itself), else
 * by the name's extension. The first --header of a name replaces the
 * field (Date, Message-ID...), the next ones of that name add fields.
 *
 * Bad input (an address, a header value with CR or LF, text that is not
 * UTF-8, an unreadable file) is exit 1 with "mailfmt: <reason> at byte
 * <offset>", the offset counted in the option's value; nothing is
 * written to stdout then. Bad options are exit 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

int cmd_build(int argc, char **argv);

#define USAGE                                                                  \
	"build [--from A] [--to A]... [--cc A]... [--subject S] "             \
	"[--text FILE] [--html FILE] [--attach FILE[:type/subtype]]... "      \
	"[--header 'Name: value']..."

/* A failure in the value of option opt: "mailfmt: opt: reason at byte N". */
static int
fail_in(const char *opt, const mf_error *e, int rc)
{
	fprintf(stderr, "mailfmt: %s: %s at byte %zu\n", opt,
		e != NULL && e->reason != NULL ? e->reason : mf_strerror(rc),
		e != NULL ? e->offset : 0);
	return CLI_BAD_INPUT;
}

/*
 * Sets the address field name from the values v[0..n), joined by ", ";
 * an error's offset is given in the value that holds it.
 */
static int
set_addrs(mf_msg *m, const char *name, const char *opt, char **v, size_t n)
{
	mf_buf *b = mf_buf_new(NULL);
	size_t *start = calloc(n + 1, sizeof(*start));
	mf_error e = {MF_E_NOMEM, 0, NULL};
	size_t i;
	int r = b != NULL && start != NULL ? MF_OK : MF_E_NOMEM;

	for (i = 0; i < n && r == MF_OK; i++) {
		if (i > 0)
			r = mf_buf_append(b, ", ", 2);
		start[i] = mf_buf_len(b);
		if (r == MF_OK)
			r = mf_buf_append(b, v[i], strlen(v[i]));
	}
	if (r == MF_OK)
		r = mf_part_header_set(m, NULL, name, strlen(name),
				       mf_buf_data(b), mf_buf_len(b), 0, &e);
	if (r != MF_OK) {
		for (i = n; i > 0 && start[i - 1] > e.offset; i--)
			;
		if (i > 0)
			e.offset -= start[i - 1];
		r = fail_in(opt, &e, r);
	}
	mf_buf_free(b);
	free(start);
	return r;
}

/* The part of path after its last "/". */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/*
 * Splits "FILE[:type/subtype]" in place: *type gets the type or NULL. The
 * whole argument is the file when it names one.
 */
static void
split_attach(char *arg, const char **type)
{
	struct stat st;
	char *c = strrchr(arg, ':');

	*type = NULL;
	if (c == NULL || strchr(c, '/') == NULL || stat(arg, &st) == 0)
		return;
	*c = '\0';
	*type = c + 1;
}

struct opts {
	const char *from, *subject, *text, *html;
	char **to, **cc, **attach, **header;
	size_t nto, ncc, nattach, nheader;
};

static int
build(mf_msg *m, struct opts *o, char **files, size_t *sizes)
{
	mf_error e = {MF_E_NOMEM, 0, NULL};
	size_t i, k;
	int r = MF_OK;

	if (o->from != NULL) {
		r = mf_msg_set(m, "From", o->from, &e);
		if (r != MF_OK)
			return fail_in("--from", &e, r);
	}
	if (o->nto > 0 && set_addrs(m, "To", "--to", o->to, o->nto) != MF_OK)
		return CLI_BAD_INPUT;
	if (o->ncc > 0 && set_addrs(m, "Cc", "--cc", o->cc, o->ncc) != MF_OK)
		return CLI_BAD_INPUT;
	if (o->subject != NULL) {
		r = mf_msg_set(m, "Subject", o->subject, &e);
		if (r != MF_OK)
			return fail_in("--subject", &e, r);
	}
	for (i = 0; i < o->nheader; i++) {
		const char *h = o->header[i], *c = strchr(h, ':'), *v;
		size_t namelen = (size_t)(c - h);
		int again = 0;

		for (v = c + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (k = 0; k < i && !again; k++)
			again = strncmp(o->header[k], h, namelen + 1) == 0;
		r = (again ? mf_part_header_add : mf_part_header_set)(
		    m, NULL, h, namelen, v, strlen(v), 0, &e);
		if (r != MF_OK) {
			e.offset += (size_t)(v - h);
			return fail_in("--header", &e, r);
		}
	}
	/* Bodies, then attachments: the builder makes the structure. */
	if (o->text != NULL) {
		r = mf_msg_set_text(m, files[0], sizes[0], MF_BORROW);
		if (r != MF_OK)
			return fail_in(o->text, NULL, r);
	}
	if (o->html != NULL) {
		r = mf_msg_set_html(m, files[1], sizes[1], MF_BORROW);
		if (r != MF_OK)
			return fail_in(o->html, NULL, r);
	}
	for (i = 0; i < o->nattach; i++) {
		const char *type;

		split_attach(o->attach[i], &type);
		r = mf_msg_attach(m, base_name(o->attach[i]), type,
				  files[2 + i], sizes[2 + i], MF_BORROW, NULL);
		if (r != MF_OK)
			return fail_in(o->attach[i], NULL, r);
	}
	return CLI_OK;
}

/* Reads path ("-": stdin) whole; an unreadable one is bad input. */
static int
read_one(const char *path, char **p, size_t *n)
{
	mf_error e = {MF_E_INVAL, 0, NULL};

	if (strcmp(path, "-") != 0 && access(path, R_OK) != 0) {
		e.reason = strerror(errno);
		return fail_in(path, &e, MF_E_INVAL);
	}
	return cli_read(path, p, n);
}

/* Reads the files of the options: text, html, then the attachments. */
static int
read_files(struct opts *o, char **files, size_t *sizes)
{
	size_t i;
	int rc = CLI_OK;

	if (o->text != NULL)
		rc = read_one(o->text, &files[0], &sizes[0]);
	if (rc == CLI_OK && o->html != NULL)
		rc = read_one(o->html, &files[1], &sizes[1]);
	for (i = 0; rc == CLI_OK && i < o->nattach; i++) {
		char path[4096];
		const char *type;
		size_t n = strlen(o->attach[i]);

		if (n >= sizeof(path))
			return fail_in("--attach", NULL, MF_E_LIMIT);
		memcpy(path, o->attach[i], n + 1);
		split_attach(path, &type);
		rc = read_one(path, &files[2 + i], &sizes[2 + i]);
	}
	return rc;
}

int
cmd_build(int argc, char **argv)
{
	struct opts o;
	char **files = NULL;
	size_t *sizes = NULL, i;
	mf_msg *m = NULL;
	mf_buf *out = NULL;
	int rc = CLI_OK, k;

	memset(&o, 0, sizeof(o));
	o.to = calloc((size_t)argc, sizeof(char *));
	o.cc = calloc((size_t)argc, sizeof(char *));
	o.attach = calloc((size_t)argc, sizeof(char *));
	o.header = calloc((size_t)argc, sizeof(char *));
	if (o.to == NULL || o.cc == NULL || o.attach == NULL ||
	    o.header == NULL) {
		rc = cli_fail(NULL, MF_E_NOMEM);
		goto done;
	}
	for (k = 1; k < argc; k++) {
		const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;

		if (v == NULL) {
			rc = cli_usage(USAGE);
			goto done;
		}
		k++;
		if (strcmp(a, "--from") == 0 && o.from == NULL)
			o.from = v;
		else if (strcmp(a, "--to") == 0)
			o.to[o.nto++] = argv[k];
		else if (strcmp(a, "--cc") == 0)
			o.cc[o.ncc++] = argv[k];
		else if (strcmp(a, "--subject") == 0 && o.subject == NULL)
			o.subject = v;
		else if (strcmp(a, "--text") == 0 && o.text == NULL)
			o.text = v;
		else if (strcmp(a, "--html") == 0 && o.html == NULL)
			o.html = v;
		else if (strcmp(a, "--attach") == 0 && v[0] != '\0')
			o.attach[o.nattach++] = argv[k];
		else if (strcmp(a, "--header") == 0 && strchr(v, ':') != NULL &&
			 strchr(v, ':') != v)
			o.header[o.nheader++] = argv[k];
		else {
			rc = cli_usage(USAGE);
			goto done;
		}
	}
	files = calloc(o.nattach + 2, sizeof(*files));
	sizes = calloc(o.nattach + 2, sizeof(*sizes));
	m = mf_msg_new(NULL);
	out = mf_buf_new(NULL);
	if (files == NULL || sizes == NULL || m == NULL || out == NULL) {
		rc = cli_fail(NULL, MF_E_NOMEM);
		goto done;
	}
	rc = read_files(&o, files, sizes);
	if (rc == CLI_OK)
		rc = build(m, &o, files, sizes);
	/* Into memory first: a failed write prints nothing. */
	if (rc == CLI_OK) {
		k = mf_msg_write(m, 0, out);
		rc = k == MF_OK ? cli_write(mf_buf_data(out), mf_buf_len(out))
				: cli_fail(NULL, k);
	}
	if (rc == CLI_OK && fflush(stdout) != 0) {
		fprintf(stderr, "mailfmt: write error\n");
		rc = CLI_BAD_INPUT;
	}
done:
	mf_msg_free(m);
	for (i = 0; files != NULL && i < o.nattach + 2; i++)
		free(files[i]);
	free(files);
	free(sizes);
	free(o.to);
	free(o.cc);
	free(o.attach);
	free(o.header);
	mf_buf_free(out);
	return rc;
}
