//! Which prefix a session gets: the subscriber's remembered one, the one
//! already routed to it, never one routed to another session.

use dhcpv6_proto::store::Dhcpv6DelegationRecord;

use super::Dhcpv6;
use crate::bng::config::Prefix6;
use crate::bng::ipv6::Routes6;

impl Dhcpv6 {
    /// Remembers `r`'s prefix as its subscriber's (bounded by the
    /// server's `max_bindings`).
    pub(super) fn remember(&mut self, r: &Dhcpv6DelegationRecord) {
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
    pub(super) fn remembered_free(&self, link: u64) -> Option<Prefix6> {
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
    pub(super) fn fixed_for(
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
    pub(super) fn held(&self, id: u16, link: u64, routes: &Routes6) -> Option<Prefix6> {
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
