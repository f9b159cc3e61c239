//! The RADIUS client glue: Access-Requests for `AuthRequest`s and
//! Accounting-Requests for sessions, through `radius-proto`'s tokio driver
//! ([`RadiusClientDriver`]: the machine, retransmission, failover and the
//! `[radius] sources` UDP sockets live in its task).
//!
//! Each socket (source port) has its own 256 Identifiers (RFC 2865 §3), so
//! at most `256 × sources` requests are in flight; the rest wait in the
//! driver's FIFO, in order, as answers and final timeouts free Identifiers.
//! The engine loop never waits: a request is admitted or refused at once
//! (at most [`MAX_QUEUED`] beyond the free Identifiers), and beyond the
//! bound an Accounting-Request is dropped (and counted) and an
//! Access-Request refused (the session is rejected). Each admitted request
//! is awaited by a task of its own; an Access-Request's verdict comes back
//! to the loop through a channel ([`Radius::decided`], then
//! [`Radius::flush`]).

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ppp_proto::Credential;
use radius_proto::client::AcctStatusType;
use radius_proto::driver::{RadiusAnswer, RadiusClientDriver, RadiusDriverError};
use radius_proto::wire::{Attribute, Code, Packet, Value, attr};
use radius_proto::{
    RadiusClient, RadiusClientConfig, RadiusClientEvent, RadiusServerConfig, Secret,
};
use sansio_primitives::{Duration, Instant, SeededRng};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::bng::auth::{Verdict, from_accept};
use crate::bng::config;
use crate::bng::sessions::Session;

mod request;

use request::{AcctJob, AuthJob, Job};

/// Requests waiting for a free Identifier, at most.
pub const MAX_QUEUED: usize = 16_384;

/// How often, at most, Access-Requests of sessions that stopped waiting are
/// withdrawn while requests wait for an Identifier.
const SWEEP_INTERVAL: Duration = Duration::from_millis(100);

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

/// The driver, the NAS's names and the Access-Requests awaited.
pub struct Radius {
    driver: RadiusClientDriver,
    nas_identifier: String,
    nas_ip: Option<Ipv4Addr>,
    /// The task awaiting each Access-Request, by session id and serial:
    /// aborting it withdraws a request still waiting for an Identifier.
    auth: HashMap<(u16, u64), AbortHandle>,
    /// Verdicts from the Access-Requests' tasks; `None` from an
    /// Accounting-Request's task when it is over, to wake the loop (a
    /// shutdown waits for the last answer).
    outcomes_tx: mpsc::UnboundedSender<Option<AuthOutcome>>,
    outcomes: mpsc::UnboundedReceiver<Option<AuthOutcome>>,
    /// Verdicts taken off the channel by [`Radius::decided`], not yet
    /// handed out by [`Radius::flush`].
    decided: Vec<AuthOutcome>,
    /// When Access-Requests of sessions gone were last withdrawn.
    last_sweep: Option<Instant>,
    /// Refused requests, for the log.
    errors: Arc<AtomicU64>,
    /// Accounting-Requests dropped because the queue was full.
    pub acct_dropped: u64,
}

impl Radius {
    /// The client for `cfg`, with its source sockets bound to ephemeral
    /// ports, driven by a task on the current runtime.
    pub async fn new(cfg: &config::Radius, rng: SeededRng) -> io::Result<Radius> {
        let servers = cfg
            .servers
            .iter()
            .map(|s| RadiusServerConfig::new(s.auth, s.acct, Secret::new(s.secret.as_bytes())))
            .collect();
        let mut cc = RadiusClientConfig::new(servers);
        cc.timeout = Duration::from_millis(cfg.timeout_ms);
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
        let (outcomes_tx, outcomes) = mpsc::unbounded_channel();
        Ok(Radius {
            driver: RadiusClientDriver::spawn(client, socks, MAX_QUEUED),
            nas_identifier: cfg.nas_identifier.clone(),
            nas_ip: cfg.nas_ip,
            auth: HashMap::new(),
            outcomes_tx,
            outcomes,
            decided: Vec::new(),
            last_sweep: None,
            errors: Arc::new(AtomicU64::new(0)),
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
        let job = AuthJob::new(s, user.to_vec(), credential);
        let (id, serial) = (job.id, job.serial);
        let answer = self.submit(Job::Auth(job)).map_err(|e| match e {
            RadiusDriverError::QueueFull => {
                format!("{MAX_QUEUED} RADIUS requests already wait for an answer slot")
            }
            e => e.to_string(),
        })?;
        let (tx, errors) = (self.outcomes_tx.clone(), self.errors.clone());
        let task = tokio::spawn(async move {
            let verdict = match answer.await {
                Ok(r) => match r.packet() {
                    Ok(p) => verdict_of(r.code, &p, id),
                    Err(_) => Verdict::Reject("Authentication failed"),
                },
                Err(RadiusDriverError::Timeout) => {
                    tracing::warn!(session = id, "no RADIUS server answered the Access-Request");
                    Verdict::Reject("Authentication server unreachable")
                }
                Err(e) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(session = id, "Access-Request not sent: {e}");
                    Verdict::Reject("Authentication failed")
                }
            };
            let _ = tx.send(Some(AuthOutcome {
                id,
                serial,
                verdict,
            }));
        });
        if let Some(old) = self.auth.insert((id, serial), task.abort_handle()) {
            old.abort();
        }
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
    /// are over; sessions are accepted once it is answered or given up
    /// on, see [`Radius::ready`]) or Accounting-Off (at shutdown, after
    /// every Stop).
    pub fn accounting_on_off(&mut self, on: bool) {
        let job = AcctJob::on_off(on);
        if !on {
            self.enqueue_acct(job);
            return;
        }
        let mut extra = vec![Attribute::bytes(
            attr::NAS_IDENTIFIER,
            self.nas_identifier.as_bytes(),
        )];
        if let Some(ip) = self.nas_ip {
            extra.push(Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4(ip)));
        }
        match self.driver.accounting_on(&extra, Some(job.timestamp)) {
            Ok(answer) => {
                tokio::spawn(async move {
                    match answer.await {
                        Ok(_) => tracing::info!("Accounting-On answered: accepting sessions"),
                        Err(e) => {
                            tracing::warn!("Accounting-On: {e}; accepting sessions without it")
                        }
                    }
                });
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("Accounting-On not sent: {e}");
            }
        }
    }

    /// Whether sessions may be accepted: the start-up Accounting-On (if
    /// any) was answered or its retries are over.
    pub fn ready(&self) -> bool {
        self.driver.accounting_on_done()
    }

    fn enqueue_acct(&mut self, job: AcctJob) {
        let status = job.status;
        let answer = match self.submit(Job::Acct(job)) {
            Ok(a) => a,
            Err(RadiusDriverError::QueueFull) => {
                self.acct_dropped += 1;
                // Bounded logging: the 1st, 2nd, 4th, 8th... drop.
                if self.acct_dropped.is_power_of_two() {
                    tracing::warn!(
                        dropped = self.acct_dropped,
                        "accounting {status:?} dropped: {MAX_QUEUED} RADIUS requests already wait"
                    );
                }
                return;
            }
            Err(e) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("accounting {status:?} not sent: {e}");
                return;
            }
        };
        let (tx, errors) = (self.outcomes_tx.clone(), self.errors.clone());
        // Awaited (dropping the answer would withdraw the request).
        tokio::spawn(async move {
            match answer.await {
                Ok(_) => {}
                Err(RadiusDriverError::Timeout) => {
                    tracing::warn!("no RADIUS server answered an Accounting-Request");
                }
                Err(e) => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("accounting {status:?} not sent: {e}");
                }
            }
            let _ = tx.send(None);
        });
    }

    /// Hands `job` to the driver: admitted (the answer to await) or
    /// refused at once.
    fn submit(&self, job: Job) -> Result<RadiusAnswer, RadiusDriverError> {
        let (nas_id, nas_ip) = (self.nas_identifier.clone(), self.nas_ip);
        self.driver
            .try_request(move |c, now| job.submit(c, now, &nas_id, nas_ip))
    }

    /// Resolves when an Access-Request is decided or an
    /// Accounting-Request is over (the loop then runs [`Radius::flush`]).
    pub async fn decided(&mut self) {
        if let Some(Some(o)) = self.outcomes.recv().await {
            self.decided.push(o);
        }
    }

    /// Requests in flight or waiting for an Identifier.
    pub fn outstanding(&self) -> usize {
        self.driver.in_flight() + self.driver.queued()
    }

    /// Requests waiting for an Identifier.
    pub fn queued(&self) -> usize {
        self.driver.queued()
    }

    /// Requests refused (by the machine, or not sent).
    #[cfg(test)]
    fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// The decided Access-Requests. `waiting(id, serial)`: whether that
    /// session still waits for its Access-Request; while requests wait for
    /// an Identifier, those of sessions gone are withdrawn (never sent).
    pub fn flush(&mut self, now: Instant, waiting: &dyn Fn(u16, u64) -> bool) -> Vec<AuthOutcome> {
        for e in self.driver.server_events() {
            match e {
                RadiusClientEvent::ServerDead { server, .. } => {
                    tracing::warn!(server, "RADIUS server marked dead, failing over");
                }
                RadiusClientEvent::ServerAlive { server } => {
                    tracing::info!(server, "RADIUS server answers again");
                }
                RadiusClientEvent::Response(_) | RadiusClientEvent::Timeout { .. } => {}
            }
        }
        let mut out = std::mem::take(&mut self.decided);
        while let Ok(o) = self.outcomes.try_recv() {
            out.extend(o);
        }
        for o in &out {
            self.auth.remove(&(o.id, o.serial));
        }
        let due = self
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= SWEEP_INTERVAL);
        if self.driver.queued() > 0 && due {
            self.last_sweep = Some(now);
            self.auth.retain(|&(id, serial), task| {
                let keep = waiting(id, serial);
                if !keep {
                    task.abort();
                }
                keep
            });
        }
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
