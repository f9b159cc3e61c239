//! The advertising router and a host in memory: the router announces a /64
//! carved from a delegated /56, the host forms a stable SLAAC address in it,
//! learns the router and the MTU, on a simulated clock.

use ndp_proto::{NdpHost, NdpHostConfig, NdpHostEvent, NdpRouter, NdpRouterConfig, NdpSecretKey};
use sansio_primitives::{Duration, Instant, SeededRng};

fn main() {
    let router_ll = "fe80::1".parse().unwrap();
    let now = Instant::ZERO;
    let mut config = NdpRouterConfig::new(router_ll);
    config.mtu = Some(1492);
    let mut router = NdpRouter::new(config, SeededRng::from_u64(1), now).unwrap();
    router.set_upstream(now, true).unwrap();
    let lan = router
        .set_delegated_prefix(
            now,
            "2001:db8:7::".parse().unwrap(),
            56,
            Duration::from_secs(86400),
            Duration::from_secs(14400),
        )
        .unwrap();

    let host_cfg = NdpHostConfig::new("fe80::2".parse().unwrap(), b"eth0", NdpSecretKey([7; 32]));
    let mut host = NdpHost::new(host_cfg, SeededRng::from_u64(2), now).unwrap();

    // Run both on a simulated clock for a minute, the link in memory.
    let mut t = now;
    let mut events = Vec::new();
    while t < now + Duration::from_secs(60) {
        router.handle_timeout(t);
        host.handle_timeout(t);
        while let Some(rs) = host.poll_transmit(t) {
            let _ = router.handle_input(
                t,
                "fe80::2".parse().unwrap(),
                rs.destination,
                255,
                &rs.payload,
            );
        }
        while let Some(ra) = router.poll_transmit(t) {
            host.handle_input(t, router_ll, ra.destination, 255, &ra.payload)
                .unwrap();
        }
        while router.poll_event().is_some() {}
        events.extend(std::iter::from_fn(|| host.poll_event()));
        t = router
            .poll_timeout()
            .unwrap()
            .min(host.poll_timeout().unwrap_or(Instant::MAX));
    }
    assert!(events.contains(&NdpHostEvent::MtuChanged { mtu: 1492 }));
    let address = host.addresses().next().unwrap().address;
    assert_eq!(address.octets()[..8], lan.octets()[..8]);
    assert_eq!(host.routers().collect::<Vec<_>>(), vec![router_ll]);
    println!("SLAAC address {address} in {lan}/64 via {router_ll}");
}
