//! The data path between the sessions and the TUN device: anti-spoofing,
//! speed limits, MSS clamping, counters.

use std::net::Ipv4Addr;
use std::time::Instant;

use pppoe_proto::mss::{clamp_mss, mss_for_mtu_v4};
use router_bin::link::{PPP_IPV4, PPP_IPV6};

use crate::engine::Bng;

/// Room in front of a packet read from the TUN device for the PPP
/// protocol field (MSS clamping works on PPP frames).
pub const HEADROOM: usize = 2;

/// Our MRU: what the peer may send us, and what we clamp TCP to at most.
const OUR_MRU: u16 = 1492;

impl Bng {
    /// A received session frame (Ethernet). Control frames go to the link;
    /// IP packets of a session go to the TUN device.
    pub fn on_session_frame(&mut self, frame: &mut [u8]) {
        let (id, range) = match self.link.handle_frame(self.clock.now(), frame) {
            Ok(Some(x)) => x,
            Ok(None) => return,
            Err(e) => {
                tracing::trace!("session frame dropped: {e}");
                return;
            }
        };
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        let ppp = &mut frame[range];
        let protocol = u16::from_be_bytes([ppp[0], ppp[1]]);
        if protocol == PPP_IPV6 {
            // No global IPv6 in this project yet: IPv6CP gives link-local
            // addresses only, so IPv6 packets have nowhere to go.
            s.traffic.ipv6_dropped += 1;
            return;
        }
        if protocol != PPP_IPV4 {
            return;
        }
        let packet = &ppp[2..];
        let src = packet
            .get(12..16)
            .filter(|_| packet[0] >> 4 == 4)
            .map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]));
        if !s.ipv4_up || src.is_none() || src != s.addr {
            s.traffic.spoofed += 1;
            tracing::debug!(session = id, source = ?src, "spoofed or early packet dropped");
            return;
        }
        let len = packet.len();
        if let Some(b) = &mut s.up
            && !b.allow(Instant::now(), len)
        {
            s.traffic.policed_up += 1;
            return;
        }
        clamp_mss(ppp, mss_for_mtu_v4(s.mtu.min(OUR_MRU)));
        s.traffic.in_octets += len as u64;
        s.traffic.in_packets += 1;
        if self.tun.send(&ppp[2..]).is_err() {
            self.stats.tun_errors += 1;
        }
    }

    /// A packet from the TUN device at `buf[HEADROOM..HEADROOM + n]`: to
    /// the session owning its destination.
    pub fn on_tun_packet(&mut self, buf: &mut [u8], n: usize, out: &mut [u8]) {
        let Some(packet) = buf.get(HEADROOM..HEADROOM + n) else {
            return;
        };
        match packet.first().map(|b| b >> 4) {
            Some(4) if n >= 20 => {}
            Some(6) => {
                // No global IPv6 yet (see on_session_frame).
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
        if let Some(b) = &mut s.down
            && !b.allow(Instant::now(), n)
        {
            s.traffic.policed_down += 1;
            return;
        }
        buf[..2].copy_from_slice(&PPP_IPV4.to_be_bytes());
        let ppp = &mut buf[..HEADROOM + n];
        clamp_mss(ppp, mss_for_mtu_v4(s.mtu.min(OUR_MRU)));
        match self.link.encapsulate_data(s.id, PPP_IPV4, &ppp[2..], out) {
            Ok(m) => {
                s.traffic.out_octets += n as u64;
                s.traffic.out_packets += 1;
                if self.out.send(&out[..m]).is_err() {
                    self.stats.tx_dropped += 1;
                }
            }
            Err(e) => tracing::debug!(session = s.id, "downstream packet dropped: {e}"),
        }
    }
}
