//! Criterion benchmarks: session-frame encapsulation/decapsulation per
//! packet, parse+emit of the discovery packets, and a whole AC-side
//! discovery (PADI→PADO, PADR→PADS) per session.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pppoe_proto::ac::RateLimit;
use pppoe_proto::session::SessionFramer;
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{PppoeAc, PppoeAcConfig};
use sansio_primitives::{Instant, SeededRng};

const HOST: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0xc1, 0x00, 0x01]);
const AC_MAC: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0xac, 0x00, 0x01]);

fn framing(c: &mut Criterion) {
    let tx = SessionFramer::new(HOST, AC_MAC, 1);
    let rx = SessionFramer::new(AC_MAC, HOST, 1);
    let mut g = c.benchmark_group("session");
    for ppp_len in [64usize, 1494] {
        let mut buf = vec![0u8; 20 + ppp_len];
        buf[20] = 0x00;
        buf[21] = 0x21;
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("encapsulate_{ppp_len}"), |b| {
            b.iter(|| black_box(tx.encapsulate(black_box(&mut buf), ppp_len).unwrap()))
        });
        let n = tx.encapsulate(&mut buf, ppp_len).unwrap();
        let frame = buf[..n].to_vec();
        g.bench_function(format!("decapsulate_{ppp_len}"), |b| {
            b.iter(|| black_box(rx.decapsulate(black_box(&frame)).unwrap()))
        });
    }
    g.finish();
}

fn build(
    src: EthernetAddress,
    dst: EthernetAddress,
    code: Code,
    sid: u16,
    tags: &[Tag],
) -> Vec<u8> {
    let mut p = DiscoveryRepr::new(code, sid);
    for t in tags {
        p.push(*t).unwrap();
    }
    DiscoveryFrame::new(EthernetRepr::discovery(dst, src), p).to_vec()
}

fn discovery_codec(c: &mut Criterion) {
    let cookie = [0xa5u8; 20];
    let frames = [
        (
            "padi",
            build(
                HOST,
                EthernetAddress::BROADCAST,
                Code::Padi,
                0,
                &[Tag::ServiceName(b""), Tag::HostUniq(&[1, 2, 3, 4])],
            ),
        ),
        (
            "pado",
            build(
                AC_MAC,
                HOST,
                Code::Pado,
                0,
                &[
                    Tag::AcName(b"lab-ac-svc"),
                    Tag::ServiceName(b"internet"),
                    Tag::ServiceName(b"voip"),
                    Tag::AcCookie(&cookie),
                    Tag::HostUniq(&[1, 2, 3, 4]),
                ],
            ),
        ),
        (
            "pads",
            build(
                AC_MAC,
                HOST,
                Code::Pads,
                1,
                &[Tag::ServiceName(b""), Tag::HostUniq(&[1, 2, 3, 4])],
            ),
        ),
    ];
    let mut g = c.benchmark_group("discovery");
    g.throughput(Throughput::Elements(1));
    for (name, bytes) in &frames {
        let mut out = vec![0u8; bytes.len()];
        g.bench_function(format!("parse_emit_{name}"), |b| {
            b.iter(|| {
                let f = DiscoveryFrame::parse(black_box(bytes)).unwrap();
                black_box(f.emit(&mut out).unwrap())
            })
        });
    }
    g.finish();
}

fn ac_discovery(c: &mut Criterion) {
    let mut cfg = PppoeAcConfig::new(AC_MAC, b"bench-ac");
    cfg.max_sessions = pppoe_proto::ac::MAX_SESSION_ID;
    let lots = RateLimit {
        per_second: u32::MAX,
        burst: u32::MAX,
    };
    cfg.padi_rate_per_mac = lots;
    cfg.padi_rate_total = lots;
    let mut ac = PppoeAc::new(cfg, SeededRng::from_u64(1), Instant::ZERO).unwrap();
    let mut i: u32 = 0;
    let mut g = c.benchmark_group("ac");
    g.throughput(Throughput::Elements(1));
    g.bench_function("padi_pado_padr_pads_padt", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            let m = i.to_be_bytes();
            let host = EthernetAddress([0x02, 0x10, m[0], m[1], m[2], m[3]]);
            let padi = build(
                host,
                EthernetAddress::BROADCAST,
                Code::Padi,
                0,
                &[Tag::ServiceName(b""), Tag::HostUniq(&m)],
            );
            ac.handle_input(Instant::ZERO, &padi).unwrap();
            let pado = ac.poll_transmit(Instant::ZERO).unwrap().payload;
            let f = DiscoveryFrame::parse(&pado).unwrap();
            let cookie = f.pppoe.ac_cookie().unwrap();
            let padr = build(
                host,
                AC_MAC,
                Code::Padr,
                0,
                &[
                    Tag::ServiceName(b""),
                    Tag::HostUniq(&m),
                    Tag::AcCookie(cookie),
                ],
            );
            ac.handle_input(Instant::ZERO, &padr).unwrap();
            let pads = ac.poll_transmit(Instant::ZERO).unwrap().payload;
            let sid = DiscoveryFrame::parse(&pads).unwrap().pppoe.session_id;
            while ac.poll_event().is_some() {}
            ac.close(Instant::ZERO, sid, b"").unwrap();
            let _ = ac.poll_transmit(Instant::ZERO);
            while ac.poll_event().is_some() {}
        })
    });
    g.finish();
}

criterion_group!(benches, framing, discovery_codec, ac_discovery);
criterion_main!(benches);
