// SPDX-License-Identifier: GPL-2.0

//! ICMPv6 messages built in Rust, and what a responder needs to know to build them: the
//! addresses a network namespace has.
//!
//! [`send`] sends one message the way `nf_send_reset6()` sends its TCP reset: a new packet,
//! routed by `ip6_route_output()` and handed to `ip6_local_out()`, so that it may run in
//! softirq context (a netfilter hook).  The caller writes the ICMPv6 message into the
//! packet; the checksum is computed here.  [`for_each_ipv6_address`] and
//! [`for_each_ipv4_address`] walk a namespace's interfaces' addresses under RCU, as
//! `inet6_dump_addr()` and `inet_dump_ifaddr()` do.
//!
//! C headers: [`include/net/ip6_route.h`](srctree/include/net/ip6_route.h),
//! [`include/net/addrconf.h`](srctree/include/net/addrconf.h),
//! [`include/linux/inetdevice.h`](srctree/include/linux/inetdevice.h)

use super::protocol::Addr;
use crate::{
    bindings,
    net::namespace::Namespace,
    prelude::*, //
};
use core::mem::offset_of;

/// An IPv6 address of an interface (`struct inet6_ifaddr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Address {
    /// The address.
    pub addr: Addr,
    /// The interface's index.
    pub ifindex: i32,
    /// `IFA_F_*` flags: tentative, deprecated, temporary, DAD failed, ...
    pub flags: u32,
}

impl Ipv6Address {
    /// Duplicate Address Detection has not finished.
    pub const TENTATIVE: u32 = bindings::IFA_F_TENTATIVE;
    /// Its preferred lifetime is over.
    pub const DEPRECATED: u32 = bindings::IFA_F_DEPRECATED;
    /// A temporary (privacy) address (`IFA_F_TEMPORARY`).
    pub const TEMPORARY: u32 = bindings::IFA_F_SECONDARY;
    /// Duplicate Address Detection failed.
    pub const DAD_FAILED: u32 = bindings::IFA_F_DADFAILED;
}

/// Converts an address to the kernel's type.
fn in6_addr(a: &Addr) -> bindings::in6_addr {
    // SAFETY: All-zero is a valid address.
    let mut raw: bindings::in6_addr = unsafe { core::mem::zeroed() };
    raw.in6_u.u6_addr8 = *a;
    raw
}

/// Calls `f` with every network device of `net`, under RCU (`for_each_netdev_rcu()`).
///
/// # Safety
///
/// The caller holds the RCU read lock for the whole call; `f` gets devices that stay valid
/// only that long.
unsafe fn for_each_netdev_rcu(net: &Namespace, mut f: impl FnMut(*mut bindings::net_device)) {
    // SAFETY: `net` is live; `dev_base_head` is its device list.
    let head_list = unsafe { &raw mut (*net.as_raw()).dev_base_head };
    // SAFETY: The list head is live; its `next` is an RCU-protected pointer, read once
    // (`rcu_dereference(list_next_rcu())`).
    let mut lh = unsafe { core::ptr::read_volatile(&raw const (*head_list).next) };
    let off = offset_of!(bindings::net_device, dev_list);
    while !lh.is_null() && lh != head_list {
        // SAFETY: `lh` is the `dev_list` member of a live device (under RCU, as the caller
        // holds it), so stepping back by its offset gives the device.
        let dev = unsafe { lh.cast::<u8>().sub(off).cast::<bindings::net_device>() };
        f(dev);
        // SAFETY: `dev` is live under RCU; `next_net_device_rcu` reads its successor as
        // `for_each_netdev_rcu` does, NULL at the end of the list.
        let next = unsafe { bindings::next_net_device_rcu(dev) };
        if next.is_null() {
            break;
        }
        // SAFETY: `next` is a live device under RCU.
        lh = unsafe { &raw mut (*next).dev_list };
    }
}

/// Calls `f` with every IPv6 address of every interface of `net` (the unicast addresses of
/// each device's `inet6_dev`, not its anycast ones), under RCU and each device's address
/// lock.  `f` must not sleep.
pub fn for_each_ipv6_address(net: &Namespace, mut f: impl FnMut(&Ipv6Address)) {
    let off = offset_of!(bindings::inet6_ifaddr, if_list);
    let visit = |dev: *mut bindings::net_device| {
        // SAFETY: `dev` is live under RCU (held below), its IPv6 state, if any, too; the
        // state's `addr_list` is protected by `idev->lock`, taken for reading around the
        // walk, as `inet6_dump_addr()` does.
        unsafe {
            let idev = bindings::__in6_dev_get(dev);
            if idev.is_null() {
                return;
            }
            let ifindex = (*dev).ifindex;
            let lock = &raw mut (*idev).lock;
            bindings::read_lock_bh(lock);
            let head = &raw mut (*idev).addr_list;
            let mut lh = (*head).next;
            while lh != head {
                let ifa = lh.cast::<u8>().sub(off).cast::<bindings::inet6_ifaddr>();
                f(&Ipv6Address {
                    addr: (*ifa).addr.in6_u.u6_addr8,
                    ifindex,
                    flags: (*ifa).flags,
                });
                lh = (*lh).next;
            }
            bindings::read_unlock_bh(lock);
        }
    };
    let guard = crate::sync::rcu::read_lock();
    // SAFETY: We hold the RCU read lock (`guard`) for the whole walk.
    unsafe { for_each_netdev_rcu(net, visit) };
    drop(guard);
}

/// Calls `f` with every IPv4 address of every interface of `net` and its interface index,
/// under RCU (`in_dev_for_each_ifa_rcu()`).  `f` must not sleep.
pub fn for_each_ipv4_address(net: &Namespace, mut f: impl FnMut([u8; 4], i32)) {
    let visit = |dev: *mut bindings::net_device| {
        // SAFETY: `dev` is live under RCU (held below), its IPv4 state, if any, too;
        // `ifa_list` and each `ifa_next` are RCU pointers to live addresses.
        unsafe {
            let in_dev = bindings::__in_dev_get_rcu(dev);
            if in_dev.is_null() {
                return;
            }
            let ifindex = (*dev).ifindex;
            let mut ifa = core::ptr::read_volatile(&raw const (*in_dev).ifa_list);
            while !ifa.is_null() {
                f((*ifa).ifa_local.to_ne_bytes(), ifindex);
                ifa = core::ptr::read_volatile(&raw const (*ifa).ifa_next);
            }
        }
    };
    let guard = crate::sync::rcu::read_lock();
    // SAFETY: We hold the RCU read lock (`guard`) for the whole walk.
    unsafe { for_each_netdev_rcu(net, visit) };
    drop(guard);
}

/// The C string in `field` (a `char[__NEW_UTS_LEN + 1]`), up to its NUL.
fn uts_field(field: &[u8]) -> &[u8] {
    let len = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    &field[..len]
}

/// Calls `f` with the host's node name and NIS domain name (`init_utsname()`'s), what a
/// node tells about itself.  They are read without `uts_sem` (it sleeps), as `printk` and
/// the ICMP responders do: a concurrent `sethostname()` may be seen half-written.
pub fn with_host_names<R>(f: impl FnOnce(&[u8], &[u8]) -> R) -> R {
    // SAFETY: `init_utsname()` is the initial UTS namespace's names, which live for the
    // kernel's lifetime; the arrays are read in place, each up to its NUL (the last byte is
    // always one).
    let names = unsafe { &*bindings::init_utsname() };
    f(uts_field(&names.nodename), uts_field(&names.domainname))
}

/// The source address `net` would choose for a packet to `dst` out of interface `oif`
/// (`ipv6_dev_get_saddr()`), preferring a public address to a temporary one.
pub fn source_for(net: &Namespace, oif: i32, dst: &Addr) -> Option<Addr> {
    let d = in6_addr(dst);
    let mut s = in6_addr(&[0; 16]);
    let _guard = crate::sync::rcu::read_lock();
    // SAFETY: `net` is live; under RCU the device is live while used (or NULL: any).
    let r = unsafe {
        let dev = bindings::dev_get_by_index_rcu(net.as_raw(), oif);
        bindings::ipv6_dev_get_saddr(
            net.as_raw(),
            dev,
            &d,
            bindings::IPV6_PREFER_SRC_PUBLIC,
            &mut s,
        )
    };
    // SAFETY: Plain bytes of the address union.
    let a = unsafe { s.in6_u.u6_addr8 };
    (r == 0).then_some(a)
}

/// Bytes of headroom below the IPv6 header of a packet [`send`] makes: room for the link
/// layer, as `nf_send_reset6()` leaves.
const HEADROOM: usize = bindings::LL_MAX_HEADER as usize;

/// Sends an ICMPv6 message from `src` to `dst` in `net`, out of interface `oif` (0: as the
/// route says; needed for a link-local destination), with the route's hop limit or 255
/// when `hop_limit_255` (what Neighbour Discovery needs).
///
/// `fill` writes the message (from its ICMPv6 header on, checksum field as it likes: it is
/// overwritten) into the buffer it gets, at most `max_len` bytes, and returns its length;
/// `None` sends nothing.  Errors: `ENOMEM`, `EINVAL` for a bad length, or the route's error
/// (`ENETUNREACH`, ...).  For any context, softirq included.
pub fn send(
    net: &Namespace,
    src: &Addr,
    dst: &Addr,
    oif: i32,
    max_len: usize,
    fill: impl FnOnce(&mut [u8]) -> Option<usize>,
) -> Result {
    let total = HEADROOM + 40 + max_len;
    let size = u32::try_from(total).map_err(|_| EINVAL)?;
    // SAFETY: Plain allocation; the skb is ours until sent or freed below.
    let skb = unsafe { bindings::alloc_skb(size, GFP_ATOMIC.as_raw()) };
    if skb.is_null() {
        return Err(ENOMEM);
    }
    let free = |e: Error| -> Result {
        // SAFETY: The skb is ours and not sent.
        unsafe { bindings::kfree_skb(skb) };
        Err(e)
    };
    // SAFETY: The skb is ours, linear, with `total` bytes of room.
    let body = unsafe {
        bindings::skb_reserve(skb, (HEADROOM + 40) as i32);
        let p = bindings::skb_put(skb, max_len as u32).cast::<u8>();
        core::slice::from_raw_parts_mut(p, max_len)
    };
    let Some(len) = fill(body).filter(|&l| (8..=max_len).contains(&l)) else {
        return free(EINVAL);
    };
    let (s, d) = (in6_addr(src), in6_addr(dst));
    // The checksum over the pseudo-header (RFC 4443 §2.3) and the message.
    body[2] = 0;
    body[3] = 0;
    // SAFETY: `body[..len]` is the message, in the skb's data; the addresses are on the stack.
    let csum = unsafe {
        let partial = bindings::csum_partial(body.as_ptr().cast(), len as i32, 0);
        bindings::csum_ipv6_magic(&s, &d, len as u32, bindings::IPPROTO_ICMPV6 as u8, partial)
    };
    body[2..4].copy_from_slice(&csum.to_ne_bytes());
    // SAFETY: The skb is ours: trim it to the message, then push the IPv6 header.
    let ip = unsafe {
        bindings::skb_trim(skb, len as u32);
        bindings::skb_push(skb, 40).cast::<u8>()
    };
    // SAFETY: A flowi6 of zeroes is valid; the fields the route look-up reads are set.
    let mut fl6: bindings::flowi6 = unsafe { core::mem::zeroed() };
    fl6.daddr = d;
    fl6.saddr = s;
    fl6.__fl_common.flowic_oif = oif;
    fl6.__fl_common.flowic_proto = bindings::IPPROTO_ICMPV6 as u8;
    // SAFETY: `net` is live, `fl6` too; the result is a held route or an error route.
    let dst_entry =
        unsafe { bindings::ip6_route_output_flags(net.as_raw(), core::ptr::null(), &mut fl6, 0) };
    // SAFETY: `dst_entry` is a valid route (possibly an error one), held.
    let err = unsafe { (*dst_entry).error };
    if err != 0 {
        // SAFETY: Ours to release.
        unsafe { bindings::dst_release(dst_entry) };
        return free(Error::from_errno(i32::from(err)));
    }
    // SAFETY: `dst_entry` is a held valid route.
    let hop_limit = unsafe { bindings::ip6_dst_hoplimit(dst_entry) } as u8;
    let payload_len = (len as u16).to_be_bytes();
    // SAFETY: `ip` points to the 40 bytes just pushed in the skb's linear data.
    let hdr = unsafe { core::slice::from_raw_parts_mut(ip, 40) };
    hdr[..4].copy_from_slice(&[0x60, 0, 0, 0]);
    hdr[4..6].copy_from_slice(&payload_len);
    hdr[6] = bindings::IPPROTO_ICMPV6 as u8;
    hdr[7] = hop_limit;
    hdr[8..24].copy_from_slice(src);
    hdr[24..40].copy_from_slice(dst);
    // SAFETY: The skb is ours with its IPv6 header at `data`; the route's reference moves
    // into it; `ip6_local_out()` takes the skb (and frees it on error), and sets its protocol
    // and the header's payload length.
    let r = unsafe {
        bindings::skb_reset_network_header(skb);
        bindings::skb_dst_set(skb, dst_entry);
        bindings::ip6_local_out(net.as_raw(), core::ptr::null_mut(), skb)
    };
    if r < 0 {
        return Err(Error::from_errno(r));
    }
    Ok(())
}
