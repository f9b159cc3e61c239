//! The PPP session: LCP, authentication and the NCPs, sequenced through the
//! phases of RFC 1661 §3.2 (Dead → Establish → Authenticate → Network →
//! Terminate), in either role.
//!
//! Input is one PPP frame (Protocol + information, as carried in a PPPoE
//! session frame); output is PPP frames ([`Session::poll_transmit`]) and
//! [`Event`]s. See the crate docs for the drain order.
//!
//! Randomness (Magic-Numbers, CHAP challenges, IPv6 interface identifiers)
//! comes from a [`SeededRng`] passed to the calls that may need it, so that
//! an access concentrator with 10,000 sessions keeps one generator, not
//! 10,000.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use bytes::BufMut;
use proto_core::{Instant, SeededRng, Transmit};

use crate::Error;
use crate::auth::{AuthOutcome, Credential};
use crate::chap::{ChapAuthenticator, ChapPeer};
use crate::config::{Config, Role};
use crate::fsm::{Action, Fsm, Received, Sink, State};
use crate::ipcp::{IpcpPolicy, Ipv4Assignment};
use crate::ipv6cp::Ipv6cpPolicy;
use crate::lcp::{self, AuthMethod, LcpPolicy};
use crate::pap::{PapAuthenticator, PapPeer};
use crate::wire::chap::ChapPacket;
use crate::wire::pap::PapPacket;
use crate::wire::{PppFrame, protocol};

/// The link phases of RFC 1661 §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No link (before [`Session::open`], after [`Event::Down`]).
    Dead,
    /// LCP is negotiating.
    Establish,
    /// PAP or CHAP is running.
    Authenticate,
    /// The NCPs (IPCP, IPv6CP) run.
    Network,
    /// LCP is terminating.
    Terminate,
}

/// Why the session went down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownReason {
    /// [`Session::close`].
    LocalClose,
    /// The peer sent an LCP Terminate-Request.
    PeerTerminated,
    /// [`Session::lower_down`] (PPPoE PADT, carrier loss).
    LowerDown,
    /// Echo-Requests went unanswered (`echo_failure` in a row).
    EchoTimeout,
    /// LCP did not converge (Max-Configure/Max-Failure, catastrophic
    /// Code-/Protocol-Reject).
    NegotiationFailed,
    /// The authenticator refused us, or the application refused the peer.
    AuthFailed,
    /// Authentication did not complete in time.
    AuthTimeout,
    /// The peer rejected the Authentication-Protocol we require.
    AuthRefused,
    /// Our Magic-Number kept coming back: the link is looped back.
    LoopedBack,
    /// IPv6 is required and IPv6CP went down or was rejected.
    Ipv6Lost,
    /// No network protocol is left running.
    NoNetworkProtocols,
}

/// What the session reports to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// LCP is open: send frames of at most `mtu` bytes (the peer's MRU).
    LinkUp {
        /// The peer's MRU.
        mtu: u16,
    },
    /// Authenticator: judge this credential, then call [`Session::accept`]
    /// or [`Session::reject`].
    AuthRequest {
        /// The peer's user name.
        user: Vec<u8>,
        /// What it presented.
        credential: Credential,
    },
    /// Peer: the authenticator accepted us.
    AuthSucceeded {
        /// Its message.
        message: Vec<u8>,
    },
    /// Peer: the authenticator refused us (the session then closes).
    AuthFailed {
        /// Its message.
        message: Vec<u8>,
    },
    /// IPCP is open.
    Ipv4Up {
        /// Our address.
        local: Ipv4Addr,
        /// The peer's address.
        peer: Ipv4Addr,
        /// DNS servers (RFC 1877).
        dns: [Option<Ipv4Addr>; 2],
    },
    /// IPCP left the Opened state.
    Ipv4Down,
    /// IPv6CP is open.
    Ipv6Up {
        /// Our interface identifier.
        local_ifid: u64,
        /// The peer's interface identifier.
        peer_ifid: u64,
    },
    /// IPv6CP left the Opened state.
    Ipv6Down,
    /// The peer Protocol-Rejected an NCP (e.g. IPv6CP): it stays off.
    ProtocolRejected {
        /// The rejected protocol.
        protocol: u16,
    },
    /// The session is over (phase Dead); release the lower layer.
    Down {
        /// Why.
        reason: DownReason,
    },
}

/// Dropped-input counters, one per [`Error`] kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    dropped: [u32; Error::KINDS],
}

impl Counters {
    /// Inputs dropped for reasons of this kind.
    pub fn dropped(&self, kind: &Error) -> u32 {
        self.dropped[kind.kind_index()]
    }

    /// All dropped inputs.
    pub fn total(&self) -> u32 {
        self.dropped.iter().fold(0u32, |a, b| a.saturating_add(*b))
    }
}

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
#[derive(Debug)]
pub struct Session {
    config: Config,
    phase: Phase,
    lcp: Fsm<LcpPolicy>,
    ipcp: Option<Fsm<IpcpPolicy>>,
    ipv6cp: Option<Fsm<Ipv6cpPolicy>>,
    auth: Auth,
    reason: Option<DownReason>,
    echo_deadline: Option<Instant>,
    /// Identifier of our Echo-Requests and Protocol-Rejects.
    extra_id: u8,
    ipv4_rejected: bool,
    ipv6_rejected: bool,
    /// Ipv4Up was reported (and Ipv4Down not yet).
    ipv4_up: bool,
    tx: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    layer: Layer,
    counters: Counters,
}

impl Session {
    /// A session in the Dead phase; [`Session::open`] starts it.
    pub fn new(config: Config, _now: Instant) -> Self {
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
        Session {
            lcp: Fsm::new(lcp, config.lcp.timers),
            config,
            phase: Phase::Dead,
            ipcp: None,
            ipv6cp: None,
            auth: Auth::None,
            reason: None,
            echo_deadline: None,
            extra_id: 0,
            ipv4_rejected: false,
            ipv6_rejected: false,
            ipv4_up: false,
            tx: VecDeque::new(),
            events: VecDeque::new(),
            layer: Layer::new(),
            counters: Counters::default(),
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
    pub fn counters(&self) -> &Counters {
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
            + self.events.capacity() * size_of::<Event>()
    }

    // ----- commands ----------------------------------------------------------

    /// The lower layer is up (PPPoE session established): LCP starts.
    pub fn open(&mut self, now: Instant, rng: &mut SeededRng) {
        if self.phase != Phase::Dead || self.reason.is_some() {
            return;
        }
        self.phase = Phase::Establish;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.open(now, rng, &mut out);
        self.lcp.up(now, rng, &mut out);
        self.process(now, rng);
    }

    /// Closes the link: LCP Terminate-Request, then [`Event::Down`].
    pub fn close(&mut self, now: Instant, rng: &mut SeededRng) {
        self.close_with(now, DownReason::LocalClose);
        self.process(now, rng);
    }

    /// The lower layer is gone (PADT received): [`Event::Down`] at once.
    pub fn lower_down(&mut self, now: Instant, rng: &mut SeededRng) {
        if self.phase == Phase::Dead {
            return;
        }
        self.reason.get_or_insert(DownReason::LowerDown);
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.down(&mut out);
        self.process(now, rng);
        self.finish();
    }

    /// Authenticator: what the peer gets over IPCP (from RADIUS or a pool).
    /// Call before [`Session::accept`].
    pub fn set_ipv4_assignment(&mut self, assignment: Ipv4Assignment) {
        if let Role::Authenticator(a) = &mut self.config.role {
            a.ipv4 = Some(assignment);
        }
    }

    /// Authenticator: accept the pending [`Event::AuthRequest`], sending
    /// `message` in the Success/Authenticate-Ack; the Network phase starts.
    pub fn accept(
        &mut self,
        now: Instant,
        rng: &mut SeededRng,
        message: &[u8],
    ) -> Result<(), Error> {
        self.verdict(now, rng, true, message)
    }

    /// Authenticator: refuse the pending [`Event::AuthRequest`]; the link
    /// closes after the Failure/Authenticate-Nak.
    pub fn reject(
        &mut self,
        now: Instant,
        rng: &mut SeededRng,
        message: &[u8],
    ) -> Result<(), Error> {
        self.verdict(now, rng, false, message)
    }

    fn verdict(
        &mut self,
        now: Instant,
        rng: &mut SeededRng,
        accept: bool,
        message: &[u8],
    ) -> Result<(), Error> {
        if self.phase != Phase::Authenticate {
            return Err(Error::InvalidState {
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
                return Err(Error::InvalidState {
                    what: "not the authenticator",
                });
            }
        }
        if accept {
            self.start_network(now, rng);
        } else {
            self.close_with(now, DownReason::AuthFailed);
        }
        self.process(now, rng);
        Ok(())
    }

    // ----- input -------------------------------------------------------------

    /// One received PPP frame. Malformed, unexpected or foreign frames are
    /// dropped with an `Err` (counted in [`Session::counters`]), state
    /// unchanged.
    pub fn handle_input(
        &mut self,
        now: Instant,
        frame: &[u8],
        rng: &mut SeededRng,
    ) -> Result<(), Error> {
        let r = self.input(now, frame, rng);
        if let Err(e) = &r {
            let c = &mut self.counters.dropped[e.kind_index()];
            *c = c.saturating_add(1);
        }
        self.process(now, rng);
        r
    }

    fn input(&mut self, now: Instant, frame: &[u8], rng: &mut SeededRng) -> Result<(), Error> {
        if self.phase == Phase::Dead {
            return Err(Error::Unexpected {
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
                let terminate = f.payload.first() == Some(&5) && self.lcp.state() == State::Opened;
                let r = self.lcp.handle_packet(now, f.payload, rng, &mut out)?;
                if terminate {
                    self.reason.get_or_insert(DownReason::PeerTerminated);
                }
                if let Received::ProtocolReject(p) = r {
                    self.protocol_rejected(now, p);
                }
                if self.lcp.policy.looped_back() {
                    self.close_with(now, DownReason::LoopedBack);
                } else if self.lcp.policy.auth_refused() {
                    self.close_with(now, DownReason::AuthRefused);
                }
                Ok(())
            }
            protocol::PAP | protocol::CHAP => self.auth_input(now, f, rng),
            protocol::IPCP | protocol::IPV6CP if self.phase == Phase::Network => {
                let r = if f.protocol == protocol::IPCP {
                    self.ipcp
                        .as_mut()
                        .map(|n| n.handle_packet(now, f.payload, rng, &mut out))
                } else {
                    self.ipv6cp
                        .as_mut()
                        .map(|n| n.handle_packet(now, f.payload, rng, &mut out))
                };
                match r {
                    Some(r) => r.map(|_| ()),
                    None => {
                        self.send_protocol_reject(frame);
                        Ok(())
                    }
                }
            }
            protocol::IPV4 | protocol::IPV6 => Err(Error::NotControl {
                protocol: f.protocol,
            }),
            protocol::IPCP | protocol::IPV6CP => Err(Error::Unexpected {
                what: "NCP frame before the Network phase",
            }),
            _ if self.lcp.state() == State::Opened => {
                self.send_protocol_reject(frame);
                Ok(())
            }
            _ => Err(Error::Unexpected {
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

    fn auth_input(
        &mut self,
        now: Instant,
        f: PppFrame<'_>,
        rng: &mut SeededRng,
    ) -> Result<(), Error> {
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
                return Err(Error::Unexpected {
                    what: "authentication frame out of place",
                });
            }
        };
        self.auth_outcome(now, rng, outcome);
        Ok(())
    }

    fn auth_outcome(&mut self, now: Instant, rng: &mut SeededRng, outcome: AuthOutcome) {
        match outcome {
            AuthOutcome::None => {}
            AuthOutcome::Success(message) => {
                self.events.push_back(Event::AuthSucceeded { message });
                if self.phase == Phase::Authenticate {
                    self.start_network(now, rng);
                }
            }
            AuthOutcome::Failure(message) => {
                self.events.push_back(Event::AuthFailed { message });
                self.close_with(now, DownReason::AuthFailed);
            }
            AuthOutcome::Timeout => self.close_with(now, DownReason::AuthTimeout),
            AuthOutcome::Request { user, credential } => self
                .events
                .push_back(Event::AuthRequest { user, credential }),
        }
    }

    // ----- timers ------------------------------------------------------------

    /// When [`Session::handle_timeout`] must be called next.
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
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs every timer that is due; early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut SeededRng) {
        if self.phase == Phase::Dead {
            return;
        }
        let t = self.config.lcp.timers;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.handle_timeout(now, rng, &mut out);
        if let Some(n) = &mut self.ipcp {
            n.handle_timeout(now, rng, &mut out);
        }
        if let Some(n) = &mut self.ipv6cp {
            n.handle_timeout(now, rng, &mut out);
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
        self.auth_outcome(now, rng, outcome);
        if let Some(d) = self.echo_deadline
            && d <= now
        {
            self.echo_tick(now);
        }
        self.process(now, rng);
    }

    fn echo_tick(&mut self, now: Instant) {
        let Some(interval) = self.config.lcp.echo_interval else {
            self.echo_deadline = None;
            return;
        };
        if self.lcp.policy.echo_outstanding >= self.config.lcp.echo_failure {
            self.echo_deadline = None;
            self.close_with(now, DownReason::EchoTimeout);
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
    pub fn poll_transmit(&mut self) -> Option<Transmit<()>> {
        match self.tx.pop_front() {
            Some(payload) => Some(Transmit {
                destination: (),
                payload,
            }),
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
    pub fn poll_event(&mut self) -> Option<Event> {
        let e = self.events.pop_front();
        if e.is_none() && self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        e
    }

    // ----- sequencing --------------------------------------------------------

    fn close_with(&mut self, now: Instant, reason: DownReason) {
        if self.phase == Phase::Dead {
            return;
        }
        self.reason.get_or_insert(reason);
        self.echo_deadline = None;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.close(now, &mut out);
        if matches!(self.lcp.state(), State::Closing | State::Stopping) {
            self.phase = Phase::Terminate;
        }
    }

    fn finish(&mut self) {
        if self.phase == Phase::Dead {
            return;
        }
        self.phase = Phase::Dead;
        self.echo_deadline = None;
        self.auth = Auth::None;
        self.ipcp = None;
        self.ipv6cp = None;
        let reason = self.reason.unwrap_or(DownReason::NegotiationFailed);
        self.reason = Some(reason);
        self.events.push_back(Event::Down { reason });
    }

    /// Handles This-Layer-Up/Down/Finished of every automaton until none is
    /// left.
    fn process(&mut self, now: Instant, rng: &mut SeededRng) {
        while let Some((proto, action)) = self.layer.pop_front() {
            match (proto, action) {
                (protocol::LCP, Action::Tlu) => self.lcp_up(now, rng),
                (protocol::LCP, Action::Tld) => self.lcp_down(),
                (protocol::LCP, Action::Tlf) => self.finish(),
                (protocol::IPCP, Action::Tlu) => {
                    let mut out = Out {
                        tx: &mut self.tx,
                        layer: &mut self.layer,
                    };
                    if let Some(n) = &mut self.ipcp {
                        let p = &n.policy;
                        if p.local().is_unspecified() || p.peer().is_unspecified() {
                            // No usable address was agreed (the other side
                            // rejected IP-Address): IPv4 is not possible.
                            n.close(now, &mut out);
                        } else {
                            self.ipv4_up = true;
                            self.events.push_back(Event::Ipv4Up {
                                local: p.local(),
                                peer: p.peer(),
                                dns: p.dns(),
                            });
                        }
                    }
                }
                (protocol::IPCP, Action::Tld) if core::mem::take(&mut self.ipv4_up) => {
                    self.events.push_back(Event::Ipv4Down)
                }
                (protocol::IPV6CP, Action::Tlu) => {
                    if let Some(n) = &self.ipv6cp {
                        self.events.push_back(Event::Ipv6Up {
                            local_ifid: n.policy.local(),
                            peer_ifid: n.policy.peer(),
                        });
                    }
                }
                (protocol::IPV6CP, Action::Tld) => {
                    self.events.push_back(Event::Ipv6Down);
                    if self.config.ipv6_required && self.phase == Phase::Network {
                        self.close_with(now, DownReason::Ipv6Lost);
                    }
                }
                (protocol::IPV6CP, Action::Tlf) if self.config.ipv6_required => {
                    self.close_with(now, DownReason::Ipv6Lost)
                }
                (protocol::IPCP | protocol::IPV6CP, Action::Tlf) => self.check_ncps(now),
                _ => {}
            }
        }
    }

    fn lcp_up(&mut self, now: Instant, rng: &mut SeededRng) {
        self.events.push_back(Event::LinkUp { mtu: self.mtu() });
        self.lcp.policy.echo_outstanding = 0;
        self.echo_deadline = self.config.lcp.echo_interval.map(|i| now + i);
        let t = self.config.lcp.timers;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.auth = match &self.config.role {
            Role::Peer(p) => match self.lcp.policy.auth_to_perform() {
                Some(AuthMethod::Pap) => {
                    Auth::PapPeer(PapPeer::start(now, &t, &p.user, &p.password, &mut out))
                }
                Some(AuthMethod::ChapMd5) => Auth::ChapPeer(ChapPeer::start(now, &t)),
                None => Auth::None,
            },
            Role::Authenticator(a) => match self.lcp.policy.auth_requested() {
                Some(AuthMethod::Pap) => Auth::PapAuthenticator(PapAuthenticator::start(now, &t)),
                Some(AuthMethod::ChapMd5) => Auth::ChapAuthenticator(ChapAuthenticator::start(
                    now, &t, &a.name, rng, &mut out,
                )),
                None if a.methods.preferred().is_some() => {
                    self.close_with(now, DownReason::AuthRefused);
                    return;
                }
                None => Auth::None,
            },
        };
        if matches!(self.auth, Auth::None) {
            self.start_network(now, rng);
        } else {
            self.phase = Phase::Authenticate;
        }
    }

    fn lcp_down(&mut self) {
        self.echo_deadline = None;
        self.auth = Auth::None;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        if let Some(mut n) = self.ipcp.take() {
            n.down(&mut out);
        }
        if let Some(mut n) = self.ipv6cp.take() {
            n.down(&mut out);
        }
        self.phase = if matches!(self.lcp.state(), State::Closing | State::Stopping)
            || self.reason.is_some()
        {
            Phase::Terminate
        } else {
            Phase::Establish
        };
    }

    fn start_network(&mut self, now: Instant, rng: &mut SeededRng) {
        self.phase = Phase::Network;
        let t = self.config.lcp.timers;
        let (ipcp, ifid) = match &self.config.role {
            Role::Peer(p) => (
                Some(IpcpPolicy::client(p.ipv4_hint, p.request_dns)),
                p.ipv6_ifid,
            ),
            Role::Authenticator(a) => (
                a.ipv4.map(|asg| IpcpPolicy::server(a.local_ipv4, asg)),
                a.ipv6_ifid,
            ),
        };
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        if self.config.ipv4 && !self.ipv4_rejected {
            self.ipcp = ipcp.map(|p| {
                let mut f = Fsm::new(p, t);
                f.open(now, rng, &mut out);
                f.up(now, rng, &mut out);
                f
            });
        }
        if self.config.ipv6 && !self.ipv6_rejected {
            let mut f = Fsm::new(Ipv6cpPolicy::new(ifid), t);
            f.open(now, rng, &mut out);
            f.up(now, rng, &mut out);
            self.ipv6cp = Some(f);
        }
        if self.ipcp.is_none() && self.ipv6cp.is_none() {
            self.close_with(now, DownReason::NoNetworkProtocols);
        }
    }

    /// The peer Protocol-Rejected `p`: stop it; the link stays up unless
    /// nothing is left (or IPv6 was required).
    fn protocol_rejected(&mut self, now: Instant, p: u16) {
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        match p {
            protocol::IPCP => {
                self.ipv4_rejected = true;
                if let Some(mut n) = self.ipcp.take() {
                    n.down(&mut out);
                }
            }
            protocol::IPV6CP => {
                self.ipv6_rejected = true;
                if let Some(mut n) = self.ipv6cp.take() {
                    n.down(&mut out);
                }
            }
            _ => return,
        }
        self.events
            .push_back(Event::ProtocolRejected { protocol: p });
        if p == protocol::IPV6CP && self.config.ipv6_required {
            self.close_with(now, DownReason::Ipv6Lost);
        } else {
            self.check_ncps(now);
        }
    }

    /// Closes the link when no NCP is running or negotiating any more.
    fn check_ncps(&mut self, now: Instant) {
        if self.phase != Phase::Network {
            return;
        }
        let alive = |s: Option<State>| {
            matches!(
                s,
                Some(
                    State::ReqSent
                        | State::AckRcvd
                        | State::AckSent
                        | State::Opened
                        | State::Stopping
                        | State::Closing
                )
            )
        };
        if !alive(self.ipcp_state()) && !alive(self.ipv6cp_state()) {
            self.close_with(now, DownReason::NoNetworkProtocols);
        }
    }
}
