/* SPDX-License-Identifier: MIT */
/*
 * gmime_dump.c - interop reference: parses FILE with GMime 3 (a real
 * third-party MIME parser) and prints its structure, one line per entity in
 * depth-first order, for mime_interop.py to compare with `mailfmt tree`:
 *   M <type>                  a multipart
 *   R <type>                  a message/rfc822 part (its message follows)
 *   L <type> <size> <crc32>   a leaf: its transfer-decoded content
 * and "S <subject>" for the decoded Subject of the top-level message.
 * With --addr or --date it reads one field value per line from stdin and
 * prints GMime's reading: the mailboxes ("address<TAB>name" lines, then a
 * line of one RS byte), or the date as YYYY-MM-DDTHH:MM:SS+HH:MM or "invalid".
 * Built only when pkg-config finds gmime-3.0 (make interop).
 */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return c ^ 0xFFFFFFFFu;
}

static void
put_type(const char *tag, GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	char *t = g_mime_content_type_get_mime_type(ct);
	char *q;

	for (q = t; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	printf("%s %s", tag, t);
	g_free(t);
}

static void
walk(GMimeObject *o)
{
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int i, n = g_mime_multipart_get_count(mp);

		put_type("M", o);
		printf("\n");
		for (i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(mp, i));
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));

		put_type("R", o);
		printf("\n");
		if (m != NULL && g_mime_message_get_mime_part(m) != NULL)
			walk(g_mime_message_get_mime_part(m));
	} else if (GMIME_IS_PART(o)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
		GMimeStream *mem = g_mime_stream_mem_new();
		GByteArray *b;

		if (w != NULL)
			g_mime_data_wrapper_write_to_stream(w, mem);
		b = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		put_type("L", o);
		printf(" %u %08x\n", b->len, crc32_of(b->data, b->len));
		g_object_unref(mem);
	} else {
		put_type("L", o);
		printf(" 0 00000000\n");
	}
}

/* Address list values, one per stdin line: "address<TAB>name" per mailbox
 * (group members flattened), then a line of one RS (0x1E) byte. */
static void
walk_addrs(InternetAddressList *l)
{
	int i, n = l != NULL ? internet_address_list_length(l) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);
		const char *name = internet_address_get_name(a);

		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			walk_addrs(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(a)));
			continue;
		}
		printf("%s\t%s\n",
		       internet_address_mailbox_get_addr(
			   INTERNET_ADDRESS_MAILBOX(a)),
		       name != NULL ? name : "");
	}
}

static int
lines(int addr)
{
	char line[65536];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (addr) {
			InternetAddressList *l =
			    internet_address_list_parse(NULL, line);

			walk_addrs(l);
			printf("\036\n"); /* a record separator line */
			if (l != NULL)
				g_object_unref(l);
		} else {
			GDateTime *t = g_mime_utils_header_decode_date(line);

			if (t == NULL) {
				printf("invalid\n");
			} else {
				gchar *s = g_date_time_format(
				    t, "%Y-%m-%dT%H:%M:%S%:z");

				printf("%s\n", s);
				g_free(s);
				g_date_time_unref(t);
			}
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m;
	const char *subj;

	if (argc != 2) {
		fprintf(stderr, "usage: gmime_dump FILE | --addr | --date\n");
		return 2;
	}
	g_mime_init();
	if (strcmp(argv[1], "--addr") == 0 || strcmp(argv[1], "--date") == 0)
		return lines(argv[1][2] == 'a');
	s = g_mime_stream_fs_open(argv[1], 0, 0, NULL);
	if (s == NULL) {
		fprintf(stderr, "gmime_dump: cannot open %s\n", argv[1]);
		return 1;
	}
	p = g_mime_parser_new_with_stream(s);
	m = g_mime_parser_construct_message(p, NULL);
	if (m == NULL) {
		fprintf(stderr, "gmime_dump: no message in %s\n", argv[1]);
		return 1;
	}
	subj = g_mime_message_get_subject(m);
	if (subj != NULL)
		printf("S %s\n", subj);
	if (g_mime_message_get_mime_part(m) != NULL)
		walk(g_mime_message_get_mime_part(m));
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	g_mime_shutdown();
	return 0;
}
