//! `[clat]` of router.toml.

use serde::Deserialize;

use crate::config_file::check_ifname;

/// `[clat]`: the 464XLAT customer-side translator (RFC 6877).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClatConfig {
    /// Run the CLAT when the WAN has no IPv4 (IPCP refused) and a NAT64
    /// prefix is known.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The CLAT's TUN device; the IPv4 default route points into it.
    #[serde(default = "clat0")]
    pub interface: String,
    /// Which /64 of the delegated prefix the CLAT takes (its first /96 holds
    /// the LAN hosts' translated sources); absent = the last /64.
    #[serde(default)]
    pub subnet: Option<u64>,
}

impl Default for ClatConfig {
    fn default() -> Self {
        ClatConfig {
            enabled: true,
            interface: clat0(),
            subnet: None,
        }
    }
}

fn yes() -> bool {
    true
}
fn clat0() -> String {
    "clat0".into()
}

impl ClatConfig {
    /// Checks the values; the error names the key.
    pub fn check(&self) -> Result<(), String> {
        check_ifname("clat.interface", &self.interface)?;
        // A /48 delegation holds 65536 /64s: anything beyond fits none.
        if self.subnet.is_some_and(|s| s > 0xffff) {
            return Err("clat.subnet: 0 to 65535 (a /64 inside the delegated prefix)".into());
        }
        Ok(())
    }

    /// The /64 index the CLAT takes in a delegated prefix of `len` (≤ 64).
    pub fn subnet_in(&self, len: u8) -> u64 {
        let bits = 64 - u32::from(len.min(64));
        let last = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        self.subnet.unwrap_or(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_64_by_default() {
        let c = ClatConfig::default();
        assert_eq!(c.subnet_in(56), 255);
        assert_eq!(c.subnet_in(64), 0);
        assert_eq!(c.subnet_in(48), 0xffff);
        let c = ClatConfig {
            subnet: Some(3),
            ..ClatConfig::default()
        };
        assert_eq!(c.subnet_in(56), 3);
        assert!(
            ClatConfig {
                subnet: Some(0x10000),
                ..ClatConfig::default()
            }
            .check()
            .is_err()
        );
    }
}
