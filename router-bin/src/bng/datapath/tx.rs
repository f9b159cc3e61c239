//! Downstream session frames in batches: the frames built from one TUN
//! read burst (a super-packet's segments, a run of packets) are queued
//! here and leave with one `sendmmsg` ([`crate::aio::AsyncPacketSocket::send_batch`]).
//!
//! Each queued frame remembers its session and its IP bytes: it is billed
//! only once the socket took it. What a partial send or an error leaves
//! is dropped, as a full NIC queue would, and counted (`tx_dropped`),
//! never billed.

use std::collections::HashMap;
use std::io;

use crate::batch::FrameBatch;
use crate::bng::datapath::Dir;
use crate::bng::engine::Stats;
use crate::bng::sessions::Session;

/// Frames waiting for the next batch send.
#[derive(Debug)]
pub struct TxQueue {
    batch: FrameBatch,
    /// Per queued frame: its session and the IP bytes to bill.
    meta: Vec<(u16, usize)>,
}

impl Default for TxQueue {
    fn default() -> Self {
        TxQueue::new(FrameBatch::standard())
    }
}

impl TxQueue {
    /// A queue of `batch`'s slots.
    pub fn new(batch: FrameBatch) -> TxQueue {
        let meta = Vec::with_capacity(batch.capacity());
        TxQueue { batch, meta }
    }

    /// Every slot is taken: [`flush`](Self::flush) before the next frame.
    pub fn is_full(&self) -> bool {
        self.batch.is_full()
    }

    /// Nothing queued.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// The next free slot, to build a frame in (empty when full).
    pub fn slot(&mut self) -> &mut [u8] {
        let (data, slot, lens) = self.batch.raw();
        let at = lens.len() * slot;
        data.get_mut(at..at + slot).unwrap_or_default()
    }

    /// Queues the frame of `len` bytes built in [`slot`](Self::slot): `n`
    /// IP bytes of session `id`. False (nothing queued) when full or `len`
    /// does not fit a slot.
    pub fn commit(&mut self, len: usize, id: u16, n: usize) -> bool {
        let (data, slot, lens) = self.batch.raw();
        if len == 0 || len > slot || (lens.len() + 1) * slot > data.len() {
            return false;
        }
        lens.push(len);
        self.meta.push((id, n));
        true
    }

    /// Sends what is queued with `send` (how many frames the socket took,
    /// in order) and empties the queue: the frames sent are billed to
    /// their sessions, the rest count as `tx_dropped`.
    pub fn flush(
        &mut self,
        send: impl FnOnce(&FrameBatch) -> io::Result<usize>,
        sessions: &mut HashMap<u16, Session>,
        stats: &mut Stats,
    ) {
        if self.meta.is_empty() {
            return;
        }
        let sent = match send(&self.batch) {
            Ok(k) => k.min(self.meta.len()),
            Err(e) => {
                tracing::debug!("session frames dropped: {e}");
                0
            }
        };
        for &(id, n) in &self.meta[..sent] {
            if let Some(s) = sessions.get_mut(&id) {
                Dir::Down.bill(&mut s.traffic, n);
            }
        }
        stats.tx_dropped += (self.meta.len() - sent) as u64;
        self.meta.clear();
        self.batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn queue(q: &mut TxQueue, id: u16, n: usize) -> bool {
        let len = n + 22;
        let slot = q.slot();
        if slot.len() < len {
            return false;
        }
        slot[..len].fill(id as u8);
        q.commit(len, id, n)
    }

    fn sessions() -> HashMap<u16, Session> {
        let now = Instant::now();
        (1..=2u16)
            .map(|id| (id, Session::new(u64::from(id), id, [2, 0, 0, 0, 0, 1], now)))
            .collect()
    }

    /// A partial send bills the frames the socket took, in order, and
    /// counts the rest as dropped; an error drops them all; nothing is
    /// left queued either way.
    #[test]
    fn only_frames_the_socket_took_are_billed() {
        let mut ss = sessions();
        let mut stats = Stats::default();
        let mut q = TxQueue::new(FrameBatch::new(4, 200));
        for (id, n) in [(1, 100), (2, 50), (1, 30), (2, 70)] {
            assert!(queue(&mut q, id, n));
        }
        assert!(q.is_full());
        assert!(!queue(&mut q, 1, 10), "full");
        assert!(!q.commit(201, 1, 10));
        let mut seen = Vec::new();
        q.flush(
            |b| {
                seen = b.frames().map(|f| (f[0], f.len())).collect();
                Ok(3)
            },
            &mut ss,
            &mut stats,
        );
        assert_eq!(seen, [(1, 122), (2, 72), (1, 52), (2, 92)]);
        let t = |ss: &HashMap<u16, Session>, id| {
            let t = ss[&id].traffic;
            (t.out_packets, t.out_octets)
        };
        assert_eq!(t(&ss, 1), (2, 130));
        assert_eq!(t(&ss, 2), (1, 50));
        assert_eq!(stats.tx_dropped, 1);
        assert!(q.is_empty() && !q.is_full());

        assert!(queue(&mut q, 1, 10));
        assert!(queue(&mut q, 2, 10));
        q.flush(
            |_| Err(io::Error::from(io::ErrorKind::WouldBlock)),
            &mut ss,
            &mut stats,
        );
        assert_eq!(stats.tx_dropped, 3);
        assert_eq!(t(&ss, 1), (2, 130));
        // A frame of a session that ended meanwhile is sent, billed to
        // nobody; an empty queue sends nothing.
        assert!(queue(&mut q, 9, 10));
        q.flush(|_| Ok(1), &mut ss, &mut stats);
        q.flush(|_| panic!("nothing to send"), &mut ss, &mut stats);
        assert_eq!(stats.tx_dropped, 3);
    }

    /// Queued frames of two sessions leave with one `sendmmsg` over a
    /// veth pair and arrive whole and in order; each session is billed
    /// its own.
    #[test]
    fn queued_frames_cross_a_veth_in_one_batch() {
        use crate::afpacket::PacketSocket;
        const ETH_P_PPP_SES: u16 = 0x8864;
        let Some(mut tb) = testbed::Testbed::new("bg-bng-tx") else {
            return;
        };
        let a = tb.namespace("a").unwrap();
        let b = tb.namespace("b").unwrap();
        tb.veth((&a, "eth-a"), (&b, "eth-b")).unwrap();
        let open = |ns: &testbed::Netns, name: &'static str| {
            ns.enter(move || PacketSocket::open(name, ETH_P_PPP_SES))
                .unwrap()
                .unwrap()
        };
        let (sa, sb) = (open(&a, "eth-a"), open(&b, "eth-b"));
        let frame = |i: usize| {
            let mut f = Vec::new();
            f.extend_from_slice(&sb.mac());
            f.extend_from_slice(&sa.mac());
            f.extend_from_slice(&ETH_P_PPP_SES.to_be_bytes());
            f.resize(100 + i, i as u8);
            f
        };
        let (mut ss, mut stats) = (sessions(), Stats::default());
        let mut q = TxQueue::default();
        for i in 0..40 {
            let f = frame(i);
            q.slot()[..f.len()].copy_from_slice(&f);
            assert!(q.commit(f.len(), 1 + (i % 2) as u16, f.len() - 22));
        }
        let mut calls = 0;
        q.flush(
            |b| {
                calls += 1;
                sa.try_send_batch(b)
            },
            &mut ss,
            &mut stats,
        );
        assert_eq!((calls, stats.tx_dropped), (1, 0));
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut inb = FrameBatch::standard();
        assert_eq!(sb.try_recv_batch(&mut inb).unwrap(), 40);
        let got: Vec<Vec<u8>> = inb.frames_mut().map(|f| f.to_vec()).collect();
        assert_eq!(got, (0..40).map(frame).collect::<Vec<_>>());
        let billed = |id: u16| ss[&id].traffic.out_packets;
        assert_eq!((billed(1), billed(2)), (20, 20));
        let octets: usize = (0..40).step_by(2).map(|i| 78 + i).sum();
        assert_eq!(ss[&1].traffic.out_octets, octets as u64);
    }
}
