//! Golden vectors: messages captured from ISC dhclient 4.4.3 (`-6 -P`) and
//! Kea 2.2 (`kea-dhcp6`) in the real-peer tests (refresh with
//! `DHCPV6_KEEP_CAPTURES=DIR`, then
//! `tshark -r DIR/NAME.pcap -Y dhcpv6 -T fields -e udp.payload`).
//!
//! Each must parse with the fields its sender puts there and emit back to
//! the very same bytes.

use dhcpv6_proto::wire::{ClientMessage, Dhcpv6Option, MessageType, StatusCode, code};

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/golden/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn check(name: &str, t: MessageType) -> ClientMessage {
    let b = load(name);
    let m = ClientMessage::parse(&b).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(m.msg_type, t, "{name}");
    assert_eq!(m.to_vec(), b, "{name} does not round-trip");
    m
}

#[test]
fn dhclient_messages_parse_and_round_trip() {
    for (n, t) in [
        ("solicit", MessageType::Solicit),
        ("request", MessageType::Request),
        ("renew", MessageType::Renew),
        ("release", MessageType::Release),
    ] {
        let m = check(&format!("dhclient-{n}"), t);
        assert!(m.client_id().is_some(), "{n}");
        assert!(m.option(code::ELAPSED_TIME).is_some(), "{n}");
        assert_eq!(m.ia_pds().count(), 1, "{n}");
        assert_eq!(m.server_id().is_some(), t != MessageType::Solicit, "{n}");
        if t != MessageType::Solicit {
            let p = m
                .ia_pds()
                .next()
                .unwrap()
                .prefixes()
                .next()
                .unwrap()
                .clone();
            assert_eq!(p.prefix_len, 56, "{n}");
        }
    }
}

#[test]
fn kea_messages_parse_and_round_trip() {
    for (n, t) in [
        ("advertise", MessageType::Advertise),
        ("reply-request", MessageType::Reply),
        ("reply-renew", MessageType::Reply),
        ("reply-release", MessageType::Reply),
    ] {
        let m = check(&format!("kea-{n}"), t);
        assert!(m.server_id().is_some() && m.client_id().is_some(), "{n}");
        if n == "reply-release" {
            assert_eq!(m.status(), Some(StatusCode::Success));
            continue;
        }
        let pd = m.ia_pds().next().unwrap();
        assert_eq!((pd.t1, pd.t2), (10, 16), "{n}");
        let p = pd.prefixes().next().unwrap();
        assert_eq!((p.prefix_len, p.preferred, p.valid), (56, 20, 40), "{n}");
        assert!(
            m.options
                .iter()
                .any(|o| matches!(o, Dhcpv6Option::DnsServers(d) if d.len() == 1)),
            "{n}"
        );
    }
}
