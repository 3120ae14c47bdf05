// SPDX-License-Identifier: GPL-2.0

//! What `rv6_guard` does with a packet, by its rules: the pure core.
//!
//! [`judge`] walks a packet's header chain (`guard_chain`), asks `guard_addr` about every
//! address the walk finds, and decides by the namespace's [`Config`]: each [`Rule`] drops what
//! it matches, only counts it, or is off.  It returns a [`Judgement`]: the verdict, the rule
//! that dropped (with the RFC 8883 error to answer, if any) and a [`Tally`] of what the
//! count-only rules matched on the way.  The module applies the tally to its counters once it
//! has the final judgement, so a packet judged twice (its chain first read from the buffer's
//! linear part, then copied whole) is counted once.
//!
//! A packet is dropped by the first match of a dropping rule, in packet order; count-only
//! matches before it are counted, none after it (the walk stops there, as the node would).
//! A chain the packet ends inside of ([`Judgement::truncated`]) is let through: the kernel's
//! own input checks drop a packet shorter than its headers say.
//!
//! [`Config`] packs into one `u64` ([`Config::pack`]) so that the module's hook reads a
//! namespace's whole configuration with one atomic load, and a change through the family is
//! seen all at once; [`judge`] reads the word as it is ([`Packed`]), a rule's mode only when
//! the rule matches, so that the common packet costs no unpacking.
//!
//! The includer has `guard_addr` and `guard_chain` beside this file's module, as the kernel
//! module and the host crate do.

use super::guard_addr::{
    self as addr,
    Bad, //
};
use super::guard_chain::{
    self as chain,
    proto,
    End,
    Item,
    Limit,
    Limits,
    Place,
    Violation, //
};

/// A rule of the guard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// IPv4-mapped addresses ([`Bad::V4Mapped`]).
    V4Mapped = 0,
    /// IPv4-compatible addresses embedding unusable IPv4 ([`Bad::V4Compatible`]).
    V4Compatible = 1,
    /// 6to4 bogons ([`Bad::SixToFour`]).
    SixToFour = 2,
    /// TCP from `::`.
    TcpUnspecified = 3,
    /// More extension headers than [`Config::limits`] allows (RFC 8883 code 8).
    TooManyHeaders = 4,
    /// A chain longer in octets than [`Config::limits`] allows (RFC 8883 code 7).
    ChainTooLong = 5,
}

impl Rule {
    /// Every rule, in the order of their index (`rule as usize`).
    pub const ALL: [Rule; 6] = [
        Rule::V4Mapped,
        Rule::V4Compatible,
        Rule::SixToFour,
        Rule::TcpUnspecified,
        Rule::TooManyHeaders,
        Rule::ChainTooLong,
    ];

    /// The rule for a kind of address.
    pub const fn for_address(bad: Bad) -> Rule {
        match bad {
            Bad::V4Mapped => Rule::V4Mapped,
            Bad::V4Compatible => Rule::V4Compatible,
            Bad::SixToFour => Rule::SixToFour,
        }
    }

    /// The rule for a limit.
    pub const fn for_limit(limit: Limit) -> Rule {
        match limit {
            Limit::TooManyHeaders => Rule::TooManyHeaders,
            Limit::ChainTooLong => Rule::ChainTooLong,
        }
    }
}

/// What a rule does with a packet it matches.  The values are the family's (enum `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing: the packet is not counted either.
    Off = 0,
    /// Counts the packet and lets it through.
    Count = 1,
    /// Counts and drops the packet.
    Drop = 2,
}

impl Mode {
    /// The mode of value `v`, if there is one.
    pub const fn from_u32(v: u32) -> Option<Mode> {
        match v {
            0 => Some(Mode::Off),
            1 => Some(Mode::Count),
            2 => Some(Mode::Drop),
            _ => None,
        }
    }
}

/// Where an address rule matched, for the per-place counters: the index of each [`Place`]
/// (the inner header's two addresses share one).
pub const fn place_index(place: Place) -> usize {
    match place {
        Place::Source => 0,
        Place::Destination => 1,
        Place::HomeAddress => 2,
        Place::Routing => 3,
        Place::InnerSource | Place::InnerDestination => 4,
    }
}

/// The number of [`place_index`] values.
pub const PLACES: usize = 5;

/// A namespace's rules and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Each rule's mode, indexed by `rule as usize`.
    pub modes: [Mode; 6],
    /// The chain limits, 0 for none.
    pub limits: Limits,
    /// Whether a chain dropped for a limit is answered with RFC 8883's ICMPv6 error.
    pub icmp_errors: bool,
}

impl Default for Config {
    /// Every rule drops; at most 12 extension headers a chain (what Linux delivers locally,
    /// `IP6_MAX_EXT_HDRS_CNT`), no limit in octets; RFC 8883 errors on.
    fn default() -> Self {
        Config {
            modes: [Mode::Drop; 6],
            limits: Limits {
                max_headers: 12,
                max_chain_bytes: 0,
            },
            icmp_errors: true,
        }
    }
}

impl Config {
    /// The mode of `rule`.
    pub const fn mode(&self, rule: Rule) -> Mode {
        self.modes[rule as usize]
    }

    /// The configuration as one word: two bits a mode from bit 0, `max_headers` from bit 16,
    /// `max_chain_bytes` from bit 24, `icmp_errors` at bit 40.
    pub const fn pack(&self) -> u64 {
        let mut w = 0u64;
        let mut i = 0;
        while i < self.modes.len() {
            w |= (self.modes[i] as u64) << (2 * i);
            i += 1;
        }
        w | (self.limits.max_headers as u64) << 16
            | (self.limits.max_chain_bytes as u64) << 24
            | (self.icmp_errors as u64) << 40
    }

    /// The configuration [`Config::pack`] made `w` of (a mode of value 3, which `pack` never
    /// writes, reads as [`Mode::Drop`]).
    pub const fn unpack(w: u64) -> Config {
        let mut modes = [Mode::Off; 6];
        let mut i = 0;
        while i < modes.len() {
            modes[i] = match (w >> (2 * i)) & 3 {
                0 => Mode::Off,
                1 => Mode::Count,
                _ => Mode::Drop,
            };
            i += 1;
        }
        Config {
            modes,
            limits: Limits {
                max_headers: (w >> 16) as u8,
                max_chain_bytes: (w >> 24) as u16,
            },
            icmp_errors: (w >> 40) & 1 == 1,
        }
    }
}

/// What [`judge`] asks of a configuration: [`Config`], or the word it packs into.
pub trait Rules {
    /// The mode of `rule`.
    fn mode(&self, rule: Rule) -> Mode;
    /// The chain limits.
    fn limits(&self) -> Limits;
    /// Whether RFC 8883 errors are sent.
    fn icmp_errors(&self) -> bool;
}

impl Rules for Config {
    fn mode(&self, rule: Rule) -> Mode {
        Config::mode(self, rule)
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    fn icmp_errors(&self) -> bool {
        self.icmp_errors
    }
}

/// A [`Config`] as [`Config::pack`] made it, read field by field when asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packed(pub u64);

impl Rules for Packed {
    #[inline]
    fn mode(&self, rule: Rule) -> Mode {
        match (self.0 >> (2 * rule as u32)) & 3 {
            0 => Mode::Off,
            1 => Mode::Count,
            _ => Mode::Drop,
        }
    }

    #[inline]
    fn limits(&self) -> Limits {
        Limits {
            max_headers: (self.0 >> 16) as u8,
            max_chain_bytes: (self.0 >> 24) as u16,
        }
    }

    #[inline]
    fn icmp_errors(&self) -> bool {
        (self.0 >> 40) & 1 == 1
    }
}

/// What the count-only rules matched in a packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Bit `rule as usize` for each count-only rule that matched (a packet counts once a
    /// rule, however many of its addresses match).
    pub counted: u8,
    /// The addresses matched by an address rule, counting or dropping, a [`place_index`].
    pub at: [u16; PLACES],
}

impl Tally {
    /// Whether nothing was matched.
    pub fn is_empty(&self) -> bool {
        *self == Tally::default()
    }

    /// Whether `rule` counted the packet.
    pub const fn counted(&self, rule: Rule) -> bool {
        self.counted & (1 << rule as u8) != 0
    }
}

/// The rule that dropped a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The rule.
    pub rule: Rule,
    /// The RFC 8883 error to answer with: a limit's, when errors are on.
    pub icmp: Option<Violation>,
}

/// [`judge`]'s answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Judgement {
    /// The dropping rule, if one matched.
    pub dropped: Option<Dropped>,
    /// The count-only matches up to the drop, or in the whole chain.
    pub tally: Tally,
    /// Whether the packet ended inside its header chain (the walk's
    /// [`Item::Truncated`]): some of the chain was not judged.
    pub truncated: bool,
}

impl Judgement {
    /// Whether nothing happened: no drop, no count, the whole chain judged.
    #[inline]
    pub fn is_nothing(&self) -> bool {
        self.dropped.is_none() && !self.truncated && self.tally.is_empty()
    }
}

/// Whether a packet whose IPv6 header names `next` carries anything for the walk beyond the
/// header's two addresses: an extension header, or an inner IPv6 header.
const fn has_chain(next: u8) -> bool {
    matches!(
        next,
        proto::HOP_BY_HOP
            | proto::ROUTING
            | proto::FRAGMENT
            | proto::ESP
            | proto::AH
            | proto::DESTINATION_OPTIONS
            | proto::MOBILITY
            | proto::HIP
            | proto::SHIM6
            | proto::EXPERIMENT_253
            | proto::EXPERIMENT_254
            | proto::IPV6
    )
}

/// Whether `packet` certainly matches no rule, whatever the configuration: an upper layer
/// right after the IPv6 header, and addresses whose first 16 bits no refused kind has (every
/// kind, and `::`, starts with `0000` or `2002`).  A dozen instructions, for the hook to spare
/// the common packet [`judge`]; `false` says nothing.
#[inline]
pub fn quick_pass(packet: &[u8]) -> bool {
    let ok = |hi: u8, lo: u8| !matches!((hi, lo), (0, 0) | (0x20, 0x02));
    match packet.get(..40) {
        Some(h) => !has_chain(h[6]) && ok(h[8], h[9]) && ok(h[24], h[25]),
        None => false,
    }
}

/// A judgement in progress.
struct Judge<'a, R: Rules> {
    config: &'a R,
    out: Judgement,
}

impl<R: Rules> Judge<'_, R> {
    /// A match of `rule`: whether it drops the packet (and ends the judgement).
    fn matched(&mut self, rule: Rule, icmp: Option<Violation>) -> bool {
        match self.config.mode(rule) {
            Mode::Off => false,
            Mode::Count => {
                self.out.tally.counted |= 1 << rule as u8;
                false
            }
            Mode::Drop => {
                let icmp = icmp.filter(|_| self.config.icmp_errors());
                self.out.dropped = Some(Dropped { rule, icmp });
                true
            }
        }
    }

    /// An address found at `place`: whether it drops the packet.
    #[inline]
    fn address(&mut self, place: Place, a: &[u8; 16]) -> bool {
        let Some(bad) = addr::classify(a) else {
            return false;
        };
        let rule = Rule::for_address(bad);
        if self.config.mode(rule) == Mode::Off {
            return false;
        }
        let at = &mut self.out.tally.at[place_index(place)];
        *at = at.saturating_add(1);
        self.matched(rule, None)
    }

    /// The upper layer `protocol` of a chain whose IPv6 header's source is `source`.
    fn upper(&mut self, protocol: u8, source: &[u8; 16]) {
        if protocol == proto::TCP && addr::unspecified_tcp_source(source) {
            self.matched(Rule::TcpUnspecified, None);
        }
    }
}

/// Judges `packet`, which starts with its IPv6 header, by `config`.
///
/// A packet shorter than an IPv6 header is [`Judgement::truncated`]; the kernel does not pass
/// such a packet to netfilter.
pub fn judge<R: Rules>(packet: &[u8], config: &R) -> Judgement {
    let mut j = Judge {
        config,
        out: Judgement::default(),
    };
    // The common packet, an upper layer right after the IPv6 header, without the walk.
    if let (Some(&next), Some(src), Some(dst)) = (
        packet.get(6),
        packet
            .get(8..24)
            .and_then(|s| <&[u8; 16]>::try_from(s).ok()),
        packet
            .get(24..40)
            .and_then(|s| <&[u8; 16]>::try_from(s).ok()),
    ) {
        if !has_chain(next) {
            if !j.address(Place::Source, src)
                && !j.address(Place::Destination, dst)
                && next != proto::NO_NEXT_HEADER
            {
                j.upper(next, src);
            }
            return j.out;
        }
    }
    let mut source = [0u8; 16];
    for item in chain::walk(packet, config.limits()) {
        let dropped = match item {
            Item::Address { place, address, .. } => {
                if matches!(place, Place::Source | Place::InnerSource) {
                    source = address;
                }
                j.address(place, &address)
            }
            Item::Violation(v) => j.matched(Rule::for_limit(v.limit), Some(v)),
            Item::End(End::Upper { protocol, .. } | End::LaterFragment { protocol }) => {
                j.upper(protocol, &source);
                false
            }
            Item::End(End::Esp { .. } | End::NoNextHeader) | Item::Header { .. } => false,
            Item::Truncated { .. } => {
                j.out.truncated = true;
                false
            }
        };
        if dropped {
            break;
        }
    }
    j.out
}
