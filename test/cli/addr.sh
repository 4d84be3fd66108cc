#!/bin/sh
# addr.sh BUILD - the addr subcommand (cli-json.md) on a few lists, its
# exit codes, and the EXAMPLES of the address and content-type man pages
# compiled and run against the static library.
set -u
b=$1
m=$b/mailfmt
rc=0

check() { # input expected-json
	got=$(printf '%s' "$1" | $m addr)
	if [ "$got" != "$2" ]; then
		echo "addr: input: $1"; echo "  want: $2"; echo "  got:  $got"; rc=1
	fi
}

check 'John Doe <jdoe@example.com>' \
	'[{"name": "John Doe", "local": "jdoe", "domain": "example.com", "address": "jdoe@example.com"}]'
check 'doe@host.domain (John Doe)' \
	'[{"name": "John Doe", "local": "doe", "domain": "host.domain", "address": "doe@host.domain"}]'
check 'undisclosed-recipients:;' '[{"group": "undisclosed-recipients", "members": []}]'
check 'g: "a b"@x, <c@d>;, e@f' \
	'[{"group": "g", "members": [{"name": null, "local": "a b", "domain": "x", "address": "\"a b\"@x"}, {"name": null, "local": "c", "domain": "d", "address": "c@d"}]}, {"name": null, "local": "e", "domain": "f", "address": "e@f"}]'
check ', Doe, John <j@x>' \
	'[{"name": "Doe, John", "local": "j", "domain": "x", "address": "j@x"}]'
check '' '[]'
check '=?utf-8?q?J=C3=B6rg?= <j@x>, "=?ISO-8859-1?Q?caf=E9?=" <c@x>' \
	'[{"name": "Jörg", "local": "j", "domain": "x", "address": "j@x"}, {"name": "café", "local": "c", "domain": "x", "address": "c@x"}]'
printf 'a@b,\r\n c@d\r\n' | $m addr | grep -q '"address": "c@d"' || { echo "addr: folded input"; rc=1; }
$m addr /nonexistent/file >/dev/null 2>&1; [ $? = 1 ] || { echo "addr: missing file: want exit 1"; rc=1; }
$m addr a b >/dev/null 2>&1; [ $? = 2 ] || { echo "addr: two files: want exit 2"; rc=1; }

# Man page EXAMPLES must compile and run.
tmp=$b/manex
mkdir -p "$tmp"
for page in man/man3/mf_addr_parse.3 man/man3/mf_addr_format.3 \
	man/man3/mf_ctype_parse.3 man/man3/mf_disp_parse.3 man/man3/mf_cte_parse.3; do
	[ -f "$page" ] || continue
	name=$(basename "$page" .3)
	awk '/^\.Sh EXAMPLES/{ex=1; next} ex && /^\.Bd -literal/{on=1; next}
	     on && /^\.Ed/{exit} on' "$page" | sed -e 's/\\e/\\/g' -e 's/\\(dq/"/g' \
		> "$tmp/$name.c"
	if ! ${CC:-cc} -std=c11 -Wall -Werror -Iinclude -o "$tmp/$name" \
		"$tmp/$name.c" "$b/libmailfmt.a" 2> "$tmp/$name.log"; then
		echo "man example $page does not compile:"; cat "$tmp/$name.log"; rc=1
	elif ! "$tmp/$name" > "$tmp/$name.out"; then
		echo "man example $page failed"; rc=1
	fi
done
exit $rc
