//! Peer against authenticator, in memory, on a simulated clock.

mod common;

use common::*;
use ppp_proto::wire::protocol;
use ppp_proto::{AuthMethods, Credential, Phase, PppDownReason, PppEvent, Role};
use sansio_primitives::{Duration, Instant};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn chap_bring_up_reaches_ipv4_and_ipv6() {
    let mut p = Pair::new(peer_config(), ac_config(), 1);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    // Everything happened within a few link round trips, no retransmission.
    assert!(p.now < Instant::from_millis(50), "{:?}", p.now);
    let up = p
        .peer_events
        .iter()
        .find_map(|(_, e)| match e {
            PppEvent::Ipv4Up {
                local,
                peer,
                dns,
                peer_assumed: false,
            } => Some((*local, *peer, *dns)),
            _ => None,
        })
        .unwrap();
    assert_eq!(up, (PEER_ADDR, AC_ADDR, [Some(DNS1), Some(DNS2)]));
    let (user, cred) = p.ac_events.iter().find_map(|(_, e)| cred_user(e)).unwrap();
    assert_eq!(user, USER);
    assert!(
        matches!(cred, Credential::ChapMd5 { challenge, response, .. } if challenge.len() == 16 && response.len() == 16)
    );
    let v6 = |evs: &[(Instant, PppEvent)]| {
        evs.iter()
            .find_map(|(_, e)| match e {
                PppEvent::Ipv6Up {
                    local_ifid,
                    peer_ifid,
                } => Some((*local_ifid, *peer_ifid)),
                _ => None,
            })
            .unwrap()
    };
    let (pl, pp) = v6(&p.peer_events);
    let (al, ap) = v6(&p.ac_events);
    assert_eq!((pl, pp), (ap, al));
    assert_eq!(al, 1);
    assert_ne!(pl, 0);
    assert_eq!(p.peer.phase(), Phase::Network);
    assert_eq!(p.ac.phase(), Phase::Network);
    assert!(p.peer_has(
        |e| matches!(e, PppEvent::AuthSucceeded { message } if message == b"Access granted")
    ));
    assert!(p.peer_has(|e| matches!(e, PppEvent::LinkUp { mtu: 1492 })));
    assert_eq!(p.peer.counters().total_dropped(), 0);
    assert_eq!(p.ac.counters().total_dropped(), 0);
    // Every frame one side sent, the other received (a lossless link).
    assert_eq!(p.peer.counters().transmitted, p.ac.counters().received);
    assert_eq!(p.ac.counters().transmitted, p.peer.counters().received);
    assert!(p.peer.counters().received > 0);
}

#[test]
fn pap_bring_up() {
    let mut ac = ac_config();
    if let Role::Authenticator(a) = &mut ac.role {
        a.methods = AuthMethods {
            chap_md5: false,
            pap: true,
        };
    }
    let mut p = Pair::new(peer_config(), ac, 2);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let (user, cred) = p.ac_events.iter().find_map(|(_, e)| cred_user(e)).unwrap();
    assert_eq!(user, USER);
    assert_eq!(
        cred,
        &Credential::Pap {
            password: PASS.into()
        }
    );
}

#[test]
fn peer_refusing_chap_naks_towards_pap() {
    let mut peer = peer_config();
    if let Role::Peer(c) = &mut peer.role {
        c.accept = AuthMethods {
            chap_md5: false,
            pap: true,
        };
    }
    let mut p = Pair::new(peer, ac_config(), 3);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    assert!(
        p.ac_events
            .iter()
            .any(|(_, e)| matches!(cred_user(e), Some((_, Credential::Pap { .. }))))
    );
    // The peer sent an LCP Configure-Nak.
    assert!(!p.sent(Side::Peer, protocol::LCP, 3).is_empty());
}

#[test]
fn wrong_pap_password_fails_on_both_sides() {
    let mut ac = ac_config();
    if let Role::Authenticator(a) = &mut ac.role {
        a.methods = AuthMethods {
            chap_md5: false,
            pap: true,
        };
    }
    let mut p = Pair::new(peer_config(), ac, 4);
    p.verdict = Verdict::Secret(b"other");
    p.open();
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    assert_eq!(p.peer_down(), Some(PppDownReason::AuthFailed));
    assert_eq!(p.ac_down(), Some(PppDownReason::AuthFailed));
    assert!(p.peer_has(
        |e| matches!(e, PppEvent::AuthFailed { message } if message == b"Access denied")
    ));
    assert!(!p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { .. })));
    assert_eq!(p.peer.phase(), Phase::Dead);
}

#[test]
fn wrong_chap_response_fails_on_both_sides() {
    let mut p = Pair::new(peer_config(), ac_config(), 5);
    p.verdict = Verdict::Secret(b"other");
    p.open();
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    assert_eq!(p.peer_down(), Some(PppDownReason::AuthFailed));
    assert_eq!(p.ac_down(), Some(PppDownReason::AuthFailed));
    // CHAP Failure (code 4) was sent.
    assert_eq!(p.sent(Side::Ac, protocol::CHAP, 4).len(), 1);
}

#[test]
fn authenticator_application_never_answers() {
    let mut p = Pair::new(peer_config(), ac_config(), 6);
    p.verdict = Verdict::Silent;
    p.open();
    assert!(p.run_until(secs(120), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    // The peer gives up first (its 30 s run from LCP up); the
    // authenticator's own 30 s for the application would end it otherwise.
    assert_eq!(p.peer_down(), Some(PppDownReason::AuthTimeout));
    assert!(matches!(
        p.ac_down(),
        Some(PppDownReason::PeerTerminated { .. } | PppDownReason::AuthTimeout)
    ));
    assert!(!p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { .. })));
}

#[test]
fn authenticator_gives_up_when_the_application_never_answers() {
    let mut peer = peer_config();
    // A patient peer: its own limit is far away.
    peer.lcp.timers.max_configure = 100;
    let mut p = Pair::new(peer, ac_config(), 6);
    p.verdict = Verdict::Silent;
    p.open();
    assert!(p.run_until(secs(120), |p| p.ac_down().is_some()));
    assert_eq!(p.ac_down(), Some(PppDownReason::AuthTimeout));
}

#[test]
fn pap_peer_retransmits_at_exact_instants_then_gives_up() {
    let mut ac = ac_config();
    if let Role::Authenticator(a) = &mut ac.role {
        a.methods = AuthMethods {
            chap_md5: false,
            pap: true,
        };
    }
    let mut p = Pair::new(peer_config(), ac, 7);
    p.open();
    assert!(p.run_until(secs(5), |p| p.peer.phase() == Phase::Authenticate));
    // From now on the authenticator is silent.
    p.mute = Some(Side::Ac);
    assert!(p.run_until(secs(120), |p| p.peer_down().is_some()));
    let reqs = p.sent(Side::Peer, protocol::PAP, 1);
    assert_eq!(reqs.len(), 10);
    let t0 = reqs[0];
    for (k, t) in reqs.iter().enumerate() {
        assert_eq!(*t, t0 + secs(3 * k as u64));
    }
    assert_eq!(p.peer_down(), Some(PppDownReason::AuthTimeout));
    // Given up at the 10th request + 3 s, then LCP Terminate-Request
    // (2 of them, 3 s apart) before Dead.
    let terms = p.sent(Side::Peer, protocol::LCP, 5);
    assert_eq!(terms, [t0 + secs(30), t0 + secs(33)]);
    let down_at = p
        .peer_events
        .iter()
        .find(|(_, e)| matches!(e, PppEvent::Down { .. }))
        .unwrap()
        .0;
    assert_eq!(down_at, t0 + secs(36));
}

#[test]
fn lcp_configure_request_retransmits_every_3s_until_max_configure() {
    let mut p = Pair::new(peer_config(), ac_config(), 8);
    p.cut = true;
    p.open();
    assert!(p.run_until(secs(60), |p| p.peer_down().is_some()));
    let reqs = p.sent(Side::Peer, protocol::LCP, 1);
    let want: Vec<Instant> = (0..10).map(|k| Instant::from_secs(3 * k)).collect();
    assert_eq!(reqs, want);
    // Identifier kept on retransmission.
    let ids: Vec<u8> = p
        .log
        .iter()
        .filter(|(_, s, f)| *s == Side::Peer && f[..3] == [0xc0, 0x21, 1])
        .map(|(_, _, f)| f[3])
        .collect();
    assert!(ids.iter().all(|&i| i == ids[0]));
    assert_eq!(p.peer_down(), Some(PppDownReason::NegotiationFailed));
    let down_at = p
        .peer_events
        .iter()
        .find(|(_, e)| matches!(e, PppEvent::Down { .. }))
        .unwrap()
        .0;
    assert_eq!(down_at, Instant::from_secs(30));
}

#[test]
fn lcp_terminate_from_the_peer() {
    let mut p = Pair::new(peer_config(), ac_config(), 9);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let t = p.now;
    p.peer.close(p.now);
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    assert_eq!(p.peer_down(), Some(PppDownReason::LocalClose));
    // Our Terminate-Request says why, as pppd's.
    assert_eq!(
        p.ac_down(),
        Some(PppDownReason::PeerTerminated {
            message: "User request".into()
        })
    );
    assert!(p.peer_has(|e| matches!(e, PppEvent::Ipv4Down)));
    assert!(p.ac_has(|e| matches!(e, PppEvent::Ipv6Down)));
    // The closer is Dead after the Terminate-Ack; the other side after one
    // restart interval in Stopping (RFC 1661 zrc).
    let peer_down = p
        .peer_events
        .iter()
        .find(|(_, e)| matches!(e, PppEvent::Down { .. }))
        .unwrap()
        .0;
    let ac_down = p
        .ac_events
        .iter()
        .find(|(_, e)| matches!(e, PppEvent::Down { .. }))
        .unwrap()
        .0;
    assert!(peer_down < t + secs(1));
    assert_eq!(ac_down, t + Duration::from_millis(1) + secs(3));
    assert_eq!(p.peer.phase(), Phase::Dead);
    assert_eq!(p.ac.phase(), Phase::Dead);
}

#[test]
fn lcp_terminate_from_the_authenticator() {
    let mut p = Pair::new(peer_config(), ac_config(), 10);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    p.ac.close(p.now);
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    assert_eq!(p.ac_down(), Some(PppDownReason::LocalClose));
    assert_eq!(
        p.peer_down(),
        Some(PppDownReason::PeerTerminated {
            message: "User request".into()
        })
    );
}

#[test]
fn echoes_are_answered_while_the_link_works() {
    let mut p = Pair::new(peer_config(), ac_config(), 11);
    p.open();
    assert!(p.run_until(secs(100), |p| p.now >= Instant::from_secs(95)));
    assert!(p.peer_down().is_none() && p.ac_down().is_none());
    let reqs = p.sent(Side::Peer, protocol::LCP, 9).len();
    let replies = p.sent(Side::Ac, protocol::LCP, 10).len();
    // (The last step may have sent one more echo whose reply is in flight.)
    assert!(reqs >= 9 && replies + 1 >= reqs, "{reqs} {replies}");
    // Both directions.
    let (reqs, replies) = (
        p.sent(Side::Ac, protocol::LCP, 9).len(),
        p.sent(Side::Peer, protocol::LCP, 10).len(),
    );
    assert!(reqs >= 9 && replies + 1 >= reqs, "{reqs} {replies}");
}

#[test]
fn echo_keepalive_failure_brings_the_link_down() {
    let mut p = Pair::new(peer_config(), ac_config(), 11);
    p.open();
    assert!(p.run_until(secs(5), Pair::both_up));
    let up = p
        .peer_events
        .iter()
        .find(|(_, e)| matches!(e, PppEvent::LinkUp { .. }))
        .unwrap()
        .0;
    // The authenticator dies silently.
    p.mute = Some(Side::Ac);
    assert!(p.run_until(secs(200), |p| p.peer_down().is_some()));
    assert_eq!(p.peer_down(), Some(PppDownReason::EchoTimeout));
    // lcp-echo-interval 10, lcp-echo-failure 3: three unanswered echoes
    // 10 s apart, the link declared dead at the fourth tick; then two
    // Terminate-Requests 3 s apart and Dead.
    let echoes = p.sent(Side::Peer, protocol::LCP, 9);
    assert_eq!(echoes, [up + secs(10), up + secs(20), up + secs(30)]);
    let terms = p.sent(Side::Peer, protocol::LCP, 5);
    assert_eq!(terms, [up + secs(40), up + secs(43)]);
    let down_at = p
        .peer_events
        .iter()
        .find(|(_, e)| matches!(e, PppEvent::Down { .. }))
        .unwrap()
        .0;
    assert_eq!(down_at, up + secs(46));
}

#[test]
fn ipv6cp_protocol_reject_keeps_ipv4_up() {
    let mut ac = ac_config();
    ac.ipv6 = false;
    let mut p = Pair::new(peer_config(), ac, 12);
    p.open();
    assert!(p.run_until(
        secs(10),
        |p| p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { .. }))
            && p.peer_has(|e| matches!(e, PppEvent::ProtocolRejected { protocol: 0x8057 }))
    ));
    assert!(p.run_until(secs(60), |p| p.now >= Instant::from_secs(60)));
    assert!(p.peer_down().is_none() && p.ac_down().is_none());
    assert!(!p.peer_has(|e| matches!(e, PppEvent::Ipv6Up { .. })));
    assert_eq!(p.peer.phase(), Phase::Network);
    assert_eq!(p.peer.ipv6cp_state(), None);
    // Only one IPv6CP Configure-Request went out.
    assert_eq!(p.sent(Side::Peer, protocol::IPV6CP, 1).len(), 1);
}

#[test]
fn ipv6cp_protocol_reject_ends_the_session_when_ipv6_is_required() {
    let mut ac = ac_config();
    ac.ipv6 = false;
    let mut peer = peer_config();
    peer.ipv6_required = true;
    let mut p = Pair::new(peer, ac, 13);
    p.open();
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()));
    assert_eq!(p.peer_down(), Some(PppDownReason::Ipv6Lost));
}

fn ipv6cp_terminate(required: bool) -> Pair {
    let mut peer = peer_config();
    peer.ipv6_required = required;
    let mut p = Pair::new(peer, ac_config(), 14);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    // An IPv6CP Terminate-Request from the concentrator.
    let now = p.now;
    p.peer
        .handle_input(now, &[0x80, 0x57, 5, 0x77, 0, 4])
        .unwrap();
    p.drain();
    let t = p.now;
    p.run_until(secs(60), |p| p.now >= t + secs(20));
    p
}

#[test]
fn ipv6cp_terminate_request_keeps_the_link_up() {
    let p = ipv6cp_terminate(false);
    assert!(p.peer_has(|e| matches!(e, PppEvent::Ipv6Down)));
    assert!(p.peer_down().is_none());
    assert_eq!(p.peer.phase(), Phase::Network);
    assert_eq!(p.peer.ipcp_state(), Some(ppp_proto::fsm::State::Opened));
    // The Terminate-Ack went out.
    assert_eq!(p.sent(Side::Peer, protocol::IPV6CP, 6).len(), 1);
}

#[test]
fn ipv6cp_terminate_request_ends_the_session_when_ipv6_is_required() {
    let p = ipv6cp_terminate(true);
    assert_eq!(p.peer_down(), Some(PppDownReason::Ipv6Lost));
}

#[test]
fn lower_down_reports_down_at_once() {
    let mut p = Pair::new(peer_config(), ac_config(), 15);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let now = p.now;
    p.peer.lower_down(now);
    p.drain();
    assert_eq!(p.peer_down(), Some(PppDownReason::LowerDown));
    assert!(p.peer_has(|e| matches!(e, PppEvent::Ipv4Down)));
    assert_eq!(p.peer.poll_timeout(), None);
}

#[test]
fn looped_back_link_is_detected() {
    // The peer talks to itself.
    let mut s = ppp_proto::PppSession::new(
        peer_config(),
        sansio_primitives::SeededRng::from_u64(16),
        Instant::ZERO,
    );
    let mut now = Instant::ZERO;
    s.open(now);
    let mut down = None;
    for _ in 0..200 {
        while let Some(t) = s.poll_transmit(now) {
            let _ = s.handle_input(now, &t.payload);
        }
        while let Some(e) = s.poll_event() {
            if let PppEvent::Down { reason } = e {
                down = Some(reason);
            }
        }
        if down.is_some() {
            break;
        }
        match s.poll_timeout() {
            Some(t) => now = t,
            None => break,
        }
        s.handle_timeout(now);
    }
    assert_eq!(down, Some(PppDownReason::LoopedBack));
}

#[test]
fn unknown_protocol_gets_protocol_reject_and_garbage_is_counted() {
    let mut p = Pair::new(peer_config(), ac_config(), 17);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let now = p.now;
    // CCP (0x80fd) Configure-Request: Protocol-Reject.
    p.peer.handle_input(now, &[0x80, 0xfd, 1, 1, 0, 4]).unwrap();
    let t = p.peer.poll_transmit(now).unwrap();
    assert_eq!(&t.payload[..3], &[0xc0, 0x21, 8]);
    assert_eq!(&t.payload[6..8], &[0x80, 0xfd]);
    // Garbage is dropped and counted.
    assert!(p.peer.handle_input(now, &[0xc0]).is_err());
    assert!(
        p.peer
            .handle_input(now, &[0xc0, 0x21, 1, 1, 0, 99])
            .is_err()
    );
    assert!(p.peer.handle_input(now, &[0x00, 0x21, 0x45]).is_err());
    assert_eq!(p.peer.counters().total_dropped(), 3);
    // One named count per reason: two malformed frames, one IPv4 datagram.
    assert_eq!(p.peer.counters().malformed, 2);
    assert_eq!(p.peer.counters().not_control, 1);
    assert_eq!(p.peer.phase(), Phase::Network);
    // An unknown LCP code gets a Code-Reject.
    p.peer
        .handle_input(now, &[0xc0, 0x21, 0x42, 1, 0, 4])
        .unwrap();
    let t = p.peer.poll_transmit(now).unwrap();
    assert_eq!(&t.payload[..3], &[0xc0, 0x21, 7]);
}

fn ifids(p: &Pair) -> ((u64, u64), (u64, u64)) {
    let v6 = |evs: &[(Instant, PppEvent)]| {
        evs.iter()
            .rev()
            .find_map(|(_, e)| match e {
                PppEvent::Ipv6Up {
                    local_ifid,
                    peer_ifid,
                } => Some((*local_ifid, *peer_ifid)),
                _ => None,
            })
            .unwrap()
    };
    (v6(&p.peer_events), v6(&p.ac_events))
}

#[test]
fn client_keeps_its_previous_interface_identifier() {
    let mut peer = peer_config();
    if let Role::Peer(c) = &mut peer.role {
        c.ipv6_ifid = Some(0x0211_22ff_fe33_4455);
    }
    let mut p = Pair::new(peer, ac_config(), 18);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let ((pl, pp), (al, ap)) = ifids(&p);
    assert_eq!((pl, pp), (0x0211_22ff_fe33_4455, 1));
    assert_eq!((al, ap), (1, 0x0211_22ff_fe33_4455));
}

/// RFC 3162 §2.2 / RFC 5072 §4.1: the authenticator imposes the peer's
/// identifier (RADIUS Framed-Interface-Id) by Nak'ing the peer's own, a
/// previous one it asks for included; the peer ends with it. Set per
/// session after the session exists, as a NAS learns it from RADIUS.
#[test]
fn an_imposed_interface_identifier_is_what_the_peer_ends_with() {
    const IMPOSED: u64 = 0x0200_5eff_fe00_5301;
    for (seed, previous) in [(20, None), (21, Some(0x0211_22ff_fe33_4455))] {
        let mut peer = peer_config();
        if let Role::Peer(c) = &mut peer.role {
            c.ipv6_ifid = previous;
        }
        let mut p = Pair::new(peer, ac_config(), seed);
        p.ac.set_ipv6_peer_ifid(Some(IMPOSED));
        p.open();
        assert!(p.run_until(secs(10), Pair::both_up));
        let ((pl, pp), (al, ap)) = ifids(&p);
        assert_eq!((pl, pp), (IMPOSED, 1));
        assert_eq!((al, ap), (1, IMPOSED));
        assert!(!p.sent(Side::Ac, protocol::IPV6CP, 3).is_empty(), "a Nak");
    }
    // A peer that never takes the suggestion (pppd without
    // ipv6cp-accept-local; here the AC's Naks are lost): after IMPOSE_NAKS
    // its own is taken and IPv6 comes up.
    let mut p = Pair::new(peer_config(), ac_config(), 22);
    p.ac.set_ipv6_peer_ifid(Some(IMPOSED));
    p.drop_if = Some(Box::new(|_, side, f| {
        side == Side::Ac && f[..3] == [0x80, 0x57, 3]
    }));
    p.open();
    assert!(p.run_until(secs(60), Pair::both_up));
    let ((pl, _), (_, ap)) = ifids(&p);
    assert_eq!(pl, ap);
    assert_ne!(pl, IMPOSED);
    assert_eq!(
        p.sent(Side::Ac, protocol::IPV6CP, 3).len(),
        usize::from(ppp_proto::ipv6cp::IMPOSE_NAKS)
    );

    // Without it the peer's own stands (nothing changes).
    let mut p = Pair::new(peer_config(), ac_config(), 20);
    p.ac.set_ipv6_peer_ifid(None);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let ((pl, _), (_, ap)) = ifids(&p);
    assert_eq!(pl, ap);
    assert_ne!(pl, IMPOSED);
    assert!(p.sent(Side::Ac, protocol::IPV6CP, 3).is_empty());
}

#[test]
fn colliding_interface_identifiers_are_naked_apart() {
    // Both sides want ::1: each Naks the other with a random suggestion.
    let mut peer = peer_config();
    if let Role::Peer(c) = &mut peer.role {
        c.ipv6_ifid = Some(1);
    }
    let mut p = Pair::new(peer, ac_config(), 19);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let ((pl, pp), (al, ap)) = ifids(&p);
    assert_eq!((pl, pp), (ap, al));
    assert_ne!(pl, pp);
    assert!(pl != 0 && pp != 0);
    assert!(
        !p.sent(Side::Peer, protocol::IPV6CP, 3).is_empty()
            || !p.sent(Side::Ac, protocol::IPV6CP, 3).is_empty()
    );
}

#[test]
fn client_hint_is_naked_to_the_assigned_address() {
    let mut peer = peer_config();
    if let Role::Peer(c) = &mut peer.role {
        c.ipv4_hint = Some(std::net::Ipv4Addr::new(192, 0, 2, 99));
    }
    let mut p = Pair::new(peer, ac_config(), 20);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    assert!(p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { local, .. } if *local == PEER_ADDR)));
    // The first IPCP request carried the hint; the AC Nak'd it.
    let first = p
        .log
        .iter()
        .find(|(_, s, f)| *s == Side::Peer && f[..3] == [0x80, 0x21, 1])
        .unwrap();
    assert_eq!(&first.2[6..12], &[3, 6, 192, 0, 2, 99]);
    assert_eq!(p.sent(Side::Ac, protocol::IPCP, 3).len(), 1);
}

#[test]
fn authenticator_without_ipv4_assignment_runs_ipv6_only() {
    let mut ac = ac_config();
    if let Role::Authenticator(a) = &mut ac.role {
        a.ipv4 = None;
    }
    let mut p = Pair::new(peer_config(), ac, 21);
    p.open();
    assert!(p.run_until(
        secs(10),
        |p| p.peer_has(|e| matches!(e, PppEvent::Ipv6Up { .. }))
            && p.peer_has(|e| matches!(e, PppEvent::ProtocolRejected { protocol: 0x8021 }))
    ));
    assert!(p.peer_down().is_none() && p.ac_down().is_none());
    assert!(!p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { .. })));
}

#[test]
fn verdict_without_a_pending_request_is_refused() {
    let mut p = Pair::new(peer_config(), ac_config(), 22);
    let now = p.now;
    assert!(p.ac.accept(now, b"x").is_err());
    assert!(p.peer.accept(now, b"x").is_err());
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let now = p.now;
    assert!(p.ac.reject(now, b"x").is_err());
}

#[test]
fn no_common_authentication_method_fails_cleanly() {
    // The concentrator wants CHAP-MD5 only; the peer accepts PAP only. The
    // peer Naks towards PAP until Max-Failure, then rejects the option.
    let mut ac = ac_config();
    if let Role::Authenticator(a) = &mut ac.role {
        a.methods = AuthMethods {
            chap_md5: true,
            pap: false,
        };
    }
    let mut peer = peer_config();
    if let Role::Peer(c) = &mut peer.role {
        c.accept = AuthMethods {
            chap_md5: false,
            pap: true,
        };
    }
    let mut p = Pair::new(peer, ac, 23);
    p.open();
    assert!(p.run_until(secs(60), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    assert_eq!(p.ac_down(), Some(PppDownReason::AuthRefused));
    assert!(!p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { .. })));
    // Five Naks, then a Reject of Authentication-Protocol.
    assert_eq!(p.sent(Side::Peer, protocol::LCP, 3).len(), 5);
    assert_eq!(p.sent(Side::Peer, protocol::LCP, 4).len(), 1);
}

#[test]
fn no_network_protocol_left_closes_the_link() {
    let mut ac = ac_config();
    ac.ipv6 = false;
    if let Role::Authenticator(a) = &mut ac.role {
        a.ipv4 = None;
    }
    let mut p = Pair::new(peer_config(), ac, 24);
    p.open();
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    assert_eq!(p.ac_down(), Some(PppDownReason::NoNetworkProtocols));
    assert_eq!(
        p.peer_down(),
        Some(PppDownReason::PeerTerminated {
            message: "No network protocols running".into()
        })
    );
}

#[test]
fn an_ncp_that_failed_to_converge_is_negotiated_afresh() {
    // Every IPCP Configure-Ack of the peer is lost for 40 s: the
    // concentrator's IPCP runs out of Max-Configure (10 requests, 30 s)
    // while the peer believes IPCP open. The concentrator restarts IPCP and
    // both sides end up with IPv4.
    let mut p = Pair::new(peer_config(), ac_config(), 25);
    p.drop_if = Some(Box::new(|t, side, f| {
        side == Side::Peer && f[..3] == [0x80, 0x21, 2] && t < Instant::from_secs(40)
    }));
    p.open();
    assert!(p.run_until(secs(120), |p| {
        p.ac_has(|e| matches!(e, PppEvent::Ipv4Up { .. }))
    }));
    assert!(p.peer_down().is_none() && p.ac_down().is_none());
    // The concentrator's first negotiation: 10 requests with one
    // Identifier; then a fresh one with a new Identifier.
    let ids: Vec<u8> = p
        .log
        .iter()
        .filter(|(_, s, f)| *s == Side::Ac && f[..3] == [0x80, 0x21, 1])
        .map(|(_, _, f)| f[3])
        .collect();
    assert!(ids.len() > 10, "{ids:?}");
    assert!(ids[..10].iter().all(|&i| i == ids[0]));
    assert_ne!(ids[10], ids[0]);
    assert!(p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { local, .. } if *local == PEER_ADDR)));
}

/// Some BRAS send no IP-Address of their own in IPCP. The client accepts
/// their request and comes up with its address, naming the peer with
/// pppd's placeholder and flagging it (it used to close IPCP and have no
/// IPv4 at all).
#[test]
fn a_server_without_an_ip_address_still_gives_ipv4() {
    let mut ac = ac_config();
    if let Role::Authenticator(a) = &mut ac.role {
        a.local_ipv4 = std::net::Ipv4Addr::UNSPECIFIED;
    }
    let mut p = Pair::new(peer_config(), ac, 22);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up), "{:?}", p.peer_events);
    // The server's IPCP Configure-Requests carry no IP-Address (type 3).
    let requests: Vec<&Vec<u8>> = p
        .log
        .iter()
        .filter(|(_, s, f)| *s == Side::Ac && f[..3] == [0x80, 0x21, 1])
        .map(|(_, _, f)| f)
        .collect();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|f| f.len() == 6), "{requests:?}");
    assert!(p.peer_has(|e| *e
        == PppEvent::Ipv4Up {
            local: PEER_ADDR,
            peer: ppp_proto::ipcp::PLACEHOLDER_PEER,
            dns: [Some(DNS1), Some(DNS2)],
            peer_assumed: true,
        }));
    assert!(p.ac_has(
        |e| matches!(e, PppEvent::Ipv4Up { peer, peer_assumed: false, .. } if *peer == PEER_ADDR)
    ));
    assert_eq!(p.peer.ipcp_state(), Some(ppp_proto::fsm::State::Opened));
}
