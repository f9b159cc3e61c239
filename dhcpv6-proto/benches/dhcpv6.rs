//! Codec throughput (parse and emit a Reply delegating one prefix) and the
//! delegating server's in-memory rate: Solicit/Advertise/Request/Reply
//! exchanges per second for distinct clients, bindings committed to a
//! memory store in groups of 64.

use core::net::Ipv6Addr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::MemoryBindingStore;
use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, Duid, IaPd, IaPrefix, Message, MessageType};
use sansio_primitives::Instant;

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

fn client_msg(t: MessageType, n: u32, server: &Duid) -> Vec<u8> {
    let mut m = ClientMessage::new(t, n & 0xff_ffff);
    let mut id = vec![0u8; 6];
    id[2..].copy_from_slice(&n.to_be_bytes());
    m.options.push(Dhcpv6Option::ClientId(Duid::Ll {
        hardware_type: 1,
        link_layer: id,
    }));
    if t == MessageType::Request {
        m.options.push(Dhcpv6Option::ServerId(server.clone()));
    }
    m.options.push(Dhcpv6Option::IaPd(IaPd {
        iaid: 1,
        t1: 0,
        t2: 0,
        options: vec![],
    }));
    m.to_vec()
}

fn server(c: &mut Criterion) {
    const N: u32 = 4096;
    let sid = Duid::ethernet([2, 0, 0, 0, 0, 0xaa]);
    let solicits: Vec<Vec<u8>> = (0..N)
        .map(|n| client_msg(MessageType::Solicit, n, &sid))
        .collect();
    let requests: Vec<Vec<u8>> = (0..N)
        .map(|n| client_msg(MessageType::Request, n, &sid))
        .collect();
    let src = Dhcpv6ServerSource::new("fe80::1".parse().unwrap(), 1);
    let mut g = c.benchmark_group("server");
    g.throughput(Throughput::Elements(u64::from(N)));
    g.sample_size(10);
    g.bench_function("4096 solicit+request exchanges", |b| {
        b.iter(|| {
            let cfg = Dhcpv6ServerConfig::new(
                sid.clone(),
                vec![Dhcpv6PrefixPool::new("2001:db8::".parse().unwrap(), 40, 56)],
            );
            let mut s = Dhcpv6Server::new(cfg, Instant::ZERO).unwrap();
            let mut store = MemoryBindingStore::default();
            for chunk in 0..(N as usize / 64) {
                for i in chunk * 64..(chunk + 1) * 64 {
                    s.handle_input(Instant::ZERO, src, &solicits[i]).unwrap();
                    s.handle_input(Instant::ZERO, src, &requests[i]).unwrap();
                }
                s.commit_to(&mut store).unwrap();
                while s.poll_transmit(Instant::ZERO).is_some() {}
                while s.poll_event().is_some() {}
            }
            assert_eq!(store.records.len(), N as usize);
        })
    });
    g.finish();
}

criterion_group!(benches, codec, server);
criterion_main!(benches);
