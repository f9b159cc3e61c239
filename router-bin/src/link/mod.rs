//! PPPoE and PPP composed into the two link machines the binaries run:
//! [`ClientLink`] for the home router's WAN, [`AcLink`] for the access
//! concentrator's many sessions. Both stay Sans-IO (frames and time in,
//! frames, timers and events out), so the same code runs over an AF_PACKET
//! socket and in the in-memory conversation tests.

mod ac;
mod client;

pub use ac::{AcLink, AcLinkEvent};
pub use client::{ClientLink, ClientLinkEvent};

use ppp_proto::{Config as PppConfig, Event as PppEvent};
use pppoe_proto::SessionFramer;

/// PPPoE Discovery ethertype.
pub const ETH_P_PPP_DISC: u16 = 0x8863;
/// PPPoE Session ethertype.
pub const ETH_P_PPP_SES: u16 = 0x8864;
/// PPP protocol number of IPv4.
pub const PPP_IPV4: u16 = 0x0021;
/// PPP protocol number of IPv6.
pub const PPP_IPV6: u16 = 0x0057;

/// Why a frame was not taken, or a command could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// PPPoE refused the frame (see the machine's drop counters).
    Pppoe(pppoe_proto::Error),
    /// PPP refused the frame.
    Ppp(ppp_proto::Error),
    /// A session frame while no session exists.
    NoSession,
    /// Not a PPPoE frame at all.
    NotPppoe,
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::Pppoe(e) => write!(f, "PPPoE: {e}"),
            LinkError::Ppp(e) => write!(f, "PPP: {e}"),
            LinkError::NoSession => f.write_str("no PPPoE session"),
            LinkError::NotPppoe => f.write_str("not a PPPoE frame"),
        }
    }
}

impl std::error::Error for LinkError {}

/// The PPP configuration a new session starts from. When RFC 4638
/// PPP-Max-Payload above 1492 was agreed in discovery (the framer's MTU),
/// LCP asks for that MRU, so the session can carry 1500-byte packets.
fn session_config(base: &PppConfig, framer: &SessionFramer) -> PppConfig {
    let mut c = base.clone();
    c.lcp.mru = c.lcp.mru.max(framer.mtu());
    c
}

/// Applies LCP's outcome to the framing: a session sends at most the
/// peer's MRU and never more than PPPoE carries (1492, or the agreed RFC
/// 4638 payload) — a peer that leaves MRU out defaults to 1500 in RFC 1661
/// but still gets 1492 over plain PPPoE (RFC 2516 §7). `LinkUp` then
/// reports that MTU.
fn apply_link_up(event: PppEvent, framer: &mut SessionFramer) -> PppEvent {
    match event {
        PppEvent::LinkUp { mtu } => {
            let mtu = mtu.min(framer.mtu());
            *framer = (*framer).with_mtu(mtu);
            PppEvent::LinkUp { mtu }
        }
        other => other,
    }
}

/// The ethertype of an untagged Ethernet frame.
fn ethertype(frame: &[u8]) -> Option<u16> {
    frame.get(12..14).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

/// Frames `protocol` + `packet` into `buf` for a session; the frame length.
fn encapsulate(
    framer: &SessionFramer,
    protocol: u16,
    packet: &[u8],
    buf: &mut [u8],
) -> Result<usize, LinkError> {
    let h = framer.header_len();
    let ppp_len = 2 + packet.len();
    let available = buf.len();
    let dst = buf.get_mut(h..h + ppp_len).ok_or(LinkError::Pppoe(
        pppoe_proto::Error::BufferTooSmall {
            needed: h + ppp_len,
            available,
        },
    ))?;
    dst[..2].copy_from_slice(&protocol.to_be_bytes());
    dst[2..].copy_from_slice(packet);
    framer.encapsulate(buf, ppp_len).map_err(LinkError::Pppoe)
}
