#![no_main]
//! XCBC over AES, differential: a message fed in arbitrary pieces, exported and imported
//! midway, gives the one-shot MAC; any key length either keys (16 bytes, or any for PRF-128)
//! or is refused without changing the key in force.
use libfuzzer_sys::fuzz_target;
use rv6_cores::soft_aes::Aes128;
use rv6_cores::xcbc_mac::{Keyed, State};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (klen, cut, rest) = (usize::from(data[0] % 40), usize::from(data[1]), &data[2..]);
    let (key, msg) = rest.split_at(klen.min(rest.len()));
    let mut k = Keyed::new(Aes128::default());
    k.set_key(&[7; 16]).unwrap();
    let before = k.mac(b"x");
    if k.set_key(key).is_err() {
        assert_ne!(key.len(), 16);
        assert_eq!(k.mac(b"x"), before);
        k.set_key_prf128(key).unwrap();
    }
    let at = cut.min(msg.len());
    let mut s = State::new();
    s.update(&k, &msg[..at]);
    let mut t = State::import(&s.export()).unwrap();
    t.update(&k, &msg[at..]);
    assert_eq!(t.finish(&k), k.mac(msg));
});
