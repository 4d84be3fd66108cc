#!/bin/sh
# codec.sh BUILD - the b64 and qp subcommands (cli-json.md): output bytes,
# options, FILE argument or stdin, exit status 1 with "mailfmt: <reason> at
# byte <offset>" on bad input and 2 on usage errors.
set -u
m=$1/mailfmt
tmp=$1/cli-codec
mkdir -p "$tmp"
rc=0
enc=test/corpus/mimekit/UnitTests/TestData/encoders

fail() { echo "codec.sh: $*"; rc=1; }

# want NAME EXPECTED-PRINTF-FORMAT CMD... (stdin from $in)
want() {
	name=$1 exp=$2; shift 2
	printf "$exp" > "$tmp/want"
	"$@" > "$tmp/got" 2> "$tmp/err" < "$tmp/in" || fail "$name: exit $?"
	cmp -s "$tmp/want" "$tmp/got" || fail "$name: output differs"
}
# status NAME CODE STDERR-PATTERN CMD...
status() {
	name=$1 code=$2 pat=$3; shift 3
	"$@" > "$tmp/got" 2> "$tmp/err" < "$tmp/in"
	got=$?
	[ "$got" = "$code" ] || fail "$name: exit $got, want $code"
	[ -z "$pat" ] || grep -q "$pat" "$tmp/err" || fail "$name: stderr '$(cat "$tmp/err")'"
}

printf 'hello world' > "$tmp/in"
want "b64 encode" 'aGVsbG8gd29ybGQ=\r\n' $m b64 encode
want "b64 encode --lf" 'aGVsbG8gd29ybGQ=\n' $m b64 encode --lf
want "b64 encode --wrap 8" 'aGVsbG8g\r\nd29ybGQ=\r\n' $m b64 encode --wrap 8
want "b64 encode --wrap 0" 'aGVsbG8gd29ybGQ=' $m b64 encode --wrap 0
printf 'aGVs bG8g\r\nd29y!bGQ=\r\n' > "$tmp/in"
want "b64 decode" 'hello world' $m b64 decode
status "b64 decode --strict" 1 '^mailfmt: .* at byte 15$' $m b64 decode --strict
printf 'aGVsbG8=\r\n' > "$tmp/in"
want "b64 decode --strict ok" 'hello' $m b64 decode --strict
printf 'aGVsbG8' > "$tmp/in"
status "b64 truncated strict" 1 'at byte 7$' $m b64 decode --strict
want "b64 truncated lenient" 'hello' $m b64 decode

printf 'caf\303\251 = ok \r\nFrom x\r\n' > "$tmp/in"
want "qp encode" 'caf=C3=A9 =3D ok=20\r\nFrom x\r\n' $m qp encode
want "qp encode --lf" 'caf=C3=A9 =3D ok=20\nFrom x\n' $m qp encode --lf
want "qp encode --binary" 'caf=C3=A9 =3D ok =0D=0AFrom x=0D=0A' $m qp encode --binary
printf 'caf=C3=A9 =3D=\r\nok  \r\nx=4g' > "$tmp/in"
want "qp decode" 'caf\303\251 =ok\r\nx=4g' $m qp decode
status "qp decode --strict" 1 '^mailfmt: .* at byte 25$' $m qp decode --strict

# Files: FILE argument, and the third-party pairs byte for byte.
: > "$tmp/in"
want "b64 decode FILE" '' true
$m b64 encode --lf "$enc/photo.jpg" > "$tmp/photo.b64" || fail "photo encode"
cmp -s "$tmp/photo.b64" "$enc/photo.b64" || fail "photo.jpg encode differs"
$m b64 decode --strict "$enc/photo.b64" > "$tmp/photo.jpg" || fail "photo decode"
cmp -s "$tmp/photo.jpg" "$enc/photo.jpg" || fail "photo.b64 decode differs"
$m qp decode "$enc/wikipedia.qp" > "$tmp/wiki.txt" || fail "wiki decode"
cmp -s "$tmp/wiki.txt" "$enc/wikipedia.txt" || fail "wikipedia.qp decode differs"
$m qp encode --binary "$enc/photo.jpg" | $m qp decode --strict > "$tmp/photo2" ||
	fail "qp binary round trip"
cmp -s "$tmp/photo2" "$enc/photo.jpg" || fail "qp binary round trip differs"

# Usage errors.
status "b64 no verb" 2 '' $m b64
status "b64 bad verb" 2 '' $m b64 frobnicate
status "b64 bad option" 2 '' $m b64 encode --strict
status "b64 bad wrap" 2 '' $m b64 encode --wrap x
status "qp bad option" 2 '' $m qp encode --wrap 3
status "two files" 2 '' $m qp decode a b
status "missing file" 1 '' $m qp decode "$tmp/does-not-exist"
exit $rc
