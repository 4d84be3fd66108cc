#!/bin/sh
# stat_j.sh BUILD - mailfmt stat -j N: threads over files and over the
# messages of an mbox give exactly the output of -j 1, whatever the number
# of threads and the size of the units an mbox is cut into (down to one
# message per unit, so that every kind of boundary is crossed: CRLF, no
# empty line before a From_ line, a From_ line right after a header).
set -u
b=$1
m=$b/mailfmt
tmp=$b/cli-stat-j
rm -rf "$tmp"
mkdir -p "$tmp"
rc=0

same() { # LABEL ARGS...: -j 1 and the others agree (stdout, stderr, exit)
	label=$1
	shift
	"$m" stat -j 1 "$@" > "$tmp/one.out" 2> "$tmp/one.err"
	one=$?
	for j in 2 4 7; do
		for unit in 1 700 65536; do
			"$m" stat -j $j --unit $unit "$@" > "$tmp/n.out" 2> "$tmp/n.err"
			n=$?
			if [ $n != $one ] || ! cmp -s "$tmp/one.out" "$tmp/n.out" ||
				! cmp -s "$tmp/one.err" "$tmp/n.err"; then
				echo "stat -j $j --unit $unit $label: differs from -j 1"
				cat "$tmp/one.out" "$tmp/one.err" "$tmp/n.out" "$tmp/n.err"
				rc=1
				return
			fi
		done
	done
}

# Every corpus message as a file, and all of them (and the corpus's own
# mboxes) in one mbox, LF and CRLF; a From_ line right after a header
# field and one without an empty line before it.
find test/corpus -type f ! -name '*.json' ! -name '*.md' ! -name 'SHA256SUMS' |
	LC_ALL=C sort > "$tmp/files"
{
	while read -r f; do
		printf 'From corpus@example.org Mon Jan  1 00:00:00 2024\n'
		cat "$f"
		printf '\n'
	done < "$tmp/files"
	printf 'From a@b Mon Jan  1 00:00:00 2024\nSubject: no body\n'
	printf 'From a@b Mon Jan  1 00:00:00 2024\n\nbody\nFrom a@b Mon Jan  1 00:00:00 2024\n\nlast\n'
} > "$tmp/all.mbox"
sed 's/$/\r/' "$tmp/all.mbox" > "$tmp/crlf.mbox"
[ "$(wc -c < "$tmp/all.mbox")" -gt 1000000 ] || { echo "stat -j: corpus mbox too small"; rc=1; }

# shellcheck disable=SC2046
same "corpus files" $(cat "$tmp/files")
# shellcheck disable=SC2046
same "corpus files, structure only" --structure-only $(head -n 50 "$tmp/files")
same "corpus mbox" --mbox "$tmp/all.mbox"
same "corpus mbox CRLF" --mbox "$tmp/crlf.mbox"
same "two mboxes" --mbox "$tmp/all.mbox" "$tmp/crlf.mbox" examples/data/sample.mbox
same "a missing file" examples/data/sample.eml "$tmp/missing" "$tmp/all.mbox"
# The default unit (1 MiB) and -j 0 (every CPU).
"$m" stat --mbox "$tmp/all.mbox" > "$tmp/a"
"$m" stat --mbox -j 0 "$tmp/all.mbox" > "$tmp/b" || rc=1
cmp -s "$tmp/a" "$tmp/b" || { echo "stat -j 0 differs"; rc=1; }
# Usage errors.
"$m" stat -j -1 "$tmp/all.mbox" > /dev/null 2>&1; [ $? = 2 ] || { echo "stat -j -1: want 2"; rc=1; }
"$m" stat -j 999 "$tmp/all.mbox" > /dev/null 2>&1; [ $? = 2 ] || { echo "stat -j 999: want 2"; rc=1; }
"$m" stat --unit 0 "$tmp/all.mbox" > /dev/null 2>&1; [ $? = 2 ] || { echo "stat --unit 0: want 2"; rc=1; }
rm -f "$tmp/all.mbox" "$tmp/crlf.mbox"
exit $rc
