//! A blocking PPPoE + PPP dialer for tests: our `pppoe-proto` client and
//! `ppp-proto` peer session over one AF_PACKET socket, driven in one loop.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant as StdInstant};

use ppp_proto::{Config as PppConfig, Event as PppEvent, Session};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{Client, ClientConfig, ClientEvent, SessionFramer};
use proto_core::{SeededRng, StdClock};
use router_bin::afpacket::PacketSocket;

const ETH_P_PPP_DISC: u16 = 0x8863;
const ETH_P_PPP_SES: u16 = 0x8864;
/// PPP protocol numbers of the data the tests exchange.
pub const PPP_IPV4: u16 = 0x0021;
/// IPv6 over PPP.
pub const PPP_IPV6: u16 = 0x0057;

/// What the dialer saw happen, in order.
#[derive(Debug)]
pub enum Seen {
    /// From the PPPoE client.
    Pppoe(ClientEvent),
    /// From the PPP session.
    Ppp(PppEvent),
    /// An IP packet (PPP protocol, packet) received in the session.
    Data(u16, Vec<u8>),
    /// A control frame (PPP protocol, code) received (`true`) or sent.
    Control(bool, u16, u8),
}

/// Our side of a PPPoE link.
pub struct Dialer {
    sock: PacketSocket,
    clock: StdClock,
    rng: SeededRng,
    pub pppoe: Client,
    pub ppp: Option<Session>,
    ppp_config: PppConfig,
    framer: Option<SessionFramer>,
    /// Everything seen so far.
    pub log: Vec<Seen>,
}

impl Dialer {
    /// Starts discovery at once.
    pub fn new(sock: PacketSocket, pppoe: ClientConfig, ppp: PppConfig, seed: u64) -> Dialer {
        let clock = StdClock::new();
        let mut rng = SeededRng::from_u64(seed);
        let pppoe = Client::new(pppoe, rng.fork(), clock.now()).expect("pppoe client config");
        Dialer {
            sock,
            clock,
            rng,
            pppoe,
            ppp: None,
            ppp_config: ppp,
            framer: None,
            log: Vec::new(),
        }
    }

    /// Default PPPoE settings for our MAC.
    pub fn pppoe_config(sock: &PacketSocket) -> ClientConfig {
        ClientConfig::new(EthernetAddress(sock.mac()))
    }

    /// Runs until `until` returns true for something seen, or `limit` passes.
    pub fn run_until(&mut self, limit: Duration, mut until: impl FnMut(&Seen) -> bool) -> bool {
        let end = StdInstant::now() + limit;
        let mut buf = [0u8; 1600];
        let mut checked = self.log.len();
        loop {
            self.flush();
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
            let next = [
                self.pppoe.poll_timeout(),
                self.ppp.as_ref().and_then(Session::poll_timeout),
            ]
            .into_iter()
            .flatten()
            .min()
            .and_then(|t| self.clock.to_std(t));
            let wait = next
                .map_or(end - now, |t| t.saturating_duration_since(now))
                .min(end - now);
            match self.sock.recv(&mut buf, Some(wait)).expect("recv") {
                Some(n) => self.input(&buf[..n]),
                None => {
                    let now = self.clock.now();
                    self.pppoe.handle_timeout(now);
                    if let Some(s) = &mut self.ppp {
                        s.handle_timeout(now, &mut self.rng);
                    }
                }
            }
        }
    }

    fn input(&mut self, frame: &[u8]) {
        if frame.len() < 14 {
            return;
        }
        let now = self.clock.now();
        match u16::from_be_bytes([frame[12], frame[13]]) {
            ETH_P_PPP_DISC => {
                let _ = self.pppoe.handle_input(now, frame); // drops are counted by the machine
            }
            ETH_P_PPP_SES => {
                let (Some(framer), Some(ppp)) = (&self.framer, &mut self.ppp) else {
                    return;
                };
                let Ok(range) = framer.decapsulate(frame) else {
                    return;
                };
                let ppp_frame = &frame[range];
                if ppp_frame.len() < 2 {
                    return;
                }
                let protocol = u16::from_be_bytes([ppp_frame[0], ppp_frame[1]]);
                if protocol == PPP_IPV4 || protocol == PPP_IPV6 {
                    self.log.push(Seen::Data(protocol, ppp_frame[2..].to_vec()));
                } else {
                    self.log.push(Seen::Control(
                        true,
                        protocol,
                        ppp_frame.get(2).copied().unwrap_or(0),
                    ));
                    let _ = ppp.handle_input(now, ppp_frame, &mut self.rng);
                }
            }
            _ => {}
        }
    }

    /// Sends what the machines queued and collects their events, starting
    /// the PPP session when PPPoE comes up.
    fn flush(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.pppoe.poll_transmit() {
                self.sock.send(&t.payload).expect("send discovery frame");
                progressed = true;
            }
            while let Some(e) = self.pppoe.poll_event() {
                if let ClientEvent::SessionUp { .. } = e {
                    let framer = self
                        .pppoe
                        .session_framer()
                        .expect("framer once the session is up");
                    let mut session = Session::new(self.ppp_config.clone(), self.clock.now());
                    session.open(self.clock.now(), &mut self.rng);
                    self.framer = Some(framer);
                    self.ppp = Some(session);
                }
                self.log.push(Seen::Pppoe(e));
                progressed = true;
            }
            if let (Some(ppp), Some(framer)) = (&mut self.ppp, &self.framer) {
                while let Some(t) = ppp.poll_transmit() {
                    let p = &t.payload;
                    self.log.push(Seen::Control(
                        false,
                        u16::from_be_bytes([p[0], p[1]]),
                        p.get(2).copied().unwrap_or(0),
                    ));
                    send_ppp(&self.sock, framer, &t.payload);
                    progressed = true;
                }
                while let Some(e) = ppp.poll_event() {
                    if let PppEvent::Down { .. } = e {
                        // The PPP session is over: end PPPoE too (PADT).
                        let _ = self.pppoe.close(self.clock.now());
                    }
                    self.log.push(Seen::Ppp(e));
                    progressed = true;
                }
            }
            if !progressed {
                return;
            }
        }
    }

    /// Sends an IP packet in the session.
    pub fn send_data(&mut self, protocol: u16, packet: &[u8]) {
        let framer = self.framer.as_ref().expect("session up");
        let mut ppp = protocol.to_be_bytes().to_vec();
        ppp.extend_from_slice(packet);
        send_ppp(&self.sock, framer, &ppp);
    }

    /// Closes the PPP session (LCP Terminate), which then closes PPPoE (PADT).
    pub fn hang_up(&mut self) {
        if let Some(s) = &mut self.ppp {
            s.close(self.clock.now(), &mut self.rng);
        }
        self.flush();
    }

    /// The first `Ipv4Up` seen.
    pub fn ipv4(&self) -> Option<(Ipv4Addr, Ipv4Addr, [Option<Ipv4Addr>; 2])> {
        self.log.iter().find_map(|s| match s {
            Seen::Ppp(PppEvent::Ipv4Up { local, peer, dns }) => Some((*local, *peer, *dns)),
            _ => None,
        })
    }

    /// The first `Ipv6Up` seen: (local, peer) interface identifiers.
    pub fn ipv6(&self) -> Option<(u64, u64)> {
        self.log.iter().find_map(|s| match s {
            Seen::Ppp(PppEvent::Ipv6Up {
                local_ifid,
                peer_ifid,
            }) => Some((*local_ifid, *peer_ifid)),
            _ => None,
        })
    }
}

fn send_ppp(sock: &PacketSocket, framer: &SessionFramer, ppp_frame: &[u8]) {
    let mut buf = vec![0u8; framer.header_len() + ppp_frame.len()];
    buf[framer.header_len()..].copy_from_slice(ppp_frame);
    let len = framer
        .encapsulate(&mut buf, ppp_frame.len())
        .expect("encapsulate");
    sock.send(&buf[..len]).expect("send session frame");
}

/// An ICMP Echo Request from `src` to `dst` (IPv4 header + ICMP).
pub fn icmpv4_echo(src: Ipv4Addr, dst: Ipv4Addr, id: u16, seq: u16) -> Vec<u8> {
    use proto_core::checksum;
    let payload = b"our pppoe client says hello";
    let total = 20 + 8 + payload.len();
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum::checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let mut icmp = vec![8, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(payload);
    let c = checksum::checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&icmp);
    p
}

/// An ICMPv6 Echo Request between link-local addresses made from interface ids.
pub fn icmpv6_echo(src_ifid: u64, dst_ifid: u64, id: u16, seq: u16) -> Vec<u8> {
    use proto_core::checksum;
    let ll = |ifid: u64| {
        let mut a = [0u8; 16];
        a[0] = 0xfe;
        a[1] = 0x80;
        a[8..].copy_from_slice(&ifid.to_be_bytes());
        a
    };
    let (src, dst) = (ll(src_ifid), ll(dst_ifid));
    let mut icmp = vec![128, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(b"and over ipv6");
    let sum = checksum::add(
        checksum::pseudo_header_v6(src, dst, 58, icmp.len() as u32),
        checksum::sum(&icmp),
    );
    icmp[2..4].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    p.extend_from_slice(&[58, 64]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&icmp);
    p
}
