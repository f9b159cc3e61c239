//! Benchmarks: parse and emit a typical Router Advertisement; the host side
//! processing it.

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

/// The host side processing one RA (5 options) it already knows: the
/// steady state of a SLAAC WAN.
fn machines(c: &mut Criterion) {
    use ndp_proto::{NdpHost, NdpHostConfig, NdpSecretKey};
    use sansio_primitives::{Instant, SeededRng};
    let src: Ipv6Addr = "fe80::1".parse().unwrap();
    let dst: Ipv6Addr = "ff02::1".parse().unwrap();
    let bytes = ra().to_vec(src, dst);
    let mut cfg = NdpHostConfig::new("fe80::2".parse().unwrap(), b"eth0", NdpSecretKey([1; 32]));
    cfg.solicit = false;
    let mut h = NdpHost::new(cfg, SeededRng::from_u64(1), Instant::ZERO).unwrap();
    let mut now = Instant::ZERO;
    c.bench_function("host_handle_ra", |b| {
        b.iter(|| {
            now += sansio_primitives::Duration::from_millis(1);
            h.handle_input(now, src, dst, 255, black_box(&bytes))
                .unwrap();
            while h.poll_event().is_some() {}
        })
    });
}

criterion_group!(benches, bench, machines);
criterion_main!(benches);
