#!/bin/sh
# readme.sh BUILD - the README's C example compiles against the library and
# runs.
set -eu
build=$1
out=$build/readme
mkdir -p "$out"
awk '/^```c$/{on=1;next} /^```$/{if(on){on=0;exit}} on' README.md > "$out/example.c"
[ -s "$out/example.c" ] || { echo "no C example in README.md"; exit 1; }
${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude -o "$out/example" \
	"$out/example.c" "$build/libmailfmt.a"
"$out/example" > "$out/example.out"
