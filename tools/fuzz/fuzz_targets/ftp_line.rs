#![no_main]
//! FTP control data in arbitrary segments with arbitrary sequence numbers (in order,
//! retransmitted, overlapping, with holes): stream tracking, reassembly and parsing never
//! panic, never hold more than a line, and every endpoint that comes out has a non-zero port.
use libfuzzer_sys::fuzz_target;
use rv6_cores::ftp_parse::{parse_line, Segment, Stream, MAX_LINE};

fuzz_target!(|data: &[u8]| {
    let mut s = Stream::new();
    let mut rest = data;
    // Each segment: a 4-byte sequence-number offset, a length byte, then the bytes.
    while rest.len() >= 5 {
        let off = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let len = usize::from(rest[4]).min(rest.len() - 5);
        let (seg, tail) = rest[5..].split_at(len);
        rest = tail;
        if let Segment::Feed(skip) = s.accept(off, seg.len()) {
            assert!(skip <= seg.len());
            s.feed(&seg[skip..], |line| {
                for dir in [true, false] {
                    if let Some((_, ep)) = parse_line(line, dir) {
                        assert_ne!(ep.port, 0);
                    }
                }
            });
        }
        assert!(s.pending() <= MAX_LINE);
    }
});
