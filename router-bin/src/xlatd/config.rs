//! `xlatd.toml`: what the translator daemon is told. Every key is
//! documented in `router-bin/examples/xlatd.toml`; unknown keys are
//! errors, and every error names the file, the line and the key.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::config_file::{self, check_ifname};
use sansio_primitives::{Duration, RateLimit};
use xlat::nat64::{Nat64Config, Nat64Timeouts, Pool4Range};
use xlat::{Eam, Nat64Prefix, SiitConfig};

/// Stateless (SIIT, with EAMs: also a CLAT) or stateful (NAT64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// RFC 7915 with pool6 and the EAMT.
    Siit,
    /// RFC 6146 with pool6 and pool4.
    Nat64,
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `siit` or `nat64`.
    pub mode: Mode,
    /// The TUN interface the translator reads and writes.
    #[serde(default = "xlat0")]
    pub tun: String,
    /// The TUN's MTU.
    #[serde(default = "mtu")]
    pub mtu: u32,
    /// Where the lock file and the control socket live.
    pub state_dir: PathBuf,
    /// The RFC 6052 prefix, e.g. `64:ff9b::/96`.
    pub pool6: Spanned<String>,
    /// Explicit address mappings (SIIT only).
    #[serde(default)]
    pub eamt: Vec<EamEntry>,
    /// RFC 6791 addresses for ICMPv6 errors from routers without an IPv4
    /// form, `ADDRESS/LEN`.
    #[serde(default)]
    pub pool6791v4: Option<Spanned<String>>,
    /// The IPv6 source of ICMPv4 errors from routers without an IPv6 form.
    #[serde(default)]
    pub pool6791v6: Option<Ipv6Addr>,
    /// Jool's lowest-ipv6-mtu.
    #[serde(default = "lowest_ipv6_mtu")]
    pub lowest_ipv6_mtu: u16,
    /// Compute the checksum of IPv4 UDP without one (else drop).
    #[serde(default)]
    pub amend_udp_checksum_zero: bool,
    /// Source of the ICMPv4 errors the translator sends itself.
    #[serde(default)]
    pub icmp_error_source_v4: Option<Ipv4Addr>,
    /// Source of the ICMPv6 errors the translator sends itself.
    #[serde(default)]
    pub icmp_error_source_v6: Option<Ipv6Addr>,
    /// Generated ICMP errors per second.
    #[serde(default = "icmp_rate")]
    pub icmp_errors_per_second: u32,
    /// Burst of generated ICMP errors.
    #[serde(default = "icmp_burst")]
    pub icmp_error_burst: u32,
    /// IPv4 prefixes routed into the TUN (default: SIIT none, NAT64 the
    /// pool4 addresses).
    #[serde(default)]
    pub routes4: Option<Vec<Spanned<String>>>,
    /// IPv6 prefixes routed into the TUN (default: pool6).
    #[serde(default)]
    pub routes6: Option<Vec<Spanned<String>>>,
    /// Turn on IPv4 and IPv6 forwarding (the kernel routes between the
    /// TUN and the other interfaces).
    #[serde(default = "yes")]
    pub forwarding: bool,
    /// GSO/checksum offload on the TUN (`IFF_VNET_HDR`): TCP segments of
    /// up to 64 KiB per read and write instead of one packet per MTU.
    #[serde(default = "yes")]
    pub offload: bool,
    /// `[nat64]`: required in NAT64 mode, refused in SIIT mode.
    #[serde(default)]
    pub nat64: Option<Nat64Section>,
}

/// One `[[eamt]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EamEntry {
    /// `ADDRESS/LEN`.
    pub ipv4: Spanned<String>,
    /// `ADDRESS/LEN`.
    pub ipv6: Spanned<String>,
}

/// `[nat64]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nat64Section {
    /// pool4: `[[nat64.pool4]]` with `address` and `ports = [FIRST, LAST]`.
    pub pool4: Vec<Pool4Entry>,
    /// Bound of the BIB.
    #[serde(default = "table_bound")]
    pub max_bib_entries: usize,
    /// Bound of the session table.
    #[serde(default = "table_bound")]
    pub max_sessions: usize,
    /// UDP session lifetime, seconds.
    #[serde(default = "udp_timeout")]
    pub udp_timeout: u64,
    /// Established TCP session lifetime, seconds.
    #[serde(default = "tcp_est_timeout")]
    pub tcp_established_timeout: u64,
    /// Transitory TCP session lifetime, seconds.
    #[serde(default = "tcp_trans_timeout")]
    pub tcp_transitory_timeout: u64,
    /// ICMP query session lifetime, seconds.
    #[serde(default = "icmp_timeout")]
    pub icmp_timeout: u64,
}

/// One pool4 range.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool4Entry {
    /// The address.
    pub address: Ipv4Addr,
    /// First and last port (and ICMP identifier).
    #[serde(default = "ports")]
    pub ports: Spanned<[u16; 2]>,
}

fn xlat0() -> String {
    "xlat0".into()
}
fn mtu() -> u32 {
    1500
}
fn lowest_ipv6_mtu() -> u16 {
    1280
}
fn icmp_rate() -> u32 {
    xlat::ICMP_ERROR_RATE.per_second
}
fn icmp_burst() -> u32 {
    xlat::ICMP_ERROR_RATE.burst
}
fn yes() -> bool {
    true
}
fn table_bound() -> usize {
    65_536
}
fn udp_timeout() -> u64 {
    Nat64Timeouts::RFC6146.udp.as_secs()
}
fn tcp_est_timeout() -> u64 {
    Nat64Timeouts::RFC6146.tcp_established.as_secs()
}
fn tcp_trans_timeout() -> u64 {
    Nat64Timeouts::RFC6146.tcp_transitory.as_secs()
}
fn icmp_timeout() -> u64 {
    Nat64Timeouts::RFC6146.icmp.as_secs()
}
fn ports() -> Spanned<[u16; 2]> {
    Spanned::new(0..0, [61000, 65535])
}

/// What the daemon runs: the translator's configuration and its routes.
#[derive(Debug, Clone)]
pub enum Translator {
    /// Stateless.
    Siit(SiitConfig),
    /// Stateful.
    Nat64(Nat64Config),
}

/// The configuration checked and turned into the library's types.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The translator.
    pub translator: Translator,
    /// Prefixes routed into the TUN.
    pub routes: Vec<(IpAddr, u8)>,
}

/// `ADDRESS/LEN` (the length defaults to the full address).
fn parse_prefix<A: std::str::FromStr>(s: &str, max: u8) -> Result<(A, u8), String>
where
    A::Err: std::fmt::Display,
{
    let (a, l) = s.split_once('/').unwrap_or((s, ""));
    let addr = a.parse::<A>().map_err(|e| format!("bad address: {e}"))?;
    let len = if l.is_empty() {
        max
    } else {
        l.parse::<u8>()
            .ok()
            .filter(|l| *l <= max)
            .ok_or_else(|| format!("prefix length must be 0 to {max}"))?
    };
    Ok((addr, len))
}

impl Config {
    /// Reads and checks `path`; every error names the file, and where it
    /// can the line and key.
    pub fn load(path: &Path) -> Result<(Config, Checked), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }

    /// Parses and checks the text of a config file.
    pub fn parse(text: &str) -> Result<(Config, Checked), String> {
        let c: Config = config_file::parse(text)?;
        let checked = c.check(text)?;
        Ok((c, checked))
    }

    /// The control socket.
    pub fn control_path(&self) -> PathBuf {
        self.state_dir.join("xlatd.sock")
    }

    fn check(&self, text: &str) -> Result<Checked, String> {
        // "line N, key: `value`: why" for a value parsed here.
        let at = |span: std::ops::Range<usize>, key: &str, value: &str, why: String| {
            let line = text[..span.start.min(text.len())].lines().count().max(1);
            format!("line {line}, {key} `{value}`: {why}")
        };
        check_ifname("tun", &self.tun)?;
        if !(1280..=65535).contains(&self.mtu) {
            return Err(format!("mtu {}: must be 1280 to 65535", self.mtu));
        }
        let (p6, l6) = parse_prefix::<Ipv6Addr>(self.pool6.get_ref(), 128)
            .map_err(|e| at(self.pool6.span(), "pool6", self.pool6.get_ref(), e))?;
        let pool6 = Nat64Prefix::new(p6, l6).map_err(|e| {
            at(
                self.pool6.span(),
                "pool6",
                self.pool6.get_ref(),
                e.to_string(),
            )
        })?;
        let mut siit = SiitConfig::new(Some(pool6));
        for (i, e) in self.eamt.iter().enumerate() {
            let key4 = format!("eamt[{i}].ipv4");
            let key6 = format!("eamt[{i}].ipv6");
            let (a4, l4) = parse_prefix::<Ipv4Addr>(e.ipv4.get_ref(), 32)
                .map_err(|m| at(e.ipv4.span(), &key4, e.ipv4.get_ref(), m))?;
            let (a6, l6) = parse_prefix::<Ipv6Addr>(e.ipv6.get_ref(), 128)
                .map_err(|m| at(e.ipv6.span(), &key6, e.ipv6.get_ref(), m))?;
            let eam = Eam::new(a4, l4, a6, l6)
                .map_err(|m| at(e.ipv4.span(), &key4, e.ipv4.get_ref(), m.to_string()))?;
            siit.eamt
                .add(eam)
                .map_err(|m| at(e.ipv4.span(), &key4, e.ipv4.get_ref(), m.to_string()))?;
        }
        if let Some(p) = &self.pool6791v4 {
            let v = parse_prefix::<Ipv4Addr>(p.get_ref(), 32)
                .map_err(|m| at(p.span(), "pool6791v4", p.get_ref(), m))?;
            siit.pool6791v4 = Some(v);
        }
        siit.pool6791v6 = self.pool6791v6;
        siit.lowest_ipv6_mtu = self.lowest_ipv6_mtu;
        siit.amend_udp_checksum_zero = self.amend_udp_checksum_zero;
        siit.icmp_error_source_v4 = self.icmp_error_source_v4;
        siit.icmp_error_source_v6 = self.icmp_error_source_v6;
        siit.icmp_error_rate = RateLimit {
            per_second: self.icmp_errors_per_second,
            burst: self.icmp_error_burst,
        };
        // The library's own checks (lowest_ipv6_mtu, ...), named by key.
        xlat::Siit::new(siit.clone(), sansio_primitives::SeededRng::from_u64(0))
            .map_err(|e| format!("translator settings: {e}"))?;

        let mut routes: Vec<(IpAddr, u8)> = Vec::new();
        for (key, list, max) in [
            ("routes4", &self.routes4, 32),
            ("routes6", &self.routes6, 128),
        ] {
            for (i, r) in list.iter().flatten().enumerate() {
                let (a, l) = parse_prefix::<IpAddr>(r.get_ref(), max)
                    .map_err(|m| at(r.span(), &format!("{key}[{i}]"), r.get_ref(), m))?;
                if a.is_ipv4() != (max == 32) {
                    let m = "wrong address family".to_owned();
                    return Err(at(r.span(), &format!("{key}[{i}]"), r.get_ref(), m));
                }
                routes.push((a, l));
            }
        }
        if self.routes6.is_none() {
            routes.push((IpAddr::V6(pool6.addr()), pool6.prefix_len()));
        }

        let translator = match (self.mode, &self.nat64) {
            (Mode::Siit, None) => Translator::Siit(siit),
            (Mode::Siit, Some(_)) => {
                return Err("[nat64] is set but mode is \"siit\"".into());
            }
            (Mode::Nat64, None) => {
                return Err("mode \"nat64\" needs a [nat64] section with pool4".into());
            }
            (Mode::Nat64, Some(n)) => {
                if !siit.eamt.is_empty() {
                    return Err("eamt: NAT64 takes no EAMs (mode \"nat64\")".into());
                }
                let mut pool4 = Vec::new();
                for (i, p) in n.pool4.iter().enumerate() {
                    let [first, last] = *p.ports.get_ref();
                    if first > last || first == 0 {
                        return Err(at(
                            p.ports.span(),
                            &format!("nat64.pool4[{i}].ports"),
                            &format!("[{first}, {last}]"),
                            "want [FIRST, LAST] with 0 < FIRST <= LAST".into(),
                        ));
                    }
                    pool4.push(Pool4Range {
                        address: p.address,
                        first_port: first,
                        last_port: last,
                    });
                    if self.routes4.is_none() {
                        routes.push((IpAddr::V4(p.address), 32));
                    }
                }
                if pool4.is_empty() {
                    return Err("nat64.pool4: at least one range is needed".into());
                }
                let mut c = Nat64Config::new(pool6, pool4);
                c.siit = siit;
                c.tables.max_bib_entries = n.max_bib_entries;
                c.tables.max_sessions = n.max_sessions;
                c.tables.timeouts = Nat64Timeouts {
                    udp: Duration::from_secs(n.udp_timeout),
                    tcp_established: Duration::from_secs(n.tcp_established_timeout),
                    tcp_transitory: Duration::from_secs(n.tcp_transitory_timeout),
                    icmp: Duration::from_secs(n.icmp_timeout),
                };
                xlat::nat64::Nat64::new(
                    c.clone(),
                    sansio_primitives::SeededRng::from_u64(0),
                    sansio_primitives::Instant::ZERO,
                )
                .map_err(|e| format!("[nat64]: {e}"))?;
                Translator::Nat64(c)
            }
        };
        Ok(Checked { translator, routes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIIT: &str = r#"
mode = "siit"
state_dir = "/run/xlatd"
pool6 = "64:ff9b::/96"
routes4 = ["198.51.100.0/24"]

[[eamt]]
ipv4 = "192.0.2.0/24"
ipv6 = "2001:db8:aaaa::/120"
"#;

    #[test]
    fn a_siit_config_with_an_eam() {
        let (c, k) = Config::parse(SIIT).unwrap();
        assert_eq!(c.tun, "xlat0");
        let Translator::Siit(s) = k.translator else {
            panic!()
        };
        assert_eq!(s.eamt.len(), 1);
        assert_eq!(
            k.routes,
            [
                ("198.51.100.0".parse().unwrap(), 24),
                ("64:ff9b::".parse().unwrap(), 96)
            ]
        );
    }

    /// The documented example parses, and so does its NAT64 variant with
    /// the commented-out `[nat64]` switched on.
    #[test]
    fn the_example_config_parses() {
        let text = include_str!("../../examples/xlatd.toml");
        let (c, _) = Config::parse(text).unwrap();
        assert_eq!(c.mode, Mode::Siit);
        // Uncomment `[nat64]` and the lines after it.
        let (head, tail) = text.split_at(text.find("# [nat64]").unwrap());
        let nat64 = head.replace("mode = \"siit\"", "mode = \"nat64\"") + &tail.replace("# ", "");
        let (c, _) = Config::parse(&nat64).unwrap();
        assert_eq!(c.nat64.unwrap().tcp_established_timeout, 7440);
    }

    #[test]
    fn a_nat64_config_routes_its_pool4() {
        let text = r#"
mode = "nat64"
state_dir = "/run/xlatd"
pool6 = "64:ff9b::/96"
[nat64]
pool4 = [{ address = "203.0.113.1", ports = [61000, 65535] }]
max_sessions = 100
"#;
        let (_, k) = Config::parse(text).unwrap();
        let Translator::Nat64(n) = k.translator else {
            panic!()
        };
        assert_eq!(n.tables.max_sessions, 100);
        assert!(k.routes.contains(&("203.0.113.1".parse().unwrap(), 32)));
    }

    /// Errors name the line and the key, and say what is wrong.
    #[test]
    fn errors_name_line_and_key() {
        let bad = SIIT.replace("64:ff9b::/96", "64:ff9b::/80");
        let e = Config::parse(&bad).unwrap_err();
        assert_eq!(
            e,
            "line 4, pool6 `64:ff9b::/80`: prefix length 80 is not one of 32, 40, 48, 56, 64, 96"
        );
        let bad = SIIT.replace("2001:db8:aaaa::/120", "2001:db8:aaaa::/130");
        let e = Config::parse(&bad).unwrap_err();
        assert!(
            e.starts_with("line 9, eamt[0].ipv6 `2001:db8:aaaa::/130`: prefix length"),
            "{e}"
        );
        let bad = SIIT.replace("routes4", "route4");
        let e = Config::parse(&bad).unwrap_err();
        assert!(e.contains("line 5") && e.contains("route4"), "{e}");
        let bad = SIIT.replace("mode = \"siit\"", "mode = \"nat64\"");
        let e = Config::parse(&bad).unwrap_err();
        assert!(e.contains("[nat64]"), "{e}");
    }
}
