//! Discovery packets (RFC 2516 §5): the PPPoE header with CODE and a list of
//! tags, and the whole Ethernet frame around it.

use alloc::vec;
use alloc::vec::Vec;

use super::Error;
use super::ethernet::{EtherType, EthernetFrame, EthernetRepr};
use super::header::{Code, HEADER_LEN, PppoeHeader};
use super::tag::{Tag, TagIter, TagType};

/// The most tags one discovery packet may carry here. Real packets carry
/// fewer than ten; a packet with more is refused with
/// [`Error::TooManyTags`] rather than stored without bound.
pub const MAX_TAGS: usize = 32;

/// A validated discovery packet: CODE, SESSION_ID and the tags in wire
/// order.
///
/// Single-valued tags appear at most once (Service-Name may repeat in a PADO
/// only); anything after an End-Of-List tag is kept as raw bytes
/// ([`Self::after_end`]) and not interpreted (RFC 2516 Appendix A).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DiscoveryRepr<'a> {
    /// CODE: PADI, PADO, PADR, PADS, PADT (others are kept as `Unknown`).
    pub code: Code,
    /// SESSION_ID: zero except in PADS and PADT.
    pub session_id: u16,
    tags: heapless::Vec<Tag<'a>, MAX_TAGS>,
    after_end: &'a [u8],
}

impl<'a> DiscoveryRepr<'a> {
    /// An empty packet to fill with [`Self::push`].
    pub fn new(code: Code, session_id: u16) -> Self {
        DiscoveryRepr {
            code,
            session_id,
            tags: heapless::Vec::new(),
            after_end: &[],
        }
    }

    /// Parses the PPPoE header and tags of a checked view (Ethernet padding
    /// after LENGTH is ignored).
    pub fn parse(h: PppoeHeader<&'a [u8]>) -> Result<Self, Error> {
        let (code, session_id, len) = (h.code(), h.session_id(), usize::from(h.length()));
        let payload = &h.into_inner()[HEADER_LEN..HEADER_LEN + len];
        Self::parse_payload(code, session_id, payload)
    }

    /// Parses the tags of `payload` (exactly LENGTH bytes).
    pub fn parse_payload(code: Code, session_id: u16, payload: &'a [u8]) -> Result<Self, Error> {
        let mut repr = DiscoveryRepr::new(code, session_id);
        let mut it = TagIter::new(payload);
        while let Some(tag) = it.next() {
            let tag = tag?;
            repr.push(tag)?;
            if tag == Tag::EndOfList {
                repr.after_end = it.rest();
                break;
            }
        }
        Ok(repr)
    }

    /// Appends a tag, refusing what `parse` would refuse: a second copy of a
    /// single-valued tag, more than [`MAX_TAGS`] tags, a tag after
    /// End-Of-List, or a payload past 65535 bytes.
    pub fn push(&mut self, tag: Tag<'a>) -> Result<(), Error> {
        let ty = tag.ty();
        if self.tags.last() == Some(&Tag::EndOfList)
            || tag.value_len() > usize::from(u16::MAX)
            || self.payload_len() + tag.buffer_len() > usize::from(u16::MAX)
        {
            return Err(Error::TagNotAddable { tag: ty });
        }
        let may_repeat =
            !ty.is_single_valued() || (ty == TagType::ServiceName && self.code == Code::Pado);
        if !may_repeat && self.tags.iter().any(|t| t.ty() == ty) {
            return Err(Error::DuplicateTag { tag: ty });
        }
        self.tags.push(tag).map_err(|_| Error::TooManyTags)
    }

    /// The tags, in wire order.
    pub fn tags(&self) -> &[Tag<'a>] {
        &self.tags
    }

    /// Bytes after an End-Of-List tag, kept verbatim.
    pub fn after_end(&self) -> &'a [u8] {
        self.after_end
    }

    fn find(&self, ty: TagType) -> Option<&Tag<'a>> {
        self.tags.iter().find(|t| t.ty() == ty)
    }

    fn value_of(&self, ty: TagType) -> Option<&'a [u8]> {
        self.find(ty).and_then(Tag::value)
    }

    /// Every Service-Name, in order (a PADO lists several).
    pub fn service_names(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.tags.iter().filter_map(|t| match t {
            Tag::ServiceName(v) => Some(*v),
            _ => None,
        })
    }

    /// The (first) Service-Name.
    pub fn service_name(&self) -> Option<&'a [u8]> {
        self.value_of(TagType::ServiceName)
    }

    /// The AC-Name.
    pub fn ac_name(&self) -> Option<&'a [u8]> {
        self.value_of(TagType::AcName)
    }

    /// The Host-Uniq.
    pub fn host_uniq(&self) -> Option<&'a [u8]> {
        self.value_of(TagType::HostUniq)
    }

    /// The AC-Cookie.
    pub fn ac_cookie(&self) -> Option<&'a [u8]> {
        self.value_of(TagType::AcCookie)
    }

    /// The Relay-Session-Id.
    pub fn relay_session_id(&self) -> Option<&'a [u8]> {
        self.value_of(TagType::RelaySessionId)
    }

    /// The PPP-Max-Payload value (RFC 4638).
    pub fn ppp_max_payload(&self) -> Option<u16> {
        self.tags.iter().find_map(|t| match t {
            Tag::PppMaxPayload(v) => Some(*v),
            _ => None,
        })
    }

    /// The first error tag (Service-Name-Error, AC-System-Error,
    /// Generic-Error), if any.
    pub fn error(&self) -> Option<Tag<'a>> {
        self.tags.iter().copied().find(|t| t.ty().is_error())
    }

    /// The PPPoE LENGTH: all tags plus the bytes after End-Of-List.
    pub fn payload_len(&self) -> usize {
        self.tags.iter().map(Tag::buffer_len).sum::<usize>() + self.after_end.len()
    }

    /// Bytes [`Self::emit`] writes: the 6-byte header and the payload.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len()
    }

    /// Writes the PPPoE header and tags into the first
    /// [`Self::buffer_len`] bytes of `buf`; returns the bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let n = self.buffer_len();
        let available = buf.len();
        let b = buf.get_mut(..n).ok_or(Error::BufferTooShort {
            needed: n,
            available,
        })?;
        // `push` keeps the payload within u16, so this never saturates.
        let length = u16::try_from(self.payload_len()).unwrap_or(u16::MAX);
        PppoeHeader::new_unchecked(&mut *b).set_header(self.code, self.session_id, length);
        let mut at = HEADER_LEN;
        for t in &self.tags {
            at += t.emit(&mut b[at..])?;
        }
        b[at..].copy_from_slice(self.after_end);
        Ok(n)
    }

    /// The encoding in a new `Vec`.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.buffer_len()];
        // Exactly `buffer_len` bytes: emit cannot fail.
        let _ = self.emit(&mut v);
        v
    }
}

/// A whole discovery frame: Ethernet header (0x8863, optionally 802.1Q
/// tagged), the discovery packet, and whatever padding followed it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DiscoveryFrame<'a> {
    /// The Ethernet header.
    pub ethernet: EthernetRepr,
    /// The PPPoE discovery packet.
    pub pppoe: DiscoveryRepr<'a>,
    /// Bytes after the PPPoE payload (Ethernet padding to the 60-byte
    /// minimum); empty in frames we build: the NIC pads.
    pub padding: &'a [u8],
}

impl<'a> DiscoveryFrame<'a> {
    /// A frame without padding.
    pub fn new(ethernet: EthernetRepr, pppoe: DiscoveryRepr<'a>) -> Self {
        DiscoveryFrame {
            ethernet,
            pppoe,
            padding: &[],
        }
    }

    /// Parses a received Ethernet frame (without FCS). The Ethernet type must
    /// be 0x8863.
    pub fn parse(frame: &'a [u8]) -> Result<Self, Error> {
        let eth = EthernetFrame::new_checked(frame)?;
        let ethernet = EthernetRepr::parse(&eth);
        if ethernet.ethertype != EtherType::Discovery {
            return Err(Error::BadEthertype(ethernet.ethertype.into()));
        }
        let rest = &frame[eth.header_len()..];
        let h = PppoeHeader::new_checked(rest)?;
        let padding = &rest[HEADER_LEN + usize::from(h.length())..];
        let pppoe = DiscoveryRepr::parse(h)?;
        Ok(DiscoveryFrame {
            ethernet,
            pppoe,
            padding,
        })
    }

    /// Bytes [`Self::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.ethernet.buffer_len() + self.pppoe.buffer_len() + self.padding.len()
    }

    /// Writes the frame into the first [`Self::buffer_len`] bytes of `buf`;
    /// returns the bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let n = self.buffer_len();
        if buf.len() < n {
            return Err(Error::BufferTooShort {
                needed: n,
                available: buf.len(),
            });
        }
        self.ethernet.emit(buf)?;
        let mut at = self.ethernet.buffer_len();
        at += self.pppoe.emit(&mut buf[at..])?;
        buf[at..n].copy_from_slice(self.padding);
        Ok(n)
    }

    /// The frame as an owned buffer (the control plane's `Transmit` payload).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.buffer_len()];
        // The buffer has exactly `buffer_len` bytes, so emit cannot fail.
        let _ = self.emit(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::EthernetAddress;

    // Frame 1 of pppoe-service-name.pcap: a PADI from pppd's rp-pppoe plugin.
    const PADI: [u8; 36] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0xc1, 0x00, 0x01, 0x88, 0x63, 0x11,
        0x09, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x00, 0x04, b'v', b'o', b'i', b'p', 0x01, 0x03,
        0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
    ];

    #[test]
    fn padi_parses_and_re_emits() {
        let f = DiscoveryFrame::parse(&PADI).unwrap();
        assert_eq!(f.ethernet.dst, EthernetAddress::BROADCAST);
        assert_eq!(f.pppoe.code, Code::Padi);
        assert_eq!(f.pppoe.service_name(), Some(&b"voip"[..]));
        assert_eq!(f.pppoe.host_uniq(), Some(&[0xde, 0xad, 0xbe, 0xef][..]));
        assert_eq!(f.to_vec(), PADI);
    }

    #[test]
    fn ethernet_padding_is_tolerated_and_kept() {
        let mut padded = [0u8; 60];
        padded[..36].copy_from_slice(&PADI);
        let f = DiscoveryFrame::parse(&padded).unwrap();
        assert_eq!(f.padding.len(), 24);
        assert_eq!(f.pppoe.tags().len(), 2);
        assert_eq!(f.to_vec(), padded);
    }

    #[test]
    fn duplicate_host_uniq_is_refused() {
        let mut b = PADI.to_vec();
        b.extend_from_slice(&[0x01, 0x03, 0x00, 0x00]);
        b[19] += 4;
        assert_eq!(
            DiscoveryFrame::parse(&b).unwrap_err(),
            Error::DuplicateTag {
                tag: TagType::HostUniq
            }
        );
    }

    #[test]
    fn duplicate_service_name_only_in_pado() {
        let mut r = DiscoveryRepr::new(Code::Padi, 0);
        r.push(Tag::ServiceName(b"a")).unwrap();
        assert_eq!(
            r.push(Tag::ServiceName(b"b")),
            Err(Error::DuplicateTag {
                tag: TagType::ServiceName
            })
        );
        let mut r = DiscoveryRepr::new(Code::Pado, 0);
        r.push(Tag::ServiceName(b"a")).unwrap();
        r.push(Tag::ServiceName(b"b")).unwrap();
        assert_eq!(r.service_names().count(), 2);
    }

    #[test]
    fn bytes_after_end_of_list_round_trip() {
        let payload = [0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x07];
        let r = DiscoveryRepr::parse_payload(Code::Padi, 0, &payload).unwrap();
        assert_eq!(r.tags().len(), 2);
        assert_eq!(r.after_end(), &[0xff, 0x07]);
        let mut out = [0u8; 16];
        let n = r.emit(&mut out).unwrap();
        assert_eq!(&out[HEADER_LEN..n], &payload);
    }

    #[test]
    fn too_many_tags() {
        let payload = [0x09u8, 0x99, 0x00, 0x00].repeat(MAX_TAGS + 1);
        assert_eq!(
            DiscoveryRepr::parse_payload(Code::Padi, 0, &payload).unwrap_err(),
            Error::TooManyTags
        );
    }

    #[test]
    fn session_ethertype_is_not_discovery() {
        let mut b = PADI;
        b[13] = 0x64;
        assert_eq!(
            DiscoveryFrame::parse(&b).unwrap_err(),
            Error::BadEthertype(0x8864)
        );
    }

    #[test]
    fn payload_length_past_frame() {
        let mut b = PADI;
        b[19] = 0x11;
        assert_eq!(
            DiscoveryFrame::parse(&b).unwrap_err(),
            Error::PayloadPastFrame {
                length: 17,
                available: 16
            }
        );
    }

    #[test]
    fn emit_into_short_buffer() {
        let f = DiscoveryFrame::parse(&PADI).unwrap();
        assert!(matches!(
            f.emit(&mut [0u8; 35]),
            Err(Error::BufferTooShort { needed: 36, .. })
        ));
    }
}
