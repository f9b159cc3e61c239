//! The router's IPv6 logic without sockets: the DHCPv6-PD client
//! ([`Dhcpv6Client`]) on the WAN, the LAN's advertising router
//! ([`NdpRouter`]) numbered from what it delegates, and the kernel changes
//! that follow ([`NetChange`]). The driver in the parent module moves
//! datagrams and time in and out.
//!
//! Drain order, as for the machines inside: after each `handle_*` call or
//! command, drain [`Ipv6Core::poll_dhcp`], [`Ipv6Core::poll_ra`],
//! [`Ipv6Core::poll_net`] and [`Ipv6Core::poll_save`] until `None`, and read
//! [`Ipv6Core::poll_timeout`] last.

use std::collections::VecDeque;
use std::net::Ipv6Addr;

use dhcpv6_proto::client::Dhcpv6ClientDestination;
use dhcpv6_proto::wire::Duid;
use dhcpv6_proto::{Dhcpv6Client, Dhcpv6ClientConfig};
use ndp_proto::wire::{Pref64, Pref64Length};
use ndp_proto::{NdpDnsServers, NdpRouter, NdpRouterConfig};
use sansio_primitives::{Duration, Instant, SeededRng, Transmit};
use tracing::{info, warn};

use super::Ipv6Config;

/// A kernel change the driver applies (in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetChange {
    /// Add `lan::1/64` to the LAN interface (`lan` is the /64).
    AddLanAddress(Ipv6Addr),
    /// Remove `lan::1/64` from the LAN interface.
    DeleteLanAddress(Ipv6Addr),
    /// An unreachable route for the delegated prefix: what the LAN /64
    /// does not cover goes nowhere, never back up the default route.
    AddUnreachable(Ipv6Addr, u8),
    /// Remove that route.
    DeleteUnreachable(Ipv6Addr, u8),
}

/// Deprecated /64s kept (the advertising router's `max_stale_prefixes`).
const MAX_DEPRECATED: usize = 4;

/// The router's own address in a LAN /64: `prefix::1`.
pub fn router_address(lan: Ipv6Addr) -> Ipv6Addr {
    Ipv6Addr::from(u128::from(lan) | 1)
}

/// What the ISP delegated and the LAN /64 carved from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delegation {
    /// The delegated prefix.
    pub prefix: Ipv6Addr,
    /// Its length.
    pub prefix_len: u8,
    /// The LAN's /64.
    pub lan: Ipv6Addr,
    /// When the preferred lifetime ends.
    pub preferred_until: Instant,
    /// When the valid lifetime ends.
    pub valid_until: Instant,
}

/// The first `len` bits of `a`.
fn mask(a: Ipv6Addr, len: u8) -> u128 {
    u128::from(a) & !(u128::MAX.checked_shr(u32::from(len)).unwrap_or(0))
}

/// Lifetime seconds from DHCPv6 (`0xffff_ffff` = infinity) as a duration.
fn lifetime(secs: u32) -> Duration {
    // Infinity: a century is as good, and adds to an Instant safely.
    Duration::from_secs(u64::from(secs.min(100 * 365 * 86400)))
}

/// The IPv6 side of the router. See the [module docs](self).
pub struct Ipv6Core {
    cfg: Ipv6Config,
    duid: Duid,
    hint: Option<(Ipv6Addr, u8)>,
    rng: SeededRng,
    client: Option<Dhcpv6Client>,
    ra: Option<NdpRouter>,
    wan_up: bool,
    delegated: Option<Delegation>,
    /// LAN /64s of earlier delegations still advertised as deprecated
    /// (RFC 9096), and when they run out at the latest; as many as the
    /// advertising router keeps.
    deprecated: VecDeque<(Ipv6Addr, Instant)>,
    dns: Vec<Ipv6Addr>,
    /// The LAN's RDNSS names the router (its DNS forwarder runs) rather
    /// than the servers DHCPv6 gave.
    rdnss_is_router: bool,
    nat64: Option<(Ipv6Addr, u8)>,
    net: VecDeque<NetChange>,
    save: Option<(Ipv6Addr, u8)>,
}

impl Ipv6Core {
    /// The logic for `cfg`; the PD client (DUID-LL of `wan_mac`) starts
    /// when the WAN's IPv6CP is up, hinting `hint` (the prefix delegated
    /// before a restart).
    pub fn new(
        cfg: Ipv6Config,
        wan_mac: [u8; 6],
        hint: Option<(Ipv6Addr, u8)>,
        rng: SeededRng,
    ) -> Ipv6Core {
        Ipv6Core {
            cfg,
            duid: Duid::ethernet(wan_mac),
            hint,
            rng,
            client: None,
            ra: None,
            wan_up: false,
            delegated: None,
            deprecated: VecDeque::new(),
            dns: Vec::new(),
            rdnss_is_router: true,
            nat64: None,
            net: VecDeque::new(),
            save: None,
        }
    }

    /// Whether the router answers DNS on the LAN (its forwarder runs): then
    /// the RAs' RDNSS is the router's link-local address, else the servers
    /// DHCPv6 gave (none until it gave some), so that hosts are never told
    /// of a resolver nobody runs. Call before the LAN is ready.
    pub fn set_rdnss_is_router(&mut self, yes: bool) {
        self.rdnss_is_router = yes;
    }

    /// What the RAs' RDNSS names now.
    fn rdnss(&self) -> NdpDnsServers {
        match self.rdnss_is_router {
            true => NdpDnsServers::Router,
            false => NdpDnsServers::List(self.dns.clone()),
        }
    }

    /// The DNS servers DHCPv6 gave (for the router's DNS forwarder).
    pub fn dns_servers(&self) -> &[Ipv6Addr] {
        &self.dns
    }

    /// IPv6CP is up (the link-local address is on the PPP interface): the
    /// first time, Solicit with the hint; after a reconnect, Rebind what
    /// is held (RFC 8415 §18.2.12). The LAN gets a default router again.
    pub fn wan_up(&mut self, now: Instant) {
        self.wan_up = true;
        match &mut self.client {
            Some(c) => c.link_up(now),
            None => {
                let mut c = Dhcpv6ClientConfig::new(self.duid.clone());
                c.prefix_len_hint = self.cfg.prefix_hint;
                c.last_prefix = self.hint;
                match Dhcpv6Client::new(c, self.rng.fork(), now) {
                    Ok(c) => self.client = Some(c),
                    Err(e) => warn!("DHCPv6 client not started: {e}"),
                }
            }
        }
        if let Some(ra) = &mut self.ra {
            let _ = ra.set_upstream(now, true);
        }
        self.pump(now);
    }

    /// IPv6CP or the session is down: the LAN is told at once that the
    /// router is no default router any more (RFC 7084 G-4); the prefix
    /// stays while its lifetimes last.
    pub fn wan_down(&mut self, now: Instant) {
        self.wan_up = false;
        if let Some(ra) = &mut self.ra {
            let _ = ra.set_upstream(now, false);
        }
        self.pump(now);
    }

    /// The LAN interface has its link-local address (`source` of every
    /// RA) and `mac`: advertising starts.
    pub fn lan_ready(&mut self, now: Instant, source: Ipv6Addr, mac: Option<[u8; 6]>) {
        let mut c = NdpRouterConfig::new(source);
        c.link_layer_address = mac;
        c.lan_index = self.cfg.lan_subnet;
        c.max_stale_prefixes = MAX_DEPRECATED;
        c.max_interval = Duration::from_secs(self.cfg.ra_interval);
        c.min_interval = Duration::from_secs((self.cfg.ra_interval / 3).max(3));
        c.router_lifetime = Duration::from_secs((self.cfg.ra_interval * 3).clamp(1800, 9000));
        c.dns_lifetime = Duration::from_secs(self.cfg.ra_interval * 3);
        c.dns_servers = self.rdnss();
        c.pref64 = self.nat64.and_then(|p| self.pref64(p));
        let mut ra = match NdpRouter::new(c, self.rng.fork(), now) {
            Ok(r) => r,
            Err(e) => {
                warn!("no router advertisements on the LAN: {e}");
                return;
            }
        };
        let _ = ra.set_upstream(now, self.wan_up);
        if let Some(d) = self.delegated {
            let _ = ra.set_delegated_prefix(
                now,
                d.prefix,
                d.prefix_len,
                d.valid_until.saturating_duration_since(now),
                d.preferred_until.saturating_duration_since(now),
            );
        }
        // The first RA leaves at once.
        ra.handle_timeout(now);
        info!("router advertisements on the LAN from {source}");
        self.ra = Some(ra);
        self.pump(now);
    }

    /// One DHCPv6 datagram from the WAN (UDP port 546).
    pub fn handle_dhcp(&mut self, now: Instant, datagram: &[u8]) {
        if let Some(c) = &mut self.client
            && let Err(e) = c.handle_input(now, datagram)
        {
            tracing::debug!("DHCPv6 datagram dropped: {e}");
        }
        self.pump(now);
    }

    /// One ICMPv6 message from the LAN, with its IPv6 source, destination
    /// and hop limit.
    pub fn handle_icmp(
        &mut self,
        now: Instant,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hops: u8,
        msg: &[u8],
    ) {
        if let Some(ra) = &mut self.ra
            && let Err(e) = ra.handle_input(now, src, dst, hops, msg)
        {
            tracing::debug!("ICMPv6 from {src} on the LAN dropped: {e}");
        }
        self.pump(now);
    }

    /// Timers of both machines.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(c) = &mut self.client {
            c.handle_timeout(now);
        }
        if let Some(ra) = &mut self.ra {
            ra.handle_timeout(now);
        }
        self.pump(now);
    }

    /// Sets or clears the NAT64 prefix (from PREF64 or RFC 7050 discovery,
    /// by the CLAT or DNS64 work): advertised to the LAN as PREF64 (RFC
    /// 8781) and shown by `router status`. The length must be one PREF64
    /// can carry (32, 40, 48, 56, 64, 96).
    pub fn set_nat64_prefix(
        &mut self,
        now: Instant,
        prefix: Option<(Ipv6Addr, u8)>,
    ) -> Result<(), String> {
        let pref64 = match prefix {
            Some(p) => Some(self.pref64(p).ok_or_else(|| {
                format!(
                    "NAT64 prefix {}/{}: length must be 32, 40, 48, 56, 64 or 96",
                    p.0, p.1
                )
            })?),
            None => None,
        };
        self.nat64 = prefix;
        if let Some(ra) = &mut self.ra {
            let _ = ra.set_pref64(now, pref64);
        }
        self.pump(now);
        Ok(())
    }

    fn pref64(&self, (prefix, len): (Ipv6Addr, u8)) -> Option<Pref64> {
        let length = Pref64Length::from_bits(len)?;
        // RFC 8781 §4.1: at least the router lifetime; the field stops at 65528 s.
        let lifetime = Duration::from_secs((self.cfg.ra_interval * 3).clamp(1800, 65528));
        Some(Pref64::new(prefix, length, lifetime))
    }

    /// The router stops: one last RA with Router Lifetime 0 (RFC 4861
    /// §6.2.5), and the LAN address and the unreachable route go.
    pub fn shutdown(&mut self, now: Instant) {
        if let Some(ra) = &mut self.ra {
            ra.shutdown(now);
        }
        if let Some(d) = self.delegated {
            self.unnumber(&d);
        }
    }

    /// The next DHCPv6 datagram for the WAN.
    pub fn poll_dhcp(&mut self, now: Instant) -> Option<Transmit<Dhcpv6ClientDestination>> {
        self.client.as_mut()?.poll_transmit(now)
    }

    /// The next RA for the LAN (to ff02::1).
    pub fn poll_ra(&mut self, now: Instant) -> Option<Transmit<Ipv6Addr>> {
        self.ra.as_mut()?.poll_transmit(now)
    }

    /// The next kernel change.
    pub fn poll_net(&mut self) -> Option<NetChange> {
        self.net.pop_front()
    }

    /// A delegated prefix to write to the state file.
    pub fn poll_save(&mut self) -> Option<(Ipv6Addr, u8)> {
        self.save.take()
    }

    /// When [`Self::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let c = self.client.as_ref().and_then(Dhcpv6Client::poll_timeout);
        let r = self.ra.as_ref().and_then(NdpRouter::poll_timeout);
        [c, r].into_iter().flatten().min()
    }

    /// The current delegation.
    pub fn delegation(&self) -> Option<Delegation> {
        self.delegated
    }
}

mod prefix;
mod status;
#[cfg(test)]
mod tests;
