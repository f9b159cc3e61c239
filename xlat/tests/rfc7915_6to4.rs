//! RFC 7915 §5 (IPv6 → IPv4), one test per rule: hand-built input and
//! the expected output built independently (checksums in full).

mod common;

use common::*;
use xlat::{XlatDropped, XlatWireError};

fn id_of(p: &[u8]) -> u16 {
    u16::from_be_bytes([p[4], p[5]])
}

/// §5.1 header fields; UDP's checksum moved to the IPv4 pseudo-header;
/// DF clear and a generated Identification at or below 1260 bytes.
#[test]
fn udp_header_fields() {
    let mut x = siit();
    let d = data(30);
    let input = ipv6(
        0xb8,
        UDP,
        64,
        H6,
        S4_V6,
        &[],
        &udp(Pseudo::V6(H6, S4_V6), 40000, 53, &d),
    );
    let out = translated(&mut x, &input);
    let id = id_of(&out);
    let want = ipv4(
        0xb8,
        id,
        0,
        63,
        UDP,
        H6_V4,
        S4,
        &[],
        &udp(Pseudo::V4(H6_V4, S4), 40000, 53, &d),
    );
    assert_eq!(out, want);
    // The next packet gets the next Identification.
    let out = translated(&mut x, &input);
    assert_eq!(id_of(&out), id.wrapping_add(1));
    assert_eq!(x.counters().translated_6to4, 2);
}

/// §5.1: above 1260 bytes DF is set and Identification zero; TOS reset
/// when configured.
#[test]
fn df_above_1260_and_tos_reset() {
    let mut x = siit_with(|c| {
        c.reset_tos = true;
        c.new_tos = 0x20;
    });
    let d = data(1300);
    let input = ipv6(
        0xb8,
        TCP,
        64,
        H6,
        S4_V6,
        &[],
        &tcp(Pseudo::V6(H6, S4_V6), 50000, 443, 7, &d),
    );
    let out = translated(&mut x, &input);
    assert_eq!(
        out,
        ipv4(
            0x20,
            0,
            0x4000,
            63,
            TCP,
            H6_V4,
            S4,
            &[],
            &tcp(Pseudo::V4(H6_V4, S4), 50000, 443, 7, &d)
        )
    );
}

/// §5.1: Hop-by-Hop and Destination Options headers are skipped.
#[test]
fn extension_headers_skipped() {
    let mut x = siit();
    let d = data(64);
    // Hop-by-Hop (→ Destination Options) and Destination Options (→ TCP),
    // 8 bytes each, PadN filled.
    let ext = [60, 0, 1, 4, 0, 0, 0, 0, TCP, 0, 1, 4, 0, 0, 0, 0];
    let input = ipv6(
        0,
        0,
        64,
        H6,
        S4_V6,
        &ext,
        &tcp(Pseudo::V6(H6, S4_V6), 1, 2, 3, &d),
    );
    let out = translated(&mut x, &input);
    let id = id_of(&out);
    assert_eq!(
        out,
        ipv4(
            0,
            id,
            0,
            63,
            TCP,
            H6_V4,
            S4,
            &[],
            &tcp(Pseudo::V4(H6_V4, S4), 1, 2, 3, &d)
        )
    );
}

/// §5.1.1: a Fragment header becomes IPv4 fragment fields (low 16 bits of
/// the Identification, offset, MF); later fragments' payload untouched.
#[test]
fn fragments() {
    let mut x = siit();
    let seg6 = udp(Pseudo::V6(H6, S4_V6), 7, 9, &data(40));
    let seg4 = udp(Pseudo::V4(H6_V4, S4), 7, 9, &data(40));
    let frag = [UDP, 0, 0x00, 0x01, 0x12, 0x34, 0xab, 0xcd];
    let out = translated(&mut x, &ipv6(0, 44, 64, H6, S4_V6, &frag, &seg6[..24]));
    assert_eq!(
        out,
        ipv4(0, 0xabcd, 0x2000, 63, UDP, H6_V4, S4, &[], &seg4[..24])
    );
    let frag = [UDP, 0, 0x00, 0x18, 0x12, 0x34, 0xab, 0xcd];
    let out = translated(&mut x, &ipv6(0, 44, 64, H6, S4_V6, &frag, &seg6[24..]));
    assert_eq!(
        out,
        ipv4(0, 0xabcd, 3, 63, UDP, H6_V4, S4, &[], &seg6[24..])
    );
}

/// §5.1 Hop Limit: decremented; at one, ICMPv6 Time Exceeded back, or a
/// counted drop without a configured source.
#[test]
fn hop_limit_expiry() {
    let seg = udp(Pseudo::V6(H6, S4_V6), 1, 2, &data(8));
    let input = ipv6(0, UDP, 1, H6, S4_V6, &[], &seg);
    let mut x = siit();
    assert_eq!(
        run(&mut x, &input).unwrap_err(),
        XlatDropped::HopLimitExceeded
    );
    let me: [u8; 16] = "2001:db8::1"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let mut x = siit_with(|c| c.icmp_error_source_v6 = Some(me.into()));
    let out = icmp_error(&mut x, &input);
    assert_eq!(
        out,
        ipv6(
            0,
            ICMPV6,
            64,
            me,
            H6,
            &[],
            &icmp(Pseudo::V6(me, H6), 3, 0, 0, &input)
        )
    );
}

/// §5.1: a Routing header with Segments Left ≠ 0 is answered with
/// Parameter Problem pointing at Segments Left; with 0 it is skipped.
#[test]
fn routing_header_segments_left() {
    let me: [u8; 16] = "2001:db8::1"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let mut x = siit_with(|c| c.icmp_error_source_v6 = Some(me.into()));
    let seg = udp(Pseudo::V6(H6, S4_V6), 1, 2, &data(8));
    let mut rh = vec![UDP, 2, 0, 1, 0, 0, 0, 0];
    rh.extend_from_slice(&S4_V6);
    let input = ipv6(0, 43, 64, H6, S4_V6, &rh, &seg);
    let out = icmp_error(&mut x, &input);
    assert_eq!(
        out,
        ipv6(
            0,
            ICMPV6,
            64,
            me,
            H6,
            &[],
            &icmp(Pseudo::V6(me, H6), 4, 0, 43, &input)
        )
    );
    let mut x = siit();
    assert_eq!(run(&mut x, &input).unwrap_err(), XlatDropped::SegmentsLeft);

    rh[3] = 0;
    let input = ipv6(0, 43, 64, H6, S4_V6, &rh, &seg);
    let out = translated(&mut x, &input);
    assert_eq!(out[9], UDP);
    assert_eq!(out.len(), 20 + seg.len());
}

/// §5.2: Echo Request/Reply become ICMP 8/0; MLD and ND are dropped, as is
/// a fragmented ICMPv6 message.
#[test]
fn icmp_echo() {
    let mut x = siit();
    for (t6, t4) in [(128, 8), (129, 0)] {
        let input = ipv6(
            0,
            ICMPV6,
            64,
            H6,
            S4_V6,
            &[],
            &icmp(Pseudo::V6(H6, S4_V6), t6, 0, 0x0a0b_0c0d, &data(56)),
        );
        let out = translated(&mut x, &input);
        let id = id_of(&out);
        assert_eq!(
            out,
            ipv4(
                0,
                id,
                0,
                63,
                ICMP,
                H6_V4,
                S4,
                &[],
                &icmp(Pseudo::None, t4, 0, 0x0a0b_0c0d, &data(56))
            )
        );
    }
    for t in [130, 133, 135, 143] {
        let input = ipv6(
            0,
            ICMPV6,
            64,
            H6,
            S4_V6,
            &[],
            &icmp(Pseudo::V6(H6, S4_V6), t, 0, 0, &data(16)),
        );
        assert_eq!(
            run(&mut x, &input).unwrap_err(),
            XlatDropped::UntranslatableIcmp,
            "type {t}"
        );
    }
    let frag = [ICMPV6, 0, 0, 1, 0, 0, 0, 1];
    let input = ipv6(
        0,
        44,
        64,
        H6,
        S4_V6,
        &frag,
        &icmp(Pseudo::V6(H6, S4_V6), 128, 0, 0, &data(16)),
    );
    assert_eq!(
        run(&mut x, &input).unwrap_err(),
        XlatDropped::FragmentedIcmp
    );
}

/// An ICMPv6 error from the IPv6 host (or `from`) about a packet the IPv4
/// server sent (inner: S4_V6 → H6).
fn error6(from: [u8; 16], t: u8, code: u8, rest: u32, inner: &[u8]) -> Vec<u8> {
    ipv6(
        0,
        ICMPV6,
        50,
        from,
        S4_V6,
        &[],
        &icmp(Pseudo::V6(from, S4_V6), t, code, rest, inner),
    )
}

fn error4(id: u16, from: [u8; 4], t: u8, code: u8, rest: u32, inner4: &[u8]) -> Vec<u8> {
    ipv4(
        0,
        id,
        0,
        49,
        ICMP,
        from,
        S4,
        &[],
        &icmp(Pseudo::None, t, code, rest, inner4),
    )
}

fn inner6(n: usize) -> Vec<u8> {
    ipv6(
        0,
        UDP,
        5,
        S4_V6,
        H6,
        &[],
        &udp(Pseudo::V6(S4_V6, H6), 53, 40000, &data(n)),
    )
}

fn inner4(n: usize) -> Vec<u8> {
    ipv4(
        0,
        0,
        0,
        5,
        UDP,
        S4,
        H6_V4,
        &[],
        &udp(Pseudo::V4(S4, H6_V4), 53, 40000, &data(n)),
    )
}

/// §5.2/§5.3: Destination Unreachable codes, the inner packet translated.
#[test]
fn destination_unreachable() {
    let mut x = siit();
    for (code6, code4) in [(0, 1), (1, 10), (2, 1), (3, 1), (4, 3)] {
        let out = translated(&mut x, &error6(H6, 1, code6, 0, &inner6(12)));
        assert_eq!(
            out,
            error4(id_of(&out), H6_V4, 3, code4, 0, &inner4(12)),
            "code {code6}"
        );
    }
    let r = run(&mut x, &error6(H6, 1, 5, 0, &inner6(12)));
    assert_eq!(r.unwrap_err(), XlatDropped::UntranslatableIcmp);
}

/// §5.2 Packet Too Big → Fragmentation Needed: MTU − 20 (− 28 when the
/// packet in error carried a Fragment header).
#[test]
fn packet_too_big_to_fragmentation_needed() {
    let mut x = siit();
    let out = translated(&mut x, &error6(H6, 2, 0, 1500, &inner6(12)));
    assert_eq!(out, error4(id_of(&out), H6_V4, 3, 4, 1480, &inner4(12)));
    let frag = [UDP, 0, 0, 1, 0, 0, 0, 7];
    let inner = ipv6(
        0,
        44,
        5,
        S4_V6,
        H6,
        &frag,
        &udp(Pseudo::V6(S4_V6, H6), 53, 40000, &data(12)),
    );
    let out = translated(&mut x, &error6(H6, 2, 0, 1500, &inner));
    assert_eq!(u16::from_be_bytes([out[26], out[27]]), 1472);
    assert_eq!(
        u16::from_be_bytes([out[28 + 6], out[28 + 7]]),
        0x2000,
        "inner MF"
    );
}

/// §5.2 Time Exceeded, and Parameter Problem with Figure 6's pointers.
#[test]
fn time_exceeded_and_parameter_problem() {
    let mut x = siit();
    let out = translated(&mut x, &error6(H6, 3, 1, 0, &inner6(12)));
    assert_eq!(out, error4(id_of(&out), H6_V4, 11, 1, 0, &inner4(12)));
    for (p6, p4) in [
        (0u32, 0u32),
        (1, 1),
        (4, 2),
        (5, 2),
        (6, 9),
        (7, 8),
        (8, 12),
        (23, 12),
        (24, 16),
        (39, 16),
    ] {
        let out = translated(&mut x, &error6(H6, 4, 0, p6, &inner6(12)));
        assert_eq!(
            out,
            error4(id_of(&out), H6_V4, 12, 0, p4 << 24, &inner4(12)),
            "pointer {p6}"
        );
    }
    for p6 in [2u32, 3, 40] {
        let r = run(&mut x, &error6(H6, 4, 0, p6, &inner6(12)));
        assert_eq!(
            r.unwrap_err(),
            XlatDropped::UntranslatableIcmp,
            "pointer {p6}"
        );
    }
    let out = translated(&mut x, &error6(H6, 4, 1, 40, &inner6(12)));
    assert_eq!(
        out,
        error4(id_of(&out), H6_V4, 3, 2, 0, &inner4(12)),
        "unrecognized next header"
    );
    let r = run(&mut x, &error6(H6, 4, 2, 40, &inner6(12)));
    assert_eq!(
        r.unwrap_err(),
        XlatDropped::UntranslatableIcmp,
        "unrecognized option"
    );
}

/// RFC 6791: a router without an IPv4 form becomes 192.0.0.8, or an
/// address of the configured pool; the error is cut to 576 bytes and its
/// inner echo translated.
#[test]
fn rfc6791_source_truncation_inner_echo() {
    let router: [u8; 16] = "2001:db8::ff"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let mut x = siit();
    let out = translated(&mut x, &error6(router, 3, 0, 0, &inner6(12)));
    assert_eq!(
        out,
        error4(id_of(&out), [192, 0, 0, 8], 11, 0, 0, &inner4(12))
    );

    let mut x = siit_with(|c| c.pool6791v4 = Some(([203, 0, 113, 0].into(), 24)));
    let out = translated(&mut x, &error6(router, 3, 0, 0, &inner6(12)));
    assert_eq!(out[12..15], [203, 0, 113]);

    let out = translated(&mut x, &error6(H6, 1, 4, 0, &inner6(1400)));
    assert_eq!(out.len(), 576);
    // The inner packet was 1448 bytes as IPv4: DF set (§5.1).
    let full4 = ipv4(
        0,
        0,
        0x4000,
        5,
        UDP,
        S4,
        H6_V4,
        &[],
        &udp(Pseudo::V4(S4, H6_V4), 53, 40000, &data(1400)),
    );
    let want = error4(id_of(&out), H6_V4, 3, 3, 0, &full4[..576 - 28]);
    assert_eq!(out, want);

    let ping6 = ipv6(
        0,
        ICMPV6,
        1,
        S4_V6,
        H6,
        &[],
        &icmp(Pseudo::V6(S4_V6, H6), 128, 0, 0x10001, &data(20)),
    );
    let ping4 = ipv4(
        0,
        0,
        0,
        1,
        ICMP,
        S4,
        H6_V4,
        &[],
        &icmp(Pseudo::None, 8, 0, 0x10001, &data(20)),
    );
    let out = translated(&mut x, &error6(H6, 3, 0, 0, &ping6));
    assert_eq!(out, error4(id_of(&out), H6_V4, 11, 0, 0, &ping4));
}

/// Malformed input: counted drops.
#[test]
fn drops() {
    let mut x = siit();
    let seg = udp(Pseudo::V6(H6, S4_V6), 1, 2, &data(8));
    let good = ipv6(0, UDP, 64, H6, S4_V6, &[], &seg);
    assert_eq!(
        run(&mut x, &good[..good.len() - 1]).unwrap_err(),
        XlatDropped::Malformed(XlatWireError::Truncated {
            field: "IPv6 payload"
        })
    );
    let outside: [u8; 16] = "2001:db8::1"
        .parse::<std::net::Ipv6Addr>()
        .unwrap()
        .octets();
    let r = run(&mut x, &ipv6(0, UDP, 64, outside, S4_V6, &[], &seg));
    assert_eq!(r.unwrap_err(), XlatDropped::UntranslatableSource);
    let mut corrupt = error6(H6, 1, 0, 0, &inner6(12));
    *corrupt.last_mut().unwrap() ^= 1;
    assert_eq!(
        run(&mut x, &corrupt).unwrap_err(),
        XlatDropped::Malformed(XlatWireError::BadChecksum {
            field: "ICMPv6 message"
        })
    );
    // Endless Destination Options chain.
    let mut ext = Vec::new();
    for _ in 0..12 {
        ext.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
    }
    let r = run(&mut x, &ipv6(0, 60, 64, H6, S4_V6, &ext, &seg));
    assert_eq!(
        r.unwrap_err(),
        XlatDropped::Malformed(XlatWireError::BadValue {
            field: "IPv6 extension header chain"
        })
    );
    assert_eq!(x.counters().malformed, 3);
}
