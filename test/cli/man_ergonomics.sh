#!/bin/sh
# man_ergonomics.sh BUILD - the EXAMPLES of the pages of issue 11 (spans,
# defect names, attachments, file names, From_ lines) compile against the
# library, run, and print what the pages say.
set -eu
. test/man-examples.sh
rc=0
man_examples "$1" mf_str mf_strerror mf_mbox_next || rc=1
man_expect mf_str 'type text/plain' || rc=1
man_expect mf_str 'has a Content-Type field' || rc=1
man_expect mf_strerror 'defects: bare-cr, no-close-delim' || rc=1
man_expect mf_mbox_next 'sender b@example.org, 2024-01-01' || rc=1
exit $rc
