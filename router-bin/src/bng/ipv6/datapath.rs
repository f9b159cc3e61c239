//! The IPv6 data path of the sessions: upstream, link-scoped packets to
//! the session's router and the DHCPv6 server, the rest checked against
//! the session's prefixes (anti-spoofing) and sent to the TUN device;
//! downstream, the session owning the destination.

use std::time::Instant;

use pppoe_link::PPP_IPV6;
use pppoe_proto::mss::{clamp_mss, mss_for_mtu_v6};

use super::ifid;
use super::packet::{self, ALL_DHCP_AGENTS, header};
use crate::bng::datapath::{HEADROOM, icmpv6_echo_reply};
use crate::bng::engine::Bng;

impl Bng {
    /// An IPv6 packet (`ppp` = PPP protocol + packet) from session `id`.
    pub(crate) fn upstream_v6(&mut self, id: u16, ppp: &mut [u8]) {
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        let Some(h) = header(&ppp[2..]) else {
            s.traffic.ipv6_dropped += 1;
            return;
        };
        let Some(v) = s.v6.as_mut() else {
            // Without [ipv6] only pings to our link-local are answered.
            let reply = s
                .local_ifid
                .and_then(|ifid| icmpv6_echo_reply(&ppp[2..], ifid));
            match reply {
                Some(r) => self.send_v6(id, &r),
                None => s.traffic.ipv6_dropped += 1,
            }
            return;
        };
        let link_scoped = h.dst.is_multicast() || h.dst.is_unicast_link_local();
        if link_scoped {
            if !(h.src.is_unicast_link_local() || h.src.is_unspecified()) {
                s.traffic.spoofed6 += 1;
                return;
            }
            let p = &ppp[2..];
            let now = self.clock.now();
            if let Some((packet::ROUTER_SOLICITATION, m)) = packet::icmpv6(p, &h) {
                if let Err(e) = v.router.handle_input(now, h.src, h.dst, h.hop_limit, m) {
                    tracing::debug!(session = id, "RS dropped: {e}");
                }
                self.send_ras(id);
            } else if (h.dst == ALL_DHCP_AGENTS || h.dst == v.local)
                && let Some(d) = packet::udp_to(p, &h, packet::DHCPV6_SERVER)
            {
                if !v.dhcpv6_limit.allow(now) {
                    self.stats.dhcpv6_rate_limited += 1;
                    return;
                }
                let d = d.to_vec();
                self.dhcpv6_input(id, &h, &d);
            } else if let Some(r) = (h.dst == v.local)
                .then(|| icmpv6_echo_reply(p, ifid(v.local)))
                .flatten()
            {
                self.send_v6(id, &r);
            } else {
                s.traffic.ipv6_dropped += 1;
            }
            return;
        }
        if !v.owns(h.src) {
            s.traffic.spoofed6 += 1;
            tracing::debug!(session = id, source = %h.src, "spoofed IPv6 packet dropped");
            return;
        }
        let len = 40 + h.payload_len;
        clamp_mss(ppp, mss_for_mtu_v6(s.mtu));
        if let Some(q) = &mut s.up
            && !q.admit(Instant::now(), len)
        {
            if q.enqueue(ppp[2..2 + len].to_vec(), len) {
                self.backlog.note(s);
            } else {
                s.traffic.policed_up += 1;
            }
            return;
        }
        self.up_to_tun(id, &ppp[2..2 + len]);
    }

    /// An IPv6 packet from the TUN device at `buf[HEADROOM..HEADROOM + n]`:
    /// to the session whose prefix holds its destination.
    pub(crate) fn downstream_v6(&mut self, buf: &mut [u8], n: usize) {
        // The kernel's own multicast (MLD...) on the TUN device is no
        // session's.
        let Some(h) = header(&buf[HEADROOM..HEADROOM + n])
            .filter(|h| !h.dst.is_multicast() && !h.dst.is_unicast_link_local())
        else {
            self.stats.tun_ipv6_dropped += 1;
            return;
        };
        let Some(s) = self
            .route_lookup(h.dst)
            .and_then(|id| self.table.by_id.get_mut(&id))
            .filter(|s| s.v6.is_some())
        else {
            self.stats.no_session += 1;
            return;
        };
        let len = 40 + h.payload_len;
        if len > usize::from(s.mtu) {
            // The TUN device's MTU is the largest session MTU; IPv6 is
            // never fragmented on the way: the sender learns the MTU.
            s.traffic.too_big += 1;
            let mtu = s.mtu;
            return self.too_big_v6(&buf[HEADROOM..HEADROOM + len], mtu);
        }
        buf[..2].copy_from_slice(&PPP_IPV6.to_be_bytes());
        let ppp = &mut buf[..HEADROOM + len];
        clamp_mss(ppp, mss_for_mtu_v6(s.mtu));
        // Built in the send batch's next slot (room made by the caller).
        let out = self.tx.slot();
        let m = match self.link.encapsulate_data(s.id, PPP_IPV6, &ppp[2..], out) {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(session = s.id, "downstream packet dropped: {e}");
                return;
            }
        };
        if let Some(q) = &mut s.down
            && !q.admit(Instant::now(), len)
        {
            if q.enqueue(out[..m].to_vec(), len) {
                self.backlog.note(s);
            } else {
                s.traffic.policed_down += 1;
            }
            return;
        }
        // Billed only once the packet socket took it (`Bng::flush_tx`).
        if !self.tx.commit(m, s.id, len) {
            self.stats.tx_dropped += 1;
        }
    }
}
