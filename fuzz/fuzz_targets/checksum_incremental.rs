//! Differential: an RFC 1624 incremental update must agree with a full
//! recomputation for any data and any changed 16- or 32-bit field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sansio_primitives::checksum;

fuzz_target!(|input: (Vec<u8>, u16, u32, u8)| {
    let (mut data, new16, new32, at) = input;
    if data.len() < 4 || data.iter().all(|&b| b == 0) {
        return; // all-zero data: either zero is a correct checksum (RFC 1624 §3)
    }
    let at = (usize::from(at) * 2) % (data.len() - 3);
    let at = at & !1;
    let before = checksum::checksum(&data);
    let old16 = u16::from_be_bytes([data[at], data[at + 1]]);
    data[at..at + 2].copy_from_slice(&new16.to_be_bytes());
    let after16 = checksum::update(before, old16, new16);
    if data.iter().any(|&b| b != 0) {
        assert_eq!(after16, checksum::checksum(&data));
    }
    let old32 = u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    data[at..at + 4].copy_from_slice(&new32.to_be_bytes());
    let after32 = checksum::update_u32(after16, old32, new32);
    if data.iter().any(|&b| b != 0) {
        assert_eq!(after32, checksum::checksum(&data));
    }
});
