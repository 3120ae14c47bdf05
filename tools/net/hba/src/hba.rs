//! Hash-Based Addresses (RFC 5535): an HBA set, one address per prefix,
//! all bound to the set through the Multi-Prefix extension of their CGA
//! Parameters (§6), and the check that an address belongs to the set a
//! CGA Parameters data structure defines (§7.2).
//!
//! With a public key, the set is CGA-compatible (§4 "CGA/HBA addresses",
//! P flag set): each address is also the CGA of its own parameters and
//! can sign. Without one, the Public Key field holds the Extended Modifier
//! (§6 step 2): 384 random bits dressed as an rsaEncryption key, whose
//! RSAPublicKey has the nonce as modulus and 65537 as exponent (the RFC
//! names the type, not the exponent; nothing ever computes with it).

use std::fmt;
use std::net::Ipv6Addr;

use der::{
    asn1::BitStringRef,
    Encode, //
};
use pkcs1::{
    RsaPublicKey,
    UintRef, //
};
use spki::SubjectPublicKeyInfoRef;

use crate::cga::{
    self,
    CgaRefusal,
    GenerateError,
    Sec, //
};
use crate::params::{
    CgaParams,
    MultiPrefix,
    ParseError,
    Prefix, //
};

/// The Extended Modifier's length: 384 bits (§4, §6 step 2).
pub const NONCE_LEN: usize = 48;

/// An HBA set: `addresses[i]` on `prefixes[i]`, with `params[i]` its CGA
/// Parameters (§6 step 6.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HbaSet {
    pub addresses: Vec<Ipv6Addr>,
    pub params: Vec<CgaParams>,
}

/// Why an address is not in the HBA set of a CGA Parameters data
/// structure (§7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HbaRefusal {
    /// The structure has no Multi-Prefix extension: it defines no set.
    NoMultiPrefix,
    /// Its Multi-Prefix extension does not parse.
    Malformed(ParseError),
    /// Step 1: the address's prefix is not among the extension's.
    PrefixNotInSet,
    /// Step 2: RFC 3972 §5 with the address's prefix put in.
    Cga(CgaRefusal),
}

impl fmt::Display for HbaRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HbaRefusal::NoMultiPrefix => {
                f.write_str("the parameters have no Multi-Prefix extension: they define no HBA set")
            }
            HbaRefusal::Malformed(e) => write!(f, "the Multi-Prefix extension: {e}"),
            HbaRefusal::PrefixNotInSet => f.write_str(
                "the address's prefix is not in the Multi-Prefix extension (RFC 5535 §7.2 step 1)",
            ),
            HbaRefusal::Cga(e) => {
                write!(
                    f,
                    "with the address's prefix put in (RFC 5535 §7.2 step 2), {e}"
                )
            }
        }
    }
}

impl std::error::Error for HbaRefusal {}

/// `nonce` as the Public Key field of an HBA-only set (§6): a DER
/// SubjectPublicKeyInfo of rsaEncryption whose RSAPublicKey's modulus is
/// the nonce (its leading zero octets dropped, as DER's INTEGER does),
/// exponent 65537.
pub fn nonce_public_key(nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
    let exponent = [0x01, 0x00, 0x01];
    let rsa_key = RsaPublicKey {
        modulus: UintRef::new(nonce).expect("48 octets are an INTEGER"),
        public_exponent: UintRef::new(&exponent).expect("65537"),
    }
    .to_der()
    .expect("an RSAPublicKey encodes");
    SubjectPublicKeyInfoRef {
        algorithm: pkcs1::ALGORITHM_ID,
        subject_public_key: BitStringRef::from_bytes(&rsa_key).expect("a BIT STRING"),
    }
    .to_der()
    .expect("a SubjectPublicKeyInfo encodes")
}

/// An HBA set on `prefixes` (§6): CGA-compatible with `public_key` (a DER
/// SubjectPublicKeyInfo), HBA-only with a random Extended Modifier
/// without. Every address with collision count 0.
pub fn generate_set(
    prefixes: &[Prefix],
    sec: Sec,
    public_key: Option<Vec<u8>>,
) -> Result<HbaSet, GenerateError> {
    if prefixes.is_empty() || prefixes.len() > MultiPrefix::MAX_PREFIXES {
        return Err(GenerateError::Refused(
            "an HBA set has 1 to 8191 prefixes (RFC 5535 §5)",
        ));
    }
    if (1..prefixes.len()).any(|i| prefixes[..i].contains(&prefixes[i])) {
        return Err(GenerateError::Refused("an HBA set has each prefix once"));
    }
    // Step 1: the Multi-Prefix extension, P set if there is a key.
    let extensions = vec![MultiPrefix {
        public_key: public_key.is_some(),
        prefixes: prefixes.to_vec(),
    }
    .to_extension()];
    // Step 2: the modifier, and the Extended Modifier if no key.
    let public_key = match public_key {
        Some(k) => k,
        None => {
            let mut nonce = [0; NONCE_LEN];
            getrandom::fill(&mut nonce)?;
            nonce_public_key(&nonce)
        }
    };
    let mut start = [0; 16];
    getrandom::fill(&mut start)?;
    // Steps 3-4: Hash2 over the key (or nonce) and the extension.
    let modifier = cga::find_modifier(start, &public_key, &extensions, sec);
    // Steps 5-6: one address per prefix, collision count 0.
    let (addresses, params) = prefixes
        .iter()
        .map(|p| cga::with_modifier(modifier, *p, 0, public_key.clone(), extensions.clone(), sec))
        .unzip();
    Ok(HbaSet { addresses, params })
}

/// HBA verification (§7.2): `addr` belongs to the HBA set `params`
/// defines (whichever address of the set they are for). Its Sec if so.
pub fn verify(addr: &Ipv6Addr, params: &CgaParams) -> Result<Sec, HbaRefusal> {
    let set = params
        .multi_prefix()
        .map_err(HbaRefusal::Malformed)?
        .ok_or(HbaRefusal::NoMultiPrefix)?;
    // Step 1: the prefix is in the set, and goes into the Subnet Prefix.
    let prefix = cga::prefix_of(addr);
    if !set.prefixes.contains(&prefix) {
        return Err(HbaRefusal::PrefixNotInSet);
    }
    let mut theirs = params.clone();
    theirs.subnet_prefix = prefix;
    // Step 2: RFC 3972 §5 (whose step 2 now always succeeds).
    cga::verify(addr, &theirs).map_err(HbaRefusal::Cga)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::small_spki;

    const A: Prefix = [0x20, 0x01, 0x0d, 0xb8, 0, 0xa, 0, 0];
    const B: Prefix = [0x20, 0x01, 0x0d, 0xb8, 0, 0xb, 0, 0];
    const C: Prefix = [0x20, 0x01, 0x0d, 0xb8, 0, 0xc, 0, 0];

    /// §6: every address verifies against every address's parameters
    /// (§7.2), and against its own as a CGA (§7.1).
    #[test]
    fn every_address_of_a_set_verifies_against_every_member() {
        for (sec, key) in [(Sec::ZERO, None), (Sec::ONE, Some(small_spki()))] {
            let set = generate_set(&[A, B, C], sec, key.clone()).unwrap();
            assert_eq!(set.addresses.len(), 3);
            for (i, addr) in set.addresses.iter().enumerate() {
                assert_eq!(cga::prefix_of(addr), [A, B, C][i]);
                assert_eq!(cga::verify(addr, &set.params[i]), Ok(sec));
                for p in &set.params {
                    assert_eq!(verify(addr, p), Ok(sec));
                }
            }
            // One modifier, one key or nonce, one extension for the set.
            let mp = set.params[0].multi_prefix().unwrap().unwrap();
            assert_eq!(mp.prefixes, [A, B, C]);
            assert_eq!(mp.public_key, key.is_some());
            assert!(set
                .params
                .iter()
                .all(|p| p.modifier == set.params[0].modifier
                    && p.public_key == set.params[0].public_key
                    && p.extensions == set.params[0].extensions));
            if let Some(k) = key {
                assert_eq!(set.params[0].public_key, k);
            }
        }
    }

    /// §6 step 2: the Extended Modifier is random, 384 bits, an
    /// rsaEncryption SubjectPublicKeyInfo.
    #[test]
    fn hba_only_sets_carry_a_fresh_384_bit_nonce_as_their_key() {
        let one = generate_set(&[A], Sec::ZERO, None).unwrap();
        let two = generate_set(&[A], Sec::ZERO, None).unwrap();
        assert_ne!(one.params[0].public_key, two.params[0].public_key);
        let key = &one.params[0].public_key;
        let spki: SubjectPublicKeyInfoRef<'_> = der::Decode::from_der(key).unwrap();
        assert_eq!(spki.algorithm.oid, pkcs1::ALGORITHM_OID);
        let rsa: pkcs1::RsaPublicKeyRef<'_> =
            der::Decode::from_der(spki.subject_public_key.raw_bytes()).unwrap();
        assert!(rsa.modulus.as_bytes().len() <= NONCE_LEN);
        assert!(rsa.modulus.as_bytes().len() >= NONCE_LEN - 4);
        assert_eq!(rsa.public_exponent.as_bytes(), [1, 0, 1]);
    }

    #[test]
    fn addresses_outside_the_set_are_refused_at_the_step_that_says_so() {
        let set = generate_set(&[A, B], Sec::ZERO, None).unwrap();
        let mut outside = set.addresses[0].octets();
        outside[..8].copy_from_slice(&C);
        assert_eq!(
            verify(&Ipv6Addr::from(outside), &set.params[1]),
            Err(HbaRefusal::PrefixNotInSet)
        );
        // In the set's prefixes, but another interface identifier: B's
        // address with A's identifier.
        let mut wrong_iid = set.addresses[1].octets();
        wrong_iid[8..].copy_from_slice(&set.addresses[0].octets()[8..]);
        assert_eq!(
            verify(&Ipv6Addr::from(wrong_iid), &set.params[0]),
            Err(HbaRefusal::Cga(CgaRefusal::Hash1))
        );
        let mut bad_count = set.params[0].clone();
        bad_count.collision_count = 7;
        assert_eq!(
            verify(&set.addresses[0], &bad_count),
            Err(HbaRefusal::Cga(CgaRefusal::CollisionCount(7)))
        );
        // A plain CGA's parameters define no set.
        let (addr, plain) = cga::generate(A, small_spki(), vec![], Sec::ZERO).unwrap();
        assert_eq!(verify(&addr, &plain), Err(HbaRefusal::NoMultiPrefix));
        // A set whose prefix list was changed no longer hashes the same.
        let mut widened = set.params[0].clone();
        widened.extensions = vec![MultiPrefix {
            public_key: false,
            prefixes: vec![A, B, C],
        }
        .to_extension()];
        assert_eq!(
            verify(&set.addresses[0], &widened),
            Err(HbaRefusal::Cga(CgaRefusal::Hash1))
        );
    }

    #[test]
    fn sets_without_prefixes_or_with_one_twice_are_not_made() {
        for prefixes in [&[][..], &[A, B, A][..]] {
            assert!(matches!(
                generate_set(prefixes, Sec::ZERO, None),
                Err(GenerateError::Refused(_))
            ));
        }
    }
}
