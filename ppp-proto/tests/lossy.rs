//! Peer and authenticator over a link that loses, duplicates and reorders
//! frames (proptest): they reach Ipv4Up + Ipv6Up on both sides, or both
//! report Down, within bounded simulated time; never a panic.

mod common;

use common::*;
use proptest::prelude::*;
use sansio_primitives::Duration;

fn converged(p: &Pair) -> bool {
    p.both_up() || (p.peer_down().is_some() && p.ac_down().is_some())
}

/// The property: over any impairment both sides reach Ipv4Up + Ipv6Up, or
/// both report Down, within bounded simulated time; when up, they agree.
fn converges_or_fails_cleanly(
    seed: u64,
    loss: u32,
    dup: u32,
    jitter_ms: u64,
    pap: bool,
) -> Result<(), TestCaseError> {
    let mut ac = ac_config();
    if let (true, ppp_proto::Role::Authenticator(a)) = (pap, &mut ac.role) {
        a.methods.chap_md5 = false;
    }
    let mut p = Pair::new(peer_config(), ac, seed);
    p.impair = Impair {
        loss,
        dup,
        jitter_ms,
    };
    p.open();
    let ok = p.run_until(Duration::from_secs(600), converged);
    prop_assert!(
        ok,
        "not converged by {:?}: peer {:?} / ac {:?}",
        p.now,
        p.peer_events.iter().map(|x| &x.1).collect::<Vec<_>>(),
        p.ac_events.iter().map(|x| &x.1).collect::<Vec<_>>()
    );
    if p.both_up() {
        // Both agree on addresses and identifiers.
        let up4 = |evs: &[(sansio_primitives::Instant, ppp_proto::PppEvent)]| {
            evs.iter()
                .rev()
                .find_map(|(_, e)| match e {
                    ppp_proto::PppEvent::Ipv4Up { local, peer, .. } => Some((*local, *peer)),
                    _ => None,
                })
                .unwrap()
        };
        let (pl, pp) = up4(&p.peer_events);
        let (al, ap) = up4(&p.ac_events);
        prop_assert_eq!((pl, pp), (ap, al));
        prop_assert_eq!(pl, PEER_ADDR);
    }
    Ok(())
}

/// Cases that once failed (formerly in `lossy.proptest-regressions`).
#[test]
fn converges_or_fails_cleanly_regressions() {
    for (seed, loss, dup, jitter_ms, pap) in [
        (16227231819602899126, 8, 1, 14, false),
        (13090069012462080964, 30, 14, 61, true),
        (4769020003014162814, 23, 12, 1, true),
    ] {
        converges_or_fails_cleanly(seed, loss, dup, jitter_ms, pap).unwrap();
    }
}

proptest! {
    // 96 cases by default; PROPTEST_CASES overrides (CI soak runs). A fixed
    // seed: the same cases on every run, so a failure reproduces (save it in
    // the regressions above); nothing is written into the source tree.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x1c9_1661),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn converges_or_fails_cleanly_prop(
        seed in any::<u64>(),
        loss in 0u32..35,
        dup in 0u32..25,
        jitter_ms in 0u64..80,
        pap in any::<bool>(),
    ) {
        converges_or_fails_cleanly(seed, loss, dup, jitter_ms, pap)?;
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
