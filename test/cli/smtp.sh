#!/bin/sh
# smtp.sh BUILD - the SMTP examples against each other (the contract of
# cli-json.md; make interop runs them against real software): smtp-sink
# on a port the system picks, prints its "listening on" line; smtp-send
# delivers a CRLF file (BDAT), an LF one from stdin (DATA) and is refused
# a bad recipient (exit 1, the reply on stderr); the Maildir holds the
# messages after Return-Path and Received, and nothing in tmp/; usage
# errors exit 2. The server is stopped by its PID, also on failure.
set -u
b=$1
rc=0
dir=$(mktemp -d /tmp/mf-smtp-cli.XXXXXX)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
"$b/smtp-sink" -p 0 -d "$dir/md" -n sink.test --max-size 1000 > "$dir/out" 2>&1 &
pid=$!
i=0
while ! grep -q '^listening on 127\.0\.0\.1:[0-9]*$' "$dir/out" 2>/dev/null &&
	[ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/out")
[ -n "$port" ] || { echo "smtp-sink did not start"; cat "$dir/out"; exit 1; }
printf 'From: a@client.test\r\nSubject: one\r\n\r\n.dot\r\nend\r\n' > "$dir/m1"
printf 'From: a@client.test\nSubject: two\n\n.dot\nend\n' > "$dir/m2"
"$b/smtp-send" -s "127.0.0.1:$port" -f a@client.test -t b@sink.test "$dir/m1" ||
	{ echo "smtp-send (BDAT): want exit 0"; rc=1; }
"$b/smtp-send" -s "127.0.0.1:$port" -f a@client.test -t b@sink.test \
	-t c@sink.test < "$dir/m2" || { echo "smtp-send (DATA): want exit 0"; rc=1; }
# Over --max-size (LF lines: no SIZE= declared, so the server decides at
# the end): refused, the server's reply on stderr.
awk 'BEGIN { printf "Subject: big\n\n"; for (i = 0; i < 30; i++)
	printf "%060d\n", i }' > "$dir/m3"
"$b/smtp-send" -s "127.0.0.1:$port" -f a@client.test -t b@sink.test \
	< "$dir/m3" 2> "$dir/err"
[ $? = 1 ] || { echo "too big: want exit 1"; rc=1; }
grep -q '^552 5\.3\.4 ' "$dir/err" ||
	{ echo "too big: want the 552 reply on stderr"; cat "$dir/err"; rc=1; }
# A mailbox that cannot be a path is not sent at all.
"$b/smtp-send" -s "127.0.0.1:$port" -f a@client.test -t 'b@-bad' "$dir/m1" \
	2> /dev/null
[ $? = 1 ] || { echo "bad recipient: want exit 1"; rc=1; }
n=$(ls "$dir/md/new" | wc -l)
[ "$n" = 2 ] || { echo "want 2 messages in new/, got $n"; rc=1; }
[ -z "$(ls "$dir/md/tmp")" ] || { echo "tmp/ not empty"; rc=1; }
for f in "$dir"/md/new/*; do
	head -c 13 "$f" | grep -q '^Return-Path: ' || { echo "$f: no Return-Path"; rc=1; }
	# After Return-Path and its folded Received field, the message.
	awk 'NR == 1 { next } /^Received:/ || /^ / { if (!body) next } { body = 1; print }' \
		"$f" > "$f.body"
	if grep -q 'Subject: one' "$f.body"; then
		cmp -s "$f.body" "$dir/m1" || { echo "BDAT message differs"; rc=1; }
	else
		tr -d '\r' < "$f.body" | cmp -s - "$dir/m2" ||
			{ echo "DATA message differs"; rc=1; }
	fi
done
"$b/smtp-sink" > /dev/null 2>&1; [ $? = 2 ] || { echo "smtp-sink: want exit 2"; rc=1; }
"$b/smtp-send" -s x > /dev/null 2>&1; [ $? = 2 ] || { echo "smtp-send: want exit 2"; rc=1; }
exit $rc
