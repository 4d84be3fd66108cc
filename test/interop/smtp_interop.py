#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""smtp_interop.py BUILD - interop: the SMTP examples (build/smtp-sink,
build/smtp-send) with real SMTP software, on 127.0.0.1 only.

 - Python's smtplib sends to smtp-sink: plain, 8BITMIME, SMTPUTF8, lines
   that start with dots, a 20 MiB attachment, 50 recipients (one by one,
   and pipelined over a raw socket); swaks likewise. Every stored file,
   after the Return-Path and Received fields smtp-sink adds, is the
   message as sent.
 - Postfix relays to smtp-sink (smtp-sink offers PIPELINING, SIZE and
   8BITMIME; Postfix is the client); the message arrives as submitted
   after the Received fields of both.
 - smtp-send delivers to a Postfix smtpd (virtual(8) into a Maildir; BDAT
   with a CRLF message, DATA with an LF one) and to Python's aiosmtpd; the
   delivered bytes are the file sent.
 - Hostile clients against smtp-sink: lines over the limit, a bare-LF "."
   inside DATA followed by smuggled commands, commands out of order,
   10,000 RCPT, DATA over --max-size, a disconnect in the middle of DATA,
   a client that sends one byte at a time: the replies are counted and
   checked, nothing is delivered that should not be, nothing accepted is
   lost, no partial file is left in new/ or tmp/.

Every server is private, on a port the kernel picks, and stopped by its
PID, also when a check fails. Postfix needs root (CI runs as root) and
the Debian packages postfix, swaks and python3-aiosmtpd; a missing tool
is a failure, not a skip.
"""
import os
import random
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
SINK = os.path.join(BUILD, "smtp-sink")
SEND = os.path.join(BUILD, "smtp-send")
SYS_PY = "/usr/bin/python3"  # Debian's, with python3-aiosmtpd
TIMEOUT = 30

failures = []
procs = []


def fail(what):
    failures.append(what)
    print("FAIL", what, flush=True)


def ok(what):
    print("ok  ", what, flush=True)


def check(what, cond, detail=""):
    if cond:
        ok(what)
    else:
        fail("%s%s" % (what, (": " + detail) if detail else ""))


def stop(p):
    """Stops a process we started, by its PID."""
    if p.poll() is None:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
    if p in procs:
        procs.remove(p)


def wait_for(cond, seconds=10.0):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


# ---------------------------------------------------------------------------
# smtp-sink and its Maildir
# ---------------------------------------------------------------------------

class Sink:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="mf-sink.")
        self.p = subprocess.Popen([SINK, "-p", "0", "-d", self.dir,
                                   "-n", "sink.test"] + list(args),
                                  stdout=subprocess.PIPE)
        procs.append(self.p)
        line = self.p.stdout.readline().decode()
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            raise RuntimeError("smtp-sink did not start: %r" % line)
        self.port = int(m.group(1))

    def new(self):
        d = os.path.join(self.dir, "new")
        return sorted(os.listdir(d))

    def messages(self):
        out = []
        for f in self.new():
            with open(os.path.join(self.dir, "new", f), "rb") as fh:
                out.append(fh.read())
        return out

    def tmp(self):
        return os.listdir(os.path.join(self.dir, "tmp"))

    def close(self):
        stop(self.p)
        shutil.rmtree(self.dir, ignore_errors=True)


def strip_fields(data, names):
    """The message after its leading header fields called names (folded
    lines included); None when they are not there."""
    pos = 0
    for name in names:
        if not data[pos:].lower().startswith(name.lower() + b":"):
            return None
        end = data.index(b"\n", pos) + 1
        while data[end:end + 1] in (b" ", b"\t"):
            end = data.index(b"\n", end) + 1
        pos = end
    return data[pos:]


def body_of_sink(data):
    return strip_fields(data, [b"Return-Path", b"Received"])


# ---------------------------------------------------------------------------
# A raw SMTP client, for pipelining and hostile cases
# ---------------------------------------------------------------------------

class Raw:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def replies(self, n):
        """n complete replies: their codes (multi-line ones counted once)."""
        codes = []
        while len(codes) < n:
            m = re.match(rb"((\d{3})-[^\n]*\n)*(\d{3}) [^\n]*\n|(\d{3})\r\n",
                         self.buf)
            if m:
                codes.append(int(m.group(0)[:3]))
                self.buf = self.buf[m.end():]
                continue
            chunk = self.s.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        return codes

    def nothing_more(self, wait=0.3):
        """No stray reply: nothing arrives within wait seconds."""
        self.s.settimeout(wait)
        try:
            chunk = self.s.recv(65536)
        except socket.timeout:
            chunk = b""
        self.s.settimeout(10)
        return self.buf == b"" and chunk == b""

    def close(self):
        self.s.close()


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

def attachment(size):
    rng = random.Random(7)
    raw = bytes(rng.getrandbits(8) for _ in range(size * 3 // 4))
    import base64
    b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    return (b"From: a@client.test\r\nTo: b@sink.test\r\n"
            b"Subject: attachment\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
            b"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b"--XX\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
            b"--XX--\r\n")


PLAIN = (b"From: a@client.test\r\nTo: b@sink.test\r\nSubject: plain\r\n"
         b"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
         b"Message-ID: <plain@client.test>\r\n\r\nHello.\r\n")
EIGHT = (b"From: a@client.test\r\nTo: b@sink.test\r\nSubject: 8bit\r\n"
         b"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
         b"Message-ID: <8bit@client.test>\r\nMIME-Version: 1.0\r\n"
         b"Content-Type: text/plain; charset=utf-8\r\n"
         b"Content-Transfer-Encoding: 8bit\r\n\r\n"
         b"Gr\xc3\xbc\xc3\x9fe, h\xc3\xa9llo w\xc3\xb6rld\r\n")
UTF8 = ("From: J\u00f6rg <j\u00f6rg@client.test>\r\nTo: \u00e9@sink.test\r\n"
        "Subject: \u00dcber UTF-8\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "\u65e5\u672c\u8a9e\r\n").encode()
DOTS = (b"From: a@client.test\r\nSubject: dots\r\n\r\n.\r\n..\r\n"
        b".leading\r\n...three\r\nend.\r\n. \r\n")


def stuffed(msg):
    """msg dot-stuffed, as a client sends it after DATA."""
    return re.sub(rb"(^|\r\n)\.", rb"\1..", msg)


def smtplib_to_sink():
    sink = Sink()
    try:
        s = smtplib.SMTP("127.0.0.1", sink.port, local_hostname="py.test",
                         timeout=TIMEOUT)
        s.ehlo()
        feats = set(s.esmtp_features)
        check("smtplib: EHLO offers PIPELINING, SIZE, 8BITMIME, SMTPUTF8, "
              "ENHANCEDSTATUSCODES",
              {"pipelining", "size", "8bitmime", "smtputf8",
               "enhancedstatuscodes"} <= feats, str(feats))
        sent = []
        s.sendmail("a@client.test", ["b@sink.test"], PLAIN)
        sent.append(PLAIN)
        s.sendmail("a@client.test", ["b@sink.test"], EIGHT,
                   mail_options=["BODY=8BITMIME"])
        sent.append(EIGHT)
        s.sendmail("j\u00f6rg@client.test", ["\u00e9@sink.test"], UTF8,
                   mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        sent.append(UTF8)
        s.sendmail("a@client.test", ["b@sink.test"], DOTS)
        sent.append(DOTS)
        big = attachment(20 << 20)
        t0 = time.time()
        s.sendmail("a@client.test", ["b@sink.test"], big)
        sent.append(big)
        print("     20 MiB message in %.2f s" % (time.time() - t0))
        rcpts = ["r%02d@sink.test" % i for i in range(50)]
        refused = s.sendmail("a@client.test", rcpts, PLAIN)
        check("smtplib: 50 recipients accepted", refused == {}, str(refused))
        sent.append(PLAIN)
        s.quit()
        got = sink.messages()
        check("smtplib: %d messages stored" % len(sent),
              len(got) == len(sent), "%d files" % len(got))
        names = ["plain", "8BITMIME", "SMTPUTF8", "dot lines",
                 "20 MiB attachment", "50 recipients"]
        for name, want, have in zip(names, sent, got):
            body = body_of_sink(have)
            check("smtplib %s: stored byte for byte after the trace" % name,
                  body == want,
                  "got %r" % (body[:120] if body else have[:200]))
        check("smtplib SMTPUTF8: Received says UTF8SMTP",
              b"with UTF8SMTP" in got[2][:400], got[2][:300].decode("utf-8",
                                                                  "replace"))
        check("smtplib: Return-Path of the SMTPUTF8 message is UTF-8",
              got[2].startswith("Return-Path: <j\u00f6rg@client.test>\r\n"
                                .encode()), got[2][:60].decode("utf-8",
                                                               "replace"))
        # 50 recipients pipelined in one write.
        r = Raw(sink.port)
        r.replies(1)
        r.send(b"EHLO raw.test\r\n")
        r.replies(1)
        group = b"MAIL FROM:<a@client.test>\r\n" + b"".join(
            b"RCPT TO:<p%02d@sink.test>\r\n" % i for i in range(50)) + \
            b"DATA\r\n"
        r.send(group)
        codes = r.replies(52)
        check("pipelined: MAIL, 50 RCPT, DATA answered in order",
              codes == [250] * 51 + [354], str(codes))
        r.send(PLAIN + b".\r\nQUIT\r\n")
        codes = r.replies(2)
        check("pipelined: message and QUIT", codes == [250, 221], str(codes))
        check("pipelined: no stray reply", r.nothing_more())
        r.close()
        got = sink.messages()
        check("pipelined: stored byte for byte",
              len(got) == len(sent) + 1 and
              body_of_sink(got[-1]) == PLAIN)
        check("no file left in tmp/", sink.tmp() == [], str(sink.tmp()))
    finally:
        sink.close()


def swaks_to_sink():
    if shutil.which("swaks") is None:
        fail("swaks is not installed (apt-get install swaks)")
        return
    sink = Sink()
    tmp = tempfile.mkdtemp(prefix="mf-swaks.")
    try:
        # swaks ends the data with CRLF "." CRLF after the file: a file
        # without its last CRLF arrives as the message with it.
        want = EIGHT + DOTS[DOTS.index(b"\r\n\r\n") + 4:]
        msg = os.path.join(tmp, "msg.eml")
        with open(msg, "wb") as f:
            f.write(want[:-2])
        out = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % sink.port,
                              "--from", "s@client.test", "--to",
                              "b@sink.test", "--data", msg,
                              "--pipeline"], capture_output=True,
                             timeout=TIMEOUT)
        check("swaks: exit 0", out.returncode == 0,
              out.stdout.decode(errors="replace")[-500:])
        got = sink.messages()
        check("swaks: stored byte for byte after the trace",
              len(got) == 1 and body_of_sink(got[0]) == want,
              repr(got[0][:300]) if got else "nothing stored")
    finally:
        sink.close()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# Postfix (private instances; see ../shared/interop-recipes for the facts)
# ---------------------------------------------------------------------------

MASTER_CF = """127.0.0.1:%(port)d inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
virtual   unix  - n n -  - virtual
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postfix:
    """A private Postfix: relay to 127.0.0.1:relay_port, or (relay_port
    None) virtual delivery for example.test into self.dir/mail/USER/."""

    def __init__(self, relay_port=None):
        if shutil.which("postfix") is None:
            raise RuntimeError("postfix is not installed")
        self.dir = tempfile.mkdtemp(prefix="mf-postfix.")
        os.chmod(self.dir, 0o755)  # the postfix user must enter it
        for d in ("etc", "spool", "mail"):
            os.mkdir(os.path.join(self.dir, d))
        os.chown(os.path.join(self.dir, "mail"), 65534, 65534)
        self.port = free_port()
        conf = {
            "compatibility_level": "3.6",
            "config_directory": self.dir + "/etc",
            "queue_directory": self.dir + "/spool",
            "data_directory": self.dir + "/data",
            "meta_directory": "/etc/postfix",
            "maillog_file": self.dir + "/maillog",
            "maillog_file_prefixes": self.dir,
            "mydestination": "", "local_recipient_maps": "",
            "alias_maps": "", "alias_database": "",
            "inet_interfaces": "127.0.0.1", "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8", "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "smtp_tls_security_level": "none",
            "disable_mime_output_conversion": "yes",
            "local_header_rewrite_clients": "", "biff": "no",
        }
        if relay_port is not None:
            conf.update({
                "myhostname": "relay.test", "mydomain": "relay.test",
                "smtpd_relay_restrictions": "permit_mynetworks, reject",
                "relayhost": "[127.0.0.1]:%d" % relay_port,
                "smtp_connect_timeout": "5s", "queue_run_delay": "1s",
                "minimal_backoff_time": "1s",
                "maximal_backoff_time": "2s"})
        else:
            with open(os.path.join(self.dir, "etc", "vmailbox"), "w") as f:
                for u in ("alice", "bob"):
                    f.write("%s@example.test %s/\n" % (u, u))
            conf.update({
                "myhostname": "mx.example.test", "mydomain": "example.test",
                "relay_domains": "",
                "smtpd_relay_restrictions": "reject_unauth_destination",
                "virtual_mailbox_domains": "example.test",
                "virtual_mailbox_base": self.dir + "/mail",
                "virtual_mailbox_maps": "texthash:%s/etc/vmailbox" % self.dir,
                "virtual_uid_maps": "static:65534",
                "virtual_gid_maps": "static:65534",
                "virtual_mailbox_limit": "0"})
        with open(os.path.join(self.dir, "etc", "main.cf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(self.dir, "etc", "master.cf"), "w") as f:
            f.write(MASTER_CF % {"port": self.port})
        # Postfix re-reads files younger than a second: backdate them.
        old = time.time() - 60
        for n in os.listdir(os.path.join(self.dir, "etc")):
            os.utime(os.path.join(self.dir, "etc", n), (old, old))
        self.pid = None
        r = subprocess.run(["postfix", "-c", self.dir + "/etc", "start"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT)
        if r.returncode != 0:
            log = self.log()
            self.close()
            raise RuntimeError("postfix start failed: %s" % log[-2000:])
        with open(os.path.join(self.dir, "spool", "pid", "master.pid")) as f:
            self.pid = int(f.read().strip())
        if not wait_for(self.banner):
            raise RuntimeError("postfix smtpd does not answer")

    def banner(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port),
                                          timeout=2) as s:
                return s.recv(100).startswith(b"220")
        except OSError:
            return False

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def delivered(self, user):
        d = os.path.join(self.dir, "mail", user, "new")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def close(self):
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            wait_for(lambda: not os.path.exists("/proc/%d" % self.pid), 5)
            # Its children are in its process group: stop them by PID.
            for pid in group_pids(self.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)


def group_pids(pgid):
    """The processes of process group pgid, read from /proc (a fresh
    machine may have no ps: procps is not in a minimal Debian)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # After the command name in parentheses: state, ppid, pgrp.
        if int(st[st.rindex(")") + 2:].split()[2]) == pgid:
            pids.append(int(d))
    return pids


def postfix_relays_to_sink():
    sink = Sink()
    pf = None
    try:
        pf = Postfix(relay_port=sink.port)
        s = smtplib.SMTP("127.0.0.1", pf.port, local_hostname="sub.test",
                         timeout=TIMEOUT)
        s.sendmail("a@client.test", ["b@elsewhere.test"], EIGHT,
                   mail_options=["BODY=8BITMIME"])
        s.sendmail("a@client.test", ["b@elsewhere.test", "c@else.test"], DOTS)
        s.quit()
        check("postfix: relayed both messages to smtp-sink",
              wait_for(lambda: len(sink.new()) >= 2, 20),
              pf.log()[-1500:])
        got = sink.messages()
        for want, name in ((EIGHT, "8BITMIME"), (DOTS, "dot lines")):
            found = False
            for g in got:
                rest = body_of_sink(g)
                # Postfix adds its own Received fields (one per hop).
                while rest is not None and rest.startswith(b"Received:"):
                    rest = strip_fields(rest, [b"Received"])
                if rest == want:
                    found = True
            check("postfix -> smtp-sink %s: byte for byte after the "
                  "Received fields" % name, found,
                  repr(got[0][:400]) if got else "")
        check("postfix: status=sent", pf.log().count("status=sent") >= 2)
        check("postfix: no message refused by smtp-sink",
              "status=bounced" not in pf.log() and
              "status=deferred" not in pf.log(), pf.log()[-800:])
    finally:
        if pf is not None:
            pf.close()
        sink.close()


def smtp_send_to_postfix():
    pf = None
    tmp = tempfile.mkdtemp(prefix="mf-send.")
    try:
        pf = Postfix()
        crlf = os.path.join(tmp, "crlf.eml")
        lf = os.path.join(tmp, "lf.eml")
        with open(crlf, "wb") as f:
            f.write(EIGHT)
        with open(lf, "wb") as f:
            f.write(DOTS.replace(b"\r\n", b"\n"))
        for path, name in ((crlf, "CRLF message (BDAT)"),
                           (lf, "LF message (DATA)")):
            r = subprocess.run([SEND, "-s", "127.0.0.1:%d" % pf.port,
                                "-f", "a@client.test", "-t",
                                "alice@example.test", path],
                               capture_output=True, timeout=TIMEOUT)
            check("smtp-send -> postfix %s: exit 0" % name,
                  r.returncode == 0, r.stderr.decode(errors="replace"))
        r = subprocess.run([SEND, "-s", "127.0.0.1:%d" % pf.port, "-f",
                            "a@client.test", "-t", "nobody@elsewhere.test",
                            crlf], capture_output=True, timeout=TIMEOUT)
        check("smtp-send -> postfix, relay refused: exit 1 and the reply",
              r.returncode == 1 and b"554" in r.stderr,
              r.stderr.decode(errors="replace"))
        check("postfix delivered two messages",
              wait_for(lambda: len(pf.delivered("alice")) >= 2, 20),
              pf.log()[-1500:])
        files = pf.delivered("alice")
        got = []
        for f in files:
            with open(os.path.join(pf.dir, "mail", "alice", "new", f),
                      "rb") as fh:
                got.append(fh.read())
        # virtual(8) writes LF line ends, its fields first.
        for want, name in ((EIGHT, "CRLF message (BDAT)"),
                           (DOTS, "LF message (DATA)")):
            want_lf = want.replace(b"\r\n", b"\n")
            check("smtp-send -> postfix %s: delivered byte for byte "
                  "(CRLF as LF)" % name,
                  any(g.endswith(want_lf) and
                      b"\n\n" not in g[:len(g) - len(want_lf)]
                      for g in got), repr(got))
        s = smtplib.SMTP("127.0.0.1", pf.port, timeout=TIMEOUT)
        s.ehlo()
        check("postfix offers CHUNKING (so the CRLF file went by BDAT)",
              s.has_extn("chunking"))
        s.quit()
    finally:
        if pf is not None:
            pf.close()
        shutil.rmtree(tmp, ignore_errors=True)


AIOSMTPD_SERVER = r'''
import asyncio, os, sys
from aiosmtpd.smtp import SMTP
outdir, portfile = sys.argv[1], sys.argv[2]
count = 0
class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        with open(os.path.join(outdir, "m%03d.tmp" % count), "wb") as f:
            f.write(envelope.original_content)
        os.rename(os.path.join(outdir, "m%03d.tmp" % count),
                  os.path.join(outdir, "m%03d.eml" % count))
        return "250 OK"
async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(
        lambda: SMTP(Handler(), hostname="aio.test", enable_SMTPUTF8=True),
        "127.0.0.1", 0)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.sockets[0].getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    await srv.serve_forever()
asyncio.run(main())
'''


def smtp_send_to_aiosmtpd():
    tmp = tempfile.mkdtemp(prefix="mf-aio.")
    p = None
    try:
        script = os.path.join(tmp, "server.py")
        with open(script, "w") as f:
            f.write(AIOSMTPD_SERVER)
        portfile = os.path.join(tmp, "port")
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        p = subprocess.Popen([SYS_PY, script, out, portfile],
                             stderr=subprocess.PIPE)
        procs.append(p)
        if not wait_for(lambda: os.path.exists(portfile) or
                        p.poll() is not None, 10) or p.poll() is not None:
            fail("aiosmtpd did not start (apt-get install python3-aiosmtpd): "
                 + p.stderr.read().decode(errors="replace")[-300:])
            return
        with open(portfile) as f:
            port = int(f.read())
        cases = [(PLAIN, "plain"), (EIGHT, "8bit"), (DOTS, "dot lines"),
                 (DOTS.replace(b"\r\n", b"\n"), "LF line ends"),
                 (attachment(1 << 20), "1 MiB attachment")]
        for i, (msg, name) in enumerate(cases):
            path = os.path.join(tmp, "msg%d.eml" % i)
            with open(path, "wb") as f:
                f.write(msg)
            r = subprocess.run([SEND, "-s", "127.0.0.1:%d" % port, "-f",
                                "a@client.test", "-t", "b@aio.test", "-t",
                                "c@aio.test", path], capture_output=True,
                               timeout=TIMEOUT)
            check("smtp-send -> aiosmtpd %s: exit 0" % name,
                  r.returncode == 0, r.stderr.decode(errors="replace"))
            done = os.path.join(out, "m%03d.eml" % (i + 1))
            wait_for(lambda: os.path.exists(done), 5)
            with open(done, "rb") as f:
                got = f.read()
            check("smtp-send -> aiosmtpd %s: byte for byte" % name,
                  got == msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
                  repr(got[:200]))
        # A message from stdin, UTF-8 addresses (SMTPUTF8).
        r = subprocess.run([SEND, "-s", "127.0.0.1:%d" % port, "-f",
                            "j\u00f6rg@client.test", "-t", "\u00e9@aio.test"],
                           input=UTF8, capture_output=True, timeout=TIMEOUT)
        check("smtp-send -> aiosmtpd SMTPUTF8 from stdin: exit 0",
              r.returncode == 0, r.stderr.decode(errors="replace"))
    finally:
        if p is not None:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# Hostile clients
# ---------------------------------------------------------------------------

def hostile():
    sink = Sink("--max-size", "100000")
    try:
        def session():
            r = Raw(sink.port)
            check("hostile: greeting", r.replies(1) == [220])
            r.send(b"EHLO evil.test\r\n")
            r.replies(1)
            return r

        # Lines over the limit, whole and in pieces.
        r = session()
        r.send(b"NOOP " + b"x" * 600 + b"\r\nNOOP\r\n")
        check("long line: 500 once, then the next command",
              r.replies(2) == [500, 250])
        for _ in range(20):
            r.send(b"y" * 4000)
        r.send(b"\r\nRSET\r\n")
        check("80 KB line in pieces: 500 once, then RSET",
              r.replies(2) == [500, 250])
        check("long lines: no stray reply", r.nothing_more())
        r.close()
        # Smuggling: a bare-LF "." and commands inside DATA.
        before = len(sink.new())
        r = session()
        r.send(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
               b"DATA\r\n")
        check("smuggling: transaction", r.replies(3) == [250, 250, 354])
        r.send(b"Subject: one\r\n\r\nbody\n.\r\nMAIL FROM:<evil@x.test>\r\n"
               b"RCPT TO:<victim@sink.test>\r\nDATA\r\nSubject: two\r\n"
               b"\r\nsmuggled\r\n.\r\n")
        codes = r.replies(1)
        check("smuggling: the whole refused with 5xx at the real end",
              len(codes) == 1 and 500 <= codes[0] < 600, str(codes))
        check("smuggling: no stray reply (no smuggled command ran)",
              r.nothing_more())
        r.send(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
               b"DATA\r\nx\r\n.\nRCPT TO:<victim@sink.test>\r\n.\r\n")
        check("smuggling with .LF: 250 250 354 then 5xx",
              r.replies(4)[:3] == [250, 250, 354])
        check("smuggling: nothing delivered", len(sink.new()) == before,
              str(sink.new()))
        r.close()
        # Commands out of order.
        r = Raw(sink.port)
        r.replies(1)
        r.send(b"RCPT TO:<b@sink.test>\r\nMAIL FROM:<a@client.test>\r\n"
               b"DATA\r\nHELO c.test\r\nRCPT TO:<b@sink.test>\r\n"
               b"DATA\r\nMAIL FROM:<a@client.test>\r\n"
               b"MAIL FROM:<a@client.test>\r\nRSET\r\nDATA\r\n")
        codes = r.replies(10)
        check("out of order: 503 503 503 250 503 503 250 503 250 503",
              codes == [503, 503, 503, 250, 503, 503, 250, 503, 250, 503],
              str(codes))
        check("out of order: no stray reply", r.nothing_more())
        r.close()
        # 10,000 recipients: 100 taken, the rest 452, the message to 100.
        r = session()
        r.send(b"MAIL FROM:<a@client.test>\r\n" + b"".join(
            b"RCPT TO:<r%d@sink.test>\r\n" % i for i in range(10000)))
        codes = r.replies(10001)
        check("10,000 RCPT: 250, 100 x 250, then 452",
              codes == [250] * 101 + [452] * 9900,
              "%d codes" % len(codes))
        before = len(sink.new())
        r.send(b"DATA\r\n" + PLAIN + b".\r\n")
        check("10,000 RCPT: the message for the 100",
              r.replies(2) == [354, 250] and len(sink.new()) == before + 1)
        check("10,000 RCPT: no stray reply", r.nothing_more())
        r.close()
        # DATA over --max-size, then BDAT over it.
        before = len(sink.new())
        r = session()
        r.send(b"MAIL FROM:<a@client.test> SIZE=200000\r\n")
        check("SIZE over --max-size: 552", r.replies(1) == [552])
        r.send(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
               b"DATA\r\n")
        r.replies(3)
        r.send(b"Subject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * 150 +
               b".\r\nNOOP\r\n")
        codes = r.replies(2)
        check("DATA over --max-size: 552, then the next command",
              codes == [552, 250], str(codes))
        r.send(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
               b"BDAT 150000 LAST\r\n" + b"w" * 150000 + b"NOOP\r\n")
        codes = r.replies(4)
        check("BDAT over --max-size: 552, the chunk read and dropped",
              codes == [250, 250, 552, 250], str(codes))
        check("over --max-size: nothing stored",
              len(sink.new()) == before and sink.tmp() == [])
        r.close()
        # A client that disconnects in the middle of DATA.
        r = session()
        r.send(b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
               b"DATA\r\n")
        r.replies(3)
        r.send(b"Subject: cut\r\n\r\n" + b"half a message\r\n" * 1000)
        time.sleep(0.2)
        r.close()
        check("disconnect mid-DATA: nothing in new/, tmp/ empty",
              wait_for(lambda: sink.tmp() == [], 5) and
              len(sink.new()) == before, str(sink.tmp()))
        # One byte at a time.
        r = session()
        data = (b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@sink.test>\r\n"
                b"DATA\r\n" + stuffed(DOTS) + b".\r\nQUIT\r\n")
        for i in range(len(data)):
            r.send(data[i:i + 1])
        codes = r.replies(5)
        check("slow client: 250 250 354 250 221", codes == [250, 250, 354,
                                                            250, 221],
              str(codes))
        got = sink.messages()
        check("slow client: stored byte for byte",
              len(got) == before + 1 and any(body_of_sink(g) == DOTS
                                             for g in got))
        r.close()
        # Bad paths: 501 / 553.
        r = session()
        r.send(b"MAIL FROM:<a@>\r\nMAIL FROM:<a@-x.test>\r\n"
               b"MAIL FROM:<a@x.test\r\nMAIL FROM:a@x.test\r\n")
        codes = r.replies(4)
        check("bad paths: 553 553 501 501", codes == [553, 553, 501, 501],
              str(codes))
        r.close()
    finally:
        sink.close()


def main():
    for tool in (SINK, SEND):
        if not os.access(tool, os.X_OK):
            print("missing %s (make first)" % tool)
            return 1
    steps = [smtplib_to_sink, swaks_to_sink, postfix_relays_to_sink,
             smtp_send_to_postfix, smtp_send_to_aiosmtpd, hostile]
    t0 = time.time()
    try:
        for step in steps:
            print("==", step.__name__, flush=True)
            try:
                step()
            except Exception as e:  # a failure of the step, not a crash
                fail("%s: %s: %s" % (step.__name__, type(e).__name__, e))
    finally:
        for p in list(procs):
            stop(p)
    print("smtp interop: %d failures in %.1f s" % (len(failures),
                                                   time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
