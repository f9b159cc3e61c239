//! The DHCPv6 client's input path: after its Solicit (and, when the first
//! byte says so, an Advertise + Reply that bind it), feed arbitrary
//! datagrams with the current transaction id patched in, some of them
//! behind a valid Reply header (client and server identifiers) so they
//! reach the state machine, and timer ticks (a zero length). Must never
//! panic; a dropped datagram must leave the state unchanged.
#![no_main]

use std::net::Ipv6Addr;

use dhcpv6_proto::client::{Dhcpv6Client, Dhcpv6ClientConfig};
use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, Duid, IaPd, IaPrefix, MessageType};
use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant, SeededRng};

fn me() -> Duid {
    Duid::ethernet([2, 0, 0, 0, 0, 1])
}

fn server() -> Duid {
    Duid::ethernet([2, 0, 0, 0, 0, 2])
}

fn answer(t: MessageType, xid: u32, with_ia: bool) -> ClientMessage {
    let mut m = ClientMessage::new(t, xid);
    m.options.push(Dhcpv6Option::ClientId(me()));
    m.options.push(Dhcpv6Option::ServerId(server()));
    m.options.push(Dhcpv6Option::Preference(255));
    if with_ia {
        m.options.push(Dhcpv6Option::IaPd(IaPd {
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
        }));
    }
    m
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut now = Instant::ZERO;
    let mut cfg = Dhcpv6ClientConfig::new(me());
    cfg.rapid_commit = mode & 4 != 0;
    cfg.accept_reconfigure = mode & 8 != 0;
    cfg.request_address = mode & 16 != 0;
    let mut c = Dhcpv6Client::new(cfg, SeededRng::from_u64(u64::from(mode)), now).unwrap();
    let mut xid = 0;
    let drain = |c: &mut Dhcpv6Client, xid: &mut u32, now| {
        while let Some(t) = c.poll_transmit(now) {
            *xid = ClientMessage::parse(&t.payload)
                .expect("the client emits valid messages")
                .transaction_id;
        }
        while c.poll_event().is_some() {}
    };
    drain(&mut c, &mut xid, now);
    if mode & 1 == 1 {
        let _ = c.handle_input(now, &answer(MessageType::Advertise, xid, true).to_vec());
        drain(&mut c, &mut xid, now);
        if mode & 2 == 2 {
            let _ = c.handle_input(now, &answer(MessageType::Reply, xid, true).to_vec());
            drain(&mut c, &mut xid, now);
        }
    }
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        if len == 0 {
            now += Duration::from_secs(7);
            c.handle_timeout(now);
            drain(&mut c, &mut xid, now);
            continue;
        }
        let raw = &rest[..len.min(rest.len())];
        rest = &rest[raw.len()..];
        let mut frame = if len & 1 == 1 {
            // A valid header, then the fuzz bytes as options.
            let t = if len & 2 == 2 {
                MessageType::Reply
            } else {
                MessageType::Advertise
            };
            let mut f = answer(t, xid, false).to_vec();
            f.extend_from_slice(raw);
            f
        } else {
            raw.to_vec()
        };
        if frame.len() >= 4 {
            frame[1..4].copy_from_slice(&xid.to_be_bytes()[1..]);
        }
        let before = (c.state(), c.binding().cloned(), c.poll_timeout());
        if c.handle_input(now, &frame).is_err() {
            let after = (c.state(), c.binding().cloned(), c.poll_timeout());
            assert_eq!(after, before, "a dropped datagram changed the state");
            assert!(c.poll_event().is_none());
        }
        drain(&mut c, &mut xid, now);
    }
});
