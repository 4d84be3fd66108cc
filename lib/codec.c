/* SPDX-License-Identifier: MIT */
/*
 * codec.c - what the transfer-encoding codecs share (codec.h): the choice
 * of code path from mf_cpu_features, and the one-shot calls of base64 and
 * quoted-printable, each one update plus final on a fresh streaming state.
 */
#include "codec.h"

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
