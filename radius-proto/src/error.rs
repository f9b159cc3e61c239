//! The crate's one error type.

use core::fmt;

use crate::wire::attr;

/// Which attribute an error is about: a standard type, or a vendor's
/// sub-attribute. Its `Display` gives the dictionary name when there is one.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct AttrName {
    /// The vendor (0 for the standard space).
    pub vendor: u32,
    /// The attribute type (sub-attribute type for a vendor).
    pub typ: u8,
}

impl AttrName {
    /// A standard attribute.
    pub const fn std(typ: u8) -> Self {
        AttrName { vendor: 0, typ }
    }
}

impl fmt::Display for AttrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.vendor == 0 {
            match attr::def(self.typ) {
                Some(d) => write!(f, "{} ({})", d.name, self.typ),
                None => write!(f, "Attr-{}", self.typ),
            }
        } else {
            write!(f, "Vendor-{}-Attr-{}", self.vendor, self.typ)
        }
    }
}

/// Everything that can go wrong in this crate: malformed input, values that
/// cannot be encoded, and caller misuse. Small and `Copy`; it names what and
/// where.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Error {
    /// The input ended inside the named field.
    #[error("truncated at {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// The header's Length is outside 20..=4096 or beyond the datagram.
    #[error("packet length {length} is outside 20..=4096 or beyond the datagram")]
    BadPacketLength {
        /// The Length field.
        length: u16,
    },
    /// An attribute's Length is below 2 or runs past the packet.
    #[error("attribute {attr}: length {length} runs past the packet or is below 2")]
    AttributeOverrun {
        /// The attribute.
        attr: AttrName,
        /// Its Length octet.
        length: u8,
    },
    /// An attribute's value has a length its type does not allow.
    #[error("attribute {attr}: value length {length} is not allowed for its type")]
    BadLength {
        /// The attribute.
        attr: AttrName,
        /// The value length.
        length: usize,
    },
    /// An attribute's value is the right length but not a valid value.
    #[error("attribute {attr}: invalid value")]
    BadValue {
        /// The attribute.
        attr: AttrName,
    },
    /// The packet would exceed 4096 bytes.
    #[error("packet would exceed 4096 bytes")]
    TooBig,
    /// The caller's buffer is smaller than `buffer_len()`.
    #[error("buffer too small")]
    BufferTooSmall,
    /// A User-Password longer than 128 bytes.
    #[error("password longer than 128 bytes")]
    PasswordTooLong,
    /// All 256 Identifiers of every source socket are in use: back-pressure.
    #[error("all 256 identifiers of every source are outstanding")]
    IdentifiersExhausted,
    /// A configuration that cannot work (no servers, zero weight...).
    #[error("invalid configuration: {what}")]
    Config {
        /// What is wrong.
        what: &'static str,
    },
    /// A handle that does not name a pending request.
    #[error("unknown request handle")]
    UnknownHandle,
}
