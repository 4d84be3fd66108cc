/* SPDX-License-Identifier: MIT */
/*
 * gmime_build_read.c - interop reader for build_interop.py: parses FILE
 * with GMime 3 and prints, tab-separated, one line each:
 *   S <subject>                      decoded
 *   A <field> <address> <name>       From, To, Cc mailboxes (group
 *                                    members flattened), names decoded
 *   P <type> <disposition> <filename> <size> <sha256>
 *                                    every leaf: its transfer-decoded
 *                                    content; "-" for no disposition or
 *                                    file name
 * Built only when pkg-config finds gmime-3.0 (make interop).
 */
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>

static void
put_addrs(const char *field, InternetAddressList *l)
{
	int i, n = l != NULL ? internet_address_list_length(l) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);
		const char *name = internet_address_get_name(a);

		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			put_addrs(field, internet_address_group_get_members(
					     INTERNET_ADDRESS_GROUP(a)));
			continue;
		}
		printf("A\t%s\t%s\t%s\n", field,
		       internet_address_mailbox_get_addr(
			   INTERNET_ADDRESS_MAILBOX(a)),
		       name != NULL ? name : "");
	}
}

static void
walk(GMimeObject *o)
{
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int i, n = g_mime_multipart_get_count(mp);

		for (i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(mp, i));
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));

		if (m != NULL && g_mime_message_get_mime_part(m) != NULL)
			walk(g_mime_message_get_mime_part(m));
	} else if (GMIME_IS_PART(o)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
		GMimeStream *mem = g_mime_stream_mem_new();
		GMimeContentType *ct = g_mime_object_get_content_type(o);
		const char *disp = g_mime_object_get_disposition(o);
		const char *name = g_mime_part_get_filename(GMIME_PART(o));
		char *type = g_mime_content_type_get_mime_type(ct);
		char *low = g_ascii_strdown(type, -1);
		GByteArray *b;
		gchar *sum;

		if (w != NULL)
			g_mime_data_wrapper_write_to_stream(w, mem);
		b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, b->data,
						  b->len);
		printf("P\t%s\t%s\t%s\t%u\t%s\n", low,
		       disp != NULL ? disp : "-", name != NULL ? name : "-",
		       b->len, sum);
		g_free(sum);
		g_free(type);
		g_free(low);
		g_object_unref(mem);
	}
}

int
main(int argc, char **argv)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m;
	const char *subj;

	if (argc != 2) {
		fprintf(stderr, "usage: gmime_build_read FILE\n");
		return 2;
	}
	g_mime_init();
	s = g_mime_stream_fs_open(argv[1], 0, 0, NULL);
	if (s == NULL) {
		fprintf(stderr, "gmime_build_read: cannot open %s\n", argv[1]);
		return 1;
	}
	p = g_mime_parser_new_with_stream(s);
	m = g_mime_parser_construct_message(p, NULL);
	if (m == NULL) {
		fprintf(stderr, "gmime_build_read: no message in %s\n",
			argv[1]);
		return 1;
	}
	subj = g_mime_message_get_subject(m);
	printf("S\t%s\n", subj != NULL ? subj : "");
	put_addrs("from", g_mime_message_get_from(m));
	put_addrs("to", g_mime_message_get_to(m));
	put_addrs("cc", g_mime_message_get_cc(m));
	if (g_mime_message_get_mime_part(m) != NULL)
		walk(g_mime_message_get_mime_part(m));
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	g_mime_shutdown();
	return 0;
}
