//! The 6-byte PPPoE header (RFC 2516 §4) shared by both stages.

use core::fmt;

use super::Error;

/// Length of the PPPoE header: VER/TYPE, CODE, SESSION_ID, LENGTH.
pub const HEADER_LEN: usize = 6;

/// The PPPoE CODE field (RFC 2516 §5).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Code {
    /// 0x00: a session-stage frame (RFC 2516 §6).
    Session,
    /// 0x09: PPPoE Active Discovery Initiation (§5.1).
    Padi,
    /// 0x07: PPPoE Active Discovery Offer (§5.2).
    Pado,
    /// 0x19: PPPoE Active Discovery Request (§5.3).
    Padr,
    /// 0x65: PPPoE Active Discovery Session-confirmation (§5.4).
    Pads,
    /// 0xa7: PPPoE Active Discovery Terminate (§5.5).
    Padt,
    /// Any other code (kept, so the codec round-trips it).
    Unknown(u8),
}

impl From<u8> for Code {
    fn from(v: u8) -> Self {
        match v {
            0x00 => Code::Session,
            0x09 => Code::Padi,
            0x07 => Code::Pado,
            0x19 => Code::Padr,
            0x65 => Code::Pads,
            0xa7 => Code::Padt,
            v => Code::Unknown(v),
        }
    }
}

impl From<Code> for u8 {
    fn from(c: Code) -> u8 {
        match c {
            Code::Session => 0x00,
            Code::Padi => 0x09,
            Code::Pado => 0x07,
            Code::Padr => 0x19,
            Code::Pads => 0x65,
            Code::Padt => 0xa7,
            Code::Unknown(v) => v,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Code::Session => f.write_str("session frame"),
            Code::Padi => f.write_str("PADI"),
            Code::Pado => f.write_str("PADO"),
            Code::Padr => f.write_str("PADR"),
            Code::Pads => f.write_str("PADS"),
            Code::Padt => f.write_str("PADT"),
            Code::Unknown(v) => write!(f, "code {v:#04x}"),
        }
    }
}

mod field {
    use core::ops::Range;
    pub const VER_TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const SESSION_ID: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
}

/// A view of a PPPoE header and its payload, starting at the byte after the
/// Ethernet header.
///
/// The buffer may run past the payload (Ethernet padding to 60 bytes):
/// [`Self::payload`] ends where LENGTH says.
#[derive(Debug, Clone)]
pub struct PppoeHeader<T> {
    buffer: T,
}

impl<T: AsRef<[u8]>> PppoeHeader<T> {
    /// A view without checks. Use on emit buffers of the right size only.
    pub const fn new_unchecked(buffer: T) -> Self {
        PppoeHeader { buffer }
    }

    /// A view of untrusted bytes: [`Self::check_len`] passed, VER and TYPE are 1.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let h = Self::new_unchecked(buffer);
        h.check_len()?;
        if h.version() != 1 || h.ty() != 1 {
            return Err(Error::BadVersion {
                version: h.version(),
                ty: h.ty(),
            });
        }
        Ok(h)
    }

    /// Checks the header is whole and LENGTH fits in the buffer.
    pub fn check_len(&self) -> Result<(), Error> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Error::Truncated {
                field: "PPPoE header",
            });
        }
        let available = b.len() - HEADER_LEN;
        if usize::from(self.length()) > available {
            return Err(Error::PayloadPastFrame {
                length: self.length(),
                available,
            });
        }
        Ok(())
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The VER nibble (1).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] >> 4
    }

    /// The TYPE nibble (1).
    pub fn ty(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TYPE] & 0x0f
    }

    /// The CODE field.
    pub fn code(&self) -> Code {
        Code::from(self.buffer.as_ref()[field::CODE])
    }

    /// The SESSION_ID field.
    pub fn session_id(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::SESSION_ID];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The LENGTH field: payload bytes after this header.
    pub fn length(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::LENGTH];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The payload, LENGTH bytes.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..HEADER_LEN + usize::from(self.length())]
    }

    /// What follows the payload (Ethernet padding).
    pub fn trailer(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN + usize::from(self.length())..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> PppoeHeader<T> {
    /// Writes VER=1, TYPE=1, CODE, SESSION_ID and LENGTH.
    pub fn set_header(&mut self, code: Code, session_id: u16, length: u16) {
        let b = self.buffer.as_mut();
        b[field::VER_TYPE] = 0x11;
        b[field::CODE] = code.into();
        b[field::SESSION_ID].copy_from_slice(&session_id.to_be_bytes());
        b[field::LENGTH].copy_from_slice(&length.to_be_bytes());
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = HEADER_LEN + usize::from(self.length());
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(Code::from(v)), v);
        }
    }

    #[test]
    fn header_fields() {
        let b = [0x11, 0x65, 0x00, 0x01, 0x00, 0x02, 0xaa, 0xbb, 0, 0];
        let h = PppoeHeader::new_checked(&b[..]).unwrap();
        assert_eq!(h.code(), Code::Pads);
        assert_eq!(h.session_id(), 1);
        assert_eq!(h.payload(), &[0xaa, 0xbb]);
        assert_eq!(h.trailer(), &[0, 0]);
    }

    #[test]
    fn truncated_header() {
        assert_eq!(
            PppoeHeader::new_checked(&[0x11, 0x09, 0, 0, 0][..]).unwrap_err(),
            Error::Truncated {
                field: "PPPoE header"
            }
        );
    }

    #[test]
    fn length_past_frame() {
        let b = [0x11, 0x09, 0, 0, 0x00, 0x03, 1, 2];
        assert_eq!(
            PppoeHeader::new_checked(&b[..]).unwrap_err(),
            Error::PayloadPastFrame {
                length: 3,
                available: 2
            }
        );
    }

    #[test]
    fn wrong_version_or_type() {
        let b = [0x21, 0x09, 0, 0, 0, 0];
        assert_eq!(
            PppoeHeader::new_checked(&b[..]).unwrap_err(),
            Error::BadVersion { version: 2, ty: 1 }
        );
        let b = [0x12, 0x09, 0, 0, 0, 0];
        assert_eq!(
            PppoeHeader::new_checked(&b[..]).unwrap_err(),
            Error::BadVersion { version: 1, ty: 2 }
        );
    }
}
