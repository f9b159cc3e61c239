//! PAP packets (RFC 1334 §2.2).

use bytes::BufMut;
use core::fmt;

use super::Error;
use super::{be_u8, put_header, split_header, take};

/// A PAP packet. `Debug` never shows the password.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PapPacket<'a> {
    /// Code 1: Peer-ID and Password.
    AuthenticateRequest {
        /// The Identifier field.
        identifier: u8,
        /// The Peer-ID (user name).
        peer_id: &'a [u8],
        /// The Password (a secret: never logged).
        password: &'a [u8],
    },
    /// Code 2: authentication succeeded, with a message.
    AuthenticateAck {
        /// The Identifier field (that of the request).
        identifier: u8,
        /// The Message.
        message: &'a [u8],
    },
    /// Code 3: authentication failed, with a message.
    AuthenticateNak {
        /// The Identifier field.
        identifier: u8,
        /// The Message.
        message: &'a [u8],
    },
}

impl fmt::Debug for PapPacket<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PapPacket::AuthenticateRequest {
                identifier,
                peer_id,
                ..
            } => f
                .debug_struct("AuthenticateRequest")
                .field("identifier", identifier)
                .field("peer_id", &BStr(peer_id))
                .field("password", &"<redacted>")
                .finish(),
            PapPacket::AuthenticateAck {
                identifier,
                message,
            } => f
                .debug_struct("AuthenticateAck")
                .field("identifier", identifier)
                .field("message", &BStr(message))
                .finish(),
            PapPacket::AuthenticateNak {
                identifier,
                message,
            } => f
                .debug_struct("AuthenticateNak")
                .field("identifier", identifier)
                .field("message", &BStr(message))
                .finish(),
        }
    }
}

/// Bytes shown as an escaped string in `Debug`.
pub(crate) struct BStr<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for BStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.escape_ascii() {
            fmt::Write::write_char(f, char::from(c))?;
        }
        f.write_str("\"")
    }
}

fn take_counted<'a>(i: &'a [u8], field: &'static str) -> Result<(&'a [u8], &'a [u8]), Error> {
    let (i, n) = be_u8(i, field)?;
    take(i, usize::from(n), field)
}

impl<'a> PapPacket<'a> {
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

    /// Parses a PAP packet; the counted fields must fit in the Length.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        let (code, identifier, data) = split_header(buf, 4)?;
        match code {
            1 => {
                let (i, peer_id) = take_counted(data, "Peer-ID")?;
                let (i, password) = take_counted(i, "Password")?;
                if !i.is_empty() {
                    return Err(Error::BadLength { field: "length" });
                }
                Ok(PapPacket::AuthenticateRequest {
                    identifier,
                    peer_id,
                    password,
                })
            }
            2 | 3 => {
                let (i, message) = take_counted(data, "Message")?;
                if !i.is_empty() {
                    return Err(Error::BadLength { field: "length" });
                }
                Ok(if code == 2 {
                    PapPacket::AuthenticateAck {
                        identifier,
                        message,
                    }
                } else {
                    PapPacket::AuthenticateNak {
                        identifier,
                        message,
                    }
                })
            }
            code => Err(Error::UnknownCode { code }),
        }
    }

    /// The Identifier field.
    pub fn identifier(&self) -> u8 {
        match self {
            PapPacket::AuthenticateRequest { identifier, .. }
            | PapPacket::AuthenticateAck { identifier, .. }
            | PapPacket::AuthenticateNak { identifier, .. } => *identifier,
        }
    }

    fn data_len(&self) -> usize {
        match self {
            PapPacket::AuthenticateRequest {
                peer_id, password, ..
            } => 2 + peer_id.len() + password.len(),
            PapPacket::AuthenticateAck { message, .. }
            | PapPacket::AuthenticateNak { message, .. } => 1 + message.len(),
        }
    }

    /// Size of the emitted packet.
    pub fn buffer_len(&self) -> usize {
        4 + self.data_len()
    }

    /// Writes the packet. Fields longer than 255 bytes are cut to 255 (only
    /// values built locally can be that long; parsed ones cannot).
    pub fn put<B: BufMut>(&self, out: &mut B) {
        fn counted<B: BufMut>(out: &mut B, v: &[u8]) {
            let v = &v[..v.len().min(255)];
            out.put_u8(v.len() as u8);
            out.put_slice(v);
        }
        let (code, len) = match self {
            PapPacket::AuthenticateRequest {
                peer_id, password, ..
            } => (1, 2 + peer_id.len().min(255) + password.len().min(255)),
            PapPacket::AuthenticateAck { message, .. } => (2, 1 + message.len().min(255)),
            PapPacket::AuthenticateNak { message, .. } => (3, 1 + message.len().min(255)),
        };
        put_header(out, code, self.identifier(), len);
        match self {
            PapPacket::AuthenticateRequest {
                peer_id, password, ..
            } => {
                counted(out, peer_id);
                counted(out, password);
            }
            PapPacket::AuthenticateAck { message, .. }
            | PapPacket::AuthenticateNak { message, .. } => counted(out, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn round_trip_and_redaction() {
        let bytes = [1, 7, 0, 12, 3, b'b', b'o', b'b', 3, b'p', b'w', b'd'];
        let p = PapPacket::parse(&bytes).unwrap();
        assert_eq!(p.to_vec(), bytes);
        let dbg = format!("{p:?}");
        assert!(dbg.contains("<redacted>") && !dbg.contains("pwd"), "{dbg}");
        let ack = [2, 7, 0, 7, 2, b'o', b'k'];
        assert_eq!(PapPacket::parse(&ack).unwrap().to_vec(), ack);
        let nak = [3, 7, 0, 5, 0];
        assert_eq!(PapPacket::parse(&nak).unwrap().to_vec(), nak);
    }

    #[test]
    fn lying_lengths_are_errors() {
        assert_eq!(
            PapPacket::parse(&[1, 7, 0, 6, 5, b'b']),
            Err(Error::Truncated { field: "Peer-ID" })
        );
        assert_eq!(
            PapPacket::parse(&[1, 7, 0, 6, 1, b'b']),
            Err(Error::Truncated { field: "Password" })
        );
        assert_eq!(
            PapPacket::parse(&[2, 7, 0, 6, 0, 1]),
            Err(Error::BadLength { field: "length" })
        );
        assert_eq!(
            PapPacket::parse(&[4, 7, 0, 4]),
            Err(Error::UnknownCode { code: 4 })
        );
    }
}
