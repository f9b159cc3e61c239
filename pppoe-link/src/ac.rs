//! The access concentrator's side: one PPPoE AC and a PPP authenticator
//! session per PPPoE session, as one Sans-IO machine over Ethernet frames.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent, PppSession};
use pppoe_proto::ac::RequestId;
use pppoe_proto::{PppoeAc, PppoeAcConfig, PppoeAcEvent, SessionFramer};
use sansio_primitives::{DeadlineHeap, Instant, SeededRng};

use crate::{
    ETH_P_PPP_DISC, ETH_P_PPP_SES, LinkCounters, LinkDropped, LinkError, PPP_IPV4, PPP_IPV6,
    encapsulate, ethertype,
};

/// What the concentrator reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcLinkEvent {
    /// From PPPoE discovery (SessionUp, SessionDown, Refused).
    Pppoe(PppoeAcEvent),
    /// From one session's PPP machine. `AuthRequest` waits for
    /// [`AcLink::accept`] or [`AcLink::reject`].
    Ppp {
        /// The PPPoE session id.
        session_id: u16,
        /// What happened.
        event: PppEvent,
    },
}

/// PPPoE AC + PPP authenticators. The session table is bounded by the AC's
/// `max_sessions`: a PPP session exists only for an admitted PPPoE session.
///
/// Timers cost O(log sessions): each session's next deadline sits in a
/// [`DeadlineHeap`], so neither [`poll_timeout`](Self::poll_timeout) nor
/// [`handle_timeout`](Self::handle_timeout) walks the session table.
#[derive(Debug)]
pub struct AcLink {
    ac: PppoeAc,
    /// Boxed: B-tree nodes hold up to 11 entries, mostly part-empty; inline
    /// sessions (about 700 bytes each) would waste that space per node.
    sessions: BTreeMap<u16, Box<(PppSession, SessionFramer)>>,
    /// Each session's next deadline (bounded by `sessions`).
    timers: DeadlineHeap<u16, Instant>,
    ppp_config: PppConfig,
    rng: SeededRng,
    tx: VecDeque<Vec<u8>>,
    counters: LinkCounters,
    events: VecDeque<AcLinkEvent>,
}

impl AcLink {
    /// `ppp` is the authenticator configuration every session starts from.
    pub fn new(
        ac: PppoeAcConfig,
        ppp: PppConfig,
        mut rng: SeededRng,
        now: Instant,
    ) -> Result<Self, LinkError> {
        let ac = PppoeAc::new(ac, rng.fork(), now).map_err(LinkError::PppoeConfig)?;
        Ok(AcLink {
            ac,
            sessions: BTreeMap::new(),
            timers: DeadlineHeap::new(),
            ppp_config: ppp,
            rng,
            tx: VecDeque::new(),
            counters: LinkCounters::default(),
            events: VecDeque::new(),
        })
    }

    /// One received Ethernet frame. `Ok(Some((session_id, range)))` is an
    /// IP packet (`frame[range]` = PPP protocol + packet) for the data path.
    pub fn handle_input(
        &mut self,
        now: Instant,
        frame: &[u8],
    ) -> Result<Option<(u16, Range<usize>)>, LinkDropped> {
        let result = self.dispatch(now, frame);
        self.counters.count_input(&result);
        result
    }

    /// [`handle_input`](Self::handle_input) before counting.
    fn dispatch(
        &mut self,
        now: Instant,
        frame: &[u8],
    ) -> Result<Option<(u16, Range<usize>)>, LinkDropped> {
        match ethertype(frame) {
            Some(ETH_P_PPP_DISC) => {
                let result = self
                    .ac
                    .handle_input(now, frame)
                    .map(|()| None)
                    .map_err(LinkDropped::Pppoe);
                self.pump_ac(now);
                result
            }
            Some(ETH_P_PPP_SES) => {
                let id = pppoe_proto::session::peek(frame)
                    .map_err(|e| LinkDropped::Pppoe(e.into()))?
                    .session_id;
                let Some((session, framer)) = self.sessions.get_mut(&id).map(|e| &mut **e) else {
                    return self.unknown_session(now, frame);
                };
                let range = match framer.decapsulate(frame) {
                    Ok(r) => r,
                    // The id is in use, by another host: this one's
                    // session is stale.
                    Err(pppoe_proto::PppoeDropped::WrongPeer) => {
                        return self.unknown_session(now, frame);
                    }
                    Err(e) => return Err(LinkDropped::Pppoe(e)),
                };
                let ppp_frame = &frame[range.clone()];
                let result = match ppp_frame {
                    [a, b, ..] if matches!(u16::from_be_bytes([*a, *b]), PPP_IPV4 | PPP_IPV6) => {
                        Ok(Some((id, range)))
                    }
                    _ => session
                        .handle_input(now, ppp_frame)
                        .map(|()| None)
                        .map_err(LinkDropped::Ppp),
                };
                // Only this session can have output: draining every session
                // here would make each frame cost O(sessions).
                self.pump_session(now, id);
                result
            }
            _ => Err(LinkDropped::NotPppoe),
        }
    }

    /// Runs due timers of the AC and of the sessions whose deadline has
    /// come.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.ac.handle_timeout(now);
        self.pump_ac(now);
        // Take every due entry first: a session that reschedules at or
        // before `now` runs on the next call, not in a loop here.
        let due: Vec<u16> =
            core::iter::from_fn(|| self.timers.pop_due(now).map(|(id, _)| id)).collect();
        for id in due {
            if let Some((s, _)) = self.sessions.get_mut(&id).map(|e| &mut **e) {
                s.handle_timeout(now);
            }
            self.pump_session(now, id);
        }
    }

    /// Admits a pending PPPoE `SessionRequest` (manual admission): PADS
    /// with a session id, whose PPP session then starts.
    pub fn admit(&mut self, now: Instant, request: RequestId) -> Result<u16, LinkError> {
        let r = self
            .ac
            .accept(now, request)
            .map_err(LinkError::PppoeCommand);
        self.pump_ac(now);
        r
    }

    /// Refuses a pending PPPoE `SessionRequest` (PADS with Service-Name-Error).
    pub fn refuse(
        &mut self,
        now: Instant,
        request: RequestId,
        message: &[u8],
    ) -> Result<(), LinkError> {
        let r = self
            .ac
            .refuse(now, request, message)
            .map_err(LinkError::PppoeCommand);
        self.pump_ac(now);
        r
    }

    /// Accepts a session's pending `AuthRequest`, giving it `ipv4` (from a
    /// pool or RADIUS) for IPCP.
    pub fn accept(
        &mut self,
        now: Instant,
        session_id: u16,
        ipv4: Option<Ipv4Assignment>,
        message: &[u8],
    ) -> Result<(), LinkError> {
        let (s, _) = self
            .sessions
            .get_mut(&session_id)
            .map(|e| &mut **e)
            .ok_or(LinkError::NoSession)?;
        if let Some(a) = ipv4 {
            s.set_ipv4_assignment(a);
        }
        let r = s.accept(now, message).map_err(LinkError::PppCommand);
        self.pump_session(now, session_id);
        r
    }

    /// The interface identifier session `session_id`'s peer must take over
    /// IPv6CP (RADIUS Framed-Interface-Id, RFC 3162 §2.2), `None` for its
    /// own choice; call before [`AcLink::accept`].
    pub fn set_ipv6_peer_ifid(
        &mut self,
        session_id: u16,
        ifid: Option<u64>,
    ) -> Result<(), LinkError> {
        let (s, _) = self
            .sessions
            .get_mut(&session_id)
            .map(|e| &mut **e)
            .ok_or(LinkError::NoSession)?;
        s.set_ipv6_peer_ifid(ifid);
        Ok(())
    }

    /// Refuses a session's pending `AuthRequest`; the session then ends.
    pub fn reject(
        &mut self,
        now: Instant,
        session_id: u16,
        message: &[u8],
    ) -> Result<(), LinkError> {
        let (s, _) = self
            .sessions
            .get_mut(&session_id)
            .map(|e| &mut **e)
            .ok_or(LinkError::NoSession)?;
        let r = s.reject(now, message).map_err(LinkError::PppCommand);
        self.pump_session(now, session_id);
        r
    }

    /// Ends a session: LCP Terminate, then PADT once PPP is down.
    pub fn close(&mut self, now: Instant, session_id: u16) -> Result<(), LinkError> {
        self.close_because(now, session_id, b"User request")
    }

    /// Ends a session like [`close`](Self::close), the Terminate-Request
    /// saying `why` ("PppSession timeout", "Administrative reset").
    pub fn close_because(
        &mut self,
        now: Instant,
        session_id: u16,
        why: &[u8],
    ) -> Result<(), LinkError> {
        let (s, _) = self
            .sessions
            .get_mut(&session_id)
            .map(|e| &mut **e)
            .ok_or(LinkError::NoSession)?;
        s.close_because(now, why);
        self.pump_session(now, session_id);
        Ok(())
    }

    /// Writes an IP packet for a session into `buf`; the frame length.
    pub fn encapsulate_data(
        &self,
        session_id: u16,
        protocol: u16,
        packet: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, LinkError> {
        let (_, framer) = self
            .sessions
            .get(&session_id)
            .map(|e| &**e)
            .ok_or(LinkError::NoSession)?;
        encapsulate(framer, protocol, packet, buf)
    }

    /// The next Ethernet frame to send. `now` is the shape every machine
    /// shares: the frames were queued by the calls that produced them.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Vec<u8>> {
        let frame = self.tx.pop_front()?;
        self.counters.frames_transmitted += 1;
        Some(frame)
    }

    /// What this link counted.
    pub fn counters(&self) -> &LinkCounters {
        &self.counters
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<AcLinkEvent> {
        self.events.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.ac.poll_timeout(), self.timers.next()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Sessions with a PPP machine.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// One session's PPP machine.
    pub fn session(&self, session_id: u16) -> Option<&PppSession> {
        self.sessions.get(&session_id).map(|e| &e.0)
    }

    /// Records session `id`'s next deadline (none once it has ended).
    fn schedule(&mut self, id: u16) {
        match self.sessions.get(&id).and_then(|e| e.0.poll_timeout()) {
            Some(at) => self.timers.schedule(id, at),
            None => {
                self.timers.remove(&id);
            }
        }
    }

    /// Drains one session's PPP machine, then the AC (a finished session
    /// closes its PPPoE session, which sends a PADT).
    fn pump_session(&mut self, now: Instant, id: u16) {
        let Some((s, framer)) = self.sessions.get_mut(&id).map(|e| &mut **e) else {
            return;
        };
        while let Some(t) = s.poll_transmit(now) {
            let mut buf = vec![0u8; framer.header_len() + t.payload.len()];
            buf[framer.header_len()..].copy_from_slice(&t.payload);
            // A control frame over the MTU would be our bug, not the
            // peer's: drop it rather than take the concentrator down.
            if let Ok(n) = framer.encapsulate(&mut buf, t.payload.len()) {
                buf.truncate(n);
                self.tx.push_back(buf);
            }
        }
        let mut ended = false;
        // What PPPoE carries: the PPPoE session's own framer, since `framer`
        // holds the MTU of the last LinkUp.
        let payload = self.ac.session_framer(id).map_or(framer.mtu(), |f| f.mtu());
        while let Some(event) = s.poll_event() {
            let event = crate::apply_link_up(event, framer, payload);
            ended |= matches!(event, PppEvent::Down { .. });
            self.events.push_back(AcLinkEvent::Ppp {
                session_id: id,
                event,
            });
        }
        if ended {
            self.sessions.remove(&id);
            let _ = self.ac.close(now, id, b"PPP session ended");
        }
        self.schedule(id);
        self.pump_ac(now);
    }

    /// A session frame of no session of ours (e.g. from before a restart):
    /// the AC answers it with a PADT, rate limited, so the host redials at
    /// once. The frame itself is not taken.
    fn unknown_session(
        &mut self,
        now: Instant,
        frame: &[u8],
    ) -> Result<Option<(u16, Range<usize>)>, LinkDropped> {
        let _ = self.ac.handle_unknown_session(now, frame);
        while let Some(t) = self.ac.poll_transmit(now) {
            self.tx.push_back(t.payload);
        }
        Err(LinkDropped::NoSession)
    }

    /// A PPPoE session ended (PADT from the host, or replaced by a new
    /// session from the same MAC): its PPP session is over without
    /// Terminate. The PPPoE event is reported first, so the application
    /// learns why before PPP's `Down { LowerDown }`.
    fn pppoe_session_down(&mut self, now: Instant, e: PppoeAcEvent) {
        let PppoeAcEvent::SessionDown { session_id, .. } = e else {
            return;
        };
        self.events.push_back(AcLinkEvent::Pppoe(e));
        if let Some(entry) = self.sessions.remove(&session_id) {
            let (mut s, mut framer) = *entry;
            self.timers.remove(&session_id);
            s.lower_down(now);
            while let Some(event) = s.poll_event() {
                // Every PPP event leaves through `apply_link_up`, so no
                // path reports a LinkUp above what PPPoE carries.
                let payload = framer.mtu();
                let event = crate::apply_link_up(event, &mut framer, payload);
                self.events
                    .push_back(AcLinkEvent::Ppp { session_id, event });
            }
        }
    }

    /// Drains the PPPoE AC, starting a PPP session for each new PPPoE
    /// session and ending the PPP session of each PADT.
    fn pump_ac(&mut self, now: Instant) {
        while let Some(t) = self.ac.poll_transmit(now) {
            self.tx.push_back(t.payload);
        }
        while let Some(e) = self.ac.poll_event() {
            let mut opened = None;
            match &e {
                PppoeAcEvent::SessionUp { session_id, .. } => {
                    if let Some(framer) = self.ac.session_framer(*session_id) {
                        let config = crate::session_config(&self.ppp_config, &framer);
                        let mut s = PppSession::new(config, self.rng.fork(), now);
                        s.open(now);
                        self.sessions.insert(*session_id, Box::new((s, framer)));
                        opened = Some(*session_id);
                    }
                }
                PppoeAcEvent::SessionDown { .. } => {
                    self.pppoe_session_down(now, e);
                    continue;
                }
                // Manual admission: the application answers with `admit`
                // or `refuse`.
                PppoeAcEvent::SessionRequest { .. } | PppoeAcEvent::Refused { .. } => {}
            }
            self.events.push_back(AcLinkEvent::Pppoe(e));
            if let Some(id) = opened {
                self.pump_session(now, id);
            }
        }
        while let Some(t) = self.ac.poll_transmit(now) {
            self.tx.push_back(t.payload);
        }
    }
}
