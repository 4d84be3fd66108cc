#!/bin/sh
# man_content.sh BUILD - the EXAMPLES of the content man pages (decoding,
# uudecode, body selection) compile against the library, run, and print
# what the pages say they print.
set -eu
build=$1
out=$build/man-ex
mkdir -p "$out"
rc=0
for page in mf_part_content mf_uu_decode mf_msg_bodies; do
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
check() {
	if ! grep -qx -- "$2" "$out/$1.out"; then
		echo "$1 example output: want '$2', got:"; cat "$out/$1.out"; rc=1
	fi
}
check mf_part_content 'Grüße aus Zürich.'
check mf_uu_decode 'cat.txt: Cat'
check mf_msg_bodies 'text: text/plain image/png'
check mf_msg_bodies 'html: text/html image/png'
check mf_msg_bodies 'attachments: application/pdf'
exit $rc
