#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Crafted FTP control connections through the firewall netns, for ct_ftp.sh.

Runs in the client netns; a sink (this script with 'sink') listens in the
server netns.  Each case opens a control connection to port 21, sends its
bytes in the given pieces (TCP_NODELAY, a pause between pieces so that each is
its own segment), then reads the firewall's expectation table.  Prints one
line per case: "<name> <expectations> <expected>", and exits 1 if any differ.
"""
import ctypes
import os
import socket
import struct
import sys
import time

SCALE = int(os.environ.get("RV6_TIME_SCALE", "1"))

SERVER6, SERVER4 = "2001:db8:2::2", "10.0.2.2"
CLIENT6, CLIENT4 = "2001:db8:1::1", "10.0.1.1"
HELPER = "rv6-ftp"


# The firewall's expectation table over ctnetlink, from a socket made in its
# namespace: conntrack(8) would cost two process starts per look (seconds
# under TCG), for a dump and a flush any netlink socket can ask for.
NETLINK_NETFILTER, CLONE_NEWNET = 12, 0x40000000
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
# NFNL_SUBSYS_CTNETLINK_EXP << 8 | IPCTNL_MSG_EXP_{GET,DELETE}; CTA_EXPECT_HELP_NAME.
EXP_GET, EXP_DELETE, CTA_EXPECT_HELP_NAME = 0x201, 0x202, 6
_fw = None


def fw_socket():
    global _fw
    if _fw is None:
        libc = ctypes.CDLL(None, use_errno=True)
        with open("/proc/self/ns/net") as home, open("/run/netns/fw") as fw:
            if libc.setns(fw.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns fw")
            _fw = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            if libc.setns(home.fileno(), CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
        _fw.settimeout(5 * SCALE)
    return _fw


def ctnetlink(mtype, flags):
    """Sends one request (AF_UNSPEC: every family) and yields the attributes of each
    answer until the dump or the acknowledgement ends it."""
    s = fw_socket()
    s.send(struct.pack("=IHHIIBBH", 20, mtype, NLM_F_REQUEST | flags, 1, 0, 0, 0, 0))
    while True:
        data, off = s.recv(1 << 16), 0
        while off + 16 <= len(data):
            length, t, _, _, _ = struct.unpack_from("=IHHII", data, off)
            if t in (NLMSG_DONE, NLMSG_ERROR):
                return
            attrs, a = {}, off + 20
            while a + 4 <= off + length:
                alen, kind = struct.unpack_from("=HH", data, a)
                attrs[kind & 0x3fff] = data[a + 4:a + alen]
                a += (alen + 3) & ~3
            yield attrs
            off += (length + 3) & ~3


def expectations():
    return [a for a in ctnetlink(EXP_GET, NLM_F_DUMP)
            if a.get(CTA_EXPECT_HELP_NAME, b"").rstrip(b"\0") == HELPER.encode()]


def flush():
    # A delete without a tuple or helper name empties the whole table.
    for _ in ctnetlink(EXP_DELETE, NLM_F_ACK):
        pass


def session(server, pieces, pause=0.05):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5 * SCALE)
    s.connect((server, 21))
    s.recv(100)  # the sink's greeting: the connection is established both ways
    for p in pieces:
        s.sendall(p)
        time.sleep(pause * SCALE)
    time.sleep(0.2 * SCALE)
    n = len(expectations())
    s.close()
    flush()
    return n


def sink():
    """Accept control connections, greet, and swallow whatever comes."""
    import threading
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", 21))
    srv.listen(64)

    def serve(c):
        try:
            c.sendall(b"220 rv6 sink\r\n")
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def cases():
    eprt = f"EPRT |2|{CLIENT6}|50000|\r\n".encode()
    cases = [
        ("eprt_whole", SERVER6, [eprt], 1),
        ("port_whole", SERVER4, [b"PORT 10,0,1,1,195,80\r\n"], 1),
        ("eprt_v4_on_v4", SERVER4, [f"EPRT |1|{CLIENT4}|50000|\r\n".encode()], 1),
        # FTP bounce: an address other than the client's own.
        ("eprt_bounce", SERVER6, [b"EPRT |2|2001:db8:2::99|50000|\r\n"], 0),
        ("port_bounce", SERVER4, [b"PORT 10,0,2,99,195,80\r\n"], 0),
        # KAME: a v4-mapped address in EPRT on an IPv6 control connection.
        ("eprt_v4_mapped", SERVER6, [b"EPRT |2|::ffff:10.0.1.1|50000|\r\n"], 0),
        # IPv4 endpoint named on an IPv6 control connection.
        ("port_on_v6", SERVER6, [b"PORT 10,0,1,1,195,80\r\n"], 0),
        ("eprt_port_0", SERVER6, [f"EPRT |2|{CLIENT6}|0|\r\n".encode()], 0),
        ("eprt_port_65536", SERVER6, [f"EPRT |2|{CLIENT6}|65536|\r\n".encode()], 0),
        ("eprt_missing_delimiter", SERVER6, [f"EPRT |2|{CLIENT6}|50000\r\n".encode()], 0),
        ("port_missing_field", SERVER4, [b"PORT 10,0,1,1,195\r\n"], 0),
        # A 10^4-byte line is skipped whole; the command after it still counts.
        ("long_line_then_eprt", SERVER6, [b"NOOP " + b"A" * 10000 + b"\r\n", eprt], 1),
        ("long_eprt_line", SERVER6, [eprt[:-2] + b"A" * 10000 + b"\r\n"], 0),
    ]
    # The command split at every byte offset, two segments each (the quick
    # subset, RV6_QUICK=1, keeps three offsets: in the verb, the address, the port).
    cuts = range(1, len(eprt))
    if os.environ.get("RV6_QUICK") == "1":
        cuts = (2, 12, len(eprt) - 4)
    for cut in cuts:
        cases.append((f"eprt_split_at_{cut}", SERVER6, [eprt[:cut], eprt[cut:]], 1))
    # And one byte per segment.
    cases.append(("eprt_byte_by_byte", SERVER6, [eprt[i:i + 1] for i in range(len(eprt))], 1))
    return cases


def main():
    if sys.argv[1:] == ["sink"]:
        sink()
        return
    if sys.argv[1:] == ["count"]:
        print(len(cases()))
        return
    bad = 0
    for name, server, pieces, want in cases():
        got = session(server, pieces, pause=0.02 if len(pieces) > 3 else 0.05)
        print(name, got, want)
        bad += got != want
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
