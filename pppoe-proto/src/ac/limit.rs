//! Rate limits per client MAC and overall (PADIs answered, PADTs for
//! unknown sessions): sansio-primitives's exact token buckets on the injected
//! clock, one overall and a fixed table of per-client-MAC buckets (like
//! accel-ppp's `padi-limit`, but with constant memory).
//!
//! The per-MAC table has a configured number of slots; a MAC maps to a slot
//! through a hash salted with a random value from the machine's RNG, so a
//! flood of forged source MACs cannot grow memory, and cannot aim at a
//! chosen victim's slot. MACs that share a slot share its bucket (the limit
//! errs on the strict side).

use alloc::vec;
use alloc::vec::Vec;

use sansio_primitives::{Instant, RateLimit, TokenBucket};

use crate::wire::EthernetAddress;

#[derive(Clone)]
pub(crate) struct MacLimiter {
    per_mac: RateLimit,
    total: RateLimit,
    overall: TokenBucket,
    slots: Vec<TokenBucket>,
    salt: u64,
}

/// Shows the limits and the table size, not the slots or the hash salt.
impl core::fmt::Debug for MacLimiter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MacLimiter")
            .field("per_mac", &self.per_mac)
            .field("total", &self.total)
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl MacLimiter {
    pub(crate) fn new(
        per_mac: RateLimit,
        total: RateLimit,
        slots: usize,
        salt: u64,
        now: Instant,
    ) -> Self {
        MacLimiter {
            per_mac,
            total,
            overall: TokenBucket::full(total, now),
            slots: vec![TokenBucket::full(per_mac, now); slots.max(1)],
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
        if self.slots[i].tokens(per_mac, now) == 0 || self.overall.tokens(total, now) == 0 {
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
        let mut l = MacLimiter::new(per_mac, total, 64, 7, Instant::ZERO);
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
        let mut l = MacLimiter::new(per_mac, total, 1024, 7, Instant::ZERO);
        let allowed = (0..100u8)
            .filter(|&i| l.allow(EthernetAddress([2, 0, 0, 0, 1, i]), Instant::ZERO))
            .count();
        assert_eq!(allowed, 5);
    }
}
