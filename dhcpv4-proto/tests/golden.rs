//! Golden vectors: client messages captured from dhclient (ISC 4.4.3),
//! dhcpcd 9.4.1 and busybox 1.35 udhcpc talking to `dhcpv4d` in the
//! real-client tests (refresh with `DHCPV4_KEEP_CAPTURES=DIR`, then
//! `tshark -r DIR/IF.pcap -Y dhcp -T fields -e udp.payload`).
//!
//! Each must parse with the fields its client sends, and emit back to the
//! very same bytes: these clients all write canonical messages (one
//! instance per option, End, zero padding to 300 octets).

use dhcpv4_proto::wire::{Message, MessageType, Op, code};

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/golden/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn real_client_messages_parse_and_round_trip() {
    for client in ["dhclient", "dhcpcd", "udhcpc"] {
        for (kind, t) in [
            ("discover", MessageType::Discover),
            ("request", MessageType::Request),
            ("renew", MessageType::Request),
            ("release", MessageType::Release),
        ] {
            let name = format!("{client}-{kind}");
            let b = load(&name);
            let m = Message::parse(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(m.op, Op::BootRequest, "{name}");
            assert_eq!(m.message_type, t, "{name}");
            assert_eq!((m.htype, m.hlen), (1, 6), "{name}");
            match kind {
                "discover" => assert!(m.parameter_request_list().is_some(), "{name}"),
                "request" => {
                    assert!(m.requested_ip().is_some(), "{name}");
                    assert!(m.server_id().is_some(), "{name}");
                }
                "renew" => {
                    assert!(!m.ciaddr.is_unspecified(), "{name}");
                    assert!(m.server_id().is_none(), "{name}");
                }
                _ => assert!(!m.ciaddr.is_unspecified(), "{name}"),
            }
            let emitted = m.to_vec();
            assert_eq!(Message::parse(&emitted).unwrap(), m, "{name}");
            assert_eq!(emitted, b, "{name}: emit(parse(b)) != b");
        }
    }
}

#[test]
fn real_client_quirks() {
    // dhcpcd puts the requested address before the message type, and sends
    // option 145 (RFC 6704 FORCERENEW nonce capable), kept raw.
    let m = Message::parse(&load("dhcpcd-request")).unwrap();
    assert_eq!(m.message_type_position, 1);
    assert_eq!(m.options[0].code(), code::REQUESTED_IP_ADDRESS);
    assert!(m.option(145).is_some());
    // udhcpc sends option 61 as 01 + MAC.
    let m = Message::parse(&load("udhcpc-discover")).unwrap();
    let id = m.client_id().unwrap();
    assert_eq!(id[0], 1);
    assert_eq!(&id[1..], m.hardware_address());
}
