//! Discovery tags (RFC 2516 Appendix A; PPP-Max-Payload from RFC 4638 §4).

use core::fmt;

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::be_u16;

use super::Error;

/// A TAG_TYPE.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum TagType {
    /// 0x0000 End-Of-List: no further tags (length 0).
    EndOfList,
    /// 0x0101 Service-Name.
    ServiceName,
    /// 0x0102 AC-Name.
    AcName,
    /// 0x0103 Host-Uniq.
    HostUniq,
    /// 0x0104 AC-Cookie.
    AcCookie,
    /// 0x0105 Vendor-Specific (first four octets: the vendor id).
    VendorSpecific,
    /// 0x0110 Relay-Session-Id.
    RelaySessionId,
    /// 0x0120 PPP-Max-Payload (RFC 4638), a 16-bit value.
    PppMaxPayload,
    /// 0x0201 Service-Name-Error.
    ServiceNameError,
    /// 0x0202 AC-System-Error.
    AcSystemError,
    /// 0x0203 Generic-Error.
    GenericError,
    /// Any other TAG_TYPE.
    Unknown(u16),
}

impl From<u16> for TagType {
    fn from(v: u16) -> Self {
        match v {
            0x0000 => TagType::EndOfList,
            0x0101 => TagType::ServiceName,
            0x0102 => TagType::AcName,
            0x0103 => TagType::HostUniq,
            0x0104 => TagType::AcCookie,
            0x0105 => TagType::VendorSpecific,
            0x0110 => TagType::RelaySessionId,
            0x0120 => TagType::PppMaxPayload,
            0x0201 => TagType::ServiceNameError,
            0x0202 => TagType::AcSystemError,
            0x0203 => TagType::GenericError,
            v => TagType::Unknown(v),
        }
    }
}

impl From<TagType> for u16 {
    fn from(t: TagType) -> u16 {
        match t {
            TagType::EndOfList => 0x0000,
            TagType::ServiceName => 0x0101,
            TagType::AcName => 0x0102,
            TagType::HostUniq => 0x0103,
            TagType::AcCookie => 0x0104,
            TagType::VendorSpecific => 0x0105,
            TagType::RelaySessionId => 0x0110,
            TagType::PppMaxPayload => 0x0120,
            TagType::ServiceNameError => 0x0201,
            TagType::AcSystemError => 0x0202,
            TagType::GenericError => 0x0203,
            TagType::Unknown(v) => v,
        }
    }
}

impl TagType {
    /// True for the tags a discovery packet may carry at most once.
    ///
    /// Service-Name is single-valued except in a PADO, which lists every
    /// service the AC offers (RFC 2516 §5.2); the packet-level check lives in
    /// [`crate::wire::DiscoveryRepr`]. Error tags, Vendor-Specific and unknown
    /// tags may repeat.
    pub fn is_single_valued(self) -> bool {
        matches!(
            self,
            TagType::EndOfList
                | TagType::ServiceName
                | TagType::AcName
                | TagType::HostUniq
                | TagType::AcCookie
                | TagType::RelaySessionId
                | TagType::PppMaxPayload
        )
    }

    /// True for Service-Name-Error, AC-System-Error and Generic-Error.
    pub fn is_error(self) -> bool {
        matches!(
            self,
            TagType::ServiceNameError | TagType::AcSystemError | TagType::GenericError
        )
    }
}

impl fmt::Display for TagType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            TagType::EndOfList => "End-Of-List",
            TagType::ServiceName => "Service-Name",
            TagType::AcName => "AC-Name",
            TagType::HostUniq => "Host-Uniq",
            TagType::AcCookie => "AC-Cookie",
            TagType::VendorSpecific => "Vendor-Specific",
            TagType::RelaySessionId => "Relay-Session-Id",
            TagType::PppMaxPayload => "PPP-Max-Payload",
            TagType::ServiceNameError => "Service-Name-Error",
            TagType::AcSystemError => "AC-System-Error",
            TagType::GenericError => "Generic-Error",
            TagType::Unknown(v) => return write!(f, "tag {v:#06x}"),
        };
        f.write_str(name)
    }
}

/// One tag, its value borrowed from the packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tag<'a> {
    /// End-Of-List (length 0).
    EndOfList,
    /// Service-Name: UTF-8 by RFC 2516, kept as bytes; empty means "any".
    ServiceName(&'a [u8]),
    /// AC-Name: the access concentrator's name.
    AcName(&'a [u8]),
    /// Host-Uniq: opaque, echoed by the AC.
    HostUniq(&'a [u8]),
    /// AC-Cookie: opaque, echoed by the host in its PADR.
    AcCookie(&'a [u8]),
    /// Vendor-Specific: the whole value, vendor id in its first four octets
    /// (see [`Tag::vendor_id`]); a shorter value is kept as is.
    VendorSpecific(&'a [u8]),
    /// Relay-Session-Id: opaque, added by a relay, echoed by both ends.
    RelaySessionId(&'a [u8]),
    /// PPP-Max-Payload (RFC 4638): the largest PPP payload (MRU) the sender
    /// can take over this link.
    PppMaxPayload(u16),
    /// Service-Name-Error: the optional reason text.
    ServiceNameError(&'a [u8]),
    /// AC-System-Error: the optional reason text.
    AcSystemError(&'a [u8]),
    /// Generic-Error: the optional reason text.
    GenericError(&'a [u8]),
    /// A tag this crate does not know, kept to round-trip.
    Unknown {
        /// Its TAG_TYPE.
        ty: u16,
        /// Its value.
        value: &'a [u8],
    },
}

impl<'a> Tag<'a> {
    /// The TAG_TYPE.
    pub fn ty(&self) -> TagType {
        match self {
            Tag::EndOfList => TagType::EndOfList,
            Tag::ServiceName(_) => TagType::ServiceName,
            Tag::AcName(_) => TagType::AcName,
            Tag::HostUniq(_) => TagType::HostUniq,
            Tag::AcCookie(_) => TagType::AcCookie,
            Tag::VendorSpecific(_) => TagType::VendorSpecific,
            Tag::RelaySessionId(_) => TagType::RelaySessionId,
            Tag::PppMaxPayload(_) => TagType::PppMaxPayload,
            Tag::ServiceNameError(_) => TagType::ServiceNameError,
            Tag::AcSystemError(_) => TagType::AcSystemError,
            Tag::GenericError(_) => TagType::GenericError,
            Tag::Unknown { ty, .. } => TagType::from(*ty),
        }
    }

    /// The value bytes for the variable-length tags (`None` for End-Of-List
    /// and PPP-Max-Payload).
    pub fn value(&self) -> Option<&'a [u8]> {
        match *self {
            Tag::EndOfList | Tag::PppMaxPayload(_) => None,
            Tag::ServiceName(v)
            | Tag::AcName(v)
            | Tag::HostUniq(v)
            | Tag::AcCookie(v)
            | Tag::VendorSpecific(v)
            | Tag::RelaySessionId(v)
            | Tag::ServiceNameError(v)
            | Tag::AcSystemError(v)
            | Tag::GenericError(v)
            | Tag::Unknown { value: v, .. } => Some(v),
        }
    }

    /// The vendor id of a Vendor-Specific tag of at least four octets.
    pub fn vendor_id(&self) -> Option<u32> {
        match self {
            Tag::VendorSpecific(v) if v.len() >= 4 => {
                Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
            }
            _ => None,
        }
    }

    /// TAG_LENGTH.
    pub fn value_len(&self) -> usize {
        match self {
            Tag::EndOfList => 0,
            Tag::PppMaxPayload(_) => 2,
            t => t.value().map_or(0, <[u8]>::len),
        }
    }

    /// Bytes on the wire: 4 + TAG_LENGTH.
    pub fn buffer_len(&self) -> usize {
        4 + self.value_len()
    }

    /// Builds a tag of type `ty` from its value, checking fixed lengths.
    pub fn from_parts(ty: u16, value: &'a [u8]) -> Result<Self, Error> {
        let t = TagType::from(ty);
        let fixed = |expected: u16| {
            if value.len() == usize::from(expected) {
                Ok(())
            } else {
                Err(Error::BadTagLength {
                    tag: t,
                    length: value.len() as u16,
                    expected,
                })
            }
        };
        Ok(match t {
            TagType::EndOfList => {
                fixed(0)?;
                Tag::EndOfList
            }
            TagType::PppMaxPayload => {
                fixed(2)?;
                Tag::PppMaxPayload(u16::from_be_bytes([value[0], value[1]]))
            }
            TagType::ServiceName => Tag::ServiceName(value),
            TagType::AcName => Tag::AcName(value),
            TagType::HostUniq => Tag::HostUniq(value),
            TagType::AcCookie => Tag::AcCookie(value),
            TagType::VendorSpecific => Tag::VendorSpecific(value),
            TagType::RelaySessionId => Tag::RelaySessionId(value),
            TagType::ServiceNameError => Tag::ServiceNameError(value),
            TagType::AcSystemError => Tag::AcSystemError(value),
            TagType::GenericError => Tag::GenericError(value),
            TagType::Unknown(ty) => Tag::Unknown { ty, value },
        })
    }

    /// Writes the tag into the first [`Self::buffer_len`] bytes of `buf`;
    /// returns the bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let n = self.buffer_len();
        let len =
            u16::try_from(self.value_len()).map_err(|_| Error::TagNotAddable { tag: self.ty() })?;
        let available = buf.len();
        let b = buf.get_mut(..n).ok_or(Error::BufferTooShort {
            needed: n,
            available,
        })?;
        b[0..2].copy_from_slice(&u16::from(self.ty()).to_be_bytes());
        b[2..4].copy_from_slice(&len.to_be_bytes());
        match self {
            Tag::EndOfList => {}
            Tag::PppMaxPayload(v) => b[4..6].copy_from_slice(&v.to_be_bytes()),
            t => b[4..].copy_from_slice(t.value().unwrap_or(&[])),
        }
        Ok(n)
    }

    /// The encoding in a new `Vec`.
    pub fn to_vec(&self) -> alloc::vec::Vec<u8> {
        let mut v = alloc::vec![0u8; self.buffer_len()];
        // Exactly `buffer_len` bytes: emit cannot fail.
        let _ = self.emit(&mut v);
        v
    }
}

/// Iterates over the tags of a discovery payload, lazily; yields an error and
/// stops at the first malformed tag.
#[derive(Clone, Debug)]
pub struct TagIter<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> TagIter<'a> {
    /// Tags of `payload` (the PPPoE payload, LENGTH bytes).
    pub fn new(payload: &'a [u8]) -> Self {
        TagIter {
            rest: payload,
            failed: false,
        }
    }

    /// The bytes not yet read.
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// A tag header then its value, with nom.
fn tag_tlv(i: &[u8]) -> Result<(&[u8], u16, &[u8]), Error> {
    let (after, (ty, len)) = (be_u16::<_, nom::error::Error<&[u8]>>, be_u16)
        .parse(i)
        .map_err(|_| Error::Truncated {
            field: "tag header",
        })?;
    let (rest, value) = take::<_, _, nom::error::Error<&[u8]>>(len)
        .parse(after)
        .map_err(|_| Error::TagPastPayload {
            tag: TagType::from(ty),
            length: len,
        })?;
    Ok((rest, ty, value))
}

impl<'a> Iterator for TagIter<'a> {
    type Item = Result<Tag<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let r = tag_tlv(self.rest).and_then(|(rest, ty, value)| {
            let tag = Tag::from_parts(ty, value)?;
            self.rest = rest;
            Ok(tag)
        });
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_types_round_trip() {
        for v in [
            0u16, 0x101, 0x102, 0x103, 0x104, 0x105, 0x110, 0x120, 0x201, 0x202, 0x203, 0x999,
        ] {
            assert_eq!(u16::from(TagType::from(v)), v);
        }
    }

    #[test]
    fn truncated_tag_header() {
        let mut it = TagIter::new(&[0x01, 0x01, 0x00]);
        assert_eq!(
            it.next(),
            Some(Err(Error::Truncated {
                field: "tag header"
            }))
        );
        assert_eq!(it.next(), None);
    }

    #[test]
    fn tag_length_that_lies() {
        let mut it = TagIter::new(&[0x01, 0x03, 0x00, 0x05, 1, 2, 3, 4]);
        assert_eq!(
            it.next(),
            Some(Err(Error::TagPastPayload {
                tag: TagType::HostUniq,
                length: 5
            }))
        );
    }

    #[test]
    fn ppp_max_payload_must_be_two_bytes() {
        let mut it = TagIter::new(&[0x01, 0x20, 0x00, 0x01, 5]);
        assert_eq!(
            it.next(),
            Some(Err(Error::BadTagLength {
                tag: TagType::PppMaxPayload,
                length: 1,
                expected: 2
            }))
        );
    }

    #[test]
    fn end_of_list_must_be_empty() {
        let mut it = TagIter::new(&[0x00, 0x00, 0x00, 0x01, 5]);
        assert_eq!(
            it.next(),
            Some(Err(Error::BadTagLength {
                tag: TagType::EndOfList,
                length: 1,
                expected: 0
            }))
        );
    }

    #[test]
    fn vendor_specific_id() {
        let t = Tag::VendorSpecific(&[0, 0, 0x0d, 0xe9, 1]);
        assert_eq!(t.vendor_id(), Some(3561));
        assert_eq!(Tag::VendorSpecific(&[1]).vendor_id(), None);
    }
}
