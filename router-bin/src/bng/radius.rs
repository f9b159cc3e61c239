//! The RADIUS client glue: Access-Requests for `AuthRequest`s and
//! Accounting-Requests for sessions, over `[radius] sources` UDP sockets,
//! with the `radius-proto` machine doing retransmission and failover.
//!
//! Each socket (source port) has its own 256 Identifiers (RFC 2865 §3), so
//! at most `256 × sources` requests are in flight; the machine says which
//! socket each request goes from, and an answer is handed back with the
//! index of the socket it arrived on. The rest wait in a bounded FIFO
//! ([`MAX_QUEUED`]) and go out, in order, as answers and final timeouts
//! free Identifiers. Beyond the bound an Accounting-Request is dropped (and
//! counted) and an Access-Request refused (the session is rejected).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use ppp_proto::Credential;
use radius_proto::client::{AcctStatusType, RequestHandle};
use radius_proto::wire::{Code, Packet, attr};
use radius_proto::{
    RadiusClient, RadiusClientCommandError, RadiusClientConfig, RadiusClientDestination,
    RadiusClientEvent, RadiusServerConfig, Secret,
};
use sansio_primitives::{Instant, SeededRng, Transmit};
use tokio::net::UdpSocket;

use crate::bng::auth::{Verdict, from_accept};
use crate::bng::config;
use crate::bng::sessions::Session;

mod request;

use request::{AcctJob, AuthJob, Job};

/// Requests waiting for a free Identifier, at most.
pub const MAX_QUEUED: usize = 16_384;

/// Datagrams waiting for a writable socket, at most (beyond, they are left
/// to the machine's retransmission).
const MAX_UNSENT: usize = 4 * 16_384;

/// What an answered Access-Request decided, for which session.
#[derive(Debug)]
pub struct AuthOutcome {
    /// PPPoE session id.
    pub id: u16,
    /// The session's serial (ids are reused).
    pub serial: u64,
    /// The verdict.
    pub verdict: Verdict,
}

/// The start-up Accounting-On: sessions are accepted only once it is
/// answered or given up on (accel-ppp does the same), so the server sees it
/// before any session's Start — a server that closes a NAS's sessions on
/// Accounting-On would otherwise close the new ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AcctOn {
    /// Queued, not yet handed to the machine.
    Queued,
    /// In flight.
    Sent(RequestHandle),
    /// Answered, unanswered after every retry, or never asked for.
    Done,
}

/// The client machine, its sockets and the requests in flight.
pub struct Radius {
    client: RadiusClient,
    /// The source sockets (each bound to an ephemeral port), by the
    /// machine's source index.
    pub socks: Vec<UdpSocket>,
    nas_identifier: String,
    nas_ip: Option<Ipv4Addr>,
    auth: HashMap<RequestHandle, (u16, u64)>,
    /// Requests waiting for an Identifier, oldest first.
    queue: VecDeque<Job>,
    /// Datagrams the machine gave that wait for their socket to be
    /// writable (never dropped on EWOULDBLOCK), oldest first.
    unsent: VecDeque<Transmit<RadiusClientDestination>>,
    /// Where the start-up Accounting-On is.
    acct_on: AcctOn,
    /// Send errors and refused requests, for the log.
    pub errors: u64,
    /// Accounting-Requests dropped because the queue was full.
    pub acct_dropped: u64,
}

impl Radius {
    /// The client for `cfg`, with a socket bound to an ephemeral port.
    pub async fn new(cfg: &config::Radius, rng: SeededRng) -> io::Result<Radius> {
        let servers = cfg
            .servers
            .iter()
            .map(|s| RadiusServerConfig::new(s.auth, s.acct, Secret::new(s.secret.as_bytes())))
            .collect();
        let mut cc = RadiusClientConfig::new(servers);
        cc.timeout = std::time::Duration::from_millis(cfg.timeout_ms);
        cc.max_tries = cfg.retries;
        cc.nas_identifier = Some(cfg.nas_identifier.as_bytes().to_vec());
        cc.nas_ip_address = cfg.nas_ip;
        cc.sources = cfg.sources;
        let client = RadiusClient::new(cc, rng)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("radius: {e}")))?;
        let bind: SocketAddr = match cfg.servers[0].auth {
            SocketAddr::V4(_) => "0.0.0.0:0".parse().expect("literal"),
            SocketAddr::V6(_) => "[::]:0".parse().expect("literal"),
        };
        let mut socks = Vec::with_capacity(cfg.sources);
        for _ in 0..cfg.sources {
            socks.push(source_socket(bind)?);
        }
        Ok(Radius {
            client,
            socks,
            nas_identifier: cfg.nas_identifier.clone(),
            nas_ip: cfg.nas_ip,
            auth: HashMap::new(),
            queue: VecDeque::new(),
            unsent: VecDeque::new(),
            acct_on: AcctOn::Done,
            errors: 0,
            acct_dropped: 0,
        })
    }

    /// Queues an Access-Request for session `s`; `Err` means it will not
    /// be sent (the caller rejects the session). The answer comes out of
    /// [`Radius::flush`].
    pub fn authenticate(
        &mut self,
        s: &Session,
        user: &[u8],
        credential: Credential,
    ) -> Result<(), String> {
        if let Credential::ChapMd5 {
            challenge,
            response,
            ..
        } = &credential
            && (response.len() != 16 || challenge.is_empty() || challenge.len() > 253)
        {
            return Err("CHAP response of a bad length".into());
        }
        if self.queue.len() >= MAX_QUEUED {
            return Err(format!(
                "{MAX_QUEUED} RADIUS requests already wait for an answer slot"
            ));
        }
        self.queue
            .push_back(Job::Auth(AuthJob::new(s, user.to_vec(), credential)));
        Ok(())
    }

    /// Queues an Accounting-Request for session `s` (counters and times as
    /// of now).
    pub fn account(&mut self, s: &Session, status: AcctStatusType, cause: Option<u32>) {
        if let Some(job) = AcctJob::of_session(s, status, cause) {
            self.enqueue_acct(job);
        }
    }

    /// Queues Accounting-On (at start: sessions a previous run left open
    /// are over) or Accounting-Off (at shutdown, after every Stop).
    pub fn accounting_on_off(&mut self, on: bool) {
        if on {
            self.acct_on = AcctOn::Queued;
        }
        self.enqueue_acct(AcctJob::on_off(on));
    }

    /// Whether sessions may be accepted: the start-up Accounting-On (if
    /// any) was answered or its retries are over.
    pub fn ready(&self) -> bool {
        self.acct_on == AcctOn::Done
    }

    /// The start-up Accounting-On ended (answered or not).
    fn acct_on_done(&mut self, handle: RequestHandle, answered: bool) {
        if self.acct_on == AcctOn::Sent(handle) {
            self.acct_on = AcctOn::Done;
            if answered {
                tracing::info!("Accounting-On answered: accepting sessions");
            } else {
                tracing::warn!("no RADIUS server answered the Accounting-On: accepting sessions");
            }
        }
    }

    fn enqueue_acct(&mut self, job: AcctJob) {
        if self.queue.len() >= MAX_QUEUED {
            self.acct_dropped += 1;
            // Bounded logging: the 1st, 2nd, 4th, 8th... drop.
            if self.acct_dropped.is_power_of_two() {
                tracing::warn!(
                    dropped = self.acct_dropped,
                    "accounting {:?} dropped: {MAX_QUEUED} RADIUS requests already wait",
                    job.status
                );
            }
            return;
        }
        self.queue.push_back(Job::Acct(job));
    }

    /// Hands `job` to the machine.
    fn submit(
        &mut self,
        now: Instant,
        job: &Job,
    ) -> Result<RequestHandle, RadiusClientCommandError> {
        job.submit(&mut self.client, now, &self.nas_identifier, self.nas_ip)
    }

    /// Sends queued requests while Identifiers are free. An Access-Request
    /// whose session no longer waits for it (`waiting` says no) is skipped.
    fn drain(
        &mut self,
        now: Instant,
        waiting: &dyn Fn(u16, u64) -> bool,
        out: &mut Vec<AuthOutcome>,
    ) {
        while self.client.outstanding() < self.client.capacity() {
            let Some(job) = self.queue.pop_front() else {
                return;
            };
            if let Job::Auth(a) = &job
                && !waiting(a.id, a.serial)
            {
                continue;
            }
            match (self.submit(now, &job), job) {
                (Ok(handle), Job::Auth(a)) => {
                    self.auth.insert(handle, (a.id, a.serial));
                }
                (Ok(handle), Job::Acct(j)) => {
                    if j.status == AcctStatusType::AccountingOn && self.acct_on == AcctOn::Queued {
                        self.acct_on = AcctOn::Sent(handle);
                    }
                }
                (Err(RadiusClientCommandError::IdentifiersExhausted), job) => {
                    self.queue.push_front(job);
                    return;
                }
                (Err(e), Job::Auth(a)) => {
                    self.errors += 1;
                    tracing::warn!(session = a.id, "Access-Request not sent: {e}");
                    out.push(AuthOutcome {
                        id: a.id,
                        serial: a.serial,
                        verdict: Verdict::Reject("Authentication failed"),
                    });
                }
                (Err(e), Job::Acct(j)) => {
                    self.errors += 1;
                    if j.status == AcctStatusType::AccountingOn && self.acct_on == AcctOn::Queued {
                        self.acct_on = AcctOn::Done;
                    }
                    let session = j.session.as_ref().map(|s| s.port);
                    tracing::warn!(?session, "accounting {:?} not sent: {e}", j.status);
                }
            }
        }
    }

    /// One datagram from source socket `source`.
    pub fn handle_datagram(&mut self, now: Instant, source: usize, from: SocketAddr, data: &[u8]) {
        if let Err(e) = self.client.handle_input_on(now, source, from, data) {
            tracing::debug!(%from, source, "RADIUS datagram dropped: {e}");
        }
    }

    /// The next datagram on any source socket, with the socket's index.
    pub async fn recv(&self, buf: &mut [u8]) -> (usize, io::Result<(usize, SocketAddr)>) {
        let mut start = 0;
        std::future::poll_fn(|cx| {
            let n = self.socks.len();
            // Round-robin, so one busy socket cannot starve the others.
            for k in 0..n {
                let i = (start + k) % n;
                let mut rb = tokio::io::ReadBuf::new(buf);
                if let std::task::Poll::Ready(r) = self.socks[i].poll_recv_from(cx, &mut rb) {
                    start = (i + 1) % n;
                    return std::task::Poll::Ready((i, r.map(|from| (rb.filled().len(), from))));
                }
            }
            std::task::Poll::Pending
        })
        .await
    }

    /// Runs the machine's timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.client.handle_timeout(now);
    }

    /// When to call [`Radius::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }

    /// Requests in flight or waiting for an Identifier.
    pub fn outstanding(&self) -> usize {
        self.client.outstanding() + self.queue.len()
    }

    /// Requests waiting for an Identifier.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Sends what the machine queued, in order, as far as the sockets take
    /// it; a datagram whose socket would block waits in `unsent` (see
    /// [`Radius::writable`]). A tokio socket reports "would block" until
    /// the reactor has seen it writable once, so the very first datagram
    /// (the Accounting-On) used to be lost here and go out only on
    /// retransmission.
    fn send_all(&mut self, now: Instant) {
        while let Some(t) = self.client.poll_transmit(now) {
            if self.unsent.len() >= MAX_UNSENT {
                // The sockets are stuck; the machine retransmits it.
                self.errors += 1;
                continue;
            }
            self.unsent.push_back(t);
        }
        while let Some(t) = self.unsent.front() {
            match self.socks[t.destination.source].try_send_to(&t.payload, t.destination.address) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.errors += 1;
                    tracing::warn!(to = %t.destination.address, "RADIUS send failed: {e}");
                }
                Ok(_) => {}
            }
            self.unsent.pop_front();
        }
    }

    /// Resolves when the socket of the oldest unsent datagram is writable
    /// (never, when nothing waits); then [`Radius::flush`] sends.
    pub async fn writable(&self) -> io::Result<()> {
        match self.unsent.front() {
            Some(t) => self.socks[t.destination.source].writable().await,
            None => std::future::pending().await,
        }
    }

    /// Datagrams waiting for a writable socket.
    #[cfg(test)]
    pub fn unsent(&self) -> usize {
        self.unsent.len()
    }

    /// Sends what the machine queued, then queued requests as far as
    /// Identifiers are free (after answers and final timeouts freed some);
    /// returns the decided Access-Requests. `waiting(id, serial)`: whether
    /// that session still waits for its queued Access-Request.
    pub fn flush(&mut self, now: Instant, waiting: &dyn Fn(u16, u64) -> bool) -> Vec<AuthOutcome> {
        self.send_all(now);
        let mut out = Vec::new();
        while let Some(e) = self.client.poll_event() {
            match e {
                RadiusClientEvent::Response(r) => {
                    let Some((id, serial)) = self.auth.remove(&r.handle) else {
                        // An Accounting-Response.
                        self.acct_on_done(r.handle, true);
                        continue;
                    };
                    let verdict = match r.packet() {
                        Ok(p) => verdict_of(r.code, &p, id),
                        Err(_) => Verdict::Reject("Authentication failed"),
                    };
                    out.push(AuthOutcome {
                        id,
                        serial,
                        verdict,
                    });
                }
                RadiusClientEvent::Timeout { handle } => match self.auth.remove(&handle) {
                    Some((id, serial)) => {
                        tracing::warn!(
                            session = id,
                            "no RADIUS server answered the Access-Request"
                        );
                        out.push(AuthOutcome {
                            id,
                            serial,
                            verdict: Verdict::Reject("Authentication server unreachable"),
                        });
                    }
                    None => {
                        tracing::warn!("no RADIUS server answered an Accounting-Request");
                        self.acct_on_done(handle, false);
                    }
                },
                RadiusClientEvent::ServerDead { server, .. } => {
                    tracing::warn!(server, "RADIUS server marked dead, failing over");
                }
                RadiusClientEvent::ServerAlive { server } => {
                    tracing::info!(server, "RADIUS server answers again")
                }
            }
        }
        self.drain(now, waiting, &mut out);
        self.send_all(now);
        out
    }
}

/// Receive buffer of each source socket: a burst of answers to 256
/// requests (up to 4 KiB each) must not overflow the default ~200 KiB.
const RECV_BUFFER: usize = 1 << 20;

/// One source socket, bound to an ephemeral port of `bind`'s family.
fn source_socket(bind: SocketAddr) -> io::Result<UdpSocket> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(bind),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    // Capped by net.core.rmem_max; a smaller buffer only costs
    // retransmissions.
    let _ = s.set_recv_buffer_size(RECV_BUFFER);
    s.set_nonblocking(true)?;
    s.bind(&bind.into())?;
    UdpSocket::from_std(s.into())
}

/// Attributes of an Access-Accept the bng acts on ([`from_accept`]).
const ACTED_ON: [u8; 8] = [
    attr::FRAMED_IP_ADDRESS,
    attr::DELEGATED_IPV6_PREFIX,
    attr::FRAMED_IPV6_PREFIX,
    attr::FRAMED_INTERFACE_ID,
    attr::SESSION_TIMEOUT,
    attr::ACCT_INTERIM_INTERVAL,
    attr::CLASS,
    attr::VENDOR_SPECIFIC,
];

/// The verdict of a verified answer. An invalid attribute (RFC 6929 §2.8)
/// is ignored like an unknown one, unless it is one the bng acts on: then
/// the session is refused rather than set up without it (an invalid
/// Session-Timeout must not become a session without a limit).
fn verdict_of(code: Code, p: &Packet<'_>, session: u16) -> Verdict {
    if code != Code::AccessAccept {
        return Verdict::Reject("Authentication failed");
    }
    for a in p.invalid_attributes() {
        let why = a
            .invalid_reason()
            .map(|e| e.to_string())
            .unwrap_or_default();
        if ACTED_ON.contains(&a.typ) {
            tracing::warn!(session, "Access-Accept refused: {why}");
            return Verdict::Reject("Authentication failed");
        }
        tracing::debug!(session, "Access-Accept: ignored {why}");
    }
    Verdict::Accept(from_accept(p))
}

#[cfg(test)]
mod tests;
