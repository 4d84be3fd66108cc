/* SPDX-License-Identifier: MIT */
/*
 * cmd_b64.c - mailfmt b64 encode [--wrap N] [--lf] [FILE]
 *             mailfmt b64 decode [--strict] [FILE]
 * Streams FILE (or stdin) through the streaming codec in 64 KiB reads, so
 * input of any size works in constant memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define B64_USAGE                                                              \
	"b64 encode [--wrap N] [--lf] [FILE] | b64 decode [--strict] [FILE]"
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
encode(FILE *f, size_t wrap, unsigned flags)
{
	static char in[CHUNK];
	char *out;
	size_t cap = mf_b64_encoded_len(CHUNK + 2, wrap, flags), n, len;
	mf_b64_enc st;
	int rc = CLI_OK;

	out = malloc(cap);
	if (out == NULL) {
		fprintf(stderr, "mailfmt: out of memory\n");
		return CLI_BAD_INPUT;
	}
	mf_b64_enc_init(&st, wrap, flags);
	while ((n = fread(in, 1, sizeof(in), f)) > 0) {
		if (mf_b64_enc_update(&st, out, cap, in, n, &len) < 0 ||
		    cli_write(out, len) != 0) {
			rc = CLI_BAD_INPUT;
			goto done;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "mailfmt: read error\n");
		rc = CLI_BAD_INPUT;
	} else if (mf_b64_enc_final(&st, out, cap, &len) < 0 ||
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
	static char out[CHUNK];
	mf_b64_dec st;
	mf_error err;
	size_t n, len;
	int rc;

	memset(&st, 0, sizeof(st));
	st.flags = flags;
	while ((n = fread(in, 1, sizeof(in), f)) > 0) {
		rc =
		    mf_b64_dec_update(&st, out, sizeof(out), in, n, &len, &err);
		/* Output decoded before an error is still written. */
		if (cli_write(out, len) != 0)
			return CLI_BAD_INPUT;
		if (rc < 0)
			return cli_fail(&err, rc);
	}
	if (ferror(f)) {
		fprintf(stderr, "mailfmt: read error\n");
		return CLI_BAD_INPUT;
	}
	rc = mf_b64_dec_final(&st, out, sizeof(out), &len, &err);
	if (rc < 0)
		return cli_fail(&err, rc);
	return cli_write(out, len) != 0 ? CLI_BAD_INPUT : CLI_OK;
}

int cmd_b64(int argc, char **argv);

int
cmd_b64(int argc, char **argv)
{
	const char *path = NULL;
	unsigned flags = 0;
	long wrap = MF_B64_LINE;
	int enc, i, rc;
	FILE *f;

	if (argc < 2)
		return cli_usage(B64_USAGE);
	if (strcmp(argv[1], "encode") == 0)
		enc = 1;
	else if (strcmp(argv[1], "decode") == 0)
		enc = 0;
	else
		return cli_usage(B64_USAGE);
	for (i = 2; i < argc; i++) {
		if (enc && strcmp(argv[i], "--wrap") == 0 && i + 1 < argc) {
			wrap = cli_num(argv[++i]);
			if (wrap < 0)
				return cli_usage(B64_USAGE);
		} else if (enc && strcmp(argv[i], "--lf") == 0) {
			flags |= MF_B64_LF;
		} else if (!enc && strcmp(argv[i], "--strict") == 0) {
			flags |= MF_B64_STRICT;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_usage(B64_USAGE);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return cli_usage(B64_USAGE);
		}
	}
	f = open_in(path);
	if (f == NULL)
		return CLI_BAD_INPUT;
	rc = enc ? encode(f, (size_t)wrap, flags) : decode(f, flags);
	if (f != stdin)
		fclose(f);
	if (rc == CLI_OK && fflush(stdout) != 0)
		rc = CLI_BAD_INPUT;
	return rc;
}
