//! Codec throughput: parse and emit a Reply delegating one prefix.

use core::net::Ipv6Addr;

use criterion::{Criterion, criterion_group, criterion_main};
use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, Duid, IaPd, IaPrefix, Message, MessageType};

fn reply() -> Vec<u8> {
    let mut m = ClientMessage::new(MessageType::Reply, 0x12_3456);
    m.options
        .push(Dhcpv6Option::ClientId(Duid::ethernet([2, 0, 0, 0, 0, 1])));
    m.options
        .push(Dhcpv6Option::ServerId(Duid::ethernet([2, 0, 0, 0, 0, 2])));
    m.options.push(Dhcpv6Option::IaPd(IaPd {
        iaid: 1,
        t1: 1800,
        t2: 2880,
        options: vec![Dhcpv6Option::IaPrefix(IaPrefix {
            preferred: 3600,
            valid: 7200,
            prefix_len: 56,
            prefix: Ipv6Addr::new(0x2001, 0xdb8, 0, 0x100, 0, 0, 0, 0),
            options: vec![],
        })],
    }));
    m.options.push(Dhcpv6Option::DnsServers(vec![Ipv6Addr::new(
        0x2001, 0xdb8, 0, 0, 0, 0, 0, 53,
    )]));
    m.to_vec()
}

fn codec(c: &mut Criterion) {
    let bytes = reply();
    c.bench_function("parse reply", |b| {
        b.iter(|| Message::parse(std::hint::black_box(&bytes)).unwrap())
    });
    let m = Message::parse(&bytes).unwrap();
    let mut buf = [0u8; 512];
    c.bench_function("emit reply", |b| {
        b.iter(|| m.emit(std::hint::black_box(&mut buf)).unwrap())
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
