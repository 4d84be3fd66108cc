/* SPDX-License-Identifier: MIT */
/*
 * charset.c - conversion of labelled text to UTF-8 (and back, for the
 * encoders), with built-in converters so that mail decodes without iconv:
 *
 *   us-ascii, utf-8, utf-16/-16le/-16be, utf-32/-32le/-32be (RFC 2781,
 *   RFC 3629), iso-8859-1..16 (no 12), windows-1250..1258, koi8-r (RFC
 *   1489), koi8-u (RFC 2319): tables in charset_tables.h.
 *
 * Everything else goes to the caller's hook (mf_opts.charset_fn), then to
 * iconv when the library was built with MF_HAVE_ICONV=1. Labels are taken
 * the way real mail writes them: surrounding whitespace and quotes are
 * trimmed, case is folded, the IANA aliases and the common MUA spellings
 * (latin1, cp1252, iso8859-1, iso_8859-1:1987, utf8, ks_c_5601-1987, x-...)
 * resolve; see mf_charset_to_utf8(3) for the list.
 *
 * Policy for ambiguous input (RFC 7103 7.6):
 *  - Invalid or unmappable bytes become U+FFFD and are reported once per
 *    call, at the first offending offset (MF_D_CHARSET_INVALID).
 *  - "us-ascii" text with 8-bit bytes is not US-ASCII: it is decoded as
 *    UTF-8 when the whole text is valid UTF-8, else as windows-1252, and
 *    MF_D_CHARSET_INVALID is recorded. Unlabelled or unknown-charset text
 *    in encoded words gets the same treatment (mf__cs_guess).
 *  - "iso-8859-1" is decoded as windows-1252, whose printable characters
 *    replace the C1 controls 0x80-0x9F (as browsers and most MUAs do:
 *    mail labelled latin1 with bytes 0x80-0x9F is windows-1252 in
 *    practice); the five bytes windows-1252 leaves undefined stay C1
 *    controls. Encoding to iso-8859-1 is Latin-1 without the C1 controls
 *    (they would read back as windows-1252), which become '?'.
 *  - UTF-16 and UTF-32 without a byte order mark are big-endian (RFC 2781
 *    4.3) unless their first bytes show little-endian text (Windows labels
 *    UTF-16LE "utf-16" without a mark; mf__wide_order); the -le/-be labels
 *    take no BOM, so a leading U+FEFF is kept as a character, as iconv
 *    does. Unpaired surrogates become U+FFFD.
 *  - NUL bytes are data, converted like any other character.
 */
#include "charset.h"

#if MF_HAVE_ICONV
#include <errno.h>
#include <iconv.h>
#endif

#include "charset_tables.h"

/* ---------------------------------------------------------------------- */
/* Charset identities and labels                                           */
/* ---------------------------------------------------------------------- */

#define ID_8859(n) (MF__CS_SB + ((n) < 12 ? (n)-1 : (n)-2))
#define ID_CP(n) (MF__CS_SB + 15 + ((n)-1250))
#define ID_KOI8R (MF__CS_SB + 24)
#define ID_KOI8U (MF__CS_SB + 25)
#define ID_LAST ID_KOI8U

/* MIME names of the built-in charsets, indexed by id. */
static const char *const builtin_name[] = {
    [MF__CS_ASCII] = "us-ascii",
    [MF__CS_UTF8] = "utf-8",
    [MF__CS_UTF16] = "utf-16",
    [MF__CS_UTF16LE] = "utf-16le",
    [MF__CS_UTF16BE] = "utf-16be",
    [MF__CS_UTF32] = "utf-32",
    [MF__CS_UTF32LE] = "utf-32le",
    [MF__CS_UTF32BE] = "utf-32be",
    [ID_8859(1)] = "iso-8859-1",
    [ID_8859(2)] = "iso-8859-2",
    [ID_8859(3)] = "iso-8859-3",
    [ID_8859(4)] = "iso-8859-4",
    [ID_8859(5)] = "iso-8859-5",
    [ID_8859(6)] = "iso-8859-6",
    [ID_8859(7)] = "iso-8859-7",
    [ID_8859(8)] = "iso-8859-8",
    [ID_8859(9)] = "iso-8859-9",
    [ID_8859(10)] = "iso-8859-10",
    [ID_8859(11)] = "iso-8859-11",
    [ID_8859(13)] = "iso-8859-13",
    [ID_8859(14)] = "iso-8859-14",
    [ID_8859(15)] = "iso-8859-15",
    [ID_8859(16)] = "iso-8859-16",
    [ID_CP(1250)] = "windows-1250",
    [ID_CP(1251)] = "windows-1251",
    [ID_CP(1252)] = "windows-1252",
    [ID_CP(1253)] = "windows-1253",
    [ID_CP(1254)] = "windows-1254",
    [ID_CP(1255)] = "windows-1255",
    [ID_CP(1256)] = "windows-1256",
    [ID_CP(1257)] = "windows-1257",
    [ID_CP(1258)] = "windows-1258",
    [ID_KOI8R] = "koi8-r",
    [ID_KOI8U] = "koi8-u",
};

/* High halves of the single-byte charsets, indexed by id - MF__CS_SB. */
static const uint16_t *const sb_tab[] = {
    tab_iso_8859_1,  tab_iso_8859_2,  tab_iso_8859_3,  tab_iso_8859_4,
    tab_iso_8859_5,  tab_iso_8859_6,  tab_iso_8859_7,  tab_iso_8859_8,
    tab_iso_8859_9,  tab_iso_8859_10, tab_iso_8859_11, tab_iso_8859_13,
    tab_iso_8859_14, tab_iso_8859_15, tab_iso_8859_16, tab_cp1250,
    tab_cp1251,      tab_cp1252,      tab_cp1253,      tab_cp1254,
    tab_cp1255,      tab_cp1256,      tab_cp1257,      tab_cp1258,
    tab_koi8_r,      tab_koi8_u,
};

/*
 * Aliases that the patterns in pattern_id() do not cover, sorted by name
 * (strcmp order; a test checks). For charsets without a built-in
 * converter, mime is the canonical name and iconv the converter iconv is
 * asked for when decoding: where MUAs decode a label as a superset, so do
 * we (gb2312 and gbk as GB18030, euc-kr and ks_c_5601-1987 as CP949
 * (UHC), shift_jis as CP932, iso-2022-jp as ISO-2022-JP-2). Encoding
 * uses the canonical name, i.e. the strict set, except for shift_jis,
 * written as CP932 (the set senders use, and the one that reads back the
 * same: strict Shift_JIS maps 0x5C to the yen sign).
 */
struct alias {
	const char *name;
	int id;
	const char *mime;     /* MF__CS_EXT only */
	const char *iconv;    /* MF__CS_EXT only: to decode */
	const char *iconv_to; /* MF__CS_EXT only: to encode (NULL: mime) */
};

#define EXT(m, i) MF__CS_EXT, m, i, NULL
#define SJIS MF__CS_EXT, "shift_jis", "CP932", "CP932"
#define B(id) id, NULL, NULL, NULL

static const struct alias aliases[] = {
    {"646", B(MF__CS_ASCII)},
    {"ansi_x3.4-1968", B(MF__CS_ASCII)},
    {"ansi_x3.4-1986", B(MF__CS_ASCII)},
    {"arabic", B(ID_8859(6))},
    {"ascii", B(MF__CS_ASCII)},
    {"asmo-708", B(ID_8859(6))},
    {"big5", EXT("big5", "BIG5")},
    {"big5-hkscs", EXT("big5-hkscs", "BIG5-HKSCS")},
    {"chinese", EXT("gb2312", "GB18030")},
    {"cn-big5", EXT("big5", "BIG5")},
    {"cp367", B(MF__CS_ASCII)},
    {"cp819", B(ID_8859(1))},
    {"cp866", EXT("ibm866", "IBM866")},
    {"cp874", EXT("windows-874", "CP874")},
    {"cp932", SJIS},
    {"cp936", EXT("gbk", "GB18030")},
    {"cp949", EXT("euc-kr", "CP949")},
    {"cp950", EXT("big5", "BIG5")},
    {"csascii", B(MF__CS_ASCII)},
    {"csbig5", EXT("big5", "BIG5")},
    {"cseuckr", EXT("euc-kr", "CP949")},
    {"cseucpkdfmtjapanese", EXT("euc-jp", "EUC-JP")},
    {"csgb2312", EXT("gb2312", "GB18030")},
    {"csiso2022jp", EXT("iso-2022-jp", "ISO-2022-JP-2")},
    {"csiso2022kr", EXT("iso-2022-kr", "ISO-2022-KR")},
    {"csisolatin1", B(ID_8859(1))},
    {"csisolatin2", B(ID_8859(2))},
    {"csisolatin3", B(ID_8859(3))},
    {"csisolatin4", B(ID_8859(4))},
    {"csisolatin5", B(ID_8859(9))},
    {"csisolatin6", B(ID_8859(10))},
    {"csisolatinarabic", B(ID_8859(6))},
    {"csisolatincyrillic", B(ID_8859(5))},
    {"csisolatingreek", B(ID_8859(7))},
    {"csisolatinhebrew", B(ID_8859(8))},
    {"cskoi8r", B(ID_KOI8R)},
    {"csksc56011987", EXT("euc-kr", "CP949")},
    {"csshiftjis", SJIS},
    {"csutf8", B(MF__CS_UTF8)},
    {"cyrillic", B(ID_8859(5))},
    {"ecma-114", B(ID_8859(6))},
    {"ecma-118", B(ID_8859(7))},
    {"elot_928", B(ID_8859(7))},
    {"euc-cn", EXT("gb2312", "GB18030")},
    {"euc-jp", EXT("euc-jp", "EUC-JP")},
    {"euc-kr", EXT("euc-kr", "CP949")},
    {"eucjp", EXT("euc-jp", "EUC-JP")},
    {"euckr", EXT("euc-kr", "CP949")},
    {"gb18030", EXT("gb18030", "GB18030")},
    {"gb2312", EXT("gb2312", "GB18030")},
    {"gb_2312-80", EXT("gb2312", "GB18030")},
    {"gbk", EXT("gbk", "GB18030")},
    {"greek", B(ID_8859(7))},
    {"greek8", B(ID_8859(7))},
    {"hebrew", B(ID_8859(8))},
    {"ibm367", B(MF__CS_ASCII)},
    {"ibm819", B(ID_8859(1))},
    {"ibm866", EXT("ibm866", "IBM866")},
    {"iso-2022-jp", EXT("iso-2022-jp", "ISO-2022-JP-2")},
    {"iso-2022-kr", EXT("iso-2022-kr", "ISO-2022-KR")},
    {"iso-ir-100", B(ID_8859(1))},
    {"iso-ir-101", B(ID_8859(2))},
    {"iso-ir-109", B(ID_8859(3))},
    {"iso-ir-110", B(ID_8859(4))},
    {"iso-ir-126", B(ID_8859(7))},
    {"iso-ir-127", B(ID_8859(6))},
    {"iso-ir-138", B(ID_8859(8))},
    {"iso-ir-144", B(ID_8859(5))},
    {"iso-ir-148", B(ID_8859(9))},
    {"iso-ir-149", EXT("euc-kr", "CP949")},
    {"iso-ir-157", B(ID_8859(10))},
    {"iso-ir-199", B(ID_8859(14))},
    {"iso-ir-226", B(ID_8859(16))},
    {"iso-ir-58", EXT("gb2312", "GB18030")},
    {"iso-ir-6", B(MF__CS_ASCII)},
    {"iso646-us", B(MF__CS_ASCII)},
    {"iso_646.irv:1991", B(MF__CS_ASCII)},
    {"koi8", B(ID_KOI8R)},
    {"koi8-r", B(ID_KOI8R)},
    {"koi8-ru", B(ID_KOI8U)},
    {"koi8-u", B(ID_KOI8U)},
    {"koi8r", B(ID_KOI8R)},
    {"koi8u", B(ID_KOI8U)},
    {"korean", EXT("euc-kr", "CP949")},
    {"ks_c_5601-1987", EXT("euc-kr", "CP949")},
    {"ks_c_5601-1989", EXT("euc-kr", "CP949")},
    {"ksc5601", EXT("euc-kr", "CP949")},
    {"ksc_5601", EXT("euc-kr", "CP949")},
    {"l1", B(ID_8859(1))},
    {"l10", B(ID_8859(16))},
    {"l2", B(ID_8859(2))},
    {"l3", B(ID_8859(3))},
    {"l4", B(ID_8859(4))},
    {"l5", B(ID_8859(9))},
    {"l6", B(ID_8859(10))},
    {"l7", B(ID_8859(13))},
    {"l8", B(ID_8859(14))},
    {"l9", B(ID_8859(15))},
    {"latin1", B(ID_8859(1))},
    {"latin10", B(ID_8859(16))},
    {"latin2", B(ID_8859(2))},
    {"latin3", B(ID_8859(3))},
    {"latin4", B(ID_8859(4))},
    {"latin5", B(ID_8859(9))},
    {"latin6", B(ID_8859(10))},
    {"latin7", B(ID_8859(13))},
    {"latin8", B(ID_8859(14))},
    {"latin9", B(ID_8859(15))},
    {"mac", EXT("macintosh", "MACINTOSH")},
    {"mac-cyrillic", EXT("x-mac-cyrillic", "MAC-CYRILLIC")},
    {"macintosh", EXT("macintosh", "MACINTOSH")},
    {"ms-ansi", B(ID_CP(1252))},
    {"ms-arab", B(ID_CP(1256))},
    {"ms-cyrl", B(ID_CP(1251))},
    {"ms-ee", B(ID_CP(1250))},
    {"ms-greek", B(ID_CP(1253))},
    {"ms-hebr", B(ID_CP(1255))},
    {"ms-turk", B(ID_CP(1254))},
    {"ms932", SJIS},
    {"ms936", EXT("gbk", "GB18030")},
    {"ms_kanji", SJIS},
    {"shift-jis", SJIS},
    {"shift_jis", SJIS},
    {"sjis", SJIS},
    {"tis-620", B(ID_8859(11))},
    {"tis620", B(ID_8859(11))},
    {"uhc", EXT("euc-kr", "CP949")},
    {"unicode-1-1-utf-8", B(MF__CS_UTF8)},
    {"unicode-2-0-utf-8", B(MF__CS_UTF8)},
    {"unicode20utf8", B(MF__CS_UTF8)},
    {"us", B(MF__CS_ASCII)},
    {"us-ascii", B(MF__CS_ASCII)},
    {"utf-16", B(MF__CS_UTF16)},
    {"utf-16be", B(MF__CS_UTF16BE)},
    {"utf-16le", B(MF__CS_UTF16LE)},
    {"utf-32", B(MF__CS_UTF32)},
    {"utf-32be", B(MF__CS_UTF32BE)},
    {"utf-32le", B(MF__CS_UTF32LE)},
    {"utf-7", EXT("utf-7", "UTF-7")},
    {"utf-8", B(MF__CS_UTF8)},
    {"utf16", B(MF__CS_UTF16)},
    {"utf16be", B(MF__CS_UTF16BE)},
    {"utf16le", B(MF__CS_UTF16LE)},
    {"utf32", B(MF__CS_UTF32)},
    {"utf32be", B(MF__CS_UTF32BE)},
    {"utf32le", B(MF__CS_UTF32LE)},
    {"utf7", EXT("utf-7", "UTF-7")},
    {"utf8", B(MF__CS_UTF8)},
    {"winbaltrim", B(ID_CP(1257))},
    {"windows-31j", SJIS},
    {"windows-874", EXT("windows-874", "CP874")},
    {"windows-936", EXT("gbk", "GB18030")},
    {"windows-949", EXT("euc-kr", "CP949")},
};

#undef EXT
#undef SJIS
#undef B

size_t
mf__cs_alias_count(void)
{
	return sizeof(aliases) / sizeof(aliases[0]);
}

const char *
mf__cs_alias_name(size_t i)
{
	return i < mf__cs_alias_count() ? aliases[i].name : NULL;
}

static const struct alias *
alias_find(const char *s)
{
	size_t lo = 0, hi = sizeof(aliases) / sizeof(aliases[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s, aliases[mid].name);

		if (c == 0)
			return &aliases[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Skips one optional separator ("-", "_" or " "). */
static const char *
opt_sep(const char *p)
{
	return (*p == '-' || *p == '_' || *p == ' ') ? p + 1 : p;
}

/*
 * The families spelt in many ways: iso-8859-N in any of iso8859-N,
 * iso_8859-N, iso88591, iso_8859-N:YYYY, iso-8859-N-i/-e; windows-125N as
 * windows125N, cp125N, cp-125N, win-125N, ms-125N. s is lower case and
 * NUL-terminated. Returns the id or MF__CS_NONE.
 */
static int
pattern_id(const char *s)
{
	const char *p;
	int n = 0;

	if (strncmp(s, "iso", 3) == 0) {
		p = opt_sep(s + 3);
		if (strncmp(p, "8859", 4) != 0)
			return MF__CS_NONE;
		p = opt_sep(p + 4);
		if (!is_digit(*p))
			return MF__CS_NONE;
		while (is_digit(*p) && n < 100)
			n = n * 10 + (*p++ - '0');
		if (n < 1 || n > 16 || n == 12)
			return MF__CS_NONE;
		if (*p == ':') { /* the IANA ISO_8859-N:YYYY aliases */
			p++;
			if (!is_digit(*p))
				return MF__CS_NONE;
			while (is_digit(*p))
				p++;
		} else if ((n == 6 || n == 8) &&
			   (strcmp(p, "-i") == 0 || strcmp(p, "-e") == 0)) {
			p += 2; /* RFC 1556 bidi variants: same repertoire */
		}
		return *p == '\0' ? ID_8859(n) : MF__CS_NONE;
	}
	if (strncmp(s, "windows", 7) == 0)
		p = s + 7;
	else if (strncmp(s, "cp", 2) == 0 || strncmp(s, "ms", 2) == 0)
		p = s + 2;
	else if (strncmp(s, "win", 3) == 0)
		p = s + 3;
	else
		return MF__CS_NONE;
	p = opt_sep(p);
	if (strncmp(p, "125", 3) != 0 || p[3] < '0' || p[3] > '8' ||
	    p[4] != '\0')
		return MF__CS_NONE;
	return ID_CP(1250 + (p[3] - '0'));
}

/*
 * Characters allowed in a charset label (RFC 2978 mime-charset-chars, and
 * the space of "iso 8859-1"), lower-cased; 0 for the others.
 */
#define LC(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))
#define LABEL(c)                                                               \
	((((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') ||         \
	  ((c) >= 'a' && (c) <= 'z') || (c) == '-' || (c) == '_' ||             \
	  (c) == '.' || (c) == ':' || (c) == '+' || (c) == '(' || (c) == ')' || \
	  (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || \
	  (c) == '\'' || (c) == '^' || (c) == '`' || (c) == '{' ||             \
	  (c) == '}' || (c) == '~' || (c) == ' ')                               \
	     ? LC(c)                                                           \
	     : 0)
#define L4(b) LABEL(b), LABEL((b) + 1), LABEL((b) + 2), LABEL((b) + 3)
#define L16(b) L4(b), L4((b) + 4), L4((b) + 8), L4((b) + 12)
#define L64(b) L16(b), L16((b) + 16), L16((b) + 32), L16((b) + 48)

static const unsigned char label_map[256] = {L64(0), L64(64)};

#undef LC
#undef LABEL
#undef L4
#undef L16
#undef L64

/* Looks s up among the aliases and patterns; NULL alias for patterns. */
static int
lookup(const char *s, const struct alias **al)
{
	const struct alias *a;
	int id;

	*al = NULL;
	id = pattern_id(s);
	if (id != MF__CS_NONE)
		return id;
	a = alias_find(s);
	if (a != NULL) {
		*al = a;
		return a->id;
	}
	return MF__CS_NONE;
}

void
mf__cs_resolve(mf__cs *c, const char *cs, size_t n)
{
	const struct alias *al;
	size_t i, b = 0, e = n;
	int id;

	c->id = MF__CS_NONE;
	c->iconv = NULL;
	c->label[0] = '\0';
	c->lablen = 0;
	if (cs == NULL)
		return;
	/* Trim whitespace, then one pair of quotes, then whitespace. */
	while (b < e && (mf__is((unsigned char)cs[b], MF__C_WSP) ||
			 cs[b] == '\r' || cs[b] == '\n'))
		b++;
	while (e > b && (mf__is((unsigned char)cs[e - 1], MF__C_WSP) ||
			 cs[e - 1] == '\r' || cs[e - 1] == '\n'))
		e--;
	if (e - b >= 2 && (cs[b] == '"' || cs[b] == '\'') &&
	    cs[e - 1] == cs[b]) {
		b++;
		e--;
		while (b < e && mf__is((unsigned char)cs[b], MF__C_WSP))
			b++;
		while (e > b && mf__is((unsigned char)cs[e - 1], MF__C_WSP))
			e--;
	}
	if (e == b || e - b >= sizeof(c->label))
		return;
	for (i = b; i < e; i++) {
		unsigned char ch = label_map[(unsigned char)cs[i]];

		if (ch == 0)
			return;
		c->label[i - b] = (char)ch;
	}
	c->lablen = e - b;
	c->label[c->lablen] = '\0';

	/* The most frequent labels first. */
	if (c->lablen == 5 && memcmp(c->label, "utf-8", 5) == 0) {
		c->id = MF__CS_UTF8;
		return;
	}
	id = lookup(c->label, &al);
	if (id == MF__CS_NONE && c->lablen > 2 && c->label[0] == 'x' &&
	    (c->label[1] == '-' || c->label[1] == '_'))
		id = lookup(c->label + 2, &al); /* x-cp1252, x-sjis, ... */
	if (id == MF__CS_NONE) {
		c->id = MF__CS_EXT; /* maybe the hook or iconv knows it */
		return;
	}
	c->id = id;
	if (al != NULL && id == MF__CS_EXT)
		c->iconv = al->iconv;
}

/*
 * The alias entry of an external charset (its label, or the label without
 * an "x" prefix), or NULL.
 */
static const struct alias *
ext_alias(const mf__cs *c)
{
	const struct alias *al;

	if (lookup(c->label, &al) == MF__CS_EXT && al != NULL)
		return al;
	if (c->lablen > 2 && c->label[0] == 'x' &&
	    lookup(c->label + 2, &al) == MF__CS_EXT && al != NULL)
		return al;
	return NULL;
}

/* The canonical name of a resolved charset, or NULL. */
const char *
mf__cs_mime(const mf__cs *c)
{
	const struct alias *al;

	if (c->id > MF__CS_EXT && c->id <= ID_LAST)
		return builtin_name[c->id];
	if (c->id != MF__CS_EXT)
		return NULL;
	al = ext_alias(c);
	return al != NULL ? al->mime : NULL;
}

#if MF_HAVE_ICONV
/* The iconv name to encode to for an external charset. */
static const char *
cs_iconv_to(const mf__cs *c)
{
	const struct alias *al = ext_alias(c);

	if (al == NULL)
		return NULL;
	return al->iconv_to != NULL ? al->iconv_to : al->mime;
}
#endif

bool
mf__cs_is_unicode(const mf__cs *c)
{
	return c->id >= MF__CS_UTF8 && c->id <= MF__CS_UTF32BE;
}

/* ---------------------------------------------------------------------- */
/* Output writer: a cursor into an mf_buf's storage                        */
/* ---------------------------------------------------------------------- */

struct wr {
	mf_buf *b;
	unsigned char *p, *end; /* end leaves room for the NUL */
};

static void
wr_sync(struct wr *w)
{
	if (w->b->data != NULL) {
		w->b->len = (size_t)((char *)w->p - w->b->data);
		w->b->data[w->b->len] = '\0';
	}
}

static void
wr_reset(struct wr *w)
{
	w->p = (unsigned char *)w->b->data + w->b->len;
	w->end = (unsigned char *)w->b->data + w->b->cap - 1;
}

static int
wr_init(struct wr *w, mf_buf *b, size_t hint)
{
	int rc;

	w->b = b;
	rc = mf__buf_grow(b, hint);
	if (rc < 0)
		return rc;
	wr_reset(w);
	return MF_OK;
}

static int
wr_grow(struct wr *w, size_t k)
{
	int rc;

	wr_sync(w);
	rc = mf__buf_grow(w->b, k);
	if (rc < 0)
		return rc;
	wr_reset(w);
	return MF_OK;
}

MF__INLINE int
wr_need(struct wr *w, size_t k)
{
	if (MF__UNLIKELY((size_t)(w->end - w->p) < k))
		return wr_grow(w, k);
	return MF_OK;
}

/* Writes code point cp as UTF-8; room for 4 bytes must be there. */
MF__INLINE void
wr_cp(struct wr *w, uint32_t cp)
{
	unsigned char *o = w->p;

	if (cp < 0x80) {
		*o++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*o++ = (unsigned char)(0xC0 | (cp >> 6));
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			cp = 0xFFFD;
		*o++ = (unsigned char)(0xE0 | (cp >> 12));
		*o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp <= 0x10FFFF) {
		*o++ = (unsigned char)(0xF0 | (cp >> 18));
		*o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = 0xEF;
		*o++ = 0xBF;
		*o++ = 0xBD;
	}
	w->p = o;
}

/* Length of the run of ASCII bytes at the start of p[0..n). */
static size_t
ascii_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if (v & 0x8080808080808080ull)
			break;
		i += 8;
	}
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

static void
note_bad(size_t *bad, size_t off)
{
	if (*bad == MF__CS_NOBAD)
		*bad = off;
}

/* Copies an ASCII run in bulk. */
MF__INLINE int
wr_ascii(struct wr *w, const unsigned char *p, size_t k)
{
	int rc = wr_need(w, k);

	if (rc < 0)
		return rc;
	memcpy(w->p, p, k);
	w->p += k;
	return MF_OK;
}

/*
 * The start of each step of the converters: copies the run of ASCII bytes
 * at in[*i..n) in bulk, advancing *i; then, unless that ended the input,
 * makes room for need more bytes.
 */
MF__INLINE int
wr_ascii_step(struct wr *w, const unsigned char *in, size_t n, size_t *i,
              size_t need)
{
	size_t k = ascii_run(in + *i, n - *i);
	int rc;

	if (k) {
		rc = wr_ascii(w, in + *i, k);
		if (rc < 0)
			return rc;
		*i += k;
		if (*i == n)
			return MF_OK;
	}
	return wr_need(w, need);
}

/* A truncated last unit at `at`: U+FFFD, noted in *bad. */
static int
wr_truncated(struct wr *w, size_t at, size_t *bad)
{
	int rc = wr_need(w, 3);

	if (rc < 0)
		return rc;
	note_bad(bad, at);
	wr_cp(w, 0xFFFD);
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Decoders to UTF-8                                                       */
/* ---------------------------------------------------------------------- */

/* UTF-8 with each invalid byte replaced by U+FFFD (RFC 3629). */
static int
dec_utf8(struct wr *w, const unsigned char *in, size_t n, size_t base,
	 size_t *bad)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		size_t k;

		rc = wr_ascii_step(w, in, n, &i, 4);
		if (rc < 0)
			return rc;
		if (i == n)
			break;
		k = mf__utf8_seq(in + i, n - i);
		if (k == 0) {
			note_bad(bad, base + i);
			wr_cp(w, 0xFFFD);
			i++;
		} else {
			memcpy(w->p, in + i, k);
			w->p += k;
			i += k;
		}
	}
	return MF_OK;
}

/*
 * Single-byte table. fill_c1: a byte the table leaves undefined maps to the
 * C1 control of the same value (iso-8859-1 read as windows-1252).
 */
static int
dec_sb(struct wr *w, const uint16_t *tab, bool fill_c1,
       const unsigned char *in, size_t n, size_t *bad)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		uint32_t cp;

		rc = wr_ascii_step(w, in, n, &i, 3);
		if (rc < 0)
			return rc;
		if (i == n)
			break;
		cp = tab[in[i] - 0x80];
		if (cp == 0xFFFD) {
			if (fill_c1)
				cp = in[i];
			else
				note_bad(bad, i);
		}
		wr_cp(w, cp);
		i++;
	}
	return MF_OK;
}


/* us-ascii: see the policy at the top of the file. */
static int
dec_ascii(struct wr *w, const unsigned char *in, size_t n, size_t *bad)
{
	size_t k = ascii_run(in, n), none = MF__CS_NOBAD;

	if (k == n)
		return wr_ascii(w, in, n);
	note_bad(bad, k);
	if (mf__utf8_valid((const char *)in + k, n - k))
		return wr_ascii(w, in, n); /* valid UTF-8: copied as is */
	return dec_sb(w, tab_cp1252, true, in, n, &none);
}

int
mf__wide_order(const unsigned char *p, size_t n, unsigned unit, size_t *bom)
{
	size_t i, lo = 0, hi = 0;

	*bom = 0;
	if (unit == 2 && n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
		*bom = 2;
		return 0;
	}
	if (unit == 2 && n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
		*bom = 2;
		return 1;
	}
	if (unit == 4 && n >= 4 && p[0] == 0 && p[1] == 0 && p[2] == 0xFE &&
	    p[3] == 0xFF) {
		*bom = 4;
		return 0;
	}
	if (unit == 4 && n >= 4 && p[0] == 0xFF && p[1] == 0xFE &&
	    p[2] == 0 && p[3] == 0) {
		*bom = 4;
		return 1;
	}
	if (n > MF__WIDE_SAMPLE)
		n = MF__WIDE_SAMPLE;
	/* Units whose first or last byte alone is zero. */
	for (i = 0; i + unit <= n; i += unit) {
		bool first = p[i] == 0, last = p[i + unit - 1] == 0;

		lo += last && !first;
		hi += first && !last;
	}
	return lo > hi;
}

/* UTF-16; order 0 big-endian, 1 little-endian, -1 from the data. */
static int
dec_utf16(struct wr *w, const unsigned char *in, size_t n, int order,
	  size_t *bad)
{
	size_t i = 0;
	int rc;

	if (order < 0)
		order = mf__wide_order(in, n, 2, &i);
	while (i + 1 < n) {
		uint32_t u, u2;
		size_t at = i;

		rc = wr_need(w, 4);
		if (rc < 0)
			return rc;
		u = order ? (uint32_t)(in[i] | in[i + 1] << 8)
			  : (uint32_t)(in[i] << 8 | in[i + 1]);
		i += 2;
		if (u >= 0xD800 && u <= 0xDFFF) {
			if (u <= 0xDBFF && i + 1 < n) {
				u2 = order ? (uint32_t)(in[i] | in[i + 1] << 8)
					   : (uint32_t)(in[i] << 8 | in[i + 1]);
				if (u2 >= 0xDC00 && u2 <= 0xDFFF) {
					i += 2;
					wr_cp(w, 0x10000 + ((u - 0xD800) << 10) +
						     (u2 - 0xDC00));
					continue;
				}
			}
			note_bad(bad, at);
			u = 0xFFFD;
		}
		wr_cp(w, u);
	}
	/* An odd trailing byte. */
	return i < n ? wr_truncated(w, i, bad) : MF_OK;
}

/* UTF-32; order as for UTF-16. */
static int
dec_utf32(struct wr *w, const unsigned char *in, size_t n, int order,
	  size_t *bad)
{
	size_t i = 0;
	int rc;

	if (order < 0)
		order = mf__wide_order(in, n, 4, &i);
	while (i + 3 < n) {
		uint32_t u;

		rc = wr_need(w, 4);
		if (rc < 0)
			return rc;
		if (order)
			u = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8 |
			    (uint32_t)in[i + 2] << 16 | (uint32_t)in[i + 3] << 24;
		else
			u = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 |
			    (uint32_t)in[i + 2] << 8 | (uint32_t)in[i + 3];
		if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF)) {
			note_bad(bad, i);
			u = 0xFFFD;
		}
		wr_cp(w, u);
		i += 4;
	}
	return i < n ? wr_truncated(w, i, bad) : MF_OK;
}

static int
dec_builtin(struct wr *w, int id, const unsigned char *in, size_t n,
	    size_t *bad)
{
	switch (id) {
	case MF__CS_ASCII:
		return dec_ascii(w, in, n, bad);
	case MF__CS_UTF8:
		return dec_utf8(w, in, n, 0, bad);
	case MF__CS_UTF16:
		return dec_utf16(w, in, n, -1, bad);
	case MF__CS_UTF16LE:
		return dec_utf16(w, in, n, 1, bad);
	case MF__CS_UTF16BE:
		return dec_utf16(w, in, n, 0, bad);
	case MF__CS_UTF32:
		return dec_utf32(w, in, n, -1, bad);
	case MF__CS_UTF32LE:
		return dec_utf32(w, in, n, 1, bad);
	case MF__CS_UTF32BE:
		return dec_utf32(w, in, n, 0, bad);
	default:
		break;
	}
	if (id == ID_8859(1)) /* read as windows-1252: see the policy */
		return dec_sb(w, tab_cp1252, true, in, n, bad);
	return dec_sb(w, sb_tab[id - MF__CS_SB], false, in, n, bad);
}

/* ---------------------------------------------------------------------- */
/* iconv (optional)                                                        */
/* ---------------------------------------------------------------------- */

#if MF_HAVE_ICONV
/*
 * Converts with iconv from charset `from` to `to`; one of them is UTF-8.
 * Invalid or unmappable input becomes U+FFFD (to UTF-8) or '?' (from
 * UTF-8, converted through iconv so that stateful charsets stay
 * consistent). MF_E_CHARSET when iconv does not know the pair.
 */
static int
iconv_run(struct wr *w, const char *to, const char *from,
	  const unsigned char *in, size_t n, bool to_utf8, size_t *bad)
{
	iconv_t cd = iconv_open(to, from);
	char *ip = (char *)(uintptr_t)in;
	size_t il = n;
	int rc = MF_OK;

	if (cd == (iconv_t)-1)
		return MF_E_CHARSET;
	for (;;) {
		bool flush = il == 0; /* last round: back to the initial state */
		char *op;
		size_t ol, r;

		rc = wr_need(w, il + il / 2 + 16);
		if (rc < 0)
			break;
		op = (char *)w->p;
		ol = (size_t)(w->end - w->p);
		if (flush)
			r = iconv(cd, NULL, NULL, &op, &ol);
		else
			r = iconv(cd, &ip, &il, &op, &ol);
		w->p = (unsigned char *)op;
		if (r != (size_t)-1) {
			if (flush)
				break;
			continue;
		}
		if (errno == E2BIG)
			continue; /* the next round makes room */
		if (flush)
			break;
		/* EILSEQ, EINVAL (incomplete at the end) or other trouble. */
		note_bad(bad, n - il);
		rc = wr_need(w, 16);
		if (rc < 0)
			break;
		if (to_utf8) {
			wr_cp(w, 0xFFFD);
			ip++;
			il--;
		} else {
			char q[1] = {'?'};
			char *qp = q;
			size_t ql = 1, k;

			op = (char *)w->p;
			ol = (size_t)(w->end - w->p);
			(void)iconv(cd, &qp, &ql, &op, &ol);
			w->p = (unsigned char *)op;
			k = mf__utf8_seq((const unsigned char *)ip, il);
			k = k ? k : 1;
			ip += k;
			il -= k;
		}
	}
	iconv_close(cd);
	return rc;
}
#endif

/* ---------------------------------------------------------------------- */
/* Conversions appended to a buffer                                        */
/* ---------------------------------------------------------------------- */

/*
 * One conversion: a built-in converter (id, to UTF-8 or from it), or with
 * MF__CS_EXT iconv from `from` to `to`.
 */
struct conv {
	int id;
	bool to_utf8;
	const char *to, *from; /* MF__CS_EXT only */
};

static int enc_builtin(struct wr *w, int id, const unsigned char *in, size_t n,
                       size_t *bad);

/*
 * Appends the conversion cv of in[0..n) to out through a writer. *bad:
 * the first invalid or unmappable byte, or MF__CS_NOBAD. On failure out is
 * cut back to where it was and *bad is MF__CS_NOBAD. Every converter runs
 * through here.
 */
static int
conv_buf(mf_buf *out, const struct conv *cv, const unsigned char *in, size_t n,
         size_t *bad)
{
	size_t start = out->len;
	struct wr w;
	int rc;

	*bad = MF__CS_NOBAD;
	rc = wr_init(&w, out, n);
	if (rc == MF_OK) {
		if (cv->id == MF__CS_EXT)
#if MF_HAVE_ICONV
			rc = iconv_run(&w, cv->to, cv->from, in, n, cv->to_utf8,
			               bad);
#else
			rc = MF_E_CHARSET;
#endif
		else if (cv->to_utf8)
			rc = dec_builtin(&w, cv->id, in, n, bad);
		else
			rc = enc_builtin(&w, cv->id, in, n, bad);
	}
	if (rc < 0) {
		mf__buf_cut(out, start);
		*bad = MF__CS_NOBAD;
		return rc;
	}
	wr_sync(&w);
	return MF_OK;
}

/* Built-in conversion of in[0..n) to UTF-8 (see conv_buf). */
static int
dec_buf(mf_buf *out, int id, const void *in, size_t n, size_t *bad)
{
	const struct conv cv = {id, true, NULL, NULL};

	return conv_buf(out, &cv, in, n, bad);
}

static int ensure_utf8(mf_buf *out, size_t start, size_t *bad);

/* The caller's hook; its output is checked to be UTF-8. */
static int
dec_hook(mf_buf *out, const mf__cs *c, const char *in, size_t n,
	 const mf_opts *o, size_t *bad)
{
	size_t start = out->len;
	int rc;

	rc = o->charset_fn(o->charset_ctx, c->label, c->lablen, in, n, out);
	if (rc < 0) {
		mf__buf_cut(out, start);
		return rc;
	}
	return ensure_utf8(out, start, bad);
}

/*
 * Makes out[start..) valid UTF-8, for converters we do not control (the
 * hook; iconv, which passes glibc's 5- and 6-byte forms through).
 */
static int
ensure_utf8(mf_buf *out, size_t start, size_t *bad)
{
	size_t len = out->len - start;
	size_t ignored;
	char *copy;
	int rc;

	if (mf__utf8_valid(out->data + start, len))
		return MF_OK;
	copy = mf__alloc(&out->a, len);
	if (copy == NULL) {
		mf__buf_cut(out, start);
		return MF_E_NOMEM;
	}
	memcpy(copy, out->data + start, len);
	mf__buf_cut(out, start);
	rc = dec_buf(out, MF__CS_UTF8, copy, len, &ignored);
	if (rc == MF_OK)
		note_bad(bad, 0);
	mf__release(&out->a, copy);
	return rc;
}

int
mf__cs_decode(mf_buf *out, const mf__cs *c, const char *in, size_t n,
	      const mf_opts *o, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)in;
	int rc;

	*bad = MF__CS_NOBAD;
	if (c->id == MF__CS_NONE)
		return MF_E_CHARSET;
	if (c->id > MF__CS_EXT)
		return n == 0 ? MF_OK : dec_buf(out, c->id, u, n, bad);
	if (o != NULL && o->charset_fn != NULL) {
		rc = dec_hook(out, c, in, n, o, bad);
		if (rc != MF_E_CHARSET)
			return rc;
		*bad = MF__CS_NOBAD;
	}
#if MF_HAVE_ICONV
	{
		struct conv cv = {MF__CS_EXT, true, "UTF-8", c->iconv};
		size_t start = out->len;

		if (cv.from == NULL)
			cv.from = c->label;
		rc = conv_buf(out, &cv, u, n, bad);
		if (rc == MF_E_CHARSET && c->iconv == NULL &&
		    c->label[0] == 'x' && c->label[1] == '-') {
			cv.from = c->label + 2;
			rc = conv_buf(out, &cv, u, n, bad);
		}
		if (rc == MF_OK)
			rc = ensure_utf8(out, start, bad);
		if (rc < 0) {
			mf__buf_cut(out, start);
			*bad = MF__CS_NOBAD;
			return rc;
		}
		return MF_OK;
	}
#else
	return MF_E_CHARSET;
#endif
}

int
mf__cs_guess(mf_buf *out, const char *in, size_t n, size_t *bad)
{
	*bad = MF__CS_NOBAD;
	if (n == 0)
		return MF_OK;
	/* us-ascii reads 8-bit text the way the policy says. */
	return dec_buf(out, MF__CS_ASCII, in, n, bad);
}

/* ---------------------------------------------------------------------- */
/* Encoders from UTF-8                                                     */
/* ---------------------------------------------------------------------- */

/*
 * Next code point of UTF-8 text at in[*i..n): advances *i; an invalid
 * byte gives U+FFFD (one byte consumed) and sets *bad.
 */
static uint32_t
next_cp(const unsigned char *in, size_t n, size_t *i, size_t *bad)
{
	const unsigned char *p = in + *i;
	size_t k = mf__utf8_seq(p, n - *i);

	switch (k) {
	case 1:
		*i += 1;
		return p[0];
	case 2:
		*i += 2;
		return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
	case 3:
		*i += 3;
		return (uint32_t)(p[0] & 0x0F) << 12 |
		       (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
	case 4:
		*i += 4;
		return (uint32_t)(p[0] & 0x07) << 18 |
		       (uint32_t)(p[1] & 0x3F) << 12 |
		       (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
	default:
		note_bad(bad, *i);
		*i += 1;
		return 0xFFFD;
	}
}

/* Single-byte charset by reverse lookup; tab NULL: us-ascii. */
static int
enc_sb(struct wr *w, const uint16_t *tab, const unsigned char *in, size_t n,
       size_t *bad)
{
	size_t i = 0;
	int rc;

	while (i < n) {
		size_t at;
		uint32_t cp;
		int b;

		rc = wr_ascii_step(w, in, n, &i, 1);
		if (rc < 0)
			return rc;
		if (i == n)
			break;
		at = i;
		cp = next_cp(in, n, &i, bad);
		for (b = 0; tab != NULL && b < 128; b++) {
			if (tab[b] == cp && cp != 0xFFFD)
				break;
		}
		/* No C1 controls in latin1: they would read back as
		 * windows-1252 (see the policy above). */
		if (tab == NULL || (tab == tab_iso_8859_1 && cp < 0xA0))
			b = 128;
		if (b == 128) {
			note_bad(bad, at);
			*w->p++ = '?';
		} else {
			*w->p++ = (unsigned char)(0x80 + b);
		}
	}
	return MF_OK;
}

/* UTF-16 (bits 16) or UTF-32 (bits 32); le: little-endian; bom: write one. */
static int
enc_wide(struct wr *w, int bits, bool le, bool bom, const unsigned char *in,
	 size_t n, size_t *bad)
{
	size_t i = 0;
	int rc;

	if (bom) {
		rc = wr_need(w, 4);
		if (rc < 0)
			return rc;
		if (bits == 16) {
			*w->p++ = 0xFE;
			*w->p++ = 0xFF;
		} else {
			*w->p++ = 0;
			*w->p++ = 0;
			*w->p++ = 0xFE;
			*w->p++ = 0xFF;
		}
	}
	while (i < n) {
		uint32_t cp = next_cp(in, n, &i, bad), units[2];
		size_t nu = 1, u;

		rc = wr_need(w, 8);
		if (rc < 0)
			return rc;
		units[0] = cp;
		if (bits == 16 && cp >= 0x10000) {
			units[0] = 0xD800 + ((cp - 0x10000) >> 10);
			units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
			nu = 2;
		}
		for (u = 0; u < nu; u++) {
			uint32_t v = units[u];
			int s;

			if (bits == 16) {
				*w->p++ = (unsigned char)(le ? v : v >> 8);
				*w->p++ = (unsigned char)(le ? v >> 8 : v);
				continue;
			}
			for (s = 0; s < 4; s++)
				*w->p++ = (unsigned char)(v >>
							  (le ? 8 * s
							      : 24 - 8 * s));
		}
	}
	return MF_OK;
}

static int
enc_builtin(struct wr *w, int id, const unsigned char *in, size_t n,
	    size_t *bad)
{
	switch (id) {
	case MF__CS_ASCII:
		return enc_sb(w, NULL, in, n, bad);
	case MF__CS_UTF8:
		return dec_utf8(w, in, n, 0, bad);
	case MF__CS_UTF16:
		return enc_wide(w, 16, false, true, in, n, bad);
	case MF__CS_UTF16LE:
		return enc_wide(w, 16, true, false, in, n, bad);
	case MF__CS_UTF16BE:
		return enc_wide(w, 16, false, false, in, n, bad);
	case MF__CS_UTF32:
		return enc_wide(w, 32, false, true, in, n, bad);
	case MF__CS_UTF32LE:
		return enc_wide(w, 32, true, false, in, n, bad);
	case MF__CS_UTF32BE:
		return enc_wide(w, 32, false, false, in, n, bad);
	default:
		break;
	}
	return enc_sb(w, sb_tab[id - MF__CS_SB], in, n, bad);
}

#if MF_HAVE_ICONV
/* Appends the iconv conversion of u[0..n) from `from` to `to`. */
static int
iconv_buf(mf_buf *out, const char *to, const char *from,
	  const unsigned char *u, size_t n, bool to_utf8, size_t *bad)
{
	const struct conv cv = {MF__CS_EXT, to_utf8, to, from};

	return conv_buf(out, &cv, u, n, bad);
}

/*
 * Encoding to a charset iconv converts, checked: what is written must
 * read back as the same text through the converter used to decode the
 * label (a superset for some). Characters for which it does not are
 * unmappable ('?'): strict Shift_JIS's yen sign at 0x5C, C1 controls in
 * EUC-KR, ESC in ISO 2022 text. The check runs per character only when
 * the whole text fails it.
 */
static int
enc_iconv(mf_buf *out, const mf__cs *c, const unsigned char *u, size_t n,
	  size_t *bad)
{
	const char *to = cs_iconv_to(c), *from = c->iconv;
	size_t start = out->len, k, b2 = MF__CS_NOBAD;
	mf_buf chk;
	int rc;

	if (to == NULL)
		to = c->label;
	if (from == NULL)
		from = c->label;
	rc = iconv_buf(out, to, "UTF-8", u, n, false, bad);
	if (rc < 0)
		return rc;
	mf__buf_init(&chk, &out->a);
	rc = iconv_buf(&chk, "UTF-8", from,
		       (const unsigned char *)out->data + start,
		       out->len - start, true, &b2);
	if (rc == MF_E_CHARSET || (rc == MF_OK && *bad == MF__CS_NOBAD &&
				   b2 == MF__CS_NOBAD && chk.len == n &&
				   (n == 0 || memcmp(chk.data, u, n) == 0))) {
		mf__buf_fini(&chk);
		return MF_OK; /* no decoder to check with, or it reads back */
	}
	mf__buf_cut(out, start);
	*bad = MF__CS_NOBAD;
	for (k = 0; k < n && rc >= 0;) {
		size_t l = mf__utf8_seq(u + k, n - k), at = out->len, cb;

		l = l ? l : 1;
		rc = iconv_buf(out, to, "UTF-8", u + k, l, false, &cb);
		if (rc < 0)
			break;
		mf_buf_clear(&chk);
		b2 = MF__CS_NOBAD;
		if (cb == MF__CS_NOBAD)
			rc = iconv_buf(&chk, "UTF-8", from,
				       (const unsigned char *)out->data + at,
				       out->len - at, true, &b2);
		if (rc < 0)
			break;
		if (cb != MF__CS_NOBAD || b2 != MF__CS_NOBAD || chk.len != l ||
		    memcmp(chk.data, u + k, l) != 0) {
			note_bad(bad, k);
			mf__buf_cut(out, at);
			rc = iconv_buf(out, to, "UTF-8",
				       (const unsigned char *)"?", 1, false,
				       &cb);
		}
		k += l;
	}
	mf__buf_fini(&chk);
	if (rc < 0)
		mf__buf_cut(out, start);
	return rc;
}
#endif

int
mf__cs_encode(mf_buf *out, const mf__cs *c, const char *in, size_t n,
	      size_t *bad)
{
	const unsigned char *u = (const unsigned char *)in;

	*bad = MF__CS_NOBAD;
	if (c->id == MF__CS_NONE)
		return MF_E_CHARSET;
	if (c->id > MF__CS_EXT) {
		const struct conv cv = {c->id, false, NULL, NULL};

		/* Nothing to write, but the byte order mark of utf-16/-32. */
		if (n == 0 && c->id != MF__CS_UTF16 && c->id != MF__CS_UTF32)
			return MF_OK;
		return conv_buf(out, &cv, u, n, bad);
	}
#if MF_HAVE_ICONV
	{
		int rc = enc_iconv(out, c, u, n, bad);

		if (rc < 0)
			*bad = MF__CS_NOBAD;
		return rc;
	}
#else
	return MF_E_CHARSET;
#endif
}

/* ---------------------------------------------------------------------- */
/* Public API                                                              */
/* ---------------------------------------------------------------------- */

typedef int cs_conv_fn(mf_buf *out, const mf__cs *c, const char *in,
		       size_t n, const mf_opts *o, size_t *bad);

static int
encode_adapter(mf_buf *out, const mf__cs *c, const char *in, size_t n,
	       const mf_opts *o, size_t *bad)
{
	(void)o;
	return mf__cs_encode(out, c, in, n, bad);
}

static int
convert(cs_conv_fn *fn, mf_buf *out, const char *cs, size_t cslen,
	const char *in, size_t n, const mf_opts *o, uint64_t *defects,
	mf_error *err)
{
	size_t start, bad;
	mf__cs c;
	int rc;

	if (out == NULL || (in == NULL && n != 0) || (cs == NULL && cslen))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (mf__opts_check(o, MF_STRICT, err) < 0)
		return MF_E_INVAL;
	if (in == NULL)
		in = ""; /* n is 0: no NULL arithmetic */
	start = out->len;
	mf__cs_resolve(&c, cs, cslen);
	rc = fn(out, &c, in, n, o, &bad);
	if (rc == MF_E_CHARSET)
		return mf__err(err, rc, 0, "unknown or unsupported charset");
	if (rc < 0)
		return mf__err(err, rc, 0, NULL);
	if (bad != MF__CS_NOBAD) {
		rc = mf__defect(o, defects, MF_D_CHARSET_INVALID, bad);
		if (rc < 0) {
			mf__buf_cut(out, start);
			return mf__err(err, rc, bad,
				       "invalid or unmappable byte sequence");
		}
	}
	return MF_OK;
}

int
mf_charset_to_utf8(mf_buf *out, const char *cs, size_t cslen, const char *in,
		   size_t n, const mf_opts *o, uint64_t *defects, mf_error *err)
{
	return convert(mf__cs_decode, out, cs, cslen, in, n, o, defects, err);
}

int
mf_charset_from_utf8(mf_buf *out, const char *cs, size_t cslen,
		     const char *in, size_t n, const mf_opts *o,
		     uint64_t *defects, mf_error *err)
{
	return convert(encode_adapter, out, cs, cslen, in, n, o, defects, err);
}

int
mf_charset_known(const char *cs, size_t cslen, const mf_opts *o)
{
	mf__cs c;

	if (cs == NULL)
		return 0;
	mf__cs_resolve(&c, cs, cslen);
	if (c.id == MF__CS_NONE)
		return 0;
	if (c.id > MF__CS_EXT)
		return 1;
	if (o != NULL && o->charset_fn != NULL) {
		mf_buf tmp;
		int rc;

		mf__buf_init(&tmp, &o->alloc);
		rc = o->charset_fn(o->charset_ctx, c.label, c.lablen, "", 0,
				   &tmp);
		mf__buf_fini(&tmp);
		if (rc != MF_E_CHARSET)
			return 1;
	}
#if MF_HAVE_ICONV
	{
		const char *name = c.iconv != NULL ? c.iconv : c.label;
		iconv_t cd = iconv_open("UTF-8", name);

		if (cd == (iconv_t)-1 && c.iconv == NULL &&
		    c.label[0] == 'x' && c.label[1] == '-')
			cd = iconv_open("UTF-8", c.label + 2);
		if (cd != (iconv_t)-1) {
			iconv_close(cd);
			return 1;
		}
	}
#endif
	return 0;
}

const char *
mf_charset_name(const char *cs, size_t cslen)
{
	mf__cs c;

	if (cs == NULL)
		return NULL;
	mf__cs_resolve(&c, cs, cslen);
	return mf__cs_mime(&c);
}

/* ---------------------------------------------------------------------- */
/* In-place helpers for the header codecs (ew.c, rfc2231.c)                */
/* ---------------------------------------------------------------------- */

int
mf__cs_convert_tail(mf_buf *out, size_t from, const mf__cs *c,
		    const mf_opts *o, size_t *bad, bool *unknown)
{
	const unsigned char *p;
	size_t len = out->len - from, k;
	char stack[512], *tmp;
	int rc;

	*bad = MF__CS_NOBAD;
	*unknown = false;
	if (len == 0)
		return MF_OK;
	p = (const unsigned char *)out->data + from;
	if (c == NULL || c->id == MF__CS_UTF8) {
		k = ascii_run(p, len);
		if (k == len || mf__utf8_valid((const char *)p + k, len - k))
			return MF_OK;
	} else if (c->id == MF__CS_ASCII && ascii_run(p, len) == len) {
		return MF_OK;
	}
	if (out->fixed && len > sizeof(stack) && c != NULL &&
	    c->id == MF__CS_EXT)
		return MF_E_NOMEM; /* iconv, the hook: no bound, no room */
	if (out->fixed && len > sizeof(stack)) {
		/*
		 * The caller's fixed storage (mf_addr_parse's scratch) has
		 * no memory but its own: the tail moves to the end of the
		 * room its conversion can take (a built-in converter writes
		 * at most 3 bytes a byte) and is converted forward from
		 * there. The output, at most 3 k bytes after k bytes read,
		 * stays before the bytes still to be read (3 k <= 2 len +
		 * k); a converter that wanted more would find the buffer
		 * full (it cannot move), never overwrite them.
		 */
		if (len > (SIZE_MAX - 1) / 3 || mf__buf_grow(out, 2 * len) < 0)
			return MF_E_NOMEM;
		tmp = out->data + from + 2 * len;
		memmove(tmp, p, len);
	} else {
		tmp = len <= sizeof(stack) ? stack : mf__alloc(&out->a, len);
		if (tmp == NULL)
			return MF_E_NOMEM;
		memcpy(tmp, p, len);
	}
	mf__buf_cut(out, from);
	if (c == NULL) {
		/* No charset: not UTF-8 (checked above), so windows-1252. */
		size_t none;

		for (k = 0; k < len;) {
			size_t l = mf__utf8_seq((const unsigned char *)tmp + k,
						len - k);
			if (l == 0)
				break;
			k += l;
		}
		*bad = k;
		/* iso-8859-1 is read as windows-1252 (policy above). */
		rc = dec_buf(out, ID_8859(1), tmp, len, &none);
	} else {
		rc = mf__cs_decode(out, c, tmp, len, o, bad);
		if (rc == MF_E_CHARSET) {
			*unknown = true;
			rc = mf__cs_guess(out, tmp, len, bad);
			*bad = MF__CS_NOBAD;
		}
	}
	if (tmp != stack && !out->fixed)
		mf__release(&out->a, tmp);
	if (rc < 0) {
		*bad = MF__CS_NOBAD;
		*unknown = false;
	}
	return rc;
}

int
mf__utf8_fix_nul(mf_buf *out, size_t from, bool *found)
{
	size_t len = out->len - from, k, nuls = 0;
	char *p;
	int rc;

	*found = false;
	if (len == 0 || memchr(out->data + from, 0, len) == NULL)
		return MF_OK;
	*found = true;
	for (k = 0; k < len; k++)
		nuls += out->data[from + k] == '\0';
	/* Each NUL grows by 2 bytes; rewrite from the end, in place. */
	rc = mf__buf_grow(out, 2 * nuls);
	if (rc < 0)
		return rc;
	p = out->data + from;
	k = len;
	{
		size_t o = len + 2 * nuls;

		while (k > 0) {
			char ch = p[--k];

			if (ch == '\0') {
				p[--o] = (char)0xBD;
				p[--o] = (char)0xBF;
				p[--o] = (char)0xEF;
			} else {
				p[--o] = ch;
			}
		}
	}
	out->len += 2 * nuls;
	out->data[out->len] = '\0';
	return MF_OK;
}
