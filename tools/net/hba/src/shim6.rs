//! What Shim6 (RFC 5533) does with HBAs and CGAs: the checks a daemon
//! makes of a peer's CGA Parameter Data Structure option (§5.15.4) and
//! Locator List (§5.15.2) before it uses them (§7.2, §10.4), and the CGA
//! Signature option (§5.15.5) it signs and verifies.
//!
//! - [`verify_ulid`]: the structure "corresponds to ULID(peer)" (the I2,
//!   R2 and Update Request checks of §7.13, §7.16, §10.4): the ULID is in
//!   the HBA set it defines (RFC 5535 §7.2), or, without a Multi-Prefix
//!   extension, is its CGA (RFC 3972 §5).
//! - [`verify_locators`]: that, and then each locator by its verification
//!   method: HBA, in the set (RFC 5535 §7.2); CGA, covered by the CGA
//!   Signature under the structure's key.
//! - [`sign_locators`]: the CGA Signature option's content.
//!
//! A [`Refusal`] names the locator whose method octet an Error Message
//! with code 2 points at (§7.2); one about the structure itself names
//! none, and the message is discarded silently (§10.4).

use std::fmt;
use std::net::Ipv6Addr;

use rv6_cores::shim6_wire::{
    Addr,
    VERIFY_CGA,
    VERIFY_HBA, //
};

use crate::cga::{
    self,
    CgaRefusal,
    PrivateKey,
    SignatureRefusal, //
};
use crate::hba::{
    self,
    HbaRefusal, //
};
use crate::params::{
    CgaParams,
    ParseError, //
};

/// The 128-bit CGA Message Type tag of Shim6 (§5.15.5, IANA's "CGA
/// Message Type Name Space"): 0x4A30 5662 4858 574B 3655 416F 506A 6D48.
pub const CGA_TYPE_TAG: [u8; 16] = [
    0x4a, 0x30, 0x56, 0x62, 0x48, 0x58, 0x57, 0x4b, 0x36, 0x55, 0x41, 0x6f, 0x50, 0x6a, 0x6d, 0x48,
];

/// A Locator List option's content (§5.15.2): its generation, and each
/// locator with its verification method, in order.
#[derive(Clone, Copy, Debug)]
pub struct LocatorList<'a> {
    pub generation: u32,
    pub locators: &'a [Addr],
    /// One octet per locator: [`VERIFY_HBA`], [`VERIFY_CGA`], or another.
    pub methods: &'a [u8],
}

/// Why a peer's locators are refused: `why`, and `locator`, the index of
/// the locator whose verification method failed, if it is one locator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub locator: Option<usize>,
    pub why: Why,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The CGA Parameter Data Structure does not parse.
    Malformed(ParseError),
    /// The structure is not ULID(peer)'s: no Multi-Prefix extension, and
    /// the ULID is not its CGA.
    UlidNotCga(CgaRefusal),
    /// The ULID is not in the structure's HBA set.
    UlidNotInSet(HbaRefusal),
    /// The list has not one method per locator.
    MethodCount,
    /// A verification method this host does not know (§7.2).
    UnknownMethod(u8),
    /// HBA, but the structure has no Multi-Prefix extension (§7.2's
    /// example of a method not consistent with it).
    NoHbaSet,
    /// CGA, but the structure's Public Key field holds an HBA nonce (P
    /// flag clear): nothing can sign for it.
    NoPublicKey,
    /// HBA, and the locator is not in the set (RFC 5535 §7.2).
    NotInHbaSet(HbaRefusal),
    /// CGA, and the message has no CGA Signature option (§5.15.5).
    NoSignature,
    /// CGA, and the CGA Signature does not verify (RFC 3972 §6).
    Signature(SignatureRefusal),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(i) = self.locator {
            write!(f, "locator {i}: ")?;
        }
        match &self.why {
            Why::Malformed(e) => write!(f, "the CGA Parameter Data Structure: {e}"),
            Why::UlidNotCga(e) => write!(f, "the ULID: {e}"),
            Why::UlidNotInSet(e) => write!(f, "the ULID: {e}"),
            Why::MethodCount => f.write_str("not one verification method per locator"),
            Why::UnknownMethod(m) => write!(f, "verification method {m} is unknown"),
            Why::NoHbaSet => f.write_str("HBA, but the parameters define no HBA set"),
            Why::NoPublicKey => f.write_str("CGA, but the parameters hold no public key"),
            Why::NotInHbaSet(e) => write!(f, "{e}"),
            Why::NoSignature => f.write_str("CGA, but no CGA Signature came"),
            Why::Signature(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Refusal {}

fn refusal(locator: Option<usize>, why: Why) -> Refusal {
    Refusal { locator, why }
}

/// The octets a CGA Signature signs after the type tag (§5.15.5): the
/// Locator List Generation, then the locators whose method is CGA, in the
/// list's order.
pub fn signed_octets(list: &LocatorList<'_>) -> Vec<u8> {
    let mut out = list.generation.to_be_bytes().to_vec();
    for (l, _) in list
        .locators
        .iter()
        .zip(list.methods)
        .filter(|(_, m)| **m == VERIFY_CGA)
    {
        out.extend(l);
    }
    out
}

/// The CGA Signature option's content for `list` (§5.15.5), signed with
/// `key`, the private key of the CGA Parameter Data Structure sent with
/// it.
pub fn sign_locators(key: &PrivateKey, list: &LocatorList<'_>) -> Result<Vec<u8>, rsa::Error> {
    cga::sign(key, &CGA_TYPE_TAG, &signed_octets(list))
}

/// The structure corresponds to `ulid` (the peer's): it is in the HBA set
/// the structure defines, or, with no Multi-Prefix extension, its CGA.
pub fn verify_ulid(params: &CgaParams, ulid: &Addr) -> Result<(), Refusal> {
    let ulid = Ipv6Addr::from(*ulid);
    match params.multi_prefix() {
        Err(e) => Err(refusal(None, Why::Malformed(e))),
        Ok(Some(_)) => hba::verify(&ulid, params)
            .map(drop)
            .map_err(|e| refusal(None, Why::UlidNotInSet(e))),
        Ok(None) => cga::verify(&ulid, params)
            .map(drop)
            .map_err(|e| refusal(None, Why::UlidNotCga(e))),
    }
}

/// Verifies a peer's locators (§7.2): the CGA Parameter Data Structure
/// `pds` (the option's content) is `ulid`'s, every locator's method is
/// HBA or CGA and consistent with it, every HBA locator is in its set,
/// and, if any locator is CGA, `signature` (the CGA Signature option's
/// content) signs them under its key. The first failure, in that order.
pub fn verify_locators(
    pds: &[u8],
    ulid: &Addr,
    list: &LocatorList<'_>,
    signature: Option<&[u8]>,
) -> Result<(), Refusal> {
    let params = CgaParams::parse(pds).map_err(|e| refusal(None, Why::Malformed(e)))?;
    verify_ulid(&params, ulid)?;
    if list.methods.len() != list.locators.len() {
        return Err(refusal(None, Why::MethodCount));
    }
    let set = params.multi_prefix().expect("verify_ulid parsed it");
    // Every method known and consistent before any costlier check.
    for (i, m) in list.methods.iter().enumerate() {
        let why = match (*m, &set) {
            (VERIFY_HBA, None) => Why::NoHbaSet,
            (VERIFY_CGA, Some(s)) if !s.public_key => Why::NoPublicKey,
            (VERIFY_HBA | VERIFY_CGA, _) => continue,
            (other, _) => Why::UnknownMethod(other),
        };
        return Err(refusal(Some(i), why));
    }
    for (i, l) in list.locators.iter().enumerate() {
        if list.methods[i] == VERIFY_HBA {
            hba::verify(&Ipv6Addr::from(*l), &params)
                .map_err(|e| refusal(Some(i), Why::NotInHbaSet(e)))?;
        }
    }
    let Some(first_cga) = list.methods.iter().position(|m| *m == VERIFY_CGA) else {
        return Ok(());
    };
    let signature = signature.ok_or(refusal(Some(first_cga), Why::NoSignature))?;
    cga::verify_signature(
        &params.public_key,
        &CGA_TYPE_TAG,
        &signed_octets(list),
        signature,
    )
    .map_err(|e| refusal(Some(first_cga), Why::Signature(e)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cga::Sec;
    use crate::file;
    use crate::params::Prefix;

    const A: Prefix = [0x20, 0x01, 0x0d, 0xb8, 0, 0xa, 0, 0];
    const B: Prefix = [0x20, 0x01, 0x0d, 0xb8, 0, 0xb, 0, 0];
    const ELSEWHERE: Addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0xe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    /// A test key (tests/data: made for these tests, secret to nobody).
    pub(crate) fn key() -> PrivateKey {
        file::decode(include_str!("../tests/data/key1024.pem"))
            .unwrap()
            .key
            .unwrap()
    }

    fn other_key() -> PrivateKey {
        file::decode(include_str!("../tests/data/key2048.pem"))
            .unwrap()
            .key
            .unwrap()
    }

    fn octets(a: &Ipv6Addr) -> Addr {
        a.octets()
    }

    fn list<'a>(generation: u32, locators: &'a [Addr], methods: &'a [u8]) -> LocatorList<'a> {
        LocatorList {
            generation,
            locators,
            methods,
        }
    }

    /// An HBA-only set on A and B: its addresses, and A's parameters.
    fn hba_only() -> (Vec<Addr>, Vec<u8>) {
        let set = hba::generate_set(&[A, B], Sec::ZERO, None).unwrap();
        let addrs = set.addresses.iter().map(octets).collect();
        (addrs, set.params[0].to_bytes())
    }

    #[test]
    fn the_shim6_tag_is_rfc_5533s() {
        assert_eq!(
            CGA_TYPE_TAG,
            0x4A30_5662_4858_574B_3655_416F_506A_6D48u128.to_be_bytes()
        );
    }

    /// §5.15.5: the generation, then the CGA locators in list order; the
    /// HBA ones are not signed.
    #[test]
    fn the_signature_covers_the_generation_and_the_cga_locators_in_order() {
        let l = [[1; 16], [2; 16], [3; 16]];
        let octets = signed_octets(&list(
            0x0102_0304,
            &l,
            &[VERIFY_CGA, VERIFY_HBA, VERIFY_CGA],
        ));
        let mut want = vec![1, 2, 3, 4];
        want.extend([1; 16]);
        want.extend([3; 16]);
        assert_eq!(octets, want);
    }

    #[test]
    fn an_hba_set_verifies_every_locator_in_it() {
        let (addrs, pds) = hba_only();
        let methods = [VERIFY_HBA; 2];
        assert_eq!(
            verify_locators(&pds, &addrs[0], &list(7, &addrs, &methods), None),
            Ok(())
        );
        // From B's side too: the ULID is B's address, A's parameters.
        assert_eq!(
            verify_locators(&pds, &addrs[1], &list(7, &addrs, &methods), None),
            Ok(())
        );
        let with_stranger = [addrs[0], ELSEWHERE];
        assert_eq!(
            verify_locators(&pds, &addrs[0], &list(7, &with_stranger, &methods), None),
            Err(Refusal {
                locator: Some(1),
                why: Why::NotInHbaSet(HbaRefusal::PrefixNotInSet)
            })
        );
    }

    #[test]
    fn parameters_that_are_not_the_ulids_are_refused_naming_no_locator() {
        let (addrs, pds) = hba_only();
        let l = list(1, &addrs, &[VERIFY_HBA; 2]);
        assert_eq!(
            verify_locators(&pds, &ELSEWHERE, &l, None),
            Err(Refusal {
                locator: None,
                why: Why::UlidNotInSet(HbaRefusal::PrefixNotInSet)
            })
        );
        let (cga_addr, cga) =
            cga::generate(A, cga::public_key_der(&key()), vec![], Sec::ZERO).unwrap();
        let mut other = cga_addr.octets();
        other[15] ^= 1;
        assert_eq!(
            verify_ulid(&cga, &other),
            Err(Refusal {
                locator: None,
                why: Why::UlidNotCga(CgaRefusal::Hash1)
            })
        );
        assert_eq!(verify_ulid(&cga, &cga_addr.octets()), Ok(()));
        assert!(matches!(
            verify_locators(&pds[..30], &addrs[0], &l, None),
            Err(Refusal {
                locator: None,
                why: Why::Malformed(_)
            })
        ));
    }

    /// §7.2: a method the host does not know, or one the parameters cannot
    /// back, names the locator whose method octet it is.
    #[test]
    fn methods_unknown_or_inconsistent_name_their_locator() {
        let (addrs, pds) = hba_only();
        let two = |m0, m1| verify_locators(&pds, &addrs[0], &list(1, &addrs, &[m0, m1]), None);
        assert_eq!(
            two(VERIFY_HBA, 3),
            Err(Refusal {
                locator: Some(1),
                why: Why::UnknownMethod(3)
            })
        );
        assert_eq!(
            two(VERIFY_CGA, VERIFY_HBA),
            Err(Refusal {
                locator: Some(0),
                why: Why::NoPublicKey
            })
        );
        // Methods are checked before any locator is: locator 0 is not in
        // the set, but locator 1's method is unknown.
        let l = [ELSEWHERE, addrs[1]];
        assert_eq!(
            verify_locators(&pds, &addrs[0], &list(1, &l, &[VERIFY_HBA, 0]), None),
            Err(Refusal {
                locator: Some(1),
                why: Why::UnknownMethod(0)
            })
        );
        assert_eq!(
            verify_locators(&pds, &addrs[0], &list(1, &addrs, &[VERIFY_HBA]), None),
            Err(Refusal {
                locator: None,
                why: Why::MethodCount
            })
        );
        // A plain CGA defines no set for an HBA locator.
        let (cga_addr, cga) =
            cga::generate(A, cga::public_key_der(&key()), vec![], Sec::ZERO).unwrap();
        let l = [cga_addr.octets()];
        assert_eq!(
            verify_locators(&cga.to_bytes(), &l[0], &list(1, &l, &[VERIFY_HBA]), None),
            Err(Refusal {
                locator: Some(0),
                why: Why::NoHbaSet
            })
        );
    }

    /// A CGA's locators: any address, signed with the CGA's key.
    #[test]
    fn cga_locators_verify_with_the_signature_and_nothing_else() {
        let key = key();
        let (ulid, params) =
            cga::generate(A, cga::public_key_der(&key), vec![], Sec::ZERO).unwrap();
        let pds = params.to_bytes();
        let ulid = ulid.octets();
        let locators = [ulid, ELSEWHERE];
        let methods = [VERIFY_CGA; 2];
        let l = list(42, &locators, &methods);
        let signature = sign_locators(&key, &l).unwrap();
        assert_eq!(signature.len(), 128, "a 1024-bit key's signature");
        assert_eq!(verify_locators(&pds, &ulid, &l, Some(&signature)), Ok(()));
        let refused = |why| {
            Err(Refusal {
                locator: Some(0),
                why,
            })
        };
        assert_eq!(
            verify_locators(&pds, &ulid, &l, None),
            refused(Why::NoSignature)
        );
        let bad = Why::Signature(SignatureRefusal::Signature);
        // Another generation, another locator, another key.
        let newer = list(43, &locators, &methods);
        assert_eq!(
            verify_locators(&pds, &ulid, &newer, Some(&signature)),
            refused(bad)
        );
        let moved = [ulid, [9; 16]];
        let moved = list(42, &moved, &methods);
        assert_eq!(
            verify_locators(&pds, &ulid, &moved, Some(&signature)),
            refused(bad)
        );
        let forged = sign_locators(&other_key(), &l).unwrap();
        assert_eq!(
            verify_locators(&pds, &ulid, &l, Some(&forged)),
            refused(bad)
        );
    }

    /// A CGA-compatible HBA set: HBA locators by the set, CGA locators by
    /// the signature, which covers them alone.
    #[test]
    fn a_cga_compatible_set_takes_both_methods() {
        let key = key();
        let set = hba::generate_set(&[A, B], Sec::ZERO, Some(cga::public_key_der(&key))).unwrap();
        let pds = set.params[0].to_bytes();
        let ulid = set.addresses[0].octets();
        let locators = [ulid, set.addresses[1].octets(), ELSEWHERE];
        let methods = [VERIFY_HBA, VERIFY_HBA, VERIFY_CGA];
        let l = list(5, &locators, &methods);
        let signature = sign_locators(&key, &l).unwrap();
        assert_eq!(verify_locators(&pds, &ulid, &l, Some(&signature)), Ok(()));
        assert_eq!(
            verify_locators(&pds, &ulid, &l, None),
            Err(Refusal {
                locator: Some(2),
                why: Why::NoSignature
            })
        );
    }

    /// RFC 5533 §16: fewer than 1024 bits is refused before any RSA.
    #[test]
    fn keys_shorter_than_1024_bits_sign_for_nothing() {
        let (_, spki) =
            pem_rfc7468::decode_vec(include_bytes!("../tests/data/pub768.pem")).unwrap();
        let (ulid, params) = cga::generate(A, spki, vec![], Sec::ZERO).unwrap();
        let locators = [ulid.octets()];
        let l = list(1, &locators, &[VERIFY_CGA]);
        assert_eq!(
            verify_locators(&params.to_bytes(), &locators[0], &l, Some(&[0; 96])),
            Err(Refusal {
                locator: Some(0),
                why: Why::Signature(SignatureRefusal::KeyTooShort(768))
            })
        );
    }
}
