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
import struct
import sys

sys.path.insert(0, os.path.join(os.environ["RV6_SRC"], "tools/net/ynl/pyynl"))
from lib import YnlFamily  # noqa: E402  (the kernel tree's YNL library)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from nlraw import attr, bulk, dump_count  # noqa: E402

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "../../../../../Documentation/netlink/specs/rv6_shim6.yaml")
CMD_CONTEXT_GET, CMD_CONTEXT_ADD = 2, 3
# The context attribute set's values (the spec's order, pad first).
A_LOCAL_TAG, A_PEER_TAG, A_ULID_LOCAL, A_ULID_PEER = 2, 3, 4, 5


def context(i):
    peer = ipaddress.IPv6Address("2001:db8:f::2") + (i << 64)
    return (attr(A_LOCAL_TAG, struct.pack("=Q", 0x2000_0000_0000 + i))
            + attr(A_PEER_TAG, struct.pack("=Q", i + 1))
            + attr(A_ULID_LOCAL, ipaddress.IPv6Address("2001:db8:f::1").packed)
            + attr(A_ULID_PEER, peer.packed))


def main():
    n = int(sys.argv[1])
    fam_id = YnlFamily(SPEC, schema="").nlproto.family_id
    errors = bulk(fam_id, CMD_CONTEXT_ADD, (context(i) for i in range(n)))
    print(f"added={n - errors} errors={errors} dumped={dump_count(fam_id, CMD_CONTEXT_GET)}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
