//! RFC 6146 BIB and session tables: endpoint-independent mapping,
//! address-dependent filtering, §4 lifetimes, bounds.

use std::net::{Ipv4Addr, Ipv6Addr};

use sansio_primitives::{Duration, Instant, SeededRng};
use xlat::nat64::{
    Nat64Dropped, Nat64Protocol::*, Nat64Tables, Nat64TablesConfig, Nat64Timeouts, Pool4Range,
    TcpFlags, TcpState,
};

const POOL4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);

fn tables(ports: (u16, u16), max_bib: usize, max_sessions: usize) -> Nat64Tables {
    let config = Nat64TablesConfig {
        pool4: vec![Pool4Range {
            address: POOL4,
            first_port: ports.0,
            last_port: ports.1,
        }],
        max_bib_entries: max_bib,
        max_sessions,
        timeouts: Nat64Timeouts::RFC6146,
    };
    Nat64Tables::new(config, SeededRng::from_u64(9), Instant::ZERO).unwrap()
}

fn h(n: u16) -> (Ipv6Addr, u16) {
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), n)
}

fn s(last: u8, port: u16) -> (Ipv4Addr, u16) {
    (Ipv4Addr::new(198, 51, 100, last), port)
}

const T0: Instant = Instant::ZERO;

/// §3.5.1.1: one IPv6 transport address keeps one IPv4 one, whatever the
/// destination; ports come from the seed's 61000–65535 range.
#[test]
fn endpoint_independent_mapping() {
    let mut t = tables((61000, 65535), 100, 100);
    let a = t
        .outbound(T0, Udp, h(5000), s(7, 53), TcpFlags::NONE)
        .unwrap();
    assert_eq!(a.0, POOL4);
    assert!((61000..=65535).contains(&a.1));
    assert_eq!(
        t.outbound(T0, Udp, h(5000), s(8, 123), TcpFlags::NONE)
            .unwrap(),
        a
    );
    assert_eq!((t.bib_len(), t.session_len()), (1, 2));
    // Another source port, another binding; TCP has its own BIB.
    assert_ne!(
        t.outbound(T0, Udp, h(5001), s(7, 53), TcpFlags::NONE)
            .unwrap(),
        a
    );
    t.outbound(T0, Tcp, h(5000), s(7, 443), TcpFlags::SYN)
        .unwrap();
    assert_eq!(t.bib_len(), 3);
}

/// §3.5.2.2: an IPv4 packet is let in only from an address a session
/// knows (any port of it); no BIB entry, no entry.
#[test]
fn address_dependent_filtering() {
    let mut t = tables((61000, 65535), 100, 100);
    let a = t
        .outbound(T0, Udp, h(5000), s(7, 53), TcpFlags::NONE)
        .unwrap();
    assert_eq!(t.inbound(T0, Udp, s(7, 53), a, TcpFlags::NONE), Ok(h(5000)));
    assert_eq!(
        t.inbound(T0, Udp, s(7, 9999), a, TcpFlags::NONE),
        Ok(h(5000)),
        "same address, other port"
    );
    assert_eq!(t.session_len(), 2);
    assert_eq!(
        t.inbound(T0, Udp, s(9, 53), a, TcpFlags::NONE),
        Err(Nat64Dropped::Filtered)
    );
    assert_eq!(
        t.inbound(T0, Udp, s(7, 53), (POOL4, 1), TcpFlags::NONE),
        Err(Nat64Dropped::NoBinding)
    );
    assert_eq!(
        t.inbound(T0, Tcp, s(7, 53), a, TcpFlags::SYN),
        Err(Nat64Dropped::NoBinding)
    );
    let c = t.counters();
    assert_eq!((c.filtered, c.no_binding, t.session_len()), (1, 2, 2));
}

/// §4: UDP 5 min, ICMP 60 s, refreshed by traffic; the BIB entry goes
/// with its last session; poll_timeout names the next expiry.
#[test]
fn udp_and_icmp_lifetimes() {
    let mut t = tables((61000, 65535), 100, 100);
    let a = t
        .outbound(T0, Udp, h(5000), s(7, 53), TcpFlags::NONE)
        .unwrap();
    t.outbound(T0, Icmp, h(77), s(7, 0), TcpFlags::NONE)
        .unwrap();
    assert_eq!(t.poll_timeout(), Some(T0 + Duration::from_secs(60)));
    t.handle_timeout(T0 + Duration::from_secs(59));
    assert_eq!(t.session_len(), 2);
    t.handle_timeout(T0 + Duration::from_secs(60));
    t.handle_timeout(T0 + Duration::from_secs(60));
    assert_eq!((t.session_len(), t.bib_len()), (1, 1));
    // Traffic at 4 min pushes the UDP expiry to 9 min.
    let t4 = T0 + Duration::from_secs(240);
    assert_eq!(t.inbound(t4, Udp, s(7, 53), a, TcpFlags::NONE), Ok(h(5000)));
    assert_eq!(t.poll_timeout(), Some(t4 + Duration::from_secs(300)));
    t.handle_timeout(T0 + Duration::from_secs(300));
    assert_eq!(t.session_len(), 1);
    t.handle_timeout(t4 + Duration::from_secs(300));
    assert_eq!(
        (t.session_len(), t.bib_len(), t.poll_timeout()),
        (0, 0, None)
    );
    assert_eq!(
        t.inbound(t4, Udp, s(7, 53), a, TcpFlags::NONE),
        Err(Nat64Dropped::NoBinding)
    );
    assert_eq!(t.counters().sessions_expired, 2);
}

/// §3.5.2.2 and §4: a TCP session is transitory (4 min) until SYNs went
/// both ways, then established (2 h 4 min); FINs both ways or an RST make
/// it transitory again; a segment other than a SYN opens nothing.
#[test]
fn tcp_state_machine() {
    let mut t = tables((61000, 65535), 100, 100);
    let ack = TcpFlags::NONE;
    let fin = TcpFlags {
        fin: true,
        ..TcpFlags::NONE
    };
    let rst = TcpFlags {
        rst: true,
        ..TcpFlags::NONE
    };
    let (src, dst) = (h(40000), s(7, 443));
    assert_eq!(
        t.outbound(T0, Tcp, src, dst, ack),
        Err(Nat64Dropped::TcpNotSyn)
    );
    assert_eq!((t.bib_len(), t.session_len()), (0, 0));
    let a = t.outbound(T0, Tcp, src, dst, TcpFlags::SYN).unwrap();
    assert_eq!(t.tcp_state(src, dst), Some(TcpState::V6Init));
    assert_eq!(t.poll_timeout(), Some(T0 + Duration::from_secs(240)));
    assert_eq!(
        t.inbound(T0, Tcp, dst, a, ack),
        Ok(src),
        "not a SYN: no state change"
    );
    assert_eq!(t.tcp_state(src, dst), Some(TcpState::V6Init));
    t.inbound(T0, Tcp, dst, a, TcpFlags::SYN).unwrap();
    assert_eq!(t.tcp_state(src, dst), Some(TcpState::Established));
    assert_eq!(t.poll_timeout(), Some(T0 + Duration::from_secs(7440)));
    t.outbound(T0, Tcp, src, dst, fin).unwrap();
    assert_eq!(t.tcp_state(src, dst), Some(TcpState::V6FinRcv));
    t.inbound(T0, Tcp, dst, a, fin).unwrap();
    assert_eq!(t.tcp_state(src, dst), Some(TcpState::V4FinV6FinRcv));
    assert_eq!(t.poll_timeout(), Some(T0 + Duration::from_secs(240)));
    t.handle_timeout(T0 + Duration::from_secs(240));
    assert_eq!((t.session_len(), t.bib_len()), (0, 0));

    // RST: transitory; traffic after it: established again.
    let a = t.outbound(T0, Tcp, src, dst, TcpFlags::SYN).unwrap();
    t.inbound(T0, Tcp, dst, a, TcpFlags::SYN).unwrap();
    t.inbound(T0, Tcp, dst, a, rst).unwrap();
    assert_eq!(t.tcp_state(src, dst), Some(TcpState::Trans));
    assert_eq!(t.poll_timeout(), Some(T0 + Duration::from_secs(240)));
    t.outbound(T0, Tcp, src, dst, ack).unwrap();
    assert_eq!(t.tcp_state(src, dst), Some(TcpState::Established));
    assert_eq!(t.counters().tcp_not_syn, 1);
}

/// Bounds: a full BIB, a full session table, an exhausted pool4: the
/// packet is dropped, counted, and the tables are as they were.
#[test]
fn bounds() {
    let mut t = tables((61000, 65535), 2, 3);
    t.outbound(T0, Udp, h(1), s(7, 53), TcpFlags::NONE).unwrap();
    t.outbound(T0, Udp, h(2), s(7, 53), TcpFlags::NONE).unwrap();
    assert_eq!(
        t.outbound(T0, Udp, h(3), s(7, 53), TcpFlags::NONE),
        Err(Nat64Dropped::BibFull)
    );
    t.outbound(T0, Udp, h(1), s(8, 53), TcpFlags::NONE).unwrap();
    assert_eq!(
        t.outbound(T0, Udp, h(2), s(8, 53), TcpFlags::NONE),
        Err(Nat64Dropped::SessionTableFull)
    );
    assert_eq!((t.bib_len(), t.session_len()), (2, 3));
    assert_eq!(
        (t.counters().bib_full, t.counters().session_table_full),
        (1, 1)
    );

    let mut t = tables((61000, 61001), 10, 10);
    t.outbound(T0, Udp, h(1), s(7, 53), TcpFlags::NONE).unwrap();
    t.outbound(T0, Udp, h(2), s(7, 53), TcpFlags::NONE).unwrap();
    assert_eq!(
        t.outbound(T0, Udp, h(3), s(7, 53), TcpFlags::NONE),
        Err(Nat64Dropped::Pool4Exhausted)
    );
    // ICMP identifiers are a separate space.
    assert!(t.outbound(T0, Icmp, h(3), s(7, 0), TcpFlags::NONE).is_ok());
    assert_eq!((t.bib_len(), t.session_len()), (3, 3));
}
