// SPDX-License-Identifier: GPL-2.0

//! The addresses `rv6_guard` refuses on native IPv6: the pure core.
//!
//! KAME's implementation notes (§1.14, "Invalid addresses on the wire") list the IPv6
//! addresses that embed an IPv4 address no packet should carry, and that can bypass filters
//! written for IPv6 (a source of `::ffff:127.0.0.1` to get past "reject remote loopback"):
//!
//! - IPv4-mapped addresses, `::ffff:0:0/96`: they stand for IPv4 peers inside one host's
//!   sockets, and a native IPv6 packet that carries one impersonates an IPv4 peer (outside
//!   SIIT translation, which rv6 does not serve);
//! - IPv4-compatible addresses, `::/96` (RFC 4291 §2.5.5.1, deprecated), that embed an
//!   unspecified (`0/8`), loopback (`127/8`), multicast (`224/4`) or broadcast (`255/8`)
//!   IPv4 address; `::` and `::1` are IPv6's own;
//! - 6to4 addresses (RFC 3056, `2002::/16`) built from an IPv4 address no 6to4 router has:
//!   `0/8`, `127/8`, `224/4` (multicast), `255/8`, and the private `10/8`, `172.16/12` and
//!   `192.168/16`.
//!
//! and an unspecified source (`::`) on TCP, a DoS trigger: `::` is a legal source only where
//! a node has no address yet (Duplicate Address Detection, MLD), never for a connection.
//!
//! Linux 7.3 already drops multicast and loopback sources arriving from the wire
//! (`ip6_rcv_core()`) and a TCP SYN from an IPv4-mapped source; none of the above.  Pure
//! `no_std` code: the module asks [`classify`] of every address it looks at (the header's,
//! a Home Address option's, a routing header's, an inner header's) and decides by its
//! settings; the host tests check each prefix's edges.

/// A kind of address [`classify`] refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bad {
    /// `::ffff:0:0/96`.
    V4Mapped,
    /// `::/96` embedding `0/8`, `127/8`, `224/4` or `255/8` (not `::` nor `::1`).
    V4Compatible,
    /// `2002::/16` embedding `0/8`, `127/8`, `224/4`, `255/8`, `10/8`, `172.16/12` or
    /// `192.168/16`.
    SixToFour,
}

/// What kind of refused address `a` is, if it is one.  An unspecified address is not one:
/// where `::` may stand is for [`unspecified_tcp_source`] to say.
pub fn classify(a: &[u8; 16]) -> Option<Bad> {
    // Every kind starts with 0000 (v4-mapped, v4-compatible) or 2002 (6to4): most
    // addresses are decided by their first 16 bits.
    if !matches!((a[0], a[1]), (0, 0) | (0x20, 0x02)) {
        return None;
    }
    let v4 = |at: usize| [a[at], a[at + 1], a[at + 2], a[at + 3]];
    if a[..10].iter().all(|&b| b == 0) && a[10] == 0xff && a[11] == 0xff {
        return Some(Bad::V4Mapped);
    }
    if a[..12].iter().all(|&b| b == 0) {
        let embedded = v4(12);
        // `::` and `::1` are IPv6's unspecified and loopback addresses, not IPv4's.
        let ipv6_own = embedded[..3] == [0, 0, 0] && embedded[3] <= 1;
        return (!ipv6_own && unusable_v4(embedded)).then_some(Bad::V4Compatible);
    }
    if a[0] == 0x20 && a[1] == 0x02 {
        let embedded = v4(2);
        return (unusable_v4(embedded) || private_v4(embedded)).then_some(Bad::SixToFour);
    }
    None
}

/// Whether a TCP segment from `src` comes from the unspecified address.
pub fn unspecified_tcp_source(src: &[u8; 16]) -> bool {
    src.iter().all(|&b| b == 0)
}

/// Unspecified (`0/8`), loopback (`127/8`), multicast (`224/4`) or broadcast (`255/8`).
fn unusable_v4(a: [u8; 4]) -> bool {
    matches!(a[0], 0 | 127 | 224..=239 | 255)
}

/// RFC 1918's private ranges: `10/8`, `172.16/12`, `192.168/16`.
fn private_v4(a: [u8; 4]) -> bool {
    a[0] == 10 || (a[0] == 172 && a[1] & 0xf0 == 16) || (a[0] == 192 && a[1] == 168)
}
