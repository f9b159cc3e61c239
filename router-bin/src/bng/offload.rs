//! bng's TUN with offloads (`IFF_VNET_HDR`, see [`crate::gso`]): the
//! kernel hands over TCP super-packets for the subscribers (up to 64 KiB,
//! partial checksums) in one read; they are cut here at the kernel's
//! `gso_size` (the segments it would have cut itself) and each segment
//! takes the per-packet path ([`Bng::on_tun_packet`]): session lookup,
//! shaper, MTU handling and counters see exactly the packets they saw
//! before. A packet without GSO whose checksum is partial is completed;
//! one that cannot be cut or completed counts as a TUN error.
//! Writes to the TUN go behind an empty header ([`AsyncTun::send_bare`]).
//!
//! [`AsyncTun::send_bare`]: crate::aio::AsyncTun::send_bare

use crate::bng::datapath::HEADROOM;
use crate::bng::engine::Bng;
use crate::gso::{self, GSO_NONE, MAX_GSO_PACKET, VnetHdr};
use crate::tun::VNET_HDR_LEN;

/// Where a TUN read goes in `tun_buf`: the packet at [`HEADROOM`] without
/// offloads; the header first (at 0) with them.
pub(crate) fn read_at(vnet: bool) -> usize {
    if vnet { 0 } else { HEADROOM }
}

/// The size of `tun_buf`: from [`read_at`], room for the largest read —
/// a 64 KiB super-packet behind its `virtio_net_hdr` with offloads, a
/// packet of at most 65535 octets (IPv4 total length) behind the
/// headroom without. A shorter buffer truncates the read.
pub(crate) const TUN_BUF_LEN: usize = {
    let with = VNET_HDR_LEN + MAX_GSO_PACKET;
    let without = HEADROOM + MAX_GSO_PACKET;
    if with > without { with } else { without }
};

impl Bng {
    /// One TUN read of `n` bytes at [`read_at`] in `tun_buf`. `seg_buf`
    /// holds one segment behind [`HEADROOM`].
    pub(crate) fn on_tun_read(
        &mut self,
        vnet: bool,
        tun_buf: &mut [u8],
        n: usize,
        seg_buf: &mut [u8],
    ) {
        if !vnet {
            return self.on_tun_packet(tun_buf, n);
        }
        let Some(hdr) = VnetHdr::parse(&tun_buf[..n]) else {
            return;
        };
        let len = n - VNET_HDR_LEN;
        if hdr.gso() == GSO_NONE {
            let pkt = &mut tun_buf[VNET_HDR_LEN..n];
            if let Err(e) = gso::complete_checksum(&hdr, pkt) {
                tracing::debug!("TUN packet dropped: {e}");
                // A packet the kernel should never hand over: a TUN error.
                self.stats.tun_errors += 1;
                return;
            }
            // The header's room becomes the PPP protocol's headroom.
            tun_buf.copy_within(VNET_HDR_LEN..n, HEADROOM);
            return self.on_tun_packet(tun_buf, len);
        }
        let pkt = &tun_buf[VNET_HDR_LEN..n];
        let mtu = u16::try_from(seg_buf.len() - HEADROOM).unwrap_or(u16::MAX);
        let cut = gso::segment_at(&hdr, pkt, mtu, seg_buf, HEADROOM, |s| {
            let len = s.len() - HEADROOM;
            self.on_tun_packet(s, len);
            true
        });
        self.stats.tun_gso_cut += u64::from(cut.is_ok());
        if let Err(e) = cut {
            tracing::debug!("TUN super-packet dropped: {e}");
            self.stats.tun_errors += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tun_buf_holds_the_largest_read() {
        // Read at 0 with offloads: header + a maximum-size super-packet.
        assert!(TUN_BUF_LEN - read_at(true) >= VNET_HDR_LEN + MAX_GSO_PACKET);
        // Read at HEADROOM without: a maximum-size IP packet.
        assert!(TUN_BUF_LEN - read_at(false) >= MAX_GSO_PACKET);
    }
}
