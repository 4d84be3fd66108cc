/* SPDX-License-Identifier: MIT */
/*
 * cmd_codec.c - the transfer-encoding subcommands:
 *   mailfmt b64 encode [--wrap N] [--lf] [FILE]
 *   mailfmt b64 decode [--strict] [FILE]
 *   mailfmt qp encode [--binary] [--lf] [FILE]
 *   mailfmt qp decode [--strict] [FILE]
 * Each streams FILE (or stdin) through the streaming codec in 64 KiB reads,
 * so input of any size works in constant memory. Both share one option
 * parser and one streaming loop; what differs is in struct codec. QP
 * decoding is lenient as RFC 2045 6.7 advises; --strict (an addition to
 * the contract) makes invalid input exit 1 with its offset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CHUNK 65536

/* An option: for the encoder or the decoder; a flag, or --wrap N. */
struct opt {
	const char *name;
	int enc;
	unsigned flag; /* 0: takes a number */
};

struct codec {
	int qp; /* else base64 */
	const char *usage;
	struct opt opts[3];
};

static const struct codec b64 = {
    0,
    "b64 encode [--wrap N] [--lf] [FILE] | b64 decode [--strict] [FILE]",
    {{"--wrap", 1, 0}, {"--lf", 1, MF_LF}, {"--strict", 0, MF_STRICT}},
};

static const struct codec qp = {
    1,
    "qp encode [--binary] [--lf] [FILE] | qp decode [--strict] [FILE]",
    {{"--binary", 1, MF_QP_BINARY},
     {"--lf", 1, MF_LF},
     {"--strict", 0, MF_STRICT}},
};

/* The streaming state of either codec in either direction. */
union state {
	mf_b64_enc b64e;
	mf_b64_dec b64d;
	mf_qp_enc qpe;
	mf_qp_dec qpd;
};

/* A run: the codec, the direction and what the options chose. */
struct run {
	const struct codec *c;
	int enc;
	unsigned flags;
	size_t wrap;
	union state st;
};

static size_t
out_room(const struct run *r)
{
	if (r->enc)
		return r->c->qp
		           ? mf_qp_encoded_len(CHUNK, r->flags)
		           : mf_b64_encoded_len(CHUNK + 2, r->wrap, r->flags);
	return r->c->qp ? mf_qp_decoded_len(CHUNK) : mf_b64_decoded_len(CHUNK);
}

static int
init(struct run *r)
{
	memset(&r->st, 0, sizeof(r->st));
	if (r->enc && r->c->qp)
		return mf_qp_enc_init(&r->st.qpe, r->flags);
	if (r->enc)
		return mf_b64_enc_init(&r->st.b64e, r->wrap, r->flags);
	if (r->c->qp)
		r->st.qpd.flags = r->flags;
	else
		r->st.b64d.flags = r->flags;
	return MF_OK;
}

/* One update, or with in NULL the final call. */
static int
step(struct run *r, char *out, size_t cap, const char *in, size_t n,
     size_t *len, mf_error *err)
{
	union state *st = &r->st;

	if (r->enc && r->c->qp)
		return in ? mf_qp_enc_update(&st->qpe, out, cap, in, n, len)
		          : mf_qp_enc_final(&st->qpe, out, cap, len);
	if (r->enc)
		return in ? mf_b64_enc_update(&st->b64e, out, cap, in, n, len)
		          : mf_b64_enc_final(&st->b64e, out, cap, len);
	if (r->c->qp)
		return in ? mf_qp_dec_update(&st->qpd, out, cap, in, n, len,
		                             err)
		          : mf_qp_dec_final(&st->qpd, out, cap, len, err);
	return in ? mf_b64_dec_update(&st->b64d, out, cap, in, n, len, err)
	          : mf_b64_dec_final(&st->b64d, out, cap, len, err);
}

/* Streams f through the codec to stdout. */
static int
stream(struct run *r, FILE *f)
{
	static char in[CHUNK];
	size_t cap = out_room(r), n, len = 0;
	char *out = malloc(cap);
	mf_error err;
	int rc = CLI_OK, s;

	if (out == NULL || init(r) < 0) {
		fprintf(stderr, "mailfmt: %s\n",
		        out == NULL ? "out of memory" : "invalid options");
		free(out);
		return CLI_BAD_INPUT;
	}
	memset(&err, 0, sizeof(err));
	do {
		n = fread(in, 1, sizeof(in), f);
		if (n == 0 && ferror(f)) {
			fprintf(stderr, "mailfmt: read error\n");
			rc = CLI_BAD_INPUT;
			break;
		}
		s = step(r, out, cap, n > 0 ? in : NULL, n, &len, &err);
		/* Output decoded before an error is still written. */
		if (cli_write(out, len) != 0) {
			rc = CLI_BAD_INPUT;
			break;
		}
		if (s < 0) {
			rc = r->enc ? CLI_BAD_INPUT : cli_fail(&err, s);
			break;
		}
	} while (n > 0);
	free(out);
	return rc;
}

static FILE *
open_in(const char *path)
{
	FILE *f;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdin;
	f = fopen(path, "rb");
	if (f == NULL)
		fprintf(stderr, "mailfmt: %s: %s\n", path, strerror(errno));
	return f;
}

/* argv: encode|decode, the options of c, [FILE]. */
static int
run_cmd(const struct codec *c, int argc, char **argv)
{
	const char *path = NULL;
	struct run r;
	int i, k, rc;
	FILE *f;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.wrap = MF_B64_LINE;
	if (argc < 2)
		return cli_usage(c->usage);
	if (strcmp(argv[1], "encode") == 0)
		r.enc = 1;
	else if (strcmp(argv[1], "decode") != 0)
		return cli_usage(c->usage);
	for (i = 2; i < argc; i++) {
		for (k = 0; k < 3; k++)
			if (c->opts[k].enc == r.enc &&
			    strcmp(argv[i], c->opts[k].name) == 0)
				break;
		if (k < 3 && c->opts[k].flag != 0) {
			r.flags |= c->opts[k].flag;
		} else if (k < 3 && i + 1 < argc) {
			long wrap = cli_num(argv[++i]);
			if (wrap < 0)
				return cli_usage(c->usage);
			r.wrap = (size_t)wrap;
		} else if (k < 3 || (argv[i][0] == '-' && argv[i][1] != '\0') ||
		           path != NULL) {
			return cli_usage(c->usage);
		} else {
			path = argv[i];
		}
	}
	f = open_in(path);
	if (f == NULL)
		return CLI_BAD_INPUT;
	rc = stream(&r, f);
	if (f != stdin)
		fclose(f);
	if (rc == CLI_OK && fflush(stdout) != 0)
		rc = CLI_BAD_INPUT;
	return rc;
}

int cmd_b64(int argc, char **argv);
int cmd_qp(int argc, char **argv);

int
cmd_b64(int argc, char **argv)
{
	return run_cmd(&b64, argc, argv);
}

int
cmd_qp(int argc, char **argv)
{
	return run_cmd(&qp, argc, argv);
}
