//! The RFC 1661 §4 option-negotiation automaton, written once and shared by
//! LCP, IPCP and IPv6CP.
//!
//! [`Fsm<P>`] owns the ten states (RFC names, [`State`]), the restart timer
//! (a deadline, [`Fsm::poll_timeout`]; TO+ and TO− are derived in
//! [`Fsm::handle_timeout`]), the Restart/Failure counters, and the
//! Identifiers: Configure-Ack/Nak/Reject must carry the Identifier of our
//! outstanding Configure-Request (and an Ack exactly our options, a Reject
//! only options we sent) or they are dropped with an [`Error`].
//!
//! A protocol supplies a [`Policy`]: its option type, the options it
//! requests, and a [`Verdict`] for each option the peer sends. The reply to a
//! Configure-Request takes the worst verdict (Ack < Nak < Reject, RFC 1661
//! §5.2–5.4): any Reject makes a Configure-Reject listing only the rejected
//! options; otherwise any Nak makes a Configure-Nak with the suggestions;
//! otherwise a Configure-Ack echoing the request. After Max-Failure
//! Configure-Naks without an Ack, Naks become Rejects (§4.6); a
//! retransmitted request (same Identifier) is not counted again, so a lossy
//! link does not turn a converging negotiation into Rejects.
//!
//! The state table is in `src/states.txt` (and below); actions are reported
//! to a [`Sink`] in table order, packets as they are sent.
//!
//! ```text
#![doc = include_str!("states.txt")]
//! ```

use alloc::vec::Vec;
use bytes::BufMut;
use proto_core::{Duration, Instant, SeededRng};

use crate::Error;
use crate::wire::cp::{Code, ConfigOption, CpBody, CpPacket, Options};

/// The ten states of RFC 1661 §4.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// 0: lower layer down, no Open.
    Initial,
    /// 1: Open, waiting for the lower layer.
    Starting,
    /// 2: lower layer up, no Open.
    Closed,
    /// 3: finished (or waiting passively for the peer).
    Stopped,
    /// 4: Terminate-Request sent after Close.
    Closing,
    /// 5: Terminate-Request sent or received, not after Close.
    Stopping,
    /// 6: Configure-Request sent.
    ReqSent,
    /// 7: Configure-Request sent, Configure-Ack received.
    AckRcvd,
    /// 8: Configure-Request sent, Configure-Ack sent.
    AckSent,
    /// 9: both Acks exchanged.
    Opened,
}

/// The events of RFC 1661 §4.3 (for traces and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Lower layer is up.
    Up,
    /// Lower layer is down.
    Down,
    /// Administrative Open.
    Open,
    /// Administrative Close.
    Close,
    /// Timeout with counter > 0.
    ToPlus,
    /// Timeout with counter expired.
    ToMinus,
    /// Receive good Configure-Request.
    RcrPlus,
    /// Receive bad Configure-Request.
    RcrMinus,
    /// Receive Configure-Ack.
    Rca,
    /// Receive Configure-Nak/Rej.
    Rcn,
    /// Receive Terminate-Request.
    Rtr,
    /// Receive Terminate-Ack.
    Rta,
    /// Receive unknown code.
    Ruc,
    /// Receive permitted Code-Reject or Protocol-Reject.
    RxjPlus,
    /// Receive catastrophic Code-Reject or Protocol-Reject.
    RxjMinus,
    /// Receive Echo-Request, Echo-Reply or Discard-Request.
    Rxr,
}

/// The actions of RFC 1661 §4.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// This-Layer-Up.
    Tlu,
    /// This-Layer-Down.
    Tld,
    /// This-Layer-Started.
    Tls,
    /// This-Layer-Finished.
    Tlf,
    /// Initialize-Restart-Count.
    Irc,
    /// Zero-Restart-Count.
    Zrc,
    /// Send-Configure-Request.
    Scr,
    /// Send-Configure-Ack.
    Sca,
    /// Send-Configure-Nak (or Reject).
    Scn,
    /// Send-Terminate-Request.
    Str,
    /// Send-Terminate-Ack.
    Sta,
    /// Send-Code-Reject.
    Scj,
    /// Send-Echo-Reply.
    Ser,
}

/// Where the automaton's output goes.
pub trait Sink {
    /// A packet (Code..Data) to send with this PPP protocol number.
    fn send(&mut self, protocol: u16, packet: Vec<u8>);
    /// An action, in table order (sends come with their own [`Sink::send`]).
    fn action(&mut self, protocol: u16, action: Action);
}

/// Restart timer and counters (RFC 1661 §4.6); defaults 3 s, 2, 10, 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Restart timer.
    pub restart: Duration,
    /// Max-Terminate.
    pub max_terminate: u8,
    /// Max-Configure.
    pub max_configure: u8,
    /// Max-Failure.
    pub max_failure: u8,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            restart: Duration::from_secs(3),
            max_terminate: 2,
            max_configure: 10,
            max_failure: 5,
        }
    }
}

/// A policy's answer for one option of the peer's Configure-Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict<O> {
    /// Acceptable as is.
    Ack,
    /// Not acceptable; suggest this value instead.
    Nak(O),
    /// Not recognised or not negotiable.
    Reject,
}

/// What a protocol (LCP, IPCP, IPv6CP) supplies to the automaton.
pub trait Policy {
    /// The protocol's option type.
    type Opt<'a>: ConfigOption<'a>;
    /// The PPP protocol number.
    const PROTOCOL: u16;
    /// True for LCP: codes 8–11 (Protocol-Reject, Echo, Discard) exist.
    const EXTENDED_CODES: bool = false;

    /// A negotiation starts: restore the options we want to request.
    fn reset(&mut self, rng: &mut SeededRng);
    /// Writes our Configure-Request options.
    fn write_request(&self, out: &mut Vec<u8>);
    /// A Configure-Request from the peer is about to be judged.
    fn begin_peer_request(&mut self) {}
    /// The verdict for one option of the peer's Configure-Request.
    fn peer_option(
        &mut self,
        opt: &Self::Opt<'_>,
        rng: &mut SeededRng,
    ) -> Verdict<Self::Opt<'static>>;
    /// Appends Nak suggestions for options we need but the peer left out.
    fn peer_missing(&mut self, _rng: &mut SeededRng, _nak: &mut Vec<u8>) {}
    /// Our request was acknowledged.
    fn ack_received(&mut self) {}
    /// The peer Nak'd one of our options (or suggested one) with this value.
    fn nak_received(&mut self, opt: &Self::Opt<'_>, rng: &mut SeededRng);
    /// The peer rejected one of our options: stop requesting it.
    fn reject_received(&mut self, opt: &Self::Opt<'_>);
    /// RXR in Opened: the reply to send, if any (LCP's Echo-Reply).
    fn rxr(&mut self, _packet: &CpPacket<'_>) -> Option<Vec<u8>> {
        None
    }
}

/// What a received packet meant beyond the automaton.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Handled by the automaton.
    Handled,
    /// A Protocol-Reject of another protocol (LCP only): the caller stops
    /// using it.
    ProtocolReject(u16),
}

/// The automaton for one control protocol.
#[derive(Debug, Clone)]
pub struct Fsm<P> {
    state: State,
    restart_count: u8,
    failure_count: u8,
    /// Last Identifier used by us.
    id: u8,
    /// Identifier of our outstanding Configure- or Terminate-Request.
    req_id: u8,
    /// Our outstanding Configure-Request has been acknowledged.
    acked: bool,
    /// Identifier of the last peer Configure-Request we Nak'd (a
    /// retransmission of it does not count against Max-Failure again).
    nak_id: Option<u8>,
    deadline: Option<Instant>,
    timers: Timers,
    /// The protocol's policy.
    pub policy: P,
}

/// Largest Code-Reject we send (the rejected packet is truncated to fit a
/// minimal MRU, RFC 1661 §5.6).
const MAX_CODE_REJECT: usize = 1492 - 8;

impl<P: Policy> Fsm<P> {
    /// A new automaton in the Initial state.
    pub fn new(policy: P, timers: Timers) -> Self {
        Fsm {
            state: State::Initial,
            restart_count: 0,
            failure_count: 0,
            id: 0,
            req_id: 0,
            acked: false,
            nak_id: None,
            deadline: None,
            timers,
            policy,
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// When [`Fsm::handle_timeout`] must be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    // ----- actions -------------------------------------------------------

    fn act(&mut self, sink: &mut dyn Sink, a: Action) {
        sink.action(P::PROTOCOL, a);
    }

    fn irc(&mut self, sink: &mut dyn Sink, terminate: bool) {
        self.restart_count = if terminate {
            self.timers.max_terminate
        } else {
            self.timers.max_configure
        };
        self.act(sink, Action::Irc);
    }

    fn zrc(&mut self, now: Instant, sink: &mut dyn Sink) {
        self.restart_count = 0;
        self.deadline = Some(now + self.timers.restart);
        self.act(sink, Action::Zrc);
    }

    fn scr(&mut self, now: Instant, rng: &mut SeededRng, sink: &mut dyn Sink, retransmit: bool) {
        if !retransmit {
            if matches!(self.state, State::Starting | State::Closed | State::Stopped) {
                self.policy.reset(rng);
                self.failure_count = 0;
                self.nak_id = None;
            }
            self.id = self.id.wrapping_add(1);
            self.req_id = self.id;
        }
        // A retransmission (same Identifier) awaits an Ack again.
        self.acked = false;
        let mut pkt = Vec::with_capacity(32);
        pkt.extend_from_slice(&[Code::ConfigureRequest.to_u8(), self.req_id, 0, 0]);
        self.policy.write_request(&mut pkt);
        finish_len(&mut pkt);
        self.restart_count = self.restart_count.saturating_sub(1);
        self.deadline = Some(now + self.timers.restart);
        self.act(sink, Action::Scr);
        sink.send(P::PROTOCOL, pkt);
    }

    fn str(&mut self, now: Instant, sink: &mut dyn Sink, retransmit: bool) {
        if !retransmit {
            self.id = self.id.wrapping_add(1);
            self.req_id = self.id;
        }
        let mut pkt = Vec::with_capacity(4);
        pkt.extend_from_slice(&[Code::TerminateRequest.to_u8(), self.req_id, 0, 4]);
        self.restart_count = self.restart_count.saturating_sub(1);
        self.deadline = Some(now + self.timers.restart);
        self.act(sink, Action::Str);
        sink.send(P::PROTOCOL, pkt);
    }

    fn sta(&mut self, sink: &mut dyn Sink, id: u8) {
        self.act(sink, Action::Sta);
        sink.send(
            P::PROTOCOL,
            alloc::vec![Code::TerminateAck.to_u8(), id, 0, 4],
        );
    }

    fn scj(&mut self, sink: &mut dyn Sink, rejected: &[u8]) {
        self.id = self.id.wrapping_add(1);
        let rejected = &rejected[..rejected.len().min(MAX_CODE_REJECT)];
        let mut pkt = Vec::with_capacity(4 + rejected.len());
        pkt.extend_from_slice(&[Code::CodeReject.to_u8(), self.id, 0, 0]);
        pkt.extend_from_slice(rejected);
        finish_len(&mut pkt);
        self.act(sink, Action::Scj);
        sink.send(P::PROTOCOL, pkt);
    }

    /// Moves to `s`; the restart timer runs only in states 4–8.
    fn goto(&mut self, s: State) {
        self.state = s;
        if !matches!(
            s,
            State::Closing | State::Stopping | State::ReqSent | State::AckRcvd | State::AckSent
        ) {
            self.deadline = None;
        }
    }

    // ----- administrative and lower-layer events ---------------------------

    /// Up: the lower layer is ready.
    pub fn up(&mut self, now: Instant, rng: &mut SeededRng, sink: &mut dyn Sink) {
        match self.state {
            State::Initial => self.goto(State::Closed),
            State::Starting => {
                self.irc(sink, false);
                self.scr(now, rng, sink, false);
                self.goto(State::ReqSent);
            }
            _ => {}
        }
    }

    /// Down: the lower layer is gone.
    pub fn down(&mut self, sink: &mut dyn Sink) {
        match self.state {
            State::Closed | State::Closing => self.goto(State::Initial),
            State::Stopped => {
                self.act(sink, Action::Tls);
                self.goto(State::Starting);
            }
            State::Stopping | State::ReqSent | State::AckRcvd | State::AckSent => {
                self.goto(State::Starting)
            }
            State::Opened => {
                self.act(sink, Action::Tld);
                self.goto(State::Starting);
            }
            State::Initial | State::Starting => {}
        }
    }

    /// Open: the administrator allows negotiation.
    pub fn open(&mut self, now: Instant, rng: &mut SeededRng, sink: &mut dyn Sink) {
        match self.state {
            State::Initial => {
                self.act(sink, Action::Tls);
                self.goto(State::Starting);
            }
            State::Closed => {
                self.irc(sink, false);
                self.scr(now, rng, sink, false);
                self.goto(State::ReqSent);
            }
            State::Closing => self.goto(State::Stopping),
            _ => {}
        }
    }

    /// Close: the administrator wants the link closed.
    pub fn close(&mut self, now: Instant, sink: &mut dyn Sink) {
        match self.state {
            State::Starting => {
                self.act(sink, Action::Tlf);
                self.goto(State::Initial);
            }
            State::Stopped => self.goto(State::Closed),
            State::Stopping => self.goto(State::Closing),
            State::ReqSent | State::AckRcvd | State::AckSent | State::Opened => {
                if self.state == State::Opened {
                    self.act(sink, Action::Tld);
                }
                self.irc(sink, true);
                self.str(now, sink, false);
                self.goto(State::Closing);
            }
            State::Initial | State::Closed | State::Closing => {}
        }
    }

    /// Call when [`Fsm::poll_timeout`] has passed; early or repeated calls
    /// do nothing.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut SeededRng, sink: &mut dyn Sink) {
        match self.deadline {
            Some(d) if d <= now => {}
            _ => return,
        }
        self.deadline = None;
        if self.restart_count > 0 {
            // TO+
            match self.state {
                State::Closing | State::Stopping => self.str(now, sink, true),
                State::ReqSent | State::AckRcvd => {
                    self.scr(now, rng, sink, true);
                    self.goto(State::ReqSent);
                }
                State::AckSent => self.scr(now, rng, sink, true),
                _ => {}
            }
        } else {
            // TO-
            match self.state {
                State::Closing => {
                    self.act(sink, Action::Tlf);
                    self.goto(State::Closed);
                }
                State::Stopping | State::ReqSent | State::AckRcvd | State::AckSent => {
                    self.act(sink, Action::Tlf);
                    self.goto(State::Stopped);
                }
                _ => {}
            }
        }
    }

    // ----- received packets -------------------------------------------------

    /// One received packet of this protocol (Code..Data). Malformed packets,
    /// packets in Initial/Starting, and replies that do not match our
    /// outstanding request are dropped with an error, state unchanged.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        packet: &[u8],
        rng: &mut SeededRng,
        sink: &mut dyn Sink,
    ) -> Result<Received, Error> {
        let pkt = CpPacket::parse(packet, P::EXTENDED_CODES)?;
        if matches!(self.state, State::Initial | State::Starting) {
            return Err(Error::Unexpected {
                what: "packet while the layer is not started",
            });
        }
        let id = pkt.identifier;
        match pkt.body {
            CpBody::ConfigureRequest(opts) => self.rcr(now, id, opts, rng, sink),
            CpBody::ConfigureAck(opts) => {
                if self.expects_reply() {
                    self.check_reply_id(id, "Configure-Ack")?;
                    let mut ours = Vec::with_capacity(32);
                    self.policy.write_request(&mut ours);
                    if ours != opts.as_bytes() {
                        return Err(Error::MismatchedOptions {
                            what: "Configure-Ack",
                        });
                    }
                }
                self.rca(now, id, rng, sink);
            }
            CpBody::ConfigureNak(opts) | CpBody::ConfigureReject(opts) => {
                let reject = matches!(pkt.body, CpBody::ConfigureReject(_));
                if self.expects_reply() {
                    let what = if reject {
                        "Configure-Reject"
                    } else {
                        "Configure-Nak"
                    };
                    self.check_reply_id(id, what)?;
                    if reject {
                        let mut ours = Vec::with_capacity(32);
                        self.policy.write_request(&mut ours);
                        let ours = Options::parse(&ours)?;
                        if !opts.iter().all(|r| ours.iter().any(|o| o.bytes == r.bytes)) {
                            return Err(Error::MismatchedOptions { what });
                        }
                    }
                    for raw in opts.iter() {
                        if let Ok(o) = P::Opt::from_raw(raw) {
                            if reject {
                                self.policy.reject_received(&o);
                            } else {
                                self.policy.nak_received(&o, rng);
                            }
                        }
                    }
                }
                self.rcn(now, id, rng, sink);
            }
            CpBody::TerminateRequest(_) => self.rtr(now, id, sink),
            CpBody::TerminateAck(_) => self.rta(now, rng, sink),
            CpBody::CodeReject(rejected) => {
                // Rejecting Configure-*, Terminate-* or Code-Reject is
                // catastrophic (RFC 1661 §5.6).
                let catastrophic = matches!(rejected.first(), Some(1..=7));
                self.rxj(now, catastrophic, sink);
            }
            CpBody::ProtocolReject { protocol, .. } => {
                let catastrophic = protocol == P::PROTOCOL;
                self.rxj(now, catastrophic, sink);
                if !catastrophic {
                    return Ok(Received::ProtocolReject(protocol));
                }
            }
            CpBody::EchoRequest { .. }
            | CpBody::EchoReply { .. }
            | CpBody::DiscardRequest { .. } => {
                if self.state == State::Opened {
                    self.act(sink, Action::Ser);
                    if let Some(reply) = self.policy.rxr(&pkt) {
                        sink.send(P::PROTOCOL, reply);
                    }
                }
            }
            CpBody::Unknown { .. } => {
                let len = pkt.buffer_len();
                self.scj(sink, &packet[..len]);
            }
        }
        Ok(Received::Handled)
    }

    /// States in which a Configure-Ack/Nak/Reject answers our request.
    fn expects_reply(&self) -> bool {
        matches!(
            self.state,
            State::ReqSent | State::AckRcvd | State::AckSent | State::Opened
        )
    }

    fn check_reply_id(&self, id: u8, what: &'static str) -> Result<(), Error> {
        if id != self.req_id || self.acked {
            return Err(Error::BadIdentifier { what });
        }
        Ok(())
    }

    fn rcr(
        &mut self,
        now: Instant,
        id: u8,
        opts: Options<'_>,
        rng: &mut SeededRng,
        sink: &mut dyn Sink,
    ) {
        match self.state {
            State::Closed => {
                self.sta(sink, id);
                return;
            }
            State::Closing | State::Stopping => return,
            _ => {}
        }
        let (good, reply) = self.evaluate(id, opts, rng);
        let send_reply = |me: &mut Self, sink: &mut dyn Sink| {
            if good {
                me.failure_count = 0;
                me.nak_id = None;
                me.act(sink, Action::Sca);
            } else {
                if reply.first() == Some(&Code::ConfigureNak.to_u8()) && me.nak_id != Some(id) {
                    me.failure_count = me.failure_count.saturating_add(1);
                    me.nak_id = Some(id);
                }
                me.act(sink, Action::Scn);
            }
            sink.send(P::PROTOCOL, reply);
        };
        match self.state {
            State::Stopped => {
                self.irc(sink, false);
                self.scr(now, rng, sink, false);
                send_reply(self, sink);
                self.goto(if good { State::AckSent } else { State::ReqSent });
            }
            State::ReqSent | State::AckSent => {
                send_reply(self, sink);
                self.goto(if good { State::AckSent } else { State::ReqSent });
            }
            State::AckRcvd => {
                send_reply(self, sink);
                if good {
                    self.act(sink, Action::Tlu);
                    self.goto(State::Opened);
                }
            }
            State::Opened => {
                self.act(sink, Action::Tld);
                self.scr(now, rng, sink, false);
                send_reply(self, sink);
                self.goto(if good { State::AckSent } else { State::ReqSent });
            }
            _ => {}
        }
    }

    /// Judges a Configure-Request: (good, the Ack/Nak/Reject to send).
    fn evaluate(&mut self, id: u8, opts: Options<'_>, rng: &mut SeededRng) -> (bool, Vec<u8>) {
        self.policy.begin_peer_request();
        let exhausted = self.failure_count >= self.timers.max_failure;
        let mut nak = Vec::new();
        let mut rej = Vec::new();
        for raw in opts.iter() {
            let verdict = match P::Opt::from_raw(raw) {
                Ok(o) => self.policy.peer_option(&o, rng),
                Err(_) => Verdict::Reject,
            };
            match verdict {
                Verdict::Ack => {}
                Verdict::Nak(_) | Verdict::Reject if exhausted => rej.extend_from_slice(raw.bytes),
                Verdict::Nak(s) => s.emit(&mut nak),
                Verdict::Reject => rej.extend_from_slice(raw.bytes),
            }
        }
        if rej.is_empty() && !exhausted {
            self.policy.peer_missing(rng, &mut nak);
        }
        let (code, body): (Code, &[u8]) = if !rej.is_empty() {
            (Code::ConfigureReject, &rej)
        } else if !nak.is_empty() {
            (Code::ConfigureNak, &nak)
        } else {
            (Code::ConfigureAck, opts.as_bytes())
        };
        let mut pkt = Vec::with_capacity(4 + body.len());
        pkt.extend_from_slice(&[code.to_u8(), id, 0, 0]);
        pkt.extend_from_slice(body);
        finish_len(&mut pkt);
        (code == Code::ConfigureAck, pkt)
    }

    fn rca(&mut self, now: Instant, id: u8, rng: &mut SeededRng, sink: &mut dyn Sink) {
        match self.state {
            State::Closed | State::Stopped => self.sta(sink, id),
            State::ReqSent => {
                self.acked = true;
                self.policy.ack_received();
                self.irc(sink, false);
                self.goto(State::AckRcvd);
            }
            State::AckRcvd => {
                self.scr(now, rng, sink, false);
                self.goto(State::ReqSent);
            }
            State::AckSent => {
                self.acked = true;
                self.policy.ack_received();
                self.irc(sink, false);
                self.act(sink, Action::Tlu);
                self.goto(State::Opened);
            }
            State::Opened => {
                self.act(sink, Action::Tld);
                self.scr(now, rng, sink, false);
                self.goto(State::ReqSent);
            }
            _ => {}
        }
    }

    fn rcn(&mut self, now: Instant, id: u8, rng: &mut SeededRng, sink: &mut dyn Sink) {
        match self.state {
            State::Closed | State::Stopped => self.sta(sink, id),
            State::ReqSent | State::AckSent => {
                self.irc(sink, false);
                self.scr(now, rng, sink, false);
            }
            State::AckRcvd => {
                self.scr(now, rng, sink, false);
                self.goto(State::ReqSent);
            }
            State::Opened => {
                self.act(sink, Action::Tld);
                self.scr(now, rng, sink, false);
                self.goto(State::ReqSent);
            }
            _ => {}
        }
    }

    fn rtr(&mut self, now: Instant, id: u8, sink: &mut dyn Sink) {
        match self.state {
            State::Closed | State::Stopped | State::Closing | State::Stopping => self.sta(sink, id),
            State::ReqSent | State::AckRcvd | State::AckSent => {
                self.sta(sink, id);
                self.goto(State::ReqSent);
            }
            State::Opened => {
                self.act(sink, Action::Tld);
                self.zrc(now, sink);
                self.sta(sink, id);
                self.goto(State::Stopping);
            }
            _ => {}
        }
    }

    fn rta(&mut self, now: Instant, rng: &mut SeededRng, sink: &mut dyn Sink) {
        match self.state {
            State::Closing => {
                self.act(sink, Action::Tlf);
                self.goto(State::Closed);
            }
            State::Stopping => {
                self.act(sink, Action::Tlf);
                self.goto(State::Stopped);
            }
            State::AckRcvd | State::AckSent => self.goto(State::ReqSent),
            State::Opened => {
                self.act(sink, Action::Tld);
                self.scr(now, rng, sink, false);
                self.goto(State::ReqSent);
            }
            _ => {}
        }
    }

    fn rxj(&mut self, now: Instant, catastrophic: bool, sink: &mut dyn Sink) {
        if !catastrophic {
            if self.state == State::AckRcvd {
                // RXJ+ in Ack-Rcvd goes to Req-Sent (the table's "6").
                self.goto(State::ReqSent);
            }
            return;
        }
        match self.state {
            State::Closed | State::Closing => {
                self.act(sink, Action::Tlf);
                self.goto(State::Closed);
            }
            State::Stopped | State::Stopping | State::ReqSent | State::AckRcvd | State::AckSent => {
                self.act(sink, Action::Tlf);
                self.goto(State::Stopped);
            }
            State::Opened => {
                self.act(sink, Action::Tld);
                self.irc(sink, true);
                self.str(now, sink, false);
                self.goto(State::Stopping);
            }
            _ => {}
        }
    }
}

/// Patches the Length field of a packet built in place.
pub(crate) fn finish_len(pkt: &mut [u8]) {
    let len = pkt.len().min(usize::from(u16::MAX)) as u16;
    if let Some(l) = pkt.get_mut(2..4) {
        l.copy_from_slice(&len.to_be_bytes());
    }
}

/// Builds a control packet with `data`.
pub(crate) fn build(code: Code, id: u8, data: &[u8]) -> Vec<u8> {
    let mut pkt = Vec::with_capacity(4 + data.len());
    pkt.put_u8(code.to_u8());
    pkt.put_u8(id);
    pkt.put_u16(0);
    pkt.extend_from_slice(data);
    finish_len(&mut pkt);
    pkt
}

#[cfg(test)]
#[path = "fsm_table_test.rs"]
mod table_test;
