/* SPDX-License-Identifier: MIT */
/*
 * driver.c - a plain main for the libFuzzer targets, so that stored inputs
 * (test/fuzz/corpus/<target>/: seeds and minimised crashers) are replayed by
 * make test under gcc, the sanitizers and valgrind (SQLite fuzzcheck).
 * Usage: replay FILE|DIR...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n = 0;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return 1;
	}
	/* Exactly n bytes, so reading past the input is caught. */
	buf = malloc(n ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int
run(const char *path, size_t *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	d = opendir(path);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL) {
		char sub[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rc |= run(sub, count);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		rc |= run(argv[i], &count);
	printf("replay %s: %zu inputs\n", argc > 0 ? argv[0] : "?", count);
	return rc;
}
