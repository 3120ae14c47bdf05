// SPDX-License-Identifier: GPL-2.0

//! Timers embedded in reference-counted objects, armed from any context (rv6).
//!
//! An [`ObjectTimer<T>`] is a field of a `T` that lives in an [`Arc`].  It is armed for an
//! absolute time with [`ObjectTimer::arm`], from process context, a packet path or its own
//! callback, without allocating; while armed it holds one reference to its object, so the
//! object outlives every expiry.  [`ObjectTimer::stop`] ends it for good: the pending expiry
//! is cancelled, a running callback is waited for, the reference is dropped, and later arms
//! do nothing.  The callback, [`ObjectTimerCallback::expired`], runs in softirq context and
//! returns when it wants to run next.
//!
//! Arming for an earlier time than the pending one moves the expiry earlier; a later time is
//! left to the callback, which re-arms when it runs.  This is what per-object protocol timers
//! (keepalives, retransmissions, idle expiry) want: the data path records what happened and
//! arms for the earliest deadline it created, cheaply when a nearer one is already pending.
//!
//! Upstream's [`hrtimer`](super::hrtimer) hands the reference to a handle the caller must
//! keep and drop to cancel; an object kept in a table, armed from packet paths, has nowhere
//! to keep a handle.  Here the timer keeps the reference itself, and every arm and
//! every re-arm by the callback happens under the timer's lock, so the reference is taken
//! and dropped exactly once per armed period.
//!
//! C header: [`include/linux/hrtimer.h`](srctree/include/linux/hrtimer.h)

use crate::{
    bindings,
    prelude::*,
    static_lock_class,
    sync::{
        Arc,
        ArcBorrow,
        LockClassKey,
        SpinLockIrq, //
    },
    time::{
        Instant,
        Monotonic, //
    },
    types::Opaque, //
};
use core::marker::PhantomData;

/// Where a timer is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TimerState {
    /// Not pending; no reference held.
    Stopped,
    /// Pending for this time (ns of `CLOCK_MONOTONIC`); one reference held.
    Armed(i64),
    /// The callback is running; one reference held.  Arms meanwhile are kept here and
    /// honoured when the callback returns.
    Running(Option<i64>),
    /// Stopped for good by [`ObjectTimer::stop`].
    Dead,
}

/// The name of every timer's state lock, and its lock class: one class for all, defined
/// outside the generic code.  (A `static` in a generic function is one static, but a string
/// literal there is one per crate that instantiates it, and lockdep compares class names by
/// address: `new_spinlock_irq!` in `ObjectTimer::<T>::new` gave the kernel crate and each
/// module the same key with different names, a lockdep WARN.)
static STATE_NAME: &CStr = c"ObjectTimer::state";

fn state_class() -> Pin<&'static LockClassKey> {
    static_lock_class!()
}

/// A timer embedded in a `T` kept in an [`Arc<T>`]; see the [module](self) documentation.
///
/// # Invariants
///
/// - `timer` is set up with `ObjectTimer::run::<T>` as its function, `CLOCK_MONOTONIC`,
///   absolute soft mode, and is a field of a `T` at offset `T::OFFSET`.
/// - The hrtimer is enqueued or its callback is running only while `state` is `Armed` or
///   `Running` (or `Dead` during [`ObjectTimer::stop`], which waits for both to end), and in
///   those states the timer owns one reference to its `T`, leaked with [`Arc::into_raw`].
/// - The hrtimer is started only with `state` locked.
#[pin_data]
#[repr(C)]
pub struct ObjectTimer<T> {
    #[pin]
    timer: Opaque<bindings::hrtimer>,
    #[pin]
    state: SpinLockIrq<TimerState>,
    _t: PhantomData<fn(T) -> T>,
}

// SAFETY: The hrtimer is synchronised by the timer core and `state` by its lock; the timer
// only ever hands a `T` to the callback, which needs `T: Send + Sync` (see
// [`ObjectTimerCallback`]).
unsafe impl<T> Send for ObjectTimer<T> {}
// SAFETY: As above.
unsafe impl<T> Sync for ObjectTimer<T> {}

/// Names the [`ObjectTimer`] field of a type; implement it with [`impl_has_object_timer!`].
///
/// # Safety
///
/// [`HasObjectTimer::OFFSET`] must be the offset of a field of type `ObjectTimer<Self>`.
pub unsafe trait HasObjectTimer: Sized {
    /// The offset of the `ObjectTimer<Self>` field.
    const OFFSET: usize;
}

/// Implements [`HasObjectTimer`] for a type from the name of its [`ObjectTimer`] field.
///
/// ```ignore
/// impl_has_object_timer! { impl HasObjectTimer for Context { self.timer } }
/// ```
#[macro_export]
macro_rules! impl_has_object_timer {
    (impl HasObjectTimer for $self:ty { self.$field:ident }) => {
        // SAFETY: `OFFSET` is the offset of `$field`, whose type the function below checks.
        unsafe impl $crate::time::object_timer::HasObjectTimer for $self {
            const OFFSET: usize = {
                const fn _field_type(s: &$self) -> &$crate::time::object_timer::ObjectTimer<$self> {
                    &s.$field
                }
                ::core::mem::offset_of!($self, $field)
            };
        }
    };
}
pub use impl_has_object_timer;

/// The callback of an object's [`ObjectTimer`].
pub trait ObjectTimerCallback: HasObjectTimer + Send + Sync + 'static {
    /// Runs in softirq context at (or after) the earliest time the timer was armed for;
    /// returns when to run next, or `None` to stop until armed again.  It may arm the timer
    /// itself; it must not [`stop`](ObjectTimer::stop) it (that waits for this callback).
    ///
    /// When the timer drops its reference after this returns, the object may be dropped
    /// here, in softirq context.
    fn expired(this: ArcBorrow<'_, Self>, now: Instant<Monotonic>) -> Option<Instant<Monotonic>>;
}

impl<T: ObjectTimerCallback> ObjectTimer<T> {
    /// A stopped timer.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: Set up with `run::<T>`, CLOCK_MONOTONIC, absolute soft mode; the
            // caller embeds it in a `T`, which `HasObjectTimer` names.
            timer <- Opaque::ffi_init(|place: *mut bindings::hrtimer| {
                // SAFETY: `place` is valid for writes; `hrtimer_setup` initialises it.
                unsafe {
                    bindings::hrtimer_setup(
                        place,
                        Some(Self::run),
                        bindings::CLOCK_MONOTONIC as bindings::clockid_t,
                        bindings::hrtimer_mode_HRTIMER_MODE_ABS_SOFT,
                    )
                }
            }),
            state <- SpinLockIrq::new(TimerState::Stopped, STATE_NAME, state_class()),
            _t: PhantomData,
        })
    }

    fn of(this: &T) -> &Self {
        let p = core::ptr::from_ref(this).cast::<u8>();
        // SAFETY: By `HasObjectTimer`'s contract an `ObjectTimer<T>` lives at `T::OFFSET` in
        // every `T`, and it is borrowed for as long as `this`.
        unsafe { &*p.add(T::OFFSET).cast::<Self>() }
    }

    /// Starts the hrtimer for `at`.
    ///
    /// # Safety
    ///
    /// `state` must be locked, and be (or be about to be set to) `Armed`, with the
    /// reference that state owns held.
    unsafe fn start(&self, at: i64) {
        // SAFETY: The timer was set up in `new` (type invariant) and lives inside a `T` kept
        // alive by the reference the caller holds for the armed state.
        unsafe {
            bindings::hrtimer_start_range_ns(
                self.timer.get(),
                at,
                0,
                bindings::hrtimer_mode_HRTIMER_MODE_ABS_SOFT,
            )
        }
    }

    /// Arms `this`'s timer for `at` unless it is pending for an earlier time (or stopped for
    /// good).  Any context; does not allocate or sleep.
    pub fn arm(this: ArcBorrow<'_, T>, at: Instant<Monotonic>) {
        let me = Self::of(&this);
        let at = at.as_nanos();
        let mut state = me.state.lock();
        match *state {
            TimerState::Stopped => {
                // The armed period's reference, given back by the callback or `stop`.
                let _ = Arc::into_raw(Arc::from(this));
                *state = TimerState::Armed(at);
                // SAFETY: Locked, now `Armed`, with its reference leaked above.
                unsafe { me.start(at) };
            }
            TimerState::Armed(pending) if at < pending => {
                *state = TimerState::Armed(at);
                // SAFETY: Locked and `Armed`, whose reference is held.
                unsafe { me.start(at) };
            }
            TimerState::Running(asked) => {
                *state = TimerState::Running(Some(asked.map_or(at, |a| a.min(at))));
            }
            TimerState::Armed(_) | TimerState::Dead => {}
        }
    }

    /// Whether the timer is pending or its callback running.
    pub fn is_armed(&self) -> bool {
        matches!(
            *self.state.lock(),
            TimerState::Armed(_) | TimerState::Running(_)
        )
    }

    /// Stops the timer for good: cancels a pending expiry, waits for a running callback and
    /// drops the timer's reference; later arms do nothing.  It does not sleep, but it waits
    /// for a callback running on another CPU: it must not be called from the callback itself,
    /// nor with a lock held that the callback takes.
    pub fn stop(&self) {
        let was = core::mem::replace(&mut *self.state.lock(), TimerState::Dead);
        if !matches!(was, TimerState::Armed(_) | TimerState::Running(_)) {
            return;
        }
        // SAFETY: The timer was set up in `new`; `hrtimer_cancel` dequeues it and waits for a
        // running callback, which sees `Dead` and neither re-arms nor drops the reference.
        unsafe { bindings::hrtimer_cancel(self.timer.get()) };
        let obj = core::ptr::from_ref(self)
            .cast::<u8>()
            .wrapping_sub(T::OFFSET)
            .cast::<T>();
        // SAFETY: `was` says the timer owned a reference, leaked by `arm` with `into_raw` on
        // this object (`self` is its field at `T::OFFSET`); the timer is now neither pending
        // nor running and never will be again, so the reference is ours to drop.
        drop(unsafe { Arc::from_raw(obj) });
    }

    /// `hrtimer.function`: runs [`ObjectTimerCallback::expired`] and re-arms or releases.
    ///
    /// # Safety
    ///
    /// `ptr` must be the hrtimer of an `ObjectTimer<T>` set up by `new`, expiring after `start`
    /// enqueued it, so that the `T` it is a field of is kept alive by the reference of the armed
    /// period (leaked by `arm` with `Arc::into_raw`), or by `stop`, which took that reference
    /// and waits for this callback, as the hrtimer core passes it to the timer's `function`.
    unsafe extern "C" fn run(ptr: *mut bindings::hrtimer) -> bindings::hrtimer_restart {
        let me = ptr.cast::<Self>().cast_const();
        let obj = me.cast::<u8>().wrapping_sub(T::OFFSET).cast::<T>();
        // SAFETY: The timer core calls this for an enqueued timer, which by the type
        // invariant owns a reference to the `T` it is a field of (`ObjectTimer` is
        // `repr(C)` with the hrtimer first): the object lives at least until this callback
        // gives that reference up below.
        let (me, this) = unsafe { (&*me, ArcBorrow::from_raw(obj)) };
        {
            let mut state = me.state.lock();
            if *state == TimerState::Dead {
                // `stop` waits for this callback, then drops the reference.
                return bindings::hrtimer_restart::HRTIMER_NORESTART;
            }
            *state = TimerState::Running(None);
        }
        let next = T::expired(this, Instant::now()).map(|i| i.as_nanos());
        let release = {
            let mut state = me.state.lock();
            match *state {
                TimerState::Running(asked) => {
                    let at = match (next, asked) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if let Some(at) = at {
                        *state = TimerState::Armed(at);
                        // SAFETY: Locked and `Armed`, keeping this period's reference.  Started
                        // from its own callback: the core sees it enqueued and, as this returns
                        // `HRTIMER_NORESTART`, leaves it so.
                        unsafe { me.start(at) };
                        false
                    } else {
                        *state = TimerState::Stopped;
                        true
                    }
                }
                // `stop` ran meanwhile and owns the reference now.
                _ => false,
            }
        };
        if release {
            // SAFETY: The armed period's reference, leaked by `arm` with `into_raw`; the
            // state is `Stopped`, so nothing else will give it back.  After this the object
            // (and `me` in it) may be gone: nothing touches them again, and the timer core
            // does not look at a timer whose callback returned `HRTIMER_NORESTART`.
            drop(unsafe { Arc::from_raw(obj) });
        }
        bindings::hrtimer_restart::HRTIMER_NORESTART
    }
}

#[macros::kunit_tests(rust_kernel_time_object_timer)]
mod tests {
    use super::*;
    use crate::{
        sync::{
            atomic::{
                ordering::Relaxed,
                Atomic, //
            },
            Arc, //
        },
        time::{
            delay::fsleep,
            Delta, //
        }, //
    };

    /// Counts its callbacks; re-arms itself `again` more times, `period` apart.
    #[pin_data]
    struct Probe {
        #[pin]
        timer: ObjectTimer<Probe>,
        runs: Atomic<u32>,
        again: Atomic<u32>,
        period: Delta,
        _dropped: Dropped,
    }

    /// Counts its drop (the probe's, as a field of it).
    struct Dropped(&'static Atomic<u32>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.add(1, Relaxed);
        }
    }

    impl_has_object_timer! { impl HasObjectTimer for Probe { self.timer } }

    impl ObjectTimerCallback for Probe {
        fn expired(
            this: ArcBorrow<'_, Self>,
            now: Instant<Monotonic>,
        ) -> Option<Instant<Monotonic>> {
            this.runs.add(1, Relaxed);
            if this.again.load(Relaxed) == 0 {
                return None;
            }
            let _ = this.again.fetch_sub(1, Relaxed);
            Some(now + this.period)
        }
    }

    fn probe(again: u32, dropped: &'static Atomic<u32>) -> Result<Arc<Probe>> {
        Arc::pin_init(
            pin_init!(Probe {
                timer <- ObjectTimer::new(),
                runs: Atomic::new(0),
                again: Atomic::new(again),
                period: Delta::from_millis(5),
                _dropped: Dropped(dropped),
            }),
            GFP_KERNEL,
        )
    }

    fn in_ms(ms: i64) -> Instant<Monotonic> {
        Instant::now() + Delta::from_millis(ms)
    }

    /// Waits until `done` holds, for up to 5 s: a loaded TCG guest runs softirqs late.
    fn wait_for(done: impl Fn() -> bool) -> bool {
        for _ in 0..1000 {
            if done() {
                return true;
            }
            fsleep(Delta::from_millis(5));
        }
        done()
    }

    #[test]
    fn an_armed_timer_runs_once_and_gives_its_reference_back() -> Result {
        static DROPPED: Atomic<u32> = Atomic::new(0);
        let p = probe(0, &DROPPED)?;
        // Pending for an hour first, so that "armed" cannot race the expiry on a slow guest.
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(3_600_000));
        assert!(p.timer.is_armed());
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(5));
        assert!(wait_for(|| !p.timer.is_armed()));
        assert_eq!(p.runs.load(Relaxed), 1);
        drop(p);
        // The timer's reference was given back: ours was the last.
        assert_eq!(DROPPED.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn the_callback_re_arms_and_an_earlier_arm_wins() -> Result {
        static DROPPED: Atomic<u32> = Atomic::new(0);
        let p = probe(3, &DROPPED)?;
        // Pending in an hour; an arm for 5 ms moves it, one for two hours does not.
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(3_600_000));
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(5));
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(7_200_000));
        // The first run and three re-arms, then it stops.
        assert!(wait_for(|| p.runs.load(Relaxed) == 4 && !p.timer.is_armed()));
        drop(p);
        assert_eq!(DROPPED.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn stop_cancels_for_good_and_drops_the_reference() -> Result {
        static DROPPED: Atomic<u32> = Atomic::new(0);
        let p = probe(0, &DROPPED)?;
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(20));
        p.timer.stop();
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(1));
        fsleep(Delta::from_millis(60));
        assert_eq!(p.runs.load(Relaxed), 0);
        assert!(!p.timer.is_armed());
        drop(p);
        assert_eq!(DROPPED.load(Relaxed), 1);
        Ok(())
    }

    #[test]
    fn an_object_whose_only_reference_is_the_timer_goes_with_its_last_expiry() -> Result {
        static DROPPED: Atomic<u32> = Atomic::new(0);
        let p = probe(2, &DROPPED)?;
        ObjectTimer::arm(p.as_arc_borrow(), in_ms(5));
        drop(p);
        // Dropped in softirq context by the callback's last run.
        assert!(wait_for(|| DROPPED.load(Relaxed) == 1));
        Ok(())
    }
}
