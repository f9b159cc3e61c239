//! RADIUS packet parsing: never panics; whatever parses re-emits to the same
//! bytes (up to the Length field), and the crypto helpers accept anything.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_proto::crypto;
use radius_proto::wire::{Packet, Value};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Packet::parse(data) {
        let n = usize::from(u16::from_be_bytes([data[2], data[3]]));
        assert_eq!(p.to_vec().unwrap(), &data[..n]);
        for a in &p.attributes {
            if let Value::Vsa(v) = a.value {
                for s in v.sub_attributes() {
                    let _ = s;
                }
            }
        }
        let _ = radius_proto::dict::AccessReply::from_packet(&p);
    }
    let _ = crypto::verify_response(data, &[0; 16], b"s");
    let _ = crypto::verify_request_zero(data, b"s");
    let _ = crypto::verify_message_authenticator(data, &[0; 16], b"s");
    let _ = crypto::recover_password(data, b"s", &[0; 16]);
});
