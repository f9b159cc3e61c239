//! The bng's whole control path, `AcLink` (PPPoE AC + one PPP authenticator
//! per session + the timer heap): a well-behaved router first brings one
//! session up, then arbitrary frames, PPP packets inside the live session,
//! auth verdicts and clock steps follow. Must never panic, never exceed the
//! session bound, and only emit PPPoE frames.
#![no_main]

use std::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use ppp_proto::{PppConfig, PppEvent, Ipv4Assignment};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeAcConfig, PppoeClientConfig};
use sansio_primitives::{Duration, Instant, SeededRng};
use pppoe_link::{AcLink, AcLinkEvent, ClientLink};

const AC_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 0xac]);
const MAX_SESSIONS: usize = 3;

/// Answers the AC's events as the bng would: every user but "bad" is
/// accepted with an address.
fn answer(ac: &mut AcLink, now: Instant, accept: bool) {
    while let Some(e) = ac.poll_event() {
        if let AcLinkEvent::Ppp { session_id, event: PppEvent::AuthRequest { user, .. } } = e {
            if accept && user != b"bad" {
                let a = Ipv4Assignment {
                    peer: Ipv4Addr::new(192, 0, 2, 10),
                    dns1: None,
                    dns2: None,
                };
                let _ = ac.accept(now, session_id, Some(a), b"ok");
            } else {
                let _ = ac.reject(now, session_id, b"no");
            }
        }
    }
}

fn is_pppoe(frame: &[u8]) -> bool {
    matches!(frame.get(12..14), Some([0x88, 0x63 | 0x64]))
}

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::ZERO;
    let mut ac_cfg = PppoeAcConfig::new(AC_MAC, b"ac");
    ac_cfg.max_sessions = MAX_SESSIONS as u16;
    let mut ppp = PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1));
    if let ppp_proto::Role::Authenticator(a) = &mut ppp.role {
        a.ipv6_ifid = Some(1);
    }
    let mut ac = AcLink::new(ac_cfg, ppp, SeededRng::from_u64(1), now).unwrap();
    let mut router = ClientLink::new(
        PppoeClientConfig::new(EthernetAddress([2, 0, 0, 0, 0, 1])),
        PppConfig::peer(b"user", b"pass"),
        SeededRng::from_u64(2),
        now,
    )
    .unwrap();
    // Bring one session up, so the fuzzer starts inside it.
    for _ in 0..64 {
        let mut moved = false;
        while let Some(f) = router.poll_transmit(now) {
            let _ = ac.handle_input(now, &f);
            moved = true;
        }
        answer(&mut ac, now, true);
        while let Some(f) = ac.poll_transmit(now) {
            let _ = router.handle_input(now, &f);
            moved = true;
        }
        while router.poll_event().is_some() {}
        if !moved {
            break;
        }
    }

    let mut rest = data;
    let mut out = [0u8; 1600];
    while let Some((&op, tail)) = rest.split_first() {
        let len = usize::from(tail.first().copied().unwrap_or(0));
        let chunk = tail.get(1..).unwrap_or(&[]);
        let chunk = &chunk[..len.min(chunk.len())];
        rest = &tail[(1 + chunk.len()).min(tail.len())..];
        match op % 4 {
            // A whole frame from the wire.
            0 => {
                let _ = ac.handle_input(now, chunk);
            }
            // A PPP packet (protocol field first) inside the router's
            // session, so LCP/auth/NCP parsing is reached.
            1 if chunk.len() >= 2 => {
                let protocol = u16::from_be_bytes([chunk[0], chunk[1]]);
                if let Ok(n) = router.encapsulate_data(protocol, &chunk[2..], &mut out) {
                    let _ = ac.handle_input(now, &out[..n]);
                }
            }
            // Time passes.
            2 => {
                now += Duration::from_millis(u64::from(op) * 97);
                ac.handle_timeout(now);
            }
            _ => {
                let _ = ac.close(now, u16::from(op));
            }
        }
        answer(&mut ac, now, op & 0x80 == 0);
        assert!(ac.session_count() <= MAX_SESSIONS);
        if let Some(t) = ac.poll_timeout() {
            // Timers are never lost: a due timer runs when asked.
            if t <= now {
                ac.handle_timeout(now);
                answer(&mut ac, now, true);
            }
        }
        while let Some(f) = ac.poll_transmit(now) {
            assert!(is_pppoe(&f), "non-PPPoE frame emitted");
        }
    }
});
