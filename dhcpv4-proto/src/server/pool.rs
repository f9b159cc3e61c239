//! One address pool: its configuration, its lease table and the stable
//! address choice.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use sansio_primitives::Instant;

use crate::lease::{Lease, LeaseState};
use crate::wire::{DomainName, Route};

/// Who a reservation is for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Dhcpv4ReservationKey {
    /// A client identifier (option 61 value, type octet included).
    ClientId(Vec<u8>),
    /// A hardware address (`chaddr`, `hlen` octets).
    Hardware(Vec<u8>),
}

/// A fixed address for one client.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv4Reservation {
    /// The client.
    pub key: Dhcpv4ReservationKey,
    /// Its address (inside the pool's subnet, in or out of the range).
    pub address: Ipv4Addr,
}

/// One subnet served on one interface (or behind a relay).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv4PoolConfig {
    /// The driver's identifier of the interface this pool serves (messages
    /// with `giaddr` 0 arriving there use it).
    pub interface: u32,
    /// The subnet's network address.
    pub network: Ipv4Addr,
    /// The subnet's prefix length.
    pub prefix_len: u8,
    /// First address handed out.
    pub range_start: Ipv4Addr,
    /// Last address handed out.
    pub range_end: Ipv4Addr,
    /// Inclusive ranges inside the range that are never handed out.
    pub exclusions: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// Fixed addresses by client id or hardware address.
    pub reservations: Vec<Dhcpv4Reservation>,
    /// Option 3.
    pub router: Option<Ipv4Addr>,
    /// Option 6; when empty, the router itself if
    /// [`dns_defaults_to_router`](Self::dns_defaults_to_router), else no
    /// option 6 at all.
    pub dns: Vec<Ipv4Addr>,
    /// Whether an empty [`dns`](Self::dns) announces the router as the DNS
    /// server (true by default, for a router that runs a resolver; a router
    /// without one sets false rather than point hosts at nothing).
    pub dns_defaults_to_router: bool,
    /// Option 15.
    pub domain: Option<Vec<u8>>,
    /// Option 119.
    pub domain_search: Vec<DomainName>,
    /// Option 26.
    pub mtu: Option<u16>,
    /// Option 121 (a default route via `router` is added when it is missing).
    pub routes: Vec<Route>,
    /// Option 108 (RFC 8925): V6ONLY_WAIT in seconds, given only to the
    /// clients that list 108 in their parameter request list (§3.3.2); `None`
    /// = this subnet is not IPv6-mostly. RFC 8925 clients wait at least
    /// MIN_V6ONLY_WAIT (300 s) whatever this says.
    pub ipv6_only_preferred: Option<u32>,
    /// At most this many lease records in this pool.
    pub max_leases: usize,
}

impl Dhcpv4PoolConfig {
    /// A pool for `network/prefix_len` handing out `start..=end`, with the
    /// given router and everything else empty; at most 4096 leases.
    pub fn new(
        interface: u32,
        network: Ipv4Addr,
        prefix_len: u8,
        start: Ipv4Addr,
        end: Ipv4Addr,
        router: Option<Ipv4Addr>,
    ) -> Dhcpv4PoolConfig {
        Dhcpv4PoolConfig {
            interface,
            network,
            prefix_len,
            range_start: start,
            range_end: end,
            exclusions: Vec::new(),
            reservations: Vec::new(),
            router,
            dns: Vec::new(),
            dns_defaults_to_router: true,
            domain: None,
            domain_search: Vec::new(),
            mtu: None,
            ipv6_only_preferred: None,
            routes: Vec::new(),
            max_leases: 4096,
        }
    }

    /// The subnet mask.
    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(mask_bits(self.prefix_len))
    }

    /// Whether `a` is inside the subnet.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        let m = mask_bits(self.prefix_len);
        u32::from(a) & m == u32::from(self.network) & m
    }

    /// DNS servers to announce: the configured ones, else the router (if
    /// [`dns_defaults_to_router`](Self::dns_defaults_to_router)).
    pub fn dns_servers(&self) -> Vec<Ipv4Addr> {
        if self.dns.is_empty() {
            self.router
                .filter(|_| self.dns_defaults_to_router)
                .into_iter()
                .collect()
        } else {
            self.dns.clone()
        }
    }
}

fn mask_bits(prefix_len: u8) -> u32 {
    match prefix_len {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// FNV-1a, 64 bits: the stable hash of a client key.
pub(crate) fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// An address offered and not yet requested.
#[derive(Clone, Debug)]
pub(crate) struct Offer {
    pub client: Vec<u8>,
    pub expires: Instant,
}

/// A pool and its leases.
#[derive(Debug)]
pub(crate) struct Pool {
    pub cfg: Dhcpv4PoolConfig,
    pub leases: BTreeMap<Ipv4Addr, Lease>,
    pub by_client: BTreeMap<Vec<u8>, Ipv4Addr>,
}

impl Pool {
    pub fn new(cfg: Dhcpv4PoolConfig) -> Pool {
        Pool {
            cfg,
            leases: BTreeMap::new(),
            by_client: BTreeMap::new(),
        }
    }

    fn in_range(&self, a: Ipv4Addr) -> bool {
        a >= self.cfg.range_start && a <= self.cfg.range_end
    }

    fn excluded(&self, a: Ipv4Addr, server_id: Ipv4Addr) -> bool {
        let m = mask_bits(self.cfg.prefix_len);
        let host = u32::from(a) & !m;
        a == server_id
            || Some(a) == self.cfg.router
            || (self.cfg.prefix_len < 31 && (host == 0 || host == !m))
            || self.cfg.exclusions.iter().any(|&(s, e)| a >= s && a <= e)
    }

    /// The reservation for this client, if any.
    pub fn reservation_for(&self, client: &[u8], hardware: &[u8]) -> Option<Ipv4Addr> {
        self.cfg.reservations.iter().find_map(|r| match &r.key {
            Dhcpv4ReservationKey::ClientId(id) if id == client => Some(r.address),
            Dhcpv4ReservationKey::Hardware(hw) if hw == hardware => Some(r.address),
            _ => None,
        })
    }

    fn reserved_for_other(&self, a: Ipv4Addr, client: &[u8], hardware: &[u8]) -> bool {
        self.cfg.reservations.iter().any(|r| {
            r.address == a
                && match &r.key {
                    Dhcpv4ReservationKey::ClientId(id) => id != client,
                    Dhcpv4ReservationKey::Hardware(hw) => hw != hardware,
                }
        })
    }

    /// Whether `a` may be given to `client` now. `strict` also refuses
    /// addresses that have a record for another client, even expired (so a
    /// returning device finds its address again).
    #[allow(clippy::too_many_arguments)]
    pub fn available(
        &self,
        a: Ipv4Addr,
        client: &[u8],
        hardware: &[u8],
        now: Instant,
        server_id: Ipv4Addr,
        offers: &BTreeMap<Ipv4Addr, Offer>,
        strict: bool,
    ) -> bool {
        if !self.cfg.contains(a) || self.excluded(a, server_id) {
            return false;
        }
        let reserved_here = self.reservation_for(client, hardware) == Some(a);
        if !reserved_here && (!self.in_range(a) || self.reserved_for_other(a, client, hardware)) {
            return false;
        }
        if let Some(l) = self.leases.get(&a)
            && l.client != client
            && (strict || l.is_held(now))
        {
            return false;
        }
        if let Some(o) = offers.get(&a)
            && o.client != client
            && o.expires > now
        {
            return false;
        }
        true
    }

    /// The address this client should get: its reservation, its previous
    /// address, the address it asked for, then the first free address in a
    /// probe sequence starting at a hash of its key (first skipping every
    /// address with a record, then reusing expired ones).
    #[allow(clippy::too_many_arguments)]
    pub fn choose(
        &self,
        client: &[u8],
        hardware: &[u8],
        requested: Option<Ipv4Addr>,
        now: Instant,
        server_id: Ipv4Addr,
        offers: &BTreeMap<Ipv4Addr, Offer>,
    ) -> Option<Ipv4Addr> {
        let ok = |a: Ipv4Addr, strict| {
            self.available(a, client, hardware, now, server_id, offers, strict)
        };
        if let Some(a) = self.reservation_for(client, hardware) {
            return ok(a, false).then_some(a);
        }
        if let Some(&a) = self.by_client.get(client)
            && ok(a, false)
        {
            return Some(a);
        }
        if let Some(a) = requested
            && ok(a, true)
        {
            return Some(a);
        }
        let start = u32::from(self.cfg.range_start);
        let end = u32::from(self.cfg.range_end);
        if end < start {
            return None;
        }
        let size = u64::from(end - start) + 1;
        let first = fnv1a(client) % size;
        for strict in [true, false] {
            for i in 0..size {
                let a = Ipv4Addr::from(start + ((first + i) % size) as u32);
                if ok(a, strict) {
                    return Some(a);
                }
            }
        }
        None
    }

    /// Makes room for one more record when the table is at its bound, by
    /// dropping the record that is free and expired longest ago. Returns
    /// false when every record is held.
    pub fn make_room(&mut self, now: Instant) -> bool {
        if self.leases.len() < self.cfg.max_leases {
            return true;
        }
        let victim = self
            .leases
            .values()
            .filter(|l| !l.is_held(now))
            .min_by_key(|l| (l.expires, l.address))
            .map(|l| l.address);
        match victim {
            Some(a) => {
                self.remove(a);
                true
            }
            None => false,
        }
    }

    /// Drops the record of `a` (and the client's pointer to it).
    pub fn remove(&mut self, a: Ipv4Addr) {
        if let Some(l) = self.leases.remove(&a)
            && self.by_client.get(&l.client) == Some(&a)
        {
            self.by_client.remove(&l.client);
        }
    }

    /// Stores a record, keeping the client index right; returns the record
    /// the client's previous address now has, when it moved (released).
    pub fn insert(&mut self, lease: Lease, now: Instant) -> Option<Lease> {
        let mut moved = None;
        if lease.state != LeaseState::Declined
            && let Some(&old) = self.by_client.get(&lease.client)
            && old != lease.address
            && let Some(prev) = self.leases.get_mut(&old)
            && prev.state == LeaseState::Bound
        {
            prev.state = LeaseState::Released;
            prev.expires = prev.expires.min(now);
            moved = Some(prev.clone());
        }
        if let Some(prev) = self.leases.get(&lease.address)
            && prev.client != lease.client
            && self.by_client.get(&prev.client) == Some(&lease.address)
        {
            let c = prev.client.clone();
            self.by_client.remove(&c);
        }
        if lease.state != LeaseState::Declined && !lease.client.is_empty() {
            // A renewal finds its entry right: no copy of the key.
            match self.by_client.get_mut(&lease.client) {
                Some(a) => *a = lease.address,
                None => {
                    self.by_client.insert(lease.client.clone(), lease.address);
                }
            }
        }
        self.leases.insert(lease.address, lease);
        moved
    }
}
