//! The DHCP server machine (RFC 2131 §4.3).
//!
//! Pools per subnet ([`Dhcpv4PoolConfig`]), reservations, exclusions; an address
//! choice stable per client; the whole DISCOVER/OFFER/REQUEST/ACK/NAK,
//! DECLINE, RELEASE and INFORM lifecycle; bounded tables.
//!
//! # Drain order and durability
//!
//! After each [`Dhcpv4Server::handle_input`] or [`Dhcpv4Server::handle_timeout`]:
//!
//! 1. write [`Dhcpv4Server::pending_leases`] to the [`LeaseStore`] and call
//!    [`Dhcpv4Server::commit`] (or [`Dhcpv4Server::commit_to`], which does both, and
//!    [`Dhcpv4Server::abort`]s when the write fails): until then the DHCPACKs
//!    that depend on those leases are held back, so no ACK leaves before
//!    its lease is durable;
//! 2. drain [`Dhcpv4Server::poll_transmit`], then [`Dhcpv4Server::poll_event`], until
//!    each returns `None`;
//! 3. read [`Dhcpv4Server::poll_timeout`] last.
//!
//! Several inputs may be handled before one commit (group commit).

mod handle;
mod pool;
mod reply;

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};

use sansio_primitives::{Duration, Instant, Transmit};

use crate::lease::{Lease, LeaseStore};
use crate::wire;

#[cfg(feature = "std")]
pub(crate) use pool::fnv1a;
pub use pool::{Dhcpv4PoolConfig, Dhcpv4Reservation, Dhcpv4ReservationKey};
pub(crate) use pool::{Offer, Pool};

/// The server's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv4ServerConfig {
    /// Our address: the server identifier (option 54).
    pub server_id: Ipv4Addr,
    /// The pools, one per subnet.
    pub pools: Vec<Dhcpv4PoolConfig>,
    /// Lease time granted (a client may ask for less). Default 12 h.
    pub lease_time: Duration,
    /// How long an offered address stays reserved for the client. Default 30 s.
    pub offer_hold: Duration,
    /// Bound on outstanding offers (all pools). Default 1024.
    pub max_offers: usize,
    /// How long a declined address is quarantined. Default 1 h.
    pub decline_quarantine: Duration,
    /// Requests accepted per client per second; more are dropped. Default 8.
    pub max_requests_per_second: u32,
    /// Bound on the clients tracked by the rate limiter. Default 4096.
    pub max_tracked_clients: usize,
    /// Bound on replies and lease changes held back waiting for a commit.
    /// Default 1024.
    pub max_uncommitted: usize,
    /// Whether to NAK requests for addresses we have no record of (and ACK
    /// free ones) rather than stay silent (RFC 2131 §4.3.2). Default true.
    pub authoritative: bool,
}

impl Dhcpv4ServerConfig {
    /// Defaults as documented on each field.
    pub fn new(server_id: Ipv4Addr, pools: Vec<Dhcpv4PoolConfig>) -> Dhcpv4ServerConfig {
        Dhcpv4ServerConfig {
            server_id,
            pools,
            lease_time: Duration::from_secs(12 * 3600),
            offer_hold: Duration::from_secs(30),
            max_offers: 1024,
            decline_quarantine: Duration::from_secs(3600),
            max_requests_per_second: 8,
            max_tracked_clients: 4096,
            max_uncommitted: 1024,
            authoritative: true,
        }
    }
}

/// A configuration the server refuses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv4ServerConfigError {
    /// A pool's prefix is longer than 32, its range is reversed, not inside
    /// its subnet or larger than [`MAX_RANGE`], or it allows no lease.
    #[error("pool {index} is invalid")]
    BadPool {
        /// The pool's index in `pools`.
        index: usize,
    },
    /// A bound is zero.
    #[error("a bound is zero")]
    ZeroBound,
}

/// Where a reply goes (RFC 2131 §4.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Dhcpv4ServerDestination {
    /// 255.255.255.255 port 68 on this interface.
    Broadcast {
        /// The interface.
        interface: u32,
    },
    /// A unicast socket address (`ciaddr`:68, or `giaddr`:67 for a relay).
    Unicast {
        /// The interface the request came in on.
        interface: u32,
        /// Address and port.
        address: SocketAddrV4,
    },
    /// `yiaddr`:68 at the client's hardware address, which has no address
    /// yet (RFC 2131 §4.1: the client did not set the broadcast bit). A
    /// driver that cannot send to a MAC without ARP broadcasts instead.
    Link {
        /// The interface.
        interface: u32,
        /// `yiaddr`.
        address: Ipv4Addr,
        /// `chaddr`.
        hardware: [u8; 16],
    },
}

/// Why an input was dropped (counted in [`Dhcpv4ServerCounters`]; state unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv4ServerDropped {
    /// The datagram did not parse.
    #[error("malformed: {0}")]
    Malformed(wire::Error),
    /// Not a BOOTREQUEST, or a message type a server does not take.
    #[error("not a client message")]
    NotRequest,
    /// No pool serves this interface or relay address.
    #[error("no pool for this interface or giaddr")]
    NoPool,
    /// The client sent more requests per second than allowed, or the rate
    /// limiter's table is full.
    #[error("rate limited")]
    RateLimited,
    /// A REQUEST or DECLINE without the fields its state requires.
    #[error("request lacks requested address / ciaddr")]
    Incomplete,
    /// A DECLINE or RELEASE for a lease that is not this client's, or for
    /// another server.
    #[error("not our lease")]
    NotOurs,
    /// Too many replies wait for a commit.
    #[error("backlog of uncommitted replies full")]
    Backlogged,
}

/// Why a client got no address (an event, not an error).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dhcpv4Refusal {
    /// No free address in the pool.
    PoolExhausted,
    /// The pool's lease table is at `max_leases` and every record is held.
    LeaseLimit,
    /// `max_offers` offers are outstanding.
    OfferLimit,
}

/// What happened, for the application (logs, DNS updates).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Dhcpv4ServerEvent {
    /// A lease was granted or extended (its ACK is released on commit).
    Leased(Lease),
    /// A client released its lease.
    Released(Ipv4Addr),
    /// A client declined an address; it is quarantined.
    Declined(Ipv4Addr),
    /// A DISCOVER or REQUEST was refused.
    Refused {
        /// The pool's interface.
        interface: u32,
        /// Why.
        reason: Dhcpv4Refusal,
    },
}

/// Counters: one per [`Dhcpv4ServerDropped`] reason, plus datagrams in
/// and out and the replies by kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Dhcpv4ServerCounters {
    /// Datagrams handed to `handle_input`.
    pub received: u64,
    /// Datagrams handed out by `poll_transmit`.
    pub transmitted: u64,
    /// Inputs dropped as malformed.
    pub malformed: u64,
    /// Inputs dropped as not client messages.
    pub not_request: u64,
    /// Inputs dropped for no pool.
    pub no_pool: u64,
    /// Inputs dropped by the rate limiter.
    pub rate_limited: u64,
    /// Inputs dropped as incomplete.
    pub incomplete: u64,
    /// Inputs dropped as not ours.
    pub not_ours: u64,
    /// Inputs dropped for a full backlog.
    pub backlogged: u64,
    /// OFFERs sent.
    pub offers: u64,
    /// ACKs queued.
    pub acks: u64,
    /// NAKs sent.
    pub naks: u64,
}

impl Dhcpv4ServerCounters {
    fn count(&mut self, d: Dhcpv4ServerDropped) {
        let c = match d {
            Dhcpv4ServerDropped::Malformed(_) => &mut self.malformed,
            Dhcpv4ServerDropped::NotRequest => &mut self.not_request,
            Dhcpv4ServerDropped::NoPool => &mut self.no_pool,
            Dhcpv4ServerDropped::RateLimited => &mut self.rate_limited,
            Dhcpv4ServerDropped::Incomplete => &mut self.incomplete,
            Dhcpv4ServerDropped::NotOurs => &mut self.not_ours,
            Dhcpv4ServerDropped::Backlogged => &mut self.backlogged,
        };
        *c += 1;
    }

    /// Inputs dropped, all reasons together.
    pub fn total_dropped(&self) -> u64 {
        self.malformed
            + self.not_request
            + self.no_pool
            + self.rate_limited
            + self.incomplete
            + self.not_ours
            + self.backlogged
    }
}

/// The largest pool range accepted (2^20 addresses): the address choice
/// probes the range, so its size bounds the work per DISCOVER.
pub const MAX_RANGE: u32 = 1 << 20;

/// Bound on queued events; the oldest is dropped past it.
const MAX_EVENTS: usize = 1024;

/// The DHCP server machine. See the [module docs](self) for the drain order.
#[derive(Debug)]
pub struct Dhcpv4Server {
    cfg: Dhcpv4ServerConfig,
    pools: Vec<Pool>,
    offers: BTreeMap<Ipv4Addr, Offer>,
    rate: BTreeMap<Vec<u8>, (Instant, u32)>,
    pending: Vec<Lease>,
    held: VecDeque<Transmit<Dhcpv4ServerDestination>>,
    ready: VecDeque<Transmit<Dhcpv4ServerDestination>>,
    events: VecDeque<Dhcpv4ServerEvent>,
    counters: Dhcpv4ServerCounters,
    now: Instant,
}

impl Dhcpv4Server {
    /// A server with no leases. Restore stored ones with [`Dhcpv4Server::restore`].
    pub fn new(
        cfg: Dhcpv4ServerConfig,
        now: Instant,
    ) -> Result<Dhcpv4Server, Dhcpv4ServerConfigError> {
        if cfg.max_offers == 0
            || cfg.max_tracked_clients == 0
            || cfg.max_uncommitted == 0
            || cfg.max_requests_per_second == 0
        {
            return Err(Dhcpv4ServerConfigError::ZeroBound);
        }
        for (index, p) in cfg.pools.iter().enumerate() {
            if p.prefix_len > 32
                || p.range_start > p.range_end
                || !p.contains(p.range_start)
                || !p.contains(p.range_end)
                || p.max_leases == 0
                || u32::from(p.range_end) - u32::from(p.range_start) >= MAX_RANGE
            {
                return Err(Dhcpv4ServerConfigError::BadPool { index });
            }
        }
        Ok(Dhcpv4Server {
            pools: cfg.pools.iter().cloned().map(Pool::new).collect(),
            cfg,
            offers: BTreeMap::new(),
            rate: BTreeMap::new(),
            pending: Vec::new(),
            held: VecDeque::new(),
            ready: VecDeque::new(),
            events: VecDeque::new(),
            counters: Dhcpv4ServerCounters::default(),
            now,
        })
    }

    /// Loads stored leases (from [`LeaseStore::load`]) into their pools.
    /// Returns how many were not inside any pool's subnet (and so ignored).
    pub fn restore(&mut self, leases: impl IntoIterator<Item = Lease>) -> usize {
        let mut ignored = 0;
        for l in leases {
            match self.pools.iter_mut().find(|p| p.cfg.contains(l.address)) {
                Some(p)
                    if p.leases.len() < p.cfg.max_leases || p.leases.contains_key(&l.address) =>
                {
                    p.insert(l, self.now);
                }
                _ => ignored += 1,
            }
        }
        ignored
    }

    /// The configuration.
    pub fn config(&self) -> &Dhcpv4ServerConfig {
        &self.cfg
    }

    /// The counters.
    pub fn counters(&self) -> &Dhcpv4ServerCounters {
        &self.counters
    }

    /// The lease record of an address, if any.
    pub fn lease(&self, address: Ipv4Addr) -> Option<&Lease> {
        self.pools.iter().find_map(|p| p.leases.get(&address))
    }

    /// Every lease record, pool by pool.
    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.pools.iter().flat_map(|p| p.leases.values())
    }

    /// Outstanding offers.
    pub fn offer_count(&self) -> usize {
        self.offers.len()
    }

    /// Lease changes not yet committed, oldest first.
    pub fn pending_leases(&self) -> &[Lease] {
        &self.pending
    }

    /// Declares [`Dhcpv4Server::pending_leases`] durable and releases the replies
    /// held for them.
    pub fn commit(&mut self) {
        self.pending.clear();
        self.ready.extend(self.held.drain(..));
    }

    /// Declares the pending write failed: the held replies are dropped (the
    /// clients will retry; the in-memory leases stay, so no address is given
    /// twice).
    pub fn abort(&mut self) {
        self.pending.clear();
        self.held.clear();
    }

    /// Persists the pending changes to `store` and commits, or aborts when
    /// the store fails. Does nothing when nothing is pending.
    pub fn commit_to<S: LeaseStore>(&mut self, store: &mut S) -> Result<(), S::Error> {
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

    /// Handles one datagram received on `interface` (UDP port 67).
    pub fn handle_input(
        &mut self,
        now: Instant,
        interface: u32,
        datagram: &[u8],
    ) -> Result<(), Dhcpv4ServerDropped> {
        self.now = self.now.max(now);
        self.counters.received += 1;
        let r = self.dispatch(interface, datagram);
        if let Err(d) = r {
            self.counters.count(d);
        }
        r
    }

    /// Expires stale offers and rate-limiter entries. Harmless when early.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let now = self.now;
        self.offers.retain(|_, o| o.expires > now);
        self.rate
            .retain(|_, (start, _)| now.saturating_duration_since(*start) < Duration::from_secs(1));
    }

    /// The next datagram to send, once committed.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Dhcpv4ServerDestination>> {
        let t = self.ready.pop_front()?;
        self.counters.transmitted += 1;
        Some(t)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Dhcpv4ServerEvent> {
        self.events.pop_front()
    }

    /// When [`Dhcpv4Server::handle_timeout`] should next be called (the earliest
    /// offer expiry).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.offers.values().map(|o| o.expires).min()
    }

    fn event(&mut self, e: Dhcpv4ServerEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }
}
