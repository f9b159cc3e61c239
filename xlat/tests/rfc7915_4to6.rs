//! RFC 7915 §4 (IPv4 → IPv6), one test per rule: hand-built input and
//! the expected output built independently (checksums in full).

mod common;

use common::*;
use xlat::{HEADROOM, XlatDropped, XlatOutput, XlatWireError};

/// §4.1: every header field, and §4.5 UDP's checksum moved to the IPv6
/// pseudo-header. Also a literal golden byte check of the header.
#[test]
fn udp_header_fields() {
    let mut x = siit();
    let d = data(30);
    let input = ipv4(
        0xb8,
        0x1234,
        0x4000,
        64,
        UDP,
        S4,
        H6_V4,
        &[],
        &udp(Pseudo::V4(S4, H6_V4), 53, 40000, &d),
    );
    let out = translated(&mut x, &input);
    let want = ipv6(
        0xb8,
        UDP,
        63,
        S4_V6,
        H6,
        &[],
        &udp(Pseudo::V6(S4_V6, H6), 53, 40000, &d),
    );
    assert_eq!(out, want);
    assert_eq!(
        &out[..8],
        &[0x6b, 0x80, 0x00, 0x00, 0x00, 38, 17, 63],
        "version 6, traffic class 0xb8, flow label 0, payload 38, UDP, hop limit 63"
    );
    assert_eq!(x.counters().translated_4to6, 1);
}

/// §4.1 Traffic Class reset when configured.
#[test]
fn traffic_class_reset() {
    let mut x = siit_with(|c| c.reset_traffic_class = true);
    let seg = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(4));
    let out = translated(&mut x, &ipv4(0xb8, 1, 0x4000, 9, UDP, S4, H6_V4, &[], &seg));
    assert_eq!(out[..2], [0x60, 0x00]);
}

/// §4.1: IPv4 options are dropped; TCP's checksum follows the addresses.
#[test]
fn tcp_with_options_dropped() {
    let mut x = siit();
    let d = data(100);
    // Record Route (7), 7 bytes of room, padded with End of Option List.
    let options = [7, 7, 4, 0, 0, 0, 0, 0];
    let input = ipv4(
        0,
        7,
        0x4000,
        2,
        TCP,
        S4,
        H6_V4,
        &options,
        &tcp(Pseudo::V4(S4, H6_V4), 443, 50000, 99, &d),
    );
    let out = translated(&mut x, &input);
    assert_eq!(
        out,
        ipv6(
            0,
            TCP,
            1,
            S4_V6,
            H6,
            &[],
            &tcp(Pseudo::V6(S4_V6, H6), 443, 50000, 99, &d)
        )
    );
}

/// §4.1: a fragment gets a Fragment header (Identification zero-extended,
/// offset and M carried), the first one's UDP checksum updated; a later
/// fragment's payload is left alone.
#[test]
fn fragments_get_a_fragment_header() {
    let mut x = siit();
    let seg = udp(Pseudo::V4(S4, H6_V4), 7, 9, &data(40));
    let first = ipv4(0, 0xabcd, 0x2000, 30, UDP, S4, H6_V4, &[], &seg[..24]);
    let out = translated(&mut x, &first);
    let seg6 = udp(Pseudo::V6(S4_V6, H6), 7, 9, &data(40));
    let frag = [UDP, 0, 0x00, 0x01, 0, 0, 0xab, 0xcd];
    assert_eq!(out, ipv6(0, 44, 29, S4_V6, H6, &frag, &seg6[..24]));

    let later = ipv4(0, 0xabcd, 3, 30, UDP, S4, H6_V4, &[], &seg[24..]);
    let out = translated(&mut x, &later);
    let frag = [UDP, 0, 0x00, 0x18, 0, 0, 0xab, 0xcd];
    assert_eq!(out, ipv6(0, 44, 29, S4_V6, H6, &frag, &seg[24..]));
}

/// §4: DF-less packets that fit lowest_ipv6_mtu get no Fragment header;
/// bigger ones would need fragmenting, which is not implemented: dropped.
#[test]
fn df_less_packets() {
    let mut x = siit();
    let small = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(100));
    let out = translated(&mut x, &ipv4(0, 5, 0, 64, UDP, S4, H6_V4, &[], &small));
    assert_eq!(out[6], UDP, "no Fragment header");
    assert_eq!(out.len(), 40 + 108);

    let big = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(1300));
    let r = run(&mut x, &ipv4(0, 5, 0, 64, UDP, S4, H6_V4, &[], &big));
    assert_eq!(r.unwrap_err(), XlatDropped::NeedsFragmentation);
    assert_eq!(x.counters().needs_fragmentation, 1);
    // With DF it is translated whole (path MTU discovery is the sender's).
    let out = translated(&mut x, &ipv4(0, 5, 0x4000, 64, UDP, S4, H6_V4, &[], &big));
    assert_eq!(out.len(), 40 + 1308);
}

/// §4/§4.1: the same too-big DF-less packet through
/// `translate_4to6_fragmented`: IPv6 fragments of at most
/// lowest_ipv6_mtu, each with a Fragment header carrying the IPv4
/// Identification, payload cut at 1232-byte (8-aligned) offsets, the UDP
/// checksum that of the whole datagram.
#[test]
fn df_less_packets_fragmented() {
    let mut x = siit();
    let big = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(3000));
    let input = ipv4(0, 0x4242, 0, 64, UDP, S4, H6_V4, &[], &big);
    let mut buf = vec![0u8; HEADROOM + input.len()];
    buf[HEADROOM..].copy_from_slice(&input);
    let mut out = vec![0u8; 4 * 1280];
    let f = x
        .translate_4to6_fragmented(&mut buf, HEADROOM, input.len(), &mut out)
        .unwrap();
    assert_eq!((f.count, f.stride, f.icmp_error), (3, 1280, false));
    let whole6 = udp(Pseudo::V6(S4_V6, H6), 1, 2, &data(3000));
    let offsets = [0u16, 154, 308];
    for (i, chunk) in whole6.chunks(1232).enumerate() {
        let m = u16::from(i < 2);
        let frag = [
            &[UDP, 0][..],
            &(offsets[i] << 3 | m).to_be_bytes(),
            &[0, 0, 0x42, 0x42],
        ]
        .concat();
        assert_eq!(
            &out[f.range(i)],
            &ipv6(0, 44, 63, S4_V6, H6, &frag, chunk)[..],
            "fragment {i}"
        );
    }
    assert_eq!(x.counters().fragmented_4to6, 1);
    // A packet that fits comes out whole; a too-small buffer is refused
    // before anything is changed.
    let small = ipv4(
        0,
        5,
        0,
        64,
        UDP,
        S4,
        H6_V4,
        &[],
        &udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(100)),
    );
    let mut buf = vec![0u8; HEADROOM + small.len()];
    buf[HEADROOM..].copy_from_slice(&small);
    let f = x
        .translate_4to6_fragmented(&mut buf, HEADROOM, small.len(), &mut out)
        .unwrap();
    assert_eq!(f.count, 1);
    assert_eq!(
        out[f.range(0)],
        ipv6(
            0,
            UDP,
            63,
            S4_V6,
            H6,
            &[],
            &udp(Pseudo::V6(S4_V6, H6), 1, 2, &data(100))
        )[..]
    );
    let mut buf = vec![0u8; HEADROOM + input.len()];
    buf[HEADROOM..].copy_from_slice(&input);
    let before = buf.clone();
    let r = x.translate_4to6_fragmented(&mut buf, HEADROOM, input.len(), &mut out[..2000]);
    assert_eq!(r.unwrap_err(), XlatDropped::OutputTooSmall);
    assert_eq!(buf, before);
}

/// §4.1 TTL: decremented; at one, an ICMPv4 Time Exceeded goes back when
/// the translator has a source for it, otherwise a counted drop.
#[test]
fn ttl_expiry() {
    let mut x = siit();
    let seg = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(8));
    let input = ipv4(0, 1, 0x4000, 1, UDP, S4, H6_V4, &[], &seg);
    assert_eq!(
        run(&mut x, &input).unwrap_err(),
        XlatDropped::HopLimitExceeded
    );

    let me = [203, 0, 113, 1];
    let mut x = siit_with(|c| c.icmp_error_source_v4 = Some(me.into()));
    let out = icmp_error(&mut x, &input);
    let want = ipv4(
        0,
        0,
        0,
        64,
        ICMP,
        me,
        S4,
        &[],
        &icmp(Pseudo::None, 11, 0, 0, &input),
    );
    assert_eq!(out, want);
    assert_eq!(x.counters().icmp_errors_sent, 1);
}

/// §4.1: an unexpired Loose Source Route is answered with Destination
/// Unreachable, source route failed; an exhausted one is translated.
#[test]
fn source_route() {
    let me = [203, 0, 113, 1];
    let mut x = siit_with(|c| c.icmp_error_source_v4 = Some(me.into()));
    let seg = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(8));
    let lsrr = [131, 7, 4, 10, 0, 0, 1, 0];
    let input = ipv4(0, 1, 0x4000, 9, UDP, S4, H6_V4, &lsrr, &seg);
    let out = icmp_error(&mut x, &input);
    assert_eq!(
        out,
        ipv4(
            0,
            0,
            0,
            64,
            ICMP,
            me,
            S4,
            &[],
            &icmp(Pseudo::None, 3, 5, 0, &input)
        )
    );

    let exhausted = [131, 7, 8, 10, 0, 0, 1, 0];
    let input = ipv4(0, 1, 0x4000, 9, UDP, S4, H6_V4, &exhausted, &seg);
    let out = translated(&mut x, &input);
    assert_eq!(
        out,
        ipv6(
            0,
            UDP,
            8,
            S4_V6,
            H6,
            &[],
            &udp(Pseudo::V6(S4_V6, H6), 1, 2, &data(8))
        )
    );
}

/// §4.2: Echo Request/Reply become ICMPv6 128/129, checksum over the
/// IPv6 pseudo-header; other queries are dropped.
#[test]
fn icmp_echo() {
    let mut x = siit();
    for (t4, t6) in [(8, 128), (0, 129)] {
        let input = ipv4(
            0,
            1,
            0x4000,
            64,
            ICMP,
            S4,
            H6_V4,
            &[],
            &icmp(Pseudo::None, t4, 0, 0x0102_0304, &data(56)),
        );
        let out = translated(&mut x, &input);
        let want = ipv6(
            0,
            ICMPV6,
            63,
            S4_V6,
            H6,
            &[],
            &icmp(Pseudo::V6(S4_V6, H6), t6, 0, 0x0102_0304, &data(56)),
        );
        assert_eq!(out, want);
    }
    let timestamp = ipv4(
        0,
        1,
        0x4000,
        64,
        ICMP,
        S4,
        H6_V4,
        &[],
        &icmp(Pseudo::None, 13, 0, 0, &[0; 12]),
    );
    assert_eq!(
        run(&mut x, &timestamp).unwrap_err(),
        XlatDropped::UntranslatableIcmp
    );
    let fragment = ipv4(
        0,
        1,
        0x2000,
        64,
        ICMP,
        S4,
        H6_V4,
        &[],
        &icmp(Pseudo::None, 8, 0, 0, &data(8)),
    );
    assert_eq!(
        run(&mut x, &fragment).unwrap_err(),
        XlatDropped::FragmentedIcmp
    );
}

/// §4.5: UDP without checksum is dropped, or given one when configured;
/// a fragmented one is always dropped.
#[test]
fn udp_zero_checksum() {
    let mut seg = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(21));
    set16(&mut seg, 6, 0);
    let input = ipv4(0, 1, 0x4000, 64, UDP, S4, H6_V4, &[], &seg);
    let mut x = siit();
    assert_eq!(
        run(&mut x, &input).unwrap_err(),
        XlatDropped::UdpZeroChecksum
    );
    let mut x = siit_with(|c| c.amend_udp_checksum_zero = true);
    let out = translated(&mut x, &input);
    assert_eq!(
        out,
        ipv6(
            0,
            UDP,
            63,
            S4_V6,
            H6,
            &[],
            &udp(Pseudo::V6(S4_V6, H6), 1, 2, &data(21))
        )
    );
    let frag = ipv4(0, 1, 0x2000, 64, UDP, S4, H6_V4, &[], &seg[..16]);
    assert_eq!(
        run(&mut x, &frag).unwrap_err(),
        XlatDropped::UdpZeroChecksum
    );
}

/// An ICMPv4 error from the IPv4 server about a packet the IPv6 host sent
/// (inner: H6_V4 → S4).
fn error4(t: u8, code: u8, rest: u32, inner: &[u8]) -> Vec<u8> {
    ipv4(
        0,
        9,
        0,
        50,
        ICMP,
        S4,
        H6_V4,
        &[],
        &icmp(Pseudo::None, t, code, rest, inner),
    )
}

/// The same error as ICMPv6, as the translator must build it.
fn error6(t: u8, code: u8, rest: u32, inner6: &[u8]) -> Vec<u8> {
    ipv6(
        0,
        ICMPV6,
        49,
        S4_V6,
        H6,
        &[],
        &icmp(Pseudo::V6(S4_V6, H6), t, code, rest, inner6),
    )
}

fn inner_udp4(n: usize) -> Vec<u8> {
    ipv4(
        0,
        3,
        0x4000,
        5,
        UDP,
        H6_V4,
        S4,
        &[],
        &udp(Pseudo::V4(H6_V4, S4), 40000, 53, &data(n)),
    )
}

fn inner_udp6(n: usize) -> Vec<u8> {
    ipv6(
        0,
        UDP,
        5,
        H6,
        S4_V6,
        &[],
        &udp(Pseudo::V6(H6, S4_V6), 40000, 53, &data(n)),
    )
}

/// §4.2/§4.3: Destination Unreachable codes, the inner packet translated
/// with its checksum.
#[test]
fn destination_unreachable() {
    let mut x = siit();
    for (code4, t6, code6, rest6) in [
        (0, 1, 0, 0),
        (1, 1, 0, 0),
        (3, 1, 4, 0),
        (10, 1, 1, 0),
        (2, 4, 1, 6),
    ] {
        let out = translated(&mut x, &error4(3, code4, 0, &inner_udp4(12)));
        assert_eq!(
            out,
            error6(t6, code6, rest6, &inner_udp6(12)),
            "code {code4}"
        );
    }
    let r = run(&mut x, &error4(3, 14, 0, &inner_udp4(12)));
    assert_eq!(r.unwrap_err(), XlatDropped::UntranslatableIcmp);
}

/// §4.2 Fragmentation Needed → Packet Too Big: MTU + 20 (+ 28 when the
/// packet in error is a fragment), at least 1280, RFC 1191 plateaus for 0.
#[test]
fn fragmentation_needed_to_packet_too_big() {
    let mut x = siit();
    let out = translated(&mut x, &error4(3, 4, 1400, &inner_udp4(12)));
    assert_eq!(out, error6(2, 0, 1420, &inner_udp6(12)));
    let out = translated(&mut x, &error4(3, 4, 576, &inner_udp4(12)));
    assert_eq!(out, error6(2, 0, 1280, &inner_udp6(12)));
    // MTU 0: the inner packet claimed 1500 bytes, plateau 1492 → 1512.
    let mut inner = inner_udp4(12);
    set16(&mut inner, 2, 1500);
    let c = sansio_primitives::checksum::checksum(&{
        let mut h = inner[..20].to_vec();
        set16(&mut h, 10, 0);
        h
    });
    set16(&mut inner, 10, c);
    let out = translated(&mut x, &error4(3, 4, 0, &inner));
    assert_eq!(u32::from_be_bytes(out[44..48].try_into().unwrap()), 1512);
    // Packet in error was a fragment: its IPv6 form had a Fragment header.
    let inner_frag = ipv4(
        0,
        3,
        0x2000,
        5,
        UDP,
        H6_V4,
        S4,
        &[],
        &udp(Pseudo::V4(H6_V4, S4), 40000, 53, &data(12)),
    );
    let out = translated(&mut x, &error4(3, 4, 1400, &inner_frag));
    assert_eq!(u32::from_be_bytes(out[44..48].try_into().unwrap()), 1428);
    assert_eq!(out[40 + 8 + 6], 44, "inner Fragment header");
}

/// §4.2 Time Exceeded and Parameter Problem with the Figure 3 pointers.
#[test]
fn time_exceeded_and_parameter_problem() {
    let mut x = siit();
    let out = translated(&mut x, &error4(11, 0, 0, &inner_udp4(12)));
    assert_eq!(out, error6(3, 0, 0, &inner_udp6(12)));
    for (p4, p6) in [
        (0u32, 0u32),
        (1, 1),
        (2, 4),
        (3, 4),
        (8, 7),
        (9, 6),
        (12, 8),
        (15, 8),
        (16, 24),
        (19, 24),
    ] {
        let out = translated(&mut x, &error4(12, 0, p4 << 24, &inner_udp4(12)));
        assert_eq!(out, error6(4, 0, p6, &inner_udp6(12)), "pointer {p4}");
    }
    for p4 in [4u32, 6, 10, 20] {
        let r = run(&mut x, &error4(12, 0, p4 << 24, &inner_udp4(12)));
        assert_eq!(
            r.unwrap_err(),
            XlatDropped::UntranslatableIcmp,
            "pointer {p4}"
        );
    }
    let r = run(&mut x, &error4(12, 1, 0, &inner_udp4(12)));
    assert_eq!(
        r.unwrap_err(),
        XlatDropped::UntranslatableIcmp,
        "missing option"
    );
}

/// §4.3: an inner ping is translated too (type and checksum), and the
/// whole error is cut to 1280 bytes.
#[test]
fn inner_echo_and_truncation() {
    let mut x = siit();
    let ping4 = ipv4(
        0,
        3,
        0x4000,
        1,
        ICMP,
        H6_V4,
        S4,
        &[],
        &icmp(Pseudo::None, 8, 0, 0x10001, &data(20)),
    );
    let ping6 = ipv6(
        0,
        ICMPV6,
        1,
        H6,
        S4_V6,
        &[],
        &icmp(Pseudo::V6(H6, S4_V6), 128, 0, 0x10001, &data(20)),
    );
    let out = translated(&mut x, &error4(11, 0, 0, &ping4));
    assert_eq!(out, error6(3, 0, 0, &ping6));

    let big4 = inner_udp4(1400);
    let out = translated(&mut x, &error4(3, 3, 0, &big4));
    assert_eq!(out.len(), 1280);
    let big6 = inner_udp6(1400);
    assert_eq!(out, error6(1, 4, 0, &big6[..1280 - 48]));
}

/// An ICMP error inside an error, or with a bad checksum, is refused.
#[test]
fn bad_icmp_errors() {
    let mut x = siit();
    let nested = ipv4(
        0,
        3,
        0,
        5,
        ICMP,
        H6_V4,
        S4,
        &[],
        &icmp(Pseudo::None, 3, 3, 0, &data(28)),
    );
    assert_eq!(
        run(&mut x, &error4(3, 1, 0, &nested)).unwrap_err(),
        XlatDropped::UntranslatableIcmp
    );
    let mut corrupt = error4(3, 1, 0, &inner_udp4(12));
    *corrupt.last_mut().unwrap() ^= 1;
    assert_eq!(
        run(&mut x, &corrupt).unwrap_err(),
        XlatDropped::Malformed(XlatWireError::BadChecksum {
            field: "ICMPv4 message"
        })
    );
}

/// Addresses outside the mapping, reserved ones, malformed headers and a
/// missing headroom are counted drops.
#[test]
fn drops() {
    let mut x = siit();
    let seg = udp(Pseudo::V4(S4, H6_V4), 1, 2, &data(8));
    let loopback = ipv4(0, 1, 0x4000, 64, UDP, [127, 0, 0, 1], H6_V4, &[], &seg);
    assert_eq!(
        run(&mut x, &loopback).unwrap_err(),
        XlatDropped::UntranslatableSource
    );
    let multicast = ipv4(0, 1, 0x4000, 64, UDP, S4, [224, 0, 0, 1], &[], &seg);
    assert_eq!(
        run(&mut x, &multicast).unwrap_err(),
        XlatDropped::UntranslatableDestination
    );

    let good = ipv4(0, 1, 0x4000, 64, UDP, S4, H6_V4, &[], &seg);
    let mut bad = good.clone();
    bad[10] ^= 1;
    assert_eq!(
        run(&mut x, &bad).unwrap_err(),
        XlatDropped::Malformed(XlatWireError::BadChecksum {
            field: "IPv4 header"
        })
    );
    assert_eq!(
        run(&mut x, &good[..good.len() - 1]).unwrap_err(),
        XlatDropped::Malformed(XlatWireError::Truncated {
            field: "IPv4 payload"
        })
    );
    assert_eq!(
        run(&mut x, &good[..10]).unwrap_err(),
        XlatDropped::Malformed(XlatWireError::Truncated {
            field: "IPv4 header"
        })
    );
    let mut buf = good.clone();
    let len = buf.len();
    assert_eq!(
        x.translate_4to6(&mut buf, 0, len).unwrap_err(),
        XlatDropped::NoHeadroom
    );
    let c = x.counters();
    assert_eq!(
        (
            c.untranslatable_source,
            c.untranslatable_destination,
            c.malformed,
            c.no_headroom
        ),
        (1, 1, 3, 1)
    );
    assert_eq!(c.translated_4to6, 0);

    // Link-layer padding after Total Length is not translated.
    let mut padded = good.clone();
    padded.extend_from_slice(&[0; 6]);
    let (out, bytes) = run(&mut x, &padded).unwrap();
    assert!(matches!(out, XlatOutput::Translated { .. }));
    assert_eq!(bytes.len(), 40 + seg.len());
}
