//! RFC 6052 §2.4's example address under every prefix length, extracted
//! again, and §3.1's rule that the Well-Known Prefix carries only global
//! IPv4 addresses.
//!
//! `cargo run --example embed`

use core::net::Ipv4Addr;
use rfc6052::{Nat64AddressError, Nat64Prefix, PREFIX_LENGTHS};

fn main() {
    let v4 = Ipv4Addr::new(192, 0, 2, 33);
    for len in PREFIX_LENGTHS {
        // A network-specific prefix may carry any IPv4 address.
        let prefix = Nat64Prefix::containing("2001:db8:122:344::".parse().unwrap(), len).unwrap();
        let v6 = prefix.embed(v4).unwrap();
        assert_eq!(prefix.extract(v6), Ok(v4));
        // The byte-array form a translator uses per packet agrees.
        assert_eq!(prefix.embed_octets(v4.octets()), v6.octets());
        println!("{v4} under {prefix} = {v6}");
    }

    // 64:ff9b::/96 only for global addresses: 192.0.2.33 is TEST-NET-1.
    let wkp = Nat64Prefix::WELL_KNOWN;
    assert_eq!(
        wkp.embed(v4),
        Err(Nat64AddressError::NonGlobalWithWellKnownPrefix(v4))
    );
    let global = Ipv4Addr::new(192, 88, 99, 1);
    println!("{global} under {wkp} = {}", wkp.embed(global).unwrap());
    println!("{v4} under {wkp}: {}", wkp.embed(v4).unwrap_err());
}
