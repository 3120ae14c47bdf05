// SPDX-License-Identifier: GPL-2.0

//! Generic netlink operations: attribute policies, split ops, requests and replies, dumps and
//! notifications (rv6's addition to [`kernel::net::netlink`]).
//!
//! A family is declared once, in static context, as the kernel's YNL-generated C families are:
//!
//! - a [`Policy`] per request, built from [`AttrPolicy`] entries: the kernel validates every
//!   request against it (strictly: unknown attributes, wrong sizes and out-of-range values are
//!   refused with an extack message) before any Rust code runs;
//! - a table of [`SplitOp`]s, one per (command, do or dump), sorted by command; a `const`
//!   check refuses at build time what `genl_validate_ops()` would refuse at registration;
//! - the family itself, an [`OpsFamily`], which only [`Registration`] registers;
//! - an [`Operations`] impl whose callbacks get typed [`Request`]s and shared [`Operations::Data`].
//!
//! [`Registration`] registers the family with the data its callbacks share (kept in the
//! family, typed by `T`); dropping it unregisters the family.  A dump in progress keeps its own reference to the data, since its
//! later rounds run from the reader's `recvmsg()`, after an unregistration has returned.
//!
//! C headers: [`include/net/genetlink.h`](srctree/include/net/genetlink.h),
//! [`include/net/netlink.h`](srctree/include/net/netlink.h)

use super::{
    Family,
    FamilyFlags,
    GenlMsg,
    MulticastGroup,
    NetlinkSkBuff, //
};
use crate::{
    alloc::{
        self,
        AllocError, //
    },
    bindings,
    error::{
        code::*,
        to_result,
        Error,
        Result, //
    },
    net::namespace::{
        self,
        Namespace,
        NetState, //
    },
    prelude::*,
    str::CStr,
    sync::{
        atomic::{
            ordering,
            Atomic, //
        },
        Arc,
        ArcBorrow, //
    },
    types::Opaque,
    ThisModule, //
};
use core::{
    ffi::c_int,
    marker::PhantomData,
    ptr::NonNull, //
};

// ---------------------------------------------------------------------------------------------
// Policies.

/// How the kernel validates one attribute (`struct nla_policy`).
///
/// The constructors mirror the C macros (`NLA_POLICY_RANGE()`, `NLA_POLICY_EXACT_LEN()`, ...);
/// an index without an entry is [`AttrPolicy::UNSPEC`], which strict validation refuses.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct AttrPolicy(bindings::nla_policy);

// SAFETY: A policy is immutable data; its pointers (nested policies) point to `static`s.
unsafe impl Sync for AttrPolicy {}

impl AttrPolicy {
    /// No attribute of this type is accepted (a hole in the table).
    pub const UNSPEC: Self = Self::new(0, 0, 0);

    const fn new(kind: u32, validation: u32, len: u16) -> Self {
        // All of it zeroed first, as C's designated initialisers leave it.
        let mut p: bindings::nla_policy = pin_init::zeroed();
        p.type_ = kind as u8;
        p.validation_type = validation as u8;
        p.len = len;
        Self(p)
    }

    const fn ranged(kind: u32, validation: u32, min: i64, max: i64) -> Self {
        if min < i16::MIN as i64 || max > i16::MAX as i64 || min > max {
            panic!("netlink policy range must fit in s16 and be ordered");
        }
        let mut p = Self::new(kind, validation, 0);
        p.0.__bindgen_anon_1 = bindings::nla_policy__bindgen_ty_1 {
            __bindgen_anon_1: bindings::nla_policy__bindgen_ty_1__bindgen_ty_1 {
                min: min as i16,
                max: max as i16,
            },
        };
        p
    }

    /// A `u8` (exactly one byte).
    pub const fn u8() -> Self {
        Self::new(bindings::NLA_U8, 0, 0)
    }
    /// A `u16`.
    pub const fn u16() -> Self {
        Self::new(bindings::NLA_U16, 0, 0)
    }
    /// A `u32`.
    pub const fn u32() -> Self {
        Self::new(bindings::NLA_U32, 0, 0)
    }
    /// A `u64` (sent with a pad attribute where alignment needs one).
    pub const fn u64() -> Self {
        Self::new(bindings::NLA_U64, 0, 0)
    }
    /// A `u8` in `min..=max` (`NLA_POLICY_RANGE(NLA_U8, min, max)`).
    pub const fn u8_range(min: u8, max: u8) -> Self {
        Self::ranged(
            bindings::NLA_U8,
            bindings::nla_policy_validation_NLA_VALIDATE_RANGE,
            min as i64,
            max as i64,
        )
    }
    /// A `u16` in `min..=max`; both must fit in `s16`, as in C.
    pub const fn u16_range(min: u16, max: u16) -> Self {
        Self::ranged(
            bindings::NLA_U16,
            bindings::nla_policy_validation_NLA_VALIDATE_RANGE,
            min as i64,
            max as i64,
        )
    }
    /// A `u32` in `min..=max`; both must fit in `s16`, as in C.
    pub const fn u32_range(min: u32, max: u32) -> Self {
        Self::ranged(
            bindings::NLA_U32,
            bindings::nla_policy_validation_NLA_VALIDATE_RANGE,
            min as i64,
            max as i64,
        )
    }
    /// A `u32` of at least `min` (`NLA_POLICY_MIN(NLA_U32, min)`; `min` must fit in `s16`).
    pub const fn u32_min(min: u32) -> Self {
        Self::ranged(
            bindings::NLA_U32,
            bindings::nla_policy_validation_NLA_VALIDATE_MIN,
            min as i64,
            i16::MAX as i64,
        )
        .with_max(0)
    }
    /// A flag: present or not, no payload.
    pub const fn flag() -> Self {
        Self::new(bindings::NLA_FLAG, 0, 0)
    }
    /// A NUL-terminated string of at most `max_len` bytes before the NUL (0: any length).
    pub const fn nul_string(max_len: u16) -> Self {
        Self::new(bindings::NLA_NUL_STRING, 0, max_len)
    }
    /// Bytes, exactly `len` of them (`NLA_POLICY_EXACT_LEN(len)`).
    pub const fn exact_len(len: u16) -> Self {
        Self::ranged(
            bindings::NLA_BINARY,
            bindings::nla_policy_validation_NLA_VALIDATE_RANGE,
            len as i64,
            len as i64,
        )
    }
    /// Bytes, at least `len` of them (`NLA_POLICY_MIN_LEN(len)`; `len` at most 32767).
    pub const fn min_len(len: u16) -> Self {
        Self::ranged(
            bindings::NLA_BINARY,
            bindings::nla_policy_validation_NLA_VALIDATE_MIN,
            len as i64,
            i16::MAX as i64,
        )
        .with_max(0)
    }
    /// Bytes, at most `len` of them (`NLA_POLICY_MAX_LEN(len)`; `len` at most 32767).
    pub const fn max_len(len: u16) -> Self {
        Self::ranged(
            bindings::NLA_BINARY,
            bindings::nla_policy_validation_NLA_VALIDATE_MAX,
            0,
            len as i64,
        )
    }

    /// This policy with the range's `max` replaced (the C macros for MIN leave it zero).
    const fn with_max(mut self, max: i16) -> Self {
        // SAFETY: Only called on ranged policies, whose union holds `min`/`max`.
        let min = unsafe { self.0.__bindgen_anon_1.__bindgen_anon_1.min };
        self.0.__bindgen_anon_1 = bindings::nla_policy__bindgen_ty_1 {
            __bindgen_anon_1: bindings::nla_policy__bindgen_ty_1__bindgen_ty_1 { min, max },
        };
        self
    }
    /// An IPv6 address (`struct in6_addr`, 16 bytes).
    pub const fn in6_addr() -> Self {
        Self::exact_len(16)
    }
    /// A nested attribute set validated against `policy` (`NLA_POLICY_NESTED(policy)`).
    pub const fn nested<const N: usize>(policy: &'static Policy<N>) -> Self {
        let mut p = Self::new(bindings::NLA_NESTED, 0, (N - 1) as u16);
        p.0.__bindgen_anon_1 = bindings::nla_policy__bindgen_ty_1 {
            nested_policy: policy.0.as_ptr().cast(),
        };
        p
    }

    /// The `NLA_*` type.
    pub const fn kind(&self) -> u8 {
        self.0.type_
    }
}

/// The policy of one request: entry `i` validates attribute type `i`; `N - 1` is the highest
/// attribute type the request may carry (`maxattr`).
#[repr(transparent)]
pub struct Policy<const N: usize>([AttrPolicy; N]);

impl<const N: usize> Policy<N> {
    /// A policy that accepts no attribute yet; add entries with [`Policy::with`].
    pub const fn new() -> Self {
        if N < 2 || N > u16::MAX as usize {
            panic!("a netlink policy covers attribute types 1..N-1");
        }
        Self([AttrPolicy::UNSPEC; N])
    }

    /// This policy, with attribute type `attr` validated by `policy`.
    pub const fn with(mut self, attr: u16, policy: AttrPolicy) -> Self {
        if attr == 0 || attr as usize >= N {
            panic!("attribute type out of the policy's range");
        }
        self.0[attr as usize] = policy;
        self
    }

    /// The highest attribute type.
    pub const fn maxattr(&self) -> u16 {
        (N - 1) as u16
    }

    /// The entry for attribute type `attr`.
    pub const fn entry(&self, attr: u16) -> &AttrPolicy {
        &self.0[attr as usize]
    }
}

impl<const N: usize> Default for Policy<N> {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------------
// Operations.

/// Permission flags of an operation (`GENL_*_PERM`).
pub mod perm {
    /// Anyone may call it.
    pub const NONE: u8 = 0;
    /// CAP_NET_ADMIN in the initial user namespace (`GENL_ADMIN_PERM`).
    pub const ADMIN: u8 = crate::bindings::GENL_ADMIN_PERM as u8;
    /// CAP_NET_ADMIN in the user namespace owning the request's network namespace
    /// (`GENL_UNS_ADMIN_PERM`): a container's root may configure its own namespace.
    pub const NETNS_ADMIN: u8 = crate::bindings::GENL_UNS_ADMIN_PERM as u8;
}

/// One entry of `T`'s operation table (`struct genl_split_ops`): a command's `do` or its
/// `dump`.  The type parameter keeps an op in the table of the family whose callbacks it
/// calls.
#[repr(transparent)]
pub struct SplitOp<T: Operations>(bindings::genl_split_ops, PhantomData<fn() -> T>);

// SAFETY: Immutable data and pointers to `static` policies and functions.
unsafe impl<T: Operations> Sync for SplitOp<T> {}

const fn check_perm(perm: u8) -> u8 {
    if perm & !(perm::ADMIN | perm::NETNS_ADMIN) != 0 {
        panic!("an op's permission is perm::NONE, perm::ADMIN or perm::NETNS_ADMIN");
    }
    perm
}

impl<T: Operations> SplitOp<T> {
    /// The `do` of command `cmd`, with the request validated by `policy`.
    pub const fn doit<const N: usize>(cmd: u8, perm: u8, policy: &'static Policy<N>) -> Self {
        Self::do_op::<N>(cmd, perm, policy.0.as_ptr().cast())
    }

    /// The `do` of command `cmd`, whose request carries no attribute (any is refused).
    pub const fn doit_without_attributes(cmd: u8, perm: u8) -> Self {
        // As `dumpit_without_attributes`.
        Self::do_op::<1>(cmd, perm, core::ptr::null())
    }

    const fn do_op<const N: usize>(cmd: u8, perm: u8, policy: *const bindings::nla_policy) -> Self {
        Self(
            bindings::genl_split_ops {
                __bindgen_anon_1: bindings::genl_split_ops__bindgen_ty_1 {
                    __bindgen_anon_1: bindings::genl_split_ops__bindgen_ty_1__bindgen_ty_1 {
                        pre_doit: None,
                        doit: Some(doit_callback::<T, N>),
                        post_doit: None,
                    },
                },
                policy,
                maxattr: (N - 1) as u32,
                cmd,
                internal_flags: 0,
                flags: check_perm(perm) | bindings::GENL_CMD_CAP_DO as u8,
                validate: 0,
            },
            PhantomData,
        )
    }

    /// The `dump` of command `cmd`, with the request validated by `policy`.
    pub const fn dumpit<const N: usize>(cmd: u8, perm: u8, policy: &'static Policy<N>) -> Self {
        Self::dump_op::<N>(cmd, perm, policy.0.as_ptr().cast())
    }

    /// The `dump` of command `cmd`, whose request carries no attribute (any is refused).
    pub const fn dumpit_without_attributes(cmd: u8, perm: u8) -> Self {
        // The core gives an op without a policy its one-entry reject-all policy, so `maxattr`
        // must be 0 (N = 1).
        Self::dump_op::<1>(cmd, perm, core::ptr::null())
    }

    const fn dump_op<const N: usize>(
        cmd: u8,
        perm: u8,
        policy: *const bindings::nla_policy,
    ) -> Self {
        Self(
            bindings::genl_split_ops {
                __bindgen_anon_1: bindings::genl_split_ops__bindgen_ty_1 {
                    __bindgen_anon_2: bindings::genl_split_ops__bindgen_ty_1__bindgen_ty_2 {
                        start: Some(dump_start_callback::<T, N>),
                        dumpit: Some(dumpit_callback::<T>),
                        done: Some(dump_done_callback::<T>),
                    },
                },
                policy,
                maxattr: (N - 1) as u32,
                cmd,
                internal_flags: 0,
                flags: check_perm(perm) | bindings::GENL_CMD_CAP_DUMP as u8,
                validate: 0,
            },
            PhantomData,
        )
    }

    const fn is_dump(&self) -> bool {
        self.0.flags & bindings::GENL_CMD_CAP_DUMP as u8 != 0
    }
}

/// A multicast group that only callers with `CAP_NET_ADMIN` over the namespace may join
/// (`GENL_MCAST_CAP_NET_ADMIN`): for notifications that reveal a namespace's state, such as
/// protocol events a daemon acts on.  For a `static`, like [`MulticastGroup::const_new`].
pub const fn admin_multicast_group(name: &CStr) -> MulticastGroup {
    let mut group = MulticastGroup::const_new(name);
    group.group.flags = bindings::GENL_MCAST_CAP_NET_ADMIN;
    group
}

/// A generic netlink family whose operations `T` serves, for a `static`.
///
/// It can only be registered through [`Registration`] (the inner [`Family`] is never handed
/// out), once at a time, and it holds the data its callbacks share while it is registered.
///
/// # Invariants
///
/// `data` is zero or the pointer of an `Arc<T::Data>` (from `Arc::into_raw`) owned by the
/// one live [`Registration<T>`].  `registered` is 1 only between `genl_register_family()`
/// returning success and the [`Registration`]'s drop calling `genl_unregister_family()`: while
/// the family's multicast group ids are its own.
pub struct OpsFamily<T: Operations> {
    family: Family,
    data: Atomic<usize>,
    registered: Atomic<u32>,
    _t: PhantomData<fn() -> T>,
}

impl<T: Operations> OpsFamily<T> {
    /// Creates the family; `module` must be the module whose code `T`'s callbacks are (its
    /// `THIS_MODULE`): the core pins it while a request or a dump is in progress, so that a
    /// dump's later rounds and its `done` never run unloaded code.
    ///
    /// Panics (at build time, in const context) when `ops` would be refused at registration:
    /// commands out of order, a command's `do` after its `dump`, or a `do` and `dump` of one
    /// command with different permissions.
    pub const fn new(
        module: &ThisModule,
        name: &[u8],
        version: u32,
        ops: &'static [SplitOp<T>],
        mcgrps: &'static [MulticastGroup],
    ) -> Self {
        Self {
            family: Family::const_new_with_ops(module, name, version, ops, mcgrps),
            data: Atomic::new(0),
            registered: Atomic::new(0),
            _t: PhantomData,
        }
    }

    fn as_raw(&self) -> *mut bindings::genl_family {
        self.family.as_raw()
    }
}

impl Family {
    const fn const_new_with_ops<T: Operations>(
        module: &ThisModule,
        name: &[u8],
        version: u32,
        ops: &'static [SplitOp<T>],
        mcgrps: &'static [MulticastGroup],
    ) -> Family {
        if ops.is_empty() || ops.len() > u8::MAX as usize {
            panic!("a family has 1 to 255 split ops");
        }
        let mut i = 1;
        while i < ops.len() {
            let (a, b) = (&ops[i - 1].0, &ops[i].0);
            if a.cmd > b.cmd || (a.cmd == b.cmd && (ops[i - 1].is_dump() || !ops[i].is_dump())) {
                panic!("split ops must be sorted by command, a command's do before its dump");
            }
            let caps = (bindings::GENL_CMD_CAP_DO | bindings::GENL_CMD_CAP_DUMP) as u8;
            if a.cmd == b.cmd && a.flags & !caps != b.flags & !caps {
                panic!("a command's do and dump must have the same permissions");
            }
            i += 1;
        }
        let mut family = bindings::genl_family {
            version,
            // As YNL's families: usable in every namespace, callbacks not serialised.
            _bitfield_1: FamilyFlags {
                netnsok: true,
                parallel_ops: true,
            }
            .into_bitfield(),
            module: module.as_ptr(),
            split_ops: ops.as_ptr().cast(),
            n_split_ops: ops.len() as u8,
            mcgrps: mcgrps.as_ptr().cast(),
            n_mcgrps: mcgrps.len() as u8,
            ..pin_init::zeroed()
        };
        if mcgrps.len() > u8::MAX as usize {
            panic!("too many mcgrps");
        }
        if CStr::from_bytes_with_nul(name).is_err() || family.name.len() < name.len() {
            panic!("genl_family name must be NUL-terminated and fit GENL_NAMSIZ");
        }
        let mut i = 0;
        while i < name.len() {
            family.name[i] = name[i];
            i += 1;
        }
        Family {
            inner: Opaque::new(family),
        }
    }
}

/// A generic netlink family's callbacks.
///
/// The callbacks run concurrently (the family is `parallel_ops`), in process context, without
/// RTNL; an error they return reaches the caller as the errno of the request's acknowledgement,
/// with the extack message set through [`Request::error`].
pub trait Operations: Sized + 'static {
    /// What the callbacks share, owned by the [`Registration`].
    ///
    /// A dump holds a reference, so the last one may be dropped by a dump's `done`: in process
    /// context, under the socket's `nl_cb_mutex` and possibly genetlink's `cb_lock` (read).
    /// Its `Drop` must not register or unregister a generic netlink family.
    type Data: Send + Sync + 'static;
    /// What a dump keeps between the rounds of one request (each round fills one buffer that
    /// the reader's `recvmsg()` takes).
    type DumpState: Send;

    /// The family these callbacks serve.
    const FAMILY: &'static OpsFamily<Self>;

    /// A `do` request.
    fn doit(data: &Self::Data, request: &Request<'_>) -> Result;

    /// The start of a dump: checks the request and returns the dump's state.  Only called for
    /// the commands with a `dump` op in [`Operations::FAMILY`].
    fn dump_start(_data: &Self::Data, _request: &Request<'_>) -> Result<Self::DumpState> {
        Err(EOPNOTSUPP)
    }

    /// One round of a dump: add entries with [`Dump::entry`] until it says the buffer is full,
    /// and return whether entries remain ([`DumpProgress::More`]).
    fn dumpit(
        _data: &Self::Data,
        _state: &mut Self::DumpState,
        _dump: &mut Dump<'_>,
    ) -> Result<DumpProgress> {
        Err(EOPNOTSUPP)
    }
}

/// Where a dump stands after a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpProgress {
    /// More entries remain: the reader gets this buffer, and the next round continues.
    More,
    /// Every entry has been sent.
    Done,
}

/// A registered family with operations; dropping it unregisters the family.
///
/// # Invariants
///
/// `T::FAMILY` is registered and holds the data its callbacks share.
pub struct Registration<T: Operations> {
    _t: PhantomData<T>,
}

impl<T: Operations> Registration<T> {
    /// Registers `T::FAMILY`, whose callbacks will share `data`.
    ///
    /// Fails with `EBUSY` if the family is already registered.
    pub fn new(data: Arc<T::Data>) -> Result<Self> {
        let raw = Arc::into_raw(data) as usize;
        // Claiming the slot first makes a second registration of the family fail before it
        // reaches the core.
        if T::FAMILY.data.cmpxchg(0, raw, ordering::Full).is_err() {
            // SAFETY: `raw` came from `Arc::into_raw` above and was not stored.
            drop(unsafe { Arc::from_raw(raw as *const T::Data) });
            return Err(EBUSY);
        }
        // SAFETY: The family is a `static`, so it outlives its registration; its ops point to
        // `static` policies and to callbacks for `T`, whose data is now in the family.  A failed
        // registration leaves the family unreachable: the core registers under `cb_lock`
        // (written), which every request holds for reading.
        if let Err(e) = to_result(unsafe { bindings::genl_register_family(T::FAMILY.as_raw()) }) {
            take_data::<T>();
            return Err(e);
        }
        T::FAMILY.registered.store(1, ordering::Release);
        Ok(Self { _t: PhantomData })
    }
}

impl<T: Operations> Drop for Registration<T> {
    fn drop(&mut self) {
        T::FAMILY.registered.store(0, ordering::Release);
        // SAFETY: By the type invariant the family is registered.  Unregistering waits for
        // every `do` in progress and for every dump's start (they run under `cb_lock`, which
        // it takes for writing); later dump rounds hold their own reference to the data, and
        // the module pin (`OpsFamily::new`) keeps their code loaded until after `done`.
        unsafe { bindings::genl_unregister_family(T::FAMILY.as_raw()) };
        take_data::<T>();
    }
}

/// Empties `T::FAMILY`'s data, dropping the registration's reference to it.
fn take_data<T: Operations>() {
    let raw = T::FAMILY.data.xchg(0, ordering::Full);
    if raw != 0 {
        // SAFETY: By the `OpsFamily` invariant a non-zero value is an `Arc<T::Data>` the
        // registration owned; it was just taken out of the family.
        drop(unsafe { Arc::from_raw(raw as *const T::Data) });
    }
}

/// The registration's data, while a callback runs.
///
/// # Safety
///
/// Must be called from a `do` or a dump's start of `T::FAMILY`, for the duration of the
/// callback: the core holds `cb_lock` for reading around them, and the registration that owns
/// the data unregisters the family (taking `cb_lock` for writing) before dropping it; only
/// [`Registration`] registers an [`OpsFamily`], once at a time.
unsafe fn data<'a, T: Operations>() -> Option<ArcBorrow<'a, T::Data>> {
    let raw = T::FAMILY.data.load(ordering::Acquire);
    if raw == 0 {
        return None;
    }
    // SAFETY: The slot holds a reference to this `Arc` until unregistration, which cannot
    // happen while the caller runs (see the function's safety requirements).
    Some(unsafe { ArcBorrow::from_raw(raw as *const T::Data) })
}

// ---------------------------------------------------------------------------------------------
// Requests.

/// A request being served: a `do`, or the dump request a dump serves.
///
/// # Invariants
///
/// `info` points to the core's `struct genl_info` for this request, valid for `'a`.
pub struct Request<'a> {
    info: NonNull<bindings::genl_info>,
    /// The served op's `maxattr`: `info->attrs` has `maxattr + 1` entries (or is null).
    maxattr: u16,
    _p: PhantomData<&'a bindings::genl_info>,
}

impl<'a> Request<'a> {
    /// # Safety
    ///
    /// `info` must be valid for `'a`, and be the info of a request to an op whose `maxattr`
    /// is `maxattr` (its `attrs`, if not null, has `maxattr + 1` entries).
    unsafe fn from_raw(info: *mut bindings::genl_info, maxattr: u16) -> Option<Self> {
        Some(Self {
            info: NonNull::new(info)?,
            maxattr,
            _p: PhantomData,
        })
    }

    fn info(&self) -> &bindings::genl_info {
        // SAFETY: By the type invariant `info` is valid for `'a`.
        unsafe { self.info.as_ref() }
    }

    /// The request's extended ack, for core functions that explain their refusals in it
    /// themselves (null when the request has none).
    pub(crate) fn extack_ptr(&self) -> *mut bindings::netlink_ext_ack {
        self.info().extack
    }

    /// The command.
    pub fn cmd(&self) -> u8 {
        // SAFETY: `genlhdr` points to the request's header, part of the request skb.
        unsafe { (*self.info().genlhdr).cmd }
    }

    /// The network namespace of the requesting socket.
    pub fn net(&self) -> &Namespace {
        // SAFETY: The requesting socket holds its namespace for as long as the request is
        // served.
        unsafe { Namespace::from_raw(bindings::genl_info_net(self.info.as_ptr())) }
    }

    /// Every top-level attribute of the request, in order, repeated types included (an op
    /// whose spec says `multi-attr`); [`Request::attr`] gives the last of a type.
    pub fn attrs(&self) -> Attrs<'a> {
        const NLMSG_HDRLEN: usize = (core::mem::size_of::<bindings::nlmsghdr>() + 3) & !3;
        const GENL_HDRLEN: usize = (core::mem::size_of::<bindings::genlmsghdr>() + 3) & !3;
        let info = self.info();
        // SAFETY: `nlhdr` is the request's header; the core checked that the message's
        // `nlmsg_len` bytes are in the request skb, which outlives the request (`'a`).
        let len = unsafe { (*info.nlhdr).nlmsg_len } as usize;
        let Some(len) = len.checked_sub(NLMSG_HDRLEN + GENL_HDRLEN) else {
            return Attrs { rest: &[] };
        };
        // SAFETY: The attributes follow the generic netlink header (our families have no
        // family header) up to the message's end, inside the request skb (see above).
        let rest =
            unsafe { core::slice::from_raw_parts(info.genlhdr.cast::<u8>().add(GENL_HDRLEN), len) };
        Attrs { rest }
    }

    /// Attribute `attr` of the request, if present.
    ///
    /// The kernel has validated it against the op's policy; the accessors still check sizes.
    /// An attribute given twice is refused (`EINVAL`, the extack naming the second) where the
    /// core would silently keep the last; repeated attributes (a spec's `multi-attr`) are read
    /// with [`Request::attrs`].
    pub fn attr(&self, attr: u16) -> Result<Option<Attr<'a>>> {
        let info = self.info();
        if info.attrs.is_null() || attr == 0 || attr > self.maxattr {
            return Ok(None);
        }
        // SAFETY: `attrs` has `maxattr + 1` entries (`from_raw`'s requirement): the core
        // allocated them for the op being served.
        let Some(nla) = NonNull::new(unsafe { *info.attrs.add(usize::from(attr)) }) else {
            return Ok(None);
        };
        if let Some(second) = self.attrs().filter(|a| a.kind() == attr).nth(1) {
            return Err(self.error(EINVAL, c"duplicate attribute", Some(&second)));
        }
        // SAFETY: A non-null entry points to a complete attribute in the request skb, which
        // outlives the request (`'a`).
        Ok(Some(unsafe { Attr::from_raw(nla) }))
    }

    /// Attribute `attr`, which the request must carry: when it is missing, the extack names it
    /// (`GENL_REQ_ATTR_CHECK`) and the error is `EINVAL`.
    pub fn require(&self, attr: u16) -> Result<Attr<'a>> {
        match self.attr(attr)? {
            Some(a) => Ok(a),
            None => {
                let ext = self.info().extack;
                if !ext.is_null() {
                    // SAFETY: The core's extack is valid while the request is served.
                    unsafe {
                        (*ext).miss_nest = core::ptr::null();
                        (*ext).miss_type = attr;
                    }
                }
                Err(self.error(EINVAL, c"missing attribute", None))
            }
        }
    }

    /// Sets the extack message (and the offending attribute) of the reply and returns `err`, as
    /// `NL_SET_ERR_MSG_ATTR()` does: `return Err(request.error(EINVAL, c"...", Some(attr)))`.
    pub fn error(&self, err: Error, msg: &'static CStr, attr: Option<&Attr<'_>>) -> Error {
        // SAFETY: `msg` is a static NUL-terminated string.
        unsafe { bindings::do_trace_netlink_extack(msg.as_char_ptr()) };
        let ext = self.info().extack;
        if !ext.is_null() {
            // SAFETY: The core's extack is valid while the request is served; the message is
            // static (the acknowledgement is built after the callback returns), the attribute
            // points into the request skb.
            unsafe {
                (*ext)._msg = msg.as_char_ptr();
                if let Some(a) = attr {
                    (*ext).bad_attr = a.nla.as_ptr();
                }
            }
        }
        err
    }

    /// Sets the extack message to `args`, formatted, and returns `err`, as
    /// `NL_SET_ERR_MSG_FMT()` does: for messages that name what failed ("policy 42: ...").  A
    /// message longer than the extack's buffer (79 bytes) is cut at a character.
    pub fn error_fmt(&self, err: Error, args: core::fmt::Arguments<'_>) -> Error {
        let ext = self.info().extack;
        if ext.is_null() {
            return err;
        }
        let mut msg = ExtackText::new();
        let _ = core::fmt::write(&mut msg, args);
        // SAFETY: The core's extack is valid while the request is served; `_msg_buf` is the
        // buffer `NL_SET_ERR_MSG_FMT()` formats into, `msg` fits it with its NUL, and `_msg`
        // points at it until the acknowledgement is built.
        unsafe {
            let buf = &mut (*ext)._msg_buf;
            // `char` is unsigned in the kernel.
            for (d, s) in buf.iter_mut().zip(msg.bytes_with_nul()) {
                *d = *s;
            }
            (*ext)._msg = buf.as_ptr();
            bindings::do_trace_netlink_extack(buf.as_ptr());
        }
        err
    }

    /// The extack message set while serving the request (by a core function this module
    /// called, say), copied into `out`; `None` when there is none.
    pub fn message<'b>(&self, out: &'b mut [u8; ExtackText::CAP]) -> Option<&'b str> {
        let ext = self.info().extack;
        if ext.is_null() {
            return None;
        }
        // SAFETY: The core's extack is valid while the request is served.
        let msg = unsafe { (*ext)._msg };
        if msg.is_null() {
            return None;
        }
        // SAFETY: A set `_msg` is a NUL-terminated string: static, or the extack's own buffer.
        let bytes = unsafe { CStr::from_char_ptr(msg) }.to_bytes();
        let n = bytes.len().min(out.len() - 1);
        out[..n].copy_from_slice(&bytes[..n]);
        core::str::from_utf8(&out[..n]).ok()
    }

    /// A reply to this request with command `cmd`, of at most `size` bytes of attributes.
    pub fn reply(&self, size: usize, cmd: u8) -> Result<GenlMsg> {
        let info = self.info();
        let skb = NetlinkSkBuff::new(size, GFP_KERNEL)?;
        Ok(skb.genlmsg_put_with(info.snd_portid, info.snd_seq, info.family, 0, cmd)?)
    }

    /// Replies to this request with one message of command `cmd` whose attributes `put`
    /// writes (at most [`GENLMSG_DEFAULT_SIZE`](super::GENLMSG_DEFAULT_SIZE) bytes): what a
    /// `get` of counters or settings answers.
    pub fn reply_with(&self, cmd: u8, put: impl FnOnce(&mut Writer<'_>) -> Result) -> Result {
        let mut msg = self.reply(super::GENLMSG_DEFAULT_SIZE, cmd)?;
        put(&mut msg.writer())?;
        msg.reply(self)
    }
}

/// A message for an extack's buffer (`NETLINK_MAX_FMTMSG_LEN` bytes with the NUL), written
/// with `core::fmt`: what does not fit is cut at a character.
pub struct ExtackText {
    buf: [u8; Self::CAP],
    len: usize,
}

impl ExtackText {
    /// The buffer's size, the NUL included.
    pub const CAP: usize = bindings::NETLINK_MAX_FMTMSG_LEN as usize;

    /// An empty message.
    pub fn new() -> Self {
        Self {
            buf: [0; Self::CAP],
            len: 0,
        }
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        // Only whole characters are written (`write_str`).
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    fn bytes_with_nul(&self) -> &[u8] {
        &self.buf[..=self.len]
    }
}

impl Default for ExtackText {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Write for ExtackText {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for c in s.chars() {
            let mut b = [0u8; 4];
            let c = c.encode_utf8(&mut b).as_bytes();
            // Room for the character and the NUL.
            if self.len + c.len() >= Self::CAP {
                return Err(core::fmt::Error);
            }
            self.buf[self.len..self.len + c.len()].copy_from_slice(c);
            self.len += c.len();
        }
        Ok(())
    }
}

/// One attribute of a request.
///
/// # Invariants
///
/// `nla` points to an attribute whose header and `nla_len` bytes are readable for `'a`.
#[derive(Clone, Copy)]
pub struct Attr<'a> {
    nla: NonNull<bindings::nlattr>,
    _p: PhantomData<&'a [u8]>,
}

impl<'a> Attr<'a> {
    /// # Safety
    ///
    /// `nla` must point to a complete attribute, valid for `'a`.
    unsafe fn from_raw(nla: NonNull<bindings::nlattr>) -> Self {
        Self {
            nla,
            _p: PhantomData,
        }
    }

    /// The attribute's type (without the nested and byte-order flags).
    pub fn kind(&self) -> u16 {
        let flags = (bindings::NLA_F_NESTED | bindings::NLA_F_NET_BYTEORDER) as u16;
        // SAFETY: By the type invariant the header is readable.
        unsafe { (*self.nla.as_ptr()).nla_type & !flags }
    }

    /// The payload.
    pub fn data(&self) -> &'a [u8] {
        const HDR: usize = core::mem::size_of::<bindings::nlattr>();
        // SAFETY: By the type invariant the header is readable.
        let len = usize::from(unsafe { (*self.nla.as_ptr()).nla_len }).saturating_sub(HDR);
        // SAFETY: The payload follows the (4-byte) header and is `nla_len - 4` bytes long.
        unsafe { core::slice::from_raw_parts(self.nla.as_ptr().cast::<u8>().add(HDR), len) }
    }

    fn array<const N: usize>(&self) -> Result<[u8; N]> {
        self.data().try_into().map_err(|_| EINVAL)
    }

    /// The payload as a `u8` (`EINVAL` if it is not exactly one byte).
    pub fn u8(&self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    /// The payload as a `u16` in host order.
    pub fn u16(&self) -> Result<u16> {
        Ok(u16::from_ne_bytes(self.array()?))
    }
    /// The payload as a `u32` in host order.
    pub fn u32(&self) -> Result<u32> {
        Ok(u32::from_ne_bytes(self.array()?))
    }
    /// The payload as a `u64` in host order.
    pub fn u64(&self) -> Result<u64> {
        Ok(u64::from_ne_bytes(self.array()?))
    }
    /// The payload as an IPv6 address (16 bytes, network order).
    pub fn in6_addr(&self) -> Result<[u8; 16]> {
        self.array()
    }
    /// The payload as a NUL-terminated string.
    pub fn string(&self) -> Result<&'a CStr> {
        CStr::from_bytes_until_nul(self.data()).map_err(|_| EINVAL)
    }
    /// The attributes nested in this one (an `NLA_NESTED` payload), in order.
    pub fn nested(&self) -> Attrs<'a> {
        Attrs { rest: self.data() }
    }
}

/// The attributes of a stream (a request's top level, a nest's payload), in order.
///
/// Iteration stops at the first attribute that does not fit in what is left, as
/// `nla_for_each_attr()` does; the core's validation means that never happens in a request,
/// but memory safety does not rest on it.
pub struct Attrs<'a> {
    rest: &'a [u8],
}

impl<'a> Attrs<'a> {
    /// The first attribute of type `kind`.
    pub fn find(mut self, kind: u16) -> Option<Attr<'a>> {
        Iterator::find(&mut self, |a| a.kind() == kind)
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        const HDR: usize = core::mem::size_of::<bindings::nlattr>();
        let rest = self.rest;
        let len = match rest {
            [a, b, ..] if rest.len() >= HDR => usize::from(u16::from_ne_bytes([*a, *b])),
            _ => 0,
        };
        let aligned = rest.as_ptr() as usize % core::mem::align_of::<bindings::nlattr>() == 0;
        if len < HDR || len > rest.len() || !aligned {
            self.rest = &[];
            return None;
        }
        // NLA_ALIGN: the next attribute starts on a 4-byte boundary, or the stream ends.
        self.rest = rest.get((len + 3) & !3..).unwrap_or(&[]);
        // SAFETY: `rest` starts with a complete attribute of `len >= HDR` bytes, suitably
        // aligned (checked above), valid for `'a`.
        Some(unsafe { Attr::from_raw(NonNull::from(&rest[0]).cast()) })
    }
}

// ---------------------------------------------------------------------------------------------
// Messages.

impl NetlinkSkBuff {
    /// Puts a generic netlink header with netlink `flags` into the buffer.
    fn genlmsg_put_with(
        self,
        portid: u32,
        seq: u32,
        family: *const bindings::genl_family,
        flags: c_int,
        cmd: u8,
    ) -> Result<GenlMsg, AllocError> {
        // SAFETY: The skb is owned and valid; `family` is a registered family (the one serving
        // a request, or an `OpsFamily`, which lives in a `static`); `genlmsg_put` only reads
        // its id, header size and version.
        let hdr =
            unsafe { bindings::genlmsg_put(self.skb.as_ptr(), portid, seq, family, flags, cmd) };
        let hdr = NonNull::new(hdr).ok_or(AllocError)?;
        Ok(GenlMsg { skb: self, hdr })
    }
}

/// Writes attributes at the end of a message: a [`GenlMsg`]'s, a dump entry's, a nest's.
///
/// # Invariants
///
/// `skb` is a netlink buffer being built, exclusively borrowed for `'a`.
pub struct Writer<'a> {
    skb: NonNull<bindings::sk_buff>,
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

impl Writer<'_> {
    fn put(&mut self, attr: u16, data: &[u8]) -> Result {
        // `nla_len` is 16 bits and counts the 4-byte header.
        if data.len() > usize::from(u16::MAX) - core::mem::size_of::<bindings::nlattr>() {
            return Err(EMSGSIZE);
        }
        let len = c_int::try_from(data.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: By the type invariant `skb` is being built by us; `data` is readable.
        to_result(unsafe {
            bindings::nla_put(
                self.skb.as_ptr(),
                c_int::from(attr),
                len,
                data.as_ptr().cast(),
            )
        })
    }

    /// Puts a `u8` attribute.
    pub fn put_u8(&mut self, attr: u16, v: u8) -> Result {
        self.put(attr, &[v])
    }
    /// Puts a `u16` attribute.
    pub fn put_u16(&mut self, attr: u16, v: u16) -> Result {
        self.put(attr, &v.to_ne_bytes())
    }
    /// Puts a `u32` attribute.
    pub fn put_u32(&mut self, attr: u16, v: u32) -> Result {
        self.put(attr, &v.to_ne_bytes())
    }
    /// Puts a `u64` attribute, preceded by an empty `pad` attribute where the architecture
    /// needs the value 8-byte aligned (`nla_put_u64_64bit()`).
    pub fn put_u64(&mut self, attr: u16, v: u64, pad: u16) -> Result {
        let v = v.to_ne_bytes();
        // SAFETY: By the type invariant `skb` is being built by us; `v` is 8 readable bytes.
        to_result(unsafe {
            bindings::nla_put_64bit(
                self.skb.as_ptr(),
                c_int::from(attr),
                8,
                v.as_ptr().cast(),
                c_int::from(pad),
            )
        })
    }
    /// Puts an IPv6 address attribute.
    pub fn put_in6_addr(&mut self, attr: u16, addr: &[u8; 16]) -> Result {
        self.put(attr, addr)
    }
    /// Puts a binary attribute (an address of either family, a key).
    pub fn put_binary(&mut self, attr: u16, data: &[u8]) -> Result {
        self.put(attr, data)
    }
    /// Puts a NUL-terminated string attribute.
    pub fn put_string(&mut self, attr: u16, s: &CStr) -> Result {
        self.put(attr, s.to_bytes_with_nul())
    }
    /// Puts a flag attribute.
    pub fn put_flag(&mut self, attr: u16) -> Result {
        self.put(attr, &[])
    }

    /// Puts a nested attribute whose contents `f` writes; if `f` fails, the nest is removed
    /// again and the error returned.
    pub fn nest(&mut self, attr: u16, f: impl FnOnce(&mut Writer<'_>) -> Result) -> Result {
        let skb = self.skb.as_ptr();
        // SAFETY: By the type invariant `skb` is being built by us.
        let start = unsafe { bindings::nla_nest_start(skb, c_int::from(attr)) };
        if start.is_null() {
            return Err(EMSGSIZE);
        }
        let mut inner = Writer {
            skb: self.skb,
            _p: PhantomData,
        };
        let r = f(&mut inner).and_then(|()| {
            // SAFETY: `start` is the nest header put above, in this skb.  The `_safe` variant
            // refuses a nest longer than `nla_len` can say (EMSGSIZE) instead of wrapping.
            to_result(unsafe { bindings::nla_nest_end_safe(skb, start) })
        });
        if r.is_err() {
            // SAFETY: `start` is in this skb; trimming it removes the nest and what follows.
            unsafe { bindings::nla_nest_cancel(skb, start) };
        }
        r
    }
}

impl GenlMsg {
    /// A writer for the message's attributes.
    pub fn writer(&mut self) -> Writer<'_> {
        Writer {
            skb: self.skb.skb,
            _p: PhantomData,
        }
    }

    /// Sends the message as the reply to `request` (`genlmsg_reply()`).
    pub fn reply(self, request: &Request<'_>) -> Result {
        let me = core::mem::ManuallyDrop::new(self);
        // SAFETY: The header is in the skb; `genlmsg_reply` takes ownership of the skb whatever
        // it returns, so neither `me.skb` nor `me` is dropped.
        unsafe {
            bindings::genlmsg_end(me.skb.skb.as_ptr(), me.hdr.as_ptr());
            to_result(bindings::genlmsg_reply(
                me.skb.skb.as_ptr(),
                request.info.as_ptr(),
            ))
        }
    }

    /// Sends the message to the listeners of `family`'s multicast group `group` (its index in
    /// the family's groups) in namespace `net` only.  No listener is not an error; a group the
    /// family does not have is `EINVAL`, and so is a family that is not registered.
    ///
    /// As for C families, a notification racing with the [`Registration`]'s drop may go to
    /// group ids the core has just given back: stop what sends (timers, work) before the
    /// registration drops.
    pub fn multicast_netns<T: Operations>(
        self,
        family: &'static OpsFamily<T>,
        net: &Namespace,
        group: u32,
        flags: alloc::Flags,
    ) -> Result {
        let raw = family.as_raw();
        // SAFETY: The family is a `static`; `n_mcgrps` never changes.
        let groups = u32::from(unsafe { (*raw).n_mcgrps });
        // `mcgrp_offset` is only the family's own while it is registered.
        if group >= groups || family.registered.load(ordering::Acquire) == 0 {
            return Err(EINVAL);
        }
        let me = core::mem::ManuallyDrop::new(self);
        // SAFETY: The header is in the skb; the multicast takes ownership of the skb whatever it
        // returns; `net` is live; `group` is one of the registered family's groups.
        let r = unsafe {
            bindings::genlmsg_end(me.skb.skb.as_ptr(), me.hdr.as_ptr());
            bindings::genlmsg_multicast_netns(
                raw,
                net.as_raw(),
                me.skb.skb.as_ptr(),
                0,
                group,
                flags.as_raw(),
            )
        };
        match r {
            r if r == -(bindings::ESRCH as c_int) => Ok(()),
            r => to_result(r),
        }
    }

    /// A notification of command `cmd` for `family`'s multicast groups, of at most `size`
    /// bytes of attributes, allocated with `flags` (`GFP_ATOMIC` from a packet path or a
    /// timer).
    pub fn notification<T: Operations>(
        family: &'static OpsFamily<T>,
        cmd: u8,
        size: usize,
        flags: alloc::Flags,
    ) -> Result<GenlMsg> {
        Ok(NetlinkSkBuff::new(size, flags)?.genlmsg_put_with(0, 0, family.as_raw(), 0, cmd)?)
    }
}

// ---------------------------------------------------------------------------------------------
// Per-namespace counters.

/// Per-namespace state whose counters a family serves with one op, `stats-get` (command
/// [`StatsOps::CMD`]): a `do` without request attributes, open to every caller, replied to with
/// [`Counters::put`]'s attributes from the requester's namespace.
///
/// A module declares the family and names it here:
///
/// ```ignore
/// static FAMILY: OpsFamily<StatsOps<Stats>> =
///     OpsFamily::new(this_module, b"rv6-ct-ftp\0", 1, &StatsOps::<Stats>::OPS, &[]);
///
/// impl Counters for Stats {
///     const FAMILY: &'static OpsFamily<StatsOps<Self>> = &FAMILY;
///     fn put(&self, w: &mut Writer<'_>) -> Result { ... }
/// }
///
/// let family = genl::Registration::<StatsOps<Stats>>::new(Arc::new(
///     namespace::Registration::new(())?, GFP_KERNEL)?)?;
/// ```
pub trait Counters: NetState {
    /// The family serving the counters.
    const FAMILY: &'static OpsFamily<StatsOps<Self>>;

    /// Bytes of attributes [`Counters::put`] writes at most.
    const SIZE: usize = super::GENLMSG_DEFAULT_SIZE;

    /// Writes every counter.
    fn put(&self, w: &mut Writer<'_>) -> Result;
}

/// The operations of a [`Counters`] family.
pub struct StatsOps<S>(PhantomData<fn() -> S>);

impl<S: Counters> StatsOps<S> {
    /// The command of `stats-get`.
    pub const CMD: u8 = 1;
    /// The family's op table.
    pub const OPS: [SplitOp<Self>; 1] = [SplitOp::doit_without_attributes(Self::CMD, perm::NONE)];
}

impl<S: Counters> Operations for StatsOps<S> {
    type Data = namespace::Registration<S>;
    type DumpState = ();
    const FAMILY: &'static OpsFamily<Self> = S::FAMILY;

    fn doit(nets: &Self::Data, req: &Request<'_>) -> Result {
        let counters = nets.state(req.net()).ok_or(ENODEV)?;
        let mut msg = req.reply(S::SIZE, Self::CMD)?;
        counters.put(&mut msg.writer())?;
        msg.reply(req)
    }
}

// ---------------------------------------------------------------------------------------------
// Dumps.

/// One round of a dump: the buffer the reader's next `recvmsg()` returns.
///
/// # Invariants
///
/// `skb` is the round's buffer and `cb` the dump's callback, both valid for `'a`.
pub struct Dump<'a> {
    skb: NonNull<bindings::sk_buff>,
    cb: NonNull<bindings::netlink_callback>,
    entries: usize,
    _p: PhantomData<&'a mut bindings::netlink_callback>,
}

impl<'a> Dump<'a> {
    /// The network namespace of the dumping socket.
    pub fn net(&self) -> &'a Namespace {
        // SAFETY: By the type invariant `cb` is valid; genl set up its info at the dump's start,
        // with the namespace of the requesting socket, which holds it while the dump lasts.
        unsafe {
            Namespace::from_raw(bindings::genl_info_net(bindings::genl_info_dump(
                self.cb.as_ptr(),
            )))
        }
    }

    /// Sets the generation of the dumped table: if it differs from the previous round's, the
    /// reader sees `NLM_F_DUMP_INTR` on this round's entries (the dump may have missed or
    /// repeated some, and should be retried).
    pub fn set_generation(&mut self, generation: u32) {
        // SAFETY: By the type invariant `cb` is valid; the core reads `seq` after each round.
        unsafe { (*self.cb.as_ptr()).seq = generation };
    }

    /// Adds one entry (a message of command `cmd`) that `f` fills.  Returns `false`, and adds
    /// nothing, when the entry does not fit in this round's buffer: the dump should return
    /// [`DumpProgress::More`] and retry the entry in the next round.
    pub fn entry(&mut self, cmd: u8, f: impl FnOnce(&mut Writer<'_>) -> Result) -> Result<bool> {
        let skb = self.skb.as_ptr();
        let cb = self.cb.as_ptr();
        // SAFETY: By the type invariant `cb` is valid; `genl_info_dump` is the dump's request,
        // whose family is the static family (possibly unregistered by now).
        let (portid, seq, family) = unsafe {
            let info = bindings::genl_info_dump(cb);
            ((*info).snd_portid, (*(*cb).nlh).nlmsg_seq, (*info).family)
        };
        // SAFETY: `skb` is the round's buffer; `family` is the static family, of which
        // `genlmsg_put()` only reads `id`, `hdrsize` and `version`, unchanged by unregistration.
        let hdr = unsafe {
            bindings::genlmsg_put(
                skb,
                portid,
                seq,
                family,
                bindings::NLM_F_MULTI as c_int,
                cmd,
            )
        };
        if hdr.is_null() {
            return self.full();
        }
        let mut w = Writer {
            skb: self.skb,
            _p: PhantomData,
        };
        match f(&mut w) {
            Ok(()) => {
                // SAFETY: `hdr` is the header of the entry just filled in `skb`; an entry that
                // is sent carries NLM_F_DUMP_INTR if the generation changed (one that is
                // cancelled would take the flag with it).
                unsafe {
                    bindings::genl_dump_check_consistent(cb, hdr);
                    bindings::genlmsg_end(skb, hdr);
                }
                self.entries += 1;
                Ok(true)
            }
            Err(e) => {
                // SAFETY: `hdr` is in `skb`; cancelling trims the partial entry.
                unsafe { bindings::genlmsg_cancel(skb, hdr) };
                if e == EMSGSIZE {
                    self.full()
                } else {
                    Err(e)
                }
            }
        }
    }

    fn full(&self) -> Result<bool> {
        // An entry that does not fit even in an empty buffer would never be sent.
        if self.entries == 0 {
            return Err(EMSGSIZE);
        }
        Ok(false)
    }
}

/// What a dump keeps in `cb->ctx`: its own reference to the data (later rounds run after an
/// unregistration may have returned) and its state.
struct DumpCtx<T: Operations> {
    data: Arc<T::Data>,
    state: T::DumpState,
}

// The dump's context pointer is the first word of `cb->ctx`.
const _: () = assert!(
    core::mem::size_of::<bindings::netlink_callback__bindgen_ty_1>()
        >= core::mem::size_of::<usize>()
);

/// # Safety
///
/// `cb` must point to a live `struct netlink_callback`.
unsafe fn ctx_slot(cb: *mut bindings::netlink_callback) -> *mut usize {
    // SAFETY: `ctx` is 48 bytes, aligned for `long`; the first word holds our pointer.
    unsafe { (&raw mut (*cb).__bindgen_anon_1.ctx).cast::<usize>() }
}

fn errno(e: Error) -> c_int {
    e.to_errno()
}

/// `genl_split_ops.doit`: serves a `do` request with [`Operations::doit`].
///
/// # Safety
///
/// `info` must be the info of a request to a `do` op of `T::FAMILY` whose `maxattr` is `N - 1`,
/// valid for the call (its `attrs`, if not null, parsed against that op's policy), and the call
/// must run under `cb_lock` held for reading, as the generic netlink core passes it to the
/// `doit` of an op that [`SplitOp::doit`] built.
unsafe extern "C" fn doit_callback<T: Operations, const N: usize>(
    _skb: *mut bindings::sk_buff,
    info: *mut bindings::genl_info,
) -> c_int {
    // SAFETY: The core passes the request's info, valid for the call, parsed with this op's
    // policy of `N` entries.
    let Some(request) = (unsafe { Request::from_raw(info, (N - 1) as u16) }) else {
        return errno(EINVAL);
    };
    // SAFETY: This is a `do` of `T::FAMILY` (only `T`'s family has `T`'s ops), running for the
    // duration of this call.
    let Some(data) = (unsafe { data::<T>() }) else {
        return errno(ENODEV);
    };
    match T::doit(&data, &request) {
        Ok(()) => 0,
        Err(e) => errno(e),
    }
}

/// `genl_split_ops.start`: starts a dump with [`Operations::dump_start`] and keeps its context
/// in `cb->ctx`.
///
/// # Safety
///
/// `cb` must be the callback of a new dump of a dump op of `T::FAMILY` whose `maxattr` is
/// `N - 1`, with its `ctx` zeroed and its `data` the dump's `genl_dumpit_info` (whose request
/// was parsed against that op's policy), valid for the dump, and the call must run under
/// `cb_lock` held for reading, as the generic netlink core passes it to the `start` of an op
/// that [`SplitOp::dumpit`] built.
unsafe extern "C" fn dump_start_callback<T: Operations, const N: usize>(
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // SAFETY: The core passes a valid callback whose `data` genl has set up.
    let info = unsafe { bindings::genl_info_dump(cb) }.cast_mut();
    // SAFETY: `info` is the dump request's info, valid for the dump, parsed with this op's
    // policy of `N` entries.
    let Some(request) = (unsafe { Request::from_raw(info, (N - 1) as u16) }) else {
        return errno(EINVAL);
    };
    // SAFETY: This is a dump's start of `T::FAMILY`, which runs under `cb_lock` like a `do`.
    let Some(data) = (unsafe { data::<T>() }) else {
        return errno(ENODEV);
    };
    let state = match T::dump_start(&data, &request) {
        Ok(s) => s,
        Err(e) => return errno(e),
    };
    let ctx = match KBox::new(
        DumpCtx::<T> {
            data: data.into(),
            state,
        },
        GFP_KERNEL,
    ) {
        Ok(c) => c,
        Err(_) => return errno(ENOMEM),
    };
    // SAFETY: `cb` is valid; its ctx is ours (genl uses `cb->data`) and was zeroed at start.
    unsafe { *ctx_slot(cb) = KBox::into_raw(ctx) as usize };
    0
}

/// `genl_split_ops.dumpit`: fills one round of a dump with [`Operations::dumpit`].
///
/// # Safety
///
/// `cb` must be the callback of a dump of a dump op of `T::FAMILY`, valid for the call, whose
/// `ctx` is still zeroed or was set by `dump_start_callback::<T, _>` and not yet taken by
/// `dump_done_callback::<T>`, with no other round of it running, and `skb` the round's buffer,
/// as the netlink core passes them to the `dumpit` of an op that [`SplitOp::dumpit`] built.
unsafe extern "C" fn dumpit_callback<T: Operations>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // SAFETY: `cb` is valid; `start` stored the context (or nothing, if it never ran).
    let raw = unsafe { *ctx_slot(cb) } as *mut DumpCtx<T>;
    if raw.is_null() {
        return errno(EINVAL);
    }
    // SAFETY: `raw` came from `KBox::into_raw` in start.  Rounds of one dump never overlap
    // (`netlink_dump()` holds the socket's `nl_cb_mutex`); `done` runs either after the final
    // round under that mutex, or from `netlink_release()`, when no `recvmsg()` on the socket
    // can be running.
    let ctx = unsafe { &mut *raw };
    let (Some(skb_nn), Some(cb_nn)) = (NonNull::new(skb), NonNull::new(cb)) else {
        return errno(EINVAL);
    };
    let mut dump = Dump {
        skb: skb_nn,
        cb: cb_nn,
        entries: 0,
        _p: PhantomData,
    };
    match T::dumpit(&ctx.data, &mut ctx.state, &mut dump) {
        // A round that says more is to come but added nothing would end the dump (the core
        // reads a zero length as the end): that is a bug in the callbacks, not a full buffer.
        Ok(DumpProgress::More) if dump.entries == 0 => errno(EINVAL),
        // SAFETY: `skb` is the round's buffer.
        Ok(DumpProgress::More) => unsafe { (*skb).len as c_int },
        Ok(DumpProgress::Done) => 0,
        Err(e) => errno(e),
    }
}

/// `genl_split_ops.done`: drops the dump's context.
///
/// # Safety
///
/// `cb` must be the callback of a dump of a dump op of `T::FAMILY`, valid for the call, whose
/// `ctx` is still zeroed or was set by `dump_start_callback::<T, _>`, with no round of it
/// running or to come, as the netlink core passes it to the `done` of an op that
/// [`SplitOp::dumpit`] built.
unsafe extern "C" fn dump_done_callback<T: Operations>(
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // SAFETY: `cb` is valid.
    let slot = unsafe { ctx_slot(cb) };
    // SAFETY: As above.
    let raw = unsafe { core::ptr::replace(slot, 0) } as *mut DumpCtx<T>;
    if !raw.is_null() {
        // SAFETY: `raw` came from `KBox::into_raw` in start and no round runs any more.
        drop(unsafe { KBox::from_raw(raw) });
    }
    0
}

#[macros::kunit_tests(rust_kernel_net_netlink_genl)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn extack_text_cuts_at_a_character_and_keeps_room_for_the_nul() {
        let mut t = ExtackText::new();
        let why = "gone";
        assert!(write!(t, "policy {}: {why}", 42).is_ok());
        assert_eq!(t.as_str(), "policy 42: gone");
        let mut long = ExtackText::new();
        // 2-byte characters: 39 fit with the NUL in 80 bytes, the 40th does not.
        let mut fitted = 0;
        while long.write_str("é").is_ok() {
            fitted += 1;
        }
        assert_eq!(fitted, 39);
        assert_eq!(long.as_str().len(), 78);
        assert_eq!(long.bytes_with_nul().last(), Some(&0));
    }

    static NESTED: Policy<3> = Policy::new()
        .with(1, AttrPolicy::u32())
        .with(2, AttrPolicy::in6_addr());
    static POLICY: Policy<6> = Policy::new()
        .with(1, AttrPolicy::u8_range(1, 5))
        .with(2, AttrPolicy::nul_string(15))
        .with(3, AttrPolicy::flag())
        .with(4, AttrPolicy::nested(&NESTED))
        .with(5, AttrPolicy::u64());

    #[test]
    fn policies_have_the_c_macros_values() {
        let p = POLICY.entry(1).0;
        assert_eq!(u32::from(p.type_), bindings::NLA_U8);
        assert_eq!(
            u32::from(p.validation_type),
            bindings::nla_policy_validation_NLA_VALIDATE_RANGE
        );
        // SAFETY: A range policy's union holds `min`/`max`.
        let (min, max) = unsafe {
            (
                p.__bindgen_anon_1.__bindgen_anon_1.min,
                p.__bindgen_anon_1.__bindgen_anon_1.max,
            )
        };
        assert_eq!((min, max), (1, 5));
        assert_eq!(POLICY.entry(2).0.len, 15);
        let n = POLICY.entry(4).0;
        assert_eq!(u32::from(n.type_), bindings::NLA_NESTED);
        // NLA_POLICY_NESTED() sets `len` to the nested policy's maxattr.
        assert_eq!(n.len, 2);
        // SAFETY: A nested policy's union holds the nested table.
        assert!(unsafe { n.__bindgen_anon_1.nested_policy } == NESTED.0.as_ptr().cast());
        let a = NESTED.entry(2).0;
        assert_eq!(u32::from(a.type_), bindings::NLA_BINARY);
        assert_eq!(a.len, 0);
        assert_eq!(POLICY.entry(0).kind(), 0);
        assert_eq!(POLICY.maxattr(), 5);
    }

    #[test]
    fn attributes_read_only_what_their_length_holds() {
        #[repr(C, align(4))]
        struct Raw([u8; 8]);
        fn attr(raw: &Raw) -> Attr<'_> {
            // SAFETY: `raw` is a complete, aligned attribute that outlives the `Attr`.
            unsafe { Attr::from_raw(NonNull::from(raw).cast()) }
        }
        // An attribute: native-order `nla_len` and `nla_type`, then four payload bytes.
        let cat = |len: u16, kind: u16, p: [u8; 4]| {
            let (l, k) = (len.to_ne_bytes(), kind.to_ne_bytes());
            Raw([l[0], l[1], k[0], k[1], p[0], p[1], p[2], p[3]])
        };
        // nla_len 8: a u32 payload; nla_len 5: one byte; nla_len 3: shorter than a header.
        let u32_attr = cat(8, 1, 0x1234_5678u32.to_ne_bytes());
        let u8_attr = cat(5, 2, [7, 0xff, 0xff, 0xff]);
        let short = cat(3, 3, [0; 4]);
        let (a, b, c) = (attr(&u32_attr), attr(&u8_attr), attr(&short));
        assert_eq!(a.kind(), 1);
        assert_eq!(a.u32(), Ok(0x1234_5678));
        assert_eq!(a.u8(), Err(EINVAL));
        assert_eq!(b.u8(), Ok(7));
        assert_eq!(b.u32(), Err(EINVAL));
        // A length below the header's is an empty payload, never a read before it.
        assert_eq!(c.data().len(), 0);
    }

    #[test]
    fn nested_attributes_iterate_within_their_nest() -> Result {
        #[repr(C, align(4))]
        struct Raw([u8; 32]);
        let hdr = |len: u16, kind: u16| {
            let (l, k) = (len.to_ne_bytes(), kind.to_ne_bytes());
            [l[0], l[1], k[0], k[1]]
        };
        let mut raw = Raw([0; 32]);
        // A nest of 28 bytes (type 1 | NLA_F_NESTED) holding a u32 (type 2), a 1-byte u8
        // padded to 4 (type 3) and a u32 (type 2) again; then a header after the nest.
        raw.0[0..4].copy_from_slice(&hdr(28, 1 | bindings::NLA_F_NESTED as u16));
        raw.0[4..8].copy_from_slice(&hdr(8, 2));
        raw.0[8..12].copy_from_slice(&7u32.to_ne_bytes());
        raw.0[12..16].copy_from_slice(&hdr(5, 3));
        raw.0[16] = 9;
        raw.0[20..24].copy_from_slice(&hdr(8, 2));
        raw.0[24..28].copy_from_slice(&8u32.to_ne_bytes());
        raw.0[28..32].copy_from_slice(&hdr(8, 4));
        // SAFETY: `raw` starts with a complete, aligned attribute that outlives the `Attr`.
        let nest = unsafe { Attr::from_raw(NonNull::from(&raw).cast()) };
        assert_eq!(nest.kind(), 1);
        let mut kinds = KVec::new();
        for a in nest.nested() {
            kinds.push(a.kind(), GFP_KERNEL)?;
        }
        // The attribute after the nest is not part of it.
        assert_eq!(&kinds[..], &[2, 3, 2]);
        assert_eq!(nest.nested().find(3).map(|a| a.u8()), Some(Ok(9)));
        let u32s: u32 = nest
            .nested()
            .filter(|a| a.kind() == 2)
            .map(|a| a.u32().unwrap_or(0))
            .sum();
        assert_eq!(u32s, 15);
        assert!(nest.nested().find(4).is_none());
        // A nested attribute claiming more than the nest holds ends the iteration.
        raw.0[20..24].copy_from_slice(&hdr(12, 2));
        // SAFETY: As above.
        let nest = unsafe { Attr::from_raw(NonNull::from(&raw).cast()) };
        assert_eq!(nest.nested().count(), 2);
        Ok(())
    }

    #[test]
    fn writers_refuse_oversized_attributes_and_cancel_failed_nests() -> Result {
        let skb = NetlinkSkBuff::new(1024, GFP_KERNEL)?;
        let mut w = Writer {
            skb: skb.skb,
            _p: PhantomData,
        };
        // SAFETY: `skb` is owned by this test and outlives the writer.
        let len = |w: &Writer<'_>| unsafe { (*w.skb.as_ptr()).len };
        let big = KVec::from_elem(0u8, 65532, GFP_KERNEL)?;
        assert_eq!(w.put(1, &big), Err(EMSGSIZE));
        w.put_u32(1, 7)?;
        let before = len(&w);
        assert_eq!(
            w.nest(2, |n| {
                n.put_u32(1, 1)?;
                Err(EINVAL)
            }),
            Err(EINVAL)
        );
        assert_eq!(len(&w), before);
        w.nest(2, |n| n.put_u64(3, 9, 4))?;
        assert!(len(&w) > before);
        Ok(())
    }
}
