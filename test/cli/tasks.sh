#!/bin/sh
# tasks.sh BUILD - the task examples (examples/mbox-index.c, text-body.c,
# stream-parts.c) on the bundled sample mail: their exact output, their
# errors, and stream-parts on a message larger than the memory it may use.
set -u
b=$1
tmp=$b/cli-tasks
rm -rf "$tmp"
mkdir -p "$tmp"
rc=0
d=examples/data

check() { # NAME WANT-FILE GOT-FILE
	cmp -s "$2" "$3" && return 0
	echo "$1:"; diff "$2" "$3"; rc=1
}

tab=$(printf '\t')
cat > "$tmp/index.want" <<W
2026-11-30T09:00:00+00:00${tab}alice@example.org${tab}first
2026-11-30T10:00:00+00:00${tab}bob@example.net${tab}Re: first
2026-12-01T08:30:00+01:00${tab}carol@example.net${tab}Folien für Montag${tab}folien.pdf${tab}Tagesordnung März.ics
W
"$b/mbox-index" "$d/sample.mbox" > "$tmp/index.got" || { echo "mbox-index: exit status"; rc=1; }
check mbox-index "$tmp/index.want" "$tmp/index.got"

printf 'Hi Zoë,\n\nthe quarterly figures are attached. Grüße aus Zürich — and a long line that goes on and on so that quoted-printable has to break it with a soft line break somewhere.\n\n-- \nJürgen' > "$tmp/text.want"
"$b/text-body" "$d/sample.eml" > "$tmp/text.got" || { echo "text-body: exit status"; rc=1; }
check text-body "$tmp/text.want" "$tmp/text.got"
# Only an HTML body, an inline image, a terminal escape in the text.
printf 'Content-Type: multipart/related; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>hi\033[2J</p>\n--b\nContent-Type: image/png; name=a.png\n\nx\n--b--\n' > "$tmp/html.eml"
printf '<p>hi\357\277\275[2J</p>' > "$tmp/html.want"
"$b/text-body" "$tmp/html.eml" > "$tmp/html.got" || { echo "text-body html: exit status"; rc=1; }
check "text-body html" "$tmp/html.want" "$tmp/html.got"
printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n\nhello\n--b\nContent-Type: image/gif; name=i.gif\n\nGIF\n--b--\n' > "$tmp/img.eml"
printf 'hello[image/gif i.gif]\n' > "$tmp/img.want"
"$b/text-body" "$tmp/img.eml" > "$tmp/img.got"
check "text-body image" "$tmp/img.want" "$tmp/img.got"

cat > "$tmp/parts.want" <<'W'
multipart/mixed
  multipart/alternative
    text/plain 198 bytes
    text/html 63 bytes
  image/png 66 bytes attachment "döt.png"
  message/rfc822 attachment ""
    text/plain 28 bytes
W
"$b/stream-parts" < "$d/sample.eml" > "$tmp/parts.got" || { echo "stream-parts: exit status"; rc=1; }
check stream-parts "$tmp/parts.want" "$tmp/parts.got"

# Errors: usage, unreadable file (exit 1, a message on stderr).
for x in "mbox-index" "text-body" "mbox-index $tmp/none" "text-body $tmp/none"; do
	# shellcheck disable=SC2086
	if "$b/"$x > /dev/null 2> "$tmp/err"; then
		echo "$x: exit 0"; rc=1
	fi
	[ -s "$tmp/err" ] || { echo "$x: no message"; rc=1; }
done

# A 96 MB message streamed with 64 MB of address space: memory does not
# grow with the message (a base64 attachment of 70 MB decoded).
{
	printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n\ntext\n'
	printf -- '--b\nContent-Type: application/octet-stream; name=big.bin\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	yes QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB | head -n 1250000
	printf -- '--b--\n'
} > "$tmp/big.eml"
(ulimit -v 65536 && "$b/stream-parts" < "$tmp/big.eml") > "$tmp/big.got" ||
	{ echo "stream-parts: big message failed"; rc=1; }
printf 'multipart/mixed\n  text/plain 4 bytes\n  application/octet-stream 71250000 bytes attachment "big.bin"\n' > "$tmp/big.want"
check "stream-parts big" "$tmp/big.want" "$tmp/big.got"
rm -f "$tmp/big.eml"
exit $rc
