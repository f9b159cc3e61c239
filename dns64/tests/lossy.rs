//! Conversations on a simulated clock over a lossy, duplicating and
//! reordering link: clients' queries through the DNS64 machine to a
//! simulated upstream (answers built from a small zone), and RFC 7050
//! discovery against the DNS64 machine.

mod common;

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};

use common::{Rr, answer, decode, query, sock};
use dns64::{
    Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Discovery, Nat64DiscoveryConfig,
    Nat64DiscoveryEvent, Nat64Prefix,
};
use domain::base::iana::{Rcode, Rtype};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng};

const UP0: &str = "[2001:db8:53::1]:53";
const UP1: &str = "[2001:db8:53::2]:53";
const CLIENT: &str = "[2001:db8:1::1]:5353";

/// One name of the simulated upstream's zone: (name, A, AAAA).
type Entry = (&'static str, Option<[u8; 4]>, Option<&'static str>);

const ZONE: &[Entry] = &[
    ("v4.example", Some([20, 0, 0, 1]), None),
    ("v6.example", None, Some("2001:db8::6")),
    ("both.example", Some([20, 0, 0, 2]), Some("2001:db8::2")),
];

/// The upstream's answer to one query.
fn upstream_answer(q: &[u8]) -> Vec<u8> {
    let d = decode(q);
    let Some(&(name, a, aaaa)) = ZONE.iter().find(|z| z.0 == d.question.0) else {
        return answer(q, Rcode::NXDOMAIN, &[], &[Rr::Soa("example", 60, 60)]);
    };
    let rr = match d.question.1 {
        Rtype::A => a.map(|a| Rr::A(name, 300, Ipv4Addr::from(a))),
        Rtype::AAAA => aaaa.map(|s| Rr::Aaaa(name, 300, s.parse().unwrap())),
        _ => None,
    };
    match rr {
        Some(rr) => answer(q, Rcode::NOERROR, &[rr], &[]),
        None => answer(q, Rcode::NOERROR, &[], &[Rr::Soa("example", 60, 60)]),
    }
}

/// A link: each datagram lost, duplicated or delayed (reordering) at random.
struct Link {
    rng: SeededRng,
    loss: u32,
    dup: u32,
    /// (arrival, datagram)
    queue: VecDeque<(Instant, Vec<u8>, u16)>,
}

impl Link {
    fn send(&mut self, now: Instant, bytes: Vec<u8>, port: u16) {
        if self.rng.below(100) < self.loss {
            return;
        }
        let copies = if self.rng.below(100) < self.dup { 2 } else { 1 };
        for _ in 0..copies {
            let delay = Duration::from_millis(u64::from(self.rng.below(300)));
            self.queue.push_back((now + delay, bytes.clone(), port));
        }
    }

    /// The datagrams due by `now`, in arrival order.
    fn due(&mut self, now: Instant) -> Vec<(Vec<u8>, u16)> {
        let mut v: Vec<_> = self.queue.iter().filter(|x| x.0 <= now).cloned().collect();
        self.queue.retain(|x| x.0 > now);
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|x| (x.1, x.2)).collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(64),
        cases: 128,
        ..ProptestConfig::default()
    })]

    /// Every client query gets exactly one answer, correct or SERVFAIL, by
    /// attempts x timeout; the table empties; with no loss every answer is
    /// the right one.
    #[test]
    fn every_query_answered_once(seed in any::<u64>(), loss in 0u32..60, dup in 0u32..30) {
        let mut m = Dns64::new(Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(UP0), sock(UP1)]), SeededRng::from_u64(seed), Instant::ZERO).unwrap();
        let mut link = Link { rng: SeededRng::from_u64(seed ^ 1), loss, dup, queue: VecDeque::new() };
        let mut now = Instant::ZERO;
        let names = ["v4.example", "v6.example", "both.example", "nx.example"];
        for (i, n) in names.iter().enumerate() {
            m.handle_input(now, Dns64Source::Client(sock(CLIENT)), &query(i as u16, n, Rtype::AAAA, false, None)).unwrap();
        }
        let mut answers = vec![None; names.len()];
        let end = Instant::from_secs(20);
        while now < end {
            while let Some(t) = m.poll_transmit(now) {
                match t.destination {
                    Dns64Destination::UpstreamTcp { .. } | Dns64Destination::ClientTcp { .. } => {
                        panic!("all over UDP here")
                    }
                    Dns64Destination::Client(_) => {
                        let d = decode(&t.payload);
                        prop_assert!(answers[d.id as usize].is_none(), "answered twice");
                        let id = d.id as usize;
                        answers[id] = Some(d);
                    }
                    Dns64Destination::Upstream { source_port, .. } => {
                        // Query and answer both cross the link: one draw for each.
                        if link.rng.below(100) >= loss {
                            link.send(now, upstream_answer(&t.payload), source_port);
                        }
                    }
                }
            }
            while m.poll_event().is_some() {}
            for (bytes, port) in link.due(now) {
                // Late or duplicate answers are dropped, never a panic.
                let _ = m.handle_input(now, Dns64Source::Upstream { from: sock(UP0), local_port: port }, &bytes);
                let _ = m.handle_input(now, Dns64Source::Upstream { from: sock(UP1), local_port: port }, &bytes);
            }
            now += Duration::from_millis(50);
            m.handle_timeout(now);
        }
        prop_assert_eq!(m.outstanding(), 0);
        for (i, a) in answers.iter().enumerate() {
            let a = a.as_ref().expect("every query answered");
            if a.rcode == Rcode::SERVFAIL { prop_assert!(loss > 0); continue; }
            let want: &[&str] = match i { 0 => &["64:ff9b::1400:1"], 1 => &["2001:db8::6"], 2 => &["2001:db8::2"], _ => &[] };
            let got: Vec<&str> = a.answer.iter().map(|r| r.3.as_str()).collect();
            if i == 0 && got.is_empty() {
                // The A query's answer lost every time: the AAAA NODATA stands.
                prop_assert!(loss > 0);
                continue;
            }
            prop_assert_eq!(got, want.to_vec(), "{}", names[i]);
        }
    }

    /// Discovery against the DNS64 machine over a lossy link finds the
    /// prefix, once, whatever the loss below 100 %.
    #[test]
    fn discovery_over_lossy_link(seed in any::<u64>(), loss in 0u32..70, dup in 0u32..30) {
        let prefix = Nat64Prefix::new("2001:db8:64::".parse().unwrap(), 96).unwrap();
        let dns64_addr: SocketAddr = "[2001:db8::53]:53".parse().unwrap();
        let mut m = Dns64::new(Dns64Config::new(vec![prefix], vec![sock(UP0)]), SeededRng::from_u64(seed), Instant::ZERO).unwrap();
        let mut d = Nat64Discovery::new(Nat64DiscoveryConfig::new(vec![dns64_addr]), SeededRng::from_u64(seed ^ 2), Instant::ZERO).unwrap();
        let mut link = Link { rng: SeededRng::from_u64(seed ^ 3), loss, dup, queue: VecDeque::new() };
        let mut now = Instant::ZERO;
        let mut found = vec![];
        while now < Instant::from_secs(3600) && found.is_empty() {
            while let Some(t) = d.poll_transmit(now) {
                if link.rng.next_u32() % 100 >= loss {
                    let src = SocketAddr::new(sock(CLIENT).ip(), t.destination.source_port);
                    m.handle_input(now, Dns64Source::Client(src), &t.payload).unwrap();
                    while let Some(a) = m.poll_transmit(now) {
                        let Dns64Destination::Client(to) = a.destination else { unreachable!() };
                        link.send(now, a.payload, to.port());
                    }
                }
            }
            for (bytes, port) in link.due(now) {
                let _ = d.handle_input(now, dns64_addr, port, &bytes);
            }
            while let Some(e) = d.poll_event() { found.push(e); }
            now = d.poll_timeout().unwrap().min(now + Duration::from_millis(100)).max(now + Duration::from_millis(1));
            d.handle_timeout(now);
        }
        prop_assert_eq!(found, vec![Nat64DiscoveryEvent::PrefixFound(prefix)]);
    }
}
