//! The PPPoE access-concentrator machine (RFC 2516 §5, RFC 4638).
//!
//! - **PADI → PADO** (§5.2), stateless: the PADO carries the AC-Name, the
//!   Service-Name the host asked for followed by every other offered service,
//!   the Host-Uniq and Relay-Session-Id echoed, an AC-Cookie (see below) and, when the host asked for it and
//!   [`PppoeAcConfig::ppp_max_payload`] allows, PPP-Max-Payload. Nothing is stored:
//!   a PADI flood cannot fill memory. PADIs are rate-limited per client MAC
//!   and overall ([`PppoeAcConfig::padi_rate_per_mac`], [`PppoeAcConfig::padi_rate_total`]);
//!   a PADI for a service not offered, or arriving while all sessions are in
//!   use, gets no PADO (§5.2: an AC that cannot serve the PADI does not
//!   answer). Those are drops, counted.
//! - **PADR → PADS** (§5.3, §5.4). The AC-Cookie must be
//!   one we issued to this MAC for this Host-Uniq within the last one to two
//!   [`PppoeAcConfig::cookie_rotation`] periods (HMAC-MD5 under a rotating secret;
//!   current and previous secret accepted). A PADR without a valid cookie is
//!   **dropped and counted** ([`PppoeDropped::BadCookie`]), as accel-ppp does;
//!   rp-pppoe instead answers a PADS with Generic-Error ("Bad cookie"), which
//!   gives a forger a reflected answer for each forged PADR, so we stay
//!   silent. A PADR for a service not offered gets a PADS with
//!   Service-Name-Error; a PADR over [`PppoeAcConfig::max_sessions`] gets a PADS
//!   with AC-System-Error (as accel-ppp and rp-pppoe do); both are reported
//!   as [`PppoeAcEvent::Refused`]. A PADR from a MAC already holding
//!   [`PppoeAcConfig::max_sessions_per_mac`] sessions (default 1) replaces that
//!   MAC's oldest session ([`AtMacLimit::Replace`], the default, as
//!   accel-ppp's `single-session=replace`: PADT for the old one,
//!   [`PppoeAcEvent::SessionDown`] with [`PppoeAcDownReason::Replaced`], then the new
//!   session), or gets AC-System-Error ([`AtMacLimit::Refuse`]; rp-pppoe
//!   has no per-MAC limit unless `pppoe-server -x` sets one). Otherwise, with [`Admission::Automatic`] (the
//!   default; authentication is PPP's business after the PADS, as in
//!   accel-ppp and rp-pppoe) the session is admitted at once: a session id
//!   is allocated, the PADS sent and [`PppoeAcEvent::SessionUp`] reported. With
//!   [`Admission::Manual`] (STYLE.md "Admission hooks", after quinn's
//!   `Incoming`) the PADR becomes an [`PppoeAcEvent::SessionRequest`] and the
//!   application calls [`PppoeAc::accept`] (PADS with a session id) or
//!   [`PppoeAc::refuse`] (PADS with Service-Name-Error); pending requests are
//!   bounded, count against the session bounds and expire. Tables are
//!   charged only on accept.
//! - **Repeated PADR** from the same MAC with the same Host-Uniq while its
//!   session exists (the host lost our PADS and retransmits): the same PADS
//!   again, no second session.
//! - **Session ids** are unique per AC in 1..=0xFFFE, handed out by a
//!   rotating cursor so a released id is reused as late as possible, and
//!   never while its session exists.
//! - **PADT** (§5.5): [`PppoeAc::close`] sends one and reports
//!   [`PppoeAcEvent::SessionDown`]; a PADT from the session's MAC with its id
//!   ends it the same way. A session frame (0x8864) for a session we do
//!   not have (e.g. after a restart) is answered with a PADT by
//!   [`PppoeAc::handle_unknown_session`], rate limited per MAC and overall, so
//!   the host redials at once instead of waiting for its LCP echo timeout.
//!
//! The machine has no timers of its own ([`PppoeAc::poll_timeout`] gives the next
//! cookie-secret rotation, which also happens lazily on input).

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use sansio_primitives::rand_core::Rng;
use sansio_primitives::{Instant, SeededRng, Transmit};

use crate::session::SessionFramer;
use crate::wire::{
    Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag, TagType,
};
use crate::{PppoeCommandError, PppoeConfigError, PppoeCounters, PppoeDropped};

mod admission;
mod config;
mod cookie;
mod limit;
mod stale;

pub use config::{
    AcSession, Admission, AtMacLimit, MAX_SESSION_ID, PppoeAcConfig, PppoeAcDownReason,
    PppoeAcEvent, RefuseReason, RequestId,
};
pub use cookie::COOKIE_LEN;
pub use sansio_primitives::RateLimit;

/// The access-concentrator machine (see the module docs).
#[derive(Debug)]
pub struct PppoeAc {
    config: PppoeAcConfig,
    rng: SeededRng,
    cookies: cookie::CookieJar,
    limiter: limit::MacLimiter,
    padt_limiter: limit::MacLimiter,
    sessions: BTreeMap<u16, AcSession>,
    pending: Vec<admission::Pending>,
    next_request: u32,
    by_client: BTreeMap<(EthernetAddress, Vec<u8>), u16>,
    /// Each MAC's session ids, oldest first.
    per_mac: BTreeMap<EthernetAddress, Vec<u16>>,
    next_id: u16,
    transmits: VecDeque<Transmit<EthernetAddress>>,
    events: VecDeque<PppoeAcEvent>,
    counters: PppoeCounters,
}

impl PppoeAc {
    /// An AC ready to answer PADIs. `rng` keys the cookies and the
    /// rate-table hash.
    ///
    /// [`PppoeConfigError::TooLong`] when the AC-Name or a Service-Name is
    /// longer than 255 bytes (or more than 16 Service-Names).
    pub fn new(
        mut config: PppoeAcConfig,
        mut rng: SeededRng,
        now: Instant,
    ) -> Result<Self, PppoeConfigError> {
        if config.ac_name.len() > 255 {
            return Err(PppoeConfigError::TooLong {
                tag: TagType::AcName,
            });
        }
        if config.services.iter().any(|s| s.len() > 255) || config.services.len() > 16 {
            return Err(PppoeConfigError::TooLong {
                tag: TagType::ServiceName,
            });
        }
        config.max_sessions = config.max_sessions.min(MAX_SESSION_ID);
        let cookies = cookie::CookieJar::new(config.cookie_rotation, &mut rng, now);
        let limiter = limit::MacLimiter::new(
            config.padi_rate_per_mac,
            config.padi_rate_total,
            config.rate_table_slots.clamp(1, 65_536),
            rng.next_u64(),
            now,
        );
        let padt_limiter = limit::MacLimiter::new(
            config.padt_rate_per_mac,
            config.padt_rate_total,
            config.rate_table_slots.clamp(1, 65_536),
            rng.next_u64(),
            now,
        );
        Ok(PppoeAc {
            config,
            rng,
            cookies,
            limiter,
            padt_limiter,
            sessions: BTreeMap::new(),
            pending: Vec::new(),
            next_request: 0,
            by_client: BTreeMap::new(),
            per_mac: BTreeMap::new(),
            next_id: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: PppoeCounters::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &PppoeAcConfig {
        &self.config
    }

    /// The counters of dropped input, per reason.
    pub fn counters(&self) -> &PppoeCounters {
        &self.counters
    }

    /// Sessions in use.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// One session.
    pub fn session(&self, session_id: u16) -> Option<&AcSession> {
        self.sessions.get(&session_id)
    }

    /// The data-path framer of a session.
    pub fn session_framer(&self, session_id: u16) -> Option<SessionFramer> {
        self.sessions.get(&session_id).map(|s| {
            SessionFramer::new(self.config.mac, s.client_mac, session_id)
                .with_vlan(self.config.vlan)
                .with_ppp_max_payload(s.ppp_max_payload)
        })
    }

    fn ethernet(&self, dst: EthernetAddress) -> EthernetRepr {
        EthernetRepr {
            vlan: self.config.vlan,
            ..EthernetRepr::discovery(dst, self.config.mac)
        }
    }

    fn send(&mut self, dst: EthernetAddress, payload: Vec<u8>) {
        self.transmits.push_back(Transmit {
            destination: dst,
            payload,
        });
    }

    fn offers(&self, service: &[u8]) -> bool {
        self.config.services.is_empty()
            || service.is_empty()
            || self.config.services.iter().any(|s| s == service)
    }

    fn agreed_max_payload(&self, asked: Option<u16>) -> Option<u16> {
        match (asked, self.config.ppp_max_payload) {
            (Some(a), Some(ours)) => Some(a.min(ours)),
            _ => None,
        }
    }

    /// One received Ethernet frame (ethertype 0x8863; without FCS).
    ///
    /// `Err` means the frame was dropped (malformed, not ours, over a rate
    /// limit, bad cookie…): counted per reason, state unchanged.
    pub fn handle_input(&mut self, now: Instant, frame: &[u8]) -> Result<(), PppoeDropped> {
        self.counters.received = self.counters.received.saturating_add(1);
        self.cookies.rotate(&mut self.rng, now);
        self.expire(now);
        let r = self.input(now, frame);
        if let Err(e) = r {
            self.counters.count(e);
        }
        r
    }

    fn input(&mut self, now: Instant, frame: &[u8]) -> Result<(), PppoeDropped> {
        let f = DiscoveryFrame::parse(frame)?;
        if f.ethernet.vlan.map(|t| t & 0x0fff) != self.config.vlan.map(|t| t & 0x0fff) {
            return Err(PppoeDropped::NotForUs);
        }
        let src = f.ethernet.src;
        let dst = f.ethernet.dst;
        let to_us = dst == self.config.mac;
        match f.pppoe.code {
            Code::Padi if to_us || dst.is_broadcast() => self.padi(now, src, &f.pppoe),
            Code::Padr | Code::Padt if to_us => {
                if !src.is_unicast() {
                    return Err(PppoeDropped::WrongPeer);
                }
                if f.pppoe.code == Code::Padr {
                    self.padr(now, src, &f.pppoe)
                } else {
                    self.padt(src, &f.pppoe)
                }
            }
            Code::Padi | Code::Padr | Code::Padt => Err(PppoeDropped::NotForUs),
            code => Err(PppoeDropped::UnexpectedCode(code)),
        }
    }

    fn padi(
        &mut self,
        now: Instant,
        src: EthernetAddress,
        p: &DiscoveryRepr<'_>,
    ) -> Result<(), PppoeDropped> {
        if !src.is_unicast() {
            return Err(PppoeDropped::WrongPeer);
        }
        if p.session_id != 0 {
            return Err(PppoeDropped::WrongSessionId(p.session_id));
        }
        let service = p.service_name().ok_or(PppoeDropped::MissingTag {
            tag: TagType::ServiceName,
        })?;
        if !self.offers(service) {
            return Err(PppoeDropped::UnknownService);
        }
        // A host that holds a session may still replace it when full.
        let may_replace =
            self.config.at_mac_limit == AtMacLimit::Replace && self.per_mac.contains_key(&src);
        if !may_replace
            && self.sessions.len() + self.pending.len() >= usize::from(self.config.max_sessions)
        {
            return Err(PppoeDropped::Full);
        }
        if !self.limiter.allow(src, now) {
            return Err(PppoeDropped::RateLimited);
        }
        let host_uniq = p.host_uniq();
        let cookie = self.cookies.issue(src, host_uniq.unwrap_or(&[]));
        let mut o = DiscoveryRepr::new(Code::Pado, 0);
        // Names were bounded in `new` and a PADO may repeat Service-Name:
        // these pushes cannot fail (at most 21 tags of at most 255 bytes,
        // echoed values come from a packet that already fit).
        let _ = o.push(Tag::AcName(&self.config.ac_name));
        let _ = o.push(Tag::ServiceName(service));
        for s in &self.config.services {
            if s.as_slice() != service {
                let _ = o.push(Tag::ServiceName(s));
            }
        }
        if let Some(h) = host_uniq {
            let _ = o.push(Tag::HostUniq(h));
        }
        let _ = o.push(Tag::AcCookie(&cookie));
        if let Some(r) = p.relay_session_id() {
            let _ = o.push(Tag::RelaySessionId(r));
        }
        if let Some(m) = self.agreed_max_payload(p.ppp_max_payload()) {
            let _ = o.push(Tag::PppMaxPayload(m));
        }
        let bytes = DiscoveryFrame::new(self.ethernet(src), o).to_vec();
        self.send(src, bytes);
        Ok(())
    }

    fn pads_for(&self, session_id: u16, s: &AcSession) -> Vec<u8> {
        let mut o = DiscoveryRepr::new(Code::Pads, session_id);
        let _ = o.push(Tag::ServiceName(&s.service_name));
        let _ = o.push(Tag::AcName(&self.config.ac_name));
        if !s.host_uniq.is_empty() {
            let _ = o.push(Tag::HostUniq(&s.host_uniq));
        }
        if let Some(r) = &s.relay_session_id {
            let _ = o.push(Tag::RelaySessionId(r));
        }
        if let Some(m) = s.ppp_max_payload {
            let _ = o.push(Tag::PppMaxPayload(m));
        }
        DiscoveryFrame::new(self.ethernet(s.client_mac), o).to_vec()
    }

    /// A PADS with session id 0 and `error` to the host of `s`.
    pub(super) fn error_pads(&mut self, s: &AcSession, error: Tag<'_>) {
        let mut o = DiscoveryRepr::new(Code::Pads, 0);
        let _ = o.push(Tag::ServiceName(&s.service_name));
        let _ = o.push(Tag::AcName(&self.config.ac_name));
        if !s.host_uniq.is_empty() {
            let _ = o.push(Tag::HostUniq(&s.host_uniq));
        }
        if let Some(r) = &s.relay_session_id {
            let _ = o.push(Tag::RelaySessionId(r));
        }
        let _ = o.push(error);
        let bytes = DiscoveryFrame::new(self.ethernet(s.client_mac), o).to_vec();
        self.send(s.client_mac, bytes);
    }

    fn refuse_session(&mut self, s: &AcSession, reason: RefuseReason) {
        let error = match reason {
            RefuseReason::UnknownService | RefuseReason::Application => {
                Tag::ServiceNameError(b"Service not offered")
            }
            RefuseReason::MaxSessions => Tag::AcSystemError(b"No free sessions"),
            RefuseReason::MaxSessionsPerMac => {
                Tag::AcSystemError(b"Too many sessions for this MAC")
            }
        };
        self.error_pads(s, error);
        self.events.push_back(PppoeAcEvent::Refused {
            client_mac: s.client_mac,
            reason,
        });
    }

    fn refuse_padr(&mut self, src: EthernetAddress, p: &DiscoveryRepr<'_>, reason: RefuseReason) {
        let s = AcSession {
            client_mac: src,
            host_uniq: p.host_uniq().unwrap_or(&[]).to_vec(),
            relay_session_id: p.relay_session_id().map(<[u8]>::to_vec),
            service_name: p.service_name().unwrap_or(&[]).to_vec(),
            ppp_max_payload: None,
        };
        self.refuse_session(&s, reason);
    }

    fn padr(
        &mut self,
        now: Instant,
        src: EthernetAddress,
        p: &DiscoveryRepr<'_>,
    ) -> Result<(), PppoeDropped> {
        if p.session_id != 0 {
            return Err(PppoeDropped::WrongSessionId(p.session_id));
        }
        let host_uniq = p.host_uniq().unwrap_or(&[]);
        let cookie = p.ac_cookie().ok_or(PppoeDropped::BadCookie)?;
        if !self.cookies.verify(src, host_uniq, cookie) {
            return Err(PppoeDropped::BadCookie);
        }
        if host_uniq.len() > self.config.max_host_uniq_len {
            return Err(PppoeDropped::Malformed(
                crate::PppoeWireError::BadTagLength {
                    tag: TagType::HostUniq,
                    length: host_uniq.len() as u16,
                    expected: self.config.max_host_uniq_len.min(usize::from(u16::MAX)) as u16,
                },
            ));
        }
        let service = p.service_name().ok_or(PppoeDropped::MissingTag {
            tag: TagType::ServiceName,
        })?;
        // A retransmitted PADR: the same PADS again.
        if let Some(&id) = self.by_client.get(&(src, host_uniq.to_vec())) {
            if let Some(s) = self.sessions.get(&id) {
                let bytes = self.pads_for(id, s);
                self.send(src, bytes);
            }
            return Ok(());
        }
        if !self.offers(service) {
            self.refuse_padr(src, p, RefuseReason::UnknownService);
            return Ok(());
        }
        // Already waiting for the application: nothing new to say.
        if self
            .pending
            .iter()
            .any(|q| q.session.client_mac == src && q.session.host_uniq == host_uniq)
        {
            return Ok(());
        }
        let waiting = self
            .pending
            .iter()
            .filter(|q| q.session.client_mac == src)
            .count();
        let held = self.per_mac.get(&src).map_or(0, Vec::len);
        let limit = usize::from(self.config.max_sessions_per_mac);
        let at_limit = held + waiting >= limit;
        // A replacement does not add a session, so the total bound does not
        // apply; at most `limit` replacements wait per MAC.
        let replaces = at_limit
            && self.config.at_mac_limit == AtMacLimit::Replace
            && held > 0
            && waiting < limit;
        if !replaces
            && self.sessions.len() + self.pending.len() >= usize::from(self.config.max_sessions)
        {
            self.refuse_padr(src, p, RefuseReason::MaxSessions);
            return Ok(());
        }
        if at_limit && !replaces {
            self.refuse_padr(src, p, RefuseReason::MaxSessionsPerMac);
            return Ok(());
        }
        let s = AcSession {
            client_mac: src,
            host_uniq: host_uniq.to_vec(),
            relay_session_id: p.relay_session_id().map(<[u8]>::to_vec),
            service_name: service.to_vec(),
            ppp_max_payload: self.agreed_max_payload(p.ppp_max_payload()),
        };
        match self.config.admission {
            Admission::Automatic => {
                self.admit(s);
                Ok(())
            }
            Admission::Manual {
                max_pending,
                timeout,
            } => {
                if self.pending.len() >= usize::from(max_pending) {
                    return Err(PppoeDropped::Full);
                }
                let request = RequestId(self.next_request);
                self.next_request = self.next_request.wrapping_add(1);
                let expires = now + timeout;
                self.events.push_back(PppoeAcEvent::SessionRequest {
                    request,
                    client_mac: src,
                    service_name: s.service_name.clone(),
                    host_uniq: s.host_uniq.clone(),
                    expires,
                });
                self.pending.push(admission::Pending {
                    request,
                    expires,
                    session: s,
                });
                Ok(())
            }
        }
    }

    /// Gives `s` a session id, sends its PADS and reports it; refuses with
    /// AC-System-Error when no id is free.
    pub(super) fn admit(&mut self, s: AcSession) -> Option<u16> {
        let src = s.client_mac;
        self.replace_oldest(src);
        let Some(id) = self.allocate_id() else {
            self.refuse_session(&s, RefuseReason::MaxSessions);
            return None;
        };
        let bytes = self.pads_for(id, &s);
        self.send(src, bytes);
        self.events.push_back(PppoeAcEvent::SessionUp {
            session_id: id,
            client_mac: src,
            service_name: s.service_name.clone(),
            ppp_max_payload: s.ppp_max_payload,
        });
        self.by_client.insert((src, s.host_uniq.clone()), id);
        self.per_mac.entry(src).or_default().push(id);
        self.sessions.insert(id, s);
        Some(id)
    }

    /// The next free id at or after the cursor, wrapping in 1..=0xFFFE.
    fn allocate_id(&mut self) -> Option<u16> {
        let mut id = self.next_id;
        for _ in 0..MAX_SESSION_ID {
            if !self.sessions.contains_key(&id) {
                self.next_id = if id >= MAX_SESSION_ID { 1 } else { id + 1 };
                return Some(id);
            }
            id = if id >= MAX_SESSION_ID { 1 } else { id + 1 };
        }
        None
    }

    fn release(&mut self, session_id: u16) -> Option<AcSession> {
        let s = self.sessions.remove(&session_id)?;
        self.by_client.remove(&(s.client_mac, s.host_uniq.clone()));
        if let Some(ids) = self.per_mac.get_mut(&s.client_mac) {
            ids.retain(|&i| i != session_id);
            if ids.is_empty() {
                self.per_mac.remove(&s.client_mac);
            }
        }
        Some(s)
    }

    fn padt(&mut self, src: EthernetAddress, p: &DiscoveryRepr<'_>) -> Result<(), PppoeDropped> {
        let s = self
            .sessions
            .get(&p.session_id)
            .ok_or(PppoeDropped::WrongSessionId(p.session_id))?;
        if s.client_mac != src {
            return Err(PppoeDropped::WrongPeer);
        }
        let text = p.error().and_then(|t| t.value()).map(<[u8]>::to_vec);
        self.release(p.session_id);
        self.events.push_back(PppoeAcEvent::SessionDown {
            session_id: p.session_id,
            client_mac: src,
            reason: PppoeAcDownReason::PeerTerminated(text),
        });
        Ok(())
    }

    /// Ends a session: a PADT (with `reason` in a Generic-Error tag when not
    /// empty) goes to the host and [`PppoeAcEvent::SessionDown`] reports it.
    /// [`PppoeCommandError::UnknownSession`] when no such session exists.
    pub fn close(
        &mut self,
        _now: Instant,
        session_id: u16,
        reason: &[u8],
    ) -> Result<(), PppoeCommandError> {
        self.end(session_id, reason, PppoeAcDownReason::Closed)
    }

    /// [`AtMacLimit::Replace`]: ends `mac`'s oldest sessions until a new
    /// one fits under [`PppoeAcConfig::max_sessions_per_mac`].
    fn replace_oldest(&mut self, mac: EthernetAddress) {
        if self.config.at_mac_limit != AtMacLimit::Replace {
            return;
        }
        let limit = usize::from(self.config.max_sessions_per_mac);
        while let Some(ids) = self.per_mac.get(&mac)
            && !ids.is_empty()
            && ids.len() >= limit
        {
            let oldest = ids[0];
            let _ = self.end(
                oldest,
                b"Replaced by a new session from the same MAC",
                PppoeAcDownReason::Replaced,
            );
        }
    }

    /// Releases a session, sends its PADT and reports it down.
    fn end(
        &mut self,
        session_id: u16,
        reason: &[u8],
        why: PppoeAcDownReason,
    ) -> Result<(), PppoeCommandError> {
        let s = self
            .release(session_id)
            .ok_or(PppoeCommandError::UnknownSession(session_id))?;
        let mut o = DiscoveryRepr::new(Code::Padt, session_id);
        if !s.host_uniq.is_empty() {
            let _ = o.push(Tag::HostUniq(&s.host_uniq));
        }
        if let Some(r) = &s.relay_session_id {
            let _ = o.push(Tag::RelaySessionId(r));
        }
        if !reason.is_empty() && reason.len() <= 1024 {
            let _ = o.push(Tag::GenericError(reason));
        }
        let bytes = DiscoveryFrame::new(self.ethernet(s.client_mac), o).to_vec();
        self.send(s.client_mac, bytes);
        self.events.push_back(PppoeAcEvent::SessionDown {
            session_id,
            client_mac: s.client_mac,
            reason: why,
        });
        Ok(())
    }

    /// Rotates the cookie secret and forgets unanswered admission requests
    /// when due; early or repeated calls are fine.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.cookies.rotate(&mut self.rng, now);
        self.expire(now);
    }

    /// The next frame to send. Drain before [`Self::poll_event`].
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<EthernetAddress>> {
        let t = self.transmits.pop_front()?;
        self.counters.transmitted = self.counters.transmitted.saturating_add(1);
        Some(t)
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PppoeAcEvent> {
        self.events.pop_front()
    }

    /// The next cookie-secret rotation or pending-request expiry; read it
    /// last.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let expiry = self.pending.iter().map(|q| q.expires).min();
        Some(
            self.cookies
                .next_rotation()
                .min(expiry.unwrap_or(Instant::MAX)),
        )
    }
}
