//! CHAP packets (RFC 1994 §4) and the MD5 response (§2, algorithm 5).

use bytes::BufMut;
use md5::{Digest, Md5};

use super::Error;
use super::pap::BStr;
use super::{be_u8, put_header, split_header, take};
use core::fmt;

/// A CHAP packet.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ChapPacket<'a> {
    /// Code 1: the authenticator's challenge.
    Challenge {
        /// The Identifier field.
        identifier: u8,
        /// The challenge Value.
        value: &'a [u8],
        /// The authenticator's Name.
        name: &'a [u8],
    },
    /// Code 2: the peer's response.
    Response {
        /// The Identifier field (that of the challenge).
        identifier: u8,
        /// The response Value (16 bytes for MD5).
        value: &'a [u8],
        /// The peer's Name (user name).
        name: &'a [u8],
    },
    /// Code 3: authentication succeeded.
    Success {
        /// The Identifier field.
        identifier: u8,
        /// The Message.
        message: &'a [u8],
    },
    /// Code 4: authentication failed.
    Failure {
        /// The Identifier field.
        identifier: u8,
        /// The Message.
        message: &'a [u8],
    },
}

impl fmt::Debug for ChapPacket<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, identifier, a, b) = match self {
            ChapPacket::Challenge {
                identifier,
                value,
                name,
            } => ("Challenge", identifier, value, Some(name)),
            ChapPacket::Response {
                identifier,
                value,
                name,
            } => ("Response", identifier, value, Some(name)),
            ChapPacket::Success {
                identifier,
                message,
            } => ("Success", identifier, message, None),
            ChapPacket::Failure {
                identifier,
                message,
            } => ("Failure", identifier, message, None),
        };
        let mut d = f.debug_struct(n);
        d.field("identifier", identifier);
        match b {
            Some(name) => d.field("value", a).field("name", &BStr(name)),
            None => d.field("message", &BStr(a)),
        };
        d.finish()
    }
}

impl<'a> ChapPacket<'a> {
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

    /// Parses a CHAP packet.
    pub fn parse(buf: &'a [u8]) -> Result<Self, Error> {
        let (code, identifier, data) = split_header(buf, 4)?;
        match code {
            1 | 2 => {
                let (i, n) = be_u8(data, "Value-Size")?;
                let (name, value) = take(i, usize::from(n), "Value")?;
                Ok(if code == 1 {
                    ChapPacket::Challenge {
                        identifier,
                        value,
                        name,
                    }
                } else {
                    ChapPacket::Response {
                        identifier,
                        value,
                        name,
                    }
                })
            }
            3 => Ok(ChapPacket::Success {
                identifier,
                message: data,
            }),
            4 => Ok(ChapPacket::Failure {
                identifier,
                message: data,
            }),
            code => Err(Error::UnknownCode { code }),
        }
    }

    /// The Identifier field.
    pub fn identifier(&self) -> u8 {
        match self {
            ChapPacket::Challenge { identifier, .. }
            | ChapPacket::Response { identifier, .. }
            | ChapPacket::Success { identifier, .. }
            | ChapPacket::Failure { identifier, .. } => *identifier,
        }
    }

    fn data_len(&self) -> usize {
        match self {
            ChapPacket::Challenge { value, name, .. }
            | ChapPacket::Response { value, name, .. } => 1 + value.len().min(255) + name.len(),
            ChapPacket::Success { message, .. } | ChapPacket::Failure { message, .. } => {
                message.len()
            }
        }
    }

    /// Size of the emitted packet.
    pub fn buffer_len(&self) -> usize {
        4 + self.data_len()
    }

    /// Appends the packet to `out` (a `Vec`, or any `BufMut`); a locally
    /// built Value longer than 255 bytes is cut.
    pub fn put<B: BufMut>(&self, out: &mut B) {
        let code = match self {
            ChapPacket::Challenge { .. } => 1,
            ChapPacket::Response { .. } => 2,
            ChapPacket::Success { .. } => 3,
            ChapPacket::Failure { .. } => 4,
        };
        put_header(out, code, self.identifier(), self.data_len());
        match self {
            ChapPacket::Challenge { value, name, .. }
            | ChapPacket::Response { value, name, .. } => {
                let v = &value[..value.len().min(255)];
                out.put_u8(v.len() as u8);
                out.put_slice(v);
                out.put_slice(name);
            }
            ChapPacket::Success { message, .. } | ChapPacket::Failure { message, .. } => {
                out.put_slice(message)
            }
        }
    }
}

/// The CHAP-MD5 response: MD5(Identifier ‖ secret ‖ challenge) (RFC 1994 §2).
pub fn chap_md5_response(identifier: u8, secret: &[u8], challenge: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update([identifier]);
    h.update(secret);
    h.update(challenge);
    h.finalize().into()
}

/// Checks a CHAP-MD5 response against a known secret (for a local user
/// table); compares in constant time.
pub fn verify_chap_md5(identifier: u8, secret: &[u8], challenge: &[u8], response: &[u8]) -> bool {
    sansio_primitives::ct_eq(&chap_md5_response(identifier, secret, challenge), response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = [1, 0x25, 0, 11, 3, 0xaa, 0xbb, 0xcc, b'l', b'a', b'c'];
        assert_eq!(ChapPacket::parse(&c).unwrap().to_vec(), c);
        let r = [2, 0x25, 0, 7, 1, 0xaa, b'u'];
        assert_eq!(ChapPacket::parse(&r).unwrap().to_vec(), r);
        let s = [3, 0x25, 0, 6, b'o', b'k'];
        assert_eq!(ChapPacket::parse(&s).unwrap().to_vec(), s);
        let f = [4, 0x25, 0, 4];
        assert_eq!(ChapPacket::parse(&f).unwrap().to_vec(), f);
        assert_eq!(
            ChapPacket::parse(&[1, 1, 0, 6, 5, 1]),
            Err(Error::Truncated { field: "Value" })
        );
        assert_eq!(
            ChapPacket::parse(&[5, 1, 0, 4]),
            Err(Error::UnknownCode { code: 5 })
        );
    }

    #[test]
    fn md5_response_matches_pppd_capture() {
        // From pppoe-chap-ipcp-ipv6cp: id 0x25, secret "labpass" (the lab's
        // chap-secrets), the challenge and response of frames 11 and 15.
        let challenge = [
            0xc0, 0x25, 0xba, 0xf7, 0xe9, 0x05, 0xe7, 0x8b, 0xaf, 0xff, 0x82, 0xeb, 0x0f, 0x25,
            0xca, 0xe4, 0xfa, 0x92, 0xac, 0xb5,
        ];
        let response = [
            0xfb, 0x41, 0xfe, 0xfc, 0x74, 0xdd, 0x93, 0xb1, 0x73, 0x6b, 0x57, 0x5d, 0x69, 0x8d,
            0x00, 0x64,
        ];
        let secret = b"labpass"; // run-ac.sh default account labuser/labpass
        assert!(verify_chap_md5(0x25, secret, &challenge, &response));
        assert!(!verify_chap_md5(0x26, secret, &challenge, &response));
        assert!(!verify_chap_md5(0x25, secret, &challenge, &response[..15]));
    }
}
