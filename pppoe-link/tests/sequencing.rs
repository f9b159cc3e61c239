//! The order of the two layers: PPP starts on PPPoE's SessionUp without
//! losing the peer's first LCP request, and PPP's end releases the PPPoE
//! session.

mod common;

use common::{From, Pair, lcp_request_mru};
use ppp_proto::{PppDownReason, PppEvent};
use pppoe_link::{AcLinkEvent, ClientLinkEvent};
use pppoe_proto::{PppoeAcEvent, PppoeClientEvent};

#[test]
fn first_lcp_requests_are_never_lost_so_no_timer_is_needed() {
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    // Discovery, LCP, CHAP and IPCP all at time zero: no retransmission.
    assert_eq!(pair.now, sansio_primitives::Instant::ZERO);
    for from in [From::Home, From::Ac] {
        let requests = pair
            .frames
            .iter()
            .filter(|(f, fr)| *f == from && lcp_request_mru(fr).is_some());
        assert_eq!(requests.count(), 1, "{from:?}");
    }
    // The AC reports SessionUp before the session's first PPP event.
    let up = pair
        .ac_events
        .iter()
        .position(|e| matches!(e, AcLinkEvent::Pppoe(PppoeAcEvent::SessionUp { .. })));
    let ppp = pair
        .ac_events
        .iter()
        .position(|e| matches!(e, AcLinkEvent::Ppp { .. }));
    assert!(up.unwrap() < ppp.unwrap());
}

#[test]
fn hang_up_ends_ppp_then_pppoe_on_both_sides() {
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    pair.home.close(pair.now);
    for _ in 0..20 {
        pair.exchange();
    }
    // Home: PPP Down, then PPPoE SessionDown (its PADT).
    let down = pair
        .home_events
        .iter()
        .position(|e| matches!(e, ClientLinkEvent::Ppp(PppEvent::Down { .. })));
    let padt = pair.home_events.iter().position(|e| {
        matches!(
            e,
            ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. })
        )
    });
    assert!(down.unwrap() < padt.unwrap(), "{:?}", pair.home_events);
    assert!(
        pair.frames
            .iter()
            .any(|(f, fr)| *f == From::Home && fr[12..14] == [0x88, 0x63] && fr[15] == 0xa7)
    );
    // AC: the session is gone, its PPP ended with the peer's Terminate.
    assert_eq!(pair.ac.session_count(), 0);
    assert!(pair.ac_events.iter().any(|e| matches!(
        e,
        AcLinkEvent::Ppp {
            event: PppEvent::Down { .. },
            ..
        }
    )));
}

#[test]
fn padt_from_the_host_is_reported_before_lower_down() {
    let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
    let mut pair = Pair::new(home_pppoe, home_ppp, ac, ac_ppp);
    assert!(pair.dial());
    // The home router's PADT without LCP Terminate (e.g. pppd killed):
    // take the PADT the home link sends when its PPPoE client is closed.
    let mut other = {
        let (home_pppoe, home_ppp, ac, ac_ppp) = Pair::configs();
        Pair::new(home_pppoe, home_ppp, ac, ac_ppp)
    };
    assert!(other.dial());
    other.home.close(other.now);
    for _ in 0..20 {
        other.exchange();
    }
    let padt = other
        .frames
        .iter()
        .find(|(f, fr)| *f == From::Home && fr[15] == 0xa7)
        .unwrap()
        .1
        .clone();
    let before = pair.ac_events.len();
    pair.ac.handle_input(pair.now, &padt).unwrap();
    pair.exchange();
    let after = &pair.ac_events[before..];
    let session_down = after
        .iter()
        .position(|e| matches!(e, AcLinkEvent::Pppoe(PppoeAcEvent::SessionDown { .. })));
    let lower_down = after.iter().position(|e| {
        matches!(
            e,
            AcLinkEvent::Ppp {
                event: PppEvent::Down {
                    reason: PppDownReason::LowerDown,
                    ..
                },
                ..
            }
        )
    });
    assert!(session_down.unwrap() < lower_down.unwrap(), "{after:?}");
    assert_eq!(pair.ac.session_count(), 0);
}
