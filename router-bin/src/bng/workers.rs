//! The upstream data path on several threads (`[datapath] workers` > 1).
//!
//! Each worker owns one packet socket of a `PACKET_FANOUT_CBPF` group on
//! the access interface whose program returns the PPPoE SESSION_ID, so
//! the kernel hands session `id`'s frames to worker `id % workers`
//! ([`crate::afpacket::fanout_socket_of`]). Each session's upstream state
//! (its shaper's token bucket and queue, its counters) therefore lives in
//! exactly one worker and needs no lock; a worker checks the source
//! (anti-spoofing), clamps the MSS, shapes and writes the packet to the
//! TUN device (coalescing TCP runs, [`crate::bng::datapath::UpGro`]), on
//! its own descriptor of the device.
//!
//! The control plane stays in the event loop: discovery has its own
//! socket, and every session frame a worker does not take as a published
//! session's IP data (LCP, authentication, IPCP/IPv6CP, frames of an
//! unknown session, IPv4 before IPCP, link-scoped IPv6 for the session's
//! router and DHCPv6) reaches it unchanged through a bounded channel (a
//! full channel is a counted drop, as for the router's workers). What the
//! workers need of a session ([`Params`]) is published on each change; a
//! worker holds the table read-locked while it handles a batch, and bills
//! the batch into the session's shared counters before it lets go, so once
//! [`Workers::remove`] returned for a session gone, no worker writes a
//! packet of it and every octet it carried is in the counters: the
//! accounting Stop ([`Workers::remove`]) neither loses nor bills twice.
//!
//! Downstream stays in the event loop (one TUN queue, today's path, and
//! its sends on the loop's own packet socket, which receives nothing): a
//! packet routed into the TUN device goes by its destination to a session
//! whose downstream shaper, MTU checks and counters are there. Moving it
//! to the workers needs a multiqueue TUN, whose queue the kernel picks by
//! flow hash, not by session, so a packet often arrives at a worker that
//! does not own its session. The way to bring it there is a bounded
//! hand-off queue per worker (a full one is a counted drop), not a lock
//! per session around its shaper: the shaper's queue is released on the
//! owner's timer (the `Backlog`), which a second thread holding the lock
//! would have to wake, and one session's packets would take its lock on
//! two cores in turn. Not done yet: the downstream scales with the
//! event loop only.

mod rebind;
mod thread;

use std::collections::HashMap;
use std::io;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use pppoe_proto::SessionFramer;
use pppoe_proto::wire::EthernetAddress;
use tokio::sync::mpsc;

use crate::afpacket::PacketSocket;
use crate::bng::config::Prefix6;
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

/// What the workers need of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Our MAC, the host's, the session id and its MTU.
    pub framer: SessionFramer,
    /// The host's MAC.
    pub mac: [u8; 6],
    /// The session's address while IPCP is open.
    pub ipv4: Option<Ipv4Addr>,
    /// With `[ipv6]`, while IPv6CP is open: the delegated and the framed
    /// prefix (the sources the session may use beyond the link).
    pub v6: Option<[Option<Prefix6>; 2]>,
    /// The upstream speed limit, kbit/s.
    pub up_kbps: Option<u32>,
}

impl Params {
    /// What session `s` needs upstream, behind our MAC `ours`; `None`
    /// while it carries nothing (no NCP open).
    pub fn of(s: &Session, ours: [u8; 6]) -> Option<Params> {
        let ipv4 = s.addr.filter(|_| s.ipv4_up);
        let v6 = s.v6.as_ref().map(|v| [v.delegated, v.framed]);
        if ipv4.is_none() && v6.is_none() {
            return None;
        }
        let framer =
            SessionFramer::new(EthernetAddress(ours), EthernetAddress(s.mac), s.id).with_mtu(s.mtu);
        Some(Params {
            framer,
            mac: s.mac,
            ipv4,
            v6,
            up_kbps: s.up.as_ref().map(crate::bng::shaper::Shaper::kbps),
        })
    }
}

/// A session's upstream counters, added to by its worker and taken by the
/// control plane (so nothing is counted twice).
#[derive(Debug, Default)]
pub struct Counters {
    in_octets: AtomicU64,
    in_packets: AtomicU64,
    spoofed: AtomicU64,
    spoofed6: AtomicU64,
    ipv6_dropped: AtomicU64,
    policed_up: AtomicU64,
}

impl Counters {
    /// The fields in the order of [`Counters::add`] and [`Counters::take`].
    fn fields(&self) -> [&AtomicU64; 6] {
        [
            &self.in_octets,
            &self.in_packets,
            &self.spoofed,
            &self.spoofed6,
            &self.ipv6_dropped,
            &self.policed_up,
        ]
    }

    /// Adds the upstream counters of `t` (a worker's batch).
    fn add(&self, t: &Traffic) {
        let v = [
            t.in_octets,
            t.in_packets,
            t.spoofed,
            t.spoofed6,
            t.ipv6_dropped,
            t.policed_up,
        ];
        for (c, v) in self.fields().into_iter().zip(v) {
            if v > 0 {
                c.fetch_add(v, Ordering::Relaxed);
            }
        }
    }

    /// Moves what was counted into `t`.
    fn take(&self, t: &mut Traffic) {
        let [a, b, c, d, e, f] = self.fields().map(|c| c.swap(0, Ordering::Relaxed));
        t.in_octets += a;
        t.in_packets += b;
        t.spoofed += c;
        t.spoofed6 += d;
        t.ipv6_dropped += e;
        t.policed_up += f;
    }
}

/// A published session: its parameters and its counters.
#[derive(Debug, Clone)]
struct Published {
    params: Params,
    counters: Arc<Counters>,
}

/// The sessions the workers carry.
#[derive(Debug, Default)]
struct Table {
    sessions: HashMap<u16, Published>,
    /// Bumped on every change: a worker looks over its own sessions only
    /// when it moved.
    generation: u64,
}

/// What the control plane and the workers share.
struct Shared {
    table: RwLock<Table>,
    stop: AtomicBool,
}

/// One worker's counters (`bng stats`).
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerCounters {
    /// Session frames received.
    pub frames: u64,
    /// IP packets written to the TUN device for the sessions.
    pub packets: u64,
    /// Sessions it carried traffic of, now.
    pub sessions: u64,
    /// Frames handed to the control plane.
    pub to_control: u64,
    /// Those dropped because the channel was full.
    pub to_control_dropped: u64,
    /// Frames the kernel dropped before the worker read them.
    pub rx_dropped: u64,
    /// Packets the TUN device refused.
    pub tun_errors: u64,
    /// TCP super-packets written (GRO).
    pub tun_gro: u64,
}

impl WorkerCounters {
    /// Adds `other`'s counts (the sum over workers).
    pub fn add(&mut self, other: &WorkerCounters) {
        self.frames += other.frames;
        self.packets += other.packets;
        self.sessions += other.sessions;
        self.to_control += other.to_control;
        self.to_control_dropped += other.to_control_dropped;
        self.rx_dropped += other.rx_dropped;
        self.tun_errors += other.tun_errors;
        self.tun_gro += other.tun_gro;
    }

    /// `bng stats`' fields, by name.
    pub fn fields(&self) -> [(&'static str, u64); 8] {
        [
            ("frames", self.frames),
            ("packets", self.packets),
            ("sessions", self.sessions),
            ("to_control", self.to_control),
            ("to_control_dropped", self.to_control_dropped),
            ("rx_dropped", self.rx_dropped),
            ("tun_errors", self.tun_errors),
            ("tun_gro", self.tun_gro),
        ]
    }
}

/// The worker threads, seen from the event loop.
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
    /// Starts `n` workers on the access interface `interface`, each with
    /// its own descriptor of the TUN device `tun` (`vnet`: it has
    /// offloads).
    pub fn start(n: usize, interface: &str, tun: &Tun) -> io::Result<Workers> {
        let socks = PacketSocket::open_fanout_by_session(
            interface,
            pppoe_link::ETH_P_PPP_SES,
            n.clamp(1, MAX_WORKERS),
        )?;
        let shared = Arc::new(Shared {
            table: RwLock::new(Table::default()),
            stop: AtomicBool::new(false),
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
        for (i, sock) in socks.into_iter().enumerate() {
            rebind::prepare(&sock)?;
            let counters = Arc::new(Mutex::new(WorkerCounters::default()));
            let next = rebind::NextSocket::default();
            let worker = thread::Worker::new(
                sock,
                tun.try_clone()?,
                Arc::clone(&w.shared),
                Arc::clone(&counters),
                tx.clone(),
                Arc::clone(&next),
            );
            w.next.push(next);
            let handle = std::thread::Builder::new()
                .name(format!("bng-datapath-{i}"))
                .spawn(move || worker.run())?;
            w.counters.push(counters);
            w.threads.push(handle);
        }
        Ok(w)
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
        t.generation += 1;
        self.published.insert(id, (serial, params));
        let counters = match t.sessions.get(&id) {
            Some(p) if same_session => Arc::clone(&p.counters),
            _ => Arc::default(),
        };
        t.sessions.insert(id, Published { params, counters });
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
            t.generation += 1;
            t.sessions.remove(&id)
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
        self.counters
            .iter()
            .map(|c| *c.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_taken_once() {
        let c = Counters::default();
        let mut t = Traffic {
            in_octets: 5,
            spoofed: 1,
            ..Traffic::default()
        };
        c.add(&t);
        c.add(&t);
        let mut total = Traffic::default();
        c.take(&mut total);
        assert_eq!((total.in_octets, total.spoofed), (10, 2));
        c.take(&mut total);
        assert_eq!((total.in_octets, total.spoofed), (10, 2));
        t.out_octets = 7;
        c.add(&t);
        c.take(&mut total);
        assert_eq!((total.in_octets, total.out_octets), (15, 0));
    }

    #[test]
    fn a_session_carries_nothing_before_an_ncp_opens() {
        let mut s = Session::new(1, 9, [2, 0, 0, 0, 0, 9], std::time::Instant::now());
        s.addr = Some(Ipv4Addr::new(198, 51, 100, 10));
        assert_eq!(Params::of(&s, [2; 6]), None);
        s.ipv4_up = true;
        let p = Params::of(&s, [2; 6]).unwrap();
        assert_eq!(p.ipv4, s.addr);
        assert_eq!((p.v6, p.up_kbps), (None, None));
        s.up = crate::bng::shaper::shaper(Some(1000), std::time::Instant::now());
        assert_eq!(Params::of(&s, [2; 6]).unwrap().up_kbps, Some(1000));
    }
}
