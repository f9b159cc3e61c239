//! What a session reports besides events: why input was dropped
//! ([`PppDropped`], counted in [`crate::PppCounters`]) and caller misuse
//! ([`PppCommandError`]). Malformed bytes are the codec's
//! [`PppWireError`], carried in [`PppDropped::Malformed`].

use crate::PppWireError;

/// Why [`crate::PppSession::handle_input`] dropped a frame: counted per
/// reason in [`crate::PppSession::counters`], the session's state unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PppDropped {
    /// The bytes do not parse.
    #[error("malformed: {0}")]
    Malformed(#[from] PppWireError),
    /// The frame carries a network-layer datagram (IPv4, IPv6), which is the
    /// data path's business, not the control plane's.
    #[error("data protocol {protocol:#06x} is not handled by the session")]
    NotControl {
        /// The PPP protocol number.
        protocol: u16,
    },
    /// A well-formed packet that this phase or state does not accept.
    #[error("unexpected {what} in this phase or state")]
    Unexpected {
        /// What arrived.
        what: &'static str,
    },
    /// A reply whose Identifier is not the one of our outstanding request,
    /// or a duplicate reply to a request already answered.
    #[error("{what} does not match the outstanding request")]
    BadIdentifier {
        /// What arrived.
        what: &'static str,
    },
    /// A Configure-Ack whose options differ from our request, or a
    /// Configure-Reject of options we did not send (RFC 1661 §5.3, §5.4).
    #[error("{what} does not match our request's options")]
    MismatchedOptions {
        /// What arrived.
        what: &'static str,
    },
}

/// A command refused at once (the session's state unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PppCommandError {
    /// A command that is invalid now (e.g. a verdict with no pending
    /// authentication request).
    #[error("invalid in the current state: {what}")]
    InvalidState {
        /// The refused command.
        what: &'static str,
    },
}
