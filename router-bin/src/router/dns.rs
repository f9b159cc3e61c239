//! The LAN's caching DNS forwarder: the `dns64` machine on its tokio driver
//! (`dns64::driver`), UDP and TCP port 53 on the router's LAN addresses
//! (IPv4 always, the LAN's IPv6 address once there is one), queries from
//! outside the LAN's prefixes REFUSED, the DHCP clients' host names
//! answered locally (A and PTR from the DHCPv4 leases, AAAA when a source
//! of IPv6 addresses gives them), DNS64 only when `dns.dns64_prefix` is set.
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

/// DNS.
const PORT: u16 = 53;

/// Where upstreams or local hosts come from.
pub type Source = &'static str;

/// The forwarder and what it was told.
pub struct LanDns {
    /// `None` only when a restart failed (logged).
    driver: Option<Dns64Driver>,
    lan: LanAddr,
    lan6: Option<Ipv6Addr>,
    /// The LAN's link-local address and interface index: the RDNSS the
    /// LAN's RAs announce.
    lan_ll: Option<(Ipv6Addr, u32)>,
    configured: Vec<IpAddr>,
    prefix: Option<Nat64Prefix>,
    cache_entries: usize,
    domain: String,
    upstreams: BTreeMap<Source, Vec<IpAddr>>,
    hosts: BTreeMap<Source, Vec<(String, IpAddr)>>,
}

impl LanDns {
    /// Starts serving on the LAN's IPv4 address (already configured) and
    /// its first global IPv6 address if it has one.
    pub async fn start(cfg: &Config) -> Result<LanDns, String> {
        let lan = cfg.lan_addr()?;
        let prefix = cfg.dns64_prefix()?;
        let mut me = LanDns {
            driver: None,
            lan,
            lan6: None,
            lan_ll: None,
            configured: cfg.dns.upstreams.clone(),
            prefix,
            cache_entries: cfg.dns.cache_entries,
            domain: cfg.dns.local_domain.to_ascii_lowercase(),
            upstreams: BTreeMap::new(),
            hosts: BTreeMap::new(),
        };
        me.lan6 = global_ipv6(&cfg.lan.interface);
        me.driver = Some(me.spawn()?);
        me.push_upstreams().await;
        info!(
            "DNS forwarder on {}{}:{PORT} (UDP, TCP), upstreams {}, DNS64 {}",
            lan.address,
            me.lan6.map_or(String::new(), |a| format!(" and [{a}]")),
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
    /// together are the upstreams unless `dns.upstreams` is configured.
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

    /// The LAN's global IPv6 address (`lan6`) or its link-local address
    /// with the interface index (`ll`) appeared, changed or went: the
    /// forwarder is restarted listening on them (its cache starts empty),
    /// queries from that /64 and from link-local sources allowed.
    pub async fn set_lan_ipv6(&mut self, lan6: Option<Ipv6Addr>, ll: Option<(Ipv6Addr, u32)>) {
        if (lan6, ll) == (self.lan6, self.lan_ll) {
            return;
        }
        self.lan6 = lan6;
        self.lan_ll = ll;
        self.restart().await;
    }

    /// `dns.dns64_prefix = "auto"`: the NAT64 prefix learned (or lost);
    /// the forwarder restarts with it.
    pub async fn set_dns64_prefix(&mut self, prefix: Option<Nat64Prefix>) {
        if prefix == self.prefix {
            return;
        }
        info!("DNS64 prefix {prefix:?}");
        self.prefix = prefix;
        self.restart().await;
    }

    async fn restart(&mut self) {
        // The old one lets go of port 53 first.
        if let Some(old) = self.driver.take() {
            old.shutdown().await;
        }
        self.driver = match self.spawn() {
            Ok(d) => Some(d),
            Err(e) => {
                warn!(
                    "DNS forwarder on IPv6 {:?} {:?}: {e}; on IPv4 only",
                    self.lan6, self.lan_ll
                );
                self.lan6 = None;
                self.lan_ll = None;
                self.spawn()
                    .inspect_err(|e| warn!("DNS forwarder not restarted: {e}"))
                    .ok()
            }
        };
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
                    .map(|a| a.ip().to_string())
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

    fn spawn(&self) -> Result<Dns64Driver, String> {
        let l = listeners(self.lan, self.lan6, self.lan_ll)?;
        let (m, clock) = machine(
            self.lan,
            self.lan6,
            self.lan_ll.is_some(),
            self.prefix,
            self.cache_entries,
        )?;
        Ok(Dns64Driver::spawn(
            m,
            clock,
            l,
            Dns64DriverConfig::default(),
        ))
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

/// The first global IPv6 address of `ifname` (from `/proc/net/if_inet6`:
/// address, index, prefix length, scope, flags, name), if any.
pub fn global_ipv6(ifname: &str) -> Option<Ipv6Addr> {
    let text = std::fs::read_to_string("/proc/net/if_inet6").ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let global = f.get(3) == Some(&"00") && f.get(5) == Some(&ifname);
        let bits = u128::from_str_radix(f.first()?, 16).ok()?;
        global.then(|| Ipv6Addr::from(bits))
    })
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
    lan6: Option<Ipv6Addr>,
    link_local: bool,
    prefix: Option<Nat64Prefix>,
    cache_entries: usize,
) -> Result<(Dns64, StdClock), String> {
    // The machine wants a prefix even when no client gets DNS64; it is
    // never used then (`clients` is empty, ipv4only.arpa goes upstream).
    let mut c = Dns64Config::new(vec![prefix.unwrap_or(Nat64Prefix::WELL_KNOWN)], Vec::new());
    let mut allow = vec![
        (
            true,
            Dns64Net::new(IpAddr::V4(lan.network()), lan.prefix_len),
        ),
        (true, Dns64Net::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8)),
        (true, Dns64Net::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128)),
    ];
    if let Some(a) = lan6 {
        allow.push((true, Dns64Net::new(IpAddr::V6(a), 64)));
    }
    if link_local {
        // Only the LAN reaches the link-local listener (its scope).
        allow.push((
            true,
            Dns64Net::new(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 10),
        ));
    }
    c.allow_query = Dns64Acl { elements: allow };
    if prefix.is_none() {
        c.clients = Dns64Acl::none();
        c.answer_ipv4only_arpa = false;
    }
    c.cache_entries = cache_entries;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    let clock = StdClock::new();
    let m = Dns64::new(c, SeededRng::from_seed(seed), clock.now()).map_err(|e| e.to_string())?;
    Ok((m, clock))
}

/// A socket on `addr` port 53 (IPv6: FREEBIND, so an address still in
/// duplicate address detection can be bound).
fn bind(addr: IpAddr, scope: u32, ty: Type) -> std::io::Result<Socket> {
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
        s.set_freebind_v6(true)?;
    }
    s.set_nonblocking(true)?;
    let to = match addr {
        IpAddr::V6(a) => SocketAddr::V6(std::net::SocketAddrV6::new(a, PORT, 0, scope)),
        v4 => SocketAddr::new(v4, PORT),
    };
    s.bind(&to.into())?;
    if ty == Type::STREAM {
        s.listen(64)?;
    }
    Ok(s)
}

fn listeners(
    lan: LanAddr,
    lan6: Option<Ipv6Addr>,
    ll: Option<(Ipv6Addr, u32)>,
) -> Result<Dns64Listeners, String> {
    let mut l = Dns64Listeners::default();
    let addrs = std::iter::once((IpAddr::V4(lan.address), 0))
        .chain(lan6.map(|a| (IpAddr::V6(a), 0)))
        .chain(ll.map(|(a, i)| (IpAddr::V6(a), i)));
    for (a, scope) in addrs {
        let err = |e: std::io::Error| {
            format!("DNS on {a} port {PORT}: {e} (another DNS server running?)")
        };
        let udp = bind(a, scope, Type::DGRAM).map_err(err)?;
        let tcp = bind(a, scope, Type::STREAM).map_err(err)?;
        l.udp
            .push(tokio::net::UdpSocket::from_std(udp.into()).map_err(err)?);
        l.tcp
            .push(tokio::net::TcpListener::from_std(tcp.into()).map_err(err)?);
    }
    Ok(l)
}
