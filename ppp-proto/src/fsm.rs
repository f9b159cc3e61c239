//! The RFC 1661 §4 option-negotiation automaton, written once and shared by
//! LCP, IPCP and IPv6CP.
//!
//! [`Fsm<P>`] owns the ten states (RFC names, [`State`]), the restart timer
//! (a deadline, [`Fsm::poll_timeout`]; TO+ and TO− are derived in
//! [`Fsm::handle_timeout`]), the Restart/Failure counters, and the
//! Identifiers: Configure-Ack/Nak/Reject must carry the Identifier of our
//! outstanding Configure-Request (and an Ack exactly our options, a Reject
//! only options we sent) or they are dropped with an [`PppDropped`](crate::PppDropped).
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
//! Two local choices change only timing, never a cell of the table:
//!
//! - [`Fsm::up_silent`] is pppd's `silent` option: on Up the automaton
//!   waits in Stopped for the peer's first Configure-Request (RCR in
//!   Stopped: irc,scr,sca/8) instead of sending its own. An access
//!   concentrator uses it because the client's PPP socket may not exist yet
//!   when the PADS goes out, so a Configure-Request sent with it is lost.
//! - The peer's first packet is a Configure-Request while we are still in
//!   Req-Sent: our own request may have been lost (the peer was not yet
//!   listening, e.g. its pppd started after the PPPoE session), or it may
//!   just have crossed the peer's. We answer as the table says, and bring the
//!   restart timer forward to [`FIRST_REPLY_GRACE`]: a peer that got our
//!   request sends its Ack right behind its own request, which stops the
//!   timer; otherwise TO+ retransmits our request then instead of after the
//!   full restart interval. Retransmitting at once would also work, but
//!   costs a duplicate request and Ack on every dial whose requests crossed,
//!   and a duplicate request that reaches a peer already Opened makes it
//!   renegotiate (RCR in Opened). The counter is untouched here and
//!   decremented by that TO+ as for any retransmission, so Max-Configure
//!   still bounds the requests sent; with no retransmission left the timer
//!   keeps its full interval.
//!
//! ```text
#![doc = include_str!("states.txt")]
//! ```

use alloc::vec::Vec;
use bytes::BufMut;
use sansio_primitives::{Instant, SeededRng};

use crate::wire::cp::Code;

/// How long after the peer's first Configure-Request (received in Req-Sent,
/// nothing else heard from it) our own request is retransmitted unless an
/// Ack came (module docs).
pub const FIRST_REPLY_GRACE: sansio_primitives::Duration =
    sansio_primitives::Duration::from_millis(200);

mod policy;
mod receive;

pub use policy::{Policy, Received, Sink, Timers, Verdict};

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
pub enum PppEvent {
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
    /// The last This-Layer-Finished came from Max-Configure running out
    /// during negotiation (not from a Terminate exchange).
    failed: bool,
    /// The Data of our Terminate-Requests (a reason for people, RFC 1661
    /// §5.5); empty unless set with [`Fsm::set_terminate_data`].
    terminate_data: Vec<u8>,
    /// Identifier of the last peer Configure-Request we Nak'd (a
    /// retransmission of it does not count against Max-Failure again).
    nak_id: Option<u8>,
    /// A packet of the peer was taken since this negotiation started.
    heard: bool,
    deadline: Option<Instant>,
    timers: Timers,
    /// The protocol's policy.
    pub policy: P,
}

/// Longest Data we put in a Terminate-Request, and longest text of the
/// peer's that a session keeps.
pub const MAX_TERMINATE_DATA: usize = 128;

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
            failed: false,
            terminate_data: Vec::new(),
            nak_id: None,
            heard: false,
            deadline: None,
            timers,
            policy,
        }
    }

    /// What our next Terminate-Requests carry as Data (RFC 1661 §5.5: "any
    /// uninterpreted data"; pppd puts its reason there as text), at most
    /// [`MAX_TERMINATE_DATA`] bytes of it.
    pub fn set_terminate_data(&mut self, data: &[u8]) {
        self.terminate_data.clear();
        self.terminate_data
            .extend_from_slice(&data[..data.len().min(MAX_TERMINATE_DATA)]);
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
                self.heard = false;
            }
            self.id = self.id.wrapping_add(1);
            self.req_id = self.id;
        }
        // A retransmission (same Identifier) awaits an Ack again.
        self.acked = false;
        self.failed = false;
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
        let mut pkt = Vec::with_capacity(4 + self.terminate_data.len());
        pkt.extend_from_slice(&[Code::TerminateRequest.to_u8(), self.req_id, 0, 0]);
        pkt.extend_from_slice(&self.terminate_data);
        finish_len(&mut pkt);
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

    /// Up, waiting passively (pppd's `silent`): in Starting, go to Stopped
    /// and send nothing until the peer's Configure-Request arrives; other
    /// states as [`Fsm::up`]. [`Fsm::down`] then [`Fsm::up`] starts
    /// actively (the RFC's restart option), e.g. when the peer stays quiet.
    pub fn up_silent(&mut self, now: Instant, rng: &mut SeededRng, sink: &mut dyn Sink) {
        if self.state == State::Starting {
            self.heard = false;
            self.goto(State::Stopped);
        } else {
            self.up(now, rng, sink);
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
                    self.failed = self.state != State::Stopping;
                    self.act(sink, Action::Tlf);
                    self.goto(State::Stopped);
                }
                _ => {}
            }
        }
    }

    /// True when the automaton stopped because Max-Configure ran out while
    /// negotiating (RFC 1661 §4.6: "not converging"), until the next
    /// negotiation starts.
    pub fn negotiation_failed(&self) -> bool {
        self.failed
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
mod table_test;
