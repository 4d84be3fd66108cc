/* SPDX-License-Identifier: MIT */
/*
 * core.c - status and defect texts, version, limits, error and defect
 * reporting, CPU feature detection, ASCII character classes and UTF-8
 * validation.
 *
 * Nothing here keeps state: CPU features come from the compiler runtime's
 * own cpuid cache (__builtin_cpu_supports), filled once by the runtime
 * before main, so mailfmt itself has no global mutable variable.
 */
#include "core.h"

/* ---------------------------------------------------------------------- */
/* Status texts: a switch without default, so -Wswitch-enum flags a code   */
/* that has no text (curl's lib/strerror.c).                               */
/* ---------------------------------------------------------------------- */

const char *
mf_strerror(int code)
{
	switch ((enum mf_status)code) {
	case MF_OK:
		return "success";
	case MF_MORE:
		return "more input needed";
	case MF_E_NOMEM:
		return "out of memory";
	case MF_E_INVAL:
		return "invalid argument";
	case MF_E_SYNTAX:
		return "syntax error";
	case MF_E_TRUNC:
		return "input truncated";
	case MF_E_LIMIT:
		return "limit exceeded";
	case MF_E_NOSPC:
		return "output buffer too small";
	case MF_E_CALLBACK:
		return "aborted by callback";
	case MF_E_STATE:
		return "call not allowed in this state";
	case MF_E_CHARSET:
		return "unknown or unsupported charset";
	case MF_E_DEFECT:
		return "malformed input (strict mode)";
	case MF_E_UTF8_OUT:
		return "output needs UTF-8 (MF_UTF8_OUT, SMTPUTF8)";
	}
	return "unknown status code";
}

/* ---------------------------------------------------------------------- */
/* Defects                                                                 */
/* ---------------------------------------------------------------------- */

struct defect_text {
	const char *name;
	const char *text;
};

static const struct defect_text *
defect_text(int d)
{
	static const struct defect_text unknown = {"unknown", "unknown defect"};
	static const struct defect_text t[] = {
	    [MF_D_NO_BLANK_LINE] = {"no-blank-line",
				    "body began without an empty line"},
	    [MF_D_WS_BEFORE_COLON] = {"ws-before-colon",
				      "whitespace before a field's colon"},
	    [MF_D_MBOX_FROM] = {"mbox-from", "leading mbox From_ line"},
	    [MF_D_CONT_FIRST] = {"cont-first",
				 "continuation line with no field before it"},
	    [MF_D_8BIT_HEADER] = {"8bit-header",
				  "header byte that is neither ASCII nor UTF-8"},
	    [MF_D_NUL] = {"nul", "NUL byte in a header or text"},
	    [MF_D_BARE_CR] = {"bare-cr", "CR not followed by LF"},
	    [MF_D_LONG_LINE] = {"long-line", "line longer than 998 octets"},
	    [MF_D_HEADER_LIMIT] = {"header-limit",
				   "header count or size limit reached"},
	    [MF_D_BAD_FIELD_NAME] = {"bad-field-name",
				     "empty or invalid header field name"},
	    [MF_D_EOF_IN_HEADER] = {"eof-in-header",
				    "input ended inside the header block"},
	    [MF_D_UNTERMINATED] = {"unterminated",
				   "unterminated quoted string, comment or "
				   "domain literal"},
	    [MF_D_ADDR_EMPTY_ITEM] = {"addr-empty-item",
				      "empty item in an address list"},
	    [MF_D_ADDR_NO_ANGLE_END] = {"addr-no-angle-end",
					"angle address without closing >"},
	    [MF_D_ADDR_SPECIALS] = {"addr-specials",
				    "unquoted specials in a display name"},
	    [MF_D_ADDR_NO_DOMAIN] = {"addr-no-domain",
				     "address without @domain"},
	    [MF_D_TRAILING_GARBAGE] = {"trailing-garbage",
				       "unexpected bytes after a value"},
	    [MF_D_OBSOLETE] = {"obsolete", "obsolete syntax"},
	    [MF_D_EW_IN_QUOTES] = {"ew-in-quotes",
				   "encoded word inside a quoted string"},
	    [MF_D_DATE_BAD_DOW] = {"date-bad-dow",
				   "day of week does not match the date"},
	    [MF_D_PARAM_DUPLICATE] = {"param-duplicate",
				      "parameter given more than once"},
	    [MF_D_PARAM_SYNTAX] = {"param-syntax", "malformed parameter"},
	    [MF_D_CT_SYNTAX] = {"ct-syntax", "malformed content type"},
	    [MF_D_FIELD_LIMIT] = {"field-limit",
				  "per-field count limit reached"},
	    [MF_D_EW_MALFORMED] = {"ew-malformed",
				   "malformed encoded word left as is"},
	    [MF_D_EW_CHARSET] = {"ew-charset",
				 "encoded word in an unknown charset"},
	    [MF_D_EW_LENIENT] = {"ew-lenient",
				 "encoded word not delimited by whitespace"},
	    [MF_D_CHARSET_INVALID] = {"charset-invalid",
				      "invalid bytes replaced by U+FFFD"},
	    [MF_D_B64_JUNK] = {"b64-junk",
			       "invalid byte or padding in base64"},
	    [MF_D_QP_INVALID] = {"qp-invalid",
				 "invalid quoted-printable escape"},
	    [MF_D_UU_INVALID] = {"uu-invalid", "malformed uuencode line"},
	    [MF_D_BAD_CHAR] = {"bad-char", "byte not allowed where it stands"},
	    [MF_D_NO_BOUNDARY] = {"no-boundary",
				  "multipart without boundary parameter"},
	    [MF_D_NO_START_DELIM] = {"no-start-delim",
				     "multipart body without a delimiter"},
	    [MF_D_NO_CLOSE_DELIM] = {"no-close-delim",
				     "multipart without close delimiter"},
	    [MF_D_BOUNDARY_MISMATCH] = {"boundary-mismatch",
					"delimiter differs from the parameter"},
	    [MF_D_DEPTH_LIMIT] = {"depth-limit",
				  "nesting limit reached, rest kept opaque"},
	    [MF_D_PART_LIMIT] = {"part-limit",
				 "part limit reached, rest kept opaque"},
	    [MF_D_UNKNOWN_CTE] = {"unknown-cte",
				  "unknown transfer encoding, used as is"},
	    [MF_D_CTE_NONSTANDARD] = {"cte-nonstandard",
				      "non-standard transfer encoding name"},
	    [MF_D_TRUNCATED] = {"truncated",
			       "part cut by the end of the input"},
	    [MF_D_MULTIPART_CTE] = {"multipart-cte",
				    "encoded multipart or message part"},
	    [MF_D_CHARSET_UNKNOWN] = {"charset-unknown",
				      "text in an unknown or unsupported "
				      "charset"},
	    [MF_D_ADDR_NO_COMMA] = {"addr-no-comma",
				    "addresses not separated by a comma"},
	    [MF_D_STRAY_LINE] = {"stray-line",
				 "line without a colon between header fields"},
	    [MF_D_BOM] = {"bom", "byte order mark before the header"},
	    [MF_D_PARAM_NO_SEMICOLON] = {"param-no-semicolon",
					 "parameters not separated by \";\""},
	    [MF_D_CLOSE_TRAILING] = {"close-trailing",
				     "text after a close delimiter on its "
				     "line"},
	    [MF_D_BARE_LF] = {"bare-lf", "LF not preceded by CR"},
	};

	if (d < 0 || (size_t)d >= sizeof(t) / sizeof(t[0]) || t[d].name == NULL)
		return &unknown;
	return &t[d];
}

const char *
mf_defect_name(int defect)
{
	return defect_text(defect)->name;
}

const char *
mf_defect_str(int defect)
{
	return defect_text(defect)->text;
}

int
mf_defects_names(mf_buf *out, uint64_t mask, const char *sep)
{
	size_t len0;
	int rc = MF_OK;

	if (out == NULL)
		return MF_E_INVAL;
	if (sep == NULL)
		sep = " ";
	len0 = out->len;
	while (mask != 0 && rc == MF_OK) {
		unsigned d = mf__ctz64(mask);
		const struct defect_text *t = defect_text((int)d);
		char num[] = "defect-00";

		mask &= mask - 1;
		if (out->len > len0)
			rc = mf__buf_puts(out, sep);
		if (rc != MF_OK)
			break;
		if (t != defect_text(-1)) {
			rc = mf__buf_puts(out, t->name);
			continue;
		}
		/* A number without a name (d < 64). */
		if (d < 10) {
			num[7] = (char)('0' + d);
			num[8] = '\0';
		} else {
			num[7] = (char)('0' + d / 10);
			num[8] = (char)('0' + d % 10);
		}
		rc = mf__buf_puts(out, num);
	}
	if (rc != MF_OK)
		mf__buf_cut(out, len0);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Spans                                                                   */
/* ---------------------------------------------------------------------- */

mf_str
mf_str_from(const char *s)
{
	mf_str r = {"", 0};

	if (s != NULL) {
		r.ptr = s;
		r.len = strlen(s);
	}
	return r;
}

int
mf_str_eq(mf_str a, mf_str b)
{
	return a.len == b.len &&
	       (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int
mf_str_ieq(mf_str a, mf_str b)
{
	return mf__ieq(a.ptr, a.len, b.ptr, b.len);
}

int
mf__err(mf_error *err, int code, size_t off, const char *reason)
{
	if (err != NULL) {
		err->code = code;
		err->offset = off;
		err->reason = reason != NULL ? reason : mf_strerror(code);
	}
	return code;
}

int
mf__defect(const mf_opts *o, uint64_t *mask, int defect, uint64_t off)
{
	if (mask != NULL)
		*mask |= MF_DEFECT_BIT(defect);
	if (o == NULL)
		return MF_OK;
	if (o->on_defect != NULL)
		o->on_defect(o->defect_ctx, defect, off);
	return (o->flags & MF_STRICT) ? MF_E_DEFECT : MF_OK;
}

int
mf__opts_check(const mf_opts *o, unsigned allowed, mf_error *err)
{
	if (o != NULL && (o->flags & ~allowed) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag in mf_opts");
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Limits: 0 means the default; nothing may exceed the hard cap.           */
/* ---------------------------------------------------------------------- */

static size_t
limit(size_t v, size_t def, size_t cap)
{
	if (v == 0)
		return def;
	return v > cap ? cap : v;
}

void
mf_limits_resolve(const mf_limits *in, mf_limits *out)
{
	static const mf_limits zero;

	if (out == NULL)
		return;
	if (in == NULL)
		in = &zero;
	memset(out, 0, sizeof(*out));
	out->max_depth = limit(in->max_depth, 100, 100000);
	out->max_parts = limit(in->max_parts, 10000, 10000000);
	out->max_field_len = limit(in->max_field_len, 64u * 1024,
				   (size_t)256 * 1024 * 1024);
	out->max_header_bytes = limit(in->max_header_bytes, 1024u * 1024,
				      (size_t)1024 * 1024 * 1024);
	out->max_headers = limit(in->max_headers, 1000, 10000000);
	out->max_params = limit(in->max_params, 128, 1000000);
	out->max_addrs = limit(in->max_addrs, 1000, 100000000);
	out->max_encoded_words = limit(in->max_encoded_words, 256, 100000000);
	out->max_line_len = limit(in->max_line_len, 1000, 64u * 1024 * 1024);
}

void
mf__limits(const mf_opts *o, mf_limits *out)
{
	mf_limits_resolve(o != NULL ? &o->limits : NULL, out);
}

/* ---------------------------------------------------------------------- */
/* Version                                                                 */
/* ---------------------------------------------------------------------- */

unsigned
mf_version(void)
{
	return MF_VERSION_NUM;
}

const char *
mf_version_string(void)
{
	return MF_VERSION_STRING;
}

/* ---------------------------------------------------------------------- */
/* CPU features                                                            */
/* ---------------------------------------------------------------------- */

unsigned
mf_cpu_features(void)
{
	unsigned f = 0;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
	/* The runtime checks OS support (XGETBV) for the AVX families. */
	if (__builtin_cpu_supports("ssse3"))
		f |= MF_CPU_SSSE3;
	if (__builtin_cpu_supports("sse4.2"))
		f |= MF_CPU_SSE42;
	if (__builtin_cpu_supports("avx2"))
		f |= MF_CPU_AVX2;
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		f |= MF_CPU_AVX512BW;
	if ((f & MF_CPU_AVX512BW) && __builtin_cpu_supports("avx512vbmi"))
		f |= MF_CPU_AVX512VBMI;
#endif
	return f;
}

/* ---------------------------------------------------------------------- */
/* Character classes                                                       */
/* ---------------------------------------------------------------------- */

#define IN(c, lo, hi) ((c) >= (lo) && (c) <= (hi))
#define ISALPHA(c) (IN(c, 'A', 'Z') || IN(c, 'a', 'z'))
#define ISDIGIT(c) IN(c, '0', '9')
#define ISVCHAR(c) IN(c, 33, 126)
#define ISSPECIAL(c)                                                           \
	((c) == '(' || (c) == ')' || (c) == '<' || (c) == '>' || (c) == '[' || \
	 (c) == ']' || (c) == ':' || (c) == ';' || (c) == '@' ||               \
	 (c) == '\\' || (c) == ',' || (c) == '.' || (c) == '"')
#define ISTSPECIAL(c)                                                          \
	((c) == '(' || (c) == ')' || (c) == '<' || (c) == '>' || (c) == '@' || \
	 (c) == ',' || (c) == ';' || (c) == ':' || (c) == '\\' ||              \
	 (c) == '"' || (c) == '/' || (c) == '[' || (c) == ']' || (c) == '?' || \
	 (c) == '=')
#define CC(c)                                                                  \
	((ISALPHA(c) ? MF__C_ALPHA : 0) | (ISDIGIT(c) ? MF__C_DIGIT : 0) |     \
	 ((ISDIGIT(c) || IN(c, 'A', 'F') || IN(c, 'a', 'f')) ? MF__C_HEX      \
							     : 0) |           \
	 (((c) == ' ' || (c) == '\t') ? MF__C_WSP : 0) |                       \
	 ((IN(c, 0, 31) || (c) == 127) ? MF__C_CTL : 0) |                      \
	 ((ISVCHAR(c) && !ISSPECIAL(c)) ? MF__C_ATEXT : 0) |                   \
	 (ISSPECIAL(c) ? MF__C_SPECIAL : 0) |                                  \
	 ((ISVCHAR(c) && !ISTSPECIAL(c)) ? MF__C_TOKEN : 0) |                  \
	 ((ISVCHAR(c) && (c) != ':') ? MF__C_FTEXT : 0) |                      \
	 ((ISVCHAR(c) && (c) != '"' && (c) != '\\') ? MF__C_QTEXT : 0) |       \
	 ((ISVCHAR(c) && (c) != '(' && (c) != ')' && (c) != '\\')             \
	      ? MF__C_CTEXT                                                    \
	      : 0) |                                                           \
	 ((ISVCHAR(c) && (c) != '[' && (c) != ']' && (c) != '\\')             \
	      ? MF__C_DTEXT                                                    \
	      : 0) |                                                           \
	 ((ISALPHA(c) || ISDIGIT(c) || (c) == '+' || (c) == '/') ? MF__C_B64  \
								  : 0) |      \
	 ((c) >= 0x80 ? MF__C_HIGH : 0))
#define R4(b) CC(b), CC((b) + 1), CC((b) + 2), CC((b) + 3)
#define R16(b) R4(b), R4((b) + 4), R4((b) + 8), R4((b) + 12)
#define R64(b) R16(b), R16((b) + 16), R16((b) + 32), R16((b) + 48)

const uint16_t mf__cclass[256] = {R64(0), R64(64), R64(128), R64(192)};

bool
mf__ieq_n(const char *a, const char *b, size_t an)
{
	size_t i = 0;

	for (; i + 8 <= an; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y && mf__lower8(x) != mf__lower8(y))
			return false;
	}
	if (i < an) {
		/* The last 1-7 bytes as one zero-padded word (byte by byte:
		 * a memcpy of a variable size would be a call). */
		uint64_t x = 0, y = 0;
		size_t k;

		for (k = i; k < an; k++) {
			x = x << 8 | (unsigned char)a[k];
			y = y << 8 | (unsigned char)b[k];
		}
		return x == y || mf__lower8(x) == mf__lower8(y);
	}
	for (; i < an; i++) {
		if (mf__lower((unsigned char)a[i]) !=
		    mf__lower((unsigned char)b[i]))
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------------- */
/* UTF-8 (RFC 3629 section 4: no overlongs, surrogates or > U+10FFFF)      */
/* ---------------------------------------------------------------------- */

size_t
mf__utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4)
		return 0;
	if (c < 0xE0) {
		if (n < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xF0) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && p[1] > 0x9F)
			return 0; /* surrogate */
		return 3;
	}
	if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
	    (p[3] & 0xC0) != 0x80)
		return 0;
	if (c == 0xF0 && p[1] < 0x90)
		return 0; /* overlong */
	if (c == 0xF4 && p[1] > 0x8F)
		return 0; /* over U+10FFFF */
	return 4;
}

bool
mf__utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		size_t k;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = mf__utf8_seq(s + i, n - i);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

/* Length of the control at s[0..n) that MF_SAFE_TEXT replaces, or 0. */
static size_t
control_len(const unsigned char *s, size_t n)
{
	if ((s[0] < 0x20 && s[0] != '\t') || s[0] == 0x7F)
		return 1;
	if (s[0] == 0xC2 && n >= 2 && s[1] >= 0x80 && s[1] <= 0x9F)
		return 2;
	return 0;
}

int
mf__safe_text(mf_buf *b, size_t from)
{
	static const char repl[] = "\xEF\xBF\xBD";
	const unsigned char *s;
	size_t i, n, run;
	mf_buf t;
	int rc = MF_OK;

	if (b->data == NULL || from >= b->len)
		return MF_OK;
	s = (const unsigned char *)b->data + from;
	n = b->len - from;
	for (i = 0; i < n && control_len(s + i, n - i) == 0; i++)
		;
	if (i == n)
		return MF_OK;
	mf__buf_init(&t, &b->a);
	for (run = i = 0; i < n && rc == MF_OK;) {
		size_t k = control_len(s + i, n - i);

		if (k == 0) {
			i++;
			continue;
		}
		rc = mf__buf_put(&t, s + run, i - run);
		if (rc == MF_OK)
			rc = mf__buf_put(&t, repl, 3);
		i += k;
		run = i;
	}
	if (rc == MF_OK)
		rc = mf__buf_put(&t, s + run, n - run);
	if (rc == MF_OK) {
		mf__buf_cut(b, from);
		rc = mf__buf_put(b, t.data, t.len);
	}
	mf__buf_fini(&t);
	return rc;
}

int
mf__utf8_put(mf_buf *b, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return mf__buf_put(b, u, n);
}
