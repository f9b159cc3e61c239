//! One home-router link and one access concentrator on a lossless
//! in-memory wire, with every frame kept for inspection.

#![allow(dead_code)]

use std::net::Ipv4Addr;

use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent};
use pppoe_link::{AcLink, AcLinkEvent, ClientLink, ClientLinkEvent};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeAcConfig, PppoeClientConfig};
use sansio_primitives::{Instant, SeededRng};

/// The AC's MAC address.
pub const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0xac, 0, 0, 0, 1]);
/// The home router's MAC address.
pub const HOME_MAC: EthernetAddress = EthernetAddress([0x02, 0xc1, 0, 0, 0, 1]);
/// The address the AC gives.
pub const HOME_IPV4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

/// Which side sent a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// The home router.
    Home,
    /// The access concentrator.
    Ac,
}

/// The two links and what passed between them.
pub struct Pair {
    pub home: ClientLink,
    pub ac: AcLink,
    pub now: Instant,
    pub frames: Vec<(From, Vec<u8>)>,
    pub home_events: Vec<ClientLinkEvent>,
    pub ac_events: Vec<AcLinkEvent>,
    /// Rewrites frames on the wire: (sender, frame) before delivery.
    pub tamper: fn(From, &mut [u8]),
}

impl Pair {
    /// Links built from these configurations (users are accepted with
    /// password "secret").
    pub fn new(
        home_pppoe: PppoeClientConfig,
        home_ppp: PppConfig,
        ac: PppoeAcConfig,
        ac_ppp: PppConfig,
    ) -> Pair {
        let now = Instant::ZERO;
        Pair {
            home: ClientLink::new(home_pppoe, home_ppp, SeededRng::from_u64(2), now).unwrap(),
            ac: AcLink::new(ac, ac_ppp, SeededRng::from_u64(1), now).unwrap(),
            now,
            frames: Vec::new(),
            home_events: Vec::new(),
            ac_events: Vec::new(),
            tamper: |_, _| {},
        }
    }

    /// Default configurations of both sides.
    pub fn configs() -> (PppoeClientConfig, PppConfig, PppoeAcConfig, PppConfig) {
        (
            PppoeClientConfig::new(HOME_MAC),
            PppConfig::peer(b"alice", b"secret"),
            PppoeAcConfig::new(AC_MAC, b"ac"),
            PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1)),
        )
    }

    /// Runs until the home router has IPv4 (true) or nothing is left to
    /// do within a bounded number of steps (false).
    pub fn dial(&mut self) -> bool {
        for _ in 0..200 {
            let moved = self.exchange();
            if self
                .home_events
                .iter()
                .any(|e| matches!(e, ClientLinkEvent::Ppp(PppEvent::Ipv4Up { .. })))
            {
                return true;
            }
            if !moved {
                let next = [self.home.poll_timeout(), self.ac.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min();
                let Some(at) = next else { return false };
                self.now = self.now.max(at);
                self.home.handle_timeout(self.now);
                self.ac.handle_timeout(self.now);
            }
        }
        false
    }

    /// Moves every pending frame and event once; whether anything moved.
    pub fn exchange(&mut self) -> bool {
        let mut moved = false;
        while let Some(mut f) = self.home.poll_transmit(self.now) {
            (self.tamper)(From::Home, &mut f);
            let _ = self.ac.handle_input(self.now, &f);
            self.frames.push((From::Home, f));
            moved = true;
        }
        while let Some(mut f) = self.ac.poll_transmit(self.now) {
            (self.tamper)(From::Ac, &mut f);
            let _ = self.home.handle_input(self.now, &f);
            self.frames.push((From::Ac, f));
            moved = true;
        }
        while let Some(e) = self.ac.poll_event() {
            if let AcLinkEvent::Ppp {
                session_id,
                event: PppEvent::AuthRequest { credential, .. },
            } = &e
            {
                let ipv4 = Ipv4Assignment {
                    peer: HOME_IPV4,
                    dns1: None,
                    dns2: None,
                };
                if credential.verify(b"secret") {
                    self.ac
                        .accept(self.now, *session_id, Some(ipv4), b"ok")
                        .unwrap();
                } else {
                    self.ac.reject(self.now, *session_id, b"no").unwrap();
                }
            }
            self.ac_events.push(e);
            moved = true;
        }
        while let Some(e) = self.home.poll_event() {
            self.home_events.push(e);
            moved = true;
        }
        moved
    }

    /// The MTU each side's `LinkUp` reported.
    pub fn link_up_mtus(&self) -> (Option<u16>, Option<u16>) {
        let home = self.home_events.iter().find_map(|e| match e {
            ClientLinkEvent::Ppp(PppEvent::LinkUp { mtu }) => Some(*mtu),
            _ => None,
        });
        let ac = self.ac_events.iter().find_map(|e| match e {
            AcLinkEvent::Ppp {
                event: PppEvent::LinkUp { mtu },
                ..
            } => Some(*mtu),
            _ => None,
        });
        (home, ac)
    }
}

/// The PPP payload of an untagged or 802.1Q-tagged PPPoE session frame:
/// protocol, then the packet.
pub fn ppp_of(frame: &[u8]) -> Option<&[u8]> {
    let eth = if frame.get(12..14)? == [0x81, 0x00] {
        18
    } else {
        14
    };
    (frame.get(eth - 2..eth)? == [0x88, 0x64])
        .then(|| frame.get(eth + 6..))
        .flatten()
}

/// The MRU option (type 1) of an LCP Configure-Request in a session frame.
pub fn lcp_request_mru(frame: &[u8]) -> Option<u16> {
    mru_offset(frame, 1).map(|at| u16::from_be_bytes([frame[at], frame[at + 1]]))
}

/// Rewrites the MRU option of an LCP Configure-Request in a session frame,
/// if it has one.
pub fn set_lcp_request_mru(frame: &mut [u8], mru: u16) {
    set_lcp_mru(frame, 1, mru);
}

/// Rewrites the MRU option of an LCP packet of `code` (1 Configure-Request,
/// 2 Configure-Ack) in a session frame, if it has one.
pub fn set_lcp_mru(frame: &mut [u8], code: u8, mru: u16) {
    if let Some(at) = mru_offset(frame, code) {
        frame[at..at + 2].copy_from_slice(&mru.to_be_bytes());
    }
}

/// Where the MRU value of an LCP packet of `code` sits in a frame.
fn mru_offset(frame: &[u8], code: u8) -> Option<usize> {
    let ppp = ppp_of(frame)?;
    let base = frame.len() - ppp.len();
    // Protocol 0xc021, code 1 (Configure-Request), id, length, options.
    if ppp.get(..3)? != [0xc0, 0x21, code] {
        return None;
    }
    // The LCP Length bounds the options (Ethernet padding follows).
    let end = 2 + usize::from(u16::from_be_bytes([*ppp.get(4)?, *ppp.get(5)?]));
    let ppp = ppp.get(..end)?;
    let mut at = 6;
    while let Some(&[t, l]) = ppp.get(at..at + 2) {
        let l = usize::from(l);
        if t == 1 && l == 4 && ppp.len() >= at + 4 {
            return Some(base + at + 2);
        }
        at += l.max(2);
    }
    None
}
