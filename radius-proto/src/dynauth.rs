//! The NAS's Dynamic Authorization listener (RFC 5176): receives
//! Disconnect-Request and CoA-Request, verifies them, hands them to the
//! application, and sends its ACK or NAK.
//!
//! - The requester must be a configured client (by source IP); its Request
//!   Authenticator (MD5 over the packet with a zero authenticator and the
//!   shared secret, RFC 5176 §3.5) and any Message-Authenticator must verify,
//!   else the request is dropped silently ([`DynAuthDropped`], counted in [`DynAuthCounters`]).
//! - The session is identified by User-Name, Acct-Session-Id,
//!   Framed-IP-Address, NAS-Port, Calling-Station-Id, and the presence of the
//!   other RFC 5176 §3 identification attributes ([`SessionSelector`]). A
//!   request with none of them is answered at once with a NAK, Error-Cause 402
//!   (Missing-Attribute); one naming another NAS (NAS-IP-Address or
//!   NAS-Identifier other than configured) with Error-Cause 403. Otherwise
//!   the application gets
//!   [`DynAuthEvent::Request`] and answers with [`DynAuthServer::respond`]: ACK, or
//!   NAK with an [`ErrorCause`] such as 503 (Session-Context-Not-Found).
//! - A request carrying an invalid attribute (RFC 6929 §2.8: a known
//!   attribute whose value does not fit its type, such as an empty
//!   User-Name) is answered at once with a NAK, Error-Cause 407
//!   (Invalid-Attribute-Value), rather than dropped or half understood.
//! - Retransmitted requests (same source, Identifier and authenticator) are
//!   answered again from a bounded cache without a second event.
//! - Bounds: at most `max_pending` requests await the application (older
//!   ones are answered by the requester's retransmission or expire after
//!   `answer_timeout`), and the duplicate cache holds `cache_size` answers.
//!
//! Drain order: after every `handle_*` call or command, drain
//! [`DynAuthServer::poll_transmit`], then [`DynAuthServer::poll_event`],
//! until `None`; read [`DynAuthServer::poll_timeout`] last.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use sansio_primitives::{Duration, Instant, Transmit};

use crate::crypto::{self, MessageAuth, Secret};
use crate::error::Error;
use crate::wire::{Code, HEADER_LEN, Header, Packet, Value, attr};

/// One client allowed to send dynamic-authorization requests.
#[derive(Clone, Debug)]
pub struct DynAuthClient {
    /// Its source address.
    pub addr: IpAddr,
    /// The shared secret.
    pub secret: Secret,
}

/// The listener's configuration.
#[derive(Clone, Debug)]
pub struct DynAuthConfig {
    /// Allowed clients.
    pub clients: Vec<DynAuthClient>,
    /// Requests awaiting the application at once (default 64).
    pub max_pending: usize,
    /// How long a request waits for the application (default 10 s).
    pub answer_timeout: Duration,
    /// Answers kept for retransmitted requests (default 64).
    pub cache_size: usize,
    /// How long an answer is kept (default 30 s).
    pub cache_time: Duration,
    /// Drop requests without a Message-Authenticator (default `false`:
    /// RFC 5176 makes it optional and radclient omits it).
    pub require_message_authenticator: bool,
    /// This NAS's NAS-IP-Address: a request naming another one is answered
    /// with a NAK, Error-Cause 403 (RFC 5176 §3). `None`: not checked.
    pub nas_ip: Option<Ipv4Addr>,
    /// This NAS's NAS-Identifier, checked the same way.
    pub nas_identifier: Option<Vec<u8>>,
}

impl DynAuthConfig {
    /// Defaults around the given clients.
    pub fn new(clients: Vec<DynAuthClient>) -> Self {
        DynAuthConfig {
            clients,
            max_pending: 64,
            answer_timeout: Duration::from_secs(10),
            cache_size: 64,
            cache_time: Duration::from_secs(30),
            require_message_authenticator: false,
            nas_ip: None,
            nas_identifier: None,
        }
    }
}

/// Error-Cause (RFC 5176 §3.5).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct ErrorCause(pub u32);

impl ErrorCause {
    /// 201 Residual Session Context Removed.
    pub const RESIDUAL_SESSION_CONTEXT_REMOVED: ErrorCause = ErrorCause(201);
    /// 401 Unsupported Attribute.
    pub const UNSUPPORTED_ATTRIBUTE: ErrorCause = ErrorCause(401);
    /// 402 Missing Attribute.
    pub const MISSING_ATTRIBUTE: ErrorCause = ErrorCause(402);
    /// 403 NAS Identification Mismatch.
    pub const NAS_IDENTIFICATION_MISMATCH: ErrorCause = ErrorCause(403);
    /// 404 Invalid Request.
    pub const INVALID_REQUEST: ErrorCause = ErrorCause(404);
    /// 405 Unsupported Service.
    pub const UNSUPPORTED_SERVICE: ErrorCause = ErrorCause(405);
    /// 407 Invalid Attribute Value.
    pub const INVALID_ATTRIBUTE_VALUE: ErrorCause = ErrorCause(407);
    /// 501 Administratively Prohibited.
    pub const ADMINISTRATIVELY_PROHIBITED: ErrorCause = ErrorCause(501);
    /// 503 Session Context Not Found.
    pub const SESSION_CONTEXT_NOT_FOUND: ErrorCause = ErrorCause(503);
    /// 504 Session Context Not Removable.
    pub const SESSION_CONTEXT_NOT_REMOVABLE: ErrorCause = ErrorCause(504);
    /// 506 Resources Unavailable.
    pub const RESOURCES_UNAVAILABLE: ErrorCause = ErrorCause(506);
}

/// Which request.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum RequestKind {
    /// Disconnect-Request (40).
    Disconnect,
    /// CoA-Request (43).
    Coa,
}

/// The session identification attributes of a request.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct SessionSelector {
    /// User-Name.
    pub user_name: Option<Vec<u8>>,
    /// Acct-Session-Id.
    pub acct_session_id: Option<Vec<u8>>,
    /// Framed-IP-Address.
    pub framed_ip: Option<Ipv4Addr>,
    /// NAS-Port.
    pub nas_port: Option<u32>,
    /// Calling-Station-Id (on a PPPoE NAS, the host's MAC address).
    pub calling_station_id: Option<Vec<u8>>,
    /// The types of the other RFC 5176 §3 session identification
    /// attributes present (Called-Station-Id, Acct-Multi-Session-Id,
    /// NAS-Port-Type, NAS-Port-Id, Originating-Line-Info,
    /// Chargeable-User-Identity, Framed-Interface-Id, Framed-IPv6-Prefix):
    /// the application matches them from [`DynAuthRequest::bytes`] or
    /// answers 401 (Unsupported-Attribute).
    pub other: Vec<u8>,
}

/// RFC 5176 §3 session identification attributes not in a field of their
/// own in [`SessionSelector`].
const OTHER_IDENTIFICATION: [u8; 8] = [
    attr::CALLED_STATION_ID,
    attr::ACCT_MULTI_SESSION_ID,
    attr::NAS_PORT_TYPE,
    attr::NAS_PORT_ID,
    94, // Originating-Line-Info (RFC 7155)
    attr::CHARGEABLE_USER_IDENTITY,
    attr::FRAMED_INTERFACE_ID,
    attr::FRAMED_IPV6_PREFIX,
];

impl SessionSelector {
    /// The selector of a parsed request.
    pub fn from_packet(p: &Packet<'_>) -> Self {
        SessionSelector {
            user_name: p
                .get(attr::USER_NAME)
                .and_then(Value::as_bytes)
                .map(<[u8]>::to_vec),
            acct_session_id: p
                .get(attr::ACCT_SESSION_ID)
                .and_then(Value::as_bytes)
                .map(<[u8]>::to_vec),
            framed_ip: p.get(attr::FRAMED_IP_ADDRESS).and_then(Value::as_ipv4),
            nas_port: p.get(attr::NAS_PORT).and_then(Value::as_u32),
            calling_station_id: p
                .get(attr::CALLING_STATION_ID)
                .and_then(Value::as_bytes)
                .map(<[u8]>::to_vec),
            other: OTHER_IDENTIFICATION
                .into_iter()
                .filter(|t| p.get(*t).is_some())
                .collect(),
        }
    }

    /// Whether no identification attribute is present.
    pub fn is_empty(&self) -> bool {
        self.user_name.is_none()
            && self.acct_session_id.is_none()
            && self.framed_ip.is_none()
            && self.nas_port.is_none()
            && self.calling_station_id.is_none()
            && self.other.is_empty()
    }
}

/// A request handed to the application.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DynAuthRequest {
    /// Pass to [`DynAuthServer::respond`].
    pub handle: u64,
    /// Disconnect or CoA.
    pub kind: RequestKind,
    /// The requester.
    pub from: SocketAddr,
    /// The session it names.
    pub selector: SessionSelector,
    /// The whole request (for the attributes a CoA changes).
    pub bytes: Vec<u8>,
}

/// What the listener tells the application.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DynAuthEvent {
    /// A verified request to act on and answer.
    Request(DynAuthRequest),
}

/// The application's verdict.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Answer {
    /// Disconnect-ACK / CoA-ACK.
    Ack,
    /// Disconnect-NAK / CoA-NAK with an Error-Cause.
    Nak(ErrorCause),
}

/// Why a datagram was dropped.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum DynAuthDropped {
    /// Not a well-formed packet.
    #[error("malformed: {0}")]
    Malformed(Error),
    /// From an address that is not a configured client.
    #[error("unknown client")]
    UnknownClient,
    /// Not a Disconnect-Request or CoA-Request.
    #[error("not a Disconnect-Request or CoA-Request")]
    UnexpectedCode,
    /// The Request Authenticator does not verify.
    #[error("bad request authenticator")]
    BadAuthenticator,
    /// A Message-Authenticator that does not verify, or a required one missing.
    #[error("bad or missing Message-Authenticator")]
    BadMessageAuthenticator,
    /// A retransmission of a request already seen (its answer, if any, was
    /// sent again).
    #[error("duplicate request")]
    Duplicate,
    /// `max_pending` requests already await the application.
    #[error("too many requests pending")]
    TooManyPending,
}

/// Counters: one per [`DynAuthDropped`] reason, plus what the listener
/// did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct DynAuthCounters {
    /// Datagrams handed to `handle_input`.
    pub received: u64,
    /// Datagrams handed out by `poll_transmit`.
    pub transmitted: u64,
    /// Requests handed to the application.
    pub requests: u64,
    /// ACKs sent.
    pub acks: u64,
    /// NAKs sent.
    pub naks: u64,
    /// Dropped: malformed.
    pub malformed: u64,
    /// Dropped: unknown client.
    pub unknown_client: u64,
    /// Dropped: unexpected code.
    pub unexpected_code: u64,
    /// Dropped: bad authenticator.
    pub bad_authenticator: u64,
    /// Dropped: bad Message-Authenticator.
    pub bad_message_authenticator: u64,
    /// Duplicates.
    pub duplicates: u64,
    /// Dropped: too many pending.
    pub too_many_pending: u64,
    /// Requests the application never answered.
    pub expired: u64,
    /// Requests refused (NAK, Error-Cause 407) for an invalid attribute.
    pub invalid_attributes: u64,
}

/// A command the listener refuses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum DynAuthCommandError {
    /// A handle that names no request awaiting an answer (answered
    /// already, or expired after `answer_timeout`).
    #[error("unknown request handle")]
    UnknownHandle,
}

#[derive(Debug)]
struct Pending {
    handle: u64,
    client: usize,
    from: SocketAddr,
    bytes: Vec<u8>,
    deadline: Instant,
}

#[derive(Debug)]
struct Cached {
    from: SocketAddr,
    identifier: u8,
    authenticator: [u8; 16],
    answer: Option<Vec<u8>>,
    until: Instant,
}

/// The listener machine. See the [module docs](self).
#[derive(Debug)]
pub struct DynAuthServer {
    config: DynAuthConfig,
    pending: Vec<Pending>,
    cache: VecDeque<Cached>,
    next_handle: u64,
    transmits: VecDeque<Transmit<SocketAddr>>,
    events: VecDeque<DynAuthEvent>,
    counters: DynAuthCounters,
}

impl DynAuthServer {
    /// A listener. Unlike the shape's `new(config, rng, now)`, it takes
    /// neither: it draws nothing random (answers are determined by the
    /// request) and no timer runs before the first request. Its
    /// configuration cannot be invalid (a zero bound refuses every request,
    /// counted).
    pub fn new(config: DynAuthConfig) -> Self {
        DynAuthServer {
            config,
            pending: Vec::new(),
            cache: VecDeque::new(),
            next_handle: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: DynAuthCounters::default(),
        }
    }

    /// The counters.
    pub fn counters(&self) -> &DynAuthCounters {
        &self.counters
    }

    fn drop_with(&mut self, why: DynAuthDropped) -> Result<(), DynAuthDropped> {
        let s = &mut self.counters;
        match why {
            DynAuthDropped::Malformed(_) => s.malformed += 1,
            DynAuthDropped::UnknownClient => s.unknown_client += 1,
            DynAuthDropped::UnexpectedCode => s.unexpected_code += 1,
            DynAuthDropped::BadAuthenticator => s.bad_authenticator += 1,
            DynAuthDropped::BadMessageAuthenticator => s.bad_message_authenticator += 1,
            DynAuthDropped::Duplicate => s.duplicates += 1,
            DynAuthDropped::TooManyPending => s.too_many_pending += 1,
        }
        Err(why)
    }

    /// One datagram received from `from`.
    pub fn handle_input(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), DynAuthDropped> {
        self.counters.received += 1;
        self.expire(now);
        let h = match Header::parse(datagram) {
            Ok(h) => h,
            Err(e) => return self.drop_with(DynAuthDropped::Malformed(e)),
        };
        let bytes = &datagram[..usize::from(h.length)];
        let kind = match h.code {
            Code::DisconnectRequest => RequestKind::Disconnect,
            Code::CoaRequest => RequestKind::Coa,
            _ => return self.drop_with(DynAuthDropped::UnexpectedCode),
        };
        let Some(client) = self.config.clients.iter().position(|c| c.addr == from.ip()) else {
            return self.drop_with(DynAuthDropped::UnknownClient);
        };
        let secret = self.config.clients[client].secret.expose();
        if !crypto::verify_request_zero(bytes, secret) {
            return self.drop_with(DynAuthDropped::BadAuthenticator);
        }
        match crypto::verify_message_authenticator(bytes, &[0; 16], secret) {
            MessageAuth::Invalid => return self.drop_with(DynAuthDropped::BadMessageAuthenticator),
            MessageAuth::Absent if self.config.require_message_authenticator => {
                return self.drop_with(DynAuthDropped::BadMessageAuthenticator);
            }
            _ => {}
        }
        let packet = match Packet::parse(bytes) {
            Ok(p) => p,
            Err(e) => return self.drop_with(DynAuthDropped::Malformed(e)),
        };
        if let Some(c) = self.cache.iter().find(|c| {
            c.from == from && c.identifier == h.identifier && c.authenticator == h.authenticator
        }) {
            if let Some(a) = &c.answer {
                self.transmits.push_back(Transmit {
                    destination: from,
                    payload: a.clone(),
                });
            }
            return self.drop_with(DynAuthDropped::Duplicate);
        }
        let selector = SessionSelector::from_packet(&packet);
        if !selector.is_empty() && self.pending.len() >= self.config.max_pending {
            return self.drop_with(DynAuthDropped::TooManyPending);
        }
        if self.cache.len() >= self.config.cache_size.max(1) {
            self.cache.pop_front();
        }
        self.cache.push_back(Cached {
            from,
            identifier: h.identifier,
            authenticator: h.authenticator,
            answer: None,
            until: now + self.config.cache_time,
        });
        // An invalid attribute (RFC 6929 §2.8) is answered, not dropped (the
        // requester would only retransmit), and not ignored either: ignoring
        // an invalid identification attribute would name more sessions
        // than meant, so the request is refused whole (Error-Cause 407,
        // Invalid-Attribute-Value, RFC 5176 §3.5).
        if packet.invalid_attributes().next().is_some() {
            self.counters.invalid_attributes += 1;
            self.answer(
                client,
                from,
                bytes,
                Answer::Nak(ErrorCause::INVALID_ATTRIBUTE_VALUE),
            );
            return Ok(());
        }
        if selector.is_empty() {
            self.answer(
                client,
                from,
                bytes,
                Answer::Nak(ErrorCause::MISSING_ATTRIBUTE),
            );
            return Ok(());
        }
        let ip_mismatch = self.config.nas_ip.is_some_and(|ours| {
            packet
                .get(attr::NAS_IP_ADDRESS)
                .and_then(Value::as_ipv4)
                .is_some_and(|theirs| theirs != ours)
        });
        let id_mismatch = self.config.nas_identifier.as_deref().is_some_and(|ours| {
            packet
                .get(attr::NAS_IDENTIFIER)
                .and_then(Value::as_bytes)
                .is_some_and(|theirs| theirs != ours)
        });
        if ip_mismatch || id_mismatch {
            self.answer(
                client,
                from,
                bytes,
                Answer::Nak(ErrorCause::NAS_IDENTIFICATION_MISMATCH),
            );
            return Ok(());
        }
        let handle = self.next_handle;
        self.next_handle += 1;
        self.pending.push(Pending {
            handle,
            client,
            from,
            bytes: bytes.to_vec(),
            deadline: now + self.config.answer_timeout,
        });
        self.counters.requests += 1;
        self.events.push_back(DynAuthEvent::Request(DynAuthRequest {
            handle,
            kind,
            from,
            selector,
            bytes: bytes.to_vec(),
        }));
        Ok(())
    }

    /// The application's answer to request `handle`.
    pub fn respond(
        &mut self,
        now: Instant,
        handle: u64,
        answer: Answer,
    ) -> Result<(), DynAuthCommandError> {
        self.expire(now);
        let i = self
            .pending
            .iter()
            .position(|p| p.handle == handle)
            .ok_or(DynAuthCommandError::UnknownHandle)?;
        let p = self.pending.swap_remove(i);
        self.answer(p.client, p.from, &p.bytes, answer);
        Ok(())
    }

    fn answer(&mut self, client: usize, from: SocketAddr, request: &[u8], answer: Answer) {
        let secret = self.config.clients[client].secret.expose();
        let req_code = request[0];
        let mut req_auth = [0u8; 16];
        req_auth.copy_from_slice(&request[4..20]);
        let code = match answer {
            Answer::Ack => req_code + 1,
            Answer::Nak(_) => req_code + 2,
        };
        let mut b = Vec::with_capacity(64);
        b.extend_from_slice(&[code, request[1], 0, 0]);
        b.extend_from_slice(&[0; 16]);
        if let Answer::Nak(c) = answer {
            b.extend_from_slice(&[attr::ERROR_CAUSE, 6]);
            b.extend_from_slice(&c.0.to_be_bytes());
        }
        // Proxy-State is echoed (RFC 5176 §3).
        if let Ok(p) = Packet::parse(request) {
            for v in p.get_all(attr::PROXY_STATE) {
                if let Some(s) = v.as_bytes() {
                    b.push(attr::PROXY_STATE);
                    b.push(s.len() as u8 + 2);
                    b.extend_from_slice(s);
                }
            }
        }
        let with_ma = crypto::find_message_authenticator(request).is_some();
        if with_ma {
            b.extend_from_slice(&[attr::MESSAGE_AUTHENTICATOR, 18]);
            b.extend_from_slice(&[0; 16]);
        }
        let n = b.len() as u16;
        b[2..4].copy_from_slice(&n.to_be_bytes());
        if with_ma {
            crypto::sign_message_authenticator(&mut b, &req_auth, secret);
        }
        crypto::sign_response(&mut b, &req_auth, secret);
        debug_assert!(b.len() >= HEADER_LEN);
        match answer {
            Answer::Ack => self.counters.acks += 1,
            Answer::Nak(_) => self.counters.naks += 1,
        }
        if let Some(c) = self
            .cache
            .iter_mut()
            .find(|c| c.from == from && c.identifier == request[1] && c.authenticator == req_auth)
        {
            c.answer = Some(b.clone());
        }
        self.transmits.push_back(Transmit {
            destination: from,
            payload: b,
        });
    }

    fn expire(&mut self, now: Instant) {
        let before = self.pending.len();
        self.pending.retain(|p| p.deadline > now);
        self.counters.expired += (before - self.pending.len()) as u64;
        self.cache.retain(|c| c.until > now);
    }

    /// Expires requests the application did not answer and old cache
    /// entries. Harmless when called early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.expire(now);
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<SocketAddr>> {
        let t = self.transmits.pop_front()?;
        self.counters.transmitted += 1;
        Some(t)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<DynAuthEvent> {
        self.events.pop_front()
    }

    /// When [`DynAuthServer::handle_timeout`] must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let p = self.pending.iter().map(|p| p.deadline).min();
        let c = self.cache.iter().map(|c| c.until).min();
        match (p, c) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
