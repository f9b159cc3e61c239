//! Shared by the two PPP session targets: a peer and an authenticator
//! brought up against each other in memory, then arbitrary frames and timer
//! ticks into one of them. Must never panic; a dropped frame leaves the
//! phase, LCP state and timer unchanged; every frame sent parses.

use ppp_proto::wire::chap::ChapPacket;
use ppp_proto::wire::cp::CpPacket;
use ppp_proto::wire::pap::PapPacket;
use ppp_proto::wire::{PppFrame, protocol};
use ppp_proto::{PppConfig, PppEvent, Ipv4Assignment, PppSession};
use sansio_primitives::{Duration, Instant, SeededRng};
use std::net::Ipv4Addr;

fn check_out(s: &mut PppSession, now: Instant) {
    while let Some(t) = s.poll_transmit(now) {
        let f = PppFrame::parse(&t.payload).expect("own frame parses");
        match f.protocol {
            protocol::LCP => assert!(CpPacket::parse(f.payload, true).is_ok()),
            protocol::IPCP | protocol::IPV6CP => assert!(CpPacket::parse(f.payload, false).is_ok()),
            protocol::PAP => assert!(PapPacket::parse(f.payload).is_ok()),
            protocol::CHAP => assert!(ChapPacket::parse(f.payload).is_ok()),
            p => panic!("unexpected protocol {p:#06x}"),
        }
    }
}

fn pair(rng: &mut SeededRng) -> (PppSession, PppSession) {
    let now = Instant::ZERO;
    let peer = PppSession::new(PppConfig::peer(b"user", b"pass"), rng.fork(), now);
    let mut ac_cfg = PppConfig::authenticator(b"ac", Ipv4Addr::new(192, 0, 2, 1));
    if let ppp_proto::Role::Authenticator(a) = &mut ac_cfg.role {
        a.ipv4 = Some(Ipv4Assignment {
            peer: Ipv4Addr::new(192, 0, 2, 10),
            dns1: Some(Ipv4Addr::new(198, 51, 100, 53)),
            dns2: None,
        });
    }
    (peer, PppSession::new(ac_cfg, rng.fork(), now))
}

/// `authenticator`: fuzz the authenticator (else the peer). The first input
/// byte chooses how far the pair gets before the fuzz frames: 0 none (just
/// opened), 1 through LCP, else fully up.
pub fn run(data: &[u8], authenticator: bool) {
    let Some((&mode, mut rest)) = data.split_first() else { return };
    let mut rng = SeededRng::from_u64(u64::from(mode));
    let now = Instant::ZERO;
    let (mut peer, mut ac) = pair(&mut rng);
    peer.open(now);
    ac.open(now);
    let rounds = match mode % 3 {
        0 => 0,
        1 => 2,
        _ => 12,
    };
    for _ in 0..rounds {
        while let Some(t) = peer.poll_transmit(now) {
            let _ = ac.handle_input(now, &t.payload);
        }
        while let Some(t) = ac.poll_transmit(now) {
            let _ = peer.handle_input(now, &t.payload);
        }
        while peer.poll_event().is_some() {}
        while let Some(e) = ac.poll_event() {
            if let PppEvent::AuthRequest { .. } = e {
                let _ = ac.accept(now, b"ok");
            }
        }
    }
    let s = if authenticator { &mut ac } else { &mut peer };
    check_out(s, now);
    let mut now = now;
    // Frames separated by 2-byte big-endian lengths; a zero length ticks the
    // clock by 1.7 s; 0xffff answers a pending authentication request.
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        match len {
            0 => {
                now += Duration::from_millis(1700);
                s.handle_timeout(now);
                // Nothing due is left behind.
                if let Some(t) = s.poll_timeout() {
                    assert!(t > now, "{t:?} <= {now:?}");
                }
            }
            0xffff => {
                let _ = s.accept(now, b"ok");
            }
            _ => {
                let frame = &rest[..len.min(rest.len())];
                rest = &rest[frame.len()..];
                let before = (s.phase(), s.lcp_state(), s.poll_timeout());
                if s.handle_input(now, frame).is_err() {
                    assert_eq!(before, (s.phase(), s.lcp_state(), s.poll_timeout()));
                }
            }
        }
        check_out(s, now);
        while s.poll_event().is_some() {}
    }
}
