/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rfc2231.c - RFC 2231 values on arbitrary input. The first byte
 * picks: bit 0 strict, bit 1 MF_RFC2231_CONT, bits 2-3 the charset to
 * encode in, bits 4-7 (with the second byte) the width and start column.
 * The input is decoded as one value and, split at ";" into sections with
 * the section numbers and flags taken from its bytes, joined; both give
 * valid UTF-8. Then it is encoded as a parameter, the output is parsed
 * back section by section and joined: the value must come back (invalid
 * UTF-8 and NUL as U+FFFD), with every line within the width unless it
 * holds a single section.
 */
#include "fcodec.h"

#include "charset.h"
#include "rfc2231.h"


#define MAXSEG 8192 /* more than a fuzz input can make */

/* Parses "n[*K][*]=value" items separated by ";" + fold from e[0..len). */
static size_t
parse_back(const char *e, size_t len, struct mf__r2231_seg *segs)
{
	size_t i = 0, ns = 0;

	while (i < len && ns < MAXSEG) {
		size_t eq, base, v;
		uint32_t sec;
		unsigned fl;

		while (i < len && (e[i] == ';' || e[i] == ' ' || e[i] == '\r' ||
				   e[i] == '\n'))
			i++;
		if (i == len)
			break;
		eq = i;
		while (eq < len && e[eq] != '=')
			eq++;
		CHECK(eq < len);
		CHECK(mf__rfc2231_name(e + i, eq - i, &base, &sec, &fl));
		v = eq + 1;
		if (v < len && e[v] == '"') {
			size_t k = v + 1;
			while (k < len && e[k] != '"')
				k += e[k] == '\\' ? 2 : 1;
			CHECK(k < len);
			i = k + 1;
		} else {
			i = v;
			while (i < len && e[i] != ';')
				i++;
		}
		segs[ns].val = e + v;
		segs[ns].len = i - v;
		segs[ns].off = v;
		segs[ns].section = sec;
		segs[ns].flags = fl;
		ns++;
	}
	return ns;
}

/* Whether line p[0..n) holds one section: no ";" outside quotes but a
 * final one (before its line end). */
static int
one_section(const char *p, size_t n)
{
	size_t k;
	int q = 0;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ';'))
		n--;
	for (k = 0; k < n; k++) {
		if (q && p[k] == '\\')
			k++;
		else if (p[k] == '"')
			q = !q;
		else if (!q && p[k] == ';')
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const css[4] = {NULL, "iso-8859-1", "koi8-r",
					   "utf-16"};
	static struct mf__r2231_seg segs[MAXSEG];
	const char *p = (const char *)data + 2;
	size_t n, ns = 0, k, start, width, col, line;
	unsigned flags = 0;
	uint64_t def = 0;
	mf_opts o;
	mf_error e;
	mf_buf *b, *d;
	int rc;

	if (size < 2)
		return 0;
	n = size - 2;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.flags = MF_STRICT;
	if (data[0] & 2)
		flags = MF_RFC2231_CONT;
	b = mf_buf_new(NULL);
	d = mf_buf_new(NULL);
	CHECK(b != NULL && d != NULL);
	rc = mf_rfc2231_decode(b, p, n, flags, &o, NULL, NULL, &def, &e);
	CHECK(rc == MF_OK || ((o.flags & MF_STRICT) && rc == MF_E_DEFECT &&
			      e.offset <= n && mf_buf_len(b) == 0));
	CHECK(mf__utf8_valid(mf_buf_data(b), mf_buf_len(b)));

	/* Sections split at ';'; each byte after it picks the number. */
	for (k = 0, start = 0; k <= n && ns < MAXSEG; k++) {
		if (k < n && p[k] != ';')
			continue;
		segs[ns].val = p + start;
		segs[ns].len = k - start;
		segs[ns].off = start;
		segs[ns].section = k + 1 < n ? (unsigned char)p[k + 1] % 8 : 0;
		segs[ns].flags = k + 1 < n ? (unsigned char)p[k + 1] & 3 : 0;
		ns++;
		start = k + 1;
	}
	mf_buf_clear(b);
	rc = mf__rfc2231_join(b, segs, ns, MF__R2231_EW, &o, NULL, NULL, &def,
			      &e);
	CHECK(rc == MF_OK || ((o.flags & MF_STRICT) && rc == MF_E_DEFECT &&
			      mf_buf_len(b) == 0));
	CHECK(mf__utf8_valid(mf_buf_data(b), mf_buf_len(b)));

	/* Encode, parse back, join. */
	width = (data[0] >> 4) == 0 ? 0 : 20 + (size_t)(data[0] >> 4) * 5;
	col = data[1] % 60;
	mf_buf_clear(b);
	CHECK(mf_rfc2231_encode(b, "name", 4, p, n, css[(data[0] >> 2) & 3], 0,
				col, width) == MF_OK);
	/* A line over the width holds one section (no ";" inside). */
	line = col;
	start = 0;
	for (k = 0; k <= mf_buf_len(b); k++) {
		char c = k < mf_buf_len(b) ? mf_buf_data(b)[k] : '\n';

		CHECK((unsigned char)c < 0x80);
		if (c == '\r')
			continue;
		if (c == '\n') {
			if (width != 0 && line > width)
				CHECK(one_section(mf_buf_data(b) + start,
						  k - start));
			line = 0;
			start = k + 1;
			continue;
		}
		line++;
	}
	ns = parse_back(mf_buf_data(b), mf_buf_len(b), segs);
	CHECK(ns > 0 && ns < MAXSEG);
	memset(&o, 0, sizeof(o));
	o.limits.max_params = SIZE_MAX;
	def = 0;
	CHECK(mf__rfc2231_join(d, segs, ns, 0, &o, NULL, NULL, &def, NULL) ==
	      MF_OK);
	mf_buf_clear(b);
	fz_check_text(d, b, p, n, def);
	mf_buf_free(b);
	mf_buf_free(d);
	return 0;
}
