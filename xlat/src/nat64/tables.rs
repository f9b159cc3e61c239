//! RFC 6146's Binding Information Base and session table, bounded, with
//! the RFC's lifetimes; [`super::Nat64`] drives them with the tuples of
//! the packets it translates (they can also be driven alone).
//!
//! - **BIB** (§3.1): per protocol, an IPv6 transport address (address and
//!   port, or ICMP identifier) ↔ an IPv4 one from pool4. Endpoint-independent
//!   mapping (§3.5.1.1, RFC 4787 REQ-1): one IPv6 transport address keeps
//!   its IPv4 one whatever the destination.
//! - **Sessions** (§3.2): one per (IPv6 source, IPv4 destination) transport
//!   address pair, with an expiry. Address-dependent filtering (§3.5.2.2,
//!   RFC 4787 REQ-8): an IPv4 packet to a BIB entry is let in only when a
//!   session with that remote *address* exists. ICMP query sessions key
//!   the remote with identifier 0 (the identifier is the BIB's).
//! - **Lifetimes** (§4): UDP 5 min, TCP established 2 h 4 min, TCP
//!   transitory 4 min, ICMP query 60 s ([`Nat64Timeouts::RFC6146`]). A BIB
//!   entry goes with its last session.
//! - **Bounds**: `max_bib_entries` and `max_sessions`; at the bound the
//!   packet is dropped ([`Nat64Dropped::BibFull`] /
//!   [`Nat64Dropped::SessionTableFull`]) and nothing changes.
//! - **TCP** (§3.5.2.2): the session state machine (CLOSED, V4/V6 INIT,
//!   ESTABLISHED, V4/V6 FIN RCV, V4 FIN + V6 FIN RCV, TRANS) from the
//!   segment's SYN/FIN/RST, choosing TCP_TRANS or TCP_EST; a segment other
//!   than a SYN without a session is dropped.
//!
//! Not yet: storing an unsolicited IPv4 SYN for 6 s (simultaneous open,
//! §3.5.2.2: it is filtered instead), the §3.5.1.1 port parity/range
//! preservation (ports are taken from pool4 from a random start).
//!
//! Drain order: after `outbound`/`inbound`/`handle_timeout`, read
//! `poll_timeout` for the next expiry.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use sansio_primitives::{Instant, SeededRng};

pub(crate) use super::tcp::Side;
use super::tcp::tcp_step;
pub use super::tcp::{TcpFlags, TcpState};
pub use super::types::{
    Nat64ConfigError, Nat64Counters, Nat64Dropped, Nat64Protocol, Nat64TablesConfig, Nat64Timeouts,
    Pool4Range, TransportAddr4, TransportAddr6,
};

type SessionKey = (Nat64Protocol, TransportAddr6, TransportAddr4);

#[derive(Clone, Copy, Debug)]
struct Session {
    expires: Instant,
    /// TCP only (§3.5.2.2); `Closed` for UDP and ICMP.
    tcp: TcpState,
}

/// What a packet will do to the tables once it is translated (see
/// `Nat64Tables::plan_outbound`).
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) protocol: Nat64Protocol,
    /// The IPv6 host's transport address.
    pub(crate) v6: TransportAddr6,
    /// Its pool4 transport address.
    pub(crate) v4: TransportAddr4,
    /// The IPv4 remote's.
    pub(crate) remote: TransportAddr4,
    side: Side,
    new_session: bool,
    /// A new BIB entry, with the generator as its port draw left it.
    new_bib: Option<SeededRng>,
}

impl Plan {
    fn key(&self) -> SessionKey {
        (self.protocol, self.v6, self.remote)
    }
}

/// The BIB and session tables.
#[derive(Debug)]
pub struct Nat64Tables {
    config: Nat64TablesConfig,
    rng: SeededRng,
    bib6: BTreeMap<(Nat64Protocol, TransportAddr6), TransportAddr4>,
    bib4: BTreeMap<(Nat64Protocol, TransportAddr4), TransportAddr6>,
    sessions: BTreeMap<SessionKey, Session>,
    /// (IPv4 side of the BIB entry, remote IPv4) → session: for inbound.
    sessions4: BTreeMap<(Nat64Protocol, TransportAddr4, TransportAddr4), TransportAddr6>,
    expiries: BTreeSet<(Instant, SessionKey)>,
    counters: Nat64Counters,
}

impl Nat64Tables {
    /// Empty tables; `rng` picks where port allocation starts. No timer
    /// runs until the first session (`now` only anchors the clock).
    pub fn new(
        config: Nat64TablesConfig,
        rng: SeededRng,
        _now: Instant,
    ) -> Result<Nat64Tables, Nat64ConfigError> {
        if config.pool4.is_empty() || config.pool4.iter().any(|r| r.first_port > r.last_port) {
            return Err(Nat64ConfigError::BadPool4);
        }
        if config.max_bib_entries == 0 || config.max_sessions == 0 {
            return Err(Nat64ConfigError::ZeroBound);
        }
        Ok(Nat64Tables {
            config,
            rng,
            bib6: BTreeMap::new(),
            bib4: BTreeMap::new(),
            sessions: BTreeMap::new(),
            sessions4: BTreeMap::new(),
            expiries: BTreeSet::new(),
            counters: Nat64Counters::default(),
        })
    }

    /// The counters.
    pub fn counters(&self) -> &Nat64Counters {
        &self.counters
    }

    pub(crate) fn counters_mut(&mut self) -> &mut Nat64Counters {
        &mut self.counters
    }

    /// BIB entries (all protocols).
    pub fn bib_len(&self) -> usize {
        self.bib6.len()
    }

    /// Sessions (all protocols).
    pub fn session_len(&self) -> usize {
        self.sessions.len()
    }

    /// The IPv4 transport address bound to `src`, if any.
    pub fn binding(&self, protocol: Nat64Protocol, src: TransportAddr6) -> Option<TransportAddr4> {
        self.bib6.get(&(protocol, src)).copied()
    }

    /// The next session expiry.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expiries.first().map(|(t, _)| *t)
    }

    /// Expires every session due at `now`, and the BIB entries left
    /// without a session. Harmless when early or repeated.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&(t, key)) = self.expiries.first() {
            if t > now {
                break;
            }
            self.expiries.pop_first();
            self.remove_session(key);
            self.counters.sessions_expired += 1;
        }
    }

    /// RFC 6146 §3.5.1 / §3.5.2.1: an IPv6 packet from `src` to the IPv4
    /// transport address `dst` (the destination already taken out of its
    /// pool6 form): its BIB entry found or made, its session found or made
    /// and refreshed. Returns the IPv4 source transport address.
    pub fn outbound(
        &mut self,
        now: Instant,
        protocol: Nat64Protocol,
        src: TransportAddr6,
        dst: TransportAddr4,
        tcp: TcpFlags,
    ) -> Result<TransportAddr4, Nat64Dropped> {
        match self.plan_outbound(protocol, src, dst, tcp) {
            Ok(plan) => Ok(self.commit(now, plan, tcp).v4),
            Err(d) => {
                self.count(d);
                Err(d)
            }
        }
    }

    /// What [`Nat64Tables::outbound`] would do, changing nothing: the
    /// packet is translated first and the plan committed only when that
    /// succeeds, so a drop leaves the tables as they were.
    pub(crate) fn plan_outbound(
        &self,
        protocol: Nat64Protocol,
        src: TransportAddr6,
        dst: TransportAddr4,
        tcp: TcpFlags,
    ) -> Result<Plan, Nat64Dropped> {
        let existing = self.bib6.get(&(protocol, src)).copied();
        let mut plan = Plan {
            protocol,
            v6: src,
            v4: (Ipv4Addr::UNSPECIFIED, 0),
            remote: dst,
            side: Side::V6,
            new_session: false,
            new_bib: None,
        };
        if let Some(v4) = existing {
            plan.v4 = v4;
            if self.sessions.contains_key(&plan.key()) {
                return Ok(plan);
            }
        }
        if protocol == Nat64Protocol::Tcp && !tcp.syn {
            return Err(Nat64Dropped::TcpNotSyn);
        }
        if existing.is_none() && self.bib6.len() >= self.config.max_bib_entries {
            return Err(Nat64Dropped::BibFull);
        }
        if self.sessions.len() >= self.config.max_sessions {
            return Err(Nat64Dropped::SessionTableFull);
        }
        if existing.is_none() {
            let (v4, rng) = self
                .free_port(protocol)
                .ok_or(Nat64Dropped::Pool4Exhausted)?;
            plan.v4 = v4;
            plan.new_bib = Some(rng);
        }
        plan.new_session = true;
        Ok(plan)
    }

    /// RFC 6146 §3.5.1.2 / §3.5.2.2: an IPv4 packet from `src` to pool4's
    /// `dst`: let in only with a BIB entry and a session with `src`'s
    /// address (address-dependent filtering); a session to a new port of
    /// that address is made. Returns the IPv6 destination transport address.
    pub fn inbound(
        &mut self,
        now: Instant,
        protocol: Nat64Protocol,
        src: TransportAddr4,
        dst: TransportAddr4,
        tcp: TcpFlags,
    ) -> Result<TransportAddr6, Nat64Dropped> {
        match self.plan_inbound(protocol, src, dst, tcp) {
            Ok(plan) => Ok(self.commit(now, plan, tcp).v6),
            Err(d) => {
                self.count(d);
                Err(d)
            }
        }
    }

    /// What [`Nat64Tables::inbound`] would do, changing nothing.
    pub(crate) fn plan_inbound(
        &self,
        protocol: Nat64Protocol,
        src: TransportAddr4,
        dst: TransportAddr4,
        tcp: TcpFlags,
    ) -> Result<Plan, Nat64Dropped> {
        let v6 = *self
            .bib4
            .get(&(protocol, dst))
            .ok_or(Nat64Dropped::NoBinding)?;
        let mut plan = Plan {
            protocol,
            v6,
            v4: dst,
            remote: src,
            side: Side::V4,
            new_session: false,
            new_bib: None,
        };
        if self.sessions.contains_key(&plan.key()) {
            return Ok(plan);
        }
        if protocol == Nat64Protocol::Tcp && !tcp.syn {
            return Err(Nat64Dropped::TcpNotSyn);
        }
        let lo = (protocol, dst, (src.0, 0));
        let hi = (protocol, dst, (src.0, u16::MAX));
        if self.sessions4.range(lo..=hi).next().is_none() {
            return Err(Nat64Dropped::Filtered);
        }
        if self.sessions.len() >= self.config.max_sessions {
            return Err(Nat64Dropped::SessionTableFull);
        }
        plan.new_session = true;
        Ok(plan)
    }

    /// Carries out a plan made by `plan_outbound`/`plan_inbound` on the
    /// tables as they still are: the BIB entry and session made, the
    /// session refreshed by the packet (`tcp`: its flags).
    pub(crate) fn commit(&mut self, now: Instant, plan: Plan, tcp: TcpFlags) -> Plan {
        let key = plan.key();
        if let Some(rng) = plan.new_bib.clone() {
            self.rng = rng;
            self.bib6.insert((plan.protocol, plan.v6), plan.v4);
            self.bib4.insert((plan.protocol, plan.v4), plan.v6);
            self.counters.bib_created += 1;
        }
        if plan.new_session {
            let session = Session {
                expires: now,
                tcp: TcpState::Closed,
            };
            self.sessions.insert(key, session);
            self.sessions4
                .insert((plan.protocol, plan.v4, plan.remote), plan.v6);
            self.expiries.insert((now, key));
            self.counters.sessions_created += 1;
        }
        self.refresh(now, key, plan.side, tcp);
        plan
    }

    /// The IPv6 transport address bound to pool4's `v4`, if any.
    pub fn binding4(&self, protocol: Nat64Protocol, v4: TransportAddr4) -> Option<TransportAddr6> {
        self.bib4.get(&(protocol, v4)).copied()
    }

    /// Whether `a` is one of pool4's addresses.
    pub fn is_pool4(&self, a: Ipv4Addr) -> bool {
        self.config.pool4.iter().any(|r| r.address == a)
    }

    /// The BIB: (protocol, IPv6 transport address, IPv4 one), in order.
    pub fn bib(
        &self,
    ) -> impl Iterator<Item = (Nat64Protocol, TransportAddr6, TransportAddr4)> + '_ {
        self.bib6.iter().map(|(&(p, v6), &v4)| (p, v6, v4))
    }

    /// The sessions: (protocol, IPv6 host, remote IPv4, TCP state,
    /// expiry), in order.
    pub fn sessions(
        &self,
    ) -> impl Iterator<
        Item = (
            Nat64Protocol,
            TransportAddr6,
            TransportAddr4,
            TcpState,
            Instant,
        ),
    > + '_ {
        self.sessions
            .iter()
            .map(|(&(p, v6, v4), s)| (p, v6, v4, s.tcp, s.expires))
    }

    /// §4: a session's lifetime restarts with each packet; TCP's per the
    /// §3.5.2.2 state machine.
    fn refresh(&mut self, now: Instant, key: SessionKey, side: Side, tcp: TcpFlags) {
        let t = self.config.timeouts;
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        let lifetime = match key.0 {
            Nat64Protocol::Udp => t.udp,
            Nat64Protocol::Icmp => t.icmp,
            Nat64Protocol::Tcp => {
                let (state, lifetime) = tcp_step(s.tcp, side, tcp);
                s.tcp = state;
                match lifetime {
                    Some(true) => t.tcp_established,
                    Some(false) => t.tcp_transitory,
                    None => return,
                }
            }
        };
        let old = s.expires;
        s.expires = now + lifetime;
        let new = s.expires;
        self.expiries.remove(&(old, key));
        self.expiries.insert((new, key));
    }

    /// The TCP state of the session `src` ↔ `dst`, if there is one.
    pub fn tcp_state(&self, src: TransportAddr6, dst: TransportAddr4) -> Option<TcpState> {
        self.sessions
            .get(&(Nat64Protocol::Tcp, src, dst))
            .map(|s| s.tcp)
    }

    fn remove_session(&mut self, key: SessionKey) {
        let (protocol, src6, dst4) = key;
        self.sessions.remove(&key);
        let Some(&v4) = self.bib6.get(&(protocol, src6)) else {
            return;
        };
        self.sessions4.remove(&(protocol, v4, dst4));
        // The BIB entry goes with its last session.
        let lo = (protocol, src6, (Ipv4Addr::UNSPECIFIED, 0));
        let hi = (protocol, src6, (Ipv4Addr::BROADCAST, u16::MAX));
        if self.sessions.range(lo..=hi).next().is_none() {
            self.bib6.remove(&(protocol, src6));
            self.bib4.remove(&(protocol, v4));
        }
    }

    /// A free pool4 transport address for `protocol`, probing from a
    /// random start (bounded by the pool's size).
    fn free_port(&self, protocol: Nat64Protocol) -> Option<(TransportAddr4, SeededRng)> {
        let sizes: Vec<u32> = self
            .config
            .pool4
            .iter()
            .map(|r| u32::from(r.last_port - r.first_port) + 1)
            .collect();
        let total: u32 = sizes.iter().sum();
        // Drawn from a copy, kept only on success: a drop leaves even the
        // generator as it was.
        let mut rng = self.rng.clone();
        let start = rng.below(total);
        for i in 0..total {
            let mut n = (start + i) % total;
            for (range, &size) in self.config.pool4.iter().zip(&sizes) {
                if n < size {
                    let ta = (range.address, range.first_port + n as u16);
                    if !self.bib4.contains_key(&(protocol, ta)) {
                        return Some((ta, rng));
                    }
                    break;
                }
                n -= size;
            }
        }
        None
    }

    pub(crate) fn count(&mut self, d: Nat64Dropped) {
        *self.counter(d) += 1;
    }

    fn counter(&mut self, d: Nat64Dropped) -> &mut u64 {
        let c = &mut self.counters;
        match d {
            Nat64Dropped::BibFull => &mut c.bib_full,
            Nat64Dropped::SessionTableFull => &mut c.session_table_full,
            Nat64Dropped::Pool4Exhausted => &mut c.pool4_exhausted,
            Nat64Dropped::NoBinding => &mut c.no_binding,
            Nat64Dropped::Filtered => &mut c.filtered,
            Nat64Dropped::TcpNotSyn => &mut c.tcp_not_syn,
            Nat64Dropped::Xlat(_) => &mut c.xlat_dropped,
            Nat64Dropped::UnsupportedProtocol => &mut c.unsupported_protocol,
            Nat64Dropped::Fragment => &mut c.fragment,
            Nat64Dropped::NotPool4 => &mut c.not_pool4,
            Nat64Dropped::IcmpErrorRateLimited => &mut c.icmp_error_rate_limited,
        }
    }
}
