#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rv6's conformance framework, in the manner of TAHI (the IPv6 Ready Logo test tool).

A Tester Node (TN) in its own network namespace sends and captures raw Ethernet frames
with scapy over AF_PACKET; IPv6 is disabled on its link, so nothing in its kernel answers.
The Node Under Test (NUT) is a second namespace, configured through commands run there
(the role TAHI's remote-control scripts play).  They share one veth link:

    TN  tn0 02:00:00:00:00:02  ==========  nut0 02:00:00:00:00:01  NUT
        (no IPv6)                                fe80::1, 2001:db8:1::1/64

A suite is a Python module defining `SUITE` (a name), `IMPLS` (implementation name ->
Impl with load/unload), `setup(tn)` and test functions registered with `@test(ID, title)`.
Each test returns None (pass) or raises Fail(reason) / Skip(reason).  The runner runs every
test against each implementation on a fresh topology, then prints a table per test ID with
one column per implementation, and TAP for `make check`.  A test may declare that an
implementation is known to differ (`differs={"mip6": "why"}`); it then passes when it
fails there, and the table says why.

    conformance.py SUITE [--impl NAME]... [--only GLOB] [--json FILE]
"""
import argparse
import ctypes
import fnmatch
import importlib.util
import json
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

CLONE_NEWNET = 0x40000000
NUT_MAC = "02:00:00:00:00:01"
TN_MAC = "02:00:00:00:00:02"
NUT_LL = "fe80::1"
TN_LL = "fe80::2"
NUT_IF = "nut0"
TN_IF = "tn0"
ETH_P_ALL = 0x0003
ETH_P_IPV6 = 0x86DD

# Timeouts stretch on slow (debug) kernels.
SCALE = float(os.environ.get("RV6_TIME_SCALE", "1"))


class Fail(Exception):
    """The NUT did something the specification forbids (or not what it requires)."""


class Skip(Exception):
    """The test cannot run here; the reason says why."""


TESTS = []
# The implementation being tested, for tests that need its name.
CURRENT_IMPL = [None]


def test(tid, title, differs=None, seconds=None):
    """Registers a test function under a TAHI-style ID and title; `seconds` overrides the
    time a test may take (before scaling)."""
    def wrap(fn):
        TESTS.append({"id": tid, "title": title, "fn": fn, "differs": differs or {},
                      "seconds": seconds})
        return fn
    return wrap


class Impl:
    """One implementation of the function under test: how to load and unload it."""

    def __init__(self, name, load, unload, describe=""):
        self.name, self.load, self.unload, self.describe = name, load, unload, describe


def sh(cmd, check=True, **kw):
    """Runs a shell command on the host side (the initial namespace)."""
    r = subprocess.run(cmd, shell=True, text=True, capture_output=True, **kw)
    if check and r.returncode != 0:
        raise Fail(f"command failed ({r.returncode}): {cmd}: {r.stderr.strip()}")
    return r.stdout


def nut(cmd, check=True, **kw):
    """Runs a command on the NUT (inside its namespace)."""
    return sh(f"ip netns exec nut {cmd}", check=check, **kw)


_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def netns_socket(name, *args):
    """A socket created inside network namespace `name` (it stays bound to it)."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(target)
        return socket.socket(*args)
    finally:
        _setns(own)
        os.close(own)
        os.close(target)


class TN:
    """The Tester Node: raw frames in and out of tn0."""

    def __init__(self):
        self.sock = netns_socket("tn", socket.AF_PACKET, socket.SOCK_RAW,
                                 socket.htons(ETH_P_ALL))
        self.sock.bind((TN_IF, 0))

    def close(self):
        self.sock.close()

    def flush(self):
        while select.select([self.sock], [], [], 0)[0]:
            self.sock.recv(65535)

    def send(self, pkt):
        """Sends an IPv6 packet (scapy) to the NUT's MAC address."""
        from scapy.layers.l2 import Ether
        frame = Ether(src=TN_MAC, dst=NUT_MAC) / pkt
        self.sock.send(bytes(frame))

    def send_bytes(self, ipv6):
        """Sends raw IPv6 bytes to the NUT's MAC address."""
        hdr = bytes.fromhex(NUT_MAC.replace(":", "") + TN_MAC.replace(":", "")) + b"\x86\xdd"
        self.sock.send(hdr + ipv6)

    def capture(self, timeout=1.0, match=None, count=None):
        """IPv6 packets (scapy, from the IPv6 header) the NUT sends within `timeout` seconds,
        those `match` accepts; returns early once `count` have matched."""
        from scapy.layers.inet6 import IPv6
        got = []
        end = time.monotonic() + timeout * SCALE
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                break
            data, addr = self.sock.recvfrom(65535)
            if addr[2] == socket.PACKET_OUTGOING or len(data) < 14:
                continue
            if int.from_bytes(data[12:14], "big") != ETH_P_IPV6:
                continue
            p = IPv6(data[14:])
            if match is None or match(p):
                got.append(p)
                if count is not None and len(got) >= count:
                    break
        return got

    def exchange(self, pkt, match, timeout=1.0):
        """Sends `pkt` and returns the first matching packet the NUT sends back, or None."""
        self.flush()
        if isinstance(pkt, (bytes, bytearray)):
            self.send_bytes(pkt)
        else:
            self.send(pkt)
        got = self.capture(timeout, match, count=1)
        return got[0] if got else None


class XfrmMonitor:
    """`ip xfrm monitor` on the NUT, subscribed before the constructor returns.

    A monitor started in the background may not have bound its netlink socket yet when the
    test sends its packet, and a sleep only makes that less likely (a slow machine lost a
    report that way).  So the constructor proves the subscription: it adds and deletes a
    policy for a documentation address nobody else uses until iproute2 prints it.
    """

    SENTINEL = "2001:db8:ffff::7e57"

    def __init__(self, *objects):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", "nut", "stdbuf", "-oL", "ip", "xfrm", "monitor",
             "policy", *objects],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        self.buf = ""
        threading.Thread(target=self._read, daemon=True).start()
        sel = f"src {self.SENTINEL}/128 dst {self.SENTINEL}/128 dir fwd"
        try:
            end = time.monotonic() + 20 * SCALE
            while not self.wait(re.escape(self.SENTINEL), 0.5):
                if time.monotonic() > end or self.proc.poll() is not None:
                    raise Fail(f"ip xfrm monitor did not start: {self.text()!r}")
                nut(f"ip xfrm policy add {sel}", check=False)
                nut(f"ip xfrm policy delete {sel}", check=False)
            nut(f"ip xfrm policy delete {sel}", check=False)
        except BaseException:
            self.close()
            raise
        self.buf = ""

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def text(self):
        """Everything printed since the monitor was ready (or the last `clear`)."""
        while True:
            try:
                self.buf += self.lines.get_nowait()
            except queue.Empty:
                return self.buf

    def wait(self, pattern, timeout=2.0):
        """Waits up to `timeout` seconds (scaled) for `pattern` (a regex, matched across
        lines) in the output; returns the match or None."""
        end = time.monotonic() + timeout * SCALE
        while True:
            m = re.search(pattern, self.text(), re.S)
            left = end - time.monotonic()
            if m or left <= 0:
                return m
            try:
                self.buf += self.lines.get(timeout=left)
            except queue.Empty:
                pass

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def topology_up():
    topology_down()
    for n in ("nut", "tn"):
        sh(f"ip netns add {n}")
        sh(f"ip -n {n} link set lo up")
    sh(f"ip link add {NUT_IF} netns nut address {NUT_MAC} type veth "
       f"peer name {TN_IF} netns tn address {TN_MAC}")
    sh("ip netns exec tn sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
       "net.ipv6.conf.default.disable_ipv6=1")
    nut("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
        "net.ipv6.conf.default.addr_gen_mode=1")
    sh(f"ip -n nut addr add {NUT_LL}/64 dev {NUT_IF} nodad")
    sh(f"ip -n nut addr add 2001:db8:1::1/64 dev {NUT_IF} nodad")
    sh(f"ip -n nut link set {NUT_IF} up")
    sh(f"ip -n tn link set {TN_IF} up")
    # The TN answers no Neighbour Solicitation: the NUT knows it statically.
    sh(f"ip -n nut neigh replace {TN_LL} lladdr {TN_MAC} dev {NUT_IF} nud permanent")


def topology_down():
    for n in ("nut", "tn"):
        subprocess.run(["ip", "netns", "del", n], capture_output=True)


def tn_neighbour(addr):
    """Makes the NUT reach `addr` on the link at the TN's MAC address."""
    sh(f"ip -n nut neigh replace {addr} lladdr {TN_MAC} dev {NUT_IF} nud permanent")


def snmp6():
    """The NUT's IPv6 MIB counters (/proc/net/snmp6 in its namespace)."""
    out = {}
    for line in nut("cat /proc/net/snmp6").splitlines():
        k, v = line.split()
        out[k] = int(v)
    return out


def load_suite(name):
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, name, "suite.py")
    spec = importlib.util.spec_from_file_location(f"suite_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _overtime(signum, frame):
    raise Fail("test did not finish in time")


# Seconds one test may take (scaled); a hang fails the test instead of the whole run.
TEST_SECONDS = 60


def run(suite, impls, only):
    """Runs every selected test against each implementation; returns results by ID."""
    results = {}
    tests = [t for t in TESTS if not only or any(fnmatch.fnmatch(t["id"], g) for g in only)]
    for iname in impls:
        impl = suite.IMPLS[iname]
        CURRENT_IMPL[0] = iname
        try:
            impl.load()
        except Exception as e:  # noqa: BLE001 - any failure to load skips the impl, loudly
            for t in tests:
                results.setdefault(t["id"], {})[iname] = ("fail", f"cannot load {iname}: {e}")
            continue
        try:
            for t in tests:
                topology_up()
                tn = TN()
                signal.signal(signal.SIGALRM, _overtime)
                signal.alarm(int((t["seconds"] or TEST_SECONDS) * SCALE))
                try:
                    suite.setup(tn)
                    t["fn"](tn)
                    res = ("pass", "")
                except Fail as e:
                    res = ("fail", str(e))
                except Skip as e:
                    res = ("skip", str(e))
                except Exception:  # noqa: BLE001 - a crashing test is a failing test
                    res = ("fail", "test error: " + traceback.format_exc().strip().splitlines()[-1])
                finally:
                    signal.alarm(0)
                    tn.close()
                    try:
                        suite.teardown()
                    finally:
                        topology_down()
                if res[0] == "fail" and iname in t["differs"]:
                    res = ("differs", t["differs"][iname] + f" (observed: {res[1]})")
                elif res[0] == "pass" and iname in t["differs"]:
                    res = ("fail", "expected to differ (" + t["differs"][iname] + ") but passed")
                results.setdefault(t["id"], {})[iname] = res
                print(f"# {t['id']} [{iname}]: {res[0]} {res[1]}", flush=True)
        finally:
            impl.unload()
    return tests, results


def report(suite, tests, results, impls, out=sys.stdout):
    w = max(len(t["id"]) for t in tests)
    print(f"# {suite.SUITE}: results per test ID", file=out)
    print("# " + f"{'ID':<{w}}  " + "  ".join(f"{i:<7}" for i in impls) + "  title", file=out)
    for t in tests:
        r = results.get(t["id"], {})
        cells = "  ".join(f"{r.get(i, ('-', ''))[0]:<7}" for i in impls)
        print(f"# {t['id']:<{w}}  {cells}  {t['title']}", file=out)
        for i in impls:
            st, why = r.get(i, ("-", ""))
            if why:
                print(f"#   {i}: {st}: {why}", file=out)
    # TAP: one line per test and implementation.
    n = len(tests) * len(impls)
    print(f"1..{n}", file=out)
    k = 0
    for i in impls:
        for t in tests:
            k += 1
            st, why = results.get(t["id"], {}).get(i, ("fail", "not run"))
            name = f"{t['id']} [{i}] {t['title']}"
            if st in ("pass", "differs"):
                print(f"ok {k} {name}" + (f" # differs: {why}" if st == "differs" else ""),
                      file=out)
            elif st == "skip":
                print(f"ok {k} {name} # SKIP {why}", file=out)
            else:
                print(f"not ok {k} {name} # {why}", file=out)


def main():
    # Suites import this file as `conformance`: make that the running copy, so that their
    # `@test` registrations land in the TESTS the runner reads.
    sys.modules.setdefault("conformance", sys.modules[__name__])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite")
    ap.add_argument("--impl", action="append", help="implementation(s) to test (default: all)")
    ap.add_argument("--only", action="append", help="glob(s) of test IDs")
    ap.add_argument("--json", help="write results as JSON here")
    a = ap.parse_args()
    suite = load_suite(a.suite)
    impls = a.impl or list(suite.IMPLS)
    tests, results = run(suite, impls, a.only)
    report(suite, tests, results, impls)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"suite": suite.SUITE, "impls": impls,
                       "tests": [{"id": t["id"], "title": t["title"]} for t in tests],
                       "results": results}, f, indent=1)
    bad = any(results.get(t["id"], {}).get(i, ("fail",))[0] == "fail" for t in tests for i in impls)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
