//! One dial of the load generator: a [`ClientLink`] from its own MAC, the
//! stage it has reached, and (with `--pd`) its DHCPv6-PD client.

use std::time::Instant as StdInstant;

use ppp_proto::{AuthMethods, PppConfig, PppEvent, Role};
use pppoe_link::{ClientLink, ClientLinkEvent, PPP_IPV6};
use pppoe_proto::wire::EthernetAddress;
use pppoe_proto::{PppoeClientConfig, PppoeClientEvent};
use sansio_primitives::{Instant, SeededRng};

use crate::loadgen::pd::Pd;
use crate::loadgen::{Auth, LoadgenConfig};

/// How far a dial got; a failure is counted at the stage it was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// PADI/PADO/PADR/PADS.
    Discovery,
    /// LCP negotiation.
    Lcp,
    /// PAP or CHAP.
    Auth,
    /// IPCP and/or IPv6CP.
    Ncp,
    /// DHCPv6 prefix delegation.
    Pd,
    /// Everything asked for is up.
    Up,
}

impl Stage {
    /// Every stage a dial can fail in, in order.
    pub const FAILING: [Stage; 5] = [
        Stage::Discovery,
        Stage::Lcp,
        Stage::Auth,
        Stage::Ncp,
        Stage::Pd,
    ];

    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Discovery => "discovery",
            Stage::Lcp => "lcp",
            Stage::Auth => "auth",
            Stage::Ncp => "ncp",
            Stage::Pd => "pd",
            Stage::Up => "up",
        }
    }
}

/// What became of a dial after an input or timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still on its way (or still up).
    Running,
    /// Everything asked for came up just now.
    CameUp,
    /// The link ended; the stage it was in.
    Ended(Stage),
}

/// One subscriber.
pub struct Dial {
    /// Its MAC (locally administered).
    pub mac: [u8; 6],
    /// The link (a new one for each redial).
    pub link: ClientLink,
    /// How far it got.
    pub stage: Stage,
    /// When this attempt started.
    pub started: StdInstant,
    /// Attempts so far (1 for the first).
    pub attempts: u32,
    /// IPCP / IPv6CP are open.
    v4: bool,
    v6: bool,
    /// The prefix delegation, once IPv6CP is up (with `--pd`).
    pub pd: Option<Pd>,
    /// Teardown asked for (LCP Terminate, then PADT).
    pub closing: bool,
    /// `CameUp` was reported (once per attempt).
    reported_up: bool,
    /// The link ended (nothing more to do with it).
    pub ended: bool,
}

/// The MAC of subscriber `n`: `02:<seed>:n` (locally administered, unicast).
pub fn mac_of(seed: u8, n: usize) -> [u8; 6] {
    let b = (n as u32).to_be_bytes();
    [0x02, seed, b[0], b[1], b[2], b[3]]
}

/// The PPP settings of subscriber `n`.
fn ppp_config(cfg: &LoadgenConfig, n: usize) -> PppConfig {
    let user = cfg.user.replace("{n}", &n.to_string());
    let mut ppp = PppConfig::peer(user.as_bytes(), cfg.password.as_bytes());
    if let Role::Peer(p) = &mut ppp.role {
        p.accept = match cfg.auth {
            Auth::Pap => AuthMethods {
                chap_md5: false,
                pap: true,
            },
            Auth::Chap => AuthMethods {
                chap_md5: true,
                pap: false,
            },
            Auth::Any => AuthMethods {
                chap_md5: true,
                pap: true,
            },
        };
    }
    ppp.ipv4 = cfg.ipv4;
    ppp.ipv6 = cfg.ipv6;
    ppp
}

impl Dial {
    /// Starts subscriber `n` (a PADI is queued at once).
    pub fn new(cfg: &LoadgenConfig, n: usize, rng: SeededRng, now: Instant) -> Dial {
        let mac = mac_of(cfg.mac_seed, n);
        Dial {
            mac,
            link: new_link(cfg, n, mac, rng, now),
            stage: Stage::Discovery,
            started: StdInstant::now(),
            attempts: 1,
            v4: false,
            v6: false,
            pd: None,
            closing: false,
            reported_up: false,
            ended: false,
        }
    }

    /// Dials again from the start with a fresh link.
    pub fn redial(&mut self, cfg: &LoadgenConfig, n: usize, rng: SeededRng, now: Instant) {
        self.link = new_link(cfg, n, self.mac, rng, now);
        self.stage = Stage::Discovery;
        self.started = StdInstant::now();
        self.attempts += 1;
        (self.v4, self.v6, self.pd) = (false, false, None);
        (self.reported_up, self.ended) = (false, false);
    }

    /// Takes the link's events; what became of the dial.
    pub fn on_events(&mut self, cfg: &LoadgenConfig, n: usize, now: Instant) -> Outcome {
        let mut out = Outcome::Running;
        while let Some(e) = self.link.poll_event() {
            match e {
                ClientLinkEvent::Pppoe(PppoeClientEvent::SessionUp { .. }) => {
                    self.stage = Stage::Lcp;
                }
                ClientLinkEvent::Pppoe(PppoeClientEvent::DiscoveryFailed { .. })
                | ClientLinkEvent::Pppoe(PppoeClientEvent::SessionDown { .. })
                | ClientLinkEvent::Ppp(PppEvent::Down { .. }) => {
                    out = Outcome::Ended(self.stage);
                }
                ClientLinkEvent::Ppp(PppEvent::LinkUp { .. }) if self.stage < Stage::Auth => {
                    self.stage = Stage::Auth;
                }
                ClientLinkEvent::Ppp(PppEvent::AuthSucceeded { .. }) => {
                    self.stage = self.stage.max(Stage::Ncp);
                }
                ClientLinkEvent::Ppp(PppEvent::Ipv4Up { .. }) => self.v4 = true,
                ClientLinkEvent::Ppp(PppEvent::Ipv6Up { local_ifid, .. }) => {
                    self.v6 = true;
                    if cfg.pd && self.pd.is_none() {
                        self.pd = Some(Pd::new(self.mac, local_ifid, n as u64, now));
                    }
                }
                _ => {}
            }
        }
        if matches!(out, Outcome::Ended(_)) {
            if self.ended {
                return Outcome::Running;
            }
            self.ended = true;
            return out;
        }
        if self.stage == Stage::Ncp && (!cfg.ipv4 || self.v4) && (!cfg.ipv6 || self.v6) {
            self.stage = if cfg.pd { Stage::Pd } else { Stage::Up };
        }
        if self.stage == Stage::Pd && self.pd.as_ref().is_some_and(|p| p.delegated.is_some()) {
            self.stage = Stage::Up;
        }
        // A dial given up (expired, or setup stopped) that comes up late
        // is not counted: it was counted failed and is being closed.
        if self.stage == Stage::Up && !self.reported_up && !self.ended {
            // Reported once: the caller moves the dial out of flight.
            self.reported_up = true;
            return Outcome::CameUp;
        }
        out
    }

    /// An IPv6 packet received in the session (for the PD client).
    pub fn on_ipv6(&mut self, now: Instant, packet: &[u8]) {
        if let Some(pd) = &mut self.pd {
            pd.on_packet(now, packet);
        }
    }

    /// Moves the PD client's messages into the session's frames.
    pub fn pump_pd(&mut self, now: Instant, out: &mut Vec<Vec<u8>>) {
        let Some(pd) = &mut self.pd else { return };
        let mut buf = [0u8; 1600];
        for packet in pd.transmits(now) {
            if let Ok(n) = self.link.encapsulate_data(PPP_IPV6, &packet, &mut buf) {
                out.push(buf[..n].to_vec());
            }
        }
    }

    /// The next deadline of the link and the PD client.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let pd = self.pd.as_ref().and_then(Pd::poll_timeout);
        [self.link.poll_timeout(), pd].into_iter().flatten().min()
    }

    /// Runs due timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.link.handle_timeout(now);
        if let Some(pd) = &mut self.pd {
            pd.handle_timeout(now);
        }
    }
}

fn new_link(
    cfg: &LoadgenConfig,
    n: usize,
    mac: [u8; 6],
    rng: SeededRng,
    now: Instant,
) -> ClientLink {
    let pppoe = PppoeClientConfig::new(EthernetAddress(mac));
    // The settings are the defaults' with a user name and flags: valid.
    ClientLink::new(pppoe, ppp_config(cfg, n), rng, now).expect("valid client settings")
}
