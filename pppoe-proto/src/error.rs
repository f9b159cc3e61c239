//! What the machines report: the reasons input is dropped
//! ([`PppoeDropped`], counted in [`PppoeCounters`]), caller misuse
//! ([`PppoeCommandError`]) and invalid configuration ([`PppoeConfigError`]).
//! Malformed bytes are the codec's [`PppoeWireError`], carried in
//! [`PppoeDropped::Malformed`] when a machine drops them.

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

/// A machine's counters: a plain struct, frames received and transmitted,
/// and one count of dropped frames per [`PppoeDropped`] reason (fields of a
/// reason ignored: all `WrongSessionId(_)` count together).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PppoeCounters {
    /// Frames given to `handle_input` (taken or dropped).
    pub received: u64,
    /// Frames taken by `poll_transmit`.
    pub transmitted: u64,
    /// Frames that do not parse ([`PppoeDropped::Malformed`]).
    pub malformed: u64,
    /// [`PppoeDropped::NotForUs`].
    pub not_for_us: u64,
    /// [`PppoeDropped::WrongPeer`].
    pub wrong_peer: u64,
    /// [`PppoeDropped::WrongHostUniq`].
    pub wrong_host_uniq: u64,
    /// [`PppoeDropped::WrongSessionId`].
    pub wrong_session_id: u64,
    /// [`PppoeDropped::UnexpectedCode`].
    pub unexpected_code: u64,
    /// [`PppoeDropped::MissingTag`].
    pub missing_tag: u64,
    /// [`PppoeDropped::OfferNotWanted`] (client).
    pub offer_not_wanted: u64,
    /// [`PppoeDropped::BadCookie`] (AC).
    pub bad_cookie: u64,
    /// [`PppoeDropped::RateLimited`] (AC).
    pub rate_limited: u64,
    /// [`PppoeDropped::UnknownService`] (AC).
    pub unknown_service: u64,
    /// [`PppoeDropped::Full`] (AC).
    pub full: u64,
    /// [`PppoeDropped::KnownSession`] (AC; never counted, see there).
    pub known_session: u64,
}

impl PppoeCounters {
    fn slot(&mut self, e: PppoeDropped) -> &mut u64 {
        match e {
            PppoeDropped::Malformed(_) => &mut self.malformed,
            PppoeDropped::NotForUs => &mut self.not_for_us,
            PppoeDropped::WrongPeer => &mut self.wrong_peer,
            PppoeDropped::WrongHostUniq => &mut self.wrong_host_uniq,
            PppoeDropped::WrongSessionId(_) => &mut self.wrong_session_id,
            PppoeDropped::UnexpectedCode(_) => &mut self.unexpected_code,
            PppoeDropped::MissingTag { .. } => &mut self.missing_tag,
            PppoeDropped::OfferNotWanted => &mut self.offer_not_wanted,
            PppoeDropped::BadCookie => &mut self.bad_cookie,
            PppoeDropped::RateLimited => &mut self.rate_limited,
            PppoeDropped::UnknownService => &mut self.unknown_service,
            PppoeDropped::Full => &mut self.full,
            PppoeDropped::KnownSession => &mut self.known_session,
        }
    }

    /// Counts one drop of this kind.
    pub(crate) fn count(&mut self, e: PppoeDropped) {
        let c = self.slot(e);
        *c = c.saturating_add(1);
    }

    /// Drops of the same kind as `e` (its fields are ignored).
    pub fn dropped(&self, e: PppoeDropped) -> u64 {
        let mut copy = *self;
        *copy.slot(e)
    }

    /// All drops.
    pub fn total_dropped(&self) -> u64 {
        [
            self.malformed,
            self.not_for_us,
            self.wrong_peer,
            self.wrong_host_uniq,
            self.wrong_session_id,
            self.unexpected_code,
            self.missing_tag,
            self.offer_not_wanted,
            self.bad_cookie,
            self.rate_limited,
            self.unknown_service,
            self.full,
            self.known_session,
        ]
        .iter()
        .fold(0u64, |a, &c| a.saturating_add(c))
    }
}
