//! What the AC holds per established session, measured as growth of the
//! resident set (an upper bound): 10 000 sessions through PADI/PADO/PADR/PADS. The issue
//! budget for the whole server side (PPPoE + PPP) is 2 KiB per session; the
//! PPPoE share must stay well under it.

use pppoe_proto::ac::RateLimit;
use pppoe_proto::wire::{Code, DiscoveryFrame, DiscoveryRepr, EthernetAddress, EthernetRepr, Tag};
use pppoe_proto::{PppoeAc, PppoeAcConfig};
use sansio_primitives::{Instant, SeededRng};

/// Resident set size in bytes (Linux), an upper bound of what the heap
/// grew by: the crate forbids `unsafe`, so no counting allocator here.
fn rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);

fn build(src: EthernetAddress, dst: EthernetAddress, code: Code, tags: &[Tag]) -> Vec<u8> {
    let mut p = DiscoveryRepr::new(code, 0);
    for t in tags {
        p.push(*t).unwrap();
    }
    DiscoveryFrame::new(EthernetRepr::discovery(dst, src), p).to_vec()
}

#[test]
fn ac_bytes_per_session() {
    const N: u32 = 10_000;
    let mut cfg = PppoeAcConfig::new(AC_MAC, b"ac");
    cfg.max_sessions = 20_000;
    let lots = RateLimit {
        per_second: u32::MAX,
        burst: u32::MAX,
    };
    cfg.padi_rate_per_mac = lots;
    cfg.padi_rate_total = lots;
    let mut ac = PppoeAc::new(cfg, SeededRng::from_u64(1), Instant::ZERO).unwrap();
    let Some(before) = rss() else {
        testbed::skip("memory", "no /proc/self/status");
        return;
    };
    for i in 0..N {
        let m = i.to_be_bytes();
        let host = EthernetAddress([0x02, 0x10, m[0], m[1], m[2], m[3]]);
        // pppd's Host-Uniq is 4 bytes.
        let padi = build(
            host,
            EthernetAddress::BROADCAST,
            Code::Padi,
            &[Tag::ServiceName(b""), Tag::HostUniq(&m)],
        );
        ac.handle_input(Instant::ZERO, &padi).unwrap();
        let pado = ac.poll_transmit(Instant::ZERO).unwrap().payload;
        let f = DiscoveryFrame::parse(&pado).unwrap();
        let padr = build(
            host,
            AC_MAC,
            Code::Padr,
            &[
                Tag::ServiceName(b""),
                Tag::HostUniq(&m),
                Tag::AcCookie(f.pppoe.ac_cookie().unwrap()),
            ],
        );
        ac.handle_input(Instant::ZERO, &padr).unwrap();
        let _ = ac.poll_transmit(Instant::ZERO).unwrap();
        while ac.poll_event().is_some() {}
    }
    assert_eq!(ac.session_count(), N as usize);
    let per_session = rss().unwrap().saturating_sub(before) / N as usize;
    println!("pppoe AC: at most {per_session} bytes resident per established session");
    assert!(per_session < 1024, "{per_session} bytes per session");
}
