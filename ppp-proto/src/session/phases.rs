//! Sequencing the phases: what This-Layer-Up/Down/Finished of LCP, IPCP
//! and IPv6CP mean for the session (RFC 1661 §3.2–§3.7).

use sansio_primitives::Instant;

use super::{Auth, Out, Phase, PppDownReason, PppEvent, PppSession};
use crate::chap::{ChapAuthenticator, ChapPeer};
use crate::config::Role;
use crate::fsm::{Action, Fsm, State};
use crate::ipcp::{IpcpPolicy, PLACEHOLDER_PEER};
use crate::ipv6cp::Ipv6cpPolicy;
use crate::lcp::AuthMethod;
use crate::pap::{PapAuthenticator, PapPeer};
use crate::wire::protocol;

impl PppSession {
    // ----- sequencing --------------------------------------------------------

    /// Closes for `reason`, the Terminate-Request saying why (as pppd).
    pub(super) fn close_with(&mut self, now: Instant, reason: PppDownReason) {
        let text = terminate_text(&reason);
        self.close_saying(now, reason, text);
    }

    /// Closes for `reason`, the Terminate-Request carrying `text`. The
    /// first reason stays.
    pub(super) fn close_saying(
        &mut self,
        now: Instant,
        reason: PppDownReason,
        text: Option<&[u8]>,
    ) {
        if self.phase == Phase::Dead {
            return;
        }
        if self.reason.is_none() {
            if let Some(text) = text {
                self.lcp.set_terminate_data(text);
            }
            self.reason = Some(reason);
        }
        self.echo_deadline = None;
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        self.lcp.close(now, &mut out);
        if matches!(self.lcp.state(), State::Closing | State::Stopping) {
            self.phase = Phase::Terminate;
        } else if self.lcp.state() == State::Closed {
            // Closed while waiting silently (Stopped): nothing was sent, so
            // there is nothing to terminate.
            self.finish();
        }
    }

    pub(super) fn finish(&mut self) {
        if self.phase == Phase::Dead {
            return;
        }
        self.phase = Phase::Dead;
        self.echo_deadline = None;
        self.silent_deadline = None;
        self.auth = Auth::None;
        self.ipcp = None;
        self.ipv6cp = None;
        let reason = match (self.reason.clone(), self.peer_terminated.take()) {
            (Some(r), _) => r,
            (None, Some(message)) => PppDownReason::PeerTerminated { message },
            (None, None) => PppDownReason::NegotiationFailed,
        };
        self.reason = Some(reason.clone());
        self.events.push_back(PppEvent::Down { reason });
    }

    /// Handles This-Layer-Up/Down/Finished of every automaton until none is
    /// left.
    pub(super) fn process(&mut self, now: Instant) {
        while let Some((proto, action)) = self.layer.pop_front() {
            match (proto, action) {
                (protocol::LCP, Action::Tlu) => self.lcp_up(now),
                (protocol::LCP, Action::Tld) => self.lcp_down(),
                (protocol::LCP, Action::Tlf) => self.finish(),
                (protocol::IPCP, Action::Tlu) => {
                    let mut out = Out {
                        tx: &mut self.tx,
                        layer: &mut self.layer,
                    };
                    if let Some(n) = &mut self.ipcp {
                        let p = &n.policy;
                        // The address that matters: the client's own, or
                        // the one the server assigned.
                        let ours = if p.is_server() { p.peer() } else { p.local() };
                        if ours.is_unspecified() {
                            // No usable address was agreed (the other side
                            // rejected IP-Address): IPv4 is not possible.
                            n.close(now, &mut out);
                        } else {
                            // A server that sent no IP-Address of its own:
                            // a placeholder, as pppd does.
                            let peer_assumed = !p.is_server() && p.peer().is_unspecified();
                            self.ipv4_up = true;
                            self.events.push_back(PppEvent::Ipv4Up {
                                local: p.local(),
                                peer: if peer_assumed {
                                    PLACEHOLDER_PEER
                                } else {
                                    p.peer()
                                },
                                dns: p.dns(),
                                peer_assumed,
                            });
                        }
                    }
                }
                (protocol::IPCP, Action::Tld) if core::mem::take(&mut self.ipv4_up) => {
                    self.events.push_back(PppEvent::Ipv4Down)
                }
                (protocol::IPV6CP, Action::Tlu) => {
                    if let Some(n) = &self.ipv6cp {
                        self.events.push_back(PppEvent::Ipv6Up {
                            local_ifid: n.policy.local(),
                            peer_ifid: n.policy.peer(),
                        });
                    }
                }
                (protocol::IPV6CP, Action::Tld) => {
                    self.events.push_back(PppEvent::Ipv6Down);
                    if self.config.ipv6_required && self.phase == Phase::Network {
                        self.close_with(now, PppDownReason::Ipv6Lost);
                    }
                }
                (protocol::IPCP | protocol::IPV6CP, Action::Tlf)
                    if self.restart_ncp(now, proto) => {}
                (protocol::IPV6CP, Action::Tlf) if self.config.ipv6_required => {
                    self.close_with(now, PppDownReason::Ipv6Lost)
                }
                (protocol::IPCP | protocol::IPV6CP, Action::Tlf) => self.check_ncps(now),
                _ => {}
            }
        }
    }

    pub(super) fn lcp_up(&mut self, now: Instant) {
        self.events.push_back(PppEvent::LinkUp { mtu: self.mtu() });
        // A Terminate-Request during this negotiation did not end it.
        self.peer_terminated = None;
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
                    now,
                    &t,
                    &a.name,
                    &mut self.rng,
                    &mut out,
                )),
                None if a.methods.preferred().is_some() => {
                    self.close_with(now, PppDownReason::AuthRefused);
                    return;
                }
                None => Auth::None,
            },
        };
        if matches!(self.auth, Auth::None) {
            self.start_network(now);
        } else {
            self.phase = Phase::Authenticate;
        }
    }

    pub(super) fn lcp_down(&mut self) {
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

    pub(super) fn start_network(&mut self, now: Instant) {
        self.phase = Phase::Network;
        let t = self.config.lcp.timers;
        let (ipcp, ipv6cp) = match &self.config.role {
            Role::Peer(p) => (
                Some(IpcpPolicy::client(p.ipv4_hint, p.request_dns)),
                Ipv6cpPolicy::new(p.ipv6_ifid),
            ),
            Role::Authenticator(a) => (
                a.ipv4.map(|asg| IpcpPolicy::server(a.local_ipv4, asg)),
                Ipv6cpPolicy::new(a.ipv6_ifid).imposing(a.ipv6_peer_ifid),
            ),
        };
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        if self.config.ipv4 && !self.ipv4_rejected {
            self.ipcp = ipcp.map(|p| {
                let mut f = Fsm::new(p, t);
                f.open(now, &mut self.rng, &mut out);
                f.up(now, &mut self.rng, &mut out);
                f
            });
        }
        if self.config.ipv6 && !self.ipv6_rejected {
            let mut f = Fsm::new(ipv6cp, t);
            f.open(now, &mut self.rng, &mut out);
            f.up(now, &mut self.rng, &mut out);
            self.ipv6cp = Some(f);
        }
        if self.ipcp.is_none() && self.ipv6cp.is_none() {
            self.close_with(now, PppDownReason::NoNetworkProtocols);
        }
    }

    /// The peer Protocol-Rejected `p`: stop it; the link stays up unless
    /// nothing is left (or IPv6 was required).
    pub(super) fn protocol_rejected(&mut self, now: Instant, p: u16) {
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
            .push_back(PppEvent::ProtocolRejected { protocol: p });
        if p == protocol::IPV6CP && self.config.ipv6_required {
            self.close_with(now, PppDownReason::Ipv6Lost);
        } else {
            self.check_ncps(now);
        }
    }

    /// Closes the link when no NCP is running or negotiating any more.
    pub(super) fn check_ncps(&mut self, now: Instant) {
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
            self.close_with(now, PppDownReason::NoNetworkProtocols);
        }
    }

    /// An NCP gave up negotiating (Max-Configure) while the link is up: the
    /// other side may believe it open (its Acks were lost), so negotiate it
    /// afresh (the RFC 1661 restart option: Down then Up), at most
    /// [`MAX_NCP_RESTARTS`] times per session. Not after a Terminate
    /// exchange: a peer that closed an NCP is left alone (§3.7).
    pub(super) fn restart_ncp(&mut self, now: Instant, proto: u16) -> bool {
        if self.phase != Phase::Network || self.lcp.state() != State::Opened {
            return false;
        }
        let i = usize::from(proto == protocol::IPV6CP);
        if self.ncp_restarts[i] >= MAX_NCP_RESTARTS {
            return false;
        }
        let mut out = Out {
            tx: &mut self.tx,
            layer: &mut self.layer,
        };
        let restarted = match proto {
            protocol::IPCP => self
                .ipcp
                .as_mut()
                .filter(|n| n.negotiation_failed())
                .map(|n| {
                    n.down(&mut out);
                    n.up(now, &mut self.rng, &mut out);
                }),
            _ => self
                .ipv6cp
                .as_mut()
                .filter(|n| n.negotiation_failed())
                .map(|n| {
                    n.down(&mut out);
                    n.up(now, &mut self.rng, &mut out);
                }),
        };
        if restarted.is_some() {
            self.ncp_restarts[i] += 1;
        }
        restarted.is_some()
    }
}

/// How often an NCP that failed to converge is negotiated afresh.
pub(super) const MAX_NCP_RESTARTS: u8 = 2;

/// What our Terminate-Request says when we close for `reason` (pppd's
/// texts where it has one); `None` when we send none for it.
fn terminate_text(reason: &PppDownReason) -> Option<&'static [u8]> {
    Some(match reason {
        PppDownReason::LocalClose => b"User request",
        PppDownReason::AuthFailed => b"Authentication failed",
        PppDownReason::AuthTimeout => b"Authentication timed out",
        PppDownReason::AuthRefused => b"Peer refused to authenticate",
        PppDownReason::EchoTimeout => b"Peer not responding",
        PppDownReason::LoopedBack => b"Loopback detected",
        PppDownReason::Ipv6Lost => b"IPv6 is required and IPv6CP is down",
        PppDownReason::NoNetworkProtocols => b"No network protocols running",
        PppDownReason::NegotiationFailed
        | PppDownReason::PeerTerminated { .. }
        | PppDownReason::LowerDown => return None,
    })
}
