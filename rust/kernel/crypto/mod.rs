// SPDX-License-Identifier: GPL-2.0

//! The crypto API: single-block ciphers, keyed hashes, and templates that build the latter from
//! the former; and the AES library, for implementations bound to AES.
//!
//! C headers: [`include/crypto/hash.h`](srctree/include/crypto/hash.h),
//! [`include/crypto/internal/hash.h`](srctree/include/crypto/internal/hash.h),
//! [`include/crypto/internal/cipher.h`](srctree/include/crypto/internal/cipher.h)

pub mod aes;
pub mod cipher;
pub mod shash;
