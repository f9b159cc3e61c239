//! Prefix Information and MTU (RFC 4861 §4.6.2, §4.6.4), Route Information
//! and the router preference (RFC 4191 §2.1, §2.3).

use core::net::Ipv6Addr;

/// Router preference (RFC 4191 §2.1), in the RA flags and Route Information.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RouterPreference {
    /// 01.
    High,
    /// 00.
    Medium,
    /// 11.
    Low,
    /// 10: a receiver treats it as Medium (RA) or ignores the route.
    Reserved,
}

impl RouterPreference {
    /// From the two-bit field.
    pub fn from_bits(bits: u8) -> RouterPreference {
        match bits & 3 {
            0b01 => RouterPreference::High,
            0b00 => RouterPreference::Medium,
            0b11 => RouterPreference::Low,
            _ => RouterPreference::Reserved,
        }
    }
    /// The two-bit field.
    pub fn bits(self) -> u8 {
        match self {
            RouterPreference::High => 0b01,
            RouterPreference::Medium => 0b00,
            RouterPreference::Low => 0b11,
            RouterPreference::Reserved => 0b10,
        }
    }
}

/// Prefix Information (RFC 4861 §4.6.2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PrefixInformation {
    /// Leading bits of `prefix` that are valid (0–128).
    pub prefix_length: u8,
    /// L (0x80), A (0x40), R (0x20, RFC 6275) and the reserved bits.
    pub flags: u8,
    /// Seconds; `u32::MAX` is infinity.
    pub valid_lifetime: u32,
    /// Seconds; `u32::MAX` is infinity.
    pub preferred_lifetime: u32,
    /// Reserved2, kept as received.
    pub reserved2: u32,
    /// The prefix.
    pub prefix: Ipv6Addr,
}

impl PrefixInformation {
    /// The on-link flag (L).
    pub const ON_LINK: u8 = 0x80;
    /// The autonomous address-configuration flag (A).
    pub const AUTONOMOUS: u8 = 0x40;
    /// The router address flag (R, RFC 6275 §7.2).
    pub const ROUTER_ADDRESS: u8 = 0x20;

    /// An on-link, autonomous prefix.
    pub fn slaac(prefix: Ipv6Addr, prefix_length: u8, valid: u32, preferred: u32) -> Self {
        PrefixInformation {
            prefix_length,
            flags: Self::ON_LINK | Self::AUTONOMOUS,
            valid_lifetime: valid,
            preferred_lifetime: preferred,
            reserved2: 0,
            prefix,
        }
    }
    /// L is set.
    pub fn on_link(&self) -> bool {
        self.flags & Self::ON_LINK != 0
    }
    /// A is set.
    pub fn autonomous(&self) -> bool {
        self.flags & Self::AUTONOMOUS != 0
    }
}

/// MTU (RFC 4861 §4.6.4).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Mtu {
    /// Reserved, kept as received.
    pub reserved: u16,
    /// The link MTU.
    pub mtu: u32,
}

/// Route Information (RFC 4191 §2.3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RouteInformation {
    /// Leading bits of `prefix` that are valid (0–128).
    pub prefix_length: u8,
    /// Prf in bits 3–4 (see [`RouteInformation::preference`]), other bits
    /// reserved and kept.
    pub flags: u8,
    /// Seconds; `u32::MAX` is infinity.
    pub route_lifetime: u32,
    /// The prefix; octets past those carried are zero.
    pub prefix: Ipv6Addr,
    /// The option length (1, 2 or 3): how many prefix octets are carried
    /// (0, 8 or 16). [`RouteInformation::new`] picks the shortest.
    pub length: u8,
}

impl RouteInformation {
    /// A route with the shortest encoding for its prefix length. The prefix
    /// is masked to `prefix_length`.
    pub fn new(
        prefix: Ipv6Addr,
        prefix_length: u8,
        preference: RouterPreference,
        route_lifetime: u32,
    ) -> Self {
        let plen = prefix_length.min(128);
        let length = match plen {
            0 => 1,
            1..=64 => 2,
            _ => 3,
        };
        RouteInformation {
            prefix_length: plen,
            flags: preference.bits() << 3,
            route_lifetime,
            prefix: mask(prefix, plen),
            length,
        }
    }
    /// The route's preference.
    pub fn preference(&self) -> RouterPreference {
        RouterPreference::from_bits(self.flags >> 3)
    }
}

/// `prefix` with every bit past `len` cleared.
pub(crate) fn mask(prefix: Ipv6Addr, len: u8) -> Ipv6Addr {
    let bits = u128::from(prefix);
    let m = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    Ipv6Addr::from(bits & m)
}
