//! The PPPoE access concentrator's input path: after one session was set up
//! (so PADT and repeated-PADR paths are reachable), feed arbitrary frames
//! and clock steps (session frames, ethertype 0x8864, go to
//! `handle_unknown_session`). Must never panic, never exceed its session bound, and
//! only ever emit frames that parse. Inputs with an odd first byte run with
//! manual admission, accepting or refusing each request by the parity of
//! the frame that caused it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pppoe_proto::ac::{Admission, RateLimit};
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{PppoeAc, PppoeAcConfig, PppoeAcEvent};
use sansio_primitives::{Duration, Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);
const HOST: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);

fn frame(dst: EthernetAddress, code: Code, tags: &[Tag]) -> Vec<u8> {
    let mut p = DiscoveryRepr::new(code, 0);
    for t in tags {
        p.push(*t).unwrap();
    }
    DiscoveryFrame::new(EthernetRepr::discovery(dst, HOST), p).to_vec()
}

fuzz_target!(|data: &[u8]| {
    let mut cfg = PppoeAcConfig::new(AC_MAC, b"ac");
    cfg.services = vec![b"internet".to_vec()];
    cfg.max_sessions = 4;
    cfg.max_sessions_per_mac = 2;
    cfg.ppp_max_payload = Some(1500);
    cfg.padi_rate_per_mac = RateLimit { per_second: 100, burst: 100 };
    if data.first().is_some_and(|b| b & 1 == 1) {
        cfg.admission = Admission::Manual { max_pending: 2, timeout: Duration::from_secs(5) };
    }
    let mut now = Instant::ZERO;
    let mut ac = PppoeAc::new(cfg, SeededRng::from_u64(2), now).unwrap();
    ac.handle_input(now, &frame(EthernetAddress::BROADCAST, Code::Padi, &[Tag::ServiceName(b""), Tag::HostUniq(b"h")]))
        .unwrap();
    let pado = ac.poll_transmit(now).unwrap().payload;
    let cookie = DiscoveryFrame::parse(&pado).unwrap().pppoe.ac_cookie().unwrap().to_vec();
    ac.handle_input(now, &frame(AC_MAC, Code::Padr, &[Tag::ServiceName(b""), Tag::HostUniq(b"h"), Tag::AcCookie(&cookie)]))
        .unwrap();
    if let Some(PppoeAcEvent::SessionRequest { request, .. }) = ac.poll_event() {
        ac.accept(now, request).unwrap();
    }
    assert_eq!(ac.session_count(), 1);
    while ac.poll_transmit(now).is_some() {}
    while ac.poll_event().is_some() {}

    let mut rest = data;
    let mut parity = false;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        if len == 0 {
            now += Duration::from_secs(7);
            ac.handle_timeout(now);
        } else {
            let f = &rest[..len.min(rest.len())];
            parity = f.len() % 2 == 1;
            rest = &rest[f.len()..];
            let before = ac.session_count();
            if f.get(12..14) == Some(&[0x88, 0x64][..]) {
                // A session frame no session took: at most a PADT.
                let _ = ac.handle_unknown_session(now, f);
                assert_eq!(before, ac.session_count());
            } else if ac.handle_input(now, f).is_err() {
                assert_eq!(before, ac.session_count());
            }
        }
        assert!(ac.session_count() <= 4);
        while let Some(t) = ac.poll_transmit(now) {
            assert!(DiscoveryFrame::parse(&t.payload).is_ok());
        }
        while let Some(e) = ac.poll_event() {
            if let PppoeAcEvent::SessionRequest { request, .. } = e {
                if parity {
                    let _ = ac.accept(now, request);
                } else {
                    ac.refuse(now, request, b"no").unwrap();
                }
            }
        }
        assert!(ac.session_count() <= 4);
        while let Some(t) = ac.poll_transmit(now) {
            assert!(DiscoveryFrame::parse(&t.payload).is_ok());
        }
    }
});
