#![no_main]
//! DHCPv6 payloads: header parsing, the option walk and relay unwrapping never panic, and the
//! walk never yields data outside the payload.
use libfuzzer_sys::fuzz_target;
use rv6_cores::dhcpv6_parse::{innermost, Message};

fuzz_target!(|data: &[u8]| {
    if let Some(m) = Message::parse(data) {
        let mut total = 0;
        for (_, d) in m.options().flatten() {
            total += d.len() + 4;
        }
        assert!(total <= data.len());
        let _ = innermost(m);
    }
});
