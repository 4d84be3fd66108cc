/* SPDX-License-Identifier: MIT */
/*
 * stream-parts < MESSAGE - reads a message of any size from standard
 * input in 64 KiB chunks through the push parser (memory stays bounded)
 * and prints a line per part: its depth, media type, and for the leaves
 * the size of their decoded content and, for attachments, the file name.
 */
#include <stdio.h>

#include <mailfmt.h>

static int
on_event(void *ctx, const mf_event *ev)
{
	unsigned long long *size = ctx;
	int leaf = mf_part_kind(ev->part) == MF_PART_LEAF;

	if (ev->type == MF_EV_BODY)
		*size += ev->data.len;
	/* A multipart when its header ends, a leaf when its body ends. */
	if ((ev->type == MF_EV_HEADERS_END && !leaf) ||
	    (ev->type == MF_EV_PART_END && leaf)) {
		printf("%*s" MF_STR_FMT "/" MF_STR_FMT, (int)(2 * ev->depth),
		       "", MF_STR_ARG(mf_part_type(ev->part)),
		       MF_STR_ARG(mf_part_subtype(ev->part)));
		if (leaf)
			printf(" %llu bytes", *size);
		if (mf_part_is_attachment(ev->part, MF_ATTACH_JMAP) == 1)
			printf(" attachment \"" MF_STR_FMT "\"",
			       MF_STR_ARG(mf_part_filename(ev->part)));
		printf("\n");
	}
	if (ev->type == MF_EV_HEADERS_END)
		*size = 0;
	return 0;
}

int
main(void)
{
	static char buf[65536];
	mf_opts o = {.flags = MF_DECODE}; /* BODY events carry decoded bytes */
	unsigned long long size = 0;
	mf_parser *ps = mf_parser_new(&o, on_event, &size);
	mf_error err = {MF_E_NOMEM, 0, "out of memory"};
	size_t n = sizeof(buf);
	int rc = ps != NULL ? MF_OK : MF_E_NOMEM;

	while (rc == MF_OK && n == sizeof(buf)) {
		n = fread(buf, 1, sizeof(buf), stdin);
		rc = mf_parser_feed(ps, buf, n);
	}
	if (rc == MF_OK && ferror(stdin))
		err.reason = "read error";
	else if (rc == MF_OK)
		rc = mf_parser_finish(ps);
	if (rc != MF_OK && ps != NULL)
		(void)mf_parser_error(ps, &err);
	if (rc != MF_OK || ferror(stdin))
		fprintf(stderr, "stream-parts: %s at byte %zu\n", err.reason,
		        err.offset);
	mf_parser_free(ps);
	return rc != MF_OK || ferror(stdin);
}
