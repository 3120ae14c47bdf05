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
//! Not yet here (issue 11's later increments): REAP timers and probes (RFC 5534), the
//! negotiation trigger heuristic, events to the daemon, ICMPv6 errors for rewritten
//! packets, forked contexts (FII) sharing a ULID pair, and an RCU hash table for the
//! data-path look-ups (an ordered tree under a spinlock today).

use kernel::{
    net::{
        ipv6::protocol::{self, ExtHeaderOffload, Handler, Inbound, Verdict},
        namespace::{self, Namespace, NetState, PernetSlot},
        netlink::genl::{
            self, perm, AttrPolicy, Dump, DumpProgress, Operations, OpsFamily, Policy, Request,
            SplitOp, Writer,
        },
        xfrm::{
            self, flags, Addr, OutputPacket, OwnedPolicy, OwnedState, PolicyParams, Refusal, State,
            StateParams, Type, MODE_ROUTE_OPTIMIZATION,
        },
    },
    new_mutex, new_spinlock_irq,
    prelude::*,
    rbtree::{RBTree, RBTreeNode},
    sync::{
        atomic::{ordering::Relaxed, Atomic},
        Arc, Mutex, SpinLockIrq,
    },
};

// The core is `pub` for the host tests and the daemon; here it is private and partly unused.
#[allow(unreachable_pub, dead_code)]
#[path = "shim6_wire.rs"]
mod wire;

use wire::{ContextTag, PayloadHeader, PayloadRepr, IPPROTO_SHIM6};

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
const POLICY_PRIORITY: u32 = 0x8000_0000;

// The family (Documentation/netlink/specs/rv6_shim6.yaml).
const CMD_STATS_GET: u8 = 1;
const CMD_CONTEXT_GET: u8 = 2;
const CMD_CONTEXT_ADD: u8 = 3;
const CMD_CONTEXT_DEL: u8 = 4;
const CMD_CONTEXT_SET: u8 = 5;
const CMD_CONTEXT_FLUSH: u8 = 6;

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

/// Bytes of a context's attributes at most: two tags and two counters (12 with their pads),
/// and 20 per address.
const CONTEXT_SIZE: usize = 4 * 12 + (4 + 2 * MAX_LOCATORS) * 20;

static TAG_POLICY: Policy<{ A_LOCAL_TAG as usize + 1 }> =
    Policy::new().with(A_LOCAL_TAG, AttrPolicy::u64());
static CONTEXT_POLICY: Policy<{ A_CURRENT_PEER as usize + 1 }> = Policy::new()
    .with(A_LOCAL_TAG, AttrPolicy::u64())
    .with(A_PEER_TAG, AttrPolicy::u64())
    .with(A_ULID_LOCAL, AttrPolicy::in6_addr())
    .with(A_ULID_PEER, AttrPolicy::in6_addr())
    .with(A_LOCAL_LOCATOR, AttrPolicy::in6_addr())
    .with(A_PEER_LOCATOR, AttrPolicy::in6_addr())
    .with(A_CURRENT_LOCAL, AttrPolicy::in6_addr())
    .with(A_CURRENT_PEER, AttrPolicy::in6_addr());
/// `context-set` changes paths only: tags and ULIDs are a context's identity.
static SET_POLICY: Policy<{ A_CURRENT_PEER as usize + 1 }> = Policy::new()
    .with(A_LOCAL_TAG, AttrPolicy::u64())
    .with(A_LOCAL_LOCATOR, AttrPolicy::in6_addr())
    .with(A_PEER_LOCATOR, AttrPolicy::in6_addr())
    .with(A_CURRENT_LOCAL, AttrPolicy::in6_addr())
    .with(A_CURRENT_PEER, AttrPolicy::in6_addr());

static OPS: [SplitOp<Family>; 7] = [
    SplitOp::doit_without_attributes(CMD_STATS_GET, perm::NONE),
    SplitOp::doit(CMD_CONTEXT_GET, perm::NONE, &TAG_POLICY),
    SplitOp::dumpit_without_attributes(CMD_CONTEXT_GET, perm::NONE),
    SplitOp::doit(CMD_CONTEXT_ADD, perm::NETNS_ADMIN, &CONTEXT_POLICY),
    SplitOp::doit(CMD_CONTEXT_DEL, perm::NETNS_ADMIN, &TAG_POLICY),
    SplitOp::doit(CMD_CONTEXT_SET, perm::NETNS_ADMIN, &SET_POLICY),
    SplitOp::doit_without_attributes(CMD_CONTEXT_FLUSH, perm::NETNS_ADMIN),
];
static FAMILY: OpsFamily<Family> = OpsFamily::new(
    kernel::module::this_module::<crate::LocalModule>(),
    b"rv6-shim6\0",
    1,
    &OPS,
    &[],
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

/// What the data path reads of a context, changed as a whole under the table's lock.
#[derive(Clone, Copy)]
struct Paths {
    local: Locators,
    peer: Locators,
    /// The current locator pair (local, peer).
    current: (Addr, Addr),
}

/// One Shim6 context (RFC 5533 §6.1): the ULID pair, both context tags, the locator sets and
/// the current pair.
struct Context {
    ulid_local: Addr,
    ulid_peer: Addr,
    /// The tag we allocated: the peer puts it in the payload headers it sends us.
    local_tag: ContextTag,
    /// The peer's tag, which we put in ours.
    peer_tag: ContextTag,
    paths: Paths,
    rx: Atomic<u64>,
    tx: Atomic<u64>,
}

impl Context {
    fn rewritten(&self) -> bool {
        self.paths.current != (self.ulid_local, self.ulid_peer)
    }
}

/// The XFRM objects that make the data path rewrite a context's packets: present while its
/// current pair differs from its ULIDs.
struct Binding {
    // The policy goes first, then the state it wants.
    _policy: OwnedPolicy,
    _state: OwnedState,
}

/// Key of the ULID-pair index: (local, peer).
type UlidKey = (Addr, Addr);

/// A namespace's contexts: by local tag (input), and the local tag by ULID pair (output).
struct Contexts {
    by_tag: RBTree<u64, Context>,
    by_ulids: RBTree<UlidKey, u64>,
    len: usize,
    generation: u32,
}

impl Contexts {
    fn changed(&mut self) {
        self.generation = self.generation.wrapping_add(1).max(1);
    }
}

/// The per-namespace state.
#[pin_data]
struct NetShim {
    /// Read by the data path in any context, hence the IRQ-safe lock.
    #[pin]
    contexts: SpinLockIrq<Contexts>,
    /// The XFRM objects of each rewritten context, by local tag: process context only.
    #[pin]
    bindings: Mutex<RBTree<u64, Binding>>,
    payload_in: Atomic<u64>,
    payload_out: Atomic<u64>,
    control_in: Atomic<u64>,
    unknown_tag: Atomic<u64>,
    foreign_locator: Atomic<u64>,
    malformed: Atomic<u64>,
    out_no_context: Atomic<u64>,
}

static NET_SLOT: PernetSlot = PernetSlot::new();

impl NetState for NetShim {
    type Shared = ();
    const SLOT: &'static PernetSlot = &NET_SLOT;

    fn init<'a>(_: &'a (), _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(NetShim {
            contexts <- new_spinlock_irq!(Contexts {
                by_tag: RBTree::new(),
                by_ulids: RBTree::new(),
                len: 0,
                generation: 1,
            }),
            bindings <- new_mutex!(RBTree::new()),
            payload_in: Atomic::new(0),
            payload_out: Atomic::new(0),
            control_in: Atomic::new(0),
            unknown_tag: Atomic::new(0),
            foreign_locator: Atomic::new(0),
            malformed: Atomic::new(0),
            out_no_context: Atomic::new(0),
        }? Error)
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
    // Shim6 sits below fragmentation (RFC 5533 §4): its header is part of the unfragmentable
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
            let contexts = n.contexts.lock();
            let c = contexts
                .by_ulids
                .get(&ulids)
                .and_then(|tag| contexts.by_tag.get(tag));
            match c {
                Some(c) if c.rewritten() => {
                    c.tx.add(1, Relaxed);
                    n.payload_out.add(1, Relaxed);
                    Some((c.paths.current, c.peer_tag))
                }
                _ => {
                    n.out_no_context.add(1, Relaxed);
                    None
                }
            }
        })
        .flatten();
        // A state outlives its context only while the context is being deleted: the packet
        // is dropped (counted by the core as `XfrmOutStateProtoError`).
        let ((local, peer), tag) = rewrite.ok_or(ENOENT)?;
        let (ip, slot) = pkt.split();
        ip[8..24].copy_from_slice(&local);
        ip[24..40].copy_from_slice(&peer);
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
                bump(pkt.net(), |n| &n.control_in);
                return Verdict::Consumed;
            }
            Err(_) => {
                bump(pkt.net(), |n| &n.malformed);
                return Verdict::Drop;
            }
        };
        let (src, dst) = pkt.addresses();
        enum Found {
            Ulids(Addr, Addr),
            UnknownTag,
            ForeignLocator,
        }
        let found = NetShim::with(pkt.net(), |n| {
            let contexts = n.contexts.lock();
            let Some(c) = contexts.by_tag.get(&repr.context_tag.get()) else {
                n.unknown_tag.add(1, Relaxed);
                return Found::UnknownTag;
            };
            // RFC 5533 §7.2: the source must be one of the peer's locators (and the
            // destination one of ours).
            if !c.paths.peer.contains(&src) || !c.paths.local.contains(&dst) {
                n.foreign_locator.add(1, Relaxed);
                return Found::ForeignLocator;
            }
            c.rx.add(1, Relaxed);
            n.payload_in.add(1, Relaxed);
            Found::Ulids(c.ulid_peer, c.ulid_local)
        });
        match found {
            Some(Found::Ulids(peer, local)) => {
                if pkt.set_addresses(&peer, &local).is_err() {
                    return Verdict::Drop;
                }
                Verdict::Next {
                    len: PayloadRepr::LEN as u16,
                }
            }
            _ => Verdict::Drop,
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

/// Writes a context's attributes.
fn put_context(w: &mut Writer<'_>, c: &Context) -> Result {
    w.put_u64(A_LOCAL_TAG, c.local_tag.get(), A_PAD)?;
    w.put_u64(A_PEER_TAG, c.peer_tag.get(), A_PAD)?;
    w.put_in6_addr(A_ULID_LOCAL, &c.ulid_local)?;
    w.put_in6_addr(A_ULID_PEER, &c.ulid_peer)?;
    for a in c.paths.local.as_slice() {
        w.put_in6_addr(A_LOCAL_LOCATOR, a)?;
    }
    for a in c.paths.peer.as_slice() {
        w.put_in6_addr(A_PEER_LOCATOR, a)?;
    }
    w.put_in6_addr(A_CURRENT_LOCAL, &c.paths.current.0)?;
    w.put_in6_addr(A_CURRENT_PEER, &c.paths.current.1)?;
    w.put_u64(A_RX_PACKETS, c.rx.load(Relaxed), A_PAD)?;
    w.put_u64(A_TX_PACKETS, c.tx.load(Relaxed), A_PAD)
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
    /// Makes the XFRM objects match context `c`: none when its pair is the ULIDs, else a
    /// state towards the current peer locator and the sub policy that wants it.  The old
    /// state goes first: two states for one ULID pair would collide.
    fn bind(net: &Namespace, bindings: &mut RBTree<u64, Binding>, c: &Context) -> Result {
        let tag = c.local_tag.get();
        drop(bindings.remove(&tag));
        if !c.rewritten() {
            return Ok(());
        }
        let state = OwnedState::add(
            net,
            &StateParams {
                proto: IPPROTO_SHIM6,
                spi: 0,
                mode: MODE_ROUTE_OPTIMIZATION,
                reqid: 0,
                saddr: &c.ulid_local,
                daddr: &c.ulid_peer,
                coaddr: Some(&c.paths.current.1),
            },
        )?;
        let policy = OwnedPolicy::insert(
            net,
            &PolicyParams {
                saddr: &c.ulid_local,
                daddr: &c.ulid_peer,
                dir: xfrm::Dir::Out,
                sub: true,
                priority: POLICY_PRIORITY,
                tmpl_proto: IPPROTO_SHIM6,
                tmpl_mode: MODE_ROUTE_OPTIMIZATION,
                tmpl_reqid: 0,
                optional: true,
            },
        )?;
        let node = RBTreeNode::new(
            tag,
            Binding {
                _policy: policy,
                _state: state,
            },
            GFP_KERNEL,
        )?;
        bindings.insert(node);
        Ok(())
    }

    fn add(n: &NetShim, req: &Request<'_>) -> Result {
        let local_tag = tag_attr(req, A_LOCAL_TAG)?;
        let peer_tag = tag_attr(req, A_PEER_TAG)?;
        let ulid_local = req.require(A_ULID_LOCAL)?.in6_addr()?;
        let ulid_peer = req.require(A_ULID_PEER)?.in6_addr()?;
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
        let context = Context {
            ulid_local,
            ulid_peer,
            local_tag,
            peer_tag,
            paths,
            rx: Atomic::new(0),
            tx: Atomic::new(0),
        };
        let mut bindings = n.bindings.lock();
        // Allocated before the data path's lock is taken.
        let node = RBTreeNode::new(local_tag.get(), context, GFP_KERNEL)?;
        let ulid_node = RBTreeNode::new((ulid_local, ulid_peer), local_tag.get(), GFP_KERNEL)?;
        {
            let mut contexts = n.contexts.lock();
            if contexts.by_tag.get(&local_tag.get()).is_some() {
                return Err(req.error(EEXIST, c"a context has this local tag", None));
            }
            if contexts.by_ulids.get(&(ulid_local, ulid_peer)).is_some() {
                return Err(req.error(
                    EEXIST,
                    c"a context has this ULID pair (forked contexts are not supported yet)",
                    None,
                ));
            }
            if contexts.len >= MAX_CONTEXTS {
                return Err(req.error(ENOSPC, c"the namespace's context table is full", None));
            }
            contexts.by_tag.insert(node);
            contexts.by_ulids.insert(ulid_node);
            contexts.len += 1;
            contexts.changed();
        }
        let snapshot = Self::snapshot(n, local_tag.get()).ok_or(ENOENT)?;
        if let Err(e) = Self::bind(req.net(), &mut bindings, &snapshot) {
            Self::remove(n, local_tag.get());
            return Err(req.error(
                e,
                c"cannot install the context's XFRM state and policy",
                None,
            ));
        }
        Ok(())
    }

    /// A copy of context `tag`'s identity and paths (counters zero), for the XFRM binding.
    fn snapshot(n: &NetShim, tag: u64) -> Option<Context> {
        let contexts = n.contexts.lock();
        contexts.by_tag.get(&tag).map(|c| Context {
            ulid_local: c.ulid_local,
            ulid_peer: c.ulid_peer,
            local_tag: c.local_tag,
            peer_tag: c.peer_tag,
            paths: c.paths,
            rx: Atomic::new(0),
            tx: Atomic::new(0),
        })
    }

    /// Removes context `tag` from the data path's tables; returns whether it was there.
    fn remove(n: &NetShim, tag: u64) -> bool {
        let (ctx, ulids) = {
            let mut contexts = n.contexts.lock();
            let Some(ctx) = contexts.by_tag.remove(&tag) else {
                return false;
            };
            let ulids = contexts.by_ulids.remove(&(ctx.ulid_local, ctx.ulid_peer));
            contexts.len -= 1;
            contexts.changed();
            (ctx, ulids)
        };
        // Freed outside the IRQ-safe lock.
        drop((ctx, ulids));
        true
    }

    fn del(n: &NetShim, req: &Request<'_>) -> Result {
        let tag = tag_attr(req, A_LOCAL_TAG)?;
        let mut bindings = n.bindings.lock();
        // The XFRM objects first, so no packet is rewritten for a context that is gone.
        drop(bindings.remove(&tag.get()));
        if !Self::remove(n, tag.get()) {
            return Err(req.error(ENOENT, c"no context has this local tag", None));
        }
        Ok(())
    }

    /// Changes a context's locator sets and current pair (RFC 5533 §10: after an Update
    /// Request, or when REAP found another working pair).
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
        let mut bindings = n.bindings.lock();
        let Some(mut c) = Self::snapshot(n, tag.get()) else {
            return Err(req.error(ENOENT, c"no context has this local tag", None));
        };
        if let Some(l) = local {
            c.paths.local = l;
        }
        if let Some(p) = peer {
            c.paths.peer = p;
        }
        c.paths.current = (
            cur_local.unwrap_or(c.paths.current.0),
            cur_peer.unwrap_or(c.paths.current.1),
        );
        check_paths(req, (c.ulid_local, c.ulid_peer), &c.paths)?;
        {
            let mut contexts = n.contexts.lock();
            let Some(live) = contexts.by_tag.get_mut(&tag.get()) else {
                return Err(req.error(ENOENT, c"no context has this local tag", None));
            };
            live.paths = c.paths;
            contexts.changed();
        }
        Self::bind(req.net(), &mut bindings, &c).map_err(|e| {
            req.error(
                e,
                c"cannot install the context's XFRM state and policy",
                None,
            )
        })
    }

    fn flush(n: &NetShim) {
        let mut bindings = n.bindings.lock();
        *bindings = RBTree::new();
        let old = {
            let mut contexts = n.contexts.lock();
            contexts.len = 0;
            contexts.changed();
            (
                core::mem::replace(&mut contexts.by_tag, RBTree::new()),
                core::mem::replace(&mut contexts.by_ulids, RBTree::new()),
            )
        };
        drop(old);
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
        ] {
            w.put_u64(attr, c.load(Relaxed), S_PAD)?;
        }
        let len = n.contexts.lock().len;
        w.put_u64(S_CONTEXTS, len as u64, S_PAD)
    }
}

impl Operations for Family {
    type Data = namespace::Registration<NetShim>;
    /// The next local tag to dump.
    type DumpState = Option<u64>;
    const FAMILY: &'static OpsFamily<Self> = &FAMILY;

    fn doit(nets: &Self::Data, req: &Request<'_>) -> Result {
        let n = nets.state(req.net()).ok_or(ENODEV)?;
        match req.cmd() {
            CMD_STATS_GET => {
                let mut msg = req.reply(9 * 12, CMD_STATS_GET)?;
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
            CMD_CONTEXT_ADD => Self::add(n, req),
            CMD_CONTEXT_DEL => Self::del(n, req),
            CMD_CONTEXT_SET => Self::set(n, req),
            CMD_CONTEXT_FLUSH => {
                Self::flush(n);
                Ok(())
            }
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

struct Shim6 {
    // Dropped in declaration order: no new requests, then every namespace's contexts (and
    // their XFRM objects) go; then the input handler, the offload entry and the XFRM type.
    _family: genl::Registration<Family>,
    _input: protocol::Registration<Shim6Input>,
    _offload: ExtHeaderOffload,
    _type: xfrm::Registration<Shim6Type>,
}

impl kernel::Module for Shim6 {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let ty = xfrm::Registration::<Shim6Type>::new(module)?;
        let offload = ExtHeaderOffload::new(IPPROTO_SHIM6)?;
        let input = protocol::Registration::<Shim6Input>::new()?;
        let nets = Arc::new(namespace::Registration::new(())?, GFP_KERNEL)?;
        let family = genl::Registration::new(nets)?;
        pr_info!("Shim6 data path (next header 140)\n");
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
        assert_eq!(CONTEXT_POLICY.maxattr(), A_CURRENT_PEER);
        assert_eq!(SET_POLICY.maxattr(), A_CURRENT_PEER);
        assert_eq!(SET_POLICY.entry(A_PEER_TAG).kind(), 0);
        assert_eq!(SET_POLICY.entry(A_ULID_LOCAL).kind(), 0);
        // The pad and the counters (past the policy's end) are refused in requests.
        assert_eq!(CONTEXT_POLICY.entry(A_PAD).kind(), 0);
        assert!(A_RX_PACKETS > CONTEXT_POLICY.maxattr() && A_TX_PACKETS > CONTEXT_POLICY.maxattr());
        assert_eq!(IPPROTO_SHIM6 as u32, kernel::bindings::IPPROTO_SHIM6);
    }

    #[test]
    fn a_context_is_rewritten_only_off_its_ulids() {
        let mut c = Context {
            ulid_local: [1; 16],
            ulid_peer: [2; 16],
            local_tag: ContextTag::new(1).unwrap_or_default(),
            peer_tag: ContextTag::new(2).unwrap_or_default(),
            paths: Paths {
                local: Locators::default(),
                peer: Locators::default(),
                current: ([1; 16], [2; 16]),
            },
            rx: Atomic::new(0),
            tx: Atomic::new(0),
        };
        assert!(!c.rewritten());
        c.paths.current.1 = [3; 16];
        assert!(c.rewritten());
    }
}
