/* SPDX-License-Identifier: MIT */
/*
 * test_ctype.c - Content-Type, Content-Disposition, parameter lists and
 * Content-Transfer-Encoding: our tables (recovery rules, defects with
 * offsets, strict mode), Dovecot's content-type and parameter tables, the
 * corpus messages (mikel-mail's error_emails as asserted recovery cases),
 * the parameter cap, OOM loops, guard pages and the arena entry points.
 */
#include <ctype.h>
#include <stdbool.h>
#include <ctype.h>
#include <strings.h>

#include "tdefect.h"

#include "contype.h"

#define D(x) MF_DEFECT_BIT(MF_D_##x)

static void
cat(char *out, size_t cap, const char *s, size_t n)
{
	size_t l = strlen(out);

	if (l + n >= cap)
		n = cap - l - 1;
	if (n > 0)
		memcpy(out + l, s, n);
	out[l + n] = '\0';
}

/* "name=value|name=value" */
static void
dump_params(char *out, size_t cap, const mf_params *ps)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < mf_params_count(ps); i++) {
		const mf_param *pm = mf_params_at(ps, i);

		if (i > 0)
			cat(out, cap, "|", 1);
		cat(out, cap, pm->name.ptr, pm->name.len);
		cat(out, cap, "=", 1);
		cat(out, cap, pm->value.ptr, pm->value.len);
	}
}

/* ---------------------------------------------------------------------- */
/* Content-Type                                                            */
/* ---------------------------------------------------------------------- */

struct ccase {
	const char *in;
	const char *type, *sub; /* "" when unusable */
	const char *params;
	uint64_t defects;
};

static const struct ccase ccases[] = {
    /* 0 */ {"text/plain", "text", "plain", "", 0},
    {"Text/HTML; Charset=\"UTF-8\"", "text", "html", "charset=UTF-8", 0},
    {" multipart/mixed;\r\n\tboundary=\"----=_Part_1\"", "multipart", "mixed",
     "boundary=----=_Part_1", 0},
    {"(c) text (d) / (e) plain (f) ; (g) charset (h) = (i) us-ascii (j)",
     "text", "plain", "charset=us-ascii", 0},
    {"text/plain; a=1; b=\"2\"; c=\"x\\\"y\"", "text", "plain",
     "a=1|b=2|c=x\"y", 0},
    /* 5 */ {"text/plain;", "text", "plain", "", 0},
    {"text plain", "text", "plain", "", D(CT_SYNTAX)},
    {"text", "text", "plain", "", D(CT_SYNTAX)},
    {"text/", "text", "plain", "", D(CT_SYNTAX)},
    {"multipart; boundary=x", "multipart", "mixed", "boundary=x",
     D(CT_SYNTAX)},
    /* 10 */ {"image", "", "", "", D(CT_SYNTAX)},
    {"/plain", "", "", "", D(CT_SYNTAX)},
    {"", "", "", "", D(CT_SYNTAX)},
    {"text/plain/format; charset=x", "text", "plain", "charset=x",
     D(CT_SYNTAX)},
    {"; charset=x", "", "", "charset=x", D(CT_SYNTAX)},
    /* 15 */ {"text/plain; charset", "text", "plain", "", D(PARAM_SYNTAX)},
    {"text/plain; =x; a=b", "text", "plain", "a=b", D(PARAM_SYNTAX)},
    {"text/plain;; a=b", "text", "plain", "a=b", D(PARAM_SYNTAX)},
    {"text/plain; a=", "text", "plain", "a=", D(PARAM_SYNTAX)},
    {"text/plain; name=foo bar.pdf; a=b", "text", "plain",
     "name=foo bar.pdf|a=b", D(PARAM_SYNTAX)},
    /* 20 */ {"multipart/mixed; boundary=----=_Part_0_1.2", "multipart",
     "mixed", "boundary=----=_Part_0_1.2", D(PARAM_SYNTAX)},
    {"text/plain; a=\"b\"c; d=e", "text", "plain", "a=b|d=e",
     D(PARAM_SYNTAX)},
    {"text/plain; a=\"unterminated; b=c", "text", "plain",
     "a=unterminated; b=c", D(UNTERMINATED)},
    {"text/plain; charset=a; CHARSET=b", "text", "plain", "charset=a",
     D(PARAM_DUPLICATE)},
    {"text/html   ; charest=\"us-ascii\"", "text", "html",
     "charest=us-ascii", 0},
    /* 25 */ {"application/vnd.ms-excel; name=\"a\\\\b.xls\"", "application",
     "vnd.ms-excel", "name=a\\b.xls", 0},
    {"text/plain; a=\"fol\r\n ded\"", "text", "plain", "a=fol ded", 0},
    {"message/rfc822\r\n", "message", "rfc822", "", 0},
    {"text/plain; charset=\"us-ascii\" ; format=\"flowed\"", "text",
     "plain", "charset=us-ascii|format=flowed", 0},
    {"application/msword; name=\"PGP.doc\"\r\n ; x-mac-type=\"5738424E\"",
     "application", "msword", "name=PGP.doc|x-mac-type=5738424E", 0},
    /* 30 */ {"text/plain (unterminated", "text", "plain", "",
     D(UNTERMINATED)},
    {"\xe5\x90\xab/\xe7\xa8\xae; a=\xc3\xa9", "\xe5\x90\xab", "\xe7\xa8\xae",
     "a=\xc3\xa9", 0},
    /* Issue 10: parameters separated by white space or folding alone. */
    {"multipart/mixed boundary=\"x\"", "multipart", "mixed", "boundary=x",
     D(PARAM_NO_SEMICOLON)},
    {"multipart/mixed\r\n\tboundary=\"x\"", "multipart", "mixed",
     "boundary=x", D(PARAM_NO_SEMICOLON)},
    /* 34 */ {"text/plain;\n charset=utf-8\n format=flowed", "text", "plain",
     "charset=utf-8|format=flowed", D(PARAM_NO_SEMICOLON)},
    {"text/plain; a=\"b\" c=d", "text", "plain", "a=b|c=d",
     D(PARAM_NO_SEMICOLON)},
    {"text plain charset=x", "text", "plain", "charset=x",
     D(CT_SYNTAX) | D(PARAM_NO_SEMICOLON)},
    /* ...but not what is no parameter */
    {"text/plain junk; a=b", "text", "plain", "a=b", D(CT_SYNTAX)},
};

static void
test_ctype_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const struct ccase *c = &ccases[i];
		mf_ctype *ct = NULL;
		mf_error e;
		mf_str t, s;
		char ps[512];

		if (mf_ctype_parse(c->in, strlen(c->in), NULL, &ct, &e) != MF_OK)
			fail_msg("case %zu: parse failed", i);
		t = mf_ctype_type(ct);
		s = mf_ctype_subtype(ct);
		dump_params(ps, sizeof(ps), mf_ctype_params(ct));
		if (t.len != strlen(c->type) || memcmp(t.ptr, c->type, t.len) ||
		    s.len != strlen(c->sub) || memcmp(s.ptr, c->sub, s.len) ||
		    strcmp(ps, c->params) != 0 ||
		    mf_ctype_defects(ct) != c->defects)
			fail_msg("case %zu: %s\n  got %.*s/%.*s [%s] 0x%llx", i,
				 c->in, (int)t.len, t.ptr, (int)s.len, s.ptr,
				 ps, (unsigned long long)mf_ctype_defects(ct));
		/* Both lookups find the first parameter, whatever the case. */
		if (mf_params_count(mf_ctype_params(ct)) > 0) {
			const mf_param *pm = mf_params_at(mf_ctype_params(ct), 0);
			char up[64];
			size_t k;

			for (k = 0; k < pm->name.len && k < sizeof(up); k++)
				up[k] = (char)toupper((unsigned char)pm->name.ptr[k]);
			assert_ptr_equal(mf_params_get(mf_ctype_params(ct), up,
						       pm->name.len),
					 pm);
		}
		mf_ctype_free(ct);
	}
}

/* Dovecot's rfc822_parse_content_type table (44 values). */
static void
test_dovecot_ct(void **state)
{
	tj *v = tj_load("corpus/vectors/dovecot/lib-mail-rfc822-parser.json");
	tj *t = tj_path(v, "tables.content_type_tests.entries");
	tj *po = tj_path(v, "tables.content_param_output.entries");
	static const char pin[] =
	    "text/plain; key1=value1#$!%&'*+-.^_`{|}~; "
	    "key2=\" \\\"(),/:;<=>?@[\\\\]\"";
	mf_ctype *ct;
	size_t i;

	(void)state;
	assert_int_equal(t->len, 44);
	for (i = 0; i < t->len; i++) {
		tj *e = tj_at(t, i);
		size_t n, on;
		const char *in = tj_bytes(tj_get(e, "input"), &n);
		const char *out = tj_bytes(tj_get(e, "output"), &on);
		long ret = tj_int(tj_get(e, "ret"));
		mf_str ty, su;
		uint64_t d;

		assert_int_equal(mf_ctype_parse(in, n, NULL, &ct, NULL), MF_OK);
		ty = mf_ctype_type(ct);
		su = mf_ctype_subtype(ct);
		d = mf_ctype_defects(ct);
		if (ret < 0) {
			/* Invalid for Dovecot: a defect for us (we may still
			 * recover "text/plain" from "text/plain/format"). */
			if (!(d & D(CT_SYNTAX)))
				fail_msg("dovecot %zu: %s: no defect", i, in);
		} else {
			char got[256];

			snprintf(got, sizeof(got), "%.*s/%.*s", (int)ty.len,
				 ty.ptr, (int)su.len, su.ptr);
			if (d != 0 || strlen(got) != on || memcmp(got, out, on))
				fail_msg("dovecot %zu: %s: got %s 0x%llx", i, in,
					 got, (unsigned long long)d);
			/* ret 1: parameters follow. */
			assert_int_equal(mf_params_count(mf_ctype_params(ct)),
					 ret == 1 ? 1 : 0);
		}
		mf_ctype_free(ct);
	}
	/* content_param_output: token and quoted values with specials. */
	assert_int_equal(mf_ctype_parse(pin, sizeof(pin) - 1, NULL, &ct, NULL),
			 MF_OK);
	assert_int_equal(mf_ctype_defects(ct), 0);
	assert_int_equal(mf_params_count(mf_ctype_params(ct)), po->len);
	for (i = 0; i < po->len; i++) {
		const mf_param *pm = mf_params_at(mf_ctype_params(ct), i);
		tj *e = tj_at(po, i);

		tu_assert_mem(pm->name.ptr, pm->name.len, tj_get(e, "key")->str,
			      tj_get(e, "key")->len, "key");
		tu_assert_mem(pm->value.ptr, pm->value.len,
			      tj_get(e, "value")->str, tj_get(e, "value")->len,
			      "value");
	}
	mf_ctype_free(ct);
	tj_free(v);
}

/* Every defect with its offset; strict mode stops there. */
struct dcase {
	const char *in;
	int disp;
	int d;
	size_t off;
	int strict_rc;
};

static const struct dcase dcases[] = {
    {"text plain", 0, MF_D_CT_SYNTAX, 5, MF_E_DEFECT},
    {"text/", 0, MF_D_CT_SYNTAX, 5, MF_E_DEFECT},
    {" /plain", 0, MF_D_CT_SYNTAX, 1, MF_E_DEFECT},
    {"text/plain/x", 0, MF_D_CT_SYNTAX, 10, MF_E_DEFECT},
    {"text/plain; a", 0, MF_D_PARAM_SYNTAX, 13, MF_E_DEFECT},
    {"text/plain; ;a=b", 0, MF_D_PARAM_SYNTAX, 12, MF_E_DEFECT},
    {"text/plain; a=b c", 0, MF_D_PARAM_SYNTAX, 15, MF_E_DEFECT},
    {"text/plain; a=\"b\" c", 0, MF_D_PARAM_SYNTAX, 18, MF_E_DEFECT},
    {"text/plain; a=b; A=c", 0, MF_D_PARAM_DUPLICATE, 17, MF_E_DEFECT},
    {"text/plain; a=\"b", 0, MF_D_UNTERMINATED, 14, MF_E_DEFECT},
    {"=?utf-8?Q?invalid?=", 1, MF_D_CT_SYNTAX, 0, MF_E_DEFECT},
    {"attachment filename=x", 1, MF_D_PARAM_NO_SEMICOLON, 11, MF_E_DEFECT},
    {"multipart/mixed boundary=x", 0, MF_D_PARAM_NO_SEMICOLON, 16,
     MF_E_DEFECT},
    {"multipart/mixed\r\n boundary=x", 0, MF_D_PARAM_NO_SEMICOLON, 18,
     MF_E_DEFECT},
    {"text/plain; a=\"b\"\n c=d", 0, MF_D_PARAM_NO_SEMICOLON, 19,
     MF_E_DEFECT},
};

static void
test_defect_offsets(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		struct log rec;
		mf_opts o;
		mf_error e;
		int rc;
		void *obj = NULL;

		memset(&o, 0, sizeof(o));
		memset(&rec, 0, sizeof(rec));
		o.on_defect = log_defect;
		o.defect_ctx = &rec;
		if (c->disp)
			rc = mf_disp_parse(c->in, strlen(c->in), &o,
					   (mf_disp **)&obj, &e);
		else
			rc = mf_ctype_parse(c->in, strlen(c->in), &o,
					    (mf_ctype **)&obj, &e);
		assert_int_equal(rc, MF_OK);
		if (rec.n < 1 || rec.code[0] != c->d || rec.off[0] != c->off)
			fail_msg("case %zu: %s: got %s at %lu", i, c->in,
				 rec.n ? mf_defect_name(rec.code[0]) : "-",
				 rec.n ? (unsigned long)rec.off[0] : 0ul);
		if (c->disp)
			mf_disp_free(obj);
		else
			mf_ctype_free(obj);
		o.flags = MF_STRICT;
		obj = (void *)&o; /* must be reset to NULL on error */
		if (c->disp)
			rc = mf_disp_parse(c->in, strlen(c->in), &o,
					   (mf_disp **)&obj, &e);
		else
			rc = mf_ctype_parse(c->in, strlen(c->in), &o,
					    (mf_ctype **)&obj, &e);
		if (rc != c->strict_rc || e.code != rc || e.offset != c->off ||
		    obj != NULL)
			fail_msg("case %zu: strict rc %d at %zu", i, rc,
				 e.offset);
	}
}

/* ---------------------------------------------------------------------- */
/* RFC 2231 continuations, charsets and RFC 2047 in names                  */
/* ---------------------------------------------------------------------- */

/*
 * Dovecot's rfc2231_parse table (12 parameter lists), each with our result
 * ("key=value|..."). Where Dovecot differs, the comment says why; the
 * decoding rules themselves are mf__rfc2231_join's (mf_rfc2231_decode(3)).
 */
static const struct {
	const char *want;
	uint64_t defects;
} dv2231[] = {
    {"title=This is ***fun***", 0},
    {"title=This is even more ***fun*** isn't it!", 0},
    {"title=   ", 0},
    /* NUL in a quoted segment: U+FFFD (MF_D_NUL), as Dovecot. */
    {"key4=foo|key=f\xef\xbf\xbdoobazba%|key2=ab%|key3=xyzplop%", D(NUL)},
    /* Dovecot keeps the plain "key3=foobar"; the RFC 2231 value wins
     * here (Outlook writes both: the extended one has the charset). */
    {"key3=foo", D(PARAM_DUPLICATE)},
    {"key2=foobaz", D(PARAM_DUPLICATE)},
    /* Dovecot prefers "key1*"; we take the numbered segments. */
    {"key1=foobaz", D(PARAM_DUPLICATE)},
    /* Duplicate sections: the first kept; Dovecot emits raw keys. */
    {"key1=foobaz1", D(PARAM_DUPLICATE)},
    /* A gap: the segments present are joined (Dovecot: raw keys). */
    {"key1=foobaz", D(PARAM_SYNTAX)},
    /* 8-bit in us-ascii: windows-1252 with a defect, NUL is U+FFFD, and
     * no charset means UTF-8 when valid; Dovecot keeps "%XX" text. */
    {"key1=foo\xc3\xa5\xc3\xa4|key2=foo\xc3\xa5\xc3\xa4|key3=foo\xef\xbf\xbd|"
     "key4=foo\xc3\xbf\xc3\xbf|key5=foo\xc3\xa5\xc3\xa4|key6=foo\xc3\xa5\xc3\xa4|"
     "key7=foo\xe2\x82\xac",
     D(CHARSET_INVALID) | D(NUL)},
    /* Invalid UTF-8: U+FFFD per bad byte; Dovecot keeps "%XX" text. */
    {"key1=foo\xef\xbf\xbd\xef\xbf\xbd|key2=foo\xef\xbf\xbd|"
     "key3=foo\xef\xbf\xbd\xef\xbf\xbd|key4=foo\xc3\xa5\xc3\xa4|"
     "key5=foo\xef\xbf\xbd",
     D(CHARSET_INVALID) | D(NUL)},
    /* Only section 0 names a charset (a later prefix is data). */
    {"key1=foo\xc3\xa5\xc3\xa4-utf-8''foo\xc3\xa5\xc3\xa4|"
     "key2=foo\xc3\xa5\xc3\xa4-iso-8859-1''foo\xef\xbf\xbd\xef\xbf\xbd",
     D(CHARSET_INVALID)},
};

static void
test_rfc2231(void **state)
{
	tj *v = tj_load("corpus/vectors/dovecot/lib-mail-rfc2231-parser.json");
	tj *t = tj_path(v, "tables.rfc2231_parse_tests.entries");
	size_t i;

	(void)state;
	assert_int_equal(t->len, 12);
	assert_int_equal(sizeof(dv2231) / sizeof(dv2231[0]), 12);
	for (i = 0; i < t->len; i++) {
		size_t n;
		const char *in = tj_bytes(tj_get(tj_at(t, i), "input"), &n);
		char *full = malloc(n + 4);
		char got[1024];
		mf_ctype *ct;

		assert_non_null(full);
		memcpy(full, "a/b", 3);
		memcpy(full + 3, in, n);
		assert_int_equal(mf_ctype_parse(full, n + 3, NULL, &ct, NULL),
				 MF_OK);
		dump_params(got, sizeof(got), mf_ctype_params(ct));
		if (strcmp(got, dv2231[i].want) != 0 ||
		    mf_ctype_defects(ct) != dv2231[i].defects)
			fail_msg("rfc2231 %zu: %.*s\n  want %s 0x%llx\n  got  %s "
				 "0x%llx",
				 i, (int)n, in, dv2231[i].want,
				 (unsigned long long)dv2231[i].defects, got,
				 (unsigned long long)mf_ctype_defects(ct));
		mf_ctype_free(ct);
		free(full);
	}
	tj_free(v);
}

struct rcase {
	const char *in;
	const char *params;
	const char *charset, *lang; /* of the first parameter */
	uint64_t defects;
};

static const struct rcase rcases[] = {
    /* Out of order, mixed encoded and plain segments. */
    {"x/y; name*2=c; name*0*=utf-8'de'%C3%A4; name*1=\"b b\"",
     "name=\xc3\xa4" "b bc", "utf-8", "de", 0},
    /* A multi-byte character split across segments survives. */
    {"x/y; f*0*=utf-8''%C3; f*1*=%A4", "f=\xc3\xa4", "utf-8", "", 0},
    /* Outlook: RFC 2047 in a quoted name/filename, not in others. */
    {"x/y; name=\"=?utf-8?B?w6kucGRm?=\"; other=\"=?utf-8?B?w6k=?=\"",
     "name=\xc3\xa9.pdf|other==?utf-8?B?w6k=?=", "", "", D(EW_IN_QUOTES)},
    {"x/y; filename==?iso-8859-1?q?caf=E9?=", "filename=caf\xc3\xa9", "", "",
     D(PARAM_SYNTAX)},
    /* 8-bit plain values are read as windows-1252 unless UTF-8. */
    {"x/y; name=\"caf\xe9\"", "name=caf\xc3\xa9", "", "", D(8BIT_HEADER)},
    {"x/y; name=\"caf\xc3\xa9\"", "name=caf\xc3\xa9", "", "", 0},
    /* The place of the first appearance is kept. */
    {"x/y; a=1; b*=''2; A*=''3", "a=3|b=2", "", "", D(PARAM_DUPLICATE)},
    /* A malformed RFC 2231 suffix is an ordinary name. */
    {"x/y; a*x=1; b*01=2", "a*x=1|b*01=2", "", "", 0},
};

static void
test_rfc2231_own(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];
		const mf_param *pm;
		mf_ctype *ct;
		char got[512];

		assert_int_equal(mf_ctype_parse(c->in, strlen(c->in), NULL, &ct,
						NULL),
				 MF_OK);
		dump_params(got, sizeof(got), mf_ctype_params(ct));
		pm = mf_params_at(mf_ctype_params(ct), 0);
		if (strcmp(got, c->params) != 0 ||
		    mf_ctype_defects(ct) != c->defects || pm == NULL ||
		    pm->charset.len != strlen(c->charset) ||
		    (pm->charset.len > 0 &&
		     memcmp(pm->charset.ptr, c->charset, pm->charset.len)) ||
		    pm->lang.len != strlen(c->lang) ||
		    (pm->lang.len > 0 &&
		     memcmp(pm->lang.ptr, c->lang, pm->lang.len)))
			fail_msg("case %zu: %s\n  got %s 0x%llx", i, c->in, got,
				 (unsigned long long)mf_ctype_defects(ct));
		mf_ctype_free(ct);
	}
}

/* ---------------------------------------------------------------------- */
/* Content-Disposition                                                     */
/* ---------------------------------------------------------------------- */

struct xcase {
	const char *in;
	const char *type;
	const char *params;
	uint64_t defects;
};

static const struct xcase xcases[] = {
    {"inline", "inline", "", 0},
    {"Attachment; FileName=\"a b.pdf\"; size=12", "attachment",
     "filename=a b.pdf|size=12", 0},
    {"attachment; filename=\"PGP.doc\"\r\n ; modification-date=\"Thu, 10 "
     "Jan 2002 13:58:10 -0800\"",
     "attachment", "filename=PGP.doc|modification-date=Thu, 10 Jan 2002 "
     "13:58:10 -0800", 0},
    {"", "", "", D(CT_SYNTAX)},
    {"; filename=x", "", "filename=x", D(CT_SYNTAX)},
    {"=?utf-8?Q?invalid?=", "", "", D(CT_SYNTAX)},
    {"attachment; filename=a.txt; filename=b.txt", "attachment",
     "filename=a.txt", D(PARAM_DUPLICATE)},
    {"form-data; name=\"field\"", "form-data", "name=field", 0},
};

static void
test_disp_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(xcases) / sizeof(xcases[0]); i++) {
		const struct xcase *c = &xcases[i];
		mf_disp *d = NULL;
		mf_str t;
		char ps[512];

		assert_int_equal(mf_disp_parse(c->in, strlen(c->in), NULL, &d,
					       NULL),
				 MF_OK);
		t = mf_disp_type(d);
		dump_params(ps, sizeof(ps), mf_disp_params(d));
		if (t.len != strlen(c->type) || memcmp(t.ptr, c->type, t.len) ||
		    strcmp(ps, c->params) != 0 || mf_disp_defects(d) != c->defects)
			fail_msg("case %zu: %s\n  got %.*s [%s] 0x%llx", i, c->in,
				 (int)t.len, t.ptr, ps,
				 (unsigned long long)mf_disp_defects(d));
		mf_disp_free(d);
	}
}

/* ---------------------------------------------------------------------- */
/* Content-Transfer-Encoding                                               */
/* ---------------------------------------------------------------------- */

struct tcase {
	const char *in;
	int cte;
	uint64_t defects;
};

static const struct tcase tcases[] = {
    {"7bit", MF_CTE_7BIT, 0},
    {"8BIT", MF_CTE_8BIT, 0},
    {" binary ", MF_CTE_BINARY, 0},
    {"Quoted-Printable", MF_CTE_QP, 0},
    {"base64", MF_CTE_BASE64, 0},
    {"base64 (comment)\r\n", MF_CTE_BASE64, 0},
    {"x-uuencode", MF_CTE_UUENCODE, 0},
    {"", MF_CTE_7BIT, D(CTE_NONSTANDARD)},
    {"  ", MF_CTE_7BIT, D(CTE_NONSTANDARD)},
    {"7-bit", MF_CTE_7BIT, D(CTE_NONSTANDARD)},
    {"7 bit", MF_CTE_7BIT, D(CTE_NONSTANDARD)},
    {"7Bit", MF_CTE_7BIT, 0},
    {"8bits", MF_CTE_8BIT, D(CTE_NONSTANDARD)},
    {"Base64 ", MF_CTE_BASE64, 0},
    {"base 64", MF_CTE_BASE64, D(CTE_NONSTANDARD)},
    {"quoted printable", MF_CTE_QP, D(CTE_NONSTANDARD)},
    {"quoted_printable", MF_CTE_QP, D(CTE_NONSTANDARD)},
    {"quoted-printable;", MF_CTE_QP, D(CTE_NONSTANDARD)},
    {"uuencode", MF_CTE_UUENCODE, D(CTE_NONSTANDARD)},
    {"x-uue", MF_CTE_UUENCODE, D(CTE_NONSTANDARD)},
    {"plain", MF_CTE_UNKNOWN, D(UNKNOWN_CTE)},
    {"text/html", MF_CTE_UNKNOWN, D(UNKNOWN_CTE)},
    {"7vladi.Pimenovit", MF_CTE_UNKNOWN, D(UNKNOWN_CTE)},
    {"base64 junk", MF_CTE_UNKNOWN, D(UNKNOWN_CTE)},
    {"a-very-long-unknown-encoding-name-indeed", MF_CTE_UNKNOWN,
     D(UNKNOWN_CTE)},
};

static void
test_cte(void **state)
{
	size_t i;
	int cte;
	uint64_t d;

	(void)state;
	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		const struct tcase *c = &tcases[i];

		d = 0;
		cte = -1;
		assert_int_equal(mf_cte_parse(c->in, strlen(c->in), &cte, &d),
				 MF_OK);
		if (cte != c->cte || d != c->defects)
			fail_msg("case %zu: %s: cte %d defects 0x%llx", i, c->in,
				 cte, (unsigned long long)d);
	}
	assert_int_equal(mf_cte_parse("7bit", 4, NULL, &d), MF_E_INVAL);
	assert_int_equal(mf_cte_parse(NULL, 1, &cte, &d), MF_E_INVAL);
	assert_int_equal(mf_cte_parse(NULL, 0, &cte, NULL), MF_OK);
	assert_int_equal(cte, MF_CTE_7BIT);
	assert_string_equal(mf_cte_name(MF_CTE_QP), "quoted-printable");
	assert_string_equal(mf_cte_name(MF_CTE_BASE64), "base64");
	assert_string_equal(mf_cte_name(MF_CTE_7BIT), "7bit");
	assert_string_equal(mf_cte_name(MF_CTE_8BIT), "8bit");
	assert_string_equal(mf_cte_name(MF_CTE_BINARY), "binary");
	assert_string_equal(mf_cte_name(MF_CTE_UUENCODE), "x-uuencode");
	assert_string_equal(mf_cte_name(MF_CTE_UNKNOWN), "");
	assert_string_equal(mf_cte_name(99), "");
	/* Round trip: every name reads back as itself. */
	for (cte = MF_CTE_7BIT; cte <= MF_CTE_UUENCODE; cte++) {
		int back = -1;

		d = 0;
		assert_int_equal(mf_cte_parse(mf_cte_name(cte),
					      strlen(mf_cte_name(cte)), &back,
					      &d),
				 MF_OK);
		assert_int_equal(back, cte);
		assert_int_equal(d, 0);
	}
}

/* ---------------------------------------------------------------------- */
/* Corpus messages                                                         */
/* ---------------------------------------------------------------------- */

/*
 * Calls fn for each header field (top-level header block and, crudely,
 * every later line that looks like a MIME part header) named name,
 * unfolded: the continuation line breaks are kept (FWS).
 */
typedef void field_fn(void *ctx, const char *v, size_t n, const char *file);

static size_t
each_field(const char *p, size_t n, const char *name, field_fn *fn,
	   void *ctx, const char *file)
{
	size_t i = 0, count = 0, nl = strlen(name);

	while (i < n) {
		size_t ls = i, le, ve;

		while (i < n && p[i] != '\n')
			i++;
		le = i;
		if (i < n)
			i++;
		if (le - ls <= nl || p[ls + nl] != ':' ||
		    strncasecmp(p + ls, name, nl) != 0)
			continue;
		/* Value with its continuation lines. */
		while (i < n && (p[i] == ' ' || p[i] == '\t')) {
			while (i < n && p[i] != '\n')
				i++;
			if (i < n)
				i++;
		}
		ve = i;
		fn(ctx, p + ls + nl + 1, ve - ls - nl - 1, file);
		count++;
	}
	return count;
}

struct stats {
	size_t fields, defective;
};

static void
check_ct(void *ctx, const char *v, size_t n, const char *file)
{
	struct stats *st = ctx;
	mf_ctype *ct;
	size_t i;

	if (mf_ctype_parse(v, n, NULL, &ct, NULL) != MF_OK)
		fail_msg("%s: Content-Type parse failed", file);
	st->fields++;
	st->defective += mf_ctype_defects(ct) != 0;
	if (getenv("CT_SHOW") && mf_ctype_defects(ct))
		printf("%s: %.*s\n", file, (int)(n > 200 ? 200 : n), v);
	/* Invariants: views inside the value, names lower case. */
	for (i = 0; i < mf_params_count(mf_ctype_params(ct)); i++) {
		const mf_param *pm = mf_params_at(mf_ctype_params(ct), i);
		size_t k;

		assert_true(pm->offset < n);
		for (k = 0; k < pm->name.len; k++)
			assert_false(pm->name.ptr[k] >= 'A' &&
				     pm->name.ptr[k] <= 'Z');
		if (pm->raw.len > 0)
			assert_true(pm->raw.ptr >= v &&
				    pm->raw.ptr + pm->raw.len <= v + n);
	}
	assert_true((mf_ctype_type(ct).len == 0) ==
		    (mf_ctype_subtype(ct).len == 0));
	mf_ctype_free(ct);
}

static void
check_cd(void *ctx, const char *v, size_t n, const char *file)
{
	struct stats *st = ctx;
	mf_disp *d;

	if (mf_disp_parse(v, n, NULL, &d, NULL) != MF_OK)
		fail_msg("%s: Content-Disposition parse failed", file);
	st->fields++;
	st->defective += mf_disp_defects(d) != 0;
	mf_disp_free(d);
}

static void
check_cte(void *ctx, const char *v, size_t n, const char *file)
{
	struct stats *st = ctx;
	uint64_t d = 0;
	int cte;

	if (mf_cte_parse(v, n, &cte, &d) != MF_OK)
		fail_msg("%s: CTE parse failed", file);
	st->fields++;
	st->defective += d != 0;
}

static void
test_corpus(void **state)
{
	static const char *dirs[] = {"corpus/mikel-mail", "corpus/cpython",
				     "corpus/spamassassin", "corpus/mimekit",
				     "corpus/gmime",
				     "corpus/nodemailer-mailparser"};
	struct stats ct = {0, 0}, cd = {0, 0}, te = {0, 0};
	size_t d;

	(void)state;
	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		size_t nf, f;
		char **files = tu_list(dirs[d], &nf);

		for (f = 0; f < nf; f++) {
			size_t n;
			char *p = tu_read(files[f], &n);

			each_field(p, n, "content-type", check_ct, &ct, files[f]);
			each_field(p, n, "content-disposition", check_cd, &cd,
				   files[f]);
			each_field(p, n, "content-transfer-encoding", check_cte,
				   &te, files[f]);
			free(p);
		}
		tu_list_free(files);
	}
	printf("corpus: Content-Type %zu (%zu with defects), "
	       "Content-Disposition %zu (%zu), CTE %zu (%zu)\n",
	       ct.fields, ct.defective, cd.fields, cd.defective, te.fields,
	       te.defective);
	assert_true(ct.fields > 900 && ct.defective * 10 < ct.fields);
	assert_true(cd.fields > 100);
	assert_true(te.fields > 300 && te.defective * 10 < te.fields);
}

/* mikel-mail's error_emails: the broken values, asserted. */
struct ecase {
	const char *file, *field;
	size_t nth; /* which occurrence */
	const char *want; /* type/subtype [params], or the CTE name */
	uint64_t defects;
};

static const struct ecase error_emails[] = {
    {"content_transfer_encoding_7-bit.eml", "content-transfer-encoding", 0,
     "7bit", D(CTE_NONSTANDARD)},
    {"content_transfer_encoding_plain.eml", "content-transfer-encoding", 0,
     "", D(UNKNOWN_CTE)},
    {"content_transfer_encoding_qp_with_space.eml",
     "content-transfer-encoding", 0, "quoted-printable", D(CTE_NONSTANDARD)},
    {"content_transfer_encoding_x_uuencode.eml", "content-transfer-encoding",
     0, "x-uuencode", 0},
    {"content_transfer_encoding_with_semi_colon.eml",
     "content-transfer-encoding", 1, "quoted-printable", D(CTE_NONSTANDARD)},
    {"content_transfer_encoding_empty.eml", "content-transfer-encoding", 0,
     "7bit", D(CTE_NONSTANDARD)},
    {"content_transfer_encoding_text-html.eml", "content-transfer-encoding",
     0, "", D(UNKNOWN_CTE)},
    {"content_transfer_encoding_spam.eml", "content-transfer-encoding", 0,
     "", D(UNKNOWN_CTE)},
    {"content_transfer_encoding_with_8bits.eml", "content-transfer-encoding",
     0, "8bit", D(CTE_NONSTANDARD)},
    {"bad_date_header.eml", "content-type", 0, "text/html [charest=us-ascii]",
     0},
    {"multiple_content_types.eml", "content-type", 0,
     "multipart/alternative [boundary=----_001_5973_47T00ZN9.15SY2428]", 0},
    {"multiple_content_types.eml", "content-type", 1, "text/plain []", 0},
    {"content_transfer_encoding_x_uuencode.eml", "content-type", 2,
     "application/msword [name=PGP_Cmts_on_12-14-01_Pkg.doc|x-mac-type="
     "5738424E|x-mac-creator=4D535744]",
     0},
    {"missing_content_disposition.eml", "content-disposition", 0, "",
     D(CT_SYNTAX)},
    {"multiple_invalid_content_dispositions.eml", "content-disposition", 0,
     "", D(CT_SYNTAX)},
    {"content_transfer_encoding_x_uuencode.eml", "content-disposition", 0,
     "attachment [filename=PGP_Cmts_on_12-14-01_Pkg.doc|modification-date="
     "Thu, 10 Jan 2002 13:58:10 -0800]",
     0},
};

struct pick {
	size_t nth, seen;
	char *v;
	size_t n;
};

static void
pick_fn(void *ctx, const char *v, size_t n, const char *file)
{
	struct pick *pk = ctx;

	(void)file;
	if (pk->seen++ == pk->nth) {
		pk->v = malloc(n + 1);
		assert_non_null(pk->v);
		memcpy(pk->v, v, n);
		pk->n = n;
	}
}

static void
test_error_emails(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_emails) / sizeof(error_emails[0]); i++) {
		const struct ecase *c = &error_emails[i];
		char path[256], got[512], ps[400];
		struct pick pk = {c->nth, 0, NULL, 0};
		uint64_t d = 0;
		size_t n;
		char *p;

		snprintf(path, sizeof(path),
			 "corpus/mikel-mail/spec/fixtures/emails/error_emails/%s",
			 c->file);
		p = tu_read(path, &n);
		each_field(p, n, c->field, pick_fn, &pk, path);
		if (pk.v == NULL)
			fail_msg("%s: no %s #%zu", c->file, c->field, c->nth);
		if (strcmp(c->field, "content-transfer-encoding") == 0) {
			int cte;

			assert_int_equal(mf_cte_parse(pk.v, pk.n, &cte, &d),
					 MF_OK);
			snprintf(got, sizeof(got), "%s", mf_cte_name(cte));
		} else if (strcmp(c->field, "content-type") == 0) {
			mf_ctype *ct;

			assert_int_equal(mf_ctype_parse(pk.v, pk.n, NULL, &ct,
							NULL),
					 MF_OK);
			dump_params(ps, sizeof(ps), mf_ctype_params(ct));
			snprintf(got, sizeof(got), "%.*s/%.*s [%s]",
				 (int)mf_ctype_type(ct).len,
				 mf_ctype_type(ct).ptr,
				 (int)mf_ctype_subtype(ct).len,
				 mf_ctype_subtype(ct).ptr, ps);
			d = mf_ctype_defects(ct);
			mf_ctype_free(ct);
		} else {
			mf_disp *cd;

			assert_int_equal(mf_disp_parse(pk.v, pk.n, NULL, &cd,
						       NULL),
					 MF_OK);
			dump_params(ps, sizeof(ps), mf_disp_params(cd));
			if (mf_disp_type(cd).len > 0 || ps[0])
				snprintf(got, sizeof(got), "%.*s [%s]",
					 (int)mf_disp_type(cd).len,
					 mf_disp_type(cd).ptr, ps);
			else
				got[0] = '\0';
			d = mf_disp_defects(cd);
			mf_disp_free(cd);
		}
		if (strcmp(got, c->want) != 0 || d != c->defects)
			fail_msg("%s %s #%zu: %.*s\n  want %s 0x%llx\n  got  %s "
				 "0x%llx",
				 c->file, c->field, c->nth, (int)pk.n, pk.v,
				 c->want, (unsigned long long)c->defects, got,
				 (unsigned long long)d);
		free(pk.v);
		free(p);
	}
}

/* ---------------------------------------------------------------------- */
/* Limits, allocation failures, guard pages, the arena entry points        */
/* ---------------------------------------------------------------------- */

static void
test_param_cap(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_ctype *ct;
	struct log rec;
	mf_opts o;
	mf_error e;
	size_t i, off129 = 0;

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_buf_append(b, "text/plain", 10), MF_OK);
	for (i = 0; i < 200; i++) {
		char pm[32];

		if (i == 128)
			off129 = mf_buf_len(b) + 2;
		snprintf(pm, sizeof(pm), "; p%zu=%zu", i, i);
		assert_int_equal(mf_buf_append(b, pm, strlen(pm)), MF_OK);
	}
	memset(&o, 0, sizeof(o));
	memset(&rec, 0, sizeof(rec));
	o.on_defect = log_defect;
	o.defect_ctx = &rec;
	assert_int_equal(mf_ctype_parse(mf_buf_data(b), mf_buf_len(b), &o, &ct,
					NULL),
			 MF_OK);
	assert_int_equal(mf_params_count(mf_ctype_params(ct)), 128);
	assert_int_equal(mf_ctype_defects(ct), D(FIELD_LIMIT));
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.off[0], off129);
	tu_assert_mem(mf_params_get(mf_ctype_params(ct), "p127", 4)->value.ptr,
		      3, "127", 3, "last kept");
	assert_null(mf_params_get(mf_ctype_params(ct), "p128", 4));
	mf_ctype_free(ct);
	o.flags = MF_STRICT;
	assert_int_equal(mf_ctype_parse(mf_buf_data(b), mf_buf_len(b), &o, &ct,
					&e),
			 MF_E_LIMIT);
	assert_int_equal(e.offset, off129);
	o.flags = 0;
	o.limits.max_params = 500;
	assert_int_equal(mf_ctype_parse(mf_buf_data(b), mf_buf_len(b), &o, &ct,
					NULL),
			 MF_OK);
	assert_int_equal(mf_params_count(mf_ctype_params(ct)), 200);
	mf_ctype_free(ct);
	mf_buf_free(b);
}

/*
 * Many parameters (the limit raised to its hard cap): each written one is
 * a new name, a duplicate of an earlier one, or an RFC 2231 segment; the
 * model walks that list the way ctype.c must (a duplicate is reported at
 * its name and skipped, the first value wins, the order is that of first
 * appearance, max_params counts what is kept) and gives what the parse
 * must return: kept names and values, and the defect log.
 */
enum { PK_NEW, PK_DUP, PK_SEG };

struct pitem {
	int kind;
	size_t off;   /* offset of the name */
	char name[16];
	char value[24];
};

struct plog {
	size_t n, ndup, bad;
	const size_t *want_off; /* defects in order, NULL: only count */
	const int *want_code;
	size_t nwant;
};

static void
plog_defect(void *ctx, int d, uint64_t off)
{
	struct plog *l = ctx;

	if (l->want_off != NULL &&
	    (l->n >= l->nwant || l->want_off[l->n] != off ||
	     l->want_code[l->n] != d))
		l->bad++;
	l->ndup += d == MF_D_PARAM_DUPLICATE;
	l->n++;
}

/* Appends "; name=value" (or the segment "; name*k=value") to b. */
static void
put_param(mf_buf *b, struct pitem *it)
{
	char tmp[40];
	int k;

	it->off = mf_buf_len(b) + 2;
	k = snprintf(tmp, sizeof(tmp), "; %s=%s", it->name, it->value);
	assert_int_equal(mf_buf_append(b, tmp, (size_t)k), MF_OK);
}

/*
 * The model on items[0..n) under max: the kept ordinary items (kept[]
 * gets their indices, segments excluded), the defects (codes and offsets)
 * in order. Returns the number of kept ordinary items.
 */
static size_t
pmodel(const struct pitem *items, size_t n, size_t max, size_t *kept,
       int *code, size_t *off, size_t *ndef)
{
	size_t i, used = 0, nk = 0;

	*ndef = 0;
	for (i = 0; i < n; i++) {
		if (items[i].kind == PK_DUP) {
			code[*ndef] = MF_D_PARAM_DUPLICATE;
			off[(*ndef)++] = items[i].off;
			continue;
		}
		if (used >= max) {
			code[*ndef] = MF_D_FIELD_LIMIT;
			off[(*ndef)++] = items[i].off;
			break;
		}
		used++;
		if (items[i].kind == PK_NEW)
			kept[nk++] = i;
	}
	return nk;
}

static void
check_params(const char *p, size_t len, const struct pitem *items, size_t n,
	     size_t max, size_t nseg_names, const char *label)
{
	size_t *kept = malloc(n * sizeof(*kept)), *off = malloc(n * sizeof(*off));
	int *code = malloc(n * sizeof(*code));
	size_t nk, ndef, i, k = 0;
	const mf_params *ps;
	struct plog l;
	mf_ctype *ct;
	mf_opts o;

	assert_true(kept != NULL && off != NULL && code != NULL);
	nk = pmodel(items, n, max, kept, code, off, &ndef);
	memset(&o, 0, sizeof(o));
	memset(&l, 0, sizeof(l));
	l.want_off = off;
	l.want_code = code;
	l.nwant = ndef;
	o.on_defect = plog_defect;
	o.defect_ctx = &l;
	o.limits.max_params = max;
	assert_int_equal(mf_ctype_parse(p, len, &o, &ct, NULL), MF_OK);
	if (l.bad != 0 || l.n != ndef)
		fail_msg("%s: %zu defects, want %zu (%zu differ)", label, l.n,
			 ndef, l.bad);
	ps = mf_ctype_params(ct);
	/* The ordinary ones in order; the joined segments where they were
	 * first written (none here lies beyond the ordinary ones kept). */
	for (i = 0; i < mf_params_count(ps); i++) {
		const mf_param *pm = mf_params_at(ps, i);

		if (pm->name.len > 0 && pm->name.ptr[0] == 's')
			continue;
		if (k >= nk)
			fail_msg("%s: parameter %zu not expected", label, i);
		tu_assert_mem(pm->name.ptr, pm->name.len, items[kept[k]].name,
			      strlen(items[kept[k]].name), label);
		tu_assert_mem(pm->value.ptr, pm->value.len,
			      items[kept[k]].value,
			      strlen(items[kept[k]].value), label);
		k++;
	}
	assert_int_equal(k, nk);
	assert_true(mf_params_count(ps) <= nk + nseg_names);
	assert_int_equal(mf_ctype_defects(ct),
			 (l.ndup ? D(PARAM_DUPLICATE) : 0) |
			     (l.n > l.ndup ? D(FIELD_LIMIT) : 0));
	mf_ctype_free(ct);
	free(kept);
	free(off);
	free(code);
}

/* Distinct names: half in scrambled order (the odd multiplier is a
 * bijection modulo 2^20), half increasing (what unbalances a plain tree). */
static void
pname(char *out, size_t i)
{
	if (i % 2 == 0)
		snprintf(out, 16, "p%05x",
			 (unsigned)((i * 0x9E3779B1u) & 0xFFFFF));
	else
		snprintf(out, 16, "q%07zu", i);
}

static void
test_many_params(void **state)
{
	size_t nnew = tu_slow_ok() ? 120000 : 12000, cap = nnew * 2, n = 0, i;
	struct pitem *items = calloc(cap, sizeof(*items));
	mf_buf *b = mf_buf_new(NULL);
	size_t nseg = 0;

	(void)state;
	assert_true(items != NULL && b != NULL);
	assert_int_equal(mf_buf_append(b, "text/plain", 10), MF_OK);
	for (i = 0; i < nnew; i++) {
		struct pitem *it = &items[n++];

		it->kind = PK_NEW;
		pname(it->name, i);
		snprintf(it->value, sizeof(it->value), "v%zu", i);
		put_param(b, it);
		if (i % 2 == 0 && i > 0) {
			/* A duplicate of an earlier name. */
			struct pitem *d = &items[n++];

			d->kind = PK_DUP;
			pname(d->name, i / 2);
			snprintf(d->value, sizeof(d->value), "d%zu", i);
			put_param(b, d);
		}
		if (i % 10000 == 5000 && n + 2 < cap) {
			/* An RFC 2231 value in two segments. */
			struct pitem *s0 = &items[n++], *s1 = &items[n++];

			s0->kind = s1->kind = PK_SEG;
			snprintf(s0->name, sizeof(s0->name), "s%zu*0", nseg);
			snprintf(s1->name, sizeof(s1->name), "s%zu*1", nseg);
			strcpy(s0->value, "a");
			strcpy(s1->value, "b");
			put_param(b, s0);
			put_param(b, s1);
			nseg++;
		}
	}
	assert_true(n <= cap);
	/* The hard cap (SIZE_MAX is lowered to it), then limits that stop
	 * the list at an early, a middle and a late point. */
	check_params(mf_buf_data(b), mf_buf_len(b), items, n, SIZE_MAX, nseg,
		     "hard cap");
	check_params(mf_buf_data(b), mf_buf_len(b), items, n, 1000000, nseg,
		     "1,000,000");
	check_params(mf_buf_data(b), mf_buf_len(b), items, n, 17, nseg, "17");
	check_params(mf_buf_data(b), mf_buf_len(b), items, n, nnew / 2, nseg,
		     "half");
	check_params(mf_buf_data(b), mf_buf_len(b), items, n, nnew - 3, nseg,
		     "nearly all");
	free(items);
	mf_buf_free(b);
}

/* Random short names (many duplicates, every tree shape) against the
 * model, under random limits. */
static void
test_params_random(void **state)
{
	struct pitem items[300];
	tu_rng rng;
	size_t round;

	(void)state;
	tu_rng_seed(&rng, 2231);
	for (round = 0; round < 400; round++) {
		mf_buf *b = mf_buf_new(NULL);
		size_t n = 1 + tu_rng_below(&rng, 300), i, k, alpha;
		char label[32];

		assert_non_null(b);
		alpha = 1 + tu_rng_below(&rng, 40);
		assert_int_equal(mf_buf_append(b, "a/b", 3), MF_OK);
		for (i = 0; i < n; i++) {
			size_t v = tu_rng_below(&rng, alpha);

			items[i].kind = PK_NEW;
			snprintf(items[i].name, sizeof(items[i].name), "%c%zu",
				 "xyz"[v % 3], v);
			snprintf(items[i].value, sizeof(items[i].value), "%zu",
				 i);
			for (k = 0; k < i; k++) {
				if (strcmp(items[k].name, items[i].name) == 0) {
					items[i].kind = PK_DUP;
					break;
				}
			}
			put_param(b, &items[i]);
		}
		snprintf(label, sizeof(label), "random %zu", round);
		check_params(mf_buf_data(b), mf_buf_len(b), items, n,
			     1 + tu_rng_below(&rng, n + 2), 0, label);
		mf_buf_free(b);
	}
}

static const char oom_ct[] =
    "Multipart/Mixed; Boundary=\"a\\\"b\"; p1=1; p2=2; p3=3; p4=4; p5=5; "
    "p6=6; p7=7; p8=8; p9=9; p10=10; p11=11; p12=12; p13=13; p14=14; "
    "p15=15; p16=16; P17=\"x\\y\"; p18=18";

static int
oom_fn(const mf_alloc *a, void *ctx)
{
	mf_opts o;
	mf_ctype *ct;
	mf_disp *d;
	int rc;

	(void)ctx;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	rc = mf_ctype_parse(oom_ct, sizeof(oom_ct) - 1, &o, &ct, NULL);
	if (rc < 0)
		return rc;
	assert_int_equal(mf_params_count(mf_ctype_params(ct)), 19);
	tu_assert_mem(mf_ctype_type(ct).ptr, mf_ctype_type(ct).len, "multipart",
		      9, "type");
	rc = mf_disp_parse("Attachment; FileName=\"a\\\\b\"", 27, &o, &d, NULL);
	if (rc < 0) {
		mf_ctype_free(ct);
		return rc;
	}
	tu_assert_mem(mf_params_at(mf_disp_params(d), 0)->value.ptr,
		      mf_params_at(mf_disp_params(d), 0)->value.len, "a\\b", 3,
		      "filename");
	mf_disp_free(d);
	mf_ctype_free(ct);
	return MF_OK;
}

static void
test_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(oom_fn, NULL) >= 2);
}

static void
test_guard_pages(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const char *in = ccases[i].in;
		size_t n = strlen(in);

		for (k = 0; k <= n; k++) {
			tu_guard g;
			const char *p = tu_guard_new(&g, in, k);
			mf_ctype *ct;
			mf_disp *d;
			int cte;

			assert_int_equal(mf_ctype_parse(p, k, NULL, &ct, NULL),
					 MF_OK);
			mf_ctype_free(ct);
			assert_int_equal(mf_disp_parse(p, k, NULL, &d, NULL),
					 MF_OK);
			mf_disp_free(d);
			assert_int_equal(mf_cte_parse(p, k, &cte, NULL), MF_OK);
			tu_guard_free(&g);
		}
	}
}

/* The arena entry points: results in the caller's arena and struct. */
static void
test_arena_api(void **state)
{
	static const char v[] = "TEXT/Plain; Charset=\"utf-8\"; format=flowed";
	tu_alloc ta;
	mf__arena ar;
	mf_ctype ct;
	mf_disp d;
	mf_error e;
	mf_opts o;

	(void)state;
	tu_alloc_init(&ta, -1);
	mf__arena_init(&ar, &ta.a);
	assert_int_equal(mf__ctype_parse(&ar, v + 0, sizeof(v) - 1, NULL, 100,
					 &ct, &e),
			 MF_OK);
	tu_assert_mem(ct.type.ptr, ct.type.len, "text", 4, "type");
	tu_assert_mem(ct.subtype.ptr, ct.subtype.len, "plain", 5, "subtype");
	assert_int_equal(ct.params.n, 2);
	assert_int_equal(mf_params_at(&ct.params, 0)->offset, 100 + 12);
	assert_ptr_equal(mf_params_at(&ct.params, 0)->value.ptr, v + 21);
	/* Everything lives in the arena: one block for both parses. */
	assert_int_equal(mf__disp_parse(&ar, "inline", 6, NULL, 0, &d, NULL),
			 MF_OK);
	tu_assert_mem(d.type.ptr, d.type.len, "inline", 6, "disp");
	assert_int_equal(ta.live, 1);
	mf__arena_free(&ar);
	assert_int_equal(ta.live, 0);
	/* Strict errors leave an empty result. */
	memset(&o, 0, sizeof(o));
	o.flags = MF_STRICT;
	mf__arena_init(&ar, NULL);
	assert_int_equal(mf__ctype_parse(&ar, "text plain", 10, &o, 7, &ct, &e),
			 MF_E_DEFECT);
	assert_int_equal(e.offset, 7 + 5);
	assert_int_equal(ct.type.len, 0);
	assert_int_equal(ct.params.n, 0);
	assert_int_equal(ct.defects, D(CT_SYNTAX));
	mf__arena_free(&ar);
	/* NULL handling of the public API. */
	assert_int_equal(mf_ctype_parse("a/b", 3, NULL, NULL, &e), MF_E_INVAL);
	assert_int_equal(mf_disp_parse(NULL, 3, NULL, (mf_disp **)&o, &e),
			 MF_E_INVAL);
	assert_int_equal(mf_ctype_type(NULL).len, 0);
	assert_int_equal(mf_ctype_subtype(NULL).len, 0);
	assert_null(mf_ctype_params(NULL));
	assert_int_equal(mf_ctype_defects(NULL), 0);
	assert_int_equal(mf_disp_type(NULL).len, 0);
	assert_null(mf_disp_params(NULL));
	assert_int_equal(mf_disp_defects(NULL), 0);
	assert_int_equal(mf_params_count(NULL), 0);
	assert_null(mf_params_at(NULL, 0));
	assert_null(mf_params_get(NULL, "a", 1));
	mf_ctype_free(NULL);
	mf_disp_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ctype_table),
	    cmocka_unit_test(test_dovecot_ct),
	    cmocka_unit_test(test_defect_offsets),
	    cmocka_unit_test(test_rfc2231),
	    cmocka_unit_test(test_rfc2231_own),
	    cmocka_unit_test(test_disp_table),
	    cmocka_unit_test(test_cte),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_error_emails),
	    cmocka_unit_test(test_param_cap),
	    cmocka_unit_test(test_many_params),
	    cmocka_unit_test(test_params_random),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_guard_pages),
	    cmocka_unit_test(test_arena_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
