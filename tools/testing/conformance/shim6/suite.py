# SPDX-License-Identifier: GPL-2.0
"""Shim6 (RFC 5533) as a peer on the wire sees it: rv6_shim6 and its daemon shim6d in the
NUT, a Tester Node that speaks Shim6 through the scapy layer beside this file
(shim6_layer.py).  The TN is the peer host; it needs no daemon of its own, it crafts each
message, and reads the NUT's answers field by field.

    NUT  2001:db8:1::1 (its ULID), 2001:db8:2::1: both its locators, on nut0;
         rv6_shim6 loaded, shim6d started for the test (--locators both, -v, a log)
    TN   2001:db8:1::100, and 2001:db8:1::200 and ::300 as further addresses

A fresh daemon runs for each test, in the NUT's namespace.  A test that expects silence
waits for the daemon's own account of the packet (the log line saying why it dropped it)
instead of a timeout, then a grace, and fails if anything came back; its Fail names the
daemon's last log lines.  IDs (rv6's own numbering, in the manner of TAHI's):

  SH-1-1  the responder without a context: I1 -> R1 and its checks (RFC 5533 §5.3-§5.4,
          §5.15, §7.9-§7.10, §12.3), Error Messages (§5.14), R1bis for a tag or an Update
          Request nobody knows (§7.17, §10.4)
  SH-1-2  with a context the TN sets up through its own I2: R2 (§7.13-§7.14), payload
          (§7.2, §12.2), Update Requests and Acknowledgements both ways (§10)
  SH-1-3  the NUT as initiator, its trigger heuristic set off by the TN's traffic: I1,
          I2, R2, retransmission (§7.7-§7.8, §7.11-§7.12, §7.16)

Documentation/rv6/shim6-conformance.rst maps RFC requirements to these IDs.
"""
import os
import re
import signal
import subprocess
import sys
import time

from conformance import (NUT_IF, SCALE, TN_MAC, Fail, Impl, in_netns, nut_ip, sh, test,
                         tn_neighbour_cmd)
from scapy.layers.inet import UDP
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shim6_layer import (ERR_CRITICAL_OPTION, ERR_UNKNOWN_TYPE,  # noqa: E402
                         Shim6Error, Shim6I1, Shim6I2, Shim6OptLocatorList,
                         Shim6OptResponderValidator, Shim6OptUlidPair, Shim6OptUnknown,
                         Shim6Payload, Shim6R1, Shim6R1bis, Shim6R2, Shim6Unknown,
                         Shim6UpdateAck, Shim6UpdateRequest, options_of)

SUITE = "shim6"

NUT = "2001:db8:1::1"
NUT2 = "2001:db8:2::1"
TN = "2001:db8:1::100"
TN2 = "2001:db8:1::200"
TN3 = "2001:db8:1::300"
ALL_NODES = "ff02::1"

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = os.environ.get("RV6_MODULES", os.path.join(HERE, "../../../../build/modules"))
SHIM6D = os.environ.get("SHIM6D", os.path.join(HERE, "../../../target/release/shim6d"))
# The daemons' logs stay in the guest's own /tmp: read while shim6d appends to them, a file
# on the host-shared RV6_OUT (9p) fails now and then with ENODATA.  Failures quote them.
WORK = "/tmp/shim6-conformance"

# The TN's context tag and nonces (any would do; fixed, so that a failure reads the same
# every run).
TN_TAG = 0x0123_4567_89ab
NONCE = 0x5eed_0001
RESPONDER_NONCE = 0x5eed_0002
VALIDATOR = bytes(range(0x40, 0x58))    # the TN's, as a responder: 24 bytes


def _loaded(name):
    with open("/proc/modules") as f:
        return any(line.split()[0] == name for line in f)


def _load():
    """rv6_shim6 in the kernel (make check loads every rv6 module: then it stays)."""
    if not os.access(SHIM6D, os.X_OK):
        raise Fail(f"no {SHIM6D}: build it with make tools")
    if _loaded("rv6_shim6"):
        return
    for root, _, files in os.walk(MODULES):
        if "rv6_shim6.ko" in files:
            sh(f"insmod {os.path.join(root, 'rv6_shim6.ko')}")
            return
    raise Fail(f"rv6_shim6.ko not found under {MODULES}")


IMPLS = {"rv6": Impl("rv6", _load, lambda: None,
                     "rv6_shim6 (Rust) with shim6d, started in the NUT for each test")}

NUT_SETUP = [
    f"addr add {NUT2}/64 dev {NUT_IF} nodad",
    tn_neighbour_cmd(TN),
    tn_neighbour_cmd(TN2),
    tn_neighbour_cmd(TN3),
]


# --- the daemon ----------------------------------------------------------------------

class Daemon:
    """shim6d in the NUT's namespace, logging (with -v) to a file of its own: started by
    setup, stopped by teardown.  Its log is what proves it has finished with a packet."""

    started = 0

    def __init__(self):
        os.makedirs(WORK, exist_ok=True)
        Daemon.started += 1
        self.log = os.path.join(WORK, f"shim6d-{os.getpid()}-{Daemon.started}.log")
        self.err = open(self.log + ".err", "w")
        with open(self.log, "w"):
            pass
        # Started from a thread switched into the NUT's namespace, the daemon runs there
        # (what `ip netns exec` does, without its process).
        with in_netns("nut"):
            self.proc = subprocess.Popen(
                [SHIM6D, "--locators", f"{NUT},{NUT2}", "--log", self.log, "-v"],
                stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err)
        want = r"locators:? " + re.escape(f"{NUT},{NUT2}") + " "
        if not self.wait(want, 0, 20):
            self.stop()
            raise Fail(f"shim6d is not ready with both locators: {self.tail()}")

    def text(self, since=0):
        """The log from byte `since` on, without the time stamps."""
        with open(self.log, errors="replace") as f:
            f.seek(since)
            return "".join(line.split(" ", 1)[-1] for line in f)

    def mark(self):
        """Where the log ends now: `since` for what comes after."""
        return os.path.getsize(self.log)

    def seen(self, pattern, since):
        return re.search(pattern, self.text(since)) is not None

    def count(self, text, since):
        """How many times `text` (plain) is in the log after `since`."""
        return self.text(since).count(text)

    def wait(self, pattern, since, timeout=5.0):
        """Until `pattern` (a regex) is in the log after `since`, `timeout` s (scaled) at
        most; whether it came."""
        end = time.monotonic() + timeout * SCALE
        while True:
            if self.seen(pattern, since):
                return True
            if time.monotonic() > end or self.proc.poll() is not None:
                return self.seen(pattern, since)
            time.sleep(0.02)

    def tail(self, since=0, n=12):
        lines = self.text(since).splitlines()[-n:]
        with open(self.log + ".err", errors="replace") as f:
            err = f.read().strip()
        return ("shim6d's log: " + " | ".join(lines) if lines else "shim6d logged nothing") \
            + (f"; stderr: {err}" if err else "") \
            + (f"; it exited {self.proc.returncode}" if self.proc.poll() is not None else "")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10 * SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


_daemon = [None]


def daemon():
    return _daemon[0]


def setup(tn):
    """shim6d for this test, in this topology's NUT."""
    _daemon[0] = Daemon()


def teardown():
    d, _daemon[0] = _daemon[0], None
    if d is not None:
        d.stop()


# --- packets and checks --------------------------------------------------------------

def i1(src=TN, dst=NUT, tag=TN_TAG, nonce=NONCE, **kw):
    return IPv6(src=src, dst=dst) / Shim6I1(initiator_tag=tag, initiator_nonce=nonce, **kw)


def is_(cls, src=None):
    """A match for a packet carrying a `cls` header (from `src`)."""
    return lambda p: cls in p and (src is None or p[IPv6].src == src)


def answered(p):
    """Anything the NUT says from one of its global addresses (not ND or MLD noise)."""
    return p[IPv6].src in (NUT, NUT2)


def log_line(src, dst, why):
    """The regex of shim6d's line for a message from `src` to `dst` it dropped, `why`."""
    return re.escape(f"dropped a message ({src} -> {dst}): {why}")


def expect_silence(tn, pkt, why, src=TN, dst=NUT, required=True, frame=None):
    """`pkt` is dropped without an answer: shim6d logs that it dropped it, `why` (when
    `required`; else that line only ends the wait early), and nothing comes back."""
    d = daemon()
    mark = d.mark()
    line = log_line(src, dst, why) if why else None
    tn.flush()
    if frame is not None:
        tn.sock.send(bytes(frame))
    else:
        tn.send(pkt)
    got = tn.settle(answered, lambda got: line is not None and d.seen(line, mark), 3.0)
    if got:
        raise Fail(f"the NUT answered {got[0].summary()}; {d.tail(mark)}")
    if required and not d.seen(line, mark):
        raise Fail(f"shim6d did not log 'dropped ...: {why}'; {d.tail(mark)}")
    return mark


def check_control(m, what):
    """What every control message from the NUT must be (RFC 5533 §5.3, §5.15): P 0, S 0,
    a checksum over the header that verifies, Hdr Ext Len the header's, Next Header 59 with
    nothing after it, reserved bits 0, options padded with zeros."""
    b = bytes(m)
    if m.p != 0 or m.s != 0:
        raise Fail(f"{what}: P {m.p}, S {m.s}")
    if not m.checksum_ok():
        raise Fail(f"{what}: bad checksum {m.cksum:#06x}")
    if len(b) != (m.len + 1) * 8 or m.nh != 59:
        raise Fail(f"{what}: Hdr Ext Len {m.len} for {len(b)} bytes, Next Header {m.nh}")
    for f in ("reserved1", "reserved2", "r"):
        if getattr(m, f, 0):
            raise Fail(f"{what}: {f} is {getattr(m, f)}, not 0")
    for o in getattr(m, "options", []):
        if o.pad and any(o.pad):
            raise Fail(f"{what}: option {o.otype} padded with {o.pad.hex()}")


def expect_r1(tn, pkt, nonce, src, dst=TN, what="R1"):
    """`pkt` answered by an R1 from `src` to `dst` that echoes `nonce` and carries one
    Responder Validator (RFC 5533 §5.5, §7.10)."""
    d = daemon()
    mark = d.mark()
    r = tn.exchange(pkt, is_(Shim6R1), timeout=3.0)
    if r is None:
        raise Fail(f"no {what}; {d.tail(mark)}")
    m = r[Shim6R1]
    if (r[IPv6].src, r[IPv6].dst) != (src, dst):
        raise Fail(f"{what} {r[IPv6].src} -> {r[IPv6].dst}, expected {src} -> {dst}")
    check_control(m, what)
    if m.initiator_nonce != nonce:
        raise Fail(f"{what} echoes Initiator Nonce {m.initiator_nonce:#x}, not {nonce:#x}")
    v = options_of(m, Shim6OptResponderValidator)
    if len(v) != 1 or not v[0].validator or v[0].c:
        raise Fail(f"{what}: options {[o.summary() for o in m.options]}, expected one "
                   f"Responder Validator (C 0)")
    return r, mark


def expect_error(tn, pkt, code, pointer, sent=None):
    """`pkt` answered by an Error Message (RFC 5533 §5.14) from the NUT with `code` and
    `pointer`, whose Packet in Error is `pkt` from its IPv6 header (shim6d rebuilds that
    header from the socket's addresses: version, length, next header and addresses are
    checked, not the traffic class, flow label or hop limit)."""
    d = daemon()
    mark = d.mark()
    tn.flush()
    tn.send(pkt)
    got = tn.capture(3.0, is_(Shim6Error), count=1)
    if not got:
        raise Fail(f"no Error Message; {d.tail(mark)}")
    r = got[0]
    m = r[Shim6Error]
    if (r[IPv6].src, r[IPv6].dst) != (pkt[IPv6].dst, pkt[IPv6].src):
        raise Fail(f"the Error went {r[IPv6].src} -> {r[IPv6].dst}")
    check_control(m, "the Error Message")
    if (m.code, m.pointer) != (code, pointer):
        raise Fail(f"Error code {m.code} pointer {m.pointer}, expected code {code} pointer "
                   f"{pointer}")
    sent = bytes(pkt[IPv6]) if sent is None else sent
    pie = m.packet_in_error
    if pie[:1] != b"\x60" or pie[4:7] != sent[4:7] or pie[8:40] != sent[8:40]:
        raise Fail(f"the packet in error's IPv6 header {pie[:40].hex()} is not the "
                   f"invoking packet's {sent[:40].hex()}")
    if pie[40:len(sent)] != sent[40:] or any(pie[len(sent):]):
        raise Fail(f"the packet in error {pie[40:].hex()} is not the invoking packet's "
                   f"Shim6 header {sent[40:].hex()} (zero-padded)")
    late = tn.capture(0.3, answered)
    if late:
        raise Fail(f"after the Error, the NUT also sent {late[0].summary()}")
    return m, mark


def expect_r1bis(tn, pkt, tag, src, dst=TN):
    """`pkt` answered by an R1bis from `src` to `dst` with `tag` as its Packet Context Tag
    and a Responder Validator (RFC 5533 §5.8, §7.17)."""
    d = daemon()
    mark = d.mark()
    r = tn.exchange(pkt, is_(Shim6R1bis), timeout=3.0)
    if r is None:
        raise Fail(f"no R1bis; {d.tail(mark)}")
    m = r[Shim6R1bis]
    if (r[IPv6].src, r[IPv6].dst) != (src, dst):
        raise Fail(f"R1bis {r[IPv6].src} -> {r[IPv6].dst}, expected {src} -> {dst}")
    check_control(m, "R1bis")
    if m.packet_tag != tag:
        raise Fail(f"R1bis Packet Context Tag {m.packet_tag:#x}, expected {tag:#x}")
    v = options_of(m, Shim6OptResponderValidator)
    if len(v) != 1 or not v[0].validator:
        raise Fail(f"R1bis options {[o.summary() for o in m.options]}: no Responder "
                   "Validator")
    return m, mark


def no_state(mark, what):
    """shim6d made no context (no state change, nothing for the kernel) since `mark`."""
    d = daemon()
    text = d.text(mark)
    if re.search(r" -> (I1-SENT|I2-SENT|ESTABLISHED)|kernel: context-add", text):
        raise Fail(f"{what} made state: {d.tail(mark)}")


# --- SH-1-1: the responder without a context -----------------------------------------

@test("SH-1-1-1", "I1 to the NUT's ULID: an R1 from the ULID echoing the Initiator Nonce, "
      "with a Responder Validator, checksum and reserved fields right; no state kept")
def i1_gets_r1(tn):
    _, mark = expect_r1(tn, i1(), NONCE, NUT)
    no_state(mark, "an I1")


@test("SH-1-1-2", "I1 with Reserved1, the R bit and an unknown non-critical option (padded "
      "with non-zero bytes): all ignored, an R1 as for a plain I1")
def i1_reserved_and_unknown_option(tn):
    opt = Shim6OptUnknown(otype=99, c=0, data=bytes(range(1, 6)), pad=b"\xff" * 7)
    expect_r1(tn, i1(reserved1=0x7f, r=1, nonce=NONCE + 1, options=[opt]), NONCE + 1, NUT)


@test("SH-1-1-3", "I1 to the NUT's other locator with a ULID Pair option naming its ULID: an "
      "R1 back over the same locators")
def i1_with_ulid_pair(tn):
    pkt = i1(dst=NUT2, nonce=NONCE + 2,
             options=[Shim6OptUlidPair(sender=TN, receiver=NUT)])
    expect_r1(tn, pkt, NONCE + 2, NUT2)


@test("SH-1-1-4", "I1 with a bad checksum: silently discarded (RFC 5533 §12.3)")
def i1_bad_checksum(tn):
    b = bytearray(bytes(i1()))
    b[44:46] = ((int.from_bytes(b[44:46], "big") ^ 0x0100) & 0xffff).to_bytes(2, "big")
    expect_silence(tn, IPv6(bytes(b)), "bad checksum")


@test("SH-1-1-5", "I1 with Hdr Ext Len 0 (an I1 needs at least 1): silently discarded")
def i1_too_short(tn):
    expect_silence(tn, i1(len=0), "malformed at offset 1")


@test("SH-1-1-6", "I1 whose Hdr Ext Len claims 32 bytes in a 16-byte packet: silently "
      "discarded")
def i1_past_the_end(tn):
    expect_silence(tn, i1(len=3), "truncated")


@test("SH-1-1-7", "I1 with an unknown critical option: no R1, an Error Message code 1 "
      "whose Pointer is the option's Type field (56: 40 + 16) and whose packet in error is "
      "the I1 (RFC 5533 §5.14, §5.15)")
def i1_critical_option(tn):
    opt = Shim6OptUnknown(otype=99, c=1, data=b"\x01\x02\x03\x04")
    _, mark = expect_error(tn, i1(options=[opt]), ERR_CRITICAL_OPTION, 56)
    no_state(mark, "an I1 with a critical option")


@test("SH-1-1-8", "A control message of an unknown type (7): an Error Message code 0 "
      "pointing at the Type field (42: 40 + 2)")
def unknown_type(tn):
    pkt = IPv6(src=TN, dst=NUT) / Shim6Unknown(type=7, body=bytes(range(10)))
    expect_error(tn, pkt, ERR_UNKNOWN_TYPE, 42)


@test("SH-1-1-9", "A payload packet with a context tag the NUT does not know, to each of "
      "its locators: an R1bis from that locator, the tag as its Packet Context Tag, with a "
      "Responder Validator (RFC 5533 §7.17)")
def unknown_tag_r1bis(tn):
    for i, dst in enumerate((NUT, NUT2)):
        tag = TN_TAG + 0x100 + i
        pkt = IPv6(src=TN, dst=dst) / Shim6Payload(tag=tag) / ICMPv6EchoRequest(seq=i)
        _, mark = expect_r1bis(tn, pkt, tag, dst)
        no_state(mark, "a payload packet")


@test("SH-1-1-10", "An Update Request with a context tag the NUT does not know: an R1bis "
      "with that tag (RFC 5533 §10.4), no Acknowledgement")
def unknown_tag_update_request(tn):
    tag = TN_TAG + 0x200
    pkt = IPv6(src=TN, dst=NUT) / Shim6UpdateRequest(
        receiver_tag=tag, request_nonce=NONCE,
        options=[Shim6OptLocatorList(generation=1, locators=[TN, TN2])])
    expect_r1bis(tn, pkt, tag, NUT)
    late = tn.capture(0.3, is_(Shim6UpdateAck))
    if late:
        raise Fail("an Update Acknowledgement for a context the NUT does not have")


@test("SH-1-1-11", "I1 to the all-nodes multicast address: silently discarded (RFC 5533 "
      "§12.3)")
def i1_multicast_destination(tn):
    pkt = i1(dst=ALL_NODES)
    frame = Ether(src=TN_MAC, dst="33:33:00:00:00:01") / pkt
    # The daemon's line proves it saw the I1; the IPv6 core may also drop it first.
    expect_silence(tn, pkt, "not for this host's ULID", dst=ALL_NODES, required=False,
                   frame=frame)


@test("SH-1-1-12", "I1 from the unspecified address: silently discarded, nothing answered "
      "on the wire or anywhere else (RFC 5533 §12.3)",
      differs={"rv6": "shim6d does not check a control message's source address: it "
                      "answers an I1 from :: with an R1 to ::, which Linux sends to "
                      "loopback (Documentation/rv6/shim6-conformance.rst, 3.1-3)"})
def i1_unspecified_source(tn):
    d = daemon()
    mark = d.mark()
    tn.flush()
    tn.send(i1(src="::"))
    got = tn.settle(answered, lambda got: d.seen(r"(sent R1|dropped a message) ", mark), 3.0)
    if got:
        raise Fail(f"the NUT answered {got[0].summary()}")
    if d.seen(r"sent R1 ", mark):
        raise Fail(f"shim6d answered the I1 from ::: {d.tail(mark)}")


BURST_N = 60


@test("SH-1-1-13", f"{BURST_N} messages of an unknown type at once: at most 20 Error Messages "
      "and no more than 10 a second after (RFC 5533 §5.14: rate-limited); the next one after "
      "a pause is sent, and shim6d counts those it held back")
def errors_rate_limited(tn):
    d = daemon()
    mark = d.mark()
    # Built once: under TCG scapy takes tens of milliseconds a packet, which the limit's
    # refill would cover.
    raw = bytes(IPv6(src=TN, dst=NUT) / Shim6Unknown(type=7, body=bytes(10)))
    pkt = IPv6(raw)
    tn.flush()
    start = time.monotonic()
    for _ in range(BURST_N):
        tn.send_bytes(raw)
    # Every one dropped (its line written before its Error goes) ...
    end = time.monotonic() + 10 * SCALE
    while d.count("unknown message type 7", mark) < BURST_N and time.monotonic() < end:
        time.sleep(0.02)
    took = time.monotonic() - start
    # ... and the Errors sent meanwhile on their way to tn0.
    got = tn.capture(0.5, is_(Shim6Error))
    allowed = 20 + int(10 * took) + 1
    if not 20 <= len(got) <= min(BURST_N - 1, allowed):
        raise Fail(f"{len(got)} Error Messages for {BURST_N} messages in {took:.2f} s; "
                   f"{d.tail(mark)}")
    time.sleep(0.25)
    late = tn.exchange(pkt, is_(Shim6Error), timeout=2.0)
    if late is None:
        raise Fail(f"no Error Message after the pause; {d.tail(mark)}")
    # Each Error sent after some were held back says how many.
    held = BURST_N - len(got)
    end = time.monotonic() + 2 * SCALE
    while True:
        counted = sum(int(n) for n in re.findall(r"(\d+) Error message\(s\) not sent: rate limit",
                                                  d.text(mark)))
        if counted == held or time.monotonic() > end:
            break
        time.sleep(0.02)
    if counted != held:
        raise Fail(f"shim6d counted {counted} Errors held back, {held} were; {d.tail(mark)}")


# --- SH-1-2: with a context the TN set up ----------------------------------------------

def establish(tn, locators=(TN,), **reserved):
    """The TN as initiator: I1, R1, an I2 echoing the R1's nonces and validator with the
    TN's locators (and the `reserved` fields given), R2.  Returns the R2's packet and
    where the log was before the I2."""
    r1, _ = expect_r1(tn, i1(), NONCE, NUT)
    v = options_of(r1[Shim6R1], Shim6OptResponderValidator)[0].validator
    d = daemon()
    mark = d.mark()
    i2 = IPv6(src=TN, dst=NUT) / Shim6I2(
        initiator_tag=TN_TAG, initiator_nonce=NONCE,
        responder_nonce=r1[Shim6R1].responder_nonce,
        options=[Shim6OptResponderValidator(validator=v),
                 Shim6OptLocatorList(generation=1, locators=list(locators))], **reserved)
    r = tn.exchange(i2, is_(Shim6R2), timeout=3.0)
    if r is None:
        raise Fail(f"no R2 for the I2; {d.tail(mark)}")
    return r, mark


@test("SH-1-2-1", "I1, R1, then an I2 echoing the R1's validator (its Reserved1, R and "
      "Reserved2 bits set, to be ignored): an R2 from the ULID with the NUT's context tag, "
      "the I2's nonce and both NUT locators; the NUT's kernel gets the context (RFC 5533 "
      "§5.6, §7.13, §7.14)")
def i2_gets_r2(tn):
    r, mark = establish(tn, reserved1=0x7f, r=1, reserved2=0xffffffff)
    m = r[Shim6R2]
    if (r[IPv6].src, r[IPv6].dst) != (NUT, TN):
        raise Fail(f"R2 {r[IPv6].src} -> {r[IPv6].dst}")
    check_control(m, "R2")
    if m.initiator_nonce != NONCE or not m.responder_tag:
        raise Fail(f"R2 Initiator Nonce {m.initiator_nonce:#x}, tag {m.responder_tag:#x}")
    ll = options_of(m, Shim6OptLocatorList)
    if len(ll) != 1 or ll[0].locators != [NUT, NUT2]:
        raise Fail(f"R2's Locator List {[o.summary() for o in m.options]}, expected "
                   f"{NUT},{NUT2}")
    add = (f"kernel: context-add local-tag {m.responder_tag:#x} peer-tag {TN_TAG:#x} "
           f"ulid-local {NUT} ulid-peer {TN} local-locators {NUT},{NUT2} peer-locators {TN} ")
    if not daemon().wait(re.escape(add), mark, 3):
        raise Fail(f"the kernel did not get the context ({add}); {daemon().tail(mark)}")


@test("SH-1-2-2", "An I2 whose Responder Validator is not the R1's, or without one: "
      "silently discarded, no context (RFC 5533 §7.13)")
def i2_bad_validator(tn):
    r1, _ = expect_r1(tn, i1(), NONCE, NUT)
    v = bytearray(options_of(r1[Shim6R1], Shim6OptResponderValidator)[0].validator)
    v[0] ^= 1
    rn = r1[Shim6R1].responder_nonce
    for opts, why in (([Shim6OptResponderValidator(validator=bytes(v))], "bad Responder Validator"),
                      ([], "no Responder Validator")):
        i2 = IPv6(src=TN, dst=NUT) / Shim6I2(
            initiator_tag=TN_TAG, initiator_nonce=NONCE, responder_nonce=rn,
            options=opts + [Shim6OptLocatorList(generation=1, locators=[TN])])
        mark = expect_silence(tn, i2, why)
        no_state(mark, f"an I2 with {why}")


@test("SH-1-2-3", "Once established, a payload packet from the TN with the NUT's tag is "
      "delivered between the ULIDs: the Echo Request inside is answered (RFC 5533 §7.2)")
def payload_delivered(tn):
    r, _ = establish(tn)
    tag = r[Shim6R2].responder_tag
    pkt = (IPv6(src=TN, dst=NUT) / Shim6Payload(tag=tag)
           / ICMPv6EchoRequest(id=0x5336, seq=1, data=b"rv6-shim6"))
    rep = tn.exchange(pkt, lambda p: ICMPv6EchoReply in p and p[ICMPv6EchoReply].seq == 1,
                      timeout=3.0)
    if rep is None:
        raise Fail(f"the Echo Request behind the payload header was not answered; "
                   f"{daemon().tail()}")


@test("SH-1-2-4", "An Update Request from the TN's locator with the NUT's tag and a new "
      "Locator List (Reserved1 and R set, to be ignored): an Acknowledgement echoing the "
      "Request Nonce with the TN's tag, and the NUT's kernel gets the new peer locators "
      "(RFC 5533 §10.4)")
def update_request_acknowledged(tn):
    r, _ = establish(tn)
    tag = r[Shim6R2].responder_tag
    d = daemon()
    mark = d.mark()
    ur = IPv6(src=TN, dst=NUT) / Shim6UpdateRequest(
        receiver_tag=tag, request_nonce=NONCE + 9, reserved1=0x7f, r=1,
        options=[Shim6OptLocatorList(generation=2, locators=[TN, TN2])])
    a = tn.exchange(ur, is_(Shim6UpdateAck), timeout=3.0)
    if a is None:
        raise Fail(f"no Update Acknowledgement; {d.tail(mark)}")
    m = a[Shim6UpdateAck]
    if (a[IPv6].src, a[IPv6].dst) != (NUT, TN):
        raise Fail(f"the Acknowledgement went {a[IPv6].src} -> {a[IPv6].dst}")
    check_control(m, "Update Acknowledgement")
    if (m.receiver_tag, m.request_nonce) != (TN_TAG, NONCE + 9):
        raise Fail(f"Acknowledgement tag {m.receiver_tag:#x} nonce {m.request_nonce:#x}")
    want = re.escape(f"kernel: context-set local-tag {tag:#x} peer-locators {TN},{TN2}")
    if not d.wait(want, mark, 3):
        raise Fail(f"the kernel did not get the new peer locators; {d.tail(mark)}")


@test("SH-1-2-5", "An Update Request with the NUT's tag from an address that is not among "
      "the TN's locators: an R1bis to that address, no Acknowledgement, the context "
      "unchanged (RFC 5533 §10.4)")
def update_request_foreign_locator(tn):
    r, _ = establish(tn)
    tag = r[Shim6R2].responder_tag
    ur = IPv6(src=TN3, dst=NUT) / Shim6UpdateRequest(
        receiver_tag=tag, request_nonce=NONCE + 10,
        options=[Shim6OptLocatorList(generation=2, locators=[TN, TN3])])
    _, mark = expect_r1bis(tn, ur, tag, NUT, dst=TN3)
    if tn.capture(0.3, is_(Shim6UpdateAck)):
        raise Fail("an Update Acknowledgement for a request from a foreign locator")
    if daemon().seen("kernel: context-set", mark):
        raise Fail(f"the context changed: {daemon().tail(mark)}")



@test("SH-1-2-6", "The NUT loses a locator: an Update Request to the TN with the TN's tag and "
      "the NUT's new Locator List, retransmitted with the same nonce after UPDATE_TIMEOUT "
      "(4 s, randomized) until the TN's Acknowledgement (Reserved1 and R set) stops it; the "
      "NUT's kernel gets the new local set (RFC 5533 §10.1-§10.3, §10.5)", seconds=90)
def update_request_sent(tn):
    r, _ = establish(tn)
    tag = r[Shim6R2].responder_tag
    d = daemon()
    mark = d.mark()
    tn.flush()
    nut_ip(f"addr del {NUT2}/64 dev {NUT_IF}")
    got = tn.capture(5.0, is_(Shim6UpdateRequest, src=NUT), count=1)
    if not got:
        raise Fail(f"no Update Request when {NUT2} went; {d.tail(mark)}")
    first, t0 = got[0], time.monotonic()
    m = first[Shim6UpdateRequest]
    check_control(m, "Update Request")
    ll = options_of(m, Shim6OptLocatorList)
    if first[IPv6].dst != TN or m.receiver_tag != TN_TAG or len(ll) != 1 \
            or ll[0].locators != [NUT]:
        raise Fail(f"Update Request to {first[IPv6].dst} tag {m.receiver_tag:#x} options "
                   f"{[o.summary() for o in m.options]}: expected to {TN}, tag {TN_TAG:#x}, "
                   f"Locator List {NUT}")
    want = re.escape(f"kernel: context-set local-tag {tag:#x} local-locators {NUT}")
    if not d.wait(want, mark, 3):
        raise Fail(f"the kernel did not get the new local set; {d.tail(mark)}")
    again = tn.capture(8.0, is_(Shim6UpdateRequest, src=NUT), count=1)
    waited = time.monotonic() - t0
    if not again:
        raise Fail(f"the Update Request was not retransmitted; {d.tail(mark)}")
    m2 = again[0][Shim6UpdateRequest]
    if m2.request_nonce != m.request_nonce:
        raise Fail(f"retransmitted with nonce {m2.request_nonce:#x}, first {m.request_nonce:#x}")
    if not 1.9 <= waited <= 6 * SCALE + 0.5:
        raise Fail(f"retransmitted after {waited:.2f} s, not within [2, 6] s")
    mark = d.mark()
    ack = IPv6(src=TN, dst=NUT) / Shim6UpdateAck(receiver_tag=tag, reserved1=0x7f, r=1,
                                                 request_nonce=m.request_nonce)
    tn.send(ack)
    done = re.escape(f"Update Request {m.request_nonce:#010x} acknowledged")
    if not d.wait(done, mark, 3):
        raise Fail(f"the Acknowledgement did not stop the request; {d.tail(mark)}")


# --- SH-1-3: the NUT as initiator ------------------------------------------------------

def trigger(tn):
    """UDP from the TN to the NUT's ULID past the NUT's trigger-bytes (2048): its kernel
    asks for a context, its daemon starts the exchange.  Returns the I1 and the log's
    mark before the traffic."""
    d = daemon()
    mark = d.mark()
    tn.flush()
    for i in range(3):
        tn.send(IPv6(src=TN, dst=NUT) / UDP(sport=40000, dport=9) / Raw(bytes(1000)))
    got = tn.capture(5.0, is_(Shim6I1, src=NUT), count=1)
    if not got:
        raise Fail(f"no I1 after 3 KB of UDP from the TN; {d.tail(mark)}")
    return got[0], mark


def r1_for(i1_pkt, validator=VALIDATOR, nonce=None, **kw):
    m = i1_pkt[Shim6I1]
    opts = [Shim6OptResponderValidator(validator=validator)] if validator else []
    return IPv6(src=TN, dst=NUT) / Shim6R1(
        initiator_nonce=m.initiator_nonce if nonce is None else nonce,
        responder_nonce=RESPONDER_NONCE, options=opts, **kw)


@test("SH-1-3-1", "Traffic from the TN past the NUT's trigger-bytes: an I1 from the NUT's "
      "ULID to the TN with a context tag (47 bits, not 0) and a nonce, its checksum right "
      "and no option (the addresses are the ULIDs) (RFC 5533 §5.4, §7.7)")
def trigger_sends_i1(tn):
    p, _ = trigger(tn)
    m = p[Shim6I1]
    if p[IPv6].dst != TN:
        raise Fail(f"the I1 went to {p[IPv6].dst}")
    check_control(m, "I1")
    if not m.initiator_tag or m.options:
        raise Fail(f"I1 tag {m.initiator_tag:#x}, options {[o.summary() for o in m.options]}")


@test("SH-1-3-2", "The TN's R1 (Reserved1 and Reserved2 set, to be ignored): an I2 with the "
      "I1's tag and nonce, the R1's Responder Nonce and Validator echoed and the NUT's "
      "locators; the TN's R2 establishes the context in the NUT's kernel; an R1 after that "
      "is silently discarded (RFC 5533 §5.5, §7.11, §7.12, §7.16)")
def r1_gets_i2(tn):
    p, _ = trigger(tn)
    tag, nonce = p[Shim6I1].initiator_tag, p[Shim6I1].initiator_nonce
    d = daemon()
    mark = d.mark()
    r = tn.exchange(r1_for(p, reserved1=0x7f, reserved2=0xffff), is_(Shim6I2, src=NUT), 3.0)
    if r is None:
        raise Fail(f"no I2 for the R1; {d.tail(mark)}")
    m = r[Shim6I2]
    check_control(m, "I2")
    v = options_of(m, Shim6OptResponderValidator)
    ll = options_of(m, Shim6OptLocatorList)
    if (m.initiator_tag, m.initiator_nonce, m.responder_nonce) != (tag, nonce,
                                                                  RESPONDER_NONCE):
        raise Fail(f"I2 tag {m.initiator_tag:#x} nonce {m.initiator_nonce:#x} responder "
                   f"nonce {m.responder_nonce:#x}, expected {tag:#x} {nonce:#x} "
                   f"{RESPONDER_NONCE:#x}")
    if len(v) != 1 or v[0].validator != VALIDATOR:
        raise Fail(f"the I2 does not echo the R1's validator: {[o.summary() for o in m.options]}")
    if len(ll) != 1 or ll[0].locators != [NUT, NUT2]:
        raise Fail(f"I2 Locator List {[o.summary() for o in ll]}, expected {NUT},{NUT2}")
    mark = d.mark()
    tn.send(IPv6(src=TN, dst=NUT) / Shim6R2(
        responder_tag=TN_TAG, initiator_nonce=nonce,
        options=[Shim6OptLocatorList(generation=1, locators=[TN])]))
    add = (f"kernel: context-add local-tag {tag:#x} peer-tag {TN_TAG:#x} ulid-local {NUT} "
           f"ulid-peer {TN} ")
    if not d.wait(re.escape(add), mark, 3):
        raise Fail(f"the R2 did not establish the context; {d.tail(mark)}")
    mark = d.mark()
    tn.flush()
    tn.send(r1_for(p))
    got = tn.settle(is_(Shim6I2, src=NUT), lambda got: d.seen("received R1 ", mark), 3.0)
    if got or not d.seen("received R1 ", mark):
        raise Fail(f"an R1 in ESTABLISHED: {'an I2' if got else 'not seen'}; {d.tail(mark)}")


@test("SH-1-3-3", "R1s that answer no I1 of the NUT's (another Initiator Nonce) or carry no "
      "Responder Validator: silently discarded, no I2; the R1 that answers still gets its "
      "I2 (RFC 5533 §7.11)")
def r1_discarded(tn):
    p, _ = trigger(tn)
    d = daemon()
    nonce = p[Shim6I1].initiator_nonce
    for r1, proof in ((r1_for(p, nonce=nonce ^ 0x5a5a), "received R1 "),
                      (r1_for(p, validator=None), log_line(TN, NUT, "no Responder Validator"))):
        mark = d.mark()
        tn.flush()
        tn.send(r1)
        got = tn.settle(is_(Shim6I2, src=NUT), lambda got: d.seen(proof, mark), 3.0)
        if got:
            raise Fail(f"an I2 for {r1[Shim6R1].summary()}; {d.tail(mark)}")
        if not d.seen(proof, mark):
            raise Fail(f"shim6d did not log the R1 ({proof}); {d.tail(mark)}")
    if tn.exchange(r1_for(p), is_(Shim6I2, src=NUT), 3.0) is None:
        raise Fail(f"no I2 for the right R1 after the wrong ones; {d.tail()}")


@test("SH-1-3-4", "No R1: the I1 is retransmitted with the same tag and nonce after "
      "I1_TIMEOUT (4 s, randomized over [2, 6] s) (RFC 5533 §7.8, §14)", seconds=90)
def i1_retransmitted(tn):
    p, _ = trigger(tn)
    t0 = time.monotonic()
    got = tn.capture(8.0, is_(Shim6I1, src=NUT), count=1)
    waited = time.monotonic() - t0
    if not got:
        raise Fail(f"no retransmission in 8 s; {daemon().tail()}")
    a, b = p[Shim6I1], got[0][Shim6I1]
    if (a.initiator_tag, a.initiator_nonce) != (b.initiator_tag, b.initiator_nonce):
        raise Fail(f"retransmitted with tag {b.initiator_tag:#x} nonce {b.initiator_nonce:#x}, "
                   f"first {a.initiator_tag:#x} {a.initiator_nonce:#x}")
    if not 1.9 <= waited <= 6 * SCALE + 0.5:
        raise Fail(f"retransmitted after {waited:.2f} s, not within [2, 6] s")
