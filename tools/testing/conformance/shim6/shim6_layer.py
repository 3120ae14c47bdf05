# SPDX-License-Identifier: GPL-2.0
"""Shim6 for scapy: the headers of RFC 5533 and the REAP messages of RFC 5534.

scapy has no Shim6 (IPv6 next header 140).  This module defines it and binds it below
IPv6 and its extension headers, so that `IPv6(raw_bytes)` dissects a Shim6 header into the
class its P bit and Type name and `IPv6(...)/Shim6I1(...)` builds one with next header 140:

    Shim6Payload         payload extension header, P = 1 (RFC 5533 §5.2)
    Shim6I1 ... Shim6I2bis, Shim6UpdateRequest, Shim6UpdateAck
                         control messages (RFC 5533 §5.3-§5.11)
    Shim6Keepalive, Shim6Probe (+ Shim6ProbeReport)
                         REAP messages (RFC 5533 §5.12-§5.13, formats in RFC 5534)
    Shim6Error           Error Message (RFC 5533 §5.14)
    Shim6Unknown         a Type this module does not know, kept whole
    Shim6Opt*            the options (RFC 5533 §5.15, Keepalive Timeout: RFC 5534)

Built with `len`, `cksum` (and an option's `olen`) left None, a header gets its Hdr Ext Len
and its checksum: the one's complement of the one's complement sum of the Shim6 header
alone, from its Next Header field to the end Hdr Ext Len gives, with no pseudo-header, so
that locators can change under it (RFC 5533 §5.3).  A payload after a control header is
not covered.  Given explicitly, the values are sent as they are (a test's bad checksum or
length); the checksum is then still computed over the bytes built.  Padding is zeros when
not given; dissected packets keep theirs, so bytes -> packet -> bytes is the identity.

Field names follow the RFC's (Initiator Context Tag -> `initiator_tag`, Reserved1 ->
`reserved1`, ...).  Context tags are 47-bit integers; the R bit above a tag is a field of
its own (`r`), ignored on receipt and zero on transmit by the RFC, settable here.

The checksum of an upper layer after a Shim6 payload header covers the ULIDs (RFC 5533
§5.2), not the locators in the IPv6 header that scapy would use: give such a packet its
checksum (`chksum=`) or build it between the ULIDs first.
"""
import socket
import struct

from scapy.fields import (BitEnumField, BitField, BitFieldLenField, ByteEnumField,
                          ByteField, FieldLenField, FieldListField, FlagsField, IntField,
                          IP6Field, PacketListField, ShortField, StrField,
                          StrFixedLenField, StrLenField, XIntField, XShortField)
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IP6ListField,
                                ipv6nh, ipv6nhcls)
from scapy.packet import Packet, bind_bottom_up, bind_top_down
from scapy.pton_ntop import inet_ntop

try:
    # What scapy's extension headers are: their next header's class is found as IPv6
    # finds it, and TCP, UDP and ICMPv6 above them compute their checksums.
    from scapy.layers.inet6 import _IPv6ExtHdr
except ImportError:  # pragma: no cover - another scapy: payloads after Shim6 stay Raw
    _IPv6ExtHdr = Packet

IPPROTO_SHIM6 = 140     # IANA, for RFC 5533
IPPROTO_NONE = 59       # what a control message's Next Header normally says (§5.3)

# Control message types (RFC 5533 §5.3 and the IANA "Shim6 Types" registry).
I1, R1, I2, R2, R1BIS, I2BIS = 1, 2, 3, 4, 5, 6
UPDATE_REQUEST, UPDATE_ACK, KEEPALIVE, PROBE, ERROR = 64, 65, 66, 67, 68
SHIM6_TYPES = {I1: "I1", R1: "R1", I2: "I2", R2: "R2", R1BIS: "R1bis", I2BIS: "I2bis",
               UPDATE_REQUEST: "Update Request", UPDATE_ACK: "Update Acknowledgement",
               KEEPALIVE: "Keepalive", PROBE: "Probe", ERROR: "Error"}

# Option types (RFC 5533 §5.15, the IANA "Shim6 Options" registry; 10: RFC 5534).
OPT_RESPONDER_VALIDATOR, OPT_LOCATOR_LIST, OPT_LOCATOR_PREFERENCES = 1, 2, 3
OPT_CGA_PDS, OPT_CGA_SIGNATURE, OPT_ULID_PAIR, OPT_FII = 4, 5, 6, 7
OPT_KEEPALIVE_TIMEOUT = 10
SHIM6_OPTIONS = {OPT_RESPONDER_VALIDATOR: "Responder Validator",
                 OPT_LOCATOR_LIST: "Locator List",
                 OPT_LOCATOR_PREFERENCES: "Locator Preferences",
                 OPT_CGA_PDS: "CGA Parameter Data Structure",
                 OPT_CGA_SIGNATURE: "CGA Signature", OPT_ULID_PAIR: "ULID Pair",
                 OPT_FII: "Forked Instance Identifier",
                 OPT_KEEPALIVE_TIMEOUT: "Keepalive Timeout"}

# Error Codes (RFC 5533 §5.14); 120-127 are reserved for debugging.
ERR_UNKNOWN_TYPE, ERR_CRITICAL_OPTION, ERR_VERIFICATION_FAILED = 0, 1, 2
ERR_GENERATION_OUT_OF_SYNC, ERR_PREFERENCE_COUNT = 3, 4
ERROR_CODES = {ERR_UNKNOWN_TYPE: "Unknown Shim6 message type",
               ERR_CRITICAL_OPTION: "Critical option not recognized",
               ERR_VERIFICATION_FAILED: "Locator verification method failed",
               ERR_GENERATION_OUT_OF_SYNC: "Locator List Generation number out of sync",
               ERR_PREFERENCE_COUNT: "Error in the number of locators in a Locator "
                                     "Preferences option"}

# Locator verification methods (RFC 5533 §5.15.2).
VERIFY_HBA, VERIFY_CGA = 1, 2
VERIFY_METHODS = {VERIFY_HBA: "HBA", VERIFY_CGA: "CGA"}

# Locator Preferences flags (RFC 5533 §5.15.3), lowest bit first.
PREFERENCE_FLAGS = ["BROKEN", "TRANSIENT"]
BROKEN, TRANSIENT = 0x01, 0x02

# REAP states a Probe reports in its Sta field (RFC 5534, Probe Message Format).
REAP_STATES = {0: "Operational", 1: "Exploring", 2: "InboundOk"}

TAG_BITS = 47
TAG_MAX = (1 << TAG_BITS) - 1


def shim6_checksum(data):
    """The Internet checksum (RFC 1071) of `data` alone, as RFC 5533 §5.3 computes it over
    a control header (its Checksum field zero): one's complement of the one's complement
    sum of the 16-bit words, an odd last byte padded with a zero.  Over a header whose
    Checksum field is right, 0."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s > 0xffff:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def option_len(length):
    """Bytes an option with a Length field of `length` takes on the wire, padding included:
    "11 + Length - (Length + 3) % 8" (RFC 5533 §5.15)."""
    return 11 + length - (length + 3) % 8


def header_len(pkt):
    """Bytes of a Shim6 header as its Hdr Ext Len gives them: (Hdr Ext Len + 1) * 8."""
    return ((pkt.len or 0) + 1) * 8


class _ZeroPadField(StrLenField):
    """Padding inside a structure: zeros of the length `length_from` computes unless
    given (a dissected packet keeps the bytes it had)."""

    def i2m(self, pkt, x):
        if x is None:
            return bytes(self.length_from(pkt))
        return super().i2m(pkt, x)


class _PaddedStrField(StrLenField):
    """Bytes padded with zeros to a multiple of 8, and to 8 at least, when built (the
    Error Message's Packet in Error: the header stays a multiple of 8 octets and its Hdr
    Ext Len at least 1, RFC 5533 §5.14); dissected as `length_from` gives."""

    def i2m(self, pkt, x):
        x = super().i2m(pkt, x)
        return x + bytes(max(8, -(-len(x) // 8) * 8) - len(x))


class _MethodsField(FieldListField):
    """The Locator List's Verification Methods, one octet per locator; left empty, HBA for
    every locator of the option's `locators`."""

    def i2m(self, pkt, x):
        if not x:
            x = [VERIFY_HBA] * len(pkt.locators or [])
        return super().i2m(pkt, x)


class _LocatorsField(IP6ListField):
    """Locators, 16 bytes each; bytes too few for one more are left to the next field."""

    def getfield(self, pkt, s):
        n = self.count_from(pkt) if self.count_from else len(s) // 16
        n = min(n, len(s) // 16)
        return s[16 * n:], [inet_ntop(socket.AF_INET6, s[16 * i:16 * i + 16])
                            for i in range(n)]


# --- options (RFC 5533 §5.15) ------------------------------------------------------

def _option_header(kind):
    """Type (15 bits), C (the critical bit), Length (bytes of contents, padding
    excluded): RFC 5533 §5.15."""
    return [BitEnumField("otype", kind, 15, SHIM6_OPTIONS),
            BitField("c", 0, 1),
            ShortField("olen", None)]


class Shim6Option(Packet):
    """A Shim6 option (RFC 5533 §5.15); dissects as the class of its Type.

    Every option is Type, C, Length, Contents, then zero padding to 8 octets that Length
    does not count.  The `pad` field holds that padding (and, dissected, any contents the
    option's fields did not take); left None it is zeros."""
    name = "Shim6 option"
    match_subclass = True
    fields_desc = _option_header(0) + [
        StrLenField("data", b"", length_from=lambda p: p.olen or 0),
        StrField("pad", None)]

    @classmethod
    def dispatch_hook(cls, _pkt=None, *args, **kargs):
        if cls is Shim6Option and _pkt and len(_pkt) >= 4:
            kind, length = struct.unpack("!HH", _pkt[:4])
            kind >>= 1
            if kind in _OPTION_CLASSES and _fits(kind, length, _pkt[4:4 + length]):
                return _OPTION_CLASSES[kind]
            return Shim6OptUnknown
        return cls

    def do_dissect(self, s):
        # The contents are the Length bytes after Type and Length; the padding after
        # them belongs to the option too.
        if len(s) < 4:
            return super().do_dissect(s)
        length = struct.unpack("!H", s[2:4])[0]
        end = min(len(s), 4 + length)
        total = min(len(s), max(end, option_len(length)))
        super().do_dissect(s[:end])
        self.fields["pad"] = (self.fields.get("pad") or b"") + s[end:total]
        self.raw_packet_cache = s[:total]
        return s[total:]

    def post_build(self, p, pay):
        given = self.pad
        contents = len(p) - 4 - (len(given) if given is not None else 0)
        if self.olen is None:
            p = p[:2] + struct.pack("!H", contents) + p[4:]
        if given is None:
            p += bytes(option_len(contents) - 4 - contents)
        return p + pay

    def extract_padding(self, s):
        return b"", s


class Shim6OptUnknown(Shim6Option):
    """An option of a type this module does not know: its contents as bytes."""
    name = "Shim6 unknown option"


class Shim6OptResponderValidator(Shim6Option):
    """Responder Validator, type 1 (RFC 5533 §5.15.1): opaque to all but the responder that
    made it; an R1 or R1bis carries it, the I2 or I2bis echoes it."""
    name = "Shim6 Responder Validator"
    fields_desc = _option_header(OPT_RESPONDER_VALIDATOR) + [
        StrLenField("validator", b"", length_from=lambda p: p.olen or 0),
        StrField("pad", None)]


class Shim6OptLocatorList(Shim6Option):
    """Locator List, type 2 (RFC 5533 §5.15.2): the Locator List Generation, Num Locators
    N, one Verification Method octet per locator (1 HBA, 2 CGA), zero padding so that the
    locators start on an 8-octet boundary of the option (counted in Length, as Wireshark,
    LinShim6 and rv6 have it), then the N locators."""
    name = "Shim6 Locator List"
    fields_desc = _option_header(OPT_LOCATOR_LIST) + [
        XIntField("generation", 0),
        FieldLenField("num", None, count_of="locators", fmt="B"),
        _MethodsField("methods", [], ByteEnumField("method", VERIFY_HBA, VERIFY_METHODS),
                      count_from=lambda p: p.num),
        _ZeroPadField("mpad", None,
                      length_from=lambda p: -(4 + 5 + _count(p)) % 8),
        _LocatorsField("locators", [], count_from=lambda p: p.num),
        StrField("pad", None)]


def _count(p):
    """Num Locators as built or dissected."""
    return p.num if p.num is not None else len(p.locators or [])


class Shim6LocatorPreference(Packet):
    """One element of a Locator Preferences option with Element Len 3 (RFC 5533
    §5.15.3): Flags (BROKEN 0x01, TRANSIENT 0x02), Priority, Weight."""
    name = "Shim6 Locator Preference"
    fields_desc = [FlagsField("flags", 0, 8, PREFERENCE_FLAGS),
                   ByteField("priority", 0), ByteField("weight", 0)]

    def extract_padding(self, s):
        return b"", s


class Shim6LocatorPreference1(Shim6LocatorPreference):
    """An element with Element Len 1: Flags only."""
    fields_desc = Shim6LocatorPreference.fields_desc[:1]


class Shim6LocatorPreference2(Shim6LocatorPreference):
    """An element with Element Len 2: Flags and Priority."""
    fields_desc = Shim6LocatorPreference.fields_desc[:2]


_longer_elements = {}


def _element_class(n):
    """The element class for Element Len `n`: longer elements keep the first three
    octets' meaning (§5.15.3), the rest as bytes."""
    if n <= 1:
        return Shim6LocatorPreference1
    if n == 2:
        return Shim6LocatorPreference2
    if n == 3:
        return Shim6LocatorPreference
    if n not in _longer_elements:
        _longer_elements[n] = type(f"Shim6LocatorPreference{n}", (Shim6LocatorPreference,), {
            "fields_desc": Shim6LocatorPreference.fields_desc
            + [StrFixedLenField("extra", b"", n - 3)]})
    return _longer_elements[n]


def _next_element(pkt, lst, cur, remain):
    n = pkt.elen or 1
    return _element_class(n) if len(remain) >= n else None


class Shim6OptLocatorPreferences(Shim6Option):
    """Locator Preferences, type 3 (RFC 5533 §5.15.3): the Locator List Generation the
    preferences are for, Element Len, one element per locator of that list.  Element Len
    left None is the first element's length (1 without elements)."""
    name = "Shim6 Locator Preferences"
    fields_desc = _option_header(OPT_LOCATOR_PREFERENCES) + [
        XIntField("generation", 0),
        ByteField("elen", None),
        PacketListField("elements", [], next_cls_cb=_next_element,
                        length_from=lambda p: max(0, (p.olen or 0) - 5)),
        StrField("pad", None)]

    def post_build(self, p, pay):
        if self.elen is None:
            n = len(bytes(self.elements[0])) if self.elements else 1
            p = p[:8] + bytes([n]) + p[9:]
        return super().post_build(p, pay)


class Shim6OptCgaPds(Shim6Option):
    """CGA Parameter Data Structure, type 4 (RFC 5533 §5.15.4): RFC 3972's structure, as
    bytes."""
    name = "Shim6 CGA Parameter Data Structure"
    fields_desc = _option_header(OPT_CGA_PDS) + [
        StrLenField("pds", b"", length_from=lambda p: p.olen or 0),
        StrField("pad", None)]


class Shim6OptCgaSignature(Shim6Option):
    """CGA Signature, type 5 (RFC 5533 §5.15.5): the signature over the locators, as
    bytes."""
    name = "Shim6 CGA Signature"
    fields_desc = _option_header(OPT_CGA_SIGNATURE) + [
        StrLenField("signature", b"", length_from=lambda p: p.olen or 0),
        StrField("pad", None)]


class Shim6OptUlidPair(Shim6Option):
    """ULID Pair, type 6 (RFC 5533 §5.15.6), Length 36: 32 reserved bits (ignored on
    receipt), the Sender ULID, the Receiver ULID; in an I1, I2 or I2bis whose addresses are
    not the ULIDs."""
    name = "Shim6 ULID Pair"
    fields_desc = _option_header(OPT_ULID_PAIR) + [
        IntField("reserved", 0),
        IP6Field("sender", "::"),
        IP6Field("receiver", "::"),
        StrField("pad", None)]


class Shim6OptFii(Shim6Option):
    """Forked Instance Identifier, type 7 (RFC 5533 §5.15.7), Length 4."""
    name = "Shim6 Forked Instance Identifier"
    fields_desc = _option_header(OPT_FII) + [
        IntField("fii", 0),
        StrField("pad", None)]


class Shim6OptKeepaliveTimeout(Shim6Option):
    """Keepalive Timeout, type 10 (RFC 5534, Keepalive Timeout Option Format), Length 4:
    16 reserved bits, then the Keepalive Timeout the sender wants the peer to use, in
    seconds.  RFC 5534 defines no other option; a Probe's reports are fields of the
    message (Shim6ProbeReport)."""
    name = "Shim6 Keepalive Timeout"
    fields_desc = _option_header(OPT_KEEPALIVE_TIMEOUT) + [
        ShortField("reserved", 0),
        ShortField("timeout", 0),
        StrField("pad", None)]


def _fits(kind, length, contents):
    """Whether `contents` (Length bytes, or fewer at the end of a packet) can be an option
    of type `kind`; one that cannot dissects as Shim6OptUnknown, its bytes kept."""
    if len(contents) < length:
        return False
    fixed = {OPT_ULID_PAIR: 36, OPT_FII: 4, OPT_KEEPALIVE_TIMEOUT: 4}
    if kind in fixed:
        return length == fixed[kind]
    if kind == OPT_LOCATOR_LIST:
        n = contents[4] if length >= 5 else 0
        return length >= 5 and length == 5 + n + -(9 + n) % 8 + 16 * n
    if kind == OPT_LOCATOR_PREFERENCES:
        return length >= 5
    return True


_OPTION_CLASSES = {OPT_RESPONDER_VALIDATOR: Shim6OptResponderValidator,
                   OPT_LOCATOR_LIST: Shim6OptLocatorList,
                   OPT_LOCATOR_PREFERENCES: Shim6OptLocatorPreferences,
                   OPT_CGA_PDS: Shim6OptCgaPds, OPT_CGA_SIGNATURE: Shim6OptCgaSignature,
                   OPT_ULID_PAIR: Shim6OptUlidPair, OPT_FII: Shim6OptFii,
                   OPT_KEEPALIVE_TIMEOUT: Shim6OptKeepaliveTimeout}


# --- the Shim6 header (RFC 5533 §5) --------------------------------------------------

def _control_header(kind, type_specific=None):
    """Next Header, Hdr Ext Len, P = 0, Type, the 7 type-specific bits, S (0 in Shim6, 1
    in HIP), Checksum: the common part of every control message (RFC 5533 §5.3)."""
    return [ByteEnumField("nh", IPPROTO_NONE, ipv6nh),
            ByteField("len", None),
            BitField("p", 0, 1),
            BitEnumField("type", kind, 7, SHIM6_TYPES),
            type_specific or BitField("reserved1", 0, 7),
            BitField("s", 0, 1),
            XShortField("cksum", None)]


def _tag(name):
    """The R bit (reserved) and a 47-bit context tag (RFC 5533 §5.2)."""
    return [BitField("r", 0, 1), BitField(name, 0, TAG_BITS)]


def _options(fixed):
    """The options after `fixed` bytes of type-specific fields, to the header's end."""
    return PacketListField("options", [], Shim6Option,
                           length_from=lambda p: max(0, header_len(p) - fixed))


class Shim6(_IPv6ExtHdr):
    """Any Shim6 header: dissects as the class its P bit and Type name (this class is
    what next header 140 is bound to), and the base of them all, so that `Shim6 in pkt`
    and `pkt[Shim6]` find whichever it is.  Built as itself: a control message of any
    Type with its type-specific part as bytes."""
    name = "Shim6"
    match_subclass = True
    fields_desc = _control_header(0, BitField("type_specific", 0, 7)) + [
        StrLenField("body", bytes(10), length_from=lambda p: max(0, header_len(p) - 6))]

    @classmethod
    def dispatch_hook(cls, _pkt=None, *args, **kargs):
        if cls is Shim6 and _pkt and len(_pkt) >= 3:
            if _pkt[2] & 0x80:
                return Shim6Payload
            return _CONTROL_CLASSES.get(_pkt[2] & 0x7f, Shim6Unknown)
        return cls

    def post_build(self, p, pay):
        if self.len is None:
            p += bytes(-len(p) % 8)
            p = p[:1] + bytes([(len(p) // 8 - 1) & 0xff]) + p[2:]
        if self.cksum is None:
            c = shim6_checksum(p[:4] + b"\0\0" + p[6:])
            p = p[:4] + struct.pack("!H", c) + p[6:]
        return p + pay

    def checksum_ok(self):
        """Whether this header's checksum is right, over the bytes Hdr Ext Len gives (a
        dissected or built packet)."""
        b = bytes(self)
        return len(b) >= 8 and shim6_checksum(b[:(b[1] + 1) * 8]) == 0

    def mysummary(self):
        return self.sprintf(f"Shim6 {SHIM6_TYPES.get(self.type, self.type)}")


class Shim6Unknown(Shim6):
    """A control message of a Type this module does not know (RFC 5533 §5.3): the
    type-specific bits and everything after the checksum as bytes; a receiver answers it
    with an Error Message, code 0 (§5.14)."""
    name = "Shim6 unknown message"
    fields_desc = _control_header(7, BitField("type_specific", 0, 7)) + [
        StrLenField("body", bytes(10), length_from=lambda p: max(0, header_len(p) - 6))]


class Shim6Payload(Shim6):
    """The Payload Extension Header (RFC 5533 §5.2): Next Header, Hdr Ext Len 0, P = 1, the
    receiver's 47-bit context tag; 8 bytes, no checksum.  Next Header left None is the
    protocol of the payload scapy builds after it (ICMPv6, TCP, UDP, ...; 59 without)."""
    name = "Shim6 payload"
    fields_desc = [ByteEnumField("nh", None, ipv6nh),
                   ByteField("len", 0),
                   BitField("p", 1, 1),
                   BitField("tag", 0, TAG_BITS)]

    def post_build(self, p, pay):
        if self.nh is None:
            nh = IPPROTO_NONE
            if self.payload:
                nh = self.payload.overload_fields.get(IPv6, {}).get("nh", IPPROTO_NONE)
            p = bytes([nh]) + p[1:]
        return p + pay

    def checksum_ok(self):
        return True

    def mysummary(self):
        return self.sprintf("Shim6 payload tag=%Shim6Payload.tag%")


class Shim6I1(Shim6):
    """I1, type 1 (RFC 5533 §5.4): Initiator Context Tag and Initiator Nonce; options: ULID
    Pair, Forked Instance Identifier.  Hdr Ext Len at least 1."""
    name = "Shim6 I1"
    fields_desc = _control_header(I1) + _tag("initiator_tag") + [
        XIntField("initiator_nonce", 0), _options(16)]


class Shim6R1(Shim6):
    """R1, type 2 (RFC 5533 §5.5): 16 reserved bits (Reserved2), the Initiator Nonce
    echoed, the Responder Nonce; options: Responder Validator (which it must carry)."""
    name = "Shim6 R1"
    fields_desc = _control_header(R1) + [
        ShortField("reserved2", 0), XIntField("initiator_nonce", 0),
        XIntField("responder_nonce", 0), _options(16)]

    def answers(self, other):
        return isinstance(other, Shim6I1) and other.initiator_nonce == self.initiator_nonce


class Shim6I2(Shim6):
    """I2, type 3 (RFC 5533 §5.6): Initiator Context Tag, Initiator Nonce, the R1's
    Responder Nonce, 32 reserved bits (Reserved2: the options start on 8 octets); options:
    Responder Validator, Locator List, Locator Preferences, CGA Parameter Data Structure,
    CGA Signature, ULID Pair, Forked Instance Identifier.  Hdr Ext Len at least 2."""
    name = "Shim6 I2"
    fields_desc = _control_header(I2) + _tag("initiator_tag") + [
        XIntField("initiator_nonce", 0), XIntField("responder_nonce", 0),
        IntField("reserved2", 0), _options(24)]

    def answers(self, other):
        return isinstance(other, Shim6R1) and other.responder_nonce == self.responder_nonce


class Shim6R2(Shim6):
    """R2, type 4 (RFC 5533 §5.7): Responder Context Tag, the Initiator Nonce echoed;
    options: Locator List, Locator Preferences, CGA Parameter Data Structure, CGA
    Signature."""
    name = "Shim6 R2"
    fields_desc = _control_header(R2) + _tag("responder_tag") + [
        XIntField("initiator_nonce", 0), _options(16)]

    def answers(self, other):
        return (isinstance(other, (Shim6I1, Shim6I2, Shim6I2bis))
                and other.initiator_nonce == self.initiator_nonce)


class Shim6R1bis(Shim6):
    """R1bis, type 5 (RFC 5533 §5.8): the Packet Context Tag of the packet that found no
    context, a Responder Nonce; options: Responder Validator."""
    name = "Shim6 R1bis"
    fields_desc = _control_header(R1BIS) + _tag("packet_tag") + [
        XIntField("responder_nonce", 0), _options(16)]

    def answers(self, other):
        tag = getattr(other, "tag", getattr(other, "receiver_tag", None))
        return isinstance(other, (Shim6Payload, Shim6UpdateRequest, Shim6UpdateAck)) \
            and tag == self.packet_tag


class Shim6I2bis(Shim6):
    """I2bis, type 6 (RFC 5533 §5.9): Initiator Context Tag, Initiator Nonce, the R1bis's
    Responder Nonce, 48 reserved bits (Reserved2), R, the R1bis's Packet Context Tag;
    options as the I2's.  Hdr Ext Len at least 3."""
    name = "Shim6 I2bis"
    fields_desc = _control_header(I2BIS) + _tag("initiator_tag") + [
        XIntField("initiator_nonce", 0), XIntField("responder_nonce", 0),
        BitField("reserved2", 0, 48), BitField("r2", 0, 1),
        BitField("packet_tag", 0, TAG_BITS), _options(32)]

    def answers(self, other):
        return isinstance(other, Shim6R1bis) and other.responder_nonce == self.responder_nonce


class Shim6UpdateRequest(Shim6):
    """Update Request, type 64 (RFC 5533 §5.10): Receiver Context Tag, Request Nonce;
    options: Locator List, Locator Preferences, CGA Parameter Data Structure, CGA
    Signature."""
    name = "Shim6 Update Request"
    fields_desc = _control_header(UPDATE_REQUEST) + _tag("receiver_tag") + [
        XIntField("request_nonce", 0), _options(16)]


class Shim6UpdateAck(Shim6):
    """Update Acknowledgement, type 65 (RFC 5533 §5.11): Receiver Context Tag, the Request
    Nonce echoed."""
    name = "Shim6 Update Acknowledgement"
    fields_desc = _control_header(UPDATE_ACK) + _tag("receiver_tag") + [
        XIntField("request_nonce", 0), _options(16)]

    def answers(self, other):
        return isinstance(other, Shim6UpdateRequest) and \
            other.request_nonce == self.request_nonce


class Shim6Keepalive(Shim6):
    """Keepalive, type 66 (RFC 5533 §5.12; RFC 5534, Keepalive Message Format): Receiver
    Context Tag, 32 reserved bits (Reserved2); options (none defined)."""
    name = "Shim6 Keepalive"
    fields_desc = _control_header(KEEPALIVE) + _tag("receiver_tag") + [
        IntField("reserved2", 0), _options(16)]


class Shim6ProbeReport(Packet):
    """One probe report of a Probe (RFC 5534, Probe Message Format), 40 bytes: the probe's
    Source and Destination Address, Nonce and Data."""
    name = "Shim6 probe report"
    fields_desc = [IP6Field("src", "::"), IP6Field("dst", "::"),
                   XIntField("nonce", 0), XIntField("data", 0)]

    def extract_padding(self, s):
        return b"", s


class Shim6Probe(Shim6):
    """Probe, type 67 (RFC 5533 §5.13; RFC 5534, Probe Message Format): Receiver Context
    Tag, Precvd and Psent (4 bits each: how many reports of each kind follow), Sta (the
    sender's REAP state after sending: 0 Operational, 1 Exploring, 2 InboundOk), 22
    reserved bits; then Psent reports of probes sent, the first about this very probe,
    Precvd reports of probes received; then options."""
    name = "Shim6 Probe"
    fields_desc = _control_header(PROBE) + _tag("receiver_tag") + [
        BitFieldLenField("precvd", None, 4, count_of="received"),
        BitFieldLenField("psent", None, 4, count_of="sent"),
        BitEnumField("sta", 0, 2, REAP_STATES),
        BitField("reserved2", 0, 22),
        PacketListField("sent", [], Shim6ProbeReport, count_from=lambda p: p.psent),
        PacketListField("received", [], Shim6ProbeReport, count_from=lambda p: p.precvd),
        PacketListField("options", [], Shim6Option, length_from=lambda p: max(
            0, header_len(p) - 16 - 40 * ((p.psent or 0) + (p.precvd or 0))))]


class Shim6Error(Shim6):
    """Error Message, type 68 (RFC 5533 §5.14): the Error Code in the 7 type-specific bits,
    the Pointer (the octet of the invoking packet, counted from its IPv6 header, where the
    error was found), then the Packet in Error: as much of the invoking packet, from its
    IPv6 header, as fits in the minimum IPv6 MTU, zero-padded to 8 octets.  No options;
    Hdr Ext Len at least 1."""
    name = "Shim6 Error"
    fields_desc = _control_header(ERROR, BitEnumField("code", 0, 7, ERROR_CODES)) + [
        ShortField("pointer", 0),
        _PaddedStrField("packet_in_error", b"",
                        length_from=lambda p: max(0, header_len(p) - 8))]

    def invoking(self):
        """The invoking packet as scapy reads it (IPv6, when it starts with a header)."""
        b = self.packet_in_error
        return IPv6(b) if b and b[0] >> 4 == 6 else b

    def answers(self, other):
        return isinstance(other, Shim6) and bytes(other)[:16] in self.packet_in_error


_CONTROL_CLASSES = {I1: Shim6I1, R1: Shim6R1, I2: Shim6I2, R2: Shim6R2, R1BIS: Shim6R1bis,
                    I2BIS: Shim6I2bis, UPDATE_REQUEST: Shim6UpdateRequest,
                    UPDATE_ACK: Shim6UpdateAck, KEEPALIVE: Shim6Keepalive, PROBE: Shim6Probe,
                    ERROR: Shim6Error}
SHIM6_CLASSES = [Shim6, Shim6Payload, Shim6Unknown, *_CONTROL_CLASSES.values()]


def options_of(msg, cls):
    """The options of `msg` that are `cls` instances, in order."""
    return [o for o in getattr(msg, "options", []) if isinstance(o, cls)]


# --- bindings ------------------------------------------------------------------------

ipv6nh[IPPROTO_SHIM6] = "Shim6"
# IPv6, its extension headers and IPerror6 find the class of next header 140 here.
ipv6nhcls[IPPROTO_SHIM6] = Shim6
bind_bottom_up(IPv6, Shim6, nh=IPPROTO_SHIM6)
for _lower in (IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
               IPv6ExtHdrFragment):
    for _upper in SHIM6_CLASSES:
        bind_top_down(_lower, _upper, nh=IPPROTO_SHIM6)
