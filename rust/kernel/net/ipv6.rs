// SPDX-License-Identifier: GPL-2.0

//! IPv6 packet processing hooks: the raw-socket Mobility Header filter, and what the IPv6
//! input path recorded about a packet (its control block, `IP6CB`).
//!
//! C headers: [`include/net/rawv6.h`](srctree/include/net/rawv6.h),
//! [`include/linux/ipv6.h`](srctree/include/linux/ipv6.h)

use crate::{
    bindings,
    error::to_result,
    net::{
        namespace::Namespace,
        skbuff::SkBuff, //
    },
    prelude::*,
    transmute::{
        AsBytes,
        FromBytes, //
    }, //
};
use core::{
    ffi::c_int,
    mem::{
        offset_of,
        size_of, //
    }, //
};
#[cfg(CONFIG_IPV6_MIP6)]
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

pub mod icmp;
pub mod protocol;
pub mod tcp;

/// An IPv6 address as it appears on the wire (`struct in6_addr`).
pub type Addr = [u8; 16];

/// The fixed IPv6 header (RFC 8200 section 3, `struct ipv6hdr`) as it lies in a packet: a
/// view of packet bytes made with [`FromBytes`], read and written in place.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Header {
    /// Version, Traffic Class and Flow Label.
    pub vtc_flow: [u8; 4],
    /// Payload Length, network byte order.
    pub payload_len: [u8; 2],
    /// Next Header: what follows this header.
    pub nexthdr: u8,
    /// Hop Limit.
    pub hop_limit: u8,
    /// Source address.
    pub saddr: Addr,
    /// Destination address.
    pub daddr: Addr,
}

// The layout is `struct ipv6hdr`'s (whose addresses sit in an anonymous union).
const _: () = {
    assert!(size_of::<Ipv6Header>() == size_of::<bindings::ipv6hdr>());
    assert!(offset_of!(Ipv6Header, nexthdr) == offset_of!(bindings::ipv6hdr, nexthdr));
    assert!(offset_of!(Ipv6Header, hop_limit) == offset_of!(bindings::ipv6hdr, hop_limit));
    assert!(offset_of!(Ipv6Header, saddr) == offset_of!(bindings::ipv6hdr, __bindgen_anon_1));
    assert!(offset_of!(Ipv6Header, daddr) == Ipv6Header::LEN - size_of::<bindings::in6_addr>());
};

// SAFETY: Byte arrays and bytes only: any bit pattern is valid, the alignment is 1.
unsafe impl FromBytes for Ipv6Header {}
// SAFETY: Byte arrays and bytes only: no padding, no uninitialised bytes.
unsafe impl AsBytes for Ipv6Header {}

impl Ipv6Header {
    /// Bytes of the header.
    pub const LEN: usize = size_of::<Self>();
}

impl SkBuff {
    /// The IPv6 header at the network header: a view in place when it lies in the linear part
    /// (the usual case), else of `buf` after copying it out; `None` when the packet is shorter.
    #[inline]
    pub fn ipv6_header<'a>(&'a self, buf: &'a mut [u8; Ipv6Header::LEN]) -> Option<&'a Ipv6Header> {
        let bytes = self.network_bytes(0, buf)?;
        Ipv6Header::from_bytes(bytes)
    }

    /// Offset of the Destination Options header that carried a Home Address option (the
    /// option has been processed: the addresses are swapped back), from the network header;
    /// 0 when there was none.
    pub fn ip6_dsthao(&self) -> u16 {
        // SAFETY: The skb is live (type invariant); its control block is IPv6's on the IPv6
        // input path, where the callers that ask run.
        unsafe { bindings::rv6_ip6cb_dsthao(self.as_raw()) }
    }

    /// The offset from the network header of the first option of type `kind` in the
    /// Hop-by-Hop or Destination Options header `offset` bytes after the network header
    /// (`ipv6_find_tlv`); `None` when there is none, or when the header is malformed or not
    /// all in the linear part.
    pub fn ipv6_find_tlv(&self, offset: u16, kind: u8) -> Option<usize> {
        // SAFETY: The skb is live (type invariant); the function reads only its linear part.
        let at = unsafe {
            bindings::ipv6_find_tlv(self.as_raw(), c_int::from(offset), c_int::from(kind))
        };
        usize::try_from(at).ok()
    }

    /// The interface the packet arrived on (`IP6CB(skb)->iif`).
    pub fn ip6_iif(&self) -> i32 {
        // SAFETY: As in `ip6_dsthao`.
        unsafe { bindings::rv6_ip6cb_iif(self.as_raw()) }
    }

    /// The packet's receive timestamp in nanoseconds (`skb->tstamp`), 0 when unset.
    pub fn tstamp(&self) -> i64 {
        // SAFETY: The skb is live.
        unsafe { bindings::rv6_skb_tstamp(self.as_raw()) }
    }

    /// Offset of the transport header from the network header (`skb_network_header_len`).
    pub fn network_header_len(&self) -> u32 {
        // SAFETY: The skb is live.
        unsafe { bindings::skb_network_header_len(self.as_raw()) }
    }

    /// Offset of the transport header from `skb->data` (negative when `data` is past it).
    pub fn transport_offset(&self) -> i32 {
        // SAFETY: The skb is live.
        unsafe { bindings::skb_transport_offset(self.as_raw()) }
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
/// A received Mobility Header packet that raw sockets are about to get.
///
/// # Invariants
///
/// `skb` is an IPv6 packet whose transport header is a Mobility Header, owned by the raw
/// socket layer for the duration of the filter call.
pub struct MhPacket<'a> {
    skb: &'a SkBuff,
    net: &'a Namespace,
}

#[cfg(CONFIG_IPV6_MIP6)]
impl MhPacket<'_> {
    /// The packet, to read.
    pub fn skb(&self) -> &SkBuff {
        self.skb
    }

    /// The network namespace of the raw socket the packet is for.
    pub fn net(&self) -> &Namespace {
        self.net
    }

    /// Bytes from the Mobility Header to the end of the packet.
    pub fn mh_len(&self) -> u32 {
        let off = self.skb.transport_offset();
        (i64::from(self.skb.len()) - i64::from(off)).clamp(0, i64::from(u32::MAX)) as u32
    }

    /// Reads `buf.len()` bytes of the Mobility Header starting `offset` bytes into it.
    pub fn mh_bytes<'b>(&'b self, offset: usize, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let start = usize::try_from(self.skb.transport_offset()).ok()?;
        self.skb.bytes(start.checked_add(offset)?, buf)
    }

    /// Sends an ICMPv6 Parameter Problem (`code`, RFC 4443 §3.4) for the packet, whose
    /// Pointer is `mh_offset` bytes into the Mobility Header.  Rate-limited by ICMPv6.
    ///
    /// Takes `&mut self`: on a packet that carried a Home Address option, ICMPv6 swaps the
    /// addresses in place for the duration of the call, so no view of the packet may be
    /// alive across it.
    pub fn param_prob(&mut self, code: u8, mh_offset: u32) {
        let pointer = self.skb.network_header_len().saturating_add(mh_offset);
        // SAFETY: The skb is live and not borrowed by any view (`&mut self`); ICMPv6 only
        // reads it, save the temporary address swap described above.
        unsafe { bindings::rv6_icmpv6_param_prob(self.skb.as_raw(), code, pointer) };
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
/// A Mobility Header filter: decides, once per raw socket bound to `IPPROTO_MH`, whether
/// the packet may be delivered.  The Mobile IPv6 daemon then sees only well-formed headers.
pub trait MhFilter: 'static {
    /// `Ok` delivers the packet; an error drops it for this and every later socket.
    fn filter(pkt: &mut MhPacket<'_>) -> Result;
}

#[cfg(CONFIG_IPV6_MIP6)]
/// Installs `T` as the raw-socket Mobility Header filter while it lives.
///
/// The kernel has one filter slot and registration replaces what is there: whoever
/// registers must be the only Mobility Header handler (for rv6, registering the Mobile IPv6
/// XFRM types first settles that, since those fail with `EEXIST` while `mip6.ko` is loaded).
///
/// # Invariants
///
/// `mh_filter_callback::<T>` is the installed filter.
pub struct MhFilterRegistration<T: MhFilter> {
    _filter: PhantomData<T>,
}

#[cfg(CONFIG_IPV6_MIP6)]
impl<T: MhFilter> MhFilterRegistration<T> {
    /// Installs the filter.
    pub fn new() -> Result<Self> {
        // SAFETY: The callback is valid until `drop` uninstalls it (and waits for RCU readers).
        to_result(unsafe { bindings::rawv6_mh_filter_register(Some(mh_filter_callback::<T>)) })?;
        Ok(Self {
            _filter: PhantomData,
        })
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
impl<T: MhFilter> Drop for MhFilterRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: Uninstalls our filter; the call waits for running filters (synchronize_rcu).
        unsafe { bindings::rawv6_mh_filter_unregister(Some(mh_filter_callback::<T>)) };
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
/// `mh_filter`: runs [`MhFilter::filter`] on a Mobility Header packet for one raw socket.
///
/// # Safety
///
/// `sk` must be a live raw IPv6 socket of protocol `IPPROTO_MH`, and `skb` a live IPv6 packet
/// whose transport header is a Mobility Header, owned by the caller for the call and used by
/// nothing else during it, under RCU, as `ipv6_raw_deliver()` passes them to the installed
/// filter.
unsafe extern "C" fn mh_filter_callback<T: MhFilter>(
    sk: *mut bindings::sock,
    skb: *mut bindings::sk_buff,
) -> c_int {
    // SAFETY: The raw socket layer owns the live packet for the call and passes it only to us.
    let skb = unsafe { SkBuff::from_raw(skb) };
    // SAFETY: `sk` is the live raw socket the packet is delivered to, which holds its
    // namespace for the call.
    let net = unsafe { Namespace::from_raw(bindings::sock_net(sk)) };
    let mut pkt = MhPacket { skb, net };
    match T::filter(&mut pkt) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
/// A packet an ICMPv6 error quotes (RFC 4443 §2.4(c)), lent to a [`QuotedFixup`] before the
/// upper layer's error handler looks for its socket: offsets are from the quoted IPv6
/// header, where `skb->data` is.
///
/// # Invariants
///
/// `skb` is a live, unshared, received skb (its device set) whose `data` is at the quoted
/// packet's IPv6 header (the first 40 bytes in the linear part), owned by `icmpv6_notify()`
/// for `'a`, under RCU.
pub struct QuotedPacket<'a> {
    skb: NonNull<bindings::sk_buff>,
    /// The error's type, code and information (a Packet Too Big's MTU), host order.
    error: (u8, u8, u32),
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

#[cfg(CONFIG_IPV6_MIP6)]
impl<'a> QuotedPacket<'a> {
    fn skb(&self) -> &SkBuff {
        // SAFETY: By the type invariant the skb is live; nothing modifies it while `&self` is
        // borrowed (only `swap`, which takes `&mut self`, does).
        unsafe { SkBuff::from_raw(self.skb.as_ptr()) }
    }

    /// The error's ICMPv6 type (RFC 4443), e.g. 2 for Packet Too Big.
    pub fn error_type(&self) -> u8 {
        self.error.0
    }

    /// The error's code.
    pub fn error_code(&self) -> u8 {
        self.error.1
    }

    /// The error's 32 bits of information: a Packet Too Big's MTU, a Parameter Problem's
    /// pointer.
    pub fn error_info(&self) -> u32 {
        self.error.2
    }

    /// For a Packet Too Big, records its MTU as the path MTU between the quoted packet's
    /// addresses as they are now (`ip6_update_pmtu()`): called before [`QuotedPacket::swap`],
    /// for the path the packet took on the wire.  Nothing for other errors.
    pub fn update_pmtu(&self) {
        if u32::from(self.error.0) != bindings::ICMPV6_PKT_TOOBIG {
            return;
        }
        let net = self.net();
        // SAFETY: The skb is live with its quoted IPv6 header at `data` (type invariant);
        // `ip6_update_pmtu()` reads the addresses there and records the exception in `net`,
        // which is live.
        unsafe {
            bindings::ip6_update_pmtu(
                self.skb.as_ptr(),
                net.as_raw(),
                self.error.2.to_be(),
                0,
                0,
                bindings::sock_net_uid(net.as_raw(), core::ptr::null()),
            )
        };
    }

    /// Bytes of the quoted packet (as much of it as the error carried).
    pub fn len(&self) -> usize {
        self.skb().len() as usize
    }

    /// Whether the error quotes nothing (never: the IPv6 header is there).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads `buf.len()` bytes from `offset`: in place when they are in the linear part, else
    /// copied into `buf`; `None` when the quote is shorter.
    pub fn bytes<'b>(&'b self, offset: usize, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        self.skb().bytes(offset, buf)
    }

    /// The namespace of the device the error arrived on (which [`QuotedPacket::swap`] does
    /// not change).
    pub fn net(&self) -> &'a Namespace {
        // SAFETY: The skb is a live received packet with its device set (type invariant) for
        // `'a`.
        unsafe { protocol::dev_net_of(self.skb) }
    }

    /// Swaps the addresses at offsets `a` and `b` (16 bytes each), making the head writable
    /// first (`skb_ensure_writable()`: a clone's data, which a raw or packet socket may
    /// share, is copied).  Fails with `EINVAL` when either lies beyond the quote, or with
    /// `ENOMEM`.
    pub fn swap(&mut self, a: usize, b: usize) -> Result {
        let end = a.max(b).checked_add(16).ok_or(EINVAL)?;
        let (lo, hi) = (a.min(b), a.max(b));
        if end > self.len() || (lo != hi && lo + 16 > hi) {
            return Err(EINVAL);
        }
        let n = u32::try_from(end).map_err(|_| EINVAL)?;
        // SAFETY: The skb is live and unshared (type invariant), and no view of it is alive
        // (`&mut self`); `skb_ensure_writable` may move its head.
        to_result(unsafe { bindings::skb_ensure_writable(self.skb.as_ptr(), n) })?;
        // SAFETY: `skb_ensure_writable` made the first `end` bytes from `data` linear and
        // private to this skb; `a` and `b` name two 16-byte ranges in them that do not overlap
        // (checked above) or are the same.
        unsafe {
            let data = (*self.skb.as_ptr()).data;
            if a != b {
                core::ptr::swap_nonoverlapping(data.add(a), data.add(b), 16);
            }
        }
        Ok(())
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
/// Restores the addresses of a route-optimised packet that an ICMPv6 error quotes, so that
/// the upper layer finds the socket by the home address (RFC 6275 §6.3, §6.4): the hook of
/// `icmpv6_notify()` for Mobile IPv6.
pub trait QuotedFixup: 'static {
    /// Called for every ICMPv6 error (and Redirect) the host receives.
    fn fixup(pkt: &mut QuotedPacket<'_>);
}

#[cfg(CONFIG_IPV6_MIP6)]
/// Sets `T` as the kernel's [`QuotedFixup`] while it lives.
///
/// # Invariants
///
/// `quoted_fixup_callback::<T>` is the hook set.
pub struct QuotedFixupRegistration<T: QuotedFixup> {
    _fixup: PhantomData<T>,
}

#[cfg(CONFIG_IPV6_MIP6)]
impl<T: QuotedFixup> QuotedFixupRegistration<T> {
    /// Sets the hook; `EBUSY` when another module has set one.
    pub fn new() -> Result<Self> {
        // SAFETY: The callback is valid until `drop` clears it (and waits for running calls).
        to_result(unsafe {
            bindings::icmpv6_mip6_quoted_register(Some(quoted_fixup_callback::<T>))
        })?;
        Ok(Self {
            _fixup: PhantomData,
        })
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
impl<T: QuotedFixup> Drop for QuotedFixupRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: Clears our hook; the call waits for running ones (synchronize_rcu).
        unsafe { bindings::icmpv6_mip6_quoted_unregister(Some(quoted_fixup_callback::<T>)) };
    }
}

#[cfg(CONFIG_IPV6_MIP6)]
/// `icmpv6_mip6_quoted_t`: runs [`QuotedFixup::fixup`] on the packet an error (of type
/// `kind`, `code`, `info`) quotes.
///
/// # Safety
///
/// `skb` must be a live, unshared skb whose `data` is at the quoted IPv6 header, with its 40
/// bytes pulled, owned by the caller for the call, under RCU, as `icmpv6_notify()` passes it.
unsafe extern "C" fn quoted_fixup_callback<T: QuotedFixup>(
    skb: *mut bindings::sk_buff,
    kind: u8,
    code: u8,
    info: bindings::__be32,
) {
    let Some(skb) = NonNull::new(skb) else {
        return;
    };
    // INVARIANT: As the caller promises.
    let mut pkt = QuotedPacket {
        skb,
        error: (kind, code, u32::from_be(info)),
        _p: PhantomData,
    };
    T::fixup(&mut pkt);
}

#[kunit_tests(rust_kernel_net_ipv6)]
mod tests {
    use super::*;

    #[test]
    fn the_header_view_reads_and_writes_in_place() -> Result {
        let mut b = [0u8; Ipv6Header::LEN + 1];
        b[0] = 0x60;
        b[6] = bindings::IPPROTO_ICMPV6 as u8;
        b[7] = 64;
        b[8] = 0x20;
        b[24] = 0xff;
        let (ip, rest) = Ipv6Header::from_bytes_mut_prefix(&mut b).ok_or(EINVAL)?;
        assert_eq!(rest.len(), 1);
        assert_eq!((ip.vtc_flow[0] >> 4, ip.hop_limit), (6, 64));
        assert_eq!(u32::from(ip.nexthdr), bindings::IPPROTO_ICMPV6);
        assert_eq!((ip.saddr[0], ip.daddr[0]), (0x20, 0xff));
        ip.daddr = ip.saddr;
        assert_eq!(b[24], 0x20);
        // Too short for a header.
        assert!(Ipv6Header::from_bytes_prefix(&b[..Ipv6Header::LEN - 1]).is_none());
        Ok(())
    }

    #[cfg(CONFIG_IPV6_MIP6)]
    #[test]
    fn a_quoted_packet_swaps_within_bounds_and_leaves_clones_alone() -> Result {
        use crate::net::skbuff::TestSkb;
        let mut data = [0u8; 72];
        for (i, b) in data.iter_mut().enumerate() {
            *b = i as u8;
        }
        let t = TestSkb::new(&data)?;
        // A clone shares the data, as a packet socket's copy does.
        // SAFETY: The skb is ours and live; the clone is freed below.
        let clone = unsafe { bindings::skb_clone(t.as_ptr(), GFP_KERNEL.as_raw()) };
        let clone = NonNull::new(clone).ok_or(ENOMEM)?;
        let mut pkt = QuotedPacket {
            skb: NonNull::new(t.as_ptr()).ok_or(EINVAL)?,
            error: (2, 0, 1280),
            _p: PhantomData,
        };
        assert_eq!(
            (pkt.len(), pkt.error_type(), pkt.error_info()),
            (72, 2, 1280)
        );
        pkt.swap(24, 56)?;
        let mut buf = [0u8; 16];
        assert_eq!(pkt.bytes(24, &mut buf).ok_or(EINVAL)?[0], 56);
        assert_eq!(pkt.bytes(56, &mut buf).ok_or(EINVAL)?[0], 24);
        // Beyond the quote, overlapping: refused, nothing moved.
        assert_eq!(pkt.swap(24, 57), Err(EINVAL));
        assert_eq!(pkt.swap(8, 20), Err(EINVAL));
        assert_eq!(pkt.swap(usize::MAX - 4, 8), Err(EINVAL));
        pkt.swap(8, 8)?;
        assert_eq!(pkt.bytes(8, &mut buf).ok_or(EINVAL)?[0], 8);
        // SAFETY: The clone is live until freed here.
        let cloned = unsafe { SkBuff::from_raw(clone.as_ptr()) };
        let mut b2 = [0u8; 1];
        assert_eq!(cloned.network_bytes(24, &mut b2), Some(&[24u8][..]));
        // SAFETY: Ours.
        unsafe { bindings::kfree_skb(clone.as_ptr()) };
        Ok(())
    }
}
