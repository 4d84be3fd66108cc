/* SPDX-License-Identifier: MIT */
/*
 * cli.h - shared helpers of the mailfmt command line (examples/mailfmt.c):
 * input reading, error reporting in the contract's format, and a small
 * streaming JSON writer. Subcommands live in examples/cli/cmd_*.c.
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mailfmt.h"

#define CLI_OK 0
#define CLI_BAD_INPUT 1
#define CLI_USAGE 2

/* Reads path ("-" or NULL: stdin) whole; returns 0 or prints and returns 1. */
int cli_read(const char *path, char **p, size_t *n);
/* "mailfmt: <reason> at byte <offset>" on stderr; returns CLI_BAD_INPUT. */
int cli_fail(const mf_error *e, int rc);
/* "mailfmt: <msg>" on stderr plus the usage line; returns CLI_USAGE. */
int cli_usage(const char *usage);
/* Writes p[0..n) to stdout; returns 0 or 1 on a write error. */
int cli_write(const void *p, size_t n);
/* Parses a non-negative decimal; -1 if not one. */
long cli_num(const char *s);

/*
 * Iterates over the lines of p[0..n): each call gives the next line without
 * its line end (LF or CRLF). Returns 0 at the end.
 */
int cli_next_line(const char **p, const char *end, const char **line,
		  size_t *len);

/* JSON writer: commas and nesting handled; strings are made valid UTF-8. */
typedef struct cli_json {
	FILE *f;
	int depth;
	int need_comma[128];
	int after_key;
} cli_json;

void json_init(cli_json *j, FILE *f);
void json_obj(cli_json *j);
void json_obj_end(cli_json *j);
void json_arr(cli_json *j);
void json_arr_end(cli_json *j);
void json_key(cli_json *j, const char *k);
void json_str(cli_json *j, const char *p, size_t n);
void json_cstr(cli_json *j, const char *s); /* NULL writes null */
void json_null(cli_json *j);
void json_bool(cli_json *j, int v);
void json_u64(cli_json *j, uint64_t v);
void json_end(cli_json *j); /* final newline */

/*
 * Writes the items v[0..n) of an address list as the JSON of cli-json.md
 * (mailboxes and groups; a group left open is closed), without the
 * enclosing array. scratch is a work buffer. MF_OK or MF_E_NOMEM.
 */
int cli_json_addrs(cli_json *j, const mf_addr *v, size_t n, mf_buf *scratch);

/* Subcommands: argv[0] is the subcommand name. */
typedef int cli_cmd_fn(int argc, char **argv);

#endif /* CLI_H */
