//! What the tshark cross-checks share: test addresses, a bare IPv6 packet and a pcap file
//! of them for tshark to read.
#![allow(dead_code)]

/// An IPv6 address as bytes.
pub type Addr = [u8; 16];

/// The source of [`ipv6`]'s packets (a ULID, a home address).
pub const SRC: Addr = [
    0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
];
/// Their destination.
pub const DST: Addr = [
    0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
];

/// A bare IPv6 packet from [`SRC`] to [`DST`] (hop limit 64, no flow label).
pub fn ipv6(next_header: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend((payload.len() as u16).to_be_bytes());
    p.extend([next_header, 64]);
    p.extend(SRC);
    p.extend(DST);
    p.extend(payload);
    p
}

/// A pcap file (LINKTYPE_RAW = 101: bare IP packets).
pub fn pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend(0xa1b2c3d4u32.to_le_bytes());
    f.extend(2u16.to_le_bytes());
    f.extend(4u16.to_le_bytes());
    f.extend([0u8; 8]);
    f.extend(65535u32.to_le_bytes());
    f.extend(101u32.to_le_bytes());
    for p in packets {
        f.extend([0u8; 8]);
        f.extend((p.len() as u32).to_le_bytes());
        f.extend((p.len() as u32).to_le_bytes());
        f.extend(p);
    }
    f
}
