//! The PPP codec: frames, the LCP-family control packets and their options,
//! PAP and CHAP.
//!
//! Every type here is a validated *Repr*: `parse` borrows the input and checks
//! every length field against the buffer (it never panics, and every
//! malformed input is an [`Error`] naming the field); `buffer_len` gives the
//! exact size; `emit` writes exactly that many bytes into the caller's
//! `&mut [u8]` (a shorter one is [`Error::BufferTooShort`]) and is the
//! exact inverse of `parse` for every value `parse` accepts; `to_vec` is the
//! same into a new `Vec`, and `put` appends to any [`bytes::BufMut`] (how
//! option lists are built, see the crate docs).
//! Unknown codes and options are kept as raw bytes and round-trip unchanged.
//! Bytes after a packet's Length field (PPPoE/Ethernet padding, RFC 1661
//! §5) are not part of the value and are not re-emitted.
//!
//! PPP frames here are the form carried in PPPoE session frames (RFC 2516
//! §7): a two-byte Protocol field and the packet, with no HDLC framing,
//! Address/Control field or Protocol-Field-Compression.

pub mod chap;
pub mod cp;
mod error;
pub mod ipcp;
pub mod ipv6cp;
pub mod lcp;
pub mod pap;

use bytes::BufMut;
use nom::number::complete as num;

pub use error::Error;

/// PPP protocol numbers (the IANA "PPP DLL Protocol Numbers" registry).
pub mod protocol {
    /// Internet Protocol version 4.
    pub const IPV4: u16 = 0x0021;
    /// Internet Protocol version 6.
    pub const IPV6: u16 = 0x0057;
    /// Internet Protocol Control Protocol (RFC 1332).
    pub const IPCP: u16 = 0x8021;
    /// IPv6 Control Protocol (RFC 5072).
    pub const IPV6CP: u16 = 0x8057;
    /// Link Control Protocol (RFC 1661).
    pub const LCP: u16 = 0xc021;
    /// Password Authentication Protocol (RFC 1334).
    pub const PAP: u16 = 0xc023;
    /// Challenge Handshake Authentication Protocol (RFC 1994).
    pub const CHAP: u16 = 0xc223;
    /// Extensible Authentication Protocol (RFC 3748).
    pub const EAP: u16 = 0xc227;
}

/// One PPP frame as carried in a PPPoE session frame: Protocol + information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PppFrame<'a> {
    /// The Protocol field.
    pub protocol: u16,
    /// The information field (the whole rest of the frame).
    pub payload: &'a [u8],
}

impl<'a> PppFrame<'a> {
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

    /// Parses a frame; only the two-byte Protocol field is required.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        let (payload, protocol) = be_u16(buf, "protocol")?;
        Ok(PppFrame { protocol, payload })
    }

    /// Size of the emitted frame.
    pub fn buffer_len(&self) -> usize {
        2 + self.payload.len()
    }

    /// Appends the frame to `out` (a `Vec`, or any `BufMut`).
    pub fn put<B: BufMut>(&self, out: &mut B) {
        out.put_u16(self.protocol);
        out.put_slice(self.payload);
    }
}

pub(crate) type NomErr<'a> = nom::error::Error<&'a [u8]>;

pub(crate) fn be_u8<'a>(i: &'a [u8], field: &'static str) -> Result<(&'a [u8], u8), Error> {
    num::be_u8::<_, NomErr<'a>>(i).map_err(|_| Error::Truncated { field })
}

pub(crate) fn be_u16<'a>(i: &'a [u8], field: &'static str) -> Result<(&'a [u8], u16), Error> {
    num::be_u16::<_, NomErr<'a>>(i).map_err(|_| Error::Truncated { field })
}

pub(crate) fn be_u32<'a>(i: &'a [u8], field: &'static str) -> Result<(&'a [u8], u32), Error> {
    num::be_u32::<_, NomErr<'a>>(i).map_err(|_| Error::Truncated { field })
}

pub(crate) fn take<'a>(
    i: &'a [u8],
    n: usize,
    field: &'static str,
) -> Result<(&'a [u8], &'a [u8]), Error> {
    nom::bytes::complete::take::<_, _, NomErr<'a>>(n)(i).map_err(|_| Error::Truncated { field })
}

/// Splits a packet with a (code, identifier, length) header into the header
/// values and the data the Length field covers (bytes past it are padding).
pub(crate) fn split_header(buf: &[u8], min_len: u16) -> Result<(u8, u8, &[u8]), Error> {
    let (i, code) = be_u8(buf, "code")?;
    let (i, identifier) = be_u8(i, "identifier")?;
    let (i, length) = be_u16(i, "length")?;
    if length < min_len {
        return Err(Error::BadLength { field: "length" });
    }
    let (_, data) = take(i, usize::from(length) - 4, "data")?;
    Ok((code, identifier, data))
}

/// Writes a (code, identifier, length) header for `data_len` bytes of data.
pub(crate) fn put_header<B: BufMut>(out: &mut B, code: u8, identifier: u8, data_len: usize) {
    out.put_u8(code);
    out.put_u8(identifier);
    // Lengths are bounded by the callers' own data (u16 at parse time).
    out.put_u16((4 + data_len) as u16);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn frame_round_trip_and_truncation() {
        let bytes = [0xc0, 0x21, 1, 2, 0, 4];
        let f = PppFrame::parse(&bytes).unwrap();
        assert_eq!(f.protocol, protocol::LCP);
        let mut out = Vec::new();
        f.put(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(f.buffer_len(), 6);
        assert_eq!(
            PppFrame::parse(&[0xc0]),
            Err(Error::Truncated { field: "protocol" })
        );
    }

    #[test]
    fn header_lengths_checked() {
        assert_eq!(
            split_header(&[1, 1, 0, 3], 4),
            Err(Error::BadLength { field: "length" })
        );
        assert_eq!(
            split_header(&[1, 1, 0, 9, 0], 4),
            Err(Error::Truncated { field: "data" })
        );
        assert_eq!(
            split_header(&[1, 1, 0, 5, 7, 99], 4),
            Ok((1, 1, &[7u8][..]))
        );
    }
}
