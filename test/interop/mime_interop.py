#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mime_interop.py BUILD REF - interop: mailfmt's MIME tree against a real
third-party parser over every message of the corpus. REF is "python"
(Python's email package, policy compat32) or "gmime" (GMime 3 through
BUILD/interop/gmime_dump).

Both trees are flattened depth-first into one entry per entity: the content
type, and for a leaf the size and CRC-32 of its transfer-decoded body
(message/rfc822 parts contribute the entities of the message inside).
The RFC 2047 decoding of Subject-like fields must agree wherever the
reference can decode them. With Python, every message that agrees must
also agree with all its line ends converted to CRLF and to LF.
A message on which the two disagree must be listed, with the reason, in
REF-differences.txt beside this script; an unlisted disagreement fails
the run. A listed message that now agrees is reported (it may depend on the
reference's version), not failed.
"""
import email
import email.errors
import email.header
import email.policy
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib

SETS = ["cpython", "gmime", "mikel-mail", "mimekit",
        "nodemailer-mailparser", "spamassassin"]
HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+[ \t]*:)")


def is_message(data):
    return HEADER_LINE.match(data) is not None


def container(ct):
    """message/* types whose body mailfmt parses as a message (RFC 2046
    5.2.1; RFC 6532 3.7). Python also parses message/delivery-status and
    message/disposition-notification as lists of header blocks and
    message/partial and message/external-body as messages; mailfmt leaves
    those as leaves (RFC 2046 5.2.2, 5.2.3), so both sides show them as
    the type alone."""
    return ct in ("message/rfc822", "message/global")


def ours(mf, path):
    out = subprocess.run([mf, "tree", path], capture_output=True, check=False)
    if out.returncode != 0:
        return None
    doc = json.loads(out.stdout)
    flat = []

    def part(p):
        if p["content_type"].startswith("multipart/"):
            flat.append((p["content_type"],))
            for c in p.get("children", []):
                part(c)
        elif "message" in p:
            flat.append((p["content_type"],))
            part(p["message"]["body"])
        elif p["content_type"].startswith("message/"):
            flat.append((p["content_type"],))
        else:
            flat.append((p["content_type"], p["size"], p["crc32"]))

    part(doc["body"])
    return flat, [(h["name"].lower(), h["value"], h["decoded"])
                  for h in doc["headers"]
                  if h["name"].lower() in UNSTRUCTURED and "=?" in h["value"]]


# Unstructured fields whose RFC 2047 decoding is compared.
UNSTRUCTURED = ("subject", "comments", "content-description", "x-subject")


def python_decode(value):
    """Python's decoding of an unstructured value, or None when Python
    cannot (an unknown charset, an RFC 2231 language suffix)."""
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (LookupError, UnicodeError, email.errors.HeaderParseError):
        return None


def gmime(dump, path):
    """GMime's tree (gmime_dump's lines) and its decoded Subject."""
    out = subprocess.run([dump, path], capture_output=True, check=False)
    if out.returncode != 0:
        return "gmime: exit %d" % out.returncode, []
    flat = []
    subject = []
    for line in out.stdout.decode("utf-8", "replace").split("\n"):
        tag, _, rest = line.partition(" ")
        if tag == "S":
            subject.append(rest)
        elif tag in ("M", "R"):
            flat.append((rest,))
        elif tag == "L":
            ct, size, crc = rest.rsplit(" ", 2)
            if ct.startswith("message/"):
                flat.append((ct,))
            else:
                flat.append((ct, int(size), crc))
    return flat, subject


def theirs(data):
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    flat = []

    def part(m):
        ct = m.get_content_type()
        payload = m.get_payload()
        if ct.startswith("multipart/"):
            # A multipart Python found no parts in has its body as a
            # string payload: compared as a multipart without children.
            flat.append((ct,))
            if isinstance(payload, list):
                for sub in payload:
                    part(sub)
        elif ct.startswith("message/"):
            flat.append((ct,))
            if container(ct) and isinstance(payload, list):
                for sub in payload:
                    part(sub)
        else:
            body = m.get_payload(decode=True) or b""
            flat.append((ct, len(body), "%08x" % (zlib.crc32(body) & 0xffffffff)))

    part(msg)
    return flat


def line_ends(mf, data, rel, bad):
    """A message both parsers agree on must also agree with all its line
    ends converted to CRLF and to LF (issue 4's corpus variants); Python
    reads both. Returns how many of the two conversions agreed."""
    n = 0
    for name, conv in (("CRLF", re.sub(rb"\r?\n", b"\r\n", data)),
                       ("LF", re.sub(rb"\r\n", b"\n", data))):
        with tempfile.NamedTemporaryFile(suffix=".eml") as t:
            t.write(conv)
            t.flush()
            got = ours(mf, t.name)
        try:
            b = theirs(conv)
        except Exception as e:  # Python's own failure
            b = "python: %s" % type(e).__name__
        if got is not None and got[0] == b:
            n += 1
        else:
            bad.append("%s with %s line ends: mailfmt %s, python %s"
                       % (rel, name, got[0] if got else None, b))
    return n


def main():
    build, ref = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = os.path.join(here, "..", "corpus")
    mf = os.path.join(build, "mailfmt")
    dump = os.path.join(build, "interop", "gmime_dump")
    listed = {}
    with open(os.path.join(here, ref + "-differences.txt"),
              encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, _, why = line.partition(": ")
            listed[name] = why
    agree = differ = hagree = eol_agree = 0
    bad = []
    stale = []
    for s in SETS:
        for root, _, files in sorted(os.walk(os.path.join(corpus, s))):
            for fn in sorted(files):
                path = os.path.join(root, fn)
                rel = os.path.relpath(path, corpus)
                with open(path, "rb") as f:
                    data = f.read()
                if not is_message(data) or fn.endswith("-summary.txt"):
                    continue  # not a message, or MimeKit's expected results
                got = ours(mf, path)
                if got is None:
                    bad.append("%s: mailfmt tree failed" % rel)
                    continue
                a, headers = got
                if ref == "gmime":
                    b, subject = gmime(dump, path)
                    # GMime decodes the Subject of the top-level message.
                    subj = [(v, d) for n, v, d in headers if n == "subject"]
                    pairs = [(subj[0][0], subj[0][1], subject[0])] \
                        if subj and subject else []
                else:
                    try:
                        b = theirs(data)
                    except Exception as e:  # Python's own failure
                        b = "python: %s" % type(e).__name__
                    pairs = [(v, d, python_decode(v)) for _, v, d in headers]
                hdiff = False
                for value, decoded, want in pairs:
                    if want is None:
                        continue
                    if want == decoded:
                        hagree += 1
                        continue
                    hdiff = True
                    if rel not in listed:
                        bad.append("%s: header %r: mailfmt %r, %s %r"
                                   % (rel, value, decoded, ref, want))
                if a == b:
                    agree += 1
                    if rel in listed and not hdiff:
                        stale.append(rel)
                    if ref == "python":
                        eol_agree += line_ends(mf, data, rel, bad)
                    continue
                differ += 1
                if rel not in listed:
                    bad.append("%s: differs\n  mailfmt %s\n  %-7s %s"
                               % (rel, a, ref, b))
    for rel in sorted(listed):
        if not os.path.exists(os.path.join(corpus, rel)):
            bad.append("%s: listed but missing" % rel)
        elif not listed[rel]:
            bad.append("%s: listed without a reason" % rel)
    for rel in stale:
        print("interop: %s now agrees with %s (listed)" % (rel, ref))
    print("interop %s: %d messages agree, %d differ as listed; "
          "%d encoded header values agree" %
          (ref, agree, differ - sum(1 for b in bad if "differs" in b),
           hagree))
    if ref == "python":
        print("interop python: %d of them also agree with every line end "
              "converted to CRLF and to LF" % (eol_agree // 2))
    for b in bad:
        print("interop: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
