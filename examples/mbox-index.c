/* SPDX-License-Identifier: MIT */
/*
 * mbox-index FILE - one line per message of an mbox: date, sender,
 * subject and the names of the attachments, separated by tabs.
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

/* Prints the line of one message; b is scratch space. */
static int
index_message(const mf_part *msg, mf_buf *b)
{
	mf_opts safe = {.flags = MF_SAFE_TEXT};
	mf_str date = mf_part_header_value(msg, MF_LIT("Date"));
	mf_str from = mf_part_header_value(msg, MF_LIT("From"));
	mf_str subject = mf_part_header_value(msg, MF_LIT("Subject"));
	const mf_part *p = NULL;
	mf_addrs *l = NULL;
	char iso[32] = "-";
	mf_date d;
	int rc = MF_OK;

	mf_buf_clear(b);
	if (mf_date_parse(date.ptr, date.len, NULL, &d, NULL, NULL) == MF_OK)
		rc = mf_date_format(iso, sizeof(iso), &d, MF_DATE_ISO, NULL);
	if (rc == MF_OK)
		rc = mf_addrs_parse(from.ptr, from.len, NULL, &l, NULL);
	if (rc == MF_OK && mf_addrs_first_mailbox(l) != NULL)
		rc = mf_addr_spec_format(b, mf_addrs_first_mailbox(l));
	mf_addrs_free(l);
	if (rc == MF_OK)
		rc = mf_buf_append(b, "\t", 1);
	if (rc == MF_OK)
		rc = mf_hdr_decode(b, subject.ptr, subject.len, &safe, NULL,
		                   NULL);
	if (rc != MF_OK)
		return rc;
	printf("%s\t%s", iso, mf_buf_data(b));
	while ((p = mf_part_next(msg, p)) != NULL)
		if (mf_part_is_attachment(p, MF_ATTACH_JMAP) == 1)
			printf("\t" MF_STR_FMT,
			       MF_STR_ARG(mf_part_filename(p)));
	printf("\n");
	return MF_OK;
}

int
main(int argc, char **argv)
{
	mf_opts mbox = {.flags = MF_MBOX};
	mf_msg *m = NULL;
	mf_buf *b = mf_buf_new(NULL);
	size_t n, i;
	char *in = argc == 2 ? read_file(argv[1], &n) : NULL;
	int rc = in == NULL ? MF_E_INVAL : b == NULL ? MF_E_NOMEM : MF_OK;

	if (rc == MF_OK)
		rc = mf_msg_parse(in, n, &mbox, &m, NULL);
	for (i = 0; rc == MF_OK && i < mf_msg_count(m); i++)
		rc = index_message(mf_msg_at(m, i), b);
	if (rc != MF_OK)
		fprintf(stderr, "mbox-index: %s\n",
		        in == NULL ? "usage: mbox-index READABLE-FILE"
		                   : mf_strerror(rc));
	mf_msg_free(m);
	mf_buf_free(b);
	free(in);
	return rc == MF_OK ? 0 : 1;
}
