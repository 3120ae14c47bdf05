//! The XCBC core against RFC 3566 §4 and RFC 4434 §4, with the `aes` crate as the cipher.

use proptest::prelude::*;
use rv6_cores::soft_aes::Aes128;
use rv6_cores::xcbc_mac::{KeyError, Keyed, State, BLOCK_SIZE, STATE_SIZE};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn keyed(key: &[u8]) -> Keyed<Aes128> {
    let mut k = Keyed::new(Aes128::default());
    k.set_key(key).unwrap();
    k
}

fn counting(n: usize) -> Vec<u8> {
    (0..n).map(|i| i as u8).collect()
}

const KEY: &str = "000102030405060708090a0b0c0d0e0f";

/// RFC 3566 §4, test cases 1-7: (message, AES-XCBC-MAC).
fn rfc3566_cases() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (vec![], "75f0251d528ac01c4573dfd584d79f29"),
        (counting(3), "5b376580ae2f19afe7219ceef172756f"),
        (counting(16), "d2a246fa349b68a79998a4394ff7a263"),
        (counting(20), "47f51b4564966215b8985c63055ed308"),
        (counting(32), "f54f0ec8d2b9f3d36807734bd5283fd4"),
        (counting(34), "becbb3bccdb518a30677d5481fb6b4d8"),
        (vec![0; 1000], "f0dafee895db30253761103b5d84528f"),
    ]
}

#[test]
fn rfc3566_test_vectors_one_shot() {
    let k = keyed(&hex(KEY));
    for (msg, mac) in rfc3566_cases() {
        assert_eq!(k.mac(&msg).to_vec(), hex(mac), "{}-byte message", msg.len());
    }
}

#[test]
fn rfc3566_mac96_is_the_first_twelve_bytes() {
    // Test case 6, AES-XCBC-MAC-96: becbb3bccdb518a30677d548.
    let k = keyed(&hex(KEY));
    assert_eq!(
        k.mac(&counting(34))[..12].to_vec(),
        hex("becbb3bccdb518a30677d548")
    );
}

#[test]
fn rfc3566_34_byte_case_split_at_every_offset() {
    let k = keyed(&hex(KEY));
    let msg = counting(34);
    for i in 0..=msg.len() {
        for j in i..=msg.len() {
            let mut s = State::new();
            s.update(&k, &msg[..i]);
            s.update(&k, &msg[i..j]);
            s.update(&k, &msg[j..]);
            assert_eq!(
                s.finish(&k).to_vec(),
                hex("becbb3bccdb518a30677d5481fb6b4d8"),
                "split {i}/{j}"
            );
        }
    }
}

#[test]
fn rfc4434_prf128_reduces_keys_that_are_not_16_bytes() {
    let msg = counting(20);
    for (key, out) in [
        (
            "000102030405060708090a0b0c0d0e0f",
            "47f51b4564966215b8985c63055ed308",
        ),
        ("00010203040506070809", "0fa087af7d866e7653434e602fdde835"),
        (
            "000102030405060708090a0b0c0d0e0fedcb",
            "8cd3c93ae598a9803006ffb67c40e9e4",
        ),
    ] {
        let mut k = Keyed::new(Aes128::default());
        k.set_key_prf128(&hex(key)).unwrap();
        assert_eq!(k.mac(&msg).to_vec(), hex(out), "key {key}");
    }
}

#[test]
fn rfc3566_keys_must_be_exactly_16_bytes_and_a_refused_key_changes_nothing() {
    let mut k = keyed(&hex(KEY));
    let before = k.mac(b"abc");
    for len in [0, 10, 15, 17, 24, 32] {
        assert_eq!(k.set_key(&vec![7; len]), Err(KeyError::Length(len)));
        assert_eq!(k.mac(b"abc"), before, "after refusing a {len}-byte key");
    }
}

#[test]
fn export_import_round_trip_mid_message() {
    let k = keyed(&hex(KEY));
    let mut s = State::new();
    s.update(&k, &counting(20));
    let bytes = s.export();
    assert_eq!(bytes.len(), STATE_SIZE);
    let mut t = State::import(&bytes).unwrap();
    t.update(&k, &counting(34)[20..]);
    assert_eq!(
        t.finish(&k).to_vec(),
        hex("becbb3bccdb518a30677d5481fb6b4d8")
    );
}

#[test]
fn import_refuses_an_impossible_pending_length() {
    let mut bytes = State::new().export();
    bytes[2 * BLOCK_SIZE] = BLOCK_SIZE as u8 + 1;
    assert_eq!(State::import(&bytes), None);
}

proptest! {
    #[test]
    fn streaming_equals_one_shot(msg in proptest::collection::vec(any::<u8>(), 0..200),
                                 cuts in proptest::collection::vec(any::<usize>(), 0..6)) {
        let k = keyed(&hex(KEY));
        let mut s = State::new();
        let mut rest: &[u8] = &msg;
        for c in cuts {
            let at = if rest.is_empty() { 0 } else { c % rest.len() };
            s.update(&k, &rest[..at]);
            rest = &rest[at..];
        }
        s.update(&k, rest);
        prop_assert_eq!(s.finish(&k), k.mac(&msg));
    }

    #[test]
    fn any_exported_state_imports_to_itself(msg in proptest::collection::vec(any::<u8>(), 0..64)) {
        let k = keyed(&hex(KEY));
        let mut s = State::new();
        s.update(&k, &msg);
        prop_assert_eq!(State::import(&s.export()), Some(s));
    }
}
