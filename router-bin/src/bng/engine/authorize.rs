//! Authorisation: an `AuthRequest` judged (users table or RADIUS), the
//! verdict applied (address, limits, accounting) or the session refused.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ppp_proto::{Credential, Ipv4Assignment};

use crate::bng::auth::{self, Grant, Verdict};
use crate::bng::engine::{Bng, RouteOp, cause};
use crate::bng::sessions::{Acct, AuthStep, Authz, mac_text};
use crate::bng::shaper::shaper;

impl Bng {
    /// An `AuthRequest` of session `id`: judged by the users table or
    /// RADIUS the first time, answered with the same assignment after.
    pub(super) fn on_auth(&mut self, id: u16, user: Vec<u8>, credential: Credential) {
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        let serial = s.serial;
        let step = s.auth_step(&user);
        if self.shutting_down {
            return self.refuse(id, "Shutting down");
        }
        match step {
            AuthStep::Judge => match &mut self.radius {
                Some(r) => {
                    if let Err(e) = r.authenticate(s, &user, credential) {
                        tracing::warn!(session = id, "Access-Request not sent: {e}");
                        self.apply(id, serial, Verdict::Reject("Authentication failed"));
                    }
                }
                None => {
                    let v = auth::local(&self.cfg.users, &user, &credential);
                    self.apply(id, serial, v);
                }
            },
            AuthStep::Wait => {
                tracing::debug!(
                    session = id,
                    "authenticating again while the first request is judged: its verdict answers"
                );
            }
            AuthStep::Again => {
                // Authenticated again in a session already accepted (LCP
                // renegotiated). The users table judges the credential
                // again (cheap and exact). With RADIUS we accept locally,
                // same user name, same assignment: asking the server for
                // every renegotiation (which the peer can cause at will)
                // would cost an Access-Request each time and could change
                // the address or limits in mid-session; a session whose
                // user should go is ended by a Disconnect-Request.
                if self.radius.is_none()
                    && let Verdict::Reject(msg) = auth::local(&self.cfg.users, &user, &credential)
                {
                    return self.refuse(id, msg);
                }
                self.accept_again(id);
            }
            AuthStep::Refuse => {
                tracing::info!(
                    session = id, user = %String::from_utf8_lossy(&user),
                    "authentication again as another user, or after a refusal"
                );
                self.refuse(id, "Authentication failed");
            }
        }
    }

    /// Refuses session `id`'s pending authentication (the session ends).
    fn refuse(&mut self, id: u16, msg: &'static str) {
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        s.authz = Authz::Refused;
        tracing::info!(user = %s.user_text(), mac = %mac_text(&s.mac), session = id, "authentication refused: {msg}");
        if self
            .link
            .reject(self.clock.now(), id, msg.as_bytes())
            .is_err()
        {
            // No authentication phase now (LCP renegotiating): end it.
            self.close(id, cause::NAS_REQUEST);
        }
    }

    /// Accepts session `id`'s authentication with the assignment it has.
    fn accept_again(&mut self, id: u16) {
        let addr = self.table.by_id.get(&id).and_then(|s| s.addr);
        // IPv6-only access (`ipv4 = false`): IPCP is Protocol-Rejected, so
        // the session has no IPv4 address to assign.
        let a = match addr {
            Some(peer) => {
                let dns = &self.cfg.pool.dns;
                Some(Ipv4Assignment {
                    peer,
                    dns1: dns.first().copied(),
                    dns2: dns.get(1).copied(),
                })
            }
            None if self.cfg.ipv4 => return self.refuse(id, "No address available"),
            None => None,
        };
        // RADIUS's Framed-Interface-Id (RFC 3162 §2.2) is imposed on the
        // peer through IPv6CP (its own is Nak'd); without it, its choice.
        let ifid = self.table.by_id.get(&id).and_then(|s| s.v6grant.ifid);
        let _ = self.link.set_ipv6_peer_ifid(id, ifid);
        // Err: not in the authentication phase (LCP renegotiates again);
        // the next AuthRequest is answered the same way.
        let _ = self.link.accept(self.clock.now(), id, a, b"Welcome");
    }

    /// Acts on the verdict of session `id`'s first authentication (if it
    /// is still the same session and still waiting for it).
    pub fn apply(&mut self, id: u16, serial: u64, verdict: Verdict) {
        let Some(s) = self
            .table
            .by_id
            .get(&id)
            .filter(|s| s.serial == serial && s.authz == Authz::Pending)
        else {
            return;
        };
        let user = s.user.clone().unwrap_or_default();
        let user_text = s.user_text();
        let grant = match verdict {
            Verdict::Accept(g) => g,
            Verdict::Reject(msg) => return self.refuse(id, msg),
        };
        // An IPv6-only session takes no IPv4 address: the pool does not
        // bound how many there are, and accounting reports none (a
        // Framed-IP-Address from RADIUS or a user's `ip` is ignored).
        let assigned = if self.cfg.ipv4 {
            let Some(a) = self.address_for(&user, &grant) else {
                tracing::warn!(user = %user_text, "no address: pool exhausted or address in use");
                return self.refuse(id, "No address available");
            };
            Some(a)
        } else {
            None
        };
        let own_route = assigned.is_some_and(|(addr, _)| !self.pool.contains(addr));
        if let Some((addr, _)) = assigned {
            if own_route {
                self.routes.push(RouteOp::Add(addr));
            }
            self.table.by_addr.insert(addr, id);
        }
        let interim = grant.interim.unwrap_or(self.cfg.interim_interval);
        let t = Instant::now();
        let radius = self.radius.is_some();
        let Some(s) = self.table.by_id.get_mut(&id) else {
            return;
        };
        s.authz = Authz::Granted;
        s.v6grant = grant.v6;
        s.addr = assigned.map(|(addr, _)| addr);
        s.from_pool = assigned.is_some_and(|(_, from_pool)| from_pool);
        s.own_route = own_route;
        s.up = shaper(grant.up_kbps, t);
        s.down = shaper(grant.down_kbps, t);
        s.deadline = grant
            .session_timeout
            .map(|secs| t + Duration::from_secs(secs.into()));
        if radius {
            s.acct = Some(Acct {
                class: grant.class,
                interim: (interim > 0).then(|| Duration::from_secs(interim.into())),
                next_interim: None,
                started: false,
                stopped: false,
            });
        }
        self.accept_again(id);
    }

    /// The address a grant gets: its fixed one if free (reserved in the
    /// pool when inside it), else one from the pool.
    fn address_for(&mut self, user: &[u8], g: &Grant) -> Option<(Ipv4Addr, bool)> {
        match g.ip {
            Some(ip) if ip == self.cfg.pool.local || self.table.by_addr.contains_key(&ip) => None,
            Some(ip) if self.pool.contains(ip) => self.pool.reserve(ip).then_some((ip, true)),
            Some(ip) => Some((ip, false)),
            None => self.pool.allocate(user).map(|a| (a, true)),
        }
    }
}
