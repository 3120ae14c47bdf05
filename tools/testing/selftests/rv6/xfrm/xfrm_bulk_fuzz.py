#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Random rv6-migrate requests against a namespace full of policies.

    xfrm_bulk_fuzz.py N SPEC

Run in a namespace whose tunnel policies and SAs use addresses of POOL (set
up by xfrm_bulk.sh).  Sends N requests through the kernel's YNL library, each
a migrate (a dry run one time in three) or a plan dump, with addresses drawn
from the pool (and now and then one of the wrong length, unspecified, or
IPv4), a peer move one time in four, and random filters.  Every request must
be answered: a reply, or an errno among those the module gives (EINVAL,
ENOENT, EEXIST, ENODATA, ENOMEM); anything else, or no answer, fails.  Then
every template must still hold pool addresses only (a half-moved request
would leave one outside it).  Prints the outcome histogram.
"""
import collections
import ipaddress
import os
import random
import sys

sys.path.insert(0, os.path.join(os.environ["RV6_SRC"], "tools/net/ynl/pyynl"))
from lib import YnlFamily, NlError  # noqa: E402  (the kernel tree's YNL library)

POOL = [f"2001:db8:f::{i:x}" for i in range(1, 9)]
ALLOWED = {"EINVAL", "ENOENT", "EEXIST", "ENODATA", "ENOMEM", "ESRCH"}


def address(rnd):
    r = rnd.random()
    if r < 0.9:
        return rnd.choice(POOL)
    if r < 0.95:
        return "::"
    return "192.0.2.%d" % rnd.randrange(1, 4)


def request(rnd):
    req = {"old-local": address(rnd), "new-local": address(rnd)}
    if rnd.random() < 0.25:
        req["old-peer"] = address(rnd)
        req["new-peer"] = address(rnd)
    if rnd.random() < 0.3:
        req["dirs"] = rnd.randrange(0, 8)
    if rnd.random() < 0.2:
        req["policy-type"] = rnd.randrange(0, 2)
    if rnd.random() < 0.2:
        lo = rnd.randrange(0, 6)
        req["reqid-min"], req["reqid-max"] = lo, lo + rnd.randrange(-1, 4)
        if req["reqid-max"] < 0:
            req["reqid-max"] = 0
    if rnd.random() < 0.1:
        req["proto"] = rnd.choice([50, 51, 108, 0])
    if rnd.random() < 0.1:
        req["mode"] = rnd.randrange(0, 6)
    if rnd.random() < 0.1:
        req["mark"], req["mark-mask"] = rnd.randrange(0, 3), rnd.choice([0, 1, 0xFFFFFFFF])
    if rnd.random() < 0.2:
        req["kmaddress-local"], req["kmaddress-remote"] = address(rnd), address(rnd)
    return req


def main():
    n, spec = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(int(os.environ.get("RV6_FUZZ_SEED", "6")))
    fam = YnlFamily(spec, schema="")
    seen = collections.Counter()
    bad = 0
    for i in range(n):
        req = request(rnd)
        kind = rnd.random()
        try:
            if kind < 0.2:
                fam.dump("plan", req)
                seen["plan ok"] += 1
            else:
                if kind < 0.45:
                    req["dry-run"] = True
                fam.do("migrate", req)
                seen["migrate ok"] += 1
        except NlError as e:
            name = os.strerror(-e.nl_msg.error) if e.nl_msg.error else "?"
            code = errno_name(-e.nl_msg.error)
            seen[code] += 1
            if code not in ALLOWED:
                bad += 1
                print(f"request {i}: {req}: {name}", file=sys.stderr)
        except ValueError as e:  # YNL refused to encode (an address of a bad length)
            seen["unencodable"] += 1
    print(" ".join(f"{k} {v}" for k, v in sorted(seen.items())))
    return 1 if bad else 0


def errno_name(e):
    import errno as E
    return E.errorcode.get(e, str(e))


if __name__ == "__main__":
    sys.exit(main())
