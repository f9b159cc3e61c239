//! The DHCPv4 codec: arbitrary bytes must never panic `Message::parse`, and
//! whatever parses must re-emit to bytes that parse to the same message and
//! re-emit identically (emit is the inverse of parse on canonical bytes).
#![no_main]

use dhcpv4_proto::wire::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(data) {
        let bytes = m.to_vec();
        assert_eq!(bytes.len(), m.buffer_len());
        let again = Message::parse(&bytes).expect("emitted message must parse");
        assert_eq!(again, m);
        assert_eq!(again.to_vec(), bytes);
    }
});
