//! The generator's one loop: frames in (demultiplexed by destination MAC),
//! timers (a [`DeadlineHeap`] of each dial's next deadline), new dials while fewer
//! than `in_flight` are on their way, frames out in `sendmmsg` batches.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::time::{Duration, Instant as StdInstant};

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use pppoe_link::PPP_IPV6;
use sansio_primitives::{DeadlineHeap, Instant, SeededRng, StdClock};

use crate::afpacket::{ETH_P_ALL, PacketSocket};
use crate::batch::FrameBatch;
use crate::loadgen::dial::{Dial, Outcome, Stage};
use crate::loadgen::{LoadgenConfig, Milestone, Report, rss_of};

/// The socket's receive buffer: bursts of PADOs, echoes and teardown
/// answers for thousands of sessions must not be dropped by our side.
const RCVBUF: usize = 32 << 20;

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Setup,
    Hold,
    Teardown,
}

struct Gen<'a> {
    cfg: &'a LoadgenConfig,
    clock: StdClock,
    sock: PacketSocket,
    rng: SeededRng,
    dials: Vec<Option<Dial>>,
    by_mac: HashMap<[u8; 6], usize>,
    /// Each dial's next deadline.
    heap: DeadlineHeap<usize, Instant>,
    /// Dial deadlines: (when, dial, attempt).
    deadlines: VecDeque<(StdInstant, usize, u32)>,
    in_flight: usize,
    next: usize,
    tx: Vec<Vec<u8>>,
    batch: FrameBatch,
    report: Report,
    failures: [u64; 5],
    milestones: Vec<usize>,
    closing: usize,
    closed: usize,
    start: StdInstant,
}

/// Dials, holds, tears down; the report. `progress` gets a line now and
/// then.
pub fn run(cfg: &LoadgenConfig, mut progress: impl FnMut(&str)) -> io::Result<Report> {
    // Signals arrive through a descriptor, read between frames.
    let mut mask = SigSet::empty();
    for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGUSR1] {
        mask.add(s);
    }
    mask.thread_block().map_err(io::Error::from)?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK).map_err(io::Error::from)?;
    let sock = PacketSocket::open(&cfg.interface, ETH_P_ALL)?;
    if let Err(e) =
        nix::sys::socket::setsockopt(&sock, nix::sys::socket::sockopt::RcvBufForce, &RCVBUF)
    {
        progress(&format!("cannot enlarge the receive buffer: {e}"));
    }
    let mut milestones: Vec<usize> = cfg.rss_at.clone();
    let step = (cfg.sessions / 10).max(1);
    milestones.extend((1..=10).map(|k| k * step).filter(|&n| n <= cfg.sessions));
    milestones.push(cfg.sessions);
    milestones.sort_unstable();
    milestones.dedup();
    let clock = StdClock::new();
    let mut g = Gen {
        cfg,
        clock,
        sock,
        rng: SeededRng::from_u64(u64::from(cfg.mac_seed) << 32 | u64::from(std::process::id())),
        dials: (0..cfg.sessions).map(|_| None).collect(),
        by_mac: HashMap::with_capacity(cfg.sessions),
        heap: DeadlineHeap::new(),
        deadlines: VecDeque::new(),
        in_flight: 0,
        next: 0,
        tx: Vec::new(),
        batch: FrameBatch::standard(),
        report: Report {
            wanted: cfg.sessions,
            ..Report::default()
        },
        failures: [0; 5],
        milestones,
        closing: 0,
        closed: 0,
        start: StdInstant::now(),
    };
    let mut phase = Phase::Setup;
    let mut hold_until = None;
    let mut teardown_started = None;
    let mut told = false;
    let mut last_check = StdInstant::now();
    let mut buf = vec![0u8; 2048];
    let mut rx = FrameBatch::standard();
    loop {
        let now = g.clock.now();
        g.run_timers(now);
        g.expire_dials();
        if phase == Phase::Setup {
            g.start_dials(now);
        }
        if phase == Phase::Teardown {
            g.close_more(now);
        }
        g.flush();
        let wall = StdInstant::now();
        if wall - last_check >= Duration::from_millis(100) {
            last_check = wall;
            told |= signals.read_signal().ok().flatten().is_some()
                || cfg.until_file.as_ref().is_some_and(|f| f.exists());
        }
        match phase {
            Phase::Setup if told || (g.next == cfg.sessions && g.in_flight == 0) => {
                g.finish_setup(&mut progress);
                phase = Phase::Hold;
                hold_until = Some(StdInstant::now() + cfg.hold);
                continue;
            }
            Phase::Hold if told || hold_until.is_some_and(|t| StdInstant::now() >= t) => {
                if !cfg.teardown {
                    break;
                }
                progress("tearing down");
                phase = Phase::Teardown;
                teardown_started = Some(StdInstant::now());
                continue;
            }
            Phase::Teardown => {
                let t0 = teardown_started.unwrap_or(wall);
                let done = g.closed >= g.report.up.saturating_sub(g.report.lost as usize)
                    && g.closing == 0;
                if done || wall - t0 >= cfg.teardown_timeout {
                    g.report.teardown = Some((g.closed, wall - t0));
                    // Let the bng finish its side before reading its memory.
                    std::thread::sleep(Duration::from_millis(500));
                    g.report.rss_after = cfg.bng_pid.and_then(rss_of);
                    break;
                }
            }
            _ => {}
        }
        let wait = g.wait(now).min(Duration::from_millis(100));
        if let Some(n) = g.sock.recv(&mut buf, Some(wait))? {
            g.on_frame(&buf[..n]);
            // Then whatever else is queued, in batches.
            for _ in 0..64 {
                match g.sock.try_recv_batch(&mut rx) {
                    Ok(_) => {
                        for f in rx.frames_mut() {
                            g.on_frame(f);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    g.flush();
    g.report.failures = Stage::FAILING
        .iter()
        .zip(g.failures)
        .map(|(s, n)| (*s, n))
        .collect();
    Ok(g.report)
}

impl Gen<'_> {
    fn run_timers(&mut self, now: Instant) {
        while let Some((i, _)) = self.heap.pop_due(now) {
            if let Some(d) = &mut self.dials[i] {
                d.handle_timeout(now);
            }
            self.touch(i, now);
        }
    }

    /// How long until the next timer.
    fn wait(&self, now: Instant) -> Duration {
        self.heap.next().map_or(Duration::from_millis(100), |t| {
            Duration::from_nanos(t.saturating_duration_since(now).as_nanos() as u64)
        })
    }

    fn start_dials(&mut self, now: Instant) {
        while self.in_flight < self.cfg.in_flight && self.next < self.cfg.sessions {
            let n = self.next;
            self.next += 1;
            let d = Dial::new(self.cfg, n, self.rng.fork(), now);
            self.by_mac.insert(d.mac, n);
            self.deadlines
                .push_back((d.started + self.cfg.dial_timeout, n, d.attempts));
            self.dials[n] = Some(d);
            self.in_flight += 1;
            self.touch(n, now);
        }
    }

    /// Gives up dials past their deadline (in the stage they reached).
    fn expire_dials(&mut self) {
        let wall = StdInstant::now();
        while let Some(&(t, n, attempt)) = self.deadlines.front() {
            if t > wall {
                break;
            }
            self.deadlines.pop_front();
            let Some(d) = &mut self.dials[n] else {
                continue;
            };
            if d.attempts != attempt || d.stage == Stage::Up || d.ended {
                continue;
            }
            d.ended = true;
            let (now, stage) = (self.clock.now(), d.stage);
            d.link.close(now);
            self.failed(stage);
            self.touch(n, now);
        }
    }

    fn failed(&mut self, stage: Stage) {
        if let Some(k) = Stage::FAILING.iter().position(|s| *s == stage) {
            self.failures[k] += 1;
        }
        self.in_flight -= 1;
    }

    /// Closes up to `in_flight` sessions at a time.
    fn close_more(&mut self, now: Instant) {
        while self.closing < self.cfg.in_flight && self.next > 0 {
            self.next -= 1;
            let n = self.next;
            let Some(d) = &mut self.dials[n] else {
                continue;
            };
            if d.stage != Stage::Up || d.ended || d.closing {
                continue;
            }
            d.closing = true;
            d.link.close(now);
            self.closing += 1;
            self.touch(n, now);
        }
    }

    fn on_frame(&mut self, f: &[u8]) {
        let Some(dst) = f.get(..6) else { return };
        let Some(&n) = self.by_mac.get(dst) else {
            return;
        };
        self.report.frames.1 += 1;
        let now = self.clock.now();
        let Some(d) = &mut self.dials[n] else { return };
        if let Ok(Some(r)) = d.link.handle_input(now, f) {
            let p = &f[r];
            if p.len() > 2 && u16::from_be_bytes([p[0], p[1]]) == PPP_IPV6 {
                d.on_ipv6(now, &p[2..]);
            }
        }
        self.touch(n, now);
    }

    /// After anything happened to dial `n`: its frames out, its events,
    /// its next deadline.
    fn touch(&mut self, n: usize, now: Instant) {
        let Some(d) = &mut self.dials[n] else { return };
        while let Some(f) = d.link.poll_transmit(now) {
            self.tx.push(f);
        }
        let outcome = d.on_events(self.cfg, n, now);
        d.pump_pd(now, &mut self.tx);
        while let Some(f) = d.link.poll_transmit(now) {
            self.tx.push(f);
        }
        let t = d.poll_timeout();
        let (closing, attempts) = (d.closing, d.attempts);
        match outcome {
            Outcome::Running => {}
            Outcome::CameUp => {
                self.in_flight -= 1;
                self.report.up += 1;
                let up = self.report.up;
                if up == self.cfg.sessions {
                    self.report.all_up = Some(self.start.elapsed());
                }
                if self.milestones.binary_search(&up).is_ok() {
                    self.report.milestones.push(Milestone {
                        sessions: up,
                        at: self.start.elapsed(),
                        rss: if self.cfg.rss_at.contains(&up) {
                            self.cfg.bng_pid.and_then(rss_of)
                        } else {
                            None
                        },
                    });
                }
            }
            Outcome::Ended(Stage::Up) if closing => {
                self.closing -= 1;
                self.closed += 1;
            }
            Outcome::Ended(Stage::Up) => self.report.lost += 1,
            Outcome::Ended(_) if attempts <= self.cfg.redials => {
                self.report.redials += 1;
                let rng = self.rng.fork();
                if let Some(d) = &mut self.dials[n] {
                    d.redial(self.cfg, n, rng, now);
                    self.deadlines
                        .push_back((d.started + self.cfg.dial_timeout, n, d.attempts));
                }
                return self.touch(n, now);
            }
            Outcome::Ended(stage) => self.failed(stage),
        }
        match t {
            Some(t) => self.heap.schedule(n, t),
            None => {
                self.heap.remove(&n);
            }
        }
        if self.tx.len() >= 64 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let mut frames = std::mem::take(&mut self.tx);
        for chunk in frames.chunks(self.batch.capacity()) {
            self.batch.clear();
            for f in chunk {
                self.batch.push_with(|slot| {
                    let n = f.len().min(slot.len());
                    slot[..n].copy_from_slice(&f[..n]);
                    Some(n)
                });
            }
            let sent = self.sock.try_send_batch(&self.batch).unwrap_or(0);
            self.report.frames.0 += sent as u64;
            self.report.frames.2 += (chunk.len() - sent) as u64;
        }
        frames.clear();
        self.tx = frames;
    }

    fn finish_setup(&mut self, progress: &mut impl FnMut(&str)) {
        self.report.setup = self.start.elapsed();
        self.report.rss_up = self.cfg.bng_pid.and_then(rss_of);
        self.report.loadavg = std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
            .to_string();
        progress(&format!(
            "{} of {} up in {:.2} s; holding",
            self.report.up,
            self.cfg.sessions,
            self.report.setup.as_secs_f64()
        ));
        // Dials still on their way are given up.
        for n in 0..self.cfg.sessions {
            if let Some(d) = &self.dials[n]
                && d.stage != Stage::Up
                && !d.ended
            {
                let stage = d.stage;
                self.failed(stage);
                let now = self.clock.now();
                if let Some(d) = &mut self.dials[n] {
                    d.ended = true;
                    d.link.close(now);
                }
                self.touch(n, now);
            }
        }
        self.next = self.cfg.sessions;
    }
}
