//! The ND codec: arbitrary bytes (with the ICMPv6 checksum patched in so
//! they reach the parser) must never panic `NdpMessage::parse`, and whatever
//! parses must re-emit to the same bytes (reserved fields and padding are
//! kept). Every option parsed alone must round-trip too.
#![no_main]

use std::net::Ipv6Addr;

use libfuzzer_sys::fuzz_target;
use ndp_proto::wire::{NdpMessage, NdpOption, icmpv6_checksum};

const SRC: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const DST: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

fuzz_target!(|data: &[u8]| {
    let mut m = data.to_vec();
    if m.len() >= 4 {
        let c = icmpv6_checksum(&m, SRC, DST);
        m[2..4].copy_from_slice(&c.to_be_bytes());
    }
    if let Ok(msg) = NdpMessage::parse(&m, SRC, DST) {
        assert_eq!(msg.buffer_len(), m.len());
        assert_eq!(msg.to_vec(SRC, DST), m);
        for o in msg.options() {
            assert_eq!(
                &NdpOption::parse(&o.to_vec()).expect("emitted option parses"),
                o
            );
        }
    }
    if let Ok(o) = NdpOption::parse(data) {
        assert_eq!(o.to_vec(), data);
    }
});
