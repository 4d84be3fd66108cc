/* SPDX-License-Identifier: MIT */
/*
 * b64.c - base64 (RFC 2045 6.8, RFC 4648 4): one-shot and streaming
 * encoders and decoders, with a portable scalar path and SSSE3/AVX2 paths
 * chosen at run time (mf_cpu_features). Every path gives exactly the
 * output of the scalar path; tests run them against each other.
 *
 * Encoding: groups of 3 bytes become 4 characters, the last group padded
 * with "="; lines of line_len characters (a multiple of 4), each ended by
 * CRLF or LF, the last one too (RFC 2045 6.8: at most 76 characters).
 *
 * Decoding policy for input that real mail contains:
 *  - SP, HTAB, CR and LF are skipped anywhere, in every mode (line breaks
 *    are part of the format; spaces are what transport adds).
 *  - Other bytes outside the alphabet are skipped as RFC 2045 6.8 says
 *    ("must be ignored"), recorded as MF_D_B64_JUNK; MF_STRICT makes
 *    them MF_E_SYNTAX at their offset.
 *  - Padding: "xx==" and "xxx=" end a quantum. Alphabet data after a
 *    padded quantum starts a new quantum (concatenated base64 bodies, as
 *    produced by tools that encode chunks separately): decoded, and
 *    recorded as a defect since RFC 2045 says "=" marks the end of data.
 *    A byte outside the alphabet (and not white space) after the padding
 *    ends the data: it and everything after it are ignored (a defect),
 *    as real mail has text such as a mailing list footer appended to a
 *    base64 body, which would otherwise decode to garbage.
 *    "=" in the first or second position of a quantum, "xx=" followed by
 *    data instead of the second "=", and non-zero bits in the last
 *    character before padding are the other padding defects.
 *  - An unpadded last quantum of 2 or 3 characters is decoded (defect); a
 *    single leftover character is dropped (defect). Strict: MF_E_TRUNC at
 *    the end of the input.
 * In strict mode every defect is an error, so "strict fails" is exactly
 * "the lenient decoder recorded a defect".
 *
 * Speed: the block decoders handle runs of whole 4-character groups of
 * alphabet characters and the CR/LF between groups (the bulk of any
 * base64 body); everything else goes through a small per-character state
 * machine, which therefore defines the semantics. For 76-character lines
 * the AVX2 path decodes 32 + 32 + 12 characters per line without leaving
 * its loop. The scalar encoder looks up 12 bits at a time.
 */
#include <stddef.h>

#include "b64.h"

/* ---------------------------------------------------------------------- */
/* Tables (constant expressions; no run-time initialisation)               */
/* ---------------------------------------------------------------------- */

static const char b64_chars[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of an alphabet character, else B64_PAD, B64_WS or B64_JUNK. */
#define B64_PAD 64u
#define B64_WS 65u
#define B64_JUNK 66u
#define B64V(c)                                                                \
	((c) >= 'A' && (c) <= 'Z'   ? (unsigned)(c) - 'A'                      \
	 : (c) >= 'a' && (c) <= 'z' ? (unsigned)(c) - 'a' + 26                 \
	 : (c) >= '0' && (c) <= '9' ? (unsigned)(c) - '0' + 52                 \
	 : (c) == '+'               ? 62u                                      \
	 : (c) == '/'               ? 63u                                      \
	 : (c) == '='               ? B64_PAD                                  \
	 : ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')           \
	     ? B64_WS                                                          \
	     : B64_JUNK)


/* The character of a 6-bit value (a constant expression). */
#define CH(v)                                                                  \
	(char)((v) < 26    ? 'A' + (v)                                         \
	       : (v) < 52  ? 'a' + (v)-26                                      \
	       : (v) < 62  ? '0' + (v)-52                                      \
	       : (v) == 62 ? '+'                                               \
	                   : '/')
/*
 * The two characters of every 12-bit value, so that the scalar encoder
 * looks up half a group at a time.
 */
#define PAIR(v)                                                                \
	{                                                                      \
		{                                                              \
			CH(((v) >> 6) & 63), CH((v)&63)                        \
		}                                                              \
	}
#define X256O(f, n)                                                            \
	MF__X64(f, n), MF__X64(f, n + 64), MF__X64(f, n + 128),                \
	    MF__X64(f, n + 192)
#define X1024(f, n)                                                            \
	X256O(f, n), X256O(f, n + 256), X256O(f, n + 512), X256O(f, n + 768)
static const struct pair {
	char c[2];
} b64_pairs[4096] = {X1024(PAIR, 0), X1024(PAIR, 1024), X1024(PAIR, 2048),
                     X1024(PAIR, 3072)};

#define TV(c) (unsigned char)B64V(c)
static const unsigned char dtab[256] = {MF__X256(TV)};

/*
 * Pre-shifted values of the 4 characters of a group, or'ed together give
 * the 24 bits; a non-alphabet character sets bit 24 (BAD).
 */
#define BAD 0x01000000u
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * Little-endian: the 3 bytes land in memory order in the low 24 bits, so
 * one 32-bit store writes a group (and one byte that the next overwrites).
 */
#define MF__B64_LE 1
#define T0(c) (B64V(c) < 64 ? B64V(c) << 2 : BAD)
#define T1(c) (B64V(c) < 64 ? B64V(c) >> 4 | (B64V(c) & 15) << 12 : BAD)
#define T2(c) (B64V(c) < 64 ? (B64V(c) >> 2) << 8 | (B64V(c) & 3) << 22 : BAD)
#define T3(c) (B64V(c) < 64 ? B64V(c) << 16 : BAD)
#define BYTE0(a) (unsigned char)(a)
#define BYTE1(a) (unsigned char)((a) >> 8)
#define BYTE2(a) (unsigned char)((a) >> 16)
#else
#define T0(c) (B64V(c) < 64 ? B64V(c) << 18 : BAD)
#define T1(c) (B64V(c) < 64 ? B64V(c) << 12 : BAD)
#define T2(c) (B64V(c) < 64 ? B64V(c) << 6 : BAD)
#define T3(c) (B64V(c) < 64 ? B64V(c) : BAD)
#define BYTE0(a) (unsigned char)((a) >> 16)
#define BYTE1(a) (unsigned char)((a) >> 8)
#define BYTE2(a) (unsigned char)(a)
#endif
static const uint32_t d0[256] = {MF__X256(T0)};
static const uint32_t d1[256] = {MF__X256(T1)};
static const uint32_t d2[256] = {MF__X256(T2)};
static const uint32_t d3[256] = {MF__X256(T3)};

/* ---------------------------------------------------------------------- */
/* Block encoders                                                          */
/* ---------------------------------------------------------------------- */

static inline void
enc3(char *out, const unsigned char *in)
{
	uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];

	out[0] = b64_chars[v >> 18];
	out[1] = b64_chars[(v >> 12) & 63];
	out[2] = b64_chars[(v >> 6) & 63];
	out[3] = b64_chars[v & 63];
}

/* Big-endian 64-bit load (the first byte in the top bits). */
static inline uint64_t
load_be64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#elif !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
	v = (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	    (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	    (uint64_t)p[6] << 8 | p[7];
#endif
	return v;
}

static inline const char *
pair(unsigned v)
{
	return b64_pairs[v].c;
}

void
mf__b64_enc_scalar(char *out, const unsigned char *in, size_t n, size_t avail)
{
	size_t i = 0;

	/* Two groups per round: 6 bytes (of an 8-byte load) to 8 chars. */
	for (; i + 6 <= n && i + 8 <= avail; i += 6, out += 8) {
		uint64_t v = load_be64(in + i);
		memcpy(out, pair((unsigned)(v >> 52) & 0xFFF), 2);
		memcpy(out + 2, pair((unsigned)(v >> 40) & 0xFFF), 2);
		memcpy(out + 4, pair((unsigned)(v >> 28) & 0xFFF), 2);
		memcpy(out + 6, pair((unsigned)(v >> 16) & 0xFFF), 2);
	}
	for (; i < n; i += 3, out += 4) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		             in[i + 2];
		memcpy(out, pair(v >> 12), 2);
		memcpy(out + 2, pair(v & 0xFFF), 2);
	}
}

#ifdef MF__X86
/*
 * 12 bytes (4 groups, in the low 12 bytes of each 128-bit lane after the
 * shuffle) to 16 characters. Each 32-bit word gets the bytes [s1 s0 s2
 * s1], so its 16-bit halves are s0:s1 and s1:s2 (big-endian pairs); the
 * 6-bit fields are then moved to one byte each with two multiplies, and
 * mapped to ASCII by adding a per-range offset chosen with pshufb.
 */
__attribute__((target("ssse3"))) static inline __m128i
enc_split128(__m128i in)
{
	const __m128i shuf =
	    _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
	__m128i t0, t1, t2, t3;

	in = _mm_shuffle_epi8(in, shuf);
	t0 = _mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00));
	t1 = _mm_mulhi_epu16(t0, _mm_set1_epi32(0x04000040));
	t2 = _mm_and_si128(in, _mm_set1_epi32(0x003f03f0));
	t3 = _mm_mullo_epi16(t2, _mm_set1_epi32(0x01000010));
	return _mm_or_si128(t1, t3);
}

__attribute__((target("ssse3"))) static inline __m128i
enc_ascii128(__m128i idx)
{
	/* 0..25 -> 13, 26..51 -> 0, 52..61 -> 1..10, 62 -> 11, 63 -> 12 */
	const __m128i lut =
	    _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	                  '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	                  '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
	__m128i r = _mm_subs_epu8(idx, _mm_set1_epi8(51));
	__m128i lt = _mm_cmpgt_epi8(_mm_set1_epi8(26), idx);

	r = _mm_or_si128(r, _mm_and_si128(lt, _mm_set1_epi8(13)));
	return _mm_add_epi8(idx, _mm_shuffle_epi8(lut, r));
}

/* in[0..16) readable; encodes in[0..12) to out[0..16). */
__attribute__((target("ssse3"))) static inline void
enc12(char *out, const unsigned char *in)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);

	_mm_storeu_si128((__m128i *)(void *)out, enc_ascii128(enc_split128(v)));
}

/* Encoding from in[i] on (i a multiple of 3): 12 bytes at a time. */
__attribute__((target("ssse3"))) static inline void
enc_from12(char *out, const unsigned char *in, size_t n, size_t avail, size_t i)
{
	for (; i + 12 <= n && i + 16 <= avail; i += 12)
		enc12(out + i / 3 * 4, in + i);
	if (i < n && n >= 12 && n + 4 <= avail) {
		/* Last groups: one block overlapping the ones done. */
		enc12(out + (n - 12) / 3 * 4, in + n - 12);
		return;
	}
	if (i < n)
		mf__b64_enc_scalar(out + i / 3 * 4, in + i, n - i, avail - i);
}

__attribute__((target("ssse3"))) void
mf__b64_enc_ssse3(char *out, const unsigned char *in, size_t n, size_t avail)
{
	enc_from12(out, in, n, avail, 0);
}

__attribute__((target("avx2"))) static inline __m256i
enc_ascii256(__m256i idx)
{
	const __m256i lut = _mm256_setr_epi8(
	    'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62,
	    '/' - 63, 'A', 0, 0, 'a' - 26, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
	    '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
	__m256i r = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
	__m256i lt = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx);

	r = _mm256_or_si256(r, _mm256_and_si256(lt, _mm256_set1_epi8(13)));
	return _mm256_add_epi8(idx, _mm256_shuffle_epi8(lut, r));
}

/* in[0..28) readable; encodes in[0..24) to out[0..32). */
__attribute__((target("avx2"))) static inline void
enc24(char *out, const unsigned char *in)
{
	const __m256i shuf =
	    _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
	                     1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
	__m128i lo = _mm_loadu_si128((const __m128i *)(const void *)in);
	__m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(in + 12));
	__m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
	__m256i t0, t1, t2, t3;

	v = _mm256_shuffle_epi8(v, shuf);
	t0 = _mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00));
	t1 = _mm256_mulhi_epu16(t0, _mm256_set1_epi32(0x04000040));
	t2 = _mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0));
	t3 = _mm256_mullo_epi16(t2, _mm256_set1_epi32(0x01000010));
	_mm256_storeu_si256((__m256i *)(void *)out,
	                    enc_ascii256(_mm256_or_si256(t1, t3)));
}

__attribute__((target("avx2"))) void
mf__b64_enc_avx2(char *out, const unsigned char *in, size_t n, size_t avail)
{
	size_t i = 0;

	for (; i + 24 <= n && i + 28 <= avail; i += 24)
		enc24(out + i / 3 * 4, in + i);
	enc_from12(out, in, n, avail, i);
}
#else
void
mf__b64_enc_ssse3(char *out, const unsigned char *in, size_t n, size_t avail)
{
	mf__b64_enc_scalar(out, in, n, avail);
}

void
mf__b64_enc_avx2(char *out, const unsigned char *in, size_t n, size_t avail)
{
	mf__b64_enc_scalar(out, in, n, avail);
}
#endif

typedef void enc_fn(char *, const unsigned char *, size_t, size_t);
static enc_fn *const enc_fns[3] = {mf__b64_enc_scalar, mf__b64_enc_ssse3,
                                   mf__b64_enc_avx2};

/* ---------------------------------------------------------------------- */
/* Block decoders                                                          */
/* ---------------------------------------------------------------------- */

/* Skips the CR and LF bytes at s[i..n) (line ends between groups). */
static inline size_t
skip_eol(const unsigned char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

size_t
mf__b64_dec_scalar(unsigned char *out, size_t cap, const char *in, size_t n,
                   size_t *consumed)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;

	for (;;) {
		size_t q = (n - i) / 4;
		if (q > (cap - o) / 3)
			q = (cap - o) / 3;
#ifdef MF__B64_LE
		/* Two groups per round, 4-byte stores while a group follows. */
		for (; q >= 3; q -= 2, i += 8, o += 6) {
			uint32_t a = d0[s[i]] | d1[s[i + 1]] | d2[s[i + 2]] |
			             d3[s[i + 3]];
			uint32_t b = d0[s[i + 4]] | d1[s[i + 5]] |
			             d2[s[i + 6]] | d3[s[i + 7]];
			if ((a | b) & BAD)
				break;
			memcpy(out + o, &a, 4);
			memcpy(out + o + 3, &b, 4);
		}
#endif
		for (; q > 0; q--, i += 4, o += 3) {
			uint32_t a = d0[s[i]] | d1[s[i + 1]] | d2[s[i + 2]] |
			             d3[s[i + 3]];
			if (a & BAD)
				break;
			out[o] = BYTE0(a);
			out[o + 1] = BYTE1(a);
			out[o + 2] = BYTE2(a);
		}
		/* Stopped by a bad group: go on after line ends. */
		if (q == 0 || (s[i] != '\n' && s[i] != '\r'))
			break;
		i = skip_eol(s, i, n);
	}
	*consumed = i;
	return o;
}

#ifdef MF__X86
/*
 * Validation by nibbles: lut_lo[low nibble] has a bit set for each
 * high-nibble class in which that low nibble is NOT an alphabet character;
 * lut_hi[high nibble] is the class bit. Classes: 0x01 high nibble 2 ("+"
 * at B, "/" at F), 0x02 nibble 3 (digits 0-9), 0x04 nibbles 4 and 6
 * (letters from 1), 0x08 nibbles 5 and 7 (letters up to A), 0x10 all other
 * nibbles (nothing valid). Translation adds roll[high nibble], with "/"
 * (the only character of its nibble class needing another offset than
 * "+") moved to index 1 by adding its compare mask (-1).
 */
#define LUT_LO                                                                 \
	0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13,      \
	    0x1A, 0x1B, 0x1B, 0x1B, 0x1A
#define LUT_HI                                                                 \
	0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10,      \
	    0x10, 0x10, 0x10, 0x10, 0x10
#define LUT_ROLL 0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0

/* Mask of the valid bytes of v (bit i = byte i); values in *vals. */
__attribute__((target("ssse3"))) static inline unsigned
dec_check128(__m128i v, __m128i *vals)
{
	const __m128i lut_lo = _mm_setr_epi8(LUT_LO);
	const __m128i lut_hi = _mm_setr_epi8(LUT_HI);
	const __m128i lut_roll = _mm_setr_epi8(LUT_ROLL);
	const __m128i m0f = _mm_set1_epi8(0x0f);
	__m128i hin = _mm_and_si128(_mm_srli_epi32(v, 4), m0f);
	__m128i lon = _mm_and_si128(v, m0f);
	__m128i lo = _mm_shuffle_epi8(lut_lo, lon);
	__m128i hi = _mm_shuffle_epi8(lut_hi, hin);
	__m128i bad = _mm_and_si128(lo, hi);
	__m128i eq2f = _mm_cmpeq_epi8(v, _mm_set1_epi8('/'));
	__m128i roll = _mm_shuffle_epi8(lut_roll, _mm_add_epi8(eq2f, hin));

	*vals = _mm_add_epi8(v, roll);
	return (unsigned)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(bad, _mm_setzero_si128()));
}

/* 16 values (6 bits each) to 12 bytes in the low 12 bytes. */
__attribute__((target("ssse3"))) static inline __m128i
dec_pack128(__m128i vals)
{
	__m128i t = _mm_maddubs_epi16(vals, _mm_set1_epi32(0x01400140));

	t = _mm_madd_epi16(t, _mm_set1_epi32(0x00011000));
	return _mm_shuffle_epi8(t, _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14,
	                                         13, 12, -1, -1, -1, -1));
}

/* Stores the low 12 bytes of v. */
__attribute__((target("ssse3"))) static inline void
store12(unsigned char *out, __m128i v)
{
	_mm_storel_epi64((__m128i *)(void *)out, v);
	v = _mm_srli_si128(v, 8);
	uint32_t w = (uint32_t)_mm_cvtsi128_si32(v);
	memcpy(out + 8, &w, 4);
}

/*
 * Decodes in[0..16); returns the groups decoded (4 if all valid). With
 * room (wide), the full 12 bytes are stored whatever the count.
 */
__attribute__((target("ssse3"))) static inline size_t
dec16(unsigned char *out, const unsigned char *in, int wide)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
	__m128i vals;
	unsigned ok = dec_check128(v, &vals);
	size_t q;

	if (ok == 0xFFFF || wide) {
		store12(out, dec_pack128(vals));
		return ok == 0xFFFF ? 4 : (size_t)__builtin_ctz(~ok) / 4;
	}
	{
		unsigned char tmp[16];

		q = (size_t)__builtin_ctz(~ok) / 4;
		_mm_storeu_si128((__m128i *)(void *)tmp, dec_pack128(vals));
		memcpy(out, tmp, q * 3);
	}
	return q;
}

/*
 * Decoding from in[i] and out[o] on: 16 characters at a time, then the
 * scalar block decoder; *consumed and the result as for the block
 * decoders (of the whole in and out).
 */
__attribute__((target("ssse3"))) static inline size_t
dec_from16(unsigned char *out, size_t cap, const char *in, size_t n, size_t i,
           size_t o, size_t *consumed)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t used = 0;

	while (n - i >= 16 && cap - o >= 12) {
		size_t q = dec16(out + o, s + i, 1);
		i += q * 4;
		o += q * 3;
		if (q < 4) {
			/* A line end between groups: skip it, else stop. */
			if (s[i] != '\n' && s[i] != '\r')
				goto done;
			i = skip_eol(s, i, n);
		}
	}
	o += mf__b64_dec_scalar(out + o, cap - o, in + i, n - i, &used);
	i += used;
done:
	*consumed = i;
	return o;
}

__attribute__((target("ssse3"))) size_t
mf__b64_dec_ssse3(unsigned char *out, size_t cap, const char *in, size_t n,
                  size_t *consumed)
{
	return dec_from16(out, cap, in, n, 0, 0, consumed);
}

__attribute__((target("avx2"))) size_t
mf__b64_dec_avx2(unsigned char *out, size_t cap, const char *in, size_t n,
                 size_t *consumed)
{
	const unsigned char *s = (const unsigned char *)in;
	const __m256i lut_lo = _mm256_setr_epi8(LUT_LO, LUT_LO);
	const __m256i lut_hi = _mm256_setr_epi8(LUT_HI, LUT_HI);
	const __m256i lut_roll = _mm256_setr_epi8(LUT_ROLL, LUT_ROLL);
	const __m256i m0f = _mm256_set1_epi8(0x0f);
	const __m256i slash = _mm256_set1_epi8('/');
	const __m256i pack1 = _mm256_set1_epi32(0x01400140);
	const __m256i pack2 = _mm256_set1_epi32(0x00011000);
	const __m256i shuf = _mm256_setr_epi8(
	    2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6,
	    5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i perm = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
	size_t i = 0, o = 0;

	while (n - i >= 32 && cap - o >= 24) {
		__m256i v =
		    _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
		__m256i hin = _mm256_and_si256(_mm256_srli_epi32(v, 4), m0f);
		__m256i lon = _mm256_and_si256(v, m0f);
		__m256i bad =
		    _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lon),
		                     _mm256_shuffle_epi8(lut_hi, hin));
		__m256i roll = _mm256_shuffle_epi8(
		    lut_roll,
		    _mm256_add_epi8(_mm256_cmpeq_epi8(v, slash), hin));
		uint32_t ok = (uint32_t)_mm256_movemask_epi8(
		    _mm256_cmpeq_epi8(bad, _mm256_setzero_si256()));
		__m256i t = _mm256_add_epi8(v, roll);

		t = _mm256_maddubs_epi16(t, pack1);
		t = _mm256_madd_epi16(t, pack2);
		t = _mm256_shuffle_epi8(t, shuf);
		t = _mm256_permutevar8x32_epi32(t, perm);
		_mm_storeu_si128((__m128i *)(void *)(out + o),
		                 _mm256_castsi256_si128(t));
		_mm_storel_epi64((__m128i *)(void *)(out + o + 16),
		                 _mm256_extracti128_si256(t, 1));
		if (ok == 0xFFFFFFFFu) {
			i += 32;
			o += 24;
		} else {
			/* The groups before the bad byte (the rest is junk). */
			size_t q = (size_t)__builtin_ctz(~ok) / 4;

			i += q * 4;
			o += q * 3;
			/* A line end between groups: skip it, else stop. */
			if (s[i] != '\n' && s[i] != '\r') {
				*consumed = i;
				return o;
			}
			i = skip_eol(s, i, n);
		}
	}
	return dec_from16(out, cap, in, n, i, o, consumed);
}
#else
size_t
mf__b64_dec_ssse3(unsigned char *out, size_t cap, const char *in, size_t n,
                  size_t *consumed)
{
	return mf__b64_dec_scalar(out, cap, in, n, consumed);
}

size_t
mf__b64_dec_avx2(unsigned char *out, size_t cap, const char *in, size_t n,
                 size_t *consumed)
{
	return mf__b64_dec_scalar(out, cap, in, n, consumed);
}
#endif

typedef size_t dec_fn(unsigned char *, size_t, const char *, size_t, size_t *);
static dec_fn *const dec_fns[3] = {mf__b64_dec_scalar, mf__b64_dec_ssse3,
                                   mf__b64_dec_avx2};

/* ---------------------------------------------------------------------- */
/* Encoder                                                                 */
/* ---------------------------------------------------------------------- */

#define ENC_FLAGS MF_LF
#define DEC_FLAGS MF_STRICT

static size_t
line_round(size_t line_len)
{
	if (line_len == 0)
		return 0;
	line_len &= ~(size_t)3;
	return line_len < 4 ? 4 : line_len;
}

size_t
mf_b64_encoded_len(size_t n, size_t line_len, unsigned flags)
{
	size_t groups = n / 3 + (n % 3 != 0), chars, lines, eols, total;
	size_t eol = (flags & MF_LF) ? 1 : 2;

	if ((flags & ~ENC_FLAGS) != 0 || !mf__mul(groups, 4, &chars))
		return SIZE_MAX;
	line_len = line_round(line_len);
	if (line_len == 0)
		return chars;
	lines = chars / line_len + (chars % line_len != 0);
	if (!mf__mul(lines, eol, &eols) || !mf__add(chars, eols, &total))
		return SIZE_MAX;
	return total;
}

int
mf_b64_enc_init(mf_b64_enc *st, size_t line_len, unsigned flags)
{
	if (st == NULL)
		return MF_E_INVAL;
	memset(st, 0, sizeof(*st));
	st->line_len_ = line_round(line_len);
	/* Unknown bits are kept: every later call refuses the state. */
	st->flags_ = flags;
	return (flags & ~ENC_FLAGS) != 0 ? MF_E_INVAL : MF_OK;
}

static size_t
put_eol(const mf_b64_enc *st, char *out)
{
	if (st->flags_ & MF_LF) {
		out[0] = '\n';
		return 1;
	}
	out[0] = '\r';
	out[1] = '\n';
	return 2;
}

/*
 * Encodes in[0..m) (m a multiple of 3, in[m..avail) readable) as lines
 * continuing the current one; returns the characters written.
 */
static size_t
enc_lines(enc_fn *fn, mf_b64_enc *st, char *out, const unsigned char *in,
          size_t m, size_t avail)
{
	size_t o = 0, len = st->line_len_;

	if (len == 0) {
		fn(out, in, m, avail);
		return m / 3 * 4;
	}
	while (m > 0) {
		size_t take = (len - st->col_) / 4 * 3;

		if (take > m)
			take = m;
		fn(out + o, in, take, avail);
		o += take / 3 * 4;
		st->col_ += take / 3 * 4;
		in += take;
		m -= take;
		avail -= take;
		if (st->col_ == len) {
			o += put_eol(st, out + o);
			st->col_ = 0;
		}
	}
	return o;
}

int
mf__b64_enc_update_path(int path, void *vst, char *out, size_t cap,
                        const void *in, size_t n, size_t *outlen)
{
	mf_b64_enc *st = vst;
	const unsigned char *s = in;
	enc_fn *fn = enc_fns[mf__path_resolve(path)];
	size_t total, groups, chars, need, o = 0, used = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (in == NULL && n > 0) ||
	    (out == NULL && cap > 0) || st->nbuf_ > 2 ||
	    (st->flags_ & ~ENC_FLAGS) != 0)
		return MF_E_INVAL;
	/* Exact output size, so that a short buffer consumes nothing. */
	if (!mf__add(n, st->nbuf_, &total))
		return MF_E_INVAL;
	groups = total / 3;
	chars = groups * 4;
	need = chars;
	if (st->line_len_ != 0) {
		size_t eols = (st->col_ + chars) / st->line_len_;
		need += eols * ((st->flags_ & MF_LF) ? 1 : 2);
	}
	if (need > cap)
		return MF_E_NOSPC;
	if (st->nbuf_ > 0 && total >= 3) {
		used = 3 - st->nbuf_;
		memcpy(st->buf_ + st->nbuf_, s, used);
		o += enc_lines(enc_fns[MF__PATH_SCALAR], st, out, st->buf_, 3,
		               3);
		st->nbuf_ = 0;
	}
	if (n - used >= 3) {
		size_t m = (n - used) / 3 * 3;
		o += enc_lines(fn, st, out + o, s + used, m, n - used);
		used += m;
	}
	if (n > used) {
		memcpy(st->buf_ + st->nbuf_, s + used, n - used);
		st->nbuf_ += (unsigned)(n - used);
	}
	*outlen = o;
	return MF_OK;
}

int
mf_b64_enc_update(mf_b64_enc *st, char *out, size_t cap, const void *in,
                  size_t n, size_t *outlen)
{
	return mf__b64_enc_update_path(MF__PATH_BEST, st, out, cap, in, n,
	                               outlen);
}

static int
enc_final(void *vst, char *out, size_t cap, size_t *outlen)
{
	mf_b64_enc *st = vst;
	size_t need = 0, o = 0;
	size_t eol;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (out == NULL && cap > 0) ||
	    st->nbuf_ > 2 || (st->flags_ & ~ENC_FLAGS) != 0)
		return MF_E_INVAL;
	eol = (st->flags_ & MF_LF) ? 1 : 2;
	if (st->nbuf_ > 0)
		need = 4;
	if (st->line_len_ != 0 && st->col_ + need > 0)
		need += eol;
	if (need > cap)
		return MF_E_NOSPC;
	if (st->nbuf_ > 0) {
		unsigned char b[3] = {0, 0, 0};
		memcpy(b, st->buf_, st->nbuf_);
		enc3(out, b);
		if (st->nbuf_ == 1)
			out[2] = '=';
		out[3] = '=';
		o = 4;
	}
	if (st->line_len_ != 0 && st->col_ + o > 0)
		o += put_eol(st, out + o);
	st->col_ = 0;
	st->nbuf_ = 0;
	memset(st->buf_, 0, sizeof(st->buf_));
	*outlen = o;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Decoder                                                                 */
/* ---------------------------------------------------------------------- */

size_t
mf_b64_decoded_len(size_t n)
{
	/* floor(3 (n + 3) / 4): up to 3 characters may be held in a state. */
	return n / 4 * 3 + (n % 4 + 3) * 3 / 4;
}

enum {
	PAD_NONE = 0,
	PAD_ONE = 1,      /* after "xx=" */
	PAD_DONE = 2,     /* after a padded quantum */
	PAD_FINISHED = 3, /* final was called */
	PAD_TAIL = 4      /* text after the padding: the rest is ignored */
};

/*
 * A defect at off: recorded, or in strict mode the sticky error code
 * (MF_E_SYNTAX, or MF_E_TRUNC for input that ends too early).
 */
static int
anomaly(mf_b64_dec *st, int code, uint64_t off, const char *reason)
{
	if (st->flags & MF_STRICT) {
		st->err_ = code;
		st->err_off_ = off;
		st->err_reason_ = reason;
		return code;
	}
	if (st->defects == 0)
		st->defect_off = off;
	st->defects |= MF_DEFECT_BIT(MF_D_B64_JUNK);
	return MF_OK;
}

static int
sticky(const mf_b64_dec *st, mf_error *err)
{
	return mf__err(err, st->err_, (size_t)st->err_off_, st->err_reason_);
}

/*
 * One character that the block decoder did not take: whitespace, junk,
 * padding, or an alphabet character while a quantum is open.
 */
static int
dec_char(mf_b64_dec *st, unsigned char *out, size_t cap, size_t *o,
         unsigned char c, uint64_t off)
{
	unsigned v = dtab[c];
	int rc;

	if (v < 64) {
		if (st->pad_ != PAD_NONE) {
			rc = anomaly(st, MF_E_SYNTAX, off,
			             st->pad_ == PAD_ONE
			                 ? "data instead of second \"=\""
			                 : "data after padding");
			if (rc < 0)
				return rc;
			st->pad_ = PAD_NONE;
		}
		if (st->n_ == 3) {
			uint32_t a = st->acc_ << 6 | v;
			if (cap - *o < 3)
				return MF_E_NOSPC;
			out[*o] = (unsigned char)(a >> 16);
			out[*o + 1] = (unsigned char)(a >> 8);
			out[*o + 2] = (unsigned char)a;
			*o += 3;
			st->acc_ = 0;
			st->n_ = 0;
		} else {
			st->acc_ = st->acc_ << 6 | v;
			st->n_++;
		}
		st->last_off_ = off;
		return MF_OK;
	}
	if (v == B64_WS)
		return MF_OK;
	if (v == B64_JUNK && st->pad_ != PAD_NONE) {
		/*
		 * Text after the padding (a mailing list footer appended to
		 * a base64 body): the data has ended, the rest is ignored.
		 */
		st->pad_ = PAD_TAIL;
		return anomaly(st, MF_E_SYNTAX, off, "text after padding");
	}
	if (v == B64_JUNK)
		return anomaly(st, MF_E_SYNTAX, off,
		               "invalid base64 character");
	/* "=" */
	switch (st->n_) {
	case 0:
		if (st->pad_ == PAD_ONE) {
			st->pad_ = PAD_DONE;
			return MF_OK;
		}
		return anomaly(st, MF_E_SYNTAX, off, "unexpected \"=\"");
	case 1:
		rc = anomaly(st, MF_E_SYNTAX, off,
		             "\"=\" after a single character");
		st->n_ = 0;
		st->acc_ = 0;
		st->pad_ = PAD_DONE;
		return rc;
	case 2:
		if (cap - *o < 1)
			return MF_E_NOSPC;
		if (st->acc_ & 0xF) {
			rc = anomaly(st, MF_E_SYNTAX, st->last_off_,
			             "non-zero bits before padding");
			if (rc < 0)
				return rc;
		}
		out[(*o)++] = (unsigned char)(st->acc_ >> 4);
		st->n_ = 0;
		st->acc_ = 0;
		st->pad_ = PAD_ONE;
		return MF_OK;
	default:
		if (cap - *o < 2)
			return MF_E_NOSPC;
		if (st->acc_ & 0x3) {
			rc = anomaly(st, MF_E_SYNTAX, st->last_off_,
			             "non-zero bits before padding");
			if (rc < 0)
				return rc;
		}
		out[*o] = (unsigned char)(st->acc_ >> 10);
		out[*o + 1] = (unsigned char)(st->acc_ >> 2);
		*o += 2;
		st->n_ = 0;
		st->acc_ = 0;
		st->pad_ = PAD_DONE;
		return MF_OK;
	}
}

int
mf__b64_dec_update_path(int path, void *vst, void *out, size_t cap,
                        const char *in, size_t n, size_t *outlen, mf_error *err)
{
	mf_b64_dec *st = vst;
	dec_fn *fn = dec_fns[mf__path_resolve(path)];
	const unsigned char *s = (const unsigned char *)in;
	unsigned char *d = out;
	mf_b64_dec save;
	size_t i = 0, o = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (in == NULL && n > 0) ||
	    (out == NULL && cap > 0))
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if ((st->flags & ~DEC_FLAGS) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (st->err_ != 0)
		return sticky(st, err);
	if (st->pad_ == PAD_FINISHED || st->n_ > 3)
		return mf__err(err, MF_E_STATE, 0, "decoder already finished");
	save = *st;
	while (i < n && st->pad_ != PAD_TAIL) {
		if (st->n_ == 0 && st->pad_ == PAD_NONE) {
			size_t used;
			o += fn(d + o, cap - o, in + i, n - i, &used);
			i += used;
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
			return sticky(st, err);
		}
		i++;
	}
	st->off_ += n;
	*outlen = o;
	return MF_OK;
}

int
mf_b64_dec_update(mf_b64_dec *st, void *out, size_t cap, const char *in,
                  size_t n, size_t *outlen, mf_error *err)
{
	return mf__b64_dec_update_path(MF__PATH_BEST, st, out, cap, in, n,
	                               outlen, err);
}

static int
dec_final(void *vst, void *out, size_t cap, size_t *outlen, mf_error *err)
{
	mf_b64_dec *st = vst;
	unsigned char *d = out;
	size_t need;
	int rc = MF_OK;

	if (outlen != NULL)
		*outlen = 0;
	if (st == NULL || outlen == NULL || (out == NULL && cap > 0))
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	if ((st->flags & ~DEC_FLAGS) != 0)
		return mf__err(err, MF_E_INVAL, 0, "unknown flag");
	if (st->err_ != 0)
		return sticky(st, err);
	if (st->pad_ == PAD_FINISHED || st->n_ > 3)
		return mf__err(err, MF_E_STATE, 0, "decoder already finished");
	need = st->n_ >= 2 ? st->n_ - 1 : 0;
	if (need > cap)
		return mf__err(err, MF_E_NOSPC, (size_t)st->off_,
		               "output buffer too small");
	if (st->n_ > 0 || st->pad_ == PAD_ONE) {
		rc = anomaly(st, MF_E_TRUNC, st->off_,
		             st->n_ == 1 ? "base64 ends inside a byte"
		                         : "missing padding at end");
		if (rc < 0)
			return sticky(st, err);
	}
	if (st->n_ == 2 && (st->acc_ & 0xF))
		(void)anomaly(st, MF_E_SYNTAX, st->last_off_,
		              "non-zero bits before padding");
	if (st->n_ == 3 && (st->acc_ & 0x3))
		(void)anomaly(st, MF_E_SYNTAX, st->last_off_,
		              "non-zero bits before padding");
	if (st->n_ == 2) {
		d[0] = (unsigned char)(st->acc_ >> 4);
	} else if (st->n_ == 3) {
		d[0] = (unsigned char)(st->acc_ >> 10);
		d[1] = (unsigned char)(st->acc_ >> 2);
	}
	st->n_ = 0;
	st->acc_ = 0;
	st->pad_ = PAD_FINISHED;
	*outlen = need;
	return MF_OK;
}

/* ---------------------------------------------------------------------- */
/* Public calls                                                            */
/* ---------------------------------------------------------------------- */

const mf__codec mf__b64_codec = {
    ENC_FLAGS,          DEC_FLAGS,
    sizeof(mf_b64_dec), offsetof(mf_b64_dec, defects),
    mf_b64_decoded_len, mf__b64_enc_update_path,
    enc_final,          mf__b64_dec_update_path,
    dec_final,
};

int
mf_b64_enc_final(mf_b64_enc *st, char *out, size_t cap, size_t *outlen)
{
	return enc_final(st, out, cap, outlen);
}

int
mf_b64_dec_final(mf_b64_dec *st, void *out, size_t cap, size_t *outlen,
                 mf_error *err)
{
	return dec_final(st, out, cap, outlen, err);
}

int
mf__b64_encode_path(int path, char *out, size_t cap, const void *in, size_t n,
                    size_t line_len, unsigned flags, size_t *outlen)
{
	mf_b64_enc st;

	if (outlen != NULL)
		*outlen = 0;
	if (mf_b64_enc_init(&st, line_len, flags) < 0)
		return MF_E_INVAL;
	return mf__codec_encode(&mf__b64_codec, path, &st, out, cap, in, n,
	                        flags, mf_b64_encoded_len(n, line_len, flags),
	                        outlen);
}

int
mf_b64_encode(char *out, size_t cap, const void *in, size_t n, size_t line_len,
              unsigned flags, size_t *outlen)
{
	return mf__b64_encode_path(MF__PATH_BEST, out, cap, in, n, line_len,
	                           flags, outlen);
}

/*
 * Appends the encoding of in[0..n) to out: one growth to the exact size,
 * then the one-shot encoder into the room after out's bytes (so a failure
 * leaves out's contents as they were).
 */
int
mf_b64_encode_buf(mf_buf *out, const void *in, size_t n, size_t line_len,
                  unsigned flags)
{
	size_t need, got = 0;
	int rc;

	if (out == NULL || (in == NULL && n != 0) || (flags & ~ENC_FLAGS) != 0)
		return MF_E_INVAL;
	need = mf_b64_encoded_len(n, line_len, flags);
	if (need == SIZE_MAX)
		return MF_E_LIMIT;
	rc = mf__buf_grow(out, need);
	if (rc < 0)
		return rc;
	rc = mf_b64_encode(out->data + out->len, out->cap - out->len - 1, in,
	                   n, line_len, flags, &got);
	if (rc < 0) {
		out->data[out->len] = '\0';
		return rc;
	}
	mf__buf_cut(out, out->len + got);
	return MF_OK;
}

int
mf__b64_decode_path(int path, void *out, size_t cap, const char *in, size_t n,
                    unsigned flags, size_t *outlen, uint64_t *defects,
                    mf_error *err)
{
	mf_b64_dec st;

	memset(&st, 0, sizeof(st));
	return mf__codec_decode(&mf__b64_codec, path, &st, out, cap, in, n,
	                        flags, outlen, defects, err);
}

int
mf_b64_decode(void *out, size_t cap, const char *in, size_t n, unsigned flags,
              size_t *outlen, uint64_t *defects, mf_error *err)
{
	return mf__b64_decode_path(MF__PATH_BEST, out, cap, in, n, flags,
	                           outlen, defects, err);
}
