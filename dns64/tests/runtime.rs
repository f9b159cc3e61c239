//! What the embedder changes while the machine runs: the upstream list
//! (the WAN's DNS servers change) and the whole local names table (the
//! DHCP leases change).

mod common;

use std::net::IpAddr;

use common::{Rr, answer, decode, query, sock};
use dns64::{Dns64, Dns64Config, Dns64Destination, Dns64LocalNameError, Dns64Source, Nat64Prefix};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{Duration, Instant, SeededRng};

const CLIENT: &str = "192.168.1.7:5353";
const OLD: &str = "192.0.2.53:53";
const NEW: &str = "192.0.2.54:53";

fn machine(max_local_names: usize) -> Dns64 {
    let mut c = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(OLD)]);
    c.max_local_names = max_local_names;
    Dns64::new(c, SeededRng::from_u64(4), Instant::ZERO).unwrap()
}

/// The client's query, and the upstream query it caused (server, port, bytes).
fn ask(m: &mut Dns64, now: Instant, name: &str) -> (std::net::SocketAddr, u16, Vec<u8>) {
    let q = query(1, name, Rtype::A, false, None);
    m.handle_input(now, Dns64Source::Client(sock(CLIENT)), &q)
        .unwrap();
    upstream_query(m, now)
}

fn upstream_query(m: &mut Dns64, now: Instant) -> (std::net::SocketAddr, u16, Vec<u8>) {
    let t = m.poll_transmit(now).unwrap();
    let Dns64Destination::Upstream {
        server,
        source_port,
        ..
    } = t.destination
    else {
        panic!("{:?}", t.destination)
    };
    (server, source_port, t.payload)
}

#[test]
fn upstreams_replaced_while_a_query_is_in_flight() {
    let mut m = machine(8);
    let now = Instant::ZERO;
    let (server, port, q) = ask(&mut m, now, "a.example");
    assert_eq!(server, sock(OLD));
    m.set_upstreams(now, vec![sock(NEW)]);
    // The answer from the server the query went to is still taken.
    let a = answer(
        &q,
        Rcode::NOERROR,
        &[Rr::A("a.example", 60, "192.0.2.1".parse().unwrap())],
        &[],
    );
    let from = Dns64Source::Upstream {
        from: sock(OLD),
        local_port: port,
    };
    m.handle_input(now, from, &a).unwrap();
    let t = m.poll_transmit(now).unwrap();
    assert_eq!(t.destination, Dns64Destination::Client(sock(CLIENT)));
    assert_eq!(decode(&t.payload).answer.len(), 1);
    // New queries go to the new list.
    let (server, _, _) = ask(&mut m, now, "b.example");
    assert_eq!(server, sock(NEW));
    // A retransmission goes to the next of the new list.
    m.set_upstreams(now, vec![sock(OLD), sock(NEW)]);
    let later = now + Duration::from_secs(1);
    m.handle_timeout(later);
    let (server, port, q) = upstream_query(&mut m, later);
    assert_eq!(server, sock(NEW), "index 1 of the two");
    // The list shrinks to one while that query waits; its truncated answer
    // is asked again over TCP, of the one that is left.
    m.set_upstreams(later, vec![sock(OLD)]);
    let mut tc = answer(&q, Rcode::NOERROR, &[], &[]);
    tc[2] |= 0x02;
    let from = Dns64Source::Upstream {
        from: sock(NEW),
        local_port: port,
    };
    m.handle_input(later, from, &tc).unwrap();
    let t = m.poll_transmit(later).unwrap();
    assert_eq!(
        t.destination,
        Dns64Destination::UpstreamTcp {
            index: 0,
            server: sock(OLD)
        }
    );
}

#[test]
fn no_upstream_yet_servfail_at_once_local_names_still_answered() {
    let c = Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![]);
    let mut m = Dns64::new(c, SeededRng::from_u64(5), Instant::ZERO).unwrap();
    let now = Instant::ZERO;
    m.set_local_names(now, [("nas.lan", vec!["192.168.1.2".parse().unwrap()])])
        .unwrap();
    let answer_to = |m: &mut Dns64, name: &str, qtype: Rtype| {
        let q = query(6, name, qtype, false, None);
        m.handle_input(now, Dns64Source::Client(sock(CLIENT)), &q)
            .unwrap();
        let t = m.poll_transmit(now).unwrap();
        assert_eq!(t.destination, Dns64Destination::Client(sock(CLIENT)));
        decode(&t.payload)
    };
    assert_eq!(
        answer_to(&mut m, "a.example", Rtype::A).rcode,
        Rcode::SERVFAIL
    );
    // An AAAA query too (it would have asked AAAA, then A).
    assert_eq!(
        answer_to(&mut m, "a.example", Rtype::AAAA).rcode,
        Rcode::SERVFAIL
    );
    assert_eq!(answer_to(&mut m, "nas.lan", Rtype::A).answer.len(), 1);
    assert_eq!((m.outstanding(), m.counters().servfail), (0, 2));
    // Upstreams known: forwarded.
    m.set_upstreams(now, vec![sock(OLD)]);
    let (server, _, _) = ask(&mut m, now, "a.example");
    assert_eq!(server, sock(OLD));
}

#[test]
fn local_names_replaced_whole_or_not_at_all() {
    let mut m = machine(2);
    let now = Instant::ZERO;
    let a: IpAddr = "192.168.1.20".parse().unwrap();
    let b: IpAddr = "192.168.1.21".parse().unwrap();
    m.set_local_names(now, [("old.lan", vec![a])]).unwrap();
    m.set_local_names(now, [("laptop.lan", vec![a]), ("phone.lan", vec![b])])
        .unwrap();
    assert_eq!(m.local_names(), 2);
    let local = |m: &mut Dns64, name: &str| {
        let q = query(2, name, Rtype::A, false, None);
        m.handle_input(now, Dns64Source::Client(sock(CLIENT)), &q)
            .unwrap();
        let t = m.poll_transmit(now).unwrap();
        matches!(t.destination, Dns64Destination::Client(_))
    };
    assert!(local(&mut m, "phone.lan"));
    assert!(!local(&mut m, "old.lan"), "the old table is gone");
    // Too many names, or a bad one: refused, the table as it was.
    let three = [("x.lan", vec![a]), ("y.lan", vec![a]), ("z.lan", vec![a])];
    assert_eq!(
        m.set_local_names(now, three),
        Err(Dns64LocalNameError::TableFull)
    );
    let bad = "x".repeat(64);
    assert_eq!(
        m.set_local_names(now, [("ok.lan", vec![a]), (bad.as_str(), vec![a])]),
        Err(Dns64LocalNameError::BadName)
    );
    assert_eq!(m.local_names(), 2);
    assert!(local(&mut m, "laptop.lan"));
}
