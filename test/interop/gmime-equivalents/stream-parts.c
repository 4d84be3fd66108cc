/* SPDX-License-Identifier: MIT */
/*
 * stream-parts < MESSAGE with GMime 3 - the equivalent of
 * examples/stream-parts.c: a line per part with its depth, media type,
 * decoded size and attachment name. GMime has no push parser: the message
 * is parsed from a stream into a tree first (standard input cannot be
 * seeked, so the parser keeps the content in memory), then walked.
 */
#include <stdio.h>

#include <gmime/gmime.h>

static void
walk(GMimeObject *obj, int depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	int i;

	printf("%*s%s/%s", 2 * depth, "",
	       g_mime_content_type_get_media_type(ct),
	       g_mime_content_type_get_media_subtype(ct));
	if (GMIME_IS_PART(obj)) {
		GMimeStream *null = g_mime_stream_null_new();

		g_mime_data_wrapper_write_to_stream(
		    g_mime_part_get_content(GMIME_PART(obj)), null);
		printf(" %lld bytes", (long long)g_mime_stream_length(null));
		g_object_unref(null);
	}
	if ((GMIME_IS_PART(obj) &&
	     g_mime_part_is_attachment(GMIME_PART(obj))) ||
	    GMIME_IS_MESSAGE_PART(obj))
		printf(" attachment \"%s\"",
		       GMIME_IS_PART(obj) &&
		               g_mime_part_get_filename(GMIME_PART(obj))
		           ? g_mime_part_get_filename(GMIME_PART(obj))
		           : "");
	printf("\n");
	if (GMIME_IS_MULTIPART(obj))
		for (i = 0;
		     i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
			walk(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
			     depth + 1);
	if (GMIME_IS_MESSAGE_PART(obj))
		walk(g_mime_message_get_mime_part(
		         g_mime_message_part_get_message(
		             GMIME_MESSAGE_PART(obj))),
		     depth + 1);
}

int
main(void)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;

	g_mime_init();
	stream = g_mime_stream_file_new(stdin);
	g_mime_stream_file_set_owner(GMIME_STREAM_FILE(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		fprintf(stderr, "stream-parts: not a message\n");
		return 1;
	}
	walk(g_mime_message_get_mime_part(msg), 0);
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_shutdown();
	return 0;
}
