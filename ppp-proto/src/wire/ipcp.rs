//! IPCP configuration options (RFC 1332 §3, RFC 1877 for DNS/NBNS).

use bytes::BufMut;
use core::net::Ipv4Addr;

use super::Error;
use super::cp::ConfigOption;

/// IPCP option type numbers.
pub mod kind {
    /// IP-Compression-Protocol (RFC 1332 §3.2).
    pub const IP_COMPRESSION_PROTOCOL: u8 = 2;
    /// IP-Address (RFC 1332 §3.3).
    pub const IP_ADDRESS: u8 = 3;
    /// Primary-DNS-Address (RFC 1877 §1.1).
    pub const PRIMARY_DNS: u8 = 129;
    /// Secondary-DNS-Address (RFC 1877 §1.3).
    pub const SECONDARY_DNS: u8 = 131;
}

/// An IPCP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpcpOption<'a> {
    /// IP-Compression-Protocol: protocol number and its data (e.g. VJ's
    /// Max-Slot-Id and Comp-Slot-Id).
    IpCompressionProtocol {
        /// The compression protocol (0x002d is Van Jacobson).
        protocol: u16,
        /// The protocol's data.
        data: &'a [u8],
    },
    /// IP-Address.
    IpAddress(Ipv4Addr),
    /// Primary-DNS-Address.
    PrimaryDns(Ipv4Addr),
    /// Secondary-DNS-Address.
    SecondaryDns(Ipv4Addr),
    /// Any other option (IP-Addresses, NBNS, …), kept raw.
    Unknown {
        /// The Type field.
        kind: u8,
        /// The data.
        data: &'a [u8],
    },
}

fn addr(data: &[u8], field: &'static str) -> Result<Ipv4Addr, Error> {
    let b: [u8; 4] = data.try_into().map_err(|_| Error::BadLength { field })?;
    Ok(Ipv4Addr::from(b))
}

impl<'a> ConfigOption<'a> for IpcpOption<'a> {
    fn parse(k: u8, data: &'a [u8]) -> Result<Self, Error> {
        Ok(match k {
            kind::IP_COMPRESSION_PROTOCOL => {
                let (p, data) = data.split_at_checked(2).ok_or(Error::BadLength {
                    field: "IP-Compression-Protocol",
                })?;
                IpcpOption::IpCompressionProtocol {
                    protocol: u16::from_be_bytes([p[0], p[1]]),
                    data,
                }
            }
            kind::IP_ADDRESS => IpcpOption::IpAddress(addr(data, "IP-Address")?),
            kind::PRIMARY_DNS => IpcpOption::PrimaryDns(addr(data, "Primary-DNS-Address")?),
            kind::SECONDARY_DNS => IpcpOption::SecondaryDns(addr(data, "Secondary-DNS-Address")?),
            _ => IpcpOption::Unknown { kind: k, data },
        })
    }

    fn kind(&self) -> u8 {
        match self {
            IpcpOption::IpCompressionProtocol { .. } => kind::IP_COMPRESSION_PROTOCOL,
            IpcpOption::IpAddress(_) => kind::IP_ADDRESS,
            IpcpOption::PrimaryDns(_) => kind::PRIMARY_DNS,
            IpcpOption::SecondaryDns(_) => kind::SECONDARY_DNS,
            IpcpOption::Unknown { kind, .. } => *kind,
        }
    }

    fn data_len(&self) -> usize {
        match self {
            IpcpOption::IpCompressionProtocol { data, .. } => 2 + data.len(),
            IpcpOption::IpAddress(_) | IpcpOption::PrimaryDns(_) | IpcpOption::SecondaryDns(_) => 4,
            IpcpOption::Unknown { data, .. } => data.len(),
        }
    }

    fn emit_data<B: BufMut>(&self, out: &mut B) {
        match self {
            IpcpOption::IpCompressionProtocol { protocol, data } => {
                out.put_u16(*protocol);
                out.put_slice(data);
            }
            IpcpOption::IpAddress(a) | IpcpOption::PrimaryDns(a) | IpcpOption::SecondaryDns(a) => {
                out.put_slice(&a.octets())
            }
            IpcpOption::Unknown { data, .. } => out.put_slice(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn rt(bytes: &[u8]) -> IpcpOption<'_> {
        let o = IpcpOption::parse(bytes[0], &bytes[2..]).unwrap();
        let mut out = Vec::new();
        o.put(&mut out);
        assert_eq!(out, bytes);
        o
    }

    #[test]
    fn options_round_trip() {
        assert!(matches!(
            rt(&[2, 6, 0, 0x2d, 0x0f, 1]),
            IpcpOption::IpCompressionProtocol { protocol: 0x2d, .. }
        ));
        assert_eq!(
            rt(&[3, 6, 192, 0, 2, 1]),
            IpcpOption::IpAddress(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(
            rt(&[129, 6, 0, 0, 0, 0]),
            IpcpOption::PrimaryDns(Ipv4Addr::UNSPECIFIED)
        );
        assert_eq!(
            rt(&[131, 6, 198, 51, 100, 54]),
            IpcpOption::SecondaryDns(Ipv4Addr::new(198, 51, 100, 54))
        );
        assert!(matches!(
            rt(&[130, 6, 1, 2, 3, 4]),
            IpcpOption::Unknown { kind: 130, .. }
        ));
    }

    #[test]
    fn wrong_lengths_name_the_option() {
        assert_eq!(
            IpcpOption::parse(3, &[1, 2, 3]),
            Err(Error::BadLength {
                field: "IP-Address"
            })
        );
        assert_eq!(
            IpcpOption::parse(2, &[1]),
            Err(Error::BadLength {
                field: "IP-Compression-Protocol"
            })
        );
    }
}
