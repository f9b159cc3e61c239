//! Codec benchmarks: parse and emit a typical Router Advertisement.

use std::hint::black_box;
use std::net::Ipv6Addr;

use criterion::{Criterion, criterion_group, criterion_main};
use ndp_proto::wire::{
    Dnssl, DomainName, Mtu, NdpMessage, NdpOption, PrefixInformation, Rdnss, RouterAdvertisement,
};

fn ra() -> NdpMessage {
    NdpMessage::RouterAdvertisement(RouterAdvertisement {
        cur_hop_limit: 64,
        flags: 0,
        router_lifetime: 1800,
        reachable_time: 0,
        retrans_timer: 0,
        options: vec![
            NdpOption::source_ethernet([2, 0, 0, 0, 0, 1]),
            NdpOption::Mtu(Mtu {
                reserved: 0,
                mtu: 1492,
            }),
            NdpOption::PrefixInformation(PrefixInformation::slaac(
                "2001:db8:1:2::".parse().unwrap(),
                64,
                5400,
                2700,
            )),
            NdpOption::Rdnss(Rdnss {
                reserved: 0,
                lifetime: 1800,
                servers: vec!["fe80::1".parse().unwrap()],
            }),
            NdpOption::Dnssl(Dnssl {
                reserved: 0,
                lifetime: 1800,
                domains: vec![DomainName::from_dotted("home.arpa").unwrap()],
                extra_padding: 0,
            }),
        ],
    })
}

fn bench(c: &mut Criterion) {
    let src: Ipv6Addr = "fe80::1".parse().unwrap();
    let dst: Ipv6Addr = "ff02::1".parse().unwrap();
    let msg = ra();
    let bytes = msg.to_vec(src, dst);
    c.bench_function("ra_parse", |b| {
        b.iter(|| NdpMessage::parse(black_box(&bytes), src, dst).unwrap())
    });
    let mut buf = vec![0u8; msg.buffer_len()];
    c.bench_function("ra_emit", |b| {
        b.iter(|| black_box(&msg).emit(&mut buf, src, dst).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
