//! The PPPoE client's input path: after a PADI (and, when the input starts
//! with a set bit, after a valid PADO that moved it to Requesting), feed
//! arbitrary frames and timer ticks. Must never panic; a dropped frame must
//! leave the state unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{PppoeClient, PppoeClientConfig};
use sansio_primitives::{Duration, Instant, SeededRng};

const ME: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 1]);
const AC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 2]);

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut cfg = PppoeClientConfig::new(ME);
    cfg.ppp_max_payload = Some(1500);
    let mut now = Instant::ZERO;
    let mut c = PppoeClient::new(cfg, SeededRng::from_u64(1), now).unwrap();
    while c.poll_transmit(now).is_some() {}
    if mode & 1 == 1 {
        let hu = c.host_uniq().to_vec();
        let mut p = DiscoveryRepr::new(Code::Pado, 0);
        p.push(Tag::AcName(b"ac")).unwrap();
        p.push(Tag::ServiceName(b"")).unwrap();
        p.push(Tag::HostUniq(&hu)).unwrap();
        p.push(Tag::AcCookie(b"cookie")).unwrap();
        let pado = DiscoveryFrame::new(EthernetRepr::discovery(ME, AC), p).to_vec();
        c.handle_input(now, &pado).unwrap();
    }
    // Frames separated by 2-byte big-endian lengths; a zero length ticks the clock.
    let mut rest = rest;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        if len == 0 {
            now += Duration::from_millis(700);
            c.handle_timeout(now);
        } else {
            let frame = &rest[..len.min(rest.len())];
            rest = &rest[frame.len()..];
            let before = (c.state(), c.poll_timeout());
            if c.handle_input(now, frame).is_err() {
                assert_eq!(before, (c.state(), c.poll_timeout()));
            }
        }
        while let Some(t) = c.poll_transmit(now) {
            assert!(DiscoveryFrame::parse(&t.payload).is_ok());
        }
        while c.poll_event().is_some() {}
    }
});
