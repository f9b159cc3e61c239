//! What the client does with an Advertise, a Reply or a Reconfigure
//! (RFC 8415 §18.2.9–§18.2.11). Every check runs before the first change.

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::{Duration, Instant};

use super::{
    Advertised, Dhcpv6Binding, Dhcpv6Client, Dhcpv6ClientDropped as Dropped, Dhcpv6ClientEvent,
    Dhcpv6ClientState, Dhcpv6Lease, Dhcpv6LostReason, at,
};
use crate::auth::ReconfigureKey;
use crate::retransmission::{self, IRT_DEFAULT, IRT_MINIMUM};
use crate::wire::{ClientMessage, Dhcpv6Option, Message, MessageType, StatusCode, code};

/// The leases one IA of a Reply gives, and its T1/T2.
struct IaResult {
    leases: Vec<Dhcpv6Lease>,
    t1: u32,
    t2: u32,
    status: Option<StatusCode>,
}

impl Dhcpv6Client {
    /// Handles one datagram received on port 546.
    pub fn handle_input(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Dropped> {
        self.counters.received += 1;
        let r = self.input(now, datagram);
        if let Err(d) = r {
            self.counters.count(d);
        }
        r
    }

    fn input(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Dropped> {
        let m = match Message::parse(datagram).map_err(Dropped::Malformed)? {
            Message::Client(m) => m,
            Message::Relay(_) => return Err(Dropped::NotOurs),
        };
        match m.msg_type {
            MessageType::Advertise | MessageType::Reply => {}
            MessageType::Reconfigure => return self.reconfigure(now, &m),
            _ => return Err(Dropped::NotOurs),
        }
        let x = self.exchange.as_ref().ok_or(Dropped::Unexpected)?;
        if m.transaction_id != x.xid || m.client_id() != Some(&self.cfg.duid) {
            return Err(Dropped::NotOurs);
        }
        if m.count(code::SERVERID) != 1 || m.count(code::CLIENTID) != 1 {
            return Err(Dropped::Invalid);
        }
        let kind = x.kind;
        match (kind, m.msg_type) {
            (MessageType::Solicit, MessageType::Advertise) => self.on_advertise(now, m),
            (MessageType::Solicit, MessageType::Reply)
                if self.cfg.rapid_commit && m.option(code::RAPID_COMMIT).is_some() =>
            {
                self.on_reply(now, kind, &m)
            }
            (MessageType::Solicit, _) | (_, MessageType::Advertise) => Err(Dropped::Unexpected),
            _ => self.on_reply(now, kind, &m),
        }
    }

    fn on_advertise(&mut self, now: Instant, m: ClientMessage) -> Result<(), Dropped> {
        let usable = m.status().is_none_or(|s| s == StatusCode::Success)
            && (self
                .ia_result(&m, true)
                .is_some_and(|r| !r.leases.is_empty())
                || self
                    .ia_result(&m, false)
                    .is_some_and(|r| !r.leases.is_empty()));
        self.max_rt_options(&m);
        if !usable {
            // §18.2.9: ignored, but its SOL_MAX_RT is honoured.
            self.counters.empty_advertises += 1;
            return Ok(());
        }
        let a = Advertised {
            preference: m.preference(),
            unicast: unicast_of(&m),
            message: m,
        };
        if a.preference == 255 || self.collect_until.is_none() {
            self.request(now, a);
            return Ok(());
        }
        if self.advertised.len() >= self.cfg.max_advertises {
            // Full: keep the more preferred.
            let (i, worst) = self
                .advertised
                .iter()
                .enumerate()
                .min_by_key(|(i, a)| (a.preference, usize::MAX - i))
                .map(|(i, a)| (i, a.preference))
                .unwrap_or((0, 0));
            if worst >= a.preference {
                return Ok(());
            }
            self.advertised.remove(i);
        }
        self.advertised.push(a);
        Ok(())
    }

    /// SOL_MAX_RT / INF_MAX_RT (§21.24, §21.25): honoured in 60–86400 s.
    fn max_rt_options(&mut self, m: &ClientMessage) {
        for o in &m.options {
            match o {
                Dhcpv6Option::SolMaxRt(s) if (60..=86400).contains(s) => {
                    self.sol_max_rt = Duration::from_secs(u64::from(*s));
                    // It applies to the retransmissions to come as well.
                    if let Some(x) = &mut self.exchange
                        && x.kind == MessageType::Solicit
                    {
                        x.params.mrt = self.sol_max_rt;
                    }
                }
                Dhcpv6Option::InfMaxRt(s) if (60..=86400).contains(s) => {
                    self.inf_max_rt = Duration::from_secs(u64::from(*s));
                    if let Some(x) = &mut self.exchange
                        && x.kind == MessageType::InformationRequest
                    {
                        x.params.mrt = self.inf_max_rt;
                    }
                }
                _ => {}
            }
        }
    }

    /// Our IA_PD (`pd`) or IA_NA in a message, unless absent or discarded
    /// for T1 > T2 (§21.21).
    fn ia_result(&self, m: &ClientMessage, pd: bool) -> Option<IaResult> {
        let now = Instant::ZERO;
        let (t1, t2, opts, status) = if pd {
            if !self.cfg.request_prefix {
                return None;
            }
            let ia = m.ia_pds().find(|i| i.iaid == self.cfg.iaid_pd)?;
            (ia.t1, ia.t2, &ia.options, ia.status())
        } else {
            if !self.cfg.request_address {
                return None;
            }
            let ia = m.ia_nas().find(|i| i.iaid == self.cfg.iaid_na)?;
            (ia.t1, ia.t2, &ia.options, ia.status())
        };
        if t2 > 0 && t1 > t2 {
            return None;
        }
        let leases = opts
            .iter()
            .filter_map(|o| match o {
                Dhcpv6Option::IaPrefix(p)
                    if p.status().is_none_or(|s| s == StatusCode::Success) =>
                {
                    Some(Dhcpv6Lease {
                        prefix: p.prefix,
                        prefix_len: p.prefix_len,
                        preferred: p.preferred,
                        valid: p.valid,
                        valid_until: now,
                        exclude: p.exclude().and_then(|x| {
                            Some((x.excluded(p.prefix, p.prefix_len)?, x.prefix_len))
                        }),
                    })
                }
                Dhcpv6Option::IaAddr(a) if a.status().is_none_or(|s| s == StatusCode::Success) => {
                    Some(Dhcpv6Lease {
                        prefix: a.address,
                        prefix_len: 128,
                        preferred: a.preferred,
                        valid: a.valid,
                        valid_until: now,
                        exclude: None,
                    })
                }
                _ => None,
            })
            .collect();
        Some(IaResult {
            leases,
            t1,
            t2,
            status,
        })
    }

    fn on_reply(
        &mut self,
        now: Instant,
        kind: MessageType,
        m: &ClientMessage,
    ) -> Result<(), Dropped> {
        use MessageType::*;
        match m.status() {
            None | Some(StatusCode::Success) => {}
            Some(StatusCode::UseMulticast) => {
                if !matches!(
                    self.destination(kind),
                    super::Dhcpv6ClientDestination::Unicast(_)
                ) {
                    return Err(Dropped::Invalid);
                }
                // §18.2.10: resend at once, and from now on, by multicast.
                self.multicast_only = true;
                self.transmit(now);
                return Ok(());
            }
            Some(StatusCode::NotOnLink) if matches!(kind, Request | Confirm) => {
                if kind == Confirm {
                    self.lose_all(Dhcpv6LostReason::NotOnLink);
                }
                self.solicit(now);
                return Ok(());
            }
            Some(_) if matches!(kind, Release | Decline) => {}
            Some(_) => return Err(Dropped::ServerFailure),
        }
        match kind {
            Release => {
                self.exchange = None;
                self.state = Dhcpv6ClientState::Idle;
                Ok(())
            }
            Decline => {
                self.exchange = None;
                self.pending_decline.clear();
                if self.binding.is_some() {
                    self.state = Dhcpv6ClientState::Bound;
                } else {
                    self.solicit(now);
                }
                Ok(())
            }
            Confirm => {
                self.exchange = None;
                self.state = Dhcpv6ClientState::Bound;
                Ok(())
            }
            InformationRequest => {
                self.exchange = None;
                self.max_rt_options(m);
                self.information(m);
                let refresh = m
                    .options
                    .iter()
                    .find_map(|o| match o {
                        Dhcpv6Option::InformationRefreshTime(t) => Some(*t),
                        _ => None,
                    })
                    .map_or(IRT_DEFAULT, |t| Duration::from_secs(u64::from(t)))
                    .max(IRT_MINIMUM);
                if self.binding.is_some() {
                    self.state = Dhcpv6ClientState::Bound;
                } else {
                    self.state = Dhcpv6ClientState::Idle;
                    self.info_refresh = if refresh.as_secs() >= u64::from(u32::MAX) {
                        None
                    } else {
                        Some(now + refresh)
                    };
                }
                Ok(())
            }
            _ => self.on_binding_reply(now, kind, m),
        }
    }

    fn on_binding_reply(
        &mut self,
        now: Instant,
        kind: MessageType,
        m: &ClientMessage,
    ) -> Result<(), Dropped> {
        use MessageType::*;
        let pd = self.ia_result(m, true);
        let na = self.ia_result(m, false);
        let renewing = matches!(kind, Renew | Rebind);
        let no_binding = [&pd, &na].iter().any(|r| {
            r.as_ref()
                .is_some_and(|r| r.status == Some(StatusCode::NoBinding))
        });
        let empty = |r: &Option<IaResult>| r.as_ref().is_none_or(|r| r.leases.is_empty());
        if renewing && empty(&pd) && empty(&na) && !no_binding {
            // Nothing extended nor withdrawn (our IAs absent, or
            // NoPrefixAvail): keep the leases until they expire and keep
            // trying (Renew until T2, then Rebind).
            return Err(Dropped::ServerFailure);
        }
        let Some(server) = m.server_id().cloned() else {
            return Err(Dropped::Invalid);
        };
        if renewing && no_binding {
            // §18.2.10.1: the server lost our binding: Request it back.
            let mut msg = ClientMessage::new(Advertise, 0);
            msg.options.push(Dhcpv6Option::ServerId(server));
            if let Some(b) = &self.binding {
                if !b.prefixes.is_empty() {
                    msg.options.push(self.ia_pd(&b.prefixes));
                }
                if !b.addresses.is_empty() {
                    msg.options.push(self.ia_na(&b.addresses));
                }
            }
            let a = Advertised {
                preference: 0,
                unicast: None,
                message: msg,
            };
            self.request(now, a);
            return Ok(());
        }
        let got = |r: &Option<IaResult>| r.as_ref().is_some_and(|r| !r.leases.is_empty());
        if !renewing && !got(&pd) && !got(&na) {
            // NoPrefixAvail / NoAddrsAvail: look for another server.
            self.solicit(now);
            return Ok(());
        }
        // From here on nothing fails: apply.
        self.max_rt_options(m);
        self.exchange = None;
        let fresh = !renewing;
        let old = self.binding.take();
        let mut b = Dhcpv6Binding {
            server,
            unicast: unicast_of(m),
            prefixes: old.as_ref().map(|o| o.prefixes.clone()).unwrap_or_default(),
            addresses: old
                .as_ref()
                .map(|o| o.addresses.clone())
                .unwrap_or_default(),
            t1: Instant::MAX,
            t2: Instant::MAX,
            reconfigure: old.as_ref().and_then(|o| o.reconfigure),
        };
        if self.cfg.accept_reconfigure
            && let Some(k) = ReconfigureKey::from_reply(m)
        {
            b.reconfigure = Some(k);
        }
        let mut events = Vec::new();
        for (r, address) in [(pd, false), (na, true)] {
            let list = if address {
                &mut b.addresses
            } else {
                &mut b.prefixes
            };
            let Some(r) = r else {
                if fresh {
                    for l in list.drain(..) {
                        events.push(lost_event(&l, address, Dhcpv6LostReason::Withdrawn));
                    }
                }
                continue;
            };
            if fresh {
                // A new binding replaces leases it does not repeat.
                list.retain(|l| {
                    let keep = r
                        .leases
                        .iter()
                        .any(|n| n.prefix == l.prefix && n.prefix_len == l.prefix_len);
                    if !keep {
                        events.push(lost_event(l, address, Dhcpv6LostReason::Withdrawn));
                    }
                    keep
                });
            }
            let mut shortest = u32::MAX;
            for mut n in r.leases {
                let i = list
                    .iter()
                    .position(|l| l.prefix == n.prefix && l.prefix_len == n.prefix_len);
                if n.valid == 0 {
                    if let Some(i) = i {
                        let l = list.remove(i);
                        events.push(lost_event(&l, address, Dhcpv6LostReason::Withdrawn));
                    }
                    continue;
                }
                shortest = shortest.min(n.preferred);
                n.valid_until = at(now, n.valid);
                events.push(match (i.is_some(), address) {
                    (false, false) => Dhcpv6ClientEvent::PrefixDelegated {
                        prefix: n.prefix,
                        prefix_len: n.prefix_len,
                        preferred: n.preferred,
                        valid: n.valid,
                        exclude: n.exclude,
                    },
                    (true, false) => Dhcpv6ClientEvent::PrefixRenewed {
                        prefix: n.prefix,
                        prefix_len: n.prefix_len,
                        preferred: n.preferred,
                        valid: n.valid,
                    },
                    (false, true) => Dhcpv6ClientEvent::AddressAssigned {
                        address: n.prefix,
                        preferred: n.preferred,
                        valid: n.valid,
                    },
                    (true, true) => Dhcpv6ClientEvent::AddressRenewed {
                        address: n.prefix,
                        preferred: n.preferred,
                        valid: n.valid,
                    },
                });
                match i {
                    Some(i) => list[i] = n,
                    None => list.push(n),
                }
            }
            // §21.4/§21.21: T1/T2 of 0 leave the times to us: 0.5 and 0.8
            // of the shortest preferred lifetime.
            let (t1, t2) = if r.t1 == 0 || r.t2 == 0 {
                if shortest == u32::MAX {
                    (u32::MAX, u32::MAX)
                } else {
                    (shortest / 2, (u64::from(shortest) * 4 / 5) as u32)
                }
            } else {
                (r.t1, r.t2)
            };
            b.t1 = b.t1.min(at(now, t1));
            b.t2 = b.t2.min(at(now, t2));
        }
        if b.t1 == Instant::MAX
            && let Some(v) = b
                .prefixes
                .iter()
                .chain(&b.addresses)
                .map(|l| l.valid_until)
                .min()
                .filter(|v| *v != Instant::MAX)
        {
            // Only leases the Reply did not mention are left: renew them
            // before they run out.
            let left = v.saturating_duration_since(now);
            b.t1 = now + left / 2;
            b.t2 = now + left * 4 / 5;
        }
        for e in events {
            self.push_event(e);
        }
        self.information(m);
        if b.prefixes.is_empty() && b.addresses.is_empty() {
            self.binding = None;
            self.solicit(now);
            return Ok(());
        }
        if let Some(p) = b.prefixes.first() {
            self.hint = Some((p.prefix, p.prefix_len));
        }
        self.binding = Some(b);
        self.chosen = None;
        self.state = Dhcpv6ClientState::Bound;
        Ok(())
    }

    /// DNS, domain list, NTP and AFTR values, as events when they change.
    fn information(&mut self, m: &ClientMessage) {
        for o in &m.options {
            let e = match o {
                Dhcpv6Option::DnsServers(v) => Dhcpv6ClientEvent::DnsServers(v.clone()),
                Dhcpv6Option::DomainList(v) => Dhcpv6ClientEvent::DomainList(v.clone()),
                Dhcpv6Option::NtpServer(v) => Dhcpv6ClientEvent::NtpServers(v.clone()),
                Dhcpv6Option::AftrName(n) => Dhcpv6ClientEvent::AftrName(n.clone()),
                _ => continue,
            };
            let slot = match &e {
                Dhcpv6ClientEvent::DnsServers(_) => 0,
                Dhcpv6ClientEvent::DomainList(_) => 1,
                Dhcpv6ClientEvent::NtpServers(_) => 2,
                _ => 3,
            };
            if self.info[slot].as_ref() != Some(&e) {
                self.info[slot] = Some(e.clone());
                self.push_event(e);
            }
        }
    }

    fn reconfigure(&mut self, now: Instant, m: &ClientMessage) -> Result<(), Dropped> {
        let b = self.binding.as_ref().ok_or(Dropped::Unexpected)?;
        if m.server_id() != Some(&b.server) || m.client_id() != Some(&self.cfg.duid) {
            return Err(Dropped::NotOurs);
        }
        let (key, last) = b.reconfigure.ok_or(Dropped::Unauthenticated)?;
        let replay = key.verify(m).ok_or(Dropped::Unauthenticated)?;
        if replay <= last {
            return Err(Dropped::Unauthenticated);
        }
        let what = m
            .options
            .iter()
            .find_map(|o| match o {
                Dhcpv6Option::ReconfigureMessage(t) => Some(*t),
                _ => None,
            })
            .ok_or(Dropped::Invalid)?;
        if !matches!(
            what,
            MessageType::Renew | MessageType::Rebind | MessageType::InformationRequest
        ) {
            return Err(Dropped::Invalid);
        }
        if self.state != Dhcpv6ClientState::Bound {
            // §18.2.11: ignored while an exchange is in progress.
            return Err(Dropped::Unexpected);
        }
        if let Some(b) = &mut self.binding {
            b.reconfigure = Some((key, replay));
        }
        match what {
            MessageType::Renew => self.renew(now),
            MessageType::Rebind => self.rebind(now, false),
            _ => {
                self.state = Dhcpv6ClientState::Informing;
                let mut p = retransmission::INFORMATION_REQUEST;
                p.mrt = self.inf_max_rt;
                self.start(now, MessageType::InformationRequest, p, None);
            }
        }
        Ok(())
    }
}

fn unicast_of(m: &ClientMessage) -> Option<Ipv6Addr> {
    m.options.iter().find_map(|o| match o {
        Dhcpv6Option::Unicast(a) => Some(*a),
        _ => None,
    })
}

pub(super) fn lost_event(
    l: &Dhcpv6Lease,
    address: bool,
    reason: Dhcpv6LostReason,
) -> Dhcpv6ClientEvent {
    if address {
        Dhcpv6ClientEvent::AddressLost {
            address: l.prefix,
            reason,
        }
    } else {
        Dhcpv6ClientEvent::PrefixLost {
            prefix: l.prefix,
            prefix_len: l.prefix_len,
            reason,
        }
    }
}
