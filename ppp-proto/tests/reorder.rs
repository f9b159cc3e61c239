//! A peer and an authenticator over a link that duplicates and reorders,
//! driven frame by frame: the orderings that once broke authentication.

mod common;

use common::*;
use ppp_proto::Phase;
use ppp_proto::PppEvent;
use ppp_proto::wire::protocol;
use sansio_primitives::Instant;

/// Frames in flight between a peer and an authenticator, delivered by hand.
#[derive(Default)]
struct Wire {
    to_ac: Vec<Vec<u8>>,
    to_peer: Vec<Vec<u8>>,
}

impl Wire {
    fn collect(&mut self, p: &mut Pair) {
        while let Some(t) = p.peer.poll_transmit(p.now) {
            self.to_ac.push(t.payload);
        }
        while let Some(t) = p.ac.poll_transmit(p.now) {
            self.to_peer.push(t.payload);
        }
        while let Some(e) = p.peer.poll_event() {
            p.peer_events.push((p.now, e));
        }
        while let Some(e) = p.ac.poll_event() {
            if let PppEvent::AuthRequest { credential, .. } = &e {
                let ok = credential.verify(PASS);
                assert!(ok, "the current Response is right");
                p.ac.accept(p.now, b"ok").unwrap();
            }
            p.ac_events.push((p.now, e));
        }
        while let Some(t) = p.ac.poll_transmit(p.now) {
            self.to_peer.push(t.payload);
        }
    }

    /// Delivers everything in order, except CHAP Challenges, which are
    /// held and returned; until nothing moves.
    fn run(&mut self, p: &mut Pair) -> Vec<Vec<u8>> {
        let mut held = Vec::new();
        loop {
            self.collect(p);
            if self.to_ac.is_empty() && self.to_peer.is_empty() {
                return held;
            }
            for f in std::mem::take(&mut self.to_ac) {
                let _ = p.ac.handle_input(p.now, &f);
            }
            for f in std::mem::take(&mut self.to_peer) {
                if f[..2] == protocol::CHAP.to_be_bytes() && f[2] == 1 {
                    held.push(f);
                } else {
                    let _ = p.peer.handle_input(p.now, &f);
                }
            }
        }
    }
}

/// A duplicated LCP Configure-Request renegotiates LCP after it opened
/// (RFC 1661: RCR in Opened), so the authenticator challenges twice; the
/// first Challenge, delayed, reaches the peer after the second. The peer
/// answers both, and the Success for the current one completes the
/// authentication (it used to be dropped for not naming the peer's last
/// Response, and the peer ended in AuthTimeout while the authenticator had
/// moved on to the Network phase).
#[test]
fn a_stale_challenge_answered_last_does_not_block_authentication() {
    let mut p = Pair::new(peer_config(), ac_config(), 21);
    let mut w = Wire::default();
    p.ac.open(p.now);
    p.peer.open(p.now);
    // The peer's first Configure-Request, to replay later.
    w.collect(&mut p);
    let peer_cr = w.to_ac[0].clone();
    assert_eq!(peer_cr[..3], [0xc0, 0x21, 1]);
    let first = w.run(&mut p);
    assert_eq!(first.len(), 1, "one Challenge after LCP opened");
    assert_eq!(p.peer.phase(), Phase::Authenticate);
    // The duplicate reaches the authenticator: LCP renegotiates, a new
    // Challenge follows.
    let _ = p.ac.handle_input(p.now, &peer_cr);
    let second = w.run(&mut p);
    assert_eq!(second.len(), 1, "one Challenge after LCP reopened");
    assert_ne!(first[0][3], second[0][3], "distinct Identifiers");
    let link_ups = |evs: &[(Instant, PppEvent)]| {
        evs.iter()
            .filter(|(_, e)| matches!(e, PppEvent::LinkUp { .. }))
            .count()
    };
    assert_eq!((link_ups(&p.peer_events), link_ups(&p.ac_events)), (2, 2));
    // The current Challenge, then the stale one.
    for c in [&second[0], &first[0]] {
        p.peer.handle_input(p.now, c).unwrap();
    }
    assert!(w.run(&mut p).is_empty());
    assert!(p.peer_has(|e| matches!(e, PppEvent::AuthSucceeded { .. })));
    assert!(p.both_up(), "{:?}", p.peer_events);
    assert_eq!(p.peer.phase(), Phase::Network);
    // The only drops: the authenticator's Ack of the replayed request, and
    // the Response to the stale Challenge.
    assert_eq!(p.peer.counters().total_dropped(), 1);
    assert_eq!(p.ac.counters().total_dropped(), 1);
}
