//! The FTP control-line parser: RFC 959 / RFC 2428 examples, the security rules, line
//! reassembly at every split, and proptests that arbitrary bytes never panic.

use proptest::prelude::*;
use rv6_cores::ftp_parse::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn ep(addr: Option<IpAddr>, port: u16) -> DataEndpoint {
    DataEndpoint { addr, port }
}

fn v4(s: &str) -> Option<IpAddr> {
    Some(IpAddr::V4(s.parse().unwrap()))
}

fn v6(s: &str) -> Option<IpAddr> {
    Some(IpAddr::V6(s.parse().unwrap()))
}

#[test]
fn rfc2428_eprt_examples() {
    assert_eq!(
        parse_line(b"EPRT |1|132.235.1.2|6275|", true),
        Some((Message::Eprt, ep(v4("132.235.1.2"), 6275)))
    );
    assert_eq!(
        parse_line(b"EPRT |2|1080::8:800:200C:417A|5282|", true),
        Some((Message::Eprt, ep(v6("1080::8:800:200C:417A"), 5282)))
    );
}

#[test]
fn rfc2428_epsv_reply_example() {
    assert_eq!(
        parse_line(b"229 Entering Extended Passive Mode (|||6446|)", false),
        Some((Message::Epsv229, ep(None, 6446)))
    );
}

#[test]
fn port_and_227() {
    assert_eq!(
        parse_line(b"PORT 192,168,1,2,7,138", true),
        Some((Message::Port, ep(v4("192.168.1.2"), 7 * 256 + 138)))
    );
    assert_eq!(
        parse_line(b"port 10,0,0,1,0,21", true),
        Some((Message::Port, ep(v4("10.0.0.1"), 21)))
    );
    assert_eq!(
        parse_line(b"227 Entering Passive Mode (10,0,0,1,195,80).", false),
        Some((Message::Pasv227, ep(v4("10.0.0.1"), 195 * 256 + 80)))
    );
    assert_eq!(
        parse_line(b"227 =10,0,0,1,195,80", false),
        Some((Message::Pasv227, ep(v4("10.0.0.1"), 195 * 256 + 80)))
    );
}

#[test]
fn any_printable_non_alphanumeric_delimiter_works_the_same() {
    for d in ['|', '!', '#', '$', '%', '^', '~'] {
        let line = format!("EPRT {d}2{d}2001:db8::1{d}2121{d}");
        assert_eq!(
            parse_line(line.as_bytes(), true),
            Some((Message::Eprt, ep(v6("2001:db8::1"), 2121))),
            "{d}"
        );
    }
    assert_eq!(parse_line(b"EPRT a2a2001:db8::1a2121a", true), None);
    assert_eq!(parse_line(b"EPRT 121212001:db8::11212112", true), None);
}

#[test]
fn ports_out_of_range_or_zero_are_refused() {
    for line in [
        &b"EPRT |2|2001:db8::1|0|"[..],
        b"EPRT |2|2001:db8::1|65536|",
        b"EPRT |2|2001:db8::1|99999999999|",
        b"PORT 10,0,0,1,0,0",
        b"PORT 10,0,0,1,256,1",
        b"PORT 10,0,0,1,1,256",
        b"PORT 300,0,0,1,1,1",
    ] {
        assert_eq!(
            parse_line(line, true),
            None,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    assert_eq!(parse_line(b"229 ok (|||0|)", false), None);
    assert_eq!(parse_line(b"229 ok (|||65536|)", false), None);
}

#[test]
fn malformed_arguments_are_refused() {
    for line in [
        &b"EPRT |2|2001:db8::1|21"[..], // missing final delimiter
        b"EPRT |2|2001:db8::1|21||",    // one too many
        b"EPRT |3|2001:db8::1|21|",     // unknown net-prt
        b"EPRT |1|2001:db8::1|21|",     // v6 address with net-prt 1
        b"EPRT |2|10.0.0.1|21|",        // v4 address with net-prt 2
        b"EPRT |2|2001:db8::g|21|",
        b"EPRT |2||21|",
        b"EPRT ",
        b"EPRT",
        b"PORT 10,0,0,1,1",
        b"PORT 10,0,0,1,1,1,1",
        b"PORT 10,0,0,1,+1,1",
        b"PORT 10,0,0,-1,1,1",
        b"PORT ,,,,,",
    ] {
        assert_eq!(
            parse_line(line, true),
            None,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    for line in [
        &b"229 (||6446|)"[..],
        b"229 (|||6446)",
        b"229 |||6446|",
        b"229 (|1|6446|)",
        b"227 no numbers",
    ] {
        assert_eq!(
            parse_line(line, false),
            None,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn commands_are_only_commands_in_their_direction() {
    assert_eq!(parse_line(b"227 (10,0,0,1,1,1)", true), None);
    assert_eq!(parse_line(b"PORT 10,0,0,1,1,1", false), None);
}

#[test]
fn bounce_and_v4_mapped_are_refused_by_policy() {
    let peer: IpAddr = "2001:db8::1".parse().unwrap();
    let (_, same) = parse_line(b"EPRT |2|2001:db8::1|2000|", true).unwrap();
    assert_eq!(same.check(peer), Ok(()));
    let (_, other) = parse_line(b"EPRT |2|2001:db8::99|2000|", true).unwrap();
    assert_eq!(other.check(peer), Err(Refusal::NotThePeer));
    let (_, mapped) = parse_line(b"EPRT |2|::ffff:192.0.2.1|2000|", true).unwrap();
    assert_eq!(
        mapped.check("::ffff:192.0.2.1".parse().unwrap()),
        Err(Refusal::V4Mapped)
    );
    let (_, pasv) = parse_line(b"229 x (|||2000|)", false).unwrap();
    assert_eq!(pasv.check(peer), Ok(()));
    let v4peer = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let (_, port) = parse_line(b"PORT 10,0,0,2,1,1", true).unwrap();
    assert_eq!(port.check(v4peer), Err(Refusal::NotThePeer));
    let _ = Ipv6Addr::LOCALHOST;
}

#[test]
fn a_line_split_at_every_offset_comes_out_whole() {
    let stream = b"USER anonymous\r\nEPRT |2|2001:db8::1|2121|\r\nPASV\r\n";
    for i in 0..=stream.len() {
        for j in i..=stream.len() {
            let mut b = LineBuffer::new();
            let mut lines: Vec<Vec<u8>> = Vec::new();
            for part in [&stream[..i], &stream[i..j], &stream[j..]] {
                b.feed(part, |l| lines.push(l.to_vec()));
            }
            assert_eq!(
                lines,
                vec![
                    b"USER anonymous".to_vec(),
                    b"EPRT |2|2001:db8::1|2121|".to_vec(),
                    b"PASV".to_vec()
                ]
            );
            assert_eq!(b.pending(), 0);
        }
    }
}

#[test]
fn a_ten_thousand_byte_line_is_skipped_and_the_next_line_still_parses() {
    let mut b = LineBuffer::new();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut long = b"EPRT |2|2001:db8::1|2121|".to_vec();
    long.extend(std::iter::repeat_n(b'A', 10_000));
    long.extend_from_slice(b"\r\nPORT 10,0,0,1,1,1\r\n");
    for chunk in long.chunks(1460) {
        b.feed(chunk, |l| lines.push(l.to_vec()));
    }
    assert_eq!(lines, vec![b"PORT 10,0,0,1,1,1".to_vec()]);
}

/// Feeds `(seq, bytes)` segments through a [`Stream`] the way the helper does.
fn run_stream(segments: &[(u32, &[u8])]) -> Vec<Vec<u8>> {
    let mut s = Stream::new();
    let mut lines = Vec::new();
    for &(seq, data) in segments {
        if let Segment::Feed(skip) = s.accept(seq, data.len()) {
            s.feed(&data[skip..], |l| lines.push(l.to_vec()));
        }
    }
    lines
}

#[test]
fn stream_feeds_in_order_segments_across_sequence_wraparound() {
    let seq = u32::MAX - 3;
    let lines = run_stream(&[(seq, b"EPRT |2|"), (seq.wrapping_add(8), b"::1|21|\r\n")]);
    assert_eq!(lines, vec![b"EPRT |2|::1|21|".to_vec()]);
}

#[test]
fn stream_feeds_retransmitted_bytes_once() {
    // Whole retransmission, then a segment that overlaps the end of the previous one.
    let lines = run_stream(&[
        (100, b"PORT 10,0"),
        (100, b"PORT 10,0"),
        (105, b"10,0,0,1,1,1\r\nPASV\r\n"),
    ]);
    assert_eq!(lines, vec![b"PORT 10,0,0,1,1,1".to_vec(), b"PASV".to_vec()]);
}

#[test]
fn stream_drops_a_line_with_a_hole_instead_of_splicing_it() {
    // Bytes 108..112 never pass the helper: "PORT 10," + "1,1,1" must not become a command.
    let lines = run_stream(&[
        (100, b"PORT 10,"),
        (112, b"0,0,1,1,1\r\n"),
        (123, b"PORT 10,0,0,1,1,2\r\n"),
    ]);
    assert_eq!(lines, vec![b"PORT 10,0,0,1,1,2".to_vec()]);
}

#[test]
fn stream_rewind_parses_the_retransmitted_segment_again() {
    let mut s = Stream::new();
    let mut lines = Vec::new();
    let seg: &[u8] = b"EPRT |2|::1|21|\r\n";
    for _ in 0..2 {
        if let Segment::Feed(skip) = s.accept(500, seg.len()) {
            s.feed(&seg[skip..], |l| lines.push(l.to_vec()));
        }
        // The first time round, the expectation "fails".
        if lines.len() == 1 {
            s.rewind(500);
        }
    }
    assert_eq!(lines.len(), 2);
    // Without the rewind the retransmission is old data.
    assert_eq!(s.accept(500, seg.len()), Segment::Old);
}

#[test]
fn stream_split_at_every_offset_with_retransmissions_yields_each_line_once() {
    let text: &[u8] =
        b"EPRT |2|2001:db8::1|2121|\r\n229 Entering Extended Passive Mode (|||6446|)\r\n";
    for cut in 0..=text.len() {
        let (a, b) = text.split_at(cut);
        let lines = run_stream(&[(7, a), (7, a), (7 + cut as u32, b), (7, text)]);
        assert_eq!(lines.len(), 2, "cut at {cut}");
    }
}

/// The lines in `stream` as the helper must see them: split at LF, CR stripped, lines longer
/// than `MAX_LINE` bytes (LF not counted) left out, and an unfinished last line held back.
fn reference_lines(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut parts: Vec<&[u8]> = stream.split(|&c| c == b'\n').collect();
    parts.pop(); // after the last LF: unfinished
    parts
        .into_iter()
        .filter(|l| l.len() <= MAX_LINE)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect()
}

proptest! {
    #[test]
    fn find_lf_finds_the_first_lf_as_a_byte_loop_does(
        data in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'\r'), Just(0u8), Just(0x0bu8), Just(0x8au8), any::<u8>()],
            0..40,
        ),
    ) {
        prop_assert_eq!(find_lf(&data), data.iter().position(|&c| c == b'\n'));
    }

    #[test]
    fn lines_come_out_as_split_whatever_the_segments(
        pieces in proptest::collection::vec(
            prop_oneof![
                Just(b"\n".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"PORT 10,0,0,1,1,1".to_vec()),
                (0usize..700).prop_map(|n| vec![b'A'; n]),
                Just(vec![b'B'; MAX_LINE]),
                Just(vec![b'C'; MAX_LINE - 1]),
            ],
            0..12,
        ),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let stream = pieces.concat();
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
        at.sort_unstable();
        let mut b = LineBuffer::new();
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut from = 0;
        for &to in at.iter().chain([stream.len()].iter()) {
            b.feed(&stream[from..to], |l| lines.push(l.to_vec()));
            from = to;
        }
        prop_assert_eq!(lines, reference_lines(&stream));
    }

    #[test]
    fn arbitrary_bytes_never_panic(line in proptest::collection::vec(any::<u8>(), 0..600), dir in any::<bool>()) {
        let _ = parse_line(&line, dir);
        let mut b = LineBuffer::new();
        b.feed(&line, |l| { let _ = parse_line(l, dir); });
        prop_assert!(b.pending() <= MAX_LINE);
    }

    #[test]
    fn eprt_round_trips(a in any::<[u16; 8]>(), port in 1u16..) {
        let addr = Ipv6Addr::from(a);
        let line = format!("EPRT |2|{addr}|{port}|");
        prop_assert_eq!(parse_line(line.as_bytes(), true), Some((Message::Eprt, ep(Some(IpAddr::V6(addr)), port))));
    }

    #[test]
    fn port_round_trips(a in any::<[u8; 4]>(), port in 1u16..) {
        let line = format!("PORT {},{},{},{},{},{}", a[0], a[1], a[2], a[3], port >> 8, port & 0xff);
        prop_assert_eq!(parse_line(line.as_bytes(), true), Some((Message::Port, ep(Some(IpAddr::V4(Ipv4Addr::from(a))), port))));
    }

    #[test]
    fn stream_never_panics_on_any_segment_order(segs in proptest::collection::vec((any::<u32>(), proptest::collection::vec(any::<u8>(), 0..80)), 0..20)) {
        let mut s = Stream::new();
        for (seq, data) in &segs {
            if let Segment::Feed(skip) = s.accept(*seq, data.len()) {
                prop_assert!(skip <= data.len());
                s.feed(&data[skip..], |l| { let _ = parse_line(l, true); });
            }
            prop_assert!(s.pending() <= MAX_LINE);
        }
    }
}
