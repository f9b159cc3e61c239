//! Packets of an offloading TUN (`IFF_VNET_HDR`, `TUN_F_CSUM | TSO4 |
//! TSO6`) through the translator: TCP segments of up to 64 KiB (GSO) and
//! partial checksums, each behind a `virtio_net_hdr`.
//!
//! The translator works on such a packet as on any other: its headers are
//! translated, the transport checksum updated incrementally. Two things
//! differ. A partial checksum (`NEEDS_CSUM`) field holds the pseudo-header
//! sum, not its complement, so it is complemented around the translation
//! (RFC 1624's update then moves it between the pseudo-headers exactly);
//! and the header is rewritten for the output: the transport header's new
//! offset, the GSO type of the other family, the new header length. The
//! kernel cuts the segments on the way out.

use tracing::debug;

#[cfg(test)]
use crate::gso::NEEDS_CSUM;
use crate::gso::{GSO_ECN, GSO_NONE, GSO_TCPV4, GSO_TCPV6, VnetHdr};

fn complement(pkt: &mut [u8], at: usize) {
    let c = !u16::from_be_bytes([pkt[at], pkt[at + 1]]);
    pkt[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// What [`prepare`] found: the partial checksum's offset in the transport
/// header, and the transport header's two ports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Partial {
    offset: u16,
    ports: [u16; 2],
}

fn ports(pkt: &[u8], l4: usize) -> [u16; 2] {
    let p = |at: usize| u16::from_be_bytes([pkt[at], pkt[at + 1]]);
    [p(l4), p(l4 + 2)]
}

/// Before the translation of `pkt`: a partial checksum made a checksum.
pub(crate) fn prepare(hdr: &VnetHdr, pkt: &mut [u8]) -> Option<Partial> {
    let at = hdr.csum_at(pkt.len())?;
    complement(pkt, at);
    let l4 = usize::from(hdr.csum_start);
    // TCP and UDP (checksum at 16 or 6) have their ports in front of it.
    let ports = if hdr.csum_offset >= 4 {
        ports(pkt, l4)
    } else {
        [0, 0]
    };
    Some(Partial {
        offset: hdr.csum_offset,
        ports,
    })
}

/// A packet [`prepare`]d that is not translated as one after all (SIIT
/// cuts it into IPv6 fragments): its checksum field made the whole
/// checksum, which fragments need.
pub(crate) fn complete(hdr: &VnetHdr, pkt: &mut [u8]) {
    let Some(at) = hdr.csum_at(pkt.len()) else {
        return;
    };
    // Back to the pseudo-header sum the kernel left there, then summed
    // with the rest of the transport segment.
    complement(pkt, at);
    let l4 = usize::from(hdr.csum_start);
    let mut c = !sansio_primitives::checksum::sum(&pkt[l4..]);
    if c == 0 && hdr.csum_offset == 6 {
        // UDP: zero means "no checksum" (RFC 768).
        c = 0xffff;
    }
    pkt[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// The transport header's offset in a translated packet (the translator
/// writes no extension header but a Fragment header).
fn l4_offset(pkt: &[u8]) -> Option<usize> {
    match pkt.first()? >> 4 {
        4 => Some(usize::from(pkt[0] & 0x0f) * 4),
        6 if pkt.len() >= 40 => Some(if pkt[6] == 44 { 48 } else { 40 }),
        _ => None,
    }
}

/// After the translation into `out`: the partial checksum restored and the
/// header for the output. `partial` is what [`prepare`] returned.
pub(crate) fn finish(hdr: &VnetHdr, partial: Option<Partial>, out: &mut [u8]) -> VnetHdr {
    let Some(l4) = l4_offset(out) else {
        return VnetHdr::default();
    };
    let mut h = *hdr;
    if let Some(p) = partial {
        let at = l4 + usize::from(p.offset);
        if at + 2 > out.len() {
            debug!("offload: checksum field beyond the translated packet");
            return VnetHdr::default();
        }
        if p.offset >= 4 {
            // A partial checksum covers the pseudo-header only: the kernel
            // sums the ports itself, so a port NAT64 rewrote (and updated
            // the checksum for) is taken back out of it.
            let mut c = u16::from_be_bytes([out[at], out[at + 1]]);
            for (old, new) in p.ports.into_iter().zip(ports(out, l4)) {
                c = sansio_primitives::checksum::update(c, new, old);
            }
            out[at..at + 2].copy_from_slice(&c.to_be_bytes());
        }
        complement(out, at);
        h.csum_start = l4 as u16;
    }
    let ecn = h.gso_type & GSO_ECN;
    h.gso_type = match (h.gso_type & !GSO_ECN, out[0] >> 4) {
        (GSO_TCPV4 | GSO_TCPV6, 4) => GSO_TCPV4 | ecn,
        (GSO_TCPV4 | GSO_TCPV6, 6) => GSO_TCPV6 | ecn,
        (t, _) => t | ecn,
    };
    if h.gso_type & !GSO_ECN != GSO_NONE {
        // IP + TCP header, the TCP header's own length from Data Offset.
        let tcp_len = out.get(l4 + 12).map_or(20, |b| usize::from(b >> 4) * 4);
        h.hdr_len = (l4 + tcp_len) as u16;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use sansio_primitives::SeededRng;
    use xlat::{HEADROOM, Siit, SiitConfig, XlatOutput};

    /// A 4000-byte TCP GSO packet with a partial checksum, IPv4 → IPv6:
    /// the output's partial checksum is the IPv6 pseudo-header sum, the
    /// header says TCPV6 with the new offsets.
    #[test]
    fn a_gso_tcp_segment_with_a_partial_checksum_is_translated() {
        let pool6 = xlat::Nat64Prefix::new("2001:db8:64::".parse().unwrap(), 96).unwrap();
        let mut siit = Siit::new(SiitConfig::new(Some(pool6)), SeededRng::from_u64(1)).unwrap();
        let (src, dst) = ([198, 51, 100, 7], [192, 0, 2, 1]);
        let payload = 4000;
        let mut pkt = vec![0u8; 40 + payload];
        pkt[0] = 0x45;
        pkt[2..4].copy_from_slice(&((40 + payload) as u16).to_be_bytes());
        pkt[6] = 0x40;
        pkt[8] = 64;
        pkt[9] = 6;
        pkt[12..16].copy_from_slice(&src);
        pkt[16..20].copy_from_slice(&dst);
        let c = sansio_primitives::checksum::checksum(&pkt[..20]);
        pkt[10..12].copy_from_slice(&c.to_be_bytes());
        pkt[32] = 0x50;
        let ph = sansio_primitives::checksum::pseudo_header_v4(src, dst, 6, (20 + payload) as u16);
        // CHECKSUM_PARTIAL: the folded pseudo-header sum, not complemented.
        pkt[36..38].copy_from_slice(&ph.to_be_bytes());
        let hdr = VnetHdr {
            flags: NEEDS_CSUM,
            gso_type: GSO_TCPV4,
            hdr_len: 40,
            gso_size: 1460,
            csum_start: 20,
            csum_offset: 16,
        };
        let mut buf = vec![0u8; HEADROOM + pkt.len()];
        buf[HEADROOM..].copy_from_slice(&pkt);
        let off = prepare(&hdr, &mut buf[HEADROOM..]);
        let out = siit.translate(&mut buf, HEADROOM, pkt.len()).unwrap();
        let XlatOutput::Translated { .. } = out else {
            panic!()
        };
        let o = &mut buf[out.range()];
        let h = finish(&hdr, off, o);
        assert_eq!(
            h,
            VnetHdr {
                flags: NEEDS_CSUM,
                gso_type: GSO_TCPV6,
                hdr_len: 60,
                gso_size: 1460,
                csum_start: 40,
                csum_offset: 16,
            }
        );
        let mut s6 = [0u8; 16];
        s6.copy_from_slice(&o[8..24]);
        let mut d6 = [0u8; 16];
        d6.copy_from_slice(&o[24..40]);
        let ph6 = sansio_primitives::checksum::pseudo_header_v6(s6, d6, 6, (20 + payload) as u32);
        assert_eq!(u16::from_be_bytes([o[56], o[57]]), ph6);
    }
}
