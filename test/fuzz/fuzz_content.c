/* SPDX-License-Identifier: MIT */
/*
 * fuzz_content.c - content decoding and body selection on arbitrary
 * input. Byte 0 picks the flags of the streaming check, byte 1 its split
 * points; the rest is parsed as a message. Checks:
 *  - every part (embedded messages included) decodes with every flag
 *    combination; text comes out as valid UTF-8 without NUL bytes;
 *  - streaming with two splits equals one-shot (output and defects);
 *  - with MF_MBOX (and MF_MBOX_RD) an unencoded body decodes to what
 *    mf_mbox_unescape gives (one unquoting rule);
 *  - strict mode fails exactly when lenient decoding records a defect,
 *    and leaves the output buffer unchanged;
 *  - the three body lists of the message and of each embedded message:
 *    the part count is room enough, no list repeats a part, every entry
 *    is a part of that message outside its embedded messages, and no
 *    multipart; mf_part_is_attachment (JMAP) marks exactly the parts of
 *    the attachments list;
 * and on the raw input: uudecode one-shot equals split streaming, strict
 * fails exactly when lenient records a defect, the output bound holds;
 * format=flowed unwrapping adds at most one byte per line.
 */
#include "fuzz.h"
#include "mime.h"

static mf_buf *
buf(void)
{
	mf_buf *b = mf_buf_new(NULL);

	CHECK(b != NULL);
	return b;
}

static int
is_text(const mf_part *p)
{
	return mf_str_eq(mf_part_type(p), MF_STR("text"));
}

static void
check_decode(const mf_part *p, unsigned sflags, size_t a, size_t b)
{
	static const unsigned fl[] = {
	    0,
	    MF_CONTENT_TEXT,
	    MF_CONTENT_FLOWED,
	    MF_LF,
	    MF_CONTENT_TEXT | MF_CONTENT_FLOWED | MF_LF,
	    MF_MBOX,
	    MF_MBOX | MF_MBOX_RD | MF_CONTENT_TEXT,
	};
	mf_str body = mf_part_body(p);
	size_t f;

	for (f = 0; f < sizeof(fl) / sizeof(fl[0]); f++) {
		mf_buf *one = buf(), *strict = buf();
		uint64_t d = 0;
		mf_opts o;
		int rc;

		rc = mf_part_decode(p, one, fl[f], NULL, &d, NULL);
		CHECK(rc == MF_OK);
		if ((fl[f] & MF_MBOX) && !(fl[f] & MF_CONTENT_TEXT) &&
		    mf_part_cte(p) != MF_CTE_BASE64 &&
		    mf_part_cte(p) != MF_CTE_QP &&
		    mf_part_cte(p) != MF_CTE_UUENCODE) {
			/* One unquoting rule with mf_mbox_unescape. */
			mf_buf *u = buf();

			CHECK(mf_mbox_unescape(u, body.ptr, body.len,
			                       fl[f] & MF_MBOX_RD) == MF_OK);
			CHECK(mf_buf_len(u) == mf_buf_len(one));
			CHECK(memcmp(mf_buf_data(u), mf_buf_data(one),
			             mf_buf_len(one)) == 0);
			mf_buf_free(u);
		}
		if ((fl[f] & (MF_CONTENT_TEXT | MF_CONTENT_FLOWED | MF_LF)) &&
		    is_text(p)) {
			CHECK(
			    mf__utf8_valid(mf_buf_data(one), mf_buf_len(one)));
			CHECK(mf_buf_len(one) == 0 ||
			      memchr(mf_buf_data(one), 0, mf_buf_len(one)) ==
			          NULL);
		}
		memset(&o, 0, sizeof(o));
		o.flags = MF_STRICT;
		CHECK(mf_buf_append(strict, "x", 1) == MF_OK);
		rc = mf_part_decode(p, strict, fl[f], &o, NULL, NULL);
		if (d == 0) {
			CHECK(rc == MF_OK);
			CHECK(mf_buf_len(strict) == mf_buf_len(one) + 1);
			CHECK(memcmp(mf_buf_data(strict) + 1, mf_buf_data(one),
			             mf_buf_len(one)) == 0);
		} else {
			CHECK(rc == MF_E_DEFECT);
			CHECK(mf_buf_len(strict) == 1);
		}
		if (fl[f] == sflags) {
			mf_content_dec *dec =
			    mf_content_dec_new(p, sflags, NULL);
			mf_buf *st = buf();
			size_t x = body.len ? a % (body.len + 1) : 0;
			size_t y = body.len ? b % (body.len + 1) : 0;

			if (x > y) {
				size_t t = x;
				x = y;
				y = t;
			}
			CHECK(dec != NULL);
			CHECK(mf_content_dec_update(dec, st, body.ptr, x) ==
			      MF_OK);
			CHECK(mf_content_dec_update(dec, st, body.ptr + x,
			                            y - x) == MF_OK);
			CHECK(mf_content_dec_update(dec, st, body.ptr + y,
			                            body.len - y) == MF_OK);
			CHECK(mf_content_dec_final(dec, st) == MF_OK);
			CHECK(mf_content_dec_defects(dec) == d);
			CHECK(mf_buf_len(st) == mf_buf_len(one));
			CHECK(memcmp(mf_buf_data(st), mf_buf_data(one),
			             mf_buf_len(one)) == 0);
			mf_content_dec_free(dec);
			mf_buf_free(st);
		}
		mf_buf_free(one);
		mf_buf_free(strict);
	}
}

/* Whether p belongs to the message of root, outside embedded messages. */
static int
in_message(const mf_part *root, const mf_part *p)
{
	const mf_part *q;

	for (q = mf_part_parent(p); p != root; p = q, q = mf_part_parent(q)) {
		if (q == NULL || mf_part_kind(q) != MF_PART_MULTIPART)
			return 0;
	}
	return 1;
}

static void
check_bodies(const mf_part *root, size_t parts)
{
	size_t cap = parts, w, i, k, natt = 0;
	const mf_part **v = malloc((cap + 1) * sizeof(*v)), *q = NULL;

	CHECK(v != NULL);
	for (w = MF_BODY_TEXT; w <= MF_BODY_ATTACHMENTS; w++) {
		size_t n = 0, n0 = 1;

		/* No room: MF_E_NOSPC or an empty list, never a count
		 * beyond the array. */
		CHECK(mf_msg_bodies(root, (int)w, NULL, 0, &n0) == MF_OK ||
		      n0 == 0);
		CHECK(n0 == 0);
		/* The part count always suffices. */
		CHECK(mf_msg_bodies(root, (int)w, v, cap, &n) == MF_OK);
		CHECK(n <= cap);
		for (i = 0; i < n; i++) {
			CHECK(!mf_str_eq(mf_part_type(v[i]), MF_STR("multipart")));
			CHECK(in_message(root, v[i]));
			for (k = 0; k < i; k++)
				CHECK(v[k] != v[i]);
			if (w == MF_BODY_ATTACHMENTS)
				CHECK(mf_part_is_attachment(
				          v[i], MF_ATTACH_JMAP) == 1);
		}
		if (w == MF_BODY_ATTACHMENTS)
			natt = n;
	}
	/* The predicate marks exactly the parts of the list. */
	while ((q = mf_part_next(root, q)) != NULL) {
		if (in_message(root, q) &&
		    mf_part_is_attachment(q, MF_ATTACH_JMAP) == 1) {
			CHECK(natt > 0);
			natt--;
		}
	}
	CHECK(natt == 0);
	free(v);
}

static void
check_uu(const char *p, size_t n, size_t a)
{
	size_t cap = mf_uu_decoded_len(n), len = 0, l1 = 0, l2 = 0, l3 = 0;
	char *out = malloc(cap), *out2 = malloc(cap);
	uint64_t d = 0;
	mf_uu_dec st;
	int rc;

	CHECK(out != NULL && out2 != NULL);
	CHECK(mf_uu_decode(out, cap, p, n, 0, &len, NULL, &d, NULL) == MF_OK);
	CHECK(len <= cap);
	rc = mf_uu_decode(out2, cap, p, n, MF_STRICT, &l1, NULL, NULL, NULL);
	CHECK((rc == MF_OK) == (d == 0));
	a = n ? a % (n + 1) : 0;
	memset(&st, 0, sizeof(st));
	CHECK(mf_uu_dec_update(&st, out2, mf_uu_decoded_len(a), p, a, &l1,
	                       NULL) == MF_OK);
	CHECK(mf_uu_dec_update(&st, out2 + l1, mf_uu_decoded_len(n - a), p + a,
	                       n - a, &l2, NULL) == MF_OK);
	CHECK(mf_uu_dec_final(&st, out2 + l1 + l2, mf_uu_decoded_len(0), &l3,
	                      NULL) == MF_OK);
	CHECK(l1 + l2 + l3 == len && st.defects == d);
	CHECK(len == 0 || memcmp(out, out2, len) == 0);
	free(out);
	free(out2);
}

static void
check_flowed(const char *p, size_t n)
{
	size_t lines = 1, i;
	unsigned f;

	for (i = 0; i < n; i++)
		lines += p[i] == '\n';
	for (f = 0; f <= MF_FLOWED_DELSP; f += MF_FLOWED_DELSP) {
		mf_buf *b = buf();

		CHECK(mf_flowed_decode(b, p, n, f) == MF_OK);
		CHECK(mf_buf_len(b) <= n + lines);
		mf_buf_free(b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned sfl[] = {
	    0,
	    MF_CONTENT_TEXT,
	    MF_CONTENT_FLOWED | MF_LF,
	    MF_CONTENT_TEXT | MF_LF,
	    MF_MBOX,
	    MF_MBOX | MF_MBOX_RD | MF_CONTENT_TEXT,
	    MF_CONTENT_TEXT,
	    0,
	};
	const char *p;
	size_t n, a, b;
	mf_msg *m = NULL;
	unsigned sflags;

	if (size < 2)
		return 0;
	sflags = sfl[data[0] & 7];
	a = (size_t)data[1] * 7919;
	b = (size_t)data[0] * 104729 + data[1];
	p = (const char *)data + 2;
	n = size - 2;
	if (mf_msg_parse(p, n, NULL, &m, NULL) == MF_OK) {
		const mf_part *root = mf_msg_root(m), *q = NULL;
		size_t parts = mf_msg_part_count(m);

		check_bodies(root, parts);
		while ((q = mf_part_next(root, q)) != NULL) {
			if (mf_part_kind(q) == MF_PART_MESSAGE &&
			    mf_part_message(q) != NULL)
				check_bodies(mf_part_message(q), parts);
			if (mf_part_kind(q) != MF_PART_MULTIPART)
				check_decode(q, sflags, a, b);
		}
		mf_msg_free(m);
	}
	check_uu(p, n, a);
	check_flowed(p, n);
	return 0;
}
