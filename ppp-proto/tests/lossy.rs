//! Peer and authenticator over a link that loses, duplicates and reorders
//! frames (proptest): they reach Ipv4Up + Ipv6Up on both sides, or both
//! report Down, within bounded simulated time; never a panic.

mod common;

use common::*;
use proptest::prelude::*;
use proto_core::Duration;

fn converged(p: &Pair) -> bool {
    p.both_up() || (p.peer_down().is_some() && p.ac_down().is_some())
}

proptest! {
    // 96 cases by default; PROPTEST_CASES overrides (CI soak runs).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn converges_or_fails_cleanly(
        seed in any::<u64>(),
        loss in 0u32..35,
        dup in 0u32..25,
        jitter_ms in 0u64..80,
        pap in any::<bool>(),
    ) {
        let mut ac = ac_config();
        if let (true, ppp_proto::Role::Authenticator(a)) = (pap, &mut ac.role) {
            a.methods.chap_md5 = false;
        }
        let mut p = Pair::new(peer_config(), ac, seed);
        p.impair = Impair { loss, dup, jitter_ms };
        p.open();
        let ok = p.run_until(Duration::from_secs(600), converged);
        prop_assert!(ok, "not converged by {:?}: peer {:?} / ac {:?}", p.now,
            p.peer_events.iter().map(|x| &x.1).collect::<Vec<_>>(),
            p.ac_events.iter().map(|x| &x.1).collect::<Vec<_>>());
        if p.both_up() {
            // Both agree on addresses and identifiers.
            let up4 = |evs: &[(proto_core::Instant, ppp_proto::Event)]| evs.iter().rev().find_map(|(_, e)| match e {
                ppp_proto::Event::Ipv4Up { local, peer, .. } => Some((*local, *peer)),
                _ => None,
            }).unwrap();
            let (pl, pp) = up4(&p.peer_events);
            let (al, ap) = up4(&p.ac_events);
            prop_assert_eq!((pl, pp), (ap, al));
            prop_assert_eq!(pl, PEER_ADDR);
        }
    }

    #[test]
    fn clean_link_always_converges_fast(seed in any::<u64>()) {
        let mut p = Pair::new(peer_config(), ac_config(), seed);
        p.open();
        prop_assert!(p.run_until(Duration::from_secs(1), Pair::both_up));
    }
}

#[test]
fn heavy_loss_converges_in_most_runs() {
    // With 20 % loss each way most runs must still come up (RFC 1661
    // retransmission and CHAP/PAP retries), within two minutes.
    let mut up = 0;
    for seed in 0..100 {
        let mut p = Pair::new(peer_config(), ac_config(), seed);
        p.impair = Impair {
            loss: 20,
            dup: 5,
            jitter_ms: 20,
        };
        p.open();
        if p.run_until(Duration::from_secs(120), Pair::both_up) {
            up += 1;
        }
    }
    assert!(up >= 90, "{up}/100 came up");
}
