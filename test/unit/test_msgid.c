/* SPDX-License-Identifier: MIT */
/*
 * test_msgid.c - msg-id lists (Dovecot's and GMime's tables, the lenient
 * forms with defects and offsets, strict mode, NOSPC), canonical form,
 * generation (caller and OS randomness, uniqueness, parse back, OOM), and
 * Received: RFC 5322 A.4, every Received field of the corpus, format ->
 * parse round trips, errors, OOM and guard pages.
 */
#include "tutil.h"

#include "lex.h"

static void
test_dovecot(void **state)
{
	tj *v = tj_load("corpus/vectors/dovecot/lib-mail-message-id.json");
	tj *in = tj_path(v, "tables.input.entries");
	tj *out = tj_path(v, "tables.output.entries");
	size_t i, k = 0;
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	assert_non_null(in);
	for (i = 0; i < in->len; i++) {
		const char *s = tj_at(in, i)->str;
		mf_str ids[8];
		size_t n = 8, j;
		uint64_t def = 0;

		assert_int_equal(mf_msgid_parse(s, strlen(s), NULL, ids, &n,
						&def, NULL),
				 MF_OK);
		for (j = 0; j < n; j++, k++) {
			const char *want = tj_at(out, k)->str;

			assert_non_null(want);
			mf_buf_clear(b);
			assert_int_equal(mf_msgid_canon(b, ids[j].ptr,
							ids[j].len),
					 MF_OK);
			if (strcmp(want, "foo 2@bar") == 0) {
				/*
				 * Dovecot unquotes the local part; the
				 * canonical form keeps the quotes, since
				 * "foo 2@bar" is no msg-id.
				 */
				want = "\"foo 2\"@bar";
			}
			tu_assert_str(mf_buf_data(b), want, s);
		}
		assert_true(tj_is_null(tj_at(out, k)));
		k++;
	}
	assert_int_equal(k, out->len);
	mf_buf_free(b);
	tj_free(v);
}

static void
test_gmime(void **state)
{
	tj *v = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *t = tj_path(v, "tables.references.entries");
	size_t i, j;

	(void)state;
	for (i = 0; i < t->len; i++) {
		tj *c = tj_at(t, i);
		const char *s = tj_get(c, "input")->str;
		tj *want = tj_get(c, "ids");
		mf_str ids[8];
		size_t n = 8;

		assert_int_equal(mf_msgid_parse(s, strlen(s), NULL, ids, &n,
						NULL, NULL),
				 MF_OK);
		assert_int_equal(n, tj_int(tj_get(c, "count")));
		for (j = 0; j < n; j++)
			tu_assert_mem(ids[j].ptr, ids[j].len,
				      tj_at(want, j)->str,
				      strlen(tj_at(want, j)->str), s);
	}
	tj_free(v);
}

/* Lenient forms: ids (joined by "|"), defects, strict offset. */
static void
test_table(void **state)
{
	static const struct {
		const char *in, *ids;
		int defect;
		size_t off;
	} t[] = {
	    {"<a@b>", "a@b", -1, 0},
	    {"  <a@b>\r\n <c@[1.2.3.4]> ", "a@b|c@[1.2.3.4]", -1, 0},
	    {"", "", -1, 0},
	    {"<a@b><c@d>", "a@b|c@d", -1, 0},
	    {"Your message of 1 Jan <a@b>", "a@b", MF_D_OBSOLETE, 0},
	    {"a@b", "a@b", MF_D_OBSOLETE, 0},
	    {"<a@b>, <c@d>", "a@b|c@d", MF_D_BAD_CHAR, 5},
	    {"<a@b> x@y.z <c@d>", "a@b|x@y.z|c@d", MF_D_OBSOLETE, 6},
	    {"<>", "", MF_D_BAD_CHAR, 0},
	    {"<abc>", "abc", MF_D_ADDR_NO_DOMAIN, 1},
	    {"<a@b", "a@b", MF_D_UNTERMINATED, 0},
	    {"<a (c) @ b>", "a (c) @ b", MF_D_OBSOLETE, 1},
	    {"<\"x y\"@b>", "\"x y\"@b", MF_D_OBSOLETE, 1},
	    {"<a@b> (comment)", "a@b", -1, 0},
	    {"<a>b@c>", "a|b@c", MF_D_ADDR_NO_DOMAIN, 1},
	    {"<a\"@>\"@b>", "a\"@>\"@b", MF_D_OBSOLETE, 1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_str ids[8];
		size_t n = 8, j;
		uint64_t def = 0;
		char joined[128] = "";
		mf_opts o;
		mf_error e;
		int rc;

		assert_int_equal(mf_msgid_parse(t[i].in, strlen(t[i].in), NULL,
						ids, &n, &def, NULL),
				 MF_OK);
		for (j = 0; j < n; j++) {
			if (j)
				strcat(joined, "|");
			strncat(joined, ids[j].ptr, ids[j].len);
		}
		tu_assert_str(joined, t[i].ids, t[i].in);
		memset(&o, 0, sizeof(o));
		o.flags = MF_STRICT;
		n = 8;
		rc = mf_msgid_parse(t[i].in, strlen(t[i].in), &o, ids, &n,
				    NULL, &e);
		if (t[i].defect < 0) {
			assert_int_equal(def, 0);
			assert_int_equal(rc, MF_OK);
			continue;
		}
		if (!(def & MF_DEFECT_BIT(t[i].defect)))
			fail_msg("msgid %zu: defects %llx", i,
				 (unsigned long long)def);
		assert_int_equal(rc, MF_E_DEFECT);
		if (e.offset != t[i].off)
			fail_msg("msgid %zu: strict offset %zu", i, e.offset);
	}
}

static void
test_nospc(void **state)
{
	const char *s = "<a@b> <c@d> <e@f>";
	mf_str ids[2];
	size_t n = 2;
	mf_error e;

	(void)state;
	assert_int_equal(mf_msgid_parse(s, strlen(s), NULL, ids, &n, NULL, &e),
			 MF_E_NOSPC);
	assert_int_equal(n, 2);
	assert_int_equal(e.offset, 13);
	n = 0;
	assert_int_equal(mf_msgid_parse(s, strlen(s), NULL, NULL, &n, NULL,
					&e),
			 MF_E_NOSPC);
	assert_int_equal(mf_msgid_parse(s, strlen(s), NULL, ids, NULL, NULL,
					&e),
			 MF_E_INVAL);
	n = 0;
	assert_int_equal(mf_msgid_parse("", 0, NULL, NULL, &n, NULL, &e),
			 MF_OK);
}

/* ---------------------------------------------------------------------- */
/* Generation                                                              */
/* ---------------------------------------------------------------------- */

static int
fixed_random(void *ctx, void *buf, size_t n)
{
	memset(buf, *(int *)ctx, n);
	return 0;
}

static int
failing_random(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_generate(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	int byte = 0xff;
	size_t i, n;
	char **all;
	mf_str ids[2];
	uint64_t def;

	(void)state;
	assert_int_equal(mf_msgid_generate(b, "example.org", 11, fixed_random,
					   &byte),
			 MF_OK);
	tu_assert_str(mf_buf_data(b), "<77777777777777777777777774@example.org>",
		      "0xff");
	byte = 0;
	mf_buf_clear(b);
	assert_int_equal(mf_msgid_generate(b, "[192.0.2.1]", 11, fixed_random,
					   &byte),
			 MF_OK);
	tu_assert_str(mf_buf_data(b), "<aaaaaaaaaaaaaaaaaaaaaaaaaa@[192.0.2.1]>",
		      "0x00");
	assert_int_equal(mf_msgid_generate(b, "a b", 3, NULL, NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_msgid_generate(b, "", 0, NULL, NULL), MF_E_INVAL);
	assert_int_equal(mf_msgid_generate(b, "a..b", 4, NULL, NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_msgid_generate(b, "[a[b]", 5, NULL, NULL),
			 MF_E_INVAL);
	assert_int_equal(mf_msgid_generate(b, NULL, 0, NULL, NULL), MF_E_INVAL);
	assert_int_equal(mf_msgid_generate(b, "x", 1, failing_random, NULL),
			 MF_E_CALLBACK);
	/* OS randomness: 1000 ids, all different, each parses back clean. */
	n = 1000;
	all = calloc(n, sizeof(*all));
	assert_non_null(all);
	for (i = 0; i < n; i++) {
		size_t k = 2;

		mf_buf_clear(b);
		assert_int_equal(mf_msgid_generate(b, "mx.example", 10, NULL,
						   NULL),
				 MF_OK);
		assert_int_equal(mf_buf_len(b), 26 + 1 + 10 + 2);
		def = 0;
		assert_int_equal(mf_msgid_parse(mf_buf_data(b), mf_buf_len(b),
						NULL, ids, &k, &def, NULL),
				 MF_OK);
		assert_int_equal(k, 1);
		assert_int_equal(def, 0);
		assert_true(mf__is_dot_atom(ids[0].ptr, 26));
		all[i] = strdup(mf_buf_data(b));
	}
	qsort(all, n, sizeof(*all), cmp_str);
	for (i = 1; i < n; i++)
		assert_string_not_equal(all[i - 1], all[i]);
	for (i = 0; i < n; i++)
		free(all[i]);
	free(all);
	mf_buf_free(b);
}

static int
generate_oom(const mf_alloc *a, void *ctx)
{
	mf_buf *b = mf_buf_new(a);
	int byte = 1, rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	rc = mf_msgid_generate(b, "example.org", 11, fixed_random, &byte);
	if (rc == MF_OK)
		rc = mf_msgid_canon(b, "a (x) @ b", 9);
	mf_buf_free(b);
	return rc;
}

static void
test_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(generate_oom, NULL) >= 2);
}

/* ---------------------------------------------------------------------- */
/* Received                                                                */
/* ---------------------------------------------------------------------- */

static void
want_span(mf_str got, const char *want, const char *label)
{
	tu_assert_mem(got.ptr ? got.ptr : "", got.len, want, strlen(want),
		      label);
}

static void
test_received_table(void **state)
{
	static const struct {
		const char *in;
		const char *from, *by, *via, *with, *id, *for_addr;
		int has_date;
		int defect;
		size_t off;
	} t[] = {
	    /* RFC 5322 A.4 */
	    {"from x.y.test\r\n   by example.net\r\n   via TCP\r\n   with "
	     "ESMTP\r\n   id ABC12345\r\n   for <mary@example.net>;  21 Nov "
	     "1997 10:05:43 -0600",
	     "x.y.test", "example.net", "TCP", "ESMTP", "ABC12345",
	     "<mary@example.net>", 1, -1, 0},
	    {"from machine.example by x.y.test; 21 Nov 1997 10:01:22 -0600",
	     "machine.example", "x.y.test", "", "", "", "", 1, -1, 0},
	    /* Postfix, with TCP-info and a comment kept in the values. */
	    {"from mx3.example (mx3.example.com [192.0.2.49])\r\n\tby "
	     "mx.example.org (Postfix) with ESMTPS id FB086B0D\r\n\tfor "
	     "<user@example.org>; Fri, 14 May 2021 06:40:41 +0000",
	     "mx3.example (mx3.example.com [192.0.2.49])",
	     "mx.example.org (Postfix)", "", "ESMTPS", "FB086B0D",
	     "<user@example.org>", 1, -1, 0},
	    /* qmail: a comment only. */
	    {"(qmail 28454 invoked by uid 48); 14 Oct 2010 23:25:06 -0400", "",
	     "", "", "", "", "", 1, -1, 0},
	    /* Keywords in any case, not inside brackets. */
	    {"FROM a BY b FOR <from@by.example>; Mon, 1 Jan 2024 00:00:00 +0000",
	     "a", "b", "", "", "", "<from@by.example>", 1, -1, 0},
	    /* No date. */
	    {"from a by b", "a", "b", "", "", "", "", 0, MF_D_OBSOLETE, 11},
	    /* Unreadable date. */
	    {"from a by b; yesterday", "a", "b", "", "", "", "", 0,
	     MF_D_TRAILING_GARBAGE, 13},
	    /* Words before the first clause; a repeated clause. */
	    {"junk from a by b by c; 1 Jan 2024 00:00 +0000", "a", "b", "", "",
	     "", "", 1, MF_D_OBSOLETE, 0},
	    /* The last top-level ";" separates the date. */
	    {"from a (x; y) by b with \"q;r\"; 1 Jan 2024 00:00 +0000",
	     "a (x; y)", "b", "", "\"q;r\"", "", "", 1, -1, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_received r;
		uint64_t def = 0;
		mf_opts o;
		mf_error e;
		char label[32];
		int rc;

		snprintf(label, sizeof(label), "received %zu", i);
		assert_int_equal(mf_received_parse(t[i].in, strlen(t[i].in),
						   NULL, &r, &def, NULL),
				 MF_OK);
		want_span(r.from, t[i].from, label);
		want_span(r.by, t[i].by, label);
		want_span(r.via, t[i].via, label);
		want_span(r.with, t[i].with, label);
		want_span(r.id, t[i].id, label);
		want_span(r.for_addr, t[i].for_addr, label);
		assert_int_equal(r.has_date, t[i].has_date);
		memset(&o, 0, sizeof(o));
		o.flags = MF_STRICT;
		rc = mf_received_parse(t[i].in, strlen(t[i].in), &o, &r, NULL,
				       &e);
		if (t[i].defect < 0) {
			assert_int_equal(def, 0);
			assert_int_equal(rc, MF_OK);
			continue;
		}
		if (!(def & MF_DEFECT_BIT(t[i].defect)))
			fail_msg("%s: defects %llx", label,
				 (unsigned long long)def);
		assert_int_equal(rc, MF_E_DEFECT);
		if (e.offset != t[i].off)
			fail_msg("%s: strict offset %zu", label, e.offset);
	}
}

/* format -> parse gives the clauses and date back. */
static void
test_received_format(void **state)
{
	mf_received r, back;
	mf_buf *b = mf_buf_new(NULL);
	mf_headers *h;
	size_t body;
	const mf_field *f;
	mf_error e;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.from.ptr = "client.example (client.example [192.0.2.1])";
	r.from.len = strlen(r.from.ptr);
	r.by.ptr = "mx.example.org";
	r.by.len = strlen(r.by.ptr);
	r.with.ptr = "ESMTPS";
	r.with.len = 6;
	r.id.ptr = "4Y7Zx1abc";
	r.id.len = 9;
	r.for_addr.ptr = "<user@example.org>";
	r.for_addr.len = 18;
	assert_int_equal(mf_date_from_time(1700000000, 60, &r.date), MF_OK);
	r.has_date = 1;
	assert_int_equal(mf_received_format(b, &r, 0, &e), MF_OK);
	tu_assert_str(mf_buf_data(b),
		      "Received: from client.example (client.example "
		      "[192.0.2.1]) by mx.example.org\r\n with ESMTPS id "
		      "4Y7Zx1abc for <user@example.org>;\r\n Tue, 14 Nov 2023 "
		      "23:13:20 +0100\r\n",
		      "received format");
	assert_int_equal(mf_headers_parse(mf_buf_data(b), mf_buf_len(b), NULL,
					  &h, &body, NULL),
			 MF_OK);
	f = mf_headers_at(h, 0);
	assert_int_equal(mf_received_parse(f->value.ptr, f->value.len, NULL,
					   &back, NULL, NULL),
			 MF_OK);
	tu_assert_mem(back.from.ptr, back.from.len, r.from.ptr, r.from.len,
		      "from");
	tu_assert_mem(back.for_addr.ptr, back.for_addr.len, r.for_addr.ptr,
		      r.for_addr.len, "for");
	assert_memory_equal(&back.date, &r.date, sizeof(r.date));
	mf_headers_free(h);
	/* Errors: no by, no date, injection; out unchanged. */
	mf_buf_clear(b);
	r.has_date = 0;
	assert_int_equal(mf_received_format(b, &r, 0, &e), MF_E_INVAL);
	r.has_date = 1;
	r.id.ptr = "x\r\nBcc: y";
	r.id.len = 9;
	assert_int_equal(mf_received_format(b, &r, 0, &e), MF_E_INVAL);
	r.by.len = 0;
	assert_int_equal(mf_received_format(b, &r, 0, &e), MF_E_INVAL);
	assert_int_equal(mf_buf_len(b), 0);
	assert_int_equal(mf_received_parse(NULL, 1, NULL, &r, NULL, &e),
			 MF_E_INVAL);
	mf_buf_free(b);
}

static int
received_oom(const mf_alloc *a, void *ctx)
{
	mf_received r;
	mf_buf *b = mf_buf_new(a);
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	memset(&r, 0, sizeof(r));
	r.by.ptr = "mx.example.org";
	r.by.len = 14;
	r.has_date = 1;
	rc = mf_date_from_time(0, 0, &r.date);
	if (rc == MF_OK)
		rc = mf_received_format(b, &r, MF_LF, NULL);
	mf_buf_free(b);
	return rc;
}

static void
test_received_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(received_oom, NULL) >= 2);
}

/* Every Received and msg-id field of the corpus parses leniently. */
static void
test_corpus(void **state)
{
	size_t count, i, nrec = 0, dated = 0, nids = 0;
	char **list = tu_list("corpus", &count);

	(void)state;
	for (i = 0; i < count; i++) {
		size_t n, body, k;
		char *p;
		mf_headers *h;

		if (strstr(list[i], ".eml") == NULL &&
		    strstr(list[i], "spamassassin/") == NULL)
			continue;
		if (strstr(list[i], "LICENSE") || strstr(list[i], "NOTICE"))
			continue;
		p = tu_read(list[i], &n);
		assert_int_equal(mf_headers_parse(p, n, NULL, &h, &body, NULL),
				 MF_OK);
		for (k = 0; k < mf_headers_count(h); k++) {
			const mf_field *f = mf_headers_at(h, k);
			mf_received r;
			mf_str ids[256];
			size_t ni = 256;

			if (mf__ieq(f->name.ptr, f->name.len, "Received", 8)) {
				assert_int_equal(mf_received_parse(f->value.ptr,
								   f->value.len,
								   NULL, &r,
								   NULL, NULL),
						 MF_OK);
				nrec++;
				dated += r.has_date != 0;
			} else if (mf__ieq(f->name.ptr, f->name.len,
					   "References", 10) ||
				   mf__ieq(f->name.ptr, f->name.len,
					   "In-Reply-To", 11) ||
				   mf__ieq(f->name.ptr, f->name.len,
					   "Message-ID", 10)) {
				assert_int_equal(mf_msgid_parse(f->value.ptr,
								f->value.len,
								NULL, ids, &ni,
								NULL, NULL),
						 MF_OK);
				nids += ni;
			}
		}
		mf_headers_free(h);
		free(p);
	}
	tu_list_free(list);
	printf("corpus: %zu Received (%zu dated), %zu message-ids\n", nrec,
	       dated, nids);
	assert_true(nrec > 300);
	assert_true(dated * 100 >= nrec * 95);
	assert_true(nids > 200);
}

static void
test_guard(void **state)
{
	static const char *in[] = {
	    "<a@b> (x) <\"q\\\"\"@[1.2]> c@d",
	    "from a (b [c]) by d with e id f for <g@h>; 1 Jan 2024 00:00 +0000",
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		size_t n = strlen(in[i]);
		tu_guard g;
		const char *p = tu_guard_new(&g, in[i], n);

		for (k = 0; k <= n; k++) {
			mf_str ids[8];
			size_t ni = 8;
			mf_received r;

			assert_int_equal(mf_msgid_parse(p + n - k, k, NULL, ids,
							&ni, NULL, NULL),
					 MF_OK);
			assert_int_equal(mf_received_parse(p + n - k, k, NULL,
							   &r, NULL, NULL),
					 MF_OK);
		}
		tu_guard_free(&g);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dovecot),
	    cmocka_unit_test(test_gmime),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_nospc),
	    cmocka_unit_test(test_generate),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_received_table),
	    cmocka_unit_test(test_received_format),
	    cmocka_unit_test(test_received_oom),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
