/* SPDX-License-Identifier: MIT */
/*
 * cmd_date.c - mailfmt date [FILE]: one RFC 5322 date value per input line,
 * printed as YYYY-MM-DDTHH:MM:SS+HH:MM with the original offset (-00:00
 * when it is unknown), or "invalid".
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cmd_date(int argc, char **argv);

int
cmd_date(int argc, char **argv)
{
	const char *path = NULL, *s, *end, *line;
	char *in;
	size_t n, len;
	int rc, i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("date [FILE]");
		if (path != NULL)
			return cli_usage("date [FILE]");
		path = argv[i];
	}
	rc = cli_read(path, &in, &n);
	if (rc != CLI_OK)
		return rc;
	s = in;
	end = in + n;
	while (rc == CLI_OK && cli_next_line(&s, end, &line, &len)) {
		mf_date d;
		char out[40];
		size_t olen = 0;

		if (mf_date_parse(line, len, NULL, &d, NULL, NULL) == MF_OK &&
		    mf_date_format(out, sizeof(out), &d, MF_DATE_ISO, &olen) ==
			MF_OK)
			rc = cli_write(out, olen);
		else
			rc = cli_write("invalid", 7);
		if (rc == CLI_OK)
			rc = cli_write("\n", 1);
	}
	free(in);
	return rc;
}
