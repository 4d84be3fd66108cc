#!/bin/sh
# check-man.sh - lint every man page with mandoc when it is installed
# (Debian package mandoc); every page must be free of warnings.
set -eu
if ! command -v mandoc >/dev/null 2>&1; then
	echo "check-man: mandoc not installed, lint skipped (apt-get install mandoc)"
	exit 0
fi
out=$(mandoc -Tlint -W warning man/man3/*.3 2>&1 || true)
# Pages name their library with .Lb libmailfmt, unknown to mandoc.
out=$(printf '%s\n' "$out" | grep -v 'unknown library name: Lb libmailfmt' | grep . || true)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	exit 1
fi
echo "check-man: $(ls man/man3/*.3 | wc -l) pages lint clean"
