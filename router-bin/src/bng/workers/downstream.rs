//! A worker's downstream: reads of its TUN queue (and those other
//! workers handed it) go to the session owning their destination, on the
//! session's owner: its shaper, MTU checks (IPv4 fragmentation or
//! Fragmentation Needed, IPv6 Packet Too Big), TCP super-packets cut at
//! the kernel's segment size, MSS clamp, framing, and batched sends on
//! the worker's packet socket, billed once sent. The steps are the event
//! loop's ([`Bng::on_tun_packet`](crate::bng::engine::Bng::on_tun_packet),
//! [`crate::bng::offload`]) on the worker's own state.

use std::net::Ipv4Addr;
use std::time::Instant;

use pppoe_link::{PPP_IPV4, PPP_IPV6};
use pppoe_proto::mss::{clamp_mss, mss_for_mtu_v4, mss_for_mtu_v6};

use super::Worker;
use crate::bng::datapath::{Dir, HEADROOM};
use crate::bng::ipv6::header;
use crate::bng::mtu::{Fit, answer_frag_needed, fit, fragments_behind};
use crate::bng::offload::read_at;
use crate::bng::shaper::{Shaper, shaper};
use crate::bng::workers::handoff::owner;
use crate::bng::workers::shared::{Table, lock};
use crate::gso::{self, GSO_NONE, VnetHdr};
use crate::tun::VNET_HDR_LEN;

/// TUN reads per wake-up before the other inputs get their turn.
const TUN_BUDGET: usize = 32;

/// Handed-over reads per wake-up.
const INBOX_BUDGET: usize = 64;

/// Where a downstream packet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Session(u16),
    /// IPv4 (or IPv6 with `[ipv6]`) for no session (`no_session`).
    NoSession,
    /// IPv6 without `[ipv6]`, malformed or link-scoped (`tun_ipv6_dropped`).
    Ipv6Dropped,
    /// Neither IPv4 nor IPv6: dropped, as the event loop does.
    Ignored,
}

/// The session `packet` (an IP packet, or a super-packet's first header)
/// is for.
fn destination(table: &Table, ipv6: bool, packet: &[u8]) -> Dest {
    match packet.first().map(|b| b >> 4) {
        Some(4) if packet.len() >= 20 => {
            let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
            table.by_v4(dst).map_or(Dest::NoSession, Dest::Session)
        }
        Some(6) if ipv6 => match header(packet)
            .filter(|h| !h.dst.is_multicast() && !h.dst.is_unicast_link_local())
        {
            Some(h) => table.by_v6(h.dst).map_or(Dest::NoSession, Dest::Session),
            None => Dest::Ipv6Dropped,
        },
        Some(6) => Dest::Ipv6Dropped,
        _ => Dest::Ignored,
    }
}

impl Worker {
    /// Reads its TUN queue: each read to its session's owner.
    pub(super) fn tun_side(&mut self, table: &Table) {
        let at = read_at(self.tun.vnet());
        let mut buf = std::mem::take(&mut self.tun_buf);
        for _ in 0..TUN_BUDGET {
            let n = match self.tun.try_recv(&mut buf[at..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::debug!("data path worker: TUN read: {e}");
                    break;
                }
            };
            self.counters.tun_reads += 1;
            self.down_read(table, &mut buf, n, false);
        }
        self.tun_buf = buf;
        self.flush_tx();
        self.outboxes.wake();
    }

    /// The reads other workers handed over.
    pub(super) fn inbox_side(&mut self, table: &Table) {
        self.inbox.clear_wake();
        self.inbox_more = false;
        for _ in 0..INBOX_BUDGET {
            let Some(mut r) = self.inbox.try_recv() else {
                self.flush_tx();
                return;
            };
            self.counters.handed_in += 1;
            let n = r.len() - read_at(self.tun.vnet());
            self.down_read(table, &mut r, n, true);
        }
        // More wait: the next poll does not sleep.
        self.inbox_more = true;
        self.flush_tx();
    }

    /// One read of `n` bytes at [`read_at`] in `buf`: handed to its
    /// session's owner, or carried when that is this worker (`handed`:
    /// another worker read it).
    fn down_read(&mut self, table: &Table, buf: &mut [u8], n: usize, handed: bool) {
        let vnet = self.tun.vnet();
        let (at, ip) = (read_at(vnet), if vnet { VNET_HDR_LEN } else { HEADROOM });
        let packet = buf.get(ip..at + n).unwrap_or_default();
        let id = match destination(table, self.shared.ipv6, packet) {
            Dest::Session(id) => id,
            Dest::NoSession => {
                self.stats.no_session += 1;
                return;
            }
            Dest::Ipv6Dropped => {
                self.stats.tun_ipv6_dropped += 1;
                return;
            }
            Dest::Ignored => return,
        };
        let o = owner(id, self.workers);
        if o != self.index {
            // A read handed here is this worker's unless its address moved
            // to another session meanwhile: dropped, not handed on again.
            if handed || !self.outboxes.send(o, buf[..at + n].to_vec()) {
                self.counters.handoff_dropped += 1;
            } else {
                self.counters.handed_off += 1;
            }
            return;
        }
        let Some(p) = table.sessions.get(&id) else {
            return;
        };
        self.local(id, p);
        if !vnet {
            return self.down_packet(id, buf, n);
        }
        let Some(hdr) = VnetHdr::parse(&buf[..n]) else {
            return;
        };
        if hdr.gso() == GSO_NONE {
            if let Err(e) = gso::complete_checksum(&hdr, &mut buf[VNET_HDR_LEN..n]) {
                tracing::debug!("TUN packet dropped: {e}");
                self.stats.tun_errors += 1;
                return;
            }
            // The header's room becomes the PPP protocol's headroom.
            buf.copy_within(VNET_HDR_LEN..n, HEADROOM);
            return self.down_packet(id, buf, n - VNET_HDR_LEN);
        }
        let mut seg = std::mem::take(&mut self.seg_buf);
        let mtu = u16::try_from(seg.len() - HEADROOM).unwrap_or(u16::MAX);
        let cut = gso::segment_at(&hdr, &buf[VNET_HDR_LEN..n], mtu, &mut seg, HEADROOM, |s| {
            let len = s.len() - HEADROOM;
            self.down_packet(id, s, len);
            true
        });
        self.seg_buf = seg;
        self.stats.tun_gso_cut += u64::from(cut.is_ok());
        if let Err(e) = cut {
            tracing::debug!("TUN super-packet dropped: {e}");
            self.stats.tun_errors += 1;
        }
    }

    /// One IP packet of session `id` at `buf[HEADROOM..HEADROOM + n]`:
    /// its MTU, clamp, framing, shaper, then the send batch.
    fn down_packet(&mut self, id: u16, buf: &mut [u8], n: usize) {
        if self.tx.is_full() {
            self.flush_tx();
        }
        let (Some(p), Some(s)) = (self.params.get(&id), self.sessions.get_mut(&id)) else {
            return;
        };
        let framer = p.params.framer;
        self.touched.push(id);
        let packet = &buf[HEADROOM..HEADROOM + n];
        let (protocol, len) = match packet.first().map(|b| b >> 4) {
            Some(4) if n >= 20 => match fit(packet, s.mtu) {
                Fit::Fits => (PPP_IPV4, n),
                Fit::TooBigDf => {
                    s.traffic.too_big += 1;
                    let mtu = s.mtu;
                    return self.frag_needed(packet, mtu);
                }
                Fit::TooBig => {
                    // Larger than this session's MTU (RFC 4638, the TUN
                    // device's MTU above it): fragment.
                    let Some(fragments) = fragments_behind(packet, s.mtu, HEADROOM) else {
                        s.traffic.too_big += 1;
                        return;
                    };
                    for (mut b, n) in fragments {
                        self.down_packet(id, &mut b, n);
                    }
                    return;
                }
            },
            Some(6) => {
                let Some(h) = header(packet) else {
                    self.stats.tun_ipv6_dropped += 1;
                    return;
                };
                let len = 40 + h.payload_len;
                if len > usize::from(s.mtu) {
                    s.traffic.too_big += 1;
                    let mtu = s.mtu;
                    return self.too_big_v6(&buf[HEADROOM..HEADROOM + len], mtu);
                }
                (PPP_IPV6, len)
            }
            _ => return,
        };
        buf[..2].copy_from_slice(&protocol.to_be_bytes());
        let ppp = &mut buf[..HEADROOM + len];
        clamp_mss(
            ppp,
            match protocol {
                PPP_IPV4 => mss_for_mtu_v4(s.mtu),
                _ => mss_for_mtu_v6(s.mtu),
            },
        );
        // Built in the send batch's next slot.
        let out = self.tx.slot();
        let h = framer.header_len();
        let Some(dst) = out.get_mut(h..h + HEADROOM + len) else {
            return;
        };
        dst.copy_from_slice(ppp);
        let Ok(m) = framer.encapsulate(out, HEADROOM + len) else {
            return;
        };
        if let Some(q) = &mut s.down
            && !q.admit(Instant::now(), len)
        {
            if q.enqueue(out[..m].to_vec(), len) {
                self.backlog.note(s);
                self.queued.insert(id);
            } else {
                s.traffic.policed_down += 1;
            }
            return;
        }
        // Billed only once the packet socket took it.
        if !self.tx.commit(m, id, len) {
            self.stats.tx_dropped += 1;
        }
    }

    /// Fragmentation Needed to the sender of `packet`, within the bng's
    /// rate limit.
    fn frag_needed(&mut self, packet: &[u8], mtu: u16) {
        let mut d = lock(&self.shared.down);
        let (local, now) = (d.local, d.clock.now());
        answer_frag_needed(
            packet,
            local,
            mtu,
            &mut d.icmp_limit,
            now,
            &self.tun,
            &mut self.stats,
        );
    }

    /// Packet Too Big to the sender of `packet`, within the rate limit.
    fn too_big_v6(&mut self, packet: &[u8], mtu: u16) {
        let mut d = lock(&self.shared.down);
        let now = d.clock.now();
        let Some(ptb) = d.ptb.as_mut() else { return };
        ptb.answer(packet, mtu, now)
            .deliver(&self.tun, &mut self.stats);
    }

    /// Sends the batch: billed as far as the socket took it.
    pub(super) fn flush_tx(&mut self) {
        let sock = &self.sock;
        self.tx.flush(
            |b| sock.try_send_batch(b),
            &mut self.sessions,
            &mut self.stats,
        );
    }

    /// Session `id`'s downstream limit becomes `kbps` (a CoA): a new
    /// rate keeps the queue; a limit removed sends the queue at once.
    pub(super) fn update_down(&mut self, id: u16, kbps: Option<u32>, now: Instant) {
        let Some(s) = self.sessions.get_mut(&id) else {
            return;
        };
        match (s.down.as_mut(), kbps) {
            (Some(q), Some(k)) if q.kbps() != k => q.set_rate(k, now),
            (Some(_), Some(_)) => return,
            (None, k) => s.down = shaper(k, now),
            (Some(_), None) => {
                let queue = s.down.take().map(Shaper::into_queue).into_iter().flatten();
                for (frame, n) in queue {
                    match self.sock.send(&frame) {
                        Ok(()) => Dir::Down.bill(&mut s.traffic, n),
                        Err(_) => self.stats.tx_dropped += 1,
                    }
                }
                self.touched.push(id);
            }
        }
        // The queues' head goes at another time now (or not at all).
        self.backlog.note(s);
    }
}

#[cfg(test)]
#[path = "downstream_tests.rs"]
mod worker_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_packet_goes_by_its_destination() {
        let t = Table::default();
        let v4 = {
            let mut p = vec![0x45; 20];
            p[16..20].copy_from_slice(&[198, 51, 100, 10]);
            p
        };
        assert_eq!(destination(&t, true, &v4), Dest::NoSession);
        assert_eq!(destination(&t, true, &v4[..19]), Dest::Ignored);
        let mut v6 = vec![0x60; 40];
        v6[4..6].copy_from_slice(&[0, 0]);
        assert_eq!(destination(&t, false, &v6), Dest::Ipv6Dropped);
        v6[24] = 0xff; // multicast
        assert_eq!(destination(&t, true, &v6), Dest::Ipv6Dropped);
        v6[24] = 0x20;
        assert_eq!(destination(&t, true, &v6), Dest::NoSession);
        assert_eq!(destination(&t, true, &[]), Dest::Ignored);
    }
}
