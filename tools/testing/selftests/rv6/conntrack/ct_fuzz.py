#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Malformed input for the conntrack helpers, from the client side (ct_fuzz.sh).

    ct_fuzz.py ftp HOST N SEED     N random control-connection writes to HOST
                                   port 21, spread over 8 connections
    ct_fuzz.py dhcpv6 IFACE N SEED N random UDP payloads from the interface's
                                   link-local port 546 to ff02::1:2 port 547

Writes mix near-misses of the commands the helpers parse (EPRT/PORT/227/229
with bad delimiters, ports, addresses; DHCPv6 headers cut short, relay headers
with bad hop counts) with plain random bytes and lines up to 10^4 bytes.
"""
import random
import socket
import sys

FTP_SEEDS = [b"EPRT |2|", b"EPRT |1|", b"PORT ", b"EPRT ", b"227 Entering (", b"229 (|||",
             b"2001:db8:1::1", b"::ffff:10.0.1.1", b"10,0,1,1,", b"|65536|", b"|0|", b"\r\n", b"\n"]


def ftp_payload(r):
    k = r.random()
    if k < 0.5:
        return b"".join(r.choice(FTP_SEEDS) if r.random() < 0.6 else bytes([r.randrange(256)])
                        for _ in range(r.randrange(1, 24)))
    if k < 0.95:
        return r.randbytes(r.randrange(1, 600))
    return b"EPRT |2|" + b"9" * r.randrange(500, 10000) + b"|\r\n"


def dhcpv6_payload(r):
    k = r.random()
    if k < 0.3:
        return bytes([r.randrange(0, 20)]) + r.randbytes(r.randrange(0, 40))
    if k < 0.5:  # Relay-forw with a random hop count and a cut-short header
        return bytes([12, r.randrange(256)]) + r.randbytes(r.randrange(0, 60))
    return r.randbytes(r.randrange(0, 1400))


def main():
    what, target, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    r = random.Random(seed)
    if what == "ftp":
        conns = []
        for _ in range(8):
            s = socket.create_connection((target, 21))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.recv(100)
            conns.append(s)
        for _ in range(n):
            r.choice(conns).sendall(ftp_payload(r))
        for s in conns:
            s.close()
    else:
        idx = socket.if_nametoindex(target)
        with open("/proc/net/if_inet6") as f:
            ll = next(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(l.split()[0]))
                      for l in f if l.split()[5] == target and l.split()[3] == "20")
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind((ll, 546, 0, idx))
        for _ in range(n):
            s.sendto(dhcpv6_payload(r), ("ff02::1:2", 547, 0, idx))
    print("sent", n)


if __name__ == "__main__":
    main()
