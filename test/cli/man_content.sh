#!/bin/sh
# man_content.sh BUILD - the EXAMPLES of the content man pages (decoding,
# uudecode, body selection) compile against the library, run, and print
# what the pages say they print.
set -u
. test/man-examples.sh
rc=0
man_examples "$1" mf_part_content mf_uu_decode mf_msg_bodies || rc=1
man_expect mf_part_content 'Grüße aus Zürich.' || rc=1
man_expect mf_uu_decode 'cat.txt: Cat' || rc=1
man_expect mf_msg_bodies 'text: text/plain image/png' || rc=1
man_expect mf_msg_bodies 'html: text/html image/png' || rc=1
man_expect mf_msg_bodies 'attachments: application/pdf' || rc=1
man_expect mf_msg_bodies 'named: a.pdf' || rc=1
exit $rc
