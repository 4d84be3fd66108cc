/* SPDX-License-Identifier: MIT */
/*
 * fuzz_addr.c - address lists and addr-specs on arbitrary input. The first
 * byte picks strict mode, the address cap and formatting flags. Checks:
 * the documented storage bound (n + 1 items, 4 n + 1 scratch bytes) is
 * never exceeded; items lie in the input with well-nested groups; the
 * object API gives the same items; strict mode fails only where lenient
 * mode saw a defect; format -> parse gives the same items back, and the
 * formatted text is stable (format(parse(format(x))) == format(x)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailfmt.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
eq(mf_str a, mf_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Names written as encoded words have their white space runs collapsed. */
static int
encoded(mf_str n, unsigned flags)
{
	size_t i;

	for (i = 0; i < n.len; i++) {
		unsigned char c = (unsigned char)n.ptr[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !(flags & MF_UTF8_OUT)))
			return 1;
		if (c == '=' && i + 1 < n.len && n.ptr[i + 1] == '?')
			return 1;
	}
	return 0;
}

static int
ws_eq(mf_str a, mf_str b)
{
	size_t i = 0, k = 0;

	for (;;) {
		int wa = i < a.len && (a.ptr[i] == ' ' || a.ptr[i] == '\t');
		int wb = k < b.len && (b.ptr[k] == ' ' || b.ptr[k] == '\t');

		if (wa != wb)
			return 0;
		if (wa) {
			while (i < a.len && (a.ptr[i] == ' ' || a.ptr[i] == '\t'))
				i++;
			while (k < b.len && (b.ptr[k] == ' ' || b.ptr[k] == '\t'))
				k++;
			continue;
		}
		if (i == a.len || k == b.len)
			return i == a.len && k == b.len;
		if (a.ptr[i++] != b.ptr[k++])
			return 0;
	}
}

static int
same(const mf_addr *a, size_t na, const mf_addr *b, size_t nb, int fmt,
     unsigned flags)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++) {
		if (!eq(a[i].name, b[i].name) &&
		    !(fmt && encoded(a[i].name, flags) &&
		      ws_eq(a[i].name, b[i].name)))
			return 0;
		if (a[i].kind != b[i].kind ||
		    !eq(a[i].local, b[i].local) ||
		    !eq(a[i].domain, b[i].domain) || !eq(a[i].route, b[i].route))
			return 0;
	}
	return 1;
}

static void
check_items(const char *p, size_t n, const mf_addr *v, size_t cnt)
{
	size_t i;
	int group = 0;

	for (i = 0; i < cnt; i++) {
		CHECK(v[i].raw.ptr >= p && v[i].raw.ptr + v[i].raw.len <= p + n);
		CHECK(v[i].offset == (size_t)(v[i].raw.ptr - p));
		if (v[i].kind == MF_ADDR_GROUP) {
			CHECK(!group);
			group = 1;
		} else if (v[i].kind == MF_ADDR_GROUP_END) {
			CHECK(group);
			group = 0;
		} else {
			CHECK(v[i].kind == MF_ADDR_MAILBOX);
		}
	}
	CHECK(!group);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n, cnt, used, cnt2, used2, i;
	mf_addr *v, *v2;
	char *sc, *sc2;
	uint64_t defects = 0;
	mf_opts o;
	mf_addrs *l;
	mf_buf *b, *b2;
	unsigned fflags;
	int rc;

	if (size < 1)
		return 0;
	n = size - 1;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.limits.max_addrs = 1 + (data[0] >> 5);
	fflags = ((data[0] & 2) ? MF_UTF8_OUT : 0) |
		 ((data[0] & 4) ? MF_LF : 0);
	v = malloc((n + 1) * sizeof(mf_addr));
	v2 = malloc((2 * n + 64) * sizeof(mf_addr));
	sc = malloc(4 * n + 1);
	sc2 = malloc(8 * n + 256);
	b = mf_buf_new(NULL);
	b2 = mf_buf_new(NULL);
	CHECK(v && v2 && sc && sc2 && b && b2);

	cnt = n + 1;
	used = 4 * n + 1;
	rc = mf_addr_parse(p, n, &o, v, &cnt, sc, &used, &defects, NULL);
	CHECK(rc == MF_OK);
	CHECK(cnt <= n + 1 && used <= 4 * n + 1);
	check_items(p, n, v, cnt);

	/* The object API agrees. */
	CHECK(mf_addrs_parse(p, n, &o, &l, NULL) == MF_OK);
	CHECK(mf_addrs_count(l) == cnt);
	CHECK(same(v, cnt, mf_addrs_at(l, 0), cnt, 0, 0) || cnt == 0);
	CHECK(mf_addrs_defects(l) == defects);
	mf_addrs_free(l);

	/* Strict: an error exactly when there was a defect. */
	o.flags = MF_STRICT;
	cnt2 = n + 1;
	used2 = 4 * n + 1;
	rc = mf_addr_parse(p, n, &o, v2, &cnt2, sc2, &used2, NULL, NULL);
	CHECK((rc == MF_OK) == (defects == 0));
	CHECK(rc == MF_OK || rc == MF_E_DEFECT || rc == MF_E_LIMIT);
	o.flags = 0;

	/* Round trip (a local part with CR, LF or NUL cannot be written; 7-bit
	 * output refuses a non-ASCII addr-spec). */
	rc = mf_addr_format(b, v, cnt, fflags, 4, (data[0] & 8) ? 0 : 40);
	CHECK(rc == MF_OK || rc == MF_E_INVAL ||
	      (rc == MF_E_UTF8_OUT && !(fflags & MF_UTF8_OUT)));
	if (rc != MF_OK)
		CHECK(mf_buf_len(b) == 0);
	if (rc == MF_OK) {
		/* The documented bound, for the formatted length m. */
		size_t m = mf_buf_len(b);
		mf_addr *v3 = malloc((m + 1) * sizeof(mf_addr));
		char *sc3 = malloc(4 * m + 1);

		CHECK(v3 != NULL && sc3 != NULL);
		cnt2 = m + 1;
		used2 = 4 * m + 1;
		o.limits.max_addrs = 100000000;
		o.limits.max_encoded_words = 100000000;
		rc = mf_addr_parse(mf_buf_data(b), m, &o, v3, &cnt2, sc3, &used2,
				   NULL, NULL);
		CHECK(rc == MF_OK);
		CHECK(same(v, cnt, v3, cnt2, 1, fflags));
		CHECK(mf_addr_format(b2, v3, cnt2, fflags, 4,
				     (data[0] & 8) ? 0 : 40) == MF_OK);
		free(v3);
		free(sc3);
		CHECK(mf_buf_len(b) == mf_buf_len(b2) &&
		      memcmp(mf_buf_data(b), mf_buf_data(b2), mf_buf_len(b)) == 0);
	}

	/* Bare addr-spec: never crashes, offsets inside the input. */
	for (i = 0; i < 2; i++) {
		mf_addr a;
		mf_error e;

		o.flags = i ? MF_STRICT : 0;
		used2 = 4 * n + 1;
		rc = mf_addr_spec_parse(p, n, &o, &a, sc2, &used2, &e);
		CHECK(rc == MF_OK || rc == MF_E_SYNTAX || rc == MF_E_DEFECT);
		if (rc < 0)
			CHECK(e.offset <= n);
		else
			CHECK(used2 <= 4 * n + 1);
	}
	mf_buf_free(b);
	mf_buf_free(b2);
	free(v);
	free(v2);
	free(sc);
	free(sc2);
	return 0;
}
