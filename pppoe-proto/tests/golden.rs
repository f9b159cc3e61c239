//! Golden bytes: every PPPoE discovery frame in the captures of real
//! rp-pppoe 3.15 + pppd 2.4.9 (tests/data, see tests/data/NOTES.md) parses
//! and re-emits byte for byte.

mod common;

use common::pcap;
use pppoe_proto::wire::{Code, DiscoveryFrame, EthernetAddress, Tag, TagType};

const AC: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0xac, 0x00, 0x01]);
const CLIENT: EthernetAddress = EthernetAddress([0x52, 0x54, 0x00, 0xc1, 0x00, 0x01]);

fn discovery_frames(bytes: &[u8]) -> Vec<&[u8]> {
    pcap::frames(bytes)
        .into_iter()
        .filter(|f| f.len() >= 14 && f[12..14] == [0x88, 0x63])
        .collect()
}

#[test]
fn every_discovery_frame_round_trips() {
    let mut total = 0;
    for (name, bytes) in pcap::captures() {
        let frames = discovery_frames(bytes);
        assert!(frames.len() >= 5, "{name}: PADI, PADO, PADR, PADS, PADT");
        for (i, raw) in frames.iter().enumerate() {
            let f = DiscoveryFrame::parse(raw).unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
            assert_eq!(f.buffer_len(), raw.len(), "{name} #{i}");
            assert_eq!(&f.to_vec()[..], *raw, "{name} #{i}: re-emit differs");
            assert!(f.padding.is_empty(), "captured on the TAP: no padding");
            total += 1;
        }
        // The discovery sequence RFC 2516 §5 prescribes.
        let codes: Vec<Code> = frames
            .iter()
            .map(|r| DiscoveryFrame::parse(r).unwrap().pppoe.code)
            .collect();
        assert_eq!(
            &codes[..4],
            &[Code::Padi, Code::Pado, Code::Padr, Code::Pads],
            "{name}"
        );
        assert!(codes[4..].iter().all(|&c| c == Code::Padt), "{name}");
    }
    assert!(total >= 30);
}

#[test]
fn reference_session_details() {
    let frames = discovery_frames(include_bytes!("data/pppoe-chap-ipcp-ipv6cp.pcap"));
    let padi = DiscoveryFrame::parse(frames[0]).unwrap();
    assert_eq!(padi.ethernet.dst, EthernetAddress::BROADCAST);
    assert_eq!(padi.ethernet.src, CLIENT);
    assert_eq!(padi.pppoe.service_name(), Some(&b""[..]));
    let hu = padi.pppoe.host_uniq().unwrap();
    assert_eq!(hu.len(), 4);

    let pado = DiscoveryFrame::parse(frames[1]).unwrap();
    assert_eq!(pado.ethernet.src, AC);
    assert_eq!(pado.ethernet.dst, CLIENT);
    assert_eq!(pado.pppoe.ac_name(), Some(&b"lab-ac"[..]));
    assert_eq!(pado.pppoe.host_uniq(), Some(hu));
    let cookie = pado.pppoe.ac_cookie().unwrap();
    assert_eq!(cookie.len(), 20);

    let padr = DiscoveryFrame::parse(frames[2]).unwrap();
    assert_eq!(padr.pppoe.ac_cookie(), Some(cookie));
    assert_eq!(padr.pppoe.host_uniq(), Some(hu));

    let pads = DiscoveryFrame::parse(frames[3]).unwrap();
    assert_eq!(pads.pppoe.session_id, 1);
    assert_eq!(pads.pppoe.error(), None);

    let padt = DiscoveryFrame::parse(frames[4]).unwrap();
    assert_eq!(padt.pppoe.session_id, 1);
    assert_eq!(
        padt.pppoe.error(),
        Some(Tag::GenericError(
            b"RP-PPPoE: Child pppd process terminated"
        ))
    );
}

#[test]
fn service_name_capture_lists_both_services() {
    let frames = discovery_frames(include_bytes!("data/pppoe-service-name.pcap"));
    let padi = DiscoveryFrame::parse(frames[0]).unwrap();
    assert_eq!(padi.pppoe.service_name(), Some(&b"voip"[..]));
    let pado = DiscoveryFrame::parse(frames[1]).unwrap();
    let services: Vec<&[u8]> = pado.pppoe.service_names().collect();
    assert_eq!(services, vec![&b"internet"[..], &b"voip"[..]]);
    assert_eq!(pado.pppoe.ac_name(), Some(&b"lab-ac-svc"[..]));
    let padr = DiscoveryFrame::parse(frames[2]).unwrap();
    assert_eq!(padr.pppoe.service_name(), Some(&b"voip"[..]));
}

#[test]
fn userspace_client_sends_no_host_uniq_and_a_padt() {
    let frames = discovery_frames(include_bytes!("data/pppoe-userspace-client-chap.pcap"));
    let padi = DiscoveryFrame::parse(frames[0]).unwrap();
    assert_eq!(padi.pppoe.host_uniq(), None);
    assert_eq!(frames[0].len(), 24);
    let padts: Vec<DiscoveryFrame> = frames[4..]
        .iter()
        .map(|r| DiscoveryFrame::parse(r).unwrap())
        .collect();
    let from_client = padts.iter().find(|f| f.ethernet.src == CLIENT).unwrap();
    assert!(matches!(
        from_client.pppoe.error(),
        Some(Tag::GenericError(_))
    ));
    assert!(from_client.pppoe.ac_cookie().is_some());
    let from_ac = padts.iter().find(|f| f.ethernet.src == AC).unwrap();
    assert_eq!(
        from_ac.pppoe.error().map(|t| t.ty()),
        Some(TagType::GenericError)
    );
}

/// Every session frame (0x8864) in the captures: the headers check out for
/// the direction it travels, the PPP frame is where LENGTH says, and
/// re-encapsulating it in place gives the same bytes.
#[test]
fn every_session_frame_decapsulates_and_re_encapsulates() {
    use pppoe_proto::session::{self, SessionFramer};
    let mut total = 0;
    for (name, bytes) in pcap::captures() {
        for (i, raw) in pcap::frames(bytes).into_iter().enumerate() {
            if raw.len() < 14 || raw[12..14] != [0x88, 0x64] {
                continue;
            }
            let h = session::peek(raw).unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
            assert_eq!(h.session_id, 1, "{name} #{i}");
            assert_eq!(h.ppp.end, raw.len(), "{name} #{i}: unpadded on the TAP");
            let rx = SessionFramer::new(h.dst, h.src, h.session_id);
            assert_eq!(rx.decapsulate(raw), Ok(h.ppp.clone()));
            // The other direction's framer refuses it.
            let wrong = SessionFramer::new(h.src, h.dst, h.session_id);
            assert!(wrong.decapsulate(raw).is_err());
            let tx = SessionFramer::new(h.src, h.dst, h.session_id);
            let mut buf = raw.to_vec();
            buf[..20].fill(0);
            let n = tx.encapsulate(&mut buf, h.ppp.len()).unwrap();
            assert_eq!(&buf[..n], raw, "{name} #{i}");
            assert!(
                [0xc021, 0xc023, 0xc223, 0x8021, 0x8057, 0x0021, 0x0057]
                    .contains(&u16::from_be_bytes([raw[20], raw[21]]))
            );
            total += 1;
        }
    }
    assert!(total > 150, "{total} session frames");
}
