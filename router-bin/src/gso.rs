//! The `virtio_net_hdr` of an offloading TUN (`IFF_VNET_HDR`,
//! `TUN_F_CSUM | TSO4 | TSO6`, see [`crate::tun::Tun::open_offload`]) and
//! what a userspace data path does with it where no NIC will: TCP
//! segmentation of a GSO super-packet into wire-sized segments
//! ([`segment`]) and completion of a partial checksum
//! ([`complete_checksum`]).
//!
//! Segmentation follows the kernel's `tcp_gso_segment`: each segment gets
//! the super-packet's IP and TCP headers with its own IPv4 Identification
//! (consecutive), length, header checksum, TCP sequence number and full
//! TCP checksum; FIN and PSH stay on the last segment only, CWR on the
//! first only (RFC 3168 §6.1.2: CWR is set once per window reduction).
#![forbid(unsafe_code)]

use sansio_primitives::checksum;

/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the transport checksum field holds the
/// pseudo-header sum; the sum from `csum_start` to the end is still to add.
pub const NEEDS_CSUM: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_NONE`.
pub const GSO_NONE: u8 = 0;
/// `VIRTIO_NET_HDR_GSO_TCPV4`.
pub const GSO_TCPV4: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_TCPV6`.
pub const GSO_TCPV6: u8 = 4;
/// `VIRTIO_NET_HDR_GSO_ECN`: the segments carry ECN (CWR on the first).
pub const GSO_ECN: u8 = 0x80;

/// The largest packet an offloading TUN hands over (IPv4 total length).
pub const MAX_GSO_PACKET: usize = 65535;

const TCP: u8 = 6;
const TCP_FIN: u8 = 0x01;
const TCP_PSH: u8 = 0x08;
const TCP_CWR: u8 = 0x80;

/// A `virtio_net_hdr` (native byte order, as the TUN uses by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VnetHdr {
    /// `NEEDS_CSUM` or 0.
    pub flags: u8,
    /// `GSO_*`, with `GSO_ECN` or'ed in.
    pub gso_type: u8,
    /// IP + transport header length.
    pub hdr_len: u16,
    /// The payload of each segment (the MSS).
    pub gso_size: u16,
    /// Where the checksummed part starts (the transport header).
    pub csum_start: u16,
    /// Where the checksum field lies from `csum_start`.
    pub csum_offset: u16,
}

fn rd(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

impl VnetHdr {
    /// The header at the start of `b`; `None` when `b` is shorter than
    /// [`crate::tun::VNET_HDR_LEN`].
    pub fn parse(b: &[u8]) -> Option<VnetHdr> {
        let b = b.get(..crate::tun::VNET_HDR_LEN)?;
        Some(VnetHdr {
            flags: b[0],
            gso_type: b[1],
            hdr_len: rd(b, 2),
            gso_size: rd(b, 4),
            csum_start: rd(b, 6),
            csum_offset: rd(b, 8),
        })
    }

    /// Writes the header into the first [`crate::tun::VNET_HDR_LEN`] bytes
    /// of `b` (which must hold them).
    pub fn write(&self, b: &mut [u8]) {
        b[0] = self.flags;
        b[1] = self.gso_type;
        b[2..4].copy_from_slice(&self.hdr_len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.gso_size.to_ne_bytes());
        b[6..8].copy_from_slice(&self.csum_start.to_ne_bytes());
        b[8..10].copy_from_slice(&self.csum_offset.to_ne_bytes());
    }

    /// The GSO type without the ECN bit.
    pub fn gso(&self) -> u8 {
        self.gso_type & !GSO_ECN
    }

    /// Where a partial checksum field lies in a packet of `len` bytes, if
    /// there is one inside it.
    pub fn csum_at(&self, len: usize) -> Option<usize> {
        let at = usize::from(self.csum_start) + usize::from(self.csum_offset);
        (self.flags & NEEDS_CSUM != 0 && at + 2 <= len).then_some(at)
    }
}

/// Why a packet from an offloading TUN could not be segmented or completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GsoError {
    /// Neither IPv4 nor IPv6, or a header cut short.
    Malformed,
    /// A GSO packet that is not TCP (or an IPv6 one with extension headers,
    /// or an IPv4 fragment).
    NotTcp,
    /// A GSO type this data path did not ask for (UDP, or a family that
    /// does not match the packet).
    GsoType(u8),
    /// The headers leave no room for payload at this MTU.
    NoRoom(usize),
    /// `NEEDS_CSUM` with `csum_start`/`csum_offset` outside the packet.
    BadCsumOffsets,
}

impl core::fmt::Display for GsoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            GsoError::Malformed => f.write_str("not a whole IPv4/IPv6 packet"),
            GsoError::NotTcp => f.write_str("GSO packet is not plain TCP"),
            GsoError::GsoType(t) => write!(f, "unsupported GSO type {t:#04x}"),
            GsoError::NoRoom(h) => write!(f, "headers of {h} bytes leave no payload at the MTU"),
            GsoError::BadCsumOffsets => f.write_str("partial checksum outside the packet"),
        }
    }
}

impl std::error::Error for GsoError {}

/// Where the TCP header of a GSO packet lies and how long the headers are.
#[derive(Clone, Copy, Debug)]
struct Layout {
    v6: bool,
    /// The TCP header's offset.
    l4: usize,
    /// IP + TCP header length.
    hdr: usize,
}

fn layout(pkt: &[u8]) -> Result<Layout, GsoError> {
    let first = *pkt.first().ok_or(GsoError::Malformed)?;
    let (v6, l4) = match first >> 4 {
        4 => {
            let ihl = usize::from(first & 0x0f) * 4;
            if ihl < 20 || pkt.len() < ihl {
                return Err(GsoError::Malformed);
            }
            if usize::from(u16::from_be_bytes([pkt[2], pkt[3]])) != pkt.len() {
                return Err(GsoError::Malformed);
            }
            // MF or a fragment offset: not a whole TCP segment.
            if u16::from_be_bytes([pkt[6], pkt[7]]) & 0x3fff != 0 || pkt[9] != TCP {
                return Err(GsoError::NotTcp);
            }
            (false, ihl)
        }
        6 => {
            if pkt.len() < 40 || 40 + usize::from(u16::from_be_bytes([pkt[4], pkt[5]])) != pkt.len()
            {
                return Err(GsoError::Malformed);
            }
            if pkt[6] != TCP {
                return Err(GsoError::NotTcp);
            }
            (true, 40)
        }
        _ => return Err(GsoError::Malformed),
    };
    let doff = usize::from(*pkt.get(l4 + 12).ok_or(GsoError::Malformed)? >> 4) * 4;
    if doff < 20 || pkt.len() < l4 + doff {
        return Err(GsoError::Malformed);
    }
    Ok(Layout {
        v6,
        l4,
        hdr: l4 + doff,
    })
}

/// Completes a partial checksum (`NEEDS_CSUM`) in place, as the kernel's
/// `skb_checksum_help` does; a packet without one is left as it is. Done
/// before anything (an MSS clamp) updates the checksum incrementally.
pub fn complete_checksum(hdr: &VnetHdr, pkt: &mut [u8]) -> Result<(), GsoError> {
    if hdr.flags & NEEDS_CSUM == 0 {
        return Ok(());
    }
    let at = hdr.csum_at(pkt.len()).ok_or(GsoError::BadCsumOffsets)?;
    let start = usize::from(hdr.csum_start);
    // The field holds the pseudo-header sum: the sum over it all is the
    // transport checksum's sum.
    let mut c = checksum::finish(checksum::sum(&pkt[start..]));
    // UDP (checksum 6 bytes in) sends a zero result as all ones
    // (RFC 768); TCP's offset is 16.
    if c == 0 && hdr.csum_offset == 6 {
        c = 0xffff;
    }
    pkt[at..at + 2].copy_from_slice(&c.to_be_bytes());
    Ok(())
}

/// What [`segment`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segmented {
    /// Segments handed to the caller.
    pub segments: usize,
    /// Their bytes (IP), headers included.
    pub bytes: usize,
}

/// Cuts the TCP GSO super-packet `pkt` (described by `hdr`) into segments
/// of at most `mtu` bytes (IP) each carrying at most `hdr.gso_size` bytes
/// of payload, and hands each whole segment (checksums complete) to `emit`,
/// built in `scratch` (which needs the headers plus one segment's payload:
/// `mtu` bytes do). Stops at the first segment `emit` refuses (returns
/// false). Checks everything before the first segment: an error emits
/// nothing.
pub fn segment(
    hdr: &VnetHdr,
    pkt: &[u8],
    mtu: u16,
    scratch: &mut [u8],
    mut emit: impl FnMut(&[u8]) -> bool,
) -> Result<Segmented, GsoError> {
    segment_at(hdr, pkt, mtu, scratch, 0, |s| emit(&s[..]))
}

/// Like [`segment`], each segment built at `scratch[headroom..]`: `emit`
/// gets `scratch[..headroom + len]`, to write headers in front in place.
pub fn segment_at(
    hdr: &VnetHdr,
    pkt: &[u8],
    mtu: u16,
    scratch: &mut [u8],
    headroom: usize,
    mut emit: impl FnMut(&mut [u8]) -> bool,
) -> Result<Segmented, GsoError> {
    let l = layout(pkt)?;
    match (hdr.gso(), l.v6) {
        (GSO_TCPV4, false) | (GSO_TCPV6, true) => {}
        (t, _) => return Err(GsoError::GsoType(t)),
    }
    let room = usize::from(mtu).min(scratch.len().saturating_sub(headroom));
    let mss = room.saturating_sub(l.hdr);
    let mss = if hdr.gso_size == 0 {
        mss
    } else {
        mss.min(usize::from(hdr.gso_size))
    };
    if mss == 0 {
        return Err(GsoError::NoRoom(l.hdr));
    }
    let (head, payload) = pkt.split_at(l.hdr);
    let tcp = l.l4;
    let seq0 = u32::from_be_bytes([pkt[tcp + 4], pkt[tcp + 5], pkt[tcp + 6], pkt[tcp + 7]]);
    let flags0 = pkt[tcp + 13];
    let id0 = u16::from_be_bytes([pkt[4], pkt[5]]);
    let chunks = payload.len().div_ceil(mss).max(1);
    let mut done = Segmented {
        segments: 0,
        bytes: 0,
    };
    for i in 0..chunks {
        let data = &payload[(i * mss).min(payload.len())..((i + 1) * mss).min(payload.len())];
        let len = l.hdr + data.len();
        let seg = &mut scratch[headroom..headroom + len];
        seg[..l.hdr].copy_from_slice(head);
        seg[l.hdr..].copy_from_slice(data);
        let last = i + 1 == chunks;
        let mut flags = flags0;
        if !last {
            flags &= !(TCP_FIN | TCP_PSH);
        }
        if i > 0 {
            flags &= !TCP_CWR;
        }
        seg[tcp + 13] = flags;
        let seq = seq0.wrapping_add((i * mss) as u32);
        seg[tcp + 4..tcp + 8].copy_from_slice(&seq.to_be_bytes());
        let tcp_len = len - tcp;
        let ph = if l.v6 {
            seg[4..6].copy_from_slice(&((len - 40) as u16).to_be_bytes());
            let mut s = [0u8; 16];
            let mut d = [0u8; 16];
            s.copy_from_slice(&seg[8..24]);
            d.copy_from_slice(&seg[24..40]);
            checksum::pseudo_header_v6(s, d, TCP, tcp_len as u32)
        } else {
            seg[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            seg[4..6].copy_from_slice(&id0.wrapping_add(i as u16).to_be_bytes());
            seg[10..12].copy_from_slice(&[0, 0]);
            let c = checksum::checksum(&seg[..tcp]);
            seg[10..12].copy_from_slice(&c.to_be_bytes());
            let s = [seg[12], seg[13], seg[14], seg[15]];
            let d = [seg[16], seg[17], seg[18], seg[19]];
            checksum::pseudo_header_v4(s, d, TCP, tcp_len as u16)
        };
        seg[tcp + 16..tcp + 18].copy_from_slice(&[0, 0]);
        let c = checksum::finish(checksum::add(ph, checksum::sum(&seg[tcp..])));
        seg[tcp + 16..tcp + 18].copy_from_slice(&c.to_be_bytes());
        if !emit(&mut scratch[..headroom + len]) {
            break;
        }
        done.segments += 1;
        done.bytes += len;
    }
    Ok(done)
}

#[cfg(test)]
#[path = "gso_tests.rs"]
pub(crate) mod tests;
