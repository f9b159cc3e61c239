//! Stateful NAT64 (RFC 6146) translating hand-built packets: each rule of
//! `xlat::nat64::Nat64` with the bytes expected on the other side, built
//! independently (every checksum computed in full).

mod common;

use common::*;
use sansio_primitives::{Duration, Instant, RateLimit, SeededRng, checksum};
use xlat::nat64::{Nat64, Nat64Config, Nat64Dropped, Nat64Protocol, Pool4Range, TcpState};
use xlat::{HEADROOM, XlatDropped, XlatOutput};

/// pool4: one address, two ports (so exhaustion is cheap to reach).
const X: [u8; 4] = [203, 0, 113, 1];
/// IPv6-only hosts (outside pool6).
const H1: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
const H2: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6];
const H3: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7];
/// Another IPv4 server.
const S2: [u8; 4] = [198, 51, 100, 8];
const T0: Instant = Instant::ZERO;
const ROUTER4: [u8; 4] = [198, 51, 100, 254];
const ERR_SRC6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
];

fn config(f: impl FnOnce(&mut Nat64Config)) -> Nat64Config {
    let mut c = Nat64Config::new(
        pool6(),
        vec![Pool4Range {
            address: X.into(),
            first_port: 61000,
            last_port: 61001,
        }],
    );
    f(&mut c);
    c
}

fn nat64() -> Nat64 {
    nat64_with(|_| {})
}

fn nat64_with(f: impl FnOnce(&mut Nat64Config)) -> Nat64 {
    Nat64::new(config(f), SeededRng::from_u64(3), T0).unwrap()
}

/// With both ICMP error sources set.
fn with_errors(c: &mut Nat64Config) {
    c.siit.icmp_error_source_v4 = Some(X.into());
    c.siit.icmp_error_source_v6 = Some(ERR_SRC6.into());
}

fn run(n: &mut Nat64, now: Instant, pkt: &[u8]) -> Result<(XlatOutput, Vec<u8>), Nat64Dropped> {
    let mut buf = vec![0xee; HEADROOM + pkt.len()];
    buf[HEADROOM..].copy_from_slice(pkt);
    let out = n.translate(now, &mut buf, HEADROOM, pkt.len())?;
    Ok((out, buf[out.range()].to_vec()))
}

fn translated(n: &mut Nat64, now: Instant, pkt: &[u8]) -> Vec<u8> {
    match run(n, now, pkt) {
        Ok((XlatOutput::Translated { .. }, b)) => b,
        other => panic!("expected a translation, got {other:?}"),
    }
}

fn icmp_error_out(n: &mut Nat64, pkt: &[u8]) -> Vec<u8> {
    match run(n, T0, pkt) {
        Ok((XlatOutput::IcmpError { .. }, b)) => b,
        other => panic!("expected an ICMP error, got {other:?}"),
    }
}

fn udp6(src: [u8; 16], sport: u16, dst: [u8; 16], dport: u16, hop: u8) -> Vec<u8> {
    let l4 = udp(Pseudo::V6(src, dst), sport, dport, &data(12));
    ipv6(0, UDP, hop, src, dst, &[], &l4)
}

fn udp4(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let l4 = udp(Pseudo::V4(src, dst), sport, dport, &data(12));
    ipv4(0, 7, 0x4000, 64, UDP, src, dst, &[], &l4)
}

/// A TCP segment with `flags` (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10).
fn tcp_seg(ph: Pseudo, sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut s = vec![0u8; 20];
    set16(&mut s, 0, sport);
    set16(&mut s, 2, dport);
    s[12] = 0x50;
    s[13] = flags;
    set16(&mut s, 14, 64240);
    let c = checksum::finish(checksum::add(
        match ph {
            Pseudo::V4(a, b) => checksum::pseudo_header_v4(a, b, TCP, 20),
            Pseudo::V6(a, b) => checksum::pseudo_header_v6(a, b, TCP, 20),
            Pseudo::None => 0,
        },
        checksum::sum(&s),
    ));
    set16(&mut s, 16, c);
    s
}

fn tcp6(flags: u8) -> Vec<u8> {
    ipv6(
        0,
        TCP,
        64,
        H1,
        S4_V6,
        &[],
        &tcp_seg(Pseudo::V6(H1, S4_V6), 5000, 80, flags),
    )
}

fn tcp4(dport: u16, flags: u8) -> Vec<u8> {
    let l4 = tcp_seg(Pseudo::V4(S4, X), 80, dport, flags);
    ipv4(0, 9, 0x4000, 64, TCP, S4, X, &[], &l4)
}

fn port_of(pkt: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([pkt[at], pkt[at + 1]])
}

/// §3.5.1 UDP out and back: the IPv4 packet carries pool4's address and
/// port, the reply reaches the IPv6 host's address and port; both equal
/// packets built from scratch.
#[test]
fn udp_out_and_back_with_pool4_transport_address() {
    let mut n = nat64();
    let out = translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    let p = port_of(&out, 20);
    assert!((61000..=61001).contains(&p));
    let l4 = udp(Pseudo::V4(X, S4), p, 53, &data(12));
    let id = port_of(&out, 4);
    assert_eq!(out, ipv4(0, id, 0, 63, UDP, X, S4, &[], &l4));

    let back = translated(&mut n, T0, &udp4(S4, 53, X, p));
    let l4 = udp(Pseudo::V6(S4_V6, H1), 53, 5000, &data(12));
    assert_eq!(back, ipv6(0, UDP, 63, S4_V6, H1, &[], &l4));
    let c = n.counters();
    assert_eq!((c.translated_6to4, c.translated_4to6), (1, 1));
    assert_eq!((n.tables().bib_len(), n.tables().session_len()), (1, 1));
}

/// ICMP echo (§3.5.3): the identifier is the pool4 "port", restored on the
/// reply.
#[test]
fn icmp_echo_identifier_is_mapped_both_ways() {
    let mut n = nat64();
    let req = icmp(Pseudo::V6(H1, S4_V6), 128, 0, 0x1234_0001, &data(8));
    let out = translated(&mut n, T0, &ipv6(0, ICMPV6, 64, H1, S4_V6, &[], &req));
    let ident = port_of(&out, 24);
    assert!((61000..=61001).contains(&ident));
    let want = icmp(Pseudo::None, 8, 0, u32::from(ident) << 16 | 1, &data(8));
    assert_eq!(&out[20..], &want[..]);
    assert_eq!(&out[12..20], &[X, S4].concat()[..]);

    let reply = icmp(Pseudo::None, 0, 0, u32::from(ident) << 16 | 1, &data(8));
    let back = translated(&mut n, T0, &ipv4(0, 1, 0, 64, ICMP, S4, X, &[], &reply));
    let want = icmp(Pseudo::V6(S4_V6, H1), 129, 0, 0x1234_0001, &data(8));
    assert_eq!(back, ipv6(0, ICMPV6, 63, S4_V6, H1, &[], &want));
}

/// §3.5.2.2's TCP state machine driven by the segments themselves, with
/// its lifetimes: SYN out (V6 INIT, 4 min), SYN in (ESTABLISHED, 2 h 4
/// min), FIN out, FIN in (V4 FIN + V6 FIN RCV), then gone after 4 min.
#[test]
fn tcp_states_follow_the_segments() {
    let mut n = nat64();
    let remote = (S4.into(), 80);
    let out = translated(&mut n, T0, &tcp6(0x02));
    let p = port_of(&out, 20);
    let l4 = tcp_seg(Pseudo::V4(X, S4), p, 80, 0x02);
    assert_eq!(&out[20..], &l4[..]);
    let state = |n: &Nat64| n.tables().tcp_state((H1.into(), 5000), remote);
    assert_eq!(state(&n), Some(TcpState::V6Init));
    assert_eq!(n.poll_timeout(), Some(T0 + Duration::from_secs(240)));

    translated(&mut n, T0, &tcp4(p, 0x12));
    assert_eq!(state(&n), Some(TcpState::Established));
    assert_eq!(n.poll_timeout(), Some(T0 + Duration::from_secs(7440)));
    translated(&mut n, T0, &tcp6(0x11));
    assert_eq!(state(&n), Some(TcpState::V6FinRcv));
    let t1 = T0 + Duration::from_secs(1);
    translated(&mut n, t1, &tcp4(p, 0x11));
    assert_eq!(state(&n), Some(TcpState::V4FinV6FinRcv));
    assert_eq!(n.poll_timeout(), Some(t1 + Duration::from_secs(240)));
    n.handle_timeout(t1 + Duration::from_secs(240));
    assert_eq!(state(&n), None);
    assert_eq!(n.tables().bib_len(), 0);
}

/// §3.5.2.2: without a session only a SYN makes one, from either side;
/// a refused segment changes nothing.
#[test]
fn tcp_without_session_needs_a_syn() {
    let mut n = nat64();
    assert_eq!(run(&mut n, T0, &tcp6(0x10)), Err(Nat64Dropped::TcpNotSyn));
    assert_eq!(n.counters().tcp_not_syn, 1);
    assert_eq!(n.tables().bib_len(), 0);
    assert_eq!(
        run(&mut n, T0, &tcp4(61000, 0x10)),
        Err(Nat64Dropped::NoBinding)
    );
}

/// Address-dependent filtering (§3.5.2.2, RFC 4787 REQ-8): another port
/// of the remote the host talked to gets in, another address does not,
/// and earns ICMP Communication Administratively Prohibited.
#[test]
fn address_dependent_filtering() {
    let mut n = nat64_with(with_errors);
    let out = translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    let p = port_of(&out, 20);
    translated(&mut n, T0, &udp4(S4, 5353, X, p));
    let err = icmp_error_out(&mut n, &udp4(S2, 53, X, p));
    assert_eq!(&err[12..20], &[X, S2].concat()[..]);
    assert_eq!((err[20], err[21]), (3, 13));
    assert!(checksum::verify(&err[20..]));
    assert_eq!(n.counters().filtered, 1, "answered, and counted");
    assert_eq!(n.counters().icmp_errors_sent, 1);
    // Without error sources: a counted drop.
    let mut n = nat64();
    let out = translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    let p = port_of(&out, 20);
    assert_eq!(
        run(&mut n, T0, &udp4(S2, 53, X, p)),
        Err(Nat64Dropped::Filtered)
    );
    assert_eq!(n.counters().filtered, 1);
    assert_eq!(n.counters().icmp_errors_sent, 0);
    assert_eq!(n.tables().session_len(), 1);
}

/// §3.5.1.2: IPv4 UDP to a pool4 port without a BIB entry: ICMP Port
/// Unreachable; to an address outside pool4: not ours.
#[test]
fn inbound_udp_without_binding() {
    let mut n = nat64_with(with_errors);
    let err = icmp_error_out(&mut n, &udp4(S4, 53, X, 61000));
    assert_eq!((err[20], err[21]), (3, 3));
    assert_eq!(&err[16..20], &S4);
    assert_eq!(
        run(&mut n, T0, &udp4(S4, 53, S2, 61000)),
        Err(Nat64Dropped::NotPool4)
    );
}

/// Bounded tables (§3.5.1.1): when pool4 has no port left the packet is
/// dropped, counted, answered with ICMPv6 Address Unreachable, and the
/// tables stay as they were.
#[test]
fn pool4_exhausted_is_a_counted_drop_with_icmpv6_error() {
    let mut n = nat64();
    translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    translated(&mut n, T0, &udp6(H2, 5000, S4_V6, 53, 64));
    assert_eq!(
        run(&mut n, T0, &udp6(H3, 5000, S4_V6, 53, 64)),
        Err(Nat64Dropped::Pool4Exhausted)
    );
    assert_eq!(n.counters().pool4_exhausted, 1);
    assert_eq!((n.tables().bib_len(), n.tables().session_len()), (2, 2));

    let mut n = nat64_with(|c| {
        with_errors(c);
        c.tables.max_bib_entries = 1;
    });
    translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    let pkt = udp6(H2, 5000, S4_V6, 53, 64);
    let err = icmp_error_out(&mut n, &pkt);
    let quoted = &pkt[..];
    let want = icmp(Pseudo::V6(ERR_SRC6, H2), 1, 3, 0, quoted);
    assert_eq!(err, ipv6(0, ICMPV6, 64, ERR_SRC6, H2, &[], &want));
    assert_eq!(n.counters().bib_full, 1);
    assert_eq!(n.tables().bib_len(), 1);
}

/// A packet the translator refuses after the tables said yes (here: hop
/// limit 1, answered by Time Exceeded) leaves no state behind.
#[test]
fn refused_translation_leaves_no_state() {
    let mut n = nat64_with(with_errors);
    let err = icmp_error_out(&mut n, &udp6(H1, 5000, S4_V6, 53, 1));
    assert_eq!(err[40], 3, "ICMPv6 Time Exceeded");
    assert_eq!((n.tables().bib_len(), n.tables().session_len()), (0, 0));
    let mut bad = udp6(H1, 5000, S4_V6, 53, 64);
    bad.truncate(50);
    assert!(matches!(
        run(&mut n, T0, &bad),
        Err(Nat64Dropped::Xlat(XlatDropped::Malformed(_)))
    ));
    assert_eq!(n.tables().bib_len(), 0);
}

/// Hairpinning (§3.8): H2 sends to the pool6 form of H1's pool4
/// transport address; it reaches H1 from the pool6 form of H2's own,
/// with one hop-limit decrement.
#[test]
fn hairpinning_between_two_ipv6_hosts() {
    let mut n = nat64();
    let out = translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    let p1 = port_of(&out, 20);
    // Address-dependent filtering: H1 must have a session with X.
    let x6 = wkp(X);
    assert_eq!(
        run(&mut n, T0, &udp6(H1, 5000, x6, 9, 64)),
        Err(Nat64Dropped::NoBinding)
    );
    let back = translated(&mut n, T0, &udp6(H2, 7000, x6, p1, 64));
    let p2 = n
        .tables()
        .binding(Nat64Protocol::Udp, (H2.into(), 7000))
        .unwrap()
        .1;
    let l4 = udp(Pseudo::V6(x6, H1), p2, 5000, &data(12));
    assert_eq!(back, ipv6(0, UDP, 63, x6, H1, &[], &l4));
    assert_eq!(n.counters().hairpinned, 1);
}

/// An ICMPv4 Fragmentation Needed about a segment sent from pool4 becomes
/// a Packet Too Big for the IPv6 host (MTU + 20), quoting its own
/// addresses and port.
#[test]
fn fragmentation_needed_reaches_the_host_as_packet_too_big() {
    let mut n = nat64_with(with_errors);
    let out = translated(&mut n, T0, &tcp6(0x02));
    let p = port_of(&out, 20);
    let quoted = &out[..28];
    let frag_needed = icmp(Pseudo::None, 3, 4, 1400, quoted);
    let pkt = ipv4(0, 3, 0, 64, ICMP, ROUTER4, X, &[], &frag_needed);
    let ptb = translated(&mut n, T0, &pkt);
    assert_eq!(&ptb[8..24], &wkp(ROUTER4));
    assert_eq!(&ptb[24..40], &H1);
    assert_eq!((ptb[40], ptb[41]), (2, 0));
    assert_eq!(u32::from_be_bytes(ptb[44..48].try_into().unwrap()), 1420);
    let inner = &ptb[48..];
    assert_eq!(&inner[8..24], &H1);
    assert_eq!(&inner[24..40], &S4_V6);
    assert_eq!((port_of(inner, 40), port_of(inner, 42)), (5000, 80));
    let ph = checksum::pseudo_header_v6(wkp(ROUTER4), H1, ICMPV6, (ptb.len() - 40) as u32);
    assert_eq!(checksum::add(ph, checksum::sum(&ptb[40..])), 0xffff);
    assert_ne!(p, 5000);
}

/// An ICMPv6 error from the host about an inbound datagram goes to the
/// IPv4 server quoting pool4's transport address, the quoted UDP checksum
/// still right.
#[test]
fn icmpv6_error_from_the_host_quotes_pool4() {
    let mut n = nat64();
    let out = translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    let p = port_of(&out, 20);
    let inbound = translated(&mut n, T0, &udp4(S4, 53, X, p));
    let unreach = icmp(Pseudo::V6(H1, S4_V6), 1, 4, 0, &inbound);
    let err = translated(&mut n, T0, &ipv6(0, ICMPV6, 64, H1, S4_V6, &[], &unreach));
    assert_eq!(&err[12..20], &[X, S4].concat()[..]);
    assert_eq!((err[20], err[21]), (3, 3));
    assert!(checksum::verify(&err[20..]));
    let inner = &err[28..];
    assert_eq!(&inner[12..20], &[S4, X].concat()[..]);
    assert_eq!((port_of(inner, 20), port_of(inner, 22)), (53, p));
    let ph = checksum::pseudo_header_v4(S4, X, UDP, 20);
    assert_eq!(checksum::add(ph, checksum::sum(&inner[20..])), 0xffff);
}

/// §4 lifetimes through handle_timeout: a UDP session lasts 5 min after
/// its last packet; then the reply is dropped.
#[test]
fn udp_session_expires() {
    let mut n = nat64();
    let out = translated(&mut n, T0, &udp6(H1, 5000, S4_V6, 53, 64));
    let p = port_of(&out, 20);
    let t = T0 + Duration::from_secs(300);
    assert_eq!(n.poll_timeout(), Some(t));
    n.handle_timeout(t - Duration::from_secs(1));
    translated(&mut n, t - Duration::from_secs(1), &udp4(S4, 53, X, p));
    n.handle_timeout(t);
    assert_eq!(n.tables().session_len(), 1, "refreshed by the reply");
    n.handle_timeout(t + Duration::from_secs(299));
    assert_eq!(n.tables().session_len(), 0);
    assert_eq!(n.counters().sessions_expired, 1);
    assert_eq!(
        run(&mut n, t, &udp4(S4, 53, X, p)),
        Err(Nat64Dropped::NoBinding)
    );
}

/// RFC 4443 §2.4 (f): the ICMP errors generated share one token bucket;
/// past it they are counted drops.
#[test]
fn generated_icmp_errors_are_rate_limited() {
    let mut n = nat64_with(|c| {
        with_errors(c);
        c.siit.icmp_error_rate = RateLimit {
            per_second: 1,
            burst: 2,
        };
    });
    for _ in 0..2 {
        icmp_error_out(&mut n, &udp4(S4, 53, X, 61000));
    }
    assert_eq!(
        run(&mut n, T0, &udp4(S4, 53, X, 61000)),
        Err(Nat64Dropped::IcmpErrorRateLimited)
    );
    assert_eq!(n.counters().icmp_error_rate_limited, 1);
    let later = T0 + Duration::from_secs(1);
    assert!(matches!(
        run(&mut n, later, &udp4(S4, 53, X, 61000)),
        Ok((XlatOutput::IcmpError { .. }, _))
    ));
}

/// Fragments without reassembly (§3.4): the first carries the ports and
/// goes through the tables; the later ones take its addresses for 2 s; a
/// later fragment without its first is dropped. Other protocols are
/// refused.
#[test]
fn fragments_follow_their_first_and_other_protocols_are_refused() {
    let mut n = nat64();
    // A 24-byte UDP datagram in two fragments: 16 bytes, then 8.
    let l4 = udp(Pseudo::V6(H1, S4_V6), 5000, 53, &data(16));
    let frag = |offset: u16, more: bool, id: u8| {
        [UDP, 0, 0, (offset << 3) as u8 | u8::from(more), 0, 0, 0, id]
    };
    let first = ipv6(0, 44, 64, H1, S4_V6, &frag(0, true, 7), &l4[..16]);
    let out = translated(&mut n, T0, &first);
    let p = port_of(&out, 20);
    assert!((61000..=61001).contains(&p));
    assert_eq!(&out[12..20], &[X, S4].concat()[..]);
    assert_eq!((port_of(&out, 4), out[6] & 0x20), (7, 0x20), "id 7, MF");
    let later = ipv6(0, 44, 64, H1, S4_V6, &frag(2, false, 7), &l4[16..]);
    let out = translated(&mut n, T0, &later);
    assert_eq!(&out[12..20], &[X, S4].concat()[..]);
    assert_eq!((port_of(&out, 6) & 0x1fff, &out[20..]), (2, &l4[16..]));
    // The datagram's checksum, updated in the first fragment, is right.
    let stray = ipv6(0, 44, 64, H1, S4_V6, &frag(2, false, 8), &l4[16..]);
    assert_eq!(run(&mut n, T0, &stray), Err(Nat64Dropped::Fragment));
    assert_eq!(n.fragmented_datagrams(), 1);
    n.handle_timeout(T0 + Duration::from_secs(2));
    assert_eq!(n.fragmented_datagrams(), 0);
    assert_eq!(run(&mut n, T0, &later), Err(Nat64Dropped::Fragment));
    // Inbound: an IPv4 reply in two fragments.
    let reply = udp(Pseudo::V4(S4, X), 53, p, &data(16));
    let f1 = ipv4(0, 9, 0x2000, 64, UDP, S4, X, &[], &reply[..16]);
    let f2 = ipv4(0, 9, 2, 64, UDP, S4, X, &[], &reply[16..]);
    let o1 = translated(&mut n, T0, &f1);
    assert_eq!(&o1[24..40], &H1);
    assert_eq!(port_of(&o1, 50), 5000, "destination port restored");
    let o2 = translated(&mut n, T0, &f2);
    assert_eq!(&o2[24..40], &H1);
    assert_eq!(&o2[48..], &reply[16..]);
    // Reassembled, the IPv6 datagram's UDP checksum verifies.
    let mut whole = o1[48..].to_vec();
    whole.extend_from_slice(&o2[48..]);
    let ph = checksum::pseudo_header_v6(S4_V6, H1, UDP, whole.len() as u32);
    assert_eq!(checksum::add(ph, checksum::sum(&whole)), 0xffff);

    let gre = ipv6(0, 47, 64, H1, S4_V6, &[], &data(8));
    assert_eq!(
        run(&mut n, T0, &gre),
        Err(Nat64Dropped::UnsupportedProtocol)
    );
    assert_eq!(
        (n.counters().fragment, n.counters().unsupported_protocol),
        (2, 1)
    );
}
