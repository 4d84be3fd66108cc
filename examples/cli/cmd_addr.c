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

static void
put_str(cli_json *j, mf_str s)
{
	json_str(j, s.len > 0 ? s.ptr : "", s.len);
}

static int
mailbox(cli_json *j, const mf_addr *a, mf_buf *b)
{
	json_obj(j);
	json_key(j, "name");
	if (a->name.len > 0)
		put_str(j, a->name);
	else
		json_null(j);
	json_key(j, "local");
	put_str(j, a->local);
	json_key(j, "domain");
	put_str(j, a->domain);
	json_key(j, "address");
	mf_buf_clear(b);
	if (mf_addr_spec_format(b, a) < 0) {
		/* A local part with CR, LF or NUL cannot be quoted: as is. */
		mf_buf_clear(b);
		if (mf_buf_append(b, a->local.ptr, a->local.len) < 0 ||
		    (a->domain.len > 0 &&
		     (mf_buf_append(b, "@", 1) < 0 ||
		      mf_buf_append(b, a->domain.ptr, a->domain.len) < 0)))
			return -1;
	}
	json_str(j, mf_buf_data(b), mf_buf_len(b));
	json_obj_end(j);
	return 0;
}

int
cmd_addr(int argc, char **argv)
{
	mf_addrs *l = NULL;
	mf_buf *b = NULL;
	mf_error e;
	cli_json j;
	char *p = NULL;
	size_t n = 0, i;
	int rc, in_group = 0;

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
	for (i = 0; i < mf_addrs_count(l); i++) {
		const mf_addr *a = mf_addrs_at(l, i);

		switch ((enum mf_addr_kind)a->kind) {
		case MF_ADDR_GROUP:
			json_obj(&j);
			json_key(&j, "group");
			put_str(&j, a->name);
			json_key(&j, "members");
			json_arr(&j);
			in_group = 1;
			break;
		case MF_ADDR_GROUP_END:
			if (in_group) {
				json_arr_end(&j);
				json_obj_end(&j);
				in_group = 0;
			}
			break;
		case MF_ADDR_MAILBOX:
			if (mailbox(&j, a, b) < 0)
				rc = MF_E_NOMEM;
			break;
		}
	}
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
