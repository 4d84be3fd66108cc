#!/bin/sh
# man_ergonomics.sh BUILD - the EXAMPLES of the pages of issue 11 (spans,
# defect names, attachments, file names, From_ lines) compile against the
# library, run, and print what the pages say.
set -eu
. test/man-examples.sh
rc=0
man_examples "$1" mf_str mf_strerror mf_mbox_next mf_filename_safe || rc=1
man_expect mf_str 'type text/plain' || rc=1
man_expect mf_str 'has a Content-Type field' || rc=1
man_expect mf_strerror 'defects: bare-cr, no-close-delim' || rc=1
man_expect mf_mbox_next 'sender b@example.org, 2024-01-01' || rc=1
for l in passwd report.pdf bashrc invoice_fdp.exe _con.txt a__b_.txt; do
	man_expect mf_filename_safe "$l" || rc=1
done
exit $rc
