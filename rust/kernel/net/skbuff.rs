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

#[macros::kunit_tests(rv6_skbuff)]
mod tests {
    use super::*;
    use crate::prelude::*;
    use core::ptr::NonNull;

    /// A linear test packet: 16 bytes of headroom, then `data` as the network header on.
    struct TestSkb(NonNull<bindings::sk_buff>);

    impl TestSkb {
        fn new(data: &[u8]) -> Result<Self> {
            // SAFETY: Plain allocation; freed in `drop`.
            let skb = unsafe { bindings::alloc_skb(data.len() as u32 + 16, GFP_KERNEL.as_raw()) };
            let skb = NonNull::new(skb).ok_or(ENOMEM)?;
            // SAFETY: The skb is ours, linear, with room for 16 + `data.len()` bytes.
            unsafe {
                bindings::skb_reserve(skb.as_ptr(), 16);
                bindings::skb_reset_network_header(skb.as_ptr());
                let p = bindings::skb_put(skb.as_ptr(), data.len() as u32);
                core::ptr::copy_nonoverlapping(data.as_ptr(), p.cast::<u8>(), data.len());
            }
            Ok(Self(skb))
        }

        fn skb(&self) -> &SkBuff {
            // SAFETY: We own the live skb and do not change it while the borrow lasts.
            unsafe { SkBuff::from_raw(self.0.as_ptr()) }
        }
    }

    impl Drop for TestSkb {
        fn drop(&mut self) {
            // SAFETY: We own the skb.
            unsafe { bindings::kfree_skb(self.0.as_ptr()) };
        }
    }

    #[test]
    fn network_bytes_reads_inside_the_packet() -> Result {
        let t = TestSkb::new(&[1, 2, 3, 4, 5, 6, 7, 8])?;
        assert_eq!(t.skb().len(), 8);
        let mut buf = [0u8; 3];
        assert_eq!(t.skb().network_bytes(2, &mut buf), Some(&[3u8, 4, 5][..]));
        let mut all = [0u8; 8];
        assert_eq!(
            t.skb().network_bytes(0, &mut all),
            Some(&[1u8, 2, 3, 4, 5, 6, 7, 8][..])
        );
        Ok(())
    }

    #[test]
    fn network_bytes_refuses_reads_past_the_end() -> Result {
        let t = TestSkb::new(&[1, 2, 3, 4])?;
        let mut buf = [0u8; 2];
        assert_eq!(t.skb().network_bytes(3, &mut buf), None);
        assert_eq!(t.skb().network_bytes(4, &mut buf), None);
        assert_eq!(t.skb().network_bytes(usize::MAX, &mut buf), None);
        let mut big = [0u8; 5];
        assert_eq!(t.skb().network_bytes(0, &mut big), None);
        let mut none = [0u8; 0];
        assert_eq!(t.skb().network_bytes(4, &mut none), Some(&[][..]));
        Ok(())
    }
}
