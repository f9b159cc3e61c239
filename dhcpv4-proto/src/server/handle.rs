//! The server's message handlers (RFC 2131 §4.3).

use alloc::vec::Vec;
use core::net::SocketAddrV4;

use sansio_primitives::{Duration, Transmit};

use crate::lease::{Lease, LeaseState};
use crate::wire::{DHCP_CLIENT_PORT, DHCP_SERVER_PORT, Message, MessageType, Op};

use super::reply::{fill, nak, skeleton};
use super::{
    Dhcpv4Refusal, Dhcpv4Server, Dhcpv4ServerDestination, Dhcpv4ServerDropped, Dhcpv4ServerEvent,
    Offer,
};

/// The shortest lease granted when a client asks for less.
const MIN_LEASE_SECS: u32 = 10;

/// The client's key: option 61, else `htype` + `chaddr`.
fn client_key(m: &Message) -> Vec<u8> {
    match m.client_id() {
        Some(id) => id.to_vec(),
        None => {
            let mut k = Vec::with_capacity(17);
            k.push(m.htype);
            k.extend_from_slice(m.hardware_address());
            k
        }
    }
}

impl Dhcpv4Server {
    pub(super) fn dispatch(
        &mut self,
        interface: u32,
        datagram: &[u8],
    ) -> Result<(), Dhcpv4ServerDropped> {
        let req = Message::parse(datagram).map_err(Dhcpv4ServerDropped::Malformed)?;
        if req.op != Op::BootRequest {
            return Err(Dhcpv4ServerDropped::NotRequest);
        }
        let pool = self
            .pool_for(interface, &req)
            .ok_or(Dhcpv4ServerDropped::NoPool)?;
        let key = client_key(&req);
        self.rate_check(&key)?;
        if self.held.len() + self.ready.len() >= self.cfg.max_uncommitted
            || self.pending.len() >= self.cfg.max_uncommitted
        {
            return Err(Dhcpv4ServerDropped::Backlogged);
        }
        match req.message_type {
            MessageType::Discover => self.on_discover(interface, pool, &req, key),
            MessageType::Request => self.on_request(interface, pool, &req, key),
            MessageType::Decline => self.on_decline(pool, &req, key),
            MessageType::Release => self.on_release(pool, &req, key),
            MessageType::Inform => self.on_inform(interface, pool, &req),
            _ => Err(Dhcpv4ServerDropped::NotRequest),
        }
    }

    /// The pool for a message: by `giaddr` when relayed, else by the
    /// interface (and, among several pools there, by `ciaddr`).
    fn pool_for(&self, interface: u32, req: &Message) -> Option<usize> {
        if !req.giaddr.is_unspecified() {
            return self.pools.iter().position(|p| p.cfg.contains(req.giaddr));
        }
        let on_if = || {
            self.pools
                .iter()
                .enumerate()
                .filter(|(_, p)| p.cfg.interface == interface)
        };
        if !req.ciaddr.is_unspecified()
            && let Some((i, _)) = on_if().find(|(_, p)| p.cfg.contains(req.ciaddr))
        {
            return Some(i);
        }
        on_if().next().map(|(i, _)| i)
    }

    fn rate_check(&mut self, key: &[u8]) -> Result<(), Dhcpv4ServerDropped> {
        let now = self.now;
        let second = Duration::from_secs(1);
        if !self.rate.contains_key(key) && self.rate.len() >= self.cfg.max_tracked_clients {
            self.rate
                .retain(|_, (s, _)| now.saturating_duration_since(*s) < second);
            if self.rate.len() >= self.cfg.max_tracked_clients {
                return Err(Dhcpv4ServerDropped::RateLimited);
            }
        }
        // The key is copied only for a client not tracked yet.
        let e = match self.rate.get_mut(key) {
            Some(e) => e,
            None => self.rate.entry(key.to_vec()).or_insert((now, 0)),
        };
        if now.saturating_duration_since(e.0) >= second {
            *e = (now, 0);
        }
        if e.1 >= self.cfg.max_requests_per_second {
            return Err(Dhcpv4ServerDropped::RateLimited);
        }
        e.1 += 1;
        Ok(())
    }

    fn lease_secs(&self, req: &Message) -> u32 {
        let max = u32::try_from(self.cfg.lease_time.as_secs()).unwrap_or(u32::MAX);
        match req.lease_time() {
            Some(asked) if asked < max => asked.max(MIN_LEASE_SECS.min(max)),
            _ => max,
        }
    }

    /// RFC 2131 §4.1: relay, then `ciaddr`, then the broadcast bit, then
    /// the hardware address.
    fn destination(
        &self,
        interface: u32,
        req: &Message,
        reply: &Message,
    ) -> Dhcpv4ServerDestination {
        if !req.giaddr.is_unspecified() {
            Dhcpv4ServerDestination::Unicast {
                interface,
                address: SocketAddrV4::new(req.giaddr, DHCP_SERVER_PORT),
            }
        } else if reply.message_type == MessageType::Nak || req.broadcast() {
            Dhcpv4ServerDestination::Broadcast { interface }
        } else if !req.ciaddr.is_unspecified() {
            Dhcpv4ServerDestination::Unicast {
                interface,
                address: SocketAddrV4::new(req.ciaddr, DHCP_CLIENT_PORT),
            }
        } else {
            Dhcpv4ServerDestination::Link {
                interface,
                address: reply.yiaddr,
                hardware: req.chaddr,
            }
        }
    }

    fn send(&mut self, interface: u32, req: &Message, reply: Message, durable: bool) {
        let t = Transmit {
            destination: self.destination(interface, req, &reply),
            payload: reply.to_vec(),
        };
        if durable || !self.held.is_empty() {
            self.held.push_back(t);
        } else {
            self.ready.push_back(t);
        }
    }

    fn refuse(&mut self, interface: u32, reason: Dhcpv4Refusal) {
        self.event(Dhcpv4ServerEvent::Refused { interface, reason });
    }

    fn on_discover(
        &mut self,
        interface: u32,
        pool: usize,
        req: &Message,
        key: Vec<u8>,
    ) -> Result<(), Dhcpv4ServerDropped> {
        let now = self.now;
        let p = &self.pools[pool];
        let Some(addr) = p.choose(
            &key,
            req.hardware_address(),
            req.requested_ip(),
            now,
            self.cfg.server_id,
            &self.offers,
        ) else {
            self.refuse(interface, Dhcpv4Refusal::PoolExhausted);
            return Ok(());
        };
        let is_new = !p.leases.contains_key(&addr);
        if is_new
            && p.leases.len() >= p.cfg.max_leases
            && !p.leases.values().any(|l| !l.is_held(now))
        {
            self.refuse(interface, Dhcpv4Refusal::LeaseLimit);
            return Ok(());
        }
        // Drop this client's older offers, then the expired ones when full.
        self.offers.retain(|a, o| o.client != key || *a == addr);
        if !self.offers.contains_key(&addr) && self.offers.len() >= self.cfg.max_offers {
            self.offers.retain(|_, o| o.expires > now);
            if self.offers.len() >= self.cfg.max_offers {
                self.refuse(interface, Dhcpv4Refusal::OfferLimit);
                return Ok(());
            }
        }
        self.offers.insert(
            addr,
            Offer {
                client: key,
                expires: now + self.cfg.offer_hold,
            },
        );
        let mut m = skeleton(req, MessageType::Offer, self.cfg.server_id);
        m.yiaddr = addr;
        fill(
            req,
            &mut m,
            &self.pools[pool].cfg,
            Some(self.lease_secs(req)),
        );
        self.counters.offers += 1;
        self.send(interface, req, m, false);
        Ok(())
    }

    fn on_request(
        &mut self,
        interface: u32,
        pool: usize,
        req: &Message,
        key: Vec<u8>,
    ) -> Result<(), Dhcpv4ServerDropped> {
        let now = self.now;
        let selecting = req.server_id();
        if let Some(sid) = selecting
            && sid != self.cfg.server_id
        {
            // The client chose another server: forget our offer.
            self.offers.retain(|_, o| o.client != key);
            return Ok(());
        }
        let (addr, known_only) = match (selecting, req.requested_ip(), req.ciaddr) {
            // SELECTING: must name the address we offered (RFC 2131 §4.3.2).
            (Some(_), Some(a), _) => (a, false),
            (Some(_), None, c) if !c.is_unspecified() => (c, false),
            (Some(_), None, _) => return Err(Dhcpv4ServerDropped::Incomplete),
            // INIT-REBOOT.
            (None, Some(a), c) if c.is_unspecified() => (a, true),
            // RENEWING / REBINDING.
            (None, _, c) if !c.is_unspecified() => (c, true),
            (None, _, _) => return Err(Dhcpv4ServerDropped::Incomplete),
        };
        let p = &self.pools[pool];
        if !p.cfg.contains(addr) {
            return self.nak(interface, req, b"wrong network");
        }
        let hw = req.hardware_address();
        let ours = p
            .leases
            .get(&addr)
            .is_some_and(|l| l.client == key && l.state != LeaseState::Declined);
        let ok = p.available(addr, &key, hw, now, self.cfg.server_id, &self.offers, false);
        let reserved_elsewhere = p.reservation_for(&key, hw).is_some_and(|r| r != addr);
        if !ok || reserved_elsewhere {
            return self.nak(interface, req, b"address not available");
        }
        if known_only && !ours && !self.cfg.authoritative {
            // RFC 2131 §4.3.2: no record of this client, stay silent.
            return Ok(());
        }
        let secs = self.lease_secs(req);
        let is_new = !p.leases.contains_key(&addr);
        let p = &mut self.pools[pool];
        if is_new && !p.make_room(now) {
            self.refuse(interface, Dhcpv4Refusal::LeaseLimit);
            return self.nak(interface, req, b"no lease available");
        }
        let lease = Lease {
            address: addr,
            client: key.clone(),
            hardware: hw.to_vec(),
            hostname: req.host_name().map(<[u8]>::to_vec),
            expires: now + Duration::from_secs(u64::from(secs)),
            state: LeaseState::Bound,
        };
        if let Some(moved) = p.insert(lease.clone(), now) {
            self.pending.push(moved);
        }
        self.offers.retain(|_, o| o.client != key);
        self.pending.push(lease.clone());
        let mut m = skeleton(req, MessageType::Ack, self.cfg.server_id);
        m.yiaddr = addr;
        m.ciaddr = req.ciaddr;
        fill(req, &mut m, &self.pools[pool].cfg, Some(secs));
        self.counters.acks += 1;
        self.send(interface, req, m, true);
        self.event(Dhcpv4ServerEvent::Leased(lease));
        Ok(())
    }

    fn nak(
        &mut self,
        interface: u32,
        req: &Message,
        why: &[u8],
    ) -> Result<(), Dhcpv4ServerDropped> {
        let m = nak(req, self.cfg.server_id, why);
        self.counters.naks += 1;
        self.send(interface, req, m, false);
        Ok(())
    }

    fn on_decline(
        &mut self,
        pool: usize,
        req: &Message,
        key: Vec<u8>,
    ) -> Result<(), Dhcpv4ServerDropped> {
        if req.server_id() != Some(self.cfg.server_id) {
            return Err(Dhcpv4ServerDropped::NotOurs);
        }
        let addr = req.requested_ip().ok_or(Dhcpv4ServerDropped::Incomplete)?;
        let now = self.now;
        let p = &mut self.pools[pool];
        let offered = self.offers.get(&addr).is_some_and(|o| o.client == key);
        let leased = p.leases.get(&addr).is_some_and(|l| l.client == key);
        if !offered && !leased {
            return Err(Dhcpv4ServerDropped::NotOurs);
        }
        self.offers.remove(&addr);
        p.remove(addr);
        let q = Lease {
            address: addr,
            client: Vec::new(),
            hardware: Vec::new(),
            hostname: None,
            expires: now + self.cfg.decline_quarantine,
            state: LeaseState::Declined,
        };
        p.insert(q.clone(), now);
        self.pending.push(q);
        self.event(Dhcpv4ServerEvent::Declined(addr));
        Ok(())
    }

    fn on_release(
        &mut self,
        pool: usize,
        req: &Message,
        key: Vec<u8>,
    ) -> Result<(), Dhcpv4ServerDropped> {
        if req.server_id().is_some_and(|s| s != self.cfg.server_id) {
            return Err(Dhcpv4ServerDropped::NotOurs);
        }
        let now = self.now;
        let addr = req.ciaddr;
        let p = &mut self.pools[pool];
        let Some(l) = p
            .leases
            .get_mut(&addr)
            .filter(|l| l.client == key && l.state == LeaseState::Bound)
        else {
            return Err(Dhcpv4ServerDropped::NotOurs);
        };
        l.state = LeaseState::Released;
        l.expires = l.expires.min(now);
        let l = l.clone();
        self.pending.push(l);
        self.event(Dhcpv4ServerEvent::Released(addr));
        Ok(())
    }

    fn on_inform(
        &mut self,
        interface: u32,
        pool: usize,
        req: &Message,
    ) -> Result<(), Dhcpv4ServerDropped> {
        if req.ciaddr.is_unspecified() {
            return Err(Dhcpv4ServerDropped::Incomplete);
        }
        let mut m = skeleton(req, MessageType::Ack, self.cfg.server_id);
        m.ciaddr = req.ciaddr;
        fill(req, &mut m, &self.pools[pool].cfg, None);
        // RFC 2131 §4.3.5: unicast to ciaddr (never to a MAC, no lease).
        let mut req2 = req.clone();
        req2.flags = 0;
        self.send(interface, &req2, m, false);
        Ok(())
    }
}
