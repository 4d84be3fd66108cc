/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mime_split.c - the differential target: the push engine fed in
 * pieces (cut at offsets taken from bytes 1-4) against the one-shot
 * parser. Byte 0 picks MF_STRICT, MF_MBOX, MF_DECODE and small limits.
 * Checks: the same status and the same event stream (data events merged,
 * their data and raw bytes equal; every other event equal: type, depth,
 * offset, names, values, part descriptions and attachment decisions,
 * defects); the tree of the split parse equals the one-shot tree
 * (structure, offsets, accessors, bodies) and, when no field was cut by
 * max_field_len, writes the input back too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime.h"


typedef struct log {
	char *p;
	size_t n, cap;
	int ptype;      /* data event being merged */
	size_t pdepth;
	uint64_t hash, rhash; /* of the data, and of the raw bytes */
	size_t plen, rlen;
	int decoded;
} log_t;

static void
put(log_t *l, const void *p, size_t n)
{
	if (l->n + n > l->cap) {
		l->cap = (l->n + n) * 2 + 64;
		l->p = realloc(l->p, l->cap);
		CHECK(l->p != NULL);
	}
	if (n)
		memcpy(l->p + l->n, p, n);
	l->n += n;
}

static void
putu(log_t *l, uint64_t v)
{
	put(l, &v, sizeof(v));
}

static void
puts_(log_t *l, mf_str s)
{
	putu(l, s.len);
	put(l, s.ptr, s.len);
}

static void
flush(log_t *l)
{
	if (l->ptype == 0)
		return;
	putu(l, (uint64_t)l->ptype);
	putu(l, l->pdepth);
	putu(l, l->plen);
	putu(l, l->hash);
	putu(l, l->rlen);
	putu(l, l->rhash);
	l->ptype = 0;
}

static void
put_part(log_t *l, const mf_part *p)
{
	uint64_t h, b, e;
	size_t i;

	mf_part_offsets(p, &h, &b, &e);
	putu(l, (uint64_t)mf_part_kind(p));
	putu(l, h);
	putu(l, b);
	putu(l, mf_part_defects(p));
	putu(l, (uint64_t)mf_part_cte(p));
	puts_(l, mf_part_type(p));
	puts_(l, mf_part_subtype(p));
	puts_(l, mf_part_charset(p));
	puts_(l, mf_part_disposition(p));
	puts_(l, mf_part_filename(p));
	puts_(l, mf_part_boundary(p));
	putu(l, (uint64_t)mf_part_is_attachment(p, MF_ATTACH_JMAP));
	putu(l, (uint64_t)mf_part_is_attachment(p, MF_ATTACH_NAMED));
	for (i = 0; i < mf_part_param_count(p); i++) {
		puts_(l, mf_part_param_at(p, i)->name);
		puts_(l, mf_part_param_at(p, i)->value);
	}
	for (i = 0; i < mf_part_field_count(p); i++) {
		puts_(l, mf_part_field(p, i)->name);
		puts_(l, mf_part_field(p, i)->value);
	}
}

static int
on_event(void *ctx, const mf_event *ev)
{
	log_t *l = ctx;

	if (ev->type == MF_EV_BODY || ev->type == MF_EV_PREAMBLE ||
	    ev->type == MF_EV_EPILOGUE) {
		size_t i;

		if (l->ptype != ev->type || l->pdepth != ev->depth) {
			flush(l);
			l->ptype = ev->type;
			l->pdepth = ev->depth;
			l->plen = 0;
			l->hash = 1469598103934665603ull;
			l->rlen = 0;
			l->rhash = 1469598103934665603ull;
		}
		for (i = 0; i < ev->data.len; i++) {
			l->hash ^= (unsigned char)ev->data.ptr[i];
			l->hash *= 1099511628211ull;
		}
		l->plen += ev->data.len;
		/* Every raw byte in one event's raw, however the input is
		 * cut (with MF_DECODE too). */
		for (i = 0; i < ev->raw.len; i++) {
			l->rhash ^= (unsigned char)ev->raw.ptr[i];
			l->rhash *= 1099511628211ull;
		}
		l->rlen += ev->raw.len;
		return 0;
	}
	flush(l);
	putu(l, (uint64_t)ev->type);
	putu(l, ev->depth);
	putu(l, ev->off);
	switch (ev->type) {
	case MF_EV_HEADER:
		puts_(l, ev->name);
		puts_(l, ev->data);
		putu(l, ev->field->raw_len);
		break;
	case MF_EV_HEADERS_END:
		puts_(l, ev->data);
		put_part(l, ev->part);
		break;
	case MF_EV_DEFECT:
		putu(l, (uint64_t)ev->defect);
		break;
	case MF_EV_DELIM:
	case MF_EV_CLOSE:
	case MF_EV_MBOX_FROM:
		puts_(l, ev->data);
		break;
	default:
		break;
	}
	return 0;
}

static int
run(const char *p, size_t n, const size_t *cuts, size_t k, const mf_opts *o,
    log_t *l)
{
	mf_parser *ps = mf_parser_new(o, on_event, l);
	int rc;

	CHECK(ps != NULL);
	rc = mf__parser_feed_split(ps, p, n, cuts, k);
	flush(l);
	putu(l, (uint64_t)(int64_t)rc);
	putu(l, mf_parser_offset(ps));
	mf_parser_free(ps);
	return rc;
}

static void
tree_log(const mf_msg *m, log_t *l, int write)
{
	size_t r;

	for (r = 0; r < mf_msg_count(m); r++) {
		const mf_part *q = NULL;

		while ((q = mf_part_next(mf_msg_at(m, r), q)) != NULL) {
			uint64_t e;

			put_part(l, q);
			mf_part_offsets(q, NULL, NULL, &e);
			putu(l, e);
			putu(l, mf_part_child_count(q));
			puts_(l, mf_part_kind(q) == MF_PART_LEAF
				     ? mf_part_body(q)
				     : mf_part_preamble(q));
			puts_(l, mf_part_epilogue(q));
		}
	}
	if (write) {
		mf_buf *b = mf_buf_new(NULL);

		CHECK(b != NULL);
		CHECK(mf_msg_write(m, 0, b) == MF_OK);
		puts_(l, (mf_str){mf_buf_data(b), mf_buf_len(b)});
		mf_buf_free(b);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	size_t n, cuts[2];
	mf_opts o;
	log_t a, b;
	mf_msg *m1 = NULL, *m2 = NULL;
	int rc1, rc2;

	if (size < 5)
		return 0;
	p = (const char *)data + 5;
	n = size - 5;
	memset(&o, 0, sizeof(o));
	if (data[0] & 1)
		o.flags |= MF_STRICT;
	if (data[0] & 2)
		o.flags |= MF_MBOX;
	if (data[0] & 4)
		o.flags |= MF_DECODE;
	if (data[0] & 8) {
		o.limits.max_depth = 1 + data[0] / 64;
		o.limits.max_parts = 2 + data[0] / 32;
	}
	if (data[0] & 16) {
		o.limits.max_field_len = 1 + data[0] / 4;
		o.limits.max_headers = 1 + data[0] / 32;
		o.limits.max_header_bytes = 1 + data[0] / 2;
	}
	cuts[0] = n ? ((size_t)data[1] << 8 | data[2]) % (n + 1) : 0;
	cuts[1] = n ? ((size_t)data[3] << 8 | data[4]) % (n + 1) : 0;
	if (cuts[1] < cuts[0]) {
		size_t t = cuts[0];

		cuts[0] = cuts[1];
		cuts[1] = t;
	}
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	/* Events: one piece (the tail held back until finish) vs three. */
	{
		size_t all = n;

		rc1 = run(p, n, &all, 1, &o, &a);
	}
	rc2 = run(p, n, cuts, 2, &o, &b);
	CHECK(rc1 == rc2);
	CHECK(a.n == b.n && memcmp(a.p, b.p, a.n) == 0);
	/* Trees. */
	a.n = b.n = 0;
	rc1 = mf_msg_parse(p, n, &o, &m1, NULL);
	rc2 = mf__msg_parse_split(p, n, cuts, 2, &o, &m2, NULL);
	CHECK(rc1 == rc2);
	if (rc1 == MF_OK) {
		int cut = (mf_msg_defects(m1) &
			   MF_DEFECT_BIT(MF_D_HEADER_LIMIT)) != 0;

		tree_log(m1, &a, !cut);
		tree_log(m2, &b, !cut);
		CHECK(a.n == b.n && memcmp(a.p, b.p, a.n) == 0);
	}
	mf_msg_free(m1);
	mf_msg_free(m2);
	free(a.p);
	free(b.p);
	return 0;
}
