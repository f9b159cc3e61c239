//! A token-bucket policer per session and direction: packets beyond the
//! rate are dropped (TCP backs off), with a depth big enough for TCP to
//! reach the configured rate.

use std::time::{Duration, Instant};

/// Smallest bucket depth in bytes (a few full-size packets).
const MIN_DEPTH: u64 = 32 * 1024;
/// The bucket holds this much time at the rate.
const DEPTH_TIME: Duration = Duration::from_millis(100);

/// A token bucket in bytes.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    kbps: u32,
    /// Bytes per second.
    rate: u64,
    depth: u64,
    tokens: u64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket for `kbps` kbit/s (kbps ≥ 1).
    pub fn new(kbps: u32, now: Instant) -> TokenBucket {
        let rate = u64::from(kbps.max(1)) * 1000 / 8;
        let depth = (rate * DEPTH_TIME.as_millis() as u64 / 1000).max(MIN_DEPTH);
        TokenBucket {
            kbps,
            rate,
            depth,
            tokens: depth,
            last: now,
        }
    }

    /// The rate, kbit/s.
    pub fn kbps(&self) -> u32 {
        self.kbps
    }

    /// The bucket depth in bytes (also the downstream queue's bound).
    pub fn depth(&self) -> usize {
        self.depth as usize
    }

    /// How long until a packet of `len` bytes may pass (zero: now).
    pub fn time_until(&self, now: Instant, len: usize) -> Duration {
        let elapsed = now.saturating_duration_since(self.last);
        let earned = (elapsed.as_nanos() * u128::from(self.rate) / 1_000_000_000) as u64;
        let tokens = (self.tokens + earned).min(self.depth);
        let missing = (len as u64).saturating_sub(tokens);
        Duration::from_nanos(missing.saturating_mul(1_000_000_000) / self.rate)
    }

    /// Whether a packet of `len` bytes may pass now (and takes its tokens).
    pub fn allow(&mut self, now: Instant, len: usize) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        // Whole bytes only; keep the remainder of the time for later.
        let earned = (elapsed.as_nanos() * u128::from(self.rate) / 1_000_000_000) as u64;
        if earned > 0 {
            self.tokens = (self.tokens + earned).min(self.depth);
            if self.tokens == self.depth {
                self.last = now;
            } else {
                let used = Duration::from_nanos(earned.saturating_mul(1_000_000_000) / self.rate);
                self.last += used;
            }
        }
        let len = len as u64;
        if self.tokens >= len {
            self.tokens -= len;
            true
        } else {
            false
        }
    }
}

/// A bucket for an optional limit.
pub fn bucket(kbps: Option<u32>, now: Instant) -> Option<TokenBucket> {
    kbps.filter(|k| *k > 0).map(|k| TokenBucket::new(k, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_rate_over_time() {
        let start = Instant::now();
        let mut b = TokenBucket::new(8000, start); // 1,000,000 bytes/s
        let mut passed = 0u64;
        for ms in 0..10_000u64 {
            let now = start + Duration::from_millis(ms);
            // Offer twice the rate in 1000-byte packets.
            for _ in 0..2 {
                if b.allow(now, 1000) {
                    passed += 1000;
                }
            }
        }
        // 10 s at 1 MB/s plus the initial depth (100 KB).
        let expected = 10_000_000 + 100_000;
        assert!(passed.abs_diff(expected) < 20_000, "{passed}");
    }

    #[test]
    fn small_rates_still_pass_a_full_packet() {
        let now = Instant::now();
        let mut b = TokenBucket::new(8, now);
        assert!(b.allow(now, 1500));
        assert_eq!(b.kbps(), 8);
        assert!(bucket(Some(0), now).is_none());
    }
}
