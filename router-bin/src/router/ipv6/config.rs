//! `[ipv6]` of router.toml.

use std::net::Ipv6Addr;

use serde::Deserialize;

/// `[ipv6]`: prefix delegation and the LAN's router advertisements.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipv6Config {
    /// Ask for a delegated prefix once IPv6CP is up and number the LAN
    /// from it (needs `wan.ipv6`).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The prefix length hinted in Solicit (48 to 64).
    #[serde(default = "hint")]
    pub prefix_hint: u8,
    /// Which /64 of the delegated prefix the LAN gets (0 = the first).
    #[serde(default)]
    pub lan_subnet: u32,
    /// MaxRtrAdvInterval in seconds (4 to 1800); the minimum is a third.
    #[serde(default = "ra_interval")]
    pub ra_interval: u64,
    /// The ISP's NAT64 prefix, when known from elsewhere (`PREFIX/LEN`,
    /// LEN one of 32, 40, 48, 56, 64, 96): advertised as PREF64.
    #[serde(default)]
    pub nat64_prefix: Option<String>,
}

impl Default for Ipv6Config {
    fn default() -> Self {
        Ipv6Config {
            enabled: true,
            prefix_hint: hint(),
            lan_subnet: 0,
            ra_interval: ra_interval(),
            nat64_prefix: None,
        }
    }
}

fn yes() -> bool {
    true
}
fn hint() -> u8 {
    56
}
fn ra_interval() -> u64 {
    600
}

impl Ipv6Config {
    /// Checks the values; the error names the key.
    pub fn check(&self) -> Result<(), String> {
        if !(48..=64).contains(&self.prefix_hint) {
            return Err("ipv6.prefix_hint: 48 to 64".into());
        }
        if !(4..=1800).contains(&self.ra_interval) {
            return Err("ipv6.ra_interval: 4 to 1800 seconds".into());
        }
        // It must fit in the shortest prefix asked for; a longer delegated
        // prefix than the hint is checked (and logged) when it comes.
        let fits = 64 - u32::from(self.prefix_hint);
        if fits < 32 && self.lan_subnet >= 1 << fits {
            return Err(format!(
                "ipv6.lan_subnet {} does not fit in a /{} (at most {})",
                self.lan_subnet,
                self.prefix_hint,
                (1u32 << fits) - 1
            ));
        }
        self.nat64()?;
        Ok(())
    }

    /// `nat64_prefix` parsed.
    pub fn nat64(&self) -> Result<Option<(Ipv6Addr, u8)>, String> {
        let Some(text) = &self.nat64_prefix else {
            return Ok(None);
        };
        let bad = || {
            format!(
                "ipv6.nat64_prefix `{text}`: expected PREFIX/LEN, LEN 32, 40, 48, 56, 64 or 96, host bits zero"
            )
        };
        let (a, l) = text.split_once('/').ok_or_else(bad)?;
        let prefix: Ipv6Addr = a.parse().map_err(|_| bad())?;
        let len: u8 = l
            .parse()
            .ok()
            .filter(|l| [32, 40, 48, 56, 64, 96].contains(l))
            .ok_or_else(bad)?;
        if u128::from(prefix) & (u128::MAX >> len) != 0 {
            return Err(bad());
        }
        Ok(Some((prefix, len)))
    }
}
