//! The AC's manual admission (STYLE.md "Admission hooks"): a PADR that
//! passes the checks waits for the application's accept or refuse; pending
//! requests are bounded, count against the session bounds and expire.

use pppoe_proto::ac::{Admission, RateLimit, RefuseReason, RequestId};
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{PppoeAc, PppoeAcConfig, PppoeAcEvent, PppoeCommandError, PppoeDropped};
use sansio_primitives::{Duration, Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);

fn host(i: u8) -> EthernetAddress {
    EthernetAddress([0x02, 0x10, 0, 0, 0, i])
}

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn manual(max_pending: u16, max_sessions: u16) -> PppoeAc {
    let mut c = PppoeAcConfig::new(AC_MAC, b"ac");
    let lots = RateLimit {
        per_second: 1_000,
        burst: 1_000,
    };
    c.padi_rate_per_mac = lots;
    c.padi_rate_total = lots;
    c.max_sessions = max_sessions;
    c.admission = Admission::Manual {
        max_pending,
        timeout: Duration::from_secs(5),
    };
    PppoeAc::new(c, SeededRng::from_u64(9), Instant::ZERO).unwrap()
}

fn frame(src: EthernetAddress, dst: EthernetAddress, code: Code, tags: &[Tag]) -> Vec<u8> {
    let mut p = DiscoveryRepr::new(code, 0);
    for t in tags {
        p.push(*t).unwrap();
    }
    DiscoveryFrame::new(EthernetRepr::discovery(dst, src), p).to_vec()
}

/// PADI then PADR; returns the PADR (to resend) and the AC's reaction.
fn request(
    a: &mut PppoeAc,
    now: Instant,
    src: EthernetAddress,
) -> (Vec<u8>, Result<(), PppoeDropped>) {
    let padi = frame(
        src,
        EthernetAddress::BROADCAST,
        Code::Padi,
        &[Tag::ServiceName(b""), Tag::HostUniq(b"hu")],
    );
    a.handle_input(now, &padi).unwrap();
    let pado = a.poll_transmit(now).unwrap().payload;
    let cookie = DiscoveryFrame::parse(&pado)
        .unwrap()
        .pppoe
        .ac_cookie()
        .unwrap()
        .to_vec();
    let padr = frame(
        src,
        AC_MAC,
        Code::Padr,
        &[
            Tag::ServiceName(b""),
            Tag::HostUniq(b"hu"),
            Tag::AcCookie(&cookie),
        ],
    );
    let r = a.handle_input(now, &padr);
    (padr, r)
}

fn pending_request(a: &mut PppoeAc) -> RequestId {
    match a.poll_event() {
        Some(PppoeAcEvent::SessionRequest { request, .. }) => request,
        e => panic!("{e:?}"),
    }
}

#[test]
fn accept_sends_pads_and_charges_the_tables() {
    let mut a = manual(4, 10);
    let (padr, r) = request(&mut a, ms(0), host(1));
    r.unwrap();
    assert!(
        a.poll_transmit(ms(0)).is_none(),
        "no PADS before the decision"
    );
    let req = match a.poll_event() {
        Some(PppoeAcEvent::SessionRequest {
            request,
            client_mac,
            service_name,
            host_uniq,
            expires,
        }) => {
            assert_eq!(
                (client_mac, service_name, host_uniq),
                (host(1), vec![], b"hu".to_vec())
            );
            assert_eq!(expires, ms(5_000));
            request
        }
        e => panic!("{e:?}"),
    };
    assert_eq!(a.session_count(), 0);
    assert_eq!(a.pending_count(), 1);
    assert_eq!(a.poll_timeout(), Some(ms(5_000)));
    // A retransmitted PADR while pending: no second request.
    a.handle_input(ms(1_000), &padr).unwrap();
    assert!(a.poll_event().is_none());
    assert_eq!(a.accept(ms(1_500), req), Ok(1));
    let bytes = a.poll_transmit(ms(1_000)).unwrap().payload;
    let pads = DiscoveryFrame::parse(&bytes).unwrap();
    assert_eq!((pads.pppoe.code, pads.pppoe.session_id), (Code::Pads, 1));
    assert!(matches!(
        a.poll_event(),
        Some(PppoeAcEvent::SessionUp { session_id: 1, .. })
    ));
    assert_eq!((a.session_count(), a.pending_count()), (1, 0));
    // The handle is spent.
    assert_eq!(
        a.accept(ms(1_600), req),
        Err(PppoeCommandError::InvalidState)
    );
}

#[test]
fn refuse_sends_service_name_error() {
    let mut a = manual(4, 10);
    request(&mut a, ms(0), host(1)).1.unwrap();
    let req = pending_request(&mut a);
    a.refuse(ms(1), req, b"Not subscribed").unwrap();
    let bytes = a.poll_transmit(ms(1_000)).unwrap().payload;
    let pads = DiscoveryFrame::parse(&bytes).unwrap();
    assert_eq!(pads.pppoe.session_id, 0);
    assert_eq!(
        pads.pppoe.error(),
        Some(Tag::ServiceNameError(b"Not subscribed"))
    );
    assert_eq!(pads.pppoe.host_uniq(), Some(&b"hu"[..]));
    assert_eq!(
        a.poll_event(),
        Some(PppoeAcEvent::Refused {
            client_mac: host(1),
            reason: RefuseReason::Application
        })
    );
    assert_eq!(a.session_count(), 0);
    assert_eq!(
        a.refuse(ms(2), req, b""),
        Err(PppoeCommandError::InvalidState)
    );
}

#[test]
fn pending_requests_are_bounded_and_count_against_sessions() {
    let mut a = manual(2, 3);
    request(&mut a, ms(0), host(1)).1.unwrap();
    request(&mut a, ms(0), host(2)).1.unwrap();
    // Third: over max_pending, dropped.
    assert_eq!(request(&mut a, ms(0), host(3)).1, Err(PppoeDropped::Full));
    assert_eq!(a.pending_count(), 2);
    let r1 = pending_request(&mut a);
    let _r2 = pending_request(&mut a);
    assert_eq!(a.accept(ms(1), r1), Ok(1));
    while a.poll_transmit(ms(1_000)).is_some() {}
    while a.poll_event().is_some() {}
    // One session + one pending + this one = 3 = max_sessions: one more
    // fits, and then the AC is full (a PADI gets no PADO).
    request(&mut a, ms(2), host(4)).1.unwrap();
    let padi = frame(
        host(5),
        EthernetAddress::BROADCAST,
        Code::Padi,
        &[Tag::ServiceName(b"")],
    );
    assert_eq!(a.handle_input(ms(2), &padi), Err(PppoeDropped::Full));
}

#[test]
fn unanswered_requests_expire() {
    let mut a = manual(4, 10);
    let (padr, r) = request(&mut a, ms(0), host(1));
    r.unwrap();
    let req = pending_request(&mut a);
    a.handle_timeout(ms(4_999));
    assert_eq!(a.pending_count(), 1);
    a.handle_timeout(ms(5_000));
    assert_eq!(a.pending_count(), 0);
    assert_eq!(
        a.accept(ms(5_001), req),
        Err(PppoeCommandError::InvalidState)
    );
    // The host's retransmitted PADR makes a new request (cookie still valid).
    a.handle_input(ms(6_000), &padr).unwrap();
    let again = pending_request(&mut a);
    assert_ne!(again, req);
    assert_eq!(a.accept(ms(6_001), again), Ok(1));
}
