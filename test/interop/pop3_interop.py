#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pop3_interop.py BUILD - interop: mailfmt's POP3 examples against real
POP3 software, and hostile clients against pop3-serve. Everything listens
on 127.0.0.1 (ports the kernel picks), every process started here is
stopped by its PID (also when a check fails), every wait is bounded.

 - Python's poplib logs in to build/pop3-serve with USER/PASS and APOP:
   STAT, LIST and UIDL agree with the Maildir, RETR gives each file byte
   for byte, TOP the header and the first lines, DELE + QUIT unlinks,
   RSET and a dropped connection do not, a second session gets [IN-USE],
   a wrong password -ERR [AUTH].
 - fetchmail (USER/PASS, keep; APOP, delete) fetches from pop3-serve:
   each message delivered equals its file (fetchmail hands its MDA LF line
   ends), and after the APOP run the Maildir is empty.
 - build/pop3-fetch fetches from a private Dovecot (USER/PASS; then APOP
   with --delete) into a Maildir: each file equals Dovecot's message with
   CRLF line ends, as the server sent it, and --delete empties Dovecot's.
 - Hostile clients against pop3-serve get exactly the right replies: an
   over-long line (its tail, a QUIT, is not obeyed), commands out of
   state, bare LF, STLS with a command pipelined after it, garbage, a
   client sending one byte at a time and one sending everything at once
   (the same replies), and a client that vanishes after DELE (nothing
   deleted).

Needs python3, fetchmail and dovecot-pop3d (Debian packages), and root for
Dovecot (its mail process runs as the Maildir owner, 65534 here): a
missing tool fails the run.
"""
import glob
import os
import poplib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

failures = []
procs = []  # (name, Popen) to stop at the end, whatever happens


def check(what, cond, detail=""):
    print("  %s %s%s" % ("ok  " if cond else "FAIL", what,
                          "" if cond else ": " + str(detail)[:300]))
    if not cond:
        failures.append(what)


def stop(p, timeout=10):
    """Stops one process by its PID: SIGTERM, then SIGKILL."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def children(pid):
    """The PIDs whose parent is pid (from /proc)."""
    kids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.split("/")[2]))
    return kids


def need(tool):
    path = shutil.which(tool) or (os.path.exists("/usr/sbin/" + tool) and
                                  "/usr/sbin/" + tool)
    if not path:
        print("pop3_interop: %s is not installed (apt-get install %s)" %
              (tool, {"dovecot": "dovecot-pop3d"}.get(tool, tool)))
        sys.exit(1)
    return path


# Messages: CRLF line ends, as SMTP stores them; dots, 8-bit text, long
# and empty lines, a big attachment.
def messages():
    big = b"".join(b"%076d\r\n" % i for i in range(30000))  # ~2.3 MB
    return {
        "1700000001.M1P1.test": b"From: a@example.test\r\nTo: b@example.test"
        b"\r\nSubject: one\r\n\r\nbody one\r\n.dot line\r\n..two dots\r\n"
        b".\r\n.\r\nlast\r\n",
        "1700000002.M2P2.test": "Subject: Gr\u00fc\u00dfe\r\nContent-Type: "
        "text/plain; charset=utf-8\r\n\r\nGr\u00fc\u00dfe aus K\u00f6ln\r\n"
        "\r\n\r\n".encode(),
        "1700000003.M3P3.test": b"Subject: long\r\n\r\n" + b"x" * 5000 +
        b"\r\n" + b"y" * 998 + b"\r\n",
        "1700000004.M4P4.test": b"Subject: big\r\nContent-Type: text/plain"
        b"\r\n\r\n" + big,
        "1700000005.M5P5.test": b"Subject: no body\r\n\r\n",
    }


def make_maildir(root, msgs, cur=()):
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for name, data in msgs.items():
        path = os.path.join(root, "cur" if name in cur else "new",
                            name + (":2,S" if name in cur else ""))
        with open(path, "wb") as f:
            f.write(data)


def maildir_files(root):
    return sorted(glob.glob(os.path.join(root, "new", "*")) +
                  glob.glob(os.path.join(root, "cur", "*")))


def start_serve(build, maildir, user="alice", password="s3cret word"):
    p = subprocess.Popen([os.path.join(build, "pop3-serve"), "-p", "0",
                          "-d", maildir, "-u", user + ":" + password],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(("pop3-serve", p))
    line = p.stdout.readline().decode()
    m = re.match(r"listening on 127\.0\.0\.1:(\d+)$", line.strip())
    if not m:
        raise RuntimeError("pop3-serve did not start: %r" % line)
    return p, int(m.group(1))


# ----------------------------------------------------------------------
# poplib against pop3-serve
# ----------------------------------------------------------------------

def poplib_tests(build, tmp):
    print("poplib -> pop3-serve")
    poplib._MAXLINE = 100000  # poplib refuses lines over 2048 by default
    msgs = messages()
    md = os.path.join(tmp, "poplib")
    make_maildir(md, msgs, cur=("1700000002.M2P2.test",))
    names = sorted(msgs)  # pop3-serve numbers them by name
    p, port = start_serve(build, md)
    try:
        c = poplib.POP3("127.0.0.1", port, timeout=10)
        check("greeting has an APOP timestamp",
              re.search(rb"<[^<>]+@[^<>]+>", c.getwelcome()))
        capa = c.capa()
        check("CAPA: TOP USER UIDL PIPELINING RESP-CODES",
              all(k in capa for k in ("TOP", "USER", "UIDL", "PIPELINING",
                                      "RESP-CODES")), capa)
        try:
            c.user("alice")
            c.pass_("wrong")
            check("wrong password refused", False)
        except poplib.error_proto as e:
            check("wrong password: -ERR [AUTH]", b"[AUTH]" in e.args[0], e)
        c.user("alice")
        check("USER/PASS login (a password with a space)",
              c.pass_("s3cret word").startswith(b"+OK"))
        try:
            d = poplib.POP3("127.0.0.1", port, timeout=10)
            d.apop("alice", "s3cret word")
            check("second session refused", False)
        except poplib.error_proto as e:
            check("second session: -ERR [IN-USE]", b"[IN-USE]" in e.args[0],
                  e)
        n, size = c.stat()
        check("STAT", (n, size) == (len(msgs),
                                    sum(len(v) for v in msgs.values())),
              (n, size))
        _, lst, _ = c.list()
        check("LIST sizes are the file sizes",
              [x.split() for x in lst] ==
              [[b"%d" % (i + 1), b"%d" % len(msgs[k])]
               for i, k in enumerate(names)], lst)
        _, uidl, _ = c.uidl()
        check("UIDL is the Maildir name",
              [x.split()[1].decode() for x in uidl] == names, uidl)
        check("UIDL 2", c.uidl(2).split()[2].decode() == names[1])
        for i, k in enumerate(names):
            _, lines, octets = c.retr(i + 1)
            got = b"\r\n".join(lines) + b"\r\n"
            check("RETR %d byte-identical (%d bytes)" % (i + 1, len(got)),
                  got == msgs[k], got[:80])
        _, lines, _ = c.top(1, 2)
        check("TOP 1 2", lines == msgs[names[0]].split(b"\r\n")[:6],
              lines)
        _, lines, _ = c.top(4, 0)
        check("TOP 4 0", lines == [b"Subject: big",
                                   b"Content-Type: text/plain", b""], lines)
        c.dele(1)
        c.dele(3)
        try:
            c.retr(1)
            check("RETR of a deleted message refused", False)
        except poplib.error_proto:
            check("RETR of a deleted message refused", True)
        check("STAT after DELE", c.stat()[0] == len(msgs) - 2)
        c.rset()
        check("RSET", c.stat()[0] == len(msgs))
        c.dele(2)
        # A session that ends without QUIT removes nothing.
        c.close()
        time.sleep(0.2)
        check("no QUIT, nothing removed",
              len(maildir_files(md)) == len(msgs))
        a = poplib.POP3("127.0.0.1", port, timeout=10)
        check("APOP login", a.apop("alice", "s3cret word").startswith(b"+OK"))
        a.dele(2)
        a.dele(5)
        check("QUIT after DELE", a.quit().startswith(b"+OK"))
        left = [os.path.basename(f).split(":")[0] for f in maildir_files(md)]
        check("QUIT unlinked messages 2 and 5",
              left == [names[0], names[2], names[3]], left)
        try:
            a = poplib.POP3("127.0.0.1", port, timeout=10)
            a.apop("alice", "nope")
            check("APOP with a wrong secret refused", False)
        except poplib.error_proto as e:
            check("APOP with a wrong secret refused", b"-ERR" in e.args[0])
    finally:
        stop(p)
    check("pop3-serve stops on SIGTERM with exit 0", p.returncode == 0,
          p.returncode)


# ----------------------------------------------------------------------
# fetchmail against pop3-serve
# ----------------------------------------------------------------------

def fetchmail(port, user, password, outdir, home, apop, keep):
    """One fetchmail run (settings from the team's interop recipe)."""
    os.makedirs(outdir, exist_ok=True)
    os.chmod(home, 0o700)
    mda = os.path.join(home, "deliver.sh")
    with open(mda, "w") as f:
        f.write('#!/bin/sh\nn=$(ls "%s" | wc -l)\n'
                'exec cat > "%s/$(printf %%04d $((n + 1))).eml"\n' %
                (outdir, outdir))
    os.chmod(mda, 0o755)
    rc = os.path.join(home, "fetchmailrc")
    with open(rc, "w") as f:
        f.write("set no bouncemail\nset no syslog\n"
                "poll 127.0.0.1 service %d protocol %s\n"
                "    timeout 20\n"
                '    user "%s" with password "%s"\n'
                "    sslproto ''\n"
                "    %s fetchall no rewrite\n"
                '    mda "%s"\n' %
                (port, "apop" if apop else "pop3 auth password", user,
                 password, "keep" if keep else "nokeep", mda))
    os.chmod(rc, 0o600)
    env = dict(os.environ, FETCHMAILHOME=home,
               FETCHMAILUSER=subprocess.run(["id", "-un"], capture_output=True,
                                            text=True).stdout.strip())
    p = subprocess.Popen(["fetchmail", "-f", rc, "--nosyslog", "--nodetach",
                          "-v", "--invisible", "--idfile",
                          os.path.join(home, "fetchids"), "--pidfile",
                          os.path.join(home, "fetchmail.pid")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    procs.append(("fetchmail", p))
    try:
        out, _ = p.communicate(timeout=60)
    finally:
        stop(p)
    return p.returncode, out.decode(errors="replace")


def fetchmail_tests(build, tmp):
    print("fetchmail -> pop3-serve")
    need("fetchmail")
    msgs = messages()
    md = os.path.join(tmp, "fetchmail-md")
    make_maildir(md, msgs)
    names = sorted(msgs)
    want = [msgs[k].replace(b"\r\n", b"\n") for k in names]
    p, port = start_serve(build, md, "bob", "pa ss")
    try:
        for run, apop, keep in (("run1", False, True), ("run2", True, False)):
            home = os.path.join(tmp, "fm-" + run)
            os.makedirs(home)
            out = os.path.join(tmp, "fm-out-" + run)
            rc, log = fetchmail(port, "bob", "pa ss", out, home, apop, keep)
            got = []
            for f in sorted(glob.glob(out + "/*.eml")):
                with open(f, "rb") as fh:
                    got.append(fh.read())
            what = "APOP, delete" if apop else "USER/PASS, keep"
            check("fetchmail %s: exit 0" % what, rc == 0, log[-600:])
            check("fetchmail %s: %d messages byte-identical (LF)" %
                  (what, len(want)), got == want,
                  [len(g) for g in got])
            cmds = re.findall(r"POP3> ([A-Z]+)", log)
            check("fetchmail %s: logged in with %s" %
                  (what, "APOP" if apop else "USER/PASS"),
                  ("APOP" in cmds) == apop and ("PASS" in cmds) != apop, cmds)
            left = len(maildir_files(md))
            check("fetchmail %s: Maildir has %d messages" %
                  (what, len(msgs) if keep else 0),
                  left == (len(msgs) if keep else 0), left)
        home = os.path.join(tmp, "fm-run3")
        os.makedirs(home)
        rc, log = fetchmail(port, "bob", "wrong", os.path.join(tmp, "x"),
                            home, False, True)
        check("fetchmail: a wrong password is exit 3 (auth failed)", rc == 3,
              log[-300:])
    finally:
        stop(p)


# ----------------------------------------------------------------------
# pop3-fetch against Dovecot
# ----------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def dovecot_start(tmp, maildir, user, password):
    """A private Dovecot POP3 (settings from the team's interop recipe:
    own base_dir, plaintext passdb for APOP, mail uid 65534, no auth
    penalty, UIDL = Maildir name)."""
    dovecot = need("dovecot")
    base = os.path.join(tmp, "dovecot")
    for d in ("run", "state", "index"):
        os.makedirs(os.path.join(base, d))
    for d in (tmp, base, maildir):
        os.chmod(d, 0o755)
    uid = gid = 65534
    for dirpath, dirs, files in os.walk(maildir):
        for x in [dirpath] + [os.path.join(dirpath, f) for f in files]:
            os.chown(x, uid, gid)
    os.chown(os.path.join(base, "index"), uid, gid)
    port = free_port()
    with open(os.path.join(base, "passwd"), "w") as f:
        f.write("%s:{PLAIN}%s\n" % (user, password))
    conf = os.path.join(base, "dovecot.conf")
    with open(conf, "w") as f:
        f.write("""base_dir = {b}/run
state_dir = {b}/state
instance_name = mailfmt-{port}
listen = 127.0.0.1
protocols = pop3
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login apop
auth_failure_delay = 0
log_path = {b}/dovecot.log
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = {uid}
last_valid_uid = 0
mail_location = maildir:{m}:INDEX={b}/index:CONTROL={b}/index
pop3_uidl_format = %f
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {b}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={b}/index
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port}
  }}
}}
""".format(b=base, m=maildir, uid=uid, gid=gid, port=port))
    p = subprocess.Popen([dovecot, "-F", "-c", conf], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(("dovecot", p))
    deadline = time.time() + 15
    while time.time() < deadline and p.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), 2) as s:
                if s.recv(512).startswith(b"+OK"):
                    return p, port
        except OSError:
            time.sleep(0.05)
    log = os.path.join(base, "dovecot.log")
    raise RuntimeError("dovecot did not start: %s" %
                       (open(log).read()[-500:] if os.path.exists(log) else
                        "no log"))


def dovecot_stop(p):
    kids = children(p.pid)
    stop(p, timeout=15)
    for k in kids:  # workers the master left behind
        try:
            os.kill(k, signal.SIGKILL)
        except ProcessLookupError:
            pass


def fetch_tests(build, tmp):
    print("pop3-fetch -> Dovecot")
    msgs = messages()
    # Dovecot's Maildir holds LF files; it sends CRLF.
    md = os.path.join(tmp, "dovecot-md")
    make_maildir(md, {k: v.replace(b"\r\n", b"\n") for k, v in msgs.items()},
                 cur=("1700000003.M3P3.test",))
    p, port = dovecot_start(tmp, md, "carol", "pa\\ss word!")
    fetch = os.path.join(build, "pop3-fetch")
    try:
        for run, args in (("userpass", []), ("apop", ["--apop", "--delete"])):
            out = os.path.join(tmp, "fetched-" + run)
            for sub in ("new", "cur", "tmp"):
                os.makedirs(os.path.join(out, sub))
            r = subprocess.run([fetch, "-s", "127.0.0.1:%d" % port, "-u",
                                "carol:pa\\ss word!", "-d", out] + args,
                               capture_output=True, timeout=60)
            lines = r.stdout.decode().splitlines()
            check("pop3-fetch %s: exit 0" % run, r.returncode == 0,
                  r.stderr.decode())
            got = {}
            sizes_ok = True
            for line in lines:
                size, path = line.split(" ", 1)
                with open(path, "rb") as f:
                    data = f.read()
                sizes_ok &= (int(size) == len(data) and
                             path.startswith(os.path.join(out, "new") + "/"))
                got[data] = True
            check("pop3-fetch %s: '<size> <file>' for each" % run, sizes_ok,
                  lines)
            check("pop3-fetch %s: %d messages, each byte-identical" %
                  (run, len(msgs)),
                  sorted(got) == sorted(msgs.values()) and
                  len(lines) == len(msgs), [len(g) for g in got])
            check("pop3-fetch %s: nothing left in tmp/" % run,
                  os.listdir(os.path.join(out, "tmp")) == [])
            left = len(maildir_files(md))
            want = 0 if "--delete" in args else len(msgs)
            check("pop3-fetch %s: Dovecot's Maildir has %d messages" %
                  (run, want), left == want, left)
        r = subprocess.run([fetch, "-s", "127.0.0.1:%d" % port, "-u",
                            "carol:wrong", "-d", out], capture_output=True,
                           timeout=60)
        check("pop3-fetch: a wrong password is exit 1 with the reply",
              r.returncode == 1 and
              r.stderr.decode().startswith("pop3-fetch: -ERR"),
              (r.returncode, r.stderr))
        r = subprocess.run([fetch, "-s", "127.0.0.1:%d" % port, "-u",
                            "carol:x", "-d", out, "--apop"],
                           capture_output=True, timeout=60)
        check("pop3-fetch: wrong APOP secret is exit 1",
              r.returncode == 1, r.stderr)
    finally:
        dovecot_stop(p)


def fetch_serve_tests(build, tmp):
    """pop3-fetch against pop3-serve: the messages go through both ends
    unchanged, and --delete empties the source."""
    print("pop3-fetch -> pop3-serve")
    msgs = messages()
    md = os.path.join(tmp, "both-md")
    make_maildir(md, msgs)
    out = os.path.join(tmp, "both-out")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(out, sub))
    p, port = start_serve(build, md, "dan", "pw")
    try:
        r = subprocess.run([os.path.join(build, "pop3-fetch"), "-s",
                            "127.0.0.1:%d" % port, "-u", "dan:pw", "-d", out,
                            "--apop", "--delete"], capture_output=True,
                           timeout=60)
        check("pop3-fetch --apop --delete from pop3-serve: exit 0",
              r.returncode == 0, r.stderr)
        got = sorted(open(f, "rb").read() for f in maildir_files(out))
        check("every message byte-identical", got == sorted(msgs.values()))
        check("source Maildir empty", maildir_files(md) == [])
    finally:
        stop(p)


# ----------------------------------------------------------------------
# Hostile clients against pop3-serve
# ----------------------------------------------------------------------

def talk(port, data, chunk=None, delay=0.0, want_lines=None, timeout=10):
    """Sends data (all at once, or chunk bytes at a time), returns the
    reply lines until the server closes or want_lines are read."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    got = b""
    try:
        if chunk is None:
            s.sendall(data)
        else:
            for i in range(0, len(data), chunk):
                s.sendall(data[i:i + chunk])
                time.sleep(delay)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if want_lines is not None and got.count(b"\r\n") >= want_lines:
                break
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            got += b
    finally:
        s.close()
    return [re.sub(rb"<[^>]*>", b"<ts>", x)
            for x in got.split(b"\r\n")[:-1]]


def hostile_tests(build, tmp):
    print("hostile clients -> pop3-serve")
    md = os.path.join(tmp, "hostile")
    msgs = {"1.M1.t": b"Subject: a\r\n\r\n.x\r\n", "2.M2.t": b"b\r\n"}
    make_maildir(md, msgs)
    p, port = start_serve(build, md, "eve", "pw")
    try:
        # An over-long line is refused once; the QUIT at its end is not
        # obeyed; then a real command is answered.
        r = talk(port, b"USER " + b"x" * 300 + b"QUIT\r\nNOOP\r\nQUIT\r\n",
                 want_lines=4)
        check("long line: -ERR, its tail ignored, next lines answered",
              r == [b"+OK POP3 server ready <ts>", b"-ERR line too long",
                    b"-ERR not logged in", b"+OK bye"], r)
        r = talk(port, b"STAT\r\nPASS pw\r\nRETR 1\r\nUSER eve\r\nSTAT\r\n"
                 b"PASS pw\r\nUSER eve\r\nRETR 0\r\nRETR 9\r\nDELE x\r\n"
                 b"LIST 1 2\r\nQUIT\r\n", want_lines=13)
        check("commands out of state and bad arguments",
              r == [b"+OK POP3 server ready <ts>",
                    b"-ERR not logged in",
                    b"-ERR PASS must follow a USER accepted",
                    b"-ERR not logged in",
                    b"+OK send PASS",
                    b"-ERR not logged in",
                    b"+OK maildrop has 2 messages (21 octets)",
                    b"-ERR already logged in",
                    b"-ERR message numbers start at 1",
                    b"-ERR no such message",
                    b"-ERR message number expected",
                    b"-ERR too many arguments",
                    b"+OK bye (2 messages left)"], r)
        r = talk(port, b"USER eve\nSTLS\r\nNOOP\r\n\x00\x01\r\n"
                 b"GET / HTTP/1.1\r\nQUIT\r\n", want_lines=7)
        check("bare LF, STLS with a pipelined command, garbage",
              r == [b"+OK POP3 server ready <ts>",
                    b"-ERR bare LF line end (CRLF expected)",
                    b"-ERR command pipelined after STLS",
                    b"-ERR not logged in",
                    b"-ERR control character in command",
                    b"-ERR command not implemented",
                    b"+OK bye"], r)
        script = (b"CAPA\r\nUSER eve\r\nPASS pw\r\nSTAT\r\nLIST\r\nUIDL 2\r\n"
                  b"RETR 1\r\nTOP 1 0\r\nDELE 2\r\nRSET\r\nNOOP\r\nQUIT\r\n")
        fast = talk(port, script, want_lines=30)
        slow = talk(port, script, chunk=1, delay=0.002, want_lines=30)
        check("a client sending everything at once is answered in order",
              len(fast) == 30 and fast[-1] == b"+OK bye (2 messages left)" and
              fast[18:22] == [b"Subject: a", b"", b"..x", b"."], fast)
        check("a client sending one byte at a time gets the same replies",
              slow == fast, slow)
        # A client that vanishes after DELE: nothing is removed.
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.sendall(b"USER eve\r\nPASS pw\r\nDELE 1\r\nDELE 2\r\n")
        time.sleep(0.3)
        s.close()
        time.sleep(0.3)
        check("no QUIT after DELE: nothing deleted",
              len(maildir_files(md)) == 2)
        # And the mailbox is free again.
        r = talk(port, b"USER eve\r\nPASS pw\r\nQUIT\r\n", want_lines=4)
        check("mailbox released by the dropped session",
              r[2].startswith(b"+OK maildrop"), r)
        check("pop3-serve still running", p.poll() is None)
    finally:
        stop(p)


def fake_server(script):
    """A scripted POP3 server on a free port, in a thread: for each
    (expected command prefix, reply bytes) it reads a line and answers;
    a reply None closes the connection instead. Returns (port, thread,
    log of the lines read)."""
    import threading
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(20)
    log = []

    def run():
        try:
            s, _ = ls.accept()
            s.settimeout(20)
            f = s.makefile("rb")
            s.sendall(b"+OK fake <1.2@fake>\r\n")
            for want, reply in script:
                if want == b"" and reply is None:
                    break
                line = f.readline()
                log.append(line)
                if not line.startswith(want) or reply is None:
                    break
                s.sendall(reply)
            s.close()
        except OSError as e:
            log.append(repr(e))
        ls.close()

    t = threading.Thread(target=run)
    t.start()
    return ls.getsockname()[1], t, log


def fetch_hostile_tests(build, tmp):
    print("hostile servers -> pop3-fetch")
    fetch = os.path.join(build, "pop3-fetch")
    # The connection drops in the middle of a message: nothing is stored,
    # no temporary file is left, no DELE was sent.
    out = os.path.join(tmp, "cut")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(out, sub))
    port, t, log = fake_server([
        (b"USER", b"+OK\r\n"), (b"PASS", b"+OK\r\n"),
        (b"STAT", b"+OK 1 100\r\n"),
        (b"RETR 1", b"+OK\r\nSubject: x\r\n\r\npartial body"),
        (b"", None)])  # closes as soon as the client waits
    r = subprocess.run([fetch, "-s", "127.0.0.1:%d" % port, "-u", "u:p",
                        "-d", out, "--delete"], capture_output=True,
                       timeout=60)
    t.join(30)
    check("cut mid-message: exit 1", r.returncode == 1, r)
    check("cut mid-message: nothing in new/ or tmp/",
          os.listdir(os.path.join(out, "new")) == [] and
          os.listdir(os.path.join(out, "tmp")) == [])
    check("cut mid-message: no DELE",
          not any(b"DELE" in x for x in log if isinstance(x, bytes)), log)
    # -ERR to the second RETR: the first is stored and deleted (QUIT),
    # the reply goes to stderr, exit 1.
    out = os.path.join(tmp, "err")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(out, sub))
    port, t, log = fake_server([
        (b"APOP u c99652729cfc2b4bfe996844a8191723\r\n", b"+OK\r\n"),
        (b"STAT", b"+OK 2 20\r\n"),
        (b"RETR 1", b"+OK\r\n..a\r\n.\r\n"), (b"DELE 1", b"+OK\r\n"),
        (b"RETR 2", b"-ERR [SYS/TEMP] disk on fire\r\n"),
        (b"QUIT", b"+OK\r\n")])
    r = subprocess.run([fetch, "-s", "127.0.0.1:%d" % port, "-u", "u:p",
                        "-d", out, "--delete", "--apop"], capture_output=True,
                       timeout=60)
    t.join(30)
    files = maildir_files(out)
    check("-ERR to RETR 2: exit 1, the reply on stderr",
          r.returncode == 1 and r.stderr ==
          b"pop3-fetch: -ERR [SYS/TEMP] disk on fire\n", (r, log))
    check("-ERR to RETR 2: message 1 stored, DELE after it, then QUIT",
          len(files) == 1 and open(files[0], "rb").read() == b".a\r\n" and
          [x.split(b" ")[0].strip() for x in log] ==
          [b"APOP", b"STAT", b"RETR", b"DELE", b"RETR", b"QUIT"], log)


def main():
    if len(sys.argv) != 2:
        print("usage: pop3_interop.py BUILD")
        return 2
    build = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mailfmt-pop3-")
    os.chmod(tmp, 0o755)
    t0 = time.time()
    try:
        for test in (poplib_tests, fetchmail_tests, fetch_serve_tests,
                     fetch_tests, hostile_tests, fetch_hostile_tests):
            try:
                test(build, tmp)
            except Exception as e:  # a crash is a failure, not a skip
                check("%s ran" % test.__name__, False, repr(e))
    finally:
        for name, p in procs:
            if p.poll() is None:
                print("  stopping %s (pid %d)" % (name, p.pid))
                stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    print("pop3_interop: %d failures in %.1f s" % (len(failures),
                                                  time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
