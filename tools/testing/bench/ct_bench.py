#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Ping-pong traffic for the conntrack helper benchmark (ct_bench.sh).

    ct_bench.py ftp-server            answer every control line with "200 ok"
    ct_bench.py ftp-client HOST N     N command/reply round trips on one
                                      control connection to HOST port 21
    ct_bench.py dhcp-server IFACE     answer every DHCPv6 Solicit with an
                                      Advertise from the link-local address
    ct_bench.py dhcp-client IFACE N [GIVE_UP]
                                      N Solicit/Advertise exchanges to ff02::1:2;
                                      after GIVE_UP losses the rest count as lost

Clients print "<N> <seconds>".  Every round trip is two data packets through
the firewall (and its helper) plus the ACKs TCP piggybacks or delays.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../selftests/rv6/conntrack"))
from dhcpv6_client import link_local  # noqa: E402


def ftp_server():
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::", 21))
    srv.listen(4)
    while True:
        c, _ = srv.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = c.makefile("rb")
        c.sendall(b"220 bench\r\n")
        for _ in f:
            c.sendall(b"200 ok\r\n")
        c.close()


def ftp_client(host, n):
    s = socket.create_connection((host, 21))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    f.readline()
    t = time.perf_counter()
    for _ in range(n):
        s.sendall(b"CWD /pub/rv6/bench\r\n")
        f.readline()
    print(n, time.perf_counter() - t)


def dhcp_socket(iface, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    idx = socket.if_nametoindex(iface)
    if port == 547:
        s.bind(("::", port))
        mreq = socket.inet_pton(socket.AF_INET6, "ff02::1:2") + idx.to_bytes(4, "little")
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    else:
        s.bind((link_local(iface), port, 0, idx))
    return s, idx


def dhcp_server(iface):
    # Answers go back to the client's link-local address, so the kernel sends
    # them from this interface's link-local address, port 547.
    s, _ = dhcp_socket(iface, 547)
    while True:
        d, a = s.recvfrom(2000)
        if d and d[0] == 1:
            s.sendto(b"\x02" + d[1:4], a)


def dhcp_client(iface, n, give_up=None):
    s, idx = dhcp_socket(iface, 546)
    s.settimeout(2)
    t = time.perf_counter()
    lost = 0
    for i in range(n):
        if give_up is not None and lost >= give_up:
            lost += n - i
            break
        trid = (i % 0xFFFFFF).to_bytes(3, "big")
        s.sendto(b"\x01" + trid + b"\x00\x01\x00\x00", ("ff02::1:2", 547, 0, idx))
        try:
            s.recvfrom(100)
        except socket.timeout:
            lost += 1
    print(n, time.perf_counter() - t, lost)


def main():
    mode = sys.argv[1]
    if mode == "ftp-server":
        ftp_server()
    elif mode == "ftp-client":
        ftp_client(sys.argv[2], int(sys.argv[3]))
    elif mode == "dhcp-server":
        dhcp_server(sys.argv[2])
    elif mode == "dhcp-client":
        dhcp_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else None)


if __name__ == "__main__":
    main()
