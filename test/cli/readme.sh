#!/bin/sh
# readme.sh BUILD - the README's C example compiles against the library,
# prints what it should, and frees and reports correctly on its error
# paths: built again (with AddressSanitizer's leak check) with mf_buf_new
# failing, and with the parse failing.
set -eu
build=$1
out=$build/readme
mkdir -p "$out"
rc=0
awk '/^```c$/{on=1;next} /^```$/{if(on){on=0;exit}} on' README.md > "$out/example.c"
[ -s "$out/example.c" ] || { echo "no C example in README.md"; exit 1; }
${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude -o "$out/example" \
	"$out/example.c" "$build/libmailfmt.a"
"$out/example" > "$out/example.out"
printf 'Subject: Grüße\nmultipart/mixed\n  text/plain\n' > "$out/example.want"
cmp -s "$out/example.out" "$out/example.want" ||
	{ echo "README example output:"; cat "$out/example.out"; rc=1; }

# The error paths, each through a stand-in for one library call.
cat > "$out/nobuf.h" <<'H'
#include <mailfmt.h>
#define mf_buf_new(a) ((mf_buf *)0)
H
cat > "$out/noparse.h" <<'H'
#include <mailfmt.h>
static int
fake_parse(const char *p, mf_error *e)
{
	(void)p;
	e->code = MF_E_SYNTAX;
	e->offset = 7;
	e->reason = "fake failure";
	return MF_E_SYNTAX;
}
#define mf_msg_parse(p, n, o, m, e) fake_parse(p, e)
H
for v in nobuf noparse; do
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -Wno-unused-function \
		-fsanitize=address -g -Iinclude -include "$out/$v.h" \
		-o "$out/example-$v" "$out/example.c" "$build/libmailfmt.a"
	if ASAN_OPTIONS=detect_leaks=1 "$out/example-$v" > "$out/$v.out" 2> "$out/$v.err"; then
		echo "README example ($v): exit 0"; rc=1
	fi
	case $v in
	nobuf) want='out of memory at byte 0' ;;
	noparse) want='fake failure at byte 7' ;;
	esac
	grep -qx "$want" "$out/$v.err" ||
		{ echo "README example ($v): stderr"; cat "$out/$v.err"; rc=1; }
	[ ! -s "$out/$v.out" ] || { echo "README example ($v): stdout"; rc=1; }
done
exit $rc
