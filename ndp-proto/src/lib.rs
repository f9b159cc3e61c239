//! Sans-IO ICMPv6 Neighbor Discovery (RFC 4861 and friends).
//!
//! # Why not smoltcp's wire views
//!
//! smoltcp's `wire::NdiscRepr` keeps at most one Prefix Information option
//! per RA and has no RDNSS, DNSSL, PREF64, Route Information, Nonce or
//! Captive-Portal options; a router announcing several prefixes (old and new
//! during a renumbering) and a host reading radvd's RAs need all of them,
//! repeats kept, and reserved bits kept for byte-exact re-emission. The five
//! fixed ND headers are a few lines each, so this crate has its own codec
//! ([`wire`]) and does not depend on smoltcp.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod wire;

pub use wire::NdpWireError;

pub mod host;
pub mod iid;
mod prefix;
pub mod router;

pub use host::{
    NdpHost, NdpHostAddress, NdpHostConfig, NdpHostConfigError, NdpHostCounters, NdpHostDropped,
    NdpHostEvent, NdpHostUnknownAddress,
};
pub use iid::NdpSecretKey;
pub use prefix::{NdpCarveError, carve_lan_prefix};
pub use router::{
    NdpDnsServers, NdpRouter, NdpRouterCommandError, NdpRouterConfig, NdpRouterConfigError,
    NdpRouterCounters, NdpRouterDropped, NdpRouterEvent,
};
