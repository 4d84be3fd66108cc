/* SPDX-License-Identifier: MIT */
/*
 * edit.c - building and editing trees: new messages and parts, header
 * fields set, added and removed, parts inserted, moved, replaced and
 * removed, transfer encodings chosen or forced.
 *
 * A built part is the same struct mf_part as a parsed one. A generated
 * header field is stored like a parsed field (its folded bytes in raw,
 * name and value views into them) and marked gen, so that every accessor
 * reads it and the writer (write.c) gives its CRLF line ends as MF_LF
 * asks; parsed fields and bodies are never touched, so that what an edit
 * leaves alone is written back byte for byte (a DKIM signature over it
 * stays valid). After a change of Content-Type, -Disposition or
 * -Transfer-Encoding the part's description is derived again from its
 * fields, by the rules of mime.c's describe(), and the attachment
 * decisions of the whole message are made again (content.c).
 *
 * A leaf body from memory is kept encoded (copied into the arena, or
 * borrowed when written as it is), so that mf_part_body and
 * mf_part_decode read it; a streamed leaf is read and encoded by the
 * writer. Boundaries come from a per-message generator (splitmix64,
 * seeded by mf_msg_seed or once from the operating system), contain "=_"
 * (which base64 and quoted-printable output cannot hold) and are checked
 * against everything a multipart encloses when a part is inserted: on a
 * collision the multipart gets a new boundary (its Content-Type field and
 * delimiter lines are generated again). The writer checks streamed
 * bodies written as they are.
 *
 * Every change is prepared first (allocations, validation) and then
 * committed, so that m is unchanged when a call fails (a failed call may
 * leave unreachable bytes in the arena).
 */
#include <stdint.h>
#include <time.h>

#include "contype.h"
#include "header.h"
#include "mime.h"

#define MAX_LINE 998
#define BOUNDARY_RAND 28 /* random characters after "=_" */

static const mf_str crlf = {"\r\n", 2};

/* The parts are handed out const; the functions that change them take
 * the message that owns them. */
static mf_part *
mut(const mf_part *p)
{
	return (mf_part *)(uintptr_t)p;
}

static bool
owned(const mf_msg *m, const mf_part *p)
{
	return m != NULL && p != NULL && p->tree == m;
}

/* Whether s is the string literal lit (its length known at compile
 * time: no strlen in the loops over fields). */
#define is_lit(s, lit) is_lit_n((s), "" lit, sizeof(lit) - 1)

static bool
is_lit_n(mf_str s, const char *lit, size_t n)
{
	return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

/* ---------------------------------------------------------------------- */
/* Random source                                                           */
/* ---------------------------------------------------------------------- */

static uint64_t
rnd64(mf_msg *m)
{
	uint64_t z;

	if (!m->rs_init) {
		uint64_t s = 0;

		/* Once per message; without a source, the clock and the
		 * message's address (unique, not unpredictable). */
		if (mf__os_random(NULL, &s, sizeof(s)) != 0)
			s = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)m;
		m->rs = s;
		m->rs_init = true;
	}
	/* splitmix64 */
	z = (m->rs += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int
rnd_fill(void *ctx, void *buf, size_t n)
{
	unsigned char *q = buf;

	while (n > 0) {
		uint64_t v = rnd64(ctx);
		size_t k = n < 8 ? n : 8;

		memcpy(q, &v, k);
		q += k;
		n -= k;
	}
	return 0;
}

/* A new boundary "=_" + 28 letters and digits into out[0..31) (NUL). */
static void
new_boundary(mf_msg *m, char *out)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;
	uint64_t v = 0;

	out[0] = '=';
	out[1] = '_';
	for (i = 0; i < BOUNDARY_RAND; i++) {
		if (i % 10 == 0)
			v = rnd64(m);
		out[2 + i] = set[v % 62];
		v /= 62;
	}
	out[2 + BOUNDARY_RAND] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Field values                                                            */
/* ---------------------------------------------------------------------- */

static bool
is_ascii(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return false;
	}
	return true;
}

/* Whether the field name a[0..an) is the string literal lit, ignoring
 * case. */
#define name_eq(a, an, lit) mf__ieq((a), (an), "" lit, sizeof(lit) - 1)

static bool
is_content(const char *name, size_t n)
{
	return n >= 8 && mf__ieq(name, 8, "content-", 8);
}

/* Whether name is one of the three fields that describe a part. */
static bool
describes(const char *name, size_t n)
{
	return name_eq(name, n, "content-type") ||
	       name_eq(name, n, "content-disposition") ||
	       name_eq(name, n, "content-transfer-encoding");
}

/* Every line of out[from..) within 998 octets (line end excluded). */
static bool
lines_fit(const mf_buf *out, size_t from)
{
	const char *p = out->data + from, *e = out->data + out->len;

	if (from >= out->len)
		return true;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *le = nl != NULL ? nl : e;

		if ((size_t)(le - p) > MAX_LINE) {
			/* Long: counted without its CRs. */
			size_t col = 0;
			const char *q;

			for (q = p; q < le; q++) {
				if (*q != '\r' && ++col > MAX_LINE)
					return false;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return true;
}

/* Address fields: parsed (strictly: MF_E_SYNTAX at what is wrong) and
 * written canonically. */
static int
addr_value(mf_msg *m, mf_buf *out, const char *name, size_t nl, const char *v,
           size_t n, mf_error *err)
{
	mf_opts o;
	mf_addrs *l = NULL;
	size_t cnt, i, mboxes = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = m->ar.a;
	o.flags = MF_STRICT;
	rc = mf_addrs_parse(v, n, &o, &l, err);
	if (rc == MF_E_NOMEM)
		return rc;
	if (rc < 0) {
		if (err != NULL)
			err->code = MF_E_SYNTAX;
		return MF_E_SYNTAX;
	}
	cnt = mf_addrs_count(l);
	for (i = 0; i < cnt; i++)
		mboxes += mf_addrs_at(l, i)->kind == MF_ADDR_MAILBOX;
	if (name_eq(name, nl, "from")) {
		/* For auto_msgid (from_domain), which would parse the field
		 * again. */
		const mf_addr *a = mf_addrs_first_mailbox(l);
		mf_str d = {"", 0};

		if (a != NULL && a->domain.len > 0)
			d.ptr =
			    mf__arena_dup(&m->ar, a->domain.ptr, a->domain.len);
		if (d.ptr != NULL) {
			d.len = a != NULL ? a->domain.len : 0;
			m->fd_next = d;
			m->fd_next_on = true;
		}
	}
	if (cnt == 0 || (mboxes == 0 && !name_eq(name, nl, "bcc"))) {
		mf_addrs_free(l);
		return mf__err(err, MF_E_SYNTAX, n, "no address");
	}
	rc = mf__buf_put(out, name, nl);
	if (rc == MF_OK)
		rc = mf__buf_put(out, ": ", 2);
	if (rc == MF_OK)
		rc = mf_addr_format(out, mf_addrs_at(l, 0), cnt,
		                    m->flags & MF_UTF8_OUT, nl + 2, 78);
	if (rc == MF_OK)
		rc = mf__buf_put(out, "\r\n", 2);
	mf_addrs_free(l);
	if (rc == MF_E_UTF8_OUT)
		return mf__err(err, rc, 0,
		               "non-ASCII address needs MF_UTF8_OUT");
	if (rc < 0)
		return mf__err(err, rc, 0, "out of memory");
	return MF_OK;
}

/* msg-id fields: every id validated, written "<a> <b>" canonically. */
static int
msgid_value(mf_msg *m, mf_buf *out, const char *name, size_t nl, const char *v,
            size_t n, mf_error *err)
{
	mf_opts o;
	mf_str *ids;
	mf_buf val;
	size_t cap = 1, nids, i;
	bool one = !name_eq(name, nl, "in-reply-to") &&
	           !name_eq(name, nl, "references");
	int rc;

	for (i = 0; i < n; i++)
		cap += v[i] == '<';
	ids = mf__alloc(&m->ar.a, cap * sizeof(*ids));
	if (ids == NULL)
		return mf__err(err, MF_E_NOMEM, 0, "out of memory");
	memset(&o, 0, sizeof(o));
	o.alloc = m->ar.a;
	o.flags = MF_STRICT;
	nids = cap;
	rc = mf_msgid_parse(v, n, &o, ids, &nids, NULL, err);
	if (rc == MF_OK && (nids == 0 || (one && nids != 1)))
		rc = mf__err(err, MF_E_SYNTAX, n,
		             nids == 0 ? "no msg-id" : "more than one msg-id");
	if (rc < 0) {
		mf__release(&m->ar.a, ids);
		if (rc != MF_E_NOMEM && err != NULL)
			err->code = MF_E_SYNTAX;
		return rc == MF_E_NOMEM ? rc : MF_E_SYNTAX;
	}
	mf__buf_init(&val, &m->ar.a);
	for (i = 0; i < nids && rc == MF_OK; i++) {
		if (i > 0)
			rc = mf__buf_putc(&val, ' ');
		if (rc == MF_OK)
			rc = mf__buf_putc(&val, '<');
		if (rc == MF_OK)
			rc = mf_msgid_canon(&val, ids[i].ptr, ids[i].len);
		if (rc == MF_OK)
			rc = mf__buf_putc(&val, '>');
	}
	mf__release(&m->ar.a, ids);
	if (rc == MF_OK)
		rc = mf__hdr_fold_cls(out, name, nl, val.data, val.len,
		                      m->flags & MF_UTF8_OUT, 78, MF__F_MSGID,
		                      err);
	mf__buf_fini(&val);
	return rc;
}

static int
date_value(mf_msg *m, mf_buf *out, const char *name, size_t nl, const char *v,
           size_t n, mf_error *err)
{
	mf_opts o;
	mf_date d;
	char s[64];
	size_t len;
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = m->ar.a;
	rc = mf_date_parse(v, n, &o, &d, NULL, err);
	if (rc < 0) {
		if (err != NULL)
			err->code = MF_E_SYNTAX;
		return MF_E_SYNTAX;
	}
	if (d.tz_unknown)
		d.tz_offset = 0;
	rc = mf_date_format(s, sizeof(s), &d, 0, &len);
	if (rc < 0)
		return mf__err(err, MF_E_SYNTAX, 0, "date out of range");
	return mf__hdr_fold_cls(out, name, nl, s, len, 0, 78,
	                        MF__F_UNSTRUCTURED, err);
}

/*
 * Appends the folded field "name: value" CRLF to out, by the rules of
 * mf_part_header_set. err's offsets are in the value (in the name for
 * a bad name).
 */
static int
field_text(mf_msg *m, mf_buf *out, const char *name, size_t nl, const char *v,
           size_t n, unsigned flags, mf_error *err)
{
	unsigned ff = m->flags & MF_UTF8_OUT;
	size_t i, start = out->len;
	int rc;

	if ((name == NULL && nl != 0) || (v == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if ((flags & ~MF_RAW) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	for (i = 0; i < nl; i++) {
		if (name[i] == '\r' || name[i] == '\n' || name[i] == '\0')
			return mf__err(err, MF_E_INVAL, i,
			               "CR, LF or NUL in a field name");
		if (!mf__is((unsigned char)name[i], MF__C_FTEXT))
			return mf__err(err, MF_E_INVAL, i,
			               "invalid field name");
	}
	if (nl == 0)
		return mf__err(err, MF_E_INVAL, 0, "empty field name");
	/* A line starting "--" in a header block could be read as a
	 * delimiter line. */
	if (nl >= 2 && name[0] == '-' && name[1] == '-')
		return mf__err(err, MF_E_INVAL, 0, "field name starts \"--\"");
	for (i = 0; i < n; i++) {
		if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0')
			return mf__err(err, MF_E_INVAL, i,
			               "CR, LF or NUL in a header value");
	}
	if (flags & MF_RAW) {
		if (!ff && !is_ascii(v, n)) {
			for (i = 0; (unsigned char)v[i] < 0x80; i++)
				;
			return mf__err(err, MF_E_UTF8_OUT, i,
			               "raw non-ASCII value needs MF_UTF8_OUT");
		}
		rc = mf_hdr_fold(out, name, nl, v, n, MF_UTF8_OUT, 78, err);
	} else {
		int cls = mf__field_class(name, nl);

		switch (cls) {
		case MF__F_ADDRESS:
			rc = addr_value(m, out, name, nl, v, n, err);
			break;
		case MF__F_MSGID:
			rc = msgid_value(m, out, name, nl, v, n, err);
			break;
		case MF__F_PARAMS:
		case MF__F_RECEIVED:
		case MF__F_UNSTRUCTURED:
		default:
			if (name_eq(name, nl, "date") ||
			    name_eq(name, nl, "resent-date")) {
				rc = date_value(m, out, name, nl, v, n, err);
				break;
			}
			if (name_eq(name, nl, "content-type") ||
			    name_eq(name, nl, "content-disposition")) {
				mf__arena ar;
				mf_opts o;
				mf_ctype ct;
				mf_disp dp;

				memset(&o, 0, sizeof(o));
				o.alloc = m->ar.a;
				o.flags = MF_STRICT;
				mf__arena_init(&ar, &m->ar.a);
				rc = name_eq(name, nl, "content-type")
				         ? mf__ctype_parse(&ar, v, n, &o, 0,
				                           &ct, err)
				         : mf__disp_parse(&ar, v, n, &o, 0, &dp,
				                          err);
				if (rc == MF_OK &&
				    name_eq(name, nl, "content-type") &&
				    (ct.type.len == 0 || ct.subtype.len == 0))
					rc = mf__err(err, MF_E_SYNTAX, 0,
					             "no type/subtype");
				mf__arena_free(&ar);
				if (rc < 0 && rc != MF_E_NOMEM) {
					if (err != NULL)
						err->code = MF_E_SYNTAX;
					return MF_E_SYNTAX;
				}
				if (rc < 0)
					return rc;
			}
			if (name_eq(name, nl, "content-transfer-encoding")) {
				int cte;
				uint64_t d = 0;

				if (mf_cte_parse(v, n, &cte, &d) < 0 ||
				    cte == MF_CTE_UNKNOWN || d != 0)
					return mf__err(err, MF_E_SYNTAX, 0,
					               "unknown encoding");
			}
			rc = mf__hdr_fold_cls(out, name, nl, v, n, ff, 78, cls,
			                      err);
			break;
		}
	}
	if (rc == MF_OK && !lines_fit(out, start)) {
		mf__buf_cut(out, start);
		return mf__err(err, MF_E_LIMIT, 0, "line over 998 octets");
	}
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}

/* A generated field from the folded bytes raw[0..n), copied to m. */
static int
field_make(mf_msg *m, const char *raw, size_t n, size_t nl,
           struct mf__hfield *hf)
{
	char *q = mf__arena_dup(&m->ar, raw, n);
	size_t v = nl + 1, e = n;

	if (q == NULL)
		return MF_E_NOMEM;
	memset(hf, 0, sizeof(*hf));
	hf->raw.ptr = q;
	hf->raw.len = n;
	while (v < n && (q[v] == ' ' || q[v] == '\t'))
		v++;
	if (e >= 2 && q[e - 2] == '\r')
		e -= 2;
	else if (e >= 1 && q[e - 1] == '\n')
		e--;
	if (v > e)
		v = e;
	hf->f.name.ptr = q;
	hf->f.name.len = nl;
	hf->f.value.ptr = q + v;
	hf->f.value.len = e - v;
	hf->f.eol = 2; /* offset and raw_len 0: generated */
	return MF_OK;
}

/* A generated field name: value in *hf. */
static int
field_new(mf_msg *m, const char *name, size_t nl, const char *v, size_t n,
          unsigned flags, struct mf__hfield *hf, mf_error *err)
{
	mf_buf b;
	int rc;

	mf__buf_init(&b, &m->ar.a);
	m->fd_next_on = false;
	rc = field_text(m, &b, name, nl, v, n, flags, err);
	if (rc == MF_OK) {
		rc = field_make(m, b.data, b.len, nl, hf);
		if (rc < 0)
			mf__err(err, rc, 0, "out of memory");
	}
	if (rc == MF_OK && m->fd_next_on) {
		m->fd_raw = hf->raw.ptr;
		m->fd = m->fd_next;
	}
	m->fd_next_on = false;
	mf__buf_fini(&b);
	return rc;
}

/*
 * A generated field whose value the library made itself (a date it
 * formatted, a Message-ID it generated, "1.0"): when it is short printable
 * ASCII with single inner spaces and no "=?", field_text would write it
 * as it is on one line, "name: value" CRLF; the field is made so without
 * parsing it again. Anything else goes through field_new.
 */
static int
field_plain(mf_msg *m, const char *name, size_t nl, const char *v, size_t n,
            struct mf__hfield *hf)
{
	char raw[80];
	size_t i;

	if (nl + 2 + n > 78 || n == 0 || v[0] == ' ' || v[n - 1] == ' ')
		return field_new(m, name, nl, v, n, 0, hf, NULL);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c > 0x7e || (c == ' ' && v[i + 1] == ' ') ||
		    (c == '=' && i + 1 < n && v[i + 1] == '?'))
			return field_new(m, name, nl, v, n, 0, hf, NULL);
	}
	memcpy(raw, name, nl);
	raw[nl] = ':';
	raw[nl + 1] = ' ';
	memcpy(raw + nl + 2, v, n);
	raw[nl + 2 + n] = '\r';
	raw[nl + 3 + n] = '\n';
	return field_make(m, raw, nl + 4 + n, nl, hf);
}

/* ---------------------------------------------------------------------- */
/* Descriptions                                                            */
/* ---------------------------------------------------------------------- */

/* The first of fv[0..nf) named the string literal lit. */
#define first_field(fv, nf, lit)                                               \
	first_field_n((fv), (nf), "" lit, sizeof(lit) - 1)

static const struct mf__hfield *
first_field_n(const struct mf__hfield *fv, size_t nf, const char *name,
              size_t nl)
{
	size_t i;

	for (i = 0; i < nf; i++) {
		if (mf__ieq(fv[i].f.name.ptr, fv[i].f.name.len, name, nl))
			return &fv[i];
	}
	return NULL;
}

/*
 * The description of p were its fields fv[0..nf), into d (type, subtype,
 * ct_default, params, disp, dparams, filename, charset, boundary, cte,
 * kind), by the rules of mime.c's describe() (RFC 2045 5.2, 6.1; RFC 2046
 * 5.1.5; RFC 2183), read leniently as the parser does.
 */
static int
describe(mf_msg *m, const mf_part *p, const struct mf__hfield *fv, size_t nf,
         mf_part *d)
{
	const struct mf__hfield *hf;
	const mf_part *par = p->parent;
	const mf_param *pm;
	mf_opts o;
	mf_error err;
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = m->ar.a;
	memset(&d->type, 0, sizeof(d->type));
	d->subtype = d->type;
	d->disp = d->type;
	d->filename = d->type;
	d->charset = d->type;
	d->boundary = d->type;
	memset(&d->params, 0, sizeof(d->params));
	memset(&d->dparams, 0, sizeof(d->dparams));
	d->ct_default = false;
	d->cte = MF_CTE_7BIT;
	hf = first_field(fv, nf, "content-type");
	if (hf != NULL) {
		mf_ctype ct;

		rc = mf__ctype_parse(&m->ar, hf->f.value.ptr, hf->f.value.len,
		                     &o, 0, &ct, &err);
		if (rc < 0)
			return rc;
		d->type = ct.type;
		d->subtype = ct.subtype;
		d->params = ct.params;
	}
	if (d->type.len == 0 || d->subtype.len == 0) {
		d->ct_default = true;
		if (par != NULL && par->kind == MF_PART_MULTIPART &&
		    is_lit(par->subtype, "digest")) {
			d->type = (mf_str){"message", 7};
			d->subtype = (mf_str){"rfc822", 6};
		} else {
			d->type = (mf_str){"text", 4};
			d->subtype = (mf_str){"plain", 5};
		}
	}
	pm = mf_params_get(&d->params, "charset", 7);
	if (pm != NULL)
		d->charset = pm->value;
	hf = first_field(fv, nf, "content-transfer-encoding");
	if (hf != NULL) {
		uint64_t def = 0;
		int cte = MF_CTE_7BIT;

		if (mf_cte_parse(hf->f.value.ptr, hf->f.value.len, &cte, &def) <
		    0)
			cte = MF_CTE_UNKNOWN;
		d->cte = cte;
	}
	hf = first_field(fv, nf, "content-disposition");
	if (hf != NULL) {
		mf_disp dp;

		rc = mf__disp_parse(&m->ar, hf->f.value.ptr, hf->f.value.len,
		                    &o, 0, &dp, &err);
		if (rc < 0)
			return rc;
		d->disp = dp.type;
		d->dparams = dp.params;
	}
	pm = mf_params_get(&d->dparams, "filename", 8);
	if (pm == NULL || pm->value.len == 0)
		pm = mf_params_get(&d->params, "name", 4);
	if (pm != NULL)
		d->filename = pm->value;
	d->kind = MF_PART_LEAF;
	if (is_lit(d->type, "multipart")) {
		pm = mf_params_get(&d->params, "boundary", 8);
		if (pm == NULL) { /* boundary="" splits, as in mime.c */
			d->type = (mf_str){"text", 4};
			d->subtype = (mf_str){"plain", 5};
			return MF_OK;
		}
		d->boundary = pm->value;
		while (d->boundary.len > 0 &&
		       (d->boundary.ptr[d->boundary.len - 1] == ' ' ||
		        d->boundary.ptr[d->boundary.len - 1] == '\t'))
			d->boundary.len--;
		d->kind = MF_PART_MULTIPART;
		return MF_OK;
	}
	if (is_lit(d->type, "message") &&
	    (is_lit(d->subtype, "rfc822") || is_lit(d->subtype, "global") ||
	     is_lit(d->subtype, "news")) &&
	    d->cte != MF_CTE_QP && d->cte != MF_CTE_BASE64 &&
	    d->cte != MF_CTE_UUENCODE)
		d->kind = MF_PART_MESSAGE;
	return MF_OK;
}

static void
take_description(mf_part *p, const mf_part *d)
{
	p->type = d->type;
	p->subtype = d->subtype;
	p->ct_default = d->ct_default;
	p->params = d->params;
	p->disp = d->disp;
	p->dparams = d->dparams;
	p->filename = d->filename;
	p->charset = d->charset;
	p->boundary = d->boundary;
	p->cte = d->cte;
}

/* The attachment decisions of every part of m, again (content.c: depth
 * first, a part before its children). */
static void
resel_tree(mf_part *root)
{
	mf_part *p = root;

	while (p != NULL) {
		mf_part *par = mut(p->parent);

		p->sel = 0;
		if (p != root || par != NULL) {
			mf__sel_begin(p, par);
			mf__sel_decide(p, par);
		} else {
			mf__sel_decide(p, NULL);
		}
		if (p->message != NULL && p->kind == MF_PART_MESSAGE) {
			p = p->message;
			continue;
		}
		if (p->kind == MF_PART_MULTIPART && p->first != NULL) {
			p = p->first;
			continue;
		}
		while (p != root && p->next == NULL)
			p = mut(p->parent);
		if (p == root)
			break;
		p = p->next;
	}
}

static void
resel(mf_msg *m)
{
	size_t i;

	for (i = 0; i < m->nroots; i++)
		resel_tree(m->roots[i]);
}

/* ---------------------------------------------------------------------- */
/* Boundaries                                                              */
/* ---------------------------------------------------------------------- */

/* Whether s has a line (its start counts as one) beginning "--" b. */
static bool
has_delim(mf_str s, mf_str b)
{
	const char *q, *e;

	if (b.len == 0 || s.len < b.len + 2)
		return false;
	q = s.ptr;
	e = s.ptr + s.len;
	for (;;) {
		const char *nl;

		if ((size_t)(e - q) >= b.len + 2 && q[0] == '-' &&
		    q[1] == '-' && memcmp(q + 2, b.ptr, b.len) == 0)
			return true;
		nl = memchr(q, '\n', (size_t)(e - q));
		if (nl == NULL)
			return false;
		q = nl + 1;
	}
}

/* Whether boundary b holds "=_" (as the generated ones do). */
static bool
has_eq_(mf_str b)
{
	size_t i;

	for (i = 0; i + 1 < b.len; i++) {
		if (b.ptr[i] == '=' && b.ptr[i + 1] == '_')
			return true;
	}
	return false;
}

/* The next part of the subtree at root after p in depth-first order. */
static const mf_part *
walk_next(const mf_part *root, const mf_part *p)
{
	if (p->kind == MF_PART_MESSAGE && p->message != NULL)
		return p->message;
	if (p->kind == MF_PART_MULTIPART && p->first != NULL)
		return p->first;
	while (p != root && p->next == NULL)
		p = p->parent;
	return p == root ? NULL : p->next;
}

/*
 * Whether a line of the subtree at t, as it will be written, begins with
 * "--" b: fields, bodies held in memory, preambles, epilogues, the
 * delimiter lines of enclosed multiparts. (Streamed bodies are checked
 * by the writer.)
 */
static bool
subtree_has(const mf_part *t, mf_str b)
{
	const mf_part *p;

	for (p = t; p != NULL; p = walk_next(t, p)) {
		size_t i;

		for (i = 0; i < p->nfields; i++) {
			if (has_delim(p->fields[i].raw, b))
				return true;
		}
		if (has_delim(p->hdr_end, b) || has_delim(p->preamble, b) ||
		    has_delim(p->epilogue, b))
			return true;
		/* A body we encoded in base64 has no "-" (RFC 2045 6.8):
		 * not searched (a large attachment would be, line by line,
		 * at every boundary choice). */
		if (!((p->gen & MF__GEN_BODY) && p->cte == MF_CTE_BASE64) &&
		    has_delim(p->body, b))
			return true;
		if (p != t &&
		    (has_delim(p->delim, b) || has_delim(p->close, b)))
			return true;
		if (p->kind == MF_PART_MULTIPART && p->boundary.len >= b.len &&
		    memcmp(p->boundary.ptr, b.ptr, b.len) == 0 && p != t)
			return true;
		/* A streamed body that may hold any "--" line (not base64)
		 * under a boundary that is not one of ours ("=_", which
		 * quoted-printable cannot write): taken as a collision, so
		 * that the multipart gets a boundary the writer never has to
		 * refuse for quoted-printable. */
		if (p->rfn != NULL && p->cte != MF_CTE_BASE64 && !has_eq_(b))
			return true;
	}
	return false;
}

/* Whether the content of multipart a (its children, preamble and
 * epilogue), plus extra (may be NULL), holds a line "--" b. */
static bool
content_has(const mf_part *a, const mf_part *extra, mf_str b)
{
	const mf_part *c;

	if (has_delim(a->preamble, b) || has_delim(a->epilogue, b))
		return true;
	for (c = a->first; c != NULL; c = c->next) {
		if (subtree_has(c, b))
			return true;
	}
	return extra != NULL && subtree_has(extra, b);
}

/* Whether v can be written in a quoted string as it is (printable ASCII,
 * HTAB). */
static bool
quotable(mf_str v)
{
	size_t i;

	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return false;
	}
	return true;
}

/* The folded Content-Type field of multipart p with boundary b: its type
 * and its parameters but boundary, their values as they were (RFC 2231
 * form for those that cannot be quoted). */
static int
multipart_ct(mf_msg *m, const mf_part *p, const char *b, struct mf__hfield *hf)
{
	mf_buf v;
	size_t i, np = mf_params_count(&p->params);
	int rc;

	mf__buf_init(&v, &m->ar.a);
	rc = mf__buf_put(&v, "multipart/", 10);
	if (rc == MF_OK)
		rc = mf__buf_put(&v, p->subtype.ptr, p->subtype.len);
	for (i = 0; i < np && rc == MF_OK; i++) {
		const mf_param *pm = mf_params_at(&p->params, i);
		size_t k;

		if (is_lit(pm->name, "boundary"))
			continue;
		rc = mf__buf_put(&v, "; ", 2);
		if (rc == MF_OK && !quotable(pm->value)) {
			/* Non-ASCII or control octets: RFC 2231 form
			 * (the value is held in UTF-8), nothing lost. */
			rc = mf_rfc2231_encode(&v, pm->name.ptr, pm->name.len,
			                       pm->value.ptr, pm->value.len,
			                       NULL, 0, 0, 0);
			continue;
		}
		if (rc == MF_OK)
			rc = mf__buf_put(&v, pm->name.ptr, pm->name.len);
		if (rc == MF_OK)
			rc = mf__buf_put(&v, "=\"", 2);
		for (k = 0; k < pm->value.len && rc == MF_OK; k++) {
			char c = pm->value.ptr[k];

			if (c == '"' || c == '\\')
				rc = mf__buf_putc(&v, '\\');
			if (rc == MF_OK)
				rc = mf__buf_putc(&v, c);
		}
		if (rc == MF_OK)
			rc = mf__buf_putc(&v, '"');
	}
	if (rc == MF_OK)
		rc = mf__buf_put(&v, "; boundary=\"", 12);
	if (rc == MF_OK)
		rc = mf__buf_puts(&v, b);
	if (rc == MF_OK)
		rc = mf__buf_putc(&v, '"');
	if (rc == MF_OK)
		rc = field_new(m, "Content-Type", 12, v.data, v.len, 0, hf,
		               NULL);
	mf__buf_fini(&v);
	return rc;
}

/* A boundary change prepared for a multipart (committed by rebound). */
struct rebound {
	mf_part *p;
	struct mf__hfield *fv;
	size_t nf;
	mf_part d;
};

/*
 * Prepares a new boundary for multipart a, not in its content nor in
 * extra (may be NULL): its fields with the new Content-Type in *r.
 */
static int
prepare_rebound(mf_msg *m, mf_part *a, const mf_part *extra, struct rebound *r)
{
	char b[BOUNDARY_RAND + 3];
	struct mf__hfield hf, *fv;
	size_t i;
	int rc, tries = 0;

	do {
		new_boundary(m, b);
	} while (content_has(a, extra, mf_str_from(b)) && ++tries < 100);
	rc = multipart_ct(m, a, b, &hf);
	if (rc < 0)
		return rc;
	fv = mf__arena_alloc(&m->ar, (a->nfields + 1) * sizeof(*fv));
	if (fv == NULL)
		return MF_E_NOMEM;
	r->nf = 0;
	for (i = 0; i < a->nfields; i++) {
		if (name_eq(a->fields[i].f.name.ptr, a->fields[i].f.name.len,
		            "content-type")) {
			if (r->nf < i || hf.raw.len == 0)
				continue; /* a second one: dropped */
			fv[r->nf++] = hf;
			hf.raw.len = 0;
		} else {
			fv[r->nf++] = a->fields[i];
		}
	}
	if (hf.raw.len != 0)
		fv[r->nf++] = hf;
	r->p = a;
	r->fv = fv;
	rc = describe(m, a, fv, r->nf, &r->d);
	if (rc == MF_OK && r->d.kind != MF_PART_MULTIPART)
		rc = MF_E_INVAL;
	return rc;
}

static void
commit_rebound(struct rebound *r)
{
	r->p->fields = r->fv;
	r->p->nfields = r->nf;
	take_description(r->p, &r->d);
	r->p->gen |= MF__GEN_DELIMS;
}

/*
 * Makes sure no multipart from a up (a itself, then its ancestors) finds
 * its boundary in extra (the subtree about to be put under a): each that
 * would gets a new one. Prepared first, then committed.
 */
static int
ensure_boundaries(mf_msg *m, mf_part *a, const mf_part *extra)
{
	struct rebound *rv = NULL;
	mf_part *q;
	size_t n = 0, k = 0;
	int rc;

	for (q = a; q != NULL; q = mut(q->parent)) {
		if (q->kind == MF_PART_MULTIPART &&
		    subtree_has(extra, q->boundary))
			n++;
	}
	if (n == 0)
		return MF_OK;
	rv = mf__arena_calloc(&m->ar, n, sizeof(*rv));
	if (rv == NULL)
		return MF_E_NOMEM;
	for (q = a; q != NULL; q = mut(q->parent)) {
		if (q->kind == MF_PART_MULTIPART &&
		    subtree_has(extra, q->boundary)) {
			rc = prepare_rebound(m, q, extra, &rv[k++]);
			if (rc < 0)
				return rc;
		}
	}
	for (k = 0; k < n; k++)
		commit_rebound(&rv[k]);
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Header fields                                                           */
/* ---------------------------------------------------------------------- */

enum { OP_SET, OP_ADD, OP_REMOVE };

static bool
is_root(const mf_msg *m, const mf_part *p)
{
	size_t i;

	for (i = 0; i < m->nroots; i++) {
		if (m->roots[i] == p)
			return true;
	}
	return false;
}

static bool
detached(const mf_msg *m, const mf_part *p)
{
	return p->parent == NULL && !is_root(m, p);
}

/* The domain of the first mailbox of the From field of p, else
 * "localhost", into out (NUL-terminated). */
static int
from_domain(mf_msg *m, const struct mf__hfield *fv, size_t nf, mf_buf *out)
{
	const struct mf__hfield *hf = first_field(fv, nf, "from");
	mf_opts o;
	mf_addrs *l = NULL;
	int rc = MF_OK;

	if (hf != NULL && hf->raw.ptr == m->fd_raw) {
		/* The From field the builder made (field_new): its domain is
		 * known, as this parse would find it in the canonical text. */
		if (m->fd.len > 0 && is_ascii(m->fd.ptr, m->fd.len))
			rc = mf__buf_put(out, m->fd.ptr, m->fd.len);
		if (rc == MF_OK && out->len == 0)
			rc = mf__buf_puts(out, "localhost");
		return rc;
	}
	memset(&o, 0, sizeof(o));
	o.alloc = m->ar.a;
	if (hf != NULL)
		rc = mf_addrs_parse(hf->f.value.ptr, hf->f.value.len, &o, &l,
		                    NULL);
	if (rc == MF_E_NOMEM)
		return rc;
	if (hf != NULL && rc == MF_OK) {
		const mf_addr *a = mf_addrs_first_mailbox(l);

		if (a != NULL && a->domain.len > 0 &&
		    is_ascii(a->domain.ptr, a->domain.len))
			rc = mf__buf_put(out, a->domain.ptr, a->domain.len);
	}
	mf_addrs_free(l);
	if (rc != MF_E_NOMEM)
		rc = MF_OK;
	if (rc == MF_OK && out->len == 0)
		rc = mf__buf_puts(out, "localhost");
	return rc;
}

/* A new automatic Message-ID field for the fields fv[0..nf) of a root. */
static int
auto_msgid(mf_msg *m, const struct mf__hfield *fv, size_t nf,
           struct mf__hfield *hf)
{
	mf_buf dom, id;
	int rc;

	mf__buf_init(&dom, &m->ar.a);
	mf__buf_init(&id, &m->ar.a);
	rc = from_domain(m, fv, nf, &dom);
	if (rc == MF_OK) {
		rc = mf_msgid_generate(&id, dom.data, dom.len, rnd_fill, m);
		if (rc == MF_E_INVAL) {
			/* A From domain that is no dot-atom. */
			mf__buf_cut(&id, 0);
			rc =
			    mf_msgid_generate(&id, "localhost", 9, rnd_fill, m);
		}
	}
	if (rc == MF_OK)
		rc = field_plain(m, "Message-ID", 10, id.data, id.len, hf);
	mf__buf_fini(&dom);
	mf__buf_fini(&id);
	return rc;
}

/*
 * The fields of p after op (nf: the new field for OP_SET and OP_ADD) in
 * a new array *out, *nout, *removed how many fields were dropped.
 */
static int
fields_after(mf_msg *m, const mf_part *p, int op, const char *name, size_t nl,
             const struct mf__hfield *nf, struct mf__hfield **out, size_t *nout,
             size_t *removed)
{
	struct mf__hfield *fv;
	size_t i, k = 0, last = SIZE_MAX;
	bool placed = false;

	fv = mf__arena_alloc(&m->ar, (p->nfields + 2) * sizeof(*fv));
	if (fv == NULL)
		return MF_E_NOMEM;
	*removed = 0;
	if (op == OP_ADD) {
		for (i = 0; i < p->nfields; i++) {
			if (mf__ieq(p->fields[i].f.name.ptr,
			            p->fields[i].f.name.len, name, nl))
				last = i;
		}
	}
	for (i = 0; i < p->nfields; i++) {
		bool match = mf__ieq(p->fields[i].f.name.ptr,
		                     p->fields[i].f.name.len, name, nl);

		if (match && op != OP_ADD) {
			(*removed)++;
			if (op == OP_SET && !placed) {
				fv[k++] = *nf;
				placed = true;
			}
			continue;
		}
		fv[k++] = p->fields[i];
		if (op == OP_ADD && i == last) {
			fv[k++] = *nf;
			placed = true;
		}
	}
	if (op != OP_REMOVE && !placed)
		fv[k++] = *nf;
	*out = fv;
	*nout = k;
	return MF_OK;
}

/*
 * Puts fields fv[0..nf) on p (m unchanged on failure): the description
 * derived again when content changed and the kind allows it, MIME-Version
 * added to a root with a Content-Type, an automatic Message-ID regenerated
 * when From changed.
 */
static bool
is_digest(const mf_part *par)
{
	return par != NULL && par->kind == MF_PART_MULTIPART &&
	       is_lit(par->subtype, "digest");
}

/* A Content-Type written out for a part that moves (prepared by
 * pin_prepare, committed by pin_commit). */
struct pin {
	struct mf__hfield *fv;
	size_t nf;
	bool on;
};

/*
 * p, whose type is the default one (no valid Content-Type), about to go
 * from under a digest or not (from_dg) to under a digest or not (to_dg):
 * moved, or its multipart's subtype changed. The default is
 * message/rfc822 in a multipart/digest and text/plain elsewhere (RFC 2046
 * 5.1.5, RFC 2045 5.2): when it would change, p's type as it reads now is
 * written out ("Content-Type: text/plain" or "message/rfc822"), so that
 * the part means and reads back as it did where it goes (the other
 * default would make a leaf's body an embedded message, or an embedded
 * message a text body). An unparsable Content-Type field is replaced.
 */
static int
pin_prepare(mf_msg *m, const mf_part *p, bool from_dg, bool to_dg,
            struct pin *pn)
{
	struct mf__hfield hf;
	char v[32];
	size_t rm = 0;
	int rc;

	pn->on = false;
	if (!p->ct_default || from_dg == to_dg)
		return MF_OK;
	if (p->type.len + p->subtype.len + 2 > sizeof(v))
		return MF_E_INVAL; /* not a default type */
	memcpy(v, p->type.ptr, p->type.len);
	v[p->type.len] = '/';
	memcpy(v + p->type.len + 1, p->subtype.ptr, p->subtype.len);
	rc = field_new(m, "Content-Type", 12, v,
	               p->type.len + 1 + p->subtype.len, 0, &hf, NULL);
	if (rc == MF_OK)
		rc = fields_after(m, p, OP_SET, "Content-Type", 12, &hf,
		                  &pn->fv, &pn->nf, &rm);
	if (rc < 0)
		return rc;
	pn->on = true;
	return MF_OK;
}

static void
pin_commit(mf_part *p, const struct pin *pn)
{
	if (!pn->on)
		return;
	p->fields = pn->fv;
	p->nfields = pn->nf;
	p->ct_default = false;
}

static int
apply_fields(mf_msg *m, mf_part *p, struct mf__hfield *fv, size_t nf,
             bool content, bool from, mf_error *err)
{
	mf_part d;
	struct mf__hfield mv, id;
	bool root = is_root(m, p);
	bool add_mv = false, new_id = false, turn_multi = false;
	struct pin *pins = NULL;
	int rc;

	memset(&d, 0, sizeof(d));
	if (content) {
		rc = describe(m, p, fv, nf, &d);
		if (rc < 0)
			return mf__err(err, rc, 0, "out of memory");
		if (d.kind != p->kind) {
			/* An empty new leaf may become a multipart. */
			bool empty_leaf = p->kind == MF_PART_LEAF &&
			                  p->body.len == 0 && p->rfn == NULL;

			if (d.kind == MF_PART_MULTIPART && empty_leaf)
				turn_multi = true;
			else if (!(d.kind == MF_PART_LEAF &&
			           p->kind == MF_PART_MULTIPART &&
			           p->first == NULL && p->preamble.len == 0 &&
			           p->epilogue.len == 0))
				return mf__err(err, MF_E_INVAL, 0,
				               "the part's kind cannot change");
		}
		if (d.kind == MF_PART_MULTIPART &&
		    p->kind == MF_PART_MULTIPART &&
		    !mf_str_eq(d.boundary, p->boundary) &&
		    content_has(p, NULL, d.boundary))
			return mf__err(err, MF_E_INVAL, 0,
			               "the boundary occurs in the content");
		if (d.kind == MF_PART_MULTIPART &&
		    !mf_str_eq(d.boundary, p->boundary)) {
			/* Its delimiter lines must not start like those of a
			 * multipart around it. */
			const mf_part *a;

			for (a = p->parent; a != NULL; a = a->parent) {
				if (a->kind == MF_PART_MULTIPART &&
				    a->boundary.len <= d.boundary.len &&
				    memcmp(a->boundary.ptr, d.boundary.ptr,
				           a->boundary.len) == 0)
					return mf__err(err, MF_E_INVAL, 0,
					               "the boundary starts "
					               "with an outer one");
			}
		}
		if (root && first_field(fv, nf, "content-type") != NULL &&
		    first_field(fv, nf, "mime-version") == NULL)
			add_mv = true;
		if (p->kind == MF_PART_MULTIPART && p->first != NULL &&
		    d.kind == MF_PART_MULTIPART &&
		    is_digest(p) != is_lit(d.subtype, "digest")) {
			/* To or from multipart/digest: the children
			 * without a type keep theirs. */
			const mf_part *c;
			size_t k = 0;

			pins = mf__arena_alloc(&m->ar,
			                       p->nchildren * sizeof(*pins));
			if (pins == NULL)
				return mf__err(err, MF_E_NOMEM, 0,
				               "out of memory");
			for (c = p->first; c != NULL; c = c->next, k++) {
				rc = pin_prepare(m, c, is_digest(p),
				                 !is_digest(p), &pins[k]);
				if (rc < 0)
					return mf__err(err, rc, 0,
					               "out of memory");
			}
		}
	}
	if (add_mv) {
		struct mf__hfield *nv;

		rc = field_plain(m, "MIME-Version", 12, "1.0", 3, &mv);
		if (rc < 0)
			return mf__err(err, rc, 0, "out of memory");
		nv = mf__arena_alloc(&m->ar, (nf + 1) * sizeof(*nv));
		if (nv == NULL)
			return mf__err(err, MF_E_NOMEM, 0, "out of memory");
		/* Before the first Content-* field. */
		{
			size_t i, k = 0;
			bool put = false;

			for (i = 0; i < nf; i++) {
				if (!put && is_content(fv[i].f.name.ptr,
				                       fv[i].f.name.len)) {
					nv[k++] = mv;
					put = true;
				}
				nv[k++] = fv[i];
			}
			if (!put)
				nv[k++] = mv;
		}
		fv = nv;
		nf++;
	}
	if (from && m->auto_id && m->nroots > 0 && p == m->roots[0]) {
		size_t i;

		rc = auto_msgid(m, fv, nf, &id);
		if (rc < 0)
			return mf__err(err, rc, 0, "out of memory");
		for (i = 0; i < nf; i++) {
			if (name_eq(fv[i].f.name.ptr, fv[i].f.name.len,
			            "message-id")) {
				fv[i] = id;
				new_id = true;
				break;
			}
		}
	}
	(void)new_id;
	/* Commit. */
	p->fields = fv;
	p->nfields = nf;
	if (pins != NULL) {
		mf_part *c;
		size_t k = 0;

		for (c = p->first; c != NULL; c = c->next)
			pin_commit(c, &pins[k++]);
	}
	if (content) {
		take_description(p, &d);
		if (turn_multi) {
			p->kind = MF_PART_MULTIPART;
			p->gen |= MF__GEN_DELIMS;
			p->gen &= ~(unsigned)(MF__GEN_BODY | MF__GEN_CANON);
			p->body.ptr = NULL;
			p->body.len = 0;
		} else if (d.kind != p->kind) {
			p->kind = d.kind;
			p->gen &= ~(unsigned)MF__GEN_DELIMS;
		} else if (p->kind == MF_PART_MULTIPART &&
		           !mf_str_eq(d.boundary, p->boundary)) {
			p->gen |= MF__GEN_DELIMS;
		}
		p->boundary = d.boundary;
		resel(m);
	}
	return MF_OK;
}

static int set_cte(mf_msg *m, mf_part *p, int cte);

static int
header_op(mf_msg *m, const mf_part *cp, int op, const char *name, size_t nl,
          const char *v, size_t n, unsigned flags, size_t *removed,
          mf_error *err)
{
	mf_part *p;
	struct mf__hfield hf, *fv;
	size_t nf, rm = 0;
	bool content, from;
	int rc;

	if (m == NULL || (name == NULL && nl != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (cp == NULL)
		cp = mf_msg_root(m);
	if (!owned(m, cp))
		return mf__err(err, MF_E_INVAL, 0, "not a part of m");
	p = mut(cp);
	memset(&hf, 0, sizeof(hf));
	if (op != OP_REMOVE) {
		rc = field_new(m, name, nl, v, n, flags, &hf, err);
		if (rc < 0)
			return rc;
		if (name_eq(name, nl, "content-transfer-encoding") &&
		    (p->gen & (MF__GEN_BODY | MF__GEN_STREAM))) {
			/* A new leaf's body is encoded again. */
			int cte = MF_CTE_7BIT;
			uint64_t d = 0;

			if (mf_cte_parse(v, n, &cte, &d) < 0)
				cte = MF_CTE_UNKNOWN;
			rc = set_cte(m, p, cte);
			return rc < 0 ? mf__err(err, rc, 0, "encoding refused")
			              : MF_OK;
		}
	} else {
		if (nl == 0)
			return mf__err(err, MF_E_INVAL, 0, "empty field name");
	}
	rc = fields_after(m, p, op, name, nl, &hf, &fv, &nf, &rm);
	if (rc < 0)
		return mf__err(err, rc, 0, "out of memory");
	if (op == OP_REMOVE && rm == 0) {
		if (removed != NULL)
			*removed = 0;
		return MF_OK;
	}
	content = describes(name, nl);
	from = name_eq(name, nl, "from");
	rc = apply_fields(m, p, fv, nf, content, from, err);
	if (rc < 0)
		return rc;
	if (m->nroots > 0 && p == m->roots[0] &&
	    name_eq(name, nl, "message-id"))
		m->auto_id = false;
	if (removed != NULL)
		*removed = rm;
	return MF_OK;
}

int
mf_part_header_set(mf_msg *m, const mf_part *p, const char *name,
                   size_t namelen, const char *value, size_t n, unsigned flags,
                   mf_error *err)
{
	return header_op(m, p, OP_SET, name, namelen, value, n, flags, NULL,
	                 err);
}

int
mf_part_header_add(mf_msg *m, const mf_part *p, const char *name,
                   size_t namelen, const char *value, size_t n, unsigned flags,
                   mf_error *err)
{
	return header_op(m, p, OP_ADD, name, namelen, value, n, flags, NULL,
	                 err);
}

int
mf_part_header_remove(mf_msg *m, const mf_part *p, const char *name,
                      size_t namelen)
{
	size_t rm = 0;
	int rc;

	rc = header_op(m, p, OP_REMOVE, name, namelen, NULL, 0, 0, &rm, NULL);
	if (rc < 0)
		return rc;
	return rm > (size_t)INT32_MAX ? INT32_MAX : (int)rm;
}

int
mf_msg_set(mf_msg *m, const char *name, const char *value, mf_error *err)
{
	if (name == NULL || value == NULL)
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	return mf_part_header_set(m, NULL, name, strlen(name), value,
	                          strlen(value), 0, err);
}

int
mf_msg_set_addrs(mf_msg *m, const char *name, const mf_addr *a, size_t n,
                 mf_error *err)
{
	mf_buf v;
	int rc;

	if (m == NULL || name == NULL || (a == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__field_class(name, strlen(name)) != MF__F_ADDRESS)
		return mf__err(err, MF_E_INVAL, 0, "not an address field");
	mf__buf_init(&v, &m->ar.a);
	/* Formatted with UTF-8 names: the field's rules encode them. */
	rc = mf_addr_format(&v, a, n, MF_UTF8_OUT, 0, 0);
	if (rc < 0) {
		mf__buf_fini(&v);
		return mf__err(err, rc == MF_E_NOMEM ? rc : MF_E_INVAL, 0,
		               "address not formatted");
	}
	rc = mf_part_header_set(m, NULL, name, strlen(name),
	                        v.data != NULL ? v.data : "", v.len, 0, err);
	mf__buf_fini(&v);
	return rc;
}

int
mf_msg_set_date(mf_msg *m, int64_t t, int tz_offset)
{
	mf_date d;
	char s[64];
	size_t len;
	int rc;

	if (m == NULL || tz_offset <= -24 * 60 || tz_offset >= 24 * 60)
		return MF_E_INVAL;
	rc = mf_date_from_time(t, tz_offset, &d);
	if (rc < 0)
		return MF_E_INVAL;
	rc = mf_date_format(s, sizeof(s), &d, 0, &len);
	if (rc < 0)
		return MF_E_INVAL;
	return mf_part_header_set(m, NULL, "Date", 4, s, len, 0, NULL);
}

/* ---------------------------------------------------------------------- */
/* Messages                                                                */
/* ---------------------------------------------------------------------- */

/* A new part of m, not linked anywhere yet (part_link adds it). */
static mf_part *
part_alloc(mf_msg *m)
{
	mf_part *p = mf__arena_calloc(&m->ar, 1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->tree = m;
	p->kind = MF_PART_LEAF;
	p->cte = MF_CTE_7BIT;
	p->hdr_end = crlf;
	p->gen = MF__GEN_HDR_END;
	p->type = (mf_str){"text", 4};
	p->subtype = (mf_str){"plain", 5};
	p->ct_default = true;
	return p;
}

static void
part_link(mf_msg *m, mf_part *p)
{
	if (m->all_last != NULL)
		m->all_last->all_next = p;
	else
		m->all = p;
	m->all_last = p;
	m->nparts++;
}

/* The local zone's offset from UTC at t, in minutes east. */
static int
local_offset(time_t t)
{
	struct tm lt, gt;
	long d;

	if (localtime_r(&t, &lt) == NULL || gmtime_r(&t, &gt) == NULL)
		return 0;
	d = (long)(lt.tm_hour - gt.tm_hour) * 60 + (lt.tm_min - gt.tm_min);
	if (lt.tm_year != gt.tm_year)
		d += lt.tm_year > gt.tm_year ? 1440 : -1440;
	else if (lt.tm_yday != gt.tm_yday)
		d += lt.tm_yday > gt.tm_yday ? 1440 : -1440;
	return (int)d;
}

mf_msg *
mf_msg_new(const mf_opts *o)
{
	mf_alloc a;
	mf_msg *m;
	mf_part *root;
	struct mf__hfield fv[2];
	time_t now = time(NULL);
	mf_date d;
	char s[64];
	size_t len;

	if (mf__opts_check(o, MF__MSG_FLAGS, NULL) < 0)
		return NULL;
	mf__alloc_copy(&a, o != NULL ? &o->alloc : NULL);
	m = mf__alloc(&a, sizeof(*m));
	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(*m));
	mf__arena_init(&m->ar, &a);
	m->flags = o != NULL ? o->flags & MF__MSG_FLAGS : 0;
	root = part_alloc(m);
	m->roots = mf__arena_alloc(&m->ar, sizeof(*m->roots));
	if (root == NULL || m->roots == NULL)
		goto fail;
	if (mf_date_from_time((int64_t)now, local_offset(now), &d) < 0 ||
	    mf_date_format(s, sizeof(s), &d, 0, &len) < 0 ||
	    field_plain(m, "Date", 4, s, len, &fv[0]) < 0 ||
	    auto_msgid(m, fv, 1, &fv[1]) < 0)
		goto fail;
	root->fields = mf__arena_alloc(&m->ar, sizeof(fv));
	if (root->fields == NULL)
		goto fail;
	memcpy(root->fields, fv, sizeof(fv));
	root->nfields = 2;
	root->gen |= MF__GEN_BODY | MF__GEN_CANON;
	m->roots[0] = root;
	m->nroots = 1;
	m->auto_id = true;
	part_link(m, root);
	resel(m);
	return m;
fail:
	mf_msg_free(m);
	return NULL;
}

void
mf_msg_seed(mf_msg *m, uint64_t seed)
{
	struct mf__hfield id;
	mf_part *root;
	size_t i;

	if (m == NULL)
		return;
	m->rs = seed;
	m->rs_init = true;
	if (!m->auto_id || m->nroots == 0)
		return;
	root = m->roots[0];
	if (auto_msgid(m, root->fields, root->nfields, &id) < 0)
		return;
	for (i = 0; i < root->nfields; i++) {
		if (name_eq(root->fields[i].f.name.ptr,
		            root->fields[i].f.name.len, "message-id")) {
			struct mf__hfield *fv = mf__arena_alloc(
			    &m->ar, root->nfields * sizeof(*fv));

			if (fv == NULL)
				return;
			memcpy(fv, root->fields, root->nfields * sizeof(*fv));
			fv[i] = id;
			root->fields = fv;
			return;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Transfer encodings                                                      */
/* ---------------------------------------------------------------------- */

struct scan {
	size_t hi, nul, bare_cr, bare_lf, lf, maxline;
};

/*
 * Counts what decides a transfer encoding in p[0..n). stop: the scan ends
 * (false) when s->hi + s->nul + s->bare_cr reaches qp_max; the counts then
 * cover only the bytes seen. Runs of octets 0x20..0x7f are passed 8 at a
 * time.
 */
static bool
scan_data(const unsigned char *p, size_t n, struct scan *s, bool stop,
          size_t qp_max)
{
	size_t i = 0, col = 0;

	memset(s, 0, sizeof(*s));
	while (i < n) {
		unsigned char c;

		/* Word at a time while no octet is a control or 8-bit one
		 * (0x20..0x7e; DEL counts as ordinary here too). */
		while (n - i >= 8) {
			uint64_t w, lo, hi;

			memcpy(&w, p + i, 8);
			lo = (w - UINT64_C(0x2020202020202020)) & ~w;
			hi = w & UINT64_C(0x8080808080808080);
			if (((lo | hi) & UINT64_C(0x8080808080808080)) != 0)
				break;
			i += 8;
			col += 8;
		}
		if (col > s->maxline)
			s->maxline = col;
		if (i >= n)
			break;
		c = p[i];
		if (c == '\n') {
			if (i == 0 || p[i - 1] != '\r')
				s->bare_lf++;
			s->lf++;
			col = 0;
			i++;
			continue;
		}
		if (c == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n') {
				s->bare_cr++;
				if (stop &&
				    s->hi + s->nul + s->bare_cr >= qp_max)
					return false;
			}
			i++;
			continue;
		}
		if (c >= 0x80)
			s->hi++;
		else if (c == 0)
			s->nul++;
		if ((c >= 0x80 || c == 0) && stop &&
		    s->hi + s->nul + s->bare_cr >= qp_max)
			return false;
		if (++col > s->maxline)
			s->maxline = col;
		i++;
	}
	return true;
}

/* Whether data scanned as s can be written as cte (text: LF line ends
 * become CRLF). */
static bool
cte_fits(const struct scan *s, int cte, bool text)
{
	bool lines = s->maxline <= MAX_LINE && s->bare_cr == 0 &&
	             (text || s->bare_lf == 0) && s->nul == 0;

	switch (cte) {
	case MF_CTE_7BIT:
		return lines && s->hi == 0;
	case MF_CTE_8BIT:
		return lines;
	case MF_CTE_BINARY:
	case MF_CTE_QP:
	case MF_CTE_BASE64:
		return true;
	default:
		return false;
	}
}

/*
 * mf_cte_choose; *s: the scan (complete when the choice is 7bit or
 * 8bit). The scan stops as soon as the choice cannot change: without
 * 8bit and binary allowed, a non-text body's first 8-bit octet, NUL or
 * bare CR makes it base64; a text body's escapes passing a sixth of its
 * length make it base64 (RFC 2045 6.7, 6.8: quoted-printable writes an
 * escaped octet in 3, base64 every 3 in 4).
 */
static int
cte_choose(const unsigned char *data, size_t n, bool text, unsigned flags,
           struct scan *s)
{
	bool stop = !(flags & (MF_8BITMIME | MF_BINARYMIME));
	/* Escapes past a sixth (count * 6 > n): base64; non-text: the
	 * first one. */
	size_t qp_max = text ? n / 6 + 1 : 1;

	if (n == 0) {
		memset(s, 0, sizeof(*s));
		return MF_CTE_7BIT;
	}
	if (!scan_data(data, n, s, stop, qp_max))
		return MF_CTE_BASE64;
	if (cte_fits(s, MF_CTE_7BIT, text))
		return MF_CTE_7BIT;
	if ((flags & MF_8BITMIME) && cte_fits(s, MF_CTE_8BIT, text))
		return MF_CTE_8BIT;
	if (flags & MF_BINARYMIME)
		return MF_CTE_BINARY;
	if (text && (s->hi + s->nul + s->bare_cr) * 6 <= n)
		return MF_CTE_QP;
	return MF_CTE_BASE64;
}

int
mf_cte_choose(const void *data, size_t n, int text, unsigned flags)
{
	struct scan s;

	if ((data == NULL && n != 0) || (flags & ~MF__MSG_FLAGS) != 0)
		return MF_E_INVAL;
	return cte_choose(data, n, text != 0, flags, &s);
}

/* Encodes data[0..n) as cte into *body (the arena; borrowed when written
 * as it is and borrow); *canon: its line ends are all CRLF. sc: data's
 * complete scan (7bit, 8bit). */
static int
encode_body(mf_msg *m, const void *data, size_t n, int cte, bool text,
            bool borrow, const struct scan *sc, mf_str *body, bool *canon)
{
	struct scan s = *sc;
	size_t cap, len;
	char *q;
	int rc;

	switch (cte) {
	case MF_CTE_BASE64:
		cap = mf_b64_encoded_len(n, MF_B64_LINE, 0);
		if (cap == SIZE_MAX)
			return MF_E_NOMEM;
		q = mf__arena_alloc(&m->ar, cap + 1);
		if (q == NULL)
			return MF_E_NOMEM;
		rc = mf_b64_encode(q, cap, data, n, MF_B64_LINE, 0, &len);
		break;
	case MF_CTE_QP:
		cap = mf_qp_encoded_len(n,
		                        MF_QP_SAFE | (text ? 0 : MF_QP_BINARY));
		if (cap == SIZE_MAX)
			return MF_E_NOMEM;
		q = mf__arena_alloc(&m->ar, cap + 1);
		if (q == NULL)
			return MF_E_NOMEM;
		rc = mf_qp_encode(q, cap, data, n,
		                  MF_QP_SAFE | (text ? 0 : MF_QP_BINARY), &len);
		break;
	default:
		*canon = true;
		if (cte != MF_CTE_BINARY && s.bare_lf > 0) {
			/* Text with LF line ends: held in the CRLF form it
			 * is written in, so that it reads the same before
			 * and after a write, whatever its type becomes. */
			const unsigned char *d = data;
			size_t i, k = 0;

			q = mf__arena_alloc(&m->ar, n + s.bare_lf + 1);
			if (q == NULL)
				return MF_E_NOMEM;
			for (i = 0; i < n; i++) {
				if (d[i] == '\n' &&
				    (i == 0 || d[i - 1] != '\r'))
					q[k++] = '\r';
				q[k++] = (char)d[i];
			}
			body->ptr = q;
			body->len = k;
			return MF_OK;
		}
		if (borrow || n == 0) {
			body->ptr = n > 0 ? data : "";
			body->len = n;
			return MF_OK;
		}
		q = mf__arena_dup(&m->ar, data, n);
		if (q == NULL)
			return MF_E_NOMEM;
		body->ptr = q;
		body->len = n;
		return MF_OK;
	}
	if (rc < 0)
		return rc == MF_E_NOSPC ? MF_E_NOMEM : rc;
	body->ptr = q;
	body->len = len;
	*canon = true;
	return MF_OK;
}

/* The fields of a new leaf: Content-Type type (the field ct when made
 * already, else made from type), and CTE unless 7bit. */
static int
leaf_fields(mf_msg *m, mf_part *p, const char *type,
            const struct mf__hfield *ct, int cte)
{
	struct mf__hfield *fv;
	const char *tn = mf_cte_name(cte);
	int rc = MF_OK;

	fv = mf__arena_alloc(&m->ar, 2 * sizeof(*fv));
	if (fv == NULL)
		return MF_E_NOMEM;
	if (ct != NULL)
		fv[0] = *ct;
	else
		rc = field_new(m, "Content-Type", 12, type, strlen(type), 0,
		               &fv[0], NULL);
	if (rc == MF_OK && cte != MF_CTE_7BIT)
		rc = field_plain(m, "Content-Transfer-Encoding", 25, tn,
		                 strlen(tn), &fv[1]);
	if (rc < 0)
		return rc;
	p->fields = fv;
	p->nfields = cte != MF_CTE_7BIT ? 2 : 1;
	return MF_OK;
}

/*
 * Validates type (a leaf's media type) and describes p with it (its
 * encoding 7bit: the caller sets the one it chooses), its Content-Type
 * field into *hf.
 */
static int
leaf_type(mf_msg *m, mf_part *p, const char *type, struct mf__hfield *hf)
{
	mf_part d;
	int rc;
	size_t i = 0, tl;

	/* Multiparts and messages have their own constructors. */
	while (type[i] == ' ' || type[i] == '\t')
		i++;
	tl = strlen(type + i);
	if (mf__ieq(type + i, tl < 10 ? tl : 10, "multipart/", 10) ||
	    mf__ieq(type + i, tl < 8 ? tl : 8, "message/", 8))
		return MF_E_INVAL;
	rc = field_new(m, "Content-Type", 12, type, i + tl, 0, hf, NULL);
	if (rc < 0)
		return rc == MF_E_NOMEM ? rc : MF_E_INVAL;
	memset(&d, 0, sizeof(d));
	rc = describe(m, p, hf, 1, &d);
	if (rc < 0)
		return rc;
	if (d.kind != MF_PART_LEAF || d.ct_default ||
	    is_lit(d.type, "multipart") || is_lit(d.type, "message"))
		return MF_E_INVAL;
	take_description(p, &d);
	return MF_OK;
}

int
mf_part_new(mf_msg *m, const char *type, const void *data, size_t n,
            unsigned flags, const mf_part **out)
{
	mf_part *p;
	mf_str body;
	struct mf__hfield ct;
	struct scan sc;
	bool canon = false, text;
	int cte, rc;

	if (m == NULL || out == NULL || (data == NULL && n != 0) ||
	    (flags & ~MF_BORROW) != 0)
		return MF_E_INVAL;
	if (type == NULL)
		type = "text/plain; charset=utf-8";
	p = part_alloc(m);
	if (p == NULL)
		return MF_E_NOMEM;
	rc = leaf_type(m, p, type, &ct);
	if (rc < 0)
		return rc;
	text = is_lit(p->type, "text");
	/* One scan: it chooses the encoding and serves encode_body. */
	cte = cte_choose(data, n, text, m->flags, &sc);
	rc = encode_body(m, data, n, cte, text, (flags & MF_BORROW) != 0, &sc,
	                 &body, &canon);
	if (rc == MF_OK)
		rc = leaf_fields(m, p, type, &ct, cte);
	if (rc < 0)
		return rc;
	/* The description with the CTE field too: a leaf's type (not a
	 * message) reads the same whatever its encoding. */
	p->cte = cte;
	p->body = body;
	p->gen |= MF__GEN_BODY | (canon ? MF__GEN_CANON : 0);
	part_link(m, p);
	*out = p;
	return MF_OK;
}

int
mf_part_new_fn(mf_msg *m, const char *type, mf_read_fn *fn, void *ctx,
               const mf_part **out)
{
	mf_part *p;
	struct mf__hfield ct;
	struct mf__stream *st;
	int cte, rc;

	if (m == NULL || out == NULL || fn == NULL)
		return MF_E_INVAL;
	if (type == NULL)
		type = "text/plain; charset=utf-8";
	p = part_alloc(m);
	if (p == NULL)
		return MF_E_NOMEM;
	rc = leaf_type(m, p, type, &ct);
	if (rc < 0)
		return rc;
	cte = is_lit(p->type, "text") ? MF_CTE_QP : MF_CTE_BASE64;
	rc = leaf_fields(m, p, type, &ct, cte);
	if (rc < 0)
		return rc;
	p->cte = cte; /* as in mf_part_new */
	st = mf__arena_alloc(&m->ar, sizeof(*st));
	if (st == NULL)
		return MF_E_NOMEM;
	st->fn = fn;
	st->ctx = ctx;
	p->rfn = st;
	p->gen |= MF__GEN_STREAM;
	part_link(m, p);
	*out = p;
	return MF_OK;
}

int
mf_part_new_multipart(mf_msg *m, const char *subtype, const mf_part **out)
{
	mf_part *p;
	struct mf__hfield *fv;
	char b[BOUNDARY_RAND + 3];
	size_t i, sl;
	int rc;

	if (m == NULL || out == NULL || subtype == NULL)
		return MF_E_INVAL;
	sl = strlen(subtype);
	if (sl == 0 || sl > 64)
		return MF_E_INVAL;
	for (i = 0; i < sl; i++) {
		if (!mf__is((unsigned char)subtype[i], MF__C_TOKEN))
			return MF_E_INVAL;
	}
	p = part_alloc(m);
	fv = mf__arena_alloc(&m->ar, sizeof(*fv));
	if (p == NULL || fv == NULL)
		return MF_E_NOMEM;
	p->kind = MF_PART_MULTIPART;
	p->subtype.ptr = subtype;
	p->subtype.len = sl;
	new_boundary(m, b);
	rc = multipart_ct(m, p, b, fv);
	if (rc < 0)
		return rc;
	rc = describe(m, p, fv, 1, p);
	if (rc < 0)
		return rc;
	p->fields = fv;
	p->nfields = 1;
	p->kind = MF_PART_MULTIPART;
	p->gen |= MF__GEN_DELIMS;
	part_link(m, p);
	*out = p;
	return MF_OK;
}

/* Sets depth of every part of the subtree at t from its parent's. */
static void
redepth(mf_part *t)
{
	mf_part *p;

	for (p = t; p != NULL; p = mut(walk_next(t, p)))
		p->depth = p->parent != NULL ? p->parent->depth + 1 : 0;
}

/* The children index of multipart p again (from its list). */
static int
reindex(mf_msg *m, mf_part *p, mf_part ***out)
{
	mf_part **v = NULL, *c;
	size_t k = 0;

	if (p->nchildren > 0) {
		v = mf__arena_alloc(&m->ar, p->nchildren * sizeof(*v));
		if (v == NULL)
			return MF_E_NOMEM;
	}
	for (c = p->first; c != NULL; c = c->next)
		v[k++] = c;
	*out = v;
	return MF_OK;
}

int
mf_part_new_message(mf_msg *m, const mf_part *inner, const mf_part **out)
{
	mf_part *p, **stack = NULL, *copy = NULL;
	const mf_part *q;
	size_t cap = 0, base;
	bool eight = false;
	int rc = MF_OK;

	if (m == NULL || out == NULL || inner == NULL || inner->tree == NULL)
		return MF_E_INVAL;
	p = part_alloc(m);
	if (p == NULL)
		return MF_E_NOMEM;
	/* The structure of inner's subtree copied into m (the bytes stay
	 * where they are: inner must outlive m); stack[d] is the copy of
	 * the last part at depth base + d. */
	base = inner->depth;
	for (q = inner; q != NULL && rc == MF_OK; q = walk_next(inner, q)) {
		size_t d = q->depth - base, i;
		mf_part *c = mf__arena_alloc(&m->ar, sizeof(*c)), *par;

		if (c == NULL) {
			rc = MF_E_NOMEM;
			break;
		}
		if (d >= cap) {
			size_t ncap = cap ? cap * 2 : 16;
			mf_part **ns =
			    mf__resize(&m->ar.a, stack, cap * sizeof(*ns),
			               ncap * sizeof(*ns));

			if (ns == NULL) {
				rc = MF_E_NOMEM;
				break;
			}
			stack = ns;
			cap = ncap;
		}
		*c = *q;
		c->tree = m;
		c->first = c->last = c->next = NULL;
		c->message = NULL;
		c->children = NULL;
		c->nchildren = 0;
		c->all_next = NULL;
		par = d > 0 ? stack[d - 1] : p;
		c->parent = par;
		if (d == 0) {
			copy = c;
			c->has_from = false;
			c->from_line.len = 0;
			c->bom = false;
		} else if (par->kind == MF_PART_MULTIPART) {
			if (par->last != NULL)
				par->last->next = c;
			else
				par->first = c;
			par->last = c;
			par->nchildren++;
		} else {
			par->message = c;
		}
		stack[d] = c;
		/* 8-bit bytes anywhere: the part is 8bit (RFC 2046 5.2.1). */
		for (i = 0; i < q->nfields && !eight; i++)
			eight = !is_ascii(q->fields[i].raw.ptr,
			                  q->fields[i].raw.len);
		eight = eight || !is_ascii(q->body.ptr, q->body.len) ||
		        !is_ascii(q->preamble.ptr, q->preamble.len) ||
		        !is_ascii(q->epilogue.ptr, q->epilogue.len);
	}
	mf__release(&m->ar.a, stack);
	if (rc < 0)
		return rc;
	/* Index the copied multiparts. */
	{
		mf_part *c;

		for (c = copy; c != NULL; c = mut(walk_next(copy, c))) {
			if (c->kind == MF_PART_MULTIPART && c->nchildren > 0) {
				rc = reindex(m, c, &c->children);
				if (rc < 0)
					return rc;
			}
		}
	}
	rc = leaf_fields(m, p, "message/rfc822", NULL,
	                 eight ? MF_CTE_8BIT : MF_CTE_7BIT);
	if (rc == MF_OK)
		rc = describe(m, p, p->fields, p->nfields, p);
	if (rc < 0)
		return rc;
	p->kind = MF_PART_MESSAGE;
	p->message = copy;
	copy->parent = p;
	redepth(copy);
	part_link(m, p);
	{
		mf_part *c;

		for (c = copy; c != NULL; c = mut(walk_next(copy, c)))
			part_link(m, c);
	}
	*out = p;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Moving parts                                                            */
/* ---------------------------------------------------------------------- */

/* Whether p is t or inside t's subtree. */
static bool
within(const mf_part *p, const mf_part *t)
{
	for (; p != NULL; p = p->parent) {
		if (p == t)
			return true;
	}
	return false;
}

int
mf_part_insert(mf_msg *m, const mf_part *cparent, size_t i,
               const mf_part *cchild)
{
	mf_part *par, *c, **v, *prev = NULL, *q;
	struct pin pn;
	size_t k;
	int rc;

	if (!owned(m, cparent) || !owned(m, cchild) ||
	    cparent->kind != MF_PART_MULTIPART || !detached(m, cchild) ||
	    within(cparent, cchild))
		return MF_E_INVAL;
	par = mut(cparent);
	c = mut(cchild);
	if (i > par->nchildren)
		i = par->nchildren;
	v = mf__arena_alloc(&m->ar, (par->nchildren + 1) * sizeof(*v));
	if (v == NULL)
		return MF_E_NOMEM;
	rc = pin_prepare(m, c, is_digest(c->parent), is_digest(par), &pn);
	if (rc == MF_OK)
		rc = ensure_boundaries(m, par, c);
	if (rc < 0)
		return rc;
	/* Link. */
	for (q = par->first, k = 0; k < i; k++, q = q->next)
		prev = q;
	c->next = prev != NULL ? prev->next : par->first;
	if (prev != NULL)
		prev->next = c;
	else
		par->first = c;
	if (c->next == NULL)
		par->last = c;
	par->nchildren++;
	for (q = par->first, k = 0; q != NULL; q = q->next)
		v[k++] = q;
	par->children = v;
	c->parent = par;
	c->delim.ptr = NULL;
	c->delim.len = 0;
	c->gen |= MF__GEN_DELIM | MF__GEN_MOVED;
	pin_commit(c, &pn);
	redepth(c);
	resel(m);
	return MF_OK;
}

/* Unlinks p from its parent (a multipart or a message part). */
static void
unlink_part(mf_part *p)
{
	mf_part *par = mut(p->parent), *q, *prev = NULL;
	size_t k;

	if (par->kind == MF_PART_MULTIPART) {
		/* The delimiter after it is generated again: the one
		 * parsed there fitted the end of p. */
		if (p->next != NULL)
			p->next->gen |= MF__GEN_DELIM;
		else
			par->gen |= MF__GEN_CLOSE;
		for (q = par->first; q != NULL && q != p; q = q->next)
			prev = q;
		if (prev != NULL)
			prev->next = p->next;
		else
			par->first = p->next;
		if (par->last == p)
			par->last = prev;
		par->nchildren--;
		for (q = par->first, k = 0; q != NULL; q = q->next)
			par->children[k++] = q;
	} else if (par->message == p) {
		par->message = NULL;
	}
	p->next = NULL;
	p->parent = NULL;
	redepth(p);
}

int
mf_part_detach(mf_msg *m, const mf_part *p)
{
	/* A root, or the message of a message/rfc822 part (a message part
	 * without one would read back with an empty one): replace them. */
	struct pin pn;
	int rc;

	if (!owned(m, p) || p->parent == NULL ||
	    p->parent->kind != MF_PART_MULTIPART)
		return MF_E_INVAL;
	rc = pin_prepare(m, p, is_digest(p->parent), false, &pn);
	if (rc < 0)
		return rc;
	unlink_part(mut(p));
	pin_commit(mut(p), &pn);
	resel(m);
	return MF_OK;
}

int
mf_part_replace(mf_msg *m, const mf_part *cold, const mf_part *cnw)
{
	mf_part *old, *nw, *par;
	struct pin pn_new, pn_old;
	size_t r;
	int rc;

	if (!owned(m, cold) || !owned(m, cnw) || !detached(m, cnw) ||
	    within(cold, cnw) || cold == cnw)
		return MF_E_INVAL;
	old = mut(cold);
	nw = mut(cnw);
	if (detached(m, old))
		return MF_E_INVAL;
	par = mut(old->parent);
	if (par == NULL) {
		/* A root: its fields but Content-* go to nw, in front. */
		struct mf__hfield *nf, *of;
		size_t i, kn = 0, ko = 0;
		bool mv = false, ct = false;

		nf = mf__arena_alloc(&m->ar, (old->nfields + nw->nfields + 1) *
		                                 sizeof(*nf));
		of = mf__arena_alloc(&m->ar, (old->nfields + 1) * sizeof(*of));
		if (nf == NULL || of == NULL)
			return MF_E_NOMEM;
		for (i = 0; i < old->nfields; i++) {
			const struct mf__hfield *hf = &old->fields[i];

			if (is_content(hf->f.name.ptr, hf->f.name.len)) {
				of[ko++] = *hf;
			} else {
				mv |= name_eq(hf->f.name.ptr, hf->f.name.len,
				              "mime-version");
				nf[kn++] = *hf;
			}
		}
		for (i = 0; i < nw->nfields; i++) {
			const struct mf__hfield *hf = &nw->fields[i];

			ct |= name_eq(hf->f.name.ptr, hf->f.name.len,
			              "content-type");
			if (!mv || !name_eq(hf->f.name.ptr, hf->f.name.len,
			                    "mime-version"))
				nf[kn++] = *hf;
		}
		if (ct && !mv) {
			/* MIME-Version before the Content-* fields. */
			struct mf__hfield hf;
			size_t at = kn;

			rc = field_plain(m, "MIME-Version", 12, "1.0", 3, &hf);
			if (rc < 0)
				return rc;
			for (i = 0; i < kn; i++) {
				if (is_content(nf[i].f.name.ptr,
				               nf[i].f.name.len)) {
					at = i;
					break;
				}
			}
			memmove(nf + at + 1, nf + at, (kn - at) * sizeof(*nf));
			nf[at] = hf;
			kn++;
		}
		for (r = 0; r < m->nroots && m->roots[r] != old; r++)
			;
		/* Commit. */
		m->roots[r] = nw;
		nw->fields = nf;
		nw->nfields = kn;
		old->fields = of;
		old->nfields = ko;
		nw->has_from = old->has_from;
		nw->from_line = old->from_line;
		nw->bom = old->bom;
		old->has_from = false;
		old->from_line.ptr = NULL;
		old->from_line.len = 0;
		old->bom = false;
		nw->parent = NULL;
		redepth(nw);
		resel(m);
		return MF_OK;
	}
	rc = pin_prepare(m, nw, is_digest(nw->parent), is_digest(par), &pn_new);
	if (rc == MF_OK)
		rc = pin_prepare(m, old, is_digest(par), false, &pn_old);
	if (rc == MF_OK)
		rc = ensure_boundaries(m, par, nw);
	if (rc < 0)
		return rc;
	pin_commit(nw, &pn_new);
	pin_commit(old, &pn_old);
	if (par->kind == MF_PART_MULTIPART) {
		mf_part *q, *prev = NULL;
		size_t k;

		for (q = par->first; q != old; q = q->next)
			prev = q;
		nw->next = old->next;
		if (prev != NULL)
			prev->next = nw;
		else
			par->first = nw;
		if (par->last == old)
			par->last = nw;
		for (q = par->first, k = 0; q != NULL; q = q->next)
			par->children[k++] = q;
		/* The delimiter line of the place stays. */
		nw->delim = old->delim;
		nw->gen = (nw->gen & ~(unsigned)MF__GEN_DELIM) |
		          (old->gen & MF__GEN_DELIM) | MF__GEN_MOVED;
	} else {
		par->message = nw;
	}
	nw->parent = par;
	old->next = NULL;
	old->parent = NULL;
	redepth(old);
	redepth(nw);
	resel(m);
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Forced transfer encodings                                               */
/* ---------------------------------------------------------------------- */

/* The CTE field of p set to cte's name (7bit: removed). */
static int
cte_field(mf_msg *m, mf_part *p, int cte, struct mf__hfield **out, size_t *nout)
{
	struct mf__hfield hf;
	const char *tn = mf_cte_name(cte);
	size_t rm;
	int rc;

	rc = field_plain(m, "Content-Transfer-Encoding", 25, tn, strlen(tn),
	                 &hf);
	if (rc < 0)
		return rc;
	return fields_after(m, p, cte == MF_CTE_7BIT ? OP_REMOVE : OP_SET,
	                    "Content-Transfer-Encoding", 25, &hf, out, nout,
	                    &rm);
}

static int
set_cte(mf_msg *m, mf_part *p, int cte)
{
	struct mf__hfield *fv;
	size_t nf;
	mf_str body = p->body;
	bool canon = (p->gen & MF__GEN_CANON) != 0;
	bool text = is_lit(p->type, "text");
	int rc;

	if (p->kind != MF_PART_LEAF ||
	    !(p->gen & (MF__GEN_BODY | MF__GEN_STREAM)))
		return MF_E_INVAL;
	if (cte != MF_CTE_7BIT && cte != MF_CTE_8BIT && cte != MF_CTE_BINARY &&
	    cte != MF_CTE_QP && cte != MF_CTE_BASE64)
		return MF_E_INVAL;
	if ((p->gen & MF__GEN_BODY) && cte != p->cte) {
		/* The data again, then encoded as asked. */
		mf_buf raw;
		struct scan s;

		mf__buf_init(&raw, &m->ar.a);
		rc = MF_OK;
		if (p->cte == MF_CTE_BASE64 || p->cte == MF_CTE_QP) {
			size_t cap = p->cte == MF_CTE_BASE64
			                 ? mf_b64_decoded_len(p->body.len)
			                 : mf_qp_decoded_len(p->body.len);
			size_t len = 0;

			rc = mf__buf_grow(&raw, cap + 1);
			if (rc == MF_OK)
				rc =
				    p->cte == MF_CTE_BASE64
				        ? mf_b64_decode(
				              raw.data, cap, p->body.ptr,
				              p->body.len, 0, &len, NULL, NULL)
				        : mf_qp_decode(raw.data, cap,
				                       p->body.ptr, p->body.len,
				                       0, &len, NULL, NULL);
			raw.len = len;
		} else {
			rc = mf__buf_put(&raw, p->body.ptr, p->body.len);
		}
		if (rc == MF_OK) {
			scan_data((const unsigned char *)raw.data, raw.len, &s,
			          false, 0);
			if (!cte_fits(&s, cte, text))
				rc = MF_E_INVAL;
		}
		if (rc == MF_OK)
			rc = encode_body(m, raw.data != NULL ? raw.data : "",
			                 raw.len, cte, text, false, &s, &body,
			                 &canon);
		mf__buf_fini(&raw);
		if (rc < 0)
			return rc;
	}
	rc = cte_field(m, p, cte, &fv, &nf);
	if (rc < 0)
		return rc;
	/* Commit. */
	p->fields = fv;
	p->nfields = nf;
	p->cte = cte;
	p->body = body;
	p->gen &= ~(unsigned)MF__GEN_CANON;
	if (canon)
		p->gen |= MF__GEN_CANON;
	p->gen |= MF__GEN_FORCED;
	return MF_OK;
}

int
mf_part_set_cte(mf_msg *m, const mf_part *p, int cte)
{
	if (!owned(m, p))
		return MF_E_INVAL;
	return set_cte(m, mut(p), cte);
}
