//! The PPPoE data path on several threads (`wan.workers` > 1): one worker
//! per queue of the multiqueue TUN `ppp0`, each with its own packet socket
//! in one `PACKET_FANOUT_HASH` group on the WAN interface, so the kernel
//! hands each flow to one worker both ways (the fanout hashes the inner IP
//! flow of PPPoE session frames; the TUN sends a flow's packets to the
//! queue that last wrote them). A worker does the established session's
//! framing, MSS clamp, TSO segmentation and GRO for its flows.
//!
//! The control plane stays in the event loop: every frame a worker does
//! not take as the session's IP data (discovery, LCP, authentication,
//! IPCP/IPv6CP, frames of another session) reaches it unchanged through a
//! bounded channel ([`ToControl`]; a full channel is a counted drop), and
//! so does a copy of each Router Advertisement (the PREF64 in it). What the
//! workers need of the session ([`DataSession`]) is published on each
//! change; a worker holds it, read-locked, while it sends, so once
//! [`Workers::publish`] returned `None` no worker sends a data frame.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use pppoe_link::{PPP_IPV4, PPP_IPV6};
use pppoe_proto::SessionFramer;
use tokio::sync::mpsc;

use crate::afpacket::PacketSocket;
use crate::router::datapath::Counters;
use crate::tun::Tun;

mod thread;

/// The most workers (`wan.workers` is capped here; more queues than cores
/// only add switching).
pub const MAX_WORKERS: usize = 8;

/// How many frames may wait for the control plane before workers drop
/// (counted) what they would hand over.
const TO_CONTROL_BOUND: usize = 256;

/// What the workers need of the established session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataSession {
    /// Session id, MACs and the MTU LCP agreed.
    pub framer: SessionFramer,
    /// IPCP is open: IPv4 may be sent.
    pub ipv4: bool,
    /// IPv6CP is open: IPv6 may be sent.
    pub ipv6: bool,
}

impl DataSession {
    /// The session's MTU.
    pub fn mtu(&self) -> u16 {
        self.framer.mtu()
    }

    /// Frames an IP packet of `protocol` as a session frame into `out`; its
    /// length. `None` while that protocol's NCP is not open (RFC 1661
    /// §3.6) or it does not fit.
    pub fn encapsulate(&self, protocol: u16, packet: &[u8], out: &mut [u8]) -> Option<usize> {
        let open = match protocol {
            PPP_IPV4 => self.ipv4,
            PPP_IPV6 => self.ipv6,
            _ => false,
        };
        let h = self.framer.header_len();
        let ppp_len = 2 + packet.len();
        let dst = out.get_mut(h..h + ppp_len).filter(|_| open)?;
        dst[..2].copy_from_slice(&protocol.to_be_bytes());
        dst[2..].copy_from_slice(packet);
        self.framer.encapsulate(out, ppp_len).ok()
    }

    /// Where the PPP frame (protocol + IP packet) of a data frame of this
    /// session lies; `None` for anything else (the control plane's).
    pub fn data_range(&self, frame: &[u8]) -> Option<std::ops::Range<usize>> {
        let range = self.framer.decapsulate(frame).ok()?;
        match frame.get(range.start..range.start + 2)? {
            [a, b] if matches!(u16::from_be_bytes([*a, *b]), PPP_IPV4 | PPP_IPV6) => Some(range),
            _ => None,
        }
    }
}

/// What a worker hands to the control plane.
#[derive(Debug)]
pub enum ToControl {
    /// A WAN frame that is not the established session's IP data.
    Frame(Vec<u8>),
    /// An IPv6 Router Advertisement from the session (already in the TUN).
    RouterAdvertisement(Vec<u8>),
    /// The worker's packet socket failed (the WAN interface went away):
    /// it waits for a new one from [`Workers::attach`].
    SocketFailed {
        /// The [`Workers::attach`] that socket came from: one failure of
        /// the group is acted on, not one per worker.
        group: u64,
        /// What the socket said.
        error: String,
    },
}

/// One worker's counters: its data path and what it handed over.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkerCounters {
    /// Its part of the data path.
    pub data: Counters,
    /// Frames and RAs handed to the control plane.
    pub to_control: u64,
    /// Those dropped because the channel was full.
    pub to_control_dropped: u64,
}

/// What the control plane and the workers share.
struct Shared {
    session: RwLock<Option<DataSession>>,
    stop: AtomicBool,
}

/// One worker's mailbox and counters.
#[derive(Default)]
struct Slot {
    /// A new packet socket (after the WAN interface came back) and the
    /// group it is of.
    socket: Mutex<Option<(u64, PacketSocket)>>,
    /// Set when `socket` holds one: checked on every wake-up.
    new_socket: AtomicBool,
    counters: Mutex<WorkerCounters>,
}

/// The worker threads, seen from the event loop.
pub struct Workers {
    shared: Arc<Shared>,
    slots: Vec<Arc<Slot>>,
    threads: Vec<JoinHandle<()>>,
    published: Option<DataSession>,
    rx: mpsc::Receiver<ToControl>,
    /// How many fanout groups [`Workers::attach`] opened.
    groups: AtomicU64,
}

impl Workers {
    /// Starts one worker per TUN queue (`vnet`: they have offloads); they
    /// carry nothing until [`Workers::attach`] gives them packet sockets
    /// and [`Workers::publish`] a session.
    pub fn start(queues: Vec<Tun>, vnet: bool) -> io::Result<Workers> {
        let shared = Arc::new(Shared {
            session: RwLock::new(None),
            stop: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel(TO_CONTROL_BOUND);
        let mut workers = Workers {
            shared,
            slots: Vec::new(),
            threads: Vec::new(),
            published: None,
            rx,
            groups: AtomicU64::new(0),
        };
        for (i, tun) in queues.into_iter().enumerate() {
            // The worker reads until `WouldBlock`.
            tun.set_nonblocking()?;
            let slot = Arc::new(Slot::default());
            let w = thread::Worker::new(
                tun,
                vnet,
                Arc::clone(&workers.shared),
                Arc::clone(&slot),
                tx.clone(),
            );
            let handle = std::thread::Builder::new()
                .name(format!("datapath-{i}"))
                .spawn(move || w.run())?;
            workers.slots.push(slot);
            workers.threads.push(handle);
        }
        Ok(workers)
    }

    /// How many workers run.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Opens a fanout group of packet sockets on `wan_if`, one per worker,
    /// and hands them over (replacing the ones they had); `qdisc_bypass`:
    /// they send past the interface's qdisc (`wan.qdisc_bypass`).
    pub fn attach(&self, wan_if: &str, qdisc_bypass: bool) -> io::Result<()> {
        let socks = PacketSocket::open_fanout(wan_if, crate::afpacket::ETH_P_ALL, self.len())?;
        for s in &socks {
            s.set_nonblocking()?;
            crate::router::wan_socket::set_wan_recv_buffer(s);
            crate::router::wan_socket::set_wan_qdisc_bypass(s, qdisc_bypass);
        }
        let group = self.groups.fetch_add(1, Ordering::Relaxed) + 1;
        for (slot, sock) in self.slots.iter().zip(socks) {
            *lock(&slot.socket) = Some((group, sock));
            slot.new_socket.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Publishes the session's data parameters when they changed. When
    /// this returns, every worker sees them: after `None` none sends data.
    pub fn publish(&mut self, session: Option<DataSession>) {
        if session == self.published {
            return;
        }
        self.published = session;
        *self
            .shared
            .session
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = session;
    }

    /// Whether a failure of a socket of `group` is news: that group is
    /// the current one (not replaced since).
    pub fn is_current(&self, group: u64) -> bool {
        self.groups.load(Ordering::Relaxed) == group
    }

    /// Waits for what a worker hands over (cancel-safe).
    pub async fn recv(&mut self) -> Option<ToControl> {
        self.rx.recv().await
    }

    /// Each worker's counters.
    pub fn counters(&self) -> Vec<WorkerCounters> {
        self.slots.iter().map(|s| *lock(&s.counters)).collect()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.publish(None);
        self.shared.stop.store(true, Ordering::Release);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A mutex's guard, poisoned or not (a worker that panicked left plain
/// counters or a socket, both still whole).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The number of workers by default: one per CPU, at most
/// [`MAX_WORKERS`].
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_WORKERS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pppoe_proto::wire::EthernetAddress;

    const US: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const AC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);

    fn session(ipv4: bool, ipv6: bool) -> DataSession {
        DataSession {
            framer: SessionFramer::new(US, AC, 7).with_mtu(1492),
            ipv4,
            ipv6,
        }
    }

    #[test]
    fn only_open_protocols_are_framed() {
        let s = session(true, false);
        let mut out = [0u8; 64];
        let n = s.encapsulate(PPP_IPV4, &[0x45; 20], &mut out).unwrap();
        assert_eq!(n, 20 + 2 + 20);
        assert_eq!(&out[..6], &AC.0);
        assert_eq!(&out[20..22], &PPP_IPV4.to_be_bytes());
        assert_eq!(s.encapsulate(PPP_IPV6, &[0x60; 40], &mut out), None);
        assert_eq!(s.encapsulate(0xc021, &[0; 4], &mut out), None);
        assert_eq!(s.encapsulate(PPP_IPV4, &[0x45; 60], &mut out), None);
    }

    #[test]
    fn data_frames_of_the_session_only() {
        let ours = session(true, true);
        // What the AC sends us.
        let ac = DataSession {
            framer: SessionFramer::new(AC, US, 7),
            ..ours
        };
        let mut f = [0u8; 64];
        let n = ac.encapsulate(PPP_IPV6, &[0x60; 40], &mut f).unwrap();
        assert_eq!(ours.data_range(&f[..n]), Some(20..62));
        // LCP of the session is the control plane's.
        let mut lcp = f;
        lcp[20..22].copy_from_slice(&0xc021u16.to_be_bytes());
        assert_eq!(ours.data_range(&lcp[..n]), None);
        // Another session id (an old one after a redial) too.
        let old = DataSession {
            framer: SessionFramer::new(US, AC, 6),
            ..ours
        };
        assert_eq!(old.data_range(&f[..n]), None);
        // Discovery (0x8863) and garbage.
        let mut padt = f;
        padt[12..14].copy_from_slice(&0x8863u16.to_be_bytes());
        assert_eq!(ours.data_range(&padt[..n]), None);
        assert_eq!(ours.data_range(&f[..10]), None);
    }
}
