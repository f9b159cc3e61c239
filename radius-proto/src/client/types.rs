//! The client's configuration, records, events and counters.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddr};

use sansio_primitives::{Duration, Instant};

use crate::crypto::Secret;
use crate::error::Error;
use crate::wire::{Attribute, Code, Packet};

/// The most servers a client may be configured with.
pub const MAX_SERVERS: usize = 32;

/// The most source sockets a client may be configured with
/// ([`RadiusClientConfig::sources`]): 256 × 64 = 16,384 requests in flight.
pub const MAX_SOURCES: usize = 64;

/// Where a request goes: the server's address, and which of the caller's
/// source sockets ([`RadiusClientConfig::sources`]) it leaves from. Each
/// source is its own Identifier space (RFC 2865 §3), so the answer must be
/// read from that same socket and handed to
/// [`crate::client::RadiusClient::handle_input_on`] with that index. This is
/// the destination type of the shared [`sansio_primitives::Transmit`]: the
/// source index is part of where a datagram goes, so it needs no transmit
/// type of its own.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RadiusClientDestination {
    /// The source socket, `0..sources`.
    pub source: usize,
    /// The server's address (its auth or acct port).
    pub address: SocketAddr,
}

/// A configuration the client refuses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RadiusClientConfigError {
    /// No servers, or more than [`MAX_SERVERS`].
    #[error("need 1..=32 servers")]
    ServerCount,
    /// A server's `weight` or `max_fail` is zero.
    #[error("weight and max_fail must be at least 1")]
    ZeroWeightOrMaxFail,
    /// `max_tries` or `timeout` is zero.
    #[error("max_tries and timeout must be positive")]
    ZeroTriesOrTimeout,
    /// `sources` is zero or above [`MAX_SOURCES`].
    #[error("need 1..=64 sources")]
    SourceCount,
}

/// A request or command the client refuses at once (nothing is sent).
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RadiusClientCommandError {
    /// The request cannot be encoded: an attribute whose value its type
    /// does not allow, a password longer than 128 octets, or a packet
    /// over 4096 octets.
    #[error("cannot encode the request: {0}")]
    Encode(#[from] Error),
    /// The request names no NAS (RFC 2865 §4.1, RFC 2866 §4.1: it MUST
    /// carry NAS-IP-Address or NAS-Identifier) and the configuration has
    /// neither to add: set [`RadiusClientConfig::nas_identifier`].
    #[error("the request names no NAS and none is configured (RFC 2865 §4.1)")]
    NoNas,
    /// The accounting record's `extra` attributes hold an Acct-Delay-Time:
    /// the machine sets it (RFC 2866 §5.2).
    #[error("Acct-Delay-Time is the machine's to set")]
    AcctDelayTimeGiven,
    /// All 256 Identifiers of every source socket are in use:
    /// back-pressure (queue the request, or wait for an answer).
    #[error("all 256 identifiers of every source are outstanding")]
    IdentifiersExhausted,
    /// A handle that does not name a request in flight.
    #[error("unknown request handle")]
    UnknownHandle,
}

/// One RADIUS server.
#[derive(Clone, Debug)]
pub struct RadiusServerConfig {
    /// Where Access-Requests go (port 1812).
    pub auth_addr: SocketAddr,
    /// Where Accounting-Requests go (port 1813).
    pub acct_addr: SocketAddr,
    /// The shared secret.
    pub secret: Secret,
    /// Relative share of new requests (≥ 1).
    pub weight: u32,
    /// Requests that must fail in a row before the server is marked dead (≥ 1).
    pub max_fail: u32,
    /// How long a dead server is skipped.
    pub fail_timeout: Duration,
}

impl RadiusServerConfig {
    /// A server with weight 1, `max_fail` 1 and a 60 s `fail_timeout`.
    pub fn new(auth_addr: SocketAddr, acct_addr: SocketAddr, secret: Secret) -> Self {
        RadiusServerConfig {
            auth_addr,
            acct_addr,
            secret,
            weight: 1,
            max_fail: 1,
            fail_timeout: Duration::from_secs(60),
        }
    }
}

/// The client's configuration.
#[derive(Clone, Debug)]
pub struct RadiusClientConfig {
    /// The servers, 1..=[`MAX_SERVERS`].
    pub servers: Vec<RadiusServerConfig>,
    /// Time to wait for an answer before sending again (default 3 s).
    pub timeout: Duration,
    /// Transmissions per server, at least 1 (default 3).
    pub max_tries: u32,
    /// Drop Access-Accept/Reject/Challenge without a valid
    /// Message-Authenticator (default `true`; turning it off re-opens
    /// Blast-RADIUS, CVE-2024-3596).
    pub require_message_authenticator: bool,
    /// Source sockets (UDP source ports) the caller sends from, each with
    /// its own 256 Identifiers (RFC 2865 §3: the Identifier space is per
    /// source address and port), as FreeRADIUS's and accel-ppp's clients
    /// use several: at most `256 × sources` requests are in flight.
    /// 1..=[`MAX_SOURCES`], default 1.
    pub sources: usize,
    /// NAS-Identifier added to a request that names no NAS (RFC 2865 §4.1:
    /// an Access-Request MUST carry NAS-IP-Address or NAS-Identifier).
    pub nas_identifier: Option<Vec<u8>>,
    /// NAS-IP-Address added likewise when there is no `nas_identifier`.
    pub nas_ip_address: Option<Ipv4Addr>,
}

impl RadiusClientConfig {
    /// Defaults around the given servers.
    pub fn new(servers: Vec<RadiusServerConfig>) -> Self {
        RadiusClientConfig {
            servers,
            timeout: Duration::from_secs(3),
            max_tries: 3,
            require_message_authenticator: true,
            sources: 1,
            nas_identifier: None,
            nas_ip_address: None,
        }
    }
}

/// Names one request from submission to its answer or timeout.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub struct RequestHandle(pub u64);

/// Acct-Status-Type (RFC 2866 §5.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum AcctStatusType {
    /// Start (1).
    Start,
    /// Stop (2).
    Stop,
    /// Interim-Update (3).
    InterimUpdate,
    /// Accounting-On (7).
    AccountingOn,
    /// Accounting-Off (8).
    AccountingOff,
}

impl AcctStatusType {
    /// The wire value.
    pub fn value(self) -> u32 {
        match self {
            AcctStatusType::Start => 1,
            AcctStatusType::Stop => 2,
            AcctStatusType::InterimUpdate => 3,
            AcctStatusType::AccountingOn => 7,
            AcctStatusType::AccountingOff => 8,
        }
    }
}

/// Usage counters of one session (64-bit octet counts are sent as
/// Acct-*-Octets plus Acct-*-Gigawords, RFC 2869 §5.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Counters {
    /// Octets received from the user.
    pub input_octets: u64,
    /// Octets sent to the user.
    pub output_octets: u64,
    /// Packets received from the user.
    pub input_packets: u32,
    /// Packets sent to the user.
    pub output_packets: u32,
}

/// What one Accounting-Request reports. The machine adds Acct-Status-Type,
/// the fields given here and Acct-Delay-Time; `extra` carries the rest
/// (NAS-IP-Address, NAS-Port, Framed-IP-Address, ...) and must not contain
/// Acct-Delay-Time.
#[derive(Clone, Copy, Debug)]
pub struct AccountingRecord<'a> {
    /// Acct-Status-Type.
    pub status: AcctStatusType,
    /// Acct-Session-Id (omitted when empty, e.g. for Accounting-On).
    pub session_id: &'a [u8],
    /// User-Name.
    pub user_name: Option<&'a [u8]>,
    /// Acct-Session-Time in seconds.
    pub session_time: Option<u32>,
    /// Octet and packet counters.
    pub counters: Option<Counters>,
    /// Acct-Terminate-Cause (RFC 2866 §5.10), for Stop.
    pub terminate_cause: Option<u32>,
    /// RadiusClientEvent-Timestamp, seconds since 1970 (the caller knows the wall clock).
    pub event_timestamp: Option<u32>,
    /// Any further attributes.
    pub extra: &'a [Attribute<'a>],
}

impl<'a> AccountingRecord<'a> {
    /// A record with only the status and session id.
    pub fn new(status: AcctStatusType, session_id: &'a [u8]) -> Self {
        AccountingRecord {
            status,
            session_id,
            user_name: None,
            session_time: None,
            counters: None,
            terminate_cause: None,
            event_timestamp: None,
            extra: &[],
        }
    }
}

/// Why an incoming datagram was dropped. The machine's state is unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RadiusClientDropped {
    /// Not a well-formed RADIUS packet.
    #[error("malformed: {0}")]
    Malformed(Error),
    /// No request in flight with this Identifier: a late or duplicate answer.
    #[error("no request with this identifier (late or duplicate)")]
    UnknownIdentifier,
    /// From an address the request was not sent to.
    #[error("from an address the request was not sent to")]
    WrongSource,
    /// A Code that does not answer the request.
    #[error("code does not answer the request")]
    UnexpectedCode,
    /// The Response Authenticator is wrong (wrong secret or forged).
    #[error("bad response authenticator")]
    BadAuthenticator,
    /// An Access-* answer without the required Message-Authenticator.
    #[error("missing Message-Authenticator")]
    MissingMessageAuthenticator,
    /// A Message-Authenticator that does not verify.
    #[error("bad Message-Authenticator")]
    BadMessageAuthenticator,
}

/// Counters of what the machine did, and one per [`RadiusClientDropped`]
/// reason.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RadiusClientCounters {
    /// Datagrams handed to `handle_input`/`handle_input_on`.
    pub received: u64,
    /// Datagrams handed out by `poll_transmit` (first sends,
    /// retransmissions and failovers).
    pub transmitted: u64,
    /// Requests sent for the first time.
    pub requests: u64,
    /// Retransmissions (same server).
    pub retransmissions: u64,
    /// Moves of a request to another server.
    pub failovers: u64,
    /// Requests no server answered.
    pub timeouts: u64,
    /// Answers accepted.
    pub responses: u64,
    /// Answers accepted that carried invalid attributes (RFC 6929 §2.8):
    /// processed, the invalid attributes ignored like unknown ones.
    pub with_invalid_attributes: u64,
    /// Dropped: malformed.
    pub malformed: u64,
    /// Dropped: late or duplicate (unknown Identifier).
    pub late_or_duplicate: u64,
    /// Dropped: wrong source address.
    pub wrong_source: u64,
    /// Dropped: unexpected Code.
    pub unexpected_code: u64,
    /// Dropped: bad Response Authenticator.
    pub bad_authenticator: u64,
    /// Dropped: missing Message-Authenticator.
    pub missing_message_authenticator: u64,
    /// Dropped: bad Message-Authenticator.
    pub bad_message_authenticator: u64,
}

impl RadiusClientCounters {
    /// Inputs dropped, all reasons together.
    pub fn total_dropped(&self) -> u64 {
        self.malformed
            + self.late_or_duplicate
            + self.wrong_source
            + self.unexpected_code
            + self.bad_authenticator
            + self.missing_message_authenticator
            + self.bad_message_authenticator
    }
}

/// What the machine tells the application.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RadiusClientEvent {
    /// A verified answer: Access-Accept/Reject/Challenge or
    /// Accounting-Response. `packet` holds its bytes; read it with
    /// [`Response::packet`].
    Response(Response),
    /// No server answered the request.
    Timeout {
        /// The request.
        handle: RequestHandle,
    },
    /// A server failed `max_fail` requests in a row and is skipped until
    /// `until`.
    ServerDead {
        /// Index in [`RadiusClientConfig::servers`].
        server: usize,
        /// When it is tried again.
        until: Instant,
    },
    /// A server that was dead answered again.
    ServerAlive {
        /// Index in [`RadiusClientConfig::servers`].
        server: usize,
    },
}

/// A verified answer.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Response {
    /// The request it answers.
    pub handle: RequestHandle,
    /// The server that answered.
    pub server: usize,
    /// Its Code.
    pub code: Code,
    /// The packet bytes.
    pub bytes: Vec<u8>,
}

impl Response {
    /// The parsed packet (verified and parsed once already, so this succeeds).
    pub fn packet(&self) -> Result<Packet<'_>, Error> {
        Packet::parse(&self.bytes)
    }
}
