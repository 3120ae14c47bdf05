//! The DHCPv6 header/option core: message kinds and who answers them, relay encapsulation,
//! option bounds, and proptests that arbitrary bytes never panic.

use proptest::prelude::*;
use rv6_cores::dhcpv6_parse::*;

fn opt(code: u16, data: &[u8]) -> Vec<u8> {
    let mut v = code.to_be_bytes().to_vec();
    v.extend((data.len() as u16).to_be_bytes());
    v.extend(data);
    v
}

fn solicit(xid: u32) -> Vec<u8> {
    let mut m = vec![1];
    m.extend(&xid.to_be_bytes()[1..]);
    m.extend(opt(option::CLIENTID, &[0, 3, 0, 1, 2, 3, 4, 5, 6, 7]));
    m.extend(opt(8, &[0, 0])); // Elapsed Time
    m
}

fn relay_forw(hops: u8, inner: &[u8]) -> Vec<u8> {
    let mut m = vec![12, hops];
    m.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 12])); // link-address 2001:db8::
    m.extend([0xfe, 0x80].iter().chain(&[0; 13]).chain(&[1])); // peer-address fe80::1
    m.extend(opt(option::INTERFACE_ID, b"eth0"));
    m.extend(opt(option::RELAY_MSG, inner));
    m
}

#[test]
fn solicit_header_and_options() {
    let raw = solicit(0x00abcdef);
    let m = Message::parse(&raw).unwrap();
    assert_eq!(m.kind(), MessageType::Solicit);
    let Message::Exchange { transaction_id, .. } = m else {
        panic!()
    };
    assert_eq!(transaction_id, 0xabcdef);
    let codes: Vec<u16> = m.options().map(|o| o.unwrap().0).collect();
    assert_eq!(codes, vec![option::CLIENTID, 8]);
}

#[test]
fn who_answers_whom() {
    use MessageType::*;
    assert!(Solicit.answered_by(Advertise) && Solicit.answered_by(Reply));
    for t in [
        Request,
        Confirm,
        Renew,
        Rebind,
        Release,
        Decline,
        InformationRequest,
    ] {
        assert!(
            t.is_from_client()
                && t.expects_reply()
                && t.answered_by(Reply)
                && !t.answered_by(Advertise),
            "{t:?}"
        );
    }
    assert!(
        RelayForw.expects_reply()
            && RelayForw.answered_by(RelayRepl)
            && !RelayForw.answered_by(Reply)
    );
    for t in [Advertise, Reply, Reconfigure, RelayRepl] {
        assert!(!t.is_from_client() && !t.expects_reply(), "{t:?}");
    }
}

#[test]
fn relay_chains_unwrap_to_the_client_message() {
    let inner = solicit(7);
    let twice = relay_forw(1, &relay_forw(0, &inner));
    let m = Message::parse(&twice).unwrap();
    let Message::Relay {
        hop_count,
        peer_address,
        ..
    } = m
    else {
        panic!()
    };
    assert_eq!(hop_count, 1);
    assert_eq!(peer_address[0..2], [0xfe, 0x80]);
    assert_eq!(innermost(m).unwrap(), Message::parse(&inner).unwrap());
}

#[test]
fn malformed_messages_are_refused() {
    assert_eq!(Message::parse(&[]), None);
    assert_eq!(Message::parse(&[1, 0, 0]), None); // short transaction-id
    assert_eq!(Message::parse(&[0, 0, 0, 0]), None); // type 0 unassigned
    assert_eq!(Message::parse(&[200, 0, 0, 0]), None);
    assert_eq!(Message::parse(&[12; 33]), None); // short relay header
    let mut too_many_hops = relay_forw(0, &solicit(1));
    too_many_hops[1] = HOP_COUNT_LIMIT + 1;
    assert_eq!(Message::parse(&too_many_hops), None);
}

#[test]
fn an_option_that_overruns_the_message_stops_the_walk() {
    let mut raw = solicit(1);
    raw.extend([0, 99, 0, 200, 1, 2]); // claims 200 bytes, has 2
    let m = Message::parse(&raw).unwrap();
    let items: Vec<_> = m.options().collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert_eq!(items[2], Err(()));
    // A dangling 1-3 bytes also counts as an overrun.
    let mut raw = solicit(1);
    raw.extend([0, 1]);
    assert_eq!(
        Message::parse(&raw).unwrap().options().last(),
        Some(Err(()))
    );
}

#[test]
fn a_relay_without_a_relay_message_has_no_innermost() {
    let mut m = vec![12, 0];
    m.extend([0; 32]);
    assert_eq!(innermost(Message::parse(&m).unwrap()), None);
}

proptest! {
    #[test]
    fn arbitrary_payloads_never_panic(p in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Some(m) = Message::parse(&p) {
            let n = m.options().count();
            prop_assert!(n <= p.len() / 4 + 1);
            let _ = innermost(m);
        }
    }
}
