//! The sessions with packets in a shaper queue, in time order: which way
//! a packet goes, what is billed, and when the next queued packet may go.

use std::collections::HashMap;
use std::time::Instant;

use sansio_primitives::DeadlineHeap;

use crate::bng::sessions::{Session, Traffic};
use crate::bng::shaper::Shaper;

/// Which way a packet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// From the user (to the TUN device).
    Up,
    /// To the user (to the wire).
    Down,
}

impl Dir {
    /// Counts a packet of `n` IP bytes that was sent (dropped ones are
    /// counted by the caller, never billed to the user).
    pub fn bill(self, t: &mut Traffic, n: usize) {
        match self {
            Dir::Up => {
                t.in_octets += n as u64;
                t.in_packets += 1;
            }
            Dir::Down => {
                t.out_octets += n as u64;
                t.out_packets += 1;
            }
        }
    }
}

/// When a session's first queued packet (either way) may go.
fn ready_at(s: &Session) -> Option<Instant> {
    [s.up.as_ref(), s.down.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(Shaper::ready_at)
        .min()
}

/// The sessions with packets in a shaper queue, keyed by when their first
/// queued packet may go (a [`DeadlineHeap`]: bounded by about twice one
/// entry per backlogged session, and its next time is exact).
///
/// Each session's time is its queues' head time as it is now, set on every
/// [`Backlog::note`] (unchanged by a packet queued behind the head; later
/// after a CoA slowed the rate; gone with the queue). A session that ends
/// takes its queued packets with it (never sent, never billed) and is
/// [`Backlog::forget`]ten, so its time wakes nobody and a new session
/// under its id starts afresh.
#[derive(Debug, Default)]
pub struct Backlog {
    heap: DeadlineHeap<u16, Instant>,
}

impl Backlog {
    /// Session `s` queued a packet, or its queues or limits changed:
    /// records when its queues' head may go (none: it is not backlogged).
    pub fn note(&mut self, s: &Session) {
        match ready_at(s) {
            Some(at) => self.heap.schedule(s.id, at),
            None => self.forget(s.id),
        }
    }

    /// Session `id` ended (or its queues went): it is not backlogged.
    pub fn forget(&mut self, id: u16) {
        self.heap.remove(&id);
    }

    /// When the first queued packet may go; `None` when nothing waits.
    pub fn next(&self) -> Option<Instant> {
        self.heap.next()
    }

    /// Sessions backlogged (for tests and the bound).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len()
    }

    /// Releases what the speed limits allow at `now` out of the queues of
    /// the sessions whose time has come: `send` sends one upstream packet
    /// or downstream frame and says whether it went (only then is it
    /// billed to the session).
    pub fn release(
        &mut self,
        sessions: &mut HashMap<u16, Session>,
        now: Instant,
        mut send: impl FnMut(Dir, &[u8]) -> bool,
    ) {
        // Take every due session first: one rescheduled at or before
        // `now` is looked at on the next call, not in a loop here.
        let due: Vec<u16> =
            std::iter::from_fn(|| self.heap.pop_due(now).map(|(id, _)| id)).collect();
        for id in due {
            // Gone without being forgotten: its queues went with it.
            let Some(s) = sessions.get_mut(&id) else {
                continue;
            };
            for (dir, q) in [(Dir::Up, s.up.as_mut()), (Dir::Down, s.down.as_mut())] {
                let Some(q) = q else { continue };
                while let Some((packet, n)) = q.pop_ready(now) {
                    if send(dir, &packet) {
                        dir.bill(&mut s.traffic, n);
                    }
                }
            }
            self.note(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A session whose buckets are empty at `start` (both limits `kbps`).
    fn drained(id: u16, kbps: u32, start: Instant) -> Session {
        let mut s = Session::new(u64::from(id), id, [2, 0, 0, 0, 0, 1], start);
        for q in [&mut s.up, &mut s.down] {
            let mut shaper = Shaper::new(kbps, start);
            // Take the whole (≥ 32 KiB) bucket in pieces.
            while shaper.admit(start, 1000) {}
            while shaper.admit(start, 1) {}
            *q = Some(shaper);
        }
        s
    }

    /// The packet of session `id`, way `dir`, number `k`.
    fn packet(id: u16, dir: Dir, k: u8) -> Vec<u8> {
        let [a, b] = id.to_be_bytes();
        vec![a, b, u8::from(dir == Dir::Up), k]
    }

    /// The old answer, a pass over every session: the first head.
    fn brute_next(sessions: &HashMap<u16, Session>) -> Option<Instant> {
        sessions.values().filter_map(ready_at).min()
    }

    #[test]
    fn many_backlogged_sessions_release_in_time_order() {
        let start = Instant::now();
        let mut sessions = HashMap::new();
        let mut backlog = Backlog::default();
        // 3000 sessions at 61 different rates; each queues 1..=3 packets
        // of 500 bytes upstream, every 4th one 300 bytes downstream too.
        for id in 1..=3000u16 {
            let mut s = drained(id, 64 * (1 + u32::from(id % 61)), start);
            for k in 0..(1 + id % 3) as u8 {
                let q = s.up.as_mut().unwrap();
                assert!(!q.admit(start, 500));
                assert!(q.enqueue(packet(id, Dir::Up, k), 500));
                backlog.note(&s);
            }
            if id % 4 == 0 {
                let q = s.down.as_mut().unwrap();
                assert!(q.enqueue(packet(id, Dir::Down, 0), 300));
                backlog.note(&s);
            }
            sessions.insert(id, s);
        }
        assert_eq!(backlog.len(), 3000);
        // Sessions that end before their packets go: never sent.
        for id in (7..=3000).step_by(7) {
            sessions.remove(&id);
            backlog.forget(id);
        }
        let mut expected: usize = sessions
            .values()
            .map(|s| usize::from(1 + s.id % 3) + usize::from(s.id % 4 == 0))
            .sum();
        let mut passes = 0;
        while let Some(t) = backlog.next() {
            passes += 1;
            assert!(passes < 100_000, "no progress");
            // Exactly when the first packet may go.
            assert_eq!(Some(t), brute_next(&sessions));
            // Nothing goes a nanosecond early.
            backlog.release(&mut sessions, t - Duration::from_nanos(1), |_, _| {
                panic!("released early")
            });
            // Exactly the sessions whose head is due go, in order.
            let due: Vec<u16> = sessions
                .values()
                .filter(|s| ready_at(s).is_some_and(|a| a <= t))
                .map(|s| s.id)
                .collect();
            let mut sent = Vec::new();
            backlog.release(&mut sessions, t, |dir, p| {
                sent.push((u16::from_be_bytes([p[0], p[1]]), dir, p[3]));
                true
            });
            for &(id, _, _) in &sent {
                assert!(due.contains(&id), "session {id} released early");
                assert!(id % 7 != 0, "ended session {id} released");
            }
            for id in &due {
                assert!(
                    sent.iter().any(|x| x.0 == *id),
                    "session {id} due, not released"
                );
                assert!(ready_at(&sessions[id]).is_none_or(|a| a > t));
            }
            expected -= sent.len();
            assert!(backlog.heap.entries() <= 2 * backlog.len() + 64);
        }
        assert_eq!(expected, 0);
        assert_eq!(backlog.len(), 0);
        assert!(brute_next(&sessions).is_none());
        // Billed: exactly what went, per session.
        for s in sessions.values() {
            assert_eq!(s.traffic.in_packets, u64::from(1 + s.id % 3));
            assert_eq!(s.traffic.in_octets, 500 * u64::from(1 + s.id % 3));
            assert_eq!(s.traffic.out_octets, if s.id % 4 == 0 { 300 } else { 0 });
        }
    }

    #[test]
    fn queued_packets_go_at_their_time_in_order() {
        let start = Instant::now();
        let mut sessions = HashMap::new();
        let mut backlog = Backlog::default();
        // 8 kbit/s = 1000 bytes/s: 500 bytes need 0.5 s; 64 kbit/s: 62.5 ms.
        for (id, kbps) in [(1u16, 8u32), (2, 64)] {
            let mut s = drained(id, kbps, start);
            for k in 0..2 {
                s.up.as_mut().unwrap().enqueue(packet(id, Dir::Up, k), 500);
                backlog.note(&s);
            }
            sessions.insert(id, s);
        }
        let mut order = Vec::new();
        while let Some(t) = backlog.next() {
            backlog.release(&mut sessions, t, |_, p| {
                order.push((p[1], p[3], t - start));
                true
            });
        }
        let ms = Duration::from_micros;
        assert_eq!(
            order,
            [
                (2, 0, ms(62_500)),
                (2, 1, ms(125_000)),
                (1, 0, ms(500_000)),
                (1, 1, ms(1_000_000))
            ]
        );
    }

    #[test]
    fn only_what_was_sent_is_billed() {
        let start = Instant::now();
        let mut sessions = HashMap::new();
        let mut backlog = Backlog::default();
        let mut s = drained(5, 8000, start);
        for k in 0..4 {
            s.up.as_mut().unwrap().enqueue(packet(5, Dir::Up, k), 100);
            s.down
                .as_mut()
                .unwrap()
                .enqueue(packet(5, Dir::Down, k), 200);
            backlog.note(&s);
        }
        sessions.insert(5, s);
        let later = start + Duration::from_secs(1);
        let mut calls = 0;
        // Every other send fails (a full socket queue).
        backlog.release(&mut sessions, later, |_, _| {
            calls += 1;
            calls % 2 == 0
        });
        assert_eq!(calls, 8);
        let t = sessions[&5].traffic;
        assert_eq!((t.in_packets, t.in_octets), (2, 200));
        assert_eq!((t.out_packets, t.out_octets), (2, 400));
        let mut t = Traffic::default();
        Dir::Up.bill(&mut t, 10);
        Dir::Down.bill(&mut t, 20);
        assert_eq!(
            (t.in_packets, t.in_octets, t.out_packets, t.out_octets),
            (1, 10, 1, 20)
        );
    }

    #[test]
    fn the_heap_stays_bounded_while_times_move_earlier() {
        let start = Instant::now();
        let mut backlog = Backlog::default();
        let mut s = drained(9, 8, start);
        // Downstream first, far off; then ever-earlier upstream heads
        // (each replaces the last: a new shaper of a higher rate).
        s.down
            .as_mut()
            .unwrap()
            .enqueue(packet(9, Dir::Down, 0), 30_000);
        backlog.note(&s);
        for k in 1..1000u32 {
            let mut q = Shaper::new(8 * k, start);
            while q.admit(start, 1000) {}
            while q.admit(start, 1) {}
            q.enqueue(packet(9, Dir::Up, 0), 1000);
            s.up = Some(q);
            backlog.note(&s);
            assert!(backlog.heap.entries() <= 2 * backlog.len() + 64);
        }
        assert_eq!(backlog.next(), ready_at(&s));
    }

    #[test]
    fn next_is_exact_after_a_slower_rate_a_limit_gone_and_a_session_ended() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut sessions = HashMap::new();
        let mut backlog = Backlog::default();
        // 500 bytes wait: 8 kbit/s (1000 bytes/s) lets them go at 0.5 s,
        // 16 kbit/s at 0.25 s, 24 kbit/s at 1/6 s.
        for (id, kbps) in [(1u16, 8u32), (2, 16), (3, 24)] {
            let mut s = drained(id, kbps, start);
            s.up.as_mut().unwrap().enqueue(packet(id, Dir::Up, 0), 500);
            backlog.note(&s);
            sessions.insert(id, s);
        }
        assert_eq!(backlog.next(), ready_at(&sessions[&3]));
        // The limit of 3 goes (a CoA): its queue is sent at once elsewhere.
        let s = sessions.get_mut(&3).unwrap();
        s.up = None;
        backlog.note(s);
        assert_eq!(backlog.next(), Some(at(250)));
        // 2 ends: its time wakes nobody.
        sessions.remove(&2);
        backlog.forget(2);
        assert_eq!(backlog.next(), Some(at(500)));
        // A CoA halves the rate of 1: the head goes at 1 s, not 0.5 s.
        let s = sessions.get_mut(&1).unwrap();
        s.up.as_mut().unwrap().set_rate(4, start);
        backlog.note(s);
        assert_eq!(backlog.next(), Some(at(1000)));
        assert_eq!(backlog.next(), ready_at(&sessions[&1]));
        // A new session under id 2 starts afresh (its head at 2 s).
        let mut s = drained(2, 2, start);
        s.up.as_mut().unwrap().enqueue(packet(2, Dir::Up, 1), 500);
        backlog.note(&s);
        sessions.insert(2, s);
        assert_eq!(backlog.len(), 2);
        let mut sent = Vec::new();
        while let Some(t) = backlog.next() {
            backlog.release(&mut sessions, t, |_, p| {
                sent.push((p[1], p[3], t - start));
                true
            });
        }
        let ms = Duration::from_millis;
        assert_eq!(sent, [(1, 0, ms(1000)), (2, 1, ms(2000))]);
        assert_eq!(backlog.len(), 0);
    }

    #[test]
    fn a_session_gone_unforgotten_is_dropped_when_its_time_comes() {
        let start = Instant::now();
        let mut sessions = HashMap::new();
        let mut backlog = Backlog::default();
        let mut s = drained(4, 8, start);
        s.up.as_mut().unwrap().enqueue(packet(4, Dir::Up, 0), 500);
        backlog.note(&s);
        // Never inserted into `sessions`: as if it ended unseen.
        let t = backlog.next().unwrap();
        backlog.release(&mut sessions, t, |_, _| panic!("sent"));
        assert_eq!((backlog.next(), backlog.len()), (None, 0));
    }
}
