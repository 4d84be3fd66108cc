/* SPDX-License-Identifier: MIT */
/*
 * write.c - the writer: a tree written from its structure. For each part,
 * in order: a byte order mark skipped before it, its mbox From_ line (with
 * the line end that separated it from the message before), its fields as
 * written, the bytes up to its body
 * (the empty line), then its leaf body, or its preamble, each child after
 * its delimiter line, the close delimiter and the epilogue, or its
 * embedded message. Since the tree accounts for every input byte, an
 * unmodified tree writes its input back byte for byte (mixed line ends,
 * padding, preambles and all); the walk is iterative (no recursion).
 */
#include "mime.h"

struct out {
	mf_sink_fn *fn;
	void *ctx;
	int rc;
};

static void
put(struct out *o, mf_str s)
{
	if (o->rc < 0 || s.len == 0)
		return;
	if (o->fn(o->ctx, s.ptr, s.len) != 0)
		o->rc = MF_E_CALLBACK;
}

/* Everything of p up to its body, then the body unless it has parts. */
static void
enter(struct out *o, const mf_part *p)
{
	static const mf_str bom = {"\xef\xbb\xbf", 3};
	size_t i;

	if (p->bom)
		put(o, bom);
	put(o, p->from_line);
	for (i = 0; i < p->nfields; i++)
		put(o, p->fields[i].raw);
	put(o, p->hdr_end);
	if (p->kind == MF_PART_MULTIPART)
		put(o, p->preamble);
	else if (p->kind != MF_PART_MESSAGE)
		put(o, p->body);
}

static int
write_part(const mf_part *root, mf_sink_fn *fn, void *ctx)
{
	struct out o = {fn, ctx, MF_OK};
	const mf_part *p = root;

	for (;;) {
		enter(&o, p);
		/* Down to the first child, if any. */
		if (p->kind == MF_PART_MESSAGE && p->message != NULL) {
			p = p->message;
			continue;
		}
		if (p->kind == MF_PART_MULTIPART && p->first != NULL) {
			p = p->first;
			put(&o, p->delim);
			continue;
		}
		/* Up until a part has a next sibling. */
		for (;;) {
			const mf_part *par = p->parent;

			if (p->kind == MF_PART_MULTIPART) {
				put(&o, p->close);
				put(&o, p->epilogue);
			}
			if (p == root || par == NULL) {
				return o.rc;
			}
			if (p->next != NULL) {
				p = p->next;
				put(&o, p->delim);
				break;
			}
			p = par;
		}
		if (o.rc < 0)
			return o.rc;
	}
}

#define WRITE_FLAGS (MF_LF | MF_DOT_STUFF)

int
mf_part_write_fn(const mf_part *p, unsigned flags, mf_sink_fn *fn, void *ctx)
{
	if (p == NULL || fn == NULL || p->tree == NULL ||
	    (flags & ~WRITE_FLAGS) != 0)
		return MF_E_INVAL;
	return write_part(p, fn, ctx);
}

int
mf_msg_write_fn(const mf_msg *m, unsigned flags, mf_sink_fn *fn, void *ctx)
{
	size_t i;
	int rc;

	if (m == NULL || fn == NULL || (flags & ~WRITE_FLAGS) != 0)
		return MF_E_INVAL;
	for (i = 0; i < m->nroots; i++) {
		rc = write_part(m->roots[i], fn, ctx);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

static int
buf_sink(void *ctx, const char *p, size_t n)
{
	return mf__buf_put(ctx, p, n) < 0;
}

int
mf_msg_write(const mf_msg *m, unsigned flags, mf_buf *out)
{
	size_t start;
	int rc;

	if (m == NULL || out == NULL)
		return MF_E_INVAL;
	start = out->len;
	rc = mf_msg_write_fn(m, flags, buf_sink, out);
	if (rc < 0) {
		/* Out unchanged on failure. */
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return rc == MF_E_CALLBACK ? MF_E_NOMEM : rc;
	}
	return MF_OK;
}
