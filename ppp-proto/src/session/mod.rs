//! The PPP session: LCP, authentication and the NCPs, sequenced through the
//! phases of RFC 1661 §3.2 (Dead → Establish → Authenticate → Network →
//! Terminate), in either role.
//!
//! Input is one PPP frame (Protocol + information, as carried in a PPPoE
//! session frame); output is PPP frames ([`PppSession::poll_transmit`]) and
//! [`PppEvent`]s. See the crate docs for the drain order.
//!
//! Randomness (Magic-Numbers, CHAP challenges, IPv6 interface identifiers)
//! comes from a [`SeededRng`] passed to the calls that may need it, so that
//! an access concentrator with 10,000 sessions keeps one generator, not
//! 10,000.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::BufMut;
use sansio_primitives::{Instant, SeededRng, Transmit};

use crate::auth::AuthOutcome;
use crate::chap::{ChapAuthenticator, ChapPeer};
use crate::config::{PppConfig, Role};
use crate::fsm::{Action, Fsm, Received, Sink, State};
use crate::ipcp::{IpcpPolicy, Ipv4Assignment};
use crate::ipv6cp::Ipv6cpPolicy;
use crate::lcp::{self, LcpPolicy};
use crate::pap::{PapAuthenticator, PapPeer};
use crate::wire::chap::ChapPacket;
use crate::wire::cp::{CpBody, CpPacket};
use crate::wire::pap::PapPacket;
use crate::wire::{PppFrame, protocol};
use crate::{PppCommandError, PppDropped};

mod event;
mod phases;

pub use event::{Phase, PppCounters, PppDownReason, PppEvent};

#[derive(Debug, Clone)]
enum Auth {
    None,
    PapPeer(PapPeer),
    ChapPeer(ChapPeer),
    PapAuthenticator(PapAuthenticator),
    ChapAuthenticator(ChapAuthenticator),
}

type Layer = heapless::Deque<(u16, Action), 16>;

/// Collects what the automata send and their layer actions.
struct Out<'a> {
    tx: &'a mut VecDeque<Vec<u8>>,
    layer: &'a mut Layer,
}

impl Sink for Out<'_> {
    fn send(&mut self, protocol: u16, packet: Vec<u8>) {
        let mut f = Vec::with_capacity(2 + packet.len());
        f.put_u16(protocol);
        f.extend_from_slice(&packet);
        self.tx.push_back(f);
    }

    fn action(&mut self, protocol: u16, action: Action) {
        if matches!(
            action,
            Action::Tlu | Action::Tld | Action::Tls | Action::Tlf
        ) {
            // Processed after every automaton call; at most a handful queue up.
            let _ = self.layer.push_back((protocol, action));
        }
    }
}

/// One PPP session (one PPPoE session), peer or authenticator.
///
/// A session is used once: after [`PppEvent::Down`] it stays Dead; make a new
/// one for the next connection (carrying over, say, the last IPv4 address
/// and interface identifier in the new [`PppConfig`]).
#[derive(Debug)]
pub struct PppSession {
    config: PppConfig,
    phase: Phase,
    lcp: Fsm<LcpPolicy>,
    ipcp: Option<Fsm<IpcpPolicy>>,
    ipv6cp: Option<Fsm<Ipv6cpPolicy>>,
    auth: Auth,
    reason: Option<PppDownReason>,
    echo_deadline: Option<Instant>,
    /// The text of a Terminate-Request the peer sent while LCP was
    /// negotiating: the reason if the negotiation then fails.
    peer_terminated: Option<String>,
    /// LCP waits silently for the peer's request until then.
    silent_deadline: Option<Instant>,
    /// Identifier of our Echo-Requests and Protocol-Rejects.
    extra_id: u8,
    ipv4_rejected: bool,
    ipv6_rejected: bool,
    /// Ipv4Up was reported (and Ipv4Down not yet).
    ipv4_up: bool,
    /// Restarts of IPCP and IPv6CP after they failed to converge.
    ncp_restarts: [u8; 2],
    tx: VecDeque<Vec<u8>>,
    events: VecDeque<PppEvent>,
    layer: Layer,
    counters: PppCounters,
    /// Magic-Numbers, CHAP challenges, interface identifiers.
    rng: SeededRng,
}

impl PppSession {
    /// A session in the Dead phase, owning `rng` (Magic-Numbers, CHAP
    /// challenges, interface identifiers); [`PppSession::open`] starts it. No
    /// timer runs before `open`, so `now` sets no deadline (it is taken for
    /// the shape every machine of the workspace shares). The configuration
    /// cannot be invalid: no error.
    pub fn new(config: PppConfig, rng: SeededRng, _now: Instant) -> Self {
        let (authenticator, methods) = match &config.role {
            Role::Peer(p) => (false, p.accept),
            Role::Authenticator(a) => (true, a.methods),
        };
        let lcp = LcpPolicy::new(
            config.lcp.mru,
            authenticator,
            methods,
            config.lcp.timers.max_failure,
        );
        PppSession {
            lcp: Fsm::new(lcp, config.lcp.timers),
            config,
            phase: Phase::Dead,
            ipcp: None,
            ipv6cp: None,
            auth: Auth::None,
            reason: None,
            echo_deadline: None,
            silent_deadline: None,
            peer_terminated: None,
            extra_id: 0,
            ipv4_rejected: false,
            ipv6_rejected: false,
            ipv4_up: false,
            ncp_restarts: [0; 2],
            tx: VecDeque::new(),
            events: VecDeque::new(),
            layer: Layer::new(),
            counters: PppCounters::default(),
            rng,
        }
    }

    // ----- getters ---------------------------------------------------------

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// LCP's state.
    pub fn lcp_state(&self) -> State {
        self.lcp.state()
    }

    /// IPCP's state (`None` when not running).
    pub fn ipcp_state(&self) -> Option<State> {
        self.ipcp.as_ref().map(Fsm::state)
    }

    /// IPv6CP's state (`None` when not running).
    pub fn ipv6cp_state(&self) -> Option<State> {
        self.ipv6cp.as_ref().map(Fsm::state)
    }

    /// The peer's MRU: the MTU for frames we send.
    pub fn mtu(&self) -> u16 {
        self.lcp.policy.peer_mru()
    }

    /// Our Magic-Number.
    pub fn magic(&self) -> u32 {
        self.lcp.policy.magic()
    }

    /// Dropped-input counters.
    pub fn counters(&self) -> &PppCounters {
        &self.counters
    }

    /// Bytes this session holds: the machine itself plus the heap blocks
    /// it owns (queue capacity, names and secrets, a stored PAP/CHAP
    /// answer). Allocator overhead per block is not included.
    pub fn memory_footprint(&self) -> usize {
        let role = match &self.config.role {
            Role::Peer(p) => p.user.capacity() + p.password.expose().len(),
            Role::Authenticator(a) => a.name.capacity(),
        };
        let auth = match &self.auth {
            Auth::PapAuthenticator(a) => a.reply_capacity(),
            Auth::ChapAuthenticator(a) => a.reply_capacity(),
            _ => 0,
        };
        size_of::<Self>()
            + role
            + auth
            + self.tx.capacity() * size_of::<Vec<u8>>()
            + self.tx.iter().map(Vec::capacity).sum::<usize>()
            + self.events.capacity() * size_of::<PppEvent>()
    }

    // ----- commands ----------------------------------------------------------

    /// The lower layer is up (PPPoE session established): LCP starts.
    pub fn open(&mut self, now: Instant) {
        if self.phase != Phase::Dead || self.reason.is_some() {
            return;
        }
        self.phase = Phase::Establish;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.open(now, &mut self.rng, &mut out);
        match self.config.lcp.silent {
            Some(wait) => {
                self.lcp.up_silent(now, &mut self.rng, &mut out);
                self.silent_deadline = Some(now + wait);
            }
            None => self.lcp.up(now, &mut self.rng, &mut out),
        }
        self.process(now);
    }

    /// Closes the link: LCP Terminate-Request (saying "User request", as
    /// pppd), then [`PppEvent::Down`].
    pub fn close(&mut self, now: Instant) {
        self.close_with(now, PppDownReason::LocalClose);
        self.process(now);
    }

    /// Closes the link like [`PppSession::close`], the Terminate-Request
    /// saying `why` (e.g. "Session timeout"; at most
    /// [`MAX_TERMINATE_DATA`](crate::fsm::MAX_TERMINATE_DATA) bytes are
    /// sent).
    pub fn close_because(&mut self, now: Instant, why: &[u8]) {
        self.close_saying(now, PppDownReason::LocalClose, Some(why));
        self.process(now);
    }

    /// The lower layer is gone (PADT received): [`PppEvent::Down`] at once.
    pub fn lower_down(&mut self, now: Instant) {
        if self.phase == Phase::Dead {
            return;
        }
        self.reason.get_or_insert(PppDownReason::LowerDown);
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.down(&mut out);
        self.process(now);
        self.finish();
    }

    /// Authenticator: what the peer gets over IPCP (from RADIUS or a pool).
    /// Call before [`PppSession::accept`].
    pub fn set_ipv4_assignment(&mut self, assignment: Ipv4Assignment) {
        if let Role::Authenticator(a) = &mut self.config.role {
            a.ipv4 = Some(assignment);
        }
    }

    /// Authenticator: the interface identifier the peer must use over
    /// IPv6CP (RADIUS Framed-Interface-Id, RFC 3162 §2.2), or `None` for the
    /// peer's own choice. Call before [`PppSession::accept`]; it holds for
    /// every IPv6CP negotiation after that.
    pub fn set_ipv6_peer_ifid(&mut self, ifid: Option<u64>) {
        if let Role::Authenticator(a) = &mut self.config.role {
            a.ipv6_peer_ifid = ifid;
        }
    }

    /// Authenticator: accept the pending [`PppEvent::AuthRequest`], sending
    /// `message` in the Success/Authenticate-Ack; the Network phase starts.
    pub fn accept(&mut self, now: Instant, message: &[u8]) -> Result<(), PppCommandError> {
        self.verdict(now, true, message)
    }

    /// Authenticator: refuse the pending [`PppEvent::AuthRequest`]; the link
    /// closes after the Failure/Authenticate-Nak.
    pub fn reject(&mut self, now: Instant, message: &[u8]) -> Result<(), PppCommandError> {
        self.verdict(now, false, message)
    }

    fn verdict(
        &mut self,
        now: Instant,
        accept: bool,
        message: &[u8],
    ) -> Result<(), PppCommandError> {
        if self.phase != Phase::Authenticate {
            return Err(PppCommandError::InvalidState {
                what: "no authentication in progress",
            });
        }
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        match &mut self.auth {
            Auth::PapAuthenticator(a) => a.decide(accept, message, &mut out)?,
            Auth::ChapAuthenticator(a) => a.decide(accept, message, &mut out)?,
            _ => {
                return Err(PppCommandError::InvalidState {
                    what: "not the authenticator",
                });
            }
        }
        if accept {
            self.start_network(now);
        } else {
            self.close_with(now, PppDownReason::AuthFailed);
        }
        self.process(now);
        Ok(())
    }

    // ----- input -------------------------------------------------------------

    /// One received PPP frame. Malformed, unexpected or foreign frames are
    /// dropped with an `Err` (counted in [`PppSession::counters`]), state
    /// unchanged.
    pub fn handle_input(&mut self, now: Instant, frame: &[u8]) -> Result<(), PppDropped> {
        self.counters.received = self.counters.received.saturating_add(1);
        let r = self.input(now, frame);
        if let Err(e) = &r {
            self.counters.count(e);
        }
        self.process(now);
        r
    }

    fn input(&mut self, now: Instant, frame: &[u8]) -> Result<(), PppDropped> {
        if self.phase == Phase::Dead {
            return Err(PppDropped::Unexpected {
                what: "frame in the Dead phase",
            });
        }
        let f = PppFrame::parse(frame)?;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        match f.protocol {
            protocol::LCP => {
                let opened = self.lcp.state() == State::Opened;
                let r = self
                    .lcp
                    .handle_packet(now, f.payload, &mut self.rng, &mut out)?;
                // The packet is well formed (the automaton took it).
                let terminate = match CpPacket::parse(f.payload, true) {
                    Ok(CpPacket {
                        body: CpBody::TerminateRequest(data),
                        ..
                    }) => Some(terminate_text(data)),
                    _ => None,
                };
                if self.lcp.state() != State::Stopped {
                    // The peer spoke first: no fallback needed.
                    self.silent_deadline = None;
                }
                if let Some(message) = terminate {
                    if opened {
                        self.reason
                            .get_or_insert(PppDownReason::PeerTerminated { message });
                    } else {
                        // Negotiating: the automaton goes on (RFC 1661),
                        // but if it then fails, this is why.
                        self.peer_terminated = Some(message);
                    }
                }
                if let Received::ProtocolReject(p) = r {
                    self.protocol_rejected(now, p);
                }
                if self.lcp.policy.looped_back() {
                    self.close_with(now, PppDownReason::LoopedBack);
                } else if self.lcp.policy.auth_refused() {
                    self.close_with(now, PppDownReason::AuthRefused);
                }
                Ok(())
            }
            protocol::PAP | protocol::CHAP => self.auth_input(now, f),
            protocol::IPCP | protocol::IPV6CP if self.phase == Phase::Network => {
                let r = if f.protocol == protocol::IPCP {
                    self.ipcp
                        .as_mut()
                        .map(|n| n.handle_packet(now, f.payload, &mut self.rng, &mut out))
                } else {
                    self.ipv6cp
                        .as_mut()
                        .map(|n| n.handle_packet(now, f.payload, &mut self.rng, &mut out))
                };
                match r {
                    Some(r) => r.map(|_| ()),
                    None => {
                        self.send_protocol_reject(frame);
                        Ok(())
                    }
                }
            }
            protocol::IPV4 | protocol::IPV6 => Err(PppDropped::NotControl {
                protocol: f.protocol,
            }),
            protocol::IPCP | protocol::IPV6CP => Err(PppDropped::Unexpected {
                what: "NCP frame before the Network phase",
            }),
            _ if self.lcp.state() == State::Opened => {
                self.send_protocol_reject(frame);
                Ok(())
            }
            _ => Err(PppDropped::Unexpected {
                what: "frame of an unknown protocol before LCP is open",
            }),
        }
    }

    fn send_protocol_reject(&mut self, frame: &[u8]) {
        self.extra_id = self.extra_id.wrapping_add(1);
        let pkt = lcp::protocol_reject(self.extra_id, frame, usize::from(self.mtu()));
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        out.send(protocol::LCP, pkt);
    }

    fn auth_input(&mut self, now: Instant, f: PppFrame<'_>) -> Result<(), PppDropped> {
        let t = self.config.lcp.timers;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        let outcome = match (&mut self.auth, f.protocol, &self.config.role) {
            (Auth::PapPeer(p), protocol::PAP, _) => p.handle(&PapPacket::parse(f.payload)?)?,
            (Auth::PapAuthenticator(a), protocol::PAP, _) => {
                a.handle(now, &t, &PapPacket::parse(f.payload)?, &mut out)?
            }
            (Auth::ChapPeer(c), protocol::CHAP, Role::Peer(p)) => c.handle(
                now,
                &t,
                &ChapPacket::parse(f.payload)?,
                &p.user,
                &p.password,
                &mut out,
            )?,
            (Auth::ChapAuthenticator(a), protocol::CHAP, _) => {
                a.handle(now, &t, &ChapPacket::parse(f.payload)?, &mut out)?
            }
            _ => {
                return Err(PppDropped::Unexpected {
                    what: "authentication frame out of place",
                });
            }
        };
        self.auth_outcome(now, outcome);
        Ok(())
    }

    fn auth_outcome(&mut self, now: Instant, outcome: AuthOutcome) {
        match outcome {
            AuthOutcome::None => {}
            AuthOutcome::Success(message) => {
                self.events.push_back(PppEvent::AuthSucceeded { message });
                if self.phase == Phase::Authenticate {
                    self.start_network(now);
                }
            }
            AuthOutcome::Failure(message) => {
                self.events.push_back(PppEvent::AuthFailed { message });
                self.close_with(now, PppDownReason::AuthFailed);
            }
            AuthOutcome::Timeout => self.close_with(now, PppDownReason::AuthTimeout),
            AuthOutcome::Request { user, credential } => self
                .events
                .push_back(PppEvent::AuthRequest { user, credential }),
        }
    }

    // ----- timers ------------------------------------------------------------

    /// When [`PppSession::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let auth = match &self.auth {
            Auth::None => None,
            Auth::PapPeer(p) => p.poll_timeout(),
            Auth::ChapPeer(c) => c.poll_timeout(),
            Auth::PapAuthenticator(a) => a.poll_timeout(),
            Auth::ChapAuthenticator(a) => a.poll_timeout(),
        };
        [
            self.lcp.poll_timeout(),
            self.ipcp.as_ref().and_then(Fsm::poll_timeout),
            self.ipv6cp.as_ref().and_then(Fsm::poll_timeout),
            auth,
            self.echo_deadline,
            self.silent_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs every timer that is due; early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Dead {
            return;
        }
        let t = self.config.lcp.timers;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.handle_timeout(now, &mut self.rng, &mut out);
        if let Some(d) = self.silent_deadline
            && d <= now
        {
            self.silent_deadline = None;
            if self.lcp.state() == State::Stopped {
                // The peer stayed quiet: start actively (Down, Up).
                self.lcp.down(&mut out);
                self.lcp.up(now, &mut self.rng, &mut out);
            }
        }
        if let Some(n) = &mut self.ipcp {
            n.handle_timeout(now, &mut self.rng, &mut out);
        }
        if let Some(n) = &mut self.ipv6cp {
            n.handle_timeout(now, &mut self.rng, &mut out);
        }
        let outcome = match (&mut self.auth, &self.config.role) {
            (Auth::PapPeer(p), Role::Peer(c)) => {
                p.handle_timeout(now, &t, &c.user, &c.password, &mut out)
            }
            (Auth::ChapPeer(c), Role::Peer(p)) => c.handle_timeout(now, &t, &p.user, &mut out),
            (Auth::PapAuthenticator(a), _) => a.handle_timeout(now),
            (Auth::ChapAuthenticator(a), Role::Authenticator(c)) => {
                a.handle_timeout(now, &t, &c.name, &mut out)
            }
            _ => AuthOutcome::None,
        };
        self.auth_outcome(now, outcome);
        if let Some(d) = self.echo_deadline
            && d <= now
        {
            self.echo_tick(now);
        }
        self.process(now);
    }

    fn echo_tick(&mut self, now: Instant) {
        let Some(interval) = self.config.lcp.echo_interval else {
            self.echo_deadline = None;
            return;
        };
        if self.lcp.policy.echo_outstanding >= self.config.lcp.echo_failure {
            self.echo_deadline = None;
            self.close_with(now, PppDownReason::EchoTimeout);
            return;
        }
        self.lcp.policy.echo_outstanding += 1;
        self.extra_id = self.extra_id.wrapping_add(1);
        let pkt = lcp::echo_request(self.extra_id, self.lcp.policy.magic());
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        out.send(protocol::LCP, pkt);
        self.echo_deadline = Some(now + interval);
    }

    // ----- output ------------------------------------------------------------

    /// The next PPP frame to send (Protocol + information), for the PPPoE
    /// session framing.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<()>> {
        match self.tx.pop_front() {
            Some(payload) => {
                self.counters.transmitted = self.counters.transmitted.saturating_add(1);
                Some(Transmit {
                    destination: (),
                    payload,
                })
            }
            None => {
                // Idle sessions keep no queue memory.
                if self.tx.capacity() > 0 {
                    self.tx = VecDeque::new();
                }
                None
            }
        }
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<PppEvent> {
        let e = self.events.pop_front();
        if e.is_none() && self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        e
    }
}

/// The peer's Terminate-Request Data as text: bounded, lossily decoded.
fn terminate_text(data: &[u8]) -> String {
    let data = &data[..data.len().min(crate::fsm::MAX_TERMINATE_DATA)];
    String::from_utf8_lossy(data).into_owned()
}
