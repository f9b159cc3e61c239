//! RFC 7050 prefix discovery asking the DNS64 machine, which answers
//! `ipv4only.arpa` itself (RFC 8880), all in memory.

use dns64::{
    Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Discovery, Nat64DiscoveryConfig,
    Nat64DiscoveryEvent, Nat64Prefix,
};
use sansio_primitives::{Instant, SeededRng};
use std::net::SocketAddr;

fn main() {
    let dns64_addr: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
    let upstream: SocketAddr = "[2001:db8::1]:53".parse().unwrap();
    let prefix = Nat64Prefix::new("2001:db8:64::".parse().unwrap(), 96).unwrap();
    let now = Instant::ZERO;
    let mut dns64 = Dns64::new(
        Dns64Config::new(vec![prefix], vec![upstream]),
        SeededRng::from_u64(1),
        now,
    )
    .unwrap();
    let mut clat = Nat64Discovery::new(
        Nat64DiscoveryConfig::new(vec![dns64_addr]),
        SeededRng::from_u64(2),
        now,
    )
    .unwrap();

    let client: SocketAddr = "[2001:db8::2]:0".parse().unwrap();
    let mut found = None;
    while let Some(q) = clat.poll_transmit(now) {
        let src = SocketAddr::new(client.ip(), q.destination.source_port);
        dns64
            .handle_input(now, Dns64Source::Client(src), &q.payload)
            .unwrap();
        while let Some(a) = dns64.poll_transmit(now) {
            let Dns64Destination::Client(to) = a.destination else {
                unreachable!()
            };
            clat.handle_input(now, dns64_addr, to.port(), &a.payload)
                .unwrap();
        }
        while let Some(Nat64DiscoveryEvent::PrefixFound(p)) = clat.poll_event() {
            found = Some(p);
        }
    }
    assert_eq!(found, Some(prefix));
    println!("NAT64 prefix {}/{}", prefix.addr(), prefix.prefix_len());
}
