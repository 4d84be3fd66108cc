#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sink_throughput.py BUILD [MIB] - make bench: build/smtp-sink receiving
one large message (1 GiB by default) from a local client, after DATA
(dot-unstuffed) and by BDAT, into a Maildir on /dev/shm when there is one
(so that the figure is smtp-sink's, not the disk's; fsync is then free).
Prints MB/s from the first byte of the message to the final reply (wall
clock), MB/s of smtp-sink's own CPU time (user + system, from /proc: the
figure a loaded machine does not distort), and smtp-sink's peak resident
memory (VmHWM) after both. The message is CRLF
text lines of 20-78 characters; the client is Python writing 1 MiB at a
time. The stored file is checked (size, and its first and last line).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
MIB = int(sys.argv[2]) if len(sys.argv) > 2 else 1024


def block():
    """1 MiB of CRLF text, no line starting with "."."""
    out, x = bytearray(), 12345
    while len(out) < (1 << 20):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        n = 20 + (x >> 33) % 59
        out += bytes(97 + (x >> (i % 50)) % 26 for i in range(n)) + b"\r\n"
    cut = out.rindex(b"\r\n", 0, 1 << 20) + 2
    out = out[:cut]
    return bytes(out + b"x" * ((1 << 20) - len(out) - 2) + b"\r\n")


def replies(s, n, buf=b""):
    codes = []
    while len(codes) < n:
        m = re.match(rb"((\d{3})-[^\n]*\n)*(\d{3}) [^\n]*\n", buf)
        if m:
            codes.append(int(m.group(0)[:3]))
            buf = buf[m.end():]
            continue
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return codes


def cpu(pid):
    """Seconds of CPU time (user + system) process pid has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(port, blk, bdat):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    replies(s, 1)
    s.sendall(b"EHLO bench.test\r\nMAIL FROM:<a@bench.test>\r\n"
              b"RCPT TO:<b@bench.test>\r\n")
    assert replies(s, 3) == [250, 250, 250]
    size = len(blk) * MIB
    t0 = time.time()
    if bdat:
        s.sendall(b"BDAT %d LAST\r\n" % size)
    else:
        s.sendall(b"DATA\r\n")
        assert replies(s, 1) == [354]
        t0 = time.time()
    view = memoryview(blk)
    for _ in range(MIB):
        s.sendall(view)
    if not bdat:
        s.sendall(b".\r\n")
    codes = replies(s, 1)
    t = time.time() - t0
    s.sendall(b"QUIT\r\n")
    s.close()
    return codes, size, t


def main():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    d = tempfile.mkdtemp(prefix="mf-sink-bench.", dir=base)
    p = subprocess.Popen([os.path.join(BUILD, "smtp-sink"), "-p", "0", "-d",
                          d, "-n", "bench.test"], stdout=subprocess.PIPE)
    try:
        port = int(p.stdout.readline().decode().rsplit(":", 1)[1])
        blk = block()
        print("smtp-sink: a %d MiB message into %s" % (MIB, base or "/tmp"))
        ok = True
        for bdat in (False, True):
            c0 = cpu(p.pid)
            codes, size, t = run(port, blk, bdat)
            c = cpu(p.pid) - c0
            name = "BDAT" if bdat else "DATA"
            files = [os.path.join(d, "new", f)
                     for f in os.listdir(os.path.join(d, "new"))]
            good = codes == [250] and len(files) == 1
            if good:
                st = os.path.getsize(files[0])
                with open(files[0], "rb") as f:
                    head = f.read(4096)
                    f.seek(-len(blk), os.SEEK_END)
                    tail = f.read()
                good = st > size and tail == blk and head.startswith(
                    b"Return-Path: <a@bench.test>\r\n")
                os.unlink(files[0])
            ok = ok and good
            print("%-40s %9.1f MB/s  (%.1f MB/s of its CPU time)  %s" % (
                "smtp-sink %s, %d MiB" % (name, MIB), size / t / 1e6,
                size / max(c, 0.01) / 1e6,
                "ok" if good else "FAILED %r" % codes))
        with open("/proc/%d/status" % p.pid) as f:
            hwm = [l for l in f if l.startswith("VmHWM")][0].split()[1]
        print("%-40s %9s kB" % ("smtp-sink peak memory (VmHWM)", hwm))
        return 0 if ok else 1
    finally:
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
