//! The CGA Parameters data structure (RFC 3972 §3) and its extension
//! fields (RFC 4581), among them RFC 5535's Multi-Prefix extension (§5):
//! what Shim6's CGA Parameter Data Structure option carries (RFC 5533
//! §5.15.4).
//!
//! ```text
//! Modifier (16) | Subnet Prefix (8) | Collision Count (1) |
//! Public Key (DER SubjectPublicKeyInfo, its length its own) |
//! Extension Fields (Type (2), Length (2), Data (Length))...
//! ```
//!
//! [`CgaParams::parse`] and [`CgaParams::to_bytes`] round-trip every
//! structure they accept, unknown extension fields included: RFC 3972 §5
//! hashes them though it ignores their meaning.

use std::fmt;

use der::{
    Decode,
    Reader,
    SliceReader, //
};
use spki::SubjectPublicKeyInfoRef;

/// A 64-bit subnet prefix, the leftmost half of an address.
pub type Prefix = [u8; 8];

/// The octets before the public key: modifier, subnet prefix, collision
/// count.
pub const FIXED_LEN: usize = 25;

/// Where each fixed field lies (RFC 3972 §3).
mod field {
    use core::ops::Range;
    pub const MODIFIER: Range<usize> = 0..16;
    pub const SUBNET_PREFIX: Range<usize> = 16..24;
    pub const COLLISION_COUNT: usize = 24;
}

/// The Multi-Prefix extension's type (IANA "CGA Extension Type Values",
/// RFC 5535 §10).
pub const MULTI_PREFIX: u16 = 0x0012;

/// One extension field (RFC 4581 §2): its type and data, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub kind: u16,
    pub data: Vec<u8>,
}

/// A CGA Parameters data structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgaParams {
    pub modifier: [u8; 16],
    pub subnet_prefix: Prefix,
    /// 0, 1 or 2 in a valid one (RFC 3972 §3); verification checks it.
    pub collision_count: u8,
    /// The DER-encoded SubjectPublicKeyInfo, octet for octet: an RSA key,
    /// or an HBA-only set's random nonce dressed as one (RFC 5535 §6).
    pub public_key: Vec<u8>,
    pub extensions: Vec<Extension>,
}

/// The Multi-Prefix extension (RFC 5535 §5): the HBA set's prefixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiPrefix {
    /// The P flag: the Public Key field holds a real public key (a
    /// CGA-compatible HBA set), not a random nonce.
    pub public_key: bool,
    pub prefixes: Vec<Prefix>,
}

/// Why octets are not a CGA Parameters data structure: `what` is wrong at
/// octet `at` of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub what: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at octet {}", self.what, self.at)
    }
}

impl std::error::Error for ParseError {}

/// The length of the DER SubjectPublicKeyInfo that starts `der`, which
/// must decode as one.
fn spki_len(der: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(der).ok()?;
    SubjectPublicKeyInfoRef::decode(&mut reader).ok()?;
    Some(u32::from(reader.position()) as usize)
}

impl CgaParams {
    /// Parses `bytes`, which must end where its last extension field does.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.len() <= FIXED_LEN {
            return Err(ParseError {
                at: bytes.len(),
                what: "the structure ends before its public key",
            });
        }
        let key_len = spki_len(&bytes[FIXED_LEN..]).ok_or(ParseError {
            at: FIXED_LEN,
            what: "the public key is no DER SubjectPublicKeyInfo",
        })?;
        let mut at = FIXED_LEN + key_len;
        let mut extensions = Vec::new();
        while at < bytes.len() {
            let Some(tl) = bytes.get(at..at + 4) else {
                return Err(ParseError {
                    at,
                    what: "an extension field ends in its type and length",
                });
            };
            let kind = u16::from_be_bytes([tl[0], tl[1]]);
            let len = usize::from(u16::from_be_bytes([tl[2], tl[3]]));
            let Some(data) = bytes.get(at + 4..at + 4 + len) else {
                return Err(ParseError {
                    at: at + 2,
                    what: "an extension field is longer than the structure",
                });
            };
            extensions.push(Extension {
                kind,
                data: data.to_vec(),
            });
            at += 4 + len;
        }
        Ok(CgaParams {
            modifier: bytes[field::MODIFIER].try_into().expect("16 octets"),
            subnet_prefix: bytes[field::SUBNET_PREFIX].try_into().expect("8 octets"),
            collision_count: bytes[field::COLLISION_COUNT],
            public_key: bytes[FIXED_LEN..FIXED_LEN + key_len].to_vec(),
            extensions,
        })
    }

    /// The structure as it goes on the wire, and into Hash1.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + self.public_key.len() + 64);
        out.extend(self.modifier);
        out.extend(self.subnet_prefix);
        out.push(self.collision_count);
        out.extend(&self.public_key);
        out.extend(encode_extensions(&self.extensions));
        out
    }

    /// The first Multi-Prefix extension, if there is one; an error if it
    /// does not parse.
    pub fn multi_prefix(&self) -> Result<Option<MultiPrefix>, ParseError> {
        let Some(i) = self.extensions.iter().position(|e| e.kind == MULTI_PREFIX) else {
            return Ok(None);
        };
        let at =
            FIXED_LEN + self.public_key.len() + encode_extensions(&self.extensions[..i]).len() + 4;
        MultiPrefix::parse(&self.extensions[i].data, at).map(Some)
    }
}

/// Extension fields in wire order (RFC 4581 §2). Each one's data must fit
/// a 16-bit length, which [`CgaParams::parse`] and [`MultiPrefix`] ensure.
pub(crate) fn encode_extensions(extensions: &[Extension]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in extensions {
        let len = u16::try_from(e.data.len()).expect("an extension's data fits 16 bits");
        out.extend(e.kind.to_be_bytes());
        out.extend(len.to_be_bytes());
        out.extend(&e.data);
    }
    out
}

impl MultiPrefix {
    /// The most prefixes an extension holds: its length is 16 bits.
    pub const MAX_PREFIXES: usize = (u16::MAX as usize - 4) / 8;

    /// The P flag and Reserved (ignored on receipt), then the prefixes:
    /// `data` is the extension's, found at octet `at` of the structure.
    fn parse(data: &[u8], at: usize) -> Result<Self, ParseError> {
        if data.len() < 4 + 8 || !(data.len() - 4).is_multiple_of(8) {
            return Err(ParseError {
                at: at - 2,
                what: "the Multi-Prefix extension's length is not 4 + 8 * n, n > 0",
            });
        }
        Ok(MultiPrefix {
            public_key: data[0] & 0x80 != 0,
            prefixes: data[4..]
                .chunks_exact(8)
                .map(|p| p.try_into().expect("8 octets"))
                .collect(),
        })
    }

    /// The extension field (RFC 5535 §6 step 1: Ext Len is 8 * n + 4).
    pub fn to_extension(&self) -> Extension {
        assert!(self.prefixes.len() <= Self::MAX_PREFIXES);
        let mut data = vec![if self.public_key { 0x80 } else { 0 }, 0, 0, 0];
        for p in &self.prefixes {
            data.extend(p);
        }
        Extension {
            kind: MULTI_PREFIX,
            data,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A SubjectPublicKeyInfo of rsaEncryption with a 384-bit modulus (an
    /// HBA nonce's shape), 76 octets.
    pub(crate) fn small_spki() -> Vec<u8> {
        crate::hba::nonce_public_key(&[0x5a; 48])
    }

    fn params(extensions: Vec<Extension>) -> CgaParams {
        CgaParams {
            modifier: [1; 16],
            subnet_prefix: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1],
            collision_count: 2,
            public_key: small_spki(),
            extensions,
        }
    }

    #[test]
    fn the_structure_round_trips_with_and_without_extensions() {
        let mp = MultiPrefix {
            public_key: true,
            prefixes: vec![[1; 8], [2; 8]],
        };
        for exts in [
            vec![],
            vec![mp.to_extension()],
            vec![
                Extension {
                    kind: 0xfffd,
                    data: vec![],
                },
                mp.to_extension(),
                Extension {
                    kind: 7,
                    data: vec![9; 3],
                },
            ],
        ] {
            let p = params(exts);
            let bytes = p.to_bytes();
            assert_eq!(CgaParams::parse(&bytes), Ok(p.clone()));
            assert_eq!(CgaParams::parse(&bytes).unwrap().to_bytes(), bytes);
        }
        let p = params(vec![mp.to_extension()]);
        assert_eq!(p.multi_prefix(), Ok(Some(mp)));
        assert_eq!(params(vec![]).multi_prefix(), Ok(None));
    }

    /// The layout of RFC 3972 §3 and RFC 5535 §5, octet by octet.
    #[test]
    fn fields_lie_where_the_rfcs_draw_them() {
        let mp = MultiPrefix {
            public_key: false,
            prefixes: vec![[0xaa; 8]],
        };
        let p = params(vec![mp.to_extension()]);
        let b = p.to_bytes();
        let key = small_spki();
        assert_eq!(&b[..16], &[1; 16]);
        assert_eq!(&b[16..24], &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1]);
        assert_eq!(b[24], 2);
        assert_eq!(&b[25..25 + key.len()], &key[..]);
        // Type 0x0012, Ext Len 8 * 1 + 4, P clear, Reserved, the prefix.
        assert_eq!(
            &b[25 + key.len()..],
            &[0, 0x12, 0, 12, 0, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]
        );
        assert_eq!(key[0], 0x30, "a DER SEQUENCE");
    }

    #[test]
    fn malformed_structures_are_refused_where_they_break() {
        let good = params(vec![Extension {
            kind: 1,
            data: vec![0; 4],
        }])
        .to_bytes();
        let key_end = FIXED_LEN + small_spki().len();
        assert_eq!(CgaParams::parse(&good[..FIXED_LEN]).unwrap_err().at, 25);
        assert_eq!(CgaParams::parse(&good[..key_end - 1]).unwrap_err().at, 25);
        let mut not_der = good.clone();
        not_der[FIXED_LEN] = 0x04;
        assert_eq!(
            CgaParams::parse(&not_der).unwrap_err().what,
            "the public key is no DER SubjectPublicKeyInfo"
        );
        assert_eq!(
            CgaParams::parse(&good[..key_end + 3]).unwrap_err(),
            ParseError {
                at: key_end,
                what: "an extension field ends in its type and length"
            }
        );
        assert_eq!(
            CgaParams::parse(&good[..good.len() - 1]).unwrap_err(),
            ParseError {
                at: key_end + 2,
                what: "an extension field is longer than the structure"
            }
        );
        // A Multi-Prefix extension without a prefix, or with a stray octet.
        for data in [vec![0x80, 0, 0, 0], vec![0; 13]] {
            let p = params(vec![Extension {
                kind: MULTI_PREFIX,
                data,
            }]);
            let e = p.multi_prefix().unwrap_err();
            assert_eq!(e.at, key_end + 2);
            assert!(e.what.starts_with("the Multi-Prefix extension's length"));
        }
    }

    /// RFC 5535 §5: Reserved is ignored on receipt, and only the first
    /// octet's top bit is P.
    #[test]
    fn the_p_flag_is_the_top_bit_and_reserved_is_ignored() {
        let mut data = vec![0x7f, 0xff, 0xff, 0xff];
        data.extend([3; 8]);
        let p = params(vec![Extension {
            kind: MULTI_PREFIX,
            data,
        }]);
        assert_eq!(
            p.multi_prefix(),
            Ok(Some(MultiPrefix {
                public_key: false,
                prefixes: vec![[3; 8]]
            }))
        );
    }
}
