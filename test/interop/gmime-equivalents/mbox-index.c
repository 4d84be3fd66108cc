/* SPDX-License-Identifier: MIT */
/*
 * mbox-index FILE with GMime 3 - the equivalent of examples/mbox-index.c,
 * written as briefly as GMime allows, for comparing line counts (make
 * interop builds and runs it on the same sample).
 */
#include <fcntl.h>
#include <stdio.h>

#include <gmime/gmime.h>

/* Prints the file name of each attachment. */
static void
attachment(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	(void)parent;
	(void)data;
	if (GMIME_IS_PART(part) && g_mime_part_is_attachment(GMIME_PART(part)))
		printf("\t%s", g_mime_part_get_filename(GMIME_PART(part)));
}

int
main(int argc, char **argv)
{
	GMimeStream *stream;
	GMimeParser *parser;

	if (argc != 2) {
		fprintf(stderr, "usage: mbox-index FILE\n");
		return 2;
	}
	g_mime_init();
	stream = g_mime_stream_fs_open(argv[1], O_RDONLY, 0, NULL);
	if (stream == NULL) {
		perror(argv[1]);
		return 1;
	}
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MBOX);
	while (!g_mime_parser_eos(parser)) {
		GMimeMessage *msg =
		    g_mime_parser_construct_message(parser, NULL);
		InternetAddressList *from;
		GDateTime *date;
		gchar *iso = NULL;

		if (msg == NULL)
			break;
		date = g_mime_message_get_date(msg);
		if (date != NULL)
			iso = g_date_time_format(date, "%FT%T%:z");
		from = g_mime_message_get_from(msg);
		printf("%s\t", iso != NULL ? iso : "-");
		if (internet_address_list_length(from) > 0 &&
		    INTERNET_ADDRESS_IS_MAILBOX(
		        internet_address_list_get_address(from, 0)))
			printf("%s", internet_address_mailbox_get_addr(
			                 INTERNET_ADDRESS_MAILBOX(
			                     internet_address_list_get_address(
			                         from, 0))));
		printf("\t%s", g_mime_message_get_subject(msg) != NULL
		                   ? g_mime_message_get_subject(msg)
		                   : "");
		g_mime_message_foreach(msg, attachment, NULL);
		printf("\n");
		g_free(iso);
		g_object_unref(msg);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_shutdown();
	return 0;
}
