//! A client and an AC on one simulated Ethernet segment and one virtual
//! clock (after quinn's `Pair`): `step` drains both machines, then jumps the
//! clock to the earliest timer or arrival. The link drops, duplicates and
//! delays (so reorders) frames from a seeded RNG. Nothing sleeps.

use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeAc, PppoeAcEvent, PppoeClient, PppoeClientEvent};
use sansio_primitives::{Duration, Instant, SeededRng};

/// Fault knobs, in per-mille.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// Chance a frame is lost.
    pub loss: u32,
    /// Chance a frame is delivered twice.
    pub dup: u32,
    /// Largest extra delay in ms (frames overtake each other).
    pub max_delay_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    Client,
    Ac,
}

pub struct Pair {
    pub client: PppoeClient,
    pub ac: PppoeAc,
    pub now: Instant,
    pub faults: Faults,
    rng: SeededRng,
    queue: Vec<(Instant, u64, To, Vec<u8>)>,
    seq: u64,
    pub client_events: Vec<(Instant, PppoeClientEvent)>,
    pub ac_events: Vec<(Instant, PppoeAcEvent)>,
    /// Frames each side sent: (time, to, bytes).
    pub wire: Vec<(Instant, To, Vec<u8>)>,
    pub client_mac: EthernetAddress,
}

impl Pair {
    pub fn new(client: PppoeClient, ac: PppoeAc, faults: Faults, seed: u64) -> Self {
        let client_mac = client.config().mac;
        Pair {
            client,
            ac,
            now: Instant::ZERO,
            faults,
            rng: SeededRng::from_u64(seed),
            queue: Vec::new(),
            seq: 0,
            client_events: Vec::new(),
            ac_events: Vec::new(),
            wire: Vec::new(),
            client_mac,
        }
    }

    fn enqueue(&mut self, to: To, bytes: Vec<u8>) {
        self.wire.push((self.now, to, bytes.clone()));
        if self.rng.below(1000) < self.faults.loss {
            return;
        }
        let copies = if self.rng.below(1000) < self.faults.dup {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = if self.faults.max_delay_ms > 0 {
                u64::from(self.rng.below(self.faults.max_delay_ms as u32 + 1))
            } else {
                0
            };
            let at = self.now + Duration::from_millis(1 + delay);
            self.seq += 1;
            self.queue.push((at, self.seq, to, bytes.clone()));
        }
    }

    /// Drains both machines' outputs in the documented order.
    pub fn drain(&mut self) {
        while let Some(t) = self.client.poll_transmit(self.now) {
            self.enqueue(To::Ac, t.payload);
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push((self.now, e));
        }
        while let Some(t) = self.ac.poll_transmit(self.now) {
            // Only frames for our client reach it on this segment.
            if t.destination == self.client_mac || t.destination.is_broadcast() {
                self.enqueue(To::Client, t.payload);
            }
        }
        while let Some(e) = self.ac.poll_event() {
            self.ac_events.push((self.now, e));
        }
    }

    /// One step: drain, jump to the next timer or arrival, deliver/fire.
    /// False when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.drain();
        let next_arrival = self.queue.iter().map(|q| (q.0, q.1)).min();
        let next_timer = self.client.poll_timeout();
        let next = match (next_arrival.map(|a| a.0), next_timer) {
            (Some(a), Some(t)) => a.min(t),
            (Some(a), None) => a,
            (None, Some(t)) => t,
            (None, None) => return false,
        };
        self.now = self.now.max(next);
        // Deliver everything due, in arrival order.
        self.queue.sort_by_key(|q| (q.0, q.1));
        while self.queue.first().is_some_and(|q| q.0 <= self.now) {
            let (_, _, to, bytes) = self.queue.remove(0);
            match to {
                To::Client => {
                    let _ = self.client.handle_input(self.now, &bytes);
                }
                To::Ac => {
                    let _ = self.ac.handle_input(self.now, &bytes);
                }
            }
            self.drain();
        }
        if self.client.poll_timeout().is_some_and(|t| t <= self.now) {
            self.client.handle_timeout(self.now);
        }
        if self.ac.poll_timeout().is_some_and(|t| t <= self.now) {
            self.ac.handle_timeout(self.now);
        }
        self.drain();
        true
    }

    /// Steps until `done` holds or `max_steps` pass; returns whether `done`.
    pub fn run_until(&mut self, max_steps: usize, mut done: impl FnMut(&Pair) -> bool) -> bool {
        for _ in 0..max_steps {
            if done(self) {
                return true;
            }
            if !self.step() {
                return done(self);
            }
        }
        done(self)
    }

    /// Delivers everything in flight (no new timers).
    pub fn flush(&mut self) {
        for _ in 0..1000 {
            self.drain();
            if self.queue.is_empty() {
                return;
            }
            let next = self.queue.iter().map(|q| q.0).min().unwrap_or(self.now);
            self.now = self.now.max(next);
            self.queue.sort_by_key(|q| (q.0, q.1));
            while self.queue.first().is_some_and(|q| q.0 <= self.now) {
                let (_, _, to, bytes) = self.queue.remove(0);
                match to {
                    To::Client => {
                        let _ = self.client.handle_input(self.now, &bytes);
                    }
                    To::Ac => {
                        let _ = self.ac.handle_input(self.now, &bytes);
                    }
                }
            }
        }
    }
}
