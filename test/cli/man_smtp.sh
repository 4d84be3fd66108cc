#!/bin/sh
# man_smtp.sh BUILD - the EXAMPLES of the dot-stuffing and SMTP man pages
# compile against the library, run, and print what the pages say.
set -eu
. test/man-examples.sh
rc=0
man_examples "$1" mf_dot_encode mf_dot_dec_update || rc=1
# Wire output has CRLF line ends: every line must, then compare without.
if tr -d '\r' < "$man_out/mf_dot_encode.out" | cmp -s - "$man_out/mf_dot_encode.out" ||
	[ "$(grep -c "$(printf '\r')\$" "$man_out/mf_dot_encode.out")" != 5 ]; then
	echo "mf_dot_encode example: want 5 CRLF lines"; rc=1
fi
tr -d '\r' < "$man_out/mf_dot_encode.out" > "$man_out/mf_dot_encode.lf"
mv "$man_out/mf_dot_encode.lf" "$man_out/mf_dot_encode.out"
man_expect mf_dot_encode '..profile' || rc=1
man_expect mf_dot_encode '.' || rc=1
man_expect mf_dot_dec_update '18 bytes of message, next: QUIT' || rc=1
man_examples "$1" mf_smtp_cmd_parse mf_smtp_path_parse mf_smtp_cmd_format \
	mf_smtp_sasl_parse mf_smtp_reply_parse mf_smtp_ehlo_parse \
	mf_smtp_server_parse mf_smtp_client_next mf_smtp_trace_format \
	mf_smtp_mx_order || rc=1
for p in mf_smtp_cmd_format mf_smtp_reply_parse mf_smtp_server_parse \
	mf_smtp_client_next; do
	tr -d '\r' < "$man_out/$p.out" > "$man_out/$p.lf"
	mv "$man_out/$p.lf" "$man_out/$p.out"
done
man_expect mf_smtp_cmd_parse 'from ann@example.org, size 1200' || rc=1
man_expect mf_smtp_cmd_parse 'BODY=8BITMIME' || rc=1
man_expect mf_smtp_cmd_parse 'next: RCPT' || rc=1
grep -Fqx '"ann lee"@[192.0.2.1]' "$man_out/mf_smtp_path_parse.out" ||
	{ echo "mf_smtp_path_parse example: no quoted mailbox"; rc=1; }
man_expect mf_smtp_path_parse '<bob@example.net>' || rc=1
man_expect mf_smtp_cmd_format 'MAIL FROM:<ann@example.org> ENVID=id+3D1+2B2' || rc=1
man_expect mf_smtp_cmd_format 'EHLO client.example' || rc=1
man_expect mf_smtp_sasl_parse 'user username, password password' || rc=1
man_expect mf_smtp_reply_parse '550 5.1.1' || rc=1
man_expect mf_smtp_reply_parse 'Try another' || rc=1
man_expect mf_smtp_reply_parse '250 2.0.0 queued' || rc=1
man_expect mf_smtp_ehlo_parse 'pipelining 1, size 10485760, plain 1' || rc=1
man_expect mf_smtp_server_parse '220 s.example ESMTP' || rc=1
man_expect mf_smtp_server_parse '250 8BITMIME' || rc=1
man_expect mf_smtp_server_parse '354 End data with <CR><LF>.<CR><LF>' || rc=1
man_expect mf_smtp_server_parse '221 s.example Bye' || rc=1
man_expect mf_smtp_client_next '..dot' || rc=1
man_expect mf_smtp_client_next 'QUIT' || rc=1
man_expect mf_smtp_client_next 'ok 1, code 250' || rc=1
man_expect mf_smtp_trace_format 'Return-Path: <ann@example.org>' || rc=1
man_expect mf_smtp_trace_format ' Mon, 01 Dec 2025 11:00:00 +0100' || rc=1
man_expect mf_smtp_mx_order '10 mx1.example.net' || rc=1
man_expect mf_smtp_mx_order '20 mx2.example.net' || rc=1
[ "$(wc -l < "$man_out/mf_smtp_mx_order.out")" = 2 ] ||
	{ echo "mf_smtp_mx_order example: want 2 lines"; rc=1; }
exit $rc
