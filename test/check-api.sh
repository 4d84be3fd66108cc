#!/bin/sh
# check-api.sh BUILD SHARED - the ABI sync check (curl test1119/1139):
#  1. every MF_API function in include/mailfmt.h is in lib/libmailfmt.map,
#     exported by the shared library, and named in a man page;
#  2. the shared library exports nothing that is not an mf_* MF_API function;
#  3. a program linked against the shared library sees the header's version.
set -eu
build=$1
shared=$2
tmp=$build/api
mkdir -p "$tmp"
fail=0

# MF_API prototypes: join lines, split at ';', keep the name before '('.
tr '\n' ' ' < include/mailfmt.h | tr ';' '\n' | grep 'MF_API' |
	sed -n 's/.*[^a-z0-9_]\(mf_[a-z0-9_]*\) *(.*/\1/p' | sort -u > "$tmp/header"
grep -o '^[[:space:]]*mf_[a-z0-9_]*;' lib/libmailfmt.map | tr -d ' \t;' |
	sort > "$tmp/map.all"
sort -u "$tmp/map.all" > "$tmp/map"
nm -D --defined-only "$shared" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
	sed 's/@.*//' | sort -u > "$tmp/nm"

if [ ! -s "$tmp/header" ]; then
	echo "check-api: no MF_API functions found in the header"; exit 1
fi
if ! cmp -s "$tmp/map.all" "$tmp/map"; then
	echo "check-api: duplicate entries in lib/libmailfmt.map:"
	uniq -d "$tmp/map.all"; fail=1
fi
if ! diff -u "$tmp/header" "$tmp/map" > "$tmp/diff.map"; then
	echo "check-api: header (-) and lib/libmailfmt.map (+) disagree:"
	cat "$tmp/diff.map"; fail=1
fi
if ! diff -u "$tmp/header" "$tmp/nm" > "$tmp/diff.nm"; then
	echo "check-api: header (-) and exported symbols (+) disagree:"
	cat "$tmp/diff.nm"; fail=1
fi
if grep -v '^mf_' "$tmp/nm"; then
	echo "check-api: the symbols above are exported but are not mf_*"; fail=1
fi
for f in $(cat "$tmp/header"); do
	if ! grep -qsw -- "$f" man/man3/*.3; then
		echo "check-api: $f appears in no man page"; fail=1
	fi
done

# Link a program against the shared library and compare versions.
cat > "$tmp/ver.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "mailfmt.h"
int main(void)
{
	if (mf_version() != MF_VERSION_NUM ||
	    strcmp(mf_version_string(), MF_VERSION_STRING) != 0) {
		printf("header %s, library %s\n", MF_VERSION_STRING,
		       mf_version_string());
		return 1;
	}
	return 0;
}
C
${CC:-cc} -std=c11 -Wall -Werror -Iinclude -o "$tmp/ver" "$tmp/ver.c" \
	-L"$build" -lmailfmt
LD_LIBRARY_PATH="$build" "$tmp/ver" || { echo "check-api: version mismatch"; fail=1; }
soname=$(readelf -d "$shared" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
case $soname in
libmailfmt.so.*) ;;
*) echo "check-api: bad SONAME '$soname'"; fail=1 ;;
esac

[ $fail = 0 ] && echo "check-api: $(wc -l < "$tmp/header") functions: header, map, exports and man pages agree"
exit $fail
