//! The answer cache: TTLs counted down, negative TTLs from the SOA,
//! uncacheable answers, keys, the bound.

mod common;

use std::net::Ipv4Addr;

use common::{Decoded, Rr, answer, decode, query, sock};
use dns64::{Dns64, Dns64Config, Dns64Destination, Dns64Source, Nat64Prefix};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{Instant, SeededRng};

const CLIENT: &str = "[2001:db8:1::10]:5353";
const UP: &str = "[2001:db8:53::1]:53";

fn machine(entries: usize) -> Dns64 {
    let mut c = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(UP)]);
    c.cache_entries = entries;
    Dns64::new(c, SeededRng::from_u64(5), Instant::ZERO).unwrap()
}

/// Sends `q` at `now`; answers each upstream query with `up(query)`;
/// returns the client's answer and how many upstream queries it took.
fn ask(m: &mut Dns64, now: Instant, q: &[u8], up: &dyn Fn(&[u8]) -> Vec<u8>) -> (Decoded, usize) {
    m.handle_input(now, Dns64Source::Client(sock(CLIENT)), q)
        .unwrap();
    let mut n = 0;
    loop {
        let t = m.poll_transmit(now).expect("a datagram");
        match t.destination {
            Dns64Destination::UpstreamTcp { .. } => panic!("no truncated answers here"),
            Dns64Destination::ClientTcp { .. } => panic!("the client asked over UDP"),
            Dns64Destination::Client(_) => return (decode(&t.payload), n),
            Dns64Destination::Upstream {
                server,
                source_port,
                ..
            } => {
                n += 1;
                let src = Dns64Source::Upstream {
                    from: server,
                    local_port: source_port,
                };
                m.handle_input(now, src, &up(&t.payload)).unwrap();
            }
        }
    }
}

fn zone(q: &[u8]) -> Vec<u8> {
    let d = decode(q);
    let soa = [Rr::Soa("example", 300, 60)];
    match (d.question.0.as_str(), d.question.1) {
        ("both.example", Rtype::AAAA) => answer(
            q,
            Rcode::NOERROR,
            &[Rr::Aaaa(
                "both.example",
                300,
                "2001:db8::2".parse().unwrap(),
            )],
            &[],
        ),
        ("v4.example", Rtype::A) => answer(
            q,
            Rcode::NOERROR,
            &[Rr::A("v4.example", 3600, Ipv4Addr::new(20, 0, 0, 1))],
            &[],
        ),
        ("v4.example", _) => answer(q, Rcode::NOERROR, &[], &soa),
        ("nosoa.example", _) => answer(q, Rcode::NOERROR, &[], &[]),
        ("fail.example", _) => answer(q, Rcode::SERVFAIL, &[], &[]),
        _ => answer(q, Rcode::NXDOMAIN, &[], &soa),
    }
}

fn secs(s: u64) -> Instant {
    Instant::from_secs(s)
}

#[test]
fn positive_answer_served_with_ttl_counting_down_until_it_ends() {
    let mut m = machine(16);
    let (d, n) = ask(
        &mut m,
        secs(0),
        &query(1, "both.example", Rtype::AAAA, false, None),
        &zone,
    );
    assert_eq!((d.answer[0].2, n), (300, 1));
    let (d, n) = ask(
        &mut m,
        secs(100),
        &query(2, "BOTH.example", Rtype::AAAA, false, None),
        &zone,
    );
    assert_eq!(
        (d.id, d.answer[0].2, n),
        (2, 200, 0),
        "from the cache, any case"
    );
    assert_eq!(m.counters().cache_hits, 1);
    let (d, n) = ask(
        &mut m,
        secs(300),
        &query(3, "both.example", Rtype::AAAA, false, None),
        &zone,
    );
    assert_eq!((d.answer[0].2, n), (300, 1), "expired: asked again");
}

#[test]
fn synthesized_answer_cached_for_its_ttl() {
    let mut m = machine(16);
    let (d, n) = ask(
        &mut m,
        secs(0),
        &query(1, "v4.example", Rtype::AAAA, false, None),
        &zone,
    );
    assert_eq!(
        (d.answer[0].2, d.answer[0].3.as_str(), n),
        (60, "64:ff9b::1400:1", 2)
    );
    let (d, n) = ask(
        &mut m,
        secs(45),
        &query(2, "v4.example", Rtype::AAAA, false, None),
        &zone,
    );
    assert_eq!((d.answer[0].2, n), (15, 0));
    let (_, n) = ask(
        &mut m,
        secs(60),
        &query(3, "v4.example", Rtype::AAAA, false, None),
        &zone,
    );
    assert_eq!(n, 2);
}

#[test]
fn negative_answers_cached_for_the_soa_negative_ttl() {
    let mut m = machine(16);
    let (d, n) = ask(
        &mut m,
        secs(0),
        &query(1, "nx.example", Rtype::A, false, None),
        &zone,
    );
    assert_eq!((d.rcode, n), (Rcode::NXDOMAIN, 1));
    let (d, n) = ask(
        &mut m,
        secs(59),
        &query(2, "nx.example", Rtype::A, false, None),
        &zone,
    );
    assert_eq!((d.rcode, d.authority[0].2, n), (Rcode::NXDOMAIN, 241, 0));
    let (_, n) = ask(
        &mut m,
        secs(60),
        &query(3, "nx.example", Rtype::A, false, None),
        &zone,
    );
    assert_eq!(n, 1, "min(SOA TTL 300, MINIMUM 60) = 60 s");
}

#[test]
fn servfail_and_negative_without_soa_not_cached() {
    let mut m = machine(16);
    for name in ["fail.example", "nosoa.example"] {
        ask(
            &mut m,
            secs(0),
            &query(1, name, Rtype::A, false, None),
            &zone,
        );
        let (_, n) = ask(
            &mut m,
            secs(1),
            &query(2, name, Rtype::A, false, None),
            &zone,
        );
        assert_eq!(n, 1, "{name}");
    }
    assert_eq!(m.cached(), 0);
}

#[test]
fn keys_separate_query_bits_and_types() {
    let mut m = machine(16);
    ask(
        &mut m,
        secs(0),
        &query(1, "both.example", Rtype::AAAA, false, None),
        &zone,
    );
    for q in [
        query(2, "both.example", Rtype::AAAA, false, Some((1232, true))),
        query(3, "both.example", Rtype::AAAA, true, None),
        query(4, "both.example", Rtype::A, false, None),
    ] {
        let (_, n) = ask(&mut m, secs(1), &q, &zone);
        assert_eq!(n, 1);
    }
    // The DO answer from the cache keeps its OPT (its TTL field is flags).
    let (d, n) = ask(
        &mut m,
        secs(10),
        &query(5, "both.example", Rtype::AAAA, false, Some((1232, true))),
        &zone,
    );
    assert_eq!((d.edns, d.answer[0].2, n), (Some((1232, true)), 291, 0));
}

#[test]
fn bounded_soonest_expiry_evicted() {
    let mut m = machine(2);
    ask(
        &mut m,
        secs(0),
        &query(1, "v4.example", Rtype::AAAA, false, None),
        &zone,
    ); // 60 s
    ask(
        &mut m,
        secs(0),
        &query(2, "both.example", Rtype::AAAA, false, None),
        &zone,
    ); // 300 s
    ask(
        &mut m,
        secs(0),
        &query(3, "nx.example", Rtype::A, false, None),
        &zone,
    ); // 60 s, evicts v4
    assert_eq!(m.cached(), 2);
    assert_eq!(
        ask(
            &mut m,
            secs(1),
            &query(4, "both.example", Rtype::AAAA, false, None),
            &zone
        )
        .1,
        0
    );
    assert_eq!(
        ask(
            &mut m,
            secs(1),
            &query(5, "v4.example", Rtype::AAAA, false, None),
            &zone
        )
        .1,
        2
    );
}

#[test]
fn cache_off() {
    let mut m = machine(0);
    ask(
        &mut m,
        secs(0),
        &query(1, "both.example", Rtype::AAAA, false, None),
        &zone,
    );
    assert_eq!(
        ask(
            &mut m,
            secs(1),
            &query(2, "both.example", Rtype::AAAA, false, None),
            &zone
        )
        .1,
        1
    );
}
