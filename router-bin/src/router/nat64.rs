//! The NAT64 prefix the router uses: for the CLAT, PREF64 on the LAN and
//! `dns.dns64_prefix = "auto"`. In order of precedence:
//!
//! 1. `ipv6.nat64_prefix` in the config;
//! 2. PREF64 (RFC 8781) in the ISP's router advertisements on the PPP
//!    session. The kernel consumes those RAs on ppp0; the router sees each
//!    one first in its data path ([`pref64_in`] on every IPv6 packet from
//!    the session before it goes into the TUN), so no socket is needed;
//! 3. RFC 7050 discovery (`AAAA ipv4only.arpa`, dns64's [`Nat64Discovery`])
//!    against the WAN's DNS servers: IPCP's, and DHCPv6's (the only ones
//!    when the WAN has no IPv4).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use dns64::{Nat64Discovery, Nat64DiscoveryConfig, Nat64Prefix};
use ndp_proto::wire::{NdpMessage, NdpOption};
use sansio_primitives::{Duration, SeededRng, StdClock};
use tokio::net::UdpSocket;
use tracing::{debug, info, warn};

/// Where the NAT64 prefix in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nat64Source {
    /// `ipv6.nat64_prefix`.
    Config,
    /// PREF64 in the ISP's RA.
    Pref64,
    /// RFC 7050 discovery.
    Rfc7050,
}

impl Nat64Source {
    fn text(self) -> &'static str {
        match self {
            Nat64Source::Config => "ipv6.nat64_prefix",
            Nat64Source::Pref64 => "PREF64 in the ISP's RA",
            Nat64Source::Rfc7050 => "RFC 7050 (ipv4only.arpa)",
        }
    }
}

/// A PREF64 option in `packet` if it is a Router Advertisement (an IPv6
/// packet from the session: link-local source, hop limit 255, ICMPv6 with
/// a valid checksum right after the fixed header): the prefix and its
/// lifetime. Anything else, or a malformed RA, is `None`.
pub fn pref64_in(packet: &[u8]) -> Option<(Nat64Prefix, StdDuration)> {
    // Fixed header, ICMPv6 next, hop limit 255 (RFC 4861 §6.1.2), type 134.
    if packet.len() < 56 || packet[0] >> 4 != 6 || packet[6] != 58 || packet[7] != 255 {
        return None;
    }
    if packet[40] != 134 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([packet[4], packet[5]]));
    let icmp = packet.get(40..40 + len)?;
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[8..24]).ok()?);
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&packet[24..40]).ok()?);
    if !src.is_unicast_link_local() {
        return None;
    }
    let NdpMessage::RouterAdvertisement(ra) = NdpMessage::parse(icmp, src, dst).ok()? else {
        return None;
    };
    ra.options.iter().find_map(|o| match o {
        NdpOption::Pref64(p) => {
            let prefix = Nat64Prefix::new(p.prefix(), p.length.bits()).ok()?;
            Some((prefix, StdDuration::from_secs(p.lifetime().as_secs())))
        }
        _ => None,
    })
}

/// RFC 7050 discovery with its socket.
struct Discovery {
    machine: Nat64Discovery,
    sock: UdpSocket,
    port: u16,
}

/// The NAT64 prefix's sources and the one in use.
pub struct Nat64Learner {
    configured: Option<Nat64Prefix>,
    /// PREF64 from the WAN's RAs, until its lifetime ends.
    pref64: Option<(Nat64Prefix, StdInstant)>,
    discovery: Option<Discovery>,
    resolvers: Vec<IpAddr>,
    clock: StdClock,
    rng: SeededRng,
    buf: Vec<u8>,
}

/// An IPv4 resolver as the IPv6 socket reaches it (v4-mapped).
fn mapped(a: IpAddr) -> SocketAddr {
    match a {
        IpAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), 53),
        v6 => SocketAddr::new(v6, 53),
    }
}

impl Nat64Learner {
    /// With `configured` (`ipv6.nat64_prefix`) nothing else is looked at.
    pub fn new(configured: Option<(Ipv6Addr, u8)>, seed: [u8; 32]) -> Nat64Learner {
        Nat64Learner {
            configured: configured.and_then(|(a, l)| Nat64Prefix::new(a, l).ok()),
            pref64: None,
            discovery: None,
            resolvers: Vec::new(),
            clock: StdClock::new(),
            rng: SeededRng::from_seed(seed),
            buf: vec![0u8; 4096],
        }
    }

    /// The prefix in use and where it came from.
    pub fn current(&self) -> Option<(Nat64Prefix, Nat64Source)> {
        if let Some(p) = self.configured {
            return Some((p, Nat64Source::Config));
        }
        if let Some((p, until)) = self.pref64
            && until > StdInstant::now()
        {
            return Some((p, Nat64Source::Pref64));
        }
        let d = self.discovery.as_ref()?;
        d.machine
            .prefixes()
            .first()
            .map(|p| (*p, Nat64Source::Rfc7050))
    }

    /// A PREF64 from the ISP's RA (lifetime 0 withdraws it).
    pub fn on_pref64(&mut self, prefix: Nat64Prefix, lifetime: StdDuration) {
        let was = self.pref64.map(|(p, _)| p);
        if lifetime.is_zero() {
            if was == Some(prefix) {
                self.pref64 = None;
            }
        } else {
            if was != Some(prefix) {
                info!("PREF64 from the ISP: {prefix} for {}s", lifetime.as_secs());
            }
            self.pref64 = Some((prefix, StdInstant::now() + lifetime));
        }
        if let Some(d) = &mut self.discovery {
            let lifetime = Duration::from_secs(lifetime.as_secs());
            d.machine.set_pref64(self.clock.now(), prefix, lifetime);
            // Its events only mirror what current() reads.
            while d.machine.poll_event().is_some() {}
        }
    }

    /// The WAN's DNS servers changed: RFC 7050 discovery (re)starts with
    /// them (none: it stops). Not run with a configured prefix.
    pub fn set_resolvers(&mut self, resolvers: Vec<IpAddr>) {
        if self.configured.is_some() || resolvers == self.resolvers {
            return;
        }
        self.resolvers = resolvers;
        self.discovery = None;
        if self.resolvers.is_empty() {
            return;
        }
        match self.start_discovery() {
            Ok(d) => self.discovery = Some(d),
            Err(e) => warn!("NAT64 prefix discovery (RFC 7050): {e}"),
        }
    }

    fn start_discovery(&mut self) -> Result<Discovery, String> {
        let std = std::net::UdpSocket::bind("[::]:0").map_err(|e| format!("UDP socket: {e}"))?;
        std.set_nonblocking(true).map_err(|e| e.to_string())?;
        let sock = UdpSocket::from_std(std).map_err(|e| e.to_string())?;
        let port = sock.local_addr().map_err(|e| e.to_string())?.port();
        let mut cfg =
            Nat64DiscoveryConfig::new(self.resolvers.iter().map(|a| mapped(*a)).collect());
        // One socket: every query from its port.
        cfg.source_ports = (port, port);
        let now = self.clock.now();
        let mut machine =
            Nat64Discovery::new(cfg, self.rng.fork(), now).map_err(|e| e.to_string())?;
        if let Some((p, until)) = self.pref64 {
            let left = until.saturating_duration_since(StdInstant::now());
            machine.set_pref64(now, p, Duration::from_secs(left.as_secs()));
        }
        info!("NAT64 prefix discovery (RFC 7050) via {:?}", self.resolvers);
        let mut d = Discovery {
            machine,
            sock,
            port,
        };
        flush(&mut d, &self.clock);
        Ok(d)
    }

    /// Waits for a discovery answer or timer, or the PREF64's end, and
    /// handles it; pending forever when there is nothing to wait for.
    /// Cancel-safe.
    pub async fn step(&mut self) {
        let pref64_end = self
            .pref64
            .map(|(_, t)| t)
            .filter(|t| *t > StdInstant::now());
        let Some(d) = &mut self.discovery else {
            match pref64_end {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
            return;
        };
        let timer = d.machine.poll_timeout().and_then(|t| self.clock.to_std(t));
        let next = [timer, pref64_end].into_iter().flatten().min();
        let sleep = async {
            match next {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = d.sock.recv_from(&mut self.buf) => match r {
                Ok((n, from)) => {
                    // An IPv4 resolver answers from its v4-mapped address:
                    // the form the machine was configured with.
                    if let Err(e) = d.machine.handle_input(self.clock.now(), from, d.port, &self.buf[..n]) {
                        debug!("RFC 7050 answer from {from} dropped: {e}");
                    }
                }
                Err(e) => {
                    debug!("RFC 7050 socket: {e}");
                    tokio::time::sleep(StdDuration::from_millis(200)).await;
                }
            },
            () = sleep => d.machine.handle_timeout(self.clock.now()),
        }
        flush(d, &self.clock);
    }

    /// Where the NAT64 prefix came from, for `router status` (the
    /// prefix itself is on the IPv6 service's `nat64 prefix:` line).
    pub fn status_text(&self) -> String {
        match self.current() {
            Some((p, src)) => format!("nat64 source: {} ({p})\n", src.text()),
            None if self.discovery.is_some() => {
                "nat64 source: - (asking the ISP's DNS for ipv4only.arpa)\n".into()
            }
            None => "nat64 source: - (no PREF64 from the ISP, no DNS server to ask)\n".into(),
        }
    }
}

/// Sends the machine's queries; its events only mirror `prefixes()`.
fn flush(d: &mut Discovery, clock: &StdClock) {
    while let Some(t) = d.machine.poll_transmit(clock.now()) {
        if let Err(e) = d.sock.try_send_to(&t.payload, t.destination.server) {
            debug!("RFC 7050 query to {}: {e}", t.destination.server);
        }
    }
    while let Some(e) = d.machine.poll_event() {
        info!("NAT64 prefix discovery: {e:?}");
    }
}

#[cfg(test)]
mod tests;
