//! The DHCPv6 codec (RFC 8415 §8–§9, §21; RFC 3646, RFC 5908, RFC 6334,
//! RFC 6603).
//!
//! [`Message::parse`] reads one UDP payload into an owned [`Message`]: a
//! client/server message (§8) or a relay message (§9), whose Relay Message
//! option holds the relayed message, parsed in turn (nesting bounded by
//! [`MAX_NESTING`]). Options inside IA_NA, IAADDR, IA_PD and IAPREFIX are
//! parsed within their container's bounds: an option running past its
//! container is an [`Error::OptionOverrun`] naming both.
//!
//! Every type here follows one contract: `parse(&[u8])` (never panics),
//! `buffer_len()`, `emit(&mut [u8])` writing exactly `buffer_len()` octets
//! and `to_vec()`. `emit` is the exact inverse of `parse`: for every input
//! `b` that parses, `emit(parse(b)) == b` (the codec keeps option order,
//! unknown options, unknown DUID types and unknown NTP suboptions raw).
//!
//! The parser is a small bounds-checked cursor rather than nom: every field
//! is a fixed-size big-endian integer or a length-prefixed run, and the
//! cursor names the field that is cut short.

mod domain;
mod duid;
mod message;
mod options;

pub use domain::DomainName;
pub use duid::Duid;
pub use message::{
    ALL_DHCP_RELAY_AGENTS_AND_SERVERS, CLIENT_PORT, ClientMessage, MAX_NESTING, Message,
    MessageType, RelayMessage, SERVER_PORT,
};
pub use options::{
    Authentication, Dhcpv6Option, IaAddr, IaNa, IaPd, IaPrefix, NtpSuboption, PdExclude,
    StatusCode, code,
};

/// Why bytes could not be parsed (or a value not emitted).
///
/// Small and `Copy`: it names the field at fault, never carries the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input ends inside a fixed-size field.
    #[error("truncated in `{field}`")]
    Truncated {
        /// The field that is cut short.
        field: &'static str,
    },
    /// An option's length runs past the end of the message or option that
    /// holds it.
    #[error("option {code} runs past the end of its container `{container}`")]
    OptionOverrun {
        /// The option code.
        code: u16,
        /// `message`, `relay message` or the enclosing option's name.
        container: &'static str,
    },
    /// A field's length is wrong for its type.
    #[error("`{field}` has bad length {len}")]
    BadLength {
        /// The field (or option) at fault.
        field: &'static str,
        /// The length found.
        len: usize,
    },
    /// A field's value is invalid.
    #[error("`{field}` has an invalid value")]
    BadValue {
        /// The field at fault.
        field: &'static str,
    },
    /// The buffer given to `emit` is smaller than `buffer_len()`.
    #[error("emit buffer too short")]
    BufferTooShort,
}

/// A bounds-checked reader over a byte slice.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Error> {
        if self.buf.len() < n {
            return Err(Error::Truncated { field });
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, Error> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, Error> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Error> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, field)?);
        Ok(a)
    }
}

/// A writer into a caller buffer already checked to hold `buffer_len()`
/// octets; it never panics (a short buffer is reported, not indexed past).
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
    err: Option<Error>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer {
            buf,
            pos: 0,
            err: None,
        }
    }

    pub(crate) fn put(&mut self, s: &[u8]) {
        match self.buf.get_mut(self.pos..self.pos + s.len()) {
            Some(d) => d.copy_from_slice(s),
            None => self.fail(Error::BufferTooShort),
        }
        self.pos += s.len();
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.put(&[v]);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.put(&v.to_be_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.put(&v.to_be_bytes());
    }

    /// An option length field; records an error when it does not fit.
    pub(crate) fn len16(&mut self, len: usize, field: &'static str) {
        match u16::try_from(len) {
            Ok(l) => self.u16(l),
            Err(_) => {
                self.fail(Error::BadLength { field, len });
                self.u16(0);
            }
        }
    }

    pub(crate) fn fail(&mut self, e: Error) {
        if self.err.is_none() {
            self.err = Some(e);
        }
    }

    pub(crate) fn finish(self) -> Result<usize, Error> {
        match self.err {
            Some(e) => Err(e),
            None => Ok(self.pos),
        }
    }
}

/// Implements the codec contract's `emit` and `to_vec` from `buffer_len`
/// and a private `write(&self, &mut Writer)`.
macro_rules! emit_via_writer {
    ($t:ty) => {
        impl $t {
            /// Writes exactly [`Self::buffer_len`] octets into `buf`;
            /// returns that length.
            pub fn emit(&self, buf: &mut [u8]) -> Result<usize, $crate::wire::Error> {
                let n = self.buffer_len();
                let Some(b) = buf.get_mut(..n) else {
                    return Err($crate::wire::Error::BufferTooShort);
                };
                let mut w = $crate::wire::Writer::new(b);
                self.write(&mut w);
                w.finish()
            }

            /// The emitted bytes in a new vector (empty if the value cannot
            /// be emitted: a field longer than its 16-bit length allows).
            pub fn to_vec(&self) -> alloc::vec::Vec<u8> {
                let mut v = alloc::vec![0; self.buffer_len()];
                match self.emit(&mut v) {
                    Ok(_) => v,
                    Err(_) => alloc::vec::Vec::new(),
                }
            }
        }
    };
}
pub(crate) use emit_via_writer;
