//! A peer and an authenticator session on a simulated clock, over a link
//! that can lose, duplicate and reorder frames (after quinn's `Pair`).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::Ipv4Addr;

use ppp_proto::{Credential, Ipv4Assignment, PppConfig, PppEvent, PppSession};
use sansio_primitives::{Duration, Instant, SeededRng};

pub const PEER_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
pub const AC_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const DNS1: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 53);
pub const DNS2: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 54);
pub const USER: &[u8] = b"labuser";
pub const PASS: &[u8] = b"labpass";

pub fn assignment() -> Ipv4Assignment {
    Ipv4Assignment {
        peer: PEER_ADDR,
        dns1: Some(DNS1),
        dns2: Some(DNS2),
    }
}

pub fn peer_config() -> PppConfig {
    PppConfig::peer(USER, PASS)
}

pub fn ac_config() -> PppConfig {
    let mut c = PppConfig::authenticator(b"lab-ac", AC_ADDR);
    if let ppp_proto::Role::Authenticator(a) = &mut c.role {
        a.ipv4 = Some(assignment());
        a.ipv6_ifid = Some(1);
    }
    c
}

/// Link impairments, in percent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Impair {
    pub loss: u32,
    pub dup: u32,
    /// Extra random delay of up to this many ms (reordering).
    pub jitter_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Peer,
    Ac,
}

/// What the authenticator's application answers.
pub enum Verdict {
    /// Check against this secret.
    Secret(&'static [u8]),
    /// Never answer.
    Silent,
}

/// Decides to drop a frame: (time, sender, frame).
pub type DropFilter = Box<dyn Fn(Instant, Side, &[u8]) -> bool>;

pub struct Pair {
    pub now: Instant,
    pub peer: PppSession,
    pub ac: PppSession,
    net_rng: SeededRng,
    pub impair: Impair,
    /// In flight: (arrival, to, frame).
    inflight: VecDeque<(Instant, Side, Vec<u8>)>,
    pub peer_events: Vec<(Instant, PppEvent)>,
    pub ac_events: Vec<(Instant, PppEvent)>,
    /// Every frame sent, with time and sender.
    pub log: Vec<(Instant, Side, Vec<u8>)>,
    pub verdict: Verdict,
    /// Drop everything from this side (a dead peer).
    pub mute: Option<Side>,
    /// Cut the link completely.
    pub cut: bool,
    /// Drop the frames this says to drop (time, sender, frame).
    pub drop_if: Option<DropFilter>,
    pub latency: Duration,
}

impl Pair {
    pub fn new(peer: PppConfig, ac: PppConfig, seed: u64) -> Self {
        let now = Instant::ZERO;
        Pair {
            now,
            peer: PppSession::new(peer, SeededRng::from_u64(seed), now),
            ac: PppSession::new(ac, SeededRng::from_u64(seed ^ 0xac), now),
            net_rng: SeededRng::from_u64(seed ^ 0x11),
            impair: Impair::default(),
            inflight: VecDeque::new(),
            peer_events: Vec::new(),
            ac_events: Vec::new(),
            log: Vec::new(),
            verdict: Verdict::Secret(PASS),
            mute: None,
            cut: false,
            drop_if: None,
            latency: Duration::from_millis(1),
        }
    }

    pub fn open(&mut self) {
        self.ac.open(self.now);
        self.peer.open(self.now);
        self.drain();
    }

    fn chance(&mut self, percent: u32) -> bool {
        percent > 0 && self.net_rng.below(100) < percent
    }

    /// Moves outputs into the link and events into the logs, answering
    /// authentication requests.
    pub fn drain(&mut self) {
        loop {
            let mut any = false;
            for side in [Side::Peer, Side::Ac] {
                loop {
                    let t = match side {
                        Side::Peer => self.peer.poll_transmit(self.now),
                        Side::Ac => self.ac.poll_transmit(self.now),
                    };
                    let Some(t) = t else { break };
                    any = true;
                    self.log.push((self.now, side, t.payload.clone()));
                    let filtered = self
                        .drop_if
                        .as_ref()
                        .is_some_and(|f| f(self.now, side, &t.payload));
                    if self.cut
                        || filtered
                        || self.mute == Some(side)
                        || self.chance(self.impair.loss)
                    {
                        continue;
                    }
                    let copies = if self.chance(self.impair.dup) { 2 } else { 1 };
                    for _ in 0..copies {
                        let jitter = if self.impair.jitter_ms > 0 {
                            Duration::from_millis(u64::from(
                                self.net_rng.below(self.impair.jitter_ms as u32 + 1),
                            ))
                        } else {
                            Duration::ZERO
                        };
                        let to = if side == Side::Peer {
                            Side::Ac
                        } else {
                            Side::Peer
                        };
                        self.inflight.push_back((
                            self.now + self.latency + jitter,
                            to,
                            t.payload.clone(),
                        ));
                    }
                }
            }
            while let Some(e) = self.peer.poll_event() {
                any = true;
                self.peer_events.push((self.now, e));
            }
            while let Some(e) = self.ac.poll_event() {
                any = true;
                if let PppEvent::AuthRequest { credential, .. } = &e {
                    let answer = match self.verdict {
                        Verdict::Secret(s) => Some(credential.verify(s)),
                        Verdict::Silent => None,
                    };
                    self.ac_events.push((self.now, e.clone()));
                    match answer {
                        Some(true) => self.ac.accept(self.now, b"Access granted").unwrap(),
                        Some(false) => self.ac.reject(self.now, b"Access denied").unwrap(),
                        None => {}
                    }
                } else {
                    self.ac_events.push((self.now, e));
                }
            }
            if !any {
                break;
            }
        }
    }

    /// Delivers what is due, runs due timers, then jumps to the next thing
    /// that happens. False when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        self.drain();
        let next_arrival = self.inflight.iter().map(|x| x.0).min();
        let next = [
            next_arrival,
            self.peer.poll_timeout(),
            self.ac.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        // Deliver in arrival order (stable for equal times).
        let mut due: Vec<(Instant, Side, Vec<u8>)> = Vec::new();
        let mut keep = VecDeque::new();
        for x in self.inflight.drain(..) {
            if x.0 <= self.now {
                due.push(x)
            } else {
                keep.push_back(x)
            }
        }
        self.inflight = keep;
        due.sort_by_key(|x| x.0);
        for (_, to, frame) in due {
            let _ = match to {
                Side::Peer => self.peer.handle_input(self.now, &frame),
                Side::Ac => self.ac.handle_input(self.now, &frame),
            };
            self.drain();
        }
        self.peer.handle_timeout(self.now);
        self.ac.handle_timeout(self.now);
        self.drain();
        true
    }

    /// Steps until `done` or `limit` simulated time or 10,000 steps.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let end = Instant::ZERO + limit;
        for _ in 0..10_000 {
            if done(self) {
                return true;
            }
            if self.now > end || !self.step() {
                return done(self);
            }
        }
        done(self)
    }

    pub fn peer_has(&self, f: impl Fn(&PppEvent) -> bool) -> bool {
        self.peer_events.iter().any(|(_, e)| f(e))
    }

    pub fn ac_has(&self, f: impl Fn(&PppEvent) -> bool) -> bool {
        self.ac_events.iter().any(|(_, e)| f(e))
    }

    pub fn both_up(&self) -> bool {
        let v4 = |e: &PppEvent| matches!(e, PppEvent::Ipv4Up { .. });
        let v6 = |e: &PppEvent| matches!(e, PppEvent::Ipv6Up { .. });
        self.peer_has(v4) && self.peer_has(v6) && self.ac_has(v4) && self.ac_has(v6)
    }

    pub fn peer_down(&self) -> Option<ppp_proto::PppDownReason> {
        self.peer_events.iter().find_map(|(_, e)| match e {
            PppEvent::Down { reason } => Some(reason.clone()),
            _ => None,
        })
    }

    pub fn ac_down(&self) -> Option<ppp_proto::PppDownReason> {
        self.ac_events.iter().find_map(|(_, e)| match e {
            PppEvent::Down { reason } => Some(reason.clone()),
            _ => None,
        })
    }

    /// Frames sent by `side` with this protocol and first payload byte (code).
    pub fn sent(&self, side: Side, protocol: u16, code: u8) -> Vec<Instant> {
        self.log
            .iter()
            .filter(|(_, s, f)| {
                *s == side
                    && f.len() >= 3
                    && u16::from_be_bytes([f[0], f[1]]) == protocol
                    && f[2] == code
            })
            .map(|(t, _, _)| *t)
            .collect()
    }
}

pub fn cred_user(e: &PppEvent) -> Option<(&[u8], &Credential)> {
    match e {
        PppEvent::AuthRequest { user, credential } => Some((user, credential)),
        _ => None,
    }
}
