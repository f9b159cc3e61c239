//! The task behind a [`super::RadiusClientDriver`]: it owns the machine and
//! its source sockets, takes commands in FIFO order, and resolves each
//! request's waiter with its answer or timeout.

use std::boxed::Box;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::vec;
use std::vec::Vec;

use sansio_primitives::{Instant, StdClock};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::client::{MAX_SERVER_EVENTS, RadiusDriverError, Shared};
use crate::client::{
    RadiusClient, RadiusClientCommandError, RadiusClientEvent, RequestHandle, Response,
};

/// Builds a request on the machine: `authenticate`, `account`, or anything
/// returning a [`RequestHandle`].
pub(super) type Submit = Box<
    dyn FnOnce(&mut RadiusClient, Instant) -> Result<RequestHandle, RadiusClientCommandError>
        + Send,
>;

/// Who waits for a request's outcome.
pub(super) type Waiter = oneshot::Sender<Result<Response, RadiusDriverError>>;

/// One request on its way to the machine.
pub(super) struct Command {
    pub(super) submit: Submit,
    pub(super) reply: Waiter,
}

pub(super) async fn read_loop(
    source: usize,
    sock: Arc<UdpSocket>,
    to: mpsc::Sender<(usize, SocketAddr, Vec<u8>)>,
) {
    let mut buf = vec![0u8; 4096];
    while let Ok((n, from)) = sock.recv_from(&mut buf).await {
        if to.send((source, from, buf[..n].to_vec())).await.is_err() {
            return;
        }
    }
}

pub(super) async fn run(
    mut client: RadiusClient,
    sockets: Vec<Arc<UdpSocket>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut input: mpsc::Receiver<(usize, SocketAddr, Vec<u8>)>,
    shared: Arc<Shared>,
) {
    let clock = StdClock::new();
    let mut waiting: Vec<(RequestHandle, Waiter)> = Vec::new();
    // Requests waiting for a free Identifier, oldest first. Their number
    // is bounded when they are admitted (`Shared::admit`).
    let mut fifo: VecDeque<Command> = VecDeque::new();
    let mut open = true;
    loop {
        while client.outstanding() < client.capacity() {
            let Some(c) = fifo.pop_front() else { break };
            if c.reply.is_closed() {
                // Its caller stopped waiting (dropped the future): not sent.
                shared.queued.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            let r = (c.submit)(&mut client, clock.now());
            // In flight before it stops counting as queued, so that the
            // admission bound never sees a free Identifier that is taken.
            shared
                .in_flight
                .store(client.outstanding(), Ordering::SeqCst);
            shared.queued.fetch_sub(1, Ordering::SeqCst);
            match r {
                Ok(h) => waiting.push((h, c.reply)),
                Err(e) => {
                    let _ = c.reply.send(Err(RadiusDriverError::Refused(e)));
                }
            }
        }
        while let Some(t) = client.poll_transmit(clock.now()) {
            // A full socket buffer waits for writability; a send error is
            // the same as a lost datagram: retransmission covers it.
            let to = t.destination;
            let _ = sockets[to.source].send_to(&t.payload, to.address).await;
        }
        while let Some(e) = client.poll_event() {
            let (handle, outcome) = match e {
                RadiusClientEvent::Response(r) => (r.handle, Ok(r)),
                RadiusClientEvent::Timeout { handle } => (handle, Err(RadiusDriverError::Timeout)),
                e @ (RadiusClientEvent::ServerDead { .. }
                | RadiusClientEvent::ServerAlive { .. }) => {
                    if let Ok(mut q) = shared.server_events.lock() {
                        if q.len() >= MAX_SERVER_EVENTS {
                            q.pop_front();
                        }
                        q.push_back(e);
                    }
                    continue;
                }
            };
            if let Some(i) = waiting.iter().position(|(h, _)| *h == handle) {
                let _ = waiting.swap_remove(i).1.send(outcome);
            }
        }
        shared
            .in_flight
            .store(client.outstanding(), Ordering::SeqCst);
        if let Ok(mut c) = shared.counters.lock() {
            *c = *client.counters();
        }
        if !open && waiting.is_empty() && fifo.is_empty() {
            return;
        }
        let deadline = client.poll_timeout();
        let sleep =
            tokio::time::sleep(deadline.map_or(std::time::Duration::from_secs(3600), |d| {
                super::until(&clock, d)
            }));
        tokio::select! {
            c = commands.recv(), if open => match c {
                Some(c) => fifo.push_back(c),
                None => open = false,
            },
            Some((source, from, bytes)) = input.recv() => {
                // Drops are counted by the machine (RadiusClient::counters).
                let _ = client.handle_input_on(clock.now(), source, from, &bytes);
            }
            () = sleep, if deadline.is_some() => client.handle_timeout(clock.now()),
        }
    }
}
