// SPDX-License-Identifier: GPL-2.0

//! Walking a namespace's XFRM policies, and migrating one to new endpoints (rv6).
//!
//! [`for_each_policy`] shows each main and sub policy of a namespace as a [`PolicyView`],
//! from which the caller keeps a [`PolicyRef`] of those it wants.  [`PolicyRef::migrate`]
//! then moves that very policy's templates and the SAs they use to new endpoints, as one
//! `XFRM_MSG_MIGRATE` from user space would (`xfrm_migrate_policy()`, `kernel/patches/0011`:
//! `xfrm_migrate()` finds its policy by looking the selector up as a flow, without a mark,
//! and may find another one), and [`PolicyRef::announce`] tells the key managers, as
//! `xfrm_migrate()` does: separately, so that a caller moving several policies as one
//! announces them only once all moved.
//!
//! C header: [`include/net/xfrm.h`](srctree/include/net/xfrm.h)

use crate::{
    bindings,
    error::to_result,
    net::{
        namespace::Namespace,
        netlink::genl::Request, //
    },
    prelude::*,
    types::Opaque, //
};
use core::{
    ffi::c_void,
    ops::ControlFlow,
    ptr::NonNull, //
};

/// `XFRM_MAX_DEPTH`: templates per policy, entries per migration.
pub const MAX_DEPTH: usize = bindings::XFRM_MAX_DEPTH as usize;

/// An address as XFRM keeps it (`xfrm_address_t`): 16 bytes, an IPv4 address in the first 4.
pub type XfrmAddr = [u8; 16];

fn from_raw(a: &bindings::xfrm_address_t) -> XfrmAddr {
    // SAFETY: Every member of the union is plain bytes; `a6` covers all 16.
    let words = unsafe { a.a6 };
    let mut out = [0u8; 16];
    for (c, w) in out.chunks_exact_mut(4).zip(words) {
        c.copy_from_slice(&w.to_ne_bytes());
    }
    out
}

fn to_raw(a: &XfrmAddr) -> bindings::xfrm_address_t {
    let mut words = [0u32; 4];
    for (w, c) in words.iter_mut().zip(a.chunks_exact(4)) {
        *w = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
    }
    bindings::xfrm_address_t { a6: words }
}

/// A policy's selector: the flows it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicySelector {
    /// `AF_INET` or `AF_INET6`.
    pub family: u16,
    /// Source prefix.
    pub saddr: XfrmAddr,
    /// See `saddr`.
    pub prefixlen_s: u8,
    /// Destination prefix.
    pub daddr: XfrmAddr,
    /// See `daddr`.
    pub prefixlen_d: u8,
    /// Upper-layer protocol, 0 for any.
    pub proto: u8,
    /// Source port (host order), 0 for any.
    pub sport: u16,
    /// Destination port (host order), 0 for any.
    pub dport: u16,
}

/// A policy template (`struct xfrm_tmpl`): the SA a flow of the policy must go through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyTemplate {
    /// `id.proto`: ESP, AH or IPcomp.
    pub proto: u8,
    /// `XFRM_MODE_*`.
    pub mode: u8,
    /// Request id.
    pub reqid: u32,
    /// The family of the endpoints.
    pub family: u16,
    /// Tunnel source (tunnel and BEET modes).
    pub saddr: XfrmAddr,
    /// Tunnel destination (tunnel and BEET modes).
    pub daddr: XfrmAddr,
    /// The template may be skipped (`level use`).
    pub optional: bool,
}

/// A policy shown by [`for_each_policy`].
///
/// # Invariants
///
/// Points to a live policy, held by the reference's holder (the walk's lock, or a
/// [`PolicyRef`]).  Its index, type, direction, mark, interface id and selector are fixed once
/// it is inserted (an update replaces the policy); its templates change only under its lock.
#[repr(transparent)]
pub struct PolicyView(Opaque<bindings::xfrm_policy>);

impl PolicyView {
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariant for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::xfrm_policy) -> &'a Self {
        // SAFETY: `PolicyView` is `repr(transparent)` over the policy; the caller promises
        // the rest.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *mut bindings::xfrm_policy {
        self.0.get()
    }

    /// The policy's index (what `ip xfrm policy` shows as `index`).
    pub fn index(&self) -> u32 {
        // SAFETY: Live (type invariant); the index is fixed.
        unsafe { (*self.raw()).index }
    }

    /// `XFRM_POLICY_IN`, `OUT` or `FWD`; `XFRM_POLICY_MAX` and up for a socket's policy.
    pub fn dir(&self) -> u8 {
        // SAFETY: A pure function of the index.
        let dir = unsafe { bindings::xfrm_policy_id2dir(self.index()) };
        dir as u8
    }

    /// `XFRM_POLICY_TYPE_MAIN` or `SUB`.
    pub fn ptype(&self) -> u8 {
        // SAFETY: Live; fixed.
        unsafe { (*self.raw()).type_ }
    }

    /// Priority: lower values win.
    pub fn priority(&self) -> u32 {
        // SAFETY: Live; fixed.
        unsafe { (*self.raw()).priority }
    }

    /// The mark's value and mask.
    pub fn mark(&self) -> (u32, u32) {
        // SAFETY: Live; fixed.
        let m = unsafe { (*self.raw()).mark };
        (m.v, m.m)
    }

    /// The XFRM interface id (0: none).
    pub fn if_id(&self) -> u32 {
        // SAFETY: Live; fixed.
        unsafe { (*self.raw()).if_id }
    }

    /// The selector.
    pub fn selector(&self) -> PolicySelector {
        // SAFETY: Live; fixed.
        let s = unsafe { &(*self.raw()).selector };
        PolicySelector {
            family: s.family,
            saddr: from_raw(&s.saddr),
            prefixlen_s: s.prefixlen_s,
            daddr: from_raw(&s.daddr),
            prefixlen_d: s.prefixlen_d,
            proto: s.proto,
            sport: u16::from_be(s.sport),
            dport: u16::from_be(s.dport),
        }
    }

    /// Copies the templates into `out`, under the policy's lock (a migration rewrites them);
    /// returns how many there are.
    pub fn templates(&self, out: &mut [PolicyTemplate; MAX_DEPTH]) -> usize {
        let pol = self.raw();
        // SAFETY: Live; `lock` is the policy's rwlock, which guards `xfrm_vec` and `xfrm_nr`
        // against `xfrm_policy_migrate()`; taken with bottom halves off, as the core takes it.
        unsafe { bindings::read_lock_bh(&raw mut (*pol).lock) };
        // SAFETY: Under the lock, and `xfrm_nr` never exceeds the array.
        let n = usize::from(unsafe { (*pol).xfrm_nr }).min(MAX_DEPTH);
        for (i, o) in out.iter_mut().enumerate().take(n) {
            // SAFETY: As above; `i < xfrm_nr`.
            let t = unsafe { &(*pol).xfrm_vec[i] };
            *o = PolicyTemplate {
                proto: t.id.proto,
                mode: t.mode,
                reqid: t.reqid,
                family: t.encap_family,
                saddr: from_raw(&t.saddr),
                daddr: from_raw(&t.id.daddr),
                optional: t.optional != 0,
            };
        }
        // SAFETY: Taken above.
        unsafe { bindings::read_unlock_bh(&raw mut (*pol).lock) };
        n
    }

    /// Whether the policy left its tables (deleted, flushed or replaced).
    pub fn is_dead(&self) -> bool {
        // SAFETY: Live; `walk.dead` is written once, under the namespace's policy lock, and
        // read without it by the core too (`xfrm_policy_migrate()`).
        unsafe { core::ptr::read_volatile(&raw const (*self.raw()).walk.dead) != 0 }
    }

    /// A reference that keeps the policy alive after the walk.
    pub fn hold(&self) -> PolicyRef {
        // SAFETY: Live: taking another reference is allowed.
        unsafe { bindings::xfrm_pol_hold(self.raw()) };
        // INVARIANT: We just took the reference.
        PolicyRef(NonNull::from(self).cast())
    }
}

/// A held reference to a policy (`xfrm_pol_hold`), dropped with `xfrm_pol_put`.
///
/// # Invariants
///
/// We hold one reference to the policy.
pub struct PolicyRef(NonNull<bindings::xfrm_policy>);

// SAFETY: The policy is reference-counted and its mutable parts are behind its locks;
// dropping the reference may happen on any thread.
unsafe impl Send for PolicyRef {}
// SAFETY: `&PolicyRef` reads only the fixed fields, and the templates under the lock.
unsafe impl Sync for PolicyRef {}

impl core::ops::Deref for PolicyRef {
    type Target = PolicyView;

    fn deref(&self) -> &PolicyView {
        // SAFETY: We hold a reference (type invariant): the policy lives as long as `self`.
        unsafe { PolicyView::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for PolicyRef {
    fn drop(&mut self) {
        // SAFETY: We hold a reference (type invariant), given back once.
        unsafe { bindings::xfrm_pol_put(self.0.as_ptr()) };
    }
}

/// One template's move, an `xfrm_user_migrate` entry of `XFRM_MSG_MIGRATE`: the SA with
/// these old endpoints (and protocol, mode, reqid) moves to the new ones, and so do the
/// templates of the policy that name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MigrateEntry {
    /// Protocol.
    pub proto: u8,
    /// Mode.
    pub mode: u8,
    /// The reqid the SA is found by (0: any).
    pub reqid: u32,
    /// The old endpoints: family, source, destination.
    pub old: (u16, XfrmAddr, XfrmAddr),
    /// The new endpoints.
    pub new: (u16, XfrmAddr, XfrmAddr),
}

impl MigrateEntry {
    fn to_raw(self) -> bindings::xfrm_migrate {
        // SAFETY: All-zero is valid for `xfrm_migrate`: null pointers, zero values.
        let mut m: bindings::xfrm_migrate = unsafe { core::mem::zeroed() };
        m.proto = self.proto;
        m.mode = self.mode;
        m.old_reqid = self.reqid;
        m.old_family = self.old.0;
        m.old_saddr = to_raw(&self.old.1);
        m.old_daddr = to_raw(&self.old.2);
        m.new_family = self.new.0;
        m.new_saddr = to_raw(&self.new.1);
        m.new_daddr = to_raw(&self.new.2);
        m
    }
}

/// The addresses a key manager should use after a migration (`XFRMA_KMADDRESS`: IKE daemons
/// act on a migration only when it carries them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KmAddress {
    /// `AF_INET` or `AF_INET6`.
    pub family: u16,
    /// This host's.
    pub local: XfrmAddr,
    /// The peer's.
    pub remote: XfrmAddr,
}

/// `entries` as the core takes them; `EINVAL` for none or more than [`MAX_DEPTH`].
fn raw_entries(entries: &[MigrateEntry]) -> Result<[bindings::xfrm_migrate; MAX_DEPTH]> {
    if entries.is_empty() || entries.len() > MAX_DEPTH {
        return Err(EINVAL);
    }
    // SAFETY: All-zero is valid for `xfrm_migrate`.
    let mut m: [bindings::xfrm_migrate; MAX_DEPTH] = unsafe { core::mem::zeroed() };
    for (raw, e) in m.iter_mut().zip(entries) {
        *raw = e.to_raw();
    }
    Ok(m)
}

impl PolicyRef {
    /// Moves the policy's templates and the SAs they use (`entries`: at most
    /// [`MAX_DEPTH`], no two for the same SA), without announcing it ([`PolicyRef::announce`]
    /// does).  On failure nothing of the policy moved, and the core's reason is in `extack`'s
    /// message when given; a policy deleted meanwhile gives `ENOENT`.
    ///
    /// Process context, not under [`for_each_policy`]'s lock.
    pub fn migrate(&self, entries: &[MigrateEntry], extack: Option<&Request<'_>>) -> Result {
        let mut m = raw_entries(entries)?;
        let ext = extack.map_or(core::ptr::null_mut(), |r| r.extack_ptr());
        // SAFETY: We hold the policy (type invariant); `m` has `entries.len()` initialised
        // entries the core may write to (it fills in what it inherits); `ext` is null or the
        // request's extack, valid while the request is served.
        let err = unsafe {
            bindings::xfrm_migrate_policy(
                self.0.as_ptr(),
                m.as_mut_ptr(),
                entries.len() as c_int,
                ext,
            )
        };
        to_result(err)
    }

    /// Announces a move of the policy with `entries` to the key managers (netlink's
    /// `XFRM_MSG_MIGRATE`, PF_KEY's `SADB_X_MIGRATE`), with `km` if given, as `xfrm_migrate()`
    /// announces its own.  A key manager may act on it at once: announce what is done.
    pub fn announce(&self, entries: &[MigrateEntry], km: Option<&KmAddress>) -> Result {
        let m = raw_entries(entries)?;
        let k = km.map(|k| bindings::xfrm_kmaddress {
            local: to_raw(&k.local),
            remote: to_raw(&k.remote),
            reserved: 0,
            family: k.family,
        });
        let k_ptr = k.as_ref().map_or(core::ptr::null(), core::ptr::from_ref);
        let pol = self.0.as_ptr();
        // SAFETY: We hold the policy (type invariant): its selector, index and type are fixed
        // and its namespace outlives it; `m` holds `entries.len()` entries and `k_ptr` is
        // null or points to `k`, both alive across the call, which only reads them.
        let err = unsafe {
            bindings::km_migrate(
                &raw const (*pol).selector,
                bindings::xfrm_policy_id2dir((*pol).index) as u8,
                (*pol).type_,
                m.as_ptr(),
                entries.len() as c_int,
                k_ptr,
                bindings::xp_net(pol),
                core::ptr::null(),
            )
        };
        to_result(err)
    }
}

/// Calls `f` with each main and sub policy of `net` (not the sockets' policies), in the order
/// the namespace keeps them, until it breaks.
///
/// `f` runs under the namespace's policy lock with bottom halves off: it must not sleep
/// (allocations are `GFP_ATOMIC`) nor migrate; it keeps what it needs with
/// [`PolicyView::hold`].
pub fn for_each_policy<F: FnMut(&PolicyView) -> ControlFlow<()>>(net: &Namespace, mut f: F) {
    let mut walk = core::mem::MaybeUninit::<bindings::xfrm_policy_walk>::uninit();
    let walk = walk.as_mut_ptr();
    // SAFETY: `walk` is ours, initialised here, and stays in place until `walk_done` below
    // takes it off the namespace's list (where the walk parks it when `f` breaks).
    unsafe {
        bindings::xfrm_policy_walk_init(walk, bindings::XFRM_POLICY_TYPE_ANY as u8);
        bindings::xfrm_policy_walk(
            net.as_raw(),
            walk,
            Some(visit::<F>),
            (&raw mut f).cast::<c_void>(),
        );
        bindings::xfrm_policy_walk_done(walk, net.as_raw());
    }

    /// The walk's callback.
    ///
    /// # Safety
    ///
    /// `data` must be an `F` borrowed for the call, `pol` a live policy under the walk's lock.
    unsafe extern "C" fn visit<F: FnMut(&PolicyView) -> ControlFlow<()>>(
        pol: *mut bindings::xfrm_policy,
        dir: c_int,
        _count: c_int,
        data: *mut c_void,
    ) -> c_int {
        if dir >= bindings::XFRM_POLICY_MAX as c_int {
            return 0;
        }
        // SAFETY: `data` is the `f` of `for_each_policy`, borrowed for the walk; `pol` is a
        // live policy under the walk's lock.
        let (f, view) = unsafe { (&mut *data.cast::<F>(), PolicyView::from_raw(pol)) };
        match f(view) {
            ControlFlow::Continue(()) => 0,
            ControlFlow::Break(()) => 1,
        }
    }
}

#[macros::kunit_tests(rust_kernel_net_xfrm_migrate)]
mod tests {
    use super::*;
    use crate::net::xfrm::{
        Dir,
        OwnedPolicy,
        PolicyParams, //
    };

    fn init_net() -> &'static Namespace {
        // SAFETY: `init_net` is static and lives for ever.
        unsafe { Namespace::from_raw(&raw const bindings::init_net) }
    }

    fn addr(last: u8) -> XfrmAddr {
        // 2001:db8:7e57::/48, kept for these tests.
        let mut a = [
            0x20, 0x01, 0x0d, 0xb8, 0x7e, 0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        a[15] = last;
        a
    }

    /// An outbound tunnel-mode ESP policy from `addr(1)` to `addr(2)`, reqid 7.
    fn tunnel() -> Result<OwnedPolicy> {
        OwnedPolicy::insert(
            init_net(),
            &PolicyParams {
                saddr: &addr(1),
                daddr: &addr(2),
                dir: Dir::Out,
                sub: false,
                priority: 1000,
                tmpl_proto: bindings::IPPROTO_ESP as u8,
                tmpl_mode: bindings::XFRM_MODE_TUNNEL as u8,
                tmpl_reqid: 7,
                optional: false,
                mark: None,
            },
        )
    }

    fn ours() -> Option<PolicyRef> {
        let mut found = None;
        for_each_policy(init_net(), |p| {
            if p.selector().saddr == addr(1) && p.selector().daddr == addr(2) {
                found = Some(p.hold());
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        found
    }

    fn entry(new_src: u8) -> MigrateEntry {
        let v6 = bindings::AF_INET6 as u16;
        MigrateEntry {
            proto: bindings::IPPROTO_ESP as u8,
            mode: bindings::XFRM_MODE_TUNNEL as u8,
            reqid: 7,
            old: (v6, addr(1), addr(2)),
            new: (v6, addr(new_src), addr(2)),
        }
    }

    #[test]
    fn the_walk_shows_a_policy_and_a_migration_moves_its_template() -> Result {
        let owned = tunnel()?;
        let p = ours().ok_or(ENOENT)?;
        assert_eq!(u32::from(p.dir()), bindings::XFRM_POLICY_OUT);
        assert_eq!((p.priority(), p.mark(), p.if_id()), (1000, (0, 0), 0));
        let mut t = [PolicyTemplate::default(); MAX_DEPTH];
        assert_eq!(p.templates(&mut t), 1);
        assert_eq!((t[0].saddr, t[0].daddr, t[0].reqid), (addr(1), addr(2), 7));
        // No SA uses the template: only the template moves.
        p.migrate(&[entry(11)], None)?;
        assert_eq!(p.templates(&mut t), 1);
        assert_eq!((t[0].saddr, t[0].daddr), (addr(11), addr(2)));
        // An entry that names no template of the policy moves nothing.
        assert_eq!(p.migrate(&[entry(12)], None), Err(ENODATA));
        drop(owned);
        Ok(())
    }

    #[test]
    fn a_deleted_policy_cannot_be_migrated() -> Result {
        let owned = tunnel()?;
        let p = ours().ok_or(ENOENT)?;
        drop(owned);
        assert!(p.is_dead());
        assert_eq!(p.migrate(&[entry(11)], None), Err(ENOENT));
        assert!(ours().is_none());
        Ok(())
    }

    #[test]
    fn bad_entry_counts_are_refused() -> Result {
        let owned = tunnel()?;
        let p = ours().ok_or(ENOENT)?;
        assert_eq!(p.migrate(&[], None), Err(EINVAL));
        assert_eq!(p.migrate(&[entry(11); MAX_DEPTH + 1], None), Err(EINVAL));
        // Two entries for one SA: the core refuses duplicates.
        assert_eq!(p.migrate(&[entry(11), entry(12)], None), Err(EINVAL));
        drop(owned);
        Ok(())
    }
}
