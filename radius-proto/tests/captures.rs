//! Golden packets captured from a real FreeRADIUS 3.2.1 (Debian bookworm)
//! by `tests/freeradius.rs` (`RADIUS_CAPTURE_DIR=radius-proto/tests/captures`):
//! our Access-Request for alice/wonderland and FreeRADIUS's Access-Accept,
//! shared secret `testing123`. Checked byte for byte, offline.

use radius_proto::crypto::{self, MessageAuth};
use radius_proto::dict::AccessReply;
use radius_proto::wire::{Code, Packet, attr};

const REQUEST: &[u8] = include_bytes!("captures/pap-request.bin");
const ACCEPT: &[u8] = include_bytes!("captures/pap-accept.bin");
const SECRET: &[u8] = b"testing123";

#[test]
fn freeradius_access_accept_golden() {
    let req = Packet::parse(REQUEST).unwrap();
    assert_eq!(req.code, Code::AccessRequest);
    assert_eq!(req.to_vec().unwrap(), REQUEST);
    assert_eq!(
        crypto::verify_message_authenticator(REQUEST, &req.authenticator, SECRET),
        MessageAuth::Valid
    );
    let hidden = req.get(attr::USER_PASSWORD).unwrap().as_bytes().unwrap();
    let pw = crypto::recover_password(hidden, SECRET, &req.authenticator).unwrap();
    assert_eq!(pw.expose(), b"wonderland");

    let acc = Packet::parse(ACCEPT).unwrap();
    assert_eq!(
        (acc.code, acc.identifier),
        (Code::AccessAccept, req.identifier)
    );
    assert_eq!(acc.to_vec().unwrap(), ACCEPT);
    assert!(crypto::verify_response(ACCEPT, &req.authenticator, SECRET));
    assert!(!crypto::verify_response(
        ACCEPT,
        &req.authenticator,
        b"testing124"
    ));
    assert_eq!(
        crypto::verify_message_authenticator(ACCEPT, &req.authenticator, SECRET),
        MessageAuth::Valid
    );
    let r = AccessReply::from_packet(&acc);
    assert_eq!(r.framed_ip, Some([192, 0, 2, 7].into()));
    assert_eq!(r.acct_interim_interval, Some(300));
    assert_eq!(r.session_timeout, Some(86400));
    assert_eq!(
        (r.rp_upstream_kbps, r.rp_downstream_kbps),
        (Some(2048), Some(16384))
    );
    assert_eq!(r.cisco_avpair("throttle"), Some("yes"));
    // FreeRADIUS sends the whole 16-octet prefix field; it round-trips as sent.
    let p = r.delegated_ipv6_prefix.unwrap();
    assert_eq!((p.len, p.wire_octets().len()), (56, 16));
}
