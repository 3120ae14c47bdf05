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
Impl with load/unload), `setup(tn)` and test functions registered with `@test(ID, title)`;
optionally `NUT_SETUP`, `ip` commands the runner adds to the batch that brings the NUT up.
Each test returns None (pass) or raises Fail(reason) / Skip(reason).  The runner runs every
test against each implementation on a fresh topology, then prints a table per test ID with
one column per implementation, and TAP for `make check`; each result's comment line gives
the test's wall time.  A test may declare that an implementation is known to differ
(`differs={"mip6": "why"}`); it then passes when it fails there, and the table says why.

    conformance.py SUITE [--impl NAME]... [--only GLOB] [--json FILE]

Under TCG a process costs a quarter of a second (`ip`) to several seconds (python), so the
framework starts few: `ip` commands go in batches (`ip -n nut -batch -`, one process for
many commands); namespaces are added and deleted, sysctls set, links set up and sockets
made by switching this process into the namespace (`in_netns`); the NUT's counter files
stay open for the whole test (`NetnsFile`).
"""
import argparse
import contextlib
import ctypes
import errno
import fcntl
import fnmatch
import importlib.util
import json
import os
import queue
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback

CLONE_NEWNET = 0x40000000
MNT_DETACH = 2
MS_BIND, MS_REC, MS_SHARED = 0x1000, 0x4000, 0x100000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
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
# TN.settle: how often it asks whether the NUT is done, and for how long the answer must
# stay yes (seconds, before scaling).
POLL = 0.02
GRACE = 0.1


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
    """Runs a command on the NUT (inside its namespace).  Three processes: for `ip`
    commands use nut_ip, for counters nut_counters."""
    return sh(f"ip netns exec nut {cmd}", check=check, **kw)


def ip_batch(lines, netns=None, check=True):
    """Runs iproute2 commands (each line what follows `ip`) in one `ip -batch` process, in
    namespace `netns` if given.  With `check`, the batch stops at the first command that
    fails and raises Fail naming it; without, every command runs and failures are ignored."""
    argv = ["ip"] + (["-n", netns] if netns else []) + ([] if check else ["-force"])
    r = subprocess.run(argv + ["-batch", "-"], input="".join(f"{l}\n" for l in lines),
                       text=True, capture_output=True)
    if check and r.returncode != 0:
        err = "; ".join(r.stderr.strip().splitlines())
        raise Fail(f"ip{' -n ' + netns if netns else ''} -batch failed ({r.returncode}): "
                   f"{err} (commands: {list(lines)})")
    return r.stdout


def nut_ip(*lines, check=True):
    """Runs `ip` commands on the NUT, all in one process: nut_ip("xfrm state flush", ...)."""
    return ip_batch(lines, "nut", check)


_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


@contextlib.contextmanager
def in_netns(name):
    """Switches this thread into network namespace `name` for the block.  What is created or
    opened there stays bound to that namespace after the switch back: sockets, files under
    /proc/thread-self/net (their seq_file holds the namespace), and /proc/sys/net entries
    (looked up in the opener's namespace)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(own)
        finally:
            os.close(target)
    finally:
        os.close(own)


def netns_socket(name, *args):
    """A socket created inside network namespace `name` (it stays bound to it)."""
    with in_netns(name):
        return socket.socket(*args)


def netns_sysctl(name, settings):
    """Sets sysctls ({"net.ipv6.conf.all.accept_dad": "0", ...}) in namespace `name`, from
    this process (`ip netns exec NAME sysctl` is two processes)."""
    with in_netns(name):
        for key, value in settings.items():
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(value)


def netns_link_up(name, *ifnames):
    """Sets interfaces up in namespace `name` with SIOCSIFFLAGS, as ifconfig does (the same
    dev_change_flags as `ip link set up`, without the process)."""
    with netns_socket(name, socket.AF_INET, socket.SOCK_DGRAM) as s:
        for ifname in ifnames:
            ifr = struct.pack("16sh22x", ifname.encode(), 0)            # struct ifreq
            flags = struct.unpack_from("16sh", fcntl.ioctl(s, SIOCGIFFLAGS, ifr))[1]
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh22x", ifname.encode(), flags | IFF_UP))


def _mount(source, target, flags):
    if _libc.mount(source, target, b"none", flags, None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount {target.decode()}: {os.strerror(e)}")


def netns_add(name):
    """What `ip netns add NAME` does, without the process: a new network namespace, kept by a
    bind mount on /run/netns/NAME.  Like iproute2, it first makes /run/netns a shared mount
    point, so that the unmount in netns_delete reaches every mount namespace."""
    run = b"/run/netns"
    os.makedirs(run, exist_ok=True)
    try:
        _mount(b"", run, MS_SHARED | MS_REC)
    except OSError as e:
        if e.errno != errno.EINVAL:             # EINVAL: not a mount point yet
            raise
        _mount(run, run, MS_BIND | MS_REC)
        _mount(b"", run, MS_SHARED | MS_REC)
    path = f"/run/netns/{name}"
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if _libc.unshare(CLONE_NEWNET) != 0:    # this thread only, until the setns below
            raise OSError(ctypes.get_errno(), "unshare")
        try:
            _mount(b"/proc/thread-self/ns/net", path.encode(), MS_BIND)
        finally:
            _setns(own)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(own)


def netns_delete(name):
    """What `ip netns del NAME` does, without the process: detach the namespace's bind mount
    and remove the file; the namespace goes once nothing holds it any more."""
    path = f"/run/netns/{name}"
    _libc.umount2(path.encode(), MNT_DETACH)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class NetnsFile:
    """A /proc/net file of namespace `ns`, opened while switched into it: the open file keeps
    showing that namespace, so re-reading it costs a read, not an `ip netns exec ... cat`.
    It holds the namespace: close it before the namespace is deleted."""

    def __init__(self, ns, name):
        with in_netns(ns):
            self.fd = os.open(f"/proc/thread-self/net/{name}", os.O_RDONLY)

    def read(self):
        """The whole file as it is now (a seq_file read from offset 0 is generated anew)."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        chunks = []
        while True:
            b = os.read(self.fd, 65536)
            if not b:
                return b"".join(chunks).decode()
            chunks.append(b)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# The NUT's /proc/net files, opened on first use in each topology (topology_down closes
# them), and anything else a test holds in the NUT's namespace (`hold`).
_nut_files = {}
_held = []


def nut_file(name):
    """The NUT's /proc/net/NAME, open for this topology."""
    if name not in _nut_files:
        _nut_files[name] = NetnsFile("nut", name)
    return _nut_files[name]


def hold(obj):
    """Registers something with a close() that pins the NUT's namespace (a socket made with
    netns_socket, a NetnsFile): topology_down closes it before deleting the namespace, if the
    test has not."""
    _held.append(obj)
    return obj


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

    def _recv(self):
        """The next frame on tn0 as an IPv6 packet (scapy) if the NUT sent one, else None."""
        from scapy.layers.inet6 import IPv6
        data, addr = self.sock.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 14:
            return None
        if int.from_bytes(data[12:14], "big") != ETH_P_IPV6:
            return None
        return IPv6(data[14:])

    def capture(self, timeout=1.0, match=None, count=None):
        """IPv6 packets (scapy, from the IPv6 header) the NUT sends within `timeout` seconds,
        those `match` accepts; returns early once `count` have matched."""
        got = []
        end = time.monotonic() + timeout * SCALE
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                break
            p = self._recv()
            if p is not None and (match is None or match(p)):
                got.append(p)
                if count is not None and len(got) >= count:
                    break
        return got

    def settle(self, match, ready, timeout=1.0):
        """Captures the packets `match` accepts (None: none) until `ready(captured)` has held
        for GRACE seconds, or until `timeout` seconds have passed (both scaled); returns them.

        `ready` proves the NUT has finished with what the test sent, e.g. it counted the
        drop and built no reply: a test expecting silence then ends once silence is proven,
        not at the timeout.  The grace covers what the NUT's receive path still does after
        the proof shows (on another CPU, say) and the way of a reply to tn0; should `ready`
        stop holding meanwhile, the wait goes on.  A `ready` that never holds gives the
        full timeout, the plain wait."""
        got = []
        now = time.monotonic()
        end = now + timeout * SCALE
        since = None                    # since when `ready` has held
        while now < end:
            if ready(got):
                since = now if since is None else since
                if now - since >= GRACE * SCALE:
                    break
            else:
                since = None
            until = min(end, now + POLL)
            while True:
                left = until - time.monotonic()
                if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                    break
                p = self._recv()
                if p is not None and match is not None and match(p):
                    got.append(p)
            now = time.monotonic()
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
    report that way).  So the constructor waits until an XFRM netlink socket in the NUT has
    joined its groups (/proc/net/netlink there; nothing else in the NUT listens to XFRM),
    then proves the whole path: it adds and deletes a policy for a documentation address
    nobody else uses until iproute2 prints it.  (iproute2 flushes its output after a
    policy or state, not after a report: hence stdbuf.)
    """

    SENTINEL = "2001:db8:ffff::7e57"

    def __init__(self, *objects):
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "ip", "-n", "nut", "xfrm", "monitor", "policy", *objects],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        self.buf = ""
        threading.Thread(target=self._read, daemon=True).start()
        sel = f"src {self.SENTINEL}/128 dst {self.SENTINEL}/128 dir fwd"
        try:
            end = time.monotonic() + 20 * SCALE
            netlink = nut_file("netlink")
            while not self._subscribed(netlink.read()):
                if time.monotonic() > end or self.proc.poll() is not None:
                    raise Fail(f"ip xfrm monitor did not subscribe: {self.text()!r}")
                time.sleep(POLL)
            while True:
                nut_ip(f"xfrm policy add {sel}", f"xfrm policy delete {sel}", check=False)
                if self.wait(re.escape(self.SENTINEL), 0.5):
                    break
                if time.monotonic() > end or self.proc.poll() is not None:
                    raise Fail(f"ip xfrm monitor did not start: {self.text()!r}")
        except BaseException:
            self.close()
            raise
        # Drop the sentinel's lines (the deletion may still be on its way: wait for it).
        self.wait(r"Deleted.*" + re.escape(self.SENTINEL), 2.0)
        self.buf = ""

    @staticmethod
    def _subscribed(netlink):
        """Whether /proc/net/netlink shows a NETLINK_XFRM (6) socket in multicast groups."""
        for line in netlink.splitlines()[1:]:
            f = line.split()
            if len(f) > 3 and f[1] == "6" and int(f[3], 16):
                return True
        return False

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


def topology_up(nut_setup=()):
    """A fresh topology (the picture at the top) for one `ip` process: the namespaces are made
    from here, the link and the NUT's configuration in one batch in the NUT, then the sysctls
    and the TN's links from here.  Both nodes end as the one `ip` or `sysctl` process per
    step left them (every address, route, neighbour, link and IPv6 sysctl compared): the
    NUT's sysctls only change defaults, which nut0, made before them, does not take (it
    keeps its EUI-64 link-local address, with DAD, which starts once tn0 is up), and
    all.accept_dad, which does not matter while nut0's own is 1; the TN's link is made with
    IPv6 on, then disabled, as before.
    `nut_setup`: more `ip` commands for the NUT (the suite's NUT_SETUP), run in the batch."""
    netns_add("nut")
    netns_add("tn")
    nut_ip(f"link add {NUT_IF} address {NUT_MAC} type veth "
           f"peer name {TN_IF} netns tn address {TN_MAC}",
           "link set lo up",
           f"addr add {NUT_LL}/64 dev {NUT_IF} nodad",
           f"addr add 2001:db8:1::1/64 dev {NUT_IF} nodad",
           f"link set {NUT_IF} up",
           # The TN answers no Neighbour Solicitation: the NUT knows it statically.
           tn_neighbour_cmd(TN_LL),
           *nut_setup)
    netns_sysctl("nut", {"net.ipv6.conf.all.accept_dad": "0",
                         "net.ipv6.conf.default.accept_dad": "0",
                         "net.ipv6.conf.default.addr_gen_mode": "1"})
    netns_sysctl("tn", {"net.ipv6.conf.all.disable_ipv6": "1",
                        "net.ipv6.conf.default.disable_ipv6": "1"})
    netns_link_up("tn", "lo", TN_IF)


def topology_down():
    """Deletes both namespaces, and with them whatever a test configured there, after
    closing what this process holds in the NUT's (which would keep it alive)."""
    while _held:
        _held.pop().close()
    for f in _nut_files.values():
        f.close()
    _nut_files.clear()
    netns_delete("nut")
    netns_delete("tn")


def tn_neighbour_cmd(addr):
    """The `ip` command that makes the NUT reach `addr` on the link at the TN's MAC address
    (for a batch)."""
    return f"neigh replace {addr} lladdr {TN_MAC} dev {NUT_IF} nud permanent"


def tn_neighbour(addr):
    """Makes the NUT reach `addr` on the link at the TN's MAC address."""
    nut_ip(tn_neighbour_cmd(addr))


GUARD_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "../../../Documentation/netlink/specs/rv6_guard.yaml")


def guard_aside():
    """Turns every rule of rv6_guard off in the NUT, when the module is loaded (make check
    loads every rv6 module): for a test of what another part of the stack does with a
    packet the guard would drop first (a v4-mapped home address, say).  Through the
    rv6-guard family with the kernel tree's YNL library, in this process."""
    with open("/proc/modules") as f:
        if not any(line.split()[0] == "rv6_guard" for line in f):
            return
    sys.path.insert(0, os.path.join(os.environ["RV6_SRC"], "tools/net/ynl/pyynl"))
    from lib.ynl import YnlFamily
    with in_netns("nut"):
        fam = YnlFamily(GUARD_SPEC, schema="")
    try:
        fam.do("rules-set", {r: "off" for r in ("v4-mapped", "v4-compatible", "6to4",
                                                  "tcp-unspecified", "too-many-headers",
                                                  "chain-too-long")})
    finally:
        fam.close()


def _counters(text):
    out = {}
    for line in text.splitlines():
        k, v = line.split()
        out[k] = int(v)
    return out


def snmp6():
    """The NUT's IPv6 MIB counters (/proc/net/snmp6 in its namespace), by name; ICMPv6
    message counters that are still 0 are absent."""
    return _counters(nut_file("snmp6").read())


def xfrm_stat():
    """The NUT's XFRM counters (/proc/net/xfrm_stat in its namespace), by name."""
    return _counters(nut_file("xfrm_stat").read())


def nut_counters():
    """snmp6 and xfrm_stat in one dict (their names do not overlap)."""
    return {**snmp6(), **xfrm_stat()}


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
    """Runs every selected test against each implementation; returns results by ID and the
    seconds each took, by ID and implementation."""
    results, seconds = {}, {}
    tests = [t for t in TESTS if not only or any(fnmatch.fnmatch(t["id"], g) for g in only)]
    # Leftovers of an interrupted run; from here on every test deletes its topology.
    topology_down()
    for iname in impls:
        t_impl = time.monotonic()
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
                t0 = time.monotonic()
                tn = None
                signal.signal(signal.SIGALRM, _overtime)
                signal.alarm(int((t["seconds"] or TEST_SECONDS) * SCALE))
                try:
                    topology_up(getattr(suite, "NUT_SETUP", ()))
                    tn = TN()
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
                    if tn is not None:
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
                secs = seconds.setdefault(t["id"], {})[iname] = time.monotonic() - t0
                print(f"# {t['id']} [{iname}]: {res[0]} ({secs:.1f} s)"
                      + (f" {res[1]}" if res[1] else ""), flush=True)
        finally:
            impl.unload()
        print(f"# {suite.SUITE} [{iname}]: {len(tests)} tests in "
              f"{time.monotonic() - t_impl:.1f} s", flush=True)
    return tests, results, seconds


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
    # scapy only probes for `cryptography` (for its TLS and IPsec layers, unused here), and
    # importing it takes seconds under TCG: make the probe fail at once.
    sys.modules.setdefault("cryptography", None)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("suite")
    ap.add_argument("--impl", action="append", help="implementation(s) to test (default: all)")
    ap.add_argument("--only", action="append", help="glob(s) of test IDs")
    ap.add_argument("--json", help="write results as JSON here")
    a = ap.parse_args()
    suite = load_suite(a.suite)
    impls = a.impl or list(suite.IMPLS)
    print(f"# {suite.SUITE}: implementations {', '.join(impls)}", flush=True)
    tests, results, seconds = run(suite, impls, a.only)
    report(suite, tests, results, impls)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"suite": suite.SUITE, "impls": impls,
                       "tests": [{"id": t["id"], "title": t["title"]} for t in tests],
                       "results": results, "seconds": seconds}, f, indent=1)
    bad = any(results.get(t["id"], {}).get(i, ("fail",))[0] == "fail" for t in tests for i in impls)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
