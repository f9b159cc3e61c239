//! Hostile input (the fuzz targets' invariants, run as proptests): random
//! datagrams and mutations of valid ones to both machines. Never a panic; a
//! dropped datagram changes nothing and sends nothing; everything sent
//! parses as DNS.

mod common;

use std::net::SocketAddr;

use common::{Rr, answer, query, sock};
use dns64::{
    Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Discovery, Nat64DiscoveryConfig,
    Nat64Prefix,
};
use domain::base::Message;
use domain::base::iana::{Rcode, Rtype};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const UP: &str = "[2001:db8:53::1]:53";

/// A valid datagram, then mutations: flipped bytes, truncation.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let n = base.len();
    (prop::collection::vec((0..n, any::<u8>()), 0..6), 0..=n).prop_map(move |(flips, cut)| {
        let mut b = base.clone();
        for (i, x) in flips {
            b[i] ^= x;
        }
        b.truncate(cut.max(2));
        b
    })
}

fn drain(m: &mut Dns64) -> Vec<(Dns64Destination, Vec<u8>)> {
    let mut out = vec![];
    while let Some(t) = m.poll_transmit(sansio_primitives::Instant::ZERO) {
        assert!(Message::from_octets(&t.payload[..]).is_ok());
        out.push((t.destination, t.payload));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(6147),
        cases: 1024,
        ..ProptestConfig::default()
    })]

    #[test]
    fn client_side(q in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        mutated(query(1, "a.example", Rtype::AAAA, false, Some((1232, true)))),
        mutated(query(1, "ipv4only.arpa", Rtype::AAAA, false, None)),
    ]) {
        let mut m = Dns64::new(Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(UP)]), sansio_primitives::SeededRng::from_u64(1), sansio_primitives::Instant::ZERO).unwrap();
        let before = *m.counters();
        let r = m.handle_input(sansio_primitives::Instant::ZERO, Dns64Source::Client(sock("[2001:db8:1::1]:1")), &q);
        let sent = drain(&mut m);
        if r.is_err() {
            prop_assert!(sent.is_empty());
            prop_assert_eq!(m.outstanding(), 0);
            prop_assert_eq!(m.counters().client_queries, before.client_queries);
        }
    }

    #[test]
    fn upstream_side(a_stage in any::<bool>(), a in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        Just(vec![]),
    ], flips in prop::collection::vec((0..80usize, any::<u8>()), 0..6), cut in 2..120usize) {
        let mut m = Dns64::new(Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(UP)]), sansio_primitives::SeededRng::from_u64(2), sansio_primitives::Instant::ZERO).unwrap();
        let now = sansio_primitives::Instant::ZERO;
        m.handle_input(now, Dns64Source::Client(sock("[2001:db8:1::1]:1")), &query(1, "a.example", Rtype::AAAA, false, None)).unwrap();
        let mut sent = drain(&mut m);
        let (Dns64Destination::Upstream { source_port, .. }, mut q) = sent.remove(0) else { unreachable!() };
        let mut port = source_port;
        if a_stage {
            let nodata = answer(&q, Rcode::NOERROR, &[], &[]);
            m.handle_input(now, Dns64Source::Upstream { from: sock(UP), local_port: port }, &nodata).unwrap();
            let mut s = drain(&mut m);
            let (Dns64Destination::Upstream { source_port, .. }, q2) = s.remove(0) else { unreachable!() };
            port = source_port;
            q = q2;
        }
        // Random bytes, or a valid answer mutated; the id patched in.
        let mut bytes = if a.is_empty() {
            let rr = if a_stage { Rr::A("a.example", 60, "20.0.0.1".parse().unwrap()) } else { Rr::Aaaa("a.example", 60, "2001:db8::1".parse().unwrap()) };
            let mut b = answer(&q, Rcode::NOERROR, &[rr], &[Rr::Soa("example", 60, 60)]);
            for (i, x) in flips { let n = b.len(); b[i % n] ^= x; }
            b.truncate(cut);
            b
        } else { a };
        if bytes.len() >= 2 { bytes[..2].copy_from_slice(&q[..2]); }
        let before = (*m.counters(), m.outstanding(), m.poll_timeout());
        let from: SocketAddr = sock(UP);
        let r = m.handle_input(now, Dns64Source::Upstream { from, local_port: port }, &bytes);
        let sent = drain(&mut m);
        if r.is_err() {
            prop_assert!(sent.is_empty());
            prop_assert_eq!((m.outstanding(), m.poll_timeout()), (before.1, before.2));
            prop_assert_eq!(m.counters().upstream_answers, before.0.upstream_answers);
        } else {
            prop_assert!(!sent.is_empty());
        }
    }

    #[test]
    fn discovery_side(bytes in prop::collection::vec(any::<u8>(), 0..80), flips in prop::collection::vec((0..200usize, any::<u8>()), 0..6), cut in 2..200usize, random in any::<bool>()) {
        let now = sansio_primitives::Instant::ZERO;
        let mut d = Nat64Discovery::new(Nat64DiscoveryConfig::new(vec![sock(UP)]), sansio_primitives::SeededRng::from_u64(3), now).unwrap();
        let t = d.poll_transmit(now).unwrap();
        let mut b = if random { bytes } else {
            let rrs: Vec<Rr> = [170u8, 171].iter().map(|x| Rr::Aaaa("ipv4only.arpa", 60, Nat64Prefix::WELL_KNOWN.embed_unrestricted([192, 0, 0, *x].into()))).collect();
            let mut b = answer(&t.payload, Rcode::NOERROR, &rrs, &[]);
            for (i, x) in flips { let n = b.len(); b[i % n] ^= x; }
            b.truncate(cut);
            b
        };
        if b.len() >= 2 { b[..2].copy_from_slice(&t.payload[..2]); }
        let before = (d.prefixes(), d.poll_timeout());
        if d.handle_input(now, sock(UP), t.destination.source_port, &b).is_err() {
            prop_assert!(d.poll_transmit(now).is_none());
            prop_assert!(d.poll_event().is_none());
            prop_assert_eq!((d.prefixes(), d.poll_timeout()), before);
        }
    }
}
