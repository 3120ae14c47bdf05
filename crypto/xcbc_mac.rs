// SPDX-License-Identifier: GPL-2.0

//! XCBC-MAC over a 128-bit block cipher: the arithmetic of RFC 3566 (AES-XCBC-MAC-96) and the
//! key rule of RFC 4434 (AES-XCBC-PRF-128).
//!
//! Pure `no_std` code without allocation, shared by the kernel module (`rv6_xcbc`) and the host
//! tests, which run it against the RFC vectors with a software AES.  The cipher is a parameter:
//! the kernel passes a `crypto_cipher` spawned from `xcbc(<cipher>)`, the tests the `aes` crate.
//!
//! ```text
//!   K1 = E(K, 0x01..01)   K2 = E(K, 0x02..02)   K3 = E(K, 0x03..03)
//!   E[0] = 0;  E[i] = E(K1, M[i] ^ E[i-1])  for every block but the last
//!   last block complete:  MAC = E(K1, M[n] ^ E[n-1] ^ K2)
//!   otherwise (or empty): MAC = E(K1, (M[n] || 0x80 || 0..0) ^ E[n-1] ^ K3)
//! ```

/// Bytes in a block, in the key of RFC 3566, and in the MAC before truncation.
pub const BLOCK_SIZE: usize = 16;

/// One cipher block.
pub type Block = [u8; BLOCK_SIZE];

/// A 128-bit block cipher that can be re-keyed in place.
pub trait BlockCipher {
    /// The error `set_key` reports (the kernel's errno).
    type Error;
    /// Keys the cipher.
    fn set_key(&mut self, key: &[u8]) -> Result<(), Self::Error>;
    /// Encrypts one block in place with the current key.
    fn encrypt_block(&self, block: &mut Block);
    /// CBC-chains `blocks` into `chain`: `chain = E(chain ^ block)` for each in turn.  One
    /// block at a time unless the cipher has a bulk path (the kernel's AES library does).
    #[inline]
    fn chain_blocks(&self, chain: &mut Block, blocks: &[Block]) {
        for block in blocks {
            xor_into(chain, block);
            self.encrypt_block(chain);
        }
    }
}

/// Why a key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError<E> {
    /// RFC 3566 keys are exactly one block (16 bytes) long.
    Length(usize),
    /// The underlying cipher refused the key.
    Cipher(E),
}

/// `acc ^= other`, two 64-bit words at a time (the kernel builds without SIMD).
pub fn xor_into(acc: &mut Block, other: &[u8; BLOCK_SIZE]) {
    let word = |b: &[u8; BLOCK_SIZE], i: usize| {
        u64::from_ne_bytes([
            b[i],
            b[i + 1],
            b[i + 2],
            b[i + 3],
            b[i + 4],
            b[i + 5],
            b[i + 6],
            b[i + 7],
        ])
    };
    let lo = word(acc, 0) ^ word(other, 0);
    let hi = word(acc, 8) ^ word(other, 8);
    acc[..8].copy_from_slice(&lo.to_ne_bytes());
    acc[8..].copy_from_slice(&hi.to_ne_bytes());
}

/// Splits `data` into the whole blocks before its last block, and that last block (1 to 16
/// bytes; none for empty `data`), which XCBC must hold back until it knows it is the last.
fn split_last_block(data: &[u8]) -> (&[Block], &[u8]) {
    let body = data.len().saturating_sub(1) / BLOCK_SIZE;
    let (blocks, _) = data.as_chunks::<BLOCK_SIZE>();
    let body = &blocks[..body.min(blocks.len())];
    (body, &data[body.len() * BLOCK_SIZE..])
}

/// A keyed XCBC instance: the cipher keyed with K1, and K2, K3.
///
/// This is what the kernel keeps per transform (`crypto_shash` context).
pub struct Keyed<C> {
    cipher: C,
    k2: Block,
    k3: Block,
}

impl<C: BlockCipher> Keyed<C> {
    /// Wraps an unkeyed cipher; [`Keyed::set_key`] must be called before use.
    pub const fn new(cipher: C) -> Self {
        Self {
            cipher,
            k2: [0; BLOCK_SIZE],
            k3: [0; BLOCK_SIZE],
        }
    }

    /// Keys the MAC with `key` per RFC 3566 §2.1: exactly 16 bytes, or `KeyError::Length` and
    /// the previous key stays in force.
    pub fn set_key(&mut self, key: &[u8]) -> Result<(), KeyError<C::Error>> {
        if key.len() != BLOCK_SIZE {
            return Err(KeyError::Length(key.len()));
        }
        self.cipher.set_key(key).map_err(KeyError::Cipher)?;
        let [k1, k2, k3] = [1u8, 2, 3].map(|c| {
            let mut k = [c; BLOCK_SIZE];
            self.cipher.encrypt_block(&mut k);
            k
        });
        // Keying the cipher with a block-sized key cannot fail once `key` succeeded.
        self.cipher.set_key(&k1).map_err(KeyError::Cipher)?;
        self.k2 = k2;
        self.k3 = k3;
        Ok(())
    }

    /// Keys the MAC per RFC 4434 §2 (AES-XCBC-PRF-128): a 16-byte key is used as is, a shorter
    /// one is padded with zeros on the right, a longer one is reduced to `XCBC-MAC(0^128, key)`.
    pub fn set_key_prf128(&mut self, key: &[u8]) -> Result<(), KeyError<C::Error>> {
        if key.len() <= BLOCK_SIZE {
            let mut padded = [0; BLOCK_SIZE];
            padded[..key.len()].copy_from_slice(key);
            return self.set_key(&padded);
        }
        self.set_key(&[0; BLOCK_SIZE])?;
        let mut state = State::new();
        state.update(self, key);
        let reduced = state.finish(self);
        self.set_key(&reduced)
    }

    /// The full 128-bit MAC of `message` in one call: the blocks chained straight from the
    /// message, with no held-back copy.
    pub fn mac(&self, message: &[u8]) -> Block {
        let mut chain = [0; BLOCK_SIZE];
        let (body, last) = split_last_block(message);
        self.cipher.chain_blocks(&mut chain, body);
        self.last_block(&chain, last)
    }

    /// The MAC from the chaining value and the last 0 to 16 bytes of the message (RFC 3566
    /// §2.4: a whole block is XORed with K2, a partial one padded with 0x80 0... and XORed
    /// with K3).
    fn last_block(&self, chain: &Block, last: &[u8]) -> Block {
        // A whole block is copied as one (no call to copy a length known only at run time).
        let mut block = if let Ok(whole) = <&Block>::try_from(last) {
            let mut block = *whole;
            xor_into(&mut block, &self.k2);
            block
        } else {
            let mut block = [0; BLOCK_SIZE];
            let len = last.len().min(BLOCK_SIZE - 1);
            block[..len].copy_from_slice(&last[..len]);
            block[len] = 0x80;
            xor_into(&mut block, &self.k3);
            block
        };
        xor_into(&mut block, chain);
        self.cipher.encrypt_block(&mut block);
        block
    }
}

/// The running state of one MAC computation (the kernel's `shash_desc` context).
///
/// The last block is held back until [`State::finish`]: whether it is complete decides between
/// K2 and K3, and only the end of the message tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct State {
    chain: Block,
    pending: Block,
    pending_len: u8,
}

/// Bytes of [`State::export`].
pub const STATE_SIZE: usize = 2 * BLOCK_SIZE + 1;

impl State {
    /// The state before any input.
    pub const fn new() -> Self {
        Self {
            chain: [0; BLOCK_SIZE],
            pending: [0; BLOCK_SIZE],
            pending_len: 0,
        }
    }

    /// Feeds more of the message.
    pub fn update<C: BlockCipher>(&mut self, key: &Keyed<C>, mut data: &[u8]) {
        // Top up a partly filled held-back block.
        let at = usize::from(self.pending_len);
        if at < BLOCK_SIZE {
            let take = (BLOCK_SIZE - at).min(data.len());
            self.pending[at..at + take].copy_from_slice(&data[..take]);
            self.pending_len += take as u8;
            data = &data[take..];
        }
        if data.is_empty() {
            return;
        }
        // More input follows, so the held-back block was not the last one.
        let pending = self.pending;
        key.cipher.chain_blocks(&mut self.chain, &[pending]);
        // Whole blocks straight from the input, always holding the last one back.
        let (body, last) = split_last_block(data);
        key.cipher.chain_blocks(&mut self.chain, body);
        self.pending[..last.len()].copy_from_slice(last);
        self.pending_len = last.len() as u8;
    }

    /// The 128-bit MAC of everything fed so far; IPsec truncates it to 96 bits.
    pub fn finish<C: BlockCipher>(&self, key: &Keyed<C>) -> Block {
        let len = usize::from(self.pending_len);
        key.last_block(&self.chain, &self.pending[..len.min(BLOCK_SIZE)])
    }

    /// The state as bytes, for `crypto_shash_export`.
    pub fn export(&self) -> [u8; STATE_SIZE] {
        let mut out = [0; STATE_SIZE];
        out[..BLOCK_SIZE].copy_from_slice(&self.chain);
        out[BLOCK_SIZE..2 * BLOCK_SIZE].copy_from_slice(&self.pending);
        out[2 * BLOCK_SIZE] = self.pending_len;
        out
    }

    /// A state from [`State::export`]'s bytes; `None` if they cannot be one.
    pub fn import(bytes: &[u8; STATE_SIZE]) -> Option<Self> {
        let pending_len = bytes[2 * BLOCK_SIZE];
        if usize::from(pending_len) > BLOCK_SIZE {
            return None;
        }
        let mut s = Self::new();
        s.chain.copy_from_slice(&bytes[..BLOCK_SIZE]);
        s.pending
            .copy_from_slice(&bytes[BLOCK_SIZE..2 * BLOCK_SIZE]);
        s.pending_len = pending_len;
        Some(s)
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}
