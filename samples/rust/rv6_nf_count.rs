// SPDX-License-Identifier: GPL-2.0

//! Counts IPv6 packets at each netfilter hook, per network namespace.
//!
//! The sample for [`kernel::net::netfilter`] and [`kernel::net::netlink::genl`]: every namespace
//! gets a state with one set of counters per hook point, which the generic netlink family
//! `rv6-nf-count` (`Documentation/netlink/specs/rv6_nf_count.yaml`) reads and resets, in the
//! requester's namespace only.  Besides all packets and bytes it counts ICMPv6 echo requests and
//! replies, so a test can ping and expect exact numbers.

use kernel::{
    net::{
        namespace::{
            Namespace,
            PernetSlot, //
        },
        netfilter::{
            priority,
            Hook,
            HookPoint,
            HookState,
            NetHooks,
            Registration,
            Verdict, //
        },
        netlink::{
            genl::{
                self,
                perm,
                AttrPolicy,
                Dump,
                DumpProgress,
                Operations,
                OpsFamily,
                Policy,
                Request,
                SplitOp,
                Writer, //
            },
            GENLMSG_DEFAULT_SIZE, //
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

module! {
    type: NfCount,
    name: "rv6_nf_count",
    authors: ["rv6 developers"],
    description: "Count IPv6 packets per netfilter hook and namespace (sample)",
    license: "GPL",
}

/// Next header value of ICMPv6 (RFC 4443).
const IPPROTO_ICMPV6: u8 = 58;
/// ICMPv6 Echo Request and Echo Reply types.
const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;
/// Bytes of the fixed IPv6 header.
const IPV6_HEADER_LEN: usize = 40;

/// Whether the IPv6 packet starting with `start` (its header and at least one byte more) is an
/// ICMPv6 echo request or reply carried directly after the fixed header.
fn is_echo(start: &[u8]) -> bool {
    start.len() > IPV6_HEADER_LEN
        && start[0] >> 4 == 6
        && start[6] == IPPROTO_ICMPV6
        && matches!(start[IPV6_HEADER_LEN], ECHO_REQUEST | ECHO_REPLY)
}

struct HookCount {
    packets: Atomic<u64>,
    bytes: Atomic<u64>,
    echo: Atomic<u64>,
}

impl HookCount {
    const fn zero() -> HookCount {
        HookCount {
            packets: Atomic::new(0),
            bytes: Atomic::new(0),
            echo: Atomic::new(0),
        }
    }

    fn reset(&self) {
        self.packets.store(0, Relaxed);
        self.bytes.store(0, Relaxed);
        self.echo.store(0, Relaxed);
    }
}

/// Per-namespace state: one set of counters per hook point, indexed by [`HookPoint`].
struct NetCounters([HookCount; 5]);

static SLOT: PernetSlot = PernetSlot::new();

impl NetHooks for NetCounters {
    type Shared = ();
    const HOOKS: &'static [Hook] = &[
        Hook::ipv6(HookPoint::PreRouting, priority::FIRST),
        Hook::ipv6(HookPoint::LocalIn, priority::FIRST),
        Hook::ipv6(HookPoint::Forward, priority::FIRST),
        Hook::ipv6(HookPoint::LocalOut, priority::FIRST),
        Hook::ipv6(HookPoint::PostRouting, priority::FIRST),
    ];
    const SLOT: &'static PernetSlot = &SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        Ok::<_, Error>(NetCounters([const { HookCount::zero() }; 5]))
    }

    fn hook(&self, skb: &SkBuff, state: &HookState) -> Verdict {
        let c = &self.0[state.point() as usize];
        c.packets.add(1, Relaxed);
        c.bytes.add(u64::from(skb.len()), Relaxed);
        let mut buf = [0u8; IPV6_HEADER_LEN + 1];
        if skb.network_bytes(0, &mut buf).is_some_and(is_echo) {
            c.echo.add(1, Relaxed);
        }
        Verdict::Accept
    }
}

// The generic netlink family (Documentation/netlink/specs/rv6_nf_count.yaml).
const CMD_GET: u8 = 1;
const CMD_RESET: u8 = 2;
const A_PAD: u16 = 1;
const A_HOOK: u16 = 2;
const A_PACKETS: u16 = 3;
const A_BYTES: u16 = 4;
const A_ECHO: u16 = 5;

const N_ATTRS: usize = A_HOOK as usize + 1;
static HOOK_POLICY: Policy<N_ATTRS> = Policy::new().with(
    A_HOOK,
    AttrPolicy::u32_range(0, HookPoint::ALL.len() as u32 - 1),
);
static OPS: [SplitOp<Counters>; 3] = [
    SplitOp::doit(CMD_GET, perm::NONE, &HOOK_POLICY),
    SplitOp::dumpit_without_attributes(CMD_GET, perm::NONE),
    SplitOp::doit(CMD_RESET, perm::NETNS_ADMIN, &HOOK_POLICY),
];
static FAMILY: OpsFamily<Counters> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-nf-count\0",
    1,
    &OPS,
    &[],
);

/// Writes one hook's counters.
fn put_hook(w: &mut Writer<'_>, hook: usize, c: &HookCount) -> Result {
    w.put_u32(A_HOOK, hook as u32)?;
    w.put_u64(A_PACKETS, c.packets.load(Relaxed), A_PAD)?;
    w.put_u64(A_BYTES, c.bytes.load(Relaxed), A_PAD)?;
    w.put_u64(A_ECHO, c.echo.load(Relaxed), A_PAD)
}

/// The family's callbacks; they share the hooks' registration, whose state they read.
struct Counters;

impl Operations for Counters {
    type Data = Registration<NetCounters>;
    /// The next hook to dump.
    type DumpState = usize;
    const FAMILY: &'static OpsFamily<Self> = &FAMILY;

    fn doit(hooks: &Self::Data, req: &Request<'_>) -> Result {
        let counters = hooks.state(req.net()).ok_or(ENODEV)?;
        let hook = req
            .attr(A_HOOK)?
            .map(|a| a.u32())
            .transpose()?
            .map(|h| h as usize);
        match req.cmd() {
            CMD_GET => {
                let hook = req.require(A_HOOK)?.u32()? as usize;
                let mut msg = req.reply(GENLMSG_DEFAULT_SIZE, CMD_GET)?;
                put_hook(&mut msg.writer(), hook, &counters.0[hook])?;
                msg.reply(req)
            }
            CMD_RESET => {
                for (i, c) in counters.0.iter().enumerate() {
                    if hook.is_none_or(|h| h == i) {
                        c.reset();
                    }
                }
                Ok(())
            }
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dump_start(_: &Self::Data, _: &Request<'_>) -> Result<usize> {
        Ok(0)
    }

    fn dumpit(hooks: &Self::Data, next: &mut usize, dump: &mut Dump<'_>) -> Result<DumpProgress> {
        let counters = hooks.state(dump.net()).ok_or(ENODEV)?;
        while let Some(c) = counters.0.get(*next) {
            if !dump.entry(CMD_GET, |w| put_hook(w, *next, c))? {
                return Ok(DumpProgress::More);
            }
            *next += 1;
        }
        Ok(DumpProgress::Done)
    }
}

struct NfCount {
    _family: genl::Registration<Counters>,
}

impl kernel::Module for NfCount {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let hooks = Arc::new(Registration::new(())?, GFP_KERNEL)?;
        let family = genl::Registration::new(hooks)?;
        Ok(NfCount { _family: family })
    }
}

#[kunit_tests(rv6_nf_count)]
mod tests {
    use super::*;

    fn packet(next_header: u8, icmp_type: u8) -> [u8; 41] {
        let mut p = [0u8; 41];
        p[0] = 0x60;
        p[6] = next_header;
        p[40] = icmp_type;
        p
    }

    #[test]
    fn echo_request_and_reply_are_echo() {
        assert!(is_echo(&packet(58, 128)));
        assert!(is_echo(&packet(58, 129)));
    }

    #[test]
    fn other_icmpv6_and_other_protocols_are_not() {
        assert!(!is_echo(&packet(58, 135))); // Neighbour Solicitation
        assert!(!is_echo(&packet(17, 128))); // UDP whose first byte happens to be 128
        assert!(!is_echo(&packet(0, 128))); // behind a Hop-by-Hop header: not looked into
    }

    #[test]
    fn short_or_non_ipv6_input_is_not_echo() {
        assert!(!is_echo(&packet(58, 128)[..40]));
        let mut v4 = packet(58, 128);
        v4[0] = 0x45;
        assert!(!is_echo(&v4));
        assert!(!is_echo(&[]));
    }

    #[test]
    fn the_policy_allows_exactly_the_hook_points() {
        let p = HOOK_POLICY.entry(A_HOOK);
        assert_eq!(u32::from(p.kind()), kernel::bindings::NLA_U32);
        assert_eq!(HOOK_POLICY.maxattr(), A_HOOK);
        assert_eq!(HookPoint::ALL.len(), 5);
    }
}
