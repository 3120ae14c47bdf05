//! The Responder Validator (RFC 5533 §7.10): what lets the responder stay
//! stateless between its R1 and the I2.  The R1 carries an HMAC-SHA256,
//! under a secret only this daemon knows, of what the I2 must repeat: the
//! Responder Nonce, the Initiator Context Tag and Nonce, the ULID pair and
//! the Forked Instance Identifier.  The I2 echoes the validator, and the
//! responder recomputes it from the I2's own fields (§7.13).
//!
//! The secret is replaced every `lifetime` (a few minutes) and the one
//! before it stays valid, so a validator lives between one and two
//! lifetimes: at least VALIDATOR_MIN_LIFETIME (30 s, §14) when the lifetime
//! is.  Verification tries both secrets, in constant time (`hmac`'s
//! `verify_slice`).
//!
//! Context recovery (§7.17, §7.20) has a validator of its own: the R1bis
//! carries an HMAC of its Responder Nonce, the Packet Context Tag (the tag
//! of the payload packet that found no context) and that packet's locators,
//! which the I2bis echoes and comes back over.  Its input starts with a
//! label, so that no R1's validator passes for an R1bis's or the reverse.

use hmac::{
    Hmac,
    Mac, //
};
use rv6_cores::shim6_wire::Addr;
use sha2::Sha256;

use crate::engine::Entropy;

/// Bytes of a validator: the whole HMAC-SHA256.
pub const VALIDATOR_LEN: usize = 32;

/// How often the secret is replaced by default, in nanoseconds: five minutes.
pub const DEFAULT_LIFETIME: u64 = 300 * 1_000_000_000;

type HmacSha256 = Hmac<Sha256>;

/// What a validator is computed over: the I1's fields, which the I2 repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inputs {
    /// The Responder Nonce of the R1 (and of the I2 that echoes it).
    pub responder_nonce: u32,
    /// The initiator's context tag.
    pub initiator_tag: u64,
    /// The Initiator Nonce.
    pub initiator_nonce: u32,
    /// The initiator's ULID.
    pub initiator_ulid: Addr,
    /// The responder's ULID.
    pub responder_ulid: Addr,
    /// The Forked Instance Identifier (0: the unforked context).
    pub fii: u32,
}

/// What an R1bis's validator is computed over (§7.17): the payload
/// packet's tag and locators, which the I2bis repeats (§7.20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryInputs {
    /// The Responder Nonce of the R1bis (and of the I2bis that echoes it).
    pub responder_nonce: u32,
    /// The Packet Context Tag: the tag the payload packet carried, ours.
    pub packet_tag: u64,
    /// The payload packet's source (the I2bis's): the peer's locator.
    pub initiator_locator: Addr,
    /// The payload packet's destination (the I2bis's): ours.
    pub responder_locator: Addr,
}

/// The label that starts a recovery validator's input.
const RECOVERY_LABEL: &[u8] = b"shim6d R1bis";

/// The responder's secrets: the current one and the one it replaced.
pub struct Secrets {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
    /// When `current` was made.
    since: u64,
    lifetime: u64,
}

fn fresh(entropy: &mut dyn Entropy) -> [u8; 32] {
    let mut s = [0; 32];
    entropy.fill(&mut s);
    s
}

fn keyed(secret: &[u8; 32]) -> HmacSha256 {
    HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length")
}

fn mac(secret: &[u8; 32], v: &Inputs) -> HmacSha256 {
    let mut m = keyed(secret);
    m.update(&v.responder_nonce.to_be_bytes());
    m.update(&v.initiator_tag.to_be_bytes());
    m.update(&v.initiator_nonce.to_be_bytes());
    m.update(&v.initiator_ulid);
    m.update(&v.responder_ulid);
    m.update(&v.fii.to_be_bytes());
    m
}

fn recovery_mac(secret: &[u8; 32], v: &RecoveryInputs) -> HmacSha256 {
    let mut m = keyed(secret);
    m.update(RECOVERY_LABEL);
    m.update(&v.responder_nonce.to_be_bytes());
    m.update(&v.packet_tag.to_be_bytes());
    m.update(&v.initiator_locator);
    m.update(&v.responder_locator);
    m
}

impl Secrets {
    /// A first secret at `now`, replaced every `lifetime` nanoseconds.
    pub fn new(entropy: &mut dyn Entropy, now: u64, lifetime: u64) -> Self {
        Secrets {
            current: fresh(entropy),
            previous: None,
            since: now,
            lifetime,
        }
    }

    /// Replaces the secret if its lifetime is over: the old one stays valid
    /// for one more lifetime, unless it is older than that already.
    pub fn rotate(&mut self, now: u64, entropy: &mut dyn Entropy) {
        let age = now.saturating_sub(self.since);
        if age < self.lifetime {
            return;
        }
        self.previous = (age < 2 * self.lifetime).then_some(self.current);
        self.current = fresh(entropy);
        self.since = now;
    }

    /// The validator for an R1, under the current secret.
    pub fn validator(&self, v: &Inputs) -> [u8; VALIDATOR_LEN] {
        mac(&self.current, v).finalize().into_bytes().into()
    }

    /// Whether `validator` is the one the current or the previous secret
    /// gives for `v`.
    pub fn verify(&self, v: &Inputs, validator: &[u8]) -> bool {
        [Some(self.current), self.previous]
            .iter()
            .flatten()
            .any(|s| mac(s, v).verify_slice(validator).is_ok())
    }

    /// The validator for an R1bis, under the current secret.
    pub fn recovery_validator(&self, v: &RecoveryInputs) -> [u8; VALIDATOR_LEN] {
        recovery_mac(&self.current, v)
            .finalize()
            .into_bytes()
            .into()
    }

    /// Whether `validator` is the one the current or the previous secret
    /// gives an R1bis for `v`.
    pub fn verify_recovery(&self, v: &RecoveryInputs, validator: &[u8]) -> bool {
        [Some(self.current), self.previous]
            .iter()
            .flatten()
            .any(|s| recovery_mac(s, v).verify_slice(validator).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SplitMix;

    const LIFE: u64 = 60 * 1_000_000_000;

    fn inputs() -> Inputs {
        Inputs {
            responder_nonce: 0x1122_3344,
            initiator_tag: 0x1a_0000_0001,
            initiator_nonce: 0x5566_7788,
            initiator_ulid: [0x20, 1, 0xd, 0xb8, 0, 0xa1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            responder_ulid: [0x20, 1, 0xd, 0xb8, 0, 0xb1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            fii: 0,
        }
    }

    #[test]
    fn a_validator_verifies_and_any_changed_input_does_not() {
        let mut e = SplitMix(1);
        let s = Secrets::new(&mut e, 0, LIFE);
        let v = inputs();
        let good = s.validator(&v);
        assert!(s.verify(&v, &good));
        let changes: [&dyn Fn(&mut Inputs); 6] = [
            &|i| i.responder_nonce ^= 1,
            &|i| i.initiator_tag ^= 1,
            &|i| i.initiator_nonce ^= 1,
            &|i| i.initiator_ulid[15] ^= 1,
            &|i| i.responder_ulid[15] ^= 1,
            &|i| i.fii = 7,
        ];
        for (n, change) in changes.iter().enumerate() {
            let mut w = v;
            change(&mut w);
            assert!(!s.verify(&w, &good), "change {n} still verifies");
        }
        let mut bad = good;
        bad[31] ^= 0x80;
        assert!(!s.verify(&v, &bad));
        assert!(!s.verify(&v, &good[..31]));
        assert!(!s.verify(&v, &[]));
    }

    fn recovery() -> RecoveryInputs {
        RecoveryInputs {
            responder_nonce: 0x1122_3344,
            packet_tag: 0x1b_0000_0002,
            initiator_locator: [0x20, 1, 0xd, 0xb8, 0, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            responder_locator: [0x20, 1, 0xd, 0xb8, 0, 0xb2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        }
    }

    #[test]
    fn a_recovery_validator_verifies_and_any_changed_input_does_not() {
        let mut e = SplitMix(1);
        let s = Secrets::new(&mut e, 0, LIFE);
        let v = recovery();
        let good = s.recovery_validator(&v);
        assert!(s.verify_recovery(&v, &good));
        let changes: [&dyn Fn(&mut RecoveryInputs); 4] = [
            &|i| i.responder_nonce ^= 1,
            &|i| i.packet_tag ^= 1,
            &|i| i.initiator_locator[15] ^= 1,
            &|i| i.responder_locator[15] ^= 1,
        ];
        for (n, change) in changes.iter().enumerate() {
            let mut w = v;
            change(&mut w);
            assert!(!s.verify_recovery(&w, &good), "change {n} still verifies");
        }
        let mut bad = good;
        bad[0] ^= 1;
        assert!(!s.verify_recovery(&v, &bad));
        assert!(!s.verify_recovery(&v, &[]));
    }

    #[test]
    fn r1_and_r1bis_validators_do_not_pass_for_each_other() {
        let s = Secrets::new(&mut SplitMix(1), 0, LIFE);
        let (i, r) = (inputs(), recovery());
        assert!(!s.verify_recovery(&r, &s.validator(&i)));
        assert!(!s.verify(&i, &s.recovery_validator(&r)));
    }

    #[test]
    fn another_secret_gives_another_validator() {
        let v = inputs();
        let a = Secrets::new(&mut SplitMix(1), 0, LIFE);
        let b = Secrets::new(&mut SplitMix(1000), 0, LIFE);
        assert_ne!(a.validator(&v), b.validator(&v));
        assert!(!b.verify(&v, &a.validator(&v)));
    }

    #[test]
    fn the_previous_secret_stays_valid_for_one_lifetime() {
        let mut e = SplitMix(1);
        let mut s = Secrets::new(&mut e, 0, LIFE);
        let v = inputs();
        let old = s.validator(&v);
        s.rotate(LIFE - 1, &mut e);
        assert_eq!(s.validator(&v), old, "rotated before its lifetime");
        s.rotate(LIFE, &mut e);
        assert_ne!(s.validator(&v), old, "not rotated after its lifetime");
        assert!(s.verify(&v, &old), "the previous secret was dropped");
        let second = s.validator(&v);
        s.rotate(2 * LIFE, &mut e);
        assert!(
            !s.verify(&v, &old),
            "a secret two rotations old still verifies"
        );
        assert!(s.verify(&v, &second));
    }

    #[test]
    fn after_a_long_sleep_no_old_secret_is_kept() {
        let mut e = SplitMix(1);
        let mut s = Secrets::new(&mut e, 0, LIFE);
        let v = inputs();
        let old = s.validator(&v);
        s.rotate(2 * LIFE, &mut e);
        assert!(!s.verify(&v, &old));
    }
}
