//! One worker: a TUN queue and a packet socket of the fanout group, in a
//! `poll` loop on its own thread (no async runtime: two descriptors and a
//! stop flag).

use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::{Shared, Slot, ToControl, WorkerCounters, lock};
use crate::afpacket::{PacketSocket, poll_any};
use crate::batch::FrameBatch;
use crate::gro::Gro;
use crate::router::offload;
use crate::tun::Tun;

/// How long a worker sleeps in `poll` before it looks at the stop flag
/// and its mailbox again.
const TICK_MS: i32 = 100;

/// TUN reads per wake-up before the WAN side gets its turn.
const TUN_BUDGET: usize = 32;

/// WAN batches per wake-up before the TUN side gets its turn.
const WAN_BUDGET: usize = 8;

/// How often a worker reads its socket's kernel drop count (a syscall:
/// not on every wake-up).
const STATS_EVERY: Duration = Duration::from_secs(1);

/// A worker, moved onto its thread by [`Worker::run`].
pub(super) struct Worker {
    tun: Tun,
    vnet: bool,
    sock: Option<PacketSocket>,
    /// The fanout group `sock` is of.
    group: u64,
    shared: Arc<Shared>,
    slot: Arc<Slot>,
    to_control: mpsc::Sender<ToControl>,
    counters: WorkerCounters,
    rx: FrameBatch,
    tx: FrameBatch,
    gro: Gro,
    packet: Vec<u8>,
    segment: Vec<u8>,
    /// When to read the socket's kernel drop count next.
    stats_at: Instant,
}

impl Worker {
    pub(super) fn new(
        tun: Tun,
        vnet: bool,
        shared: Arc<Shared>,
        slot: Arc<Slot>,
        to_control: mpsc::Sender<ToControl>,
    ) -> Worker {
        Worker {
            tun,
            vnet,
            sock: None,
            group: 0,
            shared,
            slot,
            to_control,
            counters: WorkerCounters::default(),
            rx: FrameBatch::standard(),
            tx: FrameBatch::standard(),
            gro: Gro::new(),
            packet: vec![0u8; offload::TUN_READ_MAX],
            segment: vec![0u8; 2048],
            stats_at: Instant::now(),
        }
    }

    /// Runs until the stop flag is set.
    pub(super) fn run(mut self) {
        while !self.shared.stop.load(Ordering::Acquire) {
            let new = match self.slot.new_socket.swap(false, Ordering::AcqRel) {
                true => lock(&self.slot.socket).take(),
                false => None,
            };
            if let Some((group, sock)) = new {
                // The old socket's last drops, before it is closed.
                self.collect_drops();
                self.group = group;
                self.sock = Some(sock);
            }
            let sock_fd = self.sock.as_ref().map_or(-1, |s| s.as_raw_fd());
            let ready = match poll_any(&[self.tun.as_raw_fd(), sock_fd], TICK_MS) {
                Ok(r) => r,
                Err(e) => {
                    warn!("data path worker: poll: {e}");
                    std::thread::sleep(Duration::from_millis(TICK_MS as u64));
                    continue;
                }
            };
            if ready & 2 != 0 {
                self.wan_side();
            }
            if ready & 1 != 0 {
                self.tun_side();
            }
            if Instant::now() >= self.stats_at {
                self.collect_drops();
                self.stats_at = Instant::now() + STATS_EVERY;
            }
            *lock(&self.slot.counters) = self.counters;
        }
    }

    /// Adds the kernel's receive drops on the socket to the counters.
    fn collect_drops(&mut self) {
        if let Some(sock) = &self.sock {
            crate::router::wan_socket::collect_drops(sock, &mut self.counters.data.rx_dropped);
        }
    }

    /// Hands `m` to the control plane; a full channel drops it (counted).
    fn hand_over(
        to_control: &mpsc::Sender<ToControl>,
        counters: &mut WorkerCounters,
        m: ToControl,
    ) {
        match to_control.try_send(m) {
            Ok(()) => counters.to_control += 1,
            Err(_) => counters.to_control_dropped += 1,
        }
    }

    /// The socket failed: the control plane reopens the group.
    fn socket_failed(&mut self, e: &io::Error) {
        warn!("data path worker: WAN socket: {e}");
        self.sock = None;
        let m = ToControl::SocketFailed {
            group: self.group,
            error: e.to_string(),
        };
        // Not droppable like a frame: without it nobody reopens the group
        // (the event loop's own socket receives nothing with workers). The
        // worker has nothing else to do meanwhile; it waits for room.
        match self.to_control.blocking_send(m) {
            Ok(()) => self.counters.to_control += 1,
            Err(_) => self.counters.to_control_dropped += 1,
        }
    }

    /// Receive batches from the WAN: the session's data to the TUN, the
    /// rest to the control plane.
    fn wan_side(&mut self) {
        for _ in 0..WAN_BUDGET {
            let Some(sock) = &self.sock else {
                return;
            };
            let got = match sock.try_recv_batch(&mut self.rx) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => return self.socket_failed(&e),
            };
            let session = *self
                .shared
                .session
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let c = &mut self.counters;
            for f in self.rx.frames_mut() {
                let data = session.and_then(|s| Some((s.mtu(), s.data_range(f)?)));
                let Some((mtu, range)) = data else {
                    // Only PPPoE goes to the control plane: ARP, LLDP and
                    // other hosts' traffic on the segment would crowd LCP
                    // out of its bounded channel (it drops them anyway).
                    if is_pppoe(f) {
                        Self::hand_over(&self.to_control, c, ToControl::Frame(f.to_vec()));
                    }
                    continue;
                };
                let to_control = &self.to_control;
                let mut handed = (0u64, 0u64);
                offload::session_packet(
                    self.vnet,
                    mtu,
                    &self.tun,
                    &mut self.gro,
                    f,
                    range,
                    &mut c.data,
                    |p| {
                        if is_router_advertisement(p) {
                            match to_control.try_send(ToControl::RouterAdvertisement(p.to_vec())) {
                                Ok(()) => handed.0 += 1,
                                Err(_) => handed.1 += 1,
                            }
                        }
                    },
                );
                c.to_control += handed.0;
                c.to_control_dropped += handed.1;
            }
            offload::flush_gro(&self.tun, &mut self.gro, &mut c.data);
            if got < self.rx.capacity() {
                return;
            }
        }
    }

    /// Reads from the TUN queue: each packet (or super-packet, cut at the
    /// MTU) out in the session, while there is one.
    fn tun_side(&mut self) {
        let at = offload::read_at(self.vnet);
        for _ in 0..TUN_BUDGET {
            let n = match self.tun.try_recv(&mut self.packet[at..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    debug!("data path worker: TUN read: {e}");
                    return;
                }
            };
            // Held while sending: a session published down waits for this
            // send to end, and no frame of it goes out after.
            let guard = self
                .shared
                .session
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let (Some(session), Some(sock)) = (*guard, &self.sock) else {
                self.counters.data.dropped += 1;
                continue;
            };
            let c = &mut self.counters.data;
            let tx = &mut self.tx;
            let mut unsent = offload::Unsent::default();
            offload::outbound(
                self.vnet,
                &mut self.packet,
                n,
                session.mtu(),
                &mut self.segment,
                c,
                |proto, ip| {
                    if tx.is_full() {
                        offload::flush(sock, tx, &mut unsent);
                    }
                    tx.push_with(|slot| session.encapsulate(proto, ip, slot))
                },
            );
            offload::flush(sock, tx, &mut unsent);
            drop(guard);
            if let Some(e) = unsent.settle(c) {
                debug!("data path worker: WAN send: {e}");
                if matches!(e.raw_os_error(), Some(libc::ENXIO | libc::ENODEV)) {
                    self.socket_failed(&e);
                }
            }
        }
    }
}

/// Whether an IPv6 packet is a Router Advertisement (ICMPv6 type 134 right
/// behind the fixed header, as RFC 4861 sends it): the control plane
/// reads its PREF64.
fn is_router_advertisement(p: &[u8]) -> bool {
    p.len() > 40 && p[6] == 58 && p[40] == 134
}

/// Whether `f` is a PPPoE frame (discovery or session), VLAN-tagged or not.
fn is_pppoe(f: &[u8]) -> bool {
    let ethertype = |at: usize| f.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let t = match ethertype(12) {
        Some(0x8100 | 0x88a8) => ethertype(16),
        t => t,
    };
    matches!(
        t,
        Some(pppoe_link::ETH_P_PPP_DISC | pppoe_link::ETH_P_PPP_SES)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_advertisements_are_told_apart() {
        let mut p = [0u8; 56];
        p[0] = 0x60;
        p[6] = 58;
        p[40] = 134;
        assert!(is_router_advertisement(&p));
        p[40] = 128; // echo request
        assert!(!is_router_advertisement(&p));
        p[40] = 134;
        p[6] = 17;
        assert!(!is_router_advertisement(&p));
        assert!(!is_router_advertisement(&p[..40]));
    }

    #[test]
    fn only_pppoe_frames_are_for_the_control_plane() {
        let mut f = [0u8; 64];
        for (t, pppoe) in [
            (0x8863u16, true),
            (0x8864, true),
            (0x0806, false),
            (0x88cc, false),
            (0x0800, false),
        ] {
            f[12..14].copy_from_slice(&t.to_be_bytes());
            assert_eq!(is_pppoe(&f), pppoe, "ethertype {t:#06x}");
            // Behind a VLAN tag.
            f[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
            f[16..18].copy_from_slice(&t.to_be_bytes());
            assert_eq!(is_pppoe(&f), pppoe, "tagged ethertype {t:#06x}");
        }
        assert!(!is_pppoe(&f[..13]));
        assert!(!is_pppoe(&[]));
    }
}
