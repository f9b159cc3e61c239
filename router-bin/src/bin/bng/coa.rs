//! The RFC 5176 listener glue: Disconnect-Request and CoA-Request over a
//! UDP socket, verified by `radius-proto`'s `DynAuthServer`; which
//! sessions a request names.

use std::io;

use proto_core::Instant;
use radius_proto::Secret;
use radius_proto::dict::AccessReply;
use radius_proto::dynauth::{
    Answer, DynAuthClient, DynAuthConfig, DynAuthRequest, DynAuthServer, ErrorCause, Event,
    RequestKind, SessionSelector,
};
use tokio::net::UdpSocket;

use crate::config::Config;
use crate::engine::{Bng, cause};
use crate::sessions::Session;
use crate::shaper::shaper;

/// The listener machine and its socket.
pub struct Coa {
    server: DynAuthServer,
    /// The socket.
    pub sock: UdpSocket,
}

impl Coa {
    /// Binds the listener of `cfg.coa` (which must be present).
    pub async fn new(cfg: &Config) -> io::Result<Option<Coa>> {
        let Some(c) = &cfg.coa else {
            return Ok(None);
        };
        let clients = cfg
            .coa_clients()
            .into_iter()
            .map(|addr| DynAuthClient {
                addr,
                secret: Secret::new(c.secret.as_bytes()),
            })
            .collect();
        let mut dc = DynAuthConfig::new(clients);
        if let Some(r) = &cfg.radius {
            dc.nas_identifier = Some(r.nas_identifier.as_bytes().to_vec());
            dc.nas_ip = r.nas_ip;
        }
        let sock = UdpSocket::bind(c.listen)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("coa.listen {}: {e}", c.listen)))?;
        Ok(Some(Coa {
            server: DynAuthServer::new(dc),
            sock,
        }))
    }

    /// One datagram.
    pub fn handle_datagram(&mut self, now: Instant, from: std::net::SocketAddr, data: &[u8]) {
        if let Err(e) = self.server.handle_input(now, from, data) {
            tracing::debug!(%from, "dynamic-authorization datagram dropped: {e}");
        }
    }

    /// Answers request `handle`.
    pub fn respond(&mut self, now: Instant, handle: u64, answer: Answer) {
        if let Err(e) = self.server.respond(now, handle, answer) {
            tracing::debug!("dynamic-authorization answer not sent: {e}");
        }
    }

    /// Runs the machine's timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.server.handle_timeout(now);
    }

    /// When to call [`Coa::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.server.poll_timeout()
    }

    /// Sends the queued answers; returns the requests to act on.
    pub fn flush(&mut self) -> Vec<DynAuthRequest> {
        while let Some(t) = self.server.poll_transmit() {
            if let Err(e) = self.sock.try_send_to(&t.payload, t.destination) {
                tracing::warn!(to = %t.destination, "dynamic-authorization answer not sent: {e}");
            }
        }
        let mut out = Vec::new();
        while let Some(Event::Request(r)) = self.server.poll_event() {
            out.push(r);
        }
        out
    }
}

impl Bng {
    /// Acts on a Disconnect-Request or CoA-Request and answers it.
    pub(crate) fn on_dynauth(&mut self, req: DynAuthRequest) {
        let ids: Vec<u16> = self
            .table
            .by_id
            .values()
            .filter(|s| matches(&req.selector, s))
            .map(|s| s.id)
            .collect();
        let answer = if ids.is_empty() {
            Answer::Nak(ErrorCause::SESSION_CONTEXT_NOT_FOUND)
        } else {
            match req.kind {
                RequestKind::Disconnect => {
                    for &id in &ids {
                        tracing::info!(session = id, from = %req.from, "Disconnect-Request");
                        self.close(id, cause::ADMIN_RESET);
                    }
                    Answer::Ack
                }
                RequestKind::Coa => self.change(&ids, &req.bytes),
            }
        };
        let now = self.clock.now();
        if let Some(c) = &mut self.coa {
            c.respond(now, req.handle, answer);
        }
    }

    /// CoA-Request: new speed limits (RP-*-Speed-Limit) for the sessions.
    fn change(&mut self, ids: &[u16], bytes: &[u8]) -> Answer {
        let Ok(p) = radius_proto::Packet::parse(bytes) else {
            return Answer::Nak(ErrorCause::INVALID_REQUEST);
        };
        let r = AccessReply::from_packet(&p);
        if r.rp_upstream_kbps.is_none() && r.rp_downstream_kbps.is_none() {
            return Answer::Nak(ErrorCause::UNSUPPORTED_ATTRIBUTE);
        }
        let now = std::time::Instant::now();
        for id in ids {
            if let Some(s) = self.table.by_id.get_mut(id) {
                if let Some(k) = r.rp_upstream_kbps {
                    s.up = shaper(Some(k), now);
                }
                if let Some(k) = r.rp_downstream_kbps {
                    s.down = shaper(Some(k), now);
                }
                tracing::info!(session = id, up = ?r.rp_upstream_kbps, down = ?r.rp_downstream_kbps, "CoA: new speed limits");
            }
        }
        Answer::Ack
    }
}

/// Whether `s` is named by every attribute the selector carries.
pub fn matches(sel: &SessionSelector, s: &Session) -> bool {
    if sel.is_empty() {
        return false;
    }
    sel.user_name
        .as_ref()
        .is_none_or(|u| s.user.as_ref() == Some(u))
        && sel
            .acct_session_id
            .as_ref()
            .is_none_or(|id| s.acct_id.as_bytes() == id.as_slice())
        && sel.framed_ip.is_none_or(|ip| s.addr == Some(ip))
        && sel.nas_port.is_none_or(|p| p == u32::from(s.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn selectors() {
        let mut s = Session::new(1, 9, [2; 6], std::time::Instant::now());
        s.user = Some(b"alice".to_vec());
        s.addr = Some(Ipv4Addr::new(192, 0, 2, 9));
        let mut sel = SessionSelector::default();
        assert!(!matches(&sel, &s));
        sel.user_name = Some(b"alice".to_vec());
        assert!(matches(&sel, &s));
        sel.framed_ip = Some(Ipv4Addr::new(192, 0, 2, 10));
        assert!(!matches(&sel, &s));
        sel.framed_ip = Some(Ipv4Addr::new(192, 0, 2, 9));
        sel.nas_port = Some(9);
        assert!(matches(&sel, &s));
        sel.acct_session_id = Some(b"x".to_vec());
        assert!(!matches(&sel, &s));
    }
}
