/* SPDX-License-Identifier: MIT */
/*
 * test_reply.c - mf_msg_reply and mf_msg_forward: recipients by RFC 5322
 * 3.6.3 (Reply-To, From, reply-all, the caller's own addresses, and
 * duplicates), the subject without stacked prefixes, In-Reply-To and
 * References by 3.6.4 (the RFC's own example thread from the corpus,
 * long chains folded), forwarding as message/rfc822, every corpus
 * message replied to, errors and OOM.
 */
#include "tutil.h"

/* Parses p (kept by the caller) into a message. */
static mf_msg *
parse(const char *p)
{
	mf_msg *m = NULL;
	mf_error err;

	if (mf_msg_parse(p, strlen(p), NULL, &m, &err) != MF_OK)
		fail_msg("parse failed at %zu", err.offset);
	return m;
}

/* The field name of r unfolded and decoded ("" when absent; "(none)"
 * when there is no such field). */
static char *
field(const mf_part *r, const char *name)
{
	mf_str v = mf_part_header_value(r, name, strlen(name));
	mf_buf *b = mf_buf_new(NULL);
	char *s;

	assert_non_null(b);
	if (mf_part_header(r, name, strlen(name), NULL) == NULL) {
		assert_int_equal(mf_buf_append(b, "(none)", 6), MF_OK);
	} else {
		assert_int_equal(mf_hdr_decode(b, v.ptr, v.len, NULL, NULL,
					       NULL),
				 MF_OK);
		assert_int_equal(mf_buf_append(b, "", 1), MF_OK);
	}
	assert_int_equal(mf_buf_take(b, &s, NULL), MF_OK);
	mf_buf_free(b);
	return s;
}

static void
assert_field(const mf_part *r, const char *name, const char *want,
	     const char *label)
{
	char *s = field(r, name);

	if (strcmp(s, want) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", label, name, s,
			 want);
	free(s);
}

/* The reply to in (by mode, without self), written and parsed back:
 * what a reader sees. */
static mf_msg *
reply_back(const char *in, int mode, const char *self, mf_buf **wire)
{
	mf_msg *o = parse(in), *r = NULL, *back = NULL;
	mf_buf *b = mf_buf_new(NULL);
	mf_error err;

	assert_non_null(b);
	memset(&err, 0, sizeof(err));
	if (mf_msg_reply(mf_msg_root(o), mode, self, NULL, &r, &err) != MF_OK)
		fail_msg("reply: %d at %zu (%s)", err.code, err.offset,
			 err.reason ? err.reason : "");
	assert_int_equal(mf_msg_set_text(r, "ok", 2, 0), MF_OK);
	assert_int_equal(mf_msg_write(r, 0, b), MF_OK);
	assert_int_equal(mf_msg_parse(mf_buf_data(b), mf_buf_len(b), NULL,
				      &back, NULL),
			 MF_OK);
	mf_msg_free(r);
	mf_msg_free(o);
	*wire = b;
	return back;
}

/* ---------------------------------------------------------------------- */
/* RFC 5322 appendix A.2, from the corpus                                  */
/* ---------------------------------------------------------------------- */

static void
test_rfc_example(void **state)
{
	size_t n;
	char *p6 = tu_read("corpus/mikel-mail/spec/fixtures/emails/rfc2822/"
			   "example06.eml",
			   &n);
	char *p7 = tu_read("corpus/mikel-mail/spec/fixtures/emails/rfc2822/"
			   "example07.eml",
			   &n);
	mf_msg *back, *ex7 = parse(p7);
	mf_buf *w;
	const mf_part *r;
	const char *f[] = { "To", "Subject", "In-Reply-To", "References" };
	size_t i;

	(void)state;
	/* John's reply to Mary's reply is example07: To her Reply-To,
	 * "Re: Saying Hello" (not "Re: Re:"), and the thread. */
	back = reply_back(p6, MF_REPLY_SENDER, "jdoe@machine.example", &w);
	r = mf_msg_root(back);
	for (i = 0; i < 4; i++) {
		char *want = field(mf_msg_root(ex7), f[i]);

		assert_field(r, f[i], want, f[i]);
		free(want);
	}
	assert_field(r, "Cc", "(none)", "no Cc");
	mf_msg_free(back);
	mf_buf_free(w);
	/* Reply-all from John: Mary's Reply-To, and nobody else (John is
	 * himself). */
	back = reply_back(p6, MF_REPLY_ALL, "John Doe <jdoe@machine.example>",
			  &w);
	assert_field(mf_msg_root(back), "To",
		     "\"Mary Smith: Personal Account\" <smith@home.example>",
		     "all");
	assert_field(mf_msg_root(back), "Cc", "(none)", "all Cc");
	mf_msg_free(back);
	mf_buf_free(w);
	/* Without self, John stays in Cc. */
	back = reply_back(p6, MF_REPLY_ALL, NULL, &w);
	assert_field(mf_msg_root(back), "Cc", "John Doe <jdoe@machine.example>",
		     "all, no self");
	mf_msg_free(back);
	mf_buf_free(w);
	mf_msg_free(ex7);
	free(p6);
	free(p7);
}

/* ---------------------------------------------------------------------- */
/* Recipients                                                              */
/* ---------------------------------------------------------------------- */

static const char msg1[] =
    "From: Ann <ann@Example.ORG>\r\n"
    "To: bob@y.org, Carl <carl@Z.org>, team: dan@y.org, eve@y.org;\r\n"
    "Cc: ann@example.org, dan@Y.ORG, =?utf-8?q?Fr=C3=A9d?= <fred@y.org>,\r\n"
    " bob@y.org\r\n"
    "Subject: plan\r\n"
    "Message-ID: <m1@example.org>\r\n"
    "\r\n"
    "body\r\n";

static void
test_recipients(void **state)
{
	static const char rt[] =
	    "From: ann@example.org\r\n"
	    "Reply-To: List <list@lists.example>, ann@example.org\r\n"
	    "To: list@lists.example, me@here.example\r\n"
	    "Subject: x\r\n\r\n";
	static const char own[] =
	    "From: Me <me@here.example>\r\n"
	    "To: bob@y.org\r\n"
	    "Cc: carl@z.org\r\n"
	    "Subject: sent\r\n\r\n";
	static const char nofrom[] =
	    "Sender: s@example.org\r\nTo: t@example.org\r\nSubject: x\r\n\r\n";
	mf_msg *back;
	mf_buf *w;

	(void)state;
	/* Sender only. */
	back = reply_back(msg1, MF_REPLY_SENDER, NULL, &w);
	assert_field(mf_msg_root(back), "To", "Ann <ann@Example.ORG>", "to");
	assert_field(mf_msg_root(back), "Cc", "(none)", "no cc");
	mf_msg_free(back);
	mf_buf_free(w);
	/* All: To the author, Cc the others once each (domains compare
	 * without case, group members included), not me. */
	back = reply_back(msg1, MF_REPLY_ALL, "Carl <carl@z.org>", &w);
	assert_field(mf_msg_root(back), "To", "Ann <ann@Example.ORG>", "to");
	assert_field(mf_msg_root(back), "Cc",
		     "bob@y.org, dan@y.org, eve@y.org, Fr\303\251d <fred@y.org>",
		     "cc");
	mf_msg_free(back);
	mf_buf_free(w);
	/* self may be a list; local parts compare with case. */
	back = reply_back(msg1, MF_REPLY_ALL, "BOB@y.org, eve@Y.org", &w);
	assert_field(mf_msg_root(back), "Cc",
		     "bob@y.org, Carl <carl@Z.org>, dan@y.org, "
		     "Fr\303\251d <fred@y.org>",
		     "cc self list");
	mf_msg_free(back);
	mf_buf_free(w);
	/* Reply-To wins over From; its own duplicates go. */
	back = reply_back(rt, MF_REPLY_ALL, "me@here.example", &w);
	assert_field(mf_msg_root(back), "To",
		     "List <list@lists.example>, ann@example.org", "reply-to");
	assert_field(mf_msg_root(back), "Cc", "(none)", "reply-to cc");
	mf_msg_free(back);
	mf_buf_free(w);
	/* A reply to one's own message goes to its recipients. */
	back = reply_back(own, MF_REPLY_SENDER, "me@here.example", &w);
	assert_field(mf_msg_root(back), "To", "bob@y.org", "own");
	mf_msg_free(back);
	mf_buf_free(w);
	back = reply_back(own, MF_REPLY_ALL, "me@here.example", &w);
	assert_field(mf_msg_root(back), "To", "bob@y.org, carl@z.org",
		     "own all");
	assert_field(mf_msg_root(back), "Cc", "(none)", "own all cc");
	mf_msg_free(back);
	mf_buf_free(w);
	/* No From: the Sender. */
	back = reply_back(nofrom, MF_REPLY_SENDER, NULL, &w);
	assert_field(mf_msg_root(back), "To", "s@example.org", "sender");
	mf_msg_free(back);
	mf_buf_free(w);
}

/* ---------------------------------------------------------------------- */
/* Subjects                                                                */
/* ---------------------------------------------------------------------- */

static void
test_subjects(void **state)
{
	static const struct {
		const char *in, *re, *fwd;
	} c[] = {
	    { "Subject: hello", "Re: hello", "Fwd: hello" },
	    { "Subject: Re: hello", "Re: hello", "Fwd: Re: hello" },
	    { "Subject: RE: re: Re:hello", "Re: hello", "Fwd: RE: re: Re:hello" },
	    { "Subject: Re[2]: hello", "Re: hello", "Fwd: Re[2]: hello" },
	    { "Subject: Re(3): AW: Sv: hello", "Re: hello",
	      "Fwd: Re(3): AW: Sv: hello" },
	    { "Subject: Antw: hello", "Re: hello", "Fwd: Antw: hello" },
	    { "Subject: re : hello", "Re: hello", "Fwd: re : hello" },
	    { "Subject: Fwd: hello", "Re: Fwd: hello", "Fwd: hello" },
	    { "Subject: FW: Fwd: fw:hello", "Re: FW: Fwd: fw:hello",
	      "Fwd: hello" },
	    { "Subject: Reply needed", "Re: Reply needed",
	      "Fwd: Reply needed" },
	    { "Subject: Re[x]: odd", "Re: Re[x]: odd", "Fwd: Re[x]: odd" },
	    { "Subject: Reunion", "Re: Reunion", "Fwd: Reunion" },
	    { "Subject: Re:", "Re:", "Fwd: Re:" },
	    { "Subject: ", "Re:", "Fwd:" },
	    { "X-No-Subject: 1", "Re:", "Fwd:" },
	    { "Subject: =?utf-8?q?Re=3A_R=C3=A9sum=C3=A9?=",
	      "Re: R\xc3\xa9sum\xc3\xa9", "Fwd: Re: R\xc3\xa9sum\xc3\xa9" },
	    { "Subject: =?iso-8859-1?q?AW=3A_Gr=FC=DFe?=",
	      "Re: Gr\xc3\xbc\303\237e", "Fwd: AW: Gr\xc3\xbc\303\237e" },
	    /* Text that looks like an encoded word stays text. */
	    { "Subject: =?utf-8?q?Re:_=3D=3Futf-8=3Fq=3Fx=3F=3D?=",
	      "Re: =?utf-8?q?x?=", "Fwd: Re: =?utf-8?q?x?=" },
	    { "Subject: =?us-ascii?q?a_=3D=3F_b_=3F=3D?=", "Re: a =? b ?=",
	      "Fwd: a =? b ?=" },
	    { "Subject: Re: =?utf-8?b?5pel5pys6Kqe?=",
	      "Re: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	      "Fwd: Re: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
	    { "Subject: a very long subject line that goes on and on and on "
	      "and on\r\n and on across a folded line",
	      "Re: a very long subject line that goes on and on and on and on "
	      "and on across a folded line",
	      "Fwd: a very long subject line that goes on and on and on and "
	      "on and on across a folded line" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char in[512];
		mf_msg *o, *r, *f, *back;
		mf_buf *w;

		snprintf(in, sizeof(in), "From: a@b.example\r\n%s\r\n\r\nx\r\n",
			 c[i].in);
		back = reply_back(in, MF_REPLY_SENDER, NULL, &w);
		assert_field(mf_msg_root(back), "Subject", c[i].re, c[i].in);
		mf_msg_free(back);
		mf_buf_free(w);
		o = parse(in);
		assert_int_equal(mf_msg_reply(mf_msg_root(o), MF_REPLY_ALL, NULL,
					      NULL, &r, NULL),
				 MF_OK);
		assert_field(mf_msg_root(r), "Subject", c[i].re, c[i].in);
		assert_int_equal(mf_msg_forward(mf_msg_root(o), NULL, &f, NULL),
				 MF_OK);
		assert_field(mf_msg_root(f), "Subject", c[i].fwd, c[i].in);
		mf_msg_free(f);
		mf_msg_free(r);
		mf_msg_free(o);
	}
}

/* ---------------------------------------------------------------------- */
/* In-Reply-To and References                                              */
/* ---------------------------------------------------------------------- */

static void
test_references(void **state)
{
	static const struct {
		const char *hdr, *irt, *refs;
	} c[] = {
	    /* Nothing to refer to. */
	    { "", "(none)", "(none)" },
	    /* The parent's id alone. */
	    { "Message-ID: <p@x>\r\n", "<p@x>", "<p@x>" },
	    /* References, then the id. */
	    { "Message-ID: <p@x>\r\nReferences: <a@x> <b@x>\r\n"
	      "In-Reply-To: <b@x>\r\n",
	      "<p@x>", "<a@x> <b@x> <p@x>" },
	    /* No References: a single In-Reply-To. */
	    { "Message-ID: <p@x>\r\nIn-Reply-To: <b@x>\r\n", "<p@x>",
	      "<b@x> <p@x>" },
	    /* ... but not two (which one is the parent?). */
	    { "Message-ID: <p@x>\r\nIn-Reply-To: <b@x> <c@x>\r\n", "<p@x>",
	      "<p@x>" },
	    /* No Message-ID: no In-Reply-To, References kept. */
	    { "References: <a@x>\r\n", "(none)", "<a@x>" },
	    { "In-Reply-To: <b@x>\r\n", "(none)", "<b@x>" },
	    /* Obsolete forms made canonical, the id not repeated. */
	    { "Message-ID: <p@x>\r\nReferences: <a @ x> (c) <p@x>\r\n",
	      "<p@x>", "<a@x> <p@x>" },
	    /* Folded input, phrases between ids (obs), duplicates. */
	    { "Message-ID:\r\n <p@x>\r\nReferences: <a@x>\r\n <b@x> junk <a@x>\r\n",
	      "<p@x>", "<a@x> <b@x> <p@x>" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char in[512];
		mf_msg *back;
		mf_buf *w;

		snprintf(in, sizeof(in),
			 "From: a@b.example\r\n%sSubject: s\r\n\r\nx\r\n",
			 c[i].hdr);
		back = reply_back(in, MF_REPLY_SENDER, NULL, &w);
		assert_field(mf_msg_root(back), "In-Reply-To", c[i].irt,
			     c[i].hdr);
		assert_field(mf_msg_root(back), "References", c[i].refs,
			     c[i].hdr);
		mf_msg_free(back);
		mf_buf_free(w);
	}
}

/* A thread 40 replies deep: References grow by one id each time and
 * are folded within 78 columns. */
static void
test_chain(void **state)
{
	char *in;
	int depth;
	mf_buf *w = NULL;

	(void)state;
	in = strdup("From: a@b.example\r\nMessage-ID: <root.0@thread.example>\r\n"
		    "Subject: start\r\n\r\nx\r\n");
	assert_non_null(in);
	for (depth = 1; depth <= 40; depth++) {
		mf_msg *back;
		mf_str ids[64];
		size_t n = 64, i;
		char id[64];
		mf_error err;
		const char *s;

		mf_buf_free(w);
		back = reply_back(in, MF_REPLY_SENDER, NULL, &w);
		/* Give the reply an id of its own for the next round. */
		snprintf(id, sizeof(id), "<r.%d@thread.example>", depth);
		free(in);
		{
			mf_msg *r = NULL;
			mf_buf *b = mf_buf_new(NULL);

			assert_non_null(b);
			assert_int_equal(mf_msg_parse(mf_buf_data(w),
						      mf_buf_len(w), NULL, &r,
						      NULL),
					 MF_OK);
			assert_int_equal(mf_part_header_set(r, NULL,
							    "Message-ID", 10,
							    id, strlen(id), 0,
							    &err),
					 MF_OK);
			assert_int_equal(mf_msg_write(r, 0, b), MF_OK);
			assert_int_equal(mf_buf_take(b, &in, NULL), MF_OK);
			mf_buf_free(b);
			mf_msg_free(r);
		}
		{
			mf_str v = mf_part_header_value(mf_msg_root(back),
							"References", 10);

			assert_int_equal(mf_msgid_parse(v.ptr, v.len, NULL, ids,
							&n, NULL, NULL),
					 MF_OK);
		}
		assert_int_equal(n, (size_t)depth);
		assert_int_equal(ids[0].len, 21);
		assert_memory_equal(ids[0].ptr, "root.0@thread.example", 21);
		for (i = 1; i < n; i++) {
			char want[64];

			snprintf(want, sizeof(want), "r.%zu@thread.example", i);
			assert_int_equal(ids[i].len, strlen(want));
			assert_memory_equal(ids[i].ptr, want, ids[i].len);
		}
		/* Every line within 78 columns. */
		for (s = mf_buf_data(w); *s != '\0';) {
			const char *e = strstr(s, "\r\n");

			if (e == NULL)
				e = s + strlen(s);
			assert_true(e - s <= 78);
			s = *e != '\0' ? e + 2 : e;
		}
		assert_field(mf_msg_root(back), "Subject", "Re: start", "chain");
		mf_msg_free(back);
	}
	mf_buf_free(w);
	free(in);
}

/* ---------------------------------------------------------------------- */
/* Forward                                                                 */
/* ---------------------------------------------------------------------- */

static void
test_forward(void **state)
{
	mf_msg *o = parse(msg1), *f = NULL, *back = NULL;
	mf_buf *b = mf_buf_new(NULL);
	const mf_part *p;
	mf_error err;

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_msg_forward(mf_msg_root(o), NULL, &f, &err), MF_OK);
	/* From and To are the caller's. */
	assert_null(mf_part_header(mf_msg_root(f), "To", 2, NULL));
	assert_int_equal(mf_msg_set(f, "From", "me@here.example", &err), MF_OK);
	assert_int_equal(mf_msg_set(f, "To", "x@there.example", &err), MF_OK);
	assert_int_equal(mf_msg_set_text(f, "FYI\r\n", 5, 0), MF_OK);
	assert_int_equal(mf_msg_write(f, 0, b), MF_OK);
	assert_int_equal(mf_msg_parse(mf_buf_data(b), mf_buf_len(b), NULL,
				      &back, NULL),
			 MF_OK);
	p = mf_msg_root(back);
	assert_field(p, "Subject", "Fwd: plan", "fwd");
	assert_int_equal(mf_part_child_count(p), 2);
	assert_int_equal(mf_part_kind(mf_part_child(p, 1)), MF_PART_MESSAGE);
	/* The original, byte for byte. */
	assert_non_null(strstr(mf_buf_data(b), msg1));
	assert_field(mf_part_message(mf_part_child(p, 1)), "Message-ID",
		     "<m1@example.org>", "inner");
	/* Not a reply. */
	assert_null(mf_part_header(p, "In-Reply-To", 11, NULL));
	mf_msg_free(back);
	mf_msg_free(f);
	mf_msg_free(o);
	mf_buf_free(b);
}

/* ---------------------------------------------------------------------- */
/* Every corpus message                                                    */
/* ---------------------------------------------------------------------- */

static void
test_corpus(void **state)
{
	static const char *const sets[] = {
	    "corpus/cpython",    "corpus/gmime",
	    "corpus/mikel-mail", "corpus/mimekit",
	    "corpus/nodemailer-mailparser", "corpus/spamassassin",
	    "corpus/torture",
	};
	size_t s, files = 0, threaded = 0;

	(void)state;
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t count, i;
		char **list = tu_list(sets[s], &count);

		for (i = 0; i < count; i++) {
			size_t n, len = strlen(list[i]);
			char *p;
			mf_msg *o = NULL, *r = NULL, *f = NULL, *back = NULL;
			mf_buf *b;
			int mode;

			if (len > 4 && strcmp(list[i] + len - 4, ".log") == 0)
				continue;
			p = tu_read(list[i], &n);
			if (mf_msg_parse(p, n, NULL, &o, NULL) != MF_OK) {
				free(p);
				continue;
			}
			for (mode = MF_REPLY_SENDER; mode <= MF_REPLY_ALL;
			     mode++) {
				mf_str id;
				mf_error err;
				int rc;

				b = mf_buf_new(NULL);
				assert_non_null(b);
				rc = mf_msg_reply(mf_msg_root(o), mode,
						  "me@example.org", NULL, &r,
						  &err);
				/* Only an address that cannot be written
				 * (non-ASCII addr-spec) may fail. */
				if (rc != MF_OK) {
					if (rc != MF_E_UTF8_OUT)
						fail_msg("%s: reply %d (%s)",
							 list[i], rc,
							 err.reason);
					mf_buf_free(b);
					continue;
				}
				assert_int_equal(mf_msg_write(r, 0, b), MF_OK);
				assert_int_equal(mf_msg_parse(mf_buf_data(b),
							      mf_buf_len(b),
							      NULL, &back,
							      NULL),
						 MF_OK);
				{
					char *sub = field(mf_msg_root(back),
							  "Subject");

					assert_true(strncmp(sub, "Re:", 3) == 0);
					assert_true(strncmp(sub + 3, " Re:", 4) !=
						    0);
					free(sub);
				}
				id = mf_part_header_value(mf_msg_root(back),
							  "In-Reply-To", 11);
				threaded += id.len > 0;
				mf_msg_free(back);
				mf_msg_free(r);
				mf_buf_free(b);
			}
			assert_int_equal(mf_msg_forward(mf_msg_root(o), NULL, &f,
							NULL),
					 MF_OK);
			b = mf_buf_new(NULL);
			assert_non_null(b);
			assert_int_equal(mf_msg_write(f, 0, b), MF_OK);
			mf_buf_free(b);
			mf_msg_free(f);
			mf_msg_free(o);
			free(p);
			files++;
		}
		tu_list_free(list);
	}
	assert_true(files >= 390);
	assert_true(threaded > 100);
}

/* ---------------------------------------------------------------------- */
/* Errors and OOM                                                          */
/* ---------------------------------------------------------------------- */

static void
test_errors(void **state)
{
	mf_msg *o = parse(msg1), *r = (mf_msg *)1;
	mf_error err;
	mf_opts opt;

	(void)state;
	memset(&err, 0, sizeof(err));
	/* A self list that is not one: where it goes wrong. */
	assert_int_equal(mf_msg_reply(mf_msg_root(o), MF_REPLY_ALL,
				      "me@example.org, <broken", NULL, &r, &err),
			 MF_E_SYNTAX);
	assert_null(r);
	assert_int_equal(err.code, MF_E_SYNTAX);
	assert_true(err.offset >= 16);
	assert_int_equal(mf_msg_reply(mf_msg_root(o), 2, NULL, NULL, &r, &err),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_reply(NULL, 0, NULL, NULL, &r, &err),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_reply(mf_msg_root(o), 0, NULL, NULL, NULL,
				      &err),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_forward(NULL, NULL, &r, &err), MF_E_INVAL);
	assert_int_equal(mf_msg_forward(mf_msg_root(o), NULL, NULL, NULL),
			 MF_E_INVAL);
	memset(&opt, 0, sizeof(opt));
	opt.flags = MF_STRICT;
	assert_int_equal(mf_msg_reply(mf_msg_root(o), 0, NULL, &opt, &r, &err),
			 MF_E_INVAL);
	assert_int_equal(mf_msg_forward(mf_msg_root(o), &opt, &r, &err),
			 MF_E_INVAL);
	/* The options reach the new message: raw UTF-8 headers. */
	opt.flags = MF_UTF8_OUT;
	assert_int_equal(mf_msg_reply(mf_msg_root(o), MF_REPLY_ALL, NULL, &opt,
				      &r, &err),
			 MF_OK);
	{
		mf_buf *b = mf_buf_new(NULL);

		assert_non_null(b);
		assert_int_equal(mf_msg_write(r, 0, b), MF_OK);
		assert_non_null(strstr(mf_buf_data(b), "Fr\303\251d <fred@y.org>"));
		mf_buf_free(b);
	}
	mf_msg_free(r);
	mf_msg_free(o);
}

static int
oom_reply(const mf_alloc *a, void *ctx)
{
	int fwd = *(int *)ctx;
	mf_opts o;
	mf_msg *in = NULL, *r = NULL;
	mf_buf *b;
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	rc = mf_msg_parse(msg1, strlen(msg1), &o, &in, NULL);
	if (rc < 0)
		return rc;
	rc = fwd ? mf_msg_forward(mf_msg_root(in), &o, &r, NULL)
		 : mf_msg_reply(mf_msg_root(in), MF_REPLY_ALL,
				"carl@z.org, x@y.org", &o, &r, NULL);
	if (rc == MF_OK) {
		b = mf_buf_new(a);
		rc = b == NULL ? MF_E_NOMEM : mf_msg_write(r, 0, b);
		mf_buf_free(b);
	} else {
		assert_null(r);
	}
	mf_msg_free(r);
	mf_msg_free(in);
	return rc;
}

static void
test_oom(void **state)
{
	int fwd;

	(void)state;
	for (fwd = 0; fwd < 2; fwd++)
		assert_true(tu_oom_loop(oom_reply, &fwd) > 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc_example),
	    cmocka_unit_test(test_recipients),
	    cmocka_unit_test(test_subjects),
	    cmocka_unit_test(test_references),
	    cmocka_unit_test(test_chain),
	    cmocka_unit_test(test_forward),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
