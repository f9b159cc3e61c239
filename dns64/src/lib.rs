//! DNS64 and NAT64 addressing (work in progress: see the module docs).
//!
//! - [`rfc6052`]: IPv4-embedded IPv6 addresses (RFC 6052), `no_std`, no DNS
//!   codec dependency.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod rfc6052;
