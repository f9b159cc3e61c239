//! The advertising router, one machine per interface (RFC 4861 §6.2, RFC
//! 4191, RFC 8106, RFC 8781, RFC 7084 G-4/G-5, RFC 9096).
//!
//! # Timing (RFC 4861 §6.2.4, §6.2.6)
//!
//! - Unsolicited RAs every MinRtrAdvInterval..MaxRtrAdvInterval, drawn
//!   uniformly from the injected [`SeededRng`]; the first
//!   [`MAX_INITIAL_RTR_ADVERTISEMENTS`] intervals capped at
//!   [`MAX_INITIAL_RTR_ADVERT_INTERVAL`]. The first RA leaves at
//!   construction time. A content change (new prefix, upstream lost,
//!   PREF64 set) restarts that fast start with an RA at once.
//! - A Router Solicitation is answered with a multicast RA after a random
//!   0–[`MAX_RA_DELAY_TIME`], and never sooner than
//!   [`MIN_DELAY_BETWEEN_RAS`] after the previous multicast RA (then at
//!   that point plus the random delay). An RA already due sooner answers it.
//! - [`NdpRouter::shutdown`] sends one final RA with Router Lifetime 0
//!   (§6.2.5) and stops.
//!
//! # Contents
//!
//! From [`NdpRouterConfig`] and commands: the LAN /64 carved from the
//! delegated prefix by [`crate::carve_lan_prefix`] with the configured
//! `lan_index`, its lifetimes the remaining delegated lifetimes capped at
//! `valid_limit` / `preferred_limit` (RFC 9096 ND_VALID_LIMIT 5400 s,
//! ND_PREFERRED_LIMIT 2700 s); static prefixes; Route Information; MTU;
//! RDNSS (the router's own link-local address by default) and DNSSL;
//! PREF64; Captive-Portal (RFC 8910). While the upstream is down the Router Lifetime is 0 (RFC 7084
//! G-4, G-5); it starts down.
//!
//! # Renumbering (RFC 9096)
//!
//! When the delegated prefix changes or is withdrawn, the old /64 stays in
//! every RA with Preferred Lifetime 0 and a Valid Lifetime that starts at
//! the smaller of what was last advertised and the delegation's remaining
//! valid lifetime, and only shrinks, counted down on the injected clock,
//! until it reaches 0; then it is dropped ([`NdpRouterEvent::StalePrefixRemoved`]).
//! At most `max_stale_prefixes` are kept (the oldest goes first).
//!
//! # Drain order
//!
//! After each `handle_*` call or command, drain [`NdpRouter::poll_transmit`]
//! then [`NdpRouter::poll_event`] until each returns `None`, and read
//! [`NdpRouter::poll_timeout`] last.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::{Duration, Instant, SeededRng, Transmit};

use crate::prefix::carve_lan_prefix;
use crate::wire::{
    Dnssl, Mtu, NdpMessage, NdpOption, Pref64, PrefixInformation, Rdnss, RouterAdvertisement,
};

/// RFC 4861 §10: unsolicited RAs sent fast after start.
pub const MAX_INITIAL_RTR_ADVERTISEMENTS: u32 = 3;
/// RFC 4861 §10: the cap on those first intervals.
pub const MAX_INITIAL_RTR_ADVERT_INTERVAL: Duration = Duration::from_secs(16);
/// RFC 4861 §10: the random delay before answering an RS is below this.
pub const MAX_RA_DELAY_TIME: Duration = Duration::from_millis(500);
/// RFC 4861 §10: multicast RAs never closer than this.
pub const MIN_DELAY_BETWEEN_RAS: Duration = Duration::from_secs(3);
/// RFC 9096 §3.4: the cap on the advertised valid lifetime.
pub const ND_VALID_LIMIT: Duration = Duration::from_secs(5400);
/// RFC 9096 §3.4: the cap on the advertised preferred lifetime.
pub const ND_PREFERRED_LIMIT: Duration = Duration::from_secs(2700);

/// The all-nodes multicast address, where every RA goes.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

mod types;

pub use types::{
    NdpDnsServers, NdpRouterCommandError, NdpRouterConfig, NdpRouterConfigError, NdpRouterCounters,
    NdpRouterDropped, NdpRouterEvent,
};

#[derive(Clone, Copy, Debug)]
struct Delegated {
    lan: Ipv6Addr,
    valid_until: Instant,
    preferred_until: Instant,
    /// The valid lifetime put in the last RA, and when.
    last_valid: Option<(Instant, Duration)>,
}

#[derive(Clone, Copy, Debug)]
struct Stale {
    lan: Ipv6Addr,
    valid_until: Instant,
}

/// The advertising router for one interface. See the [module docs](self).
#[derive(Debug)]
pub struct NdpRouter {
    cfg: NdpRouterConfig,
    rng: SeededRng,
    upstream_up: bool,
    shut_down: bool,
    next_unsolicited: Instant,
    solicited_at: Option<Instant>,
    last_multicast: Option<Instant>,
    initial_sent: u32,
    delegated: Option<Delegated>,
    stale: VecDeque<Stale>,
    transmits: VecDeque<Transmit<Ipv6Addr>>,
    events: VecDeque<NdpRouterEvent>,
    counters: NdpRouterCounters,
}

/// Queued outputs beyond this are dropped oldest-first (RAs are periodic).
const MAX_QUEUE: usize = 16;

fn secs_u32(d: Duration) -> u32 {
    d.as_secs().min(u64::from(u32::MAX - 1)) as u32
}

impl NdpRouter {
    /// A router advertising from `now` (its first RA is due at once).
    pub fn new(
        config: NdpRouterConfig,
        rng: SeededRng,
        now: Instant,
    ) -> Result<NdpRouter, NdpRouterConfigError> {
        let max = config.max_interval;
        if max < Duration::from_secs(4) || max > Duration::from_secs(1800) {
            return Err(NdpRouterConfigError::MaxInterval);
        }
        if config.min_interval < Duration::from_secs(3) || config.min_interval > max * 3 / 4 {
            return Err(NdpRouterConfigError::MinInterval);
        }
        let lt = config.router_lifetime;
        if !lt.is_zero() && (lt < max || lt > Duration::from_secs(9000)) {
            return Err(NdpRouterConfigError::RouterLifetime);
        }
        if config.mtu.is_some_and(|m| m < 1280) {
            return Err(NdpRouterConfigError::Mtu);
        }
        if !config.source.is_unicast_link_local() {
            return Err(NdpRouterConfigError::Source);
        }
        Ok(NdpRouter {
            cfg: config,
            rng,
            upstream_up: false,
            shut_down: false,
            next_unsolicited: now,
            solicited_at: None,
            last_multicast: None,
            initial_sent: 0,
            delegated: None,
            stale: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: NdpRouterCounters::default(),
        })
    }

    /// One ICMPv6 message received on the interface, with the IPv6
    /// header's source, destination and hop limit.
    pub fn handle_input(
        &mut self,
        now: Instant,
        source: Ipv6Addr,
        destination: Ipv6Addr,
        hop_limit: u8,
        message: &[u8],
    ) -> Result<(), NdpRouterDropped> {
        self.counters.received += 1;
        let r = self.classify(now, source, destination, hop_limit, message);
        if let Err(e) = r {
            let c = &mut self.counters;
            *match e {
                NdpRouterDropped::Malformed(_) => &mut c.malformed,
                NdpRouterDropped::HopLimit => &mut c.hop_limit,
                NdpRouterDropped::Invalid => &mut c.invalid,
                NdpRouterDropped::Unexpected => &mut c.unexpected,
                NdpRouterDropped::ShutDown => &mut c.shut_down,
            } += 1;
        }
        r
    }

    fn classify(
        &mut self,
        now: Instant,
        source: Ipv6Addr,
        destination: Ipv6Addr,
        hop_limit: u8,
        message: &[u8],
    ) -> Result<(), NdpRouterDropped> {
        if self.shut_down {
            return Err(NdpRouterDropped::ShutDown);
        }
        if hop_limit != 255 {
            return Err(NdpRouterDropped::HopLimit);
        }
        let msg =
            NdpMessage::parse(message, source, destination).map_err(NdpRouterDropped::Malformed)?;
        match msg {
            NdpMessage::RouterSolicitation(rs) => {
                let has_slla = rs
                    .options
                    .iter()
                    .any(|o| matches!(o, NdpOption::SourceLinkLayerAddress(_)));
                if source.is_unspecified() && has_slla {
                    return Err(NdpRouterDropped::Invalid);
                }
                self.counters.solicitations += 1;
                self.schedule_solicited(now);
                Ok(())
            }
            NdpMessage::RouterAdvertisement(ra) => {
                if !source.is_unicast_link_local() {
                    return Err(NdpRouterDropped::Invalid);
                }
                if self.inconsistent(&ra) {
                    self.push_event(NdpRouterEvent::InconsistentAdvertisement { router: source });
                }
                Ok(())
            }
            _ => Err(NdpRouterDropped::Unexpected),
        }
    }

    /// RFC 4861 §6.2.7: the values both routers specify must agree.
    fn inconsistent(&self, ra: &RouterAdvertisement) -> bool {
        let ours = self.build_ra(Instant::ZERO, false);
        let differs = |a: u32, b: u32| a != 0 && b != 0 && a != b;
        let mtu_of = |r: &RouterAdvertisement| {
            r.options.iter().find_map(|o| match o {
                NdpOption::Mtu(m) => Some(m.mtu),
                _ => None,
            })
        };
        differs(ra.cur_hop_limit.into(), ours.cur_hop_limit.into())
            || (ra.flags ^ ours.flags) & (RouterAdvertisement::MANAGED | RouterAdvertisement::OTHER)
                != 0
            || differs(ra.reachable_time, ours.reachable_time)
            || differs(ra.retrans_timer, ours.retrans_timer)
            || matches!((mtu_of(ra), mtu_of(&ours)), (Some(a), Some(b)) if a != b)
    }

    fn schedule_solicited(&mut self, now: Instant) {
        let delay = Duration::from_nanos(u64::from(
            self.rng.below(MAX_RA_DELAY_TIME.as_nanos() as u32),
        ));
        let mut at = now + delay;
        if let Some(last) = self.last_multicast
            && now < last + MIN_DELAY_BETWEEN_RAS
        {
            at = last + MIN_DELAY_BETWEEN_RAS + delay;
        }
        if self.due() > at {
            self.solicited_at = Some(at);
        }
    }

    fn due(&self) -> Instant {
        self.solicited_at
            .map_or(self.next_unsolicited, |s| s.min(self.next_unsolicited))
    }

    /// Timers: RAs due, stale prefixes run out. Harmless early or twice.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.shut_down {
            return;
        }
        self.expire(now);
        if now >= self.due() {
            self.send_multicast(now, false);
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some(i) = self.stale.iter().position(|s| now >= s.valid_until) {
            if let Some(s) = self.stale.remove(i) {
                self.push_event(NdpRouterEvent::StalePrefixRemoved { prefix: s.lan });
            }
        }
        if let Some(d) = self.delegated
            && now >= d.valid_until
        {
            self.delegated = None;
            self.push_event(NdpRouterEvent::DelegatedPrefixExpired { prefix: d.lan });
        }
    }

    fn send_multicast(&mut self, now: Instant, final_ra: bool) {
        let ra = self.build_ra(now, final_ra);
        if let Some(d) = &mut self.delegated {
            let valid = ra.options.iter().find_map(|o| match o {
                NdpOption::PrefixInformation(p) if p.prefix == d.lan => Some(p.valid_lifetime),
                _ => None,
            });
            d.last_valid = valid.map(|v| (now, Duration::from_secs(v.into())));
        }
        let payload = NdpMessage::RouterAdvertisement(ra).to_vec(self.cfg.source, ALL_NODES);
        if self.transmits.len() >= MAX_QUEUE {
            self.transmits.pop_front();
        }
        self.transmits.push_back(Transmit {
            destination: ALL_NODES,
            payload,
        });
        self.counters.transmitted += 1;
        self.last_multicast = Some(now);
        self.solicited_at = None;
        let mut interval = self.random_interval();
        if self.initial_sent < MAX_INITIAL_RTR_ADVERTISEMENTS {
            self.initial_sent += 1;
            interval = interval.min(MAX_INITIAL_RTR_ADVERT_INTERVAL);
        }
        self.next_unsolicited = now + interval;
    }

    /// Uniform in MinRtrAdvInterval..=MaxRtrAdvInterval, millisecond steps.
    fn random_interval(&mut self) -> Duration {
        let min = self.cfg.min_interval.as_millis() as u32;
        let span = self.cfg.max_interval.as_millis() as u32 - min;
        Duration::from_millis(u64::from(min + self.rng.below(span + 1)))
    }

    /// The RA as it would leave at `now`.
    fn build_ra(&self, now: Instant, final_ra: bool) -> RouterAdvertisement {
        let c = &self.cfg;
        let mut flags = c.preference.bits() << 3;
        if c.managed {
            flags |= RouterAdvertisement::MANAGED;
        }
        if c.other_config {
            flags |= RouterAdvertisement::OTHER;
        }
        let lifetime = if final_ra || !self.upstream_up {
            0
        } else {
            c.router_lifetime.as_secs() as u16
        };
        let mut options = Vec::new();
        if let Some(mac) = c.link_layer_address {
            options.push(NdpOption::source_ethernet(mac));
        }
        if let Some(mtu) = c.mtu {
            options.push(NdpOption::Mtu(Mtu { reserved: 0, mtu }));
        }
        if let Some(d) = &self.delegated {
            let valid = d
                .valid_until
                .saturating_duration_since(now)
                .min(c.valid_limit);
            let preferred = d
                .preferred_until
                .saturating_duration_since(now)
                .min(c.preferred_limit);
            options.push(NdpOption::PrefixInformation(PrefixInformation::slaac(
                d.lan,
                64,
                secs_u32(valid),
                secs_u32(preferred.min(valid)),
            )));
        }
        for s in &self.stale {
            options.push(NdpOption::PrefixInformation(PrefixInformation::slaac(
                s.lan,
                64,
                secs_u32(s.valid_until.saturating_duration_since(now)),
                0,
            )));
        }
        options.extend(
            c.static_prefixes
                .iter()
                .map(|p| NdpOption::PrefixInformation(*p)),
        );
        options.extend(c.routes.iter().map(|r| NdpOption::RouteInformation(*r)));
        let dns_lifetime = secs_u32(c.dns_lifetime);
        let servers = match &c.dns_servers {
            NdpDnsServers::Router => alloc::vec![c.source],
            NdpDnsServers::List(l) => l.clone(),
            NdpDnsServers::None => Vec::new(),
        };
        if !servers.is_empty() {
            options.push(NdpOption::Rdnss(Rdnss {
                reserved: 0,
                lifetime: dns_lifetime,
                servers,
            }));
        }
        if !c.search_domains.is_empty() {
            options.push(NdpOption::Dnssl(Dnssl {
                reserved: 0,
                lifetime: dns_lifetime,
                domains: c.search_domains.clone(),
                extra_padding: 0,
            }));
        }
        if let Some(p) = c.pref64 {
            options.push(NdpOption::Pref64(p));
        }
        if let Some(uri) = &c.captive_portal {
            options.push(NdpOption::captive_portal(uri));
        }
        RouterAdvertisement {
            cur_hop_limit: c.cur_hop_limit,
            flags,
            router_lifetime: lifetime,
            reachable_time: c.reachable_time,
            retrans_timer: c.retrans_timer,
            options,
        }
    }

    /// Contents changed: restart the fast start with an RA as soon as
    /// MIN_DELAY_BETWEEN_RAS allows (RFC 4861 §6.2.4).
    fn content_changed(&mut self, now: Instant) {
        self.initial_sent = 0;
        let at = self
            .last_multicast
            .map_or(now, |l| now.max(l + MIN_DELAY_BETWEEN_RAS));
        self.next_unsolicited = self.next_unsolicited.min(at);
        if self.solicited_at.is_some_and(|s| s > at) {
            self.solicited_at = None;
        }
        self.handle_timeout(now);
    }

    fn push_event(&mut self, e: NdpRouterEvent) {
        if self.events.len() >= MAX_QUEUE {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    fn ensure_running(&self) -> Result<(), NdpRouterCommandError> {
        if self.shut_down {
            Err(NdpRouterCommandError::ShutDown)
        } else {
            Ok(())
        }
    }

    /// The upstream (WAN default route) came up or went away. Down: RAs
    /// carry Router Lifetime 0 from now on, the first at once.
    pub fn set_upstream(&mut self, now: Instant, up: bool) -> Result<(), NdpRouterCommandError> {
        self.ensure_running()?;
        if self.upstream_up != up {
            self.upstream_up = up;
            if !up {
                // RFC 7084 G-4: "immediately", not after MIN_DELAY_BETWEEN_RAS.
                self.send_multicast(now, false);
                self.initial_sent = 0;
            } else {
                self.content_changed(now);
            }
        }
        Ok(())
    }

    /// A delegated prefix (DHCPv6-PD) with its remaining lifetimes. This
    /// interface advertises its `lan_index`-th /64; returns it. A different
    /// /64 than before makes the old one stale (RFC 9096).
    pub fn set_delegated_prefix(
        &mut self,
        now: Instant,
        prefix: Ipv6Addr,
        prefix_length: u8,
        valid: Duration,
        preferred: Duration,
    ) -> Result<Ipv6Addr, NdpRouterCommandError> {
        self.ensure_running()?;
        let lan = carve_lan_prefix(prefix, prefix_length, self.cfg.lan_index)?;
        let changed = self.delegated.is_none_or(|d| d.lan != lan);
        if changed {
            self.make_stale(now);
        }
        // A prefix coming back from stale is current again.
        self.stale.retain(|s| s.lan != lan);
        let last_valid = self
            .delegated
            .filter(|d| d.lan == lan)
            .and_then(|d| d.last_valid);
        self.delegated = Some(Delegated {
            lan,
            valid_until: now + valid,
            preferred_until: now + preferred.min(valid),
            last_valid,
        });
        if changed {
            self.content_changed(now);
        }
        Ok(lan)
    }

    /// The delegated prefix is gone: its /64 becomes stale (RFC 9096).
    pub fn withdraw_delegated_prefix(&mut self, now: Instant) -> Result<(), NdpRouterCommandError> {
        self.ensure_running()?;
        if self.delegated.is_some() {
            self.make_stale(now);
            self.content_changed(now);
        }
        Ok(())
    }

    fn make_stale(&mut self, now: Instant) {
        let Some(d) = self.delegated.take() else {
            return;
        };
        // What hosts were last told, counted down since, and never more
        // than the delegation itself has left.
        let told = d.last_valid.map_or(Duration::ZERO, |(at, v)| {
            v.saturating_sub(now.saturating_duration_since(at))
        });
        let left = d.valid_until.saturating_duration_since(now).min(told);
        if left.is_zero() {
            return;
        }
        if self.stale.len() >= self.cfg.max_stale_prefixes.max(1) {
            self.stale.pop_front();
        }
        self.stale.push_back(Stale {
            lan: d.lan,
            valid_until: now + left,
        });
    }

    /// Sets (or clears) the PREF64 (from configuration or DNS64 discovery).
    pub fn set_pref64(
        &mut self,
        now: Instant,
        pref64: Option<Pref64>,
    ) -> Result<(), NdpRouterCommandError> {
        self.ensure_running()?;
        if self.cfg.pref64 != pref64 {
            self.cfg.pref64 = pref64;
            self.content_changed(now);
        }
        Ok(())
    }

    /// Sets what the RDNSS option names (RFC 8106): the router itself, a
    /// list (the upstream's servers, when the router runs no resolver), or
    /// nothing. A change goes out in the next RAs, sent soon as for any
    /// content change.
    pub fn set_dns_servers(
        &mut self,
        now: Instant,
        servers: NdpDnsServers,
    ) -> Result<(), NdpRouterCommandError> {
        self.ensure_running()?;
        if self.cfg.dns_servers != servers {
            self.cfg.dns_servers = servers;
            self.content_changed(now);
        }
        Ok(())
    }

    /// Stops advertising: one final RA with Router Lifetime 0 (RFC 4861
    /// §6.2.5), then nothing. Idempotent.
    pub fn shutdown(&mut self, now: Instant) {
        if !self.shut_down {
            self.send_multicast(now, true);
            self.shut_down = true;
        }
    }

    /// The /64 currently advertised from the delegated prefix.
    pub fn lan_prefix(&self) -> Option<Ipv6Addr> {
        self.delegated.map(|d| d.lan)
    }

    /// The counters.
    pub fn counters(&self) -> &NdpRouterCounters {
        &self.counters
    }

    /// The next RA to send (always to [`ALL_NODES`]).
    #[must_use]
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<Ipv6Addr>> {
        self.transmits.pop_front()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<NdpRouterEvent> {
        self.events.pop_front()
    }

    /// When to call [`NdpRouter::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.shut_down {
            return None;
        }
        let mut t = self.due();
        for s in &self.stale {
            t = t.min(s.valid_until);
        }
        if let Some(d) = &self.delegated {
            t = t.min(d.valid_until);
        }
        Some(t)
    }
}
