//! The host side's configuration, events, drop reasons and counters.

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::{Duration, Instant};

use crate::iid::NdpSecretKey;
use crate::wire::{DomainName, NdpWireError, RouterPreference};

/// The host side's configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NdpHostConfig {
    /// Our link-local address (RS source), or `::` before we have one.
    pub source: Ipv6Addr,
    /// Sent in RSs as the Source Link-Layer Address (not from `::`).
    pub link_layer_address: Option<[u8; 6]>,
    /// RFC 7217 Net_Iface (the interface name, say).
    pub interface_name: Vec<u8>,
    /// RFC 7217 Network_ID (may be empty).
    pub network_id: Vec<u8>,
    /// RFC 7217 secret_key.
    pub secret_key: NdpSecretKey,
    /// Send Router Solicitations at start. Default true.
    pub solicit: bool,
    /// The link's own MTU: larger MTU options are ignored. Default 1500.
    pub link_mtu: u32,
    /// Default routers kept. Default 8.
    pub max_routers: usize,
    /// On-link prefixes kept. Default 16.
    pub max_prefixes: usize,
    /// SLAAC addresses kept. Default 16.
    pub max_addresses: usize,
    /// Neighbours kept. Default 256.
    pub max_neighbours: usize,
    /// DNS servers kept (more are ignored and counted). Default 8.
    pub max_dns_servers: usize,
    /// DNSSL domains kept (more are ignored and counted). Default 8.
    pub max_search_domains: usize,
    /// RFC 4191 routes kept. Default 16.
    pub max_routes: usize,
    /// How long a neighbour entry lives after it was last seen. Default 1 h.
    pub neighbour_lifetime: Duration,
}

impl NdpHostConfig {
    /// Defaults as documented.
    pub fn new(source: Ipv6Addr, interface_name: &[u8], secret_key: NdpSecretKey) -> Self {
        NdpHostConfig {
            source,
            link_layer_address: None,
            interface_name: interface_name.to_vec(),
            network_id: Vec::new(),
            secret_key,
            solicit: true,
            link_mtu: 1500,
            max_routers: 8,
            max_prefixes: 16,
            max_addresses: 16,
            max_neighbours: 256,
            max_dns_servers: 8,
            max_search_domains: 8,
            max_routes: 16,
            neighbour_lifetime: Duration::from_secs(3600),
        }
    }
}

/// A SLAAC address and its lifetimes (`None`: infinite).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NdpHostAddress {
    /// The address.
    pub address: Ipv6Addr,
    /// Always 64.
    pub prefix_length: u8,
    /// When it becomes invalid.
    pub valid_until: Option<Instant>,
    /// When it becomes deprecated.
    pub preferred_until: Option<Instant>,
}

/// What the embedder must act on.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NdpHostEvent {
    /// A new default router.
    RouterAdded {
        /// Its link-local address.
        router: Ipv6Addr,
        /// Router Lifetime.
        lifetime: Duration,
        /// RFC 4191 preference.
        preference: RouterPreference,
    },
    /// A default router's lifetime ran out or was set to 0.
    RouterExpired {
        /// Its address.
        router: Ipv6Addr,
    },
    /// A new on-link prefix.
    OnLinkPrefixAdded {
        /// The prefix.
        prefix: Ipv6Addr,
        /// Its length.
        prefix_length: u8,
    },
    /// An on-link prefix's valid lifetime ran out (or was 0).
    OnLinkPrefixExpired {
        /// The prefix.
        prefix: Ipv6Addr,
        /// Its length.
        prefix_length: u8,
    },
    /// A new address: configure it.
    AddressAdded(NdpHostAddress),
    /// New lifetimes for an address (an RA refreshed it).
    AddressUpdated(NdpHostAddress),
    /// The preferred lifetime ran out (or an RA set it to 0).
    AddressDeprecated {
        /// The address.
        address: Ipv6Addr,
    },
    /// The valid lifetime ran out, or DAD failed: remove it.
    AddressRemoved {
        /// The address.
        address: Ipv6Addr,
    },
    /// IDGEN_RETRIES duplicates in a row: no address for this prefix.
    AddressGenerationFailed {
        /// The /64.
        prefix: Ipv6Addr,
    },
    /// The link MTU from an MTU option.
    MtuChanged {
        /// The MTU.
        mtu: u32,
    },
    /// The RDNSS servers now valid, in the order learned.
    DnsServers(Vec<Ipv6Addr>),
    /// The DNSSL domains now valid, in the order learned.
    DnsSearchList(Vec<DomainName>),
    /// A more-specific route from a Route Information option (RFC 4191 §3.1).
    RouteAdded {
        /// The destination prefix.
        prefix: Ipv6Addr,
        /// Its length.
        prefix_length: u8,
        /// The router to send to.
        router: Ipv6Addr,
        /// Its preference.
        preference: RouterPreference,
    },
    /// A route's lifetime ran out or was set to 0.
    RouteExpired {
        /// The destination prefix.
        prefix: Ipv6Addr,
        /// Its length.
        prefix_length: u8,
        /// The router.
        router: Ipv6Addr,
    },
    /// The NAT64 prefix (RFC 8781) changed; `None`: none is valid.
    Pref64Changed(Option<(Ipv6Addr, u8)>),
}

/// Why an input was dropped (counted; state unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NdpHostDropped {
    /// Did not parse (or bad checksum).
    #[error("malformed: {0}")]
    Malformed(NdpWireError),
    /// IPv6 hop limit not 255 (RFC 4861 §6.1.2).
    #[error("hop limit is not 255")]
    HopLimit,
    /// Fails RFC 4861 §6.1 validity (RA source not link-local, ...).
    #[error("fails RFC 4861 validity checks")]
    Invalid,
    /// A message a host does not act on (RS, Redirect).
    #[error("not a message the host acts on")]
    Unexpected,
    /// It would grow a table past its bound.
    #[error("a table is full")]
    TableFull,
}

/// A configuration that cannot work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NdpHostConfigError {
    /// `link_mtu` below the IPv6 minimum of 1280.
    #[error("link MTU below 1280")]
    LinkMtu,
    /// The RS source is neither `::` nor link-local (RFC 4861 §4.1).
    #[error("RS source must be :: or link-local")]
    Source,
}

/// A command that cannot apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no such address")]
pub struct NdpHostUnknownAddress;

/// What the host side counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NdpHostCounters {
    /// Messages given to `handle_input`.
    pub received: u64,
    /// RAs processed.
    pub advertisements: u64,
    /// RSs queued.
    pub transmitted: u64,
    /// Dropped: [`NdpHostDropped::Malformed`].
    pub malformed: u64,
    /// Dropped: [`NdpHostDropped::HopLimit`].
    pub hop_limit: u64,
    /// Dropped: [`NdpHostDropped::Invalid`].
    pub invalid: u64,
    /// Dropped: [`NdpHostDropped::Unexpected`].
    pub unexpected: u64,
    /// Dropped: [`NdpHostDropped::TableFull`].
    pub table_full: u64,
    /// RDNSS servers ignored because `max_dns_servers` were known.
    pub dns_servers_ignored: u64,
    /// DNSSL domains ignored because `max_search_domains` were known.
    pub search_domains_ignored: u64,
}
