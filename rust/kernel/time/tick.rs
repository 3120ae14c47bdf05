// SPDX-License-Identifier: GPL-2.0

//! The tick count, `jiffies` (rv6): a clock for packet paths that need a time for every
//! packet but not to the nanosecond.
//!
//! Reading it is one load, where [`Instant::now`](super::Instant::now) reads the clocksource
//! under the timekeeper's sequence count (35 guest instructions a call on the rv6 kernel,
//! measured with `scripts/tbprof.sh`).  It advances `HZ` times a second, from the tick that
//! updates the timekeeper: it lags the monotonic clock by less than a tick while ticks come
//! on time (an idle CPU's count is brought up to date when an interrupt wakes it).
//!
//! C header: [`include/linux/jiffies.h`](srctree/include/linux/jiffies.h)

use crate::bindings;

/// Nanoseconds per tick (`TICK_NSEC`).
pub const TICK_NSEC: u64 = bindings::TICK_NSEC as u64;

/// The ticks counted so far.  Only differences mean anything: the count starts five minutes
/// before wrapping its low 32 bits (`INITIAL_JIFFIES`), and wraps at `c_ulong`'s width.
#[inline]
pub fn jiffies() -> u64 {
    // SAFETY: `jiffies` is a kernel global that lives for the kernel's lifetime; it is read
    // with a volatile load, as the C `volatile` declaration has every reader do, and the
    // tick updates it with a single aligned store of its native width.
    let j = unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) };
    j as u64
}

/// Nanoseconds elapsed from tick count `since` to `now` (wrapping, as the count does).
#[inline]
pub fn ticks_to_nanos(since: u64, now: u64) -> u64 {
    now.wrapping_sub(since).saturating_mul(TICK_NSEC)
}

#[macros::kunit_tests(rust_kernel_time_tick)]
mod tests {
    use super::*;
    use crate::time::{
        Instant,
        Monotonic, //
    };

    #[test]
    fn the_tick_count_never_runs_ahead_of_the_monotonic_clock() {
        let t0 = Instant::<Monotonic>::now();
        let j0 = jiffies();
        // Until 3 ticks passed, or a second (a guest starved of its ticks).
        while ticks_to_nanos(j0, jiffies()) < 3 * TICK_NSEC
            && (Instant::<Monotonic>::now() - t0).as_nanos() < 1_000_000_000
        {
            core::hint::spin_loop();
        }
        // The count first: a tick after the clock's reading would add one.
        let ticked = ticks_to_nanos(j0, jiffies());
        let elapsed = (Instant::<Monotonic>::now() - t0).as_nanos() as u64;
        // The tick moved (KUnit's `assert!` takes no message).
        assert!(ticked >= 3 * TICK_NSEC);
        // The tick is driven by the timekeeper: the count can be late, never early (the
        // first tick may have been due just after `t0`).
        assert!(ticked <= elapsed + TICK_NSEC);
    }

    #[test]
    fn tick_differences_wrap() {
        assert_eq!(ticks_to_nanos(u64::MAX, 1), 2 * TICK_NSEC);
        assert_eq!(ticks_to_nanos(5, 5), 0);
    }
}
