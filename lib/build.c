/* SPDX-License-Identifier: MIT */
/*
 * build.c - the usual message in a few calls, on top of the tree editing
 * functions (edit.c): media types by file name, text and HTML bodies,
 * inline parts, attachments, stripping attachments, reply and forward.
 *
 * Nothing here writes MIME by hand: parts are made with mf_part_new*,
 * described with mf_part_header_set and moved with mf_part_insert /
 * mf_part_replace, so the writer (write.c) is the only serialiser.
 */
#include <stdio.h>

#include "build.h"
#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Media types by extension                                               */
/* ---------------------------------------------------------------------- */

/*
 * Sorted by extension (strcmp order, all lower case; test_build checks
 * it). IANA registrations where there is one, else the names mail
 * programs use.
 */
static const struct mf__mtype mtypes[] = {
	{ "3gp", "video/3gpp" },
	{ "7z", "application/x-7z-compressed" },
	{ "aac", "audio/aac" },
	{ "avi", "video/x-msvideo" },
	{ "avif", "image/avif" },
	{ "bin", "application/octet-stream" },
	{ "bmp", "image/bmp" },
	{ "bz2", "application/x-bzip2" },
	{ "css", "text/css" },
	{ "csv", "text/csv" },
	{ "dmg", "application/x-apple-diskimage" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
		  "wordprocessingml.document" },
	{ "eml", "message/rfc822" },
	{ "eot", "application/vnd.ms-fontobject" },
	{ "epub", "application/epub+zip" },
	{ "exe", "application/vnd.microsoft.portable-executable" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "heic", "image/heic" },
	{ "heif", "image/heif" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "ics", "text/calendar" },
	{ "iso", "application/x-iso9660-image" },
	{ "jar", "application/java-archive" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "log", "text/plain" },
	{ "m4a", "audio/mp4" },
	{ "m4v", "video/mp4" },
	{ "md", "text/markdown" },
	{ "mid", "audio/midi" },
	{ "midi", "audio/midi" },
	{ "mjs", "text/javascript" },
	{ "mkv", "video/x-matroska" },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "msg", "application/vnd.ms-outlook" },
	{ "odg", "application/vnd.oasis.opendocument.graphics" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "opus", "audio/ogg" },
	{ "otf", "font/otf" },
	{ "p7m", "application/pkcs7-mime" },
	{ "p7s", "application/pkcs7-signature" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
		  "presentationml.presentation" },
	{ "ps", "application/postscript" },
	{ "rar", "application/vnd.rar" },
	{ "rtf", "application/rtf" },
	{ "sh", "application/x-sh" },
	{ "svg", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tgz", "application/gzip" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain" },
	{ "vcard", "text/vcard" },
	{ "vcf", "text/vcard" },
	{ "wav", "audio/wav" },
	{ "weba", "audio/webm" },
	{ "webm", "video/webm" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xhtml", "application/xhtml+xml" },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
		  "spreadsheetml.sheet" },
	{ "xml", "application/xml" },
	{ "xz", "application/x-xz" },
	{ "yaml", "application/yaml" },
	{ "yml", "application/yaml" },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

#define OCTET "application/octet-stream"
/* Longer extensions are in no table entry. */
#define EXT_MAX 8

const struct mf__mtype *
mf__mime_table(size_t *n)
{
	*n = sizeof(mtypes) / sizeof(mtypes[0]);
	return mtypes;
}

const char *
mf_mime_type(const char *filename, size_t n)
{
	char ext[EXT_MAX + 1];
	size_t i, dot, lo, hi;

	if (filename == NULL)
		return OCTET;
	/* The extension: after the last dot of the last path component;
	 * none for a name that only starts with a dot (".profile"). */
	dot = n;
	for (i = n; i > 0; i--) {
		char c = filename[i - 1];

		if (c == '/' || c == '\\')
			return OCTET;
		if (c == '.') {
			dot = i - 1;
			break;
		}
	}
	if (dot == n || dot == 0 || filename[dot - 1] == '/' ||
	    filename[dot - 1] == '\\')
		return OCTET;
	if (n - dot - 1 == 0 || n - dot - 1 > EXT_MAX)
		return OCTET;
	for (i = dot + 1; i < n; i++) {
		if (filename[i] == '\0')
			return OCTET;
		ext[i - dot - 1] = (char)mf__lower((unsigned char)filename[i]);
	}
	ext[n - dot - 1] = '\0';
	lo = 0;
	hi = sizeof(mtypes) / sizeof(mtypes[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ext, mtypes[mid].ext);

		if (c == 0)
			return mtypes[mid].type;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return OCTET;
}

void
mf_msg_set_type_fn(mf_msg *m, mf_type_fn *fn, void *ctx)
{
	if (m == NULL)
		return;
	m->type_fn = fn;
	m->type_ctx = fn != NULL ? ctx : NULL;
}

/* ---------------------------------------------------------------------- */
/* Small helpers                                                           */
/* ---------------------------------------------------------------------- */

#define NAME_LIT(s) s, sizeof(s) - 1

static bool
str_is(mf_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && mf__ieq(s.ptr, n, lit, n);
}

/* MF_E_INVAL when s[0..n) has CR, LF or NUL (header injection). */
static int
no_ctl_breaks(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return MF_E_INVAL;
	return MF_OK;
}

static bool
is_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* The allocator of m, for temporary buffers. */
static const mf_alloc *
msg_alloc(const mf_msg *m)
{
	return &m->ar.a;
}

/* ---------------------------------------------------------------------- */
/* Parameters: filename= and name=                                         */
/* ---------------------------------------------------------------------- */

/* Longest value written in the plain form (name=token or name="..."). */
#define PLAIN_MAX 60
/* Characters of an RFC 2231 segment after its name (a line of 78 with
 * "filename*12*=" before it). */
#define SEG_MAX 56

/*
 * RFC 2231 7 attribute-char (RFC 5987 attr-char): what an extended value
 * holds unencoded.
 */
static bool
attr_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$&+-.^_`|~", c) != NULL;
}

/*
 * Whether v[0..n) goes as name=token or name="text": short ASCII made of
 * RFC 2231 attribute characters and spaces. Anything else (non-ASCII,
 * controls, quotes, backslashes, ";", "=?" that a reader would take for
 * an encoded word, "'" and "%" that Python's reader takes for the
 * charset'lang' of an extended value even unmarked...) is written in the
 * RFC 2231 form, which every reader that knows it decodes the same way.
 */
static bool
plain_value(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n > PLAIN_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (v[i] != ' ' && !attr_char((unsigned char)v[i]))
			return false;
	return true;
}

/*
 * Appends "; name*=utf-8''%XX..." or, when long, the numbered segments
 * "; name*0*=utf-8''...; name*1*=..." (RFC 2231 3, 4), each cut at a
 * character boundary so that a reader decoding segment by segment sees
 * whole characters. No line breaks: the header layer folds at the "; ".
 */
static int
put_ext_param(mf_buf *b, const char *name, const char *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)v;
	size_t i = 0, total = 0, seg = 0, k;
	int rc;

	for (k = 0; k < n; k++)
		total += attr_char(u[k]) ? 1 : 3;
	do {
		size_t used = 0;
		char num[32];

		if (total <= SEG_MAX && seg == 0)
			snprintf(num, sizeof(num), "*=utf-8''");
		else if (seg == 0)
			snprintf(num, sizeof(num), "*0*=utf-8''");
		else
			snprintf(num, sizeof(num), "*%zu*=", seg);
		rc = mf__buf_puts(b, "; ");
		if (rc == MF_OK)
			rc = mf__buf_puts(b, name);
		if (rc == MF_OK)
			rc = mf__buf_puts(b, num);
		while (rc == MF_OK && i < n) {
			size_t l = mf__utf8_seq(u + i, n - i), c = 0;

			if (l == 0)
				l = 1; /* not reached: the value was checked */
			for (k = 0; k < l; k++)
				c += attr_char(u[i + k]) ? 1 : 3;
			if (used > 0 && used + c > SEG_MAX)
				break;
			for (k = 0; k < l && rc == MF_OK; k++) {
				unsigned char ch = u[i + k];

				if (attr_char(ch)) {
					rc = mf__buf_putc(b, (char)ch);
				} else {
					char t[3] = { '%', hex[ch >> 4],
						      hex[ch & 15] };

					rc = mf__buf_put(b, t, 3);
				}
			}
			used += c;
			i += l;
		}
		seg++;
	} while (rc == MF_OK && i < n);
	return rc;
}

/* Appends "; name=" in the plain form (v is plain_value). */
static int
put_plain_param(mf_buf *b, const char *name, const char *v, size_t n)
{
	int rc = mf__buf_puts(b, "; ");

	return rc < 0 ? rc
		      : mf_rfc2231_encode(b, name, strlen(name), v, n, NULL,
					  0, 0, 0);
}

/*
 * The longest file name (UTF-8 bytes) given the RFC 2047 name= form too:
 * its encoded words stay within about 200 octets, on one line (a quoted
 * string is not folded). A longer one made a 420-octet line that munpack,
 * which saves under name=, could not create a file for: such a name goes
 * in RFC 2231 form in name*= as in filename*= (found by build_interop).
 */
#define EW_NAME_MAX 120

/*
 * Appends the RFC 2047 form '; name="=?utf-8?...?= ..."' that old Outlook
 * reads (and nothing else does: readers that know RFC 2231 prefer the
 * Content-Disposition filename).
 */
static int
put_ew_param(mf_buf *b, const char *name, const char *v, size_t n,
	     const mf_alloc *a)
{
	mf_buf ew;
	size_t k;
	int rc;

	mf__buf_init(&ew, a);
	rc = mf_ew_encode(&ew, v, n, NULL, MF_EW_PHRASE, 0, 0);
	if (rc == MF_OK)
		rc = mf__buf_puts(b, "; ");
	if (rc == MF_OK)
		rc = mf__buf_puts(b, name);
	if (rc == MF_OK)
		rc = mf__buf_puts(b, "=\"");
	for (k = 0; k < ew.len && rc == MF_OK; k++) {
		if (ew.data[k] == '"' || ew.data[k] == '\\')
			rc = mf__buf_putc(b, '\\');
		if (rc == MF_OK)
			rc = mf__buf_putc(b, ew.data[k]);
	}
	if (rc == MF_OK)
		rc = mf__buf_putc(b, '"');
	mf__buf_fini(&ew);
	return rc;
}

/*
 * The Content-Type and Content-Disposition values of a file part: in ct
 * the type (with the caller's parameters) and a plain name=, or in ew
 * the same with the RFC 2047 name= (set raw: the strict check of a new
 * part's type calls an encoded word in quotes a defect, which it is,
 * and the one Outlook needs); in cd disp and filename=.
 */
static int
file_fields(const mf_msg *m, const char *type, const char *disp,
	    const char *filename, unsigned flags, mf_buf *ct, mf_buf *ew,
	    mf_buf *cd)
{
	size_t fn = filename != NULL ? strlen(filename) : 0;
	bool named = false;
	mf_ctype *t = NULL;
	mf_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.alloc = *msg_alloc(m);
	rc = mf_ctype_parse(type, strlen(type), &o, &t, NULL);
	if (rc < 0)
		return rc;
	named = mf_params_get(mf_ctype_params(t), NAME_LIT("name")) != NULL;
	/* A leaf's type: no multipart, no message (mf_msg_attach_msg). */
	if (mf_ctype_type(t).len == 0 || mf_ctype_subtype(t).len == 0 ||
	    str_is(mf_ctype_type(t), "multipart") ||
	    str_is(mf_ctype_type(t), "message"))
		rc = MF_E_INVAL;
	mf_ctype_free(t);
	if (rc < 0)
		return rc;
	rc = mf__buf_puts(ct, type);
	if (rc == MF_OK)
		rc = mf__buf_puts(cd, disp);
	if (rc < 0 || filename == NULL)
		return rc;
	if (plain_value(filename, fn)) {
		rc = put_plain_param(cd, "filename", filename, fn);
		if (rc == MF_OK && !named)
			rc = put_plain_param(ct, "name", filename, fn);
		return rc;
	}
	rc = put_ext_param(cd, "filename", filename, fn);
	if (rc == MF_OK && !named && fn > EW_NAME_MAX)
		rc = put_ext_param(ct, "name", filename, fn);
	else if (rc == MF_OK && !named && !(flags & MF_NO_NAME_EW)) {
		rc = mf__buf_puts(ew, type);
		if (rc == MF_OK)
			rc = put_ew_param(ew, "name", filename, fn,
					  msg_alloc(m));
	}
	return rc;
}

/*
 * The media type of an attachment: the caller's, else the message's
 * lookup, else the table. Checked: no CR, LF or NUL.
 */
static int
file_type(const mf_msg *m, const char *filename, const char *type,
	  const char **out)
{
	size_t fn = filename != NULL ? strlen(filename) : 0;

	if (type == NULL) {
		if (m->type_fn != NULL && filename != NULL)
			type = m->type_fn(m->type_ctx, filename, fn);
		if (type == NULL)
			type = mf_mime_type(filename, fn);
		/* A message is attached with mf_msg_attach_msg; as a file
		 * (an .eml name) its bytes go as they are. */
		if ((strlen(type) >= 8 && mf__ieq(type, 8, "message/", 8)) ||
		    (strlen(type) >= 10 && mf__ieq(type, 10, "multipart/", 10)))
			type = OCTET;
	}
	if (no_ctl_breaks(type, strlen(type)) < 0)
		return MF_E_INVAL;
	*out = type;
	return MF_OK;
}

/* A file name: UTF-8 without CR, LF or NUL (NULL: none). */
static int
check_filename(const char *filename)
{
	size_t n;

	if (filename == NULL)
		return MF_OK;
	n = strlen(filename);
	if (no_ctl_breaks(filename, n) < 0 || !mf__utf8_valid(filename, n))
		return MF_E_INVAL;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* The message's structure                                                 */
/* ---------------------------------------------------------------------- */

static bool
is_mp(const mf_part *p, const char *sub)
{
	return p != NULL && mf_part_kind(p) == MF_PART_MULTIPART &&
	       str_is(mf_part_subtype(p), sub);
}

/* A text/plain or text/html body (not a named or attachment part). */
static bool
is_text_body(const mf_part *p, const char *sub)
{
	return p != NULL && mf_part_kind(p) == MF_PART_LEAF &&
	       str_is(mf_part_type(p), "text") &&
	       str_is(mf_part_subtype(p), sub) &&
	       !str_is(mf_part_disposition(p), "attachment") &&
	       mf_part_filename(p).len == 0 &&
	       mf_part_header(p, NAME_LIT("Content-ID"), NULL) == NULL;
}

static bool
is_body(const mf_part *p)
{
	return is_mp(p, "alternative") || is_mp(p, "related") ||
	       is_text_body(p, "plain") || is_text_body(p, "html");
}

/*
 * A root with nothing in it yet: a leaf without Content-* fields and
 * with an empty body (what mf_msg_new makes; also a parsed message with
 * an empty body). The first body or attachment takes its place.
 */
static bool
is_empty_root(const mf_part *p)
{
	return mf_part_kind(p) == MF_PART_LEAF && p->rfn == NULL &&
	       mf_part_body(p).len == 0 &&
	       mf_part_header(p, NAME_LIT("Content-Type"), NULL) == NULL &&
	       mf_part_header(p, NAME_LIT("Content-Disposition"), NULL) ==
		   NULL &&
	       mf_part_header(p, NAME_LIT("Content-Transfer-Encoding"),
			      NULL) == NULL;
}

/*
 * Where things are, in the canonical structure
 *	mixed( related( alternative(text, html), inlines...), attachments...)
 * where every container is there only when needed.
 */
struct layout {
	const mf_part *root;
	bool empty;                /* root is_empty_root */
	const mf_part *mixed;      /* the root when multipart/mixed */
	const mf_part *body;       /* the body: mixed's first child, or root */
	const mf_part *related;    /* body when multipart/related */
	const mf_part *inner;      /* related's first child, or body */
	const mf_part *alt;        /* inner when multipart/alternative */
	const mf_part *text, *html;
};

static const mf_part *
first_child(const mf_part *p)
{
	return mf_part_child_count(p) > 0 ? mf_part_child(p, 0) : NULL;
}

static void
layout_get(const mf_msg *m, struct layout *L)
{
	const mf_part *r = mf_msg_root(m), *c;
	size_t i;

	memset(L, 0, sizeof(*L));
	L->root = r;
	if (is_empty_root(r)) {
		L->empty = true;
		return;
	}
	if (is_mp(r, "mixed")) {
		L->mixed = r;
		c = first_child(r);
		L->body = is_body(c) ? c : NULL;
	} else {
		L->body = is_body(r) ? r : NULL;
	}
	if (is_mp(L->body, "related")) {
		L->related = L->body;
		c = first_child(L->body);
		L->inner = is_mp(c, "alternative") || is_text_body(c, "plain") ||
				   is_text_body(c, "html")
			       ? c
			       : NULL;
	} else {
		L->inner = L->body;
	}
	if (is_mp(L->inner, "alternative")) {
		L->alt = L->inner;
		for (i = 0; i < mf_part_child_count(L->alt); i++) {
			c = mf_part_child(L->alt, i);
			/* Apple Mail's alternative(text, related(html,
			 * images)): the HTML is the related's first part. */
			if (is_mp(c, "related") &&
			    is_text_body(first_child(c), "html"))
				c = first_child(c);
			if (L->text == NULL && is_text_body(c, "plain"))
				L->text = c;
			if (L->html == NULL && is_text_body(c, "html"))
				L->html = c;
		}
	} else if (is_text_body(L->inner, "plain")) {
		L->text = L->inner;
	} else if (is_text_body(L->inner, "html")) {
		L->html = L->inner;
	}
}

/*
 * Puts the new multipart w where old is, with old and the new part nw
 * (may be NULL) as its children, nw first when nw_first. What can fail
 * comes first; when the last step fails, old is put back.
 */
static int
wrap(mf_msg *m, const mf_part *old, const mf_part *w, const mf_part *nw,
     bool nw_first)
{
	int rc = MF_OK;

	if (nw != NULL)
		rc = mf_part_insert(m, w, SIZE_MAX, nw);
	if (rc == MF_OK)
		rc = mf_part_replace(m, old, w);
	if (rc < 0)
		return rc;
	rc = mf_part_insert(m, w, nw_first ? SIZE_MAX : 0, old);
	if (rc < 0 && mf_part_replace(m, w, old) < 0)
		return rc; /* best effort: nothing more can be done */
	return rc;
}

/* Makes the root a multipart/mixed (wrapping what is there). */
static int
ensure_mixed(mf_msg *m, struct layout *L)
{
	const mf_part *w;
	int rc;

	if (L->mixed != NULL)
		return MF_OK;
	rc = mf_part_new_multipart(m, "mixed", &w);
	if (rc < 0)
		return rc;
	if (L->empty)
		rc = mf_part_replace(m, L->root, w);
	else
		rc = wrap(m, L->root, w, NULL, false);
	if (rc == MF_OK)
		layout_get(m, L);
	return rc;
}

/* Puts p where the body goes, when there is none. */
static int
put_body(mf_msg *m, struct layout *L, const mf_part *p)
{
	int rc;

	if (L->empty)
		return mf_part_replace(m, L->root, p);
	if (L->mixed == NULL) {
		/* The root is something else (a lone attachment, a
		 * multipart/signed...): it goes after the body. */
		rc = ensure_mixed(m, L);
		if (rc < 0)
			return rc;
	}
	return mf_part_insert(m, L->mixed, 0, p);
}

/*
 * Gives the multipart/related rel the parameter type= (RFC 2387 3.1: the
 * media type of its root, first, part: first) unless it has it already.
 */
static int
related_type(mf_msg *m, const mf_part *rel, const mf_part *first)
{
	const mf_param *cur = mf_part_param(rel, NAME_LIT("type"));
	mf_str t, st, b = mf_part_boundary(rel);
	mf_buf v;
	mf_error err;
	int rc;

	if (first == NULL)
		return MF_OK;
	t = mf_part_type(first);
	st = mf_part_subtype(first);
	if (cur != NULL && cur->value.len == t.len + 1 + st.len &&
	    mf__ieq(cur->value.ptr, t.len, t.ptr, t.len) &&
	    mf__ieq(cur->value.ptr + t.len + 1, st.len, st.ptr, st.len))
		return MF_OK;
	mf__buf_init(&v, msg_alloc(m));
	rc = mf__buf_puts(&v, "multipart/related; type=\"");
	if (rc == MF_OK)
		rc = mf__buf_put(&v, t.ptr, t.len);
	if (rc == MF_OK)
		rc = mf__buf_putc(&v, '/');
	if (rc == MF_OK)
		rc = mf__buf_put(&v, st.ptr, st.len);
	if (rc == MF_OK)
		rc = mf__buf_puts(&v, "\"; boundary=\"");
	if (rc == MF_OK)
		rc = mf__buf_put(&v, b.ptr, b.len);
	if (rc == MF_OK)
		rc = mf__buf_putc(&v, '"');
	if (rc == MF_OK)
		rc = mf_part_header_set(m, rel, NAME_LIT("Content-Type"), v.data,
					v.len, 0, &err);
	mf__buf_fini(&v);
	return rc;
}

/* The related around p (p its first part), or NULL. */
static const mf_part *
related_of(const mf_part *p)
{
	const mf_part *par = mf_part_parent(p);

	return is_mp(par, "related") && first_child(par) == p ? par : NULL;
}

/* Sets the text (html false) or HTML body to the new part p. */
static int
place_text(mf_msg *m, const mf_part *p, bool html)
{
	struct layout L;
	const mf_part *same, *other, *w, *rel;
	int rc;

	layout_get(m, &L);
	same = html ? L.html : L.text;
	other = html ? L.text : L.html;
	if (same != NULL)
		return mf_part_replace(m, same, p);
	if (L.alt != NULL)
		return mf_part_insert(m, L.alt, html ? SIZE_MAX : 0, p);
	if (other != NULL) {
		rc = mf_part_new_multipart(m, "alternative", &w);
		if (rc == MF_OK)
			rc = wrap(m, other, w, p, !html);
		if (rc < 0 || (rel = related_of(w)) == NULL)
			return rc;
		/* The related's root is now the alternative. */
		rc = related_type(m, rel, w);
		if (rc < 0 && (mf_part_detach(m, other) < 0 ||
			       mf_part_replace(m, w, other) < 0))
			return rc; /* best effort */
		return rc;
	}
	if (L.related != NULL) {
		rc = mf_part_insert(m, L.related, 0, p);
		if (rc == MF_OK) {
			rc = related_type(m, L.related, p);
			if (rc < 0 && mf_part_detach(m, p) < 0)
				return rc; /* best effort */
		}
		return rc;
	}
	return put_body(m, &L, p);
}

static int
set_body(mf_msg *m, const char *utf8, size_t n, unsigned flags, bool html)
{
	const mf_part *p;
	char type[48];
	int rc;

	if (m == NULL || (utf8 == NULL && n != 0) || (flags & ~MF_BORROW))
		return MF_E_INVAL;
	if (utf8 == NULL)
		utf8 = "";
	if (!mf__utf8_valid(utf8, n))
		return MF_E_INVAL;
	snprintf(type, sizeof(type), "text/%s; charset=%s",
		 html ? "html" : "plain",
		 is_ascii(utf8, n) ? "us-ascii" : "utf-8");
	rc = mf_part_new(m, type, utf8, n, flags, &p);
	if (rc == MF_OK)
		rc = place_text(m, p, html);
	return rc;
}

int
mf_msg_set_text(mf_msg *m, const char *utf8, size_t n, unsigned flags)
{
	return set_body(m, utf8, n, flags, false);
}

int
mf_msg_set_html(mf_msg *m, const char *utf8, size_t n, unsigned flags)
{
	return set_body(m, utf8, n, flags, true);
}

/* Adds the new attachment p at the end of the root multipart/mixed. */
static int
place_attachment(mf_msg *m, const mf_part *p)
{
	struct layout L;
	int rc;

	layout_get(m, &L);
	rc = ensure_mixed(m, &L);
	return rc < 0 ? rc : mf_part_insert(m, L.mixed, SIZE_MAX, p);
}

/* Adds the new inline part p at the end of the multipart/related. */
static int
place_inline(mf_msg *m, const mf_part *p)
{
	struct layout L;
	const mf_part *w;
	int rc;

	layout_get(m, &L);
	if (L.related != NULL)
		return mf_part_insert(m, L.related, SIZE_MAX, p);
	rc = mf_part_new_multipart(m, "related", &w);
	if (rc < 0)
		return rc;
	if (L.body != NULL) {
		/* type= before w is in the message: nothing to undo. */
		rc = related_type(m, w, L.body);
		return rc < 0 ? rc : wrap(m, L.body, w, p, false);
	}
	rc = related_type(m, w, p);
	if (rc == MF_OK)
		rc = mf_part_insert(m, w, SIZE_MAX, p);
	if (rc == MF_OK) {
		rc = put_body(m, &L, w);
		if (rc < 0 && mf_part_detach(m, p) < 0)
			return rc; /* best effort */
	}
	return rc;
}

/*
 * A new file part: data in memory (fn NULL) or streamed from fn; its
 * Content-Type and Content-Disposition made from the name.
 */
static int
new_file_part(mf_msg *m, const char *filename, const char *type,
	      const char *disp, const void *data, size_t n, mf_read_fn *fn,
	      void *ctx, unsigned flags, const mf_part **out)
{
	mf_buf ct, ew, cd;
	const mf_part *p;
	mf_error err;
	int rc;

	rc = check_filename(filename);
	if (rc == MF_OK)
		rc = file_type(m, filename, type, &type);
	if (rc < 0)
		return rc;
	mf__buf_init(&ct, msg_alloc(m));
	mf__buf_init(&ew, msg_alloc(m));
	mf__buf_init(&cd, msg_alloc(m));
	rc = file_fields(m, type, disp, filename, flags, &ct, &ew, &cd);
	/*
	 * A file's bytes come back exactly, in every reader: a file goes as
	 * base64 (as Python's add_attachment and Thunderbird write them). A
	 * text encoding would make its line ends CRLF (or LF with MF_LF),
	 * and an identity encoding leaves readers to find where the file
	 * ends: the line end before a delimiter belongs to the delimiter
	 * (RFC 2046 5.1.1), but munpack and ripmime keep it, so a 1-byte
	 * file came out as 3 or 4 bytes (found by build_interop). So the
	 * part is made as octet-stream, encoded as base64, then given its
	 * type.
	 */
	if (rc == MF_OK) {
		if (fn != NULL)
			rc = mf_part_new_fn(m, ct.data, fn, ctx, &p);
		else
			rc = mf_part_new(m, OCTET, data, n, flags & MF_BORROW,
					 &p);
	}
	if (rc == MF_OK &&
	    (fn != NULL || (n > 0 && mf_part_cte(p) != MF_CTE_BASE64)))
		rc = mf_part_set_cte(m, p, MF_CTE_BASE64);
	if (rc == MF_OK && fn == NULL) {
		rc = mf_part_header_set(m, p, NAME_LIT("Content-Type"), ct.data,
					ct.len, 0, &err);
		if (rc == MF_E_SYNTAX)
			rc = MF_E_INVAL; /* not a media type */
	}
	if (rc == MF_OK && ew.len > 0)
		rc = mf_part_header_set(m, p, NAME_LIT("Content-Type"),
					ew.data, ew.len, MF_RAW, &err);
	if (rc == MF_OK)
		rc = mf_part_header_set(m, p, NAME_LIT("Content-Disposition"),
					cd.data, cd.len, 0, &err);
	mf__buf_fini(&ew);
	mf__buf_fini(&ct);
	mf__buf_fini(&cd);
	if (rc == MF_OK)
		*out = p;
	return rc;
}

int
mf_msg_attach(mf_msg *m, const char *filename, const char *type,
	      const void *data, size_t n, unsigned flags, const mf_part **out)
{
	const mf_part *p;
	int rc;

	if (m == NULL || (data == NULL && n != 0) ||
	    (flags & ~(MF_BORROW | MF_NO_NAME_EW)))
		return MF_E_INVAL;
	rc = new_file_part(m, filename, type, "attachment", data, n, NULL,
			   NULL, flags, &p);
	if (rc == MF_OK)
		rc = place_attachment(m, p);
	if (rc == MF_OK && out != NULL)
		*out = p;
	return rc;
}

int
mf_msg_attach_fn(mf_msg *m, const char *filename, const char *type,
		 mf_read_fn *fn, void *ctx, unsigned flags,
		 const mf_part **out)
{
	const mf_part *p;
	int rc;

	if (m == NULL || fn == NULL || (flags & ~MF_NO_NAME_EW))
		return MF_E_INVAL;
	rc = new_file_part(m, filename, type, "attachment", NULL, 0, fn, ctx,
			   flags, &p);
	if (rc == MF_OK)
		rc = place_attachment(m, p);
	if (rc == MF_OK && out != NULL)
		*out = p;
	return rc;
}

/* A Content-ID: printable ASCII without white space or angle brackets. */
static bool
cid_ok(const char *cid)
{
	size_t i;

	if (cid[0] == '\0')
		return false;
	for (i = 0; cid[i] != '\0'; i++) {
		unsigned char c = (unsigned char)cid[i];

		if (c <= ' ' || c >= 0x7F || c == '<' || c == '>')
			return false;
	}
	return true;
}

/*
 * A Content-ID for a new part (RFC 2392: globally unique, like a
 * msg-id): "<partN." and the message's Message-ID, N the number of parts
 * made in m so far, so it follows the message's generator (reproducible
 * after mf_msg_seed) and never repeats within the message.
 */
static int
make_cid(mf_msg *m, mf_buf *v)
{
	mf_str id = mf_part_header_value(mf_msg_root(m), NAME_LIT("Message-ID"));
	mf_str ids[1];
	size_t n = 1;
	char num[48];
	int rc;

	snprintf(num, sizeof(num), "<part%zu.", mf_msg_part_count(m));
	rc = mf__buf_puts(v, num);
	if (rc < 0)
		return rc;
	if (mf_msgid_parse(id.ptr, id.len, NULL, ids, &n, NULL, NULL) < 0 ||
	    n == 0 || memchr(ids[0].ptr, '@', ids[0].len) == NULL)
		rc = mf__buf_puts(v, "mailfmt@localhost");
	else
		rc = mf_msgid_canon(v, ids[0].ptr, ids[0].len);
	return rc < 0 ? rc : mf__buf_putc(v, '>');
}

int
mf_msg_add_inline(mf_msg *m, const char *filename, const char *type,
		  const void *data, size_t n, const char *cid, unsigned flags,
		  const mf_part **out)
{
	const mf_part *p;
	mf_buf v;
	mf_error err;
	int rc;

	if (m == NULL || (data == NULL && n != 0) ||
	    (flags & ~(MF_BORROW | MF_NO_NAME_EW)) ||
	    (cid != NULL && !cid_ok(cid)))
		return MF_E_INVAL;
	rc = new_file_part(m, filename, type, "inline", data, n, NULL, NULL,
			   flags, &p);
	if (rc < 0)
		return rc;
	mf__buf_init(&v, msg_alloc(m));
	if (cid != NULL) {
		rc = mf__buf_putc(&v, '<');
		if (rc == MF_OK)
			rc = mf__buf_puts(&v, cid);
		if (rc == MF_OK)
			rc = mf__buf_putc(&v, '>');
	} else {
		rc = make_cid(m, &v);
	}
	if (rc == MF_OK)
		rc = mf_part_header_set(m, p, NAME_LIT("Content-ID"), v.data,
					v.len, MF_RAW, &err);
	mf__buf_fini(&v);
	if (rc == MF_OK)
		rc = place_inline(m, p);
	if (rc == MF_OK && out != NULL)
		*out = p;
	return rc;
}

int
mf_msg_attach_msg(mf_msg *m, const mf_part *inner, const mf_part **out)
{
	const mf_part *p;
	mf_error err;
	int rc;

	if (m == NULL || inner == NULL)
		return MF_E_INVAL;
	rc = mf_part_new_message(m, inner, &p);
	if (rc == MF_OK)
		rc = mf_part_header_set(m, p, NAME_LIT("Content-Disposition"),
					NAME_LIT("attachment"), 0, &err);
	if (rc == MF_OK)
		rc = place_attachment(m, p);
	if (rc == MF_OK && out != NULL)
		*out = p;
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Stripping attachments                                                   */
/* ---------------------------------------------------------------------- */

static int
count_sink(void *ctx, const char *p, size_t n)
{
	(void)p;
	*(uint64_t *)ctx += n;
	return 0;
}

/*
 * The decoded size of p: its content with the transfer encoding undone,
 * counted through a streaming decoder in bounded memory; for a message
 * part, the size of the message. MF_E_STATE for a streamed body (its
 * size is known only when it is written).
 */
static int
decoded_size(const mf_msg *m, const mf_part *p, uint64_t *size)
{
	enum { CHUNK = 65536 };
	mf_content_dec *d;
	mf_opts o;
	mf_buf out;
	mf_str body;
	size_t off = 0;
	int rc = MF_OK;

	*size = 0;
	if (mf_part_kind(p) == MF_PART_MESSAGE) {
		const mf_part *in = mf_part_message(p);

		return in == NULL ? MF_OK
				  : mf_part_write_fn(in, 0, count_sink, size);
	}
	if (p->rfn != NULL)
		return MF_E_STATE;
	memset(&o, 0, sizeof(o));
	o.alloc = *msg_alloc(m);
	d = mf_content_dec_new(p, 0, &o);
	if (d == NULL)
		return MF_E_NOMEM;
	mf__buf_init(&out, msg_alloc(m));
	body = mf_part_body(p);
	do {
		size_t k = body.len - off < CHUNK ? body.len - off : CHUNK;

		rc = mf_content_dec_update(d, &out, body.ptr + off, k);
		*size += out.len;
		mf_buf_clear(&out);
		off += k;
	} while (rc == MF_OK && off < body.len);
	if (rc == MF_OK)
		rc = mf_content_dec_final(d, &out);
	*size += out.len;
	mf__buf_fini(&out);
	mf_content_dec_free(d);
	return rc;
}

/* The note that takes the place of attachment p, of size bytes. */
static int
strip_note(mf_msg *m, const mf_part *p, uint64_t size, const mf_part **out)
{
	mf_str name = mf_part_filename(p), t = mf_part_type(p),
	       st = mf_part_subtype(p);
	mf_buf b;
	char num[32];
	int rc;

	mf__buf_init(&b, msg_alloc(m));
	rc = mf__buf_puts(&b, "The attachment ");
	if (rc == MF_OK && name.len > 0) {
		rc = mf__buf_putc(&b, '"');
		if (rc == MF_OK)
			rc = mf__buf_put(&b, name.ptr, name.len);
		if (rc == MF_OK)
			rc = mf__buf_puts(&b, "\" ");
	}
	snprintf(num, sizeof(num), ", %llu bytes) was removed.\r\n",
		 (unsigned long long)size);
	if (rc == MF_OK)
		rc = mf__buf_putc(&b, '(');
	if (rc == MF_OK)
		rc = mf__buf_put(&b, t.ptr, t.len);
	if (rc == MF_OK)
		rc = mf__buf_putc(&b, '/');
	if (rc == MF_OK)
		rc = mf__buf_put(&b, st.ptr, st.len);
	if (rc == MF_OK)
		rc = mf__buf_puts(&b, num);
	if (rc == MF_OK)
		rc = mf_part_new(m,
				 is_ascii(b.data, b.len)
				     ? "text/plain; charset=us-ascii"
				     : "text/plain; charset=utf-8",
				 b.data, b.len, 0, out);
	mf__buf_fini(&b);
	return rc;
}

int
mf_msg_strip_attachments(mf_msg *m, uint64_t max, size_t *count)
{
	const mf_part **list = NULL;
	const mf_part *root, *p = NULL;
	size_t n = 0, cap = 0, i, done = 0;
	int rc = MF_OK;

	if (count != NULL)
		*count = 0;
	if (m == NULL)
		return MF_E_INVAL;
	root = mf_msg_root(m);
	if (root == NULL)
		return MF_OK;
	/* The candidates first: replacing changes the tree being walked. */
	while ((p = mf_part_next(root, p)) != NULL) {
		uint64_t size;

		if (p->tree != m || mf_part_is_attachment(p, MF_ATTACH_NAMED)
					   != 1)
			continue;
		if (p->parent != NULL && p->parent->kind == MF_PART_MESSAGE &&
		    p->parent->message == p)
			continue; /* the message of a message part */
		rc = decoded_size(m, p, &size);
		if (rc == MF_E_STATE) {
			rc = MF_OK; /* streamed: size unknown, kept */
			continue;
		}
		if (rc < 0)
			break;
		if (size <= max)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			const mf_part **nl =
			    mf__resize(msg_alloc(m), list,
				       cap * sizeof(*list), nc * sizeof(*list));

			if (nl == NULL) {
				rc = MF_E_NOMEM;
				break;
			}
			list = nl;
			cap = nc;
		}
		list[n++] = p;
	}
	for (i = 0; i < n && rc == MF_OK; i++) {
		const mf_part *note;
		uint64_t size;

		rc = decoded_size(m, list[i], &size);
		if (rc == MF_OK)
			rc = strip_note(m, list[i], size, &note);
		if (rc == MF_OK)
			rc = mf_part_replace(m, list[i], note);
		if (rc == MF_OK)
			done++;
	}
	mf__release(msg_alloc(m), list);
	if (count != NULL)
		*count = done;
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Reply and forward                                                       */
/* ---------------------------------------------------------------------- */

/* Options for reading the original: lenient, o's allocator. */
static void
lenient(const mf_opts *o, mf_opts *out)
{
	memset(out, 0, sizeof(*out));
	if (o != NULL) {
		out->alloc = o->alloc;
		out->charset_fn = o->charset_fn;
		out->charset_ctx = o->charset_ctx;
	}
}

/* The decoded Subject of p, with every leading reply or forward prefix
 * of the given kind removed. */
static int
base_subject(const mf_part *p, const mf_opts *lo, bool fwd, mf_buf *out)
{
	static const char *const re[] = { "re", "aw", "sv", "antw", NULL };
	static const char *const fw[] = { "fwd", "fw", NULL };
	mf_str v = mf_part_header_value(p, NAME_LIT("Subject"));
	mf_buf b;
	size_t i = 0, cut = 0;
	int rc;

	mf_opts so = *lo;

	so.flags = MF_SAFE_TEXT; /* a CR or NUL there is not written back */
	mf__buf_init(&b, &lo->alloc);
	rc = mf_hdr_decode(&b, v.ptr, v.len, &so, NULL, NULL);
	if (rc < 0) {
		mf__buf_fini(&b);
		return rc;
	}
	/* "Re: Re[2]: AW: x" -> "x" (RFC 5322 3.6.5: "Re: " once). */
	for (;;) {
		const char *const *k;
		size_t j;

		while (i < b.len && (b.data[i] == ' ' || b.data[i] == '\t'))
			i++;
		cut = i;
		for (k = fwd ? fw : re; *k != NULL; k++) {
			size_t l = strlen(*k);

			if (b.len - i > l && mf__ieq(b.data + i, l, *k, l))
				break;
		}
		if (*k == NULL)
			break;
		j = i + strlen(*k);
		if (j < b.len && (b.data[j] == '[' || b.data[j] == '(')) {
			char close = b.data[j] == '[' ? ']' : ')';
			size_t d = j + 1;

			while (d < b.len && b.data[d] >= '0' && b.data[d] <= '9')
				d++;
			if (d == j + 1 || d >= b.len || b.data[d] != close)
				break;
			j = d + 1;
		}
		while (j < b.len && b.data[j] == ' ')
			j++;
		if (j >= b.len || b.data[j] != ':')
			break;
		i = j + 1;
	}
	rc = mf__buf_put(out, b.data + cut, b.len - cut);
	mf__buf_fini(&b);
	return rc;
}

/* Whether b holds "=?". */
static bool
has_ew_start(const mf_buf *b)
{
	size_t i;

	for (i = 0; i + 1 < b->len; i++)
		if (b->data[i] == '=' && b->data[i + 1] == '?')
			return true;
	return false;
}

/* Sets Subject to prefix and the original's subject without prefixes. */
static int
set_subject(mf_msg *m, const mf_part *orig, const mf_opts *lo, bool fwd,
	    mf_error *err)
{
	mf_buf s;
	int rc;

	mf__buf_init(&s, &lo->alloc);
	rc = mf__buf_puts(&s, fwd ? "Fwd: " : "Re: ");
	if (rc == MF_OK)
		rc = base_subject(orig, lo, fwd, &s);
	/* A subject of nothing but a prefix: the prefix without its
	 * space (the header layer would drop it anyway). */
	if (rc == MF_OK && s.data[s.len - 1] == ' ')
		mf__buf_cut(&s, s.len - 1);
	if (rc == MF_OK && is_ascii(s.data, s.len) && has_ew_start(&s)) {
		/*
		 * ASCII text is written as it is, so an encoded word that
		 * the original's subject held as text ("=?utf-8?q?x?=",
		 * itself encoded there) would be decoded by readers: the
		 * words that look like one are encoded (RFC 2047 5(1)).
		 */
		mf_buf e;

		mf__buf_init(&e, &lo->alloc);
		rc = mf_ew_encode(&e, s.data, s.len, NULL, 0, 0, 0);
		if (rc == MF_OK)
			rc = mf_part_header_set(m, NULL, NAME_LIT("Subject"),
						e.data, e.len, MF_RAW, err);
		mf__buf_fini(&e);
	} else if (rc == MF_OK) {
		rc = mf_part_header_set(m, NULL, NAME_LIT("Subject"), s.data,
					s.len, 0, err);
	}
	mf__buf_fini(&s);
	return rc;
}

/* Same mailbox: local part exact, domain case-insensitive (RFC 5321
 * 2.4, RFC 5322 3.4.1). */
static bool
same_mailbox(const mf_addr *a, const mf_addr *b)
{
	return a->local.len == b->local.len &&
	       (a->local.len == 0 ||
		memcmp(a->local.ptr, b->local.ptr, a->local.len) == 0) &&
	       mf__ieq(a->domain.ptr, a->domain.len, b->domain.ptr,
		       b->domain.len);
}

/* A growing array of address items (views into lists kept alive). */
struct alist {
	mf_addr *v;
	size_t n, cap;
	const mf_alloc *a;
};

static bool
alist_has(const struct alist *l, const mf_addr *x)
{
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (same_mailbox(&l->v[i], x))
			return true;
	return false;
}

/*
 * Adds the mailboxes of src (group members included, groups dropped)
 * that are neither in l, nor in the others lists, nor in self.
 */
static int
alist_add(struct alist *l, const mf_addrs *src, const struct alist *other,
	  const mf_addrs *self)
{
	size_t i, j;

	for (i = 0; src != NULL && i < mf_addrs_count(src); i++) {
		const mf_addr *x = mf_addrs_at(src, i);
		/* Only mailboxes one can write to: local@domain. */
		bool skip = x->kind != MF_ADDR_MAILBOX || x->local.len == 0 ||
			    x->domain.len == 0 ||
			    alist_has(l, x) || alist_has(other, x);

		for (j = 0; !skip && self != NULL && j < mf_addrs_count(self);
		     j++) {
			const mf_addr *s = mf_addrs_at(self, j);

			skip = s->kind == MF_ADDR_MAILBOX && same_mailbox(s, x);
		}
		if (skip)
			continue;
		if (l->n == l->cap) {
			size_t nc = l->cap ? l->cap * 2 : 8;
			mf_addr *nv = mf__resize(l->a, l->v,
						 l->cap * sizeof(*nv),
						 nc * sizeof(*nv));

			if (nv == NULL)
				return MF_E_NOMEM;
			l->v = nv;
			l->cap = nc;
		}
		l->v[l->n] = *x;
		l->v[l->n].kind = MF_ADDR_MAILBOX;
		/* An obsolete route is ignored (RFC 5322 4.4). */
		l->v[l->n].route.ptr = NULL;
		l->v[l->n].route.len = 0;
		l->n++;
	}
	return MF_OK;
}

/* The address list in field name of p (lenient), or NULL when absent. */
static int
field_addrs(const mf_part *p, const char *name, const mf_opts *lo,
	    mf_addrs **out)
{
	mf_str v = mf_part_header_value(p, name, strlen(name));

	*out = NULL;
	if (mf_part_header(p, name, strlen(name), NULL) == NULL)
		return MF_OK;
	return mf_addrs_parse(v.ptr, v.len, lo, out, NULL);
}

/* To and Cc of a reply to orig (RFC 5322 3.6.3). */
static int
reply_addrs(mf_msg *m, const mf_part *orig, int mode, const mf_addrs *self,
	    const mf_opts *lo, mf_error *err)
{
	mf_addrs *rt = NULL, *from = NULL, *sender = NULL, *to = NULL,
		 *cc = NULL;
	struct alist lt, lc;
	int rc;

	memset(&lt, 0, sizeof(lt));
	memset(&lc, 0, sizeof(lc));
	lt.a = lc.a = &lo->alloc;
	rc = field_addrs(orig, "Reply-To", lo, &rt);
	if (rc == MF_OK)
		rc = field_addrs(orig, "From", lo, &from);
	if (rc == MF_OK)
		rc = field_addrs(orig, "Sender", lo, &sender);
	if (rc == MF_OK)
		rc = field_addrs(orig, "To", lo, &to);
	if (rc == MF_OK)
		rc = field_addrs(orig, "Cc", lo, &cc);
	/* "Reply-To" when present, else "From" (else "Sender"). */
	if (rc == MF_OK)
		rc = alist_add(&lt,
			       rt != NULL && mf_addrs_first_mailbox(rt) != NULL
				   ? rt
			       : from != NULL &&
					   mf_addrs_first_mailbox(from) != NULL
				   ? from
				   : sender,
			       NULL, self);
	if (rc == MF_OK && mode == MF_REPLY_ALL) {
		rc = alist_add(&lc, to, &lt, self);
		if (rc == MF_OK)
			rc = alist_add(&lc, cc, &lt, self);
	}
	/* A reply to one's own message goes to its recipients. */
	if (rc == MF_OK && lt.n == 0 && mode == MF_REPLY_SENDER)
		rc = alist_add(&lt, to, NULL, self);
	if (rc == MF_OK && lt.n == 0 && lc.n > 0) {
		struct alist t = lt;

		lt = lc;
		lc = t;
	}
	if (rc == MF_OK && lt.n > 0)
		rc = mf_msg_set_addrs(m, "To", lt.v, lt.n, err);
	if (rc == MF_OK && lc.n > 0)
		rc = mf_msg_set_addrs(m, "Cc", lc.v, lc.n, err);
	mf__release(lt.a, lt.v);
	mf__release(lc.a, lc.v);
	mf_addrs_free(rt);
	mf_addrs_free(from);
	mf_addrs_free(sender);
	mf_addrs_free(to);
	mf_addrs_free(cc);
	return rc;
}

/* Whether "<id>" t[0..l) is one of the space-separated ids of b. */
static bool
has_id(const mf_buf *b, const char *t, size_t l)
{
	size_t i = 0;

	while (i < b->len) {
		size_t j = i;

		while (j < b->len && b->data[j] != ' ')
			j++;
		if (j - i == l && memcmp(b->data + i, t, l) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

/* "<left@right>" with both sides printable ASCII: an id the header
 * layer writes (RFC 5322 3.6.4; "<xxxx>" and the like are dropped). */
static bool
id_ok(const char *p, size_t n)
{
	size_t i, at = 0;

	if (n < 5 || p[0] != '<' || p[n - 1] != '>')
		return false;
	for (i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c >= 0x7F || c == '<' || c == '>')
			return false;
		if (c == '@') {
			if (at != 0)
				return false;
			at = i;
		}
	}
	return at > 1 && at < n - 2;
}

/*
 * Appends to out (space-separated, each once) the msg-ids of field name
 * of p, canonical and in angle brackets; *k gets how many ids the field
 * has. max: at most that many ids (else none are added).
 */
static int
add_ids(const mf_part *p, const char *name, const mf_opts *lo, size_t max,
	mf_buf *out, size_t *k)
{
	mf_str v = mf_part_header_value(p, name, strlen(name));
	mf_str *ids;
	mf_buf c;
	size_t n = v.len / 2 + 1, i;
	int rc;

	*k = 0;
	if (v.len == 0)
		return MF_OK;
	ids = mf__alloc(&lo->alloc, n * sizeof(*ids));
	if (ids == NULL)
		return MF_E_NOMEM;
	mf__buf_init(&c, &lo->alloc);
	rc = mf_msgid_parse(v.ptr, v.len, lo, ids, &n, NULL, NULL);
	if (rc < 0 || n > max)
		n = 0;
	if (rc == MF_E_NOSPC)
		rc = MF_OK; /* not reached: n ids take 2 n bytes or more */
	for (i = 0; rc == MF_OK && i < n; i++) {
		mf_buf_clear(&c);
		rc = mf__buf_putc(&c, '<');
		if (rc == MF_OK)
			rc = mf_msgid_canon(&c, ids[i].ptr, ids[i].len);
		if (rc == MF_OK)
			rc = mf__buf_putc(&c, '>');
		if (rc < 0)
			break;
		if (!id_ok(c.data, c.len))
			continue; /* nothing that could be written as an id */
		(*k)++;
		if (has_id(out, c.data, c.len))
			continue;
		if (out->len > 0)
			rc = mf__buf_putc(out, ' ');
		if (rc == MF_OK)
			rc = mf__buf_put(out, c.data, c.len);
	}
	mf__buf_fini(&c);
	mf__release(&lo->alloc, ids);
	return rc;
}

/* In-Reply-To and References of a reply to orig (RFC 5322 3.6.4). */
static int
reply_ids(mf_msg *m, const mf_part *orig, const mf_opts *lo, mf_error *err)
{
	mf_buf refs, id;
	size_t k;
	int rc;

	mf__buf_init(&refs, &lo->alloc);
	mf__buf_init(&id, &lo->alloc);
	rc = add_ids(orig, "Message-ID", lo, 1, &id, &k);
	if (rc == MF_OK)
		rc = add_ids(orig, "References", lo, SIZE_MAX, &refs, &k);
	if (rc == MF_OK && k == 0)
		rc = add_ids(orig, "In-Reply-To", lo, 1, &refs, &k);
	if (rc == MF_OK && id.len > 0 && !has_id(&refs, id.data, id.len)) {
		if (refs.len > 0)
			rc = mf__buf_putc(&refs, ' ');
		if (rc == MF_OK)
			rc = mf__buf_put(&refs, id.data, id.len);
	}
	if (rc == MF_OK && id.len > 0)
		rc = mf_part_header_set(m, NULL, NAME_LIT("In-Reply-To"),
					id.data, id.len, 0, err);
	if (rc == MF_OK && refs.len > 0)
		rc = mf_part_header_set(m, NULL, NAME_LIT("References"),
					refs.data, refs.len, 0, err);
	mf__buf_fini(&refs);
	mf__buf_fini(&id);
	return rc;
}

int
mf_msg_reply(const mf_part *orig, int mode, const char *self,
	     const mf_opts *o, mf_msg **out, mf_error *err)
{
	mf_addrs *sl = NULL;
	mf_opts lo, so;
	mf_msg *m;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (orig == NULL || out == NULL || orig->tree == NULL ||
	    (mode != MF_REPLY_SENDER && mode != MF_REPLY_ALL))
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	lenient(o, &lo);
	if (self != NULL) {
		so = lo;
		so.flags = MF_STRICT;
		rc = mf_addrs_parse(self, strlen(self), &so, &sl, err);
		if (rc == MF_E_DEFECT) {
			/* What strict parsing refuses is a syntax error
			 * here (at the same offset). */
			rc = MF_E_SYNTAX;
			if (err != NULL)
				err->code = rc;
		}
		if (rc < 0)
			return rc;
	}
	m = mf_msg_new(o);
	if (m == NULL) {
		mf_addrs_free(sl);
		return mf__err(err, o != NULL && (o->flags & ~(MF_UTF8_OUT |
							       MF_8BITMIME |
							       MF_BINARYMIME))
					? MF_E_INVAL
					: MF_E_NOMEM,
			       0, NULL);
	}
	rc = reply_addrs(m, orig, mode, sl, &lo, err);
	if (rc == MF_OK)
		rc = set_subject(m, orig, &lo, false, err);
	if (rc == MF_OK)
		rc = reply_ids(m, orig, &lo, err);
	mf_addrs_free(sl);
	if (rc < 0) {
		mf_msg_free(m);
		return rc;
	}
	*out = m;
	return MF_OK;
}

int
mf_msg_forward(const mf_part *orig, const mf_opts *o, mf_msg **out,
	       mf_error *err)
{
	mf_opts lo;
	mf_msg *m;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (orig == NULL || out == NULL || orig->tree == NULL)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	lenient(o, &lo);
	m = mf_msg_new(o);
	if (m == NULL)
		return mf__err(err, o != NULL && (o->flags & ~(MF_UTF8_OUT |
							       MF_8BITMIME |
							       MF_BINARYMIME))
					? MF_E_INVAL
					: MF_E_NOMEM,
			       0, NULL);
	rc = set_subject(m, orig, &lo, true, err);
	if (rc == MF_OK)
		rc = mf_msg_attach_msg(m, orig, NULL);
	if (rc < 0) {
		mf_msg_free(m);
		return mf__err(err, rc, 0, NULL);
	}
	*out = m;
	return MF_OK;
}
