/* SPDX-License-Identifier: MIT */
/*
 * mime.c - the MIME push engine (RFC 2045, RFC 2046 5.1, RFC 2046 5.2.1,
 * RFC 6532 3.5): header blocks through the header machine (header.h),
 * boundary delimiters, nested messages, streaming transfer decoding, and
 * the events of mf_parser_new(3). The one-shot tree (tree.c) is built
 * from these events; nothing else parses MIME structure.
 *
 * Input is consumed in windows: the caller's chunk, or the parser's carry
 * buffer, which holds the few bytes that might still turn out to start a
 * delimiter ("CRLF--boundary" cut by the end of a chunk: at most the
 * longest open boundary plus padding) or an unfinished short header line.
 * Memory is therefore bounded by the limits (nesting depth times the
 * longest header block), never by the size of a body.
 *
 * Boundaries (RFC 2046 5.1.1), and the policy for broken structure:
 *  - A delimiter is "--" + boundary at the start of a line, then optional
 *    transport padding (SP, HTAB; at most MAXPAD bytes) and the line end
 *    (LF or CRLF; a CR alone is content) or the end of input; "--" +
 *    boundary + "--" is the close delimiter. The line end before a
 *    delimiter belongs to it (the body before it ends without it); the one
 *    after a close delimiter begins the epilogue.
 *  - Lines are compared with every open boundary, innermost first (a hash
 *    of the open boundaries, so deep nesting costs nothing per line); an
 *    exact match wins. A delimiter of an enclosing multipart ends every
 *    part inside it (MF_D_NO_CLOSE_DELIM on multiparts that had not seen
 *    their close delimiter, MF_D_NO_START_DELIM on those that had not seen
 *    any). Delimiters are recognised in header blocks too: a part whose
 *    header is cut by a delimiter has an empty body.
 *  - Lenient match: while the innermost multipart is still in its
 *    preamble, a "--" line that matches no open boundary but whose text
 *    and the boundary parameter are prefixes of one another (the parameter
 *    has trailing characters the body lacks, or the other way round, as in
 *    an unterminated quoted value) is taken as its first delimiter and its
 *    text becomes an accepted boundary of the multipart
 *    (MF_D_BOUNDARY_MISMATCH). To keep text lines from matching, the
 *    shorter of the two must have 8 bytes or more, or the longer continue
 *    with a byte that cannot be in a boundary; lines of dashes alone never
 *    match. Trailing white space of the parameter is ignored (as Python
 *    does).
 *  - After the close delimiter the multipart's boundary is no longer
 *    matched: the rest up to an enclosing delimiter is epilogue.
 *  - A multipart without boundary parameter is a text/plain leaf
 *    (MF_D_NO_BOUNDARY). An empty boundary (boundary="") is accepted.
 *  - Content-Transfer-Encoding on multipart and message parts (RFC 2045
 *    6.4 allows only 7bit, 8bit and binary): a multipart with base64 or
 *    quoted-printable is still split on its boundary (mailers that write
 *    it never encode the body: the delimiters are plain text), with
 *    MF_D_MULTIPART_CTE. A message/rfc822 with such an encoding is kept as
 *    a leaf (its body really is encoded; decode it and parse the result),
 *    with MF_D_MULTIPART_CTE; message/global may be encoded (RFC 6532 3.5)
 *    and is then a leaf without defect.
 *  - message/rfc822, message/global and message/news contain a message,
 *    parsed recursively; message/partial, message/external-body and every
 *    other type are leaves.
 *  - Limits: a multipart or message part at depth max_depth is a leaf
 *    (MF_D_DEPTH_LIMIT); the part after the first max_parts of a message
 *    is a leaf holding everything up to the end of the message, no
 *    delimiter being recognised any more (MF_D_PART_LIMIT). With
 *    MF_STRICT both are MF_E_LIMIT and every defect is MF_E_DEFECT.
 *  - mbox (MF_MBOX): every line beginning with "From " ends the message
 *    and starts the next one, wherever it stands (as Python's mailbox
 *    and MimeKit read mboxes); the line end before it belongs to the
 *    From_ line's event, except right after a header field, whose line
 *    end is the field's (an empty line ending a header block right before
 *    a From_ line is the separator, not the end of the block). A From_
 *    line is kept up to max_field_len bytes; the rest of a longer one
 *    starts the body (MF_D_HEADER_LIMIT).
 *  - A header block whose first line is ">From " (an mbox writer's
 *    quoting of a forwarded message's From_ line) has it as its From_
 *    line (MF_D_MBOX_FROM), as MimeKit reads it.
 *  - Decoding (MF_DECODE): base64, quoted-printable and uuencode through
 *    the transfer decoder the content decoder uses (codec.h, mf__xfer),
 *    so a part decodes alike streamed and from the tree; a
 *    quoted-printable body ending in "=" ends with a soft line break
 *    whose line end went to the delimiter (no defect).
 *
 * The header machine only ever sees whole lines from their start (an
 * unfinished line without a colon is held back, up to max_field_len), so
 * it never has to hand bytes back, and special lines (delimiters, From_
 * lines) are looked at before it sees them.
 */
#include "mime.h"

#include "codec.h"
#include "header.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define MF__X86 1
#include <immintrin.h>
#endif

/* ---------------------------------------------------------------------- */
/* Line scanner: "\n" followed by two given bytes                          */
/* ---------------------------------------------------------------------- */

int
mf__scan_best(void)
{
#ifdef MF__X86
	if (mf_cpu_features() & MF_CPU_AVX2)
		return MF__SCAN_AVX2;
#if defined(__SSE2__)
	return MF__SCAN_SSE2;
#endif
#endif
	return MF__SCAN_SCALAR;
}

static size_t
scan_scalar(const char *p, size_t n, size_t i, unsigned char c1,
	    unsigned char c2, unsigned char d1, unsigned char d2)
{
	while (i + 2 < n) {
		const char *q = memchr(p + i, '\n', n - 2 - i);
		unsigned char a, b;

		if (q == NULL)
			break;
		i = (size_t)(q - p);
		a = (unsigned char)p[i + 1];
		b = (unsigned char)p[i + 2];
		if ((a == c1 && b == c2) || (a == d1 && b == d2))
			return i;
		i++;
	}
	return n;
}

#ifdef MF__X86
#if defined(__SSE2__)
static size_t
scan_sse2(const char *p, size_t n, size_t i, unsigned char c1,
	  unsigned char c2, unsigned char d1, unsigned char d2)
{
	const __m128i vn = _mm_set1_epi8('\n');
	const __m128i v1 = _mm_set1_epi8((char)c1), v2 = _mm_set1_epi8((char)c2);
	const __m128i w1 = _mm_set1_epi8((char)d1), w2 = _mm_set1_epi8((char)d2);

	while (i + 18 <= n) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i b = _mm_loadu_si128(
		    (const __m128i *)(const void *)(p + i + 1));
		__m128i c = _mm_loadu_si128(
		    (const __m128i *)(const void *)(p + i + 2));
		__m128i m = _mm_and_si128(
		    _mm_cmpeq_epi8(a, vn),
		    _mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(b, v1),
					       _mm_cmpeq_epi8(c, v2)),
				 _mm_and_si128(_mm_cmpeq_epi8(b, w1),
					       _mm_cmpeq_epi8(c, w2))));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);

		if (mask != 0)
			return i + (size_t)__builtin_ctz(mask);
		i += 16;
	}
	return scan_scalar(p, n, i, c1, c2, d1, d2);
}
#endif

__attribute__((target("avx2"))) static inline __m256i
match32(const char *q, __m256i vn, __m256i v1, __m256i v2, __m256i w1,
	__m256i w2, bool two)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)q);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(q + 1));
	__m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(q + 2));
	__m256i m = _mm256_and_si256(_mm256_cmpeq_epi8(b, v1),
				     _mm256_cmpeq_epi8(c, v2));

	if (two)
		m = _mm256_or_si256(m, _mm256_and_si256(_mm256_cmpeq_epi8(b, w1),
							_mm256_cmpeq_epi8(c, w2)));
	return _mm256_and_si256(m, _mm256_cmpeq_epi8(a, vn));
}

__attribute__((target("avx2"))) static size_t
scan_avx2(const char *p, size_t n, size_t i, unsigned char c1,
	  unsigned char c2, unsigned char d1, unsigned char d2)
{
	const __m256i vn = _mm256_set1_epi8('\n');
	const __m256i v1 = _mm256_set1_epi8((char)c1);
	const __m256i v2 = _mm256_set1_epi8((char)c2);
	const __m256i w1 = _mm256_set1_epi8((char)d1);
	const __m256i w2 = _mm256_set1_epi8((char)d2);
	bool two = c1 != d1 || c2 != d2;

	/* Two vectors per round: the loads are what costs. */
	while (i + 66 <= n) {
		__m256i m0 = match32(p + i, vn, v1, v2, w1, w2, two);
		__m256i m1 = match32(p + i + 32, vn, v1, v2, w1, w2, two);

		if (!_mm256_testz_si256(_mm256_or_si256(m0, m1),
					_mm256_or_si256(m0, m1))) {
			unsigned k = (unsigned)_mm256_movemask_epi8(m0);

			if (k != 0)
				return i + (size_t)__builtin_ctz(k);
			k = (unsigned)_mm256_movemask_epi8(m1);
			return i + 32 + (size_t)__builtin_ctz(k);
		}
		i += 64;
	}
	while (i + 34 <= n) {
		__m256i m = match32(p + i, vn, v1, v2, w1, w2, two);
		unsigned k = (unsigned)_mm256_movemask_epi8(m);

		if (k != 0)
			return i + (size_t)__builtin_ctz(k);
		i += 32;
	}
	return scan_scalar(p, n, i, c1, c2, d1, d2);
}
#endif

/* Two alternatives: "\n" c1 c2 or "\n" d1 d2 (pass d = c for one). */
static size_t
scan_nl(int path, const char *p, size_t n, size_t from, unsigned char c1,
	unsigned char c2, unsigned char d1, unsigned char d2)
{
	if (n < 3 || from >= n - 2)
		return n;
	switch (path) {
#ifdef MF__X86
	case MF__SCAN_AVX2:
		return scan_avx2(p, n, from, c1, c2, d1, d2);
#if defined(__SSE2__)
	case MF__SCAN_SSE2:
		return scan_sse2(p, n, from, c1, c2, d1, d2);
#endif
#endif
	default:
		return scan_scalar(p, n, from, c1, c2, d1, d2);
	}
}

size_t
mf__scan_nl2(int path, const char *p, size_t n, size_t from, unsigned char c1,
	     unsigned char c2)
{
	return scan_nl(path, p, n, from, c1, c2, c1, c2);
}

/*
 * The first i >= from with p[i] == '\n' and p[i + 1] one of set[0..3]
 * (repeat a byte to use fewer), or n: the line starts a header block
 * must look at (delimiters, From_ lines, the empty line).
 */
static size_t
scan_nl1_scalar(const char *p, size_t n, size_t i, const unsigned char *set)
{
	while (i + 1 < n) {
		const char *q = memchr(p + i, '\n', n - 1 - i);
		unsigned char c;

		if (q == NULL)
			break;
		i = (size_t)(q - p);
		c = (unsigned char)p[i + 1];
		if (c == set[0] || c == set[1] || c == set[2] || c == set[3])
			return i;
		i++;
	}
	return n;
}

#ifdef MF__X86
__attribute__((target("avx2"))) static size_t
scan_nl1_avx2(const char *p, size_t n, size_t i, const unsigned char *set)
{
	const __m256i vn = _mm256_set1_epi8('\n');
	const __m256i s0 = _mm256_set1_epi8((char)set[0]);
	const __m256i s1 = _mm256_set1_epi8((char)set[1]);
	const __m256i s2 = _mm256_set1_epi8((char)set[2]);
	const __m256i s3 = _mm256_set1_epi8((char)set[3]);

	while (i + 33 <= n) {
		__m256i a = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(p + i + 1));
		__m256i m = _mm256_or_si256(
		    _mm256_or_si256(_mm256_cmpeq_epi8(b, s0),
				    _mm256_cmpeq_epi8(b, s1)),
		    _mm256_or_si256(_mm256_cmpeq_epi8(b, s2),
				    _mm256_cmpeq_epi8(b, s3)));
		unsigned k = (unsigned)_mm256_movemask_epi8(
		    _mm256_and_si256(m, _mm256_cmpeq_epi8(a, vn)));

		if (k != 0)
			return i + (size_t)__builtin_ctz(k);
		i += 32;
	}
	return scan_nl1_scalar(p, n, i, set);
}
#endif

static size_t
scan_nl1(int path, const char *p, size_t n, size_t from,
	 const unsigned char *set)
{
#ifdef MF__X86
	if (path == MF__SCAN_AVX2)
		return scan_nl1_avx2(p, n, from, set);
#endif
	(void)path;
	return scan_nl1_scalar(p, n, from, set);
}

size_t
mf__scan_nl4(int path, const char *p, size_t n, size_t from, unsigned char c1,
	     unsigned char c2, unsigned char d1, unsigned char d2)
{
	return scan_nl(path, p, n, from, c1, c2, d1, d2);
}

size_t
mf__scan_nl1(int path, const char *p, size_t n, size_t from,
	     const unsigned char *set)
{
	return scan_nl1(path, p, n, from, set);
}


/* ---------------------------------------------------------------------- */
/* Parser state                                                            */
/* ---------------------------------------------------------------------- */

/* What the innermost open part is reading. */
enum {
	LS_HEADER,   /* its header block */
	LS_LEAF,     /* its body (a leaf) */
	LS_PREAMBLE, /* multipart, before the first delimiter */
	LS_CHILD,    /* multipart or message with a child open */
	LS_EPILOGUE  /* multipart, after the close delimiter */
};

#define MAXPAD 998u     /* transport padding accepted after a delimiter */
#define TAILMAX 4096u   /* white space looked at after a last delimiter */
#define NBUCKET 256u    /* open-boundary hash buckets */
#define DCAP 65536u     /* decoding output buffer */
#define STEP 65536u     /* bytes moved into the carry buffer at a time */
#define ARENA_KEEP 16384u /* level arena reused up to this size */

/* One open part. */
struct level {
	mf_part part;
	mf__arena ar;             /* copies of this part's strings */
	struct mf__hfield *fv;    /* field storage (kept between parts) */
	size_t fcap;
	int state;
	bool seen_delim, closed;
	bool pre_text;            /* its preamble has more than white space */
	bool limit_leaf;          /* the part after max_parts */
	bool reg_b, reg_a;        /* boundary / alt registered in the hash */
	mf_str alt;               /* boundary adopted from the body */
	uint64_t hb, ha;          /* their hashes */
	size_t nb, na;            /* next node in their bucket chains */
	size_t maxb;              /* longest boundary open at or below here */
	uint64_t last_end;        /* end of the last field or From_ line */
	size_t nsaved;            /* fields out of every window already */
	bool described;           /* its description too (save_level) */
	bool dec;                 /* MF_DECODE: decoding through xf */
	/* Last: not cleared for a new part (mf__xfer_init sets it up). */
	mf__xfer xf;              /* the transfer decoder (codec.h) */
};

struct mf_parser {
	mf_alloc a;
	mf_opts o;                /* the caller's, defects routed through us */
	mf_defect_fn *u_defect;   /* the caller's defect callback */
	void *u_defect_ctx;
	mf_event_fn *fn;
	void *ctx;
	unsigned flags;
	mf_limits lim;
	int path;
	bool mbox;
	bool clen;              /* MF_MBOX_CLEN (mf__parser_set_clen) */
	const char *whole;      /* then the whole input (one window) */
	size_t whole_n;
	uint64_t clen_end;      /* where the message ends by its trusted
				   Content-Length, or UINT64_MAX */

	uint64_t pos;   /* offset of the next byte to process */
	uint64_t wpos;  /* offset of the current window's first byte */
	mf_buf carry;   /* bytes held back, starting at pos */
	bool line_start;
	bool started, finished;

	struct level **lv;
	size_t nlv, lvcap;
	size_t bucket[NBUCKET]; /* node = 2 * level + which + 1; 0 = none */
	size_t nopen;           /* registered boundaries */
	uint32_t nlen[64];      /* registered boundaries by length % 64 */

	mf__hdr hdr;
	mf__hdr hdr0;           /* a fresh machine (buffer unused) */
	size_t parts;           /* parts of the current message */
	bool opaque;            /* part limit reached: no more delimiters */
	struct level *dlev;     /* level a defect is reported on, or NULL */
	char *dbuf;

	/* The window: views into it are copied before it changes. */
	const char *win_lo, *win_hi;

	int rc;
	mf_error err;
};

/* Result of looking at a line that may be special. */
enum { LINE_NO, LINE_NEED, LINE_DELIM, LINE_CLOSE, LINE_FROM };

struct match {
	int kind;
	size_t li;      /* level of the delimiter */
	size_t end;     /* window index after the line (DELIM, FROM: with its
			   line end; CLOSE: after the padding) */
	size_t ls;      /* window index of the line */
	bool mismatch;  /* a lenient match (MF_D_BOUNDARY_MISMATCH) */
	bool cut;       /* FROM: the line was cut at max_field_len */
	bool as_close;  /* CLOSE: a delimiter with nothing after it */
	bool trailing;  /* CLOSE: text after it on its line */
};

/* The option flags the push parser uses. */
#define PARSER_FLAGS (MF_STRICT | MF_MBOX | MF_DECODE | MF_NO_BODY)

static int
fail(mf_parser *ps, int code, uint64_t off, const char *reason)
{
	if (ps->rc < 0)
		return ps->rc;
	ps->rc = code;
	mf__err(&ps->err, code, (size_t)off, reason);
	return code;
}

static struct level *
top(const mf_parser *ps)
{
	return ps->nlv ? ps->lv[ps->nlv - 1] : NULL;
}

/*
 * Whether From_ lines separate messages here: in an mbox, but not inside
 * a message whose Content-Length is trusted (MF_MBOX_CLEN).
 */
static bool
seps(const mf_parser *ps)
{
	return ps->mbox && ps->clen_end == UINT64_MAX;
}

static int
emit(mf_parser *ps, mf_event *ev)
{
	if (ps->rc < 0)
		return ps->rc;
	if (ps->fn(ps->ctx, ev) != 0)
		return fail(ps, MF_E_CALLBACK, ev->off, "aborted by callback");
	return MF_OK;
}

static void
ev_init(mf_event *ev, int type, const struct level *L, uint64_t off)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->off = off;
	if (L != NULL) {
		ev->part = &L->part;
		ev->depth = L->part.depth;
	}
}

/* Data event of type on L: p[0..n) at absolute offset off. */
static int
emit_data(mf_parser *ps, int type, struct level *L, const char *p, size_t n,
	  uint64_t off)
{
	mf_event ev;

	ev_init(&ev, type, L, off);
	ev.data.ptr = p;
	ev.data.len = n;
	ev.raw = ev.data;
	return emit(ps, &ev);
}

/*
 * Defect callback of the options the header machine and the Content-Type
 * parser get: the defect goes to the part concerned, the caller's
 * callback, and the event stream. A callback abort is noted and acted on
 * when control comes back.
 */
static void
route_defect(void *ctx, int d, uint64_t off)
{
	mf_parser *ps = ctx;
	struct level *L = ps->dlev != NULL ? ps->dlev : top(ps);
	mf_event ev;

	if (L != NULL)
		L->part.defects |= MF_DEFECT_BIT(d);
	if (ps->u_defect != NULL)
		ps->u_defect(ps->u_defect_ctx, d, off);
	ev_init(&ev, MF_EV_DEFECT, L, off);
	ev.defect = d;
	(void)emit(ps, &ev);
}

/* A defect of the engine on L; MF_E_DEFECT in strict mode. */
static int
pdefect(mf_parser *ps, struct level *L, int d, uint64_t off)
{
	struct level *save = ps->dlev;
	int rc;

	ps->dlev = L;
	rc = mf__defect(&ps->o, &L->part.defects, d, off);
	ps->dlev = save;
	if (ps->rc < 0)
		return ps->rc;
	if (rc < 0)
		return fail(ps, rc, off, mf_defect_str(d));
	return MF_OK;
}

/* A limit: MF_E_LIMIT in strict mode, else the defect. */
static int
plimit(mf_parser *ps, struct level *L, int d, uint64_t off, const char *why)
{
	if (ps->flags & MF_STRICT)
		return fail(ps, MF_E_LIMIT, off, why);
	return pdefect(ps, L, d, off);
}

/* ---------------------------------------------------------------------- */
/* Open boundaries                                                         */
/* ---------------------------------------------------------------------- */

static uint64_t
bhash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void
breg(mf_parser *ps, size_t li, int which)
{
	struct level *L = ps->lv[li];
	mf_str s = which ? L->alt : L->part.boundary;
	uint64_t h = bhash(s.ptr, s.len);
	size_t b = (size_t)(h & (NBUCKET - 1));

	if (which) {
		L->ha = h;
		L->na = ps->bucket[b];
		L->reg_a = true;
	} else {
		L->hb = h;
		L->nb = ps->bucket[b];
		L->reg_b = true;
	}
	ps->bucket[b] = 2 * li + (size_t)which + 1;
	ps->nopen++;
	ps->nlen[s.len & 63]++;
	if (s.len > L->maxb)
		L->maxb = s.len;
}

/* Unregisters L's boundaries (always the latest registered ones). */
static void
bunreg(mf_parser *ps, struct level *L)
{
	if (L->reg_a) {
		ps->bucket[L->ha & (NBUCKET - 1)] = L->na;
		L->reg_a = false;
		ps->nopen--;
		ps->nlen[L->alt.len & 63]--;
	}
	if (L->reg_b) {
		ps->bucket[L->hb & (NBUCKET - 1)] = L->nb;
		L->reg_b = false;
		ps->nopen--;
		ps->nlen[L->part.boundary.len & 63]--;
	}
}

/* The innermost level with boundary s, or SIZE_MAX. */
static size_t
blookup(const mf_parser *ps, const char *s, size_t n)
{
	uint64_t h;
	size_t node;

	if (ps->nlen[n & 63] == 0)
		return SIZE_MAX; /* no open boundary of that length */
	h = bhash(s, n);
	node = ps->bucket[h & (NBUCKET - 1)];
	while (node != 0) {
		size_t li = (node - 1) / 2;
		int which = (int)((node - 1) % 2);
		const struct level *L = ps->lv[li];
		mf_str b = which ? L->alt : L->part.boundary;

		if ((which ? L->ha : L->hb) == h && b.len == n &&
		    (n == 0 || memcmp(b.ptr, s, n) == 0))
			return li;
		node = which ? L->na : L->nb;
	}
	return SIZE_MAX;
}

/* ---------------------------------------------------------------------- */
/* Copies: views that point into the window are moved to the level arena   */
/* before the window goes away.                                            */
/* ---------------------------------------------------------------------- */

static bool
in_range(const char *p, const char *lo, const char *hi)
{
	return p != NULL && lo != NULL && p >= lo && p < hi;
}

static int
save_str(mf__arena *ar, mf_str *s, const char *lo, const char *hi)
{
	char *q;

	if (s->len == 0 || !in_range(s->ptr, lo, hi))
		return MF_OK;
	q = mf__arena_dup(ar, s->ptr, s->len);
	if (q == NULL)
		return MF_E_NOMEM;
	s->ptr = q;
	return MF_OK;
}

static int
params_strings(mf_params *ps, int (*fn)(void *ctx, mf_str *s), void *ctx)
{
	size_t i;
	int rc = MF_OK;

	for (i = 0; i < ps->n && rc == MF_OK; i++) {
		mf_param *pm = &ps->v[i];
		mf_str *s[5] = {&pm->name, &pm->value, &pm->raw, &pm->charset,
				&pm->lang};
		size_t k;

		for (k = 0; k < 5 && rc == MF_OK; k++)
			rc = fn(ctx, s[k]);
	}
	return rc;
}

int
mf__part_strings(mf_part *pt, int (*fn)(void *ctx, mf_str *s), void *ctx)
{
	mf_str *s[6] = {&pt->type,     &pt->subtype, &pt->disp,
			&pt->filename, &pt->charset, &pt->boundary};
	size_t k;
	int rc = MF_OK;

	for (k = 0; k < 6 && rc == MF_OK; k++)
		rc = fn(ctx, s[k]);
	if (rc == MF_OK)
		rc = params_strings(&pt->params, fn, ctx);
	if (rc == MF_OK)
		rc = params_strings(&pt->dparams, fn, ctx);
	return rc;
}

/* What save_str needs, for mf__part_strings. */
struct saving {
	mf__arena *ar;
	const char *lo, *hi;
};

static int
save_cb(void *ctx, mf_str *s)
{
	struct saving *sv = ctx;

	return save_str(sv->ar, s, sv->lo, sv->hi);
}

/* Moves every view of L's part that lies in [lo, hi) into its arena. */
static int
save_level(struct level *L, const char *lo, const char *hi)
{
	mf_part *pt = &L->part;
	struct saving sv = {&L->ar, lo, hi};
	size_t i;
	int rc = MF_OK;

	/* Fields saved by an earlier call are in the arena already. */
	for (i = L->nsaved; i < pt->nfields && rc == MF_OK; i++) {
		struct mf__hfield *hf = &pt->fields[i];
		const char *old = hf->raw.ptr;

		if (!in_range(old, lo, hi))
			continue;
		rc = save_str(&L->ar, &hf->raw, lo, hi);
		if (rc < 0)
			break;
		/* Name and value lie inside the raw bytes. */
		hf->f.name.ptr = hf->raw.ptr + (hf->f.name.ptr - old);
		hf->f.value.ptr = hf->raw.ptr + (hf->f.value.ptr - old);
	}
	if (rc == MF_OK)
		L->nsaved = pt->nfields;
	if (rc == MF_OK)
		rc = save_str(&L->ar, &pt->from_line, lo, hi);
	if (rc == MF_OK)
		rc = save_str(&L->ar, &L->alt, lo, hi);
	if (rc == MF_OK && !L->described) {
		/*
		 * Nothing changes the description after the header block:
		 * once saved then, it is out of every window for good, and
		 * the next calls need not look at its parameters again.
		 */
		rc = mf__part_strings(pt, save_cb, &sv);
		L->described = rc == MF_OK && L->state != LS_HEADER;
	}
	return rc;
}

/* Saves every open level's views into [lo, hi). */
static int
save_all(mf_parser *ps, const char *lo, const char *hi)
{
	size_t i;

	if (lo == NULL || lo == hi)
		return MF_OK;
	for (i = 0; i < ps->nlv; i++) {
		if (save_level(ps->lv[i], lo, hi) < 0)
			return fail(ps, MF_E_NOMEM, ps->pos, "out of memory");
	}
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Parts: begin, header, end                                               */
/* ---------------------------------------------------------------------- */

/*
 * Resets the header machine for a block at off, keeping its buffer: a
 * copy of the state mf__hdr_init made once (limits resolved), moved to
 * off (header.h documents start and pos).
 */
static void
hdr_start(mf_parser *ps, uint64_t off)
{
	mf_buf keep = ps->hdr.buf;

	ps->hdr = ps->hdr0;
	ps->hdr.start = off;
	ps->hdr.pos = off;
	ps->hdr.buf = keep;
	ps->hdr.buf.len = 0;
}

/* Opens a part at off (depth: one below the current top). */
static int
push_part(mf_parser *ps, uint64_t off)
{
	struct level *parent = top(ps), *L;
	mf_event ev;

	if (ps->nlv == ps->lvcap) {
		size_t ncap = ps->lvcap ? ps->lvcap * 2 : 8;
		struct level **nv;

		nv = mf__resize(&ps->a, ps->lv, ps->lvcap * sizeof(*nv),
				ncap * sizeof(*nv));
		if (nv == NULL)
			return fail(ps, MF_E_NOMEM, off, "out of memory");
		memset(nv + ps->lvcap, 0, (ncap - ps->lvcap) * sizeof(*nv));
		ps->lv = nv;
		ps->lvcap = ncap;
	}
	L = ps->lv[ps->nlv];
	if (L == NULL) {
		L = mf__alloc(&ps->a, sizeof(*L));
		if (L == NULL)
			return fail(ps, MF_E_NOMEM, off, "out of memory");
		memset(L, 0, offsetof(struct level, xf));
		ps->lv[ps->nlv] = L;
		mf__arena_init(&L->ar, &ps->a);
	} else {
		/* Reused: its field array and arena are kept. */
		struct mf__hfield *fv = L->fv;
		size_t fcap = L->fcap;
		mf__arena ar = L->ar;

		memset(L, 0, offsetof(struct level, xf));
		L->fv = fv;
		L->fcap = fcap;
		L->ar = ar;
	}
	L->state = LS_HEADER;
	L->part.depth = parent != NULL ? parent->part.depth + 1 : 0;
	L->part.parent = parent != NULL ? &parent->part : NULL;
	L->part.off_begin = off;
	L->part.off_header = off;
	L->part.off_body = off;
	L->part.off_end = off;
	L->part.fields = L->fv;
	L->part.cte = MF_CTE_7BIT;
	L->maxb = parent != NULL ? parent->maxb : 0;
	L->last_end = off;
	mf__sel_begin(&L->part, parent != NULL ? &parent->part : NULL);
	ps->nlv++;
	if (parent == NULL) {
		ps->parts = 0;
		ps->opaque = false;
	}
	ps->parts++;
	hdr_start(ps, off);
	ps->line_start = true;
	ev_init(&ev, MF_EV_PART_BEGIN, L, off);
	if (emit(ps, &ev) < 0)
		return ps->rc;
	if (ps->parts > ps->lim.max_parts && !ps->opaque) {
		/* Everything from here to the end of the message. */
		L->limit_leaf = true;
		ps->opaque = true;
		return plimit(ps, L, MF_D_PART_LIMIT, off, "too many parts");
	}
	return MF_OK;
}

/* Ends the decoding of leaf L: the last bytes and the codec's defects. */
static int
dec_final(mf_parser *ps, struct level *L)
{
	size_t outlen = 0;
	uint64_t defects, doff;
	int d, rc;

	rc = mf__xfer_final(&L->xf, ps->dbuf, DCAP, &outlen, NULL);
	L->dec = false;
	if (rc < 0)
		return fail(ps, rc, L->part.off_end, "decoding failed");
	if (outlen > 0) {
		mf_event ev;

		ev_init(&ev, MF_EV_BODY, L, L->part.off_end);
		ev.data.ptr = ps->dbuf;
		ev.data.len = outlen;
		if (emit(ps, &ev) < 0)
			return ps->rc;
	}
	defects = mf__xfer_defects(&L->xf, &doff);
	for (d = 0; d < 64 && defects != 0; d++) {
		if ((defects & MF_DEFECT_BIT(d)) &&
		    pdefect(ps, L, d, L->part.off_body + doff) < 0)
			return ps->rc;
		defects &= ~MF_DEFECT_BIT(d);
	}
	return MF_OK;
}

/* Closes the innermost part, which ends at off. */
static int
pop_part(mf_parser *ps, uint64_t off)
{
	struct level *L = top(ps);
	mf_event ev;

	L->part.off_end = off;
	if (L->state == LS_LEAF && L->dec && dec_final(ps, L) < 0)
		return ps->rc;
	if (L->part.kind == MF_PART_MULTIPART && !L->closed && !ps->opaque) {
		int d = L->seen_delim ? MF_D_NO_CLOSE_DELIM : MF_D_NO_START_DELIM;

		if (pdefect(ps, L, d, off) < 0)
			return ps->rc;
		if (!L->seen_delim && L->pre_text) {
			/*
			 * No delimiter line at all, but text: the body
			 * (delivered as the preamble) is the content, as with
			 * no boundary parameter. The part ends as a text/plain
			 * leaf; the tree makes its preamble its body. (With
			 * nothing but white space it stays an empty
			 * multipart, as other readers show it.) Its boundary
			 * is unregistered first, by its length. Its attachment
			 * decision is made again, as a leaf's, before any part
			 * after it is judged.
			 */
			bunreg(ps, L);
			L->part.kind = MF_PART_LEAF;
			L->part.type = (mf_str){"text", 4};
			L->part.subtype = (mf_str){"plain", 5};
			L->part.boundary = (mf_str){"", 0};
			L->part.sel &= MF__SEL_FIRST;
			mf__sel_decide(&L->part,
				       L->part.depth > 0
					   ? &ps->lv[L->part.depth - 1]->part
					   : NULL);
		}
	}
	bunreg(ps, L);
	ev_init(&ev, MF_EV_PART_END, L, off);
	if (emit(ps, &ev) < 0)
		return ps->rc;
	/*
	 * The next part at this level allocates after this one's (dead)
	 * strings; the arena is emptied once it holds more than ARENA_KEEP
	 * bytes, so memory stays bounded and small parts need no malloc.
	 */
	if (mf__arena_size(&L->ar) > ARENA_KEEP)
		mf__arena_free(&L->ar);
	L->fv = L->part.fields; /* may have grown */
	ps->nlv--;
	return MF_OK;
}

/* Closes every part above level li (all of them for SIZE_MAX). */
static int
pop_to(mf_parser *ps, size_t li, uint64_t off)
{
	size_t cut = SIZE_MAX;

	/*
	 * The end of the input (or of a message in an mbox) ends every part:
	 * those inside a multipart that had not seen its close delimiter were
	 * cut short (MF_D_TRUNCATED on each, so that a caller holding an
	 * attachment knows it may be incomplete; the multipart itself gets
	 * MF_D_NO_CLOSE_DELIM in pop_part). Past a limit the rest is an
	 * opaque leaf and no structure is judged.
	 */
	if (li == SIZE_MAX && !ps->opaque) {
		size_t i;

		for (i = 0; i < ps->nlv && cut == SIZE_MAX; i++) {
			if (ps->lv[i]->part.kind == MF_PART_MULTIPART &&
			    !ps->lv[i]->closed)
				cut = i;
		}
	}
	while (ps->nlv > 0 && (li == SIZE_MAX || ps->nlv - 1 > li)) {
		if (cut < ps->nlv - 1 &&
		    pdefect(ps, top(ps), MF_D_TRUNCATED, off) < 0)
			return ps->rc;
		if (pop_part(ps, off) < 0)
			return ps->rc;
	}
	return MF_OK;
}

/* Appends a field to L (its views are copied unless in the window). */
static int
add_field(mf_parser *ps, struct level *L, const mf__hdr_ev *hev)
{
	struct mf__hfield *hf;
	mf_event ev;

	if (L->part.nfields == L->fcap) {
		size_t ncap = L->fcap ? L->fcap * 2 : 16, bytes;
		struct mf__hfield *nv;

		if (!mf__mul(ncap, sizeof(*nv), &bytes))
			return fail(ps, MF_E_NOMEM, hev->f.offset, "out of memory");
		nv = mf__resize(&ps->a, L->fv, L->fcap * sizeof(*nv), bytes);
		if (nv == NULL)
			return fail(ps, MF_E_NOMEM, hev->f.offset, "out of memory");
		L->fv = nv;
		L->fcap = ncap;
		L->part.fields = nv;
	}
	hf = &L->fv[L->part.nfields++];
	hf->f = hev->f;
	hf->raw = hev->raw;
	L->last_end = hev->f.offset + hev->f.raw_len;
	if (!in_range(hev->raw.ptr, ps->win_lo, ps->win_hi)) {
		/* In the machine's buffer: gone at its next call. */
		const char *old = hf->raw.ptr;

		if (save_str(&L->ar, &hf->raw, hev->raw.ptr,
			     hev->raw.ptr + hev->raw.len) < 0)
			return fail(ps, MF_E_NOMEM, hev->f.offset, "out of memory");
		hf->f.name.ptr = hf->raw.ptr + (hf->f.name.ptr - old);
		hf->f.value.ptr = hf->raw.ptr + (hf->f.value.ptr - old);
	}
	ev_init(&ev, MF_EV_HEADER, L, hev->f.offset);
	ev.name = hf->f.name;
	ev.data = hf->f.value;
	ev.field = &hf->f;
	ev.raw = hf->raw;
	return emit(ps, &ev);
}

/*
 * Whether field name a[0..n) is lit (lower case letters and "-"), ASCII
 * case-insensitively: OR 0x20 lower-cases letters and keeps "-"; the
 * bytes that would collide (controls) cannot be in a field name.
 */
static bool
name_is(const char *a, size_t n, const char *lit, size_t k)
{
	size_t i = 0;

	if (n != k)
		return false;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, lit + i, 8);
		if ((x | 0x2020202020202020ull) != y)
			return false;
	}
	for (; i < n; i++) {
		if (((unsigned char)a[i] | 0x20) != (unsigned char)lit[i])
			return false;
	}
	return true;
}

/*
 * The first Content-Type, Content-Transfer-Encoding and
 * Content-Disposition fields of pt (NULL if none), in one pass.
 */
static void
find_fields(const mf_part *pt, const struct mf__hfield **fv)
{
	static const char *names[3] = {"content-type",
				       "content-transfer-encoding",
				       "content-disposition"};
	static const size_t lens[3] = {12, 25, 19};
	size_t i, k;

	fv[0] = fv[1] = fv[2] = NULL;
	for (i = 0; i < pt->nfields; i++) {
		const mf_str *nm = &pt->fields[i].f.name;

		if (nm->len < 12 || (nm->ptr[0] | 0x20) != 'c')
			continue;
		for (k = 0; k < 3; k++) {
			if (fv[k] == NULL &&
			    name_is(nm->ptr, nm->len, names[k], lens[k]))
				fv[k] = &pt->fields[i];
		}
	}
}

static uint64_t
value_off(const struct mf__hfield *hf)
{
	return hf->f.offset + (uint64_t)(hf->f.value.ptr - hf->raw.ptr);
}

static bool
is(mf_str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/*
 * The part's content description from its fields (RFC 2045 5.2 and 6.1,
 * RFC 2046 5.1.5 defaults, RFC 2183), and what its body is.
 */
static int
describe(mf_parser *ps, struct level *L)
{
	mf_part *pt = &L->part;
	const mf_part *par = pt->parent;
	const struct mf__hfield *hf, *fv[3];
	const mf_param *pm;
	uint64_t ct_off = pt->off_header, cte_off = pt->off_header;
	mf_error err;
	int rc;

	find_fields(pt, fv);
	hf = fv[0];
	if (hf != NULL) {
		ct_off = value_off(hf);
		mf_ctype ct;

		rc = mf__ctype_parse(&L->ar, hf->f.value.ptr, hf->f.value.len,
				     &ps->o, value_off(hf), &ct, &err);
		if (ps->rc < 0)
			return ps->rc;
		if (rc < 0)
			return fail(ps, rc, err.offset, err.reason);
		pt->type = ct.type;
		pt->subtype = ct.subtype;
		/* RFC 2231 joined, names and filenames decoded (ctype.c). */
		pt->params = ct.params;
	}
	if (pt->type.len == 0 || pt->subtype.len == 0) {
		pt->ct_default = true;
		if (par != NULL && par->kind == MF_PART_MULTIPART &&
		    is(par->subtype, "digest")) {
			pt->type = (mf_str){"message", 7};
			pt->subtype = (mf_str){"rfc822", 6};
		} else {
			pt->type = (mf_str){"text", 4};
			pt->subtype = (mf_str){"plain", 5};
		}
	}
	pm = mf_params_get(&pt->params, "charset", 7);
	if (pm != NULL)
		pt->charset = pm->value;

	hf = fv[1];
	if (hf != NULL) {
		uint64_t d = 0;
		int cte = MF_CTE_7BIT;

		cte_off = value_off(hf);
		if (mf_cte_parse(hf->f.value.ptr, hf->f.value.len, &cte, &d) < 0)
			cte = MF_CTE_UNKNOWN;
		pt->cte = cte;
		if ((d & MF_DEFECT_BIT(MF_D_UNKNOWN_CTE)) &&
		    pdefect(ps, L, MF_D_UNKNOWN_CTE, value_off(hf)) < 0)
			return ps->rc;
		if ((d & MF_DEFECT_BIT(MF_D_CTE_NONSTANDARD)) &&
		    pdefect(ps, L, MF_D_CTE_NONSTANDARD, value_off(hf)) < 0)
			return ps->rc;
	}

	hf = fv[2];
	if (hf != NULL) {
		mf_disp dp;

		rc = mf__disp_parse(&L->ar, hf->f.value.ptr, hf->f.value.len,
				    &ps->o, value_off(hf), &dp, &err);
		if (ps->rc < 0)
			return ps->rc;
		if (rc < 0)
			return fail(ps, rc, err.offset, err.reason);
		pt->disp = dp.type;
		pt->dparams = dp.params;
	}
	pm = mf_params_get(&pt->dparams, "filename", 8);
	if (pm == NULL || pm->value.len == 0)
		pm = mf_params_get(&pt->params, "name", 4);
	if (pm != NULL)
		pt->filename = pm->value;

	/* What the body is. */
	pt->kind = MF_PART_LEAF;
	if (L->limit_leaf)
		return MF_OK;
	if (is(pt->type, "multipart")) {
		pm = mf_params_get(&pt->params, "boundary", 8);
		if (pm == NULL) {
			pt->type = (mf_str){"text", 4};
			pt->subtype = (mf_str){"plain", 5};
			return pdefect(ps, L, MF_D_NO_BOUNDARY, ct_off);
		}
		if (pt->depth >= ps->lim.max_depth)
			return plimit(ps, L, MF_D_DEPTH_LIMIT, ct_off,
				      "nesting too deep");
		pt->boundary = pm->value;
		/* Lines are compared without trailing white space. */
		while (pt->boundary.len > 0 &&
		       (pt->boundary.ptr[pt->boundary.len - 1] == ' ' ||
			pt->boundary.ptr[pt->boundary.len - 1] == '\t'))
			pt->boundary.len--;
		pt->kind = MF_PART_MULTIPART;
		if (pt->cte == MF_CTE_QP || pt->cte == MF_CTE_BASE64 ||
		    pt->cte == MF_CTE_UUENCODE)
			return pdefect(ps, L, MF_D_MULTIPART_CTE, cte_off);
		return MF_OK;
	}
	if (is(pt->type, "message") &&
	    (is(pt->subtype, "rfc822") || is(pt->subtype, "global") ||
	     is(pt->subtype, "news"))) {
		if (pt->cte == MF_CTE_QP || pt->cte == MF_CTE_BASE64 ||
		    pt->cte == MF_CTE_UUENCODE) {
			if (is(pt->subtype, "global"))
				return MF_OK;
			return pdefect(ps, L, MF_D_MULTIPART_CTE, cte_off);
		}
		if (pt->depth >= ps->lim.max_depth)
			return plimit(ps, L, MF_D_DEPTH_LIMIT, ct_off,
				      "nesting too deep");
		pt->kind = MF_PART_MESSAGE;
	}
	return MF_OK;
}

/*
 * MF_MBOX_CLEN: the first valid Content-Length of message L, whose header
 * block ended with an empty line (not at a From_ line), is trusted when
 * the message it measures ends at the end of the input or right before a
 * From_ line (the rule of mf_mbox_next, mbox.c); the message then ends
 * there, whatever From_ lines its body holds.
 */
static void
clen_check(mf_parser *ps, const struct level *L, uint64_t body_off)
{
	uint64_t cl = 0;
	size_t i, me, next;

	if (!mf__blank_before(ps->whole, (size_t)L->part.off_header,
			      (size_t)body_off))
		return;
	for (i = 0; i < L->part.nfields; i++) {
		const mf_field *f = &L->part.fields[i].f;

		if (mf__ieq(f->name.ptr, f->name.len, "content-length", 14) &&
		    mf__clen_value(f->value, &cl))
			break;
	}
	if (i < L->part.nfields &&
	    mf__clen_end(ps->whole, ps->whole_n, body_off, cl, &me, &next))
		ps->clen_end = me;
}

/*
 * The header block of L ended (hev: MF__HDR_END); the body starts at
 * window index s. blank: the empty line that ended the block, if any.
 */
static int
end_header(mf_parser *ps, struct level *L, uint64_t body_off, mf_str blank)
{
	mf_event ev;

	L->part.off_body = body_off;
	if (describe(ps, L) < 0)
		return ps->rc;
	/* Open parts are at the index of their depth. */
	mf__sel_decide(&L->part, L->part.depth > 0
				     ? &ps->lv[L->part.depth - 1]->part
				     : NULL);
	if (ps->clen && L->part.depth == 0)
		clen_check(ps, L, body_off);
	ev_init(&ev, MF_EV_HEADERS_END, L, body_off - blank.len);
	ev.data = blank;
	ev.raw = blank;
	if (emit(ps, &ev) < 0)
		return ps->rc;
	switch (L->part.kind) {
	case MF_PART_MULTIPART:
		L->state = LS_PREAMBLE;
		breg(ps, ps->nlv - 1, 0);
		break;
	case MF_PART_MESSAGE:
		L->state = LS_CHILD;
		return push_part(ps, body_off);
	default:
		L->state = LS_LEAF;
		if ((ps->flags & (MF_DECODE | MF_NO_BODY)) == MF_DECODE &&
		    mf__xfer_init(&L->xf, L->part.cte)) {
			/* The output buffer, at the first encoded leaf. */
			if (ps->dbuf == NULL) {
				ps->dbuf = mf__alloc(&ps->a, DCAP);
				if (ps->dbuf == NULL)
					return fail(ps, MF_E_NOMEM, body_off,
						    "out of memory");
			}
			L->dec = true;
		}
		break;
	}
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Special lines                                                           */
/* ---------------------------------------------------------------------- */

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 2046 5.1.1 bchars (without the space). */
static bool
is_bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || strchr("'()+_,-./:=?", c) != NULL;
}

/*
 * Whether line text s[0..n) and boundary b are prefixes of one another in
 * a way that suggests the same boundary: the shorter has 8 bytes or more,
 * or what the longer adds does not start with a boundary character (a
 * parameter cut short by an unterminated quote runs on with "; ...").
 */
static bool
near(const char *s, size_t n, mf_str b)
{
	size_t k = n < b.len ? n : b.len;
	char next;

	if (k == 0 || n == b.len || memcmp(s, b.ptr, k) != 0)
		return false;
	next = n > b.len ? s[k] : b.ptr[k];
	return k >= 8 || !is_bchar(next);
}

/*
 * Lenient match (see the top of the file): line text s[0..n), after "--"
 * and without padding, against the innermost multipart while it is in its
 * preamble. On a match the text becomes its accepted boundary.
 */
static int
lenient(mf_parser *ps, const char *s, size_t n, struct match *m)
{
	struct level *T = top(ps);
	size_t i;
	bool close = false;

	if (T == NULL || T->state != LS_PREAMBLE || T->reg_a)
		return LINE_NO;
	for (i = 0; i < n && s[i] == '-'; i++)
		;
	if (i == n)
		return LINE_NO; /* dashes alone */
	if (!near(s, n, T->part.boundary)) {
		/* "--text--" as a close delimiter. */
		if (n < 2 || s[n - 1] != '-' || s[n - 2] != '-' ||
		    !near(s, n - 2, T->part.boundary))
			return LINE_NO;
		n -= 2;
		close = true;
	}
	T->alt.ptr = s;
	T->alt.len = n;
	if (save_str(&T->ar, &T->alt, s, s + n) < 0)
		return fail(ps, MF_E_NOMEM, ps->pos, "out of memory");
	breg(ps, ps->nlv - 1, 1);
	/* Reported by take_line, after the bytes before the line. */
	m->mismatch = true;
	m->li = ps->nlv - 1;
	return close ? LINE_CLOSE : LINE_DELIM;
}

/*
 * The "--" line at window index ls as a delimiter line: *e gets the end
 * of its text before the line end, *te the end without transport padding,
 * *end where the next line starts (n when it has no line end). LINE_NEED
 * when the window ends before its line does, LINE_NO when it is too long
 * for a delimiter line of any open boundary, else LINE_DELIM.
 */
static int
delim_text(const mf_parser *ps, const char *p, size_t n, size_t ls, bool eof,
	   size_t *e, size_t *te, size_t *end)
{
	size_t avail = n - ls, bound = top(ps)->maxb + 4 + MAXPAD + 2;
	const char *lf = memchr(p + ls, '\n', avail < bound ? avail : bound);

	if (lf != NULL) {
		*e = (size_t)(lf - p);
		*end = *e + 1;
		if (*e > ls + 2 && p[*e - 1] == '\r')
			(*e)--;
	} else {
		if (avail >= bound)
			return LINE_NO;
		if (!eof)
			return LINE_NEED;
		*e = n;
		*end = n;
	}
	*te = *e;
	while (*te > ls + 2 && is_wsp(p[*te - 1]))
		(*te)--;
	return LINE_DELIM;
}

/*
 * The exact match of the delimiter text s[0..n) (after "--", without
 * padding): LINE_DELIM or LINE_CLOSE with *li the innermost level whose
 * boundary it is (a close delimiter of an inner level wins), or LINE_NO.
 */
static int
exact(const mf_parser *ps, const char *s, size_t n, size_t *li)
{
	size_t a = blookup(ps, s, n), b = SIZE_MAX;

	if (n >= 2 && s[n - 1] == '-' && s[n - 2] == '-')
		b = blookup(ps, s, n - 2);
	if (a == SIZE_MAX && b == SIZE_MAX)
		return LINE_NO;
	if (b != SIZE_MAX && (a == SIZE_MAX || b > a)) {
		*li = b;
		return LINE_CLOSE;
	}
	*li = a;
	return LINE_DELIM;
}

/*
 * RFC 2046 5.1.1: "it is sufficient that the boundary appear in its
 * entirety following the CRLF". Text s[0..n) after "--" that starts with
 * an open boundary and "--" but goes on with other text is that
 * boundary's close delimiter (MF_D_CLOSE_TRAILING): *li gets the
 * innermost such level, *k the boundary's length. FNV-1a is computed
 * prefix by prefix, so the line is read once whatever the nesting.
 */
static bool
close_prefix(const mf_parser *ps, const char *s, size_t n, size_t *li,
	     size_t *k)
{
	uint64_t h = 1469598103934665603ull;
	size_t i, best = SIZE_MAX;

	for (i = 0; i + 2 <= n; i++) {
		if (s[i] == '-' && s[i + 1] == '-' && ps->nlen[i & 63] != 0) {
			size_t node = ps->bucket[h & (NBUCKET - 1)];

			while (node != 0) {
				size_t l = (node - 1) / 2;
				int which = (int)((node - 1) % 2);
				const struct level *L = ps->lv[l];
				mf_str b = which ? L->alt : L->part.boundary;

				if ((which ? L->ha : L->hb) == h &&
				    b.len == i &&
				    (i == 0 || memcmp(b.ptr, s, i) == 0) &&
				    (best == SIZE_MAX || l > best)) {
					best = l;
					*k = i;
				}
				node = which ? L->na : L->nb;
			}
		}
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	*li = best;
	return best != SIZE_MAX;
}

/*
 * What follows a delimiter of level li (from window index i): only
 * white-space lines (at most TAILMAX bytes of them) up to the end of the
 * input, an enclosing multipart's delimiter or an mbox From_ line: it is
 * the missing close delimiter (LINE_CLOSE); something else (LINE_DELIM);
 * or LINE_NEED.
 */
static int
empty_tail(const mf_parser *ps, const char *p, size_t n, size_t i, size_t li,
	   bool eof)
{
	size_t from = i, j, e, te, end, lv;
	int r;

	for (;;) {
		for (j = i; j < n && is_wsp(p[j]) && j - from <= TAILMAX; j++)
			;
		if (j - from > TAILMAX)
			return LINE_DELIM;
		if (j == n)
			return eof ? LINE_CLOSE : LINE_NEED;
		if (p[j] == '\n' || (p[j] == '\r' && j + 1 < n &&
				     p[j + 1] == '\n')) {
			i = j + (p[j] == '\r' ? 2 : 1);
			continue;
		}
		if (p[j] == '\r' && j + 1 == n)
			return eof ? LINE_DELIM : LINE_NEED;
		if (j > i)
			return LINE_DELIM; /* text after white space */
		if (seps(ps) && p[i] == 'F') {
			if (n - i < 5)
				return eof ? LINE_DELIM : LINE_NEED;
			return memcmp(p + i, "From ", 5) == 0 ? LINE_CLOSE
								: LINE_DELIM;
		}
		if (p[i] != '-' || (i + 1 < n && p[i + 1] != '-'))
			return LINE_DELIM;
		if (i + 1 == n)
			return eof ? LINE_DELIM : LINE_NEED;
		r = delim_text(ps, p, n, i, eof, &e, &te, &end);
		if (r != LINE_DELIM)
			return r == LINE_NEED ? LINE_NEED : LINE_DELIM;
		return exact(ps, p + i + 2, te - i - 2, &lv) != LINE_NO &&
			       lv < li
			   ? LINE_CLOSE
			   : LINE_DELIM;
	}
}

/*
 * Looks at the line starting at window index ls (p[ls] is '-' or 'F'):
 * a delimiter or close delimiter of an open multipart, an mbox From_ line,
 * or neither; LINE_NEED when the window ends before that is known.
 */
static int
check_line(mf_parser *ps, const char *p, size_t n, size_t ls, bool eof,
	   struct match *m)
{
	size_t avail = n - ls, e, te, i, k;
	const char *lf;
	bool longline;
	int r;

	m->kind = LINE_NO;
	m->ls = ls;
	m->mismatch = false;
	m->cut = false;
	m->as_close = false;
	m->trailing = false;
	if (seps(ps) && (p[ls] == '\n' || p[ls] == '\r')) {
		/* An empty line, then a From_ line: the line end before a
		 * From_ line is the separator's, even after a header. */
		k = p[ls] == '\r' ? 2 : 1;

		if (avail < k + 5)
			return eof ? LINE_NO : LINE_NEED;
		if ((k == 2 && p[ls + 1] != '\n') || p[ls + k] != 'F')
			return LINE_NO;
		r = check_line(ps, p, n, ls + k, eof, m);
		m->ls = ls;
		return r;
	}
	if (seps(ps) && p[ls] == 'F') {
		size_t fmax = ps->lim.max_field_len;

		if (avail < 5)
			return eof ? LINE_NO : LINE_NEED;
		if (memcmp(p + ls, "From ", 5) != 0)
			return LINE_NO;
		lf = memchr(p + ls, '\n', avail < fmax ? avail : fmax);
		if (lf != NULL) {
			m->end = (size_t)(lf - p) + 1;
		} else {
			if (avail < fmax && !eof)
				return LINE_NEED;
			m->cut = avail >= fmax;
			m->end = ls + (avail < fmax ? avail : fmax);
		}
		m->kind = LINE_FROM;
		return LINE_FROM;
	}
	if (p[ls] != '-' || ps->nopen == 0 || ps->opaque)
		return LINE_NO;
	if (avail < 2)
		return eof ? LINE_NO : LINE_NEED;
	if (p[ls + 1] != '-')
		return LINE_NO;
	r = delim_text(ps, p, n, ls, eof, &e, &te, &m->end);
	if (r == LINE_NEED)
		return r;
	longline = r == LINE_NO;
	if (longline) {
		/* Too long for a delimiter line: a close delimiter with
		 * text after it, at most. */
		e = te = ls + 2 + top(ps)->maxb + 2;
	} else {
		r = exact(ps, p + ls + 2, te - ls - 2, &m->li);
	}
	if (r == LINE_NO) {
		if (close_prefix(ps, p + ls + 2, te - ls - 2, &m->li, &k)) {
			m->kind = LINE_CLOSE;
			m->trailing = true;
			m->end = ls + 2 + k + 2;
			return LINE_CLOSE;
		}
		if (longline)
			return LINE_NO;
		r = lenient(ps, p + ls + 2, te - ls - 2, m);
		if (r == LINE_NO || r < 0)
			return r;
	}
	m->kind = r;
	if (m->kind == LINE_DELIM && !m->mismatch &&
	    ps->lv[m->li]->seen_delim) {
		/*
		 * A delimiter after the first with only white space after
		 * it up to the end (of the input, of an enclosing
		 * multipart, of an mbox message): the missing close
		 * delimiter, not an empty part (MF_D_NO_CLOSE_DELIM).
		 */
		r = empty_tail(ps, p, n, m->end, m->li, eof);
		if (r == LINE_NEED)
			return r;
		if (r == LINE_CLOSE) {
			m->kind = LINE_CLOSE;
			m->as_close = true;
		}
	}
	if (m->kind == LINE_CLOSE) {
		/* The line end after it starts the epilogue. */
		for (i = te; i < e && is_wsp(p[i]); i++)
			;
		m->end = i;
	}
	return m->kind;
}

static int own_from(mf_parser *ps, struct level *L, const char *p, size_t s,
		    size_t e, bool cut);
static int emit_body(mf_parser *ps, struct level *L, const char *p, size_t n,
		     uint64_t off);

/*
 * Acts on a special line: le is where its data starts (the line end
 * before it, or the line start), m->end where what follows begins.
 */
static int
take_line(mf_parser *ps, const char *p, size_t le, const struct match *m)
{
	uint64_t off = ps->wpos + le;
	struct level *L;
	int type;

	if (m->kind == LINE_FROM) {
		if (pop_to(ps, SIZE_MAX, off) < 0 || push_part(ps, off) < 0)
			return ps->rc;
		return own_from(ps, top(ps), p, le, m->end, m->cut);
	}
	if (pop_to(ps, m->li, off) < 0)
		return ps->rc;
	L = top(ps);
	if (m->mismatch &&
	    pdefect(ps, L, MF_D_BOUNDARY_MISMATCH, ps->wpos + m->ls) < 0)
		return ps->rc;
	if (m->as_close &&
	    pdefect(ps, L, MF_D_NO_CLOSE_DELIM, ps->wpos + m->ls) < 0)
		return ps->rc;
	if (m->trailing &&
	    pdefect(ps, L, MF_D_CLOSE_TRAILING, ps->wpos + m->end) < 0)
		return ps->rc;
	type = m->kind == LINE_CLOSE ? MF_EV_CLOSE : MF_EV_DELIM;
	if (emit_data(ps, type, L, p + le, m->end - le, off) < 0)
		return ps->rc;
	if (m->kind == LINE_CLOSE) {
		L->closed = true;
		L->state = LS_EPILOGUE;
		bunreg(ps, L);
		ps->line_start = false;
		return MF_OK;
	}
	L->seen_delim = true;
	L->state = LS_CHILD;
	return push_part(ps, ps->wpos + m->end);
}

/* ---------------------------------------------------------------------- */
/* Header blocks                                                           */
/* ---------------------------------------------------------------------- */

/*
 * Whether the machine's last call ended the block on an empty line: the
 * bytes it consumed, p[from..s), end with one (at a line start).
 */
static mf_str
blank_line(const char *p, size_t from, size_t s, bool ls0)
{
	mf_str none = {"", 0}, r;
	size_t k;

	if (s == from || p[s - 1] != '\n')
		return none;
	k = (s - 1 > from && p[s - 2] == '\r') ? 2 : 1;
	/* The empty line must start a line. */
	if (s - k == from ? !ls0 : p[s - k - 1] != '\n')
		return none;
	r.ptr = p + s - k;
	r.len = k;
	return r;
}

/* Feeds p[s..t) to the machine; 1 when the block ended (body at *sp). */
static int
hdr_feed(mf_parser *ps, struct level *L, const char *p, size_t *sp, size_t t,
	 bool eof)
{
	size_t s = *sp;

	for (;;) {
		mf__hdr_ev hev;
		size_t used, from = s;
		bool ls0 = ps->line_start;
		int rc = mf__hdr_feed(&ps->hdr, p + s, t - s, eof, &used, &hev);

		if (ps->rc < 0)
			return ps->rc;
		if (rc < 0)
			return fail(ps, rc, ps->hdr.err.offset, ps->hdr.err.reason);
		s += used;
		*sp = s;
		if (s > from)
			ps->line_start = p[s - 1] == '\n';
		if (rc == MF_MORE)
			return 0;
		switch (hev.type) {
		case MF__HDR_FIELD:
			if (add_field(ps, L, &hev) < 0)
				return ps->rc;
			break;
		case MF__HDR_MBOX_FROM:
			/* The part's From_ line is the first one (a quoted
			 * ">From " line may follow it). */
			if (!L->part.has_from) {
				L->part.has_from = true;
				L->part.from_line = hev.raw;
				if (!in_range(hev.raw.ptr, ps->win_lo,
					      ps->win_hi) &&
				    save_str(&L->ar, &L->part.from_line,
					     hev.raw.ptr,
					     hev.raw.ptr + hev.raw.len) < 0)
					return fail(ps, MF_E_NOMEM,
						    hev.f.offset,
						    "out of memory");
			}
			L->part.off_header = hev.f.offset + hev.f.raw_len;
			L->last_end = L->part.off_header;
			if (emit_data(ps, MF_EV_MBOX_FROM, L, hev.raw.ptr,
				      hev.raw.len, hev.f.offset) < 0)
				return ps->rc;
			break;
		case MF__HDR_END:
		default:
			if (end_header(ps, L, hev.body_off,
				       blank_line(p, from, s, ls0)) < 0)
				return ps->rc;
			if (s > from)
				ps->line_start = p[s - 1] == '\n';
			return 1;
		}
	}
}

/*
 * Whether a line starting with c may be special: a delimiter, or in an
 * mbox a From_ line or the empty line before one.
 */
static bool
special(const mf_parser *ps, char c)
{
	return c == '-' ||
	       (seps(ps) && (c == 'F' || c == '\n' || c == '\r'));
}

/*
 * A special line at window index c ended the header block of L (and of
 * the message it embeds, if it is a message part). The bytes p[s..c) the
 * machine has not consumed (a line it was looking past, see header.h) are
 * the start of the body, but for their last line end, which belongs to
 * the special line like any line end before one (not when the special
 * line is empty, before a From_ line: its own line end is the separator):
 * *le gets where the special line's data starts. Without them the body
 * is empty.
 */
static int
cut_header(mf_parser *ps, struct level *L, const char *p, size_t s, size_t c,
	   bool delim, bool empty, size_t *le)
{
	size_t z = s, e = c;

	/* Fields and then a delimiter: no empty line, no body. */
	if (delim && s == c && (L->part.nfields > 0 || ps->hdr.in_field) &&
	    pdefect(ps, L, MF_D_NO_BLANK_LINE, ps->wpos + c) < 0)
		return ps->rc;
	if (hdr_feed(ps, L, p, &z, c, true) < 0)
		return ps->rc;
	if (L->part.kind == MF_PART_MESSAGE && top(ps) != L &&
	    hdr_feed(ps, top(ps), p, &z, c, true) < 0)
		return ps->rc;
	if (z < c && p[c - 1] == '\n' && !empty) {
		e = c - 1;
		if (e > z && p[e - 1] == '\r')
			e--;
	}
	*le = e;
	return emit_body(ps, top(ps), p + z, e - z, ps->wpos + z);
}

/*
 * The From_ line p[s..e) (with the separating line end before it, if any)
 * starts the header block of L. A From_ line cut at max_field_len, or
 * ending the input without line end, leaves an empty header block: the
 * rest of its line is body (MF_D_HEADER_LIMIT when it was cut).
 */
static int
own_from(mf_parser *ps, struct level *L, const char *p, size_t s, size_t e,
	 bool cut)
{
	L->part.has_from = true;
	L->part.from_line.ptr = p + s;
	L->part.from_line.len = e - s;
	L->part.off_header = ps->wpos + e;
	L->part.off_body = L->part.off_header;
	L->last_end = L->part.off_header;
	hdr_start(ps, L->part.off_header);
	/* One From_ line per block: the machine must not take the next
	 * line for another, but for a quoted one (header.h). */
	ps->hdr.first_line = false;
	ps->hdr.after_from = true;
	ps->line_start = e > s && p[e - 1] == '\n';
	if (emit_data(ps, MF_EV_MBOX_FROM, L, p + s, e - s, ps->wpos + s) < 0)
		return ps->rc;
	if (ps->line_start)
		return MF_OK;
	if (cut && plimit(ps, L, MF_D_HEADER_LIMIT, ps->wpos + e,
			  "From_ line too long") < 0)
		return ps->rc;
	return cut_header(ps, L, p, e, e, false, false, &e);
}

/*
 * Header state: feed the machine up to each line that may be special
 * ('-' or, in an mbox, 'F' at a line start, and empty lines), which is
 * looked at first. The machine may stop short of where it was fed (its
 * look-ahead, header.h): then c is the special line it needs to see past,
 * looked at next, while the machine's bytes wait at s. Returns 1 when the
 * window is used up (or needs more), 0 to go on with the new state.
 */
static int
do_header(mf_parser *ps, const char *p, size_t n, size_t *sp, bool eof)
{
	struct level *L = top(ps);
	size_t s = *sp, c = s, t;
	int k;
	const unsigned char hset[4] = {'-', '\n', '\r',
				       ps->mbox ? 'F' : '-'};

	for (;;) {
		/* Nothing of the block read yet. */
		bool first = c == s && ps->line_start && !L->part.has_from &&
			     L->part.nfields == 0 && !ps->hdr.in_field &&
			     ps->wpos + s == L->part.off_header;

		if (first && L->part.depth == 0 && ps->wpos + s == 0) {
			/* A UTF-8 byte order mark before the message. */
			int b = mf__hdr_bom(p + s, n - s, eof,
					    ps->lim.max_field_len);

			if (b < 0)
				return 1;
			if (b > 0) {
				if (pdefect(ps, L, MF_D_BOM, ps->wpos + s) < 0)
					return ps->rc;
				L->part.bom = true;
				s += (size_t)b;
				c = s;
				*sp = s;
				L->part.off_header = ps->wpos + s;
				L->last_end = L->part.off_header;
				hdr_start(ps, L->part.off_header);
				continue;
			}
		}
		if ((c > s || ps->line_start) && c < n && special(ps, p[c])) {
			struct match m;
			int r = check_line(ps, p, n, c, eof, &m);

			if (r < 0)
				return r;
			if (r == LINE_NEED)
				return 1;
			if (r == LINE_FROM && L->part.depth == 0 && first) {
				/* The message's own From_ line. */
				if (own_from(ps, L, p, s, m.end, m.cut) < 0)
					return ps->rc;
				s = m.end;
				c = s;
				*sp = s;
				if (L->state != LS_HEADER)
					return 0;
				continue;
			}
			if (r != LINE_NO) {
				size_t le;

				if (cut_header(ps, L, p, s, c, r != LINE_FROM,
					       p[c] == '\n' || p[c] == '\r',
					       &le) < 0 ||
				    take_line(ps, p, le, &m) < 0)
					return ps->rc;
				*sp = m.end;
				return 0;
			}
		}
		if (c == n && !eof)
			return 1;
		/*
		 * Up to the next line that may be special, or past the
		 * first empty line (where the block ends: never scan the
		 * body).
		 */
		t = c;
		for (;;) {
			size_t i = scan_nl1(ps->path, p, n, t, hset);

			if (i >= n) {
				t = n;
				break;
			}
			t = i + 1;
			if (special(ps, p[t]))
				break;
			if (p[t] == '\n') {
				t++;
				break;
			}
			if (t + 1 < n && p[t] == '\r' && p[t + 1] == '\n') {
				t += 2;
				break;
			}
		}
		if (t == s && !(eof && t == n))
			return 1;
		k = hdr_feed(ps, L, p, &s, t, eof && t == n);
		*sp = s;
		if (k < 0)
			return k;
		if (k == 1)
			return 0;
		if (t == n)
			return 1;
		/* The machine waits at s for what the line at t says. */
		c = t;
	}
}

/* ---------------------------------------------------------------------- */
/* Bodies: leaf, preamble, epilogue                                        */
/* ---------------------------------------------------------------------- */

/* Delivers body bytes of L, decoding them when asked to. */
static int
emit_body(mf_parser *ps, struct level *L, const char *p, size_t n,
	  uint64_t off)
{
	int type;
	size_t i;

	if (L->state == LS_PREAMBLE && !L->pre_text) {
		for (i = 0; i < n && (is_wsp(p[i]) || p[i] == '\r' ||
				      p[i] == '\n'); i++)
			;
		L->pre_text = i < n;
	}
	if (n == 0 || (ps->flags & MF_NO_BODY))
		return MF_OK;
	if (L->state == LS_PREAMBLE)
		type = MF_EV_PREAMBLE;
	else if (L->state == LS_EPILOGUE)
		type = MF_EV_EPILOGUE;
	else
		type = MF_EV_BODY;
	if (!L->dec || type != MF_EV_BODY)
		return emit_data(ps, type, L, p, n, off);
	while (n > 0) {
		/* Every codec's output is under DCAP for this much input. */
		size_t k = n < DCAP - 512 ? n : DCAP - 512, outlen = 0;
		mf_event ev;
		int rc;

		rc = mf__xfer_update(&L->xf, ps->dbuf, DCAP, p, k, &outlen,
				     NULL);
		if (rc < 0)
			return fail(ps, rc, off, "decoding failed");
		/* Also when the bytes decode to nothing (white space, a soft
		 * line break, a quantum held back): every raw body byte is
		 * in the raw of one BODY event, however the input is cut. */
		ev_init(&ev, MF_EV_BODY, L, off);
		ev.data.ptr = ps->dbuf;
		ev.data.len = outlen;
		ev.raw.ptr = p;
		ev.raw.len = k;
		if (emit(ps, &ev) < 0)
			return ps->rc;
		p += k;
		n -= k;
		off += k;
	}
	return MF_OK;
}

/*
 * Where to stop delivering at the end of a window: the tail that may
 * still become the line end of a delimiter or From_ line.
 */
static size_t
hold_from(const mf_parser *ps, const char *p, size_t from, size_t n)
{
	size_t h = n;

	if (n == from)
		return n;
	if (p[n - 1] == '\r' || p[n - 1] == '\n')
		h = n - 1;
	else if (n - from >= 2 && p[n - 2] == '\n' &&
		 (p[n - 1] == '-' || (seps(ps) && p[n - 1] == 'F')))
		h = n - 2;
	if (h < n && p[h] == '\n' && h > from && p[h - 1] == '\r')
		h--;
	return h;
}

/*
 * Body states. Returns 1 when the window is used up (or needs more), 0 to
 * go on with a new state, 2 when the input ended and every part is closed.
 */
static int
do_body(mf_parser *ps, const char *p, size_t n, size_t *sp, bool eof)
{
	struct level *L = top(ps);
	size_t s = *sp, from = s, i;
	unsigned char c1 = '-', c2 = '-', d1 = '-', d2 = '-';
	struct match m;
	int r;

	if (ps->line_start && s < n && special(ps, p[s])) {
		r = check_line(ps, p, n, s, eof, &m);
		if (r < 0)
			return r;
		if (r == LINE_NEED)
			return 1;
		if (r != LINE_NO) {
			if (take_line(ps, p, s, &m) < 0)
				return ps->rc;
			*sp = m.end;
			return 0;
		}
	}
	if ((ps->nopen == 0 || ps->opaque) && !seps(ps)) {
		/* Nothing can end this part but the end of the input. */
		if (emit_body(ps, L, p + s, n - s, ps->wpos + s) < 0)
			return ps->rc;
		*sp = n;
		if (n > 0)
			ps->line_start = p[n - 1] == '\n';
		if (!eof)
			return 1;
		return pop_to(ps, SIZE_MAX, ps->wpos + n) < 0 ? ps->rc : 2;
	}
	if (seps(ps)) {
		d1 = 'F';
		d2 = 'r';
		if (ps->nopen == 0 || ps->opaque) {
			c1 = 'F';
			c2 = 'r';
		}
	}
	i = s;
	for (;;) {
		size_t j = scan_nl(ps->path, p, n, i, c1, c2, d1, d2), le;

		if (j >= n) {
			size_t h = eof ? n : hold_from(ps, p, from, n);

			if (emit_body(ps, L, p + from, h - from,
				      ps->wpos + from) < 0)
				return ps->rc;
			*sp = h;
			if (h > 0)
				ps->line_start = p[h - 1] == '\n';
			if (!eof)
				return 1;
			return pop_to(ps, SIZE_MAX, ps->wpos + n) < 0 ? ps->rc
								      : 2;
		}
		le = (j > from && p[j - 1] == '\r') ? j - 1 : j;
		r = check_line(ps, p, n, j + 1, eof, &m);
		if (r < 0)
			return r;
		if (r == LINE_NO) {
			i = j + 1;
			continue;
		}
		if (emit_body(ps, L, p + from, le - from, ps->wpos + from) < 0)
			return ps->rc;
		*sp = le;
		if (r == LINE_NEED) {
			if (le > 0)
				ps->line_start = p[le - 1] == '\n';
			return 1;
		}
		if (take_line(ps, p, le, &m) < 0)
			return ps->rc;
		*sp = m.end;
		return 0;
	}
}

/* ---------------------------------------------------------------------- */
/* The window loop                                                         */
/* ---------------------------------------------------------------------- */

/*
 * Processes the window p[0..n) (at offset ps->pos); *used gets the bytes
 * consumed (all of them at eof).
 */
static int
run(mf_parser *ps, const char *p, size_t n, bool eof, size_t *used)
{
	size_t s = 0;
	int r = 0;

	ps->wpos = ps->pos;
	ps->win_lo = p;
	ps->win_hi = p + n;
	*used = 0;
	while (ps->rc == 0) {
		struct level *L = top(ps);
		/* A message with a trusted Content-Length ends where it
		 * says, as if the input ended there. */
		bool cl = ps->clen_end != UINT64_MAX &&
			  ps->clen_end - ps->wpos <= n;
		size_t lim = cl ? (size_t)(ps->clen_end - ps->wpos) : n;

		if (L == NULL) {
			/* One message, or (mbox) one per From_ line. */
			if (ps->mbox ? s == n : ps->started)
				break;
			ps->started = true;
			if (push_part(ps, ps->wpos + s) < 0)
				break;
			continue;
		}
		switch (L->state) {
		case LS_HEADER:
			r = do_header(ps, p, lim, &s, eof || cl);
			break;
		case LS_LEAF:
		case LS_PREAMBLE:
		case LS_EPILOGUE:
			r = do_body(ps, p, lim, &s, eof || cl);
			break;
		default:
			r = fail(ps, MF_E_STATE, ps->wpos + s, "parser state");
			break;
		}
		if (r < 0 || r == 1)
			break;
		if (r == 2 && cl) {
			/* The next message starts at its From_ line (after
			 * the line end that separates them, if any). */
			ps->clen_end = UINT64_MAX;
			s = lim;
			ps->line_start = true;
			continue;
		}
		if (r == 2) {
			s = n;
			break;
		}
	}
	*used = s;
	ps->pos = ps->wpos + s;
	return ps->rc;
}

/* ---------------------------------------------------------------------- */
/* Public entry points                                                     */
/* ---------------------------------------------------------------------- */

mf_parser *
mf_parser_new(const mf_opts *o, mf_event_fn *fn, void *ctx)
{
	mf_parser *ps;

	if (fn == NULL)
		return NULL;
	ps = mf__alloc(o != NULL ? &o->alloc : NULL, sizeof(*ps));
	if (ps == NULL)
		return NULL;
	memset(ps, 0, sizeof(*ps));
	mf__alloc_copy(&ps->a, o != NULL ? &o->alloc : NULL);
	if (o != NULL) {
		ps->o = *o;
		ps->u_defect = o->on_defect;
		ps->u_defect_ctx = o->defect_ctx;
	}
	ps->o.alloc = ps->a;
	ps->o.on_defect = route_defect;
	ps->o.defect_ctx = ps;
	ps->flags = ps->o.flags;
	ps->mbox = (ps->flags & MF_MBOX) != 0;
	ps->clen_end = UINT64_MAX;
	if ((ps->flags & ~PARSER_FLAGS) != 0)
		(void)fail(ps, MF_E_INVAL, 0, "unknown flag in mf_opts");
	ps->fn = fn;
	ps->ctx = ctx;
	mf__limits(o, &ps->lim);
	ps->path = mf__scan_best();
	mf__buf_init(&ps->carry, &ps->a);
	mf__hdr_init(&ps->hdr, &ps->o, 0);
	ps->hdr0 = ps->hdr;
	ps->line_start = true;
	return ps;
}

void
mf_parser_free(mf_parser *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->lvcap; i++) {
		struct level *L = ps->lv[i];

		if (L == NULL)
			continue;
		mf__arena_free(&L->ar);
		mf__release(&ps->a, L->fv);
		mf__release(&ps->a, L);
	}
	mf__release(&ps->a, ps->lv);
	mf__hdr_fini(&ps->hdr);
	mf__buf_fini(&ps->carry);
	mf__release(&ps->a, ps->dbuf);
	mf__release(&ps->a, ps);
}

/* Appends p[0..n) to the carry buffer. */
static int
carry_put(mf_parser *ps, const char *p, size_t n)
{
	if (n == 0)
		return MF_OK;
	if (mf__buf_put(&ps->carry, p, n) < 0)
		return fail(ps, MF_E_NOMEM, ps->pos, "out of memory");
	return MF_OK;
}

/* Drops the first k bytes of the carry buffer. */
static void
carry_drop(mf_parser *ps, size_t k)
{
	if (k == 0)
		return;
	memmove(ps->carry.data, ps->carry.data + k, ps->carry.len - k);
	ps->carry.len -= k;
	ps->carry.data[ps->carry.len] = '\0';
}

static int
feed(mf_parser *ps, const char *p, size_t n, bool eof)
{
	size_t used;

	if (ps->rc < 0)
		return ps->rc;
	if (ps->finished)
		return fail(ps, MF_E_STATE, ps->pos, "feed after finish");
	if (p == NULL && n != 0)
		return fail(ps, MF_E_INVAL, ps->pos, "NULL input");
	if (p == NULL)
		p = "";
	/* Held bytes first, topped up from p until they are used. */
	while (ps->carry.len > 0 && (n > 0 || eof)) {
		size_t old = ps->carry.len, k = n < STEP ? n : STEP;

		if (carry_put(ps, p, k) < 0)
			return ps->rc;
		run(ps, ps->carry.data, ps->carry.len, eof && k == n, &used);
		if (ps->rc == MF_OK &&
		    save_all(ps, ps->carry.data,
			     ps->carry.data + ps->carry.len) < 0)
			return ps->rc;
		if (ps->rc < 0)
			return ps->rc;
		if (used >= old) {
			/* The rest came from p: go on in p itself. */
			ps->carry.len = 0;
			p += used - old;
			n -= used - old;
			if (eof && n == 0)
				goto done;
			break;
		}
		/* The k bytes of p stay in the carry buffer. */
		carry_drop(ps, used);
		p += k;
		n -= k;
		if (eof && n == 0 && ps->carry.len == 0)
			goto done;
		if (eof && n == 0)
			continue;
	}
	if (ps->carry.len == 0 && (n > 0 || eof)) {
		run(ps, p, n, eof, &used);
		if (ps->rc < 0)
			return ps->rc;
		if (save_all(ps, p, p + n) < 0)
			return ps->rc;
		if (carry_put(ps, p + used, n - used) < 0)
			return ps->rc;
	} else if (n > 0) {
		/* Still held (the window needed more): keep the rest too. */
		if (carry_put(ps, p, n) < 0)
			return ps->rc;
	}
done:
	ps->win_lo = ps->win_hi = NULL;
	if (eof) {
		ps->finished = true;
		if (ps->rc == MF_OK && ps->carry.len != 0)
			return fail(ps, MF_E_STATE, ps->pos, "input left over");
	}
	return ps->rc;
}

int
mf_parser_feed(mf_parser *ps, const char *p, size_t n)
{
	if (ps == NULL)
		return MF_E_INVAL;
	return feed(ps, p, n, false);
}

int
mf_parser_finish(mf_parser *ps)
{
	if (ps == NULL)
		return MF_E_INVAL;
	return feed(ps, NULL, 0, true);
}

void
mf__parser_set_path(mf_parser *ps, int path)
{
	if (ps != NULL && path >= MF__SCAN_SCALAR && path <= mf__scan_best())
		ps->path = path;
}

int
mf__parser_feed_last(mf_parser *ps, const char *p, size_t n)
{
	if (ps != NULL && ps->clen) {
		/* The whole input at once, or the flag cannot be honoured. */
		if (ps->pos != 0 || ps->carry.len != 0 || ps->finished)
			return fail(ps, MF_E_STATE, ps->pos,
				    "MF_MBOX_CLEN needs the whole input");
		ps->whole = p != NULL ? p : "";
		ps->whole_n = n;
	}
	return feed(ps, p, n, true);
}

void
mf__parser_set_clen(mf_parser *ps)
{
	if (ps != NULL && ps->mbox)
		ps->clen = true;
}

int
mf__parser_feed_split(mf_parser *ps, const char *p, size_t n,
		      const size_t *cuts, size_t k)
{
	size_t i, at = 0;
	int rc = MF_OK;

	if (ps == NULL || (p == NULL && n != 0) || (cuts == NULL && k != 0))
		return MF_E_INVAL;
	for (i = 0; i <= k && rc == MF_OK; i++) {
		size_t to = i < k ? cuts[i] : n;
		char *c = NULL;

		if (to < at || to > n)
			return fail(ps, MF_E_INVAL, to, "bad cut");
		if (to > at) {
			c = mf__alloc(&ps->a, to - at);
			if (c == NULL)
				return fail(ps, MF_E_NOMEM, ps->pos,
					    "out of memory");
			memcpy(c, p + at, to - at);
		}
		rc = mf_parser_feed(ps, c, to - at);
		mf__release(&ps->a, c);
		at = to;
	}
	return rc == MF_OK ? mf_parser_finish(ps) : rc;
}

uint64_t
mf_parser_offset(const mf_parser *ps)
{
	if (ps == NULL)
		return 0;
	if (ps->rc < 0)
		return ps->err.offset;
	return ps->pos;
}

int
mf_parser_error(const mf_parser *ps, mf_error *err)
{
	if (ps == NULL)
		return MF_E_INVAL;
	if (err != NULL) {
		if (ps->rc < 0)
			*err = ps->err;
		else
			mf__err(err, MF_OK, (size_t)ps->pos, NULL);
	}
	return ps->rc;
}
