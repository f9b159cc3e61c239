//! The RADIUS client on tokio: one task owns the [`RadiusClient`] machine and its
//! source sockets; [`RadiusClientDriver`] handles (cheap clones) submit
//! requests to it and await their outcome.

use std::boxed::Box;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::vec;
use std::vec::Vec;

use sansio_primitives::{Instant, StdClock};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::client::{
    AccountingRecord, RadiusClient, RadiusClientCommandError, RadiusClientEvent, RequestHandle,
    Response,
};
use crate::wire::{Attribute, raw_attributes};

/// Why a request got no answer.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RadiusDriverError {
    /// The machine refused the request (bad attributes, no NAS name, ...).
    #[error("request refused: {0}")]
    Refused(RadiusClientCommandError),
    /// No server answered within the configured tries (RFC 2865 §2.5).
    #[error("no server answered")]
    Timeout,
    /// More requests wait for an Identifier than the driver's bound
    /// (`max_queued`): back-pressure, the request was not sent.
    #[error("too many requests waiting for an identifier")]
    QueueFull,
    /// The driver's task has ended (its runtime shut down or a socket failed).
    #[error("the driver has stopped")]
    Stopped,
}

/// Builds a request on the machine: `authenticate`, `account`, or anything
/// returning a [`RequestHandle`].
type Submit = Box<
    dyn FnOnce(&mut RadiusClient, Instant) -> Result<RequestHandle, RadiusClientCommandError>
        + Send,
>;

struct Command {
    submit: Submit,
    reply: oneshot::Sender<Result<Response, RadiusDriverError>>,
}

/// A handle to the task driving a RADIUS [`RadiusClient`]; clone it freely.
/// The task ends when the last handle is dropped.
#[derive(Clone, Debug)]
pub struct RadiusClientDriver {
    commands: mpsc::UnboundedSender<Command>,
}

impl RadiusClientDriver {
    /// Binds one UDP socket per configured source on `local` (port 0: each
    /// gets its own port, as RFC 2865 §3's Identifier spaces need) and
    /// spawns the task on the current tokio runtime. At most `max_queued`
    /// requests wait for a free Identifier; beyond, a request fails with
    /// [`RadiusDriverError::QueueFull`].
    pub async fn bind(
        client: RadiusClient,
        local: SocketAddr,
        max_queued: usize,
    ) -> io::Result<Self> {
        let mut sockets = Vec::new();
        for _ in 0..client.capacity() / 256 {
            sockets.push(UdpSocket::bind(local).await?);
        }
        Ok(Self::spawn(client, sockets, max_queued))
    }

    /// Spawns the task with the caller's sockets, one per
    /// [`crate::client::RadiusClientConfig::sources`], in source order (see
    /// [`Self::bind`] for `max_queued`).
    ///
    /// # Panics
    ///
    /// When the number of sockets differs from the client's sources.
    pub fn spawn(client: RadiusClient, sockets: Vec<UdpSocket>, max_queued: usize) -> Self {
        assert_eq!(
            sockets.len(),
            client.capacity() / 256,
            "one socket per RadiusClientConfig::sources"
        );
        let (commands, rx) = mpsc::unbounded_channel();
        let sockets: Vec<Arc<UdpSocket>> = sockets.into_iter().map(Arc::new).collect();
        let (input_tx, input_rx) = mpsc::channel(256);
        let mut readers = Vec::new();
        for (source, sock) in sockets.iter().enumerate() {
            readers.push(tokio::spawn(read_loop(
                source,
                sock.clone(),
                input_tx.clone(),
            )));
        }
        tokio::spawn(async move {
            run(client, sockets, rx, input_rx, max_queued).await;
            for r in readers {
                r.abort();
            }
        });
        RadiusClientDriver { commands }
    }

    /// Sends an Access-Request (see [`RadiusClient::authenticate`]) and awaits
    /// its verified Access-Accept, -Reject or -Challenge.
    pub async fn authenticate(
        &self,
        attributes: &[Attribute<'_>],
        password: Option<&[u8]>,
    ) -> Result<Response, RadiusDriverError> {
        let area = encode(attributes)?;
        let password = password.map(crate::Secret::new);
        self.request(move |c, now| {
            let attrs = decode(&area);
            c.authenticate(now, &attrs, password.as_ref().map(|p| p.expose()))
        })
        .await
    }

    /// Sends an Accounting-Request built from the owned parts of `record`
    /// (see [`RadiusClient::account`]) and awaits its Accounting-Response.
    pub async fn account(
        &self,
        record: &AccountingRecord<'_>,
    ) -> Result<Response, RadiusDriverError> {
        let extra = encode(record.extra)?;
        let session_id = record.session_id.to_vec();
        let user_name = record.user_name.map(<[u8]>::to_vec);
        let (status, session_time, counters, terminate_cause, event_timestamp) = (
            record.status,
            record.session_time,
            record.counters,
            record.terminate_cause,
            record.event_timestamp,
        );
        self.request(move |c, now| {
            let extra = decode(&extra);
            let mut r = AccountingRecord::new(status, &session_id);
            r.user_name = user_name.as_deref();
            r.session_time = session_time;
            r.counters = counters;
            r.terminate_cause = terminate_cause;
            r.event_timestamp = event_timestamp;
            r.extra = &extra;
            c.account(now, &r)
        })
        .await
    }

    /// Submits any request built by `submit` on the machine and awaits its
    /// answer. While every Identifier is in flight the request waits in
    /// FIFO order for a free one; dropping the future meanwhile withdraws
    /// it (it is never sent).
    pub async fn request<F>(&self, submit: F) -> Result<Response, RadiusDriverError>
    where
        F: FnOnce(&mut RadiusClient, Instant) -> Result<RequestHandle, RadiusClientCommandError>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let command = Command {
            submit: Box::new(submit),
            reply,
        };
        self.commands
            .send(command)
            .map_err(|_| RadiusDriverError::Stopped)?;
        answer.await.unwrap_or(Err(RadiusDriverError::Stopped))
    }
}

/// The attributes as one attribute area, so they can cross to the task.
fn encode(attributes: &[Attribute<'_>]) -> Result<Vec<u8>, RadiusDriverError> {
    let mut area = Vec::new();
    for a in attributes {
        let at = area.len();
        area.resize(at + a.buffer_len(), 0);
        a.emit(&mut area[at..])
            .map_err(|e| RadiusDriverError::Refused(e.into()))?;
    }
    Ok(area)
}

/// The area back as attributes; they emit the same octets.
fn decode(area: &[u8]) -> Vec<Attribute<'_>> {
    raw_attributes(area)
        .filter_map(Result::ok)
        .map(|(typ, v)| Attribute::bytes(typ, v))
        .collect()
}

async fn read_loop(
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

type Waiter = oneshot::Sender<Result<Response, RadiusDriverError>>;

async fn run(
    mut client: RadiusClient,
    sockets: Vec<Arc<UdpSocket>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut input: mpsc::Receiver<(usize, SocketAddr, Vec<u8>)>,
    max_queued: usize,
) {
    let clock = StdClock::new();
    let mut waiting: Vec<(RequestHandle, Waiter)> = Vec::new();
    // Requests waiting for a free Identifier, oldest first.
    let mut fifo: VecDeque<Command> = VecDeque::new();
    let mut open = true;
    loop {
        while client.outstanding() < client.capacity() {
            let Some(c) = fifo.pop_front() else { break };
            if c.reply.is_closed() {
                // Its caller stopped waiting (dropped the future): not sent.
                continue;
            }
            match (c.submit)(&mut client, clock.now()) {
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
                RadiusClientEvent::ServerDead { .. } | RadiusClientEvent::ServerAlive { .. } => {
                    continue;
                }
            };
            if let Some(i) = waiting.iter().position(|(h, _)| *h == handle) {
                let _ = waiting.swap_remove(i).1.send(outcome);
            }
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
                Some(c) if fifo.len() < max_queued
                    || client.outstanding() < client.capacity() => fifo.push_back(c),
                Some(c) => {
                    let _ = c.reply.send(Err(RadiusDriverError::QueueFull));
                }
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
