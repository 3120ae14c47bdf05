//! The addresses rv6_guard refuses (`net/ipv6/netfilter/guard_addr.rs`), at each prefix's
//! edges and against std's own IPv4 and IPv6 address classes.
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use rv6_cores::guard_addr::*;

fn c(s: &str) -> Option<Bad> {
    classify(&s.parse::<Ipv6Addr>().unwrap().octets())
}

#[test]
fn ipv4_mapped_addresses_are_refused_whatever_they_embed() {
    assert_eq!(c("::ffff:127.0.0.1"), Some(Bad::V4Mapped));
    assert_eq!(c("::ffff:192.0.2.1"), Some(Bad::V4Mapped));
    assert_eq!(c("::ffff:0.0.0.0"), Some(Bad::V4Mapped));
    // Next to the prefix: ::fffe:... and ::1:ffff:... are not mapped.
    assert_eq!(c("::fffe:c000:201"), None);
    assert_eq!(c("::1:ffff:c000:201"), None);
}

#[test]
fn ipv4_compatible_addresses_are_refused_for_the_unusable_ipv4_only() {
    for bad in [
        "::0.0.0.2",
        "::127.0.0.1",
        "::224.0.0.1",
        "::239.255.255.255",
        "::255.255.255.255",
    ] {
        assert_eq!(c(bad), Some(Bad::V4Compatible), "{bad}");
    }
    for good in [
        "::",
        "::1",
        "::1.0.0.0",
        "::126.255.255.255",
        "::128.0.0.0",
        "::223.255.255.255",
        "::240.0.0.0",
        "::254.255.255.255",
        "::192.0.2.1",
    ] {
        assert_eq!(c(good), None, "{good}");
    }
}

#[test]
fn six_to_four_prefixes_of_unusable_and_private_ipv4_are_refused() {
    for bad in [
        "2002:0000::1",
        "2002:00ff:ffff::",
        "2002:7f00::",
        "2002:e000::",
        "2002:efff:ffff::",
        "2002:ff00::",
        "2002:0a00::",
        "2002:ac10::",
        "2002:ac1f:ffff::",
        "2002:c0a8::",
        "2002:c0a8:ffff::",
    ] {
        assert_eq!(c(bad), Some(Bad::SixToFour), "{bad}");
    }
    for good in [
        "2002:0100::",
        "2002:7e00::",
        "2002:8000::",
        "2002:df00::",
        "2002:f000::",
        "2002:ac0f:ffff::",
        "2002:ac20::",
        "2002:c0a7::",
        "2002:c0a9::",
        "2002:c000:0201::",
        "2003:0000::",
        "2001:db8::1",
    ] {
        assert_eq!(c(good), None, "{good}");
    }
}

#[test]
fn only_the_unspecified_address_is_an_unspecified_tcp_source() {
    assert!(unspecified_tcp_source(&Ipv6Addr::UNSPECIFIED.octets()));
    assert!(!unspecified_tcp_source(&Ipv6Addr::LOCALHOST.octets()));
    assert!(!unspecified_tcp_source(
        &"::ffff:0.0.0.0".parse::<Ipv6Addr>().unwrap().octets()
    ));
}

/// std's classes: loopback, multicast and private as Ipv4Addr has them; "unspecified" and
/// "broadcast" as whole /8s (std's are single addresses).
fn unusable(v4: Ipv4Addr) -> bool {
    v4.octets()[0] == 0 || v4.is_loopback() || v4.is_multicast() || v4.octets()[0] == 255
}

proptest! {
    /// Every address, whatever it is, classified as std's address classes say.
    #[test]
    fn the_classes_are_stds(bytes in any::<[u8; 16]>(), form in 0u8..4, v4 in any::<[u8; 4]>()) {
        // Bias towards the interesting forms: mapped, compatible, 6to4, anything.
        let mut a = bytes;
        match form {
            0 => { a[..10].fill(0); a[10] = 0xff; a[11] = 0xff; a[12..].copy_from_slice(&v4); }
            1 => { a[..12].fill(0); a[12..].copy_from_slice(&v4); }
            2 => { a[0] = 0x20; a[1] = 0x02; a[2..6].copy_from_slice(&v4); }
            _ => {}
        }
        let ip = Ipv6Addr::from(a);
        let expected = if ip.to_ipv4_mapped().is_some() {
            Some(Bad::V4Mapped)
        } else if ip.segments()[..6] == [0; 6] {
            let e = Ipv4Addr::new(a[12], a[13], a[14], a[15]);
            (ip != Ipv6Addr::UNSPECIFIED && ip != Ipv6Addr::LOCALHOST && unusable(e)).then_some(Bad::V4Compatible)
        } else if ip.segments()[0] == 0x2002 {
            let e = Ipv4Addr::new(a[2], a[3], a[4], a[5]);
            (unusable(e) || e.is_private()).then_some(Bad::SixToFour)
        } else {
            None
        };
        prop_assert_eq!(classify(&a), expected);
    }
}
