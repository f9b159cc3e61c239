//! Every frame our machines emit, written to a pcap and decoded by tshark
//! (Wireshark's dissector is an independent reading of RFC 2516/4638): no
//! malformed packet, no expert warning or error, and the fields we meant.
//! Skips with a message when tshark is not installed (Debian: `tshark`);
//! fails instead under CI (`testbed::skip`).

mod common;

use std::process::Command;

use common::pair::{Faults, Pair};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeAc, PppoeAcConfig, PppoeClient, PppoeClientConfig};
use sansio_primitives::{Instant, SeededRng};

const ME: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
const AC_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xac]);

fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

fn tshark(args: &[&str], file: &std::path::Path) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn emitted_frames_decode_cleanly_in_tshark() {
    if Command::new("tshark").arg("--version").output().is_err() {
        testbed::skip("tshark", "not installed (Debian package `tshark`)");
        return;
    }
    let mut frames = Vec::new();
    // A whole session with RFC 4638 and two services, closed by the client…
    let mut cc = PppoeClientConfig::new(ME);
    cc.ppp_max_payload = Some(1500);
    cc.service_name = b"voip".to_vec();
    let mut acc = PppoeAcConfig::new(AC_MAC, b"lab-ac");
    acc.ppp_max_payload = Some(1500);
    acc.services = vec![b"internet".to_vec(), b"voip".to_vec()];
    let client = PppoeClient::new(cc, SeededRng::from_u64(1), Instant::ZERO).unwrap();
    let ac = PppoeAc::new(acc.clone(), SeededRng::from_u64(2), Instant::ZERO).unwrap();
    let mut p = Pair::new(client, ac, Faults::default(), 1);
    p.run_until(100, |p| !p.client_events.is_empty());
    p.client.close(p.now).unwrap();
    p.flush();
    frames.extend(p.wire.iter().map(|w| w.2.clone()));
    // …one closed by the AC with a reason, and one refused (unknown service).
    let mut cc = PppoeClientConfig::new(ME);
    cc.service_name = b"iptv".to_vec();
    let mut open = PppoeAcConfig::new(AC_MAC, b"lab-ac");
    open.services.clear();
    let client = PppoeClient::new(
        PppoeClientConfig::new(ME),
        SeededRng::from_u64(3),
        Instant::ZERO,
    )
    .unwrap();
    let ac = PppoeAc::new(open, SeededRng::from_u64(4), Instant::ZERO).unwrap();
    let mut p = Pair::new(client, ac, Faults::default(), 2);
    p.run_until(100, |p| !p.client_events.is_empty());
    p.ac.close(p.now, 1, b"Administrative reset").unwrap();
    p.flush();
    frames.extend(p.wire.iter().map(|w| w.2.clone()));
    let n = frames.len();
    assert!(n >= 9);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ours.pcap");
    std::fs::write(&file, pcap(&frames)).unwrap();

    let bad = tshark(
        &["-Y", "_ws.malformed || _ws.expert.severity >= \"Warning\""],
        &file,
    );
    assert!(bad.trim().is_empty(), "tshark flags:\n{bad}");
    let decoded = tshark(&["-Y", "pppoed", "-T", "fields", "-e", "pppoe.code"], &file);
    assert_eq!(
        decoded.lines().count(),
        n,
        "every frame is PPPoE discovery:\n{decoded}"
    );
    let detail = tshark(&["-V"], &file);
    for want in [
        "Active Discovery Initiation (PADI)",
        "Active Discovery Offer (PADO)",
        "Active Discovery Request (PADR)",
        "Active Discovery Session-confirmation (PADS)",
        "Active Discovery Terminate (PADT)",
        "AC-Name: lab-ac",
        "Service-Name: voip",
        "Service-Name: internet",
        "PPP-Max-Payload: 05dc", // 1500, shown as bytes by tshark 4.0
        "Generic-Error: Administrative reset",
    ] {
        assert!(
            detail.contains(want),
            "tshark decode lacks {want:?}:\n{detail}"
        );
    }
}
