//! Downstream packets a worker read for a session another worker owns:
//! the kernel picks a multiqueue TUN's queue by flow hash, not by
//! session, so the reader hands the read to the owner through the
//! owner's bounded queue and wakes it (one byte on its pipe per burst).
//! A full queue is a counted drop by the reader, as a full NIC queue
//! would be; no lock is taken per session.

use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use crate::afpacket::fanout_socket_of;

/// How many reads may wait for one owner (each up to a 64 KiB
/// super-packet: a few MiB at most).
pub(super) const HANDOFF_BOUND: usize = 256;

/// The worker owning session `id` among `n`: the one whose packet socket
/// of the fanout group receives its frames (upstream and downstream of a
/// session on one thread).
pub(super) fn owner(id: u16, n: usize) -> usize {
    fanout_socket_of(id, n)
}

/// A worker's own end: the reads handed to it and its wake-up pipe.
pub(super) struct Inbox {
    rx: Receiver<Vec<u8>>,
    wake: PipeReader,
}

/// A worker's way to every owner's inbox.
pub(super) struct Outboxes {
    tx: Vec<SyncSender<Vec<u8>>>,
    wake: Vec<Arc<PipeWriter>>,
    /// Owners handed something since the last [`Outboxes::wake`].
    pending: Vec<bool>,
}

/// The inboxes of `n` workers and, for each, its outboxes to all of them
/// (`bound` reads each).
pub(super) fn mailboxes(n: usize, bound: usize) -> io::Result<Vec<(Inbox, Outboxes)>> {
    let mut inboxes = Vec::with_capacity(n);
    let (mut txs, mut wakes) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (tx, rx) = sync_channel(bound);
        let (r, w) = io::pipe()?;
        crate::afpacket::set_nonblocking(r.as_raw_fd())?;
        crate::afpacket::set_nonblocking(w.as_raw_fd())?;
        inboxes.push(Inbox { rx, wake: r });
        txs.push(tx);
        wakes.push(Arc::new(w));
    }
    Ok(inboxes
        .into_iter()
        .map(|i| {
            let o = Outboxes {
                tx: txs.clone(),
                wake: wakes.clone(),
                pending: vec![false; n],
            };
            (i, o)
        })
        .collect())
}

impl Inbox {
    /// The descriptor that is readable when something was handed over.
    pub(super) fn fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// The next read handed over, if one waits.
    pub(super) fn try_recv(&self) -> Option<Vec<u8>> {
        self.rx.try_recv().ok()
    }

    /// Empties the wake-up pipe (before the queue is drained: a read
    /// handed over meanwhile wakes the worker again).
    pub(super) fn clear_wake(&mut self) {
        let mut b = [0u8; 64];
        while matches!(self.wake.read(&mut b), Ok(n) if n > 0) {}
    }
}

impl Outboxes {
    /// Hands `read` to worker `owner`; false (dropped) when its queue is
    /// full or it is gone.
    pub(super) fn send(&mut self, owner: usize, read: Vec<u8>) -> bool {
        let Some(tx) = self.tx.get(owner) else {
            return false;
        };
        match tx.try_send(read) {
            Ok(()) => {
                self.pending[owner] = true;
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }

    /// Wakes the owners handed something since the last call (a full
    /// pipe means a wake-up is pending already).
    pub(super) fn wake(&mut self) {
        for (i, p) in self.pending.iter_mut().enumerate() {
            if std::mem::take(p) {
                let _ = (&*self.wake[i]).write(&[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::afpacket::poll_any;

    #[test]
    fn the_owner_is_the_fanout_socket_of_the_session() {
        for n in 1..=16 {
            for id in [0u16, 1, 2, 7, 8, 255, 4097, u16::MAX] {
                assert_eq!(owner(id, n), usize::from(id) % n);
                assert_eq!(owner(id, n), fanout_socket_of(id, n));
            }
        }
    }

    /// A queue takes `bound` reads, then refuses (the caller counts the
    /// drop) until its owner took some; the owner is woken once per burst
    /// and reads them in order.
    #[test]
    fn a_handoff_is_bounded_and_wakes_its_owner() {
        let mut m = mailboxes(2, 3).unwrap();
        let (mut inbox1, _) = m.pop().unwrap();
        let (_, mut out0) = m.pop().unwrap();
        assert_eq!(poll_any(&[inbox1.fd()], 0).unwrap(), 0);
        let sent: Vec<bool> = (0..5u8).map(|i| out0.send(1, vec![i])).collect();
        assert_eq!(sent, [true, true, true, false, false]);
        // Not woken before the burst ends.
        assert_eq!(poll_any(&[inbox1.fd()], 0).unwrap(), 0);
        out0.wake();
        out0.wake();
        assert_eq!(poll_any(&[inbox1.fd()], 0).unwrap(), 1);
        inbox1.clear_wake();
        assert_eq!(poll_any(&[inbox1.fd()], 0).unwrap(), 0);
        assert_eq!(inbox1.try_recv(), Some(vec![0]));
        assert!(out0.send(1, vec![9]));
        let rest: Vec<Vec<u8>> = std::iter::from_fn(|| inbox1.try_recv()).collect();
        assert_eq!(rest, [vec![1], vec![2], vec![9]]);
        // No worker 2; an owner gone refuses too.
        assert!(!out0.send(2, vec![0]));
        drop(inbox1);
        assert!(!out0.send(1, vec![0]));
    }
}
