//! Per-session speed limits: a token bucket per direction in front of a
//! bounded queue (a shaper). Packets over the rate wait in the queue
//! rather than being dropped at once, so TCP's bursts are smoothed and it
//! reaches the configured rate; only a full queue drops.

use std::collections::VecDeque;
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

    /// When a packet of `len` bytes (at most the depth) may pass if
    /// nothing else takes tokens first: [`TokenBucket::allow`] at that
    /// instant or later succeeds. It depends on the bucket's state only,
    /// not on the time of asking, so it stays put while a packet waits.
    pub fn ready_at(&self, len: usize) -> Instant {
        let missing = (len as u64).saturating_sub(self.tokens);
        // Rounded up: the whole missing bytes are earned by then.
        let nanos = (u128::from(missing) * 1_000_000_000).div_ceil(u128::from(self.rate));
        self.last + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Changes the rate to `kbps` (≥ 1) at `now`: the tokens earned so far
    /// are kept, up to the new depth.
    pub fn set_rate(&mut self, kbps: u32, now: Instant) {
        self.allow(now, 0);
        let mut b = TokenBucket::new(kbps, now);
        b.tokens = self.tokens.min(b.depth);
        *self = b;
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

/// A token bucket with a queue of packets (or frames) waiting for it.
#[derive(Debug)]
pub struct Shaper {
    bucket: TokenBucket,
    queue: VecDeque<(Vec<u8>, usize)>,
    queued: usize,
}

impl Shaper {
    /// A shaper for `kbps` kbit/s; its queue holds up to the bucket depth.
    pub fn new(kbps: u32, now: Instant) -> Shaper {
        Shaper {
            bucket: TokenBucket::new(kbps, now),
            queue: VecDeque::new(),
            queued: 0,
        }
    }

    /// The rate, kbit/s.
    pub fn kbps(&self) -> u32 {
        self.bucket.kbps()
    }

    /// Changes the rate to `kbps` (≥ 1) at `now`, keeping the queued
    /// packets (in order; a queue above the new depth takes no more until
    /// it has drained below it). The head's [`Shaper::ready_at`] moves:
    /// the caller tells the backlog.
    pub fn set_rate(&mut self, kbps: u32, now: Instant) {
        self.bucket.set_rate(kbps, now);
    }

    /// The queued packets, in order (the limit is being removed: they go
    /// at once).
    pub fn into_queue(self) -> impl Iterator<Item = (Vec<u8>, usize)> {
        self.queue.into_iter()
    }

    /// Whether a packet of `len` (IP) bytes may go now, ahead of nothing.
    pub fn admit(&mut self, now: Instant, len: usize) -> bool {
        self.queue.is_empty() && self.bucket.allow(now, len)
    }

    /// Queues `data` (counted as `len` bytes); `false` (dropped) when the
    /// queue is full.
    pub fn enqueue(&mut self, data: Vec<u8>, len: usize) -> bool {
        if self.queued + len > self.bucket.depth() {
            return false;
        }
        self.queued += len;
        self.queue.push_back((data, len));
        true
    }

    /// The next queued item the bucket now lets through.
    pub fn pop_ready(&mut self, now: Instant) -> Option<(Vec<u8>, usize)> {
        let (_, len) = self.queue.front()?;
        if !self.bucket.allow(now, *len) {
            return None;
        }
        let item = self.queue.pop_front()?;
        self.queued -= item.1;
        Some(item)
    }

    /// When the queue's head may go; `None` when the queue is empty. It
    /// changes only when the head leaves (nothing else takes tokens while
    /// packets wait: [`Shaper::admit`] lets nothing pass them).
    pub fn ready_at(&self) -> Option<Instant> {
        let (_, len) = self.queue.front()?;
        Some(self.bucket.ready_at(*len))
    }
}

/// A shaper for an optional limit.
pub fn shaper(kbps: Option<u32>, now: Instant) -> Option<Shaper> {
    kbps.filter(|k| *k > 0).map(|k| Shaper::new(k, now))
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
    fn ready_at_is_the_first_instant_allow_succeeds() {
        let start = Instant::now();
        for kbps in [1, 7, 8, 333, 1000, 8000, 1_000_000, u32::MAX] {
            let mut b = TokenBucket::new(kbps, start);
            let depth = b.depth();
            assert_eq!(b.ready_at(depth), start);
            assert!(b.allow(start, depth));
            for len in [1, 64, 1500, depth] {
                let at = b.ready_at(len);
                assert!(at > start, "{kbps} {len}");
                assert!(
                    !b.clone().allow(at - Duration::from_nanos(1), len),
                    "{kbps} {len}"
                );
                assert!(b.clone().allow(at, len), "{kbps} {len}");
            }
            // Taking tokens later moves it on, never back.
            let at = b.ready_at(1500);
            assert!(b.allow(at, 1500));
            assert!(b.ready_at(1500) >= at);
        }
    }

    #[test]
    fn a_new_rate_keeps_the_queue_and_moves_its_time() {
        let start = Instant::now();
        let mut s = Shaper::new(8, start); // 1000 bytes/s, depth 32 KiB
        while s.admit(start, 1000) {}
        while s.admit(start, 1) {}
        for k in 0..3u8 {
            assert!(s.enqueue(vec![k; 500], 500));
        }
        let slow = s.ready_at().unwrap();
        assert_eq!(slow, start + Duration::from_millis(500));
        // 100 times faster: the head may go 100 times sooner, nothing lost.
        s.set_rate(800, start);
        assert_eq!(s.kbps(), 800);
        let fast = s.ready_at().unwrap();
        assert_eq!(fast, start + Duration::from_millis(5));
        let later = start + Duration::from_millis(15);
        let order: Vec<u8> = std::iter::from_fn(|| s.pop_ready(later))
            .map(|(p, _)| p[0])
            .collect();
        assert_eq!(order, [0, 1, 2]);
        // Tokens earned before the change are kept (up to the new depth).
        let mut b = TokenBucket::new(8, start);
        assert!(b.allow(start, b.depth()));
        b.set_rate(16, start + Duration::from_secs(1));
        assert!(b.allow(start + Duration::from_secs(1), 1000));
        assert!(!b.allow(start + Duration::from_secs(1), 1));
        // Removing the limit hands the queue back.
        let mut s = Shaper::new(8, start);
        while s.admit(start, 1000) {}
        assert!(s.enqueue(vec![7], 1000) && s.enqueue(vec![8], 1000));
        let left: Vec<_> = s.into_queue().map(|(p, n)| (p[0], n)).collect();
        assert_eq!(left, [(7, 1000), (8, 1000)]);
    }

    #[test]
    fn small_rates_still_pass_a_full_packet() {
        let now = Instant::now();
        let mut b = TokenBucket::new(8, now);
        assert!(b.allow(now, 1500));
        assert_eq!(b.kbps(), 8);
        assert!(shaper(Some(0), now).is_none());
    }

    #[test]
    fn shaper_queues_what_is_over_the_rate_and_releases_it_in_time() {
        let start = Instant::now();
        let mut s = Shaper::new(8000, start); // 1,000,000 bytes/s, depth 100 KB
        let mut sent = 0;
        // A burst of 150 x 1000 bytes: 100 pass, 50 wait, none dropped.
        for _ in 0..150 {
            if s.admit(start, 1000) {
                sent += 1;
            } else {
                assert!(s.enqueue(vec![0; 1000], 1000));
            }
        }
        assert_eq!(sent, 100);
        assert!(s.pop_ready(start).is_none());
        let at = s.ready_at().unwrap();
        assert!(
            at > start && at <= start + Duration::from_millis(1),
            "{at:?}"
        );
        // Exactly then (not a nanosecond earlier) the head may go.
        assert!(s.pop_ready(at - Duration::from_nanos(1)).is_none());
        assert_eq!(s.ready_at(), Some(at));
        assert!(s.pop_ready(at).is_some());
        sent += 1;
        // 50 ms later, 50 KB of tokens: the whole queue goes.
        let later = start + Duration::from_millis(50);
        let mut released = 0;
        while s.pop_ready(later).is_some() {
            released += 1;
        }
        assert_eq!(sent + released, 150);
        assert!(s.ready_at().is_none());
        // A full queue drops.
        let mut s = Shaper::new(8, start);
        assert!(s.enqueue(vec![0; 32 * 1024], 32 * 1024));
        assert!(!s.enqueue(vec![0], 1));
    }
}
