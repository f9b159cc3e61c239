//! The CoA/Disconnect listener on tokio: one task owns the
//! [`DynAuthServer`] machine and its socket, hands verified requests to the
//! application through a channel and sends the answers it gets back.

use std::io;
use std::net::SocketAddr;
use std::vec;

use sansio_primitives::StdClock;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::dynauth::{Answer, DynAuthEvent, DynAuthRequest, DynAuthServer};

/// A handle to the task driving a [`DynAuthServer`]: answer the requests
/// it hands out with [`DynAuthDriver::respond`]. The task ends when every
/// handle and the request receiver are dropped.
#[derive(Clone, Debug)]
pub struct DynAuthDriver {
    answers: mpsc::UnboundedSender<(u64, Answer)>,
    local: SocketAddr,
}

impl DynAuthDriver {
    /// Binds `local` (the NAS's port 3799) and spawns the task on the
    /// current tokio runtime; verified requests arrive on the receiver,
    /// at most `backlog` queued (the machine's `max_pending` bounds the
    /// unanswered ones anyway).
    pub async fn bind(
        server: DynAuthServer,
        local: SocketAddr,
        backlog: usize,
    ) -> io::Result<(Self, mpsc::Receiver<DynAuthRequest>)> {
        let sock = UdpSocket::bind(local).await?;
        Ok(Self::spawn(server, sock, backlog))
    }

    /// Spawns the task with the caller's socket.
    pub fn spawn(
        server: DynAuthServer,
        sock: UdpSocket,
        backlog: usize,
    ) -> (Self, mpsc::Receiver<DynAuthRequest>) {
        let local = sock
            .local_addr()
            .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into());
        let (answers, answers_rx) = mpsc::unbounded_channel();
        let (requests_tx, requests) = mpsc::channel(backlog.max(1));
        tokio::spawn(run(server, sock, answers_rx, requests_tx));
        (DynAuthDriver { answers, local }, requests)
    }

    /// The socket's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Answers request `handle` ([`DynAuthRequest::handle`]); an answer to
    /// an unknown or expired request is ignored by the machine.
    pub fn respond(&self, handle: u64, answer: Answer) {
        let _ = self.answers.send((handle, answer));
    }
}

async fn run(
    mut server: DynAuthServer,
    sock: UdpSocket,
    mut answers: mpsc::UnboundedReceiver<(u64, Answer)>,
    requests: mpsc::Sender<DynAuthRequest>,
) {
    let clock = StdClock::new();
    let mut buf = vec![0u8; 4096];
    loop {
        while let Some(t) = server.poll_transmit(clock.now()) {
            // A lost answer is what the requester's retransmission covers.
            let _ = sock.send_to(&t.payload, t.destination).await;
        }
        while let Some(DynAuthEvent::Request(r)) = server.poll_event() {
            if requests.send(r).await.is_err() {
                return;
            }
        }
        let deadline = server.poll_timeout();
        let sleep =
            tokio::time::sleep(deadline.map_or(std::time::Duration::from_secs(3600), |d| {
                super::until(&clock, d)
            }));
        tokio::select! {
            a = answers.recv() => match a {
                // Misuse (unknown or already answered handle) changes nothing.
                Some((handle, answer)) => {
                    let _ = server.respond(clock.now(), handle, answer);
                }
                None => return,
            },
            r = sock.recv_from(&mut buf) => {
                if let Ok((n, from)) = r {
                    // Drops are counted by the machine (DynAuthServer::counters).
                    let _ = server.handle_input(clock.now(), from, &buf[..n]);
                }
            }
            () = sleep, if deadline.is_some() => server.handle_timeout(clock.now()),
            () = requests.closed() => return,
        }
    }
}
