//! The printer's corners that the message goldens of tests/xfrm.rs do not
//! reach: unnamed flag bits, zero marks, selectors of every protocol
//! family, socket policies, and the migration decodings' optional lines.

use super::*;
use crate::output::render_event;
use crate::output::Format;
use crate::xfrm::json::Json;
use crate::xfrm::names::TestHost;
use crate::xfrm::wire::{
    u32_attr,
    UserMigrateState,
    XFRMA_SA_DIR, //
};
use netlink_packet_xfrm::{
    UserOffloadDev,
    UserPolicyId,
    AF_INET,
    AF_INET6, //
};

fn p() -> Printer<'static> {
    Printer {
        host: &TestHost,
        nokeys: false,
    }
}

fn a6(s: &str) -> Address {
    Address::from_ipv6(&s.parse().unwrap())
}

#[test]
fn flags_name_their_bits_then_the_rest_in_hex() {
    let table = [(1, "noecn"), (4, "nopmtudisc")];
    assert_eq!(flag_words(5, &table), "noecn nopmtudisc");
    assert_eq!(flag_words(1 | 0x30, &table), "noecn 30");
    assert_eq!(flag_words(0x30, &table), "30");
    assert_eq!(
        (alt_hex(0), alt_hex(255)),
        ("0".to_string(), "0xff".to_string())
    );
}

#[test]
fn selectors_print_ports_by_protocol() {
    let mut sel = Selector {
        family: AF_INET6,
        proto: 135,
        sport: 5,
        sport_mask: 0xffff,
        dport: 9,
        dport_mask: 0xffff,
        ..Selector::default()
    };
    assert_eq!(
        p().selector_words(&sel, 0),
        "src ::/0 dst ::/0 proto mobility-header type 5 "
    );
    sel.proto = 1;
    assert_eq!(
        p().selector_words(&sel, 0),
        "src ::/0 dst ::/0 proto icmp type 5 code 9 "
    );
    sel.proto = 47;
    assert_eq!(
        p().selector_words(&sel, 0),
        "src ::/0 dst ::/0 proto gre key 327689 "
    );
    sel.proto = 200;
    sel.ifindex = 9;
    assert_eq!(
        p().selector_words(&sel, 0),
        "src ::/0 dst ::/0 proto 200 sport 5 dport 9 dev if9 "
    );
    sel.family = 0;
    assert_eq!(
        p().selector_words(&sel, AF_INET).split(' ').nth(1),
        Some("0.0.0.0/0")
    );
    assert_eq!(p().selector_words(&sel, 0).split(' ').nth(1), Some("???/0"));
}

/// A socket policy's direction follows "socket"; an action other than
/// allow and block is its number; an empty template list is an error.
#[test]
fn socket_policies_and_odd_actions() {
    let info = UserPolicyInfo {
        direction: 5,
        action: 2,
        priority: 3,
        ..UserPolicyInfo::default()
    };
    let mut out = String::new();
    p().policy(&mut out, &info, &[XfrmAttrs::Template(vec![])], "", None);
    assert_eq!(
        out,
        "src ???/0 dst ???/0 \n\tsocket fwd action 2 priority 3 \n\t(ERROR \"tmpl\" truncated)\n"
    );
}

#[test]
fn a_mark_of_zero_prints_as_c_prints_it() {
    let mut out = String::new();
    p().marks(
        &mut out,
        &[XfrmAttrs::Mark(Mark {
            value: 0,
            mask: 0xffffffff,
        })],
    );
    assert_eq!(out, "\tmark 0/0xffffffff \n");
    let mut out = String::new();
    p().marks(&mut out, &[XfrmAttrs::MarkVal(0)]);
    assert_eq!(out, "\toutput-mark 0x0\n");
}

fn migrate() -> Migrate {
    Migrate {
        policy: UserPolicyId {
            selector: Selector {
                family: AF_INET,
                ..Selector::default()
            },
            index: 0,
            direction: 0,
        },
        entries: vec![UserMigrate {
            old_saddr: Address::from_ipv4(&"192.0.2.1".parse().unwrap()),
            old_daddr: Address::from_ipv4(&"192.0.2.2".parse().unwrap()),
            new_saddr: a6("2001:db8::1"),
            new_daddr: a6("2001:db8::2"),
            proto: 51,
            mode: 4,
            reqid: 7,
            old_family: AF_INET,
            new_family: AF_INET6,
            ..UserMigrate::default()
        }],
        nlas: vec![
            XfrmAttrs::EncapsulationTemplate(EncapTmpl {
                encap_type: 7,
                encap_sport: 1,
                encap_dport: 2,
                encap_oa: a6("2001:db8::9"),
            }),
            XfrmAttrs::IfId(4),
        ],
    }
}

/// An IPv4-to-IPv6 move, its encapsulation's address in the new family,
/// and the interface id a request carries.
#[test]
fn a_migrate_prints_every_part_it_has() {
    let mut out = String::new();
    p().migrate(&mut out, &migrate());
    assert_eq!(
        out,
        "migrate src 0.0.0.0/0 dst 0.0.0.0/0 dir in ptype main\n\
         \told src 192.0.2.1 dst 192.0.2.2 proto ah mode beet reqid 7\n\
         \tnew src 2001:db8::1 dst 2001:db8::2\n\
         \tencap espintcp 1 2 2001:db8::9\n\
         \tif_id 4\n"
    );
    let e = Json {
        host: &TestHost,
        nokeys: false,
    }
    .event(
        &NetlinkHeader::default(),
        &NetlinkPayload::InnerMessage(XfrmMsg::Migrate(migrate())),
    )
    .unwrap();
    let json = render_event(&e, Format::Json);
    assert!(json.contains("\"encap\":{\"type\":\"espintcp\",\"sport\":1,\"dport\":2,\"addr\":\"2001:db8::9\"},\"if_id\":4}"), "{json}");
}

#[test]
fn a_migrate_state_prints_its_offload_output_mark_and_removal_of_encap() {
    let m = MigrateState {
        state: UserMigrateState {
            id: UserSaId {
                daddr: a6("2001:db8::2"),
                spi: 0x1000,
                family: AF_INET6,
                proto: 50,
            },
            new_saddr: a6("2001:db8::3"),
            new_daddr: a6("2001:db8::2"),
            new_family: AF_INET6,
            flags: 1 | 8,
            ..UserMigrateState::default()
        },
        nlas: vec![
            XfrmAttrs::MarkVal(0x10),
            XfrmAttrs::EncapsulationTemplate(EncapTmpl::default()),
            XfrmAttrs::OffloadDevice(UserOffloadDev {
                ifindex: 2,
                flags: XFRM_OFFLOAD_PACKET,
            }),
            u32_attr(XFRMA_SA_DIR, 0),
        ],
    };
    let mut out = String::new();
    p().migrate_state(&mut out, &m);
    assert_eq!(
        out,
        "migrate-state dst 2001:db8::2 proto esp spi 0x00001000 mark 0x0 mask 0x0\n\
         \tnew src 2001:db8::3 dst 2001:db8::2 reqid 0 flag clear-offload 8\n\
         \tsel src ::/0 dst ::/0\n\
         \toutput-mark 0x10 mask 0xffffffff\n\
         \tencap none\n\
         \toffload packet dev eth0 dir out\n"
    );
}

/// Names for numbers the tables lack.
#[test]
fn unknown_numbers_print_as_numbers() {
    assert_eq!(xfrm_proto(99), "99");
    assert_eq!(mode(9), "9");
    assert_eq!(ptype(3), "3");
    assert_eq!(encap_type(0), "0");
    assert_eq!(mode(4), "beet");
}
