//! PADI rate limits: token buckets on the injected clock, one overall and a
//! fixed table of per-client-MAC buckets (like accel-ppp's `padi-limit`,
//! but with constant memory).
//!
//! The per-MAC table has a configured number of slots; a MAC maps to a slot
//! through a hash salted with a random value from the machine's RNG, so a
//! flood of forged source MACs cannot grow memory, and cannot aim at a
//! chosen victim's slot. MACs that share a slot share its bucket (the limit
//! errs on the strict side).

use alloc::vec;
use alloc::vec::Vec;

use proto_core::Instant;

use crate::wire::EthernetAddress;

/// A token-bucket rate: `per_second` tokens refill per second, up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate, tokens per second (0: only the burst, never refilled).
    pub per_second: u32,
    /// Bucket size: the most taken at once after a quiet period.
    pub burst: u32,
}

/// Thousandths of a token.
const MILLI: u64 = 1_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    milli_tokens: u64,
    last: Instant,
}

impl Bucket {
    fn full(limit: RateLimit, now: Instant) -> Self {
        Bucket {
            milli_tokens: u64::from(limit.burst) * MILLI,
            last: now,
        }
    }

    fn refill(&mut self, limit: RateLimit, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_nanos();
        // ns * tokens/s / 1e9 * 1000 milli-tokens.
        let add = elapsed.saturating_mul(u128::from(limit.per_second)) / 1_000_000;
        let cap = u64::from(limit.burst) * MILLI;
        let add = u64::try_from(add).unwrap_or(u64::MAX);
        self.milli_tokens = self.milli_tokens.saturating_add(add).min(cap);
        self.last = self.last.max(now);
    }

    fn has_token(&mut self, limit: RateLimit, now: Instant) -> bool {
        self.refill(limit, now);
        self.milli_tokens >= MILLI
    }

    fn take(&mut self) {
        self.milli_tokens = self.milli_tokens.saturating_sub(MILLI);
    }
}

#[derive(Clone)]
pub(crate) struct PadiLimiter {
    per_mac: RateLimit,
    total: RateLimit,
    overall: Bucket,
    slots: Vec<Bucket>,
    salt: u64,
}

/// Shows the limits and the table size, not the slots or the hash salt.
impl core::fmt::Debug for PadiLimiter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PadiLimiter")
            .field("per_mac", &self.per_mac)
            .field("total", &self.total)
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl PadiLimiter {
    pub(crate) fn new(
        per_mac: RateLimit,
        total: RateLimit,
        slots: usize,
        salt: u64,
        now: Instant,
    ) -> Self {
        PadiLimiter {
            per_mac,
            total,
            overall: Bucket::full(total, now),
            slots: vec![Bucket::full(per_mac, now); slots.max(1)],
            salt,
        }
    }

    fn slot(&self, mac: EthernetAddress) -> usize {
        // FNV-1a over salt and MAC, then a multiply-xorshift finaliser.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.salt;
        for b in mac.0 {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        (h % self.slots.len() as u64) as usize
    }

    /// Takes a token from the MAC's bucket and the overall one, or neither.
    pub(crate) fn allow(&mut self, mac: EthernetAddress, now: Instant) -> bool {
        let i = self.slot(mac);
        let (per_mac, total) = (self.per_mac, self.total);
        if !self.slots[i].has_token(per_mac, now) || !self.overall.has_token(total, now) {
            return false;
        }
        self.slots[i].take();
        self.overall.take();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_at_the_rate() {
        let m = EthernetAddress([2, 0, 0, 0, 0, 1]);
        let per_mac = RateLimit {
            per_second: 1,
            burst: 2,
        };
        let total = RateLimit {
            per_second: 100,
            burst: 100,
        };
        let mut l = PadiLimiter::new(per_mac, total, 64, 7, Instant::ZERO);
        assert!(l.allow(m, Instant::ZERO));
        assert!(l.allow(m, Instant::ZERO));
        assert!(!l.allow(m, Instant::ZERO));
        assert!(!l.allow(m, Instant::from_millis(999)));
        assert!(l.allow(m, Instant::from_millis(1_000)));
        assert!(!l.allow(m, Instant::from_millis(1_000)));
        // A long pause refills only up to the burst.
        assert!(l.allow(m, Instant::from_secs(100)));
        assert!(l.allow(m, Instant::from_secs(100)));
        assert!(!l.allow(m, Instant::from_secs(100)));
    }

    #[test]
    fn overall_limit_holds_across_macs() {
        let per_mac = RateLimit {
            per_second: 10,
            burst: 10,
        };
        let total = RateLimit {
            per_second: 5,
            burst: 5,
        };
        let mut l = PadiLimiter::new(per_mac, total, 1024, 7, Instant::ZERO);
        let allowed = (0..100u8)
            .filter(|&i| l.allow(EthernetAddress([2, 0, 0, 0, 1, i]), Instant::ZERO))
            .count();
        assert_eq!(allowed, 5);
    }
}
