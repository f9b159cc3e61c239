//! Full recomputation vs RFC 1624 incremental update, the choice the PPPoE
//! data path (MSS clamping) and the translator make per packet.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sansio_primitives::checksum;
use std::hint::black_box;

fn bench_checksum(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum");
    for len in [20usize, 1500] {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(format!("full_{len}B"), |b| {
            b.iter(|| checksum::checksum(black_box(&data)))
        });
    }
    // Rewriting one IPv4 address in a 1500-byte packet: patch vs re-sum.
    let data: Vec<u8> = (0..1500usize).map(|i| (i * 17 + 3) as u8).collect();
    let hc = checksum::checksum(&data);
    group.bench_function("incremental_u32", |b| {
        b.iter(|| {
            checksum::update_u32(
                black_box(hc),
                black_box(0xc000_0201),
                black_box(0xc633_6407),
            )
        })
    });
    group.bench_function("incremental_16B", |b| {
        b.iter(|| {
            checksum::update_bytes(
                black_box(hc),
                black_box(&data[12..28]),
                black_box(&data[40..56]),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_checksum);
criterion_main!(benches);
