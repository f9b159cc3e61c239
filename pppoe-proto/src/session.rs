//! Session-stage framing (RFC 2516 §6): PPP frames in Ethernet type 0x8864,
//! in place, without allocation and without nom.
//!
//! A session frame is the Ethernet header (14 bytes, 18 with an 802.1Q tag),
//! the PPPoE header (VER/TYPE 0x11, CODE 0x00, SESSION_ID, LENGTH) and the PPP
//! frame: the 2-byte PPP protocol field then the information field (no
//! address/control bytes, no FCS: RFC 2516 §7).
//!
//! **Encapsulation** works on a caller buffer with headroom: the PPP frame is
//! placed at `buf[framer.header_len()..]` (leave 20 or 24 bytes free in
//! front) and [`SessionFramer::encapsulate`] writes the headers before it.
//! **Decapsulation** checks the frame and returns where the PPP frame lies
//! in it; nothing is copied. Ethernet padding after LENGTH is ignored.
//!
//! The MTU/MRU is 1492 by default (1500 − 8); with RFC 4638 PPP-Max-Payload
//! agreed in discovery, the value agreed (e.g. 1500). Set it to what LCP
//! negotiated with [`SessionFramer::with_mtu`]. Encapsulation refuses a PPP
//! information field longer than the MTU; decapsulation does not police the
//! MRU (LCP's business), only that LENGTH fits in the frame.
//!
//! ```
//! use pppoe_proto::session::SessionFramer;
//! use pppoe_proto::wire::EthernetAddress;
//!
//! let me = EthernetAddress([2, 0, 0, 0, 0, 1]);
//! let ac = EthernetAddress([2, 0, 0, 0, 0, 2]);
//! let tx = SessionFramer::new(me, ac, 0x0001);
//! let rx = SessionFramer::new(ac, me, 0x0001);
//!
//! let mut buf = [0u8; 64];
//! let h = tx.header_len();
//! buf[h..h + 6].copy_from_slice(&[0xc0, 0x21, 0x09, 0x01, 0x00, 0x08]); // LCP Echo-Request…
//! let n = tx.encapsulate(&mut buf, 6).unwrap();
//! let ppp = rx.decapsulate(&buf[..n]).unwrap();
//! assert_eq!(&buf[ppp], &[0xc0, 0x21, 0x09, 0x01, 0x00, 0x08]);
//! ```

use core::ops::Range;

use crate::wire::{EtherType, EthernetAddress, PPPOE_HEADER_LEN};
use crate::{PppoeDropped, PppoeWireError};

/// The default PPP MTU/MRU over PPPoE: 1500 − 6 (PPPoE header) − 2 (PPP
/// protocol field) (RFC 2516 §7).
pub const DEFAULT_MTU: u16 = 1492;

/// Session frame header length without VLAN tag: Ethernet 14 + PPPoE 6.
pub const HEADER_LEN: usize = 14 + PPPOE_HEADER_LEN;

/// The parsed headers of a session frame, for demultiplexing (an AC looks up
/// the session by `session_id` and `src` before decapsulating).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionHeader {
    /// Destination MAC.
    pub dst: EthernetAddress,
    /// Source MAC.
    pub src: EthernetAddress,
    /// The 802.1Q TCI, if tagged.
    pub vlan: Option<u16>,
    /// SESSION_ID.
    pub session_id: u16,
    /// Where the PPP frame (protocol field + information) lies in the frame.
    pub ppp: Range<usize>,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Checks a session frame's headers and lengths and returns them.
///
/// Errors: [`PppoeWireError::Truncated`], [`PppoeWireError::BadEthertype`] (not 0x8864),
/// [`PppoeWireError::BadVersion`], [`PppoeWireError::NotSessionCode`],
/// [`PppoeWireError::PayloadPastFrame`].
pub fn peek(frame: &[u8]) -> Result<SessionHeader, PppoeWireError> {
    if frame.len() < 14 {
        return Err(PppoeWireError::Truncated {
            field: "ethernet header",
        });
    }
    let (vlan, eth_len) = if be16(frame, 12) == 0x8100 {
        if frame.len() < 18 {
            return Err(PppoeWireError::Truncated {
                field: "802.1Q tag",
            });
        }
        (Some(be16(frame, 14)), 18)
    } else {
        (None, 14)
    };
    let ethertype = be16(frame, eth_len - 2);
    if EtherType::from(ethertype) != EtherType::Session {
        return Err(PppoeWireError::BadEthertype(ethertype));
    }
    let h = eth_len;
    if frame.len() < h + PPPOE_HEADER_LEN {
        return Err(PppoeWireError::Truncated {
            field: "PPPoE header",
        });
    }
    if frame[h] != 0x11 {
        return Err(PppoeWireError::BadVersion {
            version: frame[h] >> 4,
            ty: frame[h] & 0x0f,
        });
    }
    if frame[h + 1] != 0 {
        return Err(PppoeWireError::NotSessionCode(frame[h + 1]));
    }
    let length = be16(frame, h + 4);
    let start = h + PPPOE_HEADER_LEN;
    let available = frame.len() - start;
    if usize::from(length) > available {
        return Err(PppoeWireError::PayloadPastFrame { length, available });
    }
    let mut dst = [0; 6];
    let mut src = [0; 6];
    dst.copy_from_slice(&frame[0..6]);
    src.copy_from_slice(&frame[6..12]);
    Ok(SessionHeader {
        dst: EthernetAddress(dst),
        src: EthernetAddress(src),
        vlan,
        session_id: be16(frame, h + 2),
        ppp: start..start + usize::from(length),
    })
}

/// Frames and unframes the PPP traffic of one session, in one direction pair:
/// `local` sends to `peer` and receives from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionFramer {
    local: EthernetAddress,
    peer: EthernetAddress,
    session_id: u16,
    vlan: Option<u16>,
    mtu: u16,
}

impl SessionFramer {
    /// A framer with the default MTU (1492) and no VLAN tag.
    pub fn new(local: EthernetAddress, peer: EthernetAddress, session_id: u16) -> Self {
        SessionFramer {
            local,
            peer,
            session_id,
            vlan: None,
            mtu: DEFAULT_MTU,
        }
    }

    /// Tags frames with this 802.1Q TCI (and expects it on received frames).
    pub fn with_vlan(mut self, vlan: Option<u16>) -> Self {
        self.vlan = vlan;
        self
    }

    /// The MTU from RFC 4638 negotiation: the agreed PPP-Max-Payload, or
    /// 1492 when none was agreed.
    pub fn with_ppp_max_payload(mut self, agreed: Option<u16>) -> Self {
        self.mtu = agreed.unwrap_or(DEFAULT_MTU);
        self
    }

    /// The MTU LCP negotiated (the peer's MRU).
    pub fn with_mtu(mut self, mtu: u16) -> Self {
        self.mtu = mtu;
        self
    }

    /// The largest PPP information field [`Self::encapsulate`] sends.
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    /// The session id.
    pub fn session_id(&self) -> u16 {
        self.session_id
    }

    /// Our MAC.
    pub fn local(&self) -> EthernetAddress {
        self.local
    }

    /// The peer's MAC.
    pub fn peer(&self) -> EthernetAddress {
        self.peer
    }

    /// Headroom needed in front of the PPP frame: 20, or 24 with a VLAN tag.
    pub fn header_len(&self) -> usize {
        if self.vlan.is_some() {
            HEADER_LEN + 4
        } else {
            HEADER_LEN
        }
    }

    /// Writes the Ethernet and PPPoE headers in front of the `ppp_len`-byte
    /// PPP frame (protocol field + information) that the caller placed at
    /// `buf[self.header_len()..]`; returns the frame length.
    ///
    /// Errors: [`PppoeWireError::BufferTooShort`] when `buf` does not hold header and
    /// PPP frame; [`PppoeWireError::OverMtu`] when the information field is longer
    /// than the MTU, or the PPP frame has no protocol field.
    pub fn encapsulate(&self, buf: &mut [u8], ppp_len: usize) -> Result<usize, PppoeWireError> {
        let h = self.header_len();
        let total = h + ppp_len;
        if buf.len() < total {
            return Err(PppoeWireError::BufferTooShort {
                needed: total,
                available: buf.len(),
            });
        }
        if ppp_len < 2 || ppp_len > usize::from(self.mtu) + 2 {
            return Err(PppoeWireError::OverMtu {
                length: ppp_len,
                mtu: self.mtu,
            });
        }
        buf[0..6].copy_from_slice(&self.peer.0);
        buf[6..12].copy_from_slice(&self.local.0);
        let mut at = 12;
        if let Some(tci) = self.vlan {
            buf[12..14].copy_from_slice(&0x8100u16.to_be_bytes());
            buf[14..16].copy_from_slice(&tci.to_be_bytes());
            at = 16;
        }
        buf[at..at + 2].copy_from_slice(&0x8864u16.to_be_bytes());
        at += 2;
        buf[at] = 0x11;
        buf[at + 1] = 0x00;
        buf[at + 2..at + 4].copy_from_slice(&self.session_id.to_be_bytes());
        // ppp_len <= mtu + 2 <= 65537; a u16 MTU of 65534 or more is caught
        // by the saturating conversion being checked against the buffer.
        let len = u16::try_from(ppp_len).map_err(|_| PppoeWireError::OverMtu {
            length: ppp_len,
            mtu: self.mtu,
        })?;
        buf[at + 4..at + 6].copy_from_slice(&len.to_be_bytes());
        Ok(total)
    }

    /// Checks a received session frame belongs to this session (0x8864,
    /// CODE 0, our session id, from the peer, to us, our VLAN) and returns
    /// where its PPP frame lies.
    ///
    /// Errors: [`PppoeDropped::Malformed`] with [`peek`]'s errors,
    /// [`PppoeDropped::WrongSessionId`], [`PppoeDropped::WrongPeer`] and
    /// [`PppoeDropped::NotForUs`].
    pub fn decapsulate(&self, frame: &[u8]) -> Result<Range<usize>, PppoeDropped> {
        let h = peek(frame)?;
        if h.dst != self.local || h.vlan.map(|t| t & 0x0fff) != self.vlan.map(|t| t & 0x0fff) {
            return Err(PppoeDropped::NotForUs);
        }
        if h.session_id != self.session_id {
            return Err(PppoeDropped::WrongSessionId(h.session_id));
        }
        if h.src != self.peer {
            return Err(PppoeDropped::WrongPeer);
        }
        Ok(h.ppp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
    const B: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);

    fn frame(framer: &SessionFramer, ppp: &[u8]) -> ([u8; 80], usize) {
        let mut buf = [0u8; 80];
        let h = framer.header_len();
        buf[h..h + ppp.len()].copy_from_slice(ppp);
        let n = framer.encapsulate(&mut buf, ppp.len()).unwrap();
        (buf, n)
    }

    #[test]
    fn encapsulate_then_decapsulate_with_padding_and_vlan() {
        for vlan in [None, Some(0x0064)] {
            let tx = SessionFramer::new(A, B, 7).with_vlan(vlan);
            let rx = SessionFramer::new(B, A, 7).with_vlan(vlan);
            let (buf, n) = frame(&tx, &[0x00, 0x21, 0x45]);
            assert_eq!(n, tx.header_len() + 3);
            // Padded to 60 bytes on the wire: the padding is ignored.
            let r = rx.decapsulate(&buf[..60]).unwrap();
            assert_eq!(&buf[r], &[0x00, 0x21, 0x45]);
        }
    }

    #[test]
    fn wrong_session_peer_destination() {
        let tx = SessionFramer::new(A, B, 7);
        let (buf, n) = frame(&tx, &[0xc0, 0x21]);
        assert_eq!(
            SessionFramer::new(B, A, 8).decapsulate(&buf[..n]),
            Err(PppoeDropped::WrongSessionId(7))
        );
        let c = EthernetAddress([2, 0, 0, 0, 0, 3]);
        assert_eq!(
            SessionFramer::new(B, c, 7).decapsulate(&buf[..n]),
            Err(PppoeDropped::WrongPeer)
        );
        assert_eq!(
            SessionFramer::new(c, A, 7).decapsulate(&buf[..n]),
            Err(PppoeDropped::NotForUs)
        );
    }

    #[test]
    fn length_checks() {
        let tx = SessionFramer::new(A, B, 7);
        let (mut buf, n) = frame(&tx, &[0xc0, 0x21, 1, 2]);
        assert!(matches!(
            peek(&buf[..13]),
            Err(PppoeWireError::Truncated {
                field: "ethernet header"
            })
        ));
        assert!(matches!(
            peek(&buf[..19]),
            Err(PppoeWireError::Truncated {
                field: "PPPoE header"
            })
        ));
        assert_eq!(
            peek(&buf[..n - 1]),
            Err(PppoeWireError::PayloadPastFrame {
                length: 4,
                available: 3
            })
        );
        buf[15] = 0x09;
        assert_eq!(peek(&buf[..n]), Err(PppoeWireError::NotSessionCode(0x09)));
        buf[14] = 0x21;
        assert_eq!(
            peek(&buf[..n]),
            Err(PppoeWireError::BadVersion { version: 2, ty: 1 })
        );
        buf[13] = 0x63;
        assert_eq!(peek(&buf[..n]), Err(PppoeWireError::BadEthertype(0x8863)));
    }

    #[test]
    fn mtu_is_enforced_on_encapsulation() {
        let mut buf = [0u8; 1600];
        let tx = SessionFramer::new(A, B, 1);
        assert_eq!(tx.encapsulate(&mut buf, 1494), Ok(20 + 1494));
        assert_eq!(
            tx.encapsulate(&mut buf, 1495),
            Err(PppoeWireError::OverMtu {
                length: 1495,
                mtu: 1492
            })
        );
        let jumbo = tx.with_ppp_max_payload(Some(1500));
        assert_eq!(jumbo.encapsulate(&mut buf, 1502), Ok(20 + 1502));
        assert!(matches!(
            tx.encapsulate(&mut buf[..30], 20),
            Err(PppoeWireError::BufferTooShort { needed: 40, .. })
        ));
        assert!(matches!(
            tx.encapsulate(&mut buf, 1),
            Err(PppoeWireError::OverMtu { .. })
        ));
    }
}
