//! PppoeClient against AC in memory, on a virtual clock, over a link that loses,
//! duplicates and reorders frames (proptest picks the faults and seeds).

mod common;

use common::pair::{Faults, Pair, To};
use pppoe_proto::ac::PppoeAcDownReason;
use pppoe_proto::wire::{Code, DiscoveryFrame, EthernetAddress};
use pppoe_proto::{
    PppoeAc, PppoeAcConfig, PppoeAcEvent, PppoeClient, PppoeClientConfig, PppoeClientEvent,
    PppoeDownReason, PppoeFailReason,
};
use proptest::prelude::*;
use sansio_primitives::{Duration, Instant, SeededRng};

const ME: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);

fn pair(client_cfg: PppoeClientConfig, ac_cfg: PppoeAcConfig, faults: Faults, seed: u64) -> Pair {
    let client = PppoeClient::new(client_cfg, SeededRng::from_u64(seed), Instant::ZERO).unwrap();
    let ac = PppoeAc::new(ac_cfg, SeededRng::from_u64(seed ^ 0xac), Instant::ZERO).unwrap();
    Pair::new(client, ac, faults, seed)
}

fn finished(p: &Pair) -> bool {
    p.client_events.iter().any(|(_, e)| {
        matches!(
            e,
            PppoeClientEvent::SessionUp { .. } | PppoeClientEvent::DiscoveryFailed { .. }
        )
    })
}

fn padis_sent(p: &Pair) -> usize {
    p.wire
        .iter()
        .filter(|(_, to, b)| {
            *to == To::Ac && DiscoveryFrame::parse(b).unwrap().pppoe.code == Code::Padi
        })
        .count()
}

#[test]
fn clean_link_reaches_session_up_in_one_round_trip() {
    let mut cc = PppoeClientConfig::new(ME);
    cc.ppp_max_payload = Some(1500);
    let mut ac = PppoeAcConfig::new(AC_MAC, b"lab-ac");
    ac.ppp_max_payload = Some(1500);
    ac.services = vec![b"internet".to_vec(), b"voip".to_vec()];
    let mut p = pair(cc, ac, Faults::default(), 1);
    assert!(p.run_until(100, finished));
    let (at, up) = &p.client_events[0];
    assert_eq!(*at, Instant::from_millis(4), "four one-millisecond hops");
    let PppoeClientEvent::SessionUp {
        ac_mac,
        session_id,
        ppp_max_payload,
    } = up.clone()
    else {
        panic!("{up:?}")
    };
    assert_eq!(ac_mac, AC_MAC);
    assert_eq!(session_id, 1);
    assert_eq!(ppp_max_payload, Some(1500));
    assert_eq!(
        p.ac_events,
        vec![(
            Instant::from_millis(3),
            PppoeAcEvent::SessionUp {
                session_id: 1,
                client_mac: ME,
                service_name: Vec::new(),
                ppp_max_payload: Some(1500)
            }
        )]
    );
    // Both data-path framers agree.
    let cf = p.client.session_framer().unwrap();
    let af = p.ac.session_framer(1).unwrap();
    assert_eq!((cf.mtu(), af.mtu()), (1500, 1500));
    let mut buf = [0u8; 64];
    buf[20..24].copy_from_slice(&[0xc0, 0x21, 0x09, 0x01]);
    let n = cf.encapsulate(&mut buf, 4).unwrap();
    let r = af.decapsulate(&buf[..n]).unwrap();
    assert_eq!(&buf[r], &[0xc0, 0x21, 0x09, 0x01]);
}

#[test]
fn padt_from_the_client_ends_both_sides() {
    let mut p = pair(
        PppoeClientConfig::new(ME),
        PppoeAcConfig::new(AC_MAC, b"ac"),
        Faults::default(),
        2,
    );
    assert!(p.run_until(100, finished));
    p.client.close(p.now).unwrap();
    p.flush();
    assert!(matches!(
        p.client_events.last(),
        Some((
            _,
            PppoeClientEvent::SessionDown {
                reason: PppoeDownReason::Closed
            }
        ))
    ));
    assert!(matches!(
        p.ac_events.last(),
        Some((
            _,
            PppoeAcEvent::SessionDown {
                session_id: 1,
                reason: PppoeAcDownReason::PeerTerminated(None),
                ..
            }
        ))
    ));
    assert_eq!(p.ac.session_count(), 0);
}

#[test]
fn padt_from_the_ac_ends_both_sides() {
    let mut p = pair(
        PppoeClientConfig::new(ME),
        PppoeAcConfig::new(AC_MAC, b"ac"),
        Faults::default(),
        3,
    );
    assert!(p.run_until(100, finished));
    p.ac.close(p.now, 1, b"Administrative shutdown").unwrap();
    p.flush();
    assert!(matches!(
        p.ac_events.last(),
        Some((
            _,
            PppoeAcEvent::SessionDown {
                reason: PppoeAcDownReason::Closed,
                ..
            }
        ))
    ));
    assert_eq!(
        p.client_events.last().map(|e| e.1.clone()),
        Some(PppoeClientEvent::SessionDown {
            reason: PppoeDownReason::PeerTerminated(Some(b"Administrative shutdown".to_vec()))
        })
    );
    assert_eq!(p.ac.session_count(), 0);
    assert_eq!(p.client.state(), pppoe_proto::PppoeClientState::Closed);
}

#[test]
fn unknown_service_ends_discovery_with_service_name_error() {
    // The AC offers only "internet"; a client asking "voip" gets no PADO
    // (RFC 2516 §5.2) and gives up after its attempts.
    let mut cc = PppoeClientConfig::new(ME);
    cc.service_name = b"voip".to_vec();
    let mut ac = PppoeAcConfig::new(AC_MAC, b"ac");
    ac.services = vec![b"internet".to_vec()];
    let mut p = pair(cc, ac, Faults::default(), 4);
    assert!(p.run_until(1000, finished));
    assert_eq!(
        p.client_events[0].1,
        PppoeClientEvent::DiscoveryFailed {
            reason: PppoeFailReason::NoOffer
        }
    );
    assert_eq!(padis_sent(&p), 5);
    assert_eq!(p.client_events[0].0, Instant::from_secs(31));
    assert_eq!(
        p.ac.counters()
            .dropped(pppoe_proto::PppoeDropped::UnknownService),
        5
    );
}

#[test]
fn total_loss_fails_after_the_configured_attempts() {
    let mut cc = PppoeClientConfig::new(ME);
    cc.max_padi_attempts = 3;
    let faults = Faults {
        loss: 1000,
        ..Faults::default()
    };
    let mut p = pair(cc, PppoeAcConfig::new(AC_MAC, b"ac"), faults, 5);
    assert!(p.run_until(1000, finished));
    assert_eq!(
        p.client_events,
        vec![(
            Instant::from_secs(7),
            PppoeClientEvent::DiscoveryFailed {
                reason: PppoeFailReason::NoOffer
            }
        )]
    );
    assert_eq!(padis_sent(&p), 3);
}

/// The property: over any impairment discovery ends in one outcome within
/// bounds, never more than one session per client, and a session tears
/// down cleanly.
fn lossy_link_converges_or_fails_within_bounds(
    seed: u64,
    loss: u32,
    dup: u32,
    max_delay_ms: u64,
    attempts: u32,
    close_from_client: bool,
) -> Result<(), TestCaseError> {
    let mut cc = PppoeClientConfig::new(ME);
    cc.max_padi_attempts = attempts;
    let faults = Faults {
        loss,
        dup,
        max_delay_ms,
    };
    let mut p = pair(cc, PppoeAcConfig::new(AC_MAC, b"ac"), faults, seed);
    prop_assert!(p.run_until(10_000, finished), "no outcome");
    // Bounded simulated time: at most `attempts` rounds of PADI + 3 PADRs.
    prop_assert!(p.now <= Instant::from_secs(200), "took {:?}", p.now);
    prop_assert!(padis_sent(&p) <= attempts as usize);
    prop_assert_eq!(p.client_events.len(), 1);
    // Never more than one session for one client, however many duplicates.
    let ups = p
        .ac_events
        .iter()
        .filter(|(_, e)| matches!(e, PppoeAcEvent::SessionUp { .. }))
        .count();
    prop_assert!(ups <= 1);
    prop_assert!(p.ac.session_count() <= 1);
    match p.client_events[0].1.clone() {
        PppoeClientEvent::SessionUp {
            ac_mac, session_id, ..
        } => {
            prop_assert_eq!(ac_mac, AC_MAC);
            let s = p.ac.session(session_id).expect("the AC has the session");
            prop_assert_eq!(s.client_mac, ME);
            // Tear down over a clean link, from either side, once the
            // duplicates still in flight have landed. (A PADR duplicate
            // delayed past the PADT would open a new session, as on any
            // AC: its PPP layer's LCP timeout reaps it.)
            p.faults = Faults::default();
            p.flush();
            if close_from_client {
                p.client.close(p.now).unwrap();
            } else {
                p.ac.close(p.now, session_id, b"").unwrap();
            }
            p.flush();
            prop_assert_eq!(p.ac.session_count(), 0);
            prop_assert_eq!(p.client.state(), pppoe_proto::PppoeClientState::Closed);
            let down = p
                .client_events
                .iter()
                .filter(|(_, e)| matches!(e, PppoeClientEvent::SessionDown { .. }))
                .count();
            prop_assert_eq!(down, 1);
        }
        PppoeClientEvent::DiscoveryFailed { reason } => {
            prop_assert!(matches!(
                reason,
                PppoeFailReason::NoOffer | PppoeFailReason::NoConfirmation
            ));
            prop_assert!(loss > 0 || max_delay_ms > 500, "failed on a clean link");
            prop_assert_eq!(p.client.poll_timeout(), None);
        }
        e => prop_assert!(false, "unexpected {:?}", e),
    }
    Ok(())
}

/// Cases that once failed (formerly in `conversation.proptest-regressions`).
#[test]
fn lossy_link_regressions() {
    lossy_link_converges_or_fails_within_bounds(12734694421899954265, 0, 245, 180, 1, false)
        .unwrap();
}

proptest! {
    // A fixed seed: the same cases on every run, so a failure reproduces
    // (save it in the regressions above); nothing is written into the
    // source tree.
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x2516),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn lossy_link_converges_or_fails_within_bounds_prop(
        seed in any::<u64>(),
        loss in 0u32..700,
        dup in 0u32..500,
        max_delay_ms in 0u64..1500,
        attempts in 1u32..6,
        close_from_client in any::<bool>(),
    ) {
        lossy_link_converges_or_fails_within_bounds(seed, loss, dup, max_delay_ms, attempts, close_from_client)?;
    }
}

#[test]
fn duplicated_padr_gets_the_same_pads() {
    // Every frame duplicated: the AC sees each PADR twice.
    let faults = Faults {
        dup: 1000,
        ..Faults::default()
    };
    let mut p = pair(
        PppoeClientConfig::new(ME),
        PppoeAcConfig::new(AC_MAC, b"ac"),
        faults,
        6,
    );
    assert!(p.run_until(100, finished));
    p.flush();
    let pads: Vec<_> = p
        .wire
        .iter()
        .filter(|(_, to, b)| {
            *to == To::Client && DiscoveryFrame::parse(b).unwrap().pppoe.code == Code::Pads
        })
        .map(|(_, _, b)| b.clone())
        .collect();
    assert!(pads.len() >= 2);
    assert!(pads.iter().all(|b| *b == pads[0]));
    assert_eq!(p.ac.session_count(), 1);
    let _ = Duration::ZERO;
}

#[test]
fn vlan_tagged_link_reaches_session_up() {
    let mut cc = PppoeClientConfig::new(ME);
    cc.vlan = Some(100);
    let mut ac = PppoeAcConfig::new(AC_MAC, b"ac");
    ac.vlan = Some(100);
    let mut p = pair(cc, ac, Faults::default(), 7);
    assert!(p.run_until(100, finished));
    assert!(matches!(
        p.client_events[0].1,
        PppoeClientEvent::SessionUp { session_id: 1, .. }
    ));
    let cf = p.client.session_framer().unwrap();
    assert_eq!(cf.header_len(), 24);
    let mut buf = [0u8; 64];
    buf[24..26].copy_from_slice(&[0x00, 0x21]);
    let n = cf.encapsulate(&mut buf, 2).unwrap();
    assert_eq!(
        p.ac.session_framer(1).unwrap().decapsulate(&buf[..n]),
        Ok(24..26)
    );
}

#[test]
fn mismatched_vlan_never_connects() {
    let mut cc = PppoeClientConfig::new(ME);
    cc.vlan = Some(100);
    cc.max_padi_attempts = 2;
    let mut p = pair(cc, PppoeAcConfig::new(AC_MAC, b"ac"), Faults::default(), 8);
    assert!(p.run_until(100, finished));
    assert_eq!(
        p.client_events[0].1,
        PppoeClientEvent::DiscoveryFailed {
            reason: PppoeFailReason::NoOffer
        }
    );
    assert_eq!(
        p.ac.counters().dropped(pppoe_proto::PppoeDropped::NotForUs),
        2
    );
}

#[test]
fn a_host_that_crashed_and_dials_again_replaces_its_session() {
    let mut p = pair(
        PppoeClientConfig::new(ME),
        PppoeAcConfig::new(AC_MAC, b"ac"),
        Faults::default(),
        4,
    );
    assert!(p.run_until(100, finished));
    // The host restarts: a new client on the same MAC, no PADT sent.
    let start = p.now;
    p.client =
        PppoeClient::new(PppoeClientConfig::new(ME), SeededRng::from_u64(99), p.now).unwrap();
    p.client_events.clear();
    assert!(p.run_until(100, finished));
    p.flush();
    let (at, up) = &p.client_events[0];
    assert!(
        matches!(up, PppoeClientEvent::SessionUp { session_id: 2, .. }),
        "{:?}",
        p.client_events
    );
    assert!(
        *at - start < Duration::from_millis(10),
        "up at once: {at:?}"
    );
    // The PADT for the old session does not end the new one.
    assert_eq!(p.client_events.len(), 1, "{:?}", p.client_events);
    assert!(p.ac_events.iter().any(|(_, e)| matches!(
        e,
        PppoeAcEvent::SessionDown {
            session_id: 1,
            reason: PppoeAcDownReason::Replaced,
            ..
        }
    )));
    assert_eq!(p.ac.session_count(), 1);
    assert!(p.ac.session(1).is_none());
}
