/* SPDX-License-Identifier: MIT */
/*
 * test_header.c - header blocks: the machine's classification and defects
 * with offsets, limits (lenient and strict), one-shot == incremental for
 * every split, the scan and index APIs, RFC 5322 Appendix A, every message
 * of the corpus (byte accounting and re-folding), the recovery cases of
 * mikel-mail's error_emails, unfolding and folding (GMime's table and the
 * folding rules), OOM loops and guard pages.
 */
#include "tutil.h"

#include "header.h"

/* ---------------------------------------------------------------------- */
/* Event logs: the machine driven over a chunk schedule                    */
/* ---------------------------------------------------------------------- */

static void
lb_hex(logbuf *l, mf_str s)
{
	static const char hx[] = "0123456789abcdef";
	char tmp[128];
	size_t i, k = 0;

	for (i = 0; i < s.len; i++) {
		tmp[k++] = hx[(unsigned char)s.ptr[i] >> 4];
		tmp[k++] = hx[(unsigned char)s.ptr[i] & 15];
		if (k == sizeof(tmp)) {
			lb_add(l, tmp, k);
			k = 0;
		}
	}
	lb_add(l, tmp, k);
}

/* Defect callback log: "d=<name>@<off>" lines. */
static void
on_defect(void *ctx, int d, uint64_t off)
{
	lb_printf(ctx, "d=%s@%llu\n", mf_defect_name(d),
		  (unsigned long long)off);
}

static void
log_ev(logbuf *l, const mf__hdr_ev *ev)
{
	if (ev->type == MF__HDR_END) {
		lb_printf(l, "END body=%llu\n",
			  (unsigned long long)ev->body_off);
		return;
	}
	lb_printf(l, "%s off=%llu raw=%zu eol=%u def=%llx name=",
		  ev->type == MF__HDR_FIELD ? "FIELD" : "FROM",
		  (unsigned long long)ev->f.offset, ev->f.raw_len, ev->f.eol,
		  (unsigned long long)ev->f.defects);
	lb_hex(l, ev->f.name);
	lb_add(l, " value=", 7);
	lb_hex(l, ev->f.value);
	lb_add(l, "\n", 1);
}

/*
 * Runs the machine over p[0..n) cut at the points cuts[0..ncuts) (each
 * chunk a separate heap copy, freed as soon as it is consumed, so a view
 * kept too long is caught by ASan and valgrind; bytes the machine did not
 * consume, its look-ahead, are fed again at the start of the next chunk).
 * Returns the status; the log gets every event, and every defect when o
 * is NULL.
 */
static int
run_machine(const char *p, size_t n, const size_t *cuts, size_t ncuts,
	    const mf_opts *o, logbuf *l, mf_error *err)
{
	mf_opts def;
	mf__hdr h;
	size_t k, start = 0;
	int rc = MF_OK;
	bool done = false;

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		def.on_defect = on_defect;
		def.defect_ctx = l;
		o = &def;
	}
	mf__hdr_init(&h, o, 0);
	for (k = 0; k <= ncuts && !done; k++) {
		size_t stop = k < ncuts ? cuts[k] : n, used;
		bool eof = k == ncuts;
		size_t from = (size_t)h.pos; /* what was not consumed */
		char *chunk = malloc(stop - from + 1);
		const char *c = chunk;
		size_t left = stop - from;

		assert_non_null(chunk);
		assert_true(from <= stop && from <= start);
		memcpy(chunk, p + from, stop - from);
		for (;;) {
			mf__hdr_ev ev;

			rc = mf__hdr_feed(&h, c, left, eof, &used, &ev);
			if (rc != MF_OK)
				break;
			assert_true(used <= left);
			c += used;
			left -= used;
			log_ev(l, &ev);
			if (ev.type == MF__HDR_END) {
				/* The unconsumed bytes are the body. */
				assert_true(ev.body_off ==
					    from + (size_t)(c - chunk));
				assert_true(ev.body_off <= n);
				done = true;
				rc = MF_OK;
				break;
			}
		}
		if (rc == MF_MORE) {
			/* At most two lines of look-ahead are held. */
			assert_true(used <= left);
			assert_true(left - used <= 2 * 65536 + 2);
		}
		free(chunk);
		if (rc < 0) {
			if (err != NULL)
				*err = h.err;
			break;
		}
		if (!done)
			assert_int_equal(rc, MF_MORE);
		start = stop;
	}
	if (rc >= 0)
		assert_true(done);
	mf__hdr_fini(&h);
	return rc;
}

/* One-shot log vs every two-way split and byte-at-a-time. */
static void
check_splits(const char *p, size_t n, size_t stride, const mf_opts *o,
	     const char *label)
{
	logbuf one = {0}, got = {0};
	size_t i, *cuts;
	int rc1, rc2;
	mf_error e1, e2;

	rc1 = run_machine(p, n, NULL, 0, o, &one, &e1);
	for (i = 1; i < n; i += stride) {
		got.n = 0;
		rc2 = run_machine(p, n, &i, 1, o, &got, &e2);
		if (rc1 != rc2 || got.n != one.n ||
		    memcmp(got.p, one.p, one.n) != 0) {
			fprintf(stderr, "%s: split at %zu differs\none-shot:\n%s"
					"split:\n%s\n",
				label, i, one.p ? one.p : "",
				got.p ? got.p : "");
			fail();
		}
		if (rc1 < 0) {
			assert_int_equal(e1.code, e2.code);
			assert_int_equal(e1.offset, e2.offset);
		}
	}
	if (n <= 4096) {
		cuts = malloc((n + 1) * sizeof(*cuts));
		assert_non_null(cuts);
		for (i = 0; i + 1 < n; i++)
			cuts[i] = i + 1;
		got.n = 0;
		rc2 = run_machine(p, n, cuts, n > 0 ? n - 1 : 0, o, &got, &e2);
		free(cuts);
		assert_int_equal(rc1, rc2);
		tu_assert_mem(got.p, got.n, one.p, one.n, label);
	}
	free(one.p);
	free(got.p);
}

/* ---------------------------------------------------------------------- */
/* The classification table                                                */
/* ---------------------------------------------------------------------- */

struct hcase {
	const char *in;
	const char *log; /* events and defects, as run_machine logs them */
};

/* Names and values are hex in the log: these helpers keep tables legible. */
static void
expand(const char *tmpl, logbuf *out)
{
	/* «text» in the template stands for the hex of text. */
	const char *s = tmpl;

	while (*s) {
		const char *a = strstr(s, "\xc2\xab");

		if (a == NULL) {
			lb_add(out, s, strlen(s));
			break;
		}
		lb_add(out, s, (size_t)(a - s));
		a += 2;
		{
			const char *b = strstr(a, "\xc2\xbb");
			mf_str t;

			assert_non_null(b);
			t.ptr = a;
			t.len = (size_t)(b - a);
			lb_hex(out, t);
			s = b + 2;
		}
	}
}

static const struct hcase hcases[] = {
    /* 0: plain CRLF block */
    {"Subject: hi\r\nTo: a@b\r\n\r\nbody",
     "FIELD off=0 raw=13 eol=2 def=0 name=«Subject» value=«hi»\n"
     "FIELD off=13 raw=9 eol=2 def=0 name=«To» value=«a@b»\n"
     "END body=24\n"},
    /* 1: LF, continuation, empty value */
    {"A: 1\n 2\n\t3\nB:\n\nx",
     "FIELD off=0 raw=11 eol=1 def=0 name=«A» value=«1\n 2\n\t3»\n"
     "FIELD off=11 raw=3 eol=1 def=0 name=«B» value=«»\n"
     "END body=15\n"},
    /* 2: mixed line ends */
    {"A: 1\r\nB: 2\n\r\nbody",
     "FIELD off=0 raw=6 eol=2 def=0 name=«A» value=«1»\n"
     "FIELD off=6 raw=5 eol=1 def=0 name=«B» value=«2»\n"
     "END body=13\n"},
    /* 3: no blank line before the body */
    {"A: 1\nthis is the body\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    /* 4: white space before the colon */
    {"Subject : x\n\n",
     "d=ws-before-colon@7\n"
     "FIELD off=0 raw=12 eol=1 def=2 name=«Subject» value=«x»\n"
     "END body=13\n"},
    /* 5: mbox From_ line */
    {"From a@b Thu Jan  1 00:00:00 2026\nA: 1\n\n",
     "d=mbox-from@0\n"
     "FROM off=0 raw=34 eol=1 def=4 name=«» "
     "value=«From a@b Thu Jan  1 00:00:00 2026»\n"
     "FIELD off=34 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "END body=40\n"},
    /* 6: continuation first */
    {" x\nA: 1\n\n",
     "d=cont-first@0\n"
     "FIELD off=0 raw=3 eol=1 def=8 name=«» value=«x»\n"
     "FIELD off=3 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "END body=9\n"},
    /* 7: NUL, bare CR and 8-bit that is not UTF-8 in values */
    {"A: a\0b\nB: c\rd\nC: \xe9t\xc3\xa9\n\n",
     "d=nul@4\n"
     "FIELD off=0 raw=7 eol=1 def=20 name=«A» value=«a\0b»\n"
     "d=bare-cr@11\n"
     "FIELD off=7 raw=7 eol=1 def=40 name=«B» value=«c\rd»\n"
     "d=8bit-header@17\n"
     "FIELD off=14 raw=8 eol=1 def=10 name=«C» value=«\xe9t\xc3\xa9»\n"
     "END body=23\n"},
    /* 8: input ends inside a field */
    {"A: 1\nB: 2",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=eof-in-header@9\n"
     "FIELD off=5 raw=4 eol=0 def=400 name=«B» value=«2»\n"
     "END body=9\n"},
    /* 9: no body at all (valid: message = fields [CRLF body]) */
    {"A: 1\r\n",
     "FIELD off=0 raw=6 eol=2 def=0 name=«A» value=«1»\nEND body=6\n"},
    /* 10: empty input, and a blank line only */
    {"", "END body=0\n"},
    {"\r\nbody", "END body=2\n"},
    /* 12: 8-bit field name, empty name */
    {"X-\xc3\xa9: 1\n: 2\n\n",
     "d=bad-field-name@2\n"
     "FIELD off=0 raw=8 eol=1 def=200 name=«X-\xc3\xa9» value=«1»\n"
     "d=bad-field-name@8\n"
     "FIELD off=8 raw=4 eol=1 def=200 name=«» value=«2»\n"
     "END body=13\n"},
    /* 14: the same with CRLF, where a split can fall between CR and LF */
    {"X-\xc3\xa9: 1\r\n\r\n",
     "d=bad-field-name@2\n"
     "FIELD off=0 raw=9 eol=2 def=200 name=«X-\xc3\xa9» value=«1»\n"
     "END body=11\n"},
    /* 15: control byte in the name: body; inner space: body */
    {"A\x01: 1\n", "d=no-blank-line@0\nEND body=0\n"},
    {"A: 1\nNot a: header\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    /* 16: bare CR where a line would start */
    {"A: 1\n\rX\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    /* 17: a "From " line that is a field, and one not first */
    {"From : x\n\n",
     "d=ws-before-colon@4\n"
     "FIELD off=0 raw=9 eol=1 def=2 name=«From» value=«x»\n"
     "END body=10\n"},
    {"A: 1\nFrom x\n\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    /* 19: value beginning on the next line; trailing blanks kept */
    {"A:\r\n  x \r\n\r\n",
     "FIELD off=0 raw=10 eol=2 def=0 name=«A» value=«x »\n"
     "END body=12\n"},
    /* 20: the lone CR at the very end */
    {"A: 1\n\r",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    /* 21: "F" and "From" alone at the end of input: body */
    {"F", "d=no-blank-line@0\nEND body=0\n"},
    {"From", "d=no-blank-line@0\nEND body=0\n"},
    /* 23: a header line with no colon at the end of input */
    {"A: 1\nB", "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
		"d=no-blank-line@5\nEND body=5\n"},
    /* 24: RFC 7103 7.2: a stray line between fields is an unindented
     * continuation of the field before it, LF and CRLF */
    {"Subject: reminder\nabout the game\nDate: x\n\nbody",
     "d=stray-line@18\n"
     "FIELD off=0 raw=33 eol=1 def=100000000000 name=«Subject» "
     "value=«reminder\nabout the game»\n"
     "FIELD off=33 raw=8 eol=1 def=0 name=«Date» value=«x»\n"
     "END body=42\n"},
    {"Subject: reminder\r\nabout the game\r\nDate: x\r\n\r\nbody",
     "d=stray-line@19\n"
     "FIELD off=0 raw=35 eol=2 def=100000000000 name=«Subject» "
     "value=«reminder\r\nabout the game»\n"
     "FIELD off=35 raw=9 eol=2 def=0 name=«Date» value=«x»\n"
     "END body=46\n"},
    /* 26: recipients on a stray line stay in their field */
    {"To: a@b,\r\nc@d\r\nCc: e@f\r\n\r\n",
     "d=stray-line@10\n"
     "FIELD off=0 raw=15 eol=2 def=100000000000 name=«To» "
     "value=«a@b,\r\nc@d»\n"
     "FIELD off=15 raw=9 eol=2 def=0 name=«Cc» value=«e@f»\n"
     "END body=26\n"},
    /* 27: what follows is no field: the body begins on the line */
    {"A: 1\nstray\n\nbody",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    {"A: 1\r\nstray\r\nB",
     "FIELD off=0 raw=6 eol=2 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@6\nEND body=6\n"},
    {"A: 1\nstray\n more\nB: 2\n\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    {"A: 1\nx\ny\nB: 2\n\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    {"A: 1\nx\nB : 2\n\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    {"A: 1\nx\n: 2\n\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    {"A: 1\nx", "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
		"d=no-blank-line@5\nEND body=5\n"},
    /* a delimiter after a header without its empty line is no stray,
     * nor is an mbox separator */
    {"A: 1\n--b\nB: 2\n\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    {"A: 1\nFrom b\nB: 2\n\n",
     "FIELD off=0 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "d=no-blank-line@5\nEND body=5\n"},
    /* 36: no field before it: the body (a part without header) */
    {"stray\nA: 1\n\n", "d=no-blank-line@0\nEND body=0\n"},
    /* 37: a byte order mark before a field or a From_ line: skipped */
    {"\xef\xbb\xbf" "From: a@b\n\nx",
     "d=bom@0\n"
     "FIELD off=3 raw=10 eol=1 def=0 name=«From» value=«a@b»\n"
     "END body=14\n"},
    {"\xef\xbb\xbf" "A: 1\r\n\r\n",
     "d=bom@0\n"
     "FIELD off=3 raw=6 eol=2 def=0 name=«A» value=«1»\n"
     "END body=11\n"},
    {"\xef\xbb\xbf" "From x\nA: 1\n\n",
     "d=bom@0\nd=mbox-from@3\n"
     "FROM off=3 raw=7 eol=1 def=4 name=«» value=«From x»\n"
     "FIELD off=10 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "END body=16\n"},
    /* 40: before text it is the text's */
    {"\xef\xbb\xbf" "hello\n", "d=no-blank-line@0\nEND body=0\n"},
    {"\xef\xbb", "d=no-blank-line@0\nEND body=0\n"},
    /* 42: ">From " first, or right after a From_ line: a quoted one */
    {"From a\n>From b\nA: 1\n\n",
     "d=mbox-from@0\n"
     "FROM off=0 raw=7 eol=1 def=4 name=«» value=«From a»\n"
     "d=mbox-from@7\n"
     "FROM off=7 raw=8 eol=1 def=4 name=«» value=«>From b»\n"
     "FIELD off=15 raw=5 eol=1 def=0 name=«A» value=«1»\n"
     "END body=21\n"},
    {">From b\r\nA: 1\r\n\r\n",
     "d=mbox-from@0\n"
     "FROM off=0 raw=9 eol=2 def=4 name=«» value=«>From b»\n"
     "FIELD off=9 raw=6 eol=2 def=0 name=«A» value=«1»\n"
     "END body=17\n"},
    {">From a\n>From b\nA: 1\n\n",
     "d=mbox-from@0\n"
     "FROM off=0 raw=8 eol=1 def=4 name=«» value=«>From a»\n"
     "d=no-blank-line@8\nEND body=8\n"},
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		const char *in = hcases[i].in;
		size_t n = strlen(in);
		logbuf got = {0}, want = {0};
		char label[64];

		/* Case 7 has an embedded NUL: its length is explicit. */
		if (i == 7)
			n = 23;
		snprintf(label, sizeof(label), "header case %zu", i);
		if (i != 7)
			expand(hcases[i].log, &want);
		assert_int_equal(run_machine(in, n, NULL, 0, NULL, &got, NULL),
				 MF_OK);
		if (i != 7)
			tu_assert_mem(got.p, got.n, want.p, want.n, label);
		check_splits(in, n, 1, NULL, label);
		free(got.p);
		free(want.p);
	}
}

/* Case 7 in full, since its NUL cannot sit in a C string template. */
static void
test_nul_bytes(void **state)
{
	static const char in[] = "A: a\0b\nB: c\rd\n\n";
	mf_field f[4];
	size_t nf = 4, body;
	uint64_t def = 0;

	(void)state;
	assert_int_equal(mf_headers_scan(in, sizeof(in) - 1, NULL, f, &nf,
					 &body, &def, NULL),
			 MF_OK);
	assert_int_equal(nf, 2);
	assert_int_equal(f[0].value.len, 3);
	assert_memory_equal(f[0].value.ptr, "a\0b", 3);
	assert_true(f[0].defects == MF_DEFECT_BIT(MF_D_NUL));
	assert_true(f[1].defects == MF_DEFECT_BIT(MF_D_BARE_CR));
	assert_int_equal(body, sizeof(in) - 1);
	assert_true(def == (MF_DEFECT_BIT(MF_D_NUL) |
			    MF_DEFECT_BIT(MF_D_BARE_CR)));
	{
		/* hcases[7] in full: the log with hex values and offsets. */
		logbuf got = {0};
		const char *want =
		    "d=nul@4\n"
		    "FIELD off=0 raw=7 eol=1 def=20 name=41 value=610062\n"
		    "d=bare-cr@11\n"
		    "FIELD off=7 raw=7 eol=1 def=40 name=42 value=630d64\n"
		    "d=8bit-header@17\n"
		    "FIELD off=14 raw=8 eol=1 def=10 name=43 value=e974c3a9\n"
		    "END body=23\n";

		assert_int_equal(run_machine(hcases[7].in, 23, NULL, 0, NULL,
					     &got, NULL),
				 MF_OK);
		tu_assert_str(got.p, want, "hcases[7]");
		free(got.p);
	}
}

/* Strict mode: each defect an error with its offset. */
static void
test_strict(void **state)
{
	static const struct {
		const char *in;
		int code;
		size_t off;
	} t[] = {
	    {"A: 1\nbody\n", MF_E_DEFECT, 5},
	    {"Subject : x\n\n", MF_E_DEFECT, 7},
	    {"From x\nA: 1\n\n", MF_E_DEFECT, 0},
	    {" x\n\n", MF_E_DEFECT, 0},
	    {"A: \xff\n\n", MF_E_DEFECT, 3},
	    {"A: x\ry\n\n", MF_E_DEFECT, 4},
	    {"A: 1", MF_E_DEFECT, 4},
	    {": x\n\n", MF_E_DEFECT, 0},
	    {"A: 1\nx\nB: 2\n\n", MF_E_DEFECT, 5},
	    {"A: 1\r\nx\r\nB: 2\r\n\r\n", MF_E_DEFECT, 6},
	    {"\xef\xbb\xbf" "A: 1\n\n", MF_E_DEFECT, 0},
	    {"From x\n>From y\n\n", MF_E_DEFECT, 0},
	    {"A: 1\n\n", MF_OK, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_opts o;
		mf_headers *h = NULL;
		mf_error e;
		size_t body;
		int rc;

		memset(&o, 0, sizeof(o));
		o.flags = MF_STRICT;
		memset(&e, 0, sizeof(e));
		rc = mf_headers_parse(t[i].in, strlen(t[i].in), &o, &h, &body,
				      &e);
		if (rc != t[i].code || (rc < 0 && e.offset != t[i].off))
			fail_msg("strict case %zu: rc %d off %zu", i, rc,
				 e.offset);
		if (rc == MF_OK)
			assert_non_null(h);
		else
			assert_null(h);
		mf_headers_free(h);
	}
}

/* ---------------------------------------------------------------------- */
/* Limits                                                                  */
/* ---------------------------------------------------------------------- */

static void
test_limits(void **state)
{
	mf_opts o;
	mf_headers *h;
	mf_error e;
	size_t body, i;
	char big[3000];
	logbuf l = {0};

	(void)state;
	/* max_headers: the third field and later are dropped, body intact. */
	memset(&o, 0, sizeof(o));
	o.limits.max_headers = 2;
	o.on_defect = on_defect;
	o.defect_ctx = &l;
	assert_int_equal(mf_headers_parse("A: 1\nB: 2\nC: 3\nD: 4\n\nx", 22,
					  &o, &h, &body, NULL),
			 MF_OK);
	assert_int_equal(mf_headers_count(h), 2);
	assert_int_equal(body, 21);
	assert_true(mf_headers_defects(h) & MF_DEFECT_BIT(MF_D_HEADER_LIMIT));
	tu_assert_str(l.p, "d=header-limit@10\n", "max_headers");
	mf_headers_free(h);
	o.flags = MF_STRICT;
	assert_int_equal(mf_headers_parse("A: 1\nB: 2\nC: 3\n\n", 16, &o, &h,
					  &body, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 10);

	/* max_header_bytes: the rest becomes body. */
	memset(&o, 0, sizeof(o));
	o.limits.max_header_bytes = 8;
	assert_int_equal(mf_headers_parse("A: 1\nB: 2\nC: 3\n\n", 16, &o, &h,
					  &body, NULL),
			 MF_OK);
	assert_int_equal(mf_headers_count(h), 2);
	assert_int_equal(body, 10);
	mf_headers_free(h);
	o.flags = MF_STRICT;
	assert_int_equal(mf_headers_parse("A: 1\nB: 2\nC: 3\n\n", 16, &o, &h,
					  &body, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 10);

	/* Continuation lines count too: a long field ends the block. */
	o.flags = 0;
	l.n = 0;
	o.limits.max_header_bytes = 8;
	o.on_defect = on_defect;
	o.defect_ctx = &l;
	assert_int_equal(mf_headers_parse("A: 1\n 2\n 3\n\n", 13, &o, &h,
					  &body, NULL),
			 MF_OK);
	assert_int_equal(mf_headers_count(h), 1);
	assert_int_equal(mf_headers_at(h, 0)->raw_len, 8);
	assert_int_equal(body, 8);
	tu_assert_str(l.p, "d=header-limit@8\n", "continuation limit");
	mf_headers_free(h);
	check_splits("A: 1\n 2\n 3\n\n", 13, 1, &o, "continuation limit");

	/* max_field_len: truncated value, whole raw_len, same when split. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "Long: ", 6);
	big[1500] = '\n';
	big[1501] = ' ';
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\n';
	memset(&o, 0, sizeof(o));
	o.limits.max_field_len = 100;
	{
		mf_field f[2];
		size_t nf = 2;
		uint64_t def;

		assert_int_equal(mf_headers_scan(big, sizeof(big), &o, f, &nf,
						 &body, &def, NULL),
				 MF_OK);
		assert_int_equal(nf, 1);
		assert_int_equal(f[0].raw_len, sizeof(big) - 1);
		assert_int_equal(f[0].value.len, 94);
		assert_true(f[0].defects & MF_DEFECT_BIT(MF_D_HEADER_LIMIT));
		assert_true((f[0].defects &
			     MF_DEFECT_BIT(MF_D_LONG_LINE)) == 0);
		assert_int_equal(body, sizeof(big));
	}
	check_splits(big, sizeof(big), 7, &o, "max_field_len");
	o.flags = MF_STRICT;
	assert_int_equal(mf_headers_parse(big, sizeof(big), &o, &h, &body, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 100);

	/*
	 * The look-ahead for a stray line is bounded: the line with its
	 * line end within max_field_len, the next line's name shorter, and
	 * both starting before max_header_bytes; else the body begins.
	 */
	{
		static const struct {
			const char *in;
			size_t field, bytes, nf, body;
		} t[] = {
		    {"A: 1\nxxxxx\nB: 2\n\n", 6, 0, 2, 17},
		    {"A: 1\nxxxxxx\nB: 2\n\n", 6, 0, 1, 5},
		    {"A: 1\nx\nBBBBB: 2\n\n", 6, 0, 2, 17},
		    {"A: 1\nx\nBBBBBB: 2\n\n", 6, 0, 1, 5},
		    {"A: 1\nx\nB: 2\n\n", 0, 8, 2, 13},
		    {"A: 1\nx\nB: 2\n\n", 0, 7, 1, 5},
		};

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			mf_field f[4];
			size_t nf = 4, n = strlen(t[i].in);
			char label[64];

			memset(&o, 0, sizeof(o));
			o.limits.max_field_len = t[i].field;
			o.limits.max_header_bytes = t[i].bytes;
			assert_int_equal(mf_headers_scan(t[i].in, n, &o, f, &nf,
							 &body, NULL, NULL),
					 MF_OK);
			snprintf(label, sizeof(label), "stray limit %zu", i);
			if (nf != t[i].nf || body != t[i].body)
				fail_msg("%s: %zu fields, body %zu", label, nf,
					 body);
			check_splits(t[i].in, n, 1, &o, label);
		}
	}

	/* A short max_field_len tells "no field" before "From " is seen:
	 * the From_ line is known the same at every split. */
	memset(&o, 0, sizeof(o));
	o.limits.max_field_len = 2;
	check_splits("From x\nA: 1\n\n", 13, 1, &o, "From_ line, short");
	check_splits(">From x\nA: 1\n\n", 14, 1, &o, ">From_ line, short");

	/* Lines over 998 octets are a defect at the 999th octet. */
	memset(&o, 0, sizeof(o));
	for (i = 0; i < 2; i++) {
		mf_field f[2];
		size_t nf = 2;

		assert_int_equal(mf_headers_scan(big, sizeof(big), &o, f, &nf,
						 &body, NULL, NULL),
				 MF_OK);
		assert_true(f[0].defects & MF_DEFECT_BIT(MF_D_LONG_LINE));
	}
	/* Strict: MF_E_DEFECT at the 999th octet of the first long line. */
	o.flags = MF_STRICT;
	assert_int_equal(mf_headers_parse(big, sizeof(big), &o, &h, &body, &e),
			 MF_E_DEFECT);
	assert_int_equal(e.offset, 998);
	check_splits(big, sizeof(big), 13, NULL, "long lines");
	free(l.p);
}

/* ---------------------------------------------------------------------- */
/* APIs: parse, index, scan                                                */
/* ---------------------------------------------------------------------- */

static void
test_index(void **state)
{
	static const char in[] = "From x Mon Jan  1 00:00:00 2024\n"
				 "Received: a\nSubject: s\nreceived: b\n"
				 "RECEIVED: c\n\nbody";
	mf_headers *h;
	const mf_field *f;
	size_t it = 0, body, nf;
	mf_str from;
	mf_field arr[8];
	mf_error e;
	const char *want[] = {"a", "b", "c"};
	int k = 0;

	(void)state;
	assert_int_equal(mf_headers_parse(in, sizeof(in) - 1, NULL, &h, &body,
					  NULL),
			 MF_OK);
	assert_int_equal(mf_headers_count(h), 4);
	assert_true(mf_headers_mbox_from(h, &from));
	tu_assert_mem(from.ptr, from.len, "From x Mon Jan  1 00:00:00 2024",
		      31, "mbox from");
	while ((f = mf_headers_get(h, "received", 8, &it)) != NULL) {
		assert_true(k < 3);
		tu_assert_mem(f->value.ptr, f->value.len, want[k], 1, "dup");
		k++;
	}
	assert_int_equal(k, 3);
	it = 0;
	assert_null(mf_headers_get(h, "Subjec", 6, &it));
	it = 0;
	f = mf_headers_get(h, "SUBJECT", 7, &it);
	assert_non_null(f);
	assert_ptr_equal(f, mf_headers_at(h, 1));
	assert_null(mf_headers_at(h, 4));
	assert_null(mf_headers_get(h, "", 0, NULL));
	assert_int_equal(memcmp(in + body, "body", 4), 0);
	assert_true(mf_headers_defects(h) == MF_DEFECT_BIT(MF_D_MBOX_FROM));
	mf_headers_free(h);
	mf_headers_free(NULL);
	assert_int_equal(mf_headers_count(NULL), 0);

	/* scan: the From_ line is the bytes before the first field. */
	nf = 8;
	assert_int_equal(mf_headers_scan(in, sizeof(in) - 1, NULL, arr, &nf,
					 &body, NULL, NULL),
			 MF_OK);
	assert_int_equal(nf, 4);
	assert_int_equal(arr[0].offset, 32);
	nf = 2;
	assert_int_equal(mf_headers_scan(in, sizeof(in) - 1, NULL, arr, &nf,
					 &body, NULL, &e),
			 MF_E_NOSPC);
	assert_int_equal(nf, 2);
	assert_int_equal(e.offset, 55);
	assert_int_equal(mf_headers_scan(in, 1, NULL, NULL, NULL, NULL, NULL,
					 NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_headers_parse(NULL, 1, NULL, &h, NULL, NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_headers_parse(in, 1, NULL, NULL, NULL, NULL),
			 MF_E_INVAL);
	/* No headers at all: zero fields. */
	assert_int_equal(mf_headers_parse(NULL, 0, NULL, &h, &body, NULL),
			 MF_OK);
	assert_int_equal(mf_headers_count(h), 0);
	assert_int_equal(body, 0);
	mf_headers_free(h);
}

static void
test_machine_misuse(void **state)
{
	mf__hdr h;
	mf__hdr_ev ev;
	size_t used;

	(void)state;
	mf__hdr_init(&h, NULL, 100);
	assert_int_equal(mf__hdr_feed(&h, "\n", 1, false, &used, &ev), MF_OK);
	assert_int_equal(ev.type, MF__HDR_END);
	assert_int_equal(ev.body_off, 101);
	assert_int_equal(mf__hdr_feed(&h, "x", 1, false, &used, &ev),
			 MF_E_STATE);
	mf__hdr_fini(&h);
	mf__hdr_init(&h, NULL, 0);
	assert_int_equal(mf__hdr_feed(&h, NULL, 3, false, &used, &ev),
			 MF_E_INVAL);
	assert_int_equal(h.err.code, MF_E_INVAL);
	assert_int_equal(mf__hdr_feed(&h, "A", 1, false, &used, &ev),
			 MF_E_INVAL);
	mf__hdr_fini(&h);
}

/* ---------------------------------------------------------------------- */
/* OOM and guard pages                                                     */
/* ---------------------------------------------------------------------- */

static const char oom_msg[] =
    "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "From: x@y\r\nTo: a@b,\r\n c@d\r\nSubject: hello\r\n"
    "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\n"
    "I: 1\r\nJ: 2\r\nK: 3\r\nL: 4\r\nM: 5\r\nN: 6\r\nO: 7\r\nP: 8\r\n"
    "Q: 1\r\nR: 2\r\nS: 3\r\nT: 4\r\nU: 5\r\nV: 6\r\nW: 7\r\nX: 8\r\n"
    "Y: 1\r\nZ: 2\r\n\r\nbody";

static int
parse_oom(const mf_alloc *a, void *ctx)
{
	mf_opts o;
	mf_headers *h;
	size_t body;
	int rc;

	(void)ctx;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	rc = mf_headers_parse(oom_msg, sizeof(oom_msg) - 1, &o, &h, &body,
			      NULL);
	if (rc < 0)
		return rc;
	if (mf_headers_count(h) != 36 || body != sizeof(oom_msg) - 5)
		rc = MF_E_INVAL;
	mf_headers_free(h);
	return rc;
}

/* The machine buffering a field split across chunks. */
static int
machine_oom(const mf_alloc *a, void *ctx)
{
	mf_opts o;
	mf__hdr h;
	mf__hdr_ev ev;
	size_t used, k, nf = 0, cut = 70;
	int rc = MF_OK;

	(void)ctx;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	mf__hdr_init(&h, &o, 0);
	for (k = 0; k < 2 && rc >= 0; k++) {
		/* The second chunk from what the first did not consume. */
		const char *p = k == 0 ? oom_msg : oom_msg + h.pos;
		size_t n = k == 0 ? cut : sizeof(oom_msg) - 1 - (size_t)h.pos;

		for (;;) {
			rc = mf__hdr_feed(&h, p, n, k == 1, &used, &ev);
			if (rc != MF_OK)
				break;
			p += used;
			n -= used;
			if (ev.type == MF__HDR_FIELD)
				nf++;
			if (ev.type == MF__HDR_END)
				break;
		}
		if (rc == MF_MORE)
			rc = MF_OK;
	}
	mf__hdr_fini(&h);
	if (rc >= 0 && nf != 36)
		rc = MF_E_INVAL;
	return rc;
}

static void
test_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(parse_oom, NULL) >= 2);
	assert_true(tu_oom_loop(machine_oom, NULL) >= 1);
}

static void
test_guard(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		tu_guard g;
		size_t n = i == 7 ? 23 : strlen(hcases[i].in), k, body;
		const char *p = tu_guard_new(&g, hcases[i].in, n);
		mf_headers *h;

		/* Every prefix: the machine must never read past the end. */
		for (k = 0; k <= n; k++) {
			assert_int_equal(mf_headers_parse(p + n - k, k, NULL,
							  &h, &body, NULL),
					 MF_OK);
			mf_headers_free(h);
		}
		tu_guard_free(&g);
	}
}

/* ---------------------------------------------------------------------- */
/* Unfolding                                                               */
/* ---------------------------------------------------------------------- */

static void
test_unfold(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"a\r\n b", "a b"},
	    {"a\n\tb\r\n  c", "a\tb  c"},
	    {"a\rb", "a\rb"},
	    {"", ""},
	    {"x\r\n", "x"},
	    {"\r\n\r\n", ""},
	    /* A stray line (RFC 7103 7.2): the line break is a space. */
	    {"reminder\r\nabout it", "reminder about it"},
	    {"a\nb\r\n c", "a b c"},
	    {"a\n\nb", "a b"},
	    {"a\r\n\rb", "a\rb"},
	};
	size_t i;
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_buf_clear(b);
		assert_int_equal(mf_hdr_unfold(b, t[i].in, strlen(t[i].in)),
				 MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, t[i].in);
	}
	assert_int_equal(mf_hdr_unfold(NULL, "a", 1), MF_E_INVAL);
	assert_int_equal(mf_hdr_unfold(b, NULL, 1), MF_E_INVAL);
	mf_buf_free(b);
}

/* ---------------------------------------------------------------------- */
/* Folding                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * The folding rules, asserted on any output: lines within 998 octets (and
 * within width unless the line holds a single unbreakable stretch), no
 * line of white space only, and unfolding gives the value back.
 */
static void
check_folded(const char *name, const char *value, size_t n,
	     const char *out, size_t outlen, size_t width, bool lf,
	     const char *label)
{
	const char *eol = lf ? "\n" : "\r\n";
	size_t el = strlen(eol), nl = strlen(name);
	const char *s = out, *end = out + outlen;
	mf_buf *u = mf_buf_new(NULL);
	bool first = true;

	assert_true(outlen >= nl + 1 + el);
	assert_memory_equal(out, name, nl);
	assert_int_equal(out[nl], ':');
	assert_memory_equal(end - el, eol, el);
	while (s < end) {
		const char *e = strstr(s, eol);
		size_t len, i;
		bool blank = true;

		assert_non_null(e);
		len = (size_t)(e - s);
		if (len > 998)
			fail_msg("%s: line of %zu octets", label, len);
		for (i = 0; i < len; i++) {
			if (s[i] != ' ' && s[i] != '\t')
				blank = false;
		}
		if (blank)
			fail_msg("%s: white-space-only line", label);
		if (!first)
			assert_true(s[0] == ' ' || s[0] == '\t');
		if (len > width) {
			/* Over the width only when no break was possible:
			 * no white space before the width's end. */
			size_t from = first ? nl + 2 : 1;
			for (i = from; i < width && i < len; i++) {
				if ((s[i] == ' ' || s[i] == '\t') &&
				    strchr(value, '"') == NULL &&
				    strchr(value, '(') == NULL)
					fail_msg("%s: line over width could "
						 "break at %zu",
						 label, i);
			}
		}
		first = false;
		s = e + el;
	}
	{
		size_t vo = nl + (n > 0 ? 2 : 1);

		assert_int_equal(mf_hdr_unfold(u, out + vo, outlen - vo - el),
				 MF_OK);
		tu_assert_mem(mf_buf_data(u), mf_buf_len(u), value, n, label);
	}
	mf_buf_free(u);
}

/* Line rules alone: CRLF or LF ends, <= 998 octets, none blank. */
static void
check_folded_lines(const char *p, size_t n)
{
	const char *s = p, *end = p + n;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len, i;
		bool blank = true;

		assert_non_null(nl);
		len = (size_t)(nl - s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		assert_true(len <= 998);
		for (i = 0; i < len; i++) {
			if (s[i] != ' ' && s[i] != '\t')
				blank = false;
		}
		assert_false(blank);
		s = nl + 1;
	}
}

static void
test_fold_gmime(void **state)
{
	tj *v = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *t = tj_path(v, "tables.header_folding.entries");
	mf_buf *b = mf_buf_new(NULL);
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < t->len; i++) {
		size_t n, wn;
		const char *in = tj_bytes(tj_get(tj_at(t, i), "input"), &n);
		const char *want = tj_bytes(tj_get(tj_at(t, i), "folded"), &wn);
		const char *colon = memchr(in, ':', n);
		const char *val = colon + 2;
		size_t vn = n - (size_t)(val - in);
		char label[64];

		snprintf(label, sizeof(label), "gmime folding %zu", i);
		mf_buf_clear(b);
		assert_int_equal(mf_hdr_fold(b, in, (size_t)(colon - in), val,
					     vn, MF_LF, 0, NULL),
				 MF_OK);
		check_folded("Subject", val, vn, mf_buf_data(b), mf_buf_len(b),
			     78, true, label);
		if (i == 0) {
			/* Words that fit: the same breaks as GMime. */
			tu_assert_mem(mf_buf_data(b), mf_buf_len(b), want, wn,
				      label);
		} else {
			/*
			 * GMime encodes words longer than 77 octets as
			 * encoded words; RFC 5322 only needs 998, so they
			 * stay as they are, each on its own line.
			 */
			assert_int_equal(mf_buf_len(b), n + 3 * 1 + 1);
		}
	}
	mf_buf_free(b);
	tj_free(v);
}

static void
test_fold_rules(void **state)
{
	static const struct {
		const char *name, *value;
		size_t width;
		const char *want;
	} t[] = {
	    /* Fits: unchanged. */
	    {"Subject", "hello world", 0, "Subject: hello world\r\n"},
	    {"Subject", "", 0, "Subject:\r\n"},
	    /* Unstructured: at spaces. */
	    {"Subject", "aaaa bbbb cccc dddd", 14,
	     "Subject: aaaa\r\n bbbb cccc\r\n dddd\r\n"},
	    /* Runs of spaces: the break takes the whole run. */
	    {"Subject", "aaaa    bbbb", 14, "Subject: aaaa\r\n    bbbb\r\n"},
	    /* Trailing white space never starts a line. */
	    {"Subject", "aaaa bbbb   ", 10, "Subject: aaaa\r\n bbbb   \r\n"},
	    /* Address lists: after commas before spaces in phrases. */
	    {"To", "Ann Lee <a@x.org>, Bob Ray <b@x.org>", 30,
	     "To: Ann Lee <a@x.org>,\r\n Bob Ray <b@x.org>\r\n"},
	    {"To", "G: a@x, b@y; c@z", 14, "To: G: a@x,\r\n b@y; c@z\r\n"},
	    {"To", "G: a@x, b@y; c@z", 8, "To: G:\r\n a@x,\r\n b@y;\r\n c@z\r\n"},
	    /* Never inside a quoted string when another break fits. */
	    {"To", "\"A B C D\" <a@x>, e@f", 20,
	     "To: \"A B C D\" <a@x>,\r\n e@f\r\n"},
	    /* Parameters after ";". */
	    {"Content-Type", "text/plain; charset=us-ascii; format=flowed", 40,
	     "Content-Type: text/plain;\r\n charset=us-ascii; format=flowed\r\n"},
	    /* Message-ids between ids. */
	    {"References", "<a@b> <c@d> <e@f>", 20,
	     "References: <a@b>\r\n <c@d> <e@f>\r\n"},
	    /* Received before clause keywords and after ";". */
	    {"Received", "from a.example by b.example with ESMTP; date", 28,
	     "Received: from a.example\r\n by b.example with ESMTP;\r\n date\r\n"},
	};
	mf_buf *b = mf_buf_new(NULL);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char label[64];
		size_t w = t[i].width ? t[i].width : 78;

		snprintf(label, sizeof(label), "fold %zu", i);
		mf_buf_clear(b);
		assert_int_equal(mf_hdr_fold(b, t[i].name, strlen(t[i].name),
					     t[i].value, strlen(t[i].value), 0,
					     t[i].width, NULL),
				 MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, label);
		check_folded(t[i].name, t[i].value, strlen(t[i].value),
			     mf_buf_data(b), mf_buf_len(b), w, false, label);
	}
	mf_buf_free(b);
}

static void
test_fold_errors(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_error e;
	char big[1200];
	size_t i;

	(void)state;
	assert_int_equal(mf_buf_append(b, "keep", 4), MF_OK);
	/* Header injection. */
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, "a\r\nBcc: x", 9, 0, 0,
				     &e),
			 MF_E_INVAL);
	assert_int_equal(e.offset, 1);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, "a\nb", 3, 0, 0, &e),
			 MF_E_INVAL);
	assert_int_equal(e.offset, 1);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, "ab\0", 3, 0, 0, &e),
			 MF_E_INVAL);
	assert_int_equal(e.offset, 2);
	assert_int_equal(mf_hdr_fold(b, "Sub ject", 8, "a", 1, 0, 0, &e),
			 MF_E_INVAL);
	assert_int_equal(mf_hdr_fold(b, "", 0, "a", 1, 0, 0, &e), MF_E_INVAL);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, "\xff", 1, MF_UTF8_OUT,
				     0, &e),
			 MF_E_INVAL);
	assert_int_equal(mf_hdr_fold(NULL, "S", 1, "a", 1, 0, 0, &e),
			 MF_E_INVAL);
	/* A word that no break can bring under 998 octets (structured). */
	memset(big, 'a', sizeof(big));
	big[0] = '<';
	big[sizeof(big) - 1] = '>';
	assert_int_equal(mf_hdr_fold(b, "Message-ID", 10, big, sizeof(big), 0,
				     0, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 0);
	/* out is unchanged by every failure. */
	tu_assert_str(mf_buf_data(b), "keep", "unchanged");
	/* Inside a quoted string only to stay within 998. */
	big[0] = '"';
	big[600] = ' ';
	big[sizeof(big) - 1] = '"';
	mf_buf_clear(b);
	assert_int_equal(mf_hdr_fold(b, "To", 2, big, sizeof(big), 0, 0, &e),
			 MF_OK);
	for (i = 0; i < mf_buf_len(b); i++) {
		if (mf_buf_data(b)[i] == '\r')
			break;
	}
	assert_int_equal(i, 4 + 600);
	/* UTF-8 kept with MF_UTF8_OUT. */
	mf_buf_clear(b);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, "caf\xc3\xa9", 5,
				     MF_UTF8_OUT | MF_LF, 0, &e),
			 MF_OK);
	tu_assert_str(mf_buf_data(b), "Subject: caf\xc3\xa9\n", "utf8");
	mf_buf_free(b);
}

static int
fold_oom(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	const char *v = "Ann Lee <a@x.org>, Bob Ray <b@x.org>, Cy <c@x.org>";
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	rc = mf_hdr_fold(b, "To", 2, v, strlen(v), 0, 20, NULL);
	if (rc == MF_OK && mf_buf_len(b) < strlen(v))
		rc = MF_E_INVAL;
	if (rc == MF_OK)
		rc = mf_hdr_unfold(b, v, strlen(v));
	mf_buf_free(b);
	return rc;
}

static void
test_fold_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(fold_oom, NULL) >= 2);
}

/* Random values: fold then unfold is the identity; rules hold. */
static void
test_fold_random(void **state)
{
	static const char alpha[] = "ab ,;<>\"()@.\\x\t:";
	static const char *names[] = {"Subject", "To", "Content-Type",
				      "References", "Received"};
	mf_buf *b = mf_buf_new(NULL);
	tu_rng r;
	size_t round, rounds = tu_slow_ok() ? 20000 : 500;

	(void)state;
	tu_rng_seed(&r, 42);
	for (round = 0; round < rounds; round++) {
		char v[300];
		size_t n = tu_rng_below(&r, sizeof(v)), i;
		size_t w = 10 + tu_rng_below(&r, 80);
		const char *name = names[round % 5];
		char label[48];
		int rc;

		for (i = 0; i < n; i++)
			v[i] = alpha[tu_rng_below(&r, sizeof(alpha) - 1)];
		mf_buf_clear(b);
		rc = mf_hdr_fold(b, name, strlen(name), v, n, 0, w, NULL);
		assert_int_equal(rc, MF_OK);
		snprintf(label, sizeof(label), "random fold %zu", round);
		{
			/* check_folded needs a NUL-terminated value. */
			char *vz = malloc(n + 1);
			memcpy(vz, v, n);
			vz[n] = '\0';
			check_folded(name, vz, n, mf_buf_data(b),
				     mf_buf_len(b), 998, false, label);
			free(vz);
		}
	}
	mf_buf_free(b);
}

/* ---------------------------------------------------------------------- */
/* Decoding and 7-bit folding                                              */
/* ---------------------------------------------------------------------- */

static void
test_decode(void **state)
{
	static const struct {
		const char *in, *want;
		uint64_t defects;
		const char *log; /* defects with offsets in the raw value */
	} t[] = {
	    {"Hello\r\n world", "Hello world", 0, ""},
	    {"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab", 0, ""},
	    {"=?iso-8859-1?Q?Caf=E9?=\n\tx", "Caf\xc3\xa9\tx", 0, ""},
	    {"x\r\n =?utf-8?x?abc?=", "x =?utf-8?x?abc?=",
	     MF_DEFECT_BIT(MF_D_EW_MALFORMED), "d=ew-malformed@4\n"},
	    {"a\r\n\r\n b =?utf-8?q?=ZZ?=", "a b =ZZ",
	     MF_DEFECT_BIT(MF_D_QP_INVALID), "d=qp-invalid@18\n"},
	    /* A stray line's break is a space; offsets still map back. */
	    {"a\nb =?utf-8?q?=ZZ?=", "a b =ZZ",
	     MF_DEFECT_BIT(MF_D_QP_INVALID), "d=qp-invalid@14\n"},
	    {"", "", 0, ""},
	};
	mf_buf *b = mf_buf_new(NULL);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		logbuf l = {0};
		mf_opts o;
		uint64_t def = 0;
		mf_error e;
		int rc;

		memset(&o, 0, sizeof(o));
		o.on_defect = on_defect;
		o.defect_ctx = &l;
		mf_buf_clear(b);
		assert_int_equal(mf_hdr_decode(b, t[i].in, strlen(t[i].in), &o,
					       &def, NULL),
				 MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, t[i].in);
		assert_true(def == t[i].defects);
		tu_assert_str(l.p ? l.p : "", t[i].log, t[i].in);
		free(l.p);
		/* Strict: the error at the same raw offset, out unchanged. */
		o.flags = MF_STRICT;
		o.on_defect = NULL;
		mf_buf_clear(b);
		rc = mf_hdr_decode(b, t[i].in, strlen(t[i].in), &o, NULL, &e);
		if (t[i].defects == 0) {
			assert_int_equal(rc, MF_OK);
		} else {
			assert_int_equal(rc, MF_E_DEFECT);
			assert_int_equal(mf_buf_len(b), 0);
			assert_int_equal(e.offset,
					 (size_t)atoi(strchr(t[i].log, '@') + 1));
		}
	}
	assert_int_equal(mf_hdr_decode(NULL, "a", 1, NULL, NULL, NULL),
			 MF_E_INVAL);
	mf_buf_free(b);
}

/*
 * MF_SAFE_TEXT: C0 controls but TAB, DEL and C1 controls become U+FFFD,
 * whether they came from an encoded word or stood in the raw value; the
 * rest of the text is unchanged, and without the flag nothing is.
 */
static void
test_decode_safe_text(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"=?utf-8?q?a=1B[2Jb?=", "a\xef\xbf\xbd[2Jb"},
	    {"=?utf-8?q?x=0D=0Ay?=", "x\xef\xbf\xbd\xef\xbf\xbdy"},
	    {"=?utf-8?q?tab=09ok?=", "tab\tok"},
	    {"=?utf-8?q?del=7F?= c1=?utf-8?b?woU=?=",
	     "del\xef\xbf\xbd c1\xef\xbf\xbd"},
	    {"=?utf-8?q?=C2=9F=C2=A0?=", "\xef\xbf\xbd\xc2\xa0"},
	    {"raw\x07" "bell", "raw\xef\xbf\xbd" "bell"},
	    {"caf\xc3\xa9 \xc2\xa0nbsp", "caf\xc3\xa9 \xc2\xa0nbsp"},
	    {"=?utf-8?q?=00?=", "\xef\xbf\xbd"},
	};
	mf_opts o = {.flags = MF_SAFE_TEXT};
	mf_buf *b = mf_buf_new(NULL);
	size_t i;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_buf_clear(b);
		assert_int_equal(mf_buf_append(b, "keep", 4), MF_OK);
		assert_int_equal(mf_hdr_decode(b, t[i].in, strlen(t[i].in), &o,
					       NULL, NULL),
				 MF_OK);
		/* What the buffer held before is not touched. */
		assert_memory_equal(mf_buf_data(b), "keep", 4);
		tu_assert_str(mf_buf_data(b) + 4, t[i].want, t[i].in);
	}
	/* Without the flag the control comes through as decoded. */
	mf_buf_clear(b);
	assert_int_equal(mf_hdr_decode(b, "=?utf-8?q?a=1Bb?=", 17, NULL, NULL,
				       NULL),
			 MF_OK);
	assert_string_equal(mf_buf_data(b), "a\x1b" "b");
	mf_buf_free(b);
}

static int
decode_oom(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	const char *v = "=?iso-8859-1?Q?Caf=E9?=\r\n =?utf-8?B?w6k=?= x";
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	rc = mf_hdr_decode(b, v, strlen(v), NULL, NULL, NULL);
	if (rc == MF_OK && strcmp(mf_buf_data(b), "Caf\xc3\xa9\xc3\xa9 x") != 0)
		rc = MF_E_INVAL;
	if (rc == MF_OK) {
		/* MF_SAFE_TEXT copies the text once more. */
		mf_opts o = {.flags = MF_SAFE_TEXT, .alloc = *a};

		mf_buf_clear(b);
		rc = mf_hdr_decode(b, "=?utf-8?q?a=1Bb?=", 17, &o, NULL, NULL);
		if (rc == MF_OK &&
		    strcmp(mf_buf_data(b), "a\xef\xbf\xbd" "b") != 0)
			rc = MF_E_INVAL;
	}
	mf_buf_free(b);
	return rc;
}

/* Parses the folded field back and decodes its value. */
static void
refold_decode(const char *folded, size_t n, mf_buf *dec)
{
	mf_headers *h;
	size_t body;
	const mf_field *f;

	assert_int_equal(mf_headers_parse(folded, n, NULL, &h, &body, NULL),
			 MF_OK);
	assert_int_equal(mf_headers_count(h), 1);
	assert_int_equal(body, n);
	f = mf_headers_at(h, 0);
	mf_buf_clear(dec);
	assert_int_equal(mf_hdr_decode(dec, f->value.ptr, f->value.len, NULL,
				       NULL, NULL),
			 MF_OK);
	mf_headers_free(h);
}

static bool
all_7bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return false;
	}
	return true;
}

static void
test_fold_7bit(void **state)
{
	mf_buf *b = mf_buf_new(NULL), *d = mf_buf_new(NULL);
	mf_error e;
	const char *subj = "Caf\xc3\xa9 au lait et cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
			   "e pour tout le monde, avec des na\xc3\xafvet\xc3\xa9s";
	char big[1500];

	(void)state;
	/* Unstructured: encoded words, folded, decodes to the text. */
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, subj, strlen(subj), 0, 40,
				     &e),
			 MF_OK);
	assert_true(all_7bit(mf_buf_data(b), mf_buf_len(b)));
	refold_decode(mf_buf_data(b), mf_buf_len(b), d);
	tu_assert_str(mf_buf_data(d), subj, "7-bit subject");

	/* A 1400-octet word: encoded words split it within 998. */
	memset(big, 'x', sizeof(big));
	mf_buf_clear(b);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, big, 1400, 0, 0, &e),
			 MF_OK);
	check_folded_lines(mf_buf_data(b), mf_buf_len(b));
	refold_decode(mf_buf_data(b), mf_buf_len(b), d);
	tu_assert_mem(mf_buf_data(d), mf_buf_len(d), big, 1400, "long word");

	/*
	 * With MF_UTF8_OUT the value is written as it is, so unfolding the
	 * output gives it back: a word that long is MF_E_LIMIT (at the
	 * white space before it), not the value encoded (the fuzz finding
	 * header-fold-unfold: UTF-8, "=?" and controls around a 1000-octet
	 * word all became encoded words). Shorter words fold and unfold
	 * back.
	 */
	memcpy(big, "caf\xc3\xa9 =?\x11 ", 10);
	mf_buf_clear(b);
	assert_int_equal(mf_buf_append(b, "keep", 4), MF_OK);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, big, 1400, MF_UTF8_OUT,
				     0, &e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, 9);
	tu_assert_str(mf_buf_data(b), "keep", "unchanged");
	big[500] = ' ';
	mf_buf_clear(b);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, big, 1400, MF_UTF8_OUT,
				     40, &e),
			 MF_OK);
	check_folded_lines(mf_buf_data(b), mf_buf_len(b));
	mf_buf_clear(d);
	assert_int_equal(mf_hdr_unfold(d, mf_buf_data(b) + 9,
				       mf_buf_len(b) - 11),
			 MF_OK);
	tu_assert_mem(mf_buf_data(d), mf_buf_len(d), big, 1400, "raw kept");

	mf_buf_free(b);
	mf_buf_free(d);
}

/* Display names become encoded phrases; the address parser reads them. */
static void
test_fold_7bit_addresses(void **state)
{
	static const struct {
		const char *value;
		const char *names; /* display names the parser must find */
	} t[] = {
	    {"Jos\xc3\xa9 N\xc3\xba\xc3\xb1" "ez <jose@example.com>, Ann <a@b.example>",
	     "Jos\xc3\xa9 N\xc3\xba\xc3\xb1" "ez|Ann"},
	    {"\"Lee, Jos\xc3\xa9\" <j@x.example>", "Lee, Jos\xc3\xa9"},
	    {"Gr\xc3\xbc\xc3\x9f" "e: a@b.example, c@d.example;",
	     "Gr\xc3\xbc\xc3\x9f" "e|||"}, /* group, 2 members, end */
	    {"a@b.example (comment), \"Z\xc3\xbcrich \\\"office\\\"\" "
	     "<z@c.example>",
	     "comment|Z\xc3\xbcrich \"office\""},
	};
	mf_buf *b = mf_buf_new(NULL);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_headers *h;
		size_t body, k;
		mf_addrs *l;
		char names[256] = "";
		const mf_field *f;

		mf_buf_clear(b);
		assert_int_equal(mf_hdr_fold(b, "To", 2, t[i].value,
					     strlen(t[i].value), 0, 0, NULL),
				 MF_OK);
		assert_true(all_7bit(mf_buf_data(b), mf_buf_len(b)));
		assert_int_equal(mf_headers_parse(mf_buf_data(b), mf_buf_len(b),
						  NULL, &h, &body, NULL),
				 MF_OK);
		f = mf_headers_at(h, 0);
		assert_int_equal(mf_addrs_parse(f->value.ptr, f->value.len,
						NULL, &l, NULL),
				 MF_OK);
		for (k = 0; k < mf_addrs_count(l); k++) {
			const mf_addr *a = mf_addrs_at(l, k);
			mf_buf *dn = mf_buf_new(NULL);

			/* mf_addr names keep encoded words: decode them. */
			assert_int_equal(mf_hdr_decode(dn, a->name.ptr,
						       a->name.len, NULL, NULL,
						       NULL),
					 MF_OK);
			if (k)
				strcat(names, "|");
			strcat(names, mf_buf_data(dn));
			mf_buf_free(dn);
		}
		tu_assert_str(names, t[i].names, t[i].value);
		mf_addrs_free(l);
		mf_headers_free(h);
	}
	mf_buf_free(b);
}

static void
test_fold_7bit_errors(void **state)
{
	static const struct {
		const char *name, *value;
		size_t off;
	} t[] = {
	    {"To", "j\xc3\xb6s\xc3\xa9@example.com", 1},
	    {"To", "Ann <a@b> (J\xc3\xb6s\xc3\xa9)", 12},
	    {"To", "Ann <j\xc3\xb6@b>", 6},
	    {"To", "Ann <a@[\xc3\xb6]>", 8},
	    {"Content-Type", "text/plain; name=\xc3\xb6", 17},
	    {"Message-ID", "<\xc3\xb6@b>", 1},
	};
	mf_buf *b = mf_buf_new(NULL);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_error e;
		int rc = mf_hdr_fold(b, t[i].name, strlen(t[i].name), t[i].value,
				     strlen(t[i].value), 0, 0, &e);

		if (rc != MF_E_UTF8_OUT || e.offset != t[i].off)
			fail_msg("7-bit error %zu: rc %d off %zu", i, rc,
				 e.offset);
		assert_int_equal(mf_buf_len(b), 0);
		/* With MF_UTF8_OUT they are written as they are. */
		assert_int_equal(mf_hdr_fold(b, t[i].name, strlen(t[i].name),
					     t[i].value, strlen(t[i].value),
					     MF_UTF8_OUT, 0, &e),
				 MF_OK);
		mf_buf_clear(b);
	}
	mf_buf_free(b);
}

static int
fold7_oom(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	const char *s = "Caf\xc3\xa9 cr\xc3\xa8me";
	const char *to = "Jos\xc3\xa9 <j@x.example>, \"L\xc3\xa9, A\" <a@b.c>";
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	rc = mf_hdr_fold(b, "Subject", 7, s, strlen(s), 0, 10, NULL);
	if (rc == MF_OK)
		rc = mf_hdr_fold(b, "To", 2, to, strlen(to), 0, 10, NULL);
	mf_buf_free(b);
	return rc;
}

static void
test_decode_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(decode_oom, NULL) >= 2);
	assert_true(tu_oom_loop(fold7_oom, NULL) >= 4);
}

/* Every line of p[0..n) within width columns. */
static void
check_width(const char *p, size_t n, size_t width, const char *label)
{
	const char *s = p, *end = p + n;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len;

		assert_non_null(nl);
		len = (size_t)(nl - s);
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len > width)
			fail_msg("%s: line of %zu columns: %.*s", label, len,
				 (int)len, s);
		s = nl + 1;
	}
}

/*
 * Issue 8 interop findings, fixed in the header layer: B words with
 * padding before another word (GMime joins the base64 of adjacent B
 * words: "Пр"), a first line of 84 columns (the "Subject: " prefix not
 * counted when sizing the first word), ASCII encoded-word look-alikes
 * written as they are (every reader decoded them), a short display name
 * split in two words (Python keeps the space between them: "Ελέ νη").
 */
static void
test_fold_issue8(void **state)
{
	static const struct {
		const char *name, *value, *want;
	} t[] = {
	    {"Subject",
	     "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xba\xd0\xb0"
	     "\xd0\xba \xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb0? \xd0\x81\xd0\xb6\xd0\xb8"
	     "\xd0\xba \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xba"
	     "\xd0\xb0\xd0\xba \xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb0? \xd0\x81\xd0\xb6"
	     "\xd0\xb8\xd0\xba",
	     "Subject: =?utf-8?B?0J/RgNC40LLQtdGCLCDQutCw0Log0LTQtdC70LA/INCB0LbQuNC6"
	     "INCf?=\r\n =?utf-8?B?0YDQuNCy0LXRgiwg0LrQsNC6INC00LXQu9CwPyDQgdC20LjQ"
	     "ug==?=\r\n"},
	    /* look-alikes are encoded, so they read back as text */
	    {"Subject", "=?utf-8?q?x?=",
	     "Subject: =?utf-8?B?PT91dGYtOD9xP3g/PQ==?=\r\n"},
	    {"Subject", "a =?x?q?y?= b",
	     "Subject: a =?utf-8?B?PT94P3E/eT89?= b\r\n"},
	    {"Subject", "a line-ending lookalike ?= =?",
	     "Subject: a line-ending lookalike ?= =?utf-8?B?PT8=?=\r\n"},
	    /* a short name is one word, the field folded before it */
	    {"To",
	     "\xce\x95\xce\xbb\xce\xad\xce\xbd\xce\xb7 <x@y>, \"Zo\xc3\xab "
	     "M\xc3\xbcller\" <a@b>, \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f"
	     "\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2 <c@d>",
	     "To: =?utf-8?B?zpXOu86tzr3Otw==?= <x@y>, "
	     "=?utf-8?B?Wm/DqyBNw7xsbGVy?= <a@b>,\r\n"
	     " =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <c@d>\r\n"},
	};
	/* Long subjects in many scripts: every line <= 78 columns. */
	static const char *const scripts[] = {
	    "Gr\xc3\xbc\xc3\x9f" "e aus Z\xc3\xbcrich, \xc5\x92uvre \xc3\xa0 "
	    "l'\xc3\xa9t\xc3\xa9",
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xba\xd0\xb0"
	    "\xd0\xba \xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb0?",
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3"
	    "\x82\xad\xe3\x82\xb9\xe3\x83\x88\xe3\x80\x81\xe6\xbc\xa2\xe5\xad"
	    "\x97",
	    "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xec\xa0\x9c\xeb\xaa\xa9",
	    "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84"
	    "\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85",
	    "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0"
	    "\xa5\x87 \xe0\xa4\xa6\xe0\xa5\x81\xe0\xa4\xa8\xe0\xa4\xbf\xe0\xa4"
	    "\xaf\xe0\xa4\xbe",
	    "emoji \xf0\x9f\x98\x80\xf0\x9f\x8e\x89 and \xf0\x9d\x84\x9e",
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xd0\xb4\xf0\x9f\x98\x80\xd0\xb4"
	    "\xf0\x9f\x98\x80\xd0\xb4\xf0\x9f\x98\x80\xd0\xb4",
	    "plain ASCII words", "=?utf-8?q?not_an_encoded_word?= as typed",
	    "tabs\tand  double  spaces",
	};
	static const char *const names[] = {"Subject", "X-A-Rather-Long-Name",
					    "Comments"};
	mf_buf *b = mf_buf_new(NULL), *d = mf_buf_new(NULL), *v = mf_buf_new(NULL);
	mf_error e;
	size_t i, k, round;
	tu_rng r;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_buf_clear(b);
		assert_int_equal(mf_hdr_fold(b, t[i].name, strlen(t[i].name),
					     t[i].value, strlen(t[i].value), 0,
					     78, &e),
				 MF_OK);
		tu_assert_str(mf_buf_data(b), t[i].want, t[i].value);
		if (strcmp(t[i].name, "Subject") == 0) {
			refold_decode(mf_buf_data(b), mf_buf_len(b), d);
			tu_assert_str(mf_buf_data(d), t[i].value, "read back");
		}
	}
	/* With MF_UTF8_OUT the value is written as it is (MF_RAW's path). */
	mf_buf_clear(b);
	assert_int_equal(mf_hdr_fold(b, "Subject", 7, "a =?x?q?y?= b", 13,
				     MF_UTF8_OUT, 78, &e),
			 MF_OK);
	tu_assert_str(mf_buf_data(b), "Subject: a =?x?q?y?= b\r\n", "raw");
	tu_rng_seed(&r, 8);
	for (round = 0; round < 300; round++) {
		size_t nw = 1 + tu_rng_below(&r, 14);
		const char *name = names[round % 3];

		mf_buf_clear(v);
		for (k = 0; k < nw; k++) {
			const char *w = scripts[tu_rng_below(
			    &r, sizeof(scripts) / sizeof(scripts[0]))];

			if (k > 0)
				assert_int_equal(mf_buf_append(v, " ", 1),
						 MF_OK);
			assert_int_equal(mf_buf_append(v, w, strlen(w)), MF_OK);
		}
		mf_buf_clear(b);
		assert_int_equal(mf_hdr_fold(b, name, strlen(name),
					     mf_buf_data(v), mf_buf_len(v), 0,
					     78, &e),
				 MF_OK);
		check_width(mf_buf_data(b), mf_buf_len(b), 78, mf_buf_data(v));
		refold_decode(mf_buf_data(b), mf_buf_len(b), d);
		tu_assert_mem(mf_buf_data(d), mf_buf_len(d), mf_buf_data(v),
			      mf_buf_len(v), "scripts read back");
	}
	mf_buf_free(b);
	mf_buf_free(d);
	mf_buf_free(v);
}

/* Random UTF-8 text: 7-bit fold, parse, decode gives the text back. */
static void
test_fold_7bit_random(void **state)
{
	static const char *words[] = {"a", "caf\xc3\xa9", "\xe2\x82\xac", "na\xc3\xafve",
				      "xyzzy", "\xf0\x9f\x98\x80", "=?", "q",
				      "\xc3\x9f\xc3\x9f\xc3\x9f\xc3\x9f"};
	mf_buf *b = mf_buf_new(NULL), *d = mf_buf_new(NULL);
	tu_rng r;
	size_t round, rounds = tu_slow_ok() ? 3000 : 200;

	(void)state;
	tu_rng_seed(&r, 99);
	for (round = 0; round < rounds; round++) {
		char v[400];
		size_t n = 0, k, nw = 1 + tu_rng_below(&r, 30);

		for (k = 0; k < nw; k++) {
			const char *w = words[tu_rng_below(&r, 9)];

			if (k)
				v[n++] = ' ';
			memcpy(v + n, w, strlen(w));
			n += strlen(w);
		}
		v[n] = '\0';
		mf_buf_clear(b);
		assert_int_equal(mf_hdr_fold(b, "Subject", 7, v, n, 0,
					     20 + tu_rng_below(&r, 60), NULL),
				 MF_OK);
		assert_true(all_7bit(mf_buf_data(b), mf_buf_len(b)));
		check_folded_lines(mf_buf_data(b), mf_buf_len(b));
		refold_decode(mf_buf_data(b), mf_buf_len(b), d);
		tu_assert_str(mf_buf_data(d), v, "7-bit random");
	}
	mf_buf_free(b);
	mf_buf_free(d);
}

/* ---------------------------------------------------------------------- */
/* The corpus                                                              */
/* ---------------------------------------------------------------------- */

static bool
is_message(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	if (strstr(path, "/vectors/") != NULL)
		return false;
	dot = strrchr(base, '.');
	if (dot == NULL)
		return strstr(path, "spamassassin/") != NULL &&
		       strcmp(base, "LICENSE") != 0 &&
		       strcmp(base, "NOTICE") != 0;
	return strcmp(dot, ".eml") == 0 || strcmp(dot, ".txt") == 0 ||
	       strcmp(dot, ".msg") == 0 || strcmp(dot, ".mbox") == 0;
}

static bool
is_mbox(const char *path)
{
	return strstr(path, ".mbox") != NULL;
}

static bool
foldable(const mf_field *f)
{
	size_t i;

	if (f->name.len == 0 || f->name.len > 900)
		return false;
	for (i = 0; i < f->name.len; i++) {
		unsigned char c = (unsigned char)f->name.ptr[i];
		if (c <= 32 || c >= 127 || c == ':')
			return false;
	}
	return true;
}

static size_t corpus_msgs, corpus_fields, corpus_refolds;

/* Byte accounting, split equivalence and re-folding of one message. */
static void
check_message(const char *p, size_t n, const char *label)
{
	mf_field *f;
	size_t nf = 2000, body, i, pos = 0, stride;
	uint64_t def;
	mf_buf *u = mf_buf_new(NULL), *b = mf_buf_new(NULL);

	f = calloc(nf, sizeof(*f));
	assert_non_null(f);
	if (mf_headers_scan(p, n, NULL, f, &nf, &body, &def, NULL) != MF_OK)
		fail_msg("%s: scan failed", label);
	corpus_msgs++;
	corpus_fields += nf;
	/* Every byte: [byte order mark] [From_ line] fields... [blank
	 * line] body. */
	if (def & MF_DEFECT_BIT(MF_D_BOM)) {
		assert_true(n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0);
		pos = 3;
	}
	if (def & MF_DEFECT_BIT(MF_D_MBOX_FROM)) {
		assert_true(n >= pos + 5 && memcmp(p + pos, "From ", 5) == 0);
		pos = nf > 0 ? (size_t)f[0].offset : body;
		assert_true(pos > 0 && p[pos - 1] == '\n');
	}
	for (i = 0; i < nf; i++) {
		if (f[i].offset != pos)
			fail_msg("%s: field %zu at %llu, expected %zu", label,
				 i, (unsigned long long)f[i].offset, pos);
		assert_true(f[i].name.len == 0 ||
			    f[i].name.ptr == p + f[i].offset);
		assert_true(f[i].value.ptr >= p + pos &&
			    f[i].value.ptr + f[i].value.len <=
				p + pos + f[i].raw_len);
		pos += f[i].raw_len;
	}
	if (def & MF_DEFECT_BIT(MF_D_NO_BLANK_LINE)) {
		assert_int_equal(body, pos);
	} else if (body != pos) {
		size_t gap = body - pos;
		assert_true((gap == 1 && p[pos] == '\n') ||
			    (gap == 2 && p[pos] == '\r' && p[pos + 1] == '\n'));
	}
	/* Re-folding: within limits, unfolds to the original. */
	for (i = 0; i < nf; i++) {
		mf_headers *h;
		size_t hb;
		const mf_field *g;
		int rc;
		unsigned fl = MF_UTF8_OUT;

		if (!foldable(&f[i]))
			continue;
		mf_buf_clear(u);
		assert_int_equal(mf_hdr_unfold(u, f[i].value.ptr,
					       f[i].value.len),
				 MF_OK);
		mf_buf_clear(b);
		rc = mf_hdr_fold(b, f[i].name.ptr, f[i].name.len,
				 mf_buf_data(u), mf_buf_len(u), fl, 0, NULL);
		if (rc == MF_E_INVAL) {
			/* Refused: NUL, bare CR or not UTF-8. */
			assert_true(f[i].defects &
				    (MF_DEFECT_BIT(MF_D_NUL) |
				     MF_DEFECT_BIT(MF_D_BARE_CR) |
				     MF_DEFECT_BIT(MF_D_8BIT_HEADER)));
			continue;
		}
		if (rc == MF_E_LIMIT) {
			assert_true(f[i].defects &
				    MF_DEFECT_BIT(MF_D_LONG_LINE));
			continue;
		}
		assert_int_equal(rc, MF_OK);
		corpus_refolds++;
		{
			char *vz = malloc(mf_buf_len(u) + 1);
			char *nz = malloc(f[i].name.len + 1);

			memcpy(vz, mf_buf_data(u), mf_buf_len(u) + 1);
			memcpy(nz, f[i].name.ptr, f[i].name.len);
			nz[f[i].name.len] = '\0';
			check_folded(nz, vz, mf_buf_len(u), mf_buf_data(b),
				     mf_buf_len(b), 998, false, label);
			free(vz);
			free(nz);
		}
		/* And it parses back to the same field. */
		assert_int_equal(mf_headers_parse(mf_buf_data(b), mf_buf_len(b),
						  NULL, &h, &hb, NULL),
				 MF_OK);
		assert_int_equal(mf_headers_count(h), 1);
		g = mf_headers_at(h, 0);
		tu_assert_mem(g->name.ptr, g->name.len, f[i].name.ptr,
			      f[i].name.len, label);
		mf_headers_free(h);
	}
	/* One-shot == incremental. */
	stride = tu_slow_ok() ? body / 400 + 1 : 211;
	check_splits(p, body + (body < n ? 1 : 0), stride ? stride : 1, NULL,
		     label);
	free(f);
	mf_buf_free(u);
	mf_buf_free(b);
}

static void
test_corpus(void **state)
{
	size_t count, i;
	char **list = tu_list("corpus", &count);

	(void)state;
	for (i = 0; i < count; i++) {
		size_t n;
		char *p;

		if (!is_message(list[i]))
			continue;
		p = tu_read(list[i], &n);
		if (is_mbox(list[i])) {
			/* Messages start at "From " at the start or after LF. */
			size_t s = 0, k;

			for (k = 0; k <= n; k++) {
				if (k == n || (k > s && p[k - 1] == '\n' &&
					       n - k >= 5 &&
					       memcmp(p + k, "From ", 5) == 0)) {
					if (k > s)
						check_message(p + s, k - s,
							      list[i]);
					s = k;
				}
			}
		} else {
			check_message(p, n, list[i]);
		}
		free(p);
	}
	tu_list_free(list);
	printf("corpus: %zu messages, %zu fields, %zu re-folded\n",
	       corpus_msgs, corpus_fields, corpus_refolds);
	assert_true(corpus_msgs > 400);
	assert_true(corpus_refolds > 4000);
}

/* RFC 5322 Appendix A: every example parses clean with its fields. */
static void
test_appendix_a(void **state)
{
	static const struct {
		const char *file;
		size_t nfields;
		uint64_t defects;
		const char *name, *value; /* one field checked */
	} t[] = {
	    {"example01.eml", 5, 0, "Subject", "Saying Hello"},
	    {"example02.eml", 6, 0, "Sender",
	     "Michael Jones <mjones@machine.example>"},
	    {"example03.eml", 5, 0, "Cc",
	     "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"},
	    {"example04.eml", 5, 0, "To",
	     "A Group:Chris Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"},
	    {"example05.eml", 5, 0, "Message-ID", "<1234@local.machine.example>"},
	    {"example06.eml", 8, 0, "Reply-To",
	     "\"Mary Smith: Personal Account\" <smith@home.example>"},
	    {"example07.eml", 7, 0, "References",
	     "<1234@local.machine.example> <3456@example.net>"},
	    {"example08.eml", 9, 0, "Resent-Message-ID", "<78910@example.net>"},
	    {"example09.eml", 7, 0, "Received",
	     "from x.y.test\r\n   by example.net\r\n   via TCP\r\n"
	     "   with ESMTP\r\n   id ABC12345\r\n"
	     "   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600"},
	    {"example10.eml", 5, 0, "Cc",
	     "(Empty list)(start)Undisclosed recipients  :(nobody(that I know))  ;"},
	    {"example11.eml", 4, 0, "Message-ID", "<5678.21-Nov-1997@example.com>"},
	    {"example12.eml", 5, 0, "Date", "21 Nov 97 09:55:06 GMT"},
	    /* A.6.3 as the fixture has it: "__" where the RFC shows a line
	     * of white space, so the body begins there. */
	    {"example13.eml", 2,
	     MF_DEFECT_BIT(MF_D_WS_BEFORE_COLON) |
		 MF_DEFECT_BIT(MF_D_NO_BLANK_LINE),
	     "From", "John Doe <jdoe@machine(comment).  example>"},
	    {"example14.eml", 10, MF_DEFECT_BIT(MF_D_MBOX_FROM), "Reply-To",
	     "rudeboyjet@gmail.com"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[160];
		size_t n, body, it = 0;
		char *p;
		mf_headers *h;
		const mf_field *f;

		snprintf(path, sizeof(path),
			 "corpus/mikel-mail/spec/fixtures/emails/rfc2822/%s",
			 t[i].file);
		p = tu_read(path, &n);
		assert_int_equal(mf_headers_parse(p, n, NULL, &h, &body, NULL),
				 MF_OK);
		if (mf_headers_count(h) != t[i].nfields)
			fail_msg("%s: %zu fields", t[i].file,
				 mf_headers_count(h));
		assert_true(mf_headers_defects(h) == t[i].defects);
		f = mf_headers_get(h, t[i].name, strlen(t[i].name), &it);
		assert_non_null(f);
		tu_assert_mem(f->value.ptr, f->value.len, t[i].value,
			      strlen(t[i].value), t[i].file);
		mf_headers_free(h);
		free(p);
	}
}

/* mikel-mail error_emails: recovered, with the defects asserted. */
static void
test_error_emails(void **state)
{
	static const struct {
		const char *file;
		const char *name;  /* a field that must be found */
		uint64_t defects;  /* exactly the block's defects */
	} t[] = {
	    {"new_line_in_to_header.eml", "Message-Id", 0},
	    {"header_fields_with_empty_values.eml", "X-MS-Has-Attach", 0},
	    {"bad_subject.eml", "MIME-Version", 0},
	    {"invalid_subject_characters.eml", "Subject",
	     MF_DEFECT_BIT(MF_D_8BIT_HEADER)},
	    {"weird_to_header.eml", "Subject", 0},
	    /* "something@bar.net>" has no colon: the body begins there. */
	    {"multiple_references_with_one_invalid.eml", "References",
	     MF_DEFECT_BIT(MF_D_NO_BLANK_LINE)},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char path[200];
		size_t n, body, it = 0;
		char *p;
		mf_headers *h;

		snprintf(path, sizeof(path),
			 "corpus/mikel-mail/spec/fixtures/emails/error_emails/%s",
			 t[i].file);
		p = tu_read(path, &n);
		assert_int_equal(mf_headers_parse(p, n, NULL, &h, &body, NULL),
				 MF_OK);
		if (mf_headers_defects(h) != t[i].defects)
			fail_msg("%s: defects %llx", t[i].file,
				 (unsigned long long)mf_headers_defects(h));
		assert_non_null(mf_headers_get(h, t[i].name, strlen(t[i].name),
					       &it));
		mf_headers_free(h);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_nul_bytes),
	    cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_index),
	    cmocka_unit_test(test_machine_misuse),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_guard),
	    cmocka_unit_test(test_unfold),
	    cmocka_unit_test(test_fold_gmime),
	    cmocka_unit_test(test_fold_rules),
	    cmocka_unit_test(test_fold_errors),
	    cmocka_unit_test(test_fold_oom),
	    cmocka_unit_test(test_fold_random),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_decode_oom),
	    cmocka_unit_test(test_fold_7bit),
	    cmocka_unit_test(test_fold_7bit_addresses),
	    cmocka_unit_test(test_fold_7bit_errors),
	    cmocka_unit_test(test_fold_7bit_random),
	    cmocka_unit_test(test_fold_issue8),
	    cmocka_unit_test(test_appendix_a),
	    cmocka_unit_test(test_decode_safe_text),
	    cmocka_unit_test(test_error_emails),
	    cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
