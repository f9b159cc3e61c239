//! The host side on a simulated clock: learning from our router, the
//! RFC 4862 two-hour rule, lifetimes, bounds, RSs, DAD retries, and a
//! renumbering seen from the host.

use std::net::Ipv6Addr;

use ndp_proto::wire::{
    Dnssl, DomainName, NdpMessage, NdpOption, NeighborSolicitation, Pref64, Pref64Length,
    PrefixInformation, Rdnss, RouteInformation, RouterAdvertisement, RouterPreference,
};
use ndp_proto::{
    NdpHost, NdpHostConfig, NdpHostDropped, NdpHostEvent, NdpRouter, NdpRouterConfig, NdpSecretKey,
};
use sansio_primitives::{Duration, Instant, SeededRng};

const ROUTER: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const ME: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99);
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn the_secret_key_is_not_in_debug() {
    let c = NdpHostConfig::new(ME, b"wan0", NdpSecretKey([0x42; 32]));
    let d = format!(
        "{c:?} {:?}",
        NdpHost::new(c.clone(), SeededRng::from_u64(0), Instant::ZERO).unwrap()
    );
    assert!(d.contains("NdpSecretKey(..)"));
    assert!(!d.contains("66, 66"), "{d}");
}

fn host(now: Instant) -> NdpHost {
    let mut c = NdpHostConfig::new(ME, b"wan0", NdpSecretKey([0x42; 32]));
    c.solicit = false;
    NdpHost::new(c, SeededRng::from_u64(1), now).unwrap()
}

fn ra(router_lifetime: u16, options: Vec<NdpOption>) -> Vec<u8> {
    NdpMessage::RouterAdvertisement(RouterAdvertisement {
        cur_hop_limit: 64,
        flags: 0,
        router_lifetime,
        reachable_time: 0,
        retrans_timer: 0,
        options,
    })
    .to_vec(ROUTER, ALL_NODES)
}

fn pio(prefix: &str, valid: u32, preferred: u32) -> NdpOption {
    NdpOption::PrefixInformation(PrefixInformation::slaac(
        prefix.parse().unwrap(),
        64,
        valid,
        preferred,
    ))
}

fn events(h: &mut NdpHost) -> Vec<NdpHostEvent> {
    std::iter::from_fn(|| h.poll_event()).collect()
}

#[test]
fn learns_router_address_mtu_and_dns_from_our_router() {
    let now = Instant::ZERO;
    let mut rc = NdpRouterConfig::new(ROUTER);
    rc.mtu = Some(1492);
    rc.link_layer_address = Some([2, 0, 0, 0, 0, 1]);
    rc.search_domains = vec![DomainName::from_dotted("home.arpa").unwrap()];
    rc.routes = vec![RouteInformation::new(
        "2001:db8:ff::".parse().unwrap(),
        48,
        RouterPreference::High,
        1800,
    )];
    rc.pref64 = Some(Pref64::new(
        "64:ff9b::".parse().unwrap(),
        Pref64Length::L96,
        S(1800),
    ));
    let mut r = NdpRouter::new(rc, SeededRng::from_u64(2), now).unwrap();
    r.set_upstream(now, true).unwrap();
    r.set_delegated_prefix(now, "2001:db8:5::".parse().unwrap(), 56, S(86400), S(14400))
        .unwrap();
    let mut h = host(now);
    // The prefix came 0 s after the first RA: the next one leaves
    // MIN_DELAY_BETWEEN_RAS later.
    let now = r.poll_timeout().unwrap();
    assert_eq!(now, Instant::ZERO + S(3));
    r.handle_timeout(now);
    while let Some(t) = r.poll_transmit(now) {
        h.handle_input(now, ROUTER, t.destination, 255, &t.payload)
            .unwrap();
    }
    let ev = events(&mut h);
    assert!(ev.contains(&NdpHostEvent::RouterAdded {
        router: ROUTER,
        lifetime: S(1800),
        preference: RouterPreference::Medium
    }));
    assert!(ev.contains(&NdpHostEvent::MtuChanged { mtu: 1492 }));
    assert!(ev.contains(&NdpHostEvent::DnsServers(vec![ROUTER])));
    assert!(ev.contains(&NdpHostEvent::DnsSearchList(vec![
        DomainName::from_dotted("home.arpa").unwrap()
    ])));
    assert!(ev.contains(&NdpHostEvent::Pref64Changed(Some((
        "64:ff9b::".parse().unwrap(),
        96
    )))));
    assert_eq!(h.pref64(), Some(("64:ff9b::".parse().unwrap(), 96)));
    assert!(ev.contains(&NdpHostEvent::RouteAdded {
        prefix: "2001:db8:ff::".parse().unwrap(),
        prefix_length: 48,
        router: ROUTER,
        preference: RouterPreference::High,
    }));
    let addr: Vec<_> = h.addresses().collect();
    assert_eq!(addr.len(), 1);
    assert_eq!(addr[0].address.segments()[..4], [0x2001, 0xdb8, 5, 0]);
    assert_eq!(addr[0].preferred_until, Some(now + S(2700)));
    assert_eq!(addr[0].valid_until, Some(now + S(5400)));
    assert_eq!(h.neighbour(ROUTER), Some(&[2, 0, 0, 0, 0, 1][..]));
    assert_eq!(h.routers().collect::<Vec<_>>(), vec![ROUTER]);
    assert_eq!(h.mtu(), Some(1492));
    // Same inputs, same address (RFC 7217: stable); another key, another.
    let mut h2 = host(now);
    h2.handle_input(
        now,
        ROUTER,
        ALL_NODES,
        255,
        &ra(1800, vec![pio("2001:db8:5::", 5400, 2700)]),
    )
    .unwrap();
    assert_eq!(h2.addresses().next().unwrap().address, addr[0].address);
}

#[test]
fn two_hour_rule_for_valid_lifetime_updates() {
    let t0 = Instant::ZERO;
    let mut h = host(t0);
    h.handle_input(
        t0,
        ROUTER,
        ALL_NODES,
        255,
        &ra(1800, vec![pio("2001:db8:1::", 86400, 3600)]),
    )
    .unwrap();
    let valid = |h: &NdpHost| h.addresses().next().unwrap().valid_until;
    assert_eq!(valid(&h), Some(t0 + S(86400)));
    // A short valid lifetime cannot cut more than to two hours (e.3).
    h.handle_input(
        t0,
        ROUTER,
        ALL_NODES,
        255,
        &ra(1800, vec![pio("2001:db8:1::", 600, 0)]),
    )
    .unwrap();
    assert_eq!(valid(&h), Some(t0 + S(7200)));
    // Deprecated at once: preferred is always taken.
    assert!(events(&mut h).contains(&NdpHostEvent::AddressDeprecated {
        address: h.addresses().next().unwrap().address
    }));
    // With two hours or less left, a short one is ignored (e.2).
    let t1 = t0 + S(100);
    h.handle_input(
        t1,
        ROUTER,
        ALL_NODES,
        255,
        &ra(1800, vec![pio("2001:db8:1::", 600, 0)]),
    )
    .unwrap();
    assert_eq!(valid(&h), Some(t0 + S(7200)));
    // Longer than what is left: taken (e.1).
    h.handle_input(
        t1,
        ROUTER,
        ALL_NODES,
        255,
        &ra(1800, vec![pio("2001:db8:1::", 9000, 100)]),
    )
    .unwrap();
    assert_eq!(valid(&h), Some(t1 + S(9000)));
}

#[test]
fn lifetimes_count_down_to_events() {
    let t0 = Instant::ZERO;
    let mut h = host(t0);
    let dns = NdpOption::Rdnss(Rdnss {
        reserved: 0,
        lifetime: 50,
        servers: vec!["2001:db8::53".parse().unwrap()],
    });
    let search = NdpOption::Dnssl(Dnssl {
        reserved: 0,
        lifetime: 60,
        domains: vec![DomainName::from_dotted("a.example").unwrap()],
        extra_padding: 0,
    });
    let route = NdpOption::RouteInformation(RouteInformation::new(
        "2001:db8:ff::".parse().unwrap(),
        48,
        RouterPreference::Low,
        40,
    ));
    // RFC 4191 §3.1: a reserved preference means the option is ignored.
    let reserved = NdpOption::RouteInformation(RouteInformation::new(
        "2001:db8:fe::".parse().unwrap(),
        48,
        RouterPreference::Reserved,
        40,
    ));
    let pref64 = NdpOption::Pref64(Pref64::new(
        "64:ff9b::".parse().unwrap(),
        Pref64Length::L96,
        S(80),
    ));
    h.handle_input(
        t0,
        ROUTER,
        ALL_NODES,
        255,
        &ra(
            30,
            vec![
                pio("2001:db8:1::", 200, 100),
                dns,
                search,
                pref64,
                route,
                reserved,
            ],
        ),
    )
    .unwrap();
    let a = h.addresses().next().unwrap().address;
    let _ = events(&mut h);
    let mut seen = Vec::new();
    while let Some(t) = h.poll_timeout() {
        h.handle_timeout(t);
        seen.extend(events(&mut h).into_iter().map(|e| (t - t0, e)));
    }
    assert_eq!(
        seen,
        vec![
            (S(30), NdpHostEvent::RouterExpired { router: ROUTER }),
            (
                S(40),
                NdpHostEvent::RouteExpired {
                    prefix: "2001:db8:ff::".parse().unwrap(),
                    prefix_length: 48,
                    router: ROUTER
                }
            ),
            (S(50), NdpHostEvent::DnsServers(vec![])),
            (S(60), NdpHostEvent::DnsSearchList(vec![])),
            (S(80), NdpHostEvent::Pref64Changed(None)),
            (S(100), NdpHostEvent::AddressDeprecated { address: a }),
            (
                S(200),
                NdpHostEvent::OnLinkPrefixExpired {
                    prefix: "2001:db8:1::".parse().unwrap(),
                    prefix_length: 64
                }
            ),
            (S(200), NdpHostEvent::AddressRemoved { address: a }),
        ]
    );
}

#[test]
fn tables_are_bounded_and_an_ra_past_the_bound_changes_nothing() {
    let t0 = Instant::ZERO;
    let mut h = host(t0);
    let many: Vec<NdpOption> = (0..16)
        .map(|i| pio(&format!("2001:db8:{i:x}::"), 1000, 500))
        .collect();
    h.handle_input(t0, ROUTER, ALL_NODES, 255, &ra(1800, many))
        .unwrap();
    assert_eq!(h.addresses().count(), 16);
    let _ = events(&mut h);
    let before = h.poll_timeout();
    // A 17th prefix (with a refresh of an old one in the same RA).
    let msg = ra(
        0,
        vec![
            pio("2001:db8:0::", 9000, 9000),
            pio("2001:db8:99::", 1000, 500),
        ],
    );
    assert_eq!(
        h.handle_input(t0 + S(1), ROUTER, ALL_NODES, 255, &msg),
        Err(NdpHostDropped::TableFull)
    );
    assert_eq!(h.addresses().count(), 16);
    assert_eq!(
        h.routers().count(),
        1,
        "the lifetime-0 in the dropped RA did not apply"
    );
    assert_eq!(h.poll_timeout(), before);
    assert!(events(&mut h).is_empty());
    assert_eq!(h.counters().table_full, 1);

    // Routers: 8 by default.
    let mut h = host(t0);
    for i in 1..=9u16 {
        let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, i);
        let m = NdpMessage::RouterAdvertisement(RouterAdvertisement {
            cur_hop_limit: 0,
            flags: 0,
            router_lifetime: 600,
            reachable_time: 0,
            retrans_timer: 0,
            options: vec![],
        })
        .to_vec(src, ALL_NODES);
        let r = h.handle_input(t0, src, ALL_NODES, 255, &m);
        assert_eq!(r.is_err(), i == 9);
    }
    assert_eq!(h.routers().count(), 8);

    // Neighbours: 256 by default.
    let mut h = host(t0);
    for i in 0..257u16 {
        let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 1, i);
        let m = NdpMessage::NeighborSolicitation(NeighborSolicitation {
            reserved: 0,
            target: ME,
            options: vec![NdpOption::source_ethernet([
                2,
                0,
                0,
                0,
                (i >> 8) as u8,
                i as u8,
            ])],
        })
        .to_vec(src, ME);
        assert_eq!(h.handle_input(t0, src, ME, 255, &m).is_err(), i == 256);
    }
    assert_eq!(h.counters().table_full, 1);
}

#[test]
fn drops_hop_limit_non_link_local_routers_and_redirect_targets() {
    let t0 = Instant::ZERO;
    let mut h = host(t0);
    let m = ra(1800, vec![pio("2001:db8:1::", 1000, 500)]);
    assert_eq!(
        h.handle_input(t0, ROUTER, ALL_NODES, 64, &m),
        Err(NdpHostDropped::HopLimit)
    );
    let global: Ipv6Addr = "2001:db8::1".parse().unwrap();
    let mg = NdpMessage::parse(&m, ROUTER, ALL_NODES)
        .unwrap()
        .to_vec(global, ALL_NODES);
    assert_eq!(
        h.handle_input(t0, global, ALL_NODES, 255, &mg),
        Err(NdpHostDropped::Invalid)
    );
    assert_eq!(h.addresses().count(), 0);
    assert_eq!(h.poll_timeout(), None);
}

#[test]
fn solicits_three_times_until_an_ra_arrives() {
    let t0 = Instant::from_secs(5);
    let mut c = NdpHostConfig::new(ME, b"wan0", NdpSecretKey([1; 32]));
    c.link_layer_address = Some([2, 0, 0, 0, 0, 0x99]);
    let mut h = NdpHost::new(c, SeededRng::from_u64(9), t0).unwrap();
    let mut sent = Vec::new();
    while let Some(t) = h.poll_timeout() {
        h.handle_timeout(t);
        while let Some(x) = h.poll_transmit(t) {
            assert!(
                matches!(NdpMessage::parse(&x.payload, ME, x.destination).unwrap(),
                NdpMessage::RouterSolicitation(rs) if rs.options.len() == 1)
            );
            sent.push(t);
        }
    }
    assert_eq!(sent.len(), 3);
    assert!(sent[0] >= t0 && sent[0] <= t0 + S(1));
    assert_eq!(sent[1] - sent[0], S(4));
    assert_eq!(sent[2] - sent[1], S(4));
    // An RA before the second stops them.
    let mut h = NdpHost::new(
        NdpHostConfig::new(ME, b"wan0", NdpSecretKey([1; 32])),
        SeededRng::from_u64(9),
        t0,
    )
    .unwrap();
    let first = h.poll_timeout().unwrap();
    h.handle_timeout(first);
    assert!(h.poll_transmit(first).is_some());
    h.handle_input(first, ROUTER, ALL_NODES, 255, &ra(0, vec![]))
        .unwrap();
    assert_eq!(h.poll_timeout(), None);
}

#[test]
fn dad_failure_moves_to_the_next_counter_then_gives_up() {
    let t0 = Instant::ZERO;
    let mut h = host(t0);
    h.handle_input(
        t0,
        ROUTER,
        ALL_NODES,
        255,
        &ra(1800, vec![pio("2001:db8:1::", 1000, 500)]),
    )
    .unwrap();
    let _ = events(&mut h);
    let mut seen = vec![h.addresses().next().unwrap().address];
    for _ in 0..3 {
        h.dad_failed(t0, *seen.last().unwrap()).unwrap();
        let ev = events(&mut h);
        let NdpHostEvent::AddressAdded(a) = ev[1] else {
            panic!("{ev:?}")
        };
        assert!(!seen.contains(&a.address));
        seen.push(a.address);
    }
    h.dad_failed(t0, *seen.last().unwrap()).unwrap();
    assert_eq!(
        events(&mut h)[1],
        NdpHostEvent::AddressGenerationFailed {
            prefix: "2001:db8:1::".parse().unwrap()
        }
    );
    assert_eq!(h.addresses().count(), 0);
    assert!(h.dad_failed(t0, seen[0]).is_err());
}

#[test]
fn renumbering_deprecates_the_old_address_on_the_host() {
    let t0 = Instant::ZERO;
    let mut r = NdpRouter::new(NdpRouterConfig::new(ROUTER), SeededRng::from_u64(3), t0).unwrap();
    r.set_upstream(t0, true).unwrap();
    r.set_delegated_prefix(t0, "2001:db8:a::".parse().unwrap(), 48, S(86400), S(14400))
        .unwrap();
    let mut h = host(t0);
    let pump = |r: &mut NdpRouter, h: &mut NdpHost, now| {
        while let Some(x) = r.poll_transmit(now) {
            h.handle_input(now, ROUTER, x.destination, 255, &x.payload)
                .unwrap();
        }
    };
    let t0 = r.poll_timeout().unwrap();
    r.handle_timeout(t0);
    pump(&mut r, &mut h, t0);
    let old = h.addresses().next().unwrap().address;
    let _ = events(&mut h);
    let t1 = t0 + S(10);
    r.set_delegated_prefix(t1, "2001:db8:b::".parse().unwrap(), 48, S(86400), S(14400))
        .unwrap();
    let due = r.poll_timeout().unwrap();
    r.handle_timeout(due);
    pump(&mut r, &mut h, due);
    let ev = events(&mut h);
    assert!(
        ev.contains(&NdpHostEvent::AddressDeprecated { address: old }),
        "{ev:?}"
    );
    let addrs: Vec<_> = h.addresses().collect();
    assert_eq!(addrs.len(), 2);
    let new = addrs.iter().find(|a| a.address != old).unwrap();
    assert_eq!(new.address.segments()[..3], [0x2001, 0xdb8, 0xb]);
}
