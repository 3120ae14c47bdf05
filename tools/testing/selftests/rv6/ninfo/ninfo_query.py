#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""NI Queries (RFC 4620) from a raw ICMPv6 socket, for rv6's ninfo selftest.

    ninfo_query.py flood DST%IF N     N NOOP Queries, distinct nonces, as fast as they go;
                                      prints "sent N replies R seconds S" (replies read
                                      until a second after the last Query)
    ninfo_query.py fuzz DST%IF N SEED N malformed or hostile Queries (truncated, bad codes,
                                      bad subjects, random Qtypes, flags and data, compressed
                                      names); prints "sent S replies R refused F" (the socket
                                      refuses those shorter than 4 bytes)
    ninfo_query.py each DST%IF        one Query of each Qtype and subject kind, one at a time;
                                      prints "queries Q replies R" (a capture on the link
                                      has them for tshark)

Built with struct (no scapy: a Python start costs seconds under TCG; scapy many more).
The kernel fills in the ICMPv6 checksum of a raw IPPROTO_ICMPV6 socket.
"""
import os
import random
import select
import socket
import struct
import sys
import time

QUERY, REPLY = 139, 140


def query(qtype, code=1, flags=0, nonce=None, data=b""):
    nonce = nonce if nonce is not None else os.urandom(8)
    return struct.pack("!BBHHH", QUERY, code, 0, qtype, flags) + nonce + data


def name(*labels, fqdn=True):
    out = b"".join(bytes([len(x)]) + x for x in labels)
    return out + (b"\0" if fqdn else b"\0\0")


def open_socket(target):
    host, _, ifname = target.partition("%")
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    # ICMP6_FILTER: pass NI Replies only.
    blocked = [0xffffffff] * 8
    blocked[REPLY >> 5] &= ~(1 << (REPLY & 31))
    s.setsockopt(socket.IPPROTO_ICMPV6, 1, struct.pack("8I", *blocked))
    scope = socket.if_nametoindex(ifname) if ifname else 0
    return s, (host, 0, 0, scope)


def drain(s, until):
    got = []
    while True:
        left = until - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return got
        data, _ = s.recvfrom(2048)
        got.append(data)


def flood(target, n):
    s, dst = open_socket(target)
    t0 = time.monotonic()
    for i in range(n):
        s.sendto(query(0, nonce=struct.pack("!Q", i)), dst)
    t1 = time.monotonic()
    replies = drain(s, t1 + 1.0)
    print(f"sent {n} replies {len(replies)} seconds {t1 - t0:.3f}")


def hostile(r):
    kind = r.randrange(8)
    if kind == 0:                       # truncated header
        return query(r.randrange(5))[:r.randrange(16)]
    if kind == 1:                       # unknown code
        return query(r.randrange(5), code=r.randrange(3, 256), data=r.randbytes(r.randrange(20)))
    if kind == 2:                       # IPv6 subject of a wrong length
        return query(3, code=0, data=r.randbytes(r.choice([0, 4, 15, 17, 32])))
    if kind == 3:                       # IPv4 subject of a wrong length
        return query(4, code=2, data=r.randbytes(r.choice([0, 3, 5, 16])))
    if kind == 4:                       # compressed or malformed names
        return query(2, code=1, data=r.choice([b"\xc0\x0c", b"\x05ab", b"\x40" + bytes(64),
                                               name(b"a", b"b", fqdn=False), b"\0\0\0",
                                               r.randbytes(r.randrange(1, 300))]))
    if kind == 5:                       # random Qtypes and flags
        return query(r.randrange(65536), code=r.randrange(3), flags=r.randrange(65536),
                     data=r.randbytes(r.randrange(40)))
    if kind == 6:                       # a valid name subject that is not ours
        return query(2, code=1, data=name(b"not-this-node", fqdn=False))
    return r.randbytes(r.randrange(1, 200))  # anything, type byte fixed below


def fuzz(target, n, seed):
    """Prints "sent S replies R refused F": the socket refuses what is shorter than its
    checksum field (F); S went on the wire."""
    r = random.Random(seed)
    s, dst = open_socket(target)
    replies = sent = refused = 0
    for i in range(n):
        q = bytearray(hostile(r))
        if q:
            q[0] = QUERY
        try:
            s.sendto(bytes(q), dst)
            sent += 1
        except OSError:
            refused += 1
        if i % 256 == 255:
            replies += len(drain(s, time.monotonic()))
    replies += len(drain(s, time.monotonic() + 1.0))
    print(f"sent {sent} replies {replies} refused {refused}")


def each(target):
    s, dst = open_socket(target)
    own = socket.gethostname().encode()
    # Code 0: the subject is an IPv6 address, the one queried (as ping -N sends it).
    me = socket.inet_pton(socket.AF_INET6, dst[0])
    queries = [query(0), query(2, code=0, data=me), query(3, code=0, flags=0x3e, data=me),
               query(3, code=0, flags=0x08, data=me), query(4, code=0, flags=0x02, data=me),
               query(2, code=1, data=name(own, fqdn=False)), query(7, code=0, data=me)]
    replies = 0
    for q in queries:
        s.sendto(q, dst)
        replies += len(drain(s, time.monotonic() + 2.0)[:1])
    print(f"queries {len(queries)} replies {replies}")


if __name__ == "__main__":
    cmd, target = sys.argv[1], sys.argv[2]
    if cmd == "flood":
        flood(target, int(sys.argv[3]))
    elif cmd == "fuzz":
        fuzz(target, int(sys.argv[3]), int(sys.argv[4]))
    else:
        each(target)
