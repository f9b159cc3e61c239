//! The DHCPv4 codec (RFC 2131 §2, RFC 2132, RFC 3396, RFC 3397, RFC 3442,
//! RFC 3046, RFC 6842).
//!
//! [`Message::parse`] reads one BOOTP/DHCP datagram (the UDP payload) into an
//! owned [`Message`]: the fixed header, then every option from the `options`
//! field and, when option 52 (overload) says so, from the `file` and `sname`
//! fields. Several instances of one option are concatenated into one (RFC
//! 3396 §6) before the option is decoded, so a long domain-search list split
//! across instances arrives whole.
//!
//! [`Message::emit`] is the exact inverse for every canonical message: the
//! options in their stored order with the message type at its recorded
//! position (first, for messages built here), an
//! option longer than 255 octets split into consecutive instances (RFC 3396
//! §5), End, then zero padding up to the 300-octet BOOTP minimum (RFC 1542
//! §2.1). It never uses option overload on output. [`Message::buffer_len`]
//! gives the size first.
//!
//! Contract: no input makes `parse` panic; every malformed input is an
//! [`Error`] naming the field or option at fault. Unknown options round-trip
//! unchanged as [`DhcpOption::Unknown`].

mod dns;
mod message;
mod options;
mod routes;

pub use dns::{DomainName, decode_search_list, encode_search_list};
pub use message::{
    BROADCAST_FLAG, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, MAGIC_COOKIE, MIN_BOOTP_LEN, Message, Op,
};
pub use options::{DhcpOption, MessageType, code};
pub use routes::Route;

/// Why a datagram could not be parsed (or a message not emitted).
///
/// Small and `Copy`: it names the field or option code at fault, never
/// carries the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The datagram ends inside a fixed header field.
    #[error("datagram truncated in the `{field}` field")]
    Truncated {
        /// The BOOTP field that is cut short.
        field: &'static str,
    },
    /// The four octets after the header are not 99.130.83.99.
    #[error("bad magic cookie")]
    BadMagicCookie,
    /// `hlen` is larger than the 16-octet `chaddr` field.
    #[error("hlen {hlen} is larger than 16")]
    BadHardwareLength {
        /// The value found.
        hlen: u8,
    },
    /// An option's length runs past the end of the area that holds it.
    #[error("option {code} runs past the end of the `{area}` field")]
    OptionOverrun {
        /// The option code.
        code: u8,
        /// `options`, `file` or `sname`.
        area: &'static str,
    },
    /// The `options` field has no End option (255).
    #[error("no End option in the `{area}` field")]
    MissingEnd {
        /// The area without an End.
        area: &'static str,
    },
    /// No DHCP message type option (53): a plain BOOTP message.
    #[error("option 53 (message type) absent")]
    MissingMessageType,
    /// Option 53 appears more than once.
    #[error("option 53 (message type) duplicated")]
    DuplicateMessageType,
    /// An option's (reassembled) length is wrong for its type.
    #[error("option {code} has bad length {len}")]
    BadLength {
        /// The option code.
        code: u8,
        /// The reassembled length found.
        len: usize,
    },
    /// An option's value is invalid (a prefix longer than 32, a bad
    /// compression pointer, an overload value other than 1–3).
    #[error("option {code} has an invalid value")]
    BadValue {
        /// The option code.
        code: u8,
    },
    /// The buffer given to `emit` is smaller than `buffer_len()`.
    #[error("emit buffer shorter than buffer_len()")]
    BufferTooShort,
}
