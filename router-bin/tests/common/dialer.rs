//! A blocking driver for tests: the home router's [`ClientLink`] (PPPoE
//! client + PPP peer) over an AF_PACKET socket.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant as StdInstant};

use ppp_proto::{PppConfig, PppEvent};
use pppoe_link::{ClientLink, ClientLinkEvent};
use pppoe_proto::PppoeClientConfig;
use pppoe_proto::wire::EthernetAddress;
use router_bin::afpacket::PacketSocket;
use sansio_primitives::{SeededRng, StdClock};

/// What the dialer saw happen, in order.
#[derive(Debug)]
pub enum Seen {
    /// An event of the link.
    Link(ClientLinkEvent),
    /// An IP packet (PPP protocol, packet) received in the session.
    Data(u16, Vec<u8>),
    /// A PPP control frame (protocol, code) received (`true`) or sent.
    Control(bool, u16, u8),
}

/// Our side of a PPPoE link.
pub struct Dialer {
    sock: PacketSocket,
    clock: StdClock,
    pub link: ClientLink,
    /// Everything seen so far.
    pub log: Vec<Seen>,
}

/// The PPP protocol and code of a session frame's PPP payload.
fn control(frame: &[u8]) -> Option<(u16, u8)> {
    let ppp = frame.get(20..23)?;
    (u16::from_be_bytes([frame[12], frame[13]]) == 0x8864)
        .then(|| (u16::from_be_bytes([ppp[0], ppp[1]]), ppp[2]))
}

impl Dialer {
    /// Starts discovery at once.
    pub fn new(sock: PacketSocket, pppoe: PppoeClientConfig, ppp: PppConfig, seed: u64) -> Dialer {
        let clock = StdClock::new();
        let link = ClientLink::new(pppoe, ppp, SeededRng::from_u64(seed), clock.now())
            .expect("link config");
        let mut d = Dialer {
            sock,
            clock,
            link,
            log: Vec::new(),
        };
        d.flush();
        d
    }

    /// Default PPPoE settings for our MAC.
    pub fn pppoe_config(sock: &PacketSocket) -> PppoeClientConfig {
        PppoeClientConfig::new(EthernetAddress(sock.mac()))
    }

    /// Runs until `until` returns true for something seen, or `limit` passes.
    pub fn run_until(&mut self, limit: Duration, mut until: impl FnMut(&Seen) -> bool) -> bool {
        let end = StdInstant::now() + limit;
        let mut buf = [0u8; 1600];
        let mut checked = self.log.len();
        loop {
            while checked < self.log.len() {
                if until(&self.log[checked]) {
                    return true;
                }
                checked += 1;
            }
            let now = StdInstant::now();
            if now >= end {
                return false;
            }
            let next = self.link.poll_timeout().and_then(|t| self.clock.to_std(t));
            let wait = next
                .map_or(end - now, |t| t.saturating_duration_since(now))
                .min(end - now);
            match self.sock.recv(&mut buf, Some(wait)).expect("recv") {
                Some(n) => {
                    let frame = &buf[..n];
                    match self.link.handle_input(self.clock.now(), frame) {
                        Ok(Some(range)) => {
                            let p = &frame[range];
                            self.log.push(Seen::Data(
                                u16::from_be_bytes([p[0], p[1]]),
                                p[2..].to_vec(),
                            ));
                        }
                        Ok(None) => {
                            if let Some((protocol, code)) = control(frame) {
                                self.log.push(Seen::Control(true, protocol, code));
                            }
                        }
                        Err(_) => {} // not ours, or dropped and counted by the machines
                    }
                }
                None => self.link.handle_timeout(self.clock.now()),
            }
            self.flush();
        }
    }

    fn flush(&mut self) {
        while let Some(frame) = self.link.poll_transmit(self.clock.now()) {
            if let Some((protocol, code)) = control(&frame) {
                self.log.push(Seen::Control(false, protocol, code));
            }
            self.sock.send(&frame).expect("send");
        }
        while let Some(e) = self.link.poll_event() {
            self.log.push(Seen::Link(e));
        }
    }

    /// Sends an IP packet in the session.
    pub fn send_data(&mut self, protocol: u16, packet: &[u8]) {
        let mut buf = [0u8; 1600];
        let n = self
            .link
            .encapsulate_data(protocol, packet, &mut buf)
            .expect("session up");
        self.sock.send(&buf[..n]).expect("send data");
    }

    /// Hangs up: LCP Terminate, then PADT.
    pub fn hang_up(&mut self) {
        self.link.close(self.clock.now());
        self.flush();
    }

    /// The PPP events seen.
    pub fn ppp_events(&self) -> impl Iterator<Item = &PppEvent> {
        self.log.iter().filter_map(|s| match s {
            Seen::Link(ClientLinkEvent::Ppp(e)) => Some(e),
            _ => None,
        })
    }

    /// The first `Ipv4Up` seen.
    pub fn ipv4(&self) -> Option<(Ipv4Addr, Ipv4Addr, [Option<Ipv4Addr>; 2])> {
        self.ppp_events().find_map(|e| match e {
            PppEvent::Ipv4Up {
                local, peer, dns, ..
            } => Some((*local, *peer, *dns)),
            _ => None,
        })
    }

    /// The first `Ipv6Up` seen: (local, peer) interface identifiers.
    pub fn ipv6(&self) -> Option<(u64, u64)> {
        self.ppp_events().find_map(|e| match e {
            PppEvent::Ipv6Up {
                local_ifid,
                peer_ifid,
            } => Some((*local_ifid, *peer_ifid)),
            _ => None,
        })
    }
}

/// Whether `s` is the PPP event `f` accepts.
pub fn ppp(s: &Seen, f: impl Fn(&PppEvent) -> bool) -> bool {
    matches!(s, Seen::Link(ClientLinkEvent::Ppp(e)) if f(e))
}
