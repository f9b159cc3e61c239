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

use crate::afpacket::PacketSocket;
use crate::aio::{AsyncPacketSocket, AsyncTun};
use crate::batch::FrameBatch;
use crate::gro::Gro;
use crate::gso::{self, GSO_NONE, VnetHdr};
use crate::router::datapath::{self, Counters};
use crate::router::wan::Wan;
use crate::tun::{Tun, VNET_HDR_LEN};

/// Where the session's IP packets go into the kernel: the one TUN of the
/// event loop, or a worker's queue of it.
pub(crate) trait TunWrite {
    /// Hands one packet (behind its `virtio_net_hdr` with offloads) over.
    fn write_packet(&self, packet: &[u8]) -> std::io::Result<()>;
}

impl TunWrite for AsyncTun {
    fn write_packet(&self, packet: &[u8]) -> std::io::Result<()> {
        self.send(packet)
    }
}

impl TunWrite for Tun {
    fn write_packet(&self, packet: &[u8]) -> std::io::Result<()> {
        self.send(packet)
    }
}

/// Where the session's frames go out: the event loop's packet socket or a
/// worker's.
pub(crate) trait FrameSend {
    /// Sends the batch (see [`PacketSocket::try_send_batch`]); how many
    /// frames went out.
    fn send_frames(&self, batch: &FrameBatch) -> std::io::Result<usize>;
}

impl FrameSend for AsyncPacketSocket {
    fn send_frames(&self, batch: &FrameBatch) -> std::io::Result<usize> {
        self.send_batch(batch)
    }
}

impl FrameSend for PacketSocket {
    fn send_frames(&self, batch: &FrameBatch) -> std::io::Result<usize> {
        self.try_send_batch(batch)
    }
}

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

/// One frame from the WAN: the link machine takes it, and a session data
/// frame's IP packet goes on as in [`session_packet`].
pub(crate) fn from_wan(
    vnet: bool,
    wan: &mut Wan,
    tun: &impl TunWrite,
    gro: &mut Gro,
    frame: &mut [u8],
    counters: &mut Counters,
    on_ipv6: impl FnMut(&[u8]),
) {
    let Some(range) = wan.handle_frame(frame) else {
        return;
    };
    session_packet(vnet, wan.mtu(), tun, gro, frame, range, counters, on_ipv6);
}

/// A session data frame (`frame[range]`: PPP protocol + IP packet): its
/// IP packet, MSS clamped (an IPv6 one shown to `on_ipv6` first), goes to
/// the TUN; with offloads through `gro`, which holds TCP segments until
/// [`flush_gro`] (at the end of each receive batch) or a segment that does
/// not continue them.
#[allow(clippy::too_many_arguments)] // the data path's parts, each once
pub(crate) fn session_packet(
    vnet: bool,
    mtu: u16,
    tun: &impl TunWrite,
    gro: &mut Gro,
    frame: &mut [u8],
    range: std::ops::Range<usize>,
    counters: &mut Counters,
    mut on_ipv6: impl FnMut(&[u8]),
) {
    if datapath::clamp_ppp(&mut frame[range.clone()], mtu) {
        counters.mss_clamped += 1;
    }
    // The IPv6-only service looks at the session's IPv6 packets.
    if frame[range.start..range.start + 2] == pppoe_link::PPP_IPV6.to_be_bytes() {
        on_ipv6(&frame[range.start + 2..range.end]);
    }
    let ip_len = range.len() - 2;
    counters.rx_packets += 1;
    counters.rx_bytes += ip_len as u64;
    if vnet
        && gro.offer(&frame[range.start + 2..range.end], |b| {
            to_tun(tun, b, counters)
        })
    {
        return;
    }
    match inbound(vnet, frame, range) {
        Some(p) => to_tun(tun, p, counters),
        None => counters.dropped += 1,
    }
}

/// Writes what `gro` holds to the TUN.
pub(crate) fn flush_gro(tun: &impl TunWrite, gro: &mut Gro, counters: &mut Counters) {
    gro.flush(|b| to_tun(tun, b, counters));
}

fn to_tun(tun: &impl TunWrite, packet: &[u8], counters: &mut Counters) {
    if let Err(e) = tun.write_packet(packet) {
        debug!("TUN write: {e}");
        counters.dropped += 1;
    }
}

/// What a batch send left behind: counted as sent when queued, these
/// become drops.
#[derive(Debug, Default)]
pub(crate) struct Unsent {
    packets: u64,
    bytes: u64,
    error: Option<std::io::Error>,
}

impl Unsent {
    /// Moves the unsent frames from the transmit counters to the drops;
    /// the send error, if there was one.
    pub(crate) fn settle(self, counters: &mut Counters) -> Option<std::io::Error> {
        counters.tx_packets = counters.tx_packets.saturating_sub(self.packets);
        counters.tx_bytes = counters.tx_bytes.saturating_sub(self.bytes);
        counters.dropped += self.packets;
        self.error
    }
}

/// The IP bytes of a PPPoE session frame we built (its PPPoE length less
/// the PPP protocol field; a VLAN tag moves it 4 bytes).
fn ip_len(frame: &[u8]) -> u64 {
    let at = if frame.get(12..14) == Some(&[0x81, 0x00]) {
        22
    } else {
        18
    };
    frame.get(at..at + 2).map_or(0, |l| {
        u64::from(u16::from_be_bytes([l[0], l[1]])).saturating_sub(2)
    })
}

/// Sends the queued frames with one `sendmmsg` and empties the batch;
/// what did not go out is noted in `unsent`.
pub(crate) fn flush(sock: &impl FrameSend, tx: &mut FrameBatch, unsent: &mut Unsent) {
    if tx.is_empty() {
        return;
    }
    let sent = match sock.send_frames(tx) {
        Ok(k) => k,
        Err(e) => {
            unsent.error = Some(e);
            0
        }
    };
    for f in tx.frames().skip(sent) {
        unsent.packets += 1;
        unsent.bytes += ip_len(f);
    }
    tx.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsent_frames_move_from_tx_to_drops() {
        let mut f = vec![0u8; 22 + 100];
        f[12..14].copy_from_slice(&[0x88, 0x64]);
        f[18..20].copy_from_slice(&102u16.to_be_bytes());
        assert_eq!(ip_len(&f), 100);
        let mut tagged = vec![0u8; 26 + 40];
        tagged[12..14].copy_from_slice(&[0x81, 0x00]);
        tagged[22..24].copy_from_slice(&42u16.to_be_bytes());
        assert_eq!(ip_len(&tagged), 40);
        assert_eq!(ip_len(&f[..19]), 0);
        let mut c = Counters {
            tx_packets: 5,
            tx_bytes: 1000,
            ..Counters::default()
        };
        let u = Unsent {
            packets: 2,
            bytes: 140,
            error: None,
        };
        assert!(u.settle(&mut c).is_none());
        assert_eq!((c.tx_packets, c.tx_bytes, c.dropped), (3, 860, 2));
    }
}
