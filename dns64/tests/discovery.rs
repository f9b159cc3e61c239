//! RFC 7050 prefix discovery in memory, answers built by hand.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use common::{Rr, answer, decode, query, sock};
use dns64::{
    Nat64Discovery, Nat64DiscoveryConfig, Nat64DiscoveryDropped, Nat64DiscoveryEvent as Ev,
    Nat64Prefix,
};
use domain::base::iana::{Rcode, Rtype};
use sansio_primitives::{Duration, Instant, SeededRng};

const R0: &str = "[2001:db8:53::1]:53";
const R1: &str = "[2001:db8:53::2]:53";

struct H {
    m: Nat64Discovery,
    now: Instant,
}

struct Sent {
    index: usize,
    server: SocketAddr,
    port: u16,
    bytes: Vec<u8>,
}

impl H {
    fn new(validate: bool) -> H {
        let mut c = Nat64DiscoveryConfig::new(vec![sock(R0), sock(R1)]);
        c.validate = validate;
        H {
            m: Nat64Discovery::new(c, SeededRng::from_u64(7050), Instant::ZERO).unwrap(),
            now: Instant::ZERO,
        }
    }

    fn sent(&mut self) -> Sent {
        let t = self.m.poll_transmit(self.now).expect("a query");
        Sent {
            index: t.destination.index,
            server: t.destination.server,
            port: t.destination.source_port,
            bytes: t.payload,
        }
    }

    fn reply(&mut self, s: &Sent, bytes: &[u8]) -> Result<(), Nat64DiscoveryDropped> {
        self.m.handle_input(self.now, s.server, s.port, bytes)
    }

    fn events(&mut self) -> Vec<Ev> {
        std::iter::from_fn(|| self.m.poll_event()).collect()
    }

    fn advance_to(&mut self, t: Instant) {
        self.now = t;
        self.m.handle_timeout(t);
    }
}

fn p(s: &str, len: u8) -> Nat64Prefix {
    Nat64Prefix::new(s.parse().unwrap(), len).unwrap()
}

/// AAAA records for both well-known addresses under `prefix`.
fn wka(prefix: Nat64Prefix, ttl: u32) -> Vec<Rr> {
    [170, 171]
        .into_iter()
        .map(|d| {
            Rr::Aaaa(
                "ipv4only.arpa",
                ttl,
                prefix.embed_unrestricted(Ipv4Addr::new(192, 0, 0, d)),
            )
        })
        .collect()
}

#[test]
fn finds_the_prefix_at_every_length() {
    for (s, len) in [
        ("2001:db8::", 32),
        ("2001:db8:100::", 40),
        ("2001:db8:122::", 48),
        ("2001:db8:122:300::", 56),
        ("2001:db8:122:344::", 64),
        ("2001:db8:122:344::", 96),
        ("64:ff9b::", 96),
    ] {
        let prefix = p(s, len);
        let mut h = H::new(false);
        let q = h.sent();
        assert_eq!(q.index, 0);
        let d = decode(&q.bytes);
        assert_eq!(d.question, ("ipv4only.arpa".into(), Rtype::AAAA));
        h.reply(
            &q,
            &answer(&q.bytes, Rcode::NOERROR, &wka(prefix, 300), &[]),
        )
        .unwrap();
        assert_eq!(h.events(), vec![Ev::PrefixFound(prefix)], "{prefix}");
        assert_eq!(h.m.prefixes(), vec![prefix]);
    }
}

#[test]
fn finds_every_prefix_of_a_multi_prefix_answer() {
    let a = p("64:ff9b::", 96);
    let b = p("2001:db8:122:344::", 64);
    let mut h = H::new(false);
    let q = h.sent();
    let mut rrs = wka(a, 300);
    rrs.extend(wka(b, 200));
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &rrs, &[]))
        .unwrap();
    assert_eq!(h.events(), vec![Ev::PrefixFound(a), Ev::PrefixFound(b)]);
}

#[test]
fn prefixes_per_answer_bounded() {
    let mut c = Nat64DiscoveryConfig::new(vec![sock(R0)]);
    c.max_prefixes = 2;
    let mut h = H {
        m: Nat64Discovery::new(c, SeededRng::from_u64(1), Instant::ZERO).unwrap(),
        now: Instant::ZERO,
    };
    let q = h.sent();
    let mut rrs = vec![];
    for i in 1..=4u16 {
        rrs.extend(wka(
            Nat64Prefix::new(Ipv6Addr::new(0x2001, 0xdb8, i, 0, 0, 0, 0, 0), 96).unwrap(),
            60,
        ));
    }
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &rrs, &[]))
        .unwrap();
    assert_eq!(h.events().len(), 2);
}

#[test]
fn answers_without_both_well_known_addresses_ignored() {
    let mut h = H::new(false);
    let q = h.sent();
    let only_one = vec![Rr::Aaaa(
        "ipv4only.arpa",
        300,
        "64:ff9b::c000:aa".parse().unwrap(),
    )];
    let unrelated = vec![Rr::Aaaa(
        "ipv4only.arpa",
        300,
        "2001:db8::1".parse().unwrap(),
    )];
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &only_one, &[]))
        .unwrap();
    assert!(h.events().is_empty());
    assert!(h.m.prefixes().is_empty());
    assert_eq!(h.m.counters().answers_without_prefix, 1);
    // Asked again after the backoff (at least min_refresh).
    assert_eq!(h.m.poll_timeout(), Some(Instant::from_secs(10)));
    h.advance_to(Instant::from_secs(10));
    let q = h.sent();
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &unrelated, &[]))
        .unwrap();
    h.advance_to(h.m.poll_timeout().unwrap());
    let q = h.sent();
    h.reply(&q, &answer(&q.bytes, Rcode::NXDOMAIN, &[], &[]))
        .unwrap();
    assert!(h.events().is_empty());
    assert_eq!(h.m.counters().answers_without_prefix, 3);
}

#[test]
fn rediscovers_before_the_ttl_ends_and_loses_a_prefix_not_renewed() {
    let a = p("64:ff9b::", 96);
    let b = p("2001:db8:64::", 96);
    let mut h = H::new(false);
    let q = h.sent();
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &wka(a, 100), &[]))
        .unwrap();
    assert_eq!(h.events(), vec![Ev::PrefixFound(a)]);
    // 90 % of the TTL.
    assert_eq!(h.m.poll_timeout(), Some(Instant::from_secs(90)));
    h.advance_to(Instant::from_secs(90));
    let q = h.sent();
    assert_eq!(decode(&q.bytes).question.0, "ipv4only.arpa");
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &wka(b, 100), &[]))
        .unwrap();
    assert_eq!(h.events(), vec![Ev::PrefixLost(a), Ev::PrefixFound(b)]);
    // No answer to the next refresh: b ends at its TTL.
    h.advance_to(Instant::from_secs(180));
    let _q = h.sent();
    let mut t = h.now;
    while t < Instant::from_secs(190) {
        t = h.m.poll_timeout().unwrap();
        h.advance_to(t);
        while h.m.poll_transmit(h.now).is_some() {}
    }
    assert_eq!(h.events(), vec![Ev::PrefixLost(b)]);
    assert!(h.m.prefixes().is_empty());
}

#[test]
fn retransmits_with_backoff_to_the_next_resolver() {
    let mut h = H::new(false);
    let q0 = h.sent();
    assert_eq!(q0.index, 0);
    let mut deadlines = vec![];
    let mut indices = vec![];
    for _ in 0..8 {
        let t = h.m.poll_timeout().unwrap();
        deadlines.push(t.as_nanos() / 1_000_000_000);
        h.advance_to(t);
        let q = h.sent();
        indices.push(q.index);
    }
    // 1, 2, 4, ... s after each send, capped at 64 s.
    assert_eq!(deadlines, vec![1, 3, 7, 15, 31, 63, 127, 191]);
    assert_eq!(indices, vec![1, 0, 1, 0, 1, 0, 1, 0]);
    assert_eq!(h.m.counters().retransmissions, 8);
    // The first query's late answer is not accepted; the latest one is.
    let late = answer(
        &q0.bytes,
        Rcode::NOERROR,
        &wka(Nat64Prefix::WELL_KNOWN, 60),
        &[],
    );
    assert_eq!(h.reply(&q0, &late), Err(Nat64DiscoveryDropped::NotOurs));
}

#[test]
fn answers_validated_state_unchanged_on_drop() {
    let mut h = H::new(false);
    let q = h.sent();
    let good = answer(
        &q.bytes,
        Rcode::NOERROR,
        &wka(Nat64Prefix::WELL_KNOWN, 60),
        &[],
    );
    let wrong_src = Sent {
        index: 1,
        server: sock(R1),
        port: q.port,
        bytes: vec![],
    };
    assert_eq!(
        h.reply(&wrong_src, &good),
        Err(Nat64DiscoveryDropped::NotOurs)
    );
    let mut bad_id = good.clone();
    bad_id[1] ^= 1;
    assert_eq!(h.reply(&q, &bad_id), Err(Nat64DiscoveryDropped::NotOurs));
    let mut other = query(0, "ipv4only.example", Rtype::AAAA, false, None);
    other[..2].copy_from_slice(&q.bytes[..2]);
    let other = answer(&other, Rcode::NOERROR, &[], &[]);
    assert_eq!(
        h.reply(&q, &other),
        Err(Nat64DiscoveryDropped::QuestionMismatch)
    );
    assert_eq!(
        h.reply(&q, &q.bytes.clone()),
        Err(Nat64DiscoveryDropped::Unexpected)
    );
    assert!(matches!(
        h.reply(&q, &good[..20]),
        Err(Nat64DiscoveryDropped::Malformed(_))
    ));
    assert!(h.events().is_empty());
    h.reply(&q, &good).unwrap();
    assert_eq!(h.events(), vec![Ev::PrefixFound(Nat64Prefix::WELL_KNOWN)]);
}

fn ip6_arpa(a: Ipv6Addr) -> String {
    let hex = format!("{:032x}", u128::from(a));
    let mut s: Vec<String> = hex.chars().rev().map(|c| c.to_string()).collect();
    s.push("ip6.arpa".into());
    s.join(".")
}

#[test]
fn validation_ptr_then_aaaa_must_contain_the_address() {
    let prefix = p("2001:db8:64::", 96);
    let addr: Ipv6Addr = prefix.embed_unrestricted(Ipv4Addr::new(192, 0, 0, 170));
    for (aaaa_has_it, expect) in [(true, vec![Ev::PrefixFound(prefix)]), (false, vec![])] {
        let mut h = H::new(true);
        let q = h.sent();
        h.reply(
            &q,
            &answer(&q.bytes, Rcode::NOERROR, &wka(prefix, 300), &[]),
        )
        .unwrap();
        assert!(h.events().is_empty(), "not before validation");
        let q = h.sent();
        let d = decode(&q.bytes);
        assert_eq!(d.question, (ip6_arpa(addr), Rtype::PTR));
        let owner: &'static str = Box::leak(ip6_arpa(addr).into_boxed_str());
        h.reply(
            &q,
            &answer(
                &q.bytes,
                Rcode::NOERROR,
                &[Rr::Ptr(owner, 60, "nat64.example")],
                &[],
            ),
        )
        .unwrap();
        let q = h.sent();
        assert_eq!(
            decode(&q.bytes).question,
            ("nat64.example".into(), Rtype::AAAA)
        );
        let rr = if aaaa_has_it {
            addr
        } else {
            "2001:db8:99::1".parse().unwrap()
        };
        h.reply(
            &q,
            &answer(
                &q.bytes,
                Rcode::NOERROR,
                &[Rr::Aaaa("nat64.example", 60, rr)],
                &[],
            ),
        )
        .unwrap();
        assert_eq!(h.events(), expect);
        assert_eq!(h.m.counters().validation_failures, u64::from(!aaaa_has_it));
    }
}

#[test]
fn validation_without_ptr_fails() {
    let mut h = H::new(true);
    let q = h.sent();
    h.reply(
        &q,
        &answer(
            &q.bytes,
            Rcode::NOERROR,
            &wka(Nat64Prefix::WELL_KNOWN, 300),
            &[],
        ),
    )
    .unwrap();
    let q = h.sent();
    h.reply(&q, &answer(&q.bytes, Rcode::NXDOMAIN, &[], &[]))
        .unwrap();
    assert!(h.events().is_empty());
    assert!(h.m.prefixes().is_empty());
    assert_eq!(h.m.counters().validation_failures, 1);
}

#[test]
fn pref64_takes_precedence_and_discovery_resumes_after_it() {
    let dns = Nat64Prefix::WELL_KNOWN;
    let ra = p("2001:db8:a::", 96);
    let mut h = H::new(false);
    let q = h.sent();
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &wka(dns, 3600), &[]))
        .unwrap();
    assert_eq!(h.events(), vec![Ev::PrefixFound(dns)]);
    h.m.set_pref64(h.now, ra, Duration::from_secs(600));
    assert_eq!(h.events(), vec![Ev::PrefixLost(dns), Ev::PrefixFound(ra)]);
    assert_eq!(h.m.prefixes(), vec![ra]);
    assert_eq!(h.m.poll_timeout(), Some(Instant::from_secs(600)));
    // No DNS while PREF64 is valid (the 90 % refresh of 3600 s is later anyway).
    h.advance_to(Instant::from_secs(599));
    assert!(h.m.poll_transmit(h.now).is_none());
    h.advance_to(Instant::from_secs(600));
    assert_eq!(h.events(), vec![Ev::PrefixLost(ra)]);
    let q = h.sent();
    assert_eq!(decode(&q.bytes).question.0, "ipv4only.arpa");
    h.reply(&q, &answer(&q.bytes, Rcode::NOERROR, &wka(dns, 3600), &[]))
        .unwrap();
    assert_eq!(h.events(), vec![Ev::PrefixFound(dns)]);
    // Withdrawal (lifetime 0) of a PREF64 in use.
    h.m.set_pref64(h.now, ra, Duration::from_secs(60));
    let _ = h.events();
    h.m.set_pref64(h.now, ra, Duration::ZERO);
    assert_eq!(h.events(), vec![Ev::PrefixLost(ra)]);
    assert!(h.m.poll_transmit(h.now).is_some(), "DNS discovery resumes");
}
