//! LCP configuration options (RFC 1661 §6, RFC 1994 §3 for CHAP's algorithm).

use bytes::BufMut;

use super::Error;
use super::cp::ConfigOption;
use super::protocol;

/// LCP option type numbers.
pub mod kind {
    /// Maximum-Receive-Unit.
    pub const MRU: u8 = 1;
    /// Async-Control-Character-Map (RFC 1662).
    pub const ACCM: u8 = 2;
    /// Authentication-Protocol.
    pub const AUTH_PROTOCOL: u8 = 3;
    /// Magic-Number.
    pub const MAGIC_NUMBER: u8 = 5;
    /// Protocol-Field-Compression.
    pub const PFC: u8 = 7;
    /// Address-and-Control-Field-Compression.
    pub const ACFC: u8 = 8;
}

/// CHAP algorithm numbers (RFC 1994 §3, RFC 2433, RFC 2759).
pub mod chap_algorithm {
    /// CHAP with MD5.
    pub const MD5: u8 = 5;
    /// MS-CHAP (RFC 2433).
    pub const MS_CHAP: u8 = 0x80;
    /// MS-CHAP-v2 (RFC 2759).
    pub const MS_CHAP_V2: u8 = 0x81;
}

/// The value of an Authentication-Protocol option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthProtocol<'a> {
    /// PAP (0xc023, no data).
    Pap,
    /// CHAP (0xc223) with an algorithm byte: MD5 is 5.
    Chap {
        /// The Algorithm field.
        algorithm: u8,
    },
    /// Anything else (EAP, PAP/CHAP with unexpected data): kept raw.
    Other {
        /// The protocol number.
        protocol: u16,
        /// The data after the protocol number.
        data: &'a [u8],
    },
}

impl AuthProtocol<'_> {
    /// CHAP with MD5.
    pub const CHAP_MD5: AuthProtocol<'static> = AuthProtocol::Chap {
        algorithm: chap_algorithm::MD5,
    };
}

/// An LCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LcpOption<'a> {
    /// Maximum-Receive-Unit (type 1).
    Mru(u16),
    /// Async-Control-Character-Map (type 2).
    Accm(u32),
    /// Authentication-Protocol (type 3).
    AuthProtocol(AuthProtocol<'a>),
    /// Magic-Number (type 5).
    MagicNumber(u32),
    /// Protocol-Field-Compression (type 7).
    Pfc,
    /// Address-and-Control-Field-Compression (type 8).
    Acfc,
    /// Any other option, kept raw.
    Unknown {
        /// The Type field.
        kind: u8,
        /// The data.
        data: &'a [u8],
    },
}

fn exact<const N: usize>(data: &[u8], field: &'static str) -> Result<[u8; N], Error> {
    data.try_into().map_err(|_| Error::BadLength { field })
}

impl<'a> ConfigOption<'a> for LcpOption<'a> {
    fn parse(k: u8, data: &'a [u8]) -> Result<Self, Error> {
        Ok(match k {
            kind::MRU => LcpOption::Mru(u16::from_be_bytes(exact(data, "MRU")?)),
            kind::ACCM => LcpOption::Accm(u32::from_be_bytes(exact(data, "ACCM")?)),
            kind::MAGIC_NUMBER => {
                LcpOption::MagicNumber(u32::from_be_bytes(exact(data, "Magic-Number")?))
            }
            kind::PFC if data.is_empty() => LcpOption::Pfc,
            kind::ACFC if data.is_empty() => LcpOption::Acfc,
            kind::PFC => return Err(Error::BadLength { field: "PFC" }),
            kind::ACFC => return Err(Error::BadLength { field: "ACFC" }),
            kind::AUTH_PROTOCOL => {
                let (p, rest) = data.split_at_checked(2).ok_or(Error::BadLength {
                    field: "Authentication-Protocol",
                })?;
                let proto = u16::from_be_bytes([p[0], p[1]]);
                LcpOption::AuthProtocol(match (proto, rest) {
                    (protocol::PAP, []) => AuthProtocol::Pap,
                    (protocol::CHAP, [algorithm]) => AuthProtocol::Chap {
                        algorithm: *algorithm,
                    },
                    (protocol, data) => AuthProtocol::Other { protocol, data },
                })
            }
            _ => LcpOption::Unknown { kind: k, data },
        })
    }

    fn kind(&self) -> u8 {
        match self {
            LcpOption::Mru(_) => kind::MRU,
            LcpOption::Accm(_) => kind::ACCM,
            LcpOption::AuthProtocol(_) => kind::AUTH_PROTOCOL,
            LcpOption::MagicNumber(_) => kind::MAGIC_NUMBER,
            LcpOption::Pfc => kind::PFC,
            LcpOption::Acfc => kind::ACFC,
            LcpOption::Unknown { kind, .. } => *kind,
        }
    }

    fn data_len(&self) -> usize {
        match self {
            LcpOption::Mru(_) => 2,
            LcpOption::Accm(_) | LcpOption::MagicNumber(_) => 4,
            LcpOption::AuthProtocol(AuthProtocol::Pap) => 2,
            LcpOption::AuthProtocol(AuthProtocol::Chap { .. }) => 3,
            LcpOption::AuthProtocol(AuthProtocol::Other { data, .. }) => 2 + data.len(),
            LcpOption::Pfc | LcpOption::Acfc => 0,
            LcpOption::Unknown { data, .. } => data.len(),
        }
    }

    fn emit_data<B: BufMut>(&self, out: &mut B) {
        match self {
            LcpOption::Mru(v) => out.put_u16(*v),
            LcpOption::Accm(v) | LcpOption::MagicNumber(v) => out.put_u32(*v),
            LcpOption::AuthProtocol(AuthProtocol::Pap) => out.put_u16(protocol::PAP),
            LcpOption::AuthProtocol(AuthProtocol::Chap { algorithm }) => {
                out.put_u16(protocol::CHAP);
                out.put_u8(*algorithm);
            }
            LcpOption::AuthProtocol(AuthProtocol::Other { protocol, data }) => {
                out.put_u16(*protocol);
                out.put_slice(data);
            }
            LcpOption::Pfc | LcpOption::Acfc => {}
            LcpOption::Unknown { data, .. } => out.put_slice(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn rt(bytes: &[u8]) -> LcpOption<'_> {
        let o = LcpOption::parse(bytes[0], &bytes[2..]).unwrap();
        let mut out = Vec::new();
        o.put(&mut out);
        assert_eq!(out, bytes);
        o
    }

    #[test]
    fn options_round_trip() {
        assert_eq!(rt(&[1, 4, 0x05, 0xd4]), LcpOption::Mru(1492));
        assert_eq!(rt(&[2, 6, 0, 0, 0, 0]), LcpOption::Accm(0));
        assert_eq!(
            rt(&[3, 5, 0xc2, 0x23, 5]),
            LcpOption::AuthProtocol(AuthProtocol::CHAP_MD5)
        );
        assert_eq!(
            rt(&[3, 4, 0xc0, 0x23]),
            LcpOption::AuthProtocol(AuthProtocol::Pap)
        );
        assert!(matches!(
            rt(&[3, 4, 0xc2, 0x27]),
            LcpOption::AuthProtocol(AuthProtocol::Other {
                protocol: 0xc227,
                ..
            })
        ));
        assert!(matches!(
            rt(&[3, 5, 0xc0, 0x23, 1]),
            LcpOption::AuthProtocol(AuthProtocol::Other {
                protocol: 0xc023,
                ..
            })
        ));
        assert_eq!(rt(&[5, 6, 1, 2, 3, 4]), LcpOption::MagicNumber(0x01020304));
        assert_eq!(rt(&[7, 2]), LcpOption::Pfc);
        assert_eq!(rt(&[8, 2]), LcpOption::Acfc);
        assert!(matches!(
            rt(&[13, 3, 6]),
            LcpOption::Unknown { kind: 13, .. }
        ));
    }

    #[test]
    fn wrong_lengths_name_the_option() {
        assert_eq!(
            LcpOption::parse(1, &[5]),
            Err(Error::BadLength { field: "MRU" })
        );
        assert_eq!(
            LcpOption::parse(5, &[1, 2, 3]),
            Err(Error::BadLength {
                field: "Magic-Number"
            })
        );
        assert_eq!(
            LcpOption::parse(3, &[0xc0]),
            Err(Error::BadLength {
                field: "Authentication-Protocol"
            })
        );
        assert_eq!(
            LcpOption::parse(7, &[0]),
            Err(Error::BadLength { field: "PFC" })
        );
    }
}
