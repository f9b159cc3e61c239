//! The DNS64 machine (RFC 6147): clients' queries in, upstream queries out,
//! upstream answers in, (synthesized) answers out.
//!
//! For a client the `clients` ACL admits, and unless it set CD (and
//! `break_dnssec` is off, §5.5):
//!
//! - an AAAA query goes upstream; an answer with AAAA records outside
//!   `::ffff:0:0/96` and the exclusions is passed on (excluded records
//!   removed); NXDOMAIN is passed on; an empty answer (NODATA), one whose
//!   records are all excluded, or (with `synthesize_on_error`) an RCODE other
//!   than NOERROR/NXDOMAIN, leads to an A query for the same name (§5.1.2,
//!   §5.1.4). Its A records allowed by `mapped`, embedded under each prefix,
//!   become the answer, after the A answer's CNAME/DNAME chain; TTL
//!   min(A TTL, the negative AAAA answer's TTL from its SOA, RFC 2308 §5:
//!   min(SOA TTL, SOA MINIMUM)), or min(A TTL, 600) without SOA (§5.1.7).
//!   No usable A record: the AAAA answer is passed on. AD is cleared and
//!   RRSIGs left out of a synthesized answer (§5.5: it cannot validate).
//! - a PTR query for a full `ip6.arpa` name under a prefix is answered with
//!   a CNAME to the embedded address's `in-addr.arpa` name followed by the
//!   upstream's answer for that name (§5.3.1).
//!
//! Clients outside `allow_query` get REFUSED. Local names
//! ([`Dns64::set_local_name`]) are answered from the table.
//! `ipv4only.arpa` is answered locally for every client (RFC 8880 §7.2):
//! A 192.0.0.170 and .171, AAAA those synthesized (for DNS64 clients),
//! NODATA for other types, NXDOMAIN below it. Everything else is forwarded
//! and the answer passed on with the client's id.
//!
//! Final answers are cached whole (see `cache.rs`; truncated ones are not):
//! a client query whose answer is cached is answered at once with the TTLs
//! counted down.
//!
//! Clients ask over UDP ([`Dns64Source::Client`]) or TCP
//! ([`Dns64Source::ClientTcp`], RFC 7766, on a connection the driver owns
//! and names by an id). An answer larger than a UDP client's size (512, or
//! its EDNS size up to 1232) goes out as header and question with TC, so
//! the client asks again over TCP, where it gets the whole answer.
//!
//! Upstream answers must come from the upstream the query went to, to the
//! source port it left from, with its id and question; anything else is
//! dropped and counted. Each upstream send draws a fresh id and source port
//! from the owned RNG. Unanswered after `upstream_timeout`, the query goes
//! to the next upstream, at most `attempts` sends; then the client gets
//! SERVFAIL (or, waiting for the A answer, the AAAA answer).
//!
//! # Drain order
//!
//! After each `handle_*` call, drain [`Dns64::poll_transmit`] then
//! [`Dns64::poll_event`] until each returns `None`, and read
//! [`Dns64::poll_timeout`] last.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};

use domain::base::Message;
use domain::base::iana::{Class, Rcode, Rtype};
use domain::rdata::AllRecordData;
use sansio_primitives::{Instant, SeededRng, Transmit};

use crate::cache::{Cache, CacheKey};
use crate::config::{Dns64Config, Dns64ConfigError};
use crate::local::{Dns64LocalNameError, LocalNames};
use crate::names;
use crate::wire::{self, Dns64WireError, Question, ReplyTo};

mod synth;

/// The key port of queries over TCP (UDP source ports are never 0).
const TCP_PORT: u16 = 0;

/// Where a datagram came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dns64Source {
    /// A client's query.
    Client(SocketAddr),
    /// A client's query over TCP (RFC 7766), the message without its
    /// two-octet length prefix.
    ClientTcp {
        /// The driver's id of the connection; answers go back on it.
        conn: u64,
        /// The client's address (for `allow_query` and `clients`).
        from: SocketAddr,
    },
    /// An upstream's answer, from `from`, received on our `local_port`.
    Upstream {
        /// The sender.
        from: SocketAddr,
        /// The local port it arrived on.
        local_port: u16,
    },
    /// An upstream's answer over TCP (the message without its two-octet
    /// length prefix, RFC 7766 §8), on a connection to `from`.
    UpstreamTcp {
        /// The server the connection goes to.
        from: SocketAddr,
    },
}

/// Where a datagram goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dns64Destination {
    /// An answer to a client.
    Client(SocketAddr),
    /// An answer on a client's TCP connection `conn` (from
    /// [`Dns64Source::ClientTcp`]); the driver adds the two-octet length
    /// prefix (RFC 7766 §8).
    ClientTcp {
        /// The driver's id of the connection.
        conn: u64,
    },
    /// A query to upstream `index` of the configuration.
    Upstream {
        /// Index into [`Dns64Config::upstreams`].
        index: usize,
        /// Its address.
        server: SocketAddr,
        /// The local UDP port to send from (drawn from the RNG).
        source_port: u16,
    },
    /// A query over TCP to upstream `index` (after a truncated UDP answer);
    /// the driver adds the two-octet length prefix (RFC 7766 §8).
    UpstreamTcp {
        /// Index into [`Dns64Config::upstreams`].
        index: usize,
        /// Its address.
        server: SocketAddr,
    },
}

/// Why a datagram was dropped (state unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dns64Dropped {
    /// Not a parseable DNS query/answer.
    #[error("malformed: {0}")]
    Malformed(Dns64WireError),
    /// An answer matching no query in flight (id, port or source).
    #[error("answer matches no query in flight")]
    NotOurs,
    /// An answer whose question is not the one asked.
    #[error("answer's question differs from the query's")]
    QuestionMismatch,
    /// An answer from a client or a query from an upstream.
    #[error("unexpected message direction")]
    Unexpected,
    /// `max_outstanding` queries already in flight.
    #[error("too many queries in flight")]
    TableFull,
}

/// Counters.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct Dns64Counters {
    /// Client queries accepted.
    pub client_queries: u64,
    /// Upstream answers accepted.
    pub upstream_answers: u64,
    /// Answers sent to clients.
    pub client_answers: u64,
    /// Queries sent upstream (retransmissions included).
    pub upstream_queries: u64,
    /// Answers with synthesized AAAA records (or PTR CNAMEs).
    pub synthesized: u64,
    /// Answers made locally (`ipv4only.arpa`).
    pub local_answers: u64,
    /// SERVFAILs after every attempt timed out.
    pub servfail: u64,
    /// Client queries answered from the cache.
    pub cache_hits: u64,
    /// Client queries refused by `allow_query`.
    pub refused: u64,
    /// Upstream queries asked again over TCP after a truncated answer.
    pub tcp_retries: u64,
    /// Drops: [`Dns64Dropped::Malformed`].
    pub malformed: u64,
    /// Drops: [`Dns64Dropped::NotOurs`].
    pub not_ours: u64,
    /// Drops: [`Dns64Dropped::QuestionMismatch`].
    pub question_mismatch: u64,
    /// Drops: [`Dns64Dropped::Unexpected`].
    pub unexpected: u64,
    /// Drops: [`Dns64Dropped::TableFull`].
    pub table_full: u64,
}

/// What the embedder may want to know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dns64Event {
    /// Upstream `index` did not answer in time.
    UpstreamSilent {
        /// Index into [`Dns64Config::upstreams`].
        index: usize,
    },
}

/// What a query in flight is waiting for.
#[derive(Clone, Debug)]
enum Stage {
    /// Any answer is passed on.
    Forward,
    /// The AAAA answer decides.
    Aaaa,
    /// The A answer after an empty AAAA answer (kept to fall back on).
    A { aaaa: Vec<u8> },
    /// The in-addr.arpa PTR answer for an ip6.arpa query under a prefix.
    Ptr,
}

/// Where a client's answer goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ClientTo {
    Udp(SocketAddr),
    Tcp(u64),
}

impl ClientTo {
    /// The largest answer it takes: the UDP size, or a whole message over
    /// TCP (RFC 7766 §8).
    fn limit(self, edns: Option<wire::Edns>) -> usize {
        match self {
            ClientTo::Udp(_) => wire::reply_limit(edns),
            ClientTo::Tcp(_) => usize::from(u16::MAX),
        }
    }
}

/// One client query in flight and its current upstream query.
#[derive(Clone, Debug)]
struct Query {
    key: CacheKey,
    /// Upstream queries go over TCP (a UDP answer was truncated).
    tcp: bool,
    client: ClientTo,
    reply: ReplyTo,
    question: Question,
    stage: Stage,
    upstream: Question,
    index: usize,
    /// Where the current upstream query went (the upstreams may change
    /// while it is in flight, [`Dns64::set_upstreams`]).
    server: SocketAddr,
    sends: u32,
    deadline: Instant,
    bytes: Vec<u8>,
}

/// `bytes` if it fits where it goes, else (only over UDP) the header and
/// question with TC: the client asks again over TCP (RFC 7766 §6.2.1).
fn fit(to: ClientTo, reply: ReplyTo, question: &Question, bytes: Vec<u8>) -> Vec<u8> {
    if bytes.len() <= to.limit(reply.edns) {
        return bytes;
    }
    match Message::from_octets(&bytes[..]) {
        Ok(m) => {
            let h = m.header();
            wire::truncated(reply, question, h.rcode(), h.ra())
        }
        Err(_) => bytes,
    }
}

/// The DNS64 machine.
#[derive(Debug)]
pub struct Dns64 {
    config: Dns64Config,
    rng: SeededRng,
    /// Keyed by (upstream query id, source port).
    inflight: BTreeMap<(u16, u16), Query>,
    transmits: VecDeque<Transmit<Dns64Destination>>,
    events: VecDeque<Dns64Event>,
    counters: Dns64Counters,
    cache: Cache,
    local: LocalNames,
}

impl Dns64 {
    /// A machine with a validated configuration. `now` is unused: nothing
    /// is scheduled before the first query.
    pub fn new(
        config: Dns64Config,
        rng: SeededRng,
        _now: Instant,
    ) -> Result<Dns64, Dns64ConfigError> {
        config.validate()?;
        Ok(Dns64 {
            cache: Cache::new(config.cache_entries),
            local: LocalNames::default(),
            config,
            rng,
            inflight: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: Dns64Counters::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Dns64Config {
        &self.config
    }

    /// The counters.
    pub fn counters(&self) -> &Dns64Counters {
        &self.counters
    }

    /// Client queries in flight.
    pub fn outstanding(&self) -> usize {
        self.inflight.len()
    }

    /// Answers `name` (A, AAAA from `addrs`) and the PTR of each address
    /// locally, replacing what `name` had; at most `max_local_names` names.
    pub fn set_local_name(
        &mut self,
        _now: Instant,
        name: &str,
        addrs: Vec<IpAddr>,
    ) -> Result<(), Dns64LocalNameError> {
        self.local.set(name, addrs, self.config.max_local_names)
    }

    /// Stops answering `name` locally; whether it was there.
    pub fn remove_local_name(&mut self, _now: Instant, name: &str) -> bool {
        self.local.remove(name)
    }

    /// Replaces the whole local names table with `names` (each as
    /// [`Dns64::set_local_name`]); on an error (a bad name, more than
    /// `max_local_names`) the table is left as it was.
    pub fn set_local_names<'a>(
        &mut self,
        _now: Instant,
        names: impl IntoIterator<Item = (&'a str, Vec<IpAddr>)>,
    ) -> Result<(), Dns64LocalNameError> {
        let mut table = LocalNames::default();
        for (name, addrs) in names {
            table.set(name, addrs, self.config.max_local_names)?;
        }
        self.local = table;
        Ok(())
    }

    /// Replaces the upstream resolvers (say when the WAN's DNS servers
    /// change). Queries in flight keep waiting for the server they were
    /// sent to; their next send goes to the new list. With an empty list
    /// forwarded queries get SERVFAIL at once.
    pub fn set_upstreams(&mut self, _now: Instant, upstreams: Vec<SocketAddr>) {
        self.config.upstreams = upstreams;
    }

    /// Local names in the table.
    pub fn local_names(&self) -> usize {
        self.local.len()
    }

    /// Answers in the cache (expired ones included until evicted).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// A received datagram.
    pub fn handle_input(
        &mut self,
        now: Instant,
        source: Dns64Source,
        datagram: &[u8],
    ) -> Result<(), Dns64Dropped> {
        let r = match source {
            Dns64Source::Client(c) => self.client_query(now, c, ClientTo::Udp(c), datagram),
            Dns64Source::ClientTcp { conn, from } => {
                self.client_query(now, from, ClientTo::Tcp(conn), datagram)
            }
            Dns64Source::UpstreamTcp { from } => {
                self.upstream_answer(now, from, TCP_PORT, datagram)
            }
            Dns64Source::Upstream { from, local_port } => {
                self.upstream_answer(now, from, local_port, datagram)
            }
        };
        if let Err(e) = r {
            let c = &mut self.counters;
            *match e {
                Dns64Dropped::Malformed(_) => &mut c.malformed,
                Dns64Dropped::NotOurs => &mut c.not_ours,
                Dns64Dropped::QuestionMismatch => &mut c.question_mismatch,
                Dns64Dropped::Unexpected => &mut c.unexpected,
                Dns64Dropped::TableFull => &mut c.table_full,
            } += 1;
        }
        r
    }

    fn client_query(
        &mut self,
        now: Instant,
        client: SocketAddr,
        to: ClientTo,
        datagram: &[u8],
    ) -> Result<(), Dns64Dropped> {
        let (msg, question) = wire::parse(datagram).map_err(Dns64Dropped::Malformed)?;
        let h = msg.header();
        if h.qr() {
            return Err(Dns64Dropped::Unexpected);
        }
        let reply = ReplyTo {
            id: h.id(),
            rd: h.rd(),
            cd: h.cd(),
            edns: wire::edns(&msg),
        };
        if !self.config.allow_query.matches(client.ip()) {
            // BIND's allow-query: refused, not silently dropped, so the
            // client moves on to another server at once.
            let b = wire::reply_builder(reply, &question, Rcode::REFUSED, false);
            let bytes = wire::finish(b.additional(), reply.edns);
            self.counters.refused += 1;
            self.send_client(to, bytes);
            return Ok(());
        }
        let dns64 = self.config.clients.matches(client.ip());
        if self.config.answer_ipv4only_arpa
            && let Some(depth) = names::ipv4only_depth(&question.name)
        {
            let bytes = self.ipv4only_answer(reply, &question, depth, dns64);
            self.counters.client_queries += 1;
            self.counters.local_answers += 1;
            self.send_client(to, bytes);
            return Ok(());
        }
        if let Some(bytes) = self
            .local
            .answer(reply, &question, self.config.local_name_ttl)
        {
            self.counters.client_queries += 1;
            self.counters.local_answers += 1;
            self.send_client(to, bytes);
            return Ok(());
        }
        let synthesis =
            dns64 && question.qclass == Class::IN && (!reply.cd || self.config.break_dnssec);
        let key = CacheKey::new(&question, &reply, synthesis);
        if let Some(mut bytes) = self.cache.get(&key, now) {
            bytes[..2].copy_from_slice(&reply.id.to_be_bytes());
            self.counters.client_queries += 1;
            self.counters.cache_hits += 1;
            let bytes = fit(to, reply, &question, bytes);
            self.send_client(to, bytes);
            return Ok(());
        }
        if self.inflight.len() >= self.config.max_outstanding {
            return Err(Dns64Dropped::TableFull);
        }
        let (stage, upstream) = match question.qtype {
            Rtype::AAAA if synthesis => (Stage::Aaaa, question.clone()),
            Rtype::PTR if synthesis => match self.ptr_target(&question) {
                Some(target) => (
                    Stage::Ptr,
                    Question {
                        name: target,
                        qtype: Rtype::PTR,
                        qclass: Class::IN,
                    },
                ),
                None => (Stage::Forward, question.clone()),
            },
            _ => (Stage::Forward, question.clone()),
        };
        self.counters.client_queries += 1;
        let q = Query {
            key,
            tcp: false,
            client: to,
            reply,
            question,
            stage,
            upstream,
            index: 0,
            // Set by send_upstream.
            server: SocketAddr::from(([0, 0, 0, 0], 0)),
            sends: 0,
            deadline: now,
            bytes: Vec::new(),
        };
        self.send_upstream(now, q, 0);
        Ok(())
    }

    /// The in-addr.arpa name for an ip6.arpa name under one of our prefixes.
    fn ptr_target(&self, q: &Question) -> Option<domain::base::Name<Vec<u8>>> {
        let a = names::ip6_arpa_address(&q.name)?;
        let v4 = self
            .config
            .prefixes
            .iter()
            .find_map(|p| p.extract_unrestricted(a).ok())?;
        Some(names::in_addr_arpa_name(v4))
    }

    /// Sends `q.upstream` to upstream `index` with a fresh id and port.
    fn send_upstream(&mut self, now: Instant, mut q: Query, index: usize) {
        if self.config.upstreams.is_empty() {
            // None known yet (the WAN is not up): no point waiting.
            self.give_up(now, q);
            return;
        }
        // The list may have shrunk since `index` was chosen.
        let index = index % self.config.upstreams.len();
        let (lo, hi) = self.config.source_ports;
        let key = loop {
            let id = self.rng.below(1 << 16) as u16;
            let port = if q.tcp {
                TCP_PORT
            } else {
                lo + self.rng.below(u32::from(hi - lo) + 1) as u16
            };
            if !self.inflight.contains_key(&(id, port)) {
                break (id, port);
            }
        };
        q.index = index;
        q.sends += 1;
        q.deadline = now + self.config.upstream_timeout;
        let edns = q.reply.edns;
        q.bytes = wire::query(key.0, &q.upstream, q.reply.rd, q.reply.cd, edns);
        let server = self.config.upstreams[index];
        q.server = server;
        let destination = if q.tcp {
            Dns64Destination::UpstreamTcp { index, server }
        } else {
            Dns64Destination::Upstream {
                index,
                server,
                source_port: key.1,
            }
        };
        self.transmits.push_back(Transmit {
            destination,
            payload: q.bytes.clone(),
        });
        self.counters.upstream_queries += 1;
        self.inflight.insert(key, q);
    }

    /// The final answer to a query: cached, then sent.
    fn answer(&mut self, now: Instant, q: &Query, bytes: Vec<u8>) {
        // The whole answer is cached, never a truncated one (RFC 2181 §9):
        // the client's retry over TCP then comes from the cache.
        if bytes.get(2).is_some_and(|f| f & 0x02 == 0) {
            self.cache.insert(q.key.clone(), &bytes, now);
        }
        let bytes = fit(q.client, q.reply, &q.question, bytes);
        self.send_client(q.client, bytes);
    }

    fn send_client(&mut self, to: ClientTo, payload: Vec<u8>) {
        self.counters.client_answers += 1;
        let destination = match to {
            ClientTo::Udp(a) => Dns64Destination::Client(a),
            ClientTo::Tcp(conn) => Dns64Destination::ClientTcp { conn },
        };
        self.transmits.push_back(Transmit {
            destination,
            payload,
        });
    }

    fn upstream_answer(
        &mut self,
        now: Instant,
        from: SocketAddr,
        port: u16,
        datagram: &[u8],
    ) -> Result<(), Dns64Dropped> {
        let (msg, question) = wire::parse(datagram).map_err(Dns64Dropped::Malformed)?;
        if !msg.header().qr() {
            return Err(Dns64Dropped::Unexpected);
        }
        let key = (msg.header().id(), port);
        let q = self.inflight.get(&key).ok_or(Dns64Dropped::NotOurs)?;
        if q.server != from {
            return Err(Dns64Dropped::NotOurs);
        }
        if !q.upstream.matches(&question) {
            return Err(Dns64Dropped::QuestionMismatch);
        }
        // Accepted: from here on the state changes.
        let mut q = self.inflight.remove(&key).expect("looked up above");
        self.counters.upstream_answers += 1;
        let h = msg.header();
        match q.stage {
            _ if h.tc() && !q.tcp && self.config.tcp_on_truncation => {
                // RFC 7766 §6.2.1: ask again over TCP, same upstream.
                q.tcp = true;
                q.sends = 0;
                let index = q.index;
                self.counters.tcp_retries += 1;
                self.send_upstream(now, q, index);
            }
            Stage::Forward => self.pass_on(now, &q, datagram),
            Stage::Aaaa if h.tc() => self.pass_on(now, &q, datagram),
            Stage::Aaaa => self.aaaa_answer(now, q, &msg, datagram),
            Stage::A { ref aaaa } => {
                let aaaa = aaaa.clone();
                match self.synthesize(&q, &aaaa, &msg) {
                    Some(bytes) => {
                        self.counters.synthesized += 1;
                        self.answer(now, &q, bytes);
                    }
                    None => self.pass_on(now, &q, &aaaa),
                }
            }
            Stage::Ptr => {
                let bytes = self.ptr_answer(&q, &msg);
                self.counters.synthesized += 1;
                self.answer(now, &q, bytes);
            }
        }
        Ok(())
    }

    /// An upstream answer to the client as it is, with the client's id.
    fn pass_on(&mut self, now: Instant, q: &Query, datagram: &[u8]) {
        let mut bytes = datagram.to_vec();
        bytes[..2].copy_from_slice(&q.reply.id.to_be_bytes());
        self.answer(now, q, bytes);
    }

    fn aaaa_answer(&mut self, now: Instant, mut q: Query, msg: &Message<&[u8]>, datagram: &[u8]) {
        let rcode = msg.header().rcode();
        let empty = if rcode == Rcode::NOERROR {
            let mut kept = 0;
            let mut excluded = 0;
            for r in wire::answers(msg) {
                if let AllRecordData::Aaaa(a) = r.data() {
                    if self.config.is_excluded(a.addr()) {
                        excluded += 1;
                    } else {
                        kept += 1;
                    }
                }
            }
            if kept > 0 && excluded > 0 {
                let bytes = self.without_excluded(&q, msg);
                self.answer(now, &q, bytes);
                return;
            }
            kept == 0
        } else {
            rcode != Rcode::NXDOMAIN && self.config.synthesize_on_error
        };
        if !empty {
            self.pass_on(now, &q, datagram);
            return;
        }
        q.stage = Stage::A {
            aaaa: datagram.to_vec(),
        };
        q.upstream.qtype = Rtype::A;
        q.sends = 0;
        let index = q.index;
        self.send_upstream(now, q, index);
    }

    /// Call when [`Dns64::poll_timeout`] has passed; harmless otherwise.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<(u16, u16)> = self
            .inflight
            .iter()
            .filter(|(_, q)| q.deadline <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            let Some(q) = self.inflight.remove(&key) else {
                continue;
            };
            self.events
                .push_back(Dns64Event::UpstreamSilent { index: q.index });
            if q.sends < self.config.attempts {
                let next = q.index + 1;
                self.send_upstream(now, q, next);
                continue;
            }
            self.give_up(now, q);
        }
    }

    /// No answer to come: the client gets the AAAA answer kept (waiting for
    /// the A answer) or SERVFAIL.
    fn give_up(&mut self, now: Instant, q: Query) {
        match &q.stage {
            Stage::A { aaaa } => {
                let aaaa = aaaa.clone();
                self.pass_on(now, &q, &aaaa);
            }
            _ => {
                self.counters.servfail += 1;
                let b = wire::reply_builder(q.reply, &q.question, Rcode::SERVFAIL, true);
                let bytes = wire::finish(b.additional(), q.reply.edns);
                self.send_client(q.client, bytes);
            }
        }
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Dns64Destination>> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Dns64Event> {
        self.events.pop_front()
    }

    /// When [`Dns64::handle_timeout`] is next due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.inflight.values().map(|q| q.deadline).min()
    }
}
