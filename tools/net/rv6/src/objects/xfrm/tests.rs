//! `rv6 xfrm`'s commands: what each command line parses into, and the
//! message it sends, through its type's emit and back.

use super::*;
use crate::cli::{
    parse,
    Invocation, //
};
use crate::xfrm::pfkey::EXT_X_KMADDRESS;
use crate::xfrm::wire::XFRM_USER_MIGRATE_STATE_LEN;
use netlink_packet_core::{
    Emitable,
    Parseable, //
};

fn args(line: &str) -> Args {
    Args::new(line.split_whitespace())
}

/// The action `rv6 xfrm WORDS` parses into, by its Debug form.
fn action(words: &str) -> String {
    match parse(format!("xfrm {words}").split_whitespace()) {
        Ok(Invocation::Run { action, .. }) => format!("{action:?}"),
        Ok(other) => panic!("{words}: {other:?}"),
        Err(e) => panic!("{words}: {e}"),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn no_device(name: &str) -> Result<u32, Error> {
    match name {
        "eth0" => Ok(2),
        _ => Err(Error::Netlink(format!("no {name}"))),
    }
}

fn bytes(e: &impl Emitable) -> Vec<u8> {
    let mut b = vec![0; e.buffer_len()];
    e.emit(&mut b);
    b
}

const ENTRY: &str = "old src 2001:db8:a::1 dst 2001:db8:b::1 proto esp mode tunnel reqid 1 \
                     new src 2001:db8:a::2 dst 2001:db8:b::1";

fn migrate_cmd(words: &str) -> Migrate {
    Migrate::parse(&mut args(words)).unwrap()
}

#[test]
fn migrate_parses_a_selector_entries_and_options_in_any_order() {
    let m = migrate_cmd(&format!(
        "{ENTRY} dir fwd src 2001:db8:1::/64 kmaddress 2001:db8:a::2 2001:db8:b::1 \
         dst 2001:db8:2::/64 proto tcp dport 443 dev eth0 ptype sub if_id 0x7 \
         encap espinudp 4500 4500 0.0.0.0 {ENTRY}"
    ));
    assert_eq!(m.dir, 2);
    assert_eq!(m.ptype, Some(1));
    assert_eq!(m.entries.len(), 2);
    assert_eq!(m.if_id, Some(7));
    assert_eq!(m.sel.dst, Some((ip("2001:db8:2::"), 64)));
    assert_eq!(
        (m.sel.proto, m.sel.dport, m.sel.dev.as_deref()),
        (6, Some(443), Some("eth0"))
    );
    assert_eq!(m.encap, Some((2, 4500, 4500, ip("0.0.0.0"))));
    // Prefixes of keywords are the keywords; migrate is one of two.
    assert_eq!(
        action(&format!(
            "migrate sr 2001:db8:1::/64 di out pt main {ENTRY}"
        )),
        action(&format!(
            "migrate src 2001:db8:1::/64 dir out ptype main {ENTRY}"
        ))
    );
    assert_eq!(
        parse(["xfrm", "mig"]).unwrap_err().to_string(),
        "Error: argument \"mig\" is ambiguous: it may be migrate, migrate-state"
    );
}

/// The message: the policy id with the selector (full port masks, the
/// device's index), the entries in one attribute, then the options.
#[test]
fn migrate_sends_its_words_as_xfrm_structs() {
    let m = migrate_cmd(&format!(
        "src 2001:db8:1::/64 dst 2001:db8:2::/64 proto tcp dport 443 dev eth0 dir out \
         {ENTRY} old src 192.0.2.1 dst 192.0.2.2 proto ah mode transport \
         new src 2001:db8::1 dst 2001:db8::2 kmaddress 192.0.2.9 192.0.2.2 if_id 3"
    ));
    let msg = m.message(&no_device).unwrap();
    let sel = &msg.policy.selector;
    assert_eq!(
        (sel.family, sel.prefixlen_s, sel.prefixlen_d),
        (AF_INET6, 64, 64)
    );
    assert_eq!(
        (sel.proto, sel.dport, sel.dport_mask, sel.sport_mask),
        (6, 443, 0xffff, 0)
    );
    assert_eq!((sel.ifindex, msg.policy.direction), (2, 1));
    let e = &msg.entries[1];
    assert_eq!(
        (e.old_family, e.new_family),
        (AF_INET, AF_INET6),
        "IPv4 to IPv6"
    );
    assert_eq!((e.proto, e.mode, e.reqid), (51, 0, 0));
    assert_eq!(
        e.old_saddr,
        Address::from_ipv4(&"192.0.2.1".parse().unwrap())
    );
    assert_eq!(msg.entries[0].reqid, 1);
    assert!(matches!(&msg.nlas[0], XfrmAttrs::KmAddress(k) if k.family == AF_INET));
    assert_eq!(msg.nlas[1], XfrmAttrs::IfId(3));
    assert_eq!(
        msg.nlas.len(),
        2,
        "no ptype, no encap: the kernel's defaults"
    );
    let wire = bytes(&msg);
    assert_eq!(MigrateMsg::parse(&wire).unwrap(), msg);
    let Err(e) = migrate_cmd(&format!("src ::/0 dev wlan9 dir in {ENTRY}")).message(&no_device)
    else {
        panic!("an unknown device")
    };
    assert_eq!(e.to_string(), "netlink: no wlan9");
}

fn state_cmd(words: &str) -> MigrateState {
    MigrateState::parse(&mut args(words)).unwrap()
}

/// The SA as XFRM_MSG_GETSA answers: reqid 9, a /64 selector.
fn current() -> UserSaInfo {
    let mut sa = UserSaInfo {
        reqid: 9,
        family: AF_INET6,
        ..UserSaInfo::default()
    };
    sa.selector.family = AF_INET6;
    sa.selector.prefixlen_d = 64;
    sa
}

#[test]
fn migrate_state_reads_the_sa_for_what_is_not_given() {
    let m = state_cmd(
        "dst 2001:db8:b::1 proto esp spi 0x1000 mark 7 new src 2001:db8:a::2 dst 2001:db8:b::1",
    );
    assert!(m.needs_current());
    let get = m.get_sa();
    let XfrmMsg::Crate(XfrmMessage::GetSa(g)) = &get else {
        panic!("{get:?}")
    };
    assert_eq!(
        (g.user_sa_id.spi, g.user_sa_id.proto, g.user_sa_id.family),
        (0x1000, 50, AF_INET6)
    );
    assert_eq!(
        g.nlas,
        [XfrmAttrs::Mark(Mark {
            value: 7,
            mask: u32::MAX
        })]
    );
    let msg = m.message(Some(&current()), &no_device).unwrap();
    assert_eq!(msg.state.new_reqid, 9);
    assert_eq!(msg.state.new_sel, current().selector);
    assert_eq!(
        msg.state.old_mark,
        Mark {
            value: 7,
            mask: u32::MAX
        }
    );
    assert!(msg.nlas.is_empty(), "attributes left out are inherited");
    assert!(
        m.message(None, &no_device).is_err(),
        "nothing read, nothing to inherit"
    );
    // Given, the SA need not be read.
    let m = state_cmd(
        "dst ::1 proto esp spi 1 new src ::2 dst ::1 reqid 0 sel src ::2/128 dst ::1/128 proto udp",
    );
    assert!(!m.needs_current());
    let msg = m.message(None, &no_device).unwrap();
    assert_eq!((msg.state.new_reqid, msg.state.new_sel.proto), (0, 17));
    assert_eq!(msg.state.old_mark, Mark::default(), "no mark: 0/0");
    let m = state_cmd("dst ::1 proto esp spi 1 new src ::2 dst ::1 reqid 5 flag update-h2h-sel");
    assert!(!m.needs_current(), "the kernel derives the selector");
    assert_eq!(
        m.message(None, &no_device).unwrap().state.new_sel,
        Selector::default()
    );
}

#[test]
fn migrate_state_sends_its_attributes_and_flags() {
    let m = state_cmd(
        "dst 2001:db8:b::1 proto esp spi 0x1000 new dst 192.0.2.2 src 192.0.2.9 reqid 1 \
         sel src 2001:db8:1::/64 dst 2001:db8:2::/64 flag clear-offload update-h2h-sel \
         new-mark 3 mask 0xf output-mark 0x10 encap none offload packet dev eth0 dir in \
         mapping-maxage 30 nat-keepalive-interval 20",
    );
    let msg = m.message(None, &no_device).unwrap();
    assert_eq!(msg.state.flags, 3);
    assert_eq!(msg.state.new_family, AF_INET);
    assert_eq!(msg.state.id.family, AF_INET6);
    assert_eq!(
        msg.nlas,
        [
            XfrmAttrs::Mark(Mark {
                value: 3,
                mask: 0xf
            }),
            XfrmAttrs::MarkVal(0x10),
            XfrmAttrs::MarkMask(u32::MAX),
            XfrmAttrs::EncapsulationTemplate(EncapTmpl::default()),
            XfrmAttrs::OffloadDevice(UserOffloadDev {
                ifindex: 2,
                flags: 2 | 4
            }),
            u32_attr(XFRMA_MTIMER_THRESH, 30),
            u32_attr(XFRMA_NAT_KEEPALIVE_INTERVAL, 20),
        ]
    );
    let wire = bytes(&msg);
    assert_eq!(
        &wire[124..128],
        &3u32.to_ne_bytes(),
        "flags at their offset"
    );
    let back = MigrateStateMsg::parse(&wire).unwrap();
    assert_eq!(back.state, msg.state);
    // The crate reads the attributes it knows into its variants.
    assert_eq!(back.nlas[5], XfrmAttrs::MappingTimeThreshold(30));
    assert_eq!(
        wire.len(),
        XFRM_USER_MIGRATE_STATE_LEN + 12 + 8 + 8 + 28 + 12 + 8 + 8
    );
}

#[test]
fn the_sel_block_ends_at_a_word_it_has_or_does_not_know() {
    let m = state_cmd("proto esp spi 1 new src ::2 dst ::1 sel src ::/0 dst ::/0 dst ::9");
    assert_eq!(m.dst, Some(ip("::9")), "the second dst is the SA's");
    assert_eq!(m.sel.unwrap().dst, Some((ip("::"), 0)));
}

#[test]
fn monitor_takes_groups_nokeys_and_a_file() {
    let all: Vec<u32> = (1..=8).collect();
    assert_eq!(
        action(""),
        format!(
            "{:?}",
            Monitor {
                groups: all.clone(),
                nokeys: false,
                source: Source::Kernel
            }
        )
    );
    assert_eq!(action("monitor all"), action(""));
    assert_eq!(
        action("monitor nokeys SA migrate SA file /tmp/x"),
        format!(
            "{:?}",
            Monitor {
                groups: vec![3, 7],
                nokeys: true,
                source: Source::File("/tmp/x".into())
            }
        )
    );
    assert_eq!(
        action("monitor po ma all"),
        format!(
            "{:?}",
            Monitor {
                groups: all,
                nokeys: false,
                source: Source::Kernel
            }
        )
    );
    assert_eq!(
        action("pfkey monitor"),
        format!(
            "{:?}",
            PfkeyMonitor {
                source: Source::Kernel
            }
        )
    );
    let e = Monitor::parse(&mut args("file a file b")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Error: duplicate \"file\": \"b\" is the second value."
    );
}

fn pfkey_cmd(words: &str) -> PfkeyMigrate {
    PfkeyMigrate::parse(&mut args(words)).unwrap()
}

/// SADB_X_MIGRATE as af_key.c reads it: the selector's addresses (ports in
/// the sockaddrs, the protocol in both, IPSEC_ULPROTO_ANY for none), the
/// policy's direction plus one, an old and a new request per entry, at
/// level unique with a reqid and require without.
#[test]
fn pfkey_migrate_lays_its_message_out_as_af_key_reads_it() {
    let m = pfkey_cmd(&format!(
        "src 2001:db8:1::/64 dst 2001:db8:2::/64 proto udp sport 53 dir fwd {ENTRY} \
         old src ::1 dst ::2 proto ah mode beet new src ::3 dst ::2 kmaddress 2001:db8:a::2 2001:db8:b::1"
    ));
    let msg = m.message(7, 4242);
    assert_eq!(
        (msg.msg_type, msg.satype, msg.seq, msg.pid),
        (24, 3, 7, 4242)
    );
    let Ext::KmAddress { local, .. } = &msg.exts[0] else {
        panic!("{:?}", msg.exts[0])
    };
    assert_eq!(local.ip(), ip("2001:db8:a::2"));
    assert_eq!(
        msg.exts[1],
        Ext::Address {
            which: EXT_ADDRESS_SRC,
            proto: 17,
            prefixlen: 64,
            addr: pfkey::sockaddr(ip("2001:db8:1::"), 53)
        }
    );
    let Ext::Address { addr, proto, .. } = &msg.exts[2] else {
        panic!()
    };
    assert_eq!((addr.port(), *proto), (0, 17));
    let Ext::Policy(p) = &msg.exts[3] else {
        panic!()
    };
    assert_eq!(
        (p.dir, p.policy_type, p.requests.len()),
        (3, IPSEC_POLICY_IPSEC, 4)
    );
    assert_eq!(
        (p.requests[0].mode, p.requests[0].level, p.requests[0].reqid),
        (2, 3, 1)
    );
    assert_eq!(
        (p.requests[2].mode, p.requests[2].level, p.requests[2].proto),
        (3, 2, 51)
    );
    assert_eq!(p.requests[3].endpoints.unwrap().0.ip(), ip("::3"));
    let wire = msg.encode();
    assert_eq!(Message::decode(&wire).unwrap(), msg);
    assert_eq!(wire[16 + 2], EXT_X_KMADDRESS as u8);
    let any = pfkey_cmd(&format!("src ::/0 dst ::/0 dir out {ENTRY}")).message(1, 1);
    assert!(matches!(
        any.exts[0],
        Ext::Address {
            proto: IPSEC_PROTO_ANY,
            ..
        }
    ));
}

/// The kernel's announcement has seq and pid 0 and the same selector and
/// direction; another migration's does not count, nor does an error.
#[test]
fn the_announcement_of_a_pfkey_migrate_is_recognised() {
    let m = pfkey_cmd(&format!("src ::/0 dst ::/0 dir out {ENTRY}"));
    let sent = m.message(1, 4242);
    let mut heard = m.message(0, 0);
    assert!(announces(&heard, &sent));
    // The kernel writes "any protocol" as 0 where the request had 255.
    for e in &mut heard.exts {
        if let Ext::Address { proto, .. } = e {
            *proto = 0;
        }
    }
    assert!(announces(&heard, &sent));
    heard.errno = 22;
    assert!(!announces(&heard, &sent));
    let other = pfkey_cmd(&format!("src ::/0 dst ::/0 dir in {ENTRY}")).message(0, 0);
    assert!(!announces(&other, &sent));
}

/// The commands that answer once have no listener; the monitors have
/// one, which a batch refuses and `main` runs instead of `run`.
#[test]
fn every_command_runs_once_or_listens() {
    let mut out = Vec::new();
    for once in [
        parse_migrate(&mut args(&format!("src ::/0 dir in {ENTRY}"))).unwrap(),
        parse_migrate_state(&mut args("dst ::1 proto esp spi 1 new src ::2 dst ::1")).unwrap(),
        parse_pfkey_migrate(&mut args(&format!("src ::/0 dst ::/0 dir in {ENTRY}"))).unwrap(),
        bulk::parse_migrate(&mut args("::1 to ::2")).unwrap(),
        bulk::parse_plan(&mut args("::1 to ::2")).unwrap(),
        bulk::parse_stats(&mut args("")).unwrap(),
    ] {
        assert!(once.listener().is_none(), "{once:?}");
    }
    assert!(parse_pfkey_monitor(&mut args(""))
        .unwrap()
        .listener()
        .is_some());
    let f = parse_monitor(&mut args("file /nonexistent/rv6")).unwrap();
    let Some(Err(e)) = f.listener().map(|l| l.listen(Format::Json, &mut out)) else {
        panic!("a missing file")
    };
    assert_eq!(
        e.to_string(),
        "netlink: reading \"/nonexistent/rv6\": No such file or directory"
    );
}

/// A PF_KEY-initiated migration as af_key answers it (bytes from a guest): the
/// request, and the kernel's announcement (seq and pid 0, the selector's
/// protocol 0 where the request said IPSEC_ULPROTO_ANY).
#[test]
fn the_kernels_announcement_of_a_pfkey_migrate_is_recognised() {
    let sent = Message::decode(&[
        0x02, 0x18, 0x00, 0x03, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xcf, 0x00, 0x00,
        0x00, 0x05, 0x00, 0x05, 0x00, 0xff, 0x40, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x06, 0x00,
        0xff, 0x40, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d,
        0xb8, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x32, 0x00, 0x02, 0x03, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xa1, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
        0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
        0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x32, 0x00, 0x02, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01,
        0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa2, 0x00,
        0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00,
        0x00,
    ])
    .unwrap();
    let heard = Message::decode(&[
        0x02, 0x18, 0x00, 0x03, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x05, 0x00, 0x05, 0x00, 0x00, 0x40, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x06, 0x00,
        0x00, 0x40, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d,
        0xb8, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x32, 0x00, 0x02, 0x03, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xa1, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
        0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
        0x00, 0x00, 0x00, 0x00, 0x48, 0x00, 0x32, 0x00, 0x02, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01,
        0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa2, 0x00,
        0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00,
        0x00,
    ])
    .unwrap();
    assert!(announces(&heard, &sent), "{heard:?} for {sent:?}");
}
