//! The subscriber's IPv6 side for the bng tests, over the dialer's PPP
//! session: Router Solicitations and the RAs that answer them (ndp-proto's
//! codec), and a DHCPv6-PD requesting router (dhcpv6-proto's client) whose
//! messages ride in PPP protocol 0x0057.

use std::net::Ipv6Addr;
use std::time::{Duration, Instant as StdInstant};

use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientEvent};
use dhcpv6_proto::wire::Duid;
use ndp_proto::wire::{NdpMessage, RouterAdvertisement, RouterSolicitation};
use sansio_primitives::{SeededRng, StdClock};

use crate::common::dialer::{Dialer, Seen};

/// PPP protocol of IPv6.
pub const PPP_IPV6: u16 = 0x0057;
/// All_DHCP_Relay_Agents_and_Servers.
pub const ALL_DHCP: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);
/// All-routers.
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

/// `fe80::ifid`.
pub fn ll(ifid: u64) -> Ipv6Addr {
    Ipv6Addr::from((0xfe80u128 << 112) | u128::from(ifid))
}

/// An IPv6 packet.
pub fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, hop: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, hop]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    p
}

/// A UDP datagram in IPv6 (hop limit 64), checksummed.
pub use router_bin::loadgen::udp6;

/// The (source, destination, next header, hop limit) of an IPv6 packet.
pub fn fields(p: &[u8]) -> Option<(Ipv6Addr, Ipv6Addr, u8, u8)> {
    if p.len() < 40 || p[0] >> 4 != 6 {
        return None;
    }
    let a = |i: usize| Ipv6Addr::from(<[u8; 16]>::try_from(&p[i..i + 16]).unwrap());
    Some((a(8), a(24), p[6], p[7]))
}

/// An RA seen in the session, with its IPv6 header's fields.
#[derive(Debug, Clone)]
pub struct SeenRa {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
    pub ra: RouterAdvertisement,
}

/// Every RA in `log` from index `from` on.
pub fn ras(log: &[Seen], from: usize) -> Vec<SeenRa> {
    log[from..]
        .iter()
        .filter_map(|s| match s {
            Seen::Data(PPP_IPV6, p) => {
                let (src, dst, next, hop_limit) = fields(p)?;
                if next != 58 || p.get(40) != Some(&134) {
                    return None;
                }
                match NdpMessage::parse(&p[40..], src, dst).ok()? {
                    NdpMessage::RouterAdvertisement(ra) => Some(SeenRa {
                        src,
                        dst,
                        hop_limit,
                        ra,
                    }),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// Sends a Router Solicitation from `fe80::local_ifid`.
pub fn send_rs(d: &mut Dialer, local_ifid: u64) {
    let src = ll(local_ifid);
    let rs = NdpMessage::RouterSolicitation(RouterSolicitation {
        reserved: 0,
        options: Vec::new(),
    })
    .to_vec(src, ALL_ROUTERS);
    d.send_data(PPP_IPV6, &ipv6(src, ALL_ROUTERS, 58, 255, &rs));
}

/// Solicits until an RA accepted by `want` arrives (at most `limit`).
pub fn solicit(
    d: &mut Dialer,
    local_ifid: u64,
    limit: Duration,
    want: impl Fn(&SeenRa) -> bool,
) -> Option<SeenRa> {
    let end = StdInstant::now() + limit;
    let from = d.log.len();
    while StdInstant::now() < end {
        send_rs(d, local_ifid);
        d.run_until(
            Duration::from_millis(1500),
            |s| matches!(s, Seen::Data(PPP_IPV6, p) if p.get(40) == Some(&134)),
        );
        if let Some(r) = ras(&d.log, from).into_iter().find(|r| want(r)) {
            return Some(r);
        }
    }
    None
}

/// The Preference (RFC 8415 §21.8) of every DHCPv6 Advertise the bng sent
/// into the session from `log[from..]`.
pub fn advertise_preferences(log: &[Seen], from: usize) -> Vec<u8> {
    use dhcpv6_proto::wire::{Message, MessageType};
    log[from..]
        .iter()
        .filter_map(|s| match s {
            Seen::Data(PPP_IPV6, p)
                if p.len() >= 48
                    && p[6] == 17
                    && p[40..42] == 547u16.to_be_bytes()
                    && p[42..44] == 546u16.to_be_bytes() =>
            {
                match Message::parse(&p[48..]) {
                    Ok(Message::Client(m)) if m.msg_type == MessageType::Advertise => {
                        Some(m.preference())
                    }
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// A DHCPv6-PD requesting router in the session.
pub struct Pd {
    pub client: Dhcpv6Client,
    clock: StdClock,
    /// Our link-local address.
    pub local: Ipv6Addr,
    /// How far `Dialer::log` was read.
    read: usize,
    /// Every event so far.
    pub events: Vec<Dhcpv6ClientEvent>,
}

impl Pd {
    /// A client with DUID-LL `mac`, from `fe80::local_ifid`.
    pub fn new(mac: [u8; 6], local_ifid: u64, seed: u64, d: &Dialer) -> Pd {
        let clock = StdClock::new();
        let cfg = Dhcpv6ClientConfig::new(Duid::ethernet(mac));
        let client = Dhcpv6Client::new(cfg, SeededRng::from_u64(seed), clock.now()).unwrap();
        Pd {
            client,
            clock,
            local: ll(local_ifid),
            read: d.log.len(),
            events: Vec::new(),
        }
    }

    /// Runs the client in the session until a prefix is delegated (at
    /// most `limit`).
    pub fn delegate(&mut self, d: &mut Dialer, limit: Duration) -> Option<(Ipv6Addr, u8)> {
        let end = StdInstant::now() + limit;
        while StdInstant::now() < end {
            let now = self.clock.now();
            if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.handle_timeout(now);
            }
            while let Some(t) = self.client.poll_transmit(now) {
                let dst = match t.destination {
                    dhcpv6_proto::client::Dhcpv6ClientDestination::AllServers => ALL_DHCP,
                    dhcpv6_proto::client::Dhcpv6ClientDestination::Unicast(a) => a,
                };
                d.send_data(PPP_IPV6, &udp6(self.local, dst, 546, 547, &t.payload));
            }
            d.run_until(
                Duration::from_millis(200),
                |s| matches!(s, Seen::Data(PPP_IPV6, p) if p.len() > 48 && p[6] == 17),
            );
            for s in &d.log[self.read..] {
                if let Seen::Data(PPP_IPV6, p) = s
                    && let Some((_, _, 17, _)) = fields(p)
                    && p.len() >= 48
                    && p[40..42] == 547u16.to_be_bytes()
                    && p[42..44] == 546u16.to_be_bytes()
                {
                    let _ = self.client.handle_input(self.clock.now(), &p[48..]);
                }
            }
            self.read = d.log.len();
            while let Some(e) = self.client.poll_event() {
                self.events.push(e);
            }
            let got = self.events.iter().find_map(|e| match e {
                Dhcpv6ClientEvent::PrefixDelegated {
                    prefix, prefix_len, ..
                } => Some((*prefix, *prefix_len)),
                _ => None,
            });
            if got.is_some() {
                return got;
            }
        }
        None
    }
}
