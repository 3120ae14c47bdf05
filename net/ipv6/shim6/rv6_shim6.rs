// SPDX-License-Identifier: GPL-2.0

//! Shim6 (RFC 5533) in the kernel: the data path of a host's multihoming shim.
//!
//! Upper layers talk between two fixed identifiers, the ULIDs; a Shim6 context says which
//! pair of locators currently carries that traffic.  When the current pair differs from the
//! ULIDs, outbound packets get the locators as addresses and an 8-byte payload extension
//! header carrying the peer's context tag (RFC 5533 §5.2); inbound packets with that header
//! are matched to their context by our tag, checked against the peer's locators, given back
//! their ULIDs and delivered.  The upper-layer checksum covers the ULIDs and is never touched.
//!
//! - Output is an XFRM type for `IPPROTO_SHIM6` (kernel/patches/0006 gives it a slot) in route
//!   optimization mode, like Mobile IPv6's type 2 Routing Header: per context whose current
//!   pair differs from the ULIDs the module installs a state (care-of address: the peer's
//!   locator, which the bundle routes to) and a *sub* policy for the ULID pair.  The core
//!   applies a sub policy's template after the main policy's IPsec transport templates, so
//!   ESP is computed over the ULIDs and the shim sits below it (RFC 5533 §16).  The states
//!   are the kernel's: `ip xfrm state` shows them, user space cannot delete or flush them.
//! - Input is a handler for next header 140: payload headers are processed like an extension
//!   header (the IPv6 input path goes on with the header they name); control messages
//!   (P = 0) are consumed here after raw sockets bound to protocol 140 (the daemon's) got
//!   their copy.  GSO and GRO walk past the header like any extension header.
//! - Contexts and counters are per network namespace, managed through the generic netlink
//!   family `rv6-shim6` (`Documentation/netlink/specs/rv6_shim6.yaml`, `rv6 shim6`).
//!
//! - REAP (RFC 5534) is split with the daemon: the kernel sees every payload packet of a
//!   context (netfilter hooks at LOCAL_OUT and LOCAL_IN for packets on the ULIDs, the XFRM
//!   path and the input handler for rewritten ones), so it runs each context's Send and
//!   Keepalive Timers and idle expiry (`shim6_reap.rs`, one timer per context) and tells the
//!   daemon on the family's `events` group when a Keepalive is due, when the Send Timer
//!   expired (exploration must start), when payload arrives while exploring, when a context
//!   went idle and when a payload header carries an unknown tag.  The daemon sends the
//!   Keepalives and Probes on its raw socket, where its control-message code already is.
//!
//! - The data path finds contexts in two RCU hash tables (`kernel::rhashtable`), by our tag
//!   on input and by ULID pair and Forked Instance Identifier on output: O(1) and no lock
//!   shared between packets; the family's requests change them under a mutex, beside an
//!   ordered tree that dumps walk.
//!
//! - ICMPv6 errors about rewritten packets reach the input handler (the quoted packet's next
//!   header is 140); it finds the context by the peer's tag and the locator pair, puts the
//!   ULIDs back in the quote and passes the error on to the upper layer.
//!
//! - A new current pair moves the context's XFRM state in place (kernel/patches/0007) and
//!   tells the TCP connections between the ULIDs (kernel/patches/0008); a forked context
//!   (FII ≠ 0) takes the flows marked with its FII.  See Documentation/rv6/shim6.rst.

use kernel::{
    impl_has_object_timer,
    impl_rhash_item,
    net::{
        ipv6::protocol::{
            self,
            ExtHeaderOffload,
            Handler,
            IcmpError,
            Inbound,
            Verdict, //
        },
        ipv6::tcp,
        namespace::{
            Namespace,
            PernetSlot,
            WeakNamespace, //
        },
        netfilter::{
            self,
            priority,
            Hook,
            HookPoint,
            HookState,
            NetHooks, //
        },
        netlink::{
            genl::{
                self,
                admin_multicast_group,
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
            GenlMsg,
            MulticastGroup, //
        },
        skbuff::SkBuff,
        xfrm::{
            self,
            flags,
            Addr,
            Ipv6Header,
            OutputPacket,
            OwnedPolicy,
            OwnedState,
            PolicyParams,
            Refusal,
            State,
            StateParams,
            Type,
            MODE_ROUTE_OPTIMIZATION, //
        }, //
    },
    new_mutex,
    new_rhashtable,
    new_spinlock_irq,
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNode, //
    },
    rhashtable::{
        RhashLinks,
        RhashTable,
        Unlinked, //
    },
    sync::{
        atomic::{
            ordering::Relaxed,
            Atomic, //
        },
        rcu,
        Arc,
        ArcBorrow,
        Mutex,
        SpinLockIrq, //
    },
    time::{
        object_timer::{
            ObjectTimer,
            ObjectTimerCallback, //
        },
        tick,
        Delta,
        Instant,
        Monotonic, //
    },
    transmute::AsBytes, //
};

// The cores are `pub` for the host tests and the daemon; here they are private (and the
// wire format and REAP cores partly unused).
#[expect(unreachable_pub, dead_code)]
#[path = "shim6_reap.rs"]
mod reap;
#[expect(unreachable_pub)]
#[path = "shim6_trigger.rs"]
mod trigger;
#[expect(unreachable_pub, dead_code)]
#[path = "shim6_wire.rs"]
mod wire;

use reap::{
    Events,
    Mode,
    Quiet,
    Reap,
    ReapConfig, //
};
use trigger::{
    Pair,
    TriggerConfig, //
};
use wire::{
    ContextTag,
    ControlHeader,
    ControlRepr,
    Message,
    MessageType,
    PayloadHeader,
    PayloadRepr,
    IPPROTO_SHIM6, //
};

module! {
    type: Shim6,
    name: "rv6_shim6",
    authors: ["rv6 developers"],
    description: "Shim6 (RFC 5533) data path: locator rewriting with context tags",
    license: "GPL",
    // MODULE_ALIAS_XFRM_TYPE(AF_INET6, IPPROTO_SHIM6): the XFRM core asks for it by name.
    alias: ["xfrm-type-10-140"],
}

/// Locators a context may have on each side.
const MAX_LOCATORS: usize = 8;
/// Contexts one namespace may hold.
const MAX_CONTEXTS: usize = 1 << 20;
/// Priority of the sub policies: ahead of any main policy for the same flow is not needed
/// (sub and main policies are looked up separately), but stay clear of user sub policies.
/// A forked context's policy, for the flows marked with its FII, comes before the unforked
/// context's, which takes every flow between the ULIDs.
const POLICY_PRIORITY: u32 = 0x8000_0000;
const FORK_POLICY_PRIORITY: u32 = POLICY_PRIORITY - 1;

// The family (Documentation/netlink/specs/rv6_shim6.yaml).
const CMD_STATS_GET: u8 = 1;
const CMD_CONTEXT_GET: u8 = 2;
const CMD_CONTEXT_ADD: u8 = 3;
const CMD_CONTEXT_DEL: u8 = 4;
const CMD_CONTEXT_SET: u8 = 5;
const CMD_CONTEXT_FLUSH: u8 = 6;
const CMD_EVENT: u8 = 7;
const CMD_SETTINGS_GET: u8 = 8;
const CMD_SETTINGS_SET: u8 = 9;

/// The family's multicast group `events`, for the daemon: CAP_NET_ADMIN only.
const GROUP_EVENTS: u32 = 0;
static GROUPS: [MulticastGroup; 1] = [admin_multicast_group(c"events")];

// Attribute set `context`.
const A_PAD: u16 = 1;
const A_LOCAL_TAG: u16 = 2;
const A_PEER_TAG: u16 = 3;
const A_ULID_LOCAL: u16 = 4;
const A_ULID_PEER: u16 = 5;
const A_LOCAL_LOCATOR: u16 = 6;
const A_PEER_LOCATOR: u16 = 7;
const A_CURRENT_LOCAL: u16 = 8;
const A_CURRENT_PEER: u16 = 9;
const A_RX_PACKETS: u16 = 10;
const A_TX_PACKETS: u16 = 11;
const A_REAP_STATE: u16 = 12;
const A_SEND_TIMEOUT: u16 = 13;
const A_KEEPALIVE_TIMEOUT: u16 = 14;
const A_IDLE_TIMEOUT: u16 = 15;
const A_EVENT: u16 = 16;
const A_FII: u16 = 17;

// Enum `event`.
const EVENT_SEND_TIMEOUT: u32 = 1;
const EVENT_KEEPALIVE: u32 = 2;
const EVENT_INBOUND: u32 = 3;
const EVENT_IDLE: u32 = 4;
const EVENT_UNKNOWN_TAG: u32 = 5;
const EVENT_TRIGGER: u32 = 6;

// Attribute set `settings`.
const T_TRIGGER: u16 = 1;
const T_TRIGGER_BYTES: u16 = 2;
const T_TRIGGER_SECONDS: u16 = 3;

// Attribute set `stats`.
const S_PAD: u16 = 1;
const S_PAYLOAD_IN: u16 = 2;
const S_PAYLOAD_OUT: u16 = 3;
const S_CONTROL_IN: u16 = 4;
const S_UNKNOWN_TAG: u16 = 5;
const S_FOREIGN_LOCATOR: u16 = 6;
const S_MALFORMED: u16 = 7;
const S_OUT_NO_CONTEXT: u16 = 8;
const S_CONTEXTS: u16 = 9;
const S_EVENTS: u16 = 10;
const S_EVENTS_LOST: u16 = 11;
const S_TRIGGER_PAIRS: u16 = 12;
const S_TRIGGERS: u16 = 13;
const S_ICMP_ERRORS: u16 = 14;
const S_PATH_CHANGES: u16 = 15;
const S_TCP_TOLD: u16 = 16;

/// Address pairs without a context whose traffic one namespace counts at most (the
/// trigger heuristic); beyond that, new pairs are not counted until old ones go stale.
const MAX_PAIRS: usize = 4096;

/// Bytes of a context's attributes at most: two tags and two counters (12 with their pads),
/// 20 per address and 8 per u32.
const CONTEXT_SIZE: usize = 4 * 12 + (4 + 2 * MAX_LOCATORS) * 20 + 5 * 8;
/// Bytes of an event's attributes at most: the event, a tag, two addresses (a trigger: the
/// event and two ULIDs).
const EVENT_SIZE: usize = 8 + 12 + 2 * 20;
/// Unknown-tag events a namespace sends per second at most: each is an R1bis for the daemon
/// to send, and the tags come from whoever sends us packets.
const UNKNOWN_TAG_EVENTS_PER_SEC: u32 = 20;

/// The range of the timeouts, in ms (the spec's checks): 100 ms to a day.  Checked by
/// [`timeouts`]: a policy's range holds 16-bit bounds only.
const TIMEOUT_MS: core::ops::RangeInclusive<u32> = 100..=86_400_000;

static TAG_POLICY: Policy<{ A_LOCAL_TAG as usize + 1 }> =
    Policy::new().with(A_LOCAL_TAG, AttrPolicy::u64());
static CONTEXT_POLICY: Policy<{ A_FII as usize + 1 }> = Policy::new()
    .with(A_LOCAL_TAG, AttrPolicy::u64())
    .with(A_PEER_TAG, AttrPolicy::u64())
    .with(A_ULID_LOCAL, AttrPolicy::in6_addr())
    .with(A_ULID_PEER, AttrPolicy::in6_addr())
    .with(A_LOCAL_LOCATOR, AttrPolicy::in6_addr())
    .with(A_PEER_LOCATOR, AttrPolicy::in6_addr())
    .with(A_CURRENT_LOCAL, AttrPolicy::in6_addr())
    .with(A_CURRENT_PEER, AttrPolicy::in6_addr())
    .with(A_SEND_TIMEOUT, AttrPolicy::u32())
    .with(A_KEEPALIVE_TIMEOUT, AttrPolicy::u32())
    .with(A_IDLE_TIMEOUT, AttrPolicy::u32())
    .with(A_FII, AttrPolicy::u32());
/// `context-set` changes paths, REAP state and timeouts: tags, ULIDs and FII are a context's
/// identity.
static SET_POLICY: Policy<{ A_IDLE_TIMEOUT as usize + 1 }> = Policy::new()
    .with(A_LOCAL_TAG, AttrPolicy::u64())
    .with(A_LOCAL_LOCATOR, AttrPolicy::in6_addr())
    .with(A_PEER_LOCATOR, AttrPolicy::in6_addr())
    .with(A_CURRENT_LOCAL, AttrPolicy::in6_addr())
    .with(A_CURRENT_PEER, AttrPolicy::in6_addr())
    .with(A_REAP_STATE, AttrPolicy::u32_range(0, 1))
    .with(A_SEND_TIMEOUT, AttrPolicy::u32())
    .with(A_KEEPALIVE_TIMEOUT, AttrPolicy::u32())
    .with(A_IDLE_TIMEOUT, AttrPolicy::u32());

static SETTINGS_POLICY: Policy<{ T_TRIGGER_SECONDS as usize + 1 }> = Policy::new()
    .with(T_TRIGGER, AttrPolicy::u8_range(0, 1))
    .with(T_TRIGGER_BYTES, AttrPolicy::u32())
    .with(T_TRIGGER_SECONDS, AttrPolicy::u32_range(1, 3600));

static OPS: [SplitOp<Family>; 9] = [
    SplitOp::doit_without_attributes(CMD_STATS_GET, perm::NONE),
    SplitOp::doit(CMD_CONTEXT_GET, perm::NONE, &TAG_POLICY),
    SplitOp::dumpit_without_attributes(CMD_CONTEXT_GET, perm::NONE),
    SplitOp::doit(CMD_CONTEXT_ADD, perm::NETNS_ADMIN, &CONTEXT_POLICY),
    SplitOp::doit(CMD_CONTEXT_DEL, perm::NETNS_ADMIN, &TAG_POLICY),
    SplitOp::doit(CMD_CONTEXT_SET, perm::NETNS_ADMIN, &SET_POLICY),
    SplitOp::doit_without_attributes(CMD_CONTEXT_FLUSH, perm::NETNS_ADMIN),
    SplitOp::doit_without_attributes(CMD_SETTINGS_GET, perm::NONE),
    SplitOp::doit(CMD_SETTINGS_SET, perm::NETNS_ADMIN, &SETTINGS_POLICY),
];
static FAMILY: OpsFamily<Family> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-shim6\0",
    1,
    &OPS,
    &GROUPS,
);

/// Up to [`MAX_LOCATORS`] addresses.
#[derive(Clone, Copy, Default)]
struct Locators {
    addrs: [Addr; MAX_LOCATORS],
    len: usize,
}

impl Locators {
    fn as_slice(&self) -> &[Addr] {
        &self.addrs[..self.len]
    }

    fn contains(&self, a: &Addr) -> bool {
        self.as_slice().contains(a)
    }
}

/// What the data path reads of a context's paths, changed as a whole.
#[derive(Clone, Copy)]
struct Paths {
    local: Locators,
    peer: Locators,
    /// The current locator pair (local, peer).
    current: (Addr, Addr),
}

/// What changes in a context after it is made: under the context's lock.
struct Live {
    paths: Paths,
    reap: Reap,
}

/// One Shim6 context (RFC 5533 §6.1): the ULID pair, both context tags, the locator sets and
/// the current pair, and its REAP timers (RFC 5534).
#[pin_data]
struct Context {
    /// The REAP timer: armed for the earliest of the Send Timer, the next Keepalive and the
    /// idle expiry; holds a reference while armed, stopped when the context leaves its table.
    #[pin]
    timer: ObjectTimer<Context>,
    ulid_local: Addr,
    ulid_peer: Addr,
    /// The tag we allocated: the peer puts it in the payload headers it sends us.
    local_tag: ContextTag,
    /// The peer's tag, which we put in ours.
    peer_tag: ContextTag,
    /// The Forked Instance Identifier (RFC 5533 §5.15.3): 0 for the context that takes every
    /// flow between the ULIDs; else the context takes the flows marked with it (`skb->mark`,
    /// e.g. `SO_MARK`), its XFRM policy and state carrying it as their mark.
    fii: u32,
    /// Taken by the data path, the timer and the family (never with the table's lock held
    /// by the timer, which takes only this one).
    #[pin]
    live: SpinLockIrq<Live>,
    /// The payload packets REAP counts without `live` ([`Quiet`]): published by every change
    /// to `live.reap` ([`Context::reap`]).
    quiet: Atomic<u32>,
    /// The REAP clock when the latest quiet packet passed (to the tick), folded into
    /// `live.reap` by the next change.
    last_seen: Atomic<u64>,
    rx: Atomic<u64>,
    tx: Atomic<u64>,
    /// The origin of the context's REAP clock (nanoseconds since it was made).
    born: Instant<Monotonic>,
    /// The tick count at `born`, for the data path's reading of the clock ([`Context::now`]).
    born_tick: u64,
    /// The namespace, for the timer's events; lends nothing once the namespace's state goes.
    net: Arc<WeakNamespace>,
    /// The input path's key: `local_tag`.
    tag_key: u64,
    tag_links: RhashLinks,
    /// The output path's key: the ULIDs and the Forked Instance Identifier ([`ulid_key`]).
    ulid_key: UlidKey,
    ulid_links: RhashLinks,
}

impl_has_object_timer! { impl HasObjectTimer for Context { self.timer } }
impl_rhash_item! { impl RhashItem<0> for Context { links: self.tag_links, key: self.tag_key: u64 } }
impl_rhash_item! {
    impl RhashItem<1> for Context { links: self.ulid_links, key: self.ulid_key: UlidKey }
}

impl Context {
    fn new(
        ids: (Addr, Addr, ContextTag, ContextTag, u32),
        paths: Paths,
        cfg: ReapConfig,
        net: Arc<WeakNamespace>,
    ) -> Result<Arc<Self>> {
        let (ulid_local, ulid_peer, local_tag, peer_tag, fii) = ids;
        let key = ulid_key(&ulid_local, &ulid_peer, fii);
        Arc::pin_init(
            pin_init!(Context {
                timer <- ObjectTimer::new(),
                ulid_local,
                ulid_peer,
                local_tag,
                peer_tag,
                fii,
                live <- new_spinlock_irq!(Live { paths, reap: Reap::new(cfg, 0) }),
                quiet: Atomic::new(u32::from(Quiet::NONE.0)),
                last_seen: Atomic::new(0),
                rx: Atomic::new(0),
                tx: Atomic::new(0),
                born: Instant::now(),
                born_tick: tick::jiffies(),
                net,
                tag_key: local_tag.get(),
                tag_links: RhashLinks::new(),
                ulid_key: key,
                ulid_links: RhashLinks::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Nanoseconds of the context's REAP clock at `t`.
    fn clock(&self, t: Instant<Monotonic>) -> u64 {
        u64::try_from((t - self.born).as_nanos()).unwrap_or(0)
    }

    /// The REAP clock now, to the tick: the data path's reading (a load, where the monotonic
    /// clock costs 35 instructions), within a tick of [`Context::clock`].  The timer keeps
    /// the monotonic clock, so that it never wakes before the deadline it was armed for.
    #[inline]
    fn now(&self) -> u64 {
        tick::ticks_to_nanos(self.born_tick, tick::jiffies())
    }

    /// Runs `f` on the context's state under its lock, the quiet packets recorded since the
    /// last change folded into REAP first, and publishes which packets are quiet after it.
    ///
    /// A packet that read the old set while `f` ran is recorded as if it had passed just
    /// before: at worst one packet's restart of a timer that `f` stopped is left to the next.
    fn reap<R>(&self, f: impl FnOnce(&mut Live) -> R) -> R {
        let mut live = self.live.lock();
        live.reap.seen(self.last_seen.load(Relaxed));
        let r = f(&mut live);
        self.quiet.store(u32::from(live.reap.quiet().0), Relaxed);
        r
    }

    /// A quiet packet (`way`) is recorded at `now` without the lock; `false` when it is not
    /// quiet and must go through [`Context::reap`].
    #[inline]
    fn seen_quiet(&self, way: Quiet, now: u64) -> bool {
        if self.quiet.load(Relaxed) & u32::from(way.0) == 0 {
            return false;
        }
        // Written once a tick at most: the line stays clean between ticks.
        if self.last_seen.load(Relaxed) != now {
            self.last_seen.store(now, Relaxed);
        }
        true
    }

    /// The time `ns` of the context's REAP clock stands for.
    fn instant(&self, ns: u64) -> Instant<Monotonic> {
        self.born + Delta::from_nanos(i64::try_from(ns).unwrap_or(i64::MAX / 2))
    }

    /// Whether a context on `current` rewrites: its pair is not its ULIDs.
    fn rewritten_pair(current: (Addr, Addr), ulids: (Addr, Addr)) -> bool {
        current != ulids
    }

    /// Arms the REAP timer for `ns` of the context's clock, if asked to.
    fn arm(this: ArcBorrow<'_, Self>, ns: Option<u64>) {
        if let Some(ns) = ns {
            let at = this.instant(ns);
            ObjectTimer::arm(this, at);
        }
    }

    /// A payload packet of the context went out.
    #[inline]
    fn sent(this: ArcBorrow<'_, Self>) {
        let now = this.now();
        if this.seen_quiet(Quiet::SENT, now) {
            return;
        }
        let arm = this.reap(|l| l.reap.sent(now));
        Self::arm(this, arm);
    }

    /// A payload packet of the context came in.
    #[inline]
    fn received(this: ArcBorrow<'_, Self>) {
        let now = this.now();
        if this.seen_quiet(Quiet::RECEIVED, now) {
            return;
        }
        let (arm, ev) = this.reap(|l| l.reap.received(now));
        Self::arm(this, arm);
        this.report(ev);
    }

    /// Sends the daemon one notification per event in `ev`.
    fn report(&self, ev: Events) {
        if ev.is_empty() {
            return;
        }
        for (flag, event) in [
            (Events::SEND_TIMEOUT, EVENT_SEND_TIMEOUT),
            (Events::KEEPALIVE, EVENT_KEEPALIVE),
            (Events::INBOUND, EVENT_INBOUND),
            (Events::IDLE, EVENT_IDLE),
        ] {
            if ev.contains(flag) {
                let tag = self.local_tag.get();
                self.net
                    .with(|net| notify(net, event, |w| w.put_u64(A_LOCAL_TAG, tag, A_PAD)));
            }
        }
    }
}

impl ObjectTimerCallback for Context {
    fn expired(this: ArcBorrow<'_, Self>, now: Instant<Monotonic>) -> Option<Instant<Monotonic>> {
        let (ev, next) = this.reap(|l| l.reap.expired(this.clock(now)));
        this.report(ev);
        next.map(|ns| this.instant(ns))
    }
}

/// Sends event `event` with the attributes `f` writes to the `events` group of `net`;
/// counted in `events` or, when it cannot be built, `events-lost`.  Any context.
fn notify(net: &Namespace, event: u32, f: impl FnOnce(&mut Writer<'_>) -> Result) {
    let sent = (|| {
        let mut msg = GenlMsg::notification(&FAMILY, CMD_EVENT, EVENT_SIZE, GFP_ATOMIC)?;
        {
            let mut w = msg.writer();
            w.put_u32(A_EVENT, event)?;
            f(&mut w)?;
        }
        msg.multicast_netns(&FAMILY, net, GROUP_EVENTS, GFP_ATOMIC)
    })();
    bump(net, |n| {
        if sent.is_ok() {
            &n.events
        } else {
            &n.events_lost
        }
    });
}

/// The XFRM objects that make the data path rewrite a context's packets: the policy for its
/// flows, present while it rewrites (a forked context's: as long as it exists, so that its
/// flows never take the unforked context's policy), and what it rewrites with.
struct Binding {
    // The policy goes first, then the state it wants.
    _policy: OwnedPolicy,
    rewrite: Option<Rewrite>,
}

/// The state a rewriting context's policy wants (care-of address: the current peer locator),
/// and the entry that maps ICMPv6 errors about its packets back.
struct Rewrite {
    state: OwnedState,
    pair: Arc<PairEntry>,
}

/// What an ICMPv6 error about a rewritten packet shows of its context: the peer's tag in the
/// payload header and the locator pair as addresses; and what it needs, the ULIDs.
struct PairEntry {
    links: RhashLinks,
    /// [`pair_key`] of the peer's tag and the current pair (local, peer).
    key: PairKey,
    /// The ULIDs (local, peer).
    ulids: AddrPair,
}

impl_rhash_item! { impl RhashItem<0> for PairEntry { links: self.links, key: self.key: PairKey } }

type PairKey = [u8; 40];

fn pair_key(peer_tag: u64, local: &Addr, peer: &Addr) -> PairKey {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&peer_tag.to_be_bytes());
    k[8..24].copy_from_slice(local);
    k[24..].copy_from_slice(peer);
    k
}

/// An address pair (local, peer).
type AddrPair = (Addr, Addr);

/// Key of the output path's table: the local ULID, the peer ULID and the Forked Instance
/// Identifier (RFC 5533 §5.15.3, 0 for the unforked context), as bytes.
type UlidKey = [u8; 36];

fn ulid_key(local: &Addr, peer: &Addr, fii: u32) -> UlidKey {
    let mut k = [0u8; 36];
    k[..16].copy_from_slice(local);
    k[16..32].copy_from_slice(peer);
    k[32..].copy_from_slice(&fii.to_be_bytes());
    k
}

/// A namespace's contexts for the family: ordered by local tag, for dumps that resume.
struct Contexts {
    by_tag: RBTree<u64, Arc<Context>>,
    len: usize,
    generation: u32,
}

impl Contexts {
    fn changed(&mut self) {
        self.generation = self.generation.wrapping_add(1).max(1);
    }
}

/// At most a number of events a second: a one-second window, counted (racy at the window's
/// edge, which costs an event more or less).
struct RateLimit {
    origin: Instant<Monotonic>,
    window: Atomic<i64>,
    count: Atomic<u32>,
}

impl RateLimit {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            window: Atomic::new(0),
            count: Atomic::new(0),
        }
    }

    fn allow(&self, limit: u32) -> bool {
        let second = (Instant::now() - self.origin).as_nanos() / reap::NSEC_PER_SEC as i64;
        if self.window.xchg(second, Relaxed) != second {
            self.count.store(0, Relaxed);
        }
        self.count.fetch_add(1, Relaxed) < limit
    }
}

/// The per-namespace state.
#[pin_data(PinnedDrop)]
struct NetShim {
    /// The contexts, changed by the family (process context) under this lock, which also
    /// keeps the hash tables in step with it.
    #[pin]
    contexts: Mutex<Contexts>,
    /// The data path's look-ups: by local tag (input) and by ULIDs and FII (output).
    #[pin]
    by_tag: RhashTable<Context, 0>,
    #[pin]
    by_ulids: RhashTable<Context, 1>,
    /// The ICMPv6 error path's look-up: the rewritten contexts by the tag and the locator
    /// pair their packets carry.
    #[pin]
    by_pair: RhashTable<PairEntry>,
    /// Contexts in the tables, for the hooks' fast path in namespaces without any.
    count: Atomic<u64>,
    /// The XFRM objects of each rewritten context, by local tag: process context only.
    #[pin]
    bindings: Mutex<RBTree<u64, Binding>>,
    unknown_tag_events: RateLimit,
    /// The trigger heuristic's pairs and settings.
    #[pin]
    trigger: SpinLockIrq<Trigger>,
    /// `trigger.cfg.enabled`, for the hooks' fast path.
    trigger_enabled: Atomic<bool>,
    /// The origin of the namespace's clock for the heuristic, in ticks.
    born_tick: u64,
    payload_in: Atomic<u64>,
    payload_out: Atomic<u64>,
    control_in: Atomic<u64>,
    unknown_tag: Atomic<u64>,
    foreign_locator: Atomic<u64>,
    malformed: Atomic<u64>,
    out_no_context: Atomic<u64>,
    events: Atomic<u64>,
    events_lost: Atomic<u64>,
    triggers: Atomic<u64>,
    icmp_errors: Atomic<u64>,
    /// Current-pair changes made through the family.
    path_changes: Atomic<u64>,
    /// TCP connections told of those changes.
    tcp_told: Atomic<u64>,
}

/// The trigger heuristic's state: the traffic of each address pair (local, peer) without a
/// context.
struct Trigger {
    cfg: TriggerConfig,
    pairs: RBTree<TriggerKey, Pair>,
    len: usize,
}

/// An address pair (local, peer) as the trigger heuristic's key: two integers, which the
/// tree compares in a few instructions (big-endian: ordered as the addresses).
type TriggerKey = (u128, u128);

#[inline]
fn trigger_key(pair: &AddrPair) -> TriggerKey {
    (u128::from_be_bytes(pair.0), u128::from_be_bytes(pair.1))
}

impl Trigger {
    /// Forgets the pairs that went quiet.
    fn prune(&mut self, now: u64) {
        let mut cursor = self.pairs.cursor_front_mut();
        while let Some(c) = cursor {
            if c.current().1.stale(now, &self.cfg) {
                let (next, node) = c.remove_current();
                drop(node);
                self.len -= 1;
                cursor = next;
            } else {
                cursor = c.move_next();
            }
        }
    }
}

static NET_SLOT: PernetSlot = PernetSlot::new();

impl NetShim {
    /// Context `tag`, if any.  Any context.
    fn by_tag(&self, tag: u64) -> Option<Arc<Context>> {
        let rcu = rcu::read_lock();
        self.by_tag.lookup(&tag, &rcu).map(Arc::from)
    }

    /// `f` of the context of ULID pair `ulids` (local, peer) and FII `fii`, if there is one:
    /// lent for the RCU read side, no reference taken (the data path's way).  Any context.
    #[inline]
    fn with_ulids<R>(
        &self,
        ulids: &AddrPair,
        fii: u32,
        f: impl FnOnce(ArcBorrow<'_, Context>) -> R,
    ) -> Option<R> {
        if self.count.load(Relaxed) == 0 {
            return None;
        }
        let rcu = rcu::read_lock();
        self.by_ulids
            .lookup(&ulid_key(&ulids.0, &ulids.1, fii), &rcu)
            .map(f)
    }

    /// `f` of context `tag`, if there is one, lent as by [`NetShim::with_ulids`].
    #[inline]
    fn with_tag<R>(&self, tag: u64, f: impl FnOnce(ArcBorrow<'_, Context>) -> R) -> Option<R> {
        let rcu = rcu::read_lock();
        self.by_tag.lookup(&tag, &rcu).map(f)
    }

    /// Takes context `c` out of the data path's tables; the caller holds `contexts` and lets
    /// the returned references go after a grace period.
    fn unlink(&self, c: &Context) -> [Option<Unlinked<Context>>; 2] {
        let _ = self.count.fetch_sub(1, Relaxed);
        [self.by_tag.remove(c), self.by_ulids.remove(c)]
    }

    /// A packet of `len` bytes between `key` (local, peer), which has no context: counts it
    /// for the trigger heuristic and tells the daemon when the pair is worth a context.
    fn count_pair(&self, net: &Namespace, pair: &AddrPair, len: u64) {
        // To the tick: the thresholds are seconds.
        let now = tick::ticks_to_nanos(self.born_tick, tick::jiffies());
        let key = trigger_key(pair);
        let report = {
            let mut t = self.trigger.lock();
            let cfg = t.cfg;
            if let Some(p) = t.pairs.get_mut(&key) {
                p.packet(len, now, &cfg)
            } else {
                if t.len >= MAX_PAIRS {
                    t.prune(now);
                }
                if t.len >= MAX_PAIRS {
                    return;
                }
                let mut p = Pair::new(now);
                let report = p.packet(len, now, &cfg);
                // Atomic context, under the lock: a failed allocation only loses the count.
                if t.pairs.try_create_and_insert(key, p, GFP_ATOMIC).is_err() {
                    return;
                }
                t.len += 1;
                report
            }
        };
        if report {
            self.triggers.add(1, Relaxed);
            notify(net, EVENT_TRIGGER, |w| {
                w.put_in6_addr(A_ULID_LOCAL, &pair.0)?;
                w.put_in6_addr(A_ULID_PEER, &pair.1)
            });
        }
    }

    /// Takes every context out of the tables and stops their timers.
    fn clear(&self) {
        let mut unlinked = KVec::new();
        let old = {
            let mut contexts = self.contexts.lock();
            contexts.len = 0;
            contexts.changed();
            let old = core::mem::take(&mut contexts.by_tag);
            for (_, c) in old.iter() {
                for u in self.unlink(c).into_iter().flatten() {
                    // Without memory for the list, `push` drops it: it waits for a grace
                    // period of its own.
                    let _ = unlinked.push(u, GFP_KERNEL);
                }
            }
            old
        };
        for (_, c) in old.iter() {
            c.timer.stop();
        }
        // One grace period for all: the data path may still hold some of them.
        Unlinked::drop_all(unlinked);
    }
}

#[pinned_drop]
impl PinnedDrop for NetShim {
    fn drop(self: Pin<&mut Self>) {
        // The timers hold references to their contexts: stopped here, none outlives the
        // namespace's state (nor the module).
        self.clear();
    }
}

/// The hooks that show the REAP timers the packets on a context's ULIDs (rewritten packets
/// are seen by the XFRM output and the input handler instead).
const NET_HOOKS: [Hook; 2] = [
    Hook::ipv6(HookPoint::LocalOut, priority::LAST),
    Hook::ipv6(HookPoint::LocalIn, priority::LAST),
];

impl NetHooks for NetShim {
    type Shared = ();
    const HOOKS: &'static [Hook] = &NET_HOOKS;
    const SLOT: &'static PernetSlot = &NET_SLOT;

    fn init<'a>(_shared: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(NetShim {
            contexts <- new_mutex!(Contexts {
                by_tag: RBTree::new(),
                len: 0,
                generation: 1,
            }),
            by_tag <- new_rhashtable!(),
            by_ulids <- new_rhashtable!(),
            by_pair <- new_rhashtable!(),
            count: Atomic::new(0),
            bindings <- new_mutex!(RBTree::new()),
            unknown_tag_events: RateLimit::new(),
            trigger <- new_spinlock_irq!(Trigger {
                cfg: TriggerConfig::DEFAULT,
                pairs: RBTree::new(),
                len: 0,
            }),
            trigger_enabled: Atomic::new(TriggerConfig::DEFAULT.enabled),
            born_tick: tick::jiffies(),
            payload_in: Atomic::new(0),
            payload_out: Atomic::new(0),
            control_in: Atomic::new(0),
            unknown_tag: Atomic::new(0),
            foreign_locator: Atomic::new(0),
            malformed: Atomic::new(0),
            out_no_context: Atomic::new(0),
            events: Atomic::new(0),
            events_lost: Atomic::new(0),
            triggers: Atomic::new(0),
            icmp_errors: Atomic::new(0),
            path_changes: Atomic::new(0),
            tcp_told: Atomic::new(0),
        }? Error)
    }

    /// Payload on a context's ULIDs, either way, for its REAP timers: RFC 5533 §9 counts the
    /// packets on the ULID pair as the context's.  Packets whose first header is Shim6 are
    /// not: rewritten packets meet LOCAL_OUT again after their transform (the XFRM output
    /// saw them), received ones are the input handler's, and control messages follow their
    /// own rules in the daemon.  Multicast is no context's (RFC 5533 §1.4).
    ///
    /// Packets of pairs without a context feed the trigger heuristic instead (when it is on),
    /// the exclusions of [`trigger::counted`] applied.
    fn hook(&self, skb: &SkBuff, state: &HookState) -> netfilter::Verdict {
        let counting = self.trigger_enabled.load(Relaxed);
        let contexts = self.count.load(Relaxed) != 0;
        if !contexts && !counting {
            return netfilter::Verdict::Accept;
        }
        let mut buf = [0u8; Ipv6Header::LEN];
        let Some(ip) = skb.ipv6_header(&mut buf) else {
            return netfilter::Verdict::Accept;
        };
        if ip.nexthdr == IPPROTO_SHIM6 || ip.daddr[0] == 0xff {
            return netfilter::Verdict::Accept;
        }
        let out = match state.point() {
            HookPoint::LocalOut => true,
            HookPoint::LocalIn => false,
            _ => return netfilter::Verdict::Accept,
        };
        let key = if out {
            (ip.saddr, ip.daddr)
        } else {
            (ip.daddr, ip.saddr)
        };
        if contexts {
            // A packet routed into a Shim6 bundle is its context's, counted by the XFRM
            // output, which looks the context up anyway.
            if out && skb.bundle_has(IPPROTO_SHIM6) {
                return netfilter::Verdict::Accept;
            }
            let counted = self.with_ulids(&key, 0, |c| {
                if out {
                    Context::sent(c)
                } else {
                    Context::received(c)
                }
            });
            if counted.is_some() {
                return netfilter::Verdict::Accept;
            }
        }
        if counting && trigger::counted(ip.as_bytes()) {
            self.count_pair(state.net(), &key, u64::from(skb.len()));
        }
        netfilter::Verdict::Accept
    }
}

fn bump(net: &Namespace, c: impl FnOnce(&NetShim) -> &Atomic<u64>) {
    NetShim::with(net, |n| c(n).add(1, Relaxed));
}

/// The Shim6 XFRM type: rewrites a context's outbound packets.
struct Shim6Type;

#[vtable]
impl Type for Shim6Type {
    const PROTO: u8 = IPPROTO_SHIM6;
    // Shim6 sits below fragmentation (RFC 5533 §1.6): its header is part of the unfragmentable
    // part, and the care-of address (the peer's locator) is where the bundle routes.
    const FLAGS: u8 = flags::NON_FRAGMENT | flags::REMOTE_COADDR;

    fn init_state(x: &State) -> Result<u32, Refusal> {
        if x.mode() != MODE_ROUTE_OPTIMIZATION {
            return Err(c"Shim6 states are route optimization states");
        }
        if x.coaddr().is_none() {
            return Err(c"a Shim6 state needs the peer's locator as care-of address");
        }
        Ok(PayloadRepr::LEN as u32)
    }

    /// Payload headers are received by the protocol handler, never through XFRM input.
    fn input(_x: &State, _pkt: &xfrm::InputPacket<'_>) -> Result<u8> {
        Err(EINVAL)
    }

    #[inline]
    fn output(x: &State, pkt: &mut OutputPacket<'_>) -> Result {
        let ulids = (x.saddr(), x.daddr());
        let next_header = pkt.next_header();
        let rewrite = NetShim::with(x.net(), |n| {
            // The state's mark is its context's FII.
            let found = n
                .with_ulids(&ulids, x.mark(), |c| {
                    let current = c.live.lock().paths.current;
                    if !Context::rewritten_pair(current, ulids) {
                        return None;
                    }
                    c.tx.add(1, Relaxed);
                    // The hooks leave packets in a Shim6 bundle to this count (RFC 5533 §9:
                    // they are the context's payload).
                    Context::sent(c);
                    Some((current, c.peer_tag))
                })
                .flatten();
            if found.is_some() {
                n.payload_out.add(1, Relaxed);
            } else {
                n.out_no_context.add(1, Relaxed);
            }
            found
        })
        .flatten();
        // A state outlives its context only while the context is being deleted: the packet
        // is dropped (counted by the core as `XfrmOutStateProtoError`).
        let ((local, peer), tag) = rewrite.ok_or(ENOENT)?;
        let (ip, slot) = pkt.split();
        ip.saddr = local;
        ip.daddr = peer;
        PayloadRepr {
            next_header,
            context_tag: tag,
        }
        .emit(slot)
        .map_err(|_| EINVAL)?;
        pkt.set_next_header(IPPROTO_SHIM6);
        Ok(())
    }
}

/// The receive handler for next header 140.
struct Shim6Input;

impl Handler for Shim6Input {
    const PROTO: u8 = IPPROTO_SHIM6;

    fn error(err: IcmpError<'_>) {
        Self::icmp_error(err);
    }

    fn receive(pkt: &mut Inbound<'_>) -> Verdict {
        // A payload header is 8 bytes, a control header at least as long.
        let Some(h) = pkt.header(PayloadRepr::LEN) else {
            bump(pkt.net(), |n| &n.malformed);
            return Verdict::Drop;
        };
        let repr = match PayloadHeader::new_checked(h) {
            Ok(h) => PayloadRepr::parse(&h),
            Err(wire::Error::Field(2)) => {
                // P = 0: a control message.  Raw sockets for protocol 140 (the daemon's) got
                // their copy before this handler ran.
                let len = (usize::from(h[1]) + 1) * 8;
                bump(pkt.net(), |n| &n.control_in);
                Self::control(pkt, len);
                return Verdict::Consumed;
            }
            Err(_) => {
                bump(pkt.net(), |n| &n.malformed);
                return Verdict::Drop;
            }
        };
        let (src, dst) = pkt.addresses();
        let tag = repr.context_tag.get();
        let ulids = NetShim::with(pkt.net(), |n| {
            let found = n.with_tag(tag, |c| {
                // RFC 5533 §7.2: the source must be one of the peer's locators (and the
                // destination one of ours).
                let ours = {
                    let live = c.live.lock();
                    live.paths.peer.contains(&src) && live.paths.local.contains(&dst)
                };
                if !ours {
                    return None;
                }
                c.rx.add(1, Relaxed);
                Context::received(c);
                Some((c.ulid_peer, c.ulid_local))
            });
            match found {
                Some(Some(ulids)) => {
                    n.payload_in.add(1, Relaxed);
                    return Some(ulids);
                }
                Some(None) => n.foreign_locator.add(1, Relaxed),
                None => {
                    n.unknown_tag.add(1, Relaxed);
                    // RFC 5533 §7.17: the daemon answers with an R1bis.
                    if n.unknown_tag_events.allow(UNKNOWN_TAG_EVENTS_PER_SEC) {
                        notify(pkt.net(), EVENT_UNKNOWN_TAG, |w| {
                            w.put_u64(A_LOCAL_TAG, tag, A_PAD)?;
                            w.put_in6_addr(A_LOCAL_LOCATOR, &dst)?;
                            w.put_in6_addr(A_PEER_LOCATOR, &src)
                        });
                    } else {
                        n.events_lost.add(1, Relaxed);
                    }
                }
            }
            None
        })
        .flatten();
        let Some((peer, local)) = ulids else {
            return Verdict::Drop;
        };
        if pkt.set_addresses(&peer, &local).is_err() {
            return Verdict::Drop;
        }
        Verdict::Next {
            len: PayloadRepr::LEN as u16,
        }
    }
}

impl Shim6Input {
    /// An ICMPv6 error about a packet we rewrote (RFC 5533 §5.2, §16: the upper layer must
    /// see it about its ULIDs): the payload header's tag is the peer's, the quoted addresses
    /// are the locator pair; with the context found by both, the quote gets the ULIDs back
    /// and the error goes on to TCP, UDP, ... as if the packet had gone out unchanged.  A
    /// Packet Too Big then lowers the locator path's MTU through the socket's route.
    fn icmp_error(mut err: IcmpError<'_>) {
        let Some(tag) = err
            .header(PayloadRepr::LEN)
            .and_then(|h| PayloadHeader::new_checked(h).ok())
            .map(|h| PayloadRepr::parse(&h).context_tag.get())
        else {
            // A control message's errors are the daemon's: its raw socket gets them.
            return;
        };
        let (src, dst) = err.addresses();
        let key = pair_key(tag, &src, &dst);
        let ulids = NetShim::with(err.net(), |n| {
            let rcu = rcu::read_lock();
            n.by_pair.lookup(&key, &rcu).map(|p| p.ulids)
        })
        .flatten();
        let Some((local, peer)) = ulids else {
            return;
        };
        // The locator path's route learns the MTU (the upper layer's, on the ULIDs, is the
        // bundle over it, which sees the change on its next check).
        err.update_route();
        if err.set_addresses(&local, &peer).is_err() {
            return;
        }
        bump(err.net(), |n| &n.icmp_errors);
        err.deliver(PayloadRepr::LEN);
    }

    /// What REAP makes of a control message of `len` bytes, checked and from the context's
    /// peer: a Keepalive (RFC 5534 §6.6) stops the context's Send Timer, the peer hears us;
    /// an Update Request or Acknowledgement is payload to REAP (§4.1: every packet of the
    /// context but Keepalives and Probes), as if a payload packet had come in.  Everything
    /// else about control messages is the daemon's.
    fn control(pkt: &mut Inbound<'_>, len: usize) {
        let (src, dst) = pkt.addresses();
        let Some(b) = pkt.header(len) else {
            return;
        };
        let Ok(h) = ControlHeader::new_checked(b) else {
            return;
        };
        let kind = h.msg_type();
        if kind != MessageType::Keepalive as u8
            && kind != MessageType::UpdateRequest as u8
            && kind != MessageType::UpdateAck as u8
        {
            return;
        }
        let (tag, keepalive) = match ControlRepr::parse(&h) {
            Ok(ControlRepr {
                message:
                    Message::Keepalive {
                        receiver_context_tag,
                    },
                ..
            }) => (receiver_context_tag, true),
            Ok(ControlRepr {
                message:
                    Message::UpdateRequest {
                        receiver_context_tag,
                        ..
                    }
                    | Message::UpdateAck {
                        receiver_context_tag,
                        ..
                    },
                ..
            }) => (receiver_context_tag, false),
            _ => return,
        };
        let tag = tag.get();
        let Some(c) = NetShim::with(pkt.net(), |n| n.by_tag(tag)).flatten() else {
            return;
        };
        let from_peer = {
            let live = c.live.lock();
            live.paths.peer.contains(&src) && live.paths.local.contains(&dst)
        };
        if !from_peer {
            return;
        }
        if keepalive {
            let now = c.now();
            let arm = c.reap(|l| l.reap.keepalive_received(now));
            Context::arm(c.as_arc_borrow(), arm);
        } else {
            Context::received(c.as_arc_borrow());
        }
    }
}

/// The locator attributes `attr` of a request, in order.
fn locators(req: &Request<'_>, attr: u16) -> Result<Option<Locators>> {
    let mut l = Locators::default();
    let mut any = false;
    for a in req.attrs().filter(|a| a.kind() == attr) {
        any = true;
        if l.len == MAX_LOCATORS {
            return Err(req.error(
                E2BIG,
                c"a context has at most 8 locators per side",
                Some(&a),
            ));
        }
        l.addrs[l.len] = a.in6_addr()?;
        l.len += 1;
    }
    Ok(any.then_some(l))
}

/// A 47-bit context tag attribute.
fn tag_attr(req: &Request<'_>, attr: u16) -> Result<ContextTag> {
    let a = req.require(attr)?;
    match ContextTag::new(a.u64()?) {
        Some(t) if t.get() != 0 => Ok(t),
        _ => Err(req.error(ERANGE, c"a context tag is 47 bits and not 0", Some(&a))),
    }
}

/// `cfg` with the timeouts the request gives.
fn timeouts(req: &Request<'_>, mut cfg: ReapConfig) -> Result<ReapConfig> {
    let ms = |attr| -> Result<Option<u64>> {
        let Some(a) = req.attr(attr)? else {
            return Ok(None);
        };
        let ms = a.u32()?;
        if !TIMEOUT_MS.contains(&ms) {
            return Err(req.error(
                ERANGE,
                c"a timeout is 100 ms to a day (86400000 ms)",
                Some(&a),
            ));
        }
        Ok(Some(u64::from(ms) * 1_000_000))
    };
    if let Some(ns) = ms(A_SEND_TIMEOUT)? {
        cfg.send_timeout = ns;
    }
    if let Some(ns) = ms(A_KEEPALIVE_TIMEOUT)? {
        cfg.keepalive_timeout = ns;
    }
    if let Some(ns) = ms(A_IDLE_TIMEOUT)? {
        cfg.idle_timeout = ns;
    }
    Ok(cfg)
}

/// Writes a context's attributes.
fn put_context(w: &mut Writer<'_>, c: &Context) -> Result {
    let (paths, mode, cfg) = {
        let live = c.live.lock();
        (live.paths, live.reap.mode(), live.reap.config())
    };
    w.put_u64(A_LOCAL_TAG, c.local_tag.get(), A_PAD)?;
    w.put_u64(A_PEER_TAG, c.peer_tag.get(), A_PAD)?;
    w.put_in6_addr(A_ULID_LOCAL, &c.ulid_local)?;
    w.put_in6_addr(A_ULID_PEER, &c.ulid_peer)?;
    for a in paths.local.as_slice() {
        w.put_in6_addr(A_LOCAL_LOCATOR, a)?;
    }
    for a in paths.peer.as_slice() {
        w.put_in6_addr(A_PEER_LOCATOR, a)?;
    }
    w.put_in6_addr(A_CURRENT_LOCAL, &paths.current.0)?;
    w.put_in6_addr(A_CURRENT_PEER, &paths.current.1)?;
    w.put_u64(A_RX_PACKETS, c.rx.load(Relaxed), A_PAD)?;
    w.put_u64(A_TX_PACKETS, c.tx.load(Relaxed), A_PAD)?;
    w.put_u32(A_REAP_STATE, u32::from(mode == Mode::Exploring))?;
    let ms = |ns: u64| u32::try_from(ns / 1_000_000).unwrap_or(u32::MAX);
    w.put_u32(A_SEND_TIMEOUT, ms(cfg.send_timeout))?;
    w.put_u32(A_KEEPALIVE_TIMEOUT, ms(cfg.keepalive_timeout))?;
    w.put_u32(A_IDLE_TIMEOUT, ms(cfg.idle_timeout))?;
    w.put_u32(A_FII, c.fii)
}

/// Checks a context's paths: each current locator in its set, each set holding its ULID
/// (RFC 5533 §1.5: a ULID is one of the locators).
fn check_paths(req: &Request<'_>, ulids: (Addr, Addr), p: &Paths) -> Result {
    if !p.local.contains(&ulids.0) || !p.peer.contains(&ulids.1) {
        return Err(req.error(EINVAL, c"each locator set must hold its ULID", None));
    }
    if !p.local.contains(&p.current.0) || !p.peer.contains(&p.current.1) {
        return Err(req.error(
            EINVAL,
            c"the current pair must come from the locator sets",
            None,
        ));
    }
    Ok(())
}

/// The family's callbacks.
struct Family;

impl Family {
    /// Makes the XFRM objects of context `c` match paths `paths`, or fails with the old ones
    /// untouched.
    ///
    /// - An unforked context has a policy and a state only while it rewrites; a forked one
    ///   keeps its policy for its marked flows throughout, its state while it rewrites.
    /// - A pair change while rewriting moves the state to the new peer locator in place, so
    ///   the context's flows are never without it (their packets would leave on the ULIDs).
    /// - The ICMPv6 entry of the new pair goes in first: it refuses context confusion.
    fn bind(
        n: &NetShim,
        req: &Request<'_>,
        bindings: &mut RBTree<u64, Binding>,
        c: &Context,
        paths: &Paths,
    ) -> Result {
        let tag = c.local_tag.get();
        let rewrites = Context::rewritten_pair(paths.current, (c.ulid_local, c.ulid_peer));
        let new_key =
            rewrites.then(|| pair_key(c.peer_tag.get(), &paths.current.0, &paths.current.1));
        let old_key = bindings
            .get(&tag)
            .and_then(|b| b.rewrite.as_ref())
            .map(|r| r.pair.key);
        let has_binding = bindings.get(&tag).is_some();
        if new_key == old_key && (has_binding || !(rewrites || c.fii != 0)) {
            return Ok(());
        }
        let Some(key) = new_key else {
            // Back on the ULIDs: the state goes (and an unforked context's policy first).
            if c.fii == 0 {
                if let Some(b) = bindings.remove(&tag) {
                    Self::unbind(n, b);
                }
            } else if let Some(b) = bindings.get_mut(&tag) {
                if let Some(r) = b.rewrite.take() {
                    drop(n.by_pair.remove(&r.pair));
                }
            } else {
                Self::insert_policy(req, bindings, c)?;
            }
            return Ok(());
        };
        let pair = Arc::new(
            PairEntry {
                links: RhashLinks::new(),
                key,
                ulids: (c.ulid_local, c.ulid_peer),
            },
            GFP_KERNEL,
        )?;
        // The peer tells its contexts apart by the tag we send: two of ours with the same one
        // on the same locator pair would be one to it (RFC 5533 §7.6, context confusion).
        n.by_pair.insert(pair.clone()).map_err(|e| match e.error {
            EEXIST => req.error(
                EEXIST,
                c"another context sends with this peer tag on this locator pair",
                None,
            ),
            e => e,
        })?;
        let moved = Self::rewrite(req, bindings, c, paths, pair.clone());
        match moved {
            Ok(Some(old)) => drop(n.by_pair.remove(&old)),
            Ok(None) => {}
            Err(e) => {
                drop(n.by_pair.remove(&pair));
                return Err(e);
            }
        }
        Ok(())
    }

    /// Points context `c`'s XFRM objects at `paths.current`, rewriting with `pair`; returns
    /// the ICMPv6 entry it rewrote with before, if any.  On failure nothing changed.
    fn rewrite(
        req: &Request<'_>,
        bindings: &mut RBTree<u64, Binding>,
        c: &Context,
        paths: &Paths,
        pair: Arc<PairEntry>,
    ) -> Result<Option<Arc<PairEntry>>> {
        let xfrm_error = |e| {
            req.error(
                e,
                c"cannot install the context's XFRM state and policy",
                None,
            )
        };
        let tag = c.local_tag.get();
        if let Some(r) = bindings.get_mut(&tag).and_then(|b| b.rewrite.as_mut()) {
            r.state.set_coaddr(&paths.current.1).map_err(xfrm_error)?;
            return Ok(Some(core::mem::replace(&mut r.pair, pair)));
        }
        let state = OwnedState::add(
            req.net(),
            &StateParams {
                proto: IPPROTO_SHIM6,
                spi: 0,
                mode: MODE_ROUTE_OPTIMIZATION,
                reqid: 0,
                saddr: &c.ulid_local,
                daddr: &c.ulid_peer,
                coaddr: Some(&paths.current.1),
                mark: c.fii,
            },
        )
        .map_err(xfrm_error)?;
        if bindings.get(&tag).is_none() {
            Self::insert_policy(req, bindings, c)?;
        }
        if let Some(b) = bindings.get_mut(&tag) {
            b.rewrite = Some(Rewrite { state, pair });
        }
        Ok(None)
    }

    /// Inserts context `c`'s policy, without a state yet: its template is optional, so that
    /// its flows leave on the ULIDs until the state comes.
    fn insert_policy(
        req: &Request<'_>,
        bindings: &mut RBTree<u64, Binding>,
        c: &Context,
    ) -> Result {
        let forked = c.fii != 0;
        let policy = OwnedPolicy::insert(
            req.net(),
            &PolicyParams {
                saddr: &c.ulid_local,
                daddr: &c.ulid_peer,
                dir: xfrm::Dir::Out,
                sub: true,
                priority: if forked {
                    FORK_POLICY_PRIORITY
                } else {
                    POLICY_PRIORITY
                },
                tmpl_proto: IPPROTO_SHIM6,
                tmpl_mode: MODE_ROUTE_OPTIMIZATION,
                tmpl_reqid: 0,
                optional: true,
                mark: forked.then_some(c.fii),
            },
        )
        .map_err(|e| {
            req.error(
                e,
                c"cannot install the context's XFRM state and policy",
                None,
            )
        })?;
        let node = RBTreeNode::new(
            c.local_tag.get(),
            Binding {
                _policy: policy,
                rewrite: None,
            },
            GFP_KERNEL,
        )?;
        bindings.insert(node);
        Ok(())
    }

    /// Undoes [`Self::bind`]: the ICMPv6 entry leaves its table (after a grace period), the
    /// XFRM objects go.
    fn unbind(n: &NetShim, b: Binding) {
        if let Some(r) = &b.rewrite {
            drop(n.by_pair.remove(&r.pair));
        }
    }

    fn add(nets: &Data, n: &NetShim, req: &Request<'_>) -> Result {
        let local_tag = tag_attr(req, A_LOCAL_TAG)?;
        let peer_tag = tag_attr(req, A_PEER_TAG)?;
        let ulid_local = req.require(A_ULID_LOCAL)?.in6_addr()?;
        let ulid_peer = req.require(A_ULID_PEER)?.in6_addr()?;
        let fii = req.attr(A_FII)?.map(|a| a.u32()).transpose()?.unwrap_or(0);
        let one = |a: Addr| Locators {
            addrs: {
                let mut v = [[0; 16]; MAX_LOCATORS];
                v[0] = a;
                v
            },
            len: 1,
        };
        let paths = Paths {
            local: locators(req, A_LOCAL_LOCATOR)?.unwrap_or(one(ulid_local)),
            peer: locators(req, A_PEER_LOCATOR)?.unwrap_or(one(ulid_peer)),
            current: (
                req.attr(A_CURRENT_LOCAL)?
                    .map(|a| a.in6_addr())
                    .transpose()?
                    .unwrap_or(ulid_local),
                req.attr(A_CURRENT_PEER)?
                    .map(|a| a.in6_addr())
                    .transpose()?
                    .unwrap_or(ulid_peer),
            ),
        };
        check_paths(req, (ulid_local, ulid_peer), &paths)?;
        let cfg = timeouts(req, ReapConfig::DEFAULT)?;
        let weak = nets.weak(req.net()).ok_or(ENODEV)?;
        let ctx = Context::new(
            (ulid_local, ulid_peer, local_tag, peer_tag, fii),
            paths,
            cfg,
            weak,
        )?;
        let mut bindings = n.bindings.lock();
        let node = RBTreeNode::new(local_tag.get(), ctx.clone(), GFP_KERNEL)?;
        {
            let mut contexts = n.contexts.lock();
            if contexts.len >= MAX_CONTEXTS {
                return Err(req.error(ENOSPC, c"the namespace's context table is full", None));
            }
            n.by_tag.insert(ctx.clone()).map_err(|e| match e.error {
                EEXIST => req.error(EEXIST, c"a context has this local tag", None),
                e => e,
            })?;
            if let Err(e) = n.by_ulids.insert(ctx.clone()) {
                // Packets may have found it by its tag already: dropping waits for them.
                drop(n.by_tag.remove(&ctx));
                return Err(match e.error {
                    EEXIST => req.error(EEXIST, c"a context has this ULID pair and FII", None),
                    e => e,
                });
            }
            contexts.by_tag.insert(node);
            contexts.len += 1;
            n.count.add(1, Relaxed);
            contexts.changed();
        }
        if let Err(e) = Self::bind(n, req, &mut bindings, &ctx, &paths) {
            Self::remove(n, local_tag.get());
            return Err(e);
        }
        // The pair has its context: the heuristic is done with it.
        {
            let mut t = n.trigger.lock();
            if t.pairs
                .remove(&trigger_key(&(ulid_local, ulid_peer)))
                .is_some()
            {
                t.len -= 1;
            }
        }
        // The idle expiry runs from now.
        let arm = ctx.reap(|l| l.reap.start());
        Context::arm(ctx.as_arc_borrow(), arm);
        Ok(())
    }

    /// Removes context `tag` from the tables and stops its timer; returns whether it was
    /// there.
    fn remove(n: &NetShim, tag: u64) -> bool {
        let (ctx, unlinked) = {
            let mut contexts = n.contexts.lock();
            let Some(ctx) = contexts.by_tag.remove(&tag) else {
                return false;
            };
            contexts.len -= 1;
            contexts.changed();
            let unlinked = n.unlink(&ctx);
            (ctx, unlinked)
        };
        ctx.timer.stop();
        // Waits for the data path's readers, once for both tables.
        let mut all = KVec::new();
        for u in unlinked.into_iter().flatten() {
            let _ = all.push(u, GFP_KERNEL);
        }
        Unlinked::drop_all(all);
        true
    }

    fn del(n: &NetShim, req: &Request<'_>) -> Result {
        let tag = tag_attr(req, A_LOCAL_TAG)?;
        let mut bindings = n.bindings.lock();
        // The XFRM objects first, so no packet is rewritten for a context that is gone.
        if let Some(b) = bindings.remove(&tag.get()) {
            Self::unbind(n, b);
        }
        if !Self::remove(n, tag.get()) {
            return Err(req.error(ENOENT, c"no context has this local tag", None));
        }
        Ok(())
    }

    /// Changes a context's locator sets and current pair (RFC 5533 §10: after an Update
    /// Request, or when REAP found another working pair), its REAP state and timeouts.
    fn set(n: &NetShim, req: &Request<'_>) -> Result {
        let tag = tag_attr(req, A_LOCAL_TAG)?;
        let local = locators(req, A_LOCAL_LOCATOR)?;
        let peer = locators(req, A_PEER_LOCATOR)?;
        let cur_local = req
            .attr(A_CURRENT_LOCAL)?
            .map(|a| a.in6_addr())
            .transpose()?;
        let cur_peer = req
            .attr(A_CURRENT_PEER)?
            .map(|a| a.in6_addr())
            .transpose()?;
        let mode = req
            .attr(A_REAP_STATE)?
            .map(|a| a.u32())
            .transpose()?
            .map(|m| {
                if m == 0 {
                    Mode::Operational
                } else {
                    Mode::Exploring
                }
            });
        let mut bindings = n.bindings.lock();
        let Some(c) = n.by_tag(tag.get()) else {
            return Err(req.error(ENOENT, c"no context has this local tag", None));
        };
        let (old, cfg) = {
            let live = c.live.lock();
            (live.paths, live.reap.config())
        };
        let cfg = timeouts(req, cfg)?;
        let mut paths = old;
        if let Some(l) = local {
            paths.local = l;
        }
        if let Some(p) = peer {
            paths.peer = p;
        }
        paths.current = (
            cur_local.unwrap_or(paths.current.0),
            cur_peer.unwrap_or(paths.current.1),
        );
        check_paths(req, (c.ulid_local, c.ulid_peer), &paths)?;
        // The data path rewrites after `live.paths`.  Onto a rewritten pair, the paths change
        // before the XFRM objects (until the state is there, packets leave on the ULIDs as
        // before) and are put back if those cannot follow; back onto the ULIDs, after (a
        // packet the state takes always finds its pair rewritten).
        if Context::rewritten_pair(paths.current, (c.ulid_local, c.ulid_peer)) {
            c.live.lock().paths = paths;
            if let Err(e) = Self::bind(n, req, &mut bindings, &c, &paths) {
                c.live.lock().paths = old;
                return Err(e);
            }
        } else {
            Self::bind(n, req, &mut bindings, &c, &paths)?;
            c.live.lock().paths = paths;
        }
        drop(bindings);
        let arm = c.reap(|live| {
            let mut arm = live.reap.configure(cfg);
            if let Some(m) = mode {
                live.reap.set_mode(m);
                arm = live.reap.start().or(arm);
            }
            arm
        });
        Context::arm(c.as_arc_borrow(), arm);
        n.contexts.lock().changed();
        if paths.current != old.current {
            // The upper layer keeps the ULIDs and would wait out a retransmission timer
            // backed off on the old path.
            let told = tcp::path_changed(req.net(), &c.ulid_local, &c.ulid_peer);
            n.path_changes.add(1, Relaxed);
            n.tcp_told.add(u64::from(told), Relaxed);
        }
        Ok(())
    }

    fn flush(n: &NetShim) {
        let mut bindings = n.bindings.lock();
        let old = core::mem::take(&mut *bindings);
        let mut unlinked = KVec::new();
        for (_, b) in old.iter() {
            if let Some(u) = b.rewrite.as_ref().and_then(|r| n.by_pair.remove(&r.pair)) {
                let _ = unlinked.push(u, GFP_KERNEL);
            }
        }
        drop(old);
        Unlinked::drop_all(unlinked);
        n.clear();
    }

    fn settings(n: &NetShim, w: &mut Writer<'_>) -> Result {
        let cfg = n.trigger.lock().cfg;
        w.put_u8(T_TRIGGER, u8::from(cfg.enabled))?;
        w.put_u32(
            T_TRIGGER_BYTES,
            u32::try_from(cfg.bytes).unwrap_or(u32::MAX),
        )?;
        w.put_u32(
            T_TRIGGER_SECONDS,
            u32::try_from(cfg.seconds).unwrap_or(u32::MAX),
        )
    }

    fn set_settings(n: &NetShim, req: &Request<'_>) -> Result {
        let enabled = req.attr(T_TRIGGER)?.map(|a| a.u8()).transpose()?;
        let bytes = req.attr(T_TRIGGER_BYTES)?.map(|a| a.u32()).transpose()?;
        let seconds = req.attr(T_TRIGGER_SECONDS)?.map(|a| a.u32()).transpose()?;
        let mut t = n.trigger.lock();
        if let Some(e) = enabled {
            t.cfg.enabled = e != 0;
            if !t.cfg.enabled {
                // Off: nothing is counted, and what was is forgotten.
                t.pairs = RBTree::new();
                t.len = 0;
            }
            n.trigger_enabled.store(t.cfg.enabled, Relaxed);
        }
        if let Some(b) = bytes {
            t.cfg.bytes = u64::from(b);
        }
        if let Some(s) = seconds {
            t.cfg.seconds = u64::from(s);
        }
        Ok(())
    }

    fn stats(n: &NetShim, w: &mut Writer<'_>) -> Result {
        for (attr, c) in [
            (S_PAYLOAD_IN, &n.payload_in),
            (S_PAYLOAD_OUT, &n.payload_out),
            (S_CONTROL_IN, &n.control_in),
            (S_UNKNOWN_TAG, &n.unknown_tag),
            (S_FOREIGN_LOCATOR, &n.foreign_locator),
            (S_MALFORMED, &n.malformed),
            (S_OUT_NO_CONTEXT, &n.out_no_context),
            (S_EVENTS, &n.events),
            (S_EVENTS_LOST, &n.events_lost),
            (S_TRIGGERS, &n.triggers),
            (S_ICMP_ERRORS, &n.icmp_errors),
            (S_PATH_CHANGES, &n.path_changes),
            (S_TCP_TOLD, &n.tcp_told),
        ] {
            w.put_u64(attr, c.load(Relaxed), S_PAD)?;
        }
        let pairs = n.trigger.lock().len;
        w.put_u64(S_TRIGGER_PAIRS, pairs as u64, S_PAD)?;
        let len = n.contexts.lock().len;
        w.put_u64(S_CONTEXTS, len as u64, S_PAD)
    }
}

/// The per-namespace state and its hooks, shared with the family's callbacks.
type Data = netfilter::Registration<NetShim>;

impl Operations for Family {
    type Data = Data;
    /// The next local tag to dump.
    type DumpState = Option<u64>;
    const FAMILY: &'static OpsFamily<Self> = &FAMILY;

    fn doit(nets: &Self::Data, req: &Request<'_>) -> Result {
        let n = nets.state(req.net()).ok_or(ENODEV)?;
        match req.cmd() {
            CMD_STATS_GET => {
                // Each counter a u64 with its pad, 12 bytes.
                let mut msg = req.reply(usize::from(S_TCP_TOLD) * 12, CMD_STATS_GET)?;
                Self::stats(n, &mut msg.writer())?;
                msg.reply(req)
            }
            CMD_CONTEXT_GET => {
                let tag = tag_attr(req, A_LOCAL_TAG)?;
                let mut msg = req.reply(CONTEXT_SIZE, CMD_CONTEXT_GET)?;
                {
                    let contexts = n.contexts.lock();
                    let Some(c) = contexts.by_tag.get(&tag.get()) else {
                        return Err(req.error(ENOENT, c"no context has this local tag", None));
                    };
                    put_context(&mut msg.writer(), c)?;
                }
                msg.reply(req)
            }
            CMD_CONTEXT_ADD => Self::add(nets, n, req),
            CMD_CONTEXT_DEL => Self::del(n, req),
            CMD_CONTEXT_SET => Self::set(n, req),
            CMD_CONTEXT_FLUSH => {
                Self::flush(n);
                Ok(())
            }
            CMD_SETTINGS_GET => {
                let mut msg = req.reply(3 * 8, CMD_SETTINGS_GET)?;
                Self::settings(n, &mut msg.writer())?;
                msg.reply(req)
            }
            CMD_SETTINGS_SET => Self::set_settings(n, req),
            _ => Err(EOPNOTSUPP),
        }
    }

    fn dump_start(_: &Self::Data, _: &Request<'_>) -> Result<Option<u64>> {
        Ok(Some(0))
    }

    /// Resumes at the first tag not yet dumped: a context that stays is dumped exactly once.
    fn dumpit(
        nets: &Self::Data,
        next: &mut Option<u64>,
        dump: &mut Dump<'_>,
    ) -> Result<DumpProgress> {
        let n = nets.state(dump.net()).ok_or(ENODEV)?;
        let contexts = n.contexts.lock();
        dump.set_generation(contexts.generation);
        while let Some(from) = *next {
            let Some(c) = contexts.by_tag.cursor_lower_bound(&from) else {
                break;
            };
            let (&tag, ctx) = c.current();
            if !dump.entry(CMD_CONTEXT_GET, |w| put_context(w, ctx))? {
                return Ok(DumpProgress::More);
            }
            *next = tag.checked_add(1);
        }
        *next = None;
        Ok(DumpProgress::Done)
    }
}

static SHIM6_TYPE: xfrm::TypeVtable<Shim6Type> =
    xfrm::TypeVtable::new(kernel::module::this_module::<crate::LocalModule>());

struct Shim6 {
    // Dropped in declaration order: no new requests, then every namespace's contexts (and
    // their XFRM objects) go; then the input handler, the offload entry and the XFRM type.
    _family: genl::Registration<Family>,
    _input: protocol::Registration<Shim6Input>,
    _offload: ExtHeaderOffload,
    _type: xfrm::Registration<Shim6Type>,
}

impl kernel::Module for Shim6 {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let ty = xfrm::Registration::new(&SHIM6_TYPE)?;
        let offload = ExtHeaderOffload::new(IPPROTO_SHIM6)?;
        let input = protocol::Registration::<Shim6Input>::new()?;
        let nets = Arc::new(netfilter::Registration::new(())?, GFP_KERNEL)?;
        let family = genl::Registration::new(nets)?;
        Ok(Shim6 {
            _family: family,
            _input: input,
            _offload: offload,
            _type: ty,
        })
    }
}

#[kunit_tests(rv6_shim6)]
mod tests {
    use super::*;

    #[test]
    fn the_policies_match_the_spec() {
        assert_eq!(TAG_POLICY.maxattr(), A_LOCAL_TAG);
        assert_eq!(CONTEXT_POLICY.maxattr(), A_FII);
        assert_eq!(SET_POLICY.maxattr(), A_IDLE_TIMEOUT);
        // Tags, ULIDs and FII are a context's identity: context-set refuses them (the FII
        // lies beyond its policy).
        assert_eq!(SET_POLICY.entry(A_PEER_TAG).kind(), 0);
        assert_eq!(SET_POLICY.entry(A_ULID_LOCAL).kind(), 0);
        // Only context-set moves the REAP state.
        assert_eq!(CONTEXT_POLICY.entry(A_REAP_STATE).kind(), 0);
        assert_ne!(SET_POLICY.entry(A_REAP_STATE).kind(), 0);
        // The pad and the counters are refused in requests (unspecified in the policies).
        for attr in [A_PAD, A_RX_PACKETS, A_TX_PACKETS] {
            assert_eq!(CONTEXT_POLICY.entry(attr).kind(), 0);
            assert_eq!(SET_POLICY.entry(attr).kind(), 0);
        }
        assert!(A_FII > SET_POLICY.maxattr());
        // The event is never a request attribute.
        assert_eq!(CONTEXT_POLICY.entry(A_EVENT).kind(), 0);
        assert!(A_EVENT > SET_POLICY.maxattr());
        assert_eq!(u32::from(IPPROTO_SHIM6), kernel::bindings::IPPROTO_SHIM6);
        assert_eq!(
            u32::from(trigger::IPPROTO_SHIM6),
            kernel::bindings::IPPROTO_SHIM6
        );
        assert_eq!(
            u32::from(trigger::IPPROTO_ICMPV6),
            kernel::bindings::IPPROTO_ICMPV6
        );
    }

    #[test]
    fn a_context_is_rewritten_only_off_its_ulids() {
        let ulids = ([1; 16], [2; 16]);
        assert!(!Context::rewritten_pair(ulids, ulids));
        assert!(Context::rewritten_pair(([1; 16], [3; 16]), ulids));
        assert!(Context::rewritten_pair(([4; 16], [2; 16]), ulids));
    }
}
