//! The advertising router's configuration, events, drop reasons and counters.

use alloc::vec::Vec;
use core::net::Ipv6Addr;

use sansio_primitives::Duration;

use super::{ND_PREFERRED_LIMIT, ND_VALID_LIMIT};
use crate::prefix::NdpCarveError;
use crate::wire::{
    DomainName, NdpWireError, Pref64, PrefixInformation, RouteInformation, RouterPreference,
};

/// Which recursive DNS servers to announce.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NdpDnsServers {
    /// The router itself ([`NdpRouterConfig::source`]).
    Router,
    /// These.
    List(Vec<Ipv6Addr>),
    /// No RDNSS option.
    None,
}

/// One interface's advertising configuration.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NdpRouterConfig {
    /// The router's link-local address on the interface: the RAs' source
    /// (needed for the checksum).
    pub source: Ipv6Addr,
    /// Sent as the Source Link-Layer Address option.
    pub link_layer_address: Option<[u8; 6]>,
    /// Which /64 of the delegated prefix this interface gets (0, 1, ...).
    pub lan_index: u32,
    /// MinRtrAdvInterval: 3 s to 0.75 × `max_interval`. Default 200 s.
    pub min_interval: Duration,
    /// MaxRtrAdvInterval: 4 s to 1800 s. Default 600 s.
    pub max_interval: Duration,
    /// AdvDefaultLifetime: 0 or `max_interval` to 9000 s. Default 1800 s.
    pub router_lifetime: Duration,
    /// AdvCurHopLimit. Default 64.
    pub cur_hop_limit: u8,
    /// AdvReachableTime in ms (0: unspecified).
    pub reachable_time: u32,
    /// AdvRetransTimer in ms (0: unspecified).
    pub retrans_timer: u32,
    /// AdvManagedFlag (M).
    pub managed: bool,
    /// AdvOtherConfigFlag (O).
    pub other_config: bool,
    /// Default router preference (RFC 4191).
    pub preference: RouterPreference,
    /// AdvLinkMTU: `None` sends no MTU option; otherwise at least 1280.
    pub mtu: Option<u32>,
    /// RDNSS contents. Default [`NdpDnsServers::Router`].
    pub dns_servers: NdpDnsServers,
    /// DNSSL contents (none by default).
    pub search_domains: Vec<DomainName>,
    /// RDNSS/DNSSL lifetime. Default 3 × `max_interval` (RFC 8106 §5.1).
    pub dns_lifetime: Duration,
    /// PREF64 to send (also settable with [`super::NdpRouter::set_pref64`]).
    pub pref64: Option<Pref64>,
    /// Route Information options.
    pub routes: Vec<RouteInformation>,
    /// The Captive-Portal URI (RFC 8910), if any.
    pub captive_portal: Option<Vec<u8>>,
    /// Prefixes always advertised as given (a ULA, for instance).
    pub static_prefixes: Vec<PrefixInformation>,
    /// Cap on the delegated /64's valid lifetime. Default [`ND_VALID_LIMIT`].
    pub valid_limit: Duration,
    /// Cap on its preferred lifetime. Default [`ND_PREFERRED_LIMIT`].
    pub preferred_limit: Duration,
    /// Withdrawn prefixes kept while their lifetime runs down. Default 4.
    pub max_stale_prefixes: usize,
}

impl NdpRouterConfig {
    /// Defaults as documented, for the router at `source`.
    pub fn new(source: Ipv6Addr) -> NdpRouterConfig {
        NdpRouterConfig {
            source,
            link_layer_address: None,
            lan_index: 0,
            min_interval: Duration::from_secs(200),
            max_interval: Duration::from_secs(600),
            router_lifetime: Duration::from_secs(1800),
            cur_hop_limit: 64,
            reachable_time: 0,
            retrans_timer: 0,
            managed: false,
            other_config: false,
            preference: RouterPreference::Medium,
            mtu: None,
            dns_servers: NdpDnsServers::Router,
            search_domains: Vec::new(),
            dns_lifetime: Duration::from_secs(1800),
            pref64: None,
            routes: Vec::new(),
            captive_portal: None,
            static_prefixes: Vec::new(),
            valid_limit: ND_VALID_LIMIT,
            preferred_limit: ND_PREFERRED_LIMIT,
            max_stale_prefixes: 4,
        }
    }
}

/// A configuration the RFC forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NdpRouterConfigError {
    /// MaxRtrAdvInterval outside 4–1800 s.
    #[error("MaxRtrAdvInterval must be 4..=1800 s")]
    MaxInterval,
    /// MinRtrAdvInterval outside 3 s..=0.75 × MaxRtrAdvInterval.
    #[error("MinRtrAdvInterval must be 3 s..=0.75 × MaxRtrAdvInterval")]
    MinInterval,
    /// AdvDefaultLifetime neither 0 nor within MaxRtrAdvInterval..=9000 s.
    #[error("AdvDefaultLifetime must be 0 or MaxRtrAdvInterval..=9000 s")]
    RouterLifetime,
    /// AdvLinkMTU below 1280.
    #[error("AdvLinkMTU must be at least 1280")]
    Mtu,
    /// The source is not a link-local unicast address (RFC 4861 §4.2).
    #[error("the RA source must be link-local")]
    Source,
}

/// Why an input was dropped (counted; state unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NdpRouterDropped {
    /// Did not parse (or bad checksum).
    #[error("malformed: {0}")]
    Malformed(NdpWireError),
    /// IPv6 hop limit not 255: the message may have been forwarded
    /// (RFC 4861 §6.1).
    #[error("hop limit is not 255")]
    HopLimit,
    /// Fails RFC 4861 §6.1 validity (an RS from :: with a source
    /// link-layer address, an RA from a non-link-local source).
    #[error("fails RFC 4861 validity checks")]
    Invalid,
    /// Not a message the router acts on (NS, NA, Redirect).
    #[error("not a message the router acts on")]
    Unexpected,
    /// The machine was shut down.
    #[error("shut down")]
    ShutDown,
}

/// What the embedder may want to know.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NdpRouterEvent {
    /// A withdrawn prefix's valid lifetime reached 0; it is no longer
    /// advertised.
    StalePrefixRemoved {
        /// The /64.
        prefix: Ipv6Addr,
    },
    /// The delegated prefix's own valid lifetime ran out.
    DelegatedPrefixExpired {
        /// The /64.
        prefix: Ipv6Addr,
    },
    /// Another router on the link advertises values inconsistent with ours
    /// (RFC 4861 §6.2.7: logged, nothing else).
    InconsistentAdvertisement {
        /// Its address.
        router: Ipv6Addr,
    },
}

/// A command given after [`super::NdpRouter::shutdown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NdpRouterCommandError {
    /// The machine was shut down.
    #[error("shut down")]
    ShutDown,
    /// The delegated prefix has no /64 for this interface.
    #[error(transparent)]
    Carve(#[from] NdpCarveError),
}

/// What the router counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NdpRouterCounters {
    /// Messages given to `handle_input`.
    pub received: u64,
    /// Valid Router Solicitations.
    pub solicitations: u64,
    /// RAs queued for sending.
    pub transmitted: u64,
    /// Dropped: [`NdpRouterDropped::Malformed`].
    pub malformed: u64,
    /// Dropped: [`NdpRouterDropped::HopLimit`].
    pub hop_limit: u64,
    /// Dropped: [`NdpRouterDropped::Invalid`].
    pub invalid: u64,
    /// Dropped: [`NdpRouterDropped::Unexpected`].
    pub unexpected: u64,
    /// Dropped: [`NdpRouterDropped::ShutDown`].
    pub shut_down: u64,
}
