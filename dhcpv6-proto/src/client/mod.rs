//! The requesting router: the DHCPv6 client machine (RFC 8415 §18.2), for
//! prefix delegation with an optional IA_NA, or stateless configuration.
//!
//! States: Soliciting (collecting Advertises during the first RT, taking
//! one with Preference 255 at once, then the most preferred), Requesting,
//! Bound, Renewing (at T1, to the server that delegated), Rebinding (at T2,
//! to any server), Confirming (addresses only, after a link change),
//! Releasing, Informing (Information-Request, stateless), Idle. Every
//! exchange retransmits per [`crate::retransmission`] with jitter from the
//! owned [`SeededRng`].
//!
//! # Drain order
//!
//! After each `handle_*` call or command, drain
//! [`Dhcpv6Client::poll_transmit`] then [`Dhcpv6Client::poll_event`] until
//! each returns `None`, and read [`Dhcpv6Client::poll_timeout`] last.

mod reply;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::Ipv6Addr;

use rand_core::Rng;
use sansio_primitives::{Duration, Instant, SeededRng, Transmit};

use crate::auth::ReconfigureKey;
use crate::retransmission::{self, Params};
use crate::wire::{
    self, ClientMessage, Dhcpv6Option, DomainName, Duid, IaAddr, IaNa, IaPd, IaPrefix, MessageType,
    NtpSuboption, code,
};

/// The client's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv6ClientConfig {
    /// Our DUID (Client Identifier).
    pub duid: Duid,
    /// Ask for a delegated prefix (IA_PD). Default true.
    pub request_prefix: bool,
    /// The IA_PD's IAID. Default 1.
    pub iaid_pd: u32,
    /// The prefix length hinted in Solicit. Default 56.
    pub prefix_len_hint: u8,
    /// The prefix we had last (kept by the embedder across restarts): hinted
    /// in Solicit so the server can give it back.
    pub last_prefix: Option<(Ipv6Addr, u8)>,
    /// Also ask for an address (IA_NA). Default false.
    pub request_address: bool,
    /// The IA_NA's IAID. Default 1.
    pub iaid_na: u32,
    /// Send Rapid Commit in Solicit (a Reply then binds at once).
    /// Default false.
    pub rapid_commit: bool,
    /// Offer to accept Reconfigure messages. Default false.
    pub accept_reconfigure: bool,
    /// Option codes requested (ORO). Default DNS servers, domain list, NTP
    /// server, AFTR-Name (SOL_MAX_RT / INF_MAX_RT are added as the RFC
    /// requires).
    pub requested_options: Vec<u16>,
    /// Advertises kept while collecting. Default 8.
    pub max_advertises: usize,
    /// After [`Dhcpv6Client::link_up`], how long to Rebind before falling
    /// back to a Solicit with the old prefix as hint. Default 30 s.
    pub link_up_rebind: Duration,
}

impl Dhcpv6ClientConfig {
    /// Defaults as documented on each field.
    pub fn new(duid: Duid) -> Dhcpv6ClientConfig {
        Dhcpv6ClientConfig {
            duid,
            request_prefix: true,
            iaid_pd: 1,
            prefix_len_hint: 56,
            last_prefix: None,
            request_address: false,
            iaid_na: 1,
            rapid_commit: false,
            accept_reconfigure: false,
            requested_options: alloc::vec![
                code::DNS_SERVERS,
                code::DOMAIN_LIST,
                code::NTP_SERVER,
                code::AFTR_NAME
            ],
            max_advertises: 8,
            link_up_rebind: Duration::from_secs(30),
        }
    }
}

/// A configuration the client refuses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv6ClientConfigError {
    /// A prefix length above 128.
    #[error("prefix length above 128")]
    BadPrefixLength,
    /// `max_advertises` is zero.
    #[error("max_advertises is zero")]
    ZeroBound,
    /// The DUID cannot be emitted (longer than 128 octets).
    #[error("DUID too long")]
    BadDuid,
}

/// Where a client message goes (UDP port 547).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Dhcpv6ClientDestination {
    /// All_DHCP_Relay_Agents_and_Servers (ff02::1:2) on the link.
    AllServers,
    /// A server that sent the Server Unicast option.
    Unicast(Ipv6Addr),
}

/// Why a prefix or address is gone.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dhcpv6LostReason {
    /// Its valid lifetime ran out.
    Expired,
    /// The server gave it a valid lifetime of 0, or said NoBinding and then
    /// did not give it back, or replaced it by another.
    Withdrawn,
    /// We released it.
    Released,
    /// We declined it (an address found in use).
    Declined,
    /// A Confirm said it is not on this link.
    NotOnLink,
}

/// What the application must act on. Lifetimes are in seconds,
/// `0xffff_ffff` meaning infinity (RFC 8415 §7.7).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Dhcpv6ClientEvent {
    /// A new prefix: number the LAN(s) from it.
    PrefixDelegated {
        /// The prefix.
        prefix: Ipv6Addr,
        /// Its length.
        prefix_len: u8,
        /// Preferred lifetime.
        preferred: u32,
        /// Valid lifetime.
        valid: u32,
        /// A prefix inside it not to use (RFC 6603).
        exclude: Option<(Ipv6Addr, u8)>,
    },
    /// A prefix's lifetimes were extended.
    PrefixRenewed {
        /// The prefix.
        prefix: Ipv6Addr,
        /// Its length.
        prefix_len: u8,
        /// Preferred lifetime.
        preferred: u32,
        /// Valid lifetime.
        valid: u32,
    },
    /// A prefix must no longer be used.
    PrefixLost {
        /// The prefix.
        prefix: Ipv6Addr,
        /// Its length.
        prefix_len: u8,
        /// Why.
        reason: Dhcpv6LostReason,
    },
    /// A new address (IA_NA).
    AddressAssigned {
        /// The address.
        address: Ipv6Addr,
        /// Preferred lifetime.
        preferred: u32,
        /// Valid lifetime.
        valid: u32,
    },
    /// An address's lifetimes were extended.
    AddressRenewed {
        /// The address.
        address: Ipv6Addr,
        /// Preferred lifetime.
        preferred: u32,
        /// Valid lifetime.
        valid: u32,
    },
    /// An address must no longer be used.
    AddressLost {
        /// The address.
        address: Ipv6Addr,
        /// Why.
        reason: Dhcpv6LostReason,
    },
    /// Recursive DNS servers (RFC 3646).
    DnsServers(Vec<Ipv6Addr>),
    /// Domain search list (RFC 3646).
    DomainList(Vec<DomainName>),
    /// NTP servers (RFC 5908).
    NtpServers(Vec<NtpSuboption>),
    /// The DS-Lite AFTR (RFC 6334).
    AftrName(DomainName),
}

/// Why an input was dropped (counted; state unchanged).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv6ClientDropped {
    /// Did not parse.
    #[error("malformed: {0}")]
    Malformed(wire::Error),
    /// Not an Advertise/Reply/Reconfigure for our transaction and DUID.
    #[error("not for us")]
    NotOurs,
    /// A message we do not expect in this state.
    #[error("unexpected in this state")]
    Unexpected,
    /// Lacks a Server Identifier, or otherwise breaks RFC 8415 §16.
    #[error("invalid (RFC 8415 §16)")]
    Invalid,
    /// A Reply whose status tells us to ignore it and retransmit
    /// (UnspecFail and other failures, §18.2.10).
    #[error("server failure status")]
    ServerFailure,
    /// A Reconfigure without a valid reconfigure-key digest, or replayed.
    #[error("reconfigure not authenticated")]
    Unauthenticated,
}

/// Counters.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Dhcpv6ClientCounters {
    /// Datagrams handed to `handle_input`.
    pub received: u64,
    /// Datagrams handed out by `poll_transmit`.
    pub transmitted: u64,
    /// Dropped: malformed.
    pub malformed: u64,
    /// Dropped: not ours.
    pub not_ours: u64,
    /// Dropped: unexpected.
    pub unexpected: u64,
    /// Dropped: invalid.
    pub invalid: u64,
    /// Dropped: server failure status.
    pub server_failure: u64,
    /// Dropped: unauthenticated Reconfigure.
    pub unauthenticated: u64,
    /// Advertises ignored for holding no prefix or address (§18.2.9).
    pub empty_advertises: u64,
}

impl Dhcpv6ClientCounters {
    fn count(&mut self, d: Dhcpv6ClientDropped) {
        use Dhcpv6ClientDropped as D;
        *match d {
            D::Malformed(_) => &mut self.malformed,
            D::NotOurs => &mut self.not_ours,
            D::Unexpected => &mut self.unexpected,
            D::Invalid => &mut self.invalid,
            D::ServerFailure => &mut self.server_failure,
            D::Unauthenticated => &mut self.unauthenticated,
        } += 1;
    }
}

/// A command given in a state where it means nothing.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dhcpv6ClientCommandError {
    /// There is no binding (or no such address) to act on.
    #[error("no binding")]
    NoBinding,
}

/// The client states.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dhcpv6ClientState {
    /// Nothing to do (released, or stateless and refreshed).
    Idle,
    /// Solicit sent, collecting Advertises.
    Soliciting,
    /// Request sent to the chosen server.
    Requesting,
    /// Bound, waiting for T1.
    Bound,
    /// Renew sent to the delegating server.
    Renewing,
    /// Rebind sent to any server.
    Rebinding,
    /// Confirm sent (addresses only, after a link change).
    Confirming,
    /// Release sent.
    Releasing,
    /// Information-Request sent.
    Informing,
}

/// One delegated prefix or assigned address and its deadlines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Dhcpv6Lease {
    /// The prefix (or address).
    pub prefix: Ipv6Addr,
    /// The length (128 for an address).
    pub prefix_len: u8,
    /// Preferred lifetime as received, seconds.
    pub preferred: u32,
    /// Valid lifetime as received, seconds.
    pub valid: u32,
    /// When the valid lifetime ends (`Instant::MAX`: never).
    pub valid_until: Instant,
    /// An excluded prefix inside it (RFC 6603).
    pub exclude: Option<(Ipv6Addr, u8)>,
}

/// What the client holds from one server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dhcpv6Binding {
    /// The server's DUID.
    pub server: Duid,
    /// The server's unicast address, if it offered one.
    pub unicast: Option<Ipv6Addr>,
    /// Delegated prefixes.
    pub prefixes: Vec<Dhcpv6Lease>,
    /// Assigned addresses.
    pub addresses: Vec<Dhcpv6Lease>,
    /// When to Renew.
    pub t1: Instant,
    /// When to Rebind.
    pub t2: Instant,
    reconfigure: Option<(ReconfigureKey, u64)>,
}

impl Dhcpv6Binding {
    fn valid_until(&self) -> Instant {
        self.prefixes
            .iter()
            .chain(&self.addresses)
            .map(|l| l.valid_until)
            .max()
            .unwrap_or(Instant::ZERO)
    }
}

/// A retransmitted exchange in progress.
#[derive(Clone, Debug)]
struct Exchange {
    kind: MessageType,
    xid: u32,
    started: Instant,
    rt: Duration,
    count: u32,
    next: Instant,
    params: Params,
    /// When the exchange fails (MRD), if bounded.
    until: Option<Instant>,
    /// Sent by [`Dhcpv6Client::link_up`]: on failure, Solicit with a hint.
    after_link_up: bool,
}

/// An Advertise kept while collecting.
#[derive(Clone, Debug)]
struct Advertised {
    preference: u8,
    message: ClientMessage,
    unicast: Option<Ipv6Addr>,
}

/// Bound on queued transmits and events (the oldest event is dropped).
const MAX_QUEUE: usize = 64;

/// The DHCPv6 client machine. See the [module docs](self).
#[derive(Debug)]
pub struct Dhcpv6Client {
    cfg: Dhcpv6ClientConfig,
    rng: SeededRng,
    state: Dhcpv6ClientState,
    exchange: Option<Exchange>,
    /// End of the first RT of the Solicit: when to choose an Advertise.
    collect_until: Option<Instant>,
    advertised: Vec<Advertised>,
    /// The server chosen for Request.
    chosen: Option<Advertised>,
    binding: Option<Dhcpv6Binding>,
    /// The prefix to hint in the next Solicit.
    hint: Option<(Ipv6Addr, u8)>,
    /// Set by a UseMulticast status: never unicast again.
    multicast_only: bool,
    sol_max_rt: Duration,
    inf_max_rt: Duration,
    info_refresh: Option<Instant>,
    /// What the declined/released message carries.
    pending_decline: Vec<Ipv6Addr>,
    /// The last DNS, domain list, NTP and AFTR events (sent on change).
    info: [Option<Dhcpv6ClientEvent>; 4],
    transmits: VecDeque<Transmit<Dhcpv6ClientDestination>>,
    events: VecDeque<Dhcpv6ClientEvent>,
    counters: Dhcpv6ClientCounters,
}

fn at(base: Instant, secs: u32) -> Instant {
    if secs == u32::MAX {
        return Instant::MAX;
    }
    base.checked_add(Duration::from_secs(u64::from(secs)))
        .unwrap_or(Instant::MAX)
}

impl Dhcpv6Client {
    /// A client that starts at once: a Solicit (or, when asking for neither
    /// a prefix nor an address, an Information-Request) is ready in
    /// `poll_transmit`. The RFC's random 0–1 s delay before the first
    /// message is left to the driver.
    pub fn new(
        cfg: Dhcpv6ClientConfig,
        rng: SeededRng,
        now: Instant,
    ) -> Result<Dhcpv6Client, Dhcpv6ClientConfigError> {
        if cfg.prefix_len_hint > 128 || cfg.last_prefix.is_some_and(|p| p.1 > 128) {
            return Err(Dhcpv6ClientConfigError::BadPrefixLength);
        }
        if cfg.max_advertises == 0 {
            return Err(Dhcpv6ClientConfigError::ZeroBound);
        }
        if cfg.duid.buffer_len() > 130 {
            return Err(Dhcpv6ClientConfigError::BadDuid);
        }
        let mut c = Dhcpv6Client {
            hint: cfg.last_prefix,
            cfg,
            rng,
            state: Dhcpv6ClientState::Idle,
            exchange: None,
            collect_until: None,
            advertised: Vec::new(),
            chosen: None,
            binding: None,
            multicast_only: false,
            sol_max_rt: retransmission::SOLICIT.mrt,
            inf_max_rt: retransmission::INFORMATION_REQUEST.mrt,
            info_refresh: None,
            pending_decline: Vec::new(),
            info: [None, None, None, None],
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: Dhcpv6ClientCounters::default(),
        };
        if c.stateful() {
            c.solicit(now);
        } else {
            c.inform(now);
        }
        Ok(c)
    }

    fn stateful(&self) -> bool {
        self.cfg.request_prefix || self.cfg.request_address
    }

    /// The current state.
    pub fn state(&self) -> Dhcpv6ClientState {
        self.state
    }

    /// The current binding, if any.
    pub fn binding(&self) -> Option<&Dhcpv6Binding> {
        self.binding.as_ref()
    }

    /// The counters.
    pub fn counters(&self) -> &Dhcpv6ClientCounters {
        &self.counters
    }

    /// The configuration.
    pub fn config(&self) -> &Dhcpv6ClientConfig {
        &self.cfg
    }

    // ---- exchanges -------------------------------------------------------

    fn start(&mut self, now: Instant, kind: MessageType, params: Params, until: Option<Instant>) {
        let xid = self.rng.next_u32() & 0xff_ffff;
        let until = match (until, params.mrd > Duration::ZERO) {
            (Some(u), true) => Some(u.min(now + params.mrd)),
            (None, true) => Some(now + params.mrd),
            (u, false) => u,
        };
        self.exchange = Some(Exchange {
            kind,
            xid,
            started: now,
            rt: Duration::ZERO,
            count: 0,
            next: now,
            params,
            until,
            after_link_up: false,
        });
        self.transmit(now);
    }

    /// Sends the current exchange's message and schedules the next.
    fn transmit(&mut self, now: Instant) {
        let Some(mut x) = self.exchange.take() else {
            return;
        };
        let first_solicit = x.kind == MessageType::Solicit && x.count == 0;
        let prev = (x.count > 0).then_some(x.rt);
        x.rt = retransmission::next_rt(&x.params, prev, first_solicit, &mut self.rng);
        x.count += 1;
        x.next = now + x.rt;
        if let Some(u) = x.until {
            x.next = x.next.min(u);
        }
        if first_solicit {
            self.collect_until = Some(x.next);
        }
        let m = self.build(now, &x);
        let dest = self.destination(x.kind);
        self.exchange = Some(x);
        if self.transmits.len() < MAX_QUEUE {
            self.transmits.push_back(Transmit {
                destination: dest,
                payload: m.to_vec(),
            });
        }
    }

    fn destination(&self, kind: MessageType) -> Dhcpv6ClientDestination {
        use MessageType::*;
        let unicast = match kind {
            Request => self.chosen.as_ref().and_then(|a| a.unicast),
            Renew | Release | Decline => self.binding.as_ref().and_then(|b| b.unicast),
            _ => None,
        };
        match unicast {
            Some(a) if !self.multicast_only => Dhcpv6ClientDestination::Unicast(a),
            _ => Dhcpv6ClientDestination::AllServers,
        }
    }

    fn build(&self, now: Instant, x: &Exchange) -> ClientMessage {
        use MessageType::*;
        let mut m = ClientMessage::new(x.kind, x.xid);
        m.options
            .push(Dhcpv6Option::ClientId(self.cfg.duid.clone()));
        let server = match x.kind {
            Request => self.chosen.as_ref().and_then(|a| a.message.server_id()),
            Renew | Release | Decline => self.binding.as_ref().map(|b| &b.server),
            _ => None,
        };
        if let Some(s) = server {
            m.options.push(Dhcpv6Option::ServerId(s.clone()));
        }
        let elapsed = now.saturating_duration_since(x.started).as_millis() / 10;
        m.options.push(Dhcpv6Option::ElapsedTime(
            u16::try_from(elapsed).unwrap_or(u16::MAX),
        ));
        if matches!(
            x.kind,
            Solicit | Request | Renew | Rebind | InformationRequest
        ) {
            let mut oro = self.cfg.requested_options.clone();
            oro.push(if x.kind == InformationRequest {
                code::INF_MAX_RT
            } else {
                code::SOL_MAX_RT
            });
            if x.kind == InformationRequest {
                oro.push(code::INFORMATION_REFRESH_TIME);
            }
            m.options.push(Dhcpv6Option::Oro(oro));
            if self.cfg.accept_reconfigure {
                m.options.push(Dhcpv6Option::ReconfigureAccept);
            }
        }
        if x.kind == Solicit && self.cfg.rapid_commit {
            m.options.push(Dhcpv6Option::RapidCommit);
        }
        match x.kind {
            Solicit => {
                if self.cfg.request_address {
                    m.options.push(self.ia_na(&[]));
                }
                if self.cfg.request_prefix {
                    let (p, l) = self
                        .hint
                        .unwrap_or((Ipv6Addr::UNSPECIFIED, self.cfg.prefix_len_hint));
                    m.options.push(Dhcpv6Option::IaPd(IaPd {
                        iaid: self.cfg.iaid_pd,
                        t1: 0,
                        t2: 0,
                        options: alloc::vec![Dhcpv6Option::IaPrefix(IaPrefix {
                            preferred: 0,
                            valid: 0,
                            prefix_len: l,
                            prefix: p,
                            options: Vec::new(),
                        })],
                    }));
                }
            }
            Request => {
                if let Some(a) = &self.chosen {
                    let ours = |o: &&Dhcpv6Option| match o {
                        Dhcpv6Option::IaPd(i) => i.iaid == self.cfg.iaid_pd,
                        Dhcpv6Option::IaNa(i) => i.iaid == self.cfg.iaid_na,
                        _ => false,
                    };
                    for o in a.message.options.iter().filter(ours) {
                        m.options.push(zero_lifetimes(o));
                    }
                }
            }
            Renew | Rebind | Release | Confirm => {
                if let Some(b) = &self.binding {
                    if !b.addresses.is_empty() {
                        m.options.push(self.ia_na(&b.addresses));
                    }
                    if !b.prefixes.is_empty() && x.kind != Confirm {
                        m.options.push(self.ia_pd(&b.prefixes));
                    }
                }
            }
            Decline => {
                let l: Vec<Dhcpv6Lease> = self
                    .pending_decline
                    .iter()
                    .map(|a| Dhcpv6Lease {
                        prefix: *a,
                        prefix_len: 128,
                        preferred: 0,
                        valid: 0,
                        valid_until: now,
                        exclude: None,
                    })
                    .collect();
                m.options.push(self.ia_na(&l));
            }
            _ => {}
        }
        m
    }

    fn ia_na(&self, leases: &[Dhcpv6Lease]) -> Dhcpv6Option {
        Dhcpv6Option::IaNa(IaNa {
            iaid: self.cfg.iaid_na,
            t1: 0,
            t2: 0,
            options: leases
                .iter()
                .map(|l| {
                    Dhcpv6Option::IaAddr(IaAddr {
                        address: l.prefix,
                        preferred: 0,
                        valid: 0,
                        options: Vec::new(),
                    })
                })
                .collect(),
        })
    }

    fn ia_pd(&self, leases: &[Dhcpv6Lease]) -> Dhcpv6Option {
        Dhcpv6Option::IaPd(IaPd {
            iaid: self.cfg.iaid_pd,
            t1: 0,
            t2: 0,
            options: leases
                .iter()
                .map(|l| {
                    Dhcpv6Option::IaPrefix(IaPrefix {
                        preferred: 0,
                        valid: 0,
                        prefix_len: l.prefix_len,
                        prefix: l.prefix,
                        options: Vec::new(),
                    })
                })
                .collect(),
        })
    }

    fn solicit(&mut self, now: Instant) {
        self.state = Dhcpv6ClientState::Soliciting;
        self.advertised.clear();
        self.chosen = None;
        let mut p = retransmission::SOLICIT;
        p.mrt = self.sol_max_rt;
        self.start(now, MessageType::Solicit, p, None);
    }

    fn inform(&mut self, now: Instant) {
        self.state = Dhcpv6ClientState::Informing;
        self.info_refresh = None;
        let mut p = retransmission::INFORMATION_REQUEST;
        p.mrt = self.inf_max_rt;
        self.start(now, MessageType::InformationRequest, p, None);
    }

    fn request(&mut self, now: Instant, chosen: Advertised) {
        self.chosen = Some(chosen);
        self.advertised.clear();
        self.collect_until = None;
        self.state = Dhcpv6ClientState::Requesting;
        self.start(now, MessageType::Request, retransmission::REQUEST, None);
    }

    fn renew(&mut self, now: Instant) {
        let Some(b) = &self.binding else { return };
        let t2 = b.t2;
        self.state = Dhcpv6ClientState::Renewing;
        self.start(now, MessageType::Renew, retransmission::RENEW, Some(t2));
    }

    fn rebind(&mut self, now: Instant, link_up: bool) {
        let Some(b) = &self.binding else { return };
        let mut until = b.valid_until();
        if link_up {
            until = until.min(now + self.cfg.link_up_rebind);
        }
        self.state = Dhcpv6ClientState::Rebinding;
        self.start(
            now,
            MessageType::Rebind,
            retransmission::REBIND,
            Some(until),
        );
        if let Some(x) = &mut self.exchange {
            x.after_link_up = link_up;
        }
    }

    fn push_event(&mut self, e: Dhcpv6ClientEvent) {
        if self.events.len() >= MAX_QUEUE {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    /// Drops the whole binding, reporting each lease lost.
    fn lose_all(&mut self, reason: Dhcpv6LostReason) {
        if let Some(b) = self.binding.take() {
            for l in &b.prefixes {
                self.hint = Some((l.prefix, l.prefix_len));
                self.push_event(reply::lost_event(l, false, reason));
            }
            for l in &b.addresses {
                self.push_event(reply::lost_event(l, true, reason));
            }
        }
    }

    // ---- timers ----------------------------------------------------------

    /// Acts on whatever deadline has passed; harmless when early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.expire(now);
        if let Some(c) = self.collect_until
            && now >= c
            && self.state == Dhcpv6ClientState::Soliciting
        {
            self.collect_until = None;
            if let Some(best) = self.best_advertise() {
                self.request(now, best);
                return;
            }
        }
        if let Some(x) = &self.exchange
            && now >= x.next
        {
            let failed =
                x.until.is_some_and(|u| now >= u) || (x.params.mrc > 0 && x.count >= x.params.mrc);
            if failed {
                self.exchange_failed(now);
            } else {
                self.transmit(now);
            }
            return;
        }
        if let Some(b) = &self.binding
            && self.state == Dhcpv6ClientState::Bound
        {
            if now >= b.t2 {
                self.rebind(now, false);
            } else if now >= b.t1 {
                self.renew(now);
            }
            return;
        }
        if self.state == Dhcpv6ClientState::Idle && self.info_refresh.is_some_and(|r| now >= r) {
            self.inform(now);
        }
    }

    /// Withdraws every lease whose valid lifetime has ended.
    fn expire(&mut self, now: Instant) {
        let Some(b) = &mut self.binding else { return };
        let mut gone: Vec<(Dhcpv6Lease, bool)> = Vec::new();
        b.prefixes.retain(|l| {
            let keep = l.valid_until > now;
            if !keep {
                gone.push((*l, false));
            }
            keep
        });
        b.addresses.retain(|l| {
            let keep = l.valid_until > now;
            if !keep {
                gone.push((*l, true));
            }
            keep
        });
        let empty = b.prefixes.is_empty() && b.addresses.is_empty();
        for (l, address) in gone {
            if !address {
                self.hint = Some((l.prefix, l.prefix_len));
            }
            self.push_event(if address {
                Dhcpv6ClientEvent::AddressLost {
                    address: l.prefix,
                    reason: Dhcpv6LostReason::Expired,
                }
            } else {
                Dhcpv6ClientEvent::PrefixLost {
                    prefix: l.prefix,
                    prefix_len: l.prefix_len,
                    reason: Dhcpv6LostReason::Expired,
                }
            });
        }
        if empty {
            self.binding = None;
            if matches!(
                self.state,
                Dhcpv6ClientState::Bound
                    | Dhcpv6ClientState::Renewing
                    | Dhcpv6ClientState::Rebinding
                    | Dhcpv6ClientState::Confirming
            ) {
                self.solicit(now);
            }
        }
    }

    fn exchange_failed(&mut self, now: Instant) {
        let Some(x) = self.exchange.take() else {
            return;
        };
        use MessageType::*;
        match x.kind {
            Request => self.solicit(now),
            Renew => self.rebind(now, false),
            Rebind => {
                if !x.after_link_up {
                    self.lose_all(Dhcpv6LostReason::Expired);
                }
                // The binding (if still valid) stays until it expires; a
                // Solicit hints its prefix.
                if let Some((p, l)) = self
                    .binding
                    .as_ref()
                    .and_then(|b| b.prefixes.first().map(|p| (p.prefix, p.prefix_len)))
                {
                    self.hint = Some((p, l));
                }
                self.solicit(now);
            }
            Confirm => self.state = Dhcpv6ClientState::Bound,
            Release => self.state = Dhcpv6ClientState::Idle,
            Decline => {
                self.pending_decline.clear();
                self.state = if self.binding.is_some() {
                    Dhcpv6ClientState::Bound
                } else {
                    self.solicit(now);
                    return;
                };
            }
            _ => {}
        }
    }

    fn best_advertise(&mut self) -> Option<Advertised> {
        // Highest preference; the first received among equals.
        let i = self
            .advertised
            .iter()
            .enumerate()
            .max_by_key(|(i, a)| (a.preference, usize::MAX - i))
            .map(|(i, _)| i)?;
        Some(self.advertised.swap_remove(i))
    }

    // ---- commands --------------------------------------------------------

    /// The WAN link came back (a PPP reconnect): with a still-valid binding,
    /// Rebind (prefixes) or Confirm (addresses only) first; without one,
    /// Solicit with the old prefix as hint.
    pub fn link_up(&mut self, now: Instant) {
        self.expire(now);
        self.multicast_only = false;
        match &self.binding {
            Some(b) if !b.prefixes.is_empty() => self.rebind(now, true),
            Some(_) => {
                self.state = Dhcpv6ClientState::Confirming;
                self.start(now, MessageType::Confirm, retransmission::CONFIRM, None);
            }
            None if self.stateful() => self.solicit(now),
            None => self.inform(now),
        }
    }

    /// Gives everything back (Release, §18.2.7), e.g. on shutdown; stays
    /// idle afterwards.
    pub fn release(&mut self, now: Instant) -> Result<(), Dhcpv6ClientCommandError> {
        if self.binding.is_none() {
            return Err(Dhcpv6ClientCommandError::NoBinding);
        }
        self.state = Dhcpv6ClientState::Releasing;
        self.start(now, MessageType::Release, retransmission::RELEASE, None);
        self.lose_all(Dhcpv6LostReason::Released);
        Ok(())
    }

    /// An assigned address was found in use (DAD): Decline it (§18.2.8).
    pub fn decline(
        &mut self,
        now: Instant,
        address: Ipv6Addr,
    ) -> Result<(), Dhcpv6ClientCommandError> {
        let b = self
            .binding
            .as_mut()
            .ok_or(Dhcpv6ClientCommandError::NoBinding)?;
        let i = b
            .addresses
            .iter()
            .position(|a| a.prefix == address)
            .ok_or(Dhcpv6ClientCommandError::NoBinding)?;
        let l = b.addresses.remove(i);
        self.push_event(Dhcpv6ClientEvent::AddressLost {
            address: l.prefix,
            reason: Dhcpv6LostReason::Declined,
        });
        self.pending_decline = alloc::vec![address];
        self.start(now, MessageType::Decline, retransmission::DECLINE, None);
        Ok(())
    }

    /// Starts over with a Solicit (after a release, say), hinting the last
    /// prefix.
    pub fn restart(&mut self, now: Instant) {
        self.lose_all(Dhcpv6LostReason::Released);
        if self.stateful() {
            self.solicit(now);
        } else {
            self.inform(now);
        }
    }

    // ---- outputs ---------------------------------------------------------

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Dhcpv6ClientDestination>> {
        let t = self.transmits.pop_front()?;
        self.counters.transmitted += 1;
        Some(t)
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Dhcpv6ClientEvent> {
        self.events.pop_front()
    }

    /// When to call [`Dhcpv6Client::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t: Option<Instant> = None;
        let mut add = |i: Instant| t = Some(t.map_or(i, |t| t.min(i)));
        if let Some(x) = &self.exchange {
            add(x.next);
        }
        if self.state == Dhcpv6ClientState::Soliciting
            && let Some(c) = self.collect_until
        {
            add(c);
        }
        if let Some(b) = &self.binding {
            if self.state == Dhcpv6ClientState::Bound {
                add(b.t1.min(b.t2));
            }
            for l in b.prefixes.iter().chain(&b.addresses) {
                add(l.valid_until);
            }
        }
        if self.state == Dhcpv6ClientState::Idle
            && let Some(r) = self.info_refresh
        {
            add(r);
        }
        t.filter(|t| *t != Instant::MAX)
    }
}

/// An IA option as sent in a Request: the advertised leases with their
/// lifetimes zeroed.
fn zero_lifetimes(o: &Dhcpv6Option) -> Dhcpv6Option {
    let strip = |opts: &[Dhcpv6Option]| -> Vec<Dhcpv6Option> {
        opts.iter()
            .filter_map(|o| match o {
                Dhcpv6Option::IaPrefix(p) => Some(Dhcpv6Option::IaPrefix(IaPrefix {
                    preferred: 0,
                    valid: 0,
                    options: Vec::new(),
                    ..p.clone()
                })),
                Dhcpv6Option::IaAddr(a) => Some(Dhcpv6Option::IaAddr(IaAddr {
                    preferred: 0,
                    valid: 0,
                    options: Vec::new(),
                    ..a.clone()
                })),
                _ => None,
            })
            .collect()
    };
    match o {
        Dhcpv6Option::IaPd(i) => Dhcpv6Option::IaPd(IaPd {
            iaid: i.iaid,
            t1: 0,
            t2: 0,
            options: strip(&i.options),
        }),
        Dhcpv6Option::IaNa(i) => Dhcpv6Option::IaNa(IaNa {
            iaid: i.iaid,
            t1: 0,
            t2: 0,
            options: strip(&i.options),
        }),
        o => o.clone(),
    }
}
