//! Local names (A, AAAA, PTR) answered without upstream, and `allow_query`
//! refusing clients from outside the LAN.

mod common;

use std::net::IpAddr;

use common::{decode, query, sock};
use dns64::{
    Dns64, Dns64Acl, Dns64Config, Dns64Destination, Dns64LocalNameError, Dns64Net, Dns64Source,
    Nat64Prefix,
};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{Instant, SeededRng};

const LAN: &str = "[2001:db8:1::10]:5353";

fn machine() -> Dns64 {
    let mut c = Dns64Config::new(
        vec![Nat64Prefix::WELL_KNOWN],
        vec![sock("[2001:db8:53::1]:53")],
    );
    c.allow_query = Dns64Acl {
        elements: vec![
            (true, Dns64Net::new("2001:db8:1::".parse().unwrap(), 64)),
            (true, Dns64Net::new("192.168.1.0".parse().unwrap(), 24)),
        ],
    };
    c.max_local_names = 2;
    Dns64::new(c, SeededRng::from_u64(9), Instant::ZERO).unwrap()
}

fn ask(m: &mut Dns64, from: &str, name: &str, qtype: Rtype) -> (Dns64Destination, common::Decoded) {
    m.handle_input(
        Instant::ZERO,
        Dns64Source::Client(sock(from)),
        &query(3, name, qtype, false, None),
    )
    .unwrap();
    let t = m.poll_transmit(Instant::ZERO).unwrap();
    assert!(m.poll_transmit(Instant::ZERO).is_none());
    (t.destination, decode(&t.payload))
}

#[test]
fn local_names_answered_without_upstream() {
    let mut m = machine();
    let addrs: Vec<IpAddr> = vec![
        "192.168.1.20".parse().unwrap(),
        "2001:db8:1::20".parse().unwrap(),
    ];
    m.set_local_name(Instant::ZERO, "printer.lan", addrs)
        .unwrap();
    let (dest, d) = ask(&mut m, LAN, "Printer.LAN", Rtype::A);
    assert_eq!(dest, Dns64Destination::Client(sock(LAN)));
    assert_eq!((d.rcode, d.flags.aa), (Rcode::NOERROR, true));
    assert_eq!(
        d.answer,
        vec![("printer.lan".into(), Rtype::A, 60, "192.168.1.20".into())]
    );
    let (_, d) = ask(&mut m, LAN, "printer.lan", Rtype::AAAA);
    assert_eq!(
        d.answer,
        vec![(
            "printer.lan".into(),
            Rtype::AAAA,
            60,
            "2001:db8:1::20".into()
        )]
    );
    let (_, d) = ask(&mut m, LAN, "20.1.168.192.in-addr.arpa", Rtype::PTR);
    assert_eq!(d.answer[0].3, "printer.lan.");
    let ip6 = "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    let (_, d) = ask(&mut m, LAN, ip6, Rtype::PTR);
    assert_eq!(d.answer[0].3, "printer.lan.");
    // Other types: NODATA, still local; no synthesis for a local name.
    let (dest, d) = ask(&mut m, LAN, "printer.lan", Rtype::MX);
    assert_eq!(
        (dest, d.rcode, d.answer.len()),
        (Dns64Destination::Client(sock(LAN)), Rcode::NOERROR, 0)
    );
    assert_eq!(m.counters().upstream_queries, 0);
    assert_eq!(m.counters().local_answers, 5);
    // Removed: forwarded again.
    assert!(m.remove_local_name(Instant::ZERO, "PRINTER.lan"));
    let (dest, _) = ask(&mut m, LAN, "printer.lan", Rtype::A);
    assert!(matches!(dest, Dns64Destination::Upstream { .. }));
}

#[test]
fn local_name_table_bounded_and_names_checked() {
    let mut m = machine();
    m.set_local_name(Instant::ZERO, "a.lan", vec![]).unwrap();
    m.set_local_name(Instant::ZERO, "b.lan", vec![]).unwrap();
    assert_eq!(
        m.set_local_name(Instant::ZERO, "c.lan", vec![]),
        Err(Dns64LocalNameError::TableFull)
    );
    // Replacing an existing name is fine at the bound.
    m.set_local_name(Instant::ZERO, "A.lan", vec!["192.168.1.5".parse().unwrap()])
        .unwrap();
    assert_eq!(m.local_names(), 2);
    let long = "x".repeat(64);
    assert_eq!(
        m.set_local_name(Instant::ZERO, &long, vec![]),
        Err(Dns64LocalNameError::BadName)
    );
}

#[test]
fn queries_from_outside_the_lan_refused() {
    let mut m = machine();
    let (dest, d) = ask(&mut m, "[2001:db8:99::1]:53", "example.com", Rtype::AAAA);
    assert_eq!(dest, Dns64Destination::Client(sock("[2001:db8:99::1]:53")));
    assert_eq!(d.rcode, Rcode::REFUSED);
    assert_eq!(m.counters().refused, 1);
    assert_eq!(m.outstanding(), 0);
    let (dest, _) = ask(&mut m, "192.168.1.7:5353", "example.com", Rtype::A);
    assert!(matches!(dest, Dns64Destination::Upstream { .. }));
}
