//! Independent decoder: packets built with the Mobile IPv6 core are written to a pcap and
//! decoded by tshark (Wireshark's dissectors), which must see the same Home Address option,
//! type 2 Routing Header and Mobility Header fields.  `make deps` installs tshark.

use rv6_cores::mip6_wire::*;
use std::process::Command;

mod common;
use common::{ipv6, pcap, DST, SRC};

const HOME: Addr = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// An ICMPv6 echo request whose checksum covers `src` and `dst`: RFC 6275 §9.3.1 and §6.4
/// say the home address stands in for the care-of address in the pseudo-header.
fn echo_request(src: &Addr, dst: &Addr) -> Vec<u8> {
    let mut m = vec![128, 0, 0, 0, 0, 1, 0, 1];
    let c = checksum(src, dst, 58, &m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

#[test]
fn tshark_decodes_what_the_core_emits() {
    // 1: IPv6 + HAO destination options + ICMPv6 echo (as a mobile node sends it).
    let mut hao = [0u8; HomeAddressRepr::LEN];
    HomeAddressRepr {
        next_header: 58,
        home_address: HOME,
    }
    .emit(&mut hao)
    .unwrap();
    let p1 = ipv6(60, &[&hao[..], &echo_request(&HOME, &DST)].concat());
    // 2: IPv6 + type 2 Routing Header + ICMPv6 echo (as a correspondent node answers).
    let mut rt2 = [0u8; RoutingType2Repr::LEN];
    RoutingType2Repr {
        next_header: 58,
        segments_left: 1,
        home_address: HOME,
    }
    .emit(&mut rt2)
    .unwrap();
    let p2 = ipv6(43, &[&rt2[..], &echo_request(&SRC, &HOME)].concat());
    // 3: a Binding Refresh Request Mobility Header with its checksum.
    let mut mh = vec![IPPROTO_NONE, 0, 0, 0, 0, 0, 0, 0];
    let c = checksum(&SRC, &DST, 135, &mh);
    mh[4..6].copy_from_slice(&c.to_be_bytes());
    let p3 = ipv6(135, &mh);

    let path = std::env::temp_dir().join(format!("rv6-mip6-{}.pcap", std::process::id()));
    std::fs::write(&path, pcap(&[p1, p2, p3])).unwrap();
    let out = Command::new("tshark")
        .args(["-V", "-r"])
        .arg(&path)
        .output()
        .expect("tshark is installed by make deps");
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "MIPv6 Home Address: 2001:db8:aa::10", // packet 1: the Home Address option
        "Type: Type 2 Routing (2)",            // packet 2: the type 2 Routing Header
        "Segments Left: 1",
        "Address[1]: 2001:db8:aa::10",
        "Mobility Header Type: Binding Refresh Request (0)", // packet 3
    ] {
        assert!(
            text.contains(needle),
            "tshark output lacks {needle:?}:\n{text}"
        );
    }
    // Wireshark checks the ICMPv6 checksums with the home address in the pseudo-header, as
    // RFC 6275 says, and finds both right; nothing is malformed.
    assert_eq!(text.matches("[Checksum Status: Good]").count(), 2, "{text}");
    assert!(
        !text.contains("Bad checksum") && !text.contains("Malformed"),
        "{text}"
    );
}
