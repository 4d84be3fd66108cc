/* SPDX-License-Identifier: MIT */
/*
 * codec.c - what the transfer-encoding codecs share (codec.h): the choice
 * of code path from mf_cpu_features, the one-shot calls of base64 and
 * quoted-printable, each one update plus final on a fresh streaming state,
 * and the transfer decoder of a body that picks the codec from the
 * Content-Transfer-Encoding.
 */
#include "codec.h"

#include "b64.h"
#include "qp.h"
#include "uu.h"

int
mf__best_path(void)
{
	unsigned f = mf_cpu_features();

	if (f & MF_CPU_AVX2)
		return MF__PATH_AVX2;
	if (f & MF_CPU_SSSE3)
		return MF__PATH_SSSE3;
	return MF__PATH_SCALAR;
}

bool
mf__path_ok(int p)
{
	unsigned f = mf_cpu_features();

	switch (p) {
	case MF__PATH_SCALAR:
	case MF__PATH_BEST:
		return true;
	case MF__PATH_SSSE3:
		return (f & MF_CPU_SSSE3) != 0;
	case MF__PATH_AVX2:
		return (f & MF_CPU_AVX2) != 0;
	default:
		return false;
	}
}

int
mf__path_resolve(int p)
{
	if (p == MF__PATH_BEST || !mf__path_ok(p))
		return mf__best_path();
	return p;
}

int
mf__codec_encode(const mf__codec *c, int path, void *st, char *out, size_t cap,
                 const void *in, size_t n, unsigned flags, size_t need,
                 size_t *outlen)
{
	size_t a = 0, b = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if ((flags & ~c->enc_flags) || outlen == NULL)
		return MF_E_INVAL;
	if (need > cap)
		return MF_E_NOSPC;
	rc = c->enc_update(path, st, out, cap, in, n, &a);
	if (rc < 0)
		return rc;
	rc = c->enc_final(st, out != NULL ? out + a : NULL, cap - a, &b);
	if (rc < 0)
		return rc;
	*outlen = a + b;
	return MF_OK;
}

int
mf__codec_decode(const mf__codec *c, int path, void *st, void *out, size_t cap,
                 const char *in, size_t n, unsigned flags, size_t *outlen,
                 uint64_t *defects, mf_error *err)
{
	size_t a = 0, b = 0;
	int rc;

	if (outlen != NULL)
		*outlen = 0;
	if (defects != NULL)
		*defects = 0;
	if ((flags & ~c->dec_flags) || outlen == NULL)
		return mf__err(err, MF_E_INVAL, 0, "invalid argument");
	/* flags is the first member of every decoder state. */
	memcpy(st, &flags, sizeof(flags));
	rc = c->dec_update(path, st, out, cap, in, n, &a, err);
	if (rc >= 0)
		rc = c->dec_final(st, out != NULL ? (char *)out + a : NULL,
		                  cap - a, &b, err);
	*outlen = a + b;
	if (defects != NULL)
		memcpy(defects, (const char *)st + c->dec_defects,
		       sizeof(*defects));
	return rc < 0 ? rc : MF_OK;
}

#define DEFECT_OFF_FOLLOWS(T)                                                  \
	_Static_assert(offsetof(T, defect_off) ==                              \
	                   offsetof(T, defects) + sizeof(uint64_t),            \
	               #T ": defect_off follows defects")
DEFECT_OFF_FOLLOWS(mf_b64_dec);
DEFECT_OFF_FOLLOWS(mf_qp_dec);
DEFECT_OFF_FOLLOWS(mf_uu_dec);

bool
mf__xfer_init(mf__xfer *x, int cte)
{
	/* Only the state in use is cleared (the uuencode one is large). */
	x->codec = NULL;
	switch (cte) {
	case MF_CTE_BASE64:
		x->codec = &mf__b64_codec;
		memset(&x->st.b64, 0, sizeof(x->st.b64));
		break;
	case MF_CTE_QP:
		x->codec = &mf__qp_codec;
		memset(&x->st.qp, 0, sizeof(x->st.qp));
		break;
	case MF_CTE_UUENCODE:
		x->codec = &mf__uu_codec;
		memset(&x->st.uu, 0, sizeof(x->st.uu));
		break;
	default:
		break; /* 7bit, 8bit, binary, unknown: as they are */
	}
	return x->codec != NULL;
}

size_t
mf__xfer_len(const mf__xfer *x, size_t n)
{
	return x->codec != NULL ? x->codec->decoded_len(n) : n;
}

int
mf__xfer_update(mf__xfer *x, void *out, size_t cap, const char *in, size_t n,
                size_t *outlen, mf_error *err)
{
	if (x->codec == NULL) {
		*outlen = 0;
		if (n > cap)
			return mf__err(err, MF_E_NOSPC, 0, "no room");
		if (n > 0)
			memcpy(out, in, n);
		*outlen = n;
		return MF_OK;
	}
	return x->codec->dec_update(MF__PATH_BEST, &x->st, out, cap, in, n,
	                            outlen, err);
}

int
mf__xfer_final(mf__xfer *x, void *out, size_t cap, size_t *outlen,
               mf_error *err)
{
	*outlen = 0;
	if (x->codec == NULL)
		return MF_OK;
	if (x->codec == &mf__qp_codec)
		return mf__qp_dec_final_body(&x->st.qp, out, cap, outlen, err);
	return x->codec->dec_final(&x->st, out, cap, outlen, err);
}

uint64_t
mf__xfer_defects(const mf__xfer *x, uint64_t *off)
{
	/* Every decoder state has defects, then defect_off. */
	const char *st = (const char *)&x->st;
	uint64_t mask = 0;

	*off = 0;
	if (x->codec == NULL)
		return 0;
	memcpy(&mask, st + x->codec->dec_defects, sizeof(mask));
	memcpy(off, st + x->codec->dec_defects + sizeof(mask), sizeof(*off));
	return mask;
}
