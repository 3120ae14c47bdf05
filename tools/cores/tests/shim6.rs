//! Shim6 wire formats: hand-built RFC 5533/5534 layouts for every message and option, the
//! checks with the offsets an Error Message would point at, and proptests that every repr
//! round-trips and that arbitrary bytes never panic.

use proptest::prelude::*;
use rv6_cores::shim6_wire::*;

const TAG: u64 = 0x0123_4567_89ab;
const TAG_BYTES: [u8; 6] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab];
const LOC1: Addr = [
    0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
];
const LOC2: Addr = [
    0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
];

fn tag(v: u64) -> ContextTag {
    ContextTag::new(v).unwrap()
}

/// RFC 1071, written out independently of the core.
fn rfc1071(data: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for w in data.chunks(2) {
        s += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// `b` with Hdr Ext Len and the checksum over the header filled in.
fn sealed(mut b: Vec<u8>) -> Vec<u8> {
    assert_eq!(b.len() % 8, 0, "test vector must be whole octets of 8");
    b[1] = (b.len() / 8 - 1) as u8;
    b[4] = 0;
    b[5] = 0;
    let c = rfc1071(&b);
    b[4..6].copy_from_slice(&c.to_be_bytes());
    b
}

fn parse(b: &[u8]) -> Result<ControlRepr<'_>, Error> {
    ControlRepr::parse(&ControlHeader::new_checked(b)?)
}

fn emit(r: &ControlRepr<'_>) -> Vec<u8> {
    let mut b = vec![0u8; r.buffer_len()];
    assert_eq!(r.emit(&mut b), Ok(b.len()));
    b
}

fn opts<'a>(r: &ControlRepr<'a>) -> Vec<(usize, OptionRepr<'a>)> {
    r.options()
        .map(|o| {
            let o = o.unwrap();
            (o.offset, OptionRepr::parse(&o).unwrap())
        })
        .collect()
}

/// The parse of a hand-built message, checked to emit back to the same bytes.
fn parse_and_reemit(b: &[u8]) -> ControlRepr<'_> {
    let r = parse(b).unwrap();
    assert_eq!(emit(&r), b, "re-emitted bytes differ");
    r
}

#[test]
fn payload_header_is_eight_bytes_with_p_set_and_a_47_bit_tag() {
    let mut b = vec![58, 0, 0x80 | TAG_BYTES[0]];
    b.extend(&TAG_BYTES[1..]);
    b.extend([128, 0, 0, 0]); // the ICMPv6 message behind it
    assert_eq!(is_payload(&b), Ok(true));
    let h = PayloadHeader::new_checked(&b[..]).unwrap();
    assert_eq!(h.payload(), &[128, 0, 0, 0]);
    let r = PayloadRepr::parse(&h);
    assert_eq!(
        r,
        PayloadRepr {
            next_header: 58,
            context_tag: tag(TAG)
        }
    );
    let mut out = [0u8; PayloadRepr::LEN];
    r.emit(&mut out).unwrap();
    assert_eq!(out, b[..8]);
    assert_eq!(r.emit(&mut [0u8; 7]), Err(Error::Truncated));
}

#[test]
fn payload_header_rejects_p_clear_nonzero_length_and_truncation() {
    let good = [6, 0, 0x80, 0, 0, 0, 0, 1];
    assert!(PayloadHeader::new_checked(&good[..]).is_ok());
    let bad = |i: usize, v: u8| {
        let mut c = good;
        c[i] = v;
        PayloadHeader::new_checked(c).err()
    };
    assert_eq!(bad(2, 0x00), Some(Error::Field(2))); // a control message
    assert_eq!(bad(1, 1), Some(Error::Field(1))); // Hdr Ext Len must be 0
    assert_eq!(
        PayloadHeader::new_checked(&good[..7]).err(),
        Some(Error::Truncated)
    );
    assert_eq!(
        PayloadHeader::new_checked(&good[..2]).err(),
        Some(Error::Truncated)
    );
    assert_eq!(is_payload(&good[..2]), Err(Error::Truncated));
}

#[test]
fn context_tags_are_47_bits() {
    assert_eq!(
        ContextTag::new(ContextTag::MAX).map(ContextTag::get),
        Some((1 << 47) - 1)
    );
    assert_eq!(ContextTag::new(1 << 47), None);
}

#[test]
fn i1_carries_the_initiator_tag_and_nonce_and_ignores_reserved_bits() {
    // RFC 5533 §5.4; R (above the tag) and Reserved1 set: ignored on receipt.
    let mut b = vec![59, 1, 1, 0x7e, 0, 0, 0x80 | TAG_BYTES[0]];
    b.extend(&TAG_BYTES[1..]);
    b.extend([0xde, 0xad, 0xbe, 0xef]);
    let b = sealed(b);
    let r = parse(&b).unwrap();
    assert_eq!(
        r,
        ControlRepr {
            next_header: IPPROTO_NONE,
            message: Message::I1 {
                initiator_context_tag: tag(TAG),
                initiator_nonce: 0xdead_beef
            },
            options: &[],
        }
    );
    // Emitted with the reserved bits clear.
    let out = emit(&r);
    assert_eq!(out[3], 0);
    assert_eq!(out[6], TAG_BYTES[0]);
    assert_eq!(&out[7..], &b[7..]);
    assert_eq!(rfc1071(&out), 0);
}

#[test]
fn r1_has_reserved2_then_both_nonces_and_a_responder_validator() {
    // RFC 5533 §5.5 and §5.15.1.
    let b = sealed(vec![
        59, 0, 2, 0, 0, 0, 0, 0, // Reserved2
        0xde, 0xad, 0xbe, 0xef, // Initiator Nonce
        0x11, 0x22, 0x33, 0x44, // Responder Nonce
        0x00, 0x02, 0x00, 0x04, 0xa1, 0xa2, 0xa3, 0xa4, // Responder Validator, 4 bytes
    ]);
    let r = parse_and_reemit(&b);
    assert_eq!(
        r.message,
        Message::R1 {
            initiator_nonce: 0xdead_beef,
            responder_nonce: 0x1122_3344
        }
    );
    assert_eq!(
        opts(&r),
        vec![(
            16,
            OptionRepr {
                critical: false,
                body: OptionBody::ResponderValidator(&[0xa1, 0xa2, 0xa3, 0xa4])
            }
        )]
    );
}

/// A Locator List option of LOC1 (HBA) and LOC2 (CGA), generation 7: 5 bytes, 2 methods,
/// 5 bytes of padding so that the locators start 16 bytes into the option.
fn locator_list_option() -> Vec<u8> {
    let mut o = vec![0x00, 0x04, 0x00, 44, 0, 0, 0, 7, 2, VERIFY_HBA, VERIFY_CGA];
    o.extend([0; 5]);
    o.extend(LOC1);
    o.extend(LOC2);
    assert_eq!(o.len(), 48);
    o
}

#[test]
fn i2_carries_tag_nonces_reserved2_and_its_options_at_their_offsets() {
    // RFC 5533 §5.6: options start at 24, after a 32-bit Reserved2.
    let mut b = vec![59, 0, 3, 0, 0, 0];
    b.extend(TAG_BYTES);
    b.extend([0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff]); // nonces, Reserved2
    b.extend([0x00, 0x02, 0x00, 0x03, 9, 9, 9, 0]); // Responder Validator, padded
    b.extend(locator_list_option());
    b.extend([0x00, 0x08, 0x00, 0x02, 0xc0, 0xde, 0, 0]); // CGA PDS
    b.extend([0x00, 0x0a, 0x00, 0x01, 0x5e, 0, 0, 0]); // CGA Signature
    let b = sealed(b);
    let r = parse(&b).unwrap();
    assert_eq!(
        r.message,
        Message::I2 {
            initiator_context_tag: tag(TAG),
            initiator_nonce: 1,
            responder_nonce: 2
        }
    );
    let o = opts(&r);
    assert_eq!(
        o.iter()
            .map(|(at, o)| (*at, o.body.kind()))
            .collect::<Vec<_>>(),
        vec![
            (24, OPT_RESPONDER_VALIDATOR),
            (32, OPT_LOCATOR_LIST),
            (80, OPT_CGA_PDS),
            (88, OPT_CGA_SIGNATURE)
        ]
    );
    let OptionBody::LocatorList(l) = o[1].1.body else {
        panic!("{o:?}")
    };
    assert_eq!(l.generation(), 7);
    assert_eq!(l.len(), 2);
    assert_eq!(
        l.iter().collect::<Vec<_>>(),
        vec![(VERIFY_HBA, LOC1), (VERIFY_CGA, LOC2)]
    );
    assert_eq!(
        o[2].1.body,
        OptionBody::CgaParameterDataStructure(&[0xc0, 0xde])
    );
    assert_eq!(o[3].1.body, OptionBody::CgaSignature(&[0x5e]));
    // Reserved2 comes back zero; everything else is the same bytes.
    let out = emit(&r);
    assert_eq!(&out[20..24], &[0; 4]);
    assert_eq!(&out[24..], &b[24..]);
}

#[test]
fn r2_r1bis_update_and_keepalive_share_the_tag_then_nonce_layout() {
    for (t, want) in [
        (
            4,
            Message::R2 {
                responder_context_tag: tag(TAG),
                initiator_nonce: 0x0102_0304,
            },
        ),
        (
            5,
            Message::R1bis {
                packet_context_tag: tag(TAG),
                responder_nonce: 0x0102_0304,
            },
        ),
        (
            64,
            Message::UpdateRequest {
                receiver_context_tag: tag(TAG),
                request_nonce: 0x0102_0304,
            },
        ),
        (
            65,
            Message::UpdateAck {
                receiver_context_tag: tag(TAG),
                request_nonce: 0x0102_0304,
            },
        ),
    ] {
        let mut b = vec![59, 0, t, 0, 0, 0];
        b.extend(TAG_BYTES);
        b.extend([1, 2, 3, 4]);
        let b = sealed(b);
        assert_eq!(parse_and_reemit(&b).message, want, "type {t}");
    }
    // RFC 5534 Keepalive: the tag and 32 reserved bits.
    let mut b = vec![59, 0, 66, 0, 0, 0];
    b.extend(TAG_BYTES);
    b.extend([0, 0, 0, 0]);
    b.extend([0x00, 0x14, 0x00, 0x04, 0, 0, 0x00, 0x0a]); // Keepalive Timeout 10 s
    let b = sealed(b);
    let r = parse_and_reemit(&b);
    assert_eq!(
        r.message,
        Message::Keepalive {
            receiver_context_tag: tag(TAG)
        }
    );
    assert_eq!(
        opts(&r),
        vec![(
            16,
            OptionRepr {
                critical: false,
                body: OptionBody::KeepaliveTimeout(10)
            }
        )]
    );
}

#[test]
fn i2bis_ends_with_reserved2_and_the_packet_context_tag() {
    // RFC 5533 §5.9: 49 reserved bits (20..26 and the top bit of 26), then the 47-bit
    // Packet Context Tag at 26; options from 32.
    let mut b = vec![59, 0, 6, 0, 0, 0];
    b.extend(TAG_BYTES);
    b.extend([0, 0, 0, 1, 0, 0, 0, 2]);
    b.extend([0xff; 6]);
    b.extend([0x80 | 0x7f, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    let b = sealed(b);
    let r = parse(&b).unwrap();
    assert_eq!(
        r.message,
        Message::I2bis {
            initiator_context_tag: tag(TAG),
            initiator_nonce: 1,
            responder_nonce: 2,
            packet_context_tag: tag(ContextTag::MAX - 1),
        }
    );
    let out = emit(&r);
    assert_eq!(out.len(), 32);
    assert_eq!(&out[20..27], &[0, 0, 0, 0, 0, 0, 0x7f]);
}

fn report(n: u8) -> ProbeReport {
    ProbeReport {
        source: LOC1,
        destination: LOC2,
        nonce: u32::from(n),
        data: 0xd0d0_0000 | u32::from(n),
    }
}

#[test]
fn probe_counts_state_and_40_byte_reports_sent_first() {
    // RFC 5534: Precvd in the high nibble, Psent in the low one, Sta in the top two bits of
    // the next byte, then Psent sent reports and Precvd received ones.
    let mut b = vec![59, 0, 67, 0, 0, 0];
    b.extend(TAG_BYTES);
    b.extend([0x21, 0x40, 0, 0]); // Precvd 2, Psent 1, Sta 1 (Exploring)
    for n in [1, 2, 3] {
        b.extend(LOC1);
        b.extend(LOC2);
        b.extend([0, 0, 0, n, 0xd0, 0xd0, 0, n]);
    }
    let b = sealed(b);
    let r = parse_and_reemit(&b);
    let Message::Probe(p) = r.message else {
        panic!("{r:?}")
    };
    assert_eq!(p.receiver_context_tag, tag(TAG));
    assert_eq!(p.state, ReapState::Exploring);
    assert_eq!(p.sent.iter().collect::<Vec<_>>(), vec![report(1)]);
    assert_eq!(
        p.received.iter().collect::<Vec<_>>(),
        vec![report(2), report(3)]
    );
    assert_eq!(report(1).to_bytes()[..], b[16..56]);
    assert_eq!(ProbeReport::parse(&b[16..56]), Ok(report(1)));
}

#[test]
fn error_message_code_sits_in_the_type_specific_bits_then_pointer_and_packet() {
    // RFC 5533 §5.14.
    let b = sealed(vec![59, 0, 68, 1 << 1, 0, 0, 0, 42, 1, 2, 3, 4, 5, 6, 7, 8]);
    let r = parse_and_reemit(&b);
    assert_eq!(
        r.message,
        Message::Error {
            code: ERR_CRITICAL_OPTION,
            pointer: 42,
            packet_in_error: &[1, 2, 3, 4, 5, 6, 7, 8]
        }
    );
    assert!(r.options.is_empty());
    // Emitting pads the packet in error to whole octets of 8 (and to at least 8).
    let short = ControlRepr {
        next_header: IPPROTO_NONE,
        message: Message::Error {
            code: ERR_UNKNOWN_TYPE,
            pointer: 2,
            packet_in_error: &[0xaa; 3],
        },
        options: &[],
    };
    let out = emit(&short);
    assert_eq!(out.len(), 16);
    assert_eq!(&out[8..], &[0xaa, 0xaa, 0xaa, 0, 0, 0, 0, 0]);
    let empty = Message::Error {
        code: 0,
        pointer: 0,
        packet_in_error: &[],
    };
    assert_eq!(empty.fixed_len(), 16);
    // The code is 7 bits; an Error Message carries no options.
    let mut buf = [0u8; 64];
    let big = ControlRepr {
        message: Message::Error {
            code: 128,
            pointer: 0,
            packet_in_error: &[0; 8],
        },
        ..short
    };
    assert_eq!(big.emit(&mut buf), Err(Error::Field(3)));
    let with_options = ControlRepr {
        options: &[0, 0x0e, 0, 4, 0, 0, 0, 1],
        ..short
    };
    assert_eq!(with_options.emit(&mut buf), Err(Error::Field(16)));
}

#[test]
fn unknown_types_pass_whole_for_the_daemon_to_answer() {
    let b = sealed(vec![59, 0, 100, 0x22, 0, 0, 7, 7]);
    let r = parse_and_reemit(&b);
    assert_eq!(
        r.message,
        Message::Unknown {
            msg_type: 100,
            type_specific: 0x11,
            body: &[7, 7]
        }
    );
    // An unknown message that claims a known type would not parse back.
    let fake = ControlRepr {
        message: Message::Unknown {
            msg_type: 1,
            type_specific: 0,
            body: &[0; 10],
        },
        ..r
    };
    assert_eq!(fake.emit(&mut [0u8; 16]), Err(Error::Field(2)));
}

#[test]
fn control_header_checks_point_at_the_bad_field() {
    let mut i1 = vec![59, 0, 1, 0, 0, 0];
    i1.extend(TAG_BYTES);
    i1.extend([0; 4]);
    let i1 = sealed(i1);
    assert!(ControlHeader::new_checked(&i1[..]).is_ok());
    let bad = |i: usize, v: u8| {
        let mut c = i1.clone();
        c[i] = v;
        ControlHeader::new_checked(&c[..]).err()
    };
    assert_eq!(bad(2, 0x81), Some(Error::Field(2))); // P set: a payload header
    assert_eq!(bad(3, 0x01), Some(Error::Field(3))); // S set: HIP, not Shim6
    assert_eq!(bad(1, 0), Some(Error::Field(1))); // I1 needs 16 bytes
    assert_eq!(bad(1, 2), Some(Error::Truncated)); // longer than the buffer
    assert_eq!(bad(2, 3), Some(Error::Field(1))); // an I2 needs 24
    assert_eq!(bad(2, 6), Some(Error::Field(1))); // an I2bis needs 32
    assert_eq!(
        ControlHeader::new_checked(&i1[..15]).err(),
        Some(Error::Truncated)
    );
    // Unknown types may be 8 bytes; a Probe's counts may not overrun the header.
    assert!(ControlHeader::new_checked(&[59, 0, 99, 0, 0, 0, 0, 0][..]).is_ok());
    let mut probe = vec![59, 5, 67, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0];
    probe.resize(48, 0); // 16 + 32: one report does not fit
    assert_eq!(
        ControlHeader::new_checked(&probe[..]).err(),
        Some(Error::Field(12))
    );
    probe[1] = 6;
    probe.resize(56, 0);
    assert!(ControlHeader::new_checked(&probe[..]).is_ok());
}

#[test]
fn checksum_covers_the_header_only_without_a_pseudo_header() {
    let mut i1 = vec![59, 0, 1, 0, 0, 0];
    i1.extend(TAG_BYTES);
    i1.extend([1, 2, 3, 4]);
    let mut b = sealed(i1);
    let h = ControlHeader::new_checked(&b[..]).unwrap();
    assert!(h.checksum_ok());
    assert_eq!(h.checksum(), rfc1071(&[&b[..4], &[0, 0], &b[6..]].concat()));
    // Bytes after the header (a payload) are not covered.
    b.extend([0xff; 8]);
    let h = ControlHeader::new_checked(&b[..]).unwrap();
    assert!(h.checksum_ok());
    assert_eq!(h.payload(), &[0xff; 8]);
    assert_eq!(h.as_bytes().len(), 16);
    // A flipped bit in the header is.
    b[13] ^= 0x10;
    assert_eq!(parse(&b), Err(Error::Checksum));
    let mut h = ControlHeader::new_checked(&mut b[..]).unwrap();
    h.fill_checksum();
    assert!(h.checksum_ok());
    assert!(parse(&b).is_ok());
}

#[test]
fn checksum_matches_rfc1071_on_odd_lengths() {
    for data in [&[][..], &[1], &[1, 0, 0xf2], &[0xff, 0xff, 0xff]] {
        assert_eq!(checksum(data), rfc1071(data), "{data:?}");
    }
}

#[test]
fn options_are_padded_to_8_octets() {
    // RFC 5533 §5.15: 11 + Length - (Length + 3) % 8.
    for len in 0..64 {
        assert_eq!(option_len(len), 11 + len - (len + 3) % 8, "Length {len}");
    }
    let fii = OptionRepr {
        critical: true,
        body: OptionBody::ForkedInstanceIdentifier(0x0a0b_0c0d),
    };
    let mut b = [0xffu8; 16];
    assert_eq!(fii.emit(&mut b), Ok(8));
    assert_eq!(b[..8], [0x00, 0x0f, 0x00, 0x04, 0x0a, 0x0b, 0x0c, 0x0d]); // type 7, C set
    let v = OptionRepr {
        critical: false,
        body: OptionBody::ResponderValidator(&[1, 2, 3, 4, 5]),
    };
    assert_eq!(v.buffer_len(), 16);
    assert_eq!(v.emit(&mut b), Ok(16));
    assert_eq!(b, [0, 2, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(v.emit(&mut [0u8; 15]), Err(Error::Truncated));
}

#[test]
fn locator_list_pads_its_methods_so_locators_start_on_8_octets() {
    // Num Locators 1: 5 + 1 bytes, 6 bytes of padding; 3: 5 + 3, 4; 7: 5 + 7, none.
    for (n, pad) in [(0usize, 7usize), (1, 6), (2, 5), (3, 4), (7, 0), (8, 7)] {
        let methods = vec![VERIFY_HBA; n];
        let locs = vec![LOC1; n];
        let l = LocatorList::new(9, &methods, locs.as_flattened()).unwrap();
        let o = OptionRepr {
            critical: false,
            body: OptionBody::LocatorList(l),
        };
        let mut b = vec![0u8; o.buffer_len()];
        o.emit(&mut b).unwrap();
        let content = 5 + n + pad + 16 * n;
        assert_eq!(u16::from_be_bytes([b[2], b[3]]) as usize, content, "N {n}");
        assert_eq!(b.len(), 4 + content, "no trailing padding for N {n}");
        assert_eq!((9 + n + pad) % 8, 0);
        assert_eq!(&b[9 + n..9 + n + pad], &vec![0; pad][..]);
        let got: Vec<_> = Options::new(&b, 0).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(OptionRepr::parse(&got[0].unwrap()), Ok(o));
    }
    assert_eq!(
        locator_list_option()[4..],
        {
            let l = LocatorList::new(7, &[VERIFY_HBA, VERIFY_CGA], [LOC1, LOC2].as_flattened());
            let o = OptionRepr {
                critical: false,
                body: OptionBody::LocatorList(l.unwrap()),
            };
            let mut b = [0u8; 48];
            o.emit(&mut b).unwrap();
            b
        }[4..]
    );
    assert_eq!(LocatorList::new(0, &[1, 2], &LOC1), None);
}

#[test]
fn locator_preferences_elements_of_1_2_3_and_future_lengths() {
    let o = |el: u8, elems: &[u8]| {
        let mut b = vec![0x00, 0x06, 0, 5 + elems.len() as u8, 0, 0, 0, 3, el];
        b.extend(elems);
        b.resize(option_len(5 + elems.len()), 0);
        b
    };
    let prefs = |b: &[u8]| {
        let opt = Options::new(b, 0).next().unwrap().unwrap();
        match OptionRepr::parse(&opt).map(|r| r.body) {
            Ok(OptionBody::LocatorPreferences(p)) => Ok(p.iter().collect::<Vec<_>>()),
            other => Err(other.err()),
        }
    };
    let pref = |flags, priority, weight| LocatorPreference {
        flags,
        priority,
        weight,
    };
    assert_eq!(
        prefs(&o(1, &[LOCATOR_BROKEN, 0])),
        Ok(vec![pref(1, None, None), pref(0, None, None)])
    );
    assert_eq!(
        prefs(&o(2, &[LOCATOR_TEMPORARY, 7])),
        Ok(vec![pref(2, Some(7), None)])
    );
    assert_eq!(
        prefs(&o(3, &[0, 1, 2, 0, 3, 4])),
        Ok(vec![pref(0, Some(1), Some(2)), pref(0, Some(3), Some(4))])
    );
    // An Element Len of 4 keeps the first three octets (RFC 5533 §5.15.3).
    assert_eq!(
        prefs(&o(4, &[0, 1, 2, 9])),
        Ok(vec![pref(0, Some(1), Some(2))])
    );
    // Element Len 0, or elements that do not divide.
    assert_eq!(prefs(&o(0, &[])), Err(Some(Error::Field(8))));
    assert_eq!(prefs(&o(3, &[0, 1])), Err(Some(Error::Field(2))));
    assert_eq!(LocatorPreferences::new(0, 0, &[]), None);
    assert_eq!(LocatorPreferences::new(0, 2, &[1, 2, 3]), None);
}

#[test]
fn ulid_pair_fii_and_keepalive_timeout_layouts() {
    let mut ulid = vec![0x00, 0x0c, 0x00, 36, 0xff, 0xff, 0xff, 0xff]; // Reserved ignored
    ulid.extend(LOC1);
    ulid.extend(LOC2);
    let fii = [0x00, 0x0e, 0x00, 0x04, 0, 0, 0x12, 0x34];
    let ka = [0x00, 0x14, 0x00, 0x04, 0xff, 0xff, 0x00, 0x1e];
    let all = [&ulid[..], &fii, &ka].concat();
    let got: Vec<_> = Options::new(&all, 32)
        .map(|o| OptionRepr::parse(&o.unwrap()).unwrap().body)
        .collect();
    assert_eq!(
        got,
        vec![
            OptionBody::UlidPair(UlidPair {
                sender: LOC1,
                receiver: LOC2
            }),
            OptionBody::ForkedInstanceIdentifier(0x1234),
            OptionBody::KeepaliveTimeout(30),
        ]
    );
    let offsets: Vec<_> = Options::new(&all, 32).map(|o| o.unwrap().offset).collect();
    assert_eq!(offsets, vec![32, 72, 80]);
}

#[test]
fn option_errors_name_length_or_count_fields() {
    fn one(b: &[u8]) -> Result<OptionRepr<'_>, Error> {
        OptionRepr::parse(&Options::new(b, 16).next().unwrap()?)
    }
    // Framing: Length runs past the area; the area ends inside Type/Length.
    assert_eq!(one(&[0, 2, 0, 5, 1, 2, 3, 4]), Err(Error::Field(18)));
    assert_eq!(one(&[0, 2, 0]), Err(Error::Field(16)));
    // Fixed-length options with another Length.
    assert_eq!(
        one(&[0, 0x0e, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(Error::Field(18))
    );
    assert_eq!(one(&[0, 0x14, 0, 2, 0, 0, 0, 0]), Err(Error::Field(18)));
    let mut ulid = vec![0, 0x0c, 0, 35];
    ulid.resize(40, 0);
    assert_eq!(one(&ulid), Err(Error::Field(18)));
    // Locator List: Length under 5; Num Locators needing more than Length; Length more.
    assert_eq!(one(&[0, 4, 0, 4, 0, 0, 0, 1]), Err(Error::Field(18)));
    let mut l = locator_list_option();
    l[8] = 3;
    assert_eq!(one(&l), Err(Error::Field(24)));
    l[8] = 1;
    assert_eq!(one(&l), Err(Error::Field(18)));
    // Locator Preferences: Length under 5.
    assert_eq!(one(&[0, 6, 0, 4, 0, 0, 0, 1]), Err(Error::Field(18)));
    // A message whose option is bad does not parse, with the option's offset.
    let mut b = vec![59, 0, 66, 0, 0, 0];
    b.extend(TAG_BYTES);
    b.extend([0; 4]);
    b.extend([0x00, 0x14, 0x00, 0x03, 0, 0, 0, 0]);
    assert_eq!(parse(&sealed(b)), Err(Error::Field(18)));
}

#[test]
fn options_iterator_stops_after_an_error_and_keeps_unknown_and_critical_options() {
    let b = [
        0xff, 0xff, 0, 1, 0xaa, 0, 0, 0, // type 0x7fff, C set, 1 byte
        0, 2, 0, 17, 0, 0, 0, 0, // overruns: 24 bytes from 8
        0, 2, 0, 0, 0, 0, 0, 0, // never reached
    ];
    let got: Vec<_> = Options::new(&b, 0).collect();
    assert_eq!(got.len(), 2);
    let o = got[0].unwrap();
    assert_eq!((o.kind, o.critical, o.data), (0x7fff, true, &[0xaa][..]));
    assert_eq!(
        OptionRepr::parse(&o).map(|r| r.body),
        Ok(OptionBody::Unknown {
            kind: 0x7fff,
            data: &[0xaa]
        })
    );
    assert_eq!(got[1], Err(Error::Field(10)));
}

#[test]
fn emit_refuses_what_the_wire_cannot_hold() {
    let mut buf = [0u8; 64];
    let unknown_known = OptionRepr {
        critical: false,
        body: OptionBody::Unknown {
            kind: OPT_FII,
            data: &[0; 4],
        },
    };
    assert_eq!(unknown_known.emit(&mut buf), Err(Error::Field(0)));
    let too_wide = OptionRepr {
        critical: false,
        body: OptionBody::Unknown {
            kind: 0x8000,
            data: &[],
        },
    };
    assert_eq!(too_wide.emit(&mut buf), Err(Error::Field(0)));
    let huge = vec![0u8; 0x10000];
    let too_long = OptionRepr {
        critical: false,
        body: OptionBody::CgaSignature(&huge),
    };
    assert_eq!(too_long.emit(&mut vec![0; 0x10008]), Err(Error::Field(2)));
    // A message whose options would not parse, or that outgrows Hdr Ext Len.
    let ka = |options| ControlRepr {
        next_header: IPPROTO_NONE,
        message: Message::Keepalive {
            receiver_context_tag: tag(1),
        },
        options,
    };
    assert_eq!(
        ka(&[0, 0x14, 0, 3, 0, 0, 0, 0]).emit(&mut buf),
        Err(Error::Field(18))
    );
    assert_eq!(ka(&[0, 2, 0, 0]).emit(&mut buf), Err(Error::Field(18)));
    assert_eq!(ka(&[0, 2, 0]).emit(&mut buf), Err(Error::Field(16)));
    let big = vec![0u8; 2040];
    let mut validator = vec![0u8; 2048];
    let n = OptionRepr {
        critical: false,
        body: OptionBody::ResponderValidator(&big[..2028]),
    }
    .emit(&mut validator)
    .unwrap();
    assert_eq!(n, 2032);
    assert_eq!(ka(&validator[..n]).buffer_len(), 2048);
    assert_eq!(ka(&validator[..n]).emit(&mut vec![0; 2048]), Ok(2048));
    let mut longer = vec![0u8; 2048];
    let n = OptionRepr {
        critical: false,
        body: OptionBody::ResponderValidator(&big[..2036]),
    }
    .emit(&mut longer)
    .unwrap();
    assert_eq!(
        ka(&longer[..n]).emit(&mut vec![0; 4096]),
        Err(Error::Field(1))
    );
    assert_eq!(ka(&[]).emit(&mut [0u8; 15]), Err(Error::Truncated));
    assert_eq!(ProbeReports::new(&[0; 41]), None);
    assert_eq!(ProbeReports::new(&[0; 16 * 40]), None);
    assert_eq!(ProbeReports::new(&[0; 15 * 40]).map(|r| r.len()), Some(15));
}

// --- round trips over generated reprs ---------------------------------------------------------

/// An option with owned contents, from which a borrowing `OptionRepr` is made.
#[derive(Clone, Debug)]
enum OwnedOption {
    Validator(Vec<u8>),
    Locators(u32, Vec<u8>, Vec<Addr>),
    Preferences(u32, u8, Vec<u8>),
    Pds(Vec<u8>),
    Signature(Vec<u8>),
    Ulids(Addr, Addr),
    Fii(u32),
    Timeout(u16),
    Unknown(u16, Vec<u8>),
}

impl OwnedOption {
    fn body(&self) -> OptionBody<'_> {
        match self {
            Self::Validator(d) => OptionBody::ResponderValidator(d),
            Self::Locators(g, m, l) => {
                OptionBody::LocatorList(LocatorList::new(*g, m, l.as_flattened()).unwrap())
            }
            Self::Preferences(g, el, e) => {
                OptionBody::LocatorPreferences(LocatorPreferences::new(*g, *el, e).unwrap())
            }
            Self::Pds(d) => OptionBody::CgaParameterDataStructure(d),
            Self::Signature(d) => OptionBody::CgaSignature(d),
            Self::Ulids(s, r) => OptionBody::UlidPair(UlidPair {
                sender: *s,
                receiver: *r,
            }),
            Self::Fii(v) => OptionBody::ForkedInstanceIdentifier(*v),
            Self::Timeout(v) => OptionBody::KeepaliveTimeout(*v),
            Self::Unknown(k, d) => OptionBody::Unknown { kind: *k, data: d },
        }
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn arb_option() -> impl Strategy<Value = (bool, OwnedOption)> {
    let locators = (0usize..6).prop_flat_map(|n| {
        (
            any::<u32>(),
            proptest::collection::vec(any::<u8>(), n),
            proptest::collection::vec(any::<Addr>(), n),
        )
    });
    let preferences = (1u8..=4, 0usize..6).prop_flat_map(|(el, n)| {
        (
            any::<u32>(),
            Just(el),
            proptest::collection::vec(any::<u8>(), usize::from(el) * n),
        )
    });
    let unknown_kind = (0u16..0x8000).prop_filter("not a known option", |k| {
        ![1, 2, 3, 4, 5, 6, 7, 10].contains(k)
    });
    let option = prop_oneof![
        bytes(40).prop_map(OwnedOption::Validator),
        locators.prop_map(|(g, m, l)| OwnedOption::Locators(g, m, l)),
        preferences.prop_map(|(g, el, e)| OwnedOption::Preferences(g, el, e)),
        bytes(40).prop_map(OwnedOption::Pds),
        bytes(40).prop_map(OwnedOption::Signature),
        (any::<Addr>(), any::<Addr>()).prop_map(|(s, r)| OwnedOption::Ulids(s, r)),
        any::<u32>().prop_map(OwnedOption::Fii),
        any::<u16>().prop_map(OwnedOption::Timeout),
        (unknown_kind, bytes(20)).prop_map(|(k, d)| OwnedOption::Unknown(k, d)),
    ];
    (any::<bool>(), option)
}

/// A message with owned variable parts.
#[derive(Clone, Debug)]
enum OwnedMessage {
    Fixed(FixedMessage),
    Probe(u64, u8, Vec<[u8; 40]>, Vec<[u8; 40]>),
    Error(u8, u16, Vec<u8>),
    Unknown(u8, u8, Vec<u8>),
}

#[derive(Clone, Copy, Debug)]
enum FixedMessage {
    I1(u64, u32),
    R1(u32, u32),
    I2(u64, u32, u32),
    R2(u64, u32),
    R1bis(u64, u32),
    I2bis(u64, u32, u32, u64),
    UpdateRequest(u64, u32),
    UpdateAck(u64, u32),
    Keepalive(u64),
}

impl OwnedMessage {
    fn message(&self) -> Message<'_> {
        match *self {
            Self::Fixed(f) => match f {
                FixedMessage::I1(t, n) => Message::I1 {
                    initiator_context_tag: tag(t),
                    initiator_nonce: n,
                },
                FixedMessage::R1(i, r) => Message::R1 {
                    initiator_nonce: i,
                    responder_nonce: r,
                },
                FixedMessage::I2(t, i, r) => Message::I2 {
                    initiator_context_tag: tag(t),
                    initiator_nonce: i,
                    responder_nonce: r,
                },
                FixedMessage::R2(t, n) => Message::R2 {
                    responder_context_tag: tag(t),
                    initiator_nonce: n,
                },
                FixedMessage::R1bis(t, n) => Message::R1bis {
                    packet_context_tag: tag(t),
                    responder_nonce: n,
                },
                FixedMessage::I2bis(t, i, r, p) => Message::I2bis {
                    initiator_context_tag: tag(t),
                    initiator_nonce: i,
                    responder_nonce: r,
                    packet_context_tag: tag(p),
                },
                FixedMessage::UpdateRequest(t, n) => Message::UpdateRequest {
                    receiver_context_tag: tag(t),
                    request_nonce: n,
                },
                FixedMessage::UpdateAck(t, n) => Message::UpdateAck {
                    receiver_context_tag: tag(t),
                    request_nonce: n,
                },
                FixedMessage::Keepalive(t) => Message::Keepalive {
                    receiver_context_tag: tag(t),
                },
            },
            Self::Probe(t, sta, ref sent, ref received) => Message::Probe(Probe {
                receiver_context_tag: tag(t),
                state: ReapState::from_bits(sta),
                sent: ProbeReports::new(sent.as_flattened()).unwrap(),
                received: ProbeReports::new(received.as_flattened()).unwrap(),
            }),
            Self::Error(code, pointer, ref packet) => Message::Error {
                code,
                pointer,
                packet_in_error: packet,
            },
            Self::Unknown(t, ts, ref body) => Message::Unknown {
                msg_type: t,
                type_specific: ts,
                body,
            },
        }
    }

    fn takes_options(&self) -> bool {
        !matches!(self, Self::Error(..) | Self::Unknown(..))
    }
}

fn arb_tag() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), Just(ContextTag::MAX), 0..=ContextTag::MAX]
}

fn arb_report() -> impl Strategy<Value = [u8; 40]> {
    (any::<Addr>(), any::<Addr>(), any::<u32>(), any::<u32>()).prop_map(|(s, d, n, x)| {
        ProbeReport {
            source: s,
            destination: d,
            nonce: n,
            data: x,
        }
        .to_bytes()
    })
}

fn arb_message() -> impl Strategy<Value = OwnedMessage> {
    let t = arb_tag;
    let n = any::<u32>;
    let fixed = prop_oneof![
        (t(), n()).prop_map(|(a, b)| FixedMessage::I1(a, b)),
        (n(), n()).prop_map(|(a, b)| FixedMessage::R1(a, b)),
        (t(), n(), n()).prop_map(|(a, b, c)| FixedMessage::I2(a, b, c)),
        (t(), n()).prop_map(|(a, b)| FixedMessage::R2(a, b)),
        (t(), n()).prop_map(|(a, b)| FixedMessage::R1bis(a, b)),
        (t(), n(), n(), t()).prop_map(|(a, b, c, d)| FixedMessage::I2bis(a, b, c, d)),
        (t(), n()).prop_map(|(a, b)| FixedMessage::UpdateRequest(a, b)),
        (t(), n()).prop_map(|(a, b)| FixedMessage::UpdateAck(a, b)),
        t().prop_map(FixedMessage::Keepalive),
    ];
    let reports = || proptest::collection::vec(arb_report(), 0..=15);
    let unknown_type =
        (0u8..128).prop_filter("unknown type", |t| MessageType::from_u8(*t).is_none());
    prop_oneof![
        fixed.prop_map(OwnedMessage::Fixed),
        (t(), 0u8..4, reports(), reports())
            .prop_map(|(t, s, a, b)| OwnedMessage::Probe(t, s, a, b)),
        (
            0u8..128,
            any::<u16>(),
            (1usize..8).prop_flat_map(|k| bytes(8 * k + 1))
        )
            .prop_map(|(c, p, mut d)| {
                d.resize(d.len().div_ceil(8).max(1) * 8, 0);
                OwnedMessage::Error(c, p, d)
            }),
        (
            unknown_type,
            0u8..128,
            (0usize..4).prop_flat_map(|k| { proptest::collection::vec(any::<u8>(), 2 + 8 * k) })
        )
            .prop_map(|(t, ts, b)| OwnedMessage::Unknown(t, ts, b)),
    ]
}

proptest! {
    #[test]
    fn every_option_round_trips((critical, o) in arb_option()) {
        let r = OptionRepr { critical, body: o.body() };
        let mut b = vec![0xa5u8; r.buffer_len() + 3];
        let n = r.emit(&mut b).unwrap();
        prop_assert_eq!(n, r.buffer_len());
        prop_assert_eq!(n % 8, 0);
        let got: Vec<_> = Options::new(&b[..n], 24).collect();
        prop_assert_eq!(got.len(), 1);
        let opt = got[0].unwrap();
        prop_assert_eq!((opt.offset, opt.kind, opt.critical), (24, r.body.kind(), critical));
        prop_assert_eq!(OptionRepr::parse(&opt), Ok(r));
    }

    #[test]
    fn every_message_round_trips(
        nh in prop_oneof![Just(IPPROTO_NONE), any::<u8>()],
        m in arb_message(),
        options in proptest::collection::vec(arb_option(), 0..4),
    ) {
        let mut area = Vec::new();
        if m.takes_options() {
            for (critical, o) in &options {
                let r = OptionRepr { critical: *critical, body: o.body() };
                let at = area.len();
                area.resize(at + r.buffer_len(), 0);
                r.emit(&mut area[at..]).unwrap();
            }
        }
        let r = ControlRepr { next_header: nh, message: m.message(), options: &area };
        let b = emit(&r);
        prop_assert_eq!(b.len() % 8, 0);
        prop_assert_eq!(rfc1071(&b), 0);
        prop_assert_eq!(parse(&b), Ok(r));
        let kinds: Vec<_> = r.options().map(|o| o.unwrap().kind).collect();
        let want: Vec<_> = if m.takes_options() {
            options.iter().map(|(_, o)| o.body().kind()).collect()
        } else {
            vec![]
        };
        prop_assert_eq!(kinds, want);
    }

    #[test]
    fn payload_header_round_trips(nh in any::<u8>(), t in arb_tag()) {
        let r = PayloadRepr { next_header: nh, context_tag: tag(t) };
        let mut b = [0u8; PayloadRepr::LEN];
        r.emit(&mut b).unwrap();
        prop_assert_eq!(is_payload(&b), Ok(true));
        prop_assert_eq!(PayloadRepr::parse(&PayloadHeader::new_checked(&b[..]).unwrap()), r);
    }

    #[test]
    fn arbitrary_bytes_never_panic(mut b in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = is_payload(&b);
        if let Ok(h) = PayloadHeader::new_checked(&b[..]) {
            let _ = (PayloadRepr::parse(&h), h.payload());
        }
        for o in Options::new(&b, 0).flatten() {
            let _ = OptionRepr::parse(&o);
        }
        let _ = checksum(&b);
        // With a right checksum, so that the parse goes past it.
        if b.len() >= 8 {
            b[1] = b[1].min((b.len() / 8 - 1) as u8);
            let len = (usize::from(b[1]) + 1) * 8;
            b[4] = 0;
            b[5] = 0;
            let c = rfc1071(&b[..len]);
            b[4..6].copy_from_slice(&c.to_be_bytes());
        }
        if let Ok(h) = ControlHeader::new_checked(&b[..]) {
            let _ = (h.next_header(), h.msg_type(), h.type_specific(), h.payload());
            prop_assert!(h.checksum_ok());
            if let Ok(r) = ControlRepr::parse(&h) {
                // Whatever parses emits back to a header that parses the same.
                let again = emit(&r);
                prop_assert_eq!(parse(&again), Ok(r));
                prop_assert_eq!(again.len(), h.header_len());
            }
        }
    }

    #[test]
    fn mostly_valid_messages_with_one_byte_changed_never_panic(
        m in arb_message(),
        options in proptest::collection::vec(arb_option(), 0..3),
        at in any::<prop::sample::Index>(),
        v in any::<u8>(),
    ) {
        let mut area = Vec::new();
        if m.takes_options() {
            for (critical, o) in &options {
                let r = OptionRepr { critical: *critical, body: o.body() };
                let at = area.len();
                area.resize(at + r.buffer_len(), 0);
                r.emit(&mut area[at..]).unwrap();
            }
        }
        let mut b = emit(&ControlRepr { next_header: 59, message: m.message(), options: &area });
        let i = at.index(b.len());
        b[i] = v;
        let mut fixed = b.clone();
        if let Ok(mut h) = ControlHeader::new_checked(&mut fixed[..]) {
            h.fill_checksum();
        }
        for c in [&b, &fixed] {
            if let Ok(r) = parse(c) {
                let again = emit(&r);
                prop_assert_eq!(parse(&again), Ok(r));
            }
        }
    }
}
