/* SPDX-License-Identifier: MIT */
/*
 * fuzz_date.c - RFC 5322 dates on arbitrary input; byte 0 picks strict
 * mode. Checks: a parsed date is in range, formats (RFC 5322 and ISO),
 * and the formatted text parses back to the same date without defects;
 * the epoch conversion round-trips.
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
	mf_opts o;
	mf_date d, d2, d3;
	mf_error e;
	uint64_t def = 0, def2 = 0;
	char out[40];
	size_t len;
	int64_t t;
	int rc;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.flags = MF_STRICT;
	rc = mf_date_parse((const char *)data + 1, size - 1, &o, &d, &def, &e);
	if (rc != MF_OK) {
		CHECK(rc == MF_E_SYNTAX || rc == MF_E_DEFECT);
		CHECK(e.offset <= size - 1);
		return 0;
	}
	if (o.flags & MF_STRICT)
		CHECK(def == 0);
	CHECK(d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31);
	CHECK(mf_date_format(out, sizeof(out), &d, 0, &len) == MF_OK);
	CHECK(mf_date_parse(out, len, NULL, &d2, &def2, NULL) == MF_OK);
	CHECK(def2 == 0);
	CHECK(memcmp(&d, &d2, sizeof(d)) == 0);
	CHECK(mf_date_format(out, sizeof(out), &d, MF_DATE_ISO, &len) == MF_OK);
	CHECK(len == 25);
	CHECK(mf_date_to_time(&d, &t) == MF_OK);
	if (d.sec < 60) {
		rc = mf_date_from_time(t, d.tz_offset, &d3);
		if (rc == MF_OK) {
			d3.tz_unknown = d.tz_unknown;
			CHECK(memcmp(&d, &d3, sizeof(d)) == 0);
		}
	}
	return 0;
}
