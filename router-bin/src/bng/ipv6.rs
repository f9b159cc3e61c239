//! IPv6 on the sessions, with `[ipv6]`: each session whose IPv6CP opens
//! gets an advertising router ([`NdpRouter`]: RAs from our link-local
//! address, RS answered, Router Lifetime 0 when we end the session) and
//! talks to the delegating DHCPv6 server ([`crate::bng::dhcpv6`]). The
//! data path sends RSs and DHCPv6 messages to those machines, forwards
//! packets whose source is the session's (delegated prefix, Framed-IPv6-
//! Prefix) to the TUN device and drops the rest (counted as `spoofed6`),
//! and maps a destination inside a session's prefixes to the session.

mod datapath;
mod packet;
mod ptb;
mod routes;
mod timers;

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use ndp_proto::wire::PrefixInformation;
use ndp_proto::{NdpDnsServers, NdpRouter, NdpRouterConfig};
use pppoe_link::PPP_IPV6;
use radius_proto::dict::AccessReply;
use radius_proto::wire::{Attribute, Ipv6Prefix, Value, attr};
use sansio_primitives::{RateLimit, RateLimiter};

pub use packet::{Header, header, link_local, udp};
pub use ptb::PacketTooBig;
pub use routes::Routes6;
pub use timers::V6Timers;

use crate::bng::config::{Prefix6, User};
use crate::bng::engine::{Bng, RouteOp};
use crate::bng::sessions::Session;

/// The IPv6 part of an authorisation (RFC 3162, RFC 4818).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V6Grant {
    /// Delegated-IPv6-Prefix (or the user's `ipv6_prefix`): delegated by
    /// DHCPv6 whatever the pools say.
    pub delegated: Option<Prefix6>,
    /// Framed-IPv6-Prefix: advertised on the session for SLAAC (a /64)
    /// and routed to it.
    pub framed: Option<Prefix6>,
    /// Framed-Interface-Id: imposed on the peer through IPv6CP (RFC 3162
    /// §2.2) and reported in accounting.
    pub ifid: Option<u64>,
}

fn prefix6(p: &Ipv6Prefix) -> Prefix6 {
    Prefix6 {
        addr: p.addr(),
        len: p.len,
    }
}

impl V6Grant {
    /// What an Access-Accept grants.
    pub fn of_reply(r: &AccessReply) -> V6Grant {
        V6Grant {
            delegated: r.delegated_ipv6_prefix.as_ref().map(prefix6),
            framed: r.framed_ipv6_prefix.as_ref().map(prefix6),
            ifid: r.framed_interface_id.map(u64::from_be_bytes),
        }
    }

    /// What accounting reports of session `s` (RFC 6911 §3, RFC 4818):
    /// the prefix delegated (or to be), the framed prefix, and the peer's
    /// interface identifier once IPv6CP chose it.
    pub fn of_session(s: &Session) -> V6Grant {
        let Some(v) = s.v6.as_deref() else {
            // IPv6CP closed (it does before the session ends): what it had.
            return V6Grant {
                delegated: s.v6_acct.delegated.or(s.v6grant.delegated),
                framed: s.v6_acct.framed.or(s.v6grant.framed),
                ifid: s.v6_acct.ifid.or(s.v6grant.ifid),
            };
        };
        let v = Some(v);
        V6Grant {
            delegated: s.delegated().or(s.v6grant.delegated),
            framed: v.and_then(|v| v.framed),
            ifid: v.map(|v| v.peer_ifid).or(s.v6grant.ifid),
        }
    }

    /// Its RADIUS attributes, appended to `out`.
    pub fn attributes(&self, out: &mut Vec<Attribute<'_>>) {
        let prefix = |p: Prefix6| Ipv6Prefix::new(p.addr, p.len).map(Value::Ipv6Prefix);
        if let Some(v) = self.delegated.and_then(prefix) {
            out.push(Attribute::new(attr::DELEGATED_IPV6_PREFIX, v));
        }
        if let Some(v) = self.framed.and_then(prefix) {
            out.push(Attribute::new(attr::FRAMED_IPV6_PREFIX, v));
        }
        if let Some(i) = self.ifid {
            out.push(Attribute::new(
                attr::FRAMED_INTERFACE_ID,
                Value::InterfaceId(i.to_be_bytes()),
            ));
        }
    }

    /// What a local user is granted.
    pub fn of_user(u: &User) -> V6Grant {
        V6Grant {
            delegated: u.ipv6_prefix,
            ..V6Grant::default()
        }
    }
}

/// A session's IPv6 state while its IPv6CP is open (with `[ipv6]`).
#[derive(Debug)]
pub struct SessionV6 {
    /// Advertises us as the session's default router.
    pub router: NdpRouter,
    /// Our link-local address on the session.
    pub local: Ipv6Addr,
    /// The peer's interface identifier.
    pub peer_ifid: u64,
    /// The prefix delegated by DHCPv6 and routed to the session.
    pub delegated: Option<Prefix6>,
    /// The Framed-IPv6-Prefix routed to the session.
    pub framed: Option<Prefix6>,
    /// Bounds the DHCPv6 messages the session may send (each binding
    /// change costs an fsync).
    pub dhcpv6_limit: RateLimiter,
}

/// DHCPv6 messages a session may send: a whole exchange with its
/// retransmissions fits in the burst.
pub const DHCPV6_LIMIT: RateLimit = RateLimit {
    per_second: 2,
    burst: 10,
};

impl SessionV6 {
    /// Whether `src` may be the source of a packet from this session to
    /// beyond the link.
    pub fn owns(&self, src: Ipv6Addr) -> bool {
        self.delegated.is_some_and(|p| p.contains(src))
            || self.framed.is_some_and(|p| p.contains(src))
    }
}

impl Bng {
    /// IPv6CP opened on session `id`: with `[ipv6]`, the session's router
    /// starts (its first RA goes at once) and its Framed-IPv6-Prefix is
    /// routed.
    pub fn ipv6_up(&mut self, id: u16, local_ifid: u64, peer_ifid: u64) {
        let now = self.clock.now();
        let (Some(cfg), Some(s)) = (&self.cfg.ipv6, self.table.by_id.get_mut(&id)) else {
            return;
        };
        if s.v6.is_some() {
            return;
        }
        if let Some(w) = s.v6grant.ifid.filter(|&w| w != peer_ifid) {
            // A client may ignore the Nak (pppd without ipv6cp-accept-local):
            // after ppp-proto's IMPOSE_NAKS its own identifier is taken.
            tracing::warn!(
                session = id,
                "the client did not take Framed-Interface-Id {w:#018x} (IPv6CP peer identifier {peer_ifid:#018x})"
            );
        }
        let local = link_local(local_ifid);
        let mut rc = NdpRouterConfig::new(local);
        let max = Duration::from_secs(cfg.ra_interval.into());
        rc.max_interval = max;
        rc.min_interval = (max / 3).max(Duration::from_secs(3));
        rc.router_lifetime = (max * 3).min(Duration::from_secs(9000));
        rc.managed = cfg.managed;
        rc.other_config = cfg.other_config;
        rc.mtu = (s.mtu >= 1280).then_some(u32::from(s.mtu));
        rc.dns_servers = if cfg.dns.is_empty() {
            NdpDnsServers::None
        } else {
            NdpDnsServers::List(cfg.dns.clone())
        };
        // A Framed-IPv6-Prefix routed to another session (one RADIUS user
        // up twice) stays with it: neither advertised nor routed here.
        let framed = s.v6grant.framed.filter(|p| {
            let mine = self.v6_routes.get(p).is_none_or(|&o| o == id);
            if !mine {
                tracing::warn!(session = id, prefix = %p, "Framed-IPv6-Prefix in use by another session");
            }
            mine
        });
        if let Some(p) = framed.filter(|p| p.len == 64) {
            rc.static_prefixes.push(PrefixInformation::slaac(
                p.addr,
                64,
                cfg.valid_lifetime,
                cfg.preferred_lifetime,
            ));
        }
        let mut router = match NdpRouter::new(rc, self.rng.fork(), now) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(session = id, "no RAs on this session: {e}");
                return;
            }
        };
        let _ = router.set_upstream(now, true);
        s.v6 = Some(Box::new(SessionV6 {
            router,
            local,
            peer_ifid,
            delegated: None,
            framed,
            dhcpv6_limit: RateLimiter::new(DHCPV6_LIMIT, now),
        }));
        if let Some(p) = framed {
            self.route_add(p, id);
        }
        self.dhcpv6_reroute(id);
        self.ra_timeout(id);
    }

    /// IPv6CP closed on session `id`, or the session ended (`v` is its
    /// IPv6 state, taken out): its routes go.
    pub fn ipv6_forget(&mut self, id: u16, v: Option<Box<SessionV6>>) {
        self.v6_timers.remove(id);
        let Some(v) = v else { return };
        for p in [v.delegated, v.framed].into_iter().flatten() {
            self.route_del(p, id);
        }
    }

    /// We are ending session `id`: its router says goodbye (Router
    /// Lifetime 0, RFC 4861 §6.2.5) while the session can still carry it.
    pub fn ipv6_goodbye(&mut self, id: u16) {
        let now = self.clock.now();
        if let Some(v) = self.table.by_id.get_mut(&id).and_then(|s| s.v6.as_mut()) {
            v.router.shutdown(now);
        }
        self.send_ras(id);
    }

    /// Runs session `id`'s router timers and sends what is due.
    fn ra_timeout(&mut self, id: u16) {
        let now = self.clock.now();
        if let Some(v) = self.table.by_id.get_mut(&id).and_then(|s| s.v6.as_mut()) {
            v.router.handle_timeout(now);
        }
        self.send_ras(id);
    }

    /// Sends session `id`'s queued RAs, from our link-local address, hop
    /// limit 255.
    fn send_ras(&mut self, id: u16) {
        let now = self.clock.now();
        let mut out = Vec::new();
        if let Some(v) = self.table.by_id.get_mut(&id).and_then(|s| s.v6.as_mut()) {
            while let Some(t) = v.router.poll_transmit(now) {
                out.push(packet::ipv6(
                    v.local,
                    t.destination,
                    packet::ICMPV6,
                    255,
                    &t.payload,
                ));
            }
            while v.router.poll_event().is_some() {}
            self.v6_timers.schedule(id, v.router.poll_timeout());
        }
        for p in out {
            self.send_v6(id, &p);
        }
    }

    /// Sends an IPv6 packet the bng made itself into session `id`.
    pub fn send_v6(&mut self, id: u16, packet: &[u8]) {
        let mut out = [0u8; 1600];
        match self.link.encapsulate_data(id, PPP_IPV6, packet, &mut out) {
            Ok(m) => {
                if self.out.send(&out[..m]).is_err() {
                    self.stats.tx_dropped += 1;
                }
            }
            Err(e) => tracing::debug!(session = id, "IPv6 packet not sent: {e}"),
        }
    }

    /// Every due router timer (and the DHCPv6 server's).
    pub fn v6_timeout(&mut self) {
        let now = self.clock.now();
        for id in self.v6_timers.take_due(now) {
            self.ra_timeout(id);
        }
        self.dhcpv6_timeout();
    }

    /// When [`Bng::v6_timeout`] should next run.
    pub fn v6_deadline(&mut self) -> Option<Instant> {
        let ra = self.v6_timers.next().and_then(|t| self.clock.to_std(t));
        ra.into_iter().chain(self.dhcpv6_deadline()).min()
    }

    /// Routes `p` to session `id` (the data path's map and the kernel's
    /// route through the TUN device).
    pub(crate) fn route_add(&mut self, p: Prefix6, id: u16) {
        self.touch(id);
        self.v6_routes.insert(p, id);
        self.routes.push(RouteOp::Add6(p.addr, p.len));
    }

    /// Removes the route of `p` if it still leads to session `id`.
    pub(crate) fn route_del(&mut self, p: Prefix6, id: u16) {
        self.touch(id);
        if self.v6_routes.get(&p) == Some(&id) {
            self.v6_routes.remove(&p);
            self.routes.push(RouteOp::Del6(p.addr, p.len));
        }
    }

    /// The session whose prefix holds `dst` (longest match).
    fn route_lookup(&self, dst: Ipv6Addr) -> Option<u16> {
        self.v6_routes.lookup(dst)
    }
}

/// The interface identifier of a link-local address.
fn ifid(a: Ipv6Addr) -> u64 {
    u128::from(a) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::Packet;
    use radius_proto::wire::Code;

    #[test]
    fn radius_ipv6_attributes_are_read_and_reported() {
        let p = |s: &str| s.parse::<Prefix6>().unwrap();
        let mut accept = Packet::new(Code::AccessAccept, 1, [0; 16]);
        for (typ, pre) in [
            (attr::DELEGATED_IPV6_PREFIX, "2001:db8:300:1200::/56"),
            (attr::FRAMED_IPV6_PREFIX, "2001:db8:400:7::/64"),
        ] {
            let v = Ipv6Prefix::new(p(pre).addr, p(pre).len).unwrap();
            accept
                .attributes
                .push(Attribute::new(typ, Value::Ipv6Prefix(v)));
        }
        accept.attributes.push(Attribute::new(
            attr::FRAMED_INTERFACE_ID,
            Value::InterfaceId([0, 0, 0, 0, 0, 0, 0, 9]),
        ));
        let bytes = accept.to_vec().unwrap();
        let g = V6Grant::of_reply(&AccessReply::from_packet(&Packet::parse(&bytes).unwrap()));
        assert_eq!(g.delegated, Some(p("2001:db8:300:1200::/56")));
        assert_eq!(g.framed, Some(p("2001:db8:400:7::/64")));
        assert_eq!(g.ifid, Some(9));

        // Accounting carries the same three (RFC 4818, RFC 3162).
        let mut out = Vec::new();
        g.attributes(&mut out);
        let types: Vec<u8> = out.iter().map(|a| a.typ).collect();
        assert_eq!(
            types,
            [
                attr::DELEGATED_IPV6_PREFIX,
                attr::FRAMED_IPV6_PREFIX,
                attr::FRAMED_INTERFACE_ID
            ]
        );
        let mut none = Vec::new();
        V6Grant::default().attributes(&mut none);
        assert!(none.is_empty());
    }
}
