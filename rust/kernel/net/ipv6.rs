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
#[cfg(CONFIG_IPV6_MIP6)]
use core::marker::PhantomData;
use core::{
    ffi::c_int,
    mem::{
        offset_of,
        size_of, //
    }, //
};

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
}
