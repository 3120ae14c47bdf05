#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends random and mutated generic netlink requests to rv6's families.

    genl_fuzz.py N SPEC...

Each family is resolved through the kernel's YNL library (the same one cli.py
uses), which also gives its commands and attribute types from the spec.  N
requests are spread over the families; each is one of:

  shaped   a known or unknown command, do or dump flags, the spec's attributes
           with the right sizes and random values (out-of-range ones too);
  mutated  a shaped request with bytes flipped, inserted or cut, its length
           fields left stale or fixed up;
  garbage  random command, flags and attribute blobs, nests of garbage.

Every request asks for an acknowledgement; the fuzzer reads until the answer to
its sequence number (the error or the dump's end) arrives, so dumps run to
completion.  It fails if a request goes unanswered for 10 s.  It prints the
errno histogram.  The guest runner fails the run on any kernel report.

Then every family gets one valid request: a dump of its first op that has one
(counted raw: the fuzz may have stored strings YNL cannot decode), else a do
through YNL of its first op whose request needs no attribute.  A line per
family says what it answered:

    valid FAMILY OP dump|do ENTRIES|error ...
"""
import collections
import errno
import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.environ["RV6_SRC"], "tools/net/ynl/pyynl"))
from lib import YnlFamily  # noqa: E402  (the kernel tree's YNL library)

NETLINK_GENERIC, SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 16, 270, 11, 10
NLM_F_REQUEST, NLM_F_ACK, NLM_F_ECHO, NLM_F_DUMP = 0x1, 0x4, 0x8, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
SIZES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "s8": 1, "s16": 2, "s32": 4, "s64": 8,
         "flag": 0, "uint": 8, "sint": 8}


def attr(kind, data):
    return struct.pack("=HH", 4 + len(data), kind) + data + bytes(-len(data) % 4)


class Family:
    def __init__(self, spec):
        ynl = YnlFamily(spec, schema="")
        self.ynl = ynl
        self.name = ynl.yaml["name"]
        self.id = ynl.nlproto.family_id
        self.ops = [op for op in ynl.ops.values() if op.is_call]
        self.attrs = {}
        for op in self.ops:
            self.attrs[op.req_value] = [(a.value, a.type) for a in op.attr_set.attrs.values()]


def value(rng, kind):
    if kind in SIZES:
        n = SIZES[kind]
        if kind in ("uint", "sint") and rng.random() < 0.5:
            n = 4
        if n and rng.random() < 0.6:
            # Mostly the small values enums and indexes take, so that requests get past the
            # policy into the handlers; the rest anything.
            return rng.choice([0, 1, 2, 3, 4, 5, 2**(8 * n) - 1]).to_bytes(n, sys.byteorder)
        return rng.randbytes(n)
    if kind == "string":
        return rng.randbytes(rng.randrange(0, 40)) + (b"\0" if rng.random() < 0.8 else b"")
    if kind == "binary":
        return rng.randbytes(rng.choice([0, 1, 4, 15, 16, 17, 40, rng.randrange(0, 300)]))
    if kind == "nest":
        return garbage_attrs(rng, 2)
    return b""


def garbage_attrs(rng, depth):
    out = b""
    for _ in range(rng.randrange(0, 6)):
        kind = rng.randrange(0, 12)
        if depth and rng.random() < 0.2:
            out += attr(kind | NLA_F_NESTED, garbage_attrs(rng, depth - 1))
        else:
            out += attr(kind | (NLA_F_NESTED if rng.random() < 0.05 else 0),
                        rng.randbytes(rng.choice([0, 1, 2, 4, 8, 16, rng.randrange(0, 64)])))
    return out


def shaped(rng, fam):
    op = rng.choice(fam.ops)
    cmd = op.req_value if rng.random() < 0.9 else rng.randrange(0, 256)
    flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if rng.random() < 0.4 else 0)
    body = b""
    for a, kind in fam.attrs.get(op.req_value, []):
        if rng.random() < 0.6:
            body += attr(a | (NLA_F_NESTED if kind == "nest" else 0), value(rng, kind))
    if rng.random() < 0.1:
        body += attr(rng.randrange(0, 64), rng.randbytes(rng.randrange(0, 16)))
    return cmd, flags, body


def message(fam_id, seq, cmd, flags, body, version=1):
    payload = struct.pack("=BBH", cmd, version, 0) + body
    return struct.pack("=IHHII", 16 + len(payload), fam_id, flags, seq, 0) + payload


def request(rng, fams, seq):
    fam = rng.choice(fams)
    kind = rng.random()
    if kind < 0.5:
        return message(fam.id, seq, *shaped(rng, fam))
    if kind < 0.85:
        msg = bytearray(message(fam.id, seq, *shaped(rng, fam)))
        for _ in range(rng.randrange(1, 5)):
            what, pos = rng.random(), rng.randrange(16, max(17, len(msg)))
            if what < 0.5 and pos < len(msg):
                msg[pos] ^= 1 << rng.randrange(8)
            elif what < 0.75:
                msg[pos:pos] = rng.randbytes(rng.randrange(1, 8))
            else:
                del msg[pos:pos + rng.randrange(1, 8)]
        if rng.random() < 0.7:
            struct.pack_into("=I", msg, 0, len(msg))
        return bytes(msg)
    flags = NLM_F_REQUEST | NLM_F_ACK | rng.choice([0, NLM_F_DUMP, NLM_F_ECHO, rng.randrange(0, 0x800)])
    return message(fam.id, seq, rng.randrange(0, 256), flags, garbage_attrs(rng, 3),
                   version=rng.randrange(0, 4))


def answer(sock, seq):
    """Reads until the error or dump end for `seq`; returns its errno (0 for a dump's end)."""
    while True:
        data = sock.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _, mseq, _ = struct.unpack_from("=IHHII", data, off)
            if length < 16:
                break
            if mseq == seq and mtype == NLMSG_ERROR:
                return -struct.unpack_from("=i", data, off + 16)[0]
            if mseq == seq and mtype == NLMSG_DONE:
                return 0
            off += (length + 3) & ~3


def main():
    n, specs = int(sys.argv[1]), sys.argv[2:]
    rng = random.Random(int(os.environ.get("RV6_FUZZ_SEED", "6")))
    fams = [Family(s) for s in specs]
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    sock.settimeout(10)
    seen = collections.Counter()
    for seq in range(1, n + 1):
        msg = request(rng, fams, seq)
        try:
            sock.send(msg)
        except OSError as e:  # refused at sendmsg (e.g. a length the socket layer rejects)
            seen[errno.errorcode.get(e.errno, e.errno)] += 1
            continue
        # A message whose length field runs past the data (or below a header) is dropped
        # by the core without an answer (netlink_rcv_skb()); every other one is answered.
        if not 16 <= struct.unpack_from("=I", msg)[0] <= len(msg):
            seen["unparsable, no answer"] += 1
            continue
        try:
            err = answer(sock, seq)
        except socket.timeout:
            print(f"# request {seq} ({len(msg)} bytes) unanswered for 10 s: {msg.hex()}")
            return 1
        seen[errno.errorcode.get(err, err) if err else "ok"] += 1
    print(f"# {n} requests to {', '.join(f.name for f in fams)}: " +
          ", ".join(f"{k} {v}" for k, v in seen.most_common()))
    for i, fam in enumerate(fams):
        print(valid_request(sock, n + 1 + i, fam))
    return 0


def dump_entries(sock, seq, fam, cmd):
    """Dumps `cmd` of `fam`; returns the number of entries, or raises OSError on an error."""
    sock.send(message(fam.id, seq, cmd, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, b""))
    entries = 0
    while True:
        data = sock.recv(1 << 16)
        off = 0
        while off + 16 <= len(data):
            length, mtype, _, mseq, _ = struct.unpack_from("=IHHII", data, off)
            if length < 16:
                break
            if mseq == seq:
                if mtype == NLMSG_DONE:
                    return entries
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", data, off + 16)[0]
                    if err:
                        raise OSError(err, os.strerror(err))
                    return entries
                entries += 1
            off += (length + 3) & ~3


def valid_request(sock, seq, fam):
    """One request the family must answer: a dump that takes no attributes if it has one,
    else an attribute-less do (a dump whose request needs attributes, as rv6-migrate's plan,
    rightly refuses an empty one)."""
    ops = fam.ynl.yaml["operations"]["list"]
    try:
        for op in ops:
            if "dump" in op and not op["dump"].get("request", {}).get("attributes"):
                got = dump_entries(sock, seq, fam, fam.ynl.ops[op["name"]].req_value)
                return f"valid {fam.name} {op['name']} dump {got}"
        for op in ops:
            if "do" in op and not op["do"].get("request", {}).get("attributes"):
                got = fam.ynl.do(op["name"], {})
                return f"valid {fam.name} {op['name']} do {len(got or {})}"
        return f"valid {fam.name} - - error: no dump and no attribute-less do to try"
    except Exception as e:  # noqa: BLE001 - reported as the family's failure
        return f"valid {fam.name} - - error: {e}"


if __name__ == "__main__":
    sys.exit(main())
