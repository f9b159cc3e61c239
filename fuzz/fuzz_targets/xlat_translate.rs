//! The SIIT translator (RFC 7915) on arbitrary bytes, as IPv4 and as IPv6,
//! with pool6 and an EAMT (so hairpinning is reachable) and every
//! configuration switch: never panics, and the output always lies within
//! the HEADROOM in front of the packet and the packet's own span (no byte
//! after the packet is written); the fragmenting call's pieces fit the
//! MTU and its output buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sansio_primitives::SeededRng;
use xlat::{Eam, HEADROOM, Nat64Prefix, Siit, SiitConfig};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, packet)) = data.split_first() else {
        return;
    };
    let mut config = SiitConfig::new(Some(
        // `containing`: 2001:db8:64:: has bits beyond /32 and /40.
        Nat64Prefix::containing(
            "2001:db8:64::".parse().unwrap(),
            [32, 40, 48, 56, 64, 96][usize::from(flags % 6)],
        )
        .unwrap(),
    ));
    config.amend_udp_checksum_zero = flags & 0x08 != 0;
    config.reset_tos = flags & 0x10 != 0;
    config.reset_traffic_class = flags & 0x10 != 0;
    if flags & 0x20 != 0 {
        config.icmp_error_source_v4 = Some("203.0.113.1".parse().unwrap());
        config.icmp_error_source_v6 = Some("2001:db8::1".parse().unwrap());
    }
    if flags & 0x40 != 0 {
        config.pool6791v4 = Some(("198.51.100.0".parse().unwrap(), 28));
        config.pool6791v6 = Some("2001:db8::6791".parse().unwrap());
    }
    if flags & 0x80 != 0 {
        for (a4, l4, a6, l6) in [
            ("192.0.2.1", 32, "2001:db8:aaaa::", 128),
            ("192.0.2.128", 26, "2001:db8:dddd::", 64),
            ("0.0.0.0", 0, "2001:db8:ff00::", 40),
        ] {
            let eam = Eam::new(a4.parse().unwrap(), l4, a6.parse().unwrap(), l6).unwrap();
            config.eamt.add(eam).unwrap();
        }
    }
    let mut siit = Siit::new(config, SeededRng::from_u64(1)).unwrap();
    for v6 in [false, true] {
        let mut buf = vec![0xa5u8; HEADROOM + packet.len() + 8];
        buf[HEADROOM..HEADROOM + packet.len()].copy_from_slice(packet);
        let r = if v6 {
            siit.translate_6to4(&mut buf, HEADROOM, packet.len())
        } else {
            siit.translate_4to6(&mut buf, HEADROOM, packet.len())
        };
        if let Ok(out) = r {
            let range = out.range();
            assert!(range.start <= range.end && range.end <= HEADROOM + packet.len());
            assert!(range.len() <= packet.len() + HEADROOM);
        }
        assert!(buf[HEADROOM + packet.len()..].iter().all(|&b| b == 0xa5));
    }
    // The fragmenting call: pieces within `out`, each at most the MTU.
    let mut buf = vec![0u8; HEADROOM + packet.len()];
    buf[HEADROOM..].copy_from_slice(packet);
    let mut out = vec![0u8; 70_000];
    if let Ok(f) = siit.translate_4to6_fragmented(&mut buf, HEADROOM, packet.len(), &mut out) {
        for i in 0..f.count {
            let r = f.range(i);
            assert!(r.end <= out.len());
            assert!(f.icmp_error || f.count == 1 || r.len() <= 1280);
        }
    }
});
