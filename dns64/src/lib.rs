//! DNS64 and NAT64 addressing (work in progress: see the module docs).
//!
//! - [`rfc6052`]: IPv4-embedded IPv6 addresses (RFC 6052), `no_std`, no DNS
//!   codec dependency.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod config;
pub mod discovery;
pub mod names;
pub mod rfc6052;
pub mod server;
pub mod wire;

pub use config::{Dns64Acl, Dns64Config, Dns64ConfigError, Dns64Net};
pub use discovery::{
    Nat64Discovery, Nat64DiscoveryConfig, Nat64DiscoveryConfigError, Nat64DiscoveryCounters,
    Nat64DiscoveryDestination, Nat64DiscoveryDropped, Nat64DiscoveryEvent,
};
pub use rfc6052::{Nat64AddressError, Nat64Prefix, Nat64PrefixError};
pub use server::{Dns64, Dns64Counters, Dns64Destination, Dns64Dropped, Dns64Event, Dns64Source};
pub use wire::Dns64WireError;
