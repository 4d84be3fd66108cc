#!/bin/sh
# header.sh BUILD - black-box tests of `mailfmt date` and `mailfmt fold`.
set -u
m=$1/mailfmt
tmp=$1/cli-header
mkdir -p "$tmp"
rc=0

check() { # name, expected file, actual file
	if ! cmp -s "$2" "$3"; then
		echo "$1: output differs"; diff "$2" "$3" | head -20; rc=1
	fi
}

printf 'Fri, 21 Nov 1997 09:55:06 -0600\nnonsense\n21 Nov 97 09:55 GMT\r\n''Sat Mar 24 21:23:03 EDT 2007\nThu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)\n21 Nov 1997 09:55:06 -0000\n\n' > "$tmp/dates.in"
printf '1997-11-21T09:55:06-06:00\ninvalid\n1997-11-21T09:55:00+00:00\n2007-03-24T21:23:03-04:00\n1969-02-13T23:32:00-03:30\n1997-11-21T09:55:06-00:00\ninvalid\n' > "$tmp/dates.want"
$m date "$tmp/dates.in" > "$tmp/dates.out"; [ $? = 0 ] || { echo "date: exit status"; rc=1; }
check date "$tmp/dates.want" "$tmp/dates.out"
$m date < "$tmp/dates.in" > "$tmp/dates.out2"
check "date stdin" "$tmp/dates.want" "$tmp/dates.out2"

# GMime's first folding case, and an address list at width 30.
s='012345678901234567890123456789012345678901234567890123456789012345678'
t='01234567890123456789012345678901234567890123456789012345678901234567890123456'
printf 'Subject: %s %s %s 0123456789\nTo: Ann Lee <a@x.org>, Bob Ray <b@y.org>\n\n' "$s" "$t" "$t" > "$tmp/fold.in"
printf 'Subject: %s\n %s\n %s\n 0123456789\nTo: Ann Lee <a@x.org>, Bob Ray <b@y.org>\n' "$s" "$t" "$t" > "$tmp/fold.want"
$m fold "$tmp/fold.in" > "$tmp/fold.out"; [ $? = 0 ] || { echo "fold: exit status"; rc=1; }
check fold "$tmp/fold.want" "$tmp/fold.out"
printf 'To: Ann Lee <a@x.org>,\n Bob Ray <b@y.org>\n' > "$tmp/fold30.want"
printf 'To: Ann Lee <a@x.org>, Bob Ray <b@y.org>\n' | $m fold --width 30 > "$tmp/fold30.out"
check "fold --width 30" "$tmp/fold30.want" "$tmp/fold30.out"

# Non-ASCII: encoded words (7-bit), UTF-8 where they cannot be used.
printf 'Subject: caf\303\251\nTo: Jos\303\251 <j@x.example>\nCc: j\303\266@x.example\n' | $m fold > "$tmp/fold8.out"
printf 'Subject: =?utf-8?B?Y2Fmw6k=?=\nTo: =?utf-8?B?Sm9zw6k=?= <j@x.example>\nCc: j\303\266@x.example\n' > "$tmp/fold8.want"
check "fold non-ASCII" "$tmp/fold8.want" "$tmp/fold8.out"

# Errors: a line that is not a field (exit 1, offset), bad usage (exit 2).
printf 'A: 1\nnot a field\n' | $m fold > /dev/null 2> "$tmp/err"
[ $? = 1 ] || { echo "fold bad input: want exit 1"; rc=1; }
grep -q 'at byte 5$' "$tmp/err" || { echo "fold bad input: offset"; rc=1; }
$m fold --width 0 < /dev/null > /dev/null 2>&1; [ $? = 2 ] || { echo "fold --width 0: want exit 2"; rc=1; }
$m fold --bogus < /dev/null > /dev/null 2>&1; [ $? = 2 ] || { echo "fold --bogus: want exit 2"; rc=1; }
$m date --bogus < /dev/null > /dev/null 2>&1; [ $? = 2 ] || { echo "date --bogus: want exit 2"; rc=1; }
exit $rc
