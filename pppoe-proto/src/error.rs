//! What the machines report: the reasons input is dropped
//! ([`PppoeDropped`], counted in [`PppoeCounters`]), caller misuse
//! ([`PppoeCommandError`]) and invalid configuration ([`PppoeConfigError`]).
//! Malformed bytes are the codec's [`PppoeWireError`], carried in
//! [`PppoeDropped::Malformed`] when a machine drops them.

use core::fmt;

use crate::PppoeWireError;
use crate::wire::{Code, TagType};

/// Why [`crate::PppoeClient::handle_input`] or [`crate::PppoeAc::handle_input`]
/// dropped a frame: counted per reason in the machine's
/// [`counters`](crate::PppoeAc::counters), the machine's state unchanged.
/// Small and `Copy`. One enum for both PPPoE machines; the doc of each
/// variant says which machine reports it where only one does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PppoeDropped {
    /// The bytes do not parse.
    #[error("malformed: {0}")]
    Malformed(#[from] PppoeWireError),
    /// the destination MAC is neither ours nor (where allowed) broadcast.
    #[error("destination MAC is not ours")]
    NotForUs,
    /// the source MAC is not the peer this state expects (another AC,
    /// another client), or is not a unicast address.
    #[error("source MAC is not the expected peer")]
    WrongPeer,
    /// Host-Uniq missing or not the one we sent.
    #[error("Host-Uniq does not match")]
    WrongHostUniq,
    /// the SESSION_ID is not the one of this session (or not zero
    /// where RFC 2516 requires zero).
    #[error("session id {0:#06x} does not match")]
    WrongSessionId(u16),
    /// a packet with this code is not expected in the current state.
    #[error("{0} not expected now")]
    UnexpectedCode(Code),
    /// a tag the packet must carry is missing.
    #[error("required tag {tag} missing")]
    MissingTag {
        /// The missing tag.
        tag: TagType,
    },
    /// a PADO that does not match the configured AC-Name or
    /// Service-Name filter, or that carries an error tag.
    #[error("offer does not match the filter")]
    OfferNotWanted,
    /// a PADR whose AC-Cookie is missing, forged or stale.
    #[error("AC-Cookie invalid or stale")]
    BadCookie,
    /// over a rate limit, per client MAC or overall (PADIs
    /// answered, or PADTs for unknown sessions).
    #[error("rate limit")]
    RateLimited,
    /// a PADI asking for a service we do not offer (RFC 2516 §5.2:
    /// an AC that cannot serve the PADI does not answer).
    #[error("requested service not offered")]
    UnknownService,
    /// the AC is at its session bound and does not offer (PADI).
    #[error("at the session bound")]
    Full,
    /// AC, [`crate::PppoeAc::handle_unknown_session`] only: the session
    /// exists and belongs to the frame's sender, so the caller should have
    /// taken the frame (not counted: not a drop of the peer's input).
    #[error("the session is known: not for the unknown-session path")]
    KnownSession,
}

impl PppoeDropped {
    /// A dense index per variant, ignoring the fields.
    fn index(&self) -> usize {
        match self {
            PppoeDropped::Malformed(_) => 0,
            PppoeDropped::NotForUs => 1,
            PppoeDropped::WrongPeer => 2,
            PppoeDropped::WrongHostUniq => 3,
            PppoeDropped::WrongSessionId(_) => 4,
            PppoeDropped::UnexpectedCode(_) => 5,
            PppoeDropped::MissingTag { .. } => 6,
            PppoeDropped::OfferNotWanted => 7,
            PppoeDropped::BadCookie => 8,
            PppoeDropped::RateLimited => 9,
            PppoeDropped::UnknownService => 10,
            PppoeDropped::Full => 11,
            PppoeDropped::KnownSession => 12,
        }
    }
}

/// How many variants [`PppoeDropped`] has.
const KINDS: usize = 13;

/// A command refused at once: the machine's state is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PppoeCommandError {
    /// The command does not apply in the current state (or the request it
    /// names is unknown or expired).
    #[error("invalid in the current state")]
    InvalidState,
    /// AC: no session id is free.
    #[error("at the session bound")]
    Full,
    /// AC: no session with this id.
    #[error("no session {0:#06x}")]
    UnknownSession(u16),
}

/// A configuration the machine cannot run with, refused by its `new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PppoeConfigError {
    /// A configured name does not fit its tag (longer than 65535 bytes).
    #[error("configured {tag} too long for its tag")]
    TooLong {
        /// The tag the name goes into.
        tag: TagType,
    },
}

/// A machine's counters: received frames dropped, one count per
/// [`PppoeDropped`] reason (fields ignored: all `WrongSessionId(_)` count
/// together).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PppoeCounters {
    counts: [u64; KINDS],
}

impl PppoeCounters {
    /// Counts one drop of this kind.
    pub(crate) fn count(&mut self, e: PppoeDropped) {
        let i = e.index();
        self.counts[i] = self.counts[i].saturating_add(1);
    }

    /// Drops of the same kind as `e` (its fields are ignored).
    pub fn dropped(&self, e: PppoeDropped) -> u64 {
        self.counts[e.index()]
    }

    /// All drops.
    pub fn total_dropped(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }
}

impl fmt::Debug for PppoeCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PppoeCounters")
            .field("total_dropped", &self.total_dropped())
            .field("dropped", &self.counts)
            .finish()
    }
}
