//! What binds locators to a ULID (RFC 5533 §7.2): this host's HBA set (RFC
//! 5535) or CGA (RFC 3972), which its Locator Lists carry, and the checks
//! of a peer's, through the `rv6-hba` crate.
//!
//! Ours ([`Binding`]): the CGA Parameters that `rv6 shim6 hba|cga generate
//! ... out FILE` writes, one block per address, and the key, if any.  A
//! locator in the HBA set says HBA; any other says CGA and is signed by the
//! key (a CGA, or a CGA-compatible HBA set: P flag set); without a key, a
//! host has no locator outside its set.  Each list goes with the CGA
//! Parameter Data Structure of the ULID (§5.15.4: for an HBA set, its
//! Multi-Prefix extension names every prefix) and, when a locator is CGA,
//! the CGA Signature over the generation and the CGA locators (§5.15.5)
//! ([`Binding::list`]).
//!
//! The peer's ([`check_peer`]): a structure carried must correspond to
//! ULID(peer) (§7.13, §7.16, §7.20, §10.4: else the message is discarded
//! silently), and every locator of a list is verified by its method
//! against the structure carried, or the one the context recorded from an
//! earlier message (an Update Request need not repeat it); one that fails
//! is answered with an Error Message with code 2 pointing at its method
//! octet, and the message ignored (§5.15.2, §7.2).  With no structure at
//! all, a host that has an HBA set or CGA verifies nothing but the ULID
//! (which needs no verification, §7.2 speaks of locators "different from
//! the ULID"), and refuses the others; a host without one takes HBA and
//! CGA locators on trust, as before there was HBA in shim6d.

use std::fmt;
use std::net::Ipv6Addr;

use rv6_cores::shim6_wire::{
    Addr,
    VERIFY_CGA,
    VERIFY_HBA, //
};
use rv6_hba::cga::{
    self,
    Sec, //
};
use rv6_hba::shim6::{
    self,
    LocatorList, //
};
use rv6_hba::{
    file,
    hba,
    CgaParams,
    PrivateKey, //
};

/// What the parameters given are: an HBA set (`--hba`) or a CGA (`--cga`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Hba,
    Cga,
}

/// This host's HBA set or CGA: the CGA Parameters of each of its addresses
/// and the key that signs for CGA locators, if it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    kind: Kind,
    params: Vec<CgaParams>,
    key: Option<PrivateKey>,
}

/// Our Locator List as it goes out, with what verifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedList {
    pub generation: u32,
    pub locators: Vec<Addr>,
    /// One verification method per locator.
    pub methods: Vec<u8>,
    /// The CGA Parameter Data Structure option's contents.
    pub pds: Vec<u8>,
    /// The CGA Signature option's, when a locator is CGA.
    pub signature: Option<Vec<u8>>,
}

fn ip(a: &Addr) -> Ipv6Addr {
    Ipv6Addr::from(*a)
}

impl Binding {
    /// The binding of `kind` from a file's `contents`, the key being the
    /// file's or `key` (another file's).  Refused: no parameters, an HBA
    /// file whose blocks are not one set, a CGA file of more than one
    /// address, a CGA without its key, a key that is not the parameters'
    /// or is shorter than 1024 bits.
    pub fn new(
        kind: Kind,
        contents: file::Contents,
        key: Option<PrivateKey>,
    ) -> Result<Binding, String> {
        let file::Contents { params, key: own } = contents;
        let key = match (own, key) {
            (Some(_), Some(_)) => return Err("two private keys: the file's and --key".into()),
            (own, other) => own.or(other),
        };
        let Some(first) = params.first() else {
            return Err("no CGA PARAMETERS block".into());
        };
        let set = first
            .multi_prefix()
            .map_err(|e| format!("the Multi-Prefix extension: {e}"))?;
        match (kind, &set) {
            (Kind::Hba, None) => {
                return Err("no Multi-Prefix extension: a CGA (--cga), not an HBA set".into())
            }
            (Kind::Cga, Some(_)) => {
                return Err("a Multi-Prefix extension: an HBA set (--hba), not a CGA".into())
            }
            (Kind::Cga, None) if params.len() > 1 => {
                return Err(format!(
                    "{} CGA PARAMETERS blocks: a CGA has one",
                    params.len()
                ))
            }
            (Kind::Cga, None) if key.is_none() => {
                return Err("no private key: a CGA signs its locators (--key)".into())
            }
            _ => {}
        }
        if let Some(set) = &set {
            // One set: every block as hba::generate_set makes them, each
            // on one of its prefixes, each prefix once.
            for (i, p) in params.iter().enumerate() {
                let same = p.modifier == first.modifier
                    && p.public_key == first.public_key
                    && p.extensions == first.extensions;
                if !same || !set.prefixes.contains(&p.subnet_prefix) {
                    return Err(format!(
                        "block {}: not an address of the first's HBA set",
                        i + 1
                    ));
                }
                if params[..i]
                    .iter()
                    .any(|q| q.subnet_prefix == p.subnet_prefix)
                {
                    return Err(format!("block {}: a prefix given twice", i + 1));
                }
            }
            if key.is_some() && !set.public_key {
                return Err("a private key, but the set is HBA-only (P flag clear)".into());
            }
        }
        if let Some(k) = &key {
            if cga::public_key_der(k) != first.public_key {
                return Err("the private key is not the parameters' public key".into());
            }
            let bits = cga::key_bits(&first.public_key).unwrap_or(0);
            if bits < cga::MIN_KEY_BITS {
                return Err(format!(
                    "a {bits}-bit key: RFC 5533 §16 wants at least {}",
                    cga::MIN_KEY_BITS
                ));
            }
        }
        Ok(Binding { kind, params, key })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// Whether a key signs for locators outside the HBA set.
    pub fn signs(&self) -> bool {
        self.key.is_some()
    }

    /// Every address the parameters make: each block's, with each Sec its
    /// Hash2 allows (the Sec is in the address, not in the parameters, so
    /// a block makes one to three; the host has one of them).
    pub fn addresses(&self) -> Vec<Addr> {
        let mut out = Vec::new();
        for p in &self.params {
            for sec in [Sec::ZERO, Sec::ONE, Sec::TWO] {
                let iid = cga::interface_id(cga::hash1(p), sec);
                let a = cga::address(&p.subnet_prefix, &iid);
                if cga::verify(&a, p) == Ok(sec) {
                    out.push(a.octets());
                }
            }
        }
        out
    }

    /// The parameters sent for `ulid`: the block on its prefix (an HBA
    /// set's are all the set's; a CGA's must be its own), else the first.
    fn params_for(&self, ulid: &Addr) -> &CgaParams {
        let prefix = cga::prefix_of(&ip(ulid));
        self.params
            .iter()
            .find(|p| p.subnet_prefix == prefix)
            .unwrap_or(&self.params[0])
    }

    /// Whether `a` can be the ULID: in the HBA set, or the CGA.
    pub fn is_ulid(&self, a: &Addr) -> bool {
        shim6::verify_ulid(self.params_for(a), a).is_ok()
    }

    /// The verification method of our locator `a`: HBA in the set, else
    /// CGA if a key signs for it; `None`: it cannot be a locator.
    pub fn method(&self, a: &Addr) -> Option<u8> {
        let in_set = self.kind == Kind::Hba && hba::verify(&ip(a), &self.params[0]).is_ok();
        match (in_set, self.signs()) {
            (true, _) => Some(VERIFY_HBA),
            (false, true) => Some(VERIFY_CGA),
            (false, false) => None,
        }
    }

    /// Why `ulid` and `locators` cannot be this host's, if they cannot.
    pub fn check(&self, ulid: &Addr, locators: &[Addr]) -> Result<(), String> {
        if !self.is_ulid(ulid) {
            return Err(match self.kind {
                Kind::Hba => format!("the ULID {} is not in the HBA set", ip(ulid)),
                Kind::Cga => format!("the ULID {} is not the CGA", ip(ulid)),
            });
        }
        match locators.iter().find(|a| self.method(a).is_none()) {
            Some(a) => Err(format!(
                "{} is not in the HBA set, and no key signs for it",
                ip(a)
            )),
            None => Ok(()),
        }
    }

    /// Our Locator List of `generation` for a context of `ulid`, with its
    /// methods, the ULID's parameters and, when a locator is CGA, the
    /// signature.
    pub fn list(
        &self,
        ulid: &Addr,
        generation: u32,
        locators: &[Addr],
    ) -> Result<SignedList, String> {
        self.check(ulid, locators)?;
        let methods: Vec<u8> = locators.iter().filter_map(|a| self.method(a)).collect();
        let signature = match &self.key {
            Some(key) if methods.contains(&VERIFY_CGA) => {
                let list = LocatorList {
                    generation,
                    locators,
                    methods: &methods,
                };
                let s = shim6::sign_locators(key, &list)
                    .map_err(|e| format!("the CGA Signature: {e}"))?;
                Some(s)
            }
            _ => None,
        };
        Ok(SignedList {
            generation,
            locators: locators.to_vec(),
            methods,
            pds: self.params_for(ulid).to_bytes(),
            signature,
        })
    }
}

/// Why a peer's locator is not verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No CGA Parameter Data Structure came, in this message or before:
    /// nothing binds the locator to the ULID (a host with an HBA set or
    /// CGA of its own).
    NoParameters,
    /// `rv6-hba`'s check: the method is unknown or not the structure's,
    /// the locator is not in the HBA set, the CGA Signature is missing or
    /// does not verify.
    Refused(shim6::Why),
}

/// Locator `locator` (from 0) of a peer's list, and why it fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unverified {
    pub locator: usize,
    pub why: Failure,
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let refusal = |why| shim6::Refusal { locator: None, why };
        match self.why {
            Failure::NoParameters => write!(
                f,
                "locator {}: no CGA Parameter Data Structure to verify it",
                self.locator
            ),
            Failure::Refused(why) => write!(f, "locator {}: {}", self.locator, refusal(why)),
        }
    }
}

/// Why a peer's message is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerRefusal {
    /// Its CGA Parameter Data Structure is not ULID(peer)'s: discarded
    /// silently.
    Parameters(shim6::Refusal),
    /// A locator fails: an Error Message with code 2 about it.
    Locator(Unverified),
}

/// A peer's message, as [`check_peer`] reads it: the structure it carries,
/// the one its context recorded, its Locator List and CGA Signature.
#[derive(Clone, Copy, Debug)]
pub struct PeerMessage<'a> {
    pub carried: Option<&'a [u8]>,
    pub recorded: Option<&'a [u8]>,
    pub list: Option<LocatorList<'a>>,
    pub signature: Option<&'a [u8]>,
}

/// Whether `pds`, a CGA Parameter Data Structure option's contents,
/// corresponds to `ulid`, the peer's: its HBA set has it, or it is its CGA.
pub fn check_parameters(pds: &[u8], ulid: &Addr) -> Result<(), shim6::Refusal> {
    let params = CgaParams::parse(pds).map_err(|e| shim6::Refusal {
        locator: None,
        why: shim6::Why::Malformed(e),
    })?;
    shim6::verify_ulid(&params, ulid)
}

/// The checks of a peer's message from `ulid` (see the module's
/// documentation); `verifying`: this host has an HBA set or CGA.
pub fn check_peer(verifying: bool, ulid: &Addr, m: &PeerMessage<'_>) -> Result<(), PeerRefusal> {
    if let Some(pds) = m.carried {
        check_parameters(pds, ulid).map_err(PeerRefusal::Parameters)?;
    }
    let Some(list) = &m.list else {
        return Ok(());
    };
    if let Some(pds) = m.carried.or(m.recorded) {
        return shim6::verify_locators(pds, ulid, list, m.signature).map_err(|r| match r.locator {
            Some(locator) => PeerRefusal::Locator(Unverified {
                locator,
                why: Failure::Refused(r.why),
            }),
            None => PeerRefusal::Parameters(r),
        });
    }
    // No structure: a method this host cannot apply fails, and so does,
    // for a host that verifies, any locator but the ULID.
    for (locator, (a, method)) in list.locators.iter().zip(list.methods).enumerate() {
        let why = if !matches!(*method, VERIFY_HBA | VERIFY_CGA) {
            Failure::Refused(shim6::Why::UnknownMethod(*method))
        } else if verifying && a != ulid {
            Failure::NoParameters
        } else {
            continue;
        };
        return Err(PeerRefusal::Locator(Unverified { locator, why }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test files (tests/data/README: made for these tests).
    fn contents(name: &str) -> file::Contents {
        let text = match name {
            "a.hba" => include_str!("../tests/data/a.hba.pem"),
            "b.hba" => include_str!("../tests/data/b.hba.pem"),
            "a.cga" => include_str!("../tests/data/a.cga.pem"),
            "a.hba-key" => include_str!("../tests/data/a.hba-key.pem"),
            _ => include_str!("../tests/data/key1024.pem"),
        };
        file::decode(text).unwrap()
    }

    fn key() -> PrivateKey {
        contents("key").key.unwrap()
    }

    fn ip(s: &str) -> Addr {
        s.parse::<Ipv6Addr>().unwrap().octets()
    }

    /// What `rv6 shim6 hba generate` printed for tests/data/a.hba.pem.
    fn a_set() -> [Addr; 3] {
        [
            ip("2001:db8:a1:0:280a:464c:91db:c5b2"),
            ip("2001:db8:a2:0:28e3:b407:ce93:c033"),
            ip("2001:db8:a3:0:385b:8396:cdeb:b3db"),
        ]
    }

    #[test]
    fn an_hba_set_makes_its_addresses_and_says_hba_for_them_alone() {
        let b = Binding::new(Kind::Hba, contents("a.hba"), None).unwrap();
        // Sec 1 (what the tool makes by default): each block's Sec 1
        // address, and its Sec 0 one, which verifies too.
        let all = b.addresses();
        assert_eq!(all.len(), 6);
        assert!(a_set().iter().all(|a| all.contains(a)), "{all:?}");
        for a in a_set() {
            assert!(b.is_ulid(&a));
            assert_eq!(b.method(&a), Some(VERIFY_HBA));
        }
        let stranger = ip("2001:db8:a1::1");
        assert_eq!(b.method(&stranger), None);
        assert!(!b.is_ulid(&stranger));
        assert_eq!(b.check(&a_set()[0], &a_set()), Ok(()));
        assert_eq!(
            b.check(&a_set()[0], &[a_set()[0], stranger]),
            Err("2001:db8:a1::1 is not in the HBA set, and no key signs for it".into())
        );
        assert_eq!(
            b.check(&stranger, &a_set()),
            Err("the ULID 2001:db8:a1::1 is not in the HBA set".into())
        );
        // The list: HBA each, the ULID's block, no signature.
        let l = b.list(&a_set()[1], 7, &a_set()).unwrap();
        assert_eq!(l.methods, [VERIFY_HBA; 3]);
        assert_eq!(
            CgaParams::parse(&l.pds).unwrap().subnet_prefix,
            a_set()[1][..8]
        );
        assert_eq!(l.signature, None);
        let list = LocatorList {
            generation: 7,
            locators: &l.locators,
            methods: &l.methods,
        };
        assert_eq!(
            shim6::verify_locators(&l.pds, &a_set()[1], &list, None),
            Ok(())
        );
    }

    #[test]
    fn a_cga_signs_every_locator_and_a_cga_compatible_set_those_outside_it() {
        let cga = Binding::new(Kind::Cga, contents("a.cga"), None).unwrap();
        let ulid = ip("2001:db8:a1:0:2831:8f52:fea2:cd5");
        // Its Sec 1 address, and the Sec 0 one beside it.
        let mut sec0 = ulid;
        sec0[8] &= 0x1f;
        assert_eq!(cga.addresses(), [sec0, ulid]);
        let other = ip("2001:db8:a2::1");
        let l = cga.list(&ulid, 3, &[ulid, other]).unwrap();
        assert_eq!(l.methods, [VERIFY_CGA; 2]);
        let list = LocatorList {
            generation: 3,
            locators: &l.locators,
            methods: &l.methods,
        };
        let signature = l.signature.as_deref();
        assert_eq!(signature.map(<[u8]>::len), Some(128));
        assert_eq!(
            shim6::verify_locators(&l.pds, &ulid, &list, signature),
            Ok(())
        );
        assert_eq!(
            cga.check(&other, &[other]),
            Err("the ULID 2001:db8:a2::1 is not the CGA".into())
        );

        let set = Binding::new(Kind::Hba, contents("a.hba-key"), Some(key())).unwrap();
        let ulid = ip("2001:db8:a1:0:24e3:660c:2470:c82c");
        let l = set.list(&ulid, 9, &[ulid, other]).unwrap();
        assert_eq!(l.methods, [VERIFY_HBA, VERIFY_CGA]);
        let list = LocatorList {
            generation: 9,
            locators: &l.locators,
            methods: &l.methods,
        };
        let signature = l.signature.as_deref();
        assert_eq!(
            shim6::verify_locators(&l.pds, &ulid, &list, signature),
            Ok(())
        );
        // Without its key the set is HBA-only: nothing outside it.
        let unsigned = Binding::new(Kind::Hba, contents("a.hba-key"), None).unwrap();
        assert_eq!(unsigned.method(&other), None);
    }

    #[test]
    fn files_that_are_not_a_set_or_a_cga_with_its_key_are_refused() {
        let refused =
            |kind, c: file::Contents, k: Option<PrivateKey>| Binding::new(kind, c, k).unwrap_err();
        assert_eq!(
            refused(Kind::Hba, file::Contents::default(), None),
            "no CGA PARAMETERS block"
        );
        assert_eq!(
            refused(Kind::Hba, contents("a.cga"), None),
            "no Multi-Prefix extension: a CGA (--cga), not an HBA set"
        );
        assert_eq!(
            refused(Kind::Cga, contents("a.hba"), None),
            "a Multi-Prefix extension: an HBA set (--hba), not a CGA"
        );
        let mut bare = contents("a.cga");
        bare.key = None;
        assert_eq!(
            refused(Kind::Cga, bare, None),
            "no private key: a CGA signs its locators (--key)"
        );
        assert_eq!(
            refused(Kind::Cga, contents("a.cga"), Some(key())),
            "two private keys: the file's and --key"
        );
        assert_eq!(
            refused(Kind::Hba, contents("a.hba"), Some(key())),
            "a private key, but the set is HBA-only (P flag clear)"
        );
        // Blocks of two sets.
        let mut mixed = contents("a.hba");
        mixed.params.push(contents("b.hba").params[0].clone());
        assert_eq!(
            refused(Kind::Hba, mixed, None),
            "block 4: not an address of the first's HBA set"
        );
        let mut twice = contents("a.hba");
        twice.params.push(twice.params[0].clone());
        assert_eq!(
            refused(Kind::Hba, twice, None),
            "block 4: a prefix given twice"
        );
        // A key, but not the parameters'.
        let mut other = contents("a.cga");
        other.params[0].public_key = contents("a.hba-key").params[0].public_key.clone();
        other.params[0].public_key[40] ^= 1;
        assert_eq!(
            refused(Kind::Cga, other, None),
            "the private key is not the parameters' public key"
        );
    }

    /// §7.13, §10.4: the structure must be ULID(peer)'s; without one, a
    /// verifying host takes the ULID alone, and any host refuses a method
    /// it does not know.
    #[test]
    fn a_peer_s_structure_must_be_its_ulid_s_and_its_locators_verify() {
        let b = Binding::new(Kind::Hba, contents("a.hba"), None).unwrap();
        let [u, l1, l2] = a_set();
        let signed = b.list(&u, 1, &[u, l1]).unwrap();
        let message =
            |carried, recorded, locators: &'static [Addr], methods: &'static [u8]| PeerMessage {
                carried,
                recorded,
                list: Some(LocatorList {
                    generation: 1,
                    locators,
                    methods,
                }),
                signature: None,
            };
        let ours: &'static [Addr] = Box::leak(Box::new([u, l1, l2]));
        let pds = Some(&signed.pds[..]);
        assert_eq!(
            check_peer(true, &u, &message(pds, None, ours, &[1; 3])),
            Ok(())
        );
        assert_eq!(
            check_peer(false, &u, &message(None, pds, ours, &[1; 3])),
            Ok(())
        );
        // Another peer's ULID: the structure is not its.
        let stranger = ip("2001:db8:b1::1");
        assert!(matches!(
            check_peer(true, &stranger, &message(pds, None, ours, &[1; 3])),
            Err(PeerRefusal::Parameters(_))
        ));
        let forged: &'static [Addr] = Box::leak(Box::new([u, stranger]));
        assert_eq!(
            check_peer(false, &u, &message(pds, None, forged, &[1; 2])),
            Err(PeerRefusal::Locator(Unverified {
                locator: 1,
                why: Failure::Refused(shim6::Why::NotInHbaSet(hba::HbaRefusal::PrefixNotInSet))
            }))
        );
        // No structure at all.
        let plain: &'static [Addr] = Box::leak(Box::new([stranger, u]));
        assert_eq!(
            check_peer(false, &stranger, &message(None, None, plain, &[1, 2])),
            Ok(())
        );
        assert_eq!(
            check_peer(true, &stranger, &message(None, None, plain, &[1, 2])),
            Err(PeerRefusal::Locator(Unverified {
                locator: 1,
                why: Failure::NoParameters
            }))
        );
        assert_eq!(
            check_peer(true, &stranger, &message(None, None, &plain[..1], &[1])),
            Ok(())
        );
        assert_eq!(
            check_peer(false, &stranger, &message(None, None, plain, &[1, 201])),
            Err(PeerRefusal::Locator(Unverified {
                locator: 1,
                why: Failure::Refused(shim6::Why::UnknownMethod(201))
            }))
        );
    }
}
