/* SPDX-License-Identifier: MIT */
/*
 * test_tree.c - the one-shot tree: structure and offsets against MimeKit's
 * expected results (mbox summaries, unix and dos offset files) and GMime's
 * (nested prefix boundaries), the part accessors and their RFC 2045/2046
 * defaults, navigation and the depth-first walk, the accessors of events'
 * transient parts against the tree's, trees from split parses equal to
 * one-shot trees, OOM and misuse.
 */
#include <strings.h>

#include "tutil.h"

#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* A span equals a C string. */
#define seq(a, b) mf_str_eq((a), mf_str_from(b))

static size_t
count_nl(const char *p, size_t n)
{
	size_t k = 0, i;

	for (i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* The part at path ("": root, "1": child 1, "1.m": its message, ...). */
static const mf_part *
at(const mf_msg *m, const char *path)
{
	const mf_part *p = mf_msg_root(m);

	while (p != NULL && *path != '\0') {
		if (*path == '.') {
			path++;
			continue;
		}
		if (*path == 'm') {
			p = mf_part_message(p);
			path++;
		} else {
			char *end;
			unsigned long i = strtoul(path, &end, 10);

			p = mf_part_child(p, i);
			path = end;
		}
	}
	return p;
}

/* ---------------------------------------------------------------------- */
/* MimeKit: offsets                                                        */
/* ---------------------------------------------------------------------- */

static void
check_entity(const char *in, const mf_part *p, const tj *e,
	     const char *label);

/* Parts where we deliberately differ from MimeKit (see below). */
static int deviations;

/* The fields shared by messages and entities. */
static void
check_offsets(const char *in, const mf_part *p, const tj *e, const char *label)
{
	uint64_t h, b, x;
	mf_str from;

	mf_part_offsets(p, &h, &b, &x);
	/* MimeKit counts the ">From " line of an embedded message (it has
	 * no mboxMarkerOffset there) as the start of the entity. */
	if (mf_part_depth(p) > 0 && mf_part_mbox_from(p, &from))
		h = (uint64_t)(from.ptr - in);
	/*
	 * A deliberate difference (issue1189.mbox.txt): fields followed by
	 * base64 lines with no empty line between. MimeKit reads the base64
	 * as more (invalid) header lines and leaves the body empty; we start
	 * the body at the first line that is not a field, as Python does and
	 * RFC 7103 suggests, so that the attachment is not lost.
	 */
	if (tj_int(tj_get(e, "headersEndOffset")) ==
		tj_int(tj_get(e, "endOffset")) &&
	    b < x && (mf_part_defects(p) & MF_DEFECT_BIT(MF_D_NO_BLANK_LINE)) &&
	    in[b - 1] == '\n' && memchr(in + b, ':', 40) == NULL) {
		deviations++;
		return;
	}
	if ((long)h != tj_int(tj_get(e, "beginOffset")) ||
	    (long)b != tj_int(tj_get(e, "headersEndOffset")) ||
	    (long)x != tj_int(tj_get(e, "endOffset")))
		fail_msg("%s: offsets %llu %llu %llu, want %ld %ld %ld", label,
			 (unsigned long long)h, (unsigned long long)b,
			 (unsigned long long)x,
			 tj_int(tj_get(e, "beginOffset")),
			 tj_int(tj_get(e, "headersEndOffset")),
			 tj_int(tj_get(e, "endOffset")));
	if ((long)count_nl(in, (size_t)h) + 1 !=
	    tj_int(tj_get(e, "lineNumber")))
		fail_msg("%s: line number", label);
	if ((long)(x - b) != tj_int(tj_get(e, "octets")))
		fail_msg("%s: octets", label);
}

static void
check_entity(const char *in, const mf_part *p, const tj *e, const char *label)
{
	const tj *kids = tj_get(e, "children"), *msg = tj_get(e, "message");
	const char *mt = tj_get(e, "mimeType")->str;
	mf_str t = mf_part_type(p), s = mf_part_subtype(p);
	char got[256], lab[512];
	uint64_t b, x;
	size_t lines, i;

	check_offsets(in, p, e, label);
	snprintf(got, sizeof(got), "%.*s/%.*s", (int)t.len, t.ptr,
		 (int)s.len, s.ptr);
	if (strcasecmp(got, mt) != 0)
		fail_msg("%s: type %s, want %s", label, got, mt);
	mf_part_offsets(p, NULL, &b, &x);
	if (tj_int(tj_get(e, "octets")) == 0 && x > b)
		return; /* the difference above */
	lines = count_nl(in + b, (size_t)(x - b));
	if (x > b && in[x - 1] != '\n')
		lines++;
	if ((long)lines != tj_int(tj_get(e, "lines")))
		fail_msg("%s: %zu lines", label, lines);
	if (kids != NULL) {
		assert_int_equal(mf_part_kind(p), MF_PART_MULTIPART);
		assert_int_equal(mf_part_child_count(p), kids->len);
		for (i = 0; i < kids->len; i++) {
			snprintf(lab, sizeof(lab), "%s.%zu", label, i);
			check_entity(in, mf_part_child(p, i), tj_at(kids, i), lab);
		}
	} else if (msg != NULL) {
		const mf_part *e2 = mf_part_message(p);

		assert_int_equal(mf_part_kind(p), MF_PART_MESSAGE);
		assert_non_null(e2);
		snprintf(lab, sizeof(lab), "%s.m", label);
		check_offsets(in, e2, msg, lab);
		check_entity(in, e2, tj_get(msg, "body"), lab);
	} else {
		assert_int_equal(mf_part_kind(p), MF_PART_LEAF);
	}
}

static void
mimekit_offsets(const char *mbox, const char *json, int crlf)
{
	size_t n, k, i;
	char *raw = tu_read(mbox, &n), *in = raw, label[512];
	tj *want = tj_load(json);
	mf_opts o;
	mf_msg *m;

	if (crlf)
		in = tu_eol(raw, n, 1, &k);
	else
		k = n;
	memset(&o, 0, sizeof(o));
	o.flags = MF_MBOX;
	assert_int_equal(mf_msg_parse(in, k, &o, &m, NULL), MF_OK);
	assert_int_equal(mf_msg_count(m), want->len);
	for (i = 0; i < want->len; i++) {
		const tj *e = tj_at(want, i);
		const mf_part *r = mf_msg_at(m, i);
		mf_str from;

		snprintf(label, sizeof(label), "%s%s message %zu", mbox,
			 crlf ? " (CRLF)" : "", i);
		assert_int_equal(mf_part_mbox_from(r, &from), 1);
		if ((long)(from.ptr - in) != tj_int(tj_get(e, "mboxMarkerOffset")))
			fail_msg("%s: From_ line at %ld", label,
				 (long)(from.ptr - in));
		check_offsets(in, r, e, label);
		check_entity(in, r, tj_get(e, "body"), label);
	}
	mf_msg_free(m);
	tj_free(want);
	if (crlf)
		free(in);
	free(raw);
}

static void
test_mimekit_offsets(void **state)
{
	(void)state;
	deviations = 0;
	mimekit_offsets("corpus/mimekit/UnitTests/TestData/mbox/"
			"content-length.mbox.txt",
			"corpus/mimekit/UnitTests/TestData/mbox/"
			"content-length.unix-offsets.json", 0);
	mimekit_offsets("corpus/mimekit/UnitTests/TestData/mbox/"
			"content-length.mbox.txt",
			"corpus/mimekit/UnitTests/TestData/mbox/"
			"content-length.dos-offsets.json", 1);
	mimekit_offsets("corpus/mimekit/UnitTests/TestData/mbox/"
			"issue1189.mbox.txt",
			"corpus/mimekit/UnitTests/TestData/mbox/"
			"issue1189.unix-offsets.json", 0);
	mimekit_offsets("corpus/mimekit/UnitTests/TestData/mbox/"
			"issue1189.mbox.txt",
			"corpus/mimekit/UnitTests/TestData/mbox/"
			"issue1189.dos-offsets.json", 1);
	/* The one attachment of issue1189, in LF and CRLF form. */
	assert_int_equal(deviations, 2);
}

/* ---------------------------------------------------------------------- */
/* Summaries: the From_ line and the Content-Type tree of each message      */
/* ---------------------------------------------------------------------- */

/* Appends the summary lines of root r: "From ..." and the types. */
static void
summary(const mf_part *r, char **out, size_t *len, size_t *cap)
{
	const mf_part *p = NULL;
	mf_str from;
	char line[512];
	int k;

	if (mf_part_mbox_from(r, &from)) {
		k = snprintf(line, sizeof(line), "%.*s\n", (int)from.len,
			     from.ptr);
		goto add;
	}
	for (;;) {
		mf_str t, s;

		p = mf_part_next(r, p);
		if (p == NULL)
			return;
		t = mf_part_type(p);
		s = mf_part_subtype(p);
		k = snprintf(line, sizeof(line), "%*sContent-Type: %.*s/%.*s\n",
			     (int)(3 * mf_part_depth(p)), "", (int)t.len, t.ptr,
			     (int)s.len, s.ptr);
add:
		assert_true(k > 0 && (size_t)k < sizeof(line));
		if (*len + (size_t)k + 1 > *cap) {
			*cap = (*len + (size_t)k + 1) * 2;
			*out = realloc(*out, *cap);
			assert_non_null(*out);
		}
		memcpy(*out + *len, line, (size_t)k + 1);
		*len += (size_t)k;
	}
}

/* The lines of a summary file that describe structure, lower-cased. */
static char *
summary_want(const char *rel, size_t *len)
{
	size_t n, i = 0, k = 0;
	char *p = tu_read(rel, &n), *out = malloc(n + 1);

	assert_non_null(out);
	while (i < n) {
		size_t e = i, j = i;
		int keep;

		while (e < n && p[e] != '\n')
			e++;
		while (j < e && p[j] == ' ')
			j++;
		keep = (e - j >= 13 && strncmp(p + j, "Content-Type:", 13) == 0) ||
		       (e - i >= 5 && strncmp(p + i, "From ", 5) == 0);
		if (keep) {
			memcpy(out + k, p + i, e - i);
			k += e - i;
			out[k++] = '\n';
		}
		i = e + 1;
	}
	out[k] = '\0';
	free(p);
	*len = k;
	return out;
}

static void
lower_types(char *s)
{
	/* Lower-case what follows "Content-Type: " on each line. */
	char *q = s;

	while ((q = strstr(q, "Content-Type: ")) != NULL) {
		q += 14;
		while (*q != '\0' && *q != '\n') {
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q + 32);
			q++;
		}
	}
}

static void
check_summary(const char *mbox, const char *want_rel)
{
	size_t n, wl, len = 0, cap = 0, i;
	char *in = tu_read(mbox, &n), *want = summary_want(want_rel, &wl);
	char *got = NULL;
	mf_opts o;
	mf_msg *m;

	memset(&o, 0, sizeof(o));
	o.flags = MF_MBOX;
	assert_int_equal(mf_msg_parse(in, n, &o, &m, NULL), MF_OK);
	for (i = 0; i < mf_msg_count(m); i++)
		summary(mf_msg_at(m, i), &got, &len, &cap);
	lower_types(got);
	lower_types(want);
	tu_assert_mem(got, len, want, wl, want_rel);
	free(got);
	free(want);
	mf_msg_free(m);
	free(in);
}

static void
test_summaries(void **state)
{
	(void)state;
	check_summary("corpus/mimekit/UnitTests/TestData/mbox/"
		      "content-length.mbox.txt",
		      "corpus/mimekit/UnitTests/TestData/mbox/"
		      "content-length-summary.txt");
	check_summary("corpus/mimekit/UnitTests/TestData/mbox/issue1189.mbox.txt",
		      "corpus/mimekit/UnitTests/TestData/mbox/"
		      "issue1189-summary.txt");
	check_summary("corpus/gmime/tests/data/mbox/input/substring.mbox",
		      "corpus/gmime/tests/data/mbox/output/substring.mbox");
}

/* GMime's message and header offsets of the nested prefix boundaries. */
static void
test_gmime_substring(void **state)
{
	size_t n, wn, i;
	char *in = tu_read("corpus/gmime/tests/data/mbox/input/substring.mbox",
			   &n);
	char *want = tu_read("corpus/gmime/tests/data/mbox/output/substring.mbox",
			     &wn);
	char *w = want;
	mf_opts o;
	mf_msg *m;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.flags = MF_MBOX;
	assert_int_equal(mf_msg_parse(in, n, &o, &m, NULL), MF_OK);
	assert_int_equal(mf_msg_count(m), 3);
	for (i = 0; i < 3; i++) {
		const mf_part *r = mf_msg_at(m, i), *next = mf_msg_at(m, i + 1);
		mf_str from, nf;
		uint64_t h, b, e;
		unsigned long ms, me, hs, he;
		const mf_part *p = r;
		size_t depth = 0;

		assert_int_equal(mf_part_mbox_from(r, &from), 1);
		w = strstr(w, "message offsets: ");
		assert_non_null(w);
		assert_int_equal(sscanf(w, "message offsets: %lu, %lu\n"
					   "header offsets: %lu, %lu",
					&ms, &me, &hs, &he), 4);
		w++;
		mf_part_offsets(r, &h, &b, &e);
		assert_int_equal((size_t)(from.ptr - in), ms);
		if (next != NULL) {
			assert_int_equal(mf_part_mbox_from(next, &nf), 1);
			assert_int_equal((size_t)(nf.ptr - in), me);
		} else {
			assert_int_equal(n, me);
		}
		assert_int_equal(h, hs);
		/* GMime's header end is where the empty line starts. */
		assert_int_equal(b - 1, he);
		assert_true(in[b - 1] == '\n' && in[b - 2] == '\n');
		/* Three nested multiparts around one text part. */
		while (mf_part_kind(p) == MF_PART_MULTIPART) {
			assert_int_equal(mf_part_child_count(p), 1);
			assert_int_equal(mf_part_depth(p), depth);
			p = mf_part_child(p, 0);
			depth++;
		}
		assert_int_equal(depth, 3);
		assert_true(seq(mf_part_subtype(p), "plain"));
		assert_true(mf_part_defects(mf_part_parent(p)) &
			    MF_DEFECT_BIT(MF_D_NO_CLOSE_DELIM));
	}
	mf_msg_free(m);
	free(in);
	free(want);
}

/* ---------------------------------------------------------------------- */
/* Accessors and defaults                                                  */
/* ---------------------------------------------------------------------- */

static void
test_accessors(void **state)
{
	static const struct {
		const char *in;
		const char *path;
		int kind;
		const char *type;
		const char *charset, *disp, *filename;
		int cte;
		uint64_t defects; /* must include */
	} t[] = {
	    /* 0: no Content-Type at all */
	    {"Subject: x\n\nbody", "", MF_PART_LEAF, "text/plain", "us-ascii",
	     "", "", MF_CTE_7BIT, 0},
	    {"Content-Type: TEXT/HTML; CHARSET=\"UTF-8\"\n\n", "",
	     MF_PART_LEAF, "text/html", "UTF-8", "", "", MF_CTE_7BIT, 0},
	    {"Content-Type: image/png\n\n", "", MF_PART_LEAF, "image/png", "",
	     "", "", MF_CTE_7BIT, 0},
	    /* invalid: the defaults */
	    {"Content-Type: ;;\n\n", "", MF_PART_LEAF, "text/plain",
	     "us-ascii", "", "", MF_CTE_7BIT, MF_DEFECT_BIT(MF_D_CT_SYNTAX)},
	    {"Content-Type: multipart/mixed\n\n--x\n", "", MF_PART_LEAF,
	     "text/plain", "us-ascii", "", "", MF_CTE_7BIT,
	     MF_DEFECT_BIT(MF_D_NO_BOUNDARY)},
	    /* 5: digest children */
	    {"Content-Type: multipart/digest; boundary=d\n\n--d\n\nA: 1\n\nx\n"
	     "--d--\n",
	     "0", MF_PART_MESSAGE, "message/rfc822", "", "", "", MF_CTE_7BIT, 0},
	    {"Content-Type: multipart/digest; boundary=d\n\n--d\n\nA: 1\n\nx\n"
	     "--d--\n",
	     "0.m", MF_PART_LEAF, "text/plain", "us-ascii", "", "",
	     MF_CTE_7BIT, 0},
	    {"Content-Type: multipart/mixed; boundary=d\n\n--d\n\nA: 1\n--d--\n",
	     "0", MF_PART_LEAF, "text/plain", "us-ascii", "", "", MF_CTE_7BIT,
	     0},
	    /* filenames */
	    {"Content-Type: application/pdf; name=\"n.pdf\"\n"
	     "Content-Disposition: ATTACHMENT; filename=\"f.pdf\"\n\n",
	     "", MF_PART_LEAF, "application/pdf", "", "attachment", "f.pdf",
	     MF_CTE_7BIT, 0},
	    {"Content-Type: application/pdf; name=\"n.pdf\"\n"
	     "Content-Disposition: inline\n\n",
	     "", MF_PART_LEAF, "application/pdf", "", "inline", "n.pdf",
	     MF_CTE_7BIT, 0},
	    /* 10 */
	    {"Content-Disposition: attachment; filename*0*=utf-8''%C3%A9t;\n"
	     " filename*1=\"\xc3\xa9.txt\"; filename=\"ete.txt\"\n\n",
	     "", MF_PART_LEAF, "text/plain", "us-ascii", "attachment",
	     "\xc3\xa9t\xc3\xa9.txt", MF_CTE_7BIT, 0},
	    {"Content-Type: text/plain; name==?ISO-8859-1?Q?caf=E9.txt?=\n\n",
	     "", MF_PART_LEAF, "text/plain", "us-ascii", "", "caf\xc3\xa9.txt",
	     MF_CTE_7BIT, 0},
	    {"Content-Type: text/plain; name=\"caf\xe9.txt\"\n\n", "",
	     MF_PART_LEAF, "text/plain", "us-ascii", "", "caf\xc3\xa9.txt",
	     MF_CTE_7BIT, 0},
	    /* transfer encodings */
	    {"Content-Transfer-Encoding: Quoted-Printable\n\n", "",
	     MF_PART_LEAF, "text/plain", "us-ascii", "", "", MF_CTE_QP, 0},
	    {"Content-Transfer-Encoding: x-uuencode\n\n", "", MF_PART_LEAF,
	     "text/plain", "us-ascii", "", "", MF_CTE_UUENCODE, 0},
	    /* 15 */
	    {"Content-Transfer-Encoding: bogus\n\n", "", MF_PART_LEAF,
	     "text/plain", "us-ascii", "", "", MF_CTE_UNKNOWN,
	     MF_DEFECT_BIT(MF_D_UNKNOWN_CTE)},
	    {"Content-Type: message/rfc822\nContent-Transfer-Encoding: base64"
	     "\n\nQTogMQ0KDQp4",
	     "", MF_PART_LEAF, "message/rfc822", "", "", "", MF_CTE_BASE64,
	     MF_DEFECT_BIT(MF_D_MULTIPART_CTE)},
	    {"Content-Type: message/partial; id=x; number=1\n\nA: 1\n\n", "",
	     MF_PART_LEAF, "message/partial", "", "", "", MF_CTE_7BIT, 0},
	    {"Content-Type: message/news\n\nA: 1\n\nb", "", MF_PART_MESSAGE,
	     "message/news", "", "", "", MF_CTE_7BIT, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_msg *m;
		const mf_part *p;
		char type[128];
		mf_str ty, st;

		assert_int_equal(mf_msg_parse(t[i].in, strlen(t[i].in), NULL, &m,
					      NULL), MF_OK);
		p = at(m, t[i].path);
		if (p == NULL)
			fail_msg("case %zu: no part %s", i, t[i].path);
		ty = mf_part_type(p);
		st = mf_part_subtype(p);
		snprintf(type, sizeof(type), "%.*s/%.*s", (int)ty.len, ty.ptr,
			 (int)st.len, st.ptr);
		if (mf_part_kind(p) != t[i].kind || strcmp(type, t[i].type) ||
		    !seq(mf_part_charset(p), t[i].charset) ||
		    !seq(mf_part_disposition(p), t[i].disp) ||
		    !seq(mf_part_filename(p), t[i].filename) ||
		    mf_part_cte(p) != t[i].cte ||
		    (mf_part_defects(p) & t[i].defects) != t[i].defects)
			fail_msg("case %zu: kind %d %s charset %.*s disp %.*s "
				 "filename %.*s cte %d defects %llx",
				 i, mf_part_kind(p), type,
				 (int)mf_part_charset(p).len,
				 mf_part_charset(p).ptr,
				 (int)mf_part_disposition(p).len,
				 mf_part_disposition(p).ptr,
				 (int)mf_part_filename(p).len,
				 mf_part_filename(p).ptr, mf_part_cte(p),
				 (unsigned long long)mf_part_defects(p));
		mf_msg_free(m);
	}
}

static void
test_params_and_fields(void **state)
{
	const char *in =
	    "Subject: s\nX-A: 1\nx-a: 2\n"
	    "Content-Type: multipart/mixed; boundary=\"b b\" ; title*0*=us-"
	    "ascii'en'a%20; title*1=\"b\" ;Charset=x\n"
	    "Content-Disposition: inline; size=3; filename*=utf-8''%E2%82%AC\n"
	    "\n--b b  \n\n--b b--\n";
	mf_msg *m;
	const mf_part *p;
	const mf_param *pm;
	const mf_field *f;
	size_t it = 0;

	(void)state;
	assert_int_equal(mf_msg_parse(in, strlen(in), NULL, &m, NULL), MF_OK);
	p = mf_msg_root(m);
	assert_int_equal(mf_part_kind(p), MF_PART_MULTIPART);
	assert_true(seq(mf_part_boundary(p), "b b"));
	assert_int_equal(mf_part_child_count(p), 1);
	assert_int_equal(mf_part_param_count(p), 3);
	assert_true(seq(mf_part_param_at(p, 0)->name, "boundary"));
	pm = mf_part_param_at(p, 1);
	assert_true(seq(pm->name, "title"));
	assert_true(seq(pm->value, "a b"));
	assert_true(seq(pm->charset, "us-ascii"));
	assert_true(seq(pm->lang, "en"));
	pm = mf_part_param(p, "CHARSET", 7);
	assert_non_null(pm);
	assert_true(seq(pm->value, "x"));
	assert_true(seq(mf_part_charset(p), "x"));
	assert_null(mf_part_param(p, "nope", 4));
	assert_null(mf_part_param_at(p, 3));
	assert_true(seq(mf_part_disp_param(p, "size", 4)->value, "3"));
	assert_true(seq(mf_part_filename(p), "\xe2\x82\xac"));
	/* Fields, duplicates in order. */
	assert_int_equal(mf_part_field_count(p), 5);
	f = mf_part_header(p, "x-a", 3, &it);
	assert_true(seq(f->value, "1"));
	f = mf_part_header(p, "X-A", 3, &it);
	assert_true(seq(f->value, "2"));
	assert_null(mf_part_header(p, "X-A", 3, &it));
	assert_int_equal(it, 5);
	assert_true(seq(mf_part_header(p, "subject", 7, NULL)->value, "s"));
	/* The first value, and the empty span for an absent field. */
	assert_true(mf_str_eq(mf_part_header_value(p, MF_LIT("X-a")),
	                      MF_STR("1")));
	assert_ptr_equal(mf_part_header_value(p, MF_LIT("subject")).ptr,
	                 mf_part_header(p, MF_LIT("Subject"), NULL)->value.ptr);
	assert_int_equal(mf_part_header_value(p, MF_LIT("To")).len, 0);
	assert_non_null(mf_part_header_value(p, MF_LIT("To")).ptr);
	assert_int_equal(mf_part_header_value(NULL, MF_LIT("To")).len, 0);
	assert_int_equal(mf_part_header_value(p, NULL, 1).len, 0);
	assert_true(seq(mf_part_field(p, 0)->name, "Subject"));
	assert_null(mf_part_field(p, 5));
	assert_int_equal(mf_part_mbox_from(p, NULL), 0);
	mf_msg_free(m);
}

static void
test_navigation(void **state)
{
	const char *in =
	    "From someone Mon Jan  1 00:00:00 2024\r\n"
	    "Content-Type: multipart/mixed; boundary=o\n\npre\n"
	    "--o\nContent-Type: multipart/alternative; boundary=i\n\n"
	    "--i\n\na\n--i\n\nb\n--i--\nepi-i\n"
	    "--o\nContent-Type: message/rfc822\n\nSubject: in\n\nc\n"
	    "--o\n\nd\n--o--\nepi-o\n";
	static const char *order[] = {"", "0", "0.0", "0.1", "1", "1.m", "2"};
	mf_msg *m;
	const mf_part *p = NULL, *r;
	mf_str s;
	size_t i = 0;

	(void)state;
	assert_int_equal(mf_msg_parse(in, strlen(in), NULL, &m, NULL), MF_OK);
	r = mf_msg_root(m);
	assert_int_equal(mf_msg_count(m), 1);
	assert_ptr_equal(mf_msg_at(m, 0), r);
	assert_null(mf_msg_at(m, 1));
	assert_int_equal(mf_msg_part_count(m), 7);
	assert_int_equal(mf_msg_defects(m), MF_DEFECT_BIT(MF_D_MBOX_FROM));
	assert_int_equal(mf_part_mbox_from(r, &s), 1);
	assert_true(seq(s, "From someone Mon Jan  1 00:00:00 2024"));
	while ((p = mf_part_next(r, p)) != NULL) {
		assert_true(i < 7);
		assert_ptr_equal(p, at(m, order[i]));
		i++;
	}
	assert_int_equal(i, 7);
	/* A subtree walk stays in the subtree. */
	p = mf_part_next(at(m, "0"), NULL);
	assert_ptr_equal(p, at(m, "0"));
	p = mf_part_next(at(m, "0"), p);
	assert_ptr_equal(p, at(m, "0.0"));
	p = mf_part_next(at(m, "0"), p);
	assert_ptr_equal(p, at(m, "0.1"));
	assert_null(mf_part_next(at(m, "0"), p));
	assert_null(mf_part_next(at(m, "0.1"), at(m, "0.1")));
	/* Parents and bodies. */
	assert_null(mf_part_parent(r));
	assert_ptr_equal(mf_part_parent(at(m, "1.m")), at(m, "1"));
	assert_ptr_equal(mf_part_parent(at(m, "0.1")), at(m, "0"));
	assert_int_equal(mf_part_depth(at(m, "1.m")), 2);
	assert_true(seq(mf_part_preamble(r), "pre"));
	assert_true(seq(mf_part_epilogue(r), "\nepi-o\n"));
	assert_true(seq(mf_part_epilogue(at(m, "0")), "\nepi-i"));
	assert_true(seq(mf_part_body(at(m, "0.1")), "b"));
	assert_true(seq(mf_part_body(at(m, "1")), "Subject: in\n\nc"));
	assert_true(seq(mf_part_body(at(m, "1.m")), "c"));
	assert_true(seq(mf_part_body(at(m, "2")), "d"));
	assert_int_equal(mf_part_child_count(at(m, "1")), 0);
	assert_null(mf_part_child(r, 3));
	assert_null(mf_part_message(r));
	/* NULL everywhere. */
	assert_null(mf_msg_root(NULL));
	assert_int_equal(mf_msg_count(NULL), 0);
	assert_int_equal(mf_msg_part_count(NULL), 0);
	assert_int_equal(mf_msg_defects(NULL), 0);
	assert_null(mf_part_next(NULL, NULL));
	assert_int_equal(mf_part_kind(NULL), 0);
	assert_int_equal(mf_part_type(NULL).len, 0);
	assert_int_equal(mf_part_filename(NULL).len, 0);
	assert_int_equal(mf_part_body(NULL).len, 0);
	assert_int_equal(mf_part_field_count(NULL), 0);
	assert_null(mf_part_header(NULL, "a", 1, NULL));
	assert_null(mf_part_parent(NULL));
	assert_int_equal(mf_part_child_count(NULL), 0);
	mf_part_offsets(NULL, NULL, NULL, NULL);
	mf_msg_free(NULL);
	mf_msg_free(m);
	assert_int_equal(mf_msg_parse(NULL, 1, NULL, &m, NULL), MF_E_INVAL);
	assert_int_equal(mf_msg_parse("", 0, NULL, NULL, NULL), MF_E_INVAL);
}

/* ---------------------------------------------------------------------- */
/* Trees from split parses; event parts against tree parts                 */
/* ---------------------------------------------------------------------- */

/* A text dump of a tree: every accessor of every part, and the bytes. */
static void
dump_part(mf_buf *b, const mf_part *p, int tree)
{
	mf_str t = mf_part_type(p), s = mf_part_subtype(p), v;
	uint64_t h, bo, e;
	size_t i;
	char tmp[256];

	mf_part_offsets(p, &h, &bo, &e);
	snprintf(tmp, sizeof(tmp), "%zu %d %.*s/%.*s %d %llu %llu %llu %llx %zu\n",
		 mf_part_depth(p), mf_part_kind(p), (int)t.len, t.ptr,
		 (int)s.len, s.ptr, mf_part_cte(p), (unsigned long long)h,
		 (unsigned long long)bo, (unsigned long long)e,
		 (unsigned long long)mf_part_defects(p),
		 tree ? mf_part_child_count(p) : 0);
	assert_int_equal(mf_buf_append(b, tmp, strlen(tmp)), MF_OK);
#define PUT(x)                                                                 \
	do {                                                                   \
		v = (x);                                                       \
		assert_int_equal(mf_buf_append(b, v.ptr, v.len), MF_OK);       \
		assert_int_equal(mf_buf_append(b, "|", 1), MF_OK);             \
	} while (0)
	PUT(mf_part_charset(p));
	PUT(mf_part_disposition(p));
	PUT(mf_part_filename(p));
	PUT(mf_part_boundary(p));
	for (i = 0; i < mf_part_param_count(p); i++) {
		PUT(mf_part_param_at(p, i)->name);
		PUT(mf_part_param_at(p, i)->value);
	}
	for (i = 0; i < mf_part_field_count(p); i++) {
		PUT(mf_part_field(p, i)->name);
		PUT(mf_part_field(p, i)->value);
	}
#undef PUT
	assert_int_equal(mf_buf_append(b, "\n", 1), MF_OK);
}

static mf_buf *
dump_tree(const mf_msg *m, int bodies)
{
	mf_buf *b = mf_buf_new(NULL);
	size_t r;

	for (r = 0; r < mf_msg_count(m); r++) {
		const mf_part *p = NULL;

		while ((p = mf_part_next(mf_msg_at(m, r), p)) != NULL) {
			dump_part(b, p, 1);
			if (bodies) {
				mf_str x = mf_part_kind(p) == MF_PART_LEAF
					       ? mf_part_body(p)
					       : mf_part_preamble(p);

				assert_int_equal(mf_buf_append(b, x.ptr, x.len),
						 MF_OK);
				x = mf_part_epilogue(p);
				assert_int_equal(mf_buf_append(b, x.ptr, x.len),
						 MF_OK);
			}
		}
	}
	if (bodies)
		assert_int_equal(mf_msg_write(m, 0, b), MF_OK);
	return b;
}

static const char *sets[] = {
    "corpus/cpython",    "corpus/gmime",
    "corpus/mikel-mail", "corpus/mimekit",
    "corpus/nodemailer-mailparser", "corpus/spamassassin",
    "corpus/torture",
};

static void
test_split_trees(void **state)
{
	size_t s, files = 0;
	tu_rng rng;

	(void)state;
	tu_rng_seed(&rng, 77);
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, j;
			char *p;
			mf_msg *m1, *m2;
			mf_buf *d1, *d2;
			unsigned flags;

			if (!tu_slow_ok() && i % 8 != 0)
				continue;
			p = tu_read(list[i], &n);
			for (flags = 0; flags <= MF_MBOX; flags += MF_MBOX) {
				mf_opts o;

				memset(&o, 0, sizeof(o));
				o.flags = flags;
				/* Fields over 64 KiB: only the input has
				 * them whole. */
				o.limits.max_field_len = 1 << 20;
				assert_int_equal(mf_msg_parse(p, n, &o, &m1, NULL),
						 MF_OK);
				d1 = dump_tree(m1, 1);
				for (j = 0; j < 4; j++) {
					size_t c[3];

					c[0] = tu_rng_below(&rng, n + 1);
					c[1] = c[0] + tu_rng_below(&rng,
								   n - c[0] + 1);
					c[2] = c[1] + tu_rng_below(&rng,
								   n - c[1] + 1);
					assert_int_equal(
					    mf__msg_parse_split(p, n, c, 3, &o,
								&m2, NULL),
					    MF_OK);
					d2 = dump_tree(m2, 1);
					tu_assert_mem(mf_buf_data(d2),
						      mf_buf_len(d2),
						      mf_buf_data(d1),
						      mf_buf_len(d1), list[i]);
					mf_buf_free(d2);
					mf_msg_free(m2);
				}
				mf_buf_free(d1);
				mf_msg_free(m1);
			}
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	assert_true(files > 40);
}

/* The accessors of an event's part (at HEADERS_END and until PART_END)
 * give what the tree's part gives. */
struct cmpctx {
	const mf_msg *m;
	const mf_part *cur;
	size_t r;
	int bad;
};

static int
cmp_event(void *ctx, const mf_event *ev)
{
	struct cmpctx *c = ctx;
	mf_buf *a, *b;

	if (ev->type == MF_EV_PART_BEGIN) {
		if (c->cur == NULL || ev->depth == 0)
			c->cur = mf_msg_at(c->m, c->r++);
		else
			c->cur = mf_part_next(mf_msg_at(c->m, c->r - 1), c->cur);
		return 0;
	}
	if (ev->type != MF_EV_PART_END)
		return 0;
	/* At the end the transient part has its final offsets too. */
	a = mf_buf_new(NULL);
	b = mf_buf_new(NULL);
	dump_part(a, ev->part, 0);
	{
		/* Find the tree part with the same offsets. */
		const mf_part *p = NULL, *found = NULL;
		uint64_t h, bo, e, h2, b2, e2;

		mf_part_offsets(ev->part, &h, &bo, &e);
		while ((p = mf_part_next(mf_msg_at(c->m, c->r - 1), p)) != NULL) {
			mf_part_offsets(p, &h2, &b2, &e2);
			if (h == h2 && bo == b2 && e == e2 &&
			    mf_part_depth(p) == ev->depth) {
				found = p;
				break;
			}
		}
		if (found == NULL)
			c->bad = 1;
		else
			dump_part(b, found, 0);
	}
	if (mf_buf_len(a) != mf_buf_len(b) ||
	    memcmp(mf_buf_data(a), mf_buf_data(b), mf_buf_len(a)) != 0) {
		if (getenv("MF_TEST_VERBOSE") != NULL)
			fprintf(stderr, "event: %s\ntree:  %s\n",
				mf_buf_data(a), mf_buf_data(b));
		c->bad = 1;
	}
	mf_buf_free(a);
	mf_buf_free(b);
	return 0;
}

static void
test_event_parts(void **state)
{
	size_t s, files = 0;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, j;
			char *p;
			struct cmpctx c;
			mf_parser *ps;
			mf_msg *m;

			if (!tu_slow_ok() && i % 8 != 0)
				continue;
			p = tu_read(list[i], &n);
			assert_int_equal(mf_msg_parse(p, n, NULL, &m, NULL),
					 MF_OK);
			memset(&c, 0, sizeof(c));
			c.m = m;
			ps = mf_parser_new(NULL, cmp_event, &c);
			/* Small chunks: the transient parts are copied. */
			for (j = 0; j < n; j += 7)
				assert_int_equal(mf_parser_feed(ps, p + j,
								n - j < 7 ? n - j
									  : 7),
						 MF_OK);
			assert_int_equal(mf_parser_finish(ps), MF_OK);
			mf_parser_free(ps);
			if (c.bad)
				fail_msg("%s: event part differs", list[i]);
			mf_msg_free(m);
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	assert_true(files > 40);
}

/* ---------------------------------------------------------------------- */
/* OOM                                                                     */
/* ---------------------------------------------------------------------- */

struct oomctx {
	const char *p;
	size_t n;
	int split;
};

static int
oom_tree(const mf_alloc *a, void *ctx)
{
	struct oomctx *c = ctx;
	mf_opts o;
	mf_msg *m = NULL;
	mf_error err;
	size_t cuts[2] = {c->n / 3, c->n / 2};
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	if (c->split)
		rc = mf__msg_parse_split(c->p, c->n, cuts, 2, &o, &m, &err);
	else
		rc = mf_msg_parse(c->p, c->n, &o, &m, &err);
	if (rc == MF_E_NOMEM) {
		assert_null(m);
		assert_int_equal(err.code, MF_E_NOMEM);
	}
	mf_msg_free(m);
	return rc;
}

static void
test_oom(void **state)
{
	static const char *files[] = {
	    "corpus/torture/12-messages.eml",
	    "corpus/torture/20-params.eml",
	    "corpus/torture/01-prefix-boundaries.eml",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct oomctx c;
		char *p = tu_read(files[i], &c.n);

		c.p = p;
		c.split = 0;
		assert_true(tu_oom_loop(oom_tree, &c) > 3);
		c.split = 1;
		assert_true(tu_oom_loop(oom_tree, &c) > 3);
		free(p);
	}
}

/*
 * MF_D_TRUNCATED: the end of the input marks every part inside a
 * multipart that had not seen its close delimiter, in depth-first order
 * ('T' truncated, '.' not); a delimiter of an enclosing multipart is not
 * the end of the input, and a closed multipart's epilogue is complete.
 */
static void
test_truncated(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} t[] = {
	    {"Subject: x\n\nbody\n", "."},
	    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"
	     "epilogue\n", ".."},
	    /* the attachment was cut */
	    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b\n"
	     "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	     "iVBORw0KGgo", "..T"},
	    /* cut inside the header of the second part */
	    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b\n"
	     "Content-Type: ima", "..T"},
	    /* the inner multipart ends at the outer delimiter: not cut */
	    {"Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	     "Content-Type: multipart/alternative; boundary=i\n\n--i\n\na\n"
	     "--o\n\nb\n--o--\n", "...."},
	    /*
	     * closed inner multipart, unclosed outer: the inner one (its
	     * epilogue) was cut, its closed leaf was not
	     */
	    {"Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	     "Content-Type: multipart/alternative; boundary=i\n\n--i\n\na\n"
	     "--i--\nepi\n", ".T."},
	    /* a message/rfc822 part and the message inside it */
	    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	     "Content-Type: message/rfc822\n\nSubject: inner\n\ncut",
	     ".TT"},
	    /* no delimiter at all: the multipart's preamble was cut */
	    {"Content-Type: multipart/mixed; boundary=b\n\ntext\n", "."},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_msg *m = NULL;
		const mf_part *root, *p;
		char got[16];
		size_t k = 0;

		assert_int_equal(mf_msg_parse(t[i].in, strlen(t[i].in), NULL,
					      &m, NULL), MF_OK);
		root = mf_msg_root(m);
		for (p = root; p != NULL && k + 1 < sizeof(got);
		     p = mf_part_next(root, p))
			got[k++] = mf_part_defects(p) &
					   MF_DEFECT_BIT(MF_D_TRUNCATED)
				       ? 'T'
				       : '.';
		got[k] = '\0';
		if (strcmp(got, t[i].want) != 0)
			fail_msg("case %zu: %s, want %s", i, got, t[i].want);
		mf_msg_free(m);
	}
}

/* ---------------------------------------------------------------------- */
/* Recovery of broken mail (issue 10): what a reader is shown              */
/* ---------------------------------------------------------------------- */

struct drec {
	int d[32];
	uint64_t off[32];
	size_t n;
};

static void
drec_cb(void *ctx, int d, uint64_t off)
{
	struct drec *r = ctx;

	if (r->n < 32) {
		r->d[r->n] = d;
		r->off[r->n++] = off;
	}
}

/* The types of the tree depth-first, space-separated. */
static void
types_of(const mf_msg *m, char *out, size_t cap)
{
	const mf_part *p = NULL;
	size_t k = 0;

	out[0] = '\0';
	while ((p = mf_part_next(mf_msg_root(m), p)) != NULL && k + 1 < cap) {
		mf_str t = mf_part_type(p), s = mf_part_subtype(p);

		k += (size_t)snprintf(out + k, cap - k, "%s%.*s/%.*s",
				      k ? " " : "", (int)t.len, t.ptr,
				      (int)s.len, s.ptr);
	}
}

/* The decoded text (LF line ends) of the first part of list which. */
static void
body_text(const mf_msg *m, int which, mf_buf *out)
{
	const mf_part *v[8];
	size_t n = 0;

	mf_buf_clear(out);
	assert_int_equal(mf_msg_bodies(mf_msg_root(m), which, v, 8, &n),
			 MF_OK);
	if (n > 0)
		assert_int_equal(mf_part_decode(v[0], out, MF_LF, NULL,
						NULL, NULL),
				 MF_OK);
}

/*
 * Each recovery in both line-end forms: the tree's parts, the text and
 * HTML bodies a reader selects (RFC 8621), the defect at its offset (the
 * first byte of marker, or the end for ""), the same as MF_STRICT's
 * error, and split parses at every point giving the same tree.
 */
static void
test_recovery(void **state)
{
	static const struct {
		const char *in, *types, *text, *html;
		int defect;
		const char *marker;
	} t[] = {
	    /* 0: a stray line keeps the rest of the header a header */
	    {"From: a@b\nSubject: reminder\nabout the game\n"
	     "Content-Type: multipart/alternative; boundary=b\n\n"
	     "--b\nContent-Type: text/plain\n\nhello\n--b--\n",
	     "multipart/alternative text/plain", "hello", "hello",
	     MF_D_STRAY_LINE, "about"},
	    /* 1: a byte order mark before the header */
	    {"\xef\xbb\xbf" "From: a@b\nSubject: x\n\nhi\n", "text/plain",
	     "hi\n", "hi\n", MF_D_BOM, "\xef"},
	    /* 2: the last delimiter without close: no empty part */
	    {"Content-Type: multipart/alternative; boundary=b\n\n"
	     "--b\nContent-Type: text/plain\n\nplain\n"
	     "--b\nContent-Type: text/html\n\n<p>html</p>\n--b\n  \n",
	     "multipart/alternative text/plain text/html", "plain",
	     "<p>html</p>", MF_D_NO_CLOSE_DELIM, "--b\n  "},
	    /* 3: a close delimiter with text after it */
	    {"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nbody\n"
	     "--b-- trailing text\nmore\n",
	     "multipart/mixed text/plain", "body", "body",
	     MF_D_CLOSE_TRAILING, " trailing"},
	    /* 4: parameters without ";": the multipart is found */
	    {"Content-Type: multipart/alternative\n boundary=b\n\n"
	     "--b\nContent-Type: text/plain\n\nplain\n"
	     "--b\nContent-Type: text/html\n\n<p>h</p>\n--b--\n",
	     "multipart/alternative text/plain text/html", "plain",
	     "<p>h</p>", MF_D_PARAM_NO_SEMICOLON, "boundary"},
	    /* 5: no delimiter line at all: a text/plain leaf */
	    {"Content-Type: multipart/alternative; boundary=b\n\n"
	     "Hello, no delimiters here.\n",
	     "text/plain", "Hello, no delimiters here.\n",
	     "Hello, no delimiters here.\n", MF_D_NO_START_DELIM, ""},
	    /* 6: the same inside a multipart with boundary="", whose
	     * close delimiter is still found after it */
	    {"Content-Type: multipart/alternative; boundary=\"\"\n\n"
	     "--\nContent-Type: multipart/mixed; boundary=in\n\nin text\n"
	     "--\nContent-Type: text/html\n\n<p>h</p>\n----\nepilogue\n",
	     "multipart/alternative text/plain text/html", "in text",
	     "<p>h</p>", MF_D_NO_START_DELIM, "\n--\nContent-Type: text/html"},
	};
	size_t i, v, c;
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (v = 0; v < 2; v++) {
			size_t n, mn, want_off, j;
			char *in = tu_eol(t[i].in, strlen(t[i].in), v, &n);
			char *mk = tu_eol(t[i].marker, strlen(t[i].marker), v,
					  &mn);
			char types[256], label[64];
			struct drec r;
			mf_opts o;
			mf_msg *m, *m2;
			mf_error e;
			mf_buf *d1, *d2;
			int found = 0;

			snprintf(label, sizeof(label), "recovery %zu (%s)", i,
				 v ? "CRLF" : "LF");
			want_off = mn == 0 ? n
					   : (size_t)(strstr(in, mk) - in);
			memset(&o, 0, sizeof(o));
			memset(&r, 0, sizeof(r));
			o.on_defect = drec_cb;
			o.defect_ctx = &r;
			assert_int_equal(mf_msg_parse(in, n, &o, &m, NULL),
					 MF_OK);
			types_of(m, types, sizeof(types));
			tu_assert_str(types, t[i].types, label);
			body_text(m, MF_BODY_TEXT, b);
			tu_assert_str(mf_buf_data(b), t[i].text, label);
			body_text(m, MF_BODY_HTML, b);
			tu_assert_str(mf_buf_data(b), t[i].html, label);
			for (j = 0; j < r.n; j++)
				found |= r.d[j] == t[i].defect &&
					 r.off[j] == want_off;
			if (!found)
				fail_msg("%s: no %s at %zu", label,
					 mf_defect_name(t[i].defect), want_off);
			/* Strict: the first defect is the error. */
			o.flags = MF_STRICT;
			o.on_defect = NULL;
			assert_int_equal(mf_msg_parse(in, n, &o, &m2, &e),
					 MF_E_DEFECT);
			assert_int_equal(e.offset, r.off[0]);
			/* Every split point gives the same tree. */
			d1 = dump_tree(m, 1);
			o.flags = 0;
			for (c = 0; c <= n; c++) {
				assert_int_equal(
				    mf__msg_parse_split(in, n, &c, 1, &o, &m2,
							NULL),
				    MF_OK);
				d2 = dump_tree(m2, 1);
				tu_assert_mem(mf_buf_data(d2), mf_buf_len(d2),
					      mf_buf_data(d1), mf_buf_len(d1),
					      label);
				mf_buf_free(d2);
				mf_msg_free(m2);
			}
			mf_buf_free(d1);
			mf_msg_free(m);
			free(in);
			free(mk);
		}
	}
	mf_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mimekit_offsets),
	    cmocka_unit_test(test_summaries),
	    cmocka_unit_test(test_gmime_substring),
	    cmocka_unit_test(test_accessors),
	    cmocka_unit_test(test_params_and_fields),
	    cmocka_unit_test(test_navigation),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_split_trees),
	    cmocka_unit_test(test_event_parts),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_recovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
