/* SPDX-License-Identifier: MIT */
/*
 * mailfmt - the command line over the mailfmt library, for people and for
 * black-box tests. Its interface (subcommands, JSON keys, exit status) is a
 * contract: see cli-json.md in the design notes and mailfmt(3).
 *
 *   exit 0: success; 1: bad input ("mailfmt: <reason> at byte <offset>");
 *   2: usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* codecs */
extern cli_cmd_fn cmd_b64;
extern cli_cmd_fn cmd_qp;

/* codecs: ew */
extern cli_cmd_fn cmd_ew;

/* header fields: addr */
extern cli_cmd_fn cmd_addr;

/* header fields: date, fold */
extern cli_cmd_fn cmd_date;
extern cli_cmd_fn cmd_fold;

/* messages: rewrite, stat */
extern cli_cmd_fn cmd_rewrite;
extern cli_cmd_fn cmd_stat;

/* messages: tree, extract */
extern cli_cmd_fn cmd_tree;
extern cli_cmd_fn cmd_extract;

/* messages: build */
extern cli_cmd_fn cmd_build;

/* Subcommands, one file each under examples/cli/. */
static const struct {
	const char *name;
	cli_cmd_fn *fn;
	const char *help;
} cmds[] = {
	/* codecs: b64, qp */
	{"b64", cmd_b64, "base64: encode [--wrap N] [--lf] | decode [--strict]"},
	{"qp", cmd_qp, "quoted-printable: encode [--binary] [--lf] | decode"},

	/* codecs: ew */
	{"ew", cmd_ew, "RFC 2047 encoded words: decode | encode [--charset C] [--q|--b]"},

	/* header fields: addr, date, fold */
	{"date", cmd_date, "RFC 5322 dates to ISO 8601, one per line"},
	{"fold", cmd_fold, "fold header fields [--width N]"},
	{"addr", cmd_addr, "address list to JSON"},

	/* messages: rewrite, stat */
	{"rewrite", cmd_rewrite, "parse a message and write it back unchanged"},
	{"stat", cmd_stat, "stream messages: [--structure-only] [--mbox] FILE..."},

	/* messages: tree, extract */
	{"tree", cmd_tree, "a message as JSON: headers, addresses, parts"},
	{"extract", cmd_extract, "write attachments and non-text parts: FILE DIR"},

	/* messages: build */
	{"build", cmd_build, "a message from options and files (CRLF)"},

	{NULL, NULL, NULL},
};

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mailfmt SUBCOMMAND [OPTIONS] [FILE]\n"
		   "       mailfmt --version\nsubcommands:\n");
	for (i = 0; cmds[i].name != NULL; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	return CLI_USAGE;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--version") == 0) {
		printf("mailfmt %s\n", mf_version_string());
		return CLI_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	for (i = 0; cmds[i].name != NULL; i++) {
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "mailfmt: unknown subcommand '%s'\n", argv[1]);
	return usage(stderr);
}
