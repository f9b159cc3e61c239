//! Memory an access concentrator holds per established session.

mod common;

use common::*;
use sansio_primitives::Duration;

#[test]
fn established_authenticator_session_is_under_2_kib() {
    let mut p = Pair::new(peer_config(), ac_config(), 1);
    p.open();
    assert!(p.run_until(Duration::from_secs(5), Pair::both_up));
    // Drained (as the driver does after every call).
    p.drain();
    let ac = p.ac.memory_footprint();
    let peer = p.peer.memory_footprint();
    eprintln!(
        "size_of::<PppSession>() = {} B; established footprint: authenticator {ac} B, peer {peer} B",
        size_of::<ppp_proto::PppSession>()
    );
    assert!(ac < 2048, "{ac}");
    assert!(peer < 2048, "{peer}");
}

#[test]
fn ten_thousand_authenticator_sessions() {
    use ppp_proto::{PppConfig, PppEvent, PppSession};
    use sansio_primitives::{Instant, SeededRng};
    use std::net::Ipv4Addr;

    // 10,000 concurrent sessions brought up in memory, each against its own
    // in-memory peer (peers are dropped once up); all AC sessions kept.
    let n = 10_000u32;
    let mut rng = SeededRng::from_u64(7);
    let now = Instant::ZERO;
    let start = std::time::Instant::now();
    let mut acs = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut peer = PppSession::new(PppConfig::peer(b"user", b"pass"), rng.fork(), now);
        let mut ac = PppSession::new(
            PppConfig::authenticator(b"lab-ac", Ipv4Addr::new(192, 0, 2, 1)),
            rng.fork(),
            now,
        );
        ac.set_ipv4_assignment(ppp_proto::Ipv4Assignment {
            peer: Ipv4Addr::from(0x0a00_0000 + i),
            dns1: None,
            dns2: None,
        });
        peer.open(now);
        ac.open(now);
        let mut ups = 0;
        for _ in 0..20 {
            while let Some(t) = peer.poll_transmit(now) {
                let _ = ac.handle_input(now, &t.payload);
            }
            while let Some(t) = ac.poll_transmit(now) {
                let _ = peer.handle_input(now, &t.payload);
            }
            while let Some(e) = ac.poll_event() {
                match e {
                    PppEvent::AuthRequest { .. } => ac.accept(now, b"ok").unwrap(),
                    PppEvent::Ipv4Up { .. } | PppEvent::Ipv6Up { .. } => ups += 1,
                    _ => {}
                }
            }
            while peer.poll_event().is_some() {}
            if ups == 2 {
                break;
            }
        }
        assert_eq!(ups, 2, "session {i}");
        acs.push(ac);
    }
    let elapsed = start.elapsed();
    let total: usize = acs.iter().map(PppSession::memory_footprint).sum();
    eprintln!(
        "{n} sessions up in {elapsed:?} ({:.0} sessions/s, this build); authenticator state {} B total, {} B per session",
        f64::from(n) / elapsed.as_secs_f64(),
        total,
        total / n as usize
    );
    assert!(total / (n as usize) < 2048);
}
