//! One access concentrator (`AcLink`: PPPoE AC + a PPP authenticator per
//! session) brings up N sessions, each through discovery, LCP, CHAP-MD5,
//! IPCP and IPv6CP against an in-memory home-router link, one after the
//! other; the AC keeps every session. Prints sessions/s and the resident
//! memory the AC holds per established session.
//!
//! `cargo bench -p pppoe-link --bench ac_sessions [-- N]` (N = 10000 by default).

use std::net::Ipv4Addr;
use std::time::Instant as WallClock;

use ppp_proto::{Ipv4Assignment, PppConfig, PppEvent};
use pppoe_link::{AcLink, AcLinkEvent, ClientLink, ClientLinkEvent};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeAcConfig, ac::RateLimit};
use sansio_primitives::{Instant, SeededRng};

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0xac, 0, 0, 0, 1]);

/// Resident set size of this process, from /proc (bytes).
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let now = Instant::ZERO;
    let mut ac_config = PppoeAcConfig::new(AC_MAC, b"bench-ac");
    ac_config.max_sessions = n.min(0xfffe) as u16;
    ac_config.padi_rate_total = RateLimit {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    // All clients share one simulated instant: PADI rate limiting (hashed
    // per-MAC buckets) is not what is measured here.
    ac_config.padi_rate_per_mac = RateLimit {
        per_second: 1_000_000,
        burst: 1_000_000,
    };
    let mut ppp = PppConfig::authenticator(b"bench-ac", Ipv4Addr::new(192, 0, 2, 1));
    // Keepalives would need a clock that moves; sessions here stay idle.
    ppp.lcp.echo_interval = None;
    let mut ac = AcLink::new(ac_config, ppp, SeededRng::from_u64(1), now).unwrap();

    let rss_before = rss();
    let start = WallClock::now();
    let mut frames = 0u64;
    for i in 0..n {
        let mac = EthernetAddress([0x02, 0xc1, 0, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
        let mut peer = PppConfig::peer(b"user", b"secret");
        peer.lcp.echo_interval = None;
        let mut client = ClientLink::new(
            pppoe_proto::PppoeClientConfig::new(mac),
            peer,
            SeededRng::from_u64(i as u64),
            now,
        )
        .unwrap();
        let (mut v4, mut v6) = (false, false);
        // Frames go straight across, in order, until both NCPs are up.
        for _ in 0..200 {
            while let Some(f) = client.poll_transmit(now) {
                frames += 1;
                if let Err(e) = ac.handle_input(now, &f) {
                    eprintln!("session {i}: AC dropped a frame: {e}");
                }
            }
            while let Some(e) = ac.poll_event() {
                if let AcLinkEvent::Ppp {
                    session_id,
                    event: PppEvent::AuthRequest { credential, .. },
                } = e
                {
                    assert!(credential.verify(b"secret"));
                    let host = 10 + i as u32;
                    let ipv4 = Ipv4Assignment {
                        peer: Ipv4Addr::from(0xc000_0200 + host),
                        dns1: None,
                        dns2: None,
                    };
                    ac.accept(now, session_id, Some(ipv4), b"ok").unwrap();
                }
            }
            let mut moved = false;
            while let Some(f) = ac.poll_transmit(now) {
                frames += 1;
                moved = true;
                let _ = client.handle_input(now, &f);
            }
            while let Some(e) = client.poll_event() {
                match e {
                    ClientLinkEvent::Ppp(PppEvent::Ipv4Up { .. }) => v4 = true,
                    ClientLinkEvent::Ppp(PppEvent::Ipv6Up { .. }) => v6 = true,
                    _ => {}
                }
            }
            if v4 && v6 {
                break;
            }
            assert!(moved, "session {i} stalled");
        }
        assert!(v4 && v6, "session {i} did not come up");
        // Let the AC see the last acknowledgements.
        while let Some(f) = client.poll_transmit(now) {
            let _ = ac.handle_input(now, &f);
        }
        while ac.poll_event().is_some() {}
        while ac.poll_transmit(now).is_some() {}
    }
    let elapsed = start.elapsed();
    let rss_after = rss();
    assert_eq!(ac.session_count(), n);
    println!(
        "ac_sessions: {n} sessions up (discovery+LCP+CHAP+IPCP+IPv6CP) in {:.2} s = {:.0} sessions/s, {:.1} frames/session",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        frames as f64 / n as f64
    );
    println!(
        "ac_sessions: resident memory grew {} KiB = {} bytes per established session (target < 2048)",
        rss_after.saturating_sub(rss_before) / 1024,
        rss_after.saturating_sub(rss_before) / n
    );
}
