//! RFC 6052 IPv4-embedded IPv6 addresses: the translator's pool6 prefix.
//!
//! An IPv4 address is written into the IPv6 prefix at the byte positions of
//! RFC 6052 §2.2, skipping bits 64–71 (the "u" octet, which stays zero). All
//! six prefix lengths (32, 40, 48, 56, 64, 96) are supported. The suffix
//! after the IPv4 bytes is zero on embedding and ignored on extraction, as is
//! the u octet (§2.2 says it is zero when built; a receiver needs nothing
//! from it).
//!
//! Not implemented: §3.1's rule that the Well-Known Prefix `64:ff9b::/96`
//! only carries global IPv4 addresses (the caller's policy).
//!
//! This module must be deduplicated with the `dns64` crate's `rfc6052` when
//! both are merged (they were written at the same time).

use core::net::{Ipv4Addr, Ipv6Addr};

/// The RFC 6052 §2.1 Well-Known Prefix, `64:ff9b::/96`.
pub const WELL_KNOWN_PREFIX: Pool6 = Pool6 {
    prefix: [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    len: 96,
    at: [12, 13, 14, 15],
};

/// An RFC 6052 prefix (the translator's pool6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool6 {
    prefix: [u8; 16],
    len: u8,
    /// The byte positions of the four IPv4 bytes (§2.2: byte 8 skipped),
    /// worked out once.
    at: [u8; 4],
}

/// Why a prefix is not an RFC 6052 prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Pool6Error {
    /// The length is not 32, 40, 48, 56, 64 or 96 (RFC 6052 §2.2).
    #[error("RFC 6052 prefix length {0} is not 32, 40, 48, 56, 64 or 96")]
    BadLength(u8),
    /// Bits 64–71 (the u octet) are not zero in a prefix that covers them.
    #[error("RFC 6052 prefix has non-zero bits 64-71")]
    NonZeroU,
}

impl Pool6 {
    /// The prefix `prefix/len`; host bits after `len` are cleared.
    pub fn new(prefix: Ipv6Addr, len: u8) -> Result<Pool6, Pool6Error> {
        if !matches!(len, 32 | 40 | 48 | 56 | 64 | 96) {
            return Err(Pool6Error::BadLength(len));
        }
        let mut bytes = prefix.octets();
        bytes[usize::from(len / 8)..].fill(0);
        if len == 96 && bytes[8] != 0 {
            return Err(Pool6Error::NonZeroU);
        }
        Ok(Pool6 {
            prefix: bytes,
            len,
            at: positions(len),
        })
    }

    /// The prefix address.
    pub fn prefix(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.prefix)
    }

    /// The prefix length.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// True for no prefix length (never: kept for clippy's `len` rule).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Embeds `v4` (RFC 6052 §2.2).
    #[inline(always)]
    pub fn embed_octets(&self, v4: [u8; 4]) -> [u8; 16] {
        let mut out = self.prefix;
        if self.len == 96 {
            // The common case, without the per-byte positions.
            out[12..].copy_from_slice(&v4);
            return out;
        }
        for (i, &p) in self.at.iter().enumerate() {
            out[usize::from(p) & 15] = v4[i];
        }
        out
    }

    /// Embeds `v4` (RFC 6052 §2.2).
    pub fn embed(&self, v4: Ipv4Addr) -> Ipv6Addr {
        Ipv6Addr::from(self.embed_octets(v4.octets()))
    }

    /// Whether `v6` is inside this prefix.
    #[inline(always)]
    pub fn contains_octets(&self, v6: &[u8; 16]) -> bool {
        // One 128-bit compare under the mask instead of a memcmp call.
        let mask = u128::MAX << (128 - u32::from(self.len));
        u128::from_be_bytes(*v6) & mask == u128::from_be_bytes(self.prefix)
    }

    /// The embedded IPv4 address when `v6` is inside this prefix (§2.3).
    #[inline(always)]
    pub fn extract_octets(&self, v6: &[u8; 16]) -> Option<[u8; 4]> {
        if !self.contains_octets(v6) {
            return None;
        }
        let p = self.at.map(|p| usize::from(p) & 15);
        Some([v6[p[0]], v6[p[1]], v6[p[2]], v6[p[3]]])
    }

    /// The embedded IPv4 address when `v6` is inside this prefix (§2.3).
    pub fn extract(&self, v6: Ipv6Addr) -> Option<Ipv4Addr> {
        self.extract_octets(&v6.octets()).map(Ipv4Addr::from)
    }
}

/// The byte positions of the four IPv4 bytes after a `len`-bit prefix
/// (§2.2: byte 8, the u octet, skipped).
const fn positions(len: u8) -> [u8; 4] {
    let mut at = [0; 4];
    let mut p = len / 8;
    let mut i = 0;
    while i < 4 {
        if p == 8 {
            p += 1;
        }
        at[i] = p;
        p += 1;
        i += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6052 §2.4's table: 192.0.2.33 under each prefix length.
    #[test]
    fn rfc6052_section_2_4_examples() {
        let v4 = Ipv4Addr::new(192, 0, 2, 33);
        let cases: [(&str, u8, &str); 6] = [
            ("2001:db8::", 32, "2001:db8:c000:221::"),
            ("2001:db8:100::", 40, "2001:db8:1c0:2:21::"),
            ("2001:db8:122::", 48, "2001:db8:122:c000:2:2100::"),
            ("2001:db8:122:300::", 56, "2001:db8:122:3c0:0:221::"),
            ("2001:db8:122:344::", 64, "2001:db8:122:344:c0:2:2100:0"),
            ("2001:db8:122:344::", 96, "2001:db8:122:344::192.0.2.33"),
        ];
        for (prefix, len, want) in cases {
            let pool = Pool6::new(prefix.parse().unwrap(), len).unwrap();
            let want: Ipv6Addr = want.parse().unwrap();
            assert_eq!(pool.embed(v4), want, "/{len}");
            assert_eq!(pool.extract(want), Some(v4), "/{len}");
        }
        assert_eq!(
            WELL_KNOWN_PREFIX.embed(v4),
            "64:ff9b::192.0.2.33".parse::<Ipv6Addr>().unwrap()
        );
    }

    #[test]
    fn bad_prefixes_are_refused() {
        assert_eq!(
            Pool6::new(Ipv6Addr::UNSPECIFIED, 80),
            Err(Pool6Error::BadLength(80))
        );
        assert_eq!(
            Pool6::new("64:ff9b:0:0:ff00::".parse().unwrap(), 96),
            Err(Pool6Error::NonZeroU)
        );
        let outside: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(WELL_KNOWN_PREFIX.extract(outside), None);
    }
}
