//! DHCPv6 prefix delegation inside a dial's PPP session: dhcpv6-proto's
//! requesting router, its messages in UDP/IPv6 from the session's
//! link-local address to All_DHCP_Relay_Agents_and_Servers.

use std::net::Ipv6Addr;

use dhcpv6_proto::client::{
    Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientDestination, Dhcpv6ClientEvent,
};
use dhcpv6_proto::wire::Duid;
use sansio_primitives::{Instant, SeededRng, checksum};

/// All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
const ALL_DHCP: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// A requesting router in one session.
pub struct Pd {
    client: Dhcpv6Client,
    /// `fe80::<our interface identifier>`.
    local: Ipv6Addr,
    /// The prefix delegated, once it is.
    pub delegated: Option<(Ipv6Addr, u8)>,
}

impl Pd {
    /// A client with DUID-LL `mac` (a Solicit is queued at once).
    pub fn new(mac: [u8; 6], local_ifid: u64, seed: u64, now: Instant) -> Pd {
        let cfg = Dhcpv6ClientConfig::new(Duid::ethernet(mac));
        // A DUID-LL and the default hints: always a valid config.
        let client =
            Dhcpv6Client::new(cfg, SeededRng::from_u64(seed), now).expect("valid DHCPv6 config");
        Pd {
            client,
            local: Ipv6Addr::from((0xfe80u128 << 112) | u128::from(local_ifid)),
            delegated: None,
        }
    }

    /// An IPv6 packet from the session: a DHCPv6 message to port 546 is
    /// the client's; anything else (RAs) is ignored.
    pub fn on_packet(&mut self, now: Instant, p: &[u8]) {
        let udp_546 = p.len() >= 48
            && p[0] >> 4 == 6
            && p[6] == 17
            && p[40..42] == 547u16.to_be_bytes()
            && p[42..44] == 546u16.to_be_bytes();
        if udp_546 {
            let _ = self.client.handle_input(now, &p[48..]);
            self.take_events();
        }
    }

    fn take_events(&mut self) {
        while let Some(e) = self.client.poll_event() {
            if let Dhcpv6ClientEvent::PrefixDelegated {
                prefix, prefix_len, ..
            } = e
            {
                self.delegated = Some((prefix, prefix_len));
            }
        }
    }

    /// The IPv6 packets to send now.
    pub fn transmits(&mut self, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(t) = self.client.poll_transmit(now) {
            let dst = match t.destination {
                Dhcpv6ClientDestination::AllServers => ALL_DHCP,
                Dhcpv6ClientDestination::Unicast(a) => a,
            };
            out.push(udp6(self.local, dst, 546, 547, &t.payload));
        }
        self.take_events();
        out
    }

    /// The client's next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }

    /// Runs its due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.client.handle_timeout(now);
        self.take_events();
    }
}

/// A UDP datagram in an IPv6 packet (hop limit 64), checksummed.
pub fn udp6(src: Ipv6Addr, dst: Ipv6Addr, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let len = 8 + data.len();
    let mut p = Vec::with_capacity(40 + len);
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&(len as u16).to_be_bytes());
    p.extend_from_slice(&[17, 64]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&(len as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(data);
    let sum = checksum::add(
        checksum::pseudo_header_v6(src.octets(), dst.octets(), 17, len as u32),
        checksum::sum(&p[40..]),
    );
    // RFC 8200 §8.1: a computed 0 is sent as 0xffff (0 would say "no
    // checksum", which an IPv6 receiver discards).
    let c = match checksum::finish(sum) {
        0 => 0xffff,
        c => c,
    };
    p[46..48].copy_from_slice(&c.to_be_bytes());
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp6_checksum_verifies() {
        let (s, d) = (
            "fe80::1".parse::<Ipv6Addr>().unwrap(),
            "ff02::1:2".parse().unwrap(),
        );
        let p = udp6(s, d, 546, 547, b"abc");
        assert_eq!(p.len(), 40 + 11);
        let sum = checksum::add(
            checksum::pseudo_header_v6(s.octets(), d.octets(), 17, 11),
            checksum::sum(&p[40..]),
        );
        assert_eq!(checksum::finish(sum), 0);
    }

    #[test]
    fn a_computed_zero_checksum_is_sent_as_ffff() {
        let (s, d) = ("fe80::1".parse().unwrap(), "ff02::1:2".parse().unwrap());
        // The last two data bytes sweep every word: one of them makes the
        // sum 0xffff, whose checksum computes to 0.
        let zero = (0..=u16::MAX).find_map(|w| {
            let p = udp6(s, d, 546, 547, &w.to_be_bytes());
            (p[46..48] == [0xff, 0xff]).then_some(p)
        });
        let p = zero.expect("no word gave a computed checksum of 0");
        let sum = checksum::add(
            checksum::pseudo_header_v6(s.octets(), d.octets(), 17, 10),
            checksum::sum(&p[40..]),
        );
        assert_eq!(checksum::finish(sum), 0, "0xffff verifies as well");
        assert!(
            (0..=u16::MAX).all(|w| udp6(s, d, 546, 547, &w.to_be_bytes())[46..48] != [0, 0]),
            "a zero checksum went out"
        );
    }
}
