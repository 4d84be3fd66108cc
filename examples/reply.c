/* SPDX-License-Identifier: MIT */
/*
 * reply [-a] [-f FROM] FILE - prints the skeleton of a reply to the
 * message in FILE, as a mail program starts one: To the original's
 * Reply-To or From (-a: and Cc everyone else it went to, but FROM),
 * Subject "Re: ..." once, In-Reply-To and References threading it under
 * the original (RFC 5322 3.6.3, 3.6.4), and the original's text quoted
 * with "> ".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailfmt.h>

/* Reads a whole file: the library does no I/O. NULL on failure. */
static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len = -1;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0)
		len = ftell(f);
	if (len >= 0 && fseek(f, 0, SEEK_SET) == 0)
		p = malloc((size_t)len + 1);
	if (p != NULL && fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	if (f != NULL)
		fclose(f);
	*n = (size_t)len;
	return p;
}

/* Appends text[0..n) to q with "> " before each line, ">" before an
 * empty one. */
static int
quote(mf_buf *q, const char *text, size_t n)
{
	const char *end = text + n, *nl;
	size_t len;
	int rc = MF_OK;

	while (rc == MF_OK && text < end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		len = nl != NULL ? (size_t)(nl - text) : (size_t)(end - text);
		rc = mf_buf_append(q, len > 0 ? "> " : ">", len > 0 ? 2 : 1);
		if (rc == MF_OK)
			rc = mf_buf_append(q, text, len);
		if (rc == MF_OK)
			rc = mf_buf_append(q, "\n", 1);
		text = nl != NULL ? nl + 1 : end;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	int all = argc > 1 && strcmp(argv[1], "-a") == 0;
	const char *from = argc > 2 + all && strcmp(argv[1 + all], "-f") == 0
				   ? argv[2 + all]
				   : NULL;
	const char *path = argc == 2 + all + 2 * (from != NULL)
				   ? argv[argc - 1]
				   : NULL;
	const mf_part *body = NULL;
	size_t n = 0, nbody = 0;
	char *in = path != NULL ? read_file(path, &n) : NULL;
	mf_msg *m = NULL, *r = NULL;
	mf_buf *text = mf_buf_new(NULL), *out = mf_buf_new(NULL);
	mf_error err = {MF_E_NOMEM, 0, "out of memory"};
	int rc = in == NULL ? MF_E_INVAL : MF_OK;

	if (rc == MF_OK && (text == NULL || out == NULL))
		rc = MF_E_NOMEM;
	if (rc == MF_OK)
		rc = mf_msg_parse(in, n, NULL, &m, &err);
	if (rc == MF_OK)
		rc = mf_msg_reply(mf_msg_root(m),
				  all ? MF_REPLY_ALL : MF_REPLY_SENDER, from,
				  NULL, &r, &err);
	if (rc == MF_OK && from != NULL)
		rc = mf_msg_set(r, "From", from, &err);
	/* The original's text body, decoded to UTF-8, quoted. */
	if (rc == MF_OK &&
	    mf_msg_bodies(mf_msg_root(m), MF_BODY_TEXT, &body, 1, &nbody) !=
		MF_E_INVAL &&
	    nbody == 1 && mf_str_eq(mf_part_type(body), MF_STR("text")))
		rc = mf_part_decode(body, out, MF_CONTENT_FLOWED | MF_LF, NULL,
				    NULL, &err);
	if (rc == MF_OK)
		rc = quote(text, mf_buf_data(out), mf_buf_len(out));
	if (rc == MF_OK)
		rc = mf_msg_set_text(r, mf_buf_data(text), mf_buf_len(text), 0);
	if (rc == MF_OK) {
		mf_buf_clear(out);
		rc = mf_msg_write(r, 0, out);
	}
	if (rc == MF_OK)
		fwrite(mf_buf_data(out), 1, mf_buf_len(out), stdout);
	else if (in == NULL)
		fprintf(stderr, "usage: reply [-a] [-f FROM] READABLE-FILE\n");
	else
		fprintf(stderr, "reply: %s at byte %zu\n",
			rc == err.code ? err.reason : mf_strerror(rc),
			rc == err.code ? err.offset : 0);
	mf_msg_free(r);
	mf_msg_free(m);
	mf_buf_free(text);
	mf_buf_free(out);
	free(in);
	return rc == MF_OK ? 0 : 1;
}
