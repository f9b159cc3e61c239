//! The advertising router's input path: arbitrary ICMPv6 messages (checksum
//! patched in; the first byte of each frame picks the hop limit and the
//! source), timer ticks and commands. Must never panic; a dropped message
//! must leave the state unchanged; every RA it sends must parse.
#![no_main]

use std::net::Ipv6Addr;

use libfuzzer_sys::fuzz_target;
use ndp_proto::wire::{NdpMessage, icmpv6_checksum};
use ndp_proto::{NdpRouter, NdpRouterConfig};
use sansio_primitives::{Duration, Instant, SeededRng};

const LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

fuzz_target!(|data: &[u8]| {
    let Some((&seed, mut rest)) = data.split_first() else {
        return;
    };
    let mut now = Instant::ZERO;
    let mut c = NdpRouterConfig::new(LL);
    c.min_interval = Duration::from_secs(3);
    c.max_interval = Duration::from_secs(4);
    let mut r = NdpRouter::new(c, SeededRng::from_u64(seed.into()), now).unwrap();
    let drain = |r: &mut NdpRouter, now| {
        while let Some(t) = r.poll_transmit(now) {
            NdpMessage::parse(&t.payload, LL, t.destination).expect("router emits valid RAs");
        }
        while r.poll_event().is_some() {}
    };
    while rest.len() >= 2 {
        let (ctl, len) = (rest[0], usize::from(rest[1]));
        rest = &rest[2..];
        match ctl % 8 {
            0 => {
                now += Duration::from_millis(u64::from(ctl) * 97);
                r.handle_timeout(now);
            }
            1 => {
                let p = Ipv6Addr::new(0x2001, 0xdb8, u16::from(ctl), 0, 0, 0, 0, 0);
                let _ = r.set_delegated_prefix(
                    now,
                    p,
                    48 + ctl % 20,
                    Duration::from_secs(len as u64 * 60),
                    Duration::from_secs(len as u64 * 30),
                );
            }
            2 => {
                let _ = r.withdraw_delegated_prefix(now);
            }
            3 => {
                let _ = r.set_upstream(now, ctl & 16 != 0);
            }
            4 if ctl == 4 => r.shutdown(now),
            _ => {
                let mut frame = rest[..len.min(rest.len())].to_vec();
                rest = &rest[frame.len()..];
                let src = if ctl & 16 != 0 {
                    Ipv6Addr::UNSPECIFIED
                } else {
                    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(ctl))
                };
                if frame.len() >= 4 {
                    let c = icmpv6_checksum(&frame, src, ALL_ROUTERS);
                    frame[2..4].copy_from_slice(&c.to_be_bytes());
                }
                let hop = if ctl & 32 != 0 { ctl } else { 255 };
                let before = (r.poll_timeout(), r.lan_prefix());
                if r.handle_input(now, src, ALL_ROUTERS, hop, &frame).is_err() {
                    assert_eq!((r.poll_timeout(), r.lan_prefix()), before);
                    assert!(r.poll_transmit(now).is_none());
                }
            }
        }
        drain(&mut r, now);
    }
});
