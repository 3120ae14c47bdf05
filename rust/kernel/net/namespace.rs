// SPDX-License-Identifier: GPL-2.0

//! Network namespaces and per-namespace state.
//!
//! A module keeps state per network namespace by implementing [`NetState`] for it and holding a
//! [`Registration`]: the state is created in every namespace, present and future, and dropped
//! with the namespace or the registration, whichever goes first.  Code that has the
//! registration reads a namespace's state with [`Registration::state`]; code that runs where
//! it has only a namespace (a packet path, an XFRM or conntrack callback) uses
//! [`NetState::with`].
//!
//! C headers: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h),
//! [`include/net/netns/generic.h`](srctree/include/net/netns/generic.h)

use crate::{
    bindings,
    error::{
        from_result,
        Error,
        Result, //
    },
    prelude::*,
    sync::{
        atomic::{
            ordering,
            Atomic, //
        },
        rcu,
        Arc, //
    },
    types::Opaque, //
};
use core::{
    ffi::{
        c_int,
        c_uint, //
    },
    marker::PhantomPinned, //
};

/// A network namespace (`struct net`).
///
/// # Invariants
///
/// A `&Namespace` always points to a live `struct net`, for the lifetime of the reference.
#[repr(transparent)]
pub struct Namespace(Opaque<bindings::net>);

// SAFETY: `struct net` is designed to be used concurrently from any thread; the methods of
// `Namespace` only read fields that do not change after the namespace is set up.
unsafe impl Sync for Namespace {}

impl Namespace {
    /// Creates a reference to a [`Namespace`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live `struct net` that outlives `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::net) -> &'a Self {
        // SAFETY: `Namespace` is `repr(transparent)` over `struct net`, and the caller promises
        // the pointer is valid for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct net` pointer.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// The namespace's inode number: what `readlink /proc/self/ns/net` shows as `net:[N]`.
    pub fn inum(&self) -> u32 {
        // SAFETY: By the type invariant the namespace is live; `ns.inum` is set before the
        // namespace becomes visible and never changes afterwards.
        unsafe { (*self.as_raw()).ns.inum }
    }
}

/// A reference to a network namespace that does not keep it alive: [`WeakNamespace::with`]
/// lends the namespace while the per-namespace state it was taken from is in place, and
/// nothing once that state is being torn down.
///
/// For objects that may outlive their namespace's state by a moment and act on the namespace
/// from callbacks that race with its teardown, such as a timer that sends a netlink
/// notification: take it with [`Registration::weak`] or [`NetState::weak`].
///
/// # Invariants
///
/// `net` is zero or points to a live `struct net`; it is cleared in the `pre_exit` of the
/// registration it came from, which the namespace core follows with an RCU grace period
/// before the `struct net` can go.
pub struct WeakNamespace {
    net: Atomic<usize>,
}

impl WeakNamespace {
    /// Runs `f` on the namespace if it is still there for this reference's state; `f` runs
    /// under the RCU read lock and must not sleep.
    pub fn with<R>(&self, f: impl FnOnce(&Namespace) -> R) -> Option<R> {
        let _rcu = rcu::read_lock();
        let p = self.net.load(ordering::Acquire);
        if p == 0 {
            return None;
        }
        // SAFETY: By the type invariant a non-zero `net` seen under the RCU read lock points
        // to a namespace that lives at least until this read-side critical section ends, and
        // `f` cannot keep the reference.
        Some(f(unsafe { Namespace::from_raw(p as *const bindings::net) }))
    }
}

/// The slot a module's per-namespace state lives in (`pernet_operations.id`).
///
/// Declare one `static` slot per per-namespace type and name it in that type's trait impl; a
/// slot serves one registration at a time, a second one gets `EBUSY`.
///
/// # Invariants
///
/// `id` is written by the network namespace core only while `claimed` is set by the owning
/// registration; `shared` is non-null exactly while that registration is alive; `active` is
/// set only while that registration's `pernet_operations` are registered, so `id` is valid
/// and every live namespace has this slot's storage.
pub struct PernetSlot {
    id: Opaque<c_uint>,
    claimed: Atomic<bool>,
    active: Atomic<bool>,
    shared: Atomic<usize>,
}

// SAFETY: `id` is written only by `register_pernet_subsys` under the core's pernet lock, and
// read by callbacks that run after registration; the other fields are atomics.
unsafe impl Sync for PernetSlot {}

impl PernetSlot {
    /// An unclaimed slot, for a `static`.
    pub const fn new() -> Self {
        Self {
            id: Opaque::new(0),
            claimed: Atomic::new(false),
            active: Atomic::new(false),
            shared: Atomic::new(0),
        }
    }

    /// Claims the slot for a registration sharing `shared` with the per-namespace callbacks.
    fn claim<S>(&self, shared: *const S) -> crate::error::Result {
        if self.claimed.xchg(true, ordering::Full) {
            return Err(crate::error::code::EBUSY);
        }
        self.shared.store(shared as usize, ordering::Release);
        Ok(())
    }

    /// Releases the slot once the registration is gone.
    fn release(&self) {
        self.shared.store(0, ordering::Release);
        self.claimed.store(false, ordering::Release);
    }

    /// The id cell handed to `pernet_operations.id`.
    fn id_ptr(&self) -> *mut c_uint {
        self.id.get()
    }

    /// The pointer given to [`PernetSlot::claim`].
    fn shared<S>(&self) -> *const S {
        self.shared.load(ordering::Acquire) as *const S
    }

    /// This slot's storage in `net`.
    ///
    /// # Safety
    ///
    /// The slot must be claimed by a registered `pernet_operations` whose `size` is non-zero,
    /// and `net` must be live.
    #[inline]
    unsafe fn storage(&self, net: &Namespace) -> *mut core::ffi::c_void {
        // SAFETY: The id was assigned by `register_pernet_subsys` (the caller promises the slot
        // is registered), so `net_generic` returns this slot's storage in a live `net`.
        unsafe { bindings::net_generic(net.as_raw(), *self.id.get()) }
    }
}

impl Default for PernetSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// State a module keeps in every network namespace.
pub trait NetState: Send + Sync + Sized + 'static {
    /// Module-wide data every namespace's state is created from (limits, a lock class).
    type Shared: Send + Sync;

    /// The slot the state lives in: a `static PernetSlot` of the module's.
    const SLOT: &'static PernetSlot;

    /// Creates the state for `net`, in place: its address is stable until it is dropped.
    fn init<'a>(shared: &'a Self::Shared, net: &'a Namespace) -> impl PinInit<Self, Error> + 'a;

    /// Called when `net` starts going away, or the registration is dropped: unregister here
    /// what refers to the state from outside (hooks, timers).  From then on [`NetState::with`]
    /// no longer finds the state, which is dropped one RCU grace period later.
    fn pre_exit(&self, _net: &Namespace) {}

    /// Runs `f` on the state in `net`, if `Self` is registered and `net` is neither being set
    /// up nor torn down; returns `None` otherwise.
    ///
    /// For code that has a namespace but not the [`Registration`] (packet paths, callbacks of
    /// other subsystems).  `f` runs under the RCU read lock: it must not sleep.
    fn with<R>(net: &Namespace, f: impl FnOnce(&Self) -> R) -> Option<R> {
        let _rcu = rcu::read_lock();
        if !Self::SLOT.active.load(ordering::Acquire) {
            return None;
        }
        // SAFETY: `active` is set: the slot is claimed by a registration of `Slot<Self>` whose
        // `pernet_operations` are registered, and `Registration::drop` clears `active` and
        // waits for RCU readers such as this one before unregistering them.
        let slot = unsafe { Self::SLOT.storage(net) }.cast::<Slot<Self>>();
        // SAFETY: As above, the storage of a live namespace is a `Slot<Self>`, zeroed by the
        // core before `init`; `ready` is an atomic.
        let ready = unsafe { &(*slot).ready };
        // SAFETY: `ready` is set only once `state` is initialised, and cleared in `pre_exit`,
        // which the core follows with an RCU grace period before `exit` drops the state: the
        // state outlives this read-side critical section, and `f` cannot keep the reference.
        ready
            .load(ordering::Acquire)
            .then(|| f(unsafe { &(*slot).state }))
    }

    /// A [`WeakNamespace`] for `net`, under the same conditions as [`NetState::with`].
    fn weak(net: &Namespace) -> Option<Arc<WeakNamespace>> {
        let _rcu = rcu::read_lock();
        if !Self::SLOT.active.load(ordering::Acquire) {
            return None;
        }
        // SAFETY: As in `with`: the slot is registered and `net` live.
        let slot = unsafe { Self::SLOT.storage(net) }.cast::<Slot<Self>>();
        // SAFETY: As in `with`: the storage of a live namespace is a `Slot<Self>`.
        let slot = unsafe { &*slot };
        // SAFETY: `ready` is set only between `init` and `pre_exit`, while `weak` is set.
        slot.ready
            .load(ordering::Acquire)
            .then(|| unsafe { slot.weak() })
    }
}

/// What lives in a namespace's slot: the state, whether it may be used, and the namespace's
/// [`WeakNamespace`].
#[repr(C)]
struct Slot<T> {
    state: T,
    /// Set at the end of `init`, cleared in `pre_exit`.
    ready: Atomic<bool>,
    /// An `Arc<WeakNamespace>` leaked with `into_raw`: set before `init`, given back in `exit`
    /// (or when `init` fails).
    weak: Atomic<usize>,
    _pin: PhantomPinned,
}

impl<T> Slot<T> {
    /// A new reference to the slot's [`WeakNamespace`].
    ///
    /// # Safety
    ///
    /// `weak` must be set: the slot's `init` has begun and its `exit` not yet run.
    unsafe fn weak(&self) -> Arc<WeakNamespace> {
        let p = self.weak.load(ordering::Acquire) as *const WeakNamespace;
        // SAFETY: The caller promises `weak` holds the reference leaked by `init_callback`,
        // which stays until `exit_callback`; borrowing it to clone it is fine.
        Arc::from(unsafe { crate::sync::ArcBorrow::from_raw(p) })
    }
}

/// Keeps `T`'s state in every network namespace, present and future.
///
/// Dropping it drops the state in every namespace.
///
/// # Invariants
///
/// `inner.ops` is registered with the namespace core and `T::SLOT` is claimed with
/// `inner.shared` as its shared data, for as long as this object lives.
pub struct Registration<T: NetState> {
    inner: Pin<KBox<Inner<T>>>,
}

#[pin_data]
struct Inner<T: NetState> {
    #[pin]
    ops: Opaque<bindings::pernet_operations>,
    shared: T::Shared,
}

// SAFETY: The registration only hands out `&T::Shared` and `&T`, which are `Sync`; the C
// object is touched only at registration and unregistration.
unsafe impl<T: NetState> Sync for Registration<T> {}
// SAFETY: See above; `T::Shared` is `Send`.
unsafe impl<T: NetState> Send for Registration<T> {}

impl<T: NetState> Registration<T> {
    /// Creates `T`'s state in every namespace; `shared` is handed to each [`NetState::init`].
    ///
    /// Fails with `EBUSY` if `T::SLOT` is in use, or with the error of the first namespace whose
    /// state could not be created (the others are then torn down again).
    pub fn new(shared: T::Shared) -> Result<Self> {
        // The namespace core allocates the slot with kzalloc().
        const { assert!(core::mem::align_of::<Slot<T>>() <= 8) };
        let inner = KBox::pin_init(
            try_pin_init!(Inner::<T> {
                ops: Opaque::zeroed(),
                shared,
            }? Error),
            GFP_KERNEL,
        )?;
        T::SLOT.claim(&inner.shared)?;
        let ops = bindings::pernet_operations {
            init: Some(Self::init_callback),
            pre_exit: Some(Self::pre_exit_callback),
            exit: Some(Self::exit_callback),
            id: T::SLOT.id_ptr(),
            size: core::mem::size_of::<Slot<T>>(),
            // SAFETY: All-zero is valid for the remaining fields (null links and callbacks).
            ..unsafe { core::mem::zeroed() }
        };
        // SAFETY: `inner.ops` is pinned memory owned by `inner`; nothing else refers to it yet.
        unsafe { inner.ops.get().write(ops) };
        // SAFETY: `ops` is fully initialised and stays at this address until `drop`
        // unregisters it; the callbacks only use the slot claimed above.
        let ret = unsafe { bindings::register_pernet_subsys(inner.ops.get()) };
        if ret != 0 {
            T::SLOT.release();
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: Registered: every live namespace has the slot's storage.
        T::SLOT.active.store(true, ordering::Release);
        Ok(Self { inner })
    }

    /// The data shared with every namespace's state.
    pub fn shared(&self) -> &T::Shared {
        &self.inner.shared
    }

    /// `T`'s state in `net`; `None` while `net` is being set up or torn down.
    pub fn state<'a>(&'a self, net: &'a Namespace) -> Option<&'a T> {
        // SAFETY: `&self` keeps the slot claimed and registered (type invariant).
        let slot = unsafe { Self::slot(net) };
        // SAFETY: The slot's storage in a live namespace is allocated (zeroed) by the core for
        // as long as the namespace lives; `ready` is an atomic.
        let ready = unsafe { &(*slot).ready };
        // SAFETY: `ready` is set only after `state` is initialised, and the state is dropped
        // only when `net` is dismantled, after every reference to it (such as the
        // `&'a Namespace` here) is gone, or when the registration borrowed for `'a` is dropped.
        ready
            .load(ordering::Acquire)
            .then(|| unsafe { &(*slot).state })
    }

    /// A [`WeakNamespace`] for `net`; `None` while `net` is being set up or torn down.
    pub fn weak(&self, net: &Namespace) -> Option<Arc<WeakNamespace>> {
        // SAFETY: `&self` keeps the slot claimed and registered (type invariant), and the
        // storage of a live namespace is a `Slot<T>`.
        let slot = unsafe { &*Self::slot(net) };
        // SAFETY: `ready` is set only between `init` and `pre_exit`, while `weak` is set.
        slot.ready
            .load(ordering::Acquire)
            .then(|| unsafe { slot.weak() })
    }

    /// # Safety
    ///
    /// `T::SLOT` must be claimed by a live registration and `net` live.
    unsafe fn slot(net: &Namespace) -> *mut Slot<T> {
        // SAFETY: The caller's promise.
        unsafe { T::SLOT.storage(net) }.cast()
    }

    /// `pernet_operations.init`: creates `T`'s state in a new namespace.
    ///
    /// # Safety
    ///
    /// `raw` must be a live namespace being set up whose storage for `T::SLOT` is zeroed and not
    /// yet initialised, as the namespace core passes it to the `init` of the operations this
    /// registration registered (which keeps `T::SLOT` claimed while they are registered).
    unsafe extern "C" fn init_callback(raw: *mut bindings::net) -> c_int {
        // SAFETY: The namespace core passes a live namespace being set up.
        let net = unsafe { Namespace::from_raw(raw) };
        from_result(|| {
            // SAFETY: The registration is alive while its callbacks run.
            let slot = unsafe { Self::slot(net) };
            // SAFETY: The slot was claimed with a pointer to `shared`, which lives as long as
            // the registration.
            let shared = unsafe { &*T::SLOT.shared::<T::Shared>() };
            // INVARIANT: `net` is live until this registration's `pre_exit` clears it.
            let weak = Arc::new(
                WeakNamespace {
                    net: Atomic::new(raw as usize),
                },
                GFP_KERNEL,
            )?;
            // SAFETY: `slot` is this namespace's storage; `weak` is an atomic.
            unsafe { &(*slot).weak }.store(Arc::into_raw(weak) as usize, ordering::Release);
            // SAFETY: `slot` is zeroed, suitably aligned storage of `size_of::<Slot<T>>()`
            // bytes owned by this namespace; `state` is initialised in place and never moves
            // until `exit_callback` drops it.  On error nothing is left to drop.
            let res =
                unsafe { T::init(shared, net).__init(core::ptr::addr_of_mut!((*slot).state)) };
            if let Err(e) = res {
                // SAFETY: The slot's `weak`, set above; nothing else has seen it.
                unsafe { Self::drop_weak(slot) };
                return Err(e);
            }
            // SAFETY: `slot` is this namespace's storage (see above).
            unsafe { &(*slot).ready }.store(true, ordering::Release);
            Ok(0)
        })
    }

    /// `pernet_operations.pre_exit`: retires `T`'s state in a namespace going away.
    ///
    /// # Safety
    ///
    /// `raw` must be a live namespace on which `init_callback` succeeded and `pre_exit_callback`
    /// has not run yet, as the namespace core passes it to the `pre_exit` of the operations this
    /// registration registered.
    unsafe extern "C" fn pre_exit_callback(raw: *mut bindings::net) {
        // SAFETY: The namespace core passes a live namespace whose `init` succeeded.
        let net = unsafe { Namespace::from_raw(raw) };
        // SAFETY: The registration is alive while its callbacks run.
        let slot = unsafe { Self::slot(net) };
        // SAFETY: `slot` is this namespace's storage, its state initialised by `init_callback`.
        let (ready, state) = unsafe { (&(*slot).ready, &(*slot).state) };
        ready.store(false, ordering::Release);
        // SAFETY: `weak` is set from `init` to `exit`.
        let weak = unsafe { (*slot).weak() };
        // INVARIANT: Cleared here; the core waits for an RCU grace period before `exit`.
        weak.net.store(0, ordering::Release);
        state.pre_exit(net);
    }

    /// Gives back the slot's reference to its [`WeakNamespace`].
    ///
    /// # Safety
    ///
    /// `slot` must be a namespace's storage whose `weak` is set, and nothing may use it after.
    unsafe fn drop_weak(slot: *mut Slot<T>) {
        // SAFETY: The caller's promise: `weak` is set, an `Arc` leaked with `into_raw`.
        let weak = unsafe { &(*slot).weak }.xchg(0, ordering::Acquire);
        // SAFETY: As above; the value is taken out of the slot, so it is given back once.
        drop(unsafe { Arc::from_raw(weak as *const WeakNamespace) });
    }

    /// `pernet_operations.exit`: drops `T`'s state in a namespace going away.
    ///
    /// # Safety
    ///
    /// `raw` must be a namespace on which `init_callback` succeeded and then `pre_exit_callback`
    /// ran, followed by an RCU grace period, and `exit_callback` has not run yet, as the namespace
    /// core passes it to the `exit` of the operations this registration registered.
    unsafe extern "C" fn exit_callback(raw: *mut bindings::net) {
        // SAFETY: The namespace core passes a live namespace whose `init` succeeded.
        let net = unsafe { Namespace::from_raw(raw) };
        // SAFETY: The registration is alive while its callbacks run.
        let slot = unsafe { Self::slot(net) };
        // SAFETY: `pre_exit_callback` cleared `ready` and the core waited for an RCU grace
        // period since, so no `NetState::with` still uses the state; what referred to it from
        // outside was unregistered in `pre_exit`.
        unsafe { core::ptr::drop_in_place(core::ptr::addr_of_mut!((*slot).state)) };
        // SAFETY: `weak` is set from `init` to here; the state that handed it out is gone.
        unsafe { Self::drop_weak(slot) };
    }
}

impl<T: NetState> Drop for Registration<T> {
    fn drop(&mut self) {
        T::SLOT.active.store(false, ordering::Release);
        // Readers that saw `active` set are done after this; new ones see it clear.
        rcu::synchronize_rcu();
        // SAFETY: By the type invariant `ops` is registered; this unregisters it, which runs
        // `pre_exit` and `exit` in every namespace before returning.
        unsafe { bindings::unregister_pernet_subsys(self.inner.ops.get()) };
        T::SLOT.release();
    }
}

#[kunit_tests(rust_kernel_net_namespace)]
mod tests {
    use super::*;
    use crate::sync::atomic::ordering::Relaxed;

    static LIVE: Atomic<i32> = Atomic::new(0);
    static TEST_SLOT: PernetSlot = PernetSlot::new();

    struct Probe {
        inum: u32,
    }

    impl NetState for Probe {
        type Shared = u32;
        const SLOT: &'static PernetSlot = &TEST_SLOT;

        fn init<'a>(shared: &'a u32, net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
            if *shared != 42 {
                return Err(EINVAL);
            }
            LIVE.add(1, Relaxed);
            Ok(Probe { inum: net.inum() })
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            LIVE.add(-1, Relaxed);
        }
    }

    fn init_net() -> &'static Namespace {
        // SAFETY: `init_net` is static and lives for ever.
        unsafe { Namespace::from_raw(core::ptr::addr_of!(bindings::init_net)) }
    }

    #[test]
    fn state_exists_per_namespace_while_registered() -> Result {
        let before = LIVE.load(Relaxed);
        let net = init_net();
        assert_eq!(Probe::with(net, |p| p.inum), None);
        let reg = Registration::<Probe>::new(42)?;
        assert!(LIVE.load(Relaxed) > before);
        assert_eq!(reg.state(net).map(|p| p.inum), Some(net.inum()));
        assert_eq!(Probe::with(net, |p| p.inum), Some(net.inum()));
        assert_eq!(*reg.shared(), 42);
        drop(reg);
        assert_eq!(LIVE.load(Relaxed), before);
        assert_eq!(Probe::with(net, |p| p.inum), None);
        Ok(())
    }

    #[test]
    fn a_failing_init_registers_nothing() {
        let before = LIVE.load(Relaxed);
        assert!(matches!(Registration::<Probe>::new(7), Err(e) if e == EINVAL));
        assert_eq!(LIVE.load(Relaxed), before);
        assert_eq!(Probe::with(init_net(), |_| ()), None);
        // The slot is free again.
        assert!(Registration::<Probe>::new(42).is_ok());
    }

    #[test]
    fn a_weak_namespace_lends_the_namespace_until_the_state_goes() -> Result {
        let net = init_net();
        assert!(Probe::weak(net).is_none());
        let reg = Registration::<Probe>::new(42)?;
        let weak = reg.weak(net).ok_or(ENOENT)?;
        assert_eq!(weak.with(|n| n.inum()), Some(net.inum()));
        let other = Probe::weak(net).ok_or(ENOENT)?;
        assert_eq!(other.with(|n| n.inum()), Some(net.inum()));
        // The registration goes (as with the namespace's own teardown): the references stay
        // valid objects that lend nothing.
        drop(reg);
        assert_eq!(weak.with(|n| n.inum()), None);
        assert_eq!(other.with(|n| n.inum()), None);
        Ok(())
    }

    #[test]
    fn a_slot_serves_one_registration_at_a_time() -> Result {
        let first = Registration::<Probe>::new(42)?;
        let second = Registration::<Probe>::new(42);
        assert!(matches!(second, Err(e) if e == EBUSY));
        drop(first);
        let third = Registration::<Probe>::new(42)?;
        drop(third);
        Ok(())
    }
}
