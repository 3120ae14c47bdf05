//! Mobile IPv6 wire formats: emit/parse round trips, the checks RFC 6275 asks for with the
//! offsets a Parameter Problem points at, and proptests that arbitrary bytes never panic.

use proptest::prelude::*;
use rv6_cores::mip6_wire::*;

const HOME: Addr = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[test]
fn hao_header_is_laid_out_like_linux_and_round_trips() {
    let r = HomeAddressRepr {
        next_header: 58,
        home_address: HOME,
    };
    let mut b = [0u8; 24];
    r.emit(&mut b).unwrap();
    assert_eq!(&b[..8], &[58, 2, 1, 2, 0, 0, 0xc9, 16]);
    let h = DestinationOptions::new_checked(&b).unwrap();
    assert_eq!(h.len(), 24);
    assert_eq!(HomeAddressRepr::parse(&h), Ok(r));
    let kinds: Vec<(usize, u8)> = h
        .options()
        .map(|o| o.map(|o| (o.offset, o.kind)).unwrap())
        .collect();
    assert_eq!(kinds, vec![(2, OPT_PADN), (6, OPT_HOME_ADDRESS)]);
}

#[test]
fn hao_must_be_at_8n_plus_6_and_16_bytes_long() {
    // HAO at offset 2 (no padding before it): misaligned.
    let mut b = vec![58, 2, 0xc9, 16];
    b.extend(HOME);
    b.extend([1, 2, 0, 0]);
    let h = DestinationOptions::new_checked(&b).unwrap();
    assert_eq!(h.home_address(), Err(Error::Field(2)));
    // Right place, wrong length.
    let mut b = vec![58, 2, 1, 2, 0, 0, 0xc9, 15];
    b.extend(&HOME[..15]);
    b.extend([0]);
    let h = DestinationOptions::new_checked(&b).unwrap();
    assert_eq!(h.home_address(), Err(Error::Field(7)));
}

#[test]
fn option_chains_that_overrun_the_header_are_errors() {
    let b = [58, 0, 1, 2, 0, 0, 0xc9, 16]; // HAO claims 16 bytes, the header has 0 left
    let h = DestinationOptions::new_checked(&b).unwrap();
    assert_eq!(h.home_address(), Err(Error::Field(7)));
    let b = [58, 0, 0, 0, 0, 0, 0, 0xc9]; // type byte in the last octet, no length
    let h = DestinationOptions::new_checked(&b).unwrap();
    assert_eq!(h.options().last(), Some(Err(Error::Field(7))));
    assert_eq!(
        DestinationOptions::new_checked(&[58, 2, 0, 0]).err(),
        Some(Error::Truncated)
    );
}

#[test]
fn no_hao_is_not_an_error() {
    let h = DestinationOptions::new_checked(&[6, 0, 1, 4, 0, 0, 0, 0]).unwrap();
    assert_eq!(h.home_address(), Ok(None));
}

#[test]
fn rt2_round_trips_and_checks_each_field() {
    let r = RoutingType2Repr {
        next_header: 17,
        segments_left: 1,
        home_address: HOME,
    };
    let mut b = [0u8; 24];
    r.emit(&mut b).unwrap();
    assert_eq!(&b[..8], &[17, 2, 2, 1, 0, 0, 0, 0]);
    assert_eq!(RoutingType2Repr::parse(&b), Ok(r));
    let bad = |i: usize, v: u8| {
        let mut c = b;
        c[i] = v;
        RoutingType2Repr::parse(&c)
    };
    assert_eq!(bad(1, 3), Err(Error::Field(1))); // Hdr Ext Len != 2
    assert_eq!(bad(2, 0), Err(Error::Field(2))); // type 0 is not type 2
    assert_eq!(bad(3, 2), Err(Error::Field(3))); // Segments Left > 1
    assert!(bad(3, 0).is_ok()); // already processed
    assert_eq!(RoutingType2Repr::parse(&b[..20]), Err(Error::Truncated));
}

fn mh(proto: u8, hdrlen: u8, mh_type: u8) -> Vec<u8> {
    let mut b = vec![0u8; (usize::from(hdrlen) + 1) * 8];
    b[0] = proto;
    b[1] = hdrlen;
    b[2] = mh_type;
    b
}

#[test]
fn mobility_header_checks_point_at_the_bad_field() {
    assert!(MobilityHeader::new_checked(&mh(59, 1, 5)).is_ok()); // BU
    assert_eq!(
        MobilityHeader::new_checked(&mh(6, 1, 5)).err(),
        Some(Error::Field(0))
    );
    assert_eq!(
        MobilityHeader::new_checked(&mh(59, 0, 5)).err(),
        Some(Error::Field(1))
    );
    assert_eq!(
        MobilityHeader::new_checked(&mh(59, 1, 7)).err(),
        Some(Error::Field(1))
    ); // BE needs 2
    assert!(MobilityHeader::new_checked(&mh(59, 0, 0)).is_ok()); // BRR
    assert!(MobilityHeader::new_checked(&mh(59, 0, 200)).is_ok()); // unknown: for the daemon
    let b = mh(59, 2, 7);
    assert_eq!(
        MobilityHeader::new_checked(&b[..16]).err(),
        Some(Error::Truncated)
    );
}

#[test]
fn mobility_header_checks_run_in_linux_order() {
    // Header Len is judged before Payload Proto, as mip6.ko does.
    assert_eq!(check_mobility_header(&mh(6, 0, 5), 8), Err(Error::Field(1)));
    // A header longer than the packet is dropped silently, whatever else is wrong.
    assert_eq!(
        check_mobility_header(&mh(6, 3, 5)[..6], 16),
        Err(Error::Truncated)
    );
    assert_eq!(check_mobility_header(&mh(59, 1, 5)[..6], 16), Ok(16));
    assert_eq!(check_mobility_header(&[59, 0, 0], 8), Err(Error::Truncated));
}

#[test]
fn mobility_header_checksum_over_the_pseudo_header() {
    let src = HOME;
    let mut dst = HOME;
    dst[15] = 0x20;
    let mut b = mh(59, 1, 5);
    let c = checksum(&src, &dst, 135, &b);
    b[4..6].copy_from_slice(&c.to_be_bytes());
    let m = MobilityHeader::new_checked(&b).unwrap();
    assert!(m.checksum_ok(&src, &dst));
    b[10] ^= 1;
    assert!(!MobilityHeader::new_checked(&b)
        .unwrap()
        .checksum_ok(&src, &dst));
}

#[test]
fn checksum_matches_rfc1071_on_odd_lengths() {
    // One's complement sum of 0x0100 + 0xf2 00 (odd byte padded) ... checked against a
    // straightforward reference.
    let data = [1u8, 0, 0xf2];
    let reference = {
        let mut s: u32 = 0;
        let mut v = Vec::new();
        v.extend([0u8; 32]);
        v.extend(3u32.to_be_bytes());
        v.extend([0, 0, 0, 135]);
        v.extend(data);
        v.push(0);
        for w in v.chunks(2) {
            s += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    };
    assert_eq!(checksum(&[0; 16], &[0; 16], 135, &data), reference);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(h) = DestinationOptions::new_checked(&b) {
            for o in h.options() { let _ = o; }
            let _ = h.home_address();
        }
        let _ = RoutingType2Repr::parse(&b);
        if let Ok(m) = MobilityHeader::new_checked(&b) {
            let _ = m.checksum_ok(&[0; 16], &[1; 16]);
        }
    }

    #[test]
    fn hao_and_rt2_round_trip(nh in any::<u8>(), a in any::<[u8; 16]>(), sl in 0u8..=1) {
        let r = HomeAddressRepr { next_header: nh, home_address: a };
        let mut b = [0u8; 24];
        r.emit(&mut b).unwrap();
        prop_assert_eq!(HomeAddressRepr::parse(&DestinationOptions::new_checked(&b).unwrap()), Ok(r));
        let r2 = RoutingType2Repr { next_header: nh, segments_left: sl, home_address: a };
        r2.emit(&mut b).unwrap();
        prop_assert_eq!(RoutingType2Repr::parse(&b), Ok(r2));
    }
}

/// An IPv6 header naming `next`, then `chain` (headers with their Next Header bytes already
/// set by the caller), then 8 bytes of UDP.
fn quoted(next: u8, chain: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0, 0, 0, next, 64];
    p.extend_from_slice(&[0x20; 16]);
    p.extend_from_slice(&[0x30; 16]);
    p.extend_from_slice(chain);
    p.extend_from_slice(&[0; 8]);
    p
}

fn rt2(next: u8, segments_left: u8) -> Vec<u8> {
    let mut b = [0u8; 24];
    RoutingType2Repr {
        next_header: next,
        segments_left,
        home_address: HOME,
    }
    .emit(&mut b)
    .unwrap();
    b.to_vec()
}

fn hao(next: u8) -> Vec<u8> {
    let mut b = [0u8; 24];
    HomeAddressRepr {
        next_header: next,
        home_address: HOME,
    }
    .emit(&mut b)
    .unwrap();
    b.to_vec()
}

#[test]
fn a_correspondents_rt2_packet_is_found_with_its_home_address() {
    let p = quoted(43, &rt2(17, 1));
    let q = quoted_home_addresses(&p);
    assert_eq!(
        q,
        QuotedHome {
            routing: Some(48),
            home_address: None
        }
    );
    assert_eq!(&p[48..64], &HOME);
    // Behind Hop-by-Hop and Destination Options headers too.
    let mut chain = vec![60, 0, 1, 4, 0, 0, 0, 0, 43, 0, 1, 4, 0, 0, 0, 0];
    chain.extend(rt2(6, 1));
    let p = quoted(0, &chain);
    assert_eq!(quoted_home_addresses(&p).routing, Some(64));
}

#[test]
fn a_mobile_nodes_hao_packet_is_found_with_its_home_address() {
    let p = quoted(60, &hao(58));
    let q = quoted_home_addresses(&p);
    assert_eq!(
        q,
        QuotedHome {
            routing: None,
            home_address: Some(48)
        }
    );
    assert_eq!(&p[48..64], &HOME);
    // Between two mobile nodes: both.
    let mut chain = rt2(60, 1);
    chain.extend(hao(17));
    let q = quoted_home_addresses(&quoted(43, &chain));
    assert_eq!(
        q,
        QuotedHome {
            routing: Some(48),
            home_address: Some(72)
        }
    );
}

#[test]
fn other_packets_have_no_home_address() {
    // No extension header; a processed RT2 (Segments Left 0); another routing type; a
    // fragment before the headers; a truncated quote.
    assert_eq!(
        quoted_home_addresses(&quoted(17, &[])),
        QuotedHome::default()
    );
    assert_eq!(
        quoted_home_addresses(&quoted(43, &rt2(17, 0))),
        QuotedHome::default()
    );
    let mut rh0 = rt2(17, 1);
    rh0[2] = 0;
    assert_eq!(
        quoted_home_addresses(&quoted(43, &rh0)),
        QuotedHome::default()
    );
    let mut frag = vec![43, 0, 0, 0, 1, 2, 3, 4];
    frag.extend(rt2(17, 1));
    assert_eq!(
        quoted_home_addresses(&quoted(44, &frag)),
        QuotedHome::default()
    );
    let p = quoted(43, &rt2(17, 1));
    assert_eq!(quoted_home_addresses(&p[..60]), QuotedHome::default());
    assert_eq!(quoted_home_addresses(&p[..5]), QuotedHome::default());
}

#[test]
fn malformed_or_repeated_headers_make_a_packet_none_of_ours() {
    // Two Home Address options; a HAO of 15 bytes; a routing header after the HAO; two RT2s.
    let mut two = vec![17, 5, 0xc9, 16];
    two.extend_from_slice(&HOME);
    two.extend_from_slice(&[0xc9, 16]);
    two.extend_from_slice(&HOME);
    two.extend_from_slice(&[1, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(two.len(), 48);
    assert_eq!(
        quoted_home_addresses(&quoted(60, &two)),
        QuotedHome::default()
    );
    let mut short = hao(17);
    short[7] = 15;
    assert_eq!(
        quoted_home_addresses(&quoted(60, &short)),
        QuotedHome::default()
    );
    let mut late = hao(43);
    late.extend(rt2(17, 1));
    assert_eq!(
        quoted_home_addresses(&quoted(60, &late)),
        QuotedHome::default()
    );
    let mut twice = rt2(43, 1);
    twice.extend(rt2(17, 1));
    assert_eq!(
        quoted_home_addresses(&quoted(43, &twice)),
        QuotedHome::default()
    );
}

proptest! {
    #[test]
    fn quoted_packets_never_panic_and_offsets_lie_inside(
        b in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let q = quoted_home_addresses(&b);
        for at in [q.routing, q.home_address].into_iter().flatten() {
            prop_assert!(at + 16 <= b.len());
        }
    }
}
