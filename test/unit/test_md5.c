/* SPDX-License-Identifier: MIT */
/*
 * test_md5.c - the internal MD5 (RFC 1321): the test suite of RFC 1321
 * A.5, the APOP example of RFC 1939 7, and the incremental form equal to
 * the one-shot one for every split of a message crossing block borders.
 */
#include "tutil.h"

#include "md5.h"

static void
hex(const unsigned char d[MF__MD5_LEN], char out[2 * MF__MD5_LEN + 1])
{
	size_t i;

	for (i = 0; i < MF__MD5_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* RFC 1321 A.5 "Test suite", and RFC 1939 7's APOP string. */
static const struct {
	const char *in, *want;
} suite[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890123456789012345678901234567"
     "8901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
    {"<1896.697170952@dbc.mtview.ca.us>tanstaaf",
     "c4c9334bac560ecc979e58001b3e22fb"},
};

static void
test_suite(void **state)
{
	unsigned char d[MF__MD5_LEN];
	char h[2 * MF__MD5_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
		tu_guard g;
		const char *in = tu_guard_new(&g, suite[i].in,
					      strlen(suite[i].in));

		mf__md5(in, strlen(suite[i].in), d);
		hex(d, h);
		tu_assert_str(h, suite[i].want, suite[i].in);
		tu_guard_free(&g);
	}
}

/* Lengths around the padding borders (55, 56, 63, 64, 119, 120 bytes):
 * every split of the input into two or three updates gives the digest of
 * one update. */
static void
test_splits(void **state)
{
	unsigned char buf[200], want[MF__MD5_LEN], got[MF__MD5_LEN];
	tu_rng r;
	size_t n, a, b;

	(void)state;
	tu_rng_seed(&r, 1321);
	tu_rng_fill(&r, buf, sizeof(buf));
	for (n = 0; n <= sizeof(buf); n++) {
		mf__md5(buf, n, want);
		for (a = 0; a <= n; a++) {
			mf__md5_ctx c;

			b = a + tu_rng_below(&r, n - a + 1);
			mf__md5_init(&c);
			mf__md5_update(&c, buf, a);
			mf__md5_update(&c, buf + a, b - a);
			mf__md5_update(&c, buf + b, n - b);
			mf__md5_final(&c, got);
			if (memcmp(got, want, sizeof(want)) != 0)
				fail_msg("n=%zu split %zu %zu", n, a, b);
		}
	}
}

/* A million "a" (the classic long vector), a byte at a time and at once. */
static void
test_million(void **state)
{
	static char a[1000];
	unsigned char d[MF__MD5_LEN];
	char h[2 * MF__MD5_LEN + 1];
	mf__md5_ctx c;
	size_t i;

	(void)state;
	memset(a, 'a', sizeof(a));
	mf__md5_init(&c);
	for (i = 0; i < 1000; i++)
		mf__md5_update(&c, a, sizeof(a));
	mf__md5_final(&c, d);
	hex(d, h);
	assert_string_equal(h, "7707d6ae4e027c70eea2a935c2296f21");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_suite),
	    cmocka_unit_test(test_splits),
	    cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
