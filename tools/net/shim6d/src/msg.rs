//! Control messages as shim6d sends and reads them: built through
//! `shim6_wire`'s `ControlRepr` and `OptionRepr` (checksum included), and
//! parsed into the fields and options the context establishment uses.  A
//! line of the log describes each one ([`describe`]).

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use rv6_cores::shim6_wire::{
    self as wire,
    is_payload,
    Addr,
    ControlHeader,
    ControlRepr,
    LocatorList,
    Message,
    MessageType,
    OptionBody,
    OptionRepr,
    UlidPair,
    IPPROTO_NONE,
    VERIFY_HBA, //
};

/// Why a packet from the raw socket is not a control message to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A payload extension header (P = 1): the kernel's, not ours.
    Payload,
    /// Truncated, or a field the RFC forbids, at this offset.
    Malformed(wire::Error),
    /// The checksum (RFC 5533 §5.3) is wrong.
    Checksum,
    /// An option with the C bit that shim6d does not know (§5.15).
    CriticalOption(u16),
}

/// A control message's fields and the options the exchange reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control<'a> {
    pub message: Message<'a>,
    /// The Responder Validator option's contents (§5.15.1).
    pub validator: Option<&'a [u8]>,
    /// The Locator List option's locators (§5.15.2).
    pub locators: Option<Vec<Addr>>,
    /// The ULID Pair option (§5.15.6): the sender's and receiver's ULIDs
    /// when the addresses are other locators.
    pub ulids: Option<UlidPair>,
    /// The Forked Instance Identifier option (§5.15.7); 0 without one.
    pub fii: u32,
}

/// Reads a control message: its structure, checksum and options.
pub fn parse(bytes: &[u8]) -> Result<Control<'_>, Refusal> {
    if is_payload(bytes).map_err(Refusal::Malformed)? {
        return Err(Refusal::Payload);
    }
    let header = ControlHeader::new_checked(bytes).map_err(Refusal::Malformed)?;
    let repr = ControlRepr::parse(&header).map_err(|e| match e {
        wire::Error::Checksum => Refusal::Checksum,
        e => Refusal::Malformed(e),
    })?;
    let mut c = Control {
        message: repr.message,
        validator: None,
        locators: None,
        ulids: None,
        fii: 0,
    };
    for o in repr.options() {
        // ControlRepr::parse checked every option's framing and body.
        let o = o
            .and_then(|o| OptionRepr::parse(&o))
            .map_err(Refusal::Malformed)?;
        match o.body {
            OptionBody::ResponderValidator(v) => c.validator = Some(v),
            OptionBody::LocatorList(l) => c.locators = Some(l.locators().collect()),
            OptionBody::UlidPair(u) => c.ulids = Some(u),
            OptionBody::ForkedInstanceIdentifier(f) => c.fii = f,
            OptionBody::Unknown { kind, .. } if o.critical => {
                return Err(Refusal::CriticalOption(kind))
            }
            // Locator Preferences, CGA, Keepalive Timeout and unknown
            // options without the C bit: not used yet.
            _ => {}
        }
    }
    Ok(c)
}

/// The options of a message shim6d sends, each when given.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// A Responder Validator (R1, and echoed in the I2).
    pub validator: Option<&'a [u8]>,
    /// Our Locator List, with its generation (I2, R2).
    pub locators: Option<(u32, &'a [Addr])>,
    /// The ULIDs, when the addresses are not they (I1, I2).
    pub ulids: Option<UlidPair>,
}

/// The message's bytes, checksum filled in, options in type order
/// (RFC 5533 §5.15).  The locators' verification method says HBA: no
/// HBA/CGA check is made either way yet.
pub fn build(message: Message<'_>, options: &Options<'_>) -> Result<Vec<u8>, wire::Error> {
    let methods;
    let mut bodies = Vec::new();
    if let Some(v) = options.validator {
        bodies.push(OptionBody::ResponderValidator(v));
    }
    if let Some((generation, locators)) = options.locators {
        methods = vec![VERIFY_HBA; locators.len()];
        let list = LocatorList::new(generation, &methods, locators.as_flattened())
            .ok_or(wire::Error::Field(0))?;
        bodies.push(OptionBody::LocatorList(list));
    }
    if let Some(u) = options.ulids {
        bodies.push(OptionBody::UlidPair(u));
    }
    let reprs: Vec<OptionRepr> = bodies
        .into_iter()
        .map(|body| OptionRepr {
            critical: false,
            body,
        })
        .collect();
    let mut area = vec![0; reprs.iter().map(OptionRepr::buffer_len).sum()];
    let mut at = 0;
    for r in &reprs {
        at += r.emit(&mut area[at..])?;
    }
    let repr = ControlRepr {
        next_header: IPPROTO_NONE,
        message,
        options: &area,
    };
    let mut buf = vec![0; repr.buffer_len()];
    repr.emit(&mut buf)?;
    Ok(buf)
}

/// The name of a message type, as RFC 5533 spells it.
pub fn type_name(t: u8) -> String {
    use MessageType as T;
    match MessageType::from_u8(t) {
        Some(T::I1) => "I1".into(),
        Some(T::R1) => "R1".into(),
        Some(T::I2) => "I2".into(),
        Some(T::R2) => "R2".into(),
        Some(T::R1bis) => "R1bis".into(),
        Some(T::I2bis) => "I2bis".into(),
        Some(T::UpdateRequest) => "Update-Request".into(),
        Some(T::UpdateAck) => "Update-Ack".into(),
        Some(T::Keepalive) => "Keepalive".into(),
        Some(T::Probe) => "Probe".into(),
        Some(T::Error) => "Error".into(),
        None => format!("type-{t}"),
    }
}

fn addrs(list: &[Addr]) -> String {
    let words: Vec<String> = list
        .iter()
        .map(|a| Ipv6Addr::from(*a).to_string())
        .collect();
    words.join(",")
}

/// One line's worth: the type, its fields, and the options read, e.g.
/// `I2 tag 0x1a2b nonce 0x01020304 responder-nonce 0x0a0b0c0d validator
/// locators 2001:db8:a1::1,2001:db8:a2::1`.
pub fn describe(c: &Control<'_>) -> String {
    let mut s = type_name(c.message.msg_type());
    let _ = match c.message {
        Message::I1 {
            initiator_context_tag: t,
            initiator_nonce: n,
        } => write!(s, " tag {:#x} nonce {n:#010x}", t.get()),
        Message::R1 {
            initiator_nonce: n,
            responder_nonce: r,
        } => write!(s, " nonce {n:#010x} responder-nonce {r:#010x}"),
        Message::I2 {
            initiator_context_tag: t,
            initiator_nonce: n,
            responder_nonce: r,
        } => write!(
            s,
            " tag {:#x} nonce {n:#010x} responder-nonce {r:#010x}",
            t.get()
        ),
        Message::R2 {
            responder_context_tag: t,
            initiator_nonce: n,
        } => write!(s, " tag {:#x} nonce {n:#010x}", t.get()),
        Message::R1bis {
            packet_context_tag: t,
            responder_nonce: r,
        } => write!(s, " tag {:#x} responder-nonce {r:#010x}", t.get()),
        Message::UpdateRequest {
            receiver_context_tag: t,
            ..
        }
        | Message::UpdateAck {
            receiver_context_tag: t,
            ..
        }
        | Message::Keepalive {
            receiver_context_tag: t,
        } => write!(s, " tag {:#x}", t.get()),
        Message::I2bis {
            initiator_context_tag: t,
            initiator_nonce: n,
            responder_nonce: r,
            packet_context_tag: p,
        } => write!(
            s,
            " tag {:#x} nonce {n:#010x} responder-nonce {r:#010x} packet-tag {:#x}",
            t.get(),
            p.get()
        ),
        Message::Probe(p) => write!(s, " tag {:#x}", p.receiver_context_tag.get()),
        Message::Error { code, .. } => write!(s, " code {code}"),
        Message::Unknown { .. } => Ok(()),
    };
    if c.validator.is_some() {
        s += " validator";
    }
    if let Some(l) = &c.locators {
        let _ = write!(s, " locators {}", addrs(l));
    }
    if let Some(u) = &c.ulids {
        let _ = write!(
            s,
            " ulids {} {}",
            Ipv6Addr::from(u.sender),
            Ipv6Addr::from(u.receiver)
        );
    }
    if c.fii != 0 {
        let _ = write!(s, " fii {}", c.fii);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rv6_cores::shim6_wire::ContextTag;

    fn ip(s: &str) -> Addr {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    fn tag(v: u64) -> ContextTag {
        ContextTag::new(v).unwrap()
    }

    #[test]
    fn an_i2_reads_back_with_its_options() {
        let locators = [ip("2001:db8:a1::1"), ip("2001:db8:a2::1")];
        let validator = [7u8; 32];
        let ulids = UlidPair {
            sender: ip("2001:db8:a1::1"),
            receiver: ip("2001:db8:b1::1"),
        };
        let bytes = build(
            Message::I2 {
                initiator_context_tag: tag(0x1a2b),
                initiator_nonce: 0x0102_0304,
                responder_nonce: 0x0a0b_0c0d,
            },
            &Options {
                validator: Some(&validator),
                locators: Some((5, &locators)),
                ulids: Some(ulids),
            },
        )
        .unwrap();
        let c = parse(&bytes).unwrap();
        assert_eq!(
            c,
            Control {
                message: Message::I2 {
                    initiator_context_tag: tag(0x1a2b),
                    initiator_nonce: 0x0102_0304,
                    responder_nonce: 0x0a0b_0c0d,
                },
                validator: Some(&validator[..]),
                locators: Some(locators.to_vec()),
                ulids: Some(ulids),
                fii: 0,
            }
        );
        assert_eq!(
            describe(&c),
            "I2 tag 0x1a2b nonce 0x01020304 responder-nonce 0x0a0b0c0d validator \
             locators 2001:db8:a1::1,2001:db8:a2::1 ulids 2001:db8:a1::1 2001:db8:b1::1"
        );
        // The options went out in type order: validator, locator list, ULIDs.
        let header = ControlHeader::new_checked(&bytes[..]).unwrap();
        let repr = ControlRepr::parse(&header).unwrap();
        let kinds: Vec<u16> = repr.options().map(|o| o.unwrap().kind).collect();
        assert_eq!(kinds, [1, 2, 6]);
    }

    #[test]
    fn r1bis_and_i2bis_read_back_and_say_their_tags_and_nonces() {
        let validator = [9u8; 32];
        let r1bis = build(
            Message::R1bis {
                packet_context_tag: tag(0x1b),
                responder_nonce: 0x0a0b_0c0d,
            },
            &Options {
                validator: Some(&validator),
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(
            describe(&parse(&r1bis).unwrap()),
            "R1bis tag 0x1b responder-nonce 0x0a0b0c0d validator"
        );
        let locators = [ip("2001:db8:a1::1"), ip("2001:db8:a2::1")];
        let i2bis = build(
            Message::I2bis {
                initiator_context_tag: tag(0x1a),
                initiator_nonce: 0x0102_0304,
                responder_nonce: 0x0a0b_0c0d,
                packet_context_tag: tag(0x1b),
            },
            &Options {
                validator: Some(&validator),
                locators: Some((1, &locators)),
                ulids: Some(UlidPair {
                    sender: ip("2001:db8:a1::1"),
                    receiver: ip("2001:db8:b1::1"),
                }),
            },
        )
        .unwrap();
        assert_eq!(
            describe(&parse(&i2bis).unwrap()),
            "I2bis tag 0x1a nonce 0x01020304 responder-nonce 0x0a0b0c0d packet-tag 0x1b \
             validator locators 2001:db8:a1::1,2001:db8:a2::1 ulids 2001:db8:a1::1 2001:db8:b1::1"
        );
    }

    #[test]
    fn a_bad_checksum_a_payload_header_and_a_short_message_are_refused() {
        let mut bytes = build(
            Message::I1 {
                initiator_context_tag: tag(1),
                initiator_nonce: 2,
            },
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            describe(&parse(&bytes).unwrap()),
            "I1 tag 0x1 nonce 0x00000002"
        );
        bytes[12] ^= 1;
        assert_eq!(parse(&bytes), Err(Refusal::Checksum));
        assert_eq!(parse(&[59, 0, 0x80, 0, 0, 0, 0, 1]), Err(Refusal::Payload));
        assert!(matches!(parse(&bytes[..8]), Err(Refusal::Malformed(_))));
        assert!(matches!(parse(&[]), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn an_unknown_critical_option_is_refused_an_unknown_other_one_skipped() {
        let with = |critical: bool| {
            let opt = OptionRepr {
                critical,
                body: OptionBody::Unknown {
                    kind: 99,
                    data: &[1, 2, 3, 4],
                },
            };
            let mut area = vec![0; opt.buffer_len()];
            opt.emit(&mut area).unwrap();
            let repr = ControlRepr {
                next_header: IPPROTO_NONE,
                message: Message::R2 {
                    responder_context_tag: tag(3),
                    initiator_nonce: 4,
                },
                options: &area,
            };
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut buf).unwrap();
            buf
        };
        assert_eq!(parse(&with(true)), Err(Refusal::CriticalOption(99)));
        let plain = with(false);
        assert_eq!(
            describe(&parse(&plain).unwrap()),
            "R2 tag 0x3 nonce 0x00000004"
        );
    }
}
