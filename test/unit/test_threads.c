/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c - "no global state, thread-safe" proven: the whole
 * corpus processed by 4 threads at once (each its own objects, all of
 * them reading the same input buffers), every result equal to a
 * single-threaded run. Per file, a digest of what the library says about
 * it: the tree (types, parameters, file names, attachment decisions,
 * defects), every header decoded and every address field parsed and
 * formatted, the dates, each leaf decoded (bytes, and text made safe),
 * the three body lists, the writer's output, the push parser's events in
 * 4 KiB chunks with decoding, the safe file names. make check-tsan runs
 * it under ThreadSanitizer; the ordinary run checks the results too.
 */
#include <pthread.h>

#include "tutil.h"

#define THREADS 4

static const char *sets[] = {
    "corpus/addresses",    "corpus/cpython", "corpus/gmime",
    "corpus/mikel-mail",   "corpus/mimekit", "corpus/nodemailer-mailparser",
    "corpus/spamassassin", "corpus/torture", "corpus/vectors",
};

/* The shared, read-only input. */
static struct file {
	char *p;
	size_t n;
} * files;
static size_t nfiles;

/* FNV-1a, 64 bits. */
static void
mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		*h ^= s[i];
		*h *= 0x100000001b3ull;
	}
}

static void
mixu(uint64_t *h, uint64_t v)
{
	mix(h, &v, sizeof(v));
}

static void
mixs(uint64_t *h, mf_str s)
{
	mixu(h, s.len);
	mix(h, s.ptr, s.len);
}

static void
mixb(uint64_t *h, const mf_buf *b)
{
	mixu(h, mf_buf_len(b));
	mix(h, mf_buf_data(b), mf_buf_len(b));
}

static int
is_addr_field(mf_str name)
{
	static const char *const names[] = {"from", "to",       "cc",
	                                    "bcc",  "reply-to", "sender"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mf_str_ieq(name, mf_str_from(names[i])))
			return 1;
	return 0;
}

/* One part of a tree; status codes are mixed in, never asserted here. */
static void
digest_part(uint64_t *h, const mf_part *p, mf_buf *b)
{
	mf_opts safe = {.flags = MF_SAFE_TEXT};
	char name[201];
	size_t i, len = 0;

	mixu(h, (uint64_t)mf_part_kind(p));
	mixs(h, mf_part_type(p));
	mixs(h, mf_part_subtype(p));
	mixs(h, mf_part_charset(p));
	mixs(h, mf_part_disposition(p));
	mixs(h, mf_part_filename(p));
	mixu(h, mf_part_defects(p));
	mixu(h, (uint64_t)mf_part_is_attachment(p, MF_ATTACH_JMAP));
	mixu(h, (uint64_t)mf_part_is_attachment(p, MF_ATTACH_NAMED));
	mixu(h, (uint64_t)mf_filename_safe(name, sizeof(name),
	                                   mf_part_filename(p).ptr,
	                                   mf_part_filename(p).len, &len));
	mix(h, name, len);
	for (i = 0; i < mf_part_param_count(p); i++) {
		mixs(h, mf_part_param_at(p, i)->name);
		mixs(h, mf_part_param_at(p, i)->value);
	}
	for (i = 0; i < mf_part_field_count(p); i++) {
		const mf_field *f = mf_part_field(p, i);
		mf_addrs *l = NULL;
		mf_date d;

		mf_buf_clear(b);
		mixu(h, (uint64_t)mf_hdr_decode(b, f->value.ptr, f->value.len,
		                                &safe, NULL, NULL));
		mixb(h, b);
		if (is_addr_field(f->name) &&
		    mf_addrs_parse(f->value.ptr, f->value.len, NULL, &l,
		                   NULL) == MF_OK) {
			mf_buf_clear(b);
			mixu(h, (uint64_t)mf_addr_format(b, mf_addrs_at(l, 0),
			                                 mf_addrs_count(l),
			                                 MF_UTF8_OUT, 0, 78));
			mixb(h, b);
			mixu(h, mf_addrs_defects(l));
			mf_addrs_free(l);
		}
		if (mf_str_ieq(f->name, MF_STR("date")) &&
		    mf_date_parse(f->value.ptr, f->value.len, NULL, &d, NULL,
		                  NULL) == MF_OK) {
			int64_t t = 0;

			mixu(h, (uint64_t)mf_date_to_time(&d, &t));
			mixu(h, (uint64_t)t);
		}
	}
	if (mf_part_kind(p) != MF_PART_MULTIPART) {
		mf_buf_clear(b);
		mixu(h, (uint64_t)mf_part_decode(p, b, 0, NULL, NULL, NULL));
		mixb(h, b);
		mf_buf_clear(b);
		mixu(h, (uint64_t)mf_part_decode(
		            p, b, MF_SAFE_TEXT | MF_CONTENT_FLOWED | MF_LF,
		            NULL, NULL, NULL));
		mixb(h, b);
	}
}

static int
digest_event(void *ctx, const mf_event *ev)
{
	uint64_t *h = ctx;

	mixu(h, (uint64_t)ev->type);
	mixu(h, ev->depth);
	mixu(h, ev->off);
	mixs(h, ev->data);
	if (ev->type == MF_EV_HEADERS_END) {
		mixs(h, mf_part_type(ev->part));
		mixu(h,
		     (uint64_t)mf_part_is_attachment(ev->part, MF_ATTACH_JMAP));
	}
	return 0;
}

static int
sink(void *ctx, const char *p, size_t n)
{
	mix(ctx, p, n);
	return 0;
}

/* Everything about one file, as one number. */
static uint64_t
digest_file(const struct file *f)
{
	uint64_t h = 0xcbf29ce484222325ull;
	mf_buf *b = mf_buf_new(NULL);
	mf_msg *m = NULL;
	mf_parser *ps;
	size_t i;
	int rc;

	if (b == NULL)
		return 0;
	rc = mf_msg_parse(f->p, f->n, NULL, &m, NULL);
	mixu(&h, (uint64_t)rc);
	if (rc == MF_OK) {
		const mf_part *p = NULL, *v[64];
		int w;

		while ((p = mf_part_next(mf_msg_root(m), p)) != NULL)
			digest_part(&h, p, b);
		for (w = MF_BODY_TEXT; w <= MF_BODY_ATTACHMENTS; w++) {
			size_t n = 0, k;

			mixu(&h, (uint64_t)mf_msg_bodies(mf_msg_root(m), w, v,
			                                 64, &n));
			for (k = 0; k < n; k++)
				mixs(&h, mf_part_type(v[k]));
		}
		mixu(&h, (uint64_t)mf_msg_write_fn(m, 0, sink, &h));
	}
	mf_msg_free(m);
	/* The push parser, in 4 KiB chunks, decoding. */
	ps = mf_parser_new(&(mf_opts){.flags = MF_DECODE}, digest_event, &h);
	if (ps != NULL) {
		rc = MF_OK;
		for (i = 0; i < f->n && rc == MF_OK; i += 4096)
			rc = mf_parser_feed(ps, f->p + i,
			                    f->n - i < 4096 ? f->n - i : 4096);
		if (rc == MF_OK)
			rc = mf_parser_finish(ps);
		mixu(&h, (uint64_t)rc);
		mf_parser_free(ps);
	}
	mf_buf_free(b);
	return h;
}

struct worker {
	pthread_t th;
	size_t first; /* each thread starts elsewhere in the corpus */
	uint64_t *got;
};

static void *
run(void *arg)
{
	struct worker *w = arg;
	size_t k;

	for (k = 0; k < nfiles; k++) {
		size_t i = (w->first + k) % nfiles;

		w->got[i] = digest_file(&files[i]);
	}
	return NULL;
}

static void
test_corpus_threads(void **state)
{
	struct worker w[THREADS];
	uint64_t *want;
	size_t s, i, t, step = tu_slow_ok() ? 1 : 8, bytes = 0;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count;
		char **list = tu_list(sets[s], &count);

		files = realloc(files, (nfiles + count) * sizeof(*files));
		assert_non_null(files);
		for (i = 0; i < count; i += step) {
			files[nfiles].p = tu_read(list[i], &files[nfiles].n);
			bytes += files[nfiles].n;
			nfiles++;
		}
		tu_list_free(list);
	}
	assert_true(nfiles > (step == 1 ? 400u : 40u));
	/* The single-threaded reference. */
	want = calloc(nfiles, sizeof(*want));
	assert_non_null(want);
	for (i = 0; i < nfiles; i++)
		want[i] = digest_file(&files[i]);
	/* Four threads at once over the same buffers. */
	for (t = 0; t < THREADS; t++) {
		w[t].first = t * nfiles / THREADS;
		w[t].got = calloc(nfiles, sizeof(uint64_t));
		assert_non_null(w[t].got);
		assert_int_equal(pthread_create(&w[t].th, NULL, run, &w[t]), 0);
	}
	for (t = 0; t < THREADS; t++)
		assert_int_equal(pthread_join(w[t].th, NULL), 0);
	for (t = 0; t < THREADS; t++) {
		for (i = 0; i < nfiles; i++)
			if (w[t].got[i] != want[i])
				fail_msg("thread %zu, file %zu: %016llx, "
				         "single-threaded %016llx",
				         t, i, (unsigned long long)w[t].got[i],
				         (unsigned long long)want[i]);
		free(w[t].got);
	}
	printf("%zu files (%zu bytes), %d threads: results equal\n", nfiles,
	       bytes, THREADS);
	free(want);
	for (i = 0; i < nfiles; i++)
		free(files[i].p);
	free(files);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
