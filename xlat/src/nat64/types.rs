//! NAT64's public vocabulary: protocols, transport addresses, pool4, the
//! configuration, the drop reasons and the counters.

use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use sansio_primitives::Duration;

use crate::siit::{SiitConfigError, XlatDropped};

/// A transport protocol NAT64 keeps state for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nat64Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP queries (echo), the identifier standing for the port.
    Icmp,
}

/// An IPv6 transport address: address and port (or ICMP identifier).
pub type TransportAddr6 = (Ipv6Addr, u16);
/// An IPv4 transport address: address and port (or ICMP identifier).
pub type TransportAddr4 = (Ipv4Addr, u16);

/// The session lifetimes of RFC 6146 §4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nat64Timeouts {
    /// UDP_DEFAULT.
    pub udp: Duration,
    /// TCP_EST.
    pub tcp_established: Duration,
    /// TCP_TRANS.
    pub tcp_transitory: Duration,
    /// ICMP_DEFAULT.
    pub icmp: Duration,
}

impl Nat64Timeouts {
    /// RFC 6146 §4's defaults.
    pub const RFC6146: Nat64Timeouts = Nat64Timeouts {
        udp: Duration::from_secs(5 * 60),
        tcp_established: Duration::from_secs(2 * 3600 + 4 * 60),
        tcp_transitory: Duration::from_secs(4 * 60),
        icmp: Duration::from_secs(60),
    };
}

/// One pool4 range: an address and the ports (identifiers) it lends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool4Range {
    /// The IPv4 address.
    pub address: Ipv4Addr,
    /// First port lent.
    pub first_port: u16,
    /// Last port lent (inclusive).
    pub last_port: u16,
}

/// The tables' configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nat64TablesConfig {
    /// pool4 (RFC 6146 §3.1's IPv4 transport addresses).
    pub pool4: Vec<Pool4Range>,
    /// At most this many BIB entries (all protocols).
    pub max_bib_entries: usize,
    /// At most this many sessions (all protocols).
    pub max_sessions: usize,
    /// Session lifetimes.
    pub timeouts: Nat64Timeouts,
}

/// Why a [`Nat64TablesConfig`] or [`super::Nat64Config`] cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Nat64ConfigError {
    /// pool4 is empty or a range has first > last.
    #[error("pool4 is empty or has a range with first port > last port")]
    BadPool4,
    /// A zero bound.
    #[error("max_bib_entries and max_sessions must be at least 1")]
    ZeroBound,
    /// The translator's settings are refused.
    #[error("translator: {0}")]
    Siit(#[from] SiitConfigError),
    /// NAT64 needs a pool6 prefix (the IPv4 internet's IPv6 form).
    #[error("NAT64 needs a pool6 prefix")]
    NoPool6,
    /// NAT64 maps addresses by pool6 and its tables, not by EAMs.
    #[error("NAT64 takes no EAMT")]
    EamtNotEmpty,
}

/// Why a packet gets no state (each counted in [`Nat64Counters`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Nat64Dropped {
    /// The BIB is at `max_bib_entries`.
    #[error("BIB full")]
    BibFull,
    /// The session table is at `max_sessions`.
    #[error("session table full")]
    SessionTableFull,
    /// No free pool4 port for this protocol.
    #[error("pool4 exhausted")]
    Pool4Exhausted,
    /// An IPv4 packet to a transport address without a BIB entry.
    #[error("no BIB entry")]
    NoBinding,
    /// An IPv4 packet from an address no session knows
    /// (address-dependent filtering).
    #[error("filtered")]
    Filtered,
    /// A TCP segment other than a SYN for which there is no session
    /// (§3.5.2.2, CLOSED state).
    #[error("TCP segment without a session is not a SYN")]
    TcpNotSyn,
    /// The stateless translation refused the packet.
    #[error("translation: {0}")]
    Xlat(XlatDropped),
    /// Neither TCP, UDP nor ICMP (§3.1: NAT64 keeps no state for it).
    #[error("protocol not handled by NAT64")]
    UnsupportedProtocol,
    /// A fragment whose first fragment was not seen (before it, or too
    /// long ago, or the fragment table was full): without reassembly its
    /// ports are unknown.
    #[error("fragment without its first fragment")]
    Fragment,
    /// An IPv4 packet not addressed to pool4.
    #[error("IPv4 destination not in pool4")]
    NotPool4,
    /// An ICMP error the rate limit held back (RFC 4443 §2.4 (f), RFC
    /// 1812 §4.3.2.8).
    #[error("ICMP error rate limited")]
    IcmpErrorRateLimited,
}

/// The tables' counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nat64Counters {
    /// BIB entries created.
    pub bib_created: u64,
    /// Sessions created.
    pub sessions_created: u64,
    /// Sessions expired.
    pub sessions_expired: u64,
    /// [`Nat64Dropped::BibFull`].
    pub bib_full: u64,
    /// [`Nat64Dropped::SessionTableFull`].
    pub session_table_full: u64,
    /// [`Nat64Dropped::Pool4Exhausted`].
    pub pool4_exhausted: u64,
    /// [`Nat64Dropped::NoBinding`].
    pub no_binding: u64,
    /// [`Nat64Dropped::Filtered`].
    pub filtered: u64,
    /// [`Nat64Dropped::TcpNotSyn`].
    pub tcp_not_syn: u64,
    /// IPv6 packets translated to IPv4.
    pub translated_6to4: u64,
    /// IPv4 packets translated to IPv6 (hairpinned ones included).
    pub translated_4to6: u64,
    /// IPv6 packets hairpinned (§3.8): to a pool4 address, back out as
    /// IPv6.
    pub hairpinned: u64,
    /// ICMP/ICMPv6 errors generated (translator errors and the §3.5 ones
    /// about packets that get no state).
    pub icmp_errors_sent: u64,
    /// [`Nat64Dropped::Xlat`].
    pub xlat_dropped: u64,
    /// [`Nat64Dropped::UnsupportedProtocol`].
    pub unsupported_protocol: u64,
    /// [`Nat64Dropped::Fragment`].
    pub fragment: u64,
    /// [`Nat64Dropped::NotPool4`].
    pub not_pool4: u64,
    /// [`Nat64Dropped::IcmpErrorRateLimited`].
    pub icmp_error_rate_limited: u64,
}
