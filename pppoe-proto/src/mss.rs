//! TCP MSS clamping on the PPPoE data path, in place.
//!
//! PPPoE's MTU (1492, or what RFC 4638 agreed) is smaller than Ethernet's,
//! and many hosts behind a router never learn it (ICMP "packet too big"
//! filtered somewhere). Routers therefore rewrite the Maximum Segment Size
//! option (RFC 9293 §3.7.1) of TCP SYNs crossing the session down to what
//! fits: MTU − 40 for IPv4, MTU − 60 for IPv6. The TCP checksum is patched
//! incrementally (RFC 1624) with [`sansio_primitives::checksum::update`].
//!
//! [`clamp_mss`] takes a PPP frame (2-byte protocol field first, as
//! [`crate::session::SessionFramer::decapsulate`] returns it) and touches
//! only IPv4 (0x0021) and IPv6 (0x0057) TCP segments with SYN set whose
//! headers are whole; anything else, malformed or not, is left alone. IPv6
//! segments behind extension headers are not clamped.
//!
//! ```
//! use pppoe_proto::mss::{clamp_mss, mss_for_mtu_v4};
//! // A PPP frame carrying a non-TCP packet is left alone.
//! let mut lcp = [0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0, 0, 0, 0];
//! assert!(!clamp_mss(&mut lcp, mss_for_mtu_v4(1492)));
//! assert_eq!(mss_for_mtu_v4(1492), 1452);
//! ```

use sansio_primitives::checksum;

/// PPP protocol number of IPv4 (RFC 1332).
const PPP_IPV4: u16 = 0x0021;
/// PPP protocol number of IPv6 (RFC 5072).
const PPP_IPV6: u16 = 0x0057;
/// IP protocol number of TCP.
const TCP: u8 = 6;

/// The MSS that fits an IPv4 TCP segment into `mtu` (minus 20 + 20 bytes).
pub fn mss_for_mtu_v4(mtu: u16) -> u16 {
    mtu.saturating_sub(40)
}

/// The MSS that fits an IPv6 TCP segment into `mtu` (minus 40 + 20 bytes).
pub fn mss_for_mtu_v6(mtu: u16) -> u16 {
    mtu.saturating_sub(60)
}

/// Lowers the MSS option of a TCP SYN in this PPP frame to `max_mss` if it is
/// larger; returns true when the frame changed. Never panics.
pub fn clamp_mss(ppp: &mut [u8], max_mss: u16) -> bool {
    if ppp.len() < 2 {
        return false;
    }
    let proto = u16::from_be_bytes([ppp[0], ppp[1]]);
    let ip = &mut ppp[2..];
    let tcp = match proto {
        PPP_IPV4 => tcp_in_v4(ip),
        PPP_IPV6 => tcp_in_v6(ip),
        _ => None,
    };
    match tcp {
        Some(range) => clamp_in_tcp(&mut ip[range], max_mss),
        None => false,
    }
}

/// Where the TCP header lies in an IPv4 packet, if it carries a first (or
/// only) fragment of TCP.
fn tcp_in_v4(ip: &[u8]) -> Option<core::ops::Range<usize>> {
    if ip.len() < 20 || ip[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let frag_offset = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
    if ihl < 20 || total < ihl || total > ip.len() || ip[9] != TCP || frag_offset != 0 {
        return None;
    }
    Some(ihl..total)
}

/// Where the TCP header lies in an IPv6 packet whose next header is TCP.
fn tcp_in_v6(ip: &[u8]) -> Option<core::ops::Range<usize>> {
    if ip.len() < 40 || ip[0] >> 4 != 6 || ip[6] != TCP {
        return None;
    }
    let payload = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
    if 40 + payload > ip.len() {
        return None;
    }
    Some(40..40 + payload)
}

fn clamp_in_tcp(tcp: &mut [u8], max_mss: u16) -> bool {
    if tcp.len() < 20 || tcp[13] & 0x02 == 0 {
        return false; // not whole, or not a SYN
    }
    let data_offset = usize::from(tcp[12] >> 4) * 4;
    if data_offset < 20 || data_offset > tcp.len() {
        return false;
    }
    let mut at = 20;
    while at < data_offset {
        match tcp[at] {
            0 => return false, // End of Option List
            1 => at += 1,      // No-Operation
            kind => {
                let Some(&len) = tcp.get(at + 1) else {
                    return false;
                };
                let len = usize::from(len);
                if len < 2 || at + len > data_offset {
                    return false;
                }
                if kind == 2 && len == 4 {
                    let old = u16::from_be_bytes([tcp[at + 2], tcp[at + 3]]);
                    if old <= max_mss {
                        return false;
                    }
                    tcp[at + 2..at + 4].copy_from_slice(&max_mss.to_be_bytes());
                    let ck = u16::from_be_bytes([tcp[16], tcp[17]]);
                    // The option starts at an even offset (20 + …) only when
                    // `at` is even; RFC 1624 update works on aligned words.
                    let new_ck = if at % 2 == 0 {
                        checksum::update(ck, old, max_mss)
                    } else {
                        let (o, n) = (old.to_be_bytes(), max_mss.to_be_bytes());
                        checksum::update_bytes(ck, &[0, o[0], o[1], 0], &[0, n[0], n[1], 0])
                    };
                    tcp[16..18].copy_from_slice(&new_ck.to_be_bytes());
                    return true;
                }
                at += len;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A PPP frame with an IPv4 TCP SYN carrying `options`, checksum valid.
    fn syn_v4(options: &[u8], flags: u8) -> Vec<u8> {
        let tcp_len = 20 + options.len();
        let mut ip = alloc::vec![0u8; 20 + tcp_len];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&((20 + tcp_len) as u16).to_be_bytes());
        ip[8] = 64;
        ip[9] = TCP;
        ip[12..16].copy_from_slice(&[192, 0, 2, 10]);
        ip[16..20].copy_from_slice(&[198, 51, 100, 1]);
        let c = checksum::checksum(&ip[..20]);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let t = &mut ip[20..];
        t[0..2].copy_from_slice(&40000u16.to_be_bytes());
        t[2..4].copy_from_slice(&443u16.to_be_bytes());
        t[12] = ((tcp_len / 4) as u8) << 4;
        t[13] = flags;
        t[20..].copy_from_slice(options);
        let ph =
            checksum::pseudo_header_v4([192, 0, 2, 10], [198, 51, 100, 1], TCP, tcp_len as u16);
        let c = checksum::finish(checksum::add(ph, checksum::sum(t)));
        t[16..18].copy_from_slice(&c.to_be_bytes());
        let mut ppp = alloc::vec![0x00, 0x21];
        ppp.extend_from_slice(&ip);
        ppp
    }

    fn v4_checksum_ok(ppp: &[u8]) -> bool {
        let ip = &ppp[2..];
        let t = &ip[20..];
        let ph =
            checksum::pseudo_header_v4([192, 0, 2, 10], [198, 51, 100, 1], TCP, t.len() as u16);
        checksum::add(ph, checksum::sum(t)) == 0xffff
    }

    fn mss_of(ppp: &[u8], at: usize) -> u16 {
        u16::from_be_bytes([ppp[2 + 20 + at + 2], ppp[2 + 20 + at + 3]])
    }

    #[test]
    fn clamps_ipv4_syn_and_keeps_checksum_valid() {
        // MSS 1460, SACK-permitted, timestamps, NOP, window scale.
        let opts = [
            2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        let mut p = syn_v4(&opts, 0x02);
        assert!(v4_checksum_ok(&p));
        assert!(clamp_mss(&mut p, 1452));
        assert_eq!(mss_of(&p, 20), 1452);
        assert!(v4_checksum_ok(&p));
        // Already small enough: untouched.
        let before = p.clone();
        assert!(!clamp_mss(&mut p, 1460));
        assert_eq!(p, before);
    }

    #[test]
    fn clamps_an_odd_aligned_option() {
        let opts = [1, 2, 4, 0x05, 0xb4, 1, 1, 1];
        let mut p = syn_v4(&opts, 0x12); // SYN-ACK
        assert!(clamp_mss(&mut p, 1400));
        assert_eq!(mss_of(&p, 21), 1400);
        assert!(v4_checksum_ok(&p));
    }

    #[test]
    fn leaves_non_syn_and_broken_options_alone() {
        let opts = [2, 4, 0x05, 0xb4];
        let mut p = syn_v4(&opts, 0x10); // ACK only
        assert!(!clamp_mss(&mut p, 1000));
        for bad in [[2u8, 0, 0, 0], [2, 9, 0, 0], [0, 2, 4, 5], [7, 1, 0, 0]] {
            let mut p = syn_v4(&bad, 0x02);
            let before = p.clone();
            assert!(!clamp_mss(&mut p, 1000));
            assert_eq!(p, before);
        }
    }

    #[test]
    fn clamps_ipv6_syn() {
        let opts = [2u8, 4, 0x05, 0xa0];
        let src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let dst = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let mut ip = alloc::vec![0u8; 40 + 24];
        ip[0] = 0x60;
        ip[4..6].copy_from_slice(&24u16.to_be_bytes());
        ip[6] = TCP;
        ip[7] = 64;
        ip[8..24].copy_from_slice(&src);
        ip[24..40].copy_from_slice(&dst);
        let t = &mut ip[40..];
        t[12] = 6 << 4;
        t[13] = 0x02;
        t[20..24].copy_from_slice(&opts);
        let ph = checksum::pseudo_header_v6(src, dst, TCP, 24);
        let c = checksum::finish(checksum::add(ph, checksum::sum(t)));
        t[16..18].copy_from_slice(&c.to_be_bytes());
        let mut ppp = alloc::vec![0x00, 0x57];
        ppp.extend_from_slice(&ip);
        assert!(clamp_mss(&mut ppp, mss_for_mtu_v6(1492)));
        let t = &ppp[42..];
        assert_eq!(u16::from_be_bytes([t[22], t[23]]), 1432);
        assert_eq!(checksum::add(ph, checksum::sum(t)), 0xffff);
    }

    #[test]
    fn truncated_packets_do_not_panic() {
        let p = syn_v4(&[2, 4, 0x05, 0xb4], 0x02);
        for n in 0..p.len() {
            let mut q = p[..n].to_vec();
            let _ = clamp_mss(&mut q, 1000);
        }
    }
}
