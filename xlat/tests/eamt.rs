//! RFC 7757 EAMT: the Appendix A examples, longest match, the suffix
//! rule, EAMT with pool6 together as Jool's SIIT has them, hairpinning.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use common::*;
use xlat::{Eam, Eamt, EamtError, Siit, SiitConfig, SiitConfigError, XlatDropped};

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn eamt(entries: &[(&str, u8, &str, u8)]) -> Eamt {
    let mut t = Eamt::new();
    for &(a4, l4, a6, l6) in entries {
        t.add(Eam::new(v4(a4), l4, v6(a6), l6).unwrap()).unwrap();
    }
    t
}

/// RFC 7757 Appendix A's table and every example translation, both ways.
#[test]
fn appendix_a_examples() {
    let t = eamt(&[
        ("192.0.2.1", 32, "2001:db8:aaaa::", 128),
        ("192.0.2.2", 32, "2001:db8:bbbb::b", 128),
        ("192.0.2.16", 28, "2001:db8:cccc::", 124),
        ("192.0.2.128", 26, "2001:db8:dddd::", 64),
        ("192.0.2.192", 31, "64:ff9b::", 127),
    ]);
    for (a4, a6) in [
        ("192.0.2.1", "2001:db8:aaaa::"),
        ("192.0.2.2", "2001:db8:bbbb::b"),
        ("192.0.2.16", "2001:db8:cccc::"),
        ("192.0.2.24", "2001:db8:cccc::8"),
        ("192.0.2.31", "2001:db8:cccc::f"),
        ("192.0.2.128", "2001:db8:dddd::"),
        ("192.0.2.152", "2001:db8:dddd:0:6000::"),
        ("192.0.2.183", "2001:db8:dddd:0:dc00::"),
        ("192.0.2.191", "2001:db8:dddd:0:fc00::"),
        ("192.0.2.193", "64:ff9b::1"),
    ] {
        assert_eq!(t.v4_to_v6(v4(a4)), Some(v6(a6)), "{a4}");
        assert_eq!(t.v6_to_v4(v6(a6)), Some(v4(a4)), "{a6}");
    }
    assert_eq!(t.v4_to_v6(v4("192.0.2.3")), None);
    assert_eq!(t.v6_to_v4(v6("2001:db8:eeee::")), None);
    // IPv6 bits after the IPv4 suffix are ignored (§3.2).
    assert_eq!(
        t.v6_to_v4(v6("2001:db8:dddd:0:6000:beef::")),
        Some(v4("192.0.2.152"))
    );
}

/// Overlapping entries: the longest prefix on the looked-up side wins.
#[test]
fn longest_match() {
    let t = eamt(&[
        ("0.0.0.0", 0, "2001:db8:ff00::", 40),
        ("198.51.100.64", 32, "2001:db8::abcd", 128),
    ]);
    assert_eq!(
        t.v6_to_v4(v6("2001:db8:ffc6:3364:4000::")),
        Some(v4("198.51.100.64"))
    );
    assert_eq!(t.v4_to_v6(v4("198.51.100.64")), Some(v6("2001:db8::abcd")));
    assert_eq!(
        t.v4_to_v6(v4("198.51.100.65")),
        Some(v6("2001:db8:ffc6:3364:4100::"))
    );
}

/// §3.2: the IPv4 suffix must fit in the IPv6 suffix; lengths in range;
/// no two entries with the same prefix.
#[test]
fn prefix_length_rules() {
    assert_eq!(
        Eam::new(v4("192.0.2.0"), 24, v6("2001:db8::"), 124),
        Err(EamtError::SuffixTooLong {
            v4_suffix: 8,
            v6_suffix: 4
        })
    );
    assert!(Eam::new(v4("192.0.2.0"), 24, v6("2001:db8::"), 120).is_ok());
    assert_eq!(
        Eam::new(v4("192.0.2.0"), 33, v6("2001:db8::"), 128),
        Err(EamtError::BadPrefixLength)
    );
    assert_eq!(
        Eam::new(v4("192.0.2.0"), 32, v6("2001:db8::"), 129),
        Err(EamtError::BadPrefixLength)
    );
    // Host bits are cleared.
    let e = Eam::new(v4("192.0.2.77"), 24, v6("2001:db8::1"), 120).unwrap();
    assert_eq!(e.ipv4(), (v4("192.0.2.0"), 24));
    assert_eq!(e.ipv6(), (v6("2001:db8::"), 120));
    let mut t = eamt(&[("192.0.2.0", 24, "2001:db8::", 120)]);
    let same4 = Eam::new(v4("192.0.2.0"), 24, v6("2001:db8:1::"), 120).unwrap();
    assert_eq!(t.add(same4), Err(EamtError::Duplicate));
    let same6 = Eam::new(v4("198.51.100.0"), 24, v6("2001:db8::"), 120).unwrap();
    assert_eq!(t.add(same6), Err(EamtError::Duplicate));
    assert_eq!(t.len(), 1);
}

const A: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
const B: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0xbb, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b,
];
const A4: [u8; 4] = [192, 0, 2, 1];
const B4: [u8; 4] = [192, 0, 2, 2];

/// Jool's SIIT: EAMT first, pool6 for the rest; A and B are EAM'd.
fn siit_eam(pool6_too: bool) -> Siit {
    let mut c = SiitConfig::new(pool6_too.then(pool6));
    c.eamt = eamt(&[
        ("192.0.2.1", 32, "2001:db8:aaaa::", 128),
        ("192.0.2.2", 32, "2001:db8:bbbb::b", 128),
    ]);
    Siit::new(c, sansio_primitives::SeededRng::from_u64(3)).unwrap()
}

/// EAM for the host, pool6 for the IPv4 server, both directions; the EAM
/// wins over pool6 for an address both could translate.
#[test]
fn eamt_and_pool6_together() {
    let mut x = siit_eam(true);
    let d = data(33);
    let input = ipv6(
        0,
        UDP,
        64,
        A,
        S4_V6,
        &[],
        &udp(Pseudo::V6(A, S4_V6), 1000, 2000, &d),
    );
    let out = translated(&mut x, &input);
    let id = u16::from_be_bytes([out[4], out[5]]);
    assert_eq!(
        out,
        ipv4(
            0,
            id,
            0,
            63,
            UDP,
            A4,
            S4,
            &[],
            &udp(Pseudo::V4(A4, S4), 1000, 2000, &d)
        )
    );
    let back = ipv4(
        0,
        1,
        0x4000,
        64,
        UDP,
        S4,
        A4,
        &[],
        &udp(Pseudo::V4(S4, A4), 2000, 1000, &d),
    );
    let out = translated(&mut x, &back);
    assert_eq!(
        out,
        ipv6(
            0,
            UDP,
            63,
            S4_V6,
            A,
            &[],
            &udp(Pseudo::V6(S4_V6, A), 2000, 1000, &d)
        )
    );
    // The pool6 form of an EAM'd address still translates (pool6 fallback).
    let input = ipv6(
        0,
        UDP,
        64,
        wkp(A4),
        S4_V6,
        &[],
        &udp(Pseudo::V6(wkp(A4), S4_V6), 1, 2, &d),
    );
    let out = translated(&mut x, &input);
    assert_eq!(out[12..16], A4);
}

/// EAMT only: addresses outside it are untranslatable; an ICMPv4 error
/// from an unmapped router takes pool6791v6 as its source (RFC 6791).
#[test]
fn eamt_only() {
    assert_eq!(
        Siit::new(
            SiitConfig::new(None),
            sansio_primitives::SeededRng::from_u64(1)
        )
        .unwrap_err(),
        SiitConfigError::NoMapping
    );
    let mut x = siit_eam(false);
    let seg = udp(Pseudo::V4(B4, A4), 1, 2, &data(8));
    let input = ipv4(0, 1, 0x4000, 64, UDP, S4, A4, &[], &seg);
    assert_eq!(
        run(&mut x, &input).unwrap_err(),
        XlatDropped::UntranslatableSource
    );

    let router6 = v6("2001:db8:ffff::1");
    let mut c = SiitConfig::new(None);
    c.eamt = eamt(&[
        ("192.0.2.1", 32, "2001:db8:aaaa::", 128),
        ("192.0.2.2", 32, "2001:db8:bbbb::b", 128),
    ]);
    c.pool6791v6 = Some(router6);
    let mut x = Siit::new(c, sansio_primitives::SeededRng::from_u64(3)).unwrap();
    let inner4 = ipv4(
        0,
        3,
        0x4000,
        5,
        UDP,
        A4,
        B4,
        &[],
        &udp(Pseudo::V4(A4, B4), 40000, 9, &data(12)),
    );
    let error4 = ipv4(
        0,
        9,
        0,
        50,
        ICMP,
        S4,
        A4,
        &[],
        &icmp(Pseudo::None, 11, 0, 0, &inner4),
    );
    let out = translated(&mut x, &error4);
    let inner6 = ipv6(
        0,
        UDP,
        5,
        A,
        B,
        &[],
        &udp(Pseudo::V6(A, B), 40000, 9, &data(12)),
    );
    let r = router6.octets();
    assert_eq!(
        out,
        ipv6(
            0,
            ICMPV6,
            49,
            r,
            A,
            &[],
            &icmp(Pseudo::V6(r, A), 3, 0, 0, &inner6)
        )
    );
}

/// RFC 7757 §4.2 hairpinning: A (EAM 192.0.2.1) sends to the pool6 form
/// of B's IPv4 address (EAM 192.0.2.2). The IPv4 packet would come right
/// back, so it goes out as IPv6 at once, to B, from the pool6 form of
/// A's IPv4 address; B's answer takes the same way back and reaches A
/// from the address A sent to. Hop limit decremented once.
#[test]
fn hairpinning() {
    let mut x = siit_eam(true);
    let d = data(20);
    let to_b = ipv6(
        0,
        UDP,
        64,
        A,
        wkp(B4),
        &[],
        &udp(Pseudo::V6(A, wkp(B4)), 5000, 6000, &d),
    );
    let out = translated(&mut x, &to_b);
    assert_eq!(
        out,
        ipv6(
            0,
            UDP,
            63,
            wkp(A4),
            B,
            &[],
            &udp(Pseudo::V6(wkp(A4), B), 5000, 6000, &d)
        )
    );

    let reply = ipv6(
        0,
        UDP,
        64,
        B,
        wkp(A4),
        &[],
        &udp(Pseudo::V6(B, wkp(A4)), 6000, 5000, &d),
    );
    let out = translated(&mut x, &reply);
    assert_eq!(
        out,
        ipv6(
            0,
            UDP,
            63,
            wkp(B4),
            A,
            &[],
            &udp(Pseudo::V6(wkp(B4), A), 6000, 5000, &d)
        )
    );
    assert_eq!(x.counters().hairpinned, 2);

    // Sent to B's EAM address itself (not its pool6 form): plain IPv4 out.
    let direct = ipv6(
        0,
        UDP,
        64,
        A,
        B,
        &[],
        &udp(Pseudo::V6(A, B), 5000, 6000, &d),
    );
    let out = translated(&mut x, &direct);
    assert_eq!(out[0] >> 4, 4);
    assert_eq!(out[12..20], [A4, B4].concat()[..]);
    assert_eq!(x.counters().hairpinned, 2);

    // B's ICMPv6 error about A's hairpinned packet reaches A from the
    // address A sent to, quoting A's packet as A sent it.
    let quoted = ipv6(
        0,
        UDP,
        63,
        wkp(A4),
        B,
        &[],
        &udp(Pseudo::V6(wkp(A4), B), 5000, 6000, &d),
    );
    let err = ipv6(
        0,
        ICMPV6,
        64,
        B,
        wkp(A4),
        &[],
        &icmp(Pseudo::V6(B, wkp(A4)), 1, 4, 0, &quoted),
    );
    let out = translated(&mut x, &err);
    let quoted_back = ipv6(
        0,
        UDP,
        63,
        A,
        wkp(B4),
        &[],
        &udp(Pseudo::V6(A, wkp(B4)), 5000, 6000, &d),
    );
    let want = ipv6(
        0,
        ICMPV6,
        63,
        wkp(B4),
        A,
        &[],
        &icmp(Pseudo::V6(wkp(B4), A), 1, 4, 0, &quoted_back),
    );
    assert_eq!(out, want);
}
