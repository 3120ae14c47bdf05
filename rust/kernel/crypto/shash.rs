// SPDX-License-Identifier: GPL-2.0

//! Keyed hashes (`shash`): templates that build one over a spawned block cipher, algorithms
//! registered under fixed names, and a handle to use any registered one.
//!
//! A template (`xcbc`, `cmac`, ...) turns a cipher name into an algorithm: `xcbc(aes)` is the
//! `xcbc` template instantiated over `aes`.  [`Template`] registers a [`CipherTemplate`]: the
//! crypto API calls it to create instances, and every transform of an instance owns a
//! [`Cipher`] spawned from the instance's cipher and a context of the template's type.
//! Per-request state lives in the `shash_desc` and must be `Copy`: the crypto API copies and
//! zeroes it as plain bytes.
//!
//! C header: [`include/crypto/internal/hash.h`](srctree/include/crypto/internal/hash.h)

use crate::{
    bindings,
    crypto::cipher::Cipher,
    error::{
        from_err_ptr,
        from_result,
        to_result,
        Result, //
    },
    prelude::*,
    sync::atomic::{
        ordering,
        Atomic, //
    },
    types::Opaque,
    ThisModule, //
};
use core::{
    ffi::{
        c_int,
        c_uint,
        c_void, //
    },
    marker::PhantomData,
    mem::{
        align_of,
        size_of, //
    },
    ptr::NonNull, //
};

/// A keyed hash's arithmetic: what [`CipherTemplate`] instances and [`Algorithm`]s compute.
pub trait Hash: 'static {
    /// Bytes of the digest.
    const DIGEST_SIZE: usize;
    /// Bytes of [`Hash::export`]'s output.
    const STATE_SIZE: usize;

    /// Per-transform context: the cipher and the derived keys.
    type Tfm: Send + Sync;
    /// Per-request state, kept in the `shash_desc`.
    type State: Copy;

    /// Keys the transform; on error the previous key must stay in force.
    fn set_key(tfm: &mut Self::Tfm, key: &[u8]) -> Result;
    /// The state at the start of a message.
    fn init(tfm: &Self::Tfm) -> Self::State;
    /// Feeds more of the message.
    fn update(tfm: &Self::Tfm, state: &mut Self::State, data: &[u8]);
    /// Writes the digest (`DIGEST_SIZE` bytes).
    fn finish(tfm: &Self::Tfm, state: &Self::State, out: &mut [u8]);
    /// Writes the digest of a whole message (`DIGEST_SIZE` bytes): the crypto API's one-shot
    /// path, which needs no state to carry between calls.
    fn digest(tfm: &Self::Tfm, data: &[u8], out: &mut [u8]) {
        let mut state = Self::init(tfm);
        Self::update(tfm, &mut state, data);
        Self::finish(tfm, &state, out);
    }
    /// Writes the state as `STATE_SIZE` bytes.
    fn export(state: &Self::State, out: &mut [u8]);
    /// A state from `STATE_SIZE` bytes of [`Hash::export`]; `EINVAL` if impossible.
    fn import(bytes: &[u8]) -> Result<Self::State>;
}

/// A keyed hash built from a block cipher, instantiated by name (`NAME(<cipher>)`).
pub trait CipherTemplate: Hash {
    /// The template's name, `xcbc` in `xcbc(aes)`.
    const NAME: &'static CStr;

    /// Whether the template works over a cipher with this block size; `EINVAL` otherwise.
    fn check_block_size(block_size: usize) -> Result;
    /// The priority of an instance over a cipher of `cipher_priority`.
    fn priority(cipher_priority: i32) -> i32 {
        cipher_priority
    }
    /// A new transform's context, around its own cipher (not keyed yet).
    fn init_tfm(cipher: Cipher) -> Result<Self::Tfm>;
}

/// A keyed hash registered under fixed names (`crypto_register_shash`) rather than
/// instantiated from a template: an implementation bound to one cipher, such as one calling
/// the AES library directly.
pub trait Algorithm: Hash {
    /// The algorithm's name (`xcbc(aes)`).
    const NAME: &'static CStr;
    /// The implementation's name (`xcbc-aes-rust`).
    const DRIVER_NAME: &'static CStr;
    /// Its priority among implementations of [`Algorithm::NAME`].
    const PRIORITY: i32;
    /// Bytes of the underlying cipher's block.
    const BLOCK_SIZE: usize;

    /// A new transform's context (not keyed yet).
    fn init_tfm() -> Result<Self::Tfm>;
}

/// Whether a static table is registered: the crypto API writes into a table it is handed
/// before it finds it on its lists, so a second registration of the same table must be refused
/// before the call, not by it.
struct Claim(Atomic<u32>);

impl Claim {
    const fn new() -> Self {
        Self(Atomic::new(0))
    }

    /// Claims the table and runs `register`; `EBUSY` if it is claimed already.  The claim is
    /// given back if `register` fails.
    fn claim_for(&self, register: impl FnOnce() -> Result) -> Result {
        if self.0.cmpxchg(0, 1, ordering::Full).is_err() {
            return Err(EBUSY);
        }
        register().inspect_err(|_| self.release())
    }

    /// Gives the claim back, once the table is unregistered.
    fn release(&self) {
        self.0.store(0, ordering::Release);
    }
}

/// A [`CipherTemplate`]'s `struct crypto_template`, built at compile time into a `static` of
/// its module; the crypto API links it and its instances into its lists while it is
/// registered.
///
/// ```ignore
/// static XCBC: shash::TemplateVtable<Xcbc> =
///     shash::TemplateVtable::new(kernel::module::this_module::<crate::LocalModule>());
/// ```
///
/// # Invariants
///
/// `taken` is claimed while a [`Template`] has the table registered.
pub struct TemplateVtable<T: CipherTemplate> {
    tmpl: Opaque<bindings::crypto_template>,
    taken: Claim,
    _p: PhantomData<T>,
}

// SAFETY: The crypto API writes the table only while registering and unregistering it (which
// `taken` makes exclusive) and under its own locks; otherwise any CPU only reads it.
unsafe impl<T: CipherTemplate> Sync for TemplateVtable<T> {}

impl<T: CipherTemplate> TemplateVtable<T> {
    /// The table of `T`, owned by `module` (`THIS_MODULE`), which every instance pins.
    pub const fn new(module: &'static ThisModule) -> Self {
        const {
            // The crypto API aligns transform and request contexts to ARCH_SLAB_MINALIGN.
            assert!(align_of::<T::Tfm>() <= 8 && align_of::<T::State>() <= 8);
        };
        // SAFETY: All-zero is a valid unregistered `crypto_template` (its lists and work are
        // set up by `crypto_register_template`).
        let mut t: bindings::crypto_template = unsafe { core::mem::zeroed() };
        copy_name(&mut t.name, T::NAME);
        t.create = Some(Template::<T>::create);
        t.module = module.as_ptr();
        Self {
            tmpl: Opaque::new(t),
            taken: Claim::new(),
            _p: PhantomData,
        }
    }
}

/// A registered [`CipherTemplate`]; dropping it unregisters the template and every instance.
///
/// # Invariants
///
/// `tmpl` is registered with the crypto API, by this object alone, for as long as it lives.
pub struct Template<T: CipherTemplate> {
    tmpl: &'static TemplateVtable<T>,
}

/// Builds a slice from a C pointer and length, also when the pointer is null and `len` zero.
///
/// # Safety
///
/// If `len` is non-zero, `ptr` must be valid for reads of `len` bytes during `'a`.
#[inline]
unsafe fn slice<'a>(ptr: *const u8, len: c_uint) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: Per the function's safety requirement.
        unsafe { core::slice::from_raw_parts(ptr, len as usize) }
    }
}

impl<T: CipherTemplate> Template<T> {
    /// Registers the template `tmpl` describes; `EBUSY` if it is registered already.
    pub fn new(tmpl: &'static TemplateVtable<T>) -> Result<Self> {
        // `crypto_register_template` re-initialises a table it then finds on its list, hence
        // the claim.
        tmpl.taken.claim_for(|| {
            // SAFETY: `tmpl` is a valid template that lives forever, registered by nobody else
            // (claimed).
            to_result(unsafe { bindings::crypto_register_template(tmpl.tmpl.get()) })
        })?;
        Ok(Self { tmpl })
    }

    /// `crypto_template.create`: instantiates `NAME(<cipher>)`.
    ///
    /// # Safety
    ///
    /// `tmpl` must be the template registered by [`Template::new`] and `tb` the attribute table
    /// of the requested instance (`tb[0]` its type, `tb[1]` the cipher's name), as the crypto
    /// core passes them to `create`.
    unsafe extern "C" fn create(
        tmpl: *mut bindings::crypto_template,
        tb: *mut *mut bindings::rtattr,
    ) -> c_int {
        from_result(|| {
            let mut mask = 0u32;
            // SAFETY: `tb` is the attribute table the crypto API passes to `create`.
            to_result(unsafe {
                bindings::crypto_check_attr_type(tb, bindings::CRYPTO_ALG_TYPE_SHASH, &mut mask)
            })?;
            let size =
                size_of::<bindings::shash_instance>() + size_of::<bindings::crypto_cipher_spawn>();
            // SAFETY: Plain zeroed allocation; freed below or by `inst->free`.
            let inst = unsafe {
                bindings::__kmalloc_noprof(size, bindings::GFP_KERNEL | bindings::__GFP_ZERO)
            }
            .cast::<bindings::shash_instance>();
            if inst.is_null() {
                return Err(ENOMEM);
            }
            // SAFETY: `inst` is a zeroed `shash_instance` followed by room for the spawn.
            match unsafe { Self::fill_and_register(tmpl, tb, inst, mask) } {
                Ok(()) => Ok(0),
                Err(e) => {
                    // SAFETY: `inst` was not registered; this drops the spawn if it was grabbed
                    // (a zeroed spawn is handled) and frees the allocation.
                    unsafe { bindings::shash_free_singlespawn_instance(inst) };
                    Err(e)
                }
            }
        })
    }

    /// # Safety
    ///
    /// `inst` is a zeroed, unregistered `shash_instance` with a `crypto_cipher_spawn` after it;
    /// `tmpl` and `tb` are what `create` got.
    unsafe fn fill_and_register(
        tmpl: *mut bindings::crypto_template,
        tb: *mut *mut bindings::rtattr,
        inst: *mut bindings::shash_instance,
        mask: u32,
    ) -> Result {
        // SAFETY: Per the safety requirements `inst` is valid; the spawn follows it.
        let spawn =
            unsafe { bindings::shash_instance_ctx(inst) }.cast::<bindings::crypto_cipher_spawn>();
        // SAFETY: As above.
        let base = unsafe { bindings::shash_crypto_instance(inst) };
        // SAFETY: `tb[1]` exists for a template with one argument (checked by
        // `crypto_attr_alg_name`, which returns an error pointer otherwise and that
        // `crypto_grab_cipher` passes on).
        let cipher_name = unsafe { bindings::crypto_attr_alg_name(*tb.add(1)) };
        // SAFETY: `spawn` and `base` belong to `inst`; a bad name comes back as an error.
        to_result(unsafe { bindings::crypto_grab_cipher(spawn, base, cipher_name, 0, mask) })?;
        // SAFETY: The spawn was grabbed, so it names a live algorithm.
        let alg = unsafe { &*bindings::crypto_spawn_cipher_alg(spawn) };
        T::check_block_size(alg.cra_blocksize as usize)?;
        // SAFETY: `tmpl` is our registered template; `alg` the grabbed cipher.
        to_result(unsafe {
            bindings::crypto_inst_setname(
                base,
                (*tmpl).name.as_ptr(),
                core::ptr::from_ref(alg).cast_mut(),
            )
        })?;
        // SAFETY: `inst` is valid and not yet visible to anyone else; `alg` is the member of
        // the instance union that shash instances use.
        let a = unsafe { (*inst).__bindgen_anon_1.alg.as_mut() };
        // SAFETY: `halg` is the view of the common hash fields every shash algorithm uses.
        let common = unsafe { &mut a.__bindgen_anon_1.halg };
        common.base.cra_priority = T::priority(alg.cra_priority);
        common.base.cra_blocksize = alg.cra_blocksize;
        Ops::<T>::fill(a);
        a.init_tfm = Some(Self::init_tfm);
        // SAFETY: `inst` is valid.
        unsafe { (*inst).free = Some(bindings::shash_free_singlespawn_instance) };
        // SAFETY: `inst` is fully set up; on success the crypto API owns it.
        to_result(unsafe { bindings::shash_register_instance(tmpl, inst) })
    }

    /// `shash_alg.init_tfm`: sets up a new transform's context.
    ///
    /// # Safety
    ///
    /// `tfm` must be a new transform of one of this template's instances, whose context is
    /// uninitialised, as the crypto core passes it to `init_tfm`.
    unsafe extern "C" fn init_tfm(tfm: *mut bindings::crypto_shash) -> c_int {
        from_result(|| {
            // SAFETY: The crypto API calls `init_tfm` on a transform of one of our instances,
            // whose spawn follows the instance.
            let spawn = unsafe { bindings::shash_instance_ctx(bindings::shash_alg_instance(tfm)) }
                .cast::<bindings::crypto_cipher_spawn>();
            // SAFETY: The spawn was grabbed when the instance was created.
            let raw = from_err_ptr(unsafe { bindings::crypto_spawn_cipher(spawn) })?;
            let raw = NonNull::new(raw).ok_or(ENOMEM)?;
            // SAFETY: `crypto_spawn_cipher` hands us a new transform to own.
            let cipher = unsafe { Cipher::from_raw(raw) };
            let ctx = T::init_tfm(cipher)?;
            // SAFETY: The transform context is `size_of::<T::Tfm>()` bytes, suitably aligned
            // (checked at compile time), and uninitialised until now.
            unsafe { Ops::<T>::ctx(tfm).write(ctx) };
            Ok(0)
        })
    }
}

/// The callbacks every shash algorithm of `H` shares, template instance or not.
struct Ops<H: Hash>(PhantomData<H>);

impl<H: Hash> Ops<H> {
    /// The transform's context: `crypto_shash_ctx()`, which is the `__crt_ctx` array that
    /// ends `struct crypto_tfm`, computed in place so that every call of the hot path does not
    /// cost a call to a C helper.
    ///
    /// # Safety
    ///
    /// `tfm` is a live transform of this algorithm.
    #[inline]
    unsafe fn ctx(tfm: *mut bindings::crypto_shash) -> *mut H::Tfm {
        // SAFETY: Per the safety requirement `tfm` is live; the context is the `cra_ctxsize`
        // bytes at `__crt_ctx`, ours.  No reference is made.
        unsafe { core::ptr::addr_of_mut!((*tfm).base.__crt_ctx) }.cast()
    }

    /// The request's transform context and state (`shash_desc_ctx()`: the `__ctx` array that
    /// ends `struct shash_desc`, computed in place as in [`Ops::ctx`]).
    ///
    /// # Safety
    ///
    /// `desc` is a live request of this algorithm's transforms, initialised by `init`.
    #[inline]
    unsafe fn desc<'a>(desc: *mut bindings::shash_desc) -> (&'a H::Tfm, *mut H::State) {
        // SAFETY: Per the safety requirement `desc->tfm` is live and its context initialised.
        let tfm = unsafe { &*Self::ctx((*desc).tfm) };
        // SAFETY: The request context is the `descsize` bytes at `__ctx`, room for an
        // `H::State`.  No reference is made.
        let state = unsafe { core::ptr::addr_of_mut!((*desc).__ctx) }.cast();
        (tfm, state)
    }

    /// `shash_alg.exit_tfm`: drops a transform's context.
    ///
    /// # Safety
    ///
    /// `tfm` must be a transform of one of this algorithm on which `init_tfm`
    /// succeeded, with no other use of it in progress or to come, as the crypto core passes it
    /// to `exit_tfm` (once, when the transform is freed).
    unsafe extern "C" fn exit_tfm(tfm: *mut bindings::crypto_shash) {
        // SAFETY: `init_tfm` succeeded on this transform, so the context holds a `H::Tfm`, and
        // the crypto API calls `exit_tfm` once, after the last use.
        unsafe { core::ptr::drop_in_place(Self::ctx(tfm)) };
    }

    /// `shash_alg.setkey`: keys a transform.
    ///
    /// # Safety
    ///
    /// `tfm` must be a transform of one of this algorithm on which `init_tfm`
    /// succeeded and that nothing else uses during the call, and `key` must be valid for reads
    /// of `len` bytes (it may be null if `len` is zero), as the crypto core passes them to
    /// `setkey`.
    unsafe extern "C" fn setkey(
        tfm: *mut bindings::crypto_shash,
        key: *const u8,
        len: c_uint,
    ) -> c_int {
        // SAFETY: `key` is readable for `len` bytes.
        let key = unsafe { slice(key, len) };
        // SAFETY: The context was initialised by `init_tfm`; the crypto API's contract is that
        // `setkey` does not run concurrently with other uses of the same transform.
        let ctx = unsafe { &mut *Self::ctx(tfm) };
        from_result(|| H::set_key(ctx, key).map(|()| 0))
    }

    /// `shash_alg.init`: starts a message.
    ///
    /// # Safety
    ///
    /// `desc` must be a request whose `tfm` is a transform of one of this algorithm on
    /// which `init_tfm` succeeded, with a request context of `descsize` bytes that nothing else
    /// uses during the call, as the crypto core passes it to `init`.
    unsafe extern "C" fn init(desc: *mut bindings::shash_desc) -> c_int {
        // SAFETY: `desc` is a request of our transform; its state is written, not read.
        let (tfm, state) = unsafe { Self::desc(desc) };
        // SAFETY: The request context has room for a `H::State`.
        unsafe { state.write(H::init(tfm)) };
        0
    }

    /// `shash_alg.update`: feeds more of the message.
    ///
    /// # Safety
    ///
    /// `desc` must be a request of one of this algorithm' transforms whose state was
    /// set by `init` or `import` and that nothing else uses during the call, and `data` must be
    /// valid for reads of `len` bytes (it may be null if `len` is zero), as the crypto core
    /// passes them to `update`.
    unsafe extern "C" fn update(
        desc: *mut bindings::shash_desc,
        data: *const u8,
        len: c_uint,
    ) -> c_int {
        // SAFETY: `desc` was initialised by `init` (or `import`).
        let (tfm, state) = unsafe { Self::desc(desc) };
        // SAFETY: `data` is readable for `len` bytes; the state is ours for the call.
        H::update(tfm, unsafe { &mut *state }, unsafe { slice(data, len) });
        0
    }

    /// `shash_alg.final`: writes the digest.
    ///
    /// # Safety
    ///
    /// `desc` must be a request of one of this algorithm' transforms whose state was
    /// set by `init` or `import` and that nothing else uses during the call, and `out` must be
    /// valid for writes of `DIGEST_SIZE` bytes (the `digestsize` the instance declared), as the
    /// crypto core passes them to `final`.
    unsafe extern "C" fn final_(desc: *mut bindings::shash_desc, out: *mut u8) -> c_int {
        // SAFETY: `desc` was initialised by `init` (or `import`).
        let (tfm, state) = unsafe { Self::desc(desc) };
        // SAFETY: `out` has room for the digest size the instance declared.
        let out = unsafe { core::slice::from_raw_parts_mut(out, H::DIGEST_SIZE) };
        // SAFETY: The state is initialised.
        H::finish(tfm, unsafe { &*state }, out);
        0
    }

    /// `shash_alg.export` and `export_core`: writes the request's state.
    ///
    /// # Safety
    ///
    /// `desc` must be a request of one of this algorithm' transforms whose state was
    /// set by `init` or `import` and that nothing else uses during the call, and `out` must be
    /// valid for writes of `STATE_SIZE` bytes (the `statesize` the instance declared), as the
    /// crypto core passes them to `export`.
    unsafe extern "C" fn export(desc: *mut bindings::shash_desc, out: *mut c_void) -> c_int {
        // SAFETY: `desc` was initialised by `init` (or `import`).
        let (_, state) = unsafe { Self::desc(desc) };
        // SAFETY: `out` has room for the state size the instance declared.
        let out = unsafe { core::slice::from_raw_parts_mut(out.cast::<u8>(), H::STATE_SIZE) };
        // SAFETY: The state is initialised.
        H::export(unsafe { &*state }, out);
        0
    }

    /// `shash_alg.import` and `import_core`: sets the request's state from `export`'s output.
    ///
    /// # Safety
    ///
    /// `desc` must be a request whose `tfm` is a transform of one of this algorithm on
    /// which `init_tfm` succeeded, with a request context of `descsize` bytes that nothing else
    /// uses during the call, and `input` must be valid for reads of `STATE_SIZE` bytes (the
    /// `statesize` the instance declared), as the crypto core passes them to `import`.
    unsafe extern "C" fn import(desc: *mut bindings::shash_desc, input: *const c_void) -> c_int {
        // SAFETY: `desc` is a request of our transform; the state is written, not read.
        let (_, state) = unsafe { Self::desc(desc) };
        // SAFETY: `input` holds the state size the instance declared.
        let bytes = unsafe { core::slice::from_raw_parts(input.cast::<u8>(), H::STATE_SIZE) };
        from_result(|| {
            // SAFETY: The request context has room for a `H::State`.
            unsafe { state.write(H::import(bytes)?) };
            Ok(0)
        })
    }

    /// `shash_alg.finup`: feeds the rest of the message and writes the digest.
    ///
    /// # Safety
    ///
    /// As for [`Ops::update`], and `out` must be valid for writes of `DIGEST_SIZE` bytes.
    unsafe extern "C" fn finup(
        desc: *mut bindings::shash_desc,
        data: *const u8,
        len: c_uint,
        out: *mut u8,
    ) -> c_int {
        // SAFETY: `desc` was initialised by `init` (or `import`).
        let (tfm, state) = unsafe { Self::desc(desc) };
        // SAFETY: The state is ours for the call.
        let state = unsafe { &mut *state };
        // SAFETY: `data` is readable for `len` bytes.
        H::update(tfm, state, unsafe { slice(data, len) });
        // SAFETY: `out` has room for the digest size the algorithm declared.
        let out = unsafe { core::slice::from_raw_parts_mut(out, H::DIGEST_SIZE) };
        H::finish(tfm, state, out);
        0
    }

    /// `shash_alg.digest`: the digest of a whole message, without a state in the request.
    ///
    /// # Safety
    ///
    /// `desc` must be a request of a transform of this algorithm on which `init_tfm` and
    /// `setkey` succeeded, `data` valid for reads of `len` bytes (it may be null if `len` is
    /// zero) and `out` for writes of `DIGEST_SIZE` bytes, as the crypto core passes them.
    unsafe extern "C" fn digest(
        desc: *mut bindings::shash_desc,
        data: *const u8,
        len: c_uint,
        out: *mut u8,
    ) -> c_int {
        // SAFETY: Per the safety requirements `desc->tfm` is live and its context initialised.
        let tfm = unsafe { &*Self::ctx((*desc).tfm) };
        // SAFETY: `data` is readable for `len` bytes.
        let data = unsafe { slice(data, len) };
        // SAFETY: `out` has room for the digest size the algorithm declared.
        let out = unsafe { core::slice::from_raw_parts_mut(out, H::DIGEST_SIZE) };
        H::digest(tfm, data, out);
        0
    }

    /// Fills in the callbacks and sizes of `a` (the algorithm's own and those of its `halg`
    /// view), all but `init_tfm`.
    const fn fill(a: &mut bindings::shash_alg) {
        // SAFETY: `halg` is the view of the common hash fields every shash algorithm uses; any
        // bit pattern is valid for it.
        let common = unsafe { &mut a.__bindgen_anon_1.halg };
        common.base.cra_ctxsize = size_of::<H::Tfm>() as c_uint;
        common.digestsize = H::DIGEST_SIZE as c_uint;
        common.statesize = H::STATE_SIZE as c_uint;
        a.descsize = size_of::<H::State>() as c_uint;
        a.exit_tfm = Some(Self::exit_tfm);
        a.setkey = Some(Self::setkey);
        a.init = Some(Self::init);
        a.update = Some(Self::update);
        a.final_ = Some(Self::final_);
        a.finup = Some(Self::finup);
        a.digest = Some(Self::digest);
        a.export = Some(Self::export);
        a.import = Some(Self::import);
        a.export_core = Some(Self::export);
        a.import_core = Some(Self::import);
    }
}

impl<T: CipherTemplate> Drop for Template<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the template is registered; this removes it and every
        // instance (the crypto API waits for their users to go).
        unsafe { bindings::crypto_unregister_template(self.tmpl.tmpl.get()) };
        self.tmpl.taken.release();
    }
}

/// Copies `name` and its NUL into a `cra_name`-sized array, at compile time.
const fn copy_name(dst: &mut [c_char; bindings::CRYPTO_MAX_ALG_NAME as usize], name: &CStr) {
    let bytes = name.to_bytes_with_nul();
    assert!(bytes.len() <= dst.len(), "algorithm name too long");
    let mut i = 0;
    while i < bytes.len() {
        dst[i] = bytes[i] as c_char;
        i += 1;
    }
}

/// An [`Algorithm`]'s `struct shash_alg`, built at compile time into a `static` of its module;
/// the crypto API links it into its lists while it is registered.
///
/// ```ignore
/// static XCBC_AES: shash::AlgVtable<XcbcAes> =
///     shash::AlgVtable::new(kernel::module::this_module::<crate::LocalModule>());
/// ```
///
/// # Invariants
///
/// `taken` is claimed while a [`Registration`] has the table registered.
pub struct AlgVtable<T: Algorithm> {
    alg: Opaque<bindings::shash_alg>,
    taken: Claim,
    _p: PhantomData<T>,
}

// SAFETY: The crypto API writes the table only while registering and unregistering it (which
// `taken` makes exclusive); otherwise any CPU only reads it.
unsafe impl<T: Algorithm> Sync for AlgVtable<T> {}

impl<T: Algorithm> AlgVtable<T> {
    /// The table of `T`, owned by `module` (`THIS_MODULE`), which every transform pins.
    pub const fn new(module: &'static ThisModule) -> Self {
        const {
            // The crypto API aligns transform and request contexts to ARCH_SLAB_MINALIGN.
            assert!(align_of::<T::Tfm>() <= 8 && align_of::<T::State>() <= 8);
        };
        // SAFETY: All-zero is a valid `shash_alg`: no callbacks, no names, no flags.
        let mut a: bindings::shash_alg = unsafe { core::mem::zeroed() };
        Ops::<T>::fill(&mut a);
        a.init_tfm = Some(Self::init_tfm);
        // SAFETY: `halg` is the view of the common hash fields every shash algorithm uses.
        let common = unsafe { &mut a.__bindgen_anon_1.halg };
        copy_name(&mut common.base.cra_name, T::NAME);
        copy_name(&mut common.base.cra_driver_name, T::DRIVER_NAME);
        common.base.cra_priority = T::PRIORITY;
        common.base.cra_blocksize = T::BLOCK_SIZE as c_uint;
        common.base.cra_module = module.as_ptr();
        Self {
            alg: Opaque::new(a),
            taken: Claim::new(),
            _p: PhantomData,
        }
    }

    /// `shash_alg.init_tfm`: sets up a new transform's context.
    ///
    /// # Safety
    ///
    /// `tfm` must be a new transform of this algorithm, whose context is uninitialised, as the
    /// crypto core passes it to `init_tfm`.
    unsafe extern "C" fn init_tfm(tfm: *mut bindings::crypto_shash) -> c_int {
        from_result(|| {
            let ctx = T::init_tfm()?;
            // SAFETY: The transform context is `size_of::<T::Tfm>()` bytes, suitably aligned
            // (checked at compile time), and uninitialised until now.
            unsafe { Ops::<T>::ctx(tfm).write(ctx) };
            Ok(0)
        })
    }
}

/// Registers an [`Algorithm`] while it lives (`crypto_register_shash`); the crypto API runs
/// its self-tests (testmgr) first, as for any algorithm.
///
/// # Invariants
///
/// `alg` is registered with the crypto API.
pub struct Registration<T: Algorithm> {
    alg: &'static AlgVtable<T>,
}

impl<T: Algorithm> Registration<T> {
    /// Registers the algorithm `alg` describes; `EBUSY` if it is registered already.
    pub fn new(alg: &'static AlgVtable<T>) -> Result<Self> {
        // `crypto_register_shash` fills in parts of a table before it looks for it on its
        // list, hence the claim.
        alg.taken.claim_for(|| {
            // SAFETY: `alg` is a valid algorithm that lives forever, registered by nobody else
            // (claimed).
            to_result(unsafe { bindings::crypto_register_shash(alg.alg.get()) })
        })?;
        Ok(Self { alg })
    }
}

impl<T: Algorithm> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant); the crypto API waits for the algorithm's users.
        unsafe { bindings::crypto_unregister_shash(self.alg.alg.get()) };
        self.alg.taken.release();
    }
}

/// A handle to a keyed hash by name (`crypto_alloc_shash`), to compute digests.
///
/// # Invariants
///
/// `tfm` is a live `crypto_shash` owned by this object.
pub struct Shash {
    tfm: NonNull<bindings::crypto_shash>,
}

// SAFETY: Transforms may be used from any thread.
unsafe impl Send for Shash {}

impl Shash {
    /// Allocates a transform of the algorithm called `name` (`xcbc(aes)`).
    pub fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string.
        let tfm = from_err_ptr(unsafe { bindings::crypto_alloc_shash(name.as_char_ptr(), 0, 0) })?;
        Ok(Self {
            tfm: NonNull::new(tfm).ok_or(ENOMEM)?,
        })
    }

    /// Bytes of the digest.
    pub fn digest_size(&self) -> usize {
        // SAFETY: The transform is live.
        unsafe { bindings::crypto_shash_digestsize(self.tfm.as_ptr()) as usize }
    }

    /// Bytes of an exported state.
    pub fn state_size(&self) -> usize {
        // SAFETY: The transform is live.
        unsafe { bindings::crypto_shash_statesize(self.tfm.as_ptr()) as usize }
    }

    /// The driver behind the handle (`xcbc-aes-lib`, `xcbc(aes-lib)`, ...).
    pub fn driver_name(&self) -> &CStr {
        // SAFETY: The transform and its algorithm are live as long as `self`; the name is a
        // NUL-terminated array.
        unsafe {
            let alg = (*self.tfm.as_ptr()).base.__crt_alg;
            CStr::from_char_ptr((*alg).cra_driver_name.as_ptr())
        }
    }

    /// Sets the key.
    pub fn set_key(&mut self, key: &[u8]) -> Result {
        let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        // SAFETY: The transform is live; `key` is readable for `len` bytes.
        to_result(unsafe { bindings::crypto_shash_setkey(self.tfm.as_ptr(), key.as_ptr(), len) })
    }

    /// A request on this transform, to feed a message piece by piece.
    pub fn request(&self) -> Result<Request<'_>> {
        // SAFETY: The transform is live.
        let descsize = unsafe { bindings::crypto_shash_descsize(self.tfm.as_ptr()) } as usize;
        let words = (size_of::<bindings::shash_desc>() + descsize).div_ceil(8);
        let mut buf = KVec::from_elem(0u64, words, GFP_KERNEL)?;
        let desc = buf.as_mut_ptr().cast::<bindings::shash_desc>();
        // SAFETY: `buf` is zeroed, 8-byte aligned and large enough for the descriptor.
        unsafe { (*desc).tfm = self.tfm.as_ptr() };
        // SAFETY: The descriptor is set up for our live transform.
        to_result(unsafe { bindings::crypto_shash_init(desc) })?;
        Ok(Request {
            buf,
            _tfm: PhantomData,
        })
    }

    /// The digest of `data` in one call, without allocating; `out` must hold
    /// [`Shash::digest_size`] bytes.
    pub fn digest(&self, data: &[u8], out: &mut [u8]) -> Result {
        if out.len() < self.digest_size() {
            return Err(EINVAL);
        }
        let len = u32::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: The transform is live; `data` is readable for `len` bytes and `out` holds the
        // digest.
        to_result(unsafe {
            bindings::crypto_shash_tfm_digest(
                self.tfm.as_ptr(),
                data.as_ptr(),
                len,
                out.as_mut_ptr(),
            )
        })
    }
}

impl Drop for Shash {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the live transform.
        unsafe { bindings::crypto_free_shash(self.tfm.as_ptr()) };
    }
}

/// One message being hashed (`struct shash_desc` with its state).
///
/// # Invariants
///
/// `buf` holds an initialised `shash_desc` of a transform that outlives `'a`.
pub struct Request<'a> {
    buf: KVec<u64>,
    _tfm: PhantomData<&'a Shash>,
}

impl Request<'_> {
    fn desc(&mut self) -> *mut bindings::shash_desc {
        self.buf.as_mut_ptr().cast()
    }

    fn tfm(&mut self) -> *mut bindings::crypto_shash {
        // SAFETY: By the type invariant the descriptor is initialised.
        unsafe { (*self.desc()).tfm }
    }

    /// Feeds more of the message.
    pub fn update(&mut self, data: &[u8]) -> Result {
        let len = u32::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: The descriptor is initialised; `data` is readable for `len` bytes.
        to_result(unsafe { bindings::crypto_shash_update(self.desc(), data.as_ptr(), len) })
    }

    /// Writes the digest into `out`, which must hold the digest size.
    pub fn finish(mut self, out: &mut [u8]) -> Result {
        // SAFETY: The transform is live.
        if out.len() < unsafe { bindings::crypto_shash_digestsize(self.tfm()) } as usize {
            return Err(EINVAL);
        }
        // SAFETY: The descriptor is initialised; `out` is large enough.
        to_result(unsafe { bindings::crypto_shash_final(self.desc(), out.as_mut_ptr()) })
    }

    /// Writes the state into `out`, which must hold the transform's state size.
    pub fn export(&mut self, out: &mut [u8]) -> Result {
        // SAFETY: The transform is live.
        if out.len() < unsafe { bindings::crypto_shash_statesize(self.tfm()) } as usize {
            return Err(EINVAL);
        }
        // SAFETY: The descriptor is initialised; `out` is large enough.
        to_result(unsafe { bindings::crypto_shash_export(self.desc(), out.as_mut_ptr().cast()) })
    }

    /// Replaces the state with one from [`Request::export`].
    pub fn import(&mut self, state: &[u8]) -> Result {
        // SAFETY: The transform is live.
        if state.len() < unsafe { bindings::crypto_shash_statesize(self.tfm()) } as usize {
            return Err(EINVAL);
        }
        // SAFETY: The descriptor is set up; `state` holds a full state.
        to_result(unsafe { bindings::crypto_shash_import(self.desc(), state.as_ptr().cast()) })
    }
}

#[kunit_tests(rust_kernel_crypto_shash)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_claimed_once_and_given_back() {
        let c = Claim::new();
        assert_eq!(c.claim_for(|| Ok(())), Ok(()));
        assert_eq!(c.claim_for(|| Ok(())), Err(EBUSY));
        c.release();
        // A registration that fails leaves the table free.
        assert_eq!(c.claim_for(|| Err(EEXIST)), Err(EEXIST));
        let mut ran = false;
        assert_eq!(
            c.claim_for(|| {
                ran = true;
                Ok(())
            }),
            Ok(())
        );
        assert!(ran);
    }
}
