//! Domain names in RFC 1035 §3.1 wire format, uncompressed (RFC 8415 §10):
//! used by the domain search list (RFC 3646), the NTP server FQDN (RFC 5908)
//! and the AFTR-Name (RFC 6334).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{Error, Reader, Writer, emit_via_writer};

/// One fully qualified domain name, kept in wire form (labels, each with its
/// length octet, ending with the root label).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(Vec<u8>);

/// The longest name in wire form (RFC 1035 §3.1).
const MAX_NAME: usize = 255;

impl DomainName {
    /// The root name (a single zero octet).
    pub fn root() -> DomainName {
        DomainName(alloc::vec![0])
    }

    /// Builds a name from dotted text (`example.net`, a trailing dot
    /// allowed). Labels of 1–63 octets, 255 octets in all.
    pub fn from_dotted(s: &str) -> Result<DomainName, Error> {
        let mut v = Vec::with_capacity(s.len() + 2);
        for label in s.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
            if label.len() > 63 {
                return Err(Error::BadLength {
                    field: "domain label",
                    len: label.len(),
                });
            }
            v.push(label.len() as u8);
            v.extend_from_slice(label.as_bytes());
        }
        v.push(0);
        if v.len() > MAX_NAME {
            return Err(Error::BadLength {
                field: "domain name",
                len: v.len(),
            });
        }
        Ok(DomainName(v))
    }

    /// The wire form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Reads one name from the front of `r`.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<DomainName, Error> {
        let mut v = Vec::new();
        loop {
            let len = usize::from(r.u8("domain label length")?);
            if len & 0xc0 != 0 {
                // Compression pointers (and the reserved 01/10 forms) are
                // not allowed in DHCPv6 (RFC 8415 §10).
                return Err(Error::BadValue {
                    field: "domain label length",
                });
            }
            v.push(len as u8);
            if len == 0 {
                break;
            }
            v.extend_from_slice(r.take(len, "domain label")?);
            if v.len() >= MAX_NAME {
                return Err(Error::BadLength {
                    field: "domain name",
                    len: v.len() + 1,
                });
            }
        }
        Ok(DomainName(v))
    }

    /// Parses exactly one name filling `buf`.
    pub fn parse(buf: &[u8]) -> Result<DomainName, Error> {
        let mut r = Reader::new(buf);
        let n = DomainName::read(&mut r)?;
        if !r.is_empty() {
            return Err(Error::BadLength {
                field: "domain name",
                len: buf.len(),
            });
        }
        Ok(n)
    }

    /// The wire length.
    pub fn buffer_len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.put(&self.0);
    }

    /// Parses a list of names filling `buf` (RFC 3646 §4).
    pub fn parse_list(buf: &[u8]) -> Result<Vec<DomainName>, Error> {
        let mut r = Reader::new(buf);
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(DomainName::read(&mut r)?);
        }
        Ok(out)
    }
}

emit_via_writer!(DomainName);

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut r = Reader::new(&self.0);
        let mut first = true;
        while let Ok(len) = r.u8("") {
            if len == 0 {
                break;
            }
            let Ok(l) = r.take(usize::from(len), "") else {
                break;
            };
            if !first {
                f.write_str(".")?;
            }
            first = false;
            f.write_str(&String::from_utf8_lossy(l))?;
        }
        if first {
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DomainName({self})")
    }
}
