//! A truncated UDP answer from upstream: the query asked again over TCP
//! (RFC 7766 §6.2.1); an answer too big for the client's UDP size goes out
//! with TC; clients asking over TCP (RFC 7766) get it whole.

mod common;

use std::net::Ipv6Addr;

use common::{Rr, answer, decode, query, sock};
use dns64::{Dns64, Dns64Config, Dns64Destination, Dns64Dropped, Dns64Source, Nat64Prefix};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{Instant, SeededRng};

const CLIENT: &str = "[2001:db8:1::10]:5353";
const UP: &str = "[2001:db8:53::1]:53";

fn machine(tcp: bool) -> Dns64 {
    let mut c = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(UP)]);
    c.tcp_on_truncation = tcp;
    Dns64::new(c, SeededRng::from_u64(7766), Instant::ZERO).unwrap()
}

/// Many AAAA records: more than 512 octets.
fn big(name: &'static str) -> Vec<Rr> {
    (1..26u16)
        .map(|i| Rr::Aaaa(name, 60, Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i)))
        .collect()
}

#[test]
fn truncated_udp_answer_asked_again_over_tcp() {
    let now = Instant::ZERO;
    let mut m = machine(true);
    m.handle_input(
        now,
        Dns64Source::Client(sock(CLIENT)),
        &query(1, "big.example", Rtype::AAAA, false, Some((4096, false))),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    let Dns64Destination::Upstream { source_port, .. } = t.destination else {
        panic!()
    };
    let mut tc = answer(&t.payload, Rcode::NOERROR, &[], &[]);
    tc[2] |= 0x02; // TC
    m.handle_input(
        now,
        Dns64Source::Upstream {
            from: sock(UP),
            local_port: source_port,
        },
        &tc,
    )
    .unwrap();
    let t2 = m.poll_transmit(now).unwrap();
    assert_eq!(
        t2.destination,
        Dns64Destination::UpstreamTcp {
            index: 0,
            server: sock(UP)
        }
    );
    assert_eq!(
        decode(&t2.payload).question,
        ("big.example".into(), Rtype::AAAA)
    );
    assert_eq!(m.counters().tcp_retries, 1);
    // A UDP answer for the TCP query is not ours; the TCP answer is.
    let full = answer(&t2.payload, Rcode::NOERROR, &big("big.example"), &[]);
    assert!(full.len() > 512 && full.len() <= 1232);
    let udp = Dns64Source::Upstream {
        from: sock(UP),
        local_port: source_port,
    };
    assert_eq!(m.handle_input(now, udp, &full), Err(Dns64Dropped::NotOurs));
    m.handle_input(now, Dns64Source::UpstreamTcp { from: sock(UP) }, &full)
        .unwrap();
    let a = m.poll_transmit(now).unwrap();
    let d = decode(&a.payload);
    assert_eq!((d.id, d.flags.tc, d.answer.len()), (1, false, 25));
}

#[test]
fn tcp_answer_too_big_for_the_client_goes_out_with_tc() {
    let now = Instant::ZERO;
    let mut m = machine(true);
    // No EDNS: 512 octets at most.
    m.handle_input(
        now,
        Dns64Source::Client(sock(CLIENT)),
        &query(2, "big.example", Rtype::AAAA, false, None),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    let Dns64Destination::Upstream { source_port, .. } = t.destination else {
        panic!()
    };
    let mut tc = answer(&t.payload, Rcode::NOERROR, &[], &[]);
    tc[2] |= 0x02;
    m.handle_input(
        now,
        Dns64Source::Upstream {
            from: sock(UP),
            local_port: source_port,
        },
        &tc,
    )
    .unwrap();
    let t2 = m.poll_transmit(now).unwrap();
    let full = answer(&t2.payload, Rcode::NOERROR, &big("big.example"), &[]);
    m.handle_input(now, Dns64Source::UpstreamTcp { from: sock(UP) }, &full)
        .unwrap();
    let a = m.poll_transmit(now).unwrap();
    assert!(a.payload.len() <= 512);
    let d = decode(&a.payload);
    assert_eq!((d.id, d.flags.tc, d.answer.len()), (2, true, 0));
    // The whole answer is cached, so the client's retry over TCP is
    // answered from the cache.
    assert_eq!(m.cached(), 1);
}

#[test]
fn without_tcp_the_tc_answer_is_passed_on() {
    let now = Instant::ZERO;
    let mut m = machine(false);
    m.handle_input(
        now,
        Dns64Source::Client(sock(CLIENT)),
        &query(3, "big.example", Rtype::A, false, None),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    let Dns64Destination::Upstream { source_port, .. } = t.destination else {
        panic!()
    };
    let mut tc = answer(&t.payload, Rcode::NOERROR, &[], &[]);
    tc[2] |= 0x02;
    m.handle_input(
        now,
        Dns64Source::Upstream {
            from: sock(UP),
            local_port: source_port,
        },
        &tc,
    )
    .unwrap();
    let d = decode(&m.poll_transmit(now).unwrap().payload);
    assert_eq!((d.id, d.flags.tc), (3, true));
}

/// A client's query over TCP (RFC 7766) for an answer larger than 512
/// octets and the upstream's UDP answer in full (EDNS 1232).
fn big_over_tcp(m: &mut Dns64, conn: u64, id: u16) -> Vec<u8> {
    let now = Instant::ZERO;
    let from = sock(CLIENT);
    m.handle_input(
        now,
        Dns64Source::ClientTcp { conn, from },
        &query(id, "big.example", Rtype::A, false, None),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    let Dns64Destination::Upstream { source_port, .. } = t.destination else {
        panic!("{:?}", t.destination)
    };
    let full = answer(&t.payload, Rcode::NOERROR, &big_a("big.example"), &[]);
    assert!(full.len() > 512);
    let src = Dns64Source::Upstream {
        from: sock(UP),
        local_port: source_port,
    };
    m.handle_input(now, src, &full).unwrap();
    let a = m.poll_transmit(now).unwrap();
    assert_eq!(a.destination, Dns64Destination::ClientTcp { conn });
    a.payload
}

/// Many A records: more than 512 octets.
fn big_a(name: &'static str) -> Vec<Rr> {
    (1..40u8)
        .map(|i| Rr::A(name, 60, std::net::Ipv4Addr::new(192, 0, 2, i)))
        .collect()
}

#[test]
fn tcp_client_gets_the_whole_answer_udp_client_tc_from_the_cache() {
    let now = Instant::ZERO;
    let mut m = machine(true);
    let whole = big_over_tcp(&mut m, 7, 10);
    let d = decode(&whole);
    assert_eq!((d.id, d.flags.tc, d.answer.len()), (10, false, 39));
    assert!(whole.len() > 512);
    // The same question over UDP without EDNS: from the cache, with TC.
    m.handle_input(
        now,
        Dns64Source::Client(sock(CLIENT)),
        &query(11, "big.example", Rtype::A, false, None),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    assert_eq!(t.destination, Dns64Destination::Client(sock(CLIENT)));
    let d = decode(&t.payload);
    assert_eq!((d.id, d.flags.tc, d.answer.len()), (11, true, 0));
    assert!(m.poll_transmit(now).is_none(), "nothing asked upstream");
    // Its retry over TCP: whole, from the cache.
    m.handle_input(
        now,
        Dns64Source::ClientTcp {
            conn: 8,
            from: sock(CLIENT),
        },
        &query(12, "big.example", Rtype::A, false, None),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    assert_eq!(t.destination, Dns64Destination::ClientTcp { conn: 8 });
    let d = decode(&t.payload);
    assert_eq!((d.id, d.flags.tc, d.answer.len()), (12, false, 39));
    assert!(m.poll_transmit(now).is_none());
    assert_eq!(m.counters().cache_hits, 2);
    assert_eq!(m.counters().upstream_queries, 1);
}

#[test]
fn cached_answer_too_big_for_udp_goes_out_with_tc_not_upstream() {
    let now = Instant::ZERO;
    let mut m = machine(true);
    // EDNS 1232: the whole answer over UDP, cached.
    m.handle_input(
        now,
        Dns64Source::Client(sock(CLIENT)),
        &query(20, "big.example", Rtype::A, false, Some((1232, false))),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    let Dns64Destination::Upstream { source_port, .. } = t.destination else {
        panic!()
    };
    let full = answer(&t.payload, Rcode::NOERROR, &big_a("big.example"), &[]);
    let src = Dns64Source::Upstream {
        from: sock(UP),
        local_port: source_port,
    };
    m.handle_input(now, src, &full).unwrap();
    let d = decode(&m.poll_transmit(now).unwrap().payload);
    assert_eq!((d.flags.tc, d.answer.len()), (false, 39));
    // EDNS 512 has its own cache entry; a second 1232 query is a hit.
    m.handle_input(
        now,
        Dns64Source::Client(sock(CLIENT)),
        &query(21, "big.example", Rtype::A, false, Some((512, false))),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    let d = decode(&t.payload);
    assert_eq!((d.id, d.flags.tc, d.answer.len()), (21, true, 0));
    assert!(m.poll_transmit(now).is_none(), "answered from the cache");
    assert_eq!(m.counters().upstream_queries, 1);
}

#[test]
fn allow_query_applies_over_tcp() {
    let now = Instant::ZERO;
    let mut c = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(UP)]);
    c.allow_query = dns64::Dns64Acl {
        elements: vec![(
            true,
            dns64::Dns64Net::new("2001:db8:2::".parse().unwrap(), 48),
        )],
    };
    let mut m = Dns64::new(c, SeededRng::from_u64(1), now).unwrap();
    m.handle_input(
        now,
        Dns64Source::ClientTcp {
            conn: 3,
            from: sock(CLIENT),
        },
        &query(30, "a.example", Rtype::A, false, None),
    )
    .unwrap();
    let t = m.poll_transmit(now).unwrap();
    assert_eq!(t.destination, Dns64Destination::ClientTcp { conn: 3 });
    let d = decode(&t.payload);
    assert_eq!((d.id, d.rcode), (30, Rcode::REFUSED));
    assert!(m.poll_transmit(now).is_none());
}
