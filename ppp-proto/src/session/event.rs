//! What the session reports: phases, events, why it went down, counters.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use crate::PppDropped;
use crate::auth::Credential;

/// The link phases of RFC 1661 §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No link (before [`PppSession::open`](crate::PppSession::open), after [`PppEvent::Down`]).
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PppDownReason {
    /// [`PppSession::close`](crate::PppSession::close).
    LocalClose,
    /// The peer sent an LCP Terminate-Request (while the link was open, or
    /// during negotiation, which then did not complete).
    PeerTerminated {
        /// Its Data, which implementations fill with a reason for people
        /// ("peer refused to authenticate"): at most
        /// [`MAX_TERMINATE_DATA`](crate::fsm::MAX_TERMINATE_DATA) bytes,
        /// decoded as UTF-8 with invalid sequences replaced; empty if none.
        message: String,
    },
    /// [`PppSession::lower_down`](crate::PppSession::lower_down) (PPPoE PADT, carrier loss).
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
pub enum PppEvent {
    /// LCP is open: send frames of at most `mtu` bytes (the peer's MRU).
    LinkUp {
        /// The peer's MRU.
        mtu: u16,
    },
    /// Authenticator: judge this credential, then call [`PppSession::accept`](crate::PppSession::accept)
    /// or [`PppSession::reject`](crate::PppSession::reject).
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
        /// Client: the server sent no IP-Address of its own, so `peer` is
        /// [`PLACEHOLDER_PEER`](crate::ipcp::PLACEHOLDER_PEER) (worth a log
        /// line; a point-to-point route needs no peer address).
        peer_assumed: bool,
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
        reason: PppDownReason,
    },
}

/// A session's counters: a plain struct, frames received and transmitted,
/// and one count of dropped input per [`PppDropped`] reason (fields of a
/// reason ignored: every `Malformed(_)` counts together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PppCounters {
    /// Frames given to `handle_input` (taken or dropped).
    pub received: u64,
    /// Frames taken by `poll_transmit`.
    pub transmitted: u64,
    /// Frames that do not parse ([`PppDropped::Malformed`]).
    pub malformed: u64,
    /// [`PppDropped::NotControl`].
    pub not_control: u64,
    /// [`PppDropped::Unexpected`].
    pub unexpected: u64,
    /// [`PppDropped::BadIdentifier`].
    pub bad_identifier: u64,
    /// [`PppDropped::MismatchedOptions`].
    pub mismatched_options: u64,
}

impl PppCounters {
    fn slot(&mut self, kind: &PppDropped) -> &mut u64 {
        match kind {
            PppDropped::Malformed(_) => &mut self.malformed,
            PppDropped::NotControl { .. } => &mut self.not_control,
            PppDropped::Unexpected { .. } => &mut self.unexpected,
            PppDropped::BadIdentifier { .. } => &mut self.bad_identifier,
            PppDropped::MismatchedOptions { .. } => &mut self.mismatched_options,
        }
    }

    /// Inputs dropped for reasons of this kind.
    pub fn dropped(&self, kind: &PppDropped) -> u64 {
        let mut copy = *self;
        *copy.slot(kind)
    }

    pub(crate) fn count(&mut self, kind: &PppDropped) {
        let c = self.slot(kind);
        *c = c.saturating_add(1);
    }

    /// All dropped inputs.
    pub fn total_dropped(&self) -> u64 {
        [
            self.malformed,
            self.not_control,
            self.unexpected,
            self.bad_identifier,
            self.mismatched_options,
        ]
        .iter()
        .fold(0u64, |a, b| a.saturating_add(*b))
    }
}
