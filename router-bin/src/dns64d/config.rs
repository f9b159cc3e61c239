//! `dns64d.toml`: what the DNS64 daemon is told. Every key is documented
//! in `router-bin/examples/dns64d.toml`; unknown keys are errors.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dns64::config::MAX_OUTSTANDING;
use dns64::driver::Dns64DriverConfig;
use dns64::{Dns64Acl, Dns64Config, Dns64Net, Nat64Prefix};
use serde::Deserialize;

use crate::config_file;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Addresses to serve on, UDP and TCP (`ADDR` for port 53, or
    /// `ADDR:PORT` / `[ADDR6]:PORT`).
    pub listen: Vec<String>,
    /// The recursive resolvers behind it, same forms.
    pub upstreams: Vec<String>,
    /// NAT64 prefixes (`PREFIX/LEN`, RFC 6052 lengths).
    pub prefixes: Vec<String>,
    /// Who may query (BIND's `allow-query`); `!NET` refuses; default any.
    #[serde(default)]
    pub allow_query: Option<Vec<String>>,
    /// Who gets synthesis (BIND's `clients`); default any.
    #[serde(default)]
    pub clients: Option<Vec<String>>,
    /// Which IPv4 addresses may be synthesized (BIND's `mapped`); default any.
    #[serde(default)]
    pub mapped: Option<Vec<String>>,
    /// AAAA ranges treated as absent (`::ffff:0:0/96` always is).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Synthesize for clients that set CD (BIND's `break-dnssec`).
    #[serde(default)]
    pub break_dnssec: bool,
    /// Answers cached at most.
    #[serde(default = "cache_entries")]
    pub cache_entries: usize,
    /// Client queries in flight at most.
    #[serde(default = "max_outstanding")]
    pub max_outstanding: usize,
    /// Milliseconds to wait for an upstream before the next.
    #[serde(default = "upstream_timeout_ms")]
    pub upstream_timeout_ms: u64,
    /// Client TCP connections at most.
    #[serde(default = "max_tcp_connections")]
    pub max_tcp_connections: usize,
    /// Seconds a client TCP connection may idle.
    #[serde(default = "tcp_idle")]
    pub tcp_idle: u64,
    /// The control socket (`dns64d stats`).
    #[serde(default = "control_socket")]
    pub control_socket: PathBuf,
}

fn cache_entries() -> usize {
    65536
}
fn max_outstanding() -> usize {
    4096
}
fn upstream_timeout_ms() -> u64 {
    1000
}
fn max_tcp_connections() -> usize {
    256
}
fn tcp_idle() -> u64 {
    10
}
fn control_socket() -> PathBuf {
    "/run/dns64d.sock".into()
}

/// `ADDR` (port 53), `ADDR:PORT` or `[ADDR6]:PORT`.
fn socket(key: &str, s: &str) -> Result<SocketAddr, String> {
    s.parse::<SocketAddr>()
        .or_else(|_| s.parse::<IpAddr>().map(|a| SocketAddr::new(a, 53)))
        .map_err(|_| format!("{key} `{s}`: an address, ADDRESS:PORT or [IPV6]:PORT"))
}

/// `ADDR/LEN`.
fn net(key: &str, s: &str) -> Result<Dns64Net, String> {
    let bad = || format!("{key} `{s}`: ADDRESS/LENGTH, e.g. 2001:db8::/32");
    let (a, l) = s.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = a.parse().map_err(|_| bad())?;
    let len: u8 = l.parse().map_err(|_| bad())?;
    if len > if addr.is_ipv4() { 32 } else { 128 } {
        return Err(bad());
    }
    Ok(Dns64Net::new(addr, len))
}

/// A BIND-like address match list (`!` refuses); `None` = any.
fn acl(key: &str, list: &Option<Vec<String>>) -> Result<Dns64Acl, String> {
    let Some(list) = list else {
        return Ok(Dns64Acl::any());
    };
    let elements = list
        .iter()
        .map(|e| match e.strip_prefix('!') {
            Some(n) => net(key, n).map(|n| (false, n)),
            None => net(key, e).map(|n| (true, n)),
        })
        .collect::<Result<_, _>>()?;
    Ok(Dns64Acl { elements })
}

fn prefix(s: &str) -> Result<Nat64Prefix, String> {
    let n = net("prefixes", s)?;
    let IpAddr::V6(a) = n.addr else {
        return Err(format!("prefixes `{s}`: an IPv6 prefix"));
    };
    Nat64Prefix::new(a, n.len).map_err(|e| format!("prefixes `{s}`: {e}"))
}

impl Config {
    /// Reads and checks `path`; the error names the file and what to fix.
    pub fn load(path: &Path) -> Result<Config, String> {
        let c: Config = config_file::load(path)?;
        c.machine()
            .and_then(|_| c.listen_addrs())
            .map_err(|e| format!("config {}: {e}", path.display()))?;
        Ok(c)
    }

    /// Parses and checks a config text.
    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = config_file::parse(text)?;
        c.machine()?;
        c.listen_addrs()?;
        Ok(c)
    }

    /// The addresses to serve on.
    pub fn listen_addrs(&self) -> Result<Vec<SocketAddr>, String> {
        if self.listen.is_empty() {
            return Err("listen: at least one address".into());
        }
        self.listen.iter().map(|s| socket("listen", s)).collect()
    }

    /// The machine's configuration.
    pub fn machine(&self) -> Result<Dns64Config, String> {
        if self.upstreams.is_empty() || self.prefixes.is_empty() {
            return Err("upstreams and prefixes: at least one each".into());
        }
        let upstreams = self
            .upstreams
            .iter()
            .map(|s| socket("upstreams", s))
            .collect::<Result<_, _>>()?;
        let prefixes = self
            .prefixes
            .iter()
            .map(|s| prefix(s))
            .collect::<Result<_, _>>()?;
        let mut c = Dns64Config::new(prefixes, upstreams);
        c.allow_query = acl("allow_query", &self.allow_query)?;
        c.clients = acl("clients", &self.clients)?;
        c.mapped = acl("mapped", &self.mapped)?;
        c.exclude = self
            .exclude
            .iter()
            .map(|s| net("exclude", s))
            .collect::<Result<_, _>>()?;
        c.break_dnssec = self.break_dnssec;
        if !(1..=10_000_000).contains(&self.cache_entries) {
            return Err("cache_entries: 1 to 10000000".into());
        }
        c.cache_entries = self.cache_entries;
        if !(1..=MAX_OUTSTANDING).contains(&self.max_outstanding) {
            return Err(format!("max_outstanding: 1 to {MAX_OUTSTANDING}"));
        }
        c.max_outstanding = self.max_outstanding;
        if !(100..=10_000).contains(&self.upstream_timeout_ms) {
            return Err("upstream_timeout_ms: 100 to 10000".into());
        }
        c.upstream_timeout = Duration::from_millis(self.upstream_timeout_ms);
        Ok(c)
    }

    /// The driver's configuration.
    pub fn driver(&self) -> Dns64DriverConfig {
        Dns64DriverConfig {
            max_tcp_connections: self.max_tcp_connections,
            tcp_idle: Duration::from_secs(self.tcp_idle.max(1)),
            ..Dns64DriverConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
listen = ["2001:db8:53::1", "192.0.2.53:5353"]
upstreams = ["[2001:db8::1]:53"]
prefixes = ["64:ff9b::/96"]
"#;

    #[test]
    fn defaults_and_forms() {
        let c = Config::parse(GOOD).unwrap();
        assert_eq!(
            c.listen_addrs().unwrap(),
            vec![
                "[2001:db8:53::1]:53".parse().unwrap(),
                "192.0.2.53:5353".parse().unwrap()
            ]
        );
        let m = c.machine().unwrap();
        assert_eq!(m.prefixes, vec![Nat64Prefix::WELL_KNOWN]);
        assert_eq!(m.cache_entries, 65536);
        assert_eq!(m.allow_query, Dns64Acl::any());
    }

    #[test]
    fn the_example_parses() {
        let c = Config::parse(include_str!("../../examples/dns64d.toml")).unwrap();
        assert_eq!(c.listen_addrs().unwrap().len(), 2);
    }

    #[test]
    fn acls_as_bind_and_errors_name_the_key() {
        let c = Config::parse(&format!(
            "{GOOD}allow_query = [\"!2001:db8:bad::/48\", \"2001:db8::/32\"]\n"
        ))
        .unwrap();
        let acl = c.machine().unwrap().allow_query;
        assert!(acl.matches("2001:db8:1::1".parse().unwrap()));
        assert!(!acl.matches("2001:db8:bad::1".parse().unwrap()));
        assert!(!acl.matches("192.0.2.1".parse().unwrap()));
        for (bad, says) in [
            ("prefixes = [\"64:ff9b::/95\"]", "prefixes"),
            ("prefixes = [\"192.0.2.0/24\"]", "IPv6 prefix"),
            ("mapped = [\"10.0.0.0/33\"]", "mapped"),
            ("cache_entries = 0", "cache_entries"),
            ("listen_on = []", "listen_on"),
        ] {
            let text = GOOD
                .lines()
                .filter(|l| !l.starts_with(bad.split(' ').next().unwrap()))
                .collect::<Vec<_>>()
                .join("\n");
            let e = Config::parse(&format!("{text}\n{bad}\n")).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
