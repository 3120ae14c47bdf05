//! Independent decoder: NI Queries and Replies built with the Node Information core
//! (`net/ipv6/ni/ninfo_wire.rs`) are written to a pcap and decoded by tshark (Wireshark's
//! ICMPv6 dissector, which knows RFC 4620), which must see the same fields and nothing
//! malformed.  `make deps` installs tshark.

use rv6_cores::ninfo_wire::*;
use std::process::Command;

mod common;
use common::{
    ipv6,
    pcap,
    DST,
    SRC, //
};

fn v6(s: &str) -> Addr {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

const NONCE: [u8; 8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];

/// The Internet checksum over the IPv6 pseudo-header of [`ipv6`]'s packets and `icmp`.
fn icmp_checksum(icmp: &[u8]) -> u16 {
    let mut v = Vec::new();
    v.extend(SRC);
    v.extend(DST);
    v.extend((icmp.len() as u32).to_be_bytes());
    v.extend([0, 0, 0, 58]);
    v.extend(icmp);
    if v.len() % 2 == 1 {
        v.push(0);
    }
    let mut sum: u32 = v
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv6 packet carrying `icmp`, its checksum filled in as the kernel would.
fn packet(mut icmp: Vec<u8>) -> Vec<u8> {
    let c = icmp_checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    ipv6(58, &icmp)
}

fn query_packet(qtype: u16, flags: u16, subject: Subject<'_>) -> Vec<u8> {
    let q = Query {
        qtype: Qtype::from_u16(qtype),
        flags,
        nonce: NONCE,
        subject,
    };
    let mut b = vec![0; q.buffer_len()];
    q.emit(&mut b).unwrap();
    packet(b)
}

fn node_ipv6() -> Vec<Ipv6Address> {
    let a = |s: &str, ifindex, deprecated| Ipv6Address {
        addr: v6(s),
        ifindex,
        deprecated,
        ..Default::default()
    };
    vec![
        a("fe80::1", 2, false),
        a("2001:db8::1", 2, false),
        a("2001:db8::dead", 2, true),
        a("2001:db8:1::3", 3, false),
    ]
}

fn node_ipv4() -> Vec<Ipv4Address> {
    vec![
        Ipv4Address {
            addr: v4("192.0.2.1"),
            ifindex: 2,
        },
        Ipv4Address {
            addr: v4("198.51.100.3"),
            ifindex: 3,
        },
    ]
}

/// The Reply of the node `host` (in `domain`) to a Query, built with `code` into `room`
/// octets.
fn reply_packet(
    qtype: u16,
    flags: u16,
    subject: Subject<'_>,
    domain: Option<&[u8]>,
    code: ReplyCode,
    room: usize,
) -> Vec<u8> {
    let (ipv6_addrs, ipv4_addrs) = (node_ipv6(), node_ipv4());
    let node = Node {
        hostname: b"host",
        domain,
        ipv6: &ipv6_addrs,
        ipv4: &ipv4_addrs,
    };
    let q = Query {
        qtype: Qtype::from_u16(qtype),
        flags,
        nonce: NONCE,
        subject,
    };
    let ctx = Context {
        querier: v6("fe80::99"),
        queried: v6("ff02::2:ff18:3880"),
    };
    let mut out = vec![0; room];
    let len = build_reply(&q, &ctx, &node, code, &mut out).unwrap();
    out.truncate(len);
    packet(out)
}

/// tshark's `fields` of each packet, one row per packet, several occurrences joined by `,`.
fn fields(packets: &[Vec<u8>], fields: &[&str]) -> Vec<Vec<String>> {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("rv6-ninfo-{}-{n}.pcap", std::process::id()));
    std::fs::write(&path, pcap(packets)).unwrap();
    let mut args = vec!["-n", "-r"];
    let p = path.to_str().unwrap().to_string();
    args.push(&p);
    args.extend(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]);
    args.extend(["-E", "aggregator=,"]);
    for f in fields {
        args.extend(["-e", f]);
    }
    let out = Command::new("tshark")
        .args(&args)
        .output()
        .expect("tshark is installed by make deps");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

const GOOD: &str = "1"; // PROTO_CHECKSUM_E_GOOD

#[test]
fn tshark_decodes_queries_of_every_code() {
    let fqdn = Name::parse(b"\x04host\x07example\x03com\x00").unwrap();
    let single = Name::parse(b"\x04host\x00\x00").unwrap();
    let packets = [
        query_packet(0, 0, Subject::None),
        query_packet(2, 0, Subject::Ipv6(v6("2001:db8::1"))),
        query_packet(3, 0x2a, Subject::Name(fqdn)),
        query_packet(2, 0, Subject::Name(single)),
        query_packet(4, 0x02, Subject::Ipv4(v4("192.0.2.1"))),
    ];
    let rows = fields(
        &packets,
        &[
            "icmpv6.type",
            "icmpv6.code",
            "icmpv6.ni.qtype",
            "icmpv6.ni.flag",
            "icmpv6.ni.nonce",
            "icmpv6.ni.query.subject_ipv6",
            "icmpv6.ni.query.subject_fqdn",
            "icmpv6.ni.query.subject_ipv4",
            "icmpv6.checksum.status",
            "_ws.malformed",
        ],
    );
    let nonce = "0x0123456789abcdef";
    let row = |c: &str, q: &str, f: &str, v6: &str, name: &str, v4: &str| {
        ["139", c, q, f, nonce, v6, name, v4, GOOD, ""].map(str::to_string)
    };
    assert_eq!(rows[0], row("1", "0", "0x0000", "", "", ""));
    assert_eq!(rows[1], row("0", "2", "0x0000", "2001:db8::1", "", ""));
    assert_eq!(rows[2], row("1", "3", "0x002a", "", "host.example.com", ""));
    assert_eq!(rows[3], row("1", "2", "0x0000", "", "host", ""));
    assert_eq!(rows[4], row("2", "4", "0x0002", "", "", "192.0.2.1"));
}

#[test]
fn tshark_decodes_replies_of_every_qtype_and_code() {
    let fqdn = Name::parse(b"\x04host\x07example\x03com\x00").unwrap();
    let all = flags::G | flags::S | flags::L | flags::C | flags::A;
    let by_name = Subject::Name(fqdn);
    let domain = Some(&b"example.com"[..]);
    let success = ReplyCode::Success;
    let packets = [
        reply_packet(0, 0, Subject::None, domain, success, 1240),
        reply_packet(2, 0, by_name, domain, success, 1240),
        reply_packet(2, 0, Subject::Ipv4(v4("192.0.2.1")), None, success, 1240),
        reply_packet(3, all, by_name, domain, success, 1240),
        reply_packet(3, all, by_name, domain, success, HEADER_LEN + 40),
        reply_packet(4, flags::A, by_name, domain, success, 1240),
        reply_packet(3, all, by_name, domain, ReplyCode::Refused, 1240),
        reply_packet(9, 0xffff, by_name, domain, ReplyCode::UnknownQtype, 1240),
    ];
    let rows = fields(
        &packets,
        &[
            "icmpv6.type",
            "icmpv6.code",
            "icmpv6.ni.qtype",
            "icmpv6.ni.flag",
            "icmpv6.ni.flag.t",
            "icmpv6.ni.nonce",
            "icmpv6.ni.reply.node_ttl",
            "icmpv6.ni.reply.node_name",
            "icmpv6.ni.reply.node_address",
            "icmpv6.ni.reply.ipv4_address",
            "icmpv6.checksum.status",
            "_ws.malformed",
        ],
    );
    let nonce = "0x0123456789abcdef";
    let row = |c: &str, q: &str, f: &str, t: &str, ttl: &str, name: &str, v6: &str, v4: &str| {
        ["140", c, q, f, t, nonce, ttl, name, v6, v4, GOOD, ""].map(str::to_string)
    };
    assert_eq!(rows[0], row("0", "0", "0x0000", "0", "", "", "", ""));
    assert_eq!(
        rows[1],
        row("0", "2", "0x0000", "0", "0", "host.example.com", "", "")
    );
    assert_eq!(rows[2], row("0", "2", "0x0000", "0", "0", "host", "", ""));
    let listed = "fe80::1,2001:db8::1,2001:db8:1::3,::ffff:192.0.2.1,::ffff:198.51.100.3,\
                  2001:db8::dead";
    assert_eq!(
        rows[3],
        row("0", "3", "0x003e", "0", "0,0,0,0,0,0", "", listed, "")
    );
    assert_eq!(
        rows[4],
        row(
            "0",
            "3",
            "0x003f",
            "1",
            "0,0",
            "",
            "fe80::1,2001:db8::1",
            ""
        )
    );
    assert_eq!(
        rows[5],
        row(
            "0",
            "4",
            "0x0002",
            "0",
            "0,0",
            "",
            "",
            "192.0.2.1,198.51.100.3"
        )
    );
    assert_eq!(rows[6], row("1", "3", "0x003e", "0", "", "", "", ""));
    assert_eq!(rows[7], row("2", "9", "0x0000", "0", "", "", "", ""));
}
