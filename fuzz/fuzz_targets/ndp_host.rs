//! The host side's input path: arbitrary ICMPv6 messages (checksum patched
//! in; the control byte picks the hop limit and source), timer ticks and DAD
//! failures. Must never panic; a dropped message must leave everything
//! learned unchanged; the tables never pass their bounds.
#![no_main]

use std::net::Ipv6Addr;

use libfuzzer_sys::fuzz_target;
use ndp_proto::wire::icmpv6_checksum;
use ndp_proto::{NdpHost, NdpHostConfig, NdpSecretKey};
use sansio_primitives::{Duration, Instant, SeededRng};

const ME: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99);
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

fn snapshot(h: &NdpHost) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        h.routers().collect::<Vec<_>>(),
        h.addresses().collect::<Vec<_>>(),
        h.on_link_prefixes().collect::<Vec<_>>(),
        h.dns_servers().collect::<Vec<_>>(),
        h.mtu(),
        h.poll_timeout(),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, mut rest)) = data.split_first() else {
        return;
    };
    let mut now = Instant::ZERO;
    let mut c = NdpHostConfig::new(ME, b"wan0", NdpSecretKey([seed; 32]));
    c.max_routers = 2;
    c.max_prefixes = 3;
    c.max_addresses = 3;
    c.max_neighbours = 4;
    let mut h = NdpHost::new(c, SeededRng::from_u64(seed.into()), now).unwrap();
    while rest.len() >= 2 {
        let (ctl, len) = (rest[0], usize::from(rest[1]));
        rest = &rest[2..];
        match ctl % 8 {
            0 => {
                now += Duration::from_secs(u64::from(ctl) * 17);
                h.handle_timeout(now);
            }
            1 => {
                let a = h.addresses().nth(usize::from(ctl >> 4)).map(|a| a.address);
                if let Some(a) = a {
                    h.dad_failed(now, a).unwrap();
                }
            }
            _ => {
                let mut frame = rest[..len.min(rest.len())].to_vec();
                rest = &rest[frame.len()..];
                let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(ctl >> 3));
                if frame.len() >= 4 {
                    let c = icmpv6_checksum(&frame, src, ALL_NODES);
                    frame[2..4].copy_from_slice(&c.to_be_bytes());
                }
                let hop = if ctl & 128 != 0 { ctl } else { 255 };
                let before = snapshot(&h);
                if h.handle_input(now, src, ALL_NODES, hop, &frame).is_err() {
                    assert_eq!(snapshot(&h), before);
                }
            }
        }
        while h.poll_transmit(now).is_some() {}
        while h.poll_event().is_some() {}
        assert!(h.routers().count() <= 2 && h.addresses().count() <= 3);
        assert!(h.on_link_prefixes().count() <= 3);
    }
});
