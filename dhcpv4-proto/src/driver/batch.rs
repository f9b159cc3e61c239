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

/// What [`send_all`] did with the replies.
#[derive(Debug, Default)]
pub(super) struct Sent {
    /// Replies not sent because the socket's buffer was full (WouldBlock,
    /// or a send of nothing): dropped, the clients retransmit. Each is
    /// counted once; no system call is made for them.
    pub refused: usize,
    /// Replies a send failed for otherwise, each with its error; the ones
    /// after it were still tried.
    pub failed: Vec<(SocketAddrV4, io::Error)>,
}

/// Sends `out` in order, at most [`BURST`] per call of `send` (which sends
/// a prefix of what it is given and says how many). The outcomes are
/// classified as dns64's `SendQueue::drain` does: `Ok(n > 0)` moves on by
/// `n`; WouldBlock or `Ok(0)` means the buffer is full, so the rest are
/// refused at once (trying each would cost a system call and report an
/// error per reply); another error is the first reply's alone, which is
/// dropped. Unlike dns64, nothing waits for the socket to be writable: a
/// DHCP client retransmits, and a reply held back would go out late.
pub(super) fn send_all(
    out: &[(SocketAddrV4, Vec<u8>)],
    mut send: impl FnMut(&[(SocketAddrV4, Vec<u8>)]) -> io::Result<usize>,
) -> Sent {
    let mut sent = Sent::default();
    let mut i = 0;
    while i < out.len() {
        let burst = &out[i..out.len().min(i + BURST)];
        match send(burst) {
            Ok(n) if n > 0 => i += n.min(burst.len()),
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(error) => {
                sent.failed.push((out[i].0, error));
                i += 1;
            }
        }
    }
    sent.refused = out.len() - i;
    sent
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    fn replies(n: u16) -> Vec<(SocketAddrV4, Vec<u8>)> {
        (0..n)
            .map(|i| (SocketAddrV4::new([192, 0, 2, 1].into(), 1000 + i), vec![0]))
            .collect()
    }

    #[test]
    fn a_full_socket_refuses_the_rest_once_each_without_an_error_or_a_call_per_reply() {
        let out = replies(40);
        for full in [Err(io::ErrorKind::WouldBlock.into()), Ok(0)] {
            let mut calls = Vec::new();
            let mut full = Some(full);
            let sent = send_all(&out, |b| {
                calls.push(b.len());
                match calls.len() {
                    1 => Ok(5),
                    _ => full.take().expect("a call after the socket was full"),
                }
            });
            assert_eq!(calls, [BURST, BURST]);
            assert_eq!(sent.refused, 35);
            assert!(sent.failed.is_empty(), "{:?}", sent.failed);
        }
    }

    #[test]
    fn another_error_drops_only_the_reply_it_was_for() {
        let out = replies(3);
        let mut tried = Vec::new();
        let sent = send_all(&out, |b| {
            tried.push(b[0].0);
            match tried.len() {
                2 => Err(io::ErrorKind::PermissionDenied.into()),
                _ => Ok(1),
            }
        });
        assert_eq!(tried, [out[0].0, out[1].0, out[2].0]);
        assert_eq!(sent.refused, 0);
        let failed: Vec<_> = sent.failed.iter().map(|(to, e)| (*to, e.kind())).collect();
        assert_eq!(failed, [(out[1].0, io::ErrorKind::PermissionDenied)]);
    }

    #[test]
    fn bursts_go_in_order_and_an_overlong_count_is_clamped() {
        let out = replies(70);
        let mut firsts = Vec::new();
        let sent = send_all(&out, |b| {
            firsts.push((b[0].0, b.len()));
            Ok(usize::MAX)
        });
        assert_eq!(
            firsts,
            [(out[0].0, BURST), (out[32].0, BURST), (out[64].0, 6)]
        );
        assert_eq!((sent.refused, sent.failed.len()), (0, 0));
    }
}
