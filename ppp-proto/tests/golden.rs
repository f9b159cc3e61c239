//! Golden bytes: every PPP control frame in the captures of real pppd +
//! rp-pppoe (../shared/peers/pppoe-vm/pcaps, copied to tests/data) parses,
//! and re-emits byte for byte; so does every option inside it.

use ppp_proto::wire::chap::ChapPacket;
use ppp_proto::wire::cp::{ConfigOption, CpBody, CpPacket, Options};
use ppp_proto::wire::ipcp::IpcpOption;
use ppp_proto::wire::ipv6cp::Ipv6cpOption;
use ppp_proto::wire::lcp::LcpOption;
use ppp_proto::wire::pap::PapPacket;
use ppp_proto::wire::{PppFrame, protocol};

const CAPTURES: [&str; 6] = [
    "pppoe-auth-nak-chap-to-pap",
    "pppoe-chap-bad-password",
    "pppoe-chap-ipcp-ipv6cp",
    "pppoe-pap",
    "pppoe-service-name",
    "pppoe-userspace-client-chap",
];

/// The Ethernet frames of a classic little-endian pcap file.
fn pcap_frames(bytes: &[u8]) -> Vec<&[u8]> {
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
        1,
        "Ethernet"
    );
    let mut frames = Vec::new();
    let mut i = 24;
    while i + 16 <= bytes.len() {
        let incl = u32::from_le_bytes(bytes[i + 8..i + 12].try_into().unwrap()) as usize;
        frames.push(&bytes[i + 16..i + 16 + incl]);
        i += 16 + incl;
    }
    frames
}

/// The PPP frame inside a PPPoE session frame (ethertype 0x8864), cut at
/// the PPPoE Length.
fn ppp_of(frame: &[u8]) -> Option<&[u8]> {
    if frame.len() < 20 || frame[12..14] != [0x88, 0x64] {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([frame[18], frame[19]]));
    Some(&frame[20..20 + len])
}

fn check_options<'a, O: ConfigOption<'a>>(opts: Options<'a>) {
    for raw in opts.iter() {
        let o = O::from_raw(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        let mut out = Vec::new();
        o.put(&mut out);
        assert_eq!(out, raw.bytes, "{o:?}");
        assert_eq!(o.buffer_len(), raw.bytes.len());
    }
}

fn check_cp<'a, O: ConfigOption<'a>>(payload: &'a [u8], extended: bool) {
    let p = CpPacket::parse(payload, extended).unwrap();
    let mut out = Vec::new();
    p.put(&mut out);
    assert_eq!(out, payload, "{p:?}");
    match p.body {
        CpBody::ConfigureRequest(o)
        | CpBody::ConfigureAck(o)
        | CpBody::ConfigureNak(o)
        | CpBody::ConfigureReject(o) => check_options::<O>(o),
        _ => {}
    }
}

#[test]
fn every_ppp_control_frame_of_the_real_captures_round_trips() {
    let mut counts = [0usize; 5]; // LCP, PAP, CHAP, IPCP, IPv6CP
    for name in CAPTURES {
        let path = format!("{}/tests/data/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap();
        for frame in pcap_frames(&bytes) {
            let Some(ppp) = ppp_of(frame) else { continue };
            let f = PppFrame::parse(ppp).unwrap();
            let mut out = Vec::new();
            f.put(&mut out);
            assert_eq!(out, ppp);
            match f.protocol {
                protocol::LCP => {
                    check_cp::<LcpOption>(f.payload, true);
                    counts[0] += 1;
                }
                protocol::PAP => {
                    let p = PapPacket::parse(f.payload).unwrap();
                    assert_eq!(p.to_vec(), f.payload);
                    counts[1] += 1;
                }
                protocol::CHAP => {
                    let p = ChapPacket::parse(f.payload).unwrap();
                    assert_eq!(p.to_vec(), f.payload);
                    counts[2] += 1;
                }
                protocol::IPCP => {
                    check_cp::<IpcpOption>(f.payload, false);
                    counts[3] += 1;
                }
                protocol::IPV6CP => {
                    check_cp::<Ipv6cpOption>(f.payload, false);
                    counts[4] += 1;
                }
                protocol::IPV4 | protocol::IPV6 => {}
                other => panic!("{name}: unexpected protocol {other:#06x}"),
            }
        }
    }
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    eprintln!("LCP/PAP/CHAP/IPCP/IPv6CP frames checked: {counts:?}");
}
