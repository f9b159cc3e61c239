#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Codec and server benchmarks: parse+emit of a DISCOVER and an ACK, and
//! whole DISCOVER→OFFER→REQUEST→ACK exchanges through the server machine in
//! memory (with a MemoryStore commit per exchange).

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dhcpv4_proto::lease::MemoryStore;
use dhcpv4_proto::server::{Dhcpv4PoolConfig, Dhcpv4Server, Dhcpv4ServerConfig};
use dhcpv4_proto::wire::{DhcpOption, Message, MessageType, Op};
use sansio_primitives::{Duration, Instant};

const SID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn discover(n: u32) -> Message {
    let b = n.to_be_bytes();
    let mut m = Message::new(
        Op::BootRequest,
        MessageType::Discover,
        n,
        [2, 0, b[0], b[1], b[2], b[3]],
    );
    m.options.push(DhcpOption::ClientIdentifier(vec![
        1, 2, 0, b[0], b[1], b[2], b[3],
    ]));
    m.options.push(DhcpOption::ParameterRequestList(vec![
        1, 3, 6, 15, 26, 119, 121,
    ]));
    m.options.push(DhcpOption::MaxMessageSize(1500));
    m.options.push(DhcpOption::HostName(b"bench-host".to_vec()));
    m
}

fn server() -> Dhcpv4Server {
    let mut p = Dhcpv4PoolConfig::new(
        1,
        Ipv4Addr::new(192, 0, 2, 0),
        16,
        Ipv4Addr::new(192, 0, 3, 0),
        Ipv4Addr::new(192, 0, 255, 254),
        Some(SID),
    );
    p.max_leases = 1 << 20;
    p.domain = Some(b"lan.example".to_vec());
    p.mtu = Some(1492);
    let mut c = Dhcpv4ServerConfig::new(SID, vec![p]);
    c.max_offers = 1 << 20;
    Dhcpv4Server::new(c, Instant::ZERO).unwrap()
}

fn codec(c: &mut Criterion) {
    let d = discover(7).to_vec();
    let mut s = server();
    s.handle_input(Instant::ZERO, 1, &d).unwrap();
    let offer = s.poll_transmit(Instant::ZERO).unwrap().payload;
    let mut req = Message::parse(&d).unwrap();
    req.message_type = MessageType::Request;
    req.options.push(DhcpOption::ServerIdentifier(SID));
    req.options.push(DhcpOption::RequestedIpAddress(
        Message::parse(&offer).unwrap().yiaddr,
    ));
    s.handle_input(Instant::ZERO, 1, &req.to_vec()).unwrap();
    s.commit();
    let ack = s.poll_transmit(Instant::ZERO).unwrap().payload;
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Elements(1));
    let mut out = [0u8; 1500];
    for (name, bytes) in [("discover", d), ("ack", ack)] {
        g.bench_function(format!("parse+emit {name}"), |b| {
            b.iter(|| {
                let m = Message::parse(black_box(&bytes)).unwrap();
                black_box(m.emit(&mut out).unwrap())
            })
        });
    }
    g.finish();
}

fn exchange(c: &mut Criterion) {
    let mut g = c.benchmark_group("server");
    g.throughput(Throughput::Elements(1));
    g.bench_function("DISCOVER-OFFER-REQUEST-ACK", |b| {
        let mut s = server();
        let mut store = MemoryStore::default();
        let mut n = 0u32;
        let mut now = Instant::ZERO;
        b.iter(|| {
            n += 1;
            // A new client every time; time moves so rate limits never bite.
            now += Duration::from_millis(1);
            let d = discover(n);
            s.handle_input(now, 1, &d.to_vec()).unwrap();
            let offer = Message::parse(&s.poll_transmit(now).unwrap().payload).unwrap();
            let mut r = d;
            r.message_type = MessageType::Request;
            r.options.push(DhcpOption::ServerIdentifier(SID));
            r.options.push(DhcpOption::RequestedIpAddress(offer.yiaddr));
            s.handle_input(now, 1, &r.to_vec()).unwrap();
            s.commit_to(&mut store).unwrap();
            let ack = s.poll_transmit(now).unwrap();
            while s.poll_event().is_some() {}
            black_box(ack.payload.len())
        })
    });
    g.finish();
}

criterion_group!(benches, codec, exchange);
criterion_main!(benches);
