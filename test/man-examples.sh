# man-examples.sh - sourced by the test/cli/man_*.sh scripts: the EXAMPLES
# of man pages compiled against the library and run.
#
#   . test/man-examples.sh
#   man_examples BUILD PAGE...   # each PAGE's output in $man_out/PAGE.out;
#                                # returns non-zero if one failed
#   man_expect PAGE LINE         # PAGE's output has the line LINE

man_out=
man_examples() {
	_build=$1
	shift
	man_out=$_build/man-ex
	mkdir -p "$man_out"
	_rc=0
	for _page in "$@"; do
		_f=man/man3/$_page.3
		[ -f "$_f" ] || { echo "missing $_f"; _rc=1; continue; }
		# The literal block after .Sh EXAMPLES, mdoc escapes undone.
		awk '/^\.Sh EXAMPLES/{on=1;next} on&&/^\.Bd/{lit=1;next} lit&&/^\.Ed/{exit} lit' "$_f" |
			sed -e 's/\\e/\\/g' -e 's/\\&//g' > "$man_out/$_page.c"
		if ! ${CC:-cc} -std=c11 -Wall -Wextra -Werror -Iinclude \
			-o "$man_out/$_page" "$man_out/$_page.c" \
			"$_build/libmailfmt.a"; then
			echo "$_f: EXAMPLES do not compile"; _rc=1; continue
		fi
		"$man_out/$_page" > "$man_out/$_page.out" ||
			{ echo "$_f: example failed"; _rc=1; }
	done
	return $_rc
}

man_expect() {
	grep -qx -- "$2" "$man_out/$1.out" && return 0
	echo "$1 example output: want '$2', got:"
	cat "$man_out/$1.out"
	return 1
}
