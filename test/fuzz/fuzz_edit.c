/* SPDX-License-Identifier: MIT */
/*
 * fuzz_edit.c - parse, edit, write, parse again. Byte 0 gives the number
 * of edits (low 3 bits) and the message's output flags; the next 3 bytes
 * per edit choose it (header fields set, added and removed on any part,
 * new leaves inserted, parts detached, moved and replaced, the root
 * wrapped in multipart/mixed, a forced transfer encoding, streamed
 * leaves, message/rfc822 parts holding a part); the rest is the
 * message. Checks: no crash; an edit that fails leaves the output as
 * it was; the result writes (CRLF, LF, dot-stuffed; a streamed body
 * its forced encoding forbids fails all three with MF_E_SYNTAX and
 * nothing else is checked) and parses again;
 * every parsed body left in the tree is in the output byte for byte;
 * when the input had no defects the new parse has the edited tree's
 * parts, kinds and subtypes in order, and the new leaves' contents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mime.h"

#define MAXP 64

/* A streamed body: read from the start at every write. */
struct src {
	const char *p;
	size_t n, pos;
};

static struct src srcs[4];
static size_t nsrcs;

static int
rd(void *ctx, void *buf, size_t cap, size_t *got)
{
	struct src *s = ctx;
	size_t k = s->n - s->pos;

	if (k > cap)
		k = cap;
	if (k > 0)
		memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	*got = k;
	if (k == 0)
		s->pos = 0; /* read again by a copy (mf_part_new_message) */
	return 0;
}

/* Writes m: every source read from its start. */
static int
write_all(const mf_msg *m, unsigned flags, mf_buf *b)
{
	size_t i;

	for (i = 0; i < nsrcs; i++)
		srcs[i].pos = 0;
	return mf_msg_write(m, flags, b);
}

/* The parts of the tree in order (at most MAXP), detached ones after. */
static size_t
parts(const mf_msg *m, const mf_part **v, const mf_part **extra, size_t nextra)
{
	const mf_part *q = NULL;
	size_t k = 0, i;

	while ((q = mf_part_next(mf_msg_root(m), q)) != NULL && k < MAXP)
		v[k++] = q;
	for (i = 0; i < nextra && k < MAXP; i++) {
		if (extra[i] != NULL && mf_part_parent(extra[i]) == NULL &&
		    extra[i] != mf_msg_root(m))
			v[k++] = extra[i];
	}
	return k;
}

static const void *
find(const char *h, size_t hn, const char *n, size_t nn)
{
	size_t i;

	if (nn == 0)
		return h;
	for (i = 0; i + nn <= hn; i++) {
		if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = {
	    "Subject",      "X-F",
	    "Content-Type", "Content-Disposition",
	    "To",           "Content-Transfer-Encoding",
	    "From",         "Message-ID"};
	static const char *values[] = {"hi",
	                               "caf\xc3\xa9 =?utf-8?q?x?=",
	                               "text/html; charset=utf-8",
	                               "attachment; filename=\"a b.txt\"",
	                               "A <a@b.c>, d@e.f",
	                               "base64",
	                               "multipart/mixed; boundary=\"b\"",
	                               "<x@y>",
	                               "a\r\nb",
	                               "image/png; name=x.png"};
	static const char *bodies[] = {"",
	                               "one\n",
	                               "--b\r\n--b--\r\n",
	                               "caf\xc3\xa9\n",
	                               "\x00\x01\xff",
	                               "--=_\n.\nFrom x\n"};
	static const size_t blen[] = {0, 4, 12, 6, 3, 15};
	const mf_part *added[16];
	size_t nadded = 0;
	const char *p;
	size_t n, nops, i;
	mf_opts o;
	mf_msg *m = NULL, *q = NULL;
	mf_buf *b, *b2;
	uint64_t defects;

	if (size < 1 || size > 65536)
		return 0;
	nops = data[0] & 7;
	if (size < 1 + 3 * nops)
		return 0;
	p = (const char *)data + 1 + 3 * nops;
	n = size - 1 - 3 * nops;
	memset(&o, 0, sizeof(o));
	o.flags = (data[0] & 8 ? MF_UTF8_OUT : 0) |
	          (data[0] & 16 ? MF_8BITMIME : 0) |
	          (data[0] & 32 ? MF_BINARYMIME : 0);
	if (mf_msg_parse(p, n, &o, &m, NULL) < 0)
		return 0;
	if (mf_msg_root(m) == NULL) {
		mf_msg_free(m);
		return 0;
	}
	mf_msg_seed(m, 1);
	nsrcs = 0;
	defects = mf_msg_defects(m);
	b = mf_buf_new(NULL);
	b2 = mf_buf_new(NULL);
	CHECK(b != NULL && b2 != NULL);
	for (i = 0; i < nops; i++) {
		const uint8_t *op = data + 1 + 3 * i;
		const mf_part *v[MAXP], *np = NULL, *mix;
		size_t k = parts(m, v, added, nadded);
		const mf_part *t = v[op[1] % k];
		const char *nm = names[op[2] % 8];
		const char *val = values[(op[2] >> 3) % 10];
		size_t bi = (op[1] >> 4) % 6;
		int rc = MF_OK;

		rc = write_all(m, 0, b);
		CHECK(rc == MF_OK || rc == MF_E_SYNTAX);
		rc = MF_OK;
		switch (op[0] % 11) {
		case 0:
			rc = mf_part_header_set(m, t, nm, strlen(nm), val,
			                        strlen(val), 0, NULL);
			break;
		case 1:
			rc = mf_part_header_add(m, t, nm, strlen(nm), val,
			                        strlen(val),
			                        op[2] & 128 ? MF_RAW : 0, NULL);
			break;
		case 2:
			rc = mf_part_header_remove(m, t, nm, strlen(nm));
			break;
		case 3:
			rc = mf_part_new(m, op[2] & 1 ? NULL : "application/x",
			                 bodies[bi], blen[bi], 0, &np);
			if (rc == MF_OK && mf_part_kind(t) == MF_PART_MULTIPART)
				rc = mf_part_insert(m, t, op[2] >> 1, np);
			break;
		case 4:
			rc = mf_part_detach(m, t);
			break;
		case 5:
			rc = mf_part_new_multipart(m, "mixed", &mix);
			if (rc == MF_OK)
				rc = mf_part_replace(m, mf_msg_root(m), mix);
			if (rc == MF_OK) {
				CHECK(mf_part_insert(m, mix, 0, v[0]) == MF_OK);
				np = mix;
			}
			break;
		case 6:
			rc = mf_part_new(m, "text/plain", bodies[bi], blen[bi],
			                 0, &np);
			if (rc == MF_OK)
				rc = mf_part_replace(m, t, np);
			break;
		case 7:
			if (mf_part_kind(t) == MF_PART_MULTIPART &&
			    mf_part_parent(t) == NULL && t != mf_msg_root(m))
				rc = MF_E_INVAL;
			else if (mf_part_kind(t) == MF_PART_MULTIPART)
				rc = mf_part_insert(m, t, SIZE_MAX,
				                    v[op[2] % k]);
			break;
		case 8:
			rc = mf_part_set_cte(m, t, 1 + op[2] % 6);
			break;
		case 9:
			if (nsrcs == 4)
				break;
			srcs[nsrcs].p = bodies[bi];
			srcs[nsrcs].n = blen[bi];
			rc = mf_part_new_fn(m, op[2] & 1 ? "text/plain" : NULL,
			                    rd, &srcs[nsrcs], &np);
			if (rc == MF_OK)
				nsrcs++;
			if (rc == MF_OK && (op[2] & 2))
				rc = mf_part_set_cte(m, np,
				                     1 + (op[2] >> 2) % 5);
			if (rc == MF_OK && mf_part_kind(t) == MF_PART_MULTIPART)
				rc = mf_part_insert(m, t, SIZE_MAX, np);
			break;
		default:
			rc = mf_part_new_message(m, t, &np);
			if (rc == MF_OK &&
			    mf_part_kind(v[op[2] % k]) == MF_PART_MULTIPART)
				rc = mf_part_insert(m, v[op[2] % k], 0, np);
			break;
		}
		if (np != NULL && nadded < 16)
			added[nadded++] = np;
		if (rc < 0) {
			/* A refused edit changes nothing. */
			CHECK(write_all(m, 0, b2) == MF_OK ||
			      mf_buf_len(b) == 0);
			CHECK(mf_buf_len(b2) == mf_buf_len(b) &&
			      memcmp(mf_buf_data(b), mf_buf_data(b2),
			             mf_buf_len(b)) == 0);
		}
		mf_buf_clear(b);
		mf_buf_clear(b2);
	}
	/* Written three ways, parsed again. */
	{
		int r1 = write_all(m, MF_LF, b2), r2, r3;

		mf_buf_clear(b2);
		r2 = write_all(m, MF_DOT_STUFF, b2);
		r3 = write_all(m, 0, b);
		CHECK(r1 == r2 && r2 == r3);
		CHECK(r1 == MF_OK || r1 == MF_E_SYNTAX);
		if (r1 == MF_E_SYNTAX) {
			CHECK(mf_buf_len(b) == 0 && mf_buf_len(b2) == 0);
			goto out;
		}
	}
	CHECK(mf_buf_len(b2) >= 3 &&
	      memcmp(mf_buf_data(b2) + mf_buf_len(b2) - 3, ".\r\n", 3) == 0);
	CHECK(mf_msg_parse(mf_buf_data(b), mf_buf_len(b), NULL, &q, NULL) ==
	      MF_OK);
	{
		const mf_part *t = NULL, *t2 = NULL;

		while ((t = mf_part_next(mf_msg_root(m), t)) != NULL) {
			mf_str body = mf_part_body(t);

			/* Parsed bodies: byte for byte. */
			if (t->gen == 0 && t->kind == MF_PART_LEAF)
				CHECK(find(mf_buf_data(b), mf_buf_len(b),
				           body.ptr, body.len) != NULL);
			if (defects != 0)
				continue;
			t2 = mf_part_next(mf_msg_root(q), t2);
			CHECK(t2 != NULL);
			CHECK(mf_part_kind(t2) == mf_part_kind(t));
			CHECK(mf_str_eq(mf_part_type(t2), mf_part_type(t)));
			CHECK(
			    mf_str_eq(mf_part_subtype(t2), mf_part_subtype(t)));
			if ((t->gen & MF__GEN_STREAM) &&
			    t->kind == MF_PART_LEAF) {
				const struct src *sr = t->rfn->ctx;
				mf_buf *d2 = mf_buf_new(NULL);

				/* Read back as it was given (text line ends
				 * aside). */
				CHECK(d2 != NULL);
				CHECK(mf_part_decode(t2, d2, 0, NULL, NULL,
				                     NULL) == MF_OK);
				if (t->cte == MF_CTE_BASE64 ||
				    t->cte == MF_CTE_BINARY)
					CHECK(mf_buf_len(d2) == sr->n &&
					      memcmp(mf_buf_data(d2), sr->p,
					             sr->n) == 0);
				mf_buf_free(d2);
			}
			if ((t->gen & MF__GEN_BODY) &&
			    t->kind == MF_PART_LEAF) {
				mf_buf *d1 = mf_buf_new(NULL),
				       *d2 = mf_buf_new(NULL);

				CHECK(d1 != NULL && d2 != NULL);
				CHECK(mf_part_decode(t, d1, MF_LF, NULL, NULL,
				                     NULL) == MF_OK);
				CHECK(mf_part_decode(t2, d2, MF_LF, NULL, NULL,
				                     NULL) == MF_OK);
				CHECK(mf_buf_len(d1) == mf_buf_len(d2) &&
				      memcmp(mf_buf_data(d1), mf_buf_data(d2),
				             mf_buf_len(d1)) == 0);
				mf_buf_free(d1);
				mf_buf_free(d2);
			}
		}
		if (defects == 0)
			CHECK(mf_part_next(mf_msg_root(q), t2) == NULL);
	}
out:
	mf_msg_free(q);
	mf_buf_free(b);
	mf_buf_free(b2);
	mf_msg_free(m);
	return 0;
}
