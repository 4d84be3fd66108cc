/* SPDX-License-Identifier: MIT */
/*
 * tree.c - the one-shot parser (mf_msg_parse): the push engine of mime.c
 * fed the whole input once, and a tree of parts built from its events in
 * one arena; the part accessors (for tree parts and the transient parts
 * of events alike) and the depth-first walk.
 *
 * The tree accounts for every input byte, so that the writer (write.c)
 * can give the input back from the structure: each part keeps its mbox
 * From_ line, its fields as written, the bytes from the last field to the
 * body (the empty line, and fields past max_headers if any), and then its
 * leaf body, or its preamble, children (each with the delimiter line
 * before it), close delimiter and epilogue, or its embedded message.
 *
 * Views: raw bytes are located in the caller's input by their offset, so
 * the tree never copies them when parsing a buffer (whatever the engine
 * had to hold back or truncate, such as fields longer than max_field_len,
 * the input has them whole); decoded strings (parameters, filenames) are
 * copied into the arena. A tree built from a split parse (tests) copies
 * everything, as its chunks are gone after the parse.
 */
#include "mime.h"

/* ---------------------------------------------------------------------- */
/* Builder                                                                 */
/* ---------------------------------------------------------------------- */

struct bld {
	mf_msg *m;
	const char *in; /* the input, or NULL: copy everything */
	size_t n;
	mf_alloc a;
	mf_part **stack; /* open tree parts by depth */
	size_t cap;
	mf_part *last;   /* last part created */
	mf_str delim;    /* the delimiter line for the next child */
	mf_buf acc;      /* bytes being collected for *acc_dst (copy mode) */
	mf_str *acc_dst;
	int rc;
	uint64_t err_off;
};

static int
bfail(struct bld *b, uint64_t off)
{
	if (b->rc == MF_OK) {
		b->rc = MF_E_NOMEM;
		b->err_off = off;
	}
	return 1;
}

/* Moves the collected bytes into the arena. */
static int
flush(struct bld *b)
{
	char *q;

	if (b->acc_dst == NULL)
		return MF_OK;
	q = mf__arena_dup(&b->m->ar, b->acc.data != NULL ? b->acc.data : "",
			  b->acc.len);
	if (q == NULL)
		return MF_E_NOMEM;
	b->acc_dst->ptr = q;
	b->acc_dst->len = b->acc.len;
	b->acc_dst = NULL;
	b->acc.len = 0;
	return MF_OK;
}

/* Appends raw input bytes p[0..n) found at offset off to *dst. */
static int
append(struct bld *b, mf_str *dst, const char *p, size_t n, uint64_t off)
{
	int rc;

	if (n == 0)
		return MF_OK;
	if (b->in != NULL && off <= b->n && n <= b->n - off &&
	    b->acc_dst != dst) {
		const char *q = b->in + off;

		if (dst->len == 0) {
			dst->ptr = q;
			dst->len = n;
			return MF_OK;
		}
		if (dst->ptr + dst->len == q) {
			dst->len += n;
			return MF_OK;
		}
	}
	if (b->acc_dst != dst) {
		rc = flush(b);
		if (rc < 0)
			return rc;
		b->acc_dst = dst;
		if (dst->len > 0) {
			rc = mf__buf_put(&b->acc, dst->ptr, dst->len);
			if (rc < 0)
				return rc;
		}
	}
	return mf__buf_put(&b->acc, p, n);
}

/* A string of the engine's part, kept if it is in the input. */
static int
keep(struct bld *b, mf_str *s)
{
	char *q;

	if (s->len == 0) {
		s->ptr = "";
		return MF_OK;
	}
	if (b->in != NULL && s->ptr >= b->in && s->ptr < b->in + b->n)
		return MF_OK;
	q = mf__arena_dup(&b->m->ar, s->ptr, s->len);
	if (q == NULL)
		return MF_E_NOMEM;
	s->ptr = q;
	return MF_OK;
}

static int
keep_cb(void *ctx, mf_str *s)
{
	return keep(ctx, s);
}

/* A copy of the engine's parameter array in the arena. */
static int
copy_params(struct bld *b, mf_params *ps)
{
	mf_param *v = NULL;

	if (ps->n > 0) {
		v = mf__arena_alloc(&b->m->ar, ps->n * sizeof(*v));
		if (v == NULL)
			return MF_E_NOMEM;
		memcpy(v, ps->v, ps->n * sizeof(*v));
	}
	ps->v = v;
	return MF_OK;
}

/* The engine's complete part e becomes tree part t. */
static int
copy_part(struct bld *b, mf_part *t, const mf_part *e, mf_str blank)
{
	struct mf__hfield *fv = NULL;
	uint64_t last;
	size_t i;
	int rc = MF_OK;

	t->kind = e->kind;
	t->bom = e->bom;
	t->off_header = e->off_header;
	t->off_body = e->off_body;
	t->type = e->type;
	t->subtype = e->subtype;
	t->ct_default = e->ct_default;
	t->params = e->params;
	t->disp = e->disp;
	t->dparams = e->dparams;
	t->filename = e->filename;
	t->charset = e->charset;
	t->boundary = e->boundary;
	t->cte = e->cte;
	t->sel = e->sel;
	t->defects |= e->defects;
	if (e->nfields > 0) {
		fv = mf__arena_alloc(&b->m->ar, e->nfields * sizeof(*fv));
		if (fv == NULL)
			return MF_E_NOMEM;
	}
	for (i = 0; i < e->nfields && rc == MF_OK; i++) {
		const struct mf__hfield *hf = &e->fields[i];
		const mf_field *f = &hf->f;

		fv[i] = *hf;
		fv[i].raw.ptr = NULL;
		fv[i].raw.len = 0;
		if (b->in != NULL && f->offset <= b->n &&
		    f->raw_len <= b->n - f->offset) {
			/* Whole, even when the engine kept only a prefix. */
			fv[i].raw.ptr = b->in + f->offset;
			fv[i].raw.len = f->raw_len;
		} else {
			rc = append(b, &fv[i].raw, hf->raw.ptr, hf->raw.len,
				    f->offset);
			if (rc == MF_OK)
				rc = flush(b);
			if (rc < 0)
				break;
		}
		fv[i].f.name.ptr = fv[i].raw.ptr + (f->name.ptr - hf->raw.ptr);
		fv[i].f.value.ptr =
		    fv[i].raw.ptr + (f->value.ptr - hf->raw.ptr);
	}
	t->fields = fv;
	t->nfields = e->nfields;
	if (rc == MF_OK)
		rc = copy_params(b, &t->params);
	if (rc == MF_OK)
		rc = copy_params(b, &t->dparams);
	if (rc == MF_OK)
		rc = mf__part_strings(t, keep_cb, b);
	if (rc < 0)
		return rc;
	/* From the last field to the body: fields past max_headers, if
	 * any, and the empty line. */
	last = e->nfields > 0 ? e->fields[e->nfields - 1].f.offset +
				    e->fields[e->nfields - 1].f.raw_len
			      : e->off_header;
	if (b->in != NULL && last <= e->off_body && e->off_body <= b->n) {
		t->hdr_end.ptr = b->in + last;
		t->hdr_end.len = (size_t)(e->off_body - last);
		return MF_OK;
	}
	rc = append(b, &t->hdr_end, blank.ptr, blank.len,
		    e->off_body - blank.len);
	if (rc == MF_OK)
		rc = flush(b);
	return rc;
}

static mf_part *
open_part(const struct bld *b, size_t depth)
{
	return depth < b->cap ? b->stack[depth] : NULL;
}

static int
on_begin(struct bld *b, const mf_event *ev)
{
	mf_part *t, *par = NULL;
	int rc;

	rc = flush(b);
	if (rc < 0)
		return rc;
	if (ev->depth >= b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 16;
		mf_part **ns;

		while (ncap <= ev->depth)
			ncap *= 2;
		ns = mf__resize(&b->a, b->stack, b->cap * sizeof(*ns),
				ncap * sizeof(*ns));
		if (ns == NULL)
			return MF_E_NOMEM;
		memset(ns + b->cap, 0, (ncap - b->cap) * sizeof(*ns));
		b->stack = ns;
		b->cap = ncap;
	}
	t = mf__arena_calloc(&b->m->ar, 1, sizeof(*t));
	if (t == NULL)
		return MF_E_NOMEM;
	t->tree = b->m;
	t->depth = ev->depth;
	t->off_begin = ev->off;
	t->off_header = ev->off;
	t->off_body = ev->off;
	t->off_end = ev->off;
	t->cte = MF_CTE_7BIT;
	if (ev->depth > 0)
		par = b->stack[ev->depth - 1];
	t->parent = par;
	if (par != NULL && par->kind == MF_PART_MULTIPART) {
		if (par->last != NULL)
			par->last->next = t;
		else
			par->first = t;
		par->last = t;
		par->nchildren++;
		t->delim = b->delim;
	} else if (par != NULL) {
		par->message = t;
	} else {
		b->m->nroots++;
	}
	b->delim.ptr = NULL;
	b->delim.len = 0;
	if (b->last != NULL)
		b->last->all_next = t;
	else
		b->m->all = t;
	b->last = t;
	b->m->nparts++;
	b->stack[ev->depth] = t;
	return MF_OK;
}

static int
on_event(void *ctx, const mf_event *ev)
{
	struct bld *b = ctx;
	mf_part *t = open_part(b, ev->depth);
	int rc = MF_OK;

	if (b->rc < 0)
		return 1;
	switch ((enum mf_event_type)ev->type) {
	case MF_EV_PART_BEGIN:
		rc = on_begin(b, ev);
		break;
	case MF_EV_MBOX_FROM: {
		/* Whole from the input, even when the event had a prefix
		 * (a From_ line longer than max_field_len). */
		uint64_t end = ev->part->off_header;

		if (b->in != NULL && end >= ev->off && end <= b->n) {
			/* A second one (">From ") extends the first. */
			if (!t->has_from)
				t->from_line.ptr = b->in + ev->off;
			t->from_line.len =
			    (size_t)(b->in + end - t->from_line.ptr);
		} else {
			rc = append(b, &t->from_line, ev->data.ptr,
				    ev->data.len, ev->off);
			if (rc == MF_OK)
				rc = flush(b);
		}
		if (rc == MF_OK) {
			t->has_from = true;
			t->off_header = end;
		}
		break;
	}
	case MF_EV_HEADERS_END:
		rc = flush(b);
		if (rc == MF_OK)
			rc = copy_part(b, t, ev->part, ev->data);
		break;
	case MF_EV_BODY:
		rc = append(b, &t->body, ev->data.ptr, ev->data.len, ev->off);
		break;
	case MF_EV_PREAMBLE:
		rc = append(b, &t->preamble, ev->data.ptr, ev->data.len,
			    ev->off);
		break;
	case MF_EV_EPILOGUE:
		rc = append(b, &t->epilogue, ev->data.ptr, ev->data.len,
			    ev->off);
		break;
	case MF_EV_CLOSE:
		rc = append(b, &t->close, ev->data.ptr, ev->data.len, ev->off);
		if (rc == MF_OK)
			rc = flush(b);
		break;
	case MF_EV_DELIM:
		rc = flush(b);
		if (rc == MF_OK)
			rc = append(b, &b->delim, ev->data.ptr, ev->data.len,
				    ev->off);
		if (rc == MF_OK)
			rc = flush(b);
		break;
	case MF_EV_DEFECT:
		if (t != NULL)
			t->defects |= MF_DEFECT_BIT(ev->defect);
		b->m->defects |= MF_DEFECT_BIT(ev->defect);
		break;
	case MF_EV_PART_END:
		rc = flush(b);
		t->off_end = ev->off;
		b->m->defects |= t->defects;
		if (t->kind == MF_PART_MULTIPART &&
		    ev->part->kind == MF_PART_LEAF) {
			/* A multipart without any delimiter line ends as a
			 * text/plain leaf (mime.c): its preamble is the
			 * body, its attachment decision made again. */
			t->kind = MF_PART_LEAF;
			t->sel = ev->part->sel;
			t->type = ev->part->type;
			t->subtype = ev->part->subtype;
			t->boundary = ev->part->boundary;
			t->body = t->preamble;
			t->preamble.ptr = NULL;
			t->preamble.len = 0;
		}
		break;
	case MF_EV_HEADER:
		break;
	}
	if (rc < 0)
		return bfail(b, ev->off);
	return 0;
}

/* Indexes children and roots once the parse is over. */
static int
finish_tree(struct bld *b)
{
	mf_msg *m = b->m;
	mf_part *t;
	size_t k = 0;

	if (flush(b) < 0)
		return MF_E_NOMEM;
	m->all_last = b->last;
	if (m->nroots > 0) {
		m->roots = mf__arena_alloc(&m->ar, m->nroots * sizeof(*m->roots));
		if (m->roots == NULL)
			return MF_E_NOMEM;
	}
	for (t = m->all; t != NULL; t = t->all_next) {
		mf_part *c;
		size_t i = 0;

		if (t->depth == 0)
			m->roots[k++] = t;
		if (t->nchildren == 0)
			continue;
		t->children = mf__arena_alloc(&m->ar,
					      t->nchildren * sizeof(*t->children));
		if (t->children == NULL)
			return MF_E_NOMEM;
		for (c = t->first; c != NULL; c = c->next)
			t->children[i++] = c;
	}
	return MF_OK;
}

static void
bld_fini(struct bld *b)
{
	mf__release(&b->a, b->stack);
	mf__buf_fini(&b->acc);
}

/* Parses p[0..n) cut at cuts[0..k) (k = SIZE_MAX: fed once, in place). */
static int
parse(const char *p, size_t n, const size_t *cuts, size_t k, const mf_opts *o,
      mf_msg **out, mf_error *err)
{
	struct bld b;
	mf_opts o2;
	mf_parser *ps;
	mf_msg *m;
	int rc;

	if (out == NULL || (p == NULL && n != 0))
		return mf__err(err, MF_E_INVAL, 0, "NULL argument");
	*out = NULL;
	/*
	 * The tree keeps raw bytes: MF_DECODE and MF_NO_BODY have no use.
	 * MF_MBOX_CLEN needs MF_MBOX and the whole input at once (the push
	 * parser refuses it): not for split parses. MF_UTF8_OUT,
	 * MF_8BITMIME and MF_BINARYMIME are kept for edits (edit.c).
	 */
	if (mf__opts_check(o, MF_STRICT | MF_MBOX | MF_MBOX_CLEN |
				  MF__MSG_FLAGS, err) < 0)
		return MF_E_INVAL;
	if (o != NULL && (o->flags & MF_MBOX_CLEN) &&
	    (!(o->flags & MF_MBOX) || k != SIZE_MAX))
		return mf__err(err, MF_E_INVAL, 0,
			       "MF_MBOX_CLEN needs MF_MBOX, the whole input");
	if (p == NULL)
		p = "";
	memset(&o2, 0, sizeof(o2));
	if (o != NULL)
		o2 = *o;
	memset(&b, 0, sizeof(b));
	mf__alloc_copy(&b.a, &o2.alloc);
	m = mf__alloc(&b.a, sizeof(*m));
	if (m == NULL)
		return mf__err(err, MF_E_NOMEM, 0, "out of memory");
	memset(m, 0, sizeof(*m));
	mf__arena_init(&m->ar, &b.a);
	b.m = m;
	mf__buf_init(&b.acc, &b.a);
	if (k == SIZE_MAX) {
		b.in = p;
		b.n = n;
		m->in = p;
		m->n = n;
	}
	m->flags = o2.flags & MF__MSG_FLAGS;
	o2.flags &= ~(MF_MBOX_CLEN | MF__MSG_FLAGS);
	ps = mf_parser_new(&o2, on_event, &b);
	if (ps == NULL) {
		rc = mf__err(err, MF_E_NOMEM, 0, "out of memory");
		goto fail;
	}
	if (o != NULL && (o->flags & MF_MBOX_CLEN))
		mf__parser_set_clen(ps);
	if (k == SIZE_MAX)
		rc = mf__parser_feed_last(ps, p, n);
	else
		rc = mf__parser_feed_split(ps, p, n, cuts, k);
	if (rc < 0) {
		mf_error e;

		if (rc == MF_E_CALLBACK && b.rc < 0) {
			rc = b.rc;
			mf__err(err, rc, (size_t)b.err_off, "out of memory");
		} else if (mf_parser_error(ps, &e) < 0) {
			if (err != NULL)
				*err = e;
		} else {
			mf__err(err, rc, (size_t)mf_parser_offset(ps), NULL);
		}
		mf_parser_free(ps);
		goto fail;
	}
	mf_parser_free(ps);
	rc = finish_tree(&b);
	if (rc < 0) {
		mf__err(err, rc, n, "out of memory");
		goto fail;
	}
	bld_fini(&b);
	*out = m;
	return MF_OK;
fail:
	bld_fini(&b);
	mf_msg_free(m);
	return rc;
}

int
mf_msg_parse(const char *p, size_t n, const mf_opts *o, mf_msg **out,
	     mf_error *err)
{
	return parse(p, n, NULL, SIZE_MAX, o, out, err);
}

int
mf__msg_parse_split(const char *p, size_t n, const size_t *cuts, size_t k,
		    const mf_opts *o, mf_msg **out, mf_error *err)
{
	if (k == SIZE_MAX || (cuts == NULL && k != 0))
		return mf__err(err, MF_E_INVAL, 0, "bad cuts");
	return parse(p, n, cuts, k, o, out, err);
}

void
mf_msg_free(mf_msg *m)
{
	mf_alloc a;

	if (m == NULL)
		return;
	a = m->ar.a;
	mf__arena_free(&m->ar);
	mf__release(&a, m);
}

const mf_part *
mf_msg_root(const mf_msg *m)
{
	return mf_msg_at(m, 0);
}

size_t
mf_msg_count(const mf_msg *m)
{
	return m != NULL ? m->nroots : 0;
}

const mf_part *
mf_msg_at(const mf_msg *m, size_t i)
{
	if (m == NULL || i >= m->nroots)
		return NULL;
	return m->roots[i];
}

size_t
mf_msg_part_count(const mf_msg *m)
{
	return m != NULL ? m->nparts : 0;
}

uint64_t
mf_msg_defects(const mf_msg *m)
{
	return m != NULL ? m->defects : 0;
}

/* ---------------------------------------------------------------------- */
/* Part accessors                                                          */
/* ---------------------------------------------------------------------- */

static const mf_str none = {"", 0};

static mf_str
str(mf_str s)
{
	return s.len > 0 ? s : none;
}

int
mf_part_kind(const mf_part *p)
{
	return p != NULL ? p->kind : 0;
}

mf_str
mf_part_type(const mf_part *p)
{
	return p != NULL ? str(p->type) : none;
}

mf_str
mf_part_subtype(const mf_part *p)
{
	return p != NULL ? str(p->subtype) : none;
}

const mf_param *
mf_part_param(const mf_part *p, const char *name, size_t n)
{
	return p != NULL ? mf_params_get(&p->params, name, n) : NULL;
}

size_t
mf_part_param_count(const mf_part *p)
{
	return p != NULL ? mf_params_count(&p->params) : 0;
}

const mf_param *
mf_part_param_at(const mf_part *p, size_t i)
{
	return p != NULL ? mf_params_at(&p->params, i) : NULL;
}

mf_str
mf_part_charset(const mf_part *p)
{
	static const mf_str ascii = {"us-ascii", 8};

	if (p == NULL)
		return none;
	if (p->charset.len > 0)
		return p->charset;
	if (p->type.len == 4 && memcmp(p->type.ptr, "text", 4) == 0)
		return ascii;
	return none;
}

mf_str
mf_part_disposition(const mf_part *p)
{
	return p != NULL ? str(p->disp) : none;
}

const mf_param *
mf_part_disp_param(const mf_part *p, const char *name, size_t n)
{
	return p != NULL ? mf_params_get(&p->dparams, name, n) : NULL;
}

mf_str
mf_part_filename(const mf_part *p)
{
	return p != NULL ? str(p->filename) : none;
}

int
mf_part_cte(const mf_part *p)
{
	return p != NULL ? p->cte : MF_CTE_7BIT;
}

mf_str
mf_part_boundary(const mf_part *p)
{
	if (p == NULL || p->kind != MF_PART_MULTIPART)
		return none;
	return str(p->boundary);
}

size_t
mf_part_field_count(const mf_part *p)
{
	return p != NULL ? p->nfields : 0;
}

const mf_field *
mf_part_field(const mf_part *p, size_t i)
{
	return p != NULL && i < p->nfields ? &p->fields[i].f : NULL;
}

const mf_field *
mf_part_header(const mf_part *p, const char *name, size_t n, size_t *iter)
{
	size_t i;

	if (p == NULL || (name == NULL && n != 0))
		return NULL;
	for (i = iter != NULL ? *iter : 0; i < p->nfields; i++) {
		const mf_field *f = &p->fields[i].f;

		if (mf__ieq(f->name.ptr, f->name.len, name, n)) {
			if (iter != NULL)
				*iter = i + 1;
			return f;
		}
	}
	if (iter != NULL)
		*iter = p->nfields;
	return NULL;
}

mf_str
mf_part_header_value(const mf_part *p, const char *name, size_t n)
{
	const mf_field *f = mf_part_header(p, name, n, NULL);

	return f != NULL ? f->value : none;
}

int
mf_part_mbox_from(const mf_part *p, mf_str *line)
{
	mf_str s;

	if (p == NULL || !p->has_from)
		return 0;
	/* Without the line end before it (which from_line may start with:
	 * the separator's), its own, and a ">From " line after it. */
	s = p->from_line;
	while (s.len > 0 && (s.ptr[0] == '\r' || s.ptr[0] == '\n')) {
		s.ptr++;
		s.len--;
	}
	{
		const char *lf = memchr(s.ptr, '\n', s.len);

		if (lf != NULL)
			s.len = (size_t)(lf - s.ptr);
	}
	if (s.len > 0 && s.ptr[s.len - 1] == '\r')
		s.len--;
	if (line != NULL)
		*line = s;
	return 1;
}

uint64_t
mf_part_defects(const mf_part *p)
{
	return p != NULL ? p->defects : 0;
}

size_t
mf_part_depth(const mf_part *p)
{
	return p != NULL ? p->depth : 0;
}

void
mf_part_offsets(const mf_part *p, uint64_t *header, uint64_t *body,
		uint64_t *end)
{
	if (header != NULL)
		*header = p != NULL ? p->off_header : 0;
	if (body != NULL)
		*body = p != NULL ? p->off_body : 0;
	if (end != NULL)
		*end = p != NULL ? p->off_end : 0;
}

mf_str
mf_part_body(const mf_part *p)
{
	const mf_msg *m;
	mf_str s;

	if (p == NULL || p->tree == NULL)
		return none;
	if (p->kind == MF_PART_LEAF)
		return str(p->body);
	m = p->tree;
	if (m->in == NULL || p->off_end > m->n || p->off_body > p->off_end)
		return none;
	s.ptr = m->in + p->off_body;
	s.len = (size_t)(p->off_end - p->off_body);
	return s;
}

mf_str
mf_part_preamble(const mf_part *p)
{
	return p != NULL && p->tree != NULL ? str(p->preamble) : none;
}

mf_str
mf_part_epilogue(const mf_part *p)
{
	return p != NULL && p->tree != NULL ? str(p->epilogue) : none;
}

const mf_part *
mf_part_parent(const mf_part *p)
{
	return p != NULL ? p->parent : NULL;
}

size_t
mf_part_child_count(const mf_part *p)
{
	return p != NULL && p->tree != NULL ? p->nchildren : 0;
}

const mf_part *
mf_part_child(const mf_part *p, size_t i)
{
	if (p == NULL || p->tree == NULL || i >= p->nchildren)
		return NULL;
	return p->children[i];
}

const mf_part *
mf_part_message(const mf_part *p)
{
	return p != NULL && p->tree != NULL ? p->message : NULL;
}

const mf_part *
mf_part_next(const mf_part *root, const mf_part *cur)
{
	if (root == NULL)
		return NULL;
	if (cur == NULL)
		return root;
	if (cur->tree == NULL)
		return NULL;
	if (cur->message != NULL)
		return cur->message;
	if (cur->first != NULL)
		return cur->first;
	while (cur != root && cur != NULL) {
		if (cur->next != NULL)
			return cur->next;
		cur = cur->parent;
	}
	return NULL;
}
