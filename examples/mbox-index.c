/* SPDX-License-Identifier: MIT */
/*
 * mbox-index - one line per message of an mbox: date, author, subject and
 * the names of the attachments, tab-separated.
 *
 *   mbox-index FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include <mailfmt.h>

/* Reads a whole file: the library does no I/O, this is the idiom. */
static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long len;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)len + 1)) != NULL &&
	    fread(p, 1, (size_t)len, f) != (size_t)len) {
		free(p);
		p = NULL;
	}
	if (f != NULL)
		fclose(f);
	*n = p != NULL ? (size_t)len : 0;
	return p;
}

int
main(int argc, char **argv)
{
	mf_opts o = {.flags = MF_MBOX}, safe = {.flags = MF_SAFE_TEXT};
	mf_msg *m = NULL;
	mf_buf *b = mf_buf_new(NULL);
	mf_error err;
	size_t n, i;
	char *in = argc == 2 ? read_file(argv[1], &n) : NULL;
	int rc = in != NULL && b != NULL ? mf_msg_parse(in, n, &o, &m, &err)
					  : MF_E_INVAL;

	if (rc != MF_OK)
		fprintf(stderr, "usage: mbox-index FILE (%s at byte %zu)\n",
			mf_strerror(rc), rc == MF_E_INVAL ? 0 : err.offset);
	for (i = 0; i < mf_msg_count(m); i++) {
		const mf_part *msg = mf_msg_at(m, i), *p = NULL;
		mf_date d;
		char date[32] = "-";

		if (mf_part_date(msg, &d) == MF_OK)
			(void)mf_date_format(date, sizeof(date), &d, MF_DATE_ISO,
					     NULL);
		mf_buf_clear(b);
		if (mf_part_from(msg, b) != MF_OK ||
		    mf_buf_append(b, "\t", 1) != MF_OK ||
		    mf_part_hdr_decode(msg, MF_LIT("Subject"), &safe, b) < 0)
			rc = MF_E_NOMEM;
		printf("%s\t%s", date, mf_buf_data(b));
		while ((p = mf_part_next(msg, p)) != NULL)
			if (mf_part_is_attachment(p, MF_ATTACH_JMAP) == 1)
				printf("\t" MF_STR_FMT,
				       MF_STR_ARG(mf_part_filename(p)));
		printf("\n");
	}
	mf_msg_free(m);
	mf_buf_free(b);
	free(in);
	return rc == MF_OK ? 0 : 1;
}
