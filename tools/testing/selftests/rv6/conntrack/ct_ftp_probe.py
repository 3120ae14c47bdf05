#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Crafted FTP control connections through the firewall netns, for ct_ftp.sh.

Runs in the client netns; a sink (this script with 'sink') listens in the
server netns.  Each case opens a control connection to port 21, sends its
bytes in the given pieces (TCP_NODELAY, a pause between pieces so that each is
its own segment), then reads the firewall's expectation table.  Prints one
line per case: "<name> <expectations> <expected>", and exits 1 if any differ.
"""
import socket
import subprocess
import sys
import os
import time

SCALE = int(os.environ.get("RV6_TIME_SCALE", "1"))

SERVER6, SERVER4 = "2001:db8:2::2", "10.0.2.2"
CLIENT6, CLIENT4 = "2001:db8:1::1", "10.0.1.1"
HELPER = "rv6-ftp"


def expectations():
    # conntrack -L expect lists one family at a time (IPv4 unless told).
    out = ""
    for fam in ("ipv4", "ipv6"):
        out += subprocess.run(["ip", "netns", "exec", "fw", "conntrack", "-L", "expect", "-f", fam],
                              capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if HELPER in l]


def flush():
    # Flushing takes no family: it empties the whole table.
    subprocess.run(["ip", "netns", "exec", "fw", "conntrack", "-F", "expect"], capture_output=True)


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
