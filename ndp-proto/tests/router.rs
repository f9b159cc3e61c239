//! The advertising router on a simulated clock: RFC 4861 §6.2.4 timing,
//! the RS rate limit, fast start, Router Lifetime 0 on upstream loss and
//! shutdown, RFC 9096 renumbering.

use std::net::Ipv6Addr;

use ndp_proto::wire::{
    NdpMessage, NdpOption, PrefixInformation, RouterAdvertisement, RouterSolicitation,
};
use ndp_proto::{
    NdpCarveError, NdpRouter, NdpRouterConfig, NdpRouterConfigError, NdpRouterDropped,
    NdpRouterEvent, carve_lan_prefix,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sansio_primitives::{Duration, Instant, SeededRng};

const LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const HOST: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99);
const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
const S: fn(u64) -> Duration = Duration::from_secs;

fn config() -> NdpRouterConfig {
    let mut c = NdpRouterConfig::new(LL);
    c.min_interval = S(200);
    c.max_interval = S(600);
    c
}

/// Drains the RAs queued now, parsed.
fn drain(r: &mut NdpRouter, now: Instant) -> Vec<RouterAdvertisement> {
    let mut out = Vec::new();
    while let Some(t) = r.poll_transmit(now) {
        assert_eq!(t.destination, ndp_proto::router::ALL_NODES);
        match NdpMessage::parse(&t.payload, LL, t.destination).unwrap() {
            NdpMessage::RouterAdvertisement(ra) => out.push(ra),
            m => panic!("router sent {m:?}"),
        }
    }
    out
}

/// Runs the timers until `end`, returning each RA with its time.
fn run_until(
    r: &mut NdpRouter,
    from: Instant,
    end: Instant,
) -> Vec<(Instant, RouterAdvertisement)> {
    let mut out: Vec<_> = drain(r, from).into_iter().map(|ra| (from, ra)).collect();
    while let Some(t) = r.poll_timeout() {
        if t > end {
            break;
        }
        r.handle_timeout(t);
        out.extend(drain(r, t).into_iter().map(|ra| (t, ra)));
        while r.poll_event().is_some() {}
    }
    out
}

fn rs() -> Vec<u8> {
    NdpMessage::RouterSolicitation(RouterSolicitation::default()).to_vec(HOST, ALL_ROUTERS)
}

fn pio(ra: &RouterAdvertisement, prefix: &str) -> Option<PrefixInformation> {
    let p: Ipv6Addr = prefix.parse().unwrap();
    ra.options.iter().find_map(|o| match o {
        NdpOption::PrefixInformation(pi) if pi.prefix == p => Some(*pi),
        _ => None,
    })
}

#[test]
fn fast_start_then_intervals_inside_the_bounds() {
    let t0 = Instant::from_secs(1000);
    let mut r = NdpRouter::new(config(), SeededRng::from_u64(1), t0).unwrap();
    let ras = run_until(&mut r, t0, t0 + S(20_000));
    assert_eq!(ras[0].0, t0, "first RA at once");
    let gaps: Vec<Duration> = ras.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(gaps.len() > 30);
    // RFC 4861 §6.2.4: the first MAX_INITIAL_RTR_ADVERTISEMENTS intervals
    // are at most MAX_INITIAL_RTR_ADVERT_INTERVAL (min_interval 200 s > 16 s).
    assert_eq!(&gaps[..3], &[S(16), S(16), S(16)]);
    for g in &gaps[3..] {
        assert!(*g >= S(200) && *g <= S(600), "{g:?}");
    }
    // Randomised, not a constant period.
    assert!(gaps[3..].iter().any(|g| *g != gaps[3]));
}

#[test]
fn rs_answered_within_max_ra_delay_and_never_faster_than_min_delay() {
    let t0 = Instant::ZERO;
    let mut r = NdpRouter::new(config(), SeededRng::from_u64(2), t0).unwrap();
    let mut sent = run_until(&mut r, t0, t0 + S(100)); // past the fast start's first gaps
    let quiet = t0 + S(100);
    // An RS long after the last RA: answered within 0..0.5 s.
    r.handle_input(quiet, HOST, ALL_ROUTERS, 255, &rs())
        .unwrap();
    let due = r.poll_timeout().unwrap();
    assert!(
        due >= quiet && due <= quiet + Duration::from_millis(500),
        "{due:?}"
    );
    sent.extend(run_until(&mut r, quiet, due));
    assert_eq!(sent.last().unwrap().0, due);
    // A flood of RSs, one every 100 ms for 30 s: multicast RAs stay >= 3 s apart.
    let mut now = due;
    for _ in 0..300 {
        now += Duration::from_millis(100);
        sent.extend(run_until(&mut r, now, now));
        r.handle_input(now, HOST, ALL_ROUTERS, 255, &rs()).unwrap();
    }
    sent.extend(run_until(&mut r, now, now + S(5)));
    let times: Vec<Instant> = sent.iter().map(|s| s.0).collect();
    for w in times.windows(2) {
        assert!(w[1] - w[0] >= S(3), "{:?}", w[1] - w[0]);
        // Answered no later than 3 s + 0.5 s after the previous RA.
        if w[0] >= due {
            assert!(
                w[1] - w[0] <= Duration::from_millis(3500),
                "{:?}",
                w[1] - w[0]
            );
        }
    }
    assert!(times.iter().filter(|t| **t > due).count() >= 8);
    assert_eq!(r.counters().solicitations, 301);
}

#[test]
fn hop_limit_below_255_and_bad_inputs_are_dropped_without_effect() {
    let t0 = Instant::ZERO;
    let mut r = NdpRouter::new(config(), SeededRng::from_u64(3), t0).unwrap();
    let _ = run_until(&mut r, t0, t0 + S(100));
    let before = r.poll_timeout();
    let now = t0 + S(100);
    assert_eq!(
        r.handle_input(now, HOST, ALL_ROUTERS, 254, &rs()),
        Err(NdpRouterDropped::HopLimit)
    );
    let mut bad = rs();
    bad[4] ^= 1;
    assert!(matches!(
        r.handle_input(now, HOST, ALL_ROUTERS, 255, &bad),
        Err(NdpRouterDropped::Malformed(_))
    ));
    // RFC 4861 §6.1.1: from :: with a source link-layer address.
    let sl = NdpMessage::RouterSolicitation(RouterSolicitation {
        reserved: 0,
        options: vec![NdpOption::source_ethernet([2, 0, 0, 0, 0, 9])],
    })
    .to_vec(Ipv6Addr::UNSPECIFIED, ALL_ROUTERS);
    assert_eq!(
        r.handle_input(now, Ipv6Addr::UNSPECIFIED, ALL_ROUTERS, 255, &sl),
        Err(NdpRouterDropped::Invalid)
    );
    assert_eq!(r.poll_timeout(), before);
    assert!(r.poll_transmit(now).is_none());
    let c = r.counters();
    assert_eq!(
        (c.hop_limit, c.malformed, c.invalid, c.solicitations),
        (1, 1, 1, 0)
    );
}

#[test]
fn upstream_loss_and_shutdown_send_router_lifetime_zero() {
    let t0 = Instant::ZERO;
    let mut r = NdpRouter::new(config(), SeededRng::from_u64(4), t0).unwrap();
    // Starts down (RFC 7084 G-5): lifetime 0 until the upstream is up.
    assert_eq!(drain(&mut r, t0).len(), 0);
    r.handle_timeout(t0);
    assert_eq!(drain(&mut r, t0)[0].router_lifetime, 0);
    let t1 = t0 + S(50);
    r.set_upstream(t1, true).unwrap();
    assert_eq!(drain(&mut r, t1)[0].router_lifetime, 1800);
    let t2 = t1 + S(1);
    r.set_upstream(t2, false).unwrap();
    let ras = drain(&mut r, t2);
    assert_eq!(ras.len(), 1, "sent at once");
    assert_eq!(ras[0].router_lifetime, 0);
    r.set_upstream(t2 + S(10), true).unwrap();
    let _ = drain(&mut r, t2 + S(10));
    let t3 = t2 + S(30);
    r.shutdown(t3);
    let fin = drain(&mut r, t3);
    assert_eq!(fin.len(), 1);
    assert_eq!(fin[0].router_lifetime, 0);
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(
        r.handle_input(t3, HOST, ALL_ROUTERS, 255, &rs()),
        Err(NdpRouterDropped::ShutDown)
    );
    r.shutdown(t3);
    assert!(r.poll_transmit(t3).is_none());
    assert!(r.set_upstream(t3, false).is_err());
}

#[test]
fn renumbering_keeps_the_old_prefix_deprecated_with_a_shrinking_valid_lifetime() {
    let t0 = Instant::ZERO;
    let mut c = config();
    c.lan_index = 2;
    let mut r = NdpRouter::new(c, SeededRng::from_u64(5), t0).unwrap();
    r.set_upstream(t0, true).unwrap();
    let old = r
        .set_delegated_prefix(
            t0,
            "2001:db8:0:10::".parse().unwrap(),
            60,
            S(86400),
            S(14400),
        )
        .unwrap();
    assert_eq!(old, "2001:db8:0:12::".parse::<Ipv6Addr>().unwrap());
    let ras = run_until(&mut r, t0, t0 + S(1000));
    // Capped at ND_VALID_LIMIT / ND_PREFERRED_LIMIT (RFC 9096).
    let p = pio(&ras.last().unwrap().1, "2001:db8:0:12::").unwrap();
    assert_eq!((p.valid_lifetime, p.preferred_lifetime), (5400, 2700));

    let t1 = t0 + S(1000);
    let new = r
        .set_delegated_prefix(
            t1,
            "2001:db8:0:20::".parse().unwrap(),
            60,
            S(86400),
            S(14400),
        )
        .unwrap();
    assert_eq!(new, "2001:db8:0:22::".parse::<Ipv6Addr>().unwrap());
    let ras = run_until(&mut r, t1, t1 + S(20_000));
    // An RA at once (at most MIN_DELAY_BETWEEN_RAS after the previous).
    assert!(ras[0].0 <= t1 + S(3));
    let mut last_valid = u32::MAX;
    let mut last_seen = t1;
    for (t, ra) in &ras {
        // The new one: the cap, until the delegation's own 14400 s run low.
        let new_pref = pio(ra, "2001:db8:0:22::").unwrap().preferred_lifetime;
        assert_eq!(
            u64::from(new_pref),
            2700.min(S(14400).saturating_sub(*t - t1).as_secs())
        );
        if let Some(p) = pio(ra, "2001:db8:0:12::") {
            assert_eq!(p.preferred_lifetime, 0);
            assert!(p.valid_lifetime < last_valid, "valid only shrinks");
            // Counted down on the clock from what was last advertised.
            let elapsed = (*t - ras[0].0).as_secs() as u32;
            assert!(p.valid_lifetime <= 5400 - elapsed.min(5400));
            last_valid = p.valid_lifetime;
            last_seen = *t;
        }
    }
    assert!(last_seen > t1 + S(4000), "kept until its lifetime ran out");
    assert!(last_seen < t1 + S(5400));
    assert!(
        ras.iter()
            .any(|(t, ra)| *t > t1 + S(5400) && pio(ra, "2001:db8:0:12::").is_none())
    );

    // Withdrawn outright: the current one goes stale the same way.
    let t2 = t1 + S(20_000);
    r.withdraw_delegated_prefix(t2).unwrap();
    let ras = run_until(&mut r, t2, t2 + S(10));
    let p = pio(&ras[0].1, "2001:db8:0:22::").unwrap();
    assert_eq!(p.preferred_lifetime, 0);
    assert!(p.valid_lifetime > 0 && p.valid_lifetime <= 5400);
    assert_eq!(r.lan_prefix(), None);
}

#[test]
fn stale_prefix_removal_is_reported() {
    let t0 = Instant::ZERO;
    let mut r = NdpRouter::new(config(), SeededRng::from_u64(6), t0).unwrap();
    r.set_delegated_prefix(t0, "2001:db8:1::".parse().unwrap(), 48, S(100), S(50))
        .unwrap();
    let _ = drain(&mut r, t0);
    r.withdraw_delegated_prefix(t0 + S(10)).unwrap();
    let mut events = Vec::new();
    let mut now = t0 + S(10);
    while let Some(t) = r.poll_timeout() {
        if t > t0 + S(200) {
            break;
        }
        now = t;
        r.handle_timeout(t);
        let _ = drain(&mut r, t);
        while let Some(e) = r.poll_event() {
            events.push((t, e));
        }
    }
    let _ = now;
    assert_eq!(
        events,
        vec![(
            t0 + S(100),
            NdpRouterEvent::StalePrefixRemoved {
                prefix: "2001:db8:1::".parse().unwrap()
            }
        )]
    );
}

#[test]
fn carving_is_sequential_and_bounded() {
    let d: Ipv6Addr = "2001:db8:0:a0::".parse().unwrap();
    assert_eq!(carve_lan_prefix(d, 60, 0), Ok(d));
    assert_eq!(
        carve_lan_prefix(d, 60, 15),
        Ok("2001:db8:0:af::".parse().unwrap())
    );
    assert_eq!(
        carve_lan_prefix(d, 60, 16),
        Err(NdpCarveError::IndexOutOfRange {
            index: 16,
            prefix_length: 60
        })
    );
    assert_eq!(
        carve_lan_prefix(d, 61, 7),
        Ok("2001:db8:0:a7::".parse().unwrap())
    );
    assert!(carve_lan_prefix(d, 61, 8).is_err());
    assert_eq!(carve_lan_prefix(d, 64, 0), Ok(d));
    assert!(carve_lan_prefix(d, 64, 1).is_err());
    assert_eq!(
        carve_lan_prefix("2001:db8:ffff:ffff::".parse().unwrap(), 48, 1),
        Ok("2001:db8:ffff:1::".parse().unwrap())
    );
    assert_eq!(
        carve_lan_prefix(d, 65, 0),
        Err(NdpCarveError::PrefixTooLong(65))
    );
    assert_eq!(
        carve_lan_prefix(d, 0, u32::MAX),
        Ok("0:0:ffff:ffff::".parse().unwrap())
    );
}

#[test]
fn config_is_validated() {
    let t = Instant::ZERO;
    let rng = || SeededRng::from_u64(0);
    let mut c = config();
    c.max_interval = S(3);
    assert_eq!(
        NdpRouter::new(c, rng(), t).err(),
        Some(NdpRouterConfigError::MaxInterval)
    );
    let mut c = config();
    c.min_interval = S(451);
    assert_eq!(
        NdpRouter::new(c, rng(), t).err(),
        Some(NdpRouterConfigError::MinInterval)
    );
    let mut c = config();
    c.router_lifetime = S(100);
    assert_eq!(
        NdpRouter::new(c, rng(), t).err(),
        Some(NdpRouterConfigError::RouterLifetime)
    );
    let mut c = config();
    c.mtu = Some(1000);
    assert_eq!(
        NdpRouter::new(c, rng(), t).err(),
        Some(NdpRouterConfigError::Mtu)
    );
    let mut c = config();
    c.source = "2001:db8::1".parse().unwrap();
    assert_eq!(
        NdpRouter::new(c, rng(), t).err(),
        Some(NdpRouterConfigError::Source)
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x4e44_5001),
        ..ProptestConfig::default()
    })]

    /// Any seed, any interval pair the RFC allows, RSs at random times:
    /// every gap is at least MIN_DELAY_BETWEEN_RAS and at most
    /// MaxRtrAdvInterval.
    #[test]
    fn gaps_stay_inside_the_bounds(
        seed in any::<u64>(),
        max in 4u64..1800,
        min_frac in 0u64..=100,
        rs_at in proptest::collection::vec(0u64..20_000_000, 0..40),
    ) {
        let mut c = config();
        c.max_interval = S(max);
        let min_ms = 3000 + (max * 750 - 3000) * min_frac / 100;
        c.min_interval = Duration::from_millis(min_ms);
        c.router_lifetime = S(max.max(1800));
        let mut r = NdpRouter::new(c, SeededRng::from_u64(seed), Instant::ZERO).unwrap();
        let mut rs_at = rs_at;
        rs_at.sort();
        let mut times = vec![];
        let mut now = Instant::ZERO;
        for ms in rs_at {
            let at = Instant::from_millis(ms);
            times.extend(run_until(&mut r, now, at).into_iter().map(|x| x.0));
            r.handle_input(at, HOST, ALL_ROUTERS, 255, &rs()).unwrap();
            now = at;
        }
        times.extend(run_until(&mut r, now, now + S(4000)).into_iter().map(|x| x.0));
        times.dedup();
        for w in times.windows(2) {
            let g = w[1] - w[0];
            prop_assert!(g >= S(3) && g <= S(max), "{:?}", g);
        }
    }
}
