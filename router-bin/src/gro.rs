//! Receive offload in userspace (GRO): consecutive in-order TCP segments
//! of one flow, as they come off the wire, coalesced into one super-packet
//! written to an offloading TUN behind a `virtio_net_hdr` (GSO type,
//! `gso_size`, partial checksum), so the kernel takes one packet where it
//! would have taken dozens.
//!
//! The rules are the kernel's `tcp_gro_receive`: same addresses, ports,
//! IP TOS/TTL (traffic class, flow label, hop limit), TCP ACK, window and
//! options; the next sequence number; only ACK (PSH on the last); every
//! segment the size of the first (a shorter one ends the super-packet);
//! IPv4 without options, its ID counting up by one. Each segment's TCP
//! checksum is verified before it is taken (the super-packet's checksum is
//! left partial, which the kernel trusts). What is not taken is handed
//! back, after whatever was held has been flushed, so order is kept.
#![forbid(unsafe_code)]

use sansio_primitives::checksum;

use crate::gso::{GSO_TCPV4, GSO_TCPV6, MAX_GSO_PACKET, NEEDS_CSUM, VnetHdr};
use crate::tun::VNET_HDR_LEN;

const TCP: u8 = 6;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;

/// What a segment is, when it may be coalesced.
#[derive(Clone, Copy, Debug)]
struct Seg {
    v6: bool,
    l4: usize,
    hdr: usize,
    payload: usize,
    seq: u32,
    psh: bool,
}

/// A TCP segment GRO may take: plain IP (no IPv4 options, no IPv6
/// extension headers, no fragment), ACK or ACK|PSH, payload, a good
/// checksum.
fn candidate(p: &[u8]) -> Option<Seg> {
    let (v6, l4) = match p.first()? >> 4 {
        4 if p.len() >= 40
            && p[0] == 0x45
            && p[9] == TCP
            && usize::from(u16::from_be_bytes([p[2], p[3]])) == p.len()
            && u16::from_be_bytes([p[6], p[7]]) & 0x3fff == 0 =>
        {
            (false, 20)
        }
        6 if p.len() >= 60
            && p[6] == TCP
            && usize::from(u16::from_be_bytes([p[4], p[5]])) + 40 == p.len() =>
        {
            (true, 40)
        }
        _ => return None,
    };
    let doff = usize::from(p[l4 + 12] >> 4) * 4;
    let flags = p[l4 + 13];
    let hdr = l4 + doff;
    if doff < 20 || hdr >= p.len() || flags & !PSH != ACK {
        return None;
    }
    let tcp_len = p.len() - l4;
    let ph = if v6 {
        let (mut s, mut d) = ([0u8; 16], [0u8; 16]);
        s.copy_from_slice(&p[8..24]);
        d.copy_from_slice(&p[24..40]);
        checksum::pseudo_header_v6(s, d, TCP, tcp_len as u32)
    } else {
        let s = [p[12], p[13], p[14], p[15]];
        let d = [p[16], p[17], p[18], p[19]];
        checksum::pseudo_header_v4(s, d, TCP, tcp_len as u16)
    };
    if checksum::add(ph, checksum::sum(&p[l4..])) != 0xffff {
        return None;
    }
    Some(Seg {
        v6,
        l4,
        hdr,
        payload: p.len() - hdr,
        seq: u32::from_be_bytes([p[l4 + 4], p[l4 + 5], p[l4 + 6], p[l4 + 7]]),
        psh: flags & PSH != 0,
    })
}

/// Counts of what the coalescer did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroCounters {
    /// Segments taken into a super-packet after its first.
    pub coalesced: u64,
    /// Super-packets of two or more segments written.
    pub super_packets: u64,
}

/// One flow's super-packet in the making (one at a time: a bulk transfer
/// comes in runs of one flow per receive batch).
#[derive(Debug)]
pub struct Gro {
    /// The `virtio_net_hdr`, then the super-packet.
    buf: Vec<u8>,
    /// The super-packet's length (0: nothing held).
    len: usize,
    first: Option<Seg>,
    segs: usize,
    next_seq: u32,
    counters: GroCounters,
}

impl Default for Gro {
    fn default() -> Self {
        Gro::new()
    }
}

impl Gro {
    /// An empty coalescer (with its 64 KiB buffer).
    pub fn new() -> Gro {
        Gro {
            buf: vec![0u8; VNET_HDR_LEN + MAX_GSO_PACKET],
            len: 0,
            first: None,
            segs: 0,
            next_seq: 0,
            counters: GroCounters::default(),
        }
    }

    /// What it did so far.
    pub fn counters(&self) -> &GroCounters {
        &self.counters
    }

    /// Offers the IP packet `pkt` from the wire. What was held and must go
    /// first is handed to `write` (a `virtio_net_hdr` and the packet, for
    /// the TUN). True when `pkt` was taken; false when the caller writes
    /// it itself, as it is (it is not TCP, say), after the flush.
    pub fn offer(&mut self, pkt: &[u8], mut write: impl FnMut(&[u8])) -> bool {
        self.offer_counted(pkt, |b, _| write(b))
    }

    /// Like [`offer`](Self::offer); `write` also gets how many segments
    /// the written packet holds (1: a lone segment as it came), for a
    /// caller that counts the packets it was given (accounting).
    pub fn offer_counted(&mut self, pkt: &[u8], mut write: impl FnMut(&[u8], usize)) -> bool {
        let Some(s) = candidate(pkt) else {
            self.flush_counted(&mut write);
            return false;
        };
        if self.fits(pkt, &s) {
            let at = VNET_HDR_LEN + self.len;
            self.buf[at..at + s.payload].copy_from_slice(&pkt[s.hdr..]);
            self.len += s.payload;
            self.segs += 1;
            self.next_seq = s.seq.wrapping_add(s.payload as u32);
            self.counters.coalesced += 1;
            let first = self.first.map_or(0, |f| f.payload);
            if s.psh || s.payload < first {
                // PSH or a short segment ends the run: its flags go on
                // the super-packet's header.
                let f = self.first.map_or(0, |f| f.l4 + 13);
                self.buf[VNET_HDR_LEN + f] |= pkt[s.l4 + 13] & PSH;
                self.flush_counted(&mut write);
            }
            return true;
        }
        self.flush_counted(&mut write);
        self.buf[VNET_HDR_LEN..VNET_HDR_LEN + pkt.len()].copy_from_slice(pkt);
        self.len = pkt.len();
        self.first = Some(s);
        self.segs = 1;
        self.next_seq = s.seq.wrapping_add(s.payload as u32);
        if s.psh {
            self.flush_counted(&mut write);
        }
        true
    }

    /// Whether segment `s` (`p`) continues the held super-packet.
    fn fits(&self, p: &[u8], s: &Seg) -> bool {
        let Some(f) = self.first.filter(|_| self.len > 0) else {
            return false;
        };
        let h = &self.buf[VNET_HDR_LEN..VNET_HDR_LEN + f.hdr];
        if f.v6 != s.v6 || f.hdr != s.hdr || s.payload > f.payload || s.seq != self.next_seq {
            return false;
        }
        if self.len + s.payload > MAX_GSO_PACKET {
            return false;
        }
        let same_ip = if s.v6 {
            // Version, traffic class, flow label; hop limit; addresses.
            p[..4] == h[..4] && p[7] == h[7] && p[8..40] == h[8..40]
        } else {
            // The ID counts up by one per segment.
            let id = u16::from_be_bytes([h[4], h[5]]).wrapping_add(self.segs as u16);
            p[1] == h[1]
                && p[4..6] == id.to_be_bytes()
                && p[6] == h[6]
                && p[8] == h[8]
                && p[12..20] == h[12..20]
        };
        // Ports, ACK number, flags but PSH (which ended the run), window,
        // options; not the sequence number or the checksum.
        let t = s.l4;
        same_ip
            && p[t..t + 4] == h[t..t + 4]
            && p[t + 8..t + 12] == h[t + 8..t + 12]
            && p[t + 13] & !PSH == h[t + 13]
            && p[t + 14..t + 16] == h[t + 14..t + 16]
            && p[t + 20..s.hdr] == h[t + 20..s.hdr]
    }

    /// Writes what is held: a lone segment as it came (empty header), a
    /// run as one super-packet.
    pub fn flush(&mut self, mut write: impl FnMut(&[u8])) {
        self.flush_counted(|b, _| write(b));
    }

    /// Like [`flush`](Self::flush); `write` also gets how many segments
    /// the written packet holds.
    pub fn flush_counted(&mut self, mut write: impl FnMut(&[u8], usize)) {
        let (len, Some(f)) = (self.len, self.first) else {
            return;
        };
        self.len = 0;
        self.first = None;
        if len == 0 {
            return;
        }
        let (hdr, pkt) = self.buf.split_at_mut(VNET_HDR_LEN);
        let pkt = &mut pkt[..len];
        if self.segs == 1 {
            VnetHdr::default().write(hdr);
            write(&self.buf[..VNET_HDR_LEN + len], 1);
            return;
        }
        let l4 = f.l4;
        let tcp_len = len - l4;
        let ph = if f.v6 {
            pkt[4..6].copy_from_slice(&((len - 40) as u16).to_be_bytes());
            let (mut s, mut d) = ([0u8; 16], [0u8; 16]);
            s.copy_from_slice(&pkt[8..24]);
            d.copy_from_slice(&pkt[24..40]);
            checksum::pseudo_header_v6(s, d, TCP, tcp_len as u32)
        } else {
            pkt[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            pkt[10..12].copy_from_slice(&[0, 0]);
            let c = checksum::checksum(&pkt[..20]);
            pkt[10..12].copy_from_slice(&c.to_be_bytes());
            let s = [pkt[12], pkt[13], pkt[14], pkt[15]];
            let d = [pkt[16], pkt[17], pkt[18], pkt[19]];
            checksum::pseudo_header_v4(s, d, TCP, tcp_len as u16)
        };
        // CHECKSUM_PARTIAL: the pseudo-header sum, not complemented.
        pkt[l4 + 16..l4 + 18].copy_from_slice(&ph.to_be_bytes());
        VnetHdr {
            flags: NEEDS_CSUM,
            gso_type: if f.v6 { GSO_TCPV6 } else { GSO_TCPV4 },
            hdr_len: f.hdr as u16,
            gso_size: f.payload as u16,
            csum_start: l4 as u16,
            csum_offset: 16,
        }
        .write(hdr);
        self.counters.super_packets += 1;
        write(&self.buf[..VNET_HDR_LEN + len], self.segs);
    }
}

#[cfg(test)]
#[path = "gro_tests.rs"]
mod tests;
