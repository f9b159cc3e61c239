//! `router.toml`: what the router is told. Every key is documented in
//! `router-bin/examples/router.toml`; unknown keys are errors.

use std::net::{IpAddr, Ipv4Addr};

use dns64::Nat64Prefix;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config_file::{self, check_ifname};
use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where leases, the WAN state and the control socket live.
    pub state_dir: PathBuf,
    /// NAT44 masquerade and the forward firewall (nftables table `inet router`).
    #[serde(default = "yes")]
    pub nat: bool,
    /// The PPPoE uplink.
    pub wan: Wan,
    /// The home network.
    pub lan: Lan,
    /// The DHCPv4 server on the LAN.
    pub dhcp: Dhcp,
    /// The DNS forwarder on the LAN.
    #[serde(default)]
    pub dns: Dns,
    /// Prefix delegation from the ISP and router advertisements on the LAN.
    #[serde(default)]
    pub ipv6: crate::router::ipv6::Ipv6Config,
    /// The 464XLAT CLAT used when the WAN has no IPv4.
    #[serde(default)]
    pub clat: crate::router::clat::ClatConfig,
}

/// `[wan]` (its `Debug` hides the password).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wan {
    /// The Ethernet (or VLAN, e.g. `eth1.7`) interface PPPoE runs on.
    pub interface: String,
    /// PAP/CHAP user name.
    pub user: String,
    /// PAP/CHAP password.
    pub password: String,
    /// PPPoE Service-Name to ask for; empty = any.
    #[serde(default)]
    pub service: String,
    /// Accept only this AC-Name.
    #[serde(default)]
    pub ac_name: Option<String>,
    /// The TUN interface carrying the session's IP traffic.
    #[serde(default = "ppp0")]
    pub ppp_interface: String,
    /// Negotiate IPv6CP.
    #[serde(default = "yes")]
    pub ipv6: bool,
    /// Seconds between LCP Echo-Requests; 0 disables the keepalive.
    #[serde(default = "echo_interval")]
    pub lcp_echo_interval: u64,
    /// Unanswered Echo-Requests before the link counts as dead.
    #[serde(default = "echo_failure")]
    pub lcp_echo_failure: u8,
    /// First wait before redialling, seconds (doubles each failure).
    #[serde(default = "retry_min")]
    pub reconnect_min: u64,
    /// Cap of the redial wait, seconds.
    #[serde(default = "retry_max")]
    pub reconnect_max: u64,
    /// RFC 4638: ask the AC for this PPP-Max-Payload (1493..=1500); when
    /// it agrees, the PPP MTU is that instead of 1492 and the WAN
    /// interface's MTU is raised to payload + 8 (a "baby jumbo" frame).
    #[serde(default)]
    pub ppp_max_payload: Option<u16>,
    /// Threads carrying the session's data (1 to 8): each owns a queue of
    /// the multiqueue TUN and a packet socket of one fanout group, the
    /// kernel spreading flows over them; 1 runs the data path in the event
    /// loop. Default: one per CPU, at most 8.
    #[serde(default)]
    pub workers: Option<usize>,
    /// Send WAN frames straight to the driver (`PACKET_QDISC_BYPASS`),
    /// skipping the interface's queueing discipline: fewer cycles per
    /// frame, but no tc qdisc (fq_codel, cake shaping the upload) sees
    /// them. Default: off.
    #[serde(default)]
    pub qdisc_bypass: bool,
}

impl std::fmt::Debug for Wan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wan")
            .field("interface", &self.interface)
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .field("service", &self.service)
            .field("ac_name", &self.ac_name)
            .field("ppp_interface", &self.ppp_interface)
            .field("workers", &self.workers)
            .field("qdisc_bypass", &self.qdisc_bypass)
            .finish_non_exhaustive()
    }
}

/// `[lan]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lan {
    /// The LAN interface (bridge or port).
    pub interface: String,
    /// The router's LAN address with prefix, e.g. `198.51.100.1/24`.
    pub address: String,
}

/// `[dhcp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dhcp {
    /// Serve DHCPv4 on the LAN.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// First and last address handed out.
    pub range: [Ipv4Addr; 2],
    /// Lease time, seconds.
    #[serde(default = "lease_time")]
    pub lease_time: u64,
    /// DNS servers handed out; empty = the router when its forwarder runs
    /// (`[dns] enabled`), else the ones IPCP gave (see [`Config::dhcp_dns`]).
    #[serde(default)]
    pub dns: Vec<Ipv4Addr>,
    /// RFC 8925: option 108 (IPv6-Only Preferred) with this V6ONLY_WAIT in
    /// seconds (at least 300), to the clients that ask for it.
    #[serde(default)]
    pub ipv6_only_preferred: Option<u32>,
}

/// `[dns]`: the caching DNS forwarder on the LAN (`router::dns`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Run it (UDP and TCP port 53 on the LAN addresses); DHCP then hands
    /// out the router as the DNS server unless `dhcp.dns` names others.
    #[serde(default)]
    pub enabled: bool,
    /// Upstream resolvers; empty = the ones IPCP (and DHCPv6) gave.
    #[serde(default)]
    pub upstreams: Vec<IpAddr>,
    /// The domain the DHCP clients' host names are answered under
    /// (`laptop` → `laptop.lan`).
    #[serde(default = "lan_domain")]
    pub local_domain: String,
    /// DNS64 (RFC 6147): synthesize AAAA under this NAT64 prefix, e.g.
    /// `64:ff9b::/96`, or `auto`: the NAT64 prefix the router learned
    /// (PREF64, RFC 7050 or `ipv6.nat64_prefix`); absent = off.
    #[serde(default)]
    pub dns64_prefix: Option<String>,
    /// Answers cached at most.
    #[serde(default = "cache_entries")]
    pub cache_entries: usize,
}

impl Default for Dns {
    fn default() -> Self {
        Dns {
            enabled: false,
            upstreams: Vec::new(),
            local_domain: lan_domain(),
            dns64_prefix: None,
            cache_entries: cache_entries(),
        }
    }
}

/// RFC 8925 §4: the shortest V6ONLY_WAIT a client honours.
pub const MIN_V6ONLY_WAIT: u32 = 300;

fn lan_domain() -> String {
    "lan".into()
}
fn cache_entries() -> usize {
    4096
}

fn yes() -> bool {
    true
}
fn ppp0() -> String {
    "ppp0".into()
}
fn echo_interval() -> u64 {
    10
}
fn echo_failure() -> u8 {
    3
}
fn retry_min() -> u64 {
    1
}
fn retry_max() -> u64 {
    60
}
fn lease_time() -> u64 {
    3600
}

/// The LAN address parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanAddr {
    /// The router's address.
    pub address: Ipv4Addr,
    /// Prefix length.
    pub prefix_len: u8,
}

impl LanAddr {
    /// The network address.
    pub fn network(&self) -> Ipv4Addr {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix_len))
            .unwrap_or(0);
        Ipv4Addr::from(u32::from(self.address) & mask)
    }

    /// Whether `a` is inside the subnet.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix_len))
            .unwrap_or(0);
        u32::from(a) & mask == u32::from(self.address) & mask
    }
}

fn parse_cidr(s: &str) -> Result<LanAddr, String> {
    let (a, p) = s.split_once('/').ok_or_else(|| {
        format!("lan.address `{s}`: expected ADDRESS/PREFIX, e.g. 198.51.100.1/24")
    })?;
    let address: Ipv4Addr = a
        .parse()
        .map_err(|e| format!("lan.address `{s}`: bad IPv4 address: {e}"))?;
    let prefix_len: u8 = p
        .parse()
        .ok()
        .filter(|p| (1..=30).contains(p))
        .ok_or_else(|| format!("lan.address `{s}`: prefix must be 1 to 30"))?;
    Ok(LanAddr {
        address,
        prefix_len,
    })
}

impl Config {
    /// Reads and checks `path`; the error names the file and what to fix.
    pub fn load(path: &Path) -> Result<Config, String> {
        let c: Config = config_file::load(path)?;
        c.checked()
            .map_err(|e| format!("config {}: {e}", path.display()))
    }

    /// Parses and checks the text of a config file.
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Config, String> {
        config_file::parse::<Config>(text)?.checked()
    }

    fn checked(self) -> Result<Config, String> {
        self.lan_addr()?;
        self.check()?;
        Ok(self)
    }

    fn check(&self) -> Result<(), String> {
        check_ifname("wan.interface", &self.wan.interface)?;
        check_ifname("wan.ppp_interface", &self.wan.ppp_interface)?;
        check_ifname("lan.interface", &self.lan.interface)?;
        if self.wan.service.len() > 255 || self.wan.ac_name.as_ref().is_some_and(|n| n.len() > 255)
        {
            return Err("wan.service and wan.ac_name: at most 255 bytes".into());
        }
        if self.wan.user.is_empty() {
            return Err("wan.user must not be empty".into());
        }
        if self.wan.reconnect_min == 0
            || self.wan.reconnect_max < self.wan.reconnect_min
            || self.wan.reconnect_max > 3600
        {
            return Err(
                "wan.reconnect_min and wan.reconnect_max: 1 ≤ min ≤ max ≤ 3600 seconds".into(),
            );
        }
        if self
            .wan
            .ppp_max_payload
            .is_some_and(|p| !(1493..=1500).contains(&p))
        {
            return Err("wan.ppp_max_payload: 1493 to 1500 (leave it out for 1492)".into());
        }
        if self
            .wan
            .workers
            .is_some_and(|w| !(1..=crate::router::workers::MAX_WORKERS).contains(&w))
        {
            return Err(format!(
                "wan.workers: 1 to {} (leave it out for one per CPU)",
                crate::router::workers::MAX_WORKERS
            ));
        }
        if self.wan.lcp_echo_interval > 3600 {
            return Err("wan.lcp_echo_interval: at most 3600 seconds".into());
        }
        if self.wan.lcp_echo_interval > 0 && self.wan.lcp_echo_failure == 0 {
            return Err("wan.lcp_echo_failure must be ≥ 1".into());
        }
        let lan = self.lan_addr()?;
        let [first, last] = self.dhcp.range;
        if first > last || !lan.contains(first) || !lan.contains(last) {
            return Err(format!(
                "dhcp.range {first}..{last} must be ordered and inside lan.address {}",
                self.lan.address
            ));
        }
        if !(60..=31_536_000).contains(&self.dhcp.lease_time) {
            return Err("dhcp.lease_time: 60 seconds to 1 year (31536000)".into());
        }
        if self
            .dhcp
            .ipv6_only_preferred
            .is_some_and(|w| w < MIN_V6ONLY_WAIT)
        {
            return Err(format!(
                "dhcp.ipv6_only_preferred: at least {MIN_V6ONLY_WAIT} seconds (RFC 8925 MIN_V6ONLY_WAIT)"
            ));
        }
        if self.dhcp.dns.len() > 8 {
            return Err("dhcp.dns: at most 8 servers".into());
        }
        if self.dns.upstreams.len() > 8 {
            return Err("dns.upstreams: at most 8 servers".into());
        }
        if !(1..=1_000_000).contains(&self.dns.cache_entries) {
            return Err("dns.cache_entries: 1 to 1000000".into());
        }
        let domain_ok = |d: &str| {
            !d.is_empty()
                && d.len() <= 200
                && d.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        };
        if !domain_ok(&self.dns.local_domain) {
            return Err(format!(
                "dns.local_domain `{}`: a domain name such as `lan` or `home.arpa`",
                self.dns.local_domain
            ));
        }
        self.dns64_prefix()?;
        self.clat.check()?;
        if self.clat.subnet == Some(u64::from(self.ipv6.lan_subnet)) {
            return Err("clat.subnet must differ from ipv6.lan_subnet (the LAN's /64)".into());
        }
        self.ipv6.check()
    }

    /// `dns.dns64_prefix = "auto"`: DNS64 under the learned NAT64 prefix.
    pub fn dns64_auto(&self) -> bool {
        self.dns.dns64_prefix.as_deref() == Some("auto")
    }

    /// `dns.dns64_prefix` parsed (RFC 6052 lengths, u octet zero).
    pub fn dns64_prefix(&self) -> Result<Option<Nat64Prefix>, String> {
        let Some(text) = self.dns.dns64_prefix.as_ref().filter(|t| *t != "auto") else {
            return Ok(None);
        };
        let bad = |why: String| format!("dns.dns64_prefix `{text}`: {why}");
        let (a, l) = text
            .split_once('/')
            .ok_or_else(|| bad("expected PREFIX/LENGTH, e.g. 64:ff9b::/96".into()))?;
        let addr = a.parse().map_err(|e| bad(format!("{e}")))?;
        let len = l.parse().map_err(|e| bad(format!("{e}")))?;
        Nat64Prefix::new(addr, len)
            .map(Some)
            .map_err(|e| bad(format!("{e} (lengths 32, 40, 48, 56, 64, 96)")))
    }

    /// The DNS servers DHCP hands out: `dhcp.dns`, or the router itself
    /// when its forwarder runs, or (empty) the ones IPCP gives.
    pub fn dhcp_dns(&self) -> Vec<Ipv4Addr> {
        match (self.dhcp.dns.is_empty(), self.dns.enabled, self.lan_addr()) {
            (true, true, Ok(lan)) => vec![lan.address],
            _ => self.dhcp.dns.clone(),
        }
    }

    /// The LAN address and prefix.
    pub fn lan_addr(&self) -> Result<LanAddr, String> {
        parse_cidr(&self.lan.address)
    }

    /// How many data path workers run (`wan.workers`, else one per CPU up
    /// to 8).
    pub fn workers(&self) -> usize {
        self.wan
            .workers
            .unwrap_or_else(crate::router::workers::default_workers)
    }

    /// The LCP keepalive interval, if on.
    pub fn echo_interval(&self) -> Option<Duration> {
        (self.wan.lcp_echo_interval > 0).then(|| Duration::from_secs(self.wan.lcp_echo_interval))
    }

    /// The control socket's path.
    pub fn control_path(&self) -> PathBuf {
        self.state_dir.join("control.sock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
state_dir = "/tmp/r"
[wan]
interface = "eth1.7"
user = "alice"
password = "s3cret"
[lan]
interface = "eth0"
address = "198.51.100.1/24"
[dhcp]
range = ["198.51.100.100", "198.51.100.199"]
"#;

    #[test]
    fn defaults() {
        let c = Config::parse(GOOD).unwrap();
        assert!(c.nat && c.wan.ipv6 && c.dhcp.enabled);
        assert_eq!(c.wan.ppp_interface, "ppp0");
        assert_eq!(c.dhcp.lease_time, 3600);
        assert!(c.dhcp.dns.is_empty());
        let lan = c.lan_addr().unwrap();
        assert_eq!(lan.network(), Ipv4Addr::new(198, 51, 100, 0));
    }

    #[test]
    fn the_example_parses() {
        let text = include_str!("../../examples/router.toml");
        Config::parse(text).unwrap();
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = Config::parse(&GOOD.replace("user =", "usr =")).unwrap_err();
        assert!(e.contains("usr"), "{e}");
        let e = Config::parse(&GOOD.replace("/24", "")).unwrap_err();
        assert!(e.contains("ADDRESS/PREFIX"), "{e}");
        let e = Config::parse(&GOOD.replace("198.51.100.199", "203.0.113.9")).unwrap_err();
        assert!(e.contains("inside lan.address"), "{e}");
    }

    #[test]
    fn ipv6_only_keys() {
        let c = Config::parse(GOOD).unwrap();
        assert_eq!(c.dhcp.ipv6_only_preferred, None);
        assert!(c.clat.enabled && c.clat.interface == "clat0" && !c.dns64_auto());
        let on = Config::parse(&format!(
            "{}ipv6_only_preferred = 1800\n[dns]\ndns64_prefix = \"auto\"\n[clat]\nsubnet = 7\n",
            GOOD
        ))
        .unwrap();
        assert_eq!(on.dhcp.ipv6_only_preferred, Some(1800));
        assert!(on.dns64_auto());
        assert_eq!(on.dns64_prefix().unwrap(), None);
        assert_eq!(on.clat.subnet_in(56), 7);
        let e = Config::parse(&format!("{GOOD}ipv6_only_preferred = 299\n")).unwrap_err();
        assert!(e.contains("at least 300"), "{e}");
        let e = Config::parse(&format!("{GOOD}[clat]\nsubnet = 0\n")).unwrap_err();
        assert!(e.contains("ipv6.lan_subnet"), "{e}");
    }

    #[test]
    fn dns_keys() {
        let c = Config::parse(GOOD).unwrap();
        assert!(!c.dns.enabled && c.dns.upstreams.is_empty());
        assert_eq!(c.dns.local_domain, "lan");
        assert_eq!(c.dns64_prefix().unwrap(), None);
        assert!(c.dhcp_dns().is_empty(), "IPCP's servers until told");
        let on = Config::parse(&format!(
            "{GOOD}[dns]\nenabled = true\ndns64_prefix = \"64:ff9b::/96\"\n"
        ))
        .unwrap();
        assert_eq!(on.dhcp_dns(), vec![Ipv4Addr::new(198, 51, 100, 1)]);
        assert_eq!(on.dns64_prefix().unwrap(), Some(Nat64Prefix::WELL_KNOWN));
        // dhcp.dns wins over the router's own forwarder.
        let named = GOOD.replace(
            "[dhcp]",
            "[dns]\nenabled = true\n[dhcp]\ndns = [\"192.0.2.53\"]",
        );
        let named = Config::parse(&named).unwrap();
        assert_eq!(named.dhcp_dns(), vec![Ipv4Addr::new(192, 0, 2, 53)]);
        for (bad, says) in [
            ("dns64_prefix = \"64:ff9b::/95\"", "dns.dns64_prefix"),
            ("dns64_prefix = \"64:ff9b::\"", "PREFIX/LENGTH"),
            ("local_domain = \"bad domain\"", "dns.local_domain"),
            ("cache_entries = 0", "dns.cache_entries"),
        ] {
            let e = Config::parse(&format!("{GOOD}[dns]\n{bad}\n")).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn ipv6_keys_are_checked() {
        let c = Config::parse(GOOD).unwrap();
        assert!(c.ipv6.enabled && c.ipv6.lan_subnet == 0 && c.ipv6.prefix_hint == 56);
        let with = |v: &str| format!("{GOOD}[ipv6]\n{v}\n");
        let c = Config::parse(&with("lan_subnet = 255\nnat64_prefix = \"64:ff9b::/96\"")).unwrap();
        assert_eq!(
            c.ipv6.nat64().unwrap(),
            Some(("64:ff9b::".parse().unwrap(), 96))
        );
        for (bad, why) in [
            ("lan_subnet = 256", "does not fit in a /56"),
            ("prefix_hint = 40", "48 to 64"),
            ("ra_interval = 2", "4 to 1800"),
            ("nat64_prefix = \"64:ff9b::/80\"", "LEN 32, 40"),
            ("nat64_prefix = \"64:ff9b::1/96\"", "host bits zero"),
            ("pd = true", "pd"),
        ] {
            let e = Config::parse(&with(bad)).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn ppp_max_payload_is_rfc_4638_range() {
        let with = |v: &str| {
            GOOD.replace(
                "password = \"s3cret\"",
                &format!("password = \"s3cret\"\nppp_max_payload = {v}"),
            )
        };
        assert_eq!(
            Config::parse(&with("1500")).unwrap().wan.ppp_max_payload,
            Some(1500)
        );
        assert_eq!(Config::parse(GOOD).unwrap().wan.ppp_max_payload, None);
        for bad in ["1492", "1501", "9000"] {
            let e = Config::parse(&with(bad)).unwrap_err();
            assert!(e.contains("1493 to 1500"), "{bad}: {e}");
        }
    }

    #[test]
    fn qdisc_bypass_is_off_unless_asked() {
        assert!(!Config::parse(GOOD).unwrap().wan.qdisc_bypass);
        let on = GOOD.replace(
            "password = \"s3cret\"",
            "password = \"s3cret\"\nqdisc_bypass = true",
        );
        assert!(Config::parse(&on).unwrap().wan.qdisc_bypass);
    }

    #[test]
    fn workers_are_1_to_8_and_default_to_the_cpus() {
        let with = |v: &str| {
            GOOD.replace(
                "password = \"s3cret\"",
                &format!("password = \"s3cret\"\nworkers = {v}"),
            )
        };
        assert_eq!(Config::parse(&with("1")).unwrap().workers(), 1);
        assert_eq!(Config::parse(&with("8")).unwrap().workers(), 8);
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(Config::parse(GOOD).unwrap().workers(), cpus.min(8));
        for bad in ["0", "9"] {
            let e = Config::parse(&with(bad)).unwrap_err();
            assert!(e.contains("wan.workers: 1 to 8"), "{bad}: {e}");
        }
    }
}
