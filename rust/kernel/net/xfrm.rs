// SPDX-License-Identifier: GPL-2.0

//! XFRM types: the per-protocol transforms the IPsec/XFRM core applies to packets.
//!
//! A module implements [`Type`] and keeps a [`Registration`] alive; the XFRM core then calls
//! it for every state of that protocol (`ip xfrm state add ... proto P ...`).  A state pins
//! the module that created it, so `rmmod` is refused while states of the type exist.
//!
//! What the callbacks get is safe: a [`State`] to read (mode, SPI, addresses, care-of address
//! under the state's lock), the packet as a read-only [`SkBuff`] on input, and on output an
//! [`OutputPacket`]: the room `xfrm6_ro_output`/`xfrm6_transport_output` opened for the new
//! header, plus the IPv6 header and the Next Header byte that must name it.
//!
//! C header: [`include/net/xfrm.h`](srctree/include/net/xfrm.h)

use crate::{
    bindings,
    error::{
        from_result,
        to_result, //
    },
    net::{
        namespace::Namespace,
        skbuff::{
            header_offsets,
            SkBuff, //
        }, //
    },
    prelude::*,
    types::Opaque,
    ThisModule, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

pub use super::ipv6::{
    Addr,
    Ipv6Header, //
};

#[cfg(CONFIG_XFRM_MIGRATE)]
pub mod migrate;

/// `XFRM_MODE_ROUTEOPTIMIZATION`: the mode of Mobile IPv6 states.
pub const MODE_ROUTE_OPTIMIZATION: u8 = bindings::XFRM_MODE_ROUTEOPTIMIZATION as u8;

/// Flags of an XFRM type (`XFRM_TYPE_*`).
pub mod flags {
    use crate::bindings;
    /// Packets of this type must not be fragmented before it runs.
    pub const NON_FRAGMENT: u8 = bindings::XFRM_TYPE_NON_FRAGMENT as u8;
    /// The type protects against replay.
    pub const REPLAY_PROT: u8 = bindings::XFRM_TYPE_REPLAY_PROT as u8;
    /// The care-of address is a local one (it becomes the source address).
    pub const LOCAL_COADDR: u8 = bindings::XFRM_TYPE_LOCAL_COADDR as u8;
    /// The care-of address is the peer's (it becomes the destination address).
    pub const REMOTE_COADDR: u8 = bindings::XFRM_TYPE_REMOTE_COADDR as u8;
}

/// An XFRM state (`struct xfrm_state`) lent to a [`Type`] callback, or found by
/// [`State::with_by_addr`].
///
/// # Invariants
///
/// A `&State` points to a live `xfrm_state`; its fixed fields (id, mode, family, addresses)
/// do not change while the reference exists, and its care-of address changes only under
/// `x->lock`.
#[repr(transparent)]
pub struct State(Opaque<bindings::xfrm_state>);

impl State {
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariant for `'a`.
    #[inline]
    unsafe fn from_raw<'a>(ptr: *mut bindings::xfrm_state) -> &'a Self {
        // SAFETY: `State` is `repr(transparent)` over `xfrm_state`; the caller promises the rest.
        unsafe { &*ptr.cast() }
    }

    #[inline]
    fn as_raw(&self) -> *mut bindings::xfrm_state {
        self.0.get()
    }

    /// The SPI, in host order.
    #[inline]
    pub fn spi(&self) -> u32 {
        // SAFETY: By the type invariant the state is live and `id` is fixed.
        u32::from_be(unsafe { (*self.as_raw()).id.spi })
    }

    /// The mode (`XFRM_MODE_*`), e.g. [`MODE_ROUTE_OPTIMIZATION`].
    #[inline]
    pub fn mode(&self) -> u8 {
        // SAFETY: As in `spi`.
        unsafe { (*self.as_raw()).props.mode }
    }

    /// The address family (`AF_INET6` for the Mobile IPv6 types).
    #[inline]
    pub fn family(&self) -> u16 {
        // SAFETY: As in `spi`.
        unsafe { (*self.as_raw()).props.family }
    }

    /// The state's destination address (as given to `ip xfrm state add ... dst`).
    #[inline]
    pub fn daddr(&self) -> Addr {
        // SAFETY: As in `spi`; the address union is plain bytes.
        addr_from_raw(unsafe { (*self.as_raw()).id.daddr.a6 })
    }

    /// The state's source address.
    #[inline]
    pub fn saddr(&self) -> Addr {
        // SAFETY: As in `daddr`.
        addr_from_raw(unsafe { (*self.as_raw()).props.saddr.a6 })
    }

    /// The mark value the state matches (`x->mark.v`); 0 for a state without a mark.
    #[inline]
    pub fn mark(&self) -> u32 {
        // SAFETY: As in `spi`: the mark is fixed once the state is added.
        unsafe { (*self.as_raw()).mark.v }
    }

    /// `x->lock`.
    #[inline]
    fn lock_ptr(&self) -> *mut bindings::spinlock_t {
        // SAFETY: The state is live; only the field's address is taken.
        unsafe { &raw mut (*self.as_raw()).lock }
    }

    /// The care-of address as it is under `x->lock`, which the caller holds.
    ///
    /// # Safety
    ///
    /// The caller holds `x->lock`.
    #[inline]
    unsafe fn coaddr_locked(&self) -> Option<Addr> {
        // SAFETY: The state is live; under `x->lock` its `coaddr` is either null or points to
        // the 16 bytes the state owns, which nobody writes (`xfrm_state_update` copies a new
        // address in under the lock).
        unsafe {
            let p = (*self.as_raw()).coaddr;
            (!p.is_null()).then(|| core::ptr::read(p.cast::<Addr>()))
        }
    }

    /// The care-of address, read under the state's lock; `None` for a state without one.
    /// For process context and output paths: BH is off while the lock is held, as
    /// `mip6.c` does.
    #[inline]
    pub fn coaddr(&self) -> Option<Addr> {
        // SAFETY: `lock_ptr` is the state's live lock, released below.
        unsafe { bindings::spin_lock_bh(self.lock_ptr()) };
        // SAFETY: We hold `x->lock`.
        let a = unsafe { self.coaddr_locked() };
        // SAFETY: Taken above.
        unsafe { bindings::spin_unlock_bh(self.lock_ptr()) };
        a
    }

    /// Whether `addr` is the care-of address, or the state's care-of address is `::` (any);
    /// `false` for a state without one.  For input paths, which run with BH off: it takes
    /// `x->lock` without touching BH, as the core's own types do.
    #[inline]
    pub fn coaddr_matches(&self, addr: &Addr) -> bool {
        // SAFETY: `lock_ptr` is the state's live lock, released below.
        unsafe { bindings::spin_lock(self.lock_ptr()) };
        // SAFETY: We hold `x->lock`.
        let a = unsafe { self.coaddr_locked() };
        // SAFETY: Taken above.
        unsafe { bindings::spin_unlock(self.lock_ptr()) };
        a.is_some_and(|a| a == [0; 16] || a == *addr)
    }

    /// Calls `f` with the state of `net` for protocol `proto` (its [`Type`]'s, e.g.
    /// `IPPROTO_ROUTING` for a type 2 Routing Header's) from `saddr` to `daddr`, as
    /// `xfrm_state_lookup_byaddr()` finds it (IPv6, no mark); `None` when there is none.
    pub fn with_by_addr<R>(
        net: &Namespace,
        daddr: &Addr,
        saddr: &Addr,
        proto: u8,
        f: impl FnOnce(&State) -> R,
    ) -> Option<R> {
        let (d, s) = (addr_to_raw(daddr), addr_to_raw(saddr));
        // SAFETY: `net` is live for the call; the addresses are read during it.  The state
        // returned, if any, comes with a reference, dropped below.
        let x = unsafe {
            bindings::xfrm_state_lookup_byaddr(
                net.as_raw(),
                0,
                &d,
                &s,
                proto,
                bindings::AF_INET6 as u16,
            )
        };
        if x.is_null() {
            return None;
        }
        // SAFETY: We hold a reference to the live state until the put below; its fixed fields
        // never change, its care-of address only under its lock.
        let r = f(unsafe { State::from_raw(x) });
        // SAFETY: Drops the reference the look-up took.
        unsafe { bindings::xfrm_state_put(x) };
        Some(r)
    }

    /// The network namespace of the state.
    pub fn net(&self) -> &Namespace {
        // SAFETY: The state is live; its namespace outlives it.
        unsafe { Namespace::from_raw(bindings::xs_net(self.as_raw())) }
    }

    /// Asks the key managers of the state's namespace (`XFRM_MSG_REPORT` to
    /// `ip xfrm monitor` and daemons) to act on `sel`; `addr` is the address the report is
    /// about (Mobile IPv6: the home address a Binding Error is for).
    ///
    /// Fails with `EINVAL` when no key manager listens.
    pub fn report(&self, proto: u8, sel: &Selector, addr: Option<&Addr>) -> Result {
        // SAFETY: All-zero is a valid selector.
        let mut raw: bindings::xfrm_selector = unsafe { core::mem::zeroed() };
        raw.daddr = addr_to_raw(&sel.daddr);
        raw.saddr = addr_to_raw(&sel.saddr);
        raw.prefixlen_d = sel.prefixlen_d;
        raw.prefixlen_s = sel.prefixlen_s;
        raw.family = bindings::AF_INET6 as u16;
        raw.proto = sel.proto;
        raw.dport = sel.dport.to_be();
        raw.dport_mask = if sel.dport != 0 { !0 } else { 0 };
        raw.sport = sel.sport.to_be();
        raw.sport_mask = if sel.sport != 0 { !0 } else { 0 };
        raw.ifindex = sel.ifindex;
        let mut a = addr.map(addr_to_raw);
        let ap = a
            .as_mut()
            .map_or(core::ptr::null_mut(), core::ptr::from_mut);
        // SAFETY: The namespace is live (the state holds it); `raw` and `a` are valid for the
        // call, which copies them into the message.
        to_result(unsafe { bindings::km_report(self.net().as_raw(), proto, &mut raw, ap) })
    }
}

fn addr_from_raw(words: [u32; 4]) -> Addr {
    let mut a = [0u8; 16];
    for (c, w) in a.chunks_exact_mut(4).zip(words) {
        c.copy_from_slice(&w.to_ne_bytes());
    }
    a
}

fn addr_to_raw(a: &Addr) -> bindings::xfrm_address_t {
    // SAFETY: All-zero is a valid address.
    let mut raw: bindings::xfrm_address_t = unsafe { core::mem::zeroed() };
    let mut words = [0u32; 4];
    for (w, c) in words.iter_mut().zip(a.chunks_exact(4)) {
        *w = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
    }
    raw.a6 = words;
    raw
}

impl SkBuff {
    /// Whether the packet's route is an XFRM bundle with a transform of protocol `proto`, which
    /// the output path is then about to apply (a [`Type`]'s [`Type::output`] for a protocol a
    /// module registered).  Meaningful once the packet is routed, e.g. at `LOCAL_OUT`.
    #[inline]
    pub fn bundle_has(&self, proto: u8) -> bool {
        // SAFETY: The skb is live (type invariant); its route, if any, is held (by a reference
        // or by the RCU read side the output path runs in) while the skb is borrowed.
        let mut dst = unsafe { bindings::skb_dst(self.as_raw()) };
        while !dst.is_null() {
            // SAFETY: `dst` is live: the skb's route or, below, a child of a live bundle, which
            // holds its children and their states.
            let x = unsafe { (*dst).xfrm };
            if x.is_null() {
                return false;
            }
            // SAFETY: A bundle holds a reference to each of its states; `id` is fixed.
            if unsafe { (*x).id.proto } == proto {
                return true;
            }
            // SAFETY: `dst` is live (see above).
            dst = unsafe { bindings::xfrm_dst_child(dst) };
        }
        false
    }
}

/// An IPv6 traffic selector for [`State::report`]; ports are in host order, 0 for "any".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Destination address and prefix length.
    pub daddr: Addr,
    /// See `daddr`.
    pub prefixlen_d: u8,
    /// Source address and prefix length.
    pub saddr: Addr,
    /// See `saddr`.
    pub prefixlen_s: u8,
    /// Upper-layer protocol.
    pub proto: u8,
    /// Destination port (ICMPv6: code).
    pub dport: u16,
    /// Source port (ICMPv6: type; Mobility Header: MH type).
    pub sport: u16,
    /// Interface, 0 for any.
    pub ifindex: i32,
}

/// The flow a packet belongs to (`struct flowi`, IPv6 part), as the policy check saw it.
///
/// # Invariants
///
/// Points to a live `flowi` of family `AF_INET6` that does not change while borrowed.
#[repr(transparent)]
pub struct Flow(Opaque<bindings::flowi>);

impl Flow {
    #[inline]
    fn as_raw(&self) -> *mut bindings::flowi {
        self.0.get()
    }

    /// The upper-layer protocol.
    #[inline]
    pub fn proto(&self) -> u8 {
        // SAFETY: By the type invariant the flow is live and IPv6.
        unsafe { (*self.as_raw()).u.ip6.__fl_common.flowic_proto }
    }

    /// The outgoing interface, 0 for none.
    #[inline]
    pub fn oif(&self) -> i32 {
        // SAFETY: As in `proto`.
        unsafe { (*self.as_raw()).u.ip6.__fl_common.flowic_oif }
    }

    /// The source "port" as XFRM selectors see it (TCP/UDP/SCTP port, ICMPv6 type, MH type),
    /// in host order.
    #[inline]
    pub fn sport(&self) -> u16 {
        // SAFETY: As in `proto`; the helper reads the union member `proto` selects.
        u16::from_be(unsafe { bindings::rv6_xfrm_flowi6_sport(self.as_raw()) })
    }

    /// The destination "port" (TCP/UDP/SCTP port, ICMPv6 code), in host order.
    #[inline]
    pub fn dport(&self) -> u16 {
        // SAFETY: As in `sport`.
        u16::from_be(unsafe { bindings::rv6_xfrm_flowi6_dport(self.as_raw()) })
    }
}

/// An inbound packet at the type's header, as the XFRM core hands it to [`Type::input`].
///
/// The core has pulled the IPv6 header, the extension headers before the type's and the
/// type's own header into the linear part of the packet; they are read in place.
///
/// # Invariants
///
/// `header` is not empty, and `next_header` is its first byte.
pub struct InputPacket<'a> {
    skb: &'a SkBuff,
    ip: &'a Ipv6Header,
    /// The linear bytes from the type's header on.
    header: &'a [u8],
    next_header: u8,
}

impl<'a> InputPacket<'a> {
    /// Views `skb` as `xfrm_input()` hands it to a type: `None` unless the IPv6 header lies in
    /// the linear part before `skb->data` and the type's header has a byte there.
    #[inline]
    fn new(skb: &'a SkBuff) -> Option<Self> {
        let (head, data, network, tail) = skb.layout();
        // `network` is a 16-bit offset: the sum cannot wrap.
        if network + Ipv6Header::LEN > data || data >= tail {
            return None;
        }
        // SAFETY: `[network, network + 40)` lies below `data` and `[data, tail)` is the rest of
        // the linear part (checked above), both valid and unmodified while `skb` is borrowed;
        // `Ipv6Header` is plain bytes of alignment 1 (`FromBytes`).
        let (ip, header) = unsafe {
            (
                &*head.add(network).cast::<Ipv6Header>(),
                core::slice::from_raw_parts(head.add(data), tail - data),
            )
        };
        Some(Self {
            skb,
            ip,
            next_header: header[0],
            header,
        })
    }

    /// The type's header's first byte: for every IPv6 extension header, its Next Header.
    #[inline]
    pub fn next_header(&self) -> u8 {
        self.next_header
    }

    /// The packet; for what the views below do not cover.
    #[inline]
    pub fn skb(&self) -> &'a SkBuff {
        self.skb
    }

    /// The IPv6 header.
    #[inline]
    pub fn ipv6_header(&self) -> &'a Ipv6Header {
        self.ip
    }

    /// The IPv6 header's source address.
    #[inline]
    pub fn saddr(&self) -> &'a Addr {
        &self.ip.saddr
    }

    /// The IPv6 header's destination address.
    #[inline]
    pub fn daddr(&self) -> &'a Addr {
        &self.ip.daddr
    }

    /// The linear bytes from the type's header (`skb->data`) on: the whole header, and
    /// whatever follows it in the linear part.
    #[inline]
    pub fn header(&self) -> &'a [u8] {
        self.header
    }
}

/// A packet on its way out, with room for the type's header opened by the XFRM core.
///
/// The core has moved the IPv6 header and the extension headers that must precede the new
/// one towards the front: `ip`, then those headers, then `room`, the `header_len` bytes for
/// the type to fill.  The Next Header byte that still names what followed is the IPv6
/// header's own or, when extension headers precede the new one, `prev`, in one of them.
pub struct OutputPacket<'a> {
    ip: &'a mut Ipv6Header,
    /// `None` for the IPv6 header's Next Header.
    prev: Option<&'a mut u8>,
    room: &'a mut [u8],
    coaddr: Option<&'a Addr>,
}

impl<'a> OutputPacket<'a> {
    /// The Next Header value the new header must carry.
    #[inline]
    pub fn next_header(&self) -> u8 {
        match &self.prev {
            None => self.ip.nexthdr,
            Some(p) => **p,
        }
    }

    /// The state's care-of address, read under `x->lock` as the packet was handed over (so
    /// that a route optimization type's output takes the lock once, as `mip6.c` does).
    #[inline]
    pub fn coaddr(&self) -> Option<&'a Addr> {
        self.coaddr
    }

    /// Makes the preceding header's Next Header name the new header (`proto`).
    #[inline]
    pub fn set_next_header(&mut self, proto: u8) {
        match &mut self.prev {
            None => self.ip.nexthdr = proto,
            Some(p) => **p = proto,
        }
    }

    /// The IPv6 header and the room for the new header, to fill in together.
    #[inline]
    pub fn split(&mut self) -> (&mut Ipv6Header, &mut [u8]) {
        (self.ip, self.room)
    }
}

/// Why [`Type::init_state`] refuses a state: the message goes to the netlink caller's extack,
/// the errno (`EINVAL`) to its return value.
pub type Refusal = &'static CStr;

/// An XFRM type.
#[vtable]
pub trait Type: Sized + 'static {
    /// The protocol number the type handles (`IPPROTO_DSTOPTS`, `IPPROTO_ROUTING`, ...).
    const PROTO: u8;
    /// [`flags`] of the type.
    const FLAGS: u8;

    /// Checks a new state and returns the bytes of header its output inserts
    /// (`x->props.header_len`); an `Err` refuses the state with `EINVAL` and the message.
    fn init_state(x: &State) -> Result<u32, Refusal>;

    /// Verifies an inbound packet against `x`; [`InputPacket::header`] is the type's header.
    /// Returns the header's Next Header value when the packet matches the state.
    fn input(x: &State, pkt: &InputPacket<'_>) -> Result<u8>;

    /// Fills in the type's header on an outbound packet.
    fn output(x: &State, pkt: &mut OutputPacket<'_>) -> Result;

    /// Called when a packet that went through `x` on input is refused by policy; typically
    /// reports to the key manager.
    fn reject(_x: &State, _skb: &SkBuff, _fl: &Flow) -> Result {
        crate::build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// A type's `struct xfrm_type`, built at compile time into a `static` of the module: the
/// XFRM core keeps a pointer to it while the type is registered, and only reads it.
///
/// ```ignore
/// static HAO: xfrm::TypeVtable<HomeAddress> =
///     xfrm::TypeVtable::new(kernel::module::this_module::<crate::LocalModule>());
/// ```
#[repr(transparent)]
pub struct TypeVtable<T: Type>(bindings::xfrm_type, PhantomData<T>);

// SAFETY: Nothing writes the table after it is built; its pointers are to the owning module and
// to functions, which any CPU may use.
unsafe impl<T: Type> Sync for TypeVtable<T> {}

impl<T: Type> TypeVtable<T> {
    /// The table of `T`, owned by `module` (`THIS_MODULE`), which every state of the type pins.
    pub const fn new(module: &'static ThisModule) -> Self {
        Self(
            bindings::xfrm_type {
                owner: module.as_ptr(),
                proto: T::PROTO,
                flags: T::FLAGS,
                init_state: Some(init_state_callback::<T>),
                destructor: Some(destructor_callback),
                input: Some(input_callback::<T>),
                output: Some(output_callback::<T>),
                reject: if T::HAS_REJECT {
                    Some(reject_callback::<T>)
                } else {
                    None
                },
            },
            PhantomData,
        )
    }
}

/// Registers `T` with the XFRM core for `AF_INET6` while it lives.
///
/// # Invariants
///
/// `ty` is registered with `xfrm_register_type` for `AF_INET6`.
pub struct Registration<T: Type> {
    ty: &'static TypeVtable<T>,
}

impl<T: Type> Registration<T> {
    /// Registers the type described by `ty`.
    ///
    /// Fails with `EEXIST` when the protocol is served already, by another module (e.g.
    /// `mip6.ko`; the core refuses it since `kernel/patches/0005`) or by another registration
    /// of `ty`, and with `EPROTONOSUPPORT` for a protocol the core has no slot for.
    pub fn new(ty: &'static TypeVtable<T>) -> Result<Self> {
        // SAFETY: `ty` is a valid type that lives forever; its callbacks are valid for as long
        // as its module, which the core pins while states of the type exist.
        to_result(unsafe { bindings::xfrm_register_type(&ty.0, bindings::AF_INET6 as u16) })?;
        Ok(Self { ty })
    }
}

impl<T: Type> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant).  No state of the type exists any more: each
        // pins the module, which is being unloaded; the core's lookups are under RCU and done
        // by the time the module's exit runs.
        unsafe { bindings::xfrm_unregister_type(&self.ty.0, bindings::AF_INET6 as u16) };
    }
}

/// `xfrm_type.init_state`: lets [`Type::init_state`] check a new state and sets its header
/// length.
///
/// # Safety
///
/// `x` must be a live state of the type `T` registered, being constructed and not yet visible to
/// anyone else, and `extack`, unless null, the request's extended ack, writable for the call,
/// as `__xfrm_init_state()` passes them to `init_state`.
unsafe extern "C" fn init_state_callback<T: Type>(
    x: *mut bindings::xfrm_state,
    extack: *mut bindings::netlink_ext_ack,
) -> c_int {
    // SAFETY: The core calls `init_state` with a live state of our type being constructed.
    let state = unsafe { State::from_raw(x) };
    match T::init_state(state) {
        Ok(len) => match c_int::try_from(len) {
            Ok(len) => {
                // SAFETY: The state is not yet visible to anyone else: setting its header
                // length is what `init_state` is for.
                unsafe { (*x).props.header_len = len };
                0
            }
            Err(_) => EINVAL.to_errno(),
        },
        Err(msg) => {
            if let Some(extack) = NonNull::new(extack) {
                // SAFETY: A non-NULL extack is the caller's, writable for the call; the
                // message is a static string (NL_SET_ERR_MSG).
                unsafe { (*extack.as_ptr())._msg = msg.as_char_ptr() };
            }
            EINVAL.to_errno()
        }
    }
}

/// The core calls `destructor` unconditionally; the types own nothing in the state.
///
/// It touches nothing, so it is safe to call (and coerces to the table's `unsafe` pointer).
extern "C" fn destructor_callback(_x: *mut bindings::xfrm_state) {}

/// `xfrm_type.input`: lends a received packet to [`Type::input`]; returns the next header.
///
/// # Safety
///
/// `x` must be a live, held state of the type `T` registered, and `skb` a live received packet
/// owned by the caller that nothing else touches during the call, as `xfrm_input()` passes them
/// to `input`.
unsafe extern "C" fn input_callback<T: Type>(
    x: *mut bindings::xfrm_state,
    skb: *mut bindings::sk_buff,
) -> c_int {
    from_result(|| {
        // SAFETY: The core calls `input` with a held, live state of our type and the packet it
        // owns, which it does not touch during the call.
        let (state, skb) = unsafe { (State::from_raw(x), SkBuff::from_raw(skb)) };
        let pkt = InputPacket::new(skb).ok_or(EINVAL)?;
        Ok(c_int::from(T::input(state, &pkt)?))
    })
}

/// Moves `skb->data` back to the network header, in front of which `xfrm6_ro_output()` has
/// opened the room for the type's header, and lends the packet's headers from there: the IPv6
/// header, the Next Header byte to rewrite (which the core marks with the MAC header) and the
/// room (at the transport header).  `None`, with the packet untouched, unless that byte lies in
/// the IPv6 header's Next Header field or in the extension headers after it and before the
/// room, and the room lies in the linear part.  Each of these is checked once, here.
///
/// # Safety
///
/// `skb` is a live packet on the XFRM output path, exclusively the caller's for `'a`.
#[inline]
unsafe fn ro_output_room<'a>(
    skb: *mut bindings::sk_buff,
    header_len: usize,
    coaddr: Option<&'a Addr>,
) -> Option<OutputPacket<'a>> {
    const NEXTHDR: usize = core::mem::offset_of!(Ipv6Header, nexthdr);
    // SAFETY: By the caller, the skb is live and ours.
    let (mac, network, transport) = unsafe { header_offsets(skb) };
    // SAFETY: As above; nothing else refers to the skb during the call.
    let s = unsafe { &mut *skb };
    // Offsets from the network header.  Wrapping cannot make a bad offset pass: every byte
    // lent must lie below `slot + header_len`, which is checked against the linear part.
    let prevhdr = usize::from(mac.wrapping_sub(network));
    let slot = usize::from(transport.wrapping_sub(network));
    if slot < Ipv6Header::LEN
        || prevhdr >= slot
        || (prevhdr < Ipv6Header::LEN && prevhdr != NEXTHDR)
    {
        return None;
    }
    let network = usize::from(network);
    let data = (s.data as usize).wrapping_sub(s.head as usize);
    // With `NET_SKBUFF_DATA_USES_OFFSET` (64-bit) the tail is an offset, else a pointer.
    #[cfg(CONFIG_64BIT)]
    let tail = s.tail as usize;
    #[cfg(not(CONFIG_64BIT))]
    let tail = (s.tail as usize).wrapping_sub(s.head as usize);
    let push = data.checked_sub(network)?;
    // The linear bytes from the network header: the sum is below 2^17 + 2^32.
    if slot + header_len > tail.checked_sub(network)? {
        return None;
    }
    let len = s.len.checked_add(u32::try_from(push).ok()?)?;
    // `__skb_push(skb, push)`: the bytes lie in the head, between the network header and data.
    s.data = s.data.wrapping_sub(push);
    s.len = len;
    let base = s.data;
    // SAFETY: `[0, slot + header_len)` from `base` lies in the linear part (checked above
    // against the tail), and nothing else accesses the packet while it is lent.  The
    // three pieces are disjoint: the IPv6 header `[0, 40)`, the byte at `prevhdr` (in
    // `[40, slot)`, unless it is the IPv6 header's own Next Header) and the room
    // `[slot, slot + header_len)`; `Ipv6Header` is plain bytes of alignment 1.
    unsafe {
        Some(OutputPacket {
            ip: &mut *base.cast::<Ipv6Header>(),
            prev: (prevhdr != NEXTHDR).then(|| &mut *base.add(prevhdr)),
            room: core::slice::from_raw_parts_mut(base.add(slot), header_len),
            coaddr,
        })
    }
}

/// `xfrm_type.output`: lets [`Type::output`] fill the room opened for the type's header.
///
/// # Safety
///
/// `x` must be a live state of the type `T` registered, whose `props.header_len` was set by
/// `init_state_callback`, and `skb` a live packet on the XFRM output path, exclusively the
/// caller's for the call, as `xfrm_output_one()` passes them to `output`.
unsafe extern "C" fn output_callback<T: Type>(
    x: *mut bindings::xfrm_state,
    skb: *mut bindings::sk_buff,
) -> c_int {
    from_result(|| {
        // SAFETY: The core calls `output` with a live state of our type.
        let state = unsafe { State::from_raw(x) };
        // SAFETY: As above.
        let header_len = unsafe { (*x).props.header_len } as usize;
        let coaddr = state.coaddr();
        // SAFETY: `skb` is the packet being output, exclusively ours for the call.
        let mut pkt = unsafe { ro_output_room(skb, header_len, coaddr.as_ref()) }.ok_or(EINVAL)?;
        T::output(state, &mut pkt)?;
        Ok(0)
    })
}

/// `xfrm_type.reject`: lets [`Type::reject`] act on a packet that policy checks refuse.
///
/// # Safety
///
/// `x` must be a live state of the type `T` registered, from the secpath of `skb`; `skb` a live
/// packet that nothing modifies during the call; and `fl` the packet's live IPv6 flow, as
/// `xfrm_secpath_reject()` passes them to `reject`.
unsafe extern "C" fn reject_callback<T: Type>(
    x: *mut bindings::xfrm_state,
    skb: *mut bindings::sk_buff,
    fl: *const bindings::flowi,
) -> c_int {
    from_result(|| {
        // SAFETY: The core calls `reject` with a state of our type from the packet's secpath,
        // the packet (not modified during the call) and its IPv6 flow.
        let (state, skb, fl) = unsafe {
            (
                State::from_raw(x),
                SkBuff::from_raw(skb),
                &*fl.cast::<Flow>(),
            )
        };
        T::reject(state, skb, fl)?;
        Ok(0)
    })
}

/// What [`OwnedState::add`] installs: a state of an IPv6 type the caller's module serves.
#[derive(Clone, Copy, Debug)]
pub struct StateParams<'a> {
    /// The type's protocol (`Type::PROTO`).
    pub proto: u8,
    /// SPI, host order; 0 for types without one.
    pub spi: u32,
    /// Mode, e.g. [`MODE_ROUTE_OPTIMIZATION`].
    pub mode: u8,
    /// Request id, matched against policy templates.
    pub reqid: u32,
    /// Source address.
    pub saddr: &'a Addr,
    /// Destination address.
    pub daddr: &'a Addr,
    /// Care-of address, for a route optimization type.
    pub coaddr: Option<&'a Addr>,
    /// The mark the state matches exactly (mask all ones): only policies with that mark
    /// find it, and states differing only in their marks may coexist.  `0` for unmarked
    /// policies.
    pub mark: u32,
}

/// An XFRM state a module installed in a namespace itself; deleted when dropped.
///
/// User space sees it (`ip xfrm state`) but cannot update, delete or flush it: it is marked
/// as the kernel's (`tunnel_users`), as the states IPcomp creates for its tunnels are.  Its
/// type's module stays pinned while it exists.
///
/// # Invariants
///
/// `x` was added with `xfrm_state_add`; we hold one reference to it.
pub struct OwnedState {
    x: NonNull<bindings::xfrm_state>,
}

// SAFETY: The state is reference-counted and its fields we touch are fixed or locked: it may
// be used and released from any thread.
unsafe impl Send for OwnedState {}
// SAFETY: `&OwnedState` only reads fixed fields or takes the state's lock.
unsafe impl Sync for OwnedState {}

impl OwnedState {
    /// Allocates, initialises (the type's `init_state` runs) and adds the state to `net`.
    ///
    /// Fails with `EEXIST` when `net` has a state with the same identity, and with the errors
    /// of the type's `init_state`.
    pub fn add(net: &Namespace, p: &StateParams<'_>) -> Result<Self> {
        let coaddr = match p.coaddr {
            // Freed with the state by the core (`kfree(x->coaddr)`).
            Some(a) => KBox::into_raw(KBox::new(addr_to_raw(a), GFP_KERNEL)?),
            None => core::ptr::null_mut(),
        };
        // SAFETY: `net` is live.
        let Some(x) = NonNull::new(unsafe { bindings::xfrm_state_alloc(net.as_raw()) }) else {
            if !coaddr.is_null() {
                // SAFETY: Allocated above and not handed to anyone.
                drop(unsafe { KBox::from_raw(coaddr) });
            }
            return Err(ENOMEM);
        };
        let raw = x.as_ptr();
        // SAFETY: The new state is ours alone until `xfrm_state_add` publishes it; we fill the
        // fields `xfrm_state_construct()` fills for such a state.  `km.state` is set to dead
        // before the allocation's reference is dropped on failure, as the core does.
        unsafe {
            (*raw).id.daddr = addr_to_raw(p.daddr);
            (*raw).id.spi = p.spi.to_be();
            (*raw).id.proto = p.proto;
            (*raw).props.saddr = addr_to_raw(p.saddr);
            (*raw).props.family = bindings::AF_INET6 as u16;
            (*raw).props.mode = p.mode;
            (*raw).props.reqid = p.reqid;
            (*raw).mark.v = p.mark;
            (*raw).mark.m = u32::MAX;
            (*raw).coaddr = coaddr;
            (*raw).tunnel_users.counter = 1;
            let err = bindings::xfrm_init_state(raw, core::ptr::null_mut());
            if err != 0 {
                (*raw).km.state = bindings::XFRM_STATE_DEAD as u8;
                bindings::xfrm_state_put(raw);
                return Err(Error::from_errno(err));
            }
            // Our reference; the one the allocation gave is the state table's from now on.
            bindings::xfrm_state_hold(raw);
            let err = bindings::xfrm_state_add(raw);
            if err != 0 {
                (*raw).km.state = bindings::XFRM_STATE_DEAD as u8;
                bindings::xfrm_state_put(raw);
                bindings::xfrm_state_put(raw);
                return Err(Error::from_errno(err));
            }
        }
        Ok(Self { x })
    }

    /// Moves the state to care-of address `coaddr` in place (`xfrm_state_update_coaddr`,
    /// kernel/patches/0007): the flows it serves are never without it, and the bundles
    /// routed to the old address are rebuilt on their next packet.  `EINVAL` for a state
    /// without a care-of address; `ESRCH` once it was deleted (its namespace's teardown).
    pub fn set_coaddr(&self, coaddr: &Addr) -> Result {
        let raw = addr_to_raw(coaddr);
        // SAFETY: We hold a reference (type invariant); the core copies the address under
        // the state's lock, where `State::coaddr` reads it.
        to_result(unsafe { bindings::xfrm_state_update_coaddr(self.x.as_ptr(), &raw) })
    }

    /// The state.
    pub fn state(&self) -> &State {
        // SAFETY: We hold a reference, so the state is live; its identity does not change.
        unsafe { State::from_raw(self.x.as_ptr()) }
    }
}

impl Drop for OwnedState {
    fn drop(&mut self) {
        // SAFETY: We hold a reference (type invariant).  Deleting unlinks the state unless the
        // namespace's teardown already did (then it fails harmlessly with `ESRCH`); our
        // reference is dropped last.
        unsafe {
            bindings::xfrm_state_delete(self.x.as_ptr());
            bindings::xfrm_state_put(self.x.as_ptr());
        }
    }
}

/// A policy's direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Dir {
    /// Inbound packets for this host.
    In = bindings::XFRM_POLICY_IN as u8,
    /// Outbound packets from this host.
    Out = bindings::XFRM_POLICY_OUT as u8,
    /// Forwarded packets.
    Fwd = bindings::XFRM_POLICY_FWD as u8,
}

/// What [`OwnedPolicy::insert`] installs: a policy for the flows from `saddr` to `daddr`
/// (any protocol and port) with one template.
#[derive(Clone, Copy, Debug)]
pub struct PolicyParams<'a> {
    /// Selector source address (a /128).
    pub saddr: &'a Addr,
    /// Selector destination address (a /128).
    pub daddr: &'a Addr,
    /// Direction.
    pub dir: Dir,
    /// A sub policy (`XFRM_POLICY_TYPE_SUB`) rather than a main one: the core applies a sub
    /// policy's templates together with those of the main policy for the same flow, which is
    /// how Mobile IPv6 route optimization composes with IPsec.
    pub sub: bool,
    /// Priority; lower values win.
    pub priority: u32,
    /// The template: protocol, mode, request id and the addresses of the state it wants.
    pub tmpl_proto: u8,
    /// See `tmpl_proto`.
    pub tmpl_mode: u8,
    /// See `tmpl_proto`.
    pub tmpl_reqid: u32,
    /// The template may be skipped when no state matches (`level use`).
    pub optional: bool,
    /// `Some(m)`: the policy applies only to flows marked `m` (`skb->mark`, `SO_MARK`) and
    /// its template finds the state marked `m`; `None`: any flow, the state marked 0.
    pub mark: Option<u32>,
}

/// An XFRM policy a module inserted itself; deleted when dropped.
///
/// # Invariants
///
/// `pol` was inserted with `xfrm_policy_insert` in direction `dir`; we hold one reference.
pub struct OwnedPolicy {
    pol: NonNull<bindings::xfrm_policy>,
    dir: Dir,
}

// SAFETY: The policy is reference-counted; dropping it may happen from any thread.
unsafe impl Send for OwnedPolicy {}
// SAFETY: `&OwnedPolicy` gives access to nothing.
unsafe impl Sync for OwnedPolicy {}

impl OwnedPolicy {
    /// Allocates and inserts the policy into `net`; `EEXIST` when one with the same selector,
    /// type and direction exists.
    pub fn insert(net: &Namespace, p: &PolicyParams<'_>) -> Result<Self> {
        // SAFETY: `net` is live.
        let pol = unsafe { bindings::xfrm_policy_alloc(net.as_raw(), GFP_KERNEL.as_raw()) };
        let pol = NonNull::new(pol).ok_or(ENOMEM)?;
        let raw = pol.as_ptr();
        // SAFETY: The new policy is ours alone until `xfrm_policy_insert` publishes it; we
        // fill what `copy_from_user_policy()` and `copy_templates()` fill.  On failure it is
        // marked dead and destroyed, as a policy that was never linked may be.
        unsafe {
            let sel = &mut (*raw).selector;
            sel.daddr = addr_to_raw(p.daddr);
            sel.saddr = addr_to_raw(p.saddr);
            sel.prefixlen_d = 128;
            sel.prefixlen_s = 128;
            sel.family = bindings::AF_INET6 as u16;
            (*raw).priority = p.priority;
            if let Some(m) = p.mark {
                (*raw).mark.v = m;
                (*raw).mark.m = u32::MAX;
            }
            (*raw).action = bindings::XFRM_POLICY_ALLOW as u8;
            (*raw).type_ = if p.sub {
                bindings::XFRM_POLICY_TYPE_SUB as u8
            } else {
                bindings::XFRM_POLICY_TYPE_MAIN as u8
            };
            (*raw).family = bindings::AF_INET6 as u16;
            (*raw).xfrm_nr = 1;
            let t = &mut (*raw).xfrm_vec[0];
            t.id.daddr = addr_to_raw(p.daddr);
            t.id.proto = p.tmpl_proto;
            t.saddr = addr_to_raw(p.saddr);
            t.encap_family = bindings::AF_INET6 as u16;
            t.reqid = p.tmpl_reqid;
            t.mode = p.tmpl_mode;
            t.optional = u8::from(p.optional);
            t.aalgos = !0;
            t.ealgos = !0;
            t.calgos = !0;
            let err = bindings::xfrm_policy_insert(c_int::from(p.dir as u8), raw, 1);
            if err != 0 {
                (*raw).walk.dead = 1;
                bindings::xfrm_policy_destroy(raw);
                return Err(Error::from_errno(err));
            }
        }
        Ok(Self { pol, dir: p.dir })
    }
}

impl Drop for OwnedPolicy {
    fn drop(&mut self) {
        // SAFETY: We hold a reference (type invariant).  Deleting unlinks the policy unless
        // someone did already (`ip xfrm policy flush ptype sub`: then `ENOENT`, harmlessly);
        // our reference is dropped last.
        unsafe {
            bindings::xfrm_policy_delete(self.pol.as_ptr(), c_int::from(self.dir as u8));
            bindings::xfrm_pol_put(self.pol.as_ptr());
        }
    }
}

#[kunit_tests(rust_kernel_net_xfrm)]
mod tests {
    use super::*;
    use crate::net::skbuff::TestSkb;

    /// An IPv6 header (Next Header 0, hop-by-hop), an 8-byte hop-by-hop header (Next Header
    /// 17), 24 bytes of room and 8 bytes of UDP, as `xfrm6_ro_output()` leaves a packet whose
    /// new header goes after the hop-by-hop one: the network header moved back by the room,
    /// `data` and the transport header at the room, the MAC header at the byte to rewrite.
    fn ro_packet(prevhdr: u16, slot: u16) -> Result<TestSkb> {
        let mut bytes = [0u8; 80];
        bytes[6] = 0;
        bytes[40] = 17;
        let mut t = TestSkb::new(&bytes)?;
        let network = TestSkb::HEADROOM as u16;
        t.set_header_offsets(network + prevhdr, network, network + slot);
        // SAFETY: The skb is ours and holds 80 linear bytes.
        unsafe { bindings::skb_pull(t.as_ptr(), u32::from(slot)) };
        Ok(t)
    }

    fn data_offset(t: &TestSkb) -> usize {
        // SAFETY: The skb is ours and live.
        unsafe { ((*t.as_ptr()).data as usize) - ((*t.as_ptr()).head as usize) }
    }

    #[test]
    fn the_room_is_lent_with_the_byte_that_must_name_it() -> Result {
        let coa = [0x20; 16];
        let t = ro_packet(40, 48)?;
        // SAFETY: The skb is ours, on no path.
        let mut pkt = unsafe { ro_output_room(t.as_ptr(), 24, Some(&coa)) }.ok_or(EINVAL)?;
        assert_eq!(pkt.next_header(), 17);
        assert_eq!(pkt.coaddr(), Some(&coa));
        pkt.set_next_header(60);
        let (ip, room) = pkt.split();
        assert_eq!(ip.nexthdr, 0);
        assert_eq!(room.len(), 24);
        room[0] = 0xaa;
        // `data` is back at the network header, the length grown by what was pulled.
        assert_eq!(data_offset(&t), TestSkb::HEADROOM);
        assert_eq!(t.skb().len(), 80);
        let mut b = [0u8; 49];
        let b = t.skb().bytes(0, &mut b).ok_or(EINVAL)?;
        assert_eq!((b[40], b[48]), (60, 0xaa));
        Ok(())
    }

    #[test]
    fn the_ipv6_headers_own_next_header_is_rewritten_in_place() -> Result {
        let t = ro_packet(6, 40)?;
        // SAFETY: The skb is ours, on no path.
        let mut pkt = unsafe { ro_output_room(t.as_ptr(), 24, None) }.ok_or(EINVAL)?;
        assert_eq!(pkt.next_header(), 0);
        pkt.set_next_header(43);
        assert_eq!(pkt.split().0.nexthdr, 43);
        Ok(())
    }

    #[test]
    fn a_room_the_core_cannot_have_opened_is_refused_untouched() -> Result {
        // The byte to rewrite inside the IPv6 header but not its Next Header; at or after
        // the room; the room before the end of the IPv6 header; the room past the packet.
        for (prevhdr, slot, len) in [
            (7, 48, 24),
            (48, 48, 24),
            (50, 48, 24),
            (6, 32, 24),
            (40, 48, 33),
        ] {
            let t = ro_packet(prevhdr, slot)?;
            let before = data_offset(&t);
            // SAFETY: The skb is ours, on no path.
            assert!(unsafe { ro_output_room(t.as_ptr(), len, None) }.is_none());
            assert_eq!(data_offset(&t), before);
        }
        Ok(())
    }

    #[test]
    fn a_packet_without_a_route_is_in_no_bundle() -> Result {
        let t = TestSkb::new(&[0u8; 40])?;
        assert!(!t.skb().bundle_has(140));
        Ok(())
    }

    #[test]
    fn input_sees_the_ipv6_header_and_the_types_first_byte() -> Result {
        let mut bytes = [0u8; 48];
        bytes[8] = 0xfe;
        bytes[40] = 58;
        let t = TestSkb::new(&bytes)?;
        // Not pulled past the IPv6 header: no view.
        assert!(InputPacket::new(t.skb()).is_none());
        // SAFETY: The skb is ours and holds 48 linear bytes.
        unsafe { bindings::skb_pull(t.as_ptr(), 40) };
        let pkt = InputPacket::new(t.skb()).ok_or(EINVAL)?;
        assert_eq!(pkt.next_header(), 58);
        assert_eq!(pkt.saddr()[0], 0xfe);
        assert_eq!(pkt.header().len(), 8);
        // Nothing after `data`: no view.
        // SAFETY: As above.
        unsafe { bindings::skb_pull(t.as_ptr(), 8) };
        assert!(InputPacket::new(t.skb()).is_none());
        Ok(())
    }
}
