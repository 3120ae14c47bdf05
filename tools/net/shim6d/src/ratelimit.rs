//! A token bucket on the engine's clock, for what RFC 5533 says SHOULD be
//! rate-limited: the Error Messages the daemon sends (§5.14), which any
//! stranger can provoke with a message of an unknown type or option.
//!
//! The bucket is kept as time, not tokens: `credit` is how many
//! nanoseconds of refill it holds, at most `burst` tokens' worth, and a
//! token costs a `rate`th of a second of it.  Integer arithmetic, no
//! rounding drift; a clock that steps back refills nothing.

use rv6_cores::shim6_ctx::NSEC_PER_SEC;

/// Error Messages a second, on average.
pub const ERROR_RATE: u32 = 10;
/// Error Messages sent at once after a quiet time.
pub const ERROR_BURST: u32 = 20;

/// Up to `burst` at once, then `rate` a second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    /// Nanoseconds one token takes to come back.
    cost: u64,
    /// Nanoseconds of refill the bucket holds when full.
    capacity: u64,
    credit: u64,
    last: u64,
    /// Refused since the last token taken.
    refused: u64,
}

impl TokenBucket {
    /// A full bucket at `now` (`rate` and `burst` at least 1).
    pub fn new(rate: u32, burst: u32, now: u64) -> Self {
        let cost = NSEC_PER_SEC / u64::from(rate.max(1));
        let capacity = cost * u64::from(burst.max(1));
        TokenBucket {
            cost,
            capacity,
            credit: capacity,
            last: now,
            refused: 0,
        }
    }

    /// The bucket for Error Messages: [`ERROR_RATE`], [`ERROR_BURST`].
    pub fn for_errors(now: u64) -> Self {
        Self::new(ERROR_RATE, ERROR_BURST, now)
    }

    /// Takes a token at `now`: how many were refused since the last one
    /// taken (to log), or `None` when the bucket is empty.
    pub fn take(&mut self, now: u64) -> Option<u64> {
        let elapsed = now.saturating_sub(self.last);
        self.last = self.last.max(now);
        self.credit = self.credit.saturating_add(elapsed).min(self.capacity);
        if self.credit < self.cost {
            self.refused += 1;
            return None;
        }
        self.credit -= self.cost;
        Some(std::mem::take(&mut self.refused))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = NSEC_PER_SEC / 1000;

    fn taken(b: &mut TokenBucket, now: u64, tries: usize) -> usize {
        (0..tries).filter(|_| b.take(now).is_some()).count()
    }

    #[test]
    fn a_full_bucket_gives_its_burst_then_ten_a_second() {
        let t0 = 5 * NSEC_PER_SEC;
        let mut b = TokenBucket::for_errors(t0);
        assert_eq!(taken(&mut b, t0, 100), 20);
        // 99 ms later nothing has come back; at 100 ms one token.
        assert_eq!(taken(&mut b, t0 + 99 * MS, 5), 0);
        assert_eq!(taken(&mut b, t0 + 100 * MS, 5), 1);
        // Over the next second, ten.
        let sent: usize = (1..=100)
            .map(|i| taken(&mut b, t0 + 100 * MS + i * 10 * MS, 5))
            .sum();
        assert_eq!(sent, 10);
    }

    #[test]
    fn a_long_quiet_time_refills_no_more_than_the_burst() {
        let mut b = TokenBucket::for_errors(0);
        assert_eq!(taken(&mut b, 0, 20), 20);
        assert_eq!(taken(&mut b, 3600 * NSEC_PER_SEC, 100), 20);
    }

    #[test]
    fn the_token_after_a_refusal_reports_how_many_were_refused() {
        let mut b = TokenBucket::new(1, 1, 0);
        assert_eq!(b.take(0), Some(0));
        assert_eq!(b.take(0), None);
        assert_eq!(b.take(MS), None);
        assert_eq!(b.take(NSEC_PER_SEC), Some(2));
        assert_eq!(b.take(2 * NSEC_PER_SEC), Some(0));
    }

    #[test]
    fn a_clock_that_steps_back_refills_nothing() {
        let mut b = TokenBucket::new(10, 2, 10 * NSEC_PER_SEC);
        assert_eq!(taken(&mut b, 10 * NSEC_PER_SEC, 5), 2);
        assert_eq!(taken(&mut b, 0, 5), 0);
        // Time counts again from the latest instant seen.
        assert_eq!(taken(&mut b, 10 * NSEC_PER_SEC + 99 * MS, 5), 0);
        assert_eq!(taken(&mut b, 10 * NSEC_PER_SEC + 100 * MS, 5), 1);
    }
}
