//! The LAN's caching DNS forwarder: the `dns64` machine on its tokio driver
//! (`dns64::driver`), UDP and TCP port 53 on the router's LAN IPv4 address
//! and on every IPv6 address of the LAN interface (one `[::]:53` socket
//! bound to the interface: the link-local address RAs name in RDNSS and the
//! global `prefix::1` after a renumbering alike, nothing to rebind), queries
//! from outside the LAN REFUSED (IPv4: not from the LAN prefix; IPv6: only
//! what arrives on the LAN interface reaches the socket), the DHCP clients'
//! host names answered locally (A and PTR from the DHCPv4 leases, AAAA when
//! a source of IPv6 addresses gives them), DNS64 only when
//! `dns.dns64_prefix` is set.
//!
//! Upstreams: `dns.upstreams` when configured, else what the WAN gave
//! ([`LanDns::set_upstreams`] per source: IPCP today, DHCPv6 later); none
//! yet (the WAN down at start) = SERVFAIL at once, local names still
//! answered.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use dns64::driver::{Dns64Driver, Dns64DriverConfig, Dns64Listeners};
use dns64::{Dns64, Dns64Acl, Dns64Config, Dns64Net, Nat64Prefix};
use sansio_primitives::{SeededRng, StdClock};
use socket2::{Domain, Protocol, Socket, Type};
use tracing::{info, warn};

use crate::router::config::{Config, LanAddr};
use crate::router::dhcp::LanDhcp;

/// DNS.
const PORT: u16 = 53;

/// How often the DHCP leases' names are read again: a lease ends without a
/// DHCP message.
pub const NAMES_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// Where upstreams or local hosts come from.
pub type Source = &'static str;

/// The forwarder and what it was told.
pub struct LanDns {
    /// `None` only when a restart failed (logged).
    driver: Option<Dns64Driver>,
    /// The LAN interface (its IPv6 socket is bound to it).
    lan_if: String,
    lan: LanAddr,
    /// The DNS64 prefix (`dns.dns64_prefix`, or the learned one with
    /// `auto`).
    prefix: Option<Nat64Prefix>,
    cache_entries: usize,
    configured: Vec<IpAddr>,
    domain: String,
    upstreams: BTreeMap<Source, Vec<IpAddr>>,
    hosts: BTreeMap<Source, Vec<(String, IpAddr)>>,
}

impl LanDns {
    /// Starts serving on the LAN's IPv4 address (already configured) and
    /// on the LAN interface's IPv6 addresses.
    pub async fn start(cfg: &Config) -> Result<LanDns, String> {
        let lan = cfg.lan_addr()?;
        let prefix = cfg.dns64_prefix()?;
        let listeners = listeners(lan, &cfg.lan.interface)?;
        let (m, clock) = machine(lan, prefix, cfg.dns.cache_entries)?;
        let mut me = LanDns {
            driver: Some(Dns64Driver::spawn(
                m,
                clock,
                listeners,
                Dns64DriverConfig::default(),
            )),
            lan_if: cfg.lan.interface.clone(),
            lan,
            prefix,
            cache_entries: cfg.dns.cache_entries,
            configured: cfg.dns.upstreams.clone(),
            domain: cfg.dns.local_domain.to_ascii_lowercase(),
            upstreams: BTreeMap::new(),
            hosts: BTreeMap::new(),
        };
        me.push_upstreams().await;
        info!(
            "DNS forwarder on {}:{PORT} and [::]:{PORT}%{} (UDP, TCP), upstreams {}, DNS64 {}",
            lan.address,
            cfg.lan.interface,
            if me.configured.is_empty() {
                "from the WAN".to_string()
            } else {
                format!("{:?}", me.configured)
            },
            prefix.map_or("off".to_string(), |p| p.to_string())
        );
        Ok(me)
    }

    /// The DNS servers `source` (`"ipcp"`, `"dhcpv6"`) gave; all sources'
    /// together, in the order of the sources' names (DHCPv6's first), are
    /// the upstreams unless `dns.upstreams` is configured.
    pub async fn set_upstreams(&mut self, source: Source, servers: Vec<IpAddr>) {
        if self.upstreams.get(source) == Some(&servers) {
            return;
        }
        self.upstreams.insert(source, servers);
        self.push_upstreams().await;
    }

    /// The LAN hosts `source` (`"dhcpv4"`, ...) knows: name (a single label
    /// as DHCP clients send it, answered under `dns.local_domain`) and
    /// address. Names that are no valid label are left out.
    pub async fn set_hosts(&mut self, source: Source, hosts: Vec<(String, IpAddr)>) {
        if self.hosts.get(source) == Some(&hosts) {
            return;
        }
        self.hosts.insert(source, hosts);
        self.push_hosts().await;
    }

    /// The DHCPv4 server's bound leases with a host name, now.
    pub async fn refresh_dhcpv4(&mut self, dhcp: &LanDhcp) {
        self.set_hosts("dhcpv4", dhcpv4_hosts(dhcp.named_leases()))
            .await;
    }

    /// `dns.dns64_prefix = "auto"`: the NAT64 prefix learned (or lost).
    /// The machine takes its prefixes at creation, so the forwarder is
    /// restarted with it (its cache starts empty); a prefix changes rarely.
    pub async fn set_dns64_prefix(&mut self, prefix: Option<Nat64Prefix>) {
        if prefix == self.prefix {
            return;
        }
        info!(
            "DNS64 {}",
            prefix.map_or("off".to_string(), |p| p.to_string())
        );
        self.prefix = prefix;
        // The old one lets go of port 53 first.
        if let Some(old) = self.driver.take() {
            old.shutdown().await;
        }
        let spawned = listeners(self.lan, &self.lan_if).and_then(|l| {
            let (m, clock) = machine(self.lan, prefix, self.cache_entries)?;
            Ok(Dns64Driver::spawn(
                m,
                clock,
                l,
                Dns64DriverConfig::default(),
            ))
        });
        match spawned {
            Ok(d) => self.driver = Some(d),
            Err(e) => warn!("DNS forwarder not restarted: {e}"),
        }
        self.push_upstreams().await;
        self.push_hosts().await;
    }

    /// One line for `router status`.
    pub async fn status_text(&self) -> String {
        let Some(d) = &self.driver else {
            return "dns: not running (restart failed, see the log)\n".into();
        };
        match d.stats().await {
            Ok(s) => format!(
                "dns: on {}, upstreams {:?}, {} queries, {} from cache, {} local, {} refused, {} servfail, {} local names, dns64 {}\n",
                d.udp_addrs()
                    .iter()
                    .map(|a| match a.ip().is_unspecified() {
                        true => format!("[{}]%{}", a.ip(), self.lan_if),
                        false => a.ip().to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                self.upstream_list(),
                s.machine.client_queries + s.machine.refused,
                s.machine.cache_hits,
                s.machine.local_answers,
                s.machine.refused,
                s.machine.servfail,
                s.local_names,
                self.prefix.map_or("off".to_string(), |p| p.to_string())
            ),
            Err(e) => format!("dns: {e}\n"),
        }
    }

    fn upstream_list(&self) -> Vec<SocketAddr> {
        let list: Vec<IpAddr> = match self.configured.is_empty() {
            false => self.configured.clone(),
            true => self.upstreams.values().flatten().copied().collect(),
        };
        let mut out: Vec<SocketAddr> = Vec::new();
        for a in list {
            let s = SocketAddr::new(a, PORT);
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    async fn push_upstreams(&mut self) {
        let list = self.upstream_list();
        if let Some(d) = &self.driver
            && d.set_upstreams(list.clone()).await.is_ok()
        {
            info!("DNS upstreams {list:?}");
        }
    }

    async fn push_hosts(&mut self) {
        let mut names: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
        for (name, addr) in self.hosts.values().flatten() {
            let Some(label) = label(name) else { continue };
            let fqdn = format!("{label}.{}", self.domain);
            let addrs = names.entry(fqdn).or_default();
            if !addrs.contains(addr) {
                addrs.push(*addr);
            }
        }
        let count = names.len();
        let Some(d) = &self.driver else { return };
        match d.set_local_names(names.into_iter().collect()).await {
            Ok(()) => info!("DNS local names: {count}"),
            Err(e) => warn!("DNS local names not updated: {e}"),
        }
    }
}

/// DHCPv4 leases' (host name, address) as [`LanDns::set_hosts`] takes
/// them.
pub fn dhcpv4_hosts(leases: Vec<(Vec<u8>, Ipv4Addr)>) -> Vec<(String, IpAddr)> {
    leases
        .into_iter()
        .map(|(n, a)| (String::from_utf8_lossy(&n).into_owned(), IpAddr::V4(a)))
        .collect()
}

/// A host name as a DNS label (lowercase; letters, digits, hyphens, not at
/// the ends; at most 63), or `None`.
fn label(name: &str) -> Option<String> {
    // A client sending its FQDN: the first label.
    let l = name.split('.').next()?.to_ascii_lowercase();
    let ok = !l.is_empty()
        && l.len() <= 63
        && !l.starts_with('-')
        && !l.ends_with('-')
        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some(l)
}

/// The machine for the LAN: clients from the LAN's prefixes and the router
/// itself; DNS64 for every client when a prefix is set, else for none.
fn machine(
    lan: LanAddr,
    prefix: Option<Nat64Prefix>,
    cache_entries: usize,
) -> Result<(Dns64, StdClock), String> {
    // The machine wants a prefix even when no client gets DNS64; it is
    // never used then (`clients` is empty, ipv4only.arpa goes upstream).
    let mut c = Dns64Config::new(vec![prefix.unwrap_or(Nat64Prefix::WELL_KNOWN)], Vec::new());
    // IPv4: the LAN's prefix (the socket is on the LAN address, which the
    // WAN can reach too). IPv6: any source, as the only IPv6 socket is
    // bound to the LAN interface and hears nothing from elsewhere.
    c.allow_query = Dns64Acl {
        elements: vec![
            (
                true,
                Dns64Net::new(IpAddr::V4(lan.network()), lan.prefix_len),
            ),
            (true, Dns64Net::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8)),
            (true, Dns64Net::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)),
        ],
    };
    if prefix.is_none() {
        c.clients = Dns64Acl::none();
        c.answer_ipv4only_arpa = false;
    }
    c.cache_entries = cache_entries;
    let seed = crate::daemon::os_seed()?;
    let clock = StdClock::new();
    let m = Dns64::new(c, SeededRng::from_seed(seed), clock.now()).map_err(|e| e.to_string())?;
    Ok((m, clock))
}

/// A socket on `addr` port 53; IPv6 only on `device` (SO_BINDTODEVICE).
fn bind(addr: IpAddr, ty: Type, device: Option<&str>) -> std::io::Result<Socket> {
    let (domain, proto) = match (addr, ty == Type::DGRAM) {
        (IpAddr::V4(_), true) => (Domain::IPV4, Protocol::UDP),
        (IpAddr::V4(_), false) => (Domain::IPV4, Protocol::TCP),
        (IpAddr::V6(_), true) => (Domain::IPV6, Protocol::UDP),
        (IpAddr::V6(_), false) => (Domain::IPV6, Protocol::TCP),
    };
    let s = Socket::new(domain, ty, Some(proto))?;
    s.set_reuse_address(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    if let Some(d) = device {
        s.bind_device(Some(d.as_bytes()))?;
    }
    s.set_nonblocking(true)?;
    s.bind(&SocketAddr::new(addr, PORT).into())?;
    if ty == Type::STREAM {
        s.listen(64)?;
    }
    Ok(s)
}

/// UDP and TCP on the LAN's IPv4 address, and on `[::]` of the LAN
/// interface (left out, with a warning, where IPv6 is off).
fn listeners(lan: LanAddr, lan_if: &str) -> Result<Dns64Listeners, String> {
    let mut l = Dns64Listeners::default();
    let v6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    for (a, device) in [(IpAddr::V4(lan.address), None), (v6, Some(lan_if))] {
        let err = |e: std::io::Error| {
            format!("DNS on {a} port {PORT}: {e} (another DNS server running?)")
        };
        let pair = bind(a, Type::DGRAM, device).and_then(|u| {
            let t = bind(a, Type::STREAM, device)?;
            Ok((
                tokio::net::UdpSocket::from_std(u.into())?,
                tokio::net::TcpListener::from_std(t.into())?,
            ))
        });
        match pair {
            Ok((u, t)) => {
                l.udp.push(u);
                l.tcp.push(t);
            }
            Err(e) if a.is_ipv6() => warn!("{}; IPv4 only", err(e)),
            Err(e) => return Err(err(e)),
        }
    }
    Ok(l)
}
