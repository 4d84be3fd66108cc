#!/bin/sh
# pop3.sh BUILD - the POP3 examples end to end on 127.0.0.1 (the interop
# run adds poplib, fetchmail and Dovecot): usage errors exit 2;
# pop3-fetch gets every message of pop3-serve byte for byte with
# USER/PASS, then with APOP and --delete, which empties the mailbox; a
# wrong password exits 1 with the server's reply. The server is stopped
# by its PID whatever happens.
set -u
b=$1
rc=0
tmp=$(mktemp -d /tmp/mailfmt-pop3.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

"$b/pop3-serve" >/dev/null 2>&1; [ $? = 2 ] || { echo "pop3-serve: no args: want exit 2"; rc=1; }
"$b/pop3-fetch" -s x >/dev/null 2>&1; [ $? = 2 ] || { echo "pop3-fetch: want exit 2"; rc=1; }

mkdir -p "$tmp/src/new" "$tmp/src/cur" "$tmp/src/tmp" "$tmp/a/new" \
	"$tmp/a/cur" "$tmp/a/tmp" "$tmp/b/new" "$tmp/b/cur" "$tmp/b/tmp"
printf 'Subject: one\r\n\r\n.leading dot\r\n..two\r\n.\r\n' > "$tmp/src/new/1.M1.x"
printf 'Subject: two\r\n\r\nGr\303\274\303\237e\r\n' > "$tmp/src/cur/2.M2.x:2,S"
cp "$tmp/src/new/1.M1.x" "$tmp/src/cur/2.M2.x:2,S" "$tmp/"

"$b/pop3-serve" -p 0 -d "$tmp/src" -u 'joe:pass word' > "$tmp/serve.out" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^listening on 127.0.0.1:[0-9]*$' "$tmp/serve.out"; do
	sleep 0.05; i=$((i + 1))
done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/serve.out")
[ -n "$port" ] || { echo "pop3-serve did not start"; exit 1; }

same() {	# same DIR: the two messages, byte for byte, in DIR/new
	n=0
	for f in "$1"/new/*; do
		if cmp -s "$f" "$tmp/1.M1.x" || cmp -s "$f" "$tmp/2.M2.x:2,S"; then
			n=$((n + 1))
		fi
	done
	[ $n = 2 ]
}

"$b/pop3-fetch" -s "127.0.0.1:$port" -u 'joe:pass word' -d "$tmp/a" > "$tmp/a.out" ||
	{ echo "pop3-fetch USER/PASS failed"; rc=1; }
same "$tmp/a" || { echo "USER/PASS: messages differ"; rc=1; }
[ "$(wc -l < "$tmp/a.out")" = 2 ] && grep -q "^40 $tmp/a/new/" "$tmp/a.out" ||
	{ echo "pop3-fetch output:"; cat "$tmp/a.out"; rc=1; }
"$b/pop3-fetch" -s "127.0.0.1:$port" -u 'joe:bad' -d "$tmp/a" 2> "$tmp/err"
[ $? = 1 ] && grep -q '^pop3-fetch: -ERR \[AUTH\]' "$tmp/err" ||
	{ echo "wrong password: want exit 1 and the -ERR"; rc=1; }
"$b/pop3-fetch" -s "127.0.0.1:$port" -u 'joe:pass word' -d "$tmp/b" --apop --delete > /dev/null ||
	{ echo "pop3-fetch --apop --delete failed"; rc=1; }
same "$tmp/b" || { echo "APOP: messages differ"; rc=1; }
[ -z "$(find "$tmp/src/new" "$tmp/src/cur" -type f)" ] || { echo "--delete left messages"; rc=1; }

kill "$pid"
wait "$pid"; [ $? = 0 ] || { echo "pop3-serve: SIGTERM should exit 0"; rc=1; }
pid=
exit $rc
