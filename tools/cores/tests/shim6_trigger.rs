//! The Shim6 negotiation trigger heuristic: a pair is reported once, at 2 KB or 60 s of
//! traffic (LinShim6's thresholds), and only unicast, non-ICMPv6, non-Shim6 traffic between
//! usable addresses counts.

use rv6_cores::shim6_trigger::*;

const S: u64 = 1_000_000_000;

fn ip(next: u8, src: [u8; 16], dst: [u8; 16]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0, 0, 0, next, 64];
    h.extend(src);
    h.extend(dst);
    h
}

fn addr(first: u16, last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..2].copy_from_slice(&first.to_be_bytes());
    a[15] = last;
    a
}

const A: u16 = 0x2001;

#[test]
fn a_pair_is_reported_once_at_2_kb() {
    let cfg = TriggerConfig::DEFAULT;
    let mut p = Pair::new(0);
    assert!(!p.packet(1000, 0, &cfg));
    assert!(!p.packet(1000, S, &cfg));
    assert!(p.packet(100, 2 * S, &cfg));
    assert!(p.reported);
    // Never again for this pair.
    assert!(!p.packet(5000, 3 * S, &cfg));
    assert_eq!(p.bytes, 7100);
}

#[test]
fn a_slow_pair_is_reported_after_60_s() {
    let cfg = TriggerConfig::DEFAULT;
    let mut p = Pair::new(0);
    for t in 0..60 {
        assert!(!p.packet(10, t * S, &cfg), "at {t} s");
    }
    assert!(p.packet(10, 60 * S, &cfg));
}

#[test]
fn settings_move_the_thresholds() {
    let cfg = TriggerConfig {
        enabled: true,
        bytes: 100,
        seconds: 5,
    };
    let mut p = Pair::new(0);
    assert!(p.packet(100, 0, &cfg));
    let mut q = Pair::new(0);
    assert!(!q.packet(1, 4 * S, &cfg));
    assert!(q.packet(1, 5 * S, &cfg));
}

#[test]
fn a_quiet_pair_goes_stale_after_twice_the_time_threshold() {
    let cfg = TriggerConfig::DEFAULT;
    let mut p = Pair::new(0);
    p.packet(10, 10 * S, &cfg);
    assert!(!p.stale(129 * S, &cfg));
    assert!(p.stale(130 * S, &cfg));
}

#[test]
fn only_unicast_data_between_usable_addresses_counts() {
    let (a, b) = (addr(A, 1), addr(A, 2));
    assert!(counted(&ip(6, a, b)));
    assert!(counted(&ip(17, b, a)));
    // ICMPv6 and Shim6 itself.
    assert!(!counted(&ip(58, a, b)));
    assert!(!counted(&ip(140, a, b)));
    // Multicast, link-local, loopback and unspecified on either side.
    for other in [
        addr(0xff02, 1),
        addr(0xfe80, 1),
        addr(0xfebf, 1),
        addr(0, 1),
        addr(0, 0),
    ] {
        assert!(!counted(&ip(6, a, other)), "{other:?}");
        assert!(!counted(&ip(6, other, a)), "{other:?}");
    }
    // fec0::/10 (deprecated site-local) is not link-local, nor is fe7f::; ::2 is not
    // loopback, ff00:: is multicast.
    assert!(counted(&ip(6, a, addr(0xfec0, 1))));
    assert!(counted(&ip(6, a, addr(0xfe7f, 1))));
    assert!(counted(&ip(6, a, addr(0, 2))));
    assert!(!counted(&ip(6, a, addr(0xff00, 0))));
    // Not IPv6, or short.
    let mut v4 = ip(6, a, b);
    v4[0] = 0x45;
    assert!(!counted(&v4));
    assert!(!counted(&ip(6, a, b)[..39]));
}
