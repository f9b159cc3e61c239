//! NAT64 prefix discovery (RFC 7050), with PREF64 (RFC 8781) first.
//!
//! The machine asks its resolvers for `AAAA ipv4only.arpa` (§3). In every
//! AAAA record of the answer it looks for the well-known IPv4 addresses
//! 192.0.0.170 and 192.0.0.171 at each of the six RFC 6052 prefix lengths;
//! a prefix is found when both addresses embedded under it are in the
//! answer (an answer without them yields nothing: it is ignored). With
//! `validate` on, each candidate goes through §3.1's check first: the PTR of
//! the synthesized address gives a name, the AAAA records of that name must
//! include the synthesized address (the DNSSEC check of that name is not
//! done). The prefixes stay valid for the smallest TTL of the AAAA records
//! that showed them; discovery runs again when 90 % of it has passed (never
//! sooner than `min_refresh`), and a prefix not seen again by its end is
//! lost. An unanswered query is sent again to the next resolver with a
//! fresh id and source port after `initial_timeout`, doubling up to
//! `max_timeout`, for as long as needed.
//!
//! A PREF64 option (RFC 8781) the embedder hands in with
//! [`Nat64Discovery::set_pref64`] takes precedence: while its lifetime
//! runs, it is the only prefix and no DNS query is sent; when it ends,
//! discovery by DNS resumes at once.
//!
//! # Drain order
//!
//! After each `handle_*` call or command, drain
//! [`Nat64Discovery::poll_transmit`] then [`Nat64Discovery::poll_event`]
//! until each returns `None`, and read [`Nat64Discovery::poll_timeout`] last.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::net::{Ipv6Addr, SocketAddr};

use domain::base::Name;
use domain::base::iana::{Class, Rcode, Rtype};
use domain::base::name::ToName;
use domain::rdata::AllRecordData;
use sansio_primitives::{Duration, Instant, SeededRng, Transmit};

use crate::names::{self, IPV4ONLY_ADDRESSES};
use crate::rfc6052::{Nat64Prefix, PREFIX_LENGTHS};
use crate::wire::{self, Dns64WireError, Question};

/// The discovery machine's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Nat64DiscoveryConfig {
    /// The resolvers to ask, in turn on timeout. At least one.
    pub resolvers: Vec<SocketAddr>,
    /// Run RFC 7050 §3.1's validation on each candidate. Default false.
    pub validate: bool,
    /// First retransmission timeout. Default 1 s.
    pub initial_timeout: Duration,
    /// Largest retransmission timeout. Default 64 s.
    pub max_timeout: Duration,
    /// Sends of one validation query before the candidate is given up.
    /// Default 3.
    pub validation_attempts: u32,
    /// Shortest time between two discoveries (a TTL of 0 must not make us
    /// loop). Default 10 s.
    pub min_refresh: Duration,
    /// Source ports (inclusive) drawn from the RNG. Default 1024..=65535.
    pub source_ports: (u16, u16),
    /// Prefixes taken from one answer at most (the first found, in answer
    /// order); bounds the validation queries a hostile answer can cause.
    /// Default 8.
    pub max_prefixes: usize,
}

impl Nat64DiscoveryConfig {
    /// Defaults as documented.
    pub fn new(resolvers: Vec<SocketAddr>) -> Nat64DiscoveryConfig {
        Nat64DiscoveryConfig {
            resolvers,
            validate: false,
            initial_timeout: Duration::from_secs(1),
            max_timeout: Duration::from_secs(64),
            validation_attempts: 3,
            min_refresh: Duration::from_secs(10),
            source_ports: (1024, 65535),
            max_prefixes: 8,
        }
    }
}

/// Why a [`Nat64DiscoveryConfig`] was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Nat64DiscoveryConfigError {
    /// No resolver.
    #[error("no resolver configured")]
    NoResolver,
    /// A zero timeout, attempt count or `max_prefixes`, or `max_timeout <
    /// initial_timeout`.
    #[error("timeouts and attempts must be positive, max_timeout >= initial_timeout")]
    BadTimers,
    /// The source port range is empty or starts at 0.
    #[error("source port range empty or starting at 0")]
    BadSourcePorts,
}

/// Where a query goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Nat64DiscoveryDestination {
    /// Index into [`Nat64DiscoveryConfig::resolvers`].
    pub index: usize,
    /// Its address.
    pub server: SocketAddr,
    /// The local UDP port to send from.
    pub source_port: u16,
}

/// Why an answer was dropped (state unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Nat64DiscoveryDropped {
    /// Not a parseable DNS message.
    #[error("malformed: {0}")]
    Malformed(Dns64WireError),
    /// No query in flight has this id, port and resolver.
    #[error("answer matches no query in flight")]
    NotOurs,
    /// The question is not the one asked.
    #[error("answer's question differs from the query's")]
    QuestionMismatch,
    /// A query, not an answer.
    #[error("not an answer")]
    Unexpected,
}

/// What the embedder acts on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Nat64DiscoveryEvent {
    /// A prefix is now in use.
    PrefixFound(Nat64Prefix),
    /// A prefix is no longer in use (TTL or PREF64 lifetime ended, or a
    /// newer answer or PREF64 replaced it).
    PrefixLost(Nat64Prefix),
}

/// Counters.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct Nat64DiscoveryCounters {
    /// Queries sent (retransmissions included).
    pub queries: u64,
    /// Retransmissions after a timeout.
    pub retransmissions: u64,
    /// Answers accepted.
    pub answers: u64,
    /// Accepted `ipv4only.arpa` answers without both well-known addresses.
    pub answers_without_prefix: u64,
    /// Candidates that failed §3.1 validation.
    pub validation_failures: u64,
    /// Drops: [`Nat64DiscoveryDropped::Malformed`].
    pub malformed: u64,
    /// Drops: [`Nat64DiscoveryDropped::NotOurs`].
    pub not_ours: u64,
    /// Drops: [`Nat64DiscoveryDropped::QuestionMismatch`].
    pub question_mismatch: u64,
    /// Drops: [`Nat64DiscoveryDropped::Unexpected`].
    pub unexpected: u64,
}

/// What a query in flight is for.
#[derive(Clone, Debug)]
enum Purpose {
    Discover,
    /// §3.1 step: PTR of `addr`, then AAAA of the name.
    ValidatePtr {
        prefix: Nat64Prefix,
        addr: Ipv6Addr,
    },
    ValidateAaaa {
        prefix: Nat64Prefix,
        addr: Ipv6Addr,
    },
}

#[derive(Clone, Debug)]
struct Pending {
    purpose: Purpose,
    question: Question,
    index: usize,
    sends: u32,
    timeout: Duration,
    deadline: Instant,
}

/// One discovery in progress: the candidates' validations outstanding.
#[derive(Clone, Debug, Default)]
struct Round {
    outstanding: usize,
    accepted: Vec<Nat64Prefix>,
    ttl: u32,
}

/// The RFC 7050 discovery machine.
#[derive(Debug)]
pub struct Nat64Discovery {
    config: Nat64DiscoveryConfig,
    rng: SeededRng,
    pending: BTreeMap<(u16, u16), Pending>,
    round: Option<Round>,
    /// The prefixes in use and when they end.
    prefixes: Vec<(Nat64Prefix, Instant)>,
    pref64: Option<(Nat64Prefix, Instant)>,
    /// When to discover again (none while a discovery runs or PREF64 rules).
    next_discovery: Option<Instant>,
    /// The backoff for the next failed round.
    retry: Duration,
    transmits: VecDeque<Transmit<Nat64DiscoveryDestination>>,
    events: VecDeque<Nat64DiscoveryEvent>,
    counters: Nat64DiscoveryCounters,
}

impl Nat64Discovery {
    /// A machine that sends its first query at `now`.
    pub fn new(
        config: Nat64DiscoveryConfig,
        rng: SeededRng,
        now: Instant,
    ) -> Result<Nat64Discovery, Nat64DiscoveryConfigError> {
        if config.resolvers.is_empty() {
            return Err(Nat64DiscoveryConfigError::NoResolver);
        }
        if config.initial_timeout.is_zero()
            || config.max_timeout < config.initial_timeout
            || config.validation_attempts == 0
            || config.max_prefixes == 0
        {
            return Err(Nat64DiscoveryConfigError::BadTimers);
        }
        if config.source_ports.0 == 0 || config.source_ports.0 > config.source_ports.1 {
            return Err(Nat64DiscoveryConfigError::BadSourcePorts);
        }
        let retry = config.initial_timeout;
        let mut d = Nat64Discovery {
            config,
            rng,
            pending: BTreeMap::new(),
            round: None,
            prefixes: Vec::new(),
            pref64: None,
            next_discovery: None,
            retry,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: Nat64DiscoveryCounters::default(),
        };
        d.start_discovery(now);
        Ok(d)
    }

    /// The prefixes in use now (PREF64's alone while it is valid).
    pub fn prefixes(&self) -> Vec<Nat64Prefix> {
        self.prefixes.iter().map(|(p, _)| *p).collect()
    }

    /// The counters.
    pub fn counters(&self) -> &Nat64DiscoveryCounters {
        &self.counters
    }

    /// A PREF64 option (RFC 8781) from a Router Advertisement: `prefix`
    /// for `lifetime`; a zero lifetime withdraws it. While valid it is the
    /// only prefix and DNS discovery pauses.
    pub fn set_pref64(&mut self, now: Instant, prefix: Nat64Prefix, lifetime: Duration) {
        if lifetime.is_zero() {
            if self.pref64.is_some_and(|(p, _)| p == prefix) {
                self.end_pref64(now);
            }
            return;
        }
        let until = now + lifetime;
        self.pref64 = Some((prefix, until));
        self.pending.clear();
        self.round = None;
        self.next_discovery = None;
        self.replace_prefixes(&[prefix], until);
    }

    fn end_pref64(&mut self, now: Instant) {
        self.pref64 = None;
        self.replace_prefixes(&[], now);
        self.retry = self.config.initial_timeout;
        self.start_discovery(now);
    }

    /// Sets the prefixes in use to `new`, valid until `until`, with events.
    fn replace_prefixes(&mut self, new: &[Nat64Prefix], until: Instant) {
        for (p, _) in &self.prefixes {
            if !new.contains(p) {
                self.events.push_back(Nat64DiscoveryEvent::PrefixLost(*p));
            }
        }
        for p in new {
            if !self.prefixes.iter().any(|(q, _)| q == p) {
                self.events.push_back(Nat64DiscoveryEvent::PrefixFound(*p));
            }
        }
        self.prefixes = new.iter().map(|p| (*p, until)).collect();
    }

    fn start_discovery(&mut self, now: Instant) {
        self.next_discovery = None;
        self.round = Some(Round::default());
        let question = Question {
            name: names::ipv4only_arpa(),
            qtype: Rtype::AAAA,
            qclass: Class::IN,
        };
        let p = Pending {
            purpose: Purpose::Discover,
            question,
            index: 0,
            sends: 0,
            timeout: self.config.initial_timeout,
            deadline: now,
        };
        self.send(now, p);
    }

    fn send(&mut self, now: Instant, mut p: Pending) {
        let (lo, hi) = self.config.source_ports;
        let key = loop {
            let id = self.rng.below(1 << 16) as u16;
            let port = lo + self.rng.below(u32::from(hi - lo) + 1) as u16;
            if !self.pending.contains_key(&(id, port)) {
                break (id, port);
            }
        };
        p.sends += 1;
        p.deadline = now + p.timeout;
        let server = self.config.resolvers[p.index];
        self.transmits.push_back(Transmit {
            destination: Nat64DiscoveryDestination {
                index: p.index,
                server,
                source_port: key.1,
            },
            payload: wire::query(key.0, &p.question, true, false, None),
        });
        self.counters.queries += 1;
        self.pending.insert(key, p);
    }

    /// An answer from `from`, received on `local_port`.
    pub fn handle_input(
        &mut self,
        now: Instant,
        from: SocketAddr,
        local_port: u16,
        datagram: &[u8],
    ) -> Result<(), Nat64DiscoveryDropped> {
        let r = self.input(now, from, local_port, datagram);
        if let Err(e) = r {
            let c = &mut self.counters;
            *match e {
                Nat64DiscoveryDropped::Malformed(_) => &mut c.malformed,
                Nat64DiscoveryDropped::NotOurs => &mut c.not_ours,
                Nat64DiscoveryDropped::QuestionMismatch => &mut c.question_mismatch,
                Nat64DiscoveryDropped::Unexpected => &mut c.unexpected,
            } += 1;
        }
        r
    }

    fn input(
        &mut self,
        now: Instant,
        from: SocketAddr,
        port: u16,
        datagram: &[u8],
    ) -> Result<(), Nat64DiscoveryDropped> {
        let (msg, question) = wire::parse(datagram).map_err(Nat64DiscoveryDropped::Malformed)?;
        if !msg.header().qr() {
            return Err(Nat64DiscoveryDropped::Unexpected);
        }
        let key = (msg.header().id(), port);
        let p = self
            .pending
            .get(&key)
            .ok_or(Nat64DiscoveryDropped::NotOurs)?;
        if self.config.resolvers[p.index] != from {
            return Err(Nat64DiscoveryDropped::NotOurs);
        }
        if !p.question.matches(&question) {
            return Err(Nat64DiscoveryDropped::QuestionMismatch);
        }
        let p = self.pending.remove(&key).expect("looked up above");
        self.counters.answers += 1;
        let ok = msg.header().rcode() == Rcode::NOERROR;
        let records: Vec<_> = if ok {
            wire::answers(&msg).collect()
        } else {
            Vec::new()
        };
        match p.purpose {
            Purpose::Discover => {
                let mut aaaa: Vec<(Ipv6Addr, u32)> = Vec::new();
                for r in &records {
                    if let AllRecordData::Aaaa(a) = r.data() {
                        aaaa.push((a.addr(), r.ttl().as_secs()));
                    }
                }
                self.discovered(now, &aaaa);
            }
            Purpose::ValidatePtr { prefix, addr } => {
                let name = records.iter().find_map(|r| match r.data() {
                    AllRecordData::Ptr(ptr) => Some(ptr.ptrdname().to_name::<Vec<u8>>()),
                    _ => None,
                });
                match name {
                    Some(name) => self.validation_query(
                        now,
                        Purpose::ValidateAaaa { prefix, addr },
                        name,
                        Rtype::AAAA,
                    ),
                    None => self.validated(now, prefix, false),
                }
            }
            Purpose::ValidateAaaa { prefix, addr } => {
                let found = records
                    .iter()
                    .any(|r| matches!(r.data(), AllRecordData::Aaaa(a) if a.addr() == addr));
                self.validated(now, prefix, found);
            }
        }
        Ok(())
    }

    /// The AAAA records of an `ipv4only.arpa` answer (address, TTL).
    fn discovered(&mut self, now: Instant, aaaa: &[(Ipv6Addr, u32)]) {
        let mut found: Vec<(Nat64Prefix, Ipv6Addr, u32)> = Vec::new();
        for &(addr, _) in aaaa {
            for len in PREFIX_LENGTHS {
                let Some(prefix) = Nat64Prefix::containing(addr, len) else {
                    continue;
                };
                if found.iter().any(|(p, _, _)| *p == prefix) {
                    continue;
                }
                // Both well-known addresses under this prefix must be there.
                let mut ttl = u32::MAX;
                let both = IPV4ONLY_ADDRESSES.iter().all(|&v4| {
                    let want = prefix.embed_unrestricted(v4);
                    aaaa.iter()
                        .find(|(a, _)| *a == want)
                        .map(|(_, t)| ttl = ttl.min(*t))
                        .is_some()
                });
                if both && found.len() < self.config.max_prefixes {
                    found.push((prefix, addr, ttl));
                }
            }
        }
        if found.is_empty() {
            self.counters.answers_without_prefix += 1;
            self.round = None;
            self.schedule_retry(now);
            return;
        }
        let ttl = found.iter().map(|f| f.2).min().unwrap_or(0);
        if !self.config.validate {
            let prefixes: Vec<_> = found.iter().map(|f| f.0).collect();
            self.commit(now, &prefixes, ttl);
            return;
        }
        self.round = Some(Round {
            outstanding: found.len(),
            accepted: Vec::new(),
            ttl,
        });
        for (prefix, addr, _) in found {
            let name = names::ip6_arpa_name(addr);
            self.validation_query(now, Purpose::ValidatePtr { prefix, addr }, name, Rtype::PTR);
        }
    }

    fn validation_query(
        &mut self,
        now: Instant,
        purpose: Purpose,
        name: Name<Vec<u8>>,
        qtype: Rtype,
    ) {
        let p = Pending {
            purpose,
            question: Question {
                name,
                qtype,
                qclass: Class::IN,
            },
            index: 0,
            sends: 0,
            timeout: self.config.initial_timeout,
            deadline: now,
        };
        self.send(now, p);
    }

    fn validated(&mut self, now: Instant, prefix: Nat64Prefix, ok: bool) {
        if !ok {
            self.counters.validation_failures += 1;
        }
        let Some(round) = self.round.as_mut() else {
            return;
        };
        if ok {
            round.accepted.push(prefix);
        }
        round.outstanding = round.outstanding.saturating_sub(1);
        if round.outstanding == 0 {
            let round = self.round.take().unwrap_or_default();
            if round.accepted.is_empty() {
                self.schedule_retry(now);
            } else {
                self.commit(now, &round.accepted, round.ttl);
            }
        }
    }

    fn commit(&mut self, now: Instant, prefixes: &[Nat64Prefix], ttl: u32) {
        self.round = None;
        let ttl = Duration::from_secs(u64::from(ttl));
        self.replace_prefixes(prefixes, now + ttl);
        self.retry = self.config.initial_timeout;
        let refresh = (ttl * 9 / 10).max(self.config.min_refresh);
        self.next_discovery = Some(now + refresh);
    }

    /// A round found nothing: try again after the backoff.
    fn schedule_retry(&mut self, now: Instant) {
        self.round = None;
        self.next_discovery = Some(now + self.retry.max(self.config.min_refresh));
        self.retry = (self.retry * 2).min(self.config.max_timeout);
    }

    /// Call when [`Nat64Discovery::poll_timeout`] has passed; harmless
    /// otherwise.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, until)) = self.pref64 {
            if until <= now {
                self.end_pref64(now);
            }
            return;
        }
        let expired: Vec<Nat64Prefix> = self
            .prefixes
            .iter()
            .filter(|(_, t)| *t <= now)
            .map(|(p, _)| *p)
            .collect();
        for p in expired {
            self.prefixes.retain(|(q, _)| *q != p);
            self.events.push_back(Nat64DiscoveryEvent::PrefixLost(p));
        }
        let due: Vec<(u16, u16)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            let Some(mut p) = self.pending.remove(&key) else {
                continue;
            };
            let validation = !matches!(p.purpose, Purpose::Discover);
            if validation && p.sends >= self.config.validation_attempts {
                let (Purpose::ValidatePtr { prefix, .. } | Purpose::ValidateAaaa { prefix, .. }) =
                    p.purpose
                else {
                    continue;
                };
                self.validated(now, prefix, false);
                continue;
            }
            self.counters.retransmissions += 1;
            p.index = (p.index + 1) % self.config.resolvers.len();
            p.timeout = (p.timeout * 2).min(self.config.max_timeout);
            self.send(now, p);
        }
        if self.next_discovery.is_some_and(|t| t <= now) && self.round.is_none() {
            self.start_discovery(now);
        }
    }

    /// The next query to send.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Nat64DiscoveryDestination>> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Nat64DiscoveryEvent> {
        self.events.pop_front()
    }

    /// When [`Nat64Discovery::handle_timeout`] is next due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if let Some((_, until)) = self.pref64 {
            return Some(until);
        }
        let pending = self.pending.values().map(|p| p.deadline);
        let expiry = self.prefixes.iter().map(|(_, t)| *t);
        pending.chain(expiry).chain(self.next_discovery).min()
    }
}
