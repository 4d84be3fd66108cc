/* SPDX-License-Identifier: MIT */
/*
 * json_addr.c - address lists as JSON (cli-json.md), shared by the addr
 * and tree subcommands: an array of mailboxes {"name", "local", "domain",
 * "address"} and groups {"group", "members"}.
 */
#include "cli/cli.h"

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
cli_json_addrs(cli_json *j, const mf_addr *v, size_t n, mf_buf *scratch)
{
	size_t i;
	int rc = MF_OK, in_group = 0;

	for (i = 0; i < n; i++) {
		const mf_addr *a = &v[i];

		switch ((enum mf_addr_kind)a->kind) {
		case MF_ADDR_GROUP:
			json_obj(j);
			json_key(j, "group");
			put_str(j, a->name);
			json_key(j, "members");
			json_arr(j);
			in_group = 1;
			break;
		case MF_ADDR_GROUP_END:
			if (in_group) {
				json_arr_end(j);
				json_obj_end(j);
				in_group = 0;
			}
			break;
		case MF_ADDR_MAILBOX:
			if (mailbox(j, a, scratch) < 0)
				rc = MF_E_NOMEM;
			break;
		}
	}
	if (in_group) {
		json_arr_end(j);
		json_obj_end(j);
	}
	return rc;
}
