#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends N malformed or hostile Shim6 control messages (IPv6 next header 140) from SRC to
DST, seeded, over a raw socket:

    shim6d_barrage.py SRC DST TAG N [SEED]

TAG is the receiver's context tag (hex), so that a share of the messages reach the code
behind the tag look-up (Keepalives, Probes, Update Requests and Acknowledgements).  The
kinds, in turn:
  - random bytes, the P bit clear, the checksum right or not;
  - every known type (and unknown ones) with its fixed fields random, random options
    (known and unknown types, critical or not, lengths that fit or lie), checksum right;
  - the same with a Hdr Ext Len that disagrees with the bytes;
  - Keepalives, Probes (random counts, states and reports), Update Requests and
    Acknowledgements, Error messages, all to TAG, checksum right.
Prints "sent N" when done.
"""
import random
import socket
import struct
import sys

TYPES = [1, 2, 3, 4, 5, 6, 64, 65, 66, 67, 68]
OPTIONS = [1, 2, 3, 4, 5, 6, 7, 10]


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def seal(b, right=True):
    """Pads to a multiple of 8, writes Hdr Ext Len and the checksum."""
    b = bytearray(b)
    b += bytes(-len(b) % 8)
    if len(b) < 8:
        b += bytes(8 - len(b))
    b[1] = len(b) // 8 - 1
    b[4:6] = b"\0\0"
    c = checksum(bytes(b))
    b[4:6] = struct.pack("!H", c if right else c ^ 0x5a5a)
    return bytes(b)


def options(r):
    out = b""
    for _ in range(r.randrange(4)):
        kind = r.choice(OPTIONS + [r.randrange(1 << 15)])
        crit = r.randrange(2) << 15
        body = bytes(r.randrange(256) for _ in range(r.choice([0, 1, 4, 5, 17, 36, r.randrange(64)])))
        length = len(body) if r.randrange(4) else r.randrange(1 << 16)
        out += struct.pack("!HH", kind | crit, length) + body + bytes(-(len(body) + 4) % 8)
    return out


def tagged(tag, r):
    return struct.pack("!Q", tag & ((1 << 47) - 1))[2:] if r.randrange(4) else bytes(r.randrange(256) for _ in range(6))


def message(r, tag):
    kind = r.randrange(4)
    if kind == 0:
        b = bytearray(r.randrange(256) for _ in range(r.randrange(0, 120)))
        if len(b) > 2:
            b[2] &= 0x7f
        return seal(b, r.randrange(2)) if len(b) >= 6 and r.randrange(2) else bytes(b)
    if kind in (1, 2):
        t = r.choice(TYPES + [r.randrange(128)])
        fixed = bytes(r.randrange(256) for _ in range(r.choice([2, 10, 14, 16, 20, 26])))
        b = seal(bytes([59, 0, t, 0, 0, 0]) + fixed + options(r))
        if kind == 2:
            b = bytearray(b)
            b[1] = r.randrange(256)
            b[4:6] = b"\0\0"
            b[4:6] = struct.pack("!H", checksum(bytes(b)))
            b = bytes(b)
        return b
    # To the context's tag.
    t = r.choice([64, 65, 66, 67, 67, 68])
    if t == 66:
        body = tagged(tag, r) + bytes(4)
    elif t == 67:
        psent, precvd = r.randrange(16), r.randrange(16)
        claimed = r.randrange(256) if r.randrange(4) == 0 else (precvd << 4) | psent
        sta = r.randrange(4) << 6
        n = psent + precvd if r.randrange(4) else r.randrange(31)
        reports = b"".join(bytes(r.randrange(256) for _ in range(32)) + struct.pack("!II", r.getrandbits(32), r.getrandbits(32)) for _ in range(n))
        body = tagged(tag, r) + bytes([claimed, sta, 0, 0]) + reports
    elif t == 68:
        body = struct.pack("!H", r.randrange(1 << 16)) + bytes(r.randrange(256) for _ in range(r.randrange(80)))
        return seal(bytes([59, 0, t, r.randrange(128) << 1, 0, 0]) + body)
    else:
        body = tagged(tag, r) + struct.pack("!I", r.getrandbits(32))
    return seal(bytes([59, 0, t, 0, 0, 0]) + body + options(r))


def main():
    src, dst, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4])
    r = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 140)
    s.bind((src, 0))
    sent = 0
    for _ in range(n):
        try:
            s.sendto(message(r, tag), (dst, 0))
            sent += 1
        except OSError:
            pass
    print(f"sent {sent}")


if __name__ == "__main__":
    main()
