//! The first LCP Configure-Request of each side, when the other side is not
//! listening yet (a kernel-mode pppd client opens its PPP socket after the
//! PADS; rp-pppoe's AC starts its pppd about a second after the PADS): no
//! side waits a whole restart interval (3 s) for the request it lost.

mod common;

use common::*;
use ppp_proto::PppEvent;
use ppp_proto::fsm::FIRST_REPLY_GRACE;
use ppp_proto::wire::protocol;
use sansio_primitives::{Duration, Instant};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn link_up_at(events: &[(Instant, PppEvent)]) -> Option<Instant> {
    events
        .iter()
        .find(|(_, e)| matches!(e, PppEvent::LinkUp { .. }))
        .map(|(t, _)| *t)
}

/// The access concentrator's PPP starts with the PADS, the client's 800 ms
/// later (frames to it before are lost). The concentrator waits for the
/// client's request and answers it at once with its own, so LCP opens one
/// round trip after the client starts (it used to open after the
/// concentrator's restart timer, at 3 s).
#[test]
fn the_authenticator_waits_for_the_clients_first_request() {
    let mut p = Pair::new(peer_config(), ac_config(), 31);
    p.drop_if = Some(Box::new(|t, side, _| side == Side::Ac && t < ms(800)));
    p.ac.open(p.now);
    p.drain();
    p.now = ms(800);
    p.peer.open(p.now);
    p.drain();
    assert!(p.run_until(Duration::from_secs(10), Pair::both_up));
    // Nothing from the concentrator before the client's request arrived.
    let ac_lcp: Vec<Instant> = p.sent(Side::Ac, protocol::LCP, 1);
    assert_eq!(ac_lcp, [ms(801)]);
    assert_eq!(link_up_at(&p.peer_events), Some(ms(802)));
    assert_eq!(link_up_at(&p.ac_events), Some(ms(803)));
    assert_eq!(
        p.peer.counters().total_dropped() + p.ac.counters().total_dropped(),
        0
    );
}

/// A client that never speaks first (pppd's `silent`): after 1 s the
/// concentrator sends its request anyway, and they negotiate.
#[test]
fn a_quiet_client_gets_the_authenticators_request_after_one_second() {
    let mut peer = peer_config();
    peer.lcp.silent = Some(Duration::from_secs(60));
    let mut p = Pair::new(peer, ac_config(), 32);
    p.open();
    assert!(p.run_until(Duration::from_secs(10), Pair::both_up));
    assert_eq!(p.sent(Side::Ac, protocol::LCP, 1), [Instant::from_secs(1)]);
    assert_eq!(p.sent(Side::Peer, protocol::LCP, 1), [ms(1001)]);
    assert_eq!(link_up_at(&p.peer_events), Some(ms(1003)));
}

/// Closing while waiting silently ends the session at once (nothing was
/// sent, nothing to terminate).
#[test]
fn closing_a_silent_authenticator_ends_it() {
    let mut p = Pair::new(peer_config(), ac_config(), 33);
    p.ac.open(p.now);
    p.ac.close(p.now);
    p.drain();
    assert_eq!(p.ac_down(), Some(ppp_proto::PppDownReason::LocalClose));
    assert!(p.log.is_empty());
    assert_eq!(p.ac.poll_timeout(), None);
}

/// Our client dials an access concentrator that starts 1 s late and does
/// not wait (rp-pppoe's pppd): the client's first request is lost. The
/// concentrator's first request tells the client it is there; the client
/// answers it and retransmits its own after FIRST_REPLY_GRACE instead of
/// the full restart interval, so LCP opens at about 1.2 s (it used to open
/// at 3 s).
#[test]
fn a_request_lost_before_the_peer_listened_is_resent_soon() {
    let mut ac = ac_config();
    ac.lcp.silent = None;
    let mut p = Pair::new(peer_config(), ac, 34);
    p.drop_if = Some(Box::new(|t, side, _| side == Side::Peer && t < ms(1000)));
    p.peer.open(p.now);
    p.drain();
    p.now = ms(1000);
    p.ac.open(p.now);
    p.drain();
    assert!(p.run_until(Duration::from_secs(10), Pair::both_up));
    let resend = ms(1001) + FIRST_REPLY_GRACE;
    assert_eq!(p.sent(Side::Peer, protocol::LCP, 1), [ms(0), resend]);
    assert_eq!(
        link_up_at(&p.peer_events),
        Some(resend + Duration::from_millis(2))
    );
    // The retransmission keeps its Identifier and counts as one (Max-
    // Configure still bounds the requests): no request was sent twice at
    // once, nothing was dropped as a duplicate.
    assert_eq!(p.ac.counters().total_dropped(), 0);
    assert_eq!(p.peer.counters().total_dropped(), 0);
}

/// Both sides send their first request at once (they cross): each one's
/// Ack follows the other's request, so nothing is retransmitted and no
/// duplicate is seen.
#[test]
fn crossing_first_requests_are_not_retransmitted() {
    let mut ac = ac_config();
    ac.lcp.silent = None;
    let mut p = Pair::new(peer_config(), ac, 35);
    p.latency = Duration::from_millis(20);
    p.open();
    assert!(p.run_until(Duration::from_secs(10), Pair::both_up));
    assert_eq!(p.sent(Side::Peer, protocol::LCP, 1), [ms(0)]);
    assert_eq!(p.sent(Side::Ac, protocol::LCP, 1), [ms(0)]);
    assert_eq!(link_up_at(&p.peer_events), Some(ms(40)));
    assert_eq!(
        p.peer.counters().total_dropped() + p.ac.counters().total_dropped(),
        0
    );
}
