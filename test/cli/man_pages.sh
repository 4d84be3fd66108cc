#!/bin/sh
# man_pages.sh BUILD - the EXAMPLES of every man page that has them
# compile against the library and run successfully (the man_*.sh scripts
# check what some of them print), so that no example a reader copies has
# gone stale.
set -eu
. test/man-examples.sh
pages=
for f in man/man3/*.3; do
	grep -q '^\.Sh EXAMPLES' "$f" && pages="$pages $(basename "$f" .3)"
done
# shellcheck disable=SC2086
man_examples "$1" $pages
