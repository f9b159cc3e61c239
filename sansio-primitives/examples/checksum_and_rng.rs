//! The Internet checksum of an IPv4 header, kept valid across a TTL
//! decrement by the RFC 1624 incremental update, and the seeded generator
//! a machine draws its ids from: the same seed replays the same draws.
//!
//! `cargo run --example checksum_and_rng`

use sansio_primitives::rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng, checksum};

fn main() {
    // An IPv4 header (RFC 791) from 192.0.2.1 to 198.51.100.1, TTL 64,
    // checksum field (bytes 10..12) zeroed.
    let mut header: [u8; 20] = [
        0x45, 0x00, 0x00, 0x54, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00, 192, 0, 2, 1, 198,
        51, 100, 1,
    ];
    let c = checksum::checksum(&header);
    header[10..12].copy_from_slice(&c.to_be_bytes());
    assert!(checksum::verify(&header));
    println!("IPv4 header checksum: {c:#06x}");

    // A router forwards it: TTL 64 -> 63. Update the checksum from the old
    // and new 16-bit word (TTL, protocol) instead of summing 20 bytes again.
    let old = u16::from_be_bytes([header[8], header[9]]);
    header[8] -= 1;
    let new = u16::from_be_bytes([header[8], header[9]]);
    let updated = checksum::update(c, old, new);
    header[10..12].copy_from_slice(&updated.to_be_bytes());
    assert!(checksum::verify(&header));
    header[10..12].fill(0);
    assert_eq!(checksum::checksum(&header), updated);
    println!("after the TTL decrement: {updated:#06x} (incremental = full)");

    // Randomness is injected: a seed in, the same draws out, every run.
    let mut rng = SeededRng::from_u64(42);
    let xid = rng.next_u32();
    let jitter = rng.below(1000); // uniform in 0..1000, no modulo bias
    let mut replay = SeededRng::from_u64(42);
    assert_eq!(replay.next_u32(), xid);
    assert_eq!(replay.below(1000), jitter);
    println!("seed 42: xid {xid:#010x}, jitter {jitter} ms");

    // Time is injected too: the caller's clock, as an Instant.
    let now = Instant::ZERO + Duration::from_secs(10);
    let retransmit_at = now + Duration::from_millis(u64::from(4000 + jitter));
    println!(
        "retransmit {:?} after now",
        retransmit_at.checked_duration_since(now).unwrap()
    );
}
