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
//! After each `handle_*` call or command, drain [`Dhcpv4Client::poll_transmit`]
//! then [`Dhcpv4Client::poll_event`] until each returns `None`, and read
//! [`Dhcpv4Client::poll_timeout`] last.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng, Transmit};

use crate::wire::{self, BROADCAST_FLAG, DhcpOption, Message, MessageType, Op, Route};

/// The client's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv4ClientConfig {
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

impl Dhcpv4ClientConfig {
    /// Defaults as documented; client id `01:` + MAC; asks for mask, router,
    /// DNS, domain, MTU, domain search and classless routes.
    pub fn new(hardware: [u8; 6]) -> Dhcpv4ClientConfig {
        let mut id = alloc::vec![1];
        id.extend_from_slice(&hardware);
        Dhcpv4ClientConfig {
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
pub enum Dhcpv4ClientDestination {
    /// 255.255.255.255.
    Broadcast,
    /// The server, unicast (RENEWING, RELEASE).
    Unicast(Ipv4Addr),
}

/// The configuration a lease gives.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv4Binding {
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
pub enum Dhcpv4LostReason {
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
pub enum Dhcpv4ClientEvent {
    /// A new lease: configure the interface.
    Bound(Dhcpv4Binding),
    /// The lease was extended (in RENEWING or REBINDING).
    Renewed(Dhcpv4Binding),
    /// The lease is gone: deconfigure the address.
    Lost {
        /// Why.
        reason: Dhcpv4LostReason,
    },
}

/// Why an input was dropped (counted; state unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv4ClientDropped {
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

/// Counters: one per [`Dhcpv4ClientDropped`] reason, plus datagrams in
/// and out.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Dhcpv4ClientCounters {
    /// Datagrams handed to `handle_input`.
    pub received: u64,
    /// Datagrams handed out by `poll_transmit`.
    pub transmitted: u64,
    /// Dropped: did not parse.
    pub malformed: u64,
    /// Dropped: not for our transaction and hardware address.
    pub not_ours: u64,
    /// Dropped: unexpected in this state.
    pub unexpected: u64,
}

impl Dhcpv4ClientCounters {
    fn count(&mut self, d: Dhcpv4ClientDropped) {
        use Dhcpv4ClientDropped as D;
        *match d {
            D::Malformed(_) => &mut self.malformed,
            D::NotOurs => &mut self.not_ours,
            D::Unexpected => &mut self.unexpected,
        } += 1;
    }

    /// Inputs dropped, all reasons together.
    pub fn total_dropped(&self) -> u64 {
        self.malformed + self.not_ours + self.unexpected
    }
}

/// A configuration the client refuses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv4ClientConfigError {
    /// `requesting_attempts` or `init_reboot_attempts` is zero.
    #[error("an attempt limit is zero")]
    ZeroAttempts,
    /// The client identifier (option 61) is shorter than the 2 octets
    /// RFC 2132 §9.14 requires.
    #[error("client identifier shorter than 2 octets")]
    BadClientId,
    /// The host name (option 12) is empty (RFC 2132 §3.14: at least 1).
    #[error("empty host name")]
    BadHostName,
    /// The maximum message size (option 57) is below 576 (RFC 2132 §9.10).
    #[error("maximum message size below 576")]
    BadMaxMessageSize,
}

/// A command given in a state where it means nothing.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv4ClientCommandError {
    /// There is no lease to decline or release.
    #[error("no lease to act on")]
    NoLease,
}

/// The RFC 2131 client states.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dhcpv4ClientState {
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
pub struct Dhcpv4Client {
    cfg: Dhcpv4ClientConfig,
    rng: SeededRng,
    state: Dhcpv4ClientState,
    xid: u32,
    started: Instant,
    lease_base: Instant,
    attempts: u32,
    deadline: Option<Instant>,
    offered: Option<(Ipv4Addr, Ipv4Addr)>,
    binding: Option<Dhcpv4Binding>,
    times: Option<Times>,
    transmits: VecDeque<Transmit<Dhcpv4ClientDestination>>,
    events: VecDeque<Dhcpv4ClientEvent>,
    counters: Dhcpv4ClientCounters,
}

const MAX_QUEUE: usize = 16;

impl Dhcpv4Client {
    /// A client that starts at once: a DISCOVER (or, with a last address,
    /// an INIT-REBOOT REQUEST) is ready in `poll_transmit`. The client owns
    /// `rng` (transaction ids, backoff jitter); `now` starts the first
    /// retransmission timer.
    pub fn new(
        cfg: Dhcpv4ClientConfig,
        rng: SeededRng,
        now: Instant,
    ) -> Result<Dhcpv4Client, Dhcpv4ClientConfigError> {
        if cfg.requesting_attempts == 0 || cfg.init_reboot_attempts == 0 {
            return Err(Dhcpv4ClientConfigError::ZeroAttempts);
        }
        if cfg.client_id.as_ref().is_some_and(|id| id.len() < 2) {
            return Err(Dhcpv4ClientConfigError::BadClientId);
        }
        if cfg.hostname.as_ref().is_some_and(Vec::is_empty) {
            return Err(Dhcpv4ClientConfigError::BadHostName);
        }
        if cfg.max_message_size.is_some_and(|m| m < 576) {
            return Err(Dhcpv4ClientConfigError::BadMaxMessageSize);
        }
        let mut c = Dhcpv4Client {
            cfg,
            rng,
            state: Dhcpv4ClientState::Init,
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
            counters: Dhcpv4ClientCounters::default(),
        };
        match c.cfg.last_address {
            Some(a) => {
                c.new_xid(now);
                c.state = Dhcpv4ClientState::InitReboot;
                c.offered = Some((a, Ipv4Addr::UNSPECIFIED));
                c.send_request(now);
            }
            None => c.discover(now),
        }
        Ok(c)
    }

    /// The current state.
    pub fn state(&self) -> Dhcpv4ClientState {
        self.state
    }

    /// The current lease, if bound (or renewing/rebinding).
    pub fn binding(&self) -> Option<&Dhcpv4Binding> {
        self.binding.as_ref()
    }

    /// The counters.
    pub fn counters(&self) -> &Dhcpv4ClientCounters {
        &self.counters
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

    fn push(&mut self, destination: Dhcpv4ClientDestination, m: &Message) {
        if self.transmits.len() < MAX_QUEUE {
            self.transmits.push_back(Transmit {
                destination,
                payload: m.to_vec(),
            });
        }
    }

    fn event(&mut self, e: Dhcpv4ClientEvent) {
        if self.events.len() >= MAX_QUEUE {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn discover(&mut self, now: Instant) {
        self.new_xid(now);
        self.state = Dhcpv4ClientState::Selecting;
        self.offered = None;
        self.send_discover(now);
    }

    fn send_discover(&mut self, now: Instant) {
        self.attempts += 1;
        let m = self.message(now, MessageType::Discover);
        self.push(Dhcpv4ClientDestination::Broadcast, &m);
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
        let mut dest = Dhcpv4ClientDestination::Broadcast;
        match self.state {
            Dhcpv4ClientState::Requesting => {
                if let Some((a, s)) = self.offered {
                    m.options.push(DhcpOption::RequestedIpAddress(a));
                    m.options.push(DhcpOption::ServerIdentifier(s));
                }
                self.deadline = Some(self.backoff(now));
            }
            Dhcpv4ClientState::InitReboot => {
                if let Some((a, _)) = self.offered {
                    m.options.push(DhcpOption::RequestedIpAddress(a));
                }
                self.deadline = Some(self.backoff(now));
            }
            Dhcpv4ClientState::Renewing | Dhcpv4ClientState::Rebinding => {
                let (Some(b), Some(t)) = (&self.binding, self.times) else {
                    return;
                };
                m.ciaddr = b.address;
                m.flags = 0;
                let until = if self.state == Dhcpv4ClientState::Renewing {
                    dest = Dhcpv4ClientDestination::Unicast(b.server);
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
    pub fn handle_input(
        &mut self,
        now: Instant,
        datagram: &[u8],
    ) -> Result<(), Dhcpv4ClientDropped> {
        self.counters.received += 1;
        let r = self.input(now, datagram);
        if let Err(d) = r {
            self.counters.count(d);
        }
        r
    }

    fn input(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Dhcpv4ClientDropped> {
        let m = Message::parse(datagram).map_err(Dhcpv4ClientDropped::Malformed)?;
        if m.op != Op::BootReply || m.xid != self.xid || m.chaddr[..6] != self.cfg.hardware {
            return Err(Dhcpv4ClientDropped::NotOurs);
        }
        use Dhcpv4ClientState::*;
        match (self.state, m.message_type) {
            (Selecting, MessageType::Offer) => {
                let sid = m.server_id().ok_or(Dhcpv4ClientDropped::Unexpected)?;
                if m.yiaddr.is_unspecified() {
                    return Err(Dhcpv4ClientDropped::Unexpected);
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
                    return Err(Dhcpv4ClientDropped::Unexpected);
                }
                if self.binding.take().is_some() || self.state == InitReboot {
                    self.event(Dhcpv4ClientEvent::Lost {
                        reason: Dhcpv4LostReason::Nak,
                    });
                }
                self.times = None;
                self.discover(now);
                Ok(())
            }
            _ => Err(Dhcpv4ClientDropped::Unexpected),
        }
    }

    fn on_ack(&mut self, now: Instant, m: &Message) -> Result<(), Dhcpv4ClientDropped> {
        let secs = m.lease_time().ok_or(Dhcpv4ClientDropped::Unexpected)?;
        let server = m
            .server_id()
            .or(self.offered.map(|o| o.1))
            .ok_or(Dhcpv4ClientDropped::Unexpected)?;
        if m.yiaddr.is_unspecified() {
            return Err(Dhcpv4ClientDropped::Unexpected);
        }
        if self.state == Dhcpv4ClientState::Requesting
            && self.offered.is_some_and(|(a, _)| a != m.yiaddr)
        {
            return Err(Dhcpv4ClientDropped::Unexpected);
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
        let b = Dhcpv4Binding {
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
        let renewed = matches!(
            self.state,
            Dhcpv4ClientState::Renewing | Dhcpv4ClientState::Rebinding
        ) && self
            .binding
            .as_ref()
            .is_some_and(|old| old.address == b.address);
        self.binding = Some(b.clone());
        self.times = Some(times);
        self.state = Dhcpv4ClientState::Bound;
        self.deadline = Some(times.t1.max(now));
        self.event(if renewed {
            Dhcpv4ClientEvent::Renewed(b)
        } else {
            Dhcpv4ClientEvent::Bound(b)
        });
        Ok(())
    }

    /// Acts on the deadline if it has passed; harmless when early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        let Some(d) = self.deadline else { return };
        if now < d {
            return;
        }
        use Dhcpv4ClientState::*;
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
                    self.event(Dhcpv4ClientEvent::Lost {
                        reason: Dhcpv4LostReason::Expired,
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
    pub fn decline(&mut self, now: Instant) -> Result<(), Dhcpv4ClientCommandError> {
        let b = self
            .binding
            .take()
            .ok_or(Dhcpv4ClientCommandError::NoLease)?;
        let mut m = self.message(now, MessageType::Decline);
        m.options.push(DhcpOption::RequestedIpAddress(b.address));
        m.options.push(DhcpOption::ServerIdentifier(b.server));
        self.push(Dhcpv4ClientDestination::Broadcast, &m);
        self.event(Dhcpv4ClientEvent::Lost {
            reason: Dhcpv4LostReason::Declined,
        });
        self.times = None;
        self.state = Dhcpv4ClientState::Init;
        self.deadline = Some(now + Duration::from_secs(10));
        Ok(())
    }

    /// Gives the lease back (unicast RELEASE) and stays idle.
    pub fn release(&mut self, now: Instant) -> Result<(), Dhcpv4ClientCommandError> {
        let b = self
            .binding
            .take()
            .ok_or(Dhcpv4ClientCommandError::NoLease)?;
        self.new_xid(now);
        let mut m = self.message(now, MessageType::Release);
        m.ciaddr = b.address;
        m.options.push(DhcpOption::ServerIdentifier(b.server));
        self.push(Dhcpv4ClientDestination::Unicast(b.server), &m);
        self.event(Dhcpv4ClientEvent::Lost {
            reason: Dhcpv4LostReason::Released,
        });
        self.times = None;
        self.state = Dhcpv4ClientState::Released;
        self.deadline = None;
        Ok(())
    }

    /// Starts over from INIT (after a release, or a link change).
    pub fn restart(&mut self, now: Instant) {
        if self.binding.take().is_some() {
            self.event(Dhcpv4ClientEvent::Lost {
                reason: Dhcpv4LostReason::Released,
            });
        }
        self.times = None;
        self.discover(now);
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Dhcpv4ClientDestination>> {
        let t = self.transmits.pop_front()?;
        self.counters.transmitted += 1;
        Some(t)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Dhcpv4ClientEvent> {
        self.events.pop_front()
    }

    /// When to call [`Dhcpv4Client::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
}
