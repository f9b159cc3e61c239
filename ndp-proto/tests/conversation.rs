//! Router and host talking over a lossy, duplicating, reordering link on a
//! simulated clock: the host converges on one address per prefix, exactly
//! one AddressAdded each despite duplicates, and a renumbering deprecates
//! the old address; the router never sends two RAs within 3 s.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use ndp_proto::{NdpHost, NdpHostConfig, NdpHostEvent, NdpRouter, NdpRouterConfig, NdpSecretKey};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sansio_primitives::{Duration, Instant, SeededRng};

const R: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const H: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

/// In-flight datagrams: (arrival, sequence) → (to router?, src, dst, bytes).
type Link = BTreeMap<(Instant, u64), (bool, Ipv6Addr, Ipv6Addr, Vec<u8>)>;

struct Impairment {
    loss: u32,
    dup: u32,
    max_delay_ms: u32,
}

fn send(
    link: &mut Link,
    rng: &mut SeededRng,
    imp: &Impairment,
    now: Instant,
    item: (bool, Ipv6Addr, Ipv6Addr, Vec<u8>),
    seq: &mut u64,
) {
    if rng.below(100) < imp.loss {
        return;
    }
    let copies = if rng.below(100) < imp.dup { 2 } else { 1 };
    for _ in 0..copies {
        let delay = Duration::from_millis(rng.below(imp.max_delay_ms + 1).into());
        *seq += 1;
        link.insert((now + delay, *seq), item.clone());
    }
}

fn converse(seed: u64, imp: Impairment) {
    let mut link_rng = SeededRng::from_u64(seed ^ 0x5eed);
    let t0 = Instant::ZERO;
    let mut rc = NdpRouterConfig::new(R);
    rc.min_interval = Duration::from_secs(3);
    rc.max_interval = Duration::from_secs(4);
    rc.mtu = Some(1480);
    let mut router = NdpRouter::new(rc, SeededRng::from_u64(seed), t0).unwrap();
    router.set_upstream(t0, true).unwrap();
    router
        .set_delegated_prefix(
            t0,
            "2001:db8:1::".parse().unwrap(),
            48,
            Duration::from_secs(86400),
            Duration::from_secs(14400),
        )
        .unwrap();
    let mut host = NdpHost::new(
        NdpHostConfig::new(H, b"eth0", NdpSecretKey([3; 32])),
        SeededRng::from_u64(seed + 1),
        t0,
    )
    .unwrap();
    let mut link = Link::new();
    let mut seq = 0;
    let mut events = Vec::new();
    let mut ra_times = Vec::new();
    let renumber_at = t0 + Duration::from_secs(300);
    let end = t0 + Duration::from_secs(600);
    let mut renumbered = false;
    let mut now = t0;
    while now < end {
        if !renumbered && now >= renumber_at {
            renumbered = true;
            router
                .set_delegated_prefix(
                    now,
                    "2001:db8:2::".parse().unwrap(),
                    48,
                    Duration::from_secs(86400),
                    Duration::from_secs(14400),
                )
                .unwrap();
        }
        router.handle_timeout(now);
        host.handle_timeout(now);
        while let Some(((at, s), _)) = link.first_key_value().map(|(k, v)| (*k, v.clone())) {
            if at > now {
                break;
            }
            let (to_router, src, dst, bytes) = link.remove(&(at, s)).unwrap();
            if to_router {
                router.handle_input(now, src, dst, 255, &bytes).unwrap();
            } else {
                host.handle_input(now, src, dst, 255, &bytes).unwrap();
            }
        }
        while let Some(t) = router.poll_transmit(now) {
            ra_times.push(now);
            send(
                &mut link,
                &mut link_rng,
                &imp,
                now,
                (false, R, t.destination, t.payload),
                &mut seq,
            );
        }
        while let Some(t) = host.poll_transmit(now) {
            send(
                &mut link,
                &mut link_rng,
                &imp,
                now,
                (true, H, t.destination, t.payload),
                &mut seq,
            );
        }
        while router.poll_event().is_some() {}
        events.extend(std::iter::from_fn(|| host.poll_event()).map(|e| (now, e)));
        let mut next = router.poll_timeout().unwrap();
        if let Some(t) = host.poll_timeout() {
            next = next.min(t);
        }
        if let Some(((at, _), _)) = link.first_key_value() {
            next = next.min(*at);
        }
        if !renumbered {
            next = next.min(renumber_at);
        }
        now = next.max(now);
    }
    for w in ra_times.windows(2) {
        assert!(w[1] - w[0] >= Duration::from_secs(3));
    }
    let added: Vec<Ipv6Addr> = events
        .iter()
        .filter_map(|(_, e)| match e {
            NdpHostEvent::AddressAdded(a) => Some(a.address),
            _ => None,
        })
        .collect();
    assert_eq!(added.len(), 2, "one per prefix: {added:?}");
    assert_eq!(added[0].segments()[..3], [0x2001, 0xdb8, 1]);
    assert_eq!(added[1].segments()[..3], [0x2001, 0xdb8, 2]);
    assert!(
        events.iter().any(|(t, e)| *t >= renumber_at
            && *e == NdpHostEvent::AddressDeprecated { address: added[0] })
    );
    assert_eq!(host.mtu(), Some(1480));
    assert_eq!(host.routers().collect::<Vec<_>>(), vec![R]);
    assert_eq!(host.counters().malformed, 0);
}

#[test]
fn clean_link() {
    converse(
        1,
        Impairment {
            loss: 0,
            dup: 0,
            max_delay_ms: 0,
        },
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x4e44_5002),
        ..ProptestConfig::default()
    })]

    /// Up to 40 % loss, 30 % duplication, 2 s of reordering delay.
    #[test]
    fn impaired_link_converges(seed in any::<u64>(), loss in 0u32..40, dup in 0u32..30, max_delay_ms in 0u32..2000) {
        converse(seed, Impairment { loss, dup, max_delay_ms });
    }
}
