//! The crate's one error type and the per-reason drop counters.
//!
//! [`PppoeError`] covers three things that never mix (see the crate docs):
//! malformed bytes found by the codec, peer input a machine drops (returned
//! by `handle_input`, counted in [`PppoeDropCounts`], state unchanged), and caller
//! misuse ([`PppoeError::InvalidState`], [`PppoeError::BufferTooSmall`]).

use core::fmt;

use crate::wire::{Code, TagType};

/// What went wrong, and where. Small and `Copy`: no heap data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PppoeError {
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

/// How many variants [`PppoeError`] has (the size of [`PppoeDropCounts`]).
const KINDS: usize = 23;

impl PppoeError {
    /// A dense index per variant, ignoring the fields.
    fn index(&self) -> usize {
        match self {
            PppoeError::Truncated { .. } => 0,
            PppoeError::BadEthertype(_) => 1,
            PppoeError::BadVersion { .. } => 2,
            PppoeError::PayloadPastFrame { .. } => 3,
            PppoeError::TagPastPayload { .. } => 4,
            PppoeError::BadTagLength { .. } => 5,
            PppoeError::DuplicateTag { .. } => 6,
            PppoeError::TooManyTags => 7,
            PppoeError::TagNotAddable { .. } => 8,
            PppoeError::BufferTooSmall { .. } => 9,
            PppoeError::NotForUs => 10,
            PppoeError::WrongPeer => 11,
            PppoeError::WrongHostUniq => 12,
            PppoeError::WrongSessionId(_) => 13,
            PppoeError::UnexpectedCode(_) => 14,
            PppoeError::MissingTag { .. } => 15,
            PppoeError::OfferNotWanted => 16,
            PppoeError::BadCookie => 17,
            PppoeError::RateLimited => 18,
            PppoeError::UnknownService => 19,
            PppoeError::Full => 20,
            PppoeError::InvalidState => 21,
            PppoeError::OverMtu { .. } => 22,
        }
    }
}

/// Per-reason counters of dropped input, one per [`PppoeError`] variant
/// (fields ignored: all `WrongSessionId(_)` count together).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PppoeDropCounts {
    counts: [u64; KINDS],
}

impl PppoeDropCounts {
    /// Counts one drop of this kind.
    pub(crate) fn count(&mut self, e: PppoeError) {
        let i = e.index();
        self.counts[i] = self.counts[i].saturating_add(1);
    }

    /// Drops of the same kind as `e` (its fields are ignored).
    pub fn of(&self, e: PppoeError) -> u64 {
        self.counts[e.index()]
    }

    /// All drops.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }
}

impl fmt::Debug for PppoeDropCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PppoeDropCounts")
            .field("total", &self.total())
            .field("counts", &self.counts)
            .finish()
    }
}
