//! What the PD client's and the advertising router's events do: number
//! the LAN from a delegated prefix, renumber it (RFC 9096), unnumber it.

use std::net::Ipv6Addr;

use dhcpv6_proto::{Dhcpv6Client, Dhcpv6ClientEvent};
use ndp_proto::router::ND_VALID_LIMIT;
use ndp_proto::{NdpRouter, NdpRouterEvent, carve_lan_prefix};
use sansio_primitives::Instant;
use tracing::{info, warn};

use super::{Delegation, Ipv6Core, MAX_DEPRECATED, NetChange, lifetime, mask};

impl Ipv6Core {
    pub(super) fn unnumber(&mut self, d: &Delegation) {
        self.net.push_back(NetChange::DeleteLanAddress(d.lan));
        if d.prefix_len < 64 {
            self.net
                .push_back(NetChange::DeleteUnreachable(d.prefix, d.prefix_len));
        }
    }

    /// `d`'s /64 is advertised with preferred lifetime 0 until it runs
    /// out: at the latest its delegation's end or ND_VALID_LIMIT from now
    /// (RFC 9096 caps what hosts were told). Nothing to show when no RA
    /// ever carried it.
    pub(super) fn deprecate(&mut self, now: Instant, d: &Delegation) {
        self.deprecated.retain(|p| p.0 != d.lan);
        if self.ra.is_none() {
            return;
        }
        let until = d.valid_until.min(now + ND_VALID_LIMIT);
        if until > now {
            if self.deprecated.len() >= MAX_DEPRECATED {
                self.deprecated.pop_front();
            }
            self.deprecated.push_back((d.lan, until));
        }
    }

    /// Handles the machines' events.
    pub(super) fn pump(&mut self, now: Instant) {
        self.deprecated.retain(|p| p.1 > now);
        while let Some(e) = self.client.as_mut().and_then(Dhcpv6Client::poll_event) {
            self.on_client(now, e);
        }
        while let Some(e) = self.ra.as_mut().and_then(NdpRouter::poll_event) {
            match e {
                NdpRouterEvent::StalePrefixRemoved { prefix } => {
                    info!("{prefix}/64 is no longer advertised on the LAN");
                    self.deprecated.retain(|p| p.0 != prefix);
                }
                NdpRouterEvent::DelegatedPrefixExpired { prefix } => {
                    info!("{prefix}/64: the delegation's valid lifetime ran out");
                }
                NdpRouterEvent::InconsistentAdvertisement { router } => {
                    warn!("another router on the LAN ({router}) advertises other values");
                }
            }
        }
    }

    pub(super) fn on_client(&mut self, now: Instant, e: Dhcpv6ClientEvent) {
        match e {
            Dhcpv6ClientEvent::PrefixDelegated {
                prefix,
                prefix_len,
                preferred,
                valid,
                exclude,
            } => {
                if let Ok(lan) = carve_lan_prefix(prefix, prefix_len, self.cfg.lan_subnet)
                    && exclude.is_some_and(|(x, l)| l <= 64 && mask(lan, l) == mask(x, l))
                {
                    // RFC 6603: the ISP uses that part on its side.
                    warn!(
                        "delegated prefix {prefix}/{prefix_len} not used: the LAN's /64 (ipv6.lan_subnet) is inside its excluded prefix {:?}",
                        exclude
                    );
                    return;
                }
                self.delegate(now, prefix, prefix_len, preferred, valid);
            }
            Dhcpv6ClientEvent::PrefixRenewed {
                prefix,
                prefix_len,
                preferred,
                valid,
            } => self.delegate(now, prefix, prefix_len, preferred, valid),
            Dhcpv6ClientEvent::PrefixLost {
                prefix,
                prefix_len,
                reason,
            } => {
                info!("delegated prefix {prefix}/{prefix_len} lost: {reason:?}");
                if let Some(d) = self
                    .delegated
                    .filter(|d| (d.prefix, d.prefix_len) == (prefix, prefix_len))
                {
                    self.delegated = None;
                    self.unnumber(&d);
                    if let Some(ra) = &mut self.ra {
                        let _ = ra.withdraw_delegated_prefix(now);
                    }
                    self.deprecate(now, &d);
                }
            }
            Dhcpv6ClientEvent::DnsServers(d) => {
                info!("DHCPv6 DNS servers: {d:?}");
                self.dns = d;
                let rdnss = self.rdnss();
                if let Some(ra) = &mut self.ra {
                    let _ = ra.set_dns_servers(now, rdnss);
                }
            }
            _ => {}
        }
    }

    pub(super) fn delegate(
        &mut self,
        now: Instant,
        prefix: Ipv6Addr,
        prefix_len: u8,
        preferred: u32,
        valid: u32,
    ) {
        let lan = match carve_lan_prefix(prefix, prefix_len, self.cfg.lan_subnet) {
            Ok(l) => l,
            Err(e) => {
                warn!("delegated prefix {prefix}/{prefix_len} not used (ipv6.lan_subnet): {e}");
                return;
            }
        };
        let (valid, preferred) = (lifetime(valid), lifetime(preferred));
        let d = Delegation {
            prefix,
            prefix_len,
            lan,
            preferred_until: now + preferred.min(valid),
            valid_until: now + valid,
        };
        let old = self.delegated.replace(d);
        if old.is_none_or(|o| (o.prefix, o.prefix_len) != (prefix, prefix_len)) {
            info!(
                "delegated prefix {prefix}/{prefix_len} (preferred {}s, valid {}s): LAN {lan}/64",
                preferred.as_secs(),
                valid.as_secs()
            );
            if let Some(o) = old {
                // Renumbered (RFC 9096): the old /64 stays advertised,
                // deprecated, while hosts may still hold addresses in it.
                self.unnumber(&o);
                if o.lan != lan {
                    self.deprecate(now, &o);
                }
            }
            self.deprecated.retain(|p| p.0 != lan);
            if prefix_len < 64 {
                self.net
                    .push_back(NetChange::AddUnreachable(prefix, prefix_len));
            }
            self.net.push_back(NetChange::AddLanAddress(lan));
            self.save = Some((prefix, prefix_len));
            self.hint = Some((prefix, prefix_len));
        }
        if let Some(ra) = &mut self.ra {
            let _ = ra.set_delegated_prefix(now, prefix, prefix_len, valid, preferred);
        }
    }
}
