//! The crate's one error type: malformed wire data, dropped input, caller misuse.

/// What went wrong, and where.
///
/// Wire errors (`Truncated`, `BadLength`, `BadValue`, `UnknownCode`) name the
/// field. The other variants are the reasons [`PppSession::handle_input`]
/// drops a well-formed frame (counted per reason in [`PppCounters`], the machine's
/// state unchanged) or the reason a command was refused.
///
/// [`PppSession::handle_input`]: crate::PppSession::handle_input
/// [`PppCounters`]: crate::PppCounters
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PppError {
    /// The buffer ends inside `field`.
    #[error("truncated at {field}")]
    Truncated {
        /// The field that does not fit.
        field: &'static str,
    },
    /// A length field (or the length of `field`) is impossible.
    #[error("bad length of {field}")]
    BadLength {
        /// The field whose length is wrong.
        field: &'static str,
    },
    /// A field holds a value the protocol forbids.
    #[error("bad value in {field}")]
    BadValue {
        /// The field with the forbidden value.
        field: &'static str,
    },
    /// A PAP or CHAP packet with a code the protocol does not define.
    #[error("unknown code {code}")]
    UnknownCode {
        /// The code on the wire.
        code: u8,
    },
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
    /// A command that is invalid now (e.g. a verdict with no pending
    /// authentication request).
    #[error("invalid in the current state: {what}")]
    InvalidState {
        /// The refused command.
        what: &'static str,
    },
}

impl PppError {
    /// Number of distinct reasons, for per-reason counters.
    pub const KINDS: usize = 9;

    /// A dense index of this error's variant (field names ignored), in
    /// `0..PppError::KINDS`.
    pub fn kind_index(&self) -> usize {
        match self {
            PppError::Truncated { .. } => 0,
            PppError::BadLength { .. } => 1,
            PppError::BadValue { .. } => 2,
            PppError::UnknownCode { .. } => 3,
            PppError::NotControl { .. } => 4,
            PppError::Unexpected { .. } => 5,
            PppError::BadIdentifier { .. } => 6,
            PppError::MismatchedOptions { .. } => 7,
            PppError::InvalidState { .. } => 8,
        }
    }
}
