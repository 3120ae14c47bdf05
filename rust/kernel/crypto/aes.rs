// SPDX-License-Identifier: GPL-2.0

//! The AES library (`lib/crypto/aes.c`): keys expanded for encryption and single-block
//! encryption, called directly, as the library's own `cmac-aes-lib` and `xcbc-aes-lib` do,
//! rather than through a `crypto_cipher` (an exported call and an indirect one per block).
//! The library picks the CPU's instructions (AES-NI, ...) itself.
//!
//! C header: [`include/crypto/aes.h`](srctree/include/crypto/aes.h)

use crate::{
    bindings,
    error::to_result,
    prelude::*, //
};

/// Bytes in an AES block.
pub const BLOCK_SIZE: usize = bindings::AES_BLOCK_SIZE as usize;

/// An AES key expanded for encryption (`struct aes_enckey`).
///
/// # Invariants
///
/// The structure always holds a key expanded by `aes_prepareenckey`.
///
/// Its bytes are key material: a context holding one is freed with `kfree_sensitive` by the
/// crypto API, and [`EncKey::set_key`] expands in place, leaving no copy behind.
#[repr(transparent)]
pub struct EncKey(bindings::aes_enckey);

impl EncKey {
    /// The AES-128 key of all zeroes, until [`EncKey::set_key`] sets the real one.
    pub fn new() -> Self {
        // SAFETY: All-zero is a valid `aes_enckey` to write.
        let mut k = Self(unsafe { core::mem::zeroed() });
        // SAFETY: `k.0` is a valid key structure to write; the key is 16 readable bytes, a
        // valid length, so the call cannot fail.
        unsafe { bindings::aes_prepareenckey(&mut k.0, [0u8; 16].as_ptr(), 16) };
        k
    }

    /// Expands `key` (16, 24 or 32 bytes) in place; `EINVAL`, with the key left as it was,
    /// for another length.
    pub fn set_key(&mut self, key: &[u8]) -> Result {
        if !matches!(key.len(), 16 | 24 | 32) {
            return Err(EINVAL);
        }
        // SAFETY: `self.0` is a valid key structure to write; `key` is readable for its length,
        // which is valid, so the key is expanded whole (the invariant holds).
        to_result(unsafe { bindings::aes_prepareenckey(&mut self.0, key.as_ptr(), key.len()) })
    }

    /// Encrypts `block` in place.
    #[inline]
    pub fn encrypt(&self, block: &mut [u8; BLOCK_SIZE]) {
        let p = block.as_mut_ptr();
        // SAFETY: The key is always an expanded `aes_enckey` (type invariant); `block` is
        // exactly one block, readable and writable, and the library allows `out == in`.
        unsafe { bindings::aes_encrypt(bindings::aes_encrypt_arg { enc_key: &self.0 }, p, p) };
    }

    /// CBC-chains whole `blocks` into `chain`: `chain = E(chain ^ block)` for each in turn, in
    /// one call to the library (`aes_cbcmac_update`), whose loop calls its own AES inline
    /// rather than once per block through [`EncKey::encrypt`].  Needs
    /// `imports_ns: ["CRYPTO_INTERNAL"]`.
    #[inline]
    pub fn chain_blocks(&self, chain: &mut [u8; BLOCK_SIZE], blocks: &[[u8; BLOCK_SIZE]]) {
        if blocks.is_empty() {
            return;
        }
        let mut ctx = bindings::aes_cbcmac_ctx {
            key: &self.0,
            partial_len: 0,
            h: *chain,
        };
        // SAFETY: `ctx` is a valid context over our expanded key (type invariant) with nothing
        // partial, and `blocks` is readable for its whole length; the library chains every
        // block into `ctx.h` (whole blocks leave nothing partial) and keeps no pointer.
        unsafe {
            bindings::aes_cbcmac_update(&mut ctx, blocks.as_ptr().cast(), blocks.len() * BLOCK_SIZE)
        };
        *chain = ctx.h;
    }
}

impl Default for EncKey {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: A key is plain data; encryption only reads it.
unsafe impl Send for EncKey {}
// SAFETY: See above.
unsafe impl Sync for EncKey {}

#[kunit_tests(rust_kernel_crypto_aes)]
mod tests {
    use super::*;

    #[test]
    fn fips_197_appendix_c1() -> Result {
        // FIPS-197 Appendix C.1, AES-128.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut block: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
        let want = [
            0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
            0xc5, 0x5a,
        ];
        let mut k = EncKey::new();
        assert!(k.set_key(&key[..15]).is_err());
        k.set_key(&key)?;
        k.encrypt(&mut block);
        assert_eq!(block, want);
        Ok(())
    }
}
