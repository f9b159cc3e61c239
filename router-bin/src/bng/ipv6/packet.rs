//! The few IPv6 header fields the data path reads, and the packets the bng
//! builds itself (RAs and DHCPv6 answers inside a session).

use std::net::Ipv6Addr;

use sansio_primitives::checksum;

/// ICMPv6's next-header value.
pub const ICMPV6: u8 = 58;
/// UDP's next-header value.
pub const UDP: u8 = 17;
/// ICMPv6 Router Solicitation.
pub const ROUTER_SOLICITATION: u8 = 133;
/// DHCPv6 server port.
pub const DHCPV6_SERVER: u16 = 547;
/// All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
pub const ALL_DHCP_AGENTS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// An IPv6 packet's fixed header, checked against the packet's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Next header (no extension headers are followed).
    pub next: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Payload length (the packet holds at least this much after the
    /// header).
    pub payload_len: usize,
}

/// The header of `p`, or `None` when it is not IPv6 or shorter than it says.
pub fn header(p: &[u8]) -> Option<Header> {
    if p.len() < 40 || p[0] >> 4 != 6 {
        return None;
    }
    let payload_len = usize::from(u16::from_be_bytes([p[4], p[5]]));
    if p.len() < 40 + payload_len {
        return None;
    }
    let a = |r: std::ops::Range<usize>| <[u8; 16]>::try_from(&p[r]).ok().map(Ipv6Addr::from);
    Some(Header {
        src: a(8..24)?,
        dst: a(24..40)?,
        next: p[6],
        hop_limit: p[7],
        payload_len,
    })
}

/// `fe80::ifid`.
pub fn link_local(ifid: u64) -> Ipv6Addr {
    Ipv6Addr::from((0xfe80u128 << 112) | u128::from(ifid))
}

/// An IPv6 packet around `payload` (already checksummed for these
/// addresses where its protocol needs it).
pub fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, hop_limit: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + payload.len());
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, hop_limit]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    p
}

/// A UDP datagram in IPv6, its checksum filled (hop limit 255 as a
/// link-scoped DHCPv6 message needs nothing else).
pub fn udp(src: Ipv6Addr, dst: Ipv6Addr, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let len = 8 + data.len();
    let mut u = Vec::with_capacity(len);
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&(len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let sum = checksum::add(
        checksum::pseudo_header_v6(src.octets(), dst.octets(), UDP, len as u32),
        checksum::sum(&u),
    );
    // RFC 8200 §8.1: a computed 0 is sent as 0xffff.
    let c = match checksum::finish(sum) {
        0 => 0xffff,
        c => c,
    };
    u[6..8].copy_from_slice(&c.to_be_bytes());
    ipv6(src, dst, UDP, 255, &u)
}

/// The UDP payload of `p` (header `h`) if it goes to `port` and its
/// checksum verifies. A zero checksum ("none") is refused as a bad one
/// (the caller counts it dropped): RFC 8200 §8.1 has IPv6 receivers
/// discard it (RFC 6935 allows it for tunnels only).
pub fn udp_to<'a>(p: &'a [u8], h: &Header, port: u16) -> Option<&'a [u8]> {
    if h.next != UDP || h.payload_len < 8 {
        return None;
    }
    let u = &p[40..40 + h.payload_len];
    let len = usize::from(u16::from_be_bytes([u[4], u[5]]));
    if u16::from_be_bytes([u[2], u[3]]) != port || len < 8 || len > u.len() || u[6..8] == [0, 0] {
        return None;
    }
    let sum = checksum::add(
        checksum::pseudo_header_v6(h.src.octets(), h.dst.octets(), UDP, len as u32),
        checksum::sum(&u[..len]),
    );
    (checksum::finish(sum) == 0).then_some(&u[8..len])
}

/// The ICMPv6 message of `p` (header `h`): (type, the whole message).
pub fn icmpv6<'a>(p: &'a [u8], h: &Header) -> Option<(u8, &'a [u8])> {
    (h.next == ICMPV6 && h.payload_len >= 4).then(|| (p[40], &p[40..40 + h.payload_len]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_round_trips_and_bad_checksums_are_refused() {
        let (a, b) = (link_local(2), ALL_DHCP_AGENTS);
        let mut p = udp(a, b, 546, DHCPV6_SERVER, b"hello");
        let h = header(&p).unwrap();
        assert_eq!((h.src, h.dst, h.next, h.hop_limit), (a, b, UDP, 255));
        assert_eq!(udp_to(&p, &h, DHCPV6_SERVER), Some(&b"hello"[..]));
        assert_eq!(udp_to(&p, &h, 546), None);
        p[50] ^= 1;
        assert_eq!(udp_to(&p, &h, DHCPV6_SERVER), None);
        // Shorter than the header says: not a packet.
        assert!(header(&p[..45]).is_none());
        assert!(header(&[0x40; 60]).is_none());
    }

    #[test]
    fn a_zero_udp_checksum_is_refused_even_where_0xffff_verifies() {
        let (a, b) = (link_local(2), ALL_DHCP_AGENTS);
        // A first data word equal to the checksum of the datagram without
        // it makes the sum come to zero: sent as 0xffff (RFC 8200 §8.1),
        // which is also 0 in ones' complement.
        let c = udp(a, b, 546, DHCPV6_SERVER, b"\0\0hello");
        let mut p = udp(a, b, 546, DHCPV6_SERVER, &[&c[46..48], b"hello"].concat());
        assert_eq!(p[46..48], [0xff, 0xff]);
        let h = header(&p).unwrap();
        assert!(udp_to(&p, &h, DHCPV6_SERVER).is_some());
        // Zero means "no checksum", which an IPv6 receiver discards (RFC
        // 8200 §8.1; RFC 6935's exception is for tunnels, not DHCPv6).
        p[46..48].copy_from_slice(&[0, 0]);
        assert_eq!(udp_to(&p, &h, DHCPV6_SERVER), None);
    }
}
