// SPDX-License-Identifier: GPL-2.0

//! The walk `rv6_guard` makes over an IPv6 packet's header chain: the pure core.
//!
//! [`walk`] reads a packet from its IPv6 header on and yields, in packet order, each
//! extension header, each address the guard checks with `guard_addr`, the limits the chain
//! crosses, and where the chain ends.  The addresses are KAME's (§1.14) "in the IPv6 header
//! and inside the packet": the source and destination, a Home Address option's (RFC 6275
//! §6.3) in a Destination Options header, every address of a type 0 Routing header (RFC 2460
//! §4.4, deprecated by RFC 5095) and a type 2's (RFC 6275 §6.4), and the inner header's of
//! IPv6-in-IPv6, whose own chain is walked the same way (one level).
//!
//! The chain (RFC 8200 §4): each header's Next Header names the one after it, "the first one
//! that is not an extension header [IANA-EH] indicates that the next item in the packet is
//! the corresponding upper-layer header", and 59 says nothing follows.  IANA's extension
//! headers are Hop-by-Hop Options 0, Routing 43, Fragment 44 (8 octets), ESP 50, AH 51
//! (Payload Len + 2 four-octet units, RFC 4302 §2.2), Destination Options 60, Mobility 135,
//! HIP 139, Shim6 140 and the experimental 253 and 254; all but Fragment, ESP and AH give
//! their length in Hdr Ext Len as 8-octet units after the first 8 (RFC 6564 made that format
//! every new header's).  ESP is encrypted, so the walk stops there, as it does after a
//! Fragment header whose offset is not zero: what follows is the middle of the payload, not
//! a header (§4.5).  §4.1: nodes "must accept and attempt to process extension headers in
//! any order and occurring any number of times", so how many, and how long, is a local
//! limit, which is what KAME's `ip6_hdrnestlimit` was.
//!
//! RFC 8883 gives such limits their ICMPv6 errors, Parameter Problem (type 4) codes whose
//! Pointer "identifies the octet offset within the invoking packet where the problem
//! occurred" (§2.1), sent by any node that discards (§1.1: "Both intermediate nodes and end
//! hosts may apply limits"; only code 5 is for intermediate nodes alone, §2.2):
//!
//! - code 7, "Extension header chain too long" (§2.4): "a limit on the total size in octets
//!   of the header chain.  The ICMPv6 Pointer is set to the first octet beyond the limit";
//! - code 8, "Too many extension headers" (§2.5): "a limit on the number of extension
//!   headers in the chain.  The ICMPv6 Pointer is set to the offset of the first octet of
//!   the first extension header that is beyond the limit".
//!
//! §4.1 wants one error a packet and ranks code 7 above code 8; §6 wants a policy to send
//! none.  Codes 6, 9 and 10 (one header's size, its options' number and size) are limits
//! Linux already has, and code 5 (a Next Header an intermediate node does not know) is no
//! limit: the walk judges no protocol number.
//!
//! Linux 7.3 already enforces, and `rv6_guard` does not repeat:
//!
//! - `ipv6_parse_hopopts()` (from `ip6_rcv_core()`, so for forwarded packets too) and
//!   `ipv6_destopt_rcv()` (local delivery): a Hop-by-Hop or Destination Options header's
//!   length (`max_hbh_length`, `max_dst_opts_length`, no limit by default) and, in
//!   `ip6_parse_tlv()`, its options (`max_hbh_opts_number`, `max_dst_opts_number`, 8 by
//!   default), padding (7 octets at most) and PadN contents, silently;
//! - `ip6_protocol_deliver_rcu()` (local delivery): at most `IP6_MAX_EXT_HDRS_CNT` (12)
//!   extension headers, silently (drop reason `IPV6_TOO_MANY_EXTHDRS`);
//! - `ipv6_skip_exthdr()` (conntrack, NAT, several xtables matches) and `ipv6_find_hdr()`
//!   (ip6tables, nftables' exthdr) give up after the same 12, which conntrack counts as
//!   invalid and lets through (`nf_conntrack_in()`).
//!
//! So Linux caps the number of headers only on local delivery, at a fixed 12, without
//! ICMPv6, and caps no chain's length in octets; the guard's [`Limits`] apply to forwarded
//! packets as well and come with RFC 8883's codes.
//!
//! Each chain (the outer one, then the inner one) is measured from its own IPv6 header:
//! headers counted and octets summed from the first extension header after it; Pointers are
//! offsets in the whole packet.  Each limit is reported at most once a packet, where the
//! chain first crosses it (as a node discarding there would), code 7 first when one header
//! crosses both, so the module acts on the first [`Item::Violation`] its rules say to drop
//! for, and a count-only rule does not hide a dropping one.
//!
//! Pure `no_std` code, no allocation: it reads only within `packet` (a truncated packet
//! ends the walk with [`Item::Truncated`]), does work bounded by the packet's length, and
//! ignores the Payload Length fields (Linux has trimmed the packet to them).

/// Next Header values the walk knows (IANA's Assigned Internet Protocol Numbers).
pub mod proto {
    /// IPv6 Hop-by-Hop Options (RFC 8200 §4.3).
    pub const HOP_BY_HOP: u8 = 0;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 in IPv6 (RFC 2473).
    pub const IPV6: u8 = 41;
    /// Routing header (RFC 8200 §4.4).
    pub const ROUTING: u8 = 43;
    /// Fragment header (RFC 8200 §4.5).
    pub const FRAGMENT: u8 = 44;
    /// Encapsulating Security Payload (RFC 4303).
    pub const ESP: u8 = 50;
    /// Authentication Header (RFC 4302).
    pub const AH: u8 = 51;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// No Next Header (RFC 8200 §4.7).
    pub const NO_NEXT_HEADER: u8 = 59;
    /// Destination Options (RFC 8200 §4.6).
    pub const DESTINATION_OPTIONS: u8 = 60;
    /// SCTP.
    pub const SCTP: u8 = 132;
    /// Mobility header (RFC 6275 §6.1).
    pub const MOBILITY: u8 = 135;
    /// Host Identity Protocol (RFC 7401).
    pub const HIP: u8 = 139;
    /// Shim6 (RFC 5533).
    pub const SHIM6: u8 = 140;
    /// Use for experimentation and testing (RFC 3692, RFC 4727).
    pub const EXPERIMENT_253: u8 = 253;
    /// See [`EXPERIMENT_253`].
    pub const EXPERIMENT_254: u8 = 254;
}

/// ICMPv6 type Parameter Problem (RFC 4443 §3.4), under which RFC 8883 §2.1 puts its codes.
pub const ICMPV6_PARAMETER_PROBLEM: u8 = 4;

/// Option type of the Home Address destination option (RFC 6275 §6.3).
const OPT_HOME_ADDRESS: u8 = 0xc9;
/// Pad1, the one option without length and data (RFC 8200 §4.2).
const OPT_PAD1: u8 = 0;
/// Length of the IPv6 header.
const IPV6_HEADER_LEN: usize = 40;

/// What the guard allows a chain, each limit 0 for none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most extension headers (ESP included) one chain may hold.
    pub max_headers: u8,
    /// Most octets one chain's extension headers may take together (ESP's not counted: the
    /// walk does not know them).
    pub max_chain_bytes: u16,
}

/// A limit of [`Limits`], as RFC 8883 names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// [`Limits::max_headers`]: "Too many extension headers" (RFC 8883 §2.5).
    TooManyHeaders,
    /// [`Limits::max_chain_bytes`]: "Extension header chain too long" (RFC 8883 §2.4).
    ChainTooLong,
}

impl Limit {
    /// The Parameter Problem code RFC 8883 §2.1 gives the limit.
    pub const fn icmp_code(self) -> u8 {
        match self {
            Limit::ChainTooLong => 7,
            Limit::TooManyHeaders => 8,
        }
    }
}

/// A chain crossing one of its [`Limits`], with the ICMPv6 error RFC 8883 answers it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which limit.
    pub limit: Limit,
    /// The ICMPv6 Pointer: for [`Limit::TooManyHeaders`] the offset of the first header
    /// beyond the limit, for [`Limit::ChainTooLong`] that of the first octet beyond it.
    pub pointer: u32,
}

impl Violation {
    /// The ICMPv6 type to send: [`ICMPV6_PARAMETER_PROBLEM`].
    pub const fn icmp_type(&self) -> u8 {
        ICMPV6_PARAMETER_PROBLEM
    }

    /// The ICMPv6 code to send: [`Limit::icmp_code`].
    pub const fn icmp_code(&self) -> u8 {
        self.limit.icmp_code()
    }
}

/// Where in the packet an [`Item::Address`] was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// The IPv6 header's Source Address.
    Source,
    /// The IPv6 header's Destination Address.
    Destination,
    /// A Home Address option (type 0xc9, 16 octets of data) in a Destination Options header.
    HomeAddress,
    /// An address of a type 0 Routing header, or the one of a type 2 (Hdr Ext Len 2).
    Routing,
    /// The inner IPv6 header's Source Address (Next Header 41).
    InnerSource,
    /// The inner IPv6 header's Destination Address.
    InnerDestination,
}

/// Where the walk stopped, the chain read to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// A header that is no extension header, at `offset`: the upper layer (TCP, UDP,
    /// ICMPv6, SCTP, ...), a protocol the walk does not know, or IPv6 again inside the
    /// inner packet.  The walk reads none of it: `offset` may be the packet's length.
    Upper {
        /// Its protocol number.
        protocol: u8,
        /// Its offset.
        offset: usize,
    },
    /// An ESP header at `offset`: the rest is encrypted.
    Esp {
        /// Its offset.
        offset: usize,
    },
    /// No Next Header: nothing follows, whatever the packet holds after the chain.
    NoNextHeader,
    /// A Fragment header with a non-zero offset: what follows is the middle of `protocol`'s
    /// payload.
    LaterFragment {
        /// The Fragment header's Next Header.
        protocol: u8,
    },
}

/// What [`walk`] yields.  The last item is always one [`Item::End`] or [`Item::Truncated`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// An extension header, all of it within the packet (ESP gives [`End::Esp`] instead).
    Header {
        /// Its protocol number (the Next Header naming it).
        protocol: u8,
        /// Its offset.
        offset: usize,
        /// Its length in octets.
        len: usize,
    },
    /// An address to check, at `offset`.
    Address {
        /// Where it was found.
        place: Place,
        /// Its offset.
        offset: usize,
        /// The address.
        address: [u8; 16],
    },
    /// A limit crossed, just before the header that crosses it.
    Violation(Violation),
    /// The chain's end.
    End(End),
    /// The packet ends inside the header at `offset` (cut short, or lying about a length):
    /// no ICMPv6 error belongs to this.
    Truncated {
        /// The offset of that header.
        offset: usize,
    },
}

/// Walks `packet`, which starts with its IPv6 header, against `limits`.
pub fn walk(packet: &[u8], limits: Limits) -> Walk<'_> {
    Walk {
        packet,
        limits,
        base: 0,
        next: 0,
        at: 0,
        headers: 0,
        reported_headers: false,
        reported_bytes: false,
        step: Step::Source,
    }
}

/// The iterator [`walk`] returns.
#[derive(Clone, Debug)]
pub struct Walk<'a> {
    packet: &'a [u8],
    limits: Limits,
    /// Offset of the IPv6 header whose chain is being walked: 0, then the inner one's.
    base: usize,
    /// Next Header value and offset of the header to read next.
    next: u8,
    at: usize,
    /// Extension headers of this chain so far.
    headers: usize,
    /// Whether each limit has been reported (once a packet).
    reported_headers: bool,
    reported_bytes: bool,
    step: Step,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    /// The addresses of the IPv6 header at `base`.
    Source,
    Destination,
    /// The header named `next` at `at`.
    Chain,
    /// The extension header at `at`, `len` octets (if the packet holds them), once the
    /// second violation it crossed, if any, is yielded.
    Header {
        len: usize,
        pending: Option<Violation>,
    },
    /// Destination options in `pos..end` to look through for Home Addresses.
    Options {
        pos: usize,
        end: usize,
    },
    /// Routing header addresses in `pos..end`.
    Addresses {
        pos: usize,
        end: usize,
    },
    /// The end, after the header before it.
    Finish(End),
    Done,
}

impl Walk<'_> {
    /// The address at `offset`, which the callers know to be within the packet.
    fn address(&self, place: Place, offset: usize) -> Option<Item> {
        let address = self.packet.get(offset..offset + 16)?.try_into().ok()?;
        Some(Item::Address {
            place,
            offset,
            address,
        })
    }

    /// Counts the header at `at`, `len` octets (`None`: ESP's, unknown), and returns the
    /// limits not yet reported that it crosses, code 7 before code 8 (RFC 8883 §4.1).
    fn count(&mut self, len: Option<usize>) -> [Option<Violation>; 2] {
        self.headers += 1;
        let chain_start = self.base + IPV6_HEADER_LEN;
        let max_bytes = usize::from(self.limits.max_chain_bytes);
        let max_headers = usize::from(self.limits.max_headers);
        let pointer = |offset: usize| u32::try_from(offset).unwrap_or(u32::MAX);
        let mut crossed = [None, None];
        if let Some(len) = len {
            if !self.reported_bytes && max_bytes != 0 && self.at + len - chain_start > max_bytes {
                self.reported_bytes = true;
                crossed[0] = Some(Violation {
                    limit: Limit::ChainTooLong,
                    pointer: pointer(chain_start + max_bytes),
                });
            }
        }
        if !self.reported_headers && max_headers != 0 && self.headers > max_headers {
            self.reported_headers = true;
            crossed[1] = Some(Violation {
                limit: Limit::TooManyHeaders,
                pointer: pointer(self.at),
            });
        }
        crossed
    }

    /// The header at `at`, known to fit: its item, and what to look at inside it.
    fn header(&mut self, len: usize) -> Item {
        let at = self.at;
        let byte = |i: usize| self.packet.get(at + i).copied().unwrap_or(0);
        let protocol = self.next;
        self.step = match protocol {
            proto::DESTINATION_OPTIONS => Step::Options {
                pos: at + 2,
                end: at + len,
            },
            proto::ROUTING => match (byte(2), byte(1)) {
                // Type 0: Hdr Ext Len is twice the number of addresses (RFC 2460 §4.4).
                (0, hdr_ext_len) => Step::Addresses {
                    pos: at + 8,
                    end: at + 8 + 16 * usize::from(hdr_ext_len / 2),
                },
                (2, 2) => Step::Addresses {
                    pos: at + 8,
                    end: at + 24,
                },
                _ => Step::Chain,
            },
            proto::FRAGMENT if u16::from_be_bytes([byte(2), byte(3)]) & !7 != 0 => {
                Step::Finish(End::LaterFragment { protocol: byte(0) })
            }
            _ => Step::Chain,
        };
        self.next = byte(0);
        self.at = at + len;
        Item::Header {
            protocol,
            offset: at,
            len,
        }
    }

    /// Yields `item`, the walk's last.
    fn stop(&mut self, item: Item) -> Option<Item> {
        self.step = Step::Done;
        Some(item)
    }
}

impl Iterator for Walk<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            match self.step {
                Step::Done => return None,
                Step::Source => {
                    if self.packet.len() < self.base + IPV6_HEADER_LEN {
                        let offset = self.base;
                        return self.stop(Item::Truncated { offset });
                    }
                    self.step = Step::Destination;
                    let place = if self.base == 0 {
                        Place::Source
                    } else {
                        Place::InnerSource
                    };
                    return self.address(place, self.base + 8);
                }
                Step::Destination => {
                    self.next = self.packet.get(self.base + 6).copied().unwrap_or(0);
                    self.at = self.base + IPV6_HEADER_LEN;
                    self.headers = 0;
                    self.step = Step::Chain;
                    let place = if self.base == 0 {
                        Place::Destination
                    } else {
                        Place::InnerDestination
                    };
                    return self.address(place, self.base + 24);
                }
                Step::Chain => {
                    let at = self.at;
                    let len = match self.next {
                        proto::NO_NEXT_HEADER => return self.stop(Item::End(End::NoNextHeader)),
                        proto::IPV6 if self.base == 0 => {
                            self.base = at;
                            self.step = Step::Source;
                            continue;
                        }
                        proto::ESP => {
                            self.step = Step::Finish(End::Esp { offset: at });
                            match self.count(None) {
                                [_, Some(v)] => return Some(Item::Violation(v)),
                                _ => continue,
                            }
                        }
                        protocol @ (proto::HOP_BY_HOP
                        | proto::ROUTING
                        | proto::FRAGMENT
                        | proto::AH
                        | proto::DESTINATION_OPTIONS
                        | proto::MOBILITY
                        | proto::HIP
                        | proto::SHIM6
                        | proto::EXPERIMENT_253
                        | proto::EXPERIMENT_254) => {
                            let Some(&units) = self.packet.get(at + 1) else {
                                return self.stop(Item::Truncated { offset: at });
                            };
                            match protocol {
                                proto::FRAGMENT => 8,
                                // Payload Len: 4-octet units, minus 2 (RFC 4302 §2.2).
                                proto::AH => (usize::from(units) + 2) * 4,
                                // Hdr Ext Len: 8-octet units, the first 8 not counted.
                                _ => (usize::from(units) + 1) * 8,
                            }
                        }
                        protocol => {
                            return self.stop(Item::End(End::Upper {
                                protocol,
                                offset: at,
                            }))
                        }
                    };
                    let [first, second] = self.count(Some(len));
                    self.step = Step::Header {
                        len,
                        pending: second.filter(|_| first.is_some()),
                    };
                    if let Some(v) = first.or(second) {
                        return Some(Item::Violation(v));
                    }
                }
                Step::Header { len, pending } => {
                    if let Some(v) = pending {
                        self.step = Step::Header { len, pending: None };
                        return Some(Item::Violation(v));
                    }
                    if self.packet.get(self.at..self.at + len).is_none() {
                        let offset = self.at;
                        return self.stop(Item::Truncated { offset });
                    }
                    return Some(self.header(len));
                }
                Step::Options { mut pos, end } => {
                    self.step = Step::Chain;
                    while let Some(&kind) = self.packet.get(pos).filter(|_| pos < end) {
                        if kind == OPT_PAD1 {
                            pos += 1;
                            continue;
                        }
                        let Some(&data_len) = self.packet.get(pos + 1).filter(|_| pos + 2 <= end)
                        else {
                            break;
                        };
                        let next = pos + 2 + usize::from(data_len);
                        if next > end {
                            break;
                        }
                        if kind == OPT_HOME_ADDRESS && data_len == 16 {
                            self.step = Step::Options { pos: next, end };
                            return self.address(Place::HomeAddress, pos + 2);
                        }
                        pos = next;
                    }
                }
                Step::Addresses { pos, end } => {
                    if pos + 16 <= end {
                        self.step = Step::Addresses { pos: pos + 16, end };
                        return self.address(Place::Routing, pos);
                    }
                    self.step = Step::Chain;
                }
                Step::Finish(end) => return self.stop(Item::End(end)),
            }
        }
    }
}

impl core::iter::FusedIterator for Walk<'_> {}
