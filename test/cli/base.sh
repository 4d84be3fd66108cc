#!/bin/sh
# base.sh BUILD - the CLI's contract for unknown and missing subcommands.
set -u
m=$1/mailfmt
rc=0
$m >/dev/null 2>&1; [ $? = 2 ] || { echo "no args: want exit 2"; rc=1; }
$m nosuch >/dev/null 2>&1; [ $? = 2 ] || { echo "unknown: want exit 2"; rc=1; }
$m --version | grep -q '^mailfmt [0-9]' || { echo "--version"; rc=1; }
exit $rc
