/* SPDX-License-Identifier: MIT */
/*
 * test_addr.c - address lists and addr-specs: our own tables (every
 * recovery rule, defect and offset), RFC 5322 Appendix A, GMime's and
 * Dovecot's address tables, the isemail corpus, the From/To/Cc fields of
 * the corpus messages, formatting and folding, OOM, guard pages, scratch
 * and array limits, the address cap, a 50,000-address list and random
 * round trips.
 */
#include <stdbool.h>
#include <strings.h>

#include "tdefect.h"

#include "addr.h"
#include "codec.h"

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ---------------------------------------------------------------------- */

#define D(x) MF_DEFECT_BIT(MF_D_##x)

/* Appends s to a fixed text buffer. */
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

/*
 * A compact, reviewable rendering of a list: "{name}local@domain" per
 * mailbox ("@" even when the domain is empty, "<route:>" before the local
 * part), "G{name}" and ";" for groups, items joined by " | ".
 */
static void
dump(char *out, size_t cap, const mf_addr *v, size_t n)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		const mf_addr *a = &v[i];

		if (i > 0)
			cat(out, cap, " | ", 3);
		if (a->kind == MF_ADDR_GROUP) {
			cat(out, cap, "G{", 2);
			cat(out, cap, a->name.ptr, a->name.len);
			cat(out, cap, "}", 1);
			continue;
		}
		if (a->kind == MF_ADDR_GROUP_END) {
			cat(out, cap, ";", 1);
			continue;
		}
		assert_int_equal(a->kind, MF_ADDR_MAILBOX);
		if (a->name.len > 0) {
			cat(out, cap, "{", 1);
			cat(out, cap, a->name.ptr, a->name.len);
			cat(out, cap, "}", 1);
		}
		if (a->route.len > 0) {
			cat(out, cap, "<", 1);
			cat(out, cap, a->route.ptr, a->route.len);
			cat(out, cap, ":>", 2);
		}
		cat(out, cap, a->local.ptr, a->local.len);
		cat(out, cap, "@", 1);
		cat(out, cap, a->domain.ptr, a->domain.len);
	}
}

static void
dump_defects(char *out, size_t cap, uint64_t m)
{
	int d;

	out[0] = '\0';
	for (d = 0; d < 64; d++) {
		if (m & MF_DEFECT_BIT(d)) {
			if (out[0])
				cat(out, cap, ",", 1);
			cat(out, cap, mf_defect_name(d), strlen(mf_defect_name(d)));
		}
	}
}

static bool
str_eq(mf_str a, mf_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Same items (kind, name, local, domain, route). */
static bool
items_eq(const mf_addr *a, size_t na, const mf_addr *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		if (a[i].kind != b[i].kind || !str_eq(a[i].name, b[i].name) ||
		    !str_eq(a[i].local, b[i].local) ||
		    !str_eq(a[i].domain, b[i].domain) ||
		    !str_eq(a[i].route, b[i].route))
			return false;
	}
	return true;
}

/*
 * A parse into fixed storage of the documented worst-case size (n + 1
 * items, 4 n + 1 scratch bytes), which therefore never gives MF_E_NOSPC.
 */
struct res {
	mf_addr *v;
	size_t n, vcap;
	char *scratch;
	size_t used, scap;
	uint64_t defects;
	int rc;
	mf_error err;
	struct log rec;
};

static struct res *
res_new(void)
{
	struct res *r = calloc(1, sizeof(*r));

	return r;
}

static void
res_free(struct res *r)
{
	free(r->v);
	free(r->scratch);
	free(r);
}

static int
parse(struct res *r, const char *p, size_t n, unsigned flags)
{
	mf_opts o;

	if (r->vcap < n + 1) {
		free(r->v);
		r->vcap = n + 1;
		r->v = malloc(r->vcap * sizeof(mf_addr));
		assert_non_null(r->v);
	}
	if (r->scap < 4 * n + 1) {
		free(r->scratch);
		r->scap = 4 * n + 1;
		r->scratch = malloc(r->scap);
		assert_non_null(r->scratch);
	}
	memset(&o, 0, sizeof(o));
	memset(&r->rec, 0, sizeof(r->rec));
	o.flags = flags;
	o.on_defect = log_defect;
	o.defect_ctx = &r->rec;
	o.limits.max_addrs = 100000000;
	/* Names formatted from the 256 words of one may need more. */
	o.limits.max_encoded_words = 100000000;
	r->n = r->vcap;
	r->used = r->scap;
	memset(&r->err, 0, sizeof(r->err));
	r->rc = mf_addr_parse(p, n, &o, r->v, &r->n, r->scratch, &r->used,
			      &r->defects, &r->err);
	if (r->rc == MF_E_NOSPC)
		fail_msg("NOSPC with n + 1 items and 4 n + 1 bytes");
	return r->rc;
}

/*
 * Whether name n is written as encoded words under flags (not ASCII
 * without MF_UTF8_OUT, controls, "=?"): white space runs then become one
 * space (mf_addr_format(3)).
 */
static bool
encoded_name(mf_str n, unsigned flags)
{
	size_t i;

	for (i = 0; i < n.len; i++) {
		unsigned char c = (unsigned char)n.ptr[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !(flags & MF_UTF8_OUT)))
			return true;
		if (c == '=' && i + 1 < n.len && n.ptr[i + 1] == '?')
			return true;
	}
	return false;
}

/* a and b equal once white space runs are single spaces. */
static bool
ws_eq(mf_str a, mf_str b)
{
	size_t i = 0, k = 0;

	for (;;) {
		bool wa = i < a.len && (a.ptr[i] == ' ' || a.ptr[i] == '\t');
		bool wb = k < b.len && (b.ptr[k] == ' ' || b.ptr[k] == '\t');

		if (wa != wb)
			return false;
		if (wa) {
			while (i < a.len && (a.ptr[i] == ' ' || a.ptr[i] == '\t'))
				i++;
			while (k < b.len && (b.ptr[k] == ' ' || b.ptr[k] == '\t'))
				k++;
			continue;
		}
		if (i == a.len || k == b.len)
			return i == a.len && k == b.len;
		if (a.ptr[i++] != b.ptr[k++])
			return false;
	}
}

/* items_eq, names of encoded words compared modulo white space. */
static bool
items_eq_fmt(const mf_addr *a, size_t na, const mf_addr *b, size_t nb,
	     unsigned flags)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		if (a[i].kind != b[i].kind || !str_eq(a[i].local, b[i].local) ||
		    !str_eq(a[i].domain, b[i].domain) ||
		    !str_eq(a[i].route, b[i].route))
			return false;
		if (!str_eq(a[i].name, b[i].name) &&
		    !(encoded_name(a[i].name, flags) &&
		      ws_eq(a[i].name, b[i].name)))
			return false;
	}
	return true;
}

/* format -> parse gives the same items back. */
static void
check_roundtrip(const mf_addr *v, size_t n, unsigned flags, const char *label)
{
	mf_buf *b = mf_buf_new(NULL);
	struct res *r = res_new();
	char w[4096], g[4096];

	assert_non_null(b);
	if (mf_addr_format(b, v, n, flags, 4, 78) != MF_OK) {
		/* Only text no quoting can carry (CR, LF, NUL) may fail. */
		size_t i;
		bool unquotable = false;

		for (i = 0; i < n; i++) {
			if (memchr(v[i].name.ptr ? v[i].name.ptr : "", '\0',
				   v[i].name.len) ||
			    memchr(v[i].local.ptr ? v[i].local.ptr : "", '\0',
				   v[i].local.len) ||
			    memchr(v[i].name.ptr ? v[i].name.ptr : "", '\r',
				   v[i].name.len) ||
			    memchr(v[i].name.ptr ? v[i].name.ptr : "", '\n',
				   v[i].name.len) ||
			    memchr(v[i].local.ptr ? v[i].local.ptr : "", '\r',
				   v[i].local.len) ||
			    memchr(v[i].local.ptr ? v[i].local.ptr : "", '\n',
				   v[i].local.len))
				unquotable = true;
		}
		if (!unquotable)
			fail_msg("%s: format failed", label);
		goto out;
	}
	assert_int_equal(parse(r, mf_buf_data(b), mf_buf_len(b), 0), MF_OK);
	if (!items_eq_fmt(v, n, r->v, r->n, flags)) {
		dump(w, sizeof(w), v, n);
		dump(g, sizeof(g), r->v, r->n);
		fail_msg("%s: round trip through \"%s\"\n  want %s\n  got  %s",
			 label, mf_buf_data(b), w, g);
	}
out:
	mf_buf_free(b);
	res_free(r);
}

/* ---------------------------------------------------------------------- */
/* Our table: every rule of the parser                                     */
/* ---------------------------------------------------------------------- */

struct pcase {
	const char *in;
	const char *want;
	uint64_t defects;
};

static const struct pcase cases[] = {
    /* 0 */ {"", "", 0},
    {"   ", "", 0},
    {"a@b", "a@b", 0},
    {"John Doe <jdoe@example.com>", "{John Doe}jdoe@example.com", 0},
    {"\"Quoted, Name\" <a@b>", "{Quoted, Name}a@b", 0},
    /* 5 */ {"a@b (Comment Name)", "{Comment Name}a@b", 0},
    {"a@b ( spaced \\) name )", "{spaced ) name}a@b", 0},
    {"a@b ()", "a@b", 0},
    {"Name <a@b> (comment)", "{Name}a@b", 0},
    {"<a@b> (Late Name)", "{Late Name}a@b", 0},
    /* 10 */ {"group: a@b, c@d;", "G{group} | a@b | c@d | ;", 0},
    {"undisclosed-recipients:;", "G{undisclosed-recipients} | ;", 0},
    {"g:;, a@b", "G{g} | ; | a@b", 0},
    {"<@x,@y:a@b>", "<@x,@y:>a@b", D(OBSOLETE)},
    {"John Q. Public <jqp@x>", "{John Q. Public}jqp@x", D(OBSOLETE)},
    /* 15 */ {"jdoe@[192.0.2.1]", "jdoe@[192.0.2.1]", 0},
    {"x@[IPv6:2001:db8::1]", "x@[IPv6:2001:db8::1]", 0},
    {"\"john doe\"@example.com", "john doe@example.com", 0},
    {"\"a\\\"b\"@x", "a\"b@x", 0},
    {"j\xc3\xb6rg@b\xc3\xbc\x63her.example", "j\xc3\xb6rg@b\xc3\xbc\x63her.example", 0},
    /* 20 */ {"J\xc3\xb6rg <j@x>", "{J\xc3\xb6rg}j@x", 0},
    {"J\xf6rg <j@x>", "{J\xc3\xb6rg}j@x", D(8BIT_HEADER)},
    {", a@b", "a@b", D(ADDR_EMPTY_ITEM)},
    {"a@b,,c@d", "a@b | c@d", D(ADDR_EMPTY_ITEM)},
    {"a@b,", "a@b", D(ADDR_EMPTY_ITEM)},
    /* 25 */ {"<a@b", "a@b", D(ADDR_NO_ANGLE_END)},
    {"<a@b, c@d", "a@b | c@d", D(ADDR_NO_ANGLE_END)},
    {"Doe, John <j@x>", "{Doe, John}j@x", D(ADDR_SPECIALS)},
    {"Doe, John <j@x>, k@y", "{Doe, John}j@x | k@y", D(ADDR_SPECIALS)},
    {"a@b, Doe, John <j@x>", "a@b | {Doe, John}j@x", D(ADDR_SPECIALS)},
    /* 30 */ {"Doe, k@y", "Doe@ | k@y", D(ADDR_NO_DOMAIN)},
    {"user", "user@", D(ADDR_NO_DOMAIN)},
    {"<user>", "user@", D(ADDR_NO_DOMAIN)},
    {"aaaa@", "aaaa@", D(ADDR_NO_DOMAIN)},
    {"Display Name", "{Display Name}@", D(ADDR_NO_DOMAIN)},
    /* 35 */ {"a@b; c@d", "a@b | c@d", D(TRAILING_GARBAGE)},
    {"<a@b>junk, c@d", "a@b | c@d", D(TRAILING_GARBAGE)},
    {"<a@b junk>, c@d", "a@b | c@d", D(TRAILING_GARBAGE)},
    {"a@b \"x, y\" z, c@d", "a@b | c@d", D(TRAILING_GARBAGE)},
    {"g: a@b", "G{g} | a@b | ;", D(UNTERMINATED)},
    /* 40 */ {"g: a: b@c;", "G{g} | {a:}b@c | ;", D(ADDR_SPECIALS)},
    {"@domain", "@domain", D(BAD_CHAR)},
    {":a@b;", "G{} | a@b | ;", D(BAD_CHAR)},
    {"<@a@b:c@d>", "<@a,@b:>c@d", D(OBSOLETE)},
    {"John j@x", "{John}j@x", D(ADDR_SPECIALS)},
    /* 45 */ {"John Smith j.s@x", "{John Smith}j.s@x", D(ADDR_SPECIALS)},
    {"a . b @ c . d", "a.b@c.d", D(OBSOLETE)},
    {"\"a\".b@c", "a.b@c", D(OBSOLETE)},
    {".a@b", ".a@b", D(OBSOLETE)},
    {"a..b@c", "a..b@c", D(OBSOLETE)},
    /* 50 */ {"a@b.", "a@b.", D(OBSOLETE)},
    {"\"unterminated <a@b>", "{unterminated <a@b>}@", D(UNTERMINATED) |
							     D(ADDR_NO_DOMAIN)},
    {"a@b (open", "{open}a@b", D(UNTERMINATED)},
    {"Name <a@[1.2.3.4", "{Name}a@[1.2.3.4]", D(UNTERMINATED) |
						 D(ADDR_NO_ANGLE_END)},
    {"<>", "@", D(ADDR_NO_DOMAIN)},
    /* 55 */ {"\"\"@d", "@d", 0},
    {"a@b\r\n\t, c@d\r\n", "a@b | c@d", 0},
    {"Mary Smith\r\n <mary@x>", "{Mary Smith}mary@x", 0},
    {"\"Mary\r\n Smith\" <mary@x>", "{Mary Smith}mary@x", 0},
    {"a\"b\"c <x@y>", "{abc}x@y", 0},
    /* 60 */ {"=?utf-8?q?x?= <a@b>", "{x}a@b", 0},
    {"\"Doe\", John <j@x>", "{Doe, John}j@x", D(ADDR_SPECIALS)},
    {"Doe,, John <j@x>", "{Doe,, John}j@x", D(ADDR_SPECIALS) |
					       D(ADDR_EMPTY_ITEM)},
    {"g: Doe, John <j@x>;", "G{g} | {Doe, John}j@x | ;", D(ADDR_SPECIALS)},
    {"g: a@b, ;", "G{g} | a@b | ;", D(ADDR_EMPTY_ITEM)},
    /* 65 */ {"a@b;", "a@b", D(TRAILING_GARBAGE)},
    {";", "", D(TRAILING_GARBAGE)},
    {"x <a@b> <c@d>", "{x}a@b | c@d", D(ADDR_NO_COMMA)},
    {"<Undisclosed-Recipient:@mailman.enron.com;>",
     "Undisclosed-Recipient@", D(ADDR_NO_DOMAIN) | D(TRAILING_GARBAGE)},
    {"\"KLAUS- H\xc3\x84NSCHEL\" <>", "{KLAUS- H\xc3\x84NSCHEL}@",
     D(ADDR_NO_DOMAIN)},
    /* 70 */ {"a@b (x) (y)", "{y}a@b", 0},
    {"<a(c)@(d)b>", "a@b", 0},
    {"a(x)@b", "{}a@b", 0},
    {"a@b c@d, e@f", "a@b | c@d | e@f", D(ADDR_NO_COMMA)},
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
     "{Pete}pete@silly.test", 0},
    /* 75 */ {"s@g, Mikel@Lindsaar <r@g>, t@g", "s@g | {Mikel@Lindsaar}r@g | t@g",
     D(ADDR_SPECIALS)},
    {"jang.abcdef@xyzlinu <jang.abcdef@x.it>",
     "{jang.abcdef@xyzlinu}jang.abcdef@x.it", D(ADDR_SPECIALS) | D(OBSOLETE)},
    /* RFC 2047 names: in phrases, comments and (leniently) quotes. */
    {"=?utf-8?q?J=C3=B6rg?= M <j@x>", "{J\xc3\xb6rg M}j@x", 0},
    {"=?utf-8?q?a?= =?utf-8?q?b?= <j@x>", "{ab}j@x", 0},
    {"j@x (=?iso-8859-1?q?J=F6rg?=)", "{J\xc3\xb6rg}j@x", 0},
    {"\"=?ISO-8859-2?Q?TEST?=\" <p@p.org>", "{TEST}p@p.org", D(EW_IN_QUOTES)},
    /* 80 */ {"=?bogus?q?x?= <j@x>", "{x}j@x", D(EW_CHARSET)},
    {"=?utf-8?x?x?= <j@x>", "{=?utf-8?x?x?=}j@x", D(EW_MALFORMED)},
    {"J\x80rg <j@x>", "{J\xe2\x82\xacrg}j@x", D(8BIT_HEADER)},
    /* Missing commas: another address after a complete mailbox. */
    {"John <a@b> Jane Doe <c@d>", "{John}a@b | {Jane Doe}c@d",
     D(ADDR_NO_COMMA)},
    /* 85 */ {"a@b (x) c@d e@f", "{x}a@b | c@d | e@f", D(ADDR_NO_COMMA)},
    {"g: a@b c@d;, e@f", "G{g} | a@b | c@d | ; | e@f", D(ADDR_NO_COMMA)},
    {"a@b x y z@w", "a@b | {x y}z@w", D(ADDR_NO_COMMA) | D(ADDR_SPECIALS)},
    /* ...but not other bytes, nor "@" or "<" in quotes or comments. */
    {"<a@b> junk, c@d", "a@b | c@d", D(TRAILING_GARBAGE)},
    {"a@b \"q @ <\" (c@d) x", "a@b", D(TRAILING_GARBAGE)},
    /* 90 */ {"<a@b>;c@d", "a@b | c@d", D(TRAILING_GARBAGE)},
    /* Issue 10: an address or group right after a group's ";" without
     * a comma is the next item, as between mailboxes. */
    {"g1: a@b; g2: c@d;", "G{g1} | a@b | ; | G{g2} | c@d | ;",
     D(ADDR_NO_COMMA)},
    {"g: a@b; c@d", "G{g} | a@b | ; | c@d", D(ADDR_NO_COMMA)},
    {"g: a@b;c@d, e@f", "G{g} | a@b | ; | c@d | e@f", D(ADDR_NO_COMMA)},
    {"g1: a@b; \"n\" <c@d>", "G{g1} | a@b | ; | {n}c@d",
     D(ADDR_NO_COMMA)},
    /* 95 */ {"g1: a@b; g2:;", "G{g1} | a@b | ; | G{g2} | ;",
     D(ADDR_NO_COMMA)},
    {"g1: a@b; junk", "G{g1} | a@b | ;", D(TRAILING_GARBAGE)},
    /* An encoded word is one token: its ":" or "," is text, outside a
     * group as inside one. */
    {"=?utf-8?Q?Re:_a?= <c@d>", "{Re: a}c@d", D(ADDR_SPECIALS)},
    {"g: =?utf-8?Q?Re:_a?= <c@d>;", "G{g} | {Re: a}c@d | ;",
     D(ADDR_SPECIALS)},
    {"x@y, =?utf-8?Q?Re:_a?= <c@d>", "x@y | {Re: a}c@d",
     D(ADDR_SPECIALS)},
    /* 100 */ {"=?utf-8?Q?Doe,_John?= <j@x>", "{Doe, John}j@x",
     D(ADDR_SPECIALS)},
    {"=?utf-8?Q?Re:_a?= <c@d>, g: e@f;", "{Re: a}c@d | G{g} | e@f | ;",
     D(ADDR_SPECIALS)},
    {"=?utf-8?Q?Re?=: a@b;", "G{Re} | a@b | ;", 0},
    /* ...but an "@" or "[" in its text is address structure as before
     * (fuzz_addr: an encoded-word-like local part and domain literal) */
    {"=?utf-8?q?a@b?= <c@d>", "{a@b}c@d", D(ADDR_SPECIALS)},
    /* 105 */ {"=?x?q?y}}}@[z?=?w", "=?x?q?y}}}@[z?=?w]", D(UNTERMINATED)},
};

static void
test_table(void **state)
{
	size_t i;
	struct res *r = res_new();
	char got[4096], dw[512], dg[512];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		const char *want = c->want;

		if (parse(r, c->in, strlen(c->in), 0) != MF_OK)
			fail_msg("case %zu: rc %d", i, r->rc);
		dump(got, sizeof(got), r->v, r->n);
		if (strncmp(want, "{}", 2) == 0)
			want += 2; /* "{}" marks an explicitly absent name */
		if (strcmp(got, want) != 0 || r->defects != c->defects) {
			dump_defects(dw, sizeof(dw), c->defects);
			dump_defects(dg, sizeof(dg), r->defects);
			fail_msg("case %zu: %s\n  want %s [%s]\n  got  %s [%s]",
				 i, c->in, want, dw, got, dg);
		}
		check_roundtrip(r->v, r->n, MF_UTF8_OUT, c->in);
	}
	res_free(r);
}

/* ---------------------------------------------------------------------- */
/* Every defect with its offset; strict mode stops at the first one        */
/* ---------------------------------------------------------------------- */

struct dcase {
	const char *in;
	int d;		/* the first defect reported */
	size_t off;	/* its offset */
	int strict_rc;	/* MF_E_DEFECT, or MF_E_LIMIT */
	int strict_d;	/* the strict mode's defect when not d */
};

static const struct dcase dcases[] = {
    {", a@b", MF_D_ADDR_EMPTY_ITEM, 0, MF_E_DEFECT, 0},
    {"a@b,  ,c@d", MF_D_ADDR_EMPTY_ITEM, 6, MF_E_DEFECT, 0},
    {"a@b ,", MF_D_ADDR_EMPTY_ITEM, 4, MF_E_DEFECT, 0},
    {"<a@b", MF_D_ADDR_NO_ANGLE_END, 4, MF_E_DEFECT, 0},
    {"x <a@b , c@d", MF_D_ADDR_NO_ANGLE_END, 7, MF_E_DEFECT, 0},
    /* Lenient mode merges; strict mode sees the first item alone. */
    {"Doe, John <j@x>", MF_D_ADDR_SPECIALS, 3, MF_E_DEFECT,
     MF_D_ADDR_NO_DOMAIN},
    {"user", MF_D_ADDR_NO_DOMAIN, 4, MF_E_DEFECT, 0},
    {"<a@b>  c@d", MF_D_ADDR_NO_COMMA, 7, MF_E_DEFECT, 0},
    {"g1: a@b; g2: c@d;", MF_D_ADDR_NO_COMMA, 9, MF_E_DEFECT, 0},
    {"g: a@b;\r\n c@d", MF_D_ADDR_NO_COMMA, 10, MF_E_DEFECT, 0},
    {"=?utf-8?Q?Re:_a?= <c@d>", MF_D_ADDR_SPECIALS, 12, MF_E_DEFECT, 0},
    {"<user >", MF_D_ADDR_NO_DOMAIN, 6, MF_E_DEFECT, 0},
    {"aaaa@ ", MF_D_ADDR_NO_DOMAIN, 6, MF_E_DEFECT, 0},
    {"John j@x", MF_D_ADDR_SPECIALS, 5, MF_E_DEFECT, 0},
    {"Jo>hn <j@x>", MF_D_ADDR_SPECIALS, 2, MF_E_DEFECT, 0},
    {"a@b; c", MF_D_TRAILING_GARBAGE, 3, MF_E_DEFECT, 0},
    {"<a@b>x", MF_D_TRAILING_GARBAGE, 5, MF_E_DEFECT, 0},
    {"<a@b x>", MF_D_TRAILING_GARBAGE, 5, MF_E_DEFECT, 0},
    {"John Q. Public <j@x>", MF_D_OBSOLETE, 6, MF_E_DEFECT, 0},
    {"<@r:a@b>", MF_D_OBSOLETE, 1, MF_E_DEFECT, 0},
    {"a@b.c.", MF_D_OBSOLETE, 5, MF_E_DEFECT, 0},
    {"g: a@b", MF_D_UNTERMINATED, 6, MF_E_DEFECT, 0},
    {"\"abc", MF_D_UNTERMINATED, 0, MF_E_DEFECT, 0},
    {"a@b (c", MF_D_UNTERMINATED, 4, MF_E_DEFECT, 0},
    {"@b", MF_D_BAD_CHAR, 0, MF_E_DEFECT, 0},
    {" :a@b;", MF_D_BAD_CHAR, 1, MF_E_DEFECT, 0},
    {"<@a@b:c@d>", MF_D_OBSOLETE, 1, MF_E_DEFECT, 0},
    {"A\xe9 <a@b>", MF_D_8BIT_HEADER, 0, MF_E_DEFECT, 0},
    {"a@b x", MF_D_TRAILING_GARBAGE, 4, MF_E_DEFECT, 0},
};

static void
test_defect_offsets(void **state)
{
	struct res *r = res_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];

		if (parse(r, c->in, strlen(c->in), 0) != MF_OK)
			fail_msg("case %zu: rc %d", i, r->rc);
		if (r->rec.n < 1 || r->rec.code[0] != c->d ||
		    r->rec.off[0] != c->off)
			fail_msg("case %zu: %s: want %s at %zu, got %s at %lu "
				 "(%zu defects)",
				 i, c->in, mf_defect_name(c->d), c->off,
				 r->rec.n ? mf_defect_name(r->rec.code[0]) : "-",
				 r->rec.n ? (unsigned long)r->rec.off[0] : 0ul,
				 r->rec.n);
		if (!(r->defects & MF_DEFECT_BIT(c->d)))
			fail_msg("case %zu: defect not in the mask", i);
		/* Strict: the same defect is the error, at the same offset. */
		if (parse(r, c->in, strlen(c->in), MF_STRICT) != c->strict_rc ||
		    r->err.code != c->strict_rc || r->err.offset != c->off ||
		    r->err.reason == NULL)
			fail_msg("case %zu: %s: strict rc %d offset %zu", i,
				 c->in, r->rc, r->err.offset);
		if (r->rec.n < 1 ||
		    r->rec.code[0] != (c->strict_d ? c->strict_d : c->d))
			fail_msg("case %zu: strict callback", i);
	}
	/* Clean input is fine in strict mode. */
	assert_int_equal(parse(r, "A <a@b>, g: c@d;", 16, MF_STRICT), MF_OK);
	assert_int_equal(r->n, 4);
	assert_int_equal(r->rec.n, 0);
	res_free(r);
}

/* ---------------------------------------------------------------------- */
/* GMime's address tables (test/corpus/vectors/gmime/test-mime.json)       */
/* ---------------------------------------------------------------------- */

/*
 * Our parse of each addrspec (38) and broken_addrspec (4) input, and our
 * formatting (no folding). GMime's "display" is its own formatting; where
 * ours differs the comment says why. Formatting must also read back the
 * same items (checked for all).
 */
struct gmcase {
	const char *want;
	const char *fmt; /* NULL: the same as GMime's display */
};

static const struct gmcase gm[] = {
    {"fejj@helixcode.com",
     NULL},
    {"{Jeffrey Stedfast}fejj@helixcode.com",
     NULL},
    {"{Jeffrey fejj Stedfast}fejj@helixcode.com",
     NULL},
    /* GMime's display form does not read back; its encoded one is ours */
    {"{Jeffrey \"fejj\" Stedfast}fejj@helixcode.com",
     "\"Jeffrey \\\"fejj\\\" Stedfast\" <fejj@helixcode.com>"},
    {"{Stedfast, Jeffrey}fejj@helixcode.com",
     NULL},
    {"{Jeffrey Stedfast}fejj@helixcode.com",
     NULL},
    {"{Jeff}fejj@helixcode.com",
     NULL},
    {"{Kristoffer Br\xc3""\xa5""nemyr}ztion@swipenet.se",
     NULL},
    {"{Fran\xc3""\xa7""ois Pons}fpons@mandrakesoft.com",
     NULL},
    {"G{GNOME Hackers} | {Miguel de Icaza}miguel@gnome.org | {Havoc Pennington}hp@redhat.com | ; | fejj@helixcode.com",
     NULL},
    /* no domain: kept in <> so that it reads back as a local part */
    {"G{Local recipients} | phil@ | joe@ | alex@ | bob@ | ;",
     "Local recipients: <phil>, <joe>, <alex>, <bob>;"},
    {":sysmail@Some-Group.Some-Org | Muhammed.Ali@Vegas.WBA",
     NULL},
    {"{Charles S. Kerr}charles@foo.com",
     NULL},
    {"{Charles Likes, to, put, commas, in, quoted, strings Kerr}charles@foo.com",
     NULL},
    {"{Charles Kerr, Pan Programmer}charles@superpimp.org",
     NULL},
    {"{Charles Kerr}charles@[127.0.0.1]",
     NULL},
    {"{Charles}charles@[127..0.1]",
     NULL},
    /* the recovered name keeps both commas, as written */
    {"{Charles,, likes illegal commas}charles@superpimp.org",
     "\"Charles,, likes illegal commas\" <charles@superpimp.org>"},
    /* the trailing dot is kept as written (MF_D_OBSOLETE) */
    {"charles@broken.host.com.",
     "charles@broken.host.com."},
    /* the comment is the name, its tab kept (GMime too): quoted */
    {"{Fran\xc3""\xa7""ois Pons likes _'s and \t's too}fpons@mandrakesoft.com",
     "\"Fran\xc3""\xa7""ois Pons likes _'s and \t's too\" <fpons@mandrakesoft.com>"},
    {"{T\xc2""\x81""\xc3""\xb5""ivo Leedj\xc2""\x81""\xc3""\xa4""rv}leedjarv@interest.ee",
     NULL},
    {"fbosi@mokabyte.it | rspazzoli@mokabyte.it",
     NULL},
    {"{Miles (Star Trekkin) O'Brian}mobrian@starfleet.org",
     NULL},
    /* an empty group-list needs no space (RFC 5322 3.4) */
    {"G{undisclosed-recipients} | ;",
     "undisclosed-recipients:;"},
    /* an empty group-list needs no space (RFC 5322 3.4) */
    {"G{undisclosed-recipients} | ;",
     "undisclosed-recipients:;"},
    /* an empty group-list needs no space (RFC 5322 3.4) */
    {"G{undisclosed-recipients} | ;",
     "undisclosed-recipients:;"},
    /* no domain: kept in <> so that it reads back as a local part */
    {"undisclosed-recipients@",
     "<undisclosed-recipients>"},
    {"{Canonical Patch Queue Manager}pqm@pqm.ubuntu.com",
     NULL},
    {"{Pete}pete@silly.test",
     NULL},
    {"G{A Group} | {Chris Jones}c@public.example | joe@example.org | {John}jdoe@one.test | ;",
     NULL},
    {"{foo \" bar}test@mail.net",
     NULL},
    {"{Warren Worthington, Jr.}warren@worthington.com",
     NULL},
    {"{dot.com}dot.com@",
     NULL},
    {"{agatest123 test}agatest123@o2.pl",
     NULL},
    {"{TEST}p@p.org",
     NULL},
    /* GMime drops "c tert@wp.pl"; we read "c <tert@wp.pl>" */
    {"sdfasf@wp.pl | {c}tert@wp.pl | sffdg.rtre@op.pl",
     "sdfasf@wp.pl, c <tert@wp.pl>, sffdg.rtre@op.pl"},
    /* the obsolete route is kept */
    {"<@route:>user@domain.com",
     "<@route:user@domain.com>"},
    /* the obsolete route is kept */
    {"<@route1,@route2,@route3:>user@domain.com",
     "<@route1,@route2,@route3:user@domain.com>"},
    {"{Biznes INTERIA.PL}biuletyny@firma.interia.pl",
     NULL},
    {"{{#D\xc3""\xa8""\xc3""\xa9""\xc2""\xa3""\xc3""\xa5""\xc3""\xbd"" M$\xc3""\xa1""\xc3""\xad"".\xc3""\xa7""\xc3""\xb8""m}}user@domain.com",
     NULL},
    /* mf_ew_decode does not join an "=XX" escape split across two words
     * (GMime does): those bytes become U+FFFD or stay literal. */
    {"{{#D\xc3""\xa8""\xc3""\xa9""\xef""\xbf""\xbd""=A3\xc3""\xa5""\xc3""\xbd"" M$\xc3""\xa1""=C3\xef""\xbf""\xbd"".\xc3""\xa7""\xc3""\xb8""m}}user@domain.com",
     "\"{#D\xc3""\xa8""\xc3""\xa9""\xef""\xbf""\xbd""=A3\xc3""\xa5""\xc3""\xbd"" M$\xc3""\xa1""=C3\xef""\xbf""\xbd"".\xc3""\xa7""\xc3""\xb8""m}\" <user@domain.com>"},
    /* mf_ew_decode does not join base64 split across words (GMime does):
     * the name holds control characters, so it is written encoded. */
    {"{{4N\xc5""\xbd""\xc5""\xa1"">_\xc3""\x92""\x04""\xc3""\x92""N\x1e""\xc3""\x92""\xc3""\xae""\x7f""\xe2""\x80""\xa0""\xc3""\x94""\x02""7}user@domain.com",
     "=?utf-8?B?ezROxb3FoT5fw5IEw5JOHsOSw65/4oCgw5QCNw==?= <user@domain.com>"},
};

static void
run_gmime(const tj *tab, size_t base, const char *label)
{
	tj *entries = tj_get(tab, "entries");
	struct res *r = res_new();
	mf_buf *b = mf_buf_new(NULL);
	char got[4096];
	size_t i;

	assert_non_null(entries);
	assert_non_null(b);
	for (i = 0; i < entries->len; i++) {
		tj *e = tj_at(entries, i);
		size_t n = 0, dn = 0;
		const char *in = tj_bytes(tj_get(e, "input"), &n);
		const char *disp = tj_bytes(tj_get(e, "display"), &dn);
		const struct gmcase *c = &gm[base + i];
		const char *wf = c->fmt != NULL ? c->fmt : disp;

		assert_non_null(in);
		assert_int_equal(parse(r, in, n, 0), MF_OK);
		dump(got, sizeof(got), r->v, r->n);
		mf_buf_clear(b);
		assert_int_equal(mf_addr_format(b, r->v, r->n, MF_UTF8_OUT, 0, 0),
				 MF_OK);
		if (strcmp(got, c->want) != 0 || strcmp(mf_buf_data(b), wf) != 0)
			fail_msg("%s %zu: %s\n  want %s\n  got  %s\n  fmt want %s\n"
				 "  fmt got  %s",
				 label, i, in, c->want, got, wf, mf_buf_data(b));
		check_roundtrip(r->v, r->n, MF_UTF8_OUT, in);
		check_roundtrip(r->v, r->n, 0, in);
	}
	mf_buf_free(b);
	res_free(r);
}

static void
test_gmime(void **state)
{
	tj *v = tj_load("corpus/vectors/gmime/test-mime.json");
	tj *a = tj_path(v, "tables.addrspec");
	tj *br = tj_path(v, "tables.broken_addrspec");

	(void)state;
	assert_int_equal(tj_int(tj_get(a, "count")), 38);
	assert_int_equal(tj_int(tj_get(br, "count")), 4);
	assert_int_equal(sizeof(gm) / sizeof(gm[0]), 42);
	run_gmime(a, 0, "addrspec");
	run_gmime(br, 38, "broken_addrspec");
	tj_free(v);
}

/* ---------------------------------------------------------------------- */
/* Dovecot's message-address tables                                        */
/* ---------------------------------------------------------------------- */

/*
 * Dovecot's expected parse of 48 single addresses (without "fill
 * missing": missing parts are empty strings). Its invalid_syntax maps to
 * "a defect other than MF_D_OBSOLETE" (Dovecot accepts obsolete syntax
 * silently). Where our reading differs, the table below says how and why.
 */
struct dvdiff {
	const char *in;
	const char *want; /* our dump */
	const char *why;
};

static const struct dvdiff dvdiffs[] = {
    {"\"\"", "@", "an empty name is no name"},
    {"a(aa", "{aa}a@",
     "the unterminated comment is a name; Dovecot gives up on the address"},
    {"<@>", "<@:>@", "an empty route is kept as written"},
};

static void
test_dovecot(void **state)
{
	tj *v = tj_load("corpus/vectors/dovecot/lib-mail-message-address.json");
	tj *t = tj_path(v, "tables.tests.entries");
	tj *dots = tj_path(v, "tables.non_strict_dots_inputs.entries");
	struct res *r = res_new();
	char got[1024];
	size_t i, k, used = 0;

	(void)state;
	assert_int_equal(t->len, 48);
	for (i = 0; i < t->len; i++) {
		tj *e = tj_at(t, i);
		tj *a = tj_get(e, "addr");
		size_t n = 0;
		const char *in = tj_bytes(tj_get(e, "input"), &n);
		const tj *name = tj_get(a, "name"), *route = tj_get(a, "route");
		const char *mb = tj_get(a, "mailbox")->str;
		const char *dom = tj_get(a, "domain")->str;
		bool invalid = tj_get(a, "invalid_syntax")->num != 0;
		const mf_addr *m;
		bool same;

		assert_int_equal(parse(r, in, n, 0), MF_OK);
		dump(got, sizeof(got), r->v, r->n);
		for (k = 0; k < sizeof(dvdiffs) / sizeof(dvdiffs[0]); k++) {
			if (strcmp(dvdiffs[k].in, in) == 0)
				break;
		}
		if (k < sizeof(dvdiffs) / sizeof(dvdiffs[0])) {
			if (strcmp(got, dvdiffs[k].want) != 0)
				fail_msg("dovecot %zu: %s: want %s got %s", i,
					 in, dvdiffs[k].want, got);
			used++;
			continue;
		}
		if (r->n != 1)
			fail_msg("dovecot %zu: %s: %zu items (%s)", i, in, r->n,
				 got);
		m = &r->v[0];
		same = m->kind == MF_ADDR_MAILBOX &&
		       (tj_is_null(name)
			    ? m->name.len == 0
			    : (m->name.len == name->len &&
			       memcmp(m->name.ptr, name->str, name->len) == 0)) &&
		       (tj_is_null(route)
			    ? m->route.len == 0
			    : (m->route.len == route->len &&
			       memcmp(m->route.ptr, route->str, route->len) ==
				   0)) &&
		       m->local.len == strlen(mb) &&
		       memcmp(m->local.ptr ? m->local.ptr : "", mb,
			      m->local.len) == 0 &&
		       m->domain.len == strlen(dom) &&
		       memcmp(m->domain.ptr ? m->domain.ptr : "", dom,
			      m->domain.len) == 0;
		if (!same)
			fail_msg("dovecot %zu: %s: got %s", i, in, got);
		if (invalid != ((r->defects & ~D(OBSOLETE)) != 0))
			fail_msg("dovecot %zu: %s: invalid_syntax %d, defects "
				 "0x%llx",
				 i, in, invalid, (unsigned long long)r->defects);
		check_roundtrip(r->v, r->n, 0, in);
	}
	assert_int_equal(used, sizeof(dvdiffs) / sizeof(dvdiffs[0]));
	/* Leading, trailing and double dots: accepted as obsolete syntax. */
	for (i = 0; i < dots->len; i++) {
		const char *in = tj_at(dots, i)->str;
		size_t at = (size_t)(strchr(in, '@') - in);

		assert_int_equal(parse(r, in, strlen(in), 0), MF_OK);
		assert_int_equal(r->n, 1);
		tu_assert_mem(r->v[0].local.ptr, r->v[0].local.len, in, at, in);
		tu_assert_str(r->v[0].domain.ptr, "example.com", in);
		assert_int_equal(r->defects, D(OBSOLETE));
		assert_int_equal(parse(r, in, strlen(in), MF_STRICT),
				 MF_E_DEFECT);
	}
	res_free(r);
	tj_free(v);
}

/* ---------------------------------------------------------------------- */
/* isemail: every address classified as the file says                      */
/* ---------------------------------------------------------------------- */

/*
 * The mapping of isemail's categories (meta.xml) to addr-spec syntax:
 *  - ISEMAIL_VALID_CATEGORY, ISEMAIL_DNSWARN (DNS only), ISEMAIL_RFC5321
 *    (valid, unusual for SMTP) and ISEMAIL_RFC5322 (valid RFC 5322 syntax,
 *    unusual: literals that are no IP address, over-long parts): valid,
 *    no defect, also in strict mode.
 *  - ISEMAIL_CFWS (comments or folding around the address): accepted,
 *    at most MF_D_OBSOLETE (comments next to dots in a domain are
 *    obs-domain in RFC 5322 4.4), and the canonical form differs from
 *    the input.
 *  - ISEMAIL_DEPREC (obsolete local parts, CFWS near "@", obs-FWS, obs-qp,
 *    obs-qtext, obs-ctext): accepted with MF_D_OBSOLETE only; strict mode
 *    rejects it. Except the diagnosis ISEMAIL_RFC5321_IPV6DEPRECATED (an
 *    IPv6 literal using "::" for one group: an RFC 5321 rule about the
 *    address, not syntax): valid.
 *  - ISEMAIL_ERR: strict mode rejects it; lenient parsing either fails
 *    (MF_E_SYNTAX: nothing usable) or records a defect.
 * Control characters are written as U+2400 + n in the files.
 */
struct xml {
	const char *p, *end;
};

/* The text of the next <tag>...</tag> (or <tag/>) after p, decoded. */
static bool
xml_field(const char *p, const char *end, const char *tag, char *out,
	  size_t cap, size_t *len)
{
	char open[64], close[64], empty[64];
	const char *s, *e;
	size_t k = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	snprintf(empty, sizeof(empty), "<%s/>", tag);
	*len = 0;
	s = strstr(p, open);
	e = strstr(p, empty);
	if (e != NULL && e < end && (s == NULL || e < s))
		return true;
	if (s == NULL || s >= end)
		return false;
	s += strlen(open);
	e = strstr(s, close);
	assert_non_null(e);
	while (s < e && k + 4 < cap) {
		if (*s != '&') {
			out[k++] = *s++;
			continue;
		}
		if (strncmp(s, "&amp;", 5) == 0) {
			out[k++] = '&';
			s += 5;
		} else if (strncmp(s, "&lt;", 4) == 0) {
			out[k++] = '<';
			s += 4;
		} else if (strncmp(s, "&gt;", 4) == 0) {
			out[k++] = '>';
			s += 4;
		} else if (strncmp(s, "&quot;", 6) == 0) {
			out[k++] = '"';
			s += 6;
		} else if (strncmp(s, "&apos;", 6) == 0) {
			out[k++] = '\'';
			s += 6;
		} else if (strncmp(s, "&#x", 3) == 0) {
			char *q;
			unsigned long cp = strtoul(s + 3, &q, 16);

			assert_true(*q == ';');
			s = q + 1;
			if (cp >= 0x2400 && cp <= 0x241f)
				out[k++] = (char)(cp - 0x2400);
			else if (cp < 0x80)
				out[k++] = (char)cp;
			else if (cp < 0x800) {
				out[k++] = (char)(0xc0 | (cp >> 6));
				out[k++] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[k++] = (char)(0xe0 | (cp >> 12));
				out[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				out[k++] = (char)(0x80 | (cp & 0x3f));
			}
		} else {
			fail_msg("unknown XML entity at %.10s", s);
		}
	}
	out[k] = '\0';
	*len = k;
	return true;
}

static size_t
run_isemail(const char *rel)
{
	size_t n, count = 0;
	char *x = tu_read(rel, &n);
	const char *p = x;
	mf_buf *b = mf_buf_new(NULL);

	assert_non_null(b);
	for (;;) {
		const char *t = strstr(p, "<test id=\""), *end;
		char addr[1024], cat[128], diag[128], scratch[4096];
		size_t alen, clen, dlen, sl;
		long id;
		mf_addr a;
		mf_error e;
		mf_opts o;
		int rc, src;
		bool valid, cfws = false, deprec = false;

		if (t == NULL)
			break;
		id = strtol(t + 10, NULL, 10);
		end = strstr(t, "</test>");
		assert_non_null(end);
		assert_true(xml_field(t, end, "address", addr, sizeof(addr),
				      &alen));
		assert_true(xml_field(t, end, "category", cat, sizeof(cat),
				      &clen));
		assert_true(xml_field(t, end, "diagnosis", diag, sizeof(diag),
				      &dlen));
		p = end;
		count++;
		valid = strcmp(cat, "ISEMAIL_VALID_CATEGORY") == 0 ||
			strcmp(cat, "ISEMAIL_DNSWARN") == 0 ||
			strcmp(cat, "ISEMAIL_RFC5321") == 0 ||
			strcmp(cat, "ISEMAIL_RFC5322") == 0 ||
			strcmp(diag, "ISEMAIL_RFC5321_IPV6DEPRECATED") == 0;
		if (!valid && strcmp(cat, "ISEMAIL_CFWS") == 0)
			cfws = true;
		if (!valid && strcmp(cat, "ISEMAIL_DEPREC") == 0)
			deprec = true;
		if (!valid && !deprec && !cfws &&
		    strcmp(cat, "ISEMAIL_ERR") != 0)
			fail_msg("%s #%ld: unknown category %s", rel, id, cat);

		memset(&o, 0, sizeof(o));
		o.flags = MF_STRICT;
		sl = sizeof(scratch);
		{
			mf_addr a2;

			src = mf_addr_spec_parse(addr, alen, &o, &a2, scratch,
						 &sl, &e);
			if (src < 0 && e.offset > alen)
				fail_msg("%s #%ld: offset %zu past the end",
					 rel, id, e.offset);
		}
		sl = sizeof(scratch);
		rc = mf_addr_spec_parse(addr, alen, NULL, &a, scratch, &sl, &e);
		if (cfws) {
			/* Valid but flagged, like DEPREC: the file counts
			 * comments around domain dots as CFWS, which RFC 5322
			 * makes obs-domain (MF_D_OBSOLETE). */
			if (rc != MF_OK || (a.defects & ~D(OBSOLETE)) != 0)
				fail_msg("%s #%ld (%s): CFWS, but rc %d "
					 "defects 0x%llx",
					 rel, id, diag, rc,
					 (unsigned long long)a.defects);
			mf_buf_clear(b);
			assert_int_equal(mf_addr_spec_format(b, &a), MF_OK);
			if (mf_buf_len(b) == alen &&
			    memcmp(mf_buf_data(b), addr, alen) == 0)
				fail_msg("%s #%ld: CFWS kept", rel, id);
		} else if (valid) {
			if (rc != MF_OK || a.defects != 0 || src != MF_OK)
				fail_msg("%s #%ld (%s, %s): valid, but rc %d "
					 "strict %d defects 0x%llx",
					 rel, id, cat, diag, rc, src,
					 (unsigned long long)a.defects);
			mf_buf_clear(b);
			assert_int_equal(mf_addr_spec_format(b, &a), MF_OK);
			if ((strcmp(cat, "ISEMAIL_VALID_CATEGORY") == 0 ||
			     strcmp(cat, "ISEMAIL_DNSWARN") == 0))
				tu_assert_mem(mf_buf_data(b), mf_buf_len(b),
					      addr, alen, addr);
		} else if (deprec) {
			if (rc != MF_OK || a.defects != D(OBSOLETE) ||
			    src != MF_E_DEFECT)
				fail_msg("%s #%ld (%s): deprecated, but rc %d "
					 "strict %d defects 0x%llx",
					 rel, id, diag, rc, src,
					 (unsigned long long)a.defects);
		} else {
			if (src >= 0 || (rc == MF_OK && a.defects == 0))
				fail_msg("%s #%ld (%s): invalid, but rc %d "
					 "strict %d defects 0x%llx",
					 rel, id, diag, rc, src,
					 (unsigned long long)a.defects);
		}
	}
	mf_buf_free(b);
	free(x);
	return count;
}

static void
test_isemail(void **state)
{
	(void)state;
	assert_int_equal(run_isemail("corpus/addresses/isemail/test/tests.xml"),
			 164);
	assert_int_equal(
	    run_isemail("corpus/addresses/isemail/test/tests-original.xml"),
	    279);
}

/* ---------------------------------------------------------------------- */
/* RFC 5322 Appendix A                                                     */
/* ---------------------------------------------------------------------- */

static const struct pcase appendix_a[] = {
    /* A.1.1 */
    {"John Doe <jdoe@machine.example>", "{John Doe}jdoe@machine.example", 0},
    {"Mary Smith <mary@example.net>", "{Mary Smith}mary@example.net", 0},
    /* A.1.2 */
    {"\"Joe Q. Public\" <john.q.public@example.com>",
     "{Joe Q. Public}john.q.public@example.com", 0},
    {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
     "{Mary Smith}mary@x.test | jdoe@example.org | {Who?}one@y.test", 0},
    {"<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
     "boss@nil.test | {Giant; \"Big\" Box}sysservices@example.net", 0},
    /* A.1.3 */
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
     "G{A Group} | {Ed Jones}c@a.test | joe@where.test | "
     "{John}jdoe@one.test | ;",
     0},
    {"Undisclosed recipients:;", "G{Undisclosed recipients} | ;", 0},
    /* A.5 */
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
     "{Pete}pete@silly.test", 0},
    {"A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public."
     "example>,\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my "
     "dear friend); (the end of the group)",
     "G{A Group} | {Chris Jones}c@public.example | joe@example.org | "
     "{John}jdoe@one.test | ;",
     0},
    {"(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;",
     "G{Hidden recipients} | ;", 0},
    /* A.6.1 (obsolete) */
    {"Joe Q. Public <john.q.public@example.com>",
     "{Joe Q. Public}john.q.public@example.com", D(OBSOLETE)},
    {"Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
     "{Mary Smith}<@node.test:>mary@example.net | jdoe@test.example",
     D(OBSOLETE) | D(ADDR_EMPTY_ITEM)},
    /* A.6.3 */
    {"John Doe <jdoe@machine(comment).  example>",
     "{John Doe}jdoe@machine.example", D(OBSOLETE)},
    {"Mary Smith\r\n    \r\n <mary@example.net>",
     "{Mary Smith}mary@example.net", 0},
};

static void
test_appendix_a(void **state)
{
	struct res *r = res_new();
	char got[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(appendix_a) / sizeof(appendix_a[0]); i++) {
		const struct pcase *c = &appendix_a[i];

		assert_int_equal(parse(r, c->in, strlen(c->in), 0), MF_OK);
		dump(got, sizeof(got), r->v, r->n);
		if (strcmp(got, c->want) != 0 || r->defects != c->defects)
			fail_msg("A %zu: %s\n  want %s\n  got  %s (0x%llx)", i,
				 c->in, c->want, got,
				 (unsigned long long)r->defects);
		check_roundtrip(r->v, r->n, 0, c->in);
		/* Strict mode accepts exactly the non-obsolete examples. */
		assert_int_equal(parse(r, c->in, strlen(c->in), MF_STRICT),
				 c->defects ? MF_E_DEFECT : MF_OK);
	}
	res_free(r);
}

/* ---------------------------------------------------------------------- */
/* The address fields of every corpus message                               */
/* ---------------------------------------------------------------------- */

/* Structural invariants of a parse result. */
static void
check_items(const char *p, size_t n, const mf_addr *v, size_t cnt,
	    const char *label)
{
	size_t i;
	bool in_group = false;

	for (i = 0; i < cnt; i++) {
		const mf_addr *a = &v[i];

		if (a->raw.ptr < p || a->raw.ptr + a->raw.len > p + n ||
		    a->offset != (size_t)(a->raw.ptr - p))
			fail_msg("%s: item %zu raw span", label, i);
		if (a->kind == MF_ADDR_GROUP) {
			if (in_group)
				fail_msg("%s: nested group", label);
			in_group = true;
		} else if (a->kind == MF_ADDR_GROUP_END) {
			if (!in_group)
				fail_msg("%s: group end alone", label);
			in_group = false;
		}
	}
	if (in_group)
		fail_msg("%s: group not closed", label);
}

/*
 * Appends to out the unfolded values of the top-level header fields named
 * in names (case-insensitive), separated by NUL bytes; returns the count.
 */
static size_t
address_fields(const char *p, size_t n, mf_buf *out)
{
	static const char *names[] = {"from", "to", "cc", "bcc", "reply-to",
				      "sender", "resent-to", "resent-from"};
	size_t i = 0, count = 0;

	while (i < n) {
		size_t ls = i, le, k, colon;
		bool want = false;

		while (i < n && p[i] != '\n')
			i++;
		le = i;
		if (i < n)
			i++;
		if (le > ls && p[le - 1] == '\r')
			le--;
		if (le == ls)
			break; /* end of the header block */
		for (colon = ls; colon < le && p[colon] != ':'; colon++)
			;
		if (colon == le || p[ls] == ' ' || p[ls] == '\t')
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (strlen(names[k]) == colon - ls &&
			    strncasecmp(p + ls, names[k], colon - ls) == 0)
				want = true;
		}
		if (!want)
			continue;
		assert_int_equal(mf_buf_append(out, p + colon + 1, le - colon - 1),
				 MF_OK);
		/* Continuation lines, kept with their line breaks. */
		while (i < n && (p[i] == ' ' || p[i] == '\t')) {
			ls = i;
			while (i < n && p[i] != '\n')
				i++;
			if (i < n)
				i++;
			assert_int_equal(mf_buf_append(out, "\r\n", 2), MF_OK);
			le = i;
			while (le > ls && (p[le - 1] == '\n' || p[le - 1] == '\r'))
				le--;
			assert_int_equal(mf_buf_append(out, p + ls, le - ls),
					 MF_OK);
		}
		assert_int_equal(mf_buf_append(out, "", 1), MF_OK);
		count++;
	}
	return count;
}

static void
test_corpus(void **state)
{
	static const char *dirs[] = {"corpus/mikel-mail", "corpus/cpython",
				     "corpus/spamassassin", "corpus/mimekit",
				     "corpus/gmime",
				     "corpus/nodemailer-mailparser"};
	struct res *r = res_new();
	mf_buf *b = mf_buf_new(NULL);
	size_t d, fields = 0, addrs = 0, defective = 0;

	(void)state;
	assert_non_null(b);
	for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		size_t nf, f;
		char **files = tu_list(dirs[d], &nf);

		for (f = 0; f < nf; f++) {
			size_t n, k, cnt;
			char *p = tu_read(files[f], &n);
			const char *q;

			mf_buf_clear(b);
			cnt = address_fields(p, n, b);
			q = mf_buf_data(b);
			for (k = 0; k < cnt; k++) {
				size_t len = strlen(q);
				char label[512];

				snprintf(label, sizeof(label), "%s field %zu",
					 files[f], k);
				if (parse(r, q, len, 0) != MF_OK)
					fail_msg("%s: rc %d", label, r->rc);
				check_items(q, len, r->v, r->n, label);
				check_roundtrip(r->v, r->n, MF_UTF8_OUT, label);
				fields++;
				addrs += r->n;
				defective += r->defects != 0;
				if (getenv("ADDR_SHOW") && r->defects) {
					char g[2048], dd[256];
					dump(g, sizeof(g), r->v, r->n);
					dump_defects(dd, sizeof(dd), r->defects);
					printf("%s\n  %.200s\n  %.300s [%s]\n", label, q, g, dd);
				}
				q += len + 1;
			}
			free(p);
		}
		tu_list_free(files);
	}
	printf("corpus: %zu address fields, %zu items, %zu with defects\n",
	       fields, addrs, defective);
	/* Sanity: the corpus has many address fields, most of them clean. */
	assert_true(fields > 100);
	assert_true(addrs >= fields);
	assert_true(defective * 5 < fields);
	mf_buf_free(b);
	res_free(r);
}

struct ecase {
	const char *file, *field;
	const char *want;
	uint64_t defects;
};

/* The broken address fields of mikel-mail's error_emails. */
static const struct ecase error_emails[] = {
    {"weird_to_header.eml", "To",
     "user-example@aol.com | e-s-a-s-2200@app.ar.com", D(ADDR_EMPTY_ITEM)},
    {"empty_group_lists.eml", "To", "G{undisclosed recipients} | ;", 0},
    {"new_line_in_to_header.eml", "To",
     "leads@sg.dc.com | sag@leads.gs.ry.com | sn@example-hotmail.com | "
     "e-s-a-g-8718@app.ar.com | jp@t-exmaple.com | cc@c-l-example.com",
     0},
    {"missing_body.eml", "To", "Undisclosed-Recipient@",
     D(ADDR_NO_DOMAIN) | D(TRAILING_GARBAGE)},
    {"encoding_madness.eml", "Reply-To", "{KLAUS- H\xc3\x84NSCHEL}@",
     D(ADDR_NO_DOMAIN)},
    /* Encoded words split across folded lines, joined (RFC 2047 6.2). */
    {"bad_subject.eml", "From", "{MySurvey.com & Carol Adams}carol@mysurvey.com",
     0},
    {"trademark_character_in_subject.eml", "To",
     "c@ra-example.com | e-r-w-a-4462@app.ar.com | leads@ga-example.com",
     0},
    {"content_transfer_encoding_spam.eml", "To",
     "{palmer vladi.Pimenovraud}vladi.Pimenov@enron.com", 0},
};

static void
test_error_emails(void **state)
{
	struct res *r = res_new();
	mf_buf *b = mf_buf_new(NULL);
	size_t i;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < sizeof(error_emails) / sizeof(error_emails[0]); i++) {
		const struct ecase *c = &error_emails[i];
		char path[256], got[2048];
		size_t n, k, cnt, flen = strlen(c->field);
		char *p, *hdr;
		const char *q;

		snprintf(path, sizeof(path),
			 "corpus/mikel-mail/spec/fixtures/emails/error_emails/%s",
			 c->file);
		p = tu_read(path, &n);
		/* Find the field by name, then take its value. */
		mf_buf_clear(b);
		hdr = p;
		for (;;) {
			hdr = strstr(hdr, "\n");
			assert_non_null(hdr);
			hdr++;
			if (strncasecmp(hdr, c->field, flen) == 0 &&
			    hdr[flen] == ':')
				break;
		}
		cnt = address_fields(hdr, n - (size_t)(hdr - p), b);
		assert_true(cnt >= 1);
		q = mf_buf_data(b);
		for (k = 0; k < 1; k++) {
			assert_int_equal(parse(r, q, strlen(q), 0), MF_OK);
			dump(got, sizeof(got), r->v, r->n);
			if (strcmp(got, c->want) != 0 || r->defects != c->defects)
				fail_msg("%s %s: %s\n  want %s\n  got  %s (0x%llx)",
					 c->file, c->field, q, c->want, got,
					 (unsigned long long)r->defects);
		}
		free(p);
	}
	mf_buf_free(b);
	res_free(r);
}

/* ---------------------------------------------------------------------- */
/* Allocation failures, guard pages, caller storage, limits                */
/* ---------------------------------------------------------------------- */

static const char oom_input[] =
    "\"Doe, \\\"J\\\"\" <j@x>, Doe, John <k(c)@y . z>, g: a@b (Ann\\)), "
    "<@r1,@r2:\"q q\"@[1.2\r\n .3]>;, J\xf6rg <j@x>, x@y";

static int
oom_parse(const mf_alloc *a, void *ctx)
{
	mf_opts o;
	mf_addrs *l = NULL;
	mf_buf *b;
	int rc;

	(void)ctx;
	memset(&o, 0, sizeof(o));
	o.alloc = *a;
	rc = mf_addrs_parse(oom_input, sizeof(oom_input) - 1, &o, &l, NULL);
	if (rc < 0)
		return rc;
	assert_int_equal(mf_addrs_count(l), 8);
	b = mf_buf_new(a);
	if (b == NULL) {
		mf_addrs_free(l);
		return MF_E_NOMEM;
	}
	rc = mf_addr_format(b, mf_addrs_at(l, 0), mf_addrs_count(l), 0, 4, 40);
	mf_buf_free(b);
	mf_addrs_free(l);
	return rc;
}

/* A long encoded name: split, folded before its "<" (fold_angle). */
static int
oom_format_long(const mf_alloc *a, void *ctx)
{
	static const char name[] =
	    "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82"
	    "\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
	    "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98"
	    "\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80"
	    "\xd0\xbe\xd0\xb2";
	mf_addr v[2];
	mf_buf *b = mf_buf_new(a);
	int rc;

	(void)ctx;
	if (b == NULL)
		return MF_E_NOMEM;
	memset(v, 0, sizeof(v));
	v[0].kind = v[1].kind = MF_ADDR_MAILBOX;
	v[0].name.ptr = name;
	v[0].name.len = sizeof(name) - 1;
	v[0].local.ptr = v[1].local.ptr = "u";
	v[0].local.len = v[1].local.len = 1;
	v[0].domain.ptr = v[1].domain.ptr = "example.net";
	v[0].domain.len = v[1].domain.len = 11;
	rc = mf_addr_format(b, v, 2, 0, 4, 78);
	if (rc == MF_OK)
		assert_non_null(strstr(mf_buf_data(b), "?=\r\n <u@example.net>"));
	mf_buf_free(b);
	return rc;
}

static void
test_oom(void **state)
{
	(void)state;
	assert_true(tu_oom_loop(oom_parse, NULL) > 2);
	assert_true(tu_oom_loop(oom_format_long, NULL) > 2);
}

/* The object and the caller-storage API agree, items and defects. */
static void
test_object(void **state)
{
	struct res *r = res_new();
	mf_addrs *l = NULL;
	mf_error e;
	size_t i;

	(void)state;
	assert_int_equal(parse(r, oom_input, sizeof(oom_input) - 1, 0), MF_OK);
	assert_int_equal(mf_addrs_parse(oom_input, sizeof(oom_input) - 1, NULL,
					&l, &e),
			 MF_OK);
	assert_true(items_eq(r->v, r->n, mf_addrs_at(l, 0), mf_addrs_count(l)));
	assert_int_equal(mf_addrs_defects(l), r->defects);
	for (i = 0; i < r->n; i++) {
		assert_int_equal(mf_addrs_at(l, i)->offset, r->v[i].offset);
		assert_int_equal(mf_addrs_at(l, i)->defects, r->v[i].defects);
	}
	assert_null(mf_addrs_at(l, r->n));
	mf_addrs_free(l);
	/* A long ISO-8859-1 name grows the decoding buffer while it is read
	 * (a use-after-free the fuzzer found). */
	{
		char in[700];
		const mf_addr *a;

		memset(in, '\xe9', 600);
		memcpy(in + 600, " <a@b>", 6);
		assert_int_equal(mf_addrs_parse(in, 606, NULL, &l, NULL), MF_OK);
		a = mf_addrs_at(l, 0);
		assert_int_equal(a->name.len, 1200);
		assert_memory_equal(a->name.ptr, "\xc3\xa9\xc3\xa9", 4);
		assert_int_equal(mf_addrs_defects(l), D(8BIT_HEADER));
		mf_addrs_free(l);
	}
	/* Empty input: an empty list. */
	assert_int_equal(mf_addrs_parse("", 0, NULL, &l, NULL), MF_OK);
	assert_int_equal(mf_addrs_count(l), 0);
	assert_null(mf_addrs_at(l, 0));
	mf_addrs_free(l);
	assert_int_equal(mf_addrs_parse(NULL, 0, NULL, &l, NULL), MF_OK);
	mf_addrs_free(l);
	/* NULLs. */
	mf_addrs_free(NULL);
	assert_int_equal(mf_addrs_count(NULL), 0);
	assert_null(mf_addrs_at(NULL, 0));
	assert_int_equal(mf_addrs_defects(NULL), 0);
	assert_int_equal(mf_addrs_parse("a", 1, NULL, NULL, &e), MF_E_INVAL);
	assert_int_equal(e.code, MF_E_INVAL);
	assert_int_equal(mf_addrs_parse(NULL, 1, NULL, &l, NULL), MF_E_INVAL);
	{
		size_t cnt = 1, sl = 0;
		mf_addr a;

		assert_int_equal(mf_addr_parse("a", 1, NULL, &a, NULL, NULL, &sl,
					       NULL, NULL),
				 MF_E_INVAL);
		assert_int_equal(mf_addr_parse("a", 1, NULL, NULL, &cnt, NULL,
					       &sl, NULL, NULL),
				 MF_E_INVAL);
		assert_int_equal(mf_addr_parse("a", 1, NULL, &a, &cnt, NULL,
					       NULL, NULL, NULL),
				 MF_E_INVAL);
		sl = 5;
		assert_int_equal(mf_addr_parse("a", 1, NULL, &a, &cnt, NULL,
					       &sl, NULL, NULL),
				 MF_E_INVAL);
		sl = 0;
		assert_int_equal(mf_addr_spec_parse("a@b", 3, NULL, NULL, NULL,
						    &sl, NULL),
				 MF_E_INVAL);
		assert_int_equal(mf_addr_format(NULL, &a, 1, 0, 0, 0),
				 MF_E_INVAL);
		assert_int_equal(mf_addr_spec_format(NULL, &a), MF_E_INVAL);
	}
	res_free(r);
}

static void
test_guard_pages(void **state)
{
	struct res *r = res_new(), *g = res_new();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) +
			    sizeof(dcases) / sizeof(dcases[0]);
	     i++) {
		const char *in = i < sizeof(cases) / sizeof(cases[0])
				     ? cases[i].in
				     : dcases[i - sizeof(cases) / sizeof(cases[0])].in;
		size_t n = strlen(in), k;
		tu_guard gp;
		const char *p = tu_guard_new(&gp, in, n);

		assert_int_equal(parse(r, in, n, 0), MF_OK);
		assert_int_equal(parse(g, p, n, 0), MF_OK);
		assert_true(items_eq(r->v, r->n, g->v, g->n));
		assert_int_equal(r->defects, g->defects);
		/* Every prefix too: input may end anywhere. */
		for (k = 0; k < n; k++) {
			tu_guard gk;
			const char *pk = tu_guard_new(&gk, in, k);

			assert_int_equal(parse(g, pk, k, 0), MF_OK);
			check_items(pk, k, g->v, g->n, in);
			tu_guard_free(&gk);
		}
		tu_guard_free(&gp);
	}
	res_free(r);
	res_free(g);
}

/* Too little caller storage: MF_E_NOSPC, and the items kept are complete. */
static void
test_nospc(void **state)
{
	struct res *r = res_new();
	const char *in = oom_input;
	size_t n = sizeof(oom_input) - 1, cap, sc;

	(void)state;
	assert_int_equal(parse(r, in, n, 0), MF_OK);
	for (cap = 0; cap <= r->n; cap++) {
		size_t min_ok = 0;

		/* Room for the NUL, and for converting 8-bit names in place. */
		for (sc = 0; sc <= r->used + 16; sc++) {
			mf_addr *v = malloc((cap ? cap : 1) * sizeof(mf_addr));
			char *s = malloc(sc ? sc : 1);
			size_t c = cap, u = sc, k;
			mf_error e;
			int rc;

			assert_non_null(v);
			assert_non_null(s);
			rc = mf_addr_parse(in, n, NULL, v, &c, s, &u, NULL, &e);
			if (rc == MF_OK) {
				/* Fits: then every larger size fits too. */
				assert_int_equal(cap, r->n);
				assert_int_equal(c, r->n);
				assert_int_equal(u, r->used);
				if (min_ok == 0)
					min_ok = sc;
			} else {
				assert_int_equal(rc, MF_E_NOSPC);
				assert_int_equal(e.code, MF_E_NOSPC);
				assert_true(c <= cap && u <= sc);
				assert_true(e.offset < n);
				assert_true(cap < r->n || min_ok == 0);
			}
			/* What is there is right. */
			assert_true(c <= r->n);
			for (k = 0; k < c; k++) {
				assert_int_equal(v[k].kind, r->v[k].kind);
				assert_true(str_eq(v[k].name, r->v[k].name));
				assert_true(str_eq(v[k].local, r->v[k].local));
				assert_true(str_eq(v[k].domain, r->v[k].domain));
			}
			free(v);
			free(s);
		}
		assert_true(cap < r->n || (min_ok > r->used && min_ok <= 4 * n + 1));
	}
	res_free(r);
}

/*
 * The scratch bound of mf_addr_parse, 4 n + 1 bytes: a display name is
 * copied to the scratch (at most n bytes) and decoded after the copy,
 * each byte to at most 3 (a NUL to U+FFFD, a windows-1252 byte to U+20AC
 * and the like), in place (charset conversion uses the scratch's own
 * room, never memory of its own); then the decoded name moves down over
 * the copy. The worst inputs, a name of n bytes all decoding to 3, need
 * exactly 4 n + 1 at that peak: with 4 n bytes they give MF_E_NOSPC. They
 * are longer than the 512 bytes the converter keeps on its stack (the
 * fuzz finding addr-scratch-bound: 520 bytes of NUL and 8-bit bytes).
 */
static void
test_scratch_worst(void **state)
{
	size_t n = 1500, k, v;

	(void)state;
	for (v = 0; v < 3; v++) {
		char *in = malloc(n), *sc = malloc(4 * n + 1);
		mf_addr a[2];
		size_t cnt, used;
		mf_error e;

		assert_non_null(in);
		assert_non_null(sc);
		/* NULs; a NUL and windows-1252 "\x80"; NUL and "\xd3", "~" */
		memset(in, v == 0 ? 0 : 0x80, n);
		in[0] = '\0';
		for (k = 1; v == 2 && k < n; k += 2)
			in[k] = (char)(k % 4 == 1 ? 0xd3 : 0);
		cnt = 2;
		used = 4 * n + 1;
		assert_int_equal(mf_addr_parse(in, n, NULL, a, &cnt, sc, &used,
					       NULL, &e),
				 MF_OK);
		assert_int_equal(cnt, 1);
		assert_true(a[0].name.len <= 3 * n && used <= 4 * n + 1);
		if (v < 2)
			assert_int_equal(a[0].name.len, 3 * n);
		/* The bound is tight: one byte less does not do. */
		cnt = 2;
		used = 4 * n;
		if (v < 2)
			assert_int_equal(mf_addr_parse(in, n, NULL, a, &cnt, sc,
						       &used, NULL, &e),
					 MF_E_NOSPC);
		free(in);
		free(sc);
	}
}

static void
test_limits(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_addrs *l;
	mf_opts o;
	mf_error e;
	struct log rec;
	size_t i, off1001 = 0;

	(void)state;
	assert_non_null(b);
	assert_int_equal(mf_buf_append(b, "g: ", 3), MF_OK);
	for (i = 0; i < 1005; i++) {
		char a[32];

		if (i == 1000)
			off1001 = mf_buf_len(b) + (i ? 2 : 0);
		snprintf(a, sizeof(a), "%su%zu@x", i ? ", " : "", i);
		assert_int_equal(mf_buf_append(b, a, strlen(a)), MF_OK);
	}
	assert_int_equal(mf_buf_append(b, ";", 1), MF_OK);
	/* Default cap 1000: the rest is dropped, the group still closed. */
	memset(&o, 0, sizeof(o));
	memset(&rec, 0, sizeof(rec));
	o.on_defect = log_defect;
	o.defect_ctx = &rec;
	assert_int_equal(mf_addrs_parse(mf_buf_data(b), mf_buf_len(b), &o, &l,
					NULL),
			 MF_OK);
	assert_int_equal(mf_addrs_count(l), 1002);
	assert_int_equal(mf_addrs_at(l, 1001)->kind, MF_ADDR_GROUP_END);
	assert_int_equal(mf_addrs_at(l, 1001)->defects, 0);
	tu_assert_mem(mf_addrs_at(l, 1000)->local.ptr,
		      mf_addrs_at(l, 1000)->local.len, "u999", 4, "last");
	assert_int_equal(mf_addrs_defects(l), D(FIELD_LIMIT));
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.code[0], MF_D_FIELD_LIMIT);
	assert_int_equal(rec.off[0], off1001);
	mf_addrs_free(l);
	/* Strict: MF_E_LIMIT at the first one too many. */
	o.flags = MF_STRICT;
	assert_int_equal(mf_addrs_parse(mf_buf_data(b), mf_buf_len(b), &o, &l,
					&e),
			 MF_E_LIMIT);
	assert_int_equal(e.code, MF_E_LIMIT);
	assert_int_equal(e.offset, off1001);
	/* A raised limit. */
	o.flags = 0;
	o.limits.max_addrs = 2000;
	assert_int_equal(mf_addrs_parse(mf_buf_data(b), mf_buf_len(b), &o, &l,
					NULL),
			 MF_OK);
	assert_int_equal(mf_addrs_count(l), 1007);
	mf_addrs_free(l);
	o.limits.max_addrs = 1;
	assert_int_equal(mf_addrs_parse("a@b, c@d", 8, &o, &l, NULL), MF_OK);
	assert_int_equal(mf_addrs_count(l), 1);
	mf_addrs_free(l);
	mf_buf_free(b);
}

/* 50,000 addresses in one field: all there, in order (linear parsing). */
static void
test_50k(void **state)
{
	mf_buf *b = mf_buf_new(NULL);
	mf_addrs *l;
	mf_opts o;
	size_t i, n = 50000;

	(void)state;
	assert_non_null(b);
	for (i = 0; i < n; i++) {
		char a[64];

		snprintf(a, sizeof(a), "%sUser %zu <user%zu@example.com>",
			 i ? ",\r\n " : "", i, i);
		assert_int_equal(mf_buf_append(b, a, strlen(a)), MF_OK);
	}
	memset(&o, 0, sizeof(o));
	o.limits.max_addrs = 100000;
	assert_int_equal(mf_addrs_parse(mf_buf_data(b), mf_buf_len(b), &o, &l,
					NULL),
			 MF_OK);
	assert_int_equal(mf_addrs_count(l), n);
	assert_int_equal(mf_addrs_defects(l), 0);
	for (i = 0; i < n; i += 997) {
		const mf_addr *a = mf_addrs_at(l, i);
		char want[64];

		snprintf(want, sizeof(want), "User %zu", i);
		tu_assert_mem(a->name.ptr, a->name.len, want, strlen(want), want);
		snprintf(want, sizeof(want), "user%zu", i);
		tu_assert_mem(a->local.ptr, a->local.len, want, strlen(want),
			      want);
		tu_assert_mem(a->domain.ptr, a->domain.len, "example.com", 11,
			      want);
		/* Views, not copies. */
		assert_true(a->name.ptr >= mf_buf_data(b) &&
			    a->name.ptr < mf_buf_data(b) + mf_buf_len(b));
	}
	mf_addrs_free(l);
	mf_buf_free(b);
}

/* ---------------------------------------------------------------------- */
/* Formatting                                                              */
/* ---------------------------------------------------------------------- */

static mf_addr
mbox(const char *name, const char *local, const char *domain)
{
	mf_addr a;

	memset(&a, 0, sizeof(a));
	a.kind = MF_ADDR_MAILBOX;
	a.name.ptr = name;
	a.name.len = name ? strlen(name) : 0;
	a.local.ptr = local;
	a.local.len = local ? strlen(local) : 0;
	a.domain.ptr = domain;
	a.domain.len = domain ? strlen(domain) : 0;
	return a;
}

static void
want_format(const mf_addr *v, size_t n, unsigned flags, size_t col,
	    size_t width, const char *want)
{
	mf_buf *b = mf_buf_new(NULL);

	assert_non_null(b);
	assert_int_equal(mf_addr_format(b, v, n, flags, col, width), MF_OK);
	tu_assert_str(mf_buf_data(b), want, want);
	mf_buf_free(b);
}

static void
test_format(void **state)
{
	mf_addr v[8];
	mf_buf *b = mf_buf_new(NULL);

	(void)state;
	assert_non_null(b);
	v[0] = mbox("John Doe", "jdoe", "example.com");
	want_format(v, 1, 0, 0, 0, "John Doe <jdoe@example.com>");
	v[0] = mbox("Doe, John", "j.doe", "x");
	want_format(v, 1, 0, 0, 0, "\"Doe, John\" <j.doe@x>");
	v[0] = mbox("A \"B\" \\C", "a b", "[1.2.3.4]");
	want_format(v, 1, 0, 0, 0, "\"A \\\"B\\\" \\\\C\" <\"a b\"@[1.2.3.4]>");
	v[0] = mbox(NULL, "a", "b");
	want_format(v, 1, 0, 0, 0, "a@b");
	v[0] = mbox(NULL, "user", NULL);
	want_format(v, 1, 0, 0, 0, "<user>");
	v[0] = mbox("Name", NULL, NULL);
	want_format(v, 1, 0, 0, 0, "Name <>");
	v[0] = mbox(NULL, NULL, "d");
	want_format(v, 1, 0, 0, 0, "\"\"@d");
	v[0] = mbox(NULL, "a", "b");
	v[0].route.ptr = "@r1,@r2";
	v[0].route.len = 7;
	want_format(v, 1, 0, 0, 0, "<@r1,@r2:a@b>");
	v[0] = mbox("J\xc3\xb6rg", "j", "x");
	want_format(v, 1, MF_UTF8_OUT, 0, 0, "J\xc3\xb6rg <j@x>");
	/* Groups: members between ": " and ";", empty groups, unclosed. */
	memset(&v[0], 0, sizeof(v[0]));
	v[0].kind = MF_ADDR_GROUP;
	v[0].name.ptr = "Team";
	v[0].name.len = 4;
	v[1] = mbox(NULL, "a", "b");
	v[2] = mbox("C", "c", "d");
	memset(&v[3], 0, sizeof(v[3]));
	v[3].kind = MF_ADDR_GROUP_END;
	v[4] = mbox(NULL, "e", "f");
	want_format(v, 5, 0, 0, 0, "Team: a@b, C <c@d>;, e@f");
	want_format(v, 3, 0, 0, 0, "Team: a@b, C <c@d>;");
	want_format(v, 1, 0, 0, 0, "Team:;");
	v[1] = v[3];
	want_format(v, 2, 0, 0, 0, "Team:;");
	want_format(&v[3], 2, 0, 0, 0, "e@f"); /* a lone group end */
	/* Folding: between addresses, CRLF or LF, column aware. */
	v[0] = mbox("Alpha", "alpha", "example.com");
	v[1] = mbox("Beta", "beta", "example.com");
	v[2] = mbox(NULL, "gamma", "example.com");
	want_format(v, 3, 0, 4, 40,
		    "Alpha <alpha@example.com>,\r\n Beta <beta@example.com>,\r\n"
		    " gamma@example.com");
	want_format(v, 3, MF_LF, 4, 60,
		    "Alpha <alpha@example.com>, Beta <beta@example.com>,\n"
		    " gamma@example.com");
	want_format(v, 3, 0, 0, 0,
		    "Alpha <alpha@example.com>, Beta <beta@example.com>, "
		    "gamma@example.com");
	/* An address longer than the width stays whole on its line. */
	want_format(v, 2, MF_LF, 70, 20,
		    "Alpha <alpha@example.com>,\n Beta <beta@example.com>");
	/* Inside a group, the first member may fold too. */
	memset(&v[0], 0, sizeof(v[0]));
	v[0].kind = MF_ADDR_GROUP;
	v[0].name.ptr = "A rather long group name";
	v[0].name.len = 24;
	v[1] = mbox(NULL, "member", "example.com");
	memset(&v[2], 0, sizeof(v[2]));
	v[2].kind = MF_ADDR_GROUP_END;
	want_format(v, 3, MF_LF, 4, 40,
		    "A rather long group name:\n member@example.com;");
	/* Names: encoded words for what is not ASCII or has controls, the
	 * other words kept (quoted when they need it). */
	v[0] = mbox("a\r\nb", "x", "y");
	want_format(v, 1, 0, 0, 0, "=?utf-8?Q?a=0D=0Ab?= <x@y>");
	v[0] = mbox("Doe, J\xc3\xb6rg", "x", "y");
	want_format(v, 1, 0, 0, 0, "\"Doe,\" =?utf-8?B?SsO2cmc=?= <x@y>");
	v[0] = mbox("J\xc3\xb6rg M\xc3\xbcller Jr", "x", "y");
	want_format(v, 1, 0, 0, 0,
		    "=?utf-8?B?SsO2cmcgTcO8bGxlcg==?= Jr <x@y>");
	v[0] = mbox("a =?x?q?y?= b", "x", "y");
	want_format(v, 1, MF_UTF8_OUT, 0, 0, "a =?utf-8?B?PT94P3E/eT89?= b <x@y>");
	/* Text no quoting can carry. */
	v[0] = mbox(NULL, "x\ny", "y");
	assert_int_equal(mf_addr_format(b, v, 1, 0, 0, 0), MF_E_INVAL);
	/* mf_addr_spec_format */
	mf_buf_clear(b);
	v[0] = mbox("N", "first.last", "x");
	assert_int_equal(mf_addr_spec_format(b, &v[0]), MF_OK);
	tu_assert_str(mf_buf_data(b), "first.last@x", "spec");
	mf_buf_clear(b);
	v[0] = mbox(NULL, ".a", "x");
	assert_int_equal(mf_addr_spec_format(b, &v[0]), MF_OK);
	tu_assert_str(mf_buf_data(b), "\".a\"@x", "spec quoted");
	mf_buf_clear(b);
	v[0] = mbox(NULL, "u", NULL);
	assert_int_equal(mf_addr_spec_format(b, &v[0]), MF_OK);
	tu_assert_str(mf_buf_data(b), "u", "spec no domain");
	mf_buf_clear(b);
	v[0] = mbox(NULL, NULL, "x");
	assert_int_equal(mf_addr_spec_format(b, &v[0]), MF_OK);
	tu_assert_str(mf_buf_data(b), "\"\"@x", "spec no local part");
	mf_buf_clear(b);
	v[0] = mbox("MAILER DAEMON", NULL, NULL);
	assert_int_equal(mf_addr_spec_format(b, &v[0]), MF_OK);
	assert_int_equal(mf_buf_len(b), 0); /* "<>": no address */
	mf_buf_free(b);
}

/* Random lists: format (several widths) then parse gives them back. */
/*
 * Issue 8 interop: a short name split in two encoded words at a line
 * start ("Ελέ" "νη": Python keeps the space between them, GMime lost the
 * second; "Иван Петр" "ов"), look-alikes in names, and no encoded word
 * inside a quoted string. Exact bytes, then mf_addr_parse gives every
 * name back.
 */
static void
test_format_issue8(void **state)
{
	static const char *const names[] = {
	    "Zo\xc3\xab M\xc3\xbcller",
	    "\xce\x95\xce\xbb\xce\xad\xce\xbd\xce\xb7",
	    "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80"
	    "\xd0\xbe\xd0\xb2",
	    "=?utf-8?q?Bob?=",
	    "a =?x?q?y?= b",
	    "Doe, J\xc3\xb6rg",
	    "Dan \"the man\" J\xc3\xb6ns",
	    "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80"
	    "\xd0\xbe\xd0\xb2 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5"
	    "\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2 \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd "
	    "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2",
	    "Smith, John",
	};
	static const char want[] =
	    "=?utf-8?B?Wm/DqyBNw7xsbGVy?= <u@example.net>,\r\n"
	    " =?utf-8?B?zpXOu86tzr3Otw==?= <u@example.net>,\r\n"
	    " =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <u@example.net>,\r\n"
	    " =?utf-8?B?PT91dGYtOD9xP0JvYj89?= <u@example.net>,\r\n"
	    " a =?utf-8?B?PT94P3E/eT89?= b <u@example.net>,\r\n"
	    " \"Doe,\" =?utf-8?B?SsO2cmc=?= <u@example.net>,\r\n"
	    " \"Dan \\\"the man\\\"\" =?utf-8?B?SsO2bnM=?= <u@example.net>,\r\n"
	    " =?utf-8?Q?=D0=98=D0=B2=D0=B0=D0=BD_=D0=9F=D0=B5=D1=82=D1=80=D0=BE"
	    "=D0=B2_?=\r\n"
	    " =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCyINCY0LLQsNC9INCf0LXRgtGA0L7Qsg==?="
	    "\r\n <u@example.net>, \"Smith, John\" <u@example.net>";
	mf_addr v[9];
	mf_buf *b = mf_buf_new(NULL);
	struct res *r = res_new();
	size_t i, n = sizeof(names) / sizeof(names[0]);

	(void)state;
	for (i = 0; i < n; i++)
		v[i] = mbox(names[i], "u", "example.net");
	/* Column 56: "Zoë Müller" as one word on the first line, and each
	 * short name after a fold is still one word. */
	want_format(v, n, 0, 56, 78, want);
	assert_int_equal(mf_addr_format(b, v, n, 0, 56, 78), MF_OK);
	assert_int_equal(parse(r, mf_buf_data(b), mf_buf_len(b), 0), MF_OK);
	assert_int_equal(r->n, n);
	for (i = 0; i < n; i++)
		tu_assert_mem(r->v[i].name.ptr, r->v[i].name.len, names[i],
			      strlen(names[i]), names[i]);
	/* No line over 78 columns (the long name folds before "<") from
	 * the columns of address fields ("Disposition-Notification-To: " is
	 * 29; the first mailbox cannot move), and no encoded word inside a
	 * quoted string, at any column. */
	for (i = 0; i < 78; i++) {
		size_t k;
		bool q = false;

		mf_buf_clear(b);
		assert_int_equal(mf_addr_format(b, v, n, 0, i, 78), MF_OK);
		for (k = 0; k + 1 < mf_buf_len(b); k++) {
			const char *d = mf_buf_data(b);
			const char *eol = strchr(d + k, '\n');

			if ((k == 0 ? i <= 29 : d[k - 1] == '\n') &&
			    (eol != NULL ? (size_t)(eol - d) - 1 : mf_buf_len(b)) -
				    k + (k == 0 ? i : 0) > 78)
				fail_msg("col %zu: long line at %zu", i, k);
			if (d[k] == '\\' && q)
				k++;
			else if (d[k] == '"')
				q = !q;
			else if (q && d[k] == '=' && d[k + 1] == '?')
				fail_msg("encoded word in quotes at %zu", k);
		}
	}
	mf_buf_free(b);
	res_free(r);
}

static void
test_random(void **state)
{
	static const char *names[] = {"", "John", "John Doe", "Doe, John",
				      "A \"q\" b", "x\\y", "J\xc3\xb6rg M\xc3\xbcller",
				      "a.b", "(c)", "g:h;", "<x>", "   "};
	static const char *locals[] = {"a", "first.last", "a b", "\"q\"",
				       "x@y", "", "\xc3\xa9t\xc3\xa9", ".dot",
				       "a..b", "back\\slash"};
	static const char *domains[] = {"b", "example.com", "[1.2.3.4]",
					"[IPv6:::1]", "", "b\xc3\xbc.de"};
	struct res *r = res_new();
	tu_rng rng;
	int round;

	(void)state;
	tu_rng_seed(&rng, 5322);
	for (round = 0; round < 3000; round++) {
		mf_addr v[24];
		size_t n = 0, k = 1 + tu_rng_below(&rng, 8), i;
		bool group = false;
		mf_buf *b = mf_buf_new(NULL);
		char label[64];
		unsigned flags = MF_UTF8_OUT |
				 (tu_rng_below(&rng, 2) ? MF_LF : 0);
		size_t width = tu_rng_below(&rng, 3) * 30;

		assert_non_null(b);
		for (i = 0; i < k; i++) {
			size_t w = tu_rng_below(&rng, 10);
			const char *nm;

			if (w == 0 && !group) {
				memset(&v[n], 0, sizeof(v[n]));
				v[n].kind = MF_ADDR_GROUP;
				nm = names[tu_rng_below(&rng, 11)];
				v[n].name.ptr = nm;
				v[n].name.len = strlen(nm);
				n++;
				group = true;
				continue;
			}
			if (w == 1 && group) {
				memset(&v[n], 0, sizeof(v[n]));
				v[n++].kind = MF_ADDR_GROUP_END;
				group = false;
				continue;
			}
			nm = names[tu_rng_below(&rng, 11)];
			v[n] = mbox(nm, locals[tu_rng_below(&rng, 10)],
				    domains[tu_rng_below(&rng, 6)]);
			if (v[n].local.len == 0 && v[n].domain.len == 0 &&
			    v[n].name.len == 0)
				v[n].local = mbox(NULL, "z", NULL).local;
			n++;
		}
		if (group) {
			memset(&v[n], 0, sizeof(v[n]));
			v[n++].kind = MF_ADDR_GROUP_END;
		}
		assert_int_equal(mf_addr_format(b, v, n, flags, 4, width), MF_OK);
		assert_int_equal(parse(r, mf_buf_data(b), mf_buf_len(b), 0),
				 MF_OK);
		if (!items_eq(v, n, r->v, r->n)) {
			char w1[2048], w2[2048];

			dump(w1, sizeof(w1), v, n);
			dump(w2, sizeof(w2), r->v, r->n);
			fail_msg("round %d: \"%s\"\n  want %s\n  got  %s", round,
				 mf_buf_data(b), w1, w2);
		}
		snprintf(label, sizeof(label), "round %d", round);
		check_items(mf_buf_data(b), mf_buf_len(b), r->v, r->n, label);
		mf_buf_free(b);
	}
	res_free(r);
}

/* ---------------------------------------------------------------------- */
/* Bare addr-specs                                                         */
/* ---------------------------------------------------------------------- */

struct scase {
	const char *in;
	size_t n; /* 0: strlen(in) */
	int rc;
	const char *local, *domain;
	uint64_t defects;
	size_t off; /* of the first defect or the error */
};

static const struct scase scases[] = {
    {"a@b", 0, MF_OK, "a", "b", 0, 0},
    {" (c) \"a b\"@[1.2.3.4] ", 0, MF_OK, "a b", "[1.2.3.4]", 0, 0},
    {"a", 0, MF_OK, "a", "", D(ADDR_NO_DOMAIN), 1},
    {"a@", 0, MF_OK, "a", "", D(ADDR_NO_DOMAIN), 2},
    {"@b", 0, MF_OK, "", "b", D(BAD_CHAR), 0},
    {"a @b", 0, MF_OK, "a", "b", D(OBSOLETE), 1},
    {"a@ b", 0, MF_OK, "a", "b", D(OBSOLETE), 2},
    {"a@b c", 0, MF_OK, "a", "b", D(TRAILING_GARBAGE), 4},
    {"a@-b.c", 0, MF_OK, "a", "-b.c", D(BAD_CHAR), 2},
    {"a@b.c-", 0, MF_OK, "a", "b.c-", D(BAD_CHAR), 5},
    {"a@b\n", 0, MF_OK, "a", "b", D(BAD_CHAR), 3},
    {"a@b\r\n ", 0, MF_OK, "a", "b", 0, 0},
    {"a@b\r\n \r\n ", 0, MF_OK, "a", "b", D(OBSOLETE), 6},
    {"\"a\\\x01\"@b", 0, MF_OK, "a\x01", "b", D(OBSOLETE), 2},
    {"\"a\x00\"@b", 6, MF_OK, "a\x00", "b", D(BAD_CHAR), 2},
    {"\"a\\\xc3\xa9\"@b", 0, MF_OK, "a\xc3\xa9", "b", D(BAD_CHAR), 2},
    {"", 0, MF_E_SYNTAX, NULL, NULL, 0, 0},
    {"  ", 0, MF_E_SYNTAX, NULL, NULL, 0, 2},
    {"@", 0, MF_E_SYNTAX, NULL, NULL, 0, 0},
    {"<a@b>", 0, MF_E_SYNTAX, NULL, NULL, 0, 0},
};

static void
test_spec(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];
		size_t n = c->n ? c->n : strlen(c->in);
		size_t ln = c->local != NULL ? strlen(c->local) : 0;
		char scratch[64];
		size_t sl = sizeof(scratch);
		struct log rec;
		mf_opts o;
		mf_addr a;
		mf_error e;
		int rc;

		if (c->n != 0 && c->local != NULL)
			ln++; /* the NUL case */
		memset(&o, 0, sizeof(o));
		memset(&rec, 0, sizeof(rec));
		o.on_defect = log_defect;
		o.defect_ctx = &rec;
		rc = mf_addr_spec_parse(c->in, n, &o, &a, scratch, &sl, &e);
		if (rc != c->rc)
			fail_msg("spec %zu: %s: rc %d", i, c->in, rc);
		if (rc < 0) {
			assert_int_equal(e.offset, c->off);
			continue;
		}
		tu_assert_mem(a.local.ptr, a.local.len, c->local, ln, c->in);
		tu_assert_mem(a.domain.ptr, a.domain.len, c->domain,
			      strlen(c->domain), c->in);
		if (a.defects != c->defects ||
		    (c->defects && rec.off[0] != c->off))
			fail_msg("spec %zu: %s: defects 0x%llx at %lu", i, c->in,
				 (unsigned long long)a.defects,
				 (unsigned long)rec.off[0]);
		o.flags = MF_STRICT;
		sl = sizeof(scratch);
		rc = mf_addr_spec_parse(c->in, n, &o, &a, scratch, &sl, &e);
		if (c->defects) {
			assert_int_equal(rc, MF_E_DEFECT);
			assert_int_equal(e.offset, c->off);
		} else {
			assert_int_equal(rc, MF_OK);
		}
	}
	/* Scratch too small for the unquoted local part. */
	{
		char scratch[4];
		size_t sl = sizeof(scratch);
		mf_addr a;
		mf_error e;

		assert_int_equal(mf_addr_spec_parse("\"a\\\\bcdef\"@x", 12, NULL,
						    &a, scratch, &sl, &e),
				 MF_E_NOSPC);
		assert_int_equal(e.code, MF_E_NOSPC);
	}
}

/*
 * The fast path's spans: the AVX2 window classifier answers exactly as the
 * scalar dot-atom scan, on random text over the bytes that matter (atext,
 * dots, "@", separators, 8-bit) at every start, and on plain addresses.
 */
static void
test_spans_paths(void **state)
{
	static const char alpha[] = "ab.@,;<> \t\"(1.-_\x80\xc3\xa9";
	tu_rng r;
	size_t iter;

	(void)state;
	if (!mf__path_ok(MF__PATH_AVX2))
		skip();
	tu_rng_seed(&r, 7);
	for (iter = 0; iter < 200000; iter++) {
		char buf[48];
		size_t n = 32 + tu_rng_below(&r, 17), i;
		const char *a1 = NULL, *d1 = NULL, *a2 = NULL, *d2 = NULL;
		bool y1, y2;

		for (i = 0; i < n; i++)
			buf[i] = alpha[tu_rng_below(&r, sizeof(alpha) - 1)];
		if (iter % 3 == 0) {
			/* a plausible address at the start */
			size_t k = (size_t)snprintf(buf, sizeof(buf), "%s%zu@%s.%s",
						    iter % 2 ? "u.x" : "user",
						    iter % 1000, "ex", "com");
			buf[k] = alpha[tu_rng_below(&r, sizeof(alpha) - 1)];
		}
		y1 = mf__addr_spans(MF__PATH_SCALAR, buf, buf + n, &a1, &d1);
		y2 = mf__addr_spans(MF__PATH_AVX2, buf, buf + n, &a2, &d2);
		if (y1 != y2 || (y1 && (a1 != a2 || d1 != d2))) {
			tu_print_escaped(buf, n, 64);
			fail_msg("\niteration %zu: scalar %d (%td, %td), avx2 %d "
				 "(%td, %td)",
				 iter, y1, y1 ? a1 - buf : -1, y1 ? d1 - buf : -1,
				 y2, y2 ? a2 - buf : -1, y2 ? d2 - buf : -1);
		}
	}
}

/* mf_addrs_first_mailbox: the author of a From field. */
static void
test_first_mailbox(void **state)
{
	static const struct {
		const char *in;
		const char *local; /* NULL: no mailbox */
		const char *name;
	} t[] = {
	    {"John Doe <jdoe@example.com>", "jdoe", "John Doe"},
	    {"a@b, c@d", "a", ""},
	    {"team: x@y, z@w;, a@b", "x", ""},
	    {"empty: ;, =?utf-8?q?J=C3=BCrgen?= <j@b>", "j", "J\xc3\xbcrgen"},
	    {"undisclosed-recipients: ;", NULL, NULL},
	    {"", NULL, NULL},
	    {" , ,", NULL, NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mf_addrs *l = NULL;
		const mf_addr *a;

		assert_int_equal(
		    mf_addrs_parse(t[i].in, strlen(t[i].in), NULL, &l, NULL),
		    MF_OK);
		a = mf_addrs_first_mailbox(l);
		if (t[i].local == NULL) {
			if (a != NULL)
				fail_msg("case %zu: a mailbox", i);
		} else {
			if (a == NULL)
				fail_msg("case %zu: no mailbox", i);
			assert_int_equal(a->kind, MF_ADDR_MAILBOX);
			tu_assert_mem(a->local.ptr, a->local.len, t[i].local,
			              strlen(t[i].local), t[i].in);
			tu_assert_mem(a->name.ptr, a->name.len, t[i].name,
			              strlen(t[i].name), t[i].in);
		}
		mf_addrs_free(l);
	}
	assert_null(mf_addrs_first_mailbox(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_defect_offsets),
	    cmocka_unit_test(test_gmime),
	    cmocka_unit_test(test_dovecot),
	    cmocka_unit_test(test_isemail),
	    cmocka_unit_test(test_appendix_a),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_error_emails),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_object),
	    cmocka_unit_test(test_first_mailbox),
	    cmocka_unit_test(test_guard_pages),
	    cmocka_unit_test(test_nospc),
	    cmocka_unit_test(test_scratch_worst),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_50k),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_issue8),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_spec),
	    cmocka_unit_test(test_spans_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
