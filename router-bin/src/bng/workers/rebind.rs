//! The workers' sockets on an access interface that was re-created (a USB
//! NIC replugged, a veth pair re-made): theirs are bound to the old
//! interface's index and hear nothing any more, so the event loop opens a
//! new fanout group on the new one ([`Workers::rebind`]) and hands each
//! worker its socket through its [`NextSocket`] slot, which the worker
//! looks at on every wake-up (at least each `TICK`): no worker stops, and
//! the sessions' upstream state stays where it is.

use std::io;
use std::sync::{Arc, Mutex};

use super::{MAX_WORKERS, RECV_BUFFER, Workers};
use crate::afpacket::PacketSocket;

/// A worker's next socket, put there by the event loop and taken by the
/// worker.
pub(super) type NextSocket = Arc<Mutex<Option<PacketSocket>>>;

/// Makes a socket of the group ready for a worker: nonblocking, with room
/// for a TCP window's worth of frames while the worker is busy, and its
/// sends straight to the driver (bng's own shaper polices, as the loop's).
pub(super) fn prepare(sock: &PacketSocket) -> io::Result<()> {
    sock.set_nonblocking()?;
    if let Err(e) = sock.set_recv_buffer(RECV_BUFFER) {
        tracing::warn!("data path worker socket receive buffer: {e}");
    }
    if let Err(e) = sock.set_qdisc_bypass(true) {
        tracing::warn!("data path worker socket qdisc bypass: {e}");
    }
    Ok(())
}

/// The socket waiting in `next`, if the event loop put one there (never
/// blocks: a slot being filled is looked at on the next wake-up).
pub(super) fn take(next: &NextSocket) -> Option<PacketSocket> {
    next.try_lock().ok()?.take()
}

impl Workers {
    /// Opens a new session fanout group on `interface` (as
    /// [`Workers::start`] did) and hands each worker its socket; their
    /// old ones close when taken over. Session `id` reaches the same
    /// worker as before (`id % workers`). On an error no worker gets a new
    /// socket.
    pub fn rebind(&self, interface: &str) -> io::Result<()> {
        let socks = PacketSocket::open_fanout_by_session(
            interface,
            pppoe_link::ETH_P_PPP_SES,
            self.next.len().clamp(1, MAX_WORKERS),
        )?;
        for s in &socks {
            prepare(s)?;
        }
        for (slot, sock) in self.next.iter().zip(socks) {
            *slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(sock);
        }
        Ok(())
    }
}
