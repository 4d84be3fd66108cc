/* SPDX-License-Identifier: MIT */
/*
 * bench_content.c - content decoding of text leaves (mf_part_decode) on
 * synthetic 8 MiB bodies: base64 UTF-8 to UTF-8, quoted-printable
 * ISO-8859-1 to UTF-8 with LF line ends, and 8bit format=flowed UTF-8
 * unwrapped; MB/s of body bytes next to memcpy. Then the RFC 8621 body
 * selection of a 10,000-part message (parts/s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define TEXT_BYTES ((size_t)8 << 20)

/* Lines of words, some accented, some flowed (ending in a space). */
static char *
make_text(size_t n, size_t *len)
{
	static const char *words[] = {"the",
	                              "quarterly",
	                              "Gr\xc3\xbc\xc3\x9f"
	                              "e",
	                              "figures",
	                              "Z\xc3\xbcrich",
	                              "are",
	                              "attached",
	                              "caf\xc3\xa9",
	                              "report"};
	char *p = malloc(n + 64);
	size_t o = 0, col = 0;
	uint64_t r = 88172645463325252ull;

	if (p == NULL)
		return NULL;
	while (o < n) {
		const char *w;
		size_t k;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		w = words[r % 9];
		k = strlen(w);
		memcpy(p + o, w, k);
		o += k;
		col += k;
		if (col > 66) {
			memcpy(p + o, r & 64 ? " \r\n" : "\r\n",
			       r & 64 ? 3 : 2);
			o += r & 64 ? 3 : 2;
			col = 0;
		} else {
			p[o++] = ' ';
			col++;
		}
	}
	*len = o;
	return p;
}

struct job {
	const mf_part *p;
	unsigned flags;
	mf_buf *out;
};

static void
run_decode(void *arg)
{
	struct job *j = arg;

	mf_buf_clear(j->out);
	if (mf_part_decode(j->p, j->out, j->flags, NULL, NULL, NULL) != MF_OK)
		abort();
	bench_sink(mf_buf_data(j->out), mf_buf_len(j->out));
}

/* Times decoding of a message whose header is hdr and body body. */
static void
one(const bench_ctx *b, const char *name, const char *hdr, const char *body,
    size_t n, unsigned flags)
{
	size_t h = strlen(hdr);
	char *msg = malloc(h + n);
	mf_msg *m;
	struct job j;
	double sec;

	if (msg == NULL)
		return;
	memcpy(msg, hdr, h);
	memcpy(msg + h, body, n);
	if (mf_msg_parse(msg, h + n, NULL, &m, NULL) != MF_OK) {
		free(msg);
		return;
	}
	j.p = mf_msg_root(m);
	j.flags = flags;
	j.out = mf_buf_new(NULL);
	if (j.out != NULL) {
		sec = bench_best(run_decode, &j, b->quick ? 0.2 : 1.0);
		bench_report(b, name, n, sec);
	}
	mf_buf_free(j.out);
	mf_msg_free(m);
	free(msg);
}

struct sel {
	const mf_part *root;
	const mf_part **v;
	size_t cap;
};

static void
run_select(void *arg)
{
	struct sel *s = arg;
	size_t n;
	int w;

	for (w = MF_BODY_TEXT; w <= MF_BODY_ATTACHMENTS; w++)
		if (mf_msg_bodies(s->root, w, s->v, s->cap, &n) != MF_OK)
			abort();
	bench_sink(s->v, sizeof(*s->v));
}

void
bench_content(const bench_ctx *b)
{
	size_t n, cap, i, o = 0;
	char *text = make_text(TEXT_BYTES, &n), *enc;
	mf_buf *latin;

	if (text == NULL)
		return;
	cap = mf_b64_encoded_len(n, 76, 0);
	enc = malloc(cap > 3 * n ? cap : 3 * n);
	latin = mf_buf_new(NULL);
	if (enc != NULL && latin != NULL &&
	    mf_b64_encode(enc, cap, text, n, 76, 0, &o) == MF_OK)
		one(b, "content base64 utf-8 -> UTF-8 (8 MiB)",
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n",
		    enc, o, MF_CONTENT_TEXT);
	if (enc != NULL && latin != NULL &&
	    mf_charset_from_utf8(latin, "iso-8859-1", 10, text, n, NULL, NULL,
	                         NULL) == MF_OK &&
	    mf_qp_encode(enc, 3 * n, mf_buf_data(latin), mf_buf_len(latin), 0,
	                 &o) == MF_OK)
		one(b, "content QP latin-1 -> UTF-8, LF (8 MiB)",
		    "Content-Type: text/plain; charset=iso-8859-1\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		    enc, o, MF_LF);
	one(b, "content 8bit format=flowed unwrapped",
	    "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n",
	    text, n, MF_CONTENT_FLOWED);
	mf_buf_free(latin);
	free(enc);
	free(text);

	/* Selection: 10,000 parts in nested alternatives and mixed. */
	{
		mf_buf *m = mf_buf_new(NULL);
		mf_msg *msg = NULL;
		struct sel s;
		char line[256];
		int ok = m != NULL;

		for (i = 0; ok && i < 2500; i++) {
			snprintf(
			    line, sizeof(line),
			    "Content-Type: multipart/%s; boundary=b%zu\r\n\r\n"
			    "--b%zu\r\nContent-Type: text/plain\r\n\r\nx\r\n"
			    "--b%zu\r\nContent-Type: image/png\r\n\r\ny\r\n"
			    "--b%zu\r\n",
			    i % 2 ? "alternative" : "mixed", i, i, i, i);
			ok = mf_buf_append(m, line, strlen(line)) == MF_OK;
		}
		if (ok)
			ok =
			    mf_buf_append(m, "Content-Type: text/html\r\n\r\nz",
			                  28) == MF_OK;
		memset(&s, 0, sizeof(s));
		if (ok) {
			mf_opts opt;

			memset(&opt, 0, sizeof(opt));
			opt.limits.max_depth = 3000;
			ok = mf_msg_parse(mf_buf_data(m), mf_buf_len(m), &opt,
			                  &msg, NULL) == MF_OK;
		}
		if (ok) {
			s.root = mf_msg_root(msg);
			s.cap = 3 * mf_msg_part_count(msg);
			s.v = malloc(s.cap * sizeof(*s.v));
		}
		if (s.v != NULL) {
			double sec =
			    bench_best(run_select, &s, b->quick ? 0.2 : 1.0);

			bench_rate("content bodies (3 lists), parts",
			           3.0 * (double)mf_msg_part_count(msg), sec,
			           "parts");
		}
		free(s.v);
		mf_msg_free(msg);
		mf_buf_free(m);
	}
}
