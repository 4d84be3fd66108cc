/* SPDX-License-Identifier: MIT */
/*
 * bench_ew.c - RFC 2047 decoding throughput on realistic header values:
 * Subject and From lines made the way gen_corpus.py makes them (plain
 * subjects with Re:/Fwd: prefixes; UTF-8 B, Latin-1 Q and UTF-8 Q encoded
 * words of at most 36 or 18 bytes each, folded at 76 columns; display
 * names encoded in B or Q before an address). The header layer decodes
 * From/To/Cc/Subject of every message, so this is on its hot path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const char *const ascii_words[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as",
    "was", "with", "be", "by", "on", "not", "this", "are", "or", "at",
    "report", "budget", "meeting", "invoice", "release", "server",
    "deploy", "review", "patch", "build", "quarterly", "schedule",
    "agenda", "customer", "ticket", "update", "draft", "world", "time",
};
static const char *const latin1_words[] = {
    "caf\xc3\xa9", "na\xc3\xafve", "Gr\xc3\xbc\xc3\x9f" "e", "\xc3\xbc" "ber",
    "se\xc3\xb1or", "fa\xc3\xa7" "ade", "Z\xc3\xbcrich", "ni\xc3\xb1o",
    "d\xc3\xa9j\xc3\xa0", "cr\xc3\xa8me", "r\xc3\xa9sum\xc3\xa9",
    "Stra\xc3\x9f" "e",
};
static const char *const utf8_words[] = {
    "\xc5\x81\xc3\xb3" "d\xc5\xba", "\xe6\x9d\xb1\xe4\xba\xac",
    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
    "\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1", "\xe2\x82\xac" "100",
    "\xe2\x9c\x93", "\xf0\x9f\x98\x80", "Dvo\xc5\x99\xc3\xa1k",
};
static const char *const first[] = {
    "John", "Mary", "Alice", "Bob", "J\xc3\xbcrgen", "Jos\xc3\xa9",
    "Fran\xc3\xa7ois", "Zo\xc3\xab", "S\xc3\xb8ren", "\xc5\x81ukasz",
};
static const char *const last[] = {
    "Smith", "M\xc3\xbcller", "Garc\xc3\xad" "a", "Dupont", "Nielsen",
    "Kowalski", "Dvo\xc5\x99\xc3\xa1k", "Lef\xc3\xa8vre",
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define PICK(s, a) (a)[rnd(s) % (sizeof(a) / sizeof((a)[0]))]

struct text {
	char *p;
	size_t n, cap;
};

static void
put(struct text *t, const char *s, size_t n)
{
	if (t->n + n + 1 > t->cap) {
		t->cap = (t->n + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		if (t->p == NULL)
			exit(1);
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
}

static void
puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* UTF-8 s as Latin-1 bytes (all our Latin-1 words are in it). */
static size_t
to_latin1(const char *s, size_t n, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xC3 && i + 1 < n)
			out[o++] = (unsigned char)(0xC0 | ((unsigned char)s[++i] &
							   0x3F));
		else if (c == 0xC2 && i + 1 < n)
			out[o++] = (unsigned char)s[++i];
		else
			out[o++] = c;
	}
	return o;
}

/*
 * Encoded words for s like gen_corpus.py's ew(): chunks of whole
 * characters of at most 36 (B) or 18 (Q) bytes, separated by spaces.
 */
static void
ew(struct text *t, const char *s, const char *cs, char enc)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char hex[] = "0123456789ABCDEF";
	unsigned char bytes[512];
	size_t n, i = 0, max = enc == 'B' ? 36 : 18;

	if (strcmp(cs, "iso-8859-1") == 0)
		n = to_latin1(s, strlen(s), bytes);
	else
		n = strlen(s);
	if (strcmp(cs, "iso-8859-1") != 0)
		memcpy(bytes, s, n);
	while (i < n) {
		size_t j = i, k;

		while (j < n) {
			size_t cl = 1;
			if (strcmp(cs, "utf-8") == 0)
				while (j + cl < n && (bytes[j + cl] & 0xC0) == 0x80)
					cl++;
			if (j + cl - i > max)
				break;
			j += cl;
		}
		if (i > 0)
			puts_(t, " ");
		puts_(t, "=?");
		puts_(t, cs);
		put(t, enc == 'B' ? "?B?" : "?Q?", 3);
		if (enc == 'B') {
			for (k = i; k < j; k += 3) {
				uint32_t v = (uint32_t)bytes[k] << 16;
				char q[4];
				if (k + 1 < j)
					v |= (uint32_t)bytes[k + 1] << 8;
				if (k + 2 < j)
					v |= bytes[k + 2];
				q[0] = b64[v >> 18];
				q[1] = b64[(v >> 12) & 63];
				q[2] = k + 1 < j ? b64[(v >> 6) & 63] : '=';
				q[3] = k + 2 < j ? b64[v & 63] : '=';
				put(t, q, 4);
			}
		} else {
			for (k = i; k < j; k++) {
				unsigned char c = bytes[k];
				if (c == ' ') {
					puts_(t, "_");
				} else if ((c >= 'a' && c <= 'z') ||
					   (c >= 'A' && c <= 'Z') ||
					   (c >= '0' && c <= '9') ||
					   strchr("!*+-/", c) != NULL) {
					put(t, (const char *)&c, 1);
				} else {
					char q[3] = {'=', hex[c >> 4], hex[c & 15]};
					put(t, q, 3);
				}
			}
		}
		puts_(t, "?=");
		i = j;
	}
}

/* Appends v folded at 76 columns before spaces ("\n "), as fold() does. */
static void
put_folded(struct text *t, const struct text *v, size_t col)
{
	size_t i = 0, line = col;

	while (i < v->n) {
		size_t j = i + (v->p[i] == ' ');

		while (j < v->n && v->p[j] != ' ')
			j++;
		if (v->p[i] == ' ' && line + (j - i) > 76) {
			put(t, "\n", 1);
			line = 0;
		}
		put(t, v->p + i, j - i);
		line += j - i;
		i = j;
	}
}

/* One Subject value (kinds and shares as in gen_corpus.py). */
static void
subject(struct text *out, uint64_t *s)
{
	static const char *const prefix[] = {"", "", "Re: ", "Fwd: ",
					     "Re: [dev-list] "};
	struct text v = {NULL, 0, 0}, *t = &v;
	char plain[512];
	size_t k, nw = 2 + rnd(s) % 11;
	unsigned kind = (unsigned)(rnd(s) % 100);
	const char *pre = PICK(s, prefix);

	plain[0] = '\0';
	if (kind >= 45)
		strcat(plain, kind < 85 ? PICK(s, latin1_words)
					: PICK(s, utf8_words));
	for (k = 0; k < nw; k++) {
		if (plain[0])
			strcat(plain, " ");
		strcat(plain, PICK(s, ascii_words));
	}
	if (kind < 45) {
		puts_(t, pre);
		puts_(t, plain);
	} else {
		if (kind >= 45 && rnd(s) % 2)
			strcat(strcat(plain, " "), kind < 85
						       ? PICK(s, latin1_words)
						       : PICK(s, utf8_words));
		if (pre[0]) {
			puts_(t, pre);
		}
		if (kind < 65)
			ew(t, plain, "utf-8", 'B');
		else if (kind < 85)
			ew(t, plain, "iso-8859-1", 'Q');
		else
			ew(t, plain, "utf-8", 'Q');
	}
	put_folded(out, &v, 9);
	free(v.p);
}

/* Whether UTF-8 s is all in Latin-1 (ASCII or a C2/C3 lead byte). */
static int
latin1_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0xC4 || (c >= 0x80 && c < 0xC0 && (unsigned char)s[-1] >= 0xC4))
			return 0;
	}
	return 1;
}

/* One From value: an encoded or plain display name and an address. */
static void
from(struct text *out, uint64_t *s)
{
	struct text v = {NULL, 0, 0}, *t = &v;
	char name[128];
	unsigned r = (unsigned)(rnd(s) % 100);

	snprintf(name, sizeof(name), "%s %s", PICK(s, first), PICK(s, last));
	if (r < 45) {
		int ascii = 1;
		size_t i;
		for (i = 0; name[i]; i++)
			ascii &= (unsigned char)name[i] < 0x80;
		if (ascii)
			puts_(t, name);
		else
			ew(t, name, "utf-8", rnd(s) % 2 ? 'B' : 'Q');
		puts_(t, " <user@example.com>");
	} else if (r < 60) {
		ew(t, name, latin1_ok(name) ? "iso-8859-1" : "utf-8", 'Q');
		puts_(t, " <user@example.org>");
	} else {
		puts_(t, "<user.name@mail.example.net>");
	}
	put_folded(out, &v, 6);
	free(v.p);
}

struct job {
	const char *p;
	const size_t *off; /* value i is p[off[i]..off[i + 1]) */
	size_t count;
	mf_buf *out;
	size_t outbytes;
};

static void
run_decode(void *arg)
{
	struct job *j = arg;
	size_t i;

	j->outbytes = 0;
	for (i = 0; i < j->count; i++) {
		mf_buf_clear(j->out);
		if (mf_ew_decode(j->out, j->p + j->off[i],
				 j->off[i + 1] - j->off[i], NULL, NULL,
				 NULL) != MF_OK)
			exit(1);
		j->outbytes += mf_buf_len(j->out);
	}
	bench_sink(mf_buf_data(j->out), mf_buf_len(j->out));
}

void
bench_ew(const bench_ctx *b)
{
	enum { COUNT = 40000 };
	struct text t = {NULL, 0, 0};
	size_t *off = malloc((COUNT + 1) * sizeof(*off)), i;
	uint64_t seed = 2047;
	struct job j;
	double sec;

	if (off == NULL)
		return;
	for (i = 0; i < COUNT; i++) {
		off[i] = t.n;
		if (i % 2)
			subject(&t, &seed);
		else
			from(&t, &seed);
	}
	off[COUNT] = t.n;
	j.p = t.p;
	j.off = off;
	j.count = COUNT;
	j.out = mf_buf_new(NULL);
	if (j.out == NULL)
		return;
	sec = bench_best(run_decode, &j, b->quick ? 0.2 : 1.0);
	bench_report(b, "ew decode (Subject/From mix)", t.n, sec);
	bench_rate("ew decode (Subject/From mix)", (double)COUNT, sec,
		   "values");
	mf_buf_free(j.out);
	free(off);
	free(t.p);
}
