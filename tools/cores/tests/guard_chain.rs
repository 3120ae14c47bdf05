//! The header-chain walk of rv6_guard (`net/ipv6/netfilter/guard_chain.rs`): every header
//! kind's length, the addresses it finds and where, RFC 8883's codes and Pointers at and
//! one past each limit, and truncated or random packets.
use proptest::prelude::*;
use rv6_cores::guard_chain::{
    proto::*,
    *, //
};

const SRC: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn addr(last: u8) -> [u8; 16] {
    let mut a = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    a[15] = last;
    a
}

fn items(packet: &[u8], limits: Limits) -> Vec<Item> {
    walk(packet, limits).collect()
}

fn none() -> Limits {
    Limits::default()
}

fn at(place: Place, offset: usize, address: [u8; 16]) -> Item {
    Item::Address {
        place,
        offset,
        address,
    }
}

fn header(protocol: u8, offset: usize, len: usize) -> Item {
    Item::Header {
        protocol,
        offset,
        len,
    }
}

fn upper(protocol: u8, offset: usize) -> Item {
    Item::End(End::Upper { protocol, offset })
}

fn violation(limit: Limit, pointer: u32) -> Item {
    Item::Violation(Violation { limit, pointer })
}

/// A packet under construction, with the items the walk must yield for it (violations
/// apart: [`Packet::expected`] adds those from its own count of the headers).
#[derive(Clone, Debug)]
struct Packet {
    bytes: Vec<u8>,
    /// The Next Header field the next header's number goes into.
    next_at: usize,
    /// The IPv6 header whose chain is being built.
    base: usize,
    items: Vec<Item>,
    /// Each extension header: its chain's IPv6 header, its offset, its length (`None`:
    /// ESP's) and the index of its item in `items`.
    headers: Vec<(usize, usize, Option<usize>, usize)>,
}

impl Packet {
    fn new(src: [u8; 16], dst: [u8; 16]) -> Self {
        let mut bytes = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
        bytes.extend_from_slice(&src);
        bytes.extend_from_slice(&dst);
        Packet {
            bytes,
            next_at: 6,
            base: 0,
            items: vec![at(Place::Source, 8, src), at(Place::Destination, 24, dst)],
            headers: Vec::new(),
        }
    }

    /// Appends an extension header (`bytes[0]` is filled in later), whose addresses are at
    /// these offsets in it.
    fn push(mut self, protocol: u8, bytes: Vec<u8>, addresses: &[(Place, usize)]) -> Self {
        let offset = self.bytes.len();
        self.bytes[self.next_at] = protocol;
        self.headers
            .push((self.base, offset, Some(bytes.len()), self.items.len()));
        self.items.push(header(protocol, offset, bytes.len()));
        for &(place, rel) in addresses {
            let a = bytes[rel..rel + 16].try_into().unwrap();
            self.items.push(at(place, offset + rel, a));
        }
        self.next_at = offset;
        self.bytes.extend_from_slice(&bytes);
        self
    }

    /// A header in the generic format, `units` 8-octet units after the first 8, all zero
    /// (Pad1s, for the options headers).
    fn generic(self, protocol: u8, units: u8) -> Self {
        let mut b = vec![0; (usize::from(units) + 1) * 8];
        b[1] = units;
        self.push(protocol, b, &[])
    }

    /// Destination Options with a Home Address option (PadN 4, then the option at 8n+6).
    fn hao(self, home: [u8; 16]) -> Self {
        let mut b = vec![0, 2, 1, 2, 0, 0, 0xc9, 16];
        b.extend_from_slice(&home);
        self.push(DESTINATION_OPTIONS, b, &[(Place::HomeAddress, 8)])
    }

    /// A Routing header of `kind` with these addresses; `found` whether the walk reports them.
    fn routing(self, kind: u8, addresses: &[[u8; 16]], found: bool) -> Self {
        let n = u8::try_from(addresses.len()).unwrap();
        let mut b = vec![0, 2 * n, kind, n, 0, 0, 0, 0];
        let mut places = Vec::new();
        for a in addresses {
            if found {
                places.push((Place::Routing, b.len()));
            }
            b.extend_from_slice(a);
        }
        self.push(ROUTING, b, &places)
    }

    fn fragment(self, offset: u16, more: bool) -> Self {
        let f = (offset << 3 | u16::from(more)).to_be_bytes();
        self.push(
            FRAGMENT,
            vec![0, 0, f[0], f[1], 0xde, 0xad, 0xbe, 0xef],
            &[],
        )
    }

    /// An AH whose Payload Len is `payload_len`, so (`payload_len` + 2) * 4 octets.
    fn ah(self, payload_len: u8) -> Self {
        let mut b = vec![0xa5; (usize::from(payload_len) + 2) * 4];
        b[1] = payload_len;
        b[2] = 0;
        b[3] = 0;
        self.push(AH, b, &[])
    }

    fn inner(mut self, src: [u8; 16], dst: [u8; 16]) -> Self {
        let base = self.bytes.len();
        self.bytes[self.next_at] = IPV6;
        let mut outer = Packet::new(src, dst);
        self.bytes.append(&mut outer.bytes);
        self.items.push(at(Place::InnerSource, base + 8, src));
        self.items.push(at(Place::InnerDestination, base + 24, dst));
        self.next_at = base + 6;
        self.base = base;
        self
    }

    fn upper(mut self, protocol: u8, payload: &[u8]) -> Self {
        self.bytes[self.next_at] = protocol;
        self.items.push(upper(protocol, self.bytes.len()));
        self.bytes.extend_from_slice(payload);
        self
    }

    fn esp(mut self, payload: &[u8]) -> Self {
        let offset = self.bytes.len();
        self.bytes[self.next_at] = ESP;
        self.headers
            .push((self.base, offset, None, self.items.len()));
        self.items.push(Item::End(End::Esp { offset }));
        self.bytes.extend_from_slice(payload);
        self
    }

    fn no_next(mut self, trailer: &[u8]) -> Self {
        self.bytes[self.next_at] = NO_NEXT_HEADER;
        self.items.push(Item::End(End::NoNextHeader));
        self.bytes.extend_from_slice(trailer);
        self
    }

    fn later_fragment(self, protocol: u8, offset: u16, data: &[u8]) -> Self {
        let mut p = self.fragment(offset, true);
        let at = p.next_at;
        p.bytes[at] = protocol;
        p.items.push(Item::End(End::LaterFragment { protocol }));
        p.bytes.extend_from_slice(data);
        p
    }

    /// The items with the violations of `limits` in: each limit once, before the first
    /// header past it, counted per chain, code 7 before code 8.
    fn expected(&self, limits: Limits) -> Vec<Item> {
        let (max_headers, max_bytes) = (
            usize::from(limits.max_headers),
            usize::from(limits.max_chain_bytes),
        );
        let mut out = Vec::new();
        let mut copied = 0;
        let (mut chain, mut count) = (usize::MAX, 0);
        let (mut headers_done, mut bytes_done) = (false, false);
        for &(base, offset, len, index) in &self.headers {
            out.extend_from_slice(&self.items[copied..index]);
            copied = index;
            if base != chain {
                (chain, count) = (base, 0);
            }
            count += 1;
            let first = base + 40;
            if len.is_some_and(|len| offset + len - first > max_bytes)
                && max_bytes > 0
                && !bytes_done
            {
                bytes_done = true;
                let pointer = u32::try_from(first + max_bytes).unwrap();
                out.push(violation(Limit::ChainTooLong, pointer));
            }
            if count > max_headers && max_headers > 0 && !headers_done {
                headers_done = true;
                let pointer = u32::try_from(offset).unwrap();
                out.push(violation(Limit::TooManyHeaders, pointer));
            }
        }
        out.extend_from_slice(&self.items[copied..]);
        out
    }

    fn check(&self, limits: Limits) {
        assert_eq!(items(&self.bytes, limits), self.expected(limits));
    }
}

/// `part`, the walk of a prefix of a packet whose walk is `full`, is `full`, or a prefix of
/// it then `Truncated` at an offset inside the prefix.
fn prefix_of(full: &[Item], part: &[Item], cut: usize) -> Result<(), String> {
    match part.split_last() {
        _ if part == full => Ok(()),
        Some((Item::Truncated { offset }, before))
            if *offset <= cut && full.len() >= before.len() && full[..before.len()] == *before =>
        {
            Ok(())
        }
        _ => Err(format!("cut {cut}: {part:?} is no prefix of {full:?}")),
    }
}

#[test]
fn a_packet_without_extension_headers_yields_its_addresses_then_the_upper_layer() {
    let mut p = vec![0x60, 0, 0, 0, 0, 20, TCP, 64];
    p.extend_from_slice(&SRC);
    p.extend_from_slice(&DST);
    p.extend_from_slice(&[0; 20]);
    assert_eq!(
        items(&p, none()),
        [
            at(Place::Source, 8, SRC),
            at(Place::Destination, 24, DST),
            upper(TCP, 40)
        ]
    );
}

#[test]
fn generic_headers_are_hdr_ext_len_plus_one_times_eight_octets() {
    for protocol in [
        HOP_BY_HOP,
        DESTINATION_OPTIONS,
        MOBILITY,
        HIP,
        SHIM6,
        EXPERIMENT_253,
        EXPERIMENT_254,
    ] {
        for units in [0u8, 1, 2, 255] {
            let p = Packet::new(SRC, DST)
                .generic(protocol, units)
                .upper(UDP, &[0; 8]);
            let len = (usize::from(units) + 1) * 8;
            assert_eq!(
                items(&p.bytes, none())[2..],
                [header(protocol, 40, len), upper(UDP, 40 + len)],
                "{protocol} {units}"
            );
        }
    }
}

#[test]
fn ah_is_payload_len_plus_two_times_four_octets() {
    for (payload_len, len) in [(0u8, 8), (1, 12), (4, 24), (255, 1028)] {
        let p = Packet::new(SRC, DST).ah(payload_len).upper(TCP, &[0; 20]);
        assert_eq!(
            items(&p.bytes, none())[2..],
            [header(AH, 40, len), upper(TCP, 40 + len)],
            "{payload_len}"
        );
    }
}

#[test]
fn a_first_fragment_is_walked_through_and_a_later_one_ends_the_walk() {
    for more in [false, true] {
        let p = Packet::new(SRC, DST).fragment(0, more).upper(TCP, &[0; 20]);
        assert_eq!(
            items(&p.bytes, none())[2..],
            [header(FRAGMENT, 40, 8), upper(TCP, 48)]
        );
    }
    // What follows a later fragment looks like a Destination Options header with a Home
    // Address option; it is payload, and not read.
    let looks_like_hao = Packet::new(SRC, DST).hao(addr(9)).bytes[40..].to_vec();
    for offset in [1, 0x1fff] {
        let p = Packet::new(SRC, DST).later_fragment(DESTINATION_OPTIONS, offset, &looks_like_hao);
        assert_eq!(
            items(&p.bytes, none())[2..],
            [
                header(FRAGMENT, 40, 8),
                Item::End(End::LaterFragment {
                    protocol: DESTINATION_OPTIONS
                })
            ]
        );
    }
}

#[test]
fn esp_no_next_header_and_upper_layers_end_the_walk_unread() {
    let looks_like_rh0 = Packet::new(SRC, DST).routing(0, &[addr(7)], true).bytes[40..].to_vec();
    let p = Packet::new(SRC, DST)
        .generic(HOP_BY_HOP, 0)
        .esp(&looks_like_rh0);
    assert_eq!(
        items(&p.bytes, none())[2..],
        [
            header(HOP_BY_HOP, 40, 8),
            Item::End(End::Esp { offset: 48 })
        ]
    );
    let p = Packet::new(SRC, DST).no_next(&looks_like_rh0);
    assert_eq!(items(&p.bytes, none())[2..], [Item::End(End::NoNextHeader)]);
    for protocol in [TCP, UDP, ICMPV6, SCTP, 4, 47, 200, 255] {
        let p = Packet::new(SRC, DST).upper(protocol, &looks_like_rh0);
        assert_eq!(items(&p.bytes, none())[2..], [upper(protocol, 40)]);
    }
    // The walk reads nothing of the upper layer: there may be none in the packet.
    let p = Packet::new(SRC, DST)
        .generic(DESTINATION_OPTIONS, 0)
        .upper(TCP, &[]);
    assert_eq!(items(&p.bytes, none()).last(), Some(&upper(TCP, 48)));
}

#[test]
fn a_home_address_option_is_found_at_its_offset() {
    let p = Packet::new(SRC, DST).hao(addr(0x99)).upper(TCP, &[0; 20]);
    assert_eq!(
        items(&p.bytes, none())[2..],
        [
            header(DESTINATION_OPTIONS, 40, 24),
            at(Place::HomeAddress, 48, addr(0x99)),
            upper(TCP, 64)
        ]
    );
}

#[test]
fn home_address_options_are_found_after_pad1_and_each_one_is_reported() {
    // Pad1 x3, HAO, Pad1, PadN 2, HAO, Pad1 x4: 2 + 3 + 18 + 1 + 2 + 18 + 4 = 48 octets.
    let mut b = vec![0, 5, 0, 0, 0, 0xc9, 16];
    b.extend_from_slice(&addr(1));
    b.extend_from_slice(&[0, 1, 0, 0xc9, 16]);
    b.extend_from_slice(&addr(2));
    b.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(b.len(), 48);
    let p = Packet::new(SRC, DST)
        .push(
            DESTINATION_OPTIONS,
            b,
            &[(Place::HomeAddress, 7), (Place::HomeAddress, 28)],
        )
        .upper(TCP, &[]);
    p.check(none());
    assert_eq!(
        items(&p.bytes, none())[3..5],
        [
            at(Place::HomeAddress, 47, addr(1)),
            at(Place::HomeAddress, 68, addr(2))
        ]
    );
}

#[test]
fn malformed_or_misplaced_home_address_options_are_not_reported() {
    // Opt Data Len 18, not 16 (then two Pad1).
    let mut wrong_len = vec![0, 2, 0xc9, 18];
    wrong_len.extend_from_slice(&addr(3));
    wrong_len.extend_from_slice(&[0, 0, 0, 0]);
    // Overrunning its header: 16 octets of data where 8 are left.
    let mut overrun = vec![0, 1, 1, 2, 0, 0, 0xc9, 16];
    overrun.extend_from_slice(&addr(4)[..8]);
    // Hop-by-Hop Options: no place for a Home Address option.
    let mut in_hbh = vec![0, 2, 1, 2, 0, 0, 0xc9, 16];
    in_hbh.extend_from_slice(&addr(5));
    for (protocol, b) in [
        (DESTINATION_OPTIONS, wrong_len),
        (DESTINATION_OPTIONS, overrun),
        (HOP_BY_HOP, in_hbh),
    ] {
        let len = b.len();
        let p = Packet::new(SRC, DST).push(protocol, b, &[]).upper(TCP, &[]);
        assert_eq!(
            items(&p.bytes, none())[2..],
            [header(protocol, 40, len), upper(TCP, 40 + len)]
        );
    }
}

#[test]
fn every_address_of_a_type_0_routing_header_is_found() {
    let p = Packet::new(SRC, DST)
        .routing(0, &[addr(1), addr(2), addr(3)], true)
        .upper(UDP, &[0; 8]);
    assert_eq!(
        items(&p.bytes, none())[2..],
        [
            header(ROUTING, 40, 56),
            at(Place::Routing, 48, addr(1)),
            at(Place::Routing, 64, addr(2)),
            at(Place::Routing, 80, addr(3)),
            upper(UDP, 96)
        ]
    );
    // No address, and an odd Hdr Ext Len (7: 64 octets, room for 3 addresses and 8 more).
    let p = Packet::new(SRC, DST).routing(0, &[], true).upper(UDP, &[]);
    assert_eq!(
        items(&p.bytes, none())[2..],
        [header(ROUTING, 40, 8), upper(UDP, 48)]
    );
    let mut odd = vec![0, 7, 0, 3, 0, 0, 0, 0];
    for i in 1..=3 {
        odd.extend_from_slice(&addr(i));
    }
    odd.extend_from_slice(&addr(4)[..8]);
    let p = Packet::new(SRC, DST)
        .push(
            ROUTING,
            odd,
            &[
                (Place::Routing, 8),
                (Place::Routing, 24),
                (Place::Routing, 40),
            ],
        )
        .upper(UDP, &[]);
    p.check(none());
}

#[test]
fn a_type_2_routing_headers_address_is_found_with_hdr_ext_len_2_only() {
    let p = Packet::new(SRC, DST)
        .routing(2, &[addr(0x22)], true)
        .upper(TCP, &[]);
    assert_eq!(
        items(&p.bytes, none())[2..],
        [
            header(ROUTING, 40, 24),
            at(Place::Routing, 48, addr(0x22)),
            upper(TCP, 64)
        ]
    );
    // Type 2 with two addresses (Hdr Ext Len 4), segment routing (4) and RPL (3) headers.
    for (kind, n) in [(2, 2), (4, 1), (4, 2), (3, 1)] {
        let list: Vec<_> = (0..n).map(addr).collect();
        let p = Packet::new(SRC, DST)
            .routing(kind, &list, false)
            .upper(TCP, &[]);
        let len = 8 + 16 * usize::from(n);
        assert_eq!(
            items(&p.bytes, none())[2..],
            [header(ROUTING, 40, len), upper(TCP, 40 + len)],
            "type {kind}"
        );
    }
}

#[test]
fn the_inner_headers_addresses_and_chain_are_walked() {
    let p = Packet::new(SRC, DST)
        .generic(DESTINATION_OPTIONS, 0)
        .inner(addr(0x11), addr(0x12))
        .routing(0, &[addr(0x13)], true)
        .hao(addr(0x14))
        .upper(UDP, &[0; 8]);
    assert_eq!(
        items(&p.bytes, none()),
        [
            at(Place::Source, 8, SRC),
            at(Place::Destination, 24, DST),
            header(DESTINATION_OPTIONS, 40, 8),
            at(Place::InnerSource, 56, addr(0x11)),
            at(Place::InnerDestination, 72, addr(0x12)),
            header(ROUTING, 88, 24),
            at(Place::Routing, 96, addr(0x13)),
            header(DESTINATION_OPTIONS, 112, 24),
            at(Place::HomeAddress, 120, addr(0x14)),
            upper(UDP, 136)
        ]
    );
}

#[test]
fn ipv6_inside_the_inner_packet_ends_the_walk() {
    let p = Packet::new(SRC, DST)
        .inner(addr(1), addr(2))
        .upper(IPV6, &Packet::new(addr(3), addr(4)).bytes);
    assert_eq!(items(&p.bytes, none()).last(), Some(&upper(IPV6, 80)));
    p.check(none());
}

/// `n` Destination Options headers of 8 octets, then TCP.
fn options_chain(n: usize) -> Packet {
    (0..n)
        .fold(Packet::new(SRC, DST), |p, _| {
            p.generic(DESTINATION_OPTIONS, 0)
        })
        .upper(TCP, &[0; 20])
}

#[test]
fn too_many_headers_at_and_one_past_the_limit() {
    for n in 1..=6usize {
        let p = options_chain(n);
        let max = u8::try_from(n).unwrap();
        let at_limit = Limits {
            max_headers: max,
            ..none()
        };
        assert_eq!(items(&p.bytes, at_limit), p.items, "{n} headers, limit {n}");
        if n == 1 {
            continue;
        }
        let past = Limits {
            max_headers: max - 1,
            ..none()
        };
        let walked = items(&p.bytes, past);
        let last = 40 + 8 * (n - 1);
        let v = Violation {
            limit: Limit::TooManyHeaders,
            pointer: u32::try_from(last).unwrap(),
        };
        assert_eq!((v.icmp_type(), v.icmp_code()), (4, 8));
        // Just before the header beyond the limit; the walk goes on to the end.
        let i = walked
            .iter()
            .position(|i| *i == Item::Violation(v))
            .unwrap();
        assert_eq!(walked[i + 1], header(DESTINATION_OPTIONS, last, 8));
        assert_eq!(walked.len(), p.items.len() + 1);
        assert_eq!(walked.last(), Some(&upper(TCP, last + 8)));
    }
    // The largest limit: 255 headers pass, the 256th does not.
    let p = options_chain(255);
    let max = Limits {
        max_headers: 255,
        ..none()
    };
    assert_eq!(items(&p.bytes, max), p.items);
    let p = options_chain(256);
    assert!(items(&p.bytes, max).contains(&violation(Limit::TooManyHeaders, 40 + 255 * 8)));
}

#[test]
fn chain_too_long_at_and_one_past_the_limit() {
    // 16 + 12 + 8 + 24 = 60 octets of extension headers.
    let p = Packet::new(SRC, DST)
        .generic(HOP_BY_HOP, 1)
        .ah(1)
        .fragment(0, true)
        .routing(2, &[addr(5)], true)
        .upper(TCP, &[0; 20]);
    let at_limit = Limits {
        max_chain_bytes: 60,
        ..none()
    };
    assert_eq!(items(&p.bytes, at_limit), p.items);
    let past = Limits {
        max_chain_bytes: 59,
        ..none()
    };
    let walked = items(&p.bytes, past);
    // The first octet beyond the limit, 40 + 59, is the Routing header's last.
    let v = Violation {
        limit: Limit::ChainTooLong,
        pointer: 99,
    };
    assert_eq!((v.icmp_type(), v.icmp_code()), (4, 7));
    let i = walked
        .iter()
        .position(|i| *i == Item::Violation(v))
        .unwrap();
    assert_eq!(walked[i + 1], header(ROUTING, 76, 24));
    assert_eq!(walked.len(), p.items.len() + 1);
    // A limit inside the first header: the Pointer is inside it too.
    for (max, pointer) in [(1, 41), (8, 48), (15, 55)] {
        let limits = Limits {
            max_chain_bytes: max,
            ..none()
        };
        assert_eq!(
            items(&p.bytes, limits)[2..4],
            [
                violation(Limit::ChainTooLong, pointer),
                header(HOP_BY_HOP, 40, 16)
            ]
        );
    }
    // The largest limit, 65535 octets: 31 headers of 2048, an AH of 1028 and 1016 more make
    // 65532 and pass; 8 more cross it, at 40 + 65535.
    let big = (0..31).fold(Packet::new(SRC, DST), |p, _| {
        p.generic(DESTINATION_OPTIONS, 255)
    });
    let big = big.ah(255).generic(DESTINATION_OPTIONS, 126);
    let max = Limits {
        max_chain_bytes: u16::MAX,
        ..none()
    };
    let p = big.clone().upper(TCP, &[]);
    assert_eq!(p.bytes.len(), 40 + 65532);
    assert_eq!(items(&p.bytes, max), p.items);
    let p = big.generic(HOP_BY_HOP, 0).upper(TCP, &[]);
    let walked = items(&p.bytes, max);
    assert_eq!(
        walked[walked.len() - 3..],
        [
            violation(Limit::ChainTooLong, 40 + 65535),
            header(HOP_BY_HOP, 40 + 65532, 8),
            upper(TCP, 40 + 65540)
        ]
    );
}

#[test]
fn esp_counts_as_a_header_but_not_in_octets() {
    let p = Packet::new(SRC, DST)
        .generic(DESTINATION_OPTIONS, 0)
        .generic(DESTINATION_OPTIONS, 0)
        .esp(&[0xff; 64]);
    let two = Limits {
        max_headers: 2,
        max_chain_bytes: 16,
    };
    assert_eq!(
        items(&p.bytes, two)[4..],
        [
            violation(Limit::TooManyHeaders, 56),
            Item::End(End::Esp { offset: 56 })
        ]
    );
    let three = Limits {
        max_headers: 3,
        max_chain_bytes: 16,
    };
    assert_eq!(items(&p.bytes, three), p.items);
}

#[test]
fn a_header_crossing_both_limits_gives_code_7_then_code_8() {
    let p = options_chain(3);
    let limits = Limits {
        max_headers: 2,
        max_chain_bytes: 20,
    };
    assert_eq!(
        items(&p.bytes, limits)[4..7],
        [
            violation(Limit::ChainTooLong, 60),
            violation(Limit::TooManyHeaders, 56),
            header(DESTINATION_OPTIONS, 56, 8)
        ]
    );
    p.check(limits);
}

#[test]
fn each_limit_is_reported_once_where_the_chain_first_crosses_it() {
    let p = options_chain(6);
    let limits = Limits {
        max_headers: 2,
        max_chain_bytes: 32,
    };
    let walked = items(&p.bytes, limits);
    let violations: Vec<_> = walked
        .iter()
        .filter(|i| matches!(i, Item::Violation(_)))
        .collect();
    assert_eq!(
        violations,
        [
            &violation(Limit::TooManyHeaders, 56),
            &violation(Limit::ChainTooLong, 72)
        ]
    );
    assert_eq!(walked.len(), p.items.len() + 2);
    assert_eq!(walked.last(), Some(&upper(TCP, 88)));
    p.check(limits);
}

#[test]
fn the_inner_chain_is_measured_from_its_own_header() {
    let two_and_two = Packet::new(SRC, DST)
        .generic(DESTINATION_OPTIONS, 0)
        .generic(DESTINATION_OPTIONS, 1)
        .inner(addr(1), addr(2))
        .generic(HOP_BY_HOP, 1)
        .generic(DESTINATION_OPTIONS, 0);
    let limits = Limits {
        max_headers: 2,
        max_chain_bytes: 24,
    };
    let p = two_and_two.clone().upper(TCP, &[]);
    assert_eq!(items(&p.bytes, limits), p.items);
    // Inner header at 64; its chain starts at 104: 16 + 8 + 8 octets, three headers.
    let p = two_and_two.generic(DESTINATION_OPTIONS, 0).upper(TCP, &[]);
    let walked = items(&p.bytes, limits);
    assert_eq!(
        walked[walked.len() - 4..],
        [
            violation(Limit::ChainTooLong, 128),
            violation(Limit::TooManyHeaders, 128),
            header(DESTINATION_OPTIONS, 128, 8),
            upper(TCP, 136)
        ]
    );
    p.check(limits);
}

#[test]
fn a_limit_crossed_outside_is_not_reported_again_inside() {
    let p = Packet::new(SRC, DST)
        .generic(DESTINATION_OPTIONS, 0)
        .generic(DESTINATION_OPTIONS, 0)
        .inner(addr(1), addr(2))
        .generic(DESTINATION_OPTIONS, 0)
        .generic(DESTINATION_OPTIONS, 0)
        .upper(UDP, &[]);
    let one = Limits {
        max_headers: 1,
        ..none()
    };
    let walked = items(&p.bytes, one);
    let violations: Vec<_> = walked
        .iter()
        .filter(|i| matches!(i, Item::Violation(_)))
        .collect();
    assert_eq!(violations, [&violation(Limit::TooManyHeaders, 48)]);
    p.check(one);
}

#[test]
fn zero_is_no_limit() {
    let p = options_chain(1000);
    assert_eq!(items(&p.bytes, none()), p.items);
    let only_bytes = Limits {
        max_headers: 0,
        max_chain_bytes: 8000,
    };
    assert_eq!(items(&p.bytes, only_bytes), p.items);
    let only_count = Limits {
        max_headers: 255,
        max_chain_bytes: 0,
    };
    assert_eq!(
        items(&p.bytes, only_count)
            .iter()
            .filter(|i| matches!(i, Item::Violation(_)))
            .count(),
        1
    );
}

#[test]
fn a_packet_shorter_than_its_ipv6_header_is_truncated_at_0() {
    let p = Packet::new(SRC, DST).upper(TCP, &[]);
    for len in 0..40 {
        assert_eq!(
            items(&p.bytes[..len], none()),
            [Item::Truncated { offset: 0 }]
        );
    }
    assert_eq!(items(&p.bytes, none()), p.items);
}

#[test]
fn a_header_longer_than_what_is_left_is_truncated_at_its_offset() {
    // Hdr Ext Len 5 says 48 octets; 16 are there.
    let mut p = Packet::new(SRC, DST).generic(DESTINATION_OPTIONS, 1).bytes;
    p[41] = 5;
    assert_eq!(items(&p, none())[2..], [Item::Truncated { offset: 40 }]);
    // An inner header cut short.
    let p = Packet::new(SRC, DST)
        .generic(HOP_BY_HOP, 0)
        .inner(addr(1), addr(2));
    assert_eq!(
        items(&p.bytes[..p.bytes.len() - 1], none())[2..],
        [header(HOP_BY_HOP, 40, 8), Item::Truncated { offset: 48 }]
    );
}

/// One of each: Hop-by-Hop, Destination Options with a Home Address, RH0, RT2, a first
/// fragment, AH, then IPv6 with its own Destination Options and TCP.
fn sample() -> Packet {
    Packet::new(SRC, DST)
        .generic(HOP_BY_HOP, 0)
        .hao(addr(0x10))
        .routing(0, &[addr(0x20), addr(0x21)], true)
        .routing(2, &[addr(0x30)], true)
        .fragment(0, true)
        .ah(4)
        .inner(addr(0x40), addr(0x41))
        .hao(addr(0x50))
        .upper(TCP, &[0; 20])
}

#[test]
fn every_prefix_of_a_sample_chain_yields_a_prefix_then_truncated() {
    let p = sample();
    let limits = Limits {
        max_headers: 5,
        max_chain_bytes: 100,
    };
    let full = items(&p.bytes, limits);
    assert_eq!(full, p.expected(limits));
    assert_eq!(
        full.iter()
            .filter(|i| matches!(i, Item::Violation(_)))
            .count(),
        2
    );
    // Headers up to the inner TCP take 232 octets; every cut inside them truncates.
    let chain_end = p.bytes.len() - 20;
    assert_eq!(chain_end, 232);
    for cut in 0..p.bytes.len() {
        let part = items(&p.bytes[..cut], limits);
        prefix_of(&full, &part, cut).unwrap();
        assert_eq!(
            matches!(part.last(), Some(Item::Truncated { .. })),
            cut < chain_end,
            "cut {cut}"
        );
    }
}

/// An extension header for [`build`].
#[derive(Clone, Debug)]
enum Ext {
    Generic(u8, u8),
    HomeAddress([u8; 16]),
    Routing0(Vec<[u8; 16]>),
    Routing2([u8; 16]),
    Segments(u8),
    FirstFragment(bool),
    Ah(u8),
}

/// How a chain ends.
#[derive(Clone, Debug)]
enum Tail {
    Upper(u8),
    Esp,
    NoNext,
    LaterFragment(u8, u16),
    Inner([u8; 16], [u8; 16], Vec<Ext>, Box<Tail>),
}

fn ext() -> impl Strategy<Value = Ext> {
    let generic = prop::sample::select(vec![
        HOP_BY_HOP,
        DESTINATION_OPTIONS,
        MOBILITY,
        HIP,
        SHIM6,
        EXPERIMENT_253,
        EXPERIMENT_254,
    ]);
    prop_oneof![
        (generic, 0u8..4).prop_map(|(p, u)| Ext::Generic(p, u)),
        any::<[u8; 16]>().prop_map(Ext::HomeAddress),
        prop::collection::vec(any::<[u8; 16]>(), 0..4).prop_map(Ext::Routing0),
        any::<[u8; 16]>().prop_map(Ext::Routing2),
        (1u8..4).prop_map(Ext::Segments),
        any::<bool>().prop_map(Ext::FirstFragment),
        (0u8..8).prop_map(Ext::Ah),
    ]
}

fn tail(inner: bool) -> BoxedStrategy<Tail> {
    let upper = prop::sample::select(vec![TCP, UDP, ICMPV6, SCTP, 4, 200]);
    let ends = prop_oneof![
        upper.prop_map(Tail::Upper),
        Just(Tail::Esp),
        Just(Tail::NoNext),
        (any::<u8>(), 1u16..0x2000).prop_map(|(p, o)| Tail::LaterFragment(p, o)),
    ];
    if inner {
        prop_oneof![ends, Just(Tail::Upper(IPV6))].boxed()
    } else {
        prop_oneof![
            3 => ends,
            1 => (
                any::<[u8; 16]>(),
                any::<[u8; 16]>(),
                prop::collection::vec(ext(), 0..5),
                tail(true)
            )
                .prop_map(|(s, d, e, t)| Tail::Inner(s, d, e, Box::new(t))),
        ]
        .boxed()
    }
}

fn build(mut p: Packet, exts: &[Ext], tail: &Tail, payload: &[u8]) -> Packet {
    for e in exts {
        p = match e {
            Ext::Generic(protocol, units) => p.generic(*protocol, *units),
            Ext::HomeAddress(a) => p.hao(*a),
            Ext::Routing0(list) => p.routing(0, list, true),
            Ext::Routing2(a) => p.routing(2, &[*a], true),
            Ext::Segments(n) => p.routing(4, &vec![[0xfe; 16]; usize::from(*n)], false),
            Ext::FirstFragment(more) => p.fragment(0, *more),
            Ext::Ah(len) => p.ah(*len),
        };
    }
    match tail {
        Tail::Upper(protocol) => p.upper(*protocol, payload),
        Tail::Esp => p.esp(payload),
        Tail::NoNext => p.no_next(payload),
        Tail::LaterFragment(protocol, offset) => p.later_fragment(*protocol, *offset, payload),
        Tail::Inner(src, dst, exts, tail) => build(p.inner(*src, *dst), exts, tail, payload),
    }
}

fn limits() -> impl Strategy<Value = Limits> {
    (
        prop_oneof![Just(0u8), 1u8..10],
        prop_oneof![Just(0u16), 1u16..200],
    )
        .prop_map(|(max_headers, max_chain_bytes)| Limits {
            max_headers,
            max_chain_bytes,
        })
}

proptest! {
    /// A chain built from any headers yields the headers, addresses and end it was built
    /// from, the violations of any limits in place; every prefix of it a prefix of that.
    #[test]
    fn random_chains_yield_what_they_were_built_from(
        src in any::<[u8; 16]>(),
        dst in any::<[u8; 16]>(),
        exts in prop::collection::vec(ext(), 0..8),
        tail in tail(false),
        payload in prop::collection::vec(any::<u8>(), 0..24),
        limits in limits(),
    ) {
        let p = build(Packet::new(src, dst), &exts, &tail, &payload);
        let full = items(&p.bytes, limits);
        prop_assert_eq!(&full, &p.expected(limits));
        for cut in 0..p.bytes.len() {
            let part = items(&p.bytes[..cut], limits);
            prop_assert!(prefix_of(&full, &part, cut).is_ok(), "{}", prefix_of(&full, &part, cut).unwrap_err());
        }
    }

    /// Any bytes, from scratch or after an IPv6 header naming a header the walk knows: no
    /// panic, items inside the packet and saying what it holds, one end, last, at most one
    /// violation of each limit, and the prefix property.
    #[test]
    fn random_bytes_are_walked_safely(
        mut bytes in prop::collection::vec(any::<u8>(), 0..400),
        first in prop::sample::select(vec![
            HOP_BY_HOP, ROUTING, FRAGMENT, ESP, AH, NO_NEXT_HEADER, DESTINATION_OPTIONS,
            MOBILITY, HIP, SHIM6, EXPERIMENT_253, EXPERIMENT_254, IPV6, TCP,
        ]),
        biased in any::<bool>(),
        limits in limits(),
    ) {
        if biased && bytes.len() > 6 {
            bytes[6] = first;
        }
        let full = items(&bytes, limits);
        let ends = full.iter().filter(|i| matches!(i, Item::End(_) | Item::Truncated { .. })).count();
        prop_assert_eq!(ends, 1);
        let ends_last = matches!(full.last(), Some(Item::End(_) | Item::Truncated { .. }));
        prop_assert!(ends_last);
        prop_assert!(full.len() <= bytes.len() / 8 + 8, "{} items", full.len());
        let (mut count, mut chain) = (0, 0);
        for item in &full {
            match *item {
                Item::Header { offset, len, .. } => prop_assert!(offset + len <= bytes.len()),
                Item::Address { offset, address, .. } => {
                    prop_assert_eq!(&bytes[offset..offset + 16], &address[..]);
                }
                Item::Violation(Violation { limit: Limit::TooManyHeaders, .. }) => count += 1,
                Item::Violation(Violation { limit: Limit::ChainTooLong, .. }) => chain += 1,
                Item::End(End::Upper { offset, .. } | End::Esp { offset }) => {
                    prop_assert!(offset <= bytes.len());
                }
                Item::Truncated { offset } => prop_assert!(offset <= bytes.len()),
                Item::End(_) => {}
            }
        }
        prop_assert!(count <= usize::from(limits.max_headers != 0));
        prop_assert!(chain <= usize::from(limits.max_chain_bytes != 0));
        for cut in 0..bytes.len() {
            let part = items(&bytes[..cut], limits);
            prop_assert!(prefix_of(&full, &part, cut).is_ok(), "{}", prefix_of(&full, &part, cut).unwrap_err());
        }
    }
}
