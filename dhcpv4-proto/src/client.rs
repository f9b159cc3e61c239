//! The DHCP client machine (RFC 2131 §4.4, figure 5).
//!
//! States INIT, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING and
//! INIT-REBOOT (when configured with a previous address). Retransmissions in
//! SELECTING, REQUESTING and INIT-REBOOT back off exponentially, 4 s, 8 s,
//! 16 s, 32 s, then 64 s, each randomised by ±1 s drawn from the injected
//! [`SeededRng`] (RFC 2131 §4.1). In RENEWING and REBINDING the REQUEST is
//! repeated after half the time left until T2 (resp. expiry), at least 60 s
//! (§4.4.5). Leaving REQUESTING after `requesting_attempts` unanswered
//! REQUESTs, or INIT-REBOOT after `init_reboot_attempts`, goes back to INIT.
//! The random 1–10 s wait before the first DISCOVER (§4.4.1) is left to the
//! driver.
//!
//! # Drain order
//!
//! After each `handle_*` call or command, drain [`Client::poll_transmit`]
//! then [`Client::poll_event`] until each returns `None`, and read
//! [`Client::poll_timeout`] last.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng, Transmit};

use crate::wire::{self, BROADCAST_FLAG, DhcpOption, Message, MessageType, Op, Route};

/// The client's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ClientConfig {
    /// Our Ethernet address (`chaddr`).
    pub hardware: [u8; 6],
    /// Option 61 to send; `None` sends none.
    pub client_id: Option<Vec<u8>>,
    /// Option 12 to send.
    pub hostname: Option<Vec<u8>>,
    /// Option 55: the options we ask for.
    pub requested_options: Vec<u8>,
    /// Our previous address: start in INIT-REBOOT with it.
    pub last_address: Option<Ipv4Addr>,
    /// Option 57 to send. Default 1500.
    pub max_message_size: Option<u16>,
    /// Ask servers to broadcast replies (needed by drivers whose socket
    /// cannot receive unicast before the address is configured). Default true.
    pub broadcast_flag: bool,
    /// REQUESTs sent in REQUESTING before going back to INIT. Default 4.
    pub requesting_attempts: u32,
    /// REQUESTs sent in INIT-REBOOT before going to INIT. Default 2.
    pub init_reboot_attempts: u32,
}

impl ClientConfig {
    /// Defaults as documented; client id `01:` + MAC; asks for mask, router,
    /// DNS, domain, MTU, domain search and classless routes.
    pub fn new(hardware: [u8; 6]) -> ClientConfig {
        let mut id = alloc::vec![1];
        id.extend_from_slice(&hardware);
        ClientConfig {
            hardware,
            client_id: Some(id),
            hostname: None,
            requested_options: alloc::vec![1, 3, 6, 15, 26, 119, 121],
            last_address: None,
            max_message_size: Some(1500),
            broadcast_flag: true,
            requesting_attempts: 4,
            init_reboot_attempts: 2,
        }
    }
}

/// Where a client message goes (UDP port 67).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ClientDestination {
    /// 255.255.255.255.
    Broadcast,
    /// The server, unicast (RENEWING, RELEASE).
    Unicast(Ipv4Addr),
}

/// The configuration a lease gives.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Binding {
    /// Our address.
    pub address: Ipv4Addr,
    /// The subnet mask (option 1).
    pub mask: Option<Ipv4Addr>,
    /// Routers (option 3).
    pub router: Vec<Ipv4Addr>,
    /// DNS servers (option 6).
    pub dns: Vec<Ipv4Addr>,
    /// Domain name (option 15).
    pub domain: Option<Vec<u8>>,
    /// Interface MTU (option 26).
    pub mtu: Option<u16>,
    /// Classless static routes (option 121).
    pub routes: Vec<Route>,
    /// Lease duration.
    pub lease: Duration,
    /// The server that granted it.
    pub server: Ipv4Addr,
}

/// Why a lease ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LostReason {
    /// It expired without renewal.
    Expired,
    /// A server NAKed it.
    Nak,
    /// We declined it (address in use).
    Declined,
    /// We released it.
    Released,
}

/// What the application must act on.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ClientEvent {
    /// A new lease: configure the interface.
    Bound(Binding),
    /// The lease was extended (in RENEWING or REBINDING).
    Renewed(Binding),
    /// The lease is gone: deconfigure the address.
    Lost {
        /// Why.
        reason: LostReason,
    },
}

/// Why an input was dropped (counted; state unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ClientDropped {
    /// Did not parse.
    #[error("malformed: {0}")]
    Malformed(wire::Error),
    /// Not a BOOTREPLY for our transaction and hardware address.
    #[error("not for us")]
    NotOurs,
    /// A reply we do not expect in this state (or without a server id or
    /// lease time where one is required).
    #[error("unexpected in this state")]
    Unexpected,
}

/// A command given in a state where it means nothing.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("no lease to act on")]
pub struct NoLease;

/// The RFC 2131 client states.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ClientState {
    /// Waiting to send a DISCOVER.
    Init,
    /// DISCOVER sent, waiting for an OFFER.
    Selecting,
    /// REQUEST sent for an OFFER.
    Requesting,
    /// REQUEST for the previous address sent.
    InitReboot,
    /// Leased.
    Bound,
    /// Extending with the granting server (unicast).
    Renewing,
    /// Extending with any server (broadcast).
    Rebinding,
    /// Released; stays idle.
    Released,
}

#[derive(Clone, Copy, Debug)]
struct Times {
    t1: Instant,
    t2: Instant,
    expiry: Instant,
}

/// The DHCP client machine. See the [module docs](self).
#[derive(Debug)]
pub struct Client {
    cfg: ClientConfig,
    rng: SeededRng,
    state: ClientState,
    xid: u32,
    started: Instant,
    lease_base: Instant,
    attempts: u32,
    deadline: Option<Instant>,
    offered: Option<(Ipv4Addr, Ipv4Addr)>,
    binding: Option<Binding>,
    times: Option<Times>,
    transmits: VecDeque<Transmit<ClientDestination>>,
    events: VecDeque<ClientEvent>,
    dropped: u64,
}

const MAX_QUEUE: usize = 16;

impl Client {
    /// A client that starts at once: a DISCOVER (or, with a last address,
    /// an INIT-REBOOT REQUEST) is ready in `poll_transmit`.
    pub fn new(cfg: ClientConfig, rng: SeededRng, now: Instant) -> Client {
        let mut c = Client {
            cfg,
            rng,
            state: ClientState::Init,
            xid: 0,
            started: now,
            lease_base: now,
            attempts: 0,
            deadline: None,
            offered: None,
            binding: None,
            times: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            dropped: 0,
        };
        match c.cfg.last_address {
            Some(a) => {
                c.new_xid(now);
                c.state = ClientState::InitReboot;
                c.offered = Some((a, Ipv4Addr::UNSPECIFIED));
                c.send_request(now);
            }
            None => c.discover(now),
        }
        c
    }

    /// The current state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The current lease, if bound (or renewing/rebinding).
    pub fn binding(&self) -> Option<&Binding> {
        self.binding.as_ref()
    }

    /// Inputs dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn new_xid(&mut self, now: Instant) {
        self.xid = self.rng.next_u32();
        self.started = now;
        self.attempts = 0;
    }

    /// The RFC 2131 §4.1 backoff: 4 s doubling to 64 s, ±1 s uniform.
    fn backoff(&mut self, now: Instant) -> Instant {
        let base = 4u64 << self.attempts.saturating_sub(1).min(4);
        let jitter = u64::from(self.rng.below(2001));
        now + Duration::from_millis(base * 1000 + jitter) - Duration::from_millis(1000)
    }

    fn message(&self, now: Instant, t: MessageType) -> Message {
        let mut m = Message::new(Op::BootRequest, t, self.xid, self.cfg.hardware);
        m.secs = u16::try_from(now.saturating_duration_since(self.started).as_secs())
            .unwrap_or(u16::MAX);
        if self.cfg.broadcast_flag && matches!(t, MessageType::Discover | MessageType::Request) {
            m.flags = BROADCAST_FLAG;
        }
        if let Some(id) = &self.cfg.client_id {
            m.options.push(DhcpOption::ClientIdentifier(id.clone()));
        }
        if matches!(t, MessageType::Discover | MessageType::Request) {
            if let Some(s) = self.cfg.max_message_size {
                m.options.push(DhcpOption::MaxMessageSize(s));
            }
            if let Some(h) = &self.cfg.hostname {
                m.options.push(DhcpOption::HostName(h.clone()));
            }
            if !self.cfg.requested_options.is_empty() {
                m.options.push(DhcpOption::ParameterRequestList(
                    self.cfg.requested_options.clone(),
                ));
            }
        }
        m
    }

    fn push(&mut self, destination: ClientDestination, m: &Message) {
        if self.transmits.len() < MAX_QUEUE {
            self.transmits.push_back(Transmit {
                destination,
                payload: m.to_bytes(),
            });
        }
    }

    fn event(&mut self, e: ClientEvent) {
        if self.events.len() >= MAX_QUEUE {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn discover(&mut self, now: Instant) {
        self.new_xid(now);
        self.state = ClientState::Selecting;
        self.offered = None;
        self.send_discover(now);
    }

    fn send_discover(&mut self, now: Instant) {
        self.attempts += 1;
        let m = self.message(now, MessageType::Discover);
        self.push(ClientDestination::Broadcast, &m);
        self.deadline = Some(self.backoff(now));
    }

    /// A REQUEST for the state we are in.
    fn send_request(&mut self, now: Instant) {
        self.attempts += 1;
        if self.attempts == 1 {
            // Lease times count from the first REQUEST (RFC 2131 §4.4.1);
            // in REBINDING this stays the RENEWING one (earlier: safe).
            self.lease_base = now;
        }
        let mut m = self.message(now, MessageType::Request);
        let mut dest = ClientDestination::Broadcast;
        match self.state {
            ClientState::Requesting => {
                if let Some((a, s)) = self.offered {
                    m.options.push(DhcpOption::RequestedIpAddress(a));
                    m.options.push(DhcpOption::ServerIdentifier(s));
                }
                self.deadline = Some(self.backoff(now));
            }
            ClientState::InitReboot => {
                if let Some((a, _)) = self.offered {
                    m.options.push(DhcpOption::RequestedIpAddress(a));
                }
                self.deadline = Some(self.backoff(now));
            }
            ClientState::Renewing | ClientState::Rebinding => {
                let (Some(b), Some(t)) = (&self.binding, self.times) else {
                    return;
                };
                m.ciaddr = b.address;
                m.flags = 0;
                let until = if self.state == ClientState::Renewing {
                    dest = ClientDestination::Unicast(b.server);
                    t.t2
                } else {
                    t.expiry
                };
                let half = until.saturating_duration_since(now) / 2;
                self.deadline = Some((now + half.max(Duration::from_secs(60))).min(until));
            }
            _ => return,
        }
        self.push(dest, &m);
    }

    /// Handles one datagram received on port 68.
    pub fn handle_input(&mut self, now: Instant, datagram: &[u8]) -> Result<(), ClientDropped> {
        let r = self.input(now, datagram);
        if r.is_err() {
            self.dropped += 1;
        }
        r
    }

    fn input(&mut self, now: Instant, datagram: &[u8]) -> Result<(), ClientDropped> {
        let m = Message::parse(datagram).map_err(ClientDropped::Malformed)?;
        if m.op != Op::BootReply || m.xid != self.xid || m.chaddr[..6] != self.cfg.hardware {
            return Err(ClientDropped::NotOurs);
        }
        use ClientState::*;
        match (self.state, m.message_type) {
            (Selecting, MessageType::Offer) => {
                let sid = m.server_id().ok_or(ClientDropped::Unexpected)?;
                if m.yiaddr.is_unspecified() {
                    return Err(ClientDropped::Unexpected);
                }
                self.offered = Some((m.yiaddr, sid));
                self.state = Requesting;
                self.attempts = 0;
                self.send_request(now);
                Ok(())
            }
            (Requesting | InitReboot | Renewing | Rebinding, MessageType::Ack) => {
                self.on_ack(now, &m)
            }
            (Requesting | InitReboot | Renewing | Rebinding, MessageType::Nak) => {
                if self.state == Requesting
                    && let (Some((_, s)), Some(n)) = (self.offered, m.server_id())
                    && s != n
                {
                    return Err(ClientDropped::Unexpected);
                }
                if self.binding.take().is_some() || self.state == InitReboot {
                    self.event(ClientEvent::Lost {
                        reason: LostReason::Nak,
                    });
                }
                self.times = None;
                self.discover(now);
                Ok(())
            }
            _ => Err(ClientDropped::Unexpected),
        }
    }

    fn on_ack(&mut self, now: Instant, m: &Message) -> Result<(), ClientDropped> {
        let secs = m.lease_time().ok_or(ClientDropped::Unexpected)?;
        let server = m
            .server_id()
            .or(self.offered.map(|o| o.1))
            .ok_or(ClientDropped::Unexpected)?;
        if m.yiaddr.is_unspecified() {
            return Err(ClientDropped::Unexpected);
        }
        if self.state == ClientState::Requesting && self.offered.is_some_and(|(a, _)| a != m.yiaddr)
        {
            return Err(ClientDropped::Unexpected);
        }
        let lease = Duration::from_secs(u64::from(secs));
        let mut t1 = m
            .renewal_time()
            .map_or(lease / 2, |s| Duration::from_secs(u64::from(s)));
        let mut t2 = m
            .rebinding_time()
            .map_or(lease * 7 / 8, |s| Duration::from_secs(u64::from(s)));
        if t2 > lease || t2 == Duration::ZERO {
            t2 = lease * 7 / 8;
        }
        if t1 > t2 || t1 == Duration::ZERO {
            t1 = t2.min(lease / 2);
        }
        let base = self.lease_base;
        let times = Times {
            t1: base + t1,
            t2: base + t2,
            expiry: base + lease,
        };
        let b = Binding {
            address: m.yiaddr,
            mask: m.subnet_mask(),
            router: m.routers().to_vec(),
            dns: m.dns_servers().to_vec(),
            domain: m.domain_name().map(<[u8]>::to_vec),
            mtu: m.interface_mtu(),
            routes: m.classless_routes().to_vec(),
            lease,
            server,
        };
        let renewed = matches!(self.state, ClientState::Renewing | ClientState::Rebinding)
            && self
                .binding
                .as_ref()
                .is_some_and(|old| old.address == b.address);
        self.binding = Some(b.clone());
        self.times = Some(times);
        self.state = ClientState::Bound;
        self.deadline = Some(times.t1.max(now));
        self.event(if renewed {
            ClientEvent::Renewed(b)
        } else {
            ClientEvent::Bound(b)
        });
        Ok(())
    }

    /// Acts on the deadline if it has passed; harmless when early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(d) = self.deadline else { return };
        if now < d {
            return;
        }
        use ClientState::*;
        match self.state {
            Init => self.discover(now),
            Selecting => self.send_discover(now),
            Requesting | InitReboot => {
                let max = if self.state == Requesting {
                    self.cfg.requesting_attempts
                } else {
                    self.cfg.init_reboot_attempts
                };
                if self.attempts >= max {
                    self.discover(now);
                } else {
                    self.send_request(now);
                }
            }
            Bound | Renewing | Rebinding => {
                let Some(t) = self.times else {
                    self.discover(now);
                    return;
                };
                if now >= t.expiry {
                    self.binding = None;
                    self.times = None;
                    self.event(ClientEvent::Lost {
                        reason: LostReason::Expired,
                    });
                    self.discover(now);
                    return;
                }
                if self.state != Rebinding && now >= t.t2 {
                    self.state = Rebinding;
                } else if self.state == Bound {
                    self.state = Renewing;
                    self.new_xid(now);
                }
                self.send_request(now);
            }
            Released => self.deadline = None,
        }
    }

    /// The application found the address in use (ARP): send a DECLINE and
    /// start over after 10 s (RFC 2131 §3.1 step 5).
    pub fn decline(&mut self, now: Instant) -> Result<(), NoLease> {
        let b = self.binding.take().ok_or(NoLease)?;
        let mut m = self.message(now, MessageType::Decline);
        m.options.push(DhcpOption::RequestedIpAddress(b.address));
        m.options.push(DhcpOption::ServerIdentifier(b.server));
        self.push(ClientDestination::Broadcast, &m);
        self.event(ClientEvent::Lost {
            reason: LostReason::Declined,
        });
        self.times = None;
        self.state = ClientState::Init;
        self.deadline = Some(now + Duration::from_secs(10));
        Ok(())
    }

    /// Gives the lease back (unicast RELEASE) and stays idle.
    pub fn release(&mut self, now: Instant) -> Result<(), NoLease> {
        let b = self.binding.take().ok_or(NoLease)?;
        self.new_xid(now);
        let mut m = self.message(now, MessageType::Release);
        m.ciaddr = b.address;
        m.options.push(DhcpOption::ServerIdentifier(b.server));
        self.push(ClientDestination::Unicast(b.server), &m);
        self.event(ClientEvent::Lost {
            reason: LostReason::Released,
        });
        self.times = None;
        self.state = ClientState::Released;
        self.deadline = None;
        Ok(())
    }

    /// Starts over from INIT (after a release, or a link change).
    pub fn restart(&mut self, now: Instant) {
        if self.binding.take().is_some() {
            self.event(ClientEvent::Lost {
                reason: LostReason::Released,
            });
        }
        self.times = None;
        self.discover(now);
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit<ClientDestination>> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When to call [`Client::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
}
