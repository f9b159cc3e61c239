//! The AC's configuration, events and per-session record.

use alloc::vec::Vec;

use sansio_primitives::{Duration, Instant, RateLimit};

use crate::wire::EthernetAddress;

/// The highest session id (RFC 2516 §4: 0xFFFF is reserved).
pub const MAX_SESSION_ID: u16 = 0xfffe;

/// How the AC serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PppoeAcConfig {
    /// The AC's MAC address.
    pub mac: EthernetAddress,
    /// The 802.1Q TCI of the link, if it is a VLAN.
    pub vlan: Option<u16>,
    /// The AC-Name (RFC 2516: a unique string identifying this AC).
    pub ac_name: Vec<u8>,
    /// Offered Service-Names. Empty: any requested service is served (the
    /// PADO echoes what was asked).
    pub services: Vec<Vec<u8>>,
    /// Most sessions at once (at most [`MAX_SESSION_ID`]).
    pub max_sessions: u16,
    /// Most sessions one client MAC may hold (RFC 2516 lets a host run
    /// several; a router behind one MAC normally runs one).
    pub max_sessions_per_mac: u16,
    /// What a PADR from a MAC already holding
    /// [`max_sessions_per_mac`](Self::max_sessions_per_mac) sessions gets.
    pub at_mac_limit: AtMacLimit,
    /// PADI rate per client MAC.
    pub padi_rate_per_mac: RateLimit,
    /// PADI rate over all clients.
    pub padi_rate_total: RateLimit,
    /// PADTs answering session frames of unknown sessions
    /// ([`super::PppoeAc::handle_unknown_session`]), per client MAC.
    pub padt_rate_per_mac: RateLimit,
    /// Those PADTs over all clients.
    pub padt_rate_total: RateLimit,
    /// Slots in each per-MAC rate-limit table (PADI, PADT; constant
    /// memory; clamped to 1..=65536, 16 bytes each).
    pub rate_table_slots: usize,
    /// How often the cookie secret rotates; a cookie is accepted for one to
    /// two periods.
    pub cookie_rotation: Duration,
    /// RFC 4638: the largest PPP-Max-Payload this AC supports (e.g. 1500 on
    /// a link with a 1508-byte MTU); `None` ignores the tag (MTU 1492).
    pub ppp_max_payload: Option<u16>,
    /// Who admits a PADR that passed the cookie, service and bound checks.
    pub admission: Admission,
    /// Longest Host-Uniq kept for a session; a PADR with a longer one is
    /// dropped ([`crate::PppoeDropped::Malformed`] with `BadTagLength`). Hosts use 4 to 16 bytes.
    pub max_host_uniq_len: usize,
}

impl PppoeAcConfig {
    /// Defaults: any service, 4096 sessions, 1 per MAC (a new one from
    /// the same MAC replaces it: [`AtMacLimit::Replace`]), PADIs 1/s (burst 3)
    /// per MAC and 200/s (burst 400) overall, PADTs for unknown sessions
    /// 1/s (burst 3) per MAC and 500/s (burst 1000) overall, 1024 rate
    /// slots, cookie
    /// rotation 60 s, no PPP-Max-Payload, Host-Uniq up to 64 bytes,
    /// automatic admission.
    pub fn new(mac: EthernetAddress, ac_name: &[u8]) -> Self {
        PppoeAcConfig {
            mac,
            vlan: None,
            ac_name: ac_name.to_vec(),
            services: Vec::new(),
            max_sessions: 4096,
            max_sessions_per_mac: 1,
            at_mac_limit: AtMacLimit::Replace,
            padi_rate_per_mac: RateLimit {
                per_second: 1,
                burst: 3,
            },
            padi_rate_total: RateLimit {
                per_second: 200,
                burst: 400,
            },
            padt_rate_per_mac: RateLimit {
                per_second: 1,
                burst: 3,
            },
            padt_rate_total: RateLimit {
                per_second: 500,
                burst: 1000,
            },
            rate_table_slots: 1024,
            cookie_rotation: Duration::from_secs(60),
            ppp_max_payload: None,
            max_host_uniq_len: 64,
            admission: Admission::Automatic,
        }
    }
}

/// What a PADR from a MAC at [`PppoeAcConfig::max_sessions_per_mac`] gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtMacLimit {
    /// The new session replaces that MAC's oldest one (accel-ppp's
    /// `single-session=replace`): a PADT ends the old session
    /// ([`PppoeAcEvent::SessionDown`] with [`PppoeAcDownReason::Replaced`]), then the
    /// new one is admitted as usual. A host that crashed or rebooted and
    /// dials again is back at once, instead of being refused until its
    /// old session's keepalive times out. Replacing needs a valid cookie
    /// issued to that MAC, so it gives a forger on the segment nothing a
    /// forged PADT would not.
    Replace,
    /// A PADS with AC-System-Error ([`RefuseReason::MaxSessionsPerMac`]).
    Refuse,
}

/// Who admits sessions (STYLE.md "Admission hooks").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Every PADR that passes the checks, within the bounds, gets a session
    /// at once (what rp-pppoe and accel-ppp do; authentication follows in PPP).
    Automatic,
    /// Each PADR that passes the checks becomes an
    /// [`PppoeAcEvent::SessionRequest`]; the application answers with
    /// [`super::PppoeAc::accept`] (PADS with a session id) or
    /// [`super::PppoeAc::refuse`] (PADS with Service-Name-Error). Pending requests
    /// count against the session bounds, at most `max_pending` wait at once
    /// (more are dropped, [`crate::PppoeDropped::Full`]), and a request not
    /// answered within `timeout` is forgotten silently (the host retransmits
    /// its PADR and a new request comes).
    Manual {
        /// Most requests awaiting a decision.
        max_pending: u16,
        /// How long a request waits for a decision.
        timeout: Duration,
    },
}

/// The handle of a pending admission request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub(crate) u32);

/// Why a PADR was answered with an error PADS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefuseReason {
    /// Service-Name not offered (PADS with Service-Name-Error).
    UnknownService,
    /// [`PppoeAcConfig::max_sessions`] reached (PADS with AC-System-Error).
    MaxSessions,
    /// [`PppoeAcConfig::max_sessions_per_mac`] reached (PADS with AC-System-Error).
    MaxSessionsPerMac,
    /// The application refused the request (PADS with Service-Name-Error).
    Application,
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PppoeAcDownReason {
    /// [`super::PppoeAc::close`]: we sent the PADT.
    Closed,
    /// The host sent a PADT; the text of its error tag, if any.
    PeerTerminated(Option<Vec<u8>>),
    /// [`AtMacLimit::Replace`]: a new session from the same MAC took this
    /// one's place; we sent the PADT. The new session's
    /// [`PppoeAcEvent::SessionUp`] follows.
    Replaced,
}

/// What the AC reports to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PppoeAcEvent {
    /// A session was admitted and its PADS sent: PPP may start.
    SessionUp {
        /// The new session id.
        session_id: u16,
        /// The host's MAC.
        client_mac: EthernetAddress,
        /// The Service-Name the host asked for.
        service_name: Vec<u8>,
        /// RFC 4638 value agreed (the smaller of the host's and ours).
        ppp_max_payload: Option<u16>,
    },
    /// A session ended and its id is free again.
    SessionDown {
        /// The session id.
        session_id: u16,
        /// The host's MAC.
        client_mac: EthernetAddress,
        /// Why.
        reason: PppoeAcDownReason,
    },
    /// [`Admission::Manual`]: a PADR passed the checks and waits for
    /// [`super::PppoeAc::accept`] or [`super::PppoeAc::refuse`].
    SessionRequest {
        /// The handle to answer with.
        request: RequestId,
        /// The host's MAC.
        client_mac: EthernetAddress,
        /// The Service-Name asked for.
        service_name: Vec<u8>,
        /// The host's Host-Uniq (empty when it sent none).
        host_uniq: Vec<u8>,
        /// The request is forgotten at this instant if not answered.
        expires: Instant,
    },
    /// A PADR with a valid cookie was refused with an error PADS.
    Refused {
        /// The host's MAC.
        client_mac: EthernetAddress,
        /// Why.
        reason: RefuseReason,
    },
}

/// One session, as the AC keeps it (also what a PADS retransmission needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcSession {
    /// The host's MAC.
    pub client_mac: EthernetAddress,
    /// The host's Host-Uniq (empty when it sent none).
    pub host_uniq: Vec<u8>,
    /// The Relay-Session-Id to echo, if a relay added one.
    pub relay_session_id: Option<Vec<u8>>,
    /// The Service-Name asked for.
    pub service_name: Vec<u8>,
    /// RFC 4638 value agreed.
    pub ppp_max_payload: Option<u16>,
}
