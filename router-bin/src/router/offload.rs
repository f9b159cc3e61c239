//! The router's TUN with offloads (`IFF_VNET_HDR`, see [`crate::gso`]):
//! what crosses between its packets and the session's frames.
//!
//! Outbound, the kernel hands over TCP super-packets of up to 64 KiB with
//! partial checksums; they are clamped once, cut at the session MTU and
//! each segment is sent as its own PPPoE frame. A packet without GSO whose
//! checksum is partial gets it completed first (the MSS clamp then updates
//! a real checksum). Inbound, each IP packet gets an empty
//! `virtio_net_hdr` in front, written over the PPPoE header it came in.
//!
//! Without offloads (the kernel refused `TUNSETOFFLOAD`) the same calls
//! work on bare packets.

use tracing::debug;

use crate::gso::{self, GSO_NONE, VnetHdr};
use crate::router::datapath::{self, Counters};
use crate::tun::VNET_HDR_LEN;

/// The largest read from the TUN: a 64 KiB super-packet behind its header.
pub(crate) const TUN_READ_MAX: usize = VNET_HDR_LEN + gso::MAX_GSO_PACKET;

/// Where a TUN read goes in the packet buffer: with offloads at 0 (the
/// `virtio_net_hdr` first), without at 2; either way the IP packet starts
/// at [`IP_AT`] and its PPP protocol field is written right in front of it.
pub(crate) fn read_at(vnet: bool) -> usize {
    if vnet { 0 } else { IP_AT - 2 }
}

/// Where the IP packet of a TUN read starts in the packet buffer.
pub(crate) const IP_AT: usize = VNET_HDR_LEN;

/// One TUN read of `n` bytes at [`read_at`] in `buf`, out to the session:
/// each IP packet (one, or the segments of a super-packet) goes to `send`
/// with its PPP protocol; `send` says whether it went out. `scratch` holds
/// one segment (the session MTU).
pub(crate) fn outbound(
    vnet: bool,
    buf: &mut [u8],
    n: usize,
    mtu: u16,
    scratch: &mut [u8],
    counters: &mut Counters,
    mut send: impl FnMut(u16, &[u8]) -> bool,
) {
    let end = read_at(vnet) + n;
    let hdr = match vnet {
        true => VnetHdr::parse(&buf[..end]),
        false => Some(VnetHdr::default()),
    };
    let (Some(hdr), Some(proto)) = (hdr, buf.get(IP_AT..end).and_then(datapath::protocol_of))
    else {
        counters.dropped += 1;
        return;
    };
    // The PPP protocol goes over the end of the header (already read).
    buf[IP_AT - 2..IP_AT].copy_from_slice(&proto.to_be_bytes());
    if hdr.gso() == GSO_NONE {
        if let Err(e) = gso::complete_checksum(&hdr, &mut buf[IP_AT..end]) {
            debug!("TUN packet dropped: {e}");
            counters.dropped += 1;
            return;
        }
        let sent = datapath::outbound(&mut buf[IP_AT - 2..], end - IP_AT, mtu, counters)
            .is_some_and(|proto| send(proto, &buf[IP_AT..end]));
        if sent {
            counters.tx_packets += 1;
            counters.tx_bytes += (end - IP_AT) as u64;
        } else {
            counters.dropped += 1;
        }
        return;
    }
    // Once per super-packet: every segment copies these headers.
    if datapath::clamp_ppp(&mut buf[IP_AT - 2..end], mtu) {
        counters.mss_clamped += 1;
    }
    let mut refused = false;
    let cut = gso::segment(&hdr, &buf[IP_AT..end], mtu, scratch, |s| {
        let sent = send(proto, s);
        refused |= !sent;
        sent
    });
    match cut {
        Ok(done) => {
            counters.tx_packets += done.segments as u64;
            counters.tx_bytes += done.bytes as u64;
            // A refused segment (socket full) ends the super-packet there:
            // one drop, as for a packet.
            if refused {
                counters.dropped += 1;
            }
        }
        Err(e) => {
            debug!("TUN super-packet dropped: {e}");
            counters.dropped += 1;
        }
    }
}

/// The bytes to write to the TUN for the PPP frame at `range` of `frame`
/// (protocol field first): the IP packet, behind an empty `virtio_net_hdr`
/// with offloads (written over the PPPoE header in front of it). `None`
/// when there is no room in front (never for a PPPoE frame).
pub(crate) fn inbound(
    vnet: bool,
    frame: &mut [u8],
    range: std::ops::Range<usize>,
) -> Option<&[u8]> {
    let ip = range.start + 2;
    if !vnet {
        return frame.get(ip..range.end);
    }
    let at = ip.checked_sub(VNET_HDR_LEN)?;
    let out = frame.get_mut(at..range.end)?;
    VnetHdr::default().write(out);
    Some(out)
}
