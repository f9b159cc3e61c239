//! Upstream toward the TUN device with receive offload ([`crate::gro`]):
//! consecutive in-order TCP segments of one flow of one session, within
//! one receive batch, go to the kernel as one super-packet (one write).
//!
//! Everything per packet happens before a packet is offered here, on the
//! packet the subscriber sent: anti-spoofing, MSS clamp, the upstream
//! shaper. Accounting counts those original packets: a super-packet of
//! `k` segments bills `k` packets and their IP bytes to the session once
//! the TUN device took it. A session's run is flushed before another
//! session's packet is offered, and at the end of each receive batch
//! ([`UpGro::flush`]), so nothing is held between wake-ups.
//!
//! When the kernel refuses a super-packet (`EINVAL`), it is cut back into
//! its segments, each written bare. A refusal may be one odd run (its
//! headers are a subscriber's), so GRO stays on for everyone else; only
//! [`REFUSALS_BEFORE_OFF`] refusals in a row, with no super-packet taken
//! between, turn it off (a TUN without GSO): per-packet writes from then
//! on, as without offloads.

use std::collections::HashMap;
use std::io;

use crate::aio::AsyncTun;
use crate::bng::engine::Stats;
use crate::bng::sessions::Session;
use crate::gro::Gro;
use crate::gso::{self, VnetHdr};
use crate::tun::VNET_HDR_LEN;

/// How the coalescer writes to the TUN device.
pub trait TunWrite {
    /// One packet behind its `virtio_net_hdr`.
    fn send_hdr(&self, b: &[u8]) -> io::Result<()>;
    /// One bare IP packet (behind an empty header with offloads).
    fn send_bare(&self, p: &[u8]) -> io::Result<()>;
}

impl TunWrite for AsyncTun {
    fn send_hdr(&self, b: &[u8]) -> io::Result<()> {
        self.send(b)
    }
    fn send_bare(&self, p: &[u8]) -> io::Result<()> {
        AsyncTun::send_bare(self, p)
    }
}

impl TunWrite for crate::tun::Tun {
    fn send_hdr(&self, b: &[u8]) -> io::Result<()> {
        self.send(b)
    }
    fn send_bare(&self, p: &[u8]) -> io::Result<()> {
        crate::tun::Tun::send_bare(self, p)
    }
}

/// The upstream coalescer (see the module doc).
#[derive(Debug)]
pub struct UpGro {
    /// `None`: per-packet writes (no offloads, or the kernel refused).
    gro: Option<Gro>,
    /// The session whose segments may be held.
    held: Option<u16>,
    /// Room to cut a refused super-packet back into segments.
    scratch: Vec<u8>,
    /// Super-packets refused since the kernel last took one.
    refused_in_row: u32,
}

/// Refusals in a row after which the TUN is taken to have no GSO.
pub const REFUSALS_BEFORE_OFF: u32 = 8;

impl UpGro {
    /// A coalescer for a TUN device with offloads (`vnet`), else one that
    /// writes each packet as it comes.
    pub fn new(vnet: bool) -> UpGro {
        UpGro {
            gro: vnet.then(Gro::new),
            held: None,
            scratch: Vec::new(),
            refused_in_row: 0,
        }
    }

    /// Whether packets are coalesced (false without offloads or after the
    /// kernel refused a super-packet).
    #[cfg(test)]
    pub fn active(&self) -> bool {
        self.gro.is_some()
    }

    /// The IP packet `packet` of session `id`, past every per-packet
    /// check: to the TUN device now or with the rest of its run.
    pub fn send(
        &mut self,
        tun: &impl TunWrite,
        sessions: &mut HashMap<u16, Session>,
        stats: &mut Stats,
        id: u16,
        packet: &[u8],
    ) {
        if self.held.is_some_and(|h| h != id) {
            self.flush(tun, sessions, stats);
        }
        let Some(gro) = self.gro.as_mut() else {
            return bare(tun, sessions, stats, id, packet);
        };
        let (scratch, in_row) = (&mut self.scratch, &mut self.refused_in_row);
        let taken = gro.offer_counted(packet, |b, segs| {
            write_run(tun, sessions, stats, scratch, in_row, id, b, segs);
        });
        self.held = taken.then_some(id);
        if !taken {
            bare(tun, sessions, stats, id, packet);
        }
        if self.refused_in_row >= REFUSALS_BEFORE_OFF {
            self.flush(tun, sessions, stats);
            self.gro = None;
        }
    }

    /// Writes what is held (at the end of a receive batch).
    pub fn flush(
        &mut self,
        tun: &impl TunWrite,
        sessions: &mut HashMap<u16, Session>,
        stats: &mut Stats,
    ) {
        let (Some(id), Some(gro)) = (self.held.take(), self.gro.as_mut()) else {
            return;
        };
        let (scratch, in_row) = (&mut self.scratch, &mut self.refused_in_row);
        gro.flush_counted(|b, segs| {
            write_run(tun, sessions, stats, scratch, in_row, id, b, segs);
        });
        if self.refused_in_row >= REFUSALS_BEFORE_OFF {
            self.gro = None;
        }
    }
}

/// Bills `packets` packets of `octets` IP bytes from the user to session `id`.
fn bill(sessions: &mut HashMap<u16, Session>, id: u16, packets: usize, octets: usize) {
    if let Some(s) = sessions.get_mut(&id) {
        s.traffic.in_packets += packets as u64;
        s.traffic.in_octets += octets as u64;
    }
}

/// One packet written as it is; billed when the TUN device took it.
fn bare(
    tun: &impl TunWrite,
    sessions: &mut HashMap<u16, Session>,
    stats: &mut Stats,
    id: u16,
    packet: &[u8],
) {
    match tun.send_bare(packet) {
        Ok(()) => bill(sessions, id, 1, packet.len()),
        Err(_) => stats.tun_errors += 1,
    }
}

/// Writes what the coalescer hands over (`b`: header and packet of `segs`
/// segments); a refused super-packet goes out segment by segment and
/// counts in `refused_in_row`, one the kernel took resets it.
#[allow(clippy::too_many_arguments)]
fn write_run(
    tun: &impl TunWrite,
    sessions: &mut HashMap<u16, Session>,
    stats: &mut Stats,
    scratch: &mut Vec<u8>,
    refused_in_row: &mut u32,
    id: u16,
    b: &[u8],
    segs: usize,
) {
    let Some(hdr) = VnetHdr::parse(b) else {
        return;
    };
    let pkt = &b[VNET_HDR_LEN..];
    // The segments' IP bytes: each carried the headers the first has.
    let hdr_len = if segs > 1 {
        usize::from(hdr.hdr_len)
    } else {
        0
    };
    let octets = pkt.len() + (segs - 1) * hdr_len;
    match tun.send_hdr(b) {
        Ok(()) => {
            bill(sessions, id, segs, octets);
            if segs > 1 {
                stats.tun_gro += 1;
                *refused_in_row = 0;
            }
        }
        Err(e) if segs > 1 && e.raw_os_error() == Some(libc::EINVAL) => {
            *refused_in_row += 1;
            tracing::debug!(
                "the TUN device refused a TCP super-packet ({e}): written segment by segment"
            );
            scratch.resize(hdr_len + usize::from(hdr.gso_size), 0);
            let cut = gso::segment(&hdr, pkt, u16::MAX, scratch, |s| {
                bare(tun, sessions, stats, id, s);
                true
            });
            if cut.is_err() {
                stats.tun_errors += segs as u64;
            }
        }
        Err(_) => stats.tun_errors += segs as u64,
    }
}

#[cfg(test)]
#[path = "upgro_tests.rs"]
mod tests;
