//! proptest: 4 → 6 → 4 and 6 → 4 → 6 round trips keep the payload and
//! leave every checksum valid; arbitrary bytes never panic and never
//! produce output outside the headroom.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sansio_primitives::checksum;
use xlat::{HEADROOM, Siit, XlatOutput};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x7915),
        ..ProptestConfig::default()
    }
}

/// Unicast IPv4 addresses pool6 translates (not in Jool's denylist).
fn addr4() -> impl Strategy<Value = [u8; 4]> {
    (1u8..224, any::<[u8; 3]>())
        .prop_filter("denylisted", |(a, b)| {
            *a != 127 && !(*a == 169 && b[0] == 254)
        })
        .prop_map(|(a, b)| [a, b[0], b[1], b[2]])
}

#[derive(Clone, Debug)]
enum L4 {
    Udp(u16, u16),
    Tcp(u16, u16, u32),
    Echo(bool, u32),
}

fn l4() -> impl Strategy<Value = L4> {
    prop_oneof![
        (any::<u16>(), any::<u16>()).prop_map(|(s, d)| L4::Udp(s, d)),
        (any::<u16>(), any::<u16>(), any::<u32>()).prop_map(|(s, d, q)| L4::Tcp(s, d, q)),
        (any::<bool>(), any::<u32>()).prop_map(|(r, w)| L4::Echo(r, w)),
    ]
}

fn segment(l: &L4, ph: Pseudo, v6: bool, payload: &[u8]) -> (u8, Vec<u8>) {
    match *l {
        L4::Udp(s, d) => (UDP, udp(ph, s, d, payload)),
        L4::Tcp(s, d, q) => (TCP, tcp(ph, s, d, q, payload)),
        L4::Echo(reply, w) => {
            let t = match (v6, reply) {
                (false, false) => 8,
                (false, true) => 0,
                (true, false) => 128,
                (true, true) => 129,
            };
            (if v6 { ICMPV6 } else { ICMP }, icmp(ph, t, 0, w, payload))
        }
    }
}

/// Translates in a buffer with room for the second leg too.
fn there_and_back(x: &mut Siit, pkt: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut buf = vec![0u8; 2 * HEADROOM + pkt.len()];
    buf[2 * HEADROOM..].copy_from_slice(pkt);
    let XlatOutput::Translated { start, len } =
        x.translate(&mut buf, 2 * HEADROOM, pkt.len()).unwrap()
    else {
        panic!("not translated")
    };
    let middle = buf[start..start + len].to_vec();
    let XlatOutput::Translated { start, len } = x.translate(&mut buf, start, len).unwrap() else {
        panic!("not translated back")
    };
    (middle, buf[start..start + len].to_vec())
}

fn l4_valid_v4(p: &[u8]) -> bool {
    let ihl = usize::from(p[0] & 15) * 4;
    let seg = &p[ihl..];
    let ph = match p[9] {
        ICMP => 0,
        proto => checksum::pseudo_header_v4(
            p[12..16].try_into().unwrap(),
            p[16..20].try_into().unwrap(),
            proto,
            seg.len() as u16,
        ),
    };
    checksum::add(ph, checksum::sum(seg)) == 0xffff
}

fn l4_valid_v6(p: &[u8]) -> bool {
    let seg = &p[40..];
    let ph = checksum::pseudo_header_v6(
        p[8..24].try_into().unwrap(),
        p[24..40].try_into().unwrap(),
        p[6],
        seg.len() as u32,
    );
    checksum::add(ph, checksum::sum(seg)) == 0xffff
}

proptest! {
    #![proptest_config(config())]

    /// 4 → 6 → 4: addresses, TOS, protocol and the whole transport
    /// segment come back (the checksum field too, up to RFC 1624's two
    /// zeros); TTL is two lower; every checksum verifies on the way.
    #[test]
    fn v4_to_v6_to_v4(
        src in addr4(), dst in addr4(), tos in any::<u8>(), ttl in 3u8..=255, id in any::<u16>(),
        l in l4(), payload in proptest::collection::vec(any::<u8>(), 0..1400),
    ) {
        let mut x = siit();
        let (proto, seg) = segment(&l, if matches!(l, L4::Echo(..)) { Pseudo::None } else { Pseudo::V4(src, dst) }, false, &payload);
        let pkt = ipv4(tos, id, 0x4000, ttl, proto, src, dst, &[], &seg);
        let (v6, back) = there_and_back(&mut x, &pkt);
        prop_assert!(l4_valid_v6(&v6), "IPv6 leg checksum");
        prop_assert_eq!(v6.len(), pkt.len() + 20);
        prop_assert!(checksum::verify(&back[..20]), "IPv4 header checksum");
        prop_assert!(l4_valid_v4(&back), "IPv4 leg checksum");
        prop_assert_eq!(back[1], tos);
        prop_assert_eq!(back[8], ttl - 2);
        prop_assert_eq!(&back[9..10], &pkt[9..10]);
        prop_assert_eq!(&back[12..20], &pkt[12..20]);
        prop_assert_eq!(back.len(), pkt.len());
        let cs_at = match proto { UDP => 6, TCP => 16, _ => 2 };
        prop_assert_eq!(&back[20..20 + cs_at], &pkt[20..20 + cs_at]);
        prop_assert_eq!(&back[22 + cs_at..], &pkt[22 + cs_at..]);
    }

    /// 4 → 6 → 4 of a fragment: Identification, offset and MF come back
    /// through the Fragment header, the payload untouched.
    #[test]
    fn fragments_round_trip(
        src in addr4(), dst in addr4(), id in any::<u16>(), offset in 1u16..8000, mf in any::<bool>(),
        payload in proptest::collection::vec(any::<u8>(), 8..1200),
    ) {
        let mut x = siit();
        let flags = offset | if mf { 0x2000 } else { 0 };
        let pkt = ipv4(0, id, flags, 64, UDP, src, dst, &[], &payload);
        let (v6, back) = there_and_back(&mut x, &pkt);
        prop_assert_eq!(v6[6], 44);
        prop_assert!(checksum::verify(&back[..20]));
        prop_assert_eq!(&back[4..8], &pkt[4..8]);
        prop_assert_eq!(&back[20..], &pkt[20..]);
    }

    /// 6 → 4 → 6: the packet comes back byte for byte but for the Hop
    /// Limit (two lower) and the transport checksum (equal up to RFC 1624's
    /// two zeros, and valid).
    #[test]
    fn v6_to_v4_to_v6(
        src in addr4(), dst in addr4(), tc in any::<u8>(), hop in 3u8..=255,
        l in l4(), payload in proptest::collection::vec(any::<u8>(), 0..1400),
    ) {
        let mut x = siit();
        let (s6, d6) = (wkp(src), wkp(dst));
        let (proto, seg) = segment(&l, Pseudo::V6(s6, d6), true, &payload);
        let pkt = ipv6(tc, proto, hop, s6, d6, &[], &seg);
        let (v4, back) = there_and_back(&mut x, &pkt);
        prop_assert!(checksum::verify(&v4[..20]));
        prop_assert!(l4_valid_v4(&v4), "IPv4 leg checksum");
        prop_assert!(l4_valid_v6(&back), "IPv6 leg checksum");
        prop_assert_eq!(back[7], hop - 2);
        prop_assert_eq!(&back[..7], &pkt[..7]);
        let cs_at = match proto { UDP => 6, TCP => 16, _ => 2 };
        prop_assert_eq!(&back[8..40 + cs_at], &pkt[8..40 + cs_at]);
        prop_assert_eq!(&back[42 + cs_at..], &pkt[42 + cs_at..]);
    }

    /// Arbitrary bytes, either direction, any configuration switch: no
    /// panic, and the output lies within the headroom and the input span.
    #[test]
    fn arbitrary_bytes_stay_in_bounds(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        head in proptest::collection::vec(any::<u8>(), 0..60),
        version6 in any::<bool>(), amend in any::<bool>(), errors in any::<bool>(),
    ) {
        let mut x = siit_with(|c| {
            c.amend_udp_checksum_zero = amend;
            if errors {
                c.icmp_error_source_v4 = Some([203, 0, 113, 1].into());
                c.icmp_error_source_v6 = Some("2001:db8::1".parse().unwrap());
            }
        });
        // Mostly-valid headers with random tails reach the deep paths.
        let mut pkt = if version6 {
            ipv6(0, bytes.first().copied().unwrap_or(17), 64, wkp([192, 0, 2, 1]), wkp([198, 51, 100, 7]), &[], &bytes)
        } else {
            ipv4(0, 1, 0, 64, bytes.first().copied().unwrap_or(17) % 20, [198, 51, 100, 7], [192, 0, 2, 1], &[], &bytes)
        };
        for (i, b) in head.iter().enumerate() {
            if i % 7 == 0 && i / 7 < pkt.len() {
                pkt[i / 7] ^= b;
            }
        }
        for p in [&pkt, &bytes] {
            let mut buf = vec![0u8; HEADROOM + p.len() + 16];
            buf[HEADROOM..HEADROOM + p.len()].copy_from_slice(p);
            if let Ok(out) = x.translate(&mut buf, HEADROOM, p.len()) {
                let r = out.range();
                prop_assert!(r.start <= r.end && r.end <= HEADROOM + p.len(), "{r:?}");
                prop_assert!(r.len() <= p.len() + HEADROOM);
            }
            prop_assert!(buf[HEADROOM + p.len()..].iter().all(|&b| b == 0), "wrote past the packet");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// ICMP errors with a valid outer checksum around arbitrary inner
    /// bytes (truncated, bad lengths, extension headers, nested errors):
    /// the deep path random bytes rarely reach. No panic, output in bounds.
    #[test]
    fn icmp_errors_with_arbitrary_inner_packets(
        v6 in any::<bool>(), t in 0u8..6, code in 0u8..16, rest in any::<u32>(),
        inner in proptest::collection::vec(any::<u8>(), 0..120),
        inner_version_ok in any::<bool>(), inner_len in any::<u16>(), inner_nh in prop_oneof![Just(0u8), Just(6), Just(17), Just(43), Just(44), Just(58), Just(1), any::<u8>()],
        hairpin in any::<bool>(),
    ) {
        let mut x = if hairpin {
            siit_with(|c| {
                c.eamt.add(xlat::Eam::new([192, 0, 2, 1].into(), 32, "2001:db8:aaaa::".parse().unwrap(), 128).unwrap()).unwrap();
                c.icmp_error_source_v4 = Some([203, 0, 113, 1].into());
            })
        } else {
            siit()
        };
        let mut inner = inner;
        if inner_version_ok && !inner.is_empty() {
            inner[0] = if v6 { 0x60 } else { 0x45 };
        }
        if inner.len() >= 10 {
            inner[2..4].copy_from_slice(&inner_len.to_be_bytes());
            if v6 {
                inner[4..6].copy_from_slice(&inner_len.to_be_bytes());
                inner[6] = inner_nh;
            } else {
                inner[9] = inner_nh;
            }
        }
        let pkt = if v6 {
            let ty = [1u8, 2, 3, 4, 128, 133][usize::from(t)];
            ipv6(0, ICMPV6, 64, S4_V6, wkp([192, 0, 2, 1]), &[], &icmp(Pseudo::V6(S4_V6, wkp([192, 0, 2, 1])), ty, code, rest, &inner))
        } else {
            let ty = [3u8, 11, 12, 4, 5, 0][usize::from(t)];
            ipv4(0, 1, 0, 64, ICMP, S4, [192, 0, 2, 1], &[], &icmp(Pseudo::None, ty, code, rest, &inner))
        };
        let mut buf = vec![0u8; HEADROOM + pkt.len() + 16];
        buf[HEADROOM..HEADROOM + pkt.len()].copy_from_slice(&pkt);
        if let Ok(out) = x.translate(&mut buf, HEADROOM, pkt.len()) {
            let r = out.range();
            prop_assert!(r.end <= HEADROOM + pkt.len(), "{r:?}");
            prop_assert!(r.len() <= pkt.len() + HEADROOM);
        }
        prop_assert!(buf[HEADROOM + pkt.len()..].iter().all(|&b| b == 0));
    }
}
