#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Adds N Shim6 contexts to the current network namespace, one rv6-shim6
context-add request each, 100 requests per send, then dumps the table.

    shim6_bulk.py N

Context i has local tag 0x2000_0000_0000 + i, peer tag i + 1 and its own ULID
pair (2001:db8:f::1, 2001:db8:f:<i>::2): on its ULIDs, so no XFRM state.
Prints "added=A errors=E dumped=D" and exits 0 when every request succeeded.
"""
import ipaddress
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.environ["RV6_SRC"], "tools/net/ynl/pyynl"))
from lib import YnlFamily  # noqa: E402  (the kernel tree's YNL library)

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "../../../../../Documentation/netlink/specs/rv6_shim6.yaml")
NETLINK_GENERIC, SOL_NETLINK, NETLINK_EXT_ACK = 16, 270, 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
CMD_CONTEXT_GET, CMD_CONTEXT_ADD = 2, 3
# The context attribute set's values (the spec's order, pad first).
A_LOCAL_TAG, A_PEER_TAG, A_ULID_LOCAL, A_ULID_PEER = 2, 3, 4, 5


def attr(kind, data):
    return struct.pack("=HH", 4 + len(data), kind) + data + bytes(-len(data) % 4)


def message(fam_id, seq, cmd, flags, body=b""):
    payload = struct.pack("=BBH", cmd, 1, 0) + body
    return struct.pack("=IHHII", 16 + len(payload), fam_id, flags, seq, 0) + payload


def messages(data):
    off = 0
    while off + 16 <= len(data):
        length, mtype, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
        if length < 16:
            return
        yield mtype, seq, data[off + 16:off + length]
        off += (length + 3) & ~3


def context(i):
    peer = ipaddress.IPv6Address("2001:db8:f::2") + (i << 64)
    return (attr(A_LOCAL_TAG, struct.pack("=Q", 0x2000_0000_0000 + i))
            + attr(A_PEER_TAG, struct.pack("=Q", i + 1))
            + attr(A_ULID_LOCAL, ipaddress.IPv6Address("2001:db8:f::1").packed)
            + attr(A_ULID_PEER, peer.packed))


def main():
    n = int(sys.argv[1])
    fam_id = YnlFamily(SPEC, schema="").nlproto.family_id
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.settimeout(60)
    added = errors = 0
    for first in range(0, n, 100):
        chunk = range(first, min(n, first + 100))
        s.send(b"".join(message(fam_id, i + 1, CMD_CONTEXT_ADD, NLM_F_REQUEST | NLM_F_ACK,
                                context(i)) for i in chunk))
        pending = {i + 1 for i in chunk}
        while pending:
            for mtype, seq, body in messages(s.recv(1 << 16)):
                if mtype == NLMSG_ERROR and seq in pending:
                    pending.discard(seq)
                    if struct.unpack_from("=i", body)[0] == 0:
                        added += 1
                    else:
                        errors += 1
    s.send(message(fam_id, n + 1, CMD_CONTEXT_GET, NLM_F_REQUEST | NLM_F_DUMP))
    dumped, done = 0, False
    while not done:
        for mtype, seq, body in messages(s.recv(1 << 20)):
            if mtype in (NLMSG_DONE, NLMSG_ERROR):
                done = True
            elif seq == n + 1:
                dumped += 1
    print(f"added={added} errors={errors} dumped={dumped}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
