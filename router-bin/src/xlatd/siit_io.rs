//! The SIIT branch of the translator loop, shared by xlatd and the
//! router's CLAT (`router::clat`): one packet read from a TUN translated
//! in place and written back, or as fragments when it is too big for the
//! IPv6 side.

use sansio_primitives::Instant;
use tracing::debug;
use xlat::{HEADROOM, Siit, XlatDropped};

use crate::aio::AsyncTun;

/// Packets around the translator (what xlat does not count).
#[derive(Debug, Default, Clone, Copy)]
pub struct TunIo {
    /// Packets read from the TUN.
    pub read: u64,
    /// Packets written back.
    pub written: u64,
    /// Writes that failed.
    pub write_errors: u64,
}

impl TunIo {
    /// Writes `pkt` into `tun`, counting it; a failed write is logged as
    /// `{what} write: …`.
    pub(crate) fn send(&mut self, tun: &AsyncTun, pkt: &[u8], what: &str) {
        match tun.send(pkt) {
            Ok(()) => self.written += 1,
            Err(e) => {
                self.write_errors += 1;
                debug!("{what} write: {e}");
            }
        }
    }
}

/// The packet buffer for packets of up to `max` bytes after [`HEADROOM`],
/// and the one for the fragments of one IPv4 packet (SIIT's RFC 7915 §4
/// fragmentation).
pub(crate) fn buffers(max: usize) -> (Vec<u8>, Vec<u8>) {
    let size = HEADROOM + max + 64;
    (vec![0u8; size], vec![0u8; 2 * size + 2048])
}

/// Translates the packet at `buf[HEADROOM..HEADROOM + len]` with `siit`
/// and writes the result into `tun` (see [`TunIo::send`] for `what`).
/// A packet too big for the IPv6 side goes out as fragments (built in
/// `frags`); any other drop is returned for the caller to log.
#[allow(clippy::too_many_arguments)]
pub(crate) fn translate(
    siit: &mut Siit,
    now: Instant,
    tun: &AsyncTun,
    buf: &mut [u8],
    len: usize,
    frags: &mut [u8],
    io: &mut TunIo,
    what: &str,
) -> Result<(), XlatDropped> {
    match siit.translate_at(now, buf, HEADROOM, len) {
        Ok(out) => io.send(tun, &buf[out.range()], what),
        Err(XlatDropped::NeedsFragmentation) => {
            // The packet is unchanged: translated into fragments.
            if let Ok(f) = siit.translate_4to6_fragmented(buf, HEADROOM, len, frags) {
                for i in 0..f.count {
                    io.send(tun, &frags[f.range(i)], what);
                }
            }
        }
        Err(d) => return Err(d),
    }
    Ok(())
}
