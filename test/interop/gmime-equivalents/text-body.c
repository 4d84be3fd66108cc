/* SPDX-License-Identifier: MIT */
/*
 * text-body FILE with GMime 3 - the equivalent of examples/text-body.c:
 * the text/plain body (the HTML one where there is none) and a line per
 * inline image. GMime has no body-selection rules, so the walk picks the
 * first text/plain part outside attachments, else the first text/html.
 */
#include <fcntl.h>
#include <stdio.h>

#include <gmime/gmime.h>

struct pick {
	GMimeTextPart *plain, *html;
};

static void
pick(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct pick *p = data;

	(void)parent;
	if (!GMIME_IS_TEXT_PART(part) ||
	    g_mime_part_is_attachment(GMIME_PART(part)))
		return;
	if (p->plain == NULL &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(part),
	                                "text", "plain"))
		p->plain = GMIME_TEXT_PART(part);
	if (p->html == NULL &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(part),
	                                "text", "html"))
		p->html = GMIME_TEXT_PART(part);
}

static void
images(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	GMimeContentType *ct = g_mime_object_get_content_type(part);

	(void)parent;
	(void)data;
	if (GMIME_IS_PART(part) &&
	    !g_mime_part_is_attachment(GMIME_PART(part)) &&
	    g_mime_content_type_is_type(ct, "image", "*"))
		printf("[%s/%s %s]\n", g_mime_content_type_get_media_type(ct),
		       g_mime_content_type_get_media_subtype(ct),
		       g_mime_part_get_filename(GMIME_PART(part)));
}

int
main(int argc, char **argv)
{
	struct pick p = {NULL, NULL};
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	char *text;

	if (argc != 2) {
		fprintf(stderr, "usage: text-body FILE\n");
		return 2;
	}
	g_mime_init();
	stream = g_mime_stream_fs_open(argv[1], O_RDONLY, 0, NULL);
	if (stream == NULL) {
		perror(argv[1]);
		return 1;
	}
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		fprintf(stderr, "text-body: not a message\n");
		return 1;
	}
	g_mime_message_foreach(msg, pick, &p);
	if (p.plain != NULL || p.html != NULL) {
		text = g_mime_text_part_get_text(p.plain != NULL ? p.plain
		                                                 : p.html);
		fputs(text, stdout);
		g_free(text);
	}
	g_mime_message_foreach(msg, images, NULL);
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_shutdown();
	return 0;
}
