//! The PPPoE host (client) machine: discovery (RFC 2516 §5.1–§5.4, with
//! RFC 4638 PPP-Max-Payload) and the session's end (§5.5).
//!
//! ```text
//!  Discovering --PADO accepted--> Requesting --PADS ok--> Session --PADT / close()--> Closed
//!    ^  | PADI resent, timeout doubles      | PADR resent      |
//!    |  +-- attempts used up -----------------------------------+--> Failed (DiscoveryFailed)
//!    +------ PADR attempts used up: back to PADI (RFC 2516 §7) --+
//! ```
//!
//! - **Timers (RFC 2516 §7).** The host resends PADI when no PADO arrives in
//!   time, doubling the wait each time, and likewise resends PADR while
//!   waiting for a PADS; after [`PppoeClientConfig::max_padr_attempts`] PADRs it
//!   starts over with a PADI. The RFC gives no numbers: the defaults here
//!   are a 1 s first wait doubling up to 16 s, 5 PADIs and 3 PADRs
//!   (rp-pppoe uses 5 s and 3 PADIs; both are configurable). The
//!   wait after attempt *n* is `min(initial * 2^(n-1), max)`. When all PADI
//!   attempts are used, [`PppoeClientEvent::DiscoveryFailed`] reports it.
//! - **Choosing an AC.** The first PADO that passes the checks and the
//!   filters wins (as pppd's rp-pppoe plugin does): sent to our MAC from a
//!   unicast MAC, session id 0, our Host-Uniq, an AC-Name, no error tag, the
//!   configured AC-Name if any, and our Service-Name among its services when
//!   we asked for a specific one.
//! - **Dropped input** (counted in [`PppoeClient::counters`], state unchanged):
//!   frames not addressed to us, from another MAC than the chosen AC, with
//!   another Host-Uniq, or a PADT with another session id.
//! - **Host-Uniq** is 8 random bytes drawn from the injected [`SeededRng`]
//!   for each discovery.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use sansio_primitives::rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng, Transmit};

use crate::session::SessionFramer;
use crate::wire::{
    Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag, TagType,
};
use crate::{PppoeCommandError, PppoeConfigError, PppoeCounters, PppoeDropped};

/// Longest Service-Name or AC-Name accepted in the configuration.
pub const MAX_NAME_LEN: usize = 255;

/// How many distinct AC-Names of filtered-out PADOs are kept for
/// [`PppoeFailReason::NoMatchingOffer`].
pub const MAX_FILTERED_AC_NAMES: usize = 4;

/// What the host asks for and how patiently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PppoeClientConfig {
    /// Our MAC address.
    pub mac: EthernetAddress,
    /// The 802.1Q TCI to tag our frames with (and to require on received
    /// ones), if the link is a VLAN.
    pub vlan: Option<u16>,
    /// The Service-Name to request; empty means any service (RFC 2516 §5.1).
    pub service_name: Vec<u8>,
    /// Accept only PADOs with this AC-Name.
    pub ac_name: Option<Vec<u8>>,
    /// RFC 4638: the PPP-Max-Payload to request (e.g. 1500); `None` to not
    /// send the tag (the MTU/MRU is then 1492).
    pub ppp_max_payload: Option<u16>,
    /// Wait after the first PADI or PADR.
    pub initial_timeout: Duration,
    /// Cap of the doubling wait.
    pub max_timeout: Duration,
    /// PADIs sent in all before [`PppoeClientEvent::DiscoveryFailed`] (at least 1).
    pub max_padi_attempts: u32,
    /// PADRs sent to one AC before starting over with a PADI (at least 1).
    pub max_padr_attempts: u32,
}

impl PppoeClientConfig {
    /// Defaults: any service, any AC, no PPP-Max-Payload, 1 s doubling to
    /// 16 s, 5 PADIs, 3 PADRs.
    pub fn new(mac: EthernetAddress) -> Self {
        PppoeClientConfig {
            mac,
            vlan: None,
            service_name: Vec::new(),
            ac_name: None,
            ppp_max_payload: None,
            initial_timeout: Duration::from_secs(1),
            max_timeout: Duration::from_secs(16),
            max_padi_attempts: 5,
            max_padr_attempts: 3,
        }
    }

    /// The wait after attempt `n` (1-based).
    fn timeout(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.initial_timeout
            .checked_mul(factor)
            .unwrap_or(self.max_timeout)
            .min(self.max_timeout)
    }
}

/// Why discovery ended without a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PppoeFailReason {
    /// No PADO at all after all PADI attempts.
    NoOffer,
    /// PADOs came, but none passed the configured `ac_name` /
    /// `service_name` filters, after all PADI attempts.
    NoMatchingOffer {
        /// PADOs filtered out.
        offers: u32,
        /// Their AC-Names (distinct, the first [`MAX_FILTERED_AC_NAMES`]).
        ac_names: Vec<Vec<u8>>,
    },
    /// An AC was chosen but no PADS came, and the PADI attempts are used up.
    NoConfirmation,
    /// The PADS carried Service-Name-Error (with its text).
    ServiceNameError(Vec<u8>),
    /// The PADS carried AC-System-Error (with its text).
    AcSystemError(Vec<u8>),
    /// The PADS carried Generic-Error (with its text).
    GenericError(Vec<u8>),
    /// The PADS had session id 0 and no error tag.
    Refused,
    /// [`PppoeClient::close`] was called during discovery.
    Aborted,
}

/// Why an established session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PppoeDownReason {
    /// [`PppoeClient::close`]: we sent the PADT.
    Closed,
    /// The AC sent a PADT; the text of its error tag, if any (rp-pppoe puts a
    /// reason in a Generic-Error tag).
    PeerTerminated(Option<Vec<u8>>),
}

/// What the client reports to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PppoeClientEvent {
    /// Discovery succeeded: PPP may start on this session.
    SessionUp {
        /// The chosen AC's MAC.
        ac_mac: EthernetAddress,
        /// The SESSION_ID from the PADS.
        session_id: u16,
        /// RFC 4638: the PPP-Max-Payload both sides agreed on (the smaller of
        /// ours and the PADS's), or `None` when not negotiated (MTU 1492).
        ppp_max_payload: Option<u16>,
    },
    /// The session ended.
    SessionDown {
        /// Why.
        reason: PppoeDownReason,
    },
    /// Discovery ended without a session.
    DiscoveryFailed {
        /// Why.
        reason: PppoeFailReason,
    },
}

/// The client's state, as seen from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PppoeClientState {
    /// PADI sent, waiting for a PADO.
    Discovering,
    /// PADR sent to the chosen AC, waiting for its PADS.
    Requesting,
    /// A session is up.
    Session,
    /// Nothing going on: closed, ended by the AC, or discovery failed.
    Closed,
}

#[derive(Clone, Debug)]
struct Offer {
    ac: EthernetAddress,
    cookie: Option<Vec<u8>>,
    relay: Option<Vec<u8>>,
}

#[derive(Clone, Debug)]
enum State {
    Discovering,
    Requesting {
        offer: Offer,
        attempt: u32,
    },
    Session {
        ac: EthernetAddress,
        session_id: u16,
        mtu_payload: Option<u16>,
    },
    Closed,
}

/// The PPPoE client machine (see the module docs).
#[derive(Debug)]
pub struct PppoeClient {
    config: PppoeClientConfig,
    rng: SeededRng,
    host_uniq: [u8; 8],
    state: State,
    padi_sent: u32,
    /// PADOs that the `ac_name` / `service_name` filters refused, and
    /// their AC-Names: what the failure reason says.
    filtered: u32,
    filtered_names: Vec<Vec<u8>>,
    deadline: Option<Instant>,
    transmits: VecDeque<Transmit<EthernetAddress>>,
    events: VecDeque<PppoeClientEvent>,
    counters: PppoeCounters,
}

impl PppoeClient {
    /// A client that starts discovery at `now`: the first PADI is ready in
    /// [`Self::poll_transmit`].
    ///
    /// Fails with [`PppoeConfigError::TooLong`] when a configured name is longer
    /// than [`MAX_NAME_LEN`].
    pub fn new(
        config: PppoeClientConfig,
        rng: SeededRng,
        now: Instant,
    ) -> Result<Self, PppoeConfigError> {
        if config.service_name.len() > MAX_NAME_LEN {
            return Err(PppoeConfigError::TooLong {
                tag: TagType::ServiceName,
            });
        }
        if config
            .ac_name
            .as_ref()
            .is_some_and(|n| n.len() > MAX_NAME_LEN)
        {
            return Err(PppoeConfigError::TooLong {
                tag: TagType::AcName,
            });
        }
        let mut c = PppoeClient {
            config,
            rng,
            host_uniq: [0; 8],
            state: State::Closed,
            padi_sent: 0,
            filtered: 0,
            filtered_names: Vec::new(),
            deadline: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: PppoeCounters::default(),
        };
        c.start(now);
        Ok(c)
    }

    fn start(&mut self, now: Instant) {
        self.rng.fill_bytes(&mut self.host_uniq);
        self.padi_sent = 0;
        self.send_padi(now);
    }

    /// Starts a new discovery (fresh Host-Uniq) after the last one ended.
    /// [`PppoeCommandError::InvalidState`] while discovery or a session is under way.
    pub fn reconnect(&mut self, now: Instant) -> Result<(), PppoeCommandError> {
        match self.state {
            State::Closed => {
                self.start(now);
                Ok(())
            }
            _ => Err(PppoeCommandError::InvalidState),
        }
    }

    /// The current state.
    pub fn state(&self) -> PppoeClientState {
        match self.state {
            State::Discovering => PppoeClientState::Discovering,
            State::Requesting { .. } => PppoeClientState::Requesting,
            State::Session { .. } => PppoeClientState::Session,
            State::Closed => PppoeClientState::Closed,
        }
    }

    /// The Host-Uniq of the current (or last) discovery.
    pub fn host_uniq(&self) -> &[u8] {
        &self.host_uniq
    }

    /// The counters of dropped input, per reason.
    pub fn counters(&self) -> &PppoeCounters {
        &self.counters
    }

    /// The configuration.
    pub fn config(&self) -> &PppoeClientConfig {
        &self.config
    }

    /// The data-path framer of the established session (our MAC, the AC's,
    /// the session id, the MTU), for [`crate::session`].
    pub fn session_framer(&self) -> Option<SessionFramer> {
        match self.state {
            State::Session {
                ac,
                session_id,
                mtu_payload,
            } => Some(
                SessionFramer::new(self.config.mac, ac, session_id)
                    .with_vlan(self.config.vlan)
                    .with_ppp_max_payload(mtu_payload),
            ),
            _ => None,
        }
    }

    fn ethernet(&self, dst: EthernetAddress) -> EthernetRepr {
        EthernetRepr {
            vlan: self.config.vlan,
            ..EthernetRepr::discovery(dst, self.config.mac)
        }
    }

    fn send_padi(&mut self, now: Instant) {
        self.padi_sent += 1;
        let mut p = DiscoveryRepr::new(Code::Padi, 0);
        // Lengths were checked in `new`; these pushes cannot fail.
        let _ = p.push(Tag::ServiceName(&self.config.service_name));
        let _ = p.push(Tag::HostUniq(&self.host_uniq));
        if let Some(m) = self.config.ppp_max_payload {
            let _ = p.push(Tag::PppMaxPayload(m));
        }
        let frame = DiscoveryFrame::new(self.ethernet(EthernetAddress::BROADCAST), p).to_vec();
        self.transmits.push_back(Transmit {
            destination: EthernetAddress::BROADCAST,
            payload: frame,
        });
        self.state = State::Discovering;
        self.deadline = Some(now + self.config.timeout(self.padi_sent));
    }

    fn send_padr(&mut self, now: Instant, offer: Offer, attempt: u32) {
        let mut p = DiscoveryRepr::new(Code::Padr, 0);
        let _ = p.push(Tag::ServiceName(&self.config.service_name));
        let _ = p.push(Tag::HostUniq(&self.host_uniq));
        if let Some(c) = &offer.cookie {
            let _ = p.push(Tag::AcCookie(c));
        }
        if let Some(r) = &offer.relay {
            let _ = p.push(Tag::RelaySessionId(r));
        }
        if let Some(m) = self.config.ppp_max_payload {
            let _ = p.push(Tag::PppMaxPayload(m));
        }
        let frame = DiscoveryFrame::new(self.ethernet(offer.ac), p).to_vec();
        self.transmits.push_back(Transmit {
            destination: offer.ac,
            payload: frame,
        });
        self.deadline = Some(now + self.config.timeout(attempt));
        self.state = State::Requesting { offer, attempt };
    }

    fn fail(&mut self, reason: PppoeFailReason) {
        self.state = State::Closed;
        self.deadline = None;
        self.events
            .push_back(PppoeClientEvent::DiscoveryFailed { reason });
    }

    /// One received Ethernet frame (ethertype 0x8863; without FCS).
    ///
    /// `Err` means the frame was dropped: malformed, not addressed to us, or
    /// not expected now. The drop is counted per reason and the state is
    /// unchanged.
    pub fn handle_input(&mut self, now: Instant, frame: &[u8]) -> Result<(), PppoeDropped> {
        self.counters.received = self.counters.received.saturating_add(1);
        let r = self.input(now, frame);
        if let Err(e) = r {
            self.counters.count(e);
        }
        r
    }

    fn input(&mut self, now: Instant, frame: &[u8]) -> Result<(), PppoeDropped> {
        let f = DiscoveryFrame::parse(frame)?;
        if f.ethernet.dst != self.config.mac
            || f.ethernet.vlan.map(|t| t & 0x0fff) != self.config.vlan.map(|t| t & 0x0fff)
        {
            return Err(PppoeDropped::NotForUs);
        }
        let p = &f.pppoe;
        let src = f.ethernet.src;
        match (p.code, &self.state) {
            (Code::Pado, State::Discovering) => {
                if !src.is_unicast() {
                    return Err(PppoeDropped::WrongPeer);
                }
                if p.session_id != 0 {
                    return Err(PppoeDropped::WrongSessionId(p.session_id));
                }
                self.check_host_uniq(p)?;
                let ac_name = p.ac_name().ok_or(PppoeDropped::MissingTag {
                    tag: TagType::AcName,
                })?;
                if p.error().is_some() {
                    return Err(PppoeDropped::OfferNotWanted);
                }
                let want = self.config.service_name.as_slice();
                let wrong_ac = self
                    .config
                    .ac_name
                    .as_ref()
                    .is_some_and(|w| w.as_slice() != ac_name);
                if wrong_ac || (!want.is_empty() && !p.service_names().any(|s| s == want)) {
                    self.filtered = self.filtered.saturating_add(1);
                    if self.filtered_names.len() < MAX_FILTERED_AC_NAMES
                        && !self.filtered_names.iter().any(|n| n == ac_name)
                    {
                        self.filtered_names.push(ac_name.to_vec());
                    }
                    return Err(PppoeDropped::OfferNotWanted);
                }
                let offer = Offer {
                    ac: src,
                    cookie: p.ac_cookie().map(<[u8]>::to_vec),
                    relay: p.relay_session_id().map(<[u8]>::to_vec),
                };
                self.send_padr(now, offer, 1);
                Ok(())
            }
            (Code::Pads, State::Requesting { offer, .. }) => {
                if src != offer.ac {
                    return Err(PppoeDropped::WrongPeer);
                }
                self.check_host_uniq(p)?;
                if let Some(err) = p.error() {
                    let text = err.value().unwrap_or(&[]).to_vec();
                    let reason = match err.ty() {
                        TagType::ServiceNameError => PppoeFailReason::ServiceNameError(text),
                        TagType::AcSystemError => PppoeFailReason::AcSystemError(text),
                        _ => PppoeFailReason::GenericError(text),
                    };
                    self.fail(reason);
                    return Ok(());
                }
                if p.session_id == 0 {
                    self.fail(PppoeFailReason::Refused);
                    return Ok(());
                }
                let ppp_max_payload = match (self.config.ppp_max_payload, p.ppp_max_payload()) {
                    (Some(ours), Some(theirs)) => Some(ours.min(theirs)),
                    _ => None,
                };
                let ac = offer.ac;
                self.state = State::Session {
                    ac,
                    session_id: p.session_id,
                    mtu_payload: ppp_max_payload,
                };
                self.deadline = None;
                self.events.push_back(PppoeClientEvent::SessionUp {
                    ac_mac: ac,
                    session_id: p.session_id,
                    ppp_max_payload,
                });
                Ok(())
            }
            (Code::Padt, State::Session { ac, session_id, .. }) => {
                if src != *ac {
                    return Err(PppoeDropped::WrongPeer);
                }
                if p.session_id != *session_id {
                    return Err(PppoeDropped::WrongSessionId(p.session_id));
                }
                let text = p.error().and_then(|t| t.value()).map(<[u8]>::to_vec);
                self.state = State::Closed;
                self.events.push_back(PppoeClientEvent::SessionDown {
                    reason: PppoeDownReason::PeerTerminated(text),
                });
                Ok(())
            }
            (code, _) => Err(PppoeDropped::UnexpectedCode(code)),
        }
    }

    fn check_host_uniq(&self, p: &DiscoveryRepr<'_>) -> Result<(), PppoeDropped> {
        if p.host_uniq() == Some(&self.host_uniq[..]) {
            Ok(())
        } else {
            Err(PppoeDropped::WrongHostUniq)
        }
    }

    /// Call when [`Self::poll_timeout`] has passed; early or repeated calls
    /// do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.deadline {
            Some(d) if now >= d => {}
            _ => return,
        }
        match &self.state {
            State::Discovering => {
                if self.padi_sent >= self.config.max_padi_attempts {
                    let reason = match self.filtered {
                        0 => PppoeFailReason::NoOffer,
                        offers => PppoeFailReason::NoMatchingOffer {
                            offers,
                            ac_names: core::mem::take(&mut self.filtered_names),
                        },
                    };
                    self.fail(reason);
                } else {
                    self.send_padi(now);
                }
            }
            State::Requesting { offer, attempt } => {
                let (offer, attempt) = (offer.clone(), *attempt);
                if attempt < self.config.max_padr_attempts {
                    self.send_padr(now, offer, attempt + 1);
                } else if self.padi_sent < self.config.max_padi_attempts {
                    self.send_padi(now);
                } else {
                    self.fail(PppoeFailReason::NoConfirmation);
                }
            }
            State::Session { .. } | State::Closed => self.deadline = None,
        }
    }

    /// Ends discovery or the session. In a session, a PADT goes to the AC and
    /// [`PppoeClientEvent::SessionDown`] reports [`PppoeDownReason::Closed`]; during
    /// discovery, [`PppoeClientEvent::DiscoveryFailed`] reports
    /// [`PppoeFailReason::Aborted`]. [`PppoeCommandError::InvalidState`] when already closed.
    pub fn close(&mut self, _now: Instant) -> Result<(), PppoeCommandError> {
        match self.state {
            State::Session { ac, session_id, .. } => {
                let mut p = DiscoveryRepr::new(Code::Padt, session_id);
                let _ = p.push(Tag::HostUniq(&self.host_uniq));
                let payload = DiscoveryFrame::new(self.ethernet(ac), p).to_vec();
                self.transmits.push_back(Transmit {
                    destination: ac,
                    payload,
                });
                self.state = State::Closed;
                self.events.push_back(PppoeClientEvent::SessionDown {
                    reason: PppoeDownReason::Closed,
                });
                Ok(())
            }
            State::Discovering | State::Requesting { .. } => {
                self.fail(PppoeFailReason::Aborted);
                Ok(())
            }
            State::Closed => Err(PppoeCommandError::InvalidState),
        }
    }

    /// The next frame to send (a whole Ethernet frame, destination MAC
    /// beside it). Drain before [`Self::poll_event`].
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<EthernetAddress>> {
        let t = self.transmits.pop_front()?;
        self.counters.transmitted = self.counters.transmitted.saturating_add(1);
        Some(t)
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PppoeClientEvent> {
        self.events.pop_front()
    }

    /// When to call [`Self::handle_timeout`] next; read it last.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_doubles_and_caps() {
        let c = PppoeClientConfig::new(EthernetAddress::default());
        let secs: Vec<u64> = (1..=7).map(|n| c.timeout(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 16, 16]);
        assert_eq!(c.timeout(200), Duration::from_secs(16));
    }
}
