// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: read-only access to a packet seen by a hook.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use crate::{
    bindings,
    types::Opaque, //
};

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
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::sk_buff) -> &'a Self {
        // SAFETY: `SkBuff` is `repr(transparent)` over `sk_buff`; the caller promises validity.
        unsafe { &*ptr.cast() }
    }

    #[inline]
    pub(crate) fn as_raw(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// Bytes in the packet from `skb->data` on (headers and payload).
    #[inline]
    pub fn len(&self) -> u32 {
        // SAFETY: By the type invariant the skb is live and not being modified.
        unsafe { (*self.as_raw()).len }
    }

    /// Whether the packet holds no bytes past `skb->data`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the linear head's parts are, as offsets from `skb->head`: `data`, the network
    /// header and the tail.  These are the fields `skb_network_header()`, `skb->data` and
    /// `skb_tail_pointer()` read; reading them here spares a call per packet on fast paths.
    #[inline]
    pub(crate) fn layout(&self) -> (*const u8, usize, usize, usize) {
        let skb = self.as_raw();
        // SAFETY: By the type invariant the skb is live and not being modified.
        let (head, data, tail) = unsafe { ((*skb).head, (*skb).data, (*skb).tail) };
        // SAFETY: As above.
        let (_, network, _) = unsafe { header_offsets(skb) };
        // `data` lies in the buffer `head` starts (a kernel invariant of every skb).
        let data = (data as usize).wrapping_sub(head as usize);
        // With `NET_SKBUFF_DATA_USES_OFFSET` (64-bit) the tail is an offset, else a pointer.
        #[cfg(CONFIG_64BIT)]
        let tail = tail as usize;
        #[cfg(not(CONFIG_64BIT))]
        let tail = (tail as usize).wrapping_sub(head as usize);
        (head, data, usize::from(network), tail)
    }

    /// The network header's offset from `skb->data` (`skb_network_offset()`): negative once an
    /// input path has pulled past it.
    #[inline]
    fn network_offset(&self) -> i64 {
        let (_, data, network, _) = self.layout();
        // Both are below 2^32 (offsets into one head).
        network as i64 - data as i64
    }

    /// Bytes from the network header to the end of the packet.
    #[inline]
    pub fn network_len(&self) -> usize {
        let (_, data, network, _) = self.layout();
        (data + self.len() as usize).saturating_sub(network)
    }

    /// The packet from its network header to the end of the buffer's linear part (or of the
    /// packet, if it ends first): what can be read in place.  All of it, for a linear packet;
    /// [`SkBuff::network_bytes`] copies from further on.
    #[inline]
    pub fn network_linear(&self) -> &[u8] {
        let (head, data, network, tail) = self.layout();
        let end = tail.min(data + self.len() as usize);
        if end <= network {
            return &[];
        }
        // SAFETY: `[network, end)` lies in the linear part of the buffer `head` starts: the
        // network header is in the linear head (input paths pull it before any hook) and `end`
        // is at most the tail.  By the type invariant the skb is neither freed nor modified while
        // `self` is borrowed.
        unsafe { core::slice::from_raw_parts(head.add(network), end - network) }
    }

    /// Reads `buf.len()` bytes starting `offset` bytes after the network header.
    ///
    /// Returns a view of the bytes in place when they are in the linear part of the packet, or
    /// of `buf` after copying them out of the fragments; `None` when the packet is too short.
    #[inline]
    pub fn network_bytes<'a>(&'a self, offset: usize, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        let start = self
            .network_offset()
            .checked_add(i64::try_from(offset).ok()?)?;
        self.bytes_at(start, buf)
    }

    /// Reads `buf.len()` bytes starting `offset` bytes after `skb->data`, the way
    /// [`SkBuff::network_bytes`] does; netfilter's `protoff` is such an offset.
    #[inline]
    pub fn bytes<'a>(&'a self, offset: usize, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        self.bytes_at(i64::try_from(offset).ok()?, buf)
    }

    /// Calls `f` with the bytes from `offset` (after `skb->data`) to the end of the packet: once,
    /// in place, when they are all in the linear part (the usual case for a control protocol's
    /// segment), else in consecutive pieces of at most `N` bytes copied out of the fragments.
    ///
    /// Returns `false` (having called `f` for nothing) when `offset` is past the end.
    #[inline]
    pub fn for_each_chunk<const N: usize>(&self, offset: usize, mut f: impl FnMut(&[u8])) -> bool {
        let total = self.len() as usize;
        if offset > total || N == 0 {
            return false;
        }
        let (head, data, _, tail) = self.layout();
        // `skb_headlen()`: the linear bytes from `data`.
        if total <= tail.wrapping_sub(data) {
            if offset < total {
                // SAFETY: `[data + offset, data + total)` lies in the linear part (just checked),
                // which stays valid and unmodified while `self` is borrowed.
                f(unsafe { core::slice::from_raw_parts(head.add(data + offset), total - offset) });
            }
            return true;
        }
        self.for_each_copied_chunk::<N>(offset, f)
    }

    /// [`SkBuff::for_each_chunk`] without its linear shortcut: pieces of at most `N` bytes,
    /// copied into a buffer that is never zeroed first (a control protocol's segment is a few
    /// dozen bytes; clearing the whole buffer for every packet cost more than the copy).
    fn for_each_copied_chunk<const N: usize>(
        &self,
        offset: usize,
        mut f: impl FnMut(&[u8]),
    ) -> bool {
        let total = self.len() as usize;
        if offset > total || N == 0 {
            return false;
        }
        let mut buf = core::mem::MaybeUninit::<[u8; N]>::uninit();
        let mut at = offset;
        while at < total {
            let n = N.min(total - at);
            let (Ok(start), Ok(len)) = (
                core::ffi::c_int::try_from(at),
                core::ffi::c_int::try_from(n),
            ) else {
                return false;
            };
            // SAFETY: The skb is live; `[at, at + n)` lies between `skb->data` and the end of the
            // packet (`at < total`, `n <= total - at`), and `buf` is writable for `n <= N` bytes.
            let r = unsafe {
                bindings::skb_copy_bits(self.as_raw(), start, buf.as_mut_ptr().cast(), len)
            };
            if r != 0 {
                return false;
            }
            // SAFETY: `skb_copy_bits` succeeded, so it wrote the first `n` bytes of `buf`.
            f(unsafe { core::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n) });
            at += n;
        }
        true
    }

    /// Reads from `start` bytes after `skb->data`; `start` may be negative down to the network
    /// header, which input paths have already pulled past.
    #[inline]
    fn bytes_at<'a>(&'a self, start: i64, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        let len = buf.len();
        let ilen = i32::try_from(len).ok()?;
        let nh = self.network_offset();
        if start < nh.min(0) || start + i64::from(ilen) > i64::from(self.len()) {
            return None;
        }
        let start = i32::try_from(start).ok()?;
        // SAFETY: The skb is live; `[start, start + len)` lies between the network header (in
        // the linear head; the bytes from it to `data` are the headers already parsed) and the
        // end of the packet, and `buf` is writable for `len` bytes.
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

/// The MAC, network and transport header offsets from `skb->head`, as `skb_mac_header()` and
/// its siblings read them (`0xffff` when unset).
///
/// # Safety
///
/// `skb` points to a live `sk_buff` whose headers nobody moves during the call.
#[inline]
pub(crate) unsafe fn header_offsets(skb: *const bindings::sk_buff) -> (u16, u16, u16) {
    // SAFETY: By the caller the skb is live.  The offsets sit in the anonymous struct that the
    // `headers` struct group overlays, which bindgen turns into a union field; it is read as
    // that struct, which the C code names.
    let o = unsafe { (*skb).__bindgen_anon_4.__bindgen_anon_1.as_ref() };
    (o.mac_header, o.network_header, o.transport_header)
}

/// A linear packet for KUnit tests: 64 bytes of headroom, then the bytes given, from the
/// network header on.
///
/// # Invariants
///
/// `self.0` is a live skb owned by this object.
#[cfg(CONFIG_KUNIT = "y")]
pub(crate) struct TestSkb(core::ptr::NonNull<bindings::sk_buff>);

#[cfg(CONFIG_KUNIT = "y")]
impl TestSkb {
    pub(crate) const HEADROOM: usize = 64;

    pub(crate) fn new(data: &[u8]) -> crate::error::Result<Self> {
        let len = u32::try_from(data.len() + Self::HEADROOM)?;
        // SAFETY: Plain allocation; freed in `drop`.
        let skb = unsafe { bindings::alloc_skb(len, crate::alloc::flags::GFP_KERNEL.as_raw()) };
        let skb = core::ptr::NonNull::new(skb).ok_or(crate::error::code::ENOMEM)?;
        // SAFETY: The skb is ours, linear, with room for the headroom and `data`.
        unsafe {
            bindings::skb_reserve(skb.as_ptr(), Self::HEADROOM as core::ffi::c_int);
            bindings::skb_reset_network_header(skb.as_ptr());
            let p = bindings::skb_put(skb.as_ptr(), data.len() as u32);
            core::ptr::copy_nonoverlapping(data.as_ptr(), p.cast::<u8>(), data.len());
        }
        Ok(Self(skb))
    }

    /// The raw skb, to move its headers as the paths under test do.
    pub(crate) fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.0.as_ptr()
    }

    pub(crate) fn skb(&self) -> &SkBuff {
        // SAFETY: We own the live skb and do not change it while the borrow lasts.
        unsafe { SkBuff::from_raw(self.0.as_ptr()) }
    }

    /// Sets the MAC, network and transport header offsets from `skb->head`.
    pub(crate) fn set_header_offsets(&mut self, mac: u16, network: u16, transport: u16) {
        // SAFETY: The skb is ours; the offsets are plain fields of the `headers` group, the
        // anonymous struct `header_offsets` reads.
        let o = unsafe {
            (*self.0.as_ptr())
                .__bindgen_anon_4
                .__bindgen_anon_1
                .as_mut()
        };
        (o.mac_header, o.network_header, o.transport_header) = (mac, network, transport);
    }
}

#[cfg(CONFIG_KUNIT = "y")]
impl Drop for TestSkb {
    fn drop(&mut self) {
        // SAFETY: We own the skb.
        unsafe { bindings::kfree_skb(self.0.as_ptr()) };
    }
}

#[macros::kunit_tests(rust_kernel_net_skbuff)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn network_bytes_reach_back_to_the_network_header() -> Result {
        let t = TestSkb::new(&[1, 2, 3, 4, 5, 6, 7, 8])?;
        // SAFETY: The skb is ours and holds 8 linear bytes; input paths pull like this.
        unsafe { bindings::skb_pull(t.as_ptr(), 4) };
        assert_eq!(t.skb().len(), 4);
        let mut buf = [0u8; 2];
        assert_eq!(t.skb().network_bytes(1, &mut buf), Some(&[2u8, 3][..]));
        assert_eq!(t.skb().bytes(0, &mut buf), Some(&[5u8, 6][..]));
        let mut all = [0u8; 8];
        assert_eq!(
            t.skb().network_bytes(0, &mut all),
            Some(&[1u8, 2, 3, 4, 5, 6, 7, 8][..])
        );
        let mut more = [0u8; 9];
        assert_eq!(t.skb().network_bytes(0, &mut more), None);
        Ok(())
    }

    #[test]
    fn the_network_offset_follows_data() -> Result {
        let t = TestSkb::new(&[1, 2, 3, 4, 5, 6, 7, 8])?;
        // SAFETY: The skb is ours and holds 8 linear bytes; input paths pull like this.
        unsafe { bindings::skb_pull(t.as_ptr(), 3) };
        assert_eq!(t.skb().network_offset(), -3);
        // SAFETY: The skb has headroom: `data` goes 2 bytes before the network header, as on
        // an output path that has pushed room for a header in front of it.
        unsafe { bindings::skb_push(t.as_ptr(), 5) };
        assert_eq!(t.skb().network_offset(), 2);
        Ok(())
    }

    #[test]
    fn the_linear_network_view_follows_the_headers() -> Result {
        let t = TestSkb::new(&[1, 2, 3, 4, 5, 6, 7, 8])?;
        assert_eq!(t.skb().network_linear(), &[1u8, 2, 3, 4, 5, 6, 7, 8][..]);
        assert_eq!(t.skb().network_len(), 8);
        // SAFETY: The skb is ours and holds 8 linear bytes; input paths pull like this.
        unsafe { bindings::skb_pull(t.as_ptr(), 3) };
        assert_eq!(t.skb().network_linear(), &[1u8, 2, 3, 4, 5, 6, 7, 8][..]);
        assert_eq!(t.skb().network_len(), 8);
        // SAFETY: As above; trimming drops the tail, as `pskb_trim_rcsum()` does.
        unsafe { bindings::skb_trim(t.as_ptr(), 2) };
        assert_eq!(t.skb().network_linear(), &[1u8, 2, 3, 4, 5][..]);
        assert_eq!(t.skb().network_len(), 5);
        Ok(())
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

    #[test]
    fn chunks_cover_the_rest_of_the_packet_in_order() -> Result {
        let data: [u8; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        let t = TestSkb::new(&data)?;
        // A linear packet: one piece, in place.
        let mut seen = KVec::new();
        let mut pieces = 0;
        assert!(t.skb().for_each_chunk::<4>(1, |c| {
            let _ = seen.extend_from_slice(c, GFP_KERNEL);
            pieces += 1;
        }));
        assert_eq!(pieces, 1);
        assert_eq!(&seen[..], &data[1..]);
        // The copying path, as for fragments: pieces of the buffer's size.
        let mut all = KVec::new();
        let mut sizes = KVec::new();
        assert!(t.skb().for_each_copied_chunk::<4>(1, |c| {
            let _ = all.extend_from_slice(c, GFP_KERNEL);
            let _ = sizes.push(c.len(), GFP_KERNEL);
        }));
        assert_eq!(&all[..], &data[1..]);
        assert_eq!(&sizes[..], &[4, 4, 1]);
        let mut calls = 0;
        assert!(t.skb().for_each_chunk::<4>(10, |_| calls += 1));
        assert!(!t.skb().for_each_chunk::<4>(11, |_| calls += 1));
        assert!(t.skb().for_each_copied_chunk::<4>(10, |_| calls += 1));
        assert!(!t.skb().for_each_copied_chunk::<4>(11, |_| calls += 1));
        assert_eq!(calls, 0);
        Ok(())
    }
}
