//! PAP (RFC 1334 §2), both roles.
//!
//! - [`PapPeer`]: sends Authenticate-Request (user, password) at once and
//!   every restart interval until Max-Configure requests went unanswered
//!   (each with a new Identifier); Authenticate-Ack/Nak must carry the
//!   Identifier of one of these requests, not necessarily the last: an
//!   authenticator that took longer than the restart interval (RADIUS)
//!   answers the first, which arrives after the retransmission (pppd does
//!   not check the Identifier at all).
//! - [`PapAuthenticator`]: waits (up to restart × Max-Configure) for an
//!   Authenticate-Request, hands the user name and password to the
//!   application, and answers with the application's verdict. A
//!   retransmitted request after the verdict gets the same answer again
//!   (the peer may have lost it).

use alloc::vec::Vec;
use sansio_primitives::{Duration, Instant};

use crate::auth::{AuthOutcome, Credential};
use crate::fsm::{Sink, Timers};
use crate::wire::pap::PapPacket;
use crate::wire::protocol;
use crate::{PppCommandError, PppDropped, Secret};

fn total(t: &Timers) -> Duration {
    t.restart * u32::from(t.max_configure.max(1))
}

/// The peer (authenticatee) side of PAP.
#[derive(Debug, Clone)]
pub struct PapPeer {
    /// Identifier of our last request; the first one was 1.
    id: u8,
    tries_left: u8,
    deadline: Option<Instant>,
}

impl PapPeer {
    /// Starts: sends the first Authenticate-Request.
    pub(crate) fn start(
        now: Instant,
        t: &Timers,
        user: &[u8],
        password: &Secret,
        sink: &mut dyn Sink,
    ) -> Self {
        let mut p = PapPeer {
            id: 0,
            tries_left: t.max_configure.max(1),
            deadline: None,
        };
        p.send(now, t, user, password, sink);
        p
    }

    fn send(
        &mut self,
        now: Instant,
        t: &Timers,
        user: &[u8],
        password: &Secret,
        sink: &mut dyn Sink,
    ) {
        self.id = self.id.wrapping_add(1);
        self.tries_left = self.tries_left.saturating_sub(1);
        self.deadline = Some(now + t.restart);
        let pkt = PapPacket::AuthenticateRequest {
            identifier: self.id,
            peer_id: user,
            password: password.expose(),
        };
        sink.send(protocol::PAP, pkt.to_vec());
    }

    /// When this machine's timer next fires (the session handles it).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// An Ack or Nak from the authenticator.
    pub(crate) fn handle(&mut self, pkt: &PapPacket<'_>) -> Result<AuthOutcome, PppDropped> {
        if self.deadline.is_none() {
            // Already decided: a duplicate answer.
            return Err(PppDropped::Unexpected { what: "PAP answer" });
        }
        match *pkt {
            PapPacket::AuthenticateAck {
                identifier,
                message,
            }
            | PapPacket::AuthenticateNak {
                identifier,
                message,
            } => {
                // Requests went out with Identifiers 1..=id.
                if identifier == 0 || identifier > self.id {
                    return Err(PppDropped::BadIdentifier { what: "PAP answer" });
                }
                self.deadline = None;
                Ok(if matches!(pkt, PapPacket::AuthenticateAck { .. }) {
                    AuthOutcome::Success(message.to_vec())
                } else {
                    AuthOutcome::Failure(message.to_vec())
                })
            }
            PapPacket::AuthenticateRequest { .. } => Err(PppDropped::Unexpected {
                what: "PAP Authenticate-Request",
            }),
        }
    }

    /// Retransmits, or gives up after Max-Configure requests.
    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        t: &Timers,
        user: &[u8],
        password: &Secret,
        sink: &mut dyn Sink,
    ) -> AuthOutcome {
        match self.deadline {
            Some(d) if d <= now => {}
            _ => return AuthOutcome::None,
        }
        if self.tries_left == 0 {
            self.deadline = None;
            return AuthOutcome::Timeout;
        }
        self.send(now, t, user, password, sink);
        AuthOutcome::None
    }
}

/// Where an authenticator stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Waiting for the peer.
    Waiting,
    /// Waiting for the application.
    Pending,
    /// Decided: accepted or not.
    Done(bool),
}

/// The authenticator side of PAP.
#[derive(Debug, Clone)]
pub struct PapAuthenticator {
    state: Verdict,
    id: u8,
    deadline: Option<Instant>,
    reply: Vec<u8>,
}

impl PapAuthenticator {
    pub(crate) fn start(now: Instant, t: &Timers) -> Self {
        PapAuthenticator {
            state: Verdict::Waiting,
            id: 0,
            deadline: Some(now + total(t)),
            reply: Vec::new(),
        }
    }

    /// When this machine's timer next fires (the session handles it).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    pub(crate) fn handle(
        &mut self,
        now: Instant,
        t: &Timers,
        pkt: &PapPacket<'_>,
        sink: &mut dyn Sink,
    ) -> Result<AuthOutcome, PppDropped> {
        let PapPacket::AuthenticateRequest {
            identifier,
            peer_id,
            password,
        } = *pkt
        else {
            return Err(PppDropped::Unexpected { what: "PAP answer" });
        };
        match self.state {
            Verdict::Waiting => {
                self.state = Verdict::Pending;
                self.id = identifier;
                self.deadline = Some(now + total(t));
                Ok(AuthOutcome::Request {
                    user: peer_id.to_vec(),
                    credential: Credential::Pap {
                        password: Secret::from(password),
                    },
                })
            }
            // A retransmission while the application decides.
            Verdict::Pending => Ok(AuthOutcome::None),
            Verdict::Done(_) => {
                // The peer lost our answer: repeat it with its Identifier.
                let mut reply = self.reply.clone();
                if let Some(id) = reply.get_mut(1) {
                    *id = identifier;
                }
                sink.send(protocol::PAP, reply);
                Ok(AuthOutcome::None)
            }
        }
    }

    pub(crate) fn reply_capacity(&self) -> usize {
        self.reply.capacity()
    }

    /// The application's verdict.
    pub(crate) fn decide(
        &mut self,
        accept: bool,
        message: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), PppCommandError> {
        if self.state != Verdict::Pending {
            return Err(PppCommandError::InvalidState {
                what: "no pending PAP request",
            });
        }
        let pkt = if accept {
            PapPacket::AuthenticateAck {
                identifier: self.id,
                message,
            }
        } else {
            PapPacket::AuthenticateNak {
                identifier: self.id,
                message,
            }
        };
        self.reply = pkt.to_vec();
        self.state = Verdict::Done(accept);
        self.deadline = None;
        sink.send(protocol::PAP, self.reply.clone());
        Ok(())
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) -> AuthOutcome {
        match self.deadline {
            Some(d) if d <= now => {
                self.deadline = None;
                AuthOutcome::Timeout
            }
            _ => AuthOutcome::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[derive(Default)]
    struct Sent(Vec<Vec<u8>>);

    impl Sink for Sent {
        fn send(&mut self, _protocol: u16, packet: Vec<u8>) {
            self.0.push(packet);
        }
        fn action(&mut self, _protocol: u16, _action: crate::fsm::Action) {}
    }

    /// The authenticator answers our first request after we retransmitted
    /// it: that answer completes authentication (it used to be dropped, and
    /// a slow authenticator never caught up with our retransmissions).
    #[test]
    fn an_answer_to_an_earlier_request_is_accepted() {
        let t = Timers::default();
        let pw = Secret::from("pw");
        let mut sent = Sent::default();
        let mut peer = PapPeer::start(Instant::ZERO, &t, b"u", &pw, &mut sent);
        let at = peer.poll_timeout().unwrap();
        peer.handle_timeout(at, &t, b"u", &pw, &mut sent);
        let ids: Vec<u8> = sent.0.iter().map(|p| p[1]).collect();
        assert_eq!(ids, [1, 2]);
        // Identifiers we never sent are dropped.
        for identifier in [0, 3] {
            let ack = PapPacket::AuthenticateAck {
                identifier,
                message: b"",
            };
            assert!(peer.handle(&ack).is_err());
        }
        let ack = PapPacket::AuthenticateAck {
            identifier: 1,
            message: b"ok",
        };
        assert_eq!(peer.handle(&ack), Ok(AuthOutcome::Success(b"ok".to_vec())));
        // Decided: the late answer to the retransmission is a duplicate.
        let dup = PapPacket::AuthenticateAck {
            identifier: 2,
            message: b"ok",
        };
        assert!(peer.handle(&dup).is_err());
    }
}
