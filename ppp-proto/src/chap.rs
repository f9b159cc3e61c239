//! CHAP with MD5 (RFC 1994), both roles.
//!
//! - [`ChapAuthenticator`]: sends a Challenge (16 random bytes from the
//!   caller's `SeededRng`, our name) and retransmits it every restart
//!   interval up to Max-Configure times; a Response with the challenge's
//!   Identifier goes to the application as a [`Credential::ChapMd5`]; the
//!   verdict becomes Success or Failure. A retransmitted Response after the
//!   verdict gets the same answer again. Periodic re-challenge is not
//!   implemented.
//! - [`ChapPeer`]: answers every Challenge with MD5(Identifier ‖ secret ‖
//!   challenge) and our name; Success/Failure must carry the Identifier of
//!   our last Response. It repeats its Response every restart interval
//!   while no answer came (the Success may have been lost; the authenticator
//!   answers a repeated Response again), and gives up when no
//!   Success/Failure arrived within restart × Max-Configure of LCP opening.

use alloc::vec::Vec;
use proto_core::{Duration, Instant, SeededRng};
use rand_core::Rng;

use crate::auth::{AuthOutcome, Credential};
use crate::fsm::{Sink, Timers};
use crate::pap::Verdict;
use crate::wire::chap::{ChapPacket, chap_md5_response};
use crate::wire::protocol;
use crate::{Error, Secret};

/// Challenge length in bytes.
pub const CHALLENGE_LEN: usize = 16;

fn total(t: &Timers) -> Duration {
    t.restart * u32::from(t.max_configure.max(1))
}

/// The peer (authenticatee) side of CHAP-MD5.
#[derive(Debug, Clone)]
pub struct ChapPeer {
    responded: Option<u8>,
    response: [u8; 16],
    /// When to retransmit the Response if no Success/Failure came.
    resend: Option<Instant>,
    deadline: Option<Instant>,
}

impl ChapPeer {
    pub(crate) fn start(now: Instant, t: &Timers) -> Self {
        ChapPeer {
            responded: None,
            response: [0; 16],
            resend: None,
            deadline: Some(now + total(t)),
        }
    }

    /// When this machine's timer next fires (the session handles it).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.resend, self.deadline) {
            (Some(r), Some(d)) => Some(r.min(d)),
            (r, d) => r.or(d),
        }
    }

    fn send_response(&self, identifier: u8, user: &[u8], sink: &mut dyn Sink) {
        let resp = ChapPacket::Response {
            identifier,
            value: &self.response,
            name: user,
        };
        sink.send(protocol::CHAP, resp.to_vec());
    }

    pub(crate) fn handle(
        &mut self,
        now: Instant,
        t: &Timers,
        pkt: &ChapPacket<'_>,
        user: &[u8],
        secret: &Secret,
        sink: &mut dyn Sink,
    ) -> Result<AuthOutcome, Error> {
        match *pkt {
            ChapPacket::Challenge {
                identifier, value, ..
            } => {
                self.response = chap_md5_response(identifier, secret.expose(), value);
                self.send_response(identifier, user, sink);
                self.responded = Some(identifier);
                if self.deadline.is_some() {
                    self.resend = Some(now + t.restart);
                }
                Ok(AuthOutcome::None)
            }
            ChapPacket::Success {
                identifier,
                message,
            }
            | ChapPacket::Failure {
                identifier,
                message,
            } => {
                if self.responded != Some(identifier) {
                    return Err(Error::BadIdentifier {
                        what: "CHAP result",
                    });
                }
                self.resend = None;
                if self.deadline.is_none() && matches!(pkt, ChapPacket::Success { .. }) {
                    // A duplicate, or the answer to a re-challenge.
                    return Ok(AuthOutcome::None);
                }
                self.deadline = None;
                Ok(if matches!(pkt, ChapPacket::Success { .. }) {
                    AuthOutcome::Success(message.to_vec())
                } else {
                    AuthOutcome::Failure(message.to_vec())
                })
            }
            ChapPacket::Response { .. } => Err(Error::Unexpected {
                what: "CHAP Response",
            }),
        }
    }

    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        t: &Timers,
        user: &[u8],
        sink: &mut dyn Sink,
    ) -> AuthOutcome {
        match self.deadline {
            Some(d) if d <= now => {
                self.deadline = None;
                self.resend = None;
                return AuthOutcome::Timeout;
            }
            _ => {}
        }
        // The Success may have been lost: repeat the Response, and the
        // authenticator repeats its answer (RFC 1994 §4.2).
        if let (Some(r), Some(id)) = (self.resend, self.responded)
            && r <= now
        {
            self.send_response(id, user, sink);
            self.resend = Some(now + t.restart);
        }
        AuthOutcome::None
    }
}

/// The authenticator side of CHAP-MD5.
#[derive(Debug, Clone)]
pub struct ChapAuthenticator {
    state: Verdict,
    id: u8,
    tries_left: u8,
    challenge: [u8; CHALLENGE_LEN],
    deadline: Option<Instant>,
    reply: Vec<u8>,
}

impl ChapAuthenticator {
    pub(crate) fn start(
        now: Instant,
        t: &Timers,
        name: &[u8],
        rng: &mut SeededRng,
        sink: &mut dyn Sink,
    ) -> Self {
        let mut challenge = [0u8; CHALLENGE_LEN];
        rng.fill_bytes(&mut challenge);
        let mut c = ChapAuthenticator {
            state: Verdict::Waiting,
            id: rng.next_u32() as u8,
            tries_left: t.max_configure.max(1),
            challenge,
            deadline: None,
            reply: Vec::new(),
        };
        c.send(now, t, name, sink);
        c
    }

    fn send(&mut self, now: Instant, t: &Timers, name: &[u8], sink: &mut dyn Sink) {
        self.tries_left = self.tries_left.saturating_sub(1);
        self.deadline = Some(now + t.restart);
        let pkt = ChapPacket::Challenge {
            identifier: self.id,
            value: &self.challenge,
            name,
        };
        sink.send(protocol::CHAP, pkt.to_vec());
    }

    /// When this machine's timer next fires (the session handles it).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    pub(crate) fn handle(
        &mut self,
        now: Instant,
        t: &Timers,
        pkt: &ChapPacket<'_>,
        sink: &mut dyn Sink,
    ) -> Result<AuthOutcome, Error> {
        let ChapPacket::Response {
            identifier,
            value,
            name,
        } = *pkt
        else {
            return Err(Error::Unexpected {
                what: "CHAP packet other than Response",
            });
        };
        if identifier != self.id {
            return Err(Error::BadIdentifier {
                what: "CHAP Response",
            });
        }
        match self.state {
            Verdict::Waiting => {
                self.state = Verdict::Pending;
                self.deadline = Some(now + total(t));
                Ok(AuthOutcome::Request {
                    user: name.to_vec(),
                    credential: Credential::ChapMd5 {
                        identifier,
                        challenge: self.challenge.to_vec(),
                        response: value.to_vec(),
                    },
                })
            }
            Verdict::Pending => Ok(AuthOutcome::None),
            Verdict::Done(_) => {
                sink.send(protocol::CHAP, self.reply.clone());
                Ok(AuthOutcome::None)
            }
        }
    }

    pub(crate) fn reply_capacity(&self) -> usize {
        self.reply.capacity()
    }

    pub(crate) fn decide(
        &mut self,
        accept: bool,
        message: &[u8],
        sink: &mut dyn Sink,
    ) -> Result<(), Error> {
        if self.state != Verdict::Pending {
            return Err(Error::InvalidState {
                what: "no pending CHAP response",
            });
        }
        let pkt = if accept {
            ChapPacket::Success {
                identifier: self.id,
                message,
            }
        } else {
            ChapPacket::Failure {
                identifier: self.id,
                message,
            }
        };
        self.reply = pkt.to_vec();
        self.state = Verdict::Done(accept);
        self.deadline = None;
        sink.send(protocol::CHAP, self.reply.clone());
        Ok(())
    }

    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        t: &Timers,
        name: &[u8],
        sink: &mut dyn Sink,
    ) -> AuthOutcome {
        match self.deadline {
            Some(d) if d <= now => {}
            _ => return AuthOutcome::None,
        }
        if self.state == Verdict::Waiting && self.tries_left > 0 {
            self.send(now, t, name, sink);
            return AuthOutcome::None;
        }
        self.deadline = None;
        AuthOutcome::Timeout
    }
}
