//! TCP MSS clamping on hostile PPP frames (the router's and the bng's data
//! path run it on every packet): never panics, never changes the length,
//! changes bytes only when it says so, and an IPv4 TCP segment whose
//! checksum verified before still verifies after (the RFC 1624 update).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pppoe_proto::mss::clamp_mss;
use sansio_primitives::checksum;

/// Whether the IPv4 TCP segment in `ppp` (protocol field first) has a
/// correct checksum; `None` when it is not a whole IPv4 TCP segment.
fn tcp_v4_ok(ppp: &[u8]) -> Option<bool> {
    let ip = ppp.get(2..)?;
    if ppp[..2] != [0x00, 0x21] || ip.len() < 20 || ip[0] >> 4 != 4 || ip[9] != 6 {
        return None;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    if ihl < 20 || total < ihl + 20 || total > ip.len() {
        return None;
    }
    let tcp = &ip[ihl..total];
    let src = ip[12..16].try_into().ok()?;
    let dst = ip[16..20].try_into().ok()?;
    let pseudo = checksum::pseudo_header_v4(src, dst, 6, u16::try_from(tcp.len()).ok()?);
    Some(checksum::add(pseudo, checksum::sum(tcp)) == 0xffff)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mss_hi, rest)) = data.split_first() else {
        return;
    };
    let max_mss = u16::from(mss_hi) * 8;
    let mut frame = rest.to_vec();
    let before = tcp_v4_ok(&frame);
    let changed = clamp_mss(&mut frame, max_mss);
    assert_eq!(frame.len(), rest.len());
    if !changed {
        assert_eq!(frame, rest);
    }
    if before == Some(true) {
        assert_eq!(tcp_v4_ok(&frame), Some(true), "checksum broken by the clamp");
    }
});
