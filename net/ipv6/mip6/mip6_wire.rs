// SPDX-License-Identifier: GPL-2.0

//! Mobile IPv6 wire formats (RFC 6275): the Home Address destination option, the type 2
//! Routing Header, and the Mobility Header, as views over packet bytes plus the `Repr`s that
//! emit them.  Errors name the offset of the offending field, which is what an ICMPv6
//! Parameter Problem points at.
//!
//! Pure `no_std` code without allocation, shared by `rv6_mip6` and the host tests/fuzzers.

/// An IPv6 address as bytes.
pub type Addr = [u8; 16];

/// `IPPROTO_NONE`: what a Mobility Header's Payload Proto must say (RFC 6275 §6.1.1).
pub const IPPROTO_NONE: u8 = 59;
/// Option type of the Home Address option (RFC 6275 §6.3): skip if unknown, no change en route.
pub const OPT_HOME_ADDRESS: u8 = 0xc9;
/// Pad1 and PadN options (RFC 8200 §4.2).
pub const OPT_PAD1: u8 = 0;
/// See [`OPT_PAD1`].
pub const OPT_PADN: u8 = 1;

/// A malformed field, by its offset from the start of the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The buffer ends before the header does.
    Truncated,
    /// The field at this offset has a value the RFC forbids.
    Field(usize),
}

/// Bytes of an extension header from its Hdr Ext Len byte (8-octet units, first 8 excluded).
fn ext_len(b: &[u8]) -> Result<usize, Error> {
    let len = (usize::from(*b.get(1).ok_or(Error::Truncated)?) + 1) * 8;
    if b.len() < len {
        return Err(Error::Truncated);
    }
    Ok(len)
}

/// One option inside a Destination Options header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlvOption<'a> {
    /// Offset of the option's type byte from the start of the header.
    pub offset: usize,
    /// Option type.
    pub kind: u8,
    /// Option data.
    pub data: &'a [u8],
}

/// Walks the options of a Destination Options header (`hdr`, the whole header).  Yields
/// `Err` once for an option that overruns the header, then stops.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    hdr: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<TlvOption<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        let kind = *self.hdr.get(at)?;
        if kind == OPT_PAD1 {
            self.at += 1;
            return Some(Ok(TlvOption {
                offset: at,
                kind,
                data: &[],
            }));
        }
        self.at = self.hdr.len();
        let Some(&len) = self.hdr.get(at + 1) else {
            return Some(Err(Error::Field(at)));
        };
        let Some(data) = self.hdr.get(at + 2..at + 2 + usize::from(len)) else {
            return Some(Err(Error::Field(at + 1)));
        };
        self.at = at + 2 + usize::from(len);
        Some(Ok(TlvOption {
            offset: at,
            kind,
            data,
        }))
    }
}

/// A Destination Options header, length-checked.
#[derive(Clone, Copy, Debug)]
pub struct DestinationOptions<'a>(&'a [u8]);

impl<'a> DestinationOptions<'a> {
    /// Checks that `b` holds the whole header; extra bytes after it are the next header.
    pub fn new_checked(b: &'a [u8]) -> Result<Self, Error> {
        let len = ext_len(b)?;
        Ok(Self(&b[..len]))
    }

    /// The Next Header field.
    pub fn next_header(&self) -> u8 {
        self.0[0]
    }

    /// Bytes of the header.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never empty: at least 8 bytes.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The options.
    pub fn options(&self) -> Options<'a> {
        Options { hdr: self.0, at: 2 }
    }

    /// The Home Address option, checked: data length 16 and the 8n+6 alignment RFC 6275
    /// §6.3 requires.  `Ok(None)` when there is none.
    pub fn home_address(&self) -> Result<Option<Addr>, Error> {
        for o in self.options() {
            let o = o?;
            if o.kind != OPT_HOME_ADDRESS {
                continue;
            }
            if o.data.len() != 16 {
                return Err(Error::Field(o.offset + 1));
            }
            if o.offset % 8 != 6 {
                return Err(Error::Field(o.offset));
            }
            let mut a = [0; 16];
            a.copy_from_slice(o.data);
            return Ok(Some(a));
        }
        Ok(None)
    }
}

/// A Destination Options header carrying only a Home Address option, laid out as Linux
/// does: two header bytes, a 4-byte PadN, the option at offset 6 (24 bytes in all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HomeAddressRepr {
    /// The header that follows.
    pub next_header: u8,
    /// The mobile node's home address.
    pub home_address: Addr,
}

impl HomeAddressRepr {
    /// Bytes [`HomeAddressRepr::emit`] writes.
    pub const LEN: usize = 24;

    /// Parses a header holding a Home Address option (and padding).
    pub fn parse(h: &DestinationOptions<'_>) -> Result<Self, Error> {
        let home_address = h.home_address()?.ok_or(Error::Field(2))?;
        Ok(Self {
            next_header: h.next_header(),
            home_address,
        })
    }

    /// Writes the header into the first [`HomeAddressRepr::LEN`] bytes of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), Error> {
        let b = buf.get_mut(..Self::LEN).ok_or(Error::Truncated)?;
        b[..8].copy_from_slice(&[self.next_header, 2, OPT_PADN, 2, 0, 0, OPT_HOME_ADDRESS, 16]);
        b[8..].copy_from_slice(&self.home_address);
        Ok(())
    }
}

/// A type 2 Routing Header (RFC 6275 §6.4), checked field by field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutingType2Repr {
    /// The header that follows.
    pub next_header: u8,
    /// Segments Left: 1 on the wire to the mobile node, 0 once processed.
    pub segments_left: u8,
    /// The mobile node's home address.
    pub home_address: Addr,
}

impl RoutingType2Repr {
    /// Bytes of the header.
    pub const LEN: usize = 24;

    /// Parses and checks a type 2 Routing Header: Hdr Ext Len 2, Routing Type 2, Segments
    /// Left 0 or 1 (RFC 6275 §6.4; a value above 1 is a Parameter Problem at offset 3).
    pub fn parse(b: &[u8]) -> Result<Self, Error> {
        if b.len() < 2 {
            return Err(Error::Truncated);
        }
        if b[1] != 2 {
            return Err(Error::Field(1));
        }
        if b.len() < Self::LEN {
            return Err(Error::Truncated);
        }
        if b[2] != 2 {
            return Err(Error::Field(2));
        }
        if b[3] > 1 {
            return Err(Error::Field(3));
        }
        let mut home_address = [0; 16];
        home_address.copy_from_slice(&b[8..24]);
        Ok(Self {
            next_header: b[0],
            segments_left: b[3],
            home_address,
        })
    }

    /// Writes the header into the first [`RoutingType2Repr::LEN`] bytes of `buf`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), Error> {
        let b = buf.get_mut(..Self::LEN).ok_or(Error::Truncated)?;
        b[..8].copy_from_slice(&[self.next_header, 2, 2, self.segments_left, 0, 0, 0, 0]);
        b[8..].copy_from_slice(&self.home_address);
        Ok(())
    }
}

/// Where the home addresses of a route-optimised packet are, in a copy of it that an ICMPv6
/// error quotes: what [`quoted_home_addresses`] finds.  Offsets are from the quoted IPv6
/// header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuotedHome {
    /// The address of a type 2 Routing Header with Segments Left 1: the packet went from a
    /// correspondent node to a care-of address (the IPv6 destination, offset 24) for this
    /// home address (RFC 6275 §6.4).
    pub routing: Option<usize>,
    /// The address of a Home Address option: the packet went from a mobile node's care-of
    /// address (the IPv6 source, offset 8) for this home address (RFC 6275 §6.3).
    pub home_address: Option<usize>,
}

/// Offset of the IPv6 source address in the IPv6 header.
pub const IPV6_SADDR: usize = 8;
/// Offset of the IPv6 destination address in the IPv6 header.
pub const IPV6_DADDR: usize = 24;

/// Finds the home addresses in `quoted`, the start of a packet an ICMPv6 error quotes (its
/// IPv6 header first; an error quotes as much as fits in 1280 bytes, RFC 4443 §2.4(c)).
///
/// The headers the sender put before its payload are read in order (RFC 8200 §4.1): a
/// Hop-by-Hop header, Destination Options headers, a type 2 Routing Header (as Linux's
/// `mip6_rthdr_output()` builds it: the first Routing Header, Segments Left 1) and a
/// Destination Options header with a Home Address option (`mip6_destopt_output()`: after
/// the Routing Header, one option of 16 bytes).  Anything else (a Fragment header, ESP, AH,
/// an upper layer, a truncated header) ends the search.  A malformed or repeated header of
/// these kinds makes the packet none of ours: nothing is reported.
pub fn quoted_home_addresses(quoted: &[u8]) -> QuotedHome {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const DESTINATION_OPTIONS: u8 = 60;
    let mut found = QuotedHome::default();
    let Some(&first) = quoted.get(6) else {
        return found;
    };
    let (mut next, mut at) = (first, 40);
    loop {
        let Some(rest) = quoted.get(at..) else {
            return found;
        };
        let Ok(len) = ext_len(rest) else {
            return found;
        };
        match next {
            HOP_BY_HOP if at == 40 => {}
            ROUTING => {
                if found.routing.is_some() || found.home_address.is_some() {
                    return QuotedHome::default();
                }
                match RoutingType2Repr::parse(rest) {
                    Ok(rt2) if rt2.segments_left == 1 => found.routing = Some(at + 8),
                    // Another routing type (or a processed one) is not route optimisation.
                    _ => return found,
                }
            }
            DESTINATION_OPTIONS => {
                let Ok(h) = DestinationOptions::new_checked(rest) else {
                    return found;
                };
                for o in h.options() {
                    let Ok(o) = o else {
                        return QuotedHome::default();
                    };
                    if o.kind != OPT_HOME_ADDRESS {
                        continue;
                    }
                    if o.data.len() != 16 || found.home_address.is_some() {
                        return QuotedHome::default();
                    }
                    found.home_address = Some(at + o.offset + 2);
                }
            }
            _ => return found,
        }
        next = rest[0];
        at += len;
    }
}

/// Mobility Header types (RFC 6275 §6.1.2 ff.).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MhType {
    /// Binding Refresh Request.
    BindingRefreshRequest = 0,
    /// Home Test Init.
    HomeTestInit = 1,
    /// Care-of Test Init.
    CareOfTestInit = 2,
    /// Home Test.
    HomeTest = 3,
    /// Care-of Test.
    CareOfTest = 4,
    /// Binding Update.
    BindingUpdate = 5,
    /// Binding Acknowledgement.
    BindingAck = 6,
    /// Binding Error.
    BindingError = 7,
}

impl MhType {
    /// The type for an MH Type byte; unknown types are answered with a Binding Error by the
    /// daemon, not refused here.
    pub fn from_u8(v: u8) -> Option<Self> {
        use MhType::*;
        Some(match v {
            0 => BindingRefreshRequest,
            1 => HomeTestInit,
            2 => CareOfTestInit,
            3 => HomeTest,
            4 => CareOfTest,
            5 => BindingUpdate,
            6 => BindingAck,
            7 => BindingError,
            _ => return None,
        })
    }

    /// The smallest Header Len (8-octet units beyond the first 8) a message of this type has:
    /// its fixed fields, before mobility options.
    pub fn min_header_len(self) -> u8 {
        use MhType::*;
        match self {
            BindingRefreshRequest => 0,
            HomeTestInit | CareOfTestInit | BindingUpdate | BindingAck => 1,
            HomeTest | CareOfTest | BindingError => 2,
        }
    }
}

/// A Mobility Header, checked as the kernel's raw-socket filter does.
#[derive(Clone, Copy, Debug)]
pub struct MobilityHeader<'a>(&'a [u8]);

impl<'a> MobilityHeader<'a> {
    /// Checks the header as [`check_mobility_header`] does and that all of it is in `b`.
    pub fn new_checked(b: &'a [u8]) -> Result<Self, Error> {
        let len = check_mobility_header(b, b.len())?;
        Ok(Self(&b[..len]))
    }

    /// The MH Type byte.
    pub fn mh_type(&self) -> u8 {
        self.0[2]
    }

    /// The header's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Whether the checksum over the IPv6 pseudo-header (RFC 6275 §6.1.1, upper-layer
    /// protocol 135) and the header is right.
    pub fn checksum_ok(&self, src: &Addr, dst: &Addr) -> bool {
        checksum(src, dst, 135, self.0) == 0
    }
}

/// Bytes of a Mobility Header's fixed part: Payload Proto, Header Len, MH Type, Reserved,
/// Checksum.
pub const MH_FIXED_LEN: usize = 6;

/// Checks a Mobility Header (RFC 6275 §9.2) from its first bytes `head` (at least
/// [`MH_FIXED_LEN`]) and the bytes `available` from its start to the end of the packet, in
/// the order Linux's raw-socket filter does: a header longer than the packet or a
/// truncated fixed part is `Truncated` (silently discarded); a Header Len below the type's
/// minimum is `Field(1)` and a Payload Proto other than `IPPROTO_NONE` is `Field(0)`, both
/// answered with a Parameter Problem pointing there.  Unknown types pass: the daemon answers
/// them with a Binding Error.  Returns the header's length.
pub fn check_mobility_header(head: &[u8], available: usize) -> Result<usize, Error> {
    if head.len() < MH_FIXED_LEN || available < MH_FIXED_LEN {
        return Err(Error::Truncated);
    }
    let len = (usize::from(head[1]) + 1) * 8;
    if len > available {
        return Err(Error::Truncated);
    }
    if let Some(t) = MhType::from_u8(head[2]) {
        if head[1] < t.min_header_len() {
            return Err(Error::Field(1));
        }
    }
    if head[0] != IPPROTO_NONE {
        return Err(Error::Field(0));
    }
    Ok(len)
}

/// The Internet checksum (RFC 1071) of an IPv6 pseudo-header and `data`; over data whose
/// checksum field is right, the result is 0.
pub fn checksum(src: &Addr, dst: &Addr, next_header: u8, data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut add = |b: &[u8]| {
        let mut it = b.chunks_exact(2);
        for w in &mut it {
            sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
        }
        if let [last] = it.remainder() {
            sum += u32::from(*last) << 8;
        }
    };
    add(src);
    add(dst);
    add(&(data.len() as u32).to_be_bytes());
    add(&[0, 0, 0, next_header]);
    add(data);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
