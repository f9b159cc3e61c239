//! The RADIUS codec (RFC 2865 §3, RFC 2866 §3, RFC 5176 §3).
//!
//! [`Packet::parse`] validates a datagram once: the header's Length must be
//! 20..=4096 and within the datagram (octets beyond it are padding and are
//! ignored, RFC 2865 §3), and every attribute's Length must be at least 2 and
//! stay within the packet; a packet that breaks these framing rules is an
//! error. Each attribute's value is then checked against its type (see
//! [`attr::STANDARD`]): one that does not fit is an "invalid attribute"
//! (RFC 6929 §2.8), kept as [`Value::Invalid`] with its octets, and the
//! packet is still accepted — the caller processes it, ignoring what it
//! cannot use, instead of dropping a packet whose authenticator checks out
//! and making the peer retransmit. After `parse` no accessor can fail or
//! panic. [`Packet::emit`] is the exact inverse of `parse` for every packet
//! `parse` accepts without padding; attributes this crate does not know and
//! invalid attributes are kept as octets and round-trip unchanged.

pub mod attr;
pub mod vsa;

use alloc::vec::Vec;

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16};

pub use crate::error::{AttrName, Error};
pub use attr::{Attribute, DataType, Ipv6Prefix, Value};
pub use vsa::{SubAttribute, Vsa};

/// The header length (Code, Identifier, Length, Authenticator).
pub const HEADER_LEN: usize = 20;
/// The largest packet (RFC 2865 §3).
pub const MAX_PACKET_LEN: usize = 4096;

macro_rules! codes {
    ($( $v:ident = $n:literal, $name:literal; )*) => {
        /// The packet Code.
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
        pub enum Code {
            $( #[doc = concat!("`", $name, "` (", stringify!($n), ").")] $v, )*
            /// A code this crate does not know.
            Unknown(u8),
        }
        impl From<u8> for Code {
            fn from(n: u8) -> Code {
                match n { $( $n => Code::$v, )* n => Code::Unknown(n) }
            }
        }
        impl From<Code> for u8 {
            fn from(c: Code) -> u8 {
                match c { $( Code::$v => $n, )* Code::Unknown(n) => n }
            }
        }
        impl Code {
            /// The RFC name, if known.
            pub fn name(self) -> Option<&'static str> {
                match self { $( Code::$v => Some($name), )* Code::Unknown(_) => None }
            }
        }
    };
}

codes! {
    AccessRequest = 1, "Access-Request";
    AccessAccept = 2, "Access-Accept";
    AccessReject = 3, "Access-Reject";
    AccountingRequest = 4, "Accounting-Request";
    AccountingResponse = 5, "Accounting-Response";
    AccessChallenge = 11, "Access-Challenge";
    StatusServer = 12, "Status-Server";
    StatusClient = 13, "Status-Client";
    DisconnectRequest = 40, "Disconnect-Request";
    DisconnectAck = 41, "Disconnect-ACK";
    DisconnectNak = 42, "Disconnect-NAK";
    CoaRequest = 43, "CoA-Request";
    CoaAck = 44, "CoA-ACK";
    CoaNak = 45, "CoA-NAK";
}

/// A RADIUS packet, borrowing its attribute values from the input.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Packet<'a> {
    /// Code.
    pub code: Code,
    /// Identifier.
    pub identifier: u8,
    /// Request or Response Authenticator.
    pub authenticator: [u8; 16],
    /// The attributes, in wire order.
    pub attributes: Vec<Attribute<'a>>,
}

/// The header of a datagram whose Length has been checked, and its
/// attribute area (for the authenticator computations, which work on bytes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Header {
    /// Code.
    pub code: Code,
    /// Identifier.
    pub identifier: u8,
    /// The Length field (20..=4096, within the datagram).
    pub length: u16,
    /// Authenticator.
    pub authenticator: [u8; 16],
}

impl Header {
    /// Reads and checks the header of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Header, Error> {
        let r: nom::IResult<&[u8], (u8, u8, u16, &[u8])> =
            (be_u8, be_u8, be_u16, take(16usize)).parse(buf);
        let (_, (code, identifier, length, auth)) = r.map_err(|_| Error::Truncated {
            field: match buf.len() {
                0 => "code",
                1 => "identifier",
                2 | 3 => "length",
                _ => "authenticator",
            },
        })?;
        if usize::from(length) < HEADER_LEN
            || usize::from(length) > MAX_PACKET_LEN
            || usize::from(length) > buf.len()
        {
            return Err(Error::BadPacketLength { length });
        }
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(auth);
        Ok(Header {
            code: Code::from(code),
            identifier,
            length,
            authenticator,
        })
    }
}

/// Iterates `(type, value)` over an attribute area, checking only the TLV
/// structure; stops with an error at the first overrun.
pub fn raw_attributes(area: &[u8]) -> RawAttributes<'_> {
    RawAttributes { rest: area }
}

/// See [`raw_attributes`].
#[derive(Clone, Debug)]
pub struct RawAttributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RawAttributes<'a> {
    type Item = Result<(u8, &'a [u8]), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let r: nom::IResult<&[u8], (u8, u8)> = (be_u8, be_u8).parse(self.rest);
        let Ok((_, (typ, len))) = r else {
            let typ = self.rest[0];
            self.rest = &[];
            return Some(Err(Error::AttributeOverrun {
                attr: AttrName::std(typ),
                length: 0,
            }));
        };
        if len < 2 || usize::from(len) > self.rest.len() {
            self.rest = &[];
            return Some(Err(Error::AttributeOverrun {
                attr: AttrName::std(typ),
                length: len,
            }));
        }
        let value = &self.rest[2..usize::from(len)];
        self.rest = &self.rest[usize::from(len)..];
        Some(Ok((typ, value)))
    }
}

impl<'a> Packet<'a> {
    /// A packet with no attributes.
    pub fn new(code: Code, identifier: u8, authenticator: [u8; 16]) -> Self {
        Packet {
            code,
            identifier,
            authenticator,
            attributes: Vec::new(),
        }
    }

    /// Parses and validates one datagram.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        let h = Header::parse(buf)?;
        let area = &buf[HEADER_LEN..usize::from(h.length)];
        // Most attributes are 6 octets or more: one allocation, usually.
        let mut attributes = Vec::with_capacity(area.len() / 6 + 1);
        for a in raw_attributes(area) {
            let (typ, v) = a?;
            attributes.push(Attribute {
                typ,
                value: Value::parse(typ, v).unwrap_or(Value::Invalid(v)),
            });
        }
        Ok(Packet {
            code: h.code,
            identifier: h.identifier,
            authenticator: h.authenticator,
            attributes,
        })
    }

    /// The encoded length.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
            + self
                .attributes
                .iter()
                .map(Attribute::buffer_len)
                .sum::<usize>()
    }

    /// Writes the packet into `out[..buffer_len()]`, checking every
    /// attribute and the 4096-octet limit; returns the length written.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        let n = self.buffer_len();
        if n > MAX_PACKET_LEN {
            return Err(Error::TooBig);
        }
        if out.len() < n {
            return Err(Error::BufferTooShort);
        }
        out[0] = self.code.into();
        out[1] = self.identifier;
        out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
        out[4..20].copy_from_slice(&self.authenticator);
        let mut at = HEADER_LEN;
        for a in &self.attributes {
            at += a.emit(&mut out[at..])?;
        }
        Ok(n)
    }

    /// [`Packet::emit`] into a new vector. A `Result`, unlike the other
    /// crates' `to_vec`: a packet built by hand can hold an attribute its
    /// type does not allow, or exceed 4096 octets.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        let mut v = alloc::vec![0u8; self.buffer_len()];
        self.emit(&mut v)?;
        Ok(v)
    }

    /// The first valid attribute of type `typ` (invalid ones are skipped,
    /// RFC 6929 §2.8).
    pub fn get(&self, typ: u8) -> Option<&Value<'a>> {
        self.get_all(typ).next()
    }

    /// Every valid attribute of type `typ`.
    pub fn get_all(&self, typ: u8) -> impl Iterator<Item = &Value<'a>> {
        self.attributes
            .iter()
            .filter(move |a| a.typ == typ && !a.is_invalid())
            .map(|a| &a.value)
    }

    /// The invalid attributes (RFC 6929 §2.8), in wire order.
    pub fn invalid_attributes(&self) -> impl Iterator<Item = &Attribute<'a>> {
        self.attributes.iter().filter(|a| a.is_invalid())
    }

    /// Every Vendor-Specific attribute of `vendor`.
    pub fn vendor(&self, vendor: u32) -> impl Iterator<Item = Vsa<'a>> + '_ {
        self.attributes.iter().filter_map(move |a| match a.value {
            Value::Vsa(v) if v.vendor == vendor => Some(v),
            _ => None,
        })
    }

    /// The first sub-attribute `typ` of `vendor`, across all its VSAs.
    pub fn vendor_attr(&self, vendor: u32, typ: u8) -> Option<&'a [u8]> {
        self.vendor(vendor).find_map(|v| v.get(typ))
    }
}

#[cfg(test)]
mod tests;
