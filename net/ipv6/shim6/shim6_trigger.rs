// SPDX-License-Identifier: GPL-2.0

//! When to set a Shim6 context up: the negotiation trigger heuristic (RFC 5533 §7.1 leaves it
//! to the implementation; LinShim6 counted each address pair's traffic and started the
//! four-way exchange once a pair had carried 2 KB or lived 60 s).
//!
//! Pure `no_std` code: `rv6_shim6` keeps a [`Pair`] per local/peer address pair that has no
//! context yet, feeds it the packets its netfilter hooks see (both directions) and sends the
//! daemon a `trigger` event the first time [`Pair::packet`] says so; the host tests check the
//! thresholds and which packets [`counted`] lets through.

/// Nanoseconds in a second.
const NSEC_PER_SEC: u64 = 1_000_000_000;

/// Next Header values [`counted`] leaves out (`rv6_shim6`'s KUnit tests check them against
/// the kernel's): ICMPv6, and Shim6 itself.
pub const IPPROTO_ICMPV6: u8 = 58;
/// See [`IPPROTO_ICMPV6`].
pub const IPPROTO_SHIM6: u8 = 140;

/// The heuristic's settings, per namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TriggerConfig {
    /// Whether pairs are counted at all.
    pub enabled: bool,
    /// Bytes (both ways) after which a pair is worth a context.
    pub bytes: u64,
    /// Seconds of traffic after which a pair is worth a context, however little it carried.
    pub seconds: u64,
}

impl TriggerConfig {
    /// LinShim6's thresholds: 2 KB or 60 s.
    pub const DEFAULT: TriggerConfig = TriggerConfig {
        enabled: true,
        bytes: 2048,
        seconds: 60,
    };

    /// How long a pair that carried nothing may stay in the table: twice the time threshold.
    pub fn stale_after(&self) -> u64 {
        self.seconds.saturating_mul(2 * NSEC_PER_SEC)
    }
}

impl Default for TriggerConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One address pair's traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Bytes either way, IPv6 headers included.
    pub bytes: u64,
    /// When the first packet passed (ns of a monotonic clock).
    pub first: u64,
    /// When the last packet passed.
    pub last: u64,
    /// Whether the trigger event was sent: once per pair.
    pub reported: bool,
}

impl Pair {
    /// A pair first seen at `now`; its packets go to [`Pair::packet`], the first included.
    pub fn new(now: u64) -> Self {
        Self {
            bytes: 0,
            first: now,
            last: now,
            reported: false,
        }
    }

    /// A packet of `len` bytes passed at `now`: whether the pair just became worth a context.
    pub fn packet(&mut self, len: u64, now: u64, cfg: &TriggerConfig) -> bool {
        self.bytes = self.bytes.saturating_add(len);
        self.last = self.last.max(now);
        if self.reported {
            return false;
        }
        let old_enough =
            self.last.saturating_sub(self.first) >= cfg.seconds.saturating_mul(NSEC_PER_SEC);
        if self.bytes >= cfg.bytes || old_enough {
            self.reported = true;
            return true;
        }
        false
    }

    /// Whether the pair has been quiet long enough to be forgotten.
    pub fn stale(&self, now: u64, cfg: &TriggerConfig) -> bool {
        now.saturating_sub(self.last) >= cfg.stale_after()
    }
}

/// Whether a packet with this IPv6 header (40 bytes at least) counts towards its pair: not
/// when it is Shim6 itself or ICMPv6 (errors and neighbour discovery follow the data, they
/// are no reason to set a context up), nor between addresses a context cannot serve:
/// multicast, unspecified, loopback, link-local (RFC 5533 §1.4: the shim is for unicast
/// between global addresses).
#[inline]
pub fn counted(ip: &[u8]) -> bool {
    let Some(ip) = ip.first_chunk::<40>() else {
        return false;
    };
    if ip[0] >> 4 != 6 || ip[6] == IPPROTO_ICMPV6 || ip[6] == IPPROTO_SHIM6 {
        return false;
    }
    let (Some(src), Some(dst)) = (ip[8..].first_chunk(), ip[24..].first_chunk()) else {
        return false;
    };
    usable(src) && usable(dst)
}

/// Whether a context can serve address `a`: not unspecified or loopback (`::`, `::1`),
/// multicast (`ff00::/8`) or link-local (`fe80::/10`).  Run for every packet: a global
/// address is told by its first byte.
#[inline]
fn usable(a: &[u8; 16]) -> bool {
    match a[0] {
        0xff => false,
        0xfe => a[1] & 0xc0 != 0x80,
        0 => u128::from_be_bytes(*a) > 1,
        _ => true,
    }
}
