//! IPv4-embedded IPv6 addresses (RFC 6052), shared by the DNS64 (which
//! synthesizes them) and the translator (which maps packets through them).
//!
//! A [`Nat64Prefix`] is a validated prefix of length 32, 40, 48, 56, 64 or
//! 96 (§2.2). The IPv4 address is written into the 32 bits after the prefix,
//! skipping bits 64–71 (the "u" octet, always zero); the bits after it (the
//! suffix) are written as zero and ignored when extracting.
//!
//! The Well-Known Prefix `64:ff9b::/96` must not carry non-global IPv4
//! addresses (§3.1): [`Nat64Prefix::embed`] and [`Nat64Prefix::extract`]
//! refuse them for it, the `_unrestricted` variants do not (for the
//! arithmetic alone, as in §2.4's own example with 192.0.2.33). A
//! network-specific prefix may carry any IPv4 address. The `_octets`
//! variants are the unrestricted arithmetic on byte arrays, for a
//! translator's per-packet path (no policy, no `Ipv6Addr` conversions, the
//! /96 case without per-byte positions).
//!
//! `#![no_std]`, no allocation, nothing beyond `core` (and `thiserror` for
//! the errors' `Display`).
//!
//! # Example
//!
//! ```
//! use core::net::{Ipv4Addr, Ipv6Addr};
//! use rfc6052::Nat64Prefix;
//!
//! // RFC 6052 §2.4: 192.0.2.33 under 2001:db8:122:344::/64.
//! let prefix = Nat64Prefix::new("2001:db8:122:344::".parse().unwrap(), 64).unwrap();
//! let v6 = prefix.embed(Ipv4Addr::new(192, 0, 2, 33)).unwrap();
//! assert_eq!(v6, "2001:db8:122:344:c0:2:2100:0".parse::<Ipv6Addr>().unwrap());
//! assert_eq!(prefix.extract(v6), Ok(Ipv4Addr::new(192, 0, 2, 33)));
//! ```
#![no_std]
#![forbid(unsafe_code)]

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

/// Why a prefix is not a valid NAT64 prefix.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Nat64PrefixError {
    /// The length is not one of 32, 40, 48, 56, 64, 96 (§2.2).
    #[error("prefix length {0} is not one of 32, 40, 48, 56, 64, 96")]
    BadLength(u8),
    /// Bits 64–71 of a /96 prefix are not zero (§2.2: MUST be zero).
    #[error("bits 64-71 (the u octet) of the prefix are not zero")]
    UOctetNotZero,
    /// Bits beyond the prefix length are set.
    #[error("address bits beyond the prefix length are set")]
    HostBitsSet,
}

/// Why an IPv4 address cannot be embedded or extracted.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Nat64AddressError {
    /// The Well-Known Prefix with a non-global IPv4 address (§3.1).
    #[error("the well-known prefix 64:ff9b::/96 must not carry the non-global address {0}")]
    NonGlobalWithWellKnownPrefix(Ipv4Addr),
    /// The IPv6 address is not under the prefix.
    #[error("the address is not under the prefix")]
    NotUnderPrefix,
    /// Bits 64–71 of the IPv6 address are not zero (§2.2).
    #[error("bits 64-71 (the u octet) of the address are not zero")]
    UOctetNotZero,
}

/// A NAT64 prefix: the Well-Known Prefix or a network-specific one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nat64Prefix {
    octets: [u8; 16],
    len: u8,
}

/// The prefix lengths RFC 6052 §2.2 allows, shortest first.
pub const PREFIX_LENGTHS: [u8; 6] = [32, 40, 48, 56, 64, 96];

impl Nat64Prefix {
    /// The Well-Known Prefix `64:ff9b::/96` (§2.1).
    pub const WELL_KNOWN: Nat64Prefix = Nat64Prefix {
        octets: [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        len: 96,
    };

    /// A validated prefix: `len` one of [`PREFIX_LENGTHS`], the u octet
    /// zero, no bits set beyond `len`.
    pub fn new(addr: Ipv6Addr, len: u8) -> Result<Nat64Prefix, Nat64PrefixError> {
        if !PREFIX_LENGTHS.contains(&len) {
            return Err(Nat64PrefixError::BadLength(len));
        }
        let octets = addr.octets();
        if octets[8] != 0 {
            // For /32../64 this octet is beyond the prefix; report the more
            // specific reason for /96, where it is part of it.
            return Err(if len == 96 {
                Nat64PrefixError::UOctetNotZero
            } else {
                Nat64PrefixError::HostBitsSet
            });
        }
        if octets[usize::from(len / 8)..].iter().any(|&b| b != 0) {
            return Err(Nat64PrefixError::HostBitsSet);
        }
        Ok(Nat64Prefix { octets, len })
    }

    /// The prefix of length `len` that `addr` lies under (bits beyond `len`
    /// cleared), as RFC 7050 §3 finds it; `None` when `len` is not allowed or
    /// the u octet of a /96 is not zero.
    pub fn containing(addr: Ipv6Addr, len: u8) -> Option<Nat64Prefix> {
        if !PREFIX_LENGTHS.contains(&len) {
            return None;
        }
        let mut octets = addr.octets();
        octets[usize::from(len / 8)..].fill(0);
        Nat64Prefix::new(Ipv6Addr::from(octets), len).ok()
    }

    /// The prefix's address (bits beyond the length are zero).
    pub fn addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.octets)
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether this is `64:ff9b::/96`.
    pub fn is_well_known(&self) -> bool {
        *self == Nat64Prefix::WELL_KNOWN
    }

    /// Whether `addr` lies under this prefix.
    pub fn contains(&self, addr: Ipv6Addr) -> bool {
        let n = usize::from(self.len / 8);
        addr.octets()[..n] == self.octets[..n]
    }

    /// `v4` embedded under this prefix (§2.2's arithmetic alone, as
    /// [`Nat64Prefix::embed_unrestricted`]) on byte arrays.
    #[inline(always)]
    pub fn embed_octets(&self, v4: [u8; 4]) -> [u8; 16] {
        let mut out = self.octets;
        if self.len == 96 {
            // The common case, without the per-byte positions.
            out[12..].copy_from_slice(&v4);
            return out;
        }
        for (pos, b) in self.positions().into_iter().zip(v4) {
            out[pos] = b;
        }
        out
    }

    /// Whether `v6` lies under this prefix, on a byte array.
    #[inline(always)]
    pub fn contains_octets(&self, v6: &[u8; 16]) -> bool {
        // One 128-bit compare under the mask instead of a memcmp call.
        let mask = u128::MAX << (128 - u32::from(self.len));
        u128::from_be_bytes(*v6) & mask == u128::from_be_bytes(self.octets)
    }

    /// The IPv4 address embedded in `v6` (as
    /// [`Nat64Prefix::extract_unrestricted`]: under the prefix, u octet
    /// zero, suffix ignored) on byte arrays; `None` otherwise.
    #[inline(always)]
    pub fn extract_octets(&self, v6: &[u8; 16]) -> Option<[u8; 4]> {
        if !self.contains_octets(v6) {
            return None;
        }
        if self.len == 96 {
            // The u octet is part of a /96 prefix, already compared.
            return Some([v6[12], v6[13], v6[14], v6[15]]);
        }
        if v6[8] != 0 {
            return None;
        }
        let p = self.positions();
        Some([v6[p[0]], v6[p[1]], v6[p[2]], v6[p[3]]])
    }

    /// The octet positions the IPv4 address occupies (§2.2's figure 1).
    fn positions(&self) -> [usize; 4] {
        let mut out = [0; 4];
        let mut i = usize::from(self.len / 8);
        for slot in &mut out {
            if i == 8 {
                i += 1;
            }
            *slot = i;
            i += 1;
        }
        out
    }

    /// `v4` embedded under this prefix, refused for the Well-Known Prefix
    /// with a non-global address (§3.1, see [`is_global`]).
    pub fn embed(&self, v4: Ipv4Addr) -> Result<Ipv6Addr, Nat64AddressError> {
        if self.is_well_known() && !is_global(v4) {
            return Err(Nat64AddressError::NonGlobalWithWellKnownPrefix(v4));
        }
        Ok(self.embed_unrestricted(v4))
    }

    /// `v4` embedded under this prefix by §2.2's algorithm alone.
    pub fn embed_unrestricted(&self, v4: Ipv4Addr) -> Ipv6Addr {
        let mut out = self.octets;
        for (pos, b) in self.positions().into_iter().zip(v4.octets()) {
            out[pos] = b;
        }
        Ipv6Addr::from(out)
    }

    /// The IPv4 address embedded in `v6`, refused for the Well-Known Prefix
    /// with a non-global address (§3.1).
    pub fn extract(&self, v6: Ipv6Addr) -> Result<Ipv4Addr, Nat64AddressError> {
        let v4 = self.extract_unrestricted(v6)?;
        if self.is_well_known() && !is_global(v4) {
            return Err(Nat64AddressError::NonGlobalWithWellKnownPrefix(v4));
        }
        Ok(v4)
    }

    /// The IPv4 address embedded in `v6` by §2.2's algorithm alone (the
    /// prefix must match and the u octet be zero; the suffix is ignored).
    pub fn extract_unrestricted(&self, v6: Ipv6Addr) -> Result<Ipv4Addr, Nat64AddressError> {
        if !self.contains(v6) {
            return Err(Nat64AddressError::NotUnderPrefix);
        }
        let o = v6.octets();
        if o[8] != 0 {
            return Err(Nat64AddressError::UOctetNotZero);
        }
        let p = self.positions();
        Ok(Ipv4Addr::new(o[p[0]], o[p[1]], o[p[2]], o[p[3]]))
    }
}

impl fmt::Debug for Nat64Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Nat64Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr(), self.len)
    }
}

/// IPv4 special-purpose ranges whose "Global" entry is False in RFC 6890
/// §2.2.2 (and the IANA registry it created), plus 224.0.0.0/4 multicast,
/// which RFC 5735 §3 (the list RFC 6052 §3.1 cites) names and RFC 6890's
/// table leaves to its own registry. Address and prefix length.
pub const NON_GLOBAL_IPV4: [(Ipv4Addr, u8); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),          // "This host on this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),         // Private-Use (RFC 1918)
    (Ipv4Addr::new(100, 64, 0, 0), 10),      // Shared Address Space (RFC 6598)
    (Ipv4Addr::new(127, 0, 0, 0), 8),        // Loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),     // Link Local
    (Ipv4Addr::new(172, 16, 0, 0), 12),      // Private-Use
    (Ipv4Addr::new(192, 0, 0, 0), 24),       // IETF Protocol Assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),       // TEST-NET-1
    (Ipv4Addr::new(192, 168, 0, 0), 16),     // Private-Use
    (Ipv4Addr::new(198, 18, 0, 0), 15),      // Benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24),    // TEST-NET-2
    (Ipv4Addr::new(203, 0, 113, 0), 24),     // TEST-NET-3
    (Ipv4Addr::new(224, 0, 0, 0), 4),        // Multicast (RFC 5735 §3)
    (Ipv4Addr::new(240, 0, 0, 0), 4),        // Reserved
    (Ipv4Addr::new(255, 255, 255, 255), 32), // Limited Broadcast
];

/// Addresses inside [`NON_GLOBAL_IPV4`] that may still be embedded in the
/// Well-Known Prefix: 192.0.0.9 (PCP anycast, RFC 7723) and 192.0.0.10
/// (TURN anycast, RFC 8155) are Global in the IANA registry, and
/// 192.0.0.170/171 must be synthesized with it for prefix discovery
/// (RFC 7050 §2.2, RFC 8880).
pub const WELL_KNOWN_PREFIX_EXCEPTIONS: [Ipv4Addr; 4] = [
    Ipv4Addr::new(192, 0, 0, 9),
    Ipv4Addr::new(192, 0, 0, 10),
    Ipv4Addr::new(192, 0, 0, 170),
    Ipv4Addr::new(192, 0, 0, 171),
];

/// Whether `v4` may be represented with the Well-Known Prefix: outside
/// every range of [`NON_GLOBAL_IPV4`], or one of
/// [`WELL_KNOWN_PREFIX_EXCEPTIONS`].
pub fn is_global(v4: Ipv4Addr) -> bool {
    if WELL_KNOWN_PREFIX_EXCEPTIONS.contains(&v4) {
        return true;
    }
    let a = u32::from(v4);
    !NON_GLOBAL_IPV4.iter().any(|&(net, len)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
        a & mask == u32::from(net)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, len: u8) -> Nat64Prefix {
        Nat64Prefix::new(s.parse().unwrap(), len).unwrap()
    }

    /// RFC 6052 §2.4, every row of the table.
    #[test]
    fn rfc6052_section_2_4_examples() {
        let v4 = Ipv4Addr::new(192, 0, 2, 33);
        let rows: [(&str, u8, &str); 7] = [
            ("2001:db8::", 32, "2001:db8:c000:221::"),
            ("2001:db8:100::", 40, "2001:db8:1c0:2:21::"),
            ("2001:db8:122::", 48, "2001:db8:122:c000:2:2100::"),
            ("2001:db8:122:300::", 56, "2001:db8:122:3c0:0:221::"),
            ("2001:db8:122:344::", 64, "2001:db8:122:344:c0:2:2100:0"),
            ("2001:db8:122:344::", 96, "2001:db8:122:344::192.0.2.33"),
            ("64:ff9b::", 96, "64:ff9b::192.0.2.33"),
        ];
        for (prefix, len, expect) in rows {
            let prefix = p(prefix, len);
            let expect: Ipv6Addr = expect.parse().unwrap();
            assert_eq!(prefix.embed_unrestricted(v4), expect, "{prefix}");
            assert_eq!(prefix.extract_unrestricted(expect), Ok(v4), "{prefix}");
            if prefix.is_well_known() {
                // 192.0.2.33 is TEST-NET-1: not global, so §3.1 refuses
                // it with the Well-Known Prefix (the table only shows the
                // arithmetic).
                let err = Nat64AddressError::NonGlobalWithWellKnownPrefix(v4);
                assert_eq!(prefix.embed(v4), Err(err));
                assert_eq!(prefix.extract(expect), Err(err));
            } else {
                assert_eq!(prefix.embed(v4), Ok(expect), "{prefix}");
                assert_eq!(prefix.extract(expect), Ok(v4), "{prefix}");
            }
        }
    }

    #[test]
    fn prefix_validation() {
        let a: Ipv6Addr = "2001:db8::".parse().unwrap();
        for len in [0, 31, 33, 63, 65, 95, 97, 128] {
            assert_eq!(
                Nat64Prefix::new(a, len),
                Err(Nat64PrefixError::BadLength(len))
            );
        }
        assert_eq!(
            Nat64Prefix::new("2001:db8:0:0:100::".parse().unwrap(), 96),
            Err(Nat64PrefixError::UOctetNotZero)
        );
        assert_eq!(
            Nat64Prefix::new("2001:db8:0:0:100::".parse().unwrap(), 64),
            Err(Nat64PrefixError::HostBitsSet)
        );
        assert_eq!(
            Nat64Prefix::new("2001:db8:1::".parse().unwrap(), 32),
            Err(Nat64PrefixError::HostBitsSet)
        );
        assert_eq!(
            Nat64Prefix::new("64:ff9b::1".parse().unwrap(), 96),
            Err(Nat64PrefixError::HostBitsSet)
        );
        assert_eq!(p("64:ff9b::", 96), Nat64Prefix::WELL_KNOWN);
        assert!(!p("64:ff9b:1::", 48).is_well_known());
    }

    #[test]
    fn extract_refuses_other_prefix_and_nonzero_u_octet() {
        let pre = p("2001:db8:122:344::", 64);
        assert_eq!(
            pre.extract("2001:db8:122:345:c0:2:2100:0".parse().unwrap()),
            Err(Nat64AddressError::NotUnderPrefix)
        );
        assert_eq!(
            pre.extract("2001:db8:122:344:1c0:2:2100:0".parse().unwrap()),
            Err(Nat64AddressError::UOctetNotZero)
        );
        // The suffix is ignored.
        assert_eq!(
            pre.extract("2001:db8:122:344:c0:2:2100:ffff".parse().unwrap()),
            Ok(Ipv4Addr::new(192, 0, 2, 33))
        );
    }

    #[test]
    fn well_known_prefix_global_rule() {
        let wkp = Nat64Prefix::WELL_KNOWN;
        let nsp = p("2001:db8:64::", 96);
        for (net, len) in NON_GLOBAL_IPV4 {
            let first = net;
            let last = Ipv4Addr::from(
                u32::from(net) | (u32::MAX.checked_shr(u32::from(len)).unwrap_or(0)),
            );
            for v4 in [first, last] {
                if WELL_KNOWN_PREFIX_EXCEPTIONS.contains(&v4) {
                    continue;
                }
                assert!(!is_global(v4), "{v4}");
                assert!(wkp.embed(v4).is_err(), "{v4}");
                assert!(nsp.embed(v4).is_ok(), "{v4}");
            }
        }
        // Just outside some ranges.
        for v4 in [
            Ipv4Addr::new(1, 0, 0, 0),
            Ipv4Addr::new(9, 255, 255, 255),
            Ipv4Addr::new(11, 0, 0, 0),
            Ipv4Addr::new(100, 63, 255, 255),
            Ipv4Addr::new(100, 128, 0, 0),
            Ipv4Addr::new(172, 32, 0, 0),
            Ipv4Addr::new(192, 0, 1, 0),
            Ipv4Addr::new(192, 88, 99, 1), // 6to4 relay anycast: Global
            Ipv4Addr::new(198, 20, 0, 0),
            Ipv4Addr::new(223, 255, 255, 255),
        ] {
            assert!(is_global(v4), "{v4}");
            assert!(wkp.embed(v4).is_ok(), "{v4}");
        }
        for v4 in WELL_KNOWN_PREFIX_EXCEPTIONS {
            assert!(wkp.embed(v4).is_ok(), "{v4}");
        }
        assert_eq!(
            wkp.embed(Ipv4Addr::new(192, 0, 0, 170)),
            Ok("64:ff9b::c000:aa".parse().unwrap())
        );
        assert!(wkp.embed(Ipv4Addr::new(192, 0, 0, 8)).is_err());
    }

    #[test]
    fn containing_masks_to_the_length() {
        let a: Ipv6Addr = "2001:db8:122:344:c0:2:2100:0".parse().unwrap();
        assert_eq!(
            Nat64Prefix::containing(a, 64),
            Some(p("2001:db8:122:344::", 64))
        );
        assert_eq!(
            Nat64Prefix::containing(a, 96),
            Some(p("2001:db8:122:344:c0:2::", 96))
        );
        // A /96 whose u octet would be set.
        let b: Ipv6Addr = "2001:db8::100:0:0:1".parse().unwrap();
        assert_eq!(Nat64Prefix::containing(b, 96), None);
        assert_eq!(Nat64Prefix::containing(b, 64), Some(p("2001:db8::", 64)));
        assert_eq!(Nat64Prefix::containing(a, 33), None);
    }

    #[test]
    fn octets_variants_agree_with_the_address_ones() {
        let v4 = Ipv4Addr::new(192, 0, 2, 33);
        for len in PREFIX_LENGTHS {
            let pre = Nat64Prefix::containing("2001:db8:122:344::".parse().unwrap(), len).unwrap();
            let v6 = pre.embed_unrestricted(v4);
            assert_eq!(pre.embed_octets(v4.octets()), v6.octets(), "{pre}");
            assert!(pre.contains_octets(&v6.octets()));
            assert_eq!(pre.extract_octets(&v6.octets()), Some(v4.octets()));
            let mut other = v6.octets();
            other[0] ^= 0x80;
            assert!(!pre.contains_octets(&other));
            assert_eq!(pre.extract_octets(&other), None);
            if len < 96 {
                let mut u = v6.octets();
                u[8] = 1;
                assert_eq!(pre.extract_octets(&u), None, "{pre}: u octet");
                assert_eq!(
                    pre.extract_unrestricted(Ipv6Addr::from(u)),
                    Err(Nat64AddressError::UOctetNotZero)
                );
            }
        }
    }
}
