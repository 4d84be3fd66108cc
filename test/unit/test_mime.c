/* SPDX-License-Identifier: MIT */
/*
 * test_mime.c - the push engine: golden event logs of the torture inputs
 * (test/corpus/torture/, project-written; MF_GOLDEN_UPDATE=1 rewrites the
 * logs, which are then reviewed like code), streaming == one-shot for
 * every split point of small inputs, seeded split pairs and byte-at-a-time
 * feeding of the corpus, the scanner paths against each other, defects
 * with their offsets, limits (lenient and strict), adversarial inputs in
 * linear time, bounded memory for a large stream, transfer decoding,
 * transient part accessors, callback aborts, misuse, OOM loops and guard
 * pages.
 */
#include <time.h>

#include "tutil.h"

#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Event logs                                                              */
/* ---------------------------------------------------------------------- */

/* Bytes as a C-like quoted string, at most max of them. */
static void
lb_esc(logbuf *l, const char *p, size_t n, size_t max)
{
	size_t i;

	lb_add(l, "\"", 1);
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			lb_add(l, "\\n", 2);
		else if (c == '\r')
			lb_add(l, "\\r", 2);
		else if (c == '\t')
			lb_add(l, "\\t", 2);
		else if (c == '"' || c == '\\')
			lb_printf(l, "\\%c", c);
		else if (c < 32 || c >= 127)
			lb_printf(l, "\\x%02x", c);
		else
			lb_add(l, &p[i], 1);
	}
	lb_add(l, "\"", 1);
	if (n > max)
		lb_printf(l, "...(%zu bytes)", n);
}

static void
lb_str(logbuf *l, mf_str s)
{
	lb_esc(l, s.ptr, s.len, 120);
}

static void
lb_defects(logbuf *l, uint64_t m)
{
	int d, first = 1;

	lb_add(l, "[", 1);
	for (d = 0; d < 64; d++) {
		if (m & MF_DEFECT_BIT(d)) {
			lb_printf(l, "%s%s", first ? "" : ",", mf_defect_name(d));
			first = 0;
		}
	}
	lb_add(l, "]", 1);
}

static const char *
kind_name(int k)
{
	return k == MF_PART_LEAF ? "leaf"
	       : k == MF_PART_MULTIPART ? "multipart"
	       : k == MF_PART_MESSAGE ? "message" : "?";
}

typedef struct elog {
	logbuf lb;
	int golden;     /* escaped bytes, else length and hash */
	int decoded;    /* BODY offsets depend on the split: not logged */
	/* A data event being merged with the ones that follow it. */
	int ptype;
	size_t pdepth;
	uint64_t poff, phash;
	size_t plen;
	logbuf pdata;
	long count, abort_at;
	int nest_check; /* part depths consistent */
	size_t depth;
	int path;       /* scanner path, or -1 for the best */
	int kind[256];  /* the kind at HEADERS_END, by depth */
} elog;

static const char *evname[] = {"?",     "BEGIN", "HEADER",   "HEADERS_END",
			       "BODY",  "END",   "DEFECT",   "PREAMBLE",
			       "DELIM", "EPILOGUE", "CLOSE", "FROM"};

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void
el_flush(elog *e)
{
	if (e->ptype == 0)
		return;
	if (e->decoded && e->ptype == MF_EV_BODY)
		lb_printf(&e->lb, "- d%zu %s len=%zu ", e->pdepth,
			  evname[e->ptype], e->plen);
	else
		lb_printf(&e->lb, "%llu d%zu %s len=%zu ",
			  (unsigned long long)e->poff, e->pdepth,
			  evname[e->ptype], e->plen);
	if (e->golden)
		lb_esc(&e->lb, e->pdata.p, e->pdata.n, 200);
	else
		lb_printf(&e->lb, "h=%016llx", (unsigned long long)e->phash);
	lb_add(&e->lb, "\n", 1);
	e->ptype = 0;
	e->pdata.n = 0;
}

static void
log_part(logbuf *l, const mf_part *p)
{
	mf_str t = mf_part_type(p), s = mf_part_subtype(p);
	uint64_t h, b, x;
	size_t i;

	mf_part_offsets(p, &h, &b, &x);
	lb_printf(l, "kind=%s type=%.*s/%.*s charset=", kind_name(mf_part_kind(p)),
		  (int)t.len, t.ptr, (int)s.len, s.ptr);
	lb_str(l, mf_part_charset(p));
	lb_printf(l, " cte=%s disp=", mf_part_cte(p) == MF_CTE_UNKNOWN
					  ? "unknown"
					  : mf_cte_name(mf_part_cte(p)));
	lb_str(l, mf_part_disposition(p));
	lb_add(l, " filename=", 10);
	lb_str(l, mf_part_filename(p));
	lb_add(l, " boundary=", 10);
	lb_str(l, mf_part_boundary(p));
	lb_add(l, " params={", 9);
	for (i = 0; i < mf_part_param_count(p); i++) {
		const mf_param *pm = mf_part_param_at(p, i);

		lb_printf(l, "%s%.*s=", i ? " " : "", (int)pm->name.len,
			  pm->name.ptr);
		lb_str(l, pm->value);
	}
	lb_printf(l, "} header=%llu body=%llu defects=",
		  (unsigned long long)h, (unsigned long long)b);
	lb_defects(l, mf_part_defects(p));
}

static int
el_event(void *ctx, const mf_event *ev)
{
	elog *e = ctx;
	logbuf *l = &e->lb;

	if (e->abort_at >= 0 && e->count++ == e->abort_at)
		return 1;
	/* Depths: a part begins one below the open one. */
	if (ev->type == MF_EV_PART_BEGIN) {
		if (ev->depth != e->depth)
			e->nest_check = 0;
		e->depth = ev->depth + 1;
	} else if (ev->type == MF_EV_PART_END) {
		if (ev->depth + 1 != e->depth)
			e->nest_check = 0;
		e->depth = ev->depth;
	}
	if (ev->part == NULL || mf_part_depth(ev->part) != ev->depth)
		e->nest_check = 0;
	if (ev->type == MF_EV_BODY || ev->type == MF_EV_PREAMBLE ||
	    ev->type == MF_EV_EPILOGUE) {
		if (e->ptype == ev->type && e->pdepth == ev->depth &&
		    (e->decoded || e->poff + e->plen == ev->off)) {
			e->plen += ev->data.len;
		} else {
			el_flush(e);
			e->ptype = ev->type;
			e->pdepth = ev->depth;
			e->poff = ev->off;
			e->plen = ev->data.len;
			e->phash = 1469598103934665603ull;
		}
		e->phash = fnv(e->phash, ev->data.ptr, ev->data.len);
		if (e->golden)
			lb_add(&e->pdata, ev->data.ptr, ev->data.len);
		return 0;
	}
	el_flush(e);
	lb_printf(l, "%llu d%zu %s", (unsigned long long)ev->off, ev->depth,
		  evname[ev->type]);
	switch (ev->type) {
	case MF_EV_HEADER:
		lb_printf(l, " %.*s: ", (int)ev->name.len, ev->name.ptr);
		lb_str(l, ev->data);
		lb_printf(l, " raw_len=%zu eol=%u", ev->field->raw_len,
			  ev->field->eol);
		if (ev->raw.len != ev->field->raw_len &&
		    ev->raw.len < ev->field->raw_len)
			lb_printf(l, " kept=%zu", ev->raw.len);
		break;
	case MF_EV_HEADERS_END:
		lb_add(l, " ", 1);
		lb_str(l, ev->data);
		lb_add(l, " ", 1);
		log_part(l, ev->part);
		if (ev->depth < 256)
			e->kind[ev->depth] = mf_part_kind(ev->part);
		break;
	case MF_EV_DEFECT:
		lb_printf(l, " %s", mf_defect_name(ev->defect));
		break;
	case MF_EV_PART_END:
		lb_add(l, " defects=", 9);
		lb_defects(l, mf_part_defects(ev->part));
		/* A multipart without delimiter lines ends as a leaf. */
		if (ev->depth < 256 &&
		    e->kind[ev->depth] != mf_part_kind(ev->part))
			lb_printf(l, " now=%s %.*s/%.*s",
				  kind_name(mf_part_kind(ev->part)),
				  (int)mf_part_type(ev->part).len,
				  mf_part_type(ev->part).ptr,
				  (int)mf_part_subtype(ev->part).len,
				  mf_part_subtype(ev->part).ptr);
		break;
	case MF_EV_DELIM:
	case MF_EV_CLOSE:
	case MF_EV_MBOX_FROM:
		lb_printf(l, " len=%zu ", ev->data.len);
		if (e->golden)
			lb_esc(l, ev->data.ptr, ev->data.len, 200);
		else
			lb_printf(l, "h=%016llx",
				  (unsigned long long)fnv(1469598103934665603ull,
							  ev->data.ptr,
							  ev->data.len));
		break;
	default:
		break;
	}
	lb_add(l, "\n", 1);
	return 0;
}

static void
el_init(elog *e, int golden, unsigned flags)
{
	memset(e, 0, sizeof(*e));
	e->golden = golden;
	e->decoded = (flags & MF_DECODE) != 0;
	e->abort_at = -1;
	e->nest_check = 1;
	e->path = -1;
	lb_add(&e->lb, "", 0);
}

static void
el_free(elog *e)
{
	free(e->lb.p);
	free(e->pdata.p);
}

/*
 * Runs the parser over p[0..n) cut at cuts[0..k) (mf__parser_feed_split;
 * k == SIZE_MAX: one mf__parser_feed_last call). Returns the status and
 * appends "rc=... off=..." to the log.
 */
static int
run_log(const char *p, size_t n, const size_t *cuts, size_t k,
	const mf_opts *o, elog *e)
{
	mf_parser *ps = mf_parser_new(o, el_event, e);
	mf_error err;
	int rc;

	assert_non_null(ps);
	if (e->path >= 0)
		mf__parser_set_path(ps, e->path);
	if (k == SIZE_MAX)
		rc = mf__parser_feed_last(ps, p, n);
	else
		rc = mf__parser_feed_split(ps, p, n, cuts, k);
	el_flush(e);
	(void)mf_parser_error(ps, &err);
	lb_printf(&e->lb, "rc=%d off=%llu\n", rc,
		  (unsigned long long)mf_parser_offset(ps));
	if (rc == MF_OK && !e->nest_check)
		fail_msg("events not properly nested");
	mf_parser_free(ps);
	return rc;
}

/* Flags a torture file asks for by its name. */
static unsigned
name_flags(const char *name)
{
	unsigned f = 0;

	if (strstr(name, ".mbox") != NULL)
		f |= MF_MBOX;
	if (strstr(name, ".decode.") != NULL)
		f |= MF_DECODE;
	return f;
}

/* ---------------------------------------------------------------------- */
/* Golden logs                                                             */
/* ---------------------------------------------------------------------- */

static void
test_golden(void **state)
{
	size_t count, i, inputs = 0;
	char **list = tu_list("corpus/torture", &count);
	int update = getenv("MF_GOLDEN_UPDATE") != NULL, path;

	(void)state;
	for (i = 0; i < count; i++) {
		size_t n, len = strlen(list[i]), wn = 0;
		char *p, *want, logpath[512];
		mf_opts o;
		elog e;

		if (len > 4 && strcmp(list[i] + len - 4, ".log") == 0)
			continue;
		p = tu_read(list[i], &n);
		memset(&o, 0, sizeof(o));
		o.flags = name_flags(list[i]);
		el_init(&e, 1, o.flags);
		(void)run_log(p, n, NULL, SIZE_MAX, &o, &e);
		/* Every scanner path gives the same log. */
		for (path = MF__SCAN_SCALAR; path < mf__scan_best(); path++) {
			elog e2;
			size_t c = n / 2;

			el_init(&e2, 1, o.flags);
			e2.path = path;
			(void)run_log(p, n, &c, 1, &o, &e2);
			tu_assert_mem(e2.lb.p, e2.lb.n, e.lb.p, e.lb.n, list[i]);
			el_free(&e2);
		}
		snprintf(logpath, sizeof(logpath), "%.*s.log",
			 (int)(strrchr(list[i], '.') - list[i]), list[i]);
		if (update) {
			char full[1024];
			FILE *f;

			tu_path(full, sizeof(full), logpath);
			f = fopen(full, "wb");
			assert_non_null(f);
			assert_int_equal(fwrite(e.lb.p, 1, e.lb.n, f), e.lb.n);
			fclose(f);
		}
		want = tu_read(logpath, &wn);
		tu_assert_mem(e.lb.p, e.lb.n, want, wn, list[i]);
		free(want);
		el_free(&e);
		free(p);
		inputs++;
	}
	tu_list_free(list);
	assert_true(inputs >= 24);
}

/* ---------------------------------------------------------------------- */
/* Streaming == one-shot                                                   */
/* ---------------------------------------------------------------------- */

/* The log of the one-shot parse, compared with the split parses. */
static void
check_splits(const char *p, size_t n, unsigned flags, const char *label,
	     tu_rng *rng, size_t pairs, int every, int bytewise)
{
	mf_opts o;
	elog ref, e;
	size_t c[2], i;
	char lab[600];

	memset(&o, 0, sizeof(o));
	o.flags = flags;
	el_init(&ref, 0, flags);
	(void)run_log(p, n, NULL, SIZE_MAX, &o, &ref);
	/* feed(all) + finish: the tail goes through the carry buffer. */
	c[0] = n;
	el_init(&e, 0, flags);
	(void)run_log(p, n, c, 1, &o, &e);
	tu_assert_mem(e.lb.p, e.lb.n, ref.lb.p, ref.lb.n, label);
	el_free(&e);
	for (i = 0; every && i <= n; i++) {
		c[0] = i;
		el_init(&e, 0, flags);
		(void)run_log(p, n, c, 1, &o, &e);
		if (e.lb.n != ref.lb.n || memcmp(e.lb.p, ref.lb.p, e.lb.n)) {
			snprintf(lab, sizeof(lab), "%s split at %zu", label, i);
			tu_assert_mem(e.lb.p, e.lb.n, ref.lb.p, ref.lb.n, lab);
		}
		el_free(&e);
	}
	for (i = 0; i < pairs; i++) {
		c[0] = tu_rng_below(rng, n + 1);
		c[1] = tu_rng_below(rng, n + 1);
		if (c[1] < c[0]) {
			size_t t = c[0];

			c[0] = c[1];
			c[1] = t;
		}
		el_init(&e, 0, flags);
		(void)run_log(p, n, c, 2, &o, &e);
		if (e.lb.n != ref.lb.n || memcmp(e.lb.p, ref.lb.p, e.lb.n)) {
			snprintf(lab, sizeof(lab), "%s split at %zu, %zu", label,
				 c[0], c[1]);
			tu_assert_mem(e.lb.p, e.lb.n, ref.lb.p, ref.lb.n, lab);
		}
		el_free(&e);
	}
	if (bytewise && n > 0) {
		size_t *cuts = malloc(n * sizeof(*cuts));

		assert_non_null(cuts);
		for (i = 0; i < n; i++)
			cuts[i] = i;
		el_init(&e, 0, flags);
		(void)run_log(p, n, cuts, n, &o, &e);
		snprintf(lab, sizeof(lab), "%s byte at a time", label);
		tu_assert_mem(e.lb.p, e.lb.n, ref.lb.p, ref.lb.n, lab);
		el_free(&e);
		free(cuts);
	}
	el_free(&ref);
}

static void
test_splits_torture(void **state)
{
	size_t count, i;
	char **list = tu_list("corpus/torture", &count);
	tu_rng rng;

	(void)state;
	tu_rng_seed(&rng, 4);
	for (i = 0; i < count; i++) {
		size_t n, len = strlen(list[i]);
		char *p;
		unsigned f;

		if (len > 4 && strcmp(list[i] + len - 4, ".log") == 0)
			continue;
		p = tu_read(list[i], &n);
		f = name_flags(list[i]);
		/* Every split point of the small ones, pairs, bytes; in
		 * CRLF too. */
		check_splits(p, n, f, list[i], &rng, tu_slow_ok() ? 200 : 20,
			     n < 4096, 1);
		{
			size_t k;
			char *q = tu_eol(p, n, 1, &k), label[600];

			snprintf(label, sizeof(label), "%s (CRLF)", list[i]);
			check_splits(q, k, f, label, &rng,
				     tu_slow_ok() ? 50 : 5, k < 4096, 1);
			free(q);
		}
		check_splits(p, n, f ^ MF_DECODE, list[i], &rng, 20, 0, 1);
		if (!(f & MF_MBOX))
			check_splits(p, n, f | MF_MBOX, list[i], &rng, 20, 0,
				     0);
		free(p);
	}
	tu_list_free(list);
}

static const char *sets[] = {
    "corpus/cpython",    "corpus/gmime",
    "corpus/mikel-mail", "corpus/mimekit",
    "corpus/nodemailer-mailparser", "corpus/spamassassin",
};

/*
 * The corpus, as stored and in CRLF: every split point of the messages
 * under 1 KB, seeded split pairs of every message, byte at a time for
 * those under 8 KB; split pairs in decoding mode too. Under valgrind (MF_TEST_SLOW=0) a
 * sample of files with fewer splits.
 */
static void
test_splits_corpus(void **state)
{
	size_t s, files = 0;
	tu_rng rng;
	int slow = tu_slow_ok();

	(void)state;
	tu_rng_seed(&rng, 5322);
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, k, v;
			char *p;

			if (!slow && i % 8 != 0)
				continue;
			p = tu_read(list[i], &n);
			for (v = 0; v < 2; v++) {
				char *q = v ? tu_eol(p, n, 1, &k) : p;
				char label[600];

				if (!v)
					k = n;
				snprintf(label, sizeof(label), "%s%s", list[i],
					 v ? " (CRLF)" : "");
				check_splits(q, k, 0, label, &rng,
					     slow ? 24 : 3, slow && k < 1024,
					     slow && k < 8192);
				check_splits(q, k, MF_DECODE, label, &rng,
					     slow ? 8 : 2, 0, 0);
				if (v)
					free(q);
			}
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	assert_true(files >= (slow ? 390u : 45u));
}

/* ---------------------------------------------------------------------- */
/* Scanner paths                                                           */
/* ---------------------------------------------------------------------- */

static void
test_scanner(void **state)
{
	tu_rng rng;
	size_t round;
	static const char alpha[] = "\n-Fr\r x";
	static const unsigned char set[4] = {'-', '\n', '\r', 'F'};

	(void)state;
	tu_rng_seed(&rng, 99);
	for (round = 0; round < 3000; round++) {
		size_t n = tu_rng_below(&rng, 300), i, from;
		char *p = malloc(n + 1);
		int path;

		assert_non_null(p);
		for (i = 0; i < n; i++)
			p[i] = alpha[tu_rng_below(&rng, sizeof(alpha) - 1)];
		from = n ? tu_rng_below(&rng, n + 1) : 0;
		for (path = MF__SCAN_SCALAR; path <= mf__scan_best(); path++) {
			size_t w2 = n, w4 = n, w1 = n, j;

			for (j = from; j + 2 < n && w2 == n; j++)
				if (p[j] == '\n' && p[j + 1] == '-' &&
				    p[j + 2] == '-')
					w2 = j;
			for (j = from; j + 2 < n && w4 == n; j++)
				if (p[j] == '\n' &&
				    ((p[j + 1] == '-' && p[j + 2] == '-') ||
				     (p[j + 1] == 'F' && p[j + 2] == 'r')))
					w4 = j;
			for (j = from; j + 1 < n && w1 == n; j++)
				if (p[j] == '\n' && memchr(set, p[j + 1], 4))
					w1 = j;
			assert_int_equal(mf__scan_nl2(path, p, n, from, '-', '-'),
					 w2);
			assert_int_equal(mf__scan_nl4(path, p, n, from, '-', '-',
						      'F', 'r'), w4);
			assert_int_equal(mf__scan_nl1(path, p, n, from, set), w1);
		}
		free(p);
	}
}

/* ---------------------------------------------------------------------- */
/* Defects and their offsets                                               */
/* ---------------------------------------------------------------------- */

struct drec {
	int d[64];
	uint64_t off[64];
	size_t n;
};

static int
drec_event(void *ctx, const mf_event *ev)
{
	struct drec *r = ctx;

	if (ev->type == MF_EV_DEFECT && r->n < 64) {
		r->d[r->n] = ev->defect;
		r->off[r->n++] = ev->off;
	}
	return 0;
}

/* The defects of a parse of p (lenient), in order. */
static int
defects_of(const char *p, size_t n, const mf_opts *o, struct drec *r)
{
	mf_parser *ps = mf_parser_new(o, drec_event, r);
	int rc;

	memset(r, 0, sizeof(*r));
	assert_non_null(ps);
	rc = mf__parser_feed_last(ps, p, n);
	mf_parser_free(ps);
	return rc;
}

static int
nop_event(void *ctx, const mf_event *ev)
{
	(void)ctx;
	(void)ev;
	return 0;
}

static void
test_defect_offsets(void **state)
{
	static const struct {
		const char *in;
		int defect;
		uint64_t off;
	} t[] = {
	    /* 0 */ {"Content-Type: multipart/mixed\n\n--b\n", MF_D_NO_BOUNDARY,
		     14},
	    {"Content-Type: multipart/mixed; boundary=b\n\ntext\n",
	     MF_D_NO_START_DELIM, 48},
	    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n",
	     MF_D_NO_CLOSE_DELIM, 50},
	    {"Content-Type: multipart/mixed; boundary=b12345678\n\npre\n"
	     "--b1234567\n\nx\n--b1234567--\n",
	     MF_D_BOUNDARY_MISMATCH, 55},
	    {"Content-Type: text/plain\nContent-Transfer-Encoding: x-gzip\n\n",
	     MF_D_UNKNOWN_CTE, 52},
	    /* 5 */ {"Content-Transfer-Encoding: 7-bit\n\n",
		     MF_D_CTE_NONSTANDARD, 27},
	    {"Content-Type: multipart/mixed; boundary=b\n"
	     "Content-Transfer-Encoding: base64\n\n--b--\n",
	     MF_D_MULTIPART_CTE, 69},
	    {"Content-Type: message/rfc822\nContent-Transfer-Encoding: "
	     "quoted-printable\n\nSubject: x\n",
	     MF_D_MULTIPART_CTE, 56},
	    {"Content-Type: multipart/mixed; boundary=b\n\n--b\nA: 1\n--b--\n",
	     MF_D_NO_BLANK_LINE, 52},
	    {"Content-Type: text/plain; charset=\"us\n\n", MF_D_UNTERMINATED,
	     34},
	    /* 10 */ {"Subject: x\r\nContent-Type: multipart/mixed; "
		      "boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: "
		      "base64\r\n\r\naGVsbG8=!\r\n--b--\r\n",
		      MF_D_NO_CLOSE_DELIM + 100, 0},
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct drec r;
		mf_opts o;
		int found = 0;

		memset(&o, 0, sizeof(o));
		if (t[i].defect >= 100) {
			/* A correct message: no defect at all. */
			assert_int_equal(defects_of(t[i].in, strlen(t[i].in), &o,
						    &r), MF_OK);
			if (r.n != 0)
				fail_msg("case %zu: %s at %llu", i,
					 mf_defect_name(r.d[0]),
					 (unsigned long long)r.off[0]);
			continue;
		}
		assert_int_equal(defects_of(t[i].in, strlen(t[i].in), &o, &r),
				 MF_OK);
		for (j = 0; j < r.n; j++) {
			if (r.d[j] == t[i].defect) {
				if (r.off[j] != t[i].off)
					fail_msg("case %zu: %s at %llu, want %llu",
						 i, mf_defect_name(r.d[j]),
						 (unsigned long long)r.off[j],
						 (unsigned long long)t[i].off);
				found = 1;
				break;
			}
		}
		if (!found)
			fail_msg("case %zu: no %s", i,
				 mf_defect_name(t[i].defect));
	}
}

/*
 * Strict mode: the first defect of the lenient parse is the error, with
 * its offset (MF_E_LIMIT for the limits), for every torture input.
 */
static void
test_strict(void **state)
{
	size_t count, i;
	char **list = tu_list("corpus/torture", &count);

	(void)state;
	for (i = 0; i < count; i++) {
		size_t n, len = strlen(list[i]);
		char *p;
		struct drec r;
		mf_opts o;
		mf_parser *ps;
		mf_error err;
		int rc;

		if (len > 4 && strcmp(list[i] + len - 4, ".log") == 0)
			continue;
		p = tu_read(list[i], &n);
		memset(&o, 0, sizeof(o));
		o.flags = name_flags(list[i]);
		assert_int_equal(defects_of(p, n, &o, &r), MF_OK);
		o.flags |= MF_STRICT;
		ps = mf_parser_new(&o, nop_event, NULL);
		assert_non_null(ps);
		rc = mf__parser_feed_last(ps, p, n);
		if (r.n == 0) {
			assert_int_equal(rc, MF_OK);
		} else {
			if (rc != MF_E_DEFECT)
				fail_msg("%s: strict rc %d", list[i], rc);
			assert_int_equal(mf_parser_error(ps, &err), MF_E_DEFECT);
			if (err.offset != r.off[0])
				fail_msg("%s: strict error at %zu, first defect "
					 "%s at %llu", list[i], err.offset,
					 mf_defect_name(r.d[0]),
					 (unsigned long long)r.off[0]);
			assert_int_equal(mf_parser_offset(ps), r.off[0]);
			/* Sticky. */
			assert_int_equal(mf_parser_feed(ps, "x", 1), MF_E_DEFECT);
			assert_int_equal(mf_parser_finish(ps), MF_E_DEFECT);
		}
		mf_parser_free(ps);
		free(p);
	}
	tu_list_free(list);
}

/* ---------------------------------------------------------------------- */
/* Limits                                                                  */
/* ---------------------------------------------------------------------- */

/* n levels of multipart, each with its own boundary, then a text part. */
static char *
nested(size_t n, size_t *len)
{
	logbuf l;
	size_t i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < n; i++)
		lb_printf(&l, "Content-Type: multipart/mixed; boundary=b%zu\n\n"
			      "--b%zu\n", i, i);
	lb_printf(&l, "Content-Type: text/plain\n\ndeep\n");
	for (i = n; i-- > 0;)
		lb_printf(&l, "--b%zu--\n", i);
	*len = l.n;
	return l.p;
}

struct shape {
	size_t parts, maxdepth, leaves;
	uint64_t defects;
	uint64_t limit_off;
	size_t last_body;
};

static int
shape_event(void *ctx, const mf_event *ev)
{
	struct shape *s = ctx;

	if (ev->type == MF_EV_PART_BEGIN) {
		s->parts++;
		if (ev->depth > s->maxdepth)
			s->maxdepth = ev->depth;
	} else if (ev->type == MF_EV_HEADERS_END &&
		   mf_part_kind(ev->part) == MF_PART_LEAF) {
		s->leaves++;
		s->last_body = 0;
	} else if (ev->type == MF_EV_BODY) {
		s->last_body += ev->data.len;
	} else if (ev->type == MF_EV_DEFECT) {
		if ((ev->defect == MF_D_DEPTH_LIMIT ||
		     ev->defect == MF_D_PART_LIMIT) &&
		    !(s->defects & MF_DEFECT_BIT(ev->defect)))
			s->limit_off = ev->off;
		s->defects |= MF_DEFECT_BIT(ev->defect);
	}
	return 0;
}

static int
shape_of(const char *p, size_t n, const mf_opts *o, struct shape *s,
	 mf_error *err)
{
	mf_parser *ps = mf_parser_new(o, shape_event, s);
	int rc;

	memset(s, 0, sizeof(*s));
	assert_non_null(ps);
	rc = mf__parser_feed_last(ps, p, n);
	(void)mf_parser_error(ps, err);
	mf_parser_free(ps);
	return rc;
}

static void
test_limits(void **state)
{
	size_t n, i;
	char *p = nested(6, &n);
	mf_opts o;
	struct shape s;
	mf_error err;
	logbuf l;

	(void)state;
	/* Depth: the multipart at depth 3 is a leaf holding the rest. */
	memset(&o, 0, sizeof(o));
	o.limits.max_depth = 3;
	assert_int_equal(shape_of(p, n, &o, &s, &err), MF_OK);
	assert_int_equal(s.parts, 4);
	assert_int_equal(s.maxdepth, 3);
	assert_true(s.defects & MF_DEFECT_BIT(MF_D_DEPTH_LIMIT));
	assert_false(s.defects & MF_DEFECT_BIT(MF_D_NO_CLOSE_DELIM));
	/* At the Content-Type value of the fourth level. */
	assert_int_equal(s.limit_off, 3 * 49 + 14);
	o.flags = MF_STRICT;
	assert_int_equal(shape_of(p, n, &o, &s, &err), MF_E_LIMIT);
	assert_int_equal(err.offset, 3 * 49 + 14);
	/* The default (100) lets 6 levels through. */
	memset(&o, 0, sizeof(o));
	assert_int_equal(shape_of(p, n, &o, &s, &err), MF_OK);
	assert_int_equal(s.parts, 7);
	assert_int_equal(s.defects, 0);
	free(p);

	/* Parts: after max_parts, one leaf holds the rest of the message. */
	memset(&l, 0, sizeof(l));
	lb_printf(&l, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 10; i++)
		lb_printf(&l, "--b\n\npart %zu\n", i);
	lb_printf(&l, "--b--\n");
	memset(&o, 0, sizeof(o));
	o.limits.max_parts = 4;
	assert_int_equal(shape_of(l.p, l.n, &o, &s, &err), MF_OK);
	assert_int_equal(s.parts, 5);
	assert_true(s.defects & MF_DEFECT_BIT(MF_D_PART_LIMIT));
	assert_false(s.defects & MF_DEFECT_BIT(MF_D_NO_CLOSE_DELIM));
	/* The fifth part begins after the fourth delimiter. */
	assert_int_equal(s.limit_off, 43 + 3 * 12 + 4);
	/* Its body: everything from part 3's text to the end. */
	assert_int_equal(s.last_body, l.n - (43 + 3 * 12 + 4) - 1);
	o.flags = MF_STRICT;
	assert_int_equal(shape_of(l.p, l.n, &o, &s, &err), MF_E_LIMIT);
	assert_int_equal(err.offset, 43 + 3 * 12 + 4);
	free(l.p);

	/* An mbox From_ line longer than max_field_len: cut there, the rest
	 * of its line starts the body (the header block is empty). */
	{
		static const char box[] =
		    "From aaaaaaaaaaaaaaaaaaaaaaaa\nSubject: x\n\nbody\n";
		mf_msg *m;
		mf_buf *b = mf_buf_new(NULL);
		uint64_t h, bo;

		memset(&o, 0, sizeof(o));
		o.flags = MF_MBOX;
		o.limits.max_field_len = 16;
		assert_int_equal(shape_of(box, strlen(box), &o, &s, &err),
				 MF_OK);
		assert_int_equal(s.parts, 1);
		assert_int_equal(s.defects, MF_DEFECT_BIT(MF_D_HEADER_LIMIT));
		assert_int_equal(s.last_body, strlen(box) - 16);
		assert_int_equal(mf_msg_parse(box, strlen(box), &o, &m, NULL),
				 MF_OK);
		mf_part_offsets(mf_msg_root(m), &h, &bo, NULL);
		assert_int_equal(h, 16);
		assert_int_equal(bo, 16);
		assert_int_equal(mf_msg_write(m, 0, b), MF_OK);
		tu_assert_str(mf_buf_data(b), box, "cut From_ line");
		mf_buf_free(b);
		mf_msg_free(m);
		o.flags |= MF_STRICT;
		assert_int_equal(shape_of(box, strlen(box), &o, &s, &err),
				 MF_E_LIMIT);
		assert_int_equal(err.offset, 16);
	}
}

/* ---------------------------------------------------------------------- */
/* Hostile input: linear time, no recursion                                */
/* ---------------------------------------------------------------------- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The push parser fed p[0..n) in chunks of the given size (0: at once). */
static void
timed_chunks(const char *label, const char *p, size_t n, const mf_opts *o,
	     size_t want_parts, size_t chunk)
{
	struct shape s;
	mf_error err;
	double t = now();
	mf_msg *m;

	if (chunk == 0) {
		assert_int_equal(shape_of(p, n, o, &s, &err), MF_OK);
	} else {
		mf_parser *ps = mf_parser_new(o, shape_event, &s);
		size_t at;

		memset(&s, 0, sizeof(s));
		assert_non_null(ps);
		for (at = 0; at < n; at += chunk)
			assert_int_equal(mf_parser_feed(ps, p + at, n - at < chunk
								    ? n - at
								    : chunk),
					 MF_OK);
		assert_int_equal(mf_parser_finish(ps), MF_OK);
		mf_parser_free(ps);
	}
	t = now() - t;
	if (want_parts && s.parts != want_parts)
		fail_msg("%s: %zu parts, want %zu", label, s.parts, want_parts);
	if (getenv("MF_TEST_VERBOSE") != NULL)
		fprintf(stderr, "%s: %.2f ms, %zu bytes\n", label, t * 1e3, n);
	/* Milliseconds here; a wide margin for valgrind and loaded CI. */
	if (t > (tu_slow_ok() ? 1.0 : 20.0))
		fail_msg("%s: %.3f s", label, t);
	/* The tree too (no recursion in building, walking, writing). */
	assert_int_equal(mf_msg_parse(p, n, o, &m, NULL), MF_OK);
	{
		mf_buf *b = mf_buf_new(NULL);
		const mf_part *q = NULL;
		size_t k = 0;

		while ((q = mf_part_next(mf_msg_root(m), q)) != NULL)
			k++;
		assert_int_equal(k, mf_msg_part_count(m));
		assert_int_equal(mf_msg_write(m, 0, b), MF_OK);
		tu_assert_mem(mf_buf_data(b), mf_buf_len(b), p, n, label);
		mf_buf_free(b);
	}
	mf_msg_free(m);
}

static void
timed(const char *label, const char *p, size_t n, const mf_opts *o,
      size_t want_parts)
{
	timed_chunks(label, p, n, o, want_parts, 0);
}

static void
test_hostile(void **state)
{
	size_t scale = tu_slow_ok() ? 1 : 10, n, i;
	size_t deep = 5000 / scale, empty = 200000 / scale;
	char *p;
	mf_opts o;
	logbuf l;

	(void)state;
	/* 5,000-deep multipart nesting: default limit, then raised. */
	p = nested(deep, &n);
	memset(&o, 0, sizeof(o));
	timed("deep multipart, default limits", p, n, &o, 101);
	o.limits.max_depth = 100000;
	timed("deep multipart, raised limits", p, n, &o, deep + 1);
	free(p);
	/* 5,000-deep message/rfc822. */
	memset(&l, 0, sizeof(l));
	for (i = 0; i < deep; i++)
		lb_printf(&l, "Content-Type: message/rfc822\n\n");
	lb_printf(&l, "Subject: the end\n\nbody\n");
	timed("deep message/rfc822", l.p, l.n, &o, deep + 1);
	free(l.p);
	/* 200,000 empty parts. */
	memset(&l, 0, sizeof(l));
	lb_printf(&l, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < empty; i++)
		lb_add(&l, "--b\n", 4);
	lb_add(&l, "--b--\n", 6);
	memset(&o, 0, sizeof(o));
	timed("empty parts, default limits", l.p, l.n, &o, 10001);
	o.limits.max_parts = 10000000;
	timed("empty parts, raised limits", l.p, l.n, &o, empty + 1);
	free(l.p);
	/* 200,000 ";" in a Content-Type (and parameters with "*"). */
	memset(&l, 0, sizeof(l));
	lb_printf(&l, "Content-Type: multipart/mixed; boundary=b");
	for (i = 0; i < empty; i++)
		lb_add(&l, ";", 1);
	for (i = 0; i < empty / 20; i++)
		lb_printf(&l, "; n%zu*%zu*=x", i % 7, i);
	lb_printf(&l, "\n\n--b\n\nx\n--b--\n");
	memset(&o, 0, sizeof(o));
	timed("semicolons, default limits", l.p, l.n, &o, 2);
	o.limits.max_field_len = 16 << 20;
	o.limits.max_params = SIZE_MAX; /* the hard cap */
	timed("semicolons, raised limits", l.p, l.n, &o, 2);
	free(l.p);
	/* 20,000 parameters, then a body fed 64 bytes at a time (no look
	 * at the parameters again per call). */
	memset(&l, 0, sizeof(l));
	lb_printf(&l, "Content-Type: text/plain");
	for (i = 0; i < empty / 10; i++)
		lb_printf(&l, "; p%zu=%zu", i, i);
	lb_add(&l, "\n\n", 2);
	for (i = 0; i < empty / 20; i++)
		lb_add(&l, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij\n",
		       57);
	timed_chunks("parameters, streamed", l.p, l.n, &o, 1, 64);
	free(l.p);
	/* 200,000 lines that start like delimiters of a deep stack. */
	p = nested(90, &n);
	memset(&l, 0, sizeof(l));
	lb_add(&l, p, n - 90 * 6);
	for (i = 0; i < empty; i++)
		lb_printf(&l, "--b%zu-\n", i % 90);
	lb_add(&l, p + n - 90 * 6, 90 * 6);
	memset(&o, 0, sizeof(o));
	timed("near delimiters", l.p, l.n, &o, 91);
	free(l.p);
	free(p);
}

/* ---------------------------------------------------------------------- */
/* Memory stays bounded whatever the message size                          */
/* ---------------------------------------------------------------------- */

/* A message of about mb MiB: text with long lines and "--" lines, a big
 * base64 attachment, a 2 KB boundary, fed in 64 KiB chunks. */
static size_t
stream_peak(size_t mb, unsigned flags, uint64_t *decoded)
{
	tu_alloc ta;
	mf_opts o;
	mf_parser *ps;
	char chunk[65536], bnd[2049];
	size_t i, total = 0, target = mb << 20;
	struct shape s;
	logbuf hdr;
	tu_rng rng;

	tu_rng_seed(&rng, mb);
	tu_alloc_init(&ta, -1);
	memset(&o, 0, sizeof(o));
	o.alloc = ta.a;
	o.flags = flags;
	ps = mf_parser_new(&o, shape_event, &s);
	memset(&s, 0, sizeof(s));
	assert_non_null(ps);
	memset(bnd, 'q', 2048);
	bnd[2048] = '\0';
	memset(&hdr, 0, sizeof(hdr));
	lb_printf(&hdr, "Subject: big\nContent-Type: multipart/mixed; ");
	lb_add(&hdr, "boundary=\"", 10);
	lb_add(&hdr, bnd, 2048);
	lb_add(&hdr, "\"\n\n--", 5);
	lb_add(&hdr, bnd, 2048);
	lb_printf(&hdr, "\nContent-Type: text/plain\n\n");
	assert_int_equal(mf_parser_feed(ps, hdr.p, hdr.n), MF_OK);
	/* Text: 100 KB lines, "--q..." lines that are not delimiters. */
	for (i = 0; i < 16; i++) {
		memset(chunk, 'a', sizeof(chunk));
		chunk[0] = '\n';
		chunk[1] = '-';
		chunk[2] = '-';
		memset(chunk + 3, 'q', 2000);
		assert_int_equal(mf_parser_feed(ps, chunk, sizeof(chunk)), MF_OK);
	}
	hdr.n = 0;
	lb_add(&hdr, "\n--", 3);
	lb_add(&hdr, bnd, 2048);
	lb_printf(&hdr, "\nContent-Transfer-Encoding: base64\n\n");
	assert_int_equal(mf_parser_feed(ps, hdr.p, hdr.n), MF_OK);
	while (total < target) {
		size_t k = 0;

		while (k + 77 <= sizeof(chunk)) {
			size_t j;

			for (j = 0; j < 76; j++)
				chunk[k + j] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
					       [tu_rng_below(&rng, 32)];
			chunk[k + 76] = '\n';
			k += 77;
		}
		assert_int_equal(mf_parser_feed(ps, chunk, k), MF_OK);
		total += k;
	}
	hdr.n = 0;
	lb_add(&hdr, "--", 2);
	lb_add(&hdr, bnd, 2048);
	lb_add(&hdr, "--\n", 3);
	assert_int_equal(mf_parser_feed(ps, hdr.p, hdr.n), MF_OK);
	assert_int_equal(mf_parser_finish(ps), MF_OK);
	assert_int_equal(s.parts, 3);
	/* Only the 2 KB boundary's header line is too long. */
	assert_int_equal(s.defects, MF_DEFECT_BIT(MF_D_LONG_LINE));
	*decoded = s.last_body;
	mf_parser_free(ps);
	assert_int_equal(ta.live, 0);
	free(hdr.p);
	return ta.peak;
}

static void
test_bounded_memory(void **state)
{
	uint64_t d1, d2;
	size_t small, large;

	(void)state;
	small = stream_peak(2, MF_DECODE, &d1);
	large = stream_peak(tu_slow_ok() ? 48 : 8, MF_DECODE, &d2);
	assert_true(d2 > d1);
	assert_int_equal(d1 % 57, 0); /* whole 76-character lines */
	/* The same peak for a message 4-24 times larger, and small. */
	if (large > small || large > 400 * 1024)
		fail_msg("peak %zu bytes for the large stream, %zu for the "
			 "small one", large, small);
	small = stream_peak(2, 0, &d1);
	large = stream_peak(tu_slow_ok() ? 48 : 8, 0, &d2);
	if (large > small || large > 300 * 1024)
		fail_msg("raw: peak %zu, %zu", large, small);
}

/* ---------------------------------------------------------------------- */
/* Transfer decoding agrees with the one-shot codecs                       */
/* ---------------------------------------------------------------------- */

/*
 * The leaves of a push parse with MF_DECODE, in order: the BODY bytes of
 * each leaf and, for a multipart that ends as a leaf (no delimiter line:
 * mime.c), its PREAMBLE bytes.
 */
struct dcol {
	logbuf out[64];
	logbuf raw[64]; /* the raw bytes of those events */
	int cte[64];
	int drop[64];   /* a multipart after all */
	int slot[128];  /* the open slot by depth, or -1 */
	size_t n;
};

static int
dcol_event(void *ctx, const mf_event *ev)
{
	struct dcol *d = ctx;
	int k = ev->depth < 128 ? d->slot[ev->depth] : -1;

	if (ev->type == MF_EV_HEADERS_END && ev->depth < 128) {
		k = d->n < 64 ? (int)d->n++ : -1;
		d->slot[ev->depth] = k;
		if (k >= 0)
			d->cte[k] = mf_part_cte(ev->part);
	} else if ((ev->type == MF_EV_BODY || ev->type == MF_EV_PREAMBLE) &&
		   k >= 0) {
		lb_add(&d->out[k], ev->data.ptr, ev->data.len);
		lb_add(&d->raw[k], ev->raw.ptr, ev->raw.len);
	} else if (ev->type == MF_EV_PART_END && k >= 0 &&
		   mf_part_kind(ev->part) != MF_PART_LEAF) {
		d->drop[k] = 1;
	}
	return 0;
}

/*
 * MF_DECODE of the push parser and mf_part_decode of the tree are one
 * rule: every leaf of the corpus decodes to the same bytes both ways
 * (base64, quoted-printable and uuencode; a multipart without delimiter
 * lines, a leaf only in the end, streams its raw body).
 */
static void
test_decode_corpus(void **state)
{
	size_t s, checked = 0, uu = 0;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, k = 0, j;
			char *p = tu_read(list[i], &n);
			struct dcol d;
			mf_opts o;
			mf_parser *ps;
			mf_msg *m;
			const mf_part *t = NULL;
			mf_buf *want = mf_buf_new(NULL);
			int rc;

			memset(&d, 0, sizeof(d));
			for (j = 0; j < 128; j++)
				d.slot[j] = -1;
			memset(&o, 0, sizeof(o));
			o.flags = MF_DECODE;
			ps = mf_parser_new(&o, dcol_event, &d);
			assert_non_null(ps);
			for (j = 0; j < n; j += 1000)
				assert_int_equal(mf_parser_feed(ps, p + j,
								n - j < 1000
								    ? n - j
								    : 1000),
						 MF_OK);
			assert_int_equal(mf_parser_finish(ps), MF_OK);
			mf_parser_free(ps);
			assert_int_equal(mf_msg_parse(p, n, NULL, &m, NULL),
					 MF_OK);
			while ((t = mf_part_next(mf_msg_root(m), t)) != NULL &&
			       k < 64) {
				if (mf_part_kind(t) == MF_PART_MULTIPART ||
				    mf_part_kind(t) == MF_PART_MESSAGE)
					continue;
				while (k < d.n && d.drop[k])
					k++;
				if (k >= 64)
					break;
				assert_true(k < d.n);
				assert_int_equal(d.cte[k], mf_part_cte(t));
				mf_buf_clear(want);
				rc = mf_part_decode(t, want, 0, NULL, NULL,
						    NULL);
				assert_int_equal(rc, MF_OK);
				uu += mf_part_cte(t) == MF_CTE_UUENCODE;
				tu_assert_mem(d.out[k].p ? d.out[k].p : "",
					      d.out[k].n, mf_buf_data(want),
					      mf_buf_len(want), list[i]);
				/* Every body byte in the raw of one event,
				 * however the input was cut. */
				tu_assert_mem(d.raw[k].p ? d.raw[k].p : "",
					      d.raw[k].n, mf_part_body(t).ptr,
					      mf_part_body(t).len, list[i]);
				checked++;
				k++;
			}
			for (j = 0; j < 64; j++) {
				free(d.out[j].p);
				free(d.raw[j].p);
			}
			mf_buf_free(want);
			mf_msg_free(m);
			free(p);
		}
		tu_list_free(list);
	}
	assert_true(checked > 500);
	assert_true(uu > 0); /* the corpus has uuencoded parts */
}

/* ---------------------------------------------------------------------- */
/* Callbacks, misuse, OOM, guard pages                                     */
/* ---------------------------------------------------------------------- */

static void
test_abort(void **state)
{
	size_t n;
	char *p = tu_read("corpus/torture/12-messages.eml", &n);
	long i, events;
	elog e;
	mf_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	el_init(&e, 0, 0);
	assert_int_equal(run_log(p, n, NULL, SIZE_MAX, &o, &e), MF_OK);
	el_free(&e);
	/* Count the events. */
	el_init(&e, 0, 0);
	e.abort_at = 1000000;
	assert_int_equal(run_log(p, n, NULL, SIZE_MAX, &o, &e), MF_OK);
	events = e.count;
	el_free(&e);
	assert_true(events > 30);
	for (i = 0; i < events; i++) {
		mf_parser *ps;
		size_t c = (size_t)i * 7 % (n + 1);

		el_init(&e, 0, 0);
		e.abort_at = i;
		ps = mf_parser_new(&o, el_event, &e);
		assert_non_null(ps);
		if (mf_parser_feed(ps, p, c) == MF_OK &&
		    mf_parser_feed(ps, p + c, n - c) == MF_OK)
			assert_int_equal(mf_parser_finish(ps), MF_E_CALLBACK);
		assert_int_equal(mf_parser_error(ps, NULL), MF_E_CALLBACK);
		assert_int_equal(mf_parser_feed(ps, "x", 1), MF_E_CALLBACK);
		assert_int_equal(e.count, i + 1);
		mf_parser_free(ps);
		el_free(&e);
	}
	free(p);
}

static void
test_misuse(void **state)
{
	mf_parser *ps;
	mf_error err;

	(void)state;
	assert_null(mf_parser_new(NULL, NULL, NULL));
	assert_int_equal(mf_parser_feed(NULL, "x", 1), MF_E_INVAL);
	assert_int_equal(mf_parser_finish(NULL), MF_E_INVAL);
	assert_int_equal(mf_parser_error(NULL, &err), MF_E_INVAL);
	assert_int_equal(mf_parser_offset(NULL), 0);
	mf_parser_free(NULL);
	ps = mf_parser_new(NULL, nop_event, NULL);
	assert_non_null(ps);
	assert_int_equal(mf_parser_feed(ps, NULL, 0), MF_OK);
	assert_int_equal(mf_parser_feed(ps, "Subject: x\n\nbody", 16), MF_OK);
	assert_int_equal(mf_parser_error(ps, &err), MF_OK);
	assert_int_equal(err.code, MF_OK);
	assert_int_equal(mf_parser_finish(ps), MF_OK);
	assert_int_equal(mf_parser_offset(ps), 16);
	assert_int_equal(mf_parser_feed(ps, "x", 1), MF_E_STATE);
	assert_int_equal(mf_parser_finish(ps), MF_E_STATE);
	mf_parser_free(ps);
	ps = mf_parser_new(NULL, nop_event, NULL);
	assert_int_equal(mf_parser_feed(ps, NULL, 3), MF_E_INVAL);
	assert_int_equal(mf_parser_feed(ps, "x", 1), MF_E_INVAL);
	mf_parser_free(ps);
}

struct oomctx {
	const char *p;
	size_t n;
	unsigned flags;
};

static int
oom_parse(const mf_alloc *a, void *ctx)
{
	struct oomctx *c = ctx;
	mf_opts o;
	mf_parser *ps;
	elog e;
	int rc;
	size_t cut = c->n / 3;

	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	o.flags = c->flags;
	el_init(&e, 0, c->flags);
	ps = mf_parser_new(&o, el_event, &e);
	if (ps == NULL) {
		el_free(&e);
		return MF_E_NOMEM;
	}
	rc = mf_parser_feed(ps, c->p, cut);
	if (rc == MF_OK)
		rc = mf_parser_feed(ps, c->p + cut, c->n - cut);
	if (rc == MF_OK)
		rc = mf_parser_finish(ps);
	mf_parser_free(ps);
	el_free(&e);
	return rc;
}

static void
test_oom(void **state)
{
	static const char *files[] = {
	    "corpus/torture/12-messages.eml",
	    "corpus/torture/20-params.eml",
	    "corpus/torture/19-decode.decode.eml",
	    "corpus/torture/16-mbox.mbox",
	    "corpus/torture/05b-body-longer.eml",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct oomctx c;
		char *p = tu_read(files[i], &c.n);

		c.p = p;
		c.flags = name_flags(files[i]) | MF_DECODE;
		assert_true(tu_oom_loop(oom_parse, &c) > 3);
		free(p);
	}
}

/* Every prefix of every torture input ends against a PROT_NONE page. */
static void
test_guard(void **state)
{
	size_t count, i;
	char **list = tu_list("corpus/torture", &count);

	(void)state;
	for (i = 0; i < count; i++) {
		size_t n, k, len = strlen(list[i]), step;
		char *p;

		if (len > 4 && strcmp(list[i] + len - 4, ".log") == 0)
			continue;
		p = tu_read(list[i], &n);
		step = n > 4096 ? 97 : 1;
		for (k = 0; k <= n; k += step) {
			tu_guard g;
			const char *q = tu_guard_new(&g, p, k);
			mf_opts o;
			mf_parser *ps;

			memset(&o, 0, sizeof(o));
			o.flags = name_flags(list[i]) | MF_DECODE;
			ps = mf_parser_new(&o, nop_event, NULL);
			assert_int_equal(mf__parser_feed_last(ps, q, k), MF_OK);
			mf_parser_free(ps);
			o.flags ^= MF_MBOX;
			ps = mf_parser_new(&o, nop_event, NULL);
			assert_int_equal(mf_parser_feed(ps, q, k), MF_OK);
			assert_int_equal(mf_parser_finish(ps), MF_OK);
			mf_parser_free(ps);
			tu_guard_free(&g);
		}
		free(p);
	}
	tu_list_free(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_splits_torture),
	    cmocka_unit_test(test_splits_corpus),
	    cmocka_unit_test(test_scanner),
	    cmocka_unit_test(test_defect_offsets),
	    cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_bounded_memory),
	    cmocka_unit_test(test_decode_corpus),
	    cmocka_unit_test(test_abort),
	    cmocka_unit_test(test_misuse),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
