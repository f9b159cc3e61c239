//! The RDNSS and DNSSL options (RFC 8106 §5) and domain names in DNS wire
//! format without compression, as the DNSSL option carries them (RFC 8106
//! §5.2, RFC 1035 §3.1).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv6Addr;

use super::NdpWireError;

/// Recursive DNS Server (RFC 8106 §5.1).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rdnss {
    /// Reserved, kept as received.
    pub reserved: u16,
    /// Seconds; `u32::MAX` is infinity, 0 withdraws the servers.
    pub lifetime: u32,
    /// At least one server.
    pub servers: Vec<Ipv6Addr>,
}

/// DNS Search List (RFC 8106 §5.2).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dnssl {
    /// Reserved, kept as received.
    pub reserved: u16,
    /// Seconds; `u32::MAX` is infinity, 0 withdraws the domains.
    pub lifetime: u32,
    /// The domain names, uncompressed.
    pub domains: Vec<DomainName>,
    /// Whole 8-octet units of zero padding beyond the shortest encoding
    /// (0 for everything built here), so what was parsed re-emits exactly.
    pub extra_padding: u8,
}

/// One domain name: its labels in DNS wire format, ending with the root
/// label (a zero octet). Labels are 1–63 octets, the whole at most 255.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DomainName(Vec<u8>);

impl DomainName {
    /// The name from dotted text (`example.com`, a trailing dot allowed).
    /// `None` for an empty label, a label over 63 octets or a name over 255.
    pub fn from_dotted(name: &str) -> Option<DomainName> {
        let mut wire = Vec::with_capacity(name.len() + 2);
        let trimmed = name.strip_suffix('.').unwrap_or(name);
        if !trimmed.is_empty() {
            for label in trimmed.split('.') {
                if label.is_empty() || label.len() > 63 {
                    return None;
                }
                wire.push(label.len() as u8);
                wire.extend_from_slice(label.as_bytes());
            }
        }
        wire.push(0);
        (wire.len() <= 255).then_some(DomainName(wire))
    }

    /// The wire form, root label included.
    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    /// Dotted text; octets outside printable ASCII (and `.` inside a label)
    /// are written as `\DDD` (RFC 4343 §2.1).
    pub fn to_dotted(&self) -> String {
        let mut out = String::new();
        let mut i = 0;
        while let Some(&len) = self.0.get(i) {
            if len == 0 {
                break;
            }
            if !out.is_empty() {
                out.push('.');
            }
            for &b in &self.0[i + 1..i + 1 + usize::from(len)] {
                if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                    out.push(char::from(b));
                } else {
                    out.push_str(&alloc::format!("\\{b:03}"));
                }
            }
            i += 1 + usize::from(len);
        }
        out
    }

    /// Reads one name at the start of `input`; returns it and its length.
    /// A compression pointer (top bits set) is an error: RFC 8106 §5.2
    /// forbids compression.
    pub(crate) fn parse_prefix(input: &[u8]) -> Result<(DomainName, usize), NdpWireError> {
        let mut i = 0;
        loop {
            let &len = input.get(i).ok_or(NdpWireError::Truncated {
                field: "DNSSL domain name",
            })?;
            if len == 0 {
                i += 1;
                break;
            }
            if len > 63 {
                return Err(NdpWireError::BadValue {
                    field: "DNSSL label length",
                });
            }
            i += 1 + usize::from(len);
            if i > input.len() {
                return Err(NdpWireError::Truncated {
                    field: "DNSSL label",
                });
            }
            if i >= 255 {
                return Err(NdpWireError::BadLength {
                    field: "DNSSL domain name",
                    len: i + 1,
                });
            }
        }
        Ok((DomainName(input[..i].to_vec()), i))
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainName({:?})", self.to_dotted())
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_dotted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_round_trip_and_limits() {
        let n = DomainName::from_dotted("example.com.").unwrap();
        assert_eq!(n.as_wire(), b"\x07example\x03com\x00");
        assert_eq!(n.to_dotted(), "example.com");
        assert_eq!(DomainName::parse_prefix(n.as_wire()).unwrap().1, 13);
        assert!(DomainName::from_dotted("a..b").is_none());
        assert!(DomainName::from_dotted(&"a".repeat(64)).is_none());
        assert_eq!(
            DomainName::parse_prefix(b"\xc0\x0c"),
            Err(NdpWireError::BadValue {
                field: "DNSSL label length"
            })
        );
        assert_eq!(
            DomainName::parse_prefix(b"\x03ab"),
            Err(NdpWireError::Truncated {
                field: "DNSSL label"
            })
        );
    }
}
