/* SPDX-License-Identifier: MIT */
/*
 * codec.h - internals shared by the transfer-encoding codecs (b64.c,
 * qp.c): the code paths chosen at run time, the helpers that spell
 * 256-entry tables as constant expressions, and the one-shot calls, which
 * both codecs make of one streaming update plus final (so that one-shot
 * and streaming cannot drift). Hidden (mf__ prefix).
 */
#ifndef MF_CODEC_H
#define MF_CODEC_H

#include "core.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) &&         \
    !defined(MF_NO_SIMD)
#define MF__X86 1
#include <immintrin.h>
#endif

/* A 256-entry table of f(0) .. f(255) (a constant expression). */
#define MF__X4(f, n) f(n), f(n + 1), f(n + 2), f(n + 3)
#define MF__X16(f, n)                                                          \
	MF__X4(f, n), MF__X4(f, n + 4), MF__X4(f, n + 8), MF__X4(f, n + 12)
#define MF__X64(f, n)                                                          \
	MF__X16(f, n), MF__X16(f, n + 16), MF__X16(f, n + 32),                 \
	    MF__X16(f, n + 48)
#define MF__X256(f)                                                            \
	MF__X64(f, 0), MF__X64(f, 64), MF__X64(f, 128), MF__X64(f, 192)

/* Code paths; MF__PATH_BEST picks the best one the CPU has at run time. */
enum mf__path {
	MF__PATH_SCALAR = 0,
	MF__PATH_SSSE3 = 1,
	MF__PATH_AVX2 = 2,
	MF__PATH_BEST = 3
};

/* The path MF__PATH_BEST resolves to on this CPU. */
int mf__best_path(void);
/* Whether path p can run here (scalar always can). */
bool mf__path_ok(int p);
/* p itself when it can run here, else the best path. */
int mf__path_resolve(int p);

/*
 * A codec's streaming calls with a chosen path, on states passed as void *
 * (mf_b64_enc and mf_b64_dec, mf_qp_enc and mf_qp_dec), so that one
 * function serves the one-shot calls of every codec, and the tests drive
 * every codec the same way.
 */
typedef struct mf__codec {
	unsigned enc_flags; /* flags the encoder knows */
	unsigned dec_flags; /* flags the decoder knows */
	size_t dec_size;    /* size of the decoder state; flags is first */
	size_t dec_defects; /* offset of its defects field */
	size_t (*decoded_len)(size_t n);
	int (*enc_update)(int path, void *st, char *out, size_t cap,
	                  const void *in, size_t n, size_t *outlen);
	int (*enc_final)(void *st, char *out, size_t cap, size_t *outlen);
	int (*dec_update)(int path, void *st, void *out, size_t cap,
	                  const char *in, size_t n, size_t *outlen,
	                  mf_error *err);
	int (*dec_final)(void *st, void *out, size_t cap, size_t *outlen,
	                 mf_error *err);
} mf__codec;

/*
 * One-shot encode on st, an encoder state just initialised with flags:
 * MF_E_INVAL for unknown flags or a NULL outlen, MF_E_NOSPC when need (0:
 * no such check) is over cap, else one update and final.
 */
int mf__codec_encode(const mf__codec *c, int path, void *st, char *out,
                     size_t cap, const void *in, size_t n, unsigned flags,
                     size_t need, size_t *outlen);
/*
 * One-shot decode on st, a zeroed decoder state that gets flags: one
 * update and final; *outlen what both wrote, *defects the state's.
 */
int mf__codec_decode(const mf__codec *c, int path, void *st, void *out,
                     size_t cap, const char *in, size_t n, unsigned flags,
                     size_t *outlen, uint64_t *defects, mf_error *err);

/*
 * Where RFC 2047 encoded words end, by the decoder's rule (ew.c: the text
 * ends at the first "?=", with no line end before it), for parsers that
 * must take an encoded word as one token (addresses: a ":" or "," in its
 * text is no delimiter). Searches are amortised over one input.
 */
typedef struct mf__ewscan {
	const char *in;
	size_t n;
	size_t qe_from, qe; /* the last "?=" found, from where */
	size_t nl_from, nl; /* the last CR or LF found, from where */
} mf__ewscan;

void mf__ewscan_init(mf__ewscan *sc, const char *in, size_t n);
/* The length of the encoded word at in[p], or 0 if there is none. */
size_t mf__ew_at(mf__ewscan *sc, size_t p);

/*
 * The transfer decoder of a body (RFC 2045 6.1): base64, quoted-printable
 * or uuencode through their streaming states, chosen by the part's
 * Content-Transfer-Encoding (enum mf_cte); every other encoding is the
 * identity. The content decoder (content.c) and the push parser's
 * MF_DECODE (mime.c) both decode through it: one rule for both.
 */
typedef struct mf__xfer {
	const mf__codec *codec; /* NULL: identity */
	union {
		mf_b64_dec b64;
		mf_qp_dec qp;
		mf_uu_dec uu;
	} st;
} mf__xfer;

/* Sets x up for cte; false when cte is an identity encoding. */
bool mf__xfer_init(mf__xfer *x, int cte);
/* Upper bound of what one update of n bytes (or the final, 0) writes. */
size_t mf__xfer_len(const mf__xfer *x, size_t n);
/* Decodes in[0..n) into out[0..cap) (cap >= mf__xfer_len(x, n)). */
int mf__xfer_update(mf__xfer *x, void *out, size_t cap, const char *in,
                    size_t n, size_t *outlen, mf_error *err);
/*
 * The end of the body. A quoted-printable body's last line end went to
 * the delimiter or the end of the message (RFC 2046 5.1.1), so a final
 * "=" is a soft line break there, not a defect.
 */
int mf__xfer_final(mf__xfer *x, void *out, size_t cap, size_t *outlen,
                   mf_error *err);
/* The MF_DEFECT_BIT mask of the decoder's defects; *off the first's
 * offset in the encoded body. */
uint64_t mf__xfer_defects(const mf__xfer *x, uint64_t *off);

#endif /* MF_CODEC_H */
