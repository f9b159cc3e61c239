//! The DHCPv4 server's input path: a few valid exchanges first (so leases
//! and offers exist), then arbitrary datagrams separated by 2-byte lengths
//! (a zero length advances the clock). Must never panic; a dropped datagram
//! must leave leases, offers and pending writes unchanged; bounds hold.
#![no_main]

use std::net::Ipv4Addr;

use dhcpv4_proto::lease::MemoryStore;
use dhcpv4_proto::server::{Dhcpv4PoolConfig, Dhcpv4Server, Dhcpv4ServerConfig};
use dhcpv4_proto::wire::{DhcpOption, Message, MessageType, Op};
use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant};

const SID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn snapshot(s: &Dhcpv4Server) -> (Vec<String>, usize, usize) {
    (
        s.leases().map(|l| format!("{l:?}")).collect(),
        s.offer_count(),
        s.pending_leases().len(),
    )
}

fuzz_target!(|data: &[u8]| {
    let mut pool = Dhcpv4PoolConfig::new(
        1,
        Ipv4Addr::new(192, 0, 2, 0),
        28,
        Ipv4Addr::new(192, 0, 2, 2),
        Ipv4Addr::new(192, 0, 2, 14),
        Some(SID),
    );
    pool.max_leases = 8;
    pool.domain = Some(b"example".to_vec());
    let mut cfg = Dhcpv4ServerConfig::new(SID, vec![pool]);
    cfg.max_offers = 4;
    let mut s = Dhcpv4Server::new(cfg, Instant::ZERO).unwrap();
    let mut store = MemoryStore::default();
    let mut now = Instant::ZERO;
    for n in 0..3u8 {
        let mut d = Message::new(
            Op::BootRequest,
            MessageType::Discover,
            u32::from(n),
            [2, 0, 0, 0, 0, n],
        );
        let _ = s.handle_input(now, 1, &d.to_vec());
        s.commit_to(&mut store).unwrap();
        if let Some(t) = s.poll_transmit(now) {
            let offer = Message::parse(&t.payload).unwrap();
            d.message_type = MessageType::Request;
            d.options.push(DhcpOption::ServerIdentifier(SID));
            d.options.push(DhcpOption::RequestedIpAddress(offer.yiaddr));
            let _ = s.handle_input(now, 1, &d.to_vec());
            s.commit_to(&mut store).unwrap();
        }
        while s.poll_transmit(now).is_some() {}
        while s.poll_event().is_some() {}
    }
    let mut rest = data;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        if len == 0 {
            now += Duration::from_secs(7);
            s.handle_timeout(now);
            continue;
        }
        let frame = &rest[..len.min(rest.len())];
        rest = &rest[frame.len()..];
        let before = snapshot(&s);
        if s.handle_input(now, 1 + u32::from(len as u8 & 1), frame)
            .is_err()
        {
            assert_eq!(snapshot(&s), before, "a dropped datagram changed the state");
        }
        s.commit_to(&mut store).unwrap();
        while s.poll_transmit(now).is_some() {}
        while s.poll_event().is_some() {}
        assert!(s.offer_count() <= 4);
        assert!(s.leases().count() <= 8);
    }
});
