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
//!   one of our recent Responses (the last [`RECENT_RESPONSES`]): a
//!   Challenge of an earlier LCP negotiation, delayed on a link that
//!   reorders, may be answered after the current one, and the
//!   authenticator's Success then names the current one, not our last
//!   Response (pppd does not check the Identifier at all). It repeats its
//!   recent Responses every restart interval while no answer came (the
//!   Success may have been lost; the authenticator answers a repeated
//!   Response again, and drops the stale ones), and gives up when no
//!   Success/Failure arrived within restart × Max-Configure of LCP opening.

use alloc::vec::Vec;
use rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng};

use crate::auth::{AuthOutcome, Credential};
use crate::fsm::{Sink, Timers};
use crate::pap::Verdict;
use crate::wire::chap::{ChapPacket, chap_md5_response};
use crate::wire::protocol;
use crate::{PppCommandError, PppDropped, Secret};

/// Challenge length in bytes.
pub const CHALLENGE_LEN: usize = 16;

fn total(t: &Timers) -> Duration {
    t.restart * u32::from(t.max_configure.max(1))
}

/// How many of its latest Responses (Identifier and value) the peer keeps:
/// the authenticator's Success/Failure may answer any of them.
pub const RECENT_RESPONSES: usize = 4;

/// The peer (authenticatee) side of CHAP-MD5.
#[derive(Clone)]
pub struct ChapPeer {
    /// (Identifier, Response value) of our latest Responses, oldest first.
    responded: heapless::Vec<(u8, [u8; 16]), RECENT_RESPONSES>,
    /// When to retransmit the Responses if no Success/Failure came.
    resend: Option<Instant>,
    deadline: Option<Instant>,
}

/// The Response values are MD5 of the secret: enough for an offline
/// dictionary attack, so `Debug` shows only their Identifiers.
impl core::fmt::Debug for ChapPeer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut ids = heapless::Vec::<u8, RECENT_RESPONSES>::new();
        for (id, _) in &self.responded {
            let _ = ids.push(*id);
        }
        f.debug_struct("ChapPeer")
            .field("responded", &ids)
            .field("resend", &self.resend)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl ChapPeer {
    pub(crate) fn start(now: Instant, t: &Timers) -> Self {
        ChapPeer {
            responded: heapless::Vec::new(),
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

    fn send_response(identifier: u8, value: &[u8; 16], user: &[u8], sink: &mut dyn Sink) {
        let resp = ChapPacket::Response {
            identifier,
            value,
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
    ) -> Result<AuthOutcome, PppDropped> {
        match *pkt {
            ChapPacket::Challenge {
                identifier, value, ..
            } => {
                let response = chap_md5_response(identifier, secret.expose(), value);
                Self::send_response(identifier, &response, user, sink);
                self.responded.retain(|(id, _)| *id != identifier);
                if self.responded.is_full() {
                    self.responded.remove(0);
                }
                // Room was made just above.
                let _ = self.responded.push((identifier, response));
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
                if !self.responded.iter().any(|(id, _)| *id == identifier) {
                    return Err(PppDropped::BadIdentifier {
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
            ChapPacket::Response { .. } => Err(PppDropped::Unexpected {
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
        if let Some(r) = self.resend
            && r <= now
        {
            for (id, value) in &self.responded {
                Self::send_response(*id, value, user, sink);
            }
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
    ) -> Result<AuthOutcome, PppDropped> {
        let ChapPacket::Response {
            identifier,
            value,
            name,
        } = *pkt
        else {
            return Err(PppDropped::Unexpected {
                what: "CHAP packet other than Response",
            });
        };
        if identifier != self.id {
            return Err(PppDropped::BadIdentifier {
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
    ) -> Result<(), PppCommandError> {
        if self.state != Verdict::Pending {
            return Err(PppCommandError::InvalidState {
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    #[derive(Default)]
    struct Sent(Vec<Vec<u8>>);

    impl Sink for Sent {
        fn send(&mut self, _protocol: u16, packet: Vec<u8>) {
            self.0.push(packet);
        }
        fn action(&mut self, _protocol: u16, _action: crate::fsm::Action) {}
    }

    fn challenge(identifier: u8, value: &[u8]) -> ChapPacket<'_> {
        ChapPacket::Challenge {
            identifier,
            value,
            name: b"ac",
        }
    }

    /// A Challenge of an earlier LCP negotiation arrives after the current
    /// one: the Success for the current one still completes authentication
    /// (it used to be dropped as not naming our last Response, and the peer
    /// timed out), and the repeated Responses include both.
    #[test]
    fn success_for_an_earlier_response_than_the_last_is_accepted() {
        let t = Timers::default();
        let secret = Secret::from("s");
        let now = Instant::ZERO;
        let mut peer = ChapPeer::start(now, &t);
        let mut sent = Sent::default();
        let current = challenge(232, &[1; 16]);
        let stale = challenge(95, &[2; 16]);
        for c in [&current, &stale] {
            let r = peer.handle(now, &t, c, b"user", &secret, &mut sent);
            assert_eq!(r, Ok(AuthOutcome::None));
        }
        assert_eq!(sent.0.len(), 2);
        // Debug shows Identifiers, never Response values.
        let debug = format!("{peer:?}");
        let value = chap_md5_response(232, b"s", &[1; 16]);
        assert!(debug.contains("232") && debug.contains("95"), "{debug}");
        assert!(
            !debug.contains(&format!("{}, {}", value[0], value[1])),
            "{debug}"
        );
        // No answer yet: both Responses are repeated.
        let resend = peer.poll_timeout().unwrap();
        assert_eq!(resend, now + t.restart);
        assert_eq!(
            peer.handle_timeout(resend, &t, b"user", &mut sent),
            AuthOutcome::None
        );
        let ids: Vec<u8> = sent.0[2..].iter().map(|p| p[1]).collect();
        assert_eq!(ids, [232, 95]);
        // A Success naming an Identifier we never answered is dropped…
        let other = ChapPacket::Success {
            identifier: 7,
            message: b"",
        };
        assert!(
            peer.handle(now, &t, &other, b"user", &secret, &mut sent)
                .is_err()
        );
        // …the one for the current Challenge completes authentication.
        let success = ChapPacket::Success {
            identifier: 232,
            message: b"ok",
        };
        assert_eq!(
            peer.handle(now, &t, &success, b"user", &secret, &mut sent),
            Ok(AuthOutcome::Success(b"ok".to_vec()))
        );
    }

    /// Only the latest [`RECENT_RESPONSES`] Responses are kept.
    #[test]
    fn recent_responses_are_bounded() {
        let t = Timers::default();
        let secret = Secret::from("s");
        let mut peer = ChapPeer::start(Instant::ZERO, &t);
        let mut sent = Sent::default();
        for id in 0..10u8 {
            let value = [id; 16];
            let c = challenge(id, &value);
            peer.handle(Instant::ZERO, &t, &c, b"u", &secret, &mut sent)
                .unwrap();
        }
        // A retransmitted Challenge does not take a second slot.
        let again = challenge(9, &[9; 16]);
        peer.handle(Instant::ZERO, &t, &again, b"u", &secret, &mut sent)
            .unwrap();
        let ids: Vec<u8> = peer.responded.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [6, 7, 8, 9]);
        let old = ChapPacket::Failure {
            identifier: 5,
            message: b"",
        };
        assert!(
            peer.handle(Instant::ZERO, &t, &old, b"u", &secret, &mut sent)
                .is_err()
        );
    }
}
