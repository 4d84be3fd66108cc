/* SPDX-License-Identifier: MIT */
/*
 * text-body FILE - prints a message as a plain-text mail reader shows it:
 * its text body (RFC 8621: text/plain, or the HTML where there is no
 * plain text) decoded to UTF-8, safe for a terminal, and a line for each
 * inline image among it.
 */
#include <stdio.h>
#include <stdlib.h>

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

int
main(int argc, char **argv)
{
	const mf_part *v[32];
	mf_msg *m = NULL;
	mf_buf *b = mf_buf_new(NULL);
	mf_error err = {MF_E_NOMEM, 0, "out of memory"};
	size_t n, nv = 0, i;
	char *in = argc == 2 ? read_file(argv[1], &n) : NULL;
	int rc = in == NULL ? MF_E_INVAL : b == NULL ? MF_E_NOMEM : MF_OK;

	if (rc == MF_OK)
		rc = mf_msg_parse(in, n, NULL, &m, &err);
	/* The parts of the text body; MF_E_NOSPC: the first 32 of more. */
	if (rc == MF_OK &&
	    mf_msg_bodies(mf_msg_root(m), MF_BODY_TEXT, v, 32, &nv) != MF_OK)
		fprintf(stderr, "text-body: only the first 32 parts\n");
	for (i = 0; rc == MF_OK && i < nv; i++) {
		mf_buf_clear(b);
		if (!mf_str_eq(mf_part_type(v[i]), MF_STR("text")))
			printf("[" MF_STR_FMT "/" MF_STR_FMT " " MF_STR_FMT
			       "]\n",
			       MF_STR_ARG(mf_part_type(v[i])),
			       MF_STR_ARG(mf_part_subtype(v[i])),
			       MF_STR_ARG(mf_part_filename(v[i])));
		else
			rc = mf_part_decode(
			    v[i], b, MF_CONTENT_FLOWED | MF_LF | MF_SAFE_TEXT,
			    NULL, NULL, &err);
		fwrite(mf_buf_data(b), 1, mf_buf_len(b), stdout);
	}
	if (rc != MF_OK)
		fprintf(stderr, "text-body: %s\n",
		        in == NULL ? "usage: text-body READABLE-FILE"
		                   : err.reason);
	mf_msg_free(m);
	mf_buf_free(b);
	free(in);
	return rc == MF_OK ? 0 : 1;
}
