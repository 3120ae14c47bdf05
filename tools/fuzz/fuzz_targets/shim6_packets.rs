#![no_main]
//! Shim6 headers: arbitrary bytes never panic, and whatever parses (a payload header, a control
//! message, an option) emits back to bytes that parse to the same thing.  Control messages are
//! tried as given and with their checksum fixed, so that the fuzzer gets past it.
use libfuzzer_sys::fuzz_target;
use rv6_cores::shim6_wire::*;

fn control_round_trips(b: &[u8]) {
    let Ok(h) = ControlHeader::new_checked(b) else {
        return;
    };
    let Ok(r) = ControlRepr::parse(&h) else {
        return;
    };
    let mut out = vec![0u8; r.buffer_len()];
    assert_eq!(r.emit(&mut out), Ok(h.header_len()));
    let again = ControlHeader::new_checked(&out[..]).unwrap();
    assert_eq!(ControlRepr::parse(&again), Ok(r));
    for o in r.options() {
        let o = OptionRepr::parse(&o.unwrap()).unwrap();
        let mut ob = vec![0u8; o.buffer_len()];
        assert_eq!(o.emit(&mut ob), Ok(ob.len()));
        let back = Options::new(&ob, 0).next().unwrap().unwrap();
        assert_eq!(OptionRepr::parse(&back), Ok(o));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = PayloadHeader::new_checked(data) {
        let r = PayloadRepr::parse(&h);
        let mut b = [0u8; PayloadRepr::LEN];
        r.emit(&mut b).unwrap();
        assert_eq!(
            PayloadRepr::parse(&PayloadHeader::new_checked(&b[..]).unwrap()),
            r
        );
    }
    for o in Options::new(data, 0).flatten() {
        if let Ok(r) = OptionRepr::parse(&o) {
            let mut b = vec![0u8; r.buffer_len()];
            assert_eq!(r.emit(&mut b), Ok(b.len()));
            let back = Options::new(&b, 0).next().unwrap().unwrap();
            assert_eq!(OptionRepr::parse(&back), Ok(r));
        }
    }
    control_round_trips(data);
    let mut fixed = data.to_vec();
    if let Ok(mut h) = ControlHeader::new_checked(&mut fixed[..]) {
        h.fill_checksum();
        control_round_trips(&fixed);
    }
});
