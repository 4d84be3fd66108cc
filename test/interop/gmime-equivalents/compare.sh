#!/bin/sh
# compare.sh BUILD - the task examples of examples/ against their GMime 3
# equivalents (this directory, built by make interop): the same output on
# the bundled sample mail, and both programs' lengths, total and without
# blank and comment lines (the numbers issue 11 asks to compare).
set -u
b=$1
d=examples/data
rc=0
code() { grep -cv '^[[:space:]]*$\|^[[:space:]]*/\{0,1\}\*' "$1"; }
for t in mbox-index text-body stream-parts; do
	case $t in
	mbox-index) in=$d/sample.mbox ;;
	*) in=$d/sample.eml ;;
	esac
	if [ "$t" = stream-parts ]; then
		"$b/$t" < "$in" > "$b/interop/$t.ours" || rc=1
		"$b/interop/gmime-$t" < "$in" > "$b/interop/$t.gmime" || rc=1
	else
		"$b/$t" "$in" > "$b/interop/$t.ours" || rc=1
		# GMime keeps the message's CRLF; text-body writes LF.
		"$b/interop/gmime-$t" "$in" | tr -d '\r' > "$b/interop/$t.gmime" || rc=1
	fi
	if ! cmp -s "$b/interop/$t.ours" "$b/interop/$t.gmime"; then
		echo "$t: mailfmt (<) and GMime (>) differ on $in"
		diff "$b/interop/$t.ours" "$b/interop/$t.gmime"
		rc=1
	fi
	g=test/interop/gmime-equivalents/$t.c
	printf '%-13s mailfmt %3d lines (%3d code)   GMime %3d lines (%3d code)\n' \
		"$t" "$(wc -l < "examples/$t.c")" "$(code "examples/$t.c")" \
		"$(wc -l < "$g")" "$(code "$g")"
done
exit $rc
