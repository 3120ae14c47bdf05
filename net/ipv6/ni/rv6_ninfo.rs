// SPDX-License-Identifier: GPL-2.0

//! IPv6 Node Information Queries (RFC 4620): a responder in the kernel, per network
//! namespace.
//!
//! `icmpv6_rcv()` ignores NI Queries (ICMPv6 type 139) and Linux has no responder; KAME had
//! one in the kernel (`ni6_input()`), iputils had `ninfod` in userspace until 2021, and
//! `ping -N` still asks.  A netfilter hook at `LOCAL_IN` (last, so that a firewall that
//! drops ICMPv6 type 139 keeps it from us) hands every Query addressed to the namespace, with
//! ICMPv6 right after the IPv6 header, to the pure core (`ninfo_wire`: §4's parsing, §5's
//! checks in order, §8's policy, the Reply), and sends the Reply it writes from the queried
//! address (for a multicast Query, from the source address the kernel picks, not a temporary
//! one) as a new packet (`kernel::net::ipv6::icmp::send`).  The Query itself goes on to the
//! raw sockets, as before.
//!
//! The node's name is the namespace's setting, else the host's (`init_uts_ns`: its node name,
//! and its NIS domain name unless it is "(none)"); its addresses are the namespace's
//! interfaces'.  Replies are rate-limited per namespace (§5: "as it would ICMPv6 error
//! replies"), a token bucket of `rate` a second and `burst`.  Every decision is counted.  The
//! generic netlink family `rv6-ninfo` (`Documentation/netlink/specs/rv6_ninfo.yaml`,
//! `rv6 ninfo`) reads the counters and reads and sets the policy, in the requester's
//! namespace.
//!
//! Not done: the random delay RFC 4620 §5 asks of a Reply to a multicast Query, and joining
//! the NI Group Addresses (a Query to one is answered if it reaches the node, e.g. through
//! another group it joined).

use kernel::{
    bindings,
    net::{
        ipv6::icmp::{
            self,
            Ipv6Address as IfAddress, //
        },
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
    new_spinlock,
    new_spinlock_irq,
    prelude::*,
    sync::{
        atomic::{
            ordering::Relaxed,
            Atomic, //
        },
        Arc,
        SpinLock,
        SpinLockIrq, //
    },
    time::tick, //
};

// The core is `pub` for the host tests; here it is private and partly unused (the reply
// parser is the tests' and a querier's).
#[expect(unreachable_pub, dead_code)]
#[path = "ninfo_wire.rs"]
mod ninfo_wire;

use ninfo_wire::{
    build_reply,
    decide,
    parse_query,
    Context,
    Decision,
    Ignored,
    Ipv4Address,
    Ipv6Address,
    NodeInfo,
    Policy as NiPolicy,
    Scope,
    ICMPV6_NI_QUERY, //
};

module! {
    type: Ninfo,
    name: "rv6_ninfo",
    authors: ["rv6 developers"],
    description: "IPv6 Node Information Queries (RFC 4620): the responder",
    license: "GPL",
}

/// The longest Query read: the header, and a name subject of 255 octets.
const MAX_QUERY: usize = ninfo_wire::HEADER_LEN + ninfo_wire::MAX_NAME_LEN;
/// The longest name the family takes (a DNS name's limit, `ninfo_wire::MAX_NAME_LEN`).
const MAX_NAME: usize = 255;

/// The settings the hook reads for every Query, packed in one word (see [`Settings::pack`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Settings {
    policy: NiPolicy,
    /// Replies a second (0: no limit).
    rate: u16,
    /// Replies at once.
    burst: u16,
}

impl Settings {
    const DEFAULT: Settings = Settings {
        policy: NiPolicy::DEFAULT,
        rate: 10,
        burst: 10,
    };

    fn pack(&self) -> u64 {
        let p = &self.policy;
        let scope = match p.querier_scope {
            Scope::Loopback => 0u64,
            Scope::LinkLocal => 1,
            Scope::SiteLocal => 2,
            Scope::Global => 3,
        };
        let bits = [
            p.refuse_with_reply,
            p.noop,
            p.node_name,
            p.node_addresses,
            p.ipv4_addresses,
            p.privacy_addresses,
        ]
        .iter()
        .enumerate()
        .fold(0u64, |w, (i, &b)| w | (u64::from(b) << (2 + i)));
        scope
            | bits
            | u64::from(p.max_reply_len) << 16
            | u64::from(self.rate) << 32
            | u64::from(self.burst) << 48
    }

    fn unpack(w: u64) -> Settings {
        let bit = |i: u32| w >> (2 + i) & 1 == 1;
        Settings {
            policy: NiPolicy {
                querier_scope: match w & 3 {
                    0 => Scope::Loopback,
                    1 => Scope::LinkLocal,
                    2 => Scope::SiteLocal,
                    _ => Scope::Global,
                },
                refuse_with_reply: bit(0),
                noop: bit(1),
                node_name: bit(2),
                node_addresses: bit(3),
                ipv4_addresses: bit(4),
                privacy_addresses: bit(5),
                ni_group_only: false,
                max_reply_len: (w >> 16) as u16,
            },
            rate: (w >> 32) as u16,
            burst: (w >> 48) as u16,
        }
    }
}

/// A name set through the family, NUL-terminated.
struct Name {
    bytes: [u8; MAX_NAME + 1],
    len: usize,
}

/// The token bucket of the replies.
struct Bucket {
    /// Tokens, in thousandths.
    milli: u64,
    /// The tick count of the last refill.
    at: u64,
}

/// A namespace's responder.
#[pin_data]
struct NetNinfo {
    settings: Atomic<u64>,
    /// The name set through the family, if any (else the host's).
    #[pin]
    name: SpinLockIrq<Name>,
    /// Taken by the hook only (softirq).
    #[pin]
    bucket: SpinLock<Bucket>,
    queries: Atomic<u64>,
    malformed: Atomic<u64>,
    answered: Atomic<u64>,
    unknown_qtype: Atomic<u64>,
    refused: Atomic<u64>,
    ignored_querier: Atomic<u64>,
    ignored_queried: Atomic<u64>,
    ignored_subject: Atomic<u64>,
    ignored_refused: Atomic<u64>,
    rate_limited: Atomic<u64>,
    send_failed: Atomic<u64>,
}

static SLOT: PernetSlot = PernetSlot::new();

/// The node as the core sees it: the namespace's addresses, and a name.
struct NetNode<'a> {
    net: &'a Namespace,
    hostname: &'a [u8],
    domain: Option<&'a [u8]>,
}

impl NodeInfo for NetNode<'_> {
    fn hostname(&self) -> &[u8] {
        self.hostname
    }

    fn domain(&self) -> Option<&[u8]> {
        self.domain
    }

    fn for_each_ipv6(&self, f: &mut dyn FnMut(&Ipv6Address)) {
        icmp::for_each_ipv6_address(self.net, |a| {
            f(&Ipv6Address {
                addr: a.addr,
                ifindex: a.ifindex as u32,
                tentative: a.flags & (IfAddress::TENTATIVE | IfAddress::DAD_FAILED) != 0,
                deprecated: a.flags & IfAddress::DEPRECATED != 0,
                temporary: a.flags & IfAddress::TEMPORARY != 0,
                anycast: false,
            })
        });
    }

    fn for_each_ipv4(&self, f: &mut dyn FnMut(&Ipv4Address)) {
        icmp::for_each_ipv4_address(self.net, |addr, ifindex| {
            f(&Ipv4Address {
                addr,
                ifindex: ifindex as u32,
            })
        });
    }
}

impl NetNinfo {
    /// Whether a Reply may go now (the token bucket).
    fn allow(&self, s: &Settings) -> bool {
        if s.rate == 0 {
            return true;
        }
        let now = tick::jiffies();
        let mut b = self.bucket.lock();
        let elapsed_ns = tick::ticks_to_nanos(b.at, now);
        b.at = now;
        let cap = u64::from(s.burst.max(1)) * 1000;
        let refill = elapsed_ns.saturating_mul(u64::from(s.rate)) / 1_000_000;
        b.milli = b.milli.saturating_add(refill).min(cap);
        if b.milli < 1000 {
            return false;
        }
        b.milli -= 1000;
        true
    }

    fn count(&self, d: &Decision) {
        let c = match d {
            Decision::Answer => &self.answered,
            Decision::UnknownQtype => &self.unknown_qtype,
            Decision::Refuse(_) => &self.refused,
            Decision::Ignore(Ignored::QuerierInvalid) => &self.ignored_querier,
            Decision::Ignore(Ignored::QueriedScope | Ignored::NotNiGroup) => &self.ignored_queried,
            Decision::Ignore(Ignored::SubjectNotOurs) => &self.ignored_subject,
            Decision::Ignore(Ignored::Refused(_)) => &self.ignored_refused,
        };
        c.add(1, Relaxed);
    }

    /// Answers the Query `query` (from its ICMPv6 header on) that came from `querier` to
    /// `queried` on interface `iif`.
    fn answer(
        &self,
        net: &Namespace,
        query: &[u8],
        querier: [u8; 16],
        queried: [u8; 16],
        iif: i32,
    ) {
        self.queries.add(1, Relaxed);
        let Ok(q) = parse_query(query) else {
            self.malformed.add(1, Relaxed);
            return;
        };
        let s = Settings::unpack(self.settings.load(Relaxed));
        let (set, set_len) = {
            let n = self.name.lock();
            (n.bytes, n.len)
        };
        let mut host = [0u8; 65];
        let mut domain = [0u8; 65];
        let (host_len, domain_len) = icmp::with_host_names(|h, d| {
            let copy = |out: &mut [u8; 65], s: &[u8]| {
                let n = s.len().min(64);
                out[..n].copy_from_slice(&s[..n]);
                n
            };
            (copy(&mut host, h), copy(&mut domain, d))
        });
        let hostname = if set_len > 0 {
            &set[..set_len]
        } else {
            &host[..host_len]
        };
        let domain = (set_len == 0 && domain_len > 0 && &domain[..domain_len] != b"(none)")
            .then_some(&domain[..domain_len]);
        let node = NetNode {
            net,
            hostname,
            domain,
        };
        let ctx = Context { querier, queried };
        let d = decide(&q, &ctx, &node, &s.policy);
        self.count(&d);
        let Some(code) = d.reply_code() else {
            return;
        };
        if !self.allow(&s) {
            self.rate_limited.add(1, Relaxed);
            return;
        }
        // From the queried address, unless it is a multicast one (§5; the kernel picks a
        // public source then).
        let src = if ctx.multicast() {
            match icmp::source_for(net, iif, &querier) {
                Some(a) => a,
                None => {
                    self.send_failed.add(1, Relaxed);
                    return;
                }
            }
        } else {
            queried
        };
        let len = usize::from(s.policy.max_reply_len);
        let sent = icmp::send(net, &src, &querier, iif, len, |out| {
            build_reply(&q, &ctx, &node, code, out).ok()
        });
        if sent.is_err() {
            self.send_failed.add(1, Relaxed);
        }
    }
}

impl NetHooks for NetNinfo {
    type Shared = ();
    const HOOKS: &'static [Hook] = &[Hook::ipv6(HookPoint::LocalIn, priority::LAST)];
    const SLOT: &'static PernetSlot = &SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(NetNinfo {
            settings: Atomic::new(Settings::DEFAULT.pack()),
            name <- new_spinlock_irq!(Name {
                bytes: [0; MAX_NAME + 1],
                len: 0,
            }),
            bucket <- new_spinlock!(Bucket {
                milli: u64::from(Settings::DEFAULT.burst) * 1000,
                at: tick::jiffies(),
            }),
            queries: Atomic::new(0),
            malformed: Atomic::new(0),
            answered: Atomic::new(0),
            unknown_qtype: Atomic::new(0),
            refused: Atomic::new(0),
            ignored_querier: Atomic::new(0),
            ignored_queried: Atomic::new(0),
            ignored_subject: Atomic::new(0),
            ignored_refused: Atomic::new(0),
            rate_limited: Atomic::new(0),
            send_failed: Atomic::new(0),
        }? Error)
    }

    /// An NI Query right after the IPv6 header (a Query behind extension headers is left to
    /// the raw sockets).  Every packet is accepted.
    fn hook(&self, skb: &SkBuff, state: &HookState) -> Verdict {
        let mut head = [0u8; 41];
        let Some(h) = skb.network_bytes(0, &mut head) else {
            return Verdict::Accept;
        };
        if u32::from(h[6]) != bindings::IPPROTO_ICMPV6 || h[40] != ICMPV6_NI_QUERY {
            return Verdict::Accept;
        }
        let (mut querier, mut queried) = ([0u8; 16], [0u8; 16]);
        querier.copy_from_slice(&h[8..24]);
        queried.copy_from_slice(&h[24..40]);
        let len = (skb.network_len().saturating_sub(40)).min(MAX_QUERY);
        let mut buf = [0u8; MAX_QUERY];
        let net = state.net();
        match skb.network_bytes(40, &mut buf[..len]) {
            Some(query) if skb.network_len() - 40 <= MAX_QUERY => {
                let iif = state.in_ifindex().unwrap_or(0);
                self.answer(net, query, querier, queried, iif);
            }
            _ => {
                self.queries.add(1, Relaxed);
                self.malformed.add(1, Relaxed);
            }
        }
        Verdict::Accept
    }
}

// The generic netlink family (Documentation/netlink/specs/rv6_ninfo.yaml).
const CMD_STATS_GET: u8 = 1;
const CMD_SETTINGS_GET: u8 = 2;
const CMD_SETTINGS_SET: u8 = 3;

/// The highest value of the enum `scope`.
const SCOPE_MAX: u32 = 3;

// Attribute set `settings`.
const T_QUERIER_SCOPE: u16 = 1;
const T_REFUSE_WITH_REPLY: u16 = 2;
const T_NOOP: u16 = 3;
const T_NODE_NAME: u16 = 4;
const T_NODE_ADDRESSES: u16 = 5;
const T_IPV4_ADDRESSES: u16 = 6;
const T_PRIVACY_ADDRESSES: u16 = 7;
const T_MAX_REPLY_LEN: u16 = 8;
const T_RATE: u16 = 9;
const T_BURST: u16 = 10;
const T_NAME: u16 = 11;

// Attribute set `stats`.
const S_PAD: u16 = 1;
const S_QUERIES: u16 = 2;
const S_MALFORMED: u16 = 3;
const S_ANSWERED: u16 = 4;
const S_UNKNOWN_QTYPE: u16 = 5;
const S_REFUSED: u16 = 6;
const S_IGNORED_QUERIER: u16 = 7;
const S_IGNORED_QUERIED: u16 = 8;
const S_IGNORED_SUBJECT: u16 = 9;
const S_IGNORED_REFUSED: u16 = 10;
const S_RATE_LIMITED: u16 = 11;
const S_SEND_FAILED: u16 = 12;

/// The u8 flags of `settings`, each with its field of [`NiPolicy`].
const FLAGS: [u16; 6] = [
    T_REFUSE_WITH_REPLY,
    T_NOOP,
    T_NODE_NAME,
    T_NODE_ADDRESSES,
    T_IPV4_ADDRESSES,
    T_PRIVACY_ADDRESSES,
];

fn flag_of(p: &mut NiPolicy, attr: u16) -> Option<&mut bool> {
    Some(match attr {
        T_REFUSE_WITH_REPLY => &mut p.refuse_with_reply,
        T_NOOP => &mut p.noop,
        T_NODE_NAME => &mut p.node_name,
        T_NODE_ADDRESSES => &mut p.node_addresses,
        T_IPV4_ADDRESSES => &mut p.ipv4_addresses,
        T_PRIVACY_ADDRESSES => &mut p.privacy_addresses,
        _ => return None,
    })
}

static SETTINGS_POLICY: Policy<{ T_NAME as usize + 1 }> = Policy::new()
    .with(T_QUERIER_SCOPE, AttrPolicy::u32_range(0, SCOPE_MAX))
    .with(T_REFUSE_WITH_REPLY, AttrPolicy::u8_range(0, 1))
    .with(T_NOOP, AttrPolicy::u8_range(0, 1))
    .with(T_NODE_NAME, AttrPolicy::u8_range(0, 1))
    .with(T_NODE_ADDRESSES, AttrPolicy::u8_range(0, 1))
    .with(T_IPV4_ADDRESSES, AttrPolicy::u8_range(0, 1))
    .with(T_PRIVACY_ADDRESSES, AttrPolicy::u8_range(0, 1))
    .with(T_MAX_REPLY_LEN, AttrPolicy::u16_range(32, 1240))
    .with(T_RATE, AttrPolicy::u16())
    .with(T_BURST, AttrPolicy::u16_range(1, 10000))
    .with(T_NAME, AttrPolicy::nul_string(MAX_NAME as u16));

static OPS: [SplitOp<Family>; 3] = [
    SplitOp::doit_without_attributes(CMD_STATS_GET, perm::NONE),
    SplitOp::doit_without_attributes(CMD_SETTINGS_GET, perm::NONE),
    SplitOp::doit(CMD_SETTINGS_SET, perm::NETNS_ADMIN, &SETTINGS_POLICY),
];
static FAMILY: OpsFamily<Family> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-ninfo\0",
    1,
    &OPS,
    &[],
);

/// The family's callbacks, on the hooks' registration.
struct Family;

impl Family {
    fn stats(n: &NetNinfo, w: &mut Writer<'_>) -> Result {
        for (attr, c) in [
            (S_QUERIES, &n.queries),
            (S_MALFORMED, &n.malformed),
            (S_ANSWERED, &n.answered),
            (S_UNKNOWN_QTYPE, &n.unknown_qtype),
            (S_REFUSED, &n.refused),
            (S_IGNORED_QUERIER, &n.ignored_querier),
            (S_IGNORED_QUERIED, &n.ignored_queried),
            (S_IGNORED_SUBJECT, &n.ignored_subject),
            (S_IGNORED_REFUSED, &n.ignored_refused),
            (S_RATE_LIMITED, &n.rate_limited),
            (S_SEND_FAILED, &n.send_failed),
        ] {
            w.put_u64(attr, c.load(Relaxed), S_PAD)?;
        }
        Ok(())
    }

    fn settings(n: &NetNinfo, w: &mut Writer<'_>) -> Result {
        let s = Settings::unpack(n.settings.load(Relaxed));
        let mut p = s.policy;
        w.put_u32(T_QUERIER_SCOPE, (s.pack() & 3) as u32)?;
        for attr in FLAGS {
            let v = flag_of(&mut p, attr).is_some_and(|b| *b);
            w.put_u8(attr, u8::from(v))?;
        }
        w.put_u16(T_MAX_REPLY_LEN, s.policy.max_reply_len)?;
        w.put_u16(T_RATE, s.rate)?;
        w.put_u16(T_BURST, s.burst)?;
        let (bytes, len) = {
            let name = n.name.lock();
            (name.bytes, name.len)
        };
        let name = CStr::from_bytes_with_nul(&bytes[..=len]).map_err(|_| EINVAL)?;
        w.put_string(T_NAME, name)
    }

    fn set(n: &NetNinfo, req: &Request<'_>) -> Result {
        let name = match req.attr(T_NAME)? {
            Some(a) => {
                let b = a.string()?.to_bytes();
                if !b.is_empty() && ninfo_wire::NodeName::new(b, None).is_err() {
                    return Err(req.error(EINVAL, c"the name is no DNS name", Some(&a)));
                }
                let mut buf = [0u8; MAX_NAME + 1];
                buf.get_mut(..b.len()).ok_or(EINVAL)?.copy_from_slice(b);
                Some((b.len(), buf))
            }
            None => None,
        };
        let mut any = name.is_some();
        let mut old = n.settings.load(Relaxed);
        loop {
            let mut s = Settings::unpack(old);
            if let Some(a) = req.attr(T_QUERIER_SCOPE)? {
                s.policy.querier_scope = match a.u32()? {
                    0 => Scope::Loopback,
                    1 => Scope::LinkLocal,
                    2 => Scope::SiteLocal,
                    _ => Scope::Global,
                };
                any = true;
            }
            for attr in FLAGS {
                if let Some(a) = req.attr(attr)? {
                    if let Some(b) = flag_of(&mut s.policy, attr) {
                        *b = a.u8()? != 0;
                    }
                    any = true;
                }
            }
            if let Some(a) = req.attr(T_MAX_REPLY_LEN)? {
                s.policy.max_reply_len = a.u16()?;
                any = true;
            }
            if let Some(a) = req.attr(T_RATE)? {
                s.rate = a.u16()?;
                any = true;
            }
            if let Some(a) = req.attr(T_BURST)? {
                s.burst = a.u16()?;
                any = true;
            }
            if !any {
                return Err(req.error(EINVAL, c"nothing to set", None));
            }
            match n.settings.cmpxchg(old, s.pack(), Relaxed) {
                Ok(_) => break,
                Err(now) => old = now,
            }
        }
        if let Some((len, bytes)) = name {
            let mut cur = n.name.lock();
            cur.bytes = bytes;
            cur.len = len;
        }
        Ok(())
    }
}

impl genl::Operations for Family {
    type Data = netfilter::Registration<NetNinfo>;
    type DumpState = ();
    const FAMILY: &'static OpsFamily<Self> = &FAMILY;

    fn doit(nets: &Self::Data, req: &Request<'_>) -> Result {
        let n = nets.state(req.net()).ok_or(ENODEV)?;
        match req.cmd() {
            CMD_STATS_GET => req.reply_with(CMD_STATS_GET, |w| Self::stats(n, w)),
            CMD_SETTINGS_GET => req.reply_with(CMD_SETTINGS_GET, |w| Self::settings(n, w)),
            CMD_SETTINGS_SET => Self::set(n, req),
            _ => Err(EOPNOTSUPP),
        }
    }
}

struct Ninfo {
    _family: genl::Registration<Family>,
}

impl kernel::Module for Ninfo {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let hooks = Arc::new(netfilter::Registration::new(())?, GFP_KERNEL)?;
        Ok(Ninfo {
            _family: genl::Registration::new(hooks)?,
        })
    }
}

#[kunit_tests(rv6_ninfo)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_their_word() {
        let s = Settings::DEFAULT;
        assert_eq!(Settings::unpack(s.pack()), s);
        let mut t = s;
        t.policy.querier_scope = Scope::Global;
        t.policy.refuse_with_reply = true;
        t.policy.node_name = false;
        t.policy.max_reply_len = 512;
        t.rate = 0;
        t.burst = 7;
        assert_eq!(Settings::unpack(t.pack()), t);
    }

    #[test]
    fn the_policy_matches_the_settings() {
        assert_eq!(SETTINGS_POLICY.maxattr(), T_NAME);
        assert_eq!(MAX_NAME, ninfo_wire::MAX_NAME_LEN);
        assert_eq!(u32::from(ICMPV6_NI_QUERY), bindings::ICMPV6_NI_QUERY);
    }
}
