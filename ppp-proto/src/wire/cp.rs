//! The LCP-family packet (RFC 1661 §5): Code, Identifier, Length, Data;
//! shared by LCP, IPCP and IPv6CP. Codes 8–11 (Protocol-Reject, Echo,
//! Discard) exist only in LCP; NCPs see them as unknown codes.

use bytes::BufMut;

use super::Error;
use super::{be_u8, be_u16, be_u32, put_header, split_header, take};

/// A control-protocol code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 1, Configure-Request.
    ConfigureRequest,
    /// 2, Configure-Ack.
    ConfigureAck,
    /// 3, Configure-Nak.
    ConfigureNak,
    /// 4, Configure-Reject.
    ConfigureReject,
    /// 5, Terminate-Request.
    TerminateRequest,
    /// 6, Terminate-Ack.
    TerminateAck,
    /// 7, Code-Reject.
    CodeReject,
    /// 8, Protocol-Reject (LCP only).
    ProtocolReject,
    /// 9, Echo-Request (LCP only).
    EchoRequest,
    /// 10, Echo-Reply (LCP only).
    EchoReply,
    /// 11, Discard-Request (LCP only).
    DiscardRequest,
    /// Any other code.
    Unknown(u8),
}

impl Code {
    /// The code of a wire value; `extended` admits LCP's codes 8–11.
    pub fn from_u8(v: u8, extended: bool) -> Code {
        match v {
            1 => Code::ConfigureRequest,
            2 => Code::ConfigureAck,
            3 => Code::ConfigureNak,
            4 => Code::ConfigureReject,
            5 => Code::TerminateRequest,
            6 => Code::TerminateAck,
            7 => Code::CodeReject,
            8 if extended => Code::ProtocolReject,
            9 if extended => Code::EchoRequest,
            10 if extended => Code::EchoReply,
            11 if extended => Code::DiscardRequest,
            other => Code::Unknown(other),
        }
    }

    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Code::ConfigureRequest => 1,
            Code::ConfigureAck => 2,
            Code::ConfigureNak => 3,
            Code::ConfigureReject => 4,
            Code::TerminateRequest => 5,
            Code::TerminateAck => 6,
            Code::CodeReject => 7,
            Code::ProtocolReject => 8,
            Code::EchoRequest => 9,
            Code::EchoReply => 10,
            Code::DiscardRequest => 11,
            Code::Unknown(v) => v,
        }
    }
}

/// A validated list of configuration options (type, length, data)*; every
/// option's length is at least 2 and fits. Iterate it with [`Options::iter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options<'a>(&'a [u8]);

impl<'a> Options<'a> {
    /// Validates a raw option list.
    pub fn parse(raw: &'a [u8]) -> Result<Self, Error> {
        let mut i = raw;
        while !i.is_empty() {
            let (rest, _) = be_u8(i, "option type")?;
            let (_, len) = be_u8(rest, "option length")?;
            if len < 2 {
                return Err(Error::BadLength {
                    field: "option length",
                });
            }
            let (rest, _) = take(i, usize::from(len), "option data")?;
            i = rest;
        }
        Ok(Options(raw))
    }

    /// The raw bytes (what a Configure-Ack echoes).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The options in order, as raw (type, whole option bytes).
    pub fn iter(&self) -> impl Iterator<Item = RawOption<'a>> + 'a {
        let mut i = self.0;
        core::iter::from_fn(move || {
            // Validated in `parse`: every option has len >= 2 and fits.
            let len = usize::from(*i.get(1)?);
            let (opt, rest) = i.split_at_checked(len)?;
            i = rest;
            Some(RawOption {
                kind: opt[0],
                bytes: opt,
            })
        })
    }
}

/// One option as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOption<'a> {
    /// The Type field.
    pub kind: u8,
    /// The whole option: type, length and data.
    pub bytes: &'a [u8],
}

impl<'a> RawOption<'a> {
    /// The data after the type and length bytes.
    pub fn data(&self) -> &'a [u8] {
        self.bytes.get(2..).unwrap_or(&[])
    }
}

/// A protocol's typed configuration option.
pub trait ConfigOption<'a>: Sized + core::fmt::Debug {
    /// Parses one option from its type and data; lengths that the option's
    /// definition forbids are `BadLength` naming the option.
    fn parse(kind: u8, data: &'a [u8]) -> Result<Self, Error>;
    /// The Type field.
    fn kind(&self) -> u8;
    /// Length of the data after type and length.
    fn data_len(&self) -> usize;
    /// Writes the data after type and length.
    fn emit_data<B: BufMut>(&self, out: &mut B);

    /// Size of the whole option.
    fn buffer_len(&self) -> usize {
        2 + self.data_len()
    }

    /// Writes exactly [`buffer_len`](Self::buffer_len) bytes into `buf`;
    /// returns that count. [`Error::BufferTooShort`] when `buf` is shorter.
    fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let needed = self.buffer_len();
        let available = buf.len();
        let mut dst = buf
            .get_mut(..needed)
            .ok_or(Error::BufferTooShort { needed, available })?;
        self.put(&mut dst);
        Ok(needed)
    }

    /// The encoding in a new `Vec`.
    fn to_vec(&self) -> alloc::vec::Vec<u8> {
        let mut v = alloc::vec::Vec::with_capacity(self.buffer_len());
        self.put(&mut v);
        v
    }

    /// Appends the whole option to `out` (a `Vec`, or any [`BufMut`]).
    fn put<B: BufMut>(&self, out: &mut B) {
        out.put_u8(self.kind());
        // Option data is at most 253 bytes: parse bounds it, and our own
        // options are fixed-size.
        out.put_u8(self.buffer_len() as u8);
        self.emit_data(out);
    }

    /// Parses a raw option.
    fn from_raw(raw: RawOption<'a>) -> Result<Self, Error> {
        Self::parse(raw.kind, raw.data())
    }
}

/// A control packet's body, by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpBody<'a> {
    /// Configure-Request with its options.
    ConfigureRequest(Options<'a>),
    /// Configure-Ack echoing the request's options.
    ConfigureAck(Options<'a>),
    /// Configure-Nak with suggested values.
    ConfigureNak(Options<'a>),
    /// Configure-Reject listing the unacceptable options.
    ConfigureReject(Options<'a>),
    /// Terminate-Request with opaque data.
    TerminateRequest(&'a [u8]),
    /// Terminate-Ack with opaque data.
    TerminateAck(&'a [u8]),
    /// Code-Reject with the rejected packet (possibly truncated).
    CodeReject(&'a [u8]),
    /// Protocol-Reject (LCP).
    ProtocolReject {
        /// The rejected protocol.
        protocol: u16,
        /// The start of the rejected frame's information field.
        information: &'a [u8],
    },
    /// Echo-Request (LCP).
    EchoRequest {
        /// The sender's Magic-Number (0 if not negotiated).
        magic: u32,
        /// Opaque data.
        data: &'a [u8],
    },
    /// Echo-Reply (LCP).
    EchoReply {
        /// The sender's Magic-Number.
        magic: u32,
        /// Opaque data.
        data: &'a [u8],
    },
    /// Discard-Request (LCP).
    DiscardRequest {
        /// The sender's Magic-Number.
        magic: u32,
        /// Opaque data.
        data: &'a [u8],
    },
    /// A code this protocol does not know.
    Unknown {
        /// The code.
        code: u8,
        /// The data.
        data: &'a [u8],
    },
}

/// An LCP/IPCP/IPv6CP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpPacket<'a> {
    /// The Identifier field.
    pub identifier: u8,
    /// The body.
    pub body: CpBody<'a>,
}

impl<'a> CpPacket<'a> {
    /// Writes exactly [`buffer_len`](Self::buffer_len) bytes into `buf`
    /// (the caller's buffer); returns that count.
    /// [`Error::BufferTooShort`] when `buf` is shorter.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let needed = self.buffer_len();
        let available = buf.len();
        let mut dst = buf
            .get_mut(..needed)
            .ok_or(Error::BufferTooShort { needed, available })?;
        self.put(&mut dst);
        Ok(needed)
    }

    /// The encoding in a new `Vec`.
    pub fn to_vec(&self) -> alloc::vec::Vec<u8> {
        let mut v = alloc::vec::Vec::with_capacity(self.buffer_len());
        self.put(&mut v);
        v
    }

    /// Parses a packet; `extended` is true for LCP (codes 8–11 known).
    pub fn parse(buf: &'a [u8], extended: bool) -> Result<Self, Error> {
        let (code, identifier, data) = split_header(buf, 4)?;
        let body = match Code::from_u8(code, extended) {
            Code::ConfigureRequest => CpBody::ConfigureRequest(Options::parse(data)?),
            Code::ConfigureAck => CpBody::ConfigureAck(Options::parse(data)?),
            Code::ConfigureNak => CpBody::ConfigureNak(Options::parse(data)?),
            Code::ConfigureReject => CpBody::ConfigureReject(Options::parse(data)?),
            Code::TerminateRequest => CpBody::TerminateRequest(data),
            Code::TerminateAck => CpBody::TerminateAck(data),
            Code::CodeReject => CpBody::CodeReject(data),
            Code::ProtocolReject => {
                let (information, protocol) = be_u16(data, "rejected-protocol")?;
                CpBody::ProtocolReject {
                    protocol,
                    information,
                }
            }
            c @ (Code::EchoRequest | Code::EchoReply | Code::DiscardRequest) => {
                let (data, magic) = be_u32(data, "magic-number")?;
                match c {
                    Code::EchoRequest => CpBody::EchoRequest { magic, data },
                    Code::EchoReply => CpBody::EchoReply { magic, data },
                    _ => CpBody::DiscardRequest { magic, data },
                }
            }
            Code::Unknown(code) => CpBody::Unknown { code, data },
        };
        Ok(CpPacket { identifier, body })
    }

    /// The code of this packet.
    pub fn code(&self) -> Code {
        match self.body {
            CpBody::ConfigureRequest(_) => Code::ConfigureRequest,
            CpBody::ConfigureAck(_) => Code::ConfigureAck,
            CpBody::ConfigureNak(_) => Code::ConfigureNak,
            CpBody::ConfigureReject(_) => Code::ConfigureReject,
            CpBody::TerminateRequest(_) => Code::TerminateRequest,
            CpBody::TerminateAck(_) => Code::TerminateAck,
            CpBody::CodeReject(_) => Code::CodeReject,
            CpBody::ProtocolReject { .. } => Code::ProtocolReject,
            CpBody::EchoRequest { .. } => Code::EchoRequest,
            CpBody::EchoReply { .. } => Code::EchoReply,
            CpBody::DiscardRequest { .. } => Code::DiscardRequest,
            CpBody::Unknown { code, .. } => Code::Unknown(code),
        }
    }

    fn data_len(&self) -> usize {
        match self.body {
            CpBody::ConfigureRequest(o)
            | CpBody::ConfigureAck(o)
            | CpBody::ConfigureNak(o)
            | CpBody::ConfigureReject(o) => o.0.len(),
            CpBody::TerminateRequest(d)
            | CpBody::TerminateAck(d)
            | CpBody::CodeReject(d)
            | CpBody::Unknown { data: d, .. } => d.len(),
            CpBody::ProtocolReject { information, .. } => 2 + information.len(),
            CpBody::EchoRequest { data, .. }
            | CpBody::EchoReply { data, .. }
            | CpBody::DiscardRequest { data, .. } => 4 + data.len(),
        }
    }

    /// Size of the emitted packet.
    pub fn buffer_len(&self) -> usize {
        4 + self.data_len()
    }

    /// Appends the packet to `out` (a `Vec`, or any `BufMut`).
    pub fn put<B: BufMut>(&self, out: &mut B) {
        put_header(out, self.code().to_u8(), self.identifier, self.data_len());
        match self.body {
            CpBody::ConfigureRequest(o)
            | CpBody::ConfigureAck(o)
            | CpBody::ConfigureNak(o)
            | CpBody::ConfigureReject(o) => out.put_slice(o.0),
            CpBody::TerminateRequest(d)
            | CpBody::TerminateAck(d)
            | CpBody::CodeReject(d)
            | CpBody::Unknown { data: d, .. } => out.put_slice(d),
            CpBody::ProtocolReject {
                protocol,
                information,
            } => {
                out.put_u16(protocol);
                out.put_slice(information);
            }
            CpBody::EchoRequest { magic, data }
            | CpBody::EchoReply { magic, data }
            | CpBody::DiscardRequest { magic, data } => {
                out.put_u32(magic);
                out.put_slice(data);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn round_trip(bytes: &[u8], extended: bool) -> CpPacket<'_> {
        let p = CpPacket::parse(bytes, extended).unwrap();
        let mut out = Vec::new();
        p.put(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(p.buffer_len(), bytes.len());
        p
    }

    #[test]
    fn every_code_round_trips() {
        round_trip(&[1, 1, 0, 10, 1, 4, 5, 0xd4, 5, 2], true);
        round_trip(&[2, 1, 0, 4], true);
        round_trip(&[5, 2, 0, 8, b'U', b's', b'e', b'r'], true);
        round_trip(&[6, 2, 0, 4], true);
        round_trip(&[7, 3, 0, 8, 99, 1, 0, 4], true);
        let p = round_trip(&[8, 4, 0, 8, 0x80, 0x57, 1, 2], true);
        assert!(matches!(
            p.body,
            CpBody::ProtocolReject {
                protocol: 0x8057,
                ..
            }
        ));
        round_trip(&[9, 0, 0, 8, 1, 2, 3, 4], true);
        round_trip(&[10, 0, 0, 9, 1, 2, 3, 4, 5], true);
        round_trip(&[11, 0, 0, 8, 1, 2, 3, 4], true);
        let p = round_trip(&[9, 0, 0, 8, 1, 2, 3, 4], false);
        assert_eq!(p.code(), Code::Unknown(9));
        round_trip(&[42, 0, 0, 5, 1], true);
    }

    #[test]
    fn malformed_options_and_fields_are_named() {
        assert_eq!(
            CpPacket::parse(&[1, 1, 0, 6, 1, 1], true),
            Err(Error::BadLength {
                field: "option length"
            })
        );
        assert_eq!(
            CpPacket::parse(&[1, 1, 0, 7, 1, 4, 5], true),
            Err(Error::Truncated {
                field: "option data"
            })
        );
        assert_eq!(
            CpPacket::parse(&[1, 1, 0, 5, 1], true),
            Err(Error::Truncated {
                field: "option length"
            })
        );
        assert_eq!(
            CpPacket::parse(&[9, 1, 0, 6, 1, 2], true),
            Err(Error::Truncated {
                field: "magic-number"
            })
        );
        assert_eq!(
            CpPacket::parse(&[8, 1, 0, 5, 1], true),
            Err(Error::Truncated {
                field: "rejected-protocol"
            })
        );
    }

    #[test]
    fn padding_is_ignored() {
        let p = CpPacket::parse(&[6, 2, 0, 4, 0, 0, 0], true).unwrap();
        assert_eq!(p.buffer_len(), 4);
    }

    #[test]
    fn options_iterate_in_order() {
        let o = Options::parse(&[1, 4, 5, 0xd4, 7, 2]).unwrap();
        let v: Vec<_> = o.iter().map(|r| (r.kind, r.data().len())).collect();
        assert_eq!(v, [(1, 2), (7, 0)]);
    }
}
