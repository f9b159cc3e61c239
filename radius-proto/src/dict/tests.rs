use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::*;
use crate::wire::{Attribute, Code, Packet, Value, Vsa, attr};

#[test]
fn standard_has_rfc_attributes_rp_and_cisco() {
    let d = Dictionary::standard();
    assert_eq!(d.attr("Framed-IP-Address").unwrap().code, 8);
    assert_eq!(
        d.attr("Delegated-IPv6-Prefix").unwrap().data_type,
        Some(DataType::Ipv6Prefix)
    );
    assert_eq!(d.attr_by_code(0, 101).unwrap().name, "Error-Cause");
    let rp = d.attr("RP-Downstream-Speed-Limit").unwrap();
    assert_eq!((rp.vendor, rp.code), (10055, 2));
    assert_eq!(d.attr_by_code(9, 1).unwrap().name, "Cisco-AVPair");
    assert_eq!(
        d.value("Error-Cause", "Session-Context-Not-Found"),
        Some(503)
    );
    assert_eq!(d.value_name("Acct-Status-Type", 3), Some("Interim-Update"));
}

fn files(list: &'static [(&'static str, &'static str)]) -> impl FnMut(&str) -> Option<String> {
    move |p: &str| {
        list.iter()
            .find(|(n, _)| *n == p)
            .map(|(_, t)| t.to_string())
    }
}

#[test]
fn loader_reads_vendor_blocks_values_and_includes() {
    static FILES: &[(&str, &str)] = &[
        (
            "/d/dictionary",
            "# top\n$INCLUDE dictionary.rp\n$INCLUDE- dictionary.missing\nATTRIBUTE\tMy-Attr\t250\tinteger\nVALUE My-Attr One 1\nVALUE My-Attr Hex 0x10\n",
        ),
        (
            "/d/dictionary.rp",
            "VENDOR Roaring-Penguin 10055\nBEGIN-VENDOR Roaring-Penguin\nATTRIBUTE RP-Upstream-Speed-Limit 1 integer\nATTRIBUTE RP-X 241.1 octets\nEND-VENDOR Roaring-Penguin\nVENDOR USR 429 format=4,0\nATTRIBUTE Old-Style 7 string USR\n",
        ),
    ];
    let mut d = Dictionary::new();
    d.load("/d/dictionary", &mut files(FILES)).unwrap();
    assert_eq!(d.attr("RP-Upstream-Speed-Limit").unwrap().vendor, 10055);
    assert!(d.attr("RP-X").unwrap().nested);
    assert_eq!(d.attr("Old-Style").unwrap().vendor, 429);
    assert_eq!(d.vendor("USR").unwrap().type_octets, 4);
    assert_eq!(d.value("My-Attr", "Hex"), Some(16));
    assert_eq!(d.value_name("My-Attr", 1), Some("One"));
}

#[test]
fn loader_errors_name_line_and_kind() {
    let mut none = |_: &str| None;
    let mut d = Dictionary::new();
    let e = d
        .load_str("x", "VENDOR A 1\nATTRIBUTE B\n", &mut none)
        .unwrap_err();
    assert_eq!(
        (e.line, e.kind),
        (2, DictErrorKind::MissingField("attribute number"))
    );
    let e = d
        .load_str("x", "ATTRIBUTE B xx integer\n", &mut none)
        .unwrap_err();
    assert_eq!(e.kind, DictErrorKind::BadNumber("attribute number"));
    let e = d
        .load_str("x", "BEGIN-VENDOR Nobody\n", &mut none)
        .unwrap_err();
    assert_eq!(e.kind, DictErrorKind::UnknownVendor);
    let e = d.load_str("x", "FROB 1 2\n", &mut none).unwrap_err();
    assert_eq!(e.kind, DictErrorKind::UnknownKeyword);
    let e = d
        .load_str("x", "$INCLUDE nothere\n", &mut none)
        .unwrap_err();
    assert_eq!(e.kind, DictErrorKind::Unreadable);
    let e = d.load("x", &mut none).unwrap_err();
    assert_eq!(e.kind, DictErrorKind::Unreadable);
    // A self-include stops at the depth bound.
    let mut selfish = |_: &str| Some("$INCLUDE me\n".to_string());
    let e = d.load("me", &mut selfish).unwrap_err();
    assert_eq!(e.kind, DictErrorKind::IncludeTooDeep);
    let e = d.load_str("x", "END-VENDOR X\n", &mut none).unwrap_err();
    assert_eq!(e.kind, DictErrorKind::Unbalanced);
}

#[test]
fn access_reply_decodes_typed_values() {
    let rp = rp_speed_limits(2048, 16384).unwrap();
    let avp = crate::wire::vsa::encode_sub_attributes(9, &[(1, b"throttle=yes")]).unwrap();
    let prefix = crate::wire::Ipv6Prefix::new("2001:db8:1::".parse().unwrap(), 48).unwrap();
    let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
    p.attributes.push(Attribute::new(
        attr::FRAMED_IP_ADDRESS,
        Value::Ipv4([192, 0, 2, 10].into()),
    ));
    p.attributes
        .push(Attribute::integer(attr::ACCT_INTERIM_INTERVAL, 300));
    p.attributes.push(Attribute::new(
        attr::VENDOR_SPECIFIC,
        Value::Vsa(Vsa {
            vendor: 10055,
            data: &rp,
        }),
    ));
    p.attributes.push(Attribute::new(
        attr::VENDOR_SPECIFIC,
        Value::Vsa(Vsa {
            vendor: 9,
            data: &avp,
        }),
    ));
    p.attributes.push(Attribute::new(
        attr::DELEGATED_IPV6_PREFIX,
        Value::Ipv6Prefix(prefix),
    ));
    let bytes = p.to_vec().unwrap();
    let r = AccessReply::from_packet(&Packet::parse(&bytes).unwrap());
    assert_eq!(r.framed_ip, Some([192, 0, 2, 10].into()));
    assert_eq!(r.acct_interim_interval, Some(300));
    assert_eq!(
        (r.rp_upstream_kbps, r.rp_downstream_kbps),
        (Some(2048), Some(16384))
    );
    assert_eq!(r.cisco_avpair("throttle"), Some("yes"));
    assert_eq!(r.delegated_ipv6_prefix.map(|p| p.len), Some(48));
    let _: Vec<u8> = Vec::new();
}

#[test]
fn dictionary_decodes_vendor_sub_attributes() {
    let d = Dictionary::standard();
    let data = rp_speed_limits(512, 4096).unwrap();
    let v = Vsa {
        vendor: VENDOR_ROARING_PENGUIN,
        data: &data,
    };
    let all: Vec<_> = d.decode_vsa(&v).collect();
    assert_eq!(
        all,
        [
            Some(("RP-Upstream-Speed-Limit", Value::Integer(512))),
            Some(("RP-Downstream-Speed-Limit", Value::Integer(4096)))
        ]
    );
    let (name, v) = d.decode(0, 8, &[192, 0, 2, 1]).unwrap();
    assert_eq!(
        (name, v),
        ("Framed-IP-Address", Ok(Value::Ipv4([192, 0, 2, 1].into())))
    );
    assert!(d.decode(0, 8, &[1]).unwrap().1.is_err());
    assert!(d.decode(77, 1, &[1]).is_none());
    let avp = crate::wire::vsa::encode_sub_attributes(9, &[(1, b"ip:addr-pool=main")]).unwrap();
    let v = Vsa {
        vendor: VENDOR_CISCO,
        data: &avp,
    };
    assert_eq!(
        d.decode_vsa(&v).next(),
        Some(Some(("Cisco-AVPair", Value::Text(b"ip:addr-pool=main"))))
    );
}
