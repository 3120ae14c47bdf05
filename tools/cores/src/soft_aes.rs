//! AES-128 from the `aes` crate as the XCBC core's block cipher, for host tests and fuzzing.

use crate::xcbc_mac::{Block, BlockCipher};
use aes::cipher::{generic_array::GenericArray, BlockEncrypt, KeyInit};

/// AES-128, re-keyable in place; unkeyed until [`BlockCipher::set_key`] succeeds.
#[derive(Default)]
pub struct Aes128(Option<aes::Aes128>);

impl BlockCipher for Aes128 {
    type Error = ();

    fn set_key(&mut self, key: &[u8]) -> Result<(), ()> {
        self.0 = Some(aes::Aes128::new_from_slice(key).map_err(|_| ())?);
        Ok(())
    }

    /// # Panics
    ///
    /// If the cipher was never keyed: a test bug, not an input case.
    fn encrypt_block(&self, block: &mut Block) {
        let aes = self.0.as_ref().expect("Aes128 used before set_key");
        aes.encrypt_block(GenericArray::from_mut_slice(block));
    }
}
