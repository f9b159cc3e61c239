//! Hostile input: for either machine, any datagram (random, or a valid
//! message with random options appended or one byte changed) is either
//! handled or dropped with the state exactly as it was (no transmit, no
//! event, the same timers, bindings and counters but the drop's own).

use std::net::Ipv6Addr;

use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientConfig};
use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::MemoryBindingStore;
use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, Duid, IaPd, IaPrefix, MessageType};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sansio_primitives::{Instant, SeededRng};

fn me() -> Duid {
    Duid::ethernet([2, 0, 0, 0, 0, 1])
}

fn sid() -> Duid {
    Duid::ethernet([2, 0, 0, 0, 0, 2])
}

fn ia() -> Dhcpv6Option {
    Dhcpv6Option::IaPd(IaPd {
        iaid: 1,
        t1: 10,
        t2: 20,
        options: vec![Dhcpv6Option::IaPrefix(IaPrefix {
            preferred: 30,
            valid: 60,
            prefix_len: 56,
            prefix: Ipv6Addr::new(0x2001, 0xdb8, 0, 0x100, 0, 0, 0, 0),
            options: vec![],
        })],
    })
}

fn answer(t: MessageType, xid: u32) -> ClientMessage {
    let mut m = ClientMessage::new(t, xid);
    m.options.push(Dhcpv6Option::ClientId(me()));
    m.options.push(Dhcpv6Option::ServerId(sid()));
    m.options.push(Dhcpv6Option::Preference(255));
    m.options.push(ia());
    m
}

fn xid_of(c: &mut Dhcpv6Client) -> u32 {
    let mut x = 0;
    while let Some(t) = c.poll_transmit(Instant::ZERO) {
        x = ClientMessage::parse(&t.payload).unwrap().transaction_id;
    }
    while c.poll_event().is_some() {}
    x
}

/// Hostile bytes built around a valid message of type `t`.
fn hostile(base: Vec<u8>, how: u8, extra: Vec<u8>, at: prop::sample::Index, v: u8) -> Vec<u8> {
    let mut b = base;
    match how % 4 {
        0 => b.extend_from_slice(&extra),
        1 => {
            let i = at.index(b.len());
            b[i] = v;
        }
        2 => b = extra,
        _ => {
            // A well-formed Status Code (any code) with a message.
            b.extend_from_slice(&[0, 13, 0, 2 + (extra.len() as u8 & 7), 0, v % 8]);
            b.extend_from_slice(&extra[..usize::from(extra.len() as u8 & 7)]);
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x686f_7374),
        ..ProptestConfig::default()
    })]

    #[test]
    fn client_drops_change_nothing(
        bound in any::<bool>(),
        reply in any::<bool>(),
        how in 0u8..4,
        extra in prop::collection::vec(any::<u8>(), 0..80),
        at in any::<prop::sample::Index>(),
        v in any::<u8>(),
    ) {
        let mut c = Dhcpv6Client::new(Dhcpv6ClientConfig::new(me()), SeededRng::from_u64(1), Instant::ZERO).unwrap();
        let mut xid = xid_of(&mut c);
        if bound {
            c.handle_input(Instant::ZERO, &answer(MessageType::Advertise, xid).to_vec()).unwrap();
            xid = xid_of(&mut c);
            c.handle_input(Instant::ZERO, &answer(MessageType::Reply, xid).to_vec()).unwrap();
            let _ = xid_of(&mut c);
            let t1 = c.poll_timeout().unwrap();
            c.handle_timeout(t1);
            xid = xid_of(&mut c);
        }
        let t = if reply { MessageType::Reply } else { MessageType::Advertise };
        let b = hostile(answer(t, xid).to_vec(), how, extra, at, v);
        let before = (c.state(), c.binding().cloned(), c.poll_timeout(), *c.counters());
        if let Err(d) = c.handle_input(Instant::ZERO, &b) {
            prop_assert!(c.poll_transmit(Instant::ZERO).is_none(), "{d}");
            prop_assert!(c.poll_event().is_none(), "{d}");
            prop_assert_eq!((c.state(), c.binding().cloned(), c.poll_timeout()), (before.0, before.1, before.2));
            let mut k = *c.counters();
            k.received -= 1;
            prop_assert_ne!(k, before.3, "the drop is counted");
        }
    }

    #[test]
    fn server_drops_change_nothing(
        kind in 1u8..12,
        how in 0u8..4,
        who in 0u8..8,
        extra in prop::collection::vec(any::<u8>(), 0..80),
        at in any::<prop::sample::Index>(),
        v in any::<u8>(),
    ) {
        let pool = Dhcpv6PrefixPool::new(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 54, 56);
        let mut cfg = Dhcpv6ServerConfig::new(sid(), vec![pool]);
        cfg.max_bindings = 3;
        cfg.max_advertised = 2;
        let mut s = Dhcpv6Server::new(cfg, Instant::ZERO).unwrap();
        let mut store = MemoryBindingStore::default();
        let src = Dhcpv6ServerSource::new("fe80::1".parse().unwrap(), 1);
        for n in 0..2u8 {
            let mut r = ClientMessage::new(MessageType::Request, 1);
            r.options.push(Dhcpv6Option::ClientId(Duid::ethernet([2, 0, 0, 0, 1, n])));
            r.options.push(Dhcpv6Option::ServerId(sid()));
            r.options.push(ia());
            s.handle_input(Instant::ZERO, src, &r.to_vec()).unwrap();
        }
        s.commit_to(&mut store).unwrap();
        while s.poll_transmit(Instant::ZERO).is_some() {}
        while s.poll_event().is_some() {}
        let mut m = ClientMessage::new(MessageType::from(kind), 7);
        m.options.push(Dhcpv6Option::ClientId(Duid::ethernet([2, 0, 0, 0, 1, who % 4])));
        if who & 4 != 0 {
            m.options.push(Dhcpv6Option::ServerId(sid()));
        }
        m.options.push(ia());
        let b = hostile(m.to_vec(), how, extra, at, v);
        let snap = |s: &Dhcpv6Server| (
            s.bindings().cloned().collect::<Vec<_>>(),
            s.advertised_count(),
            s.pending_bindings().to_vec(),
            s.poll_timeout(),
        );
        let before = snap(&s);
        if s.handle_input(Instant::ZERO, src, &b).is_err() {
            prop_assert_eq!(snap(&s), before);
            s.commit();
            prop_assert!(s.poll_transmit(Instant::ZERO).is_none());
            prop_assert!(s.poll_event().is_none());
        }
        prop_assert!(s.bindings().count() <= 3 && s.advertised_count() <= 2);
    }
}
