// SPDX-License-Identifier: GPL-2.0

//! Counts IPv6 packets at each netfilter hook, per network namespace.
//!
//! The sample for [`kernel::net::netfilter`]: every namespace gets a state with one set of
//! counters per hook point, shown in debugfs as `rv6_nf_count/<netns inode>` (the number
//! `readlink /proc/self/ns/net` prints).  Besides all packets and bytes it counts ICMPv6 echo
//! requests and replies, so a test can ping and expect exact numbers.

use kernel::{
    debugfs::{Dir, File},
    fmt,
    net::{
        namespace::{Namespace, PernetSlot},
        netfilter::{priority, Hook, HookPoint, HookState, NetHooks, Registration, Verdict},
        skbuff::SkBuff,
    },
    prelude::*,
    str::CString,
    sync::atomic::{ordering::Relaxed, Atomic},
};

module! {
    type: NfCount,
    name: "rv6_nf_count",
    authors: ["rv6 developers"],
    description: "Count IPv6 packets per netfilter hook and namespace (sample)",
    license: "GPL",
}

/// Next header value of ICMPv6 (RFC 4443).
const IPPROTO_ICMPV6: u8 = 58;
/// ICMPv6 Echo Request and Echo Reply types.
const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;
/// Bytes of the fixed IPv6 header.
const IPV6_HEADER_LEN: usize = 40;

/// Whether the IPv6 packet starting with `start` (its header and at least one byte more) is an
/// ICMPv6 echo request or reply carried directly after the fixed header.
fn is_echo(start: &[u8]) -> bool {
    start.len() > IPV6_HEADER_LEN
        && start[0] >> 4 == 6
        && start[6] == IPPROTO_ICMPV6
        && matches!(start[IPV6_HEADER_LEN], ECHO_REQUEST | ECHO_REPLY)
}

struct HookCount {
    packets: Atomic<u64>,
    bytes: Atomic<u64>,
    echo: Atomic<u64>,
}

impl HookCount {
    const ZERO: HookCount = HookCount {
        packets: Atomic::new(0),
        bytes: Atomic::new(0),
        echo: Atomic::new(0),
    };
}

/// The counters of one namespace, one set per hook point.
struct Counters([HookCount; 5]);

impl Default for Counters {
    fn default() -> Self {
        Counters([HookCount::ZERO; 5])
    }
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (point, c) in HookPoint::ALL.iter().zip(&self.0) {
            writeln!(
                f,
                "{:<12} packets {} bytes {} echo {}",
                point.name(),
                c.packets.load(Relaxed),
                c.bytes.load(Relaxed),
                c.echo.load(Relaxed)
            )?;
        }
        Ok(())
    }
}

/// Per-namespace state: the counters, published as a debugfs file.
struct NetCounters {
    file: Pin<KBox<File<Counters>>>,
}

static SLOT: PernetSlot = PernetSlot::new();

impl NetHooks for NetCounters {
    type Shared = Dir;
    const HOOKS: &'static [Hook] = &[
        Hook::ipv6(HookPoint::PreRouting, priority::FIRST),
        Hook::ipv6(HookPoint::LocalIn, priority::FIRST),
        Hook::ipv6(HookPoint::Forward, priority::FIRST),
        Hook::ipv6(HookPoint::LocalOut, priority::FIRST),
        Hook::ipv6(HookPoint::PostRouting, priority::FIRST),
    ];
    const SLOT: &'static PernetSlot = &SLOT;

    fn init<'a>(dir: &'a Dir, net: &'a Namespace) -> impl PinInit<Self, Error> + 'a {
        let name = CString::try_from_fmt(fmt!("{}", net.inum()))?;
        let file = KBox::pin_init(dir.read_only_file(&name, Counters::default()), GFP_KERNEL)?;
        Ok(NetCounters { file })
    }

    fn hook(&self, skb: &SkBuff, state: &HookState) -> Verdict {
        let c = &self.file.0[state.point() as usize];
        c.packets.add(1, Relaxed);
        c.bytes.add(u64::from(skb.len()), Relaxed);
        let mut buf = [0u8; IPV6_HEADER_LEN + 1];
        if skb.network_bytes(0, &mut buf).is_some_and(is_echo) {
            c.echo.add(1, Relaxed);
        }
        Verdict::Accept
    }
}

struct NfCount {
    _hooks: Registration<NetCounters>,
}

impl kernel::Module for NfCount {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let hooks = Registration::new(Dir::new(c"rv6_nf_count"))?;
        pr_info!(
            "counting IPv6 packets at {} hooks in every namespace\n",
            NetCounters::HOOKS.len()
        );
        Ok(NfCount { _hooks: hooks })
    }
}

#[kunit_tests(rv6_nf_count)]
mod tests {
    use super::*;

    fn packet(next_header: u8, icmp_type: u8) -> [u8; 41] {
        let mut p = [0u8; 41];
        p[0] = 0x60;
        p[6] = next_header;
        p[40] = icmp_type;
        p
    }

    #[test]
    fn echo_request_and_reply_are_echo() {
        assert!(is_echo(&packet(58, 128)));
        assert!(is_echo(&packet(58, 129)));
    }

    #[test]
    fn other_icmpv6_and_other_protocols_are_not() {
        assert!(!is_echo(&packet(58, 135))); // Neighbour Solicitation
        assert!(!is_echo(&packet(17, 128))); // UDP whose first byte happens to be 128
        assert!(!is_echo(&packet(0, 128))); // behind a Hop-by-Hop header: not looked into
    }

    #[test]
    fn short_or_non_ipv6_input_is_not_echo() {
        assert!(!is_echo(&packet(58, 128)[..40]));
        let mut v4 = packet(58, 128);
        v4[0] = 0x45;
        assert!(!is_echo(&v4));
        assert!(!is_echo(&[]));
    }

    #[test]
    fn counters_print_one_line_per_hook() -> Result {
        let c = Counters::default();
        c.0[HookPoint::LocalOut as usize].echo.add(3, Relaxed);
        let text = CString::try_from_fmt(fmt!("{:?}", c))?;
        let text = text.to_str().map_err(|_| EINVAL)?;
        assert_eq!(text.lines().count(), 5);
        assert!(text
            .lines()
            .any(|l| l.starts_with("OUTPUT") && l.ends_with("echo 3")));
        Ok(())
    }
}
