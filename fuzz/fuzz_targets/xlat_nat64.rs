//! Stateful NAT64 (RFC 6146) on a sequence of arbitrary packets, IPv6 and
//! IPv4, with the clock moving: never panics, the output always lies
//! within the HEADROOM in front of the packet and the packet's own span
//! (nothing after it is written), and a dropped packet leaves the tables'
//! sizes as they were (but for a hairpinned one, whose way out stays).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sansio_primitives::{Duration, Instant, SeededRng};
use xlat::nat64::{Nat64, Nat64Config, Pool4Range};
use xlat::{HEADROOM, Nat64Prefix};

/// An IPv6 packet to the pool6 form of the pool4 address (§3.8).
fn hairpin(packet: &[u8]) -> bool {
    let x: std::net::Ipv6Addr = "2001:db8:64::203.0.113.1".parse().unwrap();
    packet.len() >= 40 && packet[0] >> 4 == 6 && packet[24..40] == x.octets()
}

fuzz_target!(|data: &[u8]| {
    let mut config = Nat64Config::new(
        Nat64Prefix::new("2001:db8:64::".parse().unwrap(), 96).unwrap(),
        vec![Pool4Range {
            address: "203.0.113.1".parse().unwrap(),
            first_port: 61000,
            last_port: 61003,
        }],
    );
    config.tables.max_bib_entries = 3;
    config.tables.max_sessions = 6;
    config.siit.icmp_error_source_v4 = Some("203.0.113.1".parse().unwrap());
    config.siit.icmp_error_source_v6 = Some("2001:db8::1".parse().unwrap());
    let mut now = Instant::ZERO;
    let mut nat = Nat64::new(config, SeededRng::from_u64(1), now).unwrap();
    // Packets: a length byte (scaled) and a time step byte, then the bytes.
    let mut rest = data;
    while let [len, step, tail @ ..] = rest {
        let len = (usize::from(*len) * 4).min(tail.len());
        let (packet, next) = tail.split_at(len);
        rest = next;
        now = now + Duration::from_secs(u64::from(*step));
        nat.handle_timeout(now);
        let before = (nat.tables().bib_len(), nat.tables().session_len());
        let mut buf = vec![0xa5u8; HEADROOM + packet.len() + 8];
        buf[HEADROOM..HEADROOM + packet.len()].copy_from_slice(packet);
        match nat.translate(now, &mut buf, HEADROOM, packet.len()) {
            Ok(out) => {
                let range = out.range();
                assert!(range.start <= range.end && range.end <= HEADROOM + packet.len());
            }
            Err(_) if !hairpin(packet) => {
                let after = (nat.tables().bib_len(), nat.tables().session_len());
                assert_eq!(before, after, "a drop changed the tables");
            }
            Err(_) => {}
        }
        assert!(buf[HEADROOM + packet.len()..].iter().all(|&b| b == 0xa5));
        assert!(nat.tables().bib_len() <= 3 && nat.tables().session_len() <= 6);
    }
});
