//! One worker: a packet socket of the session fanout group and a queue of
//! the multiqueue TUN device in a `poll` loop on its own thread (no async
//! runtime: three descriptors — the third wakes it for reads other
//! workers hand over —, a timer for the shaper queues and a stop flag).
//! Its sessions' upstream packets go to its TUN queue; their downstream
//! ([`downstream`]) to its packet socket.

use std::collections::{HashMap, HashSet};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::handoff::{Inbox, Outboxes};
use super::shared::{Published, Shared, Table, WorkerCounters, lock};
use crate::afpacket::{PacketSocket, poll_any};
use crate::batch::FrameBatch;
use crate::bng::datapath::{Backlog, Dir, TxQueue, UpGro};
use crate::bng::engine::Stats;
use crate::bng::sessions::{Session, Traffic};
use crate::bng::shaper::{Shaper, shaper};
use crate::tun::Tun;

/// How long a worker sleeps in `poll` before it looks at the stop flag
/// and the published sessions again.
const TICK: Duration = Duration::from_millis(100);

/// How often a worker reads its socket's kernel drop count.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// A worker, moved onto its thread by [`Worker::run`].
pub(super) struct Worker {
    sock: PacketSocket,
    tun: Tun,
    shared: Arc<Shared>,
    slot: Arc<Mutex<WorkerCounters>>,
    to_control: mpsc::Sender<Vec<u8>>,
    counters: WorkerCounters,
    /// The upstream state of the sessions whose frames came here.
    sessions: HashMap<u16, Session>,
    /// What each of those was built from (its counters included).
    params: HashMap<u16, Published>,
    /// The table generation `params` agree with.
    generation: u64,
    backlog: Backlog,
    /// Sessions with packets in their shaper queue.
    queued: HashSet<u16>,
    up_gro: UpGro,
    /// Only `tun_errors` and `tun_gro` are used.
    stats: Stats,
    /// The receive batch (taken out while its frames are handled).
    rx: Option<FrameBatch>,
    /// Sessions whose counters moved since they were last billed.
    touched: Vec<u16>,
    stats_at: Instant,
    /// Which worker this is, of how many.
    index: usize,
    workers: usize,
    /// Reads handed here, and the way to the other workers' inboxes.
    inbox: Inbox,
    outboxes: Outboxes,
    /// Reads wait in the inbox beyond the last wake-up's budget.
    inbox_more: bool,
    /// A new socket when the access interface was re-created.
    next: super::rebind::NextSocket,
    /// Downstream frames waiting for one batch send.
    tx: TxQueue,
    /// A TUN read (behind its headroom or `virtio_net_hdr`).
    tun_buf: Vec<u8>,
    /// One segment of a super-packet behind the headroom.
    seg_buf: Vec<u8>,
}

/// What a worker is given at start, besides what it shares.
pub(super) struct Parts {
    pub(super) sock: PacketSocket,
    pub(super) tun: Tun,
    pub(super) index: usize,
    pub(super) workers: usize,
    pub(super) inbox: Inbox,
    pub(super) outboxes: Outboxes,
}

impl Worker {
    pub(super) fn new(
        parts: Parts,
        shared: Arc<Shared>,
        slot: Arc<Mutex<WorkerCounters>>,
        to_control: mpsc::Sender<Vec<u8>>,
        next: super::rebind::NextSocket,
    ) -> Worker {
        let Parts {
            sock,
            tun,
            index,
            workers,
            inbox,
            outboxes,
        } = parts;
        let vnet = tun.vnet();
        Worker {
            sock,
            tun,
            index,
            workers,
            inbox,
            outboxes,
            inbox_more: false,
            tx: TxQueue::default(),
            tun_buf: vec![0u8; crate::bng::offload::TUN_BUF_LEN],
            seg_buf: vec![0u8; 2048],
            shared,
            slot,
            to_control,
            counters: WorkerCounters::default(),
            sessions: HashMap::new(),
            params: HashMap::new(),
            generation: 0,
            backlog: Backlog::default(),
            queued: HashSet::new(),
            up_gro: UpGro::new(vnet),
            stats: Stats::default(),
            rx: Some(FrameBatch::standard()),
            touched: Vec::new(),
            stats_at: Instant::now(),
            next,
        }
    }

    /// Runs until the stop flag is set.
    pub(super) fn run(mut self) {
        let shared = Arc::clone(&self.shared);
        while !shared.stop.load(Ordering::Acquire) {
            if let Some(sock) = super::rebind::take(&self.next) {
                // The old socket's last drops, before it closes.
                if let Ok(st) = self.sock.take_statistics() {
                    self.counters.rx_dropped += st.drops;
                }
                self.sock = sock;
            }
            let now = Instant::now();
            let wait = self
                .backlog
                .next()
                .map_or(TICK, |t| t.saturating_duration_since(now).min(TICK));
            let ms = match self.inbox_more {
                true => 0,
                false => i32::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(i32::MAX),
            };
            let fds = [self.sock.as_raw_fd(), self.tun.as_raw_fd(), self.inbox.fd()];
            let ready = match poll_any(&fds, ms) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!("data path worker: poll: {e}");
                    std::thread::sleep(TICK);
                    continue;
                }
            };
            // Held while the batch is handled and billed: a session
            // published gone waits for it, and sees all it carried.
            let table = shared
                .table
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if table.generation != self.generation {
                self.reconcile(&table);
            }
            let failed = ready & 1 != 0 && self.wan_side(&table);
            if ready & 2 != 0 {
                self.tun_side(&table);
            }
            if ready & 4 != 0 || self.inbox_more {
                self.inbox_side(&table);
            }
            if self.backlog.next().is_some_and(|t| t <= Instant::now()) {
                self.release();
            }
            self.bill();
            drop(table);
            if failed {
                // The access interface went down or away: as the event
                // loop does, wait a little rather than spin (unlocked).
                std::thread::sleep(TICK);
            }
            if Instant::now() >= self.stats_at {
                match self.sock.take_statistics() {
                    Ok(st) => self.counters.rx_dropped += st.drops,
                    Err(e) => tracing::debug!("PACKET_STATISTICS: {e}"),
                }
                self.stats_at = Instant::now() + STATS_EVERY;
            }
            self.counters.sessions = self.sessions.len() as u64;
            self.counters.tun_errors = self.stats.tun_errors;
            self.counters.tun_gro = self.stats.tun_gro;
            self.counters.down = self.stats;
            *lock(&self.slot) = self.counters;
        }
    }

    /// The published sessions changed: sessions gone (or replaced under
    /// their id) are forgotten with their queues, never sent nor billed;
    /// the others take their new parameters.
    fn reconcile(&mut self, table: &Table) {
        self.generation = table.generation;
        let now = Instant::now();
        let ids: Vec<u16> = self.params.keys().copied().collect();
        for id in ids {
            match table.sessions.get(&id) {
                Some(p) if Arc::ptr_eq(&p.counters, &self.params[&id].counters) => {
                    if self.params[&id].params != p.params {
                        self.params.insert(id, p.clone());
                        self.update(id, now);
                    }
                }
                _ => {
                    self.params.remove(&id);
                    self.sessions.remove(&id);
                    self.queued.remove(&id);
                    self.backlog.forget(id);
                }
            }
        }
    }

    /// Session `id`'s local state takes its parameters (a new speed limit
    /// keeps the queue; a limit removed sends the queue at once).
    fn update(&mut self, id: u16, now: Instant) {
        let (Some(p), Some(s)) = (self.params.get(&id), self.sessions.get_mut(&id)) else {
            return;
        };
        let p = p.params;
        s.addr = p.ipv4;
        s.ipv4_up = p.ipv4.is_some();
        s.mtu = p.framer.mtu();
        match (s.up.as_mut(), p.up_kbps) {
            (Some(q), Some(k)) => {
                if q.kbps() != k {
                    q.set_rate(k, now);
                }
            }
            (None, k) => s.up = shaper(k, now),
            (Some(_), None) => {
                let queue = s.up.take().map(Shaper::into_queue).into_iter().flatten();
                for (packet, n) in queue {
                    match self.tun.send_bare(&packet) {
                        Ok(()) => Dir::Up.bill(&mut s.traffic, n),
                        Err(_) => self.stats.tun_errors += 1,
                    }
                }
                self.touched.push(id);
            }
        }
        // Either way's head may go at another time now (or not at all).
        self.backlog.note(s);
        self.update_down(id, p.down_kbps, now);
        if self.backlog_of(id).is_none() {
            self.queued.remove(&id);
        }
    }

    /// When session `id`'s first queued packet (either way) may go.
    fn backlog_of(&self, id: u16) -> Option<Instant> {
        let s = self.sessions.get(&id)?;
        [s.up.as_ref(), s.down.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(Shaper::ready_at)
            .min()
    }

    /// The local state of published session `p` (made on its first frame).
    fn local(&mut self, id: u16, p: &Published) {
        if self
            .params
            .get(&id)
            .is_some_and(|l| Arc::ptr_eq(&l.counters, &p.counters))
        {
            return;
        }
        let now = Instant::now();
        let mut s = Session::new(0, id, p.params.mac, now);
        s.up = shaper(p.params.up_kbps, now);
        s.down = shaper(p.params.down_kbps, now);
        self.sessions.insert(id, s);
        self.params.insert(id, p.clone());
        self.queued.remove(&id);
        self.backlog.forget(id);
        self.update(id, now);
    }

    /// Sends what the speed limits now allow out of the shaper queues.
    fn release(&mut self) {
        let (tun, sock, stats) = (&self.tun, &self.sock, &mut self.stats);
        self.backlog
            .release(&mut self.sessions, Instant::now(), |dir, packet| {
                let sent = match dir {
                    Dir::Up => tun.send_bare(packet).is_ok(),
                    Dir::Down => sock.send(packet).is_ok(),
                };
                match (sent, dir) {
                    (true, _) => {}
                    (false, Dir::Up) => stats.tun_errors += 1,
                    (false, Dir::Down) => stats.tx_dropped += 1,
                }
                sent
            });
        self.touched.extend(self.queued.iter().copied());
        let queued: Vec<u16> = self.queued.iter().copied().collect();
        for id in queued {
            if self.backlog_of(id).is_none() {
                self.queued.remove(&id);
            }
        }
    }

    /// Adds what the touched sessions counted to their shared counters.
    fn bill(&mut self) {
        for id in self.touched.drain(..) {
            let (Some(s), Some(p)) = (self.sessions.get_mut(&id), self.params.get(&id)) else {
                continue;
            };
            self.counters.packets += s.traffic.in_packets;
            self.counters.down_packets += s.traffic.out_packets;
            p.counters.add(&s.traffic);
            s.traffic = Traffic::default();
        }
    }
}

#[path = "downstream.rs"]
mod downstream;
#[path = "upstream.rs"]
mod upstream;

#[cfg(test)]
#[path = "thread_tests.rs"]
mod tests;
