//! The one token-bucket rate limiter of the stack, on the injected clock.
//!
//! Tokens are counted in nano-tokens (10⁻⁹ of a token), so `elapsed`
//! nanoseconds at `per_second` tokens per second earn exactly
//! `elapsed × per_second` nano-tokens: an integer, with nothing rounded
//! away. Calls any distance apart (even a nanosecond) therefore refill
//! exactly as one call after the whole interval would; over any span `T`
//! the bucket admits at most `burst + per_second × T` (and exactly
//! `⌊burst + per_second × T⌋` when calls come often enough to keep it from
//! overflowing).
//!
//! [`TokenBucket`] is 16 bytes and takes its [`RateLimit`] as an argument,
//! for tables of many buckets sharing one limit; [`RateLimiter`] carries its
//! limit, for a single bucket.

use crate::Instant;

/// Nano-tokens per token.
const NANO: u64 = 1_000_000_000;

/// A token-bucket rate: `per_second` tokens refill per second, up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate, tokens per second (0: only the burst, never refilled).
    pub per_second: u32,
    /// Bucket size: the most taken at once after a quiet period.
    pub burst: u32,
}

impl RateLimit {
    fn cap(self) -> u64 {
        // At most 2³² × 10⁹ < 2⁶⁴: no overflow.
        u64::from(self.burst) * NANO
    }
}

/// A token bucket whose limit the caller passes in (see the module docs).
/// Time going backwards earns nothing and is otherwise harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    nano_tokens: u64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket (`limit.burst` tokens) at `now`.
    pub fn full(limit: RateLimit, now: Instant) -> Self {
        TokenBucket {
            nano_tokens: limit.cap(),
            last: now,
        }
    }

    fn refill(&mut self, limit: RateLimit, now: Instant) {
        let Some(elapsed) = now.checked_duration_since(self.last) else {
            return;
        };
        // Exact: nanoseconds × tokens/s = nano-tokens (u128: no overflow).
        let earned = elapsed.as_nanos() * u128::from(limit.per_second);
        let cap = limit.cap();
        self.nano_tokens = u64::try_from(u128::from(self.nano_tokens) + earned)
            .unwrap_or(u64::MAX)
            .min(cap);
        self.last = now;
    }

    /// Whole tokens in the bucket at `now`.
    pub fn tokens(&mut self, limit: RateLimit, now: Instant) -> u64 {
        self.refill(limit, now);
        self.nano_tokens / NANO
    }

    /// Takes one token at `now` if there is one; whether it did.
    pub fn try_take(&mut self, limit: RateLimit, now: Instant) -> bool {
        self.refill(limit, now);
        if self.nano_tokens >= NANO {
            self.nano_tokens -= NANO;
            true
        } else {
            false
        }
    }

    /// Takes one token without checking (after [`Self::tokens`] said there
    /// is one, e.g. when two buckets must both allow before either is
    /// charged); saturates at empty.
    pub fn take(&mut self) {
        self.nano_tokens = self.nano_tokens.saturating_sub(NANO);
    }
}

/// A [`TokenBucket`] with its [`RateLimit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimiter {
    limit: RateLimit,
    bucket: TokenBucket,
}

impl RateLimiter {
    /// A limiter whose bucket is full at `now`.
    pub fn new(limit: RateLimit, now: Instant) -> Self {
        RateLimiter {
            limit,
            bucket: TokenBucket::full(limit, now),
        }
    }

    /// The limit.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Whether one more event may happen at `now` (and takes its token).
    pub fn allow(&mut self, now: Instant) -> bool {
        self.bucket.try_take(self.limit, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Duration;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    const ONE_PER_SECOND: RateLimit = RateLimit {
        per_second: 1,
        burst: 2,
    };

    #[test]
    fn refills_at_the_rate_up_to_the_burst() {
        let mut l = RateLimiter::new(ONE_PER_SECOND, Instant::ZERO);
        assert!(l.allow(Instant::ZERO));
        assert!(l.allow(Instant::ZERO));
        assert!(!l.allow(Instant::ZERO));
        assert!(!l.allow(Instant::from_millis(999)));
        assert!(l.allow(Instant::from_millis(1_000)));
        assert!(!l.allow(Instant::from_millis(1_000)));
        // A long pause refills only up to the burst.
        assert!(l.allow(Instant::from_secs(100)));
        assert!(l.allow(Instant::from_secs(100)));
        assert!(!l.allow(Instant::from_secs(100)));
    }

    #[test]
    fn calls_100_us_apart_for_10_s_get_the_rate() {
        let limit = RateLimit {
            per_second: 1,
            burst: 3,
        };
        let mut l = RateLimiter::new(limit, Instant::ZERO);
        let allowed = (0..100_000u64)
            .filter(|i| l.allow(Instant::from_micros(i * 100)))
            .count();
        // 3 at once, then one a second: at 1 s, 2 s, … 9 s (the last call
        // is at 9.9999 s).
        assert_eq!(allowed, 3 + 9);
    }

    #[test]
    fn calls_a_nanosecond_apart_lose_nothing() {
        let limit = RateLimit {
            per_second: 7,
            burst: 1,
        };
        let mut b = TokenBucket::full(limit, Instant::ZERO);
        assert!(b.try_take(limit, Instant::ZERO));
        let mut taken = 0;
        for ns in 1..=1_000_000u64 {
            taken += u64::from(b.try_take(limit, Instant::from_nanos(ns * 143)));
        }
        // 0.143 s at 7/s: exactly one token (1.001).
        assert_eq!(taken, 1);
    }

    #[test]
    fn time_going_backwards_earns_nothing() {
        let mut l = RateLimiter::new(ONE_PER_SECOND, Instant::from_secs(10));
        assert!(l.allow(Instant::from_secs(10)));
        assert!(l.allow(Instant::from_secs(10)));
        assert!(!l.allow(Instant::from_secs(5)));
        assert!(!l.allow(Instant::from_millis(10_999)));
        assert!(l.allow(Instant::from_secs(11)));
    }

    #[test]
    fn extreme_limits_do_not_overflow() {
        let huge = RateLimit {
            per_second: u32::MAX,
            burst: u32::MAX,
        };
        let mut b = TokenBucket::full(huge, Instant::ZERO);
        assert_eq!(b.tokens(huge, Instant::MAX), u64::from(u32::MAX));
        let none = RateLimit {
            per_second: 0,
            burst: 0,
        };
        let mut l = RateLimiter::new(none, Instant::ZERO);
        assert!(!l.allow(Instant::MAX));
        let mut b = TokenBucket::full(none, Instant::ZERO);
        b.take();
        assert_eq!(b.tokens(none, Instant::ZERO), 0);
    }

    /// Calls at the given gaps (ns) from time zero; how many were allowed
    /// and the time of the last call.
    fn run(limit: RateLimit, gaps: &[u64]) -> (u64, u64) {
        let mut l = RateLimiter::new(limit, Instant::ZERO);
        let mut t = 0u64;
        let mut allowed = u64::from(l.allow(Instant::ZERO));
        for g in gaps {
            t += g;
            allowed += u64::from(l.allow(Instant::from_nanos(t)));
        }
        (allowed, t)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Calls often enough that the bucket never overflows (at most half
        /// a token earned between two calls, so with a burst of 2 or more a
        /// token never arrives at a full bucket; and at least 200 calls, more
        /// than the 2 × burst + 2 that empty the burst): exactly `burst + rate × T` whole tokens are admitted, at
        /// any spacing within that bound.
        #[test]
        fn dense_calls_admit_burst_plus_rate_times_t(
            per_second in 1u32..2_000,
            burst in 2u32..50,
            fractions in proptest::collection::vec(0u64..=1_000, 200..1_500),
        ) {
            let limit = RateLimit { per_second, burst };
            // Each gap is a fraction of half a token's time.
            let half = NANO / 2 / u64::from(per_second);
            let gaps: Vec<u64> = fractions.iter().map(|f| half * f / 1_000).collect();
            let (allowed, t) = run(limit, &gaps);
            let expected = u64::from(burst) + t * u64::from(per_second) / NANO;
            prop_assert!(allowed.abs_diff(expected) <= 1, "{} allowed, {} expected", allowed, expected);
            // The exact count, since nothing is rounded away.
            prop_assert_eq!(allowed, expected);
        }

        /// At any spacing, never more than `burst + rate × T`.
        #[test]
        fn any_spacing_never_admits_more(
            per_second in 0u32..1_000,
            burst in 0u32..20,
            gaps in proptest::collection::vec(0u64..3_000_000_000, 0..300),
        ) {
            let limit = RateLimit { per_second, burst };
            let (allowed, t) = run(limit, &gaps);
            let bound = u64::from(burst) + t * u64::from(per_second) / NANO;
            prop_assert!(allowed <= bound, "{} allowed, bound {}", allowed, bound);
        }
    }

    #[test]
    fn a_limiter_reports_its_limit() {
        let l = RateLimiter::new(ONE_PER_SECOND, Instant::ZERO + Duration::from_secs(1));
        assert_eq!(l.limit(), ONE_PER_SECOND);
    }
}
