//! The Node Information responder core of rv6_ninfo (`net/ipv6/ni/ninfo_wire.rs`, RFC 4620):
//! every Qtype and Code, what each flag combination lists, truncation, name matching, §5's
//! order of checks and §8's defaults, malformed input, NI Group Addresses, and proptests that
//! arbitrary input never panics and that what the core writes parses back.
use md5::{
    Digest,
    Md5, //
};
use proptest::prelude::*;
use rv6_cores::ninfo_wire::*;

fn v6(s: &str) -> Addr {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

fn addr(a: &str, ifindex: u32) -> Ipv6Address {
    Ipv6Address {
        addr: v6(a),
        ifindex,
        ..Default::default()
    }
}

const LO: u32 = 1;
const ETH0: u32 = 2;
const ETH1: u32 = 3;
const SIT0: u32 = 4;

/// The node the tests ask about: loopback, two Ethernets and a 6in4 tunnel with an
/// IPv4-compatible address, each kind of address state once.
fn ipv6_addresses() -> Vec<Ipv6Address> {
    vec![
        addr("::1", LO),
        addr("fe80::1", ETH0),
        addr("2001:db8::1", ETH0),
        Ipv6Address {
            deprecated: true,
            ..addr("2001:db8::dead", ETH0)
        },
        Ipv6Address {
            temporary: true,
            ..addr("2001:db8::7e", ETH0)
        },
        addr("fec0::1", ETH0),
        Ipv6Address {
            tentative: true,
            ..addr("2001:db8::aaaa", ETH0)
        },
        Ipv6Address {
            anycast: true,
            ..addr("2001:db8::ac", ETH0)
        },
        addr("fe80::3", ETH1),
        Ipv6Address {
            deprecated: true,
            ..addr("fe80::3:dead", ETH1)
        },
        addr("2001:db8:1::3", ETH1),
        addr("::192.0.2.9", SIT0),
    ]
}

fn ipv4_addresses() -> Vec<Ipv4Address> {
    vec![
        Ipv4Address {
            addr: v4("127.0.0.1"),
            ifindex: LO,
        },
        Ipv4Address {
            addr: v4("192.0.2.1"),
            ifindex: ETH0,
        },
        Ipv4Address {
            addr: v4("198.51.100.3"),
            ifindex: ETH1,
        },
    ]
}

struct Fixture {
    ipv6: Vec<Ipv6Address>,
    ipv4: Vec<Ipv4Address>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            ipv6: ipv6_addresses(),
            ipv4: ipv4_addresses(),
        }
    }

    fn node(&self) -> Node<'_> {
        Node {
            hostname: b"Host",
            domain: Some(b"example.com"),
            ipv6: &self.ipv6,
            ipv4: &self.ipv4,
        }
    }
}

const NONCE: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// A link-local querier asking fe80::1, as `ping -N` on the link does.
fn ctx() -> Context {
    Context {
        querier: v6("fe80::99"),
        queried: v6("fe80::1"),
    }
}

fn query(qtype: u16, flags: u16, subject: Subject<'_>) -> Query<'_> {
    Query {
        qtype: Qtype::from_u16(qtype),
        flags,
        nonce: NONCE,
        subject,
    }
}

fn bytes(q: &Query<'_>) -> Vec<u8> {
    let mut b = vec![0; q.buffer_len()];
    assert_eq!(q.emit(&mut b), Ok(b.len()));
    b
}

/// The Reply the fixture node sends with the default policy, parsed.
fn reply_to(q: &Query<'_>) -> Vec<u8> {
    reply_with(q, &ctx(), &Policy::default(), MIN_MTU_REPLY_LEN)
}

fn reply_with(q: &Query<'_>, ctx: &Context, policy: &Policy, room: usize) -> Vec<u8> {
    let f = Fixture::new();
    let mut out = vec![0xee; room];
    let r = respond(&bytes(q), ctx, &f.node(), policy, &mut out).expect("a Reply");
    out.truncate(r.len);
    out
}

fn listed(reply: &[u8]) -> Vec<Addr> {
    let r = parse_reply(reply).unwrap();
    assert!(
        r.ipv6_addresses().all(|(ttl, _)| ttl == 0),
        "§6.3: TTLs zero"
    );
    r.ipv6_addresses().map(|(_, a)| a).collect()
}

fn name(wire: &[u8]) -> Name<'_> {
    Name::parse(wire).unwrap()
}

const HOST_FQDN: &[u8] = b"\x04host\x07example\x03com\x00";

// --- Parsing Queries -----------------------------------------------------------------------

#[test]
fn query_header_fields_and_each_subject_code_parse() {
    let mut b = vec![139, 0, 0xab, 0xcd, 0, 3, 0x12, 0x3e];
    b.extend(NONCE);
    b.extend(v6("2001:db8::1"));
    let q = parse_query(&b).unwrap();
    assert_eq!(q.qtype, Qtype::NodeAddresses);
    assert_eq!(q.flags, 0x123e, "flags kept as received, unused bits too");
    assert_eq!(q.nonce, NONCE);
    assert_eq!(q.subject, Subject::Ipv6(v6("2001:db8::1")));

    let mut b = vec![139, 2, 0, 0, 0, 4, 0, 2];
    b.extend(NONCE);
    b.extend([192, 0, 2, 1]);
    assert_eq!(
        parse_query(&b).unwrap().subject,
        Subject::Ipv4(v4("192.0.2.1"))
    );

    let mut b = vec![139, 1, 0, 0, 0, 2, 0, 0];
    b.extend(NONCE);
    b.extend(HOST_FQDN);
    let q = parse_query(&b).unwrap();
    assert_eq!(q.qtype, Qtype::NodeName);
    let Subject::Name(n) = q.subject else {
        panic!("{q:?}")
    };
    assert!(n.fully_qualified());
    let labels: Vec<&[u8]> = n.labels().collect();
    assert_eq!(labels, [&b"host"[..], b"example", b"com"]);
}

#[test]
fn noop_ignores_its_code_and_data() {
    // §6.1: "On reception of a NOOP Query or Reply, the Code must be ignored."
    for code in [0, 1, 2, 3, 200] {
        let mut b = vec![139, code, 0, 0, 0, 0, 0xff, 0xff];
        b.extend(NONCE);
        b.extend([1, 2, 3]);
        let q = parse_query(&b).unwrap();
        assert_eq!((q.qtype, q.subject), (Qtype::Noop, Subject::None));
    }
    // And one is sent with Code 1 and no Data.
    let q = query(0, 0, Subject::Ipv6(v6("::1")));
    assert_eq!(
        bytes(&q),
        [&[139, 1, 0, 0, 0, 0, 0, 0][..], &NONCE].concat()
    );
}

#[test]
fn short_or_foreign_messages_are_malformed() {
    let good = bytes(&query(2, 0, Subject::Ipv4(v4("192.0.2.1"))));
    for len in 0..16 {
        assert_eq!(parse_query(&good[..len]), Err(Malformed::TooShort), "{len}");
    }
    let mut reply = good.clone();
    reply[0] = 140;
    assert_eq!(parse_query(&reply), Err(Malformed::WrongType));
    let mut echo = good.clone();
    echo[0] = 128;
    assert_eq!(parse_query(&echo), Err(Malformed::WrongType));
    assert_eq!(parse_reply(&good), Err(Malformed::WrongType));
}

#[test]
fn unknown_codes_are_malformed_for_every_qtype_but_noop() {
    for qtype in [2u16, 3, 4, 1, 5, 0xffff] {
        for code in [3u8, 4, 0x80, 0xff] {
            let mut b = vec![139, code, 0, 0];
            b.extend(qtype.to_be_bytes());
            b.extend([0, 0]);
            b.extend(NONCE);
            b.extend(v6("2001:db8::1"));
            assert_eq!(
                parse_query(&b),
                Err(Malformed::UnknownCode),
                "{qtype} {code}"
            );
        }
    }
}

#[test]
fn address_subjects_must_have_their_exact_length() {
    for (code, ok) in [(0u8, 16usize), (2, 4)] {
        for len in [0, 1, ok - 1, ok + 1, 20, 32] {
            let mut b = vec![139, code, 0, 0, 0, 2, 0, 0];
            b.extend(NONCE);
            b.extend(vec![1; len]);
            assert_eq!(
                parse_query(&b),
                Err(Malformed::SubjectLength),
                "{code} {len}"
            );
        }
    }
}

#[test]
fn known_qtypes_need_a_subject_unknown_ones_may_have_none() {
    for qtype in [2u16, 3, 4] {
        let mut b = vec![139, 1, 0, 0];
        b.extend(qtype.to_be_bytes());
        b.extend([0, 0]);
        b.extend(NONCE);
        assert_eq!(parse_query(&b), Err(Malformed::MissingSubject));
    }
    for qtype in [1u16, 5, 0x8000] {
        let mut b = vec![139, 1, 0, 0];
        b.extend(qtype.to_be_bytes());
        b.extend([0, 0]);
        b.extend(NONCE);
        let q = parse_query(&b).unwrap();
        assert_eq!((q.qtype, q.subject), (Qtype::Unknown(qtype), Subject::None));
    }
}

#[test]
fn subject_names_are_uncompressed_fqdns_or_single_labels_with_two_zeros() {
    use NameError::*;
    let long_label = [&[63u8][..], &[b'a'; 63]].concat();
    let too_long = [&long_label.repeat(4)[..], &[0]].concat(); // 4 * 64 + 1 = 257 octets
    let longest = [&long_label.repeat(3)[..], &[61], &[b'b'; 61], &[0]].concat(); // 255
    assert_eq!(longest.len(), 255);
    let cases: &[(&[u8], Result<bool, NameError>)] = &[
        (b"\x04host\x00", Ok(true)),
        (b"\x04host\x00\x00", Ok(false)),
        (HOST_FQDN, Ok(true)),
        (&longest, Ok(true)),
        (&too_long, Err(TooLong)),
        (b"\x00", Err(Empty)),
        (b"\x00\x00", Err(Empty)),
        (b"\x04host", Err(Truncated)),
        (b"\x04ho", Err(Truncated)),
        (b"\x04host\x07example\x03com", Err(Truncated)),
        (b"\x04host\x07example\x03com\x00\x00", Err(TrailingData)),
        (b"\x04host\x00\x00\x00", Err(TrailingData)),
        (b"\x04host\x00x", Err(TrailingData)),
        (b"\x04host\xc0\x00", Err(Compressed)),
        (b"\xc0\x10", Err(Compressed)),
        (b"\x41host\x00", Err(LabelType)),
        (b"\x80\x00", Err(LabelType)),
    ];
    for (wire, want) in cases {
        assert_eq!(
            Name::parse(wire).map(|n| n.fully_qualified()),
            *want,
            "{wire:x?}"
        );
        let mut b = vec![139, 1, 0, 0, 0, 2, 0, 0];
        b.extend(NONCE);
        b.extend(*wire);
        assert_eq!(
            parse_query(&b).err(),
            want.err().map(Malformed::Name),
            "{wire:x?}"
        );
    }
}

#[test]
fn queries_round_trip_through_emit_and_parse() {
    let single = name(b"\x04host\x00\x00");
    let fqdn = name(HOST_FQDN);
    for q in [
        query(0, 0, Subject::None),
        query(2, 0, Subject::Ipv6(v6("fe80::1"))),
        query(2, 0, Subject::Name(single)),
        query(3, 0x3e, Subject::Name(fqdn)),
        query(4, 0x0002, Subject::Ipv4(v4("192.0.2.1"))),
        query(1, 0, Subject::None),
        query(77, 0xffff, Subject::Ipv6(v6("2001:db8::1"))),
    ] {
        let b = bytes(&q);
        assert_eq!(parse_query(&b), Ok(q));
        assert_eq!(b[..2], [139, q.code()]);
        assert_eq!(b[2..4], [0, 0], "checksum left for the kernel");
        let mut small = vec![0; b.len() - 1];
        assert_eq!(q.emit(&mut small), Err(NoRoom));
    }
}

// --- Names -------------------------------------------------------------------------------

fn node_name(host: &str, domain: Option<&str>) -> Result<Vec<u8>, NameError> {
    let n = NodeName::new(host.as_bytes(), domain.map(str::as_bytes))?;
    let mut b = vec![0; 300];
    let len = n.name().emit(&mut b, 0).unwrap();
    b.truncate(len);
    Ok(b)
}

#[test]
fn node_names_are_fully_qualified_where_the_domain_is_known() {
    assert_eq!(
        node_name("host", Some("example.com")),
        Ok(HOST_FQDN.to_vec())
    );
    assert_eq!(
        node_name("host", Some("example.com.")),
        Ok(HOST_FQDN.to_vec())
    );
    assert_eq!(node_name("host.example.com", None), Ok(HOST_FQDN.to_vec()));
    assert_eq!(node_name("host.example.com.", None), Ok(HOST_FQDN.to_vec()));
    // A hostname with a dot is fully qualified already: the domain is not added again.
    assert_eq!(
        node_name("host.example.com", Some("example.com")),
        Ok(HOST_FQDN.to_vec())
    );
    assert_eq!(
        node_name("host.", Some("example.com")),
        Ok(b"\x04host\x00".to_vec())
    );
    // §6.2: otherwise "a single DNS label followed by two zero-length labels".
    assert_eq!(node_name("host", None), Ok(b"\x04host\x00\x00".to_vec()));
    assert_eq!(
        node_name("host", Some("")),
        Ok(b"\x04host\x00\x00".to_vec())
    );
    assert_eq!(
        node_name("host", Some(".")),
        Ok(b"\x04host\x00\x00".to_vec())
    );
    assert_eq!(
        node_name("Host", None),
        Ok(b"\x04Host\x00\x00".to_vec()),
        "case kept"
    );
}

#[test]
fn node_names_that_dns_cannot_carry_are_errors() {
    assert_eq!(node_name("", None), Err(NameError::Empty));
    assert_eq!(node_name(".", None), Err(NameError::Empty));
    assert_eq!(node_name("a..b", None), Err(NameError::EmptyLabel));
    assert_eq!(node_name(".a", None), Err(NameError::EmptyLabel));
    assert_eq!(node_name("host", Some("a..b")), Err(NameError::EmptyLabel));
    let l63 = "a".repeat(63);
    assert!(node_name(&l63, None).is_ok());
    assert_eq!(
        node_name(&"a".repeat(64), None),
        Err(NameError::LabelTooLong)
    );
    // 255 octets in wire format is the most: four labels of 63 are 4 * 64 + 1 = 257.
    let long = [l63.as_str(); 4].join(".");
    assert_eq!(node_name(&long, None), Err(NameError::TooLong));
    let longest = format!("{l63}.{l63}.{l63}.{}", "b".repeat(61));
    assert_eq!(node_name(&longest, None).map(|b| b.len()), Ok(255));
    assert_eq!(
        node_name(&format!("{longest}b"), None),
        Err(NameError::TooLong)
    );
}

#[test]
fn name_subjects_match_case_independently_with_or_without_the_domain() {
    let fq = NodeName::new(b"Host", Some(b"Example.COM")).unwrap();
    let bare = NodeName::new(b"host", None).unwrap();
    let subject = |w: &'static [u8]| name(w);
    // §5: "A single-component Subject Name matches any fully-qualified name whose first
    // label matches the Subject.  All name matching is done in a case-independent manner".
    assert!(subject(b"\x04HOST\x00\x00").matches(&fq.name()));
    assert!(subject(b"\x04host\x00\x00").matches(&bare.name()));
    assert!(subject(HOST_FQDN).matches(&fq.name()));
    assert!(subject(b"\x04hOsT\x07EXAMPLE\x03com\x00").matches(&fq.name()));
    assert!(!subject(b"\x05hosts\x00\x00").matches(&fq.name()));
    assert!(!subject(b"\x03hos\x00\x00").matches(&fq.name()));
    assert!(!subject(b"\x04host\x07example\x03org\x00").matches(&fq.name()));
    assert!(!subject(b"\x04host\x07example\x00").matches(&fq.name()));
    assert!(!subject(b"\x04host\x07example\x03com\x02uk\x00").matches(&fq.name()));
    // A fully-qualified subject is not a bare hostname's whose domain is unknown, nor is a
    // one-label FQDN the single-label name.
    assert!(!subject(HOST_FQDN).matches(&bare.name()));
    assert!(!subject(b"\x04host\x00").matches(&bare.name()));
    assert!(!subject(b"\x04host\x00").matches(&fq.name()));
}

#[test]
fn subject_matches_the_nodes_addresses_and_names_only() {
    let f = Fixture::new();
    let node = f.node();
    let yes = [
        Subject::None,
        Subject::Ipv6(v6("2001:db8::1")),
        Subject::Ipv6(v6("fe80::3")),
        Subject::Ipv6(v6("2001:db8::dead")), // deprecated is still the node's
        Subject::Ipv6(v6("2001:db8::ac")),   // anycast too
        Subject::Ipv6(v6("::1")),
        Subject::Ipv4(v4("192.0.2.1")),
        Subject::Name(name(b"\x04HOST\x00\x00")),
        Subject::Name(name(HOST_FQDN)),
    ];
    for s in yes {
        assert!(subject_matches(&query(2, 0, s), &node), "{s:?}");
    }
    let no = [
        Subject::Ipv6(v6("2001:db8::2")),
        Subject::Ipv6(v6("2001:db8::aaaa")), // tentative: not yet the node's
        Subject::Ipv6(v6("ff02::1")),
        Subject::Ipv4(v4("192.0.2.2")),
        Subject::Name(name(b"\x05other\x00\x00")),
    ];
    for s in no {
        assert!(!subject_matches(&query(2, 0, s), &node), "{s:?}");
    }
    let nameless = Node {
        hostname: b"",
        ..node
    };
    assert!(!subject_matches(
        &query(2, 0, Subject::Name(name(b"\x04host\x00\x00"))),
        &nameless
    ));
}

// --- NI Group Addresses --------------------------------------------------------------------

fn md5(b: &[u8]) -> [u8; 16] {
    Md5::digest(b).into()
}

fn group_of(label: &[u8]) -> (Addr, Addr) {
    let mut buf = [0; 64];
    let input = ni_group_hash_input(label, &mut buf).unwrap();
    let d = md5(input);
    (ni_group_address(&d), ni_group_address_draft(&d))
}

#[test]
fn ni_group_address_is_ff02_0_0_0_0_2_ff_and_24_bits_of_md5_of_the_first_label() {
    // Digests computed independently (Python hashlib) over "\x07example" and "\x04host".
    assert_eq!(
        md5(b"\x07example"),
        *b"\x95\x2c\x60\x02\x54\x63\x0d\xbd\x08\xa2\x85\xef\xff\x7b\xb7\x85"
    );
    assert_eq!(group_of(b"example").0, v6("ff02::2:ff95:2c60"));
    assert_eq!(group_of(b"example").1, v6("ff02::2:952c:6002"));
    assert_eq!(
        group_of(b"EXAMPLE"),
        group_of(b"example"),
        "canonical: lowercase"
    );
    assert_eq!(group_of(b"host").0, v6("ff02::2:ff18:3880"));
    assert_eq!(group_of(b"host").1, v6("ff02::2:1838:803c"));
    // Only the first label is hashed, with its length octet.
    let fq = NodeName::new(b"Host", Some(b"example.com")).unwrap();
    assert_eq!(group_of(fq.name().first_label()).0, v6("ff02::2:ff18:3880"));
    let mut buf = [0; 64];
    assert_eq!(
        ni_group_hash_input(b"Host", &mut buf),
        Some(&b"\x04host"[..])
    );
    assert_eq!(ni_group_hash_input(b"", &mut buf), None);
    assert_eq!(ni_group_hash_input(&[b'a'; 64], &mut buf), None);
    assert_eq!(
        ni_group_hash_input(&[b'A'; 63], &mut buf).map(|i| i.len()),
        Some(64)
    );
}

#[test]
fn ni_group_addresses_are_recognised() {
    assert!(is_ni_group(&v6("ff02::2:ff95:2c60")));
    assert!(is_ni_group(&v6("ff02::2:952c:6002")));
    assert!(!is_ni_group(&v6("ff02::1")));
    assert!(!is_ni_group(&v6("ff05::2:ff95:2c60")));
    assert!(!is_ni_group(&v6("ff02::1:ff95:2c60")));
}

// --- Decisions (§5, §8) --------------------------------------------------------------------

fn decide_on(q: &Query<'_>, ctx: &Context, policy: &Policy) -> Decision {
    let f = Fixture::new();
    decide(q, ctx, &f.node(), policy)
}

fn from(querier: &str, queried: &str) -> Context {
    Context {
        querier: v6(querier),
        queried: v6(queried),
    }
}

#[test]
fn default_policy_answers_loopback_link_local_and_the_node_itself() {
    let q = query(2, 0, Subject::Ipv6(v6("fe80::1")));
    let p = Policy::default();
    for (querier, queried) in [
        ("::1", "::1"),
        ("fe80::99", "fe80::1"),
        ("fe80::99", "ff02::1"),
        ("fe80::99", "ff02::2:ff18:3880"),
        ("2001:db8::1", "2001:db8::1"), // the node asking itself from a global address
        ("2001:db8:1::3", "ff02::1"),
    ] {
        assert_eq!(
            decide_on(&q, &from(querier, queried), &p),
            Decision::Answer,
            "{querier}"
        );
    }
}

#[test]
fn default_policy_refuses_global_and_site_local_queriers_silently() {
    // §8: "MUST have a default configuration that refuses to answer queries from global-scope
    // addresses"; §5: refusing is silence or Code 1, "depending on local policy".
    let q = query(2, 0, Subject::Ipv6(v6("2001:db8::1")));
    let refused = Decision::Ignore(Ignored::Refused(Refused::QuerierScope));
    for querier in [
        "2001:db8::99",
        "fd00::1",
        "fec0::99",
        "::ffff:192.0.2.99",
        "64:ff9b::1",
    ] {
        let c = from(querier, "2001:db8::1");
        assert_eq!(decide_on(&q, &c, &Policy::default()), refused, "{querier}");
    }
    let loud = Policy {
        refuse_with_reply: true,
        ..Policy::default()
    };
    let c = from("2001:db8::99", "2001:db8::1");
    assert_eq!(
        decide_on(&q, &c, &loud),
        Decision::Refuse(Refused::QuerierScope)
    );
    let site = Policy {
        querier_scope: Scope::SiteLocal,
        ..Policy::default()
    };
    assert_eq!(
        decide_on(&q, &from("fec0::99", "fec0::1"), &site),
        Decision::Answer
    );
    assert_eq!(decide_on(&q, &c, &site), refused);
    let global = Policy {
        querier_scope: Scope::Global,
        ..Policy::default()
    };
    assert_eq!(decide_on(&q, &c, &global), Decision::Answer);
}

#[test]
fn queries_from_nobody_or_to_wider_multicast_scopes_are_dropped() {
    let q = query(0, 0, Subject::None);
    let p = Policy::default();
    for querier in ["::", "ff02::1", "ff02::2:ff18:3880"] {
        assert_eq!(
            decide_on(&q, &from(querier, "fe80::1"), &p),
            Decision::Ignore(Ignored::QuerierInvalid),
            "{querier}"
        );
    }
    // §5: "a link-local scope multicast address that the Responder has joined".
    for queried in ["ff01::1", "ff05::1", "ff0e::1", "ff15::1"] {
        assert_eq!(
            decide_on(&q, &from("fe80::99", queried), &p),
            Decision::Ignore(Ignored::QueriedScope),
            "{queried}"
        );
    }
    assert_eq!(
        decide_on(&q, &from("fe80::99", "ff12::2"), &p),
        Decision::Answer
    );
}

#[test]
fn ni_group_only_drops_other_multicast_queries_and_is_off_by_default() {
    let q = query(2, 0, Subject::Name(name(b"\x04host\x00\x00")));
    let strict = Policy {
        ni_group_only: true,
        ..Policy::default()
    };
    assert_eq!(
        decide_on(&q, &from("fe80::99", "ff02::1"), &Policy::default()),
        Decision::Answer
    );
    assert_eq!(
        decide_on(&q, &from("fe80::99", "ff02::1"), &strict),
        Decision::Ignore(Ignored::NotNiGroup)
    );
    for group in ["ff02::2:ff18:3880", "ff02::2:1838:803c"] {
        assert_eq!(
            decide_on(&q, &from("fe80::99", group), &strict),
            Decision::Answer
        );
    }
    assert_eq!(
        decide_on(&q, &from("fe80::99", "fe80::1"), &strict),
        Decision::Answer
    );
}

#[test]
fn checks_run_in_section_5_order() {
    let global = from("2001:db8::99", "2001:db8::1");
    let off = Policy {
        node_name: false,
        refuse_with_reply: true,
        ..Policy::default()
    };
    // The subject first: a stranger's subject is dropped, whatever the Qtype or querier.
    for qtype in [2, 1, 9] {
        let q = query(qtype, 0, Subject::Ipv6(v6("2001:db8::2")));
        assert_eq!(
            decide_on(&q, &ctx(), &Policy::default()),
            Decision::Ignore(Ignored::SubjectNotOurs)
        );
        assert_eq!(
            decide_on(&q, &global, &off),
            Decision::Ignore(Ignored::SubjectNotOurs)
        );
    }
    // Then the Qtype: "Next, if Qtype is unknown to the Responder, it must return an NI
    // Reply with ICMPv6 Code = 2", before any policy, so even to a global querier.
    for qtype in [1, 5, 0xffff] {
        let q = query(qtype, 0, Subject::Ipv6(v6("2001:db8::1")));
        assert_eq!(
            decide_on(&q, &ctx(), &Policy::default()),
            Decision::UnknownQtype
        );
        assert_eq!(
            decide_on(&q, &global, &Policy::default()),
            Decision::UnknownQtype
        );
        let q = query(qtype, 0, Subject::None);
        assert_eq!(
            decide_on(&q, &ctx(), &Policy::default()),
            Decision::UnknownQtype
        );
    }
    // Then policy: the querier's scope before the Qtype switch.
    let q = query(2, 0, Subject::Ipv6(v6("2001:db8::1")));
    assert_eq!(
        decide_on(&q, &global, &off),
        Decision::Refuse(Refused::QuerierScope)
    );
    assert_eq!(
        decide_on(&q, &ctx(), &off),
        Decision::Refuse(Refused::Qtype)
    );
}

#[test]
fn each_qtype_can_be_turned_off() {
    let subject = Subject::Ipv6(v6("fe80::1"));
    type TurnOff = fn(&mut Policy);
    let cases: [(u16, TurnOff); 4] = [
        (0, |p| p.noop = false),
        (2, |p| p.node_name = false),
        (3, |p| p.node_addresses = false),
        (4, |p| p.ipv4_addresses = false),
    ];
    for (qtype, turn_off) in cases {
        let mut p = Policy::default();
        assert_eq!(
            decide_on(&query(qtype, 0, subject), &ctx(), &p),
            Decision::Answer
        );
        turn_off(&mut p);
        for other in [0, 2, 3, 4].into_iter().filter(|&o| o != qtype) {
            assert_eq!(
                decide_on(&query(other, 0, subject), &ctx(), &p),
                Decision::Answer
            );
        }
        assert_eq!(
            decide_on(&query(qtype, 0, subject), &ctx(), &p),
            Decision::Ignore(Ignored::Refused(Refused::Qtype))
        );
    }
}

#[test]
fn queries_about_or_to_privacy_addresses_are_refused_by_default() {
    // §8: "The default action of this policy SHOULD NOT provide a response to a Query that
    // contains a node's Privacy Addresses."
    let refused = Decision::Ignore(Ignored::Refused(Refused::PrivacyAddress));
    let about = query(2, 0, Subject::Ipv6(v6("2001:db8::7e")));
    let to = query(2, 0, Subject::Name(name(b"\x04host\x00\x00")));
    let to_ctx = from("fe80::99", "2001:db8::7e");
    assert_eq!(decide_on(&about, &ctx(), &Policy::default()), refused);
    assert_eq!(decide_on(&to, &to_ctx, &Policy::default()), refused);
    let open = Policy {
        privacy_addresses: true,
        ..Policy::default()
    };
    assert_eq!(decide_on(&about, &ctx(), &open), Decision::Answer);
    assert_eq!(decide_on(&to, &to_ctx, &open), Decision::Answer);
}

// --- Replies -------------------------------------------------------------------------------

#[test]
fn noop_reply_is_code_0_with_the_nonce_and_nothing_else() {
    let r = reply_to(&query(0, 0xffff, Subject::None));
    assert_eq!(r, [&[140, 0, 0, 0, 0, 0, 0, 0][..], &NONCE].concat());
    let p = parse_reply(&r).unwrap();
    assert_eq!(
        (p.code, p.qtype, p.flags, p.nonce),
        (0, Qtype::Noop, 0, NONCE)
    );
}

#[test]
fn unknown_qtypes_get_code_2_with_the_qtype_and_no_flags_or_data() {
    for qtype in [1u16, 5, 0x1234, 0xffff] {
        let r = reply_to(&query(qtype, 0xffff, Subject::Ipv6(v6("fe80::1"))));
        let mut want = vec![140, 2, 0, 0];
        want.extend(qtype.to_be_bytes());
        want.extend([0, 0]);
        want.extend(NONCE);
        assert_eq!(r, want);
    }
}

#[test]
fn refusals_with_code_1_carry_no_data_but_the_qtypes_flags() {
    let loud = Policy {
        refuse_with_reply: true,
        ..Policy::default()
    };
    let global = from("2001:db8::99", "2001:db8::1");
    let subject = Subject::Ipv6(v6("2001:db8::1"));
    for (qtype, flags) in [(0u16, 0u16), (2, 0), (3, 0x3e), (4, 0x02)] {
        let r = reply_with(
            &query(qtype, 0xffff, subject),
            &global,
            &loud,
            MIN_MTU_REPLY_LEN,
        );
        let p = parse_reply(&r).unwrap();
        assert_eq!(r.len(), HEADER_LEN);
        assert_eq!(
            (p.code, p.qtype.to_u16(), p.flags, p.nonce),
            (1, qtype, flags, NONCE)
        );
    }
}

#[test]
fn node_name_reply_is_a_zero_ttl_then_the_fully_qualified_name() {
    let r = reply_to(&query(2, 0xffff, Subject::Ipv6(v6("fe80::1"))));
    let mut want = vec![140, 0, 0, 0, 0, 2, 0, 0];
    want.extend(NONCE);
    want.extend([0, 0, 0, 0]);
    want.extend(b"\x04Host\x07example\x03com\x00");
    assert_eq!(r, want);
    let p = parse_reply(&r).unwrap();
    assert_eq!(p.ttl(), Some(0));
    let names: Vec<_> = p.names().map(Result::unwrap).collect();
    assert_eq!(names.len(), 1);
    assert!(names[0].is(&name(HOST_FQDN)) && names[0].fully_qualified());
}

fn node_name_reply(hostname: &[u8], domain: Option<&[u8]>) -> Vec<u8> {
    let f = Fixture::new();
    let node = Node {
        hostname,
        domain,
        ..f.node()
    };
    let q = query(2, 0, Subject::Ipv4(v4("192.0.2.1")));
    let mut out = [0u8; MIN_MTU_REPLY_LEN];
    let len = build_reply(&q, &ctx(), &node, ReplyCode::Success, &mut out).unwrap();
    out[HEADER_LEN..len].to_vec()
}

#[test]
fn node_name_reply_without_a_domain_is_one_label_and_two_zeros() {
    assert_eq!(node_name_reply(b"host", None), b"\0\0\0\0\x04host\0\0");
}

#[test]
fn a_node_without_a_usable_name_replies_with_the_ttl_alone() {
    // §6.2: "If the Responder does not know its name at all, it MUST send a Reply with TTL=0
    // and no Node Names".
    assert_eq!(node_name_reply(b"", None), [0; 4]);
    assert_eq!(node_name_reply(&[b'a'; 64], None), [0; 4]);
    assert_eq!(node_name_reply(b"a..b", Some(b"example.com")), [0; 4]);
}

/// What a Node Addresses Reply to the fixture must list for `flags` with A set, by the rules
/// of §6.3 written out independently: the preferred of the asked-for scopes, then the IPv4
/// addresses mapped (C), then the deprecated.
fn expected_all(flags: u16) -> Vec<Addr> {
    let on = |f: u16| flags & f != 0;
    let mut want = vec![];
    for (a, f) in [
        ("fe80::1", flags::L),
        ("2001:db8::1", flags::G),
        ("fec0::1", flags::S),
        ("fe80::3", flags::L),
        ("2001:db8:1::3", flags::G),
        ("::192.0.2.9", flags::C),
        ("::ffff:192.0.2.1", flags::C),
        ("::ffff:198.51.100.3", flags::C),
        ("2001:db8::dead", flags::G),
        ("fe80::3:dead", flags::L),
    ] {
        if on(f) {
            want.push(v6(a));
        }
    }
    want
}

#[test]
fn node_addresses_list_what_each_flag_combination_asks_for() {
    for flags in 0..0x40u16 {
        let q = query(3, flags | 0xffc0, Subject::Name(name(HOST_FQDN)));
        let r = reply_to(&q);
        let p = parse_reply(&r).unwrap();
        // "Flags G, S, L, C, and A are copied from a Query to the corresponding Reply": not
        // T, not the unused bits.
        assert_eq!(p.flags, flags & 0x3e, "{flags:#x}");
        // A name subject is associated with all the node's addresses: A changes nothing.
        assert_eq!(listed(&r), expected_all(flags), "{flags:#x}");
    }
}

#[test]
fn without_a_only_the_subject_interfaces_addresses_are_listed() {
    let all = flags::G | flags::S | flags::L | flags::C;
    let eth1 = [
        v6("fe80::3"),
        v6("2001:db8:1::3"),
        v6("::ffff:198.51.100.3"),
        v6("fe80::3:dead"),
    ];
    for subject in [
        Subject::Ipv6(v6("2001:db8:1::3")),
        Subject::Ipv6(v6("fe80::3:dead")),
        Subject::Ipv4(v4("198.51.100.3")),
    ] {
        assert_eq!(
            listed(&reply_to(&query(3, all, subject))),
            eth1,
            "{subject:?}"
        );
    }
    assert_eq!(
        listed(&reply_to(&query(3, all, Subject::Ipv6(v6("::192.0.2.9"))))),
        [v6("::192.0.2.9")]
    );
    // The loopback's: none worth listing.
    assert_eq!(
        listed(&reply_to(&query(3, all, Subject::Ipv6(v6("::1"))))),
        [] as [Addr; 0]
    );
    let eth0 = listed(&reply_to(&query(3, all, Subject::Ipv4(v4("192.0.2.1")))));
    assert_eq!(
        eth0,
        [
            "fe80::1",
            "2001:db8::1",
            "fec0::1",
            "::ffff:192.0.2.1",
            "2001:db8::dead"
        ]
        .map(v6)
    );
    let q = query(3, all | flags::A, Subject::Ipv6(v6("2001:db8:1::3")));
    assert_eq!(listed(&reply_to(&q)), expected_all(all));
}

#[test]
fn tentative_anycast_loopback_and_privacy_addresses_are_never_listed_by_default() {
    let r = listed(&reply_to(&query(3, 0x3e, Subject::Name(name(HOST_FQDN)))));
    for a in [
        "2001:db8::aaaa",
        "2001:db8::ac",
        "::1",
        "2001:db8::7e",
        "::ffff:127.0.0.1",
    ] {
        assert!(!r.contains(&v6(a)), "{a}");
    }
}

#[test]
fn privacy_addresses_are_never_listed_with_public_ones() {
    // Allowed by policy, a Reply about a temporary address lists it alone (§8: "a node MUST
    // NOT include any address other than the (single) Privacy Address").
    let open = Policy {
        privacy_addresses: true,
        ..Policy::default()
    };
    let all = 0x3e;
    let about = query(3, all, Subject::Ipv6(v6("2001:db8::7e")));
    let r = reply_with(
        &about,
        &from("fe80::99", "ff02::1"),
        &open,
        MIN_MTU_REPLY_LEN,
    );
    assert_eq!(listed(&r), [v6("2001:db8::7e")]);
    // Asked at the temporary address itself, about anything.
    let to = query(3, all, Subject::Name(name(b"\x04host\x00\x00")));
    let r = reply_with(
        &to,
        &from("fe80::99", "2001:db8::7e"),
        &open,
        MIN_MTU_REPLY_LEN,
    );
    assert_eq!(listed(&r), [v6("2001:db8::7e")]);
    // About it, at a public address (the Reply's source): neither may be listed.
    let r = reply_with(
        &about,
        &from("fe80::99", "fe80::1"),
        &open,
        MIN_MTU_REPLY_LEN,
    );
    assert_eq!(listed(&r), [] as [Addr; 0]);
    assert_eq!(parse_reply(&r).unwrap().flags & flags::T, 0);
    // Without G the temporary address is not asked for.
    let q = query(3, flags::L | flags::A, Subject::Ipv6(v6("2001:db8::7e")));
    assert_eq!(
        listed(&reply_with(
            &q,
            &from("fe80::99", "ff02::1"),
            &open,
            MIN_MTU_REPLY_LEN
        )),
        [] as [Addr; 0]
    );
}

#[test]
fn addresses_that_do_not_fit_set_t() {
    let all = 0x3e;
    let q = query(3, all, Subject::Name(name(HOST_FQDN)));
    let every = expected_all(all);
    for room in [
        HEADER_LEN,
        HEADER_LEN + 19,
        HEADER_LEN + 20,
        HEADER_LEN + 59,
        HEADER_LEN + 60,
        HEADER_LEN + 200,
        HEADER_LEN + 201,
    ] {
        let r = reply_with(&q, &ctx(), &Policy::default(), room);
        let fit = (room - HEADER_LEN) / 20;
        let p = parse_reply(&r).unwrap();
        assert_eq!(listed(&r), every[..fit.min(every.len())], "{room}");
        assert_eq!(p.flags & flags::T != 0, fit < every.len(), "{room}");
        assert_eq!(p.flags & !flags::T, all);
    }
    // The policy caps the Reply whatever the buffer.
    let small = Policy {
        max_reply_len: (HEADER_LEN + 40) as u16,
        ..Policy::default()
    };
    let r = reply_with(&q, &ctx(), &small, 4096);
    assert_eq!(
        (listed(&r).len(), parse_reply(&r).unwrap().flags & flags::T),
        (2, flags::T)
    );
}

#[test]
fn a_minimum_mtu_reply_holds_61_addresses() {
    let many: Vec<Ipv6Address> = (0..100u16)
        .map(|i| {
            let mut a = v6("2001:db8:9::");
            a[14..].copy_from_slice(&i.to_be_bytes());
            Ipv6Address {
                addr: a,
                ifindex: ETH0,
                ..Default::default()
            }
        })
        .collect();
    let node = Node {
        hostname: b"host",
        domain: None,
        ipv6: &many,
        ipv4: &[],
    };
    let q = bytes(&query(
        3,
        flags::G | flags::A,
        Subject::Name(name(b"\x04host\x00\x00")),
    ));
    let mut out = vec![0; 9000];
    let r = respond(&q, &ctx(), &node, &Policy::default(), &mut out).unwrap();
    assert_eq!(r.len, HEADER_LEN + 61 * 20);
    assert!(r.len <= MIN_MTU_REPLY_LEN);
    let p = parse_reply(&out[..r.len]).unwrap();
    assert_eq!(p.flags, flags::G | flags::A | flags::T);
    let got: Vec<Addr> = p.ipv6_addresses().map(|(_, a)| a).collect();
    assert_eq!(got, many[..61].iter().map(|a| a.addr).collect::<Vec<_>>());
}

fn listed4(reply: &[u8]) -> Vec<Ipv4Addr> {
    let p = parse_reply(reply).unwrap();
    assert!(
        p.ipv4_addresses().all(|(ttl, _)| ttl == 0),
        "§6.4: TTLs zero"
    );
    p.ipv4_addresses().map(|(_, a)| a).collect()
}

#[test]
fn ipv4_addresses_follow_a_and_the_subjects_interface() {
    let both = vec![v4("192.0.2.1"), v4("198.51.100.3")];
    let r = reply_to(&query(4, 0xffff, Subject::Name(name(HOST_FQDN))));
    assert_eq!(parse_reply(&r).unwrap().flags, flags::A, "only A is copied");
    assert_eq!(listed4(&r), both, "loopback left out");
    assert_eq!(
        listed4(&reply_to(&query(4, 0, Subject::Name(name(HOST_FQDN))))),
        both
    );
    assert_eq!(
        listed4(&reply_to(&query(4, 0, Subject::Ipv4(v4("198.51.100.3"))))),
        [v4("198.51.100.3")]
    );
    // §6.4.1: an IPv6 subject's interface is the IPv4 address's when they share it.
    assert_eq!(
        listed4(&reply_to(&query(4, 0, Subject::Ipv6(v6("fe80::1"))))),
        [v4("192.0.2.1")]
    );
    assert_eq!(
        listed4(&reply_to(&query(4, 0, Subject::Ipv6(v6("::192.0.2.9"))))),
        [] as [Ipv4Addr; 0]
    );
    let q = query(4, flags::A, Subject::Ipv6(v6("fe80::1")));
    assert_eq!(listed4(&reply_to(&q)), both);
    // One entry of room: T.
    let r = reply_with(&q, &ctx(), &Policy::default(), HEADER_LEN + 8);
    assert_eq!(listed4(&r), [v4("192.0.2.1")]);
    assert_eq!(parse_reply(&r).unwrap().flags, flags::A | flags::T);
}

#[test]
fn ipv4_non_unicast_addresses_are_not_announced() {
    for (a, ok) in [
        ("0.0.0.0", false),
        ("127.0.0.1", false),
        ("224.0.0.1", false),
        ("255.255.255.255", false),
        ("240.0.0.1", false),
        ("10.0.0.1", true),
        ("169.254.1.1", true),
        ("192.0.2.1", true),
    ] {
        assert_eq!(ipv4_is_unicast(&v4(a)), ok, "{a}");
    }
}

#[test]
fn scopes_and_embedded_ipv4_are_classified_as_rfc_4291_says() {
    use Scope::*;
    for (a, s) in [
        ("::1", Some(Loopback)),
        ("::", None),
        ("ff02::1", None),
        ("fe80::1", Some(LinkLocal)),
        ("febf::1", Some(LinkLocal)),
        ("fec0::1", Some(SiteLocal)),
        ("feff::1", Some(SiteLocal)),
        ("fd00::1", Some(Global)),
        ("2001:db8::1", Some(Global)),
        ("::ffff:192.0.2.1", Some(Global)),
    ] {
        assert_eq!(unicast_scope(&v6(a)), s, "{a}");
    }
    for (a, e) in [
        ("::192.0.2.1", true),
        ("::ffff:192.0.2.1", true),
        ("::1", false),
        ("::", false),
        ("::ffff:0:192.0.2.1", false),
        ("64:ff9b::192.0.2.1", false),
    ] {
        assert_eq!(is_ipv4_embedded(&v6(a)), e, "{a}");
    }
}

#[test]
fn buffers_too_small_for_the_header_or_the_name_are_no_room() {
    let f = Fixture::new();
    for (qtype, need) in [
        (0u16, HEADER_LEN),
        (2, HEADER_LEN + 4 + HOST_FQDN.len()),
        (3, HEADER_LEN),
    ] {
        let q = query(qtype, 0x3e, Subject::Ipv6(v6("fe80::1")));
        let mut out = vec![0; need - 1];
        assert_eq!(
            build_reply(&q, &ctx(), &f.node(), ReplyCode::Success, &mut out),
            Err(NoRoom)
        );
        let mut out = vec![0; need];
        assert_eq!(
            build_reply(&q, &ctx(), &f.node(), ReplyCode::Success, &mut out),
            Ok(need)
        );
        let b = bytes(&q);
        let mut out = vec![0; need - 1];
        assert_eq!(
            respond(&b, &ctx(), &f.node(), &Policy::default(), &mut out),
            Err(Dropped::NoRoom)
        );
    }
}

#[test]
fn respond_reports_why_it_dropped_or_what_it_sent() {
    let f = Fixture::new();
    let node = f.node();
    let mut out = [0u8; 64];
    let p = Policy::default();
    assert_eq!(
        respond(&[139, 0, 0], &ctx(), &node, &p, &mut out),
        Err(Dropped::Malformed(Malformed::TooShort))
    );
    let stranger = bytes(&query(2, 0, Subject::Ipv4(v4("192.0.2.99"))));
    assert_eq!(
        respond(&stranger, &ctx(), &node, &p, &mut out),
        Err(Dropped::Ignored(Ignored::SubjectNotOurs))
    );
    let unknown = bytes(&query(1, 0, Subject::None));
    assert_eq!(
        respond(&unknown, &ctx(), &node, &p, &mut out),
        Ok(Replied {
            len: HEADER_LEN,
            decision: Decision::UnknownQtype
        })
    );
    assert_eq!(out[1], 2);
    assert!(!ctx().multicast() && from("fe80::9", "ff02::1").multicast());
}

// --- Parsing Replies -----------------------------------------------------------------------

fn reply_bytes(code: u8, qtype: u16, data: &[u8]) -> Vec<u8> {
    let mut b = vec![140, code, 0, 0];
    b.extend(qtype.to_be_bytes());
    b.extend([0, 0]);
    b.extend(NONCE);
    b.extend(data);
    b
}

#[test]
fn reply_data_must_fit_its_qtype_and_code() {
    use Malformed::*;
    assert_eq!(parse_reply(&reply_bytes(3, 2, &[])), Err(UnknownCode));
    assert_eq!(parse_reply(&reply_bytes(1, 2, &[0])), Err(DataLength));
    assert_eq!(parse_reply(&reply_bytes(2, 9, &[0])), Err(DataLength));
    assert_eq!(parse_reply(&reply_bytes(0, 0, &[0])), Err(DataLength));
    assert_eq!(parse_reply(&reply_bytes(0, 2, &[0, 0, 0])), Err(DataLength));
    assert!(parse_reply(&reply_bytes(0, 2, &[0, 0, 0, 0])).is_ok());
    assert_eq!(parse_reply(&reply_bytes(0, 3, &[0; 19])), Err(DataLength));
    assert!(parse_reply(&reply_bytes(0, 3, &[0; 40])).is_ok());
    assert_eq!(parse_reply(&reply_bytes(0, 4, &[0; 12])), Err(DataLength));
    assert!(parse_reply(&reply_bytes(0, 4, &[0; 16])).is_ok());
    assert!(parse_reply(&reply_bytes(0, 9, &[1, 2, 3])).is_ok());
    assert_eq!(
        parse_reply(&reply_bytes(0, 2, b"\0\0\0\0\x04host")),
        Err(Name(NameError::Truncated))
    );
    assert_eq!(
        parse_reply(&reply_bytes(0, 2, b"\0\0\0\0\x00")),
        Err(Name(NameError::Empty))
    );
}

#[test]
fn reply_names_may_be_compressed_with_offsets_from_the_data_field() {
    // §6.2: "An offset of 4, for example, will point to the beginning of the first name."
    // host.example.com, www.example.com (pointer to 9: example.com), host (single label),
    // and a bare pointer to the first name.
    let mut data = vec![0, 0, 0, 0];
    data.extend(HOST_FQDN); // 4..22
    data.extend(b"\x03www\xc0\x09");
    data.extend(b"\x04HOST\x00\x00");
    data.extend(b"\xc0\x04");
    let r = reply_bytes(0, 2, &data);
    let p = parse_reply(&r).unwrap();
    let names: Vec<_> = p.names().map(Result::unwrap).collect();
    assert_eq!(names.len(), 4);
    assert!(names[0].is(&name(HOST_FQDN)));
    assert!(names[1].is(&name(b"\x03www\x07example\x03com\x00")));
    assert!(names[2].is(&name(b"\x04host\x00\x00")) && !names[2].fully_qualified());
    assert!(names[3].is(&name(HOST_FQDN)));
    // Pointers forward, to themselves, past the end or making a name over 255 octets fail.
    for bad in [
        &b"\xc0\x06\x00"[..],
        b"\xc0\x04",
        b"\xc0\x40",
        b"\x03www\xc0",
    ] {
        let r = reply_bytes(0, 2, &[&[0, 0, 0, 0][..], bad].concat());
        assert_eq!(
            parse_reply(&r),
            Err(Malformed::Name(NameError::Compressed)),
            "{bad:x?}"
        );
    }
    let l = [&[63u8][..], &[b'a'; 63]].concat();
    let long = [&[0, 0, 0, 0][..], &l, &l, &l, &[0], &l, &[0xc0, 4]].concat();
    assert_eq!(
        parse_reply(&reply_bytes(0, 2, &long)),
        Err(Malformed::Name(NameError::TooLong))
    );
}

// --- Properties ----------------------------------------------------------------------------

fn arb_ipv6_address() -> impl Strategy<Value = Ipv6Address> {
    let addr = prop_oneof![
        any::<[u8; 16]>(),
        (any::<[u8; 8]>()).prop_map(|iid| {
            let mut a = v6("fe80::");
            a[8..].copy_from_slice(&iid);
            a
        }),
        (0u8..4)
            .prop_map(|i| v6(["::1", "::192.0.2.9", "::ffff:10.0.0.1", "fec0::5"][usize::from(i)])),
    ];
    (addr, 0u32..4, any::<[bool; 4]>()).prop_map(|(addr, ifindex, f)| Ipv6Address {
        addr,
        ifindex,
        tentative: f[0],
        deprecated: f[1],
        temporary: f[2],
        anycast: f[3],
    })
}

fn arb_ipv4_address() -> impl Strategy<Value = Ipv4Address> {
    (any::<[u8; 4]>(), 0u32..4).prop_map(|(addr, ifindex)| Ipv4Address { addr, ifindex })
}

fn arb_query_bytes() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        Just(HOST_FQDN.to_vec()),
        Just(b"\x04HoSt\x00\x00".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    (
        0u8..4,
        0u16..6,
        any::<u16>(),
        any::<[u8; 8]>(),
        name,
        any::<[u8; 16]>(),
    )
        .prop_map(|(code, qtype, flags, nonce, name, a)| {
            let mut b = vec![139, code, 0, 0];
            b.extend(qtype.to_be_bytes());
            b.extend(flags.to_be_bytes());
            b.extend(nonce);
            match code {
                0 => b.extend(a),
                2 => b.extend(&a[..4]),
                _ => b.extend(name),
            }
            b
        })
}

fn arb_context() -> impl Strategy<Value = Context> {
    let a = prop_oneof![
        Just(v6("fe80::99")),
        Just(v6("::1")),
        Just(v6("ff02::1")),
        Just(v6("ff02::2:ff18:3880")),
        Just(v6("2001:db8::99")),
        any::<[u8; 16]>(),
    ];
    (a.clone(), a).prop_map(|(querier, queried)| Context { querier, queried })
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    (0u8..4, any::<[bool; 7]>(), 0u16..2000).prop_map(|(s, b, max)| Policy {
        querier_scope: [
            Scope::Loopback,
            Scope::LinkLocal,
            Scope::SiteLocal,
            Scope::Global,
        ][usize::from(s)],
        refuse_with_reply: b[0],
        noop: b[1],
        node_name: b[2],
        node_addresses: b[3],
        ipv4_addresses: b[4],
        privacy_addresses: b[5],
        ni_group_only: b[6],
        max_reply_len: max,
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..80)) {
        let f = Fixture::new();
        let _ = parse_query(&b);
        let _ = parse_reply(&b);
        let _ = Name::parse(&b);
        let _ = NodeName::new(&b, Some(&b));
        if let Ok(r) = parse_reply(&b) {
            for n in r.names().flatten() {
                let _ = n.labels().count();
            }
            let _ = r.ipv6_addresses().count() + r.ipv4_addresses().count();
        }
        let mut out = [0u8; 256];
        let _ = respond(&b, &ctx(), &f.node(), &Policy::default(), &mut out);
        let mut q = b.clone();
        if q.len() >= 2 { q[0] = 139; q[1] %= 4; }
        let _ = respond(&q, &ctx(), &f.node(), &Policy::default(), &mut out);
    }

    #[test]
    fn replies_to_any_query_reparse_and_echo_it(
        q in arb_query_bytes(),
        ctx in arb_context(),
        policy in arb_policy(),
        ipv6 in proptest::collection::vec(arb_ipv6_address(), 0..80),
        ipv4 in proptest::collection::vec(arb_ipv4_address(), 0..20),
        host in prop_oneof![Just(&b"host"[..]), Just(&b"Host.example.com"[..]), Just(&b""[..])],
    ) {
        // A node holds each address once.
        let mut seen = std::collections::HashSet::new();
        let mut ipv6 = ipv6;
        ipv6.retain(|e| seen.insert(e.addr));
        let node = Node { hostname: host, domain: None, ipv6: &ipv6, ipv4: &ipv4 };
        let mut out = vec![0u8; 2048];
        let Ok(query) = parse_query(&q) else { return Ok(()) };
        let again = bytes(&query);
        prop_assert_eq!(parse_query(&again), Ok(query));
        match respond(&q, &ctx, &node, &policy, &mut out) {
            Ok(r) => {
                prop_assert!(r.len <= usize::from(policy.max_reply_len));
                let reply = parse_reply(&out[..r.len]).unwrap();
                prop_assert_eq!(reply.nonce, query.nonce);
                prop_assert_eq!(reply.qtype, query.qtype);
                prop_assert_eq!(Some(reply.code), r.decision.reply_code().map(|c| c as u8));
                let t = reply.flags & flags::T;
                prop_assert_eq!(reply.flags & !flags::T, query.flags & query.qtype.copied_flags());
                // T only when an entry did not fit.
                let entry = match query.qtype {
                    Qtype::NodeAddresses => 20,
                    Qtype::Ipv4Addresses => 8,
                    _ => usize::MAX,
                };
                if t != 0 {
                    prop_assert!(r.len + entry > usize::from(policy.max_reply_len));
                }
                if reply.qtype != Qtype::NodeAddresses || reply.code != 0 {
                    return Ok(());
                }
                for (ttl, a) in reply.ipv6_addresses() {
                    prop_assert_eq!(ttl, 0);
                    let mapped = a[..12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
                    let e = ipv6.iter().find(|e| e.addr == a && !e.tentative && !e.anycast);
                    prop_assert!(e.is_some() || mapped, "{:x?} is not the node's", a);
                    let want = match unicast_scope(&a) {
                        _ if is_ipv4_embedded(&a) => flags::C,
                        Some(Scope::LinkLocal) => flags::L,
                        Some(Scope::SiteLocal) => flags::S,
                        Some(Scope::Global) => flags::G,
                        _ => 0,
                    };
                    prop_assert!(query.flags & want != 0);
                }
                let listed: Vec<Addr> = reply.ipv6_addresses().map(|(_, a)| a).collect();
                let temporary = |a: &Addr| {
                    ipv6.iter().any(|e| e.addr == *a && e.temporary && !e.tentative)
                };
                if listed.iter().any(temporary) {
                    prop_assert_eq!(listed.len(), 1, "a privacy address alone");
                }
            }
            Err(Dropped::Malformed(m)) => prop_assert!(false, "{:?} parsed above", m),
            Err(_) => {}
        }
    }

    #[test]
    fn subject_names_round_trip(
        labels in proptest::collection::vec("[a-zA-Z0-9-]{1,20}", 1..5),
        fq in any::<bool>(),
    ) {
        let single = !fq;
        let mut wire = vec![];
        let labels = if single { &labels[..1] } else { &labels[..] };
        for l in labels {
            wire.push(l.len() as u8);
            wire.extend(l.as_bytes());
        }
        wire.push(0);
        if single { wire.push(0); }
        let n = Name::parse(&wire).unwrap();
        prop_assert_eq!(n.fully_qualified(), !single);
        prop_assert_eq!(n.wire_len(), wire.len());
        let mut out = vec![0; wire.len()];
        prop_assert_eq!(n.emit(&mut out, 0), Ok(wire.len()));
        prop_assert_eq!(&out, &wire);
        let text = labels.join(".");
        let own = NodeName::new(text.to_uppercase().as_bytes(), None).unwrap();
        prop_assert!(n.matches(&own.name()) == (single || labels.len() > 1));
    }
}
