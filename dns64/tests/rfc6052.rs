//! RFC 6052 embedding: round-trips for every prefix length.

use std::net::{Ipv4Addr, Ipv6Addr};

use dns64::rfc6052::{Nat64Prefix, PREFIX_LENGTHS, is_global};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn prefix() -> impl Strategy<Value = Nat64Prefix> {
    (any::<u128>(), prop::sample::select(PREFIX_LENGTHS.to_vec()))
        .prop_filter_map("u octet set in a /96", |(bits, len)| {
            Nat64Prefix::containing(Ipv6Addr::from(bits), len)
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(6052),
        cases: 2048,
        ..ProptestConfig::default()
    })]

    /// extract(embed(v4)) == v4 under any prefix; the embedded address is
    /// under the prefix with the u octet and the suffix zero.
    #[test]
    fn embed_extract_round_trip(prefix in prefix(), v4 in any::<u32>().prop_map(Ipv4Addr::from)) {
        let v6 = prefix.embed_unrestricted(v4);
        prop_assert!(prefix.contains(v6));
        prop_assert_eq!(v6.octets()[8], 0);
        prop_assert_eq!(prefix.extract_unrestricted(v6), Ok(v4));
        let suffix_start = usize::from(prefix.prefix_len() / 8) + 4 + usize::from(prefix.prefix_len() <= 64);
        prop_assert!(v6.octets()[suffix_start.min(16)..].iter().all(|&b| b == 0));
        // The checked variants agree unless §3.1 forbids the pair.
        let allowed = !prefix.is_well_known() || is_global(v4);
        prop_assert_eq!(prefix.embed(v4).is_ok(), allowed);
        prop_assert_eq!(prefix.extract(v6).is_ok(), allowed);
        if allowed {
            prop_assert_eq!(prefix.embed(v4), Ok(v6));
        }
    }

    /// Any address and length: a precise error or a prefix that keeps the
    /// address and an allowed length, never a panic.
    #[test]
    fn new_never_panics(bits in any::<u128>(), len in any::<u8>()) {
        let r = Nat64Prefix::new(Ipv6Addr::from(bits), len);
        if let Ok(p) = r {
            prop_assert_eq!(p.addr(), Ipv6Addr::from(bits));
            prop_assert!(PREFIX_LENGTHS.contains(&p.prefix_len()));
        }
    }
}
