//! The server in the bng: each session's DHCPv6 messages in, the answers
//! into their session, the delegations routed.

use dhcpv6_proto::server::Dhcpv6ServerEvent;
use radius_proto::client::AcctStatusType;

use super::subscriber;
use crate::bng::config::Prefix6;
use crate::bng::engine::Bng;
use crate::bng::ipv6::{Header, udp};

impl Bng {
    /// A DHCPv6 message (UDP payload to port 547) from session `id`.
    /// Answers that need nothing durable (Advertise, ...) go at once;
    /// Replies wait for the receive batch's one commit
    /// ([`Bng::dhcpv6_flush`], then [`Bng::dhcpv6_durable`]).
    pub(crate) fn dhcpv6_input(&mut self, id: u16, h: &Header, data: &[u8]) {
        let (Some(d), Some(s)) = (self.dhcpv6.as_mut(), self.table.by_id.get(&id)) else {
            return;
        };
        if s.v6.is_none() {
            return;
        }
        let link = subscriber(s);
        let fixed = d.fixed_for(
            id,
            link,
            s.v6grant.delegated,
            s.delegated(),
            &self.v6_routes,
        );
        d.input(id, link, fixed, h.src, data);
        self.dhcpv6_send();
        self.dhcpv6_events(Some(id));
    }

    /// Sends the server's ready answers, each into the session its message
    /// came from (gone sessions' are dropped).
    fn dhcpv6_send(&mut self) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let answers = d.transmits();
        self.dhcpv6_send_answers(answers);
    }

    /// Sends `answers`, each into the session its message came from (gone
    /// sessions' are dropped).
    pub(super) fn dhcpv6_send_answers(&mut self, answers: Vec<super::commit::Answer>) {
        let mut out = Vec::new();
        for (id, dst, port, payload) in answers {
            let local = self.table.by_id.get(&id).and_then(|s| s.v6.as_ref());
            if let Some(v) = local {
                out.push((id, udp(v.local, dst, 547, port, &payload)));
            }
        }
        for (id, p) in out {
            self.send_v6(id, &p);
        }
    }

    /// Acts on the server's events: routes for delegated prefixes (to
    /// session `id`, whose message caused them), removed when released or
    /// expired.
    fn dhcpv6_events(&mut self, id: Option<u16>) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let mut events = Vec::new();
        while let Some(e) = d.server.poll_event() {
            if let Dhcpv6ServerEvent::Delegated(r) = &e {
                d.remember(r);
            }
            events.push(e);
        }
        for e in events {
            match e {
                Dhcpv6ServerEvent::Delegated(r) => {
                    let p = Prefix6 {
                        addr: r.prefix,
                        len: r.prefix_len,
                    };
                    if let Some(id) = id {
                        self.delegated(id, p);
                    }
                }
                Dhcpv6ServerEvent::Released(r) | Dhcpv6ServerEvent::Expired(r) => {
                    let p = Prefix6 {
                        addr: r.prefix,
                        len: r.prefix_len,
                    };
                    if let Some(&owner) = self.v6_routes.get(&p) {
                        if let Some(v) =
                            self.table.by_id.get_mut(&owner).and_then(|s| s.v6.as_mut())
                            && v.delegated == Some(p)
                        {
                            v.delegated = None;
                        }
                        self.route_del(p, owner);
                    }
                }
                Dhcpv6ServerEvent::NoPrefixAvail { .. } => {
                    tracing::warn!(session = ?id, "DHCPv6: no prefix available");
                }
            }
        }
    }

    /// `p` was delegated to session `id`: routed to it (another prefix it
    /// had is no longer), and RADIUS hears of it in an Interim-Update.
    fn delegated(&mut self, id: u16, p: Prefix6) {
        let Some(old) = self
            .table
            .by_id
            .get_mut(&id)
            .and_then(|s| s.v6.as_mut())
            .map(|v| v.delegated.replace(p))
        else {
            return;
        };
        if old == Some(p) {
            return;
        }
        if let Some(o) = old {
            self.route_del(o, id);
        }
        self.route_add(p, id);
        let Some(s) = self.table.by_id.get(&id) else {
            return;
        };
        tracing::info!(user = %s.user_text(), session = id, prefix = %p, "prefix delegated");
        if s.acct.as_ref().is_some_and(|a| a.started && !a.stopped)
            && let Some(r) = &mut self.radius
        {
            r.account(s, AcctStatusType::InterimUpdate, None);
        }
    }

    /// IPv6CP opened on session `id`: a prefix its subscriber still holds
    /// (IPv6CP renegotiated, or a reconnect within the valid lifetime) and
    /// no other session of it has is routed to it at once: the CPE keeps
    /// using it and asks again only at T1.
    pub(crate) fn dhcpv6_reroute(&mut self, id: u16) {
        let (Some(d), Some(s)) = (self.dhcpv6.as_ref(), self.table.by_id.get(&id)) else {
            return;
        };
        if let Some(p) = d.held(id, subscriber(s), &self.v6_routes) {
            self.delegated(id, p);
        }
    }

    /// Expires Advertises and delegations.
    pub(crate) fn dhcpv6_timeout(&mut self) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let now = d.wall.now();
        if d.server.poll_timeout().is_some_and(|t| t <= now) {
            d.server.handle_timeout(now);
            // Expiries are stored too (a batch without Replies).
            let answers = d.hand_over();
            self.dhcpv6_send_answers(answers);
            self.dhcpv6_events(None);
        }
    }

    /// When the server's next timer is due.
    pub(crate) fn dhcpv6_deadline(&self) -> Option<std::time::Instant> {
        let d = self.dhcpv6.as_ref()?;
        d.wall.to_std(d.server.poll_timeout()?)
    }
}
