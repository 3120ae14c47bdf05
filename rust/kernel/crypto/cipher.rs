// SPDX-License-Identifier: GPL-2.0

//! Single-block ciphers (`struct crypto_cipher`), as templates spawn them.
//!
//! C header: [`include/crypto/internal/cipher.h`](srctree/include/crypto/internal/cipher.h)

use crate::{
    bindings,
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*, //
};
use core::ptr::NonNull;

/// An owned single-block cipher transform.
///
/// Modules calling into it need `imports_ns: ["CRYPTO_INTERNAL"]`: the C functions behind it
/// are internal to the crypto API.
///
/// # Invariants
///
/// `tfm` is a live `crypto_cipher` owned by this object, freed on drop.
pub struct Cipher {
    tfm: NonNull<bindings::crypto_cipher>,
    block_size: usize,
}

// SAFETY: A cipher transform may be used from any thread; keying it (`&mut self`) cannot race
// with encryption (`&self`) thanks to the borrow rules.
unsafe impl Send for Cipher {}
// SAFETY: `SizedCipher::encrypt_block` only reads the key schedule, which
// `crypto_cipher_encrypt_one` allows from several threads at once.
unsafe impl Sync for Cipher {}

impl Cipher {
    /// Takes ownership of a cipher transform.
    ///
    /// # Safety
    ///
    /// `tfm` must be a live `crypto_cipher` that the caller owns and hands over.
    pub(crate) unsafe fn from_raw(tfm: NonNull<bindings::crypto_cipher>) -> Self {
        // SAFETY: The caller hands over a live transform.
        let block_size = unsafe { bindings::crypto_cipher_blocksize(tfm.as_ptr()) } as usize;
        Self { tfm, block_size }
    }

    /// Allocates the best cipher called `name` (`aes`): the one of highest priority.
    pub fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string.
        let tfm = from_err_ptr(unsafe { bindings::crypto_alloc_cipher(name.as_char_ptr(), 0, 0) })?;
        // SAFETY: `crypto_alloc_cipher` returned a new transform we own.
        Ok(unsafe { Self::from_raw(NonNull::new(tfm).ok_or(ENOMEM)?) })
    }

    /// The driver implementing the cipher (`aes-lib`, `aes-aesni`, ...).
    pub fn driver_name(&self) -> &CStr {
        // SAFETY: The transform and its algorithm live as long as `self`; the name is a
        // NUL-terminated array.
        unsafe {
            let tfm = self.tfm.as_ptr().cast::<bindings::crypto_tfm>();
            CStr::from_char_ptr((*(*tfm).__crt_alg).cra_driver_name.as_ptr())
        }
    }

    /// Bytes in one block.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// Sets the key; on error the cipher keeps its previous key.
    pub fn set_key(&mut self, key: &[u8]) -> Result {
        let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        // SAFETY: The transform is live; `key` is readable for `len` bytes.
        to_result(unsafe { bindings::crypto_cipher_setkey(self.tfm.as_ptr(), key.as_ptr(), len) })
    }

    /// The cipher, known from now on to have `N`-byte blocks: the only way to encrypt.  `EINVAL`
    /// if its blocks have another size.
    pub fn into_sized<const N: usize>(self) -> Result<SizedCipher<N>> {
        if self.block_size == N {
            Ok(SizedCipher(self))
        } else {
            Err(EINVAL)
        }
    }
}

/// A [`Cipher`] whose blocks are `N` bytes, so that every block it is handed is whole.
///
/// # Invariants
///
/// `self.0.block_size == N`.
pub struct SizedCipher<const N: usize>(Cipher);

impl<const N: usize> SizedCipher<N> {
    /// The cipher.
    pub fn cipher(&self) -> &Cipher {
        &self.0
    }

    /// Sets the key; on error the cipher keeps its previous key.
    pub fn set_key(&mut self, key: &[u8]) -> Result {
        self.0.set_key(key)
    }

    /// Encrypts `block` in place.
    #[inline]
    pub fn encrypt_block(&self, block: &mut [u8; N]) {
        let p = block.as_mut_ptr();
        // SAFETY: The transform is live and `block` is exactly one cipher block (type
        // invariant), readable and writable; in-place operation is allowed.
        unsafe { bindings::crypto_cipher_encrypt_one(self.0.tfm.as_ptr(), p, p) };
    }
}

impl Drop for Cipher {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the live transform.
        unsafe { bindings::crypto_free_cipher(self.tfm.as_ptr()) };
    }
}
