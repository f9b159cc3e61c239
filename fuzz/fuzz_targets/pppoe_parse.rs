//! PPPoE discovery codec: parse arbitrary bytes; whatever parses must
//! re-emit to exactly the same bytes. Session-frame peeking must not panic
//! and must stay inside the frame; MSS clamping must not panic and may only
//! change a SYN's MSS option and TCP checksum (length unchanged).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pppoe_proto::{mss, session};
use pppoe_proto::wire::DiscoveryFrame;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = DiscoveryFrame::parse(data) {
        assert_eq!(f.buffer_len(), data.len());
        let mut out = vec![0u8; f.buffer_len()];
        assert_eq!(f.emit(&mut out), Ok(data.len()));
        assert_eq!(&out[..], data);
    }
    if let Ok(h) = session::peek(data) {
        assert!(h.ppp.end <= data.len());
    }
    let mut copy = data.to_vec();
    let changed = mss::clamp_mss(&mut copy, 1452);
    assert_eq!(copy.len(), data.len());
    assert_eq!(changed, copy != data);
});
