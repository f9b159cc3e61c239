//! The RADIUS client on tokio: one task owns the [`RadiusClient`] machine and its
//! source sockets; [`RadiusClientDriver`] handles (cheap clones) submit
//! requests to it and await their outcome.
//!
//! Every request is admitted or refused at once, without awaiting anything
//! (`try_*`): an event loop that must not stall (an access concentrator's
//! engine handling discovery frames) decides on the spot what to do at the
//! bound — reject the session whose Access-Request is refused, count and
//! drop an Accounting-Request — and awaits the [`RadiusAnswer`] elsewhere
//! (a task per request feeding its loop). The `async` methods are the same
//! followed by the await.

use std::boxed::Box;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::vec::Vec;

use sansio_primitives::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::task::{Command, read_loop, run};
use crate::client::{
    AccountingRecord, AcctStatusType, RadiusClient, RadiusClientCommandError, RadiusClientCounters,
    RadiusClientEvent, RequestHandle, Response,
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

/// What the handles and the task share.
#[derive(Debug)]
pub(super) struct Shared {
    /// Requests admitted and not yet handed to the machine (in the channel
    /// or the task's FIFO).
    pub(super) queued: AtomicUsize,
    /// Requests the machine has in flight, as the task last saw.
    pub(super) in_flight: AtomicUsize,
    /// `256 × sources`.
    capacity: usize,
    /// The bound on requests waiting for an Identifier.
    max_queued: usize,
    /// Accounting-Ons sent by [`RadiusClientDriver::accounting_on`] and not
    /// yet answered or given up on.
    accounting_on: AtomicUsize,
    /// The machine's counters, as the task last saw them.
    pub(super) counters: Mutex<RadiusClientCounters>,
    /// Servers marked dead or alive again, oldest first, at most
    /// [`MAX_SERVER_EVENTS`] (the oldest go first).
    pub(super) server_events: Mutex<VecDeque<RadiusClientEvent>>,
}

/// Server events kept for [`RadiusClientDriver::server_events`], at most.
pub(super) const MAX_SERVER_EVENTS: usize = 64;

impl Shared {
    /// Takes a place for one more request, or refuses it: at most
    /// `max_queued` requests beyond the free Identifiers wait.
    fn admit(&self) -> Result<(), RadiusDriverError> {
        let mut q = self.queued.load(Ordering::SeqCst);
        loop {
            let free = self
                .capacity
                .saturating_sub(self.in_flight.load(Ordering::SeqCst));
            if q >= self.max_queued + free {
                return Err(RadiusDriverError::QueueFull);
            }
            match self
                .queued
                .compare_exchange(q, q + 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return Ok(()),
                Err(now) => q = now,
            }
        }
    }
}

/// The outcome of one admitted request, to be awaited: the verified answer,
/// [`RadiusDriverError::Timeout`], or why the machine refused it. Dropping
/// it before the request is sent withdraws the request (it is never sent).
#[derive(Debug)]
#[must_use = "dropping the answer withdraws a request not yet sent"]
pub struct RadiusAnswer {
    rx: oneshot::Receiver<Result<Response, RadiusDriverError>>,
}

impl Future for RadiusAnswer {
    type Output = Result<Response, RadiusDriverError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or(Err(RadiusDriverError::Stopped)))
    }
}

/// A handle to the task driving a RADIUS [`RadiusClient`]; clone it freely.
/// The task ends when the last handle is dropped.
#[derive(Clone, Debug)]
pub struct RadiusClientDriver {
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
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
        let shared = Arc::new(Shared {
            queued: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(client.outstanding()),
            capacity: client.capacity(),
            max_queued,
            accounting_on: AtomicUsize::new(0),
            counters: Mutex::new(*client.counters()),
            server_events: Mutex::new(VecDeque::new()),
        });
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
        let task_shared = shared.clone();
        tokio::spawn(async move {
            run(client, sockets, rx, input_rx, task_shared).await;
            for r in readers {
                r.abort();
            }
        });
        RadiusClientDriver { commands, shared }
    }

    /// Sends an Access-Request (see [`RadiusClient::authenticate`]) and awaits
    /// its verified Access-Accept, -Reject or -Challenge.
    pub async fn authenticate(
        &self,
        attributes: &[Attribute<'_>],
        password: Option<&[u8]>,
    ) -> Result<Response, RadiusDriverError> {
        self.try_authenticate(attributes, password)?.await
    }

    /// [`Self::authenticate`], admitted or refused at once: `Err` (the
    /// queue is full, an attribute cannot be encoded, the driver stopped)
    /// before anything is awaited.
    pub fn try_authenticate(
        &self,
        attributes: &[Attribute<'_>],
        password: Option<&[u8]>,
    ) -> Result<RadiusAnswer, RadiusDriverError> {
        let area = encode(attributes)?;
        let password = password.map(crate::Secret::new);
        self.try_request(move |c, now| {
            let attrs = decode(&area);
            c.authenticate(now, &attrs, password.as_ref().map(|p| p.expose()))
        })
    }

    /// Sends an Accounting-Request built from the owned parts of `record`
    /// (see [`RadiusClient::account`]) and awaits its Accounting-Response.
    pub async fn account(
        &self,
        record: &AccountingRecord<'_>,
    ) -> Result<Response, RadiusDriverError> {
        self.try_account(record)?.await
    }

    /// [`Self::account`], admitted or refused at once (see
    /// [`Self::try_authenticate`]).
    pub fn try_account(
        &self,
        record: &AccountingRecord<'_>,
    ) -> Result<RadiusAnswer, RadiusDriverError> {
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
        self.try_request(move |c, now| {
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
    }

    /// Sends Accounting-On (RFC 2866 §5.1: the NAS (re)starts, sessions a
    /// previous run left open are over) with `extra` attributes and the
    /// Event-Timestamp (seconds since 1970) when given, and
    /// closes the gate [`Self::accounting_on_done`] until it is answered
    /// or its retries are over. A NAS accepts no session while the gate is
    /// closed, so the server sees the Accounting-On before any session's
    /// Start (a server that closes the NAS's sessions on Accounting-On
    /// would close the new ones too). Requests admitted later queue behind
    /// it. The answer can be awaited, or dropped: the Accounting-On is
    /// sent all the same.
    pub fn accounting_on(
        &self,
        extra: &[Attribute<'_>],
        event_timestamp: Option<u32>,
    ) -> Result<RadiusAnswer, RadiusDriverError> {
        let mut record = AccountingRecord::new(AcctStatusType::AccountingOn, b"");
        record.extra = extra;
        record.event_timestamp = event_timestamp;
        let answer = self.try_account(&record)?;
        let shared = self.shared.clone();
        shared.accounting_on.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        // A task holds the request's answer, so the caller dropping its
        // own does not withdraw the Accounting-On.
        tokio::spawn(async move {
            let outcome = answer.await;
            shared.accounting_on.fetch_sub(1, Ordering::SeqCst);
            let _ = tx.send(outcome);
        });
        Ok(RadiusAnswer { rx })
    }

    /// Whether every Accounting-On sent with [`Self::accounting_on`] was
    /// answered or given up on (true when none was sent). Synchronous and
    /// cheap: an atomic load, to check per discovery frame.
    pub fn accounting_on_done(&self) -> bool {
        self.shared.accounting_on.load(Ordering::SeqCst) == 0
    }

    /// Requests admitted and not yet handed to the machine.
    pub fn queued(&self) -> usize {
        self.shared.queued.load(Ordering::SeqCst)
    }

    /// Requests in flight (sent, awaiting an answer or a retransmission).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The machine's counters, as of the task's last turn.
    pub fn counters(&self) -> RadiusClientCounters {
        self.shared
            .counters
            .lock()
            .map_or_else(|e| *e.into_inner(), |c| *c)
    }

    /// The servers marked dead ([`RadiusClientEvent::ServerDead`]) or
    /// answering again ([`RadiusClientEvent::ServerAlive`]) since the last
    /// call, oldest first (at most the last 64), for the log.
    pub fn server_events(&self) -> Vec<RadiusClientEvent> {
        self.shared
            .server_events
            .lock()
            .map(|mut q| q.drain(..).collect())
            .unwrap_or_default()
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
        self.try_request(submit)?.await
    }

    /// [`Self::request`], admitted or refused at once: at most `max_queued`
    /// requests beyond the free Identifiers wait; the next is
    /// [`RadiusDriverError::QueueFull`] without waiting.
    pub fn try_request<F>(&self, submit: F) -> Result<RadiusAnswer, RadiusDriverError>
    where
        F: FnOnce(&mut RadiusClient, Instant) -> Result<RequestHandle, RadiusClientCommandError>
            + Send
            + 'static,
    {
        self.shared.admit()?;
        let (reply, rx) = oneshot::channel();
        let command = Command {
            submit: Box::new(submit),
            reply,
        };
        if self.commands.send(command).is_err() {
            self.shared.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(RadiusDriverError::Stopped);
        }
        Ok(RadiusAnswer { rx })
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
