// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: read-only access to a packet seen by a hook.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use crate::{bindings, types::Opaque};

/// A packet (`struct sk_buff`) lent to Rust code for the duration of a callback.
///
/// Only reading is offered: the length, and bytes of the network header and what follows,
/// bounds-checked against the packet, whether it is linear or not.
///
/// # Invariants
///
/// A `&SkBuff` points to a live `struct sk_buff` that nothing frees or modifies while the
/// reference exists.
#[repr(transparent)]
pub struct SkBuff(Opaque<bindings::sk_buff>);

impl SkBuff {
    /// Creates a reference to an [`SkBuff`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live `sk_buff` that is neither freed nor modified during `'a`.
    pub unsafe fn from_raw<'a>(ptr: *const bindings::sk_buff) -> &'a Self {
        // SAFETY: `SkBuff` is `repr(transparent)` over `sk_buff`; the caller promises validity.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// Bytes in the packet from `skb->data` on (headers and payload).
    pub fn len(&self) -> u32 {
        // SAFETY: By the type invariant the skb is live and not being modified.
        unsafe { (*self.as_raw()).len }
    }

    /// Whether the packet holds no bytes past `skb->data`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads `buf.len()` bytes starting `offset` bytes after the network header.
    ///
    /// Returns a view of the bytes in place when they are in the linear part of the packet, or
    /// of `buf` after copying them out of the fragments; `None` when the packet is too short.
    pub fn network_bytes<'a>(&'a self, offset: usize, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        let len = buf.len();
        // SAFETY: By the type invariant the skb is live.
        let nh = unsafe { bindings::skb_network_offset(self.as_raw()) };
        let start = i32::try_from(offset).ok()?.checked_add(nh)?;
        let ilen = i32::try_from(len).ok()?;
        if start < 0 || i64::from(start) + i64::from(ilen) > i64::from(self.len()) {
            return None;
        }
        // SAFETY: The skb is live; `[start, start + len)` lies within `skb->len`, and `buf` is
        // writable for `len` bytes.
        let p = unsafe {
            bindings::skb_header_pointer(self.as_raw(), start, ilen, buf.as_mut_ptr().cast())
        };
        if p.is_null() {
            return None;
        }
        // SAFETY: `skb_header_pointer` returned either `buf` or a pointer to `len` bytes of the
        // skb's linear data, which stays valid and unmodified for `'a` by the type invariant.
        Some(unsafe { core::slice::from_raw_parts(p.cast::<u8>(), len) })
    }
}
