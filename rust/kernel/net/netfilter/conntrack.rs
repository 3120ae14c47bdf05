// SPDX-License-Identifier: GPL-2.0

//! Connection tracking helpers and expectations.
//!
//! A helper watches the packets of the connections it is attached to (by an nft `ct helper`
//! object or the iptables `CT --helper` target) and, when a message announces another
//! connection (an FTP data connection, a DHCPv6 reply from an address conntrack cannot guess),
//! creates an *expectation*: the announced connection is then `related` to its master.
//!
//! A module implements [`Helper`] and keeps a [`Registration`] alive.  The registration
//! registers one `nf_conntrack_helper` per family, gives each connection its own lazily
//! allocated [`Helper::Conn`] state (freed when the connection dies, or at unregistration for
//! the connections that outlive the module), and serialises all access to that state.
//!
//! Conntrack registers a copy of each helper, and the connections it is attached to keep
//! that copy after unregistration; unregistering stops both `help` and `destroy` (the latter
//! since a core fix, `kernel/patches/0010`), so the registration itself keeps the list of
//! the states it allocated, to free those whose connections outlive it.
//!
//! C headers: [`include/net/netfilter/nf_conntrack_helper.h`](srctree/include/net/netfilter/nf_conntrack_helper.h),
//! [`include/net/netfilter/nf_conntrack_expect.h`](srctree/include/net/netfilter/nf_conntrack_expect.h)

use crate::{
    bindings,
    error::{
        Error,
        Result, //
    },
    net::{
        namespace::Namespace,
        netfilter::Family,
        skbuff::SkBuff, //
    },
    new_spinlock,
    prelude::*,
    sync::{
        atomic::{
            ordering,
            Atomic, //
        },
        lock::{
            spinlock::SpinLockBackend,
            Guard, //
        },
        SpinLock, //
    },
    ThisModule, //
};
use core::{
    ffi::{
        c_int,
        c_uint, //
    },
    marker::PhantomData,
    net::{
        IpAddr,
        Ipv4Addr,
        Ipv6Addr, //
    },
    ptr::{
        null_mut,
        NonNull, //
    }, //
};

use super::Verdict;

/// The transport protocol a helper watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Protocol {
    /// TCP.
    Tcp = bindings::IPPROTO_TCP as u8,
    /// UDP.
    Udp = bindings::IPPROTO_UDP as u8,
}

/// Limits on a helper's expectations (`struct nf_conntrack_expect_policy`).
#[derive(Clone, Copy, Debug)]
pub struct ExpectPolicy {
    /// Most expectations one connection may have pending; a new one evicts the oldest.
    pub max_expected: u32,
    /// Seconds an expectation waits for its connection.
    pub timeout_secs: u32,
}

/// Which way a packet travels on its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the side that opened the connection.
    Original,
    /// Towards it.
    Reply,
}

impl Direction {
    /// The other direction.
    pub fn other(self) -> Self {
        match self {
            Direction::Original => Direction::Reply,
            Direction::Reply => Direction::Original,
        }
    }

    /// `IP_CT_DIR_ORIGINAL` (0) or `IP_CT_DIR_REPLY` (1), to index per-direction state.
    pub fn index(self) -> usize {
        match self {
            Direction::Original => bindings::ip_conntrack_dir_IP_CT_DIR_ORIGINAL as usize,
            Direction::Reply => bindings::ip_conntrack_dir_IP_CT_DIR_REPLY as usize,
        }
    }
}

/// What conntrack knows about a connection when the packet passed (`enum ip_conntrack_info`,
/// without the direction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The first packet of a new connection (only ever in the original direction).
    New,
    /// Packets have been seen both ways.
    Established,
    /// The connection was expected by a helper.
    Related,
}

/// One direction of a connection: who sends to whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuple {
    /// Sender address.
    pub src: IpAddr,
    /// Sender port.
    pub sport: u16,
    /// Receiver address.
    pub dst: IpAddr,
    /// Receiver port.
    pub dport: u16,
}

/// A connection to expect, for [`Packet::expect`]: from `src` (any address inside the prefix,
/// or any address at all) and `sport` (or any port), to `dst` port `dport`, over the helper's
/// protocol and the master connection's family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The source prefix (address and length), `None` for any address.
    pub src: Option<(IpAddr, u8)>,
    /// The source port, `None` for any port.
    pub sport: Option<u16>,
    /// The destination address.
    pub dst: IpAddr,
    /// The destination port.
    pub dport: u16,
    /// Serve every matching connection until the timeout, rather than only the first
    /// (`NF_CT_EXPECT_PERMANENT`): for answers to multicast, which several peers may send.
    pub permanent: bool,
}

impl Expect {
    /// The prefix that is exactly `addr`, for [`Expect::src`].
    pub fn host(addr: IpAddr) -> (IpAddr, u8) {
        match addr {
            IpAddr::V4(_) => (addr, 32),
            IpAddr::V6(_) => (addr, 128),
        }
    }
}

/// A connection tracking helper.
pub trait Helper: Sized + 'static {
    /// The name nft and iptables attach the helper by (`ct helper ... type "NAME"`), at most
    /// 15 bytes.
    const NAME: &'static CStr;
    /// The transport protocol.
    const PROTOCOL: Protocol;
    /// The families the helper is registered for, one `nf_conntrack_helper` each.
    const FAMILIES: &'static [Family];
    /// Limits on expectations.
    const POLICY: ExpectPolicy;
    /// The module's slot; a `static HelperSlot`.
    const SLOT: &'static HelperSlot;

    /// State kept per connection, created with `Default` by the first [`Packet::conn`].
    type Conn: Default + Send;

    /// Called for the packets of the connections the helper is attached to, in softirq or
    /// process context with RCU read-locked: must not sleep.  Conntrack's confirm hook calls
    /// it for every packet but ICMP errors about the connection; openvswitch and `act_ct`
    /// (`nf_ct_helper()`) skip packets they have already tracked.
    fn help(pkt: &mut Packet<'_, Self>) -> Verdict;
}

/// Where a helper's lock lives while it is registered.
///
/// Declare one `static` per [`Helper`] and name it in [`Helper::SLOT`]; a slot serves one
/// registration at a time.
///
/// # Invariants
///
/// `lock` is null or points at the pinned lock of the live registration that stored it.
pub struct HelperSlot {
    lock: Atomic<usize>,
}

impl HelperSlot {
    /// An empty slot, for a `static`.
    pub const fn new() -> Self {
        Self {
            lock: Atomic::new(0),
        }
    }

    #[inline]
    fn lock(&self) -> Option<&SpinLock<States>> {
        let p = self.lock.load(ordering::Acquire) as *const SpinLock<States>;
        // SAFETY: By the type invariant a non-null pointer is the live registration's lock;
        // callbacks that read it run only while the registration exists.
        (!p.is_null()).then(|| unsafe { &*p })
    }
}

impl Default for HelperSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// The links of a connection's state in its registration's [`States`].
#[repr(C)]
struct Links {
    prev: *mut Links,
    next: *mut Links,
}

/// A connection's state and its links; `links` comes first, so a pointer to a node is a
/// pointer to its links.
#[repr(C)]
struct Node<C> {
    links: Links,
    conn: C,
}

/// The states a registration allocated whose connections conntrack has not destroyed yet:
/// a doubly linked list of `KBox<Node<T::Conn>>`, in no order.
///
/// # Invariants
///
/// `head` is null or the first of a well-linked list of nodes leaked from `KBox`es of
/// the registration's `Node<T::Conn>`, each also stored in its connection's state slot.
struct States {
    head: *mut Links,
}

// SAFETY: The list owns its nodes, whose states are `Send`; it is only used under its lock.
unsafe impl Send for States {}

impl States {
    /// Puts `node` at the head of the list.
    ///
    /// # Safety
    ///
    /// `node` must be a node of the registration's type, leaked from a `KBox`, in no list.
    unsafe fn push(&mut self, node: *mut Links) {
        // SAFETY: The caller's promise; `self.head` is null or a live node (type invariant).
        unsafe {
            (*node).prev = null_mut();
            (*node).next = self.head;
            if !self.head.is_null() {
                (*self.head).prev = node;
            }
        }
        self.head = node;
    }

    /// Takes `node` out of the list.
    ///
    /// # Safety
    ///
    /// `node` must be in this list.
    unsafe fn unlink(&mut self, node: *mut Links) {
        // SAFETY: The caller's promise; a node's neighbours are live nodes of the same list.
        unsafe {
            let (prev, next) = ((*node).prev, (*node).next);
            if prev.is_null() {
                self.head = next;
            } else {
                (*prev).next = next;
            }
            if !next.is_null() {
                (*next).prev = prev;
            }
        }
    }

    /// Takes the first node out of the list, if there is one.
    fn pop(&mut self) -> Option<*mut Links> {
        let node = self.head;
        if node.is_null() {
            return None;
        }
        // SAFETY: `node` is the list's head.
        unsafe { self.unlink(node) };
        Some(node)
    }
}

/// Bottom halves disabled for as long as it lives (`local_bh_disable`).
struct NoBh;

impl NoBh {
    fn new() -> Self {
        // SAFETY: Always allowed outside hard interrupts; undone in `drop`.
        unsafe { bindings::local_bh_disable() };
        NoBh
    }
}

impl Drop for NoBh {
    fn drop(&mut self) {
        // SAFETY: Pairs with `local_bh_disable` in `new`.
        unsafe { bindings::local_bh_enable() };
    }
}

/// A packet on a connection with helper `T`, and what the helper may do about it.
///
/// # Invariants
///
/// `ct` is a live conntrack with `T`'s helper attached, held by the packet for `'a`.
pub struct Packet<'a, T: Helper> {
    skb: &'a SkBuff,
    protoff: usize,
    ct: NonNull<bindings::nf_conn>,
    info: c_uint,
    lock: &'a SpinLock<States>,
    // Field order matters: the lock is released before bottom halves are enabled again.
    guard: Option<Guard<'a, States, SpinLockBackend>>,
    _bh: Option<NoBh>,
    _helper: PhantomData<T>,
}

impl<'a, T: Helper> Packet<'a, T> {
    /// The packet.
    pub fn skb(&self) -> &'a SkBuff {
        self.skb
    }

    /// Offset of the transport header from `skb->data`, for [`SkBuff::bytes`].
    pub fn protoff(&self) -> usize {
        self.protoff
    }

    /// The direction the packet travels.
    pub fn direction(&self) -> Direction {
        if self.info >= bindings::ip_conntrack_info_IP_CT_IS_REPLY {
            Direction::Reply
        } else {
            Direction::Original
        }
    }

    /// The connection's state as the packet passed.
    pub fn state(&self) -> State {
        let info = if self.info >= bindings::ip_conntrack_info_IP_CT_IS_REPLY {
            self.info - bindings::ip_conntrack_info_IP_CT_IS_REPLY
        } else {
            self.info
        };
        match info {
            bindings::ip_conntrack_info_IP_CT_ESTABLISHED => State::Established,
            bindings::ip_conntrack_info_IP_CT_RELATED => State::Related,
            _ => State::New,
        }
    }

    fn raw_ct(&self) -> &bindings::nf_conn {
        // SAFETY: By the type invariant the conntrack is live for `'a`; helpers only read it.
        unsafe { self.ct.as_ref() }
    }

    /// The network namespace of the connection.
    pub fn net(&self) -> &'a Namespace {
        // SAFETY: The conntrack is live for `'a` (type invariant) and holds its namespace,
        // which outlives every connection in it.
        unsafe { Namespace::from_raw(bindings::nf_ct_net(self.ct.as_ptr())) }
    }

    /// Logs `nf_ct_NAME: dropping packet: MSG` with the packet through the namespace's
    /// netfilter logger (`nf_ct_helper_log`), as C helpers do before they drop a packet.
    /// Nothing is logged unless a logger is bound to the family (`nf_log_syslog` and
    /// `net.netfilter.nf_log.N`).
    pub fn log(&self, msg: &CStr) {
        // SAFETY: The skb and the conntrack are live for `'a`, and conntrack calls helpers with
        // RCU read-locked, as `nf_ct_helper_log` needs; the connection has our helper attached.
        // The format consumes exactly one argument, a NUL-terminated string.
        unsafe {
            bindings::nf_ct_helper_log(
                self.skb.as_raw(),
                self.ct.as_ptr(),
                c"%s".as_char_ptr(),
                msg.as_char_ptr(),
            )
        };
    }

    /// The connection's family.
    #[inline]
    pub fn family(&self) -> Family {
        let l3 = self.raw_ct().tuplehash[0].tuple.src.l3num;
        if u32::from(l3) == bindings::NFPROTO_IPV4 {
            Family::Ipv4
        } else {
            Family::Ipv6
        }
    }

    /// The addresses and ports of direction `dir` of the connection.
    #[inline]
    pub fn tuple(&self, dir: Direction) -> Tuple {
        let t = &self.raw_ct().tuplehash[dir.index()].tuple;
        let family = self.family();
        // SAFETY: Every variant of the port unions is a `__be16` at offset 0, so reading
        // `all` is valid whatever the protocol; the address unions are plain bytes.
        unsafe {
            Tuple {
                src: addr_from_raw(family, &t.src.u3),
                sport: u16::from_be(t.src.u.all),
                dst: addr_from_raw(family, &t.dst.u3),
                dport: u16::from_be(t.dst.u.all),
            }
        }
    }

    /// Whether the connection is in the conntrack table yet: only the first packet of a
    /// connection sees it unconfirmed.
    pub fn is_confirmed(&self) -> bool {
        // SAFETY: The conntrack is live (type invariant).
        unsafe { bindings::nf_ct_is_confirmed(self.ct.as_ptr()) }
    }

    /// This connection's helper state, created on first use.
    ///
    /// The state is shared by both directions and by every CPU; holding the `&mut` holds the
    /// helper's lock (with bottom halves disabled) until the packet is done.  Fails with
    /// `EAGAIN` on an unconfirmed connection, whose destruction no helper hears about, and on
    /// a dying one, whose state may already be freed (a packet that took its reference before
    /// the connection was killed still reaches the helper); and with `ENOMEM` when the state
    /// cannot be allocated.
    pub fn conn(&mut self) -> Result<&mut T::Conn> {
        if !self.is_confirmed() {
            return Err(EAGAIN);
        }
        if self.guard.is_none() {
            self._bh = Some(NoBh::new());
            self.guard = Some(self.lock.lock());
        }
        // `IPS_DYING` is set before `nf_ct_helper_destroy()` calls `destroy_callback`, which
        // takes the lock held here: a connection not dying now has its state freed after this
        // packet is done, and a state created for a dying one would never be.
        // SAFETY: The conntrack is live (type invariant).
        if unsafe { bindings::nf_ct_is_dying(self.ct.as_ptr()) } {
            return Err(EAGAIN);
        }
        // SAFETY: The conntrack has `T`'s helper attached, so its help extension exists and
        // its private area holds `T`'s state pointer (zeroed when the extension was added).
        let slot = unsafe { state_slot::<T>(self.ct.as_ptr()) };
        // SAFETY: `slot` is valid; the helper's lock, held above, serialises all access.
        let mut p = unsafe { *slot };
        if p.is_null() {
            let node = Node {
                links: Links {
                    prev: null_mut(),
                    next: null_mut(),
                },
                conn: T::Conn::default(),
            };
            p = KBox::into_raw(KBox::new(node, GFP_ATOMIC)?);
            if let Some(states) = self.guard.as_mut() {
                // SAFETY: `p` is a new node of `T`'s type, leaked from its box; it is freed by
                // `destroy_callback` (the connection is not dying yet, checked under the lock)
                // or at unregistration, whichever takes it off the list.
                unsafe { states.push(p.cast()) };
            }
            // SAFETY: As above.
            unsafe { *slot = p };
        }
        // SAFETY: `p` is the connection's live state; the lock (held as long as `self`, which
        // the returned borrow cannot outlive) makes this the only reference.
        Ok(unsafe { &mut (*p).conn })
    }

    /// Expects the connection `e` describes as related to this one.
    ///
    /// An identical expectation of this connection is replaced (its timer restarts); beyond
    /// [`ExpectPolicy::max_expected`] the oldest is evicted.  Fails with `EINVAL` when an
    /// address is not of the connection's family or a prefix is too long, `ENOMEM` when no
    /// expectation can be allocated, or conntrack's error (`EBUSY` for a clash with another
    /// connection's expectation, `EMFILE` at the namespace's limit).
    pub fn expect(&self, e: &Expect) -> Result {
        let family = self.family();
        let max_prefix = match family {
            Family::Ipv4 => 32,
            Family::Ipv6 => 128,
        };
        let dst = addr_to_raw(family, e.dst).ok_or(EINVAL)?;
        let src = match e.src {
            Some((a, len)) if len <= max_prefix => {
                Some((addr_to_raw(family, a).ok_or(EINVAL)?, len))
            }
            Some(_) => return Err(EINVAL),
            None => None,
        };
        let dport = e.dport.to_be();
        let sport = e.sport.map(u16::to_be);
        // SAFETY: The conntrack is live (type invariant).
        let exp = unsafe { bindings::nf_ct_expect_alloc(self.ct.as_ptr()) };
        let exp = NonNull::new(exp).ok_or(ENOMEM)?;
        // SAFETY: `exp` is a new expectation we hold a reference to; the address and port
        // pointers are valid for the call (conntrack copies them), null meaning "any".
        unsafe {
            bindings::nf_ct_expect_init(
                exp.as_ptr(),
                bindings::NF_CT_EXPECT_CLASS_DEFAULT,
                family as u8,
                src.as_ref().map_or(core::ptr::null(), |(a, _)| a),
                &dst,
                T::PROTOCOL as u8,
                sport.as_ref().map_or(core::ptr::null(), |p| p),
                &dport,
            )
        };
        if let Some((_, len)) = src {
            if len < max_prefix {
                // SAFETY: `exp` is ours until `nf_ct_expect_related` publishes it; the source
                // address and its mask are plain bytes.
                unsafe {
                    apply_prefix(
                        &mut (*exp.as_ptr()).mask.src.u3,
                        &mut (*exp.as_ptr()).tuple.src.u3,
                        len,
                    )
                };
            }
        }
        if e.permanent {
            // SAFETY: `exp` is ours until `nf_ct_expect_related` publishes it.
            unsafe { (*exp.as_ptr()).flags |= bindings::NF_CT_EXPECT_PERMANENT };
        }
        // SAFETY: `exp` is initialised; conntrack takes its own reference when inserting it.
        let ret = unsafe { bindings::nf_ct_expect_related(exp.as_ptr(), 0) };
        // SAFETY: Drops the reference `nf_ct_expect_alloc` gave us.
        unsafe { bindings::nf_ct_expect_put(exp.as_ptr()) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }
}

/// Reads a conntrack address of `family`.
#[inline]
fn addr_from_raw(family: Family, a: &bindings::nf_inet_addr) -> IpAddr {
    // SAFETY: `all` covers the whole union; any bit pattern is a valid `[u32; 4]`.
    let w = unsafe { a.all };
    // The words hold the address in network byte order, as bytes in memory.
    let b: [u8; 16] = words_as_bytes(w);
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(b)),
    }
}

/// The bytes of `w` as they lie in memory.
#[inline]
fn words_as_bytes(w: [u32; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&w[0].to_ne_bytes());
    b[4..8].copy_from_slice(&w[1].to_ne_bytes());
    b[8..12].copy_from_slice(&w[2].to_ne_bytes());
    b[12..].copy_from_slice(&w[3].to_ne_bytes());
    b
}

/// A conntrack address for `a`, or `None` if `a` is not of `family`.
fn addr_to_raw(family: Family, a: IpAddr) -> Option<bindings::nf_inet_addr> {
    let mut b = [0u8; 16];
    match (family, a) {
        (Family::Ipv4, IpAddr::V4(v4)) => b[..4].copy_from_slice(&v4.octets()),
        (Family::Ipv6, IpAddr::V6(v6)) => b = v6.octets(),
        _ => return None,
    }
    let mut w = [0u32; 4];
    for (word, chunk) in w.iter_mut().zip(b.chunks_exact(4)) {
        *word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Some(bindings::nf_inet_addr { all: w })
}

/// Narrows an expectation's source to the first `len` bits of its address.
fn apply_prefix(mask: &mut bindings::nf_inet_addr, addr: &mut bindings::nf_inet_addr, len: u8) {
    let mut m = [0u8; 16];
    for (i, byte) in m.iter_mut().enumerate() {
        let bits = (usize::from(len)).saturating_sub(i * 8).min(8);
        *byte = if bits == 0 { 0 } else { 0xffu8 << (8 - bits) };
    }
    // SAFETY: `all` covers both unions; any bit pattern is valid.
    let (mw, aw) = unsafe { (&mut mask.all, &mut addr.all) };
    for (i, chunk) in m.chunks_exact(4).enumerate() {
        mw[i] = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        aw[i] &= mw[i];
    }
}

/// Where `ct`'s pointer to its state lives: the helper's private area of the extension.
///
/// After unregistration the connections that outlive the registration keep a dangling
/// pointer there, which no helper reads: conntrack never attaches another helper to a
/// confirmed connection (and states only exist on confirmed ones).  The rest of the private
/// area must stay zero, as the extension was added: `destroy_gre_conntrack()` takes any
/// master helper with a `destroy` for PPTP and reads its GRE keymap pointers at bytes 16..32.
///
/// # Safety
///
/// `ct` must be live and have a helper extension owned by `T`'s helper.
unsafe fn state_slot<T: Helper>(ct: *mut bindings::nf_conn) -> *mut *mut Node<T::Conn> {
    const {
        assert!(core::mem::size_of::<*mut u8>() <= 32);
    }
    // SAFETY: The caller promises a live conntrack with a help extension.
    let help = unsafe { bindings::nfct_help(ct) };
    // SAFETY: As above, `help` is non-null; `data` is 32 bytes aligned to 8, ours to use.
    unsafe { core::ptr::addr_of_mut!((*help).data).cast() }
}

/// Registers `T` with connection tracking for each of [`Helper::FAMILIES`].
///
/// Dropping it unregisters the helper, removes its expectations and frees the state of every
/// connection that still has it.
///
/// # Invariants
///
/// `copies[..count]` are the registered copies of `T`'s helpers; `T::SLOT` points at
/// `inner.lock`, whose list holds the states of `T`'s connections.
pub struct Registration<T: Helper> {
    /// Owns the lock `T::SLOT` points at; only the callbacks use it.
    _inner: Pin<KBox<Inner>>,
    copies: [*mut bindings::nf_conntrack_helper; 2],
    count: usize,
    _helper: PhantomData<T>,
}

#[pin_data]
struct Inner {
    #[pin]
    lock: SpinLock<States>,
}

impl Inner {
    /// Allocates the lock of a registration.
    ///
    /// Not generic and never inlined: `new_spinlock!` names the lock class after its call
    /// site, and a call site in generic code would be compiled into every module that
    /// instantiates it, giving one lockdep key several names (which lockdep warns about).
    #[inline(never)]
    fn new() -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(
            pin_init!(Inner {
                lock <- new_spinlock!(States { head: null_mut() }, "rv6_ct_helper")
            }),
            GFP_KERNEL,
        )
    }
}

// SAFETY: The raw pointers are only used at registration and in `drop`, which conntrack allows
// from any process context.
unsafe impl<T: Helper> Send for Registration<T> {}
// SAFETY: `&Registration` gives access to nothing.
unsafe impl<T: Helper> Sync for Registration<T> {}

impl<T: Helper> Registration<T> {
    /// Registers the helper; `module` is the owning module (`THIS_MODULE`), which conntrack
    /// pins while an nft or iptables rule refers to the helper.
    ///
    /// Fails with `EBUSY` if `T::SLOT` is in use or a helper of that name is already
    /// registered for the family, `EINVAL` for a bad name.
    pub fn new(module: &'static ThisModule) -> Result<Self> {
        const {
            assert!(!T::FAMILIES.is_empty() && T::FAMILIES.len() <= 2);
        };
        if T::NAME.count_bytes() >= bindings::NF_CT_HELPER_NAME_LEN as usize || T::NAME.is_empty() {
            return Err(EINVAL);
        }
        let inner = Inner::new()?;
        let lock: *const SpinLock<States> = &inner.lock;
        if T::SLOT
            .lock
            .cmpxchg(0, lock as usize, ordering::Full)
            .is_err()
        {
            return Err(EBUSY);
        }
        let mut reg = Self {
            _inner: inner,
            copies: [null_mut(); 2],
            count: 0,
            _helper: PhantomData,
        };
        let mut policy: bindings::nf_conntrack_expect_policy =
            // SAFETY: All-zero is a valid policy (the name is then empty).
            unsafe { core::mem::zeroed() };
        policy.max_expected = T::POLICY.max_expected;
        policy.timeout = T::POLICY.timeout_secs;
        for (d, s) in policy.name.iter_mut().zip(T::NAME.to_bytes()) {
            *d = *s as c_char;
        }
        for &family in T::FAMILIES {
            // SAFETY: All-zero is valid; `nf_ct_helper_init` fills it in.
            let mut tmpl: bindings::nf_conntrack_helper = unsafe { core::mem::zeroed() };
            // SAFETY: `tmpl` and `policy` are valid for the call, which copies what it needs;
            // the name is NUL-terminated and short enough (checked above); `module` is ours.
            unsafe {
                bindings::nf_ct_helper_init(
                    &mut tmpl,
                    family as u8,
                    T::PROTOCOL as u16,
                    T::NAME.as_char_ptr(),
                    &policy,
                    0,
                    Some(help_callback::<T>),
                    None,
                    module.as_ptr(),
                )
            };
            tmpl.destroy = Some(destroy_callback::<T>);
            let mut copy = null_mut();
            // SAFETY: `tmpl` is initialised; conntrack registers a copy and returns it.
            let ret = unsafe { bindings::nf_conntrack_helper_register(&mut tmpl, &mut copy) };
            if ret != 0 {
                // `reg`'s drop unregisters the families registered so far.
                return Err(Error::from_errno(ret));
            }
            reg.copies[reg.count] = copy;
            reg.count += 1;
        }
        Ok(reg)
    }
}

impl<T: Helper> Drop for Registration<T> {
    fn drop(&mut self) {
        for &copy in &self.copies[..self.count] {
            // SAFETY: `copy` is registered (type invariant). This removes the helper's
            // expectations and stops `help` and `destroy`, waiting for running calls.
            unsafe { bindings::nf_conntrack_helper_unregister(copy) };
        }
        // No callback runs any more: the states left are those of connections that outlive
        // the registration.
        let mut states = self._inner.lock.lock();
        while let Some(node) = states.pop() {
            // SAFETY: Every node in the list was leaked from a `KBox<Node<T::Conn>>` (type
            // invariant of `States`), and nothing else will follow its pointer.
            drop(unsafe { KBox::from_raw(node.cast::<Node<T::Conn>>()) });
        }
        drop(states);
        T::SLOT.lock.store(0, ordering::Release);
    }
}

/// Frees `ct`'s state, if it has any, under the helper's lock.
///
/// # Safety
///
/// `ct` must be live with a help extension owned by `T`'s helper, and `T` registered.
unsafe fn free_state<T: Helper>(ct: *mut bindings::nf_conn) {
    let Some(lock) = T::SLOT.lock() else { return };
    let p = {
        let _bh = NoBh::new();
        let mut states = lock.lock();
        // SAFETY: The caller's promise; the lock serialises access to the slot.
        let slot = unsafe { state_slot::<T>(ct) };
        // SAFETY: As above.
        let p = unsafe { core::mem::replace(&mut *slot, null_mut()) };
        if !p.is_null() {
            // SAFETY: A state in a slot is in the registration's list until taken out here or
            // at unregistration (after which this is never called).
            unsafe { states.unlink(p.cast()) };
        }
        p
    };
    if !p.is_null() {
        // SAFETY: `p` came from `KBox::into_raw` in `Packet::conn` and nothing refers to it
        // any more: the slot is cleared.
        drop(unsafe { KBox::from_raw(p) });
    }
}

/// `nf_conntrack_helper.help`: lends the packet to [`Helper::help`].
///
/// # Safety
///
/// `skb` must be a live packet owned by the caller for the call, with its transport header
/// `protoff` bytes after `skb->data`; `ct`, unless null, the live conntrack `skb` holds
/// (possibly unconfirmed or dying), whose attached helper is the copy whose `help` is this
/// function, i.e. the live [`Registration`]'s; and `info` the packet's state on it.  The call
/// runs inside an RCU read-side section that began before `nf_conntrack_helper_unregister()`
/// cleared `help`, in softirq or process context.  So call `nf_confirm()` and
/// `nf_ct_helper()` (openvswitch, `act_ct`), which never pass a null `ct`.
unsafe extern "C" fn help_callback<T: Helper>(
    skb: *mut bindings::sk_buff,
    protoff: c_uint,
    ct: *mut bindings::nf_conn,
    info: bindings::ip_conntrack_info,
) -> c_int {
    let (Some(ct), Some(lock)) = (NonNull::new(ct), T::SLOT.lock()) else {
        return bindings::NF_ACCEPT as c_int;
    };
    let mut pkt = Packet::<T> {
        // SAFETY: Conntrack lends the helper a live skb for the call.
        skb: unsafe { SkBuff::from_raw(skb) },
        protoff: protoff as usize,
        // INVARIANT: Conntrack calls `help` for connections with this helper attached, and
        // the packet holds the connection.
        ct,
        info,
        lock,
        guard: None,
        _bh: None,
        _helper: PhantomData,
    };
    T::help(&mut pkt).to_raw() as c_int
}

/// `nf_conntrack_helper.destroy`: frees the state [`Helper`] kept for a dying connection.
///
/// # Safety
///
/// `ct` must be a live conntrack with `IPS_DYING` set (possibly unconfirmed, then without a
/// state) whose help extension is owned by `T`'s helper, passed from an RCU read-side section
/// that saw the helper's `help` set, so that [`Registration`]'s drop has not passed its
/// `synchronize_rcu()`: as `nf_ct_helper_destroy()` calls `destroy` (kernel patch 0010), in
/// any context but hard interrupts.
unsafe extern "C" fn destroy_callback<T: Helper>(ct: *mut bindings::nf_conn) {
    // SAFETY: Conntrack calls `destroy` for a dying connection with this helper attached,
    // and only while the helper is registered (unregistration waits for running calls).
    unsafe { free_state::<T>(ct) };
}

#[kunit_tests(rust_kernel_net_netfilter_conntrack)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_through_the_c_union() -> Result {
        let v6: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 1, 2, 3, 4));
        let raw = addr_to_raw(Family::Ipv6, v6).ok_or(EINVAL)?;
        assert_eq!(addr_from_raw(Family::Ipv6, &raw), v6);
        let v4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let raw = addr_to_raw(Family::Ipv4, v4).ok_or(EINVAL)?;
        // SAFETY: Reading the plain-bytes union.
        assert_eq!(unsafe { raw.ip }, u32::from_ne_bytes([192, 0, 2, 1]));
        assert_eq!(addr_from_raw(Family::Ipv4, &raw), v4);
        assert!(addr_to_raw(Family::Ipv4, v6).is_none());
        assert!(addr_to_raw(Family::Ipv6, v4).is_none());
        Ok(())
    }

    #[test]
    fn prefixes_mask_the_address() -> Result {
        let mut mask = bindings::nf_inet_addr { all: [u32::MAX; 4] };
        let a = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 1, 2, 3, 4));
        let mut addr = addr_to_raw(Family::Ipv6, a).ok_or(EINVAL)?;
        apply_prefix(&mut mask, &mut addr, 10);
        let m = addr_from_raw(Family::Ipv6, &mask);
        assert_eq!(m, IpAddr::V6(Ipv6Addr::new(0xffc0, 0, 0, 0, 0, 0, 0, 0)));
        assert_eq!(
            addr_from_raw(Family::Ipv6, &addr),
            IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0))
        );
        let mut mask = bindings::nf_inet_addr { all: [u32::MAX; 4] };
        apply_prefix(&mut mask, &mut addr, 0);
        // SAFETY: Reading the plain-bytes union.
        assert_eq!(unsafe { mask.all }, [0; 4]);
        Ok(())
    }

    #[test]
    fn states_unlink_from_anywhere_and_pop_the_rest() -> Result {
        let mut states = States { head: null_mut() };
        let mut nodes = [null_mut::<Links>(); 4];
        for (i, n) in nodes.iter_mut().enumerate() {
            let node = Node {
                links: Links {
                    prev: null_mut(),
                    next: null_mut(),
                },
                conn: i as u64,
            };
            *n = KBox::into_raw(KBox::new(node, GFP_KERNEL)?).cast();
            // SAFETY: A new node leaked from its box, in no list.
            unsafe { states.push(*n) };
        }
        // The head, a middle node and the tail.
        let mut left = [true; 4];
        for i in [3, 1, 0] {
            // SAFETY: The node is in the list.
            unsafe { states.unlink(nodes[i]) };
            // SAFETY: The node, out of the list now, was leaked from a `KBox<Node<u64>>`.
            let conn = unsafe { KBox::from_raw(nodes[i].cast::<Node<u64>>()) }.conn;
            assert_eq!(conn, i as u64);
            left[i] = false;
        }
        while let Some(node) = states.pop() {
            // SAFETY: Every node in the list was leaked from a `KBox<Node<u64>>`.
            let conn = unsafe { KBox::from_raw(node.cast::<Node<u64>>()) }.conn;
            assert!(core::mem::replace(&mut left[conn as usize], false));
        }
        assert_eq!(left, [false; 4]);
        Ok(())
    }

    #[test]
    fn directions_and_states_follow_ctinfo() {
        assert_eq!(Direction::Original.other(), Direction::Reply);
        assert_eq!(Direction::Original.index(), 0);
        assert_eq!(Direction::Reply.index(), 1);
    }

    static PROBE_SLOT: HelperSlot = HelperSlot::new();

    struct Probe;

    impl Helper for Probe {
        const NAME: &'static CStr = c"rv6-kunit-probe";
        const PROTOCOL: Protocol = Protocol::Udp;
        const FAMILIES: &'static [Family] = &[Family::Ipv4, Family::Ipv6];
        const POLICY: ExpectPolicy = ExpectPolicy {
            max_expected: 1,
            timeout_secs: 1,
        };
        const SLOT: &'static HelperSlot = &PROBE_SLOT;
        type Conn = u64;

        fn help(_pkt: &mut Packet<'_, Self>) -> Verdict {
            Verdict::Accept
        }
    }

    #[test]
    fn registration_is_exclusive_and_undone_by_drop() -> Result {
        static MODULE: ThisModule = <crate::LocalModule as crate::ModuleMetadata>::THIS_MODULE;
        let module = &MODULE;
        let first = Registration::<Probe>::new(module)?;
        assert!(matches!(Registration::<Probe>::new(module), Err(e) if e == EBUSY));
        drop(first);
        let again = Registration::<Probe>::new(module)?;
        drop(again);
        Ok(())
    }
}
