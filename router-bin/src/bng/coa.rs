//! The RFC 5176 listener glue: Disconnect-Request and CoA-Request over a
//! UDP socket, verified by `radius-proto`'s `DynAuthServer` run by its
//! tokio driver (`DynAuthDriver`); which sessions a request names, and what
//! the engine does about it.

use std::io;

use radius_proto::dict::{
    AccessReply, RP_DOWNSTREAM_SPEED_LIMIT, RP_UPSTREAM_SPEED_LIMIT, VENDOR_ROARING_PENGUIN,
};
use radius_proto::driver::DynAuthDriver;
use radius_proto::dynauth::{
    Answer, DynAuthClient, DynAuthConfig, DynAuthRequest, DynAuthServer, ErrorCause, RequestKind,
    SessionSelector,
};
use radius_proto::wire::{Value, attr};
use radius_proto::{Packet, Secret};
use tokio::sync::mpsc;

use crate::bng::config::Config;
use crate::bng::datapath::Dir;
use crate::bng::engine::{Bng, cause};
use crate::bng::sessions::Session;
use crate::bng::shaper::Shaper;

/// The listener: `radius-proto`'s tokio driver owns the machine and the
/// socket; verified requests come out of `requests`.
pub struct Coa {
    driver: DynAuthDriver,
    /// Verified requests to act on and answer.
    pub requests: mpsc::Receiver<DynAuthRequest>,
}

/// Verified requests queued for the engine at most (the machine's
/// `max_pending` bounds the unanswered ones too).
const BACKLOG: usize = 64;

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
        let (driver, requests) = DynAuthDriver::bind(DynAuthServer::new(dc), c.listen, BACKLOG)
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("coa.listen {}: {e}", c.listen)))?;
        Ok(Some(Coa { driver, requests }))
    }

    /// Answers request `handle`.
    pub fn respond(&mut self, handle: u64, answer: Answer) {
        self.driver.respond(handle, answer);
    }

    /// The requests that arrived; acted on by the engine's pump.
    pub fn flush(&mut self) -> Vec<DynAuthRequest> {
        let mut out = Vec::new();
        while let Ok(r) = self.requests.try_recv() {
            out.push(r);
        }
        out
    }
}

impl Bng {
    /// Acts on a Disconnect-Request or CoA-Request and answers it.
    pub(crate) fn on_dynauth(&mut self, req: DynAuthRequest) {
        let answer = match Target::of(&req) {
            Err(cause) => {
                tracing::info!(from = %req.from, kind = ?req.kind, "dynamic-authorization request refused: {cause:?}");
                Answer::Nak(cause)
            }
            Ok(target) => {
                let ids: Vec<u16> = self
                    .table
                    .by_id
                    .values()
                    .filter(|s| target.matches(s))
                    .map(|s| s.id)
                    .collect();
                if ids.is_empty() {
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
                }
            }
        };
        if let Some(c) = &mut self.coa {
            c.respond(req.handle, answer);
        }
    }

    /// CoA-Request: new speed limits (RP-*-Speed-Limit) for the sessions.
    /// Packets waiting in a shaper's queue stay queued at the new rate (or
    /// go at once when the limit is removed with 0).
    fn change(&mut self, ids: &[u16], bytes: &[u8]) -> Answer {
        let Ok(p) = Packet::parse(bytes) else {
            return Answer::Nak(ErrorCause::INVALID_REQUEST);
        };
        if let Err(cause) = check_coa_attributes(&p) {
            return Answer::Nak(cause);
        }
        let r = AccessReply::from_packet(&p);
        if r.rp_upstream_kbps.is_none() && r.rp_downstream_kbps.is_none() {
            return Answer::Nak(ErrorCause::UNSUPPORTED_ATTRIBUTE);
        }
        let now = std::time::Instant::now();
        for id in ids {
            self.touch(*id);
            let Some(s) = self.table.by_id.get_mut(id) else {
                continue;
            };
            let up = set_limit(&mut s.up, r.rp_upstream_kbps, now);
            let down = set_limit(&mut s.down, r.rp_downstream_kbps, now);
            for (packet, n) in up {
                if self.tun.send_bare(&packet).is_ok() {
                    Dir::Up.bill(&mut s.traffic, n);
                } else {
                    self.stats.tun_errors += 1;
                }
            }
            for (frame, n) in down {
                if self.out.send(&frame).is_ok() {
                    Dir::Down.bill(&mut s.traffic, n);
                } else {
                    self.stats.tx_dropped += 1;
                }
            }
            // The queues' heads go at another time now (or not at all).
            self.backlog.note(s);
            tracing::info!(session = id, up = ?r.rp_upstream_kbps, down = ?r.rp_downstream_kbps, "CoA: new speed limits");
        }
        Answer::Ack
    }
}

/// Applies a CoA's limit (`None`: unchanged, 0: none) to a direction's
/// shaper; returns the queued packets to send at once (limit removed).
fn set_limit(
    slot: &mut Option<Shaper>,
    kbps: Option<u32>,
    now: std::time::Instant,
) -> Vec<(Vec<u8>, usize)> {
    match (kbps, slot.as_mut()) {
        (None, _) => Vec::new(),
        (Some(0), _) => slot
            .take()
            .map_or_else(Vec::new, |q| q.into_queue().collect()),
        (Some(k), Some(q)) => {
            q.set_rate(k, now);
            Vec::new()
        }
        (Some(k), None) => {
            *slot = Some(Shaper::new(k, now));
            Vec::new()
        }
    }
}

/// Attributes a CoA-Request may carry besides the speed limits: the
/// session identification ones [`Target`] matches on, the NAS
/// identification the listener checks, and the transport ones.
const COA_ALLOWED: [u8; 12] = [
    attr::USER_NAME,
    attr::NAS_IP_ADDRESS,
    attr::NAS_PORT,
    attr::FRAMED_IP_ADDRESS,
    attr::CALLING_STATION_ID,
    attr::NAS_IDENTIFIER,
    attr::PROXY_STATE,
    attr::ACCT_SESSION_ID,
    attr::EVENT_TIMESTAMP,
    attr::NAS_PORT_TYPE,
    attr::MESSAGE_AUTHENTICATOR,
    attr::NAS_IPV6_ADDRESS,
];

/// RFC 5176 §3.6: a CoA-Request with an attribute the bng does not act on
/// (anything but [`COA_ALLOWED`] and the Roaring Penguin speed limits) is
/// refused whole with Error-Cause 401 (Unsupported-Attribute), not half
/// applied; a speed limit that is not a 32-bit integer with 407.
fn check_coa_attributes(p: &Packet<'_>) -> Result<(), ErrorCause> {
    for a in &p.attributes {
        if COA_ALLOWED.contains(&a.typ) {
            continue;
        }
        let Value::Vsa(v) = a.value else {
            return Err(ErrorCause::UNSUPPORTED_ATTRIBUTE);
        };
        if a.typ != attr::VENDOR_SPECIFIC || v.vendor != VENDOR_ROARING_PENGUIN {
            return Err(ErrorCause::UNSUPPORTED_ATTRIBUTE);
        }
        for sub in v.sub_attributes() {
            let sub = sub.map_err(|_| ErrorCause::INVALID_ATTRIBUTE_VALUE)?;
            if sub.typ != RP_UPSTREAM_SPEED_LIMIT && sub.typ != RP_DOWNSTREAM_SPEED_LIMIT {
                return Err(ErrorCause::UNSUPPORTED_ATTRIBUTE);
            }
            if sub.value.len() != 4 {
                return Err(ErrorCause::INVALID_ATTRIBUTE_VALUE);
            }
        }
    }
    Ok(())
}

/// NAS-Port-Type the bng reports for every session (what radius.rs sends).
const NAS_PORT_TYPE_ETHERNET: u32 = 15;
/// Originating-Line-Info (RFC 7155), not in the dictionary.
const ORIGINATING_LINE_INFO: u8 = 94;
/// Session identification attributes of RFC 5176 §3 the bng has nothing to
/// compare with (it never sends them): a request naming a session by one
/// of them is refused with Error-Cause 401 rather than matched on the
/// others alone, which would select more sessions than meant.
const UNMATCHABLE: [u8; 7] = [
    attr::CALLED_STATION_ID,
    attr::ACCT_MULTI_SESSION_ID,
    attr::NAS_PORT_ID,
    attr::CHARGEABLE_USER_IDENTITY,
    ORIGINATING_LINE_INFO,
    attr::FRAMED_INTERFACE_ID,
    attr::FRAMED_IPV6_PREFIX,
];

/// The sessions a Disconnect/CoA-Request names: those matching every
/// session identification attribute it carries (RFC 5176 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// User-Name, Acct-Session-Id, Framed-IP-Address, NAS-Port.
    selector: SessionSelector,
    /// Calling-Station-Id: the host's MAC (`None` inside: not a MAC, so
    /// no session).
    calling_station: Option<Option<[u8; 6]>>,
    /// NAS-Port-Type.
    nas_port_type: Option<u32>,
}

impl Target {
    /// The target of a request, or the Error-Cause to refuse it with.
    pub fn of(req: &DynAuthRequest) -> Result<Target, ErrorCause> {
        let p = Packet::parse(&req.bytes).map_err(|_| ErrorCause::INVALID_REQUEST)?;
        Target::from_packet(&p)
    }

    /// The target of a parsed request.
    pub fn from_packet(p: &Packet<'_>) -> Result<Target, ErrorCause> {
        if UNMATCHABLE.iter().any(|t| p.get(*t).is_some()) {
            return Err(ErrorCause::UNSUPPORTED_ATTRIBUTE);
        }
        let selector = SessionSelector::from_packet(p);
        let calling_station = p
            .get(attr::CALLING_STATION_ID)
            .map(|v| v.as_bytes().and_then(parse_mac));
        let nas_port_type = match p.get(attr::NAS_PORT_TYPE) {
            Some(v) => Some(v.as_u32().ok_or(ErrorCause::INVALID_ATTRIBUTE_VALUE)?),
            None => None,
        };
        let names_a_session = selector.user_name.is_some()
            || selector.acct_session_id.is_some()
            || selector.framed_ip.is_some()
            || selector.nas_port.is_some()
            || calling_station.is_some();
        if !names_a_session {
            // NAS-Port-Type alone would name every session.
            return Err(ErrorCause::MISSING_ATTRIBUTE);
        }
        Ok(Target {
            selector,
            calling_station,
            nas_port_type,
        })
    }

    /// Whether session `s` matches every attribute given.
    pub fn matches(&self, s: &Session) -> bool {
        let sel = &self.selector;
        sel.user_name
            .as_ref()
            .is_none_or(|u| s.user.as_ref() == Some(u))
            && sel
                .acct_session_id
                .as_ref()
                .is_none_or(|id| s.acct_id.as_bytes() == id.as_slice())
            && sel.framed_ip.is_none_or(|ip| s.addr == Some(ip))
            && sel.nas_port.is_none_or(|p| p == u32::from(s.id))
            && self.calling_station.is_none_or(|m| m == Some(s.mac))
            && self
                .nas_port_type
                .is_none_or(|t| t == NAS_PORT_TYPE_ETHERNET)
    }
}

/// A MAC address as text: six hex octets separated by `:` or `-`, or
/// twelve hex digits (optionally in `.`-separated groups, Cisco style).
/// The bng sends `aa:bb:cc:dd:ee:ff`; servers often rewrite the case or
/// the separators.
fn parse_mac(text: &[u8]) -> Option<[u8; 6]> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|c| !matches!(c, b':' | b'-' | b'.'))
        .collect();
    if digits.len() != 12 || text.len() > 17 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut mac = [0u8; 6];
    for (i, pair) in digits.chunks(2).enumerate() {
        let hex = std::str::from_utf8(pair).ok()?;
        mac[i] = u8::from_str_radix(hex, 16).ok()?;
    }
    Some(mac)
}

#[cfg(test)]
mod tests;
