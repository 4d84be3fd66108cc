#!/bin/sh
# man_smtp.sh BUILD - the EXAMPLES of the dot-stuffing and SMTP man pages
# compile against the library, run, and print what the pages say.
set -eu
. test/man-examples.sh
rc=0
man_examples "$1" mf_dot_encode mf_dot_dec_update || rc=1
# Wire output has CRLF line ends: every line must, then compare without.
if tr -d '\r' < "$man_out/mf_dot_encode.out" | cmp -s - "$man_out/mf_dot_encode.out" ||
	[ "$(grep -c "$(printf '\r')\$" "$man_out/mf_dot_encode.out")" != 5 ]; then
	echo "mf_dot_encode example: want 5 CRLF lines"; rc=1
fi
tr -d '\r' < "$man_out/mf_dot_encode.out" > "$man_out/mf_dot_encode.lf"
mv "$man_out/mf_dot_encode.lf" "$man_out/mf_dot_encode.out"
man_expect mf_dot_encode '..profile' || rc=1
man_expect mf_dot_encode '.' || rc=1
man_expect mf_dot_dec_update '18 bytes of message, next: QUIT' || rc=1
exit $rc
