//! The data path on several threads (`[datapath] workers` > 1), both
//! ways.
//!
//! Each worker owns one packet socket of a `PACKET_FANOUT_CBPF` group on
//! the access interface whose program returns the PPPoE SESSION_ID, so
//! the kernel hands session `id`'s frames to worker `id % workers`
//! ([`crate::afpacket::fanout_socket_of`]): that worker owns the session.
//! Each session's data-path state (its shapers' token buckets and queues
//! and their `Backlog` timer, its counters) therefore lives in exactly
//! one worker and needs no lock. Upstream, a worker checks the source
//! (anti-spoofing), clamps the MSS, shapes and writes the packet to the
//! TUN device (coalescing TCP runs, [`crate::bng::datapath::UpGro`]) on
//! its own queue of the multiqueue device.
//!
//! Downstream, each worker reads its TUN queue. The kernel picks a queue
//! by flow hash, not by session (a flow's packets go to the queue that
//! last wrote that flow's packets, so mostly to the owner, whose queue
//! carried the flow upstream), so a read for a session another worker
//! owns goes to the owner through its bounded hand-off queue
//! ([`handoff`]; a full one is a counted drop, `handoff_dropped`), not
//! under a lock per session: the shaper's queue is released on the
//! owner's timer, and one session's packets would otherwise take its lock
//! on two cores in turn. The owner runs the session's downstream shaper,
//! MTU checks (IPv4 fragmentation or Fragmentation Needed, IPv6 Packet
//! Too Big, from the shared rate limit: [`Downstream`]), cuts TCP
//! super-packets at the kernel's segment size, clamps the MSS, frames and
//! sends on its packet socket in batches (`sendmmsg`). Packets for no
//! session are counted (`no_session`, `tun_ipv6_dropped`) as the event
//! loop does; none is the control plane's (it never reads the TUN device).
//!
//! The control plane stays in the event loop: discovery has its own
//! socket, and every session frame a worker does not take as a published
//! session's IP data (LCP, authentication, IPCP/IPv6CP, frames of an
//! unknown session, IPv4 before IPCP, link-scoped IPv6 for the session's
//! router and DHCPv6) reaches it unchanged through a bounded channel (a
//! full channel is a counted drop, as for the router's workers). The
//! loop writes what it still writes to the TUN device (the packets of a
//! session before its workers know it, a CoA's released queue) on a
//! descriptor of worker 0's queue, which it never reads. What the workers
//! need of a session ([`Params`]: framing, MTU, address and prefixes,
//! both speed limits, so a CoA reaches the owner's shapers) is published
//! on each change; a worker holds the table read-locked while it handles
//! a batch (either way), and bills the batch into the session's shared
//! counters before it lets go, so once [`Workers::remove`] returned for a
//! session gone, no worker sends or writes a packet of it and every octet
//! it carried either way is in the counters: the accounting Stop neither
//! loses nor bills twice.
//!
//! With `workers = 1` (the default) none of this runs: the event loop
//! carries both ways on one TUN queue, as it always did.

mod handoff;
mod rebind;
mod shared;
mod thread;

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

pub use shared::{Downstream, Params, WorkerCounters};
use shared::{Published, Shared, Table, lock};

use sansio_primitives::{RateLimiter, StdClock};

use crate::afpacket::PacketSocket;
use crate::aio::AsyncTun;
use crate::bng::config::Config;
use crate::bng::ipv6::PacketTooBig;
use crate::bng::mtu::ICMP_LIMIT;
use crate::bng::sessions::{Session, Traffic};
use crate::tun::Tun;

/// The most workers (`[datapath] workers` is capped here).
pub const MAX_WORKERS: usize = 16;

/// How many frames may wait for the control plane before workers drop
/// (counted) what they would hand over: a few LCP/IPCP exchanges of many
/// sessions coming up at once.
const TO_CONTROL_BOUND: usize = 1024;

/// Each worker socket's receive buffer asked for (as the event loop's).
const RECV_BUFFER: usize = 4 << 20;

pub struct Workers {
    shared: Arc<Shared>,
    counters: Vec<Arc<Mutex<WorkerCounters>>>,
    threads: Vec<JoinHandle<()>>,
    rx: mpsc::Receiver<Vec<u8>>,
    /// What was published, by session id, with the session's serial (an
    /// id reused by a new session gets new counters).
    published: HashMap<u16, (u64, Params)>,
    /// Each worker's next socket ([`Workers::rebind`]).
    next: Vec<rebind::NextSocket>,
}

impl Workers {
    /// Starts one worker per queue of the multiqueue TUN device `queues`
    /// (all with offloads or none) on the access interface `interface`;
    /// `ipv6`: IPv6 goes to sessions (`[ipv6]`); `down`: the downstream's
    /// ICMP sources and limits.
    pub fn start(
        interface: &str,
        queues: Vec<Tun>,
        ipv6: bool,
        down: Downstream,
    ) -> io::Result<Workers> {
        let n = queues.len().clamp(1, MAX_WORKERS);
        let socks = PacketSocket::open_fanout_by_session(interface, pppoe_link::ETH_P_PPP_SES, n)?;
        let shared = Arc::new(Shared {
            table: RwLock::new(Table::default()),
            stop: AtomicBool::new(false),
            ipv6,
            down: Mutex::new(down),
        });
        let (tx, rx) = mpsc::channel(TO_CONTROL_BOUND);
        let mut w = Workers {
            shared,
            counters: Vec::new(),
            threads: Vec::new(),
            rx,
            published: HashMap::new(),
            next: Vec::new(),
        };
        let mailboxes = handoff::mailboxes(n, handoff::HANDOFF_BOUND)?;
        let all = socks.into_iter().zip(queues).zip(mailboxes);
        for (index, ((sock, tun), (inbox, outboxes))) in all.enumerate() {
            rebind::prepare(&sock)?;
            tun.set_nonblocking()?;
            let counters = Arc::new(Mutex::new(WorkerCounters::default()));
            let next = rebind::NextSocket::default();
            let parts = thread::Parts {
                sock,
                tun,
                index,
                workers: n,
                inbox,
                outboxes,
            };
            let worker = thread::Worker::new(
                parts,
                Arc::clone(&w.shared),
                Arc::clone(&counters),
                tx.clone(),
                Arc::clone(&next),
            );
            w.next.push(next);
            let handle = std::thread::Builder::new()
                .name(format!("bng-datapath-{index}"))
                .spawn(move || worker.run())?;
            w.counters.push(counters);
            w.threads.push(handle);
        }
        Ok(w)
    }

    /// The multiqueue TUN device `cfg.tun` (with offloads where the
    /// kernel has them) and a worker per queue (`[datapath] workers`);
    /// the event loop's descriptor of worker 0's queue, to write on.
    pub fn open(cfg: &Config, clock: StdClock) -> io::Result<(AsyncTun, Workers)> {
        let n = cfg.datapath.workers.clamp(1, MAX_WORKERS);
        let name = &cfg.tun;
        let context = |e: io::Error| io::Error::new(e.kind(), format!("TUN device {name}: {e}"));
        let queues = match Tun::open_queues(name, n, true) {
            Err(e) if e.kind() != io::ErrorKind::ResourceBusy => {
                tracing::warn!("TUN device {name}: no offloads ({e})");
                Tun::open_queues(name, n, false)
            }
            r => r,
        }
        .map_err(context)?;
        let writer = queues[0]
            .try_clone()
            .and_then(AsyncTun::writer)
            .map_err(context)?;
        let down = Downstream {
            local: cfg.pool.local,
            ptb: cfg
                .ipv6
                .as_ref()
                .map(|v6| PacketTooBig::new(v6.icmp_source, clock.now())),
            icmp_limit: RateLimiter::new(ICMP_LIMIT, clock.now()),
            clock,
        };
        let w = Workers::start(&cfg.interface, queues, cfg.ipv6.is_some(), down)?;
        Ok((writer, w))
    }

    /// How many workers run.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// Publishes session `id`'s parameters when they changed; `serial`
    /// tells a new session under a reused id (whose counters start anew:
    /// the old one's were taken by [`Workers::remove`]). When this returns
    /// every worker sees them.
    pub fn publish(&mut self, id: u16, serial: u64, params: Params) {
        let now = self.published.get(&id).copied();
        let same_session = now.is_some_and(|(s, _)| s == serial);
        if same_session && now.map(|(_, p)| p) == Some(params) {
            return;
        }
        let mut t = self
            .shared
            .table
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.published.insert(id, (serial, params));
        let counters = match t.sessions.get(&id) {
            Some(p) if same_session => Arc::clone(&p.counters),
            _ => Arc::default(),
        };
        t.set(id, Some(Published { params, counters }));
    }

    /// Moves what the workers counted for each session of `sessions` into
    /// its counters (for Interim-Updates and `bng sessions`).
    pub fn absorb_all(&self, sessions: &mut HashMap<u16, Session>) {
        let t = self
            .shared
            .table
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (id, p) in &t.sessions {
            if let Some(s) = sessions.get_mut(id) {
                p.counters.take(&mut s.traffic);
            }
        }
    }

    /// Removes session `id` from the workers and moves its last counts
    /// into `traffic`: when this returns no worker writes a packet of it,
    /// and every octet they carried is counted once.
    pub fn remove(&mut self, id: u16, traffic: &mut Traffic) {
        if self.published.remove(&id).is_none() {
            return;
        }
        // The write lock waits for the batch a worker is in (which bills
        // before it lets go).
        let gone = {
            let mut t = self
                .shared
                .table
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            t.set(id, None)
        };
        if let Some(p) = gone {
            p.counters.take(traffic);
        }
    }

    /// Waits for a frame a worker hands over (cancel-safe).
    pub async fn recv(&mut self) -> Option<Vec<u8>> {
        self.rx.recv().await
    }

    /// Another frame a worker handed over, if one waits.
    pub fn try_recv(&mut self) -> Option<Vec<u8>> {
        self.rx.try_recv().ok()
    }

    /// Each worker's counters.
    pub fn counters(&self) -> Vec<WorkerCounters> {
        self.counters.iter().map(|c| *lock(c)).collect()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl crate::bng::engine::Bng {
    /// Session `id`'s data-path parameters may have changed: published
    /// to the workers by [`Bng::sync_workers`](crate::bng::engine::Bng::sync_workers).
    pub(crate) fn touch(&mut self, id: u16) {
        if self.workers.is_some() {
            self.dp_dirty.push(id);
        }
    }

    /// Publishes the touched sessions' parameters to the workers (once
    /// per pass of the event loop, after its input was handled).
    pub fn sync_workers(&mut self) {
        let Some(w) = &mut self.workers else {
            return;
        };
        let ours = self.out.mac();
        for id in self.dp_dirty.drain(..) {
            match self.table.by_id.get_mut(&id) {
                Some(s) => match Params::of(s, ours) {
                    Some(p) => w.publish(id, s.serial, p),
                    None => w.remove(id, &mut s.traffic),
                },
                // Gone: `finish` took it out of the workers.
                None => w.remove(id, &mut Traffic::default()),
            }
        }
    }

    /// Moves what the workers counted into the sessions' counters (before
    /// they are shown).
    pub fn absorb_workers(&mut self) {
        if let Some(w) = &self.workers {
            w.absorb_all(&mut self.table.by_id);
        }
    }
}
