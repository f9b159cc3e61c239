//! The Neighbor Discovery codec (RFC 4861 §4, with the options of RFC 4191,
//! RFC 8106, RFC 8781, RFC 3971 §5.3.2 and RFC 8910).
//!
//! [`NdpMessage::parse`] reads one ICMPv6 message (the IPv6 payload) given
//! the IPv6 source and destination, verifies the ICMPv6 checksum over the
//! pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1) and returns an owned
//! message whose options keep their order, repeats included.
//! [`NdpMessage::emit`] is the exact inverse for every accepted message and
//! fills the checksum; [`NdpMessage::buffer_len`] gives the size first.
//!
//! Every option type has the same contract on its own ([`NdpOption::parse`],
//! `buffer_len`, `emit`, `to_vec`). Reserved fields and padding are kept, so
//! what was parsed re-emits byte for byte. Unknown options round-trip as
//! [`NdpOption::Unknown`].
//!
//! Contract: no input makes `parse` panic; every malformed input is an
//! [`NdpWireError`] naming the field at fault. The hop limit of the IPv6
//! header (which must be 255) is the machines' business, not the codec's:
//! the header belongs to the socket.

mod dns;
mod message;
mod option;
mod pref64;
mod prefix;

pub use dns::{Dnssl, DomainName, Rdnss};
pub use message::{
    ICMPV6_NEXT_HEADER, NdpMessage, NeighborAdvertisement, NeighborSolicitation, Redirect,
    RouterAdvertisement, RouterSolicitation, icmp_type, icmpv6_checksum,
};
pub use option::{NdpOption, option_type};
pub use pref64::{Pref64, Pref64Length};
pub(crate) use prefix::mask;
pub use prefix::{Mtu, PrefixInformation, RouteInformation, RouterPreference};

/// Why bytes could not be parsed (or a value not emitted).
///
/// Small and `Copy`: it names the field at fault, never carries the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NdpWireError {
    /// The input ends inside a field.
    #[error("truncated in `{field}`")]
    Truncated {
        /// The field cut short.
        field: &'static str,
    },
    /// A length is impossible for what it describes (an option of length 0,
    /// an RDNSS option of even length, ...).
    #[error("bad length {len} for `{field}`")]
    BadLength {
        /// The field or option at fault.
        field: &'static str,
        /// The length found (in the unit the field uses).
        len: usize,
    },
    /// A value outside what the RFC allows (an ICMP code other than 0, an
    /// invalid PREF64 prefix-length code, a prefix longer than 128, ...).
    #[error("invalid value in `{field}`")]
    BadValue {
        /// The field at fault.
        field: &'static str,
    },
    /// The ICMPv6 type is not one of RS, RA, NS, NA, Redirect (133–137).
    #[error("ICMPv6 type {icmp_type} is not Neighbor Discovery")]
    NotNdp {
        /// The type found.
        icmp_type: u8,
    },
    /// The ICMPv6 checksum over the pseudo-header does not verify.
    #[error("bad ICMPv6 checksum")]
    BadChecksum,
    /// The buffer given to `emit` is smaller than `buffer_len()`.
    #[error("emit buffer too short")]
    BufferTooShort,
}

/// The nom input/error pair used inside the codec.
type In<'a> = &'a [u8];

/// Reads a fixed-size field with nom and names it on failure.
fn take<'a>(
    input: In<'a>,
    n: usize,
    field: &'static str,
) -> Result<(In<'a>, In<'a>), NdpWireError> {
    nom::bytes::complete::take::<usize, In<'a>, nom::error::Error<In<'a>>>(n)(input)
        .map_err(|_| NdpWireError::Truncated { field })
}

fn be_u8<'a>(input: In<'a>, field: &'static str) -> Result<(In<'a>, u8), NdpWireError> {
    nom::number::complete::be_u8::<In<'a>, nom::error::Error<In<'a>>>(input)
        .map_err(|_| NdpWireError::Truncated { field })
}

fn be_u16<'a>(input: In<'a>, field: &'static str) -> Result<(In<'a>, u16), NdpWireError> {
    nom::number::complete::be_u16::<In<'a>, nom::error::Error<In<'a>>>(input)
        .map_err(|_| NdpWireError::Truncated { field })
}

fn be_u32<'a>(input: In<'a>, field: &'static str) -> Result<(In<'a>, u32), NdpWireError> {
    nom::number::complete::be_u32::<In<'a>, nom::error::Error<In<'a>>>(input)
        .map_err(|_| NdpWireError::Truncated { field })
}

fn addr<'a>(
    input: In<'a>,
    field: &'static str,
) -> Result<(In<'a>, core::net::Ipv6Addr), NdpWireError> {
    let (rest, b) = take(input, 16, field)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ok((rest, core::net::Ipv6Addr::from(a)))
}

/// A cursor over the caller's buffer for `emit`; the caller checked the
/// length against `buffer_len()` first, so writes cannot run past it.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl<'a> Writer<'a> {
    fn new(buf: &'a mut [u8], len: usize) -> Result<Self, NdpWireError> {
        if buf.len() < len {
            return Err(NdpWireError::BufferTooShort);
        }
        Ok(Writer { buf, at: 0 })
    }
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }
    fn zeros(&mut self, n: usize) {
        self.buf[self.at..self.at + n].fill(0);
        self.at += n;
    }
}
