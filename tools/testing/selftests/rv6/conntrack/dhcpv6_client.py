#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A scripted DHCPv6 client for ct_dhcpv6.sh, built on scapy's DHCPv6 layers.

    dhcpv6_client.py IFACE exchange   Solicit, Request, Renew, Rebind,
                                      Information-request, Release, in turn
    dhcpv6_client.py IFACE solicit    the Solicit alone
    dhcpv6_client.py IFACE listen N [solicit]
                                      wait N seconds for anything on port 546,
                                      after sending one Solicit if asked

Messages go to ff02::1:2 port 547 from the interface's link-local address
port 546, through the netns's firewall like any client's.  Prints one line per
message, "<sent> <answer type or none>", or for listen the sources heard.
"""
import os
import socket
import sys


def link_local(iface):
    with open("/proc/net/if_inet6") as f:
        for line in f:
            hexaddr, _, _, scope, _, name = line.split()
            if name == iface and scope == "20":
                return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hexaddr))
    sys.exit(f"{iface}: no link-local address")


def main():
    iface, mode = sys.argv[1], sys.argv[2]
    idx = socket.if_nametoindex(iface)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((link_local(iface), 546, 0, idx))

    if mode == "listen":
        if sys.argv[4:] == ["solicit"]:
            s.sendto(b"\x01\x00\x00\x2a\x00\x08\x00\x02\x00\x00",  # Solicit, Elapsed Time 0
                     ("ff02::1:2", 547, 0, idx))
        print("ready", flush=True)
        s.settimeout(float(sys.argv[3]))
        try:
            while True:
                _, src = s.recvfrom(2000)
                print("heard", src[0], flush=True)
        except socket.timeout:
            print("heard nothing more")
        return

    # Imported only here: scapy takes seconds to load under TCG, and a listener
    # must be bound before the test sends to it.
    from scapy.layers.dhcp6 import (DHCP6_Advertise, DHCP6_InfoRequest, DHCP6_Rebind,
                                    DHCP6_Release, DHCP6_Renew, DHCP6_Reply, DHCP6_Request,
                                    DHCP6_Solicit, DHCP6OptClientId, DHCP6OptIA_NA,
                                    DHCP6OptIAAddress, DHCP6OptServerId, DUID_LL)
    answers = {2: ("advertise", DHCP6_Advertise), 7: ("reply", DHCP6_Reply)}
    s.settimeout(3 * int(os.environ.get("RV6_TIME_SCALE", "1")))

    def ask(trid, msg):
        s.sendto(bytes(msg), ("ff02::1:2", 547, 0, idx))
        try:
            while True:
                d, _ = s.recvfrom(2000)
                if len(d) >= 4 and d[0] in answers and int.from_bytes(d[1:4], "big") == trid:
                    name, cls = answers[d[0]]
                    return name, cls(d)
        except socket.timeout:
            return "none", None

    cid = DHCP6OptClientId(duid=DUID_LL(lladdr="02:00:5e:00:53:01"))
    name, adv = ask(1, DHCP6_Solicit(trid=1) / cid / DHCP6OptIA_NA(iaid=7))
    print("solicit", name)
    if mode == "solicit":
        return
    if adv is not None and adv.haslayer(DHCP6OptServerId) and adv.haslayer(DHCP6OptIAAddress):
        sid = adv[DHCP6OptServerId]
        addr = adv[DHCP6OptIAAddress].addr
    else:
        sid = DHCP6OptServerId(duid=DUID_LL(lladdr="02:00:5e:00:53:02"))
        addr = "2001:db8:1::150"

    def ia():
        return DHCP6OptIA_NA(iaid=7, ianaopts=[DHCP6OptIAAddress(addr=addr, preflft=7200, validlft=7200)])

    for trid, sent, msg in [
        (2, "request", DHCP6_Request(trid=2) / cid / sid / ia()),
        (3, "renew", DHCP6_Renew(trid=3) / cid / sid / ia()),
        (4, "rebind", DHCP6_Rebind(trid=4) / cid / ia()),
        (5, "information-request", DHCP6_InfoRequest(trid=5) / cid),
        (6, "release", DHCP6_Release(trid=6) / cid / sid / ia()),
    ]:
        print(sent, ask(trid, msg)[0])


if __name__ == "__main__":
    main()
