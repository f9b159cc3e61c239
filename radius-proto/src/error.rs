//! The codec's error type, [`crate::RadiusWireError`].

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

/// Why a packet could not be parsed, or a value not encoded: the codec's
/// (and the crypto's) one error, exported as [`crate::RadiusWireError`].
/// Small and `Copy`; it names what and where. The machines' drop reasons
/// and command errors are their own types.
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
    /// The caller's buffer is shorter than `buffer_len()`.
    #[error("buffer shorter than buffer_len()")]
    BufferTooShort,
    /// A User-Password longer than 128 bytes.
    #[error("password longer than 128 bytes")]
    PasswordTooLong,
}
