/* SPDX-License-Identifier: MIT */
/*
 * cmd_addr.c - "mailfmt addr [FILE]": one address-list value (it may be
 * folded) parsed leniently and printed as a JSON array of mailboxes and
 * groups (cli-json.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cmd_addr(int argc, char **argv);

int
cmd_addr(int argc, char **argv)
{
	mf_addrs *l = NULL;
	mf_buf *b = NULL;
	mf_error e;
	cli_json j;
	char *p = NULL;
	size_t n = 0;
	int rc;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-' && argv[1][1] != '\0'))
		return cli_usage("addr [FILE]");
	if (cli_read(argc == 2 ? argv[1] : NULL, &p, &n) != 0)
		return CLI_BAD_INPUT;
	memset(&e, 0, sizeof(e));
	rc = mf_addrs_parse(p, n, NULL, &l, &e);
	if (rc < 0) {
		free(p);
		return cli_fail(&e, rc);
	}
	b = mf_buf_new(NULL);
	if (b == NULL) {
		mf_addrs_free(l);
		free(p);
		e.code = MF_E_NOMEM;
		e.offset = 0;
		e.reason = NULL;
		return cli_fail(&e, MF_E_NOMEM);
	}
	json_init(&j, stdout);
	json_arr(&j);
	rc = cli_json_addrs(&j, mf_addrs_at(l, 0), mf_addrs_count(l), b);
	json_arr_end(&j);
	json_end(&j);
	mf_buf_free(b);
	mf_addrs_free(l);
	free(p);
	if (rc < 0) {
		e.code = rc;
		e.offset = 0;
		e.reason = NULL;
		return cli_fail(&e, rc);
	}
	return fflush(stdout) == 0 ? CLI_OK : CLI_BAD_INPUT;
}
