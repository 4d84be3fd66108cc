#!/bin/sh
# demo.sh MAILFMT - make demo: the CLI's main job on the bundled sample mail
# (examples/data/). Needs nothing beyond the built CLI.
set -e
m=${1:-build/mailfmt}
echo "== $m --version"
"$m" --version
