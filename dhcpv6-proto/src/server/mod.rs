//! The delegating router: the DHCPv6 server machine for prefix delegation
//! (RFC 8415 §18.3, §19 for relays).
//!
//! Prefixes come from, in order: the prefix the embedder passes with the
//! input (RADIUS Delegated-IPv6-Prefix, RFC 4818), a static delegation by
//! DUID or by client link, the prefix Advertised to the client while no
//! other client holds it, the client's remembered binding (bound or
//! released: the same DUID+IAID gets the same prefix back, across
//! reconnects and, through the store, restarts), the client's hint when it
//! is free in a pool, then a slot chosen by a hash of DUID+IAID with linear
//! probing. IA_NA is answered with NoAddrsAvail (no address pools).
//!
//! # Drain order and durability
//!
//! After each [`Dhcpv6Server::handle_input`] or
//! [`Dhcpv6Server::handle_timeout`]:
//!
//! 1. write [`Dhcpv6Server::pending_bindings`] to the [`BindingStore`] and
//!    call [`Dhcpv6Server::commit`] (or [`Dhcpv6Server::commit_to`], which
//!    does both and [`Dhcpv6Server::abort`]s when the write fails): until
//!    then the Replies that depend on them are held, so no Reply leaves
//!    before its binding is durable;
//! 2. drain [`Dhcpv6Server::poll_transmit`], then
//!    [`Dhcpv6Server::poll_event`], until each returns `None`;
//! 3. read [`Dhcpv6Server::poll_timeout`] last.
//!
//! Several inputs may be handled before one commit (group commit). Replies
//! that depend on nothing durable (Advertise, Information-Request,
//! Confirm, Decline) are ready at once: a driver may drain
//! `poll_transmit` before the write as well, so they do not wait for the
//! fsync.

mod handle;
mod pool;

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::{Duration, Instant, Transmit};

use crate::store::{BindingStore, Dhcpv6BindingState, Dhcpv6DelegationRecord};
use crate::wire::{self, DomainName, Duid, NtpSuboption};

pub use pool::{Dhcpv6PrefixPool, MAX_POOL_SLOTS};
pub(crate) use pool::{fnv1a, mask};

/// Who a static delegation is for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Dhcpv6StaticKey {
    /// A client DUID (its first IA_PD in a message; others come from the
    /// pools).
    Duid(Duid),
    /// A client link id (as passed in [`Dhcpv6ServerSource::link`]); the
    /// first IA_PD of a message from that link.
    Link(u64),
}

/// A prefix always delegated to one client.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv6StaticDelegation {
    /// Who gets it.
    pub key: Dhcpv6StaticKey,
    /// The prefix.
    pub prefix: Ipv6Addr,
    /// Its length.
    pub prefix_len: u8,
}

/// The server's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv6ServerConfig {
    /// Our DUID (Server Identifier).
    pub duid: Duid,
    /// The pools.
    pub pools: Vec<Dhcpv6PrefixPool>,
    /// Static delegations.
    pub statics: Vec<Dhcpv6StaticDelegation>,
    /// Preferred lifetime given, seconds. Default 3600.
    pub preferred: u32,
    /// Valid lifetime given, seconds. Default 7200.
    pub valid: u32,
    /// T1 given, seconds. Default 1800 (0.5 × preferred).
    pub t1: u32,
    /// T2 given, seconds. Default 2880 (0.8 × preferred).
    pub t2: u32,
    /// The Preference option in Advertise (omitted when 0). Default 0.
    pub preference: u8,
    /// Honour Rapid Commit. Default true.
    pub rapid_commit: bool,
    /// DNS servers (sent when asked for in ORO).
    pub dns_servers: Vec<Ipv6Addr>,
    /// Domain search list (sent when asked for).
    pub domain_list: Vec<DomainName>,
    /// NTP servers (sent when asked for).
    pub ntp_servers: Vec<NtpSuboption>,
    /// AFTR-Name (sent when asked for).
    pub aftr_name: Option<DomainName>,
    /// On-link prefixes for Confirm; empty: Confirm is not answered
    /// (§18.3.3: the server cannot tell).
    pub on_link: Vec<(Ipv6Addr, u8)>,
    /// Bound on binding records (bound and remembered). Default 65536.
    pub max_bindings: usize,
    /// Bound on outstanding Advertises. Default 1024.
    pub max_advertised: usize,
    /// How long an advertised prefix stays reserved. Default 30 s.
    pub advertise_hold: Duration,
    /// Bound on Replies and changes held for a commit. Default 1024.
    pub max_uncommitted: usize,
}

impl Dhcpv6ServerConfig {
    /// Defaults as documented on each field.
    pub fn new(duid: Duid, pools: Vec<Dhcpv6PrefixPool>) -> Dhcpv6ServerConfig {
        Dhcpv6ServerConfig {
            duid,
            pools,
            statics: Vec::new(),
            preferred: 3600,
            valid: 7200,
            t1: 1800,
            t2: 2880,
            preference: 0,
            rapid_commit: true,
            dns_servers: Vec::new(),
            domain_list: Vec::new(),
            ntp_servers: Vec::new(),
            aftr_name: None,
            on_link: Vec::new(),
            max_bindings: 65536,
            max_advertised: 1024,
            advertise_hold: Duration::from_secs(30),
            max_uncommitted: 1024,
        }
    }
}

/// A configuration the server refuses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv6ServerConfigError {
    /// A pool's lengths are inconsistent, its prefix has host bits set, or
    /// it holds more than [`MAX_POOL_SLOTS`] prefixes.
    #[error("pool {index} is invalid")]
    BadPool {
        /// Its index in `pools`.
        index: usize,
    },
    /// A static delegation's length is above 128.
    #[error("static delegation {index} is invalid")]
    BadStatic {
        /// Its index in `statics`.
        index: usize,
    },
    /// preferred > valid, or T1 > T2.
    #[error("lifetimes or T1/T2 inconsistent")]
    BadLifetimes,
    /// A bound is zero.
    #[error("a bound is zero")]
    ZeroBound,
}

/// Where a message came from, and what the embedder knows about it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Dhcpv6ServerSource {
    /// The source address (the client's link-local, or a relay).
    pub address: Ipv6Addr,
    /// The source port (546 from a client, 547 from a relay).
    pub port: u16,
    /// The interface it arrived on.
    pub interface: u32,
    /// The client link (for bng: the PPP session), if the embedder has one.
    pub link: Option<u64>,
    /// A prefix to delegate to this client whatever else (RADIUS
    /// Delegated-IPv6-Prefix).
    pub delegated_prefix: Option<(Ipv6Addr, u8)>,
}

impl Dhcpv6ServerSource {
    /// A client message from `address` (port 546) on `interface`.
    pub fn new(address: Ipv6Addr, interface: u32) -> Dhcpv6ServerSource {
        Dhcpv6ServerSource {
            address,
            port: wire::CLIENT_PORT,
            interface,
            link: None,
            delegated_prefix: None,
        }
    }
}

/// Where a reply goes: back to the source it answers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Dhcpv6ServerDestination {
    /// The address.
    pub address: Ipv6Addr,
    /// The port (546 to a client, 547 to a relay).
    pub port: u16,
    /// The interface.
    pub interface: u32,
    /// The client link the request came from.
    pub link: Option<u64>,
}

/// Why an input was dropped (counted; state unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv6ServerDropped {
    /// Did not parse.
    #[error("malformed: {0}")]
    Malformed(wire::Error),
    /// A message a server does not take (Advertise, Reply, Relay-Repl...).
    #[error("not a client message")]
    NotRequest,
    /// For another server (Server Identifier not ours), or a Confirm we
    /// cannot judge.
    #[error("not for us")]
    NotOurs,
    /// Breaks RFC 8415 §16 (no Client Identifier, a Server Identifier where
    /// none may be, a relay message without a relayed message).
    #[error("invalid (RFC 8415 §16)")]
    Invalid,
    /// `max_advertised` or `max_bindings` reached.
    #[error("table full")]
    TableFull,
    /// Too many Replies wait for a commit.
    #[error("backlog of uncommitted replies full")]
    Backlogged,
}

/// What happened, for the application (routes, logs, accounting).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Dhcpv6ServerEvent {
    /// A prefix was delegated or extended (its Reply leaves on commit):
    /// route it to the client.
    Delegated(Dhcpv6DelegationRecord),
    /// A client released its prefix.
    Released(Dhcpv6DelegationRecord),
    /// A delegation's valid lifetime ended.
    Expired(Dhcpv6DelegationRecord),
    /// An IA_PD got NoPrefixAvail.
    NoPrefixAvail {
        /// The client.
        duid: Duid,
        /// The IAID.
        iaid: u32,
    },
}

/// Counters.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Dhcpv6ServerCounters {
    /// Datagrams handed to `handle_input`.
    pub received: u64,
    /// Datagrams handed out by `poll_transmit`.
    pub transmitted: u64,
    /// Dropped: malformed.
    pub malformed: u64,
    /// Dropped: not a client message.
    pub not_request: u64,
    /// Dropped: not ours.
    pub not_ours: u64,
    /// Dropped: invalid.
    pub invalid: u64,
    /// Dropped: table full.
    pub table_full: u64,
    /// Dropped: backlogged.
    pub backlogged: u64,
    /// Advertises sent.
    pub advertises: u64,
    /// Replies queued.
    pub replies: u64,
    /// IA_PDs answered NoPrefixAvail.
    pub no_prefix_avail: u64,
}

impl Dhcpv6ServerCounters {
    fn count(&mut self, d: Dhcpv6ServerDropped) {
        use Dhcpv6ServerDropped as D;
        *match d {
            D::Malformed(_) => &mut self.malformed,
            D::NotRequest => &mut self.not_request,
            D::NotOurs => &mut self.not_ours,
            D::Invalid => &mut self.invalid,
            D::TableFull => &mut self.table_full,
            D::Backlogged => &mut self.backlogged,
        } += 1;
    }
}

/// A prefix advertised and not yet requested.
#[derive(Clone, Debug)]
struct Offer {
    prefix: u128,
    len: u8,
    expires: Instant,
}

type Key = (Duid, u32);

/// Bound on queued events; the oldest is dropped past it.
const MAX_EVENTS: usize = 1024;

/// The DHCPv6 delegating server. See the [module docs](self).
#[derive(Debug)]
pub struct Dhcpv6Server {
    cfg: Dhcpv6ServerConfig,
    bindings: BTreeMap<Key, Dhcpv6DelegationRecord>,
    /// Who holds (or last held) each prefix.
    by_prefix: BTreeMap<(u128, u8), Key>,
    /// When each bound record's valid lifetime ends.
    expiry: BTreeSet<(Instant, Key)>,
    offers: BTreeMap<Key, Offer>,
    /// Which client each advertised prefix is reserved for.
    offered: BTreeMap<(u128, u8), Key>,
    pending: Vec<Dhcpv6DelegationRecord>,
    held: VecDeque<Transmit<Dhcpv6ServerDestination>>,
    ready: VecDeque<Transmit<Dhcpv6ServerDestination>>,
    events: VecDeque<Dhcpv6ServerEvent>,
    counters: Dhcpv6ServerCounters,
    now: Instant,
}

impl Dhcpv6Server {
    /// A server with no bindings; restore stored ones with
    /// [`Dhcpv6Server::restore`].
    pub fn new(
        cfg: Dhcpv6ServerConfig,
        now: Instant,
    ) -> Result<Dhcpv6Server, Dhcpv6ServerConfigError> {
        if cfg.max_bindings == 0 || cfg.max_advertised == 0 || cfg.max_uncommitted == 0 {
            return Err(Dhcpv6ServerConfigError::ZeroBound);
        }
        if cfg.preferred > cfg.valid || (cfg.t2 > 0 && cfg.t1 > cfg.t2) {
            return Err(Dhcpv6ServerConfigError::BadLifetimes);
        }
        if let Some(index) = cfg.pools.iter().position(|p| !p.valid()) {
            return Err(Dhcpv6ServerConfigError::BadPool { index });
        }
        if let Some(index) = cfg.statics.iter().position(|s| s.prefix_len > 128) {
            return Err(Dhcpv6ServerConfigError::BadStatic { index });
        }
        Ok(Dhcpv6Server {
            cfg,
            bindings: BTreeMap::new(),
            by_prefix: BTreeMap::new(),
            expiry: BTreeSet::new(),
            offers: BTreeMap::new(),
            offered: BTreeMap::new(),
            pending: Vec::new(),
            held: VecDeque::new(),
            ready: VecDeque::new(),
            events: VecDeque::new(),
            counters: Dhcpv6ServerCounters::default(),
            now,
        })
    }

    /// Loads stored records (from [`BindingStore::load`]); returns how many
    /// were ignored (past `max_bindings`).
    pub fn restore(&mut self, records: impl IntoIterator<Item = Dhcpv6DelegationRecord>) -> usize {
        let mut ignored = 0;
        for r in records {
            let key = (r.duid.clone(), r.iaid);
            if self.bindings.len() >= self.cfg.max_bindings && !self.bindings.contains_key(&key) {
                ignored += 1;
                continue;
            }
            self.insert(r);
        }
        ignored
    }

    /// Adds or replaces the record of its DUID+IAID, keeping the prefix
    /// and expiry indexes in step.
    fn insert(&mut self, r: Dhcpv6DelegationRecord) {
        let key = (r.duid.clone(), r.iaid);
        self.remove_binding(&key);
        let pk = (u128::from(r.prefix), r.prefix_len);
        if let Some(other) = self.by_prefix.get(&pk).cloned() {
            // Another client's record for this prefix (a RADIUS prefix
            // moved, say): it no longer holds it.
            self.remove_binding(&other);
        }
        self.by_prefix.insert(pk, key.clone());
        if r.state == Dhcpv6BindingState::Bound {
            self.expiry.insert((r.expires, key.clone()));
        }
        self.bindings.insert(key, r);
    }

    pub(super) fn remove_binding(&mut self, key: &Key) -> Option<Dhcpv6DelegationRecord> {
        let old = self.bindings.remove(key)?;
        let pk = (u128::from(old.prefix), old.prefix_len);
        if self.by_prefix.get(&pk) == Some(key) {
            self.by_prefix.remove(&pk);
        }
        self.expiry.remove(&(old.expires, key.clone()));
        Some(old)
    }

    /// The configuration.
    pub fn config(&self) -> &Dhcpv6ServerConfig {
        &self.cfg
    }

    /// The counters.
    pub fn counters(&self) -> &Dhcpv6ServerCounters {
        &self.counters
    }

    /// Every binding record.
    pub fn bindings(&self) -> impl Iterator<Item = &Dhcpv6DelegationRecord> {
        self.bindings.values()
    }

    /// The record of a DUID+IAID.
    pub fn binding(&self, duid: &Duid, iaid: u32) -> Option<&Dhcpv6DelegationRecord> {
        self.bindings.get(&(duid.clone(), iaid))
    }

    /// Outstanding Advertises.
    pub fn advertised_count(&self) -> usize {
        self.offers.len()
    }

    /// Binding changes not yet committed, oldest first.
    pub fn pending_bindings(&self) -> &[Dhcpv6DelegationRecord] {
        &self.pending
    }

    /// Declares [`Dhcpv6Server::pending_bindings`] durable and releases the
    /// Replies held for them.
    pub fn commit(&mut self) {
        self.pending.clear();
        self.ready.extend(self.held.drain(..));
    }

    /// Declares the pending write failed: the held Replies are dropped (the
    /// clients retransmit; the in-memory bindings stay, so no prefix is
    /// given twice).
    pub fn abort(&mut self) {
        self.pending.clear();
        self.held.clear();
    }

    /// Persists the pending changes to `store` and commits, or aborts when
    /// the store fails.
    pub fn commit_to<S: BindingStore>(&mut self, store: &mut S) -> Result<(), S::Error> {
        if self.pending.is_empty() {
            self.commit();
            return Ok(());
        }
        match store.persist(&self.pending) {
            Ok(()) => {
                self.commit();
                Ok(())
            }
            Err(e) => {
                self.abort();
                Err(e)
            }
        }
    }

    /// Handles one datagram received on port 547.
    pub fn handle_input(
        &mut self,
        now: Instant,
        source: Dhcpv6ServerSource,
        datagram: &[u8],
    ) -> Result<(), Dhcpv6ServerDropped> {
        self.now = self.now.max(now);
        self.counters.received += 1;
        let r = self.dispatch(source, datagram);
        if let Err(d) = r {
            self.counters.count(d);
        }
        r
    }

    /// Expires stale Advertises and delegations whose valid lifetime ended
    /// (kept as released records, so the client gets the prefix back).
    /// Harmless when early.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        self.offers.retain(|_, o| o.expires > now);
        let offers = &self.offers;
        self.offered.retain(|_, k| offers.contains_key(k));
        while let Some((t, k)) = self.expiry.first().cloned()
            && t <= now
        {
            self.expiry.remove(&(t, k.clone()));
            if let Some(mut r) = self.bindings.get(&k).cloned() {
                r.state = Dhcpv6BindingState::Released;
                self.insert(r.clone());
                self.event(Dhcpv6ServerEvent::Expired(r));
            }
        }
    }

    /// The next datagram to send, once committed.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Dhcpv6ServerDestination>> {
        let t = self.ready.pop_front()?;
        self.counters.transmitted += 1;
        Some(t)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Dhcpv6ServerEvent> {
        self.events.pop_front()
    }

    /// When [`Dhcpv6Server::handle_timeout`] should next be called: the
    /// earliest Advertise hold or delegation expiry.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let o = self.offers.values().map(|o| o.expires);
        let b = self.expiry.first().map(|(t, _)| *t);
        o.chain(b).min().filter(|t| *t != Instant::MAX)
    }

    fn event(&mut self, e: Dhcpv6ServerEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    /// Whether `prefix/len` is free for `key` at `now`: not held by another
    /// binding and not advertised to another client.
    fn free_for(&self, prefix: u128, len: u8, key: &Key) -> bool {
        let now = self.now;
        if let Some(owner) = self.by_prefix.get(&(prefix, len))
            && owner != key
            && self.bindings.get(owner).is_some_and(|r| r.is_held(now))
        {
            return false;
        }
        self.offered
            .get(&(prefix, len))
            .is_none_or(|k| k == key || self.offers.get(k).is_none_or(|o| o.expires <= now))
    }

    /// The prefix for `key` (see the module docs for the order), or `None`
    /// when every pool is full.
    fn choose(
        &self,
        key: &Key,
        source: &Dhcpv6ServerSource,
        first_ia: bool,
        hint: Option<(Ipv6Addr, u8)>,
    ) -> Option<(u128, u8)> {
        if let Some(f) = self.fixed(key, source, first_ia) {
            return Some(f);
        }
        // An Advertise is honoured while nobody else holds its prefix (a
        // fixed prefix may have been advertised to two clients).
        if let Some(o) = self.offers.get(key)
            && self.free_for(o.prefix, o.len, key)
        {
            return Some((o.prefix, o.len));
        }
        let in_pool = |p: u128, l: u8| {
            self.cfg
                .pools
                .iter()
                .any(|pool| pool.contains(Ipv6Addr::from(p), l))
        };
        if let Some(r) = self.bindings.get(key) {
            let p = u128::from(r.prefix);
            if in_pool(p, r.prefix_len) && self.free_for(p, r.prefix_len, key) {
                return Some((p, r.prefix_len));
            }
        }
        if let Some((p, l)) = hint {
            let p = u128::from(p);
            if in_pool(p, l) && self.free_for(p, l, key) && !self.remembered_by_other(p, l, key) {
                return Some((p, l));
            }
        }
        let mut seed = key.0.to_vec();
        seed.extend_from_slice(&key.1.to_be_bytes());
        let h = fnv1a(&seed);
        for pool in &self.cfg.pools {
            let n = pool.slots();
            let start = h % n;
            // First pass: slots nobody remembers; second: any free slot.
            for pass in 0..2 {
                for i in 0..n {
                    let p = u128::from(pool.slot((start + i) % n));
                    if self.free_for(p, pool.delegated_len, key)
                        && (pass == 1 || !self.remembered_by_other(p, pool.delegated_len, key))
                    {
                        return Some((p, pool.delegated_len));
                    }
                }
            }
        }
        None
    }

    fn offer(&mut self, key: Key, o: Offer) {
        self.unoffer(&key);
        self.offered.insert((o.prefix, o.len), key.clone());
        self.offers.insert(key, o);
    }

    fn unoffer(&mut self, key: &Key) {
        if let Some(o) = self.offers.remove(key)
            && self.offered.get(&(o.prefix, o.len)) == Some(key)
        {
            self.offered.remove(&(o.prefix, o.len));
        }
    }

    fn remembered_by_other(&self, p: u128, l: u8, key: &Key) -> bool {
        self.by_prefix.get(&(p, l)).is_some_and(|k| k != key)
    }
}
