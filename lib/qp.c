/* SPDX-License-Identifier: MIT */
/*
 * qp.c - quoted-printable (RFC 2045 6.7): one-shot and streaming encoders
 * and decoders. The one-shot calls are one update plus final on the
 * streaming state, so the two cannot drift; the states survive a chunk
 * split anywhere (even between "=" and CRLF).
 *
 * Encoder (text mode unless MF_QP_BINARY):
 *  - Bytes 33-126 except "=" are literal, as are SP and HTAB unless they
 *    end an encoded line before a hard break or the end of the data
 *    (rule 3); everything else is "=XX" with upper-case hex (rule 1).
 *  - Text mode: CRLF and a bare LF of the input are hard line breaks,
 *    written as CRLF (LF with MF_LF); so line ends come out in the
 *    chosen form (RFC 2045 rule 4 canonical form). A CR not before LF is
 *    "=0D". Binary mode: CR and LF are "=0D" and "=0A".
 *  - Soft breaks ("=" and the line end) keep every line within 76
 *    characters (rule 5): a line holds at most 75 characters before its
 *    "=" or hard break, and an escape is never split.
 *  - MF_QP_SAFE encodes a "." and the "F" of "From " that start an encoded
 *    line, so that neither SMTP dot-stuffing nor mbox "From " quoting can
 *    change the body.
 *
 * Decoder policy (RFC 2045 6.7 and its note on illegal substrings):
 *  - "=XX" with hex digits of either case is the byte (note 1 allows
 *    lower case); "=" then optional SP/HTAB then CRLF or LF is a soft
 *    break, removed.
 *  - Hard line breaks are kept exactly as in the input (CRLF or LF); a CR
 *    not followed by LF is an ordinary byte.
 *  - SP/HTAB before a line end (or the end of the data) are dropped, as
 *    rule 3 says they were added in transport; at most MF_QP_MAX_WSP of
 *    them (the last ones) so the state stays bounded: longer runs cannot
 *    come from an encoder that keeps 76-character lines.
 *  - An "=" that starts no valid escape or soft break is kept literally
 *    with what followed it (note 2), recorded as MF_D_QP_INVALID; strict
 *    mode makes it MF_E_SYNTAX at the first byte that proves it invalid,
 *    or MF_E_TRUNC at the end of the data when the data ends inside it
 *    (the offsets Dovecot's decoder reports).
 *
 * Speed: both directions copy runs of bytes that need no work with wide
 * moves, found by a scanner per path (SWAR scalar, SSE2 under the SSSE3
 * path, AVX2). The vector decoders take whole blocks (16 bytes SSSE3, 32
 * AVX2) without data-dependent branches inside a block: a block with no
 * "=" and no whitespace before a line end is stored as it is, any other
 * one decoded by a shuffle-table compaction (literals, escapes, soft
 * breaks, line ends). The vector encoders classify 64-byte blocks into
 * bit masks and walk only the bytes that need work (escapes, line ends,
 * whitespace ending a line), each without a branch on its kind, with one
 * wide move per literal run and the column kept by arithmetic. The
 * per-byte state machine handles the rest and defines the semantics;
 * tests hold every path to it, and the encoder's blocks also to their
 * scalar twin.
 */
#include <stddef.h>

#include "qp.h"

static const char hexdig[16] = "0123456789ABCDEF";

/* ---------------------------------------------------------------------- */
/* Scanners                                                                */
/* ---------------------------------------------------------------------- */

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Non-zero when some byte of v is zero. */
static inline uint64_t
haszero(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

static inline uint64_t
load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * The scanners: dscan gives the length of the prefix of p[0..n) without
 * "=", CR or LF; escan the length of the prefix of p[0..lim) of bytes
 * 0x20-0x7E other than "=", reading no further than p[avail) (avail >=
 * lim), so that short limits still use whole vectors.
 */
static inline size_t
dscan_scalar_i(const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v = load64(p + i);
		if (haszero(v ^ (ONES * '=')) | haszero(v ^ (ONES * '\r')) |
		    haszero(v ^ (ONES * '\n')))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = p[i];
		if (c == '=' || c == '\r' || c == '\n')
			break;
	}
	return i;
}

static inline size_t
escan_scalar_i(const unsigned char *p, size_t lim, size_t avail)
{
	size_t i = 0;

	for (; i < lim && avail - i >= 8; i += 8) {
		uint64_t v = load64(p + i);
		/* Any byte < 0x20, >= 0x7F (incl. >= 0x80), or "=". */
		uint64_t lo = (v - ONES * 0x20) & ~v & HIGHS;
		uint64_t hi = ((v + ONES * 0x01) | v) & HIGHS;
		if (lo | hi | haszero(v ^ (ONES * '=')))
			break;
	}
	for (; i < lim; i++) {
		unsigned char c = p[i];
		if (c < 0x20 || c > 0x7E || c == '=')
			break;
	}
	return i < lim ? i : lim;
}

#ifdef MF__X86
__attribute__((target("ssse3"))) static inline size_t
dscan_ssse3_i(const unsigned char *p, size_t n)
{
	const __m128i eq = _mm_set1_epi8('='), cr = _mm_set1_epi8('\r');
	const __m128i lf = _mm_set1_epi8('\n');
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i m = _mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, eq), _mm_cmpeq_epi8(v, cr)),
		    _mm_cmpeq_epi8(v, lf));
		unsigned b = (unsigned)_mm_movemask_epi8(m);
		if (b)
			return i + (size_t)__builtin_ctz(b);
	}
	return i + dscan_scalar_i(p + i, n - i);
}

__attribute__((target("ssse3"))) static inline size_t
escan_ssse3_i(const unsigned char *p, size_t lim, size_t avail)
{
	const __m128i eq = _mm_set1_epi8('='), lo = _mm_set1_epi8(0x1F);
	const __m128i hi = _mm_set1_epi8(0x7F);
	size_t i = 0;

	for (; i < lim && avail - i >= 16; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* Signed compares: bytes >= 0x80 are negative, not > 0x1F. */
		__m128i ok =
		    _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
		unsigned b;

		ok = _mm_andnot_si128(_mm_cmpeq_epi8(v, eq), ok);
		b = (unsigned)_mm_movemask_epi8(ok) ^ 0xFFFFu;
		if (b) {
			i += (size_t)__builtin_ctz(b);
			return i < lim ? i : lim;
		}
	}
	if (i >= lim)
		return lim;
	return i + escan_scalar_i(p + i, lim - i, avail - i);
}

__attribute__((target("avx2"))) static inline size_t
dscan_avx2_i(const unsigned char *p, size_t n)
{
	const __m256i eq = _mm256_set1_epi8('='), cr = _mm256_set1_epi8('\r');
	const __m256i lf = _mm256_set1_epi8('\n');
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i m =
		    _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, eq),
		                                    _mm256_cmpeq_epi8(v, cr)),
		                    _mm256_cmpeq_epi8(v, lf));
		uint32_t b = (uint32_t)_mm256_movemask_epi8(m);
		if (b)
			return i + (size_t)__builtin_ctz(b);
	}
	return i + dscan_ssse3_i(p + i, n - i);
}

__attribute__((target("avx2"))) static inline size_t
escan_avx2_i(const unsigned char *p, size_t lim, size_t avail)
{
	const __m256i eq = _mm256_set1_epi8('='), lo = _mm256_set1_epi8(0x1F);
	const __m256i hi = _mm256_set1_epi8(0x7F);
	size_t i = 0;

	for (; i < lim && avail - i >= 32; i += 32) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i ok = _mm256_and_si256(_mm256_cmpgt_epi8(v, lo),
		                              _mm256_cmpgt_epi8(hi, v));
		uint32_t b;

		ok = _mm256_andnot_si256(_mm256_cmpeq_epi8(v, eq), ok);
		b = ~(uint32_t)_mm256_movemask_epi8(ok);
		if (b) {
			i += (size_t)__builtin_ctz(b);
			return i < lim ? i : lim;
		}
	}
	if (i >= lim)
		return lim;
	return i + escan_ssse3_i(p + i, lim - i, avail - i);
}

mf__qp_dscan_fn *const mf__qp_dscan[3] = {dscan_scalar_i, dscan_ssse3_i,
                                          dscan_avx2_i};
mf__qp_escan_fn *const mf__qp_escan[3] = {escan_scalar_i, escan_ssse3_i,
                                          escan_avx2_i};
#else
mf__qp_dscan_fn *const mf__qp_dscan[3] = {dscan_scalar_i, dscan_scalar_i,
                                          dscan_scalar_i};
mf__qp_escan_fn *const mf__qp_escan[3] = {escan_scalar_i, escan_scalar_i,
                                          escan_scalar_i};
#endif

/* ---------------------------------------------------------------------- */
/* Encoder                                                                 */
/* ---------------------------------------------------------------------- */

#define ENC_FLAGS (MF_QP_BINARY | MF_LF | MF_QP_SAFE)
#define DEC_FLAGS MF_STRICT
/* Characters of a line before its soft break "=" or hard break. */
#define QP_MAXCOL 75u
/* Input bytes an encoder state may hold for lookahead ("From" before " "). */
#define ENC_HOLD 4u

size_t
mf_qp_encoded_len(size_t n, unsigned flags)
{
	size_t m, a, b;

	if ((flags & ~ENC_FLAGS) != 0)
		return SIZE_MAX;
	/*
	 * Every byte (held ones too) gives at most 3 characters; a soft break
	 * (at most 3) follows at least 73 of them, except possibly the first
	 * one of a call, which can come right away.
	 */
	if (!mf__add(n, ENC_HOLD, &m) || !mf__mul(m, 3, &a))
		return SIZE_MAX;
	b = (m / 24 + 1) * 3;
	if (!mf__add(a, b, &a))
		return SIZE_MAX;
	return a;
}

int
mf_qp_enc_init(mf_qp_enc *st, unsigned flags)
{
	if (st == NULL)
		return MF_E_INVAL;
	memset(st, 0, sizeof(*st));
	/* Unknown bits are kept: every later call refuses the state. */
	st->flags_ = flags;
	return (flags & ~ENC_FLAGS) != 0 ? MF_E_INVAL : MF_OK;
}

static inline int
is_wsp(unsigned c)
{
	return c == ' ' || c == '\t';
}

/*
 * Encodes s[0..n) continuing the state's line. Stops before a byte whose
 * encoding depends on bytes not yet seen (unless fin: then the data ends
 * there); *used gets the bytes consumed. MF_E_NOSPC if out is too small
 * (the caller restores the state).
 */
/*
 * Byte classes for the encoder: QC_ESC always escaped (8-bit, "=",
 * controls but HTAB, CR and LF); QC_EOL CR and LF (escaped in binary
 * mode). Hex digit pairs of every byte.
 */
#define QC_ESC 1u
#define QC_EOL 2u
#define QC(c)                                                                  \
	((c) > 0x7E || (c) == '=' ||                                           \
	         ((c) < 0x20 && (c) != '\t' && (c) != '\r' && (c) != '\n')     \
	     ? QC_ESC                                                          \
	 : ((c) == '\r' || (c) == '\n') ? QC_EOL                               \
	                                : 0u)
#define HD(v) (char)((v) < 10 ? '0' + (v) : 'A' + (v)-10)
#define HP(c)                                                                  \
	{                                                                      \
		HD((c) >> 4), HD((c)&15)                                       \
	}
static const unsigned char qpcls[256] = {MF__X256(QC)};
static const char hexpairs[256][2] = {MF__X256(HP)};

/* Copies r bytes with few instructions for the short runs of mail text. */
static inline void
copy_run(void *dst, const void *src, size_t r)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (r >= 16) {
		if (r > 32) {
			memcpy(d, s, r);
			return;
		}
		memcpy(d, s, 16);
		memcpy(d + r - 16, s + r - 16, 16);
	} else if (r >= 8) {
		memcpy(d, s, 8);
		memcpy(d + r - 8, s + r - 8, 8);
	} else if (r >= 4) {
		memcpy(d, s, 4);
		memcpy(d + r - 4, s + r - 4, 4);
	} else {
		size_t k;
		for (k = 0; k < r; k++)
			d[k] = s[k];
	}
}

/*
 * Encoder blocks: 64 input bytes at a time. A mask function per path
 * (scalar, SSE2 under the SSSE3 path, AVX2) classifies the bytes of a
 * block; enc_blocks then walks the bytes that need work (escapes, line
 * ends, SP/HTAB before a line end) with bit scans, copying the literal
 * runs between them with one wide move each and keeping the column by
 * arithmetic, so that no byte of a run costs a branch. It applies the
 * rules of enc_core exactly (tests hold every path to the scalar one) and
 * leaves to enc_core what needs more than the block: the last bytes of the
 * data and, with MF_QP_SAFE, a "." or "F" starting a line.
 */
#define EQ_ESC_TEXT 1u /* always escaped in text mode */
#define EQ_ESC_BIN 2u  /* always escaped in binary mode */
#define EQ_LF 4u
#define EQ_CR 8u
#define EQ_WS 16u
#define EQC(c)                                                                 \
	((QC(c) & QC_ESC ? EQ_ESC_TEXT | EQ_ESC_BIN : 0u) |                    \
	 (QC(c) & QC_EOL ? EQ_ESC_BIN : 0u) | ((c) == '\n' ? EQ_LF : 0u) |     \
	 ((c) == '\r' ? EQ_CR : 0u) |                                          \
	 ((c) == ' ' || (c) == '\t' ? EQ_WS : 0u))
static const unsigned char eqcls[256] = {MF__X256(EQC)};

MF__INLINE void
emask_scalar(const unsigned char *s, int text, struct mf__qp_emask *m)
{
	const unsigned esc = text ? EQ_ESC_TEXT : EQ_ESC_BIN;
	uint64_t e = 0, lf = 0, cr = 0, ws = 0;
	unsigned k;

	for (k = 0; k < 64; k++) {
		unsigned t = eqcls[s[k]];

		e |= (uint64_t)((t & esc) != 0) << k;
		lf |= (uint64_t)((t & EQ_LF) != 0) << k;
		cr |= (uint64_t)((t & EQ_CR) != 0) << k;
		ws |= (uint64_t)((t & EQ_WS) != 0) << k;
	}
	m->esc = e;
	m->lf = lf;
	m->cr = cr;
	m->ws = ws;
}

#ifdef MF__X86
/* One 16-byte half: bytes < 0x20 or >= 0x7F are those not in (0x1F, 0x7F). */
__attribute__((target("ssse3"))) static inline void
emask16(__m128i v, int text, uint64_t *e, uint64_t *lf, uint64_t *cr,
        uint64_t *ws, unsigned at)
{
	__m128i eqlf = _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'));
	__m128i eqcr = _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'));
	__m128i tab = _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'));
	__m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1F)),
	                           _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
	__m128i esc = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')),
	                           _mm_andnot_si128(ok, _mm_set1_epi8(-1)));

	esc = _mm_andnot_si128(
	    text ? _mm_or_si128(tab, _mm_or_si128(eqlf, eqcr)) : tab, esc);
	*e |= (uint64_t)(unsigned)_mm_movemask_epi8(esc) << at;
	*lf |= (uint64_t)(unsigned)_mm_movemask_epi8(eqlf) << at;
	*cr |= (uint64_t)(unsigned)_mm_movemask_epi8(eqcr) << at;
	*ws |= (uint64_t)(unsigned)_mm_movemask_epi8(
	           _mm_or_si128(tab, _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))))
	       << at;
}

__attribute__((target("ssse3"), always_inline)) static inline void
emask_ssse3(const unsigned char *s, int text, struct mf__qp_emask *m)
{
	unsigned k;

	m->esc = m->lf = m->cr = m->ws = 0;
	for (k = 0; k < 64; k += 16)
		emask16(_mm_loadu_si128((const __m128i *)(const void *)(s + k)),
		        text, &m->esc, &m->lf, &m->cr, &m->ws, k);
}

__attribute__((target("avx2"), always_inline)) static inline void
emask_avx2(const unsigned char *s, int text, struct mf__qp_emask *m)
{
	unsigned k;

	m->esc = m->lf = m->cr = m->ws = 0;
	for (k = 0; k < 64; k += 32) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(s + k));
		__m256i eqlf = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n'));
		__m256i eqcr = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r'));
		__m256i tab = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t'));
		__m256i ok = _mm256_and_si256(
		    _mm256_cmpgt_epi8(v, _mm256_set1_epi8(0x1F)),
		    _mm256_cmpgt_epi8(_mm256_set1_epi8(0x7F), v));
		__m256i esc = _mm256_or_si256(
		    _mm256_cmpeq_epi8(v, _mm256_set1_epi8('=')),
		    _mm256_andnot_si256(ok, _mm256_set1_epi8(-1)));

		esc = _mm256_andnot_si256(
		    text ? _mm256_or_si256(tab, _mm256_or_si256(eqlf, eqcr))
		         : tab,
		    esc);
		m->esc |= (uint64_t)(uint32_t)_mm256_movemask_epi8(esc) << k;
		m->lf |= (uint64_t)(uint32_t)_mm256_movemask_epi8(eqlf) << k;
		m->cr |= (uint64_t)(uint32_t)_mm256_movemask_epi8(eqcr) << k;
		m->ws |=
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
		        tab, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(' '))))
		    << k;
	}
}

mf__qp_emask_fn *const mf__qp_emask[3] = {emask_scalar, emask_ssse3,
                                          emask_avx2};
#else
mf__qp_emask_fn *const mf__qp_emask[3] = {emask_scalar, emask_scalar,
                                          emask_scalar};
#endif

/*
 * Bytes of a block, input it reads (the block and the two bytes that
 * decide whether its last SP/HTAB ends a line), output room it needs (64
 * escapes, 3 soft breaks, the excess of a wide move and of a word).
 */
#define EB 64u
#define ENC_BLOCK_IN MF__QP_BLOCK_IN
#define ENC_BLOCK_ROOM MF__QP_BLOCK_ROOM

/* Writes a line end (soft when soft: "=" first). */
MF__INLINE size_t
put_break(char *d, int soft, size_t eol)
{
	size_t o = 0;

	if (soft)
		d[o++] = '=';
	if (eol == 2)
		d[o++] = '\r';
	d[o++] = '\n';
	return o;
}

/* Copies EB bytes (the excess of a literal run is overwritten). */
typedef void copy_fn(char *d, const unsigned char *s);

MF__INLINE void
copy_scalar(char *d, const unsigned char *s)
{
	memcpy(d, s, EB);
}

#ifdef MF__X86
__attribute__((target("ssse3"), always_inline)) static inline void
copy_ssse3(char *d, const unsigned char *s)
{
	unsigned k;

	for (k = 0; k < EB; k += 16)
		_mm_storeu_si128(
		    (__m128i *)(void *)(d + k),
		    _mm_loadu_si128((const __m128i *)(const void *)(s + k)));
}

__attribute__((target("avx2"), always_inline)) static inline void
copy_avx2(char *d, const unsigned char *s)
{
	unsigned k;

	for (k = 0; k < EB; k += 32)
		_mm256_storeu_si256(
		    (__m256i *)(void *)(d + k),
		    _mm256_loadu_si256((const __m256i *)(const void *)(s + k)));
}
#endif

/* Copies r (<= EB) literal bytes; EB are read when avail allows. */
MF__INLINE void
copy_lit(copy_fn *copy, char *d, const unsigned char *s, size_t r, size_t avail)
{
	size_t k;

	if (avail >= EB) {
		copy(d, s);
		return;
	}
	for (k = 0; k < r; k++) /* near the end of the data only */
		d[k] = (char)s[k];
}

/* "=XX" of every byte as the 3 bytes of a little-endian word. */
#define E3(c)                                                                  \
	((uint32_t)'=' | (uint32_t)HD((c) >> 4) << 8 |                         \
	 (uint32_t)HD((c)&15) << 16)
static const uint32_t esc3[256] = {MF__X256(E3)};

/*
 * The literal run b[p..k) when it does not simply fit on the line: soft
 * breaks at column 75; false when, in SAFE mode, a "." or "F" would start
 * a line (*pp is then where).
 */
MF__INLINE bool
enc_lit_slow(copy_fn *copy, int safe, size_t eol, char *d, size_t *op,
             const unsigned char *b, size_t *pp, size_t k, size_t avail,
             unsigned *colp)
{
	size_t p = *pp, o = *op;
	unsigned col = *colp;
	bool ok = true;

	while (p < k) {
		size_t r = k - p, room = QP_MAXCOL - col;

		if (safe && col == 0 && (b[p] == '.' || b[p] == 'F')) {
			ok = false;
			break;
		}
		copy_lit(copy, d + o, b + p, r, avail - p);
		if (r <= room) {
			o += r;
			col += (unsigned)r;
			p = k;
			break;
		}
		o += room;
		p += room;
		o += put_break(d + o, 1, eol);
		col = 0;
	}
	*pp = p;
	*op = o;
	*colp = col;
	return ok;
}

/*
 * Encodes whole blocks from s[*ip] to d[*op] while 34 input bytes (a
 * block and the two that decide its trailing whitespace) and
 * ENC_BLOCK_ROOM of output are left, continuing the line at column
 * *colp; stops early before a "." or "F" that starts a line in SAFE mode.
 * Per block, bit p of each mask stands for byte p: x the bytes written as
 * "=XX" (always-escaped ones, SP/HTAB ending a line, a CR not before LF),
 * lf the hard line ends (text: LF), z the bytes that vanish (text: the CR
 * of CRLF, the LF writing the chosen line end). Each of these is one step
 * without branches on its kind; literal runs between them one wide move.
 */
MF__INLINE void
enc_blocks(mf__qp_emask_fn *mask, copy_fn *copy, int text, int safe, size_t eol,
           char *d, size_t cap, size_t *op, const unsigned char *s, size_t *ip,
           size_t n, unsigned *colp)
{
	const uint32_t eolw = eol == 2 ? 0x0A0Du : 0x0Au;
	const unsigned zcol = safe ? 0 : ~0u;
	size_t i = *ip, o = *op, p = 0;
	unsigned col = *colp;

	while (n - i >= ENC_BLOCK_IN && cap - o >= ENC_BLOCK_ROOM) {
		const unsigned char *b = s + i;
		struct mf__qp_emask m;
		uint64_t x, lf = 0, z = 0, ev;

		mask(b, text, &m);
		x = m.esc;
		if (text) {
			lf = m.lf;
			if ((m.ws & ((m.lf | m.cr) >> 1 | (uint64_t)1 << 63)) |
			    m.cr) {
				/* Whitespace may end a line, or CR: exactly. */
				uint64_t lf1 =
				    m.lf >> 1 | (uint64_t)(b[EB] == '\n') << 63;
				uint64_t cr1 =
				    m.cr >> 1 | (uint64_t)(b[EB] == '\r') << 63;
				uint64_t lf2 = m.lf >> 2 |
				               (uint64_t)(b[EB] == '\n') << 62 |
				               (uint64_t)(b[EB + 1] == '\n')
				                   << 63;

				x |= (m.ws & (lf1 | (cr1 & lf2))) |
				     (m.cr & ~lf1);
				z = m.cr & lf1;
			}
		}
		ev = x | lf | z;
		p = 0;
		for (;;) {
			size_t k = ev ? (size_t)__builtin_ctzll(ev) : EB,
			       r = k - p;
			unsigned isl, isz, ise, two;
			uint32_t w;

			/* SAFE: a run starting a line is checked there. */
			if (MF__UNLIKELY(col + r > QP_MAXCOL || col == zcol)) {
				if (!enc_lit_slow(copy, safe, eol, d, &o, b, &p,
				                  k, n - i, &col))
					goto out;
			} else {
				copy_lit(copy, d + o, b + p, r, n - i - p);
				o += r;
				col += (unsigned)r;
			}
			if (k == EB)
				break;
			ev &= ev - 1;
			isl = lf >> k & 1;
			isz = z >> k & 1;
			ise = !(isl | isz);
			/* An escape right after an escape (UTF-8): taken too.
			 */
			two = (unsigned)(x >> k >> 1) & ise;
			if (MF__UNLIKELY(col + 3 * (ise + two) > QP_MAXCOL)) {
				/* The line ends before or between them. */
				two = 0;
				if (col + 3 * ise > QP_MAXCOL) {
					o += put_break(d + o, 1, eol);
					col = 0;
				}
			}
			/* Both words, one kept: no branch on the kind. */
			w = eolw ^ ((esc3[b[k]] ^ eolw) & (0u - ise));
			memcpy(d + o, &w, 4);
			w = esc3[b[k + 1]];
			memcpy(d + o + 3, &w, 4);
			o += (ise + two) * 3 + isl * eol;
			col = (col + 3 * (ise + two)) & (isl - 1u);
			ev &= ~((uint64_t)two << k << 1);
			p = k + 1 + two;
		}
		i += EB;
	}
	p = 0;
out:
	*ip = i + p;
	*op = o;
	*colp = col;
}

/* enc_blocks with the mode and line end as constants. */
typedef mf__qp_enc_blocks_fn enc_blocks_fn;

MF__INLINE void
enc_blocks_by(mf__qp_emask_fn *mask, copy_fn *copy, unsigned flags, char *d,
              size_t cap, size_t *op, const unsigned char *s, size_t *ip,
              size_t n, unsigned *colp)
{
	const int safe = (flags & MF_QP_SAFE) != 0;

	switch (flags & (MF_QP_BINARY | MF_LF)) {
	case 0:
		enc_blocks(mask, copy, 1, safe, 2, d, cap, op, s, ip, n, colp);
		break;
	case MF_LF:
		enc_blocks(mask, copy, 1, safe, 1, d, cap, op, s, ip, n, colp);
		break;
	case MF_QP_BINARY:
		enc_blocks(mask, copy, 0, safe, 2, d, cap, op, s, ip, n, colp);
		break;
	default:
		enc_blocks(mask, copy, 0, safe, 1, d, cap, op, s, ip, n, colp);
		break;
	}
}

__attribute__((noinline)) static void
enc_blocks_scalar(unsigned flags, char *d, size_t cap, size_t *op,
                  const unsigned char *s, size_t *ip, size_t n, unsigned *colp)
{
	enc_blocks_by(emask_scalar, copy_scalar, flags, d, cap, op, s, ip, n,
	              colp);
}

#ifdef MF__X86
__attribute__((target("ssse3"), noinline)) static void
enc_blocks_ssse3(unsigned flags, char *d, size_t cap, size_t *op,
                 const unsigned char *s, size_t *ip, size_t n, unsigned *colp)
{
	enc_blocks_by(emask_ssse3, copy_ssse3, flags, d, cap, op, s, ip, n,
	              colp);
}

__attribute__((target("avx2"), noinline)) static void
enc_blocks_avx2(unsigned flags, char *d, size_t cap, size_t *op,
                const unsigned char *s, size_t *ip, size_t n, unsigned *colp)
{
	enc_blocks_by(emask_avx2, copy_avx2, flags, d, cap, op, s, ip, n, colp);
}
#endif

/*
 * The scalar one is the twin of the others for the tests (the scalar path
 * runs the per-byte state machine, faster without vectors).
 */
#ifdef MF__X86
mf__qp_enc_blocks_fn *const mf__qp_enc_blocks[3] = {
    enc_blocks_scalar, enc_blocks_ssse3, enc_blocks_avx2};
#else
mf__qp_enc_blocks_fn *const mf__qp_enc_blocks[3] = {
    enc_blocks_scalar, enc_blocks_scalar, enc_blocks_scalar};
#endif

MF__INLINE int
enc_core(mf__qp_escan_fn *scan, enc_blocks_fn *blocks, mf_qp_enc *st, char *d,
         size_t cap, size_t *op, const unsigned char *s, size_t n, int fin,
         size_t *used)
{
	const int text = !(st->flags_ & MF_QP_BINARY);
	const int safe = (st->flags_ & MF_QP_SAFE) != 0;
	const size_t eol = (st->flags_ & MF_LF) ? 1 : 2;
	const unsigned escmask = text ? QC_ESC : QC_ESC | QC_EOL;
	size_t i = 0, o = *op;
	unsigned col = st->col_;
	int rc = MF_OK;

	while (i < n) {
		unsigned c;
		int enc, brk;
		size_t len, need;

		if (blocks != NULL && n - i >= ENC_BLOCK_IN &&
		    cap - o >= ENC_BLOCK_ROOM) {
			size_t i0 = i;

			blocks(st->flags_, d, cap, &o, s, &i, n, &col);
			if (i != i0)
				continue;
		}
		c = s[i];

		/* Fast path: a run of literal bytes on the current line. */
		if (c >= 0x21 && c <= 0x7E && c != '=' && col < QP_MAXCOL &&
		    !(safe && col == 0 && (c == '.' || c == 'F'))) {
			size_t lim = n - i, r;
			if (lim > QP_MAXCOL - col)
				lim = QP_MAXCOL - col;
			r = scan(s + i, lim, n - i);
			/*
			 * A space ending the run may end the line (before a
			 * line end, or the data if that is all there is): the
			 * slow path decides.
			 */
			if (s[i + r - 1] == ' ' &&
			    (i + r == n ||
			     (text && (s[i + r] == '\r' || s[i + r] == '\n'))))
				r--;
			if (r > cap - o)
				r = cap - o;
			if (n - i >= 80 && cap - o >= 80) {
				/* Wide copies; the excess is overwritten. */
				memcpy(d + o, s + i, 32);
				if (r > 32)
					memcpy(d + o + 32, s + i + 32, 48);
				o += r;
				i += r;
				col += (unsigned)r;
				continue;
			}
			if (r > 0) {
				copy_run(d + o, s + i, r);
				o += r;
				i += r;
				col += (unsigned)r;
				continue;
			}
		}
		/* Bytes that are always escaped (8-bit, "=", controls). */
		if (qpcls[c] & escmask) {
			do {
				c = s[i];
				brk = col + 3 > QP_MAXCOL;
				if (cap - o < 3 + (brk ? 1 + eol : 0)) {
					rc = MF_E_NOSPC;
					goto out;
				}
				if (brk) {
					d[o++] = '=';
					if (eol == 2)
						d[o++] = '\r';
					d[o++] = '\n';
					col = 0;
				}
				d[o] = '=';
				memcpy(d + o + 1, hexpairs[c], 2);
				o += 3;
				col += 3;
				i++;
			} while (i < n && (qpcls[s[i]] & escmask));
			continue;
		}
		if (text && c == '\n') {
			if (cap - o < eol) {
				rc = MF_E_NOSPC;
				break;
			}
			if (eol == 2)
				d[o++] = '\r';
			d[o++] = '\n';
			col = 0;
			i++;
			continue;
		}
		if (text && c == '\r') {
			if (i + 1 == n && !fin)
				break;
			if (i + 1 < n && s[i + 1] == '\n') {
				if (cap - o < eol) {
					rc = MF_E_NOSPC;
					break;
				}
				if (eol == 2)
					d[o++] = '\r';
				d[o++] = '\n';
				col = 0;
				i += 2;
				continue;
			}
			enc = 1;
		} else if (is_wsp(c)) {
			/* Encoded only when it ends a line (rule 3). */
			if (i + 1 == n) {
				if (!fin)
					break;
				enc = 1;
			} else if (!text) {
				enc = 0;
			} else if (s[i + 1] == '\n') {
				enc = 1;
			} else if (s[i + 1] == '\r') {
				if (i + 2 == n && !fin)
					break;
				enc = i + 2 < n && s[i + 2] == '\n';
			} else {
				enc = 0;
			}
		} else {
			enc = c == '=' || c < 0x20 || c > 0x7E;
		}
		len = enc ? 3 : 1;
		brk = col + len > QP_MAXCOL;
		if (!enc && safe && (brk || col == 0)) {
			/* This byte starts an encoded line. */
			if (c == '.') {
				enc = 1;
			} else if (c == 'F') {
				static const char rom[4] = {'r', 'o', 'm', ' '};
				size_t k = n - i - 1, j;
				if (k > 4)
					k = 4;
				for (j = 0; j < k && s[i + 1 + j] == rom[j];
				     j++)
					;
				if (j == k && k < 4 && !fin)
					break; /* need more to decide */
				enc = j == 4;
			}
			len = enc ? 3 : 1;
		}
		need = len + (brk ? 1 + eol : 0);
		if (cap - o < need) {
			rc = MF_E_NOSPC;
			break;
		}
		if (brk) {
			d[o++] = '=';
			if (eol == 2)
				d[o++] = '\r';
			d[o++] = '\n';
			col = 0;
		}
		if (enc) {
			d[o] = '=';
			d[o + 1] = hexdig[c >> 4];
			d[o + 2] = hexdig[c & 15];
			o += 3;
			col += 3;
		} else {
			d[o++] = (char)c;
			col++;
		}
		i++;
	}
out:
	st->col_ = col;
	*op = o;
	*used = i;
	return rc;
}

static int
enc_core_scalar(mf_qp_enc *st, char *d, size_t cap, size_t *op,
                const unsigned char *s, size_t n, int fin, size_t *used)
{
	return enc_core(escan_scalar_i, NULL, st, d, cap, op, s, n, fin, used);
}

#ifdef MF__X86
__attribute__((target("ssse3"))) static int
enc_core_ssse3(mf_qp_enc *st, char *d, size_t cap, size_t *op,
               const unsigned char *s, size_t n, int fin, size_t *used)
{
	return enc_core(escan_ssse3_i, enc_blocks_ssse3, st, d, cap, op, s, n,
	                fin, used);
}

__attribute__((target("avx2"))) static int
enc_core_avx2(mf_qp_enc *st, char *d, size_t cap, size_t *op,
              const unsigned char *s, size_t n, int fin, size_t *used)
{
	return enc_core(escan_avx2_i, enc_blocks_avx2, st, d, cap, op, s, n,
	                fin, used);
}
#else
#define enc_core_ssse3 enc_core_scalar
#define enc_core_avx2 enc_core_scalar
#endif

typedef int enc_core_fn(mf_qp_enc *, char *, size_t, size_t *,
                        const unsigned char *, size_t, int, size_t *);
static enc_core_fn *const enc_cores[3] = {enc_core_scalar, enc_core_ssse3,
                                          enc_core_avx2};

int
mf__qp_enc_update_path(int path, void *vst, char *out, size_t cap,
                       const void *in, size_t n, size_t *outlen)
{
	mf_qp_enc *st = vst;
	enc_core_fn *core = enc_cores[mf__path_resolve(path)];
	const unsigned char *s = in;
	mf_qp_enc save;
	size_t o = 0, used = 0, skip = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (in == NULL && n > 0) ||
	    (out == NULL && cap > 0) || st->npend_ > ENC_HOLD ||
	    (st->flags_ & ~ENC_FLAGS) != 0)
		return MF_E_INVAL;
	if (n == 0)
		return MF_OK;
	save = *st;
	if (st->npend_ > 0) {
		/* The held bytes and enough new ones to decide them. */
		unsigned char tmp[16];
		size_t np = st->npend_, k = n < 16 - np ? n : 16 - np;

		memcpy(tmp, st->pend_, np);
		memcpy(tmp + np, s, k);
		rc = core(st, out, cap, &o, tmp, np + k, 0, &used);
		if (rc < 0)
			goto fail;
		if (used < np) {
			/* Still undecided: then all of in is in tmp (k == n).
			 */
			memmove(st->pend_, tmp + used, np + k - used);
			st->npend_ = (unsigned)(np + k - used);
			*outlen = o;
			return MF_OK;
		}
		skip = used - np;
		st->npend_ = 0;
	}
	rc = core(st, out, cap, &o, s + skip, n - skip, 0, &used);
	if (rc < 0)
		goto fail;
	memcpy(st->pend_, s + skip + used, n - skip - used);
	st->npend_ = (unsigned)(n - skip - used);
	*outlen = o;
	return MF_OK;
fail:
	*st = save;
	return rc;
}

int
mf_qp_enc_update(mf_qp_enc *st, char *out, size_t cap, const void *in, size_t n,
                 size_t *outlen)
{
	return mf__qp_enc_update_path(MF__PATH_BEST, st, out, cap, in, n,
	                              outlen);
}

static int
enc_final(void *vst, char *out, size_t cap, size_t *outlen)
{
	mf_qp_enc *st = vst;
	mf_qp_enc save;
	size_t o = 0, used = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (out == NULL && cap > 0) ||
	    st->npend_ > ENC_HOLD || (st->flags_ & ~ENC_FLAGS) != 0)
		return MF_E_INVAL;
	save = *st;
	rc = enc_core_scalar(st, out, cap, &o, st->pend_, st->npend_, 1, &used);
	if (rc < 0) {
		*st = save;
		return rc;
	}
	st->col_ = 0;
	st->npend_ = 0;
	memset(st->pend_, 0, sizeof(st->pend_));
	*outlen = o;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Decoder                                                                 */
/* ---------------------------------------------------------------------- */

enum {
	Q_TEXT = 0, /* held: whitespace that may end the line */
	Q_CR,       /* held: whitespace, then CR */
	Q_EQ,       /* held: "=" and whitespace after it */
	Q_EQ_CR,    /* held: "=", whitespace, CR */
	Q_HEX1,     /* held: "=" and one hex digit (hex_) */
	Q_FINISHED  /* final was called */
};

#define WMASK (MF_QP_MAX_WSP - 1u)

size_t
mf_qp_decoded_len(size_t n)
{
	size_t r;

	/* Held bytes: up to MF_QP_MAX_WSP whitespace plus "=" and CR. */
	if (!mf__add(n, MF_QP_MAX_WSP + 2, &r))
		return SIZE_MAX;
	return r;
}

static inline unsigned
wbit(const mf_qp_dec *st, unsigned k)
{
	unsigned j = (st->wstart_ + k) & WMASK;

	return (unsigned)(st->wbits_[j / 64] >> (j % 64)) & 1u;
}

static inline void
wput(mf_qp_dec *st, unsigned c)
{
	unsigned j = (st->wstart_ + st->wn_) & WMASK;
	uint64_t b = (uint64_t)1 << (j % 64);

	if (c == '\t')
		st->wbits_[j / 64] |= b;
	else
		st->wbits_[j / 64] &= ~b;
	st->wn_++;
}

static inline void
wdrop(mf_qp_dec *st)
{
	st->wn_ = 0;
	st->wstart_ = 0;
}

/* Emits the held whitespace (caller checked the room). */
static void
wflush(mf_qp_dec *st, unsigned char *d, size_t *o)
{
	unsigned k;

	for (k = 0; k < st->wn_; k++)
		d[(*o)++] = wbit(st, k) ? '\t' : ' ';
	wdrop(st);
}

static int
dec_bad(mf_qp_dec *st, int code, uint64_t off, const char *reason)
{
	if (st->flags & MF_STRICT) {
		st->err_ = code;
		st->err_off_ = off;
		st->err_reason_ = reason;
		return code;
	}
	if (st->defects == 0)
		st->defect_off = off;
	st->defects |= MF_DEFECT_BIT(MF_D_QP_INVALID);
	return MF_OK;
}

/* The "=" and what followed it, kept literally (cap checked by caller). */
static void
emit_invalid(mf_qp_dec *st, unsigned char *d, size_t *o)
{
	d[(*o)++] = '=';
	if (st->state_ == Q_HEX1) {
		d[(*o)++] = st->hex_;
		return;
	}
	wflush(st, d, o);
	if (st->state_ == Q_EQ_CR)
		d[(*o)++] = '\r';
}

/* Bytes emit_invalid writes in the current state. */
static size_t
invalid_len(const mf_qp_dec *st)
{
	if (st->state_ == Q_HEX1)
		return 2;
	return 1 + st->wn_ + (st->state_ == Q_EQ_CR);
}

static inline int
is_hex(unsigned c)
{
	return mf__hexval((unsigned char)c) >= 0;
}

/* One byte through the state machine. */
static int
dec_char(mf_qp_dec *st, unsigned char *d, size_t cap, size_t *o, unsigned c,
         uint64_t off)
{
	int rc;

	for (;;) {
		switch (st->state_) {
		case Q_TEXT:
			if (is_wsp(c)) {
				if (st->wn_ == MF_QP_MAX_WSP) {
					/* The oldest cannot end the line. */
					if (cap - *o < 1)
						return MF_E_NOSPC;
					d[(*o)++] = wbit(st, 0) ? '\t' : ' ';
					st->wstart_ = (st->wstart_ + 1) & WMASK;
					st->wn_--;
				}
				wput(st, c);
				return MF_OK;
			}
			if (c == '\r') {
				st->state_ = Q_CR;
				return MF_OK;
			}
			if (c == '\n') {
				if (cap - *o < 1)
					return MF_E_NOSPC;
				wdrop(st);
				d[(*o)++] = '\n';
				return MF_OK;
			}
			if (cap - *o < st->wn_ + (c != '='))
				return MF_E_NOSPC;
			wflush(st, d, o);
			if (c == '=')
				st->state_ = Q_EQ;
			else
				d[(*o)++] = (unsigned char)c;
			return MF_OK;
		case Q_CR:
			if (c == '\n') {
				if (cap - *o < 2)
					return MF_E_NOSPC;
				wdrop(st);
				d[(*o)++] = '\r';
				d[(*o)++] = '\n';
				st->state_ = Q_TEXT;
				return MF_OK;
			}
			/* A bare CR: an ordinary byte, so no line end. */
			if (cap - *o < st->wn_ + 1u)
				return MF_E_NOSPC;
			wflush(st, d, o);
			d[(*o)++] = '\r';
			st->state_ = Q_TEXT;
			continue;
		case Q_EQ:
			if (c == '\n') {
				wdrop(st); /* soft line break */
				st->state_ = Q_TEXT;
				return MF_OK;
			}
			if (c == '\r') {
				st->state_ = Q_EQ_CR;
				return MF_OK;
			}
			if (is_wsp(c) && st->wn_ < MF_QP_MAX_WSP) {
				wput(st, c);
				return MF_OK;
			}
			if (st->wn_ == 0 && is_hex(c)) {
				st->hex_ = (unsigned char)c;
				st->state_ = Q_HEX1;
				return MF_OK;
			}
			break;
		case Q_EQ_CR:
			if (c == '\n') {
				wdrop(st); /* soft line break */
				st->state_ = Q_TEXT;
				return MF_OK;
			}
			break;
		case Q_HEX1:
			if (is_hex(c)) {
				if (cap - *o < 1)
					return MF_E_NOSPC;
				d[(*o)++] =
				    (unsigned char)(mf__hexval(st->hex_) << 4 |
				                    mf__hexval(
				                        (unsigned char)c));
				st->state_ = Q_TEXT;
				return MF_OK;
			}
			break;
		default:
			return MF_E_STATE;
		}
		/* c shows that the "=" starts no escape: keep it literally. */
		if (cap - *o < invalid_len(st))
			return MF_E_NOSPC;
		rc = dec_bad(st, MF_E_SYNTAX, off, "invalid \"=\" escape");
		if (rc < 0)
			return rc;
		emit_invalid(st, d, o);
		st->state_ = Q_TEXT;
	}
}

static int
dec_sticky(const mf_qp_dec *st, mf_error *err)
{
	return mf__err(err, st->err_, (size_t)st->err_off_, st->err_reason_);
}

/* Hex value of a byte, -1 if it is no hex digit (either case). */
#define HV(c)                                                                  \
	((c) >= '0' && (c) <= '9'   ? (c) - '0'                                \
	 : (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10                           \
	 : (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10                           \
	                            : -1)
static const signed char hexv[256] = {MF__X256(HV)};

/*
 * The vector block steps (SSSE3, AVX2): decode whole blocks from s[*ip]
 * to d[*op] while at least a block and two bytes of input and a block of
 * output room are left, up to the first byte that needs the scalar step
 * ("=" that starts no complete escape, SP/HTAB before CR or LF); *run
 * gets the output length up to the last escape or soft break decoded
 * (whitespace before it is never trimmed).
 */
typedef void dblocks_fn(unsigned char *d, size_t cap, size_t *op,
                        const unsigned char *s, size_t *ip, size_t n,
                        size_t *run);

/*
 * The common cases in the text state with nothing held: literal runs,
 * "=XX", soft breaks, hard line ends (dropping the run's trailing
 * whitespace) and a CR before another byte. Returns where it stopped:
 * the end, or a byte for dec_char. Whitespace ending the last literal run
 * is then moved into the held ring, exactly as dec_char would have held
 * it, so both paths give the same result.
 */
MF__INLINE size_t
dec_fast(mf__qp_dscan_fn *scan, dblocks_fn *blocks, mf_qp_dec *st,
         unsigned char *d, size_t cap, size_t *op, const unsigned char *s,
         size_t i, size_t n)
{
	size_t o = *op, run = o, t = 0;

	while (i < n) {
		unsigned c = s[i];

		/*
		 * The blocks see no whitespace written before them: a line
		 * end right after such goes to the scalar step, which trims.
		 */
		if (blocks != NULL && n - i >= 34 && cap - o >= 32 &&
		    !((c == '\r' || c == '\n') && o > run &&
		      is_wsp(d[o - 1]))) {
			size_t i0 = i;

			blocks(d, cap, &o, s, &i, n, &run);
			if (i != i0)
				continue;
		}

		if (c == '=') {
			int v;
			if (n - i < 3)
				break;
			v = hexv[s[i + 1]] | hexv[s[i + 2]];
			if (v >= 0) {
				if (o == cap)
					break;
				d[o++] = (unsigned char)(hexv[s[i + 1]] << 4 |
				                         hexv[s[i + 2]]);
				i += 3;
				run = o;
				continue;
			}
			if (s[i + 1] == '\n') {
				i += 2;
				run = o;
				continue;
			}
			if (s[i + 1] == '\r' && s[i + 2] == '\n') {
				i += 3;
				run = o;
				continue;
			}
			break;
		}
		if (c == '\r' || c == '\n') {
			size_t len = c == '\n' ? 1 : 2;
			if (c == '\r' && (n - i < 2 || s[i + 1] != '\n')) {
				if (n - i < 2 || o == cap)
					break;
				d[o++] = '\r'; /* a bare CR is data */
				i++;
				continue;
			}
			/* Hard line end: drop the whitespace before it. */
			t = 0;
			while (o - t > run && t < MF_QP_MAX_WSP &&
			       is_wsp(d[o - 1 - t]))
				t++;
			if (cap - (o - t) < len)
				break;
			o -= t;
			if (len == 2)
				d[o++] = '\r';
			d[o++] = '\n';
			i += len;
			run = o;
			continue;
		}
		{
			size_t r = scan(s + i, n - i);
			if (r <= 32 && n - i >= 32 && cap - o >= 32) {
				/* One wide copy; the excess is overwritten. */
				memcpy(d + o, s + i, 32);
			} else {
				if (r > cap - o)
					r = cap - o;
				if (r == 0)
					break;
				copy_run(d + o, s + i, r);
			}
			o += r;
			i += r;
		}
	}
	/* Hold the whitespace ending the last run (it may end a line). */
	t = 0;
	while (o - t > run && t < MF_QP_MAX_WSP && is_wsp(d[o - 1 - t]))
		t++;
	o -= t;
	for (; t > 0; t--)
		wput(st, d[o + st->wn_]);
	*op = o;
	return i;
}

static size_t
dec_fast_scalar(mf_qp_dec *st, unsigned char *d, size_t cap, size_t *op,
                const unsigned char *s, size_t i, size_t n)
{
	return dec_fast(dscan_scalar_i, NULL, st, d, cap, op, s, i, n);
}

#ifdef MF__X86
/* For each 8-bit mask, the indices of its set bits (0x80: unused). */
static const uint64_t compact_lut[256] = {
    0x8080808080808080ull, 0x8080808080808000ull, 0x8080808080808001ull,
    0x8080808080800100ull, 0x8080808080808002ull, 0x8080808080800200ull,
    0x8080808080800201ull, 0x8080808080020100ull, 0x8080808080808003ull,
    0x8080808080800300ull, 0x8080808080800301ull, 0x8080808080030100ull,
    0x8080808080800302ull, 0x8080808080030200ull, 0x8080808080030201ull,
    0x8080808003020100ull, 0x8080808080808004ull, 0x8080808080800400ull,
    0x8080808080800401ull, 0x8080808080040100ull, 0x8080808080800402ull,
    0x8080808080040200ull, 0x8080808080040201ull, 0x8080808004020100ull,
    0x8080808080800403ull, 0x8080808080040300ull, 0x8080808080040301ull,
    0x8080808004030100ull, 0x8080808080040302ull, 0x8080808004030200ull,
    0x8080808004030201ull, 0x8080800403020100ull, 0x8080808080808005ull,
    0x8080808080800500ull, 0x8080808080800501ull, 0x8080808080050100ull,
    0x8080808080800502ull, 0x8080808080050200ull, 0x8080808080050201ull,
    0x8080808005020100ull, 0x8080808080800503ull, 0x8080808080050300ull,
    0x8080808080050301ull, 0x8080808005030100ull, 0x8080808080050302ull,
    0x8080808005030200ull, 0x8080808005030201ull, 0x8080800503020100ull,
    0x8080808080800504ull, 0x8080808080050400ull, 0x8080808080050401ull,
    0x8080808005040100ull, 0x8080808080050402ull, 0x8080808005040200ull,
    0x8080808005040201ull, 0x8080800504020100ull, 0x8080808080050403ull,
    0x8080808005040300ull, 0x8080808005040301ull, 0x8080800504030100ull,
    0x8080808005040302ull, 0x8080800504030200ull, 0x8080800504030201ull,
    0x8080050403020100ull, 0x8080808080808006ull, 0x8080808080800600ull,
    0x8080808080800601ull, 0x8080808080060100ull, 0x8080808080800602ull,
    0x8080808080060200ull, 0x8080808080060201ull, 0x8080808006020100ull,
    0x8080808080800603ull, 0x8080808080060300ull, 0x8080808080060301ull,
    0x8080808006030100ull, 0x8080808080060302ull, 0x8080808006030200ull,
    0x8080808006030201ull, 0x8080800603020100ull, 0x8080808080800604ull,
    0x8080808080060400ull, 0x8080808080060401ull, 0x8080808006040100ull,
    0x8080808080060402ull, 0x8080808006040200ull, 0x8080808006040201ull,
    0x8080800604020100ull, 0x8080808080060403ull, 0x8080808006040300ull,
    0x8080808006040301ull, 0x8080800604030100ull, 0x8080808006040302ull,
    0x8080800604030200ull, 0x8080800604030201ull, 0x8080060403020100ull,
    0x8080808080800605ull, 0x8080808080060500ull, 0x8080808080060501ull,
    0x8080808006050100ull, 0x8080808080060502ull, 0x8080808006050200ull,
    0x8080808006050201ull, 0x8080800605020100ull, 0x8080808080060503ull,
    0x8080808006050300ull, 0x8080808006050301ull, 0x8080800605030100ull,
    0x8080808006050302ull, 0x8080800605030200ull, 0x8080800605030201ull,
    0x8080060503020100ull, 0x8080808080060504ull, 0x8080808006050400ull,
    0x8080808006050401ull, 0x8080800605040100ull, 0x8080808006050402ull,
    0x8080800605040200ull, 0x8080800605040201ull, 0x8080060504020100ull,
    0x8080808006050403ull, 0x8080800605040300ull, 0x8080800605040301ull,
    0x8080060504030100ull, 0x8080800605040302ull, 0x8080060504030200ull,
    0x8080060504030201ull, 0x8006050403020100ull, 0x8080808080808007ull,
    0x8080808080800700ull, 0x8080808080800701ull, 0x8080808080070100ull,
    0x8080808080800702ull, 0x8080808080070200ull, 0x8080808080070201ull,
    0x8080808007020100ull, 0x8080808080800703ull, 0x8080808080070300ull,
    0x8080808080070301ull, 0x8080808007030100ull, 0x8080808080070302ull,
    0x8080808007030200ull, 0x8080808007030201ull, 0x8080800703020100ull,
    0x8080808080800704ull, 0x8080808080070400ull, 0x8080808080070401ull,
    0x8080808007040100ull, 0x8080808080070402ull, 0x8080808007040200ull,
    0x8080808007040201ull, 0x8080800704020100ull, 0x8080808080070403ull,
    0x8080808007040300ull, 0x8080808007040301ull, 0x8080800704030100ull,
    0x8080808007040302ull, 0x8080800704030200ull, 0x8080800704030201ull,
    0x8080070403020100ull, 0x8080808080800705ull, 0x8080808080070500ull,
    0x8080808080070501ull, 0x8080808007050100ull, 0x8080808080070502ull,
    0x8080808007050200ull, 0x8080808007050201ull, 0x8080800705020100ull,
    0x8080808080070503ull, 0x8080808007050300ull, 0x8080808007050301ull,
    0x8080800705030100ull, 0x8080808007050302ull, 0x8080800705030200ull,
    0x8080800705030201ull, 0x8080070503020100ull, 0x8080808080070504ull,
    0x8080808007050400ull, 0x8080808007050401ull, 0x8080800705040100ull,
    0x8080808007050402ull, 0x8080800705040200ull, 0x8080800705040201ull,
    0x8080070504020100ull, 0x8080808007050403ull, 0x8080800705040300ull,
    0x8080800705040301ull, 0x8080070504030100ull, 0x8080800705040302ull,
    0x8080070504030200ull, 0x8080070504030201ull, 0x8007050403020100ull,
    0x8080808080800706ull, 0x8080808080070600ull, 0x8080808080070601ull,
    0x8080808007060100ull, 0x8080808080070602ull, 0x8080808007060200ull,
    0x8080808007060201ull, 0x8080800706020100ull, 0x8080808080070603ull,
    0x8080808007060300ull, 0x8080808007060301ull, 0x8080800706030100ull,
    0x8080808007060302ull, 0x8080800706030200ull, 0x8080800706030201ull,
    0x8080070603020100ull, 0x8080808080070604ull, 0x8080808007060400ull,
    0x8080808007060401ull, 0x8080800706040100ull, 0x8080808007060402ull,
    0x8080800706040200ull, 0x8080800706040201ull, 0x8080070604020100ull,
    0x8080808007060403ull, 0x8080800706040300ull, 0x8080800706040301ull,
    0x8080070604030100ull, 0x8080800706040302ull, 0x8080070604030200ull,
    0x8080070604030201ull, 0x8007060403020100ull, 0x8080808080070605ull,
    0x8080808007060500ull, 0x8080808007060501ull, 0x8080800706050100ull,
    0x8080808007060502ull, 0x8080800706050200ull, 0x8080800706050201ull,
    0x8080070605020100ull, 0x8080808007060503ull, 0x8080800706050300ull,
    0x8080800706050301ull, 0x8080070605030100ull, 0x8080800706050302ull,
    0x8080070605030200ull, 0x8080070605030201ull, 0x8007060503020100ull,
    0x8080808007060504ull, 0x8080800706050400ull, 0x8080800706050401ull,
    0x8080070605040100ull, 0x8080800706050402ull, 0x8080070605040200ull,
    0x8080070605040201ull, 0x8007060504020100ull, 0x8080800706050403ull,
    0x8080070605040300ull, 0x8080070605040301ull, 0x8007060504030100ull,
    0x8080070605040302ull, 0x8007060504030200ull, 0x8007060504030201ull,
    0x0706050403020100ull};

/* Bits in the low 16 of x, by table (the SSSE3 path has no POPCNT). */
#define PC(x)                                                                  \
	(((x)&1) + ((x) >> 1 & 1) + ((x) >> 2 & 1) + ((x) >> 3 & 1) +          \
	 ((x) >> 4 & 1) + ((x) >> 5 & 1) + ((x) >> 6 & 1) + ((x) >> 7 & 1))
static const unsigned char pop8[256] = {MF__X256(PC)};

/* Bits set in x: POPCNT where the path has it (hw), else by table. */
MF__INLINE unsigned
pop32(uint32_t x, int hw)
{
	if (hw)
		return (unsigned)__builtin_popcount(x);
	return (unsigned)pop8[x & 0xFF] + pop8[x >> 8 & 0xFF] +
	       pop8[x >> 16 & 0xFF] + pop8[x >> 24];
}

/*
 * The bit logic of a decode block of nb bytes (16 or 32), on masks with
 * bit p for byte p: e "=", hx hex digit, ws SP/HTAB; lf1, cr1 LF and CR
 * one byte further, lf2 LF two further. Returns where the block stops
 * (the first "=" that is neither an escape nor a soft break, SP/HTAB just
 * before CR or LF, an "=" in the last two positions; nb if none) and sets
 * *keep, the bytes that stay in the output ("=" of an escape holds its
 * value, its digits and soft breaks go), and *bar, the escapes and soft
 * breaks before the stop.
 */
MF__INLINE unsigned
dec_bits(unsigned nb, uint32_t e, uint32_t hx, uint32_t ws, uint32_t lf1,
         uint32_t cr1, uint32_t lf2, uint32_t *keep, uint32_t *bar)
{
	uint32_t esc = e & (hx >> 1) & (hx >> 2), soft1 = e & lf1;
	uint32_t soft2 = e & cr1 & lf2, low, stopm;
	unsigned stop;

	stopm = (e & ~(esc | soft1 | soft2)) | (ws & (lf1 | cr1)) |
	        (e & ((uint32_t)3 << (nb - 2)));
	stop = stopm ? (unsigned)__builtin_ctz(stopm) : nb;
	low = stop == 32 ? 0xFFFFFFFFu : ((uint32_t)1 << stop) - 1;
	esc &= low;
	soft1 &= low;
	soft2 &= low;
	*keep = low & ~(esc << 1 | esc << 2 | soft1 | soft1 << 1 | soft2 |
	                soft2 << 1 | soft2 << 2);
	*bar = esc | soft1 | soft2;
	return stop;
}

/* Output of the block up to its last escape or soft break, if any. */
MF__INLINE void
dec_run(uint32_t keep, uint32_t bar, size_t o, size_t *run, int hw)
{
	if (bar) {
		unsigned last = 31u - (unsigned)__builtin_clz(bar);
		*run = o + pop32(keep & (((uint32_t)2 << last) - 1), hw);
	}
}

/* Writes the bytes of the 16-byte v selected by the 16-bit mask k. */
__attribute__((target("ssse3"), always_inline)) static inline size_t
compact16(unsigned char *d, __m128i v, unsigned k, int hw)
{
	__m128i i0 = _mm_loadl_epi64(
	    (const __m128i *)(const void *)&compact_lut[k & 0xFF]);
	__m128i i1 = _mm_loadl_epi64(
	    (const __m128i *)(const void *)&compact_lut[k >> 8]);
	size_t n0 = pop32(k & 0xFF, hw);

	/* Indices of the high half point 8 further (0x80 stays >= 0x80). */
	i1 = _mm_add_epi8(i1, _mm_set1_epi8(8));
	_mm_storel_epi64((__m128i *)(void *)d, _mm_shuffle_epi8(v, i0));
	_mm_storel_epi64((__m128i *)(void *)(d + n0), _mm_shuffle_epi8(v, i1));
	return n0 + pop32(k >> 8, hw);
}

/*
 * 16 bytes (SSSE3) or 32 (AVX2) at a time, without branches on the data
 * inside a block: literal bytes, CR and LF are kept, "=XX" becomes its
 * byte, soft breaks ("=" CRLF or LF) vanish, all by one compaction with a
 * shuffle table; a block with no "=" and no SP/HTAB before a line end is
 * stored as it is. Hex digits: the low nibble, plus 9 for letters (the
 * nibble table nib), valid when 0-9 or (lower-cased) a-f.
 */
#define M16(x) ((uint32_t)_mm_movemask_epi8(x))

__attribute__((target("ssse3"))) static void
dec_blocks_ssse3(unsigned char *d, size_t cap, size_t *op,
                 const unsigned char *s, size_t *ip, size_t n, size_t *run)
{
	const __m128i c_eq = _mm_set1_epi8('='), c_lf = _mm_set1_epi8('\n');
	const __m128i c_cr = _mm_set1_epi8('\r'), c_sp = _mm_set1_epi8(' ');
	const __m128i c_tab = _mm_set1_epi8('\t'), c_0 = _mm_set1_epi8('0');
	const __m128i c_9 = _mm_set1_epi8(9), c_20 = _mm_set1_epi8(0x20);
	const __m128i c_a = _mm_set1_epi8('a'), c_5 = _mm_set1_epi8(5);
	const __m128i m0f = _mm_set1_epi8(0x0F);
	const __m128i nib =
	    _mm_setr_epi8(0, 0, 0, 0, 9, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	size_t i = *ip, o = *op;

	while (n - i >= 18 && cap - o >= 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i h1 =
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
		__m128i h2, eqv, dg, al, v1, v2, out;
		uint32_t e = M16(_mm_cmpeq_epi8(v, c_eq));
		uint32_t lf1 = M16(_mm_cmpeq_epi8(h1, c_lf));
		uint32_t cr1 = M16(_mm_cmpeq_epi8(h1, c_cr));
		uint32_t ws = M16(_mm_or_si128(_mm_cmpeq_epi8(v, c_sp),
		                               _mm_cmpeq_epi8(v, c_tab)));
		uint32_t keep, bar, hx;
		unsigned stop;

		if ((e | (ws & (lf1 | cr1))) == 0) {
			_mm_storeu_si128((__m128i *)(void *)(d + o), v);
			o += 16;
			i += 16;
			continue;
		}
		h2 =
		    _mm_loadu_si128((const __m128i *)(const void *)(s + i + 2));
		dg = _mm_sub_epi8(v, c_0);
		al = _mm_sub_epi8(_mm_or_si128(v, c_20), c_a);
		dg = _mm_cmpeq_epi8(_mm_min_epu8(dg, c_9), dg);
		al = _mm_cmpeq_epi8(_mm_min_epu8(al, c_5), al);
		hx = M16(_mm_or_si128(dg, al));
		stop = dec_bits(16, e, hx, ws, lf1, cr1,
		                M16(_mm_cmpeq_epi8(h2, c_lf)), &keep, &bar);
		if (stop == 0)
			break;
		v1 = _mm_add_epi8(
		    _mm_and_si128(h1, m0f),
		    _mm_shuffle_epi8(
		        nib, _mm_and_si128(_mm_srli_epi16(h1, 4), m0f)));
		v2 = _mm_add_epi8(
		    _mm_and_si128(h2, m0f),
		    _mm_shuffle_epi8(
		        nib, _mm_and_si128(_mm_srli_epi16(h2, 4), m0f)));
		eqv = _mm_cmpeq_epi8(v, c_eq);
		out = _mm_or_si128(
		    _mm_andnot_si128(eqv, v),
		    _mm_and_si128(eqv,
		                  _mm_or_si128(_mm_slli_epi16(v1, 4), v2)));
		dec_run(keep, bar, o, run, 0);
		o += compact16(d + o, out, keep, 0);
		i += stop;
	}
	*ip = i;
	*op = o;
}

#define M32(x) ((uint32_t)_mm256_movemask_epi8(x))

__attribute__((target("avx2,popcnt"))) static void
dec_blocks_avx2(unsigned char *d, size_t cap, size_t *op,
                const unsigned char *s, size_t *ip, size_t n, size_t *run)
{
	const __m256i c_eq = _mm256_set1_epi8('='),
	              c_lf = _mm256_set1_epi8('\n');
	const __m256i c_cr = _mm256_set1_epi8('\r'),
	              c_sp = _mm256_set1_epi8(' ');
	const __m256i c_tab = _mm256_set1_epi8('\t'),
	              c_0 = _mm256_set1_epi8('0');
	const __m256i c_9 = _mm256_set1_epi8(9), c_20 = _mm256_set1_epi8(0x20);
	const __m256i c_a = _mm256_set1_epi8('a'), c_5 = _mm256_set1_epi8(5);
	const __m256i m0f = _mm256_set1_epi8(0x0F);
	const __m256i nib =
	    _mm256_setr_epi8(0, 0, 0, 0, 9, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	                     0, 0, 0, 9, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	size_t i = *ip, o = *op;

	while (n - i >= 34 && cap - o >= 32) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
		__m256i h1 = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(s + i + 1));
		__m256i h2, eqv, dg, al, v1, v2, out;
		uint32_t e = M32(_mm256_cmpeq_epi8(v, c_eq));
		uint32_t lf1 = M32(_mm256_cmpeq_epi8(h1, c_lf));
		uint32_t cr1 = M32(_mm256_cmpeq_epi8(h1, c_cr));
		uint32_t ws = M32(_mm256_or_si256(_mm256_cmpeq_epi8(v, c_sp),
		                                  _mm256_cmpeq_epi8(v, c_tab)));
		uint32_t keep, bar, hx;
		unsigned stop;
		size_t n0;

		if ((e | (ws & (lf1 | cr1))) == 0) {
			_mm256_storeu_si256((__m256i *)(void *)(d + o), v);
			o += 32;
			i += 32;
			continue;
		}
		h2 = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(s + i + 2));
		dg = _mm256_sub_epi8(v, c_0);
		al = _mm256_sub_epi8(_mm256_or_si256(v, c_20), c_a);
		dg = _mm256_cmpeq_epi8(_mm256_min_epu8(dg, c_9), dg);
		al = _mm256_cmpeq_epi8(_mm256_min_epu8(al, c_5), al);
		hx = M32(_mm256_or_si256(dg, al));
		stop = dec_bits(32, e, hx, ws, lf1, cr1,
		                M32(_mm256_cmpeq_epi8(h2, c_lf)), &keep, &bar);
		if (stop == 0)
			break;
		v1 = _mm256_add_epi8(
		    _mm256_and_si256(h1, m0f),
		    _mm256_shuffle_epi8(
		        nib, _mm256_and_si256(_mm256_srli_epi16(h1, 4), m0f)));
		v2 = _mm256_add_epi8(
		    _mm256_and_si256(h2, m0f),
		    _mm256_shuffle_epi8(
		        nib, _mm256_and_si256(_mm256_srli_epi16(h2, 4), m0f)));
		eqv = _mm256_cmpeq_epi8(v, c_eq);
		out = _mm256_blendv_epi8(
		    v, _mm256_or_si256(_mm256_slli_epi16(v1, 4), v2), eqv);
		dec_run(keep, bar, o, run, 1);
		n0 = compact16(d + o, _mm256_castsi256_si128(out),
		               keep & 0xFFFF, 1);
		o +=
		    n0 + compact16(d + o + n0, _mm256_extracti128_si256(out, 1),
		                   keep >> 16, 1);
		i += stop;
	}
	*ip = i;
	*op = o;
}

__attribute__((target("ssse3"))) static size_t
dec_fast_ssse3(mf_qp_dec *st, unsigned char *d, size_t cap, size_t *op,
               const unsigned char *s, size_t i, size_t n)
{
	return dec_fast(dscan_ssse3_i, dec_blocks_ssse3, st, d, cap, op, s, i,
	                n);
}

__attribute__((target("avx2,popcnt"))) static size_t
dec_fast_avx2(mf_qp_dec *st, unsigned char *d, size_t cap, size_t *op,
              const unsigned char *s, size_t i, size_t n)
{
	return dec_fast(dscan_avx2_i, dec_blocks_avx2, st, d, cap, op, s, i, n);
}
#else
#define dec_fast_ssse3 dec_fast_scalar
#define dec_fast_avx2 dec_fast_scalar
#endif

typedef size_t dec_fast_fn(mf_qp_dec *, unsigned char *, size_t, size_t *,
                           const unsigned char *, size_t, size_t);
static dec_fast_fn *const dec_fasts[3] = {dec_fast_scalar, dec_fast_ssse3,
                                          dec_fast_avx2};

int
mf__qp_dec_update_path(int path, void *vst, void *out, size_t cap,
                       const char *in, size_t n, size_t *outlen, mf_error *err)
{
	mf_qp_dec *st = vst;
	dec_fast_fn *fast = dec_fasts[mf__path_resolve(path)];
	const unsigned char *s = (const unsigned char *)in;
	unsigned char *d = out;
	mf_qp_dec save;
	size_t i = 0, o = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (in == NULL && n > 0) ||
	    (out == NULL && cap > 0) || st->wn_ > MF_QP_MAX_WSP)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if ((st->flags & ~DEC_FLAGS) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (st->err_ != 0)
		return dec_sticky(st, err);
	if (st->state_ >= Q_FINISHED)
		return mf__err(err, MF_E_STATE, 0, "decoder already finished");
	save = *st;
	while (i < n) {
		if (st->state_ == Q_TEXT && st->wn_ == 0) {
			i = fast(st, d, cap, &o, s, i, n);
			if (i == n)
				break;
		}
		rc = dec_char(st, d, cap, &o, s[i], st->off_ + i);
		if (rc == MF_E_NOSPC) {
			*st = save;
			return mf__err(err, MF_E_NOSPC, (size_t)st->off_,
			               "output buffer too small");
		}
		if (rc < 0) {
			st->off_ += i;
			*outlen = o;
			return dec_sticky(st, err);
		}
		i++;
	}
	st->off_ += n;
	*outlen = o;
	return MF_OK;
}

int
mf_qp_dec_update(mf_qp_dec *st, void *out, size_t cap, const char *in, size_t n,
                 size_t *outlen, mf_error *err)
{
	return mf__qp_dec_update_path(MF__PATH_BEST, st, out, cap, in, n,
	                              outlen, err);
}

static int
dec_final(void *vst, void *out, size_t cap, size_t *outlen, mf_error *err)
{
	mf_qp_dec *st = vst;
	unsigned char *d = out;
	size_t o = 0, need;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (out == NULL && cap > 0) ||
	    st->wn_ > MF_QP_MAX_WSP)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if ((st->flags & ~DEC_FLAGS) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (st->err_ != 0)
		return dec_sticky(st, err);
	switch (st->state_) {
	case Q_TEXT:
		/* Whitespace at the end of the data ends the last line. */
		wdrop(st);
		break;
	case Q_CR:
		if (cap < st->wn_ + 1u)
			return mf__err(err, MF_E_NOSPC, (size_t)st->off_,
			               "output buffer too small");
		wflush(st, d, &o);
		d[o++] = '\r';
		break;
	case Q_EQ:
	case Q_EQ_CR:
	case Q_HEX1:
		need = invalid_len(st);
		if (cap < need)
			return mf__err(err, MF_E_NOSPC, (size_t)st->off_,
			               "output buffer too small");
		rc = dec_bad(st, MF_E_TRUNC, st->off_,
		             "quoted-printable ends inside an escape");
		if (rc < 0)
			return dec_sticky(st, err);
		emit_invalid(st, d, &o);
		break;
	default:
		return mf__err(err, MF_E_STATE, 0, "decoder already finished");
	}
	st->state_ = Q_FINISHED;
	*outlen = o;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Public calls                                                            */
/* ---------------------------------------------------------------------- */

const mf__codec mf__qp_codec = {
    ENC_FLAGS,         DEC_FLAGS,
    sizeof(mf_qp_dec), offsetof(mf_qp_dec, defects),
    mf_qp_decoded_len, mf__qp_enc_update_path,
    enc_final,         mf__qp_dec_update_path,
    dec_final,
};

int
mf_qp_enc_final(mf_qp_enc *st, char *out, size_t cap, size_t *outlen)
{
	return enc_final(st, out, cap, outlen);
}

int
mf_qp_dec_final(mf_qp_dec *st, void *out, size_t cap, size_t *outlen,
                mf_error *err)
{
	return dec_final(st, out, cap, outlen, err);
}

int
mf__qp_encode_path(int path, char *out, size_t cap, const void *in, size_t n,
                   unsigned flags, size_t *outlen)
{
	mf_qp_enc st;

	if (outlen != NULL)
		*outlen = 0;
	if (mf_qp_enc_init(&st, flags) < 0)
		return MF_E_INVAL;
	return mf__codec_encode(&mf__qp_codec, path, &st, out, cap, in, n,
	                        flags, 0, outlen);
}

int
mf_qp_encode(char *out, size_t cap, const void *in, size_t n, unsigned flags,
             size_t *outlen)
{
	return mf__qp_encode_path(MF__PATH_BEST, out, cap, in, n, flags,
	                          outlen);
}

/*
 * Appends the encoding of in[0..n) to out, through the streaming state in
 * chunks (growing out by each chunk's bound rather than three times the
 * whole input); on failure out is cut back to its length on entry.
 */
int
mf_qp_encode_buf(mf_buf *out, const void *in, size_t n, unsigned flags)
{
	enum { CHUNK = 16384 };
	const unsigned char *p = in;
	size_t start, done = 0, k, got;
	mf_qp_enc st;
	int rc;

	if (out == NULL || (in == NULL && n != 0))
		return MF_E_INVAL;
	if (mf_qp_enc_init(&st, flags) < 0)
		return MF_E_INVAL;
	start = out->len;
	for (;;) {
		k = n - done < CHUNK ? n - done : CHUNK;
		rc = mf__buf_grow(out, mf_qp_encoded_len(k, flags));
		if (rc < 0)
			break;
		if (k == 0) {
			rc = mf_qp_enc_final(&st, out->data + out->len,
			                     out->cap - out->len - 1, &got);
		} else {
			rc = mf_qp_enc_update(&st, out->data + out->len,
			                      out->cap - out->len - 1,
			                      p + done, k, &got);
		}
		if (rc < 0)
			break;
		mf__buf_cut(out, out->len + got);
		if (k == 0)
			return MF_OK;
		done += k;
	}
	mf__buf_cut(out, start);
	return rc;
}

int
mf__qp_decode_path(int path, void *out, size_t cap, const char *in, size_t n,
                   unsigned flags, size_t *outlen, uint64_t *defects,
                   mf_error *err)
{
	mf_qp_dec st;

	memset(&st, 0, sizeof(st));
	return mf__codec_decode(&mf__qp_codec, path, &st, out, cap, in, n,
	                        flags, outlen, defects, err);
}

int
mf_qp_decode(void *out, size_t cap, const char *in, size_t n, unsigned flags,
             size_t *outlen, uint64_t *defects, mf_error *err)
{
	return mf__qp_decode_path(MF__PATH_BEST, out, cap, in, n, flags, outlen,
	                          defects, err);
}

int
mf__qp_dec_final_body(mf_qp_dec *st, void *out, size_t cap, size_t *outlen,
		      mf_error *err)
{
	if (st != NULL && st->state_ == Q_EQ && st->err_ == 0) {
		wdrop(st); /* the soft line break's white space */
		st->state_ = Q_TEXT;
	}
	return mf_qp_dec_final(st, out, cap, outlen, err);
}
