//! ICMP and ICMPv6 echo packets for the data-path tests: requests to send
//! through a session, and the reply a stand-in IP stack gives.

use std::net::Ipv4Addr;

use sansio_primitives::checksum;

/// An ICMP Echo Request from `src` to `dst` (IPv4 header + ICMP).
pub fn icmpv4_echo(src: Ipv4Addr, dst: Ipv4Addr, id: u16, seq: u16) -> Vec<u8> {
    icmpv4_echo_with(src, dst, id, seq, b"our pppoe client says hello")
}

/// As [`icmpv4_echo`], carrying `payload`.
pub fn icmpv4_echo_with(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    id: u16,
    seq: u16,
    payload: &[u8],
) -> Vec<u8> {
    let total = 20 + 8 + payload.len();
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 1, 0, 0];
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum::checksum(&p);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let mut icmp = vec![8, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(payload);
    let c = checksum::checksum(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&icmp);
    p
}

/// An ICMPv6 Echo Request between link-local addresses made from interface ids.
pub fn icmpv6_echo(src_ifid: u64, dst_ifid: u64, id: u16, seq: u16) -> Vec<u8> {
    let ll = |ifid: u64| {
        let mut a = [0u8; 16];
        a[0] = 0xfe;
        a[1] = 0x80;
        a[8..].copy_from_slice(&ifid.to_be_bytes());
        a
    };
    let (src, dst) = (ll(src_ifid), ll(dst_ifid));
    let mut icmp = vec![128, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(b"and over ipv6");
    let sum = checksum::add(
        checksum::pseudo_header_v6(src, dst, 58, icmp.len() as u32),
        checksum::sum(&icmp),
    );
    icmp[2..4].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    p.extend_from_slice(&[58, 64]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&icmp);
    p
}

/// The reply to an ICMP/ICMPv6 Echo Request addressed to us (any address:
/// this stands in for the concentrator's IP stack); `None` for anything else.
pub fn echo_reply(protocol: u16, packet: &[u8]) -> Option<Vec<u8>> {
    match protocol {
        0x0021 if packet.len() >= 28 && packet[0] >> 4 == 4 && packet[9] == 1 => {
            let ihl = usize::from(packet[0] & 0x0f) * 4;
            if packet.get(ihl) != Some(&8) {
                return None;
            }
            let mut r = packet.to_vec();
            let (src, dst) = (packet[12..16].to_vec(), packet[16..20].to_vec());
            r[12..16].copy_from_slice(&dst);
            r[16..20].copy_from_slice(&src);
            r[10..12].copy_from_slice(&[0, 0]);
            let c = checksum::checksum(&r[..ihl]);
            r[10..12].copy_from_slice(&c.to_be_bytes());
            // Type 8 -> 0 changes one 16-bit word of the ICMP message.
            let old = u16::from_be_bytes([r[ihl], r[ihl + 1]]);
            r[ihl] = 0;
            let new = u16::from_be_bytes([r[ihl], r[ihl + 1]]);
            let c = u16::from_be_bytes([r[ihl + 2], r[ihl + 3]]);
            r[ihl + 2..ihl + 4].copy_from_slice(&checksum::update(c, old, new).to_be_bytes());
            Some(r)
        }
        0x0057
            if packet.len() >= 48
                && packet[0] >> 4 == 6
                && packet[6] == 58
                && packet[40] == 128 =>
        {
            let mut r = packet.to_vec();
            let (src, dst) = (packet[8..24].to_vec(), packet[24..40].to_vec());
            r[8..24].copy_from_slice(&dst);
            r[24..40].copy_from_slice(&src);
            r[40] = 129;
            r[42..44].copy_from_slice(&[0, 0]);
            let src: [u8; 16] = r[8..24].try_into().ok()?;
            let dst: [u8; 16] = r[24..40].try_into().ok()?;
            let sum = checksum::add(
                checksum::pseudo_header_v6(src, dst, 58, (r.len() - 40) as u32),
                checksum::sum(&r[40..]),
            );
            r[42..44].copy_from_slice(&checksum::finish(sum).to_be_bytes());
            Some(r)
        }
        _ => None,
    }
}
