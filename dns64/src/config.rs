//! The DNS64 machine's configuration: prefixes, ACLs, exclusions, bounds.

use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use sansio_primitives::Duration;

use crate::rfc6052::Nat64Prefix;

/// An address prefix (`addr/len`) for ACLs and exclusion ranges.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Dns64Net {
    /// The network address (bits beyond `len` are ignored when matching).
    pub addr: IpAddr,
    /// The prefix length (at most 32 for IPv4, 128 for IPv6).
    pub len: u8,
}

impl Dns64Net {
    /// `addr/len`.
    pub const fn new(addr: IpAddr, len: u8) -> Dns64Net {
        Dns64Net { addr, len }
    }

    /// Whether `a` is inside (never across families).
    pub fn contains(&self, a: IpAddr) -> bool {
        match (self.addr, a) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.len.min(32)))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len.min(128)))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    fn is_valid(&self) -> bool {
        match self.addr {
            IpAddr::V4(_) => self.len <= 32,
            IpAddr::V6(_) => self.len <= 128,
        }
    }
}

/// An address match list as BIND has them: elements tried in order, the
/// first that contains the address decides (`allow` true matches, false —
/// BIND's `!` — refuses); no element matching means no match.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dns64Acl {
    /// `(allow, net)` pairs, first match wins.
    pub elements: Vec<(bool, Dns64Net)>,
}

impl Dns64Acl {
    /// BIND's `any;`.
    pub fn any() -> Dns64Acl {
        Dns64Acl {
            elements: vec![
                (true, Dns64Net::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)),
                (true, Dns64Net::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)),
            ],
        }
    }

    /// BIND's `none;`.
    pub fn none() -> Dns64Acl {
        Dns64Acl {
            elements: Vec::new(),
        }
    }

    /// Whether `a` matches (first matching element decides).
    pub fn matches(&self, a: IpAddr) -> bool {
        self.elements
            .iter()
            .find(|(_, n)| n.contains(a))
            .is_some_and(|(allow, _)| *allow)
    }
}

/// The largest `max_outstanding`: half the query id space.
pub const MAX_OUTSTANDING: usize = 32768;

/// The DNS64 machine's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Dns64Config {
    /// The NAT64 prefixes; a synthesized answer carries one AAAA per prefix
    /// and A record (as BIND with several `dns64` statements). At least one.
    pub prefixes: Vec<Nat64Prefix>,
    /// Recursive resolvers to forward to, tried in order on timeout. May be
    /// empty (none known yet, say before the WAN is up): forwarded queries
    /// get SERVFAIL at once; local names and `ipv4only.arpa` are answered.
    pub upstreams: Vec<SocketAddr>,
    /// Which clients may query at all (BIND's `allow-query`, default
    /// `any`); the others get REFUSED.
    pub allow_query: Dns64Acl,
    /// Which clients get DNS64 (BIND's `clients`, default `any`); others get
    /// plain forwarding.
    pub clients: Dns64Acl,
    /// Which IPv4 addresses may be synthesized (BIND's `mapped`, default
    /// `any`); the others are left out of a synthesized answer.
    pub mapped: Dns64Acl,
    /// AAAA addresses treated as absent (RFC 6147 §5.1.4, BIND's
    /// `exclude`). `::ffff:0:0/96` is always excluded in addition.
    pub exclude: Vec<Dns64Net>,
    /// Synthesize even for clients that set CD (BIND's `break-dnssec`).
    pub break_dnssec: bool,
    /// Treat an AAAA answer with an RCODE other than NOERROR and NXDOMAIN
    /// as empty (RFC 6147 §5.1.2 allows it). Default true.
    pub synthesize_on_error: bool,
    /// Answer `ipv4only.arpa` locally (RFC 8880 §7.2). Default true.
    pub answer_ipv4only_arpa: bool,
    /// Queries in flight (client queries not yet answered) at most, up to
    /// [`MAX_OUTSTANDING`]; more are dropped with
    /// [`crate::Dns64Dropped::TableFull`]. Default 1024.
    pub max_outstanding: usize,
    /// Time to wait for an upstream answer before the next upstream.
    /// Default 1 s.
    pub upstream_timeout: Duration,
    /// Upstream sends per upstream query before SERVFAIL. Default 3.
    pub attempts: u32,
    /// Source ports for upstream queries (inclusive), drawn from the RNG.
    /// Default 1024..=65535.
    pub source_ports: (u16, u16),
    /// Local names at most ([`crate::Dns64::set_local_name`]). Default 1024.
    pub max_local_names: usize,
    /// TTL of local names' records. Default 60 s (leases change).
    pub local_name_ttl: u32,
    /// Ask again over TCP when an upstream's UDP answer is truncated
    /// (RFC 7766 §6.2.1); otherwise the TC answer is passed on. Default
    /// true.
    pub tcp_on_truncation: bool,
    /// Answers cached at most (0: no cache). Default 1024.
    pub cache_entries: usize,
    /// TTL of locally made records (`ipv4only.arpa`, the PTR CNAME).
    /// Default 3600 s (RFC 8880 leaves it open).
    pub local_ttl: u32,
}

impl Dns64Config {
    /// Defaults as documented, with these prefixes and upstreams.
    pub fn new(prefixes: Vec<Nat64Prefix>, upstreams: Vec<SocketAddr>) -> Dns64Config {
        Dns64Config {
            prefixes,
            upstreams,
            allow_query: Dns64Acl::any(),
            clients: Dns64Acl::any(),
            mapped: Dns64Acl::any(),
            exclude: Vec::new(),
            break_dnssec: false,
            synthesize_on_error: true,
            answer_ipv4only_arpa: true,
            max_outstanding: 1024,
            upstream_timeout: Duration::from_secs(1),
            attempts: 3,
            source_ports: (1024, 65535),
            local_ttl: 3600,
            cache_entries: 1024,
            tcp_on_truncation: true,
            max_local_names: 1024,
            local_name_ttl: 60,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Dns64ConfigError> {
        if self.prefixes.is_empty() {
            return Err(Dns64ConfigError::NoPrefix);
        }
        if self.max_outstanding == 0 || self.attempts == 0 {
            return Err(Dns64ConfigError::ZeroBound);
        }
        // Half the 16-bit ids at most, so a free (id, port) is always found
        // quickly even with a single source port.
        if self.max_outstanding > MAX_OUTSTANDING {
            return Err(Dns64ConfigError::TooManyOutstanding);
        }
        if self.source_ports.0 == 0 || self.source_ports.0 > self.source_ports.1 {
            return Err(Dns64ConfigError::BadSourcePorts);
        }
        let nets = self.exclude.iter();
        let acls = self
            .clients
            .elements
            .iter()
            .chain(&self.mapped.elements)
            .chain(&self.allow_query.elements)
            .map(|(_, n)| n);
        if !nets.chain(acls).all(Dns64Net::is_valid) {
            return Err(Dns64ConfigError::BadNet);
        }
        Ok(())
    }

    /// Whether an AAAA address is to be treated as absent.
    pub(crate) fn is_excluded(&self, a: Ipv6Addr) -> bool {
        let mapped = Dns64Net::new(IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0)), 96);
        mapped.contains(IpAddr::V6(a)) || self.exclude.iter().any(|n| n.contains(IpAddr::V6(a)))
    }
}

/// Why a [`Dns64Config`] was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum Dns64ConfigError {
    /// No NAT64 prefix.
    #[error("no NAT64 prefix configured")]
    NoPrefix,
    /// `max_outstanding` or `attempts` is zero.
    #[error("max_outstanding and attempts must be at least 1")]
    ZeroBound,
    /// `max_outstanding` above [`MAX_OUTSTANDING`].
    #[error("max_outstanding above 32768")]
    TooManyOutstanding,
    /// The source port range is empty or starts at 0.
    #[error("source port range empty or starting at 0")]
    BadSourcePorts,
    /// An ACL or exclusion prefix is longer than its family allows.
    #[error("prefix length beyond the address family in an ACL or exclusion")]
    BadNet,
}
