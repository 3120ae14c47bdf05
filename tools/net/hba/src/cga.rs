//! Cryptographically Generated Addresses (RFC 3972): the Sec parameter,
//! Hash1 and Hash2 (§3), generation (§4) and verification (§5), and the
//! RSA keys they bind (§3: rsaEncryption SubjectPublicKeyInfo).
//!
//! Sec is also the hash algorithm since RFC 4982 (IANA's "CGA SEC"
//! registry): 0, 1 and 2 are SHA-1 with 0, 16 and 32 zero bits of Hash2;
//! 3 to 7 are unassigned, so neither generated nor verified (RFC 5535 §6,
//! §7 say the same of HBAs).

use std::fmt;
use std::net::Ipv6Addr;

use rsa::pkcs8::EncodePublicKey;
use sha1::{
    Digest,
    Sha1, //
};

use crate::params::{
    encode_extensions,
    CgaParams,
    Extension,
    Prefix, //
};

pub use rsa::PrivateKey;

/// The smallest RSA key this crate makes or accepts for signatures: RFC
/// 5533 §16 wants at least 1024 bits for the CGAs of Shim6.
pub const MIN_KEY_BITS: usize = 1024;

/// The key size [`new_key`] makes by default.
pub const DEFAULT_KEY_BITS: usize = 2048;

/// The security parameter: 0, 1 or 2 (RFC 4982's registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sec(u8);

/// Why a number is not a [`Sec`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecError {
    /// 3 to 7: a 3-bit value without a generation procedure (RFC 4982 §5).
    Unassigned(u8),
    /// More than 3 bits.
    TooLarge(u8),
}

impl fmt::Display for SecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecError::Unassigned(v) => write!(
                f,
                "Sec {v} is unassigned in the CGA SEC registry (RFC 4982): 0, 1 or 2"
            ),
            SecError::TooLarge(v) => write!(f, "Sec {v} is not a 3-bit value: 0, 1 or 2"),
        }
    }
}

impl std::error::Error for SecError {}

impl Sec {
    pub const ZERO: Sec = Sec(0);
    pub const ONE: Sec = Sec(1);
    pub const TWO: Sec = Sec(2);

    pub fn new(v: u8) -> Result<Sec, SecError> {
        match v {
            0..=2 => Ok(Sec(v)),
            3..=7 => Err(SecError::Unassigned(v)),
            _ => Err(SecError::TooLarge(v)),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The three leftmost bits of an interface identifier (§5 step 5).
    fn of_interface_id(iid: &[u8; 8]) -> Result<Sec, SecError> {
        Sec::new(iid[0] >> 5)
    }

    /// Whether the 16 * Sec leftmost bits of `hash2` are zero (§4 step 3,
    /// §5 step 7).
    fn accepts(self, hash2: &[u8; 14]) -> bool {
        hash2[..2 * usize::from(self.0)].iter().all(|b| *b == 0)
    }
}

/// Why an address is not the CGA of a CGA Parameters data structure: the
/// step of RFC 3972 §5 that failed, in their order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CgaRefusal {
    /// Step 1: the collision count is not 0, 1 or 2.
    CollisionCount(u8),
    /// Step 2: the structure's subnet prefix is not the address's.
    SubnetPrefix,
    /// Steps 3-4: Hash1 is not the interface identifier (the Sec and u/g
    /// bits aside).
    Hash1,
    /// Step 5, after RFC 4982: the address's Sec has no procedure.
    Sec(SecError),
    /// Steps 6-7: the 16 * Sec leftmost bits of Hash2 are not zero.
    Hash2,
}

impl fmt::Display for CgaRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CgaRefusal::CollisionCount(c) => write!(
                f,
                "the collision count is {c}, not 0, 1 or 2 (RFC 3972 §5 step 1)"
            ),
            CgaRefusal::SubnetPrefix => write!(
                f,
                "the parameters' subnet prefix is not the address's (RFC 3972 §5 step 2)"
            ),
            CgaRefusal::Hash1 => write!(
                f,
                "Hash1 of the parameters is not the interface identifier (RFC 3972 §5 step 4)"
            ),
            CgaRefusal::Sec(e) => write!(f, "{e} (RFC 3972 §5 step 5)"),
            CgaRefusal::Hash2 => write!(
                f,
                "the 16*Sec leftmost bits of Hash2 are not zero (RFC 3972 §5 step 7)"
            ),
        }
    }
}

impl std::error::Error for CgaRefusal {}

/// Why generation failed.
#[derive(Debug)]
pub enum GenerateError {
    /// The operating system gave no random numbers.
    Random(getrandom::Error),
    /// The key could not be made or encoded.
    Key(String),
    /// Three address collisions already (§4 step 8), or a prefix set an
    /// HBA set cannot have (RFC 5535).
    Refused(&'static str),
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::Random(e) => write!(f, "no random numbers: {e}"),
            GenerateError::Key(e) => write!(f, "the key: {e}"),
            GenerateError::Refused(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for GenerateError {}

impl From<getrandom::Error> for GenerateError {
    fn from(e: getrandom::Error) -> Self {
        GenerateError::Random(e)
    }
}

/// Hash1 (§3): the 64 leftmost bits of SHA-1 over the whole structure.
pub fn hash1(params: &CgaParams) -> [u8; 8] {
    let digest = Sha1::digest(params.to_bytes());
    digest[..8].try_into().expect("8 octets")
}

/// Hash2 (§3): the 112 leftmost bits of SHA-1 over the modifier, nine zero
/// octets (subnet prefix and collision count), the public key and the
/// extension fields.
pub fn hash2(modifier: &[u8; 16], public_key: &[u8], extensions: &[u8]) -> [u8; 14] {
    let digest = Sha1::new()
        .chain_update(modifier)
        .chain_update([0; 9])
        .chain_update(public_key)
        .chain_update(extensions)
        .finalize();
    digest[..14].try_into().expect("14 octets")
}

/// The interface identifier from Hash1 (§4 step 6): Sec in the three
/// leftmost bits, bits 6 and 7 (u and g) zero.
pub fn interface_id(hash1: [u8; 8], sec: Sec) -> [u8; 8] {
    let mut iid = hash1;
    iid[0] = (sec.0 << 5) | (iid[0] & 0x1c);
    iid
}

/// `prefix` and `iid` as an address (§4 step 7).
pub fn address(prefix: &Prefix, iid: &[u8; 8]) -> Ipv6Addr {
    let mut a = [0; 16];
    a[..8].copy_from_slice(prefix);
    a[8..].copy_from_slice(iid);
    Ipv6Addr::from(a)
}

/// The leftmost 64 bits of `addr`.
pub fn prefix_of(addr: &Ipv6Addr) -> Prefix {
    addr.octets()[..8].try_into().expect("8 octets")
}

/// Steps 2-3 of §4: from `modifier` on, the first modifier, incremented
/// by one as a 128-bit big-endian integer, whose Hash2 has its 16 * Sec
/// leftmost bits zero. O(2^(16 * Sec)) tries.
pub fn find_modifier(
    modifier: [u8; 16],
    public_key: &[u8],
    extensions: &[Extension],
    sec: Sec,
) -> [u8; 16] {
    let extensions = encode_extensions(extensions);
    let mut m = u128::from_be_bytes(modifier);
    loop {
        let bytes = m.to_be_bytes();
        if sec.accepts(&hash2(&bytes, public_key, &extensions)) {
            return bytes;
        }
        m = m.wrapping_add(1);
    }
}

/// Steps 4-7 and 9 of §4, for a modifier found: the address and its CGA
/// Parameters with `collision_count`.
pub fn with_modifier(
    modifier: [u8; 16],
    prefix: Prefix,
    collision_count: u8,
    public_key: Vec<u8>,
    extensions: Vec<Extension>,
    sec: Sec,
) -> (Ipv6Addr, CgaParams) {
    let params = CgaParams {
        modifier,
        subnet_prefix: prefix,
        collision_count,
        public_key,
        extensions,
    };
    let iid = interface_id(hash1(&params), sec);
    (address(&prefix, &iid), params)
}

/// A CGA on `prefix` for `public_key` (a DER SubjectPublicKeyInfo) with
/// `extensions` (§4): a random modifier, then the search for Sec, then
/// collision count 0.
pub fn generate(
    prefix: Prefix,
    public_key: Vec<u8>,
    extensions: Vec<Extension>,
    sec: Sec,
) -> Result<(Ipv6Addr, CgaParams), GenerateError> {
    let mut start = [0; 16];
    getrandom::fill(&mut start)?;
    let modifier = find_modifier(start, &public_key, &extensions, sec);
    Ok(with_modifier(
        modifier, prefix, 0, public_key, extensions, sec,
    ))
}

/// Step 8 of §4: duplicate address detection found the address of
/// `params` taken; the next collision count's. After three collisions
/// (count 2 taken), stop.
pub fn after_collision(
    params: &CgaParams,
    sec: Sec,
) -> Result<(Ipv6Addr, CgaParams), GenerateError> {
    if params.collision_count >= 2 {
        return Err(GenerateError::Refused(
            "three address collisions: stop (RFC 3972 §4 step 8)",
        ));
    }
    Ok(with_modifier(
        params.modifier,
        params.subnet_prefix,
        params.collision_count + 1,
        params.public_key.clone(),
        params.extensions.clone(),
        sec,
    ))
}

/// CGA verification (§5), each step in order, the first failure ending
/// it: `addr` is the CGA of `params`. Its Sec if so.
pub fn verify(addr: &Ipv6Addr, params: &CgaParams) -> Result<Sec, CgaRefusal> {
    if params.collision_count > 2 {
        return Err(CgaRefusal::CollisionCount(params.collision_count));
    }
    if params.subnet_prefix != prefix_of(addr) {
        return Err(CgaRefusal::SubnetPrefix);
    }
    let iid: [u8; 8] = addr.octets()[8..].try_into().expect("8 octets");
    let h1 = hash1(params);
    // Mask1 (§2): the Sec bits and u/g ignored.
    let masked = |x: &[u8; 8]| u64::from_be_bytes(*x) & 0x1cff_ffff_ffff_ffff;
    if masked(&h1) != masked(&iid) {
        return Err(CgaRefusal::Hash1);
    }
    let sec = Sec::of_interface_id(&iid).map_err(CgaRefusal::Sec)?;
    let h2 = hash2(
        &params.modifier,
        &params.public_key,
        &encode_extensions(&params.extensions),
    );
    if !sec.accepts(&h2) {
        return Err(CgaRefusal::Hash2);
    }
    Ok(sec)
}

/// A new RSA key of `bits` (at least [`MIN_KEY_BITS`]), exponent 65537,
/// from the operating system's random numbers.
pub fn new_key(bits: usize) -> Result<PrivateKey, GenerateError> {
    if bits < MIN_KEY_BITS {
        return Err(GenerateError::Refused(
            "an RSA key of Shim6's CGAs has at least 1024 bits (RFC 5533 §16)",
        ));
    }
    PrivateKey::new(&mut getrandom::SysRng, bits).map_err(|e| GenerateError::Key(e.to_string()))
}

/// `key`'s public half as the Public Key field wants it (§3): a DER
/// SubjectPublicKeyInfo of rsaEncryption (NULL parameters) holding an
/// RSAPublicKey.
pub fn public_key_der(key: &PrivateKey) -> Vec<u8> {
    key.to_public_key()
        .to_public_key_der()
        .expect("an RSA public key encodes")
        .into_vec()
}

/// Why a CGA signature (§6) is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureRefusal {
    /// The Public Key field is no RSA key this crate takes (rsaEncryption,
    /// 1024 to 8192 bits).
    Key,
    /// The key has fewer than [`MIN_KEY_BITS`] bits.
    KeyTooShort(usize),
    /// RSASSA-PKCS1-v1_5 with SHA-1 says no.
    Signature,
}

impl fmt::Display for SignatureRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureRefusal::Key => f.write_str("the parameters' public key is no usable RSA key"),
            SignatureRefusal::KeyTooShort(bits) => write!(
                f,
                "the parameters' RSA key has {bits} bits, fewer than 1024 (RFC 5533 §16)"
            ),
            SignatureRefusal::Signature => {
                f.write_str("the signature does not verify (RSASSA-PKCS1-v1_5, SHA-1)")
            }
        }
    }
}

impl std::error::Error for SignatureRefusal {}

/// The modulus length in bits of `public_key`, a DER SubjectPublicKeyInfo
/// holding an RSAPublicKey (an HBA nonce's too); `None` if it holds none.
pub fn key_bits(public_key: &[u8]) -> Option<usize> {
    let spki: spki::SubjectPublicKeyInfoRef<'_> = der::Decode::from_der(public_key).ok()?;
    if spki.algorithm.oid != pkcs1::ALGORITHM_OID {
        return None;
    }
    let rsa_key: pkcs1::RsaPublicKeyRef<'_> =
        der::Decode::from_der(spki.subject_public_key.as_bytes()?).ok()?;
    let modulus = rsa_key.modulus.as_bytes();
    let top = modulus.first().map_or(8, |b| b.leading_zeros() as usize);
    Some(modulus.len() * 8 - top)
}

/// A CGA signature (§6): RSASSA-PKCS1-v1_5 with SHA-1 over the 128-bit
/// type `tag` followed by `message`.
pub fn sign(key: &PrivateKey, tag: &[u8; 16], message: &[u8]) -> Result<Vec<u8>, rsa::Error> {
    let mut signed = Vec::with_capacity(16 + message.len());
    signed.extend(tag);
    signed.extend(message);
    key.pkcs1v15_sign::<Sha1>(&signed)
}

/// The RSA half of §6's verification: `signature` is the signature of
/// `tag` and `message` by the key of `public_key` (a DER
/// SubjectPublicKeyInfo). That the address is the key's CGA is
/// [`verify`]'s, and the caller's to check first.
pub fn verify_signature(
    public_key: &[u8],
    tag: &[u8; 16],
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureRefusal> {
    let bits = key_bits(public_key).ok_or(SignatureRefusal::Key)?;
    if bits < MIN_KEY_BITS {
        return Err(SignatureRefusal::KeyTooShort(bits));
    }
    let spki: spki::SubjectPublicKeyInfoRef<'_> =
        der::Decode::from_der(public_key).map_err(|_| SignatureRefusal::Key)?;
    let key = rsa::PublicKey::try_from(spki).map_err(|_| SignatureRefusal::Key)?;
    let mut signed = Vec::with_capacity(16 + message.len());
    signed.extend(tag);
    signed.extend(message);
    key.pkcs1v15_verify::<Sha1>(&signed, signature)
        .map_err(|_| SignatureRefusal::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::small_spki;

    const PREFIX: Prefix = [0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02];

    fn generated(sec: Sec) -> (Ipv6Addr, CgaParams) {
        generate(PREFIX, small_spki(), vec![], sec).unwrap()
    }

    #[test]
    fn sec_is_0_1_or_2_and_3_to_7_are_unassigned() {
        assert_eq!(Sec::new(2).map(Sec::get), Ok(2));
        for v in 3..=7 {
            assert_eq!(Sec::new(v), Err(SecError::Unassigned(v)));
        }
        assert_eq!(Sec::new(8), Err(SecError::TooLarge(8)));
    }

    /// §4 steps 6-7: the prefix, then Hash1 with Sec on top and u/g clear.
    #[test]
    fn the_address_is_the_prefix_and_hash1_with_sec_and_u_g_cleared() {
        for sec in [Sec::ZERO, Sec::ONE] {
            let (addr, params) = generated(sec);
            let o = addr.octets();
            assert_eq!(o[..8], PREFIX);
            assert_eq!(o[8] >> 5, sec.get());
            assert_eq!(o[8] & 0x03, 0, "u and g");
            let h1 = hash1(&params);
            assert_eq!(o[8] & 0x1c, h1[0] & 0x1c);
            assert_eq!(o[9..], h1[1..]);
            assert_eq!(params.collision_count, 0);
            assert_eq!(verify(&addr, &params), Ok(sec));
        }
    }

    /// Sec 1: 16 zero bits of Hash2, found by incrementing the modifier.
    #[test]
    fn sec_1_searches_the_modifier_for_16_zero_bits_of_hash2() {
        let start = [0xff; 16];
        let m = find_modifier(start, &small_spki(), &[], Sec::ONE);
        let h2 = hash2(&m, &small_spki(), &[]);
        assert_eq!(h2[..2], [0, 0]);
        // The first such one from `start`, wrapping past 2^128 - 1.
        let first = u128::from_be_bytes(m).wrapping_sub(u128::MAX);
        assert!(first <= 1 << 22, "{first} tries");
        for n in 0..first {
            let earlier = n.wrapping_add(u128::MAX).to_be_bytes();
            assert_ne!(hash2(&earlier, &small_spki(), &[])[..2], [0, 0]);
        }
        // Sec 0 takes the modifier as it is.
        assert_eq!(find_modifier(start, &small_spki(), &[], Sec::ZERO), start);
    }

    /// §5, step by step: each check refuses what it is there for, in order.
    #[test]
    fn each_verification_step_refuses_its_own_failure() {
        let (addr, params) = generated(Sec::ONE);
        let bad = |f: &dyn Fn(&mut CgaParams)| {
            let mut p = params.clone();
            f(&mut p);
            verify(&addr, &p)
        };
        // Step 1 before step 2: both wrong, the collision count is named.
        assert_eq!(
            bad(&|p| {
                p.collision_count = 3;
                p.subnet_prefix[0] ^= 1;
            }),
            Err(CgaRefusal::CollisionCount(3))
        );
        assert_eq!(
            bad(&|p| p.subnet_prefix[7] ^= 1),
            Err(CgaRefusal::SubnetPrefix)
        );
        assert_eq!(bad(&|p| p.modifier[15] ^= 1), Err(CgaRefusal::Hash1));
        assert_eq!(bad(&|p| p.collision_count = 1), Err(CgaRefusal::Hash1));
        assert_eq!(
            bad(&|p| p.extensions.push(Extension {
                kind: 0xfffe,
                data: vec![]
            })),
            Err(CgaRefusal::Hash1),
            "unknown extensions are hashed"
        );
        // The ignored bits: Sec lowered, u and g set.
        let mut o = addr.octets();
        o[8] = (o[8] & 0x1f) | 0x03;
        assert_eq!(verify(&Ipv6Addr::from(o), &params), Ok(Sec::ZERO));
        // Sec raised: step 5 (3 to 7 unassigned), or step 7 (Hash2).
        o[8] = (o[8] & 0x1f) | (3 << 5);
        assert_eq!(
            verify(&Ipv6Addr::from(o), &params),
            Err(CgaRefusal::Sec(SecError::Unassigned(3)))
        );
        let (addr0, params0) = loop {
            // A Sec 0 CGA whose Hash2 does not happen to start with 16
            // zero bits (all but 1 in 65536).
            let g = generated(Sec::ZERO);
            let h2 = hash2(&g.1.modifier, &g.1.public_key, &[]);
            if h2[..2] != [0, 0] {
                break g;
            }
        };
        let mut o = addr0.octets();
        o[8] |= 1 << 5;
        assert_eq!(verify(&Ipv6Addr::from(o), &params0), Err(CgaRefusal::Hash2));
    }

    #[test]
    fn collisions_count_up_to_two_then_stop() {
        let (addr, params) = generated(Sec::ZERO);
        let (a1, p1) = after_collision(&params, Sec::ZERO).unwrap();
        let (a2, p2) = after_collision(&p1, Sec::ZERO).unwrap();
        assert_eq!((p1.collision_count, p2.collision_count), (1, 2));
        assert!(addr != a1 && a1 != a2);
        assert_eq!(p2.modifier, params.modifier);
        assert_eq!(verify(&a2, &p2), Ok(Sec::ZERO));
        assert!(matches!(
            after_collision(&p2, Sec::ZERO),
            Err(GenerateError::Refused(_))
        ));
    }

    /// Sec 2's search takes 2^32 tries on average: its mask alone here.
    #[test]
    fn sec_2_wants_32_zero_bits_of_hash2() {
        let mut h2 = [0xff; 14];
        h2[..4].fill(0);
        assert!(Sec::TWO.accepts(&h2) && Sec::ONE.accepts(&h2));
        h2[3] = 1;
        assert!(!Sec::TWO.accepts(&h2) && Sec::ONE.accepts(&h2));
        assert!(Sec::ZERO.accepts(&[0xff; 14]));
    }

    #[test]
    fn key_bits_are_the_modulus_length() {
        let key = crate::shim6::tests::key();
        assert_eq!(key_bits(&public_key_der(&key)), Some(1024));
        assert_eq!(
            key_bits(&small_spki()),
            Some(383),
            "0x5a... starts with a 0 bit"
        );
        assert_eq!(key_bits(&[0x30, 0]), None);
    }

    #[test]
    fn keys_below_1024_bits_are_not_made() {
        assert!(matches!(new_key(512), Err(GenerateError::Refused(_))));
    }
}
