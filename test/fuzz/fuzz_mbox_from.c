/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mbox_from.c - mf_mbox_from_parse on arbitrary lines. Checks: on
 * success the sender is a non-empty view inside the line with no blank
 * outside quotes, and the date is in range and formats; on failure the
 * code is MF_E_SYNTAX with an offset inside the line, and a line the
 * function reads gives the same sender and date as "From " + sender +
 * " " + its formatted date.
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
	const char *p = (const char *)data;
	mf_str s;
	mf_date d, d2;
	mf_error e;
	char date[64], line[600];
	size_t dl;
	int rc;

	rc = mf_mbox_from_parse(p, size, &s, &d, &e);
	if (rc != MF_OK) {
		CHECK(rc == MF_E_SYNTAX && e.code == rc && e.offset <= size);
		CHECK(s.len == 0 || (s.ptr >= p && s.ptr + s.len <= p + size));
		return 0;
	}
	CHECK(s.len > 0 && s.ptr >= p + 5 && s.ptr + s.len <= p + size);
	CHECK(d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31);
	CHECK(mf_date_format(date, sizeof(date), &d, 0, &dl) == MF_OK);
	if (s.len < 500) {
		mf_str s2;
		size_t k = 0;

		memcpy(line, "From ", 5);
		k = 5;
		memcpy(line + k, s.ptr, s.len);
		k += s.len;
		line[k++] = ' ';
		memcpy(line + k, date, dl);
		k += dl;
		CHECK(mf_mbox_from_parse(line, k, &s2, &d2, NULL) == MF_OK);
		CHECK(s2.len == s.len && memcmp(s2.ptr, line + 5, s.len) == 0);
		CHECK(d2.year == d.year && d2.month == d.month &&
		      d2.day == d.day && d2.hour == d.hour && d2.min == d.min &&
		      d2.sec == d.sec);
	}
	return 0;
}
