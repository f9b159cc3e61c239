//! The receive events (RCR±, RCA, RCN, RTR, RTA, RUC, RXJ±, RXR): parsing a
//! packet, checking it against our outstanding request, and the state
//! table's rows for it.

use alloc::vec::Vec;
use sansio_primitives::{Instant, SeededRng};

use super::{Action, Fsm, Policy, Received, Sink, State, Verdict, finish_len};
use crate::PppDropped;
use crate::wire::cp::{Code, ConfigOption, CpBody, CpPacket, Options};

impl<P: Policy> Fsm<P> {
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
    ) -> Result<Received, PppDropped> {
        let pkt = CpPacket::parse(packet, P::EXTENDED_CODES)?;
        if matches!(self.state, State::Initial | State::Starting) {
            return Err(PppDropped::Unexpected {
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
                        return Err(PppDropped::MismatchedOptions {
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
                            return Err(PppDropped::MismatchedOptions { what });
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
                    self.heard = true;
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
        self.heard = true;
        Ok(Received::Handled)
    }

    /// States in which a Configure-Ack/Nak/Reject answers our request.
    fn expects_reply(&self) -> bool {
        matches!(
            self.state,
            State::ReqSent | State::AckRcvd | State::AckSent | State::Opened
        )
    }

    fn check_reply_id(&self, id: u8, what: &'static str) -> Result<(), PppDropped> {
        if id != self.req_id || self.acked {
            return Err(PppDropped::BadIdentifier { what });
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
                let first = self.state == State::ReqSent && !self.heard;
                send_reply(self, sink);
                self.goto(if good { State::AckSent } else { State::ReqSent });
                if first && self.restart_count > 0 {
                    // Our request may have been lost: see FIRST_REPLY_GRACE.
                    let soon = now + self.timers.restart.min(super::FIRST_REPLY_GRACE);
                    self.deadline = Some(self.deadline.map_or(soon, |d| d.min(soon)));
                }
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
                Verdict::Nak(s) => s.put(&mut nak),
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
            // The peer's Terminate-Ack says nothing about our request; in
            // Ack-Sent our Ack of its request still stands (RFC 1661 §4.1:
            // RTA in Ack-Sent is "8"; pppd's fsm_rtermack likewise).
            State::AckRcvd => self.goto(State::ReqSent),
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
