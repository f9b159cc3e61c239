//! RFC 4443 §2.4 (f) / RFC 1812 §4.3.2.8: the ICMP errors the SIIT
//! translator generates are held to `icmp_error_rate` by
//! `Siit::translate_at`; one over the limit is a counted drop.

mod common;

use common::*;
use sansio_primitives::{Duration, Instant, RateLimit};
use xlat::{HEADROOM, XlatDropped, XlatOutput};

#[test]
fn generated_icmp_errors_are_rate_limited() {
    let mut x = siit_with(|c| {
        c.icmp_error_source_v6 = Some("2001:db8::1".parse().unwrap());
        c.icmp_error_rate = RateLimit {
            per_second: 2,
            burst: 3,
        };
    });
    // Hop limit 1: each one earns an ICMPv6 Time Exceeded.
    let l4 = udp(Pseudo::V6(H6, S4_V6), 5000, 53, &data(8));
    let pkt = ipv6(0, UDP, 1, H6, S4_V6, &[], &l4);
    let send = |x: &mut xlat::Siit, now: Instant| {
        let mut buf = vec![0; HEADROOM + pkt.len()];
        buf[HEADROOM..].copy_from_slice(&pkt);
        x.translate_at(now, &mut buf, HEADROOM, pkt.len())
    };
    let t0 = Instant::ZERO;
    for _ in 0..3 {
        assert!(matches!(send(&mut x, t0), Ok(XlatOutput::IcmpError { .. })));
    }
    assert_eq!(send(&mut x, t0), Err(XlatDropped::IcmpErrorRateLimited));
    assert_eq!(x.counters().icmp_errors_sent, 3);
    assert_eq!(x.counters().icmp_error_rate_limited, 1);
    // Half a second later one token is back, and only one.
    let t1 = t0 + Duration::from_millis(500);
    assert!(matches!(send(&mut x, t1), Ok(XlatOutput::IcmpError { .. })));
    assert_eq!(send(&mut x, t1), Err(XlatDropped::IcmpErrorRateLimited));
    // Translations themselves are never limited.
    let ok = ipv6(0, UDP, 64, H6, S4_V6, &[], &l4);
    for _ in 0..10 {
        let mut buf = vec![0; HEADROOM + ok.len()];
        buf[HEADROOM..].copy_from_slice(&ok);
        let r = x.translate_at(t1, &mut buf, HEADROOM, ok.len());
        assert!(matches!(r, Ok(XlatOutput::Translated { .. })));
    }
}
