//! The data path between the sessions and the TUN device: anti-spoofing,
//! speed limits, MSS clamping, counters. The shaper queues' schedule is in
//! [`backlog`].

mod backlog;
mod tx;
mod upgro;

use std::net::Ipv4Addr;
use std::time::Instant;

use pppoe_link::{PPP_IPV4, PPP_IPV6};
use pppoe_proto::mss::{clamp_mss, mss_for_mtu_v4};
use sansio_primitives::checksum;

pub use backlog::{Backlog, Dir};
pub use tx::TxQueue;
pub use upgro::{TunWrite, UpGro};

use crate::bng::engine::Bng;
use crate::bng::mtu::{Fit, answer_frag_needed, fit, fragments_behind};

/// Room in front of a packet read from the TUN device for the PPP
/// protocol field (MSS clamping works on PPP frames).
pub const HEADROOM: usize = 2;
impl Bng {
    /// A received session frame (Ethernet). Control frames go to the link;
    /// IP packets of a session go to the TUN device. Returns whether it
    /// was an IP packet (which leaves the link's timers as they were).
    /// `now` is read once per received batch, not per frame.
    pub fn on_session_frame(&mut self, now: sansio_primitives::Instant, frame: &mut [u8]) -> bool {
        let (id, range) = match self.link.handle_input(now, frame) {
            Ok(Some(x)) => x,
            Ok(None) => return false,
            Err(e) => {
                tracing::trace!("session frame dropped: {e}");
                return false;
            }
        };
        self.upstream(id, &mut frame[range]);
        true
    }

    /// An IP packet (`ppp` = PPP protocol + packet) from session `id`.
    fn upstream(&mut self, id: u16, ppp: &mut [u8]) {
        let protocol = u16::from_be_bytes([ppp[0], ppp[1]]);
        if protocol == PPP_IPV6 {
            return self.upstream_v6(id, ppp);
        }
        if protocol != PPP_IPV4 {
            return;
        }
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        if !source_ok_v4(s, &ppp[2..]) {
            s.traffic.spoofed += 1;
            tracing::debug!(session = id, "spoofed or early packet dropped");
            return;
        }
        let len = ppp.len() - 2;
        // The session's MTU is what both ends agreed to carry (our MRU is
        // raised to the RFC 4638 payload when one was agreed).
        clamp_mss(ppp, mss_for_mtu_v4(s.mtu));
        if let Some(q) = &mut s.up
            && !q.admit(Instant::now(), len)
        {
            // Over the limit: wait in the session's bounded queue.
            if q.enqueue(ppp[2..].to_vec(), len) {
                self.backlog.note(s);
            } else {
                s.traffic.policed_up += 1;
            }
            return;
        }
        self.up_to_tun(id, &ppp[2..]);
    }

    /// An upstream IP packet of session `id` that passed every check: to
    /// the TUN device, coalesced with the rest of its TCP run when it can
    /// be ([`UpGro`]); billed once the TUN device took it.
    pub(crate) fn up_to_tun(&mut self, id: u16, packet: &[u8]) {
        self.up_gro.send(
            &self.tun,
            &mut self.table.by_id,
            &mut self.stats,
            id,
            packet,
        );
    }

    /// Writes the upstream packets held for coalescing (at the end of
    /// each receive batch: nothing is held between wake-ups).
    pub fn flush_upstream(&mut self) {
        self.up_gro
            .flush(&self.tun, &mut self.table.by_id, &mut self.stats);
    }

    /// A packet from the TUN device at `buf[HEADROOM..HEADROOM + n]`: to
    /// the session owning its destination, queued for the next batch send
    /// ([`Bng::flush_tx`]).
    pub fn on_tun_packet(&mut self, buf: &mut [u8], n: usize) {
        if self.tx.is_full() {
            self.flush_tx();
        }
        let Some(packet) = buf.get(HEADROOM..HEADROOM + n) else {
            return;
        };
        match packet.first().map(|b| b >> 4) {
            Some(4) if n >= 20 => {}
            Some(6) if self.dhcpv6.is_some() => return self.downstream_v6(buf, n),
            Some(6) => {
                // Without [ipv6] sessions have link-local addresses only.
                self.stats.tun_ipv6_dropped += 1;
                return;
            }
            _ => return,
        }
        let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
        let Some(s) = self
            .table
            .by_addr
            .get(&dst)
            .and_then(|id| self.table.by_id.get_mut(id))
            .filter(|s| s.ipv4_up)
        else {
            self.stats.no_session += 1;
            return;
        };
        match fit(packet, s.mtu) {
            Fit::Fits => {}
            Fit::TooBigDf => {
                s.traffic.too_big += 1;
                let now = self.clock.now();
                let (local, limit) = (self.cfg.pool.local, &mut self.icmp_limit);
                return answer_frag_needed(
                    packet,
                    local,
                    s.mtu,
                    limit,
                    now,
                    &self.tun,
                    &mut self.stats,
                );
            }
            Fit::TooBig => {
                // Larger than this session's MTU (only possible with RFC
                // 4638, when the TUN device's MTU is above it): fragment.
                let Some(fragments) = fragments_behind(packet, s.mtu, HEADROOM) else {
                    s.traffic.too_big += 1;
                    return;
                };
                // Each fits now, so this takes the Fits path once.
                for (mut b, n) in fragments {
                    self.on_tun_packet(&mut b, n);
                }
                return;
            }
        }
        buf[..2].copy_from_slice(&PPP_IPV4.to_be_bytes());
        let ppp = &mut buf[..HEADROOM + n];
        clamp_mss(ppp, mss_for_mtu_v4(s.mtu));
        // Built in the send batch's next slot.
        let out = self.tx.slot();
        let m = match self.link.encapsulate_data(s.id, PPP_IPV4, &ppp[2..], out) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(session = s.id, "downstream packet dropped: {e}");
                return;
            }
        };
        if let Some(q) = &mut s.down
            && !q.admit(Instant::now(), n)
        {
            if q.enqueue(out[..m].to_vec(), n) {
                self.backlog.note(s);
            } else {
                s.traffic.policed_down += 1;
            }
            return;
        }
        // Billed only once the packet socket took it.
        if !self.tx.commit(m, s.id, n) {
            self.stats.tx_dropped += 1;
        }
    }

    /// Sends the queued session frames with one `sendmmsg`: billed as
    /// far as the socket took them, the rest counted in `tx_dropped`.
    pub fn flush_tx(&mut self) {
        let out = &self.out;
        self.tx.flush(
            |b| out.send_batch(b),
            &mut self.table.by_id,
            &mut self.stats,
        );
    }

    /// Sends what the speed limits now allow out of the sessions' queues
    /// (upstream packets to the TUN device, downstream frames to the
    /// wire). Costs O(log sessions) per session whose queue is due, not a
    /// pass over every backlogged session.
    pub fn release_queues(&mut self) {
        let (tun, out, stats) = (&self.tun, &self.out, &mut self.stats);
        self.backlog
            .release(&mut self.table.by_id, Instant::now(), |dir, packet| {
                let sent = match dir {
                    Dir::Up => tun.send_bare(packet),
                    Dir::Down => out.send(packet),
                }
                .is_ok();
                if !sent {
                    match dir {
                        Dir::Up => stats.tun_errors += 1,
                        Dir::Down => stats.tx_dropped += 1,
                    }
                }
                sent
            });
    }

    /// When the first queued packet may go.
    pub fn next_release(&self) -> Option<Instant> {
        self.backlog.next()
    }
}

/// Whether the IPv4 packet `packet` may come from session `s`: IPCP is up
/// and the source is the session's address (anti-spoofing).
pub(crate) fn source_ok_v4(s: &crate::bng::sessions::Session, packet: &[u8]) -> bool {
    let src = packet
        .get(12..16)
        .filter(|_| packet[0] >> 4 == 4)
        .map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]));
    s.ipv4_up && src.is_some() && src == s.addr
}

/// `fe80::ifid`.
fn link_local(ifid: u64) -> [u8; 16] {
    crate::bng::ipv6::link_local(ifid).octets()
}

/// The Echo Reply to an ICMPv6 Echo Request for `fe80::ifid` (no
/// extension headers); `None` for anything else.
pub(crate) fn icmpv6_echo_reply(packet: &[u8], ifid: u64) -> Option<Vec<u8>> {
    let payload_len = usize::from(u16::from_be_bytes([*packet.get(4)?, *packet.get(5)?]));
    let total = 40 + payload_len;
    if payload_len < 8 || packet.len() < total || packet[0] >> 4 != 6 || packet[6] != 58 {
        return None;
    }
    if packet[24..40] != link_local(ifid) || packet[40] != 128 || packet[41] != 0 {
        return None;
    }
    let mut r = packet[..total].to_vec();
    r.copy_within(8..24, 24);
    r[8..24].copy_from_slice(&link_local(ifid));
    r[7] = 64;
    r[40] = 129;
    r[42..44].copy_from_slice(&[0, 0]);
    let src: [u8; 16] = r[8..24].try_into().ok()?;
    let dst: [u8; 16] = r[24..40].try_into().ok()?;
    let sum = checksum::add(
        checksum::pseudo_header_v6(src, dst, 58, payload_len as u32),
        checksum::sum(&r[40..]),
    );
    r[42..44].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_pings_to_our_link_local_only() {
        let peer = link_local(7);
        let mut req = vec![0x60, 0, 0, 0, 0, 12, 58, 255];
        req.extend_from_slice(&peer);
        req.extend_from_slice(&link_local(1));
        req.extend_from_slice(&[128, 0, 0, 0, 0, 1, 0, 1, b'p', b'i', b'n', b'g']);
        let r = icmpv6_echo_reply(&req, 1).unwrap();
        assert_eq!(r[8..24], link_local(1));
        assert_eq!(r[24..40], peer);
        assert_eq!(r[40], 129);
        // The checksum verifies: summing with it gives 0xffff.
        let sum = checksum::add(
            checksum::pseudo_header_v6(link_local(1), peer, 58, 12),
            checksum::sum(&r[40..]),
        );
        assert_eq!(checksum::finish(sum), 0);
        assert!(icmpv6_echo_reply(&req, 2).is_none());
        assert!(icmpv6_echo_reply(&req[..30], 1).is_none());
        assert!(icmpv6_echo_reply(&[], 1).is_none());
    }
}
