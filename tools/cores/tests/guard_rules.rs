//! rv6_guard's decisions (`net/ipv6/netfilter/guard_rules.rs`): every rule in each of its
//! modes at every place an address can be, the order of matches, the limits with their RFC
//! 8883 errors, the configuration word, and the fast path against the full walk.
use proptest::prelude::*;
use rv6_cores::guard_chain::{
    proto::*,
    Limit,
    Limits,
    Place,
    Violation, //
};
use rv6_cores::guard_rules::*;

const GOOD_SRC: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const GOOD_DST: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const UNSPECIFIED: [u8; 16] = [0; 16];

/// One address of each kind a rule refuses.
fn bad(rule: Rule) -> [u8; 16] {
    match rule {
        // ::ffff:192.0.2.1
        Rule::V4Mapped => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1],
        // ::127.0.0.1
        Rule::V4Compatible => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1],
        // 2002:c0a8:0101::1, 6to4 of 192.168.1.1
        Rule::SixToFour => [0x20, 0x02, 192, 168, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        _ => unreachable!(),
    }
}

const ADDRESS_RULES: [Rule; 3] = [Rule::V4Mapped, Rule::V4Compatible, Rule::SixToFour];

/// A packet built header by header.
struct Packet {
    bytes: Vec<u8>,
    next_at: usize,
}

impl Packet {
    fn new(src: [u8; 16], dst: [u8; 16]) -> Self {
        let mut bytes = vec![0x60, 0, 0, 0, 0, 0, 0, 64];
        bytes.extend_from_slice(&src);
        bytes.extend_from_slice(&dst);
        Packet { bytes, next_at: 6 }
    }

    fn push(mut self, protocol: u8, bytes: &[u8]) -> Self {
        self.bytes[self.next_at] = protocol;
        self.next_at = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// Destination Options with a Home Address option.
    fn hao(self, home: [u8; 16]) -> Self {
        let mut b = vec![0, 2, 1, 2, 0, 0, 0xc9, 16];
        b.extend_from_slice(&home);
        self.push(DESTINATION_OPTIONS, &b)
    }

    /// A type 2 Routing header.
    fn rt2(self, home: [u8; 16]) -> Self {
        let mut b = vec![0, 2, 2, 1, 0, 0, 0, 0];
        b.extend_from_slice(&home);
        self.push(ROUTING, &b)
    }

    /// A type 0 Routing header.
    fn rh0(self, addresses: &[[u8; 16]]) -> Self {
        let n = addresses.len() as u8;
        let mut b = vec![0, 2 * n, 0, n, 0, 0, 0, 0];
        for a in addresses {
            b.extend_from_slice(a);
        }
        self.push(ROUTING, &b)
    }

    /// An empty options header of 8 octets.
    fn opts(self, protocol: u8) -> Self {
        self.push(protocol, &[0, 0, 1, 4, 0, 0, 0, 0])
    }

    fn fragment(self, offset: u16) -> Self {
        let f = (offset << 3 | 1).to_be_bytes();
        self.push(FRAGMENT, &[0, 0, f[0], f[1], 1, 2, 3, 4])
    }

    fn inner(mut self, src: [u8; 16], dst: [u8; 16]) -> Self {
        self.bytes[self.next_at] = IPV6;
        let inner = Packet::new(src, dst);
        self.next_at = self.bytes.len() + 6;
        self.bytes.extend_from_slice(&inner.bytes);
        self
    }

    fn upper(mut self, protocol: u8) -> Vec<u8> {
        self.bytes[self.next_at] = protocol;
        self.bytes.extend_from_slice(&[0; 20]);
        self.bytes
    }
}

fn with(rule: Rule, mode: Mode) -> Config {
    let mut c = Config::default();
    c.modes[rule as usize] = mode;
    c
}

fn all(mode: Mode) -> Config {
    Config {
        modes: [mode; 6],
        ..Config::default()
    }
}

fn tally_at(place: Place) -> [u16; PLACES] {
    let mut at = [0; PLACES];
    at[place_index(place)] = 1;
    at
}

fn dropped_by(rule: Rule) -> Option<Dropped> {
    Some(Dropped { rule, icmp: None })
}

/// Every place an address can be, with a packet carrying `a` there (and good addresses
/// elsewhere), as UDP.
fn placed(a: [u8; 16]) -> Vec<(Place, Vec<u8>)> {
    vec![
        (Place::Source, Packet::new(a, GOOD_DST).upper(UDP)),
        (Place::Destination, Packet::new(GOOD_SRC, a).upper(UDP)),
        (
            Place::HomeAddress,
            Packet::new(GOOD_SRC, GOOD_DST).hao(a).upper(UDP),
        ),
        (
            Place::Routing,
            Packet::new(GOOD_SRC, GOOD_DST).rt2(a).upper(UDP),
        ),
        (
            Place::Routing,
            Packet::new(GOOD_SRC, GOOD_DST)
                .rh0(&[GOOD_SRC, a])
                .upper(UDP),
        ),
        (
            Place::InnerSource,
            Packet::new(GOOD_SRC, GOOD_DST)
                .inner(a, GOOD_DST)
                .upper(UDP),
        ),
        (
            Place::InnerDestination,
            Packet::new(GOOD_SRC, GOOD_DST)
                .inner(GOOD_SRC, a)
                .upper(UDP),
        ),
        (
            Place::InnerSource,
            Packet::new(GOOD_SRC, GOOD_DST)
                .opts(HOP_BY_HOP)
                .inner(a, GOOD_DST)
                .upper(UDP),
        ),
    ]
}

#[test]
fn the_default_drops_every_bad_address_in_every_place() {
    for rule in ADDRESS_RULES {
        for (place, packet) in placed(bad(rule)) {
            let j = judge(&packet, &Config::default());
            assert_eq!(j.dropped, dropped_by(rule), "{rule:?} at {place:?}");
            assert_eq!(j.tally.at, tally_at(place), "{rule:?} at {place:?}");
            assert_eq!(j.tally.counted, 0);
            assert!(!j.truncated);
        }
    }
}

#[test]
fn a_count_only_rule_counts_and_lets_through() {
    for rule in ADDRESS_RULES {
        for (place, packet) in placed(bad(rule)) {
            let j = judge(&packet, &with(rule, Mode::Count));
            assert_eq!(j.dropped, None, "{rule:?} at {place:?}");
            assert!(j.tally.counted(rule));
            assert_eq!(j.tally.counted, 1 << rule as u8);
            assert_eq!(j.tally.at, tally_at(place));
        }
    }
}

#[test]
fn an_off_rule_neither_counts_nor_drops() {
    for rule in ADDRESS_RULES {
        for (_, packet) in placed(bad(rule)) {
            let j = judge(&packet, &with(rule, Mode::Off));
            assert_eq!(j, Judgement::default());
        }
    }
}

#[test]
fn good_traffic_is_untouched() {
    let link_local = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let all_nodes = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let solicited = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 1];
    let loopback = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let six_to_four_public = [0x20, 0x02, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let packets = [
        // DAD: a Neighbour Solicitation from ::, an MLD report from :: behind Hop-by-Hop.
        Packet::new(UNSPECIFIED, solicited).upper(ICMPV6),
        Packet::new(UNSPECIFIED, all_nodes)
            .opts(HOP_BY_HOP)
            .upper(ICMPV6),
        // DHCPv6 from link-local, loopback TCP, a public 6to4 address.
        Packet::new(link_local, all_nodes).upper(UDP),
        Packet::new(loopback, loopback).upper(TCP),
        Packet::new(six_to_four_public, GOOD_DST).upper(TCP),
        // Route optimisation: HAO and RT2 with global home addresses; a tunnelled packet.
        Packet::new(GOOD_SRC, GOOD_DST).hao(GOOD_SRC).upper(TCP),
        Packet::new(GOOD_SRC, GOOD_DST).rt2(GOOD_DST).upper(TCP),
        Packet::new(GOOD_SRC, GOOD_DST)
            .inner(GOOD_DST, GOOD_SRC)
            .upper(TCP),
        // Fragments of TCP, first and later.
        Packet::new(GOOD_SRC, GOOD_DST).fragment(0).upper(TCP),
        Packet::new(GOOD_SRC, GOOD_DST).fragment(100).upper(TCP),
    ];
    for p in packets {
        assert_eq!(
            judge(&p, &Config::default()),
            Judgement::default(),
            "{p:02x?}"
        );
    }
}

#[test]
fn tcp_from_the_unspecified_address_is_refused_wherever_its_header_is() {
    let packets = [
        Packet::new(UNSPECIFIED, GOOD_DST).upper(TCP),
        Packet::new(UNSPECIFIED, GOOD_DST)
            .opts(DESTINATION_OPTIONS)
            .upper(TCP),
        Packet::new(UNSPECIFIED, GOOD_DST).fragment(0).upper(TCP),
        Packet::new(UNSPECIFIED, GOOD_DST).fragment(8).upper(TCP),
        Packet::new(GOOD_SRC, GOOD_DST)
            .inner(UNSPECIFIED, GOOD_DST)
            .upper(TCP),
    ];
    for p in &packets {
        let j = judge(p, &Config::default());
        assert_eq!(j.dropped, dropped_by(Rule::TcpUnspecified), "{p:02x?}");
        assert_eq!(j.tally, Tally::default());
        let j = judge(p, &with(Rule::TcpUnspecified, Mode::Count));
        assert_eq!(j.dropped, None);
        assert!(j.tally.counted(Rule::TcpUnspecified));
        assert_eq!(
            judge(p, &with(Rule::TcpUnspecified, Mode::Off)),
            Judgement::default()
        );
    }
    // UDP, ICMPv6 and no next header from :: are for other rules (or none).
    for protocol in [UDP, ICMPV6, NO_NEXT_HEADER, SCTP] {
        let p = Packet::new(UNSPECIFIED, GOOD_DST).upper(protocol);
        assert_eq!(judge(&p, &Config::default()), Judgement::default());
    }
    // The outer header's :: does not make the inner packet's TCP bad.
    let p = Packet::new(UNSPECIFIED, GOOD_DST)
        .inner(GOOD_SRC, GOOD_DST)
        .upper(TCP);
    assert_eq!(judge(&p, &Config::default()), Judgement::default());
}

#[test]
fn count_only_matches_before_a_drop_are_counted_and_none_after() {
    let mapped = bad(Rule::V4Mapped);
    let compatible = bad(Rule::V4Compatible);
    let six = bad(Rule::SixToFour);
    // Source v4-mapped (counted), destination 6to4 (dropped), HAO v4-compatible (unseen).
    let p = Packet::new(mapped, six).hao(compatible).upper(UDP);
    let mut c = Config::default();
    c.modes[Rule::V4Mapped as usize] = Mode::Count;
    c.modes[Rule::V4Compatible as usize] = Mode::Count;
    let j = judge(&p, &c);
    assert_eq!(j.dropped, dropped_by(Rule::SixToFour));
    assert_eq!(j.tally.counted, 1 << Rule::V4Mapped as u8);
    assert_eq!(j.tally.at, [1, 1, 0, 0, 0]);
    // All counting: the three rules once each, the three places.
    let j = judge(&p, &all(Mode::Count));
    assert_eq!(j.dropped, None);
    assert_eq!(
        j.tally.counted,
        1 << Rule::V4Mapped as u8 | 1 << Rule::V4Compatible as u8 | 1 << Rule::SixToFour as u8
    );
    assert_eq!(j.tally.at, [1, 1, 1, 0, 0]);
}

#[test]
fn a_rule_counts_a_packet_once_and_each_address_in_its_place() {
    let mapped = bad(Rule::V4Mapped);
    let p = Packet::new(mapped, mapped)
        .rh0(&[mapped, mapped, GOOD_DST])
        .upper(UDP);
    let j = judge(&p, &with(Rule::V4Mapped, Mode::Count));
    assert_eq!(j.tally.counted, 1 << Rule::V4Mapped as u8);
    assert_eq!(j.tally.at, [1, 1, 0, 2, 0]);
}

fn options_chain(n: usize) -> Vec<u8> {
    let mut p = Packet::new(GOOD_SRC, GOOD_DST);
    for _ in 0..n {
        p = p.opts(DESTINATION_OPTIONS);
    }
    p.upper(UDP)
}

#[test]
fn too_many_headers_drops_with_code_8_at_the_first_header_beyond() {
    let c = Config::default();
    assert_eq!(judge(&options_chain(12), &c), Judgement::default());
    let j = judge(&options_chain(13), &c);
    let v = Violation {
        limit: Limit::TooManyHeaders,
        pointer: 40 + 12 * 8,
    };
    assert_eq!(
        j.dropped,
        Some(Dropped {
            rule: Rule::TooManyHeaders,
            icmp: Some(v)
        })
    );
    assert_eq!(v.icmp_code(), 8);
    // Errors off: dropped silently.
    let quiet = Config {
        icmp_errors: false,
        ..c
    };
    assert_eq!(
        judge(&options_chain(13), &quiet).dropped,
        dropped_by(Rule::TooManyHeaders)
    );
    // Count only, and no limit.
    let j = judge(&options_chain(13), &with(Rule::TooManyHeaders, Mode::Count));
    assert_eq!(j.dropped, None);
    assert!(j.tally.counted(Rule::TooManyHeaders));
    let unlimited = Config {
        limits: Limits {
            max_headers: 0,
            max_chain_bytes: 0,
        },
        ..c
    };
    assert_eq!(judge(&options_chain(40), &unlimited), Judgement::default());
}

#[test]
fn chain_too_long_drops_with_code_7_at_the_first_octet_beyond() {
    let c = Config {
        limits: Limits {
            max_headers: 0,
            max_chain_bytes: 24,
        },
        ..Config::default()
    };
    assert_eq!(judge(&options_chain(3), &c), Judgement::default());
    let j = judge(&options_chain(4), &c);
    let v = Violation {
        limit: Limit::ChainTooLong,
        pointer: 40 + 24,
    };
    assert_eq!(v.icmp_code(), 7);
    assert_eq!(
        j.dropped,
        Some(Dropped {
            rule: Rule::ChainTooLong,
            icmp: Some(v)
        })
    );
}

#[test]
fn a_bad_address_after_a_counted_limit_still_drops() {
    let c = Config {
        modes: [
            Mode::Drop,
            Mode::Drop,
            Mode::Drop,
            Mode::Drop,
            Mode::Count,
            Mode::Drop,
        ],
        limits: Limits {
            max_headers: 1,
            max_chain_bytes: 0,
        },
        icmp_errors: true,
    };
    let p = Packet::new(GOOD_SRC, GOOD_DST)
        .opts(HOP_BY_HOP)
        .opts(DESTINATION_OPTIONS)
        .hao(bad(Rule::V4Mapped))
        .upper(UDP);
    let j = judge(&p, &c);
    assert_eq!(j.dropped, dropped_by(Rule::V4Mapped));
    assert!(j.tally.counted(Rule::TooManyHeaders));
    assert_eq!(j.tally.at, tally_at(Place::HomeAddress));
}

#[test]
fn a_truncated_chain_is_let_through_as_truncated() {
    let mut p = Packet::new(GOOD_SRC, GOOD_DST).hao(GOOD_SRC).upper(UDP);
    p.truncate(40 + 10);
    let j = judge(&p, &Config::default());
    assert_eq!(j.dropped, None);
    assert!(j.truncated);
    // Matches before the cut still count.
    let mut p = Packet::new(bad(Rule::V4Mapped), GOOD_DST)
        .hao(GOOD_SRC)
        .upper(UDP);
    p.truncate(40 + 10);
    let j = judge(&p, &with(Rule::V4Mapped, Mode::Count));
    assert!(j.truncated);
    assert!(j.tally.counted(Rule::V4Mapped));
    // Shorter than an IPv6 header.
    assert!(judge(&[0x60; 39], &Config::default()).truncated);
    assert!(judge(&[], &Config::default()).truncated);
}

#[test]
fn the_default_configuration_packs_and_unpacks() {
    let c = Config::default();
    assert_eq!(Config::unpack(c.pack()), c);
    assert_eq!(c.limits.max_headers, 12);
    assert_eq!(c.limits.max_chain_bytes, 0);
    assert!(c.icmp_errors);
    assert!(c.modes.iter().all(|&m| m == Mode::Drop));
    for (i, r) in Rule::ALL.iter().enumerate() {
        assert_eq!(*r as usize, i);
    }
    for v in 0..3 {
        assert_eq!(Mode::from_u32(v).map(|m| m as u32), Some(v));
    }
    assert_eq!(Mode::from_u32(3), None);
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Off), Just(Mode::Count), Just(Mode::Drop)]
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop::array::uniform6(mode()),
        any::<u8>(),
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(
            |(modes, max_headers, max_chain_bytes, icmp_errors)| Config {
                modes,
                limits: Limits {
                    max_headers,
                    max_chain_bytes,
                },
                icmp_errors,
            },
        )
}

/// The judgement by the walk alone, for the fast path to agree with.
fn judge_by_walk(packet: &[u8], c: &Config) -> Judgement {
    use rv6_cores::guard_addr::{classify, unspecified_tcp_source};
    use rv6_cores::guard_chain::{walk, End, Item};
    let mut out = Judgement::default();
    let mut source = [0; 16];
    let hit = |rule: Rule, icmp: Option<Violation>, out: &mut Judgement| match c.mode(rule) {
        Mode::Off => false,
        Mode::Count => {
            out.tally.counted |= 1 << rule as u8;
            false
        }
        Mode::Drop => {
            out.dropped = Some(Dropped {
                rule,
                icmp: icmp.filter(|_| c.icmp_errors),
            });
            true
        }
    };
    for item in walk(packet, c.limits) {
        let stop = match item {
            Item::Address { place, address, .. } => {
                if matches!(place, Place::Source | Place::InnerSource) {
                    source = address;
                }
                match classify(&address).map(Rule::for_address) {
                    Some(rule) if c.mode(rule) != Mode::Off => {
                        out.tally.at[place_index(place)] += 1;
                        hit(rule, None, &mut out)
                    }
                    _ => false,
                }
            }
            Item::Violation(v) => hit(Rule::for_limit(v.limit), Some(v), &mut out),
            Item::End(End::Upper { protocol, .. } | End::LaterFragment { protocol }) => {
                protocol == TCP
                    && unspecified_tcp_source(&source)
                    && hit(Rule::TcpUnspecified, None, &mut out)
            }
            Item::Truncated { .. } => {
                out.truncated = true;
                false
            }
            _ => false,
        };
        if stop {
            break;
        }
    }
    out
}

/// An address that is bad, unspecified or good, each often.
fn address() -> impl Strategy<Value = [u8; 16]> {
    prop_oneof![
        Just(bad(Rule::V4Mapped)),
        Just(bad(Rule::V4Compatible)),
        Just(bad(Rule::SixToFour)),
        Just(UNSPECIFIED),
        Just(GOOD_SRC),
        any::<[u8; 16]>(),
    ]
}

proptest! {
    #[test]
    fn configurations_pack_and_unpack(c in config()) {
        prop_assert_eq!(Config::unpack(c.pack()), c);
    }

    #[test]
    fn a_quick_pass_matches_nothing(
        src in address(),
        dst in address(),
        next in any::<u8>(),
        tail in prop::collection::vec(any::<u8>(), 0..64),
        c in config(),
    ) {
        let mut p = Packet::new(src, dst).bytes;
        p[6] = next;
        p.extend_from_slice(&tail);
        if quick_pass(&p) {
            prop_assert!(judge(&p, &c).is_nothing());
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_walk(
        src in address(),
        dst in address(),
        next in prop_oneof![Just(TCP), Just(UDP), Just(ICMPV6), Just(NO_NEXT_HEADER), any::<u8>()],
        tail in prop::collection::vec(any::<u8>(), 0..64),
        c in config(),
    ) {
        let mut p = Packet::new(src, dst).bytes;
        p[6] = next;
        p.extend_from_slice(&tail);
        prop_assert_eq!(judge(&p, &c), judge_by_walk(&p, &c));
    }

    #[test]
    fn any_packet_is_judged_as_the_walk_says(
        headers in prop::collection::vec((0usize..7, address()), 0..6),
        src in address(),
        upper in prop_oneof![Just(TCP), Just(UDP), Just(ICMPV6)],
        cut in any::<prop::sample::Index>(),
        c in config(),
    ) {
        let mut p = Packet::new(src, GOOD_DST);
        for (kind, a) in headers {
            p = match kind {
                0 => p.hao(a),
                1 => p.rt2(a),
                2 => p.rh0(&[a, GOOD_DST]),
                3 => p.opts(HOP_BY_HOP),
                4 => p.fragment(0),
                5 => p.inner(a, GOOD_DST),
                _ => p.opts(MOBILITY),
            };
        }
        let mut p = p.upper(upper);
        prop_assert_eq!(judge(&p, &c), judge_by_walk(&p, &c));
        prop_assert_eq!(judge(&p, &Packed(c.pack())), judge(&p, &c));
        p.truncate(cut.index(p.len() + 1));
        prop_assert_eq!(judge(&p, &c), judge_by_walk(&p, &c));
    }
}
