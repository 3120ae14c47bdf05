# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink for rv6's Python test helpers: what YNL does not offer,
requests sent a hundred to a buffer and answers read buffer by buffer (their
flags seen).  YNL (the kernel tree's library) still resolves families and
does single requests.
"""
import socket
import struct

NETLINK_GENERIC, SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 16, 270, 11, 10
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP_INTR, NLM_F_DUMP = 0x1, 0x2, 0x4, 0x10, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3


def attr(kind, data):
    return struct.pack("=HH", 4 + len(data), kind) + data + bytes(-len(data) % 4)


def message(fam_id, seq, cmd, flags, body=b""):
    payload = struct.pack("=BBH", cmd, 1, 0) + body
    return struct.pack("=IHHII", 16 + len(payload), fam_id, flags, seq, 0) + payload


def raw_socket(timeout=20):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    s.settimeout(timeout)
    return s


def messages(data):
    """(type, flags, seq, payload) of each message in a buffer."""
    off = 0
    while off + 16 <= len(data):
        length, mtype, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
        if length < 16:
            return
        yield mtype, flags, seq, data[off + 16:off + length]
        off += (length + 3) & ~3


def bulk(fam_id, cmd, bodies, batch=100):
    """Sends one acknowledged request per body, `batch` per send; returns how many failed."""
    s, errors, seq = raw_socket(), 0, 0
    bodies = list(bodies)
    for i in range(0, len(bodies), batch):
        chunk = bodies[i:i + batch]
        s.send(b"".join(message(fam_id, seq + j + 1, cmd, NLM_F_REQUEST | NLM_F_ACK, b)
                        for j, b in enumerate(chunk)))
        pending = set(range(seq + 1, seq + len(chunk) + 1))
        while pending:
            for mtype, _, mseq, body in messages(s.recv(1 << 16)):
                if mtype == NLMSG_ERROR and mseq in pending:
                    pending.discard(mseq)
                    errors += struct.unpack_from("=i", body)[0] != 0
        seq += len(chunk)
    s.close()
    return errors


def dump_count(fam_id, cmd, seq=1):
    """How many messages a dump of `cmd` answers with."""
    s, n = raw_socket(), 0
    s.send(message(fam_id, seq, cmd, NLM_F_REQUEST | NLM_F_DUMP))
    while True:
        for mtype, _, mseq, _ in messages(s.recv(1 << 20)):
            if mtype in (NLMSG_DONE, NLMSG_ERROR):
                s.close()
                return n
            n += mseq == seq
