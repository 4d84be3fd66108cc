/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mime.c - the one-shot MIME parser on arbitrary input. Byte 0
 * picks MF_STRICT, MF_MBOX and small limits (depth, parts, field length,
 * fields, header bytes). Checks: the writer gives the input back byte
 * for byte (whatever the limits); every part's offsets are ordered and
 * inside its parent's; the walk visits mf_msg_part_count parts; the
 * accessors read every part; the push parser with MF_DECODE returns the
 * same status; with MF_MBOX each message parsed alone is the same; the
 * mbox iterator covers the input and unescapes it;
 * with MF_MBOX_CLEN the tree still writes the input back and has the
 * iterator's messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime.h"


static int
count_event(void *ctx, const mf_event *ev)
{
	size_t *k = ctx;

	CHECK(ev->part != NULL);
	if (ev->type == MF_EV_HEADERS_END) {
		mf_str t = mf_part_type(ev->part);

		CHECK(t.len > 0);
		(void)mf_part_filename(ev->part);
		(void)mf_part_charset(ev->part);
	}
	if (ev->type == MF_EV_PART_BEGIN)
		(*k)++;
	return 0;
}

/*
 * An offset of the message alone, a, is the offset w of the message in
 * the mbox, but at the message's end: alone it keeps the line end that
 * the next From_ line's separator took.
 */
static int
same_off(uint64_t w, uint64_t a, uint64_t end)
{
	return a == w || (w == end && a > w && a <= w + 2);
}

/* The parts of root and of root2 (parsed from offset s) agree. */
static void
same_parts(const mf_part *root, const mf_part *root2, uint64_t s)
{
	const mf_part *q = NULL, *q2 = NULL;
	uint64_t end, x;

	mf_part_offsets(root, &x, &x, &end);
	for (;;) {
		uint64_t h, b, e, h2, b2, e2;

		q = mf_part_next(root, q);
		q2 = mf_part_next(root2, q2);
		CHECK((q == NULL) == (q2 == NULL));
		if (q == NULL)
			return;
		mf_part_offsets(q, &h, &b, &e);
		mf_part_offsets(q2, &h2, &b2, &e2);
		CHECK(mf_part_kind(q) == mf_part_kind(q2));
		CHECK(same_off(h, h2 + s, end) && same_off(b, b2 + s, end) &&
		      same_off(e, e2 + s, end));
		CHECK(mf_str_eq(mf_part_type(q), mf_part_type(q2)));
	}
}

/*
 * Where message root starts in p: its From_ line, else (the first
 * message, before any From_ line) at 0, where a byte order mark it skips
 * may be.
 */
static uint64_t
msg_start(const mf_part *root, const char *p, size_t n)
{
	mf_str line;

	if (mf_part_mbox_from(root, &line) == 1 && line.ptr >= p &&
	    line.ptr <= p + n)
		return (uint64_t)(line.ptr - p);
	return 0;
}

/* Each message of an mbox parse, parsed alone, is the same. */
static void
check_alone(const char *p, size_t n, const mf_opts *o0)
{
	mf_opts o = *o0;
	mf_msg *m = NULL, *m2;
	size_t r;

	o.flags &= ~(MF_DECODE | MF_STRICT);
	CHECK(mf_msg_parse(p, n, &o, &m, NULL) == MF_OK);
	for (r = 0; r < mf_msg_count(m); r++) {
		uint64_t s = msg_start(mf_msg_at(m, r), p, n), e = n;

		if (r + 1 < mf_msg_count(m))
			e = msg_start(mf_msg_at(m, r + 1), p, n);
		CHECK(mf_msg_parse(p + s, (size_t)(e - s), &o, &m2, NULL) ==
		      MF_OK);
		CHECK(mf_msg_count(m2) == 1);
		same_parts(mf_msg_at(m, r), mf_msg_at(m2, 0), s);
		mf_msg_free(m2);
	}
	mf_msg_free(m);
}

static void
check_part(const mf_part *p, size_t n)
{
	uint64_t h, b, e;
	size_t i;

	mf_part_offsets(p, &h, &b, &e);
	CHECK(h <= b && b <= e && e <= n);
	if (mf_part_parent(p) != NULL) {
		uint64_t ph, pb, pe;

		mf_part_offsets(mf_part_parent(p), &ph, &pb, &pe);
		CHECK(pb <= h && e <= pe);
		CHECK(mf_part_depth(p) == mf_part_depth(mf_part_parent(p)) + 1);
	}
	CHECK(mf_part_type(p).len > 0 && mf_part_subtype(p).len > 0);
	for (i = 0; i < mf_part_param_count(p); i++)
		CHECK(mf_part_param_at(p, i)->name.len > 0);
	for (i = 0; i < mf_part_field_count(p); i++)
		CHECK(mf_part_field(p, i)->offset + mf_part_field(p, i)->raw_len
		      <= n);
	if (mf_part_kind(p) == MF_PART_LEAF)
		CHECK(mf_part_body(p).len == (size_t)(e - b));
	if (mf_part_kind(p) == MF_PART_MULTIPART)
		CHECK(mf_part_boundary(p).ptr != NULL);
	(void)mf_part_disposition(p);
	(void)mf_part_filename(p);
	(void)mf_part_charset(p);
	(void)mf_part_header(p, "content-type", 12, NULL);
}

/* The writer gives the input back byte for byte. */
static void
check_write(const mf_msg *m, const char *p, size_t n)
{
	mf_buf *b = mf_buf_new(NULL);

	CHECK(b != NULL);
	CHECK(mf_msg_write(m, 0, b) == MF_OK);
	CHECK(mf_buf_len(b) == n);
	CHECK(n == 0 || memcmp(mf_buf_data(b), p, n) == 0);
	mf_buf_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	size_t n, r, parts = 0, events = 0, pos = 0;
	mf_opts o;
	mf_msg *m = NULL;
	mf_buf *b;
	mf_parser *ps;
	mf_str msg, from;
	int rc, rc2;

	if (size < 1)
		return 0;
	p = (const char *)data + 1;
	n = size - 1;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.flags |= MF_STRICT;
	if (data[0] & 2)
		o.flags |= MF_MBOX;
	if (data[0] & 4) {
		o.limits.max_depth = 1 + data[0] / 64;
		o.limits.max_parts = 2 + data[0] / 32;
	}
	if (data[0] & 8) {
		o.limits.max_field_len = 1 + data[0] / 4;
		o.limits.max_headers = 1 + data[0] / 32;
	}
	if (data[0] & 16)
		o.limits.max_header_bytes = 1 + data[0] / 2;

	rc = mf_msg_parse(p, n, &o, &m, NULL);
	CHECK(rc == MF_OK || rc == MF_E_DEFECT || rc == MF_E_LIMIT);
	CHECK(rc == MF_OK || (o.flags & MF_STRICT));
	if (rc == MF_OK) {
		check_write(m, p, n);
		for (r = 0; r < mf_msg_count(m); r++) {
			const mf_part *q = NULL, *root = mf_msg_at(m, r);

			CHECK(mf_part_depth(root) == 0);
			while ((q = mf_part_next(root, q)) != NULL) {
				check_part(q, n);
				parts++;
			}
		}
		CHECK(parts == mf_msg_part_count(m));
		CHECK(mf_msg_count(m) > 0 || (o.flags & MF_MBOX));
	}
	mf_msg_free(m);

	/* The push parser, decoding, fed in two pieces. */
	o.flags |= MF_DECODE;
	ps = mf_parser_new(&o, count_event, &events);
	CHECK(ps != NULL);
	rc2 = mf_parser_feed(ps, p, n / 2);
	if (rc2 == MF_OK)
		rc2 = mf_parser_feed(ps, p + n / 2, n - n / 2);
	if (rc2 == MF_OK)
		rc2 = mf_parser_finish(ps);
	/* Strict decoding may also fail on the codecs' defects. */
	CHECK(rc2 == rc || (rc == MF_OK && rc2 == MF_E_DEFECT &&
			    (o.flags & MF_STRICT)));
	if (rc2 == MF_OK)
		CHECK(events == parts);
	mf_parser_free(ps);

	/*
	 * mbox: each message of the tree, parsed alone (from its first byte
	 * to the next message's), has the same parts at the same offsets:
	 * nothing of one message leaks into the next (what stat -j relies
	 * on).
	 */
	if ((o.flags & MF_MBOX) && !(data[0] & (4 | 8 | 16)))
		check_alone(p, n, &o);

	/* mbox: the messages and separators cover the input. */
	b = mf_buf_new(NULL);
	CHECK(b != NULL);
	while (mf_mbox_next(p, n, &pos, data[0] & 32 ? MF_MBOX_CLEN : 0, &msg,
			    &from, NULL) == 1) {
		CHECK(msg.ptr >= p && msg.ptr + msg.len <= p + n);
		CHECK(from.len == 0 || memcmp(from.ptr, "From ", 5) == 0);
		CHECK(mf_mbox_unescape(b, msg.ptr, msg.len,
				       data[0] & 64 ? MF_MBOX_RD : 0) == MF_OK);
		CHECK(mf_buf_len(b) <= msg.len);
		mf_buf_clear(b);
	}
	CHECK(pos == n);
	mf_buf_free(b);

	/*
	 * MF_MBOX_CLEN in the engine: the input back byte for byte, and
	 * (with the default limits, which the iterator's header reading
	 * has) as many messages as the iterator finds with the flag.
	 */
	if ((o.flags & MF_MBOX) && (data[0] & 32)) {
		size_t k = 0;

		o.flags = (o.flags & ~MF_DECODE) | MF_MBOX_CLEN;
		rc = mf_msg_parse(p, n, &o, &m, NULL);
		CHECK(rc == MF_OK || (o.flags & MF_STRICT));
		if (rc == MF_OK) {
			check_write(m, p, n);
			pos = 0;
			while (mf_mbox_next(p, n, &pos, MF_MBOX_CLEN, &msg,
					    &from, NULL) == 1)
				k++;
			if (!(data[0] & (4 | 8 | 16)))
				CHECK(k == mf_msg_count(m));
		}
		mf_msg_free(m);
	}
	return 0;
}
