//! The server's answer to each client message (RFC 8415 §18.3), and the
//! relay wrapping (§19). Every check runs before the first change.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::{Duration, Instant, Transmit};

use super::{
    Dhcpv6Server, Dhcpv6ServerDestination, Dhcpv6ServerDropped as Dropped, Dhcpv6ServerEvent,
    Dhcpv6ServerSource, Dhcpv6StaticKey, Key, Offer, mask,
};
use crate::store::{Dhcpv6BindingState, Dhcpv6DelegationRecord};
use crate::wire::{
    ClientMessage, Dhcpv6Option, IaNa, IaPd, IaPrefix, Message, MessageType, RelayMessage,
    StatusCode, code,
};

/// What one IA_PD of the message gets.
enum Outcome {
    /// This prefix, bound (or advertised) now.
    Prefix(u128, u8),
    /// The IA with this status and no prefix.
    Status(StatusCode),
    /// The client's prefixes echoed with lifetimes 0 (not appropriate).
    Refuse(Vec<(Ipv6Addr, u8)>),
}

fn status(code: StatusCode) -> Dhcpv6Option {
    Dhcpv6Option::StatusCode {
        code,
        message: Vec::new(),
    }
}

fn at(now: Instant, secs: u32) -> Instant {
    if secs == u32::MAX {
        return Instant::MAX;
    }
    now.checked_add(Duration::from_secs(u64::from(secs)))
        .unwrap_or(Instant::MAX)
}

impl Dhcpv6Server {
    pub(super) fn dispatch(
        &mut self,
        source: Dhcpv6ServerSource,
        datagram: &[u8],
    ) -> Result<(), Dropped> {
        if self.held.len() >= self.cfg.max_uncommitted {
            return Err(Dropped::Backlogged);
        }
        let m = Message::parse(datagram).map_err(Dropped::Malformed)?;
        let mut relays: Vec<&RelayMessage> = Vec::new();
        let mut cur = &m;
        let c = loop {
            match cur {
                Message::Relay(r) if r.msg_type == MessageType::RelayForw => {
                    relays.push(r);
                    cur = r.relayed().ok_or(Dropped::Invalid)?;
                }
                Message::Relay(_) => return Err(Dropped::NotRequest),
                Message::Client(c) => break c,
            }
        };
        let Some((reply, durable)) = self.answer(c, &source)? else {
            return Ok(());
        };
        let mut out = Message::Client(reply);
        for r in relays.iter().rev() {
            // §19.3: the Relay-Repl mirrors each Relay-Forw, Interface-Id
            // echoed.
            let mut options = Vec::new();
            if let Some(id) = r.interface_id() {
                options.push(Dhcpv6Option::InterfaceId(id.to_vec()));
            }
            options.push(Dhcpv6Option::RelayMessage(Box::new(out)));
            out = Message::Relay(RelayMessage {
                msg_type: MessageType::RelayRepl,
                hop_count: r.hop_count,
                link_address: r.link_address,
                peer_address: r.peer_address,
                options,
            });
        }
        let t = Transmit {
            destination: Dhcpv6ServerDestination {
                address: source.address,
                port: source.port,
                interface: source.interface,
                link: source.link,
            },
            payload: out.to_vec(),
        };
        if durable {
            self.held.push_back(t);
        } else {
            self.ready.push_back(t);
        }
        Ok(())
    }

    /// The reply to a client message, and whether it waits for a commit.
    fn answer(
        &mut self,
        c: &ClientMessage,
        source: &Dhcpv6ServerSource,
    ) -> Result<Option<(ClientMessage, bool)>, Dropped> {
        use MessageType::*;
        if !matches!(
            c.msg_type,
            Solicit | Request | Confirm | Renew | Rebind | Release | Decline | InformationRequest
        ) {
            return Err(Dropped::NotRequest);
        }
        let clients = c.count(code::CLIENTID);
        if clients > 1 || (clients == 0 && c.msg_type != InformationRequest) {
            return Err(Dropped::Invalid);
        }
        match (c.msg_type, c.server_id()) {
            (Solicit | Confirm | Rebind, Some(_)) => return Err(Dropped::Invalid),
            (Request | Renew | Release | Decline, None) => return Err(Dropped::Invalid),
            (_, Some(s)) if *s != self.cfg.duid => return Err(Dropped::NotOurs),
            _ => {}
        }
        if c.msg_type == InformationRequest && (c.ia_pds().count() > 0 || c.ia_nas().count() > 0) {
            return Err(Dropped::Invalid);
        }
        let rapid = c.msg_type == Solicit
            && self.cfg.rapid_commit
            && c.option(code::RAPID_COMMIT).is_some();
        let reply_type = if c.msg_type == Solicit && !rapid {
            Advertise
        } else {
            Reply
        };
        let mut r = ClientMessage::new(reply_type, c.transaction_id);
        r.options
            .push(Dhcpv6Option::ServerId(self.cfg.duid.clone()));
        if let Some(d) = c.client_id() {
            r.options.push(Dhcpv6Option::ClientId(d.clone()));
        }
        let durable = match c.msg_type {
            Solicit | Request | Renew | Rebind => self.delegate(c, source, rapid, &mut r)?,
            Release => {
                self.release(c, &mut r);
                true
            }
            Decline => {
                r.options.push(status(StatusCode::Success));
                for ia in c.ia_nas() {
                    r.options.push(Dhcpv6Option::IaNa(IaNa {
                        iaid: ia.iaid,
                        t1: 0,
                        t2: 0,
                        options: alloc::vec![status(StatusCode::NoBinding)],
                    }));
                }
                false
            }
            Confirm => {
                let addrs: Vec<Ipv6Addr> = c
                    .ia_nas()
                    .flat_map(|ia| ia.addresses().map(|a| a.address))
                    .collect();
                if self.cfg.on_link.is_empty() || addrs.is_empty() {
                    // §18.3.3: no reply when we cannot tell, or nothing to
                    // confirm.
                    return Err(Dropped::NotOurs);
                }
                let on = addrs.iter().all(|a| {
                    self.cfg
                        .on_link
                        .iter()
                        .any(|(p, l)| u128::from(*a) & mask(*l) == u128::from(*p) & mask(*l))
                });
                r.options.push(status(if on {
                    StatusCode::Success
                } else {
                    StatusCode::NotOnLink
                }));
                false
            }
            _ => false,
        };
        self.info_options(c, &mut r);
        if reply_type == Advertise {
            self.counters.advertises += 1;
        } else {
            self.counters.replies += 1;
        }
        Ok(Some((r, durable)))
    }

    /// DNS, domain list, NTP and AFTR-Name, when asked for in the ORO.
    fn info_options(&self, c: &ClientMessage, r: &mut ClientMessage) {
        let Some(Dhcpv6Option::Oro(oro)) = c.option(code::ORO) else {
            return;
        };
        let cfg = &self.cfg;
        if oro.contains(&code::DNS_SERVERS) && !cfg.dns_servers.is_empty() {
            r.options
                .push(Dhcpv6Option::DnsServers(cfg.dns_servers.clone()));
        }
        if oro.contains(&code::DOMAIN_LIST) && !cfg.domain_list.is_empty() {
            r.options
                .push(Dhcpv6Option::DomainList(cfg.domain_list.clone()));
        }
        if oro.contains(&code::NTP_SERVER) && !cfg.ntp_servers.is_empty() {
            r.options
                .push(Dhcpv6Option::NtpServer(cfg.ntp_servers.clone()));
        }
        if oro.contains(&code::AFTR_NAME)
            && let Some(a) = &cfg.aftr_name
        {
            r.options.push(Dhcpv6Option::AftrName(a.clone()));
        }
    }

    /// The prefix fixed for this client by the embedder or a static entry.
    pub(super) fn fixed(
        &self,
        key: &Key,
        source: &Dhcpv6ServerSource,
        first: bool,
    ) -> Option<(u128, u8)> {
        if first && let Some((p, l)) = source.delegated_prefix {
            return Some((u128::from(p) & mask(l), l.min(128)));
        }
        self.cfg.statics.iter().find_map(|s| {
            let hit = match &s.key {
                Dhcpv6StaticKey::Duid(d) => first && *d == key.0,
                Dhcpv6StaticKey::Link(l) => first && source.link == Some(*l),
            };
            hit.then(|| (u128::from(s.prefix) & mask(s.prefix_len), s.prefix_len))
        })
    }

    /// Solicit, Request, Renew, Rebind: decides every IA_PD, checks the
    /// bounds, then applies. Returns whether the reply waits for a commit.
    fn delegate(
        &mut self,
        c: &ClientMessage,
        source: &Dhcpv6ServerSource,
        rapid: bool,
        r: &mut ClientMessage,
    ) -> Result<bool, Dropped> {
        use MessageType::*;
        let Some(duid) = c.client_id().cloned() else {
            return Err(Dropped::Invalid);
        };
        let binds = matches!(c.msg_type, Request | Renew | Rebind) || rapid;
        let mut decided: Vec<(&IaPd, Outcome)> = Vec::new();
        let mut seen: Vec<u32> = Vec::new();
        for (i, ia) in c.ia_pds().enumerate() {
            if seen.contains(&ia.iaid) {
                continue;
            }
            seen.push(ia.iaid);
            let key = (duid.clone(), ia.iaid);
            let first = i == 0;
            let listed: Vec<(Ipv6Addr, u8)> =
                ia.prefixes().map(|p| (p.prefix, p.prefix_len)).collect();
            let hint = listed.iter().copied().find(|(p, _)| !p.is_unspecified());
            let outcome = match c.msg_type {
                Renew | Rebind => {
                    let bound = self
                        .bindings
                        .get(&key)
                        .filter(|b| b.state == Dhcpv6BindingState::Bound);
                    match (self.fixed(&key, source, first), bound) {
                        (Some((p, l)), _) => Outcome::Prefix(p, l),
                        (None, Some(b)) => Outcome::Prefix(u128::from(b.prefix), b.prefix_len),
                        (None, None) if c.msg_type == Renew => {
                            Outcome::Status(StatusCode::NoBinding)
                        }
                        (None, None) => match self.choose(&key, source, first, hint) {
                            // §18.3.5: a Rebind for a prefix we could give:
                            // give it (a server that lost its bindings).
                            Some((p, l))
                                if hint.is_some_and(|h| (u128::from(h.0), h.1) == (p, l)) =>
                            {
                                Outcome::Prefix(p, l)
                            }
                            _ if !listed.is_empty() => Outcome::Refuse(listed.clone()),
                            _ => Outcome::Status(StatusCode::NoBinding),
                        },
                    }
                }
                _ => match self.choose(&key, source, first, hint) {
                    Some((p, l)) => Outcome::Prefix(p, l),
                    None => Outcome::Status(StatusCode::NoPrefixAvail),
                },
            };
            decided.push((ia, outcome));
        }
        // Bounds, before any change.
        if binds {
            let new: Vec<Key> = decided
                .iter()
                .filter(|(_, o)| matches!(o, Outcome::Prefix(..)))
                .map(|(ia, _)| (duid.clone(), ia.iaid))
                .filter(|k| !self.bindings.contains_key(k))
                .collect();
            let need = (self.bindings.len() + new.len()).saturating_sub(self.cfg.max_bindings);
            if need > 0 {
                let now = self.now;
                let evictable: Vec<Key> = self
                    .bindings
                    .iter()
                    .filter(|(k, b)| !b.is_held(now) && k.0 != duid)
                    .map(|(k, _)| k.clone())
                    .take(need)
                    .collect();
                if evictable.len() < need {
                    return Err(Dropped::TableFull);
                }
                for k in evictable {
                    self.remove_binding(&k);
                }
            }
        } else {
            let new = decided
                .iter()
                .filter(|(ia, o)| {
                    matches!(o, Outcome::Prefix(..))
                        && !self.offers.contains_key(&(duid.clone(), ia.iaid))
                })
                .count();
            if self.offers.len() + new > self.cfg.max_advertised {
                return Err(Dropped::TableFull);
            }
        }
        // Apply.
        let cfg_t = (self.cfg.t1, self.cfg.t2, self.cfg.preferred, self.cfg.valid);
        let mut durable = false;
        for (ia, outcome) in decided {
            let key = (duid.clone(), ia.iaid);
            let mut out = IaPd {
                iaid: ia.iaid,
                t1: cfg_t.0,
                t2: cfg_t.1,
                options: Vec::new(),
            };
            match outcome {
                Outcome::Prefix(p, l) => {
                    let prefix = Ipv6Addr::from(p);
                    if binds {
                        self.bind(key.clone(), prefix, l, source);
                        durable = true;
                    } else {
                        let expires = self.now + self.cfg.advertise_hold;
                        self.offer(
                            key.clone(),
                            Offer {
                                prefix: p,
                                len: l,
                                expires,
                            },
                        );
                    }
                    out.options.push(Dhcpv6Option::IaPrefix(IaPrefix {
                        preferred: cfg_t.2,
                        valid: cfg_t.3,
                        prefix_len: l,
                        prefix,
                        options: Vec::new(),
                    }));
                    // Prefixes the client listed that are not this one:
                    // lifetimes 0 (§18.3.4).
                    for q in ia.prefixes() {
                        if (q.prefix, q.prefix_len) != (prefix, l)
                            && !q.prefix.is_unspecified()
                            && matches!(c.msg_type, Renew | Rebind)
                        {
                            out.options.push(zero(q.prefix, q.prefix_len));
                        }
                    }
                }
                Outcome::Status(s) => {
                    out.t1 = 0;
                    out.t2 = 0;
                    out.options.push(status(s));
                    if s == StatusCode::NoPrefixAvail {
                        self.counters.no_prefix_avail += 1;
                        self.event(Dhcpv6ServerEvent::NoPrefixAvail {
                            duid: key.0.clone(),
                            iaid: key.1,
                        });
                    }
                }
                Outcome::Refuse(list) => {
                    out.t1 = 0;
                    out.t2 = 0;
                    for (p, l) in list {
                        out.options.push(zero(p, l));
                    }
                }
            }
            r.options.push(Dhcpv6Option::IaPd(out));
        }
        for ia in c.ia_nas() {
            r.options.push(Dhcpv6Option::IaNa(IaNa {
                iaid: ia.iaid,
                t1: 0,
                t2: 0,
                options: alloc::vec![status(StatusCode::NoAddrsAvail)],
            }));
        }
        if rapid {
            r.options.push(Dhcpv6Option::RapidCommit);
        }
        if c.msg_type == Solicit && !rapid && self.cfg.preference != 0 {
            r.options
                .push(Dhcpv6Option::Preference(self.cfg.preference));
        }
        Ok(durable)
    }

    fn bind(&mut self, key: Key, prefix: Ipv6Addr, len: u8, source: &Dhcpv6ServerSource) {
        self.unoffer(&key);
        let rec = Dhcpv6DelegationRecord {
            duid: key.0,
            iaid: key.1,
            prefix,
            prefix_len: len,
            expires: at(self.now, self.cfg.valid),
            state: Dhcpv6BindingState::Bound,
            link: source.link,
        };
        self.insert(rec.clone());
        self.pending.push(rec.clone());
        self.event(Dhcpv6ServerEvent::Delegated(rec));
    }

    fn release(&mut self, c: &ClientMessage, r: &mut ClientMessage) {
        r.options.push(status(StatusCode::Success));
        let Some(duid) = c.client_id() else { return };
        for ia in c.ia_pds() {
            let key = (duid.clone(), ia.iaid);
            let now = self.now;
            match self.bindings.get(&key).cloned() {
                Some(mut b) if b.state == Dhcpv6BindingState::Bound => {
                    b.state = Dhcpv6BindingState::Released;
                    b.expires = now;
                    let rec = b;
                    self.insert(rec.clone());
                    self.pending.push(rec.clone());
                    self.event(Dhcpv6ServerEvent::Released(rec));
                }
                _ => r.options.push(Dhcpv6Option::IaPd(IaPd {
                    iaid: ia.iaid,
                    t1: 0,
                    t2: 0,
                    options: alloc::vec![status(StatusCode::NoBinding)],
                })),
            }
        }
    }
}

fn zero(prefix: Ipv6Addr, prefix_len: u8) -> Dhcpv6Option {
    Dhcpv6Option::IaPrefix(IaPrefix {
        preferred: 0,
        valid: 0,
        prefix_len,
        prefix,
        options: Vec::new(),
    })
}
