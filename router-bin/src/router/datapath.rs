//! The session's IP data path between the PPPoE frames and the TUN device,
//! with TCP MSS clamping both ways (MTU − 40 for IPv4, MTU − 60 for IPv6).

use pppoe_link::{PPP_IPV4, PPP_IPV6};
use pppoe_proto::mss::{clamp_mss, mss_for_mtu_v4, mss_for_mtu_v6};

/// Data path counters (shown by `router status`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Counters {
    /// IP packets from the ISP for the TUN device (with offloads several
    /// may go in one write; a failed write counts in `dropped`).
    pub rx_packets: u64,
    /// Their bytes (IP).
    pub rx_bytes: u64,
    /// IP packets sent in the session (each segment of a TCP
    /// super-packet from the TUN counts).
    pub tx_packets: u64,
    /// Their bytes (IP).
    pub tx_bytes: u64,
    /// TCP SYNs whose MSS was lowered.
    pub mss_clamped: u64,
    /// Packets dropped (no session, too big, socket full, not IP).
    pub dropped: u64,
    /// WAN frames the kernel dropped because the packet socket's receive
    /// buffer was full (`PACKET_STATISTICS`): the router read too slowly.
    pub rx_dropped: u64,
}

impl Counters {
    /// Adds `other`'s counts (a worker's, for the total).
    pub fn add(&mut self, other: &Counters) {
        self.rx_packets += other.rx_packets;
        self.rx_bytes += other.rx_bytes;
        self.tx_packets += other.tx_packets;
        self.tx_bytes += other.tx_bytes;
        self.mss_clamped += other.mss_clamped;
        self.dropped += other.dropped;
        self.rx_dropped += other.rx_dropped;
    }
}

/// The MSS limit for a PPP frame's protocol at this MTU.
fn max_mss(protocol: u16, mtu: u16) -> u16 {
    if protocol == PPP_IPV6 {
        mss_for_mtu_v6(mtu)
    } else {
        mss_for_mtu_v4(mtu)
    }
}

/// Clamps a PPP frame (protocol field first, then the IP packet) in place;
/// whether it changed.
pub fn clamp_ppp(ppp: &mut [u8], mtu: u16) -> bool {
    let Some(p) = ppp.get(..2) else {
        return false;
    };
    let protocol = u16::from_be_bytes([p[0], p[1]]);
    clamp_mss(ppp, max_mss(protocol, mtu))
}

/// The PPP protocol of a bare IP packet from the TUN device, by its version.
pub fn protocol_of(packet: &[u8]) -> Option<u16> {
    match packet.first()? >> 4 {
        4 => Some(PPP_IPV4),
        6 => Some(PPP_IPV6),
        _ => None,
    }
}

/// Prepares a TUN packet read into `buf[2..2 + n]` for the session: writes
/// its PPP protocol into `buf[..2]` and clamps the MSS. The protocol, or
/// `None` for a packet that is not IP.
pub fn outbound(buf: &mut [u8], n: usize, mtu: u16, counters: &mut Counters) -> Option<u16> {
    let frame = buf.get_mut(..2 + n)?;
    let protocol = protocol_of(&frame[2..])?;
    frame[..2].copy_from_slice(&protocol.to_be_bytes());
    if clamp_ppp(frame, mtu) {
        counters.mss_clamped += 1;
    }
    Some(protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sansio_primitives::checksum;

    /// An IPv4 TCP SYN 192.0.2.10 -> 198.51.100.1 with MSS 1460.
    fn syn() -> Vec<u8> {
        let mut ip = vec![0u8; 44];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&44u16.to_be_bytes());
        ip[8] = 64;
        ip[9] = 6;
        ip[12..16].copy_from_slice(&[192, 0, 2, 10]);
        ip[16..20].copy_from_slice(&[198, 51, 100, 1]);
        let c = checksum::checksum(&ip[..20]);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        let t = &mut ip[20..];
        t[12] = 6 << 4;
        t[13] = 0x02;
        t[20..24].copy_from_slice(&[2, 4, 0x05, 0xb4]);
        let ph = checksum::pseudo_header_v4([192, 0, 2, 10], [198, 51, 100, 1], 6, 24);
        let c = checksum::finish(checksum::add(ph, checksum::sum(t)));
        t[16..18].copy_from_slice(&c.to_be_bytes());
        ip
    }

    fn tcp_ok(ip: &[u8]) -> bool {
        let ph = checksum::pseudo_header_v4([192, 0, 2, 10], [198, 51, 100, 1], 6, 24);
        checksum::add(ph, checksum::sum(&ip[20..])) == 0xffff
    }

    #[test]
    fn outbound_syn_is_clamped_to_mtu_minus_40() {
        let ip = syn();
        let mut buf = vec![0u8; 2 + ip.len()];
        buf[2..].copy_from_slice(&ip);
        let mut c = Counters::default();
        assert_eq!(outbound(&mut buf, ip.len(), 1492, &mut c), Some(PPP_IPV4));
        assert_eq!(buf[..2], [0x00, 0x21]);
        assert_eq!(u16::from_be_bytes([buf[2 + 42], buf[2 + 43]]), 1452);
        assert!(tcp_ok(&buf[2..]));
        assert_eq!(c.mss_clamped, 1);
    }

    #[test]
    fn inbound_syn_ack_is_clamped() {
        let mut ppp = vec![0x00, 0x21];
        ppp.extend_from_slice(&syn());
        ppp[2 + 33] = 0x12; // SYN-ACK; fix the checksum by recomputing
        ppp[2 + 36..2 + 38].copy_from_slice(&[0, 0]);
        let ph = checksum::pseudo_header_v4([192, 0, 2, 10], [198, 51, 100, 1], 6, 24);
        let c = checksum::finish(checksum::add(ph, checksum::sum(&ppp[22..])));
        ppp[2 + 36..2 + 38].copy_from_slice(&c.to_be_bytes());
        assert!(clamp_ppp(&mut ppp, 1400));
        assert_eq!(u16::from_be_bytes([ppp[2 + 42], ppp[2 + 43]]), 1360);
        assert!(tcp_ok(&ppp[2..]));
    }

    #[test]
    fn non_ip_and_short_input_pass() {
        let mut c = Counters::default();
        let mut buf = [0u8; 4];
        assert_eq!(outbound(&mut buf, 2, 1492, &mut c), None);
        assert_eq!(outbound(&mut buf, 9, 1492, &mut c), None);
        assert!(!clamp_ppp(&mut [0x00], 1492));
    }
}
