//! `[ipv6]`: Router Advertisements and DHCPv6 prefix delegation on the
//! sessions, and the `ipv6_prefix` of a local user.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use serde::Deserialize;

/// An IPv6 prefix written `2001:db8::/56` (host bits must be zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix6 {
    /// The prefix.
    pub addr: Ipv6Addr,
    /// Its length.
    pub len: u8,
}

impl Prefix6 {
    /// Whether `a` lies inside the prefix.
    pub fn contains(&self, a: Ipv6Addr) -> bool {
        u128::from(a) & mask(self.len) == u128::from(self.addr)
    }
}

/// The netmask of a prefix length, as a number.
pub fn mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    }
}

impl FromStr for Prefix6 {
    type Err = String;
    fn from_str(s: &str) -> Result<Prefix6, String> {
        let (a, l) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: give a prefix as address/length"))?;
        let addr: Ipv6Addr = a
            .parse()
            .map_err(|_| format!("{s:?}: not an IPv6 address"))?;
        let len: u8 = l
            .parse()
            .ok()
            .filter(|l| *l <= 128)
            .ok_or_else(|| format!("{s:?}: the length must be 0..=128"))?;
        if u128::from(addr) & !mask(len) != 0 {
            return Err(format!("{s:?}: bits set past the prefix length"));
        }
        Ok(Prefix6 { addr, len })
    }
}

impl fmt::Display for Prefix6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl<'de> Deserialize<'de> for Prefix6 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Prefix6, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The `[ipv6]` section: present, each session whose IPv6CP opens gets RAs
/// and a delegating DHCPv6 server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipv6 {
    /// The pools prefixes are delegated from (each carved into
    /// `delegated_length` prefixes).
    #[serde(default)]
    pub pools: Vec<Prefix6>,
    /// The length of a prefix delegated from a pool.
    #[serde(default = "default_delegated_length")]
    pub delegated_length: u8,
    /// The RA's Managed flag (M: addresses by DHCPv6).
    #[serde(default = "yes")]
    pub managed: bool,
    /// The RA's Other-configuration flag (O: other settings by DHCPv6).
    #[serde(default = "yes")]
    pub other_config: bool,
    /// DNS servers: DHCPv6 option 23 and the RA's RDNSS.
    #[serde(default)]
    pub dns: Vec<Ipv6Addr>,
    /// Preferred lifetime of a delegation, seconds.
    #[serde(default = "default_preferred")]
    pub preferred_lifetime: u32,
    /// Valid lifetime of a delegation, seconds.
    #[serde(default = "default_valid")]
    pub valid_lifetime: u32,
    /// MaxRtrAdvInterval, seconds (4..=1800); unsolicited RAs come every
    /// 0.33 to 1 times this.
    #[serde(default = "default_ra_interval")]
    pub ra_interval: u32,
    /// Most delegation records kept (bound and remembered).
    #[serde(default = "default_max_bindings")]
    pub max_bindings: usize,
    /// The source of the ICMPv6 Packet Too Big messages the bng sends (an
    /// address of this host); unset, the address the kernel would choose
    /// to reach each sender.
    #[serde(default)]
    pub icmp_source: Option<Ipv6Addr>,
}

fn yes() -> bool {
    true
}
fn default_delegated_length() -> u8 {
    56
}
fn default_preferred() -> u32 {
    3600
}
fn default_valid() -> u32 {
    7200
}
fn default_ra_interval() -> u32 {
    600
}
fn default_max_bindings() -> usize {
    65536
}

impl Ipv6 {
    /// Checks the section once at start.
    pub fn check(&self) -> Result<(), String> {
        for p in &self.pools {
            if p.len > self.delegated_length || self.delegated_length > 64 {
                return Err(format!(
                    "ipv6.pools: {p} cannot be carved into /{} prefixes (at most /64)",
                    self.delegated_length
                ));
            }
            if self.delegated_length - p.len > 20 {
                return Err(format!("ipv6.pools: {p} holds more than 2^20 prefixes"));
            }
        }
        if self.preferred_lifetime > self.valid_lifetime || self.valid_lifetime == 0 {
            return Err("ipv6: preferred_lifetime must be at most valid_lifetime (> 0)".into());
        }
        if !(4..=1800).contains(&self.ra_interval) {
            return Err("ipv6.ra_interval: 4 to 1800 seconds".into());
        }
        if self.max_bindings == 0 {
            return Err("ipv6.max_bindings must be at least 1".into());
        }
        if let Some(a) = self.icmp_source {
            let segs = a.segments();
            // Global unicast: no unspecified, loopback, multicast or
            // link-local source can carry an error off the link.
            if a.is_unspecified()
                || a.is_loopback()
                || a.is_multicast()
                || segs[0] & 0xffc0 == 0xfe80
            {
                return Err(format!(
                    "ipv6.icmp_source: {a} is not a unicast address beyond the link"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_and_check() {
        let p: Prefix6 = "2001:db8:100::/40".parse().unwrap();
        assert_eq!(p.len, 40);
        assert!(p.contains("2001:db8:1ff::1".parse().unwrap()));
        assert!(!p.contains("2001:db8:200::1".parse().unwrap()));
        assert!("2001:db8::1/56".parse::<Prefix6>().is_err());
        assert!("2001:db8::/129".parse::<Prefix6>().is_err());
        assert!("2001:db8::".parse::<Prefix6>().is_err());
        assert_eq!(p.to_string(), "2001:db8:100::/40");
    }
}
