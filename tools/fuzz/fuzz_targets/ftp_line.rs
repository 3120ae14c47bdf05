#![no_main]
//! FTP control data in arbitrary segments: reassembly and parsing never panic, and every
//! endpoint that comes out has a non-zero port.
use libfuzzer_sys::fuzz_target;
use rv6_cores::ftp_parse::{parse_line, LineBuffer, MAX_LINE};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(cut).min(rest.len());
    let mut b = LineBuffer::new();
    for part in [&rest[..at], &rest[at..]] {
        b.feed(part, |line| {
            for dir in [true, false] {
                if let Some((_, ep)) = parse_line(line, dir) {
                    assert_ne!(ep.port, 0);
                }
            }
        });
    }
    assert!(b.pending() <= MAX_LINE);
});
