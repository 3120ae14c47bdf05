// SPDX-License-Identifier: GPL-2.0

//! Network namespaces and per-namespace storage.
//!
//! C headers: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h),
//! [`include/net/netns/generic.h`](srctree/include/net/netns/generic.h)

use crate::{
    bindings,
    sync::atomic::{ordering, Atomic},
    types::Opaque,
};
use core::ffi::c_uint;

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
    pub unsafe fn from_raw<'a>(ptr: *const bindings::net) -> &'a Self {
        // SAFETY: `Namespace` is `repr(transparent)` over `struct net`, and the caller promises
        // the pointer is valid for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct net` pointer.
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

/// The slot a module's per-namespace state lives in (`pernet_operations.id`).
///
/// Declare one `static` slot per per-namespace type and name it in that type's trait impl; a
/// slot serves one registration at a time, a second one gets `EBUSY`.
///
/// # Invariants
///
/// `id` is written by the network namespace core only while `claimed` is set by the owning
/// registration; `shared` is non-null exactly while that registration is alive.
pub struct PernetSlot {
    id: Opaque<c_uint>,
    claimed: Atomic<bool>,
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
            shared: Atomic::new(0),
        }
    }

    /// Claims the slot for a registration sharing `shared` with the per-namespace callbacks.
    pub(crate) fn claim<S>(&self, shared: *const S) -> crate::error::Result {
        if self.claimed.xchg(true, ordering::Full) {
            return Err(crate::error::code::EBUSY);
        }
        self.shared.store(shared as usize, ordering::Release);
        Ok(())
    }

    /// Releases the slot once the registration is gone.
    pub(crate) fn release(&self) {
        self.shared.store(0, ordering::Release);
        self.claimed.store(false, ordering::Release);
    }

    /// The id cell handed to `pernet_operations.id`.
    pub(crate) fn id_ptr(&self) -> *mut c_uint {
        self.id.get()
    }

    /// The pointer given to [`PernetSlot::claim`].
    pub(crate) fn shared<S>(&self) -> *const S {
        self.shared.load(ordering::Acquire) as *const S
    }

    /// This slot's storage in `net`.
    ///
    /// # Safety
    ///
    /// The slot must be claimed by a registered `pernet_operations` whose `size` is non-zero,
    /// and `net` must be live.
    pub(crate) unsafe fn storage(&self, net: &Namespace) -> *mut core::ffi::c_void {
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
