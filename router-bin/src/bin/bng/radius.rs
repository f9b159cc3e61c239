//! The RADIUS client glue: Access-Requests for `AuthRequest`s and
//! Accounting-Requests for sessions, over one UDP socket, with the
//! `radius-proto` machine doing retransmission and failover.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use ppp_proto::Credential;
use proto_core::{Instant, SeededRng};
use radius_proto::Secret;
use radius_proto::client::{
    AccountingRecord, AcctStatusType, Client, ClientConfig, Counters, Event, RequestHandle,
    ServerConfig,
};
use radius_proto::wire::{Attribute, Code, Value, attr};
use tokio::net::UdpSocket;

use crate::auth::{Verdict, from_accept};
use crate::config;
use crate::sessions::{Session, mac_text, unix_now};

/// NAS-Port-Type Ethernet (RFC 2865 §5.41).
const PORT_TYPE_ETHERNET: u32 = 15;
/// Service-Type Framed.
const SERVICE_FRAMED: u32 = 2;
/// Framed-Protocol PPP.
const FRAMED_PPP: u32 = 1;

/// What an answered Access-Request decided, for which session.
#[derive(Debug)]
pub struct AuthOutcome {
    /// PPPoE session id.
    pub id: u16,
    /// The session's serial (ids are reused).
    pub serial: u64,
    /// The verdict.
    pub verdict: Verdict,
}

/// The client machine, its socket and the requests in flight.
pub struct Radius {
    client: Client,
    /// The socket (bound to an ephemeral port).
    pub sock: UdpSocket,
    nas_identifier: String,
    nas_ip: Option<Ipv4Addr>,
    auth: HashMap<RequestHandle, (u16, u64)>,
    /// Send errors and refused requests, for the log.
    pub errors: u64,
}

impl Radius {
    /// The client for `cfg`, with a socket bound to an ephemeral port.
    pub async fn new(cfg: &config::Radius, rng: SeededRng) -> io::Result<Radius> {
        let servers = cfg
            .servers
            .iter()
            .map(|s| ServerConfig::new(s.auth, s.acct, Secret::new(s.secret.as_bytes())))
            .collect();
        let mut cc = ClientConfig::new(servers);
        cc.timeout = std::time::Duration::from_millis(cfg.timeout_ms);
        cc.max_tries = cfg.retries;
        let client = Client::new(cc, rng)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("radius: {e}")))?;
        let bind: SocketAddr = match cfg.servers[0].auth {
            SocketAddr::V4(_) => "0.0.0.0:0".parse().expect("literal"),
            SocketAddr::V6(_) => "[::]:0".parse().expect("literal"),
        };
        let sock = UdpSocket::bind(bind).await?;
        Ok(Radius {
            client,
            sock,
            nas_identifier: cfg.nas_identifier.clone(),
            nas_ip: cfg.nas_ip,
            auth: HashMap::new(),
            errors: 0,
        })
    }

    fn nas_attrs<'a>(
        nas_id: &'a str,
        nas_ip: Option<Ipv4Addr>,
        s: &Session,
        mac: &'a str,
        out: &mut Vec<Attribute<'a>>,
    ) {
        out.push(Attribute::bytes(attr::NAS_IDENTIFIER, nas_id.as_bytes()));
        if let Some(ip) = nas_ip {
            out.push(Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4(ip)));
        }
        out.push(Attribute::integer(attr::NAS_PORT, u32::from(s.id)));
        out.push(Attribute::integer(attr::NAS_PORT_TYPE, PORT_TYPE_ETHERNET));
        out.push(Attribute::integer(attr::SERVICE_TYPE, SERVICE_FRAMED));
        out.push(Attribute::integer(attr::FRAMED_PROTOCOL, FRAMED_PPP));
        out.push(Attribute::bytes(attr::CALLING_STATION_ID, mac.as_bytes()));
    }

    /// Sends an Access-Request for session `s`; `Err` means it could not
    /// be sent (the caller rejects the session).
    pub fn authenticate(
        &mut self,
        now: Instant,
        s: &Session,
        user: &[u8],
        credential: &Credential,
    ) -> Result<(), String> {
        let mac = mac_text(&s.mac);
        let mut chap = [0u8; 17];
        let mut attrs = vec![Attribute::bytes(attr::USER_NAME, user)];
        let password = match credential {
            Credential::Pap { password } => Some(password.expose()),
            Credential::ChapMd5 {
                identifier,
                challenge,
                response,
            } => {
                if response.len() != 16 || challenge.is_empty() || challenge.len() > 253 {
                    return Err("CHAP response of a bad length".into());
                }
                chap[0] = *identifier;
                chap[1..].copy_from_slice(response);
                attrs.push(Attribute::bytes(attr::CHAP_PASSWORD, &chap));
                attrs.push(Attribute::bytes(attr::CHAP_CHALLENGE, challenge));
                None
            }
        };
        let nas_id = self.nas_identifier.clone();
        Self::nas_attrs(&nas_id, self.nas_ip, s, &mac, &mut attrs);
        attrs.push(Attribute::bytes(
            attr::ACCT_SESSION_ID,
            s.acct_id.as_bytes(),
        ));
        let handle = self
            .client
            .authenticate(now, &attrs, password)
            .map_err(|e| e.to_string())?;
        self.auth.insert(handle, (s.id, s.serial));
        Ok(())
    }

    /// Sends an Accounting-Request for session `s`.
    pub fn account(
        &mut self,
        now: Instant,
        s: &Session,
        status: AcctStatusType,
        cause: Option<u32>,
    ) {
        let Some(acct) = &s.acct else {
            return;
        };
        let mac = mac_text(&s.mac);
        let mut extra = Vec::new();
        let nas_id = self.nas_identifier.clone();
        Self::nas_attrs(&nas_id, self.nas_ip, s, &mac, &mut extra);
        if let Some(a) = s.addr {
            extra.push(Attribute::new(attr::FRAMED_IP_ADDRESS, Value::Ipv4(a)));
        }
        for c in &acct.class {
            extra.push(Attribute::bytes(attr::CLASS, c));
        }
        extra.push(Attribute::integer(attr::ACCT_AUTHENTIC, 1));
        let t = &s.traffic;
        let session_time = s.up_since.map(|u| {
            std::time::Instant::now()
                .saturating_duration_since(u)
                .as_secs() as u32
        });
        let record = AccountingRecord {
            status,
            session_id: s.acct_id.as_bytes(),
            user_name: s.user.as_deref(),
            session_time: if status == AcctStatusType::Start {
                None
            } else {
                session_time
            },
            counters: (status != AcctStatusType::Start).then_some(Counters {
                input_octets: t.in_octets,
                output_octets: t.out_octets,
                input_packets: t.in_packets as u32,
                output_packets: t.out_packets as u32,
            }),
            terminate_cause: cause,
            event_timestamp: Some(unix_now()),
            extra: &extra,
        };
        if let Err(e) = self.client.account(now, &record) {
            self.errors += 1;
            tracing::warn!(session = s.id, "accounting {status:?} not sent: {e}");
        }
    }

    /// Accounting-On (at start: sessions a previous run left open are
    /// over) or Accounting-Off (at shutdown).
    pub fn accounting_on_off(&mut self, now: Instant, on: bool) {
        let mut extra = vec![Attribute::bytes(
            attr::NAS_IDENTIFIER,
            self.nas_identifier.as_bytes(),
        )];
        if let Some(ip) = self.nas_ip {
            extra.push(Attribute::new(attr::NAS_IP_ADDRESS, Value::Ipv4(ip)));
        }
        let status = if on {
            AcctStatusType::AccountingOn
        } else {
            AcctStatusType::AccountingOff
        };
        let mut record = AccountingRecord::new(status, b"");
        record.event_timestamp = Some(unix_now());
        record.extra = &extra;
        if let Err(e) = self.client.account(now, &record) {
            tracing::warn!("{status:?} not sent: {e}");
        }
    }

    /// One datagram from the socket.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        if let Err(e) = self.client.handle_input(now, from, data) {
            tracing::debug!(%from, "RADIUS datagram dropped: {e}");
        }
    }

    /// Runs the machine's timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.client.handle_timeout(now);
    }

    /// When to call [`Radius::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }

    /// Requests in flight.
    pub fn outstanding(&self) -> usize {
        self.client.outstanding()
    }

    /// Sends what the machine queued and returns the answered
    /// Access-Requests.
    pub fn flush(&mut self) -> Vec<AuthOutcome> {
        while let Some(t) = self.client.poll_transmit() {
            if let Err(e) = self.sock.try_send_to(&t.payload, t.destination) {
                self.errors += 1;
                tracing::warn!(to = %t.destination, "RADIUS send failed: {e}");
            }
        }
        let mut out = Vec::new();
        while let Some(e) = self.client.poll_event() {
            match e {
                Event::Response(r) => {
                    let Some((id, serial)) = self.auth.remove(&r.handle) else {
                        continue; // an Accounting-Response
                    };
                    let verdict = match (r.code, r.packet()) {
                        (Code::AccessAccept, Ok(p)) => Verdict::Accept(from_accept(&p)),
                        _ => Verdict::Reject("Authentication failed"),
                    };
                    out.push(AuthOutcome {
                        id,
                        serial,
                        verdict,
                    });
                }
                Event::Timeout { handle } => match self.auth.remove(&handle) {
                    Some((id, serial)) => {
                        tracing::warn!(
                            session = id,
                            "no RADIUS server answered the Access-Request"
                        );
                        out.push(AuthOutcome {
                            id,
                            serial,
                            verdict: Verdict::Reject("Authentication server unreachable"),
                        });
                    }
                    None => tracing::warn!("no RADIUS server answered an Accounting-Request"),
                },
                Event::ServerDead { server, .. } => {
                    tracing::warn!(server, "RADIUS server marked dead, failing over");
                }
                Event::ServerAlive { server } => {
                    tracing::info!(server, "RADIUS server answers again")
                }
            }
        }
        out
    }
}
