#!/bin/sh
# mime.sh BUILD - black-box tests of `mailfmt rewrite` and `mailfmt stat`.
set -u
m=$1/mailfmt
tmp=$1/cli-mime
mkdir -p "$tmp"
rc=0

# rewrite: byte-identical output, for messages with every kind of
# structure and for line-end conversions of them.
for f in test/corpus/gmime/tests/data/mbox/input/substring.mbox \
	test/corpus/mimekit/UnitTests/TestData/messages/multipart-digest.txt \
	test/corpus/cpython/Lib/test/test_email/data/msg_26.txt \
	test/corpus/spamassassin/t/data/spam/badmime2.txt \
	test/corpus/nodemailer-mailparser/test/fixtures/nested.eml; do
	$m rewrite "$f" > "$tmp/out" || { echo "rewrite $f: exit status"; rc=1; }
	cmp -s "$f" "$tmp/out" || { echo "rewrite $f: output differs"; rc=1; }
	sed 's/$/\r/' "$f" > "$tmp/crlf"
	$m rewrite < "$tmp/crlf" > "$tmp/out" || { echo "rewrite CRLF $f: exit"; rc=1; }
	cmp -s "$tmp/crlf" "$tmp/out" || { echo "rewrite CRLF $f: differs"; rc=1; }
done
# Mixed line ends, padding, preamble, epilogue, no final line end.
printf 'From x\r\nContent-Type: multipart/mixed; boundary=b\n\r\npre\n--b \t\r\n\nA\r\n--b--\nepi' > "$tmp/mixed"
$m rewrite "$tmp/mixed" > "$tmp/out"
cmp -s "$tmp/mixed" "$tmp/out" || { echo "rewrite mixed: differs"; rc=1; }

# stat: the totals of a small known input, as message files and as mbox.
cat > "$tmp/a.eml" <<'M'
Subject: one
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain
Content-Transfer-Encoding: base64

aGVsbG8gd29ybGQ=
--b
Content-Type: message/rfc822

Subject: inner
Content-Transfer-Encoding: quoted-printable

a=3Db
--b--
M
printf 'Subject: two\n\nplain\n' > "$tmp/b.eml"
{ echo 'From a Mon Jan  1 00:00:00 2024'; cat "$tmp/a.eml"; echo; \
  echo 'From b Mon Jan  1 00:00:00 2024'; cat "$tmp/b.eml"; } > "$tmp/ab.mbox"
want='msgs=2 bytes=265 entities=5 leaves=3 decoded=20 raw=27'
got=$($m stat "$tmp/a.eml" "$tmp/b.eml") || { echo "stat: exit status"; rc=1; }
[ "$got" = "$want" ] || { echo "stat: got '$got', want '$want'"; rc=1; }
got=$($m stat --mbox "$tmp/ab.mbox")
[ "$got" = "$want" ] || { echo "stat --mbox: got '$got', want '$want'"; rc=1; }
got=$($m stat --mbox < "$tmp/ab.mbox")
[ "$got" = "$want" ] || { echo "stat --mbox stdin: got '$got'"; rc=1; }
got=$($m stat --structure-only "$tmp/a.eml" "$tmp/b.eml")
[ "$got" = 'msgs=2 bytes=265 entities=5 leaves=3 decoded=0 raw=27' ] ||
	{ echo "stat --structure-only: got '$got'"; rc=1; }

# Errors: a missing file is bad input (1), unknown options are usage (2).
$m stat "$tmp/missing" > /dev/null 2>&1; [ $? = 1 ] || { echo "stat missing: want 1"; rc=1; }
$m rewrite "$tmp/missing" > /dev/null 2>&1; [ $? = 1 ] || { echo "rewrite missing: want 1"; rc=1; }
$m stat --bogus "$tmp/a.eml" > /dev/null 2>&1; [ $? = 2 ] || { echo "stat --bogus: want 2"; rc=1; }
$m rewrite --bogus < /dev/null > /dev/null 2>&1; [ $? = 2 ] || { echo "rewrite --bogus: want 2"; rc=1; }
$m rewrite a b > /dev/null 2>&1; [ $? = 2 ] || { echo "rewrite a b: want 2"; rc=1; }
exit $rc
