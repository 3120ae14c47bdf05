// SPDX-License-Identifier: GPL-2.0

//! Drops the IPv6 packets KAME's stack refused and Linux lets in, per network namespace.
//!
//! KAME's implementation notes (§1.14) list addresses no packet should carry, in its IPv6
//! header or inside it, because they can carry IPv4 semantics past filters written for IPv6:
//! IPv4-mapped addresses on native IPv6, IPv4-compatible ones embedding unusable IPv4, and 6to4
//! addresses of private or unusable IPv4 (`guard_addr`).  Every BSD drops them in
//! `ip6_input()`; Linux 7.3 drops only loopback and multicast sources arriving from the wire
//! (`ip6_rcv_core()`) and TCP SYNs from IPv4-mapped sources.  KAME also bounded the header
//! chain (`ip6_hdrnestlimit`), which RFC 8883 has since given ICMPv6 errors; Linux bounds the
//! number of headers only on local delivery, at 12, silently (`guard_chain` lists what it
//! does).  And TCP from `::` is refused nowhere.
//!
//! One hook at `PRE_ROUTING`, before everything (connection tracking's defragmentation
//! included), sees every packet that enters a namespace, local or forwarded: it walks the
//! chain (`guard_chain`) and decides by the namespace's rules (`guard_rules`), each of which
//! drops, only counts, or is off.  A chain dropped for a limit is answered with RFC 8883's
//! Parameter Problem.  Every decision is counted per rule, and every matched address per
//! place.  The generic netlink family `rv6-guard`
//! (`Documentation/netlink/specs/rv6_guard.yaml`, `rv6 guard`) reads the counters and reads
//! and sets the rules, in the requester's namespace.
//!
//! There is no C twin: `ip6_input()` of FreeBSD and NetBSD (and KAME's before them) is the
//! model.  The common packet, an upper layer right after the IPv6 header, costs two address
//! classifications; the walk runs only when there are extension headers.

use kernel::{
    net::{
        namespace::{
            Namespace,
            PernetSlot, //
        },
        netfilter::{
            self,
            priority,
            Hook,
            HookPoint,
            HookState,
            NetHooks,
            Verdict, //
        },
        netlink::genl::{
            self,
            perm,
            AttrPolicy,
            OpsFamily,
            Policy,
            Request,
            SplitOp,
            Writer, //
        },
        skbuff::SkBuff, //
    },
    prelude::*,
    sync::{
        atomic::{
            ordering::Relaxed,
            Atomic, //
        },
        Arc, //
    }, //
};

// The cores are `pub` for the host tests; here they are private, and the walk's protocol
// numbers partly unused.
#[expect(unreachable_pub)]
#[path = "guard_addr.rs"]
mod guard_addr;
#[expect(unreachable_pub, dead_code)]
#[path = "guard_chain.rs"]
mod guard_chain;
#[expect(unreachable_pub)]
#[path = "guard_rules.rs"]
mod guard_rules;

use guard_rules::{
    judge,
    quick_pass,
    Config,
    Judgement,
    Mode,
    Packed,
    Rule,
    PLACES, //
};

module! {
    type: Guard,
    name: "rv6_guard",
    authors: ["rv6 developers"],
    description: "Refuse invalid IPv6 addresses and over-long header chains (KAME, RFC 8883)",
    license: "GPL",
}

/// The most bytes of a packet copied to read a chain that reaches past the buffer's linear
/// part: a whole IPv6 packet without a Jumbo Payload option.
const MAX_COPY: usize = 40 + 65535;

/// A namespace's rules and counters.
struct NetGuard {
    /// The [`Config`], packed ([`Config::pack`]): read whole by every packet.
    config: Atomic<u64>,
    /// Packets each rule dropped, by `Rule as usize`.
    dropped: [Atomic<u64>; 6],
    /// Packets each rule matched while counting only.
    counted: [Atomic<u64>; 6],
    /// Addresses an address rule matched, by `guard_rules::place_index`.
    at: [Atomic<u64>; PLACES],
    icmp_errors: Atomic<u64>,
    truncated: Atomic<u64>,
    copied: Atomic<u64>,
}

static SLOT: PernetSlot = PernetSlot::new();

impl NetGuard {
    /// The packet's judgement, from the buffer's linear part or, if the chain reaches past
    /// it, from a copy.
    #[inline]
    fn judge(&self, skb: &SkBuff, config: &Packed) -> Judgement {
        let linear = skb.network_linear();
        let j = judge(linear, config);
        if !j.truncated {
            return j;
        }
        let len = skb.network_len();
        if len <= linear.len() {
            return j;
        }
        self.copied.add(1, Relaxed);
        let n = len.min(MAX_COPY);
        let Ok(mut copy) = KVec::from_elem(0u8, n, GFP_ATOMIC) else {
            return j;
        };
        match skb.network_bytes(0, &mut copy) {
            Some(bytes) => judge(bytes, config),
            None => j,
        }
    }

    /// Adds a judgement to the counters.
    fn count(&self, j: &Judgement) {
        let t = &j.tally;
        if !t.is_empty() {
            for rule in Rule::ALL {
                if t.counted(rule) {
                    self.counted[rule as usize].add(1, Relaxed);
                }
            }
            for (c, &n) in self.at.iter().zip(t.at.iter()) {
                if n != 0 {
                    c.add(u64::from(n), Relaxed);
                }
            }
        }
        if j.truncated {
            self.truncated.add(1, Relaxed);
        }
        if let Some(d) = j.dropped {
            self.dropped[d.rule as usize].add(1, Relaxed);
        }
    }
}

impl NetHooks for NetGuard {
    type Shared = ();
    const HOOKS: &'static [Hook] = &[Hook::ipv6(HookPoint::PreRouting, priority::FIRST)];
    const SLOT: &'static PernetSlot = &SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        Ok::<_, Error>(NetGuard {
            config: Atomic::new(Config::default().pack()),
            dropped: [const { Atomic::new(0) }; 6],
            counted: [const { Atomic::new(0) }; 6],
            at: [const { Atomic::new(0) }; PLACES],
            icmp_errors: Atomic::new(0),
            truncated: Atomic::new(0),
            copied: Atomic::new(0),
        })
    }

    /// The common packet (an upper layer right after the IPv6 header, addresses no rule is
    /// about) passes in a few instructions; the rest is judged out of line.
    #[inline]
    fn hook(&self, skb: &SkBuff, state: &HookState) -> Verdict {
        if quick_pass(skb.network_linear()) {
            return Verdict::Accept;
        }
        self.judged(skb, state)
    }
}

impl NetGuard {
    /// Judges a packet [`quick_pass`] could not pass, counts and acts.
    #[inline(never)]
    fn judged(&self, skb: &SkBuff, state: &HookState) -> Verdict {
        let j = self.judge(skb, &Packed(self.config.load(Relaxed)));
        if j.is_nothing() {
            return Verdict::Accept;
        }
        self.count(&j);
        let Some(d) = j.dropped else {
            return Verdict::Accept;
        };
        if let Some(v) = d.icmp {
            if state.icmpv6_param_prob(skb, v.icmp_code(), v.pointer) {
                self.icmp_errors.add(1, Relaxed);
            }
        }
        Verdict::Drop
    }
}

// The generic netlink family (Documentation/netlink/specs/rv6_guard.yaml).
const CMD_STATS_GET: u8 = 1;
const CMD_RULES_GET: u8 = 2;
const CMD_RULES_SET: u8 = 3;

/// The highest value of the enum `mode`: `Mode::Drop`'s.
const MODE_MAX: u32 = 2;

// Attribute set `rules`.
const R_V4_MAPPED: u16 = 1;
const R_V4_COMPATIBLE: u16 = 2;
const R_6TO4: u16 = 3;
const R_TCP_UNSPECIFIED: u16 = 4;
const R_TOO_MANY_HEADERS: u16 = 5;
const R_CHAIN_TOO_LONG: u16 = 6;
const R_MAX_HEADERS: u16 = 7;
const R_MAX_CHAIN_BYTES: u16 = 8;
const R_ICMP_ERRORS: u16 = 9;

// Attribute set `stats`.
const S_PAD: u16 = 1;
const S_V4_MAPPED_DROPPED: u16 = 2;
const S_V4_MAPPED_COUNTED: u16 = 3;
const S_V4_COMPATIBLE_DROPPED: u16 = 4;
const S_V4_COMPATIBLE_COUNTED: u16 = 5;
const S_6TO4_DROPPED: u16 = 6;
const S_6TO4_COUNTED: u16 = 7;
const S_TCP_UNSPECIFIED_DROPPED: u16 = 8;
const S_TCP_UNSPECIFIED_COUNTED: u16 = 9;
const S_TOO_MANY_HEADERS_DROPPED: u16 = 10;
const S_TOO_MANY_HEADERS_COUNTED: u16 = 11;
const S_CHAIN_TOO_LONG_DROPPED: u16 = 12;
const S_CHAIN_TOO_LONG_COUNTED: u16 = 13;
const S_AT_SOURCE: u16 = 14;
const S_AT_DESTINATION: u16 = 15;
const S_AT_HOME_ADDRESS: u16 = 16;
const S_AT_ROUTING: u16 = 17;
const S_AT_INNER: u16 = 18;
const S_ICMP_ERRORS: u16 = 19;
const S_TRUNCATED: u16 = 20;
const S_COPIED: u16 = 21;

/// Each rule's mode attribute, by `Rule as usize`.
const RULE_ATTRS: [u16; 6] = [
    R_V4_MAPPED,
    R_V4_COMPATIBLE,
    R_6TO4,
    R_TCP_UNSPECIFIED,
    R_TOO_MANY_HEADERS,
    R_CHAIN_TOO_LONG,
];

/// Each rule's counters (dropped, counted), by `Rule as usize`.
const RULE_STATS: [(u16, u16); 6] = [
    (S_V4_MAPPED_DROPPED, S_V4_MAPPED_COUNTED),
    (S_V4_COMPATIBLE_DROPPED, S_V4_COMPATIBLE_COUNTED),
    (S_6TO4_DROPPED, S_6TO4_COUNTED),
    (S_TCP_UNSPECIFIED_DROPPED, S_TCP_UNSPECIFIED_COUNTED),
    (S_TOO_MANY_HEADERS_DROPPED, S_TOO_MANY_HEADERS_COUNTED),
    (S_CHAIN_TOO_LONG_DROPPED, S_CHAIN_TOO_LONG_COUNTED),
];

/// Each place's counter, by `guard_rules::place_index`.
const PLACE_STATS: [u16; PLACES] = [
    S_AT_SOURCE,
    S_AT_DESTINATION,
    S_AT_HOME_ADDRESS,
    S_AT_ROUTING,
    S_AT_INNER,
];

static RULES_POLICY: Policy<{ R_ICMP_ERRORS as usize + 1 }> = Policy::new()
    .with(R_V4_MAPPED, AttrPolicy::u32_range(0, MODE_MAX))
    .with(R_V4_COMPATIBLE, AttrPolicy::u32_range(0, MODE_MAX))
    .with(R_6TO4, AttrPolicy::u32_range(0, MODE_MAX))
    .with(R_TCP_UNSPECIFIED, AttrPolicy::u32_range(0, MODE_MAX))
    .with(R_TOO_MANY_HEADERS, AttrPolicy::u32_range(0, MODE_MAX))
    .with(R_CHAIN_TOO_LONG, AttrPolicy::u32_range(0, MODE_MAX))
    .with(R_MAX_HEADERS, AttrPolicy::u8())
    .with(R_MAX_CHAIN_BYTES, AttrPolicy::u16())
    .with(R_ICMP_ERRORS, AttrPolicy::u8_range(0, 1));

static OPS: [SplitOp<Family>; 3] = [
    SplitOp::doit_without_attributes(CMD_STATS_GET, perm::NONE),
    SplitOp::doit_without_attributes(CMD_RULES_GET, perm::NONE),
    SplitOp::doit(CMD_RULES_SET, perm::NETNS_ADMIN, &RULES_POLICY),
];
static FAMILY: OpsFamily<Family> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-guard\0",
    1,
    &OPS,
    &[],
);

/// The family's callbacks, on the hooks' registration, whose per-namespace state they read.
struct Family;

impl Family {
    fn stats(g: &NetGuard, w: &mut Writer<'_>) -> Result {
        for (i, &(dropped, counted)) in RULE_STATS.iter().enumerate() {
            w.put_u64(dropped, g.dropped[i].load(Relaxed), S_PAD)?;
            w.put_u64(counted, g.counted[i].load(Relaxed), S_PAD)?;
        }
        for (&attr, c) in PLACE_STATS.iter().zip(g.at.iter()) {
            w.put_u64(attr, c.load(Relaxed), S_PAD)?;
        }
        w.put_u64(S_ICMP_ERRORS, g.icmp_errors.load(Relaxed), S_PAD)?;
        w.put_u64(S_TRUNCATED, g.truncated.load(Relaxed), S_PAD)?;
        w.put_u64(S_COPIED, g.copied.load(Relaxed), S_PAD)
    }

    fn rules(g: &NetGuard, w: &mut Writer<'_>) -> Result {
        let c = Config::unpack(g.config.load(Relaxed));
        for (&attr, &mode) in RULE_ATTRS.iter().zip(c.modes.iter()) {
            w.put_u32(attr, mode as u32)?;
        }
        w.put_u8(R_MAX_HEADERS, c.limits.max_headers)?;
        w.put_u16(R_MAX_CHAIN_BYTES, c.limits.max_chain_bytes)?;
        w.put_u8(R_ICMP_ERRORS, u8::from(c.icmp_errors))
    }

    /// Applies the request's attributes to `c`: whether it had any.  The policy has bounded
    /// every value.
    fn apply(req: &Request<'_>, c: &mut Config) -> Result<bool> {
        let mut any = false;
        for (i, &attr) in RULE_ATTRS.iter().enumerate() {
            if let Some(a) = req.attr(attr)? {
                c.modes[i] = Mode::from_u32(a.u32()?).ok_or(EINVAL)?;
                any = true;
            }
        }
        if let Some(a) = req.attr(R_MAX_HEADERS)? {
            c.limits.max_headers = a.u8()?;
            any = true;
        }
        if let Some(a) = req.attr(R_MAX_CHAIN_BYTES)? {
            c.limits.max_chain_bytes = a.u16()?;
            any = true;
        }
        if let Some(a) = req.attr(R_ICMP_ERRORS)? {
            c.icmp_errors = a.u8()? != 0;
            any = true;
        }
        Ok(any)
    }

    fn set(g: &NetGuard, req: &Request<'_>) -> Result {
        let mut old = g.config.load(Relaxed);
        loop {
            let mut c = Config::unpack(old);
            if !Self::apply(req, &mut c)? {
                return Err(req.error(EINVAL, c"no rule or limit to set", None));
            }
            // Another request may have changed other rules meanwhile: apply to what it left.
            match g.config.cmpxchg(old, c.pack(), Relaxed) {
                Ok(_) => return Ok(()),
                Err(now) => old = now,
            }
        }
    }
}

impl genl::Operations for Family {
    type Data = netfilter::Registration<NetGuard>;
    type DumpState = ();
    const FAMILY: &'static OpsFamily<Self> = &FAMILY;

    fn doit(nets: &Self::Data, req: &Request<'_>) -> Result {
        let g = nets.state(req.net()).ok_or(ENODEV)?;
        match req.cmd() {
            CMD_STATS_GET => req.reply_with(CMD_STATS_GET, |w| Self::stats(g, w)),
            CMD_RULES_GET => req.reply_with(CMD_RULES_GET, |w| Self::rules(g, w)),
            CMD_RULES_SET => Self::set(g, req),
            _ => Err(EOPNOTSUPP),
        }
    }
}

struct Guard {
    _family: genl::Registration<Family>,
}

impl kernel::Module for Guard {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let hooks = Arc::new(netfilter::Registration::new(())?, GFP_KERNEL)?;
        Ok(Guard {
            _family: genl::Registration::new(hooks)?,
        })
    }
}

#[kunit_tests(rv6_guard)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_matches_the_rules() {
        assert_eq!(RULES_POLICY.maxattr(), R_ICMP_ERRORS);
        for (i, rule) in Rule::ALL.iter().enumerate() {
            assert_eq!(*rule as usize, i);
            assert_eq!(
                u32::from(RULES_POLICY.entry(RULE_ATTRS[i]).kind()),
                kernel::bindings::NLA_U32
            );
        }
        assert_eq!(MODE_MAX, Mode::Drop as u32);
        assert_eq!(PLACE_STATS.len(), PLACES);
        assert_eq!(
            u32::from(guard_chain::ICMPV6_PARAMETER_PROBLEM),
            kernel::bindings::ICMPV6_PARAMPROB
        );
    }

    #[test]
    fn the_default_configuration_survives_its_word() {
        let c = Config::default();
        assert_eq!(Config::unpack(c.pack()), c);
        assert!(c.icmp_errors);
        assert_eq!(c.limits.max_headers, 12);
    }

    #[test]
    fn a_v4_mapped_source_is_dropped_by_default() {
        let mut p = [0u8; 48];
        p[0] = 0x60;
        p[6] = guard_chain::proto::UDP;
        p[18] = 0xff;
        p[19] = 0xff;
        p[20] = 127;
        p[23] = 1;
        p[24] = 0x20;
        p[25] = 0x01;
        let j = judge(&p, &Config::default());
        assert_eq!(j.dropped.map(|d| d.rule), Some(Rule::V4Mapped));
    }
}
