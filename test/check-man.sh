#!/bin/sh
# check-man.sh - the man pages: every page lints clean with mandoc
# (-Tlint -W warning; make test installs mandoc when it is missing), and
# mailfmt(3), the map, lists every other page.
set -eu
if ! command -v mandoc >/dev/null 2>&1; then
	echo "check-man: mandoc is missing (apt-get install -y mandoc)"
	exit 1
fi
fail=0
out=$(mandoc -Tlint -W warning man/man3/*.3 2>&1 || true)
# Pages name their library with .Lb libmailfmt, unknown to mandoc.
out=$(printf '%s\n' "$out" | grep -v 'unknown library name: Lb libmailfmt' | grep . || true)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	fail=1
fi
for f in man/man3/*.3; do
	p=$(basename "$f" .3)
	[ "$p" = mailfmt ] && continue
	if ! grep -q "^\.It Xr $p 3$" man/man3/mailfmt.3; then
		echo "check-man: $p(3) is not listed in mailfmt(3) (a line .It Xr $p 3 in its task map)"
		fail=1
	fi
done
[ $fail = 0 ] && echo "check-man: $(ls man/man3/*.3 | wc -l) pages lint clean, all in the map of mailfmt(3)"
exit $fail
