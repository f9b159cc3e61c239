//! PREF64 (RFC 8781 §4): the NAT64 prefix in an RA.

use core::net::Ipv6Addr;
use core::time::Duration;

use super::prefix::mask;

/// PREF64 prefix lengths (RFC 8781 §4, the Prefix Length Code).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Pref64Length {
    /// Code 0.
    L96,
    /// Code 1.
    L64,
    /// Code 2.
    L56,
    /// Code 3.
    L48,
    /// Code 4.
    L40,
    /// Code 5.
    L32,
}

impl Pref64Length {
    /// From the three-bit code; 6 and 7 are invalid (RFC 8781 §4: the
    /// option MUST be ignored).
    pub fn from_code(code: u8) -> Option<Pref64Length> {
        Some(match code {
            0 => Pref64Length::L96,
            1 => Pref64Length::L64,
            2 => Pref64Length::L56,
            3 => Pref64Length::L48,
            4 => Pref64Length::L40,
            5 => Pref64Length::L32,
            _ => return None,
        })
    }
    /// From a prefix length in bits (96, 64, 56, 48, 40 or 32).
    pub fn from_bits(bits: u8) -> Option<Pref64Length> {
        Some(match bits {
            96 => Pref64Length::L96,
            64 => Pref64Length::L64,
            56 => Pref64Length::L56,
            48 => Pref64Length::L48,
            40 => Pref64Length::L40,
            32 => Pref64Length::L32,
            _ => return None,
        })
    }
    /// The code.
    pub fn code(self) -> u8 {
        self as u8
    }
    /// The prefix length in bits.
    pub fn bits(self) -> u8 {
        [96, 64, 56, 48, 40, 32][self as usize]
    }
}

/// PREF64 (RFC 8781 §4): the NAT64 prefix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Pref64 {
    /// Lifetime in units of 8 seconds (13 bits, at most 8191).
    pub scaled_lifetime: u16,
    /// The prefix length.
    pub length: Pref64Length,
    /// The highest 96 bits of the prefix, as received (bits past the
    /// prefix length are kept, though a receiver ignores them).
    pub prefix: [u8; 12],
}

impl Pref64 {
    /// The largest scaled lifetime (13 bits).
    pub const MAX_SCALED_LIFETIME: u16 = 8191;

    /// A PREF64 for `prefix`/`length` valid for `lifetime`, rounded up to
    /// the next 8 s and capped at 8191 × 8 s (RFC 8781 §4.1).
    pub fn new(prefix: Ipv6Addr, length: Pref64Length, lifetime: Duration) -> Pref64 {
        let units = lifetime.as_secs().div_ceil(8);
        let masked = mask(prefix, length.bits()).octets();
        let mut p = [0u8; 12];
        p.copy_from_slice(&masked[..12]);
        Pref64 {
            scaled_lifetime: units.min(u64::from(Self::MAX_SCALED_LIFETIME)) as u16,
            length,
            prefix: p,
        }
    }
    /// The lifetime.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(u64::from(self.scaled_lifetime) * 8)
    }
    /// The prefix as an address, bits past the length cleared.
    pub fn prefix(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a[..12].copy_from_slice(&self.prefix);
        mask(Ipv6Addr::from(a), self.length.bits())
    }
}
