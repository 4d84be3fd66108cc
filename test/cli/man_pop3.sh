#!/bin/sh
# man_pop3.sh BUILD - the EXAMPLES of the POP3 man pages compile against
# the library, run, and print what the pages say they print.
set -eu
. test/man-examples.sh
rc=0
pages="mf_pop3_cmd_parse mf_pop3_reply_parse mf_pop3_apop_digest
	mf_pop3_server_init mf_pop3_client_init mf_pop3_serve"
man_examples "$1" $pages || rc=1
# The session examples write wire lines (CRLF); compare without the CR.
for p in mf_pop3_server_init mf_pop3_client_init mf_pop3_serve; do
	tr -d '\r' < "$man_out/$p.out" > "$man_out/$p.lf"
	mv "$man_out/$p.lf" "$man_out/$p.out"
done
# Each page's example output, as the page shows it.
for p in $pages; do
	awk '/^\.Sh EXAMPLES/{on=1} on&&/^prints|^writes/{want=1;next}
		want&&/^\.Bd/{lit=1;next} lit&&/^\.Ed/{exit} lit' \
		"man/man3/$p.3" | sed -e 's/^\\&//' > "$man_out/$p.want"
	[ -s "$man_out/$p.want" ] || continue
	if ! cmp -s "$man_out/$p.want" "$man_out/$p.out"; then
		echo "$p: example output differs from the page:"
		diff "$man_out/$p.want" "$man_out/$p.out" || true
		rc=1
	fi
done
man_expect mf_pop3_apop_digest 'APOP mrose c4c9334bac560ecc979e58001b3e22fb' || rc=1
exit $rc
