//! PPPoE (RFC 2516) and PPP (RFC 1661) composed into the two Sans-IO link
//! machines an embedder runs over Ethernet frames: [`ClientLink`] for a home
//! router's WAN (PPPoE client + PPP peer) and [`AcLink`] for an access
//! concentrator (PPPoE AC + one PPP authenticator per session).
//!
//! `pppoe-proto` and `ppp-proto` each handle one layer; this crate is the
//! composition every user of both would otherwise rewrite:
//!
//! - **Ethertype dispatch**: Discovery (0x8863) frames go to the PPPoE
//!   machine, Session (0x8864) frames to the PPP session they belong to,
//!   IPv4/IPv6 packets of a session back to the caller for its data path.
//!   One IEEE 802.1Q tag (TPID 0x8100) in front of the ethertype is seen
//!   through; the PPPoE machines check its VLAN id against their
//!   configuration and tag their answers the same way.
//! - **Session demultiplexing** on the AC by PPPoE session id, with a PADT
//!   for session frames of no session of ours (e.g. from before a restart).
//! - **Lower-layer sequencing**: the PPP session is created on PPPoE's
//!   `SessionUp`, before any further frame is read, so the peer's first LCP
//!   Configure-Request is never lost; a PADT is reported first and then
//!   becomes PPP's lower-down (`Down { LowerDown }`); PPP's `Down` closes
//!   the PPPoE session (PADT).
//! - **Timers** in O(log sessions) on the AC: one min-heap of per-session
//!   deadlines, no walk over the session table.
//! - **MTU and MRU** (RFC 2516 §7, RFC 4638): LCP never asks for an MRU
//!   larger than PPPoE carries (1492 bytes, or the PPP-Max-Payload both
//!   ends agreed in discovery, which also raises the MRU asked for), and the
//!   MTU that `LinkUp` reports and that data frames are limited to is the
//!   peer's MRU capped at that payload: a peer acknowledging or asking for
//!   MRU 9000 on a plain PPPoE link still gets `LinkUp { mtu: 1492 }`.
//!
//! Not implemented: QinQ (802.1ad, two tags; `pppoe-proto` frames at most
//! one tag), PPP over anything but PPPoE.
//!
//! # The machine shape
//!
//! Neither machine reads a clock, a random source or a socket: time comes in
//! as [`sansio_primitives::Instant`], randomness from the [`sansio_primitives::SeededRng`]
//! each machine owns (forked for its PPPoE machine and for each PPP
//! session). They follow the shape every machine of the workspace shares
//! (`sansio_primitives`'s crate docs hold the reference text), with one
//! difference: `handle_input` hands a session's IP packet back, so it
//! returns `Result<Option<..>, LinkDropped>`:
//!
//! - `new(pppoe_config, ppp_config, rng, now)`; configuration errors are
//!   returned at once ([`LinkError::PppoeConfig`]);
//! - `handle_input(now, frame)` for each received Ethernet frame: control
//!   traffic is consumed (`Ok(None)`), a session's IP packet is handed back
//!   as a range of the frame (`Ok(Some(..))`), anything refused is an `Err`
//!   ([`LinkDropped`], small and `Copy`) saying why; every frame is counted once by outcome in
//!   `counters()` ([`LinkCounters`]), and the PPPoE and PPP machines keep
//!   their finer drop counts;
//! - `handle_timeout(now)` once `poll_timeout()` has passed (harmless when
//!   early or repeated);
//! - commands (`close`, and on the AC `admit`, `refuse`, `accept`,
//!   `reject`, `close_because`), refused at once with a [`LinkError`];
//! - outputs: after each `handle_*` call or command, drain
//!   `poll_transmit(now)` (complete Ethernet frames) then `poll_event` until
//!   each returns `None`,
//!   and read `poll_timeout` last.
//!
//! `encapsulate_data` frames an IP packet of an established session for
//! sending.
//!
//! Departures from the shape, and why:
//!
//! - **Unprefixed names** ([`ClientLink`], [`AcLink`], [`LinkDropped`],
//!   [`LinkCounters`], [`LinkError`]): `Link` is already this crate's
//!   prefix, and no neighbour crate defines these names, so they clash with
//!   nothing imported beside them.
//! - **`handle_input` returns `Result<Option<..>, LinkDropped>`**: a
//!   session's IP packet is handed back to the caller's data path.
//! - **`poll_transmit(now)` returns a whole Ethernet frame** (`Vec<u8>`,
//!   not a `Transmit`): its destination MAC is in the frame, and the
//!   caller writes it to the one interface as it is. It ignores `now`, as
//!   every machine so far.
//! - **[`LinkError`]** serves the constructors, the commands and
//!   `encapsulate_data` together (one small `Copy` enum, rather than a
//!   `…ConfigError` and a `…CommandError`): its variants wrap the PPPoE
//!   and PPP machines' own errors.
//!
//! # Example
//!
//! A home router's link dials an access concentrator in memory until IPCP
//! gives it an address:
//!
//! ```
//! use std::net::Ipv4Addr;
//!
//! use ppp_proto::{PppConfig, PppEvent, Ipv4Assignment};
//! use pppoe_link::{AcLink, AcLinkEvent, ClientLink, ClientLinkEvent};
//! use pppoe_proto::wire::EthernetAddress;
//! use pppoe_proto::{PppoeAcConfig, PppoeClientConfig};
//! use sansio_primitives::{Instant, SeededRng};
//!
//! let mut now = Instant::ZERO;
//! let ac_mac = EthernetAddress([0x02, 0xac, 0, 0, 0, 1]);
//! let home_mac = EthernetAddress([0x02, 0xc1, 0, 0, 0, 1]);
//! let ac_ppp = PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1));
//! let mut ac = AcLink::new(PppoeAcConfig::new(ac_mac, b"ac"), ac_ppp, SeededRng::from_u64(1), now)
//!     .unwrap();
//! let home_ppp = PppConfig::peer(b"alice", b"secret");
//! let mut home = ClientLink::new(PppoeClientConfig::new(home_mac), home_ppp, SeededRng::from_u64(2), now)
//!     .unwrap();
//!
//! let mut address = None;
//! for _ in 0..100 {
//!     let mut moved = false;
//!     // Home router -> AC.
//!     while let Some(frame) = home.poll_transmit(now) {
//!         let _ = ac.handle_input(now, &frame);
//!         moved = true;
//!     }
//!     // AC -> home router; the AC's application checks the password.
//!     while let Some(frame) = ac.poll_transmit(now) {
//!         let _ = home.handle_input(now, &frame);
//!         moved = true;
//!     }
//!     while let Some(event) = ac.poll_event() {
//!         if let AcLinkEvent::Ppp { session_id, event: PppEvent::AuthRequest { credential, .. } } = event {
//!             assert!(credential.verify(b"secret"));
//!             let ipv4 = Ipv4Assignment { peer: Ipv4Addr::new(192, 0, 2, 10), dns1: None, dns2: None };
//!             ac.accept(now, session_id, Some(ipv4), b"welcome").unwrap();
//!         }
//!         moved = true;
//!     }
//!     while let Some(event) = home.poll_event() {
//!         if let ClientLinkEvent::Ppp(PppEvent::Ipv4Up { local, .. }) = event {
//!             address = Some(local);
//!         }
//!         moved = true;
//!     }
//!     if address.is_some() {
//!         break;
//!     }
//!     if !moved {
//!         // Nothing in flight: let time pass to the next timer.
//!         let next = [home.poll_timeout(), ac.poll_timeout()].into_iter().flatten().min();
//!         now = now.max(next.unwrap());
//!         home.handle_timeout(now);
//!         ac.handle_timeout(now);
//!     }
//! }
//! assert_eq!(address, Some(Ipv4Addr::new(192, 0, 2, 10)));
//! ```

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod ac;
mod client;

pub use ac::{AcLink, AcLinkEvent};
pub use client::{ClientLink, ClientLinkEvent};

use ppp_proto::{PppConfig, PppEvent};
use pppoe_proto::SessionFramer;

/// PPPoE Discovery ethertype.
pub const ETH_P_PPP_DISC: u16 = 0x8863;
/// PPPoE Session ethertype.
pub const ETH_P_PPP_SES: u16 = 0x8864;
/// IEEE 802.1Q tag protocol identifier.
const TPID_8021Q: u16 = 0x8100;
/// PPP protocol number of IPv4.
pub const PPP_IPV4: u16 = 0x0021;
/// PPP protocol number of IPv6.
pub const PPP_IPV6: u16 = 0x0057;

/// What a link counted: every received frame once, by outcome, and every
/// frame handed out by `poll_transmit`. The PPPoE and PPP machines keep
/// their own, finer drop counts (`pppoe()`, `session()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounters {
    /// Frames given to `handle_input`.
    pub frames_received: u64,
    /// Frames taken by `poll_transmit`.
    pub frames_transmitted: u64,
    /// Control frames consumed (discovery, LCP, authentication, NCPs).
    pub control_received: u64,
    /// IPv4/IPv6 packets handed to the data path.
    pub data_received: u64,
    /// Dropped: refused by PPPoE ([`LinkDropped::Pppoe`]).
    pub pppoe_dropped: u64,
    /// Dropped: refused by PPP ([`LinkDropped::Ppp`]).
    pub ppp_dropped: u64,
    /// Dropped: a session frame of no session ([`LinkDropped::NoSession`]).
    pub no_session: u64,
    /// Dropped: not PPPoE at all ([`LinkDropped::NotPppoe`]).
    pub not_pppoe: u64,
}

impl LinkCounters {
    /// Counts one received frame by what `handle_input` made of it.
    fn count_input<T>(&mut self, result: &Result<Option<T>, LinkDropped>) {
        self.frames_received += 1;
        let counter = match result {
            Ok(None) => &mut self.control_received,
            Ok(Some(_)) => &mut self.data_received,
            Err(LinkDropped::Pppoe(_)) => &mut self.pppoe_dropped,
            Err(LinkDropped::Ppp(_)) => &mut self.ppp_dropped,
            Err(LinkDropped::NoSession) => &mut self.no_session,
            Err(LinkDropped::NotPppoe) => &mut self.not_pppoe,
        };
        *counter += 1;
    }
}

/// Why a link's `handle_input` dropped a received frame: small and `Copy`,
/// counted per reason in [`LinkCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkDropped {
    /// PPPoE dropped the frame (see the PPPoE machine's counters).
    Pppoe(pppoe_proto::PppoeDropped),
    /// PPP dropped the frame (see the session's counters).
    Ppp(ppp_proto::PppDropped),
    /// A session frame while no session exists.
    NoSession,
    /// Not a PPPoE frame at all.
    NotPppoe,
}

impl core::fmt::Display for LinkDropped {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LinkDropped::Pppoe(e) => write!(f, "PPPoE: dropped: {e}"),
            LinkDropped::Ppp(e) => write!(f, "PPP: dropped: {e}"),
            LinkDropped::NoSession => f.write_str("no PPPoE session"),
            LinkDropped::NotPppoe => f.write_str("not a PPPoE frame"),
        }
    }
}

impl core::error::Error for LinkDropped {}

/// Why a command, a constructor or `encapsulate_data` could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Framing an outgoing packet failed (buffer too small, over the MTU).
    PppoeWire(pppoe_proto::PppoeWireError),
    /// The PPPoE machine refused a command.
    PppoeCommand(pppoe_proto::PppoeCommandError),
    /// The PPPoE configuration is invalid (`new`).
    PppoeConfig(pppoe_proto::PppoeConfigError),
    /// The PPP session refused a command (e.g. a verdict with no pending
    /// authentication request).
    PppCommand(ppp_proto::PppCommandError),
    /// No such session (or none yet).
    NoSession,
}

impl core::fmt::Display for LinkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LinkError::PppoeWire(e) => write!(f, "PPPoE: {e}"),
            LinkError::PppoeCommand(e) => write!(f, "PPPoE: {e}"),
            LinkError::PppoeConfig(e) => write!(f, "PPPoE configuration: {e}"),
            LinkError::PppCommand(e) => write!(f, "PPP: {e}"),
            LinkError::NoSession => f.write_str("no PPPoE session"),
        }
    }
}

impl core::error::Error for LinkError {}

/// The PPP configuration a new session starts from, with the MRU LCP asks
/// for set by RFC 2516 §7 and RFC 4638: never more than PPPoE carries
/// (1492 over plain PPPoE, whatever the PPP configuration says); when a
/// PPP-Max-Payload above 1492 was agreed in discovery (the framer's MTU),
/// exactly that, so the session can carry 1500-byte packets. A smaller
/// configured MRU on plain PPPoE is kept.
fn session_config(base: &PppConfig, framer: &SessionFramer) -> PppConfig {
    let mut c = base.clone();
    let payload = framer.mtu();
    c.lcp.mru = if payload > pppoe_proto::session::DEFAULT_MTU {
        payload
    } else {
        c.lcp.mru.min(payload)
    };
    c
}

/// Applies LCP's outcome to the framing: a session sends at most the
/// peer's MRU and never more than PPPoE carries (`payload`: 1492, or the
/// agreed RFC 4638 payload) — a peer that leaves MRU out defaults to 1500
/// in RFC 1661 but still gets 1492 over plain PPPoE (RFC 2516 §7). `LinkUp`
/// then reports that MTU. The cap is the payload, not the framer's current
/// MTU, so a renegotiation to a larger MRU raises the MTU again.
fn apply_link_up(event: PppEvent, framer: &mut SessionFramer, payload: u16) -> PppEvent {
    match event {
        PppEvent::LinkUp { mtu } => {
            let mtu = mtu.min(payload);
            *framer = (*framer).with_mtu(mtu);
            PppEvent::LinkUp { mtu }
        }
        other => other,
    }
}

/// The ethertype of an Ethernet frame, behind one 802.1Q tag if there is
/// one (the PPPoE machines check its VLAN id; they frame at most one tag).
fn ethertype(frame: &[u8]) -> Option<u16> {
    let be16 = |at: usize| {
        frame
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    match be16(12)? {
        TPID_8021Q => be16(16),
        t => Some(t),
    }
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
    let dst = buf.get_mut(h..h + ppp_len).ok_or(LinkError::PppoeWire(
        pppoe_proto::PppoeWireError::BufferTooShort {
            needed: h + ppp_len,
            available,
        },
    ))?;
    dst[..2].copy_from_slice(&protocol.to_be_bytes());
    dst[2..].copy_from_slice(packet);
    framer
        .encapsulate(buf, ppp_len)
        .map_err(LinkError::PppoeWire)
}
