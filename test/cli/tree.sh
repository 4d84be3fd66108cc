#!/bin/sh
# tree.sh BUILD - black-box tests of `mailfmt tree` and `mailfmt extract`
# against the JSON contract of cli-json.md. The JSON is parsed and checked
# key by key with python3 when the machine has it; without python3 the
# checks fall back to grep on the writer's fixed layout (fewer checks, said
# on stdout).
set -u
m=$1/mailfmt
tmp=$1/cli-tree
rm -rf "$tmp"
mkdir -p "$tmp"
rc=0
sample=examples/data/sample.eml
py=
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json, zlib, base64' 2>/dev/null; then
	py=python3
fi

$m tree "$sample" > "$tmp/sample.json" || { echo "tree sample: exit status"; rc=1; }

# --------------------------------------------------------------- python
# The contract: every key, its type, and the values of the sample.
cat > "$tmp/check.py" <<'PY'
import json, re, sys, zlib, os

def fail(msg):
    print("tree: " + msg)
    sys.exit(1)

HEX = re.compile(r'^[0-9a-f]{8}$')

def check_addr(a, where):
    if not isinstance(a, list):
        fail(where + ": not an array")
    for x in a:
        if "group" in x:
            if not isinstance(x["group"], str) or not isinstance(x["members"], list):
                fail(where + ": bad group")
            for mb in x["members"]:
                check_mailbox(mb, where)
        else:
            check_mailbox(x, where)

def check_mailbox(x, where):
    for k in ("name", "local", "domain", "address"):
        if k not in x:
            fail(where + ": mailbox without " + k)
    if x["name"] is not None and not isinstance(x["name"], str):
        fail(where + ": name")

def check_message(o, where):
    for k in ("headers", "from", "to", "cc", "reply_to", "subject", "date",
              "message_id", "body"):
        if k not in o:
            fail(where + ": no key " + k)
    for h in o["headers"]:
        if set(("name", "value", "decoded")) - set(h):
            fail(where + ": header keys")
        if "\n" in h["value"] or "\r" in h["value"]:
            fail(where + ": header value not unfolded")
    for k in ("from", "to", "cc", "reply_to"):
        check_addr(o[k], where + "." + k)
    for k in ("subject", "date", "message_id"):
        if o[k] is not None and not isinstance(o[k], str):
            fail(where + ": " + k)
    if o["date"] is not None and not re.match(
            r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$', o["date"]):
        fail(where + ": date " + o["date"])
    if o["message_id"] is not None and (o["message_id"].startswith("<") or
                                        o["message_id"].endswith(">")):
        fail(where + ": message_id has <>")
    check_part(o["body"], where + ".body")

def check_part(p, where):
    for k in ("content_type", "params", "disposition", "filename",
              "encoding", "size", "crc32"):
        if k not in p:
            fail(where + ": no key " + k)
    ct = p["content_type"]
    if ct != ct.lower() or ct.count("/") != 1:
        fail(where + ": content_type " + ct)
    for k in p["params"]:
        if k != k.lower():
            fail(where + ": param name " + k)
    if p["encoding"] != p["encoding"].lower():
        fail(where + ": encoding")
    multi = "children" in p
    msg = ct in ("message/rfc822", "message/global")
    if multi != ct.startswith("multipart/") and multi:
        fail(where + ": children on " + ct)
    if multi or msg:
        if p["size"] is not None or p["crc32"] is not None:
            fail(where + ": size/crc32 on " + ct)
    elif not ct.startswith("multipart/"):
        if not isinstance(p["size"], int) or not HEX.match(p["crc32"]):
            fail(where + ": size/crc32 of a leaf")
    if ("text" in p) != (ct.startswith("text/") and not multi):
        fail(where + ": text on " + ct)
    if "message" in p:
        if not msg:
            fail(where + ": message on " + ct)
        check_message(p["message"], where + ".message")
    for i, c in enumerate(p.get("children", [])):
        check_part(c, "%s.children[%d]" % (where, i))

def leaves(p, out):
    if "children" in p:
        for c in p["children"]:
            leaves(c, out)
    else:
        out.append(p)
    return out

mode = sys.argv[1]
if mode == "contract":
    for f in sys.argv[2:]:
        with open(f, "rb") as fh:
            raw = fh.read()
        try:
            o = json.loads(raw.decode("utf-8"))
        except Exception as e:
            fail(f + ": not UTF-8 JSON: " + str(e))
        check_message(o, f)
    sys.exit(0)

if mode == "sample":
    o = json.load(open(sys.argv[2], encoding="utf-8"))
    check_message(o, "sample")
    names = [h["name"] for h in o["headers"]]
    want = ["From", "To", "Cc", "Subject", "Date", "Message-ID",
            "MIME-Version", "Content-Type"]
    if names != want:
        fail("sample header names %r" % names)
    subj = o["headers"][3]
    if subj["value"] != "=?utf-8?B?UXVhcnRhbHN6YWhsZW4g4oCUIFEz?= report":
        fail("raw Subject " + subj["value"])
    if subj["decoded"] != "Quartalszahlen \u2014 Q3 report":
        fail("decoded Subject " + subj["decoded"])
    if o["subject"] != "Quartalszahlen \u2014 Q3 report":
        fail("subject")
    if o["from"] != [{"name": "J\u00fcrgen M\u00fcller", "local": "juergen",
                      "domain": "example.com",
                      "address": "juergen@example.com"}]:
        fail("from %r" % o["from"])
    to = o["to"]
    if len(to) != 2 or to[0]["name"] != "Zo\u00eb Smith" or \
            to[0]["address"] != "zoe@example.org":
        fail("to[0] %r" % to)
    if to[1].get("group") != "team" or \
            [x["address"] for x in to[1]["members"]] != \
            ["bob@example.net", "carol@example.net"]:
        fail("to group %r" % to[1])
    if o["cc"] != [{"group": "undisclosed-recipients", "members": []}]:
        fail("cc %r" % o["cc"])
    if o["reply_to"] != []:
        fail("reply_to")
    if o["date"] != "2026-12-01T10:15:00+01:00":
        fail("date " + str(o["date"]))
    if o["message_id"] != "20261201101500.42@example.com":
        fail("message_id")
    b = o["body"]
    if b["content_type"] != "multipart/mixed" or \
            b["params"] != {"boundary": "outer-boundary"} or \
            len(b["children"]) != 3:
        fail("body %r" % {k: b[k] for k in b if k != "children"})
    alt = b["children"][0]
    if alt["content_type"] != "multipart/alternative" or \
            [c["content_type"] for c in alt["children"]] != \
            ["text/plain", "text/html"]:
        fail("alternative")
    t = alt["children"][0]
    if t["encoding"] != "quoted-printable" or t["params"] != {"charset": "utf-8"}:
        fail("text part %r" % t)
    if "Hi Zo\u00eb,\r\n" not in t["text"] or \
            "Gr\u00fc\u00dfe aus Z\u00fcrich \u2014 and a long line" not in t["text"] or \
            "soft line break somewhere.\r\n" not in t["text"]:
        fail("QP text " + t["text"])
    if t["size"] != len(t["text"].encode("utf-8")) or \
            t["crc32"] != "%08x" % zlib.crc32(t["text"].encode("utf-8")):
        fail("text size/crc32")
    img = b["children"][1]
    if img["content_type"] != "image/png" or img["filename"] != "d\u00f6t.png" \
            or img["disposition"] != "attachment" or img["encoding"] != "base64" \
            or img["params"] != {"name": "dot.png"} or "text" in img:
        fail("image %r" % img)
    import base64
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAACAAFUok9dAAAAAElFTkSuQmCC")
    if img["size"] != len(png) or img["crc32"] != "%08x" % zlib.crc32(png):
        fail("image size/crc32 %r" % img)
    em = b["children"][2]
    if em["content_type"] != "message/rfc822" or em["disposition"] != "inline" \
            or em["size"] is not None or "message" not in em:
        fail("embedded %r" % {k: em[k] for k in em if k != "message"})
    inner = em["message"]
    if inner["subject"] != "Original note" or \
            inner["from"][0]["name"] != "Alice" or \
            inner["message_id"] != "orig.1@example.org" or \
            inner["date"] != "2026-11-30T09:00:00+00:00" or \
            inner["body"]["content_type"] != "text/plain" or \
            inner["body"]["text"] != "The original message body.\r\n":
        fail("embedded message %r" % inner)
    sys.exit(0)

if mode == "extract":
    # The files extract wrote are the leaves tree describes: same sizes
    # and CRC-32s.
    o = json.load(open(sys.argv[2], encoding="utf-8"))
    d = sys.argv[3]
    want = {}
    for p in leaves(o["body"], []):
        if p["size"] is not None:
            want.setdefault((p["size"], p["crc32"]), 0)
            want[(p["size"], p["crc32"])] += 1
    for name in os.listdir(d):
        data = open(os.path.join(d, name), "rb").read()
        key = (len(data), "%08x" % zlib.crc32(data))
        if key not in want and not name.endswith(".eml"):
            fail("extract %s: %s matches no part of tree" % (d, name))
    sys.exit(0)
fail("unknown mode")
PY

if [ -n "$py" ]; then
	python3 "$tmp/check.py" sample "$tmp/sample.json" || rc=1
	# Every message of mikel/mail's fixtures: exit 0, valid UTF-8 JSON,
	# the contract's keys and types.
	n=0
	for f in $(find test/corpus/mikel-mail/spec/fixtures/emails -type f | sort); do
		n=$((n + 1))
		$m tree "$f" > "$tmp/m$n.json" 2>/dev/null || { echo "tree $f: exit status"; rc=1; }
	done
	[ "$n" -gt 100 ] || { echo "tree: only $n fixtures"; rc=1; }
	python3 "$tmp/check.py" contract "$tmp"/m*.json || rc=1
	rm -f "$tmp"/m*.json
else
	echo "tree.sh: python3 not found: JSON checked with grep only"
	for want in '"from": [{"name": "Jürgen Müller", "local": "juergen", "domain": "example.com", "address": "juergen@example.com"}]' \
		'"subject": "Quartalszahlen — Q3 report"' \
		'"date": "2026-12-01T10:15:00+01:00"' \
		'"message_id": "20261201101500.42@example.com"' \
		'{"group": "team", "members": [' \
		'"cc": [{"group": "undisclosed-recipients", "members": []}]' \
		'"filename": "döt.png"' \
		'"encoding": "quoted-printable", "size": 198' \
		'Grüße aus Zürich — and a long line' \
		'"content_type": "message/rfc822"' \
		'"subject": "Original note"'; do
		grep -qF -- "$want" "$tmp/sample.json" || { echo "tree sample: no $want"; rc=1; }
	done
fi

# --------------------------------------------------------------- extract
out=$tmp/x1
$m extract "$sample" "$out" > "$tmp/x1.out" || { echo "extract: exit status"; rc=1; }
printf '66 döt.png\n187 part-6.eml\n' > "$tmp/x1.want"
cmp -s "$tmp/x1.out" "$tmp/x1.want" || { echo "extract sample:"; cat "$tmp/x1.out"; rc=1; }
$m b64 decode > "$tmp/png" <<'B'
iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAACAAFUok9dAAAA
AElFTkSuQmCC
B
cmp -s "$tmp/png" "$out/döt.png" || { echo "extract: png differs"; rc=1; }
grep -q '^Subject: Original note' "$out/part-6.eml" || { echo "extract: eml"; rc=1; }
# Again into the same directory: nothing is overwritten.
$m extract "$sample" "$out" > "$tmp/x2.out"
printf '66 döt-1.png\n187 part-6-1.eml\n' > "$tmp/x2.want"
cmp -s "$tmp/x2.out" "$tmp/x2.want" || { echo "extract again:"; cat "$tmp/x2.out"; rc=1; }
[ -n "$py" ] && { python3 "$tmp/check.py" extract "$tmp/sample.json" "$out" || rc=1; }

# Hostile names: paths, dots, controls, collisions, length, none.
long=$(printf 'L%.0s' $(seq 1 300))
{
	printf 'Content-Type: multipart/mixed; boundary=b\n\n'
	for fn in '../../etc/passwd' '..\\..\\boot.ini' '.hidden' \
		"$(printf 'a\001b.txt')" 'same.txt' 'same.txt' "$long.bin" \
		'   ' 'dir/' '.' '..'; do
		printf -- '--b\nContent-Type: application/octet-stream\n'
		printf 'Content-Disposition: attachment; filename="%s"\n\nx\n' "$fn"
	done
	printf -- '--b\nContent-Type: image/png\n\nraw\n'
	printf -- '--b\nContent-Type: text/plain\n\nnot extracted\n'
	printf -- '--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nextracted\n'
	printf -- '--b--\n'
} > "$tmp/hostile.eml"
mkdir -p "$tmp/x3"
ln -s "$tmp/target" "$tmp/x3/passwd"
$m extract "$tmp/hostile.eml" "$tmp/x3" > "$tmp/x3.out" || { echo "extract hostile: exit"; rc=1; }
l196=$(printf 'L%.0s' $(seq 1 196))
cat > "$tmp/x3.want" <<W
1 passwd-1
1 boot.ini
1 hidden
1 a_b.txt
1 same.txt
1 same-1.txt
1 $l196.bin
1 part-9.bin
1 part-10.bin
1 part-11.bin
1 part-12.bin
3 part-13.png
9 part-15.txt
W
cmp -s "$tmp/x3.out" "$tmp/x3.want" || { echo "extract hostile:"; diff "$tmp/x3.want" "$tmp/x3.out"; rc=1; }
[ -e "$tmp/target" ] && { echo "extract followed a symbolic link"; rc=1; }
[ "$(ls -A "$tmp/x3" | wc -l)" = 14 ] || { echo "extract hostile: files"; ls -A "$tmp/x3"; rc=1; }
[ -e "$tmp/etc" ] || [ -e etc/passwd ] && { echo "extract wrote outside DIR"; rc=1; }

# Broken mail a reader still shows (issue 10): a stray header line, a
# byte order mark, a multipart without delimiters, an empty last part.
printf '\357\273\277From: a@example.com\nSubject: your reminder\nabout the game\nTo: b@example.com,\nc@example.com\nContent-Type: multipart/alternative\n boundary=b\n\n--b\nContent-Type: text/plain\n\nplain\n--b\nContent-Type: text/html\n\n<p>html</p>\n--b\n\n' > "$tmp/broken.eml"
$m tree "$tmp/broken.eml" > "$tmp/broken.json" || { echo "tree broken: exit status"; rc=1; }
if [ -n "$py" ]; then
	$py - "$tmp/broken.json" <<'PY' || rc=1
import json, sys
d = json.load(open(sys.argv[1]))
def want(cond, what):
    if not cond:
        print("tree broken: " + what)
        sys.exit(1)
want([a["address"] for a in d["from"]] == ["a@example.com"], "from")
want([a["address"] for a in d["to"]] == ["b@example.com", "c@example.com"], "to")
want(d["subject"] == "your reminder about the game", "subject")
want(d["body"]["content_type"] == "multipart/alternative", "type")
want([c["content_type"] for c in d["body"]["children"]] ==
     ["text/plain", "text/html"], "children")
PY
else
	grep -q '"subject": "your reminder about the game"' "$tmp/broken.json" || { echo "tree broken: subject"; rc=1; }
fi
$m rewrite "$tmp/broken.eml" | cmp -s - "$tmp/broken.eml" || { echo "rewrite broken differs"; rc=1; }

# Usage and input errors.
$m tree a b > /dev/null 2>&1; [ $? = 2 ] || { echo "tree a b: want 2"; rc=1; }
$m tree --bad > /dev/null 2>&1; [ $? = 2 ] || { echo "tree --bad: want 2"; rc=1; }
$m extract "$sample" > /dev/null 2>&1; [ $? = 2 ] || { echo "extract FILE: want 2"; rc=1; }
$m tree "$tmp/none" > /dev/null 2>&1; [ $? = 1 ] || { echo "tree missing: want 1"; rc=1; }
$m extract "$sample" "$tmp/x1/döt.png/sub" > /dev/null 2>&1; [ $? = 1 ] || { echo "extract bad DIR: want 1"; rc=1; }
# stdin.
$m tree < "$sample" | cmp -s - "$tmp/sample.json" || { echo "tree stdin differs"; rc=1; }
# Control characters from encoded words are kept, escaped: C0 as JSON
# requires, and the C1 controls too (U+009B is a terminal's CSI).
printf 'Subject: =?utf-8?q?a=C2=9B31m_=1B[2J=C2=A0?=\n\nx\n' | $m tree > "$tmp/ctl.json"
grep -q '"subject": "a\\u009b31m \\u001b\[2J' "$tmp/ctl.json" ||
	{ echo "tree: controls not escaped"; cat "$tmp/ctl.json"; rc=1; }
exit $rc
