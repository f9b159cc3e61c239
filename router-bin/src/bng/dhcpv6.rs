//! The delegating DHCPv6 server of the sessions (with `[ipv6]`): one
//! [`Dhcpv6Server`] for every session, each message passed with the
//! session's subscriber as its `link` and, when RADIUS or the users table
//! fixes one, the prefix to delegate. Bindings are made durable in a
//! [`FileBindingStore`] under `state_dir` before their Reply leaves: the
//! changes of every DHCPv6 message of one receive batch (up to 64 frames)
//! are written and fsynced once at the batch's end (group commit, in the
//! event loop: one fsync per burst rather than per message), then the
//! batch's Replies go. A SIGKILL after a Reply never loses its binding.
//!
//! A reconnecting subscriber gets its prefix back: the server remembers
//! each DUID+IAID's prefix, and the bng remembers each subscriber's (the
//! `link` of the stored records: a hash of the user name), so a CPE that
//! comes back with a new DUID still gets the same prefix while nobody
//! else holds it. Precedence: Delegated-IPv6-Prefix from RADIUS or the
//! user's `ipv6_prefix`, then the subscriber's remembered prefix, then the
//! server's own choice from the pools; a prefix routed to another session
//! (one user may have several up at once) is never given.

use std::collections::HashMap;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use dhcpv6_proto::file_store::FileBindingStore;
use dhcpv6_proto::server::{
    Dhcpv6PrefixPool, Dhcpv6Server, Dhcpv6ServerConfig, Dhcpv6ServerEvent, Dhcpv6ServerSource,
};
use dhcpv6_proto::store::{BindingStore, Dhcpv6DelegationRecord};
use dhcpv6_proto::wire::Duid;
use radius_proto::client::AcctStatusType;
use sansio_primitives::StdClock;

use crate::bng::config::{Config, Prefix6};
use crate::bng::engine::Bng;
use crate::bng::ipv6::{Header, Routes6, udp};
use crate::bng::sessions::Session;

/// The DHCPv6 server and what the bng keeps beside it.
#[derive(Debug)]
pub struct Dhcpv6 {
    /// The machine.
    pub server: Dhcpv6Server,
    store: FileBindingStore,
    /// Its clock: UNIX time, so stored expiries survive a restart.
    wall: StdClock,
    /// Each subscriber's last delegated prefix (bounded by the server's
    /// `max_bindings`).
    remembered: HashMap<u64, Prefix6>,
    /// Commits that wrote (and fsynced) the store.
    pub commits: u64,
    /// The time the loop spent in them, in all and at most once.
    pub commit_time: std::time::Duration,
    /// The longest of them.
    pub commit_max: std::time::Duration,
}

/// The journal's file name under `state_dir`.
pub const BINDINGS_FILE: &str = "dhcpv6-bindings";

/// A subscriber's stable id: 64-bit FNV-1a of its user name (the MAC when
/// there is none).
pub fn subscriber(s: &Session) -> u64 {
    let key: &[u8] = s.user.as_deref().unwrap_or(&s.mac);
    key.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Dhcpv6 {
    /// The server for `cfg` (which has `[ipv6]`), its bindings restored from
    /// `state_dir`; `mac` makes its DUID.
    pub fn open(cfg: &Config, mac: [u8; 6]) -> Result<Option<Dhcpv6>, String> {
        let Some(v6) = &cfg.ipv6 else {
            return Ok(None);
        };
        std::fs::create_dir_all(&cfg.state_dir)
            .map_err(|e| format!("state_dir {}: {e}", cfg.state_dir.display()))?;
        let path: PathBuf = cfg.state_dir.join(BINDINGS_FILE);
        let (mut store, report) =
            FileBindingStore::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if report.bad_count > 0 {
            tracing::warn!(
                file = %path.display(), lines = ?report.bad_lines,
                "corrupt DHCPv6 binding records dropped"
            );
        }
        let pools = v6
            .pools
            .iter()
            .map(|p| Dhcpv6PrefixPool::new(p.addr, p.len, v6.delegated_length))
            .collect();
        let mut sc = Dhcpv6ServerConfig::new(Duid::ethernet(mac), pools);
        sc.preferred = v6.preferred_lifetime;
        sc.valid = v6.valid_lifetime;
        sc.t1 = v6.preferred_lifetime / 2;
        sc.t2 = v6.preferred_lifetime / 5 * 4;
        sc.dns_servers = v6.dns.clone();
        sc.max_bindings = v6.max_bindings;
        // One server per PPP link: Preference 255 lets the client take our
        // Advertise at once instead of collecting for its first Solicit
        // timeout (RFC 8415 §18.2.1, ~1 s per session).
        sc.preference = 255;
        let wall = StdClock::since_unix_epoch();
        let server = Dhcpv6Server::new(sc, wall.now()).map_err(|e| format!("ipv6: {e}"))?;
        let records = store
            .load()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut d = Dhcpv6 {
            server,
            store,
            wall,
            remembered: HashMap::new(),
            commits: 0,
            commit_time: std::time::Duration::ZERO,
            commit_max: std::time::Duration::ZERO,
        };
        for r in &records {
            d.remember(r);
        }
        let ignored = d.server.restore(records);
        if ignored > 0 {
            tracing::warn!(
                ignored,
                "stored DHCPv6 bindings past ipv6.max_bindings ignored"
            );
        }
        Ok(Some(d))
    }

    /// Writes the pending binding changes (fsynced) and releases the
    /// Replies held for them; on failure they are dropped (the clients
    /// send again). Timed: `bng stats` shows what it costs the loop.
    fn commit(&mut self) {
        if self.server.pending_bindings().is_empty() {
            self.server.commit();
            return;
        }
        let t = std::time::Instant::now();
        if let Err(e) = self.server.commit_to(&mut self.store) {
            tracing::warn!("DHCPv6 bindings not stored: {e}");
        }
        let took = t.elapsed();
        self.commits += 1;
        self.commit_time += took;
        self.commit_max = self.commit_max.max(took);
    }

    /// Hands the server a message from session `session` (subscriber
    /// `link`, `fixed` the prefix it must get) sent from `src`; the
    /// session rides in the source's `interface` so each answer finds it.
    fn input(
        &mut self,
        session: u16,
        link: u64,
        fixed: Option<Prefix6>,
        src: Ipv6Addr,
        data: &[u8],
    ) {
        let source = Dhcpv6ServerSource {
            link: Some(link),
            delegated_prefix: fixed.map(|p| (p.addr, p.len)),
            ..Dhcpv6ServerSource::new(src, u32::from(session))
        };
        let now = self.wall.now();
        if let Err(e) = self.server.handle_input(now, source, data) {
            tracing::debug!(session, "DHCPv6 message dropped: {e}");
        }
    }

    /// The answers ready to go: (session, destination, port, message).
    fn transmits(&mut self) -> Vec<(u16, Ipv6Addr, u16, Vec<u8>)> {
        let now = self.wall.now();
        let mut out = Vec::new();
        while let Some(t) = self.server.poll_transmit(now) {
            let d = t.destination;
            if let Ok(id) = u16::try_from(d.interface) {
                out.push((id, d.address, d.port, t.payload));
            }
        }
        out
    }

    fn remember(&mut self, r: &Dhcpv6DelegationRecord) {
        let Some(link) = r.link else { return };
        let full = self.remembered.len() >= self.server.config().max_bindings;
        if full && !self.remembered.contains_key(&link) {
            return;
        }
        self.remembered.insert(
            link,
            Prefix6 {
                addr: r.prefix,
                len: r.prefix_len,
            },
        );
    }

    /// `link`'s remembered prefix, unless another subscriber holds it now.
    /// Its own held bindings do not count: a CPE that redials with a new
    /// DUID gets the prefix its last connection did not release.
    fn remembered_free(&self, link: u64) -> Option<Prefix6> {
        let p = *self.remembered.get(&link)?;
        let now = self.wall.now();
        let taken = self.server.bindings().any(|r| {
            r.prefix == p.addr && r.prefix_len == p.len && r.is_held(now) && r.link != Some(link)
        });
        (!taken).then_some(p)
    }

    /// The prefix session `id` (subscriber `link`) must get, if any: its
    /// `grant` (RADIUS, the user's `ipv6_prefix`), else the prefix already
    /// routed to it (`current`), else the subscriber's remembered one. A
    /// prefix routed to another session is never one: that session is up
    /// (routes go when a session or its IPv6CP ends), and one user may
    /// have several sessions at once. Those get the server's choice from
    /// the pools instead, which skips prefixes held by others.
    fn fixed_for(
        &self,
        id: u16,
        link: u64,
        grant: Option<Prefix6>,
        current: Option<Prefix6>,
        routes: &Routes6,
    ) -> Option<Prefix6> {
        let mine = |p: &Prefix6| routes.get(p).is_none_or(|&o| o == id);
        grant
            .filter(mine)
            .or(current)
            .or_else(|| self.remembered_free(link).filter(mine))
    }

    /// A prefix subscriber `link` still holds that no other session has:
    /// routed to session `id` when its IPv6CP opens.
    fn held(&self, id: u16, link: u64, routes: &Routes6) -> Option<Prefix6> {
        let now = self.wall.now();
        self.server
            .bindings()
            .filter(|r| r.link == Some(link) && r.is_held(now))
            .map(|r| {
                let p = Prefix6 {
                    addr: r.prefix,
                    len: r.prefix_len,
                };
                (r.expires, p)
            })
            .filter(|(_, p)| routes.get(p).is_none_or(|&o| o == id))
            .max_by_key(|(t, _)| *t)
            .map(|(_, p)| p)
    }
}

impl Bng {
    /// A DHCPv6 message (UDP payload to port 547) from session `id`.
    /// Answers that need nothing durable (Advertise, ...) go at once;
    /// Replies wait for the receive batch's one commit
    /// ([`Bng::dhcpv6_flush`]).
    pub(crate) fn dhcpv6_input(&mut self, id: u16, h: &Header, data: &[u8]) {
        let (Some(d), Some(s)) = (self.dhcpv6.as_mut(), self.table.by_id.get(&id)) else {
            return;
        };
        if s.v6.is_none() {
            return;
        }
        let link = subscriber(s);
        let fixed = d.fixed_for(
            id,
            link,
            s.v6grant.delegated,
            s.delegated(),
            &self.v6_routes,
        );
        d.input(id, link, fixed, h.src, data);
        self.dhcpv6_send();
        self.dhcpv6_events(Some(id));
    }

    /// Group commit, at the end of each receive batch: the binding changes
    /// of every DHCPv6 message in it are written and fsynced once, then
    /// their Replies go (none before its binding is on disk).
    pub fn dhcpv6_flush(&mut self) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        if d.server.pending_bindings().is_empty() {
            return;
        }
        d.commit();
        self.dhcpv6_send();
    }

    /// Sends the server's ready answers, each into the session its message
    /// came from (gone sessions' are dropped).
    fn dhcpv6_send(&mut self) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let mut out = Vec::new();
        for (id, dst, port, payload) in d.transmits() {
            let local = self.table.by_id.get(&id).and_then(|s| s.v6.as_ref());
            if let Some(v) = local {
                out.push((id, udp(v.local, dst, 547, port, &payload)));
            }
        }
        for (id, p) in out {
            self.send_v6(id, &p);
        }
    }

    /// Acts on the server's events: routes for delegated prefixes (to
    /// session `id`, whose message caused them), removed when released or
    /// expired.
    fn dhcpv6_events(&mut self, id: Option<u16>) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let mut events = Vec::new();
        while let Some(e) = d.server.poll_event() {
            if let Dhcpv6ServerEvent::Delegated(r) = &e {
                d.remember(r);
            }
            events.push(e);
        }
        for e in events {
            match e {
                Dhcpv6ServerEvent::Delegated(r) => {
                    let p = Prefix6 {
                        addr: r.prefix,
                        len: r.prefix_len,
                    };
                    if let Some(id) = id {
                        self.delegated(id, p);
                    }
                }
                Dhcpv6ServerEvent::Released(r) | Dhcpv6ServerEvent::Expired(r) => {
                    let p = Prefix6 {
                        addr: r.prefix,
                        len: r.prefix_len,
                    };
                    if let Some(&owner) = self.v6_routes.get(&p) {
                        if let Some(v) =
                            self.table.by_id.get_mut(&owner).and_then(|s| s.v6.as_mut())
                            && v.delegated == Some(p)
                        {
                            v.delegated = None;
                        }
                        self.route_del(p, owner);
                    }
                }
                Dhcpv6ServerEvent::NoPrefixAvail { .. } => {
                    tracing::warn!(session = ?id, "DHCPv6: no prefix available");
                }
            }
        }
    }

    /// `p` was delegated to session `id`: routed to it (another prefix it
    /// had is no longer), and RADIUS hears of it in an Interim-Update.
    fn delegated(&mut self, id: u16, p: Prefix6) {
        let Some(old) = self
            .table
            .by_id
            .get_mut(&id)
            .and_then(|s| s.v6.as_mut())
            .map(|v| v.delegated.replace(p))
        else {
            return;
        };
        if old == Some(p) {
            return;
        }
        if let Some(o) = old {
            self.route_del(o, id);
        }
        self.route_add(p, id);
        let Some(s) = self.table.by_id.get(&id) else {
            return;
        };
        tracing::info!(user = %s.user_text(), session = id, prefix = %p, "prefix delegated");
        if s.acct.as_ref().is_some_and(|a| a.started && !a.stopped)
            && let Some(r) = &mut self.radius
        {
            r.account(s, AcctStatusType::InterimUpdate, None);
        }
    }

    /// IPv6CP opened on session `id`: a prefix its subscriber still holds
    /// (IPv6CP renegotiated, or a reconnect within the valid lifetime) and
    /// no other session of it has is routed to it at once: the CPE keeps
    /// using it and asks again only at T1.
    pub(crate) fn dhcpv6_reroute(&mut self, id: u16) {
        let (Some(d), Some(s)) = (self.dhcpv6.as_ref(), self.table.by_id.get(&id)) else {
            return;
        };
        if let Some(p) = d.held(id, subscriber(s), &self.v6_routes) {
            self.delegated(id, p);
        }
    }

    /// Expires Advertises and delegations.
    pub(crate) fn dhcpv6_timeout(&mut self) {
        let Some(d) = self.dhcpv6.as_mut() else {
            return;
        };
        let now = d.wall.now();
        if d.server.poll_timeout().is_some_and(|t| t <= now) {
            d.server.handle_timeout(now);
            d.commit();
            self.dhcpv6_send();
            self.dhcpv6_events(None);
        }
    }

    /// When the server's next timer is due.
    pub(crate) fn dhcpv6_deadline(&self) -> Option<std::time::Instant> {
        let d = self.dhcpv6.as_ref()?;
        d.wall.to_std(d.server.poll_timeout()?)
    }
}

#[cfg(test)]
mod tests;
