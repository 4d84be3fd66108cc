#!/bin/sh
# examples.sh BUILD - black-box tests of the example programs: runs every
# test/cli/*.sh with BUILD as its argument; each exits non-zero on failure.
set -eu
build=$1
fail=0
for t in test/cli/*.sh; do
	[ -f "$t" ] || continue
	if sh "$t" "$build"; then
		echo "ok   $t"
	else
		echo "FAIL $t"; fail=1
	fi
done
exit $fail
