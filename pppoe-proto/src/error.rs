//! The crate's one error type and the per-reason drop counters.
//!
//! [`Error`] covers three things that never mix (see the crate docs):
//! malformed bytes found by the codec, peer input a machine drops (returned
//! by `handle_input`, counted in [`DropCounts`], state unchanged), and caller
//! misuse ([`Error::InvalidState`], [`Error::BufferTooSmall`]).

use core::fmt;

use crate::wire::{Code, TagType};

/// What went wrong, and where. Small and `Copy`: no heap data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input ended inside `field`.
    #[error("truncated at {field}")]
    Truncated {
        /// The field that was cut short (`"ethernet header"`, `"tag header"`…).
        field: &'static str,
    },
    /// The Ethernet type is neither 0x8863 (discovery) nor 0x8864 (session),
    /// or not the one expected here.
    #[error("ethertype {0:#06x} is not the PPPoE ethertype expected here")]
    BadEthertype(u16),
    /// The PPPoE VER and TYPE nibbles are not both 1 (RFC 2516 §4).
    #[error("PPPoE version {version}, type {ty}: both must be 1")]
    BadVersion {
        /// The VER nibble received.
        version: u8,
        /// The TYPE nibble received.
        ty: u8,
    },
    /// The PPPoE LENGTH field claims more payload than the frame holds.
    #[error("PPPoE length {length} runs past the {available} bytes left in the frame")]
    PayloadPastFrame {
        /// The LENGTH field.
        length: u16,
        /// Bytes present after the PPPoE header.
        available: usize,
    },
    /// A tag's TAG_LENGTH runs past the end of the PPPoE payload.
    #[error("tag {tag}: length {length} runs past the end of the payload")]
    TagPastPayload {
        /// The tag whose length lies.
        tag: TagType,
        /// Its TAG_LENGTH.
        length: u16,
    },
    /// A fixed-size tag has the wrong TAG_LENGTH (End-Of-List must be 0,
    /// PPP-Max-Payload 2).
    #[error("tag {tag}: length {length}, expected {expected}")]
    BadTagLength {
        /// The tag.
        tag: TagType,
        /// Its TAG_LENGTH.
        length: u16,
        /// The length RFC 2516/4638 fix for it.
        expected: u16,
    },
    /// A single-valued tag appears twice in one packet.
    #[error("tag {tag} appears more than once")]
    DuplicateTag {
        /// The repeated tag.
        tag: TagType,
    },
    /// More tags than [`crate::wire::MAX_TAGS`] in one packet.
    #[error("more than {} tags in one packet", crate::wire::MAX_TAGS)]
    TooManyTags,
    /// A tag added after End-Of-List, or a value too long for a 16-bit length.
    #[error("tag {tag} cannot be added (after End-Of-List, or too long)")]
    TagNotAddable {
        /// The tag refused.
        tag: TagType,
    },
    /// The caller's buffer is too small for what is to be written into it.
    #[error("buffer of {available} bytes, {needed} needed")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
    /// A PPP frame longer than the session's MTU allows (or shorter than its
    /// 2-byte protocol field).
    #[error("PPP frame of {length} bytes does not fit MTU {mtu}")]
    OverMtu {
        /// PPP frame length (protocol field included).
        length: usize,
        /// The session's MTU.
        mtu: u16,
    },
    /// Dropped: the destination MAC is neither ours nor (where allowed) broadcast.
    #[error("dropped: destination MAC is not ours")]
    NotForUs,
    /// Dropped: the source MAC is not the peer this state expects (another AC,
    /// another client), or is not a unicast address.
    #[error("dropped: source MAC is not the expected peer")]
    WrongPeer,
    /// Dropped: Host-Uniq missing or not the one we sent.
    #[error("dropped: Host-Uniq does not match")]
    WrongHostUniq,
    /// Dropped: the SESSION_ID is not the one of this session (or not zero
    /// where RFC 2516 requires zero).
    #[error("dropped: session id {0:#06x} does not match")]
    WrongSessionId(u16),
    /// Dropped: a packet with this code is not expected in the current state.
    #[error("dropped: {0} not expected now")]
    UnexpectedCode(Code),
    /// Dropped: a tag the packet must carry is missing.
    #[error("dropped: required tag {tag} missing")]
    MissingTag {
        /// The missing tag.
        tag: TagType,
    },
    /// Dropped: a PADO that does not match the configured AC-Name or
    /// Service-Name filter, or that carries an error tag.
    #[error("dropped: offer does not match the filter")]
    OfferNotWanted,
    /// Dropped: a PADR whose AC-Cookie is missing, forged or stale.
    #[error("dropped: AC-Cookie invalid or stale")]
    BadCookie,
    /// Dropped: over a rate limit, per client MAC or overall (PADIs
    /// answered, or PADTs for unknown sessions).
    #[error("dropped: rate limit")]
    RateLimited,
    /// Dropped: a PADI asking for a service we do not offer (RFC 2516 §5.2:
    /// an AC that cannot serve the PADI does not answer).
    #[error("dropped: requested service not offered")]
    UnknownService,
    /// Dropped: the AC is at its session bound and does not offer (PADI).
    #[error("dropped: at the session bound")]
    Full,
    /// Caller misuse: the command does not apply in the current state.
    #[error("invalid in the current state")]
    InvalidState,
}

/// How many variants [`Error`] has (the size of [`DropCounts`]).
const KINDS: usize = 23;

impl Error {
    /// A dense index per variant, ignoring the fields.
    fn index(&self) -> usize {
        match self {
            Error::Truncated { .. } => 0,
            Error::BadEthertype(_) => 1,
            Error::BadVersion { .. } => 2,
            Error::PayloadPastFrame { .. } => 3,
            Error::TagPastPayload { .. } => 4,
            Error::BadTagLength { .. } => 5,
            Error::DuplicateTag { .. } => 6,
            Error::TooManyTags => 7,
            Error::TagNotAddable { .. } => 8,
            Error::BufferTooSmall { .. } => 9,
            Error::NotForUs => 10,
            Error::WrongPeer => 11,
            Error::WrongHostUniq => 12,
            Error::WrongSessionId(_) => 13,
            Error::UnexpectedCode(_) => 14,
            Error::MissingTag { .. } => 15,
            Error::OfferNotWanted => 16,
            Error::BadCookie => 17,
            Error::RateLimited => 18,
            Error::UnknownService => 19,
            Error::Full => 20,
            Error::InvalidState => 21,
            Error::OverMtu { .. } => 22,
        }
    }
}

/// Per-reason counters of dropped input, one per [`Error`] variant
/// (fields ignored: all `WrongSessionId(_)` count together).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DropCounts {
    counts: [u64; KINDS],
}

impl DropCounts {
    /// Counts one drop of this kind.
    pub(crate) fn count(&mut self, e: Error) {
        let i = e.index();
        self.counts[i] = self.counts[i].saturating_add(1);
    }

    /// Drops of the same kind as `e` (its fields are ignored).
    pub fn of(&self, e: Error) -> u64 {
        self.counts[e.index()]
    }

    /// All drops.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }
}

impl fmt::Debug for DropCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropCounts")
            .field("total", &self.total())
            .field("counts", &self.counts)
            .finish()
    }
}
