//! `rv6 xfrm bulk`: what its words parse into, the attributes each command
//! sends (byte for byte, numbered as the spec numbers them), and what the
//! kernel's replies print as, from the bytes rv6_xfrm_migrate sends.

use std::io::Cursor;

use neli::{
    nl::Nlmsghdr,
    FromBytes,
    ToBytes, //
};

use super::*;
use crate::cli::{
    parse,
    Invocation, //
};
use crate::genl::{
    ExtAck,
    KernelError, //
};
use crate::output::{
    render,
    Format, //
};
use crate::xfrm::names::TestHost;

fn request(words: &str, commands: &[&'static str]) -> Result<Request, String> {
    Request::parse(&mut Args::new(words.split_whitespace()), commands).map_err(|e| e.to_string())
}

fn migrate(words: &str) -> Result<Request, String> {
    request(words, MIGRATE_WORDS)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The least a request is: the local move.
fn bare(old: &str, new: &str) -> Request {
    Request {
        local: (ip(old), ip(new)),
        peer: None,
        dirs: None,
        ptype: None,
        reqid: None,
        mark: None,
        if_id: None,
        proto: None,
        mode: None,
        kmaddress: None,
        dry_run: false,
    }
}

#[test]
fn the_words_come_in_any_order() {
    assert_eq!(
        migrate("2001:db8:a::1 to 2001:db8:a::2"),
        Ok(bare("2001:db8:a::1", "2001:db8:a::2"))
    );
    let all = migrate(
        "dry-run mode iptfs dir fwd proto ah kmaddress 2001:db8:a::2 2001:db8:b::1 \
         peer 2001:db8:b::1 to 2001:db8:b::9 if_id 0x7 reqid 5-9 mark 0x10 mask 0xf0 \
         ptype sub 2001:db8:a::1 to 2001:db8:a::2 dir in",
    )
    .unwrap();
    assert_eq!(
        all,
        Request {
            local: (ip("2001:db8:a::1"), ip("2001:db8:a::2")),
            peer: Some((ip("2001:db8:b::1"), ip("2001:db8:b::9"))),
            dirs: Some(0b101),
            ptype: Some(1),
            reqid: Some((5, 9)),
            mark: Some((0x10, Some(0xf0))),
            if_id: Some(7),
            proto: Some(51),
            mode: Some(5),
            kmaddress: Some((ip("2001:db8:a::2"), ip("2001:db8:b::1"))),
            dry_run: true,
        }
    );
    // Keywords by unique prefix, values in full; one reqid is both ends.
    let short = migrate("192.0.2.1 t 203.0.113.1 di in out fwd re 7 ma 3 pr comp mo in_trigger");
    assert_eq!(
        short,
        Ok(Request {
            dirs: Some(0b111),
            reqid: Some((7, 7)),
            mark: Some((3, None)),
            proto: Some(108),
            mode: Some(3),
            ..bare("192.0.2.1", "203.0.113.1")
        })
    );
}

#[test]
fn wrong_words_are_named() {
    for (words, why) in [
        ("", "Error: argument \"ADDR to ADDR\" is required"),
        ("dir out", "Error: argument \"ADDR to ADDR\" is required"),
        (
            "2001:db8::1 to 192.0.2.1",
            "Error: argument \"192.0.2.1\" is wrong: \"2001:db8::1\" and \"192.0.2.1\" are not \
             of one address family",
        ),
        (
            "::1 to ::2 peer 192.0.2.1 to ::3",
            "Error: argument \"::3\" is wrong: \"192.0.2.1\" and \"::3\" are not of one \
             address family",
        ),
        (
            "::1 to ::2 peer ::3",
            "Error: command line is not complete: \"::3\" needs \"to ADDR\"",
        ),
        (
            "::1 to ::2 peer",
            "Error: command line is not complete: \"peer\" needs ADDR to ADDR",
        ),
        (
            "::1 to ::2 peer host to ::3",
            "Error: argument \"host\" is wrong: ADDR must be an IPv4 or IPv6 address",
        ),
        (
            "::1 dir out",
            "Error: argument \"dir\" is wrong: expected \"to ADDR\" after \"::1\"",
        ),
        (
            "::1 to",
            "Error: command line is not complete: \"to\" needs an ADDR",
        ),
        (
            "::1 to ::2 ::3 to ::4",
            "Error: duplicate \"ADDR to ADDR\": \"::3\" is the second value.",
        ),
        (
            "::1 to ::2 dir in out in",
            "Error: duplicate \"dir\": \"in\" is the second value.",
        ),
        (
            "::1 to ::2 dir out dir out",
            "Error: duplicate \"dir\": \"out\" is the second value.",
        ),
        (
            "::1 to ::2 dir up",
            "Error: argument \"up\" is wrong: DIR must be one of in, out, fwd",
        ),
        (
            "::1 to ::2 dir",
            "Error: command line is not complete: \"dir\" needs a DIR",
        ),
        (
            "::1 to ::2 reqid 9-5",
            "Error: argument \"9-5\" is wrong: MIN must not be above MAX",
        ),
        (
            "::1 to ::2 reqid 5-",
            "Error: argument \"\" is wrong: MAX must be a number, decimal or 0x-hex, \
             at most 0xffffffff",
        ),
        (
            "::1 to ::2 proto route2",
            "Error: argument \"route2\" is wrong: TMPL-PROTO must be one of esp, ah, comp",
        ),
        (
            "::1 to ::2 mode in-trigger",
            "Error: argument \"in-trigger\" is wrong: TMPL-MODE must be one of transport, \
             tunnel, ro, in_trigger, beet, iptfs",
        ),
        (
            "::1 to ::2 ptype both",
            "Error: argument \"both\" is wrong: PTYPE must be one of main, sub",
        ),
        (
            "::1 to ::2 mark 1 mask",
            "Error: command line is not complete: \"mask\" needs a MASK",
        ),
        (
            "::1 to ::2 kmaddress ::1 192.0.2.1",
            "Error: argument \"192.0.2.1\" is wrong: the same address family is required \
             between values after \"kmaddress LOCAL\" and \"REMOTE\"",
        ),
        (
            "::1 to ::2 ptype main ptype sub",
            "Error: duplicate \"ptype\": \"sub\" is the second value.",
        ),
        (
            "::1 to ::2 dry-run dry-run",
            "Error: duplicate \"dry-run\": \"dry-run\" is the second value.",
        ),
        (
            "::1 to ::2 d out",
            "Error: argument \"d\" is ambiguous: it may be dir, dry-run",
        ),
        (
            "::1 to ::2 spi 5",
            "Error: argument \"spi\" is wrong: expected \"ADDR to ADDR\" or one of peer, dir, \
             ptype, reqid, mark, if_id, proto, mode, kmaddress, dry-run",
        ),
    ] {
        assert_eq!(migrate(words), Err(why.to_string()), "{words}");
    }
    // A plan moves nothing: no key manager to tell, nothing to dry-run.
    assert_eq!(
        request("::1 to ::2 dry-run", PLAN_WORDS),
        Err(
            "Error: argument \"dry-run\" is wrong: expected \"ADDR to ADDR\" or one of peer, \
             dir, ptype, reqid, mark, if_id, proto, mode"
                .into()
        )
    );
    assert!(request("::1 to ::2 kmaddress ::1 ::2", PLAN_WORDS).is_err());
}

/// The action `rv6 xfrm WORDS` parses into, by its Debug form.
fn action(words: &str) -> String {
    match parse(format!("xfrm {words}").split_whitespace()) {
        Ok(Invocation::Run { action, .. }) => format!("{action:?}"),
        Ok(other) => panic!("{words}: {other:?}"),
        Err(e) => panic!("{words}: {e}"),
    }
}

#[test]
fn the_three_commands_are_reached_by_prefix() {
    assert_eq!(action("bulk"), "Stats");
    assert_eq!(action("b st"), "Stats");
    assert!(action("bu m ::1 to ::2").starts_with("Migrate(Request { local: (::1, ::2)"));
    assert!(action("bulk p ::1 to ::2").starts_with("Plan(Request { local: (::1, ::2)"));
    assert_eq!(
        parse(["xfrm", "bulk", "stats", "now"])
            .unwrap_err()
            .to_string(),
        "Error: argument \"now\" is wrong: \"rv6 xfrm bulk stats\" takes no arguments"
    );
}

/// An attribute as the kernel reads it: length, type, payload, padding
/// to 4 bytes, all in host order.
fn tlv(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
    b.extend(ty.to_ne_bytes());
    b.extend(payload);
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
    b
}

fn v6(s: &str) -> Vec<u8> {
    s.parse::<Ipv6Addr>().unwrap().octets().to_vec()
}

fn v4(s: &str) -> Vec<u8> {
    s.parse::<Ipv4Addr>().unwrap().octets().to_vec()
}

fn u32b(v: u32) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

/// The request's attributes as they go on the wire.
fn sent(r: &Request) -> Vec<u8> {
    let mut c = Cursor::new(Vec::new());
    r.attrs().unwrap().to_bytes(&mut c).unwrap();
    c.into_inner()
}

/// The attributes, numbered as the spec numbers the set `migrate` (its
/// order, from 1): old-local 1, new-local 2, old-peer 3, new-peer 4, dirs
/// 5, policy-type 6, reqid-min 7, reqid-max 8, mark 9, mark-mask 10, if-id
/// 11, proto 12 (a u8), mode 13, kmaddress-local 14, kmaddress-remote 15,
/// dry-run 16 (a flag); addresses 16 bytes, or 4 for IPv4.
#[test]
fn migrate_sends_the_spec_attributes_byte_for_byte() {
    let r = migrate(
        "2001:db8:a::1 to 2001:db8:a::2 peer 2001:db8:b::1 to 2001:db8:b::9 dir in fwd \
         ptype sub reqid 5-9 mark 0x10 mask 0xf0 if_id 7 proto esp mode tunnel \
         kmaddress 2001:db8:a::2 2001:db8:b::1 dry-run",
    )
    .unwrap();
    let want: Vec<u8> = [
        tlv(1, &v6("2001:db8:a::1")),
        tlv(2, &v6("2001:db8:a::2")),
        tlv(3, &v6("2001:db8:b::1")),
        tlv(4, &v6("2001:db8:b::9")),
        tlv(5, &u32b(0b101)),
        tlv(6, &u32b(1)),
        tlv(7, &u32b(5)),
        tlv(8, &u32b(9)),
        tlv(9, &u32b(0x10)),
        tlv(10, &u32b(0xf0)),
        tlv(11, &u32b(7)),
        tlv(12, &[50]),
        tlv(13, &u32b(1)),
        tlv(14, &v6("2001:db8:a::2")),
        tlv(15, &v6("2001:db8:b::1")),
        tlv(16, &[]),
    ]
    .concat();
    assert_eq!(sent(&r), want);
    // IPv4 addresses in 4 bytes; what is not given is not sent (a mark
    // without its mask: the kernel's, all bits).
    let r = migrate("192.0.2.1 to 203.0.113.7 mark 3 mode in_trigger").unwrap();
    let want: Vec<u8> = [
        tlv(1, &v4("192.0.2.1")),
        tlv(2, &v4("203.0.113.7")),
        tlv(9, &u32b(3)),
        tlv(13, &u32b(3)),
    ]
    .concat();
    assert_eq!(sent(&r), want);
    let plan = request("::1 to ::2 reqid 4", PLAN_WORDS).unwrap();
    assert_eq!(
        sent(&plan),
        [
            tlv(1, &v6("::1")),
            tlv(2, &v6("::2")),
            tlv(7, &u32b(4)),
            tlv(8, &u32b(4))
        ]
        .concat()
    );
}

/// The spec's command numbers: stats-get 1, migrate 2, plan 3.
#[test]
fn the_commands_are_the_specs() {
    assert_eq!((CMD_STATS_GET, CMD_MIGRATE, CMD_PLAN), (1, 2, 3));
    assert_eq!(FAMILY_MIGRATE.name, "rv6-migrate");
    assert_eq!(FAMILY_MIGRATE.module, Some("rv6_xfrm_migrate"));
}

/// The grammar's modes are the spec's, in `ip xfrm`'s spelling.
#[test]
fn the_modes_are_the_specs() {
    let spec: Vec<String> = MODE.entries.iter().map(|m| m.replace('-', "_")).collect();
    assert_eq!(TMPL_MODE.entries, spec);
    assert_eq!(TMPL_PROTO.entries.len(), TMPL_PROTO_NUMBERS.len());
}

/// A generic netlink message of command `cmd` with `attrs` (their bytes),
/// as the kernel sends it, read back by neli.
fn reply(cmd: u8, attrs: &[u8]) -> Message {
    let mut b = ((16 + 4 + attrs.len()) as u32).to_ne_bytes().to_vec();
    b.extend(0x1eu16.to_ne_bytes()); // the family's id
    b.extend(2u16.to_ne_bytes()); // NLM_F_MULTI
    b.extend(7u32.to_ne_bytes()); // seq
    b.extend(0u32.to_ne_bytes()); // port
    b.extend([cmd, 1, 0, 0]); // cmd, version, reserved
    b.extend(attrs);
    let nl: Nlmsghdr<u16, Message> = Nlmsghdr::from_bytes(&mut Cursor::new(b)).unwrap();
    nl.get_payload().unwrap().clone()
}

/// NLA_F_NESTED, which the kernel's nests carry.
const NESTED: u16 = 0x8000;

/// A template move as the module's `put_policy()` writes it.
fn entry(proto: u8, mode: u32, reqid: u32, addrs: [&[u8]; 4]) -> Vec<u8> {
    let mut b = [tlv(1, &[proto]), tlv(2, &u32b(mode)), tlv(3, &u32b(reqid))].concat();
    for (i, a) in addrs.iter().enumerate() {
        b.extend(tlv(4 + i as u16, a));
    }
    tlv(11 | NESTED, &b)
}

/// A policy as the module's `put_policy()` writes it, in a `plan` reply.
#[allow(clippy::too_many_arguments)]
fn policy(
    index: u32,
    dir: u8,
    ptype: u32,
    priority: u32,
    family: u16,
    sel: (&[u8], u8, &[u8], u8, u8),
    entries: &[Vec<u8>],
) -> Message {
    let mut b = [
        tlv(1, &u32b(index)),
        tlv(2, &[dir]),
        tlv(3, &u32b(ptype)),
        tlv(4, &u32b(priority)),
        tlv(5, &family.to_ne_bytes()),
        tlv(6, sel.0),
        tlv(7, &[sel.1]),
        tlv(8, sel.2),
        tlv(9, &[sel.3]),
        tlv(10, &[sel.4]),
    ]
    .concat();
    for e in entries {
        b.extend(e);
    }
    reply(CMD_PLAN, &tlv(19 | NESTED, &b))
}

fn plan() -> Vec<Message> {
    vec![
        policy(
            8,
            1,
            0,
            0,
            10,
            (&v6("2001:db8:1::"), 64, &v6("2001:db8:2::"), 64, 6),
            &[
                entry(
                    50,
                    1,
                    1,
                    [
                        &v6("2001:db8:a::1"),
                        &v6("2001:db8:b::1"),
                        &v6("2001:db8:a::2"),
                        &v6("2001:db8:b::1"),
                    ],
                ),
                entry(
                    51,
                    4,
                    2,
                    [
                        &v6("2001:db8:b::1"),
                        &v6("2001:db8:a::1"),
                        &v6("2001:db8:b::1"),
                        &v6("2001:db8:a::2"),
                    ],
                ),
            ],
        ),
        policy(
            17,
            2,
            1,
            100,
            2,
            (&v4("192.0.2.0"), 24, &v4("198.51.100.0"), 24, 0),
            &[entry(
                108,
                3,
                16,
                [
                    &v4("192.0.2.1"),
                    &v4("198.51.100.1"),
                    &v4("203.0.113.1"),
                    &v4("198.51.100.1"),
                ],
            )],
        ),
    ]
}

fn plan_of(replies: &[Message]) -> Output {
    let mut policies = Vec::new();
    for m in replies {
        policies.extend(Planned::from_reply(m).unwrap());
    }
    plan_output(&policies, &TestHost)
}

#[test]
fn a_plan_prints_in_ip_xfrms_words() {
    assert_eq!(
        render(&plan_of(&plan()), Format::Text),
        "src 2001:db8:1::/64 dst 2001:db8:2::/64 proto tcp dir out ptype main index 8 priority 0\n\
         \told src 2001:db8:a::1 dst 2001:db8:b::1 proto esp mode tunnel reqid 1 \
         new src 2001:db8:a::2 dst 2001:db8:b::1\n\
         \told src 2001:db8:b::1 dst 2001:db8:a::1 proto ah mode beet reqid 2 \
         new src 2001:db8:b::1 dst 2001:db8:a::2\n\
         src 192.0.2.0/24 dst 198.51.100.0/24 dir fwd ptype sub index 17 priority 100\n\
         \told src 192.0.2.1 dst 198.51.100.1 proto comp mode in_trigger reqid 16 \
         new src 203.0.113.1 dst 198.51.100.1\n"
    );
    assert_eq!(render(&plan_of(&[]), Format::Text), "");
}

#[test]
fn a_plan_as_json_is_ynls() {
    assert_eq!(
        render(&plan_of(&plan()), Format::Json),
        "[{\"index\":8,\"dir\":1,\"policy-type\":\"main\",\"priority\":0,\"family\":10,\
         \"src\":\"2001:db8:1::\",\"src-len\":64,\"dst\":\"2001:db8:2::\",\"dst-len\":64,\
         \"proto\":6,\"entry\":[\
         {\"proto\":50,\"mode\":\"tunnel\",\"reqid\":1,\"old-src\":\"2001:db8:a::1\",\
         \"old-dst\":\"2001:db8:b::1\",\"new-src\":\"2001:db8:a::2\",\"new-dst\":\"2001:db8:b::1\"},\
         {\"proto\":51,\"mode\":\"beet\",\"reqid\":2,\"old-src\":\"2001:db8:b::1\",\
         \"old-dst\":\"2001:db8:a::1\",\"new-src\":\"2001:db8:b::1\",\"new-dst\":\"2001:db8:a::2\"}]},\
         {\"index\":17,\"dir\":2,\"policy-type\":\"sub\",\"priority\":100,\"family\":2,\
         \"src\":\"192.0.2.0\",\"src-len\":24,\"dst\":\"198.51.100.0\",\"dst-len\":24,\
         \"proto\":0,\"entry\":[\
         {\"proto\":108,\"mode\":\"in-trigger\",\"reqid\":16,\"old-src\":\"192.0.2.1\",\
         \"old-dst\":\"198.51.100.1\",\"new-src\":\"203.0.113.1\",\"new-dst\":\"198.51.100.1\"}]}]\n"
    );
    assert_eq!(render(&plan_of(&[]), Format::Json), "[]\n");
}

/// The JSON keys are the spec's attribute names, in the spec's order.
#[test]
fn a_plans_keys_are_the_specs() {
    let p = Planned::from_reply(&plan()[0]).unwrap().remove(0).record();
    let keys: Vec<&str> = p.fields().iter().map(|(k, _)| *k).collect();
    let spec: Vec<&str> = FAMILY_POLICY.attrs.iter().map(|a| a.name).collect();
    assert_eq!(keys, spec);
    let Some(Value::List(entries)) = p.get("entry") else {
        panic!("{p:?}")
    };
    let keys: Vec<&str> = entries[0].fields().iter().map(|(k, _)| *k).collect();
    let spec: Vec<&str> = FAMILY_ENTRY.attrs.iter().map(|a| a.name).collect();
    assert_eq!(keys, spec);
}

/// What a newer module adds is passed over; what is malformed is an error
/// naming the attribute.
#[test]
fn a_plan_reply_is_checked() {
    let addrs: [&[u8]; 4] = [
        &v4("192.0.2.1"),
        &v4("192.0.2.2"),
        &v4("192.0.2.3"),
        &v4("192.0.2.2"),
    ];
    let with = |extra: Vec<u8>, entry_bytes: Vec<u8>| {
        let mut b = [
            tlv(1, &u32b(3)),
            tlv(2, &[0]),
            tlv(3, &u32b(0)),
            tlv(4, &u32b(0)),
            tlv(5, &2u16.to_ne_bytes()),
            tlv(6, &v4("192.0.2.0")),
            tlv(7, &[24]),
            tlv(8, &v4("192.0.2.0")),
            tlv(9, &[24]),
        ]
        .concat();
        b.extend(extra);
        b.extend(entry_bytes);
        Planned::from_reply(&reply(CMD_PLAN, &tlv(19 | NESTED, &b)))
    };
    let proto = tlv(10, &[0]);
    let newer = [proto.clone(), tlv(99, &u32b(1))].concat();
    let p = with(newer, entry(50, 1, 0, addrs)).unwrap();
    assert_eq!((p.len(), p[0].index, p[0].entries.len()), (1, 3, 1));
    assert_eq!(
        with(Vec::new(), Vec::new()).unwrap_err().to_string(),
        "netlink: no attribute proto in a plan"
    );
    assert_eq!(
        with(tlv(10, &[0, 0]), Vec::new()).unwrap_err().to_string(),
        "netlink: attribute proto has 2 bytes, expected 1"
    );
    let odd: [&[u8]; 4] = [&[1, 2, 3, 4, 5], addrs[1], addrs[2], addrs[3]];
    assert_eq!(
        with(proto, entry(50, 1, 0, odd)).unwrap_err().to_string(),
        "netlink: attribute old-src has 5 bytes, expected 4 or 16"
    );
}

#[test]
fn a_migrate_reply_is_one_object() {
    let m = reply(
        CMD_MIGRATE,
        &[tlv(17, &u32b(2)), tlv(18, &u32b(3))].concat(),
    );
    let out = object(&[m], &FAMILY_MIGRATE).unwrap();
    assert_eq!(render(&out, Format::Text), "policies 2 entries 3\n");
    assert_eq!(
        render(&out, Format::Json),
        "{\"policies\":2,\"entries\":3}\n"
    );
    assert_eq!(
        object(&[], &FAMILY_MIGRATE).unwrap_err().to_string(),
        "netlink: rv6-migrate: no reply"
    );
}

#[test]
fn the_stats_are_one_object() {
    let mut attrs = Vec::new();
    for (ty, v) in [(2u16, 5u64), (3, 4), (4, 6), (5, 1), (6, 2), (7, 0)] {
        attrs.extend(tlv(1, &[])); // the pad before each u64
        attrs.extend(tlv(ty, &v.to_ne_bytes()));
    }
    let out = object(&[reply(CMD_STATS_GET, &attrs)], &FAMILY_STATS).unwrap();
    assert_eq!(
        render(&out, Format::Text),
        "requests 5 moved-policies 4 moved-entries 6 failed 1 rolled-back 2 rollback-failed 0\n"
    );
    assert_eq!(
        render(&out, Format::Json),
        "{\"requests\":5,\"moved-policies\":4,\"moved-entries\":6,\"failed\":1,\
         \"rolled-back\":2,\"rollback-failed\":0}\n"
    );
}

/// A refusal prints the module's extack, which names the policy, and the
/// attribute it points at by its spec name.
#[test]
fn a_refusal_names_the_policy_and_the_attribute() {
    let r = migrate("2001:db8:a::1 to 2001:db8:a::2").unwrap();
    let attrs = r.attrs().unwrap();
    let e = KernelError::new(
        -libc::EINVAL,
        ExtAck {
            msg: Some("policy 8: template 0 would end with two families".into()),
            ..ExtAck::default()
        },
        &attrs,
        &FAMILY_MIGRATE,
    );
    assert_eq!(
        format!("Error: {}", Error::Kernel(e)),
        "Error: policy 8: template 0 would end with two families: Invalid argument"
    );
    // new-local starts after the headers (20 bytes) and old-local (20).
    let e = KernelError::new(
        -libc::EINVAL,
        ExtAck {
            msg: Some("a new address is unspecified".into()),
            offset: Some(40),
            ..ExtAck::default()
        },
        &attrs,
        &FAMILY_MIGRATE,
    );
    assert_eq!(
        e.to_string(),
        "a new address is unspecified: Invalid argument (bad attribute: new-local)"
    );
}

/// Against this host's kernel: unless rv6_xfrm_migrate is loaded here,
/// the family is missing and the error names the module.
#[test]
fn a_missing_family_names_its_module() {
    let mut sockets = Sockets::new();
    if let Err(e) = sockets.genl() {
        eprintln!("skipped: no generic netlink socket here: {e}");
        return;
    }
    match Stats.run(&mut sockets) {
        Ok(_) => eprintln!("rv6_xfrm_migrate is loaded here"),
        Err(e) => assert_eq!(
            e.to_string(),
            "rv6-migrate: family not found (is rv6_xfrm_migrate loaded?)"
        ),
    }
}
