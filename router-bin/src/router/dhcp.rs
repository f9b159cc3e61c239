//! The DHCPv4 server on the LAN: the `dhcpv4-proto` machine on a UDP socket
//! bound to the LAN interface (port 67, broadcast replies), its leases in a
//! [`FileStore`] journal in the state directory, run by the crate's tokio
//! driver ([`Dhcpv4ServerDriver`]: no ACK before its lease is fsynced, the
//! write on tokio's blocking pool). This module adds what is the router's
//! own: the DNS servers learnt from the WAN (the server rebuilt, leases
//! kept), short leases until then, and the `router status` lease list.
//! Lease times run on a clock counted from the UNIX epoch so they survive a
//! restart.

use std::net::Ipv4Addr;

use dhcpv4_proto::driver::Dhcpv4ServerDriver;
use dhcpv4_proto::file_store::FileStore;
use dhcpv4_proto::lease::{Lease, LeaseState, LeaseStore};
use dhcpv4_proto::server::{Dhcpv4PoolConfig, Dhcpv4Server, Dhcpv4ServerConfig, Dhcpv4ServerEvent};
use sansio_primitives::{Duration, StdClock};
use tracing::{info, warn};

use crate::router::config::{Config, LanAddr};

/// Pool interface id (one LAN).
const LAN: u32 = 1;

/// Lease time while no DNS servers are known (before the first IPCP).
const LEASE_WITHOUT_DNS: Duration = Duration::from_secs(120);

/// The LAN's DHCP service.
pub struct LanDhcp {
    /// The server machine, its socket and the lease journal.
    driver: Dhcpv4ServerDriver<FileStore>,
    /// DNS servers waiting for the write in flight to end (the server is
    /// rebuilt then).
    deferred_dns: Option<Vec<Ipv4Addr>>,
    lan: LanAddr,
    range: [Ipv4Addr; 2],
    lease_time: Duration,
    /// `dhcp.ipv6_only_preferred` (RFC 8925 option 108).
    v6only: Option<u32>,
    configured_dns: Vec<Ipv4Addr>,
    dns: Vec<Ipv4Addr>,
}

impl LanDhcp {
    /// Opens the lease journal and the socket; serves at once, with the
    /// configured DNS servers or, until [`Self::set_wan_dns`] gives some,
    /// none and short leases.
    pub fn open(cfg: &Config) -> Result<LanDhcp, String> {
        let lan = cfg.lan_addr()?;
        let path = cfg.state_dir.join("dhcp-leases");
        let (mut store, report) =
            FileStore::open(&path).map_err(|e| format!("lease file {}: {e}", path.display()))?;
        if report.bad_count > 0 {
            warn!(
                file = %path.display(),
                "{} corrupt lease record(s) dropped (first at line {:?}); {} kept",
                report.bad_count,
                report.bad_lines.first(),
                report.records
            );
        }
        let restored = store
            .load()
            .map_err(|e| format!("lease file {}: {e}", path.display()))?;
        // Lease times are wall-clock: they are stored and outlive restarts.
        let clock = StdClock::since_unix_epoch();
        let lease_time = Duration::from_secs(cfg.dhcp.lease_time);
        let dns = cfg.dhcp_dns();
        // Serve at once, even before the WAN has given DNS servers: the LAN
        // must reach the router while the ISP is down. Until then leases
        // are short, so hosts come back for the DNS servers soon.
        let server = build(
            &clock,
            lan,
            cfg.dhcp.range,
            lease_time,
            &dns,
            cfg.dhcp.ipv6_only_preferred,
            restored,
        )?;
        let driver = Dhcpv4ServerDriver::bind(&cfg.lan.interface, LAN, server, store, clock)
            .map_err(|e| {
                format!(
                    "DHCP socket on {} port 67: {e} (does the interface exist? another DHCP server running?)",
                    cfg.lan.interface
                )
            })?;
        Ok(LanDhcp {
            driver,
            deferred_dns: None,
            lan,
            range: cfg.dhcp.range,
            lease_time,
            v6only: cfg.dhcp.ipv6_only_preferred,
            configured_dns: cfg.dhcp_dns(),
            dns,
        })
    }

    /// The DNS servers IPCP gave; used when none are configured. The server
    /// is rebuilt (leases kept) when they change.
    pub fn set_wan_dns(&mut self, dns: Vec<Ipv4Addr>) {
        if !self.configured_dns.is_empty() || dns.is_empty() || dns == self.dns {
            return;
        }
        let clock = *self.driver.clock();
        let Some(server) = self.driver.server_mut() else {
            // The server's pending changes belong to the write in flight.
            self.deferred_dns = Some(dns);
            return;
        };
        let leases = server.leases().cloned().collect();
        match build(
            &clock,
            self.lan,
            self.range,
            self.lease_time,
            &dns,
            self.v6only,
            leases,
        ) {
            Ok(new) => {
                *server = new;
                self.dns = dns;
            }
            Err(e) => warn!("DHCP server not restarted: {e}"),
        }
    }

    /// Waits for and handles a datagram, the end of a lease write or a
    /// timer (see [`Dhcpv4ServerDriver::step`]), and logs what the server
    /// did. Cancel-safe.
    pub async fn step(&mut self) {
        if let Err(e) = self.driver.step().await {
            warn!("DHCP: {e}");
        }
        while let Some(e) = self.driver.poll_event() {
            match e {
                Dhcpv4ServerEvent::Leased(l) => info!(
                    "DHCP lease {} to {} ({})",
                    l.address,
                    mac(&l.hardware),
                    String::from_utf8_lossy(l.hostname.as_deref().unwrap_or(b"-"))
                ),
                Dhcpv4ServerEvent::Released(a) => info!("DHCP lease {a} released"),
                Dhcpv4ServerEvent::Declined(a) => warn!("DHCP address {a} declined by a client"),
                Dhcpv4ServerEvent::Refused { reason, .. } => {
                    warn!("DHCP request refused: {reason:?}")
                }
            }
        }
        if !self.driver.is_writing()
            && let Some(dns) = self.deferred_dns.take()
        {
            self.set_wan_dns(dns);
        }
    }

    /// The bound leases' host names (DHCP option 12, as the client sent
    /// them) and addresses, for the DNS forwarder's local names.
    pub fn named_leases(&self) -> Vec<(Vec<u8>, Ipv4Addr)> {
        let now = self.driver.clock().now();
        self.driver
            .server()
            .leases()
            .filter(|l| l.state == LeaseState::Bound && l.is_held(now))
            .filter_map(|l| Some((l.hostname.clone()?, l.address)))
            .collect()
    }

    /// The bound leases, one line each, for `router status`.
    pub fn leases_text(&self) -> String {
        let server = self.driver.server();
        let now = self.driver.clock().now();
        let mut out = String::new();
        for l in server
            .leases()
            .filter(|l| l.state == LeaseState::Bound && l.is_held(now))
        {
            out.push_str(&format!(
                "  {} {} {} expires in {}s\n",
                l.address,
                mac(&l.hardware),
                String::from_utf8_lossy(l.hostname.as_deref().unwrap_or(b"-")),
                l.expires.saturating_duration_since(now).as_secs()
            ));
        }
        if out.is_empty() {
            out.push_str("  (none)\n");
        }
        out
    }
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A server for the LAN pool handing out `dns`, holding `leases`.
fn build(
    clock: &StdClock,
    lan: LanAddr,
    range: [Ipv4Addr; 2],
    lease_time: Duration,
    dns: &[Ipv4Addr],
    v6only: Option<u32>,
    leases: Vec<Lease>,
) -> Result<Dhcpv4Server, String> {
    let mut pool = Dhcpv4PoolConfig::new(
        LAN,
        lan.network(),
        lan.prefix_len,
        range[0],
        range[1],
        Some(lan.address),
    );
    pool.dns = dns.to_vec();
    // `dns` already names the router when its forwarder runs
    // (Config::dhcp_dns); otherwise no DNS option until IPCP gave some.
    pool.dns_defaults_to_router = false;
    pool.ipv6_only_preferred = v6only;
    let mut sc = Dhcpv4ServerConfig::new(lan.address, vec![pool]);
    sc.lease_time = if dns.is_empty() {
        lease_time.min(LEASE_WITHOUT_DNS)
    } else {
        lease_time
    };
    let mut server = Dhcpv4Server::new(sc, clock.now()).map_err(|e| e.to_string())?;
    let ignored = server.restore(leases);
    if ignored > 0 {
        warn!("{ignored} stored lease(s) outside the DHCP range ignored");
    }
    info!(dns = ?dns, "DHCP server serving {}..{}", range[0], range[1]);
    Ok(server)
}
