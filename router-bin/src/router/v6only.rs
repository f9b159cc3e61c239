//! What the router does for a WAN without IPv4 and with a NAT64 (issue
//! 16): learns the NAT64 prefix ([`Nat64Learner`]), hands it to the LAN's
//! RAs (PREF64), to the DNS forwarder (`dns.dns64_prefix = "auto"`) and to
//! the CLAT ([`ClatService`]), runs the CLAT while the WAN has no IPv4,
//! and the forwarder the learned prefix with `dns.dns64_prefix = "auto"`
//! (it listens on the LAN interface's IPv6 addresses, the link-local RDNSS
//! included, and takes DHCPv6's DNS servers as upstreams by itself).
//!
//! The event loop calls [`V6Only::sync`] when [`V6Only::due`] says so
//! (something changed, or a second passed), [`V6Only::on_session_ipv6`] on
//! each IPv6 packet from the session, and waits on [`V6Only::step`].

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use sansio_primitives::StdClock;
use tracing::warn;

use crate::netconf::Netconf;
use crate::router::clat::{ClatInputs, ClatService};
use crate::router::config::Config;
use crate::router::dns::LanDns;
use crate::router::ipv6::Ipv6;
use crate::router::nat64::{Nat64Learner, pref64_in};
use crate::router::wan::Wan;

/// How often [`V6Only::sync`] runs without a reason (a PREF64 running
/// out, the LAN's link-local address appearing).
const TICK: Duration = Duration::from_secs(1);

/// The IPv6-only WAN's services.
pub struct V6Only {
    learner: Nat64Learner,
    clat: ClatService,
    clock: StdClock,
    dns64_auto: bool,
    /// Something changed since the last sync.
    dirty: bool,
    last_sync: Instant,
    /// What was last handed on (to act on changes only).
    nat64_given: Option<Option<dns64::Nat64Prefix>>,
}

impl V6Only {
    /// Nothing runs yet.
    pub fn new(cfg: &Config, seed: [u8; 32]) -> Result<V6Only, String> {
        let mut clat_seed = seed;
        clat_seed[0] ^= 0x5a;
        Ok(V6Only {
            learner: Nat64Learner::new(cfg.ipv6.nat64()?, seed),
            clat: ClatService::new(&cfg.clat, cfg.lan_addr()?, clat_seed),
            clock: StdClock::new(),
            dns64_auto: cfg.dns64_auto(),
            dirty: true,
            last_sync: Instant::now(),
            nat64_given: None,
        })
    }

    /// An IPv6 packet from the session (before it goes into the TUN): a
    /// PREF64 in an RA is taken.
    pub fn on_session_ipv6(&mut self, packet: &[u8]) {
        if let Some((prefix, lifetime)) = pref64_in(packet) {
            self.learner.on_pref64(prefix, lifetime);
            self.dirty = true;
        }
    }

    /// Something the sync depends on changed (a WAN action, the IPv6
    /// service's step).
    pub fn touch(&mut self) {
        self.dirty = true;
    }

    /// Whether [`Self::sync`] should run now.
    pub fn due(&self) -> bool {
        self.dirty || self.last_sync.elapsed() >= TICK
    }

    /// Brings everything in line with the WAN and the IPv6 service.
    pub async fn sync(
        &mut self,
        net: &Netconf,
        wan: &Wan,
        mut ipv6: Option<&mut Ipv6>,
        forwarder: Option<&mut LanDns>,
    ) {
        self.dirty = false;
        self.last_sync = Instant::now();
        let dhcp6_dns: Vec<Ipv6Addr> = ipv6
            .as_deref()
            .map(|v| v.dns_servers().to_vec())
            .unwrap_or_default();
        // RFC 7050 asks the WAN's resolvers: IPCP's, then DHCPv6's.
        let mut resolvers: Vec<IpAddr> = wan.ipcp_dns().iter().map(|a| IpAddr::V4(*a)).collect();
        resolvers.extend(dhcp6_dns.iter().map(|a| IpAddr::V6(*a)));
        self.learner.set_resolvers(resolvers);
        let nat64 = self.learner.current().map(|(p, _)| p);
        if self.nat64_given != Some(nat64) {
            self.nat64_given = Some(nat64);
            if let Some(v6) = ipv6.as_deref_mut()
                && let Err(e) = v6.set_nat64_prefix(nat64.map(|p| (p.addr(), p.prefix_len())))
            {
                warn!("PREF64 on the LAN: {e}");
            }
        }
        if let Some(f) = forwarder
            && self.dns64_auto
        {
            f.set_dns64_prefix(nat64).await;
        }
        let delegated = ipv6.as_deref().and_then(|v| v.delegation()).map(|(d, _)| d);
        let (want, why) = match (wan.ipv4_absent(), delegated, nat64) {
            (None, ..) => (None, "the WAN has IPv4 (or no session)"),
            (Some(_), None, _) => (None, "no delegated prefix yet"),
            (Some(_), Some(_), None) => (None, "no NAT64 prefix known"),
            (Some(_), Some(delegated), Some(plat)) => (
                Some(ClatInputs {
                    delegated,
                    plat,
                    wan_mtu: wan.mtu(),
                }),
                "",
            ),
        };
        self.clat.update(net, want, why).await;
    }

    /// Waits for the CLAT's TUN or the prefix discovery, or the tick.
    /// Cancel-safe.
    pub async fn step(&mut self) {
        let tick = tokio::time::Instant::from_std(self.last_sync + TICK);
        tokio::select! {
            () = self.clat.step(&self.clock) => {}
            () = self.learner.step() => self.dirty = true,
            () = tokio::time::sleep_until(tick) => {}
        }
    }

    /// The NAT64 and CLAT lines of `router status`.
    pub fn status_text(&self) -> String {
        self.learner.status_text() + &self.clat.status_text()
    }
}
