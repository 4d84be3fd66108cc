#!/bin/sh
# man_mime.sh BUILD - the EXAMPLES of the MIME man pages (push parser,
# tree, part accessors, writer, mbox) compile against the library and run
# successfully.
set -eu
build=$1
out=$build/man-ex
mkdir -p "$out"
rc=0
for page in mf_parser_new mf_msg_parse mf_part_type mf_msg_write mf_mbox_next; do
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
# What the examples print.
grep -q '^decoded 5 bytes$' "$out/mf_parser_new.out" || { echo "mf_parser_new example output"; rc=1; }
grep -q '^  message/rfc822' "$out/mf_msg_parse.out" || { echo "mf_msg_parse example output"; rc=1; }
grep -q '^    text/plain (10 body bytes)$' "$out/mf_msg_parse.out" || { echo "mf_msg_parse example output"; rc=1; }
grep -q 'attachment "résumé.pdf" base64' "$out/mf_part_type.out" || { echo "mf_part_type example output"; rc=1; }
grep -q '^identical: yes$' "$out/mf_msg_write.out" || { echo "mf_msg_write example output"; rc=1; }
grep -q '^From here$' "$out/mf_mbox_next.out" || { echo "mf_mbox_next example output"; rc=1; }
exit $rc
