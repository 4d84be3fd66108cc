#!/bin/sh
# stat-j.sh BUILD [CORPUS] - make bench: the speed-up of mailfmt stat -j N
# (threads over the messages of an mbox) over -j 1, N the number of online
# CPUs (at least 2). On gen_corpus.py's small.mbox and attach.mbox when
# CORPUS is given, else on an mbox of the test corpus's messages repeated
# to 64 MB. Best of 3 runs each; the outputs must be equal. Beside it, the
# throughput N separate processes reach together on the same file: the
# most this machine can give (memory bandwidth, other load).
set -eu
b=$1
corpus=${2:-}
m=$b/mailfmt
n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
[ "$n" -ge 2 ] || n=2
tmp=$b/bench-stat
mkdir -p "$tmp"
now() { date +%s.%N; }

if [ -n "$corpus" ] && [ -f "$corpus/small.mbox" ]; then
	sets="$corpus/small.mbox $corpus/attach.mbox"
else
	mb=$tmp/corpus.mbox
	if [ ! -s "$mb" ]; then
		find test/corpus -type f ! -name '*.json' ! -name '*.md' \
			! -name SHA256SUMS | LC_ALL=C sort > "$tmp/files"
		: > "$tmp/one.mbox"
		while read -r f; do
			printf 'From bench@example.org Mon Jan  1 00:00:00 2024\n' >> "$tmp/one.mbox"
			cat "$f" >> "$tmp/one.mbox"
			printf '\n' >> "$tmp/one.mbox"
		done < "$tmp/files"
		: > "$mb"
		while [ "$(wc -c < "$mb")" -lt 67108864 ]; do
			cat "$tmp/one.mbox" >> "$mb"
		done
	fi
	sets=$mb
fi
for f in $sets; do
	size=$(wc -c < "$f")
	for j in 1 "$n"; do
		best=
		for r in 1 2 3; do
			t0=$(now)
			"$m" stat --mbox -j "$j" "$f" > "$tmp/out.$j"
			t1=$(now)
			best=$(echo "$t0 $t1 ${best:-}" | awk '{d = $2 - $1; if ($3 == "" || d < $3) d = d; else d = $3; printf "%.4f", d}')
		done
		eval "t_$j=$best"
	done
	cmp -s "$tmp/out.1" "$tmp/out.$n" || { echo "stat -j $n differs from -j 1"; exit 1; }
	# What this machine gives: N processes of -j 1 at once (each the
	# whole file), as the ceiling of the speed-up.
	best=
	for r in 1 2 3; do
		t0=$(now)
		k=0
		while [ $k -lt "$n" ]; do
			"$m" stat --mbox -j 1 "$f" > /dev/null &
			k=$((k + 1))
		done
		wait
		t1=$(now)
		best=$(echo "$t0 $t1 ${best:-}" | awk '{d = $2 - $1; if ($3 == "" || d < $3) d = d; else d = $3; printf "%.4f", d}')
	done
	eval "tn=\$t_$n"
	awk -v f="${f##*/}" -v s="$size" -v a="$t_1" -v b="$tn" -v n="$n" -v p="$best" 'BEGIN {
		printf "stat --mbox %-12s %5.0f MB  -j 1 %6.1f MB/s  -j %d %6.1f MB/s  speed-up %.2fx (%d processes at once: %.2fx)\n",
			f, s / 1e6, s / a / 1e6, n, s / b / 1e6, a / b, n, n * a / p }'
done
