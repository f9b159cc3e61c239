//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! Sums here are *one's-complement sums folded to 16 bits* (not yet
//! inverted); [`finish`] inverts a sum into the value that goes into a
//! header. Data is read as big-endian 16-bit words, an odd final byte padded
//! with zero (RFC 1071 §4.1).
//!
//! ```
//! use sansio_primitives::checksum;
//!
//! // RFC 1071 §3's example bytes sum to 0xddf2.
//! let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
//! assert_eq!(checksum::sum(&bytes), 0xddf2);
//! assert_eq!(checksum::checksum(&bytes), 0x220d);
//!
//! // Changing one word: patch the checksum without re-reading the data.
//! let mut changed = bytes;
//! changed[2..4].copy_from_slice(&[0x12, 0x34]);
//! let patched = checksum::update(0x220d, 0xf203, 0x1234);
//! assert_eq!(patched, checksum::checksum(&changed));
//! ```

/// Folds a wide accumulator of 16-bit one's-complement addends to 16 bits.
#[inline]
fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The one's-complement sum of `data`.
///
/// Adds 32-bit big-endian words into a 64-bit accumulator (a 32-bit word is
/// two 16-bit addends; folding makes the results equal), which is several
/// times faster than adding 16 bits at a time.
pub fn sum(data: &[u8]) -> u16 {
    let mut acc: u64 = 0;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        acc += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    let rest = words.remainder();
    let mut tail = [0u8; 4];
    tail[..rest.len()].copy_from_slice(rest);
    acc += u64::from(u32::from_be_bytes(tail));
    fold(acc)
}

/// One's-complement addition of two folded sums (to combine a pseudo-header
/// sum with a payload sum, say).
#[inline]
pub fn add(a: u16, b: u16) -> u16 {
    fold(u64::from(a) + u64::from(b))
}

/// The checksum field value for a folded sum: its complement.
#[inline]
pub fn finish(sum: u16) -> u16 {
    !sum
}

/// The checksum field value for `data` (with the field itself zeroed in it).
pub fn checksum(data: &[u8]) -> u16 {
    finish(sum(data))
}

/// True when `data`, checksum field included, verifies (its sum is all ones).
pub fn verify(data: &[u8]) -> bool {
    sum(data) == 0xffff
}

/// The sum of the IPv4 pseudo-header for TCP/UDP (RFC 768, RFC 9293 §3.1):
/// addresses, protocol and the upper-layer length.
pub fn pseudo_header_v4(src: [u8; 4], dst: [u8; 4], protocol: u8, length: u16) -> u16 {
    let mut acc = u64::from(u32::from_be_bytes(src)) + u64::from(u32::from_be_bytes(dst));
    acc += u64::from(protocol) + u64::from(length);
    fold(acc)
}

/// The sum of the IPv6 pseudo-header (RFC 8200 §8.1): addresses, the
/// upper-layer packet length and the next header value.
pub fn pseudo_header_v6(src: [u8; 16], dst: [u8; 16], next_header: u8, length: u32) -> u16 {
    let mut acc = u64::from(sum(&src)) + u64::from(sum(&dst));
    acc += u64::from(length >> 16) + u64::from(length & 0xffff) + u64::from(next_header);
    fold(acc)
}

/// RFC 1624 eqn. 3: the new checksum field after one 16-bit word of the
/// covered data changed from `old` to `new`: `HC' = ~(~HC + ~m + m')`.
///
/// Unlike eqn. 2 (`HC - ~m - m'`) it never yields 0xffff where a full
/// recomputation yields 0x0000.
#[inline]
pub fn update(checksum: u16, old: u16, new: u16) -> u16 {
    !add(add(!checksum, !old), new)
}

/// [`update`] for a 32-bit field (an IPv4 address, a TCP sequence number).
#[inline]
pub fn update_u32(checksum: u16, old: u32, new: u32) -> u16 {
    let c = update(checksum, (old >> 16) as u16, (new >> 16) as u16);
    update(c, old as u16, new as u16)
}

/// [`update`] for a run of bytes that starts at an even offset of the covered
/// data and changed from `old` to `new` (an IPv6 address, a whole header
/// being swapped by a translator). `old` and `new` may differ in length: the
/// sum of what left is taken out and the sum of what came in is added, as
/// when RFC 7915 translation replaces an IPv4 pseudo-header by an IPv6 one.
pub fn update_bytes(checksum: u16, old: &[u8], new: &[u8]) -> u16 {
    !add(add(!checksum, !sum(old)), sum(new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    /// The RFC 1071 definition, 16 bits at a time, as the reference.
    fn reference_sum(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for pair in data.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            let lo = pair.get(1).copied().map_or(0, u32::from);
            acc += hi | lo;
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let bytes = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&bytes), 0xddf2);
        // Byte order independence (RFC 1071 §2(B)): swapped input, swapped sum.
        let swapped: Vec<u8> = bytes.chunks(2).flat_map(|p| [p[1], p[0]]).collect();
        assert_eq!(sum(&swapped), 0xf2dd);
    }

    #[test]
    fn rfc1624_example_eqn3_matches_recomputation() {
        // RFC 1624 §4: C (sum of the other words) = 0xCD7A, m = 0x5555 -> m' = 0x3285.
        let hc = finish(add(0xcd7a, 0x5555));
        assert_eq!(hc, 0xdd2f);
        let recomputed = finish(add(0xcd7a, 0x3285));
        assert_eq!(recomputed, 0x0000);
        assert_eq!(update(hc, 0x5555, 0x3285), 0x0000);
    }

    #[test]
    fn ipv4_header_verifies() {
        // A real IPv4 header (RFC 791 layout) with its checksum 0xb861 in place.
        let header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert!(verify(&header));
        let mut zeroed = header;
        zeroed[10] = 0;
        zeroed[11] = 0;
        assert_eq!(checksum(&zeroed), 0xb861);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(sum(&[0xab]), 0xab00);
        assert_eq!(sum(&[0x01, 0x02, 0x03]), 0x0402);
        assert_eq!(sum(&[]), 0);
    }

    #[test]
    fn pseudo_headers_match_summing_the_bytes() {
        let src = [192, 0, 2, 1];
        let dst = [198, 51, 100, 7];
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&src);
        bytes.extend_from_slice(&dst);
        bytes.extend_from_slice(&[0, 17, 0x01, 0x2c]);
        assert_eq!(pseudo_header_v4(src, dst, 17, 300), sum(&bytes));

        let src6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let dst6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 2];
        let mut bytes6 = Vec::new();
        bytes6.extend_from_slice(&src6);
        bytes6.extend_from_slice(&dst6);
        bytes6.extend_from_slice(&70_000u32.to_be_bytes());
        bytes6.extend_from_slice(&[0, 0, 0, 58]);
        assert_eq!(pseudo_header_v6(src6, dst6, 58, 70_000), sum(&bytes6));
    }

    /// One's-complement arithmetic has two zeros; a checksum field may hold
    /// either where the other is computed (RFC 1624 §3). Compare modulo that.
    fn same_value(a: u16, b: u16) -> bool {
        a == b || (a | b == 0xffff && a & b == 0)
    }

    proptest! {
        // A fixed seed: the same cases on every run, so a failure reproduces
        // (save it as a plain #[test]); nothing is written into the source tree.
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(1),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn fast_sum_equals_reference(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(sum(&data), reference_sum(&data));
        }

        #[test]
        fn incremental_equals_full_recompute(
            data in proptest::collection::vec(any::<u8>(), 2..200),
            index in any::<prop::sample::Index>(),
            new in any::<u16>(),
        ) {
            let words = data.len() / 2;
            let at = index.index(words) * 2;
            let before = checksum(&data);
            let old = u16::from_be_bytes([data[at], data[at + 1]]);
            let mut changed = data.clone();
            changed[at..at + 2].copy_from_slice(&new.to_be_bytes());
            let full = checksum(&changed);
            let incremental = update(before, old, new);
            prop_assert!(same_value(incremental, full), "{incremental:#06x} vs {full:#06x}");
            // Eqn. 3 is exact whenever the data is not all zeros.
            if changed.iter().any(|&b| b != 0) {
                prop_assert_eq!(incremental, full);
            }
        }

        #[test]
        fn incremental_bytes_and_u32_equal_full_recompute(
            data in proptest::collection::vec(any::<u8>(), 40..120),
            start_word in 0usize..8,
            new in proptest::collection::vec(any::<u8>(), 16),
        ) {
            let at = start_word * 2;
            let before = checksum(&data);
            let mut changed = data.clone();
            changed[at..at + 16].copy_from_slice(&new);
            let patched = update_bytes(before, &data[at..at + 16], &new);
            prop_assert!(same_value(patched, checksum(&changed)));

            let old4 = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
            let new4 = u32::from_be_bytes([new[0], new[1], new[2], new[3]]);
            let mut changed4 = data.clone();
            changed4[at..at + 4].copy_from_slice(&new4.to_be_bytes());
            prop_assert!(same_value(update_u32(before, old4, new4), checksum(&changed4)));
        }
    }
}
