/* SPDX-License-Identifier: MIT */
/*
 * cmd_qp.c - mailfmt qp encode [--binary] [--lf] [FILE]
 *            mailfmt qp decode [--strict] [FILE]
 * Streams FILE (or stdin) through the streaming codec in 64 KiB reads.
 * Decoding is lenient as RFC 2045 6.7 advises; --strict (an addition to
 * the contract) makes invalid escapes exit 1 with their offset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define QP_USAGE                                                               \
	"qp encode [--binary] [--lf] [FILE] | qp decode [--strict] [FILE]"
#define CHUNK 65536

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

static int
encode(FILE *f, unsigned flags)
{
	static char in[CHUNK];
	size_t cap = mf_qp_encoded_len(CHUNK, flags), n, len;
	char *out = malloc(cap);
	mf_qp_enc st;
	int rc = CLI_OK;

	if (out == NULL) {
		fprintf(stderr, "mailfmt: out of memory\n");
		return CLI_BAD_INPUT;
	}
	mf_qp_enc_init(&st, flags);
	while ((n = fread(in, 1, sizeof(in), f)) > 0) {
		if (mf_qp_enc_update(&st, out, cap, in, n, &len) < 0 ||
		    cli_write(out, len) != 0) {
			rc = CLI_BAD_INPUT;
			goto done;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "mailfmt: read error\n");
		rc = CLI_BAD_INPUT;
	} else if (mf_qp_enc_final(&st, out, cap, &len) < 0 ||
	           cli_write(out, len) != 0) {
		rc = CLI_BAD_INPUT;
	}
done:
	free(out);
	return rc;
}

static int
decode(FILE *f, unsigned flags)
{
	static char in[CHUNK];
	size_t cap = mf_qp_decoded_len(CHUNK), n, len;
	char *out = malloc(cap);
	mf_qp_dec st;
	mf_error err;
	int rc = CLI_OK, r;

	if (out == NULL) {
		fprintf(stderr, "mailfmt: out of memory\n");
		return CLI_BAD_INPUT;
	}
	memset(&st, 0, sizeof(st));
	st.flags = flags;
	while ((n = fread(in, 1, sizeof(in), f)) > 0) {
		r = mf_qp_dec_update(&st, out, cap, in, n, &len, &err);
		if (cli_write(out, len) != 0) {
			rc = CLI_BAD_INPUT;
			goto done;
		}
		if (r < 0) {
			rc = cli_fail(&err, r);
			goto done;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "mailfmt: read error\n");
		rc = CLI_BAD_INPUT;
		goto done;
	}
	r = mf_qp_dec_final(&st, out, cap, &len, &err);
	if (r < 0)
		rc = cli_fail(&err, r);
	else if (cli_write(out, len) != 0)
		rc = CLI_BAD_INPUT;
done:
	free(out);
	return rc;
}

int cmd_qp(int argc, char **argv);

int
cmd_qp(int argc, char **argv)
{
	const char *path = NULL;
	unsigned flags = 0;
	int enc, i, rc;
	FILE *f;

	if (argc < 2)
		return cli_usage(QP_USAGE);
	if (strcmp(argv[1], "encode") == 0)
		enc = 1;
	else if (strcmp(argv[1], "decode") == 0)
		enc = 0;
	else
		return cli_usage(QP_USAGE);
	for (i = 2; i < argc; i++) {
		if (enc && strcmp(argv[i], "--binary") == 0) {
			flags |= MF_QP_BINARY;
		} else if (enc && strcmp(argv[i], "--lf") == 0) {
			flags |= MF_QP_LF;
		} else if (!enc && strcmp(argv[i], "--strict") == 0) {
			flags |= MF_QP_STRICT;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_usage(QP_USAGE);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return cli_usage(QP_USAGE);
		}
	}
	f = open_in(path);
	if (f == NULL)
		return CLI_BAD_INPUT;
	rc = enc ? encode(f, flags) : decode(f, flags);
	if (f != stdin)
		fclose(f);
	if (rc == CLI_OK && fflush(stdout) != 0)
		rc = CLI_BAD_INPUT;
	return rc;
}
