/* SPDX-License-Identifier: MIT */
/*
 * cmd_fold.c - mailfmt fold [--width N] [FILE]: the input is header fields
 * ("Name: value" lines, possibly folded already; empty lines are skipped);
 * each is unfolded and printed folded per RFC 5322 at width N (default
 * 78), with LF line ends. Non-ASCII text is RFC 2047-encoded (7-bit
 * output); where it cannot be (an address's addr-spec, a structured field)
 * the field is written in UTF-8 as RFC 6532 allows. A line that is not a
 * field is bad input.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cmd_fold(int argc, char **argv);

#define USAGE "fold [--width N] [FILE]"

int
cmd_fold(int argc, char **argv)
{
	const char *path = NULL;
	char *in;
	size_t n, pos = 0, width = 78;
	mf_buf *u, *out;
	int rc, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--width") == 0 && i + 1 < argc) {
			long w = cli_num(argv[++i]);

			if (w < 1)
				return cli_usage(USAGE);
			width = (size_t)w;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_usage(USAGE);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return cli_usage(USAGE);
		}
	}
	rc = cli_read(path, &in, &n);
	if (rc != CLI_OK)
		return rc;
	u = mf_buf_new(NULL);
	out = mf_buf_new(NULL);
	if (u == NULL || out == NULL) {
		rc = cli_fail(NULL, MF_E_NOMEM);
		goto done;
	}
	while (pos < n && rc == CLI_OK) {
		mf_headers *h;
		mf_error e;
		size_t body, k;
		int r;

		r = mf_headers_parse(in + pos, n - pos, NULL, &h, &body, &e);
		if (r != MF_OK) {
			e.offset += pos;
			rc = cli_fail(&e, r);
			break;
		}
		for (k = 0; k < mf_headers_count(h) && rc == CLI_OK; k++) {
			const mf_field *f = mf_headers_at(h, k);
			unsigned fl = MF_LF;

			mf_buf_clear(u);
			mf_buf_clear(out);
			r = mf_hdr_unfold(u, f->value.ptr, f->value.len);
			if (r == MF_OK && f->name.len == 0)
				r = MF_E_SYNTAX;
			if (r == MF_OK)
				r = mf_hdr_fold(out, f->name.ptr, f->name.len,
						mf_buf_data(u), mf_buf_len(u), fl,
						width, &e);
			/* What 7-bit output cannot carry goes out as UTF-8. */
			if (r == MF_E_UTF8_OUT)
				r = mf_hdr_fold(out, f->name.ptr, f->name.len,
						mf_buf_data(u), mf_buf_len(u),
						fl | MF_UTF8_OUT, width, &e);
			if (r != MF_OK) {
				e.code = r;
				e.offset = pos + (size_t)f->offset;
				e.reason = r == MF_E_SYNTAX
					       ? "continuation line without a field"
					       : mf_strerror(r);
				rc = cli_fail(&e, r);
				break;
			}
			rc = cli_write(mf_buf_data(out), mf_buf_len(out));
		}
		if (rc == CLI_OK &&
		    (mf_headers_defects(h) & MF_DEFECT_BIT(MF_D_NO_BLANK_LINE))) {
			e.code = MF_E_SYNTAX;
			e.offset = pos + body;
			e.reason = "not a header field";
			rc = cli_fail(&e, MF_E_SYNTAX);
		}
		mf_headers_free(h);
		if (body == 0)
			break;
		pos += body;
	}
done:
	mf_buf_free(u);
	mf_buf_free(out);
	free(in);
	return rc;
}
