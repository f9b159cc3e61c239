//! The NAS side: sends Access-Requests and Accounting-Requests to one or
//! more RADIUS servers and matches their answers.
//!
//! - **Identifiers** (RFC 2865 §3): the Identifier space is per source
//!   address and port. The machine stands for [`RadiusClientConfig::sources`] UDP
//!   sockets of the caller, each with 256 Identifiers; each request is
//!   tagged with the source it uses ([`RadiusClientDestination::source`]), and its answer
//!   is matched on that source ([`RadiusClient::handle_input_on`]). The request
//!   after `256 × sources` in flight is refused with
//!   [`RadiusClientCommandError::IdentifiersExhausted`]: back-pressure the caller must respect
//!   (queue, or wait for an answer).
//! - **The NAS is named** (RFC 2865 §4.1, RFC 2866 §4.1): every request
//!   must carry NAS-IP-Address or NAS-Identifier; the machine adds
//!   [`RadiusClientConfig::nas_identifier`] (else
//!   [`RadiusClientConfig::nas_ip_address`]) when the caller's attributes carry
//!   neither, and refuses the request when it has neither to add.
//! - **Retransmission** (RFC 2865 §2.5, RFC 5080 §2.2.1): an unanswered
//!   request is sent again after [`RadiusClientConfig::timeout`], up to
//!   [`RadiusClientConfig::max_tries`] times per server. An Access-Request is
//!   repeated byte for byte (same Identifier and Request Authenticator);
//!   an Accounting-Request carries an updated Acct-Delay-Time (RFC 2866 §5.2)
//!   and, since its attributes changed, a new Identifier when one is free.
//! - **Failover** (accel-ppp's `fail-timeout`, `max-fail`, `weight`): when
//!   a server has used up its tries the request moves to the next server; a
//!   server that failed `max_fail` requests in a row is *dead* for
//!   `fail_timeout` and skipped, then comes back. New requests are spread
//!   over live servers by smooth weighted round-robin.
//! - **Answers** are accepted only from the server the request was sent to,
//!   with the expected Code, a correct Response Authenticator, and (by
//!   default, the Blast-RADIUS mitigation) a correct Message-Authenticator on
//!   every Access-Accept/Reject/Challenge. Anything else is dropped:
//!   [`RadiusClient::handle_input`] returns [`RadiusClientDropped`] and counts it in [`RadiusClientCounters`].
//!   An answer whose framing is sound but which carries invalid attributes
//!   (RFC 6929 §2.8) is accepted: the caller reads it with the typed
//!   accessors, which skip them (see [`crate::wire`]).
//!   Late and duplicate answers find no request and are dropped too.
//!
//! Drain order: after every `handle_*` call or command, drain
//! [`RadiusClient::poll_transmit`], then [`RadiusClient::poll_event`], until `None`; read
//! [`RadiusClient::poll_timeout`] last.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::SocketAddr;

use rand_core::Rng;
use sansio_primitives::{Instant, SeededRng, Transmit};

use crate::crypto::{self, MessageAuth, Secret};
use crate::error::Error;
use crate::wire::{Attribute, Code, HEADER_LEN, Header, MAX_PACKET_LEN, Packet, Value, attr};

mod types;

pub use types::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Access,
    Accounting,
}

#[derive(Debug)]
struct Pending {
    handle: RequestHandle,
    kind: Kind,
    /// The caller's attributes, encoded.
    attrs: Vec<u8>,
    password: Option<Secret>,
    server: usize,
    tried: u64,
    tries: u32,
    deadline: Instant,
    created: Instant,
    authenticator: [u8; 16],
    bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, Default)]
struct ServerState {
    fail_count: u32,
    dead_until: Option<Instant>,
    current: i64,
}

/// The RADIUS client machine. See the [module docs](self).
#[derive(Debug)]
pub struct RadiusClient {
    config: RadiusClientConfig,
    rng: SeededRng,
    servers: Vec<ServerState>,
    /// Requests in flight by `source × 256 + Identifier`.
    slots: Vec<Option<Pending>>,
    outstanding: usize,
    /// Where the search for a free slot starts.
    next_slot: usize,
    next_handle: u64,
    transmits: VecDeque<Transmit<RadiusClientDestination>>,
    events: VecDeque<RadiusClientEvent>,
    counters: RadiusClientCounters,
}

fn encode_attrs(
    attrs: &[Attribute<'_>],
    out: &mut Vec<u8>,
) -> Result<(), RadiusClientCommandError> {
    for a in attrs {
        let at = out.len();
        out.resize(at + a.buffer_len(), 0);
        if let Err(e) = a.emit(&mut out[at..]) {
            out.truncate(at);
            return Err(e.into());
        }
    }
    Ok(())
}

impl RadiusClient {
    /// A client; it owns `rng` (Request Authenticators, Identifiers).
    ///
    /// Unlike the shape's `new(config, rng, now)`, it takes no `now`: no
    /// timer runs before the first request, and every command takes `now`.
    pub fn new(
        config: RadiusClientConfig,
        mut rng: SeededRng,
    ) -> Result<Self, RadiusClientConfigError> {
        if config.servers.is_empty() || config.servers.len() > MAX_SERVERS {
            return Err(RadiusClientConfigError::ServerCount);
        }
        if config
            .servers
            .iter()
            .any(|s| s.weight == 0 || s.max_fail == 0)
        {
            return Err(RadiusClientConfigError::ZeroWeightOrMaxFail);
        }
        if config.max_tries == 0 || config.timeout.is_zero() {
            return Err(RadiusClientConfigError::ZeroTriesOrTimeout);
        }
        if config.sources == 0 || config.sources > MAX_SOURCES {
            return Err(RadiusClientConfigError::SourceCount);
        }
        let slots = 256 * config.sources;
        let next_slot = rng.next_u32() as usize % slots;
        Ok(RadiusClient {
            servers: alloc::vec![ServerState::default(); config.servers.len()],
            config,
            rng,
            slots: (0..slots).map(|_| None).collect(),
            outstanding: 0,
            next_slot,
            next_handle: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: RadiusClientCounters::default(),
        })
    }

    /// The counters.
    pub fn counters(&self) -> &RadiusClientCounters {
        &self.counters
    }

    /// Requests in flight (at most `256 × sources`).
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// Requests in flight at most: `256 ×` [`RadiusClientConfig::sources`].
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Whether server `i` is currently marked dead.
    pub fn is_dead(&self, i: usize, now: Instant) -> bool {
        self.servers
            .get(i)
            .and_then(|s| s.dead_until)
            .is_some_and(|t| t > now)
    }

    /// Sends an Access-Request with `attributes`, plus User-Password hidden
    /// with the chosen server's secret when `password` is given, plus a
    /// Message-Authenticator. For CHAP, put CHAP-Password (see
    /// [`crypto::chap_password`]) and CHAP-Challenge in `attributes`.
    ///
    /// RFC 2865 §4.1: an Access-Request MUST carry NAS-IP-Address or
    /// NAS-Identifier (or, RFC 3162, NAS-IPv6-Address). When `attributes`
    /// has none, the machine adds [`RadiusClientConfig::nas_identifier`], else
    /// [`RadiusClientConfig::nas_ip_address`]; with neither configured the request
    /// is refused with [`RadiusClientCommandError::NoNas`].
    pub fn authenticate(
        &mut self,
        now: Instant,
        attributes: &[Attribute<'_>],
        password: Option<&[u8]>,
    ) -> Result<RequestHandle, RadiusClientCommandError> {
        if password.is_some_and(|p| p.len() > crypto::MAX_PASSWORD_LEN) {
            return Err(Error::PasswordTooLong.into());
        }
        let mut attrs = Vec::new();
        encode_attrs(attributes, &mut attrs)?;
        if !self.add_nas(attributes, &mut attrs)? {
            return Err(RadiusClientCommandError::NoNas);
        }
        self.submit(now, Kind::Access, attrs, password.map(Secret::new))
    }

    /// Appends the configured NAS-Identifier or NAS-IP-Address to `out`
    /// when `given` names no NAS; whether the request then names one.
    fn add_nas(
        &self,
        given: &[Attribute<'_>],
        out: &mut Vec<u8>,
    ) -> Result<bool, RadiusClientCommandError> {
        let names_nas = given.iter().any(|a| {
            matches!(
                a.typ,
                attr::NAS_IP_ADDRESS | attr::NAS_IDENTIFIER | attr::NAS_IPV6_ADDRESS
            )
        });
        if names_nas {
            return Ok(true);
        }
        let added = match (&self.config.nas_identifier, self.config.nas_ip_address) {
            (Some(id), _) => Attribute::bytes(attr::NAS_IDENTIFIER, id),
            (None, Some(ip)) => Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4(ip)),
            (None, None) => return Ok(false),
        };
        encode_attrs(&[added], out)?;
        Ok(true)
    }

    /// Sends an Accounting-Request for `record`. Like
    /// [`RadiusClient::authenticate`], it adds the configured NAS-Identifier or
    /// NAS-IP-Address when `record.extra` names no NAS (RFC 2866 §4.1), and
    /// refuses the request when neither is configured.
    pub fn account(
        &mut self,
        now: Instant,
        record: &AccountingRecord<'_>,
    ) -> Result<RequestHandle, RadiusClientCommandError> {
        let mut list: Vec<Attribute<'_>> = Vec::new();
        list.push(Attribute::integer(
            attr::ACCT_STATUS_TYPE,
            record.status.value(),
        ));
        if !record.session_id.is_empty() {
            list.push(Attribute::bytes(attr::ACCT_SESSION_ID, record.session_id));
        }
        if let Some(u) = record.user_name {
            list.push(Attribute::bytes(attr::USER_NAME, u));
        }
        if let Some(t) = record.session_time {
            list.push(Attribute::integer(attr::ACCT_SESSION_TIME, t));
        }
        if let Some(c) = record.counters {
            list.push(Attribute::integer(
                attr::ACCT_INPUT_OCTETS,
                c.input_octets as u32,
            ));
            list.push(Attribute::integer(
                attr::ACCT_INPUT_GIGAWORDS,
                (c.input_octets >> 32) as u32,
            ));
            list.push(Attribute::integer(
                attr::ACCT_OUTPUT_OCTETS,
                c.output_octets as u32,
            ));
            list.push(Attribute::integer(
                attr::ACCT_OUTPUT_GIGAWORDS,
                (c.output_octets >> 32) as u32,
            ));
            list.push(Attribute::integer(
                attr::ACCT_INPUT_PACKETS,
                c.input_packets,
            ));
            list.push(Attribute::integer(
                attr::ACCT_OUTPUT_PACKETS,
                c.output_packets,
            ));
        }
        if let Some(t) = record.terminate_cause {
            list.push(Attribute::integer(attr::ACCT_TERMINATE_CAUSE, t));
        }
        if let Some(t) = record.event_timestamp {
            list.push(Attribute::new(attr::EVENT_TIMESTAMP, Value::Time(t)));
        }
        let mut attrs = Vec::new();
        encode_attrs(&list, &mut attrs)?;
        encode_attrs(record.extra, &mut attrs)?;
        // RFC 2866 §4.1 asks the same of an Accounting-Request.
        if !self.add_nas(record.extra, &mut attrs)? {
            return Err(RadiusClientCommandError::NoNas);
        }
        if record.extra.iter().any(|a| a.typ == attr::ACCT_DELAY_TIME) {
            return Err(RadiusClientCommandError::AcctDelayTimeGiven);
        }
        self.submit(now, Kind::Accounting, attrs, None)
    }

    /// Forgets a request in flight (its answer will be dropped as late).
    pub fn cancel(&mut self, handle: RequestHandle) -> Result<(), RadiusClientCommandError> {
        let id = self
            .slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|p| p.handle == handle))
            .ok_or(RadiusClientCommandError::UnknownHandle)?;
        self.slots[id] = None;
        self.outstanding -= 1;
        Ok(())
    }

    /// A free slot (`source × 256 + Identifier`), searched round-robin so
    /// Identifiers are not reused sooner than needed.
    fn alloc_slot(&mut self) -> Option<usize> {
        let n = self.slots.len();
        let slot = (0..n)
            .map(|k| (self.next_slot + k) % n)
            .find(|&i| self.slots[i].is_none())?;
        self.next_slot = (slot + 1) % n;
        Some(slot)
    }

    /// A free slot on the same source as `slot` (an Accounting-Request
    /// retransmitted with new attributes keeps its socket).
    fn alloc_on_source_of(&mut self, slot: usize) -> Option<usize> {
        let base = slot - slot % 256;
        let start = self.next_slot % 256;
        let found = (0..256)
            .map(|k| base + (start + k) % 256)
            .find(|&i| self.slots[i].is_none())?;
        self.next_slot = (found + 1) % self.slots.len();
        Some(found)
    }

    fn submit(
        &mut self,
        now: Instant,
        kind: Kind,
        attrs: Vec<u8>,
        password: Option<Secret>,
    ) -> Result<RequestHandle, RadiusClientCommandError> {
        // Size check up front: header, attributes, User-Password (≤130),
        // Message-Authenticator (18), Acct-Delay-Time (6).
        let extra = password
            .as_ref()
            .map_or(0, |p| 2 + p.expose().len().div_ceil(16).max(1) * 16);
        if HEADER_LEN + attrs.len() + extra + 18 + 6 > MAX_PACKET_LEN {
            return Err(Error::TooBig.into());
        }
        if self.outstanding >= self.slots.len() {
            return Err(RadiusClientCommandError::IdentifiersExhausted);
        }
        let slot = self
            .alloc_slot()
            .ok_or(RadiusClientCommandError::IdentifiersExhausted)?;
        // With nothing tried yet, `select` finds a server (the config has
        // at least one).
        let server = self.select(now, 0).unwrap_or(0);
        let handle = RequestHandle(self.next_handle);
        self.next_handle += 1;
        let mut p = Pending {
            handle,
            kind,
            attrs,
            password,
            server,
            tried: 1 << server,
            tries: 1,
            deadline: now + self.config.timeout,
            created: now,
            authenticator: [0; 16],
            bytes: Vec::new(),
        };
        self.encode(&mut p, slot as u8, now);
        self.send(&p, slot);
        self.slots[slot] = Some(p);
        self.outstanding += 1;
        self.counters.requests += 1;
        Ok(handle)
    }

    /// Smooth weighted round-robin over live servers not in `tried`; a dead
    /// one (the soonest back) only when no live one is left.
    fn select(&mut self, now: Instant, tried: u64) -> Option<usize> {
        let mut total = 0i64;
        let mut best: Option<usize> = None;
        for i in 0..self.servers.len() {
            if tried & (1 << i) != 0 {
                continue;
            }
            let w = i64::from(self.config.servers[i].weight);
            let s = &mut self.servers[i];
            if s.dead_until.is_some_and(|t| t <= now) {
                // Its fail_timeout is over: it comes back.
                s.dead_until = None;
                s.fail_count = 0;
            }
            if s.dead_until.is_some() {
                continue;
            }
            s.current += w;
            total += w;
            if best.is_none_or(|b| self.servers[b].current < self.servers[i].current) {
                best = Some(i);
            }
        }
        if let Some(b) = best {
            self.servers[b].current -= total;
            return Some(b);
        }
        (0..self.servers.len())
            .filter(|i| tried & (1 << i) == 0)
            .min_by_key(|&i| self.servers[i].dead_until)
    }

    fn encode(&mut self, p: &mut Pending, id: u8, now: Instant) {
        let s = &self.config.servers[p.server];
        let secret = s.secret.expose();
        let mut b = Vec::with_capacity(HEADER_LEN + p.attrs.len() + 48);
        b.extend_from_slice(&[0, id, 0, 0]);
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&p.attrs);
        match p.kind {
            Kind::Access => {
                self.rng.fill_bytes(&mut p.authenticator);
                b[0] = Code::AccessRequest.into();
                b[4..20].copy_from_slice(&p.authenticator);
                if let Some(pw) = &p.password {
                    // Length checked in `authenticate`.
                    if let Ok(h) = crypto::hide_password(pw.expose(), secret, &p.authenticator) {
                        b.push(attr::USER_PASSWORD);
                        b.push(h.len() as u8 + 2);
                        b.extend_from_slice(&h);
                    }
                }
                b.push(attr::MESSAGE_AUTHENTICATOR);
                b.push(18);
                b.extend_from_slice(&[0; 16]);
                let n = b.len() as u16;
                b[2..4].copy_from_slice(&n.to_be_bytes());
                crypto::sign_message_authenticator(&mut b, &p.authenticator, secret);
            }
            Kind::Accounting => {
                b[0] = Code::AccountingRequest.into();
                let delay = (now - p.created).as_secs().min(u64::from(u32::MAX)) as u32;
                b.push(attr::ACCT_DELAY_TIME);
                b.push(6);
                b.extend_from_slice(&delay.to_be_bytes());
                let n = b.len() as u16;
                b[2..4].copy_from_slice(&n.to_be_bytes());
                crypto::sign_request_zero(&mut b, secret);
                p.authenticator.copy_from_slice(&b[4..20]);
            }
        }
        p.bytes = b;
    }

    fn send(&mut self, p: &Pending, slot: usize) {
        let s = &self.config.servers[p.server];
        let destination = match p.kind {
            Kind::Access => s.auth_addr,
            Kind::Accounting => s.acct_addr,
        };
        self.transmits.push_back(Transmit {
            destination: RadiusClientDestination {
                source: slot / 256,
                address: destination,
            },
            payload: p.bytes.clone(),
        });
    }

    fn drop_with(&mut self, why: RadiusClientDropped) -> Result<(), RadiusClientDropped> {
        let c = &mut self.counters;
        match why {
            RadiusClientDropped::Malformed(_) => c.malformed += 1,
            RadiusClientDropped::UnknownIdentifier => c.late_or_duplicate += 1,
            RadiusClientDropped::WrongSource => c.wrong_source += 1,
            RadiusClientDropped::UnexpectedCode => c.unexpected_code += 1,
            RadiusClientDropped::BadAuthenticator => c.bad_authenticator += 1,
            RadiusClientDropped::MissingMessageAuthenticator => {
                c.missing_message_authenticator += 1
            }
            RadiusClientDropped::BadMessageAuthenticator => c.bad_message_authenticator += 1,
        }
        Err(why)
    }

    /// One datagram received from `from` on source socket 0: for a client
    /// with one source (see [`RadiusClient::handle_input_on`]).
    pub fn handle_input(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), RadiusClientDropped> {
        self.handle_input_on(now, 0, from, datagram)
    }

    /// One datagram received from `from` on source socket `source` (the
    /// socket [`RadiusClientDestination::source`] named); a source out of range is
    /// [`RadiusClientDropped::UnknownIdentifier`].
    pub fn handle_input_on(
        &mut self,
        _now: Instant,
        source: usize,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), RadiusClientDropped> {
        self.counters.received += 1;
        let h = match Header::parse(datagram) {
            Ok(h) => h,
            Err(e) => return self.drop_with(RadiusClientDropped::Malformed(e)),
        };
        let bytes = &datagram[..usize::from(h.length)];
        if source >= self.config.sources {
            return self.drop_with(RadiusClientDropped::UnknownIdentifier);
        }
        let id = source * 256 + usize::from(h.identifier);
        let Some(p) = &self.slots[id] else {
            return self.drop_with(RadiusClientDropped::UnknownIdentifier);
        };
        let s = &self.config.servers[p.server];
        let (expected_from, code_ok) = match p.kind {
            Kind::Access => (
                s.auth_addr,
                matches!(
                    h.code,
                    Code::AccessAccept | Code::AccessReject | Code::AccessChallenge
                ),
            ),
            Kind::Accounting => (s.acct_addr, h.code == Code::AccountingResponse),
        };
        if from != expected_from {
            return self.drop_with(RadiusClientDropped::WrongSource);
        }
        if !code_ok {
            return self.drop_with(RadiusClientDropped::UnexpectedCode);
        }
        let secret = s.secret.expose();
        if !crypto::verify_response(bytes, &p.authenticator, secret) {
            return self.drop_with(RadiusClientDropped::BadAuthenticator);
        }
        let ma = crypto::verify_message_authenticator(bytes, &p.authenticator, secret);
        match ma {
            MessageAuth::Invalid => {
                return self.drop_with(RadiusClientDropped::BadMessageAuthenticator);
            }
            MessageAuth::Absent
                if p.kind == Kind::Access && self.config.require_message_authenticator =>
            {
                return self.drop_with(RadiusClientDropped::MissingMessageAuthenticator);
            }
            _ => {}
        }
        // Only broken framing is malformed; invalid attributes (RFC 6929
        // §2.8) leave the answer valid, to be processed.
        let invalid = match Packet::parse(bytes) {
            Ok(p) => p.invalid_attributes().next().is_some(),
            Err(e) => return self.drop_with(RadiusClientDropped::Malformed(e)),
        };
        let Some(p) = self.slots[id].take() else {
            return self.drop_with(RadiusClientDropped::UnknownIdentifier);
        };
        self.outstanding -= 1;
        self.counters.responses += 1;
        self.counters.with_invalid_attributes += u64::from(invalid);
        let st = &mut self.servers[p.server];
        st.fail_count = 0;
        if st.dead_until.take().is_some() {
            self.events
                .push_back(RadiusClientEvent::ServerAlive { server: p.server });
        }
        self.events.push_back(RadiusClientEvent::Response(Response {
            handle: p.handle,
            server: p.server,
            code: h.code,
            bytes: bytes.to_vec(),
        }));
        Ok(())
    }

    /// Retransmits, fails over and times out requests whose deadline has
    /// passed. Harmless when called early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        for id in 0..self.slots.len() {
            let due = self.slots[id].as_ref().is_some_and(|p| p.deadline <= now);
            if !due {
                continue;
            }
            let Some(mut p) = self.slots[id].take() else {
                continue;
            };
            if p.tries < self.config.max_tries {
                p.tries += 1;
                p.deadline = now + self.config.timeout;
                self.counters.retransmissions += 1;
                let new_slot = match p.kind {
                    Kind::Access => id,
                    Kind::Accounting => {
                        // New attributes (Acct-Delay-Time), new Identifier
                        // when one is free (RFC 2866 §5.2).
                        let nid = self.alloc_on_source_of(id).unwrap_or(id);
                        self.encode(&mut p, nid as u8, now);
                        nid
                    }
                };
                self.send(&p, new_slot);
                self.slots[new_slot] = Some(p);
                continue;
            }
            // This server used up its tries.
            let st = &mut self.servers[p.server];
            st.fail_count += 1;
            if st.fail_count >= self.config.servers[p.server].max_fail && st.dead_until.is_none() {
                let until = now + self.config.servers[p.server].fail_timeout;
                st.dead_until = Some(until);
                self.events.push_back(RadiusClientEvent::ServerDead {
                    server: p.server,
                    until,
                });
            }
            match self.select(now, p.tried) {
                Some(next) => {
                    p.server = next;
                    p.tried |= 1 << next;
                    p.tries = 1;
                    p.deadline = now + self.config.timeout;
                    self.counters.failovers += 1;
                    self.encode(&mut p, id as u8, now);
                    self.send(&p, id);
                    self.slots[id] = Some(p);
                }
                None => {
                    self.outstanding -= 1;
                    self.counters.timeouts += 1;
                    self.events
                        .push_back(RadiusClientEvent::Timeout { handle: p.handle });
                }
            }
        }
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<RadiusClientDestination>> {
        let t = self.transmits.pop_front()?;
        self.counters.transmitted += 1;
        Some(t)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<RadiusClientEvent> {
        self.events.pop_front()
    }

    /// When [`RadiusClient::handle_timeout`] must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.slots.iter().flatten().map(|p| p.deadline).min()
    }
}
