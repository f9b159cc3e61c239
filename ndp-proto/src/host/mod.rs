//! Host-side Router Advertisement processing for a SLAAC interface (RFC
//! 4861 §6.3, RFC 4862 §5.5, RFC 7217, RFC 8106 §5.3, RFC 4191 §3).
//!
//! - Router Solicitations at start: after a random 0–1 s
//!   (MAX_RTR_SOLICITATION_DELAY), up to 3 (MAX_RTR_SOLICITATIONS) every
//!   4 s (RTR_SOLICITATION_INTERVAL), stopped by the first valid RA.
//! - Default routers (Router Lifetime, preference), on-link prefixes (L),
//!   addresses from autonomous /64 prefixes (A) with a stable RFC 7217
//!   interface identifier ([`crate::iid::stable_address`]), the two-hour
//!   rule of RFC 4862 §5.5.3 e) for valid-lifetime updates, the link MTU
//!   (1280..=`link_mtu`), RDNSS servers, DNSSL domains, the PREF64 (RFC
//!   8781 §5, the latest one wins), RFC 4191 routes; every lifetime counted down on the
//!   injected clock, each change an [`NdpHostEvent`].
//! - Neighbours: the link-layer addresses seen in RA/NS source and NA
//!   target options, kept for `neighbour_lifetime` after last seen.
//! - Bounds: routers, on-link prefixes, addresses (16), neighbours (256)
//!   and routes: an RA (or NS/NA) that would add an entry past a bound is
//!   ignored as a whole and counted ([`NdpHostDropped::TableFull`]); the
//!   state stays exactly as it was. DNS servers and search domains past
//!   their bound are ignored one by one and counted (RFC 8106 §5.3.1 lets
//!   a host keep a limited cache).
//!
//! The machine does not run DAD; the embedder (the kernel) does and reports
//! a duplicate with [`NdpHost::dad_failed`], which moves to the next
//! DAD_Counter (RFC 7217 §6, at most IDGEN_RETRIES = 3 times).
//!
//! # Drain order
//!
//! After each `handle_*` call or command, drain [`NdpHost::poll_transmit`]
//! then [`NdpHost::poll_event`] until each returns `None`, and read
//! [`NdpHost::poll_timeout`] last.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::{Duration, Instant, SeededRng, Transmit};

use crate::iid::stable_address;
use crate::wire::{
    DomainName, NdpMessage, NdpOption, RouteInformation, RouterAdvertisement, RouterPreference,
    RouterSolicitation,
};

/// RFC 4861 §10.
pub const MAX_RTR_SOLICITATION_DELAY: Duration = Duration::from_secs(1);
/// RFC 4861 §10.
pub const RTR_SOLICITATION_INTERVAL: Duration = Duration::from_secs(4);
/// RFC 4861 §10.
pub const MAX_RTR_SOLICITATIONS: u32 = 3;
/// RFC 7217 §6.
pub const IDGEN_RETRIES: u8 = 3;
/// RFC 4862 §5.5.3 e): two hours.
const TWO_HOURS: Duration = Duration::from_secs(7200);
/// All-routers multicast, where RSs go.
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

mod types;

pub use types::{
    NdpHostAddress, NdpHostConfig, NdpHostConfigError, NdpHostCounters, NdpHostDropped,
    NdpHostEvent, NdpHostUnknownAddress,
};

#[derive(Clone, Debug)]
struct Router {
    address: Ipv6Addr,
    expires: Instant,
}

#[derive(Clone, Debug)]
struct OnLink {
    prefix: Ipv6Addr,
    prefix_length: u8,
    expires: Option<Instant>,
}

#[derive(Clone, Debug)]
struct Addr {
    a: NdpHostAddress,
    prefix: Ipv6Addr,
    dad_counter: u8,
    deprecated: bool,
}

#[derive(Clone, Debug)]
struct Route {
    prefix: Ipv6Addr,
    prefix_length: u8,
    router: Ipv6Addr,
    expires: Option<Instant>,
}

#[derive(Clone, Debug)]
struct Neighbour {
    address: Ipv6Addr,
    link_layer: Vec<u8>,
    expires: Instant,
}

/// Everything learned; cloned, changed, and committed only when the whole
/// input fits the bounds.
#[derive(Clone, Debug, Default)]
struct Learned {
    routers: Vec<Router>,
    prefixes: Vec<OnLink>,
    addresses: Vec<Addr>,
    neighbours: Vec<Neighbour>,
    dns: Vec<(Ipv6Addr, Option<Instant>)>,
    search: Vec<(DomainName, Option<Instant>)>,
    /// The NAT64 prefix, its length, when it expires.
    pref64: Option<(Ipv6Addr, u8, Instant)>,
    routes: Vec<Route>,
    mtu: Option<u32>,
}

/// The host-side machine. See the [module docs](self).
#[derive(Debug)]
pub struct NdpHost {
    cfg: NdpHostConfig,
    /// Owned per the machine shape; drawn from only for the first RS delay.
    _rng: SeededRng,
    learned: Learned,
    next_rs: Option<Instant>,
    rs_sent: u32,
    transmits: VecDeque<Transmit<Ipv6Addr>>,
    events: VecDeque<NdpHostEvent>,
    counters: NdpHostCounters,
}

/// A lifetime in seconds from `now`; `u32::MAX` is infinity (`None`).
fn deadline(now: Instant, secs: u32) -> Option<Instant> {
    (secs != u32::MAX).then(|| now + Duration::from_secs(secs.into()))
}

fn remaining(now: Instant, until: Option<Instant>) -> Duration {
    until.map_or(Duration::MAX, |u| u.saturating_duration_since(now))
}

const MAX_EVENTS: usize = 256;

/// RFC 8106 §5.3.1: each listed item gets the option's lifetime (0
/// removes it); new items past `max` are ignored. Returns how many were.
fn update_list<T: PartialEq + Clone>(
    list: &mut Vec<(T, Option<Instant>)>,
    items: &[T],
    lifetime: u32,
    now: Instant,
    max: usize,
) -> u64 {
    let mut ignored = 0;
    for item in items {
        let pos = list.iter().position(|d| d.0 == *item);
        match (pos, lifetime) {
            (Some(i), 0) => {
                list.remove(i);
            }
            (Some(i), l) => list[i].1 = deadline(now, l),
            (None, 0) => {}
            (None, _) if list.len() >= max => ignored += 1,
            (None, l) => list.push((item.clone(), deadline(now, l))),
        }
    }
    ignored
}

impl NdpHost {
    /// A host machine starting at `now` (its first RS after 0–1 s).
    pub fn new(
        config: NdpHostConfig,
        mut rng: SeededRng,
        now: Instant,
    ) -> Result<NdpHost, NdpHostConfigError> {
        if config.link_mtu < 1280 {
            return Err(NdpHostConfigError::LinkMtu);
        }
        if !(config.source.is_unspecified() || config.source.is_unicast_link_local()) {
            return Err(NdpHostConfigError::Source);
        }
        let next_rs = config.solicit.then(|| {
            now + Duration::from_nanos(u64::from(
                rng.below(MAX_RTR_SOLICITATION_DELAY.as_nanos() as u32 + 1),
            ))
        });
        Ok(NdpHost {
            cfg: config,
            _rng: rng,
            learned: Learned::default(),
            next_rs,
            rs_sent: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: NdpHostCounters::default(),
        })
    }

    /// One ICMPv6 message received, with the IPv6 header's source,
    /// destination and hop limit.
    pub fn handle_input(
        &mut self,
        now: Instant,
        source: Ipv6Addr,
        destination: Ipv6Addr,
        hop_limit: u8,
        message: &[u8],
    ) -> Result<(), NdpHostDropped> {
        self.counters.received += 1;
        let r = self.process(now, source, destination, hop_limit, message);
        if let Err(e) = r {
            let c = &mut self.counters;
            *match e {
                NdpHostDropped::Malformed(_) => &mut c.malformed,
                NdpHostDropped::HopLimit => &mut c.hop_limit,
                NdpHostDropped::Invalid => &mut c.invalid,
                NdpHostDropped::Unexpected => &mut c.unexpected,
                NdpHostDropped::TableFull => &mut c.table_full,
            } += 1;
        }
        r
    }

    fn process(
        &mut self,
        now: Instant,
        source: Ipv6Addr,
        destination: Ipv6Addr,
        hop_limit: u8,
        message: &[u8],
    ) -> Result<(), NdpHostDropped> {
        if hop_limit != 255 {
            return Err(NdpHostDropped::HopLimit);
        }
        let msg =
            NdpMessage::parse(message, source, destination).map_err(NdpHostDropped::Malformed)?;
        let mut next = self.learned.clone();
        let mut events = Vec::new();
        let mut ignored = (0, 0);
        match &msg {
            NdpMessage::RouterAdvertisement(ra) => {
                if !source.is_unicast_link_local() {
                    return Err(NdpHostDropped::Invalid);
                }
                self.apply_ra(&mut next, &mut events, &mut ignored, now, source, ra)?;
            }
            NdpMessage::NeighborSolicitation(ns) => {
                if ns.target.is_multicast() {
                    return Err(NdpHostDropped::Invalid);
                }
                for o in &ns.options {
                    if let NdpOption::SourceLinkLayerAddress(ll) = o
                        && !source.is_unspecified()
                    {
                        self.learn_neighbour(&mut next, now, source, ll)?;
                    }
                }
            }
            NdpMessage::NeighborAdvertisement(na) => {
                if na.target.is_multicast() {
                    return Err(NdpHostDropped::Invalid);
                }
                for o in &na.options {
                    if let NdpOption::TargetLinkLayerAddress(ll) = o {
                        self.learn_neighbour(&mut next, now, na.target, ll)?;
                    }
                }
            }
            _ => return Err(NdpHostDropped::Unexpected),
        }
        // Everything fits: commit.
        self.learned = next;
        self.counters.dns_servers_ignored += ignored.0;
        self.counters.search_domains_ignored += ignored.1;
        if matches!(msg, NdpMessage::RouterAdvertisement(_)) {
            self.counters.advertisements += 1;
            self.next_rs = None; // RFC 4861 §6.3.7: solicitation done.
        }
        for e in events {
            self.push_event(e);
        }
        Ok(())
    }

    fn learn_neighbour(
        &self,
        next: &mut Learned,
        now: Instant,
        address: Ipv6Addr,
        link_layer: &[u8],
    ) -> Result<(), NdpHostDropped> {
        let expires = now + self.cfg.neighbour_lifetime;
        if let Some(n) = next.neighbours.iter_mut().find(|n| n.address == address) {
            n.link_layer = link_layer.to_vec();
            n.expires = expires;
        } else {
            if next.neighbours.len() >= self.cfg.max_neighbours {
                return Err(NdpHostDropped::TableFull);
            }
            next.neighbours.push(Neighbour {
                address,
                link_layer: link_layer.to_vec(),
                expires,
            });
        }
        Ok(())
    }

    fn apply_ra(
        &self,
        next: &mut Learned,
        events: &mut Vec<NdpHostEvent>,
        ignored: &mut (u64, u64),
        now: Instant,
        source: Ipv6Addr,
        ra: &RouterAdvertisement,
    ) -> Result<(), NdpHostDropped> {
        // Default router list (RFC 4861 §6.3.4).
        let lifetime = Duration::from_secs(ra.router_lifetime.into());
        let pos = next.routers.iter().position(|r| r.address == source);
        match (pos, ra.router_lifetime) {
            (Some(i), 0) => {
                next.routers.remove(i);
                events.push(NdpHostEvent::RouterExpired { router: source });
            }
            (Some(i), _) => next.routers[i].expires = now + lifetime,
            (None, 0) => {}
            (None, _) => {
                if next.routers.len() >= self.cfg.max_routers {
                    return Err(NdpHostDropped::TableFull);
                }
                next.routers.push(Router {
                    address: source,
                    expires: now + lifetime,
                });
                events.push(NdpHostEvent::RouterAdded {
                    router: source,
                    lifetime,
                    preference: ra.preference(),
                });
            }
        }
        let dns_before: Vec<Ipv6Addr> = next.dns.iter().map(|d| d.0).collect();
        let search_before: Vec<DomainName> = next.search.iter().map(|d| d.0.clone()).collect();
        for o in &ra.options {
            match o {
                NdpOption::SourceLinkLayerAddress(ll) => {
                    self.learn_neighbour(next, now, source, ll)?;
                }
                NdpOption::Mtu(m)
                    if (1280..=self.cfg.link_mtu).contains(&m.mtu) && next.mtu != Some(m.mtu) =>
                {
                    next.mtu = Some(m.mtu);
                    events.push(NdpHostEvent::MtuChanged { mtu: m.mtu });
                }
                NdpOption::PrefixInformation(p) => {
                    if p.prefix.is_unicast_link_local() {
                        continue; // RFC 4861 §6.3.4, RFC 4862 §5.5.3 b)
                    }
                    if p.on_link() {
                        self.on_link(
                            next,
                            events,
                            now,
                            p.prefix,
                            p.prefix_length,
                            p.valid_lifetime,
                        )?;
                    }
                    if p.autonomous()
                        && p.preferred_lifetime <= p.valid_lifetime
                        && p.prefix_length == 64
                    {
                        self.autoconf(
                            next,
                            events,
                            now,
                            p.prefix,
                            p.valid_lifetime,
                            p.preferred_lifetime,
                        )?;
                    }
                }
                NdpOption::Rdnss(r) => {
                    let max = self.cfg.max_dns_servers;
                    ignored.0 += update_list(&mut next.dns, &r.servers, r.lifetime, now, max);
                }
                NdpOption::Dnssl(d) => {
                    let max = self.cfg.max_search_domains;
                    ignored.1 += update_list(&mut next.search, &d.domains, d.lifetime, now, max);
                }
                NdpOption::RouteInformation(ri) => {
                    self.route(next, events, now, source, ri)?;
                }
                NdpOption::Pref64(p) => {
                    let before = next.pref64.map(|(a, l, _)| (a, l));
                    next.pref64 = (p.scaled_lifetime != 0)
                        .then(|| (p.prefix(), p.length.bits(), now + p.lifetime()));
                    let after = next.pref64.map(|(a, l, _)| (a, l));
                    if before != after {
                        events.push(NdpHostEvent::Pref64Changed(after));
                    }
                }
                _ => {}
            }
        }
        let dns_after: Vec<Ipv6Addr> = next.dns.iter().map(|d| d.0).collect();
        if dns_after != dns_before {
            events.push(NdpHostEvent::DnsServers(dns_after));
        }
        let search_after: Vec<DomainName> = next.search.iter().map(|d| d.0.clone()).collect();
        if search_after != search_before {
            events.push(NdpHostEvent::DnsSearchList(search_after));
        }
        Ok(())
    }

    /// RFC 4191 §3.1 (a Type C host): a route per (prefix, router); the
    /// reserved preference means ignore the option, lifetime 0 removes it.
    fn route(
        &self,
        next: &mut Learned,
        events: &mut Vec<NdpHostEvent>,
        now: Instant,
        router: Ipv6Addr,
        ri: &RouteInformation,
    ) -> Result<(), NdpHostDropped> {
        let preference = ri.preference();
        if preference == RouterPreference::Reserved {
            return Ok(());
        }
        let prefix = crate::wire::mask(ri.prefix, ri.prefix_length);
        let prefix_length = ri.prefix_length;
        let pos = next.routes.iter().position(|r| {
            r.prefix == prefix && r.prefix_length == prefix_length && r.router == router
        });
        match (pos, ri.route_lifetime) {
            (Some(i), 0) => {
                next.routes.remove(i);
                events.push(NdpHostEvent::RouteExpired {
                    prefix,
                    prefix_length,
                    router,
                });
            }
            (Some(i), l) => next.routes[i].expires = deadline(now, l),
            (None, 0) => {}
            (None, l) => {
                if next.routes.len() >= self.cfg.max_routes {
                    return Err(NdpHostDropped::TableFull);
                }
                next.routes.push(Route {
                    prefix,
                    prefix_length,
                    router,
                    expires: deadline(now, l),
                });
                events.push(NdpHostEvent::RouteAdded {
                    prefix,
                    prefix_length,
                    router,
                    preference,
                });
            }
        }
        Ok(())
    }

    fn on_link(
        &self,
        next: &mut Learned,
        events: &mut Vec<NdpHostEvent>,
        now: Instant,
        prefix: Ipv6Addr,
        prefix_length: u8,
        valid: u32,
    ) -> Result<(), NdpHostDropped> {
        let prefix = crate::wire::mask(prefix, prefix_length);
        let pos = next
            .prefixes
            .iter()
            .position(|p| p.prefix == prefix && p.prefix_length == prefix_length);
        match (pos, valid) {
            (Some(i), 0) => {
                next.prefixes.remove(i);
                events.push(NdpHostEvent::OnLinkPrefixExpired {
                    prefix,
                    prefix_length,
                });
            }
            (Some(i), v) => next.prefixes[i].expires = deadline(now, v),
            (None, 0) => {}
            (None, v) => {
                if next.prefixes.len() >= self.cfg.max_prefixes {
                    return Err(NdpHostDropped::TableFull);
                }
                next.prefixes.push(OnLink {
                    prefix,
                    prefix_length,
                    expires: deadline(now, v),
                });
                events.push(NdpHostEvent::OnLinkPrefixAdded {
                    prefix,
                    prefix_length,
                });
            }
        }
        Ok(())
    }

    /// RFC 4862 §5.5.3 d) and e).
    fn autoconf(
        &self,
        next: &mut Learned,
        events: &mut Vec<NdpHostEvent>,
        now: Instant,
        prefix: Ipv6Addr,
        valid: u32,
        preferred: u32,
    ) -> Result<(), NdpHostDropped> {
        let prefix = crate::wire::mask(prefix, 64);
        if let Some(a) = next.addresses.iter_mut().find(|a| a.prefix == prefix) {
            let received = Duration::from_secs(valid.into());
            let left = remaining(now, a.a.valid_until);
            if valid == u32::MAX || received > TWO_HOURS || received > left {
                a.a.valid_until = deadline(now, valid);
            } else if left > TWO_HOURS {
                a.a.valid_until = Some(now + TWO_HOURS);
            }
            a.a.preferred_until = deadline(now, preferred);
            let deprecated = preferred == 0;
            events.push(NdpHostEvent::AddressUpdated(a.a));
            if deprecated && !a.deprecated {
                events.push(NdpHostEvent::AddressDeprecated {
                    address: a.a.address,
                });
            }
            a.deprecated = deprecated;
            return Ok(());
        }
        if valid == 0 {
            return Ok(());
        }
        if next.addresses.len() >= self.cfg.max_addresses {
            return Err(NdpHostDropped::TableFull);
        }
        let c = &self.cfg;
        let Some((address, dad_counter)) =
            stable_address(prefix, &c.interface_name, &c.network_id, 0, &c.secret_key)
        else {
            return Ok(());
        };
        let a = NdpHostAddress {
            address,
            prefix_length: 64,
            valid_until: deadline(now, valid),
            preferred_until: deadline(now, preferred),
        };
        next.addresses.push(Addr {
            a,
            prefix,
            dad_counter,
            deprecated: preferred == 0,
        });
        events.push(NdpHostEvent::AddressAdded(a));
        Ok(())
    }

    /// DAD found `address` in use: remove it and form the next one (RFC
    /// 7217 §6), or give up after [`IDGEN_RETRIES`].
    pub fn dad_failed(
        &mut self,
        _now: Instant,
        address: Ipv6Addr,
    ) -> Result<(), NdpHostUnknownAddress> {
        let i = self
            .learned
            .addresses
            .iter()
            .position(|a| a.a.address == address)
            .ok_or(NdpHostUnknownAddress)?;
        let old = self.learned.addresses.remove(i);
        self.push_event(NdpHostEvent::AddressRemoved { address });
        let c = &self.cfg;
        let retry = old
            .dad_counter
            .checked_add(1)
            .filter(|n| *n <= IDGEN_RETRIES)
            .and_then(|n| {
                stable_address(
                    old.prefix,
                    &c.interface_name,
                    &c.network_id,
                    n,
                    &c.secret_key,
                )
            });
        match retry {
            Some((new, n)) if n <= IDGEN_RETRIES => {
                let a = NdpHostAddress {
                    address: new,
                    ..old.a
                };
                self.learned.addresses.push(Addr {
                    a,
                    dad_counter: n,
                    ..old
                });
                self.push_event(NdpHostEvent::AddressAdded(a));
            }
            _ => self.push_event(NdpHostEvent::AddressGenerationFailed { prefix: old.prefix }),
        }
        Ok(())
    }

    /// Lifetimes run out; RSs due. Harmless early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(t) = self.next_rs
            && now >= t
        {
            self.send_rs();
            self.rs_sent += 1;
            self.next_rs =
                (self.rs_sent < MAX_RTR_SOLICITATIONS).then(|| now + RTR_SOLICITATION_INTERVAL);
        }
        let mut events = Vec::new();
        let l = &mut self.learned;
        l.routers.retain(|r| {
            let keep = now < r.expires;
            if !keep {
                events.push(NdpHostEvent::RouterExpired { router: r.address });
            }
            keep
        });
        l.prefixes.retain(|p| {
            let keep = p.expires.is_none_or(|e| now < e);
            if !keep {
                events.push(NdpHostEvent::OnLinkPrefixExpired {
                    prefix: p.prefix,
                    prefix_length: p.prefix_length,
                });
            }
            keep
        });
        l.addresses.retain_mut(|a| {
            if a.a.valid_until.is_some_and(|e| now >= e) {
                events.push(NdpHostEvent::AddressRemoved {
                    address: a.a.address,
                });
                return false;
            }
            if !a.deprecated && a.a.preferred_until.is_some_and(|e| now >= e) {
                a.deprecated = true;
                events.push(NdpHostEvent::AddressDeprecated {
                    address: a.a.address,
                });
            }
            true
        });
        l.neighbours.retain(|n| now < n.expires);
        let before = l.dns.len();
        l.dns.retain(|d| d.1.is_none_or(|e| now < e));
        if l.dns.len() != before {
            events.push(NdpHostEvent::DnsServers(
                l.dns.iter().map(|d| d.0).collect(),
            ));
        }
        let before = l.search.len();
        l.search.retain(|d| d.1.is_none_or(|e| now < e));
        if l.search.len() != before {
            events.push(NdpHostEvent::DnsSearchList(
                l.search.iter().map(|d| d.0.clone()).collect(),
            ));
        }
        l.routes.retain(|r| {
            let keep = r.expires.is_none_or(|e| now < e);
            if !keep {
                events.push(NdpHostEvent::RouteExpired {
                    prefix: r.prefix,
                    prefix_length: r.prefix_length,
                    router: r.router,
                });
            }
            keep
        });
        if l.pref64.is_some_and(|p| now >= p.2) {
            l.pref64 = None;
            events.push(NdpHostEvent::Pref64Changed(None));
        }
        for e in events {
            self.push_event(e);
        }
    }

    fn send_rs(&mut self) {
        let mut options = Vec::new();
        if let Some(mac) = self.cfg.link_layer_address
            && !self.cfg.source.is_unspecified()
        {
            options.push(NdpOption::source_ethernet(mac));
        }
        let payload = NdpMessage::RouterSolicitation(RouterSolicitation {
            reserved: 0,
            options,
        })
        .to_vec(self.cfg.source, ALL_ROUTERS);
        self.transmits.push_back(Transmit {
            destination: ALL_ROUTERS,
            payload,
        });
        self.counters.transmitted += 1;
    }

    fn push_event(&mut self, e: NdpHostEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    /// The default routers, in the order learned.
    pub fn routers(&self) -> impl Iterator<Item = Ipv6Addr> + '_ {
        self.learned.routers.iter().map(|r| r.address)
    }

    /// The SLAAC addresses.
    pub fn addresses(&self) -> impl Iterator<Item = NdpHostAddress> + '_ {
        self.learned.addresses.iter().map(|a| a.a)
    }

    /// The on-link prefixes.
    pub fn on_link_prefixes(&self) -> impl Iterator<Item = (Ipv6Addr, u8)> + '_ {
        self.learned
            .prefixes
            .iter()
            .map(|p| (p.prefix, p.prefix_length))
    }

    /// A neighbour's link-layer address, if known.
    pub fn neighbour(&self, address: Ipv6Addr) -> Option<&[u8]> {
        self.learned
            .neighbours
            .iter()
            .find(|n| n.address == address)
            .map(|n| n.link_layer.as_slice())
    }

    /// The RDNSS servers now valid.
    pub fn dns_servers(&self) -> impl Iterator<Item = Ipv6Addr> + '_ {
        self.learned.dns.iter().map(|d| d.0)
    }

    /// The DNSSL domains now valid.
    pub fn search_domains(&self) -> impl Iterator<Item = &DomainName> + '_ {
        self.learned.search.iter().map(|d| &d.0)
    }

    /// The RFC 4191 routes: (prefix, length, router).
    pub fn routes(&self) -> impl Iterator<Item = (Ipv6Addr, u8, Ipv6Addr)> + '_ {
        self.learned
            .routes
            .iter()
            .map(|r| (r.prefix, r.prefix_length, r.router))
    }

    /// The NAT64 prefix and its length (RFC 8781), if one is valid.
    pub fn pref64(&self) -> Option<(Ipv6Addr, u8)> {
        self.learned.pref64.map(|(a, l, _)| (a, l))
    }

    /// The link MTU learned, if any.
    pub fn mtu(&self) -> Option<u32> {
        self.learned.mtu
    }

    /// The counters.
    pub fn counters(&self) -> &NdpHostCounters {
        &self.counters
    }

    /// The next RS (to [`ALL_ROUTERS`]).
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Ipv6Addr>> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<NdpHostEvent> {
        self.events.pop_front()
    }

    /// When to call [`NdpHost::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let l = &self.learned;
        let mut t = self.next_rs;
        let mut min = |x: Option<Instant>| {
            if let Some(x) = x {
                t = Some(t.map_or(x, |t| t.min(x)));
            }
        };
        l.routers.iter().for_each(|r| min(Some(r.expires)));
        l.prefixes.iter().for_each(|p| min(p.expires));
        for a in &l.addresses {
            min(a.a.valid_until);
            if !a.deprecated {
                min(a.a.preferred_until);
            }
        }
        l.neighbours.iter().for_each(|n| min(Some(n.expires)));
        l.dns.iter().for_each(|d| min(d.1));
        l.search.iter().for_each(|d| min(d.1));
        min(l.pref64.map(|p| p.2));
        l.routes.iter().for_each(|r| min(r.expires));
        t
    }
}
