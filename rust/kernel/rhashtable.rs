// SPDX-License-Identifier: GPL-2.0

//! Resizable hash tables with RCU look-ups, of reference-counted objects (rv6).
//!
//! An [`RhashTable<T, ID>`] indexes objects kept in [`Arc<T>`] by a key stored in the object
//! itself, over the kernel's `rhashtable`: look-ups take O(1) under the RCU read lock alone,
//! from any context, while inserts and removals take only the bucket's lock and the table
//! grows and shrinks in the background.  It is what a packet path wants for per-flow state
//! that the control plane changes: no lock shared by all readers, no cache line written per
//! look-up.
//!
//! An object takes part in a table through an [`RhashLinks`] field and names it, with its key
//! field, with [`impl_rhash_item!`]; `ID` tells apart the tables of one type, so an object can
//! be in several (by tag and by address pair, say), each through its own links.  The key is
//! compared byte for byte, so it is a plain value ([`AsBytes`]) fixed when the object is made.
//!
//! Ownership: the table holds one reference to each object in it.  A look-up lends the object
//! for as long as the RCU read lock is held ([`ArcBorrow`] from [`RhashTable::lookup`]);
//! [`RhashTable::remove`] takes it out and gives the table's reference back as an
//! [`Unlinked`], which RCU readers may still be using: it waits for a grace period before the
//! reference can go (one wait for any number of objects with [`Unlinked::drop_all`]).
//!
//! C header: [`include/linux/rhashtable.h`](srctree/include/linux/rhashtable.h)

use crate::{
    bindings,
    error::to_result,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Full,
            Relaxed, //
        },
        rcu,
        Arc,
        ArcBorrow,
        LockClassKey, //
    },
    transmute::AsBytes,
    types::Opaque, //
};
use core::{
    ffi::c_void,
    marker::PhantomData,
    mem::ManuallyDrop, //
};

/// An object's place in one [`RhashTable`]: a field of the object.
///
/// # Invariants
///
/// `linked` is true while `head` is in a table, and then the table owns one reference to the
/// object, leaked with [`Arc::into_raw`].
#[repr(C)]
pub struct RhashLinks {
    head: Opaque<bindings::rhash_head>,
    linked: Atomic<bool>,
}

// SAFETY: `head` is only touched by the rhashtable code, under its bucket locks and RCU.
unsafe impl Send for RhashLinks {}
// SAFETY: As above.
unsafe impl Sync for RhashLinks {}

impl RhashLinks {
    /// Links in no table.
    pub fn new() -> Self {
        // INVARIANT: In no table, and not linked.
        Self {
            head: Opaque::uninit(),
            linked: Atomic::new(false),
        }
    }
}

impl Default for RhashLinks {
    fn default() -> Self {
        Self::new()
    }
}

/// Names the [`RhashLinks`] and the key of a type for its table number `ID`; implement it with
/// [`impl_rhash_item!`].
///
/// # Safety
///
/// `LINKS_OFFSET` is the offset of a field of type [`RhashLinks`] and `KEY_OFFSET` that of a
/// field of type `Self::Key`, never written while the object is shared (no interior
/// mutability), both below 64 KiB.
pub unsafe trait RhashItem<const ID: u64 = 0>: Sized + Send + Sync {
    /// The key, compared as bytes.
    type Key: AsBytes;
    /// The offset of the `RhashLinks` field.
    const LINKS_OFFSET: usize;
    /// The offset of the key field.
    const KEY_OFFSET: usize;
}

/// Implements [`RhashItem`] from the names of the links and the key fields.
///
/// ```ignore
/// impl_rhash_item! { impl RhashItem<0> for Context { links: self.by_tag, key: self.tag: u64 } }
/// ```
#[macro_export]
macro_rules! impl_rhash_item {
    (impl RhashItem<$id:literal> for $self:ty {
        links: self.$links:ident, key: self.$key:ident: $key_ty:ty $(,)?
    }) => {
        // SAFETY: The offsets are those of `$links` and `$key`, whose types the function
        // below checks; a field of a plain `AsBytes` type reached through `&self` has no
        // interior mutability.  Offsets above 64 KiB fail to build (`RhashTable::PARAMS`).
        unsafe impl $crate::rhashtable::RhashItem<$id> for $self {
            type Key = $key_ty;
            const LINKS_OFFSET: usize = {
                const fn _field_types(s: &$self) -> (&$crate::rhashtable::RhashLinks, &$key_ty) {
                    (&s.$links, &s.$key)
                }
                ::core::mem::offset_of!($self, $links)
            };
            const KEY_OFFSET: usize = ::core::mem::offset_of!($self, $key);
        }
    };
}
pub use impl_rhash_item;

/// Makes a table with a lock class of its own (for its bucket locks), like `new_spinlock!`.
#[macro_export]
macro_rules! new_rhashtable {
    () => {
        $crate::rhashtable::RhashTable::new($crate::static_lock_class!())
    };
}
pub use new_rhashtable;

/// A hash table of `Arc<T>` keyed by `T`'s key for table `ID`; see the [module](self)
/// documentation.
///
/// # Invariants
///
/// `table` is initialised with `Self::PARAMS`; every object in it is a `T` leaked with
/// [`Arc::into_raw`] whose `ID` links are marked linked, one reference per object.
#[pin_data(PinnedDrop)]
pub struct RhashTable<T: RhashItem<ID>, const ID: u64 = 0> {
    #[pin]
    table: Opaque<bindings::rhashtable>,
    _t: PhantomData<Arc<T>>,
}

// SAFETY: The table's own state is synchronised by the rhashtable code; what it shares across
// threads is `Arc<T>`s, which are `Send + Sync` since `T` is (`RhashItem` requires it).
unsafe impl<T: RhashItem<ID>, const ID: u64> Send for RhashTable<T, ID> {}
// SAFETY: As above.
unsafe impl<T: RhashItem<ID>, const ID: u64> Sync for RhashTable<T, ID> {}

/// Why an insert failed, with the object given back.
pub struct InsertError<T> {
    /// `EEXIST` (the key is taken), `EBUSY` (the object is in a table already), `ENOMEM` or
    /// `E2BIG` (the table is full).
    pub error: Error,
    /// The object that was not inserted.
    pub object: Arc<T>,
}

impl<T> From<InsertError<T>> for Error {
    fn from(e: InsertError<T>) -> Error {
        e.error
    }
}

impl<T: RhashItem<ID>, const ID: u64> RhashTable<T, ID> {
    /// The table's parameters: the key's bytes at `KEY_OFFSET`, hashed with `jhash`; shrinks
    /// as objects leave.
    const PARAMS: bindings::rhashtable_params = {
        let key_len = core::mem::size_of::<T::Key>();
        let head = T::LINKS_OFFSET + core::mem::offset_of!(RhashLinks, head);
        assert!(key_len > 0 && key_len <= u16::MAX as usize);
        assert!(T::KEY_OFFSET <= u16::MAX as usize && head <= u16::MAX as usize);
        bindings::rhashtable_params {
            nelem_hint: 0,
            key_len: key_len as u16,
            key_offset: T::KEY_OFFSET as u16,
            head_offset: head as u16,
            max_size: 0,
            min_size: 0,
            insecure_elasticity: false,
            automatic_shrinking: true,
            hashfn: None,
            obj_hashfn: None,
            obj_cmpfn: None,
        }
    };

    /// An empty table; `key` is the lock class of its bucket locks (see [`new_rhashtable!`]).
    pub fn new(key: Pin<&'static LockClassKey>) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            // INVARIANT: Initialised with `PARAMS`.
            table <- Opaque::try_ffi_init(|place: *mut bindings::rhashtable| {
                // SAFETY: `place` is valid for writes; `PARAMS` is valid (a key, its offset and
                // the head's, within the object); the lock class key is static.
                to_result(unsafe {
                    bindings::__rhashtable_init_noprof(place, &Self::PARAMS, key.as_ptr())
                })
            }),
            _t: PhantomData,
        }? Error)
    }

    /// The object whose key is `key`, lent for as long as the RCU read lock `_rcu` is held.
    pub fn lookup<'a>(&'a self, key: &T::Key, _rcu: &'a rcu::Guard) -> Option<ArcBorrow<'a, T>> {
        // SAFETY: The table is initialised with `PARAMS`, which the helper gets too; the RCU
        // read lock is held (`_rcu`); `key` points to a `T::Key` (the key's `key_len` bytes).
        let p = unsafe {
            bindings::rhashtable_lookup(
                self.table.get(),
                core::ptr::from_ref(key).cast::<c_void>(),
                Self::PARAMS,
            )
        };
        if p.is_null() {
            return None;
        }
        // SAFETY: By the type invariants, `p` is a `T` leaked with `Arc::into_raw` and the
        // table holds a reference; a removed object's reference is dropped only after an RCU
        // grace period (`Unlinked`), which cannot end while `_rcu` lives, and the table
        // cannot be dropped while `self` is borrowed.
        Some(unsafe { ArcBorrow::from_raw(p.cast::<T>()) })
    }

    /// Inserts `obj` unless an object with its key is in the table or it is in a table already.
    /// Any context.
    pub fn insert(&self, obj: Arc<T>) -> Result<(), InsertError<T>> {
        let links = Self::links(&obj);
        if links.linked.xchg(true, Full) {
            return Err(InsertError {
                error: EBUSY,
                object: obj,
            });
        }
        let raw = Arc::into_raw(obj);
        // SAFETY: `raw` is a live `T` whose links `LINKS_OFFSET` names (`RhashItem`); they are
        // in no table (`linked` was false, and is now ours); the table uses `PARAMS`.
        let rc = unsafe {
            bindings::rhashtable_lookup_insert_fast(self.table.get(), Self::head(raw), Self::PARAMS)
        };
        // INVARIANT: On success the table owns the reference leaked above, and the links are
        // marked linked.
        match to_result(rc) {
            Ok(()) => Ok(()),
            Err(error) => {
                // SAFETY: Not inserted: the reference leaked above is still ours.
                let object = unsafe { Arc::from_raw(raw) };
                Self::links(&object).linked.store(false, Relaxed);
                Err(InsertError { error, object })
            }
        }
    }

    /// Takes `obj` out of the table, if it is in it, and gives the table's reference back.
    /// Any context (dropping the [`Unlinked`] sleeps).
    pub fn remove(&self, obj: &T) -> Option<Unlinked<T>> {
        if !Self::links(obj).linked.load(Relaxed) {
            return None;
        }
        let raw = core::ptr::from_ref(obj);
        // SAFETY: The table uses `PARAMS`; `raw` is a live `T`.  The rhashtable code only
        // compares it with the objects in the table unless it is one of them.
        let rc = unsafe {
            bindings::rhashtable_remove_fast(self.table.get(), Self::head(raw), Self::PARAMS)
        };
        if rc != 0 {
            return None;
        }
        Self::links(obj).linked.store(false, Relaxed);
        // SAFETY: `obj` was in this table, which owned a reference leaked with `into_raw` (type
        // invariants); out of it now, the reference is ours.
        Some(Unlinked(ManuallyDrop::new(unsafe { Arc::from_raw(raw) })))
    }

    /// The links of `obj` for this table.
    fn links(obj: &T) -> &RhashLinks {
        // SAFETY: `LINKS_OFFSET` is the offset of an `RhashLinks` field of `T` (`RhashItem`).
        unsafe {
            &*core::ptr::from_ref(obj)
                .cast::<u8>()
                .add(T::LINKS_OFFSET)
                .cast::<RhashLinks>()
        }
    }

    /// The `rhash_head` of the object at `obj`.
    ///
    /// # Safety
    ///
    /// `obj` points to a live `T`.
    unsafe fn head(obj: *const T) -> *mut bindings::rhash_head {
        // SAFETY: `head` is within `obj` (`PARAMS.head_offset`), by the caller's promise.
        unsafe { obj.cast::<u8>().add(Self::PARAMS.head_offset as usize) }
            .cast_mut()
            .cast()
    }

    /// Gives back the table's reference to each object left in it at destruction.
    ///
    /// # Safety
    ///
    /// `ptr` must be an object still in one of these tables, which the table owns a reference
    /// to (a `T` leaked with `Arc::into_raw`), with the table being destroyed and no reader able
    /// to reach it, as `rhashtable_free_and_destroy()` passes it (once per object) to its
    /// `free_fn`.
    unsafe extern "C" fn release(ptr: *mut c_void, _arg: *mut c_void) {
        // SAFETY: The table is being destroyed and `ptr` was in it: a `T` leaked with
        // `Arc::into_raw` whose reference the table owned, and no reader can reach it (the
        // table is not borrowed any more).
        let obj = unsafe { Arc::from_raw(ptr.cast::<T>()) };
        Self::links(&obj).linked.store(false, Relaxed);
    }
}

#[pinned_drop]
impl<T: RhashItem<ID>, const ID: u64> PinnedDrop for RhashTable<T, ID> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The table is initialised and not used any more; `release` matches the
        // objects' type.  This sleeps (it waits for the resize worker), so a table is dropped in
        // process context.
        unsafe {
            bindings::rhashtable_free_and_destroy(
                self.table.get(),
                Some(Self::release),
                core::ptr::null_mut(),
            )
        };
    }
}

/// An object just taken out of a table, which RCU readers that found it before may still be
/// using: dropping it (or [`Unlinked::into_arc`]) waits for an RCU grace period first, so it
/// must happen in process context.
#[must_use = "dropping an Unlinked waits for an RCU grace period"]
pub struct Unlinked<T>(ManuallyDrop<Arc<T>>);

impl<T> Unlinked<T> {
    /// The reference, once no RCU reader can still hold the object.  Sleeps.
    pub fn into_arc(self) -> Arc<T> {
        rcu::synchronize_rcu();
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so its `Arc` is taken exactly once.
        unsafe { ManuallyDrop::take(&mut this.0) }
    }

    /// Drops many after one grace period.  Sleeps.
    pub fn drop_all(all: KVec<Self>) {
        if all.is_empty() {
            return;
        }
        rcu::synchronize_rcu();
        for u in all {
            let mut u = ManuallyDrop::new(u);
            // SAFETY: As in `into_arc`: taken once, and a grace period has passed since each
            // was unlinked (all were, before the call).
            drop(unsafe { ManuallyDrop::take(&mut u.0) });
        }
    }
}

impl<T> core::ops::Deref for Unlinked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Drop for Unlinked<T> {
    fn drop(&mut self) {
        rcu::synchronize_rcu();
        // SAFETY: Dropped once, here, and a grace period has passed since it was unlinked.
        unsafe { ManuallyDrop::drop(&mut self.0) };
    }
}

#[macros::kunit_tests(rust_kernel_rhashtable)]
mod tests {
    use super::*;

    struct Item {
        by_id: RhashLinks,
        by_pair: RhashLinks,
        id: u64,
        pair: [u8; 36],
    }

    impl_rhash_item! { impl RhashItem<0> for Item { links: self.by_id, key: self.id: u64 } }
    impl_rhash_item! { impl RhashItem<1> for Item { links: self.by_pair, key: self.pair: [u8; 36] } }

    fn item(id: u64) -> Result<Arc<Item>> {
        let mut pair = [0u8; 36];
        pair[..8].copy_from_slice(&id.to_be_bytes());
        pair[35] = 1;
        Ok(Arc::new(
            Item {
                by_id: RhashLinks::new(),
                by_pair: RhashLinks::new(),
                id,
                pair,
            },
            GFP_KERNEL,
        )?)
    }

    #[test]
    fn lookup_finds_what_was_inserted_and_nothing_else() -> Result {
        let t = KBox::pin_init(new_rhashtable!(), GFP_KERNEL)?;
        let t: Pin<KBox<RhashTable<Item>>> = t;
        let a = item(7)?;
        t.insert(a.clone())?;
        let g = rcu::read_lock();
        assert_eq!(t.lookup(&7, &g).map(|x| x.id), Some(7));
        assert!(t.lookup(&8, &g).is_none());
        drop(g);
        // The table holds one reference.
        assert!(t.remove(&a).map(|u| u.into_arc()).is_some());
        let g = rcu::read_lock();
        assert!(t.lookup(&7, &g).is_none());
        drop(g);
        assert!(t.remove(&a).is_none());
        Ok(())
    }

    #[test]
    fn a_taken_key_or_a_linked_object_is_refused() -> Result {
        let t: Pin<KBox<RhashTable<Item>>> = KBox::pin_init(new_rhashtable!(), GFP_KERNEL)?;
        let u: Pin<KBox<RhashTable<Item>>> = KBox::pin_init(new_rhashtable!(), GFP_KERNEL)?;
        let a = item(1)?;
        t.insert(a.clone())?;
        let e = t.insert(item(1)?).err().map(|e| e.error);
        assert_eq!(e, Some(EEXIST));
        // The same links cannot be in two tables.
        let e = u.insert(a.clone()).err().map(|e| e.error);
        assert_eq!(e, Some(EBUSY));
        // Removing from a table it is not in does nothing.
        assert!(u.remove(&a).is_none());
        let mut out = KVec::new();
        out.push(t.remove(&a).ok_or(ENOENT)?, GFP_KERNEL)?;
        Unlinked::drop_all(out);
        u.insert(a)?;
        Ok(())
    }

    #[test]
    fn one_object_in_two_tables_by_two_keys() -> Result {
        let by_id: Pin<KBox<RhashTable<Item, 0>>> = KBox::pin_init(new_rhashtable!(), GFP_KERNEL)?;
        let by_pair: Pin<KBox<RhashTable<Item, 1>>> =
            KBox::pin_init(new_rhashtable!(), GFP_KERNEL)?;
        let a = item(3)?;
        by_id.insert(a.clone())?;
        by_pair.insert(a.clone())?;
        let g = rcu::read_lock();
        let p = by_id.lookup(&3, &g).map(|x| x.pair);
        assert_eq!(p, Some(a.pair));
        assert_eq!(by_pair.lookup(&a.pair, &g).map(|x| x.id), Some(3));
        drop(g);
        drop(by_pair);
        // Destroying a table gives its references back; the other keeps its own.
        let g = rcu::read_lock();
        assert_eq!(by_id.lookup(&3, &g).map(|x| x.id), Some(3));
        Ok(())
    }

    #[test]
    fn ten_thousand_objects_each_found_through_the_resizes() -> Result {
        const N: u64 = 10_000;
        let t: Pin<KBox<RhashTable<Item, 1>>> = KBox::pin_init(new_rhashtable!(), GFP_KERNEL)?;
        let mut kept = KVec::new();
        for i in 0..N {
            let x = item(i * 0x1_0000_0001)?;
            t.insert(x.clone())?;
            kept.push(x, GFP_KERNEL)?;
        }
        let g = rcu::read_lock();
        let found = kept
            .iter()
            .filter(|x| t.lookup(&x.pair, &g).is_some_and(|y| y.id == x.id))
            .count();
        drop(g);
        assert_eq!(found, N as usize);
        // Half out, with one grace period; the rest go with the table.
        let mut out = KVec::new();
        for x in kept.iter().step_by(2) {
            if let Some(u) = t.remove(x) {
                out.push(u, GFP_KERNEL)?;
            }
        }
        assert_eq!(out.len(), (N / 2) as usize);
        Unlinked::drop_all(out);
        let g = rcu::read_lock();
        let left = kept
            .iter()
            .filter(|x| t.lookup(&x.pair, &g).is_some())
            .count();
        drop(g);
        assert_eq!(left, (N / 2) as usize);
        Ok(())
    }
}
