//! What each RADIUS request carries: the jobs queued for an Identifier
//! (taken from the session when the event happened) and their attributes.

use std::net::Ipv4Addr;

use ppp_proto::Credential;
use radius_proto::RadiusClientCommandError;
use radius_proto::client::{
    AccountingRecord, AcctStatusType, Counters, RadiusClient, RequestHandle,
};
use radius_proto::wire::{Attribute, Value, attr};
use sansio_primitives::Instant;

use crate::bng::sessions::{Session, mac_text, unix_now};

/// NAS-Port-Type Ethernet (RFC 2865 §5.41).
const PORT_TYPE_ETHERNET: u32 = 15;
/// Service-Type Framed.
const SERVICE_FRAMED: u32 = 2;
/// Framed-Protocol PPP.
const FRAMED_PPP: u32 = 1;

/// An Access-Request waiting to be sent.
pub(super) struct AuthJob {
    pub(super) id: u16,
    pub(super) serial: u64,
    pub(super) mac: [u8; 6],
    pub(super) acct_id: String,
    pub(super) user: Vec<u8>,
    pub(super) credential: Credential,
}

/// What an Accounting-Request reports of its session.
pub(super) struct AcctSession {
    pub(super) port: u16,
    pub(super) mac: [u8; 6],
    pub(super) acct_id: String,
    pub(super) user: Option<Vec<u8>>,
    pub(super) addr: Option<Ipv4Addr>,
    pub(super) class: Vec<Vec<u8>>,
    pub(super) session_time: Option<u32>,
    pub(super) counters: Option<Counters>,
    pub(super) cause: Option<u32>,
    /// Delegated-IPv6-Prefix, Framed-IPv6-Prefix, Framed-Interface-Id.
    pub(super) v6: crate::bng::ipv6::V6Grant,
}

/// An Accounting-Request waiting to be sent: taken when the event
/// happened (counters, session time, Event-Timestamp), sent later.
pub(super) struct AcctJob {
    pub(super) status: AcctStatusType,
    /// `None`: Accounting-On/Off.
    pub(super) session: Option<AcctSession>,
    pub(super) timestamp: u32,
}

/// A request waiting for an Identifier.
pub(super) enum Job {
    Auth(AuthJob),
    Acct(AcctJob),
}

impl AuthJob {
    /// The Access-Request of session `s` for `user`.
    pub(super) fn new(s: &Session, user: Vec<u8>, credential: Credential) -> AuthJob {
        AuthJob {
            id: s.id,
            serial: s.serial,
            mac: s.mac,
            acct_id: s.acct_id.clone(),
            user,
            credential,
        }
    }
}

impl AcctJob {
    /// The Accounting-Request of session `s` (counters and times as of
    /// now); `None` without accounting.
    pub(super) fn of_session(
        s: &Session,
        status: AcctStatusType,
        cause: Option<u32>,
    ) -> Option<AcctJob> {
        let acct = s.acct.as_ref()?;
        let t = &s.traffic;
        let session_time = s.up_since.map(|u| {
            std::time::Instant::now()
                .saturating_duration_since(u)
                .as_secs() as u32
        });
        let start = status == AcctStatusType::Start;
        Some(AcctJob {
            status,
            session: Some(AcctSession {
                port: s.id,
                mac: s.mac,
                acct_id: s.acct_id.clone(),
                user: s.user.clone(),
                addr: s.addr,
                class: acct.class.clone(),
                session_time: if start { None } else { session_time },
                counters: (!start).then_some(Counters {
                    input_octets: t.in_octets,
                    output_octets: t.out_octets,
                    input_packets: t.in_packets as u32,
                    output_packets: t.out_packets as u32,
                }),
                cause,
                v6: crate::bng::ipv6::V6Grant::of_session(s),
            }),
            timestamp: unix_now(),
        })
    }

    /// Accounting-On or Accounting-Off.
    pub(super) fn on_off(on: bool) -> AcctJob {
        let status = if on {
            AcctStatusType::AccountingOn
        } else {
            AcctStatusType::AccountingOff
        };
        AcctJob {
            status,
            session: None,
            timestamp: unix_now(),
        }
    }
}

/// The NAS and port attributes every session's request carries.
fn nas_attrs<'a>(
    nas_id: &'a str,
    nas_ip: Option<Ipv4Addr>,
    port: u16,
    mac: &'a str,
    out: &mut Vec<Attribute<'a>>,
) {
    out.push(Attribute::bytes(attr::NAS_IDENTIFIER, nas_id.as_bytes()));
    if let Some(ip) = nas_ip {
        out.push(Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4(ip)));
    }
    out.push(Attribute::integer(attr::NAS_PORT, u32::from(port)));
    out.push(Attribute::integer(attr::NAS_PORT_TYPE, PORT_TYPE_ETHERNET));
    out.push(Attribute::integer(attr::SERVICE_TYPE, SERVICE_FRAMED));
    out.push(Attribute::integer(attr::FRAMED_PROTOCOL, FRAMED_PPP));
    out.push(Attribute::bytes(attr::CALLING_STATION_ID, mac.as_bytes()));
}

impl Job {
    /// Hands the request to the machine.
    pub(super) fn submit(
        &self,
        client: &mut RadiusClient,
        now: Instant,
        nas_id: &str,
        nas_ip: Option<Ipv4Addr>,
    ) -> Result<RequestHandle, RadiusClientCommandError> {
        match self {
            Job::Auth(a) => {
                let mac = mac_text(&a.mac);
                let mut chap = [0u8; 17];
                let mut attrs = vec![Attribute::bytes(attr::USER_NAME, &a.user)];
                let password = match &a.credential {
                    Credential::Pap { password } => Some(password.expose()),
                    Credential::ChapMd5 {
                        identifier,
                        challenge,
                        response,
                    } => {
                        // Lengths checked in `authenticate`.
                        chap[0] = *identifier;
                        chap[1..].copy_from_slice(response);
                        attrs.push(Attribute::bytes(attr::CHAP_PASSWORD, &chap));
                        attrs.push(Attribute::bytes(attr::CHAP_CHALLENGE, challenge));
                        None
                    }
                };
                nas_attrs(nas_id, nas_ip, a.id, &mac, &mut attrs);
                attrs.push(Attribute::bytes(
                    attr::ACCT_SESSION_ID,
                    a.acct_id.as_bytes(),
                ));
                client.authenticate(now, &attrs, password)
            }
            Job::Acct(j) => {
                let mut extra = Vec::new();
                let Some(s) = &j.session else {
                    extra.push(Attribute::bytes(attr::NAS_IDENTIFIER, nas_id.as_bytes()));
                    if let Some(ip) = nas_ip {
                        extra.push(Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4(ip)));
                    }
                    let mut record = AccountingRecord::new(j.status, b"");
                    record.event_timestamp = Some(j.timestamp);
                    record.extra = &extra;
                    return client.account(now, &record);
                };
                let mac = mac_text(&s.mac);
                nas_attrs(nas_id, nas_ip, s.port, &mac, &mut extra);
                if let Some(a) = s.addr {
                    extra.push(Attribute::new(attr::FRAMED_IP_ADDRESS, Value::Ipv4(a)));
                }
                for c in &s.class {
                    extra.push(Attribute::bytes(attr::CLASS, c));
                }
                s.v6.attributes(&mut extra);
                extra.push(Attribute::integer(attr::ACCT_AUTHENTIC, 1));
                // Event-Timestamp says when it happened, however long the
                // request waited in the queue.
                let record = AccountingRecord {
                    status: j.status,
                    session_id: s.acct_id.as_bytes(),
                    user_name: s.user.as_deref(),
                    session_time: s.session_time,
                    counters: s.counters,
                    terminate_cause: s.cause,
                    event_timestamp: Some(j.timestamp),
                    extra: &extra,
                };
                client.account(now, &record)
            }
        }
    }
}
