#!/bin/sh
# examples_build.sh BUILD - the building examples on the bundled sample
# files: mkmail (its structure, Content-ID reference and attachments read
# back byte for byte), strip-attachments (what it replaces, and the bytes
# of everything else unchanged) and reply (recipients, subject and
# threading fields, quoted text), with their error exits.
set -u
b=$1
m=$b/mailfmt
tmp=$b/cli-examples-build
rm -rf "$tmp"
mkdir -p "$tmp"
rc=0
d=examples/data
py=
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	py=python3
fi
fail() { echo "examples_build: $*"; rc=1; }
# Runs python3 code $1 on the JSON of `mailfmt tree $2`; prints its
# complaints. Without python3 it says so and checks nothing.
json_check() {
	if [ -z "$py" ]; then
		echo "examples_build.sh: no python3: JSON checks of $2 skipped"
		return 0
	fi
	"$m" tree "$2" > "$2.json" || { fail "tree $2: exit status"; return 0; }
	J="$2.json" $py -c "
import json, os, sys
d = json.load(open(os.environ['J'], encoding='utf-8'))
errs = []
def eq(what, got, want):
    if got != want:
        errs.append('%s: %r, want %r' % (what, got, want))
def hdr(name):
    return [h['decoded'] for h in d['headers'] if h['name'].lower() == name]
def box(a):
    return [(x.get('name'), x.get('address')) for x in a]
def walk(p, depth=0):
    yield p, depth
    for c in p.get('children', []):
        yield from walk(c, depth + 1)
$1
for e in errs:
    print('$2: ' + e)
sys.exit(1 if errs else 0)
" || rc=1
}

# ------------------------------------------------------------- mkmail
"$b/mkmail" > "$tmp/mk.eml" 2> "$tmp/mk.err" || fail "mkmail: exit status: $(cat "$tmp/mk.err")"
mkdir -p "$tmp/mk"
"$m" extract "$tmp/mk.eml" "$tmp/mk" > "$tmp/mk.list" || fail "mkmail: extract"
cmp -s "$d/logo.png" "$tmp/mk/logo.png" || fail "mkmail: the image differs"
cmp -s "$d/report.pdf" "$tmp/mk/Bericht März.pdf" || fail "mkmail: the PDF differs"
"$m" rewrite "$tmp/mk.eml" | cmp -s - "$tmp/mk.eml" || fail "mkmail: rewrite differs"
LC_ALL=C tr -d '\r\n' < "$tmp/mk.eml" | LC_ALL=C grep -q '[^ -~	]' && fail "mkmail: not 7-bit"
json_check '
eq("subject", d["subject"], "Zahlen für März")
eq("from", box(d["from"]), [("Zoë Müller", "zoe@example.org")])
eq("to", box(d["to"]), [("Bob", "bob@example.net")])
parts = list(walk(d["body"]))
types = [p["content_type"] for p, _ in parts]
eq("top", types[0], "multipart/mixed")
for t in ("multipart/related", "multipart/alternative", "text/plain",
          "text/html", "image/png", "application/pdf"):
    eq("count of " + t, types.count(t), 1)
by = {p["content_type"]: (p, dep) for p, dep in parts}
if len(errs) == 0:
    rel, rd = by["multipart/related"]
    img, idep = by["image/png"]
    html, hdep = by["text/html"]
    pdf, pdep = by["application/pdf"]
    # The image and the HTML that shows it inside the multipart/related.
    inrel = [p["content_type"] for p, _ in walk(rel)]
    eq("related holds the image", "image/png" in inrel, True)
    eq("related holds the HTML", "text/html" in inrel, True)
    eq("related holds the PDF", "application/pdf" in inrel, False)
    eq("image disposition", img["disposition"], "inline")
    eq("pdf disposition", pdf["disposition"], "attachment")
    eq("pdf filename", pdf["filename"], "Bericht März.pdf")
    eq("pdf depth", pdep, 1)
    eq("html cid", "src=\"cid:logo@example.org\"" in html["text"], True)
    eq("text", by["text/plain"][0]["text"].replace("\r\n", "\n"),
       "Hi Bob,\n\nthe figures for March are attached.\n\nZoë\n")
' "$tmp/mk.eml"
# The Content-ID field of the image.
tr -d '\r' < "$tmp/mk.eml" | grep -qi '^Content-ID: <logo@example.org>$' ||
	fail "mkmail: no Content-ID <logo@example.org>"
# Other files on the command line; unreadable ones.
head -c 5000 /dev/urandom > "$tmp/x.pdf"
"$b/mkmail" "$d/logo.png" "$tmp/x.pdf" > "$tmp/mk2.eml" || fail "mkmail FILES: exit status"
mkdir -p "$tmp/mk2"
"$m" extract "$tmp/mk2.eml" "$tmp/mk2" > /dev/null
cmp -s "$tmp/x.pdf" "$tmp/mk2/Bericht März.pdf" || fail "mkmail FILES: the PDF differs"
if "$b/mkmail" "$tmp/none.png" "$tmp/x.pdf" > "$tmp/mk3.eml" 2> "$tmp/mk3.err"; then
	fail "mkmail unreadable: exit 0"
fi
[ -s "$tmp/mk3.err" ] && [ ! -s "$tmp/mk3.eml" ] || fail "mkmail unreadable: output"

# --------------------------------------------------- strip-attachments
# Over 10 bytes: the PNG (66 bytes) of the sample goes; the rest keeps
# its bytes up to the PNG's delimiter line, and after the note.
"$b/strip-attachments" 10 < "$d/sample.eml" > "$tmp/st.eml" 2> "$tmp/st.err" ||
	fail "strip-attachments: exit status: $(cat "$tmp/st.err")"
grep -qx '1 attachments replaced' "$tmp/st.err" || fail "strip-attachments: stderr: $(cat "$tmp/st.err")"
cut=$(grep -b -m1 '^Content-Type: image/png' "$d/sample.eml" | cut -d: -f1)
head -c "$cut" "$d/sample.eml" > "$tmp/st.head"
head -c "$cut" "$tmp/st.eml" | cmp -s - "$tmp/st.head" || fail "strip-attachments: the bytes before the PNG changed"
rest=$(grep -b -m1 '^Content-Type: message/rfc822' "$d/sample.eml" | cut -d: -f1)
tail -c +"$((rest + 1))" "$d/sample.eml" > "$tmp/st.tail"
tail -c "$(wc -c < "$tmp/st.tail")" "$tmp/st.eml" | cmp -s - "$tmp/st.tail" ||
	fail "strip-attachments: the bytes after the PNG changed"
grep -q 'iVBORw0KGgo' "$tmp/st.eml" && fail "strip-attachments: the PNG is still there"
json_check '
kids = d["body"]["children"]
eq("types", [k["content_type"] for k in kids],
   ["multipart/alternative", "text/plain", "message/rfc822"])
if len(kids) == 3:
    note = kids[1].get("text", "")
    for w in ("döt.png", "image/png", "66"):
        if w not in note:
            errs.append("the note does not say %r: %r" % (w, note))
' "$tmp/st.eml"
# Under the limit: nothing replaced, the message byte for byte.
"$b/strip-attachments" 1000 < "$d/sample.eml" > "$tmp/st2.eml" 2> "$tmp/st2.err" || fail "strip 1000: exit status"
grep -qx '0 attachments replaced' "$tmp/st2.err" || fail "strip 1000: stderr: $(cat "$tmp/st2.err")"
cmp -s "$d/sample.eml" "$tmp/st2.eml" || fail "strip 1000: message changed"
# A message built by mkmail, limit 1000: the image (1796 bytes, inline
# with a file name) goes, the PDF (597 bytes) stays, byte for byte.
"$b/strip-attachments" 1000 < "$tmp/mk.eml" > "$tmp/st3.eml" 2> "$tmp/st3.err" || fail "strip mkmail: exit status"
grep -qx '1 attachments replaced' "$tmp/st3.err" || fail "strip mkmail: stderr: $(cat "$tmp/st3.err")"
mkdir -p "$tmp/st3"
"$m" extract "$tmp/st3.eml" "$tmp/st3" > "$tmp/st3.list"
cmp -s "$d/report.pdf" "$tmp/st3/Bericht März.pdf" || fail "strip mkmail: the PDF changed"
[ -f "$tmp/st3/logo.png" ] && fail "strip mkmail: the image is still there"
grep -q 'logo.png' "$tmp/st3.eml" || fail "strip mkmail: the note does not name the image"
# Errors: usage, not a message.
for a in "" "x" "10 20"; do
	# shellcheck disable=SC2086
	if "$b/strip-attachments" $a < "$d/sample.eml" > "$tmp/st4.eml" 2> "$tmp/st4.err"; then
		fail "strip-attachments '$a': exit 0"
	fi
	[ -s "$tmp/st4.err" ] && [ ! -s "$tmp/st4.eml" ] || fail "strip-attachments '$a': output"
done

# --------------------------------------------------------------- reply
"$b/reply" "$d/sample.eml" > "$tmp/re.eml" 2> "$tmp/re.err" || fail "reply: exit status: $(cat "$tmp/re.err")"
json_check '
eq("to", box(d["to"]), [("Jürgen Müller", "juergen@example.com")])
eq("cc", d["cc"], [])
eq("subject", d["subject"], "Re: Quartalszahlen — Q3 report")
eq("in-reply-to", hdr("in-reply-to"), ["<20261201101500.42@example.com>"])
eq("references", hdr("references"), ["<20261201101500.42@example.com>"])
eq("type", d["body"]["content_type"], "text/plain")
t = d["body"].get("text", "").replace("\r\n", "\n")
eq("quote", t.startswith("> Hi Zoë,\n>\n> the quarterly figures are attached."), True)
eq("quote end", t.endswith("> -- \n> Jürgen\n"), True)
if d["message_id"] == "20261201101500.42@example.com":
    errs.append("the Message-ID is the original one")
' "$tmp/re.eml"
"$b/reply" -a -f 'Zoë Smith <zoe@example.org>' "$d/sample.eml" > "$tmp/re2.eml" ||
	fail "reply -a: exit status"
json_check '
eq("from", box(d["from"]), [("Zoë Smith", "zoe@example.org")])
eq("to", box(d["to"]), [("Jürgen Müller", "juergen@example.com")])
cc = [a for x in d["cc"] for a in (x.get("members") or [x])]
eq("cc", sorted(a["address"] for a in cc), ["bob@example.net", "carol@example.net"])
' "$tmp/re2.eml"
# Reply-To wins; "Re: " is not doubled; References grow.
printf 'From: Ann <ann@example.org>\r\nReply-To: list@example.org\r\nTo: bob@example.net\r\nSubject: RE: plans\r\nMessage-ID: <b@example.org>\r\nReferences: <a@example.org>\r\n\r\nok\r\n' > "$tmp/re3.in"
"$b/reply" "$tmp/re3.in" > "$tmp/re3.eml" || fail "reply Reply-To: exit status"
json_check '
eq("to", box(d["to"]), [(None, "list@example.org")])
eq("subject", d["subject"] in ("RE: plans", "Re: plans"), True)
eq("references", " ".join(hdr("references")).split(), ["<a@example.org>", "<b@example.org>"])
eq("in-reply-to", hdr("in-reply-to"), ["<b@example.org>"])
eq("quote", d["body"].get("text"), "> ok\r\n")
' "$tmp/re3.eml"
for a in "" "-a" "$tmp/none.eml" "-f x@y"; do
	# shellcheck disable=SC2086
	if "$b/reply" $a > "$tmp/re4.eml" 2> "$tmp/re4.err"; then
		fail "reply '$a': exit 0"
	fi
	[ -s "$tmp/re4.err" ] && [ ! -s "$tmp/re4.eml" ] || fail "reply '$a': output"
done
# ------------------------------------------- README "Building messages"
# Its fragment, in a main() that gives it the bytes, compiles and makes
# the message it says.
awk '/^## Building messages/{on=1} on&&/^```c$/{c=1;next} c&&/^```$/{exit} c' README.md > "$tmp/readme-frag.c"
[ -s "$tmp/readme-frag.c" ] || fail "README: no C fragment under Building messages"
cat > "$tmp/readme-main.c" <<'C'
#include <stdio.h>
#include <mailfmt.h>
int
main(void)
{
	static const char img[] = "\x89PNG\r\n\x1a\n", pdf[] = "%PDF-1.4\n";
	size_t img_len = sizeof(img) - 1, pdf_len = sizeof(pdf) - 1;
#include "readme-frag.c"
	return rc == MF_OK ? 0 : 1;
}
C
# (A library built with SAN=1 needs the sanitizers' run-time too.)
if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude -o "$tmp/readme-build" \
	"$tmp/readme-main.c" "$b/libmailfmt.a" > "$tmp/readme-cc.log" 2>&1 ||
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude \
		-fsanitize=address,undefined -o "$tmp/readme-build" \
		"$tmp/readme-main.c" "$b/libmailfmt.a" >> "$tmp/readme-cc.log" 2>&1; then
	"$tmp/readme-build" > "$tmp/readme.eml" || fail "README fragment: exit status"
	mkdir -p "$tmp/readme"
	"$m" extract "$tmp/readme.eml" "$tmp/readme" > /dev/null
	printf '%%PDF-1.4\n' | cmp -s - "$tmp/readme/Bericht März.pdf" || fail "README fragment: the PDF"
	"$m" tree "$tmp/readme.eml" | grep -q '"content_type": "multipart/related"' ||
		fail "README fragment: no multipart/related"
else
	fail "README fragment does not compile: $(head -n 20 "$tmp/readme-cc.log")"
fi
exit $rc
