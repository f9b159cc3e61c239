//! ns per packet for the in-place translator: a 1500-byte TCP packet each
//! way (issue 15's target: ≤ 50 ns), and a 4 → 6 → 4 round trip.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use xlat::{HEADROOM, XlatOutput};

#[path = "../tests/common/mod.rs"]
mod common;
use common::*;

fn bench_translate(c: &mut Criterion) {
    let mut group = c.benchmark_group("translate");
    let mut x = siit();

    // 1500 bytes on the wire: IPv4 20 + TCP 20 + 1460; IPv6 40 + TCP 20 + 1440.
    let v4 = ipv4(
        0,
        1,
        0x4000,
        64,
        TCP,
        S4,
        H6_V4,
        &[],
        &tcp(Pseudo::V4(S4, H6_V4), 443, 50000, 7, &data(1460)),
    );
    let v6 = ipv6(
        0,
        TCP,
        64,
        H6,
        S4_V6,
        &[],
        &tcp(Pseudo::V6(H6, S4_V6), 50000, 443, 7, &data(1440)),
    );
    assert_eq!((v4.len(), v6.len()), (1500, 1500));
    let framed = |p: &[u8]| {
        let mut buf = vec![0u8; HEADROOM + p.len()];
        buf[HEADROOM..].copy_from_slice(p);
        buf
    };
    let (b4, b6) = (framed(&v4), framed(&v6));

    // Each measured call gets a fresh copy (made outside the timing).
    group.bench_function("4to6_tcp_1500B", |b| {
        b.iter_batched_ref(
            || b4.clone(),
            |buf| x.translate_4to6(black_box(buf), HEADROOM, 1500).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("6to4_tcp_1500B", |b| {
        b.iter_batched_ref(
            || b6.clone(),
            |buf| x.translate_6to4(black_box(buf), HEADROOM, 1500).unwrap(),
            BatchSize::SmallInput,
        )
    });

    // Both directions on one buffer, no copies: 4 → 6 moves the start 20
    // bytes back, 6 → 4 moves it forward again (so twice the headroom). The
    // IPv6 hop limit is reset in between so the TTL never runs out.
    let mut buf = vec![0u8; 2 * HEADROOM + v4.len()];
    buf[2 * HEADROOM..].copy_from_slice(&v4);
    group.bench_function("4to6to4_tcp_1500B", |b| {
        b.iter(|| {
            let XlatOutput::Translated { start, len } = x
                .translate_4to6(black_box(&mut buf), 2 * HEADROOM, 1500)
                .unwrap()
            else {
                unreachable!()
            };
            buf[start + 7] = 255;
            x.translate_6to4(black_box(&mut buf), start, len).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_translate);
criterion_main!(benches);
