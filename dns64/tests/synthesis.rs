//! DNS64 synthesis (RFC 6147) in memory, one test per rule, upstream
//! answers built by hand.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use common::{Decoded, Rr, answer, decode, query, sock};
use dns64::{
    Dns64, Dns64Acl, Dns64Config, Dns64Destination, Dns64Dropped, Dns64Event, Dns64Net,
    Dns64Source, Nat64Prefix,
};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{Duration, Instant, SeededRng};

const CLIENT: &str = "[2001:db8:1::10]:5353";
const UP0: &str = "[2001:db8:53::1]:53";
const UP1: &str = "[2001:db8:53::2]:53";

fn config() -> Dns64Config {
    Dns64Config::new(vec![Nat64Prefix::WELL_KNOWN], vec![sock(UP0), sock(UP1)])
}

struct H {
    m: Dns64,
    now: Instant,
}

/// An upstream query the machine sent: where, the bytes.
struct Sent {
    index: usize,
    server: SocketAddr,
    port: u16,
    bytes: Vec<u8>,
}

impl H {
    fn new(config: Dns64Config) -> H {
        H {
            m: Dns64::new(config, SeededRng::from_u64(64), Instant::ZERO).unwrap(),
            now: Instant::ZERO,
        }
    }

    fn client(&mut self, q: &[u8]) -> Result<(), Dns64Dropped> {
        self.client_from(CLIENT, q)
    }

    fn client_from(&mut self, c: &str, q: &[u8]) -> Result<(), Dns64Dropped> {
        self.m
            .handle_input(self.now, Dns64Source::Client(sock(c)), q)
    }

    /// The one upstream query now queued (none to clients).
    fn upstream(&mut self) -> Sent {
        let t = self.m.poll_transmit(self.now).expect("an upstream query");
        let Dns64Destination::Upstream {
            index,
            server,
            source_port,
        } = t.destination
        else {
            panic!("expected an upstream query, got {:?}", t.destination);
        };
        Sent {
            index,
            server,
            port: source_port,
            bytes: t.payload,
        }
    }

    fn reply(&mut self, s: &Sent, bytes: &[u8]) -> Result<(), Dns64Dropped> {
        self.m.handle_input(
            self.now,
            Dns64Source::Upstream {
                from: s.server,
                local_port: s.port,
            },
            bytes,
        )
    }

    /// The one answer to the client now queued, decoded.
    fn client_answer(&mut self) -> Decoded {
        let t = self.m.poll_transmit(self.now).expect("an answer");
        assert_eq!(t.destination, Dns64Destination::Client(sock(CLIENT)));
        assert!(self.m.poll_transmit(self.now).is_none());
        decode(&t.payload)
    }

    fn nothing_queued(&mut self) {
        assert!(self.m.poll_transmit(self.now).is_none());
    }
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

const V4: Ipv4Addr = Ipv4Addr::new(20, 0, 0, 1);
const SOA: Rr = Rr::Soa("example", 300, 60);

/// AAAA NODATA for `name` then the given A answer: the client's answer.
fn synthesize(h: &mut H, qname: &str, a_answer: &[Rr], q: &[u8]) -> Decoded {
    h.client(q).unwrap();
    let s = h.upstream();
    let d = decode(&s.bytes);
    assert_eq!(d.question.1, Rtype::AAAA);
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &[], &[SOA]))
        .unwrap();
    let s = h.upstream();
    let d = decode(&s.bytes);
    assert_eq!(
        d.question,
        (qname.to_string(), Rtype::A),
        "§5.1: the A query for the same name"
    );
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, a_answer, &[]))
        .unwrap();
    h.client_answer()
}

#[test]
fn aaaa_present_passed_on_with_client_id() {
    let mut h = H::new(config());
    h.client(&query(0x1234, "both.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    assert_eq!(s.index, 0);
    let up = decode(&s.bytes);
    assert_eq!(up.question, ("both.example".into(), Rtype::AAAA));
    h.reply(
        &s,
        &answer(
            &s.bytes,
            Rcode::NOERROR,
            &[Rr::Aaaa("both.example", 100, v6("2001:db8::1"))],
            &[],
        ),
    )
    .unwrap();
    let d = h.client_answer();
    assert_eq!(d.id, 0x1234);
    assert_eq!(
        d.answer,
        vec![(
            "both.example".into(),
            Rtype::AAAA,
            100,
            "2001:db8::1".into()
        )]
    );
    assert_eq!(h.m.counters().synthesized, 0);
    assert_eq!(h.m.outstanding(), 0);
}

#[test]
fn nodata_synthesizes_with_ttl_min_of_a_and_soa_minimum() {
    let mut h = H::new(config());
    let d = synthesize(
        &mut h,
        "v4only.example",
        &[Rr::A("v4only.example", 3600, V4)],
        &query(7, "v4only.example", Rtype::AAAA, false, None),
    );
    assert_eq!(d.id, 7);
    assert_eq!(d.rcode, Rcode::NOERROR);
    assert_eq!(d.question, ("v4only.example".into(), Rtype::AAAA));
    // §5.1.7: min(A TTL 3600, SOA MINIMUM 60 / SOA TTL 300) = 60.
    assert_eq!(
        d.answer,
        vec![(
            "v4only.example".into(),
            Rtype::AAAA,
            60,
            "64:ff9b::1400:1".into()
        )]
    );
    assert!(d.flags.qr && d.flags.rd && d.flags.ra && !d.flags.ad);
    assert_eq!(h.m.counters().synthesized, 1);
}

#[test]
fn ttl_without_soa_is_at_most_600_and_a_ttl_wins_when_lower() {
    let mut h = H::new(config());
    h.client(&query(1, "x.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &[], &[]))
        .unwrap();
    let s = h.upstream();
    h.reply(
        &s,
        &answer(
            &s.bytes,
            Rcode::NOERROR,
            &[Rr::A("x.example", 3600, V4)],
            &[],
        ),
    )
    .unwrap();
    assert_eq!(h.client_answer().answer[0].2, 600);

    let d = synthesize(
        &mut h,
        "y.example",
        &[Rr::A("y.example", 20, V4)],
        &query(2, "y.example", Rtype::AAAA, false, None),
    );
    assert_eq!(d.answer[0].2, 20);
}

#[test]
fn nxdomain_never_synthesized() {
    let mut h = H::new(config());
    h.client(&query(3, "nx.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::NXDOMAIN, &[], &[SOA]))
        .unwrap();
    let d = h.client_answer();
    assert_eq!(d.rcode, Rcode::NXDOMAIN);
    assert!(d.answer.is_empty());
    assert_eq!(d.authority.len(), 1);
    assert_eq!(h.m.counters().upstream_queries, 1, "no A query");
}

#[test]
fn servfail_synthesizes_unless_configured_off() {
    let mut h = H::new(config());
    h.client(&query(4, "sf.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::SERVFAIL, &[], &[]))
        .unwrap();
    let s = h.upstream();
    h.reply(
        &s,
        &answer(
            &s.bytes,
            Rcode::NOERROR,
            &[Rr::A("sf.example", 30, V4)],
            &[],
        ),
    )
    .unwrap();
    let d = h.client_answer();
    assert_eq!(d.rcode, Rcode::NOERROR);
    assert_eq!(d.answer[0].3, "64:ff9b::1400:1");

    let mut c = config();
    c.synthesize_on_error = false;
    let mut h = H::new(c);
    h.client(&query(4, "sf.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::SERVFAIL, &[], &[]))
        .unwrap();
    assert_eq!(h.client_answer().rcode, Rcode::SERVFAIL);
}

#[test]
fn a_answer_without_records_keeps_the_aaaa_answer() {
    let mut h = H::new(config());
    h.client(&query(5, "none.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &[], &[SOA]))
        .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &[], &[SOA]))
        .unwrap();
    let d = h.client_answer();
    assert_eq!(d.id, 5);
    assert!(d.answer.is_empty());
    assert_eq!(d.authority[0].1, Rtype::SOA);
}

#[test]
fn ipv4_mapped_and_excluded_aaaa_treated_as_empty() {
    let mut c = config();
    c.exclude = vec![Dns64Net::new(IpAddr::V6(v6("2001:db8:bad::")), 48)];
    for bad in ["::ffff:20.0.0.1", "2001:db8:bad::1"] {
        let mut h = H::new(c.clone());
        h.client(&query(6, "m.example", Rtype::AAAA, false, None))
            .unwrap();
        let s = h.upstream();
        h.reply(
            &s,
            &answer(
                &s.bytes,
                Rcode::NOERROR,
                &[Rr::Aaaa("m.example", 100, v6(bad))],
                &[],
            ),
        )
        .unwrap();
        let s = h.upstream();
        assert_eq!(
            decode(&s.bytes).question.1,
            Rtype::A,
            "{bad}: treated as empty"
        );
        h.reply(
            &s,
            &answer(
                &s.bytes,
                Rcode::NOERROR,
                &[Rr::A("m.example", 100, V4)],
                &[],
            ),
        )
        .unwrap();
        assert_eq!(h.client_answer().answer[0].3, "64:ff9b::1400:1");
    }
    // Mixed: the excluded record is removed, the other passed on.
    let mut h = H::new(c);
    h.client(&query(6, "m.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    let rrs = [
        Rr::Aaaa("m.example", 100, v6("2001:db8:bad::1")),
        Rr::Aaaa("m.example", 100, v6("2001:db8::1")),
    ];
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &rrs, &[]))
        .unwrap();
    let d = h.client_answer();
    assert_eq!(
        d.answer,
        vec![("m.example".into(), Rtype::AAAA, 100, "2001:db8::1".into())]
    );
}

#[test]
fn mapped_acl_limits_which_ipv4_is_synthesized() {
    let mut c = config();
    // BIND: mapped { !20.0.0.0/8; any; };
    let mut acl = Dns64Acl::any();
    acl.elements.insert(
        0,
        (
            false,
            Dns64Net::new(IpAddr::V4(Ipv4Addr::new(20, 0, 0, 0)), 8),
        ),
    );
    c.mapped = acl;
    let mut h = H::new(c);
    let rrs = [
        Rr::A("two.example", 100, V4),
        Rr::A("two.example", 100, Ipv4Addr::new(30, 0, 0, 1)),
    ];
    let d = synthesize(
        &mut h,
        "two.example",
        &rrs,
        &query(8, "two.example", Rtype::AAAA, false, None),
    );
    assert_eq!(
        d.answer,
        vec![(
            "two.example".into(),
            Rtype::AAAA,
            60,
            "64:ff9b::1e00:1".into()
        )]
    );
    // Nothing mappable: the AAAA answer (NODATA) stands.
    let d = synthesize(
        &mut h,
        "one.example",
        &[Rr::A("one.example", 100, V4)],
        &query(9, "one.example", Rtype::AAAA, false, None),
    );
    assert!(d.answer.is_empty());
    assert_eq!(d.authority[0].1, Rtype::SOA);
}

#[test]
fn well_known_prefix_never_carries_non_global_ipv4() {
    let mut h = H::new(config());
    let rrs = [Rr::A("p.example", 100, Ipv4Addr::new(10, 1, 2, 3))];
    let d = synthesize(
        &mut h,
        "p.example",
        &rrs,
        &query(9, "p.example", Rtype::AAAA, false, None),
    );
    assert!(d.answer.is_empty(), "RFC 6052 §3.1");
    // A network-specific prefix carries it.
    let mut c = config();
    c.prefixes = vec![Nat64Prefix::new(v6("2001:db8:64::"), 96).unwrap()];
    let mut h = H::new(c);
    let d = synthesize(
        &mut h,
        "p.example",
        &rrs,
        &query(9, "p.example", Rtype::AAAA, false, None),
    );
    assert_eq!(d.answer[0].3, "2001:db8:64::a01:203");
}

#[test]
fn clients_acl_others_get_plain_forwarding() {
    let mut c = config();
    c.clients = Dns64Acl {
        elements: vec![(true, Dns64Net::new(IpAddr::V6(v6("2001:db8:1::")), 64))],
    };
    let mut h = H::new(c);
    h.client_from(
        "[2001:db8:2::10]:1000",
        &query(10, "v4only.example", Rtype::AAAA, false, None),
    )
    .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &[], &[SOA]))
        .unwrap();
    let t = h.m.poll_transmit(h.now).unwrap();
    assert_eq!(
        t.destination,
        Dns64Destination::Client(sock("[2001:db8:2::10]:1000"))
    );
    assert!(
        decode(&t.payload).answer.is_empty(),
        "not a DNS64 client: no A query, NODATA"
    );
    // An admitted client gets synthesis.
    let d = synthesize(
        &mut h,
        "v4only.example",
        &[Rr::A("v4only.example", 100, V4)],
        &query(11, "v4only.example", Rtype::AAAA, false, None),
    );
    assert_eq!(d.answer.len(), 1);
}

#[test]
fn cname_chain_kept_and_aaaa_at_its_end() {
    let mut h = H::new(config());
    let rrs = [
        Rr::Cname("www.example", 500, "cdn.example"),
        Rr::Cname("cdn.example", 400, "host.example"),
        Rr::A("host.example", 100, V4),
        // Not at the chain's end: not synthesized.
        Rr::A("other.example", 100, Ipv4Addr::new(30, 0, 0, 1)),
    ];
    let d = synthesize(
        &mut h,
        "www.example",
        &rrs,
        &query(12, "www.example", Rtype::AAAA, false, None),
    );
    assert_eq!(
        d.answer,
        vec![
            (
                "www.example".into(),
                Rtype::CNAME,
                500,
                "cdn.example.".into()
            ),
            (
                "cdn.example".into(),
                Rtype::CNAME,
                400,
                "host.example.".into()
            ),
            (
                "host.example".into(),
                Rtype::AAAA,
                60,
                "64:ff9b::1400:1".into()
            ),
        ]
    );
}

#[test]
fn cd_bit_no_synthesis_unless_break_dnssec() {
    let mut h = H::new(config());
    h.client(&query(
        13,
        "v4only.example",
        Rtype::AAAA,
        true,
        Some((1232, true)),
    ))
    .unwrap();
    let s = h.upstream();
    let up = decode(&s.bytes);
    assert!(up.flags.cd, "CD forwarded");
    assert_eq!(up.edns, Some((1232, true)), "DO forwarded");
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &[], &[SOA]))
        .unwrap();
    assert!(
        h.client_answer().answer.is_empty(),
        "§5.5: CD set, no synthesis"
    );

    let mut c = config();
    c.break_dnssec = true;
    let mut h = H::new(c);
    let d = synthesize(
        &mut h,
        "v4only.example",
        &[Rr::A("v4only.example", 100, V4)],
        &query(13, "v4only.example", Rtype::AAAA, true, Some((1232, true))),
    );
    assert_eq!(d.answer.len(), 1);
    assert!(d.flags.cd);
}

#[test]
fn do_bit_synthesis_clears_ad_and_keeps_edns() {
    let mut h = H::new(config());
    h.client(&query(
        14,
        "v4only.example",
        Rtype::AAAA,
        false,
        Some((4096, true)),
    ))
    .unwrap();
    let s = h.upstream();
    assert_eq!(
        decode(&s.bytes).edns,
        Some((1232, true)),
        "size capped at 1232"
    );
    let mut nodata = answer(&s.bytes, Rcode::NOERROR, &[], &[SOA]);
    nodata[3] |= 0x20; // AD
    h.reply(&s, &nodata).unwrap();
    let s = h.upstream();
    let mut a = answer(
        &s.bytes,
        Rcode::NOERROR,
        &[Rr::A("v4only.example", 100, V4)],
        &[],
    );
    a[3] |= 0x20;
    h.reply(&s, &a).unwrap();
    let d = h.client_answer();
    assert!(!d.flags.ad, "§5.5: synthesized data is not validated");
    assert_eq!(d.edns, Some((1232, true)));
    assert_eq!(d.answer.len(), 1);
}

#[test]
fn ptr_under_prefix_answered_with_cname_into_in_addr_arpa() {
    let mut h = H::new(config());
    let qname = "1.0.0.0.0.0.4.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa";
    h.client(&query(15, qname, Rtype::PTR, false, None))
        .unwrap();
    let s = h.upstream();
    assert_eq!(
        decode(&s.bytes).question,
        ("1.0.0.20.in-addr.arpa".into(), Rtype::PTR)
    );
    h.reply(
        &s,
        &answer(
            &s.bytes,
            Rcode::NOERROR,
            &[Rr::Ptr("1.0.0.20.in-addr.arpa", 100, "host.example")],
            &[],
        ),
    )
    .unwrap();
    let d = h.client_answer();
    assert_eq!(d.question, (qname.into(), Rtype::PTR));
    assert_eq!(
        d.answer,
        vec![
            (
                qname.into(),
                Rtype::CNAME,
                3600,
                "1.0.0.20.in-addr.arpa.".into()
            ),
            (
                "1.0.0.20.in-addr.arpa".into(),
                Rtype::PTR,
                100,
                "host.example.".into()
            ),
        ]
    );
    // Outside the prefix: forwarded as asked.
    let other = "1.0.0.0.0.0.4.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    h.client(&query(16, other, Rtype::PTR, false, None))
        .unwrap();
    assert_eq!(
        decode(&h.upstream().bytes).question,
        (other.into(), Rtype::PTR)
    );
}

#[test]
fn ipv4only_arpa_answered_locally() {
    let mut h = H::new(config());
    h.client(&query(17, "ipv4only.arpa", Rtype::A, false, None))
        .unwrap();
    let d = h.client_answer();
    assert_eq!(
        d.answer.iter().map(|r| r.3.as_str()).collect::<Vec<_>>(),
        ["192.0.0.170", "192.0.0.171"]
    );
    h.client(&query(18, "IPv4only.ARPA", Rtype::AAAA, false, None))
        .unwrap();
    let d = h.client_answer();
    assert_eq!(
        d.answer.iter().map(|r| r.3.as_str()).collect::<Vec<_>>(),
        ["64:ff9b::c000:aa", "64:ff9b::c000:ab"]
    );
    h.client(&query(19, "x.ipv4only.arpa", Rtype::A, false, None))
        .unwrap();
    assert_eq!(h.client_answer().rcode, Rcode::NXDOMAIN);
    h.client(&query(20, "ipv4only.arpa", Rtype::MX, false, None))
        .unwrap();
    let d = h.client_answer();
    assert_eq!((d.rcode, d.answer.len()), (Rcode::NOERROR, 0));
    assert_eq!(h.m.counters().upstream_queries, 0, "never upstream");
    assert_eq!(h.m.counters().local_answers, 4);
}

#[test]
fn upstream_answers_validated_state_unchanged_on_drop() {
    let mut h = H::new(config());
    h.client(&query(21, "both.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    let good = answer(
        &s.bytes,
        Rcode::NOERROR,
        &[Rr::Aaaa("both.example", 100, v6("2001:db8::1"))],
        &[],
    );
    let before = *h.m.counters();
    // Wrong id.
    let mut bad = good.clone();
    bad[0] ^= 0xff;
    assert_eq!(h.reply(&s, &bad), Err(Dns64Dropped::NotOurs));
    // Wrong source address, wrong local port.
    let wrong_src = Dns64Source::Upstream {
        from: sock(UP1),
        local_port: s.port,
    };
    assert_eq!(
        h.m.handle_input(h.now, wrong_src, &good),
        Err(Dns64Dropped::NotOurs)
    );
    let wrong_port = Dns64Source::Upstream {
        from: s.server,
        local_port: s.port.wrapping_add(1),
    };
    assert_eq!(
        h.m.handle_input(h.now, wrong_port, &good),
        Err(Dns64Dropped::NotOurs)
    );
    // Wrong question (same id).
    let other_q = {
        let mut q = query(0, "evil.example", Rtype::AAAA, false, None);
        q[..2].copy_from_slice(&s.bytes[..2]);
        answer(
            &q,
            Rcode::NOERROR,
            &[Rr::Aaaa("evil.example", 100, v6("2001:db8::666"))],
            &[],
        )
    };
    assert_eq!(h.reply(&s, &other_q), Err(Dns64Dropped::QuestionMismatch));
    // A query where an answer belongs; garbage.
    assert_eq!(h.reply(&s, &s.bytes.clone()), Err(Dns64Dropped::Unexpected));
    assert!(matches!(
        h.reply(&s, &[0u8; 5]),
        Err(Dns64Dropped::Malformed(_))
    ));
    assert!(matches!(
        h.reply(&s, &good[..good.len() - 3]),
        Err(Dns64Dropped::Malformed(_))
    ));
    let c = h.m.counters();
    assert_eq!(
        (c.not_ours, c.question_mismatch, c.unexpected, c.malformed),
        (3, 1, 1, 2)
    );
    assert_eq!(
        (c.upstream_answers, c.client_answers),
        (before.upstream_answers, before.client_answers)
    );
    h.nothing_queued();
    assert_eq!(h.m.outstanding(), 1);
    // The real answer still completes the query.
    h.reply(&s, &good).unwrap();
    assert_eq!(h.client_answer().answer[0].3, "2001:db8::1");
    // A duplicate of it is no longer ours.
    assert_eq!(h.reply(&s, &good), Err(Dns64Dropped::NotOurs));
    // An answer from a client.
    assert_eq!(h.client(&good), Err(Dns64Dropped::Unexpected));
}

#[test]
fn outstanding_queries_bounded() {
    let mut c = config();
    c.max_outstanding = 2;
    let mut h = H::new(c);
    h.client(&query(1, "a.example", Rtype::A, false, None))
        .unwrap();
    h.client(&query(2, "b.example", Rtype::A, false, None))
        .unwrap();
    assert_eq!(
        h.client(&query(3, "c.example", Rtype::A, false, None)),
        Err(Dns64Dropped::TableFull)
    );
    assert_eq!(h.m.counters().table_full, 1);
    assert_eq!(h.m.counters().upstream_queries, 2);
    // Local answers need no slot.
    h.m.handle_input(
        h.now,
        Dns64Source::Client(sock(CLIENT)),
        &query(4, "ipv4only.arpa", Rtype::A, false, None),
    )
    .unwrap();
}

#[test]
fn ids_and_ports_drawn_from_the_rng() {
    let mut c = config();
    c.source_ports = (40000, 40999);
    let mut h = H::new(c);
    let mut seen = std::collections::HashSet::new();
    for i in 0..50 {
        h.client(&query(i, "a.example", Rtype::A, false, None))
            .unwrap();
        let s = h.upstream();
        assert!((40000..=40999).contains(&s.port));
        seen.insert((u16::from_be_bytes([s.bytes[0], s.bytes[1]]), s.port));
    }
    assert_eq!(seen.len(), 50);
}

#[test]
fn failover_then_servfail_after_attempts() {
    let mut h = H::new(config());
    assert_eq!(h.m.poll_timeout(), None);
    h.client(&query(22, "slow.example", Rtype::A, false, None))
        .unwrap();
    let s0 = h.upstream();
    assert_eq!(s0.index, 0);
    assert_eq!(h.m.poll_timeout(), Some(Instant::from_secs(1)));
    // Early: nothing.
    h.m.handle_timeout(Instant::from_millis(999));
    h.nothing_queued();
    h.now = Instant::from_secs(1);
    h.m.handle_timeout(h.now);
    h.m.handle_timeout(h.now);
    let s1 = h.upstream();
    assert_eq!((s1.index, s1.server), (1, sock(UP1)));
    assert_eq!(
        h.m.poll_event(),
        Some(Dns64Event::UpstreamSilent { index: 0 })
    );
    // The late answer from the first upstream is no longer accepted.
    let late = answer(&s0.bytes, Rcode::NOERROR, &[], &[]);
    assert_eq!(h.reply(&s0, &late), Err(Dns64Dropped::NotOurs));
    h.now += Duration::from_secs(1);
    h.m.handle_timeout(h.now);
    let s2 = h.upstream();
    assert_eq!(s2.index, 0);
    h.now += Duration::from_secs(1);
    h.m.handle_timeout(h.now);
    let d = h.client_answer();
    assert_eq!((d.id, d.rcode), (22, Rcode::SERVFAIL));
    assert_eq!(h.m.outstanding(), 0);
    assert_eq!(h.m.poll_timeout(), None);
    assert_eq!(h.m.counters().servfail, 1);
}

#[test]
fn a_query_timeout_falls_back_to_the_aaaa_answer() {
    let mut c = config();
    c.attempts = 1;
    let mut h = H::new(c);
    h.client(&query(23, "v4only.example", Rtype::AAAA, false, None))
        .unwrap();
    let s = h.upstream();
    h.reply(&s, &answer(&s.bytes, Rcode::NOERROR, &[], &[SOA]))
        .unwrap();
    let _a = h.upstream();
    h.now = Instant::from_secs(5);
    h.m.handle_timeout(h.now);
    let d = h.client_answer();
    assert_eq!((d.id, d.rcode, d.answer.len()), (23, Rcode::NOERROR, 0));
}

#[test]
fn config_validated() {
    let mut c = config();
    c.prefixes.clear();
    assert!(Dns64::new(c, SeededRng::from_u64(1), Instant::ZERO).is_err());
    // No upstream (yet) is fine: see tests/runtime.rs.
    let mut c = config();
    c.upstreams.clear();
    assert!(Dns64::new(c, SeededRng::from_u64(1), Instant::ZERO).is_ok());
    let mut c = config();
    c.source_ports = (10, 9);
    assert!(Dns64::new(c, SeededRng::from_u64(1), Instant::ZERO).is_err());
    let mut c = config();
    c.max_outstanding = 32769;
    c.source_ports = (5000, 5000);
    assert_eq!(
        Dns64::new(c, SeededRng::from_u64(1), Instant::ZERO).err(),
        Some(dns64::Dns64ConfigError::TooManyOutstanding)
    );
    let mut c = config();
    c.exclude = vec![Dns64Net::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 33)];
    assert!(Dns64::new(c, SeededRng::from_u64(1), Instant::ZERO).is_err());
}
