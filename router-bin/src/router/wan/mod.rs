//! The WAN side: one [`ClientLink`] per dial, redialled forever with capped
//! exponential backoff, its events turned into kernel-configuration
//! [`Action`]s, and the last address kept in the state directory.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::time::{Duration, Instant as StdInstant};

use ppp_proto::{PppConfig, PppEvent, Role};
use pppoe_link::{ClientLink, ClientLinkEvent, PPP_IPV4, PPP_IPV6};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeClientConfig, PppoeClientEvent, PppoeDownReason as PppoeDown};
use sansio_primitives::{SeededRng, StdClock};
use tracing::{info, warn};

use crate::router::config::Config;
use crate::router::state::{self, WanState};
use crate::router::workers::DataSession;

mod status;
use status::{down_text, fail_text};
#[cfg(test)]
mod tests;

/// What the kernel must be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// LCP is open: the PPP interface's MTU.
    LinkUp(u16),
    /// IPCP is open.
    Ipv4Up {
        /// Our address.
        local: Ipv4Addr,
        /// DNS servers from IPCP.
        dns: Vec<Ipv4Addr>,
    },
    /// IPCP closed: the address to remove.
    Ipv4Down(Ipv4Addr),
    /// IPv6CP is open: our link-local address.
    Ipv6Up(Ipv6Addr),
    /// IPv6CP closed: the link-local address to remove.
    Ipv6Down(Ipv6Addr),
    /// The session is over.
    Down,
}

/// The link-local address of an interface identifier.
pub fn link_local(ifid: u64) -> Ipv6Addr {
    Ipv6Addr::from((0xfe80u128 << 112) | u128::from(ifid))
}

/// The WAN controller.
pub struct Wan {
    cfg: Config,
    mac: [u8; 6],
    clock: StdClock,
    rng: SeededRng,
    link: Option<ClientLink>,
    saved: WanState,
    writer: state::Writer,
    backoff: Duration,
    retry_at: Option<StdInstant>,
    closing: bool,
    tx: VecDeque<Vec<u8>>,
    actions: VecDeque<Action>,
    // What `router status` shows.
    started: StdInstant,
    session: Option<(u16, EthernetAddress)>,
    mtu: u16,
    ipv4: Option<(Ipv4Addr, Ipv4Addr, Vec<Ipv4Addr>)>,
    ipv6: Option<(u64, u64)>,
    /// The ISP Protocol-Rejected IPCP in this session.
    ipcp_rejected: bool,
    up_since: Option<StdInstant>,
    dials: u64,
    last_down: Option<String>,
}

impl Wan {
    /// Loads the saved state (a corrupt file is reported and ignored) and
    /// dials at once.
    pub fn new(cfg: Config, mac: [u8; 6], seed: [u8; 32]) -> Wan {
        let saved = match state::load(&cfg.state_dir) {
            Ok(s) => s,
            Err(e) => {
                warn!("ignoring the WAN state file: {e}");
                WanState::default()
            }
        };
        let backoff = Duration::from_secs(cfg.wan.reconnect_min);
        let writer = state::Writer::new(cfg.state_dir.clone());
        let mut wan = Wan {
            cfg,
            writer,
            mac,
            clock: StdClock::new(),
            rng: SeededRng::from_seed(seed),
            link: None,
            saved,
            backoff,
            retry_at: None,
            closing: false,
            tx: VecDeque::new(),
            actions: VecDeque::new(),
            started: StdInstant::now(),
            session: None,
            mtu: 1492,
            ipv4: None,
            ipv6: None,
            ipcp_rejected: false,
            up_since: None,
            dials: 0,
            last_down: None,
        };
        wan.dial();
        wan
    }

    fn ppp_config(&self) -> PppConfig {
        let w = &self.cfg.wan;
        let mut c = PppConfig::peer(w.user.as_bytes(), w.password.as_bytes());
        c.ipv6 = w.ipv6;
        c.lcp.echo_interval = self.cfg.echo_interval();
        c.lcp.echo_failure = w.lcp_echo_failure;
        if let Role::Peer(p) = &mut c.role {
            p.ipv4_hint = self.saved.ipv4;
            p.ipv6_ifid = self.saved.ipv6_ifid;
        }
        c
    }

    fn dial(&mut self) {
        self.retry_at = None;
        self.dials += 1;
        let mut pppoe = PppoeClientConfig::new(EthernetAddress(self.mac));
        pppoe.service_name = self.cfg.wan.service.as_bytes().to_vec();
        pppoe.ac_name = self.cfg.wan.ac_name.as_ref().map(|n| n.as_bytes().to_vec());
        pppoe.ppp_max_payload = self.cfg.wan.ppp_max_payload;
        info!(
            interface = %self.cfg.wan.interface,
            ipv4_hint = ?self.saved.ipv4,
            "dialling PPPoE (attempt {})",
            self.dials
        );
        let seed = self.rng.fork();
        match ClientLink::new(pppoe, self.ppp_config(), seed, self.clock.now()) {
            Ok(link) => self.link = Some(link),
            Err(e) => {
                warn!("cannot start PPPoE: {e}");
                self.schedule_retry("bad PPPoE settings".into());
            }
        }
        self.pump();
    }

    fn schedule_retry(&mut self, why: String) {
        self.last_down = Some(why);
        if self.closing {
            return;
        }
        let base = self.backoff.as_millis() as u32;
        let jittered = base - base / 4 + self.rng.below(base / 2 + 1);
        let wait = Duration::from_millis(u64::from(jittered));
        info!("redialling in {:.1} s", wait.as_secs_f64());
        self.retry_at = Some(StdInstant::now() + wait);
        self.backoff = (self.backoff * 2).min(Duration::from_secs(self.cfg.wan.reconnect_max));
    }

    /// One frame from the WAN interface; the range of an IP data packet
    /// (PPP protocol + packet) in `frame`, if it is one.
    pub fn handle_frame(&mut self, frame: &[u8]) -> Option<Range<usize>> {
        let link = self.link.as_mut()?;
        let r = link.handle_input(self.clock.now(), frame);
        self.pump();
        // An error is a frame that is not PPPoE, or one the machines
        // dropped and counted.
        r.ok().flatten()
    }

    /// Frames an IP packet of `protocol` as a session frame into `out`; its
    /// length. `None` while that protocol's NCP is not open (or it does not
    /// fit).
    pub fn encapsulate(&self, protocol: u16, packet: &[u8], out: &mut [u8]) -> Option<usize> {
        let link = self.link.as_ref()?;
        // Only protocols whose NCP is open (RFC 1661 §3.6).
        let open = match protocol {
            PPP_IPV4 => self.ipv4.is_some(),
            PPP_IPV6 => self.ipv6.is_some(),
            _ => false,
        };
        if !open {
            return None;
        }
        link.encapsulate_data(protocol, packet, out).ok()
    }

    /// When [`Self::on_timeout`] is due.
    pub fn deadline(&self) -> Option<StdInstant> {
        let link = self
            .link
            .as_ref()
            .and_then(|l| l.poll_timeout())
            .and_then(|t| self.clock.to_std(t));
        [link, self.retry_at].into_iter().flatten().min()
    }

    /// Runs due timers and redials when the wait is over.
    pub fn on_timeout(&mut self) {
        if let Some(link) = &mut self.link {
            link.handle_timeout(self.clock.now());
            self.pump();
        }
        if self.redial_due() {
            self.dial();
        }
    }

    /// Whether [`Self::on_timeout`] would dial now (no link, the wait
    /// over): the moment to check the WAN socket first.
    pub fn redial_due(&self) -> bool {
        self.link.is_none() && self.retry_at.is_some_and(|t| t <= StdInstant::now())
    }

    /// The WAN interface's MAC address changed (it was re-created): the
    /// next dial uses the new one.
    pub fn set_mac(&mut self, mac: [u8; 6]) {
        self.mac = mac;
    }

    /// The WAN interface was re-created: the dial or session that ran on
    /// the old one is gone with it. Dials again at once.
    pub fn restart(&mut self, why: &str) {
        if self.closing {
            return;
        }
        if self.link.take().is_some() {
            info!("{why}: dialling again");
            self.session = None;
            self.ipv4 = None;
            self.ipv6 = None;
            self.ipcp_rejected = false;
            self.up_since = None;
            self.actions.push_back(Action::Down);
            self.last_down = Some(why.to_owned());
        }
        self.backoff = Duration::from_secs(self.cfg.wan.reconnect_min);
        self.dial();
    }

    /// Hangs up (LCP Terminate, then PADT) and stops redialling.
    pub fn close(&mut self) {
        self.closing = true;
        self.retry_at = None;
        if let Some(link) = &mut self.link {
            link.close(self.clock.now());
            self.pump();
        }
    }

    /// Whether no session or discovery is running.
    pub fn idle(&self) -> bool {
        self.link.is_none()
    }

    /// The next frame to send on the WAN.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.tx.pop_front()
    }

    /// The next kernel action.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// What the data path workers need of the session: `None` until an
    /// NCP is open, and again once the session is gone.
    pub fn data_session(&self) -> Option<DataSession> {
        let framer = self.link.as_ref()?.session_framer()?;
        (self.ipv4.is_some() || self.ipv6.is_some()).then_some(DataSession {
            framer,
            ipv4: self.ipv4.is_some(),
            ipv6: self.ipv6.is_some(),
        })
    }

    /// The PPP MTU (the peer's MRU).
    pub fn mtu(&self) -> u16 {
        self.mtu
    }

    fn pump(&mut self) {
        let Some(link) = &mut self.link else {
            return;
        };
        while let Some(f) = link.poll_transmit(self.clock.now()) {
            self.tx.push_back(f);
        }
        let events: Vec<ClientLinkEvent> = std::iter::from_fn(|| link.poll_event()).collect();
        let mut ended = None;
        for e in events {
            if let Some(why) = self.on_event(e) {
                ended.get_or_insert(why);
            }
        }
        if let Some(why) = ended {
            // The link has queued its last frames (PADT) above.
            self.link = None;
            self.session = None;
            self.ipv4 = None;
            self.ipv6 = None;
            self.ipcp_rejected = false;
            self.up_since = None;
            self.actions.push_back(Action::Down);
            self.schedule_retry(why);
        }
    }

    /// Handles one event; `Some(reason)` when the dial is over.
    fn on_event(&mut self, e: ClientLinkEvent) -> Option<String> {
        match e {
            ClientLinkEvent::Pppoe(PppoeClientEvent::SessionUp {
                ac_mac, session_id, ..
            }) => {
                info!("PPPoE session {session_id} with AC {ac_mac:?}");
                self.session = Some((session_id, ac_mac));
                None
            }
            ClientLinkEvent::Pppoe(PppoeClientEvent::DiscoveryFailed { reason }) => {
                let w = &self.cfg.wan;
                let text = fail_text(&reason, w.ac_name.as_deref(), &w.service);
                let why = format!("PPPoE discovery failed: {text}");
                warn!("{why}");
                Some(why)
            }
            ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { reason }) => {
                let why = match reason {
                    PppoeDown::Closed => "PPPoE session closed by us (PADT sent)".to_owned(),
                    PppoeDown::PeerTerminated(text) => format!(
                        "PADT from the AC{}",
                        text.map(|t| format!(": {}", String::from_utf8_lossy(&t)))
                            .unwrap_or_default()
                    ),
                };
                info!("{why}");
                Some(why)
            }
            ClientLinkEvent::Ppp(e) => self.on_ppp(e),
        }
    }

    fn on_ppp(&mut self, e: PppEvent) -> Option<String> {
        match e {
            PppEvent::LinkUp { mtu } => {
                info!("LCP up, MTU {mtu}");
                self.mtu = mtu;
                self.actions.push_back(Action::LinkUp(mtu));
            }
            PppEvent::AuthSucceeded { message } => {
                info!("authenticated: {}", String::from_utf8_lossy(&message));
            }
            PppEvent::AuthFailed { message } => {
                warn!(
                    "authentication failed: {} (check wan.user and wan.password)",
                    String::from_utf8_lossy(&message)
                );
            }
            PppEvent::Ipv4Up {
                local,
                peer,
                dns,
                peer_assumed,
            } => {
                let dns: Vec<Ipv4Addr> = dns.into_iter().flatten().collect();
                if peer_assumed {
                    warn!("the AC sent no IPv4 address of its own: using {peer} for the peer");
                }
                info!("IPv4 up: {local} (peer {peer}, DNS {dns:?})");
                self.ipv4 = Some((local, peer, dns.clone()));
                self.up_since.get_or_insert_with(StdInstant::now);
                self.backoff = Duration::from_secs(self.cfg.wan.reconnect_min);
                self.saved.ipv4 = Some(local);
                self.save();
                self.actions.push_back(Action::Ipv4Up { local, dns });
            }
            PppEvent::Ipv4Down => {
                // IPCP may renegotiate a different address in the same
                // session: the old one must not stay on the interface.
                if let Some((local, ..)) = self.ipv4.take() {
                    self.actions.push_back(Action::Ipv4Down(local));
                }
            }
            PppEvent::Ipv6Up {
                local_ifid,
                peer_ifid,
            } => {
                info!(
                    "IPv6 up: {} (peer {})",
                    link_local(local_ifid),
                    link_local(peer_ifid)
                );
                self.ipv6 = Some((local_ifid, peer_ifid));
                self.up_since.get_or_insert_with(StdInstant::now);
                self.backoff = Duration::from_secs(self.cfg.wan.reconnect_min);
                self.saved.ipv6_ifid = Some(local_ifid);
                self.save();
                self.actions
                    .push_back(Action::Ipv6Up(link_local(local_ifid)));
            }
            PppEvent::Ipv6Down => {
                if let Some((local_ifid, _)) = self.ipv6.take() {
                    self.actions
                        .push_back(Action::Ipv6Down(link_local(local_ifid)));
                }
            }
            PppEvent::ProtocolRejected { protocol } => {
                info!("the AC rejected protocol {protocol:#06x}");
                if protocol == ppp_proto::wire::protocol::IPCP {
                    self.ipcp_rejected = true;
                }
            }
            PppEvent::Down { reason } => {
                let why = down_text(&reason);
                warn!("{why}");
                return Some(why);
            }
            PppEvent::AuthRequest { .. } => {}
        }
        None
    }

    /// The DNS servers IPCP gave (none without IPv4).
    pub fn ipcp_dns(&self) -> &[Ipv4Addr] {
        self.ipv4.as_ref().map_or(&[], |(_, _, dns)| dns.as_slice())
    }

    /// Why the WAN has no IPv4 while IPv6CP carries the session: the ISP
    /// Protocol-Rejected IPCP, or IPCP is closed or stopped (the ISP
    /// rejected the IP-Address option, never answered so Max-Configure and
    /// the restarts ran out, or terminated IPCP). `None` while IPv4 is up or IPCP is still
    /// negotiating, and without IPv6.
    pub fn ipv4_absent(&self) -> Option<&'static str> {
        if self.ipv4.is_some() || self.ipv6.is_none() {
            return None;
        }
        if self.ipcp_rejected {
            return Some("the ISP refused IPCP (Protocol-Reject)");
        }
        let session = self.link.as_ref()?.session()?;
        use ppp_proto::fsm::State;
        match session.ipcp_state() {
            None => Some("the ISP refused IPCP"),
            Some(State::Closed | State::Stopped | State::Initial | State::Starting) => {
                Some("IPCP is closed: no address agreed, or the ISP ended it")
            }
            Some(_) => None,
        }
    }

    /// Queues the state for the writer thread (the loop never waits on
    /// the disk).
    fn save(&self) {
        self.writer.save(self.saved);
    }
}
