//! The home router's WAN link: PPPoE discovery, then a PPP peer session in
//! it, as one Sans-IO machine over Ethernet frames.

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use ppp_proto::{PppConfig, PppEvent, PppSession};
use pppoe_proto::{PppoeClient, PppoeClientConfig, PppoeClientEvent, SessionFramer};
use sansio_primitives::{Instant, SeededRng};

use crate::{
    ETH_P_PPP_DISC, ETH_P_PPP_SES, LinkCounters, LinkDropped, LinkError, PPP_IPV4, PPP_IPV6,
    encapsulate, ethertype,
};

/// What the link reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientLinkEvent {
    /// From PPPoE discovery (SessionUp, SessionDown, DiscoveryFailed).
    Pppoe(PppoeClientEvent),
    /// From the PPP session (LinkUp, AuthSucceeded, Ipv4Up, Ipv6Up, Down...).
    Ppp(PppEvent),
}

/// PPPoE client + PPP peer. Drain order as every machine here: after each
/// `handle_*` or command, [`poll_transmit`](Self::poll_transmit) then
/// [`poll_event`](Self::poll_event) until `None`, then read
/// [`poll_timeout`](Self::poll_timeout).
#[derive(Debug)]
pub struct ClientLink {
    pppoe: PppoeClient,
    ppp: Option<(PppSession, SessionFramer)>,
    ppp_config: PppConfig,
    rng: SeededRng,
    tx: VecDeque<Vec<u8>>,
    counters: LinkCounters,
    events: VecDeque<ClientLinkEvent>,
}

impl ClientLink {
    /// Starts discovery at once.
    pub fn new(
        pppoe: PppoeClientConfig,
        ppp: PppConfig,
        mut rng: SeededRng,
        now: Instant,
    ) -> Result<Self, LinkError> {
        let pppoe = PppoeClient::new(pppoe, rng.fork(), now).map_err(LinkError::PppoeConfig)?;
        let mut link = ClientLink {
            pppoe,
            ppp: None,
            ppp_config: ppp,
            rng,
            tx: VecDeque::new(),
            counters: LinkCounters::default(),
            events: VecDeque::new(),
        };
        link.pump(now);
        Ok(link)
    }

    /// One received Ethernet frame. `Ok(Some(range))` is an IP packet of the
    /// session (`frame[range]` holds PPP protocol + packet) for the data
    /// path; `Ok(None)` was control traffic, consumed.
    pub fn handle_input(
        &mut self,
        now: Instant,
        frame: &[u8],
    ) -> Result<Option<Range<usize>>, LinkDropped> {
        let result = self.dispatch(now, frame);
        self.counters.count_input(&result);
        result
    }

    /// [`handle_input`](Self::handle_input) before counting.
    fn dispatch(
        &mut self,
        now: Instant,
        frame: &[u8],
    ) -> Result<Option<Range<usize>>, LinkDropped> {
        let result = match ethertype(frame) {
            Some(ETH_P_PPP_DISC) => self
                .pppoe
                .handle_input(now, frame)
                .map(|()| None)
                .map_err(LinkDropped::Pppoe),
            Some(ETH_P_PPP_SES) => {
                let Some((session, framer)) = &mut self.ppp else {
                    return Err(LinkDropped::NoSession);
                };
                let range = framer.decapsulate(frame).map_err(LinkDropped::Pppoe)?;
                let ppp_frame = &frame[range.clone()];
                match ppp_frame {
                    [a, b, ..] if matches!(u16::from_be_bytes([*a, *b]), PPP_IPV4 | PPP_IPV6) => {
                        Ok(Some(range))
                    }
                    _ => session
                        .handle_input(now, ppp_frame)
                        .map(|()| None)
                        .map_err(LinkDropped::Ppp),
                }
            }
            _ => Err(LinkDropped::NotPppoe),
        };
        self.pump(now);
        result
    }

    /// Runs due timers; early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.pppoe.handle_timeout(now);
        if let Some((s, _)) = &mut self.ppp {
            s.handle_timeout(now);
        }
        self.pump(now);
    }

    /// Hangs up: LCP Terminate, then PADT once PPP is down (or PADT at once
    /// while still in discovery).
    pub fn close(&mut self, now: Instant) {
        match &mut self.ppp {
            Some((s, _)) => s.close(now),
            None => {
                let _ = self.pppoe.close(now);
            }
        }
        self.pump(now);
    }

    /// Writes an IP packet of `protocol` ([`PPP_IPV4`] or [`PPP_IPV6`]) as a
    /// session frame into `buf`; its length.
    pub fn encapsulate_data(
        &self,
        protocol: u16,
        packet: &[u8],
        buf: &mut [u8],
    ) -> Result<usize, LinkError> {
        let (_, framer) = self.ppp.as_ref().ok_or(LinkError::NoSession)?;
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
    pub fn poll_event(&mut self) -> Option<ClientLinkEvent> {
        self.events.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ppp = self.ppp.as_ref().and_then(|(s, _)| s.poll_timeout());
        [self.pppoe.poll_timeout(), ppp].into_iter().flatten().min()
    }

    /// The session's framing (ids, MACs, the MTU LCP agreed), once
    /// discovery has succeeded: what a data path running beside this
    /// machine (another thread) needs to frame and check data frames.
    pub fn session_framer(&self) -> Option<SessionFramer> {
        self.ppp.as_ref().map(|(_, f)| *f)
    }

    /// The PPP session, once discovery has succeeded.
    pub fn session(&self) -> Option<&PppSession> {
        self.ppp.as_ref().map(|(s, _)| s)
    }

    /// The PPPoE client.
    pub fn pppoe(&self) -> &PppoeClient {
        &self.pppoe
    }

    /// Moves frames and events out of both machines, starting PPP when the
    /// PPPoE session comes up and ending PPPoE when PPP goes down.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.pppoe.poll_transmit(now) {
                self.tx.push_back(t.payload);
                progressed = true;
            }
            while let Some(e) = self.pppoe.poll_event() {
                match &e {
                    PppoeClientEvent::SessionUp { .. } => {
                        if let Some(framer) = self.pppoe.session_framer() {
                            let config = crate::session_config(&self.ppp_config, &framer);
                            let mut s = PppSession::new(config, self.rng.fork(), now);
                            s.open(now);
                            self.ppp = Some((s, framer));
                        }
                    }
                    PppoeClientEvent::SessionDown { .. } => {
                        if let Some((s, _)) = &mut self.ppp {
                            s.lower_down(now);
                        }
                    }
                    PppoeClientEvent::DiscoveryFailed { .. } => {}
                }
                self.events.push_back(ClientLinkEvent::Pppoe(e));
                progressed = true;
            }
            if let Some((s, framer)) = &mut self.ppp {
                while let Some(t) = s.poll_transmit(now) {
                    let mut buf = vec![0u8; framer.header_len() + t.payload.len()];
                    buf[framer.header_len()..].copy_from_slice(&t.payload);
                    // A control frame longer than the MTU is a bug of ours,
                    // not of the peer; drop it rather than crash the router.
                    if let Ok(n) = framer.encapsulate(&mut buf, t.payload.len()) {
                        buf.truncate(n);
                        self.tx.push_back(buf);
                    }
                    progressed = true;
                }
                let mut down = false;
                // What PPPoE carries: the PPPoE session's own framer, since
                // `framer` holds the MTU of the last LinkUp.
                let payload = self
                    .pppoe
                    .session_framer()
                    .map_or(framer.mtu(), |f| f.mtu());
                while let Some(e) = s.poll_event() {
                    let e = crate::apply_link_up(e, framer, payload);
                    down |= matches!(e, PppEvent::Down { .. });
                    self.events.push_back(ClientLinkEvent::Ppp(e));
                    progressed = true;
                }
                if down {
                    // PPP is over: release the PPPoE session too (PADT).
                    let _ = self.pppoe.close(now);
                    self.ppp = None;
                }
            }
            if !progressed {
                return;
            }
        }
    }
}
