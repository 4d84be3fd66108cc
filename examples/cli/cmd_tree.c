/* SPDX-License-Identifier: MIT */
/*
 * cmd_tree.c - mailfmt tree [FILE] and mailfmt extract FILE DIR
 * (cli-json.md).
 *
 * tree prints the message as one JSON object: its header fields (name,
 * unfolded raw value, RFC 2047-decoded value; in order, duplicates kept),
 * the address fields (all From, To, Cc and Reply-To fields, in the JSON
 * of the addr command), subject, date (ISO 8601 as the date command
 * prints it), message_id, and the body as a tree of PART objects. A PART
 * has content_type, params, disposition, filename, encoding, size and
 * crc32 of the transfer-decoded content (null for multiparts and
 * message/rfc822), text for text leaves (converted to UTF-8 by
 * mf_part_decode), children for multiparts, and message (an object like
 * the top level) for message/rfc822 - also when the embedded message is
 * transfer-encoded: it is decoded and parsed. The message is parsed with
 * a nesting limit of 50 (deeper parts are leaves) so that the JSON stays
 * within the writer's nesting.
 *
 * extract writes each attachment (RFC 8621 4.1.4: mf_part_is_attachment)
 * and each other leaf that is not text, transfer-decoded, into DIR
 * (created if missing), and prints "<size> <name>" per file. Names are
 * the part's file name made safe by mf_filename_safe (the last path
 * component, no leading dots, no controls, at most 200 bytes with the
 * extension kept, no Windows device names); parts without one get
 * "part-N" plus an extension for their type (N counts parts in tree
 * order). Files are created exclusively (never
 * overwritten, never through a symbolic link): on a collision "-1", "-2",
 * ... goes before the extension. Embedded messages are written whole
 * (.eml), not descended.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

int cmd_tree(int argc, char **argv);
int cmd_extract(int argc, char **argv);

#define TREE_DEPTH 50

/* ---------------------------------------------------------------- util */

/* zlib's CRC-32 (reflected polynomial 0xEDB88320, init and final ~0). */
static uint32_t
crc32(const void *p, size_t n)
{
	static uint32_t tab[256];
	static int ready;
	const unsigned char *s = p;
	uint32_t c = 0xFFFFFFFFu;
	size_t i;

	if (!ready) {
		for (i = 0; i < 256; i++) {
			uint32_t v = (uint32_t)i;
			int k;

			for (k = 0; k < 8; k++)
				v = (v & 1) ? 0xEDB88320u ^ (v >> 1) : v >> 1;
			tab[i] = v;
		}
		ready = 1;
	}
	for (i = 0; i < n; i++)
		c = tab[(c ^ s[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static int
is_message(const mf_part *p)
{
	return mf_str_eq(mf_part_type(p), MF_STR("message")) &&
	       (mf_str_eq(mf_part_subtype(p), MF_STR("rfc822")) ||
	        mf_str_eq(mf_part_subtype(p), MF_STR("global")));
}

/* Reads and parses the message in path: CLI_OK, or the exit status. */
static int
read_msg(const char *path, const mf_opts *o, char **in, mf_msg **m)
{
	mf_error e;
	size_t n;
	int rc = cli_read(path, in, &n);

	if (rc != CLI_OK)
		return rc;
	rc = mf_msg_parse(*in, n, o, m, &e);
	if (rc != MF_OK) {
		free(*in);
		return cli_fail(&e, rc);
	}
	return CLI_OK;
}

/* ---------------------------------------------------------------- tree */

struct tree {
	cli_json j;
	mf_buf *b;  /* scratch */
	mf_buf *b2; /* scratch */
	int rc;
};

static void
nomem(struct tree *t, int rc)
{
	if (rc < 0 && t->rc == MF_OK)
		t->rc = rc;
}

static void
put_buf(struct tree *t, const mf_buf *b)
{
	json_str(&t->j, mf_buf_data(b), mf_buf_len(b));
}

/* The first field called name, or NULL. */
static const mf_field *
field(const mf_part *p, const char *name)
{
	return mf_part_header(p, name, strlen(name), NULL);
}

static void
put_headers(struct tree *t, const mf_part *p)
{
	size_t i;

	json_key(&t->j, "headers");
	json_arr(&t->j);
	for (i = 0; i < mf_part_field_count(p); i++) {
		const mf_field *f = mf_part_field(p, i);

		json_obj(&t->j);
		json_key(&t->j, "name");
		json_str(&t->j, f->name.ptr, f->name.len);
		mf_buf_clear(t->b);
		nomem(t, mf_hdr_unfold(t->b, f->value.ptr, f->value.len));
		json_key(&t->j, "value");
		put_buf(t, t->b);
		mf_buf_clear(t->b2);
		nomem(t, mf_hdr_decode(t->b2, f->value.ptr, f->value.len, NULL,
		                       NULL, NULL));
		json_key(&t->j, "decoded");
		put_buf(t, t->b2);
		json_obj_end(&t->j);
	}
	json_arr_end(&t->j);
}

/* Every field called name, as one address array. */
static void
put_addrs(struct tree *t, const mf_part *p, const char *key, const char *name)
{
	const mf_field *f;
	size_t it = 0;

	json_key(&t->j, key);
	json_arr(&t->j);
	while ((f = mf_part_header(p, name, strlen(name), &it)) != NULL) {
		mf_addrs *l = NULL;

		if (mf_addrs_parse(f->value.ptr, f->value.len, NULL, &l,
		                   NULL) != MF_OK)
			continue;
		nomem(t, cli_json_addrs(&t->j, mf_addrs_at(l, 0),
		                        mf_addrs_count(l), t->b));
		mf_addrs_free(l);
	}
	json_arr_end(&t->j);
}

/* Writes key; then NULL and null when p has no field called name, else
 * the first such field (its value to be written by the caller). */
static const mf_field *
keyed_field(struct tree *t, const mf_part *p, const char *key, const char *name)
{
	const mf_field *f = field(p, name);

	json_key(&t->j, key);
	if (f == NULL)
		json_null(&t->j);
	return f;
}

static void
put_subject(struct tree *t, const mf_part *p)
{
	const mf_field *f = keyed_field(t, p, "subject", "Subject");

	if (f == NULL)
		return;
	mf_buf_clear(t->b);
	nomem(t, mf_hdr_decode(t->b, f->value.ptr, f->value.len, NULL, NULL,
	                       NULL));
	put_buf(t, t->b);
}

static void
put_date(struct tree *t, const mf_part *p)
{
	const mf_field *f = keyed_field(t, p, "date", "Date");
	char out[40];
	size_t olen = 0;
	mf_date d;

	if (f == NULL)
		return;
	if (mf_date_parse(f->value.ptr, f->value.len, NULL, &d, NULL, NULL) ==
	        MF_OK &&
	    mf_date_format(out, sizeof(out), &d, MF_DATE_ISO, &olen) == MF_OK)
		json_str(&t->j, out, olen);
	else
		json_null(&t->j);
}

static void
put_msgid(struct tree *t, const mf_part *p)
{
	const mf_field *f = keyed_field(t, p, "message_id", "Message-ID");
	mf_str ids[4];
	size_t n = 4;
	int rc;

	if (f == NULL)
		return;
	rc = mf_msgid_parse(f->value.ptr, f->value.len, NULL, ids, &n, NULL,
	                    NULL);
	if ((rc == MF_OK || rc == MF_E_NOSPC) && n > 0)
		json_str(&t->j, ids[0].ptr, ids[0].len);
	else
		json_null(&t->j);
}

static void put_part(struct tree *t, const mf_part *p, size_t depth);

/* A message object: the header summary and the body. */
static void
put_message(struct tree *t, const mf_part *root, size_t depth)
{
	json_obj(&t->j);
	put_headers(t, root);
	put_addrs(t, root, "from", "From");
	put_addrs(t, root, "to", "To");
	put_addrs(t, root, "cc", "Cc");
	put_addrs(t, root, "reply_to", "Reply-To");
	put_subject(t, root);
	put_date(t, root);
	put_msgid(t, root);
	json_key(&t->j, "body");
	put_part(t, root, depth);
	json_obj_end(&t->j);
}

static void
put_params(struct tree *t, const mf_part *p)
{
	size_t i, k;

	json_key(&t->j, "params");
	json_obj(&t->j);
	for (i = 0; i < mf_part_param_count(p); i++) {
		const mf_param *pm = mf_part_param_at(p, i);
		char name[256];
		int dup = 0;

		/* JSON object keys are unique: the first one wins. */
		for (k = 0; k < i && !dup; k++) {
			const mf_param *q = mf_part_param_at(p, k);

			dup = mf_str_eq(q->name, pm->name);
		}
		if (dup)
			continue;
		snprintf(name, sizeof(name), MF_STR_FMT, MF_STR_ARG(pm->name));
		json_key(&t->j, name);
		json_str(&t->j, pm->value.ptr, pm->value.len);
	}
	json_obj_end(&t->j);
}

static void
put_encoding(struct tree *t, const mf_part *p)
{
	const mf_field *f;
	size_t i, b, e;

	json_key(&t->j, "encoding");
	if (mf_part_cte(p) != MF_CTE_UNKNOWN) {
		json_cstr(&t->j, mf_cte_name(mf_part_cte(p)));
		return;
	}
	/* Unknown: the value as written, trimmed, lower case. */
	f = field(p, "Content-Transfer-Encoding");
	mf_buf_clear(t->b);
	mf_buf_clear(t->b2);
	if (f != NULL)
		nomem(t, mf_hdr_unfold(t->b, f->value.ptr, f->value.len));
	{
		const char *s = mf_buf_data(t->b);
		size_t n = mf_buf_len(t->b);

		for (b = 0; b < n && (s[b] == ' ' || s[b] == '\t'); b++)
			;
		for (e = n; e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'); e--)
			;
		for (i = b; i < e; i++) {
			char c = s[i] >= 'A' && s[i] <= 'Z'
			             ? (char)(s[i] - 'A' + 'a')
			             : s[i];

			nomem(t, mf_buf_append(t->b2, &c, 1));
		}
		put_buf(t, t->b2);
	}
}

static void
put_opt_str(struct tree *t, const char *key, mf_str s)
{
	json_key(&t->j, key);
	if (s.len > 0)
		json_str(&t->j, s.ptr, s.len);
	else
		json_null(&t->j);
}

static void
put_part(struct tree *t, const mf_part *p, size_t depth)
{
	mf_str ty = mf_part_type(p), sub = mf_part_subtype(p);
	int kind = mf_part_kind(p), msg = is_message(p);
	char ct[300];
	size_t i;

	json_obj(&t->j);
	snprintf(ct, sizeof(ct), MF_STR_FMT "/" MF_STR_FMT, MF_STR_ARG(ty),
	         MF_STR_ARG(sub));
	json_key(&t->j, "content_type");
	json_cstr(&t->j, ct);
	put_params(t, p);
	put_opt_str(t, "disposition", mf_part_disposition(p));
	put_opt_str(t, "filename", mf_part_filename(p));
	put_encoding(t, p);
	if (kind == MF_PART_MULTIPART || kind == MF_PART_MESSAGE || msg) {
		json_key(&t->j, "size");
		json_null(&t->j);
		json_key(&t->j, "crc32");
		json_null(&t->j);
	} else {
		char hex[9];

		mf_buf_clear(t->b);
		nomem(t, mf_part_decode(p, t->b, 0, NULL, NULL, NULL));
		json_key(&t->j, "size");
		json_u64(&t->j, mf_buf_len(t->b));
		snprintf(
		    hex, sizeof(hex), "%08lx",
		    (unsigned long)crc32(mf_buf_data(t->b), mf_buf_len(t->b)));
		json_key(&t->j, "crc32");
		json_cstr(&t->j, hex);
		if (mf_str_eq(ty, MF_STR("text"))) {
			mf_buf_clear(t->b);
			nomem(t, mf_part_decode(p, t->b, MF_CONTENT_TEXT, NULL,
			                        NULL, NULL));
			json_key(&t->j, "text");
			put_buf(t, t->b);
		}
	}
	if (kind == MF_PART_MULTIPART) {
		json_key(&t->j, "children");
		json_arr(&t->j);
		for (i = 0; i < mf_part_child_count(p); i++)
			put_part(t, mf_part_child(p, i), depth + 1);
		json_arr_end(&t->j);
	} else if (kind == MF_PART_MESSAGE && mf_part_message(p) != NULL) {
		json_key(&t->j, "message");
		put_message(t, mf_part_message(p), depth + 1);
	} else if (msg && depth + 1 < TREE_DEPTH) {
		/* An encoded message/rfc822: decode it and parse that. */
		mf_buf *b = mf_buf_new(NULL);
		mf_msg *m = NULL;
		mf_opts o;

		memset(&o, 0, sizeof(o));
		o.limits.max_depth = TREE_DEPTH - depth - 1;
		if (b == NULL)
			nomem(t, MF_E_NOMEM);
		else if (mf_part_decode(p, b, 0, NULL, NULL, NULL) == MF_OK &&
		         mf_msg_parse(mf_buf_data(b), mf_buf_len(b), &o, &m,
		                      NULL) == MF_OK) {
			json_key(&t->j, "message");
			put_message(t, mf_msg_root(m), depth + 1);
		}
		mf_msg_free(m);
		mf_buf_free(b);
	}
	json_obj_end(&t->j);
}

int
cmd_tree(int argc, char **argv)
{
	const char *path = NULL;
	struct tree t;
	mf_error e;
	mf_opts o;
	mf_msg *m;
	char *in;
	int rc, i;

	for (i = 1; i < argc; i++) {
		if ((argv[i][0] == '-' && argv[i][1] != '\0') || path != NULL)
			return cli_usage("tree [FILE]");
		path = argv[i];
	}
	memset(&o, 0, sizeof(o));
	o.limits.max_depth = TREE_DEPTH;
	rc = read_msg(path, &o, &in, &m);
	if (rc != CLI_OK)
		return rc;
	memset(&t, 0, sizeof(t));
	t.b = mf_buf_new(NULL);
	t.b2 = mf_buf_new(NULL);
	if (t.b == NULL || t.b2 == NULL) {
		t.rc = MF_E_NOMEM;
	} else {
		json_init(&t.j, stdout);
		put_message(&t, mf_msg_root(m), 0);
		json_end(&t.j);
	}
	mf_buf_free(t.b);
	mf_buf_free(t.b2);
	mf_msg_free(m);
	free(in);
	if (t.rc != MF_OK) {
		e.code = t.rc;
		e.offset = 0;
		e.reason = NULL;
		return cli_fail(&e, t.rc);
	}
	return fflush(stdout) == 0 ? CLI_OK : CLI_BAD_INPUT;
}

/* ---------------------------------------------------------------- extract */

/* An extension for parts without a file name. */
static const char *
extension(const mf_part *p)
{
	static const struct {
		const char *type, *ext;
	} t[] = {
	    {"message/rfc822", ".eml"},     {"message/global", ".eml"},
	    {"image/png", ".png"},          {"image/jpeg", ".jpg"},
	    {"image/gif", ".gif"},          {"image/webp", ".webp"},
	    {"image/svg+xml", ".svg"},      {"application/pdf", ".pdf"},
	    {"application/zip", ".zip"},    {"application/json", ".json"},
	    {"application/msword", ".doc"}, {"text/plain", ".txt"},
	    {"text/html", ".html"},         {"text/calendar", ".ics"},
	    {"text/csv", ".csv"},           {"audio/mpeg", ".mp3"},
	    {"video/mp4", ".mp4"},
	};
	mf_str ty = mf_part_type(p), sub = mf_part_subtype(p);
	char ct[300];
	size_t i;

	snprintf(ct, sizeof(ct), MF_STR_FMT "/" MF_STR_FMT, MF_STR_ARG(ty),
	         MF_STR_ARG(sub));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(ct, t[i].type) == 0)
			return t[i].ext;
	return ".bin";
}

/* File names: at most 200 bytes (room for "-N" on any file system). */
#define NAME_MAX_LEN 200

/* Creates DIR/name (or name-N.ext) exclusively; the name used in got. */
static int
create(const char *dir, const char *name, char *got, size_t cap)
{
	const char *dot = strrchr(name, '.');
	size_t base =
	    dot != NULL && dot != name ? (size_t)(dot - name) : strlen(name);
	char path[4096];
	int i, fd;

	for (i = 0; i < 100000; i++) {
		if (i == 0)
			snprintf(got, cap, "%s", name);
		else
			snprintf(got, cap, "%.*s-%d%s", (int)base, name, i,
			         name + base);
		snprintf(path, sizeof(path), "%s/%s", dir, got);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

struct extract {
	const char *dir;
	size_t count; /* parts seen */
	mf_buf *b;
	int rc;
};

static void
extract_one(struct extract *x, const mf_part *p)
{
	char name[NAME_MAX_LEN + 1], got[NAME_MAX_LEN + 64];
	mf_str fn = mf_part_filename(p);
	int fd;

	mf_buf_clear(x->b);
	if (mf_part_decode(p, x->b, 0, NULL, NULL, NULL) != MF_OK) {
		fprintf(stderr, "mailfmt: part %zu: cannot decode\n", x->count);
		x->rc = CLI_BAD_INPUT;
		return;
	}
	if (mf_filename_safe(name, sizeof(name), fn.ptr, fn.len, NULL) !=
	        MF_OK ||
	    name[0] == '\0')
		snprintf(name, sizeof(name), "part-%zu%s", x->count,
		         extension(p));
	fd = create(x->dir, name, got, sizeof(got));
	if (fd < 0 || write_all(fd, mf_buf_data(x->b), mf_buf_len(x->b)) < 0) {
		fprintf(stderr, "mailfmt: %s/%s: %s\n", x->dir, got,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		x->rc = CLI_BAD_INPUT;
		return;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "mailfmt: %s/%s: %s\n", x->dir, got,
		        strerror(errno));
		x->rc = CLI_BAD_INPUT;
		return;
	}
	printf("%zu %s\n", mf_buf_len(x->b), got);
}

/* The parts of the message in tree order, embedded messages not entered. */
static void
extract_walk(struct extract *x, const mf_part *p)
{
	size_t i;

	x->count++;
	if (x->rc != CLI_OK)
		return;
	if (mf_part_kind(p) == MF_PART_MULTIPART) {
		for (i = 0; i < mf_part_child_count(p) && x->rc == CLI_OK; i++)
			extract_walk(x, mf_part_child(p, i));
		return;
	}
	if (mf_part_is_attachment(p, MF_ATTACH_JMAP) == 1 ||
	    !mf_str_eq(mf_part_type(p), MF_STR("text")))
		extract_one(x, p);
}

int
cmd_extract(int argc, char **argv)
{
	struct extract x;
	mf_msg *m;
	char *in;
	int rc;

	if (argc != 3 || (argv[1][0] == '-' && argv[1][1] != '\0') ||
	    argv[2][0] == '\0')
		return cli_usage("extract FILE DIR");
	rc = read_msg(argv[1], NULL, &in, &m);
	if (rc != CLI_OK)
		return rc;
	if (mkdir(argv[2], 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "mailfmt: %s: %s\n", argv[2], strerror(errno));
		mf_msg_free(m);
		free(in);
		return CLI_BAD_INPUT;
	}
	memset(&x, 0, sizeof(x));
	x.dir = argv[2];
	x.b = mf_buf_new(NULL);
	if (x.b == NULL) {
		fprintf(stderr, "mailfmt: out of memory\n");
		x.rc = CLI_BAD_INPUT;
	} else {
		extract_walk(&x, mf_msg_root(m));
	}
	mf_buf_free(x.b);
	mf_msg_free(m);
	free(in);
	if (fflush(stdout) != 0)
		return CLI_BAD_INPUT;
	return x.rc;
}
