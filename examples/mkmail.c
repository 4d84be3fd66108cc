/* SPDX-License-Identifier: MIT */
/*
 * mkmail [IMAGE PDF] - writes a message to stdout: an HTML body showing
 * IMAGE inline (by its Content-ID), the same text as plain text, and PDF
 * attached (by default the bundled examples/data/logo.png and
 * report.pdf). The builder makes the MIME structure (multipart/mixed >
 * multipart/related > multipart/alternative), the transfer encodings, the
 * encoded words and the RFC 2231 file name; send the output with
 * smtp-send, or see it with `mailfmt tree`.
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

int
main(int argc, char **argv)
{
	static const char text[] = "Hi Bob,\n\nthe figures for March are "
				   "attached.\n\nZoë\n";
	static const char html[] = "<p>Hi Bob,</p><p>the figures for March "
				   "are attached.</p><img src=\"cid:logo@ex"
				   "ample.org\"><p>Zoë</p>\n";
	size_t ni = 0, np = 0;
	char *img = read_file(argc == 3 ? argv[1] : "examples/data/logo.png",
			      &ni);
	char *pdf = read_file(argc == 3 ? argv[2] : "examples/data/report.pdf",
			      &np);
	mf_msg *m = mf_msg_new(NULL);
	mf_buf *out = mf_buf_new(NULL);
	mf_error err = {MF_E_NOMEM, 0, "out of memory"};
	int rc = img && pdf ? MF_OK : MF_E_INVAL;

	if (rc == MF_OK && (m == NULL || out == NULL))
		rc = MF_E_NOMEM;
	if (rc == MF_OK)
		rc = mf_msg_set(m, "From", "Zoë Müller <zoe@example.org>", &err);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "To", "Bob <bob@example.net>", &err);
	if (rc == MF_OK)
		rc = mf_msg_set(m, "Subject", "Zahlen für März", &err);
	if (rc == MF_OK)
		rc = mf_msg_set_text(m, text, sizeof(text) - 1, 0);
	if (rc == MF_OK)
		rc = mf_msg_set_html(m, html, sizeof(html) - 1, 0);
	/* MF_BORROW: the bytes are ours and outlive m, so are not copied. */
	if (rc == MF_OK)
		rc = mf_msg_add_inline(m, "logo.png", NULL, img, ni,
				       "logo@example.org", MF_BORROW, NULL);
	if (rc == MF_OK)
		rc = mf_msg_attach(m, "Bericht März.pdf", NULL, pdf, np,
				   MF_BORROW, NULL);
	if (rc == MF_OK)
		rc = mf_msg_write(m, 0, out);
	if (rc == MF_OK)
		fwrite(mf_buf_data(out), 1, mf_buf_len(out), stdout);
	else if (img == NULL || pdf == NULL)
		fprintf(stderr, "usage: mkmail [IMAGE PDF]: readable files\n");
	else
		fprintf(stderr, "mkmail: %s\n",
			rc == err.code ? err.reason : mf_strerror(rc));
	mf_msg_free(m);
	mf_buf_free(out);
	free(img);
	free(pdf);
	return rc == MF_OK ? 0 : 1;
}
