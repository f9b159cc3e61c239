//! Why a session ended, in the words of whoever ended it: the text of
//! LCP Terminate-Requests, ours and the peer's.

mod common;

use common::*;
use ppp_proto::PppDownReason;
use sansio_primitives::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The text of the other side's Terminate-Request reaches the application
/// (it used to be dropped: the reason was only `PeerTerminated`), and ours
/// carries the text we give.
#[test]
fn terminate_request_texts_are_kept() {
    let mut p = Pair::new(peer_config(), ac_config(), 23);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    p.ac.close_because(p.now, b"Session timeout");
    p.drain();
    let tr = p
        .log
        .iter()
        .find(|(_, s, f)| *s == Side::Ac && f[..3] == [0xc0, 0x21, 5])
        .map(|(_, _, f)| f.clone())
        .unwrap();
    assert_eq!(&tr[6..], b"Session timeout");
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()
        && p.ac_down().is_some()));
    assert_eq!(
        p.peer_down(),
        Some(PppDownReason::PeerTerminated {
            message: "Session timeout".into()
        })
    );
    assert_eq!(p.ac_down(), Some(PppDownReason::LocalClose));
}

/// A peer's text is bounded and decoded lossily: 300 bytes with invalid
/// UTF-8 give the first 128 bytes, the bad byte replaced.
#[test]
fn a_long_or_invalid_terminate_text_is_bounded_and_decoded_lossily() {
    let mut p = Pair::new(peer_config(), ac_config(), 24);
    p.open();
    assert!(p.run_until(secs(10), Pair::both_up));
    let mut text = vec![b'a'; 300];
    text[1] = 0xff;
    let len = (4 + text.len()) as u16;
    let mut frame = vec![0xc0, 0x21, 5, 0x77];
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&text);
    p.peer.handle_input(p.now, &frame).unwrap();
    p.drain();
    assert!(p.run_until(secs(30), |p| p.peer_down().is_some()));
    let mut want = String::from("a\u{fffd}");
    want.push_str(&"a".repeat(126));
    assert_eq!(
        p.peer_down(),
        Some(PppDownReason::PeerTerminated { message: want })
    );
}

/// An authenticator that ends the negotiation with a Terminate-Request
/// ("peer refused to authenticate", as pppd's when only MS-CHAPv2 would
/// do): the peer goes on negotiating as RFC 1661 says, and when that fails
/// its reason is the authenticator's text, not `NegotiationFailed`.
#[test]
fn a_terminate_during_negotiation_is_the_reason_when_it_fails() {
    let mut ac = ac_config();
    ac.lcp.silent = None;
    let mut p = Pair::new(peer_config(), ac, 25);
    p.ac.open(p.now);
    p.ac.close_because(p.now, b"peer refused to authenticate");
    p.peer.open(p.now);
    p.drain();
    assert!(p.run_until(secs(60), |p| p.peer_down().is_some()));
    assert_eq!(
        p.peer_down(),
        Some(PppDownReason::PeerTerminated {
            message: "peer refused to authenticate".into()
        })
    );
}
