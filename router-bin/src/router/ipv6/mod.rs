//! IPv6 for the LAN: once IPv6CP is up, a DHCPv6-PD client (RFC 8415)
//! asks the ISP for a prefix over the PPP session (UDP from the PPP
//! interface's link-local address to ff02::1:2, through the kernel and the
//! TUN like any other packet); the LAN gets the `ipv6.lan_subnet`-th /64 of
//! it, `prefix::1/64` on the LAN interface, and router advertisements
//! (`ndp-proto`'s [`ndp_proto::NdpRouter`] on a raw ICMPv6 socket) so hosts
//! configure themselves with SLAAC; RDNSS is the router's link-local
//! address, PREF64 the NAT64 prefix once known. A new prefix renumbers the
//! LAN as RFC 9096 says (the old /64 advertised deprecated until it runs
//! out); the rest of the delegated prefix gets an unreachable route; the
//! prefix is kept in `<state_dir>/ipv6.toml` and hinted after a restart.
//! The kernel keeps taking the ISP's RAs on the PPP interface
//! (`accept_ra = 2`).
//!
//! The logic is [`logic::Ipv6Core`] (no sockets, unit-tested); [`Ipv6`]
//! drives it from the router's event loop.

mod config;
mod logic;
mod sockets;
mod store;

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration as StdDuration;

use dhcpv6_proto::client::Dhcpv6ClientDestination;
use sansio_primitives::{SeededRng, StdClock};
use tokio::net::UdpSocket;
use tokio::time::{Instant, sleep_until};
use tracing::{debug, info, warn};

use crate::netconf::Netconf;
use crate::router::config::Config;
use crate::router::state::Writer;
use crate::router::wan::Action;
pub use config::Ipv6Config;
pub use logic::{Ipv6Core, NetChange, router_address};
use sockets::LanIcmp;

/// How often the LAN interface's link-local address is looked for until
/// it is there (after DAD).
const LAN_RETRY: StdDuration = StdDuration::from_millis(500);

/// The IPv6 service in the router's event loop.
pub struct Ipv6 {
    core: Ipv6Core,
    clock: StdClock,
    lan_if: String,
    ppp_index: u32,
    dhcp: UdpSocket,
    lan: Option<LanIcmp>,
    lan_retry: Instant,
    writer: Writer<(Ipv6Addr, u8)>,
    buf: Vec<u8>,
    icmp_buf: Vec<u8>,
}

/// What one step waited for.
enum Woke {
    Dhcp(std::io::Result<(usize, SocketAddr)>),
    Icmp(std::io::Result<sockets::Received>),
    Timer,
}

impl Ipv6 {
    /// Sets the kernel up (forwarding, the PPP interface's RA settings)
    /// and opens the DHCPv6 socket on the PPP interface; `None` when
    /// `ipv6.enabled` or `wan.ipv6` is off.
    pub fn open(cfg: &Config, wan_mac: [u8; 6], seed: [u8; 32]) -> Result<Option<Ipv6>, String> {
        if !cfg.ipv6.enabled || !cfg.wan.ipv6 {
            return Ok(None);
        }
        let ppp = cfg.wan.ppp_interface.as_str();
        let lan_if = cfg.lan.interface.as_str();
        sockets::enable_forwarding(ppp).map_err(|e| format!("IPv6 forwarding: {e}"))?;
        if let Err(e) = crate::router::firewall::enable_ipv6(lan_if) {
            warn!("IPv6 on {lan_if}: {e}");
        }
        let ppp_index = sockets::index(ppp).map_err(|e| e.to_string())?;
        let dhcp = sockets::dhcp_socket(ppp, ppp_index).map_err(|e| format!("DHCPv6: {e}"))?;
        let hint = match store::load(&cfg.state_dir) {
            Ok(h) => h,
            Err(e) => {
                warn!("ignoring the IPv6 state file: {e}");
                None
            }
        };
        if let Some((p, l)) = hint {
            info!("last delegated prefix {p}/{l}: asking for it again");
        }
        let clock = StdClock::new();
        let mut core = Ipv6Core::new(cfg.ipv6.clone(), wan_mac, hint, SeededRng::from_seed(seed));
        core.set_nat64_prefix(clock.now(), cfg.ipv6.nat64()?)?;
        core.set_rdnss_is_router(cfg.dns.enabled);
        Ok(Some(Ipv6 {
            core,
            clock,
            lan_if: lan_if.to_owned(),
            ppp_index,
            dhcp,
            lan: None,
            lan_retry: Instant::now(),
            writer: store::writer(cfg.state_dir.clone()),
            buf: vec![0u8; 2048],
            icmp_buf: vec![0u8; 2048],
        }))
    }

    /// What the WAN did: IPv6CP up starts (or rebinds) the PD client; down
    /// takes the default router off the LAN.
    pub fn on_wan(&mut self, action: &Action) {
        let now = self.clock.now();
        match action {
            Action::Ipv6Up(_) => self.core.wan_up(now),
            Action::Ipv6Down(_) | Action::Down => self.core.wan_down(now),
            _ => {}
        }
    }

    /// The delegated prefix and its length, and the LAN's /64.
    pub fn delegation(&self) -> Option<((Ipv6Addr, u8), Ipv6Addr)> {
        self.core
            .delegation()
            .map(|d| ((d.prefix, d.prefix_len), d.lan))
    }

    /// The DNS servers DHCPv6 gave.
    pub fn dns_servers(&self) -> &[Ipv6Addr] {
        self.core.dns_servers()
    }

    /// Sets or clears the NAT64 prefix (PREF64 on the LAN, `router status`).
    pub fn set_nat64_prefix(&mut self, prefix: Option<(Ipv6Addr, u8)>) -> Result<(), String> {
        self.core.set_nat64_prefix(self.clock.now(), prefix)
    }

    /// The next kernel change to apply with [`apply`].
    pub fn poll_net(&mut self) -> Option<NetChange> {
        self.core.poll_net()
    }

    /// The IPv6 lines of `router status`.
    pub fn status_text(&self) -> String {
        self.core.status_text(self.clock.now(), &self.lan_if)
    }

    /// The last RA (Router Lifetime 0) and the LAN address's removal
    /// (then drain [`Self::poll_net`]).
    pub fn shutdown(&mut self) {
        self.core.shutdown(self.clock.now());
        self.flush();
    }

    /// Waits for a DHCPv6 datagram, a Router Solicitation or a timer and
    /// handles it. Cancel-safe (everything after a wake-up is synchronous).
    pub async fn step(&mut self) {
        self.flush();
        let mut next = Instant::now() + StdDuration::from_secs(3600);
        if let Some(t) = self.core.poll_timeout().and_then(|t| self.clock.to_std(t)) {
            next = next.min(Instant::from_std(t));
        }
        if self.lan.is_none() {
            next = next.min(self.lan_retry);
        }
        let (buf, icmp_buf, dhcp, lan) = (&mut self.buf, &mut self.icmp_buf, &self.dhcp, &self.lan);
        let woke = tokio::select! {
            r = dhcp.recv_from(buf) => Woke::Dhcp(r),
            r = async {
                match lan {
                    Some(l) => l.recv(icmp_buf).await,
                    None => std::future::pending().await,
                }
            } => Woke::Icmp(r),
            () = sleep_until(next) => Woke::Timer,
        };
        let now = self.clock.now();
        match woke {
            Woke::Dhcp(Ok((n, _))) => self.core.handle_dhcp(now, &self.buf[..n]),
            Woke::Icmp(Ok((n, src, dst, hops))) => {
                self.core
                    .handle_icmp(now, src, dst, hops, &self.icmp_buf[..n]);
            }
            Woke::Dhcp(Err(e)) | Woke::Icmp(Err(e)) => {
                debug!("IPv6 receive: {e}");
                tokio::time::sleep(StdDuration::from_millis(100)).await;
            }
            Woke::Timer => {
                if self.lan.is_none() && Instant::now() >= self.lan_retry {
                    self.open_lan();
                }
                self.core.handle_timeout(now);
            }
        }
        self.flush();
    }

    /// Starts the RAs once the LAN interface has its link-local address.
    fn open_lan(&mut self) {
        self.lan_retry = Instant::now() + LAN_RETRY;
        let Some(source) = sockets::link_local(&self.lan_if) else {
            return;
        };
        match LanIcmp::open(&self.lan_if, source) {
            Ok(s) => {
                self.lan = Some(s);
                let mac = sockets::mac(&self.lan_if);
                self.core.lan_ready(self.clock.now(), source, mac);
            }
            Err(e) => {
                warn!("ICMPv6 socket on {}: {e}", self.lan_if);
                self.lan_retry = Instant::now() + StdDuration::from_secs(5);
            }
        }
    }

    /// Sends what the machines queued; saves a new prefix.
    fn flush(&mut self) {
        let now = self.clock.now();
        while let Some(t) = self.core.poll_dhcp(now) {
            let to = match t.destination {
                Dhcpv6ClientDestination::AllServers => sockets::ALL_DHCP_SERVERS,
                Dhcpv6ClientDestination::Unicast(a) => a,
            };
            let scope = if to.is_unicast_link_local() || to.is_multicast() {
                self.ppp_index
            } else {
                0
            };
            let to = SocketAddrV6::new(to, sockets::SERVER_PORT, 0, scope);
            if let Err(e) = self.dhcp.try_send_to(&t.payload, to.into()) {
                debug!("DHCPv6 send to {to}: {e}");
            }
        }
        while let Some(t) = self.core.poll_ra(now) {
            if let Some(lan) = &self.lan
                && let Err(e) = lan.send(t.destination, &t.payload)
            {
                debug!("RA send on {}: {e}", self.lan_if);
            }
        }
        if let Some(p) = self.core.poll_save() {
            self.writer.save(p);
        }
    }
}

/// Applies one kernel change.
pub async fn apply(net: &Netconf, lan_if: &str, change: NetChange) {
    let v6 = |a: Ipv6Addr| IpAddr::V6(a);
    let r = match change {
        NetChange::AddLanAddress(p) => net.add_address(lan_if, v6(router_address(p)), 64).await,
        NetChange::DeleteLanAddress(p) => {
            net.delete_address(lan_if, v6(router_address(p)), 64).await
        }
        NetChange::AddUnreachable(p, l) => net.replace_unreachable(v6(p), l).await,
        NetChange::DeleteUnreachable(p, l) => net.delete_unreachable(v6(p), l).await,
    };
    match r {
        Ok(()) => debug!("applied {change:?}"),
        Err(e) => warn!("could not apply {change:?}: {e}"),
    }
}
