#![no_main]
//! Node Information Queries: arbitrary bytes never panic the responder, whatever parses as a
//! Query emits back to the same Query, and every Reply it writes parses as an NI Reply that
//! echoes the Query's Qtype and Nonce and stays within the policy's size.  The first octet
//! picks the querier, the queried address and the policy; the rest is the ICMPv6 message,
//! tried as given and as type 139 (so that the fuzzer gets past the type).
use libfuzzer_sys::fuzz_target;
use rv6_cores::ninfo_wire::*;

fn v6(s: &str) -> Addr {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

fn ipv6(s: &str, ifindex: u32, temporary: bool, deprecated: bool) -> Ipv6Address {
    Ipv6Address {
        addr: v6(s),
        ifindex,
        temporary,
        deprecated,
        ..Default::default()
    }
}

fn respond_to(icmp: &[u8], knobs: u8) {
    let ipv6 = [
        ipv6("::1", 1, false, false),
        ipv6("fe80::1", 2, false, false),
        ipv6("2001:db8::1", 2, false, false),
        ipv6("2001:db8::7e", 2, true, false),
        ipv6("2001:db8::dead", 2, false, true),
        ipv6("fe80::3", 3, false, false),
        ipv6("::192.0.2.9", 4, false, false),
    ];
    let ipv4 = [
        Ipv4Address {
            addr: [192, 0, 2, 1],
            ifindex: 2,
        },
        Ipv4Address {
            addr: [127, 0, 0, 1],
            ifindex: 1,
        },
    ];
    let node = Node {
        hostname: b"Host",
        domain: if knobs & 1 != 0 {
            Some(b"example.com")
        } else {
            None
        },
        ipv6: &ipv6,
        ipv4: &ipv4,
    };
    let queried = ["fe80::1", "2001:db8::7e", "ff02::1", "ff02::2:ff18:3880"];
    let ctx = Context {
        querier: v6(if knobs & 2 != 0 {
            "2001:db8::99"
        } else {
            "fe80::99"
        }),
        queried: v6(queried[usize::from(knobs >> 2 & 3)]),
    };
    let policy = Policy {
        querier_scope: if knobs & 0x10 != 0 {
            Scope::Global
        } else {
            Scope::LinkLocal
        },
        refuse_with_reply: knobs & 0x20 != 0,
        privacy_addresses: knobs & 0x40 != 0,
        max_reply_len: if knobs & 0x80 != 0 {
            60
        } else {
            MIN_MTU_REPLY_LEN as u16
        },
        ..Policy::default()
    };
    let mut out = [0u8; 1500];
    let result = respond(icmp, &ctx, &node, &policy, &mut out);
    let Ok(query) = parse_query(icmp) else {
        assert!(matches!(result, Err(Dropped::Malformed(_))));
        return;
    };
    let mut again = vec![0u8; query.buffer_len()];
    assert_eq!(query.emit(&mut again), Ok(again.len()));
    assert_eq!(parse_query(&again), Ok(query));
    if let Ok(r) = result {
        assert!(r.len <= usize::from(policy.max_reply_len));
        let reply = parse_reply(&out[..r.len]).expect("the Reply parses");
        assert_eq!((reply.qtype, reply.nonce), (query.qtype, query.nonce));
        assert_eq!(Some(reply.code), r.decision.reply_code().map(|c| c as u8));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, icmp)) = data.split_first() else {
        return;
    };
    respond_to(icmp, knobs);
    if let Some((_, rest)) = icmp.split_first() {
        respond_to(&[&[ICMPV6_NI_QUERY][..], rest].concat(), knobs);
    }
    let _ = parse_reply(icmp);
});
