#!/bin/sh
# ew.sh BUILD - black-box tests of "mailfmt ew decode|encode" (cli-json.md).
set -u
m=$1/mailfmt
tmp=$1/cli-ew
mkdir -p "$tmp"
rc=0
fail() { echo "ew.sh: $*"; rc=1; }

# decode: one output line per input line, CRLF or LF input.
printf '%s\r\n%s\n%s' '=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=' \
	'Copy of Rapport fra Norges R=?iso-8859-1?Q?=E5?=fisklag.doc' \
	'plain =?utf-9?q?x?=' > "$tmp/in"
printf '%s\n%s\n%s\n' 'Hello world' 'Copy of Rapport fra Norges Råfisklag.doc' \
	'plain x' > "$tmp/want"
$m ew decode "$tmp/in" > "$tmp/got" || fail "decode exit $?"
cmp -s "$tmp/got" "$tmp/want" || fail "decode output: $(cat "$tmp/got")"
# stdin works too
$m ew decode < "$tmp/in" | cmp -s - "$tmp/want" || fail "decode stdin"

# encode: folded at 76 with LF, round trip through decode.
printf '%s\n%s\n' 'Grüße aus Zürich' \
	'Привет из России, and a long tail of plain words to force a fold here' \
	> "$tmp/u"
$m ew encode "$tmp/u" > "$tmp/e" || fail "encode exit $?"
grep -q '^=?utf-8?B?R3LDvMOfZQ==?= aus =?utf-8?Q?Z=C3=BCrich?=$' "$tmp/e" ||
	fail "encode output: $(head -1 "$tmp/e")"
awk 'length($0) > 76 { bad = 1 } END { exit bad }' "$tmp/e" || fail "line over 76"
LC_ALL=C grep -q '[^ -~]' "$tmp/e" && fail "8-bit byte in encoded output"
# unfold (a line starting with a space continues the previous one), decode
awk 'NR > 1 && /^ / { printf "%s", $0; next } NR > 1 { print "" } { printf "%s", $0 } END { print "" }' \
	"$tmp/e" > "$tmp/unfolded"
$m ew decode "$tmp/unfolded" | cmp -s - "$tmp/u" || fail "encode/decode round trip"
$m ew encode --q "$tmp/u" | grep -q '=?utf-8?Q?Gr=C3=BC=C3=9Fe?=' || fail "--q"
$m ew encode --b "$tmp/u" | grep -q '=?utf-8?B?WsO8cmljaA==?=' || fail "--b"
printf 'caf\303\251\n' | $m ew encode --charset latin1 --q |
	grep -qx '=?iso-8859-1?Q?caf=E9?=' || fail "--charset"

# usage errors: exit 2
$m ew >/dev/null 2>&1; [ $? = 2 ] || fail "no action: want exit 2"
$m ew frobnicate >/dev/null 2>&1; [ $? = 2 ] || fail "bad action: want 2"
$m ew encode --q --b </dev/null >/dev/null 2>&1; [ $? = 2 ] || fail "--q --b: want 2"
$m ew encode --charset utf-9 </dev/null >/dev/null 2>&1; [ $? = 2 ] ||
	fail "unknown charset: want 2"
$m ew decode --nope </dev/null >/dev/null 2>&1; [ $? = 2 ] || fail "bad option: want 2"
# missing file: exit 1
$m ew decode "$tmp/does-not-exist" >/dev/null 2>&1; [ $? = 1 ] || fail "missing file: want 1"
exit $rc
