/* SPDX-License-Identifier: MIT */
/*
 * strip-attachments MAX < in.eml > out.eml - replaces every attachment
 * larger than MAX bytes (decoded) by a short text note, as a mail archive
 * or a list server does, and says on stderr how many it replaced. The
 * rest of the message keeps its bytes: untouched header fields and parts
 * are written as they were read, so a DKIM signature over them stays
 * valid.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mailfmt.h>

/* Reads all of stdin: the library does no I/O. NULL on failure. */
static char *
read_stdin(size_t *n)
{
	size_t cap = 0, got;
	char *p = NULL, *q;

	*n = 0;
	do {
		if (*n == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				return NULL;
			}
			p = q;
		}
		got = fread(p + *n, 1, cap - *n, stdin);
		*n += got;
	} while (got > 0);
	if (ferror(stdin)) {
		free(p);
		return NULL;
	}
	return p;
}

int
main(int argc, char **argv)
{
	char *end = NULL;
	unsigned long long max = argc == 2 ? strtoull(argv[1], &end, 10) : 0;
	size_t n = 0, count = 0;
	char *in = end != NULL && *end == '\0' ? read_stdin(&n) : NULL;
	mf_msg *m = NULL;
	mf_buf *out = mf_buf_new(NULL);
	mf_error err = {MF_E_NOMEM, 0, "out of memory"};
	int rc = in == NULL ? MF_E_INVAL : out == NULL ? MF_E_NOMEM : MF_OK;

	if (rc == MF_OK)
		rc = mf_msg_parse(in, n, NULL, &m, &err);
	if (rc == MF_OK)
		rc = mf_msg_strip_attachments(m, max, &count);
	if (rc == MF_OK)
		rc = mf_msg_write(m, 0, out);
	if (rc == MF_OK) {
		fwrite(mf_buf_data(out), 1, mf_buf_len(out), stdout);
		fprintf(stderr, "%zu attachments replaced\n", count);
	} else if (in == NULL) {
		fprintf(stderr, "usage: strip-attachments MAX-BYTES < in > out\n");
	} else {
		fprintf(stderr, "strip-attachments: %s at byte %zu\n",
			rc == err.code ? err.reason : mf_strerror(rc),
			rc == err.code ? err.offset : 0);
	}
	mf_msg_free(m);
	mf_buf_free(out);
	free(in);
	return rc == MF_OK ? 0 : 1;
}
