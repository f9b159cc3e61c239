//! The 464XLAT CLAT (RFC 6877) for a WAN without IPv4.
//!
//! The router translates its LAN's IPv4 statelessly and sends it out the
//! PPP session as IPv6; the ISP's NAT64 (the PLAT) does the stateful step.
//! The address plan is xlat's [`Clat`]: the LAN's IPv4 subnet is mapped
//! into a dedicated /96 of the delegated prefix (`clat.subnet`, by default
//! the last /64), destinations are embedded in the NAT64 prefix; the
//! translator is xlat's [`Siit`] configured by [`Clat::siit_config`].
//!
//! Where: a TUN device of its own (`clat.interface`, `clat0`), as clatd and
//! Android's CLAT do, rather than inside the PPP data path. The kernel
//! routes IPv4 to it (the IPv4 default route, put there only while the WAN
//! has no IPv4) and the CLAT /96 back to it, so LAN → CLAT → ppp0 is
//! ordinary forwarding: the forward firewall and conntrack see both
//! families, and the NAT44 masquerade (`oifname ppp0`) never touches the
//! LAN's IPv4, which leaves untranslated on no interface. Changing the
//! plan (a new delegated or NAT64 prefix) is closing the TUN (its routes
//! go with it) and opening it again. The loop is xlatd's SIIT branch
//! (`xlatd::siit_io`, shared with `router_bin::xlatd`, whose loop owns its
//! process's signals, lock and control socket).

mod config;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use sansio_primitives::{SeededRng, StdClock};
use tracing::{debug, info, warn};
use xlat::clat::Clat;
use xlat::{HEADROOM, Siit, XlatCounters};

use crate::aio::AsyncTun;
use crate::netconf::{Netconf, disable_ipv6_autoconf};
use crate::router::config::LanAddr;
use crate::xlatd::siit_io::{self, TunIo};

pub use config::ClatConfig;
pub use dns64::Nat64Prefix;

/// What the CLAT is built from; a change rebuilds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClatInputs {
    /// The delegated prefix and its length.
    pub delegated: (Ipv6Addr, u8),
    /// The NAT64 prefix (the PLAT's).
    pub plat: Nat64Prefix,
    /// The PPP MTU (the CLAT's is 20 less: IPv6's header is longer).
    pub wan_mtu: u16,
}

/// The running translator.
struct Running {
    inputs: ClatInputs,
    plan: Clat,
    tun: AsyncTun,
    siit: Box<Siit>,
    mtu: u16,
}

/// The CLAT service in the router's event loop.
pub struct ClatService {
    cfg: ClatConfig,
    lan: LanAddr,
    running: Option<Running>,
    /// Why it does not run (for `router status`).
    idle: &'static str,
    io: TunIo,
    /// The counters of translators closed before (a rebuild keeps counting).
    earlier: XlatCounters,
    buf: Vec<u8>,
    frags: Vec<u8>,
    /// Forked for each translator (its RFC 6791 source choice).
    rng: SeededRng,
}

/// The plan for `inputs`: the CLAT's /64 of the delegation, its first /96.
pub fn plan(cfg: &ClatConfig, lan: LanAddr, inputs: &ClatInputs) -> Result<Clat, String> {
    let (prefix, len) = inputs.delegated;
    Clat::from_delegation(
        prefix,
        len,
        cfg.subnet_in(len),
        inputs.plat,
        lan.network(),
        lan.prefix_len,
    )
    .map_err(|e| format!("CLAT address plan: {e}"))
}

impl ClatService {
    /// A CLAT not yet running.
    pub fn new(cfg: &ClatConfig, lan: LanAddr, seed: [u8; 32]) -> ClatService {
        ClatService {
            cfg: cfg.clone(),
            lan,
            running: None,
            idle: if cfg.enabled {
                "the WAN has IPv4"
            } else {
                "off (clat.enabled = false)"
            },
            io: TunIo::default(),
            earlier: XlatCounters::default(),
            buf: Vec::new(),
            frags: Vec::new(),
            rng: SeededRng::from_seed(seed),
        }
    }

    /// Starts, rebuilds or stops the CLAT: `want` is what it must run with
    /// (`None`: the WAN has IPv4, or no delegated or NAT64 prefix yet:
    /// `why` says which).
    pub async fn update(&mut self, net: &Netconf, want: Option<ClatInputs>, why: &'static str) {
        if !self.cfg.enabled {
            return;
        }
        if self.running.as_ref().map(|r| r.inputs) == want {
            if want.is_none() {
                self.idle = why;
            }
            return;
        }
        if let Some(r) = self.running.take() {
            add(&mut self.earlier, r.siit.counters());
            info!("CLAT stopped ({why})");
            // Closing the TUN removes it and its routes. The IPv4 default
            // route went with it, unless IPCP's replaced it already.
            drop(r.tun);
        }
        self.idle = why;
        let Some(inputs) = want else {
            return;
        };
        match self.start(net, inputs).await {
            Ok(r) => {
                info!(
                    "CLAT on {}: {}/{} from {}, to {} (MTU {})",
                    self.cfg.interface,
                    r.plan.lan.0,
                    r.plan.lan.1,
                    r.plan.prefix,
                    r.plan.plat,
                    r.mtu
                );
                self.running = Some(r);
            }
            Err(e) => {
                warn!("CLAT: {e}");
                self.idle = "failed to start (see the log)";
            }
        }
    }

    async fn start(&mut self, net: &Netconf, inputs: ClatInputs) -> Result<Running, String> {
        let plan = plan(&self.cfg, self.lan, &inputs)?;
        let siit_cfg = plan.siit_config().map_err(|e| e.to_string())?;
        let siit = Siit::new(siit_cfg, self.rng.fork()).map_err(|e| e.to_string())?;
        let name = self.cfg.interface.as_str();
        let tun = AsyncTun::open(name).map_err(|e| format!("TUN {name}: {e}"))?;
        disable_ipv6_autoconf(name).map_err(|e| format!("{name}: {e}"))?;
        // A namespace may create interfaces with IPv6 off.
        crate::router::firewall::enable_ipv6(name).map_err(|e| format!("{name}: {e}"))?;
        // The TUN carries both forms: IPv6 packets from the session up to
        // the WAN MTU (a 1492-byte one must fit, or the kernel answers it
        // with Packet Too Big), IPv4 ones 20 bytes shorter; so the link
        // takes the WAN MTU and the IPv4 route the 20 less.
        let wan_mtu = inputs.wan_mtu.max(1280);
        let mtu = wan_mtu.saturating_sub(20).max(1260);
        net.link_up(name, Some(u32::from(wan_mtu)))
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        net.replace_route_mtu(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            0,
            name,
            Some(u32::from(mtu)),
        )
        .await
        .map_err(|e| format!("IPv4 default route dev {name}: {e}"))?;
        net.replace_route(IpAddr::V6(plan.prefix.addr()), 96, name)
            .await
            .map_err(|e| format!("route {}/96 dev {name}: {e}", plan.prefix.addr()))?;
        (self.buf, self.frags) = siit_io::buffers(usize::from(wan_mtu));
        Ok(Running {
            inputs,
            plan,
            tun,
            siit: Box::new(siit),
            mtu,
        })
    }

    /// Waits for a packet on the CLAT's TUN and translates it (pending
    /// forever while it does not run). Cancel-safe: a packet read is
    /// handled before returning.
    pub async fn step(&mut self, clock: &StdClock) {
        let Some(r) = &mut self.running else {
            return std::future::pending().await;
        };
        let n = match r.tun.recv(&mut self.buf[HEADROOM..]).await {
            Ok(n) => n,
            Err(e) => {
                warn!("{} receive: {e}", self.cfg.interface);
                tokio::time::sleep(Duration::from_millis(200)).await;
                return;
            }
        };
        self.io.read += 1;
        let (buf, frags, io) = (&mut self.buf, &mut self.frags, &mut self.io);
        if let Err(d) =
            siit_io::translate(&mut r.siit, clock.now(), &r.tun, buf, n, frags, io, "CLAT")
        {
            debug!("CLAT dropped: {d}");
        }
    }

    /// The CLAT lines of `router status`.
    pub fn status_text(&self) -> String {
        let mut c = self.earlier;
        let mut s = match &self.running {
            Some(r) => {
                add(&mut c, r.siit.counters());
                format!(
                    "clat: on {} mtu {}: {}/{} as {}/96 to {}\n",
                    self.cfg.interface,
                    r.mtu,
                    r.plan.lan.0,
                    r.plan.lan.1,
                    r.plan.prefix.addr(),
                    r.plan.plat
                )
            }
            None => format!("clat: - ({})\n", self.idle),
        };
        s += &format!(
            "clat counters: 4to6 {} 6to4 {} icmp errors {} dropped {} (read {} written {} write errors {})\n",
            c.translated_4to6,
            c.translated_6to4,
            c.icmp_errors_sent,
            dropped(&c),
            self.io.read,
            self.io.written,
            self.io.write_errors
        );
        s
    }
}

/// Every drop reason xlat counts, summed.
fn dropped(c: &XlatCounters) -> u64 {
    c.no_headroom
        + c.malformed
        + c.untranslatable_source
        + c.untranslatable_destination
        + c.untranslatable_icmp
        + c.fragmented_icmp
        + c.udp_zero_checksum
        + c.output_too_small
}

/// `into += c` for the counters `router status` shows.
fn add(into: &mut XlatCounters, c: &XlatCounters) {
    into.translated_4to6 += c.translated_4to6;
    into.translated_6to4 += c.translated_6to4;
    into.icmp_errors_sent += c.icmp_errors_sent;
    into.no_headroom += c.no_headroom;
    into.malformed += c.malformed;
    into.untranslatable_source += c.untranslatable_source;
    into.untranslatable_destination += c.untranslatable_destination;
    into.untranslatable_icmp += c.untranslatable_icmp;
    into.fragmented_icmp += c.fragmented_icmp;
    into.udp_zero_checksum += c.udp_zero_checksum;
    into.output_too_small += c.output_too_small;
}

#[cfg(test)]
mod tests;
