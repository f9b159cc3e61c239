//! A home router (the PPP peer) and an access concentrator (the
//! authenticator) back to back in memory: LCP, CHAP-MD5 checked against a
//! local user table, then IPCP hands the peer its IPv4 address and DNS
//! servers, and IPv6CP agrees on interface identifiers.
//!
//! `cargo run --example ipcp_up`

use std::net::Ipv4Addr;

use ppp_proto::{Credential, Ipv4Assignment, PppConfig, PppEvent, PppSession};
use sansio_primitives::{Instant, SeededRng};

fn main() {
    let now = Instant::ZERO;
    // Each session owns its generator (Magic-Numbers, CHAP challenges).
    let mut rng = SeededRng::from_u64(1);
    let peer_config = PppConfig::peer(b"alice", b"wonderland");
    let mut peer = PppSession::new(peer_config, rng.fork(), now);
    let ac_config = PppConfig::authenticator(b"example-ac", Ipv4Addr::new(192, 0, 2, 1));
    let mut ac = PppSession::new(ac_config, rng.fork(), now);
    ac.set_ipv4_assignment(Ipv4Assignment {
        peer: Ipv4Addr::new(192, 0, 2, 10),
        dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
        dns2: None,
    });
    peer.open(now);
    ac.open(now);

    let (mut frames, mut peer_v4, mut ac_v4) = (0, None, false);
    // Each round trip settles one step; 20 rounds bound a stuck negotiation.
    for _ in 0..20 {
        while let Some(t) = peer.poll_transmit(now) {
            frames += 1;
            // A frame the other side drops is counted there; go on.
            let _ = ac.handle_input(now, &t.payload);
        }
        while let Some(t) = ac.poll_transmit(now) {
            frames += 1;
            let _ = peer.handle_input(now, &t.payload);
        }
        while let Some(e) = ac.poll_event() {
            match e {
                PppEvent::AuthRequest { user, credential } => {
                    // A local user table; a BNG would ask RADIUS here.
                    let ok = user == b"alice" && credential.verify(b"wonderland");
                    let method = match credential {
                        Credential::ChapMd5 { .. } => "CHAP-MD5",
                        _ => "PAP",
                    };
                    println!("AC: {} by {method}: {ok}", String::from_utf8_lossy(&user));
                    if ok {
                        ac.accept(now, b"welcome").expect("a pending request");
                    } else {
                        ac.reject(now, b"denied").expect("a pending request");
                    }
                }
                PppEvent::Ipv4Up { .. } => {
                    ac_v4 = true;
                    println!("AC: {e:?}");
                }
                other => println!("AC: {other:?}"),
            }
        }
        while let Some(e) = peer.poll_event() {
            if let PppEvent::Ipv4Up { local, dns, .. } = e {
                peer_v4 = Some((local, dns));
            }
            println!("peer: {e:?}");
        }
        if peer_v4.is_some() && ac_v4 {
            break;
        }
    }
    let (local, dns) = peer_v4.expect("IPCP reaches Opened");
    assert_eq!(local, Ipv4Addr::new(192, 0, 2, 10));
    assert_eq!(dns[0], Some(Ipv4Addr::new(198, 51, 100, 53)));
    println!(
        "IPv4 up after {frames} PPP frames: {local}, DNS {:?}",
        dns[0].unwrap()
    );
}
