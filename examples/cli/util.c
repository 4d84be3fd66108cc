/* SPDX-License-Identifier: MIT */
/* util.c - input, errors and the JSON writer of the mailfmt CLI. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int
cli_read(const char *path, char **p, size_t *n)
{
	FILE *f = stdin;
	size_t len = 0, cap = 65536;
	char *buf;

	if (path != NULL && strcmp(path, "-") != 0) {
		f = fopen(path, "rb");
		if (f == NULL) {
			fprintf(stderr, "mailfmt: %s: %s\n", path,
				strerror(errno));
			return CLI_BAD_INPUT;
		}
	}
	buf = malloc(cap + 1);
	if (buf == NULL)
		goto nomem;
	for (;;) {
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len < cap) {
			if (ferror(f)) {
				fprintf(stderr, "mailfmt: read error\n");
				free(buf);
				if (f != stdin)
					fclose(f);
				return CLI_BAD_INPUT;
			}
			break;
		}
		{
			char *nb = realloc(buf, cap * 2 + 1);
			if (nb == NULL)
				goto nomem;
			buf = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	buf[len] = '\0';
	*p = buf;
	*n = len;
	return CLI_OK;
nomem:
	free(buf);
	if (f != stdin)
		fclose(f);
	fprintf(stderr, "mailfmt: out of memory\n");
	return CLI_BAD_INPUT;
}

int
cli_fail(const mf_error *e, int rc)
{
	if (e != NULL && e->code < 0)
		fprintf(stderr, "mailfmt: %s at byte %zu\n",
			e->reason ? e->reason : mf_strerror(e->code),
			e->offset);
	else
		fprintf(stderr, "mailfmt: %s at byte 0\n", mf_strerror(rc));
	return CLI_BAD_INPUT;
}

int
cli_usage(const char *usage)
{
	fprintf(stderr, "usage: mailfmt %s\n", usage);
	return CLI_USAGE;
}

int
cli_write(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n) {
		fprintf(stderr, "mailfmt: write error\n");
		return CLI_BAD_INPUT;
	}
	return CLI_OK;
}

long
cli_num(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 0)
		return -1;
	return v;
}

int
cli_next_line(const char **p, const char *end, const char **line,
	      size_t *len)
{
	const char *s = *p, *nl;

	if (s >= end)
		return 0;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (nl == NULL) {
		*line = s;
		*len = (size_t)(end - s);
		*p = end;
		return 1;
	}
	*line = s;
	*len = (size_t)(nl - s);
	if (*len > 0 && s[*len - 1] == '\r')
		(*len)--;
	*p = nl + 1;
	return 1;
}

/* ---------------------------------------------------------------- JSON */

void
json_init(cli_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void
json_sep(cli_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->need_comma[j->depth])
		fputs(", ", j->f);
	j->need_comma[j->depth] = 1;
}

static void
json_open(cli_json *j, char c)
{
	json_sep(j);
	fputc(c, j->f);
	if (j->depth < 127)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

static void
json_close(cli_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_obj(cli_json *j) { json_open(j, '{'); }
void json_obj_end(cli_json *j) { json_close(j, '}'); }
void json_arr(cli_json *j) { json_open(j, '['); }
void json_arr_end(cli_json *j) { json_close(j, ']'); }

static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80)
		return 2;
	if (c >= 0xE0 && c <= 0xEF && n >= 3 && (s[1] & 0xC0) == 0x80 &&
	    (s[2] & 0xC0) == 0x80 && !(c == 0xE0 && s[1] < 0xA0) &&
	    !(c == 0xED && s[1] > 0x9F))
		return 3;
	if (c >= 0xF0 && c <= 0xF4 && n >= 4 && (s[1] & 0xC0) == 0x80 &&
	    (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 &&
	    !(c == 0xF0 && s[1] < 0x90) && !(c == 0xF4 && s[1] > 0x8F))
		return 4;
	return 0;
}

static void
json_raw_str(FILE *f, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	fputc('"', f);
	while (i < n) {
		unsigned char c = s[i];
		size_t k;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c == '\r') {
			fputs("\\r", f);
			i++;
		} else if (c == '\t') {
			fputs("\\t", f);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else if ((k = utf8_len(s + i, n - i)) != 0) {
			/* C1 controls escaped too: the data stays exact and
			 * a terminal showing the JSON is safe (U+009B is a
			 * CSI). */
			if (k == 2 && c == 0xC2 && s[i + 1] < 0xA0)
				fprintf(f, "\\u%04x", s[i + 1]);
			else
				fwrite(s + i, 1, k, f);
			i += k;
		} else {
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
			i++;
		}
	}
	fputc('"', f);
}

void
json_key(cli_json *j, const char *k)
{
	json_sep(j);
	json_raw_str(j->f, k, strlen(k));
	fputs(": ", j->f);
	j->after_key = 1;
}

void
json_str(cli_json *j, const char *p, size_t n)
{
	json_sep(j);
	json_raw_str(j->f, p, n);
}

void
json_cstr(cli_json *j, const char *s)
{
	if (s == NULL)
		json_null(j);
	else
		json_str(j, s, strlen(s));
}

void
json_null(cli_json *j)
{
	json_sep(j);
	fputs("null", j->f);
}

void
json_bool(cli_json *j, int v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->f);
}

void
json_u64(cli_json *j, uint64_t v)
{
	json_sep(j);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void
json_end(cli_json *j)
{
	fputc('\n', j->f);
}
