//! The per-MAC session limit: a new PADR from a MAC at its limit replaces
//! that MAC's oldest session (the default) or is refused.

use pppoe_proto::ac::{Admission, AtMacLimit, PppoeAcDownReason, RateLimit, RefuseReason};
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{PppoeAc, PppoeAcConfig, PppoeAcEvent};
use sansio_primitives::{Duration, Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);

fn host(i: u8) -> EthernetAddress {
    EthernetAddress([0x02, 0x10, 0, 0, 0, i])
}

fn config() -> PppoeAcConfig {
    let mut c = PppoeAcConfig::new(AC_MAC, b"ac");
    let lots = RateLimit {
        per_second: 1_000,
        burst: 1_000,
    };
    c.padi_rate_per_mac = lots;
    c.padi_rate_total = lots;
    c
}

fn ac(c: PppoeAcConfig) -> PppoeAc {
    PppoeAc::new(c, SeededRng::from_u64(5), Instant::ZERO).unwrap()
}

fn frame(src: EthernetAddress, dst: EthernetAddress, code: Code, tags: &[Tag]) -> Vec<u8> {
    let mut p = DiscoveryRepr::new(code, 0);
    for t in tags {
        p.push(*t).unwrap();
    }
    DiscoveryFrame::new(EthernetRepr::discovery(dst, src), p).to_vec()
}

/// PADI, PADO, PADR from `src` with Host-Uniq `hu`: the frames the AC sent
/// for the PADR, and its events.
fn dial(a: &mut PppoeAc, src: EthernetAddress, hu: &[u8]) -> (Vec<Vec<u8>>, Vec<PppoeAcEvent>) {
    let now = Instant::from_secs(1);
    let padi = frame(
        src,
        EthernetAddress::BROADCAST,
        Code::Padi,
        &[Tag::ServiceName(b""), Tag::HostUniq(hu)],
    );
    a.handle_input(now, &padi).unwrap();
    let pado = a.poll_transmit(now).unwrap().payload;
    let pado = DiscoveryFrame::parse(&pado).unwrap();
    let cookie = pado.pppoe.ac_cookie().unwrap();
    let padr = frame(
        src,
        AC_MAC,
        Code::Padr,
        &[
            Tag::ServiceName(b""),
            Tag::HostUniq(hu),
            Tag::AcCookie(cookie),
        ],
    );
    a.handle_input(now, &padr).unwrap();
    let out = std::iter::from_fn(|| a.poll_transmit(now))
        .map(|t| t.payload)
        .collect();
    (out, std::iter::from_fn(|| a.poll_event()).collect())
}

/// `(code, session id, destination)` of a frame.
fn what(f: &[u8]) -> (Code, u16, EthernetAddress) {
    let f = DiscoveryFrame::parse(f).unwrap();
    (f.pppoe.code, f.pppoe.session_id, f.ethernet.dst)
}

fn up(session_id: u16, mac: EthernetAddress) -> PppoeAcEvent {
    PppoeAcEvent::SessionUp {
        session_id,
        client_mac: mac,
        service_name: Vec::new(),
        ppp_max_payload: None,
    }
}

fn replaced(session_id: u16, mac: EthernetAddress) -> PppoeAcEvent {
    PppoeAcEvent::SessionDown {
        session_id,
        client_mac: mac,
        reason: PppoeAcDownReason::Replaced,
    }
}

#[test]
fn a_new_padr_from_a_mac_at_its_limit_replaces_its_session() {
    let mut a = ac(config());
    assert_eq!(a.config().at_mac_limit, AtMacLimit::Replace);
    assert_eq!(a.config().max_sessions_per_mac, 1);
    let (out, ev) = dial(&mut a, host(1), b"pid-100");
    assert_eq!(ev, [up(1, host(1))]);
    assert_eq!(what(&out[0]), (Code::Pads, 1, host(1)));
    // The host crashed and dials again (another Host-Uniq, no PADT): the
    // old session is ended with a PADT, then the new one is admitted.
    let (out, ev) = dial(&mut a, host(1), b"pid-200");
    assert_eq!(ev, [replaced(1, host(1)), up(2, host(1))]);
    assert_eq!(out.len(), 2, "a PADT and a PADS");
    assert_eq!(what(&out[0]), (Code::Padt, 1, host(1)));
    let padt = DiscoveryFrame::parse(&out[0]).unwrap();
    assert_eq!(padt.pppoe.host_uniq(), Some(&b"pid-100"[..]));
    assert!(matches!(padt.pppoe.error(), Some(Tag::GenericError(t)) if t.starts_with(b"Replaced")));
    assert_eq!(what(&out[1]), (Code::Pads, 2, host(1)));
    assert_eq!(a.session_count(), 1);
    assert!(a.session(1).is_none());
    // Another MAC is not touched.
    let (_, ev) = dial(&mut a, host(2), b"pid-100");
    assert_eq!(ev, [up(3, host(2))]);
    assert_eq!(a.session_count(), 2);
}

#[test]
fn a_retransmitted_padr_replaces_nothing() {
    let mut a = ac(config());
    dial(&mut a, host(1), b"x");
    // Same MAC, same Host-Uniq: the host lost our PADS.
    let (out, ev) = dial(&mut a, host(1), b"x");
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(out.len(), 1);
    assert_eq!(what(&out[0]), (Code::Pads, 1, host(1)));
}

#[test]
fn with_a_higher_limit_sessions_coexist_then_the_oldest_goes() {
    let mut c = config();
    c.max_sessions_per_mac = 3;
    let mut a = ac(c);
    for (i, hu) in [b"a", b"b", b"c"].into_iter().enumerate() {
        let (_, ev) = dial(&mut a, host(1), hu);
        assert_eq!(ev, [up(i as u16 + 1, host(1))]);
    }
    assert_eq!(a.session_count(), 3);
    let (_, ev) = dial(&mut a, host(1), b"d");
    assert_eq!(ev, [replaced(1, host(1)), up(4, host(1))]);
    // The oldest is now session 2.
    let (_, ev) = dial(&mut a, host(1), b"e");
    assert_eq!(ev, [replaced(2, host(1)), up(5, host(1))]);
    assert_eq!(a.session_count(), 3);
}

#[test]
fn a_replacement_is_admitted_when_the_ac_is_full() {
    let mut c = config();
    c.max_sessions = 1;
    let mut a = ac(c);
    dial(&mut a, host(1), b"a");
    // Full, but the new session takes the old one's place.
    let (_, ev) = dial(&mut a, host(1), b"b");
    assert_eq!(ev, [replaced(1, host(1)), up(2, host(1))]);
    // A PADI from another MAC gets no PADO while full.
    let padi = frame(
        host(2),
        EthernetAddress::BROADCAST,
        Code::Padi,
        &[Tag::ServiceName(b"")],
    );
    assert!(a.handle_input(Instant::from_secs(2), &padi).is_err());
}

#[test]
fn refuse_answers_ac_system_error_and_keeps_the_session() {
    let mut c = config();
    c.at_mac_limit = AtMacLimit::Refuse;
    let mut a = ac(c);
    dial(&mut a, host(1), b"a");
    let (out, ev) = dial(&mut a, host(1), b"b");
    assert_eq!(
        ev,
        [PppoeAcEvent::Refused {
            client_mac: host(1),
            reason: RefuseReason::MaxSessionsPerMac
        }]
    );
    let f = DiscoveryFrame::parse(&out[0]).unwrap();
    assert_eq!((f.pppoe.code, f.pppoe.session_id), (Code::Pads, 0));
    assert!(matches!(f.pppoe.error(), Some(Tag::AcSystemError(_))));
    assert!(a.session(1).is_some());
}

#[test]
fn manual_admission_replaces_on_accept_only() {
    let mut c = config();
    c.admission = Admission::Manual {
        max_pending: 8,
        timeout: Duration::from_secs(5),
    };
    let mut a = ac(c);
    let (_, ev) = dial(&mut a, host(1), b"a");
    let PppoeAcEvent::SessionRequest { request, .. } = ev[0] else {
        panic!("{ev:?}");
    };
    let now = Instant::from_secs(1);
    assert_eq!(a.accept(now, request), Ok(1));
    let _ = std::iter::from_fn(|| a.poll_event()).count();
    let _ = std::iter::from_fn(|| a.poll_transmit(Instant::from_secs(2))).count();
    // At the limit: the request waits; the old session is still up.
    let (out, ev) = dial(&mut a, host(1), b"b");
    assert!(out.is_empty());
    let PppoeAcEvent::SessionRequest {
        request: refused, ..
    } = ev[0]
    else {
        panic!("{ev:?}");
    };
    // A second request from that MAC while one waits: over the limit.
    let (_, ev) = dial(&mut a, host(1), b"c");
    assert!(matches!(
        ev[..],
        [PppoeAcEvent::Refused {
            reason: RefuseReason::MaxSessionsPerMac,
            ..
        }]
    ));
    a.refuse(now, refused, b"no").unwrap();
    assert!(a.session(1).is_some(), "refusing replaces nothing");
    let _ = std::iter::from_fn(|| a.poll_event()).count();
    let _ = std::iter::from_fn(|| a.poll_transmit(Instant::ZERO)).count();
    let (_, ev) = dial(&mut a, host(1), b"d");
    let PppoeAcEvent::SessionRequest { request, .. } = ev[0] else {
        panic!("{ev:?}");
    };
    assert_eq!(a.accept(now, request), Ok(2));
    let ev: Vec<PppoeAcEvent> = std::iter::from_fn(|| a.poll_event()).collect();
    assert_eq!(ev, [replaced(1, host(1)), up(2, host(1))]);
    assert_eq!(a.session_count(), 1);
}
