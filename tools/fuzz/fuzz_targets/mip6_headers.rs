#![no_main]
//! Mobile IPv6 headers: arbitrary bytes never panic, and whatever parses as a Home Address or
//! type 2 Routing Header emits back to a header that parses to the same thing.
use libfuzzer_sys::fuzz_target;
use rv6_cores::mip6_wire::*;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = DestinationOptions::new_checked(data) {
        if let Ok(r) = HomeAddressRepr::parse(&h) {
            let mut b = [0u8; HomeAddressRepr::LEN];
            r.emit(&mut b).unwrap();
            let again = DestinationOptions::new_checked(&b).unwrap();
            assert_eq!(HomeAddressRepr::parse(&again), Ok(r));
        }
    }
    if let Ok(r) = RoutingType2Repr::parse(data) {
        let mut b = [0u8; RoutingType2Repr::LEN];
        r.emit(&mut b).unwrap();
        assert_eq!(RoutingType2Repr::parse(&b), Ok(r));
    }
    if let Ok(m) = MobilityHeader::new_checked(data) {
        let _ = m.checksum_ok(&[0; 16], &[0xff; 16]);
    }
});
