//! Ethernet II header (IEEE 802.3 clause 3) with an optional IEEE 802.1Q tag.

use core::fmt;

use super::Error;

/// A 48-bit IEEE MAC address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    /// `ff:ff:ff:ff:ff:ff`, where a PADI goes (RFC 2516 §5.1).
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);

    /// True for the broadcast address.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// True for a unicast address (group bit clear).
    pub fn is_unicast(&self) -> bool {
        self.0[0] & 1 == 0
    }
}

impl fmt::Display for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl fmt::Debug for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The Ethernet types this crate deals in.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum EtherType {
    /// 0x8863, PPPoE Discovery Stage (RFC 2516 §4).
    Discovery,
    /// 0x8864, PPPoE Session Stage (RFC 2516 §4).
    Session,
    /// Any other value.
    Unknown(u16),
}

impl From<u16> for EtherType {
    fn from(v: u16) -> Self {
        match v {
            0x8863 => EtherType::Discovery,
            0x8864 => EtherType::Session,
            v => EtherType::Unknown(v),
        }
    }
}

impl From<EtherType> for u16 {
    fn from(t: EtherType) -> u16 {
        match t {
            EtherType::Discovery => 0x8863,
            EtherType::Session => 0x8864,
            EtherType::Unknown(v) => v,
        }
    }
}

/// The 802.1Q tag protocol identifier.
pub const TPID_8021Q: u16 = 0x8100;

mod field {
    use core::ops::Range;
    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const VLAN_TCI: Range<usize> = 14..16;
    pub const INNER_ETHERTYPE: Range<usize> = 16..18;
}

/// A view of an Ethernet header over a buffer.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// A view without checks; getters may panic on a short buffer. Use on
    /// emit buffers of exactly the right size only.
    pub const fn new_unchecked(buffer: T) -> Self {
        EthernetFrame { buffer }
    }

    /// A view of untrusted bytes: [`Self::check_len`] passed.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let f = Self::new_unchecked(buffer);
        f.check_len()?;
        Ok(f)
    }

    /// Checks the buffer holds the whole header (18 bytes with an 802.1Q tag).
    pub fn check_len(&self) -> Result<(), Error> {
        let b = self.buffer.as_ref();
        if b.len() < 14 {
            return Err(Error::Truncated {
                field: "ethernet header",
            });
        }
        if self.outer_ethertype() == TPID_8021Q && b.len() < 18 {
            return Err(Error::Truncated {
                field: "802.1Q tag",
            });
        }
        Ok(())
    }

    /// Destination MAC.
    pub fn dst(&self) -> EthernetAddress {
        let mut a = [0; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::DST]);
        EthernetAddress(a)
    }

    /// Source MAC.
    pub fn src(&self) -> EthernetAddress {
        let mut a = [0; 6];
        a.copy_from_slice(&self.buffer.as_ref()[field::SRC]);
        EthernetAddress(a)
    }

    fn outer_ethertype(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::ETHERTYPE];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The 802.1Q tag control information, if the frame is tagged.
    pub fn vlan_tci(&self) -> Option<u16> {
        if self.outer_ethertype() == TPID_8021Q {
            let b = &self.buffer.as_ref()[field::VLAN_TCI];
            Some(u16::from_be_bytes([b[0], b[1]]))
        } else {
            None
        }
    }

    /// The Ethernet type of the payload (inside the 802.1Q tag, if any).
    pub fn ethertype(&self) -> EtherType {
        if self.outer_ethertype() == TPID_8021Q {
            let b = &self.buffer.as_ref()[field::INNER_ETHERTYPE];
            EtherType::from(u16::from_be_bytes([b[0], b[1]]))
        } else {
            EtherType::from(self.outer_ethertype())
        }
    }

    /// Header length: 14, or 18 with an 802.1Q tag.
    pub fn header_len(&self) -> usize {
        if self.outer_ethertype() == TPID_8021Q {
            18
        } else {
            14
        }
    }

    /// The bytes after the header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination MAC.
    pub fn set_dst(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&a.0);
    }

    /// Sets the source MAC.
    pub fn set_src(&mut self, a: EthernetAddress) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&a.0);
    }

    /// Writes the type fields: the Ethernet type, behind an 802.1Q tag when
    /// `vlan` is given (the buffer must then hold 18 bytes).
    pub fn set_ethertype(&mut self, vlan: Option<u16>, t: EtherType) {
        let b = self.buffer.as_mut();
        match vlan {
            Some(tci) => {
                b[field::ETHERTYPE].copy_from_slice(&TPID_8021Q.to_be_bytes());
                b[field::VLAN_TCI].copy_from_slice(&tci.to_be_bytes());
                b[field::INNER_ETHERTYPE].copy_from_slice(&u16::from(t).to_be_bytes());
            }
            None => b[field::ETHERTYPE].copy_from_slice(&u16::from(t).to_be_bytes()),
        }
    }
}

/// A parsed Ethernet header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EthernetRepr {
    /// Destination MAC.
    pub dst: EthernetAddress,
    /// Source MAC.
    pub src: EthernetAddress,
    /// The 802.1Q TCI (priority, DEI, VLAN id) when the frame is tagged.
    pub vlan: Option<u16>,
    /// Payload type.
    pub ethertype: EtherType,
}

impl EthernetRepr {
    /// An untagged PPPoE discovery (0x8863) header.
    pub fn discovery(dst: EthernetAddress, src: EthernetAddress) -> Self {
        EthernetRepr {
            dst,
            src,
            vlan: None,
            ethertype: EtherType::Discovery,
        }
    }

    /// The header of a checked view.
    pub fn parse<T: AsRef<[u8]>>(f: &EthernetFrame<T>) -> Self {
        EthernetRepr {
            dst: f.dst(),
            src: f.src(),
            vlan: f.vlan_tci(),
            ethertype: f.ethertype(),
        }
    }

    /// Header length: 14, or 18 with an 802.1Q tag.
    pub fn buffer_len(&self) -> usize {
        if self.vlan.is_some() { 18 } else { 14 }
    }

    /// Writes the header into the first [`Self::buffer_len`] bytes of
    /// `buf`; returns the bytes written.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let n = self.buffer_len();
        let available = buf.len();
        let b = buf.get_mut(..n).ok_or(Error::BufferTooShort {
            needed: n,
            available,
        })?;
        let mut f = EthernetFrame::new_unchecked(b);
        f.set_dst(self.dst);
        f.set_src(self.src);
        f.set_ethertype(self.vlan, self.ethertype);
        Ok(n)
    }

    /// The header in a new `Vec`.
    pub fn to_vec(&self) -> alloc::vec::Vec<u8> {
        let mut v = alloc::vec![0u8; self.buffer_len()];
        // Exactly `buffer_len` bytes: emit cannot fail.
        let _ = self.emit(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_and_tagged() {
        let mut b = [0u8; 18];
        b[12] = 0x88;
        b[13] = 0x63;
        let f = EthernetFrame::new_checked(&b[..14]).unwrap();
        assert_eq!(f.ethertype(), EtherType::Discovery);
        assert_eq!(f.vlan_tci(), None);
        b[12] = 0x81;
        b[13] = 0x00;
        b[14] = 0x00;
        b[15] = 0x07;
        b[16] = 0x88;
        b[17] = 0x64;
        let f = EthernetFrame::new_checked(&b[..]).unwrap();
        assert_eq!(f.ethertype(), EtherType::Session);
        assert_eq!(f.vlan_tci(), Some(7));
        assert_eq!(f.header_len(), 18);
        let r = EthernetRepr::parse(&f);
        let mut out = [0u8; 18];
        r.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn short_header_is_truncated() {
        assert_eq!(
            EthernetFrame::new_checked(&[0u8; 13][..]).unwrap_err(),
            Error::Truncated {
                field: "ethernet header"
            }
        );
    }

    #[test]
    fn short_vlan_tag_is_truncated() {
        let mut b = [0u8; 17];
        b[12] = 0x81;
        assert_eq!(
            EthernetFrame::new_checked(&b[..]).unwrap_err(),
            Error::Truncated {
                field: "802.1Q tag"
            }
        );
    }

    #[test]
    fn emit_returns_the_length_and_to_vec_agrees() {
        let r = EthernetRepr::discovery(EthernetAddress::BROADCAST, EthernetAddress::default());
        let mut buf = [0u8; 20];
        assert_eq!(r.emit(&mut buf), Ok(14));
        assert_eq!(&buf[..14], &r.to_vec()[..]);
    }

    #[test]
    fn emit_into_short_buffer_is_an_error() {
        let r = EthernetRepr::discovery(EthernetAddress::BROADCAST, EthernetAddress::default());
        assert!(matches!(
            r.emit(&mut [0u8; 10]),
            Err(Error::BufferTooShort { needed: 14, .. })
        ));
    }
}
