//! Invalid attributes (RFC 6929 §2.8): a known attribute whose value does
//! not fit its type leaves the packet valid. The golden packet is the
//! Access-Request of tcpdump's test capture `RADIUS-RFC3162.pcap`, as
//! FreeRADIUS's protocol tests (`packet_rfc3162.txt`) carry it: nine
//! attributes, of which three Framed-IPv6-Prefix are invalid (value of one
//! octet, of 19 octets, prefix length 129); FreeRADIUS decodes them as
//! `raw.Framed-IPv6-Prefix` and the other six normally.

use std::net::{Ipv6Addr, SocketAddr};

use radius_proto::client::{
    RadiusClient, RadiusClientConfig, RadiusClientEvent, RadiusServerConfig,
};
use radius_proto::dict::AccessReply;
use radius_proto::wire::{Attribute, Code, Packet, Value, attr};
use radius_proto::{RadiusWireError as Error, Secret, crypto};
use sansio_primitives::{Instant, SeededRng};

/// tcpdump `tests/RADIUS-RFC3162.pcap`, packet 1 (FreeRADIUS
/// `src/tests/unit/protocols/radius/packet_rfc3162.txt`).
const RFC3162_REQUEST: &str = "01 f0 00 8d 2a fd b0 90 41 8a c6 36 52 98 fb bb 15 e0 fd 2e \
    01 05 62 6f 62 02 12 45 e8 d5 da ea d8 7e 40 15 e0 fc c0 ec 0f 08 a1 \
    5f 12 20 01 0d b8 0a 0b 12 f0 00 00 00 00 00 00 00 01 \
    61 14 00 40 20 01 0d b8 0a 0b 12 f0 00 00 00 00 00 00 00 00 \
    61 0c 00 40 20 01 0d b8 0a 0b 12 f0 61 04 00 00 61 03 00 \
    61 15 00 40 20 01 0d b8 0a 0b 12 f0 00 00 00 00 00 00 00 00 00 \
    61 14 00 81 20 01 0d b8 0a 0b 12 f0 00 00 00 00 00 00 00 01";

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

#[test]
fn tcpdump_rfc3162_packet_keeps_its_invalid_prefixes_raw_and_round_trips() {
    let bytes = hex(RFC3162_REQUEST);
    assert_eq!(bytes.len(), 141);
    let p = Packet::parse(&bytes).expect("invalid attributes do not make the packet malformed");
    assert_eq!((p.code, p.identifier), (Code::AccessRequest, 240));
    assert_eq!(p.attributes.len(), 9);
    assert_eq!(p.to_vec().unwrap(), bytes, "re-emitted byte for byte");
    // The valid ones, as FreeRADIUS decodes them.
    assert_eq!(p.get(attr::USER_NAME).and_then(Value::as_str), Some("bob"));
    assert_eq!(
        p.get(attr::NAS_IPV6_ADDRESS),
        Some(&Value::Ipv6("2001:db8:a0b:12f0::1".parse().unwrap()))
    );
    let prefixes: Vec<(Ipv6Addr, u8)> = p
        .get_all(attr::FRAMED_IPV6_PREFIX)
        .map(|v| match v {
            Value::Ipv6Prefix(x) => (x.addr(), x.len),
            other => panic!("{other:?}"),
        })
        .collect();
    let net: Ipv6Addr = "2001:db8:a0b:12f0::".parse().unwrap();
    assert_eq!(prefixes, [(net, 64), (net, 64), (Ipv6Addr::UNSPECIFIED, 0)]);
    // The invalid ones, raw, with why: too short, too long, length 129.
    let invalid: Vec<(u8, &[u8], Option<Error>)> = p
        .invalid_attributes()
        .map(|a| match a.value {
            Value::Invalid(raw) => (a.typ, raw, a.invalid_reason()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(invalid.len(), 3);
    assert!(invalid.iter().all(|(t, ..)| *t == attr::FRAMED_IPV6_PREFIX));
    assert_eq!(invalid[0].1, [0x00]);
    assert_eq!(invalid[1].1.len(), 19);
    assert_eq!(&invalid[2].1[..2], [0x00, 0x81]);
    assert!(matches!(
        invalid[0].2,
        Some(Error::BadLength { length: 1, .. })
    ));
    assert!(matches!(
        invalid[1].2,
        Some(Error::BadLength { length: 19, .. })
    ));
    assert!(matches!(invalid[2].2, Some(Error::BadValue { .. })));
    // The typed view sees the first valid prefix only.
    let r = AccessReply::from_packet(&p);
    assert_eq!(
        r.framed_ipv6_prefix.map(|x| (x.addr(), x.len)),
        Some((net, 64))
    );
}

#[test]
fn prefix_length_over_128_is_an_invalid_attribute_for_both_prefix_types() {
    for typ in [attr::FRAMED_IPV6_PREFIX, attr::DELEGATED_IPV6_PREFIX] {
        let mut b = vec![2, 1, 0, 26, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&[typ, 6, 0, 129, 0x20, 0x01]);
        let p = Packet::parse(&b).unwrap();
        assert!(p.attributes[0].is_invalid(), "{typ}");
        assert!(p.get(typ).is_none());
        assert_eq!(AccessReply::from_packet(&p), AccessReply::default());
        assert_eq!(p.to_vec().unwrap(), b);
    }
}

#[test]
fn framing_errors_are_still_packet_errors() {
    // An attribute whose length runs past the packet, and one below 2.
    let mut b = vec![2, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&[attr::USER_NAME, 5, b'a', b'b']);
    assert!(matches!(
        Packet::parse(&b),
        Err(Error::AttributeOverrun { length: 5, .. })
    ));
    b[21] = 1;
    assert!(matches!(
        Packet::parse(&b),
        Err(Error::AttributeOverrun { length: 1, .. })
    ));
}

/// An Access-Accept with an empty Reply-Message (text of length 0, invalid)
/// and a three-octet Session-Timeout, properly signed: the client takes it
/// (no retransmission, no failover), and the typed reply skips both.
#[test]
fn access_accept_with_invalid_attributes_is_processed() {
    let secret = b"s3cret";
    let server: SocketAddr = "127.0.0.1:1812".parse().unwrap();
    let acct: SocketAddr = "127.0.0.1:1813".parse().unwrap();
    let mut cfg = RadiusClientConfig::new(vec![RadiusServerConfig::new(
        server,
        acct,
        Secret::new(secret),
    )]);
    cfg.nas_identifier = Some(b"nas".to_vec());
    let mut c = RadiusClient::new(cfg, SeededRng::from_u64(3)).unwrap();
    let user = [Attribute::bytes(attr::USER_NAME, b"alice")];
    let h = c.authenticate(Instant::ZERO, &user, Some(b"pw")).unwrap();
    let req_bytes = c.poll_transmit(Instant::ZERO).unwrap().payload;
    let req = Packet::parse(&req_bytes).unwrap();

    let mut acc = Packet::new(Code::AccessAccept, req.identifier, req.authenticator);
    acc.attributes.extend([
        Attribute::new(attr::REPLY_MESSAGE, Value::Invalid(b"")),
        Attribute::new(attr::SESSION_TIMEOUT, Value::Invalid(&[0, 1, 0])),
        Attribute::new(attr::FRAMED_IP_ADDRESS, Value::Ipv4([192, 0, 2, 9].into())),
        Attribute::bytes(attr::MESSAGE_AUTHENTICATOR, &[0; 16]),
    ]);
    let mut bytes = acc.to_vec().unwrap();
    assert_eq!(
        &bytes[20..22],
        [attr::REPLY_MESSAGE, 2],
        "an empty text attribute"
    );
    crypto::sign_message_authenticator(&mut bytes, &req.authenticator, secret);
    crypto::sign_response(&mut bytes, &req.authenticator, secret);

    c.handle_input(Instant::ZERO, server, &bytes).unwrap();
    assert!(c.poll_transmit(Instant::ZERO).is_none());
    let Some(RadiusClientEvent::Response(r)) = c.poll_event() else {
        panic!("no response event")
    };
    assert_eq!((r.handle, r.code), (h, Code::AccessAccept));
    let p = r.packet().unwrap();
    assert_eq!(p.invalid_attributes().count(), 2);
    let typed = AccessReply::from_packet(&p);
    assert_eq!(typed.framed_ip, Some([192, 0, 2, 9].into()));
    assert_eq!((typed.session_timeout, typed.reply_message), (None, None));
    assert_eq!(c.counters().responses, 1);
    assert_eq!(c.counters().with_invalid_attributes, 1);
    assert_eq!(c.counters().malformed, 0);
    assert_eq!(c.poll_timeout(), None, "nothing left to retransmit");
}
