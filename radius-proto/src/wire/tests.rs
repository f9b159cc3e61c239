use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::*;
use crate::crypto;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

pub(crate) const SECRET: &[u8] = b"xyzzy5461";
// RFC 2865 §7.1, User Telnet to Specified Host.
pub(crate) const RFC_7_1_REQUEST: &str = "01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
    98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f 78 2a 0a ee
    04 06 c0 a8 01 10 05 06 00 00 00 03";
pub(crate) const RFC_7_1_ACCEPT: &str = "02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
    9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03";
// RFC 2865 §7.2, Framed User Authenticating with CHAP.
const RFC_7_2_REQUEST: &str = "01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e
    0d 33 67 a2 01 08 66 6c 6f 70 73 79 03 13 16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44
    07 72 75 04 06 c0 a8 01 10 05 06 00 00 00 14 06 06 00 00 00 02 07 06 00 00 00 01";
// RFC 2865 §7.3, User with Challenge-Response card.
const RFC_7_3_CHALLENGE: &str = "0b 02 00 4e 36 f3 c8 76 4a e8 c7 11 57 40 3c 0c
    71 ff 9c 45 12 30 43 68 61 6c 6c 65 6e 67 65 20 33 32 37 36 39 34 33 30 2e 20 20 45
    6e 74 65 72 20 72 65 73 70 6f 6e 73 65 20 61 74 20 70 72 6f 6d 70 74 2e 18 0a 33 32
    37 36 39 34 33 30";

#[test]
fn rfc2865_7_1_request_byte_for_byte() {
    let bytes = hex(RFC_7_1_REQUEST);
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(p.code, Code::AccessRequest);
    assert_eq!(p.identifier, 0);
    assert_eq!(p.get(attr::USER_NAME).unwrap().as_str(), Some("nemo"));
    assert_eq!(
        p.get(attr::NAS_IP_ADDRESS).unwrap().as_ipv4(),
        Some(Ipv4Addr::new(192, 168, 1, 16))
    );
    assert_eq!(p.get(attr::NAS_PORT).unwrap().as_u32(), Some(3));
    let hidden = p.get(attr::USER_PASSWORD).unwrap().as_bytes().unwrap();
    let pw = crypto::recover_password(hidden, SECRET, &p.authenticator).unwrap();
    assert_eq!(pw.expose(), b"arctangent");
    // Built from scratch with the RFC's authenticator: the same bytes.
    let again = crypto::hide_password(b"arctangent", SECRET, &p.authenticator).unwrap();
    let mut q = Packet::new(Code::AccessRequest, 0, p.authenticator);
    q.attributes
        .push(Attribute::bytes(attr::USER_NAME, b"nemo"));
    q.attributes
        .push(Attribute::bytes(attr::USER_PASSWORD, &again));
    q.attributes.push(Attribute::new(
        attr::NAS_IP_ADDRESS,
        Value::Ipv4(Ipv4Addr::new(192, 168, 1, 16)),
    ));
    q.attributes.push(Attribute::integer(attr::NAS_PORT, 3));
    assert_eq!(q.to_vec().unwrap(), bytes);
    assert_eq!(p.to_vec().unwrap(), bytes);
}

#[test]
fn rfc2865_7_1_accept_authenticator() {
    let req = hex(RFC_7_1_REQUEST);
    let acc = hex(RFC_7_1_ACCEPT);
    let ra: [u8; 16] = req[4..20].try_into().unwrap();
    assert!(crypto::verify_response(&acc, &ra, SECRET));
    assert!(!crypto::verify_response(&acc, &ra, b"wrong"));
    let p = Packet::parse(&acc).unwrap();
    assert_eq!(p.code, Code::AccessAccept);
    assert_eq!(p.get(attr::SERVICE_TYPE), Some(&Value::Integer(1)));
    assert_eq!(p.get(attr::LOGIN_SERVICE), Some(&Value::Integer(0)));
    assert_eq!(
        p.get(attr::LOGIN_IP_HOST).unwrap().as_ipv4(),
        Some(Ipv4Addr::new(192, 168, 1, 3))
    );
    // Re-signing reproduces the RFC's authenticator.
    let mut q = p.to_vec().unwrap();
    q[4..20].fill(0);
    crypto::sign_response(&mut q, &ra, SECRET);
    assert_eq!(q, acc);
}

#[test]
fn rfc2865_7_2_and_7_3_byte_for_byte() {
    let bytes = hex(RFC_7_2_REQUEST);
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(p.identifier, 1);
    assert_eq!(p.get(attr::USER_NAME).unwrap().as_str(), Some("flopsy"));
    let chap = p.get(attr::CHAP_PASSWORD).unwrap().as_bytes().unwrap();
    assert_eq!((chap.len(), chap[0]), (17, 22));
    assert_eq!(p.get(attr::NAS_PORT), Some(&Value::Integer(20)));
    assert_eq!(p.get(attr::SERVICE_TYPE), Some(&Value::Integer(2)));
    assert_eq!(p.get(attr::FRAMED_PROTOCOL), Some(&Value::Integer(1)));
    assert_eq!(p.to_vec().unwrap(), bytes);

    let bytes = hex(RFC_7_3_CHALLENGE);
    let p = Packet::parse(&bytes).unwrap();
    assert_eq!(p.code, Code::AccessChallenge);
    assert_eq!(
        p.get(attr::REPLY_MESSAGE).unwrap().as_str(),
        Some("Challenge 32769430.  Enter response at prompt.")
    );
    assert_eq!(
        p.get(attr::STATE).unwrap().as_bytes(),
        Some(&b"32769430"[..])
    );
    assert_eq!(p.to_vec().unwrap(), bytes);
}

#[test]
fn every_truncation_is_an_error_and_padding_is_ignored() {
    let bytes = hex(RFC_7_1_REQUEST);
    for n in 0..bytes.len() {
        assert!(Packet::parse(&bytes[..n]).is_err(), "{n}");
    }
    let mut padded = bytes.clone();
    padded.extend_from_slice(&[0xee; 7]);
    assert_eq!(Packet::parse(&padded).unwrap().to_vec().unwrap(), bytes);
}

#[test]
fn length_checks_name_the_attribute() {
    let mut b = hex(RFC_7_1_REQUEST);
    // Length 19 and 4097.
    b[2..4].copy_from_slice(&19u16.to_be_bytes());
    assert_eq!(
        Packet::parse(&b),
        Err(Error::BadPacketLength { length: 19 })
    );
    b[2..4].copy_from_slice(&4097u16.to_be_bytes());
    assert_eq!(
        Packet::parse(&b),
        Err(Error::BadPacketLength { length: 4097 })
    );
    // NAS-Port with a 3-octet value: an invalid attribute (RFC 6929 §2.8),
    // kept raw; the packet parses and re-emits unchanged.
    let mut p = hex("01 00 00 19 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 05 05 00 00 03");
    let parsed = Packet::parse(&p).unwrap();
    assert_eq!(parsed.attributes[0].value, Value::Invalid(&[0, 0, 3]));
    assert_eq!(parsed.get(attr::NAS_PORT), None);
    assert_eq!(parsed.to_vec().unwrap(), p);
    let e = parsed.attributes[0].invalid_reason().unwrap();
    assert_eq!(
        e,
        Error::BadLength {
            attr: AttrName::std(attr::NAS_PORT),
            length: 3
        }
    );
    assert_eq!(
        alloc::format!("{e}"),
        "attribute NAS-Port (5): value length 3 is not allowed for its type"
    );
    // An attribute running past the end.
    p[21] = 9;
    assert_eq!(
        Packet::parse(&p),
        Err(Error::AttributeOverrun {
            attr: AttrName::std(attr::NAS_PORT),
            length: 9
        })
    );
    // Length 1.
    p[21] = 1;
    assert!(matches!(
        Packet::parse(&p),
        Err(Error::AttributeOverrun { length: 1, .. })
    ));
    // Message-Authenticator must be 16 octets: otherwise invalid (and not
    // found by the crypto, so a packet that needs one is dropped).
    let ma = hex("01 00 00 17 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 50 03 00");
    let parsed = Packet::parse(&ma).unwrap();
    assert!(matches!(
        parsed.attributes[0].invalid_reason(),
        Some(Error::BadLength { length: 1, .. })
    ));
    assert_eq!(crypto::find_message_authenticator(&ma), None);
}

#[test]
fn codes_round_trip() {
    for n in 0..=255u8 {
        assert_eq!(u8::from(Code::from(n)), n);
    }
    assert_eq!(Code::from(43), Code::CoaRequest);
    assert_eq!(Code::from(45).name(), Some("CoA-NAK"));
    assert_eq!(Code::from(41), Code::DisconnectAck);
}

#[test]
fn vendor_specific_sub_attributes_and_unknown_attributes() {
    let data = vsa::encode_sub_attributes(
        10055,
        &[(1, &1000u32.to_be_bytes()), (2, &2000u32.to_be_bytes())],
    )
    .unwrap();
    let mut p = Packet::new(Code::AccessAccept, 7, [1; 16]);
    p.attributes.push(Attribute::new(
        attr::VENDOR_SPECIFIC,
        Value::Vsa(Vsa {
            vendor: 10055,
            data: &data,
        }),
    ));
    p.attributes.push(Attribute::bytes(250, b"unknown stays"));
    let b = p.to_vec().unwrap();
    let q = Packet::parse(&b).unwrap();
    assert_eq!(q, p);
    assert_eq!(q.vendor_attr(10055, 2), Some(&2000u32.to_be_bytes()[..]));
    let subs: Vec<_> = q.vendor(10055).next().unwrap().sub_attributes().collect();
    assert_eq!(subs.len(), 2);
    // A broken sub-attribute chain still round-trips and reports an error.
    let odd = [1u8, 9, 0];
    let v = Vsa {
        vendor: 9,
        data: &odd,
    };
    assert!(v.sub_attributes().next().unwrap().is_err());
    let mut p = Packet::new(Code::AccessAccept, 7, [1; 16]);
    p.attributes
        .push(Attribute::new(attr::VENDOR_SPECIFIC, Value::Vsa(v)));
    let b = p.to_vec().unwrap();
    assert_eq!(Packet::parse(&b).unwrap(), p);
}

#[test]
fn emit_refuses_bad_values_and_oversize() {
    let long = [0u8; 254];
    let mut p = Packet::new(Code::AccessRequest, 0, [0; 16]);
    p.attributes.push(Attribute::bytes(attr::USER_NAME, &long));
    assert!(matches!(p.to_vec(), Err(Error::BadLength { .. })));
    let ok = [b'a'; 253];
    let mut p = Packet::new(Code::AccessRequest, 0, [0; 16]);
    for _ in 0..17 {
        p.attributes.push(Attribute::bytes(attr::USER_NAME, &ok));
    }
    assert_eq!(p.to_vec(), Err(Error::TooBig));
    let mut buf = [0u8; 10];
    assert_eq!(
        Packet::new(Code::AccessRequest, 0, [0; 16]).emit(&mut buf),
        Err(Error::BufferTooShort)
    );
}

#[test]
fn ipv6_prefix_forms() {
    let p = Ipv6Prefix::new("2001:db8:1:2::".parse().unwrap(), 64).unwrap();
    assert_eq!(p.wire_octets().len(), 8);
    let v = Value::Ipv6Prefix(p);
    let mut out = [0u8; 10];
    assert_eq!(v.emit(&mut out), Ok(10));
    assert_eq!(v.emit(&mut out[..9]), Err(Error::BufferTooShort));
    assert_eq!(out, [0, 64, 0x20, 1, 0x0d, 0xb8, 0, 1, 0, 2]);
    assert_eq!(Value::parse(attr::DELEGATED_IPV6_PREFIX, &out), Ok(v));
    // Bits past the length are cleared; lengths over 128 refused.
    let p = Ipv6Prefix::new("2001:db8:ffff::".parse().unwrap(), 36).unwrap();
    assert_eq!(
        p.addr(),
        "2001:db8:f000::".parse::<core::net::Ipv6Addr>().unwrap()
    );
    assert!(Ipv6Prefix::new(core::net::Ipv6Addr::UNSPECIFIED, 129).is_none());
    assert!(Value::parse(attr::FRAMED_IPV6_PREFIX, &[0, 129]).is_err());
    assert!(Value::parse(attr::FRAMED_IPV6_PREFIX, &[1, 64]).is_err());
}

#[test]
fn ipv6_prefix_bits_past_the_length_are_cleared_by_parse_as_by_new() {
    // 2001:db8:ffff::/36 as a sloppy server writes it: bits past /36 set.
    let wire = [0, 36, 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff];
    let Ok(Value::Ipv6Prefix(parsed)) = Value::parse(attr::FRAMED_IPV6_PREFIX, &wire) else {
        panic!("not a prefix");
    };
    let built = Ipv6Prefix::new("2001:db8:ffff::".parse().unwrap(), 36).unwrap();
    assert_eq!((parsed.len, parsed.addr()), (built.len, built.addr()));
    assert_eq!(
        parsed.addr(),
        "2001:db8:f000::".parse::<core::net::Ipv6Addr>().unwrap()
    );
    // The octets stay as received, so the attribute is re-emitted unchanged.
    assert_eq!(parsed.wire_octets(), &wire[2..]);
    let mut out = [0u8; 8];
    assert_eq!(Value::Ipv6Prefix(parsed).emit(&mut out), Ok(8));
    assert_eq!(out, wire);
}

#[test]
fn attribute_emit_checks_the_value_and_the_buffer() {
    let a = Attribute::bytes(attr::USER_NAME, b"alice");
    let mut out = [0xa5u8; 10];
    assert_eq!(a.emit(&mut out), Ok(7));
    assert_eq!(&out[..7], b"\x01\x07alice");
    assert_eq!(out[7..], [0xa5; 3], "nothing past buffer_len() is written");
    assert_eq!(a.to_vec(), Ok(out[..7].to_vec()));
    assert_eq!(a.emit(&mut out[..6]), Err(Error::BufferTooShort));
    // A value its type does not allow is refused, not emitted.
    let long = [b'a'; 254];
    let bad = Attribute::bytes(attr::USER_NAME, &long);
    assert!(matches!(
        bad.emit(&mut [0u8; 300]),
        Err(Error::BadLength { .. })
    ));
}
