//! Frames our machines emit, written to a pcap inside PPPoE session frames
//! and decoded by tshark, show no malformed packet and no expert error.
//! Skips (with a message) when tshark is not installed; fails instead under
//! CI (`testbed::skip`).

mod common;

use std::io::Write;

use common::*;
use ppp_proto::{AuthMethods, Role};
use sansio_primitives::Duration;
use testbed::Pcap;

const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const AC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

fn write_pcap(path: &std::path::Path, frames: &[(sansio_primitives::Instant, Side, Vec<u8>)]) {
    let mut f = std::fs::File::create(path).unwrap();
    // Classic pcap, microseconds, Ethernet.
    f.write_all(&0xa1b2_c3d4u32.to_le_bytes()).unwrap();
    f.write_all(&2u16.to_le_bytes()).unwrap();
    f.write_all(&4u16.to_le_bytes()).unwrap();
    f.write_all(&[0; 8]).unwrap();
    f.write_all(&65535u32.to_le_bytes()).unwrap();
    f.write_all(&1u32.to_le_bytes()).unwrap();
    for (t, side, ppp) in frames {
        let (src, dst) = match side {
            Side::Peer => (PEER_MAC, AC_MAC),
            Side::Ac => (AC_MAC, PEER_MAC),
        };
        let mut eth = Vec::new();
        eth.extend_from_slice(&dst);
        eth.extend_from_slice(&src);
        eth.extend_from_slice(&[0x88, 0x64, 0x11, 0x00, 0x00, 0x01]);
        eth.extend_from_slice(&(ppp.len() as u16).to_be_bytes());
        eth.extend_from_slice(ppp);
        let us = t.as_nanos() / 1_000;
        f.write_all(&((us / 1_000_000) as u32).to_le_bytes())
            .unwrap();
        f.write_all(&((us % 1_000_000) as u32).to_le_bytes())
            .unwrap();
        f.write_all(&(eth.len() as u32).to_le_bytes()).unwrap();
        f.write_all(&(eth.len() as u32).to_le_bytes()).unwrap();
        f.write_all(&eth).unwrap();
    }
}

/// Runs the scenarios whose frames go into the capture.
fn scenarios() -> Vec<(sansio_primitives::Instant, Side, Vec<u8>)> {
    let mut all = Vec::new();
    let limit = Duration::from_secs(120);
    // CHAP bring-up, echoes, then LCP Terminate from the peer.
    let mut p = Pair::new(peer_config(), ac_config(), 1);
    p.open();
    assert!(p.run_until(limit, |p| p.now
        >= sansio_primitives::Instant::from_secs(25)));
    p.peer.close(p.now);
    p.run_until(limit, |p| p.peer_down().is_some() && p.ac_down().is_some());
    all.extend(p.log);
    // PAP, with the peer Nak'ing CHAP towards PAP; then a wrong password.
    let mut peer = peer_config();
    if let Role::Peer(c) = &mut peer.role {
        c.accept = AuthMethods {
            chap_md5: false,
            pap: true,
        };
    }
    let mut p = Pair::new(peer, ac_config(), 2);
    p.verdict = Verdict::Secret(b"wrong");
    p.open();
    p.run_until(limit, |p| p.peer_down().is_some() && p.ac_down().is_some());
    all.extend(p.log);
    // CHAP failure.
    let mut p = Pair::new(peer_config(), ac_config(), 3);
    p.verdict = Verdict::Secret(b"wrong");
    p.open();
    p.run_until(limit, |p| p.peer_down().is_some() && p.ac_down().is_some());
    all.extend(p.log);
    // IPv6CP Protocol-Rejected by the concentrator; an unknown protocol
    // Protocol-Rejected and an unknown LCP code Code-Rejected by the peer.
    let mut ac = ac_config();
    ac.ipv6 = false;
    let mut p = Pair::new(peer_config(), ac, 4);
    p.open();
    p.run_until(limit, |p| {
        p.peer_has(|e| matches!(e, ppp_proto::PppEvent::Ipv4Up { .. }))
    });
    let now = p.now;
    p.peer.handle_input(now, &[0x80, 0xfd, 1, 1, 0, 4]).unwrap();
    p.peer
        .handle_input(now, &[0xc0, 0x21, 0x42, 1, 0, 4])
        .unwrap();
    p.drain();
    all.extend(p.log);
    // Lost link: retransmissions and Terminate-Requests.
    let mut p = Pair::new(peer_config(), ac_config(), 5);
    p.cut = true;
    p.open();
    p.run_until(limit, |p| p.peer_down().is_some());
    all.extend(p.log);
    all
}

#[test]
fn tshark_finds_no_malformed_frame() {
    if std::process::Command::new("tshark")
        .arg("--version")
        .output()
        .is_err()
    {
        testbed::skip("tshark", "tshark is not installed (Debian package tshark)");
        return;
    }
    let frames = scenarios();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ppp-proto-emitted.pcap");
    write_pcap(&path, &frames);
    let pcap = Pcap::open(&path);
    let problems = pcap.problems().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    // tshark understood every frame as the PPP protocol we meant.
    let count = |f: &str| pcap.count(f).unwrap();
    let total = frames.len();
    // (A Protocol-Reject carries the rejected frame, which tshark also
    // decodes: one filter, so each frame counts once.)
    let by_proto = count("lcp || pap || chap || ipcp || ipv6cp");
    assert_eq!(by_proto, total, "frames tshark did not classify");
    for filter in [
        "lcp.opt.type == 3",
        "lcp && ppp.code == 9",
        "lcp && ppp.code == 10",
        "lcp && ppp.code == 5",
        "lcp && ppp.code == 7",
        "lcp && ppp.code == 8",
        "pap.code == 1",
        "pap.code == 3",
        "chap.code == 1",
        "chap.code == 2",
        "chap.code == 3",
        "chap.code == 4",
        "ipcp.opt.type == 129",
        "ipv6cp.opt.type == 1",
    ] {
        assert!(count(filter) > 0, "no frame matches {filter}");
    }
    eprintln!("tshark: {total} PPP frames of ours decoded, no malformed frame, no expert error");
}
