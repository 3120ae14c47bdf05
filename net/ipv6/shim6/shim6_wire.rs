// SPDX-License-Identifier: GPL-2.0

//! Shim6 wire formats (RFC 5533), with the REAP Keepalive and Probe messages and the Keepalive
//! Timeout option of RFC 5534: the payload extension header, the control messages and their
//! options, as views over packet bytes plus the `Repr`s that emit them.  Errors name the offset
//! of the offending field from the start of the Shim6 header, where an Error Message's Pointer
//! (RFC 5533 §5.14) points once shifted by the header's place in the packet.
//!
//! Variable-length parts (options, locators, probe reports, the packet in error) are borrowed
//! slices both ways: parsing never copies them and emitting takes them as bytes, so locators
//! built as `[Addr]` go in through `as_flattened()`.
//!
//! Pure `no_std` code without allocation, shared by `rv6_shim6`, `shim6d` and the host
//! tests/fuzzers.

/// An IPv6 address (a locator or a ULID) as bytes.
pub type Addr = [u8; 16];

/// The IPv6 Next Header value of every Shim6 header, payload or control (assigned by IANA
/// for RFC 5533).
pub const IPPROTO_SHIM6: u8 = 140;
/// `IPPROTO_NONE`: the Next Header a control message "normally" carries (RFC 5533 §5.3); the
/// core accepts any value, since §5.3 also foresees a payload after a control header.
pub const IPPROTO_NONE: u8 = 59;

/// Option types (RFC 5533 §5.15; Keepalive Timeout: RFC 5534, "Keepalive Timeout Option
/// Format").  On the wire each sits above the C (critical) bit; LinShim6 sends every one with
/// C = 0, and the core keeps whatever C a packet carries.
pub const OPT_RESPONDER_VALIDATOR: u16 = 1;
/// See [`OPT_RESPONDER_VALIDATOR`].
pub const OPT_LOCATOR_LIST: u16 = 2;
/// See [`OPT_RESPONDER_VALIDATOR`].
pub const OPT_LOCATOR_PREFERENCES: u16 = 3;
/// See [`OPT_RESPONDER_VALIDATOR`].
pub const OPT_CGA_PDS: u16 = 4;
/// See [`OPT_RESPONDER_VALIDATOR`].
pub const OPT_CGA_SIGNATURE: u16 = 5;
/// See [`OPT_RESPONDER_VALIDATOR`].
pub const OPT_ULID_PAIR: u16 = 6;
/// See [`OPT_RESPONDER_VALIDATOR`].
pub const OPT_FII: u16 = 7;
/// See [`OPT_RESPONDER_VALIDATOR`].
pub const OPT_KEEPALIVE_TIMEOUT: u16 = 10;

/// Locator verification methods, one octet per locator in a Locator List (RFC 5533 §5.15.2).
pub const VERIFY_HBA: u8 = 1;
/// See [`VERIFY_HBA`].
pub const VERIFY_CGA: u8 = 2;

/// Locator Preferences flags (RFC 5533 §5.15.3).
pub const LOCATOR_BROKEN: u8 = 0x01;
/// See [`LOCATOR_BROKEN`].
pub const LOCATOR_TEMPORARY: u8 = 0x02;

/// Error Message codes (RFC 5533 §5.14); 120-127 are reserved for debugging.
pub const ERR_UNKNOWN_TYPE: u8 = 0;
/// See [`ERR_UNKNOWN_TYPE`].
pub const ERR_CRITICAL_OPTION: u8 = 1;
/// See [`ERR_UNKNOWN_TYPE`]: the Pointer points at the inconsistent verification method octet.
pub const ERR_VERIFICATION_FAILED: u8 = 2;
/// See [`ERR_UNKNOWN_TYPE`].
pub const ERR_GENERATION_OUT_OF_SYNC: u8 = 3;
/// See [`ERR_UNKNOWN_TYPE`]: wrong number of locators in a Locator Preferences option.
pub const ERR_PREFERENCE_COUNT: u8 = 4;

/// The longest Shim6 header: Hdr Ext Len 255.
pub const MAX_HEADER_LEN: usize = 256 * 8;

/// A malformed field, by its offset from the start of the Shim6 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the header does.
    Truncated,
    /// The field at this offset has a value the RFC forbids (or, emitting, one it cannot hold).
    Field(usize),
    /// The control message's checksum (RFC 5533 §5.3) is wrong.
    Checksum,
}

/// Field offsets from the start of the Shim6 header (RFC 5533 §5.2-§5.14, RFC 5534) and from
/// the start of an option (§5.15).
mod field {
    pub(super) const NEXT_HEADER: usize = 0;
    pub(super) const HDR_EXT_LEN: usize = 1;
    /// P bit and Type (control) or the top 7 bits of the context tag (payload).
    pub(super) const P_TYPE: usize = 2;
    /// Type-specific bits and the S bit.
    pub(super) const TYPE_SPECIFIC: usize = 3;
    pub(super) const CHECKSUM: usize = 4;
    /// R bit and 47-bit context tag, in every message that has one first.
    pub(super) const CONTEXT_TAG: usize = 6;
    pub(super) const R1_INITIATOR_NONCE: usize = 8;
    /// Initiator Nonce (I1, I2, R2, I2bis), Responder Nonce (R1, R1bis), Request Nonce
    /// (Update Request/Ack).
    pub(super) const NONCE: usize = 12;
    pub(super) const I2_RESPONDER_NONCE: usize = 16;
    pub(super) const I2BIS_PACKET_CONTEXT_TAG: usize = 26;
    /// Precvd (high nibble) and Psent (low nibble).
    pub(super) const PROBE_COUNTS: usize = 12;
    /// Sta (top 2 bits).
    pub(super) const PROBE_STATE: usize = 13;
    pub(super) const PROBE_REPORTS: usize = 16;
    pub(super) const ERROR_POINTER: usize = 6;
    pub(super) const ERROR_PACKET: usize = 8;

    pub(super) const OPT_LENGTH: usize = 2;
    pub(super) const OPT_CONTENT: usize = 4;
    /// Num Locators / Element Len, after the 4-byte Locator List Generation.
    pub(super) const OPT_COUNT: usize = 8;
}

/// A 47-bit context tag (RFC 5533 §5.2); the type keeps the top bit clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ContextTag(u64);

impl ContextTag {
    /// The largest tag.
    pub const MAX: u64 = (1 << 47) - 1;

    /// The tag `v`, if it fits in 47 bits.
    pub const fn new(v: u64) -> Option<Self> {
        if v <= Self::MAX {
            Some(Self(v))
        } else {
            None
        }
    }

    /// The tag's value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn addr(b: &[u8], at: usize) -> Addr {
    let mut a = [0; 16];
    a.copy_from_slice(&b[at..at + 16]);
    a
}

/// The tag in the 48 bits at `at`, ignoring the R (or P) bit above it.
fn tag(b: &[u8], at: usize) -> ContextTag {
    let mut v = [0u8; 8];
    v[2..].copy_from_slice(&b[at..at + 6]);
    ContextTag(u64::from_be_bytes(v) & ContextTag::MAX)
}

/// Writes `t` into the 48 bits at `at`, the bit above it clear.
fn put_tag(b: &mut [u8], at: usize, t: ContextTag) {
    b[at..at + 6].copy_from_slice(&t.0.to_be_bytes()[2..]);
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// The Internet checksum (RFC 1071) of `data` alone: Shim6 has no pseudo-header, so locators
/// can change under it (RFC 5533 §5.3).  Over a header whose checksum field is right, 0.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut it = data.chunks_exact(2);
    for w in &mut it {
        sum += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = it.remainder() {
        sum += u64::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether the Shim6 header at the start of `b` is a payload extension header (P = 1) rather
/// than a control message (P = 0), RFC 5533 §5.1.
pub fn is_payload(b: &[u8]) -> Result<bool, Error> {
    Ok(b.get(field::P_TYPE).ok_or(Error::Truncated)? & 0x80 != 0)
}

/// The Shim6 Payload Extension Header (RFC 5533 §5.2): Next Header, Hdr Ext Len 0, P = 1 and
/// the receiver's 47-bit context tag, 8 bytes in all.
#[derive(Clone, Copy, Debug)]
pub struct PayloadHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> PayloadHeader<T> {
    /// Checks that `buffer` starts with a whole payload header: P set (else `Field(2)`, it is
    /// a control message), Hdr Ext Len 0 (else `Field(1)`).  Bytes after it are the payload.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let b = buffer.as_ref();
        if !is_payload(b)? {
            return Err(Error::Field(field::P_TYPE));
        }
        if b[field::HDR_EXT_LEN] != 0 {
            return Err(Error::Field(field::HDR_EXT_LEN));
        }
        if b.len() < PayloadRepr::LEN {
            return Err(Error::Truncated);
        }
        Ok(Self { buffer })
    }

    /// The buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The Next Header field: the upper-layer protocol after the header.
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }

    /// The Receiver Context Tag.
    pub fn context_tag(&self) -> ContextTag {
        tag(self.buffer.as_ref(), field::P_TYPE)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> PayloadHeader<&'a T> {
    /// The bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[PayloadRepr::LEN..]
    }
}

/// A payload extension header's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadRepr {
    /// The header that follows.
    pub next_header: u8,
    /// The context tag the receiver allocated.
    pub context_tag: ContextTag,
}

impl PayloadRepr {
    /// Bytes of the header.
    pub const LEN: usize = 8;

    /// The header's meaning.
    pub fn parse<T: AsRef<[u8]>>(h: &PayloadHeader<T>) -> Self {
        Self {
            next_header: h.next_header(),
            context_tag: h.context_tag(),
        }
    }

    /// Writes the header into the first [`PayloadRepr::LEN`] bytes of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), Error> {
        let b = buf.get_mut(..Self::LEN).ok_or(Error::Truncated)?;
        b[field::NEXT_HEADER] = self.next_header;
        b[field::HDR_EXT_LEN] = 0;
        put_tag(b, field::P_TYPE, self.context_tag);
        b[field::P_TYPE] |= 0x80;
        Ok(())
    }
}

/// Control message types (RFC 5533 §5.3; Keepalive and Probe: RFC 5534).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    /// I1, first establishment message from the initiator (§5.4).
    I1 = 1,
    /// R1, first establishment message from the responder (§5.5).
    R1 = 2,
    /// I2, second establishment message from the initiator (§5.6).
    I2 = 3,
    /// R2, second establishment message from the responder (§5.7).
    R2 = 4,
    /// R1bis, reply to a packet for a context the responder does not have (§5.8).
    R1bis = 5,
    /// I2bis, reply to an R1bis (§5.9).
    I2bis = 6,
    /// Update Request (§5.10).
    UpdateRequest = 64,
    /// Update Acknowledgement (§5.11).
    UpdateAck = 65,
    /// REAP Keepalive (§5.12, RFC 5534).
    Keepalive = 66,
    /// REAP Probe (§5.13, RFC 5534).
    Probe = 67,
    /// Error Message (§5.14).
    Error = 68,
}

impl MessageType {
    /// The type for a Type field; unknown types are the daemon's to answer with an Error
    /// Message (code [`ERR_UNKNOWN_TYPE`]), not refused here.
    pub fn from_u8(v: u8) -> Option<Self> {
        use MessageType::*;
        Some(match v {
            1 => I1,
            2 => R1,
            3 => I2,
            4 => R2,
            5 => R1bis,
            6 => I2bis,
            64 => UpdateRequest,
            65 => UpdateAck,
            66 => Keepalive,
            67 => Probe,
            68 => Error,
            _ => return None,
        })
    }

    /// Bytes of the message's fixed fields, where its options (or probe reports, or packet in
    /// error) start.
    pub fn fixed_len(self) -> usize {
        use MessageType::*;
        match self {
            I1 | R1 | R2 | R1bis | UpdateRequest | UpdateAck | Keepalive | Probe => 16,
            I2 => 24,
            I2bis => 32,
            Error => 8,
        }
    }

    /// The smallest Hdr Ext Len a message of this type has: its fixed fields, and for an Error
    /// Message "at least 1, since the header is 16 octets" (§5.14).
    pub fn min_header_len(self) -> u8 {
        match self {
            MessageType::Error => 1,
            t => (t.fixed_len() / 8 - 1) as u8,
        }
    }
}

/// Checks the control header at the start of `b` and returns its length: P clear (else
/// `Field(2)`), the whole header in `b`, the S bit clear (`Field(3)`: a HIP packet, §5.3), a
/// Hdr Ext Len that holds the type's fixed fields (`Field(1)`) and, for a Probe, its reports
/// (`Field(12)`, Precvd/Psent).
fn check_control(b: &[u8]) -> Result<usize, Error> {
    if is_payload(b)? {
        return Err(Error::Field(field::P_TYPE));
    }
    let len = (usize::from(b[field::HDR_EXT_LEN]) + 1) * 8;
    if b.len() < len {
        return Err(Error::Truncated);
    }
    if b[field::TYPE_SPECIFIC] & 1 != 0 {
        return Err(Error::Field(field::TYPE_SPECIFIC));
    }
    let Some(t) = MessageType::from_u8(b[field::P_TYPE] & 0x7f) else {
        return Ok(len);
    };
    if b[field::HDR_EXT_LEN] < t.min_header_len() {
        return Err(Error::Field(field::HDR_EXT_LEN));
    }
    if t == MessageType::Probe {
        let counts = b[field::PROBE_COUNTS];
        let reports = usize::from(counts >> 4) + usize::from(counts & 0xf);
        if field::PROBE_REPORTS + reports * ProbeReport::LEN > len {
            return Err(Error::Field(field::PROBE_COUNTS));
        }
    }
    Ok(len)
}

/// A Shim6 control message (RFC 5533 §5.3), its structure checked (not yet its checksum).
#[derive(Clone, Copy, Debug)]
pub struct ControlHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ControlHeader<T> {
    /// Checks that `buffer` starts with a whole control message: P clear (else `Field(2)`),
    /// the S bit clear (`Field(3)`), a Hdr Ext Len that holds the type's fixed fields
    /// (`Field(1)`) and, for a Probe, the probe reports Precvd/Psent announce (`Field(12)`).
    /// Unknown types pass.  Bytes after the header are its payload, if any.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        check_control(buffer.as_ref())?;
        Ok(Self { buffer })
    }

    /// The buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The Next Header field.
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }

    /// Bytes of the header, from Hdr Ext Len.
    pub fn header_len(&self) -> usize {
        (usize::from(self.buffer.as_ref()[field::HDR_EXT_LEN]) + 1) * 8
    }

    /// The Type field.
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::P_TYPE] & 0x7f
    }

    /// The 7 type-specific bits (the Error Code of an Error Message).
    pub fn type_specific(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE_SPECIFIC] >> 1
    }

    /// The Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// Whether the checksum over the header (and only the header, §5.3) is right.
    pub fn checksum_ok(&self) -> bool {
        checksum(&self.buffer.as_ref()[..self.header_len()]) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ControlHeader<T> {
    /// Computes and writes the checksum.
    pub fn fill_checksum(&mut self) {
        let len = self.header_len();
        let b = &mut self.buffer.as_mut()[..len];
        put16(b, field::CHECKSUM, 0);
        let c = checksum(b);
        put16(b, field::CHECKSUM, c);
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> ControlHeader<&'a T> {
    /// The header's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        &self.buffer.as_ref()[..self.header_len()]
    }

    /// The bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

/// REAP states a Probe reports in its Sta field (RFC 5534, "Probe Message").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReapState {
    /// 0: Operational.
    Operational = 0,
    /// 1: Exploring.
    Exploring = 1,
    /// 2: InboundOk.
    InboundOk = 2,
    /// 3: not assigned; kept so that every 2-bit value parses and emits back.
    Unassigned = 3,
}

impl ReapState {
    /// The state for the 2-bit Sta field (higher bits ignored).
    pub fn from_bits(v: u8) -> Self {
        match v & 3 {
            0 => Self::Operational,
            1 => Self::Exploring,
            2 => Self::InboundOk,
            _ => Self::Unassigned,
        }
    }
}

/// One probe report of a Probe message (RFC 5534, "Probe Message"): the locator pair, nonce and
/// data of a probe sent or received, 40 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbeReport {
    /// The probe's source locator.
    pub source: Addr,
    /// The probe's destination locator.
    pub destination: Addr,
    /// The probe's nonce.
    pub nonce: u32,
    /// The probe's data.
    pub data: u32,
}

impl ProbeReport {
    /// Bytes of a report.
    pub const LEN: usize = 40;

    /// The report in the first [`ProbeReport::LEN`] bytes of `b`.
    pub fn parse(b: &[u8]) -> Result<Self, Error> {
        let b = b.get(..Self::LEN).ok_or(Error::Truncated)?;
        Ok(Self {
            source: addr(b, 0),
            destination: addr(b, 16),
            nonce: be32(b, 32),
            data: be32(b, 36),
        })
    }

    /// The report's bytes, to gather into [`ProbeReports`].
    pub fn to_bytes(self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        b[..16].copy_from_slice(&self.source);
        b[16..32].copy_from_slice(&self.destination);
        put32(&mut b, 32, self.nonce);
        put32(&mut b, 36, self.data);
        b
    }
}

/// Up to 15 consecutive probe reports (Psent and Precvd are 4 bits each), as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ProbeReports<'a>(&'a [u8]);

impl<'a> ProbeReports<'a> {
    /// The most reports a Probe carries in each direction.
    pub const MAX: usize = 15;

    /// The reports in `bytes`, if it holds whole reports and at most [`ProbeReports::MAX`].
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        let n = bytes.len() / ProbeReport::LEN;
        (n * ProbeReport::LEN == bytes.len() && n <= Self::MAX).then_some(Self(bytes))
    }

    /// How many reports.
    pub fn len(&self) -> usize {
        self.0.len() / ProbeReport::LEN
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The reports' bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The reports, in wire order.
    pub fn iter(&self) -> impl Iterator<Item = ProbeReport> + 'a {
        self.0
            .chunks_exact(ProbeReport::LEN)
            .filter_map(|c| ProbeReport::parse(c).ok())
    }
}

/// A REAP Probe message's fields (RFC 5534, "Probe Message").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe<'a> {
    /// The receiver's context tag.
    pub receiver_context_tag: ContextTag,
    /// The sender's REAP state (Sta).
    pub state: ReapState,
    /// Reports of probes the sender sent (Psent of them, first on the wire).
    pub sent: ProbeReports<'a>,
    /// Reports of probes the sender received (Precvd of them, after the sent ones).
    pub received: ProbeReports<'a>,
}

/// A control message's type-specific fields (RFC 5533 §5.4-§5.14, RFC 5534).  Reserved fields
/// and bits are not kept: zero on transmit, ignored on receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// I1 (§5.4).
    I1 {
        /// Initiator Context Tag.
        initiator_context_tag: ContextTag,
        /// Initiator Nonce.
        initiator_nonce: u32,
    },
    /// R1 (§5.5).
    R1 {
        /// Initiator Nonce, echoed.
        initiator_nonce: u32,
        /// Responder Nonce.
        responder_nonce: u32,
    },
    /// I2 (§5.6).
    I2 {
        /// Initiator Context Tag.
        initiator_context_tag: ContextTag,
        /// Initiator Nonce.
        initiator_nonce: u32,
        /// Responder Nonce, echoed.
        responder_nonce: u32,
    },
    /// R2 (§5.7).
    R2 {
        /// Responder Context Tag.
        responder_context_tag: ContextTag,
        /// Initiator Nonce, echoed.
        initiator_nonce: u32,
    },
    /// R1bis (§5.8).
    R1bis {
        /// The context tag of the packet that found no context.
        packet_context_tag: ContextTag,
        /// Responder Nonce.
        responder_nonce: u32,
    },
    /// I2bis (§5.9).
    I2bis {
        /// Initiator Context Tag.
        initiator_context_tag: ContextTag,
        /// Initiator Nonce.
        initiator_nonce: u32,
        /// Responder Nonce, echoed.
        responder_nonce: u32,
        /// Packet Context Tag, echoed from the R1bis.
        packet_context_tag: ContextTag,
    },
    /// Update Request (§5.10).
    UpdateRequest {
        /// Receiver Context Tag.
        receiver_context_tag: ContextTag,
        /// Request Nonce.
        request_nonce: u32,
    },
    /// Update Acknowledgement (§5.11).
    UpdateAck {
        /// Receiver Context Tag.
        receiver_context_tag: ContextTag,
        /// Request Nonce, echoed.
        request_nonce: u32,
    },
    /// Keepalive (RFC 5534, "Keepalive Message").
    Keepalive {
        /// Receiver Context Tag.
        receiver_context_tag: ContextTag,
    },
    /// Probe (RFC 5534, "Probe Message").
    Probe(Probe<'a>),
    /// Error Message (§5.14); it carries no options.
    Error {
        /// Error Code, 7 bits, in the type-specific bits.
        code: u8,
        /// Offset in the invoking packet where the error was detected.
        pointer: u16,
        /// As much of the invoking packet as fits; as parsed, with whatever padding made the
        /// header a multiple of 8 octets; emitted zero-padded to that (and to at least 8).
        packet_in_error: &'a [u8],
    },
    /// A type this core does not know, kept whole for an Error Message (code 0).
    Unknown {
        /// The Type field.
        msg_type: u8,
        /// The 7 type-specific bits.
        type_specific: u8,
        /// The header from offset 6 (after the checksum) to its end.
        body: &'a [u8],
    },
}

impl Message<'_> {
    /// The Type field.
    pub fn msg_type(&self) -> u8 {
        use MessageType as T;
        (match self {
            Message::I1 { .. } => T::I1,
            Message::R1 { .. } => T::R1,
            Message::I2 { .. } => T::I2,
            Message::R2 { .. } => T::R2,
            Message::R1bis { .. } => T::R1bis,
            Message::I2bis { .. } => T::I2bis,
            Message::UpdateRequest { .. } => T::UpdateRequest,
            Message::UpdateAck { .. } => T::UpdateAck,
            Message::Keepalive { .. } => T::Keepalive,
            Message::Probe(_) => T::Probe,
            Message::Error { .. } => T::Error,
            Message::Unknown { msg_type, .. } => return *msg_type,
        }) as u8
    }

    /// Bytes from the start of the header to the end of the type-specific fields: where the
    /// options start.
    pub fn fixed_len(&self) -> usize {
        match self {
            Message::Probe(p) => {
                field::PROBE_REPORTS + (p.sent.len() + p.received.len()) * ProbeReport::LEN
            }
            Message::Error {
                packet_in_error, ..
            } => field::ERROR_PACKET + packet_in_error.len().max(1).next_multiple_of(8),
            Message::Unknown { body, .. } => field::CONTEXT_TAG + body.len(),
            m => MessageType::from_u8(m.msg_type()).map_or(0, MessageType::fixed_len),
        }
    }

    /// Writes the type, type-specific bits and fields into `b`, zeroed and
    /// [`Message::fixed_len`] long at least.
    fn emit(&self, b: &mut [u8]) -> Result<(), Error> {
        let mut type_specific = 0;
        match *self {
            Message::I1 {
                initiator_context_tag,
                initiator_nonce,
            } => {
                put_tag(b, field::CONTEXT_TAG, initiator_context_tag);
                put32(b, field::NONCE, initiator_nonce);
            }
            Message::R1 {
                initiator_nonce,
                responder_nonce,
            } => {
                put32(b, field::R1_INITIATOR_NONCE, initiator_nonce);
                put32(b, field::NONCE, responder_nonce);
            }
            Message::I2 {
                initiator_context_tag,
                initiator_nonce,
                responder_nonce,
            } => {
                put_tag(b, field::CONTEXT_TAG, initiator_context_tag);
                put32(b, field::NONCE, initiator_nonce);
                put32(b, field::I2_RESPONDER_NONCE, responder_nonce);
            }
            Message::R2 {
                responder_context_tag: t,
                initiator_nonce: n,
            }
            | Message::R1bis {
                packet_context_tag: t,
                responder_nonce: n,
            }
            | Message::UpdateRequest {
                receiver_context_tag: t,
                request_nonce: n,
            }
            | Message::UpdateAck {
                receiver_context_tag: t,
                request_nonce: n,
            } => {
                put_tag(b, field::CONTEXT_TAG, t);
                put32(b, field::NONCE, n);
            }
            Message::I2bis {
                initiator_context_tag,
                initiator_nonce,
                responder_nonce,
                packet_context_tag,
            } => {
                put_tag(b, field::CONTEXT_TAG, initiator_context_tag);
                put32(b, field::NONCE, initiator_nonce);
                put32(b, field::I2_RESPONDER_NONCE, responder_nonce);
                put_tag(b, field::I2BIS_PACKET_CONTEXT_TAG, packet_context_tag);
            }
            Message::Keepalive {
                receiver_context_tag,
            } => put_tag(b, field::CONTEXT_TAG, receiver_context_tag),
            Message::Probe(ref p) => {
                put_tag(b, field::CONTEXT_TAG, p.receiver_context_tag);
                b[field::PROBE_COUNTS] = ((p.received.len() as u8) << 4) | p.sent.len() as u8;
                b[field::PROBE_STATE] = (p.state as u8) << 6;
                let sent_end = field::PROBE_REPORTS + p.sent.0.len();
                b[field::PROBE_REPORTS..sent_end].copy_from_slice(p.sent.0);
                b[sent_end..sent_end + p.received.0.len()].copy_from_slice(p.received.0);
            }
            Message::Error {
                code,
                pointer,
                packet_in_error,
            } => {
                if code > 0x7f {
                    return Err(Error::Field(field::TYPE_SPECIFIC));
                }
                type_specific = code;
                put16(b, field::ERROR_POINTER, pointer);
                let end = field::ERROR_PACKET + packet_in_error.len();
                b[field::ERROR_PACKET..end].copy_from_slice(packet_in_error);
            }
            Message::Unknown {
                msg_type,
                type_specific: ts,
                body,
            } => {
                if msg_type > 0x7f || MessageType::from_u8(msg_type).is_some() {
                    return Err(Error::Field(field::P_TYPE));
                }
                if ts > 0x7f {
                    return Err(Error::Field(field::TYPE_SPECIFIC));
                }
                if (field::CONTEXT_TAG + body.len()) & 7 != 0 || body.len() < 2 {
                    return Err(Error::Field(field::CONTEXT_TAG));
                }
                type_specific = ts;
                b[field::CONTEXT_TAG..field::CONTEXT_TAG + body.len()].copy_from_slice(body);
            }
        }
        b[field::P_TYPE] = self.msg_type();
        b[field::TYPE_SPECIFIC] = type_specific << 1;
        Ok(())
    }
}

/// A control message's meaning: its Next Header, its type-specific fields and its options,
/// kept as the checked bytes they are on the wire (walk them with [`ControlRepr::options`];
/// build them with [`OptionRepr::emit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlRepr<'a> {
    /// The header that follows ([`IPPROTO_NONE`] when none does).
    pub next_header: u8,
    /// The type-specific fields.
    pub message: Message<'a>,
    /// The options, each padded to 8 octets; empty for Error and unknown messages.
    pub options: &'a [u8],
}

impl<'a> ControlRepr<'a> {
    /// Parses a checked control message: its checksum (else `Checksum`), its fields, and
    /// every option, framing and known bodies alike (errors as [`OptionRepr::parse`] gives
    /// them).  Unknown options, critical or not, are the daemon's to judge.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(h: &ControlHeader<&'a T>) -> Result<Self, Error> {
        let b = h.buffer.as_ref();
        let len = check_control(b)?;
        let b = &b[..len];
        if checksum(b) != 0 {
            return Err(Error::Checksum);
        }
        // Known types are at least 16 bytes long (check_control): their fields are there.
        let ct = || tag(b, field::CONTEXT_TAG);
        let nonce = || be32(b, field::NONCE);
        let t = b[field::P_TYPE] & 0x7f;
        let message = match MessageType::from_u8(t) {
            Some(MessageType::I1) => Message::I1 {
                initiator_context_tag: ct(),
                initiator_nonce: nonce(),
            },
            Some(MessageType::R1) => Message::R1 {
                initiator_nonce: be32(b, field::R1_INITIATOR_NONCE),
                responder_nonce: nonce(),
            },
            Some(MessageType::I2) => Message::I2 {
                initiator_context_tag: ct(),
                initiator_nonce: nonce(),
                responder_nonce: be32(b, field::I2_RESPONDER_NONCE),
            },
            Some(MessageType::R2) => Message::R2 {
                responder_context_tag: ct(),
                initiator_nonce: nonce(),
            },
            Some(MessageType::R1bis) => Message::R1bis {
                packet_context_tag: ct(),
                responder_nonce: nonce(),
            },
            Some(MessageType::I2bis) => Message::I2bis {
                initiator_context_tag: ct(),
                initiator_nonce: nonce(),
                responder_nonce: be32(b, field::I2_RESPONDER_NONCE),
                packet_context_tag: tag(b, field::I2BIS_PACKET_CONTEXT_TAG),
            },
            Some(MessageType::UpdateRequest) => Message::UpdateRequest {
                receiver_context_tag: ct(),
                request_nonce: nonce(),
            },
            Some(MessageType::UpdateAck) => Message::UpdateAck {
                receiver_context_tag: ct(),
                request_nonce: nonce(),
            },
            Some(MessageType::Keepalive) => Message::Keepalive {
                receiver_context_tag: ct(),
            },
            Some(MessageType::Probe) => {
                let counts = b[field::PROBE_COUNTS];
                let sent_end = field::PROBE_REPORTS + usize::from(counts & 0xf) * ProbeReport::LEN;
                let received_end = sent_end + usize::from(counts >> 4) * ProbeReport::LEN;
                Message::Probe(Probe {
                    receiver_context_tag: ct(),
                    state: ReapState::from_bits(b[field::PROBE_STATE] >> 6),
                    sent: ProbeReports(&b[field::PROBE_REPORTS..sent_end]),
                    received: ProbeReports(&b[sent_end..received_end]),
                })
            }
            Some(MessageType::Error) => Message::Error {
                code: b[field::TYPE_SPECIFIC] >> 1,
                pointer: be16(b, field::ERROR_POINTER),
                packet_in_error: &b[field::ERROR_PACKET..],
            },
            None => Message::Unknown {
                msg_type: t,
                type_specific: b[field::TYPE_SPECIFIC] >> 1,
                body: &b[field::CONTEXT_TAG..],
            },
        };
        let options = &b[message.fixed_len()..];
        check_options(options, message.fixed_len())?;
        Ok(Self {
            next_header: b[field::NEXT_HEADER],
            message,
            options,
        })
    }

    /// The options, with offsets from the start of the header.
    pub fn options(&self) -> Options<'a> {
        Options::new(self.options, self.message.fixed_len())
    }

    /// Bytes [`ControlRepr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.message.fixed_len() + self.options.len()
    }

    /// Writes the message, checksum included, into the start of `buf` and returns its length.
    /// A value the wire cannot hold is `Field(offset)` of where it would go: options that do
    /// not parse, options on an Error or unknown message, a header over
    /// [`MAX_HEADER_LEN`] (`Field(1)`), a 7-bit field over 127.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let fixed = self.message.fixed_len();
        let has_no_options = matches!(
            self.message,
            Message::Error { .. } | Message::Unknown { .. }
        );
        if has_no_options && !self.options.is_empty() {
            return Err(Error::Field(fixed));
        }
        check_options(self.options, fixed)?;
        let len = self.buffer_len();
        if len > MAX_HEADER_LEN {
            return Err(Error::Field(field::HDR_EXT_LEN));
        }
        let b = buf.get_mut(..len).ok_or(Error::Truncated)?;
        b.fill(0);
        self.message.emit(b)?;
        b[field::NEXT_HEADER] = self.next_header;
        b[field::HDR_EXT_LEN] = (len / 8 - 1) as u8;
        b[fixed..].copy_from_slice(self.options);
        let c = checksum(b);
        put16(b, field::CHECKSUM, c);
        Ok(len)
    }
}

/// Bytes an option with `content_len` bytes of contents takes, padded to 8 octets: "11 +
/// Length - (Length + 3) % 8" (RFC 5533 §5.15).
pub fn option_len(content_len: usize) -> usize {
    (4 + content_len).next_multiple_of(8)
}

/// One option of a control message (RFC 5533 §5.15): Type (15 bits), C, Length, Contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opt<'a> {
    /// Offset of the option's Type field from the start of the Shim6 header.
    pub offset: usize,
    /// Option type, without the C bit.
    pub kind: u16,
    /// The C bit: the receiver must understand the option or drop the message with an Error
    /// Message (code [`ERR_CRITICAL_OPTION`]).
    pub critical: bool,
    /// The Contents (Length bytes, padding excluded).
    pub data: &'a [u8],
}

/// Walks the options of a control message.  Yields `Err` once for an option that overruns
/// the area (`Field` of its Length, or of its start when even Type and Length do not fit),
/// then stops.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    area: &'a [u8],
    base: usize,
    at: usize,
}

impl<'a> Options<'a> {
    /// The options in `area`, which starts `base` bytes into the Shim6 header.
    pub fn new(area: &'a [u8], base: usize) -> Self {
        Self { area, base, at: 0 }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<Opt<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        if at >= self.area.len() {
            return None;
        }
        self.at = self.area.len();
        let Some(tl) = self.area.get(at..at + field::OPT_CONTENT) else {
            return Some(Err(Error::Field(self.base + at)));
        };
        let content_len = usize::from(be16(tl, field::OPT_LENGTH));
        let end = at + option_len(content_len);
        if end > self.area.len() {
            return Some(Err(Error::Field(self.base + at + field::OPT_LENGTH)));
        }
        self.at = end;
        let kind = be16(tl, 0);
        let data_at = at + field::OPT_CONTENT;
        Some(Ok(Opt {
            offset: self.base + at,
            kind: kind >> 1,
            critical: kind & 1 != 0,
            data: &self.area[data_at..data_at + content_len],
        }))
    }
}

/// Checks every option in `area` (at `base` in the header): framing and known bodies.
fn check_options(area: &[u8], base: usize) -> Result<(), Error> {
    for o in Options::new(area, base) {
        OptionRepr::parse(&o?)?;
    }
    Ok(())
}

/// The Locator List option's contents (RFC 5533 §5.15.2): Locator List Generation, Num
/// Locators N, N verification method octets, zero padding so that the locators start on an
/// 8-octet boundary of the option (counted in Length, as LinShim6 and Wireshark do), then N
/// 16-byte locators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocatorList<'a> {
    generation: u32,
    methods: &'a [u8],
    locators: &'a [u8],
}

impl<'a> LocatorList<'a> {
    /// A list of `methods.len()` locators (at most 255), their bytes in `locators`
    /// (`[Addr]::as_flattened()`); `None` when the lengths disagree.
    pub fn new(generation: u32, methods: &'a [u8], locators: &'a [u8]) -> Option<Self> {
        (methods.len() <= 255 && locators.len() == methods.len() * 16).then_some(Self {
            generation,
            methods,
            locators,
        })
    }

    fn parse(d: &'a [u8], offset: usize) -> Result<Self, Error> {
        if d.len() < 5 {
            return Err(Error::Field(offset + field::OPT_LENGTH));
        }
        let n = usize::from(d[4]);
        let start = Self::locators_at(n);
        let need = start + n * 16;
        if need > d.len() {
            return Err(Error::Field(offset + field::OPT_COUNT));
        }
        if need < d.len() {
            return Err(Error::Field(offset + field::OPT_LENGTH));
        }
        Ok(Self {
            generation: be32(d, 0),
            methods: &d[5..5 + n],
            locators: &d[start..need],
        })
    }

    /// Where the locators start in the contents: after 5 + N bytes, padded so that, with the
    /// 4-byte option header, they sit on an 8-octet boundary.
    fn locators_at(n: usize) -> usize {
        (4 + 5 + n).next_multiple_of(8) - 4
    }

    fn content_len(&self) -> usize {
        Self::locators_at(self.methods.len()) + self.locators.len()
    }

    fn write(&self, c: &mut [u8]) {
        put32(c, 0, self.generation);
        c[4] = self.methods.len() as u8;
        c[5..5 + self.methods.len()].copy_from_slice(self.methods);
        c[Self::locators_at(self.methods.len())..].copy_from_slice(self.locators);
    }

    /// Locator List Generation.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// N, the number of locators.
    pub fn len(&self) -> usize {
        self.methods.len()
    }

    /// Whether N is 0.
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    /// The verification method of each locator ([`VERIFY_HBA`], [`VERIFY_CGA`]).
    pub fn methods(&self) -> &'a [u8] {
        self.methods
    }

    /// The locators' bytes.
    pub fn locator_bytes(&self) -> &'a [u8] {
        self.locators
    }

    /// The locators.
    pub fn locators(&self) -> impl Iterator<Item = Addr> + 'a {
        self.locators.chunks_exact(16).map(|c| addr(c, 0))
    }

    /// (verification method, locator) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (u8, Addr)> + 'a {
        self.methods.iter().copied().zip(self.locators())
    }
}

/// One element of a Locator Preferences option (RFC 5533 §5.15.3); an Element Len of 1 has
/// only flags, 2 adds the priority, 3 the weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocatorPreference {
    /// Flags ([`LOCATOR_BROKEN`], [`LOCATOR_TEMPORARY`]).
    pub flags: u8,
    /// Priority, when Element Len is 2 or more.
    pub priority: Option<u8>,
    /// Weight, when Element Len is 3 or more.
    pub weight: Option<u8>,
}

/// The Locator Preferences option's contents (RFC 5533 §5.15.3): Locator List Generation,
/// Element Len, then one element per locator of that list.  Element Len 1-3 are defined;
/// longer elements are left to future formats that keep the first three octets, so they
/// parse, and their elements yield those octets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocatorPreferences<'a> {
    generation: u32,
    element_len: u8,
    elements: &'a [u8],
}

impl<'a> LocatorPreferences<'a> {
    /// Preferences whose elements of `element_len` bytes (at least 1) are `elements`; `None`
    /// when that does not divide, or the option would outgrow its 16-bit Length.
    pub fn new(generation: u32, element_len: u8, elements: &'a [u8]) -> Option<Self> {
        let el = usize::from(element_len);
        let whole = el > 0 && elements.len() / el * el == elements.len();
        (whole && 5 + elements.len() <= 0xffff).then_some(Self {
            generation,
            element_len,
            elements,
        })
    }

    fn parse(d: &'a [u8], offset: usize) -> Result<Self, Error> {
        if d.len() < 5 {
            return Err(Error::Field(offset + field::OPT_LENGTH));
        }
        if d[4] == 0 {
            return Err(Error::Field(offset + field::OPT_COUNT));
        }
        Self::new(be32(d, 0), d[4], &d[5..]).ok_or(Error::Field(offset + field::OPT_LENGTH))
    }

    /// Locator List Generation: the list these preferences apply to.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Element Len.
    pub fn element_len(&self) -> u8 {
        self.element_len
    }

    /// The elements' bytes.
    pub fn element_bytes(&self) -> &'a [u8] {
        self.elements
    }

    /// Number of elements (which must match the list's locators, else the daemon answers
    /// [`ERR_PREFERENCE_COUNT`]).
    pub fn len(&self) -> usize {
        self.elements.len() / usize::from(self.element_len.max(1))
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The elements, in locator order.
    pub fn iter(&self) -> impl Iterator<Item = LocatorPreference> + 'a {
        self.elements
            .chunks_exact(usize::from(self.element_len.max(1)))
            .map(|e| LocatorPreference {
                flags: e[0],
                priority: e.get(1).copied(),
                weight: e.get(2).copied(),
            })
    }
}

/// The ULID Pair option's contents (RFC 5533 §5.15.6): 4 reserved bytes, then the ULIDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UlidPair {
    /// Sender ULID.
    pub sender: Addr,
    /// Receiver ULID.
    pub receiver: Addr,
}

/// A known option's contents, parsed; or an unknown option's, as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionBody<'a> {
    /// Responder Validator (§5.15.1): opaque to all but the responder that made it.
    ResponderValidator(&'a [u8]),
    /// Locator List (§5.15.2).
    LocatorList(LocatorList<'a>),
    /// Locator Preferences (§5.15.3).
    LocatorPreferences(LocatorPreferences<'a>),
    /// CGA Parameter Data Structure (§5.15.4, RFC 3972).
    CgaParameterDataStructure(&'a [u8]),
    /// CGA Signature (§5.15.5).
    CgaSignature(&'a [u8]),
    /// ULID Pair (§5.15.6), Length 36.
    UlidPair(UlidPair),
    /// Forked Instance Identifier (§5.15.7), Length 4.
    ForkedInstanceIdentifier(u32),
    /// Keepalive Timeout in seconds (RFC 5534, "Keepalive Timeout Option Format"), Length 4: 16
    /// reserved bits, then the timeout.
    KeepaliveTimeout(u16),
    /// An option this core does not know.
    Unknown {
        /// Option type (15 bits).
        kind: u16,
        /// Contents.
        data: &'a [u8],
    },
}

impl OptionBody<'_> {
    /// The option type.
    pub fn kind(&self) -> u16 {
        match self {
            OptionBody::ResponderValidator(_) => OPT_RESPONDER_VALIDATOR,
            OptionBody::LocatorList(_) => OPT_LOCATOR_LIST,
            OptionBody::LocatorPreferences(_) => OPT_LOCATOR_PREFERENCES,
            OptionBody::CgaParameterDataStructure(_) => OPT_CGA_PDS,
            OptionBody::CgaSignature(_) => OPT_CGA_SIGNATURE,
            OptionBody::UlidPair(_) => OPT_ULID_PAIR,
            OptionBody::ForkedInstanceIdentifier(_) => OPT_FII,
            OptionBody::KeepaliveTimeout(_) => OPT_KEEPALIVE_TIMEOUT,
            OptionBody::Unknown { kind, .. } => *kind,
        }
    }

    /// The Length field: bytes of contents.
    pub fn content_len(&self) -> usize {
        match self {
            OptionBody::ResponderValidator(d)
            | OptionBody::CgaParameterDataStructure(d)
            | OptionBody::CgaSignature(d)
            | OptionBody::Unknown { data: d, .. } => d.len(),
            OptionBody::LocatorList(l) => l.content_len(),
            OptionBody::LocatorPreferences(p) => 5 + p.elements.len(),
            OptionBody::UlidPair(_) => 36,
            OptionBody::ForkedInstanceIdentifier(_) | OptionBody::KeepaliveTimeout(_) => 4,
        }
    }

    /// Writes the contents into `c`, zeroed and exactly [`OptionBody::content_len`] long.
    fn write(&self, c: &mut [u8]) {
        match self {
            OptionBody::ResponderValidator(d)
            | OptionBody::CgaParameterDataStructure(d)
            | OptionBody::CgaSignature(d)
            | OptionBody::Unknown { data: d, .. } => c.copy_from_slice(d),
            OptionBody::LocatorList(l) => l.write(c),
            OptionBody::LocatorPreferences(p) => {
                put32(c, 0, p.generation);
                c[4] = p.element_len;
                c[5..].copy_from_slice(p.elements);
            }
            OptionBody::UlidPair(u) => {
                c[4..20].copy_from_slice(&u.sender);
                c[20..].copy_from_slice(&u.receiver);
            }
            OptionBody::ForkedInstanceIdentifier(v) => put32(c, 0, *v),
            OptionBody::KeepaliveTimeout(v) => put16(c, 2, *v),
        }
    }
}

/// Whether this core parses options of type `kind`.
fn is_known_option(kind: u16) -> bool {
    matches!(
        kind,
        OPT_RESPONDER_VALIDATOR
            | OPT_LOCATOR_LIST
            | OPT_LOCATOR_PREFERENCES
            | OPT_CGA_PDS
            | OPT_CGA_SIGNATURE
            | OPT_ULID_PAIR
            | OPT_FII
            | OPT_KEEPALIVE_TIMEOUT
    )
}

/// An option's meaning: its C bit and its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionRepr<'a> {
    /// The C (critical) bit.
    pub critical: bool,
    /// The contents.
    pub body: OptionBody<'a>,
}

impl<'a> OptionRepr<'a> {
    /// Parses an option's contents by its type.  A Length the type cannot have is
    /// `Field(offset + 2)`; a Num Locators that needs more bytes than Length gives, or an
    /// Element Len of 0, is `Field(offset + 8)`.  Unknown types pass as bytes.
    pub fn parse(o: &Opt<'a>) -> Result<Self, Error> {
        let d = o.data;
        let length_error = Error::Field(o.offset + field::OPT_LENGTH);
        let fixed = |n: usize| {
            if d.len() == n {
                Ok(())
            } else {
                Err(length_error)
            }
        };
        let body = match o.kind {
            OPT_RESPONDER_VALIDATOR => OptionBody::ResponderValidator(d),
            OPT_LOCATOR_LIST => OptionBody::LocatorList(LocatorList::parse(d, o.offset)?),
            OPT_LOCATOR_PREFERENCES => {
                OptionBody::LocatorPreferences(LocatorPreferences::parse(d, o.offset)?)
            }
            OPT_CGA_PDS => OptionBody::CgaParameterDataStructure(d),
            OPT_CGA_SIGNATURE => OptionBody::CgaSignature(d),
            OPT_ULID_PAIR => {
                fixed(36)?;
                OptionBody::UlidPair(UlidPair {
                    sender: addr(d, 4),
                    receiver: addr(d, 20),
                })
            }
            OPT_FII => {
                fixed(4)?;
                OptionBody::ForkedInstanceIdentifier(be32(d, 0))
            }
            OPT_KEEPALIVE_TIMEOUT => {
                fixed(4)?;
                OptionBody::KeepaliveTimeout(be16(d, 2))
            }
            kind => OptionBody::Unknown { kind, data: d },
        };
        Ok(Self {
            critical: o.critical,
            body,
        })
    }

    /// Bytes [`OptionRepr::emit`] writes, padding included.
    pub fn buffer_len(&self) -> usize {
        option_len(self.body.content_len())
    }

    /// Writes the option and its zero padding into the start of `buf` and returns the bytes
    /// used.  Contents over 65535 bytes are `Field(2)`; an unknown option with a known type
    /// or one over 15 bits, `Field(0)`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let kind = self.body.kind();
        if let OptionBody::Unknown { .. } = self.body {
            if kind > 0x7fff || is_known_option(kind) {
                return Err(Error::Field(0));
            }
        }
        let content_len = self.body.content_len();
        let len_field = u16::try_from(content_len).map_err(|_| Error::Field(field::OPT_LENGTH))?;
        let b = buf
            .get_mut(..option_len(content_len))
            .ok_or(Error::Truncated)?;
        b.fill(0);
        put16(b, 0, (kind << 1) | u16::from(self.critical));
        put16(b, field::OPT_LENGTH, len_field);
        self.body
            .write(&mut b[field::OPT_CONTENT..field::OPT_CONTENT + content_len]);
        Ok(b.len())
    }
}
