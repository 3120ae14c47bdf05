// SPDX-License-Identifier: GPL-2.0

//! Handlers for IPv6 Next Header values the core does not process itself.
//!
//! A [`Handler`] registered with a [`Registration`] receives every packet whose next header
//! is its protocol (`inet6_add_protocol`), after the headers before it.  It either consumes
//! the packet, drops it, or, for a header inside an extension-header chain, hands it back to
//! the IPv6 input path to go on with the header it names, as the core's own extension-header
//! handlers do ([`Verdict::Next`]).  [`ExtHeaderOffload`] lets GSO and GRO walk past such a
//! header (`INET6_PROTO_GSO_EXTHDR`), so that TCP segmentation still works with it in place.
//!
//! A handler also hears the ICMPv6 errors about packets that carried its header
//! ([`Handler::error`]): a header that rewrote the packet's addresses can put the ones the
//! upper layer knows back in the quoted packet and pass the error on
//! ([`IcmpError::deliver`]), as the input path passes a packet on.
//!
//! The tables are built in constant context and registered by address, as C modules do.
//!
//! C header: [`include/net/protocol.h`](srctree/include/net/protocol.h)

use crate::{
    bindings,
    error::to_result,
    net::{
        namespace::Namespace,
        skbuff::SkBuff, //
    },
    prelude::*, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// An IPv6 address as it appears on the wire.
pub type Addr = [u8; 16];

/// Offset of the source address in the IPv6 header (the destination follows it).
const IPV6_SADDR: usize = 8;

/// The namespace of the device `skb` arrived on.
///
/// # Safety
///
/// `skb` is a live received packet, with its device set, for `'a`.
pub(crate) unsafe fn dev_net_of<'a>(skb: NonNull<bindings::sk_buff>) -> &'a Namespace {
    // SAFETY: The device holds its namespace while it holds packets (by the caller).
    unsafe {
        let dev = (*skb.as_ptr())
            .__bindgen_anon_1
            .__bindgen_anon_1
            .__bindgen_anon_1
            .dev;
        Namespace::from_raw(bindings::dev_net(dev))
    }
}

/// What becomes of a packet a [`Handler`] has seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The handler's header, `len` bytes whose first byte is a Next Header value, is done
    /// with: the input path goes on with the header it names.
    Next {
        /// Bytes of the handler's header.
        len: u16,
    },
    /// The packet was for the handler and has been used up (`consume_skb`).
    Consumed,
    /// The packet is dropped (`kfree_skb`); the handler counts why.
    Drop,
}

/// A received packet whose transport header is the handler's header, lent to
/// [`Handler::receive`].
///
/// # Invariants
///
/// `skb` is a live IPv6 packet on the input path, owned by the caller of the handler for the
/// duration of the call; its network header (the IPv6 header) lies in the linear head, and
/// `skb->data` is at the handler's header.
pub struct Inbound<'a> {
    skb: NonNull<bindings::sk_buff>,
    _skb: PhantomData<&'a mut SkBuff>,
}

impl<'a> Inbound<'a> {
    /// The packet, to read.
    #[inline]
    pub fn skb(&self) -> &SkBuff {
        // SAFETY: The packet is live for `'a` (type invariant); while `&self` is borrowed
        // nothing modifies it.
        unsafe { SkBuff::from_raw(self.skb.as_ptr()) }
    }

    /// The network namespace of the interface the packet arrived on.
    #[inline]
    pub fn net(&self) -> &Namespace {
        // SAFETY: An input packet is live for the call (type invariant) with its receiving
        // device set.
        unsafe { dev_net_of(self.skb) }
    }

    /// The first `len` bytes from the handler's header on, made linear first
    /// (`pskb_may_pull`); `None` when the packet is shorter or memory is short.
    #[inline]
    pub fn header(&mut self, len: usize) -> Option<&[u8]> {
        let skb = self.skb.as_ptr();
        let ulen = u32::try_from(len).ok()?;
        // SAFETY: The packet is ours for the call (type invariant) and no view of its bytes is
        // alive (`&mut self`): pulling may move the head.
        if !unsafe { bindings::pskb_may_pull(skb, ulen) } {
            return None;
        }
        // SAFETY: `pskb_may_pull` made `[data, data + len)` linear; the bytes stay valid and
        // unchanged while `self` is borrowed.
        Some(unsafe { core::slice::from_raw_parts((*skb).data, len) })
    }

    /// The source and destination addresses of the IPv6 header.
    #[inline]
    pub fn addresses(&self) -> (Addr, Addr) {
        let mut a = [0u8; 2 * 16];
        a.copy_from_slice(self.addresses_slot());
        let (mut src, mut dst) = ([0u8; 16], [0u8; 16]);
        src.copy_from_slice(&a[..16]);
        dst.copy_from_slice(&a[16..]);
        (src, dst)
    }

    /// The 32 address bytes of the IPv6 header, in the linear head.
    #[inline]
    fn addresses_slot(&self) -> &[u8] {
        let skb = self.skb.as_ptr();
        // SAFETY: The packet is live (type invariant).
        let (_, network, _) = unsafe { crate::net::skbuff::header_offsets(skb) };
        // SAFETY: The IPv6 header lies in the linear head (type invariant), at `network` from
        // `head`; nothing modifies it while `self` is borrowed.
        unsafe {
            let nh = (*skb).head.add(usize::from(network));
            core::slice::from_raw_parts(nh.add(IPV6_SADDR), 2 * 16)
        }
    }

    /// Rewrites the source and destination addresses of the IPv6 header, as the Home Address
    /// option and the type 2 Routing Header do: the packet's head is unshared first, and a
    /// receive checksum that covers the header (`CHECKSUM_COMPLETE`) follows the change.
    ///
    /// Fails with `ENOMEM` when the head cannot be unshared, leaving the packet as it was.
    pub fn set_addresses(&mut self, src: &Addr, dst: &Addr) -> Result {
        let skb = self.skb.as_ptr();
        // SAFETY: The packet is ours for the call (type invariant); no view of its bytes is
        // alive (`&mut self`), so the head may be reallocated.
        unsafe {
            if bindings::skb_cloned(skb) != 0
                && bindings::pskb_expand_head(skb, 0, 0, GFP_ATOMIC.as_raw()) != 0
            {
                return Err(ENOMEM);
            }
        }
        let (_, network, _) = {
            // SAFETY: As above; the head is now ours alone.
            unsafe { crate::net::skbuff::header_offsets(skb) }
        };
        // SAFETY: The IPv6 header lies in the unshared linear head at `network` (type
        // invariant); its address bytes are written in place, exclusively (`&mut self`).
        // The receive checksum, if complete, is taken off the old bytes and put on the new
        // ones (`skb_postpull_rcsum` / `skb_postpush_rcsum`, at an even offset from `data`,
        // as the header is 8-byte aligned relative to it).
        unsafe {
            let a = (*skb).head.add(usize::from(network) + IPV6_SADDR);
            bindings::skb_postpull_rcsum(skb, a.cast(), 2 * 16);
            core::ptr::copy_nonoverlapping(src.as_ptr(), a, 16);
            core::ptr::copy_nonoverlapping(dst.as_ptr(), a.add(16), 16);
            bindings::skb_postpush_rcsum(skb, a.cast(), 2 * 16);
        }
        Ok(())
    }
}

/// An ICMPv6 error whose quoted packet carried a [`Handler`]'s header, lent to
/// [`Handler::error`].
///
/// # Invariants
///
/// `skb` is a live ICMPv6 error on the input path, owned by `icmpv6_notify()` for the call,
/// with `data` at the quoted packet's IPv6 header (40 bytes linear) and the handler's header
/// at `offset` from it; `opt` is its control block.
pub struct IcmpError<'a> {
    skb: NonNull<bindings::sk_buff>,
    opt: *mut bindings::inet6_skb_parm,
    icmp_type: u8,
    code: u8,
    offset: usize,
    info: u32,
    _skb: PhantomData<&'a mut SkBuff>,
}

impl<'a> IcmpError<'a> {
    /// The ICMPv6 type (`ICMPV6_PKT_TOOBIG`, ...).
    pub fn icmp_type(&self) -> u8 {
        self.icmp_type
    }

    /// The ICMPv6 code.
    pub fn code(&self) -> u8 {
        self.code
    }

    /// The type-specific word (the MTU of a Packet Too Big, the pointer of a Parameter
    /// Problem), in host order.
    pub fn info(&self) -> u32 {
        u32::from_be(self.info)
    }

    /// The network namespace of the interface the error arrived on.
    pub fn net(&self) -> &Namespace {
        // SAFETY: The error is live for the call (type invariant), with its receiving device.
        unsafe { dev_net_of(self.skb) }
    }

    /// The first `len` bytes of the handler's header in the quoted packet, made linear first;
    /// `None` when the quote is shorter or memory is short.
    pub fn header(&mut self, len: usize) -> Option<&[u8]> {
        let skb = self.skb.as_ptr();
        let end = u32::try_from(self.offset.checked_add(len)?).ok()?;
        // SAFETY: The packet is ours for the call (type invariant) and no view of its bytes is
        // alive (`&mut self`): pulling may move the head.
        if !unsafe { bindings::pskb_may_pull(skb, end) } {
            return None;
        }
        // SAFETY: `[data, data + end)` is linear now; it stays so while `self` is borrowed.
        Some(unsafe { core::slice::from_raw_parts((*skb).data.add(self.offset), len) })
    }

    /// The source and destination addresses of the quoted packet.
    pub fn addresses(&self) -> (Addr, Addr) {
        let (mut src, mut dst) = ([0u8; 16], [0u8; 16]);
        // SAFETY: The quoted IPv6 header is linear at `data` (type invariant).
        unsafe {
            let h = (*self.skb.as_ptr()).data.add(IPV6_SADDR);
            core::ptr::copy_nonoverlapping(h, src.as_mut_ptr(), 16);
            core::ptr::copy_nonoverlapping(h.add(16), dst.as_mut_ptr(), 16);
        }
        (src, dst)
    }

    /// Rewrites the quoted packet's addresses, keeping a complete receive checksum exact.
    /// Fails with `ENOMEM` when the quote cannot be made writable, leaving it as it was.
    pub fn set_addresses(&mut self, src: &Addr, dst: &Addr) -> Result {
        let skb = self.skb.as_ptr();
        // SAFETY: The packet is ours for the call (type invariant); no view of its bytes is
        // alive (`&mut self`), so its head may be unshared.
        to_result(unsafe { bindings::skb_ensure_writable(skb, IPV6_SADDR as c_uint + 32) })?;
        // SAFETY: The first 40 bytes from `data` are linear and ours alone now; the checksum
        // moves off the old bytes and onto the new ones, as in `Inbound::set_addresses`.
        unsafe {
            let a = (*skb).data.add(IPV6_SADDR);
            bindings::skb_postpull_rcsum(skb, a.cast(), 2 * 16);
            core::ptr::copy_nonoverlapping(src.as_ptr(), a, 16);
            core::ptr::copy_nonoverlapping(dst.as_ptr(), a.add(16), 16);
            bindings::skb_postpush_rcsum(skb, a.cast(), 2 * 16);
        }
        Ok(())
    }

    /// What the route of the quoted packet learns from the error, as the IPsec transforms'
    /// error handlers do (`esp6_err()`): a Packet Too Big lowers the Path MTU towards its
    /// destination, a Redirect moves its next hop.  Call it before the addresses are changed:
    /// the route is the one for the addresses the packet went out with.
    pub fn update_route(&self) {
        let skb = self.skb.as_ptr();
        let net = self.net().as_raw();
        // SAFETY: The packet and its namespace are live for the call (type invariants); the
        // quoted IPv6 header, which the functions read, is linear at `data`.
        unsafe {
            let uid = bindings::sock_net_uid(net, core::ptr::null());
            match u32::from(self.icmp_type) {
                bindings::ICMPV6_PKT_TOOBIG => {
                    bindings::ip6_update_pmtu(skb, net, self.info, 0, 0, uid)
                }
                bindings::NDISC_REDIRECT => bindings::ip6_redirect(skb, net, 0, 0, uid),
                _ => {}
            }
        }
    }

    /// Passes the error on past the handler's header, `len` bytes whose first byte names the
    /// next header: extension headers after it are skipped as `icmpv6_notify()` skips them,
    /// and the error handler of the protocol found (TCP's, UDP's, ...) gets it.  Returns
    /// whether one did.
    pub fn deliver(self, len: usize) -> bool {
        let skb = self.skb.as_ptr();
        let Some(start) = self
            .offset
            .checked_add(len)
            .and_then(|s| c_int::try_from(s).ok())
        else {
            return false;
        };
        // SAFETY: The packet is ours for the call (type invariant); the handler's first byte
        // is linear (the caller read its header); the core's functions bound every read.
        unsafe {
            if !bindings::pskb_may_pull(skb, start as c_uint) {
                return false;
            }
            let mut next = *(*skb).data.add(self.offset);
            let mut inner = start;
            if bindings::ipv6_ext_hdr(next) {
                let mut frag_off: bindings::__be16 = 0;
                inner = bindings::ipv6_skip_exthdr(skb, start, &mut next, &mut frag_off);
                if inner < 0 {
                    return false;
                }
            }
            // Like `icmpv6_notify()`: 8 bytes of the inner header, and never to raw IPv6.
            if next == bindings::IPPROTO_RAW as u8
                || !bindings::pskb_may_pull(skb, inner as c_uint + 8)
            {
                return false;
            }
            // The caller, `icmpv6_notify()`, holds the RCU read lock.
            let proto = bindings::rv6_inet6_protocol(next);
            match proto.as_ref().and_then(|p| p.err_handler) {
                Some(err) => {
                    err(skb, self.opt, self.icmp_type, self.code, inner, self.info);
                    true
                }
                None => false,
            }
        }
    }
}

/// A receive handler for one IPv6 Next Header value.
pub trait Handler: Sized + 'static {
    /// The Next Header value handled.
    const PROTO: u8;

    /// Receives a packet whose header at `skb->data` is of this protocol.  Runs in softirq
    /// context under RCU.
    fn receive(pkt: &mut Inbound<'_>) -> Verdict;

    /// An ICMPv6 error about a packet that carried this header (the raw sockets of the
    /// protocol get their copy after this returns).  Softirq context, under RCU.  By default
    /// nothing more happens.
    fn error(_err: IcmpError<'_>) {}
}

/// The handler table of `T`, built in constant context.
struct Tables<T: Handler>(PhantomData<T>);

impl<T: Handler> Tables<T> {
    /// Not a final protocol (the input path may go on after it) and no XFRM policy check
    /// before it, like the core's extension headers.
    const PROTOCOL: bindings::inet6_protocol = bindings::inet6_protocol {
        handler: Some(receive_callback::<T>),
        err_handler: Some(error_callback::<T>),
        flags: bindings::INET6_PROTO_NOPOLICY,
        secret: 0,
    };
}

/// Registers the handler `T` for its Next Header value while it lives.
///
/// # Invariants
///
/// `Tables::<T>::PROTOCOL` is registered for `T::PROTO`.
pub struct Registration<T: Handler> {
    _handler: PhantomData<T>,
}

impl<T: Handler> Registration<T> {
    /// Registers the handler; `EBUSY` when another serves the protocol.
    pub fn new() -> Result<Self> {
        // SAFETY: The table is a constant promoted to a static, valid for the kernel's
        // lifetime as a C module's would be; its callback is valid until `drop` unregisters it.
        if unsafe { bindings::inet6_add_protocol(&Tables::<T>::PROTOCOL, T::PROTO) } != 0 {
            return Err(EBUSY);
        }
        Ok(Self {
            _handler: PhantomData,
        })
    }
}

impl<T: Handler> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant); `inet6_del_protocol` waits for the handlers
        // running on other CPUs (`synchronize_net`) before it returns.
        unsafe { bindings::inet6_del_protocol(&Tables::<T>::PROTOCOL, T::PROTO) };
    }
}

/// `inet6_protocol.handler`: lends the packet to [`Handler::receive`] and acts on its verdict.
///
/// # Safety
///
/// `skb`, unless null, must be a live IPv6 packet on the input path that the call takes over (it
/// is freed, consumed, or handed back for the next header by returning 1), with its IPv6 header
/// in the linear head and `data` at the header of `T::PROTO`, in softirq context under RCU, as
/// `ip6_protocol_deliver_rcu()` passes it to the handler `T` registered.
unsafe extern "C" fn receive_callback<T: Handler>(skb: *mut bindings::sk_buff) -> c_int {
    let Some(nn) = NonNull::new(skb) else {
        return -1;
    };
    // INVARIANT: The IPv6 input path calls the handler with a live packet it owns, whose IPv6
    // header is in the linear head and whose `data` is at the handler's header.
    let verdict = {
        let mut pkt = Inbound {
            skb: nn,
            _skb: PhantomData,
        };
        T::receive(&mut pkt)
    };
    // SAFETY: The packet is ours again (no view of it outlives `receive`).
    unsafe {
        match verdict {
            Verdict::Next { len } => {
                if len == 0 || !bindings::pskb_may_pull(skb, u32::from(len)) {
                    bindings::kfree_skb(skb);
                    return -1;
                }
                // The header just done names the next one in its first byte: point the chain
                // at it and step over the header, as `ipv6_destopt_rcv()` does.
                let nhoff = bindings::skb_network_header_len(skb);
                match u16::try_from(nhoff) {
                    Ok(nhoff) => bindings::rv6_ip6cb_set_nhoff(skb, nhoff),
                    Err(_) => {
                        bindings::kfree_skb(skb);
                        return -1;
                    }
                }
                bindings::skb_set_transport_header(skb, c_int::from(len));
                1
            }
            Verdict::Consumed => {
                bindings::rv6_consume_skb(skb);
                0
            }
            Verdict::Drop => {
                bindings::kfree_skb(skb);
                -1
            }
        }
    }
}

/// `inet6_protocol.err_handler`: lends an ICMPv6 error to [`Handler::error`].
///
/// # Safety
///
/// `skb`, unless null, must be a live ICMPv6 error owned by the caller for the call, with `data`
/// at the quoted packet's IPv6 header (40 bytes linear), `offset` the offset of the header of
/// `T::PROTO` from it and `opt` the packet's control block, in softirq context under RCU, as
/// `icmpv6_notify()` passes them to the error handler `T` registered.
unsafe extern "C" fn error_callback<T: Handler>(
    skb: *mut bindings::sk_buff,
    opt: *mut bindings::inet6_skb_parm,
    icmp_type: u8,
    code: u8,
    offset: c_int,
    info: bindings::__be32,
) -> c_int {
    let (Some(nn), Ok(offset)) = (NonNull::new(skb), usize::try_from(offset)) else {
        return -(bindings::EINVAL as c_int);
    };
    // INVARIANT: `icmpv6_notify()` calls the handler with the error it owns, `data` at the
    // quoted IPv6 header (pulled) and `offset` at the handler's header within it.
    T::error(IcmpError {
        skb: nn,
        opt,
        icmp_type,
        code,
        offset,
        info,
        _skb: PhantomData,
    });
    0
}

/// The offload entry of an extension header: GSO segmentation and GRO walk past a header of
/// this protocol (8-octet units in its second byte, the next header in its first) instead of
/// stopping at it, while registered.
///
/// # Invariants
///
/// `OFFLOAD` is registered for `proto`.
pub struct ExtHeaderOffload {
    proto: u8,
}

impl ExtHeaderOffload {
    const OFFLOAD: bindings::net_offload = bindings::net_offload {
        callbacks: bindings::offload_callbacks {
            gso_segment: None,
            gro_receive: None,
            gro_complete: None,
        },
        flags: bindings::INET6_PROTO_GSO_EXTHDR,
        secret: 0,
    };

    /// Registers the entry for `proto`; `EBUSY` when the protocol has one.
    pub fn new(proto: u8) -> Result<Self> {
        // SAFETY: The entry is a constant promoted to a static; it carries no callbacks.
        if unsafe { bindings::inet6_add_offload(&Self::OFFLOAD, proto) } != 0 {
            return Err(EBUSY);
        }
        Ok(Self { proto })
    }
}

impl Drop for ExtHeaderOffload {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant); `inet6_del_offload` waits for its readers.
        unsafe { bindings::inet6_del_offload(&Self::OFFLOAD, self.proto) };
    }
}

#[macros::kunit_tests(rust_kernel_net_ipv6_protocol)]
mod tests {
    use super::*;

    /// RFC 3692's experimental Next Header value, which nothing in the kernel handles.
    const EXPERIMENTAL: u8 = 253;

    struct Nothing;
    impl Handler for Nothing {
        const PROTO: u8 = EXPERIMENTAL;
        fn receive(_pkt: &mut Inbound<'_>) -> Verdict {
            Verdict::Drop
        }
    }
    struct Other;
    impl Handler for Other {
        const PROTO: u8 = EXPERIMENTAL;
        fn receive(_pkt: &mut Inbound<'_>) -> Verdict {
            Verdict::Consumed
        }
    }

    #[test]
    fn a_second_handler_for_a_protocol_is_refused() -> Result {
        let first = Registration::<Nothing>::new()?;
        assert_eq!(Registration::<Other>::new().err(), Some(EBUSY));
        drop(first);
        // Unregistering freed the slot.
        let _again = Registration::<Other>::new()?;
        Ok(())
    }

    #[test]
    fn a_second_offload_for_a_protocol_is_refused() -> Result {
        let first = ExtHeaderOffload::new(EXPERIMENTAL)?;
        assert_eq!(ExtHeaderOffload::new(EXPERIMENTAL).err(), Some(EBUSY));
        drop(first);
        let _again = ExtHeaderOffload::new(EXPERIMENTAL)?;
        Ok(())
    }

    /// A linear packet with the IPv6 header at the network header and `data` past it (as the
    /// input path leaves it for a handler), freed on drop.
    struct TestSkb(NonNull<bindings::sk_buff>);

    impl TestSkb {
        fn new(bytes: &[u8], pulled: u32) -> Result<Self> {
            // SAFETY: Plain allocation; freed in `drop`.
            let skb = unsafe { bindings::alloc_skb(bytes.len() as u32 + 16, GFP_KERNEL.as_raw()) };
            let skb = NonNull::new(skb).ok_or(ENOMEM)?;
            // SAFETY: The skb is ours, linear, with room for 16 + `bytes.len()` bytes.
            unsafe {
                bindings::skb_reserve(skb.as_ptr(), 16);
                bindings::skb_reset_network_header(skb.as_ptr());
                let p = bindings::skb_put(skb.as_ptr(), bytes.len() as u32);
                core::ptr::copy_nonoverlapping(bytes.as_ptr(), p.cast::<u8>(), bytes.len());
                bindings::skb_pull(skb.as_ptr(), pulled);
            }
            Ok(Self(skb))
        }

        fn inbound(&mut self) -> Inbound<'_> {
            Inbound {
                skb: self.0,
                _skb: PhantomData,
            }
        }
    }

    impl Drop for TestSkb {
        fn drop(&mut self) {
            // SAFETY: We own the skb.
            unsafe { bindings::kfree_skb(self.0.as_ptr()) };
        }
    }

    fn packet() -> [u8; 56] {
        let mut p = [0u8; 56];
        p[0] = 0x60;
        p[6] = EXPERIMENTAL;
        for (i, b) in p[8..40].iter_mut().enumerate() {
            *b = i as u8;
        }
        p[40] = 59;
        p
    }

    #[test]
    fn the_header_is_read_from_data_and_only_within_the_packet() -> Result {
        let mut t = TestSkb::new(&packet(), 40)?;
        let mut pkt = t.inbound();
        assert_eq!(pkt.header(2), Some(&[59u8, 0][..]));
        assert_eq!(pkt.header(16).map(|h| h.len()), Some(16));
        assert_eq!(pkt.header(17), None);
        Ok(())
    }

    /// The other experimental Next Header value: an "upper layer" whose error handler the
    /// test watches.
    const EXPERIMENTAL_INNER: u8 = 254;
    /// What `Inner::error` saw: the offset of its header and the first byte of the quoted
    /// source address, or 0.
    static INNER_SAW: crate::sync::atomic::Atomic<u32> = crate::sync::atomic::Atomic::new(0);

    struct Inner;
    impl Handler for Inner {
        const PROTO: u8 = EXPERIMENTAL_INNER;
        fn receive(_pkt: &mut Inbound<'_>) -> Verdict {
            Verdict::Drop
        }
        fn error(err: IcmpError<'_>) {
            let v = (err.offset as u32) << 8 | u32::from(err.addresses().0[0]);
            INNER_SAW.store(v, crate::sync::atomic::Relaxed);
        }
    }

    #[test]
    fn an_error_goes_on_past_the_header_with_the_addresses_put_back() -> Result {
        let _inner = Registration::<Inner>::new()?;
        // The quoted packet: IPv6 (next header 253), an 8-byte header naming 254, 8 bytes.
        let mut p = [0u8; 56];
        p[..40].copy_from_slice(&packet()[..40]);
        p[40] = EXPERIMENTAL_INNER;
        let t = TestSkb::new(&p, 0)?;
        let err = IcmpError {
            skb: t.0,
            opt: core::ptr::null_mut(),
            icmp_type: 2,
            code: 0,
            offset: 40,
            info: 1280u32.to_be(),
            _skb: PhantomData,
        };
        let mut err = err;
        assert_eq!(err.info(), 1280);
        assert_eq!(err.header(8).map(|h| h[0]), Some(EXPERIMENTAL_INNER));
        assert_eq!(err.header(17), None);
        err.set_addresses(&[0xaa; 16], &[0xbb; 16])?;
        INNER_SAW.store(0, crate::sync::atomic::Relaxed);
        let rcu = crate::sync::rcu::read_lock();
        assert!(err.deliver(8));
        drop(rcu);
        // The inner handler saw its header at 48 and the rewritten source.
        assert_eq!(INNER_SAW.load(crate::sync::atomic::Relaxed), 48 << 8 | 0xaa);
        drop(t);
        Ok(())
    }

    #[test]
    fn rewriting_the_addresses_keeps_a_complete_checksum_exact() -> Result {
        let p = packet();
        let mut t = TestSkb::new(&p, 0)?;
        let skb = t.0.as_ptr();
        // SAFETY: The skb is ours and linear.  Its receive checksum covers all of it, as a
        // device's `CHECKSUM_COMPLETE` covers the packet from the network header; the input
        // path pulls up to a handler's header without changing it (`pskb_pull`).
        unsafe {
            let h = (*skb).__bindgen_anon_4.__bindgen_anon_1.as_mut();
            h.__bindgen_anon_1.csum =
                bindings::csum_partial(p.as_ptr().cast(), p.len() as c_int, 0);
            h.set_ip_summed(bindings::CHECKSUM_COMPLETE as u8);
            bindings::skb_pull(skb, 40);
        }
        let (src, dst) = ([0xaa; 16], [0xbb; 16]);
        let mut pkt = t.inbound();
        let (old_src, _) = pkt.addresses();
        assert_eq!(old_src[0], 0);
        pkt.set_addresses(&src, &dst)?;
        assert_eq!(pkt.addresses(), (src, dst));
        let mut q = p;
        q[8..24].copy_from_slice(&src);
        q[24..40].copy_from_slice(&dst);
        // SAFETY: As above; reads the checksum of our skb.
        let (got, want) = unsafe {
            (
                bindings::csum_fold(
                    (*skb)
                        .__bindgen_anon_4
                        .__bindgen_anon_1
                        .as_ref()
                        .__bindgen_anon_1
                        .csum,
                ),
                bindings::csum_fold(bindings::csum_partial(
                    q.as_ptr().cast(),
                    q.len() as c_int,
                    0,
                )),
            )
        };
        assert_eq!(got, want);
        Ok(())
    }
}
