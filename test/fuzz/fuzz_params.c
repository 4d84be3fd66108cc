/* SPDX-License-Identifier: MIT */
/*
 * fuzz_params.c - MIME parameter lists (RFC 2045 5.1, RFC 2231
 * continuations) on arbitrary input, after a fixed "application/x;" so
 * that the fuzzer spends its time in the parameters. Checks: parsing
 * succeeds; names are lower case and unique; no value is longer than
 * three times the input; strict mode fails exactly when there was a
 * defect.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailfmt.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pre[] = "application/x;";
	size_t n = sizeof(pre) - 1 + size, i, k;
	char *p = malloc(n ? n : 1);
	mf_ctype *ct, *st = NULL;
	const mf_params *ps;
	mf_opts o;
	int rc;

	CHECK(p != NULL);
	memcpy(p, pre, sizeof(pre) - 1);
	if (size)
		memcpy(p + sizeof(pre) - 1, data, size);
	memset(&o, 0, sizeof(o));
	CHECK(mf_ctype_parse(p, n, &o, &ct, NULL) == MF_OK);
	ps = mf_ctype_params(ct);
	for (i = 0; i < mf_params_count(ps); i++) {
		const mf_param *pm = mf_params_at(ps, i);

		for (k = 0; k < pm->name.len; k++)
			CHECK(!(pm->name.ptr[k] >= 'A' && pm->name.ptr[k] <= 'Z'));
		/* Unquoting shrinks, decoding 8-bit or encoded text at
		 * most triples: no value outgrows three times the input. */
		CHECK(pm->value.len <= 3 * n);
		CHECK(mf_params_get(ps, pm->name.ptr, pm->name.len) == pm);
	}
	o.flags = MF_STRICT;
	rc = mf_ctype_parse(p, n, &o, &st, NULL);
	CHECK((rc == MF_OK) == (mf_ctype_defects(ct) == 0));
	mf_ctype_free(st);
	mf_ctype_free(ct);
	free(p);
	return 0;
}
