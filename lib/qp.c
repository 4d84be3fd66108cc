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
 *    written as CRLF (LF with MF_QP_LF); so line ends come out in the
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
 * Speed: both directions copy runs of bytes that need no work with
 * memcpy, found by a scanner per path (SWAR scalar, SSE2 under the SSSE3
 * path, AVX2); the per-byte state machine handles the rest and defines the
 * semantics.
 */
#include "qp.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define MF__X86 1
#include <immintrin.h>
#endif

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

size_t
mf__qp_dscan_scalar(const unsigned char *p, size_t n)
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

size_t
mf__qp_escan_scalar(const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v = load64(p + i);
		/* Any byte < 0x20, >= 0x7F (incl. >= 0x80), or "=". */
		uint64_t lo = (v - ONES * 0x20) & ~v & HIGHS;
		uint64_t hi = ((v + ONES * 0x01) | v) & HIGHS;
		if (lo | hi | haszero(v ^ (ONES * '=')))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = p[i];
		if (c < 0x20 || c > 0x7E || c == '=')
			break;
	}
	return i;
}

#ifdef MF__X86
__attribute__((target("ssse3"))) size_t
mf__qp_dscan_ssse3(const unsigned char *p, size_t n)
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
	return i + mf__qp_dscan_scalar(p + i, n - i);
}

__attribute__((target("ssse3"))) size_t
mf__qp_escan_ssse3(const unsigned char *p, size_t n)
{
	const __m128i eq = _mm_set1_epi8('='), lo = _mm_set1_epi8(0x1F);
	const __m128i hi = _mm_set1_epi8(0x7F);
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* Signed compares: bytes >= 0x80 are negative, so not > 0x1F.
		 */
		__m128i ok =
		    _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
		ok = _mm_andnot_si128(_mm_cmpeq_epi8(v, eq), ok);
		unsigned b = (unsigned)_mm_movemask_epi8(ok) ^ 0xFFFFu;
		if (b)
			return i + (size_t)__builtin_ctz(b);
	}
	return i + mf__qp_escan_scalar(p + i, n - i);
}

__attribute__((target("avx2"))) size_t
mf__qp_dscan_avx2(const unsigned char *p, size_t n)
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
	return i + mf__qp_dscan_ssse3(p + i, n - i);
}

__attribute__((target("avx2"))) size_t
mf__qp_escan_avx2(const unsigned char *p, size_t n)
{
	const __m256i eq = _mm256_set1_epi8('='), lo = _mm256_set1_epi8(0x1F);
	const __m256i hi = _mm256_set1_epi8(0x7F);
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i ok = _mm256_and_si256(_mm256_cmpgt_epi8(v, lo),
		                              _mm256_cmpgt_epi8(hi, v));
		ok = _mm256_andnot_si256(_mm256_cmpeq_epi8(v, eq), ok);
		uint32_t b = ~(uint32_t)_mm256_movemask_epi8(ok);
		if (b)
			return i + (size_t)__builtin_ctz(b);
	}
	return i + mf__qp_escan_ssse3(p + i, n - i);
}
#else
size_t
mf__qp_dscan_ssse3(const unsigned char *p, size_t n)
{
	return mf__qp_dscan_scalar(p, n);
}

size_t
mf__qp_dscan_avx2(const unsigned char *p, size_t n)
{
	return mf__qp_dscan_scalar(p, n);
}

size_t
mf__qp_escan_ssse3(const unsigned char *p, size_t n)
{
	return mf__qp_escan_scalar(p, n);
}

size_t
mf__qp_escan_avx2(const unsigned char *p, size_t n)
{
	return mf__qp_escan_scalar(p, n);
}
#endif

typedef size_t scan_fn(const unsigned char *, size_t);
static scan_fn *const dscan_fns[3] = {mf__qp_dscan_scalar, mf__qp_dscan_ssse3,
                                      mf__qp_dscan_avx2};
static scan_fn *const escan_fns[3] = {mf__qp_escan_scalar, mf__qp_escan_ssse3,
                                      mf__qp_escan_avx2};

static int
resolve(int path)
{
	if (path == MF__PATH_BEST || !mf__path_ok(path))
		return mf__best_path();
	return path;
}

/* ---------------------------------------------------------------------- */
/* Encoder                                                                 */
/* ---------------------------------------------------------------------- */

#define ENC_FLAGS (MF_QP_BINARY | MF_QP_LF | MF_QP_SAFE | MF_QP_STRICT)
#define DEC_FLAGS ENC_FLAGS
/* Characters of a line before its soft break "=" or hard break. */
#define QP_MAXCOL 75u
/* Input bytes an encoder state may hold for lookahead ("From" before " "). */
#define ENC_HOLD 4u

size_t
mf_qp_encoded_len(size_t n, unsigned flags)
{
	size_t m, a, b;

	(void)flags;
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

void
mf_qp_enc_init(mf_qp_enc *st, unsigned flags)
{
	memset(st, 0, sizeof(*st));
	st->flags_ = flags;
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
static int
enc_core(scan_fn *scan, mf_qp_enc *st, char *d, size_t cap, size_t *op,
         const unsigned char *s, size_t n, int fin, size_t *used)
{
	const int text = !(st->flags_ & MF_QP_BINARY);
	const int safe = (st->flags_ & MF_QP_SAFE) != 0;
	const size_t eol = (st->flags_ & MF_QP_LF) ? 1 : 2;
	size_t i = 0, o = *op;
	unsigned col = st->col_;
	int rc = MF_OK;

	while (i < n) {
		unsigned c = s[i];
		int enc, brk;
		size_t len, need;

		/* Fast path: a run of literal bytes on the current line. */
		if (c >= 0x21 && c <= 0x7E && c != '=' && col < QP_MAXCOL &&
		    !(safe && col == 0 && (c == '.' || c == 'F'))) {
			size_t lim = n - i, r;
			if (lim > QP_MAXCOL - col)
				lim = QP_MAXCOL - col;
			r = scan(s + i, lim);
			/* A space ending the run may end the line: slow path.
			 */
			if (s[i + r - 1] == ' ')
				r--;
			if (r > cap - o)
				r = cap - o;
			if (r > 0) {
				memcpy(d + o, s + i, r);
				o += r;
				i += r;
				col += (unsigned)r;
				continue;
			}
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
	st->col_ = col;
	*op = o;
	*used = i;
	return rc;
}

int
mf__qp_enc_update_path(int path, mf_qp_enc *st, char *out, size_t cap,
                       const void *in, size_t n, size_t *outlen)
{
	scan_fn *scan = escan_fns[resolve(path)];
	const unsigned char *s = in;
	mf_qp_enc save;
	size_t o = 0, used = 0, skip = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (in == NULL && n > 0) ||
	    (out == NULL && cap > 0) || st->npend_ > ENC_HOLD)
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
		rc = enc_core(scan, st, out, cap, &o, tmp, np + k, 0, &used);
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
	rc = enc_core(scan, st, out, cap, &o, s + skip, n - skip, 0, &used);
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

int
mf_qp_enc_final(mf_qp_enc *st, char *out, size_t cap, size_t *outlen)
{
	mf_qp_enc save;
	size_t o = 0, used = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (out == NULL && cap > 0) ||
	    st->npend_ > ENC_HOLD)
		return MF_E_INVAL;
	save = *st;
	rc = enc_core(mf__qp_escan_scalar, st, out, cap, &o, st->pend_,
	              st->npend_, 1, &used);
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

int
mf__qp_encode_path(int path, char *out, size_t cap, const void *in, size_t n,
                   unsigned flags, size_t *outlen)
{
	mf_qp_enc st;
	size_t a = 0, b = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if ((flags & ~ENC_FLAGS) || outlen == NULL)
		return MF_E_INVAL;
	mf_qp_enc_init(&st, flags);
	rc = mf__qp_enc_update_path(path, &st, out, cap, in, n, &a);
	if (rc < 0)
		return rc;
	rc = mf_qp_enc_final(&st, out != NULL ? out + a : NULL, cap - a, &b);
	if (rc < 0)
		return rc;
	*outlen = a + b;
	return MF_OK;
}

int
mf_qp_encode(char *out, size_t cap, const void *in, size_t n, unsigned flags,
             size_t *outlen)
{
	return mf__qp_encode_path(MF__PATH_BEST, out, cap, in, n, flags,
	                          outlen);
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
	if (st->flags & MF_QP_STRICT) {
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

int
mf__qp_dec_update_path(int path, mf_qp_dec *st, void *out, size_t cap,
                       const char *in, size_t n, size_t *outlen, mf_error *err)
{
	scan_fn *scan = dscan_fns[resolve(path)];
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
	if (st->err_ != 0)
		return dec_sticky(st, err);
	if (st->state_ >= Q_FINISHED)
		return mf__err(err, MF_E_STATE, 0, "decoder already finished");
	save = *st;
	while (i < n) {
		if (st->state_ == Q_TEXT && st->wn_ == 0) {
			size_t r = scan(s + i, n - i), t = 0;
			if (r > cap - o)
				r = cap - o;
			if (r > 0) {
				memcpy(d + o, s + i, r);
				o += r;
				i += r;
				/* Whitespace ending the run may end the line.
				 */
				while (t < r && t < MF_QP_MAX_WSP &&
				       is_wsp(d[o - 1 - t]))
					t++;
				o -= t;
				for (; t > 0; t--)
					wput(st, d[o + st->wn_]);
				continue;
			}
		}
		rc = dec_char(st, d, cap, &o, s[i], st->off_ + i);
		if (rc == MF_E_NOSPC) {
			*st = save;
			return mf__err(err, MF_E_NOSPC, 0,
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

int
mf_qp_dec_final(mf_qp_dec *st, void *out, size_t cap, size_t *outlen,
                mf_error *err)
{
	unsigned char *d = out;
	size_t o = 0, need;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (out == NULL && cap > 0) ||
	    st->wn_ > MF_QP_MAX_WSP)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if (st->err_ != 0)
		return dec_sticky(st, err);
	switch (st->state_) {
	case Q_TEXT:
		/* Whitespace at the end of the data ends the last line. */
		wdrop(st);
		break;
	case Q_CR:
		if (cap < st->wn_ + 1u)
			return mf__err(err, MF_E_NOSPC, 0,
			               "output buffer too small");
		wflush(st, d, &o);
		d[o++] = '\r';
		break;
	case Q_EQ:
	case Q_EQ_CR:
	case Q_HEX1:
		need = invalid_len(st);
		if (cap < need)
			return mf__err(err, MF_E_NOSPC, 0,
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

int
mf__qp_decode_path(int path, void *out, size_t cap, const char *in, size_t n,
                   unsigned flags, size_t *outlen, uint64_t *defects,
                   mf_error *err)
{
	mf_qp_dec st;
	size_t a = 0, b = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (defects != NULL)
		*defects = 0;
	if ((flags & ~DEC_FLAGS) || outlen == NULL)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	memset(&st, 0, sizeof(st));
	st.flags = flags;
	rc = mf__qp_dec_update_path(path, &st, out, cap, in, n, &a, err);
	if (rc >= 0)
		rc = mf_qp_dec_final(&st, out != NULL ? (char *)out + a : NULL,
		                     cap - a, &b, err);
	if (outlen != NULL)
		*outlen = a + b;
	if (defects != NULL)
		*defects = st.defects;
	return rc < 0 ? rc : MF_OK;
}

int
mf_qp_decode(void *out, size_t cap, const char *in, size_t n, unsigned flags,
             size_t *outlen, uint64_t *defects, mf_error *err)
{
	return mf__qp_decode_path(MF__PATH_BEST, out, cap, in, n, flags, outlen,
	                          defects, err);
}
