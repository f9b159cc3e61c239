//! The bng's state and what it does with the link's events: sessions
//! appear and end, credentials are judged (users table or RADIUS),
//! addresses are handed out, accounting is sent, Disconnect/CoA requests
//! are acted on. Synchronous: the event loop in `run` feeds it. The
//! authorisation steps are in [`authorize`].

mod authorize;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use crate::aio::{AsyncPacketSocket, AsyncTun};
use ppp_proto::{PppDownReason, PppEvent};
use pppoe_link::{AcLink, AcLinkEvent};
use pppoe_proto::PppoeAcEvent;
use pppoe_proto::ac::PppoeAcDownReason;
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr};
use radius_proto::client::AcctStatusType;
use sansio_primitives::StdClock;

use crate::bng::coa::Coa;
use crate::bng::config::Config;
use crate::bng::pool::Pool;
use crate::bng::radius::Radius;
use crate::bng::sessions::{Authz, Table, Traffic, mac_text};

/// Acct-Terminate-Cause values (RFC 2866 §5.10).
pub mod cause {
    /// User-Request.
    pub const USER_REQUEST: u32 = 1;
    /// Lost-Carrier.
    pub const LOST_CARRIER: u32 = 2;
    /// Session-Timeout.
    pub const SESSION_TIMEOUT: u32 = 5;
    /// Admin-Reset.
    pub const ADMIN_RESET: u32 = 6;
    /// NAS-Error.
    pub const NAS_ERROR: u32 = 9;
    /// NAS-Request.
    pub const NAS_REQUEST: u32 = 10;
    /// Port-Preempted ("NAS ended session in order to allocate the port to
    /// a higher priority use"): a session replaced by a new one from the
    /// same MAC. The RFC's own case of the NAS ending a session to give its
    /// place to another; not User-Request (the user asked for a new
    /// session, not to end this one, which may belong to a crashed CPE)
    /// nor the catch-all NAS-Request (which shutdown uses), so accounting
    /// tells replacements apart.
    pub const PORT_PREEMPTED: u32 = 13;

    /// What our LCP Terminate-Request says when we end a session for
    /// `cause`.
    pub fn terminate_text(cause: u32) -> &'static [u8] {
        match cause {
            SESSION_TIMEOUT => b"Session timeout",
            ADMIN_RESET => b"Administrative reset",
            USER_REQUEST => b"User request",
            PORT_PREEMPTED => b"Replaced by a new session from the same MAC",
            _ => b"Closed by the access concentrator",
        }
    }
}

/// A route change for an address outside the pool, or an IPv6 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteOp {
    /// Add `addr/32` via the TUN device.
    Add(Ipv4Addr),
    /// Remove it.
    Del(Ipv4Addr),
    /// Add `prefix/len` via the TUN device (a session's IPv6 prefix).
    Add6(Ipv6Addr, u8),
    /// Remove it.
    Del6(Ipv6Addr, u8),
}

/// Counters not tied to one session.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Frames the packet socket refused (queue full).
    pub tx_dropped: u64,
    /// Session frames the kernel dropped before bng read them (the packet
    /// socket's receive buffer was full: `PACKET_STATISTICS` `tp_drops`).
    pub rx_dropped: u64,
    /// Packets from the TUN device for no session.
    pub no_session: u64,
    /// IPv6 packets from the TUN device dropped: without `[ipv6]` all, with
    /// it the malformed and link-scoped ones.
    pub tun_ipv6_dropped: u64,
    /// Packets the TUN device refused.
    pub tun_errors: u64,
    /// TCP super-packets from the TUN device (offloads) cut into segments.
    pub tun_gso_cut: u64,
    /// TCP super-packets written to the TUN device (GRO, upstream).
    pub tun_gro: u64,
    /// ICMP Fragmentation Needed messages sent.
    pub frag_needed_sent: u64,
    /// ICMPv6 Packet Too Big messages sent.
    pub packet_too_big_sent: u64,
    /// ICMP Fragmentation Needed and ICMPv6 Packet Too Big messages the
    /// rate limits held back.
    pub icmp_rate_limited: u64,
    /// DHCPv6 messages over a session's rate limit, dropped.
    pub dhcpv6_rate_limited: u64,
    /// The drop counters of the sessions that ended.
    pub ended: Traffic,
}

/// Everything the event loop drives.
pub struct Bng {
    /// The configuration.
    pub cfg: Config,
    /// The clock of the Sans-IO machines.
    pub clock: StdClock,
    /// PPPoE AC + PPP authenticators.
    pub link: AcLink,
    /// Our sessions.
    pub table: Table,
    /// The address pool.
    pub pool: Pool,
    /// The RADIUS client, with `[radius]`.
    pub radius: Option<Radius>,
    /// The Disconnect/CoA listener, with `[coa]`.
    pub coa: Option<Coa>,
    /// Sends frames on the access interface.
    pub out: AsyncPacketSocket,
    /// The TUN device.
    pub tun: AsyncTun,
    /// Route changes for the loop to make.
    pub routes: Vec<RouteOp>,
    /// Global counters.
    pub stats: Stats,
    /// SIGTERM seen: no new sessions.
    pub shutting_down: bool,
    /// Sessions with packets in a shaper queue, by when they may go.
    pub backlog: crate::bng::datapath::Backlog,
    /// Upstream TCP segments coalesced toward the TUN device.
    pub up_gro: crate::bng::datapath::UpGro,
    /// Downstream session frames waiting for one batch send.
    pub tx: crate::bng::datapath::TxQueue,
    /// The rate limit of the ICMP errors we send.
    pub icmp_limit: sansio_primitives::RateLimiter,
    /// Seeds the sessions' machines (RA timing).
    pub rng: sansio_primitives::SeededRng,
    /// The DHCPv6 delegating server, with `[ipv6]`.
    pub dhcpv6: Option<crate::bng::dhcpv6::Dhcpv6>,
    /// IPv6 prefixes routed to sessions.
    pub v6_routes: crate::bng::ipv6::Routes6,
    /// The session routers' deadlines.
    pub v6_timers: crate::bng::ipv6::V6Timers,
    /// The upstream worker threads (`[datapath] workers` > 1).
    pub workers: Option<crate::bng::workers::Workers>,
    /// Sessions whose data-path parameters may have changed since they
    /// were last published to the workers.
    pub dp_dirty: Vec<u16>,
    /// Answers IPv6 packets too big for their session, with `[ipv6]`.
    pub ptb: Option<crate::bng::ipv6::PacketTooBig>,
}

impl Bng {
    /// Sends the link's frames and handles every event, RADIUS answer and
    /// Disconnect/CoA request until nothing is left.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(frame) = self.link.poll_transmit(self.clock.now()) {
                if self.out.send(&frame).is_err() {
                    self.stats.tx_dropped += 1;
                }
            }
            while let Some(e) = self.link.poll_event() {
                progressed = true;
                self.on_link_event(e);
            }
            if let Some(r) = &mut self.radius {
                let (table, closing) = (&self.table, self.shutting_down);
                let waiting = |id: u16, serial: u64| {
                    !closing
                        && table
                            .by_id
                            .get(&id)
                            .is_some_and(|s| s.serial == serial && s.authz == Authz::Pending)
                };
                for o in r.flush(self.clock.now(), &waiting) {
                    progressed = true;
                    self.apply(o.id, o.serial, o.verdict);
                }
            }
            if let Some(c) = &mut self.coa {
                for req in c.flush() {
                    progressed = true;
                    self.on_dynauth(req);
                }
            }
            if !progressed {
                return;
            }
        }
    }

    fn on_link_event(&mut self, e: AcLinkEvent) {
        let now = Instant::now();
        match e {
            AcLinkEvent::Pppoe(PppoeAcEvent::SessionUp {
                session_id,
                client_mac,
                ..
            }) => {
                tracing::debug!(session = session_id, mac = %mac_text(&client_mac.0), "PPPoE session up");
                self.table.insert(session_id, client_mac.0, now);
                if self.shutting_down {
                    let _ = self.link.close(self.clock.now(), session_id);
                }
            }
            AcLinkEvent::Pppoe(PppoeAcEvent::SessionDown {
                session_id, reason, ..
            }) => {
                let (c, why) = match reason {
                    PppoeAcDownReason::Replaced => (
                        cause::PORT_PREEMPTED,
                        "replaced by a new session from the same MAC",
                    ),
                    _ => (cause::USER_REQUEST, "PADT"),
                };
                self.finish(session_id, c, why);
            }
            AcLinkEvent::Pppoe(PppoeAcEvent::Refused { client_mac, reason }) => {
                tracing::info!(mac = %mac_text(&client_mac.0), "PADR refused: {reason:?}");
            }
            AcLinkEvent::Pppoe(PppoeAcEvent::SessionRequest { .. }) => {}
            AcLinkEvent::Ppp { session_id, event } => self.on_ppp(session_id, event),
        }
    }

    fn on_ppp(&mut self, id: u16, event: PppEvent) {
        self.touch(id);
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        match event {
            PppEvent::LinkUp { mtu } => s.mtu = mtu,
            PppEvent::AuthRequest { user, credential } => self.on_auth(id, user, credential),
            PppEvent::Ipv4Up { peer, .. } => {
                s.ipv4_up = true;
                // IPCP comes up again after every LCP renegotiation: the
                // session (and its Acct-Session-Time) goes on.
                if s.up_since.is_none() {
                    s.up_since = Some(Instant::now());
                    tracing::info!(
                        user = %s.user_text(), mac = %mac_text(&s.mac), session = id,
                        address = %peer, "session up"
                    );
                } else {
                    tracing::info!(session = id, address = %peer, "IPCP up again");
                }
                self.start_accounting(id);
            }
            PppEvent::Ipv4Down => s.ipv4_up = false,
            PppEvent::Ipv6Up {
                local_ifid,
                peer_ifid,
            } => {
                s.local_ifid = Some(local_ifid);
                tracing::info!(
                    session = id,
                    "IPv6CP up, peer interface id {peer_ifid:016x}"
                );
                self.ipv6_up(id, local_ifid, peer_ifid);
                // With [ipv6], a session may be IPv6 only: it is accounted
                // from whichever NCP opens first.
                if self.cfg.ipv6.is_some() {
                    self.start_accounting(id);
                }
            }
            PppEvent::Ipv6Down => {
                s.local_ifid = None;
                // Accounting goes on reporting what the session had.
                s.v6_acct = crate::bng::ipv6::V6Grant::of_session(s);
                let v = s.v6.take();
                self.ipv6_forget(id, v);
            }
            PppEvent::Down { reason } => {
                let c = match reason {
                    PppDownReason::PeerTerminated { .. } | PppDownReason::LowerDown => {
                        cause::USER_REQUEST
                    }
                    PppDownReason::EchoTimeout => cause::LOST_CARRIER,
                    PppDownReason::LocalClose => s.close_cause.unwrap_or(cause::NAS_REQUEST),
                    _ => cause::NAS_ERROR,
                };
                self.finish(id, c, &format!("{reason:?}"));
            }
            _ => {}
        }
    }

    /// The accounting Start of session `id` when IPCP or IPv6CP first
    /// opens: one per session, even if either renegotiates.
    fn start_accounting(&mut self, id: u16) {
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        if let Some(a) = &mut s.acct
            && !a.started
            && !a.stopped
        {
            a.started = true;
            a.next_interim = a.interim.map(|i| Instant::now() + i);
            if let Some(r) = &mut self.radius {
                r.account(s, AcctStatusType::Start, None);
            }
        }
    }

    /// Forgets session `id`: address back, route removed, accounting Stop.
    pub fn finish(&mut self, id: u16, cause: u32, why: &str) {
        let Some(mut s) = self.table.remove(id) else {
            return;
        };
        // No worker writes for it from here on, and what they carried is
        // in its counters before the Stop reports them.
        if let Some(w) = &mut self.workers {
            w.remove(id, &mut s.traffic);
        }
        // Its queued packets went with it: its time wakes nobody.
        self.backlog.forget(id);
        let user = s.user.clone().unwrap_or_default();
        if let Some(a) = s.addr {
            if s.from_pool {
                self.pool.release(a, &user);
            }
            if s.own_route {
                self.routes.push(RouteOp::Del(a));
            }
        }
        if s.acct.as_ref().is_some_and(|a| a.started && !a.stopped)
            && let Some(r) = &mut self.radius
        {
            r.account(&s, AcctStatusType::Stop, Some(cause));
            if let Some(a) = &mut s.acct {
                a.stopped = true;
            }
        }
        self.ipv6_forget(id, s.v6.take());
        let t = &s.traffic;
        self.stats.ended.add_drops(t);
        tracing::info!(
            user = %s.user_text(), mac = %mac_text(&s.mac), session = id,
            bytes_in = t.in_octets, bytes_out = t.out_octets, spoofed = t.spoofed,
            policed = t.policed_up + t.policed_down, too_big = t.too_big,
            "session down ({why})"
        );
    }

    /// Ends session `id` from our side (LCP Terminate, then PADT).
    pub fn close(&mut self, id: u16, cause: u32) {
        if let Some(s) = self.table.by_id.get_mut(&id) {
            s.close_cause.get_or_insert(cause);
            self.ipv6_goodbye(id);
            let why = cause::terminate_text(cause);
            let _ = self.link.close_because(self.clock.now(), id, why);
        }
    }

    /// Once a second: Interim-Updates and Session-Timeouts.
    pub fn housekeeping(&mut self) {
        // The kernel's counters reset when read: added up here each second.
        match self.out.socket().take_statistics() {
            Ok(st) => self.stats.rx_dropped += st.drops,
            Err(e) => tracing::debug!("PACKET_STATISTICS: {e}"),
        }
        // What the workers carried, for Interim-Updates and the tables;
        // and every session published again (a change missed elsewhere
        // reaches the workers within a second).
        if let Some(w) = &self.workers {
            w.absorb_all(&mut self.table.by_id);
            self.dp_dirty.extend(self.table.by_id.keys());
        }
        let now = Instant::now();
        let mut expired = Vec::new();
        for s in self.table.by_id.values_mut() {
            if s.deadline.is_some_and(|d| d <= now) {
                s.deadline = None;
                expired.push(s.id);
            }
            let Some(a) = &mut s.acct else { continue };
            if let (Some(next), Some(every)) = (a.next_interim, a.interim)
                && next <= now
                && a.started
                && !a.stopped
            {
                a.next_interim = Some(now + every);
                if let Some(r) = &mut self.radius {
                    r.account(s, AcctStatusType::InterimUpdate, None);
                }
            }
        }
        for id in expired {
            tracing::info!(session = id, "Session-Timeout reached");
            self.close(id, cause::SESSION_TIMEOUT);
        }
    }

    /// SIGTERM: closes every session, sending its accounting Stop now.
    pub fn shutdown(&mut self) {
        self.shutting_down = true;
        if let Some(w) = &self.workers {
            w.absorb_all(&mut self.table.by_id);
        }
        let ids: Vec<u16> = self.table.by_id.keys().copied().collect();
        for id in ids {
            if let Some(s) = self.table.by_id.get_mut(&id)
                && let Some(a) = &mut s.acct
                && a.started
                && !a.stopped
            {
                a.stopped = true;
                if let Some(r) = &mut self.radius {
                    r.account(s, AcctStatusType::Stop, Some(cause::NAS_REQUEST));
                }
            }
            self.close(id, cause::NAS_REQUEST);
        }
        if let Some(r) = &mut self.radius {
            r.accounting_on_off(false);
        }
    }

    /// At exit: a PADT for each session whose peer never acknowledged our
    /// LCP Terminate-Request (the link would send it only after the
    /// Terminate retries, later than we wait).
    pub fn send_final_padts(&mut self) {
        let ours = EthernetAddress(self.out.mac());
        for s in self.table.by_id.values() {
            let frame = DiscoveryFrame::new(
                EthernetRepr::discovery(EthernetAddress(s.mac), ours),
                DiscoveryRepr::new(Code::Padt, s.id),
            )
            .to_vec();
            if self.out.send(&frame).is_err() {
                self.stats.tx_dropped += 1;
            }
        }
    }
}
