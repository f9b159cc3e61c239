//! The codec's error type.

use super::TagType;

/// Malformed bytes found by the codec (or a buffer too small for what is
/// to be written into it), naming the field or the tag. Small and `Copy`:
/// no heap data. Re-exported as [`crate::PppoeWireError`].
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
    /// A session-stage frame (0x8864) whose CODE is not 0x00 (RFC 2516 §6).
    #[error("session frame with CODE {0:#04x}, must be 0")]
    NotSessionCode(u8),
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
    /// More tags than [`super::MAX_TAGS`] in one packet.
    #[error("more than {} tags in one packet", super::MAX_TAGS)]
    TooManyTags,
    /// A tag added after End-Of-List, or a value too long for a 16-bit length.
    #[error("tag {tag} cannot be added (after End-Of-List, or too long)")]
    TagNotAddable {
        /// The tag refused.
        tag: TagType,
    },
    /// The caller's buffer is too small for what is to be written into it.
    #[error("buffer of {available} bytes, {needed} needed")]
    BufferTooShort {
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
}
