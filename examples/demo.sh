#!/bin/sh
# demo.sh MAILFMT - make demo: the CLI's main job on the bundled sample mail
# (examples/data/): parse a MIME message into its tree with decoded headers,
# addresses and text, write it back byte for byte, stream an mbox
# through the push parser, and build a message with an attachment. Needs
# nothing beyond the built CLI.
set -e
m=${1:-build/mailfmt}
d=examples/data
out=${TMPDIR:-/tmp}/mailfmt-demo.$$
txt=$out.txt
trap 'rm -f "$out" "$txt"' EXIT INT TERM

echo "== mailfmt tree $d/sample.eml  (the message as JSON)"
"$m" tree "$d/sample.eml"
echo
echo "== mailfmt rewrite $d/sample.eml  (parse, then write back)"
"$m" rewrite "$d/sample.eml" > "$out"
if cmp -s "$out" "$d/sample.eml"; then
	echo "byte-identical: $(wc -c < "$out") bytes"
else
	echo "rewrite differs from the input" >&2
	exit 1
fi
echo
echo "== mailfmt stat --mbox $d/sample.mbox  (streaming, decoded totals)"
"$m" stat --mbox "$d/sample.mbox"
echo
echo "== mailfmt addr  (an address list with a group and an encoded name)"
printf '%s\n' '=?utf-8?q?J=C3=BCrgen?= <j@example.com>, team: a@b.example, "Doe, Jane" <jane@c.example>;' | "$m" addr
echo
echo "== mailfmt date"
printf '%s\n' 'Tue, 1 Dec 2026 10:15:00 +0100' '1 Dec 26 10:15 EST' | "$m" date
echo
echo "== mailfmt build  (a new message with an attachment), read back by tree"
printf 'Hi Bob,\n\nthe figures for March are attached.\n\nZoë\n' > "$txt"
"$m" build --from 'Zoë Müller <zoe@example.org>' --to 'Bob <bob@example.net>' \
	--subject 'Zahlen für März' --text "$txt" \
	--attach "$d/report.pdf" > "$out"
head -n 12 "$out"
echo "..."
"$m" tree "$out" | tr ',' '\n' | grep -E '"(subject|content_type|filename|size)"'
