/* SPDX-License-Identifier: MIT */
/*
 * cmd_ew.c - mailfmt ew decode | ew encode [--charset C] [--q|--b] [FILE]
 *
 * decode: each input line is an unstructured header value; prints it
 * RFC 2047-decoded to UTF-8, one line per input line.
 * encode: each input line (UTF-8) is printed as a header value with
 * encoded words where needed, folded at 76 columns (LF line ends, the
 * value starting at column 0).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cmd_ew(int argc, char **argv);

static const char ew_usage[] =
    "ew decode [FILE] | ew encode [--charset C] [--q|--b] [FILE]";

int
cmd_ew(int argc, char **argv)
{
	const char *file = NULL, *charset = NULL, *line;
	mf_opts safe = {.flags = MF_SAFE_TEXT};
	unsigned flags = 0;
	int encode, i, rc = CLI_OK;
	size_t n, len;
	char *in;
	const char *p, *end;
	mf_buf *b;

	if (argc < 2)
		return cli_usage(ew_usage);
	if (strcmp(argv[1], "decode") == 0)
		encode = 0;
	else if (strcmp(argv[1], "encode") == 0)
		encode = 1;
	else
		return cli_usage(ew_usage);
	for (i = 2; i < argc; i++) {
		if (encode && strcmp(argv[i], "--charset") == 0 &&
		    i + 1 < argc) {
			charset = argv[++i];
		} else if (encode && strcmp(argv[i], "--q") == 0) {
			flags |= MF_EW_Q;
		} else if (encode && strcmp(argv[i], "--b") == 0) {
			flags |= MF_EW_B;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_usage(ew_usage);
		} else if (file == NULL) {
			file = argv[i];
		} else {
			return cli_usage(ew_usage);
		}
	}
	if ((flags & MF_EW_Q) && (flags & MF_EW_B))
		return cli_usage(ew_usage);
	if (charset != NULL && mf_charset_name(charset, strlen(charset)) ==
				   NULL &&
	    !mf_charset_known(charset, strlen(charset), NULL)) {
		fprintf(stderr, "mailfmt: unknown charset '%s'\n", charset);
		return cli_usage(ew_usage);
	}
	if (cli_read(file, &in, &n) != CLI_OK)
		return CLI_BAD_INPUT;
	b = mf_buf_new(NULL);
	if (b == NULL) {
		free(in);
		fprintf(stderr, "mailfmt: out of memory\n");
		return CLI_BAD_INPUT;
	}
	p = in;
	end = in + n;
	while (rc == CLI_OK && cli_next_line(&p, end, &line, &len)) {
		mf_error err;
		int r;

		mf_buf_clear(b);
		memset(&err, 0, sizeof(err));
		if (encode)
			r = mf_ew_encode(b, line, len, charset, flags | MF_LF,
					 0, 76);
		else
			/* Controls (a decoded CR, LF or ESC) would break the
			 * one-line-per-value output or drive the terminal. */
			r = mf_ew_decode(b, line, len, &safe, NULL, &err);
		if (r < 0) {
			/* Offsets count from the start of the input. */
			if (err.code == 0) {
				err.code = r;
				err.reason = mf_strerror(r);
			}
			err.offset += (size_t)(line - in);
			rc = cli_fail(&err, r);
			break;
		}
		if (mf_buf_append(b, "\n", 1) != MF_OK) {
			rc = cli_fail(NULL, MF_E_NOMEM);
			break;
		}
		rc = cli_write(mf_buf_data(b), mf_buf_len(b));
	}
	mf_buf_free(b);
	free(in);
	return rc;
}
