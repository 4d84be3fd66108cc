/* SPDX-License-Identifier: MIT */
/*
 * dot.c - dot-stuffing, the transparency of SMTP DATA (RFC 5321 4.5.2)
 * and of POP3 multi-line responses (RFC 1939 3): the encoder doubles a
 * "." that starts a line, writes every line end as CRLF and ends the data
 * with "." on a line of its own; the decoder undoes it and says where the
 * data ended, so that what follows (the next pipelined command) is left
 * to the caller.
 *
 * Policy for ambiguous input (decoder):
 *  - Line ends are CRLF. The data ends only at CRLF "." CRLF (the very
 *    first line counts as preceded by CRLF: the one of the DATA command
 *    or of the +OK line). A "." line with a bare LF on either side is
 *    data, and so is everything after it: reading "LF . LF" or
 *    "LF . CRLF" as the end is the SMTP smuggling attack (two servers in
 *    a chain disagreeing on where a message ends). MF_ACCEPT_LF makes a
 *    bare LF a line end, for legacy peers (RFC 5321 4.1.1.4 allows
 *    nothing of the kind; use it only where no smuggling can follow).
 *  - RFC 5321 4.5.2: "If the first character is a period and there are
 *    other characters on the line, the first character is deleted." Any
 *    leading "." is deleted, stuffed or not (Dovecot's istream-dot does
 *    the same), the line "." alone is the end. Strict mode deletes it
 *    only at the start of a line after CRLF.
 *  - A bare CR (MF_D_BARE_CR), a bare LF (MF_D_BARE_LF, unless it is a
 *    line end by MF_ACCEPT_LF) and a line longer than max_line (1000 by
 *    default, RFC 5321 4.5.3.1.6, counting the stuffing dot and the line
 *    end; MF_D_LONG_LINE, unless MF_LONG_LINES) are kept in the output
 *    and recorded with the offset of the first one: they are no error,
 *    because a server must still find the end of the data to answer the
 *    message (RFC 5321 4.1.4 wants it refused whole, not cut), and the
 *    next command after it.
 *
 * The encoder is the mirror image and accepts anything: LF and bare CR
 * become CRLF (RFC 5321 2.3.8 forbids sending them), CRLF stays.
 *
 * Speed: both directions look only at line ends and the first byte of a
 * line; the bytes between are found by a scanner for CR or LF (SWAR, SSE2
 * or AVX2 by CPU) and moved with memcpy.
 *
 * The decoder works in place too (out one byte before in, or earlier):
 * its output never gets ahead of its input by more than a held-back CR,
 * the vector loops store a block only once it is loaded and known clean,
 * and runs move with memmove.
 */
#include "dot.h"

enum { E_BOL = 0, E_MID = 1, E_CR = 2 };
enum { D_BOL = 0, D_DOT = 1, D_DOTCR = 2, D_MID = 3, D_CR = 4, D_DONE = 5 };

#define DOT_FLAGS (MF_ACCEPT_LF | MF_LONG_LINES)

/* ---------------------------------------------------------------------- */
/* Scanners: the first CR or LF                                            */
/* ---------------------------------------------------------------------- */

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t
haszero(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

static size_t
scan_scalar(const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if (haszero(v ^ (ONES * '\r')) | haszero(v ^ (ONES * '\n')))
			break;
	}
	for (; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n')
			break;
	}
	return i;
}

#ifdef MF__X86
__attribute__((target("ssse3"))) static size_t
scan_ssse3(const unsigned char *p, size_t n)
{
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));

		if (m != 0)
			return i + (unsigned)__builtin_ctz(m);
	}
	return i + scan_scalar(p + i, n - i);
}

__attribute__((target("avx2"))) static size_t
scan_avx2(const unsigned char *p, size_t n)
{
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf)));

		if (m != 0)
			return i + (unsigned)__builtin_ctz(m);
	}
	return i + scan_ssse3(p + i, n - i);
}

mf__dot_scan_fn *const mf__dot_scan[3] = {scan_scalar, scan_ssse3, scan_avx2};
#else
mf__dot_scan_fn *const mf__dot_scan[3] = {scan_scalar, scan_scalar,
                                          scan_scalar};
#endif

/* ---------------------------------------------------------------------- */
/* Clean runs: bytes that go through as they are                           */
/* ---------------------------------------------------------------------- */

/*
 * The length of the prefix of p[0..n) that both directions copy as it is
 * (p[0] in the middle of a line): CR only before LF, LF only after CR, no
 * "." after LF, and (max > 0, the decoder) no line longer than max. A
 * line's length counts from line start *ls (in positions shifted by cur,
 * the bytes of the line before p: position of p[i] is cur + i); *ls is
 * moved past every LF of the prefix. The prefix never ends between CR
 * and LF. Per path: SWAR eight bytes, SSE2 16 and AVX2 32 bytes at a
 * time, the vectors checking three overlapping loads (byte, before,
 * after) per block.
 */
static size_t
clean_tail(unsigned char *out, const unsigned char *p, size_t i, size_t n,
           size_t max, size_t cur, size_t *ls)
{
	size_t l = *ls, from = i;

	for (; i < n; i++) {
		unsigned char c;

		/* Eight bytes with no CR, LF or "." at a time. */
		while (i + 8 <= n && (max == 0 || cur + i + 8 - l <= max)) {
			uint64_t v;

			memcpy(&v, p + i, 8);
			if (haszero(v ^ (ONES * '\r')) |
			    haszero(v ^ (ONES * '\n')) |
			    haszero(v ^ (ONES * '.')))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = p[i];
		if (max != 0 && cur + i + 1 - l > max)
			break;
		if (c == '\r') {
			if (i + 1 >= n || p[i + 1] != '\n')
				break;
		} else if (c == '\n') {
			if (i == 0 || p[i - 1] != '\r')
				break;
			l = cur + i + 1;
		} else if (c == '.' && i > 0 && p[i - 1] == '\n') {
			break;
		}
	}
	*ls = l;
	if (i > 0 && p[i - 1] == '\r')
		i--;
	/* The vectors stored the blocks before from; out may be p or
	 * before it (the decoder in place). */
	if (out != NULL && i > from && out != p)
		memmove(out + from, p + from, i - from);
	return i;
}

static size_t
clean_scalar(unsigned char *out, const unsigned char *p, size_t n, size_t max,
             size_t cur, size_t *ls)
{
	return clean_tail(out, p, 0, n, max, cur, ls);
}

/*
 * The line ends of a block: mask m (bit j: an LF at i + j, all before the
 * block's first bad byte, at limit) checked against max and *ls moved.
 * The clean length from i: limit, or less where a line grows too long.
 */
static inline size_t
block_lines(size_t i, uint64_t m, size_t limit, size_t max, size_t cur,
            size_t *ls)
{
	size_t e;

	if (max == 0) {
		if (m != 0)
			*ls = cur + i + 63 - (size_t)__builtin_clzll(m) + 1;
		return limit;
	}
	while (m != 0) {
		size_t j = (size_t)mf__ctz64(m);

		/* Byte k makes the line too long when cur + k + 1 - ls >
		 * max, that is k >= ls + max - cur. */
		e = *ls + max - cur;
		if (i + j >= e)
			return e > i ? e - i : 0;
		*ls = cur + i + j + 1;
		m &= m - 1;
	}
	e = *ls + max - cur;
	if (i + limit > e)
		return e > i ? e - i : 0;
	return limit;
}

#ifdef MF__X86
__attribute__((target("ssse3"))) static size_t
clean_ssse3(unsigned char *out, const unsigned char *p, size_t n, size_t max,
            size_t cur, size_t *ls)
{
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const __m128i dot = _mm_set1_epi8('.');
	size_t i = 1, k;

	if (n == 0 || p[0] == '\r' || p[0] == '\n' ||
	    (max != 0 && cur + 1 - *ls > max))
		return clean_tail(out, p, 0, n, max, cur, ls);
	if (out != NULL)
		out[0] = p[0];
	for (; i + 17 <= n; i += 16) {
		__m128i v =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i b =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i - 1));
		__m128i a =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
		__m128i bad;

		bad = _mm_or_si128(
		    _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(a, lf),
		                                  _mm_cmpeq_epi8(v, cr)),
		                 _mm_andnot_si128(_mm_cmpeq_epi8(b, cr),
		                                  _mm_cmpeq_epi8(v, lf))),
		    _mm_and_si128(_mm_cmpeq_epi8(v, dot),
		                  _mm_cmpeq_epi8(b, lf)));
		unsigned mb = (unsigned)_mm_movemask_epi8(bad);
		unsigned ml =
		    (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
		size_t limit = mb ? (size_t)__builtin_ctz(mb) : 16;

		if (limit < 16)
			ml &= (1u << limit) - 1;
		k = block_lines(i, ml, limit, max, cur, ls);
		if (k < 16) {
			if (out != NULL && k > 0)
				memmove(out + i, p + i, k);
			return clean_tail(out, p, i + k, i + k, max, cur, ls);
		}
		/* Copied as scanned; only clean blocks, and after the
		 * loads: out may be p or before it (decoding in place). */
		if (out != NULL)
			_mm_storeu_si128((__m128i *)(void *)(out + i), v);
	}
	return clean_tail(out, p, i, n, max, cur, ls);
}

/*
 * AVX2: 64 bytes a step, as bit masks of their CRs, LFs and dots (one
 * load per 32 bytes); the byte before and after the step come from
 * scalar reads, and the masks shifted by one give each byte's neighbours.
 */
__attribute__((target("avx2"))) static size_t
clean_avx2(unsigned char *out, const unsigned char *p, size_t n, size_t max,
           size_t cur, size_t *ls)
{
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	const __m256i dot = _mm256_set1_epi8('.');
	size_t i = 1, k;

	if (n == 0 || p[0] == '\r' || p[0] == '\n' ||
	    (max != 0 && cur + 1 - *ls > max))
		return clean_tail(out, p, 0, n, max, cur, ls);
	if (out != NULL)
		out[0] = p[0];
	for (; i + 65 <= n; i += 64) {
		__m256i v0 =
		    _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i v1 = _mm256_loadu_si256(
		    (const __m256i *)(const void *)(p + i + 32));
		uint64_t mcr =
		    (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, cr)) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(
		        _mm256_cmpeq_epi8(v1, cr))
		        << 32;
		uint64_t mlf =
		    (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, lf)) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(
		        _mm256_cmpeq_epi8(v1, lf))
		        << 32;
		uint64_t mdot =
		    (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, dot)) |
		    (uint64_t)(uint32_t)_mm256_movemask_epi8(
		        _mm256_cmpeq_epi8(v1, dot))
		        << 32;
		/* Bit j: the byte after p[i + j] is LF; the byte before it
		 * is CR; is LF. */
		uint64_t lf_after = mlf >> 1 | (uint64_t)(p[i + 64] == '\n')
		                                   << 63;
		uint64_t cr_before = mcr << 1 | (uint64_t)(p[i - 1] == '\r');
		uint64_t lf_before = mlf << 1 | (uint64_t)(p[i - 1] == '\n');
		uint64_t bad = (mcr & ~lf_after) | (mlf & ~cr_before) |
		               (mdot & lf_before);
		size_t limit = bad ? (size_t)mf__ctz64(bad) : 64;

		if (limit < 64)
			mlf &= ((uint64_t)1 << limit) - 1;
		k = block_lines(i, mlf, limit, max, cur, ls);
		if (k < 64) {
			if (out != NULL && k > 0)
				memmove(out + i, p + i, k);
			return clean_tail(out, p, i + k, i + k, max, cur, ls);
		}
		/* Copied as scanned; only clean steps, and after the
		 * loads: out may be p or before it (decoding in place). */
		if (out != NULL) {
			_mm256_storeu_si256((__m256i *)(void *)(out + i), v0);
			_mm256_storeu_si256((__m256i *)(void *)(out + i + 32),
			                    v1);
		}
	}
	return clean_tail(out, p, i, n, max, cur, ls);
}

mf__dot_clean_fn *const mf__dot_clean[3] = {clean_scalar, clean_ssse3,
                                            clean_avx2};
#else
mf__dot_clean_fn *const mf__dot_clean[3] = {clean_scalar, clean_scalar,
                                            clean_scalar};
#endif

/* ---------------------------------------------------------------------- */
/* Encoder                                                                 */
/* ---------------------------------------------------------------------- */

size_t
mf_dot_encoded_len(size_t n)
{
	size_t r;

	if (!mf__mul(n, 2, &r) || !mf__add(r, 5, &r))
		return SIZE_MAX;
	return r;
}

int
mf__dot_enc_update_path(int path, mf_dot_enc *st, char *out, size_t cap,
                        const void *in, size_t n, size_t *outlen)
{
	int pr = mf__path_resolve(path);
	mf__dot_scan_fn *scan = mf__dot_scan[pr];
	mf__dot_clean_fn *clean = mf__dot_clean[pr];
	const unsigned char *s = in;
	unsigned state;
	size_t i = 0, o = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (n > 0 && in == NULL) ||
	    (cap > 0 && out == NULL))
		return MF_E_INVAL;
	state = st->state_;
	while (i < n) {
		size_t k;

		if (state != E_MID) {
			if (state == E_CR && s[i] == '\n') {
				/* The LF of a CRLF whose CR ended the line. */
				i++;
				state = E_BOL;
				continue;
			}
			if (s[i] == '.') {
				if (o >= cap)
					return MF_E_NOSPC;
				out[o++] = '.';
			}
			state = E_MID;
		}
		/* Whole lines that need nothing, up to the next that does:
		 * copied as they are scanned when the room allows. */
		{
			size_t ls = 0;
			bool room = cap - o >= n - i;

			k = clean(room ? (unsigned char *)out + o : NULL, s + i,
			          n - i, 0, 0, &ls);
			if (k > 0 && !room) {
				if (k > cap - o)
					return MF_E_NOSPC;
				memcpy(out + o, s + i, k);
			}
		}
		if (k > 0) {
			o += k;
			i += k;
			if (s[i - 1] == '\n') {
				state = E_BOL;
				continue;
			}
			if (i == n)
				break;
		}
		k = scan(s + i, n - i);
		if (k > cap - o)
			return MF_E_NOSPC;
		if (k > 0)
			memcpy(out + o, s + i, k);
		o += k;
		i += k;
		if (i == n)
			break;
		/* CR, LF or CRLF: one CRLF. */
		if (cap - o < 2)
			return MF_E_NOSPC;
		out[o++] = '\r';
		out[o++] = '\n';
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			i += 2;
			state = E_BOL;
		} else {
			state = s[i] == '\r' ? E_CR : E_BOL;
			i++;
		}
	}
	st->state_ = state;
	*outlen = o;
	return MF_OK;
}

int
mf_dot_enc_update(mf_dot_enc *st, char *out, size_t cap, const void *in,
                  size_t n, size_t *outlen)
{
	return mf__dot_enc_update_path(MF__PATH_BEST, st, out, cap, in, n,
	                               outlen);
}

int
mf_dot_enc_final(mf_dot_enc *st, char *out, size_t cap, size_t *outlen)
{
	size_t o = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (cap > 0 && out == NULL))
		return MF_E_INVAL;
	if (cap < (st->state_ == E_MID ? 5u : 3u))
		return MF_E_NOSPC;
	if (st->state_ == E_MID) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	*outlen = o + 3;
	memset(st, 0, sizeof(*st));
	return MF_OK;
}

int
mf_dot_encode(char *out, size_t cap, const void *in, size_t n, size_t *outlen)
{
	mf_dot_enc st;
	size_t a = 0, b = 0;
	int rc;

	if (outlen == NULL)
		return MF_E_INVAL;
	*outlen = 0;
	memset(&st, 0, sizeof(st));
	rc = mf_dot_enc_update(&st, out, cap, in, n, &a);
	if (rc == MF_OK)
		rc = mf_dot_enc_final(&st, out != NULL ? out + a : NULL,
		                      cap - a, &b);
	if (rc < 0)
		return rc;
	*outlen = a + b;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Decoder                                                                 */
/* ---------------------------------------------------------------------- */

size_t
mf_dot_decoded_len(size_t n)
{
	size_t r;

	if (!mf__add(n, 1, &r))
		return SIZE_MAX;
	return r;
}

/* The working copy of a decoder state during one update. */
struct dec {
	mf_dot_dec *st;
	uint64_t base; /* stream offset of in[0] */
	uint64_t defects, defect_off;
	uint64_t line_off;
	size_t max;
	int lenient_lf, long_ok;
};

static void
defect(struct dec *d, int which, uint64_t off)
{
	/* The smallest offset, whatever order the chunks showed them in. */
	if (d->defects == 0 || off < d->defect_off)
		d->defect_off = off;
	d->defects |= MF_DEFECT_BIT(which);
}

/* A line ends with its last byte at stream offset end. */
static void
line_end(struct dec *d, uint64_t end)
{
	if (!d->long_ok && end + 1 - d->line_off > d->max)
		defect(d, MF_D_LONG_LINE, d->line_off + d->max);
	d->line_off = end + 1;
}

static int
dec_fail(mf_dot_dec *st, int code, const char *reason, mf_error *err)
{
	st->err_ = code;
	st->err_off_ = st->off_;
	st->err_reason_ = reason;
	return mf__err(err, code, (size_t)st->off_, reason);
}

int
mf__dot_dec_update_path(int path, mf_dot_dec *st, void *out, size_t cap,
                        const char *in, size_t n, size_t *outlen,
                        size_t *consumed, mf_error *err)
{
	int pr = mf__path_resolve(path);
	mf__dot_scan_fn *scan = mf__dot_scan[pr];
	mf__dot_clean_fn *clean = mf__dot_clean[pr];
	const unsigned char *s = (const unsigned char *)in;
	unsigned char *w = out;
	struct dec d;
	unsigned state;
	size_t i = 0, o = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (consumed != NULL)
		*consumed = 0;
	if (st == NULL)
		return mf__err(err, MF_E_INVAL, 0, "no decoder state");
	if (st->err_ != 0)
		return mf__err(err, st->err_, (size_t)st->err_off_,
		               st->err_reason_);
	if ((st->flags & ~DOT_FLAGS) != 0)
		return dec_fail(st, MF_E_INVAL, "unknown flag", err);
	if (outlen == NULL || (n > 0 && in == NULL) || (cap > 0 && out == NULL))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	if (st->state_ == D_DONE)
		return mf__err(err, MF_E_STATE, (size_t)st->off_,
		               "data already ended");
	d.st = st;
	d.base = st->off_;
	d.defects = st->defects;
	d.defect_off = st->defect_off;
	d.line_off = st->line_off_;
	d.max = st->max_line != 0 ? st->max_line : 1000;
	d.lenient_lf = (st->flags & MF_ACCEPT_LF) != 0;
	d.long_ok = (st->flags & MF_LONG_LINES) != 0;
	state = st->state_;

#define NOSPC()                                                                \
	do {                                                                   \
		if (o >= cap)                                                  \
			return mf__err(err, MF_E_NOSPC, (size_t)(d.base + i),  \
			               "output buffer too small");             \
	} while (0)

	while (i < n && state != D_DONE) {
		unsigned char c = s[i];
		size_t k;

		switch (state) {
		case D_BOL:
			if (c == '.') {
				/* Stuffing or the end: never data. */
				state = D_DOT;
				i++;
				continue;
			}
			state = D_MID;
			continue;
		case D_DOT:
			if (c == '\r') {
				state = D_DOTCR;
				i++;
				continue;
			}
			if (c == '\n' && d.lenient_lf) {
				line_end(&d, d.base + i);
				state = D_DONE;
				i++;
				continue;
			}
			state = D_MID;
			continue;
		case D_DOTCR:
			if (c == '\n') {
				line_end(&d, d.base + i);
				state = D_DONE;
				i++;
				continue;
			}
			/* ".\rX": the dot goes, the CR is a bare one. */
			NOSPC();
			w[o++] = '\r';
			defect(&d, MF_D_BARE_CR, d.base + i - 1);
			state = D_MID;
			continue;
		case D_CR:
			if (c == '\n') {
				NOSPC();
				w[o++] = '\n';
				line_end(&d, d.base + i);
				state = D_BOL;
				i++;
				continue;
			}
			defect(&d, MF_D_BARE_CR, d.base + i - 1);
			state = D_MID;
			continue;
		default:
			break;
		}
		/* D_MID: whole lines that need nothing, up to the next one
		 * that does; then the run up to the next CR or LF. */
		{
			size_t cur = (size_t)(d.base + i - d.line_off), ls = 0;
			bool room = cap - o >= n - i;

			k = clean(room ? w + o : NULL, s + i, n - i,
			          d.long_ok ? 0 : d.max, cur, &ls);
			if (k > 0) {
				if (!room && k > cap - o)
					return mf__err(err, MF_E_NOSPC,
					               (size_t)(d.base + i),
					               "output buffer too "
					               "small");
				if (!room)
					memmove(w + o, s + i, k);
				o += k;
				if (ls != 0)
					d.line_off = d.base + i + ls - cur;
				i += k;
				if (s[i - 1] == '\n') {
					state = D_BOL;
					continue;
				}
				if (i == n)
					break;
			}
		}
		k = scan(s + i, n - i);
		if (k > cap - o)
			return mf__err(err, MF_E_NOSPC, (size_t)(d.base + i),
			               "output buffer too small");
		if (k > 0 && w + o != s + i)
			memmove(w + o, s + i, k);
		o += k;
		i += k;
		if (i == n)
			break;
		c = s[i];
		NOSPC();
		w[o++] = c;
		if (c == '\r') {
			if (i + 1 < n && s[i + 1] == '\n') {
				NOSPC();
				w[o++] = '\n';
				line_end(&d, d.base + i + 1);
				state = D_BOL;
				i += 2;
				continue;
			}
			state = D_CR;
		} else if (d.lenient_lf) {
			line_end(&d, d.base + i);
			state = D_BOL;
		} else {
			defect(&d, MF_D_BARE_LF, d.base + i);
		}
		i++;
	}
#undef NOSPC
	/* A line that has not ended yet may already be too long. */
	if (state != D_DONE && !d.long_ok && d.base + i - d.line_off > d.max)
		defect(&d, MF_D_LONG_LINE, d.line_off + d.max);
	st->state_ = state;
	st->defects = d.defects;
	st->defect_off = d.defect_off;
	st->line_off_ = d.line_off;
	st->off_ = d.base + i;
	st->done = state == D_DONE;
	*outlen = o;
	if (consumed != NULL)
		*consumed = i;
	return state == D_DONE ? MF_OK : MF_MORE;
}

int
mf_dot_dec_update(mf_dot_dec *st, void *out, size_t cap, const char *in,
                  size_t n, size_t *outlen, size_t *consumed, mf_error *err)
{
	return mf__dot_dec_update_path(MF__PATH_BEST, st, out, cap, in, n,
	                               outlen, consumed, err);
}

int
mf_dot_decode(void *out, size_t cap, const char *in, size_t n, unsigned flags,
              size_t *outlen, size_t *consumed, uint64_t *defects,
              mf_error *err)
{
	mf_dot_dec st;
	int rc;

	if (defects != NULL)
		*defects = 0;
	memset(&st, 0, sizeof(st));
	st.flags = flags;
	rc = mf_dot_dec_update(&st, out, cap, in, n, outlen, consumed, err);
	if (rc >= 0 && defects != NULL)
		*defects = st.defects;
	return rc;
}
