#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fields_gmime.py BUILD - interop: `mailfmt addr` and `mailfmt date` against
GMime 3 (BUILD/interop/gmime_dump --addr / --date) on every From, To, Cc,
Reply-To, Sender and Date value in the headers of the corpus. Addresses
compare as the list of (local@domain, decoded name) of the mailboxes, group
members included; dates as the instant and offset, "-00:00" (no zone
information, RFC 5322 3.3) equal to GMime's "+00:00". The values on which
the two deliberately differ are listed below with the reason; any other
difference fails the run.
"""
import json
import os
import re
import subprocess
import sys

SETS = ["cpython", "gmime", "mikel-mail", "mimekit",
        "nodemailer-mailparser", "spamassassin"]

# mailfmt keeps what GMime drops: a name without address, a local part
# without domain, an obsolete local part ("s..palmer", RFC 5322 4.4), an
# address after a display name without angle brackets; and decodes
# adjacent encoded words GMime leaves out.
ADDR_DIFFERENCES = {
    b'"KLAUS- H\xc3\x84NSCHEL" <>': "name with an empty address kept",
    b'MAILER DAEMON <>': "name with an empty address kept",
    b'=?UTF-16?B?//492Enc?= test': "name without address kept",
    b'<Undisclosed-Recipient:@mailman.enron.com;>':
        "local part without domain kept",
    b'Big Bug bb@bug.com': '"Name a@b" read as Name <a@b> (issue 3)',
    b'Stefanie Schwabe stefanie.schwabe@wanadoo.fr':
        '"Name a@b" read as Name <a@b> (issue 3)',
    b'=?UTF-8?B?TXlTdXJ2ZXk=?= =?UTF-8?B?LmNvbSAmIEM=?= '
    b'=?UTF-8?B?YXJvbCBBZGE=?= =?UTF-8?B?bXM=?= <carol@mysurvey.com>':
        "GMime decodes only the first encoded word of the name",
}
ADDR_PREFIX_DIFFERENCES = {
    b'andy.zipper@enron.com, david.berberian@enron.com,':
        'obsolete local part "s..palmer" kept (MF_D_OBSOLETE)',
}
DATE_DIFFERENCES = {
    b'01 Jan 2001 00:01+0000': "GMime reads 00:00",
    b'18 Feb 01 12:29:13 AM': "12-hour time: GMime ignores AM",
}

failures = []


def corpus_values(corpus):
    addrs, dates = set(), set()
    field = re.compile(rb"(?im)^(From|To|Cc|Reply-To|Sender|Date):[ \t]*"
                       rb"(.*(?:\r?\n[ \t].*)*)")
    for s in SETS:
        for root, _, files in sorted(os.walk(os.path.join(corpus, s))):
            for fn in sorted(files):
                with open(os.path.join(root, fn), "rb") as f:
                    head = re.split(rb"\r?\n\r?\n", f.read(65536), 1)[0]
                for m in field.finditer(head):
                    v = re.sub(rb"\r?\n", b"", m.group(2)).strip()
                    if not v or b"\r" in v or len(v) > 60000:
                        continue
                    (dates if m.group(1).lower() == b"date" else addrs).add(v)
    return sorted(addrs), sorted(dates)


def listed(v):
    return v in ADDR_DIFFERENCES or any(v.startswith(p)
                                        for p in ADDR_PREFIX_DIFFERENCES)


def main():
    build = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    mf = os.path.join(build, "mailfmt")
    dump = os.path.join(build, "interop", "gmime_dump")
    addrs, dates = corpus_values(os.path.join(here, "..", "corpus"))

    out = subprocess.run([dump, "--addr"], input=b"".join(
        v + b"\n" for v in addrs), capture_output=True, check=True).stdout
    groups = out.decode("utf-8", "replace").split("\x1e\n")
    agree = 0
    for v, g in zip(addrs, groups):
        theirs = [tuple(l.split("\t", 1)) for l in g.split("\n") if l]
        r = subprocess.run([mf, "addr"], input=v, capture_output=True,
                           check=False)
        ours = []

        def walk(items):
            for it in items:
                if "group" in it:
                    walk(it["members"])
                else:
                    spec = it["local"] + ("@" + it["domain"]
                                          if it["domain"] else "")
                    ours.append((spec, it["name"] or ""))

        if r.returncode == 0:
            walk(json.loads(r.stdout))
        if ours == theirs:
            agree += 1
            if listed(v):
                print("interop: %r now agrees with GMime (listed)" % v)
        elif not listed(v):
            failures.append("addr %r: mailfmt %r, gmime %r" %
                            (v, ours, theirs))

    data = b"".join(v + b"\n" for v in dates)
    ours = subprocess.run([mf, "date"], input=data, capture_output=True,
                          check=True).stdout.decode().split("\n")
    theirs = subprocess.run([dump, "--date"], input=data, capture_output=True,
                            check=True).stdout.decode().split("\n")
    dagree = 0
    for v, o, t in zip(dates, ours, theirs):
        same = o == t or (o.endswith("-00:00") and t.endswith("+00:00") and
                          o[:-6] == t[:-6])
        if same:
            dagree += 1
        elif v not in DATE_DIFFERENCES:
            failures.append("date %r: mailfmt %s, gmime %s" % (v, o, t))
    print("interop gmime fields: %d of %d address values, %d of %d dates "
          "agree; the rest as listed" % (agree, len(addrs), dagree,
                                         len(dates)))
    for f in failures:
        print("interop: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
