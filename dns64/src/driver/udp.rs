//! Client UDP in bursts. On Linux one `recvmmsg` reads up to [`BATCH`]
//! datagrams and one `sendmmsg` sends up to [`BATCH`] answers (nix's safe
//! wrappers: the crate stays free of unsafe code); elsewhere a datagram per
//! system call. Answers a full socket buffer refuses wait in a bounded
//! [`SendQueue`] per socket until the socket is writable again.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::vec::Vec;

#[cfg(target_os = "linux")]
pub(super) use linux::{recv_burst, send_batch};
#[cfg(not(target_os = "linux"))]
pub(super) use portable::{recv_burst, send_batch};

/// Datagrams read, or answers sent, per system call.
pub(super) const BATCH: usize = 32;
/// The longest client query read whole (a question and an OPT record need
/// far less); a longer one is cut by the kernel, dropped and counted.
pub(super) const SLOT: usize = 4096;
/// Answers waiting for one socket at most; more are dropped and counted.
pub(super) const QUEUE: usize = 1024;

/// A datagram [`recv_burst`] read: the `i`th is at `buf[i * SLOT..][..len]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Received {
    /// The sender (`None`: the kernel named none, dropped).
    pub from: Option<SocketAddr>,
    pub len: usize,
    /// Longer than [`SLOT`]: cut, dropped.
    pub cut: bool,
}

/// Answers waiting to be sent on one socket, oldest first.
#[derive(Debug, Default)]
pub(super) struct SendQueue {
    q: VecDeque<(SocketAddr, Vec<u8>)>,
}

/// What [`SendQueue::drain`] did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(super) struct Drained {
    /// Answers dropped for an error other than a full socket buffer.
    pub failed: u64,
    /// The socket buffer is full: the rest waits for the socket to be
    /// writable.
    pub blocked: bool,
}

impl SendQueue {
    /// Queues an answer; `false` (not queued) when [`QUEUE`] are waiting.
    pub fn push(&mut self, to: SocketAddr, payload: Vec<u8>) -> bool {
        if self.q.len() >= QUEUE {
            return false;
        }
        self.q.push_back((to, payload));
        true
    }

    pub fn len(&self) -> usize {
        self.q.len()
    }

    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Drops everything waiting; how many.
    pub fn clear(&mut self) -> u64 {
        let n = self.q.len() as u64;
        self.q.clear();
        n
    }

    /// Sends from the front, at most [`BATCH`] per call of `send` (which
    /// sends a prefix of what it is given and says how many): what was sent
    /// leaves the queue, in order. A WouldBlock stops with the rest queued;
    /// another error drops the answer it was for (the first not sent) and
    /// counts it.
    pub fn drain(
        &mut self,
        mut send: impl FnMut(&[(SocketAddr, Vec<u8>)]) -> io::Result<usize>,
    ) -> Drained {
        let mut d = Drained::default();
        while !self.q.is_empty() {
            // The first slice is not empty while the queue is not.
            let (front, _) = self.q.as_slices();
            let batch = &front[..front.len().min(BATCH)];
            match send(batch) {
                Ok(n) if n > 0 => {
                    self.q.drain(..n.min(batch.len()));
                }
                // Nothing sent is as good as blocked: looping would spin.
                Ok(_) => {
                    d.blocked = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    d.blocked = true;
                    break;
                }
                Err(_) => {
                    self.q.pop_front();
                    d.failed += 1;
                }
            }
        }
        d
    }
}

/// recvmmsg/sendmmsg through nix.
#[cfg(target_os = "linux")]
mod linux {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::net::SocketAddr;
    use std::os::fd::AsRawFd;
    use std::vec::Vec;

    use nix::sys::socket::{
        ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg,
    };
    use tokio::io::Interest;
    use tokio::net::UdpSocket;

    use super::{BATCH, Received, SLOT};

    fn std_addr(a: &SockaddrStorage) -> Option<SocketAddr> {
        if let Some(v4) = a.as_sockaddr_in() {
            return Some(SocketAddr::V4((*v4).into()));
        }
        a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
    }

    /// Reads what waits on `sock`, at most [`BATCH`] datagrams, into `buf`
    /// ([`BATCH`] × [`SLOT`] octets) and `got`, without waiting
    /// (WouldBlock: nothing waited).
    pub(in super::super) fn recv_burst(
        sock: &UdpSocket,
        buf: &mut [u8],
        got: &mut Vec<Received>,
    ) -> io::Result<()> {
        got.clear();
        let r = sock.try_io(Interest::READABLE, || {
            let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = buf
                .chunks_mut(SLOT)
                .take(BATCH)
                .map(|c| [IoSliceMut::new(c)])
                .collect();
            let fd = sock.as_raw_fd();
            let read = recvmmsg(fd, &mut headers, &mut iovs, MsgFlags::MSG_DONTWAIT, None)?;
            got.extend(read.map(|m| Received {
                from: m.address.as_ref().and_then(std_addr),
                len: m.bytes,
                cut: m.flags.contains(MsgFlags::MSG_TRUNC),
            }));
            // A short burst emptied the queue: saying WouldBlock has tokio
            // forget the readiness now rather than after one more call that
            // finds nothing (a datagram arriving since is a new readiness
            // event, which tokio keeps).
            match got.len() < BATCH {
                true => Err(io::ErrorKind::WouldBlock.into()),
                false => Ok(()),
            }
        });
        match r {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && !got.is_empty() => Ok(()),
            r => r,
        }
    }

    /// Sends a prefix of `batch` on `sock` without waiting: its length.
    pub(in super::super) fn send_batch(
        sock: &UdpSocket,
        batch: &[(SocketAddr, Vec<u8>)],
    ) -> io::Result<usize> {
        sock.try_io(Interest::WRITABLE, || {
            let iovs: Vec<[IoSlice<'_>; 1]> =
                batch.iter().map(|(_, p)| [IoSlice::new(p)]).collect();
            let addrs: Vec<Option<SockaddrStorage>> = batch
                .iter()
                .map(|(to, _)| Some(SockaddrStorage::from(*to)))
                .collect();
            let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(batch.len(), None);
            let cmsgs: [ControlMessage<'_>; 0] = [];
            let fd = sock.as_raw_fd();
            let sent = sendmmsg(
                fd,
                &mut headers,
                &iovs,
                &addrs,
                cmsgs,
                MsgFlags::MSG_DONTWAIT,
            )?;
            Ok(sent.count())
        })
    }
}

/// A datagram per system call (other targets; built everywhere so the
/// tests cover it).
#[cfg_attr(target_os = "linux", allow(dead_code))]
mod portable {
    use std::io;
    use std::net::SocketAddr;
    use std::vec::Vec;

    use tokio::net::UdpSocket;

    use super::{BATCH, Received, SLOT};

    /// As the Linux `recv_burst`.
    pub(in super::super) fn recv_burst(
        sock: &UdpSocket,
        buf: &mut [u8],
        got: &mut Vec<Received>,
    ) -> io::Result<()> {
        got.clear();
        for slot in buf.chunks_mut(SLOT).take(BATCH) {
            match sock.try_recv_from(slot) {
                // Without MSG_TRUNC a full slot may have been cut.
                Ok((len, from)) => got.push(Received {
                    from: Some(from),
                    len,
                    cut: len == SLOT,
                }),
                Err(e) if got.is_empty() => return Err(e),
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// As the Linux `send_batch`.
    pub(in super::super) fn send_batch(
        sock: &UdpSocket,
        batch: &[(SocketAddr, Vec<u8>)],
    ) -> io::Result<usize> {
        for (i, (to, payload)) in batch.iter().enumerate() {
            if let Err(e) = sock.try_send_to(payload, *to) {
                return if i == 0 { Err(e) } else { Ok(i) };
            }
        }
        Ok(batch.len())
    }
}

#[cfg(test)]
mod tests;
