/* SPDX-License-Identifier: MIT */
/*
 * gmime_build_bench.c - make bench, when pkg-config finds gmime-3.0: the
 * work of bench_build.c done with GMime 3 in the same run, for
 * comparison: a message with a 1 MiB and one with a 20 MiB attachment
 * (base64) built and written to memory with CRLF line ends (MB/s of
 * output), and 10,000 small text messages with a non-ASCII subject and
 * two addresses (messages/s). As in bench_build.c, the attachment's bytes
 * are the caller's (not copied), the output stream is reused, and each
 * figure is the best of at least 3 runs.
 */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct job {
	GByteArray *data; /* the attachment, borrowed by each message */
	GMimeStream *out;
	GMimeFormatOptions *fo;
	size_t count;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
best(void (*fn)(struct job *), struct job *j, double min_sec)
{
	double b = 1e30, start = now();
	int runs = 0;

	while (runs < 3 || now() - start < min_sec) {
		double t0 = now(), t;

		fn(j);
		t = now() - t0;
		if (t < b)
			b = t;
		runs++;
	}
	return b;
}

static void
one(struct job *j, const char *subject)
{
	static const char text[] = "Hello,\n\nthe figures are attached.\n";
	GMimeMessage *m = g_mime_message_new(TRUE);
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	GDateTime *now_t = g_date_time_new_now_local();
	char *id = g_mime_utils_generate_message_id("example.org");
	GByteArray *arr;

	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, "Zoë Müller",
				   "zoe@example.org");
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, "Bob",
				   "bob@example.net");
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL,
				   "carol@example.com");
	g_mime_message_set_subject(m, subject, "utf-8");
	g_mime_message_set_date(m, now_t);
	g_mime_message_set_message_id(m, id);
	g_mime_text_part_set_text(tp, text);
	g_mime_part_set_content_encoding(
	    GMIME_PART(tp),
	    g_mime_part_get_best_content_encoding(
		GMIME_PART(tp), GMIME_ENCODING_CONSTRAINT_7BIT));
	if (j->data != NULL) {
		GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");
		GMimePart *att =
		    g_mime_part_new_with_type("application", "octet-stream");
		GMimeStream *ms = g_mime_stream_mem_new();
		GMimeDataWrapper *w;

		g_mime_stream_mem_set_byte_array(GMIME_STREAM_MEM(ms),
						 j->data);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(ms), FALSE);
		w = g_mime_data_wrapper_new_with_stream(
		    ms, GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content(att, w);
		g_mime_object_set_disposition(GMIME_OBJECT(att), "attachment");
		g_mime_part_set_filename(att, "data.bin");
		g_mime_part_set_content_encoding(att,
						 GMIME_CONTENT_ENCODING_BASE64);
		g_mime_multipart_add(mp, GMIME_OBJECT(tp));
		g_mime_multipart_add(mp, GMIME_OBJECT(att));
		g_mime_message_set_mime_part(m, GMIME_OBJECT(mp));
		g_object_unref(w);
		g_object_unref(ms);
		g_object_unref(att);
		g_object_unref(mp);
	} else {
		g_mime_message_set_mime_part(m, GMIME_OBJECT(tp));
	}
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(j->out));
	g_byte_array_set_size(arr, 0);
	g_mime_stream_reset(j->out);
	g_mime_object_write_to_stream(GMIME_OBJECT(m), j->fo, j->out);
	g_object_unref(tp);
	g_object_unref(m);
	g_free(id);
	g_date_time_unref(now_t);
}

static void
run_attach(struct job *j)
{
	one(j, "Zahlen für März");
}

static void
run_small(struct job *j)
{
	size_t i;

	for (i = 0; i < j->count; i++)
		one(j, "Grüße aus Zürich — Übersicht");
}

int
main(void)
{
	static const size_t mib[] = {1, 20};
	struct job j;
	size_t i, k, len;
	double t;

	g_mime_init();
	memset(&j, 0, sizeof(j));
	j.out = g_mime_stream_mem_new();
	j.fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(j.fo,
						 GMIME_NEWLINE_FORMAT_DOS);
	for (i = 0; i < sizeof(mib) / sizeof(mib[0]); i++) {
		uint64_t x = 8 + i;
		char name[64];

		j.data = g_byte_array_sized_new((guint)(mib[i] << 20));
		g_byte_array_set_size(j.data, (guint)(mib[i] << 20));
		for (k = 0; k < j.data->len; k++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			j.data->data[k] = (guint8)(x >> 56);
		}
		t = best(run_attach, &j, 1.0);
		len = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(j.out))
			  ->len;
		snprintf(name, sizeof(name), "GMime 3: %zu MiB attachment",
			 mib[i]);
		printf("%-40s %9.1f MB/s  (%zu bytes)\n", name,
		       (double)len / t / 1e6, len);
		fflush(stdout);
		g_byte_array_unref(j.data);
		j.data = NULL;
	}
	j.count = 10000;
	t = best(run_small, &j, 1.0);
	printf("%-40s %12.0f msg/s\n", "GMime 3: 10000 small messages",
	       (double)j.count / t);
	g_mime_format_options_free(j.fo);
	g_object_unref(j.out);
	g_mime_shutdown();
	return 0;
}
