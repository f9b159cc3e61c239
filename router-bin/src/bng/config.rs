//! `bng.toml`: the configuration file, parsed with serde (unknown keys are
//! errors, with their line) and checked once at start.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config_file;
use serde::Deserialize;

mod discovery;
mod ipv6;
pub use discovery::Discovery;
pub use ipv6::{Ipv6, Prefix6, mask};

/// The whole file. See `router-bin/examples/bng.toml` for every key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The subscriber-facing Ethernet interface (PPPoE discovery + session).
    pub interface: String,
    /// The TUN device carrying every session's IP traffic.
    #[serde(default = "default_tun")]
    pub tun: String,
    /// PPPoE AC-Name, also the CHAP name.
    #[serde(default = "default_ac_name")]
    pub ac_name: String,
    /// Offered Service-Names; empty serves any.
    #[serde(default)]
    pub service_names: Vec<String>,
    /// Most sessions at once.
    #[serde(default = "default_max_sessions")]
    pub max_sessions: u16,
    /// Most sessions one client MAC may hold (1..=max_sessions).
    #[serde(default = "default_per_mac")]
    pub max_sessions_per_mac: u16,
    /// What a PADR from a MAC at `max_sessions_per_mac` gets.
    #[serde(default)]
    pub at_mac_limit: AtMacLimit,
    /// Negotiate IPCP; `false` makes an IPv6-only access network: the
    /// client's IPCP is answered with an LCP Protocol-Reject (RFC 1661
    /// §5.7). Needs `ipv6cp` and `[ipv6]`.
    #[serde(default = "yes")]
    pub ipv4: bool,
    /// Negotiate IPv6CP.
    #[serde(default = "yes")]
    pub ipv6cp: bool,
    /// Seconds between Interim-Updates when RADIUS gives no
    /// Acct-Interim-Interval; 0 sends none.
    #[serde(default = "default_interim")]
    pub interim_interval: u32,
    /// The control socket `bng sessions` asks.
    #[serde(default = "default_control")]
    pub control_socket: PathBuf,
    /// RFC 4638: the largest PPP-Max-Payload granted to hosts that ask
    /// (1493..=1500); `None` keeps every session at 1492.
    pub ppp_max_payload: Option<u16>,
    /// LCP keepalive.
    #[serde(default)]
    pub lcp: Lcp,
    /// PPPoE discovery limits over all hosts.
    #[serde(default)]
    pub discovery: Discovery,
    /// The IPv4 address pool.
    pub pool: Pool,
    /// The local users table (used when there is no `[radius]`).
    #[serde(default)]
    pub users: Vec<User>,
    /// RADIUS authentication and accounting.
    pub radius: Option<Radius>,
    /// The RFC 5176 Dynamic Authorization (CoA/Disconnect) listener.
    pub coa: Option<Coa>,
    /// Where state that outlives the process is kept (the DHCPv6
    /// delegations, so a subscriber gets its prefix back after a restart).
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// RAs and DHCPv6 prefix delegation on the sessions.
    pub ipv6: Option<Ipv6>,
    /// The data path's threads.
    #[serde(default)]
    pub datapath: Datapath,
}

/// `[datapath]`: how the sessions' packets are carried.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Datapath {
    /// Data path worker threads (both ways), each carrying the sessions
    /// whose id modulo `workers` is its number (1..=16). 1: everything in the
    /// event loop, as without this section.
    #[serde(default = "one")]
    pub workers: usize,
}

impl Default for Datapath {
    fn default() -> Self {
        Datapath { workers: 1 }
    }
}

fn one() -> usize {
    1
}

/// `at_mac_limit`: what a PADR from a MAC at its session limit gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AtMacLimit {
    /// The MAC's oldest session ends (PADT, accounting Stop with
    /// Acct-Terminate-Cause Port-Preempted) and the new one comes up.
    #[default]
    Replace,
    /// A PADS with AC-System-Error.
    Refuse,
}

impl From<AtMacLimit> for pppoe_proto::ac::AtMacLimit {
    fn from(a: AtMacLimit) -> Self {
        match a {
            AtMacLimit::Replace => pppoe_proto::ac::AtMacLimit::Replace,
            AtMacLimit::Refuse => pppoe_proto::ac::AtMacLimit::Refuse,
        }
    }
}

/// LCP keepalive settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lcp {
    /// Seconds between Echo-Requests; 0 disables them.
    #[serde(default = "default_echo_interval")]
    pub echo_interval: u32,
    /// Unanswered Echo-Requests before the session is declared dead.
    #[serde(default = "default_echo_failure")]
    pub echo_failure: u8,
}

impl Default for Lcp {
    fn default() -> Self {
        Lcp {
            echo_interval: default_echo_interval(),
            echo_failure: default_echo_failure(),
        }
    }
}

/// The IPv4 pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// First address handed out.
    pub first: Ipv4Addr,
    /// Last address handed out.
    pub last: Ipv4Addr,
    /// The bng's own IPCP address (also put on the TUN device).
    pub local: Ipv4Addr,
    /// DNS servers offered through IPCP (at most two).
    #[serde(default)]
    pub dns: Vec<Ipv4Addr>,
}

/// One local user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// PAP/CHAP user name.
    pub name: String,
    /// Password / CHAP secret.
    pub password: String,
    /// A fixed address instead of one from the pool.
    pub ip: Option<Ipv4Addr>,
    /// Upstream (user to network) limit, kbit/s.
    pub upstream_kbps: Option<u32>,
    /// Downstream (network to user) limit, kbit/s.
    pub downstream_kbps: Option<u32>,
    /// A prefix always delegated to this user (DHCPv6-PD), with `[ipv6]`.
    pub ipv6_prefix: Option<Prefix6>,
}

/// RADIUS client settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radius {
    /// Servers; requests are spread over the live ones, and a request a
    /// server leaves unanswered after `retries` moves to another.
    pub servers: Vec<RadiusServer>,
    /// NAS-Identifier sent in every request.
    #[serde(default = "default_ac_name")]
    pub nas_identifier: String,
    /// NAS-IP-Address sent in every request, if set.
    pub nas_ip: Option<Ipv4Addr>,
    /// Milliseconds to wait for an answer before sending again.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Transmissions per server before failing over.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// UDP source sockets, each with its own 256 Identifiers (RFC 2865
    /// §3): at most `256 × sources` requests in flight (1..=64).
    #[serde(default = "default_radius_sources")]
    pub sources: usize,
}

fn default_radius_sources() -> usize {
    4
}

/// One RADIUS server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadiusServer {
    /// Authentication address (`host:1812`).
    pub auth: SocketAddr,
    /// Accounting address (`host:1813`).
    pub acct: SocketAddr,
    /// Shared secret.
    pub secret: String,
}

/// The CoA/Disconnect listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coa {
    /// Where to listen (`0.0.0.0:3799`).
    pub listen: SocketAddr,
    /// Shared secret of the requesters.
    pub secret: String,
    /// Addresses allowed to send requests; default: the RADIUS servers'
    /// addresses, or 127.0.0.1 without `[radius]`.
    #[serde(default)]
    pub clients: Vec<IpAddr>,
}

fn default_state_dir() -> PathBuf {
    "/var/lib/bng".into()
}
fn default_tun() -> String {
    "bng0".into()
}
fn default_ac_name() -> String {
    "bng".into()
}
fn default_max_sessions() -> u16 {
    4096
}
fn default_per_mac() -> u16 {
    1
}
fn yes() -> bool {
    true
}
fn default_interim() -> u32 {
    300
}
fn default_control() -> PathBuf {
    "/run/bng/bng.sock".into()
}
fn default_echo_interval() -> u32 {
    10
}
fn default_echo_failure() -> u8 {
    3
}
fn default_timeout_ms() -> u64 {
    3000
}
fn default_retries() -> u32 {
    3
}

/// The largest pool (addresses); keeps the allocator's tables small.
pub const MAX_POOL: u32 = 1 << 20;

impl Config {
    /// Reads and checks `path`; the error names the file and the key.
    pub fn load(path: &Path) -> Result<Config, String> {
        let c: Config = config_file::load(path)?;
        c.check()
            .map_err(|e| format!("config {}: {e}", path.display()))?;
        Ok(c)
    }

    /// Parses and checks a configuration text.
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = config_file::parse(text)?;
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        let (first, last) = (u32::from(self.pool.first), u32::from(self.pool.last));
        if first > last {
            return Err("pool.first must not be above pool.last".into());
        }
        if last - first >= MAX_POOL {
            return Err(format!("the pool holds more than {MAX_POOL} addresses"));
        }
        if self.pool.dns.len() > 2 {
            return Err("pool.dns: IPCP carries at most two DNS servers".into());
        }
        if self.max_sessions == 0 || self.max_sessions > 65534 {
            return Err("max_sessions must be 1..=65534".into());
        }
        if self.max_sessions_per_mac == 0 || self.max_sessions_per_mac > self.max_sessions {
            return Err(format!(
                "max_sessions_per_mac must be 1..=max_sessions ({}), not {}",
                self.max_sessions, self.max_sessions_per_mac
            ));
        }
        if self
            .ppp_max_payload
            .is_some_and(|p| !(1493..=1500).contains(&p))
        {
            return Err("ppp_max_payload: 1493 to 1500 (leave it out for 1492)".into());
        }
        config_file::check_ifname("tun", &self.tun)?;
        config_file::check_ifname("interface", &self.interface)?;
        if self.ac_name.is_empty() {
            return Err("ac_name must not be empty".into());
        }
        let mut names = HashSet::new();
        for u in &self.users {
            if !names.insert(u.name.as_str()) {
                return Err(format!("users: {:?} appears twice", u.name));
            }
            if u.ip == Some(self.pool.local) {
                return Err(format!("users: {:?} has the bng's own address", u.name));
            }
            if u.upstream_kbps == Some(0) || u.downstream_kbps == Some(0) {
                return Err(format!("users: {:?}: a speed limit of 0 kbit/s", u.name));
            }
        }
        if let Some(r) = &self.radius {
            if r.servers.is_empty() || r.servers.len() > radius_proto::client::MAX_SERVERS {
                return Err("radius.servers: give 1 to 32 servers".into());
            }
            if r.servers.iter().any(|s| s.secret.is_empty()) {
                return Err("radius.servers: a secret must not be empty".into());
            }
            if r.timeout_ms == 0 || r.retries == 0 {
                return Err("radius: timeout_ms and retries must be at least 1".into());
            }
            if r.sources == 0 || r.sources > radius_proto::client::MAX_SOURCES {
                return Err("radius.sources: give 1 to 64 source sockets".into());
            }
        } else if self.users.is_empty() {
            return Err("no authentication backend: add [[users]] or [radius]".into());
        }
        if let Some(v6) = &self.ipv6 {
            v6.check()?;
        }
        self.discovery.check()?;
        if !(1..=16).contains(&self.datapath.workers) {
            return Err(format!(
                "datapath.workers: 1 to 16, not {}",
                self.datapath.workers
            ));
        }
        if !self.ipv4 && (!self.ipv6cp || self.ipv6.is_none()) {
            return Err("ipv4 = false needs ipv6cp = true and an [ipv6] section".into());
        }
        if let Some(c) = &self.coa
            && c.secret.is_empty()
        {
            return Err("coa.secret must not be empty".into());
        }
        Ok(())
    }

    /// How long SIGTERM waits for Terminate-Acks, PADTs and accounting: 3 s,
    /// or with RADIUS long enough for a request to use every try on every
    /// server (a lost Stop is sent again, then to the next server), plus a
    /// little; at most 30 s.
    pub fn shutdown_grace(&self) -> Duration {
        const BASE: Duration = Duration::from_secs(3);
        const CAP: Duration = Duration::from_secs(30);
        match &self.radius {
            None => BASE,
            Some(r) => {
                let ms = r
                    .timeout_ms
                    .saturating_mul(u64::from(r.retries))
                    .saturating_mul(r.servers.len() as u64)
                    .saturating_add(500);
                Duration::from_millis(ms).clamp(BASE, CAP)
            }
        }
    }

    /// The largest IPv4 packet a session may carry: the TUN device's MTU.
    pub fn max_payload(&self) -> u16 {
        self.ppp_max_payload.unwrap_or(1492)
    }

    /// The CoA clients, with the documented default.
    pub fn coa_clients(&self) -> Vec<IpAddr> {
        let Some(c) = &self.coa else {
            return Vec::new();
        };
        if !c.clients.is_empty() {
            return c.clients.clone();
        }
        let mut v: Vec<IpAddr> = match &self.radius {
            Some(r) => r.servers.iter().map(|s| s.auth.ip()).collect(),
            None => vec![Ipv4Addr::LOCALHOST.into()],
        };
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests;
