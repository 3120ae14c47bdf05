//! Control messages as shim6d sends and reads them: built through
//! `shim6_wire`'s `ControlRepr` and `OptionRepr` (checksum included), and
//! parsed into the fields and options the protocol uses, with the offsets an
//! Error Message points at.  A line of the log describes each one
//! ([`describe`]).

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use rv6_cores::shim6_wire::{
    self as wire,
    is_payload,
    Addr,
    ControlHeader,
    ControlRepr,
    LocatorList,
    LocatorPreference,
    LocatorPreferences,
    Message,
    MessageType,
    OptionBody,
    OptionRepr,
    UlidPair,
    ERR_CRITICAL_OPTION,
    ERR_GENERATION_OUT_OF_SYNC,
    ERR_PREFERENCE_COUNT,
    ERR_UNKNOWN_TYPE,
    ERR_VERIFICATION_FAILED,
    IPPROTO_NONE,
    IPPROTO_SHIM6,
    VERIFY_CGA,
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
    /// An option with the C bit that shim6d does not know, of this type, at
    /// this offset from the start of the Shim6 header: the rest of the
    /// message must not be processed (§5.15, §12.3).
    CriticalOption { kind: u16, offset: usize },
}

/// The Locator List option as received (§5.15.2), beside its locators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListInfo {
    /// Locator List Generation.
    pub generation: u32,
    /// The verification method of each locator.
    pub methods: Vec<u8>,
    /// The option's offset from the start of the Shim6 header.
    pub offset: usize,
}

impl ListInfo {
    /// The offset of locator `i`'s verification method octet, where an
    /// Error Message with code 2 points (§5.14): after the option's Type
    /// and Length, the Generation and Num Locators.
    pub fn method_offset(&self, i: usize) -> usize {
        self.offset + 4 + 4 + 1 + i
    }
}

/// The Locator Preferences option as received (§5.15.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preferences {
    /// The Locator List Generation the elements apply to.
    pub generation: u32,
    /// Element Len.
    pub element_len: u8,
    /// One element per locator of that list, in its order.
    pub elements: Vec<LocatorPreference>,
    /// The option's offset from the start of the Shim6 header.
    pub offset: usize,
}

impl Preferences {
    /// Where the option's Length field is: an Error Message with code 4
    /// points there (§10.4).
    pub fn length_offset(&self) -> usize {
        self.offset + 2
    }

    /// Where its Locator List Generation is: an Error Message with code 3
    /// points there (§10.4).
    pub fn generation_offset(&self) -> usize {
        self.offset + 4
    }
}

/// A control message's fields and the options the protocol reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control<'a> {
    pub message: Message<'a>,
    /// The Responder Validator option's contents (§5.15.1).
    pub validator: Option<&'a [u8]>,
    /// The Locator List option's locators (§5.15.2).
    pub locators: Option<Vec<Addr>>,
    /// The rest of the Locator List option: generation, methods, offset.
    pub list: Option<ListInfo>,
    /// The Locator Preferences option (§5.15.3).
    pub preferences: Option<Preferences>,
    /// The CGA Parameter Data Structure option's contents (§5.15.4).
    pub pds: Option<&'a [u8]>,
    /// The CGA Signature option's contents (§5.15.5).
    pub signature: Option<&'a [u8]>,
    /// The ULID Pair option (§5.15.6): the sender's and receiver's ULIDs
    /// when the addresses are other locators.
    pub ulids: Option<UlidPair>,
    /// The Forked Instance Identifier option (§5.15.7); 0 without one.
    pub fii: u32,
    /// The Keepalive Timeout option (RFC 5534 §5.3): the sender's Send
    /// Timeout, in seconds.
    pub keepalive_timeout: Option<u16>,
}

/// Reads a control message: its structure, checksum and options.
pub fn parse(bytes: &[u8]) -> Result<Control<'_>, Refusal> {
    read(bytes, true)
}

/// Reads a message of ours that an Error Message's packet in error echoes:
/// as [`parse`], but an unknown critical option, which may be what the
/// Error is about, is passed over.
pub fn parse_echoed(bytes: &[u8]) -> Result<Control<'_>, Refusal> {
    read(bytes, false)
}

fn read(bytes: &[u8], critical_refused: bool) -> Result<Control<'_>, Refusal> {
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
        list: None,
        preferences: None,
        pds: None,
        signature: None,
        ulids: None,
        fii: 0,
        keepalive_timeout: None,
    };
    for o in repr.options() {
        // ControlRepr::parse checked every option's framing and body.
        let o = o.map_err(Refusal::Malformed)?;
        let offset = o.offset;
        let o = OptionRepr::parse(&o).map_err(Refusal::Malformed)?;
        match o.body {
            OptionBody::ResponderValidator(v) => c.validator = Some(v),
            OptionBody::LocatorList(l) => {
                c.locators = Some(l.locators().collect());
                c.list = Some(ListInfo {
                    generation: l.generation(),
                    methods: l.methods().to_vec(),
                    offset,
                });
            }
            OptionBody::LocatorPreferences(p) => {
                c.preferences = Some(Preferences {
                    generation: p.generation(),
                    element_len: p.element_len(),
                    elements: p.iter().collect(),
                    offset,
                })
            }
            OptionBody::CgaParameterDataStructure(p) => c.pds = Some(p),
            OptionBody::CgaSignature(g) => c.signature = Some(g),
            OptionBody::UlidPair(u) => c.ulids = Some(u),
            OptionBody::ForkedInstanceIdentifier(f) => c.fii = f,
            OptionBody::KeepaliveTimeout(t) => c.keepalive_timeout = Some(t),
            OptionBody::Unknown { kind, .. } if o.critical && critical_refused => {
                return Err(Refusal::CriticalOption { kind, offset })
            }
            // Unknown options without the C bit are skipped.  (A known option in a message whose
            // type does not list it is taken as the others are: §5.15's
            // SHOULD to answer it with an Error when critical is left out.)
            _ => {}
        }
    }
    Ok(c)
}

/// Our Locator Preferences (§5.15.3), as sent: Element Len and the
/// elements' bytes, one element per locator of the list.
#[derive(Clone, Copy, Debug)]
pub struct PreferenceBytes<'a> {
    pub generation: u32,
    pub element_len: u8,
    pub elements: &'a [u8],
}

/// The options of a message shim6d sends, each when given.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// A Responder Validator (R1, and echoed in the I2).
    pub validator: Option<&'a [u8]>,
    /// Our Locator List, with its generation (I2, R2, I2bis, Update
    /// Request).
    pub locators: Option<(u32, &'a [Addr])>,
    /// The verification method of each locator of the list (§5.15.2);
    /// without them, HBA for each: a host without an HBA set or CGA, whose
    /// lists nothing verifies.
    pub methods: Option<&'a [u8]>,
    /// Our Locator Preferences (Update Request).
    pub preferences: Option<PreferenceBytes<'a>>,
    /// Our CGA Parameter Data Structure (§5.15.4), with the list.
    pub pds: Option<&'a [u8]>,
    /// Our CGA Signature over the list (§5.15.5), when a locator is CGA.
    pub signature: Option<&'a [u8]>,
    /// The ULIDs, when the addresses are not they (I1, I2).
    pub ulids: Option<UlidPair>,
    /// Our Send Timeout in seconds, as a Keepalive Timeout option (I2, R2,
    /// I2bis, Update Request; RFC 5534 §5.3).
    pub keepalive_timeout: Option<u16>,
}

/// The message's bytes, checksum filled in, options in type order
/// (RFC 5533 §5.15).  Without methods the locators' verification method
/// says HBA.
pub fn build(message: Message<'_>, options: &Options<'_>) -> Result<Vec<u8>, wire::Error> {
    let hba;
    let mut bodies = Vec::new();
    if let Some(v) = options.validator {
        bodies.push(OptionBody::ResponderValidator(v));
    }
    if let Some((generation, locators)) = options.locators {
        let methods = match options.methods {
            Some(m) => m,
            None => {
                hba = vec![VERIFY_HBA; locators.len()];
                &hba
            }
        };
        if methods.len() != locators.len() {
            return Err(wire::Error::Field(0));
        }
        let list = LocatorList::new(generation, methods, locators.as_flattened())
            .ok_or(wire::Error::Field(0))?;
        bodies.push(OptionBody::LocatorList(list));
    }
    if let Some(p) = options.preferences {
        let prefs = LocatorPreferences::new(p.generation, p.element_len, p.elements)
            .ok_or(wire::Error::Field(0))?;
        bodies.push(OptionBody::LocatorPreferences(prefs));
    }
    if let Some(p) = options.pds {
        bodies.push(OptionBody::CgaParameterDataStructure(p));
    }
    if let Some(g) = options.signature {
        bodies.push(OptionBody::CgaSignature(g));
    }
    if let Some(u) = options.ulids {
        bodies.push(OptionBody::UlidPair(u));
    }
    if let Some(t) = options.keepalive_timeout {
        bodies.push(OptionBody::KeepaliveTimeout(t));
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

/// Bytes of an IPv6 header.
pub const IPV6_HEADER_LEN: usize = 40;

/// The most an Error Message carries of the packet in error: what keeps the
/// Error, with its IPv6 header, within the minimum IPv6 MTU (§5.14, §5.1).
pub const MAX_PACKET_IN_ERROR: usize = 1280 - IPV6_HEADER_LEN - 8;

/// The invoking packet of an Error Message about `bytes` (a Shim6 header
/// from the raw socket) that came from `src` to `dst` (§5.14): its IPv6
/// header, rebuilt, then the bytes, as much as fits.  The socket gives
/// neither the header nor any extension header before the Shim6 one: the
/// version, payload length, next header and addresses are written back,
/// the traffic class, flow label and hop limit are 0, and extension
/// headers are taken to be none.
pub fn packet_in_error(src: Addr, dst: Addr, bytes: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(IPV6_HEADER_LEN + bytes.len());
    p.extend([0x60, 0, 0, 0]);
    p.extend((bytes.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
    p.extend([IPPROTO_SHIM6, 0]);
    p.extend(src);
    p.extend(dst);
    p.extend(bytes);
    p.truncate(MAX_PACKET_IN_ERROR);
    p
}

/// The Pointer of an Error Message about the field `offset` bytes into the
/// Shim6 header of a packet rebuilt by [`packet_in_error`]: the offset in
/// the invoking packet, from its IPv6 header (§5.14).
pub fn pointer(offset: usize) -> u16 {
    u16::try_from(IPV6_HEADER_LEN + offset).unwrap_or(u16::MAX)
}

/// What an Error Message's packet in error says of the invoking packet:
/// its addresses, when it starts with an IPv6 header whose next header is
/// Shim6 (as §5.14 has it), and the Shim6 header's bytes.
pub fn invoking(packet_in_error: &[u8]) -> (Option<(Addr, Addr)>, &[u8]) {
    let ipv6 = packet_in_error.len() > IPV6_HEADER_LEN
        && packet_in_error[0] >> 4 == 6
        && packet_in_error[6] == IPPROTO_SHIM6;
    if !ipv6 {
        return (None, packet_in_error);
    }
    let addr = |at: usize| {
        let mut a = [0; 16];
        a.copy_from_slice(&packet_in_error[at..at + 16]);
        a
    };
    (
        Some((addr(8), addr(24))),
        &packet_in_error[IPV6_HEADER_LEN..],
    )
}

/// What an Error Code says (§5.14).
pub fn error_name(code: u8) -> &'static str {
    match code {
        ERR_UNKNOWN_TYPE => "unknown message type",
        ERR_CRITICAL_OPTION => "critical option not recognized",
        ERR_VERIFICATION_FAILED => "locator verification method failed",
        ERR_GENERATION_OUT_OF_SYNC => "locator list generation out of sync",
        ERR_PREFERENCE_COUNT => "wrong number of locator preferences",
        120..=127 => "debugging",
        _ => "unassigned",
    }
}

/// A verification method's name (§5.15.2), or its number.
pub fn method_name(m: u8) -> String {
    match m {
        VERIFY_HBA => "hba".into(),
        VERIFY_CGA => "cga".into(),
        m => m.to_string(),
    }
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
            request_nonce: n,
        }
        | Message::UpdateAck {
            receiver_context_tag: t,
            request_nonce: n,
        } => write!(s, " tag {:#x} nonce {n:#010x}", t.get()),
        Message::Keepalive {
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
        Message::Probe(p) => {
            let _ = write!(
                s,
                " tag {:#x} state {:?}",
                p.receiver_context_tag.get(),
                p.state
            );
            if let Some(this) = p.sent.iter().next() {
                let _ = write!(s, " nonce {:#010x}", this.nonce);
            }
            write!(s, " sent {} received {}", p.sent.len(), p.received.len())
        }
        Message::Error { code, pointer, .. } => {
            write!(s, " code {code} ({}) pointer {pointer}", error_name(code))
        }
        Message::Unknown { .. } => Ok(()),
    };
    if c.validator.is_some() {
        s += " validator";
    }
    if let Some(l) = &c.locators {
        let _ = write!(s, " locators {}", addrs(l));
    }
    // The methods when some locator's is not HBA (what every list said
    // before HBA and CGA).
    if let Some(info) = c
        .list
        .as_ref()
        .filter(|i| i.methods.iter().any(|m| *m != VERIFY_HBA))
    {
        let names: Vec<String> = info.methods.iter().map(|m| method_name(*m)).collect();
        let _ = write!(s, " methods {}", names.join(","));
    }
    if let Some(p) = &c.preferences {
        let elements: Vec<String> = p
            .elements
            .iter()
            .map(|e| {
                let mut w = format!("{:#x}", e.flags);
                for v in [e.priority, e.weight].into_iter().flatten() {
                    let _ = write!(w, "/{v}");
                }
                w
            })
            .collect();
        let _ = write!(s, " preferences {}", elements.join(","));
    }
    if let Some(u) = &c.ulids {
        let _ = write!(
            s,
            " ulids {} {}",
            Ipv6Addr::from(u.sender),
            Ipv6Addr::from(u.receiver)
        );
    }
    if c.pds.is_some() {
        s += " cga-parameters";
    }
    if c.signature.is_some() {
        s += " cga-signature";
    }
    if let Some(t) = c.keepalive_timeout {
        let _ = write!(s, " keepalive-timeout {t}");
    }
    if c.fii != 0 {
        let _ = write!(s, " fii {}", c.fii);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rv6_cores::shim6_wire::{
        ContextTag,
        LOCATOR_BROKEN, //
    };

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
                ..Options::default()
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
                list: Some(ListInfo {
                    generation: 5,
                    methods: vec![VERIFY_HBA; 2],
                    offset: 64,
                }),
                preferences: None,
                pds: None,
                signature: None,
                ulids: Some(ulids),
                fii: 0,
                keepalive_timeout: None,
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

    /// §5.15: the list with its methods, then the CGA Parameter Data
    /// Structure and Signature, in type order; the log names them.
    #[test]
    fn a_list_goes_with_its_methods_parameters_and_signature() {
        let locators = [ip("2001:db8:a1::1"), ip("2001:db8:a2::1")];
        let (pds, signature) = ([4u8; 37], [5u8; 128]);
        let bytes = build(
            Message::R2 {
                responder_context_tag: tag(3),
                initiator_nonce: 4,
            },
            &Options {
                locators: Some((9, &locators)),
                methods: Some(&[VERIFY_HBA, VERIFY_CGA]),
                pds: Some(&pds),
                signature: Some(&signature),
                ..Options::default()
            },
        )
        .unwrap();
        let c = parse(&bytes).unwrap();
        assert_eq!(c.list.as_ref().unwrap().methods, [VERIFY_HBA, VERIFY_CGA]);
        assert_eq!((c.pds, c.signature), (Some(&pds[..]), Some(&signature[..])));
        let header = ControlHeader::new_checked(&bytes[..]).unwrap();
        let repr = ControlRepr::parse(&header).unwrap();
        let kinds: Vec<u16> = repr.options().map(|o| o.unwrap().kind).collect();
        assert_eq!(kinds, [2, 4, 5]);
        assert_eq!(
            describe(&c),
            "R2 tag 0x3 nonce 0x00000004 locators 2001:db8:a1::1,2001:db8:a2::1 \
             methods hba,cga cga-parameters cga-signature"
        );
        // One method per locator, or the message is not built.
        let short = Options {
            locators: Some((9, &locators)),
            methods: Some(&[VERIFY_HBA]),
            ..Options::default()
        };
        let r2 = Message::R2 {
            responder_context_tag: tag(3),
            initiator_nonce: 4,
        };
        assert_eq!(build(r2, &short), Err(wire::Error::Field(0)));
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
                ..Options::default()
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
        // Right after the 16 bytes of the R2's fixed fields: where the
        // Error Message's Pointer goes (§12.3).
        assert_eq!(
            parse(&with(true)),
            Err(Refusal::CriticalOption {
                kind: 99,
                offset: 16
            })
        );
        let plain = with(false);
        assert_eq!(
            describe(&parse(&plain).unwrap()),
            "R2 tag 0x3 nonce 0x00000004"
        );
    }

    #[test]
    fn an_update_request_reads_back_with_its_list_and_preferences_and_their_offsets() {
        let locators = [ip("2001:db8:a1::1"), ip("2001:db8:a3::1")];
        let elements = [0, 10, 5, LOCATOR_BROKEN, 20, 5];
        let bytes = build(
            Message::UpdateRequest {
                receiver_context_tag: tag(0x1b),
                request_nonce: 0x0102_0304,
            },
            &Options {
                locators: Some((7, &locators)),
                preferences: Some(PreferenceBytes {
                    generation: 7,
                    element_len: 3,
                    elements: &elements,
                }),
                ..Options::default()
            },
        )
        .unwrap();
        let c = parse(&bytes).unwrap();
        assert_eq!(c.locators, Some(locators.to_vec()));
        // The list right after the 16 fixed bytes: 4 + 4 + 1 + 2 methods,
        // padded to 16, then 2 locators: 48 bytes; the preferences after.
        let list = c.list.clone().unwrap();
        assert_eq!((list.generation, list.offset), (7, 16));
        assert_eq!(list.method_offset(1), 26);
        assert_eq!(bytes[26], VERIFY_HBA);
        let p = c.preferences.clone().unwrap();
        assert_eq!((p.generation, p.element_len, p.offset), (7, 3, 64));
        assert_eq!((p.length_offset(), p.generation_offset()), (66, 68));
        assert_eq!(&bytes[68..72], &7u32.to_be_bytes());
        assert_eq!(
            p.elements[1],
            LocatorPreference {
                flags: LOCATOR_BROKEN,
                priority: Some(20),
                weight: Some(5)
            }
        );
        assert_eq!(
            describe(&c),
            "Update-Request tag 0x1b nonce 0x01020304 \
             locators 2001:db8:a1::1,2001:db8:a3::1 preferences 0x0/10/5,0x1/20/5"
        );
        let ack = build(
            Message::UpdateAck {
                receiver_context_tag: tag(0x1a),
                request_nonce: 0x0102_0304,
            },
            &Options::default(),
        )
        .unwrap();
        assert_eq!(ack.len(), 16);
        assert_eq!(
            describe(&parse(&ack).unwrap()),
            "Update-Ack tag 0x1a nonce 0x01020304"
        );
    }

    #[test]
    fn the_packet_in_error_starts_with_the_ipv6_header_the_socket_took_off() {
        let (a, b) = (ip("2001:db8:a1::1"), ip("2001:db8:b1::1"));
        let ur = build(
            Message::UpdateRequest {
                receiver_context_tag: tag(0x1b),
                request_nonce: 9,
            },
            &Options::default(),
        )
        .unwrap();
        let p = packet_in_error(a, b, &ur);
        assert_eq!(p.len(), 40 + 16);
        assert_eq!(&p[..8], &[0x60, 0, 0, 0, 0, 16, 140, 0]);
        assert_eq!((&p[8..24], &p[24..40], &p[40..]), (&a[..], &b[..], &ur[..]));
        // The Type field, 2 bytes into the Shim6 header, is 42 bytes in.
        assert_eq!(pointer(2), 42);
        assert_eq!(invoking(&p), (Some((a, b)), &ur[..]));
        // Without an IPv6 header the bytes are the Shim6 header's.
        assert_eq!(invoking(&ur), (None, &ur[..]));
        // No more than keeps the Error within 1280 bytes.
        assert_eq!(packet_in_error(a, b, &[0; 2000]).len(), 1232);
        let error = build(
            Message::Error {
                code: ERR_CRITICAL_OPTION,
                pointer: 56,
                packet_in_error: &p,
            },
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            describe(&parse(&error).unwrap()),
            "Error code 1 (critical option not recognized) pointer 56"
        );
    }
}
