/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctype.c - Content-Type, Content-Disposition and
 * Content-Transfer-Encoding values on arbitrary input. The first byte
 * picks the parameter cap. Checks: lenient parsing always succeeds;
 * strict mode fails exactly when lenient mode saw a defect; type and
 * subtype are both set or both empty, in lower case; parameter names are
 * lower case and unique, their spans and offsets inside the input, and
 * each is found by name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailfmt.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_lower(mf_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		CHECK(!(s.ptr[i] >= 'A' && s.ptr[i] <= 'Z'));
}

static void
check_params(const char *p, size_t n, const mf_params *ps, size_t cap)
{
	size_t i, k;

	CHECK(mf_params_count(ps) <= cap);
	for (i = 0; i < mf_params_count(ps); i++) {
		const mf_param *pm = mf_params_at(ps, i);

		CHECK(pm->name.len > 0);
		check_lower(pm->name);
		CHECK(pm->offset < n);
		if (pm->raw.len > 0)
			CHECK(pm->raw.ptr >= p && pm->raw.ptr + pm->raw.len <= p + n);
		CHECK(mf_params_get(ps, pm->name.ptr, pm->name.len) == pm);
		for (k = 0; k < i; k++) {
			const mf_param *q = mf_params_at(ps, k);

			CHECK(q->name.len != pm->name.len ||
			      memcmp(q->name.ptr, pm->name.ptr, q->name.len) != 0);
		}
	}
	CHECK(mf_params_at(ps, mf_params_count(ps)) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n, cap;
	mf_opts o;
	mf_ctype *ct;
	mf_disp *d;
	uint64_t defects = 0;
	int rc, cte;
	mf_str t, s;

	if (size < 1)
		return 0;
	n = size - 1;
	memset(&o, 0, sizeof(o));
	o.limits.max_params = (data[0] & 1) ? 1 + (data[0] >> 4) : 0;
	cap = o.limits.max_params ? o.limits.max_params : 128;

	CHECK(mf_ctype_parse(p, n, &o, &ct, NULL) == MF_OK);
	t = mf_ctype_type(ct);
	s = mf_ctype_subtype(ct);
	CHECK((t.len == 0) == (s.len == 0));
	check_lower(t);
	check_lower(s);
	check_params(p, n, mf_ctype_params(ct), cap);
	o.flags = MF_STRICT;
	{
		mf_ctype *st = NULL;
		mf_error e;

		rc = mf_ctype_parse(p, n, &o, &st, &e);
		CHECK((rc == MF_OK) == (mf_ctype_defects(ct) == 0));
		if (rc < 0)
			CHECK(st == NULL && e.offset <= n &&
			      (rc == MF_E_DEFECT || rc == MF_E_LIMIT));
		mf_ctype_free(st);
	}
	o.flags = 0;
	mf_ctype_free(ct);

	CHECK(mf_disp_parse(p, n, &o, &d, NULL) == MF_OK);
	check_lower(mf_disp_type(d));
	check_params(p, n, mf_disp_params(d), cap);
	mf_disp_free(d);

	CHECK(mf_cte_parse(p, n, &cte, &defects) == MF_OK);
	CHECK(cte >= MF_CTE_UNKNOWN && cte <= MF_CTE_UUENCODE);
	CHECK((cte == MF_CTE_UNKNOWN) ==
	      ((defects & MF_DEFECT_BIT(MF_D_UNKNOWN_CTE)) != 0));
	return 0;
}
