#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drives rv6_genl_test's family rv6-genl-test (a table per namespace) in two
network namespaces, from one process (one Python start: seconds under TCG).

    genl_table.py N NETNS_A NETNS_B MODULE_KO

Requests go through the kernel's YNL library, built from the spec alone;
bulk adds and dumps go over a raw netlink socket, so that a dump can be read
one buffer at a time and its flags seen.  Prints one line per check:

    CHECK<TAB>description<TAB>expected<TAB>got

which genl_table.sh turns into KTAP results.  Then `rmmod` runs while a dump
is open (refused: the dump holds the module) and while a listener is
subscribed (allowed), and MODULE_KO is loaded again (its table starts empty).
"""
import ctypes
import ipaddress
import json
import os
import select
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["RV6_SRC"], "tools/net/ynl/pyynl"))
from lib.ynl import GenlProtocol, NlError, YnlFamily  # noqa: E402  (the kernel tree's YNL library)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from nlraw import (NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR,  # noqa: E402
                   NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, attr, bulk, message, messages,
                   raw_socket)

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "../../../../../Documentation/netlink/specs/rv6_genl_test.yaml")
RV6 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../target/release/rv6")
NLMSGERR_ATTR_MSG = 1
CMD_ENTRY_GET, CMD_ENTRY_ADD = 1, 2
A_KEY, A_NAME = 2, 3


def check(what, expected, got):
    print(f"CHECK\t{what}\t{expected}\t{got}", flush=True)


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def setns(name):
    """Moves this process into network namespace `name` (os.setns is Python 3.12's; Debian 12
    has 3.11).  Sockets made before stay in the namespace they were made in."""
    with open(f"/run/netns/{name}") as f:
        if _libc.setns(f.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")


def error_of(fn):
    """The errno and text of the NlError `fn` raises, or "ok"."""
    try:
        fn()
        return "ok"
    except NlError as e:
        return f"{os.strerror(e.error)} | {e}"


# --- raw netlink: bulk adds and dumps read buffer by buffer (nlraw.py) ------------------------

def bulk_add(fam_id, keys):
    """Adds an entry per key, 100 requests per send; returns the errors seen."""
    return bulk(fam_id, CMD_ENTRY_ADD, (attr(A_KEY, struct.pack("=I", k)) + attr(A_NAME, b"bulk\0")
                                        for k in keys))


def raw_request(fam_id, cmd, body):
    """Sends one request; returns the errno of its acknowledgement and the extack message."""
    s = raw_socket()
    s.send(message(fam_id, 1, cmd, NLM_F_REQUEST | NLM_F_ACK, body))
    try:
        for mtype, _, _, b in messages(s.recv(1 << 16)):
            if mtype != NLMSG_ERROR:
                continue
            err, msg, off = -struct.unpack_from("=i", b)[0], "", 20  # error, then the header
            while off + 4 <= len(b):
                length, kind = struct.unpack_from("=HH", b, off)
                if length < 4:
                    break
                if kind == NLMSGERR_ATTR_MSG:
                    msg = b[off + 4:off + length].split(b"\0")[0].decode()
                off += (length + 3) & ~3
            return err, msg
    finally:
        s.close()
    return None, ""


def entry_key(body):
    """The key attribute of a genetlink message body (after the 4-byte genl header)."""
    off = 4
    while off + 4 <= len(body):
        length, kind = struct.unpack_from("=HH", body, off)
        if length < 4:
            break
        if kind & 0x3fff == A_KEY:
            return struct.unpack_from("=I", body, off + 4)[0]
        off += (length + 3) & ~3
    return None


class RawDump:
    """A dump of entry-get, read one buffer (one round of the kernel's dumpit) at a time."""

    def __init__(self, fam_id, seq=1):
        self.sock, self.seq = raw_socket(), seq
        self.keys, self.intr, self.done, self.error, self.rounds = [], False, False, 0, 0
        self.sock.send(message(fam_id, seq, CMD_ENTRY_GET, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP))

    def read_round(self):
        data = self.sock.recv(8192)
        self.rounds += 1
        for mtype, flags, seq, body in messages(data):
            if seq != self.seq:
                continue
            self.intr |= bool(flags & NLM_F_DUMP_INTR)
            if mtype == NLMSG_DONE:
                self.done = True
            elif mtype == NLMSG_ERROR:
                self.error = -struct.unpack_from("=i", body)[0]
                self.done = True
            else:
                self.keys.append(entry_key(body))

    def run(self):
        while not self.done:
            self.read_round()
        self.sock.close()
        return self


def main():
    n, ns_a, ns_b, ko = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    setns(ns_a)
    a, lis_a = YnlFamily(SPEC, schema=""), YnlFamily(SPEC, schema="")
    lis_a.ntf_subscribe("monitor")
    fam_id = a.nlproto.family_id
    setns(ns_b)
    b, lis_b = YnlFamily(SPEC, schema=""), YnlFamily(SPEC, schema="")
    lis_b.ntf_subscribe("monitor")
    # The raw sockets below are made in a.
    setns(ns_a)

    # rv6's own listener: `rv6 -j -n a monitor rv6-genl-test`, one JSON line per notification.
    # Nothing says when it has joined the group: a probe entry is added and removed until
    # its notification shows up.
    monitor = subprocess.Popen([RV6, "-j", "-n", ns_a, "monitor", "rv6-genl-test"],
                               stdout=subprocess.PIPE, text=True)
    heard = None
    for _ in range(100):
        a.do("entry-add", {"key": 900})
        a.do("entry-del", {"key": 900})
        if select.select([monitor.stdout], [], [], 0.1)[0]:
            heard = monitor.stdout.readline()
            break
    # It may have joined between a probe's add and its del: either is proof.
    check("rv6 monitor joins the group and hears a's probe", "900",
          "no line" if heard is None else str(json.loads(heard)['msg'].get('key')))
    lis_a.check_ntf()
    drain(lis_a)

    # --- one entry, every attribute, in a ---------------------------------------------------
    addr = ipaddress.IPv6Address("2001:db8::1")
    a.do("entry-add", {"key": 1, "name": "one", "addr": addr.packed, "kind": "mobile",
                       "sticky": True})
    got = a.do("entry-get", {"key": 1})
    check("entry-get returns what entry-add stored", "1 one 2001:db8::1 mobile 1 sticky",
          f"{got.get('key')} {got.get('name')} {ipaddress.IPv6Address(got.get('addr', bytes(16)))} "
          f"{got.get('kind')} {got.get('gets')} {'sticky' if 'sticky' in got else '-'}")
    check("b's table is its own: key 1 is not there", "No such file or directory",
          error_of(lambda: b.do("entry-get", {"key": 1})).split(" | ")[0])

    # --- notifications reach the listeners of the changed namespace only --------------------
    time.sleep(0.2)
    lis_a.check_ntf()
    lis_b.check_ntf()
    check("a's listener heard a's entry-add", "[('entry-add-ntf', 1)]", str(drain(lis_a)))
    check("b's listener heard nothing of a", "[]", str(drain(lis_b)))
    b.do("entry-add", {"key": 1, "name": "b-one"})
    b.do("entry-del", {"key": 1})
    time.sleep(0.2)
    lis_a.check_ntf()
    lis_b.check_ntf()
    check("b's listener heard b's add and del", "[('entry-add-ntf', 1), ('entry-del-ntf', 1)]",
          str(drain(lis_b)))
    check("a's listener heard nothing of b", "[]", str(drain(lis_a)))
    # What rv6 monitor printed since the probe (whose own lines are left out): a's add of
    # key 1 with every attribute decoded, and nothing of b.
    monitor.terminate()
    # Through the same buffered reader as the probe's line (readline may have buffered the
    # lines after it; communicate() would read past that buffer and lose them).
    lines = [json.loads(x) for x in monitor.stdout.read().splitlines()]
    lines = [x for x in lines if x["msg"].get("key") != 900]
    monitor.wait(timeout=10)
    check("rv6 -j monitor: a's entry-add-ntf decoded from the spec, nothing of b",
          "entry-add-ntf 1 one 2001:db8::1 mobile True",
          " | ".join(f"{x['name']} {x['msg'].get('key')}" + (
              f" {x['msg'].get('name')} {x['msg'].get('addr')} {x['msg'].get('kind')} "
              f"{x['msg'].get('sticky')}" if x['msg'].get('key') == 1 else "") for x in lines))

    # --- bad requests: errno and the extack text ---------------------------------------------
    def has(text, *words):
        return "yes" if all(w in text for w in words) else f"no: {text}"
    check("entry-add of a taken key: EEXIST, extack names the key", "yes",
          has(error_of(lambda: a.do("entry-add", {"key": 1})), "File exists",
              "an entry with this key exists", "'bad-attr': '.key'"))
    check("entry-del of a missing key: ENOENT with the handler's message", "yes",
          has(error_of(lambda: a.do("entry-del", {"key": 77})), "No such file or directory",
              "no entry with this key"))
    check("key 0: refused by the policy's minimum, extack names the key", "yes",
          has(error_of(lambda: a.do("entry-add", {"key": 0})), "Numerical result out of range",
              "'bad-attr': '.key'"))
    check("a 32-byte name: refused by the policy's length, extack names the name", "yes",
          has(error_of(lambda: a.do("entry-add", {"key": 5, "name": "x" * 32})),
              "'bad-attr': '.name'"))
    check("kind 3: out of the enum's range", "yes",
          has(error_of(lambda: a.do("entry-add", {"key": 5, "kind": 3})),
              "Numerical result out of range", "'bad-attr': '.kind'"))
    check("entry-get without a key: EINVAL, missing attribute key", "yes",
          has(error_of(lambda: a.do("entry-get", {})), "Invalid argument", "'miss-type': 'key'"))
    err, msg = raw_request(fam_id, CMD_ENTRY_GET,
                           attr(A_KEY, struct.pack("=I", 1)) + attr(A_KEY, struct.pack("=I", 1)))
    check("a key given twice: EINVAL, 'duplicate attribute' (the core alone keeps the last)",
          f"{os.strerror(22)} duplicate attribute", f"{os.strerror(err or 0)} {msg}")
    check("entry-add with gets (a reply-only attribute): refused", "yes",
          has(error_of(lambda: a.do("entry-add", {"key": 5, "gets": 1})), "'bad-attr': '.gets'"))

    # --- nests: a multi-attr of locators, read back in order; limits from the handler -------
    def loc(addr, prio):
        return {"addr": ipaddress.IPv6Address(addr).packed, "prio": prio}
    locs = [loc("2001:db8::a", 1), loc("2001:db8::b", 2)]
    a.do("entry-add", {"key": 2, "locator": locs})
    got = a.do("entry-get", {"key": 2})
    check("locators (a repeated nest) come back in the order given",
          "2001:db8::a/1 2001:db8::b/2",
          " ".join(f"{ipaddress.IPv6Address(x['addr'])}/{x['prio']}" for x in got.get("locator", [])))
    a.do("entry-del", {"key": 2})
    check("five locators: E2BIG, the extack names a locator", "yes",
          has(error_of(lambda: a.do("entry-add", {"key": 2, "locator": locs * 2 + locs[:1]})),
              "Argument list too long", "an entry has at most 4 locators", "'bad-attr': '.locator"))
    check("a locator without an address: EINVAL with the handler's message", "yes",
          has(error_of(lambda: a.do("entry-add", {"key": 2, "locator": [{"prio": 3}]})),
              "Invalid argument", "a locator needs an address"))

    # The listeners have heard what they were for; n notifications would overrun them.
    for f in (lis_a, lis_b):
        f.close()

    # --- a dump of n entries: complete, each exactly once, no interruption ------------------
    errors = bulk_add(fam_id, range(2, n + 1))
    check(f"{n - 1} entries added in batches", 0, errors)
    d = RawDump(fam_id).run()
    keys = sorted(d.keys)
    check(f"a dump of {n} entries returns each exactly once, in key order, then DONE",
          f"{n} {n} yes yes 0", f"{len(d.keys)} {len(set(d.keys))} "
          f"{'yes' if d.keys == keys == list(range(1, n + 1)) else 'no'} "
          f"{'yes' if d.done else 'no'} {d.error}")
    check(f"... over several rounds ({d.rounds}) and not flagged NLM_F_DUMP_INTR", "yes no",
          f"{'yes' if d.rounds > 2 else 'no'} {'yes' if d.intr else 'no'}")

    # --- the table changes between two rounds of a dump -----------------------------------
    d = RawDump(fam_id, seq=2)
    d.read_round()
    first = list(d.keys)
    a.do("entry-del", {"key": n})
    a.do("entry-add", {"key": n + 1})
    d.run()
    missing = sorted(set(range(1, n)) - set(d.keys))
    check("a dump whose table changed mid-way is flagged NLM_F_DUMP_INTR", "yes",
          "yes" if d.intr else f"no (first round: {len(first)} entries)")
    check("... and still returns every entry that stayed, exactly once", "0 0",
          f"{len(missing)} {len(d.keys) - len(set(d.keys))}")

    # --- entry-flush keeps sticky entries ---------------------------------------------------
    a.do("entry-flush", {})
    left = [e["key"] for e in a.dump("entry-get", {})]
    check("entry-flush removed everything but the sticky entry", "[1]", str(left))

    # --- unloading: refused while a dump is open, allowed with a listener ---------------------
    # Enough entries for many rounds, so the dump is still open after the first.
    bulk_add(fam_id, range(2, 2001))
    listener = YnlFamily(SPEC, schema="")
    listener.ntf_subscribe("monitor")
    a.do("entry-add", {"key": 5000})
    d = RawDump(fam_id, seq=3)
    d.read_round()
    r = subprocess.run(["rmmod", "rv6_genl_test"], capture_output=True, text=True)
    check("rmmod while a dump is open: refused, the dump holds the module", "refused",
          "refused" if r.returncode != 0 else "unloaded")
    d.run()
    check("... and the dump completes over several rounds", "2001 0 yes",
          f"{len(d.keys)} {d.error} {'yes' if d.rounds > 2 else d.rounds}")
    for _ in range(100):
        r = subprocess.run(["rmmod", "rv6_genl_test"], capture_output=True, text=True)
        if r.returncode == 0:
            break
        time.sleep(0.1)
    check("rmmod with a subscribed listener, once the dump is done", 0, r.returncode)
    # The listener heard the one add before the family went, and its socket still reads.
    listener.check_ntf()
    check("... and the listener's socket still works after it", "[('entry-add-ntf', 5000)]",
          str(drain(listener)))
    for f in (a, b, listener):
        f.close()

    # --- reloading: the module's state went with it ---------------------------------------------
    r = subprocess.run(["insmod", ko], capture_output=True, text=True)
    # YNL caches family ids for the process's life; the reloaded family may have a new one.
    GenlProtocol.genl_family_name_to_id = {}
    fresh = YnlFamily(SPEC, schema="")  # in a: setns(ns_a) above still holds
    check("reloaded, the namespace's table starts empty", "0 []",
          f"{r.returncode} {fresh.dump('entry-get', {})}")
    fresh.close()
    return 0


def drain(ynl):
    out = []
    while not ynl.async_msg_queue.empty():
        m = ynl.async_msg_queue.get_nowait()
        out.append((m["name"], m["msg"].get("key")))
    return out


if __name__ == "__main__":
    sys.exit(main())
