//! RFC 6929 §2.8 through the real bng: a CoA-Request whose authenticator
//! checks out but which carries an invalid attribute (an empty text
//! attribute, which radclient will not send, so the test builds it) is
//! answered — CoA-NAK with Error-Cause 407 (Invalid-Attribute-Value) — not
//! dropped as malformed, which left the requester retransmitting.

mod bng_support;
mod common;

use std::net::UdpSocket;
use std::time::Duration;

use bng_support::Bed;
use radius_proto::crypto;
use radius_proto::wire::{Attribute, Code, Packet, Value, attr};

const SECRET: &[u8] = b"coa-secret";

#[test]
fn coa_with_an_empty_text_attribute_is_naked_407() {
    let coa = "[coa]\nlisten = \"127.0.0.1:3799\"\nsecret = \"coa-secret\"\n";
    let Some(bed) = Bed::start("bng-coa-invalid", true, coa) else {
        return;
    };
    let mut p = Packet::new(Code::CoaRequest, 42, [0; 16]);
    p.attributes.extend([
        Attribute::new(
            attr::FRAMED_IP_ADDRESS,
            Value::Ipv4([198, 51, 100, 10].into()),
        ),
        Attribute::new(attr::REPLY_MESSAGE, Value::Invalid(b"")),
    ]);
    let mut req = p.to_vec().unwrap();
    assert_eq!(
        &req[26..28],
        [attr::REPLY_MESSAGE, 2],
        "empty text attribute"
    );
    crypto::sign_request_zero(&mut req, SECRET);
    let answer = bed
        .isp
        .enter(|| {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            s.send_to(&req, "127.0.0.1:3799").unwrap();
            let mut buf = [0u8; 4096];
            s.recv_from(&mut buf).map(|(n, _)| buf[..n].to_vec())
        })
        .unwrap()
        .unwrap_or_else(|e| panic!("no answer ({e}):\n{}", bed.log()));
    let ra: [u8; 16] = req[4..20].try_into().unwrap();
    assert!(crypto::verify_response(&answer, &ra, SECRET));
    let a = Packet::parse(&answer).unwrap();
    assert_eq!((a.code, a.identifier), (Code::CoaNak, 42));
    assert_eq!(a.get(attr::ERROR_CAUSE), Some(&Value::Integer(407)));
}
