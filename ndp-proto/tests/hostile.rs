//! Hostile and random input to both machines: no panic, a dropped message
//! changes nothing, the bounds hold, and the host's events add up to its
//! tables.

use std::net::Ipv6Addr;

use ndp_proto::wire::{
    DomainName, Mtu, NdpMessage, NdpOption, PrefixInformation, Rdnss, RouterAdvertisement,
    icmpv6_checksum,
};
use ndp_proto::{NdpHost, NdpHostConfig, NdpHostEvent, NdpRouter, NdpRouterConfig, NdpSecretKey};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sansio_primitives::{Duration, Instant, SeededRng};

const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

#[derive(Debug, Clone)]
enum Step {
    Ra {
        src: u16,
        hop: u8,
        lifetime: u16,
        options: Vec<NdpOption>,
    },
    Bytes {
        src: u16,
        bytes: Vec<u8>,
    },
    Tick(u32),
}

fn option() -> impl Strategy<Value = NdpOption> {
    prop_oneof![
        (
            0u16..24,
            prop_oneof![Just(64u8), 0u8..=128],
            any::<u8>(),
            0u32..20_000,
            0u32..20_000
        )
            .prop_map(|(p, plen, flags, valid, preferred)| {
                NdpOption::PrefixInformation(PrefixInformation {
                    prefix_length: plen,
                    flags,
                    valid_lifetime: if valid > 19_000 { u32::MAX } else { valid },
                    preferred_lifetime: preferred,
                    reserved2: 0,
                    prefix: Ipv6Addr::new(0x2001, 0xdb8, p, 0, 0, 0, 0, 0),
                })
            }),
        any::<u32>().prop_map(|mtu| NdpOption::Mtu(Mtu { reserved: 0, mtu })),
        (0u32..3000, proptest::collection::vec(0u16..20, 1..4)).prop_map(|(lifetime, s)| {
            NdpOption::Rdnss(Rdnss {
                reserved: 0,
                lifetime,
                servers: s
                    .into_iter()
                    .map(|i| Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i))
                    .collect(),
            })
        }),
        any::<[u8; 6]>().prop_map(NdpOption::source_ethernet),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u16..12, prop_oneof![9 => Just(255u8), 1 => any::<u8>()], 0u16..2000, proptest::collection::vec(option(), 0..8))
            .prop_map(|(src, hop, lifetime, options)| Step::Ra { src, hop, lifetime, options }),
        1 => (0u16..12, proptest::collection::vec(any::<u8>(), 0..80)).prop_map(|(src, mut bytes)| {
            if let Some(b) = bytes.first_mut() { *b = 133 + *b % 5; }
            if bytes.len() > 1 { bytes[1] = 0; }
            Step::Bytes { src, bytes }
        }),
        2 => (0u32..4000).prop_map(Step::Tick),
    ]
}

fn src_of(i: u16) -> Ipv6Addr {
    // Mostly link-local routers, one global (invalid for an RA).
    if i == 11 {
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)
    } else {
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, i + 1)
    }
}

fn encode(step: &Step) -> Option<(Ipv6Addr, u8, Vec<u8>)> {
    match step {
        Step::Ra {
            src,
            hop,
            lifetime,
            options,
        } => {
            let ra = NdpMessage::RouterAdvertisement(RouterAdvertisement {
                cur_hop_limit: 64,
                flags: 0,
                router_lifetime: *lifetime,
                reachable_time: 0,
                retrans_timer: 0,
                options: options.clone(),
            });
            Some((src_of(*src), *hop, ra.to_vec(src_of(*src), ALL_NODES)))
        }
        Step::Bytes { src, bytes } => {
            let mut b = bytes.clone();
            if b.len() >= 4 {
                let c = icmpv6_checksum(&b, src_of(*src), ALL_NODES);
                b[2..4].copy_from_slice(&c.to_be_bytes());
            }
            Some((src_of(*src), 255, b))
        }
        Step::Tick(_) => None,
    }
}

type Snap = (
    Vec<Ipv6Addr>,
    Vec<ndp_proto::NdpHostAddress>,
    Vec<(Ipv6Addr, u8)>,
    Vec<Ipv6Addr>,
    Option<u32>,
    Option<Instant>,
    Option<(Ipv6Addr, u8)>,
    Vec<DomainName>,
);

fn snap(h: &NdpHost) -> Snap {
    (
        h.routers().collect(),
        h.addresses().collect(),
        h.on_link_prefixes().collect(),
        h.dns_servers().collect(),
        h.mtu(),
        h.poll_timeout(),
        h.pref64(),
        h.search_domains().cloned().collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x4e44_5003),
        ..ProptestConfig::default()
    })]

    #[test]
    fn host_survives_and_its_events_add_up(steps in proptest::collection::vec(step(), 1..40)) {
        let mut now = Instant::ZERO;
        let mut c = NdpHostConfig::new("fe80::99".parse().unwrap(), b"eth0", NdpSecretKey([5; 32]));
        c.solicit = false;
        c.max_routers = 3;
        c.max_prefixes = 4;
        c.max_addresses = 4;
        c.max_neighbours = 5;
        c.max_dns_servers = 3;
        let mut h = NdpHost::new(c, SeededRng::from_u64(0), now).unwrap();
        let mut live_addresses = 0i64;
        let mut live_routers = 0i64;
        for s in &steps {
            match encode(s) {
                None => {
                    if let Step::Tick(ms) = s { now += Duration::from_millis(u64::from(*ms) * 100); }
                    h.handle_timeout(now);
                }
                Some((src, hop, bytes)) => {
                    let before = snap(&h);
                    if h.handle_input(now, src, ALL_NODES, hop, &bytes).is_err() {
                        prop_assert_eq!(snap(&h), before);
                    }
                }
            }
            while let Some(e) = h.poll_event() {
                match e {
                    NdpHostEvent::AddressAdded(_) => live_addresses += 1,
                    NdpHostEvent::AddressRemoved { .. } => live_addresses -= 1,
                    NdpHostEvent::RouterAdded { .. } => live_routers += 1,
                    NdpHostEvent::RouterExpired { .. } => live_routers -= 1,
                    _ => {}
                }
            }
            prop_assert_eq!(live_addresses, h.addresses().count() as i64);
            prop_assert_eq!(live_routers, h.routers().count() as i64);
            prop_assert!(h.addresses().count() <= 4 && h.routers().count() <= 3);
            prop_assert!(h.on_link_prefixes().count() <= 4 && h.dns_servers().count() <= 3);
            if let Some(t) = h.poll_timeout() { prop_assert!(t >= now); }
        }
    }

    #[test]
    fn router_survives_and_drops_change_nothing(steps in proptest::collection::vec(step(), 1..40)) {
        let mut now = Instant::ZERO;
        let ll = "fe80::1".parse().unwrap();
        let mut r = NdpRouter::new(NdpRouterConfig::new(ll), SeededRng::from_u64(0), now).unwrap();
        r.set_delegated_prefix(now, "2001:db8::".parse().unwrap(), 56, Duration::from_secs(999), Duration::from_secs(99)).unwrap();
        for s in &steps {
            match encode(s) {
                None => {
                    if let Step::Tick(ms) = s { now += Duration::from_millis(u64::from(*ms) * 100); }
                    r.handle_timeout(now);
                }
                Some((src, hop, bytes)) => {
                    let before = (r.poll_timeout(), r.lan_prefix(), r.counters().transmitted);
                    if r.handle_input(now, src, "ff02::2".parse().unwrap(), hop, &bytes).is_err() {
                        prop_assert_eq!((r.poll_timeout(), r.lan_prefix(), r.counters().transmitted), before);
                    }
                }
            }
            while let Some(t) = r.poll_transmit(now) {
                prop_assert!(NdpMessage::parse(&t.payload, ll, t.destination).is_ok());
            }
            while r.poll_event().is_some() {}
            prop_assert!(r.poll_timeout().unwrap() >= now);
        }
    }
}
