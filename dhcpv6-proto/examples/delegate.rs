//! A requesting router gets a /56 from a delegating router in memory; the
//! binding is durable in the store before the Reply leaves.

use core::net::Ipv6Addr;
use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientConfig, Dhcpv6ClientEvent};
use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::MemoryBindingStore;
use dhcpv6_proto::wire::Duid;
use sansio_primitives::{Duration, Instant, SeededRng};

fn main() {
    // The delegating router: a /48 carved into /56s.
    let pool = Dhcpv6PrefixPool::new("2001:db8:10::".parse().unwrap(), 48, 56);
    let cfg = Dhcpv6ServerConfig::new(Duid::ethernet([2, 0, 0, 0, 0, 1]), vec![pool]);
    let mut server = Dhcpv6Server::new(cfg, Instant::ZERO).unwrap();
    let mut store = MemoryBindingStore::default();

    // The requesting router.
    let cfg = Dhcpv6ClientConfig::new(Duid::ethernet([2, 0, 0, 0, 0, 2]));
    let mut client = Dhcpv6Client::new(cfg, SeededRng::from_u64(1), Instant::ZERO).unwrap();

    let from = Dhcpv6ServerSource::new("fe80::2".parse().unwrap(), 1);
    let mut now = Instant::ZERO;
    let mut delegated = None;
    for _ in 0..8 {
        while let Some(t) = client.poll_transmit(now) {
            let _ = server.handle_input(now, from, &t.payload);
        }
        // Binding changes become durable before their Replies leave.
        server.commit_to(&mut store).unwrap();
        while let Some(t) = server.poll_transmit(now) {
            let _ = client.handle_input(now, &t.payload);
        }
        while let Some(_e) = server.poll_event() {}
        while let Some(e) = client.poll_event() {
            if let Dhcpv6ClientEvent::PrefixDelegated {
                prefix, prefix_len, ..
            } = e
            {
                delegated = Some((prefix, prefix_len));
            }
        }
        // Advertises are collected for one first RT (just over 1 s).
        now = client
            .poll_timeout()
            .unwrap_or(now + Duration::from_secs(1));
        client.handle_timeout(now);
    }
    let (prefix, len) = delegated.expect("delegated");
    assert_eq!(len, 56);
    assert_eq!(
        u128::from(prefix) >> 80,
        u128::from("2001:db8:10::".parse::<Ipv6Addr>().unwrap()) >> 80
    );
    assert_eq!(store.records.len(), 1);
    println!("delegated {prefix}/{len}");
}
