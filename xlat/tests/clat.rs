//! RFC 6877 CLAT: a LAN host's IPv4 packet leaves with its source in the
//! CLAT /96 and its destination in the PLAT prefix; the reply comes back.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use common::*;
use xlat::{Clat, Nat64Prefix, Siit};

#[test]
fn lan_host_through_the_clat() {
    let clat = Clat::from_delegation(
        "2001:db8:1200::".parse().unwrap(),
        56,
        0xff,
        Nat64Prefix::WELL_KNOWN,
        Ipv4Addr::new(192, 168, 1, 0),
        24,
    )
    .unwrap();
    let mut x = Siit::new(
        clat.siit_config().unwrap(),
        sansio_primitives::SeededRng::from_u64(5),
    )
    .unwrap();
    let host = [192, 168, 1, 10];
    let host6 = "2001:db8:1200:ff::192.168.1.10"
        .parse::<Ipv6Addr>()
        .unwrap()
        .octets();
    let server6 = "64:ff9b::198.51.100.7"
        .parse::<Ipv6Addr>()
        .unwrap()
        .octets();
    let d = data(40);
    let out = translated(
        &mut x,
        &ipv4(
            0,
            1,
            0x4000,
            64,
            UDP,
            host,
            S4,
            &[],
            &udp(Pseudo::V4(host, S4), 4000, 53, &d),
        ),
    );
    assert_eq!(
        out,
        ipv6(
            0,
            UDP,
            63,
            host6,
            server6,
            &[],
            &udp(Pseudo::V6(host6, server6), 4000, 53, &d)
        )
    );
    let reply = ipv6(
        0,
        UDP,
        60,
        server6,
        host6,
        &[],
        &udp(Pseudo::V6(server6, host6), 53, 4000, &d),
    );
    let out = translated(&mut x, &reply);
    let id = u16::from_be_bytes([out[4], out[5]]);
    assert_eq!(
        out,
        ipv4(
            0,
            id,
            0,
            59,
            UDP,
            S4,
            host,
            &[],
            &udp(Pseudo::V4(S4, host), 53, 4000, &d)
        )
    );
    // The reply's destination is reached through the LAN's EAM: it is not
    // a hairpin (it failed as one before the hairpin rule looked at the
    // IPv6 destination), and went out as IPv4.
    assert_eq!(x.counters().hairpinned, 0);
    assert_eq!(clat.source_v6(Ipv4Addr::new(10, 0, 0, 1)), None);
}
