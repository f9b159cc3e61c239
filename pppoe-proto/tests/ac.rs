//! The access concentrator on its own: stateless PADO with cookies, cookie
//! checks, bounds (PADI rate per MAC and overall, sessions total and per
//! MAC), error PADS, session-id allocation, PADT handling, and real
//! pppd/rp-pppoe PADIs from the golden captures.

mod common;

use pppoe_proto::ac::{PppoeAcDownReason, RateLimit, RefuseReason};
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{
    PppoeAc, PppoeAcConfig, PppoeAcEvent, PppoeCommandError, PppoeDropped, PppoeWireError,
};
use sansio_primitives::{Duration, Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);

fn host(i: u32) -> EthernetAddress {
    let b = i.to_be_bytes();
    EthernetAddress([0x02, 0x10, b[0], b[1], b[2], b[3]])
}

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn generous(mut c: PppoeAcConfig) -> PppoeAcConfig {
    let lots = RateLimit {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    c.padi_rate_per_mac = lots;
    c.padi_rate_total = lots;
    c
}

fn ac(config: PppoeAcConfig) -> PppoeAc {
    PppoeAc::new(config, SeededRng::from_u64(42), Instant::ZERO).unwrap()
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
    DiscoveryFrame::new(EthernetRepr::discovery(dst, src), p).to_vec()
}

fn padi(src: EthernetAddress, service: &[u8], hu: &[u8]) -> Vec<u8> {
    frame(
        src,
        EthernetAddress::BROADCAST,
        Code::Padi,
        0,
        &[Tag::ServiceName(service), Tag::HostUniq(hu)],
    )
}

fn out(a: &mut PppoeAc) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| a.poll_transmit(Instant::ZERO))
        .map(|t| t.payload)
        .collect()
}

fn events(a: &mut PppoeAc) -> Vec<PppoeAcEvent> {
    std::iter::from_fn(|| a.poll_event()).collect()
}

/// PADI → PADO → PADR for `src`; returns the AC's answer to the PADR.
fn dial(
    a: &mut PppoeAc,
    now: Instant,
    src: EthernetAddress,
    service: &[u8],
    hu: &[u8],
) -> Option<Vec<u8>> {
    a.handle_input(now, &padi(src, service, hu)).ok()?;
    let pado = out(a).pop()?;
    let pado = DiscoveryFrame::parse(&pado).unwrap();
    let cookie = pado.pppoe.ac_cookie().unwrap().to_vec();
    let padr = frame(
        src,
        AC_MAC,
        Code::Padr,
        0,
        &[
            Tag::ServiceName(service),
            Tag::HostUniq(hu),
            Tag::AcCookie(&cookie),
        ],
    );
    a.handle_input(now, &padr).ok()?;
    out(a).pop()
}

fn session_of(pads: &[u8]) -> u16 {
    DiscoveryFrame::parse(pads).unwrap().pppoe.session_id
}

#[test]
fn pado_carries_name_services_echoes_and_cookie() {
    let mut c = PppoeAcConfig::new(AC_MAC, b"lab-ac-svc");
    c.services = vec![b"internet".to_vec(), b"voip".to_vec()];
    c.ppp_max_payload = Some(1500);
    let mut a = ac(c);
    let req = frame(
        host(1),
        EthernetAddress::BROADCAST,
        Code::Padi,
        0,
        &[
            Tag::ServiceName(b"voip"),
            Tag::HostUniq(b"hu"),
            Tag::RelaySessionId(b"relay-7"),
            Tag::PppMaxPayload(1508),
        ],
    );
    a.handle_input(ms(0), &req).unwrap();
    let t = a.poll_transmit(ms(0)).unwrap();
    assert_eq!(t.destination, host(1));
    let f = DiscoveryFrame::parse(&t.payload).unwrap();
    assert_eq!(f.ethernet.src, AC_MAC);
    assert_eq!(f.pppoe.code, Code::Pado);
    assert_eq!(f.pppoe.ac_name(), Some(&b"lab-ac-svc"[..]));
    let services: Vec<&[u8]> = f.pppoe.service_names().collect();
    assert_eq!(
        services,
        vec![&b"voip"[..], &b"internet"[..]],
        "the asked one first, then the others"
    );
    assert_eq!(f.pppoe.host_uniq(), Some(&b"hu"[..]));
    assert_eq!(f.pppoe.relay_session_id(), Some(&b"relay-7"[..]));
    assert_eq!(f.pppoe.ac_cookie().map(<[u8]>::len), Some(16));
    assert_eq!(f.pppoe.ppp_max_payload(), Some(1500));
    // Nothing is kept for a PADI.
    assert_eq!(a.session_count(), 0);
    assert!(a.poll_event().is_none());
}

#[test]
fn padi_flood_does_not_grow_state_and_is_rate_limited() {
    let mut a = ac(PppoeAcConfig::new(AC_MAC, b"ac"));
    let mut pados = 0;
    // 100 000 PADIs from 100 000 forged MACs within 10 simulated seconds.
    for i in 0..100_000u32 {
        let now = Instant::from_micros(u64::from(i) * 100);
        if a.handle_input(now, &padi(host(i), b"", &i.to_be_bytes()))
            .is_ok()
        {
            pados += 1;
        }
        let _ = a.poll_transmit(now);
    }
    // Overall bucket: burst 400 + 200/s for 10 s.
    assert!(pados <= 400 + 2_000 + 1, "{pados} PADOs");
    assert!(pados >= 2_000, "{pados} PADOs");
    assert_eq!(a.session_count(), 0);
    assert_eq!(
        a.counters().dropped(PppoeDropped::RateLimited),
        100_000 - pados
    );
}

#[test]
fn per_mac_bucket_refills_under_padis_100_us_apart() {
    // One MAC, a PADI every 100 µs for 10 s: each gap earns a ten-thousandth
    // of a token, which must add up (it was rounded away: 3 PADOs in 10 s).
    let mut a = ac(PppoeAcConfig::new(AC_MAC, b"ac"));
    let mut pados = 0;
    for i in 0..100_000u64 {
        if a.handle_input(Instant::from_micros(i * 100), &padi(host(1), b"", b"x"))
            .is_ok()
        {
            pados += 1;
        }
        let _ = a.poll_transmit(Instant::from_micros(i * 100));
    }
    // Burst 3, then 1/s: at 1 s, 2 s, … 9 s.
    assert_eq!(pados, 3 + 9);
}

#[test]
fn per_mac_padi_rate() {
    let mut a = ac(PppoeAcConfig::new(AC_MAC, b"ac"));
    let r: Vec<bool> = (0..5)
        .map(|_| a.handle_input(ms(0), &padi(host(1), b"", b"x")).is_ok())
        .collect();
    assert_eq!(r, [true, true, true, false, false], "burst 3");
    assert_eq!(
        a.handle_input(ms(999), &padi(host(1), b"", b"x")),
        Err(PppoeDropped::RateLimited)
    );
    assert!(
        a.handle_input(ms(1_000), &padi(host(1), b"", b"x")).is_ok(),
        "1 per second"
    );
    // Another MAC is not affected.
    assert!(a.handle_input(ms(1_000), &padi(host(2), b"", b"x")).is_ok());
}

#[test]
fn bad_missing_foreign_and_stale_cookies_are_dropped_silently() {
    let mut a = ac(generous(PppoeAcConfig::new(AC_MAC, b"ac")));
    a.handle_input(ms(0), &padi(host(1), b"", b"hu")).unwrap();
    let pado = out(&mut a).pop().unwrap();
    let cookie = DiscoveryFrame::parse(&pado)
        .unwrap()
        .pppoe
        .ac_cookie()
        .unwrap()
        .to_vec();
    let padr = |src, hu: &[u8], cookie: Option<&[u8]>| {
        let mut tags = vec![Tag::ServiceName(b""), Tag::HostUniq(hu)];
        if let Some(c) = cookie {
            tags.push(Tag::AcCookie(c));
        }
        frame(src, AC_MAC, Code::Padr, 0, &tags)
    };
    let mut forged = cookie.clone();
    forged[0] ^= 1;
    for (bytes, what) in [
        (padr(host(1), b"hu", None), "no cookie"),
        (padr(host(1), b"hu", Some(&forged)), "forged"),
        (padr(host(1), b"hu", Some(&cookie[..8])), "short"),
        (padr(host(2), b"hu", Some(&cookie)), "another MAC's"),
        (
            padr(host(1), b"other", Some(&cookie)),
            "another Host-Uniq's",
        ),
    ] {
        assert_eq!(
            a.handle_input(ms(1), &bytes),
            Err(PppoeDropped::BadCookie),
            "{what}"
        );
        assert!(a.poll_transmit(ms(1)).is_none(), "{what}: no answer");
    }
    assert_eq!(a.counters().dropped(PppoeDropped::BadCookie), 5);
    // Within one rotation (60 s) plus: still good at 119 s…
    let good = padr(host(1), b"hu", Some(&cookie));
    let mut b = ac(generous(PppoeAcConfig::new(AC_MAC, b"ac")));
    b.handle_input(ms(0), &padi(host(1), b"", b"hu")).unwrap();
    let c2 = DiscoveryFrame::parse(&out(&mut b).pop().unwrap())
        .unwrap()
        .pppoe
        .ac_cookie()
        .unwrap()
        .to_vec();
    b.handle_input(Instant::from_secs(119), &padr(host(1), b"hu", Some(&c2)))
        .unwrap();
    assert_eq!(b.session_count(), 1);
    // …stale after two rotations.
    assert_eq!(
        a.handle_input(Instant::from_secs(120), &good),
        Err(PppoeDropped::BadCookie)
    );
    assert_eq!(a.session_count(), 0);
}

#[test]
fn unknown_service_in_padr_gets_service_name_error() {
    let mut c = generous(PppoeAcConfig::new(AC_MAC, b"ac"));
    c.services = vec![b"internet".to_vec()];
    let mut a = ac(c);
    // A PADI for "voip" gets nothing…
    assert_eq!(
        a.handle_input(ms(0), &padi(host(1), b"voip", b"hu")),
        Err(PppoeDropped::UnknownService)
    );
    // …a PADR for it (with a cookie from a PADI for any service) gets an error PADS.
    a.handle_input(ms(0), &padi(host(1), b"", b"hu")).unwrap();
    let pado = out(&mut a).pop().unwrap();
    let cookie = DiscoveryFrame::parse(&pado)
        .unwrap()
        .pppoe
        .ac_cookie()
        .unwrap()
        .to_vec();
    let padr = frame(
        host(1),
        AC_MAC,
        Code::Padr,
        0,
        &[
            Tag::ServiceName(b"voip"),
            Tag::HostUniq(b"hu"),
            Tag::AcCookie(&cookie),
        ],
    );
    a.handle_input(ms(1), &padr).unwrap();
    let pads = out(&mut a).pop().unwrap();
    let f = DiscoveryFrame::parse(&pads).unwrap();
    assert_eq!((f.pppoe.code, f.pppoe.session_id), (Code::Pads, 0));
    assert_eq!(
        f.pppoe.error(),
        Some(Tag::ServiceNameError(b"Service not offered"))
    );
    assert_eq!(f.pppoe.host_uniq(), Some(&b"hu"[..]));
    assert_eq!(
        events(&mut a),
        vec![PppoeAcEvent::Refused {
            client_mac: host(1),
            reason: RefuseReason::UnknownService
        }]
    );
    assert_eq!(a.session_count(), 0);
}

#[test]
fn max_sessions_and_per_mac_bounds_refuse() {
    let mut c = generous(PppoeAcConfig::new(AC_MAC, b"ac"));
    c.max_sessions = 2;
    c.max_sessions_per_mac = 1;
    c.at_mac_limit = pppoe_proto::ac::AtMacLimit::Refuse;
    let mut a = ac(c);
    assert_eq!(
        session_of(&dial(&mut a, ms(0), host(1), b"", b"a").unwrap()),
        1
    );
    // Same MAC, another Host-Uniq: over the per-MAC bound.
    let refused = dial(&mut a, ms(1), host(1), b"", b"b").unwrap();
    let f = DiscoveryFrame::parse(&refused).unwrap();
    assert_eq!(f.pppoe.session_id, 0);
    assert!(matches!(f.pppoe.error(), Some(Tag::AcSystemError(_))));
    assert_eq!(
        session_of(&dial(&mut a, ms(2), host(2), b"", b"a").unwrap()),
        2
    );
    events(&mut a);
    // Full: a PADI gets no PADO.
    assert_eq!(
        a.handle_input(ms(3), &padi(host(3), b"", b"a")),
        Err(PppoeDropped::Full)
    );
    assert_eq!(a.session_count(), 2);
    // A PADR that raced in with a valid cookie gets AC-System-Error.
    let mut c = generous(PppoeAcConfig::new(AC_MAC, b"ac"));
    c.max_sessions = 1;
    let mut b = ac(c);
    b.handle_input(ms(0), &padi(host(1), b"", b"a")).unwrap();
    b.handle_input(ms(0), &padi(host(2), b"", b"a")).unwrap();
    let pados = out(&mut b);
    for (i, pado) in pados.iter().enumerate() {
        let f = DiscoveryFrame::parse(pado).unwrap();
        let cookie = f.pppoe.ac_cookie().unwrap();
        let padr = frame(
            f.ethernet.dst,
            AC_MAC,
            Code::Padr,
            0,
            &[
                Tag::ServiceName(b""),
                Tag::HostUniq(b"a"),
                Tag::AcCookie(cookie),
            ],
        );
        b.handle_input(ms(1), &padr).unwrap();
        let pads = DiscoveryFrame::parse(&out(&mut b)[0])
            .unwrap()
            .pppoe
            .session_id;
        assert_eq!(pads, if i == 0 { 1 } else { 0 });
    }
    assert_eq!(
        events(&mut b).last(),
        Some(&PppoeAcEvent::Refused {
            client_mac: host(2),
            reason: RefuseReason::MaxSessions
        })
    );
}

#[test]
fn repeated_padr_resends_the_same_pads() {
    let mut a = ac(generous(PppoeAcConfig::new(AC_MAC, b"ac")));
    a.handle_input(ms(0), &padi(host(1), b"", b"hu")).unwrap();
    let pado = out(&mut a).pop().unwrap();
    let cookie = DiscoveryFrame::parse(&pado)
        .unwrap()
        .pppoe
        .ac_cookie()
        .unwrap()
        .to_vec();
    let padr = frame(
        host(1),
        AC_MAC,
        Code::Padr,
        0,
        &[
            Tag::ServiceName(b""),
            Tag::HostUniq(b"hu"),
            Tag::AcCookie(&cookie),
        ],
    );
    a.handle_input(ms(1), &padr).unwrap();
    let first = out(&mut a);
    a.handle_input(ms(2), &padr).unwrap();
    let again = out(&mut a);
    assert_eq!(first, again);
    assert_eq!(a.session_count(), 1);
    assert_eq!(events(&mut a).len(), 1, "one SessionUp");
}

#[test]
fn padt_handling() {
    let mut a = ac(generous(PppoeAcConfig::new(AC_MAC, b"ac")));
    let id = session_of(&dial(&mut a, ms(0), host(1), b"", b"hu").unwrap());
    events(&mut a);
    let padt = |src, sid| {
        frame(
            src,
            AC_MAC,
            Code::Padt,
            sid,
            &[Tag::GenericError(b"RP-PPPoE: Received signal 15")],
        )
    };
    assert_eq!(
        a.handle_input(ms(1), &padt(host(2), id)),
        Err(PppoeDropped::WrongPeer)
    );
    assert_eq!(
        a.handle_input(ms(1), &padt(host(1), id + 1)),
        Err(PppoeDropped::WrongSessionId(id + 1))
    );
    // A PADT to the broadcast address is not for us (accel-ppp drops it too).
    let bc = frame(host(1), EthernetAddress::BROADCAST, Code::Padt, id, &[]);
    assert_eq!(a.handle_input(ms(1), &bc), Err(PppoeDropped::NotForUs));
    assert_eq!(a.session_count(), 1);
    a.handle_input(ms(2), &padt(host(1), id)).unwrap();
    assert_eq!(
        events(&mut a),
        vec![PppoeAcEvent::SessionDown {
            session_id: id,
            client_mac: host(1),
            reason: PppoeAcDownReason::PeerTerminated(Some(
                b"RP-PPPoE: Received signal 15".to_vec()
            ))
        }]
    );
    assert_eq!(a.session_count(), 0);
    assert_eq!(
        a.close(ms(3), id, b""),
        Err(PppoeCommandError::UnknownSession(id))
    );
}

#[test]
fn close_sends_padt_with_reason() {
    let mut a = ac(generous(PppoeAcConfig::new(AC_MAC, b"ac")));
    let id = session_of(&dial(&mut a, ms(0), host(1), b"", b"hu").unwrap());
    events(&mut a);
    a.close(ms(1), id, b"Admin reset").unwrap();
    let t = a.poll_transmit(ms(1)).unwrap();
    assert_eq!(t.destination, host(1));
    let f = DiscoveryFrame::parse(&t.payload).unwrap();
    assert_eq!((f.pppoe.code, f.pppoe.session_id), (Code::Padt, id));
    assert_eq!(f.pppoe.error(), Some(Tag::GenericError(b"Admin reset")));
    assert_eq!(f.pppoe.host_uniq(), Some(&b"hu"[..]));
    assert_eq!(
        events(&mut a),
        vec![PppoeAcEvent::SessionDown {
            session_id: id,
            client_mac: host(1),
            reason: PppoeAcDownReason::Closed
        }]
    );
}

#[test]
fn session_ids_are_unique_and_reused_only_after_release() {
    let mut c = generous(PppoeAcConfig::new(AC_MAC, b"ac"));
    c.max_sessions_per_mac = 2;
    let mut a = ac(c);
    // Session 1 stays up throughout.
    assert_eq!(
        session_of(&dial(&mut a, ms(0), host(0), b"", b"keep").unwrap()),
        1
    );
    // Open and close sessions until the cursor wraps: ids climb to 0xFFFE,
    // then skip 1 (still in use) and continue at 2.
    let mut last = 1;
    for i in 1..=0xfffeu32 {
        let now = Instant::from_millis(u64::from(i));
        let id = session_of(&dial(&mut a, now, host(i), b"", b"x").unwrap());
        let want = if last == 0xfffe { 2 } else { last + 1 };
        assert_eq!(id, want, "iteration {i}");
        assert!(a.session(id).is_some());
        a.close(now, id, b"").unwrap();
        let _ = out(&mut a);
        let _ = events(&mut a);
        last = id;
    }
    assert_eq!(last, 2);
    assert_eq!(a.session_count(), 1);
}

#[test]
fn frames_not_for_the_ac_are_dropped() {
    let mut a = ac(PppoeAcConfig::new(AC_MAC, b"ac"));
    let other = EthernetAddress([2, 0, 0, 0, 0, 0x99]);
    let cases = [
        (
            frame(host(1), other, Code::Padr, 0, &[]),
            PppoeDropped::NotForUs,
        ),
        (
            frame(host(1), other, Code::Padi, 0, &[Tag::ServiceName(b"")]),
            PppoeDropped::NotForUs,
        ),
        (
            frame(
                EthernetAddress::BROADCAST,
                EthernetAddress::BROADCAST,
                Code::Padi,
                0,
                &[Tag::ServiceName(b"")],
            ),
            PppoeDropped::WrongPeer,
        ),
        (
            frame(
                host(1),
                EthernetAddress::BROADCAST,
                Code::Padi,
                3,
                &[Tag::ServiceName(b"")],
            ),
            PppoeDropped::WrongSessionId(3),
        ),
        (
            frame(host(1), EthernetAddress::BROADCAST, Code::Padi, 0, &[]),
            PppoeDropped::MissingTag {
                tag: pppoe_proto::wire::TagType::ServiceName,
            },
        ),
        (
            frame(host(1), AC_MAC, Code::Pado, 0, &[]),
            PppoeDropped::UnexpectedCode(Code::Pado),
        ),
        (
            frame(host(1), AC_MAC, Code::Pads, 1, &[]),
            PppoeDropped::UnexpectedCode(Code::Pads),
        ),
        (
            frame(host(1), AC_MAC, Code::Padr, 4, &[]),
            PppoeDropped::WrongSessionId(4),
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(a.handle_input(ms(0), &bytes), Err(want));
        assert!(a.poll_transmit(ms(0)).is_none());
    }
    assert_eq!(a.counters().total_dropped(), 8);
}

#[test]
fn answers_real_pppd_padis_from_the_captures() {
    let mut a = ac(generous(PppoeAcConfig::new(AC_MAC, b"ac")));
    for (name, bytes) in common::pcap::captures() {
        for raw in common::pcap::frames(bytes) {
            let Ok(f) = DiscoveryFrame::parse(raw) else {
                continue;
            };
            if f.pppoe.code != Code::Padi {
                // rp-pppoe's cookie in the captured PADR is not ours.
                if f.pppoe.code == Code::Padr {
                    let mut redirected = raw.to_vec();
                    redirected[0..6].copy_from_slice(&AC_MAC.0);
                    assert_eq!(
                        a.handle_input(ms(0), &redirected),
                        Err(PppoeDropped::BadCookie),
                        "{name}"
                    );
                }
                continue;
            }
            a.handle_input(ms(0), raw)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let pado = a.poll_transmit(ms(0)).unwrap();
            let o = DiscoveryFrame::parse(&pado.payload).unwrap();
            assert_eq!(o.ethernet.dst, f.ethernet.src);
            assert_eq!(o.pppoe.host_uniq(), f.pppoe.host_uniq(), "{name}");
            assert_eq!(o.pppoe.service_name(), f.pppoe.service_name(), "{name}");
        }
    }
    let _ = Duration::ZERO;
}

#[test]
fn overlong_host_uniq_is_answered_but_not_admitted() {
    let mut a = ac(generous(PppoeAcConfig::new(AC_MAC, b"ac")));
    let hu = [7u8; 100];
    a.handle_input(ms(0), &padi(host(1), b"", &hu)).unwrap();
    let pado = out(&mut a).pop().unwrap();
    let cookie = DiscoveryFrame::parse(&pado)
        .unwrap()
        .pppoe
        .ac_cookie()
        .unwrap()
        .to_vec();
    let padr = frame(
        host(1),
        AC_MAC,
        Code::Padr,
        0,
        &[
            Tag::ServiceName(b""),
            Tag::HostUniq(&hu),
            Tag::AcCookie(&cookie),
        ],
    );
    assert_eq!(
        a.handle_input(ms(1), &padr),
        Err(PppoeDropped::Malformed(PppoeWireError::BadTagLength {
            tag: pppoe_proto::wire::TagType::HostUniq,
            length: 100,
            expected: 64
        }))
    );
    assert_eq!(a.session_count(), 0);
    assert!(a.poll_transmit(ms(1)).is_none());
}

#[test]
fn debug_output_is_small_and_hides_secrets() {
    let a = ac(PppoeAcConfig::new(AC_MAC, b"ac"));
    let d = format!("{a:?}");
    assert!(d.contains("<redacted>"));
    assert!(d.len() < 4_000, "{} bytes of Debug", d.len());
}
