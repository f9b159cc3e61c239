//! IPv6CP configuration options (RFC 5072 §4).

use bytes::BufMut;

use super::Error;
use super::cp::ConfigOption;

/// IPv6CP option type numbers.
pub mod kind {
    /// Interface-Identifier (RFC 5072 §4.1).
    pub const INTERFACE_IDENTIFIER: u8 = 1;
}

/// An IPv6CP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ipv6cpOption<'a> {
    /// Interface-Identifier: the low 64 bits of the link-local address.
    InterfaceIdentifier(u64),
    /// Any other option (the deprecated IPv6-Compression-Protocol, …), raw.
    Unknown {
        /// The Type field.
        kind: u8,
        /// The data.
        data: &'a [u8],
    },
}

impl<'a> ConfigOption<'a> for Ipv6cpOption<'a> {
    fn parse(k: u8, data: &'a [u8]) -> Result<Self, Error> {
        Ok(match k {
            kind::INTERFACE_IDENTIFIER => {
                let b: [u8; 8] = data.try_into().map_err(|_| Error::BadLength {
                    field: "Interface-Identifier",
                })?;
                Ipv6cpOption::InterfaceIdentifier(u64::from_be_bytes(b))
            }
            _ => Ipv6cpOption::Unknown { kind: k, data },
        })
    }

    fn kind(&self) -> u8 {
        match self {
            Ipv6cpOption::InterfaceIdentifier(_) => kind::INTERFACE_IDENTIFIER,
            Ipv6cpOption::Unknown { kind, .. } => *kind,
        }
    }

    fn data_len(&self) -> usize {
        match self {
            Ipv6cpOption::InterfaceIdentifier(_) => 8,
            Ipv6cpOption::Unknown { data, .. } => data.len(),
        }
    }

    fn emit_data<B: BufMut>(&self, out: &mut B) {
        match self {
            Ipv6cpOption::InterfaceIdentifier(v) => out.put_u64(*v),
            Ipv6cpOption::Unknown { data, .. } => out.put_slice(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn interface_identifier_round_trips() {
        let bytes = [1, 10, 0, 0, 0, 0, 0, 0, 0, 1];
        let o = Ipv6cpOption::parse(1, &bytes[2..]).unwrap();
        assert_eq!(o, Ipv6cpOption::InterfaceIdentifier(1));
        let mut out = Vec::new();
        o.put(&mut out);
        assert_eq!(out, bytes);
        assert_eq!(
            Ipv6cpOption::parse(1, &[1, 2]),
            Err(Error::BadLength {
                field: "Interface-Identifier"
            })
        );
        let u = Ipv6cpOption::parse(2, &[0, 1]).unwrap();
        let mut out = Vec::new();
        u.put(&mut out);
        assert_eq!(out, [2, 4, 0, 1]);
    }
}
