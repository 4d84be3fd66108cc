/* SPDX-License-Identifier: MIT */
/*
 * bench_codec.c - base64 and quoted-printable throughput (make bench).
 *
 * Data: with CORPUS=DIR, DIR/codec/rand64.bin and rand64.b64 (64 MiB of
 * random bytes and their MIME base64: 76-character lines, LF) and
 * text64.txt and text64.qp (64 MiB of mostly-text UTF-8 and its
 * quoted-printable), made by gen_corpus.py; without it, the same kinds of
 * data made here. Every figure is MB/s of the call's input, next to
 * memcpy of 64 MiB measured in the same run. Base64 is measured on each
 * code path (the best SIMD one and the portable scalar one); the outputs
 * are verified against the corpus files before timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "b64.h"
#include "qp.h"

struct job {
	int path;
	const char *in;
	size_t n;
	char *out;
	size_t cap, len;
	unsigned flags;
	int rc;
};

static void
run_b64_enc(void *arg)
{
	struct job *j = arg;

	j->rc = mf__b64_encode_path(j->path, j->out, j->cap, j->in, j->n,
				    MF_B64_LINE, j->flags, &j->len);
	bench_sink(j->out, j->len);
}

static void
run_b64_dec(void *arg)
{
	struct job *j = arg;

	j->rc = mf__b64_decode_path(j->path, j->out, j->cap, j->in, j->n,
				    j->flags, &j->len, NULL, NULL);
	bench_sink(j->out, j->len);
}

static void
run_qp_enc(void *arg)
{
	struct job *j = arg;

	j->rc = mf__qp_encode_path(j->path, j->out, j->cap, j->in, j->n,
				   j->flags, &j->len);
	bench_sink(j->out, j->len);
}

static void
run_qp_dec(void *arg)
{
	struct job *j = arg;

	j->rc = mf__qp_decode_path(j->path, j->out, j->cap, j->in, j->n,
				   j->flags, &j->len, NULL, NULL);
	bench_sink(j->out, j->len);
}

/*
 * Mostly-text UTF-8 like the corpus: lines of words under 80 characters,
 * some accented words, blank lines; deterministic.
 */
static void
make_text(char *p, size_t n)
{
	static const char *const words[] = {
		"the",	   "build",	"release", "customer", "agenda",
		"deploy",  "review",	"year",	   "through",  "draft",
		"invoice", "s\xc3\xa9", "D\xc5\x99", "r\xc3\xa9sum\xc3\xa9",
		"\xc5\x81\xc3\xb3" "d\xc5\xba", "sm\xc3\xb6rg\xc3\xa5sbord",
		"what",	   "never",	"over",	   "might"};
	uint64_t x = 5322;
	size_t i = 0, col = 0;

	while (i < n) {
		const char *w;
		size_t len;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (col > 40 + x % 30) {
			p[i++] = '\n';
			col = 0;
			if (x % 11 == 0 && i < n)
				p[i++] = '\n';
			continue;
		}
		w = words[(x >> 8) % 20];
		/* Accented words (indices 11-15) 1 time in 4, like the corpus. */
		if ((x >> 8) % 20 >= 11 && (x >> 8) % 20 <= 15 && (x >> 20) % 4)
			w = words[(x >> 24) % 11];
		len = strlen(w);
		if (col > 0 && i < n) {
			p[i++] = ' ';
			col++;
		}
		if (len > n - i)
			len = n - i;
		memcpy(p + i, w, len);
		i += len;
		col += len;
	}
	if (n > 0)
		p[n - 1] = '\n';
}

static char *
load(const char *dir, const char *name, size_t *n)
{
	char path[4096];
	char *p;

	snprintf(path, sizeof(path), "%s/codec/%s", dir, name);
	p = bench_read(path, n);
	if (p == NULL)
		fprintf(stderr, "bench: cannot read %s\n", path);
	return p;
}

static int
verify(const char *what, const char *got, size_t gn, const char *want,
       size_t wn)
{
	if (gn == wn && memcmp(got, want, wn) == 0)
		return 1;
	printf("VERIFY FAILED: %s (%zu bytes, want %zu)\n", what, gn, wn);
	return 0;
}

void
bench_codec(const bench_ctx *b)
{
	static const char *const pname[] = {"scalar", "ssse3", "avx2"};
	size_t rn = 0, bn = 0, tn = 0, qn = 0, cap;
	char *raw, *b64, *txt, *qp, *out;
	struct job j;
	double sec, min = b->quick ? 0.3 : 1.0;
	int best = mf__best_path(), ok = 1, p;
	int paths[2];

	if (b->corpus != NULL) {
		raw = load(b->corpus, "rand64.bin", &rn);
		b64 = load(b->corpus, "rand64.b64", &bn);
		txt = load(b->corpus, "text64.txt", &tn);
		qp = load(b->corpus, "text64.qp", &qn);
		if (!raw || !b64 || !txt || !qp) {
			free(raw);
			free(b64);
			free(txt);
			free(qp);
			return;
		}
	} else {
		rn = tn = (size_t)64 << 20;
		raw = malloc(rn);
		txt = malloc(tn);
		bn = mf_b64_encoded_len(rn, MF_B64_LINE, MF_LF);
		b64 = malloc(bn);
		qn = mf_qp_encoded_len(tn, MF_LF);
		qp = malloc(qn);
		if (!raw || !txt || !b64 || !qp)
			return;
		bench_fill(raw, rn, 64);
		make_text(txt, tn);
		if (mf_b64_encode(b64, bn, raw, rn, MF_B64_LINE, MF_LF,
				  &bn) < 0 ||
		    mf_qp_encode(qp, qn, txt, tn, MF_LF, &qn) < 0)
			return;
	}
	cap = mf_qp_encoded_len(tn > rn ? tn : rn, 0);
	if (cap < mf_b64_encoded_len(rn, MF_B64_LINE, 0))
		cap = mf_b64_encoded_len(rn, MF_B64_LINE, 0);
	out = malloc(cap);
	if (out == NULL)
		return;
	memset(out, 0, cap);
	printf("codecs: base64 %zu -> %zu bytes, QP %zu -> %zu bytes; "
	       "MB/s of input\n",
	       rn, bn, tn, qn);

	/* Verify every path's output first. */
	memset(&j, 0, sizeof(j));
	j.out = out;
	j.cap = cap;
	for (p = MF__PATH_SCALAR; p <= MF__PATH_AVX2; p++) {
		char what[64];

		if (!mf__path_ok(p))
			continue;
		j.path = p;
		j.in = raw;
		j.n = rn;
		j.flags = MF_LF;
		run_b64_enc(&j);
		snprintf(what, sizeof(what), "b64 encode %s", pname[p]);
		if (b->corpus != NULL)
			ok &= verify(what, out, j.len, b64, bn);
		j.in = b64;
		j.n = bn;
		j.flags = MF_STRICT;
		run_b64_dec(&j);
		snprintf(what, sizeof(what), "b64 decode %s", pname[p]);
		ok &= j.rc == MF_OK && verify(what, out, j.len, raw, rn);
		j.in = qp;
		j.n = qn;
		j.flags = MF_STRICT;
		run_qp_dec(&j);
		snprintf(what, sizeof(what), "qp decode %s", pname[p]);
		ok &= j.rc == MF_OK && verify(what, out, j.len, txt, tn);
		j.in = txt;
		j.n = tn;
		j.flags = MF_LF;
		run_qp_enc(&j);
		{
			/* Line breaks may differ from the file's: decode back. */
			size_t dl = 0;
			char *back = malloc(j.len + 1);
			if (back == NULL ||
			    mf_qp_decode(back, j.len + 1, out, j.len,
					 MF_STRICT, &dl, NULL, NULL) < 0)
				dl = 0;
			snprintf(what, sizeof(what), "qp encode %s", pname[p]);
			ok &= verify(what, back, dl, txt, tn);
			free(back);
		}
	}
	printf("codec outputs verified: %s (base64 both ways against %s, "
	       "QP decode exact, QP encode by decoding back)\n",
	       ok ? "yes" : "NO",
	       b->corpus ? "the corpus files" : "the input");

	/* Base64 then QP, each on the best path then the scalar one. */
	{
		const struct {
			void (*fn)(void *);
			const char *name;
			const char *in;
			size_t n;
		} runs[4] = {
		    {run_b64_enc, "b64 encode 76/CRLF", raw, rn},
		    {run_b64_dec, "b64 decode", b64, bn},
		    {run_qp_enc, "qp encode text/CRLF", txt, tn},
		    {run_qp_dec, "qp decode", qp, qn},
		};
		int c, r;

		paths[0] = best;
		paths[1] = MF__PATH_SCALAR;
		for (c = 0; c < 4; c += 2) {
			for (p = 0; p < (best == MF__PATH_SCALAR ? 1 : 2);
			     p++) {
				for (r = c; r < c + 2; r++) {
					char name[64];

					j.path = paths[p];
					j.in = runs[r].in;
					j.n = runs[r].n;
					j.flags = 0;
					sec = bench_best(runs[r].fn, &j, min);
					snprintf(name, sizeof(name), "%s (%s)",
					         runs[r].name, pname[paths[p]]);
					bench_report(b, name, runs[r].n, sec);
				}
			}
		}
	}
	free(out);
	free(raw);
	free(b64);
	free(txt);
	free(qp);
}
