//! The client machine against hand-built AC frames: the RFC 2516 §7
//! retransmission schedule at exact instants, AC selection, error PADS,
//! PADT both ways, and every drop reason leaving the state unchanged.

use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{
    PppoeClient, PppoeClientConfig, PppoeClientEvent, PppoeClientState, PppoeCommandError,
    PppoeDownReason, PppoeDropped, PppoeFailReason, PppoeWireError,
};
use sansio_primitives::{Instant, SeededRng};

const ME: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
const AC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);
const OTHER: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xbb]);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn client(config: PppoeClientConfig) -> PppoeClient {
    PppoeClient::new(config, SeededRng::from_u64(1), Instant::ZERO).unwrap()
}

fn frame(
    src: EthernetAddress,
    dst: EthernetAddress,
    code: Code,
    sid: u16,
    tags: &[Tag],
) -> Vec<u8> {
    let mut p = DiscoveryRepr::new(code, sid);
    for t in tags {
        p.push(*t).unwrap();
    }
    let mut v = DiscoveryFrame::new(EthernetRepr::discovery(dst, src), p).to_vec();
    v.resize(v.len().max(60), 0); // Ethernet padding, as on a real link
    v
}

fn sent(c: &mut PppoeClient) -> Vec<(EthernetAddress, Code, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(t) = c.poll_transmit(Instant::ZERO) {
        let f = DiscoveryFrame::parse(&t.payload).unwrap();
        assert_eq!(f.ethernet.dst, t.destination);
        assert_eq!(f.ethernet.src, ME);
        out.push((t.destination, f.pppoe.code, t.payload.clone()));
    }
    out
}

fn events(c: &mut PppoeClient) -> Vec<PppoeClientEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn pado(c: &PppoeClient, src: EthernetAddress, name: &[u8], services: &[&[u8]]) -> Vec<u8> {
    let hu = c.host_uniq().to_vec();
    let mut tags = vec![Tag::AcName(name)];
    tags.extend(services.iter().map(|s| Tag::ServiceName(s)));
    tags.push(Tag::HostUniq(Box::leak(hu.into_boxed_slice())));
    tags.push(Tag::AcCookie(b"cookie-0123456789"));
    tags.push(Tag::RelaySessionId(b"relay"));
    frame(src, ME, Code::Pado, 0, &tags)
}

/// Runs the timer until nothing is scheduled, recording when each frame left.
fn run_timers(c: &mut PppoeClient) -> Vec<(u64, Code)> {
    let mut log = Vec::new();
    for (_, code, _) in sent(c) {
        log.push((0, code));
    }
    for _ in 0..100 {
        let Some(t) = c.poll_timeout() else { break };
        // Early calls do nothing.
        c.handle_timeout(t - sansio_primitives::Duration::from_millis(1));
        assert!(
            c.poll_transmit(t - sansio_primitives::Duration::from_millis(1))
                .is_none()
        );
        c.handle_timeout(t);
        c.handle_timeout(t); // and a second call at the same instant neither
        for (_, code, _) in sent(c) {
            log.push((t.as_nanos() / 1_000_000, code));
        }
    }
    log
}

#[test]
fn padi_schedule_doubles_then_fails() {
    let mut c = client(PppoeClientConfig::new(ME));
    assert_eq!(c.state(), PppoeClientState::Discovering);
    let log = run_timers(&mut c);
    assert_eq!(
        log,
        vec![
            (0, Code::Padi),
            (1_000, Code::Padi),
            (3_000, Code::Padi),
            (7_000, Code::Padi),
            (15_000, Code::Padi),
        ]
    );
    // The fifth PADI waited 16 s (the cap): failure at 31 s.
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::DiscoveryFailed {
            reason: PppoeFailReason::NoOffer
        }]
    );
    assert_eq!(c.state(), PppoeClientState::Closed);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn padi_schedule_respects_cap_and_attempts() {
    let mut cfg = PppoeClientConfig::new(ME);
    cfg.initial_timeout = sansio_primitives::Duration::from_secs(5);
    cfg.max_timeout = sansio_primitives::Duration::from_secs(10);
    cfg.max_padi_attempts = 4;
    let mut c = client(cfg);
    let log: Vec<u64> = run_timers(&mut c).into_iter().map(|(t, _)| t).collect();
    assert_eq!(log, vec![0, 5_000, 15_000, 25_000]);
}

#[test]
fn padr_schedule_then_back_to_padi() {
    let mut c = client(PppoeClientConfig::new(ME));
    sent(&mut c);
    let offer = pado(&c, AC, b"ac", &[b""]);
    c.handle_input(ms(500), &offer).unwrap();
    assert_eq!(c.state(), PppoeClientState::Requesting);
    let padr = sent(&mut c);
    assert_eq!(padr.len(), 1);
    assert_eq!(padr[0].0, AC);
    assert_eq!(c.poll_timeout(), Some(ms(1_500)));
    let mut log = Vec::new();
    for _ in 0..4 {
        let t = c.poll_timeout().unwrap();
        c.handle_timeout(t);
        for (_, code, _) in sent(&mut c) {
            log.push((t.as_nanos() / 1_000_000, code));
        }
    }
    // PADR at 0.5 s (above), 1.5 s, 3.5 s; after the third PADR's 4 s wait,
    // a PADI (the second of five) at 7.5 s, then the next after 2 s.
    assert_eq!(
        log,
        vec![
            (1_500, Code::Padr),
            (3_500, Code::Padr),
            (7_500, Code::Padi),
            (9_500, Code::Padi)
        ]
    );
}

#[test]
fn happy_path_echoes_cookie_and_relay_and_negotiates_max_payload() {
    let mut cfg = PppoeClientConfig::new(ME);
    cfg.ppp_max_payload = Some(1500);
    cfg.service_name = b"internet".to_vec();
    let mut c = client(cfg);
    let padi = sent(&mut c);
    let f = DiscoveryFrame::parse(&padi[0].2).unwrap();
    assert_eq!(padi[0].0, EthernetAddress::BROADCAST);
    assert_eq!(f.pppoe.service_name(), Some(&b"internet"[..]));
    assert_eq!(f.pppoe.ppp_max_payload(), Some(1500));
    assert_eq!(f.pppoe.host_uniq(), Some(c.host_uniq()));

    c.handle_input(ms(10), &pado(&c, AC, b"ac", &[b"voip", b"internet"]))
        .unwrap();
    let padr = sent(&mut c);
    let f = DiscoveryFrame::parse(&padr[0].2).unwrap();
    assert_eq!(f.pppoe.code, Code::Padr);
    assert_eq!(f.pppoe.ac_cookie(), Some(&b"cookie-0123456789"[..]));
    assert_eq!(f.pppoe.relay_session_id(), Some(&b"relay"[..]));
    assert_eq!(f.pppoe.ppp_max_payload(), Some(1500));
    assert_eq!(f.pppoe.service_name(), Some(&b"internet"[..]));

    let hu = c.host_uniq().to_vec();
    let pads = frame(
        AC,
        ME,
        Code::Pads,
        0x1234,
        &[
            Tag::ServiceName(b"internet"),
            Tag::HostUniq(&hu),
            Tag::PppMaxPayload(1500),
        ],
    );
    c.handle_input(ms(20), &pads).unwrap();
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::SessionUp {
            ac_mac: AC,
            session_id: 0x1234,
            ppp_max_payload: Some(1500)
        }]
    );
    assert_eq!(c.poll_timeout(), None);
    let framer = c.session_framer().unwrap();
    assert_eq!(framer.mtu(), 1500);
    assert_eq!(framer.session_id(), 0x1234);

    // A duplicate PADS is dropped; the session stays.
    assert_eq!(
        c.handle_input(ms(21), &pads),
        Err(PppoeDropped::UnexpectedCode(Code::Pads))
    );

    // PADT with another session id: dropped. With ours: session down.
    let padt = |sid| frame(AC, ME, Code::Padt, sid, &[Tag::GenericError(b"bye")]);
    assert_eq!(
        c.handle_input(ms(30), &padt(0x1235)),
        Err(PppoeDropped::WrongSessionId(0x1235))
    );
    assert_eq!(
        c.handle_input(ms(30), &frame(OTHER, ME, Code::Padt, 0x1234, &[])),
        Err(PppoeDropped::WrongPeer)
    );
    assert_eq!(c.state(), PppoeClientState::Session);
    c.handle_input(ms(31), &padt(0x1234)).unwrap();
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::SessionDown {
            reason: PppoeDownReason::PeerTerminated(Some(b"bye".to_vec()))
        }]
    );
    assert_eq!(c.state(), PppoeClientState::Closed);
    assert_eq!(c.counters().total_dropped(), 3);
}

#[test]
fn pads_without_max_payload_tag_means_1492() {
    let mut cfg = PppoeClientConfig::new(ME);
    cfg.ppp_max_payload = Some(1500);
    let mut c = client(cfg);
    c.handle_input(ms(1), &pado(&c, AC, b"ac", &[b""])).unwrap();
    let hu = c.host_uniq().to_vec();
    c.handle_input(ms(2), &frame(AC, ME, Code::Pads, 9, &[Tag::HostUniq(&hu)]))
        .unwrap();
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::SessionUp {
            ac_mac: AC,
            session_id: 9,
            ppp_max_payload: None
        }]
    );
    assert_eq!(c.session_framer().unwrap().mtu(), 1492);
}

#[test]
fn close_sends_padt_and_reports_down() {
    let mut c = client(PppoeClientConfig::new(ME));
    c.handle_input(ms(1), &pado(&c, AC, b"ac", &[b""])).unwrap();
    let hu = c.host_uniq().to_vec();
    c.handle_input(ms(2), &frame(AC, ME, Code::Pads, 3, &[Tag::HostUniq(&hu)]))
        .unwrap();
    sent(&mut c);
    events(&mut c);
    c.close(ms(3)).unwrap();
    let out = sent(&mut c);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, AC);
    let f = DiscoveryFrame::parse(&out[0].2).unwrap();
    assert_eq!((f.pppoe.code, f.pppoe.session_id), (Code::Padt, 3));
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::SessionDown {
            reason: PppoeDownReason::Closed
        }]
    );
    assert_eq!(c.close(ms(4)), Err(PppoeCommandError::InvalidState));
    // And it can dial again, with a fresh Host-Uniq.
    c.reconnect(ms(5)).unwrap();
    assert_ne!(c.host_uniq(), &hu[..]);
    assert_eq!(sent(&mut c)[0].1, Code::Padi);
    assert_eq!(c.reconnect(ms(6)), Err(PppoeCommandError::InvalidState));
}

#[test]
fn close_during_discovery_aborts() {
    let mut c = client(PppoeClientConfig::new(ME));
    c.close(ms(1)).unwrap();
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::DiscoveryFailed {
            reason: PppoeFailReason::Aborted
        }]
    );
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn error_pads_ends_discovery_with_the_error() {
    for (tag, want) in [
        (
            Tag::ServiceNameError(b"no such service"),
            PppoeFailReason::ServiceNameError(b"no such service".to_vec()),
        ),
        (
            Tag::AcSystemError(b"full"),
            PppoeFailReason::AcSystemError(b"full".to_vec()),
        ),
        (
            Tag::GenericError(b"nope"),
            PppoeFailReason::GenericError(b"nope".to_vec()),
        ),
    ] {
        let mut c = client(PppoeClientConfig::new(ME));
        c.handle_input(ms(1), &pado(&c, AC, b"ac", &[b""])).unwrap();
        let hu = c.host_uniq().to_vec();
        c.handle_input(
            ms(2),
            &frame(AC, ME, Code::Pads, 0, &[Tag::HostUniq(&hu), tag]),
        )
        .unwrap();
        assert_eq!(
            events(&mut c),
            vec![PppoeClientEvent::DiscoveryFailed { reason: want }]
        );
        assert_eq!(c.state(), PppoeClientState::Closed);
        assert_eq!(c.poll_timeout(), None);
    }
    let mut c = client(PppoeClientConfig::new(ME));
    c.handle_input(ms(1), &pado(&c, AC, b"ac", &[b""])).unwrap();
    let hu = c.host_uniq().to_vec();
    c.handle_input(ms(2), &frame(AC, ME, Code::Pads, 0, &[Tag::HostUniq(&hu)]))
        .unwrap();
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::DiscoveryFailed {
            reason: PppoeFailReason::Refused
        }]
    );
}

#[test]
fn filters_choose_the_ac() {
    let mut cfg = PppoeClientConfig::new(ME);
    cfg.ac_name = Some(b"wanted".to_vec());
    cfg.service_name = b"voip".to_vec();
    let mut c = client(cfg);
    sent(&mut c);
    assert_eq!(
        c.handle_input(ms(1), &pado(&c, OTHER, b"other", &[b"voip"])),
        Err(PppoeDropped::OfferNotWanted)
    );
    assert_eq!(
        c.handle_input(ms(1), &pado(&c, AC, b"wanted", &[b"internet"])),
        Err(PppoeDropped::OfferNotWanted)
    );
    assert_eq!(c.state(), PppoeClientState::Discovering);
    assert!(sent(&mut c).is_empty());
    c.handle_input(ms(2), &pado(&c, AC, b"wanted", &[b"internet", b"voip"]))
        .unwrap();
    assert_eq!(c.state(), PppoeClientState::Requesting);
    // Later offers are not wanted any more.
    assert_eq!(
        c.handle_input(ms(3), &pado(&c, OTHER, b"wanted", &[b"voip"])),
        Err(PppoeDropped::UnexpectedCode(Code::Pado))
    );
}

#[test]
fn drops_are_counted_and_change_nothing() {
    let mut c = client(PppoeClientConfig::new(ME));
    sent(&mut c);
    let deadline = c.poll_timeout();
    let hu = c.host_uniq().to_vec();
    let cases: Vec<(Vec<u8>, PppoeDropped)> = vec![
        // Not addressed to us.
        (
            frame(
                AC,
                OTHER,
                Code::Pado,
                0,
                &[Tag::AcName(b"x"), Tag::HostUniq(&hu)],
            ),
            PppoeDropped::NotForUs,
        ),
        // Wrong Host-Uniq, and none.
        (
            frame(
                AC,
                ME,
                Code::Pado,
                0,
                &[Tag::AcName(b"x"), Tag::HostUniq(b"other")],
            ),
            PppoeDropped::WrongHostUniq,
        ),
        (
            frame(AC, ME, Code::Pado, 0, &[Tag::AcName(b"x")]),
            PppoeDropped::WrongHostUniq,
        ),
        // Non-zero session id in a PADO.
        (
            frame(
                AC,
                ME,
                Code::Pado,
                5,
                &[Tag::AcName(b"x"), Tag::HostUniq(&hu)],
            ),
            PppoeDropped::WrongSessionId(5),
        ),
        // From a group address.
        (
            frame(
                EthernetAddress::BROADCAST,
                ME,
                Code::Pado,
                0,
                &[Tag::AcName(b"x"), Tag::HostUniq(&hu)],
            ),
            PppoeDropped::WrongPeer,
        ),
        // No AC-Name.
        (
            frame(AC, ME, Code::Pado, 0, &[Tag::HostUniq(&hu)]),
            PppoeDropped::MissingTag {
                tag: pppoe_proto::wire::TagType::AcName,
            },
        ),
        // An offer with an error tag.
        (
            frame(
                AC,
                ME,
                Code::Pado,
                0,
                &[
                    Tag::AcName(b"x"),
                    Tag::HostUniq(&hu),
                    Tag::AcSystemError(b""),
                ],
            ),
            PppoeDropped::OfferNotWanted,
        ),
        // A PADS before any PADR, a PADI from another host.
        (
            frame(AC, ME, Code::Pads, 1, &[Tag::HostUniq(&hu)]),
            PppoeDropped::UnexpectedCode(Code::Pads),
        ),
        (
            frame(OTHER, ME, Code::Padi, 0, &[]),
            PppoeDropped::UnexpectedCode(Code::Padi),
        ),
        // Garbage.
        (
            vec![0u8; 10],
            PppoeDropped::Malformed(PppoeWireError::Truncated {
                field: "ethernet header",
            }),
        ),
    ];
    for (i, (bytes, want)) in cases.iter().enumerate() {
        assert_eq!(c.handle_input(ms(5), bytes), Err(*want), "case {i}");
        assert_eq!(c.state(), PppoeClientState::Discovering, "case {i}");
        assert_eq!(c.poll_timeout(), deadline, "case {i}");
        assert!(c.poll_transmit(ms(5)).is_none(), "case {i}");
        assert!(c.poll_event().is_none(), "case {i}");
        assert_eq!(
            c.counters().dropped(*want),
            cases[..=i]
                .iter()
                .filter(|(_, w)| std::mem::discriminant(w) == std::mem::discriminant(want))
                .count() as u64
        );
    }
    assert_eq!(c.counters().total_dropped(), cases.len() as u64);
    // The counters are a plain struct: one named field per reason.
    assert_eq!(c.counters().wrong_host_uniq, 2);
    assert_eq!(c.counters().not_for_us, 1);

    // In Requesting: PADS from another MAC, with another Host-Uniq.
    c.handle_input(ms(6), &pado(&c, AC, b"ac", &[b""])).unwrap();
    sent(&mut c);
    assert_eq!(
        c.handle_input(
            ms(7),
            &frame(OTHER, ME, Code::Pads, 1, &[Tag::HostUniq(&hu)])
        ),
        Err(PppoeDropped::WrongPeer)
    );
    assert_eq!(
        c.handle_input(
            ms(7),
            &frame(AC, ME, Code::Pads, 1, &[Tag::HostUniq(b"zz")])
        ),
        Err(PppoeDropped::WrongHostUniq)
    );
    assert_eq!(c.state(), PppoeClientState::Requesting);
}

#[test]
fn vlan_tagged_discovery() {
    let mut cfg = PppoeClientConfig::new(ME);
    cfg.vlan = Some(7);
    let mut c = client(cfg);
    let padi = sent(&mut c);
    let f = DiscoveryFrame::parse(&padi[0].2).unwrap();
    assert_eq!(f.ethernet.vlan, Some(7));
    // An untagged PADO is for another link.
    assert_eq!(
        c.handle_input(ms(1), &pado(&c, AC, b"ac", &[b""])),
        Err(PppoeDropped::NotForUs)
    );
}

/// When the filters refused every PADO, the failure says so, with the
/// AC-Names that did answer (it used to be `NoOffer`, "no access
/// concentrator answered").
#[test]
fn refused_offers_are_reported_as_such() {
    let mut cfg = PppoeClientConfig::new(ME);
    cfg.ac_name = Some(b"wanted".to_vec());
    cfg.max_padi_attempts = 2;
    let mut c = client(cfg);
    sent(&mut c);
    for (t, src, name) in [
        (1, OTHER, &b"other"[..]),
        (2, AC, b"isp"),
        (3, OTHER, b"other"),
    ] {
        assert_eq!(
            c.handle_input(ms(t), &pado(&c, src, name, &[b""])),
            Err(PppoeDropped::OfferNotWanted)
        );
    }
    run_timers(&mut c);
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::DiscoveryFailed {
            reason: PppoeFailReason::NoMatchingOffer {
                offers: 3,
                ac_names: vec![b"other".to_vec(), b"isp".to_vec()],
            }
        }]
    );
    // Nothing answered at all: NoOffer, as before.
    let mut c = client(PppoeClientConfig::new(ME));
    run_timers(&mut c);
    assert_eq!(
        events(&mut c),
        vec![PppoeClientEvent::DiscoveryFailed {
            reason: PppoeFailReason::NoOffer
        }]
    );
}
