//! Prefix pools and the stable choice of a prefix for a DUID+IAID.

use core::net::Ipv6Addr;

/// A pool: `prefix/prefix_len` carved into prefixes of `delegated_len`
/// (a /48 into 256 /56s, say).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Dhcpv6PrefixPool {
    /// The pool's prefix.
    pub prefix: Ipv6Addr,
    /// Its length.
    pub prefix_len: u8,
    /// The length of each delegated prefix.
    pub delegated_len: u8,
}

/// The most prefixes one pool may hold (2^20): the choice probes the pool,
/// so its size bounds the work per Solicit.
pub const MAX_POOL_SLOTS: u64 = 1 << 20;

pub(crate) fn mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    }
}

impl Dhcpv6PrefixPool {
    /// A pool.
    pub fn new(prefix: Ipv6Addr, prefix_len: u8, delegated_len: u8) -> Dhcpv6PrefixPool {
        Dhcpv6PrefixPool {
            prefix,
            prefix_len,
            delegated_len,
        }
    }

    pub(crate) fn valid(&self) -> bool {
        self.prefix_len <= self.delegated_len
            && self.delegated_len <= 128
            && u128::from(self.prefix) & !mask(self.prefix_len) == 0
            && u32::from(self.delegated_len - self.prefix_len) <= MAX_POOL_SLOTS.trailing_zeros()
    }

    /// How many prefixes the pool holds.
    pub fn slots(&self) -> u64 {
        1u64 << (self.delegated_len - self.prefix_len)
    }

    /// The `i`th delegated prefix.
    pub(crate) fn slot(&self, i: u64) -> Ipv6Addr {
        let shift = 128 - u32::from(self.delegated_len);
        let off = if shift >= 128 {
            0
        } else {
            u128::from(i) << shift
        };
        Ipv6Addr::from(u128::from(self.prefix) | off)
    }

    /// Whether `p/len` is one of this pool's delegated prefixes.
    pub fn contains(&self, p: Ipv6Addr, len: u8) -> bool {
        len == self.delegated_len
            && u128::from(p) & mask(self.prefix_len) == u128::from(self.prefix)
            && u128::from(p) & !mask(len) == 0
    }
}

/// 64-bit FNV-1a (the same stable hash as dhcpv4-proto's pools).
pub(crate) fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
