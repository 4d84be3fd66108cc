#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""codecs_python.py BUILD - interop: mailfmt's codecs and date parser
against Python's base64, quopri, email.header and email.utils (real
third-party implementations), through the CLI (build/mailfmt).

 - base64: mailfmt's encoding equals base64.encodebytes (76-character LF
   lines); each decodes the other's output to the input.
 - quoted-printable: each decodes the other's encoding to the input
   (their soft line breaks may be placed differently: both are valid).
 - RFC 2047: Python's email.header decodes mailfmt's encoded words to the
   input text, and mailfmt decodes Python's.
 - dates: every Date field of the corpus that Python's parsedate_tz reads
   gives the same instant and offset from `mailfmt date`, except the forms
   listed in DATE_DIFFERENCES.
Random inputs come from a fixed seed.
"""
import base64
import email.header
import email.utils
import os
import quopri
import random
import re
import subprocess
import sys

failures = []


def run(mf, args, data):
    out = subprocess.run([mf] + args, input=data, capture_output=True,
                         check=False)
    if out.returncode != 0:
        failures.append("mailfmt %s: exit %d: %s" %
                        (" ".join(args), out.returncode,
                         out.stderr.decode(errors="replace").strip()))
        return None
    return out.stdout


def check(what, got, want):
    if got != want:
        failures.append("%s: got %r, want %r" % (what, got[:80] if got else got,
                                                 want[:80]))


def samples(rng):
    yield b""
    for n in (1, 2, 3, 57, 58, 76, 77, 1000):
        yield bytes(rng.randrange(256) for _ in range(n))
    for _ in range(40):
        n = rng.randrange(2000)
        kind = rng.randrange(3)
        if kind == 0:
            yield bytes(rng.randrange(256) for _ in range(n))
        elif kind == 1:  # text with line ends, trailing spaces, dots
            yield bytes(rng.choice(b"ab .=\t\n\r\n  From x\xe9")
                        for _ in range(n))
        else:
            yield "".join(rng.choice("abc d\u00e9\u20ac\n") for _ in
                          range(n)).encode()


def codecs(mf, rng):
    count = 0
    for data in samples(rng):
        count += 1
        ours = run(mf, ["b64", "encode", "--lf"], data)
        if ours is not None:
            check("b64 encode (%d bytes)" % len(data), ours,
                  base64.encodebytes(data))
            check("python b64 decode of mailfmt", base64.decodebytes(ours),
                  data)
        back = run(mf, ["b64", "decode", "--strict"],
                   base64.encodebytes(data))
        check("b64 decode of python (%d bytes)" % len(data), back, data)

        ours = run(mf, ["qp", "encode", "--binary", "--lf"], data)
        if ours is not None:
            check("python quopri decode of mailfmt (%d bytes)" % len(data),
                  quopri.decodestring(ours), data)
            if any(len(l) > 76 for l in ours.split(b"\n")):
                failures.append("qp encode: line over 76")
        # quopri encodes text lines (quotetabs: spaces and tabs escaped
        # too); it writes a CRLF line end as LF, so that is what comes
        # back.
        theirs = quopri.encodestring(data, quotetabs=True)
        back = run(mf, ["qp", "decode"], theirs)
        check("qp decode of python (%d bytes)" % len(data), back,
              data.replace(b"\r\n", b"\n"))
    return count


WORDS = ["hello", "world", "caf\u00e9", "\u00fcber", "na\u00efve",
         "\u65e5\u672c\u8a9e", "\u0420\u043e\u0441\u0441\u0438\u044f",
         "emoji\U0001f600", "=?not?encoded?=", "a_b", "x=y", "(c)", "\"q\""]


def encoded_words(mf, rng):
    count = 0
    for _ in range(60):
        words = [rng.choice(WORDS) for _ in range(rng.randrange(1, 20))]
        text = " ".join(words)
        count += 1
        # mailfmt encodes; Python decodes.
        ours = run(mf, ["ew", "encode"], text.encode() + b"\n")
        if ours is not None:
            value = ours.decode("ascii").rstrip("\n")
            if any(len(l) > 76 for l in value.split("\n")):
                failures.append("ew encode: line over 76: %r" % value)
            unfolded = re.sub(r"\r?\n[ \t]", " ", value)
            got = str(email.header.make_header(
                email.header.decode_header(unfolded)))
            check("python decode of mailfmt ew %r" % text, got, text)
        # Python encodes; mailfmt decodes.
        theirs = email.header.Header(text, "utf-8").encode()
        unfolded = re.sub(r"\r?\n[ \t]", " ", theirs)
        back = run(mf, ["ew", "decode"], unfolded.encode() + b"\n")
        if back is not None:
            check("mailfmt decode of python ew %r" % theirs,
                  back.decode().rstrip("\n"), text)
    return count


# Date values on which the two deliberately differ, with the reason.
DATE_DIFFERENCES = {
    # Python takes the hour 59; mailfmt rejects it (RFC 5322 3.3).
    "Wed, 15 Dec 2010    59:10 -0500": "hour out of range",
    # A comment is not a zone (RFC 5322 3.3 CFWS): the zone is -0400.
    "Wed, 20 Sep 1995 00:19:00 (EDT) -0400": "Python reads the comment",
    # Python ignores PM (gives 01:17); mailfmt reads the 12-hour time.
    "May 8, 2005 1:17 PM": "12-hour time",
    "18 Feb 01 12:29:13 AM": "12-hour time (12 AM is 00)",
}


def dates(mf, corpus):
    values = []
    for root, _, files in sorted(os.walk(corpus)):
        for fn in sorted(files):
            with open(os.path.join(root, fn), "rb") as f:
                head = f.read(65536).split(b"\n\n", 1)[0]
            for m in re.finditer(rb"(?im)^Date:[ \t]*(.*(?:\r?\n[ \t].*)*)",
                                 head):
                v = re.sub(rb"\r?\n", b"", m.group(1)).strip()
                if b"\r" not in v and v:
                    values.append(v.decode("latin-1"))
    values = sorted(set(values))
    out = run(mf, ["date"], "".join(v + "\n" for v in values).encode(
        "latin-1"))
    if out is None:
        return 0
    ours = out.decode().split("\n")[:-1]
    if len(ours) != len(values):
        failures.append("date: %d lines for %d values" %
                        (len(ours), len(values)))
        return 0
    agree = 0
    for v, o in zip(values, ours):
        t = email.utils.parsedate_tz(v)
        if t is None or t[9] is None:
            continue  # Python cannot read it (or has no zone): not compared
        if v in DATE_DIFFERENCES:
            continue
        y, mo, d, h, mi, s = t[:6]
        off = t[9]
        sign = "-" if off < 0 else "+"
        # RFC 5322 3.3: "-0000" (also what a missing or unknown zone
        # becomes) means UTC with no local offset known; Python cannot
        # tell it from +0000.
        if off == 0 and o.endswith("-00:00"):
            sign = "-"
        want = "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
            y, mo, d, h, mi, s, sign, abs(off) // 3600, abs(off) % 3600 // 60)
        if o != want:
            failures.append("date %r: mailfmt %s, python %s" % (v, o, want))
        else:
            agree += 1
    return agree


def main():
    mf = os.path.join(sys.argv[1], "mailfmt")
    here = os.path.dirname(os.path.abspath(__file__))
    rng = random.Random(2045)
    n = codecs(mf, rng)
    e = encoded_words(mf, rng)
    d = dates(mf, os.path.join(here, "..", "corpus"))
    print("interop python codecs: %d base64/QP inputs, %d encoded-word "
          "texts, %d corpus dates agree" % (n, e, d))
    for f in failures:
        print("interop: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
