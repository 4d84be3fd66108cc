/* SPDX-License-Identifier: MIT */
/*
 * fuzz_filename.c - mf_filename_safe on arbitrary names; byte 0 picks the
 * output size (1-256). Checks: the result fits and is NUL-terminated,
 * is valid UTF-8 without C0 or C1 controls, has no path separator or
 * character Windows refuses, no dot or blank at either end, is not a
 * Windows device name; the same name with room enough is the whole
 * result, and cleaning a result again gives it back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailfmt.h"

#include "fuzz.h"

static int
device(const char *s, size_t len)
{
	static const char *const dev[] = {"con", "prn", "aux", "nul"};
	size_t b = 0, i, k;

	while (b < len && s[b] != '.')
		b++;
	while (b > 0 && s[b - 1] == ' ')
		b--;
	for (i = 0; i < 4; i++) {
		if (b != 3)
			continue;
		for (k = 0; k < 3 && (s[k] | 0x20) == dev[i][k]; k++)
			;
		if (k == 3)
			return 1;
	}
	return b == 4 && ((((s[0] | 0x20) == 'c' && (s[1] | 0x20) == 'o' &&
	                    (s[2] | 0x20) == 'm') ||
	                   ((s[0] | 0x20) == 'l' && (s[1] | 0x20) == 'p' &&
	                    (s[2] | 0x20) == 't')) &&
	                  s[3] >= '0' && s[3] <= '9');
}

static void
check(const char *s, size_t len, size_t cap)
{
	mf_buf *b = mf_buf_new(NULL);
	uint64_t d = 0;
	size_t i;

	CHECK(len < cap && s[len] == '\0');
	if (len > 0)
		CHECK(s[0] != '.' && s[0] != ' ' && s[len - 1] != '.' &&
		      s[len - 1] != ' ');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		CHECK(c >= 0x20 && c != 0x7F &&
		      strchr("<>:\"/\\|?*", c) == NULL);
		if (c == 0xC2 && i + 1 < len)
			CHECK((unsigned char)s[i + 1] >= 0xA0);
	}
	CHECK(!device(s, len));
	CHECK(b != NULL);
	CHECK(mf_charset_to_utf8(b, "utf-8", 5, s, len, NULL, &d, NULL) ==
	      MF_OK);
	CHECK(d == 0);
	mf_buf_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[257], whole[4 * 4096 + 1], again[4 * 4096 + 1];
	const char *name;
	size_t cap, n, len, wlen, alen;

	if (size < 1 || size > 4096)
		return 0;
	cap = (size_t)data[0] + 1;
	name = (const char *)data + 1;
	n = size - 1;
	CHECK(mf_filename_safe(out, cap, name, n, &len) == MF_OK);
	check(out, len, cap);
	CHECK(mf_filename_safe(whole, sizeof(whole), name, n, &wlen) == MF_OK);
	check(whole, wlen, sizeof(whole));
	if (wlen < cap)
		CHECK(len == wlen && memcmp(out, whole, len) == 0);
	/* A clean name is a fixed point. */
	CHECK(mf_filename_safe(again, sizeof(again), whole, wlen, &alen) ==
	      MF_OK);
	CHECK(alen == wlen && memcmp(again, whole, wlen) == 0);
	return 0;
}
