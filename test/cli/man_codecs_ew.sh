#!/bin/sh
# man_codecs_ew.sh BUILD - the EXAMPLES of the charset, RFC 2047 and RFC
# 2231 man pages compile against the library and run successfully.
set -eu
build=$1
out=$build/man-ex
mkdir -p "$out"
rc=0
for page in mf_charset_to_utf8 mf_ew_decode mf_ew_encode mf_rfc2231_decode; do
	f=man/man3/$page.3
	[ -f "$f" ] || { echo "missing $f"; rc=1; continue; }
	# The literal block after .Sh EXAMPLES, with mdoc escapes undone.
	awk '/^\.Sh EXAMPLES/{on=1;next} on&&/^\.Bd/{lit=1;next} lit&&/^\.Ed/{exit} lit' "$f" |
		sed -e 's/\\e/\\/g' -e 's/\\&//g' > "$out/$page.c"
	if ! ${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude -o "$out/$page" \
		"$out/$page.c" "$build/libmailfmt.a"; then
		echo "$f: EXAMPLES do not compile"; rc=1; continue
	fi
	"$out/$page" > "$out/$page.out" || { echo "$f: example failed"; rc=1; }
done
exit $rc
