//! The Explicit Address Mapping Table (RFC 7757).
//!
//! An entry maps an IPv4 prefix to an IPv6 prefix. An address is
//! translated by the entry with the longest matching prefix on its side
//! (§3.2): the bits after the IPv4 prefix (its suffix) are copied right
//! after the IPv6 prefix, the rest of the IPv6 address stays zero; back,
//! the same bits are read from after the IPv6 prefix and any IPv6 bits
//! beyond them are ignored. So the IPv4 suffix must fit in the IPv6 suffix
//! (§3.2: `32 - len4 <= 128 - len6`). Entries may overlap (longest match
//! decides); two entries with the same IPv4 prefix or the same IPv6 prefix
//! are refused, as Jool does.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

/// One Explicit Address Mapping: `ipv4/ipv4_len` ↔ `ipv6/ipv6_len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eam {
    ipv4: u32,
    ipv4_len: u8,
    ipv6: u128,
    ipv6_len: u8,
}

/// Why an EAM or an EAMT change is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EamtError {
    /// An IPv4 prefix longer than 32 or an IPv6 prefix longer than 128.
    #[error("prefix length out of range")]
    BadPrefixLength,
    /// The IPv4 suffix does not fit in the IPv6 suffix (RFC 7757 §3.2).
    #[error("IPv4 suffix ({v4_suffix} bits) longer than the IPv6 suffix ({v6_suffix} bits)")]
    SuffixTooLong {
        /// 32 − IPv4 prefix length.
        v4_suffix: u8,
        /// 128 − IPv6 prefix length.
        v6_suffix: u8,
    },
    /// An entry with the same IPv4 or IPv6 prefix exists.
    #[error("an entry with the same IPv4 or IPv6 prefix exists")]
    Duplicate,
}

#[inline]
fn mask4(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

#[inline]
fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

impl Eam {
    /// The mapping `ipv4/ipv4_len` ↔ `ipv6/ipv6_len`; host bits are
    /// cleared.
    pub fn new(
        ipv4: Ipv4Addr,
        ipv4_len: u8,
        ipv6: Ipv6Addr,
        ipv6_len: u8,
    ) -> Result<Eam, EamtError> {
        if ipv4_len > 32 || ipv6_len > 128 {
            return Err(EamtError::BadPrefixLength);
        }
        let (v4_suffix, v6_suffix) = (32 - ipv4_len, 128 - ipv6_len);
        if v4_suffix > v6_suffix {
            return Err(EamtError::SuffixTooLong {
                v4_suffix,
                v6_suffix,
            });
        }
        Ok(Eam {
            ipv4: u32::from(ipv4) & mask4(ipv4_len),
            ipv4_len,
            ipv6: u128::from(ipv6) & mask6(ipv6_len),
            ipv6_len,
        })
    }

    /// The IPv4 prefix and its length.
    pub fn ipv4(&self) -> (Ipv4Addr, u8) {
        (Ipv4Addr::from(self.ipv4), self.ipv4_len)
    }

    /// The IPv6 prefix and its length.
    pub fn ipv6(&self) -> (Ipv6Addr, u8) {
        (Ipv6Addr::from(self.ipv6), self.ipv6_len)
    }

    #[inline]
    fn suffix_bits(&self) -> u32 {
        32 - u32::from(self.ipv4_len)
    }

    #[inline]
    fn matches_v4(&self, a: u32) -> bool {
        a & mask4(self.ipv4_len) == self.ipv4
    }

    #[inline]
    fn matches_v6(&self, a: u128) -> bool {
        a & mask6(self.ipv6_len) == self.ipv6
    }

    /// §3.2, IPv4 → IPv6: the IPv4 suffix right after the IPv6 prefix.
    #[inline]
    fn to_v6(self, a: u32) -> u128 {
        let bits = self.suffix_bits();
        if bits == 0 {
            return self.ipv6;
        }
        let suffix = u128::from(a & !mask4(self.ipv4_len));
        self.ipv6 | suffix << (128 - u32::from(self.ipv6_len) - bits)
    }

    /// §3.2, IPv6 → IPv4: the bits right after the IPv6 prefix.
    #[inline]
    fn to_v4(self, a: u128) -> u32 {
        let bits = self.suffix_bits();
        if bits == 0 {
            return self.ipv4;
        }
        let shift = 128 - u32::from(self.ipv6_len) - bits;
        let suffix = ((a >> shift) as u32) & !mask4(self.ipv4_len);
        self.ipv4 | suffix
    }
}

/// The table: longest-prefix match on either side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Eamt {
    entries: Vec<Eam>,
}

impl Eamt {
    /// An empty table.
    pub fn new() -> Eamt {
        Eamt::default()
    }

    /// Adds `eam`, refusing one whose IPv4 or IPv6 prefix is already there.
    pub fn add(&mut self, eam: Eam) -> Result<(), EamtError> {
        let clash = self.entries.iter().any(|e| {
            (e.ipv4, e.ipv4_len) == (eam.ipv4, eam.ipv4_len)
                || (e.ipv6, e.ipv6_len) == (eam.ipv6, eam.ipv6_len)
        });
        if clash {
            return Err(EamtError::Duplicate);
        }
        self.entries.push(eam);
        Ok(())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the table has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Eam> {
        self.entries.iter()
    }

    fn longest_v4(&self, a: u32) -> Option<&Eam> {
        self.entries
            .iter()
            .filter(|e| e.matches_v4(a))
            .max_by_key(|e| e.ipv4_len)
    }

    fn longest_v6(&self, a: u128) -> Option<&Eam> {
        self.entries
            .iter()
            .filter(|e| e.matches_v6(a))
            .max_by_key(|e| e.ipv6_len)
    }

    /// Whether an entry covers IPv4 `a`.
    #[inline]
    pub(crate) fn covers_v4(&self, a: [u8; 4]) -> bool {
        self.longest_v4(u32::from_be_bytes(a)).is_some()
    }

    #[inline]
    pub(crate) fn v4_to_v6_octets(&self, a: [u8; 4]) -> Option<[u8; 16]> {
        let a = u32::from_be_bytes(a);
        self.longest_v4(a).map(|e| e.to_v6(a).to_be_bytes())
    }

    #[inline]
    pub(crate) fn v6_to_v4_octets(&self, a: &[u8; 16]) -> Option<[u8; 4]> {
        let a = u128::from_be_bytes(*a);
        self.longest_v6(a).map(|e| e.to_v4(a).to_be_bytes())
    }

    /// The IPv6 address of `a` (RFC 7757 §3.2), if an entry covers it.
    pub fn v4_to_v6(&self, a: Ipv4Addr) -> Option<Ipv6Addr> {
        self.v4_to_v6_octets(a.octets()).map(Ipv6Addr::from)
    }

    /// The IPv4 address of `a` (RFC 7757 §3.2), if an entry covers it.
    pub fn v6_to_v4(&self, a: Ipv6Addr) -> Option<Ipv4Addr> {
        self.v6_to_v4_octets(&a.octets()).map(Ipv4Addr::from)
    }
}
