//! The DHCPv4 client's input path: after its DISCOVER (and, when the input
//! starts with a set bit, a valid OFFER that moves it to REQUESTING, or an
//! OFFER and ACK that bind it), feed arbitrary datagrams, with the current
//! xid and our MAC patched in when long enough so they reach the state
//! machine, and timer ticks (a zero length). Must never panic; a dropped
//! datagram must leave the state unchanged.
#![no_main]

use std::net::Ipv4Addr;

use dhcpv4_proto::client::{Dhcpv4Client, Dhcpv4ClientConfig};
use dhcpv4_proto::wire::{DhcpOption, Message, MessageType, Op};
use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant, SeededRng};

const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const SID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn reply(xid: u32, t: MessageType) -> Vec<u8> {
    let mut m = Message::new(Op::BootReply, t, xid, MAC);
    m.yiaddr = Ipv4Addr::new(192, 0, 2, 10);
    m.options.push(DhcpOption::ServerIdentifier(SID));
    m.options.push(DhcpOption::IpAddressLeaseTime(120));
    m.to_vec()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut now = Instant::ZERO;
    let mut c = Dhcpv4Client::new(
        Dhcpv4ClientConfig::new(MAC),
        SeededRng::from_u64(u64::from(mode)),
        now,
    )
    .expect("the default configuration is valid");
    let mut xid = 0;
    let drain = |c: &mut Dhcpv4Client, xid: &mut u32, now: Instant| {
        while let Some(t) = c.poll_transmit(now) {
            *xid = Message::parse(&t.payload)
                .expect("client emits valid messages")
                .xid;
        }
        while c.poll_event().is_some() {}
    };
    drain(&mut c, &mut xid, now);
    if mode & 1 == 1 {
        let _ = c.handle_input(now, &reply(xid, MessageType::Offer));
        drain(&mut c, &mut xid, now);
        if mode & 2 == 2 {
            let _ = c.handle_input(now, &reply(xid, MessageType::Ack));
            drain(&mut c, &mut xid, now);
        }
    }
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
        if len == 0 {
            now += Duration::from_secs(13);
            c.handle_timeout(now);
            drain(&mut c, &mut xid, now);
            continue;
        }
        let mut frame = rest[..len.min(rest.len())].to_vec();
        rest = &rest[frame.len()..];
        if frame.len() >= 34 {
            frame[4..8].copy_from_slice(&xid.to_be_bytes());
            frame[28..34].copy_from_slice(&MAC);
        }
        let before = (c.state(), c.binding().cloned(), c.poll_timeout());
        if c.handle_input(now, &frame).is_err() {
            assert_eq!((c.state(), c.binding().cloned(), c.poll_timeout()), before);
        }
        drain(&mut c, &mut xid, now);
    }
});
