// SPDX-License-Identifier: GPL-2.0

//! What a layer below TCP may tell TCP's IPv6 connections.
//!
//! C header: [`include/net/tcp.h`](srctree/include/net/tcp.h)

use super::protocol::Addr;
use crate::{
    bindings,
    net::namespace::Namespace, //
};

fn in6_addr(a: &Addr) -> bindings::in6_addr {
    // SAFETY: All-zero is a valid address.
    let mut raw: bindings::in6_addr = unsafe { core::mem::zeroed() };
    raw.in6_u.u6_addr8 = *a;
    raw
}

/// Tells the TCP connections between `local` and `peer` in `net` that their path changed
/// (`tcp_v6_path_changed`, kernel/patches/0008): a multihoming shim moved their packets to
/// other locators.  Each connection drops its cached route and reverts its retransmission
/// backoff, so that an overdue retransmission goes now instead of after a timer backed off
/// on the old path.  Returns how many connections were told.
///
/// For process context: the walk takes the established hash's bucket locks and each
/// socket's lock in turn, and may reschedule.
pub fn path_changed(net: &Namespace, local: &Addr, peer: &Addr) -> u32 {
    let (local, peer) = (in6_addr(local), in6_addr(peer));
    // SAFETY: `net` is live; the addresses are read during the call only.
    let told = unsafe { bindings::tcp_v6_path_changed(net.as_raw(), &local, &peer) };
    told.unsigned_abs()
}
