//! Vendor-Specific (RFC 2865 §5.26): a 4-octet Vendor-Id, then the vendor's
//! data, which most vendors (Roaring Penguin, Cisco, and every vendor in the
//! FreeRADIUS dictionaries with the default `format=1,1`) lay out as
//! sub-attributes of one-octet type and one-octet length.

use alloc::vec::Vec;

use crate::error::{AttrName, Error};

/// The value of one Vendor-Specific attribute. The vendor data is kept as it
/// was on the wire, so vendors with other layouts round-trip unchanged;
/// [`Vsa::sub_attributes`] reads the RFC 2865 §5.26 layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Vsa<'a> {
    /// The vendor's SMI Network Management Private Enterprise Code.
    pub vendor: u32,
    /// The vendor data after the Vendor-Id (at least one octet).
    pub data: &'a [u8],
}

/// One vendor sub-attribute.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct SubAttribute<'a> {
    /// Vendor type.
    pub typ: u8,
    /// The value (vendor length minus 2 octets).
    pub value: &'a [u8],
}

impl<'a> Vsa<'a> {
    pub(crate) fn parse(v: &'a [u8]) -> Option<Self> {
        if v.len() < 5 {
            return None;
        }
        let vendor = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        Some(Vsa {
            vendor,
            data: &v[4..],
        })
    }

    /// The sub-attributes in the RFC 2865 §5.26 layout; yields an error (and
    /// stops) at the first one whose length is below 2 or runs past the end.
    pub fn sub_attributes(&self) -> SubAttributes<'a> {
        SubAttributes {
            vendor: self.vendor,
            rest: self.data,
        }
    }

    /// The first sub-attribute of vendor type `typ`.
    pub fn get(&self, typ: u8) -> Option<&'a [u8]> {
        self.sub_attributes()
            .filter_map(Result::ok)
            .find(|s| s.typ == typ)
            .map(|s| s.value)
    }
}

/// Iterator over [`SubAttribute`]s.
#[derive(Clone, Debug)]
pub struct SubAttributes<'a> {
    vendor: u32,
    rest: &'a [u8],
}

impl<'a> Iterator for SubAttributes<'a> {
    type Item = Result<SubAttribute<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let typ = self.rest[0];
        let attr = AttrName {
            vendor: self.vendor,
            typ,
        };
        let Some(&len) = self.rest.get(1) else {
            self.rest = &[];
            return Some(Err(Error::Truncated {
                field: "vendor length",
            }));
        };
        if len < 2 || usize::from(len) > self.rest.len() {
            self.rest = &[];
            return Some(Err(Error::AttributeOverrun { attr, length: len }));
        }
        let value = &self.rest[2..usize::from(len)];
        self.rest = &self.rest[usize::from(len)..];
        Some(Ok(SubAttribute { typ, value }))
    }
}

/// Encodes sub-attributes `(vendor type, value)` in the RFC 2865 §5.26
/// layout, as the `data` of a [`Vsa`]; errors when a value exceeds 251
/// octets or the whole exceeds 249 (so the attribute fits in 255).
pub fn encode_sub_attributes(vendor: u32, subs: &[(u8, &[u8])]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for &(typ, value) in subs {
        if value.len() > 251 {
            return Err(Error::BadLength {
                attr: AttrName { vendor, typ },
                length: value.len(),
            });
        }
        out.push(typ);
        out.push(value.len() as u8 + 2);
        out.extend_from_slice(value);
    }
    if out.is_empty() || out.len() > 249 {
        return Err(Error::BadLength {
            attr: AttrName::std(crate::wire::attr::VENDOR_SPECIFIC),
            length: out.len() + 4,
        });
    }
    Ok(out)
}
