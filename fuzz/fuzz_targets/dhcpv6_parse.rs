//! The DHCPv6 codec: any input that parses must emit back to the very same
//! bytes (the codec keeps everything it accepts), and `buffer_len` must be
//! what `emit` writes. Never panics.
#![no_main]

use dhcpv6_proto::wire::{Dhcpv6Option, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(data) {
        assert_eq!(m.buffer_len(), data.len());
        assert_eq!(m.to_vec(), data);
    }
    if let Ok(o) = Dhcpv6Option::parse(data) {
        assert_eq!(o.to_vec(), data);
    }
});
