//! The DHCPv6 server's input path: a few valid exchanges first (so
//! bindings and advertised prefixes exist), then arbitrary datagrams
//! separated by 2-byte lengths (a zero length advances the clock), half of
//! them behind a valid client header. Must never panic; a dropped datagram
//! must leave bindings, advertises and pending writes unchanged; bounds
//! hold.
#![no_main]

use std::net::Ipv6Addr;

use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::MemoryBindingStore;
use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, Duid, IaPd, MessageType};
use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant};

fn sid() -> Duid {
    Duid::ethernet([2, 0, 0, 0, 0, 0xaa])
}

fn snapshot(s: &Dhcpv6Server) -> (Vec<String>, usize, usize) {
    (
        s.bindings().map(|b| format!("{b:?}")).collect(),
        s.advertised_count(),
        s.pending_bindings().len(),
    )
}

fn request(t: MessageType, n: u8) -> ClientMessage {
    let mut m = ClientMessage::new(t, u32::from(n));
    m.options
        .push(Dhcpv6Option::ClientId(Duid::ethernet([2, 0, 0, 0, 1, n])));
    if t != MessageType::Solicit {
        m.options.push(Dhcpv6Option::ServerId(sid()));
    }
    m.options.push(Dhcpv6Option::IaPd(IaPd {
        iaid: 1,
        t1: 0,
        t2: 0,
        options: vec![],
    }));
    m
}

fuzz_target!(|data: &[u8]| {
    let pool = Dhcpv6PrefixPool::new(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 53, 56);
    let mut cfg = Dhcpv6ServerConfig::new(sid(), vec![pool]);
    cfg.max_advertised = 4;
    cfg.max_bindings = 6;
    cfg.valid = 60;
    cfg.preferred = 30;
    cfg.t1 = 10;
    cfg.t2 = 20;
    let mut s = Dhcpv6Server::new(cfg, Instant::ZERO).unwrap();
    let mut store = MemoryBindingStore::default();
    let mut now = Instant::ZERO;
    let src = Dhcpv6ServerSource::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1), 1);
    for n in 0..3u8 {
        let _ = s.handle_input(now, src, &request(MessageType::Solicit, n).to_vec());
        let _ = s.handle_input(now, src, &request(MessageType::Request, n).to_vec());
        s.commit_to(&mut store).unwrap();
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
        let raw = &rest[..len.min(rest.len())];
        rest = &rest[raw.len()..];
        let frame = if len & 1 == 1 {
            let t = MessageType::from((len >> 1) as u8 % 12);
            let mut f = request(t, (len >> 5) as u8 % 8).to_vec();
            f.extend_from_slice(raw);
            f
        } else {
            raw.to_vec()
        };
        let mut from = src;
        from.link = Some(len as u64 % 3);
        let before = snapshot(&s);
        if s.handle_input(now, from, &frame).is_err() {
            assert_eq!(snapshot(&s), before, "a dropped datagram changed the state");
        }
        s.commit_to(&mut store).unwrap();
        while s.poll_transmit(now).is_some() {}
        while s.poll_event().is_some() {}
        assert!(s.advertised_count() <= 4);
        assert!(s.bindings().count() <= 6);
    }
});
