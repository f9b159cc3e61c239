//! The codec's error type.

/// Malformed bytes, naming the field. Small and `Copy`: no heap data.
/// Re-exported as [`crate::PppWireError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
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
    /// The caller's buffer is shorter than the encoding.
    #[error("buffer of {available} bytes, {needed} needed")]
    BufferTooShort {
        /// Bytes the encoding needs ([`buffer_len`](crate::wire::PppFrame::buffer_len)).
        needed: usize,
        /// Bytes given.
        available: usize,
    },
}
