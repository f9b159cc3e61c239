//! CLAT (RFC 6877 §6.3) address plan: the customer-side translator of
//! 464XLAT is a SIIT whose IPv4 LAN is mapped into a dedicated /96 taken
//! from the delegated prefix, and whose IPv4 destinations are embedded in
//! the PLAT's NAT64 prefix (found by RFC 7050 or PREF64).
//!
//! [`Clat`] works out that /96 and gives the [`SiitConfig`] that does it
//! with the translator as it is: pool6 = the PLAT prefix, and one EAM
//! mapping the LAN subnet into the CLAT /96 (RFC 6052's /96 layout, so a
//! LAN host `192.168.1.10` becomes `<clat /96>::192.168.1.10`).

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::eamt::{Eam, EamtError};
use crate::siit::SiitConfig;
use rfc6052::Nat64Prefix;

/// Why a CLAT plan cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClatError {
    /// The delegated prefix is longer than /64: no /64 to take.
    #[error("delegated prefix /{0} is longer than /64")]
    DelegationTooLong(u8),
    /// The subnet index does not fit in the delegation.
    #[error("subnet {subnet} does not fit in a /{len} delegation")]
    SubnetOutOfRange {
        /// The index asked for.
        subnet: u64,
        /// The delegated prefix length.
        len: u8,
    },
    /// The LAN prefix is longer than /32.
    #[error("LAN prefix length {0} is over 32")]
    LanLength(u8),
    /// The EAM could not be built.
    #[error("EAM: {0}")]
    Eam(EamtError),
}

/// A CLAT's address plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clat {
    /// The CLAT's dedicated /96 (its LAN hosts' IPv6 forms live here).
    pub prefix: Nat64Prefix,
    /// The PLAT's NAT64 prefix (destinations are embedded in it).
    pub plat: Nat64Prefix,
    /// The IPv4 LAN translated, as network and length.
    pub lan: (Ipv4Addr, u8),
}

impl Clat {
    /// The plan for a CPE delegated `delegated/len` (len ≤ 64): the CLAT
    /// takes the /64 number `subnet` of the delegation and the first /96
    /// in it (RFC 6877 §6.3: "a dedicated /64 ... for the CLAT" when the
    /// CPE has a delegation).
    pub fn from_delegation(
        delegated: Ipv6Addr,
        len: u8,
        subnet: u64,
        plat: Nat64Prefix,
        lan: Ipv4Addr,
        lan_len: u8,
    ) -> Result<Clat, ClatError> {
        if len > 64 {
            return Err(ClatError::DelegationTooLong(len));
        }
        let bits = 64 - u32::from(len);
        if bits < 64 && subnet >> bits != 0 {
            return Err(ClatError::SubnetOutOfRange { subnet, len });
        }
        if lan_len > 32 {
            return Err(ClatError::LanLength(lan_len));
        }
        let mask = if len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(len))
        };
        let base = u128::from(delegated) & mask;
        let prefix = base | u128::from(subnet) << 64;
        let prefix =
            Nat64Prefix::new(Ipv6Addr::from(prefix), 96).map_err(|_| ClatError::LanLength(96))?;
        let lan_mask = if lan_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(lan_len))
        };
        Ok(Clat {
            prefix,
            plat,
            lan: (Ipv4Addr::from(u32::from(lan) & lan_mask), lan_len),
        })
    }

    /// The IPv6 source a LAN host's packets leave with.
    pub fn source_v6(&self, host: Ipv4Addr) -> Option<Ipv6Addr> {
        let (net, len) = self.lan;
        let mask = if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        };
        (u32::from(host) & mask == u32::from(net)).then(|| self.prefix.embed_unrestricted(host))
    }

    /// The EAM that maps the LAN into the CLAT /96.
    pub fn eam(&self) -> Result<Eam, ClatError> {
        let (net, len) = self.lan;
        Eam::new(net, len, self.prefix.embed_unrestricted(net), 96 + len).map_err(ClatError::Eam)
    }

    /// A translator configuration doing this plan (Jool's defaults
    /// otherwise).
    pub fn siit_config(&self) -> Result<SiitConfig, ClatError> {
        let mut c = SiitConfig::new(Some(self.plat));
        c.eamt.add(self.eam()?).map_err(ClatError::Eam)?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clat_96_comes_from_the_delegation() {
        let d: Ipv6Addr = "2001:db8:1200::".parse().unwrap();
        let lan = Ipv4Addr::new(192, 168, 1, 0);
        let c = Clat::from_delegation(d, 56, 0xff, Nat64Prefix::WELL_KNOWN, lan, 24).unwrap();
        assert_eq!(
            c.prefix.addr(),
            "2001:db8:1200:ff::".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            c.source_v6(Ipv4Addr::new(192, 168, 1, 10)),
            Some("2001:db8:1200:ff::192.168.1.10".parse().unwrap())
        );
        assert_eq!(c.source_v6(Ipv4Addr::new(192, 168, 2, 10)), None);
        assert_eq!(
            Clat::from_delegation(d, 56, 0x100, Nat64Prefix::WELL_KNOWN, lan, 24),
            Err(ClatError::SubnetOutOfRange {
                subnet: 0x100,
                len: 56
            })
        );
        assert_eq!(
            Clat::from_delegation(d, 80, 0, Nat64Prefix::WELL_KNOWN, lan, 24),
            Err(ClatError::DelegationTooLong(80))
        );
    }
}
