//! Session frames for sessions the AC does not have get a PADT (RFC 2516
//! §5.5), rate limited per MAC and overall.

use pppoe_proto::ac::RateLimit;
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{PppoeAc, PppoeAcConfig, PppoeDropped, PppoeWireError};
use sansio_primitives::{Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);
const HOST: EthernetAddress = EthernetAddress([0x02, 0x10, 0, 0, 0, 1]);

/// A session frame (an LCP Echo-Request) `src` → `dst` for `session_id`.
fn session_frame(src: EthernetAddress, dst: EthernetAddress, session_id: u16) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst.0);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&[0x88, 0x64, 0x11, 0x00]);
    f.extend_from_slice(&session_id.to_be_bytes());
    let lcp = [0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 1, 2, 3, 4];
    f.extend_from_slice(&(lcp.len() as u16).to_be_bytes());
    f.extend_from_slice(&lcp);
    f
}

fn ac(c: PppoeAcConfig) -> PppoeAc {
    PppoeAc::new(c, SeededRng::from_u64(3), Instant::ZERO).unwrap()
}

#[test]
fn a_frame_of_an_unknown_session_gets_a_padt() {
    let mut a = ac(PppoeAcConfig::new(AC_MAC, b"ac"));
    a.handle_unknown_session(Instant::ZERO, &session_frame(HOST, AC_MAC, 0x1234))
        .unwrap();
    let t = a.poll_transmit(Instant::ZERO).unwrap();
    assert_eq!(t.destination, HOST);
    let f = DiscoveryFrame::parse(&t.payload).unwrap();
    assert_eq!(f.ethernet.src, AC_MAC);
    assert_eq!(f.ethernet.dst, HOST);
    assert_eq!((f.pppoe.code, f.pppoe.session_id), (Code::Padt, 0x1234));
    assert_eq!(f.pppoe.error(), Some(Tag::GenericError(b"Unknown session")));
    assert!(a.poll_transmit(Instant::ZERO).is_none());
    assert!(a.poll_event().is_none());
    assert_eq!(a.session_count(), 0);
}

#[test]
fn no_padt_for_what_is_not_a_stale_session_of_ours() {
    let mut a = ac(PppoeAcConfig::new(AC_MAC, b"ac"));
    let other = EthernetAddress([0x02, 0, 0, 0, 0, 0x99]);
    let cases = [
        (session_frame(HOST, other, 7), PppoeDropped::NotForUs),
        (
            session_frame(HOST, EthernetAddress::BROADCAST, 7),
            PppoeDropped::NotForUs,
        ),
        (
            session_frame(EthernetAddress::BROADCAST, AC_MAC, 7),
            PppoeDropped::WrongPeer,
        ),
        (
            session_frame(HOST, AC_MAC, 0),
            PppoeDropped::WrongSessionId(0),
        ),
        (
            session_frame(HOST, AC_MAC, 0xffff),
            PppoeDropped::WrongSessionId(0xffff),
        ),
        (
            session_frame(HOST, AC_MAC, 7)[..17].to_vec(),
            PppoeDropped::Malformed(PppoeWireError::Truncated {
                field: "PPPoE header",
            }),
        ),
    ];
    for (frame, want) in cases {
        assert_eq!(
            a.handle_unknown_session(Instant::ZERO, &frame),
            Err(want),
            "{frame:02x?}"
        );
    }
    assert!(a.poll_transmit(Instant::ZERO).is_none());
    assert_eq!(a.counters().total_dropped(), 6);
}

#[test]
fn a_live_session_is_not_ended_but_its_id_from_another_mac_is() {
    let mut c = PppoeAcConfig::new(AC_MAC, b"ac");
    c.padi_rate_per_mac = RateLimit {
        per_second: 10,
        burst: 10,
    };
    let mut a = ac(c);
    // Session 1 for HOST.
    let padi = DiscoveryFrame::new(EthernetRepr::discovery(EthernetAddress::BROADCAST, HOST), {
        let mut p = DiscoveryRepr::new(Code::Padi, 0);
        p.push(Tag::ServiceName(b"")).unwrap();
        p
    })
    .to_vec();
    a.handle_input(Instant::ZERO, &padi).unwrap();
    let pado = a.poll_transmit(Instant::ZERO).unwrap().payload;
    let cookie = DiscoveryFrame::parse(&pado)
        .unwrap()
        .pppoe
        .ac_cookie()
        .unwrap()
        .to_vec();
    let mut padr = DiscoveryRepr::new(Code::Padr, 0);
    padr.push(Tag::ServiceName(b"")).unwrap();
    padr.push(Tag::AcCookie(&cookie)).unwrap();
    let padr = DiscoveryFrame::new(EthernetRepr::discovery(AC_MAC, HOST), padr).to_vec();
    a.handle_input(Instant::ZERO, &padr).unwrap();
    while a.poll_transmit(Instant::ZERO).is_some() {}
    while a.poll_event().is_some() {}
    assert!(a.session(1).is_some());
    // HOST's own session: the caller's business, no PADT, not a drop.
    assert_eq!(
        a.handle_unknown_session(Instant::ZERO, &session_frame(HOST, AC_MAC, 1)),
        Err(PppoeDropped::KnownSession)
    );
    assert!(a.poll_transmit(Instant::ZERO).is_none());
    assert_eq!(a.counters().total_dropped(), 0);
    // Another host still using id 1 from before a restart: a PADT to it;
    // HOST's session stays.
    let stale = EthernetAddress([0x02, 0x10, 0, 0, 0, 2]);
    a.handle_unknown_session(Instant::ZERO, &session_frame(stale, AC_MAC, 1))
        .unwrap();
    let t = a.poll_transmit(Instant::ZERO).unwrap();
    assert_eq!(t.destination, stale);
    assert!(a.session(1).is_some());
    assert!(a.poll_event().is_none());
}

#[test]
fn padts_are_rate_limited_per_mac_and_overall() {
    let mut c = PppoeAcConfig::new(AC_MAC, b"ac");
    c.padt_rate_per_mac = RateLimit {
        per_second: 1,
        burst: 2,
    };
    c.padt_rate_total = RateLimit {
        per_second: 100,
        burst: 50,
    };
    let mut a = ac(c);
    // One host, a frame every 100 µs for 10 s: 2 at once, then 1/s.
    let mut padts = 0;
    for i in 0..100_000u64 {
        let now = Instant::from_micros(i * 100);
        if a.handle_unknown_session(now, &session_frame(HOST, AC_MAC, 9))
            .is_ok()
        {
            padts += 1;
        }
        while a.poll_transmit(Instant::ZERO).is_some() {}
    }
    assert_eq!(padts, 2 + 9);
    assert_eq!(
        a.counters().dropped(PppoeDropped::RateLimited),
        100_000 - padts
    );
    // Many hosts at one instant: the overall burst.
    let now = Instant::from_secs(100);
    let padts = (0..1_000u32)
        .filter(|i| {
            let b = i.to_be_bytes();
            let src = EthernetAddress([0x02, 0x20, b[0], b[1], b[2], b[3]]);
            a.handle_unknown_session(now, &session_frame(src, AC_MAC, 9))
                .is_ok()
        })
        .count();
    assert_eq!(padts, 50);
}
