//! Carving one /64 per LAN interface out of a delegated prefix.

use core::net::Ipv6Addr;

/// Why a /64 cannot be carved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NdpCarveError {
    /// The delegated prefix is longer than /64: there is no /64 inside it.
    #[error("delegated prefix /{0} is longer than /64")]
    PrefixTooLong(u8),
    /// The index does not fit: a /60 holds 16 /64s (indexes 0–15), a /61
    /// holds 8.
    #[error("interface index {index} does not fit in a /{prefix_length}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u32,
        /// The delegated prefix length.
        prefix_length: u8,
    },
}

/// The `index`-th /64 of `delegated`/`prefix_length`, counting
/// sequentially from the start of the delegated prefix (index 0 is the
/// first /64; bits past the prefix length in `delegated` are ignored).
///
/// ```
/// use ndp_proto::carve_lan_prefix;
/// let d = "2001:db8:0:a0::".parse().unwrap();
/// assert_eq!(carve_lan_prefix(d, 60, 3), Ok("2001:db8:0:a3::".parse().unwrap()));
/// assert!(carve_lan_prefix(d, 61, 8).is_err()); // a /61 holds 8 /64s
/// ```
pub fn carve_lan_prefix(
    delegated: Ipv6Addr,
    prefix_length: u8,
    index: u32,
) -> Result<Ipv6Addr, NdpCarveError> {
    if prefix_length > 64 {
        return Err(NdpCarveError::PrefixTooLong(prefix_length));
    }
    let subnet_bits = 64 - u32::from(prefix_length);
    if subnet_bits < 32 && u64::from(index) >= 1u64 << subnet_bits {
        return Err(NdpCarveError::IndexOutOfRange {
            index,
            prefix_length,
        });
    }
    let base = u128::from(crate::wire::mask(delegated, prefix_length));
    Ok(Ipv6Addr::from(base | (u128::from(index) << 64)))
}
