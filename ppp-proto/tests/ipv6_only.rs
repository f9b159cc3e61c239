//! An ISP that gives no IPv4 (issue 16): however IPCP fails, IPv6CP alone
//! carries the link (RFC 1661 §3.7: an NCP's failure does not bring LCP
//! down while another NCP runs), and IPCP ends in a state the embedder can
//! read as "no IPv4".

mod common;

use common::*;
use ppp_proto::PppEvent;
use ppp_proto::fsm::State;
use ppp_proto::wire::protocol;
use sansio_primitives::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ipv6_up(p: &Pair) -> bool {
    p.peer_has(|e| matches!(e, PppEvent::Ipv6Up { .. }))
}

/// The AC never answers IPCP: the peer's IPCP runs out of Max-Configure
/// (and its restarts) and stops; the link stays up on IPv6CP.
#[test]
fn an_unanswered_ipcp_stops_and_the_link_stays_up() {
    let mut p = Pair::new(peer_config(), ac_config(), 31);
    p.drop_if = Some(Box::new(|_, side, f| {
        side == Side::Ac && f[..2] == protocol::IPCP.to_be_bytes()
    }));
    p.open();
    assert!(p.run_until(secs(10), ipv6_up));
    assert!(!p.run_until(secs(300), |p| p.peer_down().is_some()));
    assert!(!p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { .. })));
    assert!(matches!(
        p.peer.ipcp_state(),
        Some(State::Stopped | State::Closed)
    ));
    assert_eq!(p.peer.ipv6cp_state(), Some(State::Opened));
}

/// The AC Configure-Rejects IP-Address (and Acks the rest): no address
/// is agreed, so the peer closes IPCP (no Ipv4Up) and keeps the link.
#[test]
fn a_rejected_ip_address_closes_ipcp_and_keeps_the_link() {
    let mut p = Pair::new(peer_config(), ac_config(), 32);
    // The AC's own IPCP frames are not delivered: the test answers the
    // peer's requests itself.
    p.drop_if = Some(Box::new(|_, side, f| {
        side == Side::Ac && f[..2] == protocol::IPCP.to_be_bytes()
    }));
    p.open();
    assert!(p.run_until(secs(10), ipv6_up));
    let last_request = |p: &Pair| {
        p.log
            .iter()
            .rev()
            .find(|(_, s, f)| *s == Side::Peer && f[..3] == [0x80, 0x21, 1])
            .map(|(_, _, f)| f.clone())
            .unwrap()
    };
    // Configure-Reject of the IP-Address option (type 3, 6 octets).
    let req = last_request(&p);
    let opts = &req[6..];
    let addr = opts
        .chunks(6)
        .find(|o| o[0] == 3)
        .expect("IP-Address requested")
        .to_vec();
    let mut rej = vec![0x80, 0x21, 4, req[3], 0, 0];
    rej.extend_from_slice(&addr);
    let len = (rej.len() - 2) as u16;
    rej[4..6].copy_from_slice(&len.to_be_bytes());
    let now = p.now;
    p.peer.handle_input(now, &rej).unwrap();
    p.drain();
    // The next request has no IP-Address: Ack it as it is.
    let req = last_request(&p);
    assert!(!req[6..].chunks(6).any(|o| o[0] == 3), "{req:02x?}");
    let mut ack = req.clone();
    ack[2] = 2;
    let now = p.now;
    p.peer.handle_input(now, &ack).unwrap();
    assert!(!p.run_until(secs(120), |p| p.peer_down().is_some()));
    assert!(!p.peer_has(|e| matches!(e, PppEvent::Ipv4Up { .. })));
    assert!(matches!(
        p.peer.ipcp_state(),
        Some(State::Stopped | State::Closed | State::Closing)
    ));
    assert_eq!(p.peer.ipv6cp_state(), Some(State::Opened));
}
