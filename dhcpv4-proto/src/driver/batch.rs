//! Datagrams in bursts: one `recvmmsg` reads up to [`BURST`] requests and
//! one `sendmmsg` sends up to [`BURST`] replies (nix's safe wrappers: the
//! crate stays free of unsafe code), so a loaded server makes one system
//! call per burst rather than per datagram.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::SocketAddrV4;
use std::os::fd::AsRawFd;
use std::vec::Vec;

use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, SockaddrIn, recvmmsg, sendmmsg};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// Datagrams read, or replies sent, per system call.
pub(super) const BURST: usize = 32;
/// The longest request read whole (RFC 2131 messages fit an Ethernet
/// frame); a longer one is cut by the kernel and dropped.
pub(super) const SLOT: usize = 1600;

/// Reads what waits on `sock`, at most [`BURST`] datagrams, into `buf`
/// ([`BURST`] × [`SLOT`] octets), the `i`th at `buf[i * SLOT..]`, its
/// length in `lens[i]` (`None`: longer than [`SLOT`], cut). Never waits:
/// WouldBlock when nothing waited.
pub(super) fn recv_burst(
    sock: &UdpSocket,
    buf: &mut [u8],
    lens: &mut Vec<Option<usize>>,
) -> io::Result<()> {
    lens.clear();
    let r = sock.try_io(Interest::READABLE, || {
        let mut headers = MultiHeaders::<SockaddrIn>::preallocate(BURST, None);
        let mut slots = buf.chunks_mut(SLOT);
        let mut iovs: [[IoSliceMut<'_>; 1]; BURST] =
            core::array::from_fn(|_| [IoSliceMut::new(slots.next().unwrap_or_default())]);
        let read = recvmmsg(
            sock.as_raw_fd(),
            &mut headers,
            &mut iovs,
            MsgFlags::MSG_DONTWAIT,
            None,
        )?;
        lens.extend(read.map(|m| (!m.flags.contains(MsgFlags::MSG_TRUNC)).then_some(m.bytes)));
        // A short burst emptied the queue: WouldBlock has tokio forget the
        // readiness now rather than after one more empty call (a datagram
        // arriving since is a new readiness event, which tokio keeps).
        match lens.len() < BURST {
            true => Err(io::ErrorKind::WouldBlock.into()),
            false => Ok(()),
        }
    });
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock && !lens.is_empty() => Ok(()),
        r => r,
    }
}

/// Sends a prefix of `batch` (at most [`BURST`]) on `sock` without
/// waiting; returns its length.
pub(super) fn send_batch(sock: &UdpSocket, batch: &[(SocketAddrV4, Vec<u8>)]) -> io::Result<usize> {
    let batch = &batch[..batch.len().min(BURST)];
    sock.try_io(Interest::WRITABLE, || {
        let iovs: [[IoSlice<'_>; 1]; BURST] =
            core::array::from_fn(|i| [IoSlice::new(batch.get(i).map_or(&[], |(_, p)| p))]);
        let addrs: [Option<SockaddrIn>; BURST] =
            core::array::from_fn(|i| batch.get(i).map(|(to, _)| SockaddrIn::from(*to)));
        let mut headers = MultiHeaders::<SockaddrIn>::preallocate(batch.len(), None);
        let cmsgs: [ControlMessage<'_>; 0] = [];
        let sent = sendmmsg(
            sock.as_raw_fd(),
            &mut headers,
            &iovs[..batch.len()],
            &addrs[..batch.len()],
            cmsgs,
            MsgFlags::MSG_DONTWAIT,
        )?;
        Ok(sent.count())
    })
}
