// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks, registered in every network namespace.
//!
//! A module describes its hooks once ([`NetHooks::HOOKS`]) and keeps per-namespace state of a
//! type implementing [`NetHooks`].  [`Registration`] creates that state and registers the hooks
//! in each existing namespace and in every namespace created later; dropping it unregisters the
//! hooks and drops the state everywhere.  The hook function borrows the packet and returns a
//! [`Verdict`]; it never sees a raw pointer.
//!
//! C headers: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h),
//! [`include/uapi/linux/netfilter.h`](srctree/include/uapi/linux/netfilter.h)

pub mod conntrack;

use crate::{
    bindings,
    error::{
        Error,
        Result, //
    },
    net::{
        namespace::{
            self,
            Namespace,
            NetState,
            PernetSlot,
            WeakNamespace, //
        },
        skbuff::SkBuff, //
    },
    prelude::*,
    sync::Arc,
    types::Opaque, //
};
use core::ffi::{
    c_uint,
    c_void, //
};

/// A protocol family whose hooks can be used (`NFPROTO_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Family {
    /// IPv4 (`NFPROTO_IPV4`).
    Ipv4 = bindings::NFPROTO_IPV4 as u8,
    /// IPv6 (`NFPROTO_IPV6`).
    Ipv6 = bindings::NFPROTO_IPV6 as u8,
}

/// Where in the IP stack a hook runs (`enum nf_inet_hooks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HookPoint {
    /// Every incoming packet, before the routing decision.
    PreRouting = bindings::nf_inet_hooks_NF_INET_PRE_ROUTING as u8,
    /// Incoming packets addressed to this host.
    LocalIn = bindings::nf_inet_hooks_NF_INET_LOCAL_IN as u8,
    /// Packets routed through this host.
    Forward = bindings::nf_inet_hooks_NF_INET_FORWARD as u8,
    /// Packets sent by this host, before routing.
    LocalOut = bindings::nf_inet_hooks_NF_INET_LOCAL_OUT as u8,
    /// Every outgoing packet, after routing.
    PostRouting = bindings::nf_inet_hooks_NF_INET_POST_ROUTING as u8,
}

impl HookPoint {
    /// All hook points, in the order a forwarded packet meets them.
    pub const ALL: [HookPoint; 5] = [
        HookPoint::PreRouting,
        HookPoint::LocalIn,
        HookPoint::Forward,
        HookPoint::LocalOut,
        HookPoint::PostRouting,
    ];

    #[inline]
    fn from_raw(hook: u8) -> Option<Self> {
        const PRE_ROUTING: u8 = HookPoint::PreRouting as u8;
        const LOCAL_IN: u8 = HookPoint::LocalIn as u8;
        const FORWARD: u8 = HookPoint::Forward as u8;
        const LOCAL_OUT: u8 = HookPoint::LocalOut as u8;
        const POST_ROUTING: u8 = HookPoint::PostRouting as u8;
        // A match, not a search of `ALL`: hooks ask for every packet.
        match hook {
            PRE_ROUTING => Some(HookPoint::PreRouting),
            LOCAL_IN => Some(HookPoint::LocalIn),
            FORWARD => Some(HookPoint::Forward),
            LOCAL_OUT => Some(HookPoint::LocalOut),
            POST_ROUTING => Some(HookPoint::PostRouting),
            _ => None,
        }
    }

    /// The name iptables uses for the chain at this point.
    pub fn name(self) -> &'static str {
        match self {
            HookPoint::PreRouting => "PREROUTING",
            HookPoint::LocalIn => "INPUT",
            HookPoint::Forward => "FORWARD",
            HookPoint::LocalOut => "OUTPUT",
            HookPoint::PostRouting => "POSTROUTING",
        }
    }
}

/// What happens to a packet after a hook (`NF_ACCEPT`, `NF_DROP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Let the packet continue to the next hook.
    Accept,
    /// Free the packet; the sender sees `EPERM` for a locally generated one.
    Drop,
    /// Free the packet and report `errno` to a local sender (`NF_DROP_ERR`).
    DropWith(Error),
}

impl Verdict {
    /// The C verdict.
    #[inline]
    pub fn to_raw(self) -> c_uint {
        match self {
            Verdict::Accept => bindings::NF_ACCEPT,
            Verdict::Drop => bindings::NF_DROP,
            // NF_DROP_ERR(x): the positive errno in the upper 16 bits.
            Verdict::DropWith(e) => ((e.to_errno().unsigned_abs()) << 16) | bindings::NF_DROP,
        }
    }
}

/// One hook a [`NetHooks`] type asks for.
#[derive(Clone, Copy, Debug)]
pub struct Hook {
    /// The protocol family.
    pub family: Family,
    /// The hook point.
    pub point: HookPoint,
    /// Order among the hooks at the same point: lower runs first (`NF_IP6_PRI_*`).
    pub priority: i32,
}

impl Hook {
    /// An IPv6 hook at `point` with `priority`.
    pub const fn ipv6(point: HookPoint, priority: i32) -> Self {
        Hook {
            family: Family::Ipv6,
            point,
            priority,
        }
    }
}

/// Priorities of the stock IPv6 hooks (`enum nf_ip6_hook_priorities`), to place a hook among
/// them.
pub mod priority {
    /// Before everything, including conntrack defragmentation.
    pub const FIRST: i32 = bindings::nf_ip6_hook_priorities_NF_IP6_PRI_FIRST;
    /// Connection tracking.
    pub const CONNTRACK: i32 = bindings::nf_ip6_hook_priorities_NF_IP6_PRI_CONNTRACK;
    /// The `filter` table.
    pub const FILTER: i32 = bindings::nf_ip6_hook_priorities_NF_IP6_PRI_FILTER;
    /// After everything.
    pub const LAST: i32 = bindings::nf_ip6_hook_priorities_NF_IP6_PRI_LAST;
}

/// The context a hook runs in (`struct nf_hook_state`).
///
/// # Invariants
///
/// Points to a live `nf_hook_state` for the lifetime of the reference.
#[repr(transparent)]
pub struct HookState(Opaque<bindings::nf_hook_state>);

impl HookState {
    /// # Safety
    ///
    /// `ptr` must point to a live `nf_hook_state` that outlives `'a`.
    #[inline]
    unsafe fn from_raw<'a>(ptr: *const bindings::nf_hook_state) -> &'a Self {
        // SAFETY: `repr(transparent)`; the caller promises validity.
        unsafe { &*ptr.cast() }
    }

    #[inline]
    fn raw(&self) -> &bindings::nf_hook_state {
        // SAFETY: By the type invariant the state is live; netfilter does not change it while
        // the hook runs.
        unsafe { &*self.0.get() }
    }

    /// The hook point the packet is at.
    #[inline]
    pub fn point(&self) -> HookPoint {
        // netfilter only calls a hook at the point it was registered for, and registration only
        // uses `HookPoint` values.
        HookPoint::from_raw(self.raw().hook).unwrap_or(HookPoint::PreRouting)
    }

    /// The protocol family of the packet.
    #[inline]
    pub fn family(&self) -> Family {
        if u32::from(self.raw().pf) == bindings::NFPROTO_IPV4 {
            Family::Ipv4
        } else {
            Family::Ipv6
        }
    }

    /// The namespace the packet is in.
    #[inline]
    pub fn net(&self) -> &Namespace {
        // SAFETY: `state->net` is the live namespace the hook runs in; it outlives the call.
        unsafe { Namespace::from_raw(self.raw().net) }
    }

    /// Index of the receiving device, at the points that have one.
    pub fn in_ifindex(&self) -> Option<i32> {
        let dev = self.raw().in_;
        // SAFETY: A non-null `state->in` is a live device held by the packet's path.
        (!dev.is_null()).then(|| unsafe { (*dev).ifindex })
    }

    /// Sends an ICMPv6 Parameter Problem (RFC 4443 §3.4) about `skb`, with `code` and the
    /// Pointer `pointer` (an offset from its IPv6 header), as `icmpv6_send()` does: not about
    /// an ICMPv6 error, nor to an unspecified or multicast source, and within ICMPv6's rate
    /// limits.  Only on the input side, before the IPv6 input path reads the packet's
    /// extension headers: at [`HookPoint::PreRouting`], [`HookPoint::LocalIn`] and
    /// [`HookPoint::Forward`] of IPv6; elsewhere it sends nothing and returns `false`.
    pub fn icmpv6_param_prob(&self, skb: &SkBuff, code: u8, pointer: u32) -> bool {
        let input_side = matches!(
            self.point(),
            HookPoint::PreRouting | HookPoint::LocalIn | HookPoint::Forward
        );
        if self.family() != Family::Ipv6 || !input_side {
            return false;
        }
        // SAFETY: The skb is live for the hook's call.  `icmp6_send()` only reads it but for
        // `mip6_addr_swap()`, which swaps addresses in place while a Home Address option's
        // offset is in `IP6CB(skb)->dsthao`; `ip6_rcv_core()` zeroes the control block before
        // these hooks, and only `ipv6_destopt_rcv()` sets `dsthao`, after them.  So the packet
        // stays unmodified, as `&SkBuff` promises.  The device it came in on is `skb->dev`.
        unsafe { bindings::rv6_icmpv6_param_prob(skb.as_raw(), code, pointer) };
        true
    }

    /// Index of the sending device, at the points that have one.
    pub fn out_ifindex(&self) -> Option<i32> {
        let dev = self.raw().out;
        // SAFETY: A non-null `state->out` is a live device held by the packet's path.
        (!dev.is_null()).then(|| unsafe { (*dev).ifindex })
    }
}

/// Per-namespace state with netfilter hooks.
pub trait NetHooks: Send + Sync + Sized + 'static {
    /// Module-wide data the per-namespace state is created from (limits, a lock class).
    type Shared: Send + Sync;

    /// The hooks registered in every namespace: at most [`MAX_HOOKS`].
    const HOOKS: &'static [Hook];

    /// The slot the state lives in; a `static PernetSlot` of the module's.
    const SLOT: &'static PernetSlot;

    /// Creates the state for `net`; the hooks are registered right after.
    fn init<'a>(shared: &'a Self::Shared, net: &'a Namespace) -> impl PinInit<Self, Error> + 'a;

    /// Called for every packet at every hook in [`NetHooks::HOOKS`], in softirq or process
    /// context with RCU read-locked: must not sleep.
    fn hook(&self, skb: &SkBuff, state: &HookState) -> Verdict;

    /// Runs `f` on the state in `net`, as [`NetState::with`] does: for code that has a
    /// namespace but not the [`Registration`] (another subsystem's callbacks).
    fn with<R>(net: &Namespace, f: impl FnOnce(&Self) -> R) -> Option<R> {
        Hooked::<Self>::with(net, |h| f(&h.state))
    }
}

/// The most hooks one [`NetHooks`] type may register.
pub const MAX_HOOKS: usize = 8;

/// A namespace's state of `T` with its hooks: the [`NetState`] a [`Registration`] keeps.
///
/// `ops` point at `state` through `priv`, so the pair never moves: it is created in place in
/// the namespace's slot.
struct Hooked<T> {
    ops: Opaque<[bindings::nf_hook_ops; MAX_HOOKS]>,
    state: T,
}

impl<T: NetHooks> NetState for Hooked<T> {
    type Shared = T::Shared;
    const SLOT: &'static PernetSlot = T::SLOT;

    fn init<'a>(shared: &'a T::Shared, net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        const { assert!(T::HOOKS.len() <= MAX_HOOKS, "too many hooks") };
        let closure = move |this: *mut Self| {
            // SAFETY: `this` is valid for writes and pinned (the `pin_init_from_closure`
            // contract); `state` is initialised in place, on error nothing is left to drop.
            let state = unsafe { core::ptr::addr_of_mut!((*this).state) };
            // SAFETY: See above.
            unsafe { T::init(shared, net).__init(state)? };
            // SAFETY: `ops` is ours to write; all-zero is a valid `nf_hook_ops`.
            let ops =
                unsafe { core::ptr::addr_of_mut!((*this).ops) }.cast::<bindings::nf_hook_ops>();
            for (i, hook) in T::HOOKS.iter().enumerate() {
                let op = bindings::nf_hook_ops {
                    hook: Some(hook_callback::<T>),
                    priv_: state.cast(),
                    pf: hook.family as u8,
                    hooknum: hook.point as c_uint,
                    priority: hook.priority,
                    // SAFETY: All-zero is valid for the remaining fields.
                    ..unsafe { core::mem::zeroed() }
                };
                // SAFETY: `i < MAX_HOOKS` (checked at compile time).
                unsafe { ops.add(i).write(op) };
            }
            // SAFETY: The first `HOOKS.len()` entries of `ops` are filled in and stay in place
            // until `pre_exit` unregisters them; their `priv` is the initialised state.
            let ret = unsafe {
                bindings::nf_register_net_hooks(net.as_raw(), ops, T::HOOKS.len() as c_uint)
            };
            if ret != 0 {
                // SAFETY: `state` was initialised above and no hook refers to it.
                unsafe { core::ptr::drop_in_place(state) };
                return Err(Error::from_errno(ret));
            }
            Ok(())
        };
        // SAFETY: The closure initialises every field that needs it (`ops` may stay zeroed
        // past `HOOKS.len()`) and drops what it initialised when it fails.
        unsafe { pin_init::pin_init_from_closure(closure) }
    }

    fn pre_exit(&self, net: &Namespace) {
        // SAFETY: `init` registered exactly these hooks in `net`; the namespace core waits for
        // an RCU grace period before the state is dropped, so running hooks finish first.
        unsafe {
            bindings::nf_unregister_net_hooks(
                net.as_raw(),
                self.ops.get().cast(),
                T::HOOKS.len() as c_uint,
            )
        };
    }
}

// SAFETY: `ops` is written only in `init` and read by netfilter; the state is `Send + Sync`.
unsafe impl<T: Send> Send for Hooked<T> {}
// SAFETY: See above.
unsafe impl<T: Sync> Sync for Hooked<T> {}

/// Registers `T`'s hooks in every network namespace, present and future.
///
/// Dropping it unregisters the hooks and drops `T`'s state in every namespace.
pub struct Registration<T: NetHooks> {
    inner: namespace::Registration<Hooked<T>>,
}

impl<T: NetHooks> Registration<T> {
    /// Registers `T` in every namespace; `shared` is handed to each [`NetHooks::init`].
    ///
    /// Fails with `EBUSY` if `T::SLOT` is in use, or with the error of the first namespace whose
    /// state or hooks could not be set up (the others are then torn down again).
    pub fn new(shared: T::Shared) -> Result<Self> {
        Ok(Self {
            inner: namespace::Registration::new(shared)?,
        })
    }

    /// The data shared with every namespace's state.
    pub fn shared(&self) -> &T::Shared {
        self.inner.shared()
    }

    /// `T`'s state in `net`; `None` while `net` is being set up or torn down.
    pub fn state<'a>(&'a self, net: &'a Namespace) -> Option<&'a T> {
        self.inner.state(net).map(|h| &h.state)
    }

    /// A [`WeakNamespace`] for `net`, whose state is `T`'s; `None` while `net` is being set up
    /// or torn down.
    pub fn weak(&self, net: &Namespace) -> Option<Arc<WeakNamespace>> {
        self.inner.weak(net)
    }
}

/// `nf_hook_ops.hook`: runs [`NetHooks::hook`] on a packet.
///
/// # Safety
///
/// `priv_` must be the `priv` of hook ops that `Hooked::<T>::init` registered, pointing to a
/// live `T`; `skb` a live packet that netfilter neither frees nor changes during the call; and
/// `state` a live hook state for the call; under RCU, as `nf_hook_slow()` passes them to the
/// `hook` of those ops.
unsafe extern "C" fn hook_callback<T: NetHooks>(
    priv_: *mut c_void,
    skb: *mut bindings::sk_buff,
    state: *const bindings::nf_hook_state,
) -> c_uint {
    // SAFETY: `priv` is the state `Hooked::init` stored; the state lives until the namespace
    // core drops it, after `pre_exit` unregistered the hook and RCU readers are done.
    let this = unsafe { &*priv_.cast::<T>() };
    // SAFETY: netfilter lends the hook a live skb it does not free or change meanwhile.
    let skb = unsafe { SkBuff::from_raw(skb) };
    // SAFETY: netfilter passes a live state for the duration of the call.
    let state = unsafe { HookState::from_raw(state) };
    this.hook(skb, state).to_raw()
}

#[kunit_tests(rust_kernel_net_netfilter)]
mod tests {
    use super::*;
    use crate::sync::atomic::{
        ordering::Relaxed,
        Atomic, //
    };

    #[test]
    fn verdicts_have_the_c_values() {
        assert_eq!(Verdict::Accept.to_raw(), 1);
        assert_eq!(Verdict::Drop.to_raw(), 0);
        // NF_DROP_ERR(-EHOSTUNREACH) == (113 << 16) | NF_DROP
        assert_eq!(Verdict::DropWith(EHOSTUNREACH).to_raw(), 113 << 16);
    }

    #[test]
    fn hook_points_have_the_c_values() {
        let raw: [u8; 5] = [0, 1, 2, 3, 4];
        for (p, r) in HookPoint::ALL.iter().zip(raw) {
            assert_eq!(*p as u8, r);
            assert_eq!(HookPoint::from_raw(r), Some(*p));
        }
        assert_eq!(HookPoint::from_raw(5), None);
    }

    static LIVE: Atomic<i32> = Atomic::new(0);
    static PACKETS: Atomic<u64> = Atomic::new(0);
    static TEST_SLOT: PernetSlot = PernetSlot::new();

    struct Probe;

    impl NetHooks for Probe {
        type Shared = u32;
        const HOOKS: &'static [Hook] = &[
            Hook::ipv6(HookPoint::LocalOut, priority::FIRST),
            Hook::ipv6(HookPoint::LocalIn, priority::LAST),
        ];
        const SLOT: &'static PernetSlot = &TEST_SLOT;

        fn init<'a>(shared: &'a u32, _net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
            if *shared != 42 {
                return Err(EINVAL);
            }
            LIVE.add(1, Relaxed);
            Ok(Probe)
        }

        fn hook(&self, _skb: &SkBuff, _state: &HookState) -> Verdict {
            PACKETS.add(1, Relaxed);
            Verdict::Accept
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            LIVE.add(-1, Relaxed);
        }
    }

    #[test]
    fn registration_creates_state_per_namespace_and_drop_removes_it() -> Result {
        let before = LIVE.load(Relaxed);
        let reg = Registration::<Probe>::new(42)?;
        // At least the initial namespace got a state.
        assert!(LIVE.load(Relaxed) > before);
        drop(reg);
        assert_eq!(LIVE.load(Relaxed), before);
        Ok(())
    }

    #[test]
    fn a_slot_serves_one_registration_at_a_time() -> Result {
        let first = Registration::<Probe>::new(42)?;
        let second = Registration::<Probe>::new(42);
        assert!(matches!(second, Err(e) if e == EBUSY));
        drop(first);
        // Free again once the first is gone.
        let third = Registration::<Probe>::new(42)?;
        drop(third);
        Ok(())
    }
}
