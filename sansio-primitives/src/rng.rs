//! The random source a machine owns, seeded from outside.

use core::convert::Infallible;
use core::fmt;

use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng, TryCryptoRng, TryRng};

/// A deterministic, cryptographically strong generator (ChaCha12) that a
/// machine draws transaction ids, magic numbers, challenges, authenticators
/// and jitter from.
///
/// The machine never seeds it itself: the binaries seed it from the operating
/// system, tests from a constant, so a test run replays exactly. Values that a
/// peer must not predict (RADIUS Request Authenticators, CHAP challenges,
/// PPPoE AC-Cookie secrets) are safe to draw from it as long as the seed is.
///
/// It implements [`rand_core::Rng`] (through [`TryRng`] with an infallible
/// error) and [`rand_core::CryptoRng`].
#[derive(Clone)]
pub struct SeededRng {
    inner: ChaCha12Rng,
}

impl SeededRng {
    /// A generator from 32 bytes of seed (for the binaries: from the OS).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SeededRng {
            inner: ChaCha12Rng::from_seed(seed),
        }
    }

    /// A generator from a small seed, for tests and simulations.
    pub fn from_u64(seed: u64) -> Self {
        SeededRng {
            inner: ChaCha12Rng::seed_from_u64(seed),
        }
    }

    /// A value uniformly distributed in `0..bound`; `0` when `bound` is 0.
    ///
    /// Uses rejection sampling, so no value is favoured (the modulo bias of
    /// `next_u32() % bound` would skew DHCP jitter and id choice).
    pub fn below(&mut self, bound: u32) -> u32 {
        if bound == 0 {
            return 0;
        }
        // Largest multiple of `bound` that fits in u32's range; draws at or
        // above it are rejected (at most half the draws, usually almost none).
        let zone = u32::MAX - (u32::MAX - bound + 1) % bound;
        loop {
            let v = self.inner.next_u32();
            if v <= zone {
                return v % bound;
            }
        }
    }

    /// A new generator seeded from this one, for a sub-machine that needs its
    /// own stream (one per session, say) without sharing a borrow.
    pub fn fork(&mut self) -> SeededRng {
        let mut seed = [0u8; 32];
        self.inner.fill_bytes(&mut seed);
        SeededRng::from_seed(seed)
    }
}

impl TryRng for SeededRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.inner.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.inner.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.fill_bytes(dst);
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

/// The state is secret-bearing: a generator's state predicts every value it
/// will draw (challenges, authenticators), so `Debug` shows none of it.
impl fmt::Debug for SeededRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SeededRng(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn same_seed_same_stream_different_seed_different_stream() {
        let mut a = SeededRng::from_u64(1);
        let mut b = SeededRng::from_u64(1);
        let mut c = SeededRng::from_u64(2);
        let xa: [u64; 4] = core::array::from_fn(|_| a.next_u64());
        let xb: [u64; 4] = core::array::from_fn(|_| b.next_u64());
        let xc: [u64; 4] = core::array::from_fn(|_| c.next_u64());
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = SeededRng::from_u64(3);
        let mut seen = [false; 7];
        for _ in 0..1_000 {
            let v = r.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(r.below(0), 0);
        assert_eq!(r.below(1), 0);
        // The largest bound must not loop forever or overflow.
        let _ = r.below(u32::MAX);
    }

    #[test]
    fn fork_is_deterministic_and_independent() {
        let mut a = SeededRng::from_u64(9);
        let mut b = SeededRng::from_u64(9);
        let mut fa = a.fork();
        let mut fb = b.fork();
        assert_eq!(fa.next_u64(), fb.next_u64());
        assert_ne!(a.next_u64(), fa.next_u64());
    }

    #[test]
    fn debug_hides_state() {
        assert_eq!(format!("{:?}", SeededRng::from_u64(5)), "SeededRng(..)");
    }
}
