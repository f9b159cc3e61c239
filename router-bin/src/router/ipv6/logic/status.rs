//! The IPv6 lines of `router status`.

use std::net::Ipv6Addr;

use sansio_primitives::Instant;

use super::{Ipv6Core, router_address};

impl Ipv6Core {
    /// The IPv6 lines of `router status`.
    pub fn status_text(&self, now: Instant, lan_if: &str) -> String {
        let state = match &self.client {
            None if !self.wan_up => "waiting for IPv6CP".to_owned(),
            None => "not running".to_owned(),
            Some(c) => format!("dhcpv6 {:?}", c.state()).to_lowercase(),
        };
        let mut s = match &self.delegated {
            Some(d) => format!(
                "ipv6 prefix: {}/{} preferred {}s valid {}s ({state})\n",
                d.prefix,
                d.prefix_len,
                d.preferred_until.saturating_duration_since(now).as_secs(),
                d.valid_until.saturating_duration_since(now).as_secs()
            ),
            None => format!("ipv6 prefix: - ({state})\n"),
        };
        let mut lan: Vec<String> = self
            .delegated
            .iter()
            .map(|d| format!("{}/64 (router {})", d.lan, router_address(d.lan)))
            .collect();
        lan.extend(self.deprecated.iter().map(|(p, until)| {
            let left = until.saturating_duration_since(now).as_secs();
            format!("{p}/64 deprecated (valid at most {left}s)")
        }));
        if lan.is_empty() {
            lan.push("-".into());
        }
        let ra = if self.ra.is_some() {
            ""
        } else {
            ", no RAs yet"
        };
        s += &format!("ipv6 lan: {} on {lan_if}{ra}\n", lan.join(", "));
        if !self.dns.is_empty() {
            let dns: Vec<String> = self.dns.iter().map(Ipv6Addr::to_string).collect();
            s += &format!("ipv6 dns: {}\n", dns.join(" "));
        }
        if let Some(c) = &self.client {
            let c = c.counters();
            let dropped = c.malformed
                + c.not_ours
                + c.unexpected
                + c.invalid
                + c.server_failure
                + c.unauthenticated;
            s += &format!(
                "ipv6 counters: dhcpv6 rx {} tx {} dropped {}",
                c.received, c.transmitted, dropped
            );
            if let Some(ra) = &self.ra {
                let r = ra.counters();
                let dropped = r.malformed + r.hop_limit + r.invalid + r.unexpected + r.shut_down;
                s += &format!(
                    ", ra tx {} rs {} dropped {}",
                    r.transmitted, r.solicitations, dropped
                );
            }
            s += "\n";
        }
        match self.nat64 {
            Some((p, l)) => s += &format!("nat64 prefix: {p}/{l}\n"),
            None => s += "nat64 prefix:\n",
        }
        s
    }
}
