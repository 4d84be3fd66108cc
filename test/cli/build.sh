#!/bin/sh
# build.sh BUILD - black-box tests of `mailfmt build` (cli-json.md): the
# message it prints is read back with `mailfmt tree` (every field and part
# checked, with python3 when the machine has it), its attachments are
# extracted with `mailfmt extract` and compared byte for byte with the
# files given, it is CRLF, 7-bit, lines <= 998 octets, and it writes back
# unchanged through `mailfmt rewrite`. Bad addresses and header injection
# are exit 1 with "mailfmt: <reason> at byte <offset>" and no output, bad
# options exit 2.
set -u
m=$1/mailfmt
tmp=$1/cli-build
rm -rf "$tmp"
mkdir -p "$tmp/in" "$tmp/out"
rc=0
py=
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json, zlib' 2>/dev/null; then
	py=python3
fi
fail() { echo "build: $*"; rc=1; }

# Inputs: UTF-8 text with LF line ends and a long line, HTML, a PNG by
# extension, 2 MiB of binary with a name that needs RFC 2231 (non-ASCII,
# quotes, a semicolon, spaces), a type given after ":", an empty file.
printf 'Grüße aus Zürich,\nΚαλημέρα, こんにちは.\n%0300d\n-- \nZoë\n' 0 > "$tmp/in/body.txt"
printf '<p>Grüße aus <b>Zürich</b></p>\n' > "$tmp/in/body.html"
cp examples/data/logo.png "$tmp/in/logo.png"
head -c 2097152 /dev/urandom > "$tmp/in/Bericht März; \"v2\" final.bin"
head -c 1000 /dev/urandom > "$tmp/in/data.xyz"
: > "$tmp/in/empty.dat"

subj='Zahlen für März — 第3四半期 (Q1)'
"$m" build --from 'Zoë Müller <zoe@example.org>' \
	--to 'Bob <bob@example.net>' --to '"Smith, Carol" <carol@example.net>' \
	--cc 'Δημήτρης <d@example.gr>' --subject "$subj" \
	--text "$tmp/in/body.txt" --html "$tmp/in/body.html" \
	--attach "$tmp/in/logo.png" \
	--attach "$tmp/in/Bericht März; \"v2\" final.bin" \
	--attach "$tmp/in/data.xyz:application/x-test" \
	--attach "$tmp/in/empty.dat" \
	--header 'X-Mailer: build.sh' --header 'X-Tag: one' \
	--header 'X-Note: Grüße aus Zürich' \
	--header 'X-Tag: two' \
	--header 'Date: Tue, 1 Dec 2026 10:15:00 +0100' \
	> "$tmp/full.eml" 2> "$tmp/full.err" || fail "full: exit status $(cat "$tmp/full.err")"

# The bytes: CRLF only, 7-bit, lines <= 998 octets.
if [ -s "$tmp/full.eml" ]; then
	lf=$(tr -d '\r' < "$tmp/full.eml" | wc -l)
	crlf=$(grep -c "$(printf '\r')\$" "$tmp/full.eml")
	[ "$lf" = "$crlf" ] || fail "full: $lf lines, $crlf end in CRLF"
	[ "$(tr -d '\r' < "$tmp/full.eml" | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "full: no line end at the end"
	LC_ALL=C tr -d '\r\n' < "$tmp/full.eml" | LC_ALL=C grep -q '[^ -~	]' &&
		fail "full: 8-bit or control bytes in the output"
	awk 'length($0) > 999 { exit 1 }' "$tmp/full.eml" || fail "full: a line over 998 octets"
	[ "$(grep -c '^Date:' "$tmp/full.eml")" = 1 ] || fail "full: Date fields"
	grep -q '^Date: Tue, 0\{0,1\}1 Dec 2026 10:15:00 +0100' "$tmp/full.eml" || fail "full: Date not the one given"
	[ "$(grep -ci '^MIME-Version: 1.0' "$tmp/full.eml")" = 1 ] || fail "full: MIME-Version"
	[ "$(grep -ci '^Message-ID: <' "$tmp/full.eml")" = 1 ] || fail "full: Message-ID"
	[ "$(grep -c '^X-Tag:' "$tmp/full.eml")" = 2 ] || fail "full: two X-Tag fields"
else
	fail "full: no output"
fi

# Parsed back, unchanged through the writer.
"$m" rewrite "$tmp/full.eml" > "$tmp/full.rw" || fail "rewrite: exit status"
cmp -s "$tmp/full.eml" "$tmp/full.rw" || fail "rewrite: not byte-identical"

# The attachments, decoded by extract, equal the files.
"$m" extract "$tmp/full.eml" "$tmp/out" > "$tmp/extract.txt" || fail "extract: exit status"
for f in logo.png data.xyz; do
	cmp -s "$tmp/in/$f" "$tmp/out/$f" || fail "extract: $f differs"
done
big=$(grep -F 'final.bin' "$tmp/extract.txt" | sed 's/^[0-9]* //')
[ -n "$big" ] && cmp -s "$tmp/in/Bericht März; \"v2\" final.bin" "$tmp/out/$big" ||
	fail "extract: the 2 MiB attachment differs ($big)"
grep -q '^2097152 ' "$tmp/extract.txt" || fail "extract: sizes: $(cat "$tmp/extract.txt")"

# The tree, field by field.
if [ -n "$py" ]; then
	"$m" tree "$tmp/full.eml" > "$tmp/full.json" || fail "tree: exit status"
	SUBJ="$subj" TMP="$tmp" $py - <<'PY' || rc=1
import json, os, sys, zlib
tmp = os.environ["TMP"]
d = json.load(open(tmp + "/full.json", encoding="utf-8"))
errs = []
def eq(what, got, want):
    if got != want:
        errs.append("%s: %r, want %r" % (what, got, want))
def crc(path):
    b = open(path, "rb").read()
    return len(b), "%08x" % (zlib.crc32(b) & 0xffffffff)
def box(a):
    return [(x.get("name"), x.get("address")) for x in a]
eq("subject", d["subject"], os.environ["SUBJ"])
eq("from", box(d["from"]), [("Zoë Müller", "zoe@example.org")])
eq("to", box(d["to"]), [("Bob", "bob@example.net"),
                        ("Smith, Carol", "carol@example.net")])
eq("cc", box(d["cc"]), [("Δημήτρης", "d@example.gr")])
eq("date", d["date"], "2026-12-01T10:15:00+01:00")
if not d["message_id"] or "@" not in d["message_id"]:
    errs.append("message_id %r" % d["message_id"])
names = [h["name"].lower() for h in d["headers"]]
for n in ("from", "to", "cc", "subject", "date", "message-id", "mime-version"):
    eq("count of " + n, names.count(n), 1)
eq("x-tag", [h["decoded"] for h in d["headers"] if h["name"].lower() == "x-tag"],
   ["one", "two"])
eq("x-note", [h["decoded"] for h in d["headers"]
              if h["name"].lower() == "x-note"], ["Grüße aus Zürich"])
eq("x-mailer", [h["decoded"] for h in d["headers"]
                if h["name"].lower() == "x-mailer"], ["build.sh"])
b = d["body"]
eq("top type", b["content_type"], "multipart/mixed")
kids = b.get("children", [])
eq("top children", [k["content_type"] for k in kids],
   ["multipart/alternative", "image/png", "application/octet-stream",
    "application/x-test", "application/octet-stream"])
if kids and kids[0]["content_type"] == "multipart/alternative":
    alt = kids[0].get("children", [])
    eq("alternative", [k["content_type"] for k in alt], ["text/plain", "text/html"])
    if len(alt) == 2:
        want = open(tmp + "/in/body.txt", encoding="utf-8").read()
        eq("text", alt[0].get("text", "").replace("\r\n", "\n"), want)
        eq("text charset", alt[0]["params"].get("charset", "").lower(), "utf-8")
        want = open(tmp + "/in/body.html", encoding="utf-8").read()
        eq("html", alt[1].get("text", "").replace("\r\n", "\n"), want)
files = ["logo.png", 'Bericht März; "v2" final.bin', "data.xyz", "empty.dat"]
for k, f in zip(kids[1:], files):
    size, c = crc(tmp + "/in/" + f)
    eq(f + " filename", k["filename"], f)
    eq(f + " disposition", k["disposition"], "attachment")
    eq(f + " size", k["size"], size)
    eq(f + " crc32", k["crc32"], c)
for e in errs:
    print("build: " + e)
sys.exit(1 if errs else 0)
PY
else
	echo "build.sh: no python3: the JSON checks are skipped"
	"$m" tree "$tmp/full.eml" | grep -q '"filename": "Bericht März; \\"v2\\" final.bin"' ||
		fail "tree: filename"
fi

# Text only: one text/plain part, no multipart; HTML only; no body.
printf 'plain ASCII\n' > "$tmp/in/ascii.txt"
"$m" build --from a@example.org --to b@example.org --subject hi \
	--header 'Message-ID: <given.1@example.org>' \
	--text "$tmp/in/ascii.txt" > "$tmp/text.eml" || fail "text only: exit status"
"$m" tree "$tmp/text.eml" > "$tmp/text.json"
grep -q '"message_id": "given.1@example.org"' "$tmp/text.json" || fail "text only: Message-ID not the one given"
[ "$(grep -ci '^Message-ID:' "$tmp/text.eml")" = 1 ] || fail "text only: Message-ID fields"
grep -q '"body": {"content_type": "text/plain"' "$tmp/text.json" || fail "text only: not text/plain"
grep -q '"children"' "$tmp/text.json" && fail "text only: has children"
grep -q '"encoding": "7bit"' "$tmp/text.json" || fail "text only: ASCII not 7bit"
grep -q '"text": "plain ASCII\\r\\n"' "$tmp/text.json" || fail "text only: text"
"$m" build --html "$tmp/in/body.html" > "$tmp/html.eml" || fail "html only: exit status"
"$m" tree "$tmp/html.eml" | grep -q '"body": {"content_type": "text/html"' || fail "html only: not text/html"
"$m" build --to b@example.org > "$tmp/empty.eml" || fail "no body: exit status"
grep -q '^Date: ' "$tmp/empty.eml" || fail "no body: no Date"
# Attachments only: multipart/mixed.
"$m" build --attach "$tmp/in/logo.png" > "$tmp/att.eml" || fail "attachment only: exit status"
"$m" tree "$tmp/att.eml" | grep -q '"body": {"content_type": "multipart/mixed"' ||
	fail "attachment only: not multipart/mixed"

# Bad input: exit 1, "mailfmt: <reason> at byte <offset>", nothing on stdout.
bad() { # NAME MAX-OFFSET ARGS...
	name=$1 max=$2
	shift 2
	"$m" build "$@" > "$tmp/bad.out" 2> "$tmp/bad.err"
	st=$?
	[ "$st" = 1 ] || fail "$name: exit $st, want 1"
	[ ! -s "$tmp/bad.out" ] || fail "$name: output on stdout"
	off=$(sed -n 's/^mailfmt: .* at byte \([0-9][0-9]*\)$/\1/p' "$tmp/bad.err")
	if [ -z "$off" ]; then
		fail "$name: stderr: $(cat "$tmp/bad.err")"
	elif [ "$off" -gt "$max" ]; then
		fail "$name: offset $off past $max: $(cat "$tmp/bad.err")"
	fi
}
bad "bad --to" 7 --to 'bob@@example.net'
bad "bad second --to" 9 --to ok@example.net --to 'Bob <bob@'
bad "bad --from" 5 --from 'a b c'
bad "bad --cc" 3 --cc '<@>'
bad "header injection" 20 --header "$(printf 'X-A: a\r\nBcc: evil@example.net')"
bad "subject injection" 8 --subject "$(printf 'hi\nBcc: evil@example.net')"
bad "bad Date" 8 --header 'Date: yesterday'
bad "missing file" 0 --attach "$tmp/in/none.bin"
bad "missing text" 0 --text "$tmp/in/none.txt"

# Usage errors: exit 2.
for a in "--frob" "--to" "--header X-No-Colon" "--header :value" "extra" \
	"--from a@b --from c@d"; do
	# shellcheck disable=SC2086
	"$m" build $a > "$tmp/use.out" 2> /dev/null
	st=$?
	[ "$st" = 2 ] || fail "usage '$a': exit $st, want 2"
	[ ! -s "$tmp/use.out" ] || fail "usage '$a': output on stdout"
done
exit $rc
